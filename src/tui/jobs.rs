//! Slow store reads (task-list pages, the list around a task, counts, the open task read
//! again) as jobs. In the terminal they run on a thread with a store connection of its
//! own and reply with a [`Msg`]; a job of an older list query than one already asked for
//! is not run, and its reply would be dropped by the update anyway (the newest query
//! wins). Tests and the benchmark run them inline, so every reply is there before the
//! next key.
//!
//! The same thread watches the project file for other processes' commits (`PRAGMA
//! data_version`, at least every [`POLL_EVERY`]) and renews this annotator's claim, so
//! that neither ever waits behind a key.

use super::msg::{Failure, Msg};
use super::{PAGE, strings};
use crate::annotate::claim::Annotator;
use crate::store::Store;
use crate::store::browse::{ListFilter, ListSort, PageKey};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the worker looks for other processes' commits: others' work shows within a
/// second.
pub const POLL_EVERY: Duration = Duration::from_millis(250);

/// Rows read before a task the list opens at.
pub const JUMP_BACK: usize = 20;

#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    ListPage {
        generation: u64,
        user_id: i64,
        filter: ListFilter,
        sort: ListSort,
        key: Option<PageKey>,
        forward: bool,
        reset: bool,
        count: bool,
    },
    ListJump {
        generation: u64,
        user_id: i64,
        filter: ListFilter,
        sort: ListSort,
        id: i64,
        count: bool,
    },
    /// The counts of the status line.
    Counts { user_id: i64 },
    /// The open task read again (others' annotations, mine from another window).
    Task { id: i64 },
    /// The annotations the review screen walks, in this order (a read of every
    /// annotation, so never on the thread that takes keys).
    ReviewQueue {
        generation: u64,
        order: crate::store::ReviewOrder,
    },
    /// A request of the data table.
    Table(super::screens::table::TableRequest),
    /// The agreement figures of tasks whose annotations changed, computed again (the
    /// table and the review sort by them); a write, so on the worker's connection.
    RefreshAgreement,
}

impl Job {
    /// The list query a list job belongs to; `None` for the others.
    pub fn generation(&self) -> Option<u64> {
        match self {
            Job::ListPage { generation, .. } | Job::ListJump { generation, .. } => {
                Some(*generation)
            }
            Job::Counts { .. }
            | Job::Task { .. }
            | Job::ReviewQueue { .. }
            | Job::Table(_)
            | Job::RefreshAgreement => None,
        }
    }
}

/// This annotator's claim, renewed while it runs. Shared between the session and the
/// worker: the session says which task is held (without waiting for a renewal under
/// way) and, when it leaves, ends the renewals under the same lock a renewal takes, so
/// that no renewal brings a left session back.
#[derive(Debug)]
pub struct Lease {
    pub annotator: Annotator,
    /// The task on screen (claimed again should the registration have lapsed); 0: none.
    task: AtomicI64,
    state: Mutex<LeaseState>,
}

#[derive(Debug)]
struct LeaseState {
    every: Duration,
    last: Instant,
    ended: bool,
}

pub type SharedLease = Arc<Lease>;

