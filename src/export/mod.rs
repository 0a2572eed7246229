//! Export: the project leaves labelterm in Label Studio's formats. Output is written to a
//! temporary place beside the target and moved into place only when complete, so a
//! failed export leaves nothing half-written.

pub mod args;
pub mod asr;
pub mod brush;
pub mod brush_coco;
pub mod categories;
pub mod coco;
pub mod conll;
pub mod contours;
pub mod csv;
pub mod doclang;
pub mod json;
pub mod json_min;
pub mod json_raw;
pub mod media;
pub mod model;
pub mod parquet;
pub mod pipeline;
pub mod pyjson;
pub mod pyval;
pub mod regions;
pub mod resources;
pub mod split;
pub mod treebank;
pub mod voc;
pub mod yolo;

use crate::config::LabelConfig;
use crate::error::{Error, Result};
use crate::store::Store;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Label Studio's export type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportType {
    Json,
    JsonMin,
    Csv,
    Tsv,
    Conll2003,
    Coco,
    CocoWithImages,
    Yolo,
    YoloWithImages,
    YoloObb,
    YoloObbWithImages,
    Voc,
    BrushToNumpy,
    BrushToPng,
    BrushToCoco,
    AsrManifest,
    Doclang,
    /// labelterm's own: one row per task (see [`parquet`]).
    Parquet,
}

impl ExportType {
    /// In the order of Label Studio's `Format` enum (its `CSV_OLD` writes nothing and is left out).
    pub const ALL: &'static [ExportType] = &[
        ExportType::Json,
        ExportType::JsonMin,
        ExportType::Csv,
        ExportType::Tsv,
        ExportType::Conll2003,
        ExportType::Coco,
        ExportType::Voc,
        ExportType::BrushToNumpy,
        ExportType::BrushToPng,
        ExportType::AsrManifest,
        ExportType::Yolo,
        ExportType::YoloObb,
        ExportType::YoloWithImages,
        ExportType::CocoWithImages,
        ExportType::YoloObbWithImages,
        ExportType::BrushToCoco,
        ExportType::Doclang,
    ];

    /// Formats of labelterm's own, offered for every config after Label Studio's.
    pub const OURS: &'static [ExportType] = &[ExportType::Parquet];

    pub fn name(self) -> &'static str {
        match self {
            ExportType::Json => "JSON",
            ExportType::JsonMin => "JSON_MIN",
            ExportType::Csv => "CSV",
            ExportType::Tsv => "TSV",
            ExportType::Conll2003 => "CONLL2003",
            ExportType::Coco => "COCO",
            ExportType::CocoWithImages => "COCO_WITH_IMAGES",
            ExportType::Yolo => "YOLO",
            ExportType::YoloWithImages => "YOLO_WITH_IMAGES",
            ExportType::YoloObb => "YOLO_OBB",
            ExportType::YoloObbWithImages => "YOLO_OBB_WITH_IMAGES",
            ExportType::Voc => "VOC",
            ExportType::BrushToNumpy => "BRUSH_TO_NUMPY",
            ExportType::BrushToPng => "BRUSH_TO_PNG",
            ExportType::BrushToCoco => "BRUSH_TO_COCO",
            ExportType::AsrManifest => "ASR_MANIFEST",
            ExportType::Doclang => "DOCLANG",
            ExportType::Parquet => "PARQUET",
        }
    }

    pub fn parse(s: &str) -> Option<ExportType> {
        let up = s.trim().to_ascii_uppercase().replace('-', "_");
        ExportType::ALL
            .iter()
            .chain(ExportType::OURS)
            .copied()
            .find(|t| t.name() == up)
    }
}

