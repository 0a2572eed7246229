//! Faults an annotator survives, on the layer the terminal annotator saves through
//! (`Annotator`, `Saving`): the project held locked by another program, a full disk, a
//! read-only file or folder, and a power cut (copies of the files taken at random moments,
//! mid-transaction). Each time the message says what is wrong, no half-written row is
//! left, the answer is held and retried, and it is stored once the fault clears.
//!
//! The disk and read-only cases mount a small tmpfs or a read-only bind mount in a user
//! and mount namespace (`unshare -rm`), re-running this program inside it. Without
//! `unshare` they are skipped with the reason printed, unless `CI` is set.

#[path = "../benches/common/annotators.rs"]
mod annotators;

use annotators::{answer_of, make_project};
use labelterm::annotate::{Annotator, PendingSave, SaveKind, SaveOutcome, Saving};
use labelterm::store::Store;
use labelterm::store::annotate::Expect;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Set in a child process: the project or folder it works on.
const FAULT_PATH: &str = "LABELTERM_FAULT_PATH";
const USER: &str = "ann@example.com";

fn fault_path() -> PathBuf {
    PathBuf::from(
        std::env::var_os(FAULT_PATH).expect("a fault worker runs only inside its fault test"),
    )
}

/// This test program again, running only the test `name`.
fn this_test(name: &str) -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["--exact", name, "--ignored", "--nocapture"]);
    c
}

