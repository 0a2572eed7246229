//! Many annotators on one project, as separate processes: the worker labels through the
//! same UI-free layer as the terminal annotator (register, claim the next task, answer,
//! retry the save with its back-off until it is stored, leave), and the driver starts the
//! workers, runs exports or imports beside them, and checks the project afterwards.
//! Shared by the soak test (`tests/multi_soak.rs`) and the benchmark
//! (`benches/annotators.rs`).
#![allow(dead_code)]

use labelterm::annotate::{Annotator, PendingSave, SaveKind, SaveOutcome, Saving};
use labelterm::project::{self, NewProject, SettingsChange};
use labelterm::store::annotate::Expect;
use labelterm::store::{Store, StoreErrorKind};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Set in a worker process: the project it labels.
pub const WORKER_PROJECT: &str = "LABELTERM_SOAK_PROJECT";
const WORKER_USER: &str = "LABELTERM_SOAK_USER";
const WORKER_LOG: &str = "LABELTERM_SOAK_LOG";
/// A file whose presence says no more tasks will come: until it exists, a worker that
/// finds nothing to do waits for more.
const WORKER_DONE: &str = "LABELTERM_SOAK_DONE";

pub const CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
    <Choice value="Neutral"/>
  </Choices>
</View>"#;

/// One confirmed answer, as a worker logs it once the save returned `Saved`.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmed {
    pub user: String,
    pub task: i64,
    pub annotation: i64,
    /// Claim of the next task plus the submit, until stored.
    pub latency: Duration,
    /// Attempts that came back `Retry` before it was stored.
    pub retries: u32,
    /// The part of `latency` spent claiming the task.
    pub claim: Duration,
    /// Claims that failed as busy (the busy timeout ran out) before this one.
    pub busy_claims: u32,
}

/// The result a worker submits for a task: its region id names the user and task, so
/// the check finds each confirmed answer exactly.
pub fn answer_of(user: &str, task: i64) -> serde_json::Value {
    let choice = ["Positive", "Negative", "Neutral"][(task % 3) as usize];
    serde_json::json!({
        "id": format!("{user}-{task}"), "from_name": "sentiment", "to_name": "text",
        "type": "choices", "value": {"choices": [choice]},
    })
}

/// Writes `n` text tasks, starting at number `from`, as a JSON list.
pub fn write_tasks(path: &Path, from: usize, n: usize) {
    let tasks: Vec<serde_json::Value> = (from..from + n)
        .map(|i| serde_json::json!({"text": format!("review number {i}: the battery is fine")}))
        .collect();
    std::fs::write(path, serde_json::to_vec(&tasks).unwrap()).unwrap();
}

/// A new project in `dir` with `tasks` tasks, each to be annotated `overlap` times.
pub fn make_project(dir: &Path, tasks: usize, overlap: u32) -> PathBuf {
    let config = dir.join("config.xml");
    std::fs::write(&config, CONFIG).unwrap();
    let input = dir.join("tasks.json");
    write_tasks(&input, 0, tasks);
    let path = dir.join("project.db");
    let new = NewProject {
        inputs: vec![input.display().to_string()],
        settings: SettingsChange {
            maximum_annotations: Some(overlap),
            ..SettingsChange::default()
        },
        ..NewProject::new(&config, "importer")
    };
    project::create(&path, &new).expect("create the project");
    path
}

fn transient(e: &labelterm::store::StoreError) -> bool {
    matches!(e.kind(), StoreErrorKind::Busy | StoreErrorKind::Io)
}

/// `f`'s value, asking again while the file is busy.
fn retried<T>(mut f: impl FnMut() -> labelterm::store::Result<T>) -> T {
    let mut backoff = labelterm::annotate::Backoff::default();
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) if transient(&e) => std::thread::sleep(backoff.next_delay()),
            Err(e) => panic!("{e}"),
        }
    }
}

