//! Turns one raw item from any reader into a validated task, with Label Studio's rules
//! (`TaskValidator`): the `data` envelope rule, `$undefined$` renaming, data keys and their
//! types, annotations, and predictions normalised and checked against the config.

use super::{DataField, Payload, RawItem, RawMap, Shape};
use crate::config::tags::{PyType, accepted_data_types};
use crate::config::validate::py_str;
use crate::config::{ControlKind, LabelConfig};
use crate::error::{Problem, TaskRef};
use crate::task::check::{check_result, check_result_text};
use crate::task::{AnnotationIn, Completer, PredictionIn, TaskItem};
use crate::util::BorrowedKey;
use serde_json::Value;
use serde_json::value::RawValue;

/// What every item is checked against.
#[derive(Clone, Copy)]
pub struct ItemRules<'a> {
    pub config: &'a LabelConfig,
    /// `--map FIELD=COLUMN`: the file's COLUMN becomes the config's FIELD.
    pub maps: &'a [(String, String)],
}

/// An object's fields with their values as raw JSON, in file order; a repeated key reads
/// as its last value, as in a parsed map. Keys borrow from the text unless escaped.
struct RawFields<'a>(Vec<(std::borrow::Cow<'a, str>, &'a RawValue)>);

impl<'a> RawFields<'a> {
    fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// A field parsed (for the small ones).
    fn value(&self, key: &str) -> Option<Value> {
        self.get(key).map(value_of)
    }

    /// A field that is a string.
    fn string(&self, key: &str) -> Option<String> {
        self.get(key)
            .and_then(|r| serde_json::from_str::<String>(r.get()).ok())
    }
}

/// Reads an object's fields as raw JSON (for [`ListItem`]).
fn read_fields<'de: 'a, 'a, A: serde::de::MapAccess<'de>>(
    mut map: A,
) -> Result<RawFields<'a>, A::Error> {
    let mut fields = Vec::new();
    while let Some((BorrowedKey(k), v)) = map.next_entry::<BorrowedKey, &RawValue>()? {
        fields.push((k, v));
    }
    Ok(RawFields(fields))
}

