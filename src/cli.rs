//! The command line: Label Studio's flag names, clap derive. Each command is a function
//! that calls the library and returns an exit code (0 ok, 1 problem found, 2 usage).

use crate::config::LabelConfig;
use crate::error::Error;
use crate::export::{ExportOptions, ExportType};
use crate::import::{ImportOptions, ImportReport, InputFormat};
use crate::project::{self, NewProject};
use crate::store::{Sampling, StoreErrorKind};
use clap::{Args, Parser, Subcommand};

mod agreement;
mod inspect;
mod link;
mod query;
mod settings;
mod start;
mod validate;
mod who;
pub use inspect::InspectArgs;
pub use query::QueryArgs;
pub use settings::SettingsArgs;
pub use start::StartArgs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
pub use validate::ValidateArgs;

#[derive(Parser, Debug)]
#[command(
    name = "labelterm",
    version,
    about = "Label data and inspect datasets in Label Studio's formats, in the terminal"
)]
pub struct Cli {
    /// No progress bars (they appear on standard error, when it is a terminal, for work
    /// that runs over a second).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Task file, directory or http(s) URL to import (repeatable); - reads standard input.
    #[arg(long = "input-path", value_name = "PATH")]
    pub input_path: Vec<String>,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// How input files are read, shared by the commands that import.
#[derive(Args, Debug, Clone)]
pub struct ReadArgs {
    /// Input format; by default the file extension (or, for standard input, the content)
    /// decides. One of: json, jsonl, csv, tsv, text, html, file, json-dir, text-dir,
    /// image-dir, audio-dir, timeseries, parquet, arrow, excel, hf-dataset.
    #[arg(long = "input-format", value_name = "FORMAT", value_parser = parse_input_format)]
    pub input_format: Option<InputFormat>,
    /// Read a file's column or key COLUMN as the config's data key FIELD (repeatable).
    #[arg(long = "map", value_name = "FIELD=COLUMN", value_parser = parse_map)]
    pub map: Vec<(String, String)>,
    /// Convert CSV/TSV values the way Label Studio (pandas) does: numbers, booleans,
    /// "NA" → "". By default every cell stays a string.
    #[arg(long = "csv-coerce")]
    pub csv_coerce: bool,
    #[command(flatten)]
    pub table: TableArgs,
}

/// Choices for table formats, shared by the commands that import.
#[derive(Args, Debug, Clone, Default)]
pub struct TableArgs {
    /// The spreadsheet sheet to read, by name or 0-based index (as pandas' sheet_name);
    /// the first by default.
    #[arg(long, value_name = "NAME|INDEX")]
    pub sheet: Option<String>,
    /// The Hugging Face dataset splits to read (comma-separated or repeated); all by
    /// default.
    #[arg(long = "split", value_name = "SPLIT", value_delimiter = ',')]
    pub splits: Vec<String>,
}

impl ReadArgs {
    pub fn options(&self) -> ImportOptions {
        ImportOptions {
            format: self.input_format,
            maps: self.map.clone(),
            csv_coerce: self.csv_coerce,
            sheet: self.table.sheet.clone(),
            splits: self.table.splits.clone(),
            check_workers: None,
        }
    }
}

impl InputArgs {
    /// A project made of these inputs.
    pub fn new_project(
        &self,
        label_config: &Path,
        sampling: Sampling,
        title: Option<String>,
        user: String,
    ) -> NewProject {
        NewProject {
            label_config: label_config.to_path_buf(),
            inputs: self.input_path.clone(),
            import: self.read.options(),
            sampling,
            title,
            user,
            prelabel: true,
            settings: Default::default(),
        }
    }
}

/// A project argument as a path: a name without an extension that names no file means
/// the `.db` file of that name (`labelterm init my-project` makes `my-project.db`, and
/// `labelterm start my-project` opens it).
pub fn project_path(arg: &str) -> Result<PathBuf, String> {
    let p = PathBuf::from(arg);
    if arg.is_empty() {
        return Err("the project path is empty".into());
    }
    if p.extension().is_none() && !p.exists() && !arg.ends_with(std::path::MAIN_SEPARATOR) {
        let mut with_db = p.into_os_string();
        with_db.push(".db");
        return Ok(PathBuf::from(with_db));
    }
    Ok(p)
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a project from a label config, optionally importing tasks.
    Init {
        /// The project file to create (SQLite); `.db` is added to a name without an
        /// extension.
        #[arg(value_parser = project_path)]
        project: PathBuf,
        /// The label config (Label Studio's XML): the controls and the data they read.
        #[arg(long = "label-config", value_name = "CONFIG.xml")]
        label_config: PathBuf,
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        settings: SettingsArgs,
        /// Project title (default: the file name).
        #[arg(long)]
        title: Option<String>,
        /// User credited with imported annotations that name nobody (default: $USER).
        #[arg(long)]
        user: Option<String>,
        /// Do not start tasks from their predictions when labeling (stored in the project;
        /// by default, as in Label Studio, predictions pre-label the task).
        #[arg(long = "no-prelabel", conflicts_with = "prelabel")]
        no_prelabel: bool,
    },
    /// Show the project's settings, or change those named (see `init` for each).
    Settings {
        /// The project file (SQLite; `.db` may be left off).
        #[arg(value_parser = project_path)]
        project: PathBuf,
        #[command(flatten)]
        settings: SettingsArgs,
        /// One JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Who is annotating the project now, on which task, and each annotator's work today.
    Who {
        /// The project file (SQLite; `.db` may be left off).
        #[arg(value_parser = project_path)]
        project: PathBuf,
        /// One JSON object instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Link the project to a Label Studio server project: a new one made from the label
    /// config (`--create`), or an existing one with the same config (`--project-id`).
    Link(link::LinkArgs),
    /// Send the linked Label Studio server the tasks, annotations and predictions it does
    /// not have, and annotations changed here since (idempotent; resumes after an
    /// interruption without sending anything twice).
    Push(link::PushArgs),
    /// Bring the linked Label Studio server's tasks, annotations and predictions into the
    /// project (work not pushed yet is never overwritten; conflicts keep both); with
    /// --project-id and a new file, clone a server project.
    Pull(link::PullArgs),
    /// What is only here, only on the linked Label Studio server, and changed on both
    /// sides (nothing is changed on either side).
    Status(link::StatusArgs),
    /// Remove the project's link to a Label Studio server (nothing on the server changes).
    Unlink {
        /// The project file (SQLite; `.db` may be left off).
        #[arg(value_parser = project_path)]
        project: PathBuf,
    },
    /// Import tasks into a project (all or nothing).
    Import {
        /// The project file (SQLite; `.db` may be left off).
        #[arg(value_parser = project_path)]
        project: PathBuf,
        #[command(flatten)]
        input: InputArgs,
        /// User credited with imported annotations that name nobody (default: $USER).
        #[arg(long)]
        user: Option<String>,
    },
    /// Check a label config and task files without a project: every problem, then a
    /// summary (tasks, data keys and their types, problems grouped by kind).
    Validate(ValidateArgs),
    /// Agreement between annotators (overall, per control, per task, per pair of
    /// annotators) and the quality of predictions per model_version.
    Agreement {
        /// The project file (SQLite; `.db` may be left off).
        #[arg(value_parser = project_path)]
        project: PathBuf,
        /// One JSON object: overall, per_control, tasks, matrix, predictions.
        #[arg(long)]
        json: bool,
    },
    /// Counts of tasks, annotations, predictions, labels per control, per annotator and
    /// per model_version, and agreement.
    Stats {
        /// The project file (SQLite; `.db` may be left off).
        #[arg(value_parser = project_path)]
        project: PathBuf,
        /// One JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Export the project in a Label Studio format.
    Export {
        /// The project file (SQLite; `.db` may be left off).
        #[arg(value_parser = project_path)]
        project: PathBuf,
        /// Export type: one of Label Studio's, or PARQUET; --list-formats shows those that fit the
        /// project.
        #[arg(long = "export-type", value_name = "TYPE", default_value = "JSON", value_parser = parse_export_type)]
        export_type: ExportType,
        /// Output directory (receives the converter's layout), or a file name for
        /// single-file formats.
        #[arg(
            long = "export-path",
            value_name = "PATH",
            required_unless_present = "list_formats"
        )]
        export_path: Option<PathBuf>,
        /// Include tasks without annotations.
        #[arg(long = "download-all-tasks")]
        download_all_tasks: bool,
        /// Print the export formats that fit the project's label config.
        #[arg(long = "list-formats")]
        list_formats: bool,
        #[command(flatten)]
        select: crate::export::args::SelectArgs,
        #[command(flatten)]
        media: crate::export::args::MediaArgs,
    },
    /// Convert a Label Studio JSON export file without a project (what
    /// label-studio-converter does).
    Convert {
        /// The Label Studio label config (XML) the export was made under.
        #[arg(long = "label-config", value_name = "CONFIG.xml")]
        label_config: PathBuf,
        /// A Label Studio JSON export (a list of tasks).
        #[arg(long = "input-path", value_name = "EXPORT.json")]
        input_path: PathBuf,
        /// Export type: one of Label Studio's, or PARQUET (`labelterm export --list-formats`
        /// shows them).
        #[arg(long = "export-type", value_name = "TYPE", default_value = "JSON", value_parser = parse_export_type)]
        export_type: ExportType,
        /// Output directory, or a file name for single-file formats.
        #[arg(long = "export-path", value_name = "PATH")]
        export_path: PathBuf,
        #[command(flatten)]
        media: crate::export::args::MediaArgs,
    },
    /// Label tasks in the terminal (opens on the next task to label).
    Start(StartArgs),
    /// Browse task files in the annotator without making a project: they are imported
    /// into a temporary one (removed on exit), under a label config given or inferred.
    Inspect(InspectArgs),
    /// Decodes a table file for an import running in the parent process (see
    /// `import::isolate`).
    #[command(name = "decode-table", hide = true)]
    DecodeTable {
        /// The table format.
        #[arg(long, value_parser = parse_input_format)]
        format: InputFormat,
        #[command(flatten)]
        table: TableArgs,
        /// The file or directory.
        path: PathBuf,
        /// How the input is named in messages.
        name: String,
    },
    /// The tasks that filters, a search and a sort select (as a table, JSON lines, CSV
    /// or ids), their count, or the frequency table of a field.
    Query(QueryArgs),
}

fn parse_input_format(s: &str) -> Result<InputFormat, String> {
    InputFormat::parse(s).ok_or_else(|| {
        format!(
            "unknown input format {s:?}; use one of: {}",
            InputFormat::ALL
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn parse_sampling(s: &str) -> Result<Sampling, String> {
    Sampling::parse(s).ok_or_else(|| {
        let hint = match s.to_ascii_lowercase().as_str() {
            "random" | "random-uniform" | "shuffle" => " (random order is `uniform`)",
            "sequence" | "in-order" | "id" => " (id order is `sequential`)",
            _ => "",
        };
        format!(
            "unknown sampling {s:?}{hint}; use one of: {} (or `uncertainty`, Label Studio's name for prediction-score-min)",
            Sampling::NAMES.join(", ")
        )
    })
}

fn parse_export_type(s: &str) -> Result<ExportType, String> {
    ExportType::parse(s).ok_or_else(|| {
        format!(
            "unknown export type {s:?}; the types are: {}",
            ExportType::ALL
                .iter()
                .chain(ExportType::OURS)
                .map(|t| t.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn parse_map(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((f, c)) if !f.is_empty() && !c.is_empty() => Ok((f.to_string(), c.to_string())),
        _ => Err(format!("expected FIELD=COLUMN, got {s:?}")),
    }
}

fn print_warnings(
    config_path: Option<&Path>,
    config: Option<&LabelConfig>,
    report: Option<&ImportReport>,
) {
    if let (Some(p), Some(c)) = (config_path, config) {
        for w in &c.warnings {
            eout!("warning: {}:{w}", p.display());
        }
    }
    if let Some(r) = report {
        for s in &r.sources {
            for w in &s.warnings {
                eout!("warning: {w}");
            }
        }
    }
}

fn print_report(report: &ImportReport, verb: &str) {
    for s in &report.sources {
        out!(
            "{verb} {} task(s), {} annotation(s), {} prediction(s) from {} [{}]",
            s.tasks,
            s.annotations,
            s.predictions,
            s.source,
            s.format.name()
        );
    }
}

fn fail(e: &Error) -> ExitCode {
    match e {
        Error::Invalid(problems) => {
            for p in &problems.list {
                eout!("error: {}", p);
            }
            if problems.omitted > 0 {
                eout!("error: ... and {} more problem(s)", problems.omitted);
            }
            let n = problems.len();
            eout!("{n} problem(s) found; nothing was imported");
        }
        Error::Usage(m) => {
            eout!("error: {m}");
            return ExitCode::from(2);
        }
        // An argument that names nothing in the project (`--annotator nobody`).
        Error::Store(e) if e.kind() == StoreErrorKind::NotFound => {
            eout!("error: {e}");
            return ExitCode::from(2);
        }
        other => eout!("error: {}", other),
    }
    ExitCode::from(1)
}

/// Label Studio's `LOCAL_FILES_DOCUMENT_ROOT`, unless unset, empty or `/`.
fn print_placed(t: ExportType, placed: &[PathBuf]) {
    for p in placed {
        // An export to standard output leaves it to the export's bytes alone.
        if p.as_path() == std::path::Path::new("-") {
            eout!("wrote standard output [{}]", t.name());
        } else {
            out!("wrote {} [{}]", p.display(), t.name());
        }
    }
}

/// Parses the arguments and runs the command. Clap's own errors quote the arguments,
/// which may hold anything, so they are printed through `eout!` too (without colour).
pub fn main() -> ExitCode {
    match Cli::try_parse() {
        Ok(cli) => run(cli),
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            eout!("{}", e.to_string().trim_end());
            ExitCode::from(e.exit_code().clamp(0, 255) as u8)
        }
    }
}

pub fn run(cli: Cli) -> ExitCode {
    crate::progress::set_quiet(cli.quiet);
    crate::import::isolate::enable();
    match run_command(cli.command) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn run_command(command: Command) -> Result<ExitCode, Error> {
    match command {
        Command::Start(args) => start::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::DecodeTable {
            format,
            table,
            path,
            name,
        } => Ok(crate::import::isolate::serve(
            format,
            table.sheet,
            table.splits,
            &path,
            &name,
        )),
        Command::Query(args) => query::run(args),
        Command::Init {
            project,
            label_config,
            input,
            settings,
            title,
            user,
            no_prelabel,
        } => {
            let user = user.unwrap_or_else(project::default_user);
            let new = NewProject {
                prelabel: !no_prelabel,
                settings: settings.change(),
                ..input.new_project(
                    &label_config,
                    settings.sampling.unwrap_or(Sampling::Sequential),
                    title,
                    user,
                )
            };
            let (config, report) = project::create(&project, &new)?;
            print_warnings(Some(&label_config), Some(&config), Some(&report));
            print_report(&report, "imported");
            // Say where the file is: `.db` may have been added to the name given.
            let location = project
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map(std::path::Path::to_path_buf)
                .or_else(|| std::env::current_dir().ok())
                .and_then(|d| d.canonicalize().ok());
            out!(
                "created {} ({} task(s)){}",
                project.display(),
                report.tasks(),
                location
                    .map(|d| format!(" in {}", d.display()))
                    .unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Settings {
            project,
            settings,
            json,
        } => settings::run(project, settings, json),
        Command::Who { project, json } => who::run(project, json),
        Command::Link(args) => link::run(args),
        Command::Push(args) => link::push(args),
        Command::Pull(args) => link::pull(args),
        Command::Status(args) => link::status(args),
        Command::Unlink { project } => link::unlink(project),
        Command::Import {
            project,
            input,
            user,
        } => {
            if input.input_path.is_empty() {
                return Err(Error::Usage(
                    "import needs at least one --input-path".into(),
                ));
            }
            let (mut store, config) = project::open_to_write(&project)?;
            let user = user.unwrap_or_else(project::default_user);
            let report = crate::import::import_into_store(
                &mut store,
                &config,
                &input.input_path,
                &input.read.options(),
                &user,
            )?;
            print_warnings(None, None, Some(&report));
            print_report(&report, "imported");
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate(args) => validate::run(args),
        Command::Agreement { project, json } => agreement::run(project, json),
        Command::Stats { project, json } => {
            let (store, config) = project::open(&project)?;
            let stats = crate::stats::compute(&store, &config)?;
            let imports = store.imports()?;
            let settings = store.settings()?;
            if json {
                let mut v = stats.to_json();
                v["settings"] = settings::to_json(&settings);
                v["imports"] = serde_json::json!(imports
                    .iter()
                    .map(|i| serde_json::json!({
                        "source": i.source, "format": i.format, "sha256": i.sha256, "bytes": i.bytes,
                        "tasks": i.task_count, "annotations": i.annotation_count,
                        "predictions": i.prediction_count, "warnings": i.warnings.len(), "imported_at": i.imported_at,
                    }))
                    .collect::<Vec<_>>());
                let text = serde_json::to_string_pretty(&v).expect("JSON serialises");
                out!("{}", crate::term_safe::json_term_safe(&text));
            } else {
                let p = store.project()?;
                out!("{} ({})\n", p.title, project.display());
                for line in stats.to_text().lines() {
                    out!("{line}");
                }
                if !imports.is_empty() {
                    out!("\nimports");
                    for i in &imports {
                        out!(
                            "  {}  {} [{}] {} task(s), {} annotation(s), {} prediction(s), sha256 {}",
                            i.imported_at,
                            i.source,
                            i.format,
                            i.task_count,
                            i.annotation_count,
                            i.prediction_count,
                            i.sha256.as_deref().map_or("-", |h| &h[..h.len().min(12)])
                        );
                    }
                }
                out!("\nsettings");
                for line in settings::lines(&settings, None) {
                    out!("  {line}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            project,
            export_type,
            export_path,
            download_all_tasks,
            list_formats,
            select,
            media,
        } => {
            let (store, config) = project::open(&project)?;
            if list_formats {
                for f in crate::export::formats_for(&config) {
                    out!("{}", f.name());
                }
                return Ok(ExitCode::SUCCESS);
            }
            let path =
                export_path.ok_or_else(|| Error::Usage("--export-path is required".into()))?;
            let mut opts = ExportOptions {
                download_all_tasks,
                ..Default::default()
            };
            select.apply(&mut opts);
            media.apply(&mut opts);
            let ctx = crate::export::ExportContext {
                config: &config,
                options: &opts,
                input_file: None,
            };
            let mut source = crate::export::ProjectSource::new(&store, &opts);
            let total = match &opts.task_ids {
                Some(ids) => Some(ids.len() as u64),
                None if download_all_tasks => Some(store.counts()?.tasks as u64),
                None => Some(store.tasks_with_annotations()?),
            };
            source.show_progress(total);
            let placed = crate::export::run(export_type, &ctx, &mut source, &path);
            source.finish_progress();
            let placed = placed?;
            print_placed(export_type, &placed);
            if source.exported() == 0 {
                let tasks = store.counts()?.tasks;
                if tasks == 0 {
                    eout!("exported 0 tasks: the project has none");
                } else if !download_all_tasks {
                    eout!(
                        "exported 0 tasks: none of the project's {tasks} task(s) has an annotation the export keeps (as in Label Studio, only annotated tasks are exported); --download-all-tasks exports every task"
                    );
                } else {
                    eout!(
                        "exported 0 tasks: no task matched the selection (--ids, --annotator, --only-reviewed)"
                    );
                }
            } else if export_type == ExportType::Doclang && placed.is_empty() {
                eout!(
                    "DOCLANG wrote nothing: none of the {} exported task(s) holds a DocLang document (a data value that is a <doclang> XML document), which is all DOCLANG exports",
                    source.exported()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Convert {
            label_config,
            input_path,
            export_type,
            export_path,
            media,
        } => {
            let config = project::load_config(&label_config)?;
            let mut opts = ExportOptions {
                download_all_tasks: true,
                ..Default::default()
            };
            media.apply(&mut opts);
            let ctx = crate::export::ExportContext {
                config: &config,
                options: &opts,
                input_file: Some(input_path.clone()),
            };
            let mut source = crate::export::FileSource {
                name: input_path.display().to_string(),
                path: input_path,
            };
            let placed = crate::export::run(export_type, &ctx, &mut source, &export_path)?;
            print_placed(export_type, &placed);
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod help_tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Arguments without a description, as `command > argument`, through every level.
    fn undescribed(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                out.push(format!("{path} > {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            undescribed(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn every_flag_and_argument_has_a_description() {
        let mut missing = Vec::new();
        undescribed(&Cli::command(), "labelterm", &mut missing);
        assert!(missing.is_empty(), "without --help text: {missing:#?}");
    }

    #[test]
    fn export_type_is_defaulted_and_never_required() {
        let cmd = Cli::command();
        for name in ["export", "convert"] {
            let sub = cmd.find_subcommand(name).unwrap();
            let arg = sub
                .get_arguments()
                .find(|a| a.get_id() == "export_type")
                .unwrap();
            assert!(!arg.is_required_set(), "{name}: --export-type required");
            assert_eq!(arg.get_default_values(), ["JSON"], "{name}");
        }
    }
}
