//! Tasks, annotations, predictions and result regions as they travel from import to the
//! store, and `$var` resolution.

pub mod chat;
pub mod check;
pub mod json_tree;
pub mod resolve;
pub mod timeseries;

use serde_json::Value;

/// Who completed an annotation, as an import file says it.
#[derive(Debug, Clone, PartialEq)]
pub enum Completer {
    /// Not given: the importing user.
    Importer,
    /// A user id (`"completed_by": 3`).
    Id(i64),
    /// A user email or name (`{"email": "a@b"}`, or a plain string).
    Email(String),
}

/// An annotation read from a task file.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnotationIn {
    /// The result list as compact JSON text.
    pub result: String,
    pub completed_by: Completer,
    pub was_cancelled: bool,
    pub ground_truth: bool,
    pub lead_time: Option<f64>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// The annotation's `id` in the file (Label Studio keeps it as `import_id`).
    pub import_id: Option<i64>,
}

/// A prediction read from a task file, its result already normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionIn {
    /// A list of regions as JSON text, or `null` when a dict result matched no control
    /// (as Label Studio).
    pub result: String,
    pub score: Option<f64>,
    pub model_version: String,
    pub created_at: Option<String>,
}

/// A validated task, ready for the store.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskItem {
    /// Task data as compact JSON object text.
    pub data: String,
    /// Task meta as compact JSON text.
    pub meta: String,
    pub annotations: Vec<AnnotationIn>,
    pub predictions: Vec<PredictionIn>,
    /// The `id` the task had in its file (never reused as our id, as in Label Studio).
    pub original_id: Option<i64>,
    pub allow_skip: bool,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// Line (or CSV record) where the task starts in its file.
    pub source_line: Option<usize>,
}

/// Label Studio's `created_username` as its exports (and ours) write it, `"email, id"`:
/// the email and the id text, trimmed; `None` when it has no email.
pub fn created_username(s: &str) -> Option<(&str, &str)> {
    let (email, id) = s.rsplit_once(", ")?;
    let email = email.trim();
    (!email.is_empty()).then_some((email, id.trim()))
}

/// The `id` of a result region, when it has one.
pub fn region_id(region: &Value) -> Option<&str> {
    region.get("id").and_then(Value::as_str)
}

/// The label-like values of a region: `value.<type>` as a list of strings
/// (choices, labels, rectanglelabels...). Taxonomy paths are joined with `/`.
pub fn region_labels(region: &Value) -> Vec<String> {
    let Some(ty) = region.get("type").and_then(Value::as_str) else {
        return Vec::new();
    };
    let Some(value) = region.get("value") else {
        return Vec::new();
    };
    let key = match ty {
        "relation" => return string_list(region.get("labels")),
        "textarea" => return Vec::new(),
        "videorectangle" => "labels",
        t => t,
    };
    match value.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Array(path) => Some(
                    path.iter()
                        .map(resolve::as_text)
                        .collect::<Vec<_>>()
                        .join("/"),
                ),
                Value::Null => None,
                other => Some(other.to_string()),
            })
            .collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(other) => vec![other.to_string()],
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().map(resolve::as_text).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_of_regions() {
        assert_eq!(
            region_labels(&json!({"type": "choices", "value": {"choices": ["A", "B"]}})),
            vec!["A", "B"]
        );
        assert_eq!(
            region_labels(&json!({"type": "taxonomy", "value": {"taxonomy": [["A", "B"], ["C"]]}})),
            vec!["A/B", "C"]
        );
        assert_eq!(
            region_labels(&json!({"type": "rating", "value": {"rating": 4}})),
            vec!["4"]
        );
        assert!(region_labels(&json!({"type": "textarea", "value": {"text": ["x"]}})).is_empty());
    }
}
