//! Read accessors for result items as Label Studio stores them (spec §3.1).

use crate::config::LabelConfig;
use serde_json::Value;
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
    match config
        .controls
        .iter()
        .find(|c| c.matches_name(from_name(r)))
    {
        Some(c) => c.kind.makes_regions(),
        None => {
            let v = &r["value"];
            v.get("start").is_some() || v.get("x").is_some() || v.get("points").is_some()
        }
    }
}
