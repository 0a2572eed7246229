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
    std::thread::sleep(pause(now.duration_since(since), now_nanos()));
    1
}

/// How long to sleep before the next look, after waiting `waited`; `noise` picks the
/// jitter. The longer a writer has waited, the more often it looks: a fresh writer (up to
/// 2 ms between looks) seldom takes the lock from one that has waited (down to 0.1 ms).
fn pause(waited: Duration, noise: u32) -> Duration {
    let waited = waited.as_micros() as u64;
    let base = 2000u64.saturating_sub(waited / 10).max(100);
    let jitter = u64::from(noise) % (base / 2 + 1);
    Duration::from_micros(base / 2 + jitter)
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
    fn looks_come_at_most_2_ms_apart_and_closer_the_longer_a_writer_waited() {
        // SQLite's own handler sleeps 100 ms between looks once it has waited a while, so
        // a freed lock waited up to 100 ms; this one never sleeps more than 2 ms.
        for noise in [0, 1, 499, 1000, 123_456_789, u32::MAX] {
            let mut last = Duration::MAX;
            for ms in [0u64, 1, 5, 50, 100, 150, 190, 600, 5_000, 60_000] {
                let p = pause(Duration::from_millis(ms), noise);
                assert!(p <= Duration::from_millis(2), "{p:?} after {ms} ms");
                assert!(p >= Duration::from_micros(50), "{p:?} after {ms} ms");
                let ceiling = Duration::from_micros(2000u64.saturating_sub(ms * 100).max(100));
                assert!(p <= ceiling, "{p:?} after {ms} ms: over {ceiling:?}");
                last = last.min(ceiling);
            }
            assert_eq!(last, Duration::from_micros(100));
        }
    }

    #[test]
    fn a_waiter_gives_up_on_time_and_gets_a_freed_lock() {
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
        assert!(
            t0.elapsed() >= Duration::from_millis(150),
            "{:?}",
            t0.elapsed()
        );
        // Freed while waiting: the waiter takes it (how soon is the pause's test above;
        // a wall-clock bound here would measure the machine's load, not the handler).
        wait.set_limit(Duration::from_secs(30));
        drop(holder);
        let holder = Connection::open(&p).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            holder.execute_batch("COMMIT").unwrap();
        });
        waiter.execute_batch("BEGIN IMMEDIATE").unwrap();
        release.join().unwrap();
        waiter.execute_batch("COMMIT").unwrap();
    }
}
