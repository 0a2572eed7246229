//! Reading a project for export: tasks streamed in id order with the annotations an export
//! asks for (skipped or not, one user's, reviewed ones) selected in SQL, and predictions
//! optionally left out. Memory holds one task at a time.

use super::Store;
use super::error::{Result, StoreError};
use super::read::{
    ANNOTATION_COLUMNS, PREDICTION_COLUMNS, TASK_COLUMNS, TASK_FROM, TaskFull, annotation_row,
    prediction_row, task_row,
};
use rusqlite::types::Value as SqlValue;

/// Which annotations and predictions an export reads.
#[derive(Debug, Clone, Default)]
pub struct ExportSelection {
    pub drop_skipped: bool,
    /// Only annotations by this user: email/name, or numeric id.
    pub annotator: Option<String>,
    /// Only annotations whose latest review accepted them (accepted, or fixed and
    /// accepted), and only tasks that have one.
    pub only_reviewed: bool,
    /// Only these tasks (ids); `None` reads every task.
    pub task_ids: Option<Vec<i64>>,
    pub predictions: bool,
    /// Read only what the converter's item model needs: the task's id, data and base
    /// directory; each annotation's id, result, `completed_by` id, cancelled flag, lead
    /// time and times. Everything else is left at its default, and no predictions.
    pub converter_fields: bool,
}

/// A failed statement as the error type of an export read's callback.
fn sql<E: From<StoreError>>(e: rusqlite::Error) -> E {
    E::from(StoreError::Sql(e))
}

const LEAN_TASK_COLUMNS: &str = "t.id, d.data, i.base_dir";

fn lean_task_row(r: &rusqlite::Row) -> rusqlite::Result<super::TaskRow> {
    Ok(super::TaskRow {
        id: r.get(0)?,
        inner_id: 0,
        data: r.get(1)?,
        meta: String::new(),
        source: None,
        base_dir: r.get(2)?,
        source_line: None,
        original_id: None,
        allow_skip: true,
        total_annotations: 0,
        cancelled_annotations: 0,
        total_predictions: 0,
        is_labeled: false,
        created_at: String::new(),
        updated_at: String::new(),
    })
}

const LEAN_ANNOTATION_COLUMNS: &str = "a.id, a.task_id, a.result, a.completed_by, a.was_cancelled, a.lead_time, a.created_at, a.updated_at";

fn lean_annotation_row(r: &rusqlite::Row) -> rusqlite::Result<super::AnnotationRow> {
    Ok(super::AnnotationRow {
        id: r.get(0)?,
        task_id: r.get(1)?,
        result: r.get(2)?,
        completed_by: r.get(3)?,
        completed_by_email: None,
        was_cancelled: r.get(4)?,
        ground_truth: false,
        lead_time: r.get(5)?,
        import_id: None,
        parent_prediction: None,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
        revision: 0,
    })
}

/// Where a project keeps review decisions, when it has any: the `reviews` table the
/// review screen writes (the latest decision counts: accepted or fixed), else, in files
/// from elsewhere, a `review_state` column on
/// `annotations` (`'accepted'`), an `accepted` column on `annotations` (1), or an
/// `annotation_reviews` table (`annotation_id`, `accepted`; the latest review decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewSource {
    Reviews,
    StateColumn,
    AcceptedColumn,
    ReviewsTable,
}

impl ReviewSource {
    fn condition(self) -> &'static str {
        match self {
            ReviewSource::Reviews => super::reviews::ACCEPTED_IN_REVIEW_SQL,
            ReviewSource::StateColumn => "a.review_state = 'accepted'",
            ReviewSource::AcceptedColumn => "a.accepted = 1",
            ReviewSource::ReviewsTable => {
                "(SELECT r.accepted FROM annotation_reviews r WHERE r.annotation_id = a.id
                  ORDER BY r.id DESC LIMIT 1) = 1"
            }
        }
    }
}

