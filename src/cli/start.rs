//! `labelterm start`: its arguments, and creating the project first with `--init`.

use super::{InputArgs, parse_sampling};
use crate::error::{Error, Result};
use crate::project;
use crate::store::Sampling;
use crate::tui::StartOptions;
use std::path::PathBuf;
use std::process::ExitCode;

/// `labelterm start`'s arguments.
#[derive(clap::Args, Debug)]
pub struct StartArgs {
    /// The project file (SQLite; `.db` may be left off); with --init, the one to create.
    #[arg(value_parser = crate::cli::project_path)]
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
    /// With --init: the label config (Label Studio's XML) of the project to create.
    #[arg(long = "label-config", value_name = "CONFIG.xml", requires = "init")]
    pub label_config: Option<PathBuf>,
    /// Do not start tasks from their predictions in this run (with --init on a new
    /// project, stored in it too).
    #[arg(long = "no-prelabel")]
    pub no_prelabel: bool,
    /// Leave the mouse to the terminal: no clicking or dragging in the annotator, the
    /// terminal's own text selection and scrolling instead.
    #[arg(long = "no-mouse")]
    pub no_mouse: bool,
    /// Review the project's annotations (accept, fix or reject each, star ground truth)
    /// instead of annotating; decisions are stored as this user's.
    #[arg(long)]
    pub review: bool,
    /// Send each submit and skip to the linked Label Studio server as soon as it is stored
    /// (the project must be linked: `labelterm link`; the key as for `labelterm push`).
    /// Work the server does not take is kept here and tried again.
    #[arg(long)]
    pub sync: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

/// The `start` command.
pub fn run(args: StartArgs) -> Result<ExitCode> {
    let user = args.user.clone().unwrap_or_else(project::default_user);
    if args.init {
        let config = args
            .label_config
            .as_ref()
            .ok_or_else(|| Error::Usage("--init needs --label-config".into()))?;
        let new = project::NewProject {
            prelabel: !args.no_prelabel,
            ..args.input.new_project(
                config,
                args.sampling.unwrap_or(Sampling::Sequential),
                None,
                user.clone(),
            )
        };
        match project::create_or_open(&args.project, &new)? {
            project::Created::New { report, .. } => eout!(
                "created {} ({} task(s))",
                args.project.display(),
                report.tasks()
            ),
            project::Created::Existing { .. } if new.inputs.is_empty() => eout!(
                "{} exists with this config; opening it",
                args.project.display()
            ),
            project::Created::Existing { .. } => eout!(
                "{} exists with this config; opening it (tasks not imported again; use `labelterm import` to add more)",
                args.project.display()
            ),
        }
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
    crate::tui::start(start_options(args, user))?;
    Ok(ExitCode::SUCCESS)
}

/// What the annotator is started with.
fn start_options(args: StartArgs, user: String) -> StartOptions {
    StartOptions {
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
        no_prelabel: args.no_prelabel,
        no_mouse: args.no_mouse,
        first_screen: if args.review {
            crate::tui::screens::Screen::Review
        } else {
            crate::tui::screens::Screen::Task
        },
        temporary: false,
        sync: args.sync,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(args: &[&str]) -> StartArgs {
        match crate::cli::Cli::try_parse_from(args).unwrap().command {
            crate::cli::Command::Start(a) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_prelabel_reaches_the_start_options() {
        let o = start_options(parse(&["labelterm", "start", "p.db"]), "u".into());
        assert!(!o.no_prelabel);
        let o = start_options(
            parse(&["labelterm", "start", "p.db", "--no-prelabel"]),
            "u".into(),
        );
        assert!(o.no_prelabel);
        assert_eq!(o.project, PathBuf::from("p.db"));
        assert_eq!(o.user, "u");
    }
}
