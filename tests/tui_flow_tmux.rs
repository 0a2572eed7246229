//! End to end, the real binary in tmux: a save while another process holds the write
//! lock, typed text surviving `kill -9`, and `s` in a read-only view.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod tmux;
use tmux::{Tmux, no_tmux};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn start(socket: &str, db: &Path, name: &str) -> Tmux {
    let s = sample(name);
    Tmux::start(socket, db, &s.join("config.xml"), &s.join("tasks.json"))
}

fn quit(tmux: &Tmux) {
    tmux.keys(&["q"]);
    tmux.wait_exit("q");
}

fn rows(db: &Path, q: &str) -> Vec<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut st = c.prepare(q).unwrap();
    st.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The labelterm process of the session's pane (the pane may run it under a shell).
fn labelterm_pid(tmux: &Tmux) -> u32 {
    let out = tmux.cmd(&["list-panes", "-t", "lt", "-F", "#{pane_pid}"]);
    let mut pid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    for _ in 0..3 {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "labelterm" {
            return pid;
        }
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap();
        pid = children.split_whitespace().next().unwrap().parse().unwrap();
    }
    panic!("no labelterm process under the pane");
}

#[test]
fn a_save_during_another_writers_lock_is_kept_shown_and_stored_after() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let tmux = start("labelterm-flow-lock", &db, "sentiment");
    tmux.wait_for("task #2");
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    holder
        .execute("UPDATE project SET title = title WHERE id = 1", [])
        .unwrap();
    tmux.keys(&["2"]);
    tmux.wait_for("not saved, retrying");
    tmux.keys(&["s"]);
    std::thread::sleep(Duration::from_millis(600));
    let screen = tmux.wait_for("not saved, retrying");
    assert!(screen.contains("task #2"), "the task stays open:\n{screen}");
    assert!(
        screen.contains("[2] (•) Negative"),
        "the answer stays:\n{screen}"
    );
    holder.execute_batch("COMMIT").unwrap();
    drop(holder);
    tmux.wait_for("task 2 submitted");
    tmux.wait_for("task #3");
    quit(&tmux);
    let stored = rows(
        &db,
        "SELECT json_extract(result, '$[0].value.choices[0]') FROM annotations a
         JOIN users u ON u.id = a.completed_by WHERE u.email = 'tmuxer' AND task_id = 2",
    );
    assert_eq!(stored, ["Negative"]);
}

#[test]
fn text_typed_in_a_textarea_survives_kill_9() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let tmux = start("labelterm-flow-kill", &db, "audio_transcription");
    let first = tmux.wait_for("task #");
    tmux.keys(&["Enter"]);
    tmux.keys(&["-l", "Guten Morgen"]);
    tmux.wait_for("Guten Morgen");
    // The draft is written as the text is typed; wait for the last letter to be stored.
    let start = Instant::now();
    while !rows(&db, "SELECT result FROM drafts")
        .iter()
        .any(|r| r.contains("Guten Morgen"))
    {
        assert!(start.elapsed() < Duration::from_secs(10), "no draft");
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = labelterm_pid(&tmux);
    assert!(
        std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    drop(tmux);
    let args = [
        "start".to_string(),
        db.display().to_string(),
        "--user".into(),
        "tmuxer".into(),
    ];
    let again = Tmux::run("labelterm-flow-kill2", &args, (100, 30), &[]);
    let screen = again.wait_for("Guten Morgen");
    assert!(screen.contains("resumed your draft"), "{screen}");
    let task_line = |s: &str| {
        s.lines().find(|l| l.contains("task #")).map(|l| {
            l.split("task #")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_string()
        })
    };
    assert_eq!(task_line(&screen), task_line(&first), "the same task");
    quit(&again);
}

#[test]
fn submit_while_viewing_a_prediction_is_refused_in_tmux() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let tmux = start("labelterm-flow-ro", &db, "sentiment");
    tmux.wait_for("task #2");
    tmux.keys(&["O"]);
    tmux.wait_for("viewing prediction 1");
    tmux.keys(&["s"]);
    let screen = tmux.wait_for("not submitted");
    assert!(screen.contains("task #2"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("showing your annotation");
    quit(&tmux);
    let stored = rows(
        &db,
        "SELECT a.result FROM annotations a JOIN users u ON u.id = a.completed_by
         WHERE u.email = 'tmuxer'",
    );
    assert!(stored.is_empty(), "{stored:?}");
}

#[test]
fn ctrl_c_stores_the_typed_text_and_quits_in_tmux() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let tmux = start("labelterm-flow-ctrlc", &db, "audio_transcription");
    tmux.wait_for("task #");
    tmux.keys(&["Enter"]);
    tmux.keys(&["-l", "Hallo Welt"]);
    tmux.wait_for("Hallo Welt");
    tmux.keys(&["C-c"]);
    tmux.wait_exit("Ctrl-C");
    let drafts = rows(&db, "SELECT result FROM drafts");
    assert!(
        drafts.iter().any(|r| r.contains("Hallo Welt")),
        "{drafts:?}"
    );
}