#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Include tasks without annotations (Label Studio's `download_all_tasks`).
    pub download_all_tasks: bool,
    /// Fetch http(s) media into the export (`--download-resources`): images for the
    /// `*_WITH_IMAGES` formats and VOC, audio, page images. Local files are always read.
    pub download_resources: bool,
    /// Label Studio's `media/upload` directory: `/data/upload/<project>/<file>` is read there.
    pub upload_dir: Option<PathBuf>,
    /// Label Studio's `LOCAL_FILES_DOCUMENT_ROOT`: `/data/local-files/?d=<path>` is read
    /// under it (never outside).
    pub local_files_root: Option<PathBuf>,
    /// `--media-root`: relative media paths not found in the task's import folder are
    /// looked up here.
    pub media_root: Option<PathBuf>,
    /// `--allow-path`: more folders media may be read from.
    pub allow_paths: Vec<PathBuf>,
    /// Leave skipped (cancelled) annotations out of the tasks read from a project.
    pub drop_skipped: bool,
    /// Leave predictions out of the tasks read from a project.
    pub no_predictions: bool,
    /// Leave out who annotated beyond the user id (`created_username`, emails).
    pub remove_user_details: bool,
    /// The JSON export writes each annotation's `completed_by` as `{"email": ...}` (Label
    /// Studio's import form, resolved on any server) instead of this project's user id.
    pub completed_by_email: bool,
    /// Only annotations by this user (email/name, or numeric id).
    pub annotator: Option<String>,
    /// Only annotations whose latest review accepted them (accepted or fixed), and only
    /// tasks that have one.
    pub only_reviewed: bool,
    /// Only these tasks (`--ids`; the data table's marked tasks).
    pub task_ids: Option<Vec<i64>>,
}

impl ExportOptions {
    /// The media resolver of this export; `fetch` allows downloading http(s) media.
    pub fn resolver(&self, fetch: bool) -> crate::media::Resolver {
        crate::media::Resolver::new(
            crate::media::Roots {
                media_root: self.media_root.clone(),
                local_files_root: self.local_files_root.clone(),
                upload_dir: self.upload_dir.clone(),
                allow: self.allow_paths.clone(),
            },
            fetch,
        )
    }
}

/// A task on its way to an exporter.
pub struct SourceTask {
    /// The task as Label Studio JSON.
    pub json: Value,
    /// The folder of the file this task was imported from (or, with `convert`, of the file
    /// being converted): relative media paths refer there, and media may be read from it.
    pub base_dir: Option<PathBuf>,
}

/// Where an export reads tasks from: a project, or a Label Studio JSON export file.
pub trait TaskSource {
    /// Calls `f` with every task, in order, one at a time.
    fn for_each_task(&mut self, f: &mut dyn FnMut(SourceTask) -> Result<()>) -> Result<()>;

    /// The project behind this source, for exporters that write straight from the store.
    fn project(&self) -> Option<&ProjectSource<'_>> {
        None
    }

    /// Calls `f` with the converter's items of every task, in order (see [`model`]); the
    /// items are built on the thread that reads the tasks.
    fn for_each_item_group(
        &mut self,
        opts: &model::ItemOptions,
        f: &mut dyn FnMut(ItemGroup) -> Result<()>,
    ) -> Result<()>;

    /// Like [`TaskSource::for_each_item_group`], with each task's items turned into output
    /// bytes by `render` on the worker threads; `f` gets the bytes in task order.
    fn for_each_rendered(
        &mut self,
        opts: &model::ItemOptions,
        render: &(dyn Fn(ItemGroup) -> Result<Vec<u8>> + Sync),
        f: &mut dyn FnMut(Vec<u8>) -> Result<()>,
    ) -> Result<()>;

    /// Like [`TaskSource::for_each_rendered`]; from an export file, `raw` first gets each
    /// task's JSON text, and the items are built and rendered only when it gives `None`.
    fn for_each_rendered_raw(
        &mut self,
        opts: &model::ItemOptions,
        raw: &RawRender,
        render: &(dyn Fn(ItemGroup) -> Result<Vec<u8>> + Sync),
        f: &mut dyn FnMut(Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        let _ = raw;
        self.for_each_rendered(opts, render, f)
    }
}

/// Renders one task straight from its JSON text, or gives `None` to leave it to the items.
pub type RawRender<'a> = dyn Fn(&[u8]) -> Option<Vec<u8>> + Sync + 'a;

/// The items of one task, with the directory its relative media paths refer to.
pub struct ItemGroup {
    pub items: Vec<model::Item>,
    pub base_dir: Option<PathBuf>,
}

/// The tasks of a project, streamed from SQLite.
pub struct ProjectSource<'a> {
    pub store: &'a Store,
    pub options: &'a ExportOptions,
    /// Tasks handed to the exporter so far.
    exported: std::cell::Cell<u64>,
    progress: Option<crate::progress::Progress>,
}

