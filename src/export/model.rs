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
use crate::store::{AnnotationRow, TaskFull};
use crate::util::truthy;
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

impl Item {
    /// An item of task `id` with nothing but who annotated; the rest is filled in after.
    fn blank(id: Value, completed_by: Value, agreement: Option<Value>) -> Item {
        Item {
            id,
            input: Value::Null,
            output: IndexMap::new(),
            completed_by,
            annotation_id: Value::Null,
            created_at: Value::Null,
            updated_at: Value::Null,
            lead_time: Value::Null,
            history: Value::Null,
            was_cancelled: Value::Null,
            agreement,
        }
    }
}

/// What the item model needs from the config.
pub struct ItemOptions<'a> {
    pub config: &'a LabelConfig,
    /// YOLO keypoint export also copies each result's `id` and `parentID`.
    pub keypoints: bool,
}

/// The control a result belongs to: the exact name, else the longest Repeater pattern.
pub(super) fn matching_tag<'c>(config: &'c LabelConfig, from_name: &str) -> Option<&'c str> {
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

/// Python's ordering of `created_at` values (a missing one counts as 0).
pub(super) fn compare_created(a: &Value, b: &Value) -> Ordering {
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

/// A field that is present, `null` included (a missing one stays `None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Value>, D::Error> {
    serde::Deserialize::deserialize(d).map(Some)
}

/// The fields of one result the item model reads. Parsed straight from JSON text, the
/// other fields are skipped without building values for them.
#[derive(Default, serde::Deserialize)]
struct ResultParts {
    #[serde(default, deserialize_with = "present")]
    from_name: Option<Value>,
    #[serde(rename = "type", default, deserialize_with = "present")]
    ty: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    value: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    original_width: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    original_height: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    #[serde(rename = "parentID", default, deserialize_with = "present")]
    parent_id: Option<Value>,
}

impl ResultParts {
    fn of_map(mut r: Map<String, Value>) -> Self {
        ResultParts {
            from_name: r.swap_remove("from_name"),
            ty: r.swap_remove("type"),
            value: r.swap_remove("value"),
            original_width: r.swap_remove("original_width"),
            original_height: r.swap_remove("original_height"),
            id: r.swap_remove("id"),
            parent_id: r.swap_remove("parentID"),
        }
    }

    /// The results of an annotation stored as JSON text; results that are not objects
    /// are left out, as the item model leaves them out.
    fn parse_list(text: &str) -> Vec<ResultParts> {
        // Duplicate keys (the last wins, as in Python) or odd elements take the slow path.
        if let Ok(list) = serde_json::from_str::<Vec<ResultParts>>(text) {
            return list;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(list)) => Self::of_values(list),
            _ => Vec::new(),
        }
    }

    fn of_values(list: Vec<Value>) -> Vec<ResultParts> {
        list.into_iter()
            .filter_map(|r| match r {
                Value::Object(r) => Some(ResultParts::of_map(r)),
                _ => None,
            })
            .collect()
    }
}

/// One annotation's `output`: its results grouped by `from_name`, each region value with
/// the result's `type` and image size added (see the module comment).
fn output_of(
    results: Vec<ResultParts>,
    opts: &ItemOptions,
) -> IndexMap<String, Vec<Map<String, Value>>> {
    let no_controls = opts.config.controls.is_empty();
    let mut output: IndexMap<String, Vec<Map<String, Value>>> = IndexMap::new();
    for r in results {
        let from_name = match r.from_name {
            Some(Value::String(s)) if !s.is_empty() => s,
            _ => continue,
        };
        let ty = r.ty.as_ref().and_then(Value::as_str);
        // The `type` this region gets, and whether the image size comes along.
        let (tag, sized, control) = if let Some(tag) = matching_tag(opts.config, &from_name) {
            (tag.to_string(), true, true)
        } else if ty == Some("chatmessage") {
            ("chatmessage".to_string(), false, false)
        } else if no_controls {
            let ty = ty.filter(|t| !t.is_empty()).unwrap_or("unknown");
            (ty.to_string(), true, false)
        } else {
            continue;
        };
        let mut v = match r.value {
            Some(Value::Object(o)) => o,
            _ => Map::new(),
        };
        v.insert("type".into(), Value::String(tag));
        if sized {
            for (k, x) in [
                ("original_width", r.original_width),
                ("original_height", r.original_height),
            ] {
                if let Some(x) = x {
                    v.insert(k.into(), x);
                }
            }
        }
        if opts.keypoints && control {
            v.insert("id".into(), r.id.unwrap_or(Value::Null));
            v.insert("parentID".into(), r.parent_id.unwrap_or(Value::Null));
        }
        match output.get_mut(&from_name) {
            Some(regions) => regions.push(v),
            None => {
                output.insert(from_name, vec![v]);
            }
        }
    }
    output
}

