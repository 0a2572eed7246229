//! Turns one raw item from any reader into a validated task, with Label Studio's rules
//! (`TaskValidator`): the `data` envelope rule, `$undefined$` renaming, data keys and their
//! types, annotations, and predictions normalised and checked against the config.

use super::{RawItem, Shape};
use crate::config::tags::{PyType, accepted_data_types};
use crate::config::validate::py_str;
use crate::config::{ControlKind, LabelConfig};
use crate::error::{Problem, TaskRef};
use crate::task::check::check_result;
use crate::task::{AnnotationIn, Completer, PredictionIn, TaskItem};
use serde_json::{Map, Value};

/// What every item is checked against.
pub struct ItemRules<'a> {
    pub config: &'a LabelConfig,
    /// `--map FIELD=COLUMN`: the file's COLUMN becomes the config's FIELD.
    pub maps: &'a [(String, String)],
}

pub struct Processed {
    pub task: TaskItem,
    pub warnings: Vec<Problem>,
}

/// Python's repr of a JSON value (for Label Studio's messages), cut at 100 characters.
pub fn py_repr(v: &Value) -> String {
    fn go(v: &Value, out: &mut String) {
        match v {
            Value::Null => out.push_str("None"),
            Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Value::Number(n) => {
                if n.is_f64() {
                    let f = n.as_f64().unwrap_or_default();
                    if f.fract() == 0.0 && f.abs() < 1e16 {
                        out.push_str(&format!("{f:.1}"));
                    } else {
                        out.push_str(&f.to_string());
                    }
                } else {
                    out.push_str(&n.to_string());
                }
            }
            Value::String(s) => out.push_str(&py_str(s)),
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    go(x, out);
                    if out.len() > 200 {
                        break;
                    }
                }
                out.push(']');
            }
            Value::Object(m) => {
                out.push('{');
                for (i, (k, x)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&py_str(k));
                    out.push_str(": ");
                    go(x, out);
                    if out.len() > 200 {
                        break;
                    }
                }
                out.push('}');
            }
        }
    }
    let mut s = String::new();
    go(v, &mut s);
    if s.chars().count() > 100 {
        let cut: String = s.chars().take(100).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// Label Studio's truthiness, for the `data` envelope rule.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn timestamp_field(m: &Map<String, Value>, key: &str) -> Option<String> {
    m.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Renames keys in place, keeping their position.
fn rename_key(data: &mut Map<String, Value>, from: &str, to: &str) {
    if from == to || !data.contains_key(from) {
        return;
    }
    let old = std::mem::take(data);
    for (k, v) in old {
        if k == from {
            data.insert(to.to_string(), v);
        } else if k != to {
            data.insert(k, v);
        }
    }
}

/// Finds a data key the way import validation does: the literal key first, then the
/// dotted path (Label Studio reads only the dotted path; issue #6492).
fn lookup<'v>(data: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    if let Some(v) = data.get(key) {
        return Some(v);
    }
    if key.contains('.') {
        let mut parts = key.split('.');
        let mut cur = data.get(parts.next()?)?;
        for p in parts {
            cur = cur.as_object()?.get(p)?;
        }
        return Some(cur);
    }
    None
}

fn found_keys(data: &Map<String, Value>) -> String {
    let keys: Vec<String> = data.keys().map(|k| format!("{k:?}")).collect();
    if keys.is_empty() {
        "no keys".into()
    } else {
        keys.join(", ")
    }
}

