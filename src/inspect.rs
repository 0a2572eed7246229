//! `labelterm inspect`: task files opened without a project. The files (or standard input)
//! are imported with the normal importer into a temporary project, under a label config
//! given or inferred from the tasks ([`crate::config::infer`]); the project goes when the
//! inspection ends, on an error, a panic or a signal. A process killed outright leaves its
//! folder behind, and the next `inspect` removes it (see [`crate::staging`]).

use crate::config::infer::{Inference, Inferred};
use crate::config::{LabelConfig, PyType};
use crate::error::{Error, Location, Problem, Problems, Result};
use crate::import::{
    DataField, Flow, ImportOptions, ImportReport, InputFormat, ItemSink, Payload, RawItem, RawMap,
    SourceReport, TaskSink,
};
use crate::project;
use crate::staging::Staging;
use crate::store::{ImportWriter, Project, Sampling, Store};
use crate::task::TaskItem;
use serde_json::Value;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// The name of temporary inspect folders (`labelterm-inspect-PID-N`) in the temp folder.
pub const STEM: &str = "labelterm-inspect";

/// What to inspect.
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    /// Task files, directories or URLs; `-` is standard input.
    pub inputs: Vec<String>,
    /// The label config; inferred from the tasks when `None`.
    pub label_config: Option<PathBuf>,
    pub import: ImportOptions,
    /// Credited with imported annotations that name nobody (not the inspector, whose
    /// own they would then seem).
    pub importer: String,
    /// Where the temporary folder goes (default: the system's temp folder).
    pub temp_root: Option<PathBuf>,
}

/// A temporary project holding the inspected tasks; dropping it removes it.
#[derive(Debug)]
pub struct TempProject {
    /// The project file.
    pub path: PathBuf,
    pub config: LabelConfig,
    /// The inferred config, when none was given.
    pub inferred: Option<Inferred>,
    pub report: ImportReport,
    /// Problems of the tasks left out (the others were imported).
    pub left_out: Option<Problems>,
    staging: Staging,
}

impl TempProject {
    /// The temporary folder (removed on drop).
    pub fn dir(&self) -> &Path {
        self.staging.path()
    }
}

/// The temporary folder and the inputs as local files in it or where they are. Until it
/// is dropped, a signal removes the folder and ends the process.
pub struct Prepared {
    /// The inputs to read: standard input and downloads as files in the folder.
    pub inputs: Vec<String>,
    // Before `staging`, so that it is closed before the folder goes.
    cleanup: SignalCleanup,
    pub staging: Staging,
}

/// Claims a temporary folder (removing those of dead inspections) and puts standard input
/// and downloads there.
pub fn prepare(opts: &InspectOptions) -> Result<Prepared> {
    prepare_from(opts, &mut std::io::stdin().lock())
}

/// As [`prepare`], with `stdin` standing for standard input.
pub fn prepare_from(opts: &InspectOptions, stdin: &mut dyn BufRead) -> Result<Prepared> {
    if opts.inputs.is_empty() {
        return Err(Error::Usage(
            "inspect needs at least one file (or - for standard input)".into(),
        ));
    }
    if opts.inputs.iter().filter(|i| *i == "-").count() > 1 {
        return Err(Error::Usage("standard input (-) can be read once".into()));
    }
    let root = opts.temp_root.clone().unwrap_or_else(std::env::temp_dir);
    let staging = Staging::claim(&root, STEM)?;
    std::fs::create_dir_all(staging.path()).map_err(|e| Error::io(staging.path(), e))?;
    // Reading standard input or a download may take long: Ctrl-C then must not leave the
    // folder behind.
    let cleanup = SignalCleanup::install(staging.path());
    let mut inputs = Vec::new();
    for (n, input) in opts.inputs.iter().enumerate() {
        if input == "-" {
            inputs.push(
                crate::import::stdin::spool(staging.path(), stdin, opts.import.format)?
                    .display()
                    .to_string(),
            );
        } else if crate::import::url::is_url(input) {
            let dir = staging.path().join(format!("download-{n}"));
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            let file = crate::import::url::download(input, &dir).map_err(Error::one)?;
            inputs.push(file.display().to_string());
        } else {
            inputs.push(input.clone());
        }
    }
    Ok(Prepared {
        inputs,
        cleanup,
        staging,
    })
}

