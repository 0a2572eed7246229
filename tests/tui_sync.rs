//! `start --sync` without a server: each submit and skip asks for a push once it is
//! stored, the status line says how sending goes, a failure is said once and tried again,
//! and the last push runs when the session ends. (Against a real Label Studio server:
//! tests/ls_server.rs.)

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use labelterm::store::Store;
use labelterm::sync::push::{PushError, PushReport};
use labelterm::sync::{SyncError, lock::SyncLock};
use labelterm::tui::app::Level;
use labelterm::tui::msg::Msg;
use labelterm::tui::sync::{Finished, PushFn, SyncNote, SyncWorker};
use labelterm::tui::{Session, StartOptions, media};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the stand-in server was sent: the stored annotations (submitted, skipped) each
/// push found.
type Seen = Arc<Mutex<Vec<(i64, i64)>>>;

/// A push that fails `fail_first` times (the server unreachable), then "sends" what the
/// store holds that it has not sent yet.
fn stand_in(seen: Seen, fail_first: usize) -> PushFn {
    let mut calls = 0;
    let mut sent = 0;
    Box::new(move |store: &mut Store| {
        calls += 1;
        if calls <= fail_first {
            return Err(PushError::Sync {
                source: SyncError::Unreachable {
                    url: "http://127.0.0.1:9".into(),
                    tries: 5,
                    message: "connection refused".into(),
                },
                report: Box::default(),
            });
        }
        // A push holds the project's sync lock, as the real one does.
        let _lock = SyncLock::take(store.path())?;
        let c = store.counts().unwrap();
        seen.lock().unwrap().push((c.annotations, c.skipped));
        let now = (c.annotations + c.skipped) as u64;
        let report = PushReport {
            annotations: now - sent,
            ..PushReport::default()
        };
        sent = now;
        Ok(report)
    })
}

struct Synced {
    d: Driver,
    notes: Receiver<Msg>,
}

fn open_synced(f: &Fixture, push: PushFn, waits: &'static [Duration]) -> Synced {
    let opts = StartOptions {
        project: f.db.clone(),
        user: "ann".into(),
        no_prelabel: true,
        sync: true,
        ..Default::default()
    };
    let (loader, loads) = media::channel_loader(1);
    let (tx, notes) = channel();
    let tx = Mutex::new(tx);
    let worker = SyncWorker::spawn(
        f.db.clone(),
        push,
        move |m| {
            let _ = tx.lock().unwrap().send(m);
        },
        waits,
    );
    let mut s = Session::open(&opts, false, loader)
        .unwrap()
        .with_sync("project 7 on http://127.0.0.1:9".into(), worker);
    assert!(s.start().is_empty());
    let mut d = Driver { s, loads };
    d.settle();
    Synced { d, notes }
}

impl Synced {
    /// Feeds the worker's notes until one like `until` came.
    fn follow(&mut self, until: fn(&SyncNote) -> bool) -> Vec<SyncNote> {
        let mut got = Vec::new();
        loop {
            let m = self
                .notes
                .recv_timeout(Duration::from_secs(20))
                .expect("a note from the sync worker");
            let Msg::Sync(note) = &m else { panic!("{m:?}") };
            let done = until(note);
            got.push(note.clone());
            self.d.s.feed(m);
            if done {
                return got;
            }
        }
    }

    fn status_line(&mut self) -> String {
        let screen = self.d.screen(120, 40);
        // The status line: above the message, which may take more than one row.
        screen
            .lines()
            .rev()
            .find(|l| l.contains(" │ done "))
            .unwrap_or_default()
            .to_string()
    }
}

const ONE_SECOND: [Duration; 1] = [Duration::from_secs(1)];

fn sent(n: &SyncNote) -> bool {
    matches!(n, SyncNote::Sent(_))
}

