//! Import benchmark: N generated text tasks with one annotation and one prediction each,
//! imported into a new project, beside a bare baseline that streams the same file with
//! serde_json and inserts each task's data text into a one-table SQLite database in one
//! transaction. `cargo bench --bench import -- 200000 1000000` (default: 200000 1000000);
//! `BENCH_REPEATS` sets the runs per size (default 3); min and median are printed.
//! `BENCH_CHECK_WORKERS` sets the check threads (see `import`).

mod common;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use labelterm::config::LabelConfig;
use labelterm::import::{ImportOptions, import_into_store};
use std::path::Path;
use std::time::Instant;

/// CPU time (user + system) of the whole process so far, in seconds.
fn process_cpu() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

/// CPU seconds of each thread of this process while `f` runs, with the thread's name
/// (sampled every 50 ms from /proc, so threads that end between samples lose their last
/// 50 ms), busiest first. The import names its threads: `import-reader`, `import-writer`,
/// `import-sha256` and `import-check` (the check threads, one line each); the calling
/// thread, shown as `main`, runs the checks when there are no check threads.
fn thread_cpu_during<T>(f: impl FnOnce() -> T) -> (T, Vec<(String, f64)>) {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, Ordering};
    let tick = 1.0 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let sample = |seen: &mut HashMap<String, (String, f64)>| {
        let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
            return;
        };
        for t in dir.flatten() {
            let Ok(stat) = std::fs::read_to_string(t.path().join("stat")) else {
                continue;
            };
            // The name stands in parentheses (it may hold spaces); utime is the 12th field
            // after it.
            let name = stat
                .split_once('(')
                .and_then(|(_, rest)| rest.rsplit_once(')'))
                .map_or("?", |(name, _)| name);
            // The process's own thread is named after the binary.
            let main = t.file_name().to_string_lossy() == std::process::id().to_string();
            let name = match name.strip_prefix("import-") {
                _ if main => "main",
                Some(short) => short,
                None => name,
            }
            .to_string();
            let rest = stat.rsplit(')').next().unwrap_or("");
            let f: Vec<&str> = rest.split_whitespace().collect();
            let cpu =
                (f[11].parse::<f64>().unwrap_or(0.0) + f[12].parse::<f64>().unwrap_or(0.0)) * tick;
            seen.insert(t.file_name().to_string_lossy().into_owned(), (name, cpu));
        }
    };
    let mut before = HashMap::new();
    sample(&mut before);
    let done = AtomicBool::new(false);
    let (out, seen) = std::thread::scope(|s| {
        let sampler = s.spawn(|| {
            let mut seen = HashMap::new();
            while !done.load(Ordering::Relaxed) {
                sample(&mut seen);
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            sample(&mut seen);
            seen
        });
        let out = f();
        done.store(true, Ordering::Relaxed);
        (out, sampler.join().expect("sampler"))
    });
    let mut cpu: Vec<(String, f64)> = seen
        .iter()
        .map(|(t, (name, c))| (name.clone(), c - before.get(t).map_or(0.0, |b| b.1)))
        .filter(|(_, c)| *c >= 0.05)
        .collect();
    cpu.sort_by(|a, b| b.1.total_cmp(&a.1));
    (out, cpu)
}

fn remove_db(db: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

/// The baseline: what any import has to do at least. Streams the task list with serde_json
/// (each element's `data` kept as raw text, the rest skipped) and inserts the data text
/// with one prepared statement in one transaction. Returns the tasks inserted.
fn bare_insert(tasks: &Path, db: &Path) -> usize {
    use serde::de::{Deserializer, SeqAccess, Visitor};
    use serde_json::value::RawValue;

    #[derive(serde::Deserialize)]
    struct Task {
        data: Box<RawValue>,
    }
    struct Tasks<'s, 'c>(&'s mut rusqlite::Statement<'c>);
    impl<'de> Visitor<'de> for Tasks<'_, '_> {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of tasks")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
            let mut n = 0;
            while let Some(t) = seq.next_element::<Task>()? {
                self.0
                    .execute([t.data.get()])
                    .map_err(serde::de::Error::custom)?;
                n += 1;
            }
            Ok(n)
        }
    }

    remove_db(db);
    let mut conn = rusqlite::Connection::open(db).expect("baseline db");
    conn.execute_batch("CREATE TABLE task (id INTEGER PRIMARY KEY, data TEXT NOT NULL)")
        .expect("table");
    let tx = conn.transaction().expect("begin");
    let n = {
        let mut st = tx
            .prepare("INSERT INTO task (data) VALUES (?1)")
            .expect("prepare");
        let file = std::fs::File::open(tasks).expect("tasks");
        let reader = std::io::BufReader::with_capacity(1 << 20, file);
        let mut de = serde_json::Deserializer::from_reader(reader);
        (&mut de).deserialize_seq(Tasks(&mut st)).expect("parse")
    };
    tx.commit().expect("commit");
    n
}