impl Lease {
    pub fn shared(annotator: Annotator, every: Duration) -> SharedLease {
        Arc::new(Lease {
            annotator,
            task: AtomicI64::new(0),
            state: Mutex::new(LeaseState {
                every,
                last: Instant::now(),
                ended: false,
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LeaseState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn task(&self) -> Option<i64> {
        Some(self.task.load(Ordering::SeqCst)).filter(|t| *t != 0)
    }

    pub fn set_task(&self, task: Option<i64>) {
        self.task.store(task.unwrap_or(0), Ordering::SeqCst);
    }

    /// How often renewals come (tests make it short).
    pub fn set_every(&self, every: Duration) {
        self.state().every = every;
    }

    /// Renews the claim when a renewal is due (or `force`); a failed one is tried again
    /// at the next wake-up. Returns whether it renewed.
    pub fn renew_due(&self, store: &Store, force: bool) -> bool {
        let mut st = self.state();
        if st.ended || (!force && st.last.elapsed() < st.every) {
            return false;
        }
        match self.annotator.renew(store, self.task()) {
            Ok(_) => {
                st.last = Instant::now();
                true
            }
            Err(_) => false,
        }
    }

    /// Leaves: the claim goes back to the pool, and no renewal comes after.
    pub fn leave(&self, store: &Store) -> crate::store::Result<()> {
        let mut st = self.state();
        if st.ended {
            return Ok(());
        }
        self.annotator.leave(store)?;
        st.ended = true;
        Ok(())
    }
}

/// Watches one connection for commits made through others.
#[derive(Debug, Default)]
pub struct Watch {
    version: Option<i64>,
}

impl Watch {
    /// Whether another connection committed since the last look (the first look only
    /// notes where things are).
    pub fn changed(&mut self, store: &Store) -> bool {
        match store.data_version() {
            Ok(v) => {
                let changed = self.version.is_some_and(|old| old != v);
                self.version = Some(v);
                changed
            }
            Err(_) => false,
        }
    }
}

/// Runs one job against a store; every outcome, errors included, is a message.
pub fn run(store: &mut Store, job: Job) -> Msg {
    let count_of = |filter: ListFilter, want: bool| {
        want.then(|| store.list_count(filter).map_err(|e| e.to_string()))
    };
    match job {
        Job::ListPage {
            generation,
            user_id,
            filter,
            sort,
            key,
            forward,
            reset,
            count,
        } => match store.list_page(user_id, filter, sort, key, forward, PAGE) {
            Ok(rows) => Msg::ListPage {
                generation,
                rows,
                forward,
                reset,
                count: count_of(filter, reset && count),
            },
            Err(e) => Msg::ListFailed {
                generation,
                forward,
                error: e.to_string(),
            },
        },
        Job::ListJump {
            generation,
            user_id,
            filter,
            sort,
            id,
            count,
        } => {
            let key = match store.list_key(id) {
                Ok(Some(k)) => k,
                Ok(None) => return Msg::NoSuchTask(id),
                Err(e) => return Failure::error(strings::cannot_read_task(id, &e.to_string())),
            };
            let rows = store
                .list_page(user_id, filter, sort, Some(key), false, JUMP_BACK)
                .and_then(|back| {
                    let from = back.last().map(|r| r.key());
                    let fwd = store.list_page(user_id, filter, sort, from, true, PAGE)?;
                    Ok((back, fwd))
                });
            match rows {
                Ok((back, fwd)) => Msg::ListJumped {
                    generation,
                    id,
                    back,
                    fwd,
                    count: count_of(filter, count),
                },
                Err(e) => Msg::ListFailed {
                    generation,
                    forward: true,
                    error: e.to_string(),
                },
            }
        }
        Job::Counts { user_id } => match store.progress(user_id) {
            Ok(p) => Msg::Counts(p),
            Err(e) => Failure::warn(strings::cannot_count(&e.to_string())),
        },
        Job::Task { id } => match store.task_full(id) {
            Ok(full) => Msg::TaskRefreshed {
                id,
                full: full.map(Box::new),
                adopt: false,
            },
            Err(e) => Failure::warn(strings::cannot_read_task(id, &e.to_string())),
        },
        Job::ReviewQueue { generation, order } => {
            Msg::Review(super::screens::review::ReviewMsg::Queue {
                generation,
                items: store.review_queue(order).map_err(|e| e.to_string()),
            })
        }
        Job::Table(r) => Msg::Table(Box::new(super::screens::table::fetch::run(store, r))),
        Job::RefreshAgreement => Msg::AgreementRefreshed(refresh_agreement(store)),
    }
}

/// Where jobs run.
pub enum Jobs {
    /// On the calling thread, against the session's store: the reply comes back at once.
    Inline,
    /// On a worker thread with its own connection; replies go to the sink.
    Threaded(Sender<Job>),
}

impl Jobs {
    /// Starts the worker: it opens the store at `path` and sends every reply to `sink`.
    pub fn threaded(path: &Path, sink: impl Fn(Msg) + Send + 'static) -> Jobs {
        Jobs::watching(path, sink, None)
    }

    /// Starts the worker, which also tells of other processes' commits
    /// ([`Msg::StoreChanged`]) and renews `lease` when it is due.
    pub fn watching(
        path: &Path,
        sink: impl Fn(Msg) + Send + 'static,
        lease: Option<SharedLease>,
    ) -> Jobs {
        let (tx, rx) = channel::<Job>();
        let path = path.to_path_buf();
        std::thread::spawn(move || {
            let mut store = match Store::open(&path) {
                Ok(s) => s,
                Err(e) => {
                    // Every job then fails with the reason, rather than hanging.
                    let text = format!("cannot open the task list: {e}");
                    while rx.recv().is_ok() {
                        sink(Failure::error(text.clone()));
                    }
                    return;
                }
            };
            let mut watch = Watch::default();
            watch.changed(&store);
            loop {
                match next_batch(&rx, POLL_EVERY) {
                    Ok(batch) => {
                        for job in batch {
                            sink(run(&mut store, job));
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
                if watch.changed(&store) {
                    sink(Msg::StoreChanged);
                }
                if let Some(l) = &lease {
                    l.renew_due(&store, false);
                }
            }
        });
        Jobs::Threaded(tx)
    }

    pub fn is_inline(&self) -> bool {
        matches!(self, Jobs::Inline)
    }

    /// Asks for a job; inline, its reply is returned at once.
    pub fn submit(&self, store: &mut Store, job: Job) -> Option<Msg> {
        match self {
            Jobs::Inline => Some(run(store, job)),
            Jobs::Threaded(tx) => match tx.send(job) {
                Ok(()) => None,
                Err(_) => Some(Failure::error("the task list worker stopped")),
            },
        }
    }
}

/// The jobs waiting (at most `wait` for the first), without those of a list query older
/// than the newest one asked for.
fn next_batch(rx: &Receiver<Job>, wait: Duration) -> Result<Vec<Job>, RecvTimeoutError> {
    let mut jobs = vec![rx.recv_timeout(wait)?];
    jobs.extend(rx.try_iter());
    Ok(newest_only(jobs))
}

/// Drops list jobs of older queries and repeats of the same other job (one count after
/// a burst of changes is enough).
fn newest_only(jobs: Vec<Job>) -> Vec<Job> {
    let newest = jobs.iter().filter_map(Job::generation).max().unwrap_or(0);
    let mut out: Vec<Job> = Vec::with_capacity(jobs.len());
    // A table read a newer one of the batch replaces (scrolling fast) is not run.
    let superseded = |i: usize, j: &Job| match j {
        Job::Table(r) => jobs[i + 1..]
            .iter()
            .any(|later| matches!(later, Job::Table(n) if r.superseded_by(n))),
        _ => false,
    };
    let keep: Vec<bool> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| !superseded(i, j))
        .collect();
    for (j, keep) in jobs.into_iter().zip(keep) {
        if !keep {
            continue;
        }
        match j.generation() {
            Some(g) if g != newest => {}
            None if out.contains(&j) => {}
            _ => out.push(j),
        }
    }
    out
}

/// Computes the stale agreement figures under the project's stored label config; how many
/// tasks were computed, or why not.
fn refresh_agreement(store: &mut Store) -> Result<usize, String> {
    let project = store.project().map_err(|e| e.to_string())?;
    let config =
        crate::config::LabelConfig::parse(&project.label_config).map_err(|e| e.to_string())?;
    crate::review::refresh_agreement(store, &config).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(generation: u64, forward: bool) -> Job {
        Job::ListPage {
            generation,
            user_id: 1,
            filter: ListFilter::default(),
            sort: ListSort::default(),
            key: None,
            forward,
            reset: false,
            count: false,
        }
    }

    #[test]
    fn only_the_newest_query_runs() {
        let jobs = vec![page(1, true), page(3, true), page(2, false), page(3, false)];
        assert_eq!(newest_only(jobs), vec![page(3, true), page(3, false)]);
    }

    #[test]
    fn counts_and_task_reads_run_once_per_batch_whatever_the_query() {
        let counts = Job::Counts { user_id: 1 };
        let task = Job::Task { id: 4 };
        let jobs = vec![
            counts.clone(),
            page(1, true),
            task.clone(),
            counts.clone(),
            page(2, true),
            task.clone(),
        ];
        assert_eq!(newest_only(jobs), vec![counts, task, page(2, true)]);
    }
}
