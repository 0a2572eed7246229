//! The converter's common item model: every export format except JSON reads tasks as a
//! stream of items, one per submitted annotation (`annotation_result_from_task` in Label
//! Studio's converter). Rules, in order:
//! - a task without `annotations` (or legacy `completions`) gives nothing;
//! - an empty annotation list gives one item with empty output and null annotation fields;
//! - cancelled/skipped annotations are dropped; a task with nothing left gives nothing;
//! - the rest are sorted by `created_at`, newest first (stable);
//! - `output` maps each `from_name` that is a control of the config (Repeater names
//!   included) to its region values, each a copy of `value` plus `type` = the control's
//!   tag name and `original_width`/`original_height` when the result has them.

use crate::config::LabelConfig;
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// One exported row: a task seen through one annotation.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: Value,
    pub input: Value,
    /// from_name → region values, in the order each from_name first appears.
    pub output: IndexMap<String, Vec<Map<String, Value>>>,
    /// The annotation's `completed_by` as written (`{}` for a task without annotations).
    pub completed_by: Value,
    pub annotation_id: Value,
    pub created_at: Value,
    pub updated_at: Value,
    pub lead_time: Value,
    pub history: Value,
    pub was_cancelled: Value,
    /// The task's `agreement`, when it has one.
    pub agreement: Option<Value>,
}

/// What the item model needs from the config.
pub struct ItemOptions<'a> {
    pub config: &'a LabelConfig,
    /// YOLO keypoint export also copies each result's `id` and `parentID`.
    pub keypoints: bool,
}

/// The control a result belongs to: the exact name, else the longest Repeater pattern.
fn matching_tag<'c>(config: &'c LabelConfig, from_name: &str) -> Option<&'c str> {
    if let Some(c) = config.controls.iter().find(|c| c.name == from_name) {
        return Some(&c.tag);
    }
    config
        .controls
        .iter()
        .filter(|c| {
            c.name_pattern
                .as_ref()
                .is_some_and(|re| re.is_match(from_name))
        })
        .max_by_key(|c| c.name.len())
        .map(|c| c.tag.as_str())
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

/// Python's ordering of `created_at` values (a missing one counts as 0).
fn compare_created(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        // Label Studio's converter fails on mixed types; numbers (and missing) sort first.
        (Value::Number(_), _) => Ordering::Less,
        (_, Value::Number(_)) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

fn field(a: &Map<String, Value>, key: &str) -> Value {
    a.get(key).cloned().unwrap_or(Value::Null)
}

/// The items of one task (Label Studio JSON), in the converter's order.
pub fn items_of_task(task: &Value, opts: &ItemOptions) -> Vec<Item> {
    let Some(t) = task.as_object() else {
        return Vec::new();
    };
    let annotations = match t.get("annotations").or_else(|| t.get("completions")) {
        None => return Vec::new(),
        Some(a) => a.as_array().map(Vec::as_slice).unwrap_or(&[]),
    };
    let base = |completed_by: Value| Item {
        id: field(t, "id"),
        input: field(t, "data"),
        output: IndexMap::new(),
        completed_by,
        annotation_id: Value::Null,
        created_at: Value::Null,
        updated_at: Value::Null,
        lead_time: Value::Null,
        history: Value::Null,
        was_cancelled: Value::Null,
        agreement: t.get("agreement").cloned(),
    };
    if annotations.is_empty() {
        return vec![base(Value::Object(Map::new()))];
    }
    let mut kept: Vec<&Map<String, Value>> = annotations
        .iter()
        .filter_map(Value::as_object)
        .filter(|a| !(truthy(a.get("skipped")) || truthy(a.get("was_cancelled"))))
        .collect();
    let zero = Value::from(0);
    kept.sort_by(|a, b| {
        compare_created(
            b.get("created_at").unwrap_or(&zero),
            a.get("created_at").unwrap_or(&zero),
        )
    });
    let no_controls = opts.config.controls.is_empty();
    kept.into_iter()
        .map(|a| {
            let mut output: IndexMap<String, Vec<Map<String, Value>>> = IndexMap::new();
            let results = a
                .get("result")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            for r in results {
                let Some(r) = r.as_object() else { continue };
                let Some(from_name) = r
                    .get("from_name")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                else {
                    continue;
                };
                let ty = r.get("type").and_then(Value::as_str);
                let v = if let Some(tag) = matching_tag(opts.config, from_name) {
                    let mut v = r
                        .get("value")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    v.insert("type".into(), Value::String(tag.to_string()));
                    for k in ["original_width", "original_height"] {
                        if let Some(x) = r.get(k) {
                            v.insert(k.into(), x.clone());
                        }
                    }
                    if opts.keypoints {
                        v.insert("id".into(), field(r, "id"));
                        v.insert("parentID".into(), field(r, "parentID"));
                    }
                    v
                } else if ty == Some("chatmessage") {
                    let mut v = r
                        .get("value")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    v.insert("type".into(), Value::String("chatmessage".into()));
                    v
                } else if no_controls {
                    let mut v = r
                        .get("value")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    v.insert(
                        "type".into(),
                        Value::String(
                            ty.filter(|t| !t.is_empty())
                                .unwrap_or("unknown")
                                .to_string(),
                        ),
                    );
                    for k in ["original_width", "original_height"] {
                        if let Some(x) = r.get(k) {
                            v.insert(k.into(), x.clone());
                        }
                    }
                    v
                } else {
                    continue;
                };
                output.entry(from_name.to_string()).or_default().push(v);
            }
            let mut item = base(
                a.get("completed_by")
                    .cloned()
                    .unwrap_or(Value::Object(Map::new())),
            );
            item.output = output;
            item.annotation_id = field(a, "id");
            item.created_at = field(a, "created_at");
            item.updated_at = field(a, "updated_at");
            item.lead_time = field(a, "lead_time");
            item.history = field(a, "history");
            item.was_cancelled = field(a, "was_cancelled");
            item
        })
        .collect()
}

/// [`items_of_task`] for a task the caller no longer needs: the task data is moved into
/// the items instead of copied (once per item but the last).
pub fn items_of_task_owned(mut task: Value, opts: &ItemOptions) -> Vec<Item> {
    let data = match task.as_object_mut() {
        Some(t) => t.get_mut("data").map(Value::take),
        None => None,
    };
    let mut items = items_of_task(&task, opts);
    if let Some(data) = data
        && let Some((last, rest)) = items.split_last_mut()
    {
        for item in rest {
            item.input = data.clone();
        }
        last.input = data;
    }
    items
}

/// The annotator as the converter prints it (`get_annotator`): a dict's `email`, an int
/// as an int (`int_id`) or its decimal text, anything else as text.
pub fn annotator(item: &Item, int_id: bool) -> Value {
    match &item.completed_by {
        Value::Object(m) => m.get("email").cloned().unwrap_or(Value::Null),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            if int_id {
                Value::Number(n.clone())
            } else {
                Value::String(n.to_string())
            }
        }
        other => Value::String(super::pyjson::py_str(other)),
    }
}