/// Gives each item the task data: moved into the last, copied into the others.
fn share_input(items: &mut [Item], data: Value) {
    if let Some((last, rest)) = items.split_last_mut() {
        for item in rest {
            item.input = data.clone();
        }
        last.input = data;
    }
}

/// The items of one task (Label Studio JSON), in the converter's order.
pub fn items_of_task(task: &Value, opts: &ItemOptions) -> Vec<Item> {
    items_of_task_owned(task.clone(), opts)
}

/// The fields of one annotation the item model reads.
#[derive(Default, serde::Deserialize)]
struct AnnotationParts {
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    completed_by: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    created_at: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    updated_at: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    lead_time: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    history: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    was_cancelled: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    skipped: Option<Value>,
    /// A missing or null `result` is an empty one.
    #[serde(default, deserialize_with = "null_as_empty")]
    result: Vec<ResultParts>,
    /// An element of the list that is not an object: it gives no item.
    #[serde(skip)]
    not_object: bool,
}

impl AnnotationParts {
    fn of_value(a: Value) -> AnnotationParts {
        let Value::Object(mut a) = a else {
            return AnnotationParts {
                not_object: true,
                ..AnnotationParts::default()
            };
        };
        AnnotationParts {
            id: a.swap_remove("id"),
            completed_by: a.swap_remove("completed_by"),
            created_at: a.swap_remove("created_at"),
            updated_at: a.swap_remove("updated_at"),
            lead_time: a.swap_remove("lead_time"),
            history: a.swap_remove("history"),
            was_cancelled: a.swap_remove("was_cancelled"),
            skipped: a.swap_remove("skipped"),
            result: match a.swap_remove("result") {
                Some(Value::Array(r)) => ResultParts::of_values(r),
                _ => Vec::new(),
            },
            not_object: false,
        }
    }
}

fn null_as_empty<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> std::result::Result<Vec<T>, D::Error> {
    Ok(<Option<Vec<T>> as serde::Deserialize>::deserialize(d)?.unwrap_or_default())
}

/// A present annotation list; `null` is an empty one.
fn present_list<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Vec<AnnotationParts>>, D::Error> {
    Ok(Some(
        <Option<Vec<AnnotationParts>> as serde::Deserialize>::deserialize(d)?.unwrap_or_default(),
    ))
}

/// The fields of a task the item model reads. An export file's elements are parsed
/// straight into it; anything it cannot hold (an annotation list that is not a list,
/// duplicate keys...) takes the slower way through [`TaskParts::of_value`].
#[derive(serde::Deserialize)]
pub struct TaskParts {
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    data: Option<Value>,
    #[serde(default, deserialize_with = "present_list")]
    annotations: Option<Vec<AnnotationParts>>,
    #[serde(default, deserialize_with = "present_list")]
    completions: Option<Vec<AnnotationParts>>,
    #[serde(default, deserialize_with = "present")]
    agreement: Option<Value>,
}

impl TaskParts {
    /// `None` for a value that is not an object (it gives no items).
    pub fn of_value(task: Value) -> Option<TaskParts> {
        let Value::Object(mut t) = task else {
            return None;
        };
        let list = |v: Option<Value>| {
            v.map(|v| match v {
                Value::Array(a) => a.into_iter().map(AnnotationParts::of_value).collect(),
                _ => Vec::new(),
            })
        };
        Some(TaskParts {
            id: t.swap_remove("id"),
            data: t.swap_remove("data"),
            annotations: list(t.swap_remove("annotations")),
            completions: list(t.swap_remove("completions")),
            agreement: t.swap_remove("agreement"),
        })
    }

