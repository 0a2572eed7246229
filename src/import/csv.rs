//! CSV and TSV: one task per record, header names as data keys.
//!
//! Values stay strings by default (Label Studio's pandas turns "007" into 7 and drops
//! numeric columns from the UI); `--csv-coerce` reproduces pandas' type inference.

use super::{Flow, ItemSink, RawItem, RawMap, TaskReader, raw_json, raw_string};
use crate::error::{Location, Problem};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;

pub struct CsvReader {
    /// `None`: `;` if the first line has more `;` than `,`, else `,` (Label Studio's rule).
    pub delimiter: Option<u8>,
    pub coerce: bool,
}

/// Strings pandas reads as missing (NA); they become "" like Label Studio's `fillna("")`.
const NA_VALUES: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum ColumnType {
    Int,
    Float,
    Bool,
    Str,
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "True" | "TRUE" | "true" => Some(true),
        "False" | "FALSE" | "false" => Some(false),
        _ => None,
    }
}

fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    t.parse::<f64>().ok()
}

/// pandas' duplicate header handling: `a, a, a` → `a, a.1, a.2`.
pub(super) fn dedupe_headers(headers: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(headers.len());
    let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
    // Per header, the first suffix not yet tried: names are never freed, so the search
    // resumes there instead of starting over (a header row of thousands of empty names
    // was cubic).
    let mut next: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for h in headers {
        let mut name = h.clone();
        if taken.contains(&name) {
            let n = next.entry(h.clone()).or_insert(1);
            loop {
                name = format!("{h}.{n}");
                *n += 1;
                if !taken.contains(&name) {
                    break;
                }
            }
        }
        taken.insert(name.clone());
        out.push(name);
    }
    out
}

fn open_err(name: &str, e: std::io::Error) -> Problem {
    Problem::new(Location::file(name), format!("cannot open: {e}"))
}

fn csv_problem(name: &str, e: &csv::Error) -> Problem {
    let mut loc = Location::file(name);
    if let Some(p) = e.position() {
        loc.line = Some(p.line() as usize);
        loc.record = Some(p.record() as usize);
    }
    let msg = match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!(
            "invalid UTF-8 in field {} (CSV files must be UTF-8)",
            err.field() + 1
        ),
        _ => e.to_string(),
    };
    Problem::new(loc, msg)
}

/// Line numbers for byte offsets, counted on a second handle: the csv crate does not count
/// line breaks inside quoted fields, so its own line numbers drift after multi-line cells.
struct LineCounter {
    r: BufReader<std::fs::File>,
    offset: u64,
    line: usize,
}

impl LineCounter {
    fn new(path: &Path) -> std::io::Result<Self> {
        Ok(LineCounter {
            r: BufReader::with_capacity(1 << 16, std::fs::File::open(path)?),
            offset: 0,
            line: 1,
        })
    }

    /// The line of byte `target`; offsets must not decrease between calls.
    fn line_at(&mut self, target: u64) -> usize {
        while self.offset < target {
            let Ok(buf) = self.r.fill_buf() else { break };
            if buf.is_empty() {
                break;
            }
            let n = buf.len().min((target - self.offset) as usize);
            self.line += buf[..n].iter().filter(|&&b| b == b'\n').count();
            self.r.consume(n);
            self.offset += n as u64;
        }
        self.line
    }

    /// The line a record starts on, given the csv crate's record position (which points
    /// at the previous record's terminator): line breaks right after it are skipped.
    fn record_line(&mut self, pos: u64) -> usize {
        self.line_at(pos);
        while let Ok(buf) = self.r.fill_buf() {
            match buf.first() {
                Some(b'\n') => self.line += 1,
                Some(b'\r') => {}
                _ => break,
            }
            self.r.consume(1);
            self.offset += 1;
        }
        self.line
    }
}

impl CsvReader {
    fn detect_delimiter(path: &Path, name: &str) -> Result<u8, Problem> {
        let f = std::fs::File::open(path).map_err(|e| open_err(name, e))?;
        let mut first = Vec::new();
        BufReader::new(f)
            .read_until(b'\n', &mut first)
            .map_err(|e| open_err(name, e))?;
        let semis = first.iter().filter(|&&b| b == b';').count();
        let commas = first.iter().filter(|&&b| b == b',').count();
        Ok(if semis > commas { b';' } else { b',' })
    }

    fn reader(
        path: &Path,
        name: &str,
        delimiter: u8,
    ) -> Result<csv::Reader<super::CountedFile>, Problem> {
        let f = super::CountedFile::open(path).map_err(|e| open_err(name, e))?;
        Ok(csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(f))
    }

