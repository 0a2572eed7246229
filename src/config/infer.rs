//! A label config inferred from tasks: an object tag per data key (by what its values look
//! like: image, audio or video URLs, HTML, dialogues, chats, tables, text) and a control
//! per `from_name` found in the annotations and predictions (its tag from the result
//! `type`, its labels or choices from the values seen, its `toName` bound to the object
//! the results name). The config parses with [`LabelConfig::parse`] and every task it was
//! inferred from imports under it, so it can be shown and used as a starting point.
//!
//! Feed it tasks with [`Inference::add_data`] and [`Inference::add_result`], then ask
//! [`Inference::config`].

use super::{LabelConfig, PyType};
use indexmap::{IndexMap, IndexSet};
use serde_json::{Map, Value};

/// How many tasks' values are looked at closely (strings classified); past these, only
/// presence and JSON types are counted, so a huge file costs little more than a read.
pub const SAMPLE: u64 = 2_000;

/// The key `$undefined$` readers give a TXT line, an HTML file or a media file: the
/// importer renames it to the config's first data key.
const UNDEFINED: &str = "$undefined$";

const IMAGE_EXTS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "bmp", "webp", "svg", "tif", "tiff", "avif",
];
const AUDIO_EXTS: &[&str] = &["wav", "mp3", "flac", "ogg", "m4a", "aac", "opus", "weba"];
const VIDEO_EXTS: &[&str] = &["mp4", "webm", "mov", "mkv", "avi", "m4v", "ogv"];

/// What one string value looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Looks {
    Image,
    Audio,
    Video,
    Html,
    Plain,
}

fn looks(s: &str) -> Looks {
    let t = s.trim();
    let lower_start: String = t.chars().take(16).collect::<String>().to_ascii_lowercase();
    if lower_start.starts_with("data:image/") {
        return Looks::Image;
    }
    if lower_start.starts_with("data:audio/") {
        return Looks::Audio;
    }
    if lower_start.starts_with("data:video/") {
        return Looks::Video;
    }
    if t.starts_with('<') && t.ends_with('>') && t.contains("</") {
        return Looks::Html;
    }
    // A URL or path: one token, its extension before any query or fragment.
    if !t.is_empty() && t.len() < 4096 && !t.contains(char::is_whitespace) {
        let path = t.split(['?', '#']).next().unwrap_or(t);
        if let Some((_, ext)) = path.rsplit_once('.') {
            let ext = ext.to_ascii_lowercase();
            if IMAGE_EXTS.contains(&ext.as_str()) {
                return Looks::Image;
            }
            if AUDIO_EXTS.contains(&ext.as_str()) {
                return Looks::Audio;
            }
            if VIDEO_EXTS.contains(&ext.as_str()) {
                return Looks::Video;
            }
        }
    }
    Looks::Plain
}

/// What the values of one data key were.
#[derive(Debug, Clone, Default)]
struct KeyStats {
    /// Tasks that have the key.
    present: u64,
    /// JSON types seen, by `PyType` as a bit.
    types: u8,
    strings: u64,
    image: u64,
    audio: u64,
    video: u64,
    html: u64,
    /// Lists that are not empty.
    lists: u64,
    /// Lists of objects with a `text` key (dialogues) and the speaker key they use.
    dialogues: u64,
    speaker_key: Option<String>,
    /// Lists of objects with `role` and `content` (chats).
    chats: u64,
    /// Lists of image URLs.
    image_lists: u64,
}

fn type_bit(t: PyType) -> u8 {
    1 << match t {
        PyType::Str => 0,
        PyType::Int => 1,
        PyType::Float => 2,
        PyType::Bool => 3,
        PyType::List => 4,
        PyType::Dict => 5,
        PyType::NoneType => 6,
    }
}

const ALL_TYPES: [PyType; 7] = [
    PyType::Str,
    PyType::Int,
    PyType::Float,
    PyType::Bool,
    PyType::List,
    PyType::Dict,
    PyType::NoneType,
];

/// What the results of one `from_name` were.
#[derive(Debug, Clone, Default)]
struct ControlStats {
    /// Result types, with how many regions had each.
    types: IndexMap<String, u64>,
    /// Object names in `to_name`, in the order first seen.
    to_names: IndexSet<String>,
    labels: IndexSet<String>,
    /// Taxonomy paths.
    paths: IndexSet<Vec<String>>,
    /// Some region chose more than one option.
    multiple: bool,
    max_rating: i64,
    datetimes: IndexSet<String>,
}

