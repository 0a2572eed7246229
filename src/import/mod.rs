//! Task import: every file format Label Studio imports (and JSONL), read in a stream,
//! validated item by item against the config, and written to the store in one transaction.
//!
//! Each format is one file behind [`TaskReader`]; the format is decided in one place,
//! [`detect`]; [`item`] applies Label Studio's task rules to what readers produce.

pub mod arrow_ipc;
pub mod arrow_rows;
pub mod cfb_check;
pub mod csv;
pub mod dir;
pub mod excel;
pub mod hf;
pub mod isolate;
pub mod item;
pub mod json;
pub mod jsonl;
pub mod parquet;
pub mod stdin;
pub mod summary;
pub mod timeseries;
pub mod txt;
pub mod url;
pub mod whole;

use crate::config::LabelConfig;
use crate::error::{Error, Location, Problem, Problems, Result};
use crate::store::{ImportWriter, Store};
use crate::task::TaskItem;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// How a raw item is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A task item from a JSON/JSONL file: the `data` envelope rule applies.
    Item,
    /// Already the task data (a CSV record, a text line, a file).
    Data,
}

/// A JSON object with its top-level values kept as raw JSON text: cheap to read, and the
/// values are copied to the store without being rebuilt.
pub type RawMap =
    indexmap::IndexMap<String, Box<RawValue>, std::hash::BuildHasherDefault<crate::util::Fnv>>;

#[derive(Debug, Clone)]
pub enum Payload {
    /// Task data already (a CSV record, a text line, a file).
    Data(RawMap),
    /// A JSON task item: its `data` (read one level deep when it is an object, so the task
    /// data is parsed once) and every other top-level field as raw JSON.
    Item {
        data: Option<DataField>,
        /// Where `data` stood among the fields (the whole item may turn out to be the data).
        data_index: usize,
        fields: RawMap,
    },
    /// A JSON value that is not an object (an error for a task; kept for the message).
    Other(Value),
}

#[derive(Debug, Clone)]
pub enum DataField {
    Object(RawMap),
    Other(Value),
}

