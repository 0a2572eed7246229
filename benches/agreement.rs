//! Agreement on a large project: `cargo bench --bench agreement -- 1000000` builds (once,
//! into `bench-data/`) a project of N text tasks, each with two annotations by two of four
//! annotators (a sentiment choice and two NER spans; in half the tasks the second
//! annotator differs: another choice or a shifted span) and one prediction, then times:
//! - `refresh_agreement` with every task stale (what follows a large import), and again
//!   with nothing stale;
//! - one task's annotation changed, then refreshed (what follows a submit);
//! - the whole report (`labelterm agreement`: per control, matrix, prediction quality);
//!
//! with peak memory, which stays flat: both stream.

mod common;

// As the binary does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use labelterm::config::LabelConfig;
use labelterm::review::agreement::{refresh_agreement, report};
use labelterm::store::{Project, Sampling, Store};
use std::path::Path;
use std::time::Instant;

const CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
  <Labels name="ner" toName="text">
    <Label value="PER"/><Label value="ORG"/><Label value="LOC"/>
  </Labels>
</View>"#;

fn result(choice: &str, spans: &[(u64, u64, &str)]) -> String {
    let mut items = vec![format!(
        r#"{{"id":"c","from_name":"sentiment","to_name":"text","type":"choices","value":{{"choices":["{choice}"]}}}}"#
    )];
    for (i, (s, e, l)) in spans.iter().enumerate() {
        items.push(format!(
            r#"{{"id":"s{i}","from_name":"ner","to_name":"text","type":"labels","value":{{"start":{s},"end":{e},"text":"x","labels":["{l}"]}}}}"#
        ));
    }
    format!("[{}]", items.join(","))
}

