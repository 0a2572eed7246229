//! Directories: `json-dir` (every JSON/JSONL file), `text-dir` (one task per text file),
//! `image-dir` and `audio-dir` (one task per media file, holding its local path).
//! Files are taken in name order; hidden files are skipped, and links that lead outside
//! the directory are never followed.

use super::{InputFormat, ItemSink, TaskReader};
use crate::error::{Location, Problem};
use std::path::{Path, PathBuf};

pub struct DirReader {
    pub format: InputFormat,
}

/// Regular files under `root`, sorted, recursing into subdirectories. Symlinks are followed
/// only when they resolve inside `root`.
pub fn list_files(root: &Path, name: &str) -> Result<Vec<PathBuf>, Problem> {
    let canon_root = std::fs::canonicalize(root)
        .map_err(|e| Problem::new(Location::file(name), format!("cannot open directory: {e}")))?;
    let mut out = Vec::new();
    let mut stack = vec![canon_root.clone()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            Problem::new(
                Location::file(dir.display().to_string()),
                format!("cannot list: {e}"),
            )
        })?;
        let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        let mut subdirs = Vec::new();
        for p in names {
            if p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
            {
                continue;
            }
            let Ok(real) = std::fs::canonicalize(&p) else {
                continue;
            };
            if !real.starts_with(&canon_root) {
                continue;
            }
            if real.is_dir() {
                if real != dir {
                    subdirs.push(real);
                }
            } else if real.is_file() {
                out.push(p);
            }
        }
        // Reverse so the stack pops subdirectories in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    out.sort();
    Ok(out)
}

/// A file's extension, lower case ("" without one).
pub(super) fn ext(p: &Path) -> String {
    p.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

pub const IMAGE_EXTS: &[&str] = &[
    "bmp", "gif", "jpg", "jpeg", "png", "svg", "webp", "tif", "tiff",
];
pub const AUDIO_EXTS: &[&str] = &["flac", "m4a", "mp3", "ogg", "wav", "aac", "opus", "webm"];
pub const VIDEO_EXTS: &[&str] = &["mp4", "webm", "mov", "mkv", "avi"];

/// What a directory most likely holds, when no `--input-format` says.
pub fn detect(root: &Path, name: &str) -> Result<InputFormat, Problem> {
    if super::hf::is_dataset_dir(root) {
        return Ok(InputFormat::HfDataset);
    }
    let files = list_files(root, name)?;
    if !files.is_empty()
        && files
            .iter()
            .all(|f| super::PARQUET_EXTS.contains(&ext(f).as_str()))
    {
        return Ok(InputFormat::Parquet);
    }
    let kinds: Vec<Option<InputFormat>> = files
        .iter()
        .map(|f| {
            let e = ext(f);
            if e == "json" || e == "jsonl" {
                Some(InputFormat::JsonDir)
            } else if IMAGE_EXTS.contains(&e.as_str()) {
                Some(InputFormat::ImageDir)
            } else if AUDIO_EXTS.contains(&e.as_str()) {
                Some(InputFormat::AudioDir)
            } else if e == "txt" {
                Some(InputFormat::TextDir)
            } else {
                None
            }
        })
        .collect();
    let mut found: Vec<InputFormat> = kinds.iter().flatten().copied().collect();
    found.sort_by_key(|f| f.name());
    found.dedup();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(Problem::new(
            Location::file(name),
            "no JSON, text, image, audio or Parquet files in this directory",
        )),
        many => Err(Problem::new(
            Location::file(name),
            format!(
                "the directory mixes {}: say which with --input-format",
                many.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// How a file under the directory `root` (given as `name`) is shown: `name/relative/path`.
pub fn shown_name(root: &Path, file: &Path, name: &str) -> String {
    let base = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let rel = std::fs::canonicalize(file)
        .ok()
        .and_then(|r| r.strip_prefix(&base).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| file.to_path_buf());
    format!("{}/{}", name.trim_end_matches('/'), rel.display())
}

impl TaskReader for DirReader {
    fn read(&self, path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
        let files = list_files(path, name)?;
        let mut used = 0;
        let mut skipped = 0;
        for f in &files {
            let display = shown_name(path, f, name);
            let e = ext(f);
            let reader: Option<Box<dyn TaskReader>> = match self.format {
                InputFormat::JsonDir if e == "json" => Some(Box::new(super::json::JsonReader)),
                InputFormat::JsonDir if e == "jsonl" => Some(Box::new(super::jsonl::JsonlReader)),
                InputFormat::TextDir => Some(Box::new(super::whole::WholeTextReader)),
                InputFormat::ImageDir if IMAGE_EXTS.contains(&e.as_str()) => {
                    Some(Box::new(super::whole::FilePathReader))
                }
                InputFormat::AudioDir if AUDIO_EXTS.contains(&e.as_str()) => {
                    Some(Box::new(super::whole::FilePathReader))
                }
                _ => None,
            };
            match reader {
                Some(r) => {
                    r.read(f, &display, sink)?;
                    used += 1;
                }
                None => skipped += 1,
            }
        }
        if skipped > 0 {
            sink.warn(Problem::new(
                Location::file(name),
                format!(
                    "{skipped} file(s) that are not {} were skipped",
                    self.format.describe()
                ),
            ));
        }
        if used == 0 {
            return Err(Problem::new(
                Location::file(name),
                format!("no {} in this directory", self.format.describe()),
            ));
        }
        Ok(())
    }
}
