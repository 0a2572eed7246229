//! Arrow record batches (from Parquet, Arrow IPC and Hugging Face datasets) as task data:
//! one task per row, one data key per column, each value the column's JSON form. Typed
//! columns keep their types (an int stays an int), nested and list columns become JSON
//! objects and arrays, dates and times ISO strings, and binary values `data:` URLs (so a
//! Hugging Face `Image` or `Audio` column is something the annotator can show).

use super::{Flow, ItemSink, RawItem, RawMap};
use crate::error::{Location, Problem};
use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch, StructArray};
use arrow_json::writer::{Encoder, EncoderFactory, EncoderOptions, NullableEncoder, make_encoder};
use arrow_schema::{ArrowError, DataType, FieldRef};
use base64::Engine;
use serde_json::value::RawValue;
use std::sync::Arc;

/// Rows read so far across the batches of one input, for locations and numbering.
pub struct RowEmitter {
    options: EncoderOptions,
    rows: usize,
}

impl Default for RowEmitter {
    fn default() -> Self {
        RowEmitter {
            options: EncoderOptions::default()
                .with_explicit_nulls(true)
                .with_encoder_factory(Arc::new(MediaEncoders)),
            rows: 0,
        }
    }
}

impl RowEmitter {
    /// Hands each row of `batch` to `sink` as task data; `file` names the file it came from.
    pub fn batch(
        &mut self,
        batch: &RecordBatch,
        file: &str,
        sink: &mut dyn ItemSink,
    ) -> Result<Flow, Problem> {
        let schema = batch.schema();
        let fields = schema.fields();
        let mut encoders = fields
            .iter()
            .zip(batch.columns())
            .map(|(field, column)| make_encoder(field, column.as_ref(), &self.options))
            .collect::<Result<Vec<_>, ArrowError>>()
            .map_err(|e| {
                Problem::new(
                    Location::file(file),
                    format!("a column cannot be read as JSON: {e}"),
                )
            })?;
        let mut buf = Vec::with_capacity(256);
        for row in 0..batch.num_rows() {
            self.rows += 1;
            let mut data = RawMap::with_capacity_and_hasher(fields.len(), Default::default());
            for (field, encoder) in fields.iter().zip(encoders.iter_mut()) {
                buf.clear();
                if encoder.is_null(row) {
                    buf.extend_from_slice(b"null");
                } else {
                    encoder.encode(row, &mut buf);
                }
                let text = String::from_utf8(std::mem::take(&mut buf))
                    .expect("the JSON encoder writes UTF-8");
                let raw = RawValue::from_string(text).map_err(|e| {
                    Problem::new(
                        self.location(file),
                        format!(
                            "column {:?} gave a value that is not JSON: {e}",
                            field.name()
                        ),
                    )
                })?;
                data.insert(field.name().clone(), raw);
            }
            if let Flow::Stop = sink.item(RawItem::data(data, self.location(file))) {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }

    /// Hands every row of `batches` to `sink`, calling `each` with every batch first (for
    /// progress); `kind` names the format in errors ("Parquet").
    pub fn all<E: std::fmt::Display>(
        &mut self,
        batches: impl IntoIterator<Item = Result<RecordBatch, E>>,
        file: &str,
        kind: &str,
        sink: &mut dyn ItemSink,
        mut each: impl FnMut(&RecordBatch),
    ) -> Result<Flow, Problem> {
        for batch in batches {
            let batch = batch.map_err(|e| unreadable(file, kind, &e))?;
            each(&batch);
            if let Flow::Stop = self.batch(&batch, file, sink)? {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }

    fn location(&self, file: &str) -> Location {
        Location {
            record: Some(self.rows),
            ..Location::file(file)
        }
    }
}

/// The problem of a file its decoder cannot read.
pub fn unreadable(file: &str, kind: &str, e: &dyn std::fmt::Display) -> Problem {
    Problem::new(
        Location::file(file),
        format!("not a readable {kind} file: {e}"),
    )
}

/// Encoders for binary values (as `data:` URLs) and for Hugging Face's media structs
/// (`{bytes, path}`: the bytes as a `data:` URL, or the path when there are no bytes).
#[derive(Debug)]
struct MediaEncoders;

impl EncoderFactory for MediaEncoders {
    fn make_default_encoder<'a>(
        &self,
        _field: &'a FieldRef,
        array: &'a dyn Array,
        _options: &'a EncoderOptions,
    ) -> Result<Option<NullableEncoder<'a>>, ArrowError> {
        let nulls = array.nulls().cloned();
        let encoder: Box<dyn Encoder + 'a> = match array.data_type() {
            DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_) => Box::new(DataUrl(array)),
            DataType::Struct(fields) if is_media_struct(fields) => {
                Box::new(MediaStruct(array.as_struct()))
            }
            _ => return Ok(None),
        };
        Ok(Some(NullableEncoder::new(encoder, nulls)))
    }
}