/// Normalises a prediction `result` like Label Studio (`prepare_prediction_result`), but
/// writes the canonical value shapes (`{"rating": 5}`, `{"text": ["..."]}`).
pub fn normalize_prediction_result(config: &LabelConfig, result: Value) -> Result<Value, String> {
    match result {
        Value::Array(items) => {
            if let Some(bad) = items.iter().find(|i| !i.is_object()) {
                return Err(format!(
                    "Each item in prediction result should be dict, got {}",
                    py_repr(bad)
                ));
            }
            Ok(Value::Array(items))
        }
        Value::Object(map) => {
            for ctrl in &config.controls {
                let ty = ctrl.result_type();
                if map.contains_key(&ty) {
                    return Ok(Value::Array(vec![serde_json::json!({
                        "from_name": ctrl.name,
                        "to_name": ctrl.to_name.join(","),
                        "type": ty,
                        "value": Value::Object(map),
                    })]));
                }
            }
            // No control matches: stored as null, as Label Studio does.
            Ok(Value::Null)
        }
        Value::String(_) | Value::Number(_) => {
            for ctrl in &config.controls {
                let value = match (&ctrl.kind, &result) {
                    (ControlKind::Choices, Value::String(s)) => serde_json::json!({"choices": [s]}),
                    (ControlKind::TextArea, Value::String(s)) => serde_json::json!({"text": [s]}),
                    (ControlKind::Rating, Value::Number(n)) if n.is_i64() || n.is_u64() => {
                        serde_json::json!({"rating": n})
                    }
                    (ControlKind::Number, Value::Number(n)) => serde_json::json!({"number": n}),
                    _ => continue,
                };
                return Ok(Value::Array(vec![serde_json::json!({
                    "from_name": ctrl.name,
                    "to_name": ctrl.to_name.join(","),
                    "type": ctrl.result_type(),
                    "value": value,
                })]));
            }
            Err(format!(
                "Incorrect format <class '{}'> for prediction result {}: no Choices, TextArea, Rating or Number control takes it",
                PyType::of(&result).name(),
                py_repr(&result)
            ))
        }
        other => Err(format!(
            "Incorrect format <class '{}'> for prediction result {}",
            PyType::of(&other).name(),
            py_repr(&other)
        )),
    }
}

fn completer(v: Option<&Value>) -> Result<Completer, String> {
    match v {
        None | Some(Value::Null) => Ok(Completer::Importer),
        Some(Value::Number(n)) if n.as_i64().is_some() => {
            Ok(Completer::Id(n.as_i64().unwrap_or(0)))
        }
        Some(Value::Object(m)) => match m.get("email") {
            Some(Value::String(e)) => Ok(Completer::Email(e.clone())),
            _ => Err(
                "It's expected to have 'email' field in 'completed_by' data in annotations".into(),
            ),
        },
        // Label Studio refuses names; we keep them as the user's email/name.
        Some(Value::String(s)) if !s.is_empty() => Ok(Completer::Email(s.clone())),
        Some(other) => Err(format!(
            "Import data contains completed_by={} which is not a valid annotator's email or ID",
            py_repr(other)
        )),
    }
}

fn float_field(v: Option<&Value>) -> Result<Option<f64>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| format!("{} is not a number", py_repr(&Value::String(s.clone())))),
        Some(other) => Err(format!("{} is not a number", py_repr(other))),
    }
}

