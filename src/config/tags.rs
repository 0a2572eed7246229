//! The tag catalogue: which tags carry data (objects), which write results (controls),
//! and what each control writes.

/// An object tag: something that shows task data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    Text,
    HyperText,
    Paragraphs,
    Image,
    Audio,
    Video,
    TimeSeries,
    Table,
    Header,
    List,
    Chat,
    Pdf,
    Markdown,
    Other,
}

impl ObjectKind {
    pub fn from_tag(tag: &str) -> ObjectKind {
        match tag.to_ascii_lowercase().as_str() {
            "text" => ObjectKind::Text,
            "hypertext" => ObjectKind::HyperText,
            "paragraphs" => ObjectKind::Paragraphs,
            "image" => ObjectKind::Image,
            "audio" | "audioplus" => ObjectKind::Audio,
            "video" => ObjectKind::Video,
            "timeseries" => ObjectKind::TimeSeries,
            "table" => ObjectKind::Table,
            "header" => ObjectKind::Header,
            "list" => ObjectKind::List,
            "chat" => ObjectKind::Chat,
            "pdf" => ObjectKind::Pdf,
            "markdown" => ObjectKind::Markdown,
            _ => ObjectKind::Other,
        }
    }
}

/// The Python types Label Studio's import validator accepts for `data[key]` of each object
/// tag (`tasks/validation.py`); anything not listed must be a `str`.
pub fn accepted_data_types(tag: &str, dynamic_control: bool) -> &'static [PyType] {
    use PyType::*;
    if dynamic_control {
        return if tag.eq_ignore_ascii_case("Taxonomy") {
            &[Str, List, NoneType]
        } else {
            &[Str, List]
        };
    }
    match tag {
        "Text" => &[Str, Int, Float, List],
        "Header" => &[Str, Int, Float],
        "HyperText" => &[Str],
        "Image" => &[Str, List],
        "Paragraphs" => &[List, Str],
        "Chat" => &[List, Str],
        "Table" => &[Dict, List, Str],
        "TimeSeries" => &[Dict, List, Str],
        "List" => &[List, Str],
        _ => &[Str],
    }
}

/// JSON values seen through Python's eyes, for Label Studio's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PyType {
    Str,
    Int,
    Float,
    Bool,
    List,
    Dict,
    NoneType,
}

impl PyType {
    pub fn of(v: &serde_json::Value) -> PyType {
        use serde_json::Value;
        match v {
            Value::Null => PyType::NoneType,
            Value::Bool(_) => PyType::Bool,
            Value::Number(n) if n.is_f64() => PyType::Float,
            Value::Number(_) => PyType::Int,
            Value::String(_) => PyType::Str,
            Value::Array(_) => PyType::List,
            Value::Object(_) => PyType::Dict,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PyType::Str => "str",
            PyType::Int => "int",
            PyType::Float => "float",
            PyType::Bool => "bool",
            PyType::List => "list",
            PyType::Dict => "dict",
            PyType::NoneType => "NoneType",
        }
    }

    /// `isinstance` semantics: a bool is an int in Python.
    pub fn accepted_by(self, allowed: &[PyType]) -> bool {
        allowed.contains(&self) || (self == PyType::Bool && allowed.contains(&PyType::Int))
    }
}

/// A control tag: something that writes a result region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlKind {
    Choices,
    Labels,
    Rectangle,
    RectangleLabels,
    Polygon,
    PolygonLabels,
    KeyPoint,
    KeyPointLabels,
    Ellipse,
    EllipseLabels,
    Brush,
    BrushLabels,
    MagicWand,
    BitmaskLabels,
    TextArea,
    Rating,
    Number,
    DateTime,
    Taxonomy,
    Pairwise,
    Ranker,
    Relations,
    ParagraphLabels,
    HyperTextLabels,
    TimeSeriesLabels,
    TimelineLabels,
    VideoRectangle,
    Vector,
    VectorLabels,
    Other,
}

impl ControlKind {
    pub fn from_tag(tag: &str) -> ControlKind {
        use ControlKind::*;
        match tag.to_ascii_lowercase().as_str() {
            "choices" => Choices,
            "labels" => Labels,
            "rectangle" => Rectangle,
            "rectanglelabels" => RectangleLabels,
            "polygon" => Polygon,
            "polygonlabels" => PolygonLabels,
            "keypoint" => KeyPoint,
            "keypointlabels" => KeyPointLabels,
            "ellipse" => Ellipse,
            "ellipselabels" => EllipseLabels,
            "brush" => Brush,
            "brushlabels" => BrushLabels,
            "magicwand" => MagicWand,
            "bitmasklabels" => BitmaskLabels,
            "textarea" => TextArea,
            "rating" => Rating,
            "number" => Number,
            "datetime" => DateTime,
            "taxonomy" => Taxonomy,
            "pairwise" => Pairwise,
            "ranker" => Ranker,
            "relations" => Relations,
            "paragraphlabels" => ParagraphLabels,
            "hypertextlabels" => HyperTextLabels,
            "timeserieslabels" => TimeSeriesLabels,
            "timelinelabels" => TimelineLabels,
            "videorectangle" => VideoRectangle,
            "vector" => Vector,
            "vectorlabels" => VectorLabels,
            _ => Other,
        }
    }

