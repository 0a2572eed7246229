//! The export pipeline: one thread reads tasks (SQLite rows, or elements of a JSON file),
//! worker threads turn them into items or finished output bytes, and the caller's thread
//! receives the results in the order they were read. Channels are bounded, so memory holds
//! a few batches whatever the number of tasks.

use crate::error::{Error, Result};
use crate::util::ordered::Push;

/// Tasks per batch handed to a worker.
const BATCH: usize = 32;

/// How many workers turn tasks into results: one per core, at least two so that reading
/// and the work on the results overlap.
fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8)
}

/// Runs `produce` on a thread of its own, `map` on worker threads, and `consume` on this
/// thread in the order `produce` pushed (see [`crate::util::ordered::ordered_map`]).
pub fn ordered_map<I: Send, T: Send>(
    produce: &mut (dyn FnMut(&mut Push<I>) -> Result<()> + Send),
    map: &(dyn Fn(I) -> Result<T> + Sync),
    consume: &mut dyn FnMut(T) -> Result<()>,
) -> Result<()> {
    let shape = crate::util::ordered::Shape {
        workers: workers(),
        batch: BATCH,
        names: ("export-reader", "export-worker"),
    };
    crate::util::ordered::ordered_map(shape, produce, map, consume)
}

/// The error a producer returns when its push function said the pipeline stopped.
pub fn stopped() -> Error {
    Error::Other("export stopped".into())
}
