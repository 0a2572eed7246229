//! Label Studio's full JSON export: every task with its annotations and predictions, in the
//! shape Label Studio writes, so that import → export → import round-trips.

use crate::error::{Error, Result};
use crate::store::TaskFull;
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::Path;

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// How an annotation names its annotator for Label Studio's import: `{"email": ...}`, or
/// null (the importer is credited) for one without an email, never this project's id.
pub fn completed_by_for_import(email: Option<&str>) -> Value {
    match email {
        Some(e) if e.contains('@') => json!({ "email": e }),
        _ => Value::Null,
    }
}

/// The Label Studio JSON of one task.
pub fn task_json(t: &TaskFull, project_id: i64) -> Value {
    let annotations: Vec<Value> = t
        .annotations
        .iter()
        .map(|a| {
            let result = parse(&a.result);
            let result_count = result.as_array().map_or(0, Vec::len);
            let mut m = Map::new();
            m.insert("id".into(), json!(a.id));
            m.insert("completed_by".into(), json!(a.completed_by));
            m.insert("result".into(), result);
            m.insert("was_cancelled".into(), json!(a.was_cancelled));
            m.insert("ground_truth".into(), json!(a.ground_truth));
            m.insert("created_at".into(), json!(a.created_at));
            m.insert("updated_at".into(), json!(a.updated_at));
            m.insert("draft_created_at".into(), Value::Null);
            m.insert("lead_time".into(), json!(a.lead_time));
            m.insert("prediction".into(), json!({}));
            m.insert("result_count".into(), json!(result_count));
            m.insert("import_id".into(), json!(a.import_id));
            m.insert("last_action".into(), Value::Null);
            m.insert("task".into(), json!(t.task.id));
            m.insert("project".into(), json!(project_id));
            m.insert("updated_by".into(), json!(a.completed_by));
            m.insert("parent_prediction".into(), json!(a.parent_prediction));
            m.insert("parent_annotation".into(), Value::Null);
            m.insert("last_created_by".into(), Value::Null);
            // Label Studio's "email, id" form; lets a re-import keep who annotated.
            if let (Some(email), Some(id)) = (&a.completed_by_email, a.completed_by) {
                m.insert("created_username".into(), json!(format!("{email}, {id}")));
            }
            if let Some(reviews) = reviews_json(t, a) {
                m.insert("reviews".into(), reviews);
            }
            Value::Object(m)
        })
        .collect();
    let predictions: Vec<Value> = t
        .predictions
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "result": parse(&p.result),
                "model_version": p.model_version,
                "score": p.score,
                "cluster": null,
                "neighbors": null,
                "mislabeling": 0.0,
                "created_at": p.created_at,
                "updated_at": p.created_at,
                "model": null,
                "model_run": null,
                "task": t.task.id,
                "project": project_id,
            })
        })
        .collect();
    let mut m = Map::new();
    m.insert("id".into(), json!(t.task.id));
    m.insert("annotations".into(), Value::Array(annotations));
    m.insert("file_upload".into(), json!(t.task.source));
    m.insert("drafts".into(), json!([]));
    m.insert("predictions".into(), Value::Array(predictions));
    m.insert("data".into(), parse(&t.task.data));
    m.insert("meta".into(), parse(&t.task.meta));
    m.insert("created_at".into(), json!(t.task.created_at));
    m.insert("updated_at".into(), json!(t.task.updated_at));
    m.insert("inner_id".into(), json!(t.task.inner_id));
    m.insert("total_annotations".into(), json!(t.task.total_annotations));
    m.insert(
        "cancelled_annotations".into(),
        json!(t.task.cancelled_annotations),
    );
    m.insert("total_predictions".into(), json!(t.task.total_predictions));
    m.insert("comment_count".into(), json!(0));
    m.insert("unresolved_comment_count".into(), json!(0));
    m.insert("last_comment_updated_at".into(), Value::Null);
    m.insert("project".into(), json!(project_id));
    m.insert("updated_by".into(), Value::Null);
    m.insert("comment_authors".into(), json!([]));
    Value::Object(m)
}

