//! Saving that never loses an answer. A [`Saving`] holds one [`PendingSave`] until the
//! store has it: each attempt ends in [`SaveOutcome::Saved`] or in
//! [`SaveOutcome::Retry`] with a back-off delay and a reason to show, or in
//! [`SaveOutcome::Conflict`] when it would replace newer work by the same user (their other
//! window). The answer is never dropped: on `Retry` the caller keeps it on screen and tries
//! again when the delay is over; on `Conflict` it keeps it until the user says whether to
//! overwrite.

use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::StoreErrorKind;
use crate::store::annotate::{AnnotationWrite, Expect, SubmitKind};
use serde_json::Value;
use std::time::Duration;

/// Why a write failed, as far as deciding whether and when to try again goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteTrouble {
    /// Another connection holds the write lock.
    Busy,
    /// The file or its folder cannot be written.
    ReadOnly,
    DiskFull,
    /// Any other input/output failure.
    Io,
    /// The user's annotation changed since this answer began; they must decide.
    Conflict,
    /// Not about the file: a constraint, a missing task, a bug.
    Other,
}

impl WriteTrouble {
    /// Whether the same write can succeed later without anything else changing.
    pub fn is_transient(self) -> bool {
        matches!(self, WriteTrouble::Busy | WriteTrouble::Io)
    }
}

/// Sorts an error for the retry policy: the one place that does so.
pub fn write_trouble(e: &Error) -> WriteTrouble {
    match e {
        Error::Store(s) => match s.kind() {
            StoreErrorKind::Busy => WriteTrouble::Busy,
            StoreErrorKind::ReadOnly => WriteTrouble::ReadOnly,
            StoreErrorKind::DiskFull => WriteTrouble::DiskFull,
            StoreErrorKind::Io => WriteTrouble::Io,
            StoreErrorKind::Conflict => WriteTrouble::Conflict,
            StoreErrorKind::NotFound | StoreErrorKind::Other => WriteTrouble::Other,
        },
        Error::Io { source, .. } => match source.kind() {
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                WriteTrouble::ReadOnly
            }
            std::io::ErrorKind::StorageFull => WriteTrouble::DiskFull,
            _ => WriteTrouble::Io,
        },
        _ => WriteTrouble::Other,
    }
}

/// What a save writes: a submitted or skipped annotation, or the draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveKind {
    Submit,
    Skip,
    Draft,
}

/// One answer on its way to the store.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingSave {
    pub task_id: i64,
    pub user_id: i64,
    /// The result list as JSON text, exactly as it will be stored.
    pub result: String,
    pub lead_time: f64,
    pub kind: SaveKind,
    /// The prediction the result started from (submit and skip).
    pub parent_prediction: Option<i64>,
    /// The annotation a draft edits (drafts only).
    pub annotation_id: Option<i64>,
    /// The draft revision this result is (see [`super::Draft::revision`]).
    pub revision: u64,
    /// The user's annotation this answer began from; a submit over a newer one stops and
    /// asks (see [`SaveOutcome::Conflict`]).
    pub expect: Expect,
    /// The running annotator whose claim on the task a submit or skip ends.
    pub session: Option<String>,
}

impl PendingSave {
    pub fn new(
        task_id: i64,
        user_id: i64,
        result: &[Value],
        lead_time: f64,
        kind: SaveKind,
    ) -> Self {
        PendingSave {
            task_id,
            user_id,
            result: Value::Array(result.to_vec()).to_string(),
            lead_time,
            kind,
            parent_prediction: None,
            annotation_id: None,
            revision: 0,
            expect: Expect::Any,
            session: None,
        }
    }

    /// A save of a draft's current result, lead time and revision.
    pub fn of_draft(task_id: i64, user_id: i64, draft: &super::Draft, kind: SaveKind) -> Self {
        PendingSave {
            revision: draft.revision(),
            ..PendingSave::new(task_id, user_id, draft.result(), draft.lead_time(), kind)
        }
    }
}

/// Where saves go. The store is one; tests use fakes that fail on purpose.
pub trait SaveTarget {
    /// Writes the save; returns the annotation id for a submit or skip.
    fn write(&mut self, save: &PendingSave) -> Result<Option<i64>>;
}

