//! The store's errors. Callers tell apart what they can act on (another process holds the
//! file, the file is read-only, the disk is full) through [`StoreError::kind`], without
//! naming SQLite.

/// What went wrong, as far as a caller can do something about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// Another connection holds a lock on the project; trying again later may work.
    Busy,
    /// The project file (or its directory) cannot be written.
    ReadOnly,
    /// The disk or the file's size limit is full.
    DiskFull,
    /// Reading or writing the file failed below SQLite (I/O error, lost lock, damage).
    Io,
    /// Something the caller named is not in the project (a user, review decisions).
    NotFound,
    /// The write would silently replace newer work by the same user; ask first.
    Conflict,
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The project file as a whole: missing, already there, not a labelterm project,
    /// written by a newer labelterm, cannot be opened.
    #[error("{path}: {message}")]
    Store { path: String, message: String },
    /// A statement failed.
    #[error("{0}")]
    Sql(#[from] rusqlite::Error),
    /// Something the caller named is not in the project; the message says what is.
    #[error("{0}")]
    NotFound(String),
    /// A value the store was asked to keep is outside what it can be; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// A submit would replace an annotation by the same user that changed after the
    /// submitting window read it (the user's other window submitted it meanwhile).
    #[error("task {task_id}: your annotation changed at {updated_at} since this answer began")]
    Conflict {
        task_id: i64,
        annotation_id: i64,
        revision: i64,
        updated_at: String,
    },
}

impl StoreError {
    pub fn kind(&self) -> StoreErrorKind {
        use rusqlite::ErrorCode;
        match self {
            StoreError::Sql(e) => match e.sqlite_error_code() {
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreErrorKind::Busy,
                Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => StoreErrorKind::ReadOnly,
                Some(ErrorCode::DiskFull) => StoreErrorKind::DiskFull,
                Some(
                    ErrorCode::SystemIoFailure
                    | ErrorCode::CannotOpen
                    | ErrorCode::FileLockingProtocolFailed
                    | ErrorCode::DatabaseCorrupt
                    | ErrorCode::NotADatabase,
                ) => StoreErrorKind::Io,
                _ => StoreErrorKind::Other,
            },
            StoreError::NotFound(_) => StoreErrorKind::NotFound,
            StoreError::Invalid(_) => StoreErrorKind::Other,
            StoreError::Conflict { .. } => StoreErrorKind::Conflict,
            // File-level failures carry SQLite's text only.
            StoreError::Store { message, .. } => {
                let m = message.to_ascii_lowercase();
                if m.contains("locked") || m.contains("busy") {
                    StoreErrorKind::Busy
                } else if m.contains("readonly") || m.contains("read-only") {
                    StoreErrorKind::ReadOnly
                } else if m.contains("disk is full") || m.contains("disk full") {
                    StoreErrorKind::DiskFull
                } else {
                    StoreErrorKind::Other
                }
            }
        }
    }

    /// Another connection holds the lock: the same call may succeed later.
    pub fn is_busy(&self) -> bool {
        self.kind() == StoreErrorKind::Busy
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn kinds_of_sqlite_failures() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.db");
        let a = Connection::open(&p).unwrap();
        a.execute_batch("CREATE TABLE t(x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);")
            .unwrap();
        let b = Connection::open(&p).unwrap();
        b.busy_timeout(std::time::Duration::ZERO).unwrap();
        let busy = StoreError::from(b.execute("INSERT INTO t VALUES (2)", []).unwrap_err());
        assert_eq!(busy.kind(), StoreErrorKind::Busy);
        assert!(busy.is_busy());
        a.execute_batch("COMMIT").unwrap();

        let ro =
            Connection::open_with_flags(&p, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let read_only = StoreError::from(ro.execute("INSERT INTO t VALUES (3)", []).unwrap_err());
        assert_eq!(read_only.kind(), StoreErrorKind::ReadOnly);
        assert!(!read_only.is_busy());

        let other = StoreError::from(b.execute("INSERT INTO nowhere VALUES (1)", []).unwrap_err());
        assert_eq!(other.kind(), StoreErrorKind::Other);
        let file = StoreError::Store {
            path: "p.db".into(),
            message: "not a labelterm project file".into(),
        };
        assert_eq!(file.to_string(), "p.db: not a labelterm project file");
        assert_eq!(file.kind(), StoreErrorKind::Other);
        let missing = StoreError::NotFound("no user \"x\" in this project".into());
        assert_eq!(missing.kind(), StoreErrorKind::NotFound);
        assert_eq!(missing.to_string(), "no user \"x\" in this project");
    }

    #[test]
    fn full_disk_is_told_apart() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t(x)").unwrap();
        // A page-count cap reports SQLITE_FULL the way a full disk does.
        let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
        c.pragma_update(None, "max_page_count", pages).unwrap();
        let e = c
            .execute("INSERT INTO t VALUES (zeroblob(100000))", [])
            .unwrap_err();
        assert_eq!(StoreError::from(e).kind(), StoreErrorKind::DiskFull);
    }
}
