//! Staging places left by killed runs are removed by the next run of the command (unless
//! their owner still lives), and `init` never replaces a project that appeared meanwhile.

mod common;

use common::{labelterm, path, sample, tmp, write};
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Names in `dir` that start with `prefix`, sorted.
fn entries(dir: &Path, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix))
        .collect();
    v.sort();
    v
}

/// A project with `n` annotated text tasks.
fn project(dir: &Path, n: usize) -> String {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            serde_json::json!({
                "data": {"text": format!("review number {i}, which was rather good")},
                "annotations": [{"result": [{"from_name": "sentiment", "to_name": "text",
                    "type": "choices", "value": {"choices": ["Positive"]}}]}],
            })
        })
        .collect();
    let input = write(dir, "tasks.json", serde_json::to_string(&tasks).unwrap());
    let p = path(dir, "p.db");
    labelterm(&[
        "init",
        &p,
        "--label-config",
        &sample("sentiment/config.xml"),
        "--input-path",
        &input,
    ])
    .ok();
    p
}

/// A dead owner's place (lock file there, nobody holds it) and a live one's (locked by
/// this test) beside `dir/name`, for `kind` (`export` or `init`).
fn stale_and_live(dir: &Path, name: &str, kind: &str, as_dir: bool) -> File {
    for pid in ["4000001", "4000002"] {
        let place = dir.join(format!(".{name}.{kind}-{pid}-0"));
        if as_dir {
            std::fs::create_dir(&place).unwrap();
            std::fs::write(place.join("result.json"), vec![b'x'; 1000]).unwrap();
        } else {
            std::fs::write(&place, vec![b'x'; 1000]).unwrap();
            std::fs::write(format!("{}-wal", place.display()), "wal").unwrap();
        }
        std::fs::write(dir.join(format!(".{name}.{kind}-{pid}-0.lock")), "").unwrap();
    }
    let held = File::options()
        .write(true)
        .open(dir.join(format!(".{name}.{kind}-4000002-0.lock")))
        .unwrap();
    held.lock().unwrap();
    held
}

#[test]
fn export_removes_stale_staging_and_keeps_live_staging() {
    let d = tmp();
    let p = project(d.path(), 3);
    let held = stale_and_live(d.path(), "out.json", "export", true);
    let out = path(d.path(), "out.json");
    labelterm(&["export", &p, "--export-path", &out]).ok();
    assert_eq!(
        entries(d.path(), ".out.json"),
        vec![
            ".out.json.export-4000002-0",
            ".out.json.export-4000002-0.lock"
        ]
    );
    drop(held);
    labelterm(&["export", &p, "--export-path", &out]).ok();
    assert_eq!(entries(d.path(), ".out.json"), Vec::<String>::new());
    assert!(Path::new(&out).is_file());
}

#[test]
fn init_removes_stale_staging_and_keeps_live_staging() {
    let d = tmp();
    let held = stale_and_live(d.path(), "new.db", "init", false);
    let p = path(d.path(), "new.db");
    labelterm(&[
        "init",
        &p,
        "--label-config",
        &sample("sentiment/config.xml"),
    ])
    .ok();
    assert_eq!(
        entries(d.path(), ".new.db"),
        vec![
            ".new.db.init-4000002-0",
            ".new.db.init-4000002-0-wal",
            ".new.db.init-4000002-0.lock"
        ]
    );
    drop(held);
    let other = path(d.path(), "new.db");
    let r = labelterm(&[
        "init",
        &other,
        "--label-config",
        &sample("sentiment/config.xml"),
    ]);
    r.failed(1);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    // A failed init sweeps too, and leaves nothing of its own.
    assert_eq!(entries(d.path(), ".new.db"), Vec::<String>::new());
}

#[test]
fn killed_export_leaves_nothing_after_the_next_export() {
    let d = tmp();
    let p = project(d.path(), 30_000);
    let out = path(d.path(), "big.json");
    let mut caught = false;
    for _ in 0..5 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_labelterm"))
            .args(["export", &p, "--export-path", &out])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        // Kill it (SIGKILL) as soon as its staging directory holds something.
        while start.elapsed() < Duration::from_secs(60) {
            let staged = entries(d.path(), ".big.json.export-").iter().any(|n| {
                !n.ends_with(".lock")
                    && d.path()
                        .join(n)
                        .read_dir()
                        .is_ok_and(|mut r| r.next().is_some())
            });
            if staged || child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        child.wait().unwrap();
        if running && !entries(d.path(), ".big.json").is_empty() {
            caught = true;
            break;
        }
    }
    assert!(
        caught,
        "the export always finished before it could be killed"
    );
    labelterm(&["export", &p, "--export-path", &out]).ok();
    assert_eq!(entries(d.path(), ".big.json"), Vec::<String>::new());
    assert!(Path::new(&out).is_file());
}

/// Two inits of one path at the same time: exactly one creates the project, the other
/// says it already exists; neither replaces the other's project.
#[test]
fn racing_inits_never_replace_each_other() {
    let d = tmp();
    let tasks: Vec<_> = (0..20_000)
        .map(|i| serde_json::json!({"text": format!("task {i}")}))
        .collect();
    let input = write(
        d.path(),
        "tasks.json",
        serde_json::to_string(&tasks).unwrap(),
    );
    for round in 0..3 {
        let p = path(d.path(), &format!("race{round}.db"));
        let spawn = |title: &str| {
            Command::new(env!("CARGO_BIN_EXE_labelterm"))
                .args([
                    "init",
                    &p,
                    "--label-config",
                    &sample("sentiment/config.xml"),
                    "--input-path",
                    &input,
                    "--title",
                    title,
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn("first"), spawn("second"));
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let ok: Vec<bool> = [&a, &b].iter().map(|o| o.status.success()).collect();
        assert_eq!(
            ok.iter().filter(|s| **s).count(),
            1,
            "round {round}: exactly one init succeeds\n{}\n{}",
            String::from_utf8_lossy(&a.stderr),
            String::from_utf8_lossy(&b.stderr)
        );
        let loser = if ok[0] { &b } else { &a };
        assert!(
            String::from_utf8_lossy(&loser.stderr).contains("already exists"),
            "{}",
            String::from_utf8_lossy(&loser.stderr)
        );
        let winner = if ok[0] { "first" } else { "second" };
        let conn = rusqlite::Connection::open(&p).unwrap();
        let title: String = conn
            .query_row("SELECT title FROM project", [], |r| r.get(0))
            .unwrap();
        assert_eq!(title, winner, "round {round}: the project is the winner's");
        assert_eq!(
            entries(d.path(), &format!(".race{round}")),
            Vec::<String>::new()
        );
    }
}

#[test]
fn no_replace_placement_refuses_an_existing_target() {
    let d = tmp();
    let tmp_file = write(d.path(), ".staged", "new");
    let target = write(d.path(), "project.db", "theirs");
    let e =
        labelterm::project::place_no_replace(Path::new(&tmp_file), Path::new(&target)).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "theirs");
    let fresh = path(d.path(), "fresh.db");
    labelterm::project::place_no_replace(Path::new(&tmp_file), Path::new(&fresh)).unwrap();
    assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "new");
}