impl SaveTarget for Store {
    fn write(&mut self, save: &PendingSave) -> Result<Option<i64>> {
        let kind = match save.kind {
            SaveKind::Draft => {
                let (annotation_id, base) = match save.expect {
                    Expect::Revision { id, revision } => (Some(id), Some(revision)),
                    _ => (save.annotation_id, None),
                };
                self.save_draft_of(
                    save.task_id,
                    save.user_id,
                    annotation_id,
                    base,
                    &save.result,
                    save.lead_time,
                )?;
                return Ok(None);
            }
            SaveKind::Submit => SubmitKind::Submit,
            SaveKind::Skip => SubmitKind::Skip,
        };
        self.write_annotation(&AnnotationWrite {
            task_id: save.task_id,
            user_id: save.user_id,
            result: &save.result,
            lead_time: save.lead_time,
            kind,
            parent_prediction: save.parent_prediction,
            expect: save.expect,
            session: save.session.as_deref(),
        })
        .map(Some)
        .map_err(Error::from)
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveOutcome {
    /// Stored; `annotation_id` for a submit or skip.
    Saved { annotation_id: Option<i64> },
    /// Not stored; try again after `after`. `reason` is for the status line.
    Retry { after: Duration, reason: String },
    /// Not stored: the user's annotation of the task is now revision `revision` of
    /// `annotation_id`, changed at `updated_at` (their other window), which this answer did
    /// not begin from. Held until the user decides; [`Saving::overwrite`] makes it replace
    /// that revision.
    Conflict {
        annotation_id: i64,
        revision: i64,
        updated_at: String,
    },
}

/// Exponential back-off: `first`, doubling each failure, never above `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    first: Duration,
    cap: Duration,
    failures: u32,
}

impl Default for Backoff {
    /// 50 ms doubling to 5 s.
    fn default() -> Self {
        Backoff::new(Duration::from_millis(50), Duration::from_secs(5))
    }
}

impl Backoff {
    pub fn new(first: Duration, cap: Duration) -> Self {
        Backoff {
            first,
            cap: cap.max(first),
            failures: 0,
        }
    }

    /// The delay after one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let d = self
            .first
            .checked_mul(1u32 << self.failures.min(20))
            .map_or(self.cap, |d| d.min(self.cap));
        self.failures = self.failures.saturating_add(1);
        d
    }

