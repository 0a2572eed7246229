//! Actions on many tasks at once, as Label Studio's Data Manager has them: delete tasks,
//! delete their annotations or their predictions, and turn predictions into annotations.
//!
//! Each action is one write transaction, so it happens whole or not at all. The task ids
//! go into a temporary table in batches (bound as JSON arrays), and every statement joins
//! on it, so a million marked tasks cost no giant `IN (...)` list. What hangs off a task
//! (its data, annotations, predictions, drafts, reviews, claims) goes with it through the
//! schema's `ON DELETE` rules, and the triggers that follow annotations (agreement marks,
//! the full-text index) see every row that goes. The task counters (`total_annotations`,
//! `cancelled_annotations`, `total_predictions`, `prediction_score`, `is_labeled`) are
//! counted again for the tasks touched, in the same transaction.

use super::{Result, Store};
use rusqlite::{Connection, TransactionBehavior, params};

/// Ids bound per statement when they are loaded into the temporary table.
const ID_BATCH: usize = 20_000;

/// What deleting tasks removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeletedTasks {
    pub tasks: u64,
    /// Annotations (submitted and skipped) that went with them.
    pub annotations: u64,
    pub predictions: u64,
    pub drafts: u64,
}

/// What deleting annotations removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeletedAnnotations {
    /// Tasks that lost at least one annotation.
    pub tasks: u64,
    pub annotations: u64,
    pub drafts: u64,
}

/// What deleting predictions removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeletedPredictions {
    /// Tasks that lost at least one prediction.
    pub tasks: u64,
    pub predictions: u64,
}

/// What turning predictions into annotations did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Converted {
    /// Tasks that got at least one annotation.
    pub tasks: u64,
    /// Annotations made, one per prediction.
    pub annotations: u64,
    /// Predictions passed over because an annotation was already made from them.
    pub already_converted: u64,
    /// Predictions passed over because their result is not a list of regions (a result
    /// that named no control of the config is stored as `null`).
    pub no_result: u64,
}

/// What the marked tasks hold, for a confirmation before a bulk action.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkPreview {
    /// Marked ids that are tasks of the project.
    pub tasks: u64,
    /// Submitted annotations.
    pub annotations: u64,
    /// Skipped annotations.
    pub cancelled: u64,
    pub predictions: u64,
    pub drafts: u64,
    /// Predictions that "predictions to annotations" would convert, per model version
    /// (by version name).
    pub convertible: Vec<(String, u64)>,
}

/// Loads `ids` (those that are tasks, each once) into `temp.bulk_ids`; returns how many.
fn load_ids(c: &Connection, ids: &[i64]) -> Result<u64> {
    c.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS bulk_ids (id INTEGER PRIMARY KEY);
         DELETE FROM temp.bulk_ids;",
    )?;
    let mut insert = c.prepare_cached(
        "INSERT OR IGNORE INTO temp.bulk_ids (id)
         SELECT t.id FROM json_each(?1) j JOIN tasks t ON t.id = j.value",
    )?;
    for chunk in ids.chunks(ID_BATCH) {
        let json = serde_json::to_string(chunk).expect("ids serialise");
        insert.execute([json])?;
    }
    Ok(c.query_row("SELECT COUNT(*) FROM temp.bulk_ids", [], |r| {
        r.get::<_, i64>(0)
    })? as u64)
}

fn clear_ids(c: &Connection) -> Result<()> {
    c.execute_batch("DELETE FROM temp.bulk_ids;")?;
    Ok(())
}

