//! `PARQUET` (labelterm's own; Label Studio has no Parquet export): one row per task, for
//! the reader of a training set. Columns, in order:
//! - `id`, the task id;
//! - one column per data key, in first-seen order, typed from its values (booleans, 64-bit
//!   integers, doubles, strings, lists of strings; anything else, or a mix, as JSON text);
//!   a key that collides with another column is written `_data_<key>`, as CSV does;
//! - `annotations` and `predictions`, the task's Label Studio JSON lists as text;
//! - `annotator`, who made the chosen annotation (the ground truth if one is starred,
//!   else the most recently updated one that was not skipped): an email where the
//!   project knows it, else the user id;
//! - one column per control with the chosen annotation's value, prettified as CSV and
//!   JSON_MIN write it (`sentiment = "Positive"`, a list for several choices).
//!
//! The column types need every task, so rows are spilled as JSON lines beside the output
//! while the types are gathered, then written in row groups of [`ROW_GROUP`] rows. The
//! label config goes into the file's metadata (`label_config`).

use super::model::{Item, ItemOptions, items_of_task, prettify};
use super::{ExportContext, ExportType, Exporter, TaskSource};
use crate::error::{Error, Result};
use arrow_array::builder::{Float64Builder, Int64Builder, ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use indexmap::IndexMap;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde_json::{Map, Value, json};
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;

/// Rows per row group (and per batch handed to the writer): memory holds one batch.
const ROW_GROUP: usize = 16 * 1024;

/// The JSON types a column has held, to choose its Parquet type.
#[derive(Debug, Default, Clone, Copy)]
struct Seen {
    bools: bool,
    ints: bool,
    floats: bool,
    strings: bool,
    string_lists: bool,
    other: bool,
}

impl Seen {
    fn add(&mut self, v: &Value) {
        match v {
            Value::Null => {}
            Value::Bool(_) => self.bools = true,
            Value::Number(n) if n.is_i64() => self.ints = true,
            Value::Number(_) => self.floats = true,
            Value::String(_) => self.strings = true,
            Value::Array(a) if a.iter().all(Value::is_string) => self.string_lists = true,
            _ => self.other = true,
        }
    }

    /// A control's column: one choice is a string and several a list, so a column that
    /// holds both is a list column.
    fn control_kind(self) -> Kind {
        if self.string_lists && !(self.bools || self.ints || self.floats || self.other) {
            Kind::StringList
        } else {
            self.kind()
        }
    }

    fn kind(self) -> Kind {
        let Seen {
            bools,
            ints,
            floats,
            strings,
            string_lists,
            other,
        } = self;
        match (bools, ints, floats, strings, string_lists, other) {
            (true, false, false, false, false, false) => Kind::Bool,
            (false, true, false, false, false, false) => Kind::Int,
            (false, _, true, false, false, false) => Kind::Float,
            (false, false, false, false, true, false) => Kind::StringList,
            // Strings, nothing but nulls, and any mix.
            _ => Kind::Text,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Bool,
    Int,
    Float,
    /// Strings as themselves, anything else as JSON text.
    Text,
    StringList,
}

impl Kind {
    fn data_type(self) -> DataType {
        match self {
            Kind::Bool => DataType::Boolean,
            Kind::Int => DataType::Int64,
            Kind::Float => DataType::Float64,
            Kind::Text => DataType::Utf8,
            Kind::StringList => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        }
    }
}

/// Where a column's values come from in a spilled row.
#[derive(Debug, Clone)]
enum Source {
    Id,
    Data(String),
    Annotations,
    Predictions,
    Annotator,
    Control(String),
}

/// One spilled row.
#[derive(serde::Serialize, serde::Deserialize)]
struct Row {
    id: Value,
    data: Map<String, Value>,
    annotations: String,
    predictions: String,
    annotator: Value,
    controls: Map<String, Value>,
}

pub struct ParquetExporter;

impl Exporter for ParquetExporter {
    fn export_type(&self) -> ExportType {
        ExportType::Parquet
    }

    fn write(&self, ctx: &ExportContext, tasks: &mut dyn TaskSource, out_dir: &Path) -> Result<()> {
        let spill_path = out_dir.join(".rows.spill");
        let result = write_via(ctx, tasks, out_dir, &spill_path);
        let _ = std::fs::remove_file(&spill_path);
        result
    }
}

/// The annotation a row shows: the ground truth, else the latest updated not skipped.
fn chosen(annotations: &[Value]) -> Option<&Value> {
    let live = |a: &&Value| !crate::util::truthy(a.get("was_cancelled"));
    annotations
        .iter()
        .find(|a| crate::util::truthy(a.get("ground_truth")) && live(a))
        .or_else(|| {
            // Ties go to the later one in the list.
            annotations.iter().filter(live).max_by_key(|a| {
                a.get("updated_at")
                    .or_else(|| a.get("created_at"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
            })
        })
}

fn row_of(task: Value, opts: &ItemOptions) -> Row {
    let annotations = task
        .get("annotations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let chosen = chosen(&annotations);
    let mut controls = Map::new();
    if let Some(id) = chosen.and_then(|a| a.get("id")) {
        let items: Vec<Item> = items_of_task(&task, opts);
        if let Some(item) = items.into_iter().find(|i| &i.annotation_id == id) {
            for (name, regions) in item.output {
                controls.insert(name, plain(prettify(regions)));
            }
        }
    }
    let who = chosen.map_or(Value::Null, who_of);
    let text =
        |key: &str| serde_json::to_string(task.get(key).unwrap_or(&json!([]))).unwrap_or_default();
    Row {
        id: task.get("id").cloned().unwrap_or(Value::Null),
        annotations: text("annotations"),
        predictions: text("predictions"),
        data: match task.get("data") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        },
        annotator: who,
        controls,
    }
}

/// Who made an annotation: the email of Label Studio's `created_username` ("email, id"),
/// else `completed_by` as written.
fn who_of(annotation: &Value) -> Value {
    let email = annotation
        .get("created_username")
        .and_then(Value::as_str)
        .and_then(crate::task::created_username)
        .map(|(email, _)| email);
    match email {
        Some(e) => Value::String(e.to_string()),
        None => annotation
            .get("completed_by")
            .cloned()
            .unwrap_or(Value::Null),
    }
}

/// A prettified value as a column holds it: `{"choices": ["A", "B"]}` (several choices,
/// texts or taxonomy paths of one region) is its list.
fn plain(v: Value) -> Value {
    match v {
        Value::Object(m) if m.len() == 1 => {
            let (k, inner) = m.into_iter().next().expect("one entry");
            if matches!(&inner, Value::Array(a) if a.iter().all(Value::is_string)) {
                inner
            } else {
                Value::Object([(k, inner)].into_iter().collect())
            }
        }
        v => v,
    }
}

fn write_via(
    ctx: &ExportContext,
    tasks: &mut dyn TaskSource,
    out_dir: &Path,
    spill_path: &Path,
) -> Result<()> {
    let opts = ItemOptions {
        config: ctx.config,
        keypoints: false,
    };
    let spill_err = |e: std::io::Error| Error::io(spill_path, e);
    // First pass: rows to the spill, column types gathered.
    let mut data_seen: IndexMap<String, Seen> = IndexMap::new();
    let mut control_seen: IndexMap<String, Seen> = ctx
        .config
        .controls
        .iter()
        .filter(|c| c.name_pattern.is_none())
        .map(|c| (c.name.clone(), Seen::default()))
        .collect();
    let mut annotator_seen = Seen::default();
    {
        let file = std::fs::File::create(spill_path).map_err(spill_err)?;
        let mut spill = std::io::BufWriter::with_capacity(1 << 20, file);
        tasks.for_each_task(&mut |t| {
            let row = row_of(t.json, &opts);
            for (k, v) in &row.data {
                data_seen.entry(k.clone()).or_default().add(v);
            }
            for (k, v) in &row.controls {
                control_seen.entry(k.clone()).or_default().add(v);
            }
            annotator_seen.add(&row.annotator);
            serde_json::to_writer(&mut spill, &row).map_err(|e| spill_err(e.into()))?;
            spill.write_all(b"\n").map_err(spill_err)
        })?;
        spill.flush().map_err(spill_err)?;
    }
    // The columns, named as the reader will see them.
    let mut columns: Vec<(String, Source, Kind)> = vec![("id".into(), Source::Id, Kind::Int)];
    let fixed = ["id", "annotations", "predictions", "annotator"];
    for (k, seen) in &data_seen {
        let clash = fixed.contains(&k.as_str()) || control_seen.contains_key(k);
        let name = if clash {
            format!("_data_{k}")
        } else {
            k.clone()
        };
        columns.push((name, Source::Data(k.clone()), seen.kind()));
    }
    columns.push(("annotations".into(), Source::Annotations, Kind::Text));
    columns.push(("predictions".into(), Source::Predictions, Kind::Text));
    let who_kind = match annotator_seen.kind() {
        Kind::Int => Kind::Int,
        _ => Kind::Text,
    };
    columns.push(("annotator".into(), Source::Annotator, who_kind));
    for (k, seen) in &control_seen {
        if !fixed.contains(&k.as_str()) {
            columns.push((k.clone(), Source::Control(k.clone()), seen.control_kind()));
        }
    }
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, source, kind)| {
            Field::new(
                name,
                kind.data_type(),
                !matches!(source, Source::Annotations | Source::Predictions),
            )
        })
        .collect();
    let schema = Arc::new(
        Schema::new(fields)
            .with_metadata([("label_config".to_string(), ctx.config.source.clone())].into()),
    );
    // Second pass: the spill into row groups.
    let target = out_dir.join("result.parquet");
    let io_err = |e: std::io::Error| Error::io(&target, e);
    let parquet_err =
        |e: parquet::errors::ParquetError| Error::io(&target, std::io::Error::other(e));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_size(ROW_GROUP)
        .set_created_by(format!("labelterm {}", env!("CARGO_PKG_VERSION")))
        .build();
    let file = std::fs::File::create(&target).map_err(io_err)?;
    let mut writer = ArrowWriter::try_new(
        std::io::BufWriter::with_capacity(1 << 20, file),
        schema.clone(),
        Some(props),
    )
    .map_err(parquet_err)?;
    let reader = std::io::BufReader::with_capacity(
        1 << 20,
        std::fs::File::open(spill_path).map_err(spill_err)?,
    );
    let mut rows: Vec<Row> = Vec::with_capacity(ROW_GROUP);
    let flush = |rows: &mut Vec<Row>, writer: &mut ArrowWriter<_>| -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = columns
            .iter()
            .map(|(_, source, kind)| column(rows, source, *kind))
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays)
            .map_err(|e| Error::io(&target, std::io::Error::other(e)))?;
        writer.write(&batch).map_err(parquet_err)?;
        rows.clear();
        Ok(())
    };
    for line in reader.lines() {
        let line = line.map_err(spill_err)?;
        rows.push(serde_json::from_str(&line).map_err(|e| spill_err(e.into()))?);
        if rows.len() == ROW_GROUP {
            flush(&mut rows, &mut writer)?;
        }
    }
    flush(&mut rows, &mut writer)?;
    let mut out = writer.into_inner().map_err(parquet_err)?;
    out.flush().map_err(io_err)?;
    Ok(())
}

/// The value of `source` in `row`, if any.
fn value<'r>(row: &'r Row, source: &Source) -> Option<&'r Value> {
    match source {
        Source::Id => Some(&row.id),
        Source::Data(k) => row.data.get(k),
        Source::Annotator => Some(&row.annotator),
        Source::Control(k) => row.controls.get(k),
        Source::Annotations | Source::Predictions => None,
    }
}

