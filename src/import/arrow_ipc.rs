//! Arrow IPC: the file format (Feather v2, `.arrow`) and the stream format (what Hugging
//! Face's `save_to_disk` writes), told apart by the file's first bytes. Compressed
//! buffers (LZ4 frame, zstd) are read.

use super::arrow_rows::{RowEmitter, unreadable};
use super::{Flow, ItemSink, TaskReader};
use crate::error::{Location, Problem};
use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use std::io::{BufReader, Read};
use std::path::Path;

pub struct ArrowReader;

impl TaskReader for ArrowReader {
    fn read(&self, path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
        super::arrow_rows::guarded(name, || {
            read_file(path, name, &mut RowEmitter::default(), sink).map(|_| ())
        })
    }
}

/// Reads one IPC file or stream, continuing the row numbering of `rows`.
pub(super) fn read_file(
    path: &Path,
    name: &str,
    rows: &mut RowEmitter,
    sink: &mut dyn ItemSink,
) -> Result<Flow, Problem> {
    let bad = |e: &dyn std::fmt::Display| unreadable(name, "Arrow", e);
    let open = || {
        super::CountedFile::open(path)
            .map_err(|e| Problem::new(Location::file(name), format!("cannot open: {e}")))
    };
    let mut head = [0u8; 6];
    let n = open()?.read(&mut head).unwrap_or(0);
    let batches: Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>>> =
        if n == 6 && &head == b"ARROW1" {
            let file = std::fs::File::open(path).map_err(|e| bad(&e))?;
            super::BYTES_READ.fetch_add(
                file.metadata().map_or(0, |m| m.len()),
                std::sync::atomic::Ordering::Relaxed,
            );
            Box::new(
                arrow_ipc::reader::FileReader::try_new(BufReader::new(file), None)
                    .map_err(|e| bad(&e))?,
            )
        } else if n >= 4 && head[..4] == *b"FEA1" {
            return Err(bad(&"Feather version 1 files are not supported; \
                 rewrite it with pyarrow.feather.write_feather (version 2)"));
        } else {
            Box::new(
                arrow_ipc::reader::StreamReader::try_new(
                    BufReader::with_capacity(1 << 16, open()?),
                    None,
                )
                .map_err(|e| bad(&e))?,
            )
        };
    rows.all(batches, name, "Arrow", sink, |_| {})
}