/// The worker process: labels until nothing is left for its user. Returns false when
/// this process is not a worker.
pub fn worker_main() -> bool {
    let Some(project) = std::env::var_os(WORKER_PROJECT) else {
        return false;
    };
    let user = std::env::var(WORKER_USER).expect("worker user");
    let log = std::env::var_os(WORKER_LOG).expect("worker log");
    let done = PathBuf::from(std::env::var_os(WORKER_DONE).expect("worker done file"));
    let mut log = std::io::BufWriter::new(std::fs::File::create(log).unwrap());
    let mut store = Store::open(Path::new(&project)).expect("open the project");
    // Starting is retried like every write: the file may be busy with the others.
    let user_id = retried(|| store.user_id(&user));
    let me = retried(|| Annotator::register(&store, user_id));
    let mut seed = u64::from(std::process::id());
    // From asking for the next task (failed tries included) until its answer is stored.
    let mut start = Instant::now();
    let mut busy_claims = 0u32;
    loop {
        let no_more_coming = done.exists();
        let task = match me.next(&mut store, None, seed) {
            Ok(Some(t)) => t,
            Ok(None) if no_more_coming => break,
            Ok(None) => {
                std::thread::sleep(Duration::from_millis(20));
                start = Instant::now();
                continue;
            }
            Err(e) if transient(&e) => {
                busy_claims += 1;
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            Err(e) => panic!("claim: {e}"),
        };
        let claimed = start.elapsed();
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        let pending = me.answer(
            PendingSave::new(
                task,
                user_id,
                &[answer_of(&user, task)],
                start.elapsed().as_secs_f64(),
                SaveKind::Submit,
            ),
            Expect::Nothing,
        );
        let mut saving = Saving::new(pending);
        let mut retries = 0u32;
        let annotation = loop {
            match saving.attempt(&mut store) {
                SaveOutcome::Saved { annotation_id } => break annotation_id.expect("submit id"),
                SaveOutcome::Retry { after, .. } => {
                    retries += 1;
                    std::thread::sleep(after);
                }
                SaveOutcome::Conflict { .. } => panic!("{user} conflicts with itself on {task}"),
            }
        };
        // Logged only once stored: what the screen would have called saved.
        writeln!(
            log,
            "{user}\t{task}\t{annotation}\t{}\t{}\t{}\t{busy_claims}",
            start.elapsed().as_micros(),
            retries,
            claimed.as_micros()
        )
        .unwrap();
        log.flush().unwrap();
        start = Instant::now();
        busy_claims = 0;
    }
    retried(|| me.leave(&store));
    true
}

fn read_log(path: &Path) -> Vec<Confirmed> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Confirmed {
                user: f[0].to_string(),
                task: f[1].parse().unwrap(),
                annotation: f[2].parse().unwrap(),
                latency: Duration::from_micros(f[3].parse().unwrap()),
                retries: f[4].parse().unwrap(),
                claim: Duration::from_micros(f[5].parse().unwrap()),
                busy_claims: f[6].parse().unwrap(),
            }
        })
        .collect()
}

/// What runs beside the annotators.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Beside {
    Nothing,
    /// `labelterm export` to JSON, one after another.
    Exports,
    /// `labelterm stats --json`, one after another.
    Stats,
    /// `labelterm import` of this many files of this many tasks, one after another;
    /// the workers wait for them.
    Imports {
        files: usize,
        tasks: usize,
    },
}

/// How a run went.
#[derive(Debug)]
pub struct Soak {
    pub confirmed: Vec<Confirmed>,
    pub elapsed: Duration,
    /// Commands run beside that finished, and those that failed (with their stderr).
    pub beside_runs: usize,
    pub beside_failures: Vec<String>,
}

impl Soak {
    /// Latency at quantile `q` (0..=1).
    pub fn latency(&self, q: f64) -> Duration {
        let mut l: Vec<Duration> = self.confirmed.iter().map(|c| c.latency).collect();
        l.sort_unstable();
        if l.is_empty() {
            return Duration::ZERO;
        }
        l[((l.len() - 1) as f64 * q).round() as usize]
    }

    /// Claim time at quantile `q`.
    pub fn claim_latency(&self, q: f64) -> Duration {
        let mut l: Vec<Duration> = self.confirmed.iter().map(|c| c.claim).collect();
        l.sort_unstable();
        l.get(((l.len().max(1) - 1) as f64 * q).round() as usize)
            .copied()
            .unwrap_or_default()
    }

    pub fn retries(&self) -> u32 {
        self.confirmed.iter().map(|c| c.retries).sum()
    }
}

