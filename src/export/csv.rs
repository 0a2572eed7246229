//! `CSV` and `TSV`: one row per item, columns = the sorted union over all items (task data
//! keys, `id`, control names, chat transcripts, `agreement`, `history`, and the annotation
//! fields), written as Python's `csv.DictWriter(quoting=QUOTE_NONNUMERIC)` writes them:
//! strings quoted with `"` doubled, numbers and booleans bare (`True`), missing and null
//! cells `""`, rows ended by `\r\n`. The file is `result.csv` for both delimiters.
//!
//! The column set needs every item: rows are spilled to a file beside the output while the
//! columns are gathered, then copied into place in column order (see [`CsvExporter`]).
//! Memory holds one task and the column names.

use super::model::{Item, ItemOptions, annotator, prettify};
use super::pyjson::{Exponent, JsonStyle, dumps, number_repr, py_str};
use super::{ExportContext, ExportType, Exporter, TaskSource};
use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Mutex;

/// Always present, whatever the items hold (CSV's columns, JSON_MIN's keys).
pub(super) const FIXED: [&str; 5] = [
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
    crate::util::truthy(Some(v))
}

fn input_map(item: &Item) -> Option<&serde_json::Map<String, Value>> {
    item.input.as_object()
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

/// A row cell: which name it is assigned to, in the converter's order of assignment (a
/// later assignment to the same column wins).
enum Name<'a> {
    /// `id`, a control, a transcript, the annotation fields: the column is the name.
    Plain(&'a str),
    /// A task data key: `_data_<key>` when some control has that name.
    Input(&'a str),
}

/// Calls `cell` for every cell of an item's row, in the converter's order.
fn cells(mut item: Item, mut cell: impl FnMut(Name, Option<&Value>)) {
    let compact = JsonStyle::ujson(None, false);
    if !item.id.is_null() {
        cell(Name::Plain("id"), Some(&item.id));
    }
    for (name, regions) in std::mem::take(&mut item.output) {
        let chat = is_chat(&regions);
        let pretty = prettify(regions);
        let chat = chat.then(|| Value::String(transcript(&pretty)));
        let text = match pretty {
            Value::String(_) => pretty,
            other => Value::String(dumps(&other, &compact)),
        };
        cell(Name::Plain(&name), Some(&text));
        if let Some(t) = chat {
            cell(Name::Plain(&format!("{name}_transcript")), Some(&t));
        }
    }
    if let Some(m) = input_map(&item) {
        for (k, v) in m {
            match v {
                Value::Object(_) | Value::Array(_) => {
                    cell(Name::Input(k), Some(&Value::String(dumps(v, &compact))))
                }
                other => cell(Name::Input(k), Some(other)),
            }
        }
    }
    cell(Name::Plain("annotator"), Some(&annotator(&item, false)));
    cell(Name::Plain("annotation_id"), Some(&item.annotation_id));
    cell(Name::Plain("created_at"), Some(&item.created_at));
    cell(Name::Plain("updated_at"), Some(&item.updated_at));
    cell(Name::Plain("lead_time"), Some(&item.lead_time));
    if let Some(a) = &item.agreement {
        cell(Name::Plain("agreement"), Some(a));
    }
    if truthy(&item.history) {
        let h = Value::String(dumps(&item.history, &compact));
        cell(Name::Plain("history"), Some(&h));
    }
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
    if !s.as_bytes().contains(&b'"') {
        out.extend_from_slice(s.as_bytes());
    } else {
        for &b in s.as_bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
    }
    out.push(b'"');
}

/// Names seen so far, each with an id, and whether it came as a data key or as anything
/// else (a name can be both).
#[derive(Default)]
struct Names {
    ids: HashMap<String, u32, std::hash::BuildHasherDefault<crate::util::Fnv>>,
    names: Vec<String>,
    plain: Vec<bool>,
    input: Vec<bool>,
    output: HashSet<String>,
}

impl Names {
    fn id(&mut self, name: &str, input: bool) -> u32 {
        let id = match self.ids.get(name) {
            Some(&id) => id,
            None => {
                let id = self.names.len() as u32;
                self.ids.insert(name.to_string(), id);
                self.names.push(name.to_string());
                self.plain.push(false);
                self.input.push(false);
                id
            }
        };
        if input {
            self.input[id as usize] = true;
        } else {
            self.plain[id as usize] = true;
        }
        id
    }
}

/// One task's rows rendered on a worker: the cells' texts with the names they go to, and
/// the control names of its items. The writer gives the names their ids.
#[derive(Default)]
struct TaskRows {
    /// Names and cell texts, back to back; the ranges below point into them.
    names: String,
    text: Vec<u8>,
    /// Per cell: name range, data-key flag, text range.
    cells: Vec<(u32, u32, bool, u32, u32)>,
    /// Per item: how many cells it has.
    rows: Vec<u32>,
    /// Ranges in `names` of the items' control names.
    outputs: Vec<(u32, u32)>,
}

impl TaskRows {
    fn of(items: Vec<Item>) -> TaskRows {
        let mut t = TaskRows::default();
        for item in items {
            for name in item.output.keys() {
                let start = t.names.len() as u32;
                t.names.push_str(name);
                t.outputs.push((start, t.names.len() as u32));
            }
            let first = t.cells.len();
            cells(item, |name, v| {
                let (name, input) = match name {
                    Name::Plain(s) => (s, false),
                    Name::Input(s) => (s, true),
                };
                let start = t.names.len() as u32;
                t.names.push_str(name);
                let text_start = t.text.len() as u32;
                push_cell(&mut t.text, v);
                t.cells.push((
                    start,
                    t.names.len() as u32,
                    input,
                    text_start,
                    t.text.len() as u32,
                ));
            });
            t.rows.push((t.cells.len() - first) as u32);
        }
        t
    }

    fn name(&self, (start, end): (u32, u32)) -> &str {
        &self.names[start as usize..end as usize]
    }

    /// The rows in spill form. The names get their ids under the lock, held for the
    /// lookups only.
    fn spill(&self, names: &Mutex<Names>) -> Vec<u8> {
        let ids: Vec<u32> = {
            let mut names = names.lock().unwrap_or_else(|e| e.into_inner());
            for &r in &self.outputs {
                let name = self.name(r);
                if !names.output.contains(name) {
                    names.output.insert(name.to_string());
                }
            }
            self.cells
                .iter()
                .map(|&(s, e, input, _, _)| names.id(self.name((s, e)), input))
                .collect()
        };
        let mut out = Vec::with_capacity(self.text.len() + 9 * ids.len() + 4 * self.rows.len());
        let mut cells = self.cells.iter().zip(ids);
        for &n in &self.rows {
            put_u32(&mut out, n);
            for (&(_, _, input, ts, te), id) in cells.by_ref().take(n as usize) {
                put_u32(&mut out, id);
                out.push(u8::from(input));
                put_u32(&mut out, te - ts);
                out.extend_from_slice(&self.text[ts as usize..te as usize]);
            }
        }
        out
    }
}

/// Rows are written once, to a spill file beside the output, as (name id, data-key flag,
/// cell text) entries, while the column set is gathered; then the header is known and the
/// spill is copied into `result.csv` in column order. One pass over the tasks, memory
/// bounded by the number of columns. The cells are rendered on the worker threads; the
/// writer only numbers the names.
pub struct CsvExporter {
    pub delimiter: u8,
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
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
        let spill_path = out_dir.join(".rows.spill");
        let result = self.write_via(ctx, tasks, out_dir, &spill_path, &opts);
        let _ = std::fs::remove_file(&spill_path);
        result
    }
}

impl CsvExporter {
    fn write_via(
        &self,
        _ctx: &ExportContext,
        tasks: &mut dyn TaskSource,
        out_dir: &Path,
        spill_path: &Path,
        opts: &ItemOptions,
    ) -> Result<()> {
        let spill_err = |e: std::io::Error| Error::io(spill_path, e);
        let mut names = Names::default();
        for f in FIXED {
            names.id(f, false);
        }
        let shared = Mutex::new(names);
        {
            let file = std::fs::File::create(spill_path).map_err(spill_err)?;
            let mut spill = std::io::BufWriter::with_capacity(1 << 20, file);
            let render = |group: super::ItemGroup| Ok(TaskRows::of(group.items).spill(&shared));
            tasks.for_each_rendered(opts, &render, &mut |rec| {
                spill.write_all(&rec).map_err(spill_err)
            })?;
            spill.flush().map_err(spill_err)?;
        }
        let names = shared.into_inner().unwrap_or_else(|e| e.into_inner());

        // The columns: plain names as they are, data keys renamed when a control has the name.
        let input_column = |name: &str| {
            if names.output.contains(name) {
                format!("_data_{name}")
            } else {
                name.to_string()
            }
        };
        let mut header: BTreeSet<String> = BTreeSet::new();
        for (i, name) in names.names.iter().enumerate() {
            if names.plain[i] {
                header.insert(name.clone());
            }
            if names.input[i] {
                header.insert(input_column(name));
            }
        }
        let header: Vec<String> = header.into_iter().collect();
        let position: HashMap<&str, usize> = header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.as_str(), i))
            .collect();
        let plain_col: Vec<Option<usize>> = names
            .names
            .iter()
            .map(|n| position.get(n.as_str()).copied())
            .collect();
        let input_col: Vec<Option<usize>> = names
            .names
            .iter()
            .map(|n| position.get(input_column(n).as_str()).copied())
            .collect();

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

        let file = std::fs::File::open(spill_path).map_err(spill_err)?;
        let mut spill = std::io::BufReader::with_capacity(1 << 20, file);
        let mut slots: Vec<Option<(usize, usize)>> = vec![None; header.len()];
        let mut row: Vec<u8> = Vec::with_capacity(4096);
        let mut word = [0u8; 4];
        loop {
            match spill.read_exact(&mut word) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(spill_err(e)),
            }
            let n = u32::from_le_bytes(word);
            row.clear();
            slots.iter_mut().for_each(|s| *s = None);
            for _ in 0..n {
                spill.read_exact(&mut word).map_err(spill_err)?;
                let id = u32::from_le_bytes(word) as usize;
                let mut flag = [0u8; 1];
                spill.read_exact(&mut flag).map_err(spill_err)?;
                spill.read_exact(&mut word).map_err(spill_err)?;
                let len = u32::from_le_bytes(word) as usize;
                let start = row.len();
                row.resize(start + len, 0);
                spill.read_exact(&mut row[start..]).map_err(spill_err)?;
                let col = if flag[0] == 1 {
                    input_col[id]
                } else {
                    plain_col[id]
                };
                if let Some(c) = col {
                    slots[c] = Some((start, len));
                }
            }
            line.clear();
            for (i, slot) in slots.iter().enumerate() {
                if i > 0 {
                    line.push(self.delimiter);
                }
                match slot {
                    Some((start, len)) => line.extend_from_slice(&row[*start..start + len]),
                    None => line.extend_from_slice(b"\"\""),
                }
            }
            line.extend_from_slice(b"\r\n");
            w.write_all(&line).map_err(io_err)?;
        }
        w.flush().map_err(io_err)?;
        Ok(())
    }
}
