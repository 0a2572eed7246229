//! Soak: eight annotator processes label one project with overlap 2 while exports, stats
//! or imports run beside them. Every task ends with exactly two annotations from two
//! different annotators, none empty, and every answer a worker saw confirmed is stored.

#[path = "../benches/common/annotators.rs"]
mod annotators;

use annotators::{Beside, check, make_project, run};
use std::path::Path;
use std::process::Command;

const WORKERS: usize = 8;

/// This test program again, running only the worker.
fn worker() -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["--exact", "soak_worker", "--ignored", "--nocapture"]);
    c
}

/// Runs in each worker process (see `annotators::worker_main`).
#[test]
#[ignore = "a worker process of the soak tests, started by them"]
fn soak_worker() {
    assert!(
        annotators::worker_main(),
        "started without a project to label"
    );
}

fn labelterm() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_labelterm"))
}

#[test]
fn eight_annotators_with_exports_beside() {
    let dir = tempfile::tempdir().unwrap();
    let project = make_project(dir.path(), 300, 2);
    let soak = run(&project, WORKERS, &worker, labelterm(), Beside::Exports);
    assert!(
        soak.beside_failures.is_empty(),
        "exports failed: {:?}",
        soak.beside_failures
    );
    assert!(soak.beside_runs > 0, "no export ran beside the annotators");
    assert_eq!(check(&project, 2, &soak), 300);
    let users: std::collections::HashSet<&str> =
        soak.confirmed.iter().map(|c| c.user.as_str()).collect();
    assert!(users.len() > 1, "the work was shared: {users:?}");
    eprintln!(
        "{} submits in {:.2} s ({:.0} tasks/s) with {} export(s) beside; p50 {:?}, p99 {:?}, {} retried attempt(s)",
        soak.confirmed.len(),
        soak.elapsed.as_secs_f64(),
        300.0 / soak.elapsed.as_secs_f64(),
        soak.beside_runs,
        soak.latency(0.5),
        soak.latency(0.99),
        soak.retries()
    );
}

#[test]
fn eight_annotators_with_stats_beside() {
    let dir = tempfile::tempdir().unwrap();
    let project = make_project(dir.path(), 200, 2);
    let soak = run(&project, WORKERS, &worker, labelterm(), Beside::Stats);
    assert!(
        soak.beside_failures.is_empty(),
        "stats failed: {:?}",
        soak.beside_failures
    );
    assert!(soak.beside_runs > 0, "no stats ran beside the annotators");
    assert_eq!(check(&project, 2, &soak), 200);
}

#[test]
fn eight_annotators_with_imports_beside() {
    let dir = tempfile::tempdir().unwrap();
    let project = make_project(dir.path(), 100, 2);
    let soak = run(
        &project,
        WORKERS,
        &worker,
        labelterm(),
        Beside::Imports {
            files: 5,
            tasks: 40,
        },
    );
    assert!(
        soak.beside_failures.is_empty(),
        "imports failed: {:?}",
        soak.beside_failures
    );
    assert_eq!(soak.beside_runs, 5);
    assert_eq!(
        check(&project, 2, &soak),
        300,
        "the imported tasks are labelled too"
    );
}
