//! How a connection waits for another writer. SQLite's own busy handler sleeps longer the
//! longer it waits (up to 100 ms between looks), so with several annotators writing, a
//! writer that has waited a while keeps losing the lock to writers that just arrived: the
//! annotators benchmark showed claims waiting out a 2 s timeout again and again. This one
//! looks every 0.05–2 ms, the more often the longer it has waited, with jitter so that
//! waiters do not move in step, until its time is up.

use std::cell::Cell;
use std::os::raw::{c_int, c_void};
use std::time::{Duration, Instant};

/// One connection's wait; boxed by the store so its address outlives the connection.
#[derive(Debug)]
pub(crate) struct BusyWait {
    limit: Cell<Duration>,
    since: Cell<Option<Instant>>,
}

impl BusyWait {
    pub(crate) fn new(limit: Duration) -> Box<BusyWait> {
        Box::new(BusyWait {
            limit: Cell::new(limit),
            since: Cell::new(None),
        })
    }

    pub(crate) fn set_limit(&self, limit: Duration) {
        self.limit.set(limit);
    }

    pub(crate) fn limit(&self) -> Duration {
        self.limit.get()
    }

    /// Makes `conn` wait through this handler.
    ///
    /// The caller keeps `self` alive (and at the same address) for as long as `conn`.
    pub(crate) fn install(&self, conn: &rusqlite::Connection) -> rusqlite::Result<()> {
        // SAFETY: the handle is valid while `conn` lives; the argument points to a boxed
        // `BusyWait` the store drops only after the connection (field order). A connection
        // is used by one thread at a time, so the `Cell`s are never touched concurrently.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_busy_handler(
                conn.handle(),
                Some(on_busy),
                self as *const BusyWait as *mut c_void,
            )
        };
        if rc == rusqlite::ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rc),
                None,
            ))
        }
    }
}

/// SQLite calls this when the lock is held; `count` is 0 on the first call of a wait.
/// Returns non-zero to look again, zero to give up (the statement fails as busy).
extern "C" fn on_busy(arg: *mut c_void, count: c_int) -> c_int {
    // SAFETY: see `BusyWait::install`.
    let wait = unsafe { &*(arg as *const BusyWait) };
    let now = Instant::now();
    if count == 0 {
        wait.since.set(Some(now));
    }
    let since = wait.since.get().unwrap_or(now);
    if now.duration_since(since) >= wait.limit.get() {
        return 0;
    }
    // The longer a writer has waited, the more often it looks: a fresh writer (up to
    // 2 ms between looks) seldom takes the lock from one that has waited (down to 0.1 ms).
    let waited = now.duration_since(since).as_micros() as u64;
    let base = 2000u64.saturating_sub(waited / 10).max(100);
    let jitter = u64::from(now_nanos()) % (base / 2 + 1);
    std::thread::sleep(Duration::from_micros(base / 2 + jitter));
    1
}

fn now_nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn a_waiter_gets_the_lock_soon_after_it_is_freed_and_gives_up_on_time() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("db");
        let holder = Connection::open(&p).unwrap();
        holder
            .execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x); BEGIN IMMEDIATE;")
            .unwrap();
        let waiter = Connection::open(&p).unwrap();
        let wait = BusyWait::new(Duration::from_millis(150));
        wait.install(&waiter).unwrap();
        let t0 = Instant::now();
        assert!(waiter.execute_batch("BEGIN IMMEDIATE").is_err());
        let waited = t0.elapsed();
        assert!(
            waited >= Duration::from_millis(150) && waited < Duration::from_secs(2),
            "{waited:?}"
        );
        // Freed while waiting: taken within a few ms, not after a 100 ms sleep (SQLite's
        // own handler sleeps 100 ms between looks once it has waited this long).
        wait.set_limit(Duration::from_secs(5));
        drop(holder);
        for _ in 0..3 {
            let holder = Connection::open(&p).unwrap();
            holder.execute_batch("BEGIN IMMEDIATE").unwrap();
            let release = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(600));
                holder.execute_batch("COMMIT").unwrap();
                Instant::now()
            });
            waiter.execute_batch("BEGIN IMMEDIATE").unwrap();
            let got = Instant::now();
            let freed = release.join().unwrap();
            assert!(
                got.saturating_duration_since(freed) < Duration::from_millis(20),
                "{:?} after the lock was freed",
                got.duration_since(freed)
            );
            waiter.execute_batch("COMMIT").unwrap();
        }
    }
}