/// Tasks seen so far, and what their data and results hold.
#[derive(Debug, Clone, Default)]
pub struct Inference {
    tasks: u64,
    keys: IndexMap<String, KeyStats>,
    controls: IndexMap<String, ControlStats>,
    relation_labels: IndexSet<String>,
}

/// One object tag of the inferred config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InferredObject {
    pub tag: &'static str,
    pub name: String,
    /// The data key it shows.
    pub key: String,
}

/// One control tag of the inferred config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InferredControl {
    pub tag: &'static str,
    pub name: String,
    pub to_name: Vec<String>,
    pub labels: Vec<String>,
}

/// The inferred config, and what was left out and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inferred {
    pub tasks: u64,
    pub objects: Vec<InferredObject>,
    pub controls: Vec<InferredControl>,
    /// Data keys or result names left out, with the reason.
    pub left_out: Vec<(String, String)>,
    /// The config as XML.
    pub xml: String,
}

/// The key name a `$undefined$` value gets, by what it looks like.
fn undefined_name(s: &KeyStats) -> &'static str {
    match object_tag(s) {
        Some("Image") => "image",
        Some("Audio") => "audio",
        Some("Video") => "video",
        Some("HyperText") => "html",
        _ => "text",
    }
}

/// The object tag for a key's values, if one accepts every value seen.
fn object_tag(s: &KeyStats) -> Option<&'static str> {
    let has = |t: PyType| s.types & type_bit(t) != 0;
    let only = |allowed: &[PyType]| ALL_TYPES.iter().all(|t| !has(*t) || t.accepted_by(allowed));
    if has(PyType::NoneType) {
        return None;
    }
    let majority = |n: u64, of: u64| of > 0 && n * 2 > of;
    if only(&[PyType::Str]) {
        return Some(if majority(s.image, s.strings) {
            "Image"
        } else if majority(s.audio, s.strings) {
            "Audio"
        } else if majority(s.video, s.strings) {
            "Video"
        } else if majority(s.html, s.strings) {
            "HyperText"
        } else {
            "Text"
        });
    }
    if only(&[PyType::List]) {
        return Some(if majority(s.chats, s.lists) {
            "Chat"
        } else if majority(s.dialogues, s.lists) {
            "Paragraphs"
        } else if majority(s.image_lists, s.lists) {
            "Image"
        } else {
            "Text"
        });
    }
    if only(&[PyType::Str, PyType::Int, PyType::Float, PyType::List]) && !has(PyType::Dict) {
        return Some("Text");
    }
    if only(&[PyType::Dict, PyType::List, PyType::Str]) {
        return Some("Table");
    }
    None
}

/// The object kinds a result type can label, best first; empty when any object will do.
fn targets(result_type: &str) -> &'static [&'static str] {
    match result_type {
        "rectangle" | "rectanglelabels" | "polygon" | "polygonlabels" | "keypoint"
        | "keypointlabels" | "ellipse" | "ellipselabels" | "brush" | "brushlabels" => &["Image"],
        "hypertextlabels" => &["HyperText"],
        "paragraphlabels" => &["Paragraphs"],
        "videorectangle" | "timelinelabels" => &["Video"],
        "labels" => &["Text", "HyperText", "Audio", "Video"],
        _ => &[],
    }
}

/// The control tag that writes a result type.
fn control_tag(result_type: &str) -> Option<&'static str> {
    Some(match result_type {
        "choices" => "Choices",
        "labels" => "Labels",
        "rectangle" => "Rectangle",
        "rectanglelabels" => "RectangleLabels",
        "polygon" => "Polygon",
        "polygonlabels" => "PolygonLabels",
        "keypoint" => "KeyPoint",
        "keypointlabels" => "KeyPointLabels",
        "ellipse" => "Ellipse",
        "ellipselabels" => "EllipseLabels",
        "brush" => "Brush",
        "brushlabels" => "BrushLabels",
        "textarea" => "TextArea",
        "rating" => "Rating",
        "number" => "Number",
        "datetime" => "DateTime",
        "taxonomy" => "Taxonomy",
        "pairwise" => "Pairwise",
        "ranker" => "Ranker",
        "paragraphlabels" => "ParagraphLabels",
        "hypertextlabels" => "HyperTextLabels",
        "timelinelabels" => "TimelineLabels",
        "videorectangle" => "VideoRectangle",
        _ => return None,
    })
}