    /// One element of an export file; `Ok(None)` for an element that is not an object.
    pub fn parse(bytes: &[u8]) -> serde_json::Result<Option<TaskParts>> {
        // Only objects: serde would also fill a struct from a list, by position.
        let object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        // Checked as UTF-8 once, the strings are not checked again one by one.
        if object
            && let Ok(text) = std::str::from_utf8(bytes)
            && let Ok(t) = serde_json::from_str::<TaskParts>(text)
        {
            return Ok(Some(t));
        }
        Ok(TaskParts::of_value(serde_json::from_slice(bytes)?))
    }
}

/// [`items_of_task`] for a task the caller no longer needs: its values are moved into the
/// items instead of copied.
pub fn items_of_task_owned(task: Value, opts: &ItemOptions) -> Vec<Item> {
    match TaskParts::of_value(task) {
        Some(t) => items_of_parts(t, opts),
        None => Vec::new(),
    }
}

/// The item model's rules (see the module comment) on a task's parts.
pub fn items_of_parts(t: TaskParts, opts: &ItemOptions) -> Vec<Item> {
    let Some(annotations) = t.annotations.or(t.completions) else {
        return Vec::new();
    };
    let id = t.id.unwrap_or(Value::Null);
    let data = t.data.unwrap_or(Value::Null);
    let agreement = t.agreement;
    let base = |completed_by: Value| Item::blank(id.clone(), completed_by, agreement.clone());
    if annotations.is_empty() {
        let mut items = vec![base(Value::Object(Map::new()))];
        share_input(&mut items, data);
        return items;
    }
    let mut kept: Vec<AnnotationParts> = annotations
        .into_iter()
        .filter(|a| {
            !(a.not_object || truthy(a.skipped.as_ref()) || truthy(a.was_cancelled.as_ref()))
        })
        .collect();
    let zero = Value::from(0);
    kept.sort_by(|a, b| {
        compare_created(
            b.created_at.as_ref().unwrap_or(&zero),
            a.created_at.as_ref().unwrap_or(&zero),
        )
    });
    let or_null = |v: Option<Value>| v.unwrap_or(Value::Null);
    let mut items: Vec<Item> = kept
        .into_iter()
        .map(|a| {
            let mut item = base(a.completed_by.unwrap_or(Value::Object(Map::new())));
            item.output = output_of(a.result, opts);
            item.annotation_id = or_null(a.id);
            item.created_at = or_null(a.created_at);
            item.updated_at = or_null(a.updated_at);
            item.lead_time = or_null(a.lead_time);
            item.history = or_null(a.history);
            item.was_cancelled = or_null(a.was_cancelled);
            item
        })
        .collect();
    share_input(&mut items, data);
    items
}

/// The items of a project task, built from its rows without the intermediate task JSON.
pub fn items_of_project_task(t: TaskFull, opts: &ItemOptions) -> Vec<Item> {
    let annotations = t
        .annotations
        .into_iter()
        .map(|a: AnnotationRow| AnnotationParts {
            id: Some(Value::from(a.id)),
            completed_by: Some(a.completed_by.map_or(Value::Null, Value::from)),
            created_at: Some(Value::String(a.created_at)),
            updated_at: Some(Value::String(a.updated_at)),
            lead_time: Some(a.lead_time.map_or(Value::Null, Value::from)),
            history: None,
            was_cancelled: Some(Value::Bool(a.was_cancelled)),
            skipped: None,
            result: ResultParts::parse_list(&a.result),
            not_object: false,
        })
        .collect();
    items_of_parts(
        TaskParts {
            id: Some(Value::from(t.task.id)),
            data: Some(parse_or_null(&t.task.data)),
            annotations: Some(annotations),
            completions: None,
            agreement: None,
        },
        opts,
    )
}

