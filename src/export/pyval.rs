//! Python semantics the image exporters need: numbers that stay int or float, `str()` of a
//! JSON value, truthiness, `round()` (half to even), `int()` (toward zero), `os.path`'s
//! `basename`/`splitext`/`relpath`, `str.isalnum`, and `str(datetime.now())`.

use super::pyjson::{Exponent, float_repr};
pub use crate::util::truthy;
use serde_json::{Map, Value};
use std::path::{Component, Path, PathBuf};

/// A JSON number as Python holds it: an `int` or a `float`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    /// Numbers only (Python would also do arithmetic on `True`; Label Studio never writes it).
    pub fn of(v: &Value) -> Option<Num> {
        match v {
            Value::Number(n) => Some(if let Some(i) = n.as_i64() {
                Num::Int(i)
            } else {
                Num::Float(n.as_f64()?)
            }),
            _ => None,
        }
    }

    pub fn f(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(x) => x,
        }
    }

    pub fn truthy(self) -> bool {
        match self {
            Num::Int(i) => i != 0,
            Num::Float(x) => x != 0.0,
        }
    }

    pub fn to_value(self) -> Value {
        match self {
            Num::Int(i) => Value::from(i),
            Num::Float(x) => float_value(x),
        }
    }

    /// Python `str()`.
    pub fn py_str(self) -> String {
        match self {
            Num::Int(i) => i.to_string(),
            Num::Float(x) => float_repr(x, Exponent::Python),
        }
    }
}