/// One column of a batch.
fn column(rows: &[Row], source: &Source, kind: Kind) -> ArrayRef {
    match source {
        Source::Annotations | Source::Predictions => {
            let mut b = StringBuilder::new();
            for r in rows {
                b.append_value(match source {
                    Source::Annotations => &r.annotations,
                    _ => &r.predictions,
                });
            }
            return Arc::new(b.finish());
        }
        _ => {}
    }
    let values = rows
        .iter()
        .map(|r| value(r, source).filter(|v| !v.is_null()));
    match kind {
        Kind::Bool => Arc::new(
            values
                .map(|v| v.and_then(Value::as_bool))
                .collect::<arrow_array::BooleanArray>(),
        ) as ArrayRef,
        Kind::Int => {
            let mut b = Int64Builder::with_capacity(rows.len());
            values.for_each(|v| b.append_option(v.and_then(Value::as_i64)));
            Arc::new(b.finish())
        }
        Kind::Float => {
            let mut b = Float64Builder::with_capacity(rows.len());
            values.for_each(|v| b.append_option(v.and_then(Value::as_f64)));
            Arc::new(b.finish())
        }
        Kind::Text => {
            let mut b = StringBuilder::new();
            for v in values {
                match v {
                    None => b.append_null(),
                    Some(Value::String(s)) => b.append_value(s),
                    Some(other) => b.append_value(other.to_string()),
                }
            }
            Arc::new(b.finish())
        }
        Kind::StringList => {
            let mut b = ListBuilder::new(StringBuilder::new());
            for v in values {
                match v {
                    Some(Value::Array(items)) => {
                        for s in items {
                            b.values().append_option(s.as_str());
                        }
                        b.append(true);
                    }
                    Some(Value::String(one)) => {
                        b.values().append_value(one);
                        b.append(true);
                    }
                    _ => b.append(false),
                }
            }
            Arc::new(b.finish())
        }
    }
}