/// Starts `workers` worker processes (`worker` makes the command that re-runs this
/// program as one) on `project`, runs `beside` until they are done, and collects what
/// they confirmed.
pub fn run(
    project: &Path,
    workers: usize,
    worker: &dyn Fn() -> Command,
    labelterm_exe: &Path,
    beside: Beside,
) -> Soak {
    let dir = project.parent().unwrap().to_path_buf();
    let done = dir.join("no-more-tasks");
    if !matches!(beside, Beside::Imports { .. }) {
        std::fs::write(&done, "").unwrap();
    }
    let start = Instant::now();
    let mut children: Vec<(Child, PathBuf)> = (0..workers)
        .map(|i| {
            let log = dir.join(format!("worker-{i}.log"));
            let child = worker()
                .env(WORKER_PROJECT, project)
                .env(WORKER_USER, format!("annotator{i}@example.com"))
                .env(WORKER_LOG, &log)
                .env(WORKER_DONE, &done)
                .stdout(Stdio::null())
                .spawn()
                .expect("start a worker");
            (child, log)
        })
        .collect();
    let mut beside_runs = 0;
    let mut beside_failures = Vec::new();
    let mut imported = 0;
    let all_done = |children: &mut Vec<(Child, PathBuf)>| {
        children
            .iter_mut()
            .all(|(c, _)| c.try_wait().unwrap().is_some())
    };
    while !all_done(&mut children) {
        let mut cmd = Command::new(labelterm_exe);
        match beside {
            Beside::Nothing => {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            Beside::Exports => {
                cmd.arg("export")
                    .arg(project)
                    .args(["--export-type", "JSON", "--export-path"])
                    .arg(dir.join("export.json"));
            }
            Beside::Stats => {
                cmd.arg("stats").arg(project).arg("--json");
            }
            Beside::Imports { files, tasks } => {
                if imported == files {
                    std::fs::write(&done, "").unwrap();
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                let input = dir.join(format!("more-{imported}.json"));
                write_tasks(&input, 1_000_000 + imported * tasks, tasks);
                cmd.arg("import")
                    .arg(project)
                    .arg("--input-path")
                    .arg(&input);
                imported += 1;
            }
        }
        let out = cmd.output().expect("run labelterm");
        beside_runs += 1;
        if !out.status.success() {
            beside_failures.push(String::from_utf8_lossy(&out.stderr).into_owned());
        }
    }
    let elapsed = start.elapsed();
    let mut confirmed = Vec::new();
    for (mut child, log) in children {
        let status = child.wait().unwrap();
        assert!(status.success(), "a worker failed: {status}");
        confirmed.extend(read_log(&log));
    }
    Soak {
        confirmed,
        elapsed,
        beside_runs,
        beside_failures,
    }
}

/// Checks the project after a run: every task has exactly `overlap` submitted
/// annotations from as many users, none empty, and each of them is an answer a worker
/// saw confirmed, stored as it was sent. Returns the number of tasks.
pub fn check(project: &Path, overlap: i64, soak: &Soak) -> usize {
    let c = rusqlite::Connection::open(project).unwrap();
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let mut st = c
        .prepare(
            "SELECT t.id, COUNT(a.id), COUNT(DISTINCT a.completed_by),
                    SUM(a.result = '[]' OR a.result = '' OR a.result IS NULL), SUM(a.was_cancelled)
             FROM tasks t LEFT JOIN annotations a ON a.task_id = t.id
             GROUP BY t.id ORDER BY t.id",
        )
        .unwrap();
    // Task, annotations, users, empty ones, skips.
    type Row = (i64, i64, i64, Option<i64>, Option<i64>);
    let rows: Vec<Row> = st
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(!rows.is_empty());
    for (task, count, users, empty, skipped) in &rows {
        assert_eq!(*count, overlap, "task {task} has {count} annotation(s)");
        assert_eq!(
            *users, overlap,
            "task {task} has annotations of {users} user(s)"
        );
        assert_eq!(empty.unwrap_or(0), 0, "task {task} has an empty annotation");
        assert_eq!(skipped.unwrap_or(0), 0, "task {task} has a skip");
    }
    let unlabeled: i64 = c
        .query_row("SELECT COUNT(*) FROM tasks WHERE is_labeled = 0", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(unlabeled, 0, "tasks not counted as labeled");
    let total: i64 = c
        .query_row("SELECT COUNT(*) FROM annotations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        total as usize,
        soak.confirmed.len(),
        "every annotation is one a worker saw confirmed, and the reverse"
    );
    let mut get = c
        .prepare(
            "SELECT a.task_id, u.email, a.result FROM annotations a
             JOIN users u ON u.id = a.completed_by WHERE a.id = ?1",
        )
        .unwrap();
    for k in &soak.confirmed {
        let (task, user, result): (i64, String, String) = get
            .query_row([k.annotation], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap_or_else(|e| panic!("confirmed {k:?} is not stored: {e}"));
        assert_eq!((task, user.as_str()), (k.task, k.user.as_str()), "{k:?}");
        let stored: serde_json::Value = serde_json::from_str(&result).unwrap();
        assert_eq!(
            stored,
            serde_json::json!([answer_of(&k.user, k.task)]),
            "{k:?}"
        );
    }
    rows.len()
}