    /// The key inside `value` that holds the control's main value
    /// (`{"choices": [...]}`, `{"rectanglelabels": [...]}`, `{"text": [...]}`...).
    pub fn value_key(self, tag: &str) -> Option<String> {
        use ControlKind::*;
        Some(
            match self {
                Choices => "choices",
                Labels => "labels",
                TextArea => "text",
                Rating => "rating",
                Number => "number",
                DateTime => "datetime",
                Taxonomy => "taxonomy",
                Pairwise => "selected",
                Ranker => "ranker",
                Relations => "labels",
                RectangleLabels | PolygonLabels | KeyPointLabels | EllipseLabels | BrushLabels
                | BitmaskLabels | ParagraphLabels | HyperTextLabels | TimeSeriesLabels
                | TimelineLabels | VectorLabels => return Some(tag.to_ascii_lowercase()),
                VideoRectangle => "labels",
                Rectangle | Polygon | KeyPoint | Ellipse | Brush | MagicWand | Vector => {
                    return None;
                }
                Other => return None,
            }
            .to_string(),
        )
    }

    /// Controls whose labels name regions (spans, shapes), as opposed to classifications.
    pub fn makes_regions(self) -> bool {
        use ControlKind::*;
        matches!(
            self,
            Labels
                | Rectangle
                | RectangleLabels
                | Polygon
                | PolygonLabels
                | KeyPoint
                | KeyPointLabels
                | Ellipse
                | EllipseLabels
                | Brush
                | BrushLabels
                | MagicWand
                | BitmaskLabels
                | ParagraphLabels
                | HyperTextLabels
                | TimeSeriesLabels
                | TimelineLabels
                | VideoRectangle
                | Vector
                | VectorLabels
        )
    }

    /// Image geometry a control draws, if any (`Labels` alone draws none).
    pub fn geometry(self) -> Option<&'static str> {
        use ControlKind::*;
        match self {
            Rectangle | RectangleLabels => Some("rectangle"),
            Polygon | PolygonLabels => Some("polygon"),
            KeyPoint | KeyPointLabels => Some("keypoint"),
            Ellipse | EllipseLabels => Some("ellipse"),
            Brush | BrushLabels | MagicWand => Some("brush"),
            Vector | VectorLabels => Some("vector"),
            _ => None,
        }
    }

    /// Result `type` written by this control: the tag name in lower case
    /// (`relation` for Relations).
    pub fn result_type(self, tag: &str) -> String {
        if self == ControlKind::Relations {
            "relation".into()
        } else if self == ControlKind::MagicWand {
            "brushlabels".into()
        } else {
            tag.to_ascii_lowercase()
        }
    }
}

/// Tags that only arrange or decorate; they are never objects or controls on their own.
pub const VISUAL_TAGS: &[&str] = &[
    "View",
    "Header",
    "Style",
    "Collapse",
    "Panel",
    "Filter",
    "Shortcut",
    "Repeater",
    "Choice",
    "Label",
    "Relation",
    "Bucket",
    "Channel",
    "Text",
    "Image",
    "HyperText",
    "Hypertext",
    "Paragraphs",
    "Audio",
    "AudioPlus",
    "Video",
    "TimeSeries",
    "Table",
    "List",
    "Chat",
    "PDF",
    "Pdf",
    "Markdown",
    "Ranker",
    "Pairwise",
    "Choices",
    "Labels",
    "Rectangle",
    "RectangleLabels",
    "Polygon",
    "PolygonLabels",
    "KeyPoint",
    "KeyPointLabels",
    "Ellipse",
    "EllipseLabels",
    "Brush",
    "BrushLabels",
    "MagicWand",
    "BitmaskLabels",
    "Bitmask",
    "TextArea",
    "Rating",
    "Number",
    "DateTime",
    "Taxonomy",
    "Relations",
    "ParagraphLabels",
    "HyperTextLabels",
    "TimeSeriesLabels",
    "TimelineLabels",
    "VideoRectangle",
    "Vector",
    "VectorLabels",
    "Cube",
    "CubeLabels",
    "ReactCode",
    "ChatMessage",
    "VideoVector",
    "VideoVectorLabels",
    "OcrLabels",
    "PdfLabels",
    "Timeline",
    "Dialog",
    "Iframe",
    "Var",
    "Custom",
    "CustomInterface",
];

/// Whether a tag is one Label Studio knows (case-insensitively, as its frontend matches them).
pub fn is_known_tag(tag: &str) -> bool {
    VISUAL_TAGS.iter().any(|t| t.eq_ignore_ascii_case(tag))
}