#[test]
fn each_submit_and_skip_is_sent_once_stored() {
    let f = sample_project("sentiment");
    let seen: Seen = Arc::default();
    let mut s = open_synced(&f, stand_in(seen.clone(), 0), &ONE_SECOND);
    // The annotator starts with a push (work done offline goes first).
    s.follow(sent);
    let (a, k) = seen.lock().unwrap()[0];
    let status = s.status_line();
    assert!(status.contains("server: all sent"), "{status}");

    s.d.keys("1 s");
    let notes = s.follow(sent);
    assert_eq!(notes[0], SyncNote::Sending);
    // The push came after the submit was stored: it found it.
    assert_eq!(seen.lock().unwrap().last(), Some(&(a + 1, k)));
    let status = s.status_line();
    assert!(status.contains("server: all sent"), "{status}");

    s.d.keys("S");
    s.follow(sent);
    assert_eq!(seen.lock().unwrap().last(), Some(&(a + 1, k + 1)));
    let status = s.status_line();
    assert!(status.contains("server: all sent"), "{status}");

    // A draft alone is not sent (the server has no drafts of ours).
    s.d.keys("2");
    assert!(
        s.notes.recv_timeout(Duration::from_millis(300)).is_err(),
        "a draft asked for a push"
    );
    let worker = s.d.s.take_sync().unwrap();
    assert_eq!(
        worker.finish(Duration::from_secs(10)),
        Finished::Sent(PushReport::default())
    );
}

#[test]
fn a_server_that_cannot_be_reached_is_said_once_and_tried_again() {
    let f = sample_project("sentiment");
    let seen: Seen = Arc::default();
    const WAITS: [Duration; 1] = [Duration::from_millis(200)];
    let mut s = open_synced(&f, stand_in(seen.clone(), 2), &WAITS);
    let first = s.follow(|n| matches!(n, SyncNote::Failed { .. }));
    assert!(
        matches!(first.last(), Some(SyncNote::Failed { error, .. }) if error.contains("connection refused")),
        "{first:?}"
    );
    let (level, text) = s.d.s.app.message.clone().unwrap();
    assert_eq!(level, Level::Warn);
    assert!(text.starts_with("not sent to the server"), "{text}");
    let status = s.status_line();
    assert!(status.contains("server: NOT SENT, retrying"), "{status}");

    // Submitting meanwhile stores as ever; the answer goes with the next try.
    let before = labelterm::store::Store::open(&f.db)
        .unwrap()
        .counts()
        .unwrap();
    let task = s.d.task_id();
    s.d.keys("1 s");
    let submitted = format!("task {task} submitted");
    assert_eq!(s.d.s.app.message.clone().unwrap().1, submitted);
    s.follow(|n| matches!(n, SyncNote::Failed { .. }));
    // The same failure again is not said again over what the annotator did.
    assert_eq!(s.d.s.app.message.clone().unwrap().1, submitted);
    s.follow(sent);
    assert_eq!(
        *seen.lock().unwrap(),
        [(before.annotations + 1, before.skipped)]
    );
    let (level, text) = s.d.s.app.message.clone().unwrap();
    assert_eq!(level, Level::Ok, "{text}");
    assert!(text.contains("project 7 on http://127.0.0.1:9"), "{text}");
    let status = s.status_line();
    assert!(status.contains("server: all sent"), "{status}");
}

#[test]
fn the_last_push_sends_what_came_after_the_one_under_way() {
    let f = sample_project("sentiment");
    let seen: Seen = Arc::default();
    let mut s = open_synced(&f, stand_in(seen.clone(), 0), &ONE_SECOND);
    s.follow(sent);
    let (a, k) = seen.lock().unwrap()[0];
    // Another push of the project holds the lock: the submit waits for it, quietly.
    let other = SyncLock::take(&f.db).unwrap();
    s.d.keys("1 s");
    let notes = s.follow(|n| matches!(n, SyncNote::Busy { .. }));
    assert_eq!(
        notes.last(),
        Some(&SyncNote::Busy {
            retry_in: labelterm::tui::sync::BUSY_WAIT
        })
    );
    assert!(
        s.status_line().contains("another push runs"),
        "{}",
        s.status_line()
    );
    drop(other);
    // Quitting: the last push does not wait for the retry.
    let worker = s.d.s.take_sync().unwrap();
    match worker.finish(Duration::from_secs(10)) {
        Finished::Sent(r) => assert_eq!(r.annotations, 1),
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.lock().unwrap().last(), Some(&(a + 1, k)));
}
