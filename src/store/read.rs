//! Reading the store: counts, the import log, and the row types and columns of whole
//! tasks, which `export.rs` streams in id order without loading them all.

use super::Result;
use super::Store;
use rusqlite::Row;

#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    pub id: i64,
    pub inner_id: i64,
    /// Task data as JSON text.
    pub data: String,
    pub meta: String,
    pub source: Option<String>,
    /// Absolute directory of the import this task came from (None for URLs).
    pub base_dir: Option<String>,
    pub source_line: Option<i64>,
    pub original_id: Option<i64>,
    pub allow_skip: bool,
    pub total_annotations: i64,
    pub cancelled_annotations: i64,
    pub total_predictions: i64,
    pub is_labeled: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnnotationRow {
    pub id: i64,
    pub task_id: i64,
    /// The result list as JSON text.
    pub result: String,
    pub completed_by: Option<i64>,
    pub completed_by_email: Option<String>,
    pub was_cancelled: bool,
    pub ground_truth: bool,
    pub lead_time: Option<f64>,
    pub import_id: Option<i64>,
    pub parent_prediction: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    /// Counts the changes of the annotation after it was made (see `annotate::Expect`).
    pub revision: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PredictionRow {
    pub id: i64,
    pub task_id: i64,
    pub result: String,
    pub score: Option<f64>,
    pub model_version: String,
    pub created_at: String,
}

/// A task with everything attached to it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFull {
    pub task: TaskRow,
    pub annotations: Vec<AnnotationRow>,
    pub predictions: Vec<PredictionRow>,
    /// Review decisions on its annotations, by annotation then oldest first.
    pub reviews: Vec<super::reviews::ReviewRow>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tasks: i64,
    /// Annotations that were submitted (not skipped).
    pub annotations: i64,
    /// Skipped (cancelled) annotations.
    pub skipped: i64,
    pub predictions: i64,
    /// Tasks with at least one submitted annotation.
    pub labeled: i64,
    pub drafts: i64,
    pub users: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportLogRow {
    pub id: i64,
    pub source: String,
    pub format: String,
    pub sha256: Option<String>,
    pub bytes: Option<i64>,
    pub task_count: i64,
    pub annotation_count: i64,
    pub prediction_count: i64,
    pub warnings: Vec<String>,
    pub imported_at: String,
}

pub(crate) const TASK_COLUMNS: &str = "t.id, t.inner_id, d.data, d.meta, i.source, t.source_line,
    t.original_id, t.allow_skip, t.total_annotations, t.cancelled_annotations,
    t.total_predictions, t.is_labeled, t.created_at, t.updated_at, i.base_dir";

/// The tables [`TASK_COLUMNS`] reads from.
pub(crate) const TASK_FROM: &str =
    "tasks t JOIN task_data d ON d.task_id = t.id LEFT JOIN imports i ON i.id = t.import_id";

pub(crate) fn task_row(r: &Row) -> rusqlite::Result<TaskRow> {
    Ok(TaskRow {
        id: r.get(0)?,
        inner_id: r.get(1)?,
        data: r.get(2)?,
        meta: r.get(3)?,
        source: r.get(4)?,
        source_line: r.get(5)?,
        original_id: r.get(6)?,
        allow_skip: r.get(7)?,
        total_annotations: r.get(8)?,
        cancelled_annotations: r.get(9)?,
        total_predictions: r.get(10)?,
        is_labeled: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
        base_dir: r.get(14)?,
    })
}

pub(crate) const ANNOTATION_COLUMNS: &str = "a.id, a.task_id, a.result, a.completed_by, u.email,
    a.was_cancelled, a.ground_truth, a.lead_time, a.import_id, a.parent_prediction,
    a.created_at, a.updated_at, a.revision";

pub(crate) fn annotation_row(r: &Row) -> rusqlite::Result<AnnotationRow> {
    Ok(AnnotationRow {
        id: r.get(0)?,
        task_id: r.get(1)?,
        result: r.get(2)?,
        completed_by: r.get(3)?,
        completed_by_email: r.get(4)?,
        was_cancelled: r.get(5)?,
        ground_truth: r.get(6)?,
        lead_time: r.get(7)?,
        import_id: r.get(8)?,
        parent_prediction: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
        revision: r.get(12)?,
    })
}

pub(crate) const PREDICTION_COLUMNS: &str =
    "p.id, p.task_id, p.result, p.score, p.model_version, p.created_at";

pub(crate) fn prediction_row(r: &Row) -> rusqlite::Result<PredictionRow> {
    Ok(PredictionRow {
        id: r.get(0)?,
        task_id: r.get(1)?,
        result: r.get(2)?,
        score: r.get(3)?,
        model_version: r.get(4)?,
        created_at: r.get(5)?,
    })
}

impl Store {
    pub fn counts(&self) -> Result<Counts> {
        let c = self.conn();
        let one = |sql: &str| -> Result<i64> { Ok(c.query_row(sql, [], |r| r.get(0))?) };
        Ok(Counts {
            tasks: one("SELECT COUNT(*) FROM tasks")?,
            annotations: one("SELECT COUNT(*) FROM annotations WHERE was_cancelled = 0")?,
            skipped: one("SELECT COUNT(*) FROM annotations WHERE was_cancelled = 1")?,
            predictions: one("SELECT COUNT(*) FROM predictions")?,
            labeled: one("SELECT COUNT(*) FROM tasks WHERE is_labeled = 1")?,
            drafts: one("SELECT COUNT(*) FROM drafts")?,
            users: one("SELECT COUNT(*) FROM users")?,
        })
    }

    /// Tasks with at least one annotation, submitted or skipped: what an export without
    /// `--download-all-tasks` reads (before its other filters).
    pub fn tasks_with_annotations(&self) -> Result<u64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM tasks WHERE total_annotations + cancelled_annotations > 0",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    pub fn imports(&self) -> Result<Vec<ImportLogRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, source, format, sha256, bytes, task_count, annotation_count,
                    prediction_count, warnings, imported_at FROM imports ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            let warnings: String = r.get(8)?;
            Ok(ImportLogRow {
                id: r.get(0)?,
                source: r.get(1)?,
                format: r.get(2)?,
                sha256: r.get(3)?,
                bytes: r.get(4)?,
                task_count: r.get(5)?,
                annotation_count: r.get(6)?,
                prediction_count: r.get(7)?,
                warnings: serde_json::from_str(&warnings).unwrap_or_default(),
                imported_at: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Calls `f` with every annotation result (submitted ones only) or every prediction
    /// result, as JSON text.
    pub fn each_result(&self, predictions: bool, mut f: impl FnMut(&str)) -> Result<()> {
        let sql = if predictions {
            "SELECT result FROM predictions"
        } else {
            "SELECT result FROM annotations WHERE was_cancelled = 0"
        };
        let mut stmt = self.conn().prepare(sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let s: rusqlite::types::ValueRef = r.get_ref(0)?;
            if let rusqlite::types::ValueRef::Text(t) = s {
                f(std::str::from_utf8(t).unwrap_or("null"));
            }
        }
        Ok(())
    }
}
