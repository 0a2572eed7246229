//! Sending work to the linked Label Studio server as it lands (`start --sync`).
//!
//! The state side ([`SyncState`]) is what the status line shows; only
//! [`super::app::App::update`] changes it, from [`SyncNote`]s. The worker side
//! ([`SyncWorker`]) runs pushes on a thread of its own, with its own store connection,
//! so that a slow or absent server never holds up a key: each submit asks for a push,
//! requests that arrive while one runs are served by one more push after it, and a
//! failed push is tried again after a growing wait. On quitting, one last push gets a
//! few seconds after the last writes are stored.

use super::msg::Msg;
use super::strings;
use crate::store::Store;
use crate::sync::push::{PushError, PushReport};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The waits before trying a failed push again, the last one repeated.
pub const RETRY_WAITS: [Duration; 5] = [
    Duration::from_secs(5),
    Duration::from_secs(15),
    Duration::from_secs(30),
    Duration::from_secs(60),
    Duration::from_secs(120),
];

/// Another push of the project runs (a `labelterm push`, another annotator's): looked at
/// again after this long.
pub const BUSY_WAIT: Duration = Duration::from_secs(3);

/// What the worker tells the annotator.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncNote {
    /// A push began.
    Sending,
    /// A push ended; what it sent.
    Sent(PushReport),
    /// A push failed; it is tried again in `retry_in`.
    Failed { error: String, retry_in: Duration },
    /// Another process pushes the project now; looked at again in `retry_in`.
    Busy { retry_in: Duration },
}

/// Where sending stands, for the status line.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum SyncPhase {
    /// Nothing sent yet this session.
    #[default]
    Idle,
    Sending,
    /// The last push ended well: everything stored when it began is on the server (sent
    /// by it, or by another push of the project).
    Sent,
    /// The last push failed (its reason); it is tried again.
    Failed {
        error: String,
    },
    /// Another push of the project runs.
    Busy,
}

/// What the annotator knows of the link: where work goes and how sending went.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncState {
    /// The server project, as the status line and messages name it.
    pub server: String,
    pub phase: SyncPhase,
    /// Conflicts reported this session (each once).
    pub conflicts: Vec<String>,
}

impl SyncState {
    pub fn new(server: String) -> SyncState {
        SyncState {
            server,
            phase: SyncPhase::Idle,
            conflicts: Vec::new(),
        }
    }

    /// Takes a note; returns a message to show (a failure, its end, a conflict), if any,
    /// and whether it is a warning.
    pub fn note(&mut self, note: SyncNote) -> Option<(bool, String)> {
        match note {
            SyncNote::Sending => {
                if !matches!(self.phase, SyncPhase::Failed { .. }) {
                    self.phase = SyncPhase::Sending;
                }
                None
            }
            SyncNote::Sent(r) => {
                let recovered = matches!(self.phase, SyncPhase::Failed { .. });
                self.phase = SyncPhase::Sent;
                let fresh: Vec<String> = r
                    .conflicts
                    .into_iter()
                    .filter(|c| !self.conflicts.contains(c))
                    .collect();
                self.conflicts.extend(fresh.iter().cloned());
                if let Some(c) = fresh.first() {
                    Some((true, strings::sync_conflict(c, fresh.len())))
                } else if recovered {
                    Some((false, strings::sync_back(&self.server)))
                } else {
                    None
                }
            }
            SyncNote::Failed { error, retry_in } => {
                let repeated =
                    matches!(&self.phase, SyncPhase::Failed { error: old, .. } if *old == error);
                self.phase = SyncPhase::Failed {
                    error: error.clone(),
                };
                (!repeated).then(|| (true, strings::sync_failed(&error, retry_in)))
            }
            SyncNote::Busy { .. } => {
                self.phase = SyncPhase::Busy;
                None
            }
        }
    }

    /// The status line's part.
    pub fn status(&self) -> String {
        match &self.phase {
            SyncPhase::Idle => strings::SYNC_IDLE.to_string(),
            SyncPhase::Sending => strings::SYNC_SENDING.to_string(),
            SyncPhase::Sent => strings::SYNC_ALL_SENT.to_string(),
            SyncPhase::Failed { .. } => strings::SYNC_RETRYING.to_string(),
            SyncPhase::Busy => strings::SYNC_BUSY.to_string(),
        }
    }
}

