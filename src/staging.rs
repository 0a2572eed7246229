//! Staging places (a temporary file or directory beside a target) that a killed process
//! cannot leave behind for good.
//!
//! Each staging place `STEM-PID-N` has a lock file `STEM-PID-N.lock`, locked by its owner
//! for as long as the owner lives (the operating system drops the lock when the process
//! dies, however it dies). Before claiming a new place, the next run of the same command
//! tries to lock every `STEM-*.lock` beside it: a lock it can take belongs to a dead owner,
//! whose place it removes; a held one is left alone. The lock, not the PID in the name,
//! decides, so a reused PID cannot make a live place look stale.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A claimed staging place. Dropping it removes the place (if still there) and its lock.
#[derive(Debug)]
pub struct Staging {
    path: PathBuf,
    lock_path: PathBuf,
    lock: Option<File>,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl Staging {
    /// Removes the stale places of dead owners named `dir/STEM-*`, then claims a fresh
    /// `dir/STEM-PID-N` (not created: the caller makes a file or a directory there).
    pub fn claim(dir: &Path, stem: &str) -> Result<Staging> {
        sweep(dir, stem);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("{stem}-{}-{n}", std::process::id());
        let path = dir.join(&name);
        let lock_path = dir.join(format!("{name}.lock"));
        let lock = lock_fresh(&lock_path).map_err(|e| Error::io(&lock_path, e))?;
        remove_place(&path);
        Ok(Staging {
            path,
            lock_path,
            lock: Some(lock),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Leaves the place where it is for good (something outside still needs it): only the
    /// lock goes, so no later run will remove it.
    pub fn keep(mut self) {
        let _ = std::fs::remove_file(&self.lock_path);
        self.lock = None;
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.lock.is_some() {
            remove_place(&self.path);
            // Unlinked while still locked: a sweeper that opened it before sees it vanish.
            let _ = std::fs::remove_file(&self.lock_path);
        }
    }
}

/// Opens and locks `path`, making sure the locked file is still the one at `path` (a
/// sweeper may have removed it between the open and the lock).
fn lock_fresh(path: &Path) -> std::io::Result<File> {
    loop {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        file.lock()?;
        if same_file(&file, path) {
            return Ok(file);
        }
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// Removes a staging file (with SQLite's companions) or directory.
fn remove_place(path: &Path) {
    if path.is_dir() {
        let _ = std::fs::remove_dir_all(path);
    } else {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
}

/// The staging name a lock file of `stem` belongs to: `STEM-PID-N.lock` → `STEM-PID-N`.
fn staged_name<'a>(file_name: &'a str, stem: &str) -> Option<&'a str> {
    let name = file_name.strip_suffix(".lock")?;
    let rest = name.strip_prefix(stem)?.strip_prefix('-')?;
    let (pid, n) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(n)).then_some(name)
}

/// Removes every place of `dir/STEM-*` whose lock nobody holds.
fn sweep(dir: &Path, stem: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str().and_then(|f| staged_name(f, stem)) else {
            continue;
        };
        let lock_path = entry.path();
        let Ok(file) = OpenOptions::new().write(true).open(&lock_path) else {
            continue;
        };
        match file.try_lock() {
            Ok(()) if same_file(&file, &lock_path) => {
                remove_place(&dir.join(name));
                let _ = std::fs::remove_file(&lock_path);
            }
            Ok(()) | Err(TryLockError::WouldBlock) | Err(TryLockError::Error(_)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_a_stem_only() {
        assert_eq!(
            staged_name(".a.export-12-0.lock", ".a.export"),
            Some(".a.export-12-0")
        );
        assert_eq!(staged_name(".a.export-12-0", ".a.export"), None);
        assert_eq!(
            staged_name(".a.export-1.export-12-0.lock", ".a.export"),
            None
        );
        assert_eq!(staged_name(".a.export-x-0.lock", ".a.export"), None);
        assert_eq!(staged_name(".ab.export-1-0.lock", ".a.export"), None);
    }

    #[test]
    fn stale_places_go_live_ones_stay() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path();
        // A dead owner: its lock file is there, nobody holds it.
        std::fs::create_dir(dir.join(".t.export-99999-0")).unwrap();
        std::fs::write(dir.join(".t.export-99999-0/result.json"), "x").unwrap();
        std::fs::write(dir.join(".t.export-99999-0.lock"), "").unwrap();
        // A live owner: held by this test.
        std::fs::write(dir.join(".t.export-99998-0"), "db").unwrap();
        let held = File::create(dir.join(".t.export-99998-0.lock")).unwrap();
        held.lock().unwrap();
        // Another target's place.
        std::fs::write(dir.join(".u.export-99997-0"), "").unwrap();
        std::fs::write(dir.join(".u.export-99997-0.lock"), "").unwrap();

        let s = Staging::claim(dir, ".t.export").unwrap();
        assert!(!dir.join(".t.export-99999-0").exists());
        assert!(!dir.join(".t.export-99999-0.lock").exists());
        assert!(dir.join(".t.export-99998-0").exists());
        assert!(dir.join(".u.export-99997-0").exists());
        assert!(s.lock_path.exists());
        std::fs::create_dir(s.path()).unwrap();
        let (path, lock) = (s.path().to_path_buf(), s.lock_path.clone());
        drop(s);
        assert!(!path.exists() && !lock.exists());
        drop(held);
    }

    #[test]
    fn kept_places_stay_and_are_never_swept() {
        let d = tempfile::tempdir().unwrap();
        let s = Staging::claim(d.path(), "dl").unwrap();
        std::fs::create_dir(s.path()).unwrap();
        let path = s.path().to_path_buf();
        s.keep();
        let _again = Staging::claim(d.path(), "dl").unwrap();
        assert!(path.exists());
    }
}
