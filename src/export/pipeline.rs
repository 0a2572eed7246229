//! The export pipeline: one thread reads tasks (SQLite rows, or elements of a JSON file),
//! worker threads turn them into items or finished output bytes, and the caller's thread
//! receives the results in the order they were read. Channels are bounded, so memory holds
//! a few batches whatever the number of tasks.

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};

/// Tasks per batch handed to a worker.
const BATCH: usize = 32;

/// How many workers turn tasks into results: one per core, at least two so that reading
/// and the work on the results overlap.
fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8)
}

/// What a producer calls with each task it read; `false` means stop reading.
pub type Push<'a, I> = dyn FnMut(I) -> bool + 'a;

/// Runs `produce` on a thread of its own, `map` on worker threads, and `consume` on this
/// thread in the order `produce` pushed. `produce` gets a push function that returns
/// `false` once the pipeline has stopped (`consume` or `map` failed); it should return
/// then. The first error in reading order is returned.
pub fn ordered_map<I: Send, T: Send>(
    produce: &mut (dyn FnMut(&mut Push<I>) -> Result<()> + Send),
    map: &(dyn Fn(I) -> Result<T> + Sync),
    consume: &mut dyn FnMut(T) -> Result<()>,
) -> Result<()> {
    let workers = workers();
    let (in_tx, in_rx) = sync_channel::<(u64, Vec<I>)>(workers * 2);
    let in_rx = Mutex::new(in_rx);
    let (out_tx, out_rx) = sync_channel::<(u64, Done<T>)>(workers * 2);
    let stopped = AtomicBool::new(false);
    std::thread::scope(|scope| {
        {
            let out_tx = out_tx.clone();
            let stopped = &stopped;
            scope.spawn(move || {
                let mut seq = 0u64;
                let mut batch = Vec::with_capacity(BATCH);
                let read = produce(&mut |item| {
                    if stopped.load(Ordering::Relaxed) {
                        return false;
                    }
                    batch.push(item);
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        if in_tx.send((seq, full)).is_err() {
                            return false;
                        }
                        seq += 1;
                    }
                    true
                });
                match read {
                    Ok(()) => {
                        if !batch.is_empty() {
                            let _ = in_tx.send((seq, batch));
                        }
                    }
                    // Ordered after every batch read before it.
                    Err(e) => {
                        if !batch.is_empty() && in_tx.send((seq, batch)).is_ok() {
                            seq += 1;
                        }
                        let _ = out_tx.send((seq, (Vec::new(), Some(e))));
                    }
                }
            });
        }
        for _ in 0..workers {
            let out_tx = out_tx.clone();
            let in_rx = &in_rx;
            scope.spawn(move || work(in_rx, map, &out_tx));
        }
        drop(out_tx);
        let consumed = (|| {
            let mut next = 0u64;
            let mut pending: BTreeMap<u64, Done<T>> = BTreeMap::new();
            for (seq, done) in out_rx.iter() {
                pending.insert(seq, done);
                while let Some((results, error)) = pending.remove(&next) {
                    next += 1;
                    for t in results {
                        consume(t)?;
                    }
                    if let Some(e) = error {
                        return Err(e);
                    }
                }
            }
            // A producer error can be numbered past a batch that never came.
            match pending.into_iter().next() {
                Some((_, (_, Some(e)))) => Err(e),
                _ => Ok(()),
            }
        })();
        if consumed.is_err() {
            // Let the reader see the stop and the workers finish: nothing more is wanted.
            stopped.store(true, Ordering::Relaxed);
            drop(out_rx);
            while let Ok(guard) = in_rx.lock() {
                if guard.recv().is_err() {
                    break;
                }
            }
        }
        consumed
    })
}

/// A batch's results, and the error that ended it early.
type Done<T> = (Vec<T>, Option<Error>);

fn work<I, T>(
    in_rx: &Mutex<Receiver<(u64, Vec<I>)>>,
    map: &(dyn Fn(I) -> Result<T> + Sync),
    out_tx: &std::sync::mpsc::SyncSender<(u64, Done<T>)>,
) {
    loop {
        let job = match in_rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((seq, batch)) = job else { return };
        let mut results = Vec::with_capacity(batch.len());
        let mut error = None;
        for i in batch {
            match map(i) {
                Ok(t) => results.push(t),
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        if out_tx.send((seq, (results, error))).is_err() {
            return;
        }
    }
}

/// The error a producer returns when its push function said the pipeline stopped.
pub fn stopped() -> Error {
    Error::Other("export stopped".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(n: u64, fail_at: Option<u64>, read_fails_at: Option<u64>) -> (Vec<u64>, Result<()>) {
        let mut got = Vec::new();
        let r = ordered_map(
            &mut |push| {
                for i in 0..n {
                    if read_fails_at == Some(i) {
                        return Err(Error::Other(format!("read {i}")));
                    }
                    if !push(i) {
                        return Err(stopped());
                    }
                }
                Ok(())
            },
            &|i: u64| {
                if fail_at == Some(i) {
                    Err(Error::Other(format!("map {i}")))
                } else {
                    Ok(i * 2)
                }
            },
            &mut |t| {
                got.push(t);
                Ok(())
            },
        );
        (got, r)
    }

    #[test]
    fn results_keep_the_reading_order() {
        let (got, r) = run(10_000, None, None);
        r.unwrap();
        assert!(
            got.iter().copied().eq((0..10_000).map(|i| i * 2)),
            "{}",
            got.len()
        );
    }

    #[test]
    fn the_first_error_in_order_wins_and_nothing_after_it_is_consumed() {
        let (got, r) = run(10_000, Some(5_000), None);
        assert_eq!(r.unwrap_err().to_string(), "map 5000");
        assert!(
            got.iter().copied().eq((0..5_000).map(|i| i * 2)),
            "{}",
            got.len()
        );

        let (got, r) = run(10_000, None, Some(4_321));
        assert_eq!(r.unwrap_err().to_string(), "read 4321");
        assert!(
            got.iter().copied().eq((0..4_321).map(|i| i * 2)),
            "{}",
            got.len()
        );

        let (got, r) = run(64, None, Some(64 - 1));
        assert!(r.is_err());
        assert_eq!(got.len(), 63);
    }

    #[test]
    fn a_failing_consumer_stops_reading() {
        let mut seen = 0;
        let r = ordered_map(
            &mut |push| {
                for i in 0..u64::MAX {
                    if !push(i) {
                        return Err(stopped());
                    }
                }
                Ok(())
            },
            &|i: u64| Ok(i),
            &mut |i| {
                seen += 1;
                if i == 1_000 {
                    Err(Error::Other("full disk".into()))
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r.unwrap_err().to_string(), "full disk");
        assert_eq!(seen, 1_001);
    }
}
