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
    /// Only annotations by this user (email or name, or numeric user id).
    #[arg(long = "annotator", value_name = "USER")]
    pub annotator: Option<String>,
    /// Only annotations accepted in review.
    #[arg(long = "only-reviewed")]
    pub only_reviewed: bool,
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
        o.annotator = self.annotator.clone();
        o.only_reviewed = self.only_reviewed;
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
