//! `CSV` and `TSV`: one row per item, columns = the sorted union over all items (task data
//! keys, `id`, control names, chat transcripts, `agreement`, `history`, and the annotation
//! fields), written as Python's `csv.DictWriter(quoting=QUOTE_NONNUMERIC)` writes them:
//! strings quoted with `"` doubled, numbers and booleans bare (`True`), missing and null
//! cells `""`, rows ended by `\r\n`. The file is `result.csv` for both delimiters.
//!
//! The column set needs every item, so the source is read twice: once for the column
//! names (a small set), once to write the rows. Memory holds one task at a time.

use super::model::{Item, ItemOptions, annotator, items_of_task, prettify};
use super::pyjson::{Exponent, JsonStyle, dumps, number_repr, py_str};
use super::{ExportContext, ExportType, Exporter, TaskSource};
use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::Path;

/// Always present, whatever the items hold.
const FIXED: [&str; 5] = [
    "annotator",
    "annotation_id",
    "created_at",
    "updated_at",
    "lead_time",
];

fn is_chat(regions: &[serde_json::Map<String, Value>]) -> bool {
    regions.iter().any(|r| {
        matches!(
            r.get("type").and_then(Value::as_str),
            Some("Chat") | Some("chatmessage")
        )
    })
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn input_map(item: &Item) -> Option<&serde_json::Map<String, Value>> {
    item.input.as_object()
}

/// The column names, gathered in the first pass.
#[derive(Default)]
struct Columns {
    input: HashSet<String>,
    output: HashSet<String>,
    other: HashSet<String>,
}

impl Columns {
    fn add(&mut self, item: &Item) {
        if let Some(m) = input_map(item) {
            for k in m.keys() {
                if !self.input.contains(k) {
                    self.input.insert(k.clone());
                }
            }
        }
        if !item.id.is_null() {
            self.other.insert("id".into());
        }
        for (name, regions) in &item.output {
            if !self.output.contains(name) {
                self.output.insert(name.clone());
            }
            if is_chat(regions) {
                self.other.insert(format!("{name}_transcript"));
            }
        }
        if item.agreement.is_some() {
            self.other.insert("agreement".into());
        }
        if truthy(&item.history) {
            self.other.insert("history".into());
        }
    }

    /// Data keys that are also control names; their data columns become `_data_<key>`.
    fn colliding(&self) -> HashSet<String> {
        self.input.intersection(&self.output).cloned().collect()
    }

    fn sorted(&self, colliding: &HashSet<String>) -> Vec<String> {
        let mut all: BTreeSet<String> = FIXED.iter().map(|s| s.to_string()).collect();
        for k in &self.input {
            all.insert(input_column(k, colliding));
        }
        all.extend(self.output.iter().cloned());
        all.extend(self.other.iter().cloned());
        // Python sorts str by code point, which is UTF-8 byte order.
        all.into_iter().collect()
    }
}

fn input_column(name: &str, colliding: &HashSet<String>) -> String {
    if colliding.contains(name) {
        format!("_data_{name}")
    } else {
        name.to_string()
    }
}

/// The chat transcript column: `role: content` per message.
fn transcript(pretty: &Value) -> String {
    let mut lines = Vec::new();
    if let Value::Array(messages) = pretty {
        for m in messages {
            let Value::Object(m) = m else { continue };
            let role = m.get("role").map(py_str).unwrap_or_default();
            let content = m.get("content").map(py_str).unwrap_or_default();
            lines.push(if role.is_empty() {
                content
            } else if content.is_empty() {
                format!("{role}:")
            } else {
                format!("{role}: {content}")
            });
        }
    }
    lines.join("\n")
}

/// One row: column → value, assigned in the converter's order (later assignments win).
fn row(item: &Item, colliding: &HashSet<String>) -> HashMap<String, Value> {
    let compact = JsonStyle::ujson(None, false);
    let mut r: HashMap<String, Value> = HashMap::new();
    if !item.id.is_null() {
        r.insert("id".into(), item.id.clone());
    }
    for (name, regions) in &item.output {
        let pretty = prettify(regions);
        let cell = match &pretty {
            Value::String(s) => s.clone(),
            other => dumps(other, &compact),
        };
        r.insert(name.clone(), Value::String(cell));
        if is_chat(regions) {
            r.insert(
                format!("{name}_transcript"),
                Value::String(transcript(&pretty)),
            );
        }
    }
    if let Some(m) = input_map(item) {
        for (k, v) in m {
            let cell = match v {
                Value::Object(_) | Value::Array(_) => Value::String(dumps(v, &compact)),
                other => other.clone(),
            };
            r.insert(input_column(k, colliding), cell);
        }
    }
    r.insert("annotator".into(), annotator(item, false));
    r.insert("annotation_id".into(), item.annotation_id.clone());
    r.insert("created_at".into(), item.created_at.clone());
    r.insert("updated_at".into(), item.updated_at.clone());
    r.insert("lead_time".into(), item.lead_time.clone());
    if let Some(a) = &item.agreement {
        r.insert("agreement".into(), a.clone());
    }
    if truthy(&item.history) {
        r.insert(
            "history".into(),
            Value::String(dumps(&item.history, &compact)),
        );
    }
    r
}

/// Appends one cell as `QUOTE_NONNUMERIC` writes it.
fn push_cell(out: &mut Vec<u8>, v: Option<&Value>) {
    match v {
        None | Some(Value::Null) => out.extend_from_slice(b"\"\""),
        Some(Value::Bool(b)) => out.extend_from_slice(if *b { b"True" } else { b"False" }),
        Some(Value::Number(n)) => {
            out.extend_from_slice(number_repr(n, Exponent::Python).as_bytes())
        }
        Some(Value::String(s)) => push_quoted(out, s),
        // Cells are never containers: those were turned into JSON text above.
        Some(other) => push_quoted(out, &py_str(other)),
    }
}

fn push_quoted(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &b in s.as_bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

pub struct CsvExporter {
    pub delimiter: u8,
}

impl Exporter for CsvExporter {
    fn export_type(&self) -> ExportType {
        if self.delimiter == b'\t' {
            ExportType::Tsv
        } else {
            ExportType::Csv
        }
    }

    fn write(&self, ctx: &ExportContext, tasks: &mut dyn TaskSource, out_dir: &Path) -> Result<()> {
        let opts = ItemOptions {
            config: ctx.config,
            keypoints: false,
        };
        let mut columns = Columns::default();
        tasks.for_each_task(&mut |t| {
            for item in items_of_task(&t.json, &opts) {
                columns.add(&item);
            }
            Ok(())
        })?;
        let colliding = columns.colliding();
        let header = columns.sorted(&colliding);

        let target = out_dir.join("result.csv");
        let io_err = |e: std::io::Error| Error::io(&target, e);
        let file = std::fs::File::create(&target).map_err(io_err)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        let mut line: Vec<u8> = Vec::with_capacity(4096);
        for (i, h) in header.iter().enumerate() {
            if i > 0 {
                line.push(self.delimiter);
            }
            push_quoted(&mut line, h);
        }
        line.extend_from_slice(b"\r\n");
        w.write_all(&line).map_err(io_err)?;
        tasks.for_each_task(&mut |t| {
            for item in items_of_task(&t.json, &opts) {
                let r = row(&item, &colliding);
                line.clear();
                for (i, h) in header.iter().enumerate() {
                    if i > 0 {
                        line.push(self.delimiter);
                    }
                    push_cell(&mut line, r.get(h));
                }
                line.extend_from_slice(b"\r\n");
                w.write_all(&line).map_err(io_err)?;
            }
            Ok(())
        })?;
        w.flush().map_err(io_err)?;
        Ok(())
    }
}
