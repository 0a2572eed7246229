//! Review decisions and ground truth: the only code that writes the `reviews` table and
//! `annotations.ground_truth`. A decision is a row of its own, so the history of an
//! annotation's reviews is kept; the latest row is the annotation's review state.

use super::Store;
use super::error::{Result, StoreError};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

/// A reviewer's decision on an annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accepted,
    /// The reviewer changed the result, then accepted it.
    Fixed,
    Rejected,
}

impl Decision {
    pub fn name(self) -> &'static str {
        match self {
            Decision::Accepted => "accepted",
            Decision::Fixed => "fixed",
            Decision::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        Some(match s {
            "accepted" => Decision::Accepted,
            "fixed" => Decision::Fixed,
            "rejected" => Decision::Rejected,
            _ => return None,
        })
    }

    /// Accepted or fixed: the annotation stands.
    pub fn accepts(self) -> bool {
        self != Decision::Rejected
    }
}

/// One stored decision.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRow {
    pub id: i64,
    pub annotation_id: i64,
    pub task_id: i64,
    pub reviewer: i64,
    pub reviewer_email: Option<String>,
    pub decision: Decision,
    pub comment: String,
    /// The result before the reviewer's fix (fixed decisions only), as JSON text.
    pub previous_result: Option<String>,
    pub created_at: String,
}

/// A decision to store. `fixed_result` is the reviewer's result, required for
/// [`Decision::Fixed`] and ignored otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewWrite {
    pub annotation_id: i64,
    pub reviewer: i64,
    pub decision: Decision,
    pub comment: String,
    pub fixed_result: Option<String>,
}

/// How the review screen walks the annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReviewOrder {
    /// Task by task, in id order.
    #[default]
    Task,
    /// Grouped by annotator (email or name), then task.
    Annotator,
    /// Tasks whose annotators agree least first; tasks without a figure last.
    Agreement,
    /// Tasks with the lowest prediction score first; tasks without one last.
    Score,
}

impl ReviewOrder {
    pub const ALL: [ReviewOrder; 4] = [
        ReviewOrder::Task,
        ReviewOrder::Annotator,
        ReviewOrder::Agreement,
        ReviewOrder::Score,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ReviewOrder::Task => "task",
            ReviewOrder::Annotator => "annotator",
            ReviewOrder::Agreement => "agreement",
            ReviewOrder::Score => "score",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewOrder> {
        ReviewOrder::ALL.into_iter().find(|o| o.name() == s)
    }

    pub fn next(self) -> ReviewOrder {
        let i = ReviewOrder::ALL
            .iter()
            .position(|o| *o == self)
            .unwrap_or(0);
        ReviewOrder::ALL[(i + 1) % ReviewOrder::ALL.len()]
    }
}

/// One annotation to review: which, of which task. The queue holds only ids, so a
/// project of a million annotations costs a few megabytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueItem {
    pub annotation_id: i64,
    pub task_id: i64,
}

const REVIEW_COLUMNS: &str = "r.id, r.annotation_id, r.task_id, r.reviewer, u.email, r.decision,
    r.comment, r.previous_result, r.created_at";

fn review_row(r: &rusqlite::Row) -> rusqlite::Result<ReviewRow> {
    let decision: String = r.get(5)?;
    Ok(ReviewRow {
        id: r.get(0)?,
        annotation_id: r.get(1)?,
        task_id: r.get(2)?,
        reviewer: r.get(3)?,
        reviewer_email: r.get(4)?,
        // The CHECK constraint allows only these three.
        decision: Decision::parse(&decision).unwrap_or(Decision::Rejected),
        comment: r.get(6)?,
        previous_result: r.get(7)?,
        created_at: r.get(8)?,
    })
}