/// Label Studio Enterprise's review records of an annotation, oldest first, or `None`
/// when it has none (so exports of unreviewed projects keep their shape). Each record:
/// `id`, `annotation`, `created_by` (the reviewer's user id), `created_at`, `accepted`
/// (false when rejected), `comment` (null when empty), and for a fix
/// `fixed_annotation_history` / `previous_annotation_history` (history item ids, which
/// we do not keep apart: the review's own id stands in; null for other decisions) with
/// `fixed_annotation_history_result` (the result the reviewer made) and
/// `previous_annotation_history_result` (the result before it).
pub fn reviews_json(t: &TaskFull, a: &crate::store::AnnotationRow) -> Option<Value> {
    use crate::store::Decision;
    let mine: Vec<&crate::store::ReviewRow> = t
        .reviews
        .iter()
        .filter(|r| r.annotation_id == a.id)
        .collect();
    if mine.is_empty() {
        return None;
    }
    let list = mine
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let fixed = r.decision == Decision::Fixed;
            // What the fix made: what the next fix replaced, else the result now.
            let made = fixed.then(|| {
                mine[i + 1..]
                    .iter()
                    .find(|later| later.decision == Decision::Fixed)
                    .and_then(|later| later.previous_result.as_deref())
                    .unwrap_or(&a.result)
            });
            let mut m = Map::new();
            m.insert("id".into(), json!(r.id));
            m.insert("annotation".into(), json!(a.id));
            m.insert("created_by".into(), json!(r.reviewer));
            m.insert("created_at".into(), json!(r.created_at));
            m.insert("accepted".into(), json!(r.decision.accepts()));
            m.insert(
                "comment".into(),
                if r.comment.is_empty() {
                    Value::Null
                } else {
                    json!(r.comment)
                },
            );
            let history = if fixed { json!(r.id) } else { Value::Null };
            m.insert("fixed_annotation_history".into(), history.clone());
            m.insert("previous_annotation_history".into(), history);
            m.insert(
                "fixed_annotation_history_result".into(),
                made.map_or(Value::Null, parse),
            );
            m.insert(
                "previous_annotation_history_result".into(),
                match (fixed, &r.previous_result) {
                    (true, Some(p)) => parse(p),
                    _ => Value::Null,
                },
            );
            Value::Object(m)
        })
        .collect();
    Some(Value::Array(list))
}

/// Writes `[`, then each task pretty-printed and indented by two spaces, then `]`.
pub struct JsonListWriter<W: Write> {
    out: W,
    count: usize,
    buf: Vec<u8>,
}

impl<W: Write> JsonListWriter<W> {
    pub fn new(mut out: W) -> std::io::Result<Self> {
        out.write_all(b"[")?;
        Ok(JsonListWriter {
            out,
            count: 0,
            buf: Vec::with_capacity(4096),
        })
    }

    pub fn push(&mut self, v: &Value) -> std::io::Result<()> {
        self.buf.clear();
        serde_json::to_writer_pretty(&mut self.buf, v).map_err(std::io::Error::other)?;
        self.out
            .write_all(if self.count == 0 { b"\n  " } else { b",\n  " })?;
        // Strings never hold raw newlines in JSON, so every newline is structural.
        let mut start = 0;
        for (i, &b) in self.buf.iter().enumerate() {
            if b == b'\n' {
                self.out.write_all(&self.buf[start..=i])?;
                self.out.write_all(b"  ")?;
                start = i + 1;
            }
        }
        self.out.write_all(&self.buf[start..])?;
        self.count += 1;
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<usize> {
        self.out
            .write_all(if self.count == 0 { b"]" } else { b"\n]" })?;
        self.out.flush()?;
        Ok(self.count)
    }
}

/// `JSON`: Label Studio's full export. For `convert` the converter copies its input file
/// byte for byte; for a project, every task is written in Label Studio's shape.
pub struct JsonExporter;

impl super::Exporter for JsonExporter {
    fn export_type(&self) -> super::ExportType {
        super::ExportType::Json
    }

    fn write(
        &self,
        ctx: &super::ExportContext,
        tasks: &mut dyn super::TaskSource,
        out_dir: &Path,
    ) -> Result<()> {
        let target = out_dir.join("result.json");
        if let Some(input) = &ctx.input_file {
            std::fs::copy(input, &target).map_err(|e| Error::io(&target, e))?;
            return Ok(());
        }
        let file = std::fs::File::create(&target).map_err(|e| Error::io(&target, e))?;
        let io_err = |e: std::io::Error| Error::io(&target, e);
        if let Some(source) = tasks.project() {
            let o = source.options;
            // Straight from the store: stored JSON text is re-indented, never parsed.
            let mut w = super::json_raw::RawListWriter::new(std::io::BufWriter::with_capacity(
                1 << 20,
                file,
            ))
            .map_err(io_err)?;
            super::stream_project(source, &super::selection(o), &Ok, &mut |t| {
                let users = super::json_raw::UserFields {
                    details: !o.remove_user_details,
                    by_email: o.completed_by_email,
                };
                w.push(&t, users).map_err(io_err)
            })?;
            w.finish().map_err(io_err)?;
            return Ok(());
        }
        let mut w = JsonListWriter::new(std::io::BufWriter::with_capacity(1 << 20, file))
            .map_err(io_err)?;
        tasks.for_each_task(&mut |t| w.push(&t.json).map_err(io_err))?;
        w.finish().map_err(io_err)?;
        Ok(())
    }
}
