//! The link to a Label Studio server project (`labelterm link`) and what was sent there.

use super::read::{
    ANNOTATION_COLUMNS, AnnotationRow, PREDICTION_COLUMNS, PredictionRow, annotation_row,
    prediction_row,
};
use super::{Result, Store};
use rusqlite::{OptionalExtension, params};

/// A project's link to a server project, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLink {
    pub url: String,
    pub project_id: i64,
    pub title: String,
    /// `post`, `file` or `url`.
    pub media: String,
    /// (server field, local data key) pairs.
    pub mapping: Vec<(String, String)>,
    pub linked_at: String,
    /// Marks this project's tasks on the server (see migration 11).
    pub local_key: String,
    /// The server's LOCAL_FILES_DOCUMENT_ROOT (`--media file`).
    pub document_root: Option<String>,
}

/// A task to send, with what is attached to it.
#[derive(Debug, Clone)]
pub struct PushTask {
    pub id: i64,
    pub data: String,
    pub meta: String,
    /// The folder of the file the task was imported from.
    pub base_dir: Option<String>,
    pub annotations: Vec<AnnotationRow>,
    pub predictions: Vec<PredictionRow>,
}

/// What the server confirmed it has: (local id, server id) pairs.
#[derive(Debug, Clone, Default)]
pub struct Sent {
    pub tasks: Vec<(i64, i64)>,
    /// (local task, the task's data as the server has it), the baseline `pull` compares the
    /// server's data with.
    pub task_data: Vec<(i64, String)>,
    pub annotations: Vec<SentAnnotation>,
    pub predictions: Vec<(i64, i64)>,
}

#[derive(Debug, Clone)]
pub struct SentAnnotation {
    pub id: i64,
    pub server_id: i64,
    /// The local revision the server's copy matches.
    pub revision: i64,
    pub server_updated_at: String,
}

/// An annotation's revision beside the record of its server side.
#[derive(Debug, Clone)]
pub struct AnnotationSyncState {
    pub revision: i64,
    pub server_id: Option<i64>,
    /// The local revision the server's copy last matched.
    pub synced_revision: Option<i64>,
    pub server_updated_at: Option<String>,
}

/// An annotation on a task the server has, with what is known of its server side.
#[derive(Debug, Clone)]
pub struct SyncedAnnotation {
    pub annotation: AnnotationRow,
    pub server_task: i64,
    /// None: never sent.
    pub server_id: Option<i64>,
    pub server_updated_at: Option<String>,
}

