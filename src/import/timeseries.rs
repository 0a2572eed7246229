//! A time series CSV as ONE task (Label Studio's "Time Series or Whole Text File" choice).
//! With `<TimeSeries valueType="json">` the columns are inlined as arrays; otherwise the task
//! holds the file's path, which is what `valueType="url"` (the default) reads.

use super::{ItemSink, RawItem, RawMap, TaskReader, raw_json};
use crate::config::{LabelConfig, ObjectKind};
use crate::error::{Location, Problem};
use serde_json::{Map, Value};
use std::path::Path;

pub struct TimeSeriesReader<'a> {
    pub config: &'a LabelConfig,
}

impl TaskReader for TimeSeriesReader<'_> {
    fn read(&self, path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
        let ts = self
            .config
            .objects
            .iter()
            .find(|o| o.kind == ObjectKind::TimeSeries);
        let key = ts
            .and_then(|o| o.value.as_deref())
            .and_then(crate::config::keys::key_of_value)
            .unwrap_or_else(|| "$undefined$".to_string());
        let inline = ts
            .and_then(|o| o.value_type.as_deref())
            .is_some_and(|t| t.eq_ignore_ascii_case("json"));
        let value = if inline {
            let sep = ts
                .and_then(|o| o.attr("sep"))
                .and_then(|s| s.bytes().next())
                .unwrap_or(b',');
            let f = std::fs::File::open(path)
                .map_err(|e| Problem::new(Location::file(name), format!("cannot open: {e}")))?;
            let mut rdr = csv::ReaderBuilder::new().delimiter(sep).from_reader(f);
            // The browser's parser lower-cases header names.
            let headers: Vec<String> = rdr
                .headers()
                .map_err(|e| Problem::new(Location::line(name, 1), e.to_string()))?
                .iter()
                .map(|h| h.trim_start_matches('\u{feff}').to_lowercase())
                .collect();
            let mut columns: Vec<Vec<Value>> = vec![Vec::new(); headers.len()];
            for (i, rec) in rdr.records().enumerate() {
                let rec = rec.map_err(|e| {
                    let line = e.position().map_or(i + 2, |p| p.line() as usize);
                    Problem::new(Location::line(name, line), e.to_string())
                })?;
                if rec.len() != headers.len() {
                    return Err(Problem::new(
                        Location::line(name, rec.position().map_or(i + 2, |p| p.line() as usize)),
                        format!(
                            "Column names count differs from data columns count ({} vs {})",
                            headers.len(),
                            rec.len()
                        ),
                    ));
                }
                for (c, v) in rec.iter().enumerate() {
                    columns[c].push(match v.trim().parse::<f64>() {
                        Ok(_) if v.trim().parse::<i64>().is_ok() => {
                            Value::from(v.trim().parse::<i64>().unwrap_or_default())
                        }
                        Ok(f) => serde_json::Number::from_f64(f)
                            .map_or(Value::String(v.into()), Value::Number),
                        Err(_) => Value::String(v.to_string()),
                    });
                }
            }
            let mut obj = Map::new();
            for (h, col) in headers.into_iter().zip(columns) {
                obj.insert(h, Value::Array(col));
            }
            Value::Object(obj)
        } else {
            let abs = std::fs::canonicalize(path).map_err(|e| {
                Problem::new(Location::file(name), format!("cannot resolve path: {e}"))
            })?;
            Value::String(abs.display().to_string())
        };
        let mut data = RawMap::default();
        data.insert(key, raw_json(&value));
        sink.item(RawItem::data(data, Location::file(name)));
        Ok(())
    }
}
