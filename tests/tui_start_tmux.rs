//! End to end in tmux: the quick start re-run on its own project, and pre-labelling from
//! the top prediction (accepting a prediction is one key).

mod tmux;
use std::path::{Path, PathBuf};
use tmux::{Tmux, no_tmux, rows};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn quick_start(db: &Path, extra: &[&str]) -> Vec<String> {
    let s = sample("sentiment");
    let mut args: Vec<String> = [
        "start",
        &db.display().to_string(),
        "--init",
        "--label-config",
        &s.join("config.xml").display().to_string(),
        "--input-path",
        &s.join("tasks.json").display().to_string(),
        "--user",
        "tmuxer",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

#[test]
fn the_quick_start_runs_again_on_its_own_project() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let first = Tmux::run("lt-restart-1", &quick_start(&db, &[]), (100, 30), &[]);
    first.wait_for("task #2");
    first.keys(&["q"]);
    first.wait_exit("q");
    drop(first);
    let tasks = rows(&db, "SELECT COUNT(*) FROM tasks");
    // The same command again opens the project instead of failing, and imports nothing.
    let again = Tmux::run("lt-restart-2", &quick_start(&db, &[]), (100, 30), &[]);
    again.wait_for("task #2");
    again.keys(&["q"]);
    again.wait_exit("q");
    assert_eq!(rows(&db, "SELECT COUNT(*) FROM tasks"), tasks);
}

#[test]
fn a_prediction_is_accepted_with_one_key() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let t = Tmux::run("lt-prelabel", &quick_start(&db, &[]), (100, 30), &[]);
    // Task 1 is labelled already; task 2 starts from its top prediction.
    let screen = t.wait_for("task #2");
    assert!(screen.contains("(•) Negative"), "{screen}");
    t.keys(&["s"]);
    t.wait_for("task 2 submitted");
    t.keys(&["q"]);
    t.wait_exit("q");
    let stored = rows(
        &db,
        "SELECT json_extract(a.result, '$[0].value.choices[0]'),
                a.parent_prediction IS NOT NULL
         FROM annotations a JOIN users u ON u.id = a.completed_by
         WHERE a.task_id = 2 AND u.email = 'tmuxer'",
    );
    assert_eq!(stored, vec!["Negative|1".to_string()]);
}

#[test]
fn no_prelabel_starts_tasks_empty() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let t = Tmux::run(
        "lt-noprelabel",
        &quick_start(&db, &["--no-prelabel"]),
        (100, 30),
        &[],
    );
    let screen = t.wait_for("task #2");
    assert!(!screen.contains("(•)"), "{screen}");
    t.keys(&["q"]);
    t.wait_exit("q");
}