impl<'a> ProjectSource<'a> {
    pub fn new(store: &'a Store, options: &'a ExportOptions) -> ProjectSource<'a> {
        ProjectSource {
            store,
            options,
            exported: std::cell::Cell::new(0),
            progress: None,
        }
    }

    /// Shows the export's progress (see [`crate::progress`]) out of `total` tasks.
    pub fn show_progress(&mut self, total: Option<u64>) {
        self.progress = Some(crate::progress::Progress::new(
            "exporting",
            total,
            crate::progress::Unit::Tasks,
        ));
    }

    /// Clears the export's progress (before its result is printed).
    pub fn finish_progress(&mut self) {
        if let Some(p) = &mut self.progress {
            p.finish();
        }
    }

    /// How many tasks the export wrote (read after it ran).
    pub fn exported(&self) -> u64 {
        self.exported.get()
    }
}

/// One task of a project as the exporters see it.
fn project_task(t: &crate::store::TaskFull, o: &ExportOptions) -> SourceTask {
    let mut json = json::task_json(t, 1);
    if o.remove_user_details {
        remove_user_details(&mut json);
    }
    SourceTask {
        json,
        base_dir: t.task.base_dir.as_ref().map(PathBuf::from),
    }
}

/// Streams a project's selected tasks to `f`, each turned into a `T` by `map`. Reading
/// runs on a thread with its own connection to the project and `map` on worker threads,
/// while `f` runs on this one, in task order (see [`pipeline`]). Tasks without annotations
/// are skipped unless `all` is set.
pub fn stream_project<T: Send>(
    source: &ProjectSource<'_>,
    sel: &crate::store::ExportSelection,
    map: &(dyn Fn(crate::store::TaskFull) -> Result<T> + Sync),
    f: &mut dyn FnMut(T) -> Result<()>,
) -> Result<()> {
    let (store, all) = (source.store, source.options.download_all_tasks);
    let f = &mut |t: T| {
        source.exported.set(source.exported.get() + 1);
        if let Some(p) = &source.progress {
            p.inc(1);
        }
        f(t)
    };
    let keep = |t: &crate::store::TaskFull| all || !t.annotations.is_empty();
    let Ok(reader) = Store::open(store.path()) else {
        return store.each_task_for_export(sel, |t| if keep(&t) { f(map(t)?) } else { Ok(()) });
    };
    pipeline::ordered_map(
        &mut move |push| {
            reader.each_task_for_export(sel, |t| {
                if !keep(&t) || push(t) {
                    Ok(())
                } else {
                    Err(pipeline::stopped())
                }
            })
        },
        map,
        f,
    )
}

impl ProjectSource<'_> {
    /// The items of every task, turned into a `T` by `then` on the worker threads.
    fn item_stream<T: Send>(
        &self,
        opts: &model::ItemOptions,
        then: &(dyn Fn(ItemGroup) -> Result<T> + Sync),
        f: &mut dyn FnMut(T) -> Result<()>,
    ) -> Result<()> {
        let o = self.options;
        let mut sel = selection(o);
        sel.converter_fields = true;
        stream_project(
            self,
            &sel,
            &|t| {
                then(ItemGroup {
                    base_dir: t.task.base_dir.as_ref().map(PathBuf::from),
                    items: model::items_of_project_task(t, opts),
                })
            },
            f,
        )
    }
}

impl TaskSource for ProjectSource<'_> {
    fn for_each_task(&mut self, f: &mut dyn FnMut(SourceTask) -> Result<()>) -> Result<()> {
        let o = self.options;
        stream_project(self, &selection(o), &|t| Ok(project_task(&t, o)), f)
    }

    fn for_each_item_group(
        &mut self,
        opts: &model::ItemOptions,
        f: &mut dyn FnMut(ItemGroup) -> Result<()>,
    ) -> Result<()> {
        self.item_stream(opts, &Ok, f)
    }

    fn for_each_rendered(
        &mut self,
        opts: &model::ItemOptions,
        render: &(dyn Fn(ItemGroup) -> Result<Vec<u8>> + Sync),
        f: &mut dyn FnMut(Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        self.item_stream(opts, render, f)
    }

    fn project(&self) -> Option<&ProjectSource<'_>> {
        Some(self)
    }
}

/// What a project export reads, from the export options.
pub fn selection(o: &ExportOptions) -> crate::store::ExportSelection {
    crate::store::ExportSelection {
        drop_skipped: o.drop_skipped,
        annotator: o.annotator.clone(),
        only_reviewed: o.only_reviewed,
        task_ids: o.task_ids.clone(),
        predictions: !o.no_predictions,
        converter_fields: false,
    }
}

