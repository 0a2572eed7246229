//! Whole files as one task: HTML/HTM/XML files (their text), and media files (their path).

use super::{ItemSink, RawItem, RawMap, TaskReader, raw_string};
use crate::error::{Location, Problem};
use std::path::Path;

/// One task whose data is the whole file's text (`.html`, `.htm`, `.xml`, and files of a
/// `text-dir`). Label Studio no longer minifies HTML, so offsets stay as in the file.
pub struct WholeTextReader;

/// One task whose data is the file's absolute local path (images, audio, video, PDF).
pub struct FilePathReader;

fn one(sink: &mut dyn ItemSink, name: &str, value: String) {
    let mut data = RawMap::default();
    data.insert("$undefined$".into(), raw_string(&value));
    sink.item(RawItem::data(data, Location::file(name)));
}

pub fn read_text(path: &Path, name: &str) -> Result<String, Problem> {
    let bytes = std::fs::read(path)
        .map_err(|e| Problem::new(Location::file(name), format!("cannot read: {e}")))?;
    let bytes = bytes
        .strip_prefix(&[0xEF, 0xBB, 0xBF][..])
        .unwrap_or(&bytes);
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        let upto = e.utf8_error().valid_up_to();
        let before = &bytes[..upto];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = std::str::from_utf8(
            &before[before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)..],
        )
        .map_or(0, |s| s.chars().count())
            + 1;
        Problem::new(
            Location::at(name, line, col),
            "invalid UTF-8 (text files must be UTF-8)",
        )
    })
}

impl TaskReader for WholeTextReader {
    fn read(&self, path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
        let text = read_text(path, name)?;
        one(sink, name, text);
        Ok(())
    }
}

impl TaskReader for FilePathReader {
    fn read(&self, path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
        let abs = std::fs::canonicalize(path)
            .map_err(|e| Problem::new(Location::file(name), format!("cannot resolve path: {e}")))?;
        one(sink, name, abs.display().to_string());
        Ok(())
    }
}
