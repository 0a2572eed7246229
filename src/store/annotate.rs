//! What the annotator writes and reads one task at a time: the next task to label,
//! one task with everything attached, drafts, and submitting or skipping an annotation.
//! Every write is its own transaction and keeps the task counters right.

use super::Result;
use super::Store;
use super::read::{
    ANNOTATION_COLUMNS, PREDICTION_COLUMNS, TASK_COLUMNS, TASK_FROM, annotation_row,
    prediction_row, task_row,
};
use super::{Sampling, TaskFull};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

/// A user's unsubmitted work on a task.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftRow {
    pub id: i64,
    pub task_id: i64,
    pub user_id: i64,
    /// The annotation this draft edits, when it edits one.
    pub annotation_id: Option<i64>,
    /// The result list as JSON text.
    pub result: String,
    pub lead_time: Option<f64>,
    /// The revision of the annotation it edits when the draft began; a submit of the draft
    /// asks first when the annotation has changed since.
    pub base_revision: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// What a submit expects to replace: it is refused with [`StoreError::Conflict`] when the
/// user's annotation of the task is no longer that (their other window submitted it).
///
/// [`StoreError::Conflict`]: super::StoreError::Conflict
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expect {
    /// Replace whatever is there (imports, tools, an answer the user confirmed).
    #[default]
    Any,
    /// The user had no annotation of the task.
    Nothing,
    /// The user's annotation `id` at `revision`.
    Revision { id: i64, revision: i64 },
}

impl Expect {
    /// What a draft of an annotation (or of none) expects.
    pub fn of(annotation: Option<(i64, i64)>) -> Expect {
        match annotation {
            Some((id, revision)) => Expect::Revision { id, revision },
            None => Expect::Nothing,
        }
    }
}

/// One submit or skip.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnotationWrite<'a> {
    pub task_id: i64,
    pub user_id: i64,
    /// The result list as JSON text.
    pub result: &'a str,
    pub lead_time: f64,
    pub kind: SubmitKind,
    pub parent_prediction: Option<i64>,
    pub expect: Expect,
    /// The running annotator whose claim on the task ends with this write.
    pub session: Option<&'a str>,
}

/// Whether an annotation is submitted or skipped (`was_cancelled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitKind {
    Submit,
    Skip,
}

/// Project-wide progress for the status bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub tasks: i64,
    /// Tasks with at least one submitted annotation.
    pub labeled: i64,
    /// Tasks this user submitted or skipped.
    pub mine: i64,
    /// Of those, the tasks this user only skipped.
    pub skipped: i64,
}