    /// The longest delay, for failures that waiting a little will not fix.
    pub fn give_cap(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        self.cap
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// The words the status line shows for a failed write.
pub fn reason(trouble: WriteTrouble, e: &Error) -> String {
    let what = match trouble {
        WriteTrouble::Busy => "the project file is busy (another program is writing it)",
        WriteTrouble::ReadOnly => "the project file is read-only",
        WriteTrouble::DiskFull => "the disk is full",
        WriteTrouble::Io => "the project file cannot be written",
        WriteTrouble::Conflict => "your annotation changed in another window",
        WriteTrouble::Other => "the store refused the save",
    };
    format!("not saved yet, {what}: {e}; your answer is kept and will be saved again")
}

/// The decision after one attempt: pure, so that it is tested without a store.
pub fn decide(attempt: Result<Option<i64>>, backoff: &mut Backoff) -> SaveOutcome {
    match attempt {
        Ok(annotation_id) => {
            backoff.reset();
            SaveOutcome::Saved { annotation_id }
        }
        Err(Error::Store(crate::store::StoreError::Conflict {
            annotation_id,
            revision,
            updated_at,
            ..
        })) => SaveOutcome::Conflict {
            annotation_id,
            revision,
            updated_at,
        },
        Err(e) => {
            let trouble = write_trouble(&e);
            // A lock or a hiccup clears by itself: come back soon. A read-only file or a
            // full disk needs someone to act: come back at the slowest pace.
            let after = if trouble.is_transient() {
                backoff.next_delay()
            } else {
                backoff.give_cap()
            };
            SaveOutcome::Retry {
                after,
                reason: reason(trouble, &e),
            }
        }
    }
}

/// One answer held until it is stored.
#[derive(Debug, Clone)]
pub struct Saving {
    pending: PendingSave,
    backoff: Backoff,
    last_reason: Option<String>,
}

impl Saving {
    pub fn new(pending: PendingSave) -> Self {
        Saving::with_backoff(pending, Backoff::default())
    }

    pub fn with_backoff(pending: PendingSave, backoff: Backoff) -> Self {
        Saving {
            pending,
            backoff,
            last_reason: None,
        }
    }

    /// What is held: it stays until an attempt returns `Saved`.
    pub fn pending(&self) -> &PendingSave {
        &self.pending
    }

    pub fn into_pending(self) -> PendingSave {
        self.pending
    }

    /// The reason the last attempt failed, if it did.
    pub fn last_reason(&self) -> Option<&str> {
        self.last_reason.as_deref()
    }

    pub fn failures(&self) -> u32 {
        self.backoff.failures()
    }

    /// Writes what is held. On `Retry` the held save is unchanged.
    pub fn attempt(&mut self, target: &mut dyn SaveTarget) -> SaveOutcome {
        let outcome = decide(target.write(&self.pending), &mut self.backoff);
        self.last_reason = match &outcome {
            SaveOutcome::Retry { reason, .. } => Some(reason.clone()),
            SaveOutcome::Conflict { updated_at, .. } => Some(format!(
                "not saved: you changed this task's annotation in another window at {updated_at}"
            )),
            SaveOutcome::Saved { .. } => None,
        };
        outcome
    }

    /// The user chose to replace their newer annotation (revision `revision` of
    /// `annotation_id`) with the held answer: the next attempt expects exactly that one.
    pub fn overwrite(&mut self, annotation_id: i64, revision: i64) {
        self.pending.expect = Expect::Revision {
            id: annotation_id,
            revision,
        };
        self.backoff.reset();
    }

    /// Puts a newer answer of the same task and user in place of the held one, while it
    /// waits. A draft never takes the place of a submit or skip (that would store less
    /// than the annotator finished), nor does an older revision take a newer one's.
    /// Returns whether the newer one was taken.
    pub fn supersede(&mut self, newer: PendingSave) -> bool {
        let same = newer.task_id == self.pending.task_id && newer.user_id == self.pending.user_id;
        let downgrade = newer.kind == SaveKind::Draft && self.pending.kind != SaveKind::Draft;
        if !same || downgrade || newer.revision < self.pending.revision {
            return false;
        }
        self.pending = newer;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ErrorCode;
    use serde_json::json;

    fn sqlite_error(code: ErrorCode) -> Error {
        Error::Store(crate::store::StoreError::Sql(
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error {
                    code,
                    extended_code: 0,
                },
                None,
            ),
        ))
    }

    fn answer() -> PendingSave {
        let result = [
            json!({"id": "a", "from_name": "c", "to_name": "t", "type": "choices",
                             "value": {"choices": ["A"]}}),
        ];
        PendingSave::new(1, 2, &result, 3.5, SaveKind::Submit)
    }

    /// Fails with the queued errors, then stores.
    struct Flaky {
        errors: Vec<Error>,
        stored: Vec<PendingSave>,
    }

    impl SaveTarget for Flaky {
        fn write(&mut self, save: &PendingSave) -> Result<Option<i64>> {
            if !self.errors.is_empty() {
                return Err(self.errors.remove(0));
            }
            self.stored.push(save.clone());
            Ok(Some(7))
        }
    }

    #[test]
    fn backoff_doubles_to_the_cap_and_resets() {
        let mut b = Backoff::default();
        let ms: Vec<u128> = (0..10).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(ms, [50, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
        for _ in 0..100 {
            assert_eq!(b.next_delay(), Duration::from_secs(5));
        }
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(50));
    }

    #[test]
    fn every_failure_is_a_retry_with_a_reason() {
        let cases = [
            (sqlite_error(ErrorCode::DatabaseBusy), "busy", 50),
            (sqlite_error(ErrorCode::DatabaseLocked), "busy", 50),
            (sqlite_error(ErrorCode::ReadOnly), "read-only", 5000),
            (sqlite_error(ErrorCode::DiskFull), "disk is full", 5000),
            (
                sqlite_error(ErrorCode::SystemIoFailure),
                "cannot be written",
                50,
            ),
            (
                Error::io("p.db", std::io::Error::other("device gone")),
                "cannot be written",
                50,
            ),
            (
                sqlite_error(ErrorCode::ConstraintViolation),
                "refused",
                5000,
            ),
        ];
        for (e, words, ms) in cases {
            let text = e.to_string();
            match decide(Err(e), &mut Backoff::default()) {
                SaveOutcome::Retry { after, reason } => {
                    assert!(reason.contains(words), "{reason}");
                    assert!(reason.contains(&text), "{reason}");
                    assert_eq!(after.as_millis(), ms, "{reason}");
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            decide(Ok(Some(3)), &mut Backoff::default()),
            SaveOutcome::Saved {
                annotation_id: Some(3)
            }
        );
    }

    #[test]
    fn a_failing_store_keeps_the_answer_until_it_is_saved() {
        let held = answer();
        let mut target = Flaky {
            errors: vec![
                sqlite_error(ErrorCode::DatabaseBusy),
                sqlite_error(ErrorCode::DatabaseBusy),
                sqlite_error(ErrorCode::ReadOnly),
            ],
            stored: Vec::new(),
        };
        let mut saving = Saving::new(held.clone());
        let mut delays = Vec::new();
        let saved = loop {
            match saving.attempt(&mut target) {
                SaveOutcome::Retry { after, .. } => {
                    assert_eq!(
                        saving.pending(),
                        &held,
                        "a failure never changes what is held"
                    );
                    assert!(saving.last_reason().is_some());
                    delays.push(after.as_millis());
                }
                SaveOutcome::Saved { annotation_id } => break annotation_id,
                SaveOutcome::Conflict { .. } => panic!("nothing else wrote"),
            }
        };
        assert_eq!(delays, [50, 100, 5000]);
        assert_eq!(saved, Some(7));
        assert_eq!(target.stored, [held]);
        assert_eq!(saving.last_reason(), None);
    }

    /// The flow the annotator follows: edit, save the draft's revision, retry on failure,
    /// and mark that revision stored only once it is.
    #[test]
    fn a_draft_is_clean_only_after_its_revision_is_stored() {
        let config = crate::config::LabelConfig::parse(
            r#"<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="A"/></Choices></View>"#,
        )
        .unwrap();
        let mut draft = super::super::Draft::new(Vec::new(), 0.0);
        draft.apply(&config, |_, r| {
            r.push(json!({"from_name": "c", "to_name": "t", "type": "choices", "value": {"choices": ["A"]}}));
            true
        });
        let mut target = Flaky {
            errors: vec![sqlite_error(ErrorCode::DatabaseBusy)],
            stored: Vec::new(),
        };
        let mut saving = Saving::new(PendingSave::of_draft(1, 2, &draft, SaveKind::Draft));
        assert!(matches!(
            saving.attempt(&mut target),
            SaveOutcome::Retry { .. }
        ));
        assert!(draft.is_dirty());
        // Another edit while the save waits: the newer answer takes its place.
        draft.apply(&config, |_, r| {
            r[0]["value"]["choices"] = json!([]);
            true
        });
        assert!(saving.supersede(PendingSave::of_draft(1, 2, &draft, SaveKind::Draft)));
        assert!(matches!(
            saving.attempt(&mut target),
            SaveOutcome::Saved { .. }
        ));
        draft.mark_saved(saving.pending().revision);
        assert!(!draft.is_dirty());
        assert_eq!(target.stored[0].result, draft.result_json());
    }

    #[test]
    fn a_draft_does_not_replace_a_held_submit() {
        let mut saving = Saving::new(answer());
        let mut draft = answer();
        draft.kind = SaveKind::Draft;
        draft.result = "[]".into();
        assert!(!saving.supersede(draft));
        assert_eq!(saving.pending(), &answer());
        let mut other_task = answer();
        other_task.task_id = 9;
        assert!(!saving.supersede(other_task));
        let mut newer = answer();
        newer.revision = 4;
        newer.lead_time = 9.0;
        assert!(saving.supersede(newer.clone()));
        let mut older = answer();
        older.revision = 3;
        assert!(!saving.supersede(older));
        assert_eq!(saving.pending(), &newer);
    }
}

/// Saves against a real project file that another connection locks or that cannot be
/// written.
#[cfg(test)]
mod file_tests {
    use super::*;
    use crate::store::{Project, Sampling};
    use serde_json::json;
    use std::path::{Path, PathBuf};
    use std::sync::mpsc;
    use std::time::Instant;

    /// A project file with one task; returns the folder, the file and a user id.
    fn project_file() -> (tempfile::TempDir, PathBuf, i64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let project = Project {
            title: "t".into(),
            label_config: "<View/>".into(),
            sampling: Sampling::Sequential,
            model_version: None,
            created_at: crate::util::now(),
        };
        let s = Store::create(&path, &project).unwrap();
        s.conn()
            .execute_batch(
                "INSERT INTO tasks (inner_id, created_at, updated_at) VALUES (1, 'x', 'x');
                 INSERT INTO task_data (task_id, data) VALUES (last_insert_rowid(), '{}');",
            )
            .unwrap();
        let me = s.user_id("me").unwrap();
        (dir, path, me)
    }

    fn full_result() -> Vec<Value> {
        vec![
            json!({"id": "r1", "from_name": "box", "to_name": "img", "type": "rectanglelabels",
                   "value": {"x": 10, "y": 20, "width": 30, "height": 40, "rectanglelabels": ["Cat"]}}),
            json!({"from_name": "c", "to_name": "img", "type": "choices", "value": {"choices": ["A"]}}),
        ]
    }

    /// Holds `BEGIN IMMEDIATE` on its own connection until told to commit.
    fn hold_write_lock(path: &Path) -> (mpsc::Sender<()>, std::thread::JoinHandle<()>) {
        let holder = rusqlite::Connection::open(path).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        holder
            .execute("UPDATE tasks SET updated_at = 'held' WHERE id = 1", [])
            .unwrap();
        let (tx, rx) = mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            let _ = rx.recv();
            holder.execute_batch("COMMIT").unwrap();
        });
        (tx, t)
    }

    fn stored_annotation(store: &Store) -> String {
        store.task_full(1).unwrap().unwrap().annotations[0]
            .result
            .clone()
    }

    #[test]
    fn a_save_waits_for_a_short_lock() {
        let (_dir, path, me) = project_file();
        let mut store = Store::open(&path).unwrap();
        let (release, holder) = hold_write_lock(&path);
        let pending = PendingSave::new(1, me, &full_result(), 2.0, SaveKind::Submit);
        let started = Instant::now();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            let _ = release.send(());
        });
        let outcome = Saving::new(pending.clone()).attempt(&mut store);
        holder.join().unwrap();
        assert!(
            matches!(
                outcome,
                SaveOutcome::Saved {
                    annotation_id: Some(_)
                }
            ),
            "{outcome:?}"
        );
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "it waited for the lock"
        );
        assert_eq!(stored_annotation(&store), pending.result);
    }

