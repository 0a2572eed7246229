//! Batched task inserts for an import: one transaction, prepared statements, all or nothing.

use super::Result;
use super::{Sampling, Store};
use crate::task::{Completer, TaskItem};
use rusqlite::{Transaction, params};
use std::collections::HashMap;

/// Counts written for one source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceCounts {
    pub tasks: u64,
    pub annotations: u64,
    pub predictions: u64,
}

/// Users met during an import, resolved to ids (created when new).
struct Users<'t, 'c> {
    tx: &'t Transaction<'c>,
    importer_id: i64,
    by_email: &'t mut HashMap<String, i64>,
    known_ids: &'t mut HashMap<i64, ()>,
    now: &'t str,
}

impl Users<'_, '_> {
    fn id(&mut self, who: &Completer) -> Result<i64> {
        Ok(match who {
            Completer::Importer => self.importer_id,
            Completer::Id(id) => {
                if !self.known_ids.contains_key(id) {
                    self.tx.execute(
                        "INSERT OR IGNORE INTO users (id, email, created_at) VALUES (?1, NULL, ?2)",
                        params![id, self.now],
                    )?;
                    self.known_ids.insert(*id, ());
                }
                *id
            }
            Completer::Email(email) => {
                if let Some(id) = self.by_email.get(email) {
                    return Ok(*id);
                }
                let existing: Option<i64> = self
                    .tx
                    .query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
                        r.get(0)
                    })
                    .ok();
                let id = match existing {
                    Some(id) => id,
                    None => {
                        self.tx.execute(
                            "INSERT INTO users (email, created_at) VALUES (?1, ?2)",
                            params![email, self.now],
                        )?;
                        self.tx.last_insert_rowid()
                    }
                };
                self.by_email.insert(email.clone(), id);
                id
            }
        })
    }
}

/// Writes imported tasks inside one transaction. Dropping it without `commit` rolls
/// everything back, so a failed import leaves the project as it was. The store is in
/// bulk mode meanwhile (see [`Store::bulk_mode`]); the caller ends it.
pub struct ImportWriter<'a> {
    tx: Transaction<'a>,
    next_inner_id: i64,
    importer_id: i64,
    users_by_email: HashMap<String, i64>,
    known_ids: HashMap<i64, ()>,
    now: String,
    had_model_version: bool,
    last_model_version: Option<String>,
    counts: SourceCounts,
    /// The score index was dropped and the project samples by score: build it at commit,
    /// so the first labeling screen does not pay for it.
    rebuild_score_index: bool,
    /// The id the first imported task gets: tasks before it are not touched at commit
    /// unless the overlap cohort has to be drawn again.
    first_new_task: i64,
    /// The id the next imported task gets.
    next_task_id: i64,
    /// A large import: the insert triggers of the search index and of the agreement mark
    /// were dropped and come back at commit; the new tasks are left to the next search
    /// ([`Store::ensure_search_index`]) and get their agreement mark as they are inserted.
    bulk: bool,
    /// The largest task data id is the largest task id, so SQLite gives each new task's
    /// data row its task's id, and the rows go many to a statement. Otherwise (a project
    /// where they differ) each row's id is given, one row a statement.
    task_data_in_step: bool,
}

/// Rows a statement inserts: one statement's work (parse of nothing, a step, a reset) is
/// shared by many rows, which the writer thread of a large import feels.
const ROWS_A_STATEMENT: usize = 32;

/// Task data rows whose id is given go one to a statement: a statement of many rows with
/// a given id makes SQLite journal the pages it changes (see `insert_batch`).
const TASK_DATA_WITH_IDS_A_STATEMENT: usize = 1;

