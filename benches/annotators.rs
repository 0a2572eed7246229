//! Many annotators on one project: `cargo bench --bench annotators -- 10000 8` labels
//! 10,000 tasks with overlap 2 by 8 annotator processes (each claims its next task, submits
//! and claims the next, through the same layer as the terminal annotator) while
//! `labelterm export` runs over and over beside them. Prints the latency of claim + submit
//! per submit (p50, p99, max) and tasks/s, then checks the project as the soak test does.
//! `--alone` runs the annotators without exports beside them, for comparison.

#[path = "common/annotators.rs"]
mod annotators;
mod common;

use annotators::{Beside, check, make_project, run};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn main() {
    if annotators::worker_main() {
        return;
    }
    let args = common::sizes(&[10_000, 8]);
    let tasks = args[0];
    let workers = args.get(1).copied().unwrap_or(8);
    let overlap = 2;
    let alone = std::env::args().any(|a| a == "--alone");
    let beside = if alone {
        Beside::Nothing
    } else {
        Beside::Exports
    };
    let dir = common::bench_dir().join("annotators");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let made = Instant::now();
    let project = make_project(&dir, tasks, overlap);
    eprintln!(
        "project of {tasks} tasks made in {:.2} s; {workers} annotator processes, overlap {overlap}, {}",
        made.elapsed().as_secs_f64(),
        if alone { "alone" } else { "exports beside" }
    );
    let exe = std::env::current_exe().unwrap();
    let worker = || Command::new(&exe);
    let soak = run(
        &project,
        workers,
        &worker,
        Path::new(env!("CARGO_BIN_EXE_labelterm")),
        beside,
    );
    let checked = check(&project, i64::from(overlap), &soak);
    assert_eq!(checked, tasks);
    let secs = soak.elapsed.as_secs_f64();
    let ms = |q: f64| soak.latency(q).as_secs_f64() * 1000.0;
    println!("| measurement | value |");
    println!("| --- | --- |");
    println!("| tasks (overlap {overlap}) / annotator processes | {tasks} / {workers} |");
    println!("| submits | {} |", soak.confirmed.len());
    println!("| wall time | {secs:.1} s |");
    println!(
        "| tasks/s (each fully annotated) | {:.0} |",
        tasks as f64 / secs
    );
    println!("| submits/s | {:.0} |", soak.confirmed.len() as f64 / secs);
    println!(
        "| claim + submit latency p50 / p90 / p99 / p99.9 / max | {:.1} / {:.1} / {:.1} / {:.1} / {:.1} ms |",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        ms(0.999),
        ms(1.0)
    );
    let claim_ms = |q: f64| soak.claim_latency(q).as_secs_f64() * 1000.0;
    println!(
        "| of which the claim, p50 / p99 / max | {:.1} / {:.1} / {:.1} ms |",
        claim_ms(0.5),
        claim_ms(0.99),
        claim_ms(1.0)
    );
    println!(
        "| claims that failed busy (2 s timeout) and were retried | {} |",
        soak.confirmed.iter().map(|c| c.busy_claims).sum::<u32>()
    );
    println!(
        "| saves retried (busy) | {} of {} |",
        soak.confirmed.iter().filter(|c| c.retries > 0).count(),
        soak.confirmed.len()
    );
    println!(
        "| exports beside (failed) | {} ({}) |",
        soak.beside_runs,
        soak.beside_failures.len()
    );
    println!(
        "checked: every task has {overlap} annotations from {overlap} annotators, none empty, every confirmed submit stored"
    );
    assert!(
        soak.beside_failures.is_empty(),
        "exports failed: {:?}",
        soak.beside_failures
    );
}