/// An element of a list of annotations or predictions: an object's fields, read in the
/// same pass as the list (the lists are most of a task's bytes), or any other value
/// parsed, for the message that skips it.
enum ListItem<'a> {
    Fields(RawFields<'a>),
    Other(Value),
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for ListItem<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::value::SeqAccessDeserializer;
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = ListItem<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                read_fields(map).map(ListItem::Fields)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                serde::Deserialize::deserialize(SeqAccessDeserializer::new(seq))
                    .map(ListItem::Other)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(ListItem::Other(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(ListItem::Other(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(ListItem::Other(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(ListItem::Other(Value::from(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ListItem::Other(Value::String(v.to_string())))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(ListItem::Other(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(ListItem::Other(Value::Null))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// The elements of a list given as JSON text (empty when it is not a list).
fn list_items(list: &RawValue) -> Vec<ListItem<'_>> {
    serde_json::from_str(list.get()).unwrap_or_default()
}

pub struct Processed {
    pub task: TaskItem,
    pub warnings: Vec<Problem>,
    /// Predictions listed by id only (Label Studio's JSON export): not imported, and told
    /// once per file rather than per task.
    pub prediction_ids: usize,
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
    crate::util::truthy(Some(v))
}

/// A raw value read as a plain JSON value (only where one is needed: messages, small fields).
pub fn value_of(raw: &RawValue) -> Value {
    serde_json::from_str(raw.get()).unwrap_or(Value::Null)
}

/// The Python type of a raw value, from its first character.
fn raw_type(raw: &RawValue) -> PyType {
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

fn raw_truthy(raw: &RawValue) -> bool {
    let t = raw.get().trim();
    match t.as_bytes().first() {
        Some(b'{') | Some(b'[') => t[1..t.len() - 1].chars().any(|c| !c.is_whitespace()),
        Some(b'"') => t.len() > 2,
        _ => truthy(&value_of(raw)),
    }
}

fn is_json_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// Appends JSON text without the white space outside strings. Fails on a number too
/// large for a 64-bit float (`1e400`): Python reads it as infinity and other readers
/// refuse it, so stored it would break every later reader of the task (export, the
/// annotator); the message names it.
pub fn push_minified(out: &mut String, json: &str) -> Result<(), String> {
    let bytes = json.as_bytes();
    // `start..i` is copied when white space (a run of it, as in indented files) or the end
    // is reached.
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Skip the string: find its closing quote, stepping over escapes.
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &bytes[i.min(bytes.len())..]) {
                        None => {
                            i = bytes.len();
                            break;
                        }
                        Some(j) if bytes[i + j] == b'\\' => i += j + 2,
                        Some(j) => {
                            i += j + 1;
                            break;
                        }
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let from = i;
                let mut exponent = false;
                while i < bytes.len() {
                    match bytes[i] {
                        b'0'..=b'9' | b'.' | b'+' | b'-' => {}
                        b'e' | b'E' => exponent = true,
                        _ => break,
                    }
                    i += 1;
                }
                // Only an exponent or some 300 digits reach past a float's range.
                let number = &json[from..i];
                if (exponent || number.len() > 300)
                    && number.parse::<f64>().is_ok_and(f64::is_infinite)
                {
                    let shown: String = number.chars().take(40).collect();
                    let cut = if shown.len() < number.len() {
                        "..."
                    } else {
                        ""
                    };
                    return Err(format!(
                        "number {shown}{cut} is too large: it is beyond what a 64-bit float holds"
                    ));
                }
            }
            b if is_json_space(b) => {
                out.push_str(&json[start..i]);
                i += 1;
                while i < bytes.len() && is_json_space(bytes[i]) {
                    i += 1;
                }
                start = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&json[start.min(json.len())..]);
    Ok(())
}

/// JSON text minified (see [`push_minified`]).
fn minified(json: &str) -> Result<String, String> {
    let mut out = String::with_capacity(json.len());
    push_minified(&mut out, json).map(|()| out)
}

/// A raw map as compact JSON object text; fails with the key and message of a value
/// [`push_minified`] refuses.
pub fn object_text(map: &RawMap) -> Result<String, (String, String)> {
    let cap = map
        .iter()
        .map(|(k, v)| k.len() + v.get().len() + 4)
        .sum::<usize>()
        + 2;
    let mut out = String::with_capacity(cap);
    out.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if k.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            out.push('"');
            out.push_str(k);
            out.push('"');
        } else {
            out.push_str(&serde_json::to_string(k).expect("strings serialise"));
        }
        out.push(':');
        push_minified(&mut out, v.get()).map_err(|m| (k.clone(), m))?;
    }
    out.push('}');
    Ok(out)
}

fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn raw_str_field(m: &RawMap, key: &str) -> Option<String> {
    m.get(key)
        .and_then(|r| serde_json::from_str::<String>(r.get()).ok())
}

/// Renames a key in place, keeping its position (an existing `to` is replaced).
fn rename_key(data: &mut RawMap, from: &str, to: &str) {
    if from == to || !data.contains_key(from) {
        return;
    }
    data.shift_remove(to);
    let i = data.get_index_of(from).expect("checked above");
    let (_, v) = data.shift_remove_index(i).expect("index exists");
    data.shift_insert(i, to.to_string(), v);
}

/// Finds a data key the way import validation does: the literal key first, then the
/// dotted path (Label Studio reads only the dotted path; issue #6492). Returns the type,
/// the value for nested paths, and whether the key was found flat.
fn lookup(data: &RawMap, key: &str) -> Option<(PyType, Value, bool)> {
    if let Some(raw) = data.get(key) {
        return Some((raw_type(raw), Value::Null, true));
    }
    if key.contains('.') {
        let mut parts = key.split('.');
        let mut cur = value_of(data.get(parts.next()?)?);
        for p in parts {
            cur = cur.as_object()?.get(p)?.clone();
        }
        return Some((PyType::of(&cur), cur, false));
    }
    None
}

fn found_keys(data: &RawMap) -> String {
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
                if map.contains_key(ty) {
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

/// `completed_by` read from its text: the usual `{"email": ...}` without building a map,
/// anything else through [`completer`].
fn completer_of(raw: Option<&RawValue>) -> Result<Completer, String> {
    #[derive(serde::Deserialize)]
    struct ByEmail {
        email: String,
    }
    if let Some(r) = raw
        && r.get().starts_with('{')
        // A repeated or missing email, or one that is not a string, takes the long way.
        && let Ok(ByEmail { email }) = serde_json::from_str::<ByEmail>(r.get())
    {
        return Ok(Completer::Email(email));
    }
    completer(raw.map(value_of).as_ref())
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
    let RawItem {
        payload,
        shape,
        loc,
    } = raw;
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

    let (envelope, mut data, whole_item) = match (shape, payload) {
        (Shape::Data, Payload::Data(data)) => (RawMap::default(), data, false),
        (
            _,
            Payload::Item {
                data,
                data_index,
                fields,
            },
        ) => {
            task_ref.id = fields
                .get("id")
                .map(|r| value_of(r))
                .as_ref()
                .and_then(id_string);
            match data {
                Some(DataField::Object(d)) if !d.is_empty() => (fields, d, false),
                Some(DataField::Other(v)) if truthy(&v) => {
                    err!(
                        "data",
                        "Task[data] must be dict or list, got {} {}",
                        PyType::of(&v).name(),
                        py_repr(&v)
                    );
                    return Err(errors);
                }
                // No (or a falsy) "data": the whole item is the task data.
                None => (RawMap::default(), fields, true),
                Some(falsy) => {
                    let raw = match falsy {
                        DataField::Object(m) => crate::import::raw_json(&Value::Object(
                            m.iter().map(|(k, v)| (k.clone(), value_of(v))).collect(),
                        )),
                        DataField::Other(v) => crate::import::raw_json(&v),
                    };
                    let mut whole = fields;
                    whole.shift_insert(data_index.min(whole.len()), "data".to_string(), raw);
                    (RawMap::default(), whole, true)
                }
            }
        }
        (Shape::Data, Payload::Other(other)) => {
            err!(
                "data",
                "Task[data] must be dict, got {}",
                PyType::of(&other).name()
            );
            return Err(errors);
        }
        (Shape::Item, Payload::Data(data)) => (RawMap::default(), data, false),
        (Shape::Item, Payload::Other(other)) => {
            let p = Problem::new(
                loc.clone(),
                format!(
                    "Task root must be dict with \"data\", \"meta\", \"annotations\", \"predictions\" fields, got {} {}",
                    PyType::of(&other).name(),
                    py_repr(&other)
                ),
            )
            .with_task(task_ref.clone());
            return Err(vec![p]);
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
        let field = || format!("data.{}", key.key);
        let shape_hint = if whole_item {
            " (the item has no \"data\" key, so the whole item was read as the task data)"
        } else {
            ""
        };
        if key.is_array() {
            match data.get(key.base()) {
                Some(raw) if raw_type(raw) == PyType::List => {}
                Some(raw) => {
                    let other = value_of(raw);
                    err!(
                        field(),
                        "data['{}']={} is of type '{}', but the object tag {} expects the following types: ['list'] (its value is \"${}\")",
                        key.base(),
                        py_repr(&other),
                        PyType::of(&other).name(),
                        key.tag,
                        key.key
                    )
                }
                None => err!(
                    field(),
                    "\"{}\" key is expected in task data; found {}{shape_hint}",
                    key.base(),
                    found_keys(&data)
                ),
            }
            continue;
        }
        match lookup(&data, &key.key) {
            None => err!(
                field(),
                "\"{}\" key is expected in task data; found {}{shape_hint}",
                key.key,
                found_keys(&data)
            ),
            Some((ty, value, flat)) => {
                let allowed = accepted_data_types(&key.tag, key.dynamic_control);
                if !ty.accepted_by(allowed) {
                    let value = if flat {
                        value_of(&data[key.key.as_str()])
                    } else {
                        value
                    };
                    let names: Vec<&str> = allowed.iter().map(|t| t.name()).collect();
                    err!(
                        field(),
                        "data['{}']={} is of type '{}', but the object tag {} expects the following types: {}",
                        key.key,
                        py_repr(&value),
                        ty.name(),
                        key.tag,
                        crate::config::validate::py_str_list(names)
                    );
                }
                if !flat {
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
        None => "{}".to_string(),
        Some(m) => match raw_type(m) {
            PyType::NoneType => "{}".to_string(),
            PyType::Dict | PyType::List => match minified(m.get()) {
                Ok(s) => s,
                Err(m) => {
                    err!("meta", "{m}");
                    String::new()
                }
            },
            _ => {
                err!(
                    "meta",
                    "Task[meta] must be dict or list, got {}",
                    py_repr(&value_of(m))
                );
                String::new()
            }
        },
    };

    // Annotations (legacy "completions" are read as annotations).
    let mut annotations = Vec::new();
    let (ann_key, ann_list) = match (envelope.get("annotations"), envelope.get("completions")) {
        (Some(a), _) => ("annotations", Some(&**a)),
        (None, Some(c)) => {
            warn!(
                "completions",
                "legacy \"completions\" imported as annotations"
            );
            ("completions", Some(&**c))
        }
        (None, None) => ("annotations", None),
    };
    match ann_list.map(|r| (r, raw_type(r))) {
        None | Some((_, PyType::NoneType)) => {}
        Some((list, PyType::List)) => {
            // Raw all the way down: the result is checked and stored from its text, and
            // only the small fields are parsed.
            let items = list_items(list);
            annotations.reserve(items.len());
            for (i, a) in items.into_iter().enumerate() {
                // Made only for a message: most annotations have none.
                let field = || format!("{ann_key}[{i}]");
                let a = match a {
                    ListItem::Fields(a) => a,
                    ListItem::Other(v) => {
                        warn!(field(), "not a dict, skipped: {}", py_repr(&v));
                        continue;
                    }
                };
                let result = match a.get("result") {
                    None => {
                        err!(field(), "Annotation must have \"result\" fields");
                        continue;
                    }
                    Some(r) if raw_type(r) == PyType::List => r,
                    Some(other) => {
                        err!(
                            format!("{}.result", field()),
                            "\"result\" field in annotation must be list, got {}",
                            py_repr(&value_of(other))
                        );
                        continue;
                    }
                };
                let completed_by = match completer_of(a.get("completed_by")) {
                    // Our JSON export (like Label Studio's) adds "email, id": keep the person,
                    // not the id, which belongs to the project that wrote the file.
                    Ok(Completer::Id(id)) => match a
                        .string("created_username")
                        .as_deref()
                        .and_then(crate::task::created_username)
                    {
                        Some((email, n)) if n == id.to_string() => {
                            Completer::Email(email.to_string())
                        }
                        _ => Completer::Id(id),
                    },
                    Ok(c) => c,
                    Err(m) => {
                        err!(format!("{}.completed_by", field()), "{m}");
                        continue;
                    }
                };
                let lead_time = match float_field(a.value("lead_time").as_ref()) {
                    Ok(v) => v,
                    Err(m) => {
                        warn!(format!("{}.lead_time", field()), "{m}; stored as null");
                        None
                    }
                };
                let text = match minified(result.get()) {
                    Ok(t) => t,
                    Err(m) => {
                        err!(format!("{}.result", field()), "{m}");
                        continue;
                    }
                };
                // The minified text: the same result, fewer bytes to parse.
                let problems = check_result_text(rules.config, &text)
                    .unwrap_or_else(|| check_result(rules.config, &value_of(result)));
                for (k, msg) in problems {
                    warn!(
                        format!("{}.result[{}]", field(), k.saturating_sub(1)),
                        "annotation {}: Region {k}: {msg}",
                        i + 1
                    );
                }
                let cancelled = a
                    .get("was_cancelled")
                    .or(a.get("skipped"))
                    .is_some_and(raw_truthy);
                annotations.push(AnnotationIn {
                    result: text,
                    completed_by,
                    was_cancelled: cancelled,
                    // Label Studio marks imported annotations as ground truth unless told otherwise.
                    ground_truth: a.get("ground_truth").map(raw_truthy).unwrap_or(true),
                    lead_time,
                    created_at: a.string("created_at"),
                    updated_at: a.string("updated_at"),
                    import_id: a.value("id").as_ref().and_then(Value::as_i64),
                });
            }
        }
        Some((other, _)) => err!(
            ann_key,
            "Task[{ann_key}] must be list, got {}",
            py_repr(&value_of(other))
        ),
    }

    let mut predictions = Vec::new();
    let mut prediction_ids = 0;
    let pred_items: Option<Vec<ListItem>> = match envelope.get("predictions") {
        None => None,
        Some(raw) => match raw_type(raw) {
            PyType::NoneType => None,
            PyType::List => Some(list_items(raw)),
            _ => {
                err!(
                    "predictions",
                    "Task[predictions] must be list, got {}",
                    py_repr(&value_of(raw))
                );
                None
            }
        },
    };
    let pred_items = pred_items.unwrap_or_default();
    predictions.reserve(pred_items.len());
    for (j, p) in pred_items.into_iter().enumerate() {
        let field = || format!("predictions[{j}]");
        let fields = match p {
            ListItem::Fields(f) => f,
            ListItem::Other(v) if PyType::of(&v) == PyType::Int => {
                prediction_ids += 1;
                continue;
            }
            ListItem::Other(v) => {
                warn!(field(), "not a dict, skipped: {}", py_repr(&v));
                continue;
            }
        };
        let Some(raw_result) = fields.get("result") else {
            err!(field(), "Prediction must have \"result\" fields");
            continue;
        };
        let text = match minified(raw_result.get()) {
            Ok(t) => t,
            Err(m) => {
                err!(format!("{}.result", field()), "{m}");
                continue;
            }
        };
        // The usual shape (a list of regions) is checked straight from its text and
        // stored as it came; anything else goes through Label Studio's normalisation.
        let fast = if raw_type(raw_result) == PyType::List {
            check_result_text(rules.config, &text)
        } else {
            None
        };
        let (result, problems) = match fast {
            Some(problems) => (text, problems),
            None => {
                let result = match normalize_prediction_result(rules.config, value_of(raw_result)) {
                    Ok(r) => r,
                    Err(m) => {
                        err!(format!("{}.result", field()), "{m}");
                        continue;
                    }
                };
                if result.is_null() {
                    warn!(
                        format!("{}.result", field()),
                        "a dict result that names no control of the config is stored as null (as Label Studio does)"
                    );
                    (result.to_string(), Vec::new())
                } else {
                    let problems = check_result(rules.config, &result);
                    (result.to_string(), problems)
                }
            }
        };
        let score = match float_field(fields.value("score").as_ref()) {
            Ok(Some(s)) if !(0.0..=1.0).contains(&s) => {
                err!(
                    format!("{}.score", field()),
                    "prediction {}: Score must be between 0.00 and 1.00 inclusive, got {s}",
                    j + 1
                );
                continue;
            }
            Ok(s) => s,
            Err(m) => {
                warn!(format!("{}.score", field()), "{m}; stored as null");
                None
            }
        };
        if !problems.is_empty() {
            for (k, msg) in problems {
                err!(
                    format!("{}.result[{}]", field(), k.saturating_sub(1)),
                    "prediction {}: Region {k}: {msg}",
                    j + 1
                );
            }
            continue;
        }
        let model_version = match fields.value("model_version") {
            Some(Value::String(s)) => s,
            Some(Value::Number(n)) => n.to_string(),
            _ => "undefined".to_string(),
        };
        predictions.push(PredictionIn {
            result,
            score,
            model_version,
            created_at: match fields.value("created_at") {
                Some(Value::String(s)) => Some(s),
                _ => None,
            },
        });
    }

    let data = match object_text(&data) {
        Ok(text) => text,
        Err((key, m)) => {
            err!(format!("data.{key}"), "{m}");
            String::new()
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let original_id = envelope
        .get("id")
        .map(|r| value_of(r))
        .and_then(|v| match v {
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
            allow_skip: envelope
                .get("allow_skip")
                .map(|r| raw_truthy(r))
                .unwrap_or(true),
            created_at: raw_str_field(&envelope, "created_at"),
            updated_at: raw_str_field(&envelope, "updated_at"),
            source_line: loc.line.or(loc.record),
        },
        warnings,
        prediction_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;
    use crate::import::raw_string;
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
        run_text(&v.to_string())
    }

    fn run_text(text: &str) -> Result<Processed, Vec<Problem>> {
        let c = config();
        let rules = ItemRules {
            config: &c,
            maps: &[],
        };
        let payload = crate::import::parse_payload(text.as_bytes()).unwrap();
        process(
            &rules,
            RawItem {
                payload,
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

    fn result(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    /// The upload table of Label Studio's test_tasks_upload.py, as it applies to one item.
    #[test]
    fn label_studio_upload_rules() {
        assert_eq!(
            run(json!({"text": "flat"})).ok().unwrap().task.data,
            r#"{"text":"flat"}"#
        );
        assert_eq!(
            run(json!({"data": {"text": "env"}}))
                .ok()
                .unwrap()
                .task
                .data,
            r#"{"text":"env"}"#
        );
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
        assert!(messages(json!({"data": {"text": {"a": 1}}}))[0].contains(
            "data['text']={'a': 1} is of type 'dict', but the object tag Text expects the following types: ['str', 'int', 'float', 'list']"
        ));
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
    fn nested_paths_and_meta() {
        let c = LabelConfig::parse(r#"<View><Text name="t" value="$a.b"/></View>"#).unwrap();
        let rules = ItemRules {
            config: &c,
            maps: &[],
        };
        let payload = crate::import::parse_payload(
            br#"{"data": {"a": {"b": "x"}}, "meta": { "k" : [1, 2] }}"#,
        )
        .unwrap();
        let p = process(
            &rules,
            RawItem {
                payload,
                shape: Shape::Item,
                loc: Location::line("t.json", 1),
            },
            1,
        )
        .ok()
        .unwrap();
        assert_eq!(p.task.meta, r#"{"k":[1,2]}"#);
        assert!(p.warnings[0].message.contains("nested path"));
    }

    #[test]
    fn annotations_defaults_and_completions_alias() {
        let p = run(json!({"data": {"text": "a"}, "completions": [{"result": [], "completed_by": {"email": "a@b"}}]})).ok().unwrap();
        assert_eq!(p.task.annotations.len(), 1);
        assert!(p.task.annotations[0].ground_truth);
        assert_eq!(
            p.task.annotations[0].completed_by,
            Completer::Email("a@b".into())
        );
        assert!(p.warnings.iter().any(|w| w.message.contains("legacy")));
        assert!(messages(json!({"data": {"text": "a"}, "annotations": [{"result": [], "completed_by": {"id": 1}}]}))[0].contains("'email' field"));
        assert!(messages(json!({"data": {"text": "a"}, "annotations": [{"result": [], "completed_by": {"email": 5}}]}))[0].contains("'email' field"));
        // An email given twice is the last one, extra fields are ignored, and an escaped
        // email reads as its text.
        let p = run_text(
            r#"{"data": {"text": "a"}, "annotations": [{"result": [], "completed_by": {"email": "a@x", "id": 4, "email": "b@x"}},
                {"result": [], "completed_by": {"first_name": "C", "email": "c\u0040x"}}]}"#,
        )
        .ok()
        .unwrap();
        let who: Vec<&Completer> = p.task.annotations.iter().map(|a| &a.completed_by).collect();
        assert_eq!(
            who,
            [
                &Completer::Email("b@x".into()),
                &Completer::Email("c@x".into())
            ]
        );
        let p = run(json!({"data": {"text": "a"}, "annotations": [{"result": [], "completed_by": 3, "created_username": "bo@x, 3"}]})).ok().unwrap();
        assert_eq!(
            p.task.annotations[0].completed_by,
            Completer::Email("bo@x".into())
        );
    }

    #[test]
    fn annotations_are_read_from_their_text() {
        // The result is stored as it came, minified; the small fields keep Python's rules:
        // a null ground_truth is false (a missing one true), a null was_cancelled hides
        // "skipped", and a repeated key (here once escaped) reads as its last value.
        let p = run_text(
            r#"{"data": {"text": "a"}, "annotations": [{"result": [ {"from_name": "sentiment",
                "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]},
                "meta": {"note": "caf\u00e9 \"x\""}} ], "ground_truth": null,
                "was_cancelled": null, "skipped": true, "lead_time": "2.5", "id": 7,
                "created_at": "2026-01-01T00:00:00Z", "com\u0070leted_by": {"email": "first@x"},
                "completed_by": {"email": "last@x"}}, 5, {"result": [], "skipped": 1}]}"#,
        )
        .ok()
        .unwrap();
        let [a, b] = &p.task.annotations[..] else {
            panic!("two annotations: {:?}", p.task.annotations.len())
        };
        assert_eq!(
            a.result,
            r#"[{"from_name":"sentiment","to_name":"text","type":"choices","value":{"choices":["Positive"]},"meta":{"note":"caf\u00e9 \"x\""}}]"#
        );
        assert!(!a.ground_truth && !a.was_cancelled);
        assert_eq!(a.completed_by, Completer::Email("last@x".into()));
        assert_eq!(
            (
                a.lead_time,
                a.import_id,
                a.created_at.as_deref(),
                a.updated_at.as_deref()
            ),
            (Some(2.5), Some(7), Some("2026-01-01T00:00:00Z"), None)
        );
        assert!(b.ground_truth && b.was_cancelled && b.result == "[]");
        assert!(
            p.warnings
                .iter()
                .any(|w| w.message == "not a dict, skipped: 5"
                    && w.field.as_deref() == Some("annotations[1]"))
        );
        // A bad region is named with its place in the result.
        let p = run(json!({"data": {"text": "a"}, "annotations": [{"result": [
            {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Nope"]}}]}]}))
        .ok()
        .unwrap();
        assert!(
            p.warnings
                .iter()
                .any(|w| w.field.as_deref() == Some("annotations[0].result[0]")
                    && w.message.starts_with("annotation 1: Region 1: ")),
            "{:?}",
            p.warnings
        );
        assert!(
            messages(json!({"data": {"text": "a"}, "annotations": {"result": []}}))[0]
                .contains("Task[annotations] must be list, got {'result': []}")
        );
        assert!(
            messages(json!({"data": {"text": "a"}, "annotations": [{"result": null}]}))[0]
                .contains("\"result\" field in annotation must be list, got None")
        );
    }

    #[test]
    fn a_field_given_twice_reads_as_its_last_value_in_predictions_too() {
        // As Python's json (and so Label Studio) reads it. A prediction was skipped as
        // "not a dict" before.
        let p = run_text(
            r#"{"data": {"text": "a"}, "predictions": [{"result": [], "score": 0.1, "model_version": "m", "score": 0.9}],
                "annotations": [{"result": [], "lead_time": 1, "lead_time": 2}]}"#,
        )
        .ok()
        .unwrap();
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.task.predictions.len(), 1);
        assert_eq!(p.task.predictions[0].score, Some(0.9));
        assert_eq!(p.task.predictions[0].model_version, "m");
        assert_eq!(p.task.annotations[0].lead_time, Some(2.0));
    }

    #[test]
    fn elements_of_the_lists_that_are_not_objects_are_named() {
        let p = run_text(
            r#"{"data": {"text": "a"}, "annotations": [[1, "x"], {"result": []}, null],
                "predictions": [7, "p", {"result": []}, 8]}"#,
        )
        .ok()
        .unwrap();
        let w: Vec<String> = p.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(
            w[0].contains("annotations[0]") && w[0].contains("not a dict, skipped: [1, 'x']"),
            "{w:?}"
        );
        assert!(
            w[1].contains("annotations[2]") && w[1].contains("skipped: None"),
            "{w:?}"
        );
        assert!(
            w[2].contains("predictions[1]") && w[2].contains("skipped: 'p'"),
            "{w:?}"
        );
        assert_eq!(p.task.annotations.len(), 1);
        assert_eq!(p.task.predictions.len(), 1);
        assert_eq!(p.prediction_ids, 2);
    }

    #[test]
    fn predictions_are_normalised_and_validated() {
        let p = run(json!({"data": {"text": "a"}, "predictions": [{"result": "Negative", "score": "0.5"}, {"result": 4}]})).ok().unwrap();
        assert_eq!(
            result(&p.task.predictions[0].result)[0]["value"],
            json!({"choices": ["Negative"]})
        );
        assert_eq!(p.task.predictions[0].score, Some(0.5));
        assert_eq!(p.task.predictions[0].model_version, "undefined");
        assert_eq!(
            result(&p.task.predictions[1].result)[0]["value"],
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
            .ok()
            .unwrap();
        assert_eq!(p.task.predictions[0].result, "null");
    }

    #[test]
    fn undefined_goes_to_first_key_and_maps_rename() {
        let c = config();
        let maps = vec![("text".to_string(), "review".to_string())];
        let rules = ItemRules {
            config: &c,
            maps: &maps,
        };
        let mut m = RawMap::default();
        m.insert("id".into(), raw_string("1"));
        m.insert("review".into(), raw_string("good"));
        let p = process(&rules, RawItem::data(m, Location::line("a.csv", 2)), 1)
            .ok()
            .unwrap();
        assert_eq!(p.task.data, r#"{"id":"1","text":"good"}"#);
        let rules = ItemRules {
            config: &c,
            maps: &[],
        };
        let mut m = RawMap::default();
        m.insert("$undefined$".into(), raw_string("line"));
        let p = process(&rules, RawItem::data(m, Location::line("a.txt", 1)), 1)
            .ok()
            .unwrap();
        assert_eq!(p.task.data, r#"{"text":"line"}"#);
    }

    #[test]
    fn numbers_beyond_a_float_are_refused_where_they_are() {
        let big = format!("1{}", "0".repeat(400));
        let text = format!(
            r#"{{"data": {{"text": "1e400 in a string is text", "n": 1e400}}, "meta": {{"m": [-2E+999]}},
                "annotations": [{{"result": [{{"from_name": "sentiment", "to_name": "text", "type": "choices",
                    "value": {{"choices": ["Positive"]}}, "meta": {{"w": {big}}}}}]}}],
                "predictions": [{{"result": [{{"from_name": "sentiment", "to_name": "text", "type": "choices",
                    "value": {{"choices": ["Positive"], "x": 1e309}}}}]}}]}}"#
        );
        let problems = run_text(&text).err().unwrap();
        let got: Vec<(String, String)> = problems
            .iter()
            .map(|p| (p.field.clone().unwrap_or_default(), p.message.clone()))
            .collect();
        let too_large =
            |n: &str| format!("number {n} is too large: it is beyond what a 64-bit float holds");
        assert_eq!(
            got,
            [
                ("meta".to_string(), too_large("-2E+999")),
                (
                    "annotations[0].result".into(),
                    too_large(&format!("1{}...", "0".repeat(39)))
                ),
                ("predictions[0].result".into(), too_large("1e309")),
                ("data.n".into(), too_large("1e400")),
            ]
        );
        // Small and large numbers a float holds are stored as they came.
        let p = run_text(r#"{"data": {"text": "a", "n": [1e-400, 1.5e308, -0.0e5, 12]}}"#)
            .ok()
            .unwrap();
        assert_eq!(
            p.task.data,
            r#"{"text":"a","n":[1e-400,1.5e308,-0.0e5,12]}"#
        );
    }

    #[test]
    fn an_indented_task_reads_as_its_compact_form() {
        let task = serde_json::json!({
            "data": {"text": "a\nb"},
            "annotations": [
                {"completed_by": {"email": "a@x"}, "lead_time": 2.5, "created_at": "2024-01-01",
                 "result": [
                    {"id": "r1", "from_name": "sentiment", "to_name": "text", "type": "choices",
                     "value": {"choices": ["Positive"]}},
                    {"id": "r2", "from_name": "sentiment", "to_name": "text", "type": "choices",
                     "value": {"choices": ["Nope"], "note": "a \"quoted\"  string"}}
                 ]},
                "not an annotation"
            ],
            "completions": [],
            "predictions": [
                {"model_version": "m", "score": 0.5, "result": [
                    {"from_name": "sentiment", "to_name": "text", "type": "choices",
                     "value": {"choices": ["Negative"]}}
                ]},
                7
            ]
        });
        let outcome = |text: &str| {
            let p = run_text(text).ok().unwrap();
            let warnings: Vec<String> = p.warnings.iter().map(|w| w.to_string()).collect();
            let results: Vec<String> = p
                .task
                .annotations
                .iter()
                .map(|a| a.result.clone())
                .collect();
            let predictions: Vec<String> = p
                .task
                .predictions
                .iter()
                .map(|a| a.result.clone())
                .collect();
            (
                p.task.data,
                results,
                predictions,
                warnings,
                p.prediction_ids,
            )
        };
        let compact = outcome(&task.to_string());
        let indented = outcome(&serde_json::to_string_pretty(&task).unwrap());
        assert_eq!(indented, compact);
        assert!(
            compact.1[0].contains(r#""note":"a \"quoted\"  string""#),
            "{:?}",
            compact.1
        );
        assert!(
            compact.3.iter().any(|w| w.contains("Region 2")),
            "{:?}",
            compact.3
        );
        assert_eq!(compact.4, 1);
    }

    #[test]
    fn minify_keeps_strings() {
        let mut s = String::new();
        push_minified(&mut s, "{ \"a b\" : [1, \"x \\\" y\"],\n \"c\": {} }").unwrap();
        assert_eq!(s, r#"{"a b":[1,"x \" y"],"c":{}}"#);
        // Indented text, long strings with escapes past the first bytes, an escaped
        // backslash before a closing quote, and text that ends inside a string.
        let long = format!("\"{}\\\" {} \\\\\"", "a ".repeat(20), "b ".repeat(40));
        let text = format!("[\n  {{\n    \"k\" :\t{long} ,\r\n    \"e\": \"\\\\\"\n  }}\n]");
        let mut s = String::new();
        push_minified(&mut s, &text).unwrap();
        assert_eq!(s, format!("[{{\"k\":{long},\"e\":\"\\\\\"}}]"));
        let parsed: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(parsed, serde_json::from_str::<Value>(&text).unwrap());
        let mut s = String::new();
        push_minified(&mut s, "[ \"open  string \\").unwrap();
        assert_eq!(s, "[\"open  string \\");
    }
}