/// Leaves only user ids in a task: names and emails go.
fn remove_user_details(task: &mut Value) {
    for key in ["annotations", "drafts"] {
        if let Some(Value::Array(list)) = task.get_mut(key) {
            for a in list.iter_mut().filter_map(Value::as_object_mut) {
                a.shift_remove("created_username");
                if let Some(Value::Object(u)) = a.get("completed_by") {
                    let id = u.get("id").cloned().unwrap_or(Value::Null);
                    a.insert("completed_by".into(), id);
                }
            }
        }
    }
    if let Some(Value::Array(list)) = task.get_mut("comment_authors") {
        list.clear();
    }
}

/// The tasks of a Label Studio JSON export file (a list, or one task object), read one
/// element at a time.
pub struct FileSource {
    pub path: PathBuf,
    /// The name shown in messages.
    pub name: String,
}

/// Turns a JSON parse error into one that names the file, line and column.
type Locate<'a> = dyn Fn(serde_json::Error) -> Error + 'a;

impl FileSource {
    /// The folder of the file being converted: relative media paths in it refer there.
    fn folder(&self) -> Option<PathBuf> {
        let file = self.path.canonicalize().ok()?;
        file.parent().map(Path::to_path_buf)
    }

    /// Splits the file on a thread of its own and hands each element's bytes to `map` on
    /// the worker threads, while `f` runs on this one.
    fn stream<T: Send>(
        &self,
        map: &(dyn Fn(&[u8], &Locate) -> Result<T> + Sync),
        f: &mut dyn FnMut(T) -> Result<()>,
    ) -> Result<()> {
        let file = std::fs::File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let name = self.name.as_str();
        // Progress in bytes of the file: each element's bytes as the splitter hands it on
        // (cleared when the conversion ends).
        let progress = crate::progress::Progress::new(
            "converting",
            file.metadata().ok().map(|m| m.len()),
            crate::progress::Unit::Bytes,
        );
        pipeline::ordered_map(
            &mut |push| {
                split::for_each_element(&file, name, &mut |element, line, col| {
                    progress.inc(element.bytes().len() as u64);
                    Ok(if push((element, line, col)) {
                        split::Next::Continue
                    } else {
                        // The export stopped.
                        split::Next::Stop
                    })
                })
            },
            &|(element, line, col): (split::Element, usize, usize)| {
                let locate = |e: serde_json::Error| {
                    Error::one(crate::import::json::locate_error(&e, name, line, col))
                };
                map(element.bytes(), &locate)
            },
            f,
        )
    }

    /// The items of every element, turned into a `T` by `then` on the worker threads.
    fn item_stream<T: Send>(
        &self,
        opts: &model::ItemOptions,
        then: &(dyn Fn(ItemGroup) -> Result<T> + Sync),
        f: &mut dyn FnMut(T) -> Result<()>,
    ) -> Result<()> {
        let folder = self.folder();
        self.stream(
            &|bytes, locate| then(items_of_element(bytes, locate, opts, &folder)?),
            f,
        )
    }
}

/// The item group of one element of an export file.
fn items_of_element(
    bytes: &[u8],
    locate: &Locate,
    opts: &model::ItemOptions,
    folder: &Option<PathBuf>,
) -> Result<ItemGroup> {
    let items = match model::TaskParts::parse(bytes).map_err(locate)? {
        Some(t) => model::items_of_parts(t, opts),
        None => Vec::new(),
    };
    Ok(ItemGroup {
        items,
        base_dir: folder.clone(),
    })
}

impl TaskSource for FileSource {
    fn for_each_task(&mut self, f: &mut dyn FnMut(SourceTask) -> Result<()>) -> Result<()> {
        let folder = self.folder();
        self.stream(
            &|bytes, locate| {
                Ok(SourceTask {
                    json: serde_json::from_slice(bytes).map_err(locate)?,
                    base_dir: folder.clone(),
                })
            },
            f,
        )
    }

    fn for_each_item_group(
        &mut self,
        opts: &model::ItemOptions,
        f: &mut dyn FnMut(ItemGroup) -> Result<()>,
    ) -> Result<()> {
        self.item_stream(opts, &Ok, f)
    }

