//! The annotator: `labelterm start`. A keyboard-first labeling UI over a project store.
//!
//! Flow: every outcome (a key, a store reply, loaded media, the last frame's layout) is a
//! [`msg::Msg`] → [`app::App::update`] (the only state changer) → [`app::Effect`]s →
//! [`runtime`] carries them out (SQLite writes, jobs, worker loads) and feeds what came of
//! them back as messages → draw (pure; it returns the layout facts it learned).
//! Every change is written to SQLite before the next frame shows it.

pub mod action;
pub mod app;
pub mod image_view;
pub mod jobs;
pub mod keymap;
pub mod media;
pub mod msg;
pub mod popups;
pub mod result;
pub mod runtime;
pub mod screens;
pub mod shared;
pub mod strings;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod view;
pub mod widgets;

use crate::error::{Error, Result};
use crate::store::Sampling;
pub use runtime::{Session, start};
use std::path::PathBuf;

/// Rows per task-list page.
pub const PAGE: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    pub project: PathBuf,
    pub user: String,
    pub theme: Option<String>,
    pub sampling: Option<Sampling>,
    /// `--media-root`: relative media paths not in the task's import folder resolve here.
    pub media_root: Option<PathBuf>,
    /// `--local-files-root` (else the environment, else the media root).
    pub local_files_root: Option<PathBuf>,
    pub upload_dir: Option<PathBuf>,
    /// `--allow-path`: more folders media may be read from.
    pub allow_paths: Vec<PathBuf>,
    pub keymap: Option<PathBuf>,
    pub no_color: bool,
}

impl StartOptions {
    /// The folders the annotator may read media from, besides each task's import folder.
    pub fn media_roots(&self) -> crate::media::Roots {
        crate::media::Roots {
            media_root: self.media_root.clone(),
            local_files_root: self
                .local_files_root
                .clone()
                .or_else(crate::media::Roots::local_files_root_from_env)
                .or_else(|| self.media_root.clone()),
            upload_dir: self.upload_dir.clone(),
            allow: self.allow_paths.clone(),
        }
    }
}

/// `labelterm start`'s arguments.
#[derive(clap::Args, Debug)]
pub struct StartArgs {
    /// The project file (SQLite); with --init, the one to create.
    pub project: PathBuf,
    /// Who is annotating (default: $USER); annotations record it.
    #[arg(long)]
    pub user: Option<String>,
    /// Theme: dark, light, high-contrast, colorblind, or a JSON file.
    #[arg(long)]
    pub theme: Option<String>,
    /// Next-task order: sequential, uniform, prediction-score-min, prediction-score-max
    /// (saved in the project).
    #[arg(long, value_parser = parse_sampling)]
    pub sampling: Option<Sampling>,
    /// Folder where relative media paths (images, audio, text) are looked up when they are
    /// not in the folder the task was imported from; also the local-files root when none
    /// is given.
    #[arg(long = "media-root", alias = "image-root", value_name = "DIR")]
    pub media_root: Option<PathBuf>,
    /// Label Studio's LOCAL_FILES_DOCUMENT_ROOT: /data/local-files/?d=<path> is read under
    /// it (default: that environment variable, else the media root).
    #[arg(long = "local-files-root", value_name = "DIR")]
    pub local_files_root: Option<PathBuf>,
    /// Label Studio's media upload directory: /data/upload/1/x.png is read as DIR/1/x.png.
    #[arg(long = "upload-dir", value_name = "DIR")]
    pub upload_dir: Option<PathBuf>,
    /// Also read media from this folder (repeatable). Media is otherwise read only from
    /// the task's import folder, --media-root, --local-files-root and --upload-dir.
    #[arg(long = "allow-path", value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
    /// A keymap file that rebinds keys (default: keymap.json in the config directory).
    #[arg(long, value_name = "FILE")]
    pub keymap: Option<PathBuf>,
    /// Create the project first (with --label-config and --input-path).
    #[arg(long)]
    pub init: bool,
    #[arg(long = "label-config", value_name = "CONFIG.xml", requires = "init")]
    pub label_config: Option<PathBuf>,
    #[command(flatten)]
    pub input: crate::cli::InputArgs,
}

fn parse_sampling(s: &str) -> std::result::Result<Sampling, String> {
    Sampling::parse(s).ok_or_else(|| {
        format!(
            "unknown sampling {s:?}; use one of: {}",
            Sampling::NAMES.join(", ")
        )
    })
}

/// The `start` command.
pub fn run_cli(args: StartArgs) -> Result<std::process::ExitCode> {
    let user = args.user.clone().unwrap_or_else(crate::cli::default_user);
    if args.init {
        let config = args
            .label_config
            .as_ref()
            .ok_or_else(|| Error::Usage("--init needs --label-config".into()))?;
        let (_, report) = crate::cli::init_project(
            &args.project,
            config,
            &args.input,
            args.sampling.unwrap_or(Sampling::Sequential),
            None,
            &user,
        )?;
        eout!(
            "created {} ({} task(s))",
            args.project.display(),
            report.tasks()
        );
    } else if !args.input.input_path.is_empty() {
        return Err(Error::Usage(
            "--input-path with start needs --init (or use `labelterm import`)".into(),
        ));
    }
    let dirs = [
        ("--media-root", args.media_root.as_ref()),
        ("--local-files-root", args.local_files_root.as_ref()),
        ("--upload-dir", args.upload_dir.as_ref()),
    ];
    for (flag, dir) in dirs
        .into_iter()
        .chain(args.allow_path.iter().map(|d| ("--allow-path", Some(d))))
    {
        if let Some(dir) = dir
            && !dir.is_dir()
        {
            return Err(Error::Usage(format!(
                "{flag} {}: not a directory",
                dir.display()
            )));
        }
    }
    start(StartOptions {
        project: args.project,
        user,
        theme: args.theme,
        sampling: args.sampling,
        media_root: args.media_root,
        local_files_root: args.local_files_root,
        upload_dir: args.upload_dir,
        allow_paths: args.allow_path,
        keymap: args.keymap,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    })?;
    Ok(std::process::ExitCode::SUCCESS)
}