fn build(path: &Path, n: usize) {
    let project = Project {
        title: "agreement bench".into(),
        label_config: CONFIG.into(),
        sampling: Sampling::Sequential,
        model_version: None,
        created_at: "2026-01-01T00:00:00Z".into(),
    };
    drop(Store::create(path, &project).unwrap());
    let mut c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch("PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF;")
        .unwrap();
    let tx = c.transaction().unwrap();
    for u in 0..4 {
        tx.execute(
            "INSERT INTO users (email, created_at) VALUES (?1, 'x')",
            [format!("annotator{u}@example.com")],
        )
        .unwrap();
    }
    {
        let mut task = tx
            .prepare("INSERT INTO tasks (id, inner_id, total_annotations, total_predictions, is_labeled, created_at, updated_at) VALUES (?1, ?1, 2, 1, 1, 'x', 'x')")
            .unwrap();
        let mut data = tx
            .prepare("INSERT INTO task_data (task_id, data) VALUES (?1, ?2)")
            .unwrap();
        let mut ann = tx
            .prepare("INSERT INTO annotations (task_id, result, completed_by, created_at, updated_at) VALUES (?1, ?2, ?3, 'x', 'x')")
            .unwrap();
        let mut pred = tx
            .prepare("INSERT INTO predictions (task_id, result, model_version, created_at) VALUES (?1, ?2, 'bench-v1', 'x')")
            .unwrap();
        let mut rng = common::Rng::new(7);
        let choices = ["Positive", "Negative", "Neutral"];
        let labels = ["PER", "ORG", "LOC"];
        for id in 1..=n as i64 {
            let text = common::sentence(&mut rng, 28);
            let choice = choices[(rng.next_u64() % 3) as usize];
            let s1 = rng.next_u64() % 100;
            let s2 = 100 + rng.next_u64() % 50;
            let l1 = labels[(rng.next_u64() % 3) as usize];
            let l2 = labels[(rng.next_u64() % 3) as usize];
            let first = result(choice, &[(s1, s1 + 8, l1), (s2, s2 + 12, l2)]);
            let second = match rng.next_u64() % 4 {
                0 => result(
                    choices[(rng.next_u64() % 3) as usize],
                    &[(s1, s1 + 8, l1), (s2, s2 + 12, l2)],
                ),
                1 => result(choice, &[(s1 + 2, s1 + 8, l1), (s2, s2 + 12, l2)]),
                _ => first.clone(),
            };
            let users = rng.next_u64() % 4;
            task.execute([id]).unwrap();
            data.execute(rusqlite::params![id, format!(r#"{{"text":"{text}"}}"#)])
                .unwrap();
            ann.execute(rusqlite::params![id, first, users as i64 + 1])
                .unwrap();
            ann.execute(rusqlite::params![id, second, ((users + 1) % 4 + 1) as i64])
                .unwrap();
            let predicted = result(choice, &[(s1, s1 + 10, l1)]);
            pred.execute(rusqlite::params![id, predicted]).unwrap();
        }
    }
    tx.commit().unwrap();
    c.execute_batch("PRAGMA journal_mode=WAL;").unwrap();
}

/// CPU time of this process so far (user + system), in seconds: on a shared machine the
/// wall time says more about the neighbours than about the code.
fn cpu_secs() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn main() {
    let n = common::sizes(&[1_000_000])[0];
    let dir = common::bench_dir().join("agreement");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("agreement-{n}.db"));
    if !path.exists() {
        let t = Instant::now();
        let tmp = dir.join(format!("agreement-{n}.db.part"));
        let _ = std::fs::remove_file(&tmp);
        build(&tmp, n);
        std::fs::rename(&tmp, &path).unwrap();
        eprintln!("built {n} tasks in {:.1} s", t.elapsed().as_secs_f64());
    }
    let config = LabelConfig::parse(CONFIG).unwrap();
    let mut store = Store::open(&path).unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute("UPDATE tasks SET agreement_stale = 1, agreement = NULL", [])
        .unwrap();

    println!("| measurement ({n} tasks, 2 annotations each) | wall | CPU | peak RSS |");
    println!("| --- | --- | --- | --- |");
    common::reset_peak_rss();
    let (t, cpu) = (Instant::now(), cpu_secs());
    let done = refresh_agreement(&mut store, &config).unwrap();
    let all = t.elapsed().as_secs_f64();
    assert_eq!(done, n);
    println!(
        "| refresh, every task stale | {all:.2} s ({:.0} tasks/s) | {:.2} s | {:.0} MiB |",
        n as f64 / all,
        cpu_secs() - cpu,
        common::peak_rss_mib()
    );
    let t = Instant::now();
    assert_eq!(refresh_agreement(&mut store, &config).unwrap(), 0);
    println!(
        "| refresh, nothing stale | {:.2} ms | | |",
        t.elapsed().as_secs_f64() * 1000.0
    );
    raw.execute(
        "UPDATE annotations SET result = '[]' WHERE id = (SELECT MAX(id) FROM annotations)",
        [],
    )
    .unwrap();
    let t = Instant::now();
    assert_eq!(refresh_agreement(&mut store, &config).unwrap(), 1);
    println!(
        "| refresh, one task changed | {:.2} ms | | |",
        t.elapsed().as_secs_f64() * 1000.0
    );
    common::reset_peak_rss();
    let (t, cpu) = (Instant::now(), cpu_secs());
    let mut tasks = 0u64;
    let r = report(&store, &config, 10, |_| tasks += 1).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "| full report (per control, matrix, prediction quality) | {secs:.2} s | {:.2} s | {:.0} MiB |",
        cpu_secs() - cpu,
        common::peak_rss_mib()
    );
    let mean: f64 = raw
        .query_row("SELECT AVG(agreement) FROM tasks", [], |r| r.get(0))
        .unwrap();
    assert!((mean - r.overall.value().unwrap()).abs() < 1e-9);
    assert_eq!(tasks, n as u64);
    eprintln!(
        "overall {:.4}, per control {:?}",
        mean,
        r.per_control
            .iter()
            .map(|(k, m)| (k, m.value()))
            .collect::<Vec<_>>()
    );
}
