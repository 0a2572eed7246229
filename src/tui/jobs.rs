//! Slow store reads (task-list pages, the list around a task, counts) as jobs. In the
//! terminal they run on a thread with a store connection of its own and reply with a
//! [`Msg`]; a job of an older list query than one already asked for is not run, and its
//! reply would be dropped by the update anyway (the newest query wins). Tests and the
//! benchmark run them inline, so every reply is there before the next key.

use super::msg::{Failure, Msg};
use super::{PAGE, strings};
use crate::store::Store;
use crate::store::browse::{ListFilter, ListSort, PageKey};
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, channel};

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
}

impl Job {
    pub fn generation(&self) -> u64 {
        match self {
            Job::ListPage { generation, .. } | Job::ListJump { generation, .. } => *generation,
        }
    }
}

/// Runs one job against a store; every outcome, errors included, is a message.
pub fn run(store: &Store, job: Job) -> Msg {
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
        let (tx, rx) = channel::<Job>();
        let path = path.to_path_buf();
        std::thread::spawn(move || {
            let store = match Store::open(&path) {
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
            while let Some(batch) = next_batch(&rx) {
                for job in batch {
                    sink(run(&store, job));
                }
            }
        });
        Jobs::Threaded(tx)
    }

    /// Asks for a job; inline, its reply is returned at once.
    pub fn submit(&self, store: &Store, job: Job) -> Option<Msg> {
        match self {
            Jobs::Inline => Some(run(store, job)),
            Jobs::Threaded(tx) => match tx.send(job) {
                Ok(()) => None,
                Err(_) => Some(Failure::error("the task list worker stopped")),
            },
        }
    }
}

/// The jobs waiting, without those of a list query older than the newest one asked for.
fn next_batch(rx: &Receiver<Job>) -> Option<Vec<Job>> {
    let mut jobs = vec![rx.recv().ok()?];
    jobs.extend(rx.try_iter());
    Some(newest_only(jobs))
}

fn newest_only(jobs: Vec<Job>) -> Vec<Job> {
    let newest = jobs.iter().map(Job::generation).max().unwrap_or(0);
    jobs.into_iter()
        .filter(|j| j.generation() == newest)
        .collect()
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
}