impl<'de> serde::Deserialize<'de> for DataField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = DataField;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<DataField, A::Error> {
                let mut m = RawMap::default();
                while let Some((k, v)) = map.next_entry::<String, Box<RawValue>>()? {
                    m.insert(k, v);
                }
                Ok(DataField::Object(m))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> std::result::Result<DataField, A::Error> {
                use serde::Deserialize;
                Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(DataField::Other)
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<DataField, E> {
                Ok(DataField::Other(Value::String(v.to_string())))
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<DataField, E> {
                Ok(DataField::Other(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<DataField, E> {
                Ok(DataField::Other(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<DataField, E> {
                Ok(DataField::Other(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<DataField, E> {
                Ok(DataField::Other(Value::from(v)))
            }
            fn visit_unit<E>(self) -> std::result::Result<DataField, E> {
                Ok(DataField::Other(Value::Null))
            }
        }
        d.deserialize_any(V)
    }
}

struct ItemVisitor;

impl<'de> serde::de::Visitor<'de> for ItemVisitor {
    type Value = Payload;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a task object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Payload, A::Error> {
        let mut fields = RawMap::default();
        let mut data = None;
        let mut data_index = 0;
        while let Some(key) = map.next_key::<String>()? {
            if key == "data" {
                data_index = fields.len();
                data = Some(map.next_value::<DataField>()?);
            } else {
                let v: Box<RawValue> = map.next_value()?;
                fields.insert(key, v);
            }
        }
        Ok(Payload::Item {
            data,
            data_index,
            fields,
        })
    }
}

#[derive(Debug, Clone)]
pub struct RawItem {
    pub payload: Payload,
    pub shape: Shape,
    pub loc: Location,
}

impl RawItem {
    /// An item that is already task data (CSV record, text line, file).
    pub fn data(map: RawMap, loc: Location) -> RawItem {
        RawItem {
            payload: Payload::Data(map),
            shape: Shape::Data,
            loc,
        }
    }
}

/// A JSON string literal as a raw value.
pub fn raw_string(s: &str) -> Box<RawValue> {
    serde_json::value::to_raw_value(s).expect("strings serialise")
}

/// Any JSON value as a raw value.
pub fn raw_json(v: &Value) -> Box<RawValue> {
    serde_json::value::to_raw_value(v).expect("JSON values serialise")
}

/// Parses one JSON value: objects keep their top-level values raw.
pub fn parse_payload(bytes: &[u8]) -> serde_json::Result<Payload> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let payload = serde::Deserializer::deserialize_map(&mut de, ItemVisitor)?;
        de.end()?;
        Ok(payload)
    } else {
        serde_json::from_slice::<Value>(bytes).map(Payload::Other)
    }
}

pub enum Flow {
    Continue,
    Stop,
}

/// Where readers hand their items and warnings.
pub trait ItemSink {
    fn item(&mut self, item: RawItem) -> Flow;
    fn warn(&mut self, problem: Problem);
}

/// One input format.
pub trait TaskReader {
    /// Reads `path` (shown to users as `name`), handing items to `sink` in file order.
    /// An error is fatal for this input (a syntax error, an unreadable file).
    fn read(
        &self,
        path: &Path,
        name: &str,
        sink: &mut dyn ItemSink,
    ) -> std::result::Result<(), Problem>;
}

/// Input formats, with Label Studio's names where it has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputFormat {
    Json,
    Jsonl,
    Csv,
    Tsv,
    Text,
    Html,
    /// One task holding the file's path (an image, audio or video file).
    File,
    JsonDir,
    TextDir,
    ImageDir,
    AudioDir,
    /// A time series CSV as one task.
    TimeSeries,
    /// A Parquet file, or a directory of them.
    Parquet,
    /// Arrow IPC: Feather v2 or an Arrow stream.
    Arrow,
    /// A spreadsheet: `.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`.
    Excel,
    /// A Hugging Face dataset saved with `save_to_disk`.
    HfDataset,
}

impl InputFormat {
    pub const ALL: &'static [InputFormat] = &[
        InputFormat::Json,
        InputFormat::Jsonl,
        InputFormat::Csv,
        InputFormat::Tsv,
        InputFormat::Text,
        InputFormat::Html,
        InputFormat::File,
        InputFormat::JsonDir,
        InputFormat::TextDir,
        InputFormat::ImageDir,
        InputFormat::AudioDir,
        InputFormat::TimeSeries,
        InputFormat::Parquet,
        InputFormat::Arrow,
        InputFormat::Excel,
        InputFormat::HfDataset,
    ];

    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Json => "json",
            InputFormat::Jsonl => "jsonl",
            InputFormat::Csv => "csv",
            InputFormat::Tsv => "tsv",
            InputFormat::Text => "text",
            InputFormat::Html => "html",
            InputFormat::File => "file",
            InputFormat::JsonDir => "json-dir",
            InputFormat::TextDir => "text-dir",
            InputFormat::ImageDir => "image-dir",
            InputFormat::AudioDir => "audio-dir",
            InputFormat::TimeSeries => "timeseries",
            InputFormat::Parquet => "parquet",
            InputFormat::Arrow => "arrow",
            InputFormat::Excel => "excel",
            InputFormat::HfDataset => "hf-dataset",
        }
    }

    pub fn parse(s: &str) -> Option<InputFormat> {
        let l = s.to_ascii_lowercase();
        Some(match l.as_str() {
            "json" => InputFormat::Json,
            "jsonl" | "ndjson" => InputFormat::Jsonl,
            "csv" => InputFormat::Csv,
            "tsv" => InputFormat::Tsv,
            "text" | "txt" => InputFormat::Text,
            "html" | "htm" | "xml" => InputFormat::Html,
            "file" | "image" | "audio" | "video" => InputFormat::File,
            "json-dir" => InputFormat::JsonDir,
            "text-dir" => InputFormat::TextDir,
            "image-dir" => InputFormat::ImageDir,
            "audio-dir" => InputFormat::AudioDir,
            "timeseries" | "time-series" | "timeseries-csv" => InputFormat::TimeSeries,
            "excel" => InputFormat::Excel,
            e if PARQUET_EXTS.contains(&e) => InputFormat::Parquet,
            e if ARROW_EXTS.contains(&e) => InputFormat::Arrow,
            e if EXCEL_EXTS.contains(&e) => InputFormat::Excel,
            "hf-dataset" | "hf" | "huggingface" => InputFormat::HfDataset,
            _ => return None,
        })
    }

    /// Formats read from a directory only.
    pub fn is_dir(self) -> bool {
        matches!(
            self,
            InputFormat::JsonDir
                | InputFormat::TextDir
                | InputFormat::ImageDir
                | InputFormat::AudioDir
                | InputFormat::HfDataset
        )
    }

    /// Formats read from a file or from a directory of such files.
    fn file_or_dir(self) -> bool {
        self == InputFormat::Parquet
    }

    pub fn describe(self) -> &'static str {
        match self {
            InputFormat::JsonDir => "JSON or JSONL files",
            InputFormat::TextDir => "text files",
            InputFormat::ImageDir => "image files",
            InputFormat::AudioDir => "audio files",
            InputFormat::HfDataset => "a Hugging Face dataset",
            _ => self.name(),
        }
    }

    /// The reader of this format (`config` serves the time series reader only).
    pub fn reader<'a>(
        self,
        config: &'a LabelConfig,
        opts: &ImportOptions,
    ) -> Box<dyn TaskReader + Send + Sync + 'a> {
        let csv_coerce = opts.csv_coerce;
        match self {
            InputFormat::Json => Box::new(json::JsonReader),
            InputFormat::Jsonl => Box::new(jsonl::JsonlReader),
            InputFormat::Csv => Box::new(csv::CsvReader {
                delimiter: None,
                coerce: csv_coerce,
            }),
            InputFormat::Tsv => Box::new(csv::CsvReader {
                delimiter: Some(b'\t'),
                coerce: csv_coerce,
            }),
            InputFormat::Text => Box::new(txt::TextReader),
            InputFormat::Html => Box::new(whole::WholeTextReader),
            InputFormat::File => Box::new(whole::FilePathReader),
            InputFormat::TimeSeries => Box::new(timeseries::TimeSeriesReader { config }),
            InputFormat::Parquet
            | InputFormat::Arrow
            | InputFormat::Excel
            | InputFormat::HfDataset => Box::new(isolate::Isolated::new(self, opts)),
            dir => Box::new(dir::DirReader { format: dir }),
        }
    }
}

/// Extensions of the table formats, as `detect` reads them and `--input-format` accepts
/// them.
pub const PARQUET_EXTS: &[&str] = &["parquet", "pq"];
pub const ARROW_EXTS: &[&str] = &["arrow", "feather", "ipc", "arrows"];
pub const EXCEL_EXTS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// The extensions Label Studio accepts for upload, plus ours (`.jsonl`, `.ndjson`).
const MEDIA_EXTS: &[&str] = &[
    "bmp", "gif", "jpg", "jpeg", "png", "svg", "webp", "tif", "tiff", "flac", "m4a", "mp3", "ogg",
    "wav", "aac", "opus", "mp4", "webm", "mov", "mkv", "avi", "pdf",
];

