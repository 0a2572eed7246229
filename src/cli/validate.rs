//! `labelterm validate`: a label config and task files checked without a project, with a
//! summary to act on (tasks, data keys and their types, problems grouped by kind), as text
//! or as one JSON object.

use super::{InputArgs, print_report, print_warnings};
use crate::config::LabelConfig;
use crate::error::{Error, Result};
use crate::import::summary::{Groups, Summary};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::ExitCode;

/// How `validate` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// `labelterm validate`'s arguments.
#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// The label config; without it, one is inferred from the tasks (as `inspect` does).
    #[arg(long = "label-config", value_name = "CONFIG.xml")]
    pub label_config: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// text (problems, then a summary) or json (one object).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

fn print_json(v: &Value) {
    let text = serde_json::to_string_pretty(v).expect("JSON serialises");
    out!("{}", crate::term_safe::json_term_safe(&text));
}

fn config_json(
    path: Option<&PathBuf>,
    config: &LabelConfig,
    inferred: Option<&crate::config::infer::Inferred>,
) -> Value {
    json!({
        "path": path.map(|p| p.display().to_string()),
        "ok": true,
        "inferred": inferred.is_some(),
        "objects": config.objects.len(),
        "controls": config.controls.len(),
        "data_keys": config.data_keys.iter().map(|k| k.key.as_str()).collect::<Vec<_>>(),
        "warnings": config.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
        "inferred_config": inferred.map(|i| i.xml.as_str()),
    })
}

/// The `validate` command. Exit 0 when everything is valid, 1 when a problem was found.
pub fn run(args: ValidateArgs) -> Result<ExitCode> {
    let json = args.format == Format::Json;
    let inputs = &args.input.input_path;
    let opts = args.input.read.options();
    let (config, inferred) = match &args.label_config {
        Some(p) => match crate::project::load_config(p) {
            Ok(c) => (c, None),
            Err(e) if json => {
                print_json(&json!({
                    "ok": false,
                    "config": {"path": p.display().to_string(), "ok": false, "error": e.to_string()},
                }));
                return Ok(ExitCode::from(1));
            }
            Err(e) => return Err(e),
        },
        None => {
            if inputs.is_empty() {
                return Err(Error::Usage(
                    "validate needs --label-config, --input-path, or both".into(),
                ));
            }
            if inputs.iter().any(|i| crate::import::url::is_url(i)) {
                return Err(Error::Usage(
                    "a URL input needs --label-config (a config is inferred from local files only)"
                        .into(),
                ));
            }
            let inferred = crate::inspect::infer_config(inputs, &opts)?;
            let config = inferred.parse().map_err(|error| Error::Config {
                file: "(inferred config)".into(),
                error,
            })?;
            (config, Some(inferred))
        }
    };
    let config_part = config_json(args.label_config.as_ref(), &config, inferred.as_ref());
    if !json {
        let shown = args.label_config.as_ref().map_or_else(
            || "(inferred config)".to_string(),
            |p| p.display().to_string(),
        );
        print_warnings(args.label_config.as_deref(), Some(&config), None);
        let keys: Vec<&str> = config.data_keys.iter().map(|k| k.key.as_str()).collect();
        out!(
            "{shown}: ok ({} object tag(s), {} control tag(s), data keys: {})",
            config.objects.len(),
            config.controls.len(),
            if keys.is_empty() {
                "none".to_string()
            } else {
                keys.join(", ")
            }
        );
        if let Some(i) = &inferred {
            for (what, why) in &i.left_out {
                out!("note: inferred config leaves out {what}: {why}");
            }
        }
    }
    if inputs.is_empty() {
        if json {
            print_json(&json!({"ok": true, "config": config_part}));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut summary = Summary::new();
    let outcome = crate::import::read_sources(&config, inputs, &opts, &mut summary);
    let (ok, problems) = match outcome {
        Ok(report) => {
            if !json {
                print_warnings(None, None, Some(&report));
                print_report(&report, "valid:");
            }
            (true, None)
        }
        Err(Error::Invalid(problems)) => {
            // Problems of no task (a missing file, a syntax error) are not seen item by item.
            for p in problems.list.iter().filter(|p| p.task.is_none()) {
                summary.add_file_problem(p);
            }
            (false, Some(problems))
        }
        Err(e) => return Err(e),
    };
    if json {
        let mut v = summary.to_json();
        v["ok"] = json!(ok);
        v["config"] = config_part;
        print_json(&v);
    } else {
        if let Some(problems) = &problems {
            for p in &problems.list {
                out!("{}", p);
            }
            if problems.omitted > 0 {
                out!("... and {} more problem(s)", problems.omitted);
            }
        }
        print_summary(&summary);
        if let Some(problems) = &problems {
            eout!("{} problem(s) found", problems.len());
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_groups(title: &str, g: &Groups) {
    let kinds = g.sorted();
    if kinds.is_empty() {
        return;
    }
    out!("  {title}: {} of {} kind(s)", g.count, kinds.len());
    for k in kinds {
        match &k.field {
            Some(f) => out!("    {:>6}  {f}: {}", k.count, k.message),
            None => out!("    {:>6}  {}", k.count, k.message),
        }
        for e in &k.examples {
            out!("            e.g. {e}");
        }
    }
}

fn print_summary(s: &Summary) {
    out!("\nsummary");
    let annotations: u64 = s.inputs.iter().map(|i| i.annotations).sum();
    let predictions: u64 = s.inputs.iter().map(|i| i.predictions).sum();
    out!(
        "  tasks: {} ({} valid, {} with problems); {annotations} annotation(s), {predictions} prediction(s)",
        s.tasks(),
        s.valid(),
        s.rejected()
    );
    if !s.keys.is_empty() {
        out!("  data keys:");
        let width = s
            .keys
            .keys()
            .map(|k| k.chars().count())
            .max()
            .unwrap_or(0)
            .min(40);
        for (k, c) in &s.keys {
            // What a text line, an HTML or a media file gives the config's first key.
            let k = if k == "$undefined$" {
                "(file content)"
            } else {
                k.as_str()
            };
            let types: Vec<String> = if c.types.len() == 1 {
                c.types.keys().map(|t| t.to_string()).collect()
            } else {
                c.types.iter().map(|(t, n)| format!("{t} {n}")).collect()
            };
            out!("    {k:<width$}  {:>8}  {}", c.tasks, types.join(", "));
        }
        if s.other_keys > 0 {
            out!("    ... and more keys in {} task(s)", s.other_keys);
        }
    }
    print_groups("problems", &s.problems);
    print_groups("warnings", &s.warnings);
}