/// Inserts `n` rows through `INSERT ... (cols) VALUES (...), (...)` statements of
/// `per_statement` rows, the rest one a statement; `bind(stmt, first parameter, row)`
/// binds one row's `cols` values.
fn rows_in(
    tx: &Transaction<'_>,
    insert: &str,
    cols: usize,
    n: usize,
    per_statement: usize,
    mut bind: impl FnMut(&mut rusqlite::CachedStatement<'_>, usize, usize) -> rusqlite::Result<()>,
) -> Result<()> {
    let sql = |rows: usize| {
        let one = format!("({})", vec!["?"; cols].join(","));
        format!("{insert} VALUES {}", vec![one; rows].join(","))
    };
    // The full size is the one used over and over; a batch's last few rows go one
    // statement each rather than filling the statement cache with every size. Each is
    // taken from the cache once per call: taking one hashes its text and putting it back
    // clears its bindings, which cost as much as the insert of a small row.
    let mut done = 0;
    if n >= per_statement {
        let mut full = tx.prepare_cached(&sql(per_statement))?;
        while n - done >= per_statement {
            for r in 0..per_statement {
                bind(&mut full, r * cols + 1, done + r)?;
            }
            full.raw_execute()?;
            done += per_statement;
        }
    }
    if done < n {
        let mut single = tx.prepare_cached(&sql(1))?;
        while done < n {
            bind(&mut single, 1, done)?;
            single.raw_execute()?;
            done += 1;
        }
    }
    Ok(())
}

/// Inputs at least this large count as a bulk import (see [`ImportWriter::new`]).
pub const BULK_BYTES: u64 = 32 << 20;

impl<'a> ImportWriter<'a> {
    /// Starts the import transaction; `importer` is the user that annotations without
    /// `completed_by` are credited to.
    /// `expected_bytes` is the size of the inputs: a large import drops the indexes whose
    /// keys arrive in random order (prediction scores); they are built again in one pass
    /// the first time something reads tasks in score order ([`Store::ensure_score_index`]),
    /// which costs far less than updating them row by row, and nothing when no one does.
    /// A project whose sampling is by prediction score gets it back at commit. Its tasks
    /// go into the search index at the first search likewise
    /// ([`Store::ensure_search_index`]).
    pub fn new(store: &'a mut Store, importer: &str, expected_bytes: u64) -> Result<Self> {
        let importer_id = store.user_id(importer)?;
        let samples_by_score = matches!(
            store.project()?.sampling,
            Sampling::PredictionScoreMin | Sampling::PredictionScoreMax
        );
        store.bulk_mode(true);
        // Takes the write lock at BEGIN, waiting for annotators' writes: a deferred
        // transaction reads first and then fails at once, unable to turn into a write
        // after another connection wrote.
        let tx = store
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let bulk = expected_bytes >= BULK_BYTES;
        if bulk {
            for (name, _) in super::schema::SCORE_INDEXES {
                tx.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
            }
            // Inside the transaction: a rollback brings the triggers back. Each costs a
            // statement per row: the search index is filled by the first search instead,
            // and the agreement mark is written with the task row.
            for trigger in [
                super::fts::INSERT_TRIGGER,
                super::schema::AGREEMENT_INSERT_TRIGGER,
            ] {
                tx.execute_batch(&format!("DROP TRIGGER IF EXISTS {trigger}"))?;
            }
        }
        let next_inner_id: i64 = tx.query_row(
            "SELECT COALESCE(MAX(inner_id), 0) + 1 FROM tasks",
            [],
            |r| r.get(0),
        )?;
        let first_new_task: i64 =
            tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM tasks", [], |r| {
                r.get(0)
            })?;
        let last_task_data: i64 =
            tx.query_row("SELECT COALESCE(MAX(task_id), 0) FROM task_data", [], |r| {
                r.get(0)
            })?;
        let had_model_version: bool = tx.query_row(
            "SELECT model_version IS NOT NULL FROM project WHERE id = 1",
            [],
            |r| r.get(0),
        )?;
        Ok(ImportWriter {
            tx,
            next_inner_id,
            importer_id,
            users_by_email: HashMap::new(),
            known_ids: HashMap::new(),
            now: crate::util::now(),
            had_model_version,
            last_model_version: None,
            counts: SourceCounts::default(),
            rebuild_score_index: bulk && samples_by_score,
            first_new_task,
            next_task_id: first_new_task,
            bulk,
            task_data_in_step: last_task_data == first_new_task - 1,
        })
    }

    /// Records a source in the import log and returns its id.
    pub fn begin_source(
        &mut self,
        source: &str,
        format: &str,
        base_dir: Option<&str>,
    ) -> Result<i64> {
        self.tx.execute(
            "INSERT INTO imports (source, format, imported_at, base_dir) VALUES (?1, ?2, ?3, ?4)",
            params![source, format, self.now, base_dir],
        )?;
        self.counts = SourceCounts::default();
        Ok(self.tx.last_insert_rowid())
    }

    /// Inserts a batch of tasks with their annotations and predictions, with statements
    /// prepared once per batch.
    pub fn insert_batch(&mut self, import_id: i64, tasks: &[TaskItem]) -> Result<()> {
        let mut users = Users {
            tx: &self.tx,
            importer_id: self.importer_id,
            by_email: &mut self.users_by_email,
            known_ids: &mut self.known_ids,
            now: &self.now,
        };
        let now = self.now.as_str();
        // The ids SQLite will give the tasks (the next after the largest), known before
        // they are inserted so that their rows go in many to a statement.
        let first_id = self.next_task_id;
        let mut annotations = Vec::new();
        let mut predictions = Vec::new();
        for (i, task) in tasks.iter().enumerate() {
            let task_id = first_id + i as i64;
            for a in &task.annotations {
                annotations.push((task_id, a, users.id(&a.completed_by)?));
            }
            for p in &task.predictions {
                predictions.push((task_id, p));
            }
        }
        rows_in(
            &self.tx,
            "INSERT OR FAIL INTO tasks (inner_id, import_id, source_line, original_id,
                allow_skip, total_annotations, cancelled_annotations, total_predictions,
                is_labeled, prediction_score, created_at, updated_at, agreement_stale)",
            13,
            tasks.len(),
            ROWS_A_STATEMENT,
            |stmt, at, i| {
                let task = &tasks[i];
                let total = task.annotations.iter().filter(|a| !a.was_cancelled).count() as i64;
                let cancelled = task.annotations.len() as i64 - total;
                let (sum, n) = task
                    .predictions
                    .iter()
                    .filter_map(|p| p.score)
                    .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
                let avg_score = (n > 0).then(|| sum / n as f64);
                let created = task.created_at.as_deref().unwrap_or(now);
                let updated = task.updated_at.as_deref().unwrap_or(created);
                stmt.raw_bind_parameter(at, self.next_inner_id + i as i64)?;
                stmt.raw_bind_parameter(at + 1, import_id)?;
                stmt.raw_bind_parameter(at + 2, task.source_line.map(|l| l as i64))?;
                stmt.raw_bind_parameter(at + 3, task.original_id)?;
                stmt.raw_bind_parameter(at + 4, task.allow_skip)?;
                stmt.raw_bind_parameter(at + 5, total)?;
                stmt.raw_bind_parameter(at + 6, cancelled)?;
                stmt.raw_bind_parameter(at + 7, task.predictions.len() as i64)?;
                stmt.raw_bind_parameter(at + 8, total >= 1)?;
                stmt.raw_bind_parameter(at + 9, avg_score)?;
                stmt.raw_bind_parameter(at + 10, created)?;
                stmt.raw_bind_parameter(at + 11, updated)?;
                // What the agreement trigger sets for a task with annotations (here
                // without a statement per annotation when a large import dropped it).
                stmt.raw_bind_parameter(at + 12, !task.annotations.is_empty())
            },
        )?;
        // SQLite gives a new row the id after the largest, as the writer counted on (it
        // holds the write lock); an id given in the statement would make SQLite keep a
        // journal of each statement's pages, since it checks the id is an integer.
        let last_id = first_id + tasks.len() as i64 - 1;
        if !tasks.is_empty() {
            self.last_id_is(last_id, "task")?;
        }
        if self.task_data_in_step {
            rows_in(
                &self.tx,
                "INSERT OR FAIL INTO task_data (data, meta)",
                2,
                tasks.len(),
                ROWS_A_STATEMENT,
                |stmt, at, i| {
                    stmt.raw_bind_parameter(at, tasks[i].data.as_str())?;
                    stmt.raw_bind_parameter(at + 1, tasks[i].meta.as_str())
                },
            )?;
            if !tasks.is_empty() {
                self.last_id_is(last_id, "the data of task")?;
            }
        } else {
            rows_in(
                &self.tx,
                "INSERT INTO task_data (task_id, data, meta)",
                3,
                tasks.len(),
                TASK_DATA_WITH_IDS_A_STATEMENT,
                |stmt, at, i| {
                    stmt.raw_bind_parameter(at, first_id + i as i64)?;
                    stmt.raw_bind_parameter(at + 1, tasks[i].data.as_str())?;
                    stmt.raw_bind_parameter(at + 2, tasks[i].meta.as_str())
                },
            )?;
        }
        rows_in(
            &self.tx,
            "INSERT OR FAIL INTO annotations (task_id, result, completed_by, was_cancelled,
                ground_truth, lead_time, import_id, created_at, updated_at)",
            9,
            annotations.len(),
            ROWS_A_STATEMENT,
            |stmt, at, i| {
                let (task_id, a, user) = annotations[i];
                let created = a.created_at.as_deref().unwrap_or(now);
                let updated = a.updated_at.as_deref().unwrap_or(created);
                stmt.raw_bind_parameter(at, task_id)?;
                stmt.raw_bind_parameter(at + 1, a.result.as_str())?;
                stmt.raw_bind_parameter(at + 2, user)?;
                stmt.raw_bind_parameter(at + 3, a.was_cancelled)?;
                stmt.raw_bind_parameter(at + 4, a.ground_truth)?;
                stmt.raw_bind_parameter(at + 5, a.lead_time)?;
                stmt.raw_bind_parameter(at + 6, a.import_id)?;
                stmt.raw_bind_parameter(at + 7, created)?;
                stmt.raw_bind_parameter(at + 8, updated)
            },
        )?;
        rows_in(
            &self.tx,
            "INSERT OR FAIL INTO predictions (task_id, result, score, model_version, created_at)",
            5,
            predictions.len(),
            ROWS_A_STATEMENT,
            |stmt, at, i| {
                let (task_id, p) = predictions[i];
                stmt.raw_bind_parameter(at, task_id)?;
                stmt.raw_bind_parameter(at + 1, p.result.as_str())?;
                stmt.raw_bind_parameter(at + 2, p.score)?;
                stmt.raw_bind_parameter(at + 3, p.model_version.as_str())?;
                stmt.raw_bind_parameter(at + 4, p.created_at.as_deref().unwrap_or(now))
            },
        )?;
        self.next_task_id += tasks.len() as i64;
        self.next_inner_id += tasks.len() as i64;
        self.counts.tasks += tasks.len() as u64;
        self.counts.annotations += annotations.len() as u64;
        self.counts.predictions += predictions.len() as u64;
        if let Some(p) = tasks.iter().rev().find_map(|t| t.predictions.last()) {
            self.last_model_version = Some(p.model_version.clone());
        }
        Ok(())
    }

    /// Fails unless the last row inserted (`row`, for the message) got `id`, the id the
    /// writer counted on.
    fn last_id_is(&self, id: i64, row: &str) -> Result<()> {
        let got = self.tx.last_insert_rowid();
        if got != id {
            return Err(super::StoreError::Invalid(format!(
                "task ids out of step: {row} {id} was stored as {got}"
            )));
        }
        Ok(())
    }

    /// Closes a source's log entry with its hash, size, counts and warnings.
    pub fn end_source(
        &mut self,
        import_id: i64,
        sha256: &str,
        bytes: u64,
        warnings: &[String],
    ) -> Result<SourceCounts> {
        self.tx.execute(
            "UPDATE imports SET sha256 = ?2, bytes = ?3, task_count = ?4, annotation_count = ?5,
                prediction_count = ?6, warnings = ?7 WHERE id = ?1",
            params![
                import_id,
                sha256,
                bytes as i64,
                self.counts.tasks as i64,
                self.counts.annotations as i64,
                self.counts.predictions as i64,
                serde_json::to_string(warnings).expect("strings serialise"),
            ],
        )?;
        Ok(self.counts)
    }

    /// Makes the import permanent. Like Label Studio, the project's model version becomes
    /// the last imported prediction's version only when the project had none.
    pub fn commit(self) -> Result<()> {
        // New tasks get their overlap, and imported annotations count against it.
        let settings = super::settings::read(&self.tx)?;
        super::settings::apply_overlap_from(&self.tx, &settings, self.first_new_task)?;
        if self.rebuild_score_index {
            for (_, create) in super::schema::SCORE_INDEXES {
                self.tx.execute_batch(create)?;
            }
        }
        if self.bulk {
            // Indexing costs seconds per million tasks: the first search pays it instead,
            // and nothing when no one searches. The mark says from which task on the index
            // is not to be trusted (the lowest, if an earlier import left tasks out too).
            self.tx.execute(
                "UPDATE project SET search_pending_from =
                    COALESCE(MIN(search_pending_from, ?1), ?1) WHERE id = 1",
                [self.first_new_task],
            )?;
            self.tx.execute_batch(super::fts::CREATE_INSERT_TRIGGER)?;
            self.tx
                .execute_batch(super::schema::CREATE_AGREEMENT_INSERT_TRIGGER)?;
        }
        if !self.had_model_version
            && let Some(v) = &self.last_model_version
        {
            self.tx
                .execute("UPDATE project SET model_version = ?1 WHERE id = 1", [v])?;
        }
        self.tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Sampling;

    fn task() -> TaskItem {
        TaskItem {
            data: r#"{"text":"a"}"#.into(),
            meta: "{}".into(),
            annotations: vec![],
            predictions: vec![crate::task::PredictionIn {
                result: "[]".into(),
                score: Some(0.5),
                model_version: "m".into(),
                created_at: None,
            }],
            original_id: None,
            allow_skip: true,
            created_at: None,
            updated_at: None,
            source_line: Some(1),
        }
    }

    /// An annotation with `result` by `who`, nothing else set.
    fn annotation(result: String, who: crate::task::Completer) -> crate::task::AnnotationIn {
        crate::task::AnnotationIn {
            result,
            completed_by: who,
            was_cancelled: false,
            ground_truth: false,
            lead_time: None,
            created_at: None,
            updated_at: None,
            import_id: None,
        }
    }

    /// A task whose data holds `text` and a number, for the search index tests.
    fn text_task(text: &str) -> TaskItem {
        TaskItem {
            data: format!(r#"{{"text":"{text}","n":7}}"#),
            ..task()
        }
    }

    fn indexes(store: &Store) -> Vec<String> {
        let mut stmt = store
            .conn()
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'tasks_%' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }

    /// Imports `tasks` as one source; `bytes`, the input's size, makes it a bulk import or not.
    fn import_tasks(store: &mut Store, tasks: &[TaskItem], bytes: u64) {
        let mut w = ImportWriter::new(store, "u", bytes).unwrap();
        let id = w.begin_source("a.json", "json", None).unwrap();
        w.insert_batch(id, tasks).unwrap();
        w.commit().unwrap();
        store.bulk_mode(false);
    }

    /// SQLite gives each new task the id after the largest, as the writer expects, also
    /// after the last tasks were deleted; each task's data and annotations follow it.
    #[test]
    fn new_tasks_take_the_ids_after_the_largest_left() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            Store::create(&dir.path().join("p.db"), &crate::store::tests::project()).unwrap();
        let import = |store: &mut Store, from: usize, n: usize, bytes: u64| {
            let tasks: Vec<TaskItem> = (from..from + n)
                .map(|k| TaskItem {
                    annotations: vec![annotation(
                        format!("[{k}]"),
                        crate::task::Completer::Importer,
                    )],
                    ..text_task(&format!("t{k}"))
                })
                .collect();
            import_tasks(store, &tasks, bytes);
        };
        import(&mut store, 0, 40, 0);
        store
            .conn()
            .execute_batch("DELETE FROM tasks WHERE id IN (2, 39, 40)")
            .unwrap();
        // A large import (bulk mode) and a small one.
        import(&mut store, 40, 35, BULK_BYTES);
        import(&mut store, 75, 3, 0);
        let mut stmt = store
            .conn()
            .prepare(
                "SELECT t.id, d.data, a.result FROM tasks t JOIN task_data d ON d.task_id = t.id
                 JOIN annotations a ON a.task_id = t.id WHERE t.id >= 38 ORDER BY t.id",
            )
            .unwrap();
        let rows: Vec<(i64, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let want: Vec<(i64, String, String)> = std::iter::once(38)
            .chain(39..39 + 38)
            .map(|id| {
                // Task 38 holds t37; the new tasks t40... start at 39.
                let k = if id == 38 { 37 } else { id + 1 };
                (id, format!(r#"{{"text":"t{k}","n":7}}"#), format!("[{k}]"))
            })
            .collect();
        assert_eq!(rows, want);
    }

    /// A project whose last task has no data row (made by hand): the data of new tasks
    /// still lands on their own tasks, in bulk and small imports.
    #[test]
    fn task_data_lands_on_its_task_when_the_last_task_has_none() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            Store::create(&dir.path().join("p.db"), &crate::store::tests::project()).unwrap();
        let import = |store: &mut Store, from: usize, n: usize, bytes: u64| {
            let tasks: Vec<TaskItem> = (from..from + n)
                .map(|k| text_task(&format!("t{k}")))
                .collect();
            import_tasks(store, &tasks, bytes);
        };
        import(&mut store, 1, 40, 0);
        store
            .conn()
            .execute_batch("DELETE FROM task_data WHERE task_id = 40")
            .unwrap();
        import(&mut store, 41, 35, BULK_BYTES);
        import(&mut store, 76, 3, 0);
        let rows: Vec<(i64, String)> = store
            .conn()
            .prepare("SELECT task_id, data FROM task_data WHERE task_id >= 39 ORDER BY task_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let want: Vec<(i64, String)> = std::iter::once(39)
            .chain(41..79)
            .map(|id| (id, format!(r#"{{"text":"t{id}","n":7}}"#)))
            .collect();
        assert_eq!(rows, want);
    }

    /// More rows than one statement takes, in two batches and after tasks already there:
    /// every row lands on its own task, in order, with its own values (the statements of
    /// many rows and the single-row rest both).
    #[test]
    fn rows_many_to_a_statement_land_on_their_own_tasks() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            Store::create(&dir.path().join("p.db"), &crate::store::tests::project()).unwrap();
        let numbered = |n: usize| -> TaskItem {
            let nth_annotation = |k: usize| crate::task::AnnotationIn {
                was_cancelled: k == 1,
                lead_time: Some(n as f64),
                import_id: Some((n * 10 + k) as i64),
                ..annotation(format!("[{n},{k}]"), crate::task::Completer::Importer)
            };
            TaskItem {
                data: format!(r#"{{"n":{n}}}"#),
                annotations: (0..n % 3).map(nth_annotation).collect(),
                predictions: vec![crate::task::PredictionIn {
                    result: format!("[{n}]"),
                    score: Some(n as f64),
                    model_version: format!("m{n}"),
                    created_at: None,
                }],
                original_id: Some(n as i64),
                ..task()
            }
        };
        let mut next = 0;
        for batch in [5, 70, 33] {
            let mut w = ImportWriter::new(&mut store, "u", 0).unwrap();
            let id = w.begin_source("a.json", "json", None).unwrap();
            let tasks: Vec<TaskItem> = (next..next + batch).map(numbered).collect();
            w.insert_batch(id, &tasks).unwrap();
            w.commit().unwrap();
            store.bulk_mode(false);
            next += batch;
        }
        let rows = |sql: &str| -> Vec<String> {
            let mut stmt = store.conn().prepare(sql).unwrap();
            stmt.query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        let tasks = rows(
            "SELECT t.id || ' ' || t.inner_id || ' ' || t.original_id || ' ' || d.data || ' '
                || t.total_annotations || ' ' || t.cancelled_annotations || ' ' || t.prediction_score
             FROM tasks t JOIN task_data d ON d.task_id = t.id ORDER BY t.id",
        );
        let want: Vec<String> = (0..next)
            .map(|n| {
                let total = (0..n % 3).filter(|k| *k != 1).count();
                let cancelled = n % 3 - total;
                format!(
                    "{} {} {n} {{\"n\":{n}}} {total} {cancelled} {}.0",
                    n + 1,
                    n + 1,
                    n
                )
            })
            .collect();
        assert_eq!(tasks, want);
        let annotations = rows(
            "SELECT task_id || ' ' || result || ' ' || import_id || ' ' || was_cancelled
             FROM annotations ORDER BY id",
        );
        let want: Vec<String> = (0..next)
            .flat_map(|n| {
                (0..n % 3).map(move |k| {
                    format!("{} [{n},{k}] {} {}", n + 1, n * 10 + k, u8::from(k == 1))
                })
            })
            .collect();
        assert_eq!(annotations, want);
        let predictions = rows(
            "SELECT task_id || ' ' || result || ' ' || model_version FROM predictions ORDER BY id",
        );
        let want: Vec<String> = (0..next).map(|n| format!("{} [{n}] m{n}", n + 1)).collect();
        assert_eq!(predictions, want);
    }

    #[test]
    fn foreign_keys_are_unchecked_only_while_an_import_writes() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            Store::create(&dir.path().join("p.db"), &crate::store::tests::project()).unwrap();
        let fk = |c: &rusqlite::Connection| -> bool {
            c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))
                .unwrap()
        };
        assert!(fk(store.conn()));
        {
            let mut w = ImportWriter::new(&mut store, "u", BULK_BYTES).unwrap();
            let id = w.begin_source("a.json", "json", None).unwrap();
            w.insert_batch(id, &[task()]).unwrap();
            assert!(!fk(&w.tx));
            w.commit().unwrap();
        }
        store.bulk_mode(false);
        assert!(fk(store.conn()));
        // What the import wrote holds all the same.
        let broken: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(broken, 0);
        // A deleted task still takes its predictions with it.
        store.conn().execute("DELETE FROM tasks", []).unwrap();
        let left: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM predictions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }

    #[test]
    fn bulk_imports_defer_score_indexes_and_rollbacks_keep_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            Store::create(&dir.path().join("p.db"), &crate::store::tests::project()).unwrap();
        let before = indexes(&store);
        assert!(
            before.contains(&"tasks_labeled_score".to_string()),
            "{before:?}"
        );
        {
            let mut w = ImportWriter::new(&mut store, "u", BULK_BYTES).unwrap();
            let id = w.begin_source("a.json", "json", None).unwrap();
            w.insert_batch(id, &[task()]).unwrap();
            // dropped without commit: rolled back
        }
        store.bulk_mode(false);
        assert_eq!(indexes(&store), before);
        assert_eq!(store.counts().unwrap().tasks, 0);
        {
            let mut w = ImportWriter::new(&mut store, "u", BULK_BYTES).unwrap();
            let id = w.begin_source("a.json", "json", None).unwrap();
            w.insert_batch(id, &[task(), task()]).unwrap();
            w.end_source(id, "h", 1, &[]).unwrap();
            w.commit().unwrap();
        }
        store.bulk_mode(false);
        assert!(!indexes(&store).contains(&"tasks_labeled_score".to_string()));
        store.ensure_score_index().unwrap();
        assert_eq!(indexes(&store), before);
        assert_eq!(store.counts().unwrap().tasks, 2);
        assert_eq!(store.project().unwrap().model_version.as_deref(), Some("m"));

        // A project that samples by score gets its index back at commit.
        store.set_sampling(Sampling::PredictionScoreMax).unwrap();
        {
            let mut w = ImportWriter::new(&mut store, "u", BULK_BYTES).unwrap();
            let id = w.begin_source("b.json", "json", None).unwrap();
            w.insert_batch(id, &[task()]).unwrap();
            w.end_source(id, "h2", 1, &[]).unwrap();
            w.commit().unwrap();
        }
        store.bulk_mode(false);
        assert_eq!(indexes(&store), before);
    }

    #[test]
    fn search_finds_imported_tasks_small_and_bulk_and_not_rolled_back_ones() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            Store::create(&dir.path().join("p.db"), &crate::store::tests::project()).unwrap();
        let with = text_task;
        let triggers = |s: &Store| -> i64 {
            s.conn()
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'task_data_fts%'",
                    [],
                    |r| r.get(0),
                )
                .unwrap()
        };
        for (bytes, word) in [(0, "small"), (BULK_BYTES, "bulky")] {
            let mut w = ImportWriter::new(&mut store, "u", bytes).unwrap();
            let id = w.begin_source("a.json", "json", None).unwrap();
            w.insert_batch(id, &[with(word), with("other")]).unwrap();
            w.end_source(id, "h", 1, &[]).unwrap();
            w.commit().unwrap();
            store.bulk_mode(false);
        }
        {
            let mut w = ImportWriter::new(&mut store, "u", BULK_BYTES).unwrap();
            let id = w.begin_source("b.json", "json", None).unwrap();
            w.insert_batch(id, &[with("gone")]).unwrap();
        }
        store.bulk_mode(false);
        assert_eq!(
            triggers(&store),
            3,
            "a rolled back bulk import keeps the trigger"
        );
        assert_eq!(store.search_ids("small").unwrap(), vec![1]);
        assert_eq!(store.search_ids("bulky").unwrap(), vec![3]);
        assert_eq!(store.search_ids("other 7").unwrap(), vec![2, 4]);
        assert!(store.search_ids("gone").unwrap().is_empty());
        // Tasks added later one by one are indexed by the trigger again.
        let mut w = ImportWriter::new(&mut store, "u", 0).unwrap();
        let id = w.begin_source("c.json", "json", None).unwrap();
        w.insert_batch(id, &[with("later")]).unwrap();
        w.end_source(id, "h", 1, &[]).unwrap();
        w.commit().unwrap();
        store.bulk_mode(false);
        assert_eq!(store.search_ids("later").unwrap().len(), 1);
    }

    #[test]
    fn a_bulk_import_defers_the_search_index_and_the_first_search_catches_up() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            Store::create(&dir.path().join("p.db"), &crate::store::tests::project()).unwrap();
        let with = text_task;
        let import = |store: &mut Store, bytes: u64, words: &[&str]| {
            let mut w = ImportWriter::new(store, "u", bytes).unwrap();
            let id = w.begin_source("a.json", "json", None).unwrap();
            let tasks: Vec<TaskItem> = words.iter().map(|t| with(t)).collect();
            w.insert_batch(id, &tasks).unwrap();
            w.end_source(id, "h", 1, &[]).unwrap();
            w.commit().unwrap();
            store.bulk_mode(false);
        };
        let fts_rows = |s: &Store| -> i64 {
            s.conn()
                .query_row("SELECT count(*) FROM task_fts", [], |r| r.get(0))
                .unwrap()
        };
        import(&mut store, 0, &["first"]);
        import(&mut store, BULK_BYTES, &["alpha", "beta", "gamma"]);
        assert_eq!(store.search_index_pending().unwrap(), 3);
        assert_eq!(fts_rows(&store), 1, "the bulk import's tasks wait");
        // Edits, deletes and more imports before anyone searches.
        store
            .conn()
            .execute(
                "UPDATE task_data SET data = '{\"text\":\"delta\",\"n\":7}' WHERE task_id = 3",
                [],
            )
            .unwrap();
        store
            .conn()
            .execute("DELETE FROM tasks WHERE id = 4", [])
            .unwrap();
        // The deleted task's id comes back (ids are the largest + 1).
        import(&mut store, 0, &["epsilon"]);
        import(&mut store, BULK_BYTES, &["zeta"]);
        // The last task goes and its id comes back with a small import.
        store
            .conn()
            .execute("DELETE FROM tasks WHERE id = 5", [])
            .unwrap();
        import(&mut store, 0, &["eta"]);
        // A bulk import rolled back leaves the mark as it was.
        {
            let mut w = ImportWriter::new(&mut store, "u", BULK_BYTES).unwrap();
            let id = w.begin_source("b.json", "json", None).unwrap();
            w.insert_batch(id, &[with("gone")]).unwrap();
        }
        store.bulk_mode(false);
        assert_eq!(store.search_index_pending().unwrap(), 4);
        let q = crate::store::query::Query {
            search: "alpha".into(),
            ..Default::default()
        };
        assert_eq!(store.query_count(&q).unwrap(), 1);
        assert_eq!(store.search_index_pending().unwrap(), 0);
        assert_eq!(store.search_ids("first").unwrap(), vec![1]);
        assert_eq!(store.search_ids("alpha").unwrap(), vec![2]);
        assert!(store.search_ids("beta").unwrap().is_empty());
        assert_eq!(store.search_ids("delta").unwrap(), vec![3]);
        assert!(store.search_ids("gamma").unwrap().is_empty());
        assert_eq!(store.search_ids("epsilon").unwrap(), vec![4]);
        assert!(store.search_ids("zeta").unwrap().is_empty());
        assert_eq!(store.search_ids("eta").unwrap(), vec![5]);
        assert!(store.search_ids("gone").unwrap().is_empty());
        // One entry per task, none twice.
        assert_eq!(store.search_ids("7").unwrap(), vec![1, 2, 3, 4, 5]);
        assert_eq!(fts_rows(&store), 5);
        // Current again: later tasks go in by the trigger.
        import(&mut store, 0, &["theta"]);
        assert_eq!(store.search_index_pending().unwrap(), 0);
        assert_eq!(store.search_ids("theta").unwrap(), vec![6]);
    }

    #[test]
    fn a_bulk_import_marks_agreement_as_the_trigger_does_and_keeps_the_trigger() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            Store::create(&dir.path().join("p.db"), &crate::store::tests::project()).unwrap();
        let annotated = TaskItem {
            annotations: vec![crate::task::AnnotationIn {
                result: "[]".into(),
                completed_by: crate::task::Completer::Importer,
                was_cancelled: true,
                ground_truth: false,
                lead_time: None,
                created_at: None,
                updated_at: None,
                import_id: None,
            }],
            ..task()
        };
        let trigger = |s: &Store| -> i64 {
            s.conn()
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                    [crate::store::schema::AGREEMENT_INSERT_TRIGGER],
                    |r| r.get(0),
                )
                .unwrap()
        };
        for bytes in [0, BULK_BYTES] {
            let mut w = ImportWriter::new(&mut store, "u", bytes).unwrap();
            let id = w.begin_source("a.json", "json", None).unwrap();
            w.insert_batch(id, &[annotated.clone(), task()]).unwrap();
            w.end_source(id, "h", 2, &[]).unwrap();
            w.commit().unwrap();
            store.bulk_mode(false);
            assert_eq!(trigger(&store), 1);
        }
        {
            let mut w = ImportWriter::new(&mut store, "u", BULK_BYTES).unwrap();
            let id = w.begin_source("b.json", "json", None).unwrap();
            w.insert_batch(id, std::slice::from_ref(&annotated))
                .unwrap();
        }
        store.bulk_mode(false);
        assert_eq!(trigger(&store), 1, "a rollback keeps the trigger");
        let stale: Vec<i64> = {
            let mut st = store
                .conn()
                .prepare("SELECT agreement_stale FROM tasks ORDER BY id")
                .unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        assert_eq!(stale, vec![1, 0, 1, 0]);
    }

    #[test]
    fn imported_tasks_get_the_projects_overlap_and_count_against_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            Store::create(&dir.path().join("p.db"), &crate::store::tests::project()).unwrap();
        store
            .set_settings(&crate::store::settings::Settings {
                maximum_annotations: 2,
                ..Default::default()
            })
            .unwrap();
        let annotated = |n: usize| TaskItem {
            annotations: (0..n)
                .map(|i| annotation("[]".into(), crate::task::Completer::Email(format!("u{i}"))))
                .collect(),
            ..task()
        };
        {
            let mut w = ImportWriter::new(&mut store, "u", 0).unwrap();
            let id = w.begin_source("a.json", "json", None).unwrap();
            w.insert_batch(id, &[annotated(1), annotated(2), task()])
                .unwrap();
            w.end_source(id, "h", 3, &[]).unwrap();
            w.commit().unwrap();
        }
        store.bulk_mode(false);
        let rows: Vec<(i64, bool)> = {
            let mut st = store
                .conn()
                .prepare("SELECT overlap, is_labeled FROM tasks ORDER BY id")
                .unwrap();
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        assert_eq!(rows, vec![(2, false), (2, true), (2, false)]);
    }
}