/// The one place that decides an input's format: `--input-format` if given, else the
/// extension (as Label Studio), else, for a directory, what it holds.
pub fn detect(
    path: &Path,
    name: &str,
    explicit: Option<InputFormat>,
) -> std::result::Result<InputFormat, Problem> {
    let is_dir = path.is_dir();
    if let Some(f) = explicit {
        if f.file_or_dir() {
            return Ok(f);
        }
        if f.is_dir() && !is_dir {
            return Err(Problem::new(
                Location::file(name),
                format!("--input-format {} needs a directory", f.name()),
            ));
        }
        if !f.is_dir() && is_dir {
            return Err(Problem::new(
                Location::file(name),
                format!(
                    "is a directory; use --input-format json-dir, text-dir, image-dir, audio-dir, parquet or hf-dataset (not {})",
                    f.name()
                ),
            ));
        }
        return Ok(f);
    }
    if is_dir {
        return dir::detect(path, name);
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let lower = ext.to_ascii_lowercase();
    Ok(match lower.as_str() {
        "json" => InputFormat::Json,
        "jsonl" | "ndjson" => InputFormat::Jsonl,
        "csv" => InputFormat::Csv,
        "tsv" => InputFormat::Tsv,
        "txt" => InputFormat::Text,
        "html" | "htm" | "xml" => InputFormat::Html,
        e if PARQUET_EXTS.contains(&e) => InputFormat::Parquet,
        e if ARROW_EXTS.contains(&e) => InputFormat::Arrow,
        e if EXCEL_EXTS.contains(&e) => InputFormat::Excel,
        e if MEDIA_EXTS.contains(&e) => InputFormat::File,
        _ => {
            let shown = if ext.is_empty() {
                "(no extension)".to_string()
            } else {
                format!(".{ext}")
            };
            return Err(Problem::new(
                Location::file(name),
                format!(
                    "{shown} extension is not supported; use .json .jsonl .csv .tsv .txt .html .xml .parquet .arrow .feather .xlsx .xls .ods, a media file, a directory, or --input-format {}",
                    InputFormat::ALL
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join("|")
                ),
            ));
        }
    })
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub format: Option<InputFormat>,
    /// `--map FIELD=COLUMN` pairs.
    pub maps: Vec<(String, String)>,
    /// Reproduce pandas' type inference for CSV/TSV (Label Studio's behaviour).
    pub csv_coerce: bool,
    /// The spreadsheet sheet to read (`--sheet`): a name or a 0-based index.
    pub sheet: Option<String>,
    /// The Hugging Face dataset splits to read (`--split`); empty for all.
    pub splits: Vec<String>,
    /// Threads that check items beside the reader; `None` for as many as the machine has
    /// cores to spare (none on fewer than four), `Some(0)` to check on the calling thread.
    pub check_workers: Option<usize>,
}

/// What one input gave.
#[derive(Debug, Clone)]
pub struct SourceReport {
    pub source: String,
    pub format: InputFormat,
    pub sha256: String,
    pub bytes: u64,
    pub tasks: u64,
    pub annotations: u64,
    pub predictions: u64,
    pub warnings: Vec<Problem>,
}

#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub sources: Vec<SourceReport>,
}

impl ImportReport {
    pub fn tasks(&self) -> u64 {
        self.sources.iter().map(|s| s.tasks).sum()
    }
    pub fn annotations(&self) -> u64 {
        self.sources.iter().map(|s| s.annotations).sum()
    }
    pub fn predictions(&self) -> u64 {
        self.sources.iter().map(|s| s.predictions).sum()
    }
}

/// Where validated tasks go.
pub trait TaskSink {
    /// A new input; `base_dir` is the absolute directory relative paths in it refer to.
    fn begin(&mut self, source: &str, format: InputFormat, base_dir: Option<&Path>) -> Result<()>;
    fn tasks(&mut self, batch: Vec<TaskItem>) -> Result<()>;
    fn end(&mut self, sha256: &str, bytes: u64, warnings: &[String]) -> Result<()>;
    /// Every task that passed the rules, also those checked after a problem (which are
    /// not sent to [`TaskSink::tasks`]): for summaries of a whole input.
    fn checked(&mut self, _task: &TaskItem) {}
    /// The data of every item read, before the task rules (valid or not).
    fn seen(&mut self, _data: &RawMap) {}
    /// Whether [`TaskSink::seen`] does anything: items are then checked on this thread,
    /// which has their data in hand before the checks consume it.
    fn wants_seen(&self) -> bool {
        false
    }
    /// Every problem of an item, past the cap of the list the import returns.
    fn problem(&mut self, _problem: &Problem) {}
    /// Every warning, past the cap of the list kept per input.
    fn warning(&mut self, _problem: &Problem) {}
}

/// A sink that keeps nothing (for `validate`).
pub struct NullSink;

impl TaskSink for NullSink {
    fn begin(&mut self, _: &str, _: InputFormat, _: Option<&Path>) -> Result<()> {
        Ok(())
    }
    fn tasks(&mut self, _: Vec<TaskItem>) -> Result<()> {
        Ok(())
    }
    fn end(&mut self, _: &str, _: u64, _: &[String]) -> Result<()> {
        Ok(())
    }
}

const BATCH: usize = 2048;

/// Runs items through the task rules and batches the valid ones into the sink. Once any
/// item fails, nothing more is sent (the import will be rolled back) but every item is
/// still checked, so the user sees all problems at once.
struct Pipeline<'a> {
    rules: item::ItemRules<'a>,
    sink: &'a mut dyn TaskSink,
    problems: &'a mut Problems,
    warnings: Vec<Problem>,
    batch: Vec<TaskItem>,
    /// Items read so far, when they are checked on this thread (check threads get theirs
    /// numbered by the reader's side).
    position: usize,
    report: SourceReport,
    first_keys: Option<BTreeSet<String>>,
    fatal: Option<Error>,
    /// Tasks that listed predictions by id only, and how many ids.
    prediction_ids: (u64, u64),
}