/// One push of the project; the annotator's is `sync::push::push` against the linked
/// server, tests give their own.
pub type PushFn = Box<dyn FnMut(&mut Store) -> Result<PushReport, PushError> + Send>;

enum Request {
    Push,
    /// A last push, then the worker ends.
    Finish,
}

/// How the last push of a session went.
#[derive(Debug, Clone, PartialEq)]
pub enum Finished {
    Sent(PushReport),
    Failed(String),
    /// Still under way when the time was up.
    Unfinished,
}

/// The thread that pushes.
pub struct SyncWorker {
    tx: Sender<Request>,
    handle: Option<JoinHandle<()>>,
    last: Arc<Mutex<Option<Finished>>>,
}

impl SyncWorker {
    /// Starts the worker on the project file at `project`; its notes go to `sink`. It
    /// pushes once at the start (work done offline goes first).
    pub fn spawn(
        project: PathBuf,
        push: PushFn,
        sink: impl Fn(Msg) + Send + 'static,
        waits: &'static [Duration],
    ) -> SyncWorker {
        let (tx, rx) = channel::<Request>();
        let last = Arc::new(Mutex::new(None));
        let last_w = last.clone();
        let handle = std::thread::spawn(move || {
            let mut store = match Store::open(&project) {
                Ok(s) => s,
                Err(e) => {
                    let error = strings::sync_cannot_open(&e.to_string());
                    sink(Msg::Sync(SyncNote::Failed {
                        error: error.clone(),
                        retry_in: Duration::MAX,
                    }));
                    *last_w.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(Finished::Failed(error));
                    return;
                }
            };
            work(&mut store, push, &rx, &sink, &last_w, waits);
        });
        let _ = tx.send(Request::Push);
        SyncWorker {
            tx,
            handle: Some(handle),
            last,
        }
    }

    /// Asks for a push (after a submit).
    pub fn request(&self) {
        let _ = self.tx.send(Request::Push);
    }

    /// Asks for a last push and waits for it up to `limit`.
    pub fn finish(mut self, limit: Duration) -> Finished {
        let _ = self.tx.send(Request::Finish);
        let end = Instant::now() + limit;
        if let Some(h) = self.handle.take() {
            while !h.is_finished() && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(20));
            }
            if !h.is_finished() {
                return Finished::Unfinished;
            }
            let _ = h.join();
        }
        self.last
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or(Finished::Unfinished)
    }
}