/// A struct of exactly `bytes` (binary) and `path` (string): how Hugging Face stores
/// `Image` and `Audio` features.
fn is_media_struct(fields: &arrow_schema::Fields) -> bool {
    fields.len() == 2
        && fields.iter().any(|f| {
            f.name() == "bytes"
                && matches!(
                    f.data_type(),
                    DataType::Binary | DataType::LargeBinary | DataType::BinaryView
                )
        })
        && fields.iter().any(|f| {
            f.name() == "path"
                && matches!(
                    f.data_type(),
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                )
        })
}

fn binary_value(array: &dyn Array, row: usize) -> Option<&[u8]> {
    if array.is_null(row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Binary => array.as_binary::<i32>().value(row),
        DataType::LargeBinary => array.as_binary::<i64>().value(row),
        DataType::BinaryView => array.as_binary_view().value(row),
        DataType::FixedSizeBinary(_) => array.as_fixed_size_binary().value(row),
        _ => return None,
    })
}

fn string_value(array: &dyn Array, row: usize) -> Option<&str> {
    if array.is_null(row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row),
        DataType::Utf8View => array.as_string_view().value(row),
        _ => return None,
    })
}

struct DataUrl<'a>(&'a dyn Array);

impl Encoder for DataUrl<'_> {
    fn encode(&mut self, idx: usize, out: &mut Vec<u8>) {
        write_data_url(binary_value(self.0, idx).unwrap_or_default(), out);
    }
}

struct MediaStruct<'a>(&'a StructArray);

impl Encoder for MediaStruct<'_> {
    fn encode(&mut self, idx: usize, out: &mut Vec<u8>) {
        let bytes = self
            .0
            .column_by_name("bytes")
            .and_then(|c| binary_value(c.as_ref(), idx));
        match bytes {
            Some(b) if !b.is_empty() => write_data_url(b, out),
            _ => match self
                .0
                .column_by_name("path")
                .and_then(|c| string_value(c.as_ref(), idx))
            {
                Some(path) => {
                    serde_json::to_writer(&mut *out, path).expect("writing to memory");
                }
                None => out.extend_from_slice(b"null"),
            },
        }
    }
}

/// `"data:<type>;base64,<bytes>"`, the type read from the bytes' signature.
fn write_data_url(bytes: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(b"\"data:");
    out.extend_from_slice(media_type(bytes).as_bytes());
    out.extend_from_slice(b";base64,");
    let start = out.len();
    out.resize(
        start + base64::encoded_len(bytes.len(), true).unwrap_or(0),
        0,
    );
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(bytes, &mut out[start..])
        .expect("the buffer is sized for the encoding");
    out.truncate(start + written);
    out.push(b'"');
}

/// The media type a file's first bytes announce (`application/octet-stream` when unknown).
pub fn media_type(b: &[u8]) -> &'static str {
    let starts = |sig: &[u8]| b.starts_with(sig);
    if starts(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if starts(b"\xff\xd8\xff") {
        "image/jpeg"
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        "image/gif"
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        "image/webp"
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WAVE" {
        "audio/wav"
    } else if starts(b"BM") && b.len() > 14 {
        "image/bmp"
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        "image/tiff"
    } else if starts(b"fLaC") {
        "audio/flac"
    } else if starts(b"OggS") {
        "audio/ogg"
    } else if starts(b"ID3") || (b.len() > 1 && b[0] == 0xff && b[1] & 0xe0 == 0xe0) {
        "audio/mpeg"
    } else if b.len() >= 12 && &b[4..8] == b"ftyp" {
        "video/mp4"
    } else if starts(b"%PDF") {
        "application/pdf"
    } else {
        "application/octet-stream"
    }
}

thread_local! {
    /// Set while [`guarded`] runs a decoder on this thread: its panics are reported as
    /// problems, so the panic hook stays quiet.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs a third-party decoder (Parquet, Arrow, spreadsheets) over an untrusted file. A
/// panic inside it, on a damaged file it did not expect, becomes a problem naming the file
/// instead of ending the program.
pub fn guarded(name: &str, read: impl FnOnce() -> Result<(), Problem>) -> Result<(), Problem> {
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    let was = GUARDED.with(|g| g.replace(true));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    GUARDED.with(|g| g.set(was));
    outcome.unwrap_or_else(|payload| {
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no reason given".into());
        Err(Problem::new(
            Location::file(name),
            format!(
                "the file is damaged: its decoder failed ({})",
                crate::term_safe::term_safe(&why)
            ),
        ))
    })
}