impl Pipeline<'_> {
    fn flush(&mut self) {
        if self.batch.is_empty() || self.fatal.is_some() {
            return;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        if let Err(e) = self.sink.tasks(batch) {
            self.fatal = Some(e);
        }
    }

    /// Takes what the checks made of the next item, in reading order.
    fn accept(&mut self, checked: std::result::Result<item::Processed, Vec<Problem>>) -> Flow {
        match checked {
            Ok(p) => {
                self.sink.checked(&p.task);
                if self.first_keys.is_none() {
                    self.first_keys = serde_json::from_str::<RawMap>(&p.task.data)
                        .ok()
                        .map(|m| m.keys().cloned().collect());
                }
                self.report.tasks += 1;
                self.report.annotations += p.task.annotations.len() as u64;
                self.report.predictions += p.task.predictions.len() as u64;
                if p.prediction_ids > 0 {
                    self.prediction_ids.0 += 1;
                    self.prediction_ids.1 += p.prediction_ids as u64;
                }
                for w in p.warnings {
                    self.warn(w);
                }
                if self.problems.is_empty() {
                    self.batch.push(p.task);
                    if self.batch.len() >= BATCH {
                        self.flush();
                    }
                }
            }
            Err(errors) => {
                self.batch.clear();
                for e in errors {
                    self.sink.problem(&e);
                    self.problems.push(e);
                }
            }
        }
        if self.fatal.is_some() {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}

impl ItemSink for Pipeline<'_> {
    fn item(&mut self, raw: RawItem) -> Flow {
        self.position += 1;
        match &raw.payload {
            Payload::Data(data)
            | Payload::Item {
                data: Some(DataField::Object(data)),
                ..
            } => self.sink.seen(data),
            Payload::Item {
                data: None, fields, ..
            } => self.sink.seen(fields),
            Payload::Item { .. } | Payload::Other(_) => {}
        }
        let checked = item::process(&self.rules, raw, self.position);
        self.accept(checked)
    }

    fn warn(&mut self, problem: Problem) {
        self.sink.warning(&problem);
        // Keep the list readable on huge files; the count is reported.
        if self.warnings.len() < Problems::LIMIT {
            self.warnings.push(problem);
        }
    }
}

/// Size of a file, or of the files under a directory (0 when unreadable).
fn input_size(path: &Path) -> u64 {
    if path.is_dir() {
        dir::list_files(path, "").map_or(0, |files| {
            files
                .iter()
                .filter_map(|f| std::fs::metadata(f).ok())
                .map(|m| m.len())
                .sum()
        })
    } else {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }
}

fn hash_input(path: &Path, name: &str) -> std::result::Result<(String, u64), Problem> {
    let fail = |e: std::io::Error| Problem::new(Location::file(name), format!("cannot read: {e}"));
    if path.is_dir() {
        let mut parts: Vec<u8> = Vec::new();
        let mut total = 0;
        for f in dir::list_files(path, name)? {
            let (h, n) = crate::util::hash_file(&f).map_err(fail)?;
            total += n;
            parts.extend_from_slice(
                f.strip_prefix(path)
                    .unwrap_or(&f)
                    .to_string_lossy()
                    .as_bytes(),
            );
            parts.push(0);
            parts.extend_from_slice(h.as_bytes());
        }
        Ok((crate::util::sha256_hex(&[&parts]), total))
    } else {
        crate::util::hash_file(path).map_err(fail)
    }
}

/// Items a reader hands over at once to the thread that checks them.
const CHUNK: usize = 256;

/// Runs `reader` on a thread of its own, up to a few chunks of items ahead of `sink`,
/// which gets the items and warnings in the order the reader gave them. Reading a file
/// and checking its tasks then share the cores (with the store's writer, a third thread);
/// on one thread the reading and checking of a large JSON file were the slowest part of an
/// import. When `sink` says stop, the reader stops at its next item.
fn read_ahead(
    reader: &(dyn TaskReader + Sync),
    path: &Path,
    name: &str,
    sink: &mut dyn ItemSink,
) -> std::result::Result<(), Problem> {
    enum Chunk {
        Items(Vec<RawItem>),
        Warn(Problem),
    }
    struct Ahead {
        tx: std::sync::mpsc::SyncSender<Chunk>,
        items: Vec<RawItem>,
        /// The channel closed: the sink stopped.
        stopped: bool,
    }
    impl Ahead {
        fn send(&mut self, chunk: Chunk) {
            self.stopped |= self.tx.send(chunk).is_err();
        }
        fn flush(&mut self) {
            if !self.items.is_empty() {
                let items = std::mem::replace(&mut self.items, Vec::with_capacity(CHUNK));
                self.send(Chunk::Items(items));
            }
        }
    }
    impl ItemSink for Ahead {
        fn item(&mut self, item: RawItem) -> Flow {
            self.items.push(item);
            if self.items.len() >= CHUNK {
                self.flush();
            }
            if self.stopped {
                Flow::Stop
            } else {
                Flow::Continue
            }
        }
        fn warn(&mut self, problem: Problem) {
            // After the items before it, so that the order stays the reader's.
            self.flush();
            self.send(Chunk::Warn(problem));
        }
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(4);
    std::thread::scope(|s| {
        let reading = std::thread::Builder::new()
            .name("import-reader".into())
            .spawn_scoped(s, move || {
                let mut ahead = Ahead {
                    tx,
                    items: Vec::with_capacity(CHUNK),
                    stopped: false,
                };
                let read = reader.read(path, name, &mut ahead);
                ahead.flush();
                read
            })
            .expect("starting a thread");
        'chunks: for chunk in rx {
            match chunk {
                Chunk::Items(items) => {
                    for item in items {
                        if let Flow::Stop = sink.item(item) {
                            // Leaving the loop closes the channel, which stops the reader.
                            break 'chunks;
                        }
                    }
                }
                Chunk::Warn(p) => sink.warn(p),
            }
        }
        reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Threads that check items when nothing says otherwise: the cores left after the
/// reader's and the store writer's, up to four. On fewer than four cores there is no core
/// to spare and the checks run on the calling thread ([`read_ahead`]).
fn default_check_workers() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match cores.saturating_sub(2) {
        0 | 1 => 0,
        n => n.min(4),
    }
}

/// Items a reader hands to a check thread at once.
const CHECK_BATCH: usize = 64;

/// Reads `path` with `reader` and hands every item to `pipe`, checked. With `workers`
/// threads (see [`default_check_workers`]) the checks run on them, beside the reader's
/// thread, and `pipe` gets their outcomes in reading order; otherwise they run on this
/// thread, as `pipe` gets each item ([`read_ahead`]).
fn read_and_check(
    reader: &(dyn TaskReader + Sync),
    path: &Path,
    name: &str,
    pipe: &mut Pipeline,
    workers: usize,
) -> std::result::Result<(), Problem> {
    if workers == 0 || pipe.sink.wants_seen() {
        return read_ahead(reader, path, name, pipe);
    }
    enum In {
        Item(usize, RawItem),
        Warn(Problem),
    }
    enum Out {
        Checked(std::result::Result<item::Processed, Vec<Problem>>),
        Warn(Problem),
    }
    /// Why the pipeline ended early.
    enum Halt {
        Reader(Problem),
        /// `pipe` stopped (the store writer failed: `pipe` holds why).
        Stopped,
    }
    /// The reader's side: numbers the items (their position, for messages) and pushes them.
    struct Pushing<'p, 'q> {
        push: &'p mut crate::util::ordered::Push<'q, In>,
        position: usize,
    }
    impl ItemSink for Pushing<'_, '_> {
        fn item(&mut self, item: RawItem) -> Flow {
            self.position += 1;
            if (self.push)(In::Item(self.position, item)) {
                Flow::Continue
            } else {
                Flow::Stop
            }
        }
        fn warn(&mut self, problem: Problem) {
            // In line with the items, so that the order stays the reader's.
            (self.push)(In::Warn(problem));
        }
    }
    let rules = pipe.rules;
    let shape = crate::util::ordered::Shape {
        workers,
        batch: CHECK_BATCH,
        names: ("import-reader", "import-check"),
    };
    let run = crate::util::ordered::ordered_map(
        shape,
        &mut |push| {
            let mut pushing = Pushing { push, position: 0 };
            reader.read(path, name, &mut pushing).map_err(Halt::Reader)
        },
        &|input| {
            Ok(match input {
                In::Item(position, raw) => Out::Checked(item::process(&rules, raw, position)),
                In::Warn(p) => Out::Warn(p),
            })
        },
        &mut |out| {
            match out {
                Out::Checked(checked) => {
                    if let Flow::Stop = pipe.accept(checked) {
                        return Err(Halt::Stopped);
                    }
                }
                Out::Warn(p) => pipe.warn(p),
            }
            Ok(())
        },
    );
    match run {
        Ok(()) | Err(Halt::Stopped) => Ok(()),
        Err(Halt::Reader(p)) => Err(p),
    }
}

/// Bytes the readers have read from input files in this process: what an import's
/// progress shows against the inputs' total size. A plain counter, because it only feeds
/// a display and every reader opens its files its own way.
pub static BYTES_READ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A file whose reads add to [`BYTES_READ`].
pub struct CountedFile(std::fs::File);

impl CountedFile {
    pub fn open(path: &Path) -> std::io::Result<CountedFile> {
        std::fs::File::open(path).map(CountedFile)
    }
}

impl std::io::Read for CountedFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        BYTES_READ.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads every input, validates every item, and hands valid tasks to `sink`. Any problem
/// makes the whole call fail (the caller rolls back), listing up to 100 problems.
pub fn read_sources(
    config: &LabelConfig,
    inputs: &[String],
    opts: &ImportOptions,
    sink: &mut dyn TaskSink,
) -> Result<ImportReport> {
    let mut problems = Problems::default();
    let mut report = ImportReport::default();
    let mut common_keys: Option<(BTreeSet<String>, String)> = None;
    if inputs.iter().filter(|i| *i == "-").count() > 1 {
        return Err(Error::Usage("standard input (-) can be read once".into()));
    }
    let download_dir = if inputs.iter().any(|i| url::is_url(i) || i == "-") {
        Some(tempfile_dir()?)
    } else {
        None
    };
    let mut keep_downloads = false;
    let stdin_name = String::from("standard input");
    for (n, input) in inputs.iter().enumerate() {
        let is_stdin = input == "-";
        let local: PathBuf = if is_stdin {
            let dir = download_dir.as_ref().expect("created above").path();
            stdin::spool(dir, &mut std::io::stdin().lock(), opts.format)?
        } else if url::is_url(input) {
            let dir = download_dir
                .as_ref()
                .expect("created above")
                .path()
                .join(n.to_string());
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            match url::download(input, &dir) {
                Ok(p) => p,
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            }
        } else {
            PathBuf::from(input.strip_prefix("file://").unwrap_or(input))
        };
        let input = if is_stdin { &stdin_name } else { input };
        if !local.exists() {
            problems.push(Problem::new(
                Location::file(input.as_str()),
                "no such file or directory",
            ));
            continue;
        }
        let format = match detect(&local, input, opts.format) {
            Ok(f) => f,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        // Tasks of these formats hold the downloaded file's path, so the file must stay.
        keep_downloads |= url::is_url(input)
            && matches!(
                format,
                InputFormat::File
                    | InputFormat::TimeSeries
                    | InputFormat::ImageDir
                    | InputFormat::AudioDir
            );
        // The file's hash for the import log is computed beside the parse, on its own thread.
        let hashing = {
            let (local, input) = (local.clone(), input.clone());
            std::thread::Builder::new()
                .name("import-sha256".into())
                .spawn(move || hash_input(&local, &input))
                .expect("starting a thread")
        };
        // Relative media paths in standard input refer to the directory labelterm runs in.
        let base_dir = if is_stdin {
            std::env::current_dir().ok()
        } else if url::is_url(input) {
            None
        } else {
            std::fs::canonicalize(&local).ok().map(|p| {
                if p.is_dir() {
                    p
                } else {
                    p.parent().map(Path::to_path_buf).unwrap_or(p)
                }
            })
        };
        sink.begin(input, format, base_dir.as_deref())?;
        let reader = format.reader(config, opts);
        let mut pipe = Pipeline {
            rules: item::ItemRules {
                config,
                maps: &opts.maps,
            },
            sink: &mut *sink,
            problems: &mut problems,
            warnings: Vec::new(),
            batch: Vec::with_capacity(BATCH),
            position: 0,
            report: SourceReport {
                source: input.clone(),
                format,
                sha256: String::new(),
                bytes: 0,
                tasks: 0,
                annotations: 0,
                predictions: 0,
                warnings: Vec::new(),
            },
            first_keys: None,
            fatal: None,
            prediction_ids: (0, 0),
        };
        let workers = opts.check_workers.unwrap_or_else(default_check_workers);
        if let Err(p) = read_and_check(&*reader, &local, input, &mut pipe, workers) {
            pipe.problems.push(p);
        }
        if pipe.prediction_ids.1 > 0 {
            let (tasks, ids) = pipe.prediction_ids;
            pipe.warn(Problem::new(
                Location::file(input.as_str()),
                format!(
                    "{tasks} task(s) list {ids} prediction(s) by id only, as Label Studio's JSON export does: there is nothing to import of them. For the predictions themselves, export a snapshot from Label Studio with predictions in full (its export API's serialization option predictions only_id=false)"
                ),
            ));
        }
        if pipe.problems.is_empty() {
            pipe.flush();
        }
        if let Some(e) = pipe.fatal.take() {
            return Err(e);
        }
        if pipe.report.tasks == 0 && pipe.problems.is_empty() {
            // Label Studio only complains when the whole upload is empty; an empty input
            // among others is almost always a mistake, so it is one here.
            pipe.problems.push(Problem::new(
                Location::file(input.as_str()),
                "No tasks added: this input holds no tasks",
            ));
        }
        // Label Studio's consistency rule for several files: each file's first task must
        // share at least one data key with the files before it.
        if let Some(keys) = pipe.first_keys.take() {
            match &mut common_keys {
                None => common_keys = Some((keys, input.clone())),
                Some((common, _)) => {
                    let inter: BTreeSet<String> = common.intersection(&keys).cloned().collect();
                    if inter.is_empty() {
                        pipe.problems.push(Problem::new(
                            Location::file(input.as_str()),
                            format!(
                                "You're trying to import inconsistent data:\nuploading tabular data from \"{input}\" with data key(s) \"{}\", clashes with data key(s) found from other files:\n\"{}\"",
                                keys.iter().cloned().collect::<Vec<_>>().join(","),
                                common.iter().cloned().collect::<Vec<_>>().join(",")
                            ),
                        ));
                    } else {
                        *common = inter;
                    }
                }
            }
        }
        let warnings: Vec<String> = pipe.warnings.iter().map(|w| w.to_string()).collect();
        let mut source_report = pipe.report;
        source_report.warnings = pipe.warnings;
        let (sha, bytes) = match hashing.join() {
            Ok(Ok(h)) => h,
            Ok(Err(p)) => {
                problems.push(p);
                (String::new(), 0)
            }
            Err(_) => return Err(Error::Other("hashing the input failed".into())),
        };
        source_report.sha256 = sha.clone();
        source_report.bytes = bytes;
        sink.end(&sha, bytes, &warnings)?;
        report.sources.push(source_report);
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    if !inputs.is_empty() && report.tasks() == 0 {
        return Err(Error::one(Problem::new(
            Location::file(inputs.join(", ")),
            "No tasks added: the input holds no tasks",
        )));
    }
    if keep_downloads && let Some(dir) = download_dir {
        dir.keep();
    }
    Ok(report)
}

/// Where downloaded inputs go; a killed import's is removed by the next one.
fn tempfile_dir() -> Result<crate::staging::Staging> {
    let staging = crate::staging::Staging::claim(&std::env::temp_dir(), "labelterm-download")?;
    std::fs::create_dir_all(staging.path()).map_err(|e| Error::io(staging.path(), e))?;
    Ok(staging)
}

enum Msg {
    Begin(String, InputFormat, Option<String>),
    Tasks(Vec<TaskItem>),
    End(String, u64, Vec<String>),
    Commit,
}

struct ChannelSink<'a> {
    tx: &'a std::sync::mpsc::SyncSender<Msg>,
    /// Batches the writer is done with, dropped here: their strings were made on this
    /// thread, and the allocator frees them faster on the thread that made them (the
    /// writer spent a fourteenth of its time freeing them).
    written: &'a std::sync::mpsc::Receiver<Vec<TaskItem>>,
}

impl ChannelSink<'_> {
    fn send(&self, m: Msg) -> Result<()> {
        self.tx
            .send(m)
            .map_err(|_| Error::Other("the store writer stopped".into()))
    }
}

impl TaskSink for ChannelSink<'_> {
    fn begin(&mut self, source: &str, format: InputFormat, base_dir: Option<&Path>) -> Result<()> {
        self.send(Msg::Begin(
            source.to_string(),
            format,
            base_dir.map(|p| p.display().to_string()),
        ))
    }
    fn tasks(&mut self, batch: Vec<TaskItem>) -> Result<()> {
        while let Ok(written) = self.written.try_recv() {
            drop(written);
        }
        self.send(Msg::Tasks(batch))
    }
    fn end(&mut self, sha256: &str, bytes: u64, warnings: &[String]) -> Result<()> {
        self.send(Msg::End(sha256.to_string(), bytes, warnings.to_vec()))
    }
}

/// Imports inputs into a project, all or nothing. Parsing and validation run on this
/// thread while a second thread writes batches to SQLite in one transaction.
pub fn import_into_store(
    store: &mut Store,
    config: &LabelConfig,
    inputs: &[String],
    opts: &ImportOptions,
    importer: &str,
) -> Result<ImportReport> {
    let expected_bytes: u64 = inputs
        .iter()
        .filter(|i| !url::is_url(i))
        .map(|i| input_size(Path::new(i.strip_prefix("file://").unwrap_or(i))))
        .sum();
    // The import log before this import, to tell when a file comes in again.
    let earlier = store.imports()?;
    let report = import_sources(store, config, inputs, opts, importer, expected_bytes)?;
    Ok(warn_of_repeats(report, &earlier))
}

/// Adds a warning to each source whose bytes (sha256) an earlier import already brought
/// in, naming that import: its tasks are now in the project twice.
fn warn_of_repeats(
    mut report: ImportReport,
    earlier: &[crate::store::ImportLogRow],
) -> ImportReport {
    let mut seen: Vec<(String, String)> = Vec::new();
    for s in &mut report.sources {
        if s.sha256.is_empty() {
            continue;
        }
        if let Some((_, source)) = seen.iter().find(|(sha, _)| *sha == s.sha256) {
            s.warnings.push(Problem::new(
                Location::file(s.source.as_str()),
                format!(
                    "the same bytes as {source}, imported just before it in this import: its {} task(s) are in the project twice now",
                    s.tasks
                ),
            ));
        } else if let Some(first) = earlier
            .iter()
            .find(|e| e.sha256.as_deref() == Some(s.sha256.as_str()))
        {
            s.warnings.push(Problem::new(
                Location::file(s.source.as_str()),
                format!(
                    "this file was imported before (import #{} of {} on {}, the same sha256): its {} task(s) are in the project twice now",
                    first.id, first.source, first.imported_at, s.tasks
                ),
            ));
        }
        seen.push((s.sha256.clone(), s.source.clone()));
    }
    report
}

fn import_sources(
    store: &mut Store,
    config: &LabelConfig,
    inputs: &[String],
    opts: &ImportOptions,
    importer: &str,
    expected_bytes: u64,
) -> Result<ImportReport> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Msg>(4);
    let (written_tx, written_rx) = std::sync::mpsc::channel::<Vec<TaskItem>>();
    let progress = crate::progress::Progress::new(
        "importing",
        (expected_bytes > 0).then_some(expected_bytes),
        crate::progress::Unit::Bytes,
    );
    let read_before = BYTES_READ.load(std::sync::atomic::Ordering::Relaxed);
    let progress = &progress;
    std::thread::scope(|s| {
        let writer = std::thread::Builder::new()
            .name("import-writer".into())
            .spawn_scoped(s, move || -> Result<()> {
                let written = (|| {
                    let mut w = ImportWriter::new(&mut *store, importer, expected_bytes)?;
                    let mut current = 0;
                    for msg in rx {
                        match msg {
                            Msg::Begin(source, format, base) => {
                                current = w.begin_source(&source, format.name(), base.as_deref())?
                            }
                            Msg::Tasks(batch) => {
                                w.insert_batch(current, &batch)?;
                                // Dropped here if the reading side has finished.
                                let _ = written_tx.send(batch);
                                progress.set(
                                    BYTES_READ.load(std::sync::atomic::Ordering::Relaxed)
                                        - read_before,
                                );
                            }
                            Msg::End(sha, bytes, warnings) => {
                                w.end_source(current, &sha, bytes, &warnings)?;
                            }
                            Msg::Commit => {
                                // A large import builds its indexes here.
                                progress.message("importing: writing the indexes");
                                return w.commit();
                            }
                        }
                    }
                    // Closed without Commit: dropping the writer rolls the transaction back.
                    Ok(())
                })();
                store.bulk_mode(false);
                Ok(written?)
            })
            .expect("starting a thread");
        let result = {
            let mut sink = ChannelSink {
                tx: &tx,
                written: &written_rx,
            };
            let r = read_sources(config, inputs, opts, &mut sink);
            if r.is_ok() {
                let _ = sink.send(Msg::Commit);
            }
            r
        };
        drop(tx);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(Error::Other("the store writer panicked".into())));
        match (result, written) {
            (Ok(report), Ok(())) => Ok(report),
            (Err(e), Ok(())) => Err(e),
            (_, Err(e)) => Err(e),
        }
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Collects what a reader emits.
    #[derive(Default)]
    pub struct Collect {
        pub items: Vec<RawItem>,
        pub warnings: Vec<Problem>,
    }

    impl Collect {
        /// Item `i` as a plain JSON value.
        pub fn value(&self, i: usize) -> Value {
            let raw = |m: &RawMap| -> serde_json::Map<String, Value> {
                m.iter()
                    .map(|(k, v)| (k.clone(), serde_json::from_str(v.get()).unwrap()))
                    .collect()
            };
            match &self.items[i].payload {
                Payload::Data(m) => Value::Object(raw(m)),
                Payload::Item {
                    data,
                    data_index,
                    fields,
                } => {
                    let mut out = raw(fields);
                    if let Some(d) = data {
                        let v = match d {
                            DataField::Object(m) => Value::Object(raw(m)),
                            DataField::Other(v) => v.clone(),
                        };
                        out.shift_insert(*data_index, "data".into(), v);
                    }
                    Value::Object(out)
                }
                Payload::Other(v) => v.clone(),
            }
        }
    }

    impl ItemSink for Collect {
        fn item(&mut self, item: RawItem) -> Flow {
            self.items.push(item);
            Flow::Continue
        }
        fn warn(&mut self, problem: Problem) {
            self.warnings.push(problem);
        }
    }

    /// A reader that hands over `n` items, a warning after every tenth, and then fails
    /// when told to; it counts the items it made.
    struct Numbers {
        n: usize,
        fail: bool,
        made: std::sync::atomic::AtomicUsize,
    }

    impl TaskReader for Numbers {
        fn read(
            &self,
            _: &Path,
            name: &str,
            sink: &mut dyn ItemSink,
        ) -> std::result::Result<(), Problem> {
            for i in 0..self.n {
                self.made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut map = RawMap::default();
                map.insert("n".into(), raw_json(&Value::from(i)));
                if let Flow::Stop = sink.item(RawItem::data(map, Location::line(name, i + 1))) {
                    return Ok(());
                }
                if i % 10 == 9 {
                    sink.warn(Problem::new(Location::line(name, i + 1), format!("w{i}")));
                }
            }
            if self.fail {
                return Err(Problem::new(Location::file(name), "broken at the end"));
            }
            Ok(())
        }
    }

    /// Records what it gets in order; says stop after `stop_after` items.
    #[derive(Default)]
    struct Record {
        seen: Vec<String>,
        stop_after: Option<usize>,
        items: usize,
    }

    impl ItemSink for Record {
        fn item(&mut self, item: RawItem) -> Flow {
            let Payload::Data(map) = item.payload else {
                panic!("data items only");
            };
            self.seen.push(format!("i{}", map["n"].get()));
            self.items += 1;
            match self.stop_after {
                Some(k) if self.items >= k => Flow::Stop,
                _ => Flow::Continue,
            }
        }
        fn warn(&mut self, problem: Problem) {
            self.seen.push(problem.message);
        }
    }

    #[test]
    fn reading_ahead_keeps_the_readers_order_and_its_error() {
        let reader = Numbers {
            n: 3 * CHUNK + 5,
            fail: true,
            made: Default::default(),
        };
        let mut sink = Record::default();
        let err = read_ahead(&reader, Path::new("x"), "x.json", &mut sink).unwrap_err();
        assert_eq!(err.message, "broken at the end");
        let mut want = Vec::new();
        for i in 0..3 * CHUNK + 5 {
            want.push(format!("i{i}"));
            if i % 10 == 9 {
                want.push(format!("w{i}"));
            }
        }
        assert_eq!(sink.seen, want);
    }

    #[test]
    fn a_sink_that_stops_stops_the_reader() {
        let reader = Numbers {
            n: 1_000_000,
            fail: false,
            made: Default::default(),
        };
        let mut sink = Record {
            stop_after: Some(3),
            ..Record::default()
        };
        read_ahead(&reader, Path::new("x"), "x.json", &mut sink).unwrap();
        assert_eq!(sink.items, 3);
        // The reader ran at most the channel's chunks and one more ahead.
        let made = reader.made.load(std::sync::atomic::Ordering::Relaxed);
        assert!(made <= 7 * CHUNK, "{made}");
    }

    /// Keeps, in order, what an import hands its sink; fails `tasks` from the batch
    /// numbered `fail_at` on.
    #[derive(Default)]
    struct Keep {
        log: Vec<String>,
        batches: usize,
        fail_at: Option<usize>,
    }

    impl TaskSink for Keep {
        fn begin(&mut self, source: &str, _: InputFormat, _: Option<&Path>) -> Result<()> {
            self.log.push(format!("begin {source}"));
            Ok(())
        }
        fn tasks(&mut self, batch: Vec<TaskItem>) -> Result<()> {
            self.batches += 1;
            if self.fail_at.is_some_and(|k| self.batches >= k) {
                return Err(Error::Other("the disk is full".into()));
            }
            for t in batch {
                let results: Vec<&str> = t.annotations.iter().map(|a| a.result.as_str()).collect();
                self.log
                    .push(format!("task {:?} {} {results:?}", t.source_line, t.data));
            }
            Ok(())
        }
        fn end(&mut self, _: &str, _: u64, warnings: &[String]) -> Result<()> {
            self.log.push(format!("end, {} warnings", warnings.len()));
            Ok(())
        }
        fn problem(&mut self, problem: &Problem) {
            self.log.push(format!("problem {problem}"));
        }
        fn warning(&mut self, problem: &Problem) {
            self.log.push(format!("warning {problem}"));
        }
    }

    /// A task file of `n` tasks, one a line: every seventh with a warning (legacy
    /// completions), every 1000th with a label the config lacks (a problem) when
    /// `problems` is set; `tail` closes it.
    fn task_file(dir: &Path, n: usize, problems: bool, tail: &str) -> String {
        let path = dir.join(format!("tasks-{n}.json"));
        let mut text = String::from("[\n");
        for i in 0..n {
            let label = if problems && i % 1000 == 999 {
                "Nope"
            } else {
                "Yes"
            };
            let list = if i % 7 == 3 {
                "completions"
            } else {
                "annotations"
            };
            text.push_str(&format!(
                r#"{{"data": {{"text": "t{i}"}}, "{list}": [{{"result": [{{"from_name": "c", "to_name": "text", "type": "choices", "value": {{"choices": ["Yes"]}}}}]}}], "predictions": [{{"result": [{{"from_name": "c", "to_name": "text", "type": "choices", "value": {{"choices": ["{label}"]}}}}]}}]}}"#
            ));
            text.push_str(if i + 1 < n { ",\n" } else { "\n" });
        }
        text.push_str(tail);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn import_with(workers: usize, path: &str, fail_at: Option<usize>) -> (Vec<String>, String) {
        let config = LabelConfig::parse(
            r#"<View><Text name="text" value="$text"/><Choices name="c" toName="text"><Choice value="Yes"/></Choices></View>"#,
        )
        .unwrap();
        let opts = ImportOptions {
            check_workers: Some(workers),
            ..Default::default()
        };
        let mut sink = Keep {
            fail_at,
            ..Keep::default()
        };
        let outcome = match read_sources(&config, &[path.to_string()], &opts, &mut sink) {
            Ok(r) => format!("{} tasks", r.tasks()),
            Err(e) => e.to_string(),
        };
        (sink.log, outcome)
    }

    #[test]
    fn checks_on_worker_threads_give_what_the_calling_thread_gives() {
        let dir = tempfile::tempdir().unwrap();
        // Valid tasks over several batches (with warnings); then tasks with problems; then
        // a file that breaks after its tasks; then a writer that fails.
        let cases = [
            (task_file(dir.path(), 5_000, false, "]"), None),
            (task_file(dir.path(), 3_500, true, "]"), None),
            (task_file(dir.path(), 3_000, false, "{]"), None),
            (task_file(dir.path(), 9_000, false, "]"), Some(2)),
        ];
        for (i, (path, fail_at)) in cases.iter().enumerate() {
            let (log, outcome) = import_with(0, path, *fail_at);
            assert!(log.len() > 500, "{i}: {}", log.len());
            for workers in [1, 3] {
                let (log_w, outcome_w) = import_with(workers, path, *fail_at);
                assert_eq!(outcome_w, outcome, "case {i}, {workers} workers");
                assert_eq!(log_w.len(), log.len(), "case {i}, {workers} workers");
                if let Some(k) = (0..log.len()).find(|&k| log[k] != log_w[k]) {
                    panic!(
                        "case {i}, {workers} workers, entry {k}: {} / {}",
                        log[k], log_w[k]
                    );
                }
            }
            match i {
                0 => assert_eq!(outcome, "5000 tasks"),
                1 => assert!(outcome.contains("Region 1"), "{outcome}"),
                2 => assert!(
                    outcome.contains(":3002:3: unexpected end of file"),
                    "{outcome}"
                ),
                _ => assert_eq!(outcome, "the disk is full"),
            }
        }
    }

    #[test]
    fn detection_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        let f = |n: &str| {
            let p = dir.path().join(n);
            std::fs::write(&p, "x").unwrap();
            p
        };
        assert_eq!(detect(&f("a.JSON"), "a", None).unwrap(), InputFormat::Json);
        assert_eq!(
            detect(&f("a.jsonl"), "a", None).unwrap(),
            InputFormat::Jsonl
        );
        assert_eq!(detect(&f("a.htm"), "a", None).unwrap(), InputFormat::Html);
        assert_eq!(detect(&f("a.png"), "a", None).unwrap(), InputFormat::File);
        assert!(
            detect(&f("a.docx"), "a", None)
                .unwrap_err()
                .message
                .starts_with(".docx extension is not supported")
        );
        assert_eq!(
            detect(&f("a.csv"), "a", Some(InputFormat::TimeSeries)).unwrap(),
            InputFormat::TimeSeries
        );
        assert!(detect(dir.path(), "d", Some(InputFormat::Json)).is_err());
    }
}

#[cfg(test)]
mod table_tests;
