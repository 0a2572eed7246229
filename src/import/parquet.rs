//! Parquet: a file, or a directory of `.parquet` files read in name order (how Spark,
//! DuckDB and the Hugging Face Hub write a table). Rows stream a batch at a time, so
//! memory stays bounded by the row group being read.

use super::arrow_rows::{RowEmitter, unreadable};
use super::{Flow, ItemSink, TaskReader};
use crate::error::{Location, Problem};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;

/// Rows per batch handed from the Parquet decoder to the task rules.
const BATCH_ROWS: usize = 1024;

pub struct ParquetReader;

impl TaskReader for ParquetReader {
    fn read(&self, path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
        super::arrow_rows::guarded(name, || read_path(path, name, sink))
    }
}

fn read_path(path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
    let mut rows = RowEmitter::default();
    if !path.is_dir() {
        read_file(path, name, &mut rows, sink)?;
        return Ok(());
    }
    let files: Vec<_> = super::dir::list_files(path, name)?
        .into_iter()
        .filter(|f| super::PARQUET_EXTS.contains(&super::dir::ext(f).as_str()))
        .collect();
    if files.is_empty() {
        return Err(Problem::new(
            Location::file(name),
            "no .parquet files in this directory",
        ));
    }
    for f in &files {
        let shown = super::dir::shown_name(path, f, name);
        if let Flow::Stop = read_file(f, &shown, &mut rows, sink)? {
            break;
        }
    }
    Ok(())
}

fn read_file(
    path: &Path,
    name: &str,
    rows: &mut RowEmitter,
    sink: &mut dyn ItemSink,
) -> Result<Flow, Problem> {
    let bad = |e: &dyn std::fmt::Display| unreadable(name, "Parquet", e);
    let file = std::fs::File::open(path)
        .map_err(|e| Problem::new(Location::file(name), format!("cannot open: {e}")))?;
    let size = file.metadata().map_or(0, |m| m.len());
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| bad(&e))?;
    let total_rows = builder.metadata().file_metadata().num_rows().max(1) as u64;
    let reader = builder
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| bad(&e))?;
    // Progress counts bytes; a batch's share of the file stands for the bytes it took.
    rows.all(reader, name, "Parquet", sink, |batch| {
        super::BYTES_READ.fetch_add(
            size.saturating_mul(batch.num_rows() as u64) / total_rows,
            std::sync::atomic::Ordering::Relaxed,
        );
    })
}
