//! Read accessors for result items as Label Studio stores them (spec §3.1).

use crate::config::{ControlTag, LabelConfig};
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicU64, Ordering};

static ID_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh region id: 10 characters of `[A-Za-z0-9_-]`, as Label Studio makes them.
pub fn new_id() -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = t
        ^ ID_COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        ^ (std::process::id() as u64) << 32;
    let mut s = String::with_capacity(10);
    for _ in 0..10 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push(ALPHA[(x % 64) as usize] as char);
    }
    s
}

/// A result for a control: `{id, from_name, to_name, type, value, origin}` (a fresh id
/// when `id` is None), as the editor writes a region it makes.
pub fn region(ctrl: &ControlTag, to: &str, id: Option<String>, value: Map<String, Value>) -> Value {
    json!({
        "id": id.unwrap_or_else(new_id),
        "from_name": ctrl.name,
        "to_name": to,
        "type": ctrl.result_type(),
        "value": Value::Object(value),
        "origin": "manual",
    })
}

pub fn from_name(r: &Value) -> &str {
    r.get("from_name").and_then(Value::as_str).unwrap_or("")
}

pub fn to_name(r: &Value) -> &str {
    r.get("to_name").and_then(Value::as_str).unwrap_or("")
}

pub fn id_of(r: &Value) -> Option<&str> {
    r.get("id").and_then(Value::as_str)
}

pub fn is_relation(r: &Value) -> bool {
    r.get("type").and_then(Value::as_str) == Some("relation")
}

/// The labels (or choices, taxonomy paths flattened) a result carries.
pub fn labels_of(r: &Value) -> Vec<String> {
    crate::task::region_labels(r)
}

/// A number, also when written as a string (`"12.5"`), as some exporters do.
pub fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether a result is a region of its own (a span or a shape), not a classification.
pub fn is_region(config: &LabelConfig, r: &Value) -> bool {
    if is_relation(r) {
        return false;
    }
    // A chat message I added is a region: per-message controls attach to it.
    if super::chat::is_message(r) {
        return true;
    }
    // A control of exactly that name first, then a Repeater's pattern.
    match config.control(from_name(r)) {
        Some(c) => c.kind.makes_regions(),
        None => {
            let v = &r["value"];
            v.get("start").is_some() || v.get("x").is_some() || v.get("points").is_some()
        }
    }
}

/// The geometry fields a shape's value holds (and copies of it repeat).
const GEOMETRY_KEYS: [&str; 9] = [
    "x", "y", "width", "height", "rotation", "points", "closed", "radiusX", "radiusY",
];

/// Keeps the geometry that results sharing a shape's id repeat (its labels written apart,
/// perRegion answers) equal to the shape's own, as Label Studio serialises them from one
/// region. Returns whether anything changed.
pub fn sync_region_copies(config: &LabelConfig, result: &mut [Value]) -> bool {
    use std::collections::HashMap;
    let is_shape = |r: &Value| {
        config
            .controls
            .iter()
            .find(|c| c.matches_name(from_name(r)))
            .is_some_and(|c| c.kind.geometry().is_some())
    };
    let mut shapes: HashMap<String, serde_json::Map<String, Value>> = HashMap::new();
    for r in result.iter() {
        if let Some(id) = id_of(r)
            && !shapes.contains_key(id)
            && is_shape(r)
            && let Some(v) = r.get("value").and_then(Value::as_object)
        {
            let geo = GEOMETRY_KEYS
                .iter()
                .filter_map(|k| v.get(*k).map(|x| (k.to_string(), x.clone())))
                .collect();
            shapes.insert(id.to_string(), geo);
        }
    }
    if shapes.is_empty() {
        return false;
    }
    let mut changed = false;
    for r in result.iter_mut() {
        let Some(geo) = id_of(r).and_then(|id| shapes.get(id)) else {
            continue;
        };
        if is_shape(r) {
            continue;
        }
        let Some(v) = r.get_mut("value").and_then(Value::as_object_mut) else {
            continue;
        };
        for (k, x) in geo {
            if v.get(k) != Some(x) {
                v.insert(k.clone(), x.clone());
                changed = true;
            }
        }
    }
    changed
}

#[cfg(test)]
mod copy_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn copies_of_a_shape_follow_its_geometry() {
        let c = LabelConfig::parse(
            r#"<View><Image name="i" value="$i"/><Labels name="l" toName="i"><Label value="T"/></Labels>
            <Rectangle name="b" toName="i"/><TextArea name="tr" toName="i" perRegion="true"/></View>"#,
        )
        .unwrap();
        let mut r = vec![
            json!({"id": "a", "from_name": "b", "to_name": "i", "type": "rectangle", "value": {"x": 5, "y": 6, "width": 7, "height": 8, "rotation": 0}}),
            json!({"id": "a", "from_name": "l", "to_name": "i", "type": "labels", "value": {"x": 1, "y": 2, "width": 3, "height": 4, "rotation": 0, "labels": ["T"]}}),
            json!({"id": "a", "from_name": "tr", "to_name": "i", "type": "textarea", "value": {"x": 1, "y": 2, "width": 3, "height": 4, "rotation": 0, "text": ["hi"]}}),
            json!({"id": "z", "from_name": "tr", "to_name": "i", "type": "textarea", "value": {"text": ["other"]}}),
        ];
        assert!(sync_region_copies(&c, &mut r));
        for i in [1, 2] {
            assert_eq!(r[i]["value"]["x"], 5);
            assert_eq!(r[i]["value"]["height"], 8);
        }
        assert_eq!(r[1]["value"]["labels"], json!(["T"]));
        assert_eq!(r[2]["value"]["text"], json!(["hi"]));
        assert_eq!(r[3]["value"], json!({"text": ["other"]}));
        assert!(!sync_region_copies(&c, &mut r), "nothing left to change");
    }
}
