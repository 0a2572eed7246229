//! The writes of `labelterm pull`: server tasks, annotations and
//! predictions brought into the project with their server ids recorded, one transaction
//! per page of the server's list.

use super::{Result, Store};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use std::collections::{BTreeSet, HashMap};

/// An annotation as the server has it.
#[derive(Debug, Clone)]
pub struct PulledAnnotation {
    pub server_id: i64,
    /// The result list as JSON text.
    pub result: String,
    pub email: Option<String>,
    pub was_cancelled: bool,
    pub ground_truth: bool,
    pub lead_time: Option<f64>,
    pub created_at: String,
    pub updated_at: String,
}

/// A prediction as the server has it.
#[derive(Debug, Clone)]
pub struct PulledPrediction {
    pub server_id: i64,
    pub result: String,
    pub score: Option<f64>,
    pub model_version: String,
    pub created_at: String,
}

/// A local annotation of a task, with the record of its server side.
#[derive(Debug, Clone)]
pub struct LocalAnnotation {
    pub id: i64,
    pub revision: i64,
    pub result: String,
    pub server_id: Option<i64>,
    /// The local revision the server's copy last matched.
    pub synced_revision: Option<i64>,
    pub server_updated_at: Option<String>,
}

impl LocalAnnotation {
    /// Changed here since it last matched the server (or never sent).
    pub fn changed_here(&self) -> bool {
        self.synced_revision != Some(self.revision)
    }
}

/// One write transaction of a pull; tasks it touched are counted again at commit.
pub struct SyncTx<'a> {
    tx: Transaction<'a>,
    now: String,
    touched: BTreeSet<i64>,
    first_new: Option<i64>,
    /// The next task's `inner_id`, read once (the column has no index to read it from).
    next_inner_id: Option<i64>,
    users: HashMap<String, i64>,
}

impl Store {
    pub fn sync_tx(&mut self) -> Result<SyncTx<'_>> {
        self.writable_again();
        Ok(SyncTx {
            tx: self
                .conn_mut()
                .transaction_with_behavior(TransactionBehavior::Immediate)?,
            now: crate::util::now(),
            touched: BTreeSet::new(),
            first_new: None,
            next_inner_id: None,
            users: HashMap::new(),
        })
    }
}