    #[test]
    fn a_long_lock_gives_retry_then_the_full_result_is_stored() {
        let (_dir, path, me) = project_file();
        let mut store = Store::open(&path).unwrap();
        store
            .conn()
            .busy_timeout(Duration::from_millis(20))
            .unwrap();
        let (release, holder) = hold_write_lock(&path);
        let draft = PendingSave::new(1, me, &full_result(), 1.0, SaveKind::Draft);
        let submit = PendingSave::new(1, me, &full_result(), 2.0, SaveKind::Submit);
        let mut saving_draft = Saving::new(draft.clone());
        let mut saving = Saving::new(submit.clone());
        for s in [&mut saving_draft, &mut saving] {
            match s.attempt(&mut store) {
                SaveOutcome::Retry { after, reason } => {
                    assert_eq!(after, Duration::from_millis(50));
                    assert!(reason.contains("busy"), "{reason}");
                }
                other => panic!("expected a retry, got {other:?}"),
            }
        }
        assert_eq!(saving.pending(), &submit);
        assert_eq!(saving_draft.pending(), &draft);
        release.send(()).unwrap();
        holder.join().unwrap();
        assert_eq!(
            saving_draft.attempt(&mut store),
            SaveOutcome::Saved {
                annotation_id: None
            }
        );
        assert_eq!(store.draft(1, me).unwrap().unwrap().result, draft.result);
        assert!(matches!(
            saving.attempt(&mut store),
            SaveOutcome::Saved { .. }
        ));
        let stored = stored_annotation(&store);
        assert_eq!(stored, submit.result);
        assert_eq!(
            serde_json::from_str::<Vec<Value>>(&stored).unwrap(),
            full_result()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_file_gives_retry_and_keeps_the_draft() {
        use std::os::unix::fs::PermissionsExt;
        let (_dir, path, me) = project_file();
        // Keep one connection open so that the WAL index stays in place for the reader.
        let _open = Store::open(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let mut store = Store::open(&path).unwrap();
        // Permissions do not stop the superuser: make the connection read-only instead.
        let privileged = std::fs::OpenOptions::new().write(true).open(&path).is_ok();
        if privileged {
            store
                .conn()
                .pragma_update(None, "query_only", true)
                .unwrap();
        }
        let draft = PendingSave::new(1, me, &full_result(), 1.5, SaveKind::Draft);
        let mut saving = Saving::new(draft.clone());
        for _ in 0..2 {
            match saving.attempt(&mut store) {
                SaveOutcome::Retry { after, reason } => {
                    assert!(reason.contains("read-only"), "{reason}");
                    assert_eq!(after, Duration::from_secs(5));
                }
                other => panic!("expected a retry, got {other:?}"),
            }
        }
        assert_eq!(saving.pending(), &draft, "the draft text is kept");
        assert!(store.draft(1, me).unwrap().is_none());

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut store = Store::open(&path).unwrap();
        assert_eq!(
            saving.attempt(&mut store),
            SaveOutcome::Saved {
                annotation_id: None
            }
        );
        assert_eq!(store.draft(1, me).unwrap().unwrap().result, draft.result);
    }

    #[test]
    fn a_submit_over_the_same_users_newer_annotation_asks_first() {
        let (dir, mut store) = crate::store::tests::with_tasks(1);
        let path = dir.path().join("p.db");
        let me = store.user_id("me").unwrap();
        let mut other_window = Store::open(&path).unwrap();
        // Both windows open task 1 with no annotation of mine.
        let answer = |text: &str| PendingSave {
            expect: Expect::Nothing,
            ..PendingSave::new(1, me, &[json!(text)], 1.0, SaveKind::Submit)
        };
        let mut first = Saving::new(answer("first"));
        assert!(matches!(
            first.attempt(&mut other_window),
            SaveOutcome::Saved { .. }
        ));
        let mut second = Saving::new(answer("second"));
        let SaveOutcome::Conflict {
            annotation_id,
            revision,
            ..
        } = second.attempt(&mut store)
        else {
            panic!("the second window overwrote the first silently");
        };
        let stored = store.task_full(1).unwrap().unwrap().annotations;
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].result, r#"["first"]"#, "nothing changed yet");
        assert_eq!(
            second.pending().result,
            r#"["second"]"#,
            "the answer is held"
        );
        // The user says overwrite: now it replaces exactly that revision.
        second.overwrite(annotation_id, revision);
        assert!(matches!(
            second.attempt(&mut store),
            SaveOutcome::Saved { .. }
        ));
        let stored = store.task_full(1).unwrap().unwrap().annotations;
        assert_eq!(
            (stored.len(), stored[0].result.as_str(), stored[0].revision),
            (1, r#"["second"]"#, 1)
        );
        // A draft remembers the revision it began from, across saves.
        store
            .save_draft_of(1, me, Some(annotation_id), Some(1), "[]", 1.0)
            .unwrap();
        store
            .save_draft_of(1, me, Some(annotation_id), Some(5), "[2]", 1.0)
            .unwrap();
        assert_eq!(store.draft(1, me).unwrap().unwrap().base_revision, Some(1));
    }
}