/// `prettify_result`: one control's regions as JSON_MIN rows and CSV cells show them. Each
/// region loses `type`; a Choices region with one choice becomes that choice, a TextArea
/// region with one line becomes that line, a chat message its `chatmessage`. A Choices or
/// TextArea control (judged by its last region) with one region gives that element alone;
/// anything else gives the list.
pub fn prettify(regions: &[Map<String, Value>]) -> Value {
    let mut out = Vec::with_capacity(regions.len());
    let mut last_type: Option<&str> = None;
    for r in regions {
        let ty = r.get("type").and_then(Value::as_str);
        last_type = ty;
        let single = |key: &str| {
            r.get(key)
                .and_then(Value::as_array)
                .filter(|a| a.len() == 1)
                .map(|a| a[0].clone())
        };
        let pretty = match ty {
            Some("Choices") => single("choices"),
            Some("TextArea") => single("text"),
            Some("Chat") | Some("chatmessage") => Some(
                r.get("chatmessage")
                    .cloned()
                    .unwrap_or_else(|| Value::Object(without_type(r))),
            ),
            _ => None,
        };
        out.push(pretty.unwrap_or_else(|| Value::Object(without_type(r))));
    }
    if matches!(last_type, Some("Choices") | Some("TextArea")) && out.len() == 1 {
        return out.pop().unwrap_or(Value::Null);
    }
    Value::Array(out)
}

fn without_type(r: &Map<String, Value>) -> Map<String, Value> {
    let mut m = r.clone();
    m.shift_remove("type");
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> LabelConfig {
        LabelConfig::parse(
            r#"<View><Text name="text" value="$text"/>
            <Choices name="sentiment" toName="text"><Choice value="A"/><Choice value="B"/></Choices></View>"#,
        )
        .unwrap()
    }

    #[test]
    fn items_follow_the_converter_rules() {
        let c = config();
        let opts = ItemOptions {
            config: &c,
            keypoints: false,
        };
        let task = json!({"id": 5, "data": {"text": "x"}, "annotations": [
            {"id": 1, "created_at": "2024-01-01", "completed_by": 1, "result": [
                {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["A"]}, "original_width": 3},
                {"from_name": "gone", "to_name": "text", "type": "choices", "value": {"choices": ["A"]}}]},
            {"id": 2, "created_at": "2024-02-01", "result": []},
            {"id": 3, "created_at": "2024-03-01", "was_cancelled": true, "result": []}
        ]});
        let items = items_of_task(&task, &opts);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].annotation_id, json!(2), "newest first");
        assert_eq!(items[0].completed_by, json!({}));
        assert_eq!(
            Value::Object(items[1].output["sentiment"][0].clone()),
            json!({"choices": ["A"], "type": "Choices", "original_width": 3})
        );
        assert!(!items[1].output.contains_key("gone"));
        assert_eq!(annotator(&items[1], true), json!(1));
        assert_eq!(annotator(&items[1], false), json!("1"));

        let empty = items_of_task(&json!({"id": 6, "data": {}, "annotations": []}), &opts);
        assert_eq!(empty.len(), 1);
        assert!(empty[0].output.is_empty());
        assert!(items_of_task(&json!({"id": 7, "data": {}}), &opts).is_empty());
        assert!(items_of_task(&json!({"id": 8, "data": {}, "annotations": [{"was_cancelled": true, "result": []}]}), &opts).is_empty());
    }
}