/// The Python type of a raw JSON value, from its first character.
fn raw_type(raw: &serde_json::value::RawValue) -> PyType {
    let t = raw.get().trim_start();
    match t.as_bytes().first() {
        Some(b'"') => PyType::Str,
        Some(b'{') => PyType::Dict,
        Some(b'[') => PyType::List,
        Some(b't') | Some(b'f') => PyType::Bool,
        Some(b'n') => PyType::NoneType,
        _ if t.contains(['.', 'e', 'E']) => PyType::Float,
        _ => PyType::Int,
    }
}

/// Feeds what readers emit into an [`Inference`].
struct InferSink<'a> {
    inference: &'a mut Inference,
    maps: &'a [(String, String)],
}

impl InferSink<'_> {
    fn data(&mut self, data: &RawMap) {
        let renamed = |k: &str| -> String {
            self.maps
                .iter()
                .find(|(_, column)| column == k)
                .map_or_else(|| k.to_string(), |(field, _)| field.clone())
        };
        if self.inference.wants_values() {
            let map: serde_json::Map<String, Value> = data
                .iter()
                .map(|(k, v)| {
                    (
                        renamed(k),
                        serde_json::from_str(v.get()).unwrap_or(Value::Null),
                    )
                })
                .collect();
            self.inference.add_data(&map);
        } else {
            let keys: Vec<(String, PyType)> = data
                .iter()
                .map(|(k, v)| (renamed(k), raw_type(v)))
                .collect();
            self.inference
                .add_data_types(keys.iter().map(|(k, t)| (k.as_str(), *t)));
        }
    }

    fn results(&mut self, fields: &RawMap) {
        let annotations = fields.get("annotations").or(fields.get("completions"));
        for part in [annotations, fields.get("predictions")]
            .into_iter()
            .flatten()
        {
            if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(part.get()) {
                for item in &items {
                    if let Some(result) = item.get("result") {
                        self.inference.add_result(result);
                    }
                }
            }
        }
    }
}

impl ItemSink for InferSink<'_> {
    fn item(&mut self, item: RawItem) -> Flow {
        match &item.payload {
            Payload::Data(map) => self.data(map),
            Payload::Item {
                data: Some(DataField::Object(d)),
                fields,
                ..
            } if !d.is_empty() => {
                self.data(d);
                self.results(fields);
            }
            // No data envelope: the whole item is the task data, as the importer reads it.
            Payload::Item {
                data: None, fields, ..
            } => self.data(fields),
            // The importer refuses these; it will say why.
            Payload::Item { .. } | Payload::Other(_) => {}
        }
        Flow::Continue
    }

    fn warn(&mut self, _: Problem) {}
}

/// Infers a label config from the tasks of `inputs` (local files and directories).
pub fn infer_config(inputs: &[String], opts: &ImportOptions) -> Result<Inferred> {
    let empty = LabelConfig::parse("<View></View>").map_err(|error| Error::Config {
        file: "(empty config)".into(),
        error,
    })?;
    let mut inference = Inference::new();
    for input in inputs {
        let path = Path::new(input.strip_prefix("file://").unwrap_or(input));
        if !path.exists() {
            return Err(Error::one(Problem::new(
                Location::file(input.as_str()),
                "no such file or directory",
            )));
        }
        let format = crate::import::detect(path, input, opts.format).map_err(Error::one)?;
        if format == InputFormat::TimeSeries {
            return Err(Error::Usage(
                "a time series CSV needs --label-config (its columns are read as the config says)"
                    .into(),
            ));
        }
        let reader = format.reader(&empty, opts);
        let mut sink = InferSink {
            inference: &mut inference,
            maps: &opts.maps,
        };
        reader.read(path, input, &mut sink).map_err(Error::one)?;
    }
    Ok(inference.config())
}

/// Creates the temporary project of `opts`: inputs prepared, config given or inferred,
/// tasks imported. A signal (Ctrl-C, SIGTERM, SIGHUP) while this runs removes the folder
/// and ends the process.
pub fn create(opts: &InspectOptions) -> Result<TempProject> {
    let prepared = prepare(opts)?;
    create_from(opts, prepared)
}