/// Controls whose labels are their `<Label>`/`<Choice>` children.
fn has_label_children(tag: &str) -> bool {
    tag == "Choices" || tag.ends_with("Labels")
}

/// A data key a `$var` can name and the importer can look up as it is.
fn usable_key(k: &str) -> bool {
    !k.trim().is_empty() && !k.contains(['$', '[', ']', '{', '}', '<', '>', '"', '\''])
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// Text safe inside an XML comment.
fn comment_text(s: &str) -> String {
    let mut t: String = s
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .replace("--", "- -");
    if t.ends_with('-') {
        t.push(' ');
    }
    t
}

fn strings_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

impl Inference {
    pub fn new() -> Inference {
        Inference::default()
    }

    pub fn tasks(&self) -> u64 {
        self.tasks
    }

    /// One task's data. Values are classified for the first [`SAMPLE`] tasks; after
    /// that only which keys are there and their JSON types count.
    pub fn add_data(&mut self, data: &Map<String, Value>) {
        let close = self.tasks < SAMPLE;
        self.tasks += 1;
        for (k, v) in data {
            let s = self.keys.entry(k.clone()).or_default();
            s.present += 1;
            s.types |= type_bit(PyType::of(v));
            if close {
                Self::classify(s, v);
            }
        }
    }

    /// One task's data as (key, JSON type) pairs, for tasks past the sample.
    pub fn add_data_types<'a>(&mut self, keys: impl IntoIterator<Item = (&'a str, PyType)>) {
        self.tasks += 1;
        for (k, t) in keys {
            let s = self.keys.entry(k.to_string()).or_default();
            s.present += 1;
            s.types |= type_bit(t);
        }
    }

    /// Whether the next task's values would still be classified.
    pub fn wants_values(&self) -> bool {
        self.tasks < SAMPLE
    }

    fn classify(s: &mut KeyStats, v: &Value) {
        match v {
            Value::String(text) => {
                s.strings += 1;
                match looks(text) {
                    Looks::Image => s.image += 1,
                    Looks::Audio => s.audio += 1,
                    Looks::Video => s.video += 1,
                    Looks::Html => s.html += 1,
                    Looks::Plain => {}
                }
            }
            // Empty lists say nothing of what the lists hold.
            Value::Array(items) if items.is_empty() => {}
            Value::Array(items) => {
                s.lists += 1;
                let objects: Vec<&Map<String, Value>> =
                    items.iter().filter_map(Value::as_object).collect();
                if !items.is_empty() && objects.len() == items.len() {
                    if objects
                        .iter()
                        .all(|o| o.contains_key("role") && o.contains_key("content"))
                    {
                        s.chats += 1;
                    } else if objects.iter().all(|o| o.contains_key("text")) {
                        s.dialogues += 1;
                        if s.speaker_key.is_none() {
                            s.speaker_key = ["author", "speaker", "name", "role", "user"]
                                .iter()
                                .find(|k| objects.iter().all(|o| o.contains_key(**k)))
                                .map(|k| k.to_string());
                        }
                    }
                } else if !items.is_empty()
                    && items
                        .iter()
                        .all(|i| i.as_str().is_some_and(|t| looks(t) == Looks::Image))
                {
                    s.image_lists += 1;
                }
            }
            _ => {}
        }
    }

    /// One result list (of an annotation or a prediction).
    pub fn add_result(&mut self, result: &Value) {
        let Value::Array(regions) = result else {
            return;
        };
        for r in regions {
            let Some(ty) = r.get("type").and_then(Value::as_str) else {
                continue;
            };
            if ty == "relation" {
                for l in strings_of(r.get("labels")) {
                    self.relation_labels.insert(l);
                }
                continue;
            }
            let (Some(from), Some(to)) = (
                r.get("from_name").and_then(Value::as_str),
                r.get("to_name").and_then(Value::as_str),
            ) else {
                continue;
            };
            let c = self.controls.entry(from.to_string()).or_default();
            *c.types.entry(ty.to_string()).or_default() += 1;
            for t in to.split(',').filter(|t| !t.is_empty()) {
                c.to_names.insert(t.to_string());
            }
            let value = r.get("value");
            match ty {
                "taxonomy" => {
                    if let Some(Value::Array(paths)) = value.and_then(|v| v.get("taxonomy")) {
                        for p in paths {
                            let path = strings_of(Some(p));
                            if !path.is_empty() {
                                c.paths.insert(path);
                            }
                        }
                    }
                }
                "rating" => {
                    if let Some(n) = value.and_then(|v| v.get("rating")).and_then(Value::as_i64) {
                        c.max_rating = c.max_rating.max(n);
                    }
                }
                "datetime" => {
                    if let Some(d) = value
                        .and_then(|v| v.get("datetime"))
                        .and_then(Value::as_str)
                    {
                        c.datetimes.insert(d.to_string());
                    }
                }
                _ => {
                    let key = if ty == "videorectangle" { "labels" } else { ty };
                    let labels = strings_of(value.and_then(|v| v.get(key)));
                    if ty == "choices" && labels.len() > 1 {
                        c.multiple = true;
                    }
                    for l in labels {
                        c.labels.insert(l);
                    }
                }
            }
        }
    }

    /// The config for the tasks seen.
    pub fn config(&self) -> Inferred {
        let mut left_out: Vec<(String, String)> = Vec::new();
        let mut objects: Vec<InferredObject> = Vec::new();
        let control_names: IndexSet<&str> = self.controls.keys().map(String::as_str).collect();
        // `$undefined$` first: the importer gives its value to the first data key.
        let mut keys: Vec<(&String, &KeyStats)> = self.keys.iter().collect();
        keys.sort_by_key(|(k, _)| k.as_str() != UNDEFINED);
        for (key, s) in keys {
            if s.present < self.tasks {
                left_out.push((
                    key.clone(),
                    format!("in {} of {} tasks", s.present, self.tasks),
                ));
                continue;
            }
            let Some(tag) = object_tag(s) else {
                let types: Vec<&str> = ALL_TYPES
                    .iter()
                    .filter(|t| s.types & type_bit(**t) != 0)
                    .map(|t| t.name())
                    .collect();
                left_out.push((
                    key.clone(),
                    format!("no object tag shows {}", types.join(" and ")),
                ));
                continue;
            };
            let (key, name) = if key == UNDEFINED {
                let n = undefined_name(s).to_string();
                (n.clone(), n)
            } else if usable_key(key) {
                (key.clone(), key.clone())
            } else {
                left_out.push((key.clone(), "a key a $variable cannot name".into()));
                continue;
            };
            let name = if control_names.contains(name.as_str()) {
                format!("{name}_data")
            } else {
                name
            };
            objects.push(InferredObject { tag, name, key });
        }

        // Each name results point at becomes an object: one already called so, else an
        // object of a kind the results can label, renamed (or, when it is taken, shown
        // again under that name).
        let mut bound: IndexSet<String> = IndexSet::new();
        let all_to_names: IndexSet<&str> = self
            .controls
            .values()
            .flat_map(|c| c.to_names.iter().map(String::as_str))
            .collect();
        for (from, c) in &self.controls {
            let ty = dominant_type(c);
            for to in &c.to_names {
                if objects.iter().any(|o| &o.name == to) {
                    bound.insert(to.clone());
                    continue;
                }
                let kinds = targets(ty);
                let fits = |o: &InferredObject| kinds.is_empty() || kinds.contains(&o.tag);
                let free = objects.iter().position(|o| {
                    fits(o) && !bound.contains(&o.name) && !all_to_names.contains(o.name.as_str())
                });
                if let Some(i) = free {
                    objects[i].name = to.clone();
                } else if let Some(o) = objects.iter().find(|o| fits(o)).cloned() {
                    objects.push(InferredObject {
                        name: to.clone(),
                        ..o
                    });
                } else {
                    left_out.push((
                        from.clone(),
                        format!("its results label {to:?}, and no data key fits a {ty} result"),
                    ));
                    continue;
                }
                bound.insert(to.clone());
            }
        }

        let mut controls = Vec::new();
        let mut control_xml = Vec::new();
        for (from, c) in &self.controls {
            let ty = dominant_type(c);
            let Some(tag) = control_tag(ty) else {
                left_out.push((from.clone(), format!("no control writes {ty:?} results")));
                continue;
            };
            if !usable_key(from) || from.contains(',') {
                left_out.push((from.clone(), "a name a config cannot hold".into()));
                continue;
            }
            let to_name: Vec<String> = c
                .to_names
                .iter()
                .filter(|t| bound.contains(*t))
                .cloned()
                .collect();
            if to_name.is_empty() {
                continue;
            }
            let labels: Vec<String> = c.labels.iter().cloned().collect();
            if (tag == "Choices" || tag == "Labels") && labels.is_empty() {
                left_out.push((from.clone(), "no labels or choices were seen".into()));
                continue;
            }
            let mut attrs = format!(
                "name=\"{}\" toName=\"{}\"",
                escape(from),
                escape(&to_name.join(","))
            );
            match tag {
                "Choices" => attrs.push_str(if c.multiple {
                    " choice=\"multiple\""
                } else {
                    " choice=\"single\""
                }),
                "Rating" => attrs.push_str(&format!(" maxRating=\"{}\"", c.max_rating.max(5))),
                "DateTime" => {
                    if let Some(only) = datetime_only(&c.datetimes) {
                        attrs.push_str(&format!(" only=\"{only}\""));
                    }
                }
                _ => {}
            }
            let mut xml = String::new();
            if tag == "Taxonomy" && !c.paths.is_empty() {
                xml.push_str(&format!("  <{tag} {attrs}>\n"));
                taxonomy_xml(&c.paths, &mut xml);
                xml.push_str(&format!("  </{tag}>\n"));
            } else if has_label_children(tag) && !labels.is_empty() {
                let child = if tag == "Choices" { "Choice" } else { "Label" };
                xml.push_str(&format!("  <{tag} {attrs}>\n"));
                for l in &labels {
                    xml.push_str(&format!("    <{child} value=\"{}\"/>\n", escape(l)));
                }
                xml.push_str(&format!("  </{tag}>\n"));
            } else {
                xml.push_str(&format!("  <{tag} {attrs}/>\n"));
            }
            control_xml.push(xml);
            controls.push(InferredControl {
                tag,
                name: from.clone(),
                to_name,
                labels,
            });
        }

        let mut xml = String::from("<View>\n");
        xml.push_str(&format!(
            "  <!-- inferred by labelterm from {} task(s) -->\n",
            self.tasks
        ));
        for (what, why) in &left_out {
            xml.push_str(&format!(
                "  <!-- left out {}: {} -->\n",
                comment_text(what),
                comment_text(why)
            ));
        }
        for o in &objects {
            let value = format!("${}", o.key);
            let extra = match o.tag {
                "Paragraphs" => {
                    let speaker = self
                        .keys
                        .iter()
                        .find(|(k, _)| **k == o.key)
                        .and_then(|(_, s)| s.speaker_key.clone())
                        .unwrap_or_else(|| "author".into());
                    format!(
                        " layout=\"dialogue\" nameKey=\"{}\" textKey=\"text\"",
                        escape(&speaker)
                    )
                }
                _ => String::new(),
            };
            let list = o.tag == "Image"
                && self
                    .keys
                    .get(&o.key)
                    .or_else(|| self.keys.get(UNDEFINED))
                    .is_some_and(|s| s.types & type_bit(PyType::List) != 0);
            let value_attr = if list { "valueList" } else { "value" };
            xml.push_str(&format!(
                "  <{} name=\"{}\" {value_attr}=\"{}\"{extra}/>\n",
                o.tag,
                escape(&o.name),
                escape(&value)
            ));
        }
        for c in control_xml {
            xml.push_str(&c);
        }
        if !self.relation_labels.is_empty() {
            xml.push_str("  <Relations>\n");
            for l in &self.relation_labels {
                xml.push_str(&format!("    <Relation value=\"{}\"/>\n", escape(l)));
            }
            xml.push_str("  </Relations>\n");
        }
        xml.push_str("</View>\n");
        Inferred {
            tasks: self.tasks,
            objects,
            controls,
            left_out,
            xml,
        }
    }
}

