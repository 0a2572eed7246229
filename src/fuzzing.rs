//! Entry points for fuzzing the parsers of untrusted files: label configs, task files of
//! every import format, brush masks, keymaps and themes.
//!
//! Each function takes arbitrary bytes and must return without panicking, however bad
//! the input; errors are expected and dropped. The `fuzz/` crate drives them with
//! libFuzzer, and `tests/fuzz_corpora.rs` replays the committed corpora through them.

use crate::config::LabelConfig;
use crate::export::brush;
use crate::export::model::Item;
use crate::import::{ImportOptions, InputFormat, NullSink, read_sources};
use crate::tui::keymap::{Ctx, Keymap, parse_bindings};
use crate::tui::theme::Theme;
use serde_json::{Map, Value, json};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Tasks of the JSON, JSONL, CSV, TSV, text and HTML readers are checked against this:
/// several object and control kinds, so that annotations and predictions in task files
/// meet the result checks.
const TASK_CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="multiple">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
  </Choices>
  <Labels name="label" toName="text">
    <Label value="PER"/>
    <Label value="ORG"/>
  </Labels>
  <TextArea name="answer" toName="text"/>
  <Rating name="rating" toName="text"/>
  <Image name="image" value="$image"/>
  <RectangleLabels name="box" toName="image">
    <Label value="Car"/>
  </RectangleLabels>
  <BrushLabels name="brush" toName="image">
    <Label value="Road"/>
  </BrushLabels>
</View>"#;

/// The time series reader reads its CSV inline only with `valueType="json"`.
const TIMESERIES_CONFIG: &str = r#"<View>
  <TimeSeries name="ts" value="$ts" valueType="json" timeColumn="time">
    <Channel column="value"/>
  </TimeSeries>
  <TimeSeriesLabels name="event" toName="ts">
    <Label value="Spike"/>
  </TimeSeriesLabels>
</View>"#;

fn fixed_config(cell: &'static OnceLock<LabelConfig>, source: &str) -> &'static LabelConfig {
    cell.get_or_init(|| LabelConfig::parse(source).expect("the fixed fuzzing config parses"))
}

fn task_config() -> &'static LabelConfig {
    static CONFIG: OnceLock<LabelConfig> = OnceLock::new();
    fixed_config(&CONFIG, TASK_CONFIG)
}

fn timeseries_config() -> &'static LabelConfig {
    static CONFIG: OnceLock<LabelConfig> = OnceLock::new();
    fixed_config(&CONFIG, TIMESERIES_CONFIG)
}

/// Data a Repeater in a fuzzed config can expand over.
fn repeater_data() -> Value {
    json!({
        "text": "a",
        "items": [{"text": "x", "image": "y"}, {"text": "z"}],
        "pages": ["p", "q"],
    })
}

/// A label config: parse (XML, schema, names, targets, attributes), then what an import
/// and the annotation screen derive from it (data keys, Repeater expansion, label colours).
pub fn label_config(data: &[u8]) {
    let source = String::from_utf8_lossy(data);
    let Ok(config) = LabelConfig::parse(&source) else {
        return;
    };
    let _ = config.names();
    let _ = config.first_data_key();
    let _ = crate::config::keys::extract(&config.root);
    // The annotator colours each label with its `background`.
    let theme = Theme::dark();
    for control in &config.controls {
        let _ = config.control(&control.name);
        for (i, label) in control.labels.iter().enumerate() {
            let _ = theme.label_color(label.background.as_deref(), i);
        }
    }
    if let Some(sample) = &config.sample_task {
        let _ = config.try_expand_for_task(sample);
    }
    let _ = config.try_expand_for_task(&repeater_data());
}

/// A file removed when dropped: some readers open their input by path, several times.
struct TempInput(PathBuf);

impl TempInput {
    fn new(data: &[u8], ext: &str) -> Option<TempInput> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("labelterm-fuzz-{}-{n}.{ext}", std::process::id()));
        std::fs::write(&path, data).ok()?;
        Some(TempInput(path))
    }
}

impl Drop for TempInput {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Imports `data` as one input of `format`, as `labelterm import` does (reader, task
/// rules, result checks), into a sink that keeps nothing.
fn import(data: &[u8], format: InputFormat, config: &LabelConfig, csv_coerce: bool) {
    let Some(input) = TempInput::new(data, format.name()) else {
        return;
    };
    let opts = ImportOptions {
        format: Some(format),
        maps: Vec::new(),
        csv_coerce,
        ..Default::default()
    };
    let _ = read_sources(
        config,
        &[input.0.display().to_string()],
        &opts,
        &mut NullSink,
    );
}

/// A JSON task file (a list of tasks or one task).
pub fn import_json(data: &[u8]) {
    import(data, InputFormat::Json, task_config(), false);
}

/// A JSON Lines task file.
pub fn import_jsonl(data: &[u8]) {
    import(data, InputFormat::Jsonl, task_config(), false);
}

/// A CSV task file, then the same bytes as TSV; each with and without pandas' type
/// inference. The CSV reader serves both formats.
pub fn import_csv(data: &[u8]) {
    for format in [InputFormat::Csv, InputFormat::Tsv] {
        for coerce in [false, true] {
            import(data, format, task_config(), coerce);
        }
    }
}

/// A text file (one task per line), then the same bytes as an HTML file (one task).
pub fn import_text(data: &[u8]) {
    import(data, InputFormat::Text, task_config(), false);
    import(data, InputFormat::Html, task_config(), false);
}

/// A time series CSV read inline into one task.
pub fn import_timeseries(data: &[u8]) {
    import(data, InputFormat::TimeSeries, timeseries_config(), false);
}

/// The brush RLE decoder, and the region decoder the brush exports use.
///
/// The bytes are decoded as an RLE whose value count is taken as the expected size (so
/// the decoder goes past its first check); bytes that are a JSON object are also decoded
/// as a brush region (`rle`, `original_width`, `original_height`).
pub fn brush_rle(data: &[u8]) {
    if let Some(head) = data.get(..4) {
        let count = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let _ = brush::decode_rle(data, count as usize);
    }
    if let Ok(Value::Object(region)) = serde_json::from_slice::<Value>(data) {
        decode_region(&region);
    }
}

fn decode_region(region: &Map<String, Value>) {
    let item = Item {
        id: json!(1),
        input: json!({}),
        output: Default::default(),
        completed_by: json!({}),
        annotation_id: json!(1),
        created_at: Value::Null,
        updated_at: Value::Null,
        lead_time: Value::Null,
        history: Value::Null,
        was_cancelled: Value::Null,
        agreement: None,
    };
    if let Ok(mask) = brush::decode_region(&item, "brush", region) {
        let _ = brush::npy_bytes(&mask);
    }
}

/// A keymap file: as a keymap data file (the format of `keymaps/default.json`) and as a
/// user keymap applied over the defaults.
pub fn keymap(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = parse_bindings(&text, "keymap.json");
    let mut map = Keymap::default_map(true);
    if map.apply_text(&text, "keymap.json").is_ok() {
        for ctx in Ctx::ALL {
            let _ = map.describe(ctx);
        }
    }
}

/// A theme file over its base theme.
pub fn theme(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(theme) = Theme::from_text(&text, "theme.json", "theme") {
        for i in 0..4 {
            let color = theme.label_color(None, i);
            let _ = theme.region_style(color, i % 2 == 0);
        }
        let _ = theme.label_color(Some("#123456"), 0);
    }
}
