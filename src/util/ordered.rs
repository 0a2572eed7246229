//! An ordered parallel map: one thread produces items, worker threads map them, and the
//! caller's thread consumes the results in the order they were produced. Channels are
//! bounded, so memory holds a few batches whatever the number of items. The export uses
//! it to turn tasks into output, the import to check the items a reader gives.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// What a producer calls with each item it read; `false` means stop reading.
pub type Push<'a, I> = dyn FnMut(I) -> bool + 'a;

/// How an [`ordered_map`] runs.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Threads that map items (at least one).
    pub workers: usize,
    /// Items handed to a worker at once.
    pub batch: usize,
    /// Thread names (shown by `top -H`): the producer's and the workers'.
    pub names: (&'static str, &'static str),
}

/// Runs `produce` on a thread of its own, `map` on `shape.workers` threads, and `consume`
/// on this thread in the order `produce` pushed. `produce` gets a push function that
/// returns `false` once the pipeline has stopped (`consume` or `map` failed); it should
/// return then. The first error in producing order is returned.
pub fn ordered_map<I: Send, T: Send, E: Send>(
    shape: Shape,
    produce: &mut (dyn FnMut(&mut Push<I>) -> Result<(), E> + Send),
    map: &(dyn Fn(I) -> Result<T, E> + Sync),
    consume: &mut dyn FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    let (workers, batch_size) = (shape.workers.max(1), shape.batch.max(1));
    let (in_tx, in_rx) = sync_channel::<(u64, Vec<I>)>(workers * 2);
    let in_rx = Mutex::new(in_rx);
    let (out_tx, out_rx) = sync_channel::<(u64, Done<T, E>)>(workers * 2);
    let stopped = AtomicBool::new(false);
    std::thread::scope(|scope| {
        {
            let out_tx = out_tx.clone();
            let stopped = &stopped;
            std::thread::Builder::new()
                .name(shape.names.0.into())
                .spawn_scoped(scope, move || {
                    let mut seq = 0u64;
                    let mut batch = Vec::with_capacity(batch_size);
                    let read = produce(&mut |item| {
                        if stopped.load(Ordering::Relaxed) {
                            return false;
                        }
                        batch.push(item);
                        if batch.len() == batch_size {
                            let full =
                                std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
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
                })
                .expect("starting a thread");
        }
        for _ in 0..workers {
            let out_tx = out_tx.clone();
            let (in_rx, stopped) = (&in_rx, &stopped);
            std::thread::Builder::new()
                .name(shape.names.1.into())
                .spawn_scoped(scope, move || {
                    // A worker that panics loses its batch: the results after it would pile
                    // up unconsumed, so the producer stops (the scope then re-raises the
                    // panic).
                    let _guard = StopOnPanic(stopped);
                    work(in_rx, map, &out_tx)
                })
                .expect("starting a thread");
        }
        drop(out_tx);
        let consumed = (|| {
            let mut next = 0u64;
            let mut pending: BTreeMap<u64, Done<T, E>> = BTreeMap::new();
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
            // Let the producer see the stop and the workers finish: nothing more is wanted.
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

/// Sets the stop flag when the thread holding it unwinds.
struct StopOnPanic<'a>(&'a AtomicBool);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

/// A batch's results, and the error that ended it early.
type Done<T, E> = (Vec<T>, Option<E>);

fn work<I, T, E>(
    in_rx: &Mutex<Receiver<(u64, Vec<I>)>>,
    map: &(dyn Fn(I) -> Result<T, E> + Sync),
    out_tx: &SyncSender<(u64, Done<T, E>)>,
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

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: Shape = Shape {
        workers: 3,
        batch: 32,
        names: ("test-producer", "test-worker"),
    };

    fn run(
        n: u64,
        fail_at: Option<u64>,
        read_fails_at: Option<u64>,
    ) -> (Vec<u64>, Result<(), String>) {
        let mut got = Vec::new();
        let r = ordered_map(
            SHAPE,
            &mut |push| {
                for i in 0..n {
                    if read_fails_at == Some(i) {
                        return Err(format!("read {i}"));
                    }
                    if !push(i) {
                        return Err("stopped".to_string());
                    }
                }
                Ok(())
            },
            &|i: u64| {
                if fail_at == Some(i) {
                    Err(format!("map {i}"))
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
        assert_eq!(r.unwrap_err(), "map 5000");
        assert!(
            got.iter().copied().eq((0..5_000).map(|i| i * 2)),
            "{}",
            got.len()
        );

        let (got, r) = run(10_000, None, Some(4_321));
        assert_eq!(r.unwrap_err(), "read 4321");
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
            SHAPE,
            &mut |push| {
                for i in 0..u64::MAX {
                    if !push(i) {
                        return Err("stopped".to_string());
                    }
                }
                Ok(())
            },
            &|i: u64| Ok(i),
            &mut |i| {
                seen += 1;
                if i == 1_000 {
                    Err("full disk".to_string())
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r.unwrap_err(), "full disk");
        assert_eq!(seen, 1_001);
    }

    #[test]
    fn a_panicking_worker_stops_the_producer_and_the_panic_reaches_the_caller() {
        let made = std::sync::atomic::AtomicU64::new(0);
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _: Result<(), ()> = ordered_map(
                SHAPE,
                &mut |push| {
                    for i in 0..u64::MAX {
                        made.fetch_add(1, Ordering::Relaxed);
                        if !push(i) {
                            break;
                        }
                    }
                    Ok(())
                },
                &|i: u64| {
                    assert!(i != 100, "a bug in the map");
                    Ok(i)
                },
                &mut |_| Ok(()),
            );
        }));
        assert!(run.is_err());
        // Stopped: without the stop the producer would run to the end of the numbers
        // while the results after the lost batch piled up.
        assert!(made.load(Ordering::Relaxed) < u64::MAX / 2);
    }

    #[test]
    fn threads_carry_their_names() {
        let mut names = Vec::new();
        let r: Result<(), ()> = ordered_map(
            Shape {
                workers: 1,
                ..SHAPE
            },
            &mut |push| {
                push(std::thread::current().name().map(str::to_string));
                Ok(())
            },
            &|producer| Ok((producer, std::thread::current().name().map(str::to_string))),
            &mut |t| {
                names.push(t);
                Ok(())
            },
        );
        r.unwrap();
        assert_eq!(
            names,
            [(
                Some("test-producer".to_string()),
                Some("test-worker".to_string())
            )]
        );
    }
}
