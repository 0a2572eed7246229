//! Import benchmark: N generated text tasks with one prediction each, imported into a new
//! project. `cargo bench --bench import -- 100000 1000000` (default: 100000 1000000).

mod common;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use labelterm::config::LabelConfig;
use labelterm::import::{ImportOptions, import_into_store};
use labelterm::store::{Project, Sampling, Store};
use std::time::Instant;

fn main() {
    let config = LabelConfig::parse(common::SENTIMENT_CONFIG).expect("config");
    for n in common::sizes(&[100_000, 1_000_000]) {
        let dir = common::bench_dir();
        let tasks = dir.join(format!("text-{n}.json"));
        if !tasks.exists() {
            common::write_text_tasks(&tasks, n).expect("generate");
        }
        let bytes = std::fs::metadata(&tasks).expect("tasks").len();
        let db = dir.join(format!("import-{n}.db"));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        let mut store = Store::create(
            &db,
            &Project {
                title: "bench".into(),
                label_config: config.source.clone(),
                sampling: Sampling::Sequential,
                model_version: None,
                created_at: labelterm::util::now(),
            },
        )
        .expect("store");
        common::reset_peak_rss();
        let start = Instant::now();
        let report = import_into_store(
            &mut store,
            &config,
            &[tasks.display().to_string()],
            &ImportOptions::default(),
            "bench",
        )
        .expect("import");
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(report.tasks() as usize, n);
        println!(
            "import {n:>9} tasks  {:>7.1} MB  {secs:>6.2} s  {:>9.0} tasks/s  {:>6.1} MB/s  peak RSS {:>6.1} MiB",
            bytes as f64 / 1e6,
            n as f64 / secs,
            bytes as f64 / 1e6 / secs,
            common::peak_rss_mib()
        );
    }
}