pub fn process(
    rules: &ItemRules,
    raw: RawItem,
    position: usize,
) -> Result<Processed, Vec<Problem>> {
    let loc = raw.loc.clone();
    let mut task_ref = TaskRef { position, id: None };
    let mut errors: Vec<Problem> = Vec::new();
    let mut warnings: Vec<Problem> = Vec::new();
    macro_rules! err {
        ($field:expr, $($msg:tt)*) => {
            errors.push(Problem::new(loc.clone(), format!($($msg)*)).with_task(task_ref.clone()).with_field($field))
        };
    }
    macro_rules! warn {
        ($field:expr, $($msg:tt)*) => {
            warnings.push(Problem::new(loc.clone(), format!($($msg)*)).with_task(task_ref.clone()).with_field($field))
        };
    }

    let (envelope, mut data, whole_item) = match (raw.shape, raw.value) {
        (Shape::Data, Value::Object(data)) => (Map::new(), data, false),
        (Shape::Data, other) => {
            err!(
                "data",
                "Task[data] must be dict, got {}",
                PyType::of(&other).name()
            );
            return Err(errors);
        }
        (Shape::Item, Value::Object(item)) => {
            task_ref.id = item.get("id").and_then(id_string);
            if item.get("data").is_some_and(truthy) {
                let mut item = item;
                match item.remove("data") {
                    Some(Value::Object(data)) => (item, data, false),
                    Some(other) => {
                        err!(
                            "data",
                            "Task[data] must be dict or list, got {} {}",
                            PyType::of(&other).name(),
                            py_repr(&other)
                        );
                        return Err(errors);
                    }
                    None => unreachable!("checked above"),
                }
            } else {
                // No (or a falsy) "data": the whole item is the task data.
                (Map::new(), item, true)
            }
        }
        (Shape::Item, other) => {
            let pos = Problem::new(
                loc.clone(),
                format!(
                    "Task root must be dict with \"data\", \"meta\", \"annotations\", \"predictions\" fields, got {} {}",
                    PyType::of(&other).name(),
                    py_repr(&other)
                ),
            )
            .with_task(task_ref.clone());
            return Err(vec![pos]);
        }
    };
    if whole_item {
        for k in ["annotations", "predictions", "completions"] {
            if data.contains_key(k) {
                warn!(
                    k,
                    "the item has no \"data\" key, so \"{k}\" is kept as task data, not imported as {k} (as Label Studio does); wrap the data in \"data\": {{...}}"
                );
            }
        }
    }

    // --map FIELD=COLUMN
    for (field, column) in rules.maps {
        if data.contains_key(column) {
            rename_key(&mut data, column, field);
        } else if !data.contains_key(field) {
            err!(
                format!("data.{column}"),
                "--map {field}={column}: the task has no {column:?}; found {}",
                found_keys(&data)
            );
        }
    }
    // $undefined$ (TXT lines, HTML files, media files) goes to the first data key.
    if data.contains_key("$undefined$")
        && let Some(first) = rules.config.first_data_key()
    {
        let first = first.split('[').next().unwrap_or(first).to_string();
        rename_key(&mut data, "$undefined$", &first);
    }

    for key in &rules.config.data_keys {
        let field = format!("data.{}", key.key);
        let shape_hint = if whole_item {
            " (the item has no \"data\" key, so the whole item was read as the task data)"
        } else {
            ""
        };
        if key.is_array() {
            match data.get(key.base()) {
                Some(Value::Array(_)) => {}
                Some(other) => err!(
                    field,
                    "data['{}']={} is of type '{}', but the object tag {} expects the following types: ['list'] (its value is \"${}\")",
                    key.base(),
                    py_repr(other),
                    PyType::of(other).name(),
                    key.tag,
                    key.key
                ),
                None => err!(
                    field,
                    "\"{}\" key is expected in task data; found {}{shape_hint}",
                    key.base(),
                    found_keys(&data)
                ),
            }
            continue;
        }
        match lookup(&data, &key.key) {
            None => err!(
                field,
                "\"{}\" key is expected in task data; found {}{shape_hint}",
                key.key,
                found_keys(&data)
            ),
            Some(v) => {
                let allowed = accepted_data_types(&key.tag, key.dynamic_control);
                let ty = PyType::of(v);
                if !ty.accepted_by(allowed) {
                    let names: Vec<&str> = allowed.iter().map(|t| t.name()).collect();
                    err!(
                        field,
                        "data['{}']={} is of type '{}', but the object tag {} expects the following types: {}",
                        key.key,
                        py_repr(v),
                        ty.name(),
                        key.tag,
                        crate::config::validate::py_str_list(names)
                    );
                }
                if !data.contains_key(&key.key) {
                    warn!(
                        format!("data.{}", key.key),
                        "\"{}\" was found as a nested path; Label Studio's importer reads only that nested path, its web UI reads the flat key",
                        key.key
                    );
                }
            }
        }
    }

    let meta = match envelope.get("meta") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(m @ Value::Object(_)) | Some(m @ Value::Array(_)) => m.clone(),
        Some(other) => {
            err!(
                "meta",
                "Task[meta] must be dict or list, got {}",
                py_repr(other)
            );
            Value::Null
        }
    };

    // Annotations (legacy "completions" are read as annotations).
    let mut annotations = Vec::new();
    let (ann_key, ann_value) = match (envelope.get("annotations"), envelope.get("completions")) {
        (Some(a), _) => ("annotations", Some(a)),
        (None, Some(c)) => {
            warn!(
                "completions",
                "legacy \"completions\" imported as annotations"
            );
            ("completions", Some(c))
        }
        (None, None) => ("annotations", None),
    };
    match ann_value {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, a) in items.iter().enumerate() {
                let field = format!("{ann_key}[{i}]");
                let Value::Object(a) = a else {
                    warn!(field, "not a dict, skipped: {}", py_repr(a));
                    continue;
                };
                let result = match a.get("result") {
                    None => {
                        err!(field, "Annotation must have \"result\" fields");
                        continue;
                    }
                    Some(r @ Value::Array(_)) => r.clone(),
                    Some(other) => {
                        err!(
                            format!("{field}.result"),
                            "\"result\" field in annotation must be list, got {}",
                            py_repr(other)
                        );
                        continue;
                    }
                };
                let completed_by = match completer(a.get("completed_by")) {
                    Ok(c) => c,
                    Err(m) => {
                        err!(format!("{field}.completed_by"), "{m}");
                        continue;
                    }
                };
                let lead_time = match float_field(a.get("lead_time")) {
                    Ok(v) => v,
                    Err(m) => {
                        warn!(format!("{field}.lead_time"), "{m}; stored as null");
                        None
                    }
                };
                for (k, msg) in check_result(rules.config, &result) {
                    warn!(
                        format!("{field}.result[{}]", k.saturating_sub(1)),
                        "annotation {}: Region {k}: {msg}",
                        i + 1
                    );
                }
                let cancelled = a
                    .get("was_cancelled")
                    .or(a.get("skipped"))
                    .is_some_and(truthy);
                annotations.push(AnnotationIn {
                    result,
                    completed_by,
                    was_cancelled: cancelled,
                    // Label Studio marks imported annotations as ground truth unless told otherwise.
                    ground_truth: a.get("ground_truth").map(truthy).unwrap_or(true),
                    lead_time,
                    created_at: timestamp_field(a, "created_at"),
                    updated_at: timestamp_field(a, "updated_at"),
                    import_id: a.get("id").and_then(Value::as_i64),
                });
            }
        }
        Some(other) => err!(
            ann_key,
            "Task[{ann_key}] must be list, got {}",
            py_repr(other)
        ),
    }

    let mut predictions = Vec::new();
    match envelope.get("predictions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (j, p) in items.iter().enumerate() {
                let field = format!("predictions[{j}]");
                let Value::Object(p) = p else {
                    warn!(field, "not a dict, skipped: {}", py_repr(p));
                    continue;
                };
                let Some(result) = p.get("result") else {
                    err!(field, "Prediction must have \"result\" fields");
                    continue;
                };
                let result = match normalize_prediction_result(rules.config, result.clone()) {
                    Ok(r) => r,
                    Err(m) => {
                        err!(format!("{field}.result"), "{m}");
                        continue;
                    }
                };
                if result.is_null() {
                    warn!(
                        format!("{field}.result"),
                        "a dict result that names no control of the config is stored as null (as Label Studio does)"
                    );
                }
                let score = match float_field(p.get("score")) {
                    Ok(Some(s)) if !(0.0..=1.0).contains(&s) => {
                        err!(
                            format!("{field}.score"),
                            "prediction {}: Score must be between 0.00 and 1.00 inclusive, got {s}",
                            j + 1
                        );
                        continue;
                    }
                    Ok(s) => s,
                    Err(m) => {
                        warn!(format!("{field}.score"), "{m}; stored as null");
                        None
                    }
                };
                let mut bad = false;
                if !result.is_null() {
                    for (k, msg) in check_result(rules.config, &result) {
                        err!(
                            format!("{field}.result[{}]", k.saturating_sub(1)),
                            "prediction {}: Region {k}: {msg}",
                            j + 1
                        );
                        bad = true;
                    }
                }
                if bad {
                    continue;
                }
                let model_version = match p.get("model_version") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => "undefined".to_string(),
                };
                predictions.push(PredictionIn {
                    result,
                    score,
                    model_version,
                    created_at: timestamp_field(p, "created_at"),
                });
            }
        }
        Some(other) => err!(
            "predictions",
            "Task[predictions] must be list, got {}",
            py_repr(other)
        ),
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    let original_id = envelope.get("id").and_then(|v| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    Ok(Processed {
        task: TaskItem {
            data,
            meta,
            annotations,
            predictions,
            original_id,
            allow_skip: envelope.get("allow_skip").map(truthy).unwrap_or(true),
            created_at: timestamp_field(&envelope, "created_at"),
            updated_at: timestamp_field(&envelope, "updated_at"),
            source_line: raw.loc.line.or(raw.loc.record),
        },
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;
    use serde_json::json;

    fn config() -> LabelConfig {
        LabelConfig::parse(
            r#"<View><Text name="text" value="$text"/>
            <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
            <Rating name="stars" toName="text"/></View>"#,
        )
        .unwrap()
    }

    fn run(v: Value) -> Result<Processed, Vec<Problem>> {
        let c = config();
        let rules = ItemRules {
            config: &c,
            maps: &[],
        };
        process(
            &rules,
            RawItem {
                value: v,
                shape: Shape::Item,
                loc: Location::line("t.json", 3),
            },
            1,
        )
    }

    fn messages(v: Value) -> Vec<String> {
        run(v)
            .err()
            .unwrap()
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    /// The upload table of Label Studio's test_tasks_upload.py, as it applies to one item.
    #[test]
    fn label_studio_upload_rules() {
        assert!(run(json!({"text": "flat"})).is_ok());
        assert!(run(json!({"data": {"text": "env"}})).is_ok());
        assert!(messages(json!({}))[0].contains("\"text\" key is expected in task data"));
        assert!(messages(json!({"data": {}}))[0].contains("\"text\" key is expected"));
        assert!(messages(json!({"data": null}))[0].contains("\"text\" key is expected"));
        assert!(messages(json!({"data": "string"}))[0].contains("Task[data] must be dict"));
        assert!(messages(json!("x"))[0].contains("Task root must be dict"));
        assert!(
            messages(json!({"data": {"text": "a"}, "meta": "test"}))[0]
                .contains("Task[meta] must be dict or list")
        );
        assert!(
            messages(json!({"data": {"text": "a"}, "annotations": "test"}))[0]
                .contains("Task[annotations] must be list")
        );
        assert!(
            messages(json!({"data": {"text": "a"}, "annotations": [{}]}))[0]
                .contains("Annotation must have \"result\" fields")
        );
        assert!(
            messages(json!({"data": {"text": "a"}, "predictions": [{}]}))[0]
                .contains("Prediction must have \"result\" fields")
        );
        assert!(messages(json!({"data": {"text": {"a": 1}}}))[0]
            .contains("data['text']={'a': 1} is of type 'dict', but the object tag Text expects the following types: ['str', 'int', 'float', 'list']"));
    }

    #[test]
    fn missing_key_names_what_was_found() {
        let m = messages(json!({"data": {"body": "x", "title": "y"}, "id": 17}));
        assert!(
            m[0].contains("\"text\" key is expected in task data; found \"body\", \"title\""),
            "{m:?}"
        );
        let e = run(json!({"data": {"body": "x"}, "id": 17})).err().unwrap();
        assert_eq!(e[0].task.as_ref().unwrap().id.as_deref(), Some("17"));
        assert_eq!(e[0].field.as_deref(), Some("data.text"));
    }

    #[test]
    fn annotations_defaults_and_completions_alias() {
        let p = run(json!({"data": {"text": "a"}, "completions": [{"result": [], "completed_by": {"email": "a@b"}}]})).unwrap();
        assert_eq!(p.task.annotations.len(), 1);
        assert!(p.task.annotations[0].ground_truth);
        assert_eq!(
            p.task.annotations[0].completed_by,
            Completer::Email("a@b".into())
        );
        assert!(p.warnings.iter().any(|w| w.message.contains("legacy")));
        assert!(messages(json!({"data": {"text": "a"}, "annotations": [{"result": [], "completed_by": {"id": 1}}]}))[0].contains("'email' field"));
    }

    #[test]
    fn predictions_are_normalised_and_validated() {
        let p = run(json!({"data": {"text": "a"}, "predictions": [{"result": "Negative", "score": "0.5"}, {"result": 4}]})).unwrap();
        assert_eq!(
            p.task.predictions[0].result[0]["value"],
            json!({"choices": ["Negative"]})
        );
        assert_eq!(p.task.predictions[0].score, Some(0.5));
        assert_eq!(p.task.predictions[0].model_version, "undefined");
        assert_eq!(
            p.task.predictions[1].result[0]["value"],
            json!({"rating": 4})
        );
        let m = messages(
            json!({"data": {"text": "a"}, "predictions": [{"result": [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Meh"]}}]}]}),
        );
        assert!(
            m[0].starts_with("prediction 1: Region 1: Invalid value for control 'sentiment'"),
            "{m:?}"
        );
        assert!(m[0].contains("Valid options: ['Positive', 'Negative']"));
        assert!(
            messages(json!({"data": {"text": "a"}, "predictions": [{"result": [], "score": 1.5}]}))
                [0]
            .contains("Score must be between 0.00 and 1.00")
        );
        let p = run(json!({"data": {"text": "a"}, "predictions": [{"result": {"unknown": 1}}]}))
            .unwrap();
        assert!(p.task.predictions[0].result.is_null());
    }

    #[test]
    fn undefined_goes_to_first_key_and_maps_rename() {
        let c = config();
        let maps = vec![("text".to_string(), "review".to_string())];
        let rules = ItemRules {
            config: &c,
            maps: &maps,
        };
        let raw = RawItem {
            value: json!({"id": "1", "review": "good"}),
            shape: Shape::Data,
            loc: Location::line("a.csv", 2),
        };
        let p = process(&rules, raw, 1).ok().unwrap();
        assert_eq!(
            p.task.data,
            json!({"id": "1", "text": "good"})
                .as_object()
                .unwrap()
                .clone()
        );
        let rules = ItemRules {
            config: &c,
            maps: &[],
        };
        let raw = RawItem {
            value: json!({"$undefined$": "line"}),
            shape: Shape::Data,
            loc: Location::line("a.txt", 1),
        };
        let p = process(&rules, raw, 1).ok().unwrap();
        assert_eq!(p.task.data["text"], "line");
    }
}
