//! One push or pull of a project at a time, across processes: two pushes at once would
//! both send the tasks neither had recorded yet (an annotator pushing on submit beside a
//! `labelterm push`, or two annotators on one project).
//!
//! The lock is taken on a file beside the project, `PROJECT-sync.lock`, never on the
//! project file itself: a second descriptor of a SQLite file, once closed, would drop
//! SQLite's own locks on it. The operating system releases the lock when its process
//! ends, however it ends, so none is left held. The file stays (removing it while another
//! process has it open would let two processes lock two different files).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another push or pull of {project} is running (an annotator sending on submit, or another command); it is sent by that one, or try again when it ends"
    )]
    Busy { project: String },
    #[error("{path}: cannot lock for a push or pull: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Held while a push or pull runs; dropping it lets the next one in.
#[derive(Debug)]
pub struct SyncLock {
    _file: File,
}

/// The lock file of a project file.
pub fn lock_path(project: &Path) -> PathBuf {
    let mut name = project.file_name().unwrap_or_default().to_os_string();
    name.push("-sync.lock");
    project.with_file_name(name)
}

impl SyncLock {
    /// Takes the project's sync lock, or says another process holds it (never waits).
    pub fn take(project: &Path) -> Result<SyncLock, LockError> {
        let path = lock_path(project);
        let io = |source| LockError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(SyncLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(LockError::Busy {
                project: project.display().to_string(),
            }),
            Err(TryLockError::Error(e)) => Err(io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_taker_is_told_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("p.db");
        let first = SyncLock::take(&project).unwrap();
        let busy = SyncLock::take(&project).unwrap_err();
        assert!(matches!(busy, LockError::Busy { .. }), "{busy}");
        assert!(busy.to_string().contains("p.db"), "{busy}");
        drop(first);
        let again = SyncLock::take(&project).unwrap();
        drop(again);
        assert_eq!(lock_path(&project), dir.path().join("p.db-sync.lock"));
        assert!(lock_path(&project).is_file());
    }

    #[test]
    fn a_folder_that_cannot_be_written_is_named() {
        let project = Path::new("/proc/no-such-place/p.db");
        let e = SyncLock::take(project).unwrap_err();
        assert!(matches!(e, LockError::Io { .. }), "{e}");
        assert!(e.to_string().contains("p.db-sync.lock"), "{e}");
    }
}
