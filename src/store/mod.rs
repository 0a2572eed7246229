//! The project store: one SQLite file per project. This is the only code that speaks SQL.

pub mod agreement;
pub mod annotate;
pub mod browse;
pub mod bulk;
mod busy;
pub mod claims;
mod error;
mod export;
#[macro_use]
pub mod fts;
mod import;
mod link;
pub mod pull;
pub mod query;
mod read;
pub mod reviews;
pub mod schema;
pub mod settings;
pub mod views;

pub use link::{AnnotationSyncState, PushTask, Sent, SentAnnotation, ServerLink, SyncedAnnotation};

pub use agreement::{AgreementAnnotation, AgreementPrediction, TaskResults};
pub use bulk::{BulkPreview, Converted, DeletedAnnotations, DeletedPredictions, DeletedTasks};
pub use error::{Result, StoreError, StoreErrorKind};
pub use export::{ExportSelection, ReviewSource};
pub use import::ImportWriter;
pub use import::SourceCounts;
pub use read::{AnnotationRow, Counts, ImportLogRow, PredictionRow, TaskFull, TaskRow};
pub use reviews::{Decision, QueueItem, ReviewOrder, ReviewRow, ReviewWrite};
pub use views::SavedView;

// `Error` here is the store's own, so that its file errors read `Error::Store { .. }`.
use error::StoreError as Error;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// Next-task order, with Label Studio's names (its 0.x CLI names and the 1.x ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    Sequential,
    Uniform,
    PredictionScoreMin,
    PredictionScoreMax,
}

