//! A Hugging Face dataset saved to disk (`Dataset.save_to_disk` / `DatasetDict.save_to_disk`):
//! Arrow stream files listed by `state.json`, beside `dataset_info.json`; a dataset dict
//! holds one such directory per split, named in `dataset_dict.json`. `--split` picks splits
//! (all by default, in the order the dict lists them).

use super::arrow_rows::RowEmitter;
use super::{Flow, ItemSink, TaskReader};
use crate::error::{Location, Problem};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub struct HfDatasetReader {
    /// Splits to read; empty for all.
    pub splits: Vec<String>,
}

#[derive(Deserialize)]
struct DatasetDict {
    splits: Vec<String>,
}

#[derive(Deserialize)]
struct State {
    #[serde(rename = "_data_files", default)]
    data_files: Vec<DataFile>,
    #[serde(rename = "_split", default)]
    split: Option<String>,
}

#[derive(Deserialize)]
struct DataFile {
    filename: String,
}

/// Whether `dir` looks like a dataset saved by Hugging Face's `datasets`.
pub fn is_dataset_dir(dir: &Path) -> bool {
    ["dataset_dict.json", "state.json", "dataset_info.json"]
        .iter()
        .any(|f| dir.join(f).is_file())
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, shown: &str) -> Result<T, Problem> {
    let text = std::fs::read(path)
        .map_err(|e| Problem::new(Location::file(shown), format!("cannot read: {e}")))?;
    serde_json::from_slice(&text).map_err(|e| {
        Problem::new(
            Location::at(shown, e.line(), e.column()),
            format!("not a Hugging Face dataset file: {e}"),
        )
    })
}

/// The Arrow files of one saved split, in order, with the split's name if it has one.
fn split_files(dir: &Path, shown: &str) -> Result<(Option<String>, Vec<PathBuf>), Problem> {
    let state = dir.join("state.json");
    if state.is_file() {
        let state: State = read_json(&state, &format!("{shown}/state.json"))?;
        let mut files = Vec::new();
        for f in &state.data_files {
            // File names come from the dataset: only plain names inside its directory.
            let name = Path::new(&f.filename);
            if name.components().count() != 1 || name.file_name().is_none() {
                return Err(Problem::new(
                    Location::file(format!("{shown}/state.json")),
                    format!(
                        "data file {:?} is not a file name in the dataset's directory",
                        f.filename
                    ),
                ));
            }
            files.push(dir.join(name));
        }
        return Ok((state.split, files));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Problem::new(Location::file(shown), format!("cannot list: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| super::dir::ext(f) == "arrow")
        .collect();
    files.sort();
    Ok((None, files))
}

impl TaskReader for HfDatasetReader {
    fn read(&self, path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
        super::arrow_rows::guarded(name, || self.read_dataset(path, name, sink))
    }
}

impl HfDatasetReader {
    fn read_dataset(
        &self,
        path: &Path,
        name: &str,
        sink: &mut dyn ItemSink,
    ) -> Result<(), Problem> {
        let shown = name.trim_end_matches('/');
        let dict = path.join("dataset_dict.json");
        // (split name, its directory, how it is shown)
        let mut parts: Vec<(String, PathBuf, String)> = Vec::new();
        if dict.is_file() {
            let dict: DatasetDict = read_json(&dict, &format!("{shown}/dataset_dict.json"))?;
            for split in &self.splits {
                if !dict.splits.contains(split) {
                    return Err(Problem::new(
                        Location::file(name),
                        format!(
                            "no split {split:?}; the dataset has {}",
                            dict.splits.join(", ")
                        ),
                    ));
                }
            }
            for split in dict.splits {
                if !self.splits.is_empty() && !self.splits.contains(&split) {
                    continue;
                }
                if Path::new(&split).components().count() != 1 {
                    return Err(Problem::new(
                        Location::file(format!("{shown}/dataset_dict.json")),
                        format!("split {split:?} is not a directory name"),
                    ));
                }
                parts.push((split.clone(), path.join(&split), format!("{shown}/{split}")));
            }
        } else {
            parts.push((String::new(), path.to_path_buf(), shown.to_string()));
        }
        let mut rows = RowEmitter::default();
        for (wanted, dir, shown) in parts {
            let (split, files) = split_files(&dir, &shown)?;
            if wanted.is_empty() && !self.splits.is_empty() {
                let have = split.clone().unwrap_or_default();
                if !self.splits.contains(&have) {
                    return Err(Problem::new(
                        Location::file(name),
                        format!(
                            "this dataset holds one split{}; --split {} does not name it",
                            split.map(|s| format!(", {s}")).unwrap_or_default(),
                            self.splits.join(",")
                        ),
                    ));
                }
            }
            if files.is_empty() {
                return Err(Problem::new(
                    Location::file(shown),
                    "no Arrow files in this dataset directory",
                ));
            }
            for f in files {
                let file_shown = format!(
                    "{shown}/{}",
                    f.file_name().unwrap_or_default().to_string_lossy()
                );
                if !f.is_file() {
                    return Err(Problem::new(
                        Location::file(file_shown),
                        "listed in state.json but missing",
                    ));
                }
                // Links that lead out of the dataset are not followed (as in directories).
                let inside = match (f.canonicalize(), path.canonicalize()) {
                    (Ok(file), Ok(root)) => file.starts_with(root),
                    _ => false,
                };
                if !inside {
                    return Err(Problem::new(
                        Location::file(file_shown),
                        "leads outside the dataset's directory; not read",
                    ));
                }
                if let Flow::Stop = super::arrow_ipc::read_file(&f, &file_shown, &mut rows, sink)? {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}