/// The worker's loop: waits for requests or a retry falling due, pushes, tells.
fn work(
    store: &mut Store,
    mut push: PushFn,
    rx: &Receiver<Request>,
    sink: &dyn Fn(Msg),
    last: &Mutex<Option<Finished>>,
    waits: &[Duration],
) {
    let mut wanted = false;
    let mut finishing = false;
    let mut failures = 0usize;
    // A retry waiting: no push before it, however many submits come.
    let mut retry_at: Option<Instant> = None;
    loop {
        let got = match retry_at {
            Some(at) if !finishing => rx.recv_timeout(at.saturating_duration_since(Instant::now())),
            _ if finishing => Err(RecvTimeoutError::Timeout),
            _ => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match got {
            Ok(r) => {
                wanted = true;
                finishing |= matches!(r, Request::Finish);
                for r in rx.try_iter() {
                    finishing |= matches!(r, Request::Finish);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let due = retry_at.is_none_or(|at| Instant::now() >= at);
        if !(wanted && (due || finishing)) {
            continue;
        }
        wanted = false;
        retry_at = None;
        sink(Msg::Sync(SyncNote::Sending));
        let outcome = push(store);
        let finished = match outcome {
            Ok(report) => {
                failures = 0;
                sink(Msg::Sync(SyncNote::Sent(report.clone())));
                Finished::Sent(report)
            }
            Err(PushError::Busy(e)) => {
                retry_at = Some(Instant::now() + BUSY_WAIT);
                wanted = true;
                sink(Msg::Sync(SyncNote::Busy {
                    retry_in: BUSY_WAIT,
                }));
                Finished::Failed(e.to_string())
            }
            Err(e) => {
                let wait = waits[failures.min(waits.len() - 1)];
                failures += 1;
                retry_at = Some(Instant::now() + wait);
                wanted = true;
                sink(Msg::Sync(SyncNote::Failed {
                    error: e.to_string(),
                    retry_in: wait,
                }));
                Finished::Failed(e.to_string())
            }
        };
        if finishing {
            *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(finished);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::SyncError;
    use std::sync::mpsc::Receiver;

    fn project() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let project = crate::store::Project {
            title: "t".into(),
            label_config: "<View/>".into(),
            sampling: crate::store::Sampling::Sequential,
            model_version: None,
            created_at: crate::util::now(),
        };
        Store::create(&path, &project).unwrap();
        (dir, path)
    }

    fn sent(annotations: u64) -> PushReport {
        PushReport {
            annotations,
            ..PushReport::default()
        }
    }

    fn refused() -> PushError {
        PushError::Sync {
            source: SyncError::Unreachable {
                url: "http://127.0.0.1:9".into(),
                tries: 5,
                message: "connection refused".into(),
            },
            report: Box::default(),
        }
    }

    fn notes(rx: &Receiver<Msg>, n: usize) -> Vec<SyncNote> {
        (0..n)
            .map(
                |_| match rx.recv_timeout(Duration::from_secs(10)).unwrap() {
                    Msg::Sync(note) => note,
                    other => panic!("{other:?}"),
                },
            )
            .collect()
    }

    fn sink(tx: Sender<Msg>) -> impl Fn(Msg) + Send + 'static {
        let tx = Mutex::new(tx);
        move |m| {
            let _ = tx.lock().unwrap().send(m);
        }
    }

    const SHORT: [Duration; 2] = [Duration::from_millis(50), Duration::from_millis(100)];

    #[test]
    fn a_push_starts_the_session_and_follows_each_request() {
        let (_dir, path) = project();
        let calls = Arc::new(Mutex::new(0));
        let c = calls.clone();
        let push: PushFn = Box::new(move |_| {
            *c.lock().unwrap() += 1;
            Ok(sent(1))
        });
        let (tx, rx) = channel();
        let w = SyncWorker::spawn(path, push, sink(tx), &SHORT);
        assert_eq!(notes(&rx, 2), [SyncNote::Sending, SyncNote::Sent(sent(1))]);
        w.request();
        assert_eq!(notes(&rx, 2), [SyncNote::Sending, SyncNote::Sent(sent(1))]);
        assert_eq!(w.finish(Duration::from_secs(5)), Finished::Sent(sent(1)));
        assert_eq!(*calls.lock().unwrap(), 3);
    }

    #[test]
    fn a_failed_push_is_tried_again_after_a_wait_and_requests_meanwhile_wait_too() {
        let (_dir, path) = project();
        let calls = Arc::new(Mutex::new(Vec::<Instant>::new()));
        let c = calls.clone();
        let push: PushFn = Box::new(move |_| {
            let mut c = c.lock().unwrap();
            c.push(Instant::now());
            if c.len() < 3 {
                Err(refused())
            } else {
                Ok(sent(2))
            }
        });
        let (tx, rx) = channel();
        let w = SyncWorker::spawn(path, push, sink(tx), &SHORT);
        let first = notes(&rx, 2);
        assert!(
            matches!(&first[1], SyncNote::Failed { error, retry_in } if error.contains("connection refused") && *retry_in == SHORT[0]),
            "{first:?}"
        );
        // Submits during the wait do not cut it short.
        w.request();
        w.request();
        let second = notes(&rx, 2);
        assert!(
            matches!(&second[1], SyncNote::Failed { retry_in, .. } if *retry_in == SHORT[1]),
            "{second:?}"
        );
        assert_eq!(notes(&rx, 2), [SyncNote::Sending, SyncNote::Sent(sent(2))]);
        let at = calls.lock().unwrap().clone();
        assert_eq!(at.len(), 3);
        assert!(at[1] - at[0] >= SHORT[0], "{:?}", at[1] - at[0]);
        assert!(at[2] - at[1] >= SHORT[1], "{:?}", at[2] - at[1]);
        // Nothing more was asked for: no push until one is.
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
        assert_eq!(w.finish(Duration::from_secs(5)), Finished::Sent(sent(2)));
    }

    #[test]
    fn the_last_push_does_not_wait_for_a_retry_and_says_how_it_went() {
        let (_dir, path) = project();
        let push: PushFn = Box::new(|_| Err(refused()));
        let (tx, rx) = channel();
        const LONG: [Duration; 1] = [Duration::from_secs(3600)];
        let w = SyncWorker::spawn(path, push, sink(tx), &LONG);
        notes(&rx, 2);
        let t = Instant::now();
        match w.finish(Duration::from_secs(5)) {
            Finished::Failed(e) => assert!(e.contains("connection refused"), "{e}"),
            other => panic!("{other:?}"),
        }
        assert!(t.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_last_push_still_running_when_time_is_up_is_said_to_be_unfinished() {
        let (_dir, path) = project();
        let push: PushFn = Box::new(|_| {
            std::thread::sleep(Duration::from_millis(400));
            Ok(sent(0))
        });
        let (tx, _rx) = channel();
        let w = SyncWorker::spawn(path, push, sink(tx), &SHORT);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(w.finish(Duration::from_millis(100)), Finished::Unfinished);
    }

    #[test]
    fn another_push_running_is_waited_for_quietly() {
        let (_dir, path) = project();
        let calls = Arc::new(Mutex::new(0));
        let c = calls.clone();
        let lock_path = path.clone();
        let held = Arc::new(Mutex::new(Some(
            crate::sync::lock::SyncLock::take(&path).unwrap(),
        )));
        let h = held.clone();
        let push: PushFn = Box::new(move |_| {
            *c.lock().unwrap() += 1;
            let _lock = crate::sync::lock::SyncLock::take(&lock_path)?;
            Ok(sent(1))
        });
        let (tx, rx) = channel();
        let w = SyncWorker::spawn(path, push, sink(tx), &SHORT);
        assert_eq!(
            notes(&rx, 2),
            [
                SyncNote::Sending,
                SyncNote::Busy {
                    retry_in: BUSY_WAIT
                }
            ]
        );
        h.lock().unwrap().take();
        assert_eq!(notes(&rx, 2), [SyncNote::Sending, SyncNote::Sent(sent(1))]);
        assert_eq!(*calls.lock().unwrap(), 2);
        drop(w);
    }

    #[test]
    fn the_state_shows_sending_failures_once_and_conflicts() {
        let mut s = SyncState::new("project 3 on http://127.0.0.1:8080".into());
        assert_eq!(s.status(), strings::SYNC_IDLE);
        assert_eq!(s.note(SyncNote::Sending), None);
        assert_eq!(s.status(), strings::SYNC_SENDING);
        let failed = SyncNote::Failed {
            error: "cannot reach".into(),
            retry_in: Duration::from_secs(30),
        };
        let shown = s.note(failed.clone()).unwrap();
        assert!(shown.0 && shown.1.contains("cannot reach"), "{shown:?}");
        assert!(matches!(s.phase, SyncPhase::Failed { .. }));
        assert!(shown.1.contains("30 s"), "{shown:?}");
        assert_eq!(s.status(), strings::SYNC_RETRYING);
        // The same failure again is not shown again; sending goes on under "retry".
        assert_eq!(s.note(failed), None);
        assert_eq!(s.note(SyncNote::Sending), None);
        assert!(matches!(s.phase, SyncPhase::Failed { .. }));
        let back = s.note(SyncNote::Sent(sent(2))).unwrap();
        assert!(!back.0, "{back:?}");
        assert_eq!(s.status(), "server: all sent");
        let conflict = PushReport {
            conflicts: vec!["annotation 4 ...".into()],
            ..sent(1)
        };
        let shown = s.note(SyncNote::Sent(conflict.clone())).unwrap();
        assert!(shown.0 && shown.1.contains("annotation 4"), "{shown:?}");
        // A conflict still there is said once.
        assert_eq!(s.note(SyncNote::Sent(conflict)), None);
    }
}