/// `BENCH_CHECK_WORKERS=N` sets the import's check threads (0: checks on the calling
/// thread); unset, the import picks them from the machine's cores.
fn import(config: &LabelConfig, tasks: &Path, db: &Path) -> usize {
    remove_db(db);
    let mut store = common::create_project(db, config);
    let opts = ImportOptions {
        check_workers: std::env::var("BENCH_CHECK_WORKERS")
            .ok()
            .and_then(|v| v.parse().ok()),
        ..ImportOptions::default()
    };
    let report = import_into_store(
        &mut store,
        config,
        &[tasks.display().to_string()],
        &opts,
        "bench",
    )
    .expect("import");
    report.tasks() as usize
}

fn min_median(v: &[f64]) -> (f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let median = if s.len() % 2 == 1 {
        s[s.len() / 2]
    } else {
        (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0
    };
    (s[0], median)
}

fn main() {
    let config = LabelConfig::parse(common::SENTIMENT_CONFIG).expect("config");
    let repeats: usize = std::env::var("BENCH_REPEATS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    for n in common::sizes(&[200_000, 1_000_000]) {
        let dir = common::bench_dir();
        let tasks = dir.join(format!("text-annotated-{n}.json"));
        if !tasks.exists() {
            common::write_annotated_text_tasks(&tasks, n).expect("generate");
        }
        let bytes = std::fs::metadata(&tasks).expect("tasks").len();
        let db = dir.join(format!("import-{n}.db"));
        let bare_db = dir.join(format!("import-bare-{n}.db"));
        let (mut bare, mut full, mut ratios, mut cpu) = (vec![], vec![], vec![], vec![]);
        common::reset_peak_rss();
        for _ in 0..repeats {
            // Side by side: the baseline and the import run in turn, under the same load.
            let start = Instant::now();
            assert_eq!(bare_insert(&tasks, &bare_db), n);
            let b = start.elapsed().as_secs_f64();
            remove_db(&bare_db);
            let (start, cpu0) = (Instant::now(), process_cpu());
            let (imported, threads) = thread_cpu_during(|| import(&config, &tasks, &db));
            assert_eq!(imported, n);
            let f = start.elapsed().as_secs_f64();
            cpu.push(process_cpu() - cpu0);
            remove_db(&db);
            let threads: Vec<String> = threads
                .iter()
                .map(|(name, c)| format!("{name} {c:.2}"))
                .collect();
            println!(
                "  run {n:>9} tasks  bare {b:>6.2} s  import {f:>6.2} s  ratio {:.2}  thread CPU {} s",
                f / b,
                threads.join(" / ")
            );
            bare.push(b);
            full.push(f);
            ratios.push(f / b);
        }
        let (bare_min, bare_med) = min_median(&bare);
        let (min, med) = min_median(&full);
        let (ratio_min, ratio_med) = min_median(&ratios);
        let (_, cpu_med) = min_median(&cpu);
        println!(
            "import {n:>9} tasks  {:>7.1} MB  import {min:>6.2} / {med:.2} s (min / median)  bare {bare_min:>5.2} / {bare_med:.2} s  ratio {ratio_min:.2} / {ratio_med:.2}  {:>8.0} tasks/s  CPU {cpu_med:.1} s  peak RSS {:>6.1} MiB",
            bytes as f64 / 1e6,
            n as f64 / min,
            common::peak_rss_mib()
        );
    }
}