/// The submitted results of a task, read through a connection of their own.
fn results_of(project: &Path, task: i64) -> Vec<String> {
    let c = rusqlite::Connection::open(project).unwrap();
    let mut st = c
        .prepare("SELECT result FROM annotations WHERE task_id = ?1")
        .unwrap();
    st.query_map([task], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn integrity(project: &Path) -> String {
    let c = rusqlite::Connection::open(project).unwrap();
    c.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// The text a submit of `task` stores.
fn stored_answer(task: i64) -> String {
    serde_json::Value::Array(vec![answer_of(USER, task)]).to_string()
}

/// An annotator registered on `project` with the next task claimed, and its answer to it
/// held for saving.
fn annotator_with_answer(project: &Path) -> (Store, Annotator, i64, Saving) {
    let mut store = Store::open(project).unwrap();
    let user = store.user_id(USER).unwrap();
    let me = Annotator::register(&store, user).unwrap();
    let task = me
        .next(&mut store, None, 1)
        .unwrap()
        .expect("a task to label");
    let saving = Saving::new(me.answer(
        PendingSave::new(task, user, &[answer_of(USER, task)], 4.0, SaveKind::Submit),
        Expect::Nothing,
    ));
    (store, me, task, saving)
}

fn expect_retry(outcome: SaveOutcome, words: &str) -> String {
    match outcome {
        SaveOutcome::Retry { reason, .. } => {
            assert!(reason.contains(words), "{reason}");
            assert!(reason.contains("your answer is kept"), "{reason}");
            reason
        }
        other => panic!("expected a retry because {words}, got {other:?}"),
    }
}

fn expect_saved(outcome: SaveOutcome, project: &Path, task: i64) {
    assert!(
        matches!(
            outcome,
            SaveOutcome::Saved {
                annotation_id: Some(_)
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(results_of(project, task), [stored_answer(task)]);
    assert_eq!(integrity(project), "ok");
}

// --- held locked by another program -------------------------------------------------

/// Holds the project locked (`BEGIN EXCLUSIVE`) until its stdin gives a line.
#[test]
#[ignore = "started by held_locked_by_another_program"]
fn lock_holder() {
    let c = rusqlite::Connection::open(fault_path()).unwrap();
    c.execute_batch("BEGIN EXCLUSIVE").unwrap();
    println!("locked");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    c.execute_batch("COMMIT").unwrap();
}

#[test]
fn held_locked_by_another_program() {
    let dir = tempfile::tempdir().unwrap();
    let project = make_project(dir.path(), 5, 1);
    let (mut store, _me, task, mut saving) = annotator_with_answer(&project);
    let mut holder = this_test("lock_holder")
        .env(FAULT_PATH, &project)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(holder.stdout.take().unwrap());
    let mut line = String::new();
    while line.trim() != "locked" {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the holder ended");
    }
    let reason = expect_retry(saving.attempt(&mut store), "another program is writing it");
    assert!(reason.contains("busy"), "{reason}");
    assert!(
        results_of(&project, task).is_empty(),
        "nothing half written"
    );
    assert_eq!(
        saving.pending().result,
        stored_answer(task),
        "the answer is held"
    );
    // Still held: a second try fails the same way.
    expect_retry(saving.attempt(&mut store), "busy");
    writeln!(holder.stdin.take().unwrap()).unwrap();
    assert!(holder.wait().unwrap().success());
    expect_saved(saving.attempt(&mut store), &project, task);
}

// --- in a user and mount namespace ----------------------------------------------------

/// Whether `unshare -rm` works here; when it does not, says why the test is skipped, or
/// fails under CI.
fn namespaces() -> bool {
    let works = Command::new("unshare")
        .args(["-rm", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        let why = "`unshare -rm` (user and mount namespaces) is not available";
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipped: {why}");
    }
    works
}

/// Runs the test `name` of this program in a new user and mount namespace, after the
/// shell `setup` (which sees the folder as $LABELTERM_FAULT_PATH); fails with its output
/// when it fails.
fn in_namespace(name: &str, dir: &Path, setup: &str) {
    let script =
        format!("{setup} && exec \"$FAULT_EXE\" --exact \"$FAULT_TEST\" --ignored --nocapture");
    let out = Command::new("unshare")
        .args(["-rm", "sh", "-c", &script])
        .env(FAULT_PATH, dir)
        .env("FAULT_EXE", std::env::current_exe().unwrap())
        .env("FAULT_TEST", name)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{name} failed:\n{text}");
    assert!(text.contains(&format!("test {name} ... ok")), "{text}");
}

fn mount(args: &[&str]) {
    let s = Command::new("mount").args(args).status().unwrap();
    assert!(s.success(), "mount {args:?}");
}

/// Fills the file system `dir` is on with `dir/filler` until it takes no more.
fn fill(dir: &Path) -> PathBuf {
    let filler = dir.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    for chunk in [1 << 20, 4096, 1] {
        let block = vec![0u8; chunk];
        while f.write_all(&block).and_then(|()| f.flush()).is_ok() {}
    }
    drop(f);
    filler
}

#[test]
#[ignore = "started by disk_full in its namespace, on a small tmpfs"]
fn disk_full_worker() {
    let dir = fault_path();
    let project = make_project(&dir, 10, 1);
    let (mut store, _me, task, mut saving) = annotator_with_answer(&project);
    let filler = fill(&dir);
    expect_retry(saving.attempt(&mut store), "the disk is full");
    assert!(
        results_of(&project, task).is_empty(),
        "nothing half written"
    );
    assert_eq!(integrity(&project), "ok");
    expect_retry(saving.attempt(&mut store), "the disk is full");
    assert_eq!(
        saving.pending().result,
        stored_answer(task),
        "the answer is held"
    );
    std::fs::remove_file(filler).unwrap();
    expect_saved(saving.attempt(&mut store), &project, task);
}

#[test]
fn disk_full() {
    if !namespaces() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    in_namespace(
        "disk_full_worker",
        dir.path(),
        "mount -t tmpfs -o size=4m tmpfs \"$LABELTERM_FAULT_PATH\"",
    );
}

#[test]
#[ignore = "started by read_only_file in its namespace"]
fn read_only_file_worker() {
    let dir = fault_path();
    let project = make_project(&dir, 5, 1);
    let file = project.to_str().unwrap();
    // Known to the project before the fault, as a user who worked on it before.
    Store::open(&project).unwrap().user_id(USER).unwrap();
    mount(&["--bind", file, file]);
    mount(&["-o", "remount,bind,ro", file]);
    // The annotator starts on the read-only file: it can read it, not register in it.
    let mut store = Store::open(&project).unwrap();
    let user = store.user_id(USER).unwrap();
    let err = Annotator::register(&store, user).unwrap_err();
    assert_eq!(
        err.kind(),
        labelterm::store::StoreErrorKind::ReadOnly,
        "{err}"
    );
    let me = Annotator {
        session: labelterm::annotate::presence::this_process(user),
    };
    let task = 1;
    let mut saving = Saving::new(me.answer(
        PendingSave::new(task, user, &[answer_of(USER, task)], 4.0, SaveKind::Submit),
        Expect::Nothing,
    ));
    expect_retry(saving.attempt(&mut store), "the project file is read-only");
    assert!(
        results_of(&project, task).is_empty(),
        "nothing half written"
    );
    mount(&["-o", "remount,bind,rw", file]);
    // The same store, as the running annotator holds it: it writes again.
    expect_saved(saving.attempt(&mut store), &project, task);
}

#[test]
fn read_only_file() {
    if !namespaces() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    in_namespace("read_only_file_worker", dir.path(), "true");
}

#[test]
#[ignore = "started by read_only_folder in its namespace"]
fn read_only_folder_worker() {
    let dir = fault_path();
    let project = make_project(&dir, 5, 1);
    let (store, me, task, mut saving) = annotator_with_answer(&project);
    // Linux refuses to make a mount read-only while files on it are open for writing, so
    // the folder is made read-only while the annotator is away and it comes back to it.
    me.leave(&store).unwrap();
    drop(store);
    let d = dir.to_str().unwrap();
    mount(&["--bind", d, d]);
    mount(&["-o", "remount,bind,ro", d]);
    // SQLite cannot make its WAL files beside the project, so it cannot even read it:
    // the annotator does not start, and says why.
    let Err(e) = Store::open(&project) else {
        panic!("a read-only folder is refused")
    };
    let m = e.to_string();
    assert!(m.contains(&format!("the folder {d} is read-only")), "{m}");
    assert_eq!(e.kind(), labelterm::store::StoreErrorKind::ReadOnly);
    mount(&["-o", "remount,bind,rw", d]);
    assert_eq!(integrity(&project), "ok");
    assert!(
        results_of(&project, task).is_empty(),
        "nothing half written"
    );
    let mut store = Store::open(&project).unwrap();
    assert_eq!(
        saving.pending().result,
        stored_answer(task),
        "the answer is held"
    );
    expect_saved(saving.attempt(&mut store), &project, task);
}

#[test]
fn read_only_folder() {
    if !namespaces() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    in_namespace("read_only_folder_worker", dir.path(), "true");
}

// --- power cut -------------------------------------------------------------------------

/// Labels task after task, printing `confirmed TASK ANNOTATION` once each submit is stored
/// (what the screen would then call saved), until nothing is left.
#[test]
#[ignore = "started by a_power_cut_keeps_every_confirmed_submit"]
fn power_cut_submitter() {
    let project = fault_path();
    let mut store = Store::open(&project).unwrap();
    let user = store.user_id(USER).unwrap();
    let me = Annotator::register(&store, user).unwrap();
    let mut stdout = std::io::stdout();
    while let Some(task) = me.next(&mut store, None, 1).unwrap() {
        let mut saving = Saving::new(me.answer(
            PendingSave::new(task, user, &[answer_of(USER, task)], 1.0, SaveKind::Submit),
            Expect::Nothing,
        ));
        let id = loop {
            match saving.attempt(&mut store) {
                SaveOutcome::Saved { annotation_id } => break annotation_id.unwrap(),
                SaveOutcome::Retry { after, .. } => std::thread::sleep(after),
                SaveOutcome::Conflict { .. } => panic!("conflict on {task}"),
            }
        };
        writeln!(stdout, "confirmed {task} {id}").unwrap();
        stdout.flush().unwrap();
    }
}

fn signal(child: &std::process::Child, sig: libc::c_int) {
    // SAFETY: signals a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
}

#[test]
fn a_power_cut_keeps_every_confirmed_submit() {
    let dir = tempfile::tempdir().unwrap();
    let project = make_project(dir.path(), 3000, 1);
    let mut child = this_test("power_cut_submitter")
        .env(FAULT_PATH, &project)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let confirmed = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(i64, i64)>::new()));
    let reader = {
        let confirmed = confirmed.clone();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let line = line.unwrap();
                if let Some(rest) = line.strip_prefix("confirmed ") {
                    let (t, a) = rest.split_once(' ').unwrap();
                    confirmed
                        .lock()
                        .unwrap()
                        .push((t.parse().unwrap(), a.parse().unwrap()));
                }
            }
        })
    };
    // Copies are taken once submits are under way, however slowly the submitter starts.
    let started = std::time::Instant::now();
    while confirmed.lock().unwrap().len() < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the submitter confirms nothing"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let wal = PathBuf::from(format!("{}-wal", project.display()));
    let mut rng = annotators_rng();
    let mut copies = 0;
    let mut checked = 0;
    while copies < 25 {
        std::thread::sleep(Duration::from_micros(2000 + rng() % 20_000));
        // What was confirmed before the cut; the process is then frozen wherever it is,
        // often inside a transaction, and its files copied as the disk holds them.
        let before: Vec<(i64, i64)> = confirmed.lock().unwrap().clone();
        signal(&child, libc::SIGSTOP);
        let copy = dir.path().join(format!("copy-{copies}.db"));
        std::fs::copy(&project, &copy).unwrap();
        if wal.exists() {
            std::fs::copy(&wal, format!("{}-wal", copy.display())).unwrap();
        }
        signal(&child, libc::SIGCONT);
        copies += 1;
        Store::open(&copy).unwrap_or_else(|e| panic!("copy {copies} does not open: {e}"));
        assert_eq!(integrity(&copy), "ok", "copy {copies}");
        let c = rusqlite::Connection::open(&copy).unwrap();
        for (task, id) in &before {
            let stored: Option<(i64, String)> = c
                .query_row(
                    "SELECT task_id, result FROM annotations WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .ok();
            assert_eq!(
                stored,
                Some((*task, stored_answer(*task))),
                "copy {copies} lost the confirmed submit of task {task}"
            );
        }
        checked += before.len();
    }
    // Then the power goes for good, mid-work: kill it and check the file itself.
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    let all = confirmed.lock().unwrap().clone();
    assert!(
        checked > 25 && all.len() > 25,
        "the copies were taken while submits were confirmed ({checked} checked, {} confirmed)",
        all.len()
    );
    assert_eq!(integrity(&project), "ok");
    for (task, _) in &all {
        assert_eq!(results_of(&project, *task), [stored_answer(*task)]);
    }
}

/// Random delays, different on each run.
fn annotators_rng() -> impl FnMut() -> u64 {
    let mut x = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}