impl SyncTx<'_> {
    /// The local task recorded for a server task.
    pub fn task_for_server(&self, server_id: i64) -> Result<Option<i64>> {
        Ok(self
            .tx
            .prepare_cached("SELECT task_id FROM server_tasks WHERE server_id = ?1")?
            .query_row([server_id], |r| r.get(0))
            .optional()?)
    }

    /// Whether `task_id` is a task with no server task recorded.
    pub fn is_unmapped_task(&self, task_id: i64) -> Result<bool> {
        Ok(self.tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM tasks t WHERE t.id = ?1
                AND NOT EXISTS (SELECT 1 FROM server_tasks s WHERE s.task_id = t.id))",
            [task_id],
            |r| r.get(0),
        )?)
    }

    pub fn map_task(&self, task_id: i64, server_id: i64) -> Result<()> {
        self.tx.execute(
            "INSERT OR REPLACE INTO server_tasks (task_id, server_id) VALUES (?1, ?2)",
            [task_id, server_id],
        )?;
        Ok(())
    }

    /// The task's data as the server had it when both sides last agreed (None: not known,
    /// for tasks linked before this was kept).
    pub fn server_data(&self, task_id: i64) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT data FROM server_tasks WHERE task_id = ?1")?
            .query_row([task_id], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// Records the server's data of a task both sides now agree on.
    pub fn set_server_data(&self, task_id: i64, data: &str) -> Result<()> {
        self.tx.execute(
            "UPDATE server_tasks SET data = ?2 WHERE task_id = ?1",
            params![task_id, data],
        )?;
        Ok(())
    }

    pub fn task_data(&self, task_id: i64) -> Result<String> {
        Ok(self.tx.query_row(
            "SELECT data FROM task_data WHERE task_id = ?1",
            [task_id],
            |r| r.get(0),
        )?)
    }

    pub fn set_task_data(&mut self, task_id: i64, data: &str) -> Result<()> {
        self.tx.execute(
            "UPDATE task_data SET data = ?2 WHERE task_id = ?1",
            params![task_id, data],
        )?;
        self.touched.insert(task_id);
        Ok(())
    }

    pub fn annotations_of(&self, task_id: i64) -> Result<Vec<LocalAnnotation>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT a.id, a.revision, a.result, s.server_id, s.revision, s.server_updated_at
                 FROM annotations a LEFT JOIN server_annotations s ON s.annotation_id = a.id
                 WHERE a.task_id = ?1 ORDER BY a.id",
            )?
            .query_map([task_id], |r| {
                Ok(LocalAnnotation {
                    id: r.get(0)?,
                    revision: r.get(1)?,
                    result: r.get(2)?,
                    server_id: r.get(3)?,
                    synced_revision: r.get(4)?,
                    server_updated_at: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Server ids of the task's predictions that are recorded.
    pub fn mapped_predictions(&self, task_id: i64) -> Result<Vec<i64>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT s.server_id FROM predictions p JOIN server_predictions s ON s.prediction_id = p.id
                 WHERE p.task_id = ?1",
            )?
            .query_map([task_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    fn user(&mut self, email: Option<&str>) -> Result<Option<i64>> {
        let Some(email) = email else { return Ok(None) };
        if let Some(&id) = self.users.get(email) {
            return Ok(Some(id));
        }
        self.tx.execute(
            "INSERT OR IGNORE INTO users (email, created_at) VALUES (?1, ?2)",
            params![email, self.now],
        )?;
        let id: i64 = self
            .tx
            .query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
                r.get(0)
            })?;
        self.users.insert(email.to_string(), id);
        Ok(Some(id))
    }

    /// A task the server has and this project did not.
    pub fn insert_task(&mut self, data: &str, meta: &str, server_id: i64) -> Result<i64> {
        let inner = match self.next_inner_id {
            Some(n) => n,
            None => self.tx.query_row(
                "SELECT COALESCE(MAX(inner_id), 0) + 1 FROM tasks",
                [],
                |r| r.get(0),
            )?,
        };
        self.next_inner_id = Some(inner + 1);
        self.tx.execute(
            "INSERT INTO tasks (inner_id, created_at, updated_at) VALUES (?1, ?2, ?2)",
            params![inner, self.now],
        )?;
        let id = self.tx.last_insert_rowid();
        self.tx.execute(
            "INSERT INTO task_data (task_id, data, meta) VALUES (?1, ?2, ?3)",
            params![id, data, meta],
        )?;
        self.map_task(id, server_id)?;
        self.first_new.get_or_insert(id);
        self.touched.insert(id);
        Ok(id)
    }

    fn record_annotation(&self, id: i64, a: &PulledAnnotation) -> Result<()> {
        self.tx.execute(
            "INSERT OR REPLACE INTO server_annotations (annotation_id, server_id, revision, server_updated_at)
             SELECT id, ?2, revision, ?3 FROM annotations WHERE id = ?1",
            params![id, a.server_id, a.updated_at],
        )?;
        Ok(())
    }

    /// Records that a local annotation is the server's `a` as it is now.
    pub fn map_annotation(&self, id: i64, a: &PulledAnnotation) -> Result<()> {
        self.record_annotation(id, a)
    }

    pub fn insert_annotation(&mut self, task_id: i64, a: &PulledAnnotation) -> Result<i64> {
        let user = self.user(a.email.as_deref())?;
        self.tx.execute(
            "INSERT INTO annotations (task_id, result, completed_by, was_cancelled, ground_truth,
                lead_time, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                task_id,
                a.result,
                user,
                a.was_cancelled,
                a.ground_truth,
                a.lead_time,
                a.created_at,
                a.updated_at
            ],
        )?;
        let id = self.tx.last_insert_rowid();
        self.record_annotation(id, a)?;
        self.touched.insert(task_id);
        Ok(id)
    }

    /// Replaces a local annotation with the server's version (a new revision).
    pub fn update_annotation(&mut self, id: i64, task_id: i64, a: &PulledAnnotation) -> Result<()> {
        let user = self.user(a.email.as_deref())?;
        self.tx.execute(
            "UPDATE annotations SET result = ?2, completed_by = COALESCE(?3, completed_by),
                was_cancelled = ?4, ground_truth = ?5, lead_time = ?6, updated_at = ?7,
                revision = revision + 1
             WHERE id = ?1",
            params![
                id,
                a.result,
                user,
                a.was_cancelled,
                a.ground_truth,
                a.lead_time,
                a.updated_at
            ],
        )?;
        self.record_annotation(id, a)?;
        self.touched.insert(task_id);
        Ok(())
    }

    pub fn delete_annotation(&mut self, id: i64, task_id: i64) -> Result<()> {
        self.tx
            .execute("DELETE FROM annotations WHERE id = ?1", [id])?;
        self.touched.insert(task_id);
        Ok(())
    }

    /// Drops the record of an annotation's server side: the next push sends it as new.
    pub fn forget_annotation(&self, id: i64) -> Result<()> {
        self.tx.execute(
            "DELETE FROM server_annotations WHERE annotation_id = ?1",
            [id],
        )?;
        Ok(())
    }

    pub fn insert_prediction(&mut self, task_id: i64, p: &PulledPrediction) -> Result<()> {
        self.tx.execute(
            "INSERT INTO predictions (task_id, result, score, model_version, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![task_id, p.result, p.score, p.model_version, p.created_at],
        )?;
        let id = self.tx.last_insert_rowid();
        self.tx.execute(
            "INSERT OR REPLACE INTO server_predictions (prediction_id, server_id) VALUES (?1, ?2)",
            [id, p.server_id],
        )?;
        self.touched.insert(task_id);
        Ok(())
    }

    /// Whether a task holds work the server has not seen: annotations never sent or
    /// changed since.
    pub fn has_unsent_work(&self, task_id: i64) -> Result<bool> {
        Ok(self.tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM annotations a
                LEFT JOIN server_annotations s ON s.annotation_id = a.id
                WHERE a.task_id = ?1 AND (s.annotation_id IS NULL OR s.revision <> a.revision))",
            [task_id],
            |r| r.get(0),
        )?)
    }

    pub fn delete_task(&mut self, task_id: i64) -> Result<()> {
        self.tx
            .execute("DELETE FROM tasks WHERE id = ?1", [task_id])?;
        self.touched.remove(&task_id);
        Ok(())
    }

    pub fn unmap_task(&self, task_id: i64) -> Result<()> {
        self.tx
            .execute("DELETE FROM server_tasks WHERE task_id = ?1", [task_id])?;
        Ok(())
    }

    /// Counts the touched tasks again, gives new tasks the project's overlap, and commits.
    pub fn commit(self) -> Result<()> {
        let settings = super::settings::read(&self.tx)?;
        {
            let mut recount = self.tx.prepare_cached(
                "UPDATE tasks SET
                    total_annotations = (SELECT COUNT(*) FROM annotations a WHERE a.task_id = tasks.id AND a.was_cancelled = 0),
                    cancelled_annotations = (SELECT COUNT(*) FROM annotations a WHERE a.task_id = tasks.id AND a.was_cancelled = 1),
                    total_predictions = (SELECT COUNT(*) FROM predictions p WHERE p.task_id = tasks.id),
                    prediction_score = (SELECT AVG(score) FROM predictions p WHERE p.task_id = tasks.id),
                    updated_at = ?2
                 WHERE id = ?1",
            )?;
            for id in &self.touched {
                recount.execute(params![id, self.now])?;
                super::settings::recount_labeled(&self.tx, settings.skip_queue, Some(*id))?;
            }
        }
        if let Some(first) = self.first_new {
            super::settings::apply_overlap_from(&self.tx, &settings, first)?;
        }
        self.tx.commit()?;
        Ok(())
    }
}