    fn for_each_rendered(
        &mut self,
        opts: &model::ItemOptions,
        render: &(dyn Fn(ItemGroup) -> Result<Vec<u8>> + Sync),
        f: &mut dyn FnMut(Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        self.item_stream(opts, render, f)
    }

    fn for_each_rendered_raw(
        &mut self,
        opts: &model::ItemOptions,
        raw: &RawRender,
        render: &(dyn Fn(ItemGroup) -> Result<Vec<u8>> + Sync),
        f: &mut dyn FnMut(Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        let folder = self.folder();
        self.stream(
            &|bytes, locate| match raw(bytes) {
                Some(out) => Ok(out),
                None => render(items_of_element(bytes, locate, opts, &folder)?),
            },
            f,
        )
    }
}

/// What an export reads besides the tasks.
pub struct ExportContext<'a> {
    pub config: &'a LabelConfig,
    pub options: &'a ExportOptions,
    /// With `convert`: the export file being converted (JSON output is a copy of it).
    pub input_file: Option<PathBuf>,
}

/// One export format: writes the converter's output layout into a fresh directory.
pub trait Exporter {
    fn export_type(&self) -> ExportType;
    fn write(&self, ctx: &ExportContext, tasks: &mut dyn TaskSource, out_dir: &Path) -> Result<()>;
}

/// The data keys the converter reads (`Converter._data_keys`): `value`/`valueList` of the
/// objects the controls point at, `$` removed, in config order.
pub fn converter_data_keys(config: &LabelConfig) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for c in &config.controls {
        for to in &c.to_name {
            let Some(o) = config.objects.iter().find(|o| &o.name == to) else {
                continue;
            };
            for v in [o.value.as_deref(), o.value_list.as_deref()]
                .into_iter()
                .flatten()
            {
                let k = v.trim_start_matches('$').to_string();
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
    }
    keys
}

/// An error about one task's data, naming the task (its `id`) and the field.
pub fn task_error(task: &Value, field: &str, message: impl std::fmt::Display) -> Error {
    let id = match task.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(v) if !v.is_null() => v.to_string(),
        _ => "without id".into(),
    };
    Error::Other(format!("task {id}: field {field:?}: {message}"))
}

/// A problem that does not stop the export (a media file that cannot be read...).
pub fn warn(message: impl std::fmt::Display) {
    eout!("warning: {message}");
}

/// The exporter for a format.
pub fn exporter(t: ExportType) -> Option<Box<dyn Exporter>> {
    match t {
        ExportType::Json => Some(Box::new(json::JsonExporter)),
        ExportType::JsonMin => Some(Box::new(json_min::JsonMinExporter)),
        ExportType::Csv => Some(Box::new(csv::CsvExporter { delimiter: b',' })),
        ExportType::Tsv => Some(Box::new(csv::CsvExporter { delimiter: b'\t' })),
        ExportType::Conll2003 => Some(Box::new(conll::ConllExporter)),
        ExportType::AsrManifest => Some(Box::new(asr::AsrExporter)),
        ExportType::Doclang => Some(Box::new(doclang::DoclangExporter)),
        ExportType::Coco | ExportType::CocoWithImages => Some(Box::new(coco::CocoExporter(t))),
        ExportType::Yolo
        | ExportType::YoloWithImages
        | ExportType::YoloObb
        | ExportType::YoloObbWithImages => Some(Box::new(yolo::YoloExporter(t))),
        ExportType::Voc => Some(Box::new(voc::VocExporter)),
        ExportType::BrushToNumpy | ExportType::BrushToPng => {
            Some(Box::new(brush::BrushExporter(t)))
        }
        ExportType::BrushToCoco => Some(Box::new(brush_coco::BrushCocoExporter)),
        ExportType::Parquet => Some(Box::new(parquet::ParquetExporter)),
    }
}

/// The formats a project with this config can export: Label Studio's (see
/// [`supported_formats`]) and labelterm's own.
pub fn formats_for(config: &LabelConfig) -> Vec<ExportType> {
    let mut formats = supported_formats(config);
    formats.extend(ExportType::OURS.iter().filter(|t| exporter(**t).is_some()));
    formats
}

/// The formats Label Studio offers for a config (`Converter.supported_formats`), in its
/// order, limited to those this build writes.
pub fn supported_formats(config: &LabelConfig) -> Vec<ExportType> {
    use crate::config::ControlKind as C;
    let controls: Vec<&str> = config.controls.iter().map(|c| c.tag.as_str()).collect();
    let has = |t: &str| controls.contains(&t);
    // Object tags referenced by a control's toName, as the converter collects its inputs.
    let mut inputs: Vec<&crate::config::ObjectTag> = Vec::new();
    for c in &config.controls {
        for to in &c.to_name {
            if let Some(o) = config.objects.iter().find(|o| &o.name == to)
                && !inputs.iter().any(|i| i.name == o.name)
            {
                inputs.push(o);
            }
        }
    }
    let mut data_keys: Vec<&str> = Vec::new();
    for o in &inputs {
        for v in [o.value.as_deref(), o.value_list.as_deref()]
            .into_iter()
            .flatten()
        {
            if !data_keys.contains(&v) {
                data_keys.push(v);
            }
        }
    }
    let doclang = config
        .controls
        .iter()
        .any(|c| matches!(c.tag.as_str(), "TextArea" | "ReactCode" | "CustomInterface"));
    let mut formats: Vec<ExportType> = if data_keys.len() > 1 {
        let mut f = vec![
            ExportType::Json,
            ExportType::JsonMin,
            ExportType::Csv,
            ExportType::Tsv,
        ];
        if doclang {
            f.push(ExportType::Doclang);
        }
        f
    } else {
        let is_mig = inputs.iter().any(|o| o.value_list.is_some());
        let input_types: Vec<&str> = inputs
            .iter()
            .filter(|o| !(o.tag == "Text" && o.value_type.as_deref() == Some("url")))
            .map(|o| o.tag.as_str())
            .collect();
        let input = |t: &str| input_types.contains(&t);
        let mut f: Vec<ExportType> = ExportType::ALL.to_vec();
        let mut drop = |t: ExportType| f.retain(|x| *x != t);
        if !doclang {
            drop(ExportType::Doclang);
        }
        if has("KeyPointLabels") && !has("RectangleLabels") {
            for t in [
                ExportType::Coco,
                ExportType::CocoWithImages,
                ExportType::Yolo,
                ExportType::YoloWithImages,
            ] {
                drop(t);
            }
        }
        if !(input("Text") && has("Labels")) {
            drop(ExportType::Conll2003);
        }
        if is_mig
            || !(input("Image") && (has("RectangleLabels") || has("Rectangle") && has("Labels")))
        {
            drop(ExportType::Voc);
        }
        let coco_yolo = input("Image")
            && (has("RectangleLabels") || has("PolygonLabels") || has("KeyPointLabels"))
            || has("Rectangle") && has("Labels")
            || has("PolygonLabels") && has("Labels")
            || has("KeyPointLabels") && has("Labels");
        if is_mig || !coco_yolo {
            for t in [
                ExportType::Coco,
                ExportType::CocoWithImages,
                ExportType::Yolo,
                ExportType::YoloWithImages,
                ExportType::YoloObb,
                ExportType::YoloObbWithImages,
            ] {
                drop(t);
            }
        }
        if !(input("Image")
            && (has("BrushLabels") || has("brushlabels") || has("Brush") && has("Labels")))
        {
            for t in [
                ExportType::BrushToNumpy,
                ExportType::BrushToPng,
                ExportType::BrushToCoco,
            ] {
                drop(t);
            }
        }
        if !((input("Audio") || input("AudioPlus")) && has("TextArea")) {
            drop(ExportType::AsrManifest);
        }
        if is_mig || (input("Video") && has("TimelineLabels")) {
            drop(ExportType::YoloObb);
            drop(ExportType::YoloObbWithImages);
        }
        let _ = C::Labels;
        f
    };
    formats.retain(|t| exporter(*t).is_some());
    formats
}

/// Copies the file at `from` into `out` and flushes it.
fn copy_file_into(from: &Path, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut f = std::fs::File::open(from)?;
    std::io::copy(&mut f, out)?;
    out.flush()
}

/// Why `export_path` cannot take a format that writes several files, if it cannot: it is
/// standard output, an existing file, or a new name that reads as a file's (`out.json`).
fn needs_a_directory(t: ExportType, export_path: &Path, to_stdout: bool) -> Option<String> {
    let shown = export_path.display();
    if to_stdout {
        return Some(format!(
            "{} writes several files, so it cannot go to standard output (`--export-path -` takes single-file formats); give a directory",
            t.name()
        ));
    }
    if export_path.exists() && !export_path.is_dir() {
        return Some(format!(
            "{shown} is a file, but {} writes a directory of files; give a directory (new or existing)",
            t.name()
        ));
    }
    let file_like = export_path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| {
            matches!(
                e.to_ascii_lowercase().as_str(),
                "json"
                    | "jsonl"
                    | "csv"
                    | "tsv"
                    | "txt"
                    | "xml"
                    | "conll"
                    | "npy"
                    | "png"
                    | "zip"
                    | "parquet"
            )
        });
    (!export_path.exists() && file_like).then(|| {
        format!(
            "{} writes a directory of files, not one file: give a directory for --export-path instead of {shown}",
            t.name()
        )
    })
}