impl Store {
    /// Stores a decision in one transaction: for a fix the annotation's result is
    /// replaced (who annotated it stays; its revision goes up, so the annotator's open
    /// answer asks before overwriting it) and the result it had is kept in the review.
    /// Returns the review id.
    pub fn record_review(&mut self, w: &ReviewWrite) -> Result<i64> {
        self.writable_again();
        let now = crate::util::now();
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (task_id, result): (i64, String) = tx
            .query_row(
                "SELECT task_id, result FROM annotations WHERE id = ?1",
                [w.annotation_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("no annotation {}", w.annotation_id)))?;
        let previous = match w.decision {
            Decision::Fixed => {
                let fixed = w.fixed_result.as_deref().ok_or_else(|| {
                    StoreError::NotFound("a fix needs the reviewer's result".into())
                })?;
                tx.execute(
                    "UPDATE annotations SET result = ?2, updated_at = ?3, revision = revision + 1
                     WHERE id = ?1",
                    params![w.annotation_id, fixed, now],
                )?;
                tx.execute(
                    "UPDATE tasks SET updated_at = ?2 WHERE id = ?1",
                    params![task_id, now],
                )?;
                Some(result)
            }
            _ => None,
        };
        tx.execute(
            "INSERT INTO reviews (annotation_id, task_id, reviewer, decision, comment,
                previous_result, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                w.annotation_id,
                task_id,
                w.reviewer,
                w.decision.name(),
                w.comment,
                previous,
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// The decisions on a task's annotations, oldest first.
    pub fn reviews_of_task(&self, task_id: i64) -> Result<Vec<ReviewRow>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews r LEFT JOIN users u ON u.id = r.reviewer
             WHERE r.task_id = ?1 ORDER BY r.annotation_id, r.id"
        ))?;
        let rows = stmt.query_map([task_id], review_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// An annotation's latest decision: its review state.
    pub fn latest_review(&self, annotation_id: i64) -> Result<Option<ReviewRow>> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT {REVIEW_COLUMNS} FROM reviews r LEFT JOIN users u ON u.id = r.reviewer
                     WHERE r.annotation_id = ?1 ORDER BY r.id DESC LIMIT 1"
                ),
                [annotation_id],
                review_row,
            )
            .optional()?)
    }

    /// Stars an annotation as its task's ground truth (the task's other annotations lose
    /// the star), or takes the star away; one transaction.
    pub fn set_ground_truth(&mut self, annotation_id: i64, on: bool) -> Result<()> {
        self.writable_again();
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let task_id: i64 = tx
            .query_row(
                "SELECT task_id FROM annotations WHERE id = ?1",
                [annotation_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("no annotation {annotation_id}")))?;
        if on {
            tx.execute(
                "UPDATE annotations SET ground_truth = (id = ?2)
                 WHERE task_id = ?1 AND ground_truth != (id = ?2)",
                params![task_id, annotation_id],
            )?;
        } else {
            tx.execute(
                "UPDATE annotations SET ground_truth = 0 WHERE id = ?1",
                [annotation_id],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The submitted (not skipped) annotations to walk, in this order. The rows are read
    /// as they lie and sorted here: SQLite's sort of a million joined rows takes seconds,
    /// this a fraction of one.
    pub fn review_queue(&self, order: ReviewOrder) -> Result<Vec<QueueItem>> {
        struct Row {
            item: QueueItem,
            by: Option<i64>,
            agreement: Option<f64>,
            score: Option<f64>,
        }
        let c = self.conn();
        // Each user's place in email order (users without one last), so that the sort
        // compares numbers.
        let mut stmt = c.prepare("SELECT id FROM users ORDER BY email IS NULL, email, id")?;
        let rank: std::collections::HashMap<i64, usize> = stmt
            .query_map([], |r| r.get::<_, i64>(0))?
            .enumerate()
            .map(|(i, id)| id.map(|id| (id, i)))
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = c.prepare(
            "SELECT a.id, a.task_id, a.completed_by, t.agreement, t.prediction_score
             FROM tasks t JOIN annotations a ON a.task_id = t.id WHERE a.was_cancelled = 0",
        )?;
        let mut rows: Vec<Row> = stmt
            .query_map([], |r| {
                Ok(Row {
                    item: QueueItem {
                        annotation_id: r.get(0)?,
                        task_id: r.get(1)?,
                    },
                    by: r.get(2)?,
                    agreement: r.get(3)?,
                    score: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let place = |r: &Row| (r.item.task_id, r.item.annotation_id);
        // Figures ascending, rows without one last.
        let figure = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            (a, b) => a.is_none().cmp(&b.is_none()),
        };
        match order {
            ReviewOrder::Task => rows.sort_unstable_by_key(place),
            ReviewOrder::Annotator => rows.sort_unstable_by_key(|r| {
                let at = r.by.and_then(|id| rank.get(&id).copied());
                (at.unwrap_or(usize::MAX), place(r))
            }),
            ReviewOrder::Agreement => rows.sort_unstable_by(|a, b| {
                figure(a.agreement, b.agreement).then(place(a).cmp(&place(b)))
            }),
            ReviewOrder::Score => {
                rows.sort_unstable_by(|a, b| figure(a.score, b.score).then(place(a).cmp(&place(b))))
            }
        }
        Ok(rows.into_iter().map(|r| r.item).collect())
    }

    /// A task's agreement figure as stored (None when never computed or stale).
    pub fn task_agreement(&self, task_id: i64) -> Result<Option<f64>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT CASE WHEN agreement_stale = 0 THEN agreement END FROM tasks WHERE id = ?1",
                [task_id],
                |r| r.get::<_, Option<f64>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Whether the project holds any review decision.
    pub fn has_reviews(&self) -> Result<bool> {
        Ok(self
            .conn()
            .query_row("SELECT EXISTS (SELECT 1 FROM reviews)", [], |r| r.get(0))?)
    }
}

/// An annotation's latest review decision in SQL (`accepted`, `fixed`, `rejected`; NULL
/// when never reviewed), the annotation being the alias given: the one definition the
/// review screen, exports and the query engine's task-level review state share.
macro_rules! latest_decision_sql {
    ($annotation:literal) => {
        concat!(
            "(SELECT r.decision FROM reviews r WHERE r.annotation_id = ",
            $annotation,
            ".id ORDER BY r.id DESC LIMIT 1)"
        )
    };
}
pub(crate) use latest_decision_sql;

/// An annotation's review state in SQL: its latest decision (`accepted`, `fixed`,
/// `rejected`), NULL when never reviewed; the annotation is `a`. For queries that show or
/// filter by it (the data table).
pub const REVIEW_STATE_SQL: &str = latest_decision_sql!("a");

pub const ACCEPTED_IN_REVIEW_SQL: &str =
    concat!(latest_decision_sql!("a"), " IN ('accepted', 'fixed')");

/// The reviews of the tasks an export reads, streamed in (task, annotation, id) order
/// beside the tasks.
pub(crate) const EXPORT_REVIEWS: &str = "SELECT r.id, r.annotation_id, r.task_id, r.reviewer,
    u.email, r.decision, r.comment, r.previous_result, r.created_at
    FROM reviews r LEFT JOIN users u ON u.id = r.reviewer
    ORDER BY r.task_id, r.annotation_id, r.id";

pub(crate) fn export_review_row(r: &rusqlite::Row) -> rusqlite::Result<ReviewRow> {
    review_row(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A project with one task and two annotations (by ann1 and ann2).
    fn project() -> (tempfile::TempDir, Store, i64, i64, i64) {
        let (dir, mut s) = super::super::tests::with_tasks(1);
        let a1 = s.user_id("ann1").unwrap();
        let a2 = s.user_id("ann2").unwrap();
        let x = s
            .save_annotation(
                1,
                a1,
                r#"[{"from_name":"c","to_name":"t","type":"choices","value":{"choices":["A"]}}]"#,
                1.0,
                super::super::annotate::SubmitKind::Submit,
                None,
            )
            .unwrap();
        let y = s
            .save_annotation(
                1,
                a2,
                r#"[{"from_name":"c","to_name":"t","type":"choices","value":{"choices":["B"]}}]"#,
                1.0,
                super::super::annotate::SubmitKind::Submit,
                None,
            )
            .unwrap();
        let r = s.user_id("rev").unwrap();
        (dir, s, x, y, r)
    }

    fn write(annotation_id: i64, reviewer: i64, decision: Decision) -> ReviewWrite {
        ReviewWrite {
            annotation_id,
            reviewer,
            decision,
            comment: String::new(),
            fixed_result: None,
        }
    }

    #[test]
    fn decisions_are_kept_as_history_and_the_latest_is_the_state() {
        let (_d, mut s, x, y, r) = project();
        assert_eq!(s.latest_review(x).unwrap(), None);
        s.record_review(&ReviewWrite {
            comment: "wrong label".into(),
            ..write(x, r, Decision::Rejected)
        })
        .unwrap();
        s.record_review(&write(x, r, Decision::Accepted)).unwrap();
        s.record_review(&write(y, r, Decision::Rejected)).unwrap();
        let all = s.reviews_of_task(1).unwrap();
        let of_x: Vec<_> = all.iter().filter(|v| v.annotation_id == x).collect();
        assert_eq!(
            of_x.iter().map(|v| v.decision).collect::<Vec<_>>(),
            [Decision::Rejected, Decision::Accepted]
        );
        assert_eq!(of_x[0].comment, "wrong label");
        assert_eq!(of_x[0].reviewer_email.as_deref(), Some("rev"));
        assert!(!of_x[0].created_at.is_empty());
        assert_eq!(
            s.latest_review(x).unwrap().unwrap().decision,
            Decision::Accepted
        );
        assert_eq!(
            s.latest_review(y).unwrap().unwrap().decision,
            Decision::Rejected
        );
        assert!(s.has_reviews().unwrap());
    }

    #[test]
    fn a_fix_replaces_the_result_keeps_the_annotator_and_the_previous_result() {
        let (_d, mut s, x, _y, r) = project();
        let before = s.task_full(1).unwrap().unwrap();
        let old = before
            .annotations
            .iter()
            .find(|a| a.id == x)
            .unwrap()
            .clone();
        let fixed =
            r#"[{"from_name":"c","to_name":"t","type":"choices","value":{"choices":["C"]}}]"#;
        s.record_review(&ReviewWrite {
            fixed_result: Some(fixed.into()),
            ..write(x, r, Decision::Fixed)
        })
        .unwrap();
        let after = s.task_full(1).unwrap().unwrap();
        let new = after.annotations.iter().find(|a| a.id == x).unwrap();
        assert_eq!(new.result, fixed);
        assert_eq!(new.completed_by, old.completed_by, "who annotated it stays");
        assert_eq!(new.revision, old.revision + 1);
        let review = s.latest_review(x).unwrap().unwrap();
        assert_eq!(review.decision, Decision::Fixed);
        assert_eq!(review.previous_result.as_deref(), Some(old.result.as_str()));
        // A fix without a result stores nothing.
        assert!(s.record_review(&write(x, r, Decision::Fixed)).is_err());
        assert_eq!(s.reviews_of_task(1).unwrap().len(), 1);
        assert_eq!(
            s.task_full(1)
                .unwrap()
                .unwrap()
                .annotations
                .iter()
                .find(|a| a.id == x)
                .unwrap()
                .result,
            fixed
        );
    }

    #[test]
    fn only_one_annotation_of_a_task_is_ground_truth() {
        let (_d, mut s, x, y, _r) = project();
        let stars = |s: &Store| {
            s.task_full(1)
                .unwrap()
                .unwrap()
                .annotations
                .iter()
                .map(|a| (a.id, a.ground_truth))
                .collect::<Vec<_>>()
        };
        s.set_ground_truth(x, true).unwrap();
        assert_eq!(stars(&s), [(x, true), (y, false)]);
        s.set_ground_truth(y, true).unwrap();
        assert_eq!(stars(&s), [(x, false), (y, true)]);
        s.set_ground_truth(y, false).unwrap();
        assert_eq!(stars(&s), [(x, false), (y, false)]);
        assert!(s.set_ground_truth(999, true).is_err());
    }

    #[test]
    fn the_review_state_in_sql_is_the_latest_decision() {
        let (_d, mut s, x, y, r) = project();
        let state = |s: &Store, id: i64| -> (Option<String>, bool) {
            s.conn()
                .query_row(
                    &format!(
                        "SELECT {REVIEW_STATE_SQL}, {ACCEPTED_IN_REVIEW_SQL} IS 1
                         FROM annotations a WHERE a.id = ?1"
                    ),
                    [id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .unwrap()
        };
        assert_eq!(state(&s, x), (None, false));
        s.record_review(&write(x, r, Decision::Accepted)).unwrap();
        s.record_review(&write(x, r, Decision::Rejected)).unwrap();
        s.record_review(&ReviewWrite {
            fixed_result: Some("[]".into()),
            ..write(y, r, Decision::Fixed)
        })
        .unwrap();
        assert_eq!(state(&s, x), (Some("rejected".into()), false));
        assert_eq!(state(&s, y), (Some("fixed".into()), true));
    }

    #[test]
    fn the_queue_follows_the_chosen_order() {
        let (_d, mut s, x, y, _r) = project();
        // A second task, annotated by ann1, with a lower score and a lower agreement.
        s.conn()
            .execute_batch(
                "INSERT INTO tasks (inner_id, created_at, updated_at) VALUES (2, 'x', 'x');
                 INSERT INTO task_data (task_id, data) VALUES (2, '{}');",
            )
            .unwrap();
        let a1 = s.user_id("ann1").unwrap();
        let z = s
            .save_annotation(
                2,
                a1,
                "[]",
                1.0,
                super::super::annotate::SubmitKind::Submit,
                None,
            )
            .unwrap();
        s.conn()
            .execute_batch(
                "UPDATE tasks SET prediction_score = 0.9, agreement = 0.8, agreement_stale = 0 WHERE id = 1;
                 UPDATE tasks SET prediction_score = 0.1, agreement = NULL WHERE id = 2;",
            )
            .unwrap();
        let ids = |o| {
            s.review_queue(o)
                .unwrap()
                .iter()
                .map(|q| q.annotation_id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(ReviewOrder::Task), [x, y, z]);
        assert_eq!(ids(ReviewOrder::Annotator), [x, z, y]);
        assert_eq!(ids(ReviewOrder::Score), [z, x, y]);
        assert_eq!(
            ids(ReviewOrder::Agreement),
            [x, y, z],
            "no figure goes last"
        );
        assert_eq!(s.task_agreement(1).unwrap(), Some(0.8));
        assert_eq!(s.task_agreement(2).unwrap(), None);
    }
}