impl Store {
    /// One task with its annotations (and who made them) and predictions.
    pub fn task_full(&self, id: i64) -> Result<Option<TaskFull>> {
        let c = self.conn();
        let task = c
            .prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.id = ?1"
            ))?
            .query_row([id], task_row)
            .optional()?;
        let Some(task) = task else {
            return Ok(None);
        };
        let annotations = c
            .prepare_cached(&format!(
                "SELECT {ANNOTATION_COLUMNS} FROM annotations a
                 LEFT JOIN users u ON u.id = a.completed_by WHERE a.task_id = ?1 ORDER BY a.id"
            ))?
            .query_map([id], annotation_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let predictions = c
            .prepare_cached(&format!(
                "SELECT {PREDICTION_COLUMNS} FROM predictions p WHERE p.task_id = ?1 ORDER BY p.id"
            ))?
            .query_map([id], prediction_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let reviews = self.reviews_of_task(id)?;
        Ok(Some(TaskFull {
            task,
            annotations,
            predictions,
            reviews,
        }))
    }

    /// Whether a task id exists.
    pub fn task_exists(&self, id: i64) -> Result<bool> {
        Ok(self
            .conn()
            .prepare_cached("SELECT 1 FROM tasks WHERE id = ?1")?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    pub fn draft(&self, task_id: i64, user_id: i64) -> Result<Option<DraftRow>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT id, task_id, user_id, annotation_id, result, lead_time, created_at, updated_at,
                    base_revision
                 FROM drafts WHERE task_id = ?1 AND user_id = ?2",
            )?
            .query_row(params![task_id, user_id], |r| {
                Ok(DraftRow {
                    id: r.get(0)?,
                    task_id: r.get(1)?,
                    user_id: r.get(2)?,
                    annotation_id: r.get(3)?,
                    result: r.get(4)?,
                    lead_time: r.get(5)?,
                    created_at: r.get(6)?,
                    updated_at: r.get(7)?,
                    base_revision: r.get(8)?,
                })
            })
            .optional()?)
    }

    /// The task of the user's most recently changed draft: where to resume.
    pub fn latest_draft_task(&self, user_id: i64) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT task_id FROM drafts WHERE user_id = ?1 ORDER BY updated_at DESC, id DESC LIMIT 1",
            )?
            .query_row([user_id], |r| r.get(0))
            .optional()?)
    }

    /// Saves (creates or replaces) the user's draft of a task.
    pub fn save_draft(
        &self,
        task_id: i64,
        user_id: i64,
        annotation_id: Option<i64>,
        result: &str,
        lead_time: f64,
    ) -> Result<()> {
        self.save_draft_of(task_id, user_id, annotation_id, None, result, lead_time)
    }

    /// Saves the user's draft of a task, with the revision of the annotation it began from.
    /// A draft keeps the first base it was saved with: it says what the whole edit began
    /// from, however many times it is saved.
    pub fn save_draft_of(
        &self,
        task_id: i64,
        user_id: i64,
        annotation_id: Option<i64>,
        base_revision: Option<i64>,
        result: &str,
        lead_time: f64,
    ) -> Result<()> {
        let now = crate::util::now();
        let tx = self.immediate()?;
        tx.prepare_cached(
                "INSERT INTO drafts (task_id, user_id, annotation_id, result, lead_time, created_at,
                    updated_at, base_revision)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)
                 ON CONFLICT (task_id, user_id) DO UPDATE SET annotation_id = excluded.annotation_id,
                    result = excluded.result, lead_time = excluded.lead_time,
                    updated_at = excluded.updated_at,
                    base_revision = COALESCE(drafts.base_revision, excluded.base_revision)",
            )?
            .execute(params![
                task_id,
                user_id,
                annotation_id,
                result,
                lead_time,
                now,
                base_revision
            ])?;
        tx.commit()?;
        Ok(())
    }

    pub fn delete_draft(&self, task_id: i64, user_id: i64) -> Result<()> {
        let tx = self.immediate()?;
        tx.prepare_cached("DELETE FROM drafts WHERE task_id = ?1 AND user_id = ?2")?
            .execute(params![task_id, user_id])?;
        tx.commit()?;
        Ok(())
    }

    /// A write transaction that takes the write lock at `BEGIN` and so waits (busy
    /// timeout) for another writer, instead of failing when a read has to turn into a
    /// write after someone else wrote.
    pub(crate) fn immediate(&self) -> Result<Transaction<'_>> {
        Ok(Transaction::new_unchecked(
            self.conn(),
            TransactionBehavior::Immediate,
        )?)
    }

    /// Submits or skips: creates the user's annotation of the task or updates it (a skip
    /// stores an empty result with `was_cancelled`), removes the draft and recounts the
    /// task's counters, in one transaction. Returns the annotation id.
    pub fn save_annotation(
        &mut self,
        task_id: i64,
        user_id: i64,
        result: &str,
        lead_time: f64,
        kind: SubmitKind,
        parent_prediction: Option<i64>,
    ) -> Result<i64> {
        self.write_annotation(&AnnotationWrite {
            task_id,
            user_id,
            result,
            lead_time,
            kind,
            parent_prediction,
            expect: Expect::Any,
            session: None,
        })
    }

    /// Submits or skips as [`Store::save_annotation`] does, refusing to replace an
    /// annotation that is not the one expected, and ending the writer's claim on the task,
    /// all in one write transaction taken at `BEGIN` (so it waits for another writer instead
    /// of failing half way).
    pub fn write_annotation(&mut self, w: &AnnotationWrite) -> Result<i64> {
        self.writable_again();
        let now = crate::util::now();
        let cancelled = w.kind == SubmitKind::Skip;
        let result = if cancelled { "[]" } else { w.result };
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let skip_queue = super::settings::read(&tx)?.skip_queue;
        let existing: Option<(i64, i64, String)> = tx
            .prepare_cached(
                "SELECT id, revision, updated_at FROM annotations WHERE task_id = ?1 AND completed_by = ?2
                 ORDER BY was_cancelled, id DESC LIMIT 1",
            )?
            .query_row(params![w.task_id, w.user_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let conflict = match (w.expect, &existing) {
            (Expect::Any, _) | (Expect::Nothing, None) | (Expect::Revision { .. }, None) => false,
            (Expect::Nothing, Some(_)) => true,
            (Expect::Revision { id, revision }, Some((eid, erev, _))) => {
                (id, revision) != (*eid, *erev)
            }
        };
        if conflict && let Some((annotation_id, revision, updated_at)) = existing {
            return Err(super::StoreError::Conflict {
                task_id: w.task_id,
                annotation_id,
                revision,
                updated_at,
            });
        }
        let id = match existing {
            Some((id, _, _)) => {
                tx.prepare_cached(
                    "UPDATE annotations SET result = ?2, was_cancelled = ?3, lead_time = ?4,
                        parent_prediction = COALESCE(?5, parent_prediction), updated_at = ?6,
                        revision = revision + 1
                     WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    result,
                    cancelled,
                    w.lead_time,
                    w.parent_prediction,
                    now
                ])?;
                id
            }
            None => {
                tx.prepare_cached(
                    "INSERT INTO annotations (task_id, result, completed_by, was_cancelled,
                        ground_truth, lead_time, parent_prediction, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?7)",
                )?
                .execute(params![
                    w.task_id,
                    result,
                    w.user_id,
                    cancelled,
                    w.lead_time,
                    w.parent_prediction,
                    now
                ])?;
                tx.last_insert_rowid()
            }
        };
        tx.prepare_cached("DELETE FROM drafts WHERE task_id = ?1 AND user_id = ?2")?
            .execute(params![w.task_id, w.user_id])?;
        tx.prepare_cached(
            "UPDATE tasks SET
                total_annotations = (SELECT COUNT(*) FROM annotations WHERE task_id = ?1 AND was_cancelled = 0),
                cancelled_annotations = (SELECT COUNT(*) FROM annotations WHERE task_id = ?1 AND was_cancelled = 1),
                updated_at = ?2
             WHERE id = ?1",
        )?
        .execute(params![w.task_id, now])?;
        super::settings::recount_labeled(&tx, skip_queue, Some(w.task_id))?;
        if let Some(session) = w.session {
            tx.prepare_cached(
                "UPDATE sessions SET task_id = NULL, task_since = NULL WHERE id = ?1 AND task_id = ?2",
            )?
            .execute(params![session, w.task_id])?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// The next task of the label stream for a user, following the project's rules (see
    /// [`Store::claim_next`]) with this sampling, without claiming it. `exclude` is a task
    /// to pass over (the one on screen); `seed` drives `uniform`.
    pub fn next_task(
        &self,
        user_id: i64,
        sampling: Sampling,
        exclude: Option<i64>,
        seed: u64,
    ) -> Result<Option<i64>> {
        let mut settings = super::settings::read(self.conn())?;
        settings.sampling = sampling;
        let nobody = super::claims::SessionId {
            id: String::new(),
            user_id,
            host: String::new(),
            pid: 0,
            process_start: None,
        };
        let req = super::claims::ClaimRequest {
            session: &nobody,
            exclude,
            seed,
            now: 0.0,
        };
        super::claims::pick(self.conn(), &req, &settings)
    }

    /// Counts for the status bar: tasks, labeled tasks, and tasks this user finished.
    pub fn progress(&self, user_id: i64) -> Result<Progress> {
        let c = self.conn();
        let tasks: i64 = c
            .prepare_cached("SELECT COUNT(*) FROM tasks")?
            .query_row([], |r| r.get(0))?;
        let labeled: i64 = c
            .prepare_cached("SELECT COUNT(*) FROM tasks WHERE is_labeled = 1")?
            .query_row([], |r| r.get(0))?;
        let mine: i64 = c
            .prepare_cached(
                "SELECT COUNT(DISTINCT task_id) FROM annotations WHERE completed_by = ?1",
            )?
            .query_row([user_id], |r| r.get(0))?;
        let submitted: i64 = c
            .prepare_cached(
                "SELECT COUNT(DISTINCT task_id) FROM annotations
                 WHERE completed_by = ?1 AND was_cancelled = 0",
            )?
            .query_row([user_id], |r| r.get(0))?;
        Ok(Progress {
            tasks,
            labeled,
            mine,
            skipped: mine - submitted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn store_with(n: usize, scores: &[Option<f64>]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::create(&dir.path().join("p.db"), &crate::store::tests::project()).unwrap();
        for i in 0..n {
            s.conn()
                .execute(
                    "INSERT INTO tasks (inner_id, created_at, updated_at, prediction_score)
                     VALUES (?1, 'x', 'x', ?2)",
                    params![i as i64 + 1, scores.get(i).copied().flatten()],
                )
                .unwrap();
            s.conn()
                .execute(
                    "INSERT INTO task_data (task_id, data) VALUES (last_insert_rowid(), '{}')",
                    [],
                )
                .unwrap();
        }
        (dir, s)
    }

    #[test]
    fn stream_follows_sampling_and_skips_my_work() {
        let (_d, mut s) = store_with(4, &[Some(0.5), Some(0.1), None, Some(0.9)]);
        let me = s.user_id("me").unwrap();
        assert_eq!(
            s.next_task(me, Sampling::Sequential, None, 0).unwrap(),
            Some(1)
        );
        assert_eq!(
            s.next_task(me, Sampling::Sequential, Some(1), 0).unwrap(),
            Some(2)
        );
        assert_eq!(
            s.next_task(me, Sampling::PredictionScoreMin, None, 0)
                .unwrap(),
            Some(2)
        );
        assert_eq!(
            s.next_task(me, Sampling::PredictionScoreMax, None, 0)
                .unwrap(),
            Some(4)
        );
        let u = s
            .next_task(me, Sampling::Uniform, None, 7)
            .unwrap()
            .unwrap();
        assert!((1..=4).contains(&u));
        s.save_annotation(1, me, "[]", 1.0, SubmitKind::Skip, None)
            .unwrap();
        assert_eq!(
            s.next_task(me, Sampling::Sequential, None, 0).unwrap(),
            Some(2)
        );
        let other = s.user_id("other").unwrap();
        assert_eq!(
            s.next_task(other, Sampling::Sequential, None, 0).unwrap(),
            Some(1),
            "a skip returns the task to the others"
        );
    }

    #[test]
    fn submit_creates_then_updates_and_counts() {
        let (_d, mut s) = store_with(1, &[]);
        let me = s.user_id("me").unwrap();
        s.save_draft(1, me, None, "[1]", 2.0).unwrap();
        assert_eq!(s.latest_draft_task(me).unwrap(), Some(1));
        assert_eq!(s.draft(1, me).unwrap().unwrap().result, "[1]");
        let a = s
            .save_annotation(1, me, "[{\"x\":1}]", 3.5, SubmitKind::Submit, None)
            .unwrap();
        assert!(s.draft(1, me).unwrap().is_none());
        let t = s.task_full(1).unwrap().unwrap();
        assert_eq!(t.task.total_annotations, 1);
        assert!(t.task.is_labeled);
        assert_eq!(t.annotations[0].lead_time, Some(3.5));
        let b = s
            .save_annotation(1, me, "[]", 4.0, SubmitKind::Skip, None)
            .unwrap();
        assert_eq!(a, b, "the user's annotation is updated, not duplicated");
        let t = s.task_full(1).unwrap().unwrap();
        assert_eq!(
            (t.task.total_annotations, t.task.cancelled_annotations),
            (0, 1)
        );
        assert!(!t.task.is_labeled);
        assert_eq!(s.progress(me).unwrap().mine, 1);
    }
}
