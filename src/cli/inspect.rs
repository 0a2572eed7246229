//! `labelterm inspect`: browse task files in the annotator without making a project.

use crate::error::Result;
use crate::inspect::{self, InspectOptions};
use crate::tui::StartOptions;
use crate::tui::screens::Screen;
use std::path::PathBuf;
use std::process::ExitCode;

/// Problems of left-out tasks shown before the annotator opens.
const SHOWN_PROBLEMS: usize = 5;

/// Who annotations in the files that name nobody are credited to.
pub const IMPORTER: &str = "imported";

/// The user the inspector works as in the temporary project.
pub const INSPECTOR: &str = "inspector";

/// `labelterm inspect`'s arguments.
#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    /// Task files, directories or http(s) URLs, in any format import reads; - reads
    /// standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// The label config; by default one is inferred from the data keys and the results
    /// found in annotations and predictions.
    #[arg(long = "label-config", value_name = "CONFIG.xml")]
    pub label_config: Option<PathBuf>,
    /// Print the label config (the inferred one, unless --label-config) and leave.
    #[arg(long = "print-config")]
    pub print_config: bool,
    #[command(flatten)]
    pub read: super::ReadArgs,
    /// Theme: dark, light, high-contrast, colorblind, or a JSON file.
    #[arg(long)]
    pub theme: Option<String>,
    /// Folder where relative media paths are looked up besides the files' own folders.
    #[arg(long = "media-root", value_name = "DIR")]
    pub media_root: Option<PathBuf>,
    /// Also read media from this folder (repeatable).
    #[arg(long = "allow-path", value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
    /// A keymap file that rebinds keys.
    #[arg(long, value_name = "FILE")]
    pub keymap: Option<PathBuf>,
    /// Leave the mouse to the terminal.
    #[arg(long = "no-mouse")]
    pub no_mouse: bool,
    /// Import into the temporary project, print where it is and what it holds, remove
    /// it and leave, without the annotator.
    #[arg(long = "no-tui", hide = true)]
    pub no_tui: bool,
}

impl InspectArgs {
    fn options(&self) -> InspectOptions {
        InspectOptions {
            inputs: self.files.clone(),
            label_config: self.label_config.clone(),
            import: self.read.options(),
            importer: IMPORTER.into(),
            temp_root: None,
        }
    }
}

/// The `inspect` command.
pub fn run(args: InspectArgs) -> Result<ExitCode> {
    let opts = args.options();
    if args.print_config {
        let prepared = inspect::prepare(&opts)?;
        let xml = match &opts.label_config {
            Some(p) => crate::project::load_config(p)?.source,
            None => inspect::infer_config(&prepared.inputs, &opts.import)?.xml,
        };
        out!("{}", xml.trim_end());
        return Ok(ExitCode::SUCCESS);
    }
    let project = inspect::create(&opts)?;
    super::print_warnings(None, None, Some(&project.report));
    if let Some(problems) = &project.left_out {
        eout!(
            "note: {} problem(s) found; the tasks with problems are left out (`labelterm validate` lists and groups them all):",
            problems.len()
        );
        for p in problems.list.iter().take(SHOWN_PROBLEMS) {
            eout!("  {p}");
        }
        if problems.len() > SHOWN_PROBLEMS {
            eout!("  ...");
        }
    }
    if let Some(inferred) = &project.inferred {
        for (what, why) in &inferred.left_out {
            eout!("note: inferred config leaves out {what}: {why}");
        }
    }
    if args.no_tui {
        out!("project {}", project.path.display());
        out!(
            "{} task(s), {} annotation(s), {} prediction(s); {} object tag(s), {} control tag(s)",
            project.report.tasks(),
            project.report.annotations(),
            project.report.predictions(),
            project.config.objects.len(),
            project.config.controls.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    crate::tui::start(StartOptions {
        project: project.path.clone(),
        user: INSPECTOR.into(),
        theme: args.theme,
        // Relative media paths in standard input are read from where inspect runs.
        media_root: args.media_root.or_else(|| {
            args.files
                .iter()
                .any(|f| f == "-")
                .then(|| std::env::current_dir().ok())
                .flatten()
        }),
        allow_paths: args.allow_path,
        keymap: args.keymap,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        no_mouse: args.no_mouse,
        first_screen: Screen::Table,
        temporary: true,
        sync: false,
        ..Default::default()
    })?;
    Ok(ExitCode::SUCCESS)
}
