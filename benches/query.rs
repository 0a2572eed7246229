//! Query benchmark on a generated project (default 1,000,000 text tasks with one
//! prediction each, kept in `bench-data/`): a filter or sort applied (the result set
//! materialised), a full-text search, frequency tables, and page reads of the data table
//! (scrolling), jumps and next-match on a result set.
//! `cargo bench --bench query -- 1000000 [WORD...]` (each measurement runs 5 times; the
//! min and median wall time and the min CPU time of the thread are reported; page reads
//! report p50 / p99 / max of 500 reads; words pick the measurements whose label holds
//! one, e.g. `freq`).

mod common;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use labelterm::store::Store;
use labelterm::store::query::{Field, GroupBy, Query};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn project(n: usize) -> PathBuf {
    common::text_project("query", n)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// CPU time of this thread: unlike wall time, it does not grow when other processes
/// share the cores.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Min and median wall time and min CPU time of RUNS runs of `f`, which returns a count
/// to print; skipped unless its label holds one of the words given on the command line.
fn time(label: &str, mut f: impl FnMut() -> u64) {
    if !common::selected(label) {
        return;
    }
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    let mut count = 0;
    for _ in 0..RUNS {
        let (start, start_cpu) = (Instant::now(), thread_cpu());
        count = f();
        times.push(start.elapsed());
        cpu.push(thread_cpu() - start_cpu);
    }
    times.sort();
    cpu.sort();
    println!(
        "{label:<48} {:>8.1} / {:>8.1} ms, cpu {:>7.1} ms  ({count})",
        ms(times[0]),
        ms(times[RUNS / 2]),
        ms(cpu[0])
    );
}

fn q(filters: &[&str], sort: &[&str], search: &str) -> Query {
    Query {
        filters: filters.iter().map(|f| f.parse().expect("filter")).collect(),
        sort: sort.iter().map(|s| s.parse().expect("sort")).collect(),
        search: search.into(),
        ..Query::default()
    }
}

fn main() {
    for n in common::sizes(&[1_000_000]) {
        let db = project(n);
        let store = Store::open(&db).expect("open");
        println!("query benchmark, {n} tasks (wall min / median and cpu min of {RUNS} runs)");
        let apply = |label: &str, query: Query| {
            time(label, || {
                let set = store.run_query(&query).expect("query");
                let c = set.count();
                set.close(&store).expect("close");
                c
            })
        };
        apply("all tasks, id order", q(&[], &[], ""));
        apply("filter score >= 0.5", q(&["score >= 0.5"], &[], ""));
        apply(
            "filter status = unlabeled",
            q(&["status = unlabeled"], &[], ""),
        );
        apply(
            "filter data.review_id contains 12345",
            q(&["data.review_id contains 12345"], &[], ""),
        );
        apply(
            "filter prediction:sentiment = Positive",
            q(&["prediction:sentiment = Positive"], &[], ""),
        );
        apply("sort -score", q(&[], &["-score"], ""));
        apply("sort -data.review_id", q(&[], &["-data.review_id"], ""));
        apply(
            "filter score >= 0.5, sort -score",
            q(&["score >= 0.5"], &["-score"], ""),
        );
        apply("search r0500000 (one task)", q(&[], &[], "r0500000"));
        apply("search r00001 (prefix, 100 tasks)", q(&[], &[], "r00001"));
        apply(
            "search \"battery camera strap\"",
            q(&[], &[], "battery camera strap"),
        );
        time("count: search battery", || {
            store.query_count(&q(&[], &[], "battery")).expect("count")
        });
        let all = Query::default();
        for field in ["status", "model", "prediction:sentiment", "annotators"] {
            let f: Field = field.parse().expect("field");
            time(&format!("freq {field}"), || {
                store.freq(&all, &f).expect("freq").len() as u64
            });
        }
        let f: Field = "prediction:sentiment".parse().expect("field");
        time("freq prediction:sentiment by model", || {
            store.freq_by(&all, &f, GroupBy::Model).expect("freq").len() as u64
        });
        time("freq prediction:sentiment, search battery", || {
            store.freq(&q(&[], &[], "battery"), &f).expect("freq").len() as u64
        });
        time("histogram score, 10 bins", || {
            store
                .histogram(&all, &Field::Score, 10)
                .expect("hist")
                .len() as u64
        });
        time("describe data.text", || {
            store
                .describe(&all, &Field::data(["text"]))
                .expect("describe")
                .distinct
        });

        if !common::selected("page jump next match") {
            continue;
        }
        // Scrolling: pages of a screenful at random positions of a sorted set.
        let set = store.run_query(&q(&[], &["-score"], "")).expect("query");
        let columns: Vec<Field> = [
            "id",
            "status",
            "score",
            "data.text",
            "data.review_id",
            "prediction:sentiment",
        ]
        .iter()
        .map(|c| c.parse().expect("column"))
        .collect();
        let mut rng = common::Rng::new(7);
        let mut reads = Vec::new();
        let mut offset = 0u64;
        for i in 0..500 {
            // Mostly a row or a page on, sometimes a jump anywhere.
            offset = if i % 10 == 0 {
                rng.next_u64() % set.count()
            } else {
                (offset + 1 + rng.next_u64() % 60).min(set.count() - 1)
            };
            let start = Instant::now();
            let page = set.page(&store, offset, 60, &columns).expect("page");
            reads.push(start.elapsed());
            assert!(!page.is_empty());
        }
        reads.sort();
        println!(
            "{:<52} {:>9.2} / {:>9.2} / {:>6.2} ms  (p50 / p99 / max)",
            "page of 60 rows, 6 columns, sorted set",
            ms(reads[reads.len() / 2]),
            ms(reads[reads.len() * 99 / 100]),
            ms(*reads.last().expect("reads"))
        );
        time("jump to task id", || {
            set.position_of(&store, n as i64 / 2)
                .expect("jump")
                .unwrap_or(0)
        });
        time("next match r0500000 from the top", || {
            set.next_match(&store, "r0500000", None, true)
                .expect("next")
                .unwrap_or(0)
        });
        // A new search each run (the set keeps one search's matches), then the same one.
        let mut prefixes = ["battery", "batter", "batte", "batt", "bat"]
            .into_iter()
            .cycle();
        time("next match, new search battery.. from the middle", || {
            let words = prefixes.next().expect("prefix");
            set.next_match(&store, words, Some(set.count() / 2), true)
                .expect("next")
                .unwrap_or(0)
        });
        time("next match battery from the middle", || {
            set.next_match(&store, "battery", Some(set.count() / 2), true)
                .expect("next")
                .unwrap_or(0)
        });
        set.close(&store).expect("close");
    }
}
