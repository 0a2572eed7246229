//! Shared helpers for the benchmarks: deterministic data generation and memory readings.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

pub const SENTIMENT_CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
    <Choice value="Neutral"/>
  </Choices>
</View>"#;

const WORDS: &[&str] = &[
    "battery", "screen", "delivery", "great", "broken", "support", "price", "quality", "fast",
    "slow", "colour", "size", "strap", "sound", "camera", "update", "return", "gift", "cheap",
    "solid",
];

/// A small deterministic generator (xorshift), so every run writes the same bytes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

pub fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[(rng.next_u64() % WORDS.len() as u64) as usize]);
    }
    s
}

/// A new, empty bench project at `path` under `config`.
pub fn create_project(
    path: &Path,
    config: &labelterm::config::LabelConfig,
) -> labelterm::store::Store {
    labelterm::store::Store::create(
        path,
        &labelterm::store::Project {
            title: "bench".into(),
            label_config: config.source.clone(),
            sampling: labelterm::store::Sampling::Sequential,
            model_version: None,
            created_at: labelterm::util::now(),
        },
    )
    .expect("store")
}

/// Writes `n` text tasks with one prediction each (about 420 bytes per task) as a JSON list.
pub fn write_text_tasks(path: &Path, n: usize) -> std::io::Result<u64> {
    let mut rng = Rng::new(42);
    let f = std::fs::File::create(path)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    let labels = ["Positive", "Negative", "Neutral"];
    w.write_all(b"[\n")?;
    for i in 0..n {
        let text = sentence(&mut rng, 28);
        let label = labels[(rng.next_u64() % 3) as usize];
        let score = (rng.next_u64() % 1000) as f64 / 1000.0;
        if i > 0 {
            w.write_all(b",\n")?;
        }
        write!(
            w,
            r#"{{"data": {{"text": "{text}", "review_id": "r{i:07}"}}, "predictions": [{{"model_version": "bench-v1", "score": {score}, "result": [{{"id": "p{i}", "from_name": "sentiment", "to_name": "text", "type": "choices", "value": {{"choices": ["{label}"]}}}}]}}]}}"#
        )?;
    }
    w.write_all(b"\n]\n")?;
    w.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// Writes `n` text tasks with one annotation and one prediction each (about 700 bytes per
/// task) as a JSON list: the import benchmark's input. Annotations name one of four
/// annotators by email, as exports do.
pub fn write_annotated_text_tasks(path: &Path, n: usize) -> std::io::Result<u64> {
    let mut rng = Rng::new(7);
    let f = std::fs::File::create(path)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    let labels = ["Positive", "Negative", "Neutral"];
    w.write_all(b"[\n")?;
    for i in 0..n {
        let text = sentence(&mut rng, 28);
        let label = labels[(rng.next_u64() % 3) as usize];
        let answer = labels[(rng.next_u64() % 3) as usize];
        let score = (rng.next_u64() % 1000) as f64 / 1000.0;
        let annotator = rng.next_u64() % 4;
        let lead_time = (rng.next_u64() % 600) as f64 / 10.0;
        if i > 0 {
            w.write_all(b",\n")?;
        }
        write!(
            w,
            r#"{{"data": {{"text": "{text}", "review_id": "r{i:07}"}}, "annotations": [{{"completed_by": {{"email": "annotator{annotator}@example.com"}}, "lead_time": {lead_time}, "created_at": "2026-01-02T03:04:05.000000Z", "result": [{{"id": "a{i}", "from_name": "sentiment", "to_name": "text", "type": "choices", "value": {{"choices": ["{answer}"]}}}}]}}], "predictions": [{{"model_version": "bench-v1", "score": {score}, "result": [{{"id": "p{i}", "from_name": "sentiment", "to_name": "text", "type": "choices", "value": {{"choices": ["{label}"]}}}}]}}]}}"#
        )?;
    }
    w.write_all(b"\n]\n")?;
    w.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// Peak resident memory of this process so far, in MiB (Linux `VmHWM`).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|k| k.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the peak-RSS counter (Linux: write 5 to /proc/self/clear_refs).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub fn bench_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench-data");
    std::fs::create_dir_all(&d).expect("bench-data directory");
    d
}

/// Task counts from the command line (`cargo bench --bench import -- 100000 1000000`).
pub fn sizes(default: &[usize]) -> Vec<usize> {
    let v: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    if v.is_empty() { default.to_vec() } else { v }
}

/// Whether a measurement runs: no words on the command line, or its label holds one of
/// them (`cargo bench --bench query -- 1000000 freq sort`).
pub fn selected(label: &str) -> bool {
    let words: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a.replace('_', "").parse::<usize>().is_err() && !a.starts_with('-'))
        .collect();
    words.is_empty() || words.iter().any(|w| label.contains(w.as_str()))
}

/// The project `<name>-<n>.db` in `bench-data/`: `n` generated text tasks
/// ([`write_text_tasks`]) imported once under [`SENTIMENT_CONFIG`], then reused.
pub fn text_project(name: &str, n: usize) -> PathBuf {
    use labelterm::config::LabelConfig;
    use labelterm::import::{ImportOptions, import_into_store};
    let dir = bench_dir();
    let db = dir.join(format!("{name}-{n}.db"));
    if db.exists() {
        return db;
    }
    let tasks = dir.join(format!("text-{n}.json"));
    if !tasks.exists() {
        write_text_tasks(&tasks, n).expect("generate");
    }
    let config = LabelConfig::parse(SENTIMENT_CONFIG).expect("config");
    let tmp = dir.join(format!("{name}-{n}.db.tmp"));
    let _ = std::fs::remove_file(&tmp);
    let mut store = create_project(&tmp, &config);
    eprintln!("importing {n} tasks into {} (once)...", db.display());
    let start = std::time::Instant::now();
    import_into_store(
        &mut store,
        &config,
        &[tasks.display().to_string()],
        &ImportOptions::default(),
        "bench",
    )
    .expect("import");
    eprintln!("imported in {:.2} s", start.elapsed().as_secs_f64());
    drop(store);
    std::fs::rename(&tmp, &db).expect("rename");
    db
}