fn count(c: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<u64> {
    Ok(c.query_row(sql, p, |r| r.get::<_, i64>(0))? as u64)
}

/// Counts the annotations of the marked tasks again, stamps the tasks whose counts
/// changed, and sets `is_labeled` from the counts.
fn recount_annotations(c: &Connection, now: &str) -> Result<()> {
    c.execute(
        "UPDATE tasks SET
            total_annotations = (SELECT COUNT(*) FROM annotations a WHERE a.task_id = tasks.id AND a.was_cancelled = 0),
            cancelled_annotations = (SELECT COUNT(*) FROM annotations a WHERE a.task_id = tasks.id AND a.was_cancelled = 1),
            updated_at = ?1
         WHERE id IN (SELECT id FROM temp.bulk_ids)
           AND (total_annotations != (SELECT COUNT(*) FROM annotations a WHERE a.task_id = tasks.id AND a.was_cancelled = 0)
             OR cancelled_annotations != (SELECT COUNT(*) FROM annotations a WHERE a.task_id = tasks.id AND a.was_cancelled = 1))",
        [now],
    )?;
    let skip = super::settings::read(c)?.skip_queue;
    let expr = super::settings::labeled_expr(skip);
    c.execute(
        &format!(
            "UPDATE tasks SET is_labeled = {expr}
             WHERE id IN (SELECT id FROM temp.bulk_ids) AND is_labeled != {expr}"
        ),
        [],
    )?;
    Ok(())
}

/// The predictions of the marked tasks that "predictions to annotations" takes: not
/// converted before, of the chosen model versions (`?1`, a JSON list, or null for all).
const CONVERTIBLE: &str = "FROM predictions p
     WHERE p.task_id IN (SELECT id FROM temp.bulk_ids)
       AND (?1 IS NULL OR p.model_version IN (SELECT value FROM json_each(?1)))
       AND json_valid(p.result) AND json_type(p.result) = 'array'
       AND NOT EXISTS (SELECT 1 FROM annotations a
                       WHERE a.task_id = p.task_id AND a.parent_prediction = p.id)";

fn versions_json(model_versions: Option<&[String]>) -> Option<String> {
    model_versions.map(|v| serde_json::to_string(v).expect("strings serialise"))
}

impl Store {
    /// The id of the user with this email or name, without making one.
    pub fn existing_user_id(&self, email: &str) -> Result<Option<i64>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn()
            .query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn bulk_tx(&mut self) -> Result<rusqlite::Transaction<'_>> {
        self.writable_again();
        Ok(self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// What the tasks `ids` hold (ids that are no task are left out), for a confirmation.
    pub fn bulk_preview(&mut self, ids: &[i64]) -> Result<BulkPreview> {
        let tx = self.conn_mut().transaction()?;
        let tasks = load_ids(&tx, ids)?;
        let in_ids = "task_id IN (SELECT id FROM temp.bulk_ids)";
        let annotations = count(
            &tx,
            &format!("SELECT COUNT(*) FROM annotations WHERE {in_ids} AND was_cancelled = 0"),
            [],
        )?;
        let cancelled = count(
            &tx,
            &format!("SELECT COUNT(*) FROM annotations WHERE {in_ids} AND was_cancelled = 1"),
            [],
        )?;
        let predictions = count(
            &tx,
            &format!("SELECT COUNT(*) FROM predictions WHERE {in_ids}"),
            [],
        )?;
        let drafts = count(
            &tx,
            &format!("SELECT COUNT(*) FROM drafts WHERE {in_ids}"),
            [],
        )?;
        let convertible = {
            let mut stmt = tx.prepare(&format!(
                "SELECT p.model_version, COUNT(*) {CONVERTIBLE} GROUP BY p.model_version ORDER BY p.model_version"
            ))?;
            let rows = stmt.query_map([Option::<String>::None], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        clear_ids(&tx)?;
        tx.commit()?;
        Ok(BulkPreview {
            tasks,
            annotations,
            cancelled,
            predictions,
            drafts,
            convertible,
        })
    }

    /// Deletes the tasks `ids` with everything attached to them (data, annotations,
    /// predictions, drafts, reviews); ids that are no task are passed over. When only a
    /// share of the tasks gets the full overlap, the share is drawn again over the tasks
    /// left (as Label Studio does when the number of tasks changes).
    pub fn delete_tasks(&mut self, ids: &[i64]) -> Result<DeletedTasks> {
        let tx = self.bulk_tx()?;
        let tasks = load_ids(&tx, ids)?;
        let in_ids = "task_id IN (SELECT id FROM temp.bulk_ids)";
        let annotations = count(
            &tx,
            &format!("SELECT COUNT(*) FROM annotations WHERE {in_ids}"),
            [],
        )?;
        let predictions = count(
            &tx,
            &format!("SELECT COUNT(*) FROM predictions WHERE {in_ids}"),
            [],
        )?;
        let drafts = count(
            &tx,
            &format!("SELECT COUNT(*) FROM drafts WHERE {in_ids}"),
            [],
        )?;
        tx.execute(
            "DELETE FROM tasks WHERE id IN (SELECT id FROM temp.bulk_ids)",
            [],
        )?;
        let settings = super::settings::read(&tx)?;
        if tasks > 0 && settings.maximum_annotations > 1 && settings.overlap_cohort < 100 {
            super::settings::apply_overlap(&tx, &settings)?;
        }
        clear_ids(&tx)?;
        tx.commit()?;
        Ok(DeletedTasks {
            tasks,
            annotations,
            predictions,
            drafts,
        })
    }

    /// Deletes the annotations of the tasks `ids` (only those of user `annotator` when
    /// given) and the drafts on those tasks (of that user), as Label Studio's "delete
    /// annotations" does; the tasks stay, counted again.
    pub fn delete_annotations(
        &mut self,
        ids: &[i64],
        annotator: Option<i64>,
    ) -> Result<DeletedAnnotations> {
        let now = crate::util::now();
        let tx = self.bulk_tx()?;
        load_ids(&tx, ids)?;
        let which =
            "task_id IN (SELECT id FROM temp.bulk_ids) AND (?1 IS NULL OR completed_by = ?1)";
        let tasks = count(
            &tx,
            &format!("SELECT COUNT(DISTINCT task_id) FROM annotations WHERE {which}"),
            [annotator],
        )?;
        let annotations = tx.execute(
            &format!("DELETE FROM annotations WHERE {which}"),
            [annotator],
        )? as u64;
        let drafts = tx.execute(
            "DELETE FROM drafts WHERE task_id IN (SELECT id FROM temp.bulk_ids)
               AND (?1 IS NULL OR user_id = ?1)",
            [annotator],
        )? as u64;
        recount_annotations(&tx, &now)?;
        clear_ids(&tx)?;
        tx.commit()?;
        Ok(DeletedAnnotations {
            tasks,
            annotations,
            drafts,
        })
    }

    /// Deletes the predictions of the tasks `ids`. Annotations made from them keep their
    /// result but no longer name them (Label Studio sets `parent_prediction` to null).
    pub fn delete_predictions(&mut self, ids: &[i64]) -> Result<DeletedPredictions> {
        let tx = self.bulk_tx()?;
        load_ids(&tx, ids)?;
        let in_ids = "task_id IN (SELECT id FROM temp.bulk_ids)";
        let tasks = count(
            &tx,
            &format!("SELECT COUNT(DISTINCT task_id) FROM predictions WHERE {in_ids}"),
            [],
        )?;
        tx.execute(
            &format!(
                "UPDATE annotations SET parent_prediction = NULL
                 WHERE {in_ids} AND parent_prediction IN (SELECT id FROM predictions WHERE {in_ids})"
            ),
            [],
        )?;
        let predictions =
            tx.execute(&format!("DELETE FROM predictions WHERE {in_ids}"), [])? as u64;
        tx.execute(
            "UPDATE tasks SET total_predictions = 0, prediction_score = NULL
             WHERE id IN (SELECT id FROM temp.bulk_ids)
               AND (total_predictions != 0 OR prediction_score IS NOT NULL)",
            [],
        )?;
        clear_ids(&tx)?;
        tx.commit()?;
        Ok(DeletedPredictions { tasks, predictions })
    }

    /// Label Studio's "create annotations from predictions": every prediction of the tasks
    /// `ids` (of the given model versions; all when `None`) that no annotation was made
    /// from yet becomes an annotation by `user_id` with the prediction's result,
    /// `parent_prediction` naming it, not ground truth and not skipped. A task may so get
    /// several annotations by the same user, as in Label Studio.
    pub fn predictions_to_annotations(
        &mut self,
        ids: &[i64],
        user_id: i64,
        model_versions: Option<&[String]>,
    ) -> Result<Converted> {
        let now = crate::util::now();
        let versions = versions_json(model_versions);
        let tx = self.bulk_tx()?;
        load_ids(&tx, ids)?;
        let chosen = "FROM predictions p WHERE p.task_id IN (SELECT id FROM temp.bulk_ids)
               AND (?1 IS NULL OR p.model_version IN (SELECT value FROM json_each(?1)))";
        let already_converted = count(
            &tx,
            &format!(
                "SELECT COUNT(*) {chosen} AND EXISTS (SELECT 1 FROM annotations a
                   WHERE a.task_id = p.task_id AND a.parent_prediction = p.id)"
            ),
            [&versions],
        )?;
        let no_result = count(
            &tx,
            &format!(
                "SELECT COUNT(*) {chosen} AND NOT (json_valid(p.result) AND json_type(p.result) = 'array')"
            ),
            [&versions],
        )?;
        let tasks = count(
            &tx,
            &format!("SELECT COUNT(DISTINCT p.task_id) {CONVERTIBLE}"),
            [&versions],
        )?;
        let annotations = tx.execute(
            &format!(
                "INSERT INTO annotations (task_id, result, completed_by, was_cancelled,
                    ground_truth, lead_time, parent_prediction, created_at, updated_at)
                 SELECT p.task_id, p.result, ?2, 0, 0, NULL, p.id, ?3, ?3 {CONVERTIBLE}
                 ORDER BY p.id"
            ),
            params![versions, user_id, now],
        )? as u64;
        recount_annotations(&tx, &now)?;
        clear_ids(&tx)?;
        tx.commit()?;
        Ok(Converted {
            tasks,
            annotations,
            already_converted,
            no_result,
        })
    }
}