/// A float as a JSON value (non-finite values, which JSON cannot hold, become null).
pub fn float_value(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// Python `round(x)` for a float: to the nearest integer, ties to even.
pub fn round_half_even(x: f64) -> f64 {
    x.round_ties_even()
}

/// Python `int(x)` for a finite float (toward zero); `None` for NaN and infinities, which
/// Python refuses.
pub fn int_trunc(x: f64) -> Option<i64> {
    if x.is_finite() && x.abs() < 9.2e18 {
        Some(x.trunc() as i64)
    } else {
        None
    }
}

/// Python `str()` of a JSON value: one implementation, beside `repr` and the JSON writers.
pub use super::pyjson::py_str;

/// The converter's `get_annotator(item, default)` as text: a dict's `email` (else `default`),
/// anything else through `str()`.
pub fn annotator_text(completed_by: &Value, default: &str) -> String {
    match completed_by {
        Value::Object(m) => match m.get("email") {
            None => default.to_string(),
            Some(v) => py_str(v),
        },
        other => py_str(other),
    }
}

/// `os.path.basename` (POSIX).
pub fn basename(p: &str) -> &str {
    match p.rfind('/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

/// `os.path.splitext(p)[0]` (POSIX): a leading run of dots is not an extension.
pub fn strip_ext(p: &str) -> &str {
    let sep = p.rfind('/').map_or(0, |i| i + 1);
    let Some(dot) = p.rfind('.') else { return p };
    if dot < sep {
        return p;
    }
    if p[sep..dot].chars().any(|c| c != '.') {
        &p[..dot]
    } else {
        p
    }
}

/// The first `n` characters (Python slicing counts code points).
pub fn first_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `os.path.abspath`: joined with the current directory and normalised lexically.
pub fn abspath(p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut out = PathBuf::from("/");
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            _ => {}
        }
    }
    out
}

/// `os.path.relpath(path, start)` (POSIX, lexical).
pub fn relpath(path: &Path, start: &Path) -> String {
    let p = abspath(path);
    let s = abspath(start);
    let pc: Vec<_> = p.components().collect();
    let sc: Vec<_> = s.components().collect();
    let common = pc.iter().zip(&sc).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = Vec::new();
    for _ in common..sc.len() {
        parts.push("..".into());
    }
    for c in &pc[common..] {
        parts.push(c.as_os_str().to_string_lossy().into_owned());
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// Python `str.isalnum()` for one character: letters (L*), decimal digits and other numerics.
/// Rust's `is_alphanumeric` also counts combining marks that belong to the Alphabetic property;
/// Python does not, so those are excluded.
pub fn py_isalnum(c: char) -> bool {
    c.is_alphanumeric() && !is_combining_mark(c)
}

fn is_combining_mark(c: char) -> bool {
    let u = c as u32;
    // The main combining-mark blocks and the vowel signs of Brahmic scripts (0900–0DFF, where
    // letters and marks interleave: marks are the dependent vowel signs and viramas).
    matches!(u, 0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A
        | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06DC | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF
        | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
        || (0x0900..=0x0DFF).contains(&u) && brahmic_mark(u)
}

fn brahmic_mark(u: u32) -> bool {
    // Within each 128-code-point Brahmic block: signs before the letters (01–03), the
    // nukta/vowel signs/virama (3C, 3E–4D) and length marks (55–57), vowel signs 62–63.
    let o = u & 0x7F;
    matches!(o, 0x01..=0x03 | 0x3C | 0x3E..=0x4D | 0x55..=0x57 | 0x62..=0x63)
}

/// `str(datetime.now())`: local time, microseconds only when non-zero.
pub fn now_text() -> (i32, String) {
    use chrono::{Datelike, Timelike};
    let now = chrono::Local::now();
    let text = if now.nanosecond() / 1000 == 0 {
        now.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        now.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    };
    (now.year(), text)
}

/// A JSON object from (key, value) pairs, in order.
pub fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_text_of_values() {
        assert_eq!(py_str(&json!(3)), "3");
        assert_eq!(py_str(&json!(3.0)), "3.0");
        assert_eq!(py_str(&json!(null)), "None");
        assert_eq!(py_str(&json!("a/b")), "a/b");
        assert_eq!(py_str(&json!({"a": [1, "x'"]})), "{'a': [1, \"x'\"]}");
        assert_eq!(annotator_text(&json!({"id": 1}), "unknown"), "unknown");
        assert_eq!(annotator_text(&json!({"email": "a@b"}), ""), "a@b");
        assert_eq!(annotator_text(&json!(7), ""), "7");
    }

    #[test]
    fn rounding_and_truncation() {
        assert_eq!(round_half_even(24.5), 24.0);
        assert_eq!(round_half_even(16.5), 16.0);
        assert_eq!(round_half_even(17.5), 18.0);
        assert_eq!(round_half_even(-0.5), -0.0);
        assert_eq!(int_trunc(-3.9), Some(-3));
        assert_eq!(int_trunc(f64::NAN), None);
    }

    #[test]
    fn os_path_functions() {
        assert_eq!(basename("http://h/a/b.png"), "b.png");
        assert_eq!(basename("b.png"), "b.png");
        assert_eq!(strip_ext("a.b.png"), "a.b");
        assert_eq!(strip_ext(".hidden"), ".hidden");
        assert_eq!(strip_ext("..x"), "..x");
        assert_eq!(strip_ext("dir.d/file"), "dir.d/file");
        assert_eq!(strip_ext("noext"), "noext");
        assert_eq!(first_chars("äbc", 2), "äb");
        assert_eq!(
            relpath(Path::new("/a/b/images/x.png"), Path::new("/a/b")),
            "images/x.png"
        );
        assert_eq!(
            relpath(Path::new("/a/up/1/x.png"), Path::new("/a/b/out")),
            "../../up/1/x.png"
        );
        assert_eq!(relpath(Path::new("/a/b"), Path::new("/a/b")), ".");
    }

    #[test]
    fn isalnum_like_python() {
        assert!(py_isalnum('a') && py_isalnum('é') && py_isalnum('7') && py_isalnum('²'));
        assert!(!py_isalnum('+') && !py_isalnum('_') && !py_isalnum('-'));
        assert!(!py_isalnum('\u{0301}'));
        assert!(!py_isalnum('\u{093F}'));
        assert!(py_isalnum('\u{0915}'));
    }
}