fn parse_or_null(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// The annotator as the converter prints it (`get_annotator`): a dict's `email`, an int
/// as an int (`int_id`) or its decimal text, anything else as text.
pub fn annotator(item: &Item, int_id: bool) -> Value {
    annotator_of(&item.completed_by, int_id)
}

/// [`annotator`] of an annotation's `completed_by`.
pub fn annotator_of(completed_by: &Value, int_id: bool) -> Value {
    match completed_by {
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
pub fn prettify(regions: Vec<Map<String, Value>>) -> Value {
    let mut out = Vec::with_capacity(regions.len());
    let mut last_single = false;
    for mut r in regions {
        let ty = r.get("type").and_then(Value::as_str);
        last_single = matches!(ty, Some("Choices") | Some("TextArea"));
        let single_key = match ty {
            Some("Choices") => Some("choices"),
            Some("TextArea") => Some("text"),
            _ => None,
        };
        let chat = matches!(ty, Some("Chat") | Some("chatmessage"));
        let is_single = single_key.is_some_and(|k| {
            r.get(k)
                .and_then(Value::as_array)
                .is_some_and(|a| a.len() == 1)
        });
        let pretty = if let (true, Some(k)) = (is_single, single_key) {
            match r.swap_remove(k) {
                Some(Value::Array(mut a)) => a.pop().unwrap_or(Value::Null),
                _ => Value::Null,
            }
        } else if chat && let Some(m) = r.swap_remove("chatmessage") {
            m
        } else {
            r.shift_remove("type");
            Value::Object(r)
        };
        out.push(pretty);
    }
    if last_single && out.len() == 1 {
        return out.pop().unwrap_or(Value::Null);
    }
    Value::Array(out)
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

    /// Parsed straight into parts or through a JSON value, a task gives the same items.
    #[test]
    fn typed_parts_give_the_items_of_the_value() {
        let c = config();
        let opts = ItemOptions {
            config: &c,
            keypoints: true,
        };
        let cases = [
            r#"{"id": 1, "data": {"text": "x"}, "annotations": [{"id": 9, "created_at": "2024-01-02", "completed_by": {"email": "a@b"},
                "result": [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["A"]}, "original_width": null, "id": "r", "parentID": "p"}]},
                {"id": 10, "created_at": "2024-01-03", "lead_time": 2.5, "history": [1], "result": null},
                {"id": 11, "skipped": 1, "result": []}], "agreement": 50}"#,
            r#"{"id": 2, "data": {"text": "y"}, "annotations": null}"#,
            r#"{"id": 3, "data": {"text": "y"}, "completions": [{"id": 1, "result": [{"from_name": "", "value": {}}]}]}"#,
            r#"{"id": 4, "data": {"text": "y"}, "annotations": [{"was_cancelled": true}]}"#,
            r#"{"id": 5, "data": {"text": "y"}}"#,
            r#"{"id": 6, "annotations": [{"id": 1, "completed_by": null, "created_at": 5, "result": [{"from_name": "sentiment", "value": 3}]}]}"#,
        ];
        for case in cases {
            let typed = serde_json::from_slice::<TaskParts>(case.as_bytes())
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            let via_value = items_of_task_owned(serde_json::from_str(case).unwrap(), &opts);
            assert_eq!(items_of_parts(typed, &opts), via_value, "{case}");
        }
        // What the typed parse refuses takes the value's way, with the value's rules.
        for (case, n) in [
            (
                r#"{"id": 7, "annotations": [5, {"id": 1, "result": []}]}"#,
                1,
            ),
            (
                r#"{"id": 8, "annotations": [{"id": 1, "id": 2, "result": []}]}"#,
                1,
            ),
            (r#"{"id": 9, "annotations": "none"}"#, 1),
            (r#"[1, 2]"#, 0),
            (r#"[1, {"text": "x"}, [], [], 5]"#, 0),
        ] {
            assert!(serde_json::from_slice::<TaskParts>(case.as_bytes()).is_err() || n == 0);
            let parts = TaskParts::parse(case.as_bytes()).unwrap();
            let items = parts.map_or_else(Vec::new, |t| items_of_parts(t, &opts));
            assert_eq!(
                items,
                items_of_task_owned(serde_json::from_str(case).unwrap(), &opts)
            );
            assert_eq!(items.len(), n, "{case}");
        }
        assert_eq!(
            items_of_task_owned(
                serde_json::json!({"id": 8, "annotations": [{"id": 1, "id": 2}]}),
                &opts
            )[0]
            .annotation_id,
            serde_json::json!(2)
        );
    }
}
