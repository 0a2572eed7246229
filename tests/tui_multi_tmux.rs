//! End to end in tmux: annotators running at once on one project file take different
//! tasks and see each other's work within a second; a killed one leaves its draft and
//! gives its task back; a hung-up one leaves cleanly and restores the terminal.

mod tmux;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tmux::{Tmux, no_tmux, rows};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// The sentiment sample as a project (task 1 comes labelled).
fn project(dir: &Path) -> PathBuf {
    let db = dir.join("p.db");
    let s = sample("sentiment");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labelterm"))
        .args(["init", &db.display().to_string(), "--label-config"])
        .arg(s.join("config.xml"))
        .arg("--input-path")
        .arg(s.join("tasks.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    db
}

fn start_args(db: &Path, user: &str) -> Vec<String> {
    [
        "start",
        &db.display().to_string(),
        "--user",
        user,
        "--no-prelabel",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect()
}

/// Polls until `f` holds (at most 10 s).
fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The task shown in the status line.
fn task_on(screen: &str) -> i64 {
    let at = screen.find("task #").expect("a task on screen") + "task #".len();
    screen[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

/// The process of a user's running annotator, from its claim.
fn pid_of(db: &Path, user: &str) -> i32 {
    rows(
        db,
        &format!(
            "SELECT s.pid FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = '{user}'"
        ),
    )[0]
    .parse()
    .unwrap()
}

fn draft_of(db: &Path, user: &str) -> Vec<String> {
    rows(
        db,
        &format!(
            "SELECT d.task_id, json_extract(d.result, '$[0].value.choices[0]')
             FROM drafts d JOIN users u ON u.id = d.user_id WHERE u.email = '{user}'"
        ),
    )
}

#[test]
fn two_annotators_take_different_tasks_and_see_each_others_counts() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = project(dir.path());
    let alice = Tmux::run("lt-multi-a", &start_args(&db, "alice"), (100, 30), &[]);
    let bob = Tmux::run("lt-multi-b", &start_args(&db, "bob"), (80, 24), &[]);
    let a = task_on(&alice.wait_for("done 1/12"));
    let b = task_on(&bob.wait_for("done 1/12"));
    assert_ne!(a, b, "two annotators, two tasks");
    bob.keys(&["1", "s"]);
    bob.wait_for("done 2/12");
    let seen = Instant::now();
    alice.wait_for("done 2/12");
    assert!(
        seen.elapsed() < Duration::from_millis(1500),
        "alice saw bob's submit after {:?}",
        seen.elapsed()
    );
    // Bob moved on, never to Alice's task; and Alice's submit shows on Bob's screen.
    let b2 = task_on(&bob.screen());
    assert!(b2 != a && b2 != b, "{b2}");
    alice.keys(&["2", "s"]);
    bob.wait_for("done 3/12");
    alice.keys(&["q"]);
    bob.keys(&["q"]);
    alice.wait_exit("q");
    bob.wait_exit("q");
    assert!(rows(&db, "SELECT id FROM sessions").is_empty());
}

#[test]
fn a_killed_annotator_keeps_its_draft_and_its_task_goes_to_the_next() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = project(dir.path());
    let alice = Tmux::run("lt-kill-a", &start_args(&db, "alice"), (100, 30), &[]);
    let a = task_on(&alice.wait_for("done 1/12"));
    alice.keys(&["3"]);
    wait_until("alice's draft", || !draft_of(&db, "alice").is_empty());
    let pid = pid_of(&db, "alice");
    // SAFETY: a plain kill of the labelterm process this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    alice.wait_exit("kill -9");
    assert_eq!(draft_of(&db, "alice"), vec![format!("{a}|Neutral")]);
    let bob = Tmux::run("lt-kill-b", &start_args(&db, "bob"), (80, 24), &[]);
    let b = task_on(&bob.wait_for("done 1/12"));
    assert_eq!(b, a, "the killed annotator's task goes back to the pool");
    bob.keys(&["q"]);
    bob.wait_exit("q");
}

#[test]
fn a_hangup_leaves_cleanly_and_restores_the_terminal() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = project(dir.path());
    let t = Tmux::shell("lt-hup", (80, 24));
    t.keys(&[&Tmux::command_line(&start_args(&db, "alice")), "Enter"]);
    let a = task_on(&t.wait_for("done 1/12"));
    assert_eq!(t.display("#{alternate_on} #{mouse_any_flag}"), "1 1");
    t.keys(&["2"]);
    wait_until("alice's draft", || !draft_of(&db, "alice").is_empty());
    let pid = pid_of(&db, "alice");
    // SAFETY: a hangup sent to the labelterm process this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    wait_until("the claim to go", || {
        rows(&db, "SELECT id FROM sessions").is_empty()
    });
    wait_until("the shell to come back", || {
        t.display("#{pane_current_command}") == "sh"
    });
    assert_eq!(t.display("#{alternate_on} #{mouse_any_flag}"), "0 0");
    t.keys(&["echo typed-$((40+2))", "Enter"]);
    t.wait_for("typed-42");
    assert_eq!(draft_of(&db, "alice"), vec![format!("{a}|Negative")]);
}
