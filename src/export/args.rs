//! Command-line options of `export` and `convert`, kept beside the export code so the
//! command definitions stay short.

use super::ExportOptions;
use clap::Args;
use std::path::PathBuf;

/// Which annotations and predictions a project export reads (Label Studio's export options).
#[derive(Args, Debug, Clone, Default)]
pub struct SelectArgs {
    /// Leave skipped (cancelled) annotations out (by default they are exported, as in Label
    /// Studio's JSON export; the other formats never show them).
    #[arg(long = "drop-skipped")]
    pub drop_skipped: bool,
    /// Leave predictions out of the export (by default they are included).
    #[arg(long = "no-predictions")]
    pub no_predictions: bool,
    /// Export annotators as user ids only, without names or emails.
    #[arg(long = "remove-user-details")]
    pub remove_user_details: bool,
    /// How the JSON export's `completed_by` names the annotator: `id` (this project's user
    /// id, the shape of Label Studio's export) or `email` (`{"email": ...}`, what Label
    /// Studio's import matches on any server; an annotator without an email gets null,
    /// which Label Studio credits to whoever imports the file). Use `email` for a file to
    /// upload to a server.
    #[arg(long = "completed-by", value_name = "id|email", default_value = "id", value_parser = ["id", "email"])]
    pub completed_by: String,
    /// Only annotations by this user (email or name, or numeric user id).
    #[arg(long = "annotator", value_name = "USER")]
    pub annotator: Option<String>,
    /// Only annotations whose latest review accepted them (accepted, or fixed and
    /// accepted), and only the tasks that have one.
    #[arg(long = "only-reviewed")]
    pub only_reviewed: bool,
    /// Only these tasks: a file of task ids (one per line, or separated by commas or
    /// spaces), or the ids themselves (`1,5,9`).
    #[arg(long = "ids", value_name = "FILE_OR_LIST", value_parser = parse_task_ids)]
    pub ids: Option<TaskIds>,
}

/// Task ids from `--ids`, sorted, each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskIds(pub Vec<i64>);

/// Reads `--ids`: a file of ids when a file of that name exists, else a list of ids.
pub fn parse_task_ids(arg: &str) -> Result<TaskIds, String> {
    let path = std::path::Path::new(arg);
    let text = if path.is_file() {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {arg}: {e}"))?
    } else {
        arg.to_string()
    };
    let mut ids = Vec::new();
    for word in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        let id = word.parse::<i64>().map_err(|_| {
            if path.is_file() {
                format!("{arg}: {word:?} is not a task id")
            } else {
                format!("{word:?} is not a task id (give ids like 1,5,9 or a file of ids)")
            }
        })?;
        ids.push(id);
    }
    if ids.is_empty() {
        return Err(format!("no task ids in {arg:?}"));
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(TaskIds(ids))
}

/// Where media files are read from.
#[derive(Args, Debug, Clone, Default)]
pub struct MediaArgs {
    /// Label Studio's media upload directory (`media/upload`): `/data/upload/1/x.wav` is
    /// read as `UPLOAD_DIR/1/x.wav`.
    #[arg(long = "upload-dir", value_name = "DIR")]
    pub upload_dir: Option<PathBuf>,
    /// Fetch http(s) media (images for the *_WITH_IMAGES formats and VOC, audio, page
    /// images). Off by default; local files and uploads are always read.
    #[arg(long = "download-resources")]
    pub download_resources: bool,
    /// Label Studio's LOCAL_FILES_DOCUMENT_ROOT: /data/local-files/?d=<path> is read
    /// under it, never outside (default: that environment variable).
    #[arg(long = "local-files-root", value_name = "DIR")]
    pub local_files_root: Option<PathBuf>,
    /// Folder where relative media paths are looked up when they are not in the folder the
    /// task was imported from (images, audio, text).
    #[arg(long = "media-root", alias = "image-root", value_name = "DIR")]
    pub media_root: Option<PathBuf>,
    /// Also read media from this folder (repeatable). Media is otherwise read only from
    /// the task's import folder, --media-root, --local-files-root and --upload-dir.
    #[arg(long = "allow-path", value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
}

impl SelectArgs {
    pub fn apply(&self, o: &mut ExportOptions) {
        o.drop_skipped = self.drop_skipped;
        o.no_predictions = self.no_predictions;
        o.remove_user_details = self.remove_user_details;
        o.completed_by_email = self.completed_by == "email";
        o.annotator = self.annotator.clone();
        o.only_reviewed = self.only_reviewed;
        o.task_ids = self.ids.as_ref().map(|t| t.0.clone());
    }
}

impl MediaArgs {
    pub fn apply(&self, o: &mut ExportOptions) {
        o.upload_dir = self.upload_dir.clone();
        o.download_resources = self.download_resources;
        o.local_files_root = self
            .local_files_root
            .clone()
            .or_else(crate::media::Roots::local_files_root_from_env);
        o.media_root = self.media_root.clone();
        o.allow_paths = self.allow_path.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_a_list_or_a_file() {
        assert_eq!(parse_task_ids("9,1, 5,1"), Ok(TaskIds(vec![1, 5, 9])));
        assert!(
            parse_task_ids("1,x")
                .unwrap_err()
                .contains("\"x\" is not a task id")
        );
        assert!(parse_task_ids(" , ").is_err());
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("ids.txt");
        std::fs::write(&f, "3\n2\n\n7 8\n").unwrap();
        assert_eq!(
            parse_task_ids(f.to_str().unwrap()),
            Ok(TaskIds(vec![2, 3, 7, 8]))
        );
    }
}