    /// First pass for `--csv-coerce`: the type pandas would give each column.
    fn infer(
        path: &Path,
        name: &str,
        delimiter: u8,
        width: usize,
    ) -> Result<(Vec<ColumnType>, Vec<bool>), Problem> {
        let mut rdr = Self::reader(path, name, delimiter)?;
        let mut types = vec![None::<ColumnType>; width];
        let mut has_na = vec![false; width];
        let mut rec = csv::StringRecord::new();
        while rdr
            .read_record(&mut rec)
            .map_err(|e| csv_problem(name, &e))?
        {
            for i in 0..width {
                let v = rec.get(i).unwrap_or("");
                if NA_VALUES.contains(&v) {
                    has_na[i] = true;
                    continue;
                }
                widen(&mut types[i], v);
            }
        }
        Ok((
            types
                .into_iter()
                .map(|t| t.unwrap_or(ColumnType::Float))
                .collect(),
            has_na,
        ))
    }
}

/// A column's type as pandas infers it, widened by one more (non-NA) cell.
fn widen(column: &mut Option<ColumnType>, v: &str) {
    if *column == Some(ColumnType::Str) {
        return;
    }
    let t = if v.trim().parse::<i64>().is_ok() {
        ColumnType::Int
    } else if parse_float(v).is_some() {
        ColumnType::Float
    } else if parse_bool(v).is_some() {
        ColumnType::Bool
    } else {
        ColumnType::Str
    };
    *column = Some(match (*column, t) {
        (None, t) => t,
        (Some(a), b) if a == b => a,
        (Some(ColumnType::Int), ColumnType::Float) | (Some(ColumnType::Float), ColumnType::Int) => {
            ColumnType::Float
        }
        _ => ColumnType::Str,
    });
}

fn coerce(v: &str, ty: ColumnType, has_na: bool) -> Value {
    if NA_VALUES.contains(&v) {
        return Value::String(String::new());
    }
    match ty {
        // pandas makes an int column with blanks a float column.
        ColumnType::Int if !has_na => v
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(v.into())),
        ColumnType::Int | ColumnType::Float => parse_float(v)
            .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
            .unwrap_or_else(|| Value::String(v.into())),
        ColumnType::Bool => parse_bool(v)
            .map(Value::Bool)
            .unwrap_or_else(|| Value::String(v.into())),
        ColumnType::Str => Value::String(v.into()),
    }
}