/// As [`create`], over inputs already prepared.
pub fn create_from(opts: &InspectOptions, prepared: Prepared) -> Result<TempProject> {
    let Prepared {
        inputs,
        cleanup,
        staging,
    } = prepared;
    let (config, inferred) = match &opts.label_config {
        Some(p) => (project::load_config(p)?, None),
        None => {
            let inferred = infer_config(&inputs, &opts.import)?;
            let config = inferred.parse().map_err(|error| Error::Config {
                file: "(inferred config)".into(),
                error,
            })?;
            (config, Some(inferred))
        }
    };
    let path = staging.path().join("inspect.db");
    let title = format!(
        "inspect {}",
        opts.inputs
            .iter()
            .map(|i| {
                Path::new(i)
                    .file_name()
                    .map_or_else(|| i.clone(), |n| n.to_string_lossy().into_owned())
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut store = Store::create(
        &path,
        &Project {
            title,
            label_config: config.source.clone(),
            sampling: Sampling::Sequential,
            model_version: None,
            created_at: crate::util::now(),
        },
    )?;
    store.user_id(&opts.importer)?;
    let (report, left_out) = import_lenient(&mut store, &config, &inputs, opts)?;
    drop(store);
    drop(cleanup);
    Ok(TempProject {
        path,
        config,
        inferred,
        report,
        left_out,
        staging,
    })
}

/// Imports every task that passes the rules, leaving out those that do not (an import
/// takes all or nothing; an inspection shows what it can). Fails only when no task is
/// left.
fn import_lenient(
    store: &mut Store,
    config: &LabelConfig,
    inputs: &[String],
    opts: &InspectOptions,
) -> Result<(ImportReport, Option<Problems>)> {
    let expected: u64 = inputs
        .iter()
        .filter_map(|i| std::fs::metadata(i).ok())
        .map(|m| m.len())
        .sum();
    let outcome = (|| {
        let writer = ImportWriter::new(&mut *store, &opts.importer, expected)?;
        let mut sink = LenientSink {
            writer,
            current: 0,
            batch: Vec::new(),
            failed: None,
            report: ImportReport::default(),
        };
        let read = crate::import::read_sources(config, inputs, &opts.import, &mut sink);
        let (report, problems) = match read {
            Ok(report) => (report, None),
            Err(Error::Invalid(problems)) => (std::mem::take(&mut sink.report), Some(problems)),
            Err(e) => return Err(e),
        };
        if let Some(e) = sink.failed.take() {
            return Err(e);
        }
        if report.tasks() == 0 {
            return Err(Error::Invalid(problems.unwrap_or_default()));
        }
        sink.writer.commit()?;
        Ok((report, problems))
    })();
    // Also after a failure: the connection goes back to its usual settings.
    store.bulk_mode(false);
    outcome
}

/// Writes every task that passed the rules, also after a problem (the importer still
/// checks every item then, and hands each valid one to [`TaskSink::checked`]).
struct LenientSink<'a> {
    writer: ImportWriter<'a>,
    current: i64,
    batch: Vec<TaskItem>,
    failed: Option<Error>,
    /// What was kept, for when the read as a whole fails.
    report: ImportReport,
}

impl LenientSink<'_> {
    fn flush(&mut self) {
        if self.batch.is_empty() || self.failed.is_some() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        if let Err(e) = self.writer.insert_batch(self.current, &batch) {
            self.failed = Some(e.into());
        }
    }
}

impl TaskSink for LenientSink<'_> {
    fn begin(&mut self, source: &str, format: InputFormat, base_dir: Option<&Path>) -> Result<()> {
        let base = base_dir.map(|p| p.display().to_string());
        self.current = self
            .writer
            .begin_source(source, format.name(), base.as_deref())?;
        self.report.sources.push(SourceReport {
            source: source.to_string(),
            format,
            sha256: String::new(),
            bytes: 0,
            tasks: 0,
            annotations: 0,
            predictions: 0,
            warnings: Vec::new(),
        });
        Ok(())
    }

    // Every valid task arrives through `checked`, these too.
    fn tasks(&mut self, _: Vec<TaskItem>) -> Result<()> {
        Ok(())
    }

    fn checked(&mut self, task: &TaskItem) {
        if let Some(s) = self.report.sources.last_mut() {
            s.tasks += 1;
            s.annotations += task.annotations.len() as u64;
            s.predictions += task.predictions.len() as u64;
        }
        self.batch.push(task.clone());
        if self.batch.len() >= 2048 {
            self.flush();
        }
    }

    fn end(&mut self, sha256: &str, bytes: u64, warnings: &[String]) -> Result<()> {
        self.flush();
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        self.writer
            .end_source(self.current, sha256, bytes, warnings)?;
        Ok(())
    }
}

/// Removes a folder and ends the process at Ctrl-C, SIGTERM or SIGHUP, until dropped.
struct SignalCleanup {
    handle: Option<signal_hook::iterator::Handle>,
}