impl Store {
    pub fn server_link(&self) -> Result<Option<ServerLink>> {
        Ok(self
            .conn
            .query_row(
                "SELECT url, project_id, title, media, mapping, linked_at, local_key, document_root
                 FROM server_link WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Option<String>>(7)?,
                    ))
                },
            )
            .optional()?
            .map(
                |(url, project_id, title, media, mapping, linked_at, local_key, document_root)| {
                    ServerLink {
                        url,
                        project_id,
                        title,
                        media,
                        // Written by `set_server_link` only.
                        mapping: serde_json::from_str(&mapping).unwrap_or_default(),
                        linked_at,
                        local_key,
                        document_root,
                    }
                },
            ))
    }

    /// Records the link. Linking to another server project forgets what was sent to the
    /// one before.
    pub fn set_server_link(&mut self, link: &ServerLink) -> Result<()> {
        let tx = self.conn.transaction()?;
        let same: bool = tx
            .query_row(
                "SELECT url = ?1 AND project_id = ?2 FROM server_link WHERE id = 1",
                params![link.url, link.project_id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false);
        if !same {
            forget_sent(&tx)?;
        }
        tx.execute(
            "INSERT INTO server_link (id, url, project_id, title, media, mapping, linked_at, local_key,
                document_root)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET url = ?1, project_id = ?2, title = ?3, media = ?4,
                mapping = ?5, linked_at = ?6, local_key = ?7, document_root = ?8",
            params![
                link.url,
                link.project_id,
                link.title,
                link.media,
                serde_json::to_string(&link.mapping).expect("strings serialise"),
                link.linked_at,
                link.local_key,
                link.document_root,
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Removes the link and what was recorded as sent.
    pub fn remove_server_link(&mut self) -> Result<bool> {
        let tx = self.conn.transaction()?;
        forget_sent(&tx)?;
        let removed = tx.execute("DELETE FROM server_link", [])? > 0;
        tx.commit()?;
        Ok(removed)
    }

    pub fn push_in_flight(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT push_in_flight FROM server_link WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false))
    }

    /// Marks that something is being sent whose arrival may go unheard.
    pub fn set_push_in_flight(&self, on: bool) -> Result<()> {
        self.conn.execute(
            "UPDATE server_link SET push_in_flight = ?1 WHERE id = 1",
            [on],
        )?;
        Ok(())
    }

    /// Up to `limit` tasks with ids above `after` that the server does not have, in id
    /// order, with their annotations and predictions.
    pub fn tasks_to_push(&self, after: i64, limit: usize) -> Result<Vec<PushTask>> {
        let tasks = self.unsent_task_data(after, limit)?;
        self.with_attached(tasks)
    }

    /// The tasks among `ids` that the server does not have (as far as the store knows), in
    /// id order, with their annotations and predictions.
    pub fn unsent_tasks(&self, ids: &[i64]) -> Result<Vec<PushTask>> {
        let tasks = self
            .conn
            .prepare_cached(
                "SELECT t.id, d.data, d.meta, i.base_dir FROM tasks t JOIN task_data d ON d.task_id = t.id
                 LEFT JOIN imports i ON i.id = t.import_id
                 WHERE t.id IN (SELECT value FROM json_each(?1))
                   AND NOT EXISTS (SELECT 1 FROM server_tasks s WHERE s.task_id = t.id)
                 ORDER BY t.id",
            )?
            .query_map(
                [serde_json::to_string(ids).expect("ids serialise")],
                push_task,
            )?
            .collect::<rusqlite::Result<_>>()?;
        self.with_attached(tasks)
    }

    /// Up to `limit` tasks with ids above `after` that the server does not have, in id
    /// order, without their annotations and predictions (their data is checked at `link`).
    pub fn unsent_task_data(&self, after: i64, limit: usize) -> Result<Vec<PushTask>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT t.id, d.data, d.meta, i.base_dir FROM tasks t JOIN task_data d ON d.task_id = t.id
                 LEFT JOIN imports i ON i.id = t.import_id
                 WHERE t.id > ?1 AND NOT EXISTS (SELECT 1 FROM server_tasks s WHERE s.task_id = t.id)
                 ORDER BY t.id LIMIT ?2",
            )?
            .query_map(params![after, limit as i64], push_task)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// The server URL of a file uploaded with this content (its SHA-256, hex).
    pub fn server_upload(&self, sha256: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT url FROM server_uploads WHERE sha256 = ?1",
                [sha256],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records a file the server took.
    pub fn record_upload(&self, sha256: &str, url: &str) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO server_uploads (sha256, url) VALUES (?1, ?2)",
            [sha256, url],
        )?;
        Ok(())
    }

    /// Tasks in id order with their annotations and predictions filled in.
    fn with_attached(&self, mut tasks: Vec<PushTask>) -> Result<Vec<PushTask>> {
        let c = &self.conn;
        let (Some(first), Some(last)) = (tasks.first().map(|t| t.id), tasks.last().map(|t| t.id))
        else {
            return Ok(tasks);
        };
        let index: std::collections::HashMap<i64, usize> =
            tasks.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
        let annotations = c
            .prepare_cached(&format!(
                "SELECT {ANNOTATION_COLUMNS} FROM annotations a LEFT JOIN users u ON u.id = a.completed_by
                 WHERE a.task_id BETWEEN ?1 AND ?2 ORDER BY a.task_id, a.id"
            ))?
            .query_map([first, last], annotation_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for a in annotations {
            if let Some(&i) = index.get(&a.task_id) {
                tasks[i].annotations.push(a);
            }
        }
        let predictions = c
            .prepare_cached(&format!(
                "SELECT {PREDICTION_COLUMNS} FROM predictions p
                 WHERE p.task_id BETWEEN ?1 AND ?2 ORDER BY p.task_id, p.id"
            ))?
            .query_map([first, last], prediction_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for p in predictions {
            if let Some(&i) = index.get(&p.task_id) {
                tasks[i].predictions.push(p);
            }
        }
        Ok(tasks)
    }

    /// Records tasks the server took, with the server ids of what came inside them, in one
    /// transaction, and clears the in-flight mark.
    pub fn record_pushed(&mut self, sent: &Sent) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut task = tx.prepare_cached(
                "INSERT OR REPLACE INTO server_tasks (task_id, server_id) VALUES (?1, ?2)",
            )?;
            for (id, server_id) in &sent.tasks {
                task.execute([id, server_id])?;
            }
            let mut data =
                tx.prepare_cached("UPDATE server_tasks SET data = ?2 WHERE task_id = ?1")?;
            for (id, d) in &sent.task_data {
                data.execute(params![id, d])?;
            }
            let mut ann = tx.prepare_cached(
                "INSERT OR REPLACE INTO server_annotations (annotation_id, server_id, revision, server_updated_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for a in &sent.annotations {
                ann.execute(params![a.id, a.server_id, a.revision, a.server_updated_at])?;
            }
            let mut pred = tx.prepare_cached(
                "INSERT OR REPLACE INTO server_predictions (prediction_id, server_id) VALUES (?1, ?2)",
            )?;
            for (id, server_id) in &sent.predictions {
                pred.execute([id, server_id])?;
            }
        }
        tx.execute("UPDATE server_link SET push_in_flight = 0 WHERE id = 1", [])?;
        tx.commit()?;
        Ok(())
    }

    /// The local task a server task stands for, if it is one of ours.
    pub fn server_task_ids(&self) -> Result<std::collections::HashMap<i64, i64>> {
        Ok(self
            .conn
            .prepare("SELECT server_id, task_id FROM server_tasks")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Annotations on tasks the server has: those never sent, and those sent whose
    /// revision moved on since.
    pub fn annotations_to_push(&self) -> Result<Vec<SyncedAnnotation>> {
        let sql = format!(
            "SELECT {ANNOTATION_COLUMNS}, st.server_id, sa.server_id, sa.server_updated_at
             FROM annotations a
             JOIN server_tasks st ON st.task_id = a.task_id
             LEFT JOIN users u ON u.id = a.completed_by
             LEFT JOIN server_annotations sa ON sa.annotation_id = a.id
             WHERE sa.annotation_id IS NULL OR sa.revision <> a.revision
             ORDER BY a.id"
        );
        Ok(self
            .conn
            .prepare(&sql)?
            .query_map([], |r| {
                Ok(SyncedAnnotation {
                    annotation: annotation_row(r)?,
                    server_task: r.get(13)?,
                    server_id: r.get(14)?,
                    server_updated_at: r.get(15)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Predictions on tasks the server has that were never sent, with the server task.
    pub fn predictions_to_push(&self) -> Result<Vec<(PredictionRow, i64)>> {
        let sql = format!(
            "SELECT {PREDICTION_COLUMNS}, st.server_id FROM predictions p
             JOIN server_tasks st ON st.task_id = p.task_id
             WHERE NOT EXISTS (SELECT 1 FROM server_predictions sp WHERE sp.prediction_id = p.id)
             ORDER BY p.id"
        );
        Ok(self
            .conn
            .prepare(&sql)?
            .query_map([], |r| Ok((prediction_row(r)?, r.get(6)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Server ids of the predictions recorded as sent.
    pub fn mapped_prediction_ids(&self) -> Result<std::collections::HashSet<i64>> {
        Ok(self
            .conn
            .prepare("SELECT server_id FROM server_predictions")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Every annotation with the record of its server side.
    pub fn annotation_sync_states(&self) -> Result<Vec<AnnotationSyncState>> {
        Ok(self
            .conn
            .prepare(
                "SELECT a.revision, s.server_id, s.revision, s.server_updated_at
                 FROM annotations a LEFT JOIN server_annotations s ON s.annotation_id = a.id",
            )?
            .query_map([], |r| {
                Ok(AnnotationSyncState {
                    revision: r.get(0)?,
                    server_id: r.get(1)?,
                    synced_revision: r.get(2)?,
                    server_updated_at: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// (tasks, tasks not on the server, predictions not on the server).
    pub fn unsent_counts(&self) -> Result<(i64, i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM tasks),
                    (SELECT COUNT(*) FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM server_tasks s WHERE s.task_id = t.id)),
                    (SELECT COUNT(*) FROM predictions p WHERE NOT EXISTS (SELECT 1 FROM server_predictions s WHERE s.prediction_id = p.id))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?)
    }

    /// How much of the project the server has: (tasks, annotations, predictions) sent.
    pub fn sent_counts(&self) -> Result<(i64, i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM server_tasks), (SELECT COUNT(*) FROM server_annotations),
                    (SELECT COUNT(*) FROM server_predictions)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?)
    }
}

fn push_task(r: &rusqlite::Row) -> rusqlite::Result<PushTask> {
    Ok(PushTask {
        id: r.get(0)?,
        data: r.get(1)?,
        meta: r.get(2)?,
        base_dir: r.get(3)?,
        annotations: Vec::new(),
        predictions: Vec::new(),
    })
}

fn forget_sent(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    tx.execute_batch(
        "DELETE FROM server_tasks; DELETE FROM server_annotations; DELETE FROM server_predictions;
         DELETE FROM server_uploads;",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_stored_replaced_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            Store::create(&dir.path().join("p.db"), &crate::store::tests::project()).unwrap();
        assert_eq!(store.server_link().unwrap(), None);
        let mut link = ServerLink {
            url: "http://127.0.0.1:8080".into(),
            project_id: 3,
            title: "Reviews".into(),
            media: "url".into(),
            mapping: vec![("text".into(), "review".into())],
            linked_at: "2026-01-01T00:00:00Z".into(),
            local_key: "k1".into(),
            document_root: Some("/srv/media".into()),
        };
        store.set_server_link(&link).unwrap();
        assert_eq!(store.server_link().unwrap().as_ref(), Some(&link));
        link.project_id = 4;
        store.set_server_link(&link).unwrap();
        assert_eq!(store.server_link().unwrap().unwrap().project_id, 4);
        assert!(store.remove_server_link().unwrap());
        assert_eq!(store.server_link().unwrap(), None);
    }
}