/// The type most regions of a control had; a `labels` control that also labelled shapes
/// (`rectanglelabels`...) stays `labels`, which accepts both.
fn dominant_type(c: &ControlStats) -> &str {
    if c.types.contains_key("labels") && c.types.keys().all(|t| t.ends_with("labels")) {
        return "labels";
    }
    c.types
        .iter()
        .max_by_key(|(_, n)| **n)
        .map_or("", |(t, _)| t.as_str())
}

/// The `only` of a DateTime that accepts every value seen (none: date and time). The
/// shapes are the ones import checks each `only` against.
fn datetime_only(values: &IndexSet<String>) -> Option<&'static str> {
    use std::sync::LazyLock;
    static SHAPES: LazyLock<[(&str, regex::Regex); 4]> = LazyLock::new(|| {
        let re = |p: &str| regex::Regex::new(p).expect("static regex");
        [
            ("date", re(r"^\d{4}-\d{2}-\d{2}$")),
            ("time", re(r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")),
            ("month", re(r"^\d{4}-\d{2}$")),
            ("year", re(r"^\d{4}$")),
        ]
    });
    if values.is_empty() {
        return None;
    }
    SHAPES
        .iter()
        .find(|(_, re)| values.iter().all(|v| re.is_match(v)))
        .map(|(only, _)| *only)
}

/// Nested `<Choice>` elements for taxonomy paths.
fn taxonomy_xml(paths: &IndexSet<Vec<String>>, out: &mut String) {
    #[derive(Default)]
    struct Node(IndexMap<String, Node>);
    let mut root = Node::default();
    for p in paths {
        let mut n = &mut root;
        for step in p {
            n = n.0.entry(step.clone()).or_default();
        }
    }
    fn write(n: &Node, depth: usize, out: &mut String) {
        for (name, child) in &n.0 {
            let pad = "  ".repeat(depth);
            if child.0.is_empty() {
                out.push_str(&format!("{pad}<Choice value=\"{}\"/>\n", escape(name)));
            } else {
                out.push_str(&format!("{pad}<Choice value=\"{}\">\n", escape(name)));
                write(child, depth + 1, out);
                out.push_str(&format!("{pad}</Choice>\n"));
            }
        }
    }
    write(&root, 2, out);
}

impl Inferred {
    /// The inferred config, parsed.
    pub fn parse(&self) -> Result<LabelConfig, super::ConfigError> {
        LabelConfig::parse(&self.xml)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn infer(tasks: &[Value]) -> Inferred {
        let mut i = Inference::new();
        for t in tasks {
            i.add_data(t["data"].as_object().unwrap());
            for part in ["annotations", "predictions"] {
                for a in t.get(part).and_then(Value::as_array).into_iter().flatten() {
                    i.add_result(&a["result"]);
                }
            }
        }
        let out = i.config();
        out.parse()
            .unwrap_or_else(|e| panic!("{e:?} in\n{}", out.xml));
        out
    }

    fn tags(o: &Inferred) -> Vec<(String, &'static str)> {
        o.objects.iter().map(|o| (o.name.clone(), o.tag)).collect()
    }

    #[test]
    fn objects_follow_what_the_values_look_like() {
        let out = infer(&[
            json!({"data": {"image": "https://x/a.JPG?s=1", "audio": "/m/a.wav", "clip": "v.mp4",
                "text": "A sentence of words", "html": "<p>hi</p>", "n": 3,
                "dialogue": [{"author": "a", "text": "hi"}], "chat": [{"role": "user", "content": "x"}],
                "meta": {"k": 1}, "sometimes": "x", "nothing": null}}),
            json!({"data": {"image": "s3://b/b.png", "audio": "/m/b.mp3", "clip": "w.webm",
                "text": "Another", "html": "<div>x</div>", "n": 4.5,
                "dialogue": [{"author": "b", "text": "yo"}], "chat": [], "meta": {}, "nothing": 1}}),
        ]);
        assert_eq!(
            tags(&out),
            [
                ("image".to_string(), "Image"),
                ("audio".into(), "Audio"),
                ("clip".into(), "Video"),
                ("text".into(), "Text"),
                ("html".into(), "HyperText"),
                ("n".into(), "Text"),
                ("dialogue".into(), "Paragraphs"),
                ("chat".into(), "Chat"),
                ("meta".into(), "Table"),
            ]
        );
        let left: Vec<&str> = out.left_out.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(left, ["sometimes", "nothing"]);
        assert!(
            out.xml
                .contains("<!-- left out sometimes: in 1 of 2 tasks -->"),
            "{}",
            out.xml
        );
        assert!(out.xml.contains(r#"<Paragraphs name="dialogue" value="$dialogue" layout="dialogue" nameKey="author" textKey="text"/>"#));
    }

    #[test]
    fn controls_come_from_results_with_the_labels_seen() {
        let out = infer(&[json!({"data": {"text": "Alice met Bob", "url": "a.png"},
        "annotations": [{"result": [
            {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}},
            {"from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 0, "end": 5, "labels": ["PER"]}},
            {"from_name": "box", "to_name": "img", "type": "rectanglelabels", "value": {"x": 1, "y": 1, "width": 2, "height": 2, "rectanglelabels": ["Cat & Dog"]}}
        ]}],
        "predictions": [{"result": [
            {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Negative"]}},
            {"from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 6, "end": 9, "labels": ["ORG"]}},
            {"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": ["x"]}},
            {"from_name": "stars", "to_name": "text", "type": "rating", "value": {"rating": 7}}
        ]}]})]);
        // `img` names no data key: the image key's object takes that name.
        assert_eq!(
            tags(&out),
            [("text".to_string(), "Text"), ("img".into(), "Image")]
        );
        let c: Vec<(&str, &str, Vec<String>, Vec<String>)> = out
            .controls
            .iter()
            .map(|c| (c.tag, c.name.as_str(), c.to_name.clone(), c.labels.clone()))
            .collect();
        assert_eq!(
            c,
            [
                (
                    "Choices",
                    "sentiment",
                    vec!["text".into()],
                    vec!["Positive".into(), "Negative".into()]
                ),
                (
                    "Labels",
                    "ner",
                    vec!["text".into()],
                    vec!["PER".into(), "ORG".into()]
                ),
                (
                    "RectangleLabels",
                    "box",
                    vec!["img".into()],
                    vec!["Cat & Dog".into()]
                ),
                ("TextArea", "note", vec!["text".into()], vec![]),
                ("Rating", "stars", vec!["text".into()], vec![]),
            ]
        );
        assert!(
            out.xml.contains(r#"<Image name="img" value="$url"/>"#),
            "{}",
            out.xml
        );
        assert!(out.xml.contains(r#"<Label value="Cat &amp; Dog"/>"#));
        assert!(out.xml.contains(r#"maxRating="7""#));
        assert!(out.xml.contains(r#"choice="single""#));
        // Every region seen is valid under the inferred config.
        let config = out.parse().unwrap();
        let region = json!([{"from_name": "box", "to_name": "img", "type": "rectanglelabels",
            "value": {"x": 1, "y": 1, "width": 2, "height": 2, "rectanglelabels": ["Cat & Dog"]}}]);
        assert_eq!(crate::task::check::check_result(&config, &region), vec![]);
    }

    #[test]
    fn text_lines_and_media_files_become_the_first_key() {
        let mut i = Inference::new();
        let mut m = Map::new();
        m.insert(UNDEFINED.into(), json!("/data/cat.png"));
        i.add_data(&m);
        let out = i.config();
        assert_eq!(tags(&out), [("image".to_string(), "Image")]);
        out.parse().unwrap();
        let mut i = Inference::new();
        let mut m = Map::new();
        m.insert(UNDEFINED.into(), json!("a line of text"));
        i.add_data(&m);
        assert_eq!(tags(&i.config()), [("text".to_string(), "Text")]);
    }

    #[test]
    fn taxonomy_paths_nest_and_multiple_choices_say_so() {
        let out = infer(&[json!({"data": {"t": "x"}, "annotations": [{"result": [
            {"from_name": "tax", "to_name": "t", "type": "taxonomy", "value": {"taxonomy": [["Animal", "Cat"], ["Animal", "Dog"], ["Plant"]]}},
            {"from_name": "tags", "to_name": "t", "type": "choices", "value": {"choices": ["a", "b"]}},
            {"from_name": "when", "to_name": "t", "type": "datetime", "value": {"datetime": "2024-02-29"}}
        ]}]})]);
        assert!(
            out.xml
                .contains("<Choice value=\"Animal\">\n      <Choice value=\"Cat\"/>"),
            "{}",
            out.xml
        );
        assert!(out.xml.contains(r#"choice="multiple""#));
        assert!(out.xml.contains(r#"only="date""#));
    }
}