/// Runs an export into `export_path`: a directory receives the converter's layout; a path
/// with a file name receives the single file of a single-file format. Output is built in a
/// temporary directory beside the target and moved into place only when complete.
pub fn run(
    t: ExportType,
    ctx: &ExportContext,
    tasks: &mut dyn TaskSource,
    export_path: &Path,
) -> Result<Vec<PathBuf>> {
    let supported = formats_for(ctx.config);
    let Some(exp) = exporter(t).filter(|_| supported.contains(&t)) else {
        return Err(Error::Usage(format!(
            "export type {} does not fit this label config; formats that fit: {}",
            t.name(),
            supported
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    // `-` is standard output; the export is built in the temporary directory then.
    let to_stdout = export_path == Path::new("-");
    let temp_dir = std::env::temp_dir();
    let parent = if to_stdout {
        temp_dir.as_path()
    } else {
        export_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    };
    if !parent.is_dir() {
        return Err(Error::io(
            parent,
            std::io::Error::new(std::io::ErrorKind::NotFound, "directory does not exist"),
        ));
    }
    let name = export_path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("export");
    // Removed when this function returns; a killed export's is removed by the next one.
    let staging = crate::staging::Staging::claim(parent, &format!(".{name}.export"))?;
    let tmp = staging.path().to_path_buf();
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let cleanup = |e: Error| {
        let _ = std::fs::remove_dir_all(&tmp);
        e
    };
    let written = exp.write(ctx, tasks, &tmp);
    written.map_err(cleanup)?;
    let entries: Vec<PathBuf> = std::fs::read_dir(&tmp)
        .map_err(|e| cleanup(Error::io(&tmp, e)))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    let mut placed = Vec::new();
    let single_file = entries.len() == 1 && entries[0].is_file();
    let as_dir = export_path.is_dir() || export_path.to_string_lossy().ends_with('/');
    if !single_file && let Some(why) = needs_a_directory(t, export_path, to_stdout) {
        return Err(cleanup(Error::Usage(why)));
    }
    // Standard output, a symlink, a FIFO or a device is written through, byte by byte:
    // replacing it with a new file (what the rename below does) would break the link or
    // put a regular file where the device was.
    let through = to_stdout
        || std::fs::symlink_metadata(export_path)
            .is_ok_and(|m| !m.file_type().is_file() && !m.file_type().is_dir())
            && !export_path.is_dir();
    if single_file && through {
        let copied = if to_stdout {
            copy_file_into(&entries[0], &mut std::io::stdout().lock())
        } else {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(export_path)
                .and_then(|mut out| copy_file_into(&entries[0], &mut out))
        };
        copied.map_err(|e| cleanup(Error::io(export_path, e)))?;
        placed.push(export_path.to_path_buf());
        let _ = std::fs::remove_dir_all(&tmp);
    } else if !as_dir && single_file {
        std::fs::rename(&entries[0], export_path)
            .map_err(|e| cleanup(Error::io(export_path, e)))?;
        placed.push(export_path.to_path_buf());
        let _ = std::fs::remove_dir_all(&tmp);
    } else if !export_path.exists() {
        std::fs::rename(&tmp, export_path).map_err(|e| cleanup(Error::io(export_path, e)))?;
        placed.extend(
            entries
                .iter()
                .map(|e| export_path.join(e.file_name().unwrap_or_default())),
        );
    } else {
        for e in &entries {
            let target = export_path.join(e.file_name().unwrap_or_default());
            if target.is_dir() {
                let _ = std::fs::remove_dir_all(&target);
            }
            std::fs::rename(e, &target).map_err(|err| cleanup(Error::io(&target, err)))?;
            placed.push(target);
        }
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(placed)
}