impl Store {
    fn columns_of(&self, table: &str) -> Result<Vec<String>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT name FROM pragma_table_info(?1)")?;
        let rows = stmt.query_map([table], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Where this project keeps review decisions, if it has any.
    pub fn review_source(&self) -> Result<Option<ReviewSource>> {
        if self.has_reviews()? {
            return Ok(Some(ReviewSource::Reviews));
        }
        let cols = self.columns_of("annotations")?;
        if cols.iter().any(|c| c == "review_state") {
            return Ok(Some(ReviewSource::StateColumn));
        }
        if cols.iter().any(|c| c == "accepted") {
            return Ok(Some(ReviewSource::AcceptedColumn));
        }
        let review_cols = self.columns_of("annotation_reviews")?;
        if ["annotation_id", "accepted"]
            .iter()
            .all(|c| review_cols.iter().any(|x| x == c))
        {
            return Ok(Some(ReviewSource::ReviewsTable));
        }
        Ok(None)
    }

    /// The id of the user an export is limited to: by email/name, else by numeric id.
    fn export_user(&self, who: &str) -> Result<i64> {
        let c = self.conn();
        let by_email: Option<i64> = c
            .query_row("SELECT id FROM users WHERE email = ?1", [who], |r| r.get(0))
            .ok();
        if let Some(id) = by_email {
            return Ok(id);
        }
        if let Ok(id) = who.trim().parse::<i64>()
            && c.query_row("SELECT id FROM users WHERE id = ?1", [id], |r| {
                r.get::<_, i64>(0)
            })
            .is_ok()
        {
            return Ok(id);
        }
        let mut stmt = c.prepare("SELECT id, email FROM users ORDER BY id")?;
        let known: Vec<String> = stmt
            .query_map([], |r| {
                Ok(format!(
                    "{} ({})",
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get::<_, i64>(0)?
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Err(StoreError::NotFound(format!(
            "no user {who:?} in this project; its users: {}",
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        )))
    }

    /// Calls `f` for every task in id order with the selected annotations and predictions.
    /// Errors of the store reach the caller as `E`, the callback's error type.
    pub fn each_task_for_export<E: From<StoreError>>(
        &self,
        sel: &ExportSelection,
        mut f: impl FnMut(TaskFull) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut conditions: Vec<String> = Vec::new();
        let mut params: Vec<SqlValue> = Vec::new();
        if sel.drop_skipped {
            conditions.push("a.was_cancelled = 0".into());
        }
        if let Some(who) = &sel.annotator {
            params.push(SqlValue::Integer(self.export_user(who)?));
            conditions.push(format!("a.completed_by = ?{}", params.len()));
        }
        if sel.only_reviewed {
            let Some(source) = self.review_source()? else {
                return Err(StoreError::NotFound(
                    "--only-reviewed: this project has no review decisions yet".into(),
                )
                .into());
            };
            conditions.push(source.condition().into());
        }
        let mut task_filter = String::new();
        if let Some(ids) = &sel.task_ids {
            let list = serde_json::to_string(ids).expect("a list of integers");
            params.push(SqlValue::Text(list));
            let n = params.len();
            conditions.push(format!("a.task_id IN (SELECT value FROM json_each(?{n}))"));
            task_filter = "WHERE t.id IN (SELECT value FROM json_each(?1))".into();
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let c = self.conn();
        let lean = sel.converter_fields;
        let mut ts = c
            .prepare(&format!(
                "SELECT {} FROM {TASK_FROM} {task_filter} ORDER BY t.id",
                if lean {
                    LEAN_TASK_COLUMNS
                } else {
                    TASK_COLUMNS
                }
            ))
            .map_err(sql::<E>)?;
        let mut ans = c.prepare(&if lean {
            format!(
                "SELECT {LEAN_ANNOTATION_COLUMNS} FROM annotations a {filter} ORDER BY a.task_id, a.id"
            )
        } else {
            format!(
                "SELECT {ANNOTATION_COLUMNS} FROM annotations a LEFT JOIN users u ON u.id = a.completed_by
                 {filter} ORDER BY a.task_id, a.id"
            )
        }).map_err(sql::<E>)?;
        let mut ps = c
            .prepare(&format!(
                "SELECT {PREDICTION_COLUMNS} FROM predictions p {} ORDER BY p.task_id, p.id",
                if sel.predictions && !lean {
                    ""
                } else {
                    "WHERE 0"
                }
            ))
            .map_err(sql::<E>)?;
        // The task query binds only the id list, which is the last parameter.
        let task_params: Vec<SqlValue> = if task_filter.is_empty() {
            Vec::new()
        } else {
            params.last().cloned().into_iter().collect()
        };
        let mut tasks = ts
            .query_map(
                rusqlite::params_from_iter(task_params.iter()),
                if lean { lean_task_row } else { task_row },
            )
            .map_err(sql::<E>)?;
        // Reviews go with the full JSON only; the converters never read them.
        let mut rs = c
            .prepare(if lean {
                "SELECT 1, 1, 1, 1, NULL, 'accepted', '', NULL, '' WHERE 0"
            } else {
                super::reviews::EXPORT_REVIEWS
            })
            .map_err(sql::<E>)?;
        let mut revs = rs
            .query_map([], super::reviews::export_review_row)
            .map_err(sql::<E>)?
            .peekable();
        let mut anns = ans
            .query_map(
                rusqlite::params_from_iter(params.iter()),
                if lean {
                    lean_annotation_row
                } else {
                    annotation_row
                },
            )
            .map_err(sql::<E>)?
            .peekable();
        let mut preds = ps
            .query_map([], prediction_row)
            .map_err(sql::<E>)?
            .peekable();
        for task in tasks.by_ref() {
            let task = task.map_err(sql::<E>)?;
            let mut full = TaskFull {
                annotations: Vec::new(),
                predictions: Vec::new(),
                reviews: Vec::new(),
                task,
            };
            loop {
                match anns.peek() {
                    Some(Ok(a)) if a.task_id <= full.task.id => {
                        let a = anns.next().expect("peeked").map_err(sql::<E>)?;
                        if a.task_id == full.task.id {
                            full.annotations.push(a);
                        }
                    }
                    Some(Err(_)) => {
                        anns.next().expect("peeked").map_err(sql::<E>)?;
                    }
                    _ => break,
                }
            }
            loop {
                match preds.peek() {
                    Some(Ok(p)) if p.task_id <= full.task.id => {
                        let p = preds.next().expect("peeked").map_err(sql::<E>)?;
                        if p.task_id == full.task.id {
                            full.predictions.push(p);
                        }
                    }
                    Some(Err(_)) => {
                        preds.next().expect("peeked").map_err(sql::<E>)?;
                    }
                    _ => break,
                }
            }
            loop {
                match revs.peek() {
                    Some(Ok(r)) if r.task_id <= full.task.id => {
                        let r = revs.next().expect("peeked").map_err(sql::<E>)?;
                        // Reviews of annotations left out stay out.
                        if r.task_id == full.task.id
                            && full.annotations.iter().any(|a| a.id == r.annotation_id)
                        {
                            full.reviews.push(r);
                        }
                    }
                    Some(Err(_)) => {
                        revs.next().expect("peeked").map_err(sql::<E>)?;
                    }
                    _ => break,
                }
            }
            if sel.only_reviewed && full.annotations.is_empty() {
                continue;
            }
            f(full)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_sources_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::create(&dir.path().join("p.db"), &super::super::tests::project()).unwrap();
        assert_eq!(s.review_source().unwrap(), None);
        s.conn()
            .execute_batch(
                "CREATE TABLE annotation_reviews (id INTEGER PRIMARY KEY, annotation_id INTEGER, accepted INTEGER)",
            )
            .unwrap();
        assert_eq!(s.review_source().unwrap(), Some(ReviewSource::ReviewsTable));
        s.conn()
            .execute_batch("ALTER TABLE annotations ADD COLUMN review_state TEXT")
            .unwrap();
        assert_eq!(s.review_source().unwrap(), Some(ReviewSource::StateColumn));
    }
}
