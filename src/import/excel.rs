//! Spreadsheets: Excel (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`) and OpenDocument (`.ods`), one
//! sheet (`--sheet` by name or 0-based index, as pandas' `sheet_name`; the first by
//! default). The first non-empty row holds the column names; each later row is a task.
//! Cells keep their types: numbers stay numbers (whole numbers as integers, as pandas reads
//! them), booleans booleans, dates ISO 8601 text, empty cells null.

use super::{Flow, ItemSink, RawItem, RawMap, TaskReader, raw_json, raw_string};
use crate::error::{Location, Problem};
use calamine::{Data, Reader};
use serde_json::Value;
use std::path::Path;

pub struct ExcelReader {
    pub sheet: Option<String>,
}

impl TaskReader for ExcelReader {
    fn read(&self, path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
        super::arrow_rows::guarded(name, || self.read_sheet(path, name, sink))
    }
}

impl ExcelReader {
    fn read_sheet(&self, path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
        let mut head = [0u8; 8];
        let n = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
            .map_err(|e| Problem::new(Location::file(name), format!("cannot open: {e}")))?;
        if super::cfb_check::is_compound(&head[..n]) {
            let bytes = std::fs::read(path)
                .map_err(|e| Problem::new(Location::file(name), format!("cannot read: {e}")))?;
            super::cfb_check::check(&bytes).map_err(|why| {
                Problem::new(
                    Location::file(name),
                    format!("not a readable spreadsheet: the file is damaged ({why})"),
                )
            })?;
        }
        let mut book = calamine::open_workbook_auto(path).map_err(|e| {
            Problem::new(
                Location::file(name),
                format!("not a readable spreadsheet: {e}"),
            )
        })?;
        let sheets = book.sheet_names();
        let sheet = pick_sheet(&sheets, self.sheet.as_deref())
            .map_err(|m| Problem::new(Location::file(name), m))?;
        let range = book.worksheet_range(&sheet).map_err(|e| {
            Problem::new(
                Location::file(name),
                format!("sheet {sheet:?} cannot be read: {e}"),
            )
        })?;
        super::BYTES_READ.fetch_add(
            std::fs::metadata(path).map_or(0, |m| m.len()),
            std::sync::atomic::Ordering::Relaxed,
        );
        let shown = format!("{name} sheet {sheet:?}");
        let mut rows = range.rows().filter(|r| r.iter().any(|c| *c != Data::Empty));
        let Some(header) = rows.next() else {
            return Err(Problem::new(Location::file(shown), "the sheet is empty"));
        };
        let names = super::csv::dedupe_headers(
            header
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Data::Empty => format!("Unnamed: {i}"),
                    c => cell_text(c),
                })
                .collect(),
        );
        let mut errors = 0usize;
        for (n, row) in rows.enumerate() {
            let mut data = RawMap::with_capacity_and_hasher(names.len(), Default::default());
            for (i, key) in names.iter().enumerate() {
                let cell = row.get(i).unwrap_or(&Data::Empty);
                if matches!(cell, Data::Error(_)) {
                    errors += 1;
                }
                data.insert(key.clone(), cell_value(cell));
            }
            let loc = Location {
                record: Some(n + 1),
                ..Location::file(shown.as_str())
            };
            if let Flow::Stop = sink.item(RawItem::data(data, loc)) {
                break;
            }
        }
        if errors > 0 {
            sink.warn(Problem::new(
                Location::file(shown),
                format!(
                    "{errors} cell(s) hold a formula error (such as #DIV/0!) and were read as null"
                ),
            ));
        }
        Ok(())
    }
}