impl TaskReader for CsvReader {
    fn read(&self, path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
        let delimiter = match self.delimiter {
            Some(d) => d,
            None => Self::detect_delimiter(path, name)?,
        };
        let mut rdr = Self::reader(path, name, delimiter)?;
        let headers = rdr.headers().map_err(|e| csv_problem(name, &e))?.clone();
        if headers.is_empty() || (headers.len() == 1 && headers.get(0) == Some("")) {
            return Err(Problem::new(
                Location::line(name, 1),
                "No columns to parse from file (the file is empty)",
            ));
        }
        let mut names: Vec<String> = headers.iter().map(str::to_string).collect();
        if let Some(first) = names.first_mut()
            && let Some(stripped) = first.strip_prefix('\u{feff}')
        {
            *first = stripped.to_string();
        }
        let names = dedupe_headers(names);
        let width = names.len();
        let (types, has_na) = if self.coerce {
            Self::infer(path, name, delimiter, width)?
        } else {
            (vec![ColumnType::Str; width], vec![false; width])
        };
        // Without --csv-coerce: the columns Label Studio would have turned into numbers or
        // booleans, to say so once at the end.
        let mut kept_as_text: Vec<Option<ColumnType>> = vec![None; width];
        let mut lines = LineCounter::new(path).map_err(|e| open_err(name, e))?;
        let mut rec = csv::StringRecord::new();
        let mut short_records = 0usize;
        let mut first_short = None;
        loop {
            match rdr.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let mut p = csv_problem(name, &e);
                    if let Some(pos) = e.position() {
                        p.location.line = Some(lines.record_line(pos.byte()));
                    }
                    return Err(p);
                }
            }
            let pos = rec.position().cloned();
            let line = pos
                .as_ref()
                .map(|p| lines.record_line(p.byte()))
                .unwrap_or(0);
            let record = pos.as_ref().map(|p| p.record() as usize).unwrap_or(0);
            if rec.len() > width {
                let mut loc = Location::line(name, line);
                loc.record = Some(record);
                return Err(Problem::new(
                    loc,
                    format!(
                        "Error tokenizing data: expected {width} fields (the header's), saw {}",
                        rec.len()
                    ),
                ));
            }
            if rec.len() < width {
                short_records += 1;
                first_short.get_or_insert(line);
            }
            let mut data = RawMap::with_capacity_and_hasher(width, Default::default());
            for (i, key) in names.iter().enumerate() {
                let v = rec.get(i).unwrap_or("");
                let value = if self.coerce {
                    raw_json(&coerce(v, types[i], has_na[i]))
                } else {
                    if !NA_VALUES.contains(&v) {
                        widen(&mut kept_as_text[i], v);
                    }
                    raw_string(v)
                };
                data.insert(key.clone(), value);
            }
            let mut loc = Location::line(name, line);
            loc.record = Some(record);
            if let Flow::Stop = sink.item(RawItem::data(data, loc)) {
                break;
            }
        }
        let typed: Vec<&str> = names
            .iter()
            .zip(&kept_as_text)
            .filter(|(_, t)| {
                matches!(
                    t,
                    Some(ColumnType::Int | ColumnType::Float | ColumnType::Bool)
                )
            })
            .map(|(n, _)| n.as_str())
            .collect();
        if !typed.is_empty() {
            sink.warn(Problem::new(
                Location::file(name),
                format!(
                    "column(s) {} hold numbers or booleans, kept as text (\"007\" stays \"007\"); Label Studio would convert them, which --csv-coerce reproduces",
                    typed
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if short_records > 0 {
            sink.warn(Problem::new(
                Location::line(name, first_short.unwrap_or(0)),
                format!("{short_records} record(s) have fewer fields than the header; the missing cells are empty (as pandas reads them)"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::tests::Collect;
    use serde_json::json;

    fn read(content: &str, coerce: bool, delimiter: Option<u8>) -> Result<Collect, Problem> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, content).unwrap();
        let mut c = Collect::default();
        CsvReader { delimiter, coerce }.read(&p, "t.csv", &mut c)?;
        Ok(c)
    }

    #[test]
    fn strings_by_default_with_quoting_crlf_and_multiline() {
        let c = read(
            "\u{feff}id,text\r\n007,\"a, \"\"b\"\"\r\nc\"\r\n8,x\r\n",
            false,
            None,
        )
        .unwrap();
        assert_eq!(c.value(0), json!({"id": "007", "text": "a, \"b\"\r\nc"}));
        assert_eq!(c.items[1].loc.line, Some(4));
        assert_eq!(c.items[1].loc.record, Some(2));
    }

    #[test]
    fn semicolon_detection_and_tsv() {
        let c = read("a;b\n1;2\n", false, None).unwrap();
        assert_eq!(c.value(0), json!({"a": "1", "b": "2"}));
        let c = read("a\tb\n1,5\t2\n", false, Some(b'\t')).unwrap();
        assert_eq!(c.value(0), json!({"a": "1,5", "b": "2"}));
    }

    #[test]
    fn pandas_coercion() {
        let c = read(
            "i,f,b,s,n,dup,dup\n007,1.5,True,x,1,a,b\n2,,False,NA,,c,d\n",
            true,
            None,
        )
        .unwrap();
        assert_eq!(
            c.value(0),
            json!({"i": 7, "f": 1.5, "b": true, "s": "x", "n": 1.0, "dup": "a", "dup.1": "b"})
        );
        assert_eq!(
            c.value(1),
            json!({"i": 2, "f": "", "b": false, "s": "", "n": "", "dup": "c", "dup.1": "d"})
        );
    }

    #[test]
    fn duplicate_headers_get_suffixes_in_linear_time() {
        assert_eq!(
            dedupe_headers(["a", "a", "a.1", "a", "b"].map(String::from).to_vec()),
            ["a", "a.1", "a.1.1", "a.2", "b"]
        );
        // A header row of 20000 empty names took minutes.
        let start = std::time::Instant::now();
        let c = read(&format!("{}\n", ",".repeat(20_000)), false, None).unwrap();
        assert_eq!(c.items.len(), 0);
        let names = dedupe_headers(vec![String::new(); 20_001]);
        assert_eq!(
            (names[1].as_str(), names[20_000].as_str()),
            (".1", ".20000")
        );
        assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
    }

    #[test]
    fn ragged_and_empty() {
        let e = read("a,b\n1,2\n1,2,3\n", false, None).err().unwrap();
        assert_eq!(e.location.line, Some(3));
        assert!(e.message.contains("expected 2 fields"), "{e}");
        let c = read("a,b\n1\n", false, None).unwrap();
        assert_eq!(c.value(0), json!({"a": "1", "b": ""}));
        // The short record, and column "a" holding a number kept as text.
        assert_eq!(c.warnings.len(), 2);
        assert!(c.warnings[0].message.contains("\"a\" hold numbers"));
        assert!(c.warnings[1].message.contains("fewer fields"));
        assert!(
            read("", false, None)
                .err()
                .unwrap()
                .message
                .contains("No columns")
        );
        assert_eq!(read("a,b\n", false, None).unwrap().items.len(), 0);
    }
}