impl Sampling {
    pub const NAMES: &'static [&'static str] = &[
        "sequential",
        "uniform",
        "prediction-score-min",
        "prediction-score-max",
    ];

    /// Label Studio's names only (and `uncertainty`, its 1.x name for the lowest score
    /// first): a guess such as `random` is refused rather than stored as something else.
    pub fn parse(s: &str) -> Option<Sampling> {
        Some(match s.to_ascii_lowercase().as_str() {
            "sequential" => Sampling::Sequential,
            "uniform" => Sampling::Uniform,
            "prediction-score-min" | "uncertainty" => Sampling::PredictionScoreMin,
            "prediction-score-max" => Sampling::PredictionScoreMax,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Sampling::Sequential => "sequential",
            Sampling::Uniform => "uniform",
            Sampling::PredictionScoreMin => "prediction-score-min",
            Sampling::PredictionScoreMax => "prediction-score-max",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub title: String,
    pub label_config: String,
    pub sampling: Sampling,
    pub model_version: Option<String>,
    pub created_at: String,
}

#[derive(Debug)]
pub struct Store {
    // Declared before `busy`, so dropped first: the connection's busy handler points there.
    conn: Connection,
    path: PathBuf,
    busy: Box<busy::BusyWait>,
}

/// Why the file at `path` is not a labelterm project, read from its header without
/// opening it as a database; `None` when it is one (or may be: a project whose header
/// change still sits in its write-ahead log is left to SQLite to read).
fn not_a_project(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut header = [0u8; 100];
    let mut f = std::fs::File::open(path).ok()?;
    let mut read = 0;
    while read < header.len() {
        match f.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(_) => return None,
        }
    }
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if std::path::Path::new(&wal).exists() {
        return None;
    }
    if read == 0 {
        return Some("not a labelterm project file: the file is empty".into());
    }
    if read < header.len() || &header[..16] != b"SQLite format 3\0" {
        return Some("not a labelterm project file: not a SQLite database".into());
    }
    let app_id = i32::from_be_bytes([header[68], header[69], header[70], header[71]]);
    (app_id != schema::APPLICATION_ID)
        .then(|| "not a labelterm project file: a SQLite database of another program".into())
}

/// The page size of new project files. Against SQLite's 4 KiB, 16 KiB pages took 15% of
/// the CPU time of a large import's writer (fewer pages to find, split and write for the
/// same rows; measured with `perf` on 200,000 tasks), and cost a saved answer a few more
/// bytes of WAL, which nobody notices. Files made before keep theirs.
const PAGE_SIZE: i64 = 16384;

impl Store {
    /// Opens a connection in WAL mode; a `new` file first gets its page size, which the
    /// WAL fixes for good.
    fn connect(path: &Path, busy: &busy::BusyWait, new: bool) -> Result<Connection> {
        let conn = Connection::open(path).map_err(|e| Error::Store {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        busy.install(&conn)?;
        if new {
            conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a commit is on disk before it returns, so an answer the screen calls
        // saved survives a power cut, not only a crash (WAL's NORMAL may lose the last
        // commits then). It costs one sync per submit, which a person never notices.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(conn)
    }

    /// Creates a new project file. Fails if the file exists.
    pub fn create(path: &Path, project: &Project) -> Result<Store> {
        if path.exists() {
            return Err(Error::Store {
                path: path.display().to_string(),
                message: "already exists".into(),
            });
        }
        let busy = busy::BusyWait::new(std::time::Duration::from_secs(5));
        let mut conn = Self::connect(path, &busy, true)?;
        conn.pragma_update(None, "application_id", schema::APPLICATION_ID)?;
        migrate(&mut conn, 0)?;
        conn.execute(
            "INSERT INTO project (id, title, label_config, sampling, model_version, created_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            params![
                project.title,
                project.label_config,
                project.sampling.name(),
                project.model_version,
                project.created_at
            ],
        )?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            busy,
        })
    }

    /// Opens an existing project, applying any pending migrations.
    pub fn open(path: &Path) -> Result<Store> {
        let store_err = |message: String| Error::Store {
            path: path.display().to_string(),
            message,
        };
        if !path.is_file() {
            return Err(store_err(
                "no such project (create one with `labelterm init`)".into(),
            ));
        }
        // Opening turns on the WAL, which writes to the file: read its header first, so a
        // file that is not a project (empty, text, another program's database) is left
        // as it was.
        if let Some(why) = not_a_project(path) {
            return Err(store_err(why));
        }
        let busy = busy::BusyWait::new(std::time::Duration::from_secs(5));
        let mut conn = Self::connect(path, &busy, false).map_err(|e| {
            // A large import writes without the WAL while nobody else has the file open;
            // turning the WAL back on has to wait for it to finish.
            let hint = if e.is_busy() {
                " (another labelterm command, such as a large import, is writing it; try again when it is done)".to_string()
            } else {
                folder_hint(path)
            };
            store_err(format!("cannot open: {e}{hint}"))
        })?;
        let app_id: i32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| store_err(format!("not a labelterm project ({e})")))?;
        if app_id != schema::APPLICATION_ID {
            return Err(store_err("not a labelterm project file".into()));
        }
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > schema::current_version() {
            return Err(store_err(format!(
                "written by a newer labelterm (schema {version}, this one knows {})",
                schema::current_version()
            )));
        }
        migrate(&mut conn, version)?;
        // `connect` turned on WAL, so readers go on while the annotator writes. A writer
        // waits this long for another writer before the caller hears "busy" and retries on
        // its own schedule, so the screen never hangs for long.
        busy.set_limit(std::time::Duration::from_secs(2));
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            busy,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A connection opened while the file could not be written (a read-only file, folder
    /// or mount) stays read-only for good, even once the file can be written again. A
    /// save or claim on it reconnects first, so an answer held through the fault goes in
    /// when the fault clears.
    pub(crate) fn writable_again(&mut self) {
        if self.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false)
            && let Ok(conn) = Self::connect(&self.path, &self.busy, false)
            && !conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true)
        {
            self.conn = conn;
        }
    }

    /// How long a write waits for other writers before failing as busy. `open` sets 2 s,
    /// for a screen that retries on its own; a command that writes once (an import)
    /// waits longer rather than fail while annotators work.
    pub fn set_busy_timeout(&self, wait: std::time::Duration) -> Result<()> {
        self.busy.set_limit(wait);
        Ok(())
    }

    pub fn project(&self) -> Result<Project> {
        let row = self.conn.query_row(
            "SELECT title, label_config, sampling, model_version, created_at FROM project WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        )?;
        Ok(Project {
            title: row.0,
            label_config: row.1,
            sampling: Sampling::parse(&row.2).unwrap_or(Sampling::Sequential),
            model_version: row.3,
            created_at: row.4,
        })
    }

    pub fn set_sampling(&self, sampling: Sampling) -> Result<()> {
        self.conn.execute(
            "UPDATE project SET sampling = ?1 WHERE id = 1",
            [sampling.name()],
        )?;
        Ok(())
    }

    /// Whether the annotator starts a task from its predictions.
    pub fn prelabel(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT prelabel FROM project WHERE id = 1", [], |r| {
                r.get(0)
            })?)
    }

    pub fn set_prelabel(&self, on: bool) -> Result<()> {
        self.conn
            .execute("UPDATE project SET prelabel = ?1 WHERE id = 1", [on])?;
        Ok(())
    }

    /// The id of the user with this email/name, created when new.
    pub fn user_id(&self, email: &str) -> Result<i64> {
        if let Some(id) = self
            .conn
            .query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
                r.get(0)
            })
            .optional()?
        {
            return Ok(id);
        }
        // Two annotators starting at once as a new user: one inserts, the other's insert
        // does nothing, and both read the same row.
        self.conn.execute(
            "INSERT INTO users (email, created_at) VALUES (?1, ?2) ON CONFLICT (email) DO NOTHING",
            params![email, crate::util::now()],
        )?;
        Ok(self
            .conn
            .query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
                r.get(0)
            })?)
    }

    /// Email/name of a user id.
    pub fn user_email(&self, id: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT email FROM users WHERE id = ?1", [id], |r| {
                r.get::<_, Option<String>>(0)
            })
            .optional()?
            .flatten())
    }

    /// Bulk mode for large imports: a rollback journal instead of the WAL (a transaction of
    /// a million rows would otherwise be written twice, to the WAL and again at checkpoint)
    /// with full syncs, and a 64 MiB page cache so that pages spill to disk rarely.
    /// Only taken when no other connection has the file open; otherwise the WAL stays.
    /// Foreign keys are not checked meanwhile: the import writer makes every id it refers
    /// to itself, and the checks cost a lookup in the parent table per row.
    pub fn bulk_mode(&mut self, on: bool) {
        let c = &self.conn;
        // Outside a transaction only (SQLite ignores it inside one); both callers are.
        let _ = c.pragma_update(None, "foreign_keys", if on { "OFF" } else { "ON" });
        if on {
            let _ = c.pragma_update(None, "cache_size", -65536);
            // A statement of many rows keeps the pages it changes in a statement journal
            // (to undo that statement alone), a temporary file by default: kept in memory
            // it costs no system calls. A failed import rolls back its whole transaction.
            let _ = c.pragma_update(None, "temp_store", "MEMORY");
            // Don't wait for readers: if another connection is open, stay in WAL.
            let wait = self.busy.limit();
            self.busy.set_limit(std::time::Duration::ZERO);
            let mode: rusqlite::Result<String> =
                c.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0));
            self.busy.set_limit(wait);
            if matches!(mode.as_deref(), Ok("delete")) {
                let _ = c.pragma_update(None, "synchronous", "FULL");
            }
        } else {
            let _ = c.pragma_update(None, "cache_size", -2000);
            let _ = c.pragma_update(None, "temp_store", "DEFAULT");
            let _: rusqlite::Result<String> =
                c.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0));
            let _ = c.pragma_update(None, "synchronous", "FULL");
        }
    }

    /// Builds the score index if a large import left it out (see `ImportWriter::new`).
    /// Everything that reads tasks in prediction-score order calls this first; when the
    /// index exists it costs nothing.
    pub fn ensure_score_index(&self) -> Result<()> {
        for (_, create) in schema::SCORE_INDEXES {
            self.conn.execute_batch(create)?;
        }
        Ok(())
    }

    /// Raw access for the store's own submodules.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// Why SQLite may fail to open a project it can read: in WAL mode it makes the `-wal` and