/// The sheet `wanted` names: a sheet's name, else a 0-based index; the first when `None`.
fn pick_sheet(sheets: &[String], wanted: Option<&str>) -> Result<String, String> {
    let listed = || {
        sheets
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{i}: {s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match wanted {
        None => sheets
            .first()
            .cloned()
            .ok_or_else(|| "the workbook has no sheets".to_string()),
        Some(w) => {
            if let Some(s) = sheets.iter().find(|s| *s == w) {
                return Ok(s.clone());
            }
            if let Some(s) = w.parse::<usize>().ok().and_then(|i| sheets.get(i)) {
                return Ok(s.clone());
            }
            Err(format!("no sheet {w:?}; the sheets are {}", listed()))
        }
    }
}

/// A header cell as text.
fn cell_text(c: &Data) -> String {
    match cell_json(c) {
        Value::String(s) => s,
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

fn cell_value(c: &Data) -> Box<serde_json::value::RawValue> {
    match c {
        Data::String(s) | Data::DurationIso(s) => raw_string(s),
        c => raw_json(&cell_json(c)),
    }
}

fn cell_json(c: &Data) -> Value {
    match c {
        Data::Int(i) => Value::from(*i),
        Data::Float(f) => {
            // Spreadsheets store every number as a float; whole ones read as integers.
            if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
                Value::from(*f as i64)
            } else {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
        }
        Data::String(s) | Data::DurationIso(s) => Value::String(s.clone()),
        // OpenDocument dates: midnight is a date, as for Excel's serial dates below.
        Data::DateTimeIso(s) => Value::String(s.strip_suffix("T00:00:00").unwrap_or(s).to_string()),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(d) if d.is_duration() => {
            let total_ms = (d.as_f64() * 86_400_000.0).round() as i64;
            let (h, rest) = (total_ms / 3_600_000, total_ms % 3_600_000);
            let (m, rest) = (rest / 60_000, rest % 60_000);
            let (s, ms) = (rest / 1000, rest % 1000);
            Value::String(if ms == 0 {
                format!("{h:02}:{m:02}:{s:02}")
            } else {
                format!("{h:02}:{m:02}:{s:02}.{ms:03}")
            })
        }
        Data::DateTime(d) => {
            let (y, mo, day, h, mi, s, ms) = d.to_ymd_hms_milli();
            Value::String(match (h, mi, s, ms) {
                (0, 0, 0, 0) => format!("{y:04}-{mo:02}-{day:02}"),
                (_, _, _, 0) => format!("{y:04}-{mo:02}-{day:02}T{h:02}:{mi:02}:{s:02}"),
                _ => format!("{y:04}-{mo:02}-{day:02}T{h:02}:{mi:02}:{s:02}.{ms:03}"),
            })
        }
        Data::Error(_) | Data::Empty => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheets_are_picked_by_name_then_index() {
        let sheets = vec!["Data".to_string(), "2".to_string(), "Notes".to_string()];
        assert_eq!(pick_sheet(&sheets, None).unwrap(), "Data");
        assert_eq!(pick_sheet(&sheets, Some("Notes")).unwrap(), "Notes");
        // A sheet named "2" wins over index 2.
        assert_eq!(pick_sheet(&sheets, Some("2")).unwrap(), "2");
        assert_eq!(pick_sheet(&sheets, Some("0")).unwrap(), "Data");
        let e = pick_sheet(&sheets, Some("Summary")).unwrap_err();
        assert!(
            e.contains("no sheet \"Summary\"") && e.contains("2: \"Notes\""),
            "{e}"
        );
    }

    #[test]
    fn cells_keep_their_types() {
        assert_eq!(cell_json(&Data::Float(3.0)), Value::from(3));
        assert_eq!(cell_json(&Data::Float(2.5)), Value::from(2.5));
        assert_eq!(cell_json(&Data::Bool(true)), Value::Bool(true));
        assert_eq!(cell_json(&Data::Empty), Value::Null);
        let date =
            calamine::ExcelDateTime::new(45943.5, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_json(&Data::DateTime(date)), "2025-10-13T12:00:00");
        let day =
            calamine::ExcelDateTime::new(45943.0, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_json(&Data::DateTime(day)), "2025-10-13");
        let span =
            calamine::ExcelDateTime::new(1.25, calamine::ExcelDateTimeType::TimeDelta, false);
        assert_eq!(cell_json(&Data::DateTime(span)), "30:00:00");
    }
}