impl SignalCleanup {
    fn install(dir: &Path) -> SignalCleanup {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return SignalCleanup { handle: None };
        };
        let handle = signals.handle();
        let dir = dir.to_path_buf();
        std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                let _ = std::fs::remove_dir_all(&dir);
                std::process::exit(128 + sig);
            }
        });
        SignalCleanup {
            handle: Some(handle),
        }
    }
}

impl Drop for SignalCleanup {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(root: &Path, inputs: &[&str]) -> InspectOptions {
        InspectOptions {
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            importer: "imported".into(),
            temp_root: Some(root.to_path_buf()),
            ..Default::default()
        }
    }

    #[test]
    fn standard_input_is_read_as_what_it_holds() {
        let root = tempfile::tempdir().unwrap();
        for (content, ext) in [
            ("[{\"text\": \"a\"}]", "json"),
            ("  {\"data\": {\"text\": \"a\"}}\n", "json"),
            ("{\"text\": \"a\"}\n{\"text\": \"b\"}\n", "jsonl"),
            ("text,label\nhello,x\n", "csv"),
            ("text\tlabel\nhello\tx\n", "tsv"),
            ("just a line\nanother\n", "txt"),
        ] {
            let p = prepare_from(&opts(root.path(), &["-"]), &mut content.as_bytes()).unwrap();
            assert!(
                p.inputs[0].ends_with(&format!("stdin.{ext}")),
                "{content:?} → {:?}",
                p.inputs
            );
            assert_eq!(std::fs::read_to_string(&p.inputs[0]).unwrap(), content);
        }
    }

    #[test]
    fn the_temporary_project_holds_the_tasks_and_goes_when_dropped() {
        let root = tempfile::tempdir().unwrap();
        let files = tempfile::tempdir().unwrap();
        let tasks = files.path().join("t.json");
        std::fs::write(
            &tasks,
            r#"[{"data": {"image": "a.png"}, "predictions": [{"result": [
                {"from_name": "box", "to_name": "image", "type": "rectanglelabels",
                 "value": {"x": 1, "y": 1, "width": 5, "height": 5, "rectanglelabels": ["Cat"]}}]}]},
               {"data": {"image": "b.png"}}]"#,
        )
        .unwrap();
        let o = opts(root.path(), &[tasks.to_str().unwrap()]);
        let t = create(&o).unwrap();
        assert_eq!(t.report.tasks(), 2);
        assert_eq!(t.report.predictions(), 1);
        assert!(t.path.starts_with(root.path()) && t.path.is_file());
        assert_eq!(t.config.controls[0].name, "box");
        let store = crate::store::Store::open(&t.path).unwrap();
        assert!(store.project().unwrap().title.starts_with("inspect t.json"));
        drop(store);
        let dir = t.dir().to_path_buf();
        drop(t);
        assert!(!dir.exists());
        assert_eq!(
            std::fs::read_dir(root.path()).unwrap().count(),
            0,
            "nothing left"
        );
    }

    #[test]
    fn tasks_with_problems_are_left_out_and_nothing_is_left_behind() {
        let root = tempfile::tempdir().unwrap();
        let files = tempfile::tempdir().unwrap();
        let tasks = files.path().join("t.json");
        std::fs::write(
            &tasks,
            r#"[{"data": {"text": "a"}}, {"data": {"other": 1}}]"#,
        )
        .unwrap();
        let cfg = files.path().join("c.xml");
        std::fs::write(&cfg, r#"<View><Text name="t" value="$text"/></View>"#).unwrap();
        let o = InspectOptions {
            label_config: Some(cfg),
            ..opts(root.path(), &[tasks.to_str().unwrap()])
        };
        // The task without the key is left out, the other shown.
        let t = create(&o).unwrap();
        assert_eq!(t.report.tasks(), 1);
        let left = t.left_out.as_ref().unwrap();
        assert_eq!(left.len(), 1);
        assert!(left.list[0].message.contains("\"text\" key is expected"));
        drop(t);
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
        // With no task to show, nothing is left behind either.
        let none = files.path().join("none.json");
        std::fs::write(&none, r#"[{"data": {"other": 1}}]"#).unwrap();
        let o = InspectOptions {
            inputs: vec![none.display().to_string()],
            ..o
        };
        assert!(matches!(create(&o), Err(Error::Invalid(_))));
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
        // Without a config, no key is in most tasks: the first is shown, and the task
        // without it left out.
        let t = create(&opts(root.path(), &[tasks.to_str().unwrap()])).unwrap();
        assert_eq!(t.report.tasks(), 1);
        assert_eq!(t.config.objects[0].name, "text");
        assert_eq!(t.left_out.as_ref().unwrap().len(), 1);
    }
}