/// `-shm` files beside it, which a read-only folder does not allow.
fn folder_hint(path: &Path) -> String {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else {
        return String::new();
    };
    // SAFETY: a valid NUL-terminated path; access() only reads it.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0 {
        String::new()
    } else {
        format!(
            " (the folder {} is read-only, and the project needs its -wal and -shm files beside it)",
            dir.display()
        )
    }
}

fn migrate(conn: &mut Connection, from: i64) -> Result<()> {
    if from >= schema::current_version() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(from as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A project file with `n` empty tasks.
    pub(crate) fn with_tasks(n: usize) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::create(&dir.path().join("p.db"), &project()).unwrap();
        for i in 0..n {
            s.conn()
                .execute(
                    "INSERT INTO tasks (inner_id, created_at, updated_at) VALUES (?1, 'x', 'x')",
                    [i as i64 + 1],
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

    pub(crate) fn project() -> Project {
        Project {
            title: "t".into(),
            label_config: "<View/>".into(),
            sampling: Sampling::Sequential,
            model_version: None,
            created_at: crate::util::now(),
        }
    }

    #[test]
    fn create_open_and_reject_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.db");
        Store::create(&p, &project()).unwrap();
        assert!(Store::create(&p, &project()).is_err());
        let s = Store::open(&p).unwrap();
        assert_eq!(s.project().unwrap().title, "t");
        let v: i64 = s
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, schema::current_version());

        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE x(a)")
            .unwrap();
        assert!(
            Store::open(&other)
                .unwrap_err()
                .to_string()
                .contains("not a labelterm project")
        );
        assert!(Store::open(&dir.path().join("missing.db")).is_err());
    }

    #[test]
    fn new_projects_get_the_page_size_and_old_ones_keep_theirs() {
        let dir = tempfile::tempdir().unwrap();
        let page_size = |s: &Store| -> i64 {
            s.conn()
                .pragma_query_value(None, "page_size", |r| r.get(0))
                .unwrap()
        };
        let p = dir.path().join("p.db");
        drop(Store::create(&p, &project()).unwrap());
        assert_eq!(page_size(&Store::open(&p).unwrap()), PAGE_SIZE);
        // A project made with SQLite's default page size stays as it is.
        let old = dir.path().join("old.db");
        std::fs::copy(&p, &old).unwrap();
        {
            let c = Connection::open(&old).unwrap();
            c.execute_batch("PRAGMA journal_mode=DELETE; PRAGMA page_size=4096; VACUUM;")
                .unwrap();
        }
        let s = Store::open(&old).unwrap();
        assert_eq!(page_size(&s), 4096);
        assert_eq!(s.project().unwrap().title, "t");
    }

    #[test]
    fn old_projects_are_migrated_with_their_tasks() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("old.db");
        {
            let c = Connection::open(&p).unwrap();
            c.pragma_update(None, "application_id", schema::APPLICATION_ID)
                .unwrap();
            c.execute_batch(schema::MIGRATIONS[0]).unwrap();
            c.pragma_update(None, "user_version", 1).unwrap();
            c.execute(
                "INSERT INTO project (id, title, label_config, created_at) VALUES (1, 't', '<View/>', 'x')",
                [],
            )
            .unwrap();
            c.execute(
                "INSERT INTO tasks (inner_id, data, meta, created_at, updated_at)
                 VALUES (1, '{\"text\":\"kept\"}', '{\"m\":1}', 'x', 'x')",
                [],
            )
            .unwrap();
        }
        let s = Store::open(&p).unwrap();
        let v: i64 = s
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, schema::current_version());
        let mut seen = Vec::new();
        let everything = ExportSelection {
            predictions: true,
            ..ExportSelection::default()
        };
        s.each_task_for_export(&everything, |t| {
            seen.push((t.task.data, t.task.meta));
            Ok::<_, StoreError>(())
        })
        .unwrap();
        assert_eq!(
            seen,
            vec![(r#"{"text":"kept"}"#.to_string(), r#"{"m":1}"#.to_string())]
        );
        let n: i64 = s
            .conn()
            .query_row("SELECT COUNT(*) FROM v_tasks", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn prelabel_is_on_by_default_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.db");
        let s = Store::create(&p, &project()).unwrap();
        assert!(s.prelabel().unwrap());
        s.set_prelabel(false).unwrap();
        drop(s);
        let s = Store::open(&p).unwrap();
        assert!(!s.prelabel().unwrap());
        s.set_prelabel(true).unwrap();
        assert!(s.prelabel().unwrap());
    }

    #[test]
    fn a_project_from_before_the_prelabel_setting_gets_it_on() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v5.db");
        {
            let c = Connection::open(&p).unwrap();
            c.pragma_update(None, "application_id", schema::APPLICATION_ID)
                .unwrap();
            for sql in &schema::MIGRATIONS[..5] {
                c.execute_batch(sql).unwrap();
            }
            c.pragma_update(None, "user_version", 5).unwrap();
            c.execute(
                "INSERT INTO project (id, title, label_config, sampling, created_at)
                 VALUES (1, 'old', '<View/>', 'uniform', 'x')",
                [],
            )
            .unwrap();
        }
        let s = Store::open(&p).unwrap();
        let v: i64 = s
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, schema::current_version());
        assert!(s.prelabel().unwrap());
        let kept = s.project().unwrap();
        assert_eq!(
            (kept.title.as_str(), kept.sampling),
            ("old", Sampling::Uniform)
        );
        s.set_prelabel(false).unwrap();
        assert!(!s.prelabel().unwrap());
    }

    #[test]
    fn users_are_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::create(&dir.path().join("p.db"), &project()).unwrap();
        let a = s.user_id("alice").unwrap();
        assert_eq!(s.user_id("alice").unwrap(), a);
        assert_ne!(s.user_id("bob").unwrap(), a);
        assert_eq!(s.user_email(a).unwrap().as_deref(), Some("alice"));
    }

    #[test]
    fn a_new_user_added_by_two_connections_at_once_is_one_user() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.db");
        let first = Store::create(&p, &project()).unwrap();
        let second = Store::open(&p).unwrap();
        // The second connection looked before the first one inserted: simulate by
        // inserting through the first, then asking the second as if its look found none.
        first.user_id("new").unwrap();
        second
            .conn()
            .execute(
                "INSERT INTO users (email, created_at) VALUES ('new', 'x') ON CONFLICT (email) DO NOTHING",
                [],
            )
            .unwrap();
        assert_eq!(
            second.user_id("new").unwrap(),
            first.user_id("new").unwrap()
        );
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let p = p.clone();
                std::thread::spawn(move || Store::open(&p).unwrap().user_id("racer").unwrap())
            })
            .collect();
        let ids: Vec<i64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    }

    #[test]
    fn opening_a_project_another_command_holds_without_the_wal_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.db");
        drop(Store::create(&p, &project()).unwrap());
        // What a large import does while nobody else has the file open.
        let importer = Connection::open(&p).unwrap();
        importer
            .execute_batch("PRAGMA journal_mode=DELETE; BEGIN EXCLUSIVE;")
            .unwrap();
        let e = Store::open(&p).unwrap_err().to_string();
        assert!(e.contains("such as a large import"), "{e}");
    }
}
