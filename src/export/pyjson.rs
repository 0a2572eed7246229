//! JSON and number text exactly as Label Studio's converter writes them: Python's `repr`
//! for floats, `ujson` (escaped `/`, unpadded exponents) and the standard `json` module.

use crate::util::BorrowedKey;
use serde_json::Value;
use std::fmt::Write;

/// How exponents are written: Python pads to two digits (`1e-05`), ujson does not (`1e-5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exponent {
    Python,
    Ujson,
}

/// A float as Python's `repr` (and `str`) writes it: the shortest text that reads back to
/// the same double, fixed notation for exponents -4..16, `.0` on integral values.
pub fn float_repr(x: f64, exp_style: Exponent) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as Python's repr does.
    let s = format!("{x:e}");
    let (mant, exp) = s.split_once('e').expect("LowerExp has an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::with_capacity(digits.len() + 8);
    if neg {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        match exp_style {
            Exponent::Python => {
                let _ = write!(out, "{:02}", exp.abs());
            }
            Exponent::Ujson => {
                let _ = write!(out, "{}", exp.abs());
            }
        }
    }
    out
}

/// A JSON number as Python would print it (ints stay ints, floats use `repr`).
pub fn number_repr(n: &serde_json::Number, exp_style: Exponent) -> String {
    if n.is_f64() {
        float_repr(n.as_f64().unwrap_or_default(), exp_style)
    } else {
        n.to_string()
    }
}

/// One of the converter's JSON encoders.
#[derive(Debug, Clone, Copy)]
pub struct JsonStyle {
    /// `None`: compact. `Some(n)`: one element per line, `n` spaces per level.
    pub indent: Option<usize>,
    pub ensure_ascii: bool,
    /// ujson writes `/` as `\/`.
    pub escape_slash: bool,
    /// Python's `json` separates with `", "` and `": "` when compact; ujson with `,` and `:`.
    pub python_separators: bool,
    pub exponent: Exponent,
}

impl JsonStyle {
    /// `ujson.dumps(v)` / `ujson.dumps(v, indent=n, ensure_ascii=...)`.
    pub fn ujson(indent: Option<usize>, ensure_ascii: bool) -> Self {
        JsonStyle {
            indent,
            ensure_ascii,
            escape_slash: true,
            python_separators: false,
            exponent: Exponent::Ujson,
        }
    }

    /// `json.dumps(v)` / `json.dumps(v, indent=n, ensure_ascii=...)`.
    pub fn python(indent: Option<usize>, ensure_ascii: bool) -> Self {
        JsonStyle {
            indent,
            ensure_ascii,
            escape_slash: false,
            python_separators: true,
            exponent: Exponent::Python,
        }
    }
}

/// The bytes a string can hold unescaped, by `escape_slash + 2 * ensure_ascii`.
static PLAIN: [[bool; 256]; 4] = [
    plain_bytes(false, false),
    plain_bytes(true, false),
    plain_bytes(false, true),
    plain_bytes(true, true),
];

const fn plain_bytes(escape_slash: bool, ensure_ascii: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c >= 0x20
            && c != b'"'
            && c != b'\\'
            && !(c == b'/' && escape_slash)
            && (c < 0x7f || (c >= 0x80 && !ensure_ascii));
        b += 1;
    }
    t
}

pub fn escape_str(out: &mut String, s: &str, style: &JsonStyle) {
    out.push('"');
    escape_str_body(out, s, style);
    out.push('"');
}

/// The inside of [`escape_str`]'s quotes.
fn escape_str_body(out: &mut String, s: &str, style: &JsonStyle) {
    // Fast path: nothing to escape (the common case) is copied in one go. The test looks
    // bytes up in a table, sixteen at a time without a branch per byte.
    let plain = &PLAIN[usize::from(style.escape_slash) + 2 * usize::from(style.ensure_ascii)];
    if s.as_bytes()
        .chunks(16)
        .all(|c| c.iter().fold(true, |all, &b| all & plain[usize::from(b)]))
    {
        out.push_str(s);
        return;
    }
    escape_chars(out, s, style);
}

/// [`escape_str_body`] a character at a time.
fn escape_chars(out: &mut String, s: &str, style: &JsonStyle) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if style.escape_slash => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            // Python's ensure_ascii escapes DEL too; ujson writes it raw.
            '\u{7f}' if style.ensure_ascii && style.python_separators => out.push_str("\\u007f"),
            '\u{7f}' => out.push(c),
            c if style.ensure_ascii && (c as u32) > 0x7f => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
}

fn newline(out: &mut String, indent: usize, level: usize) {
    out.push('\n');
    push_spaces(out, indent * level);
}

/// Appends `n` spaces (indentation: copied in runs rather than a character at a time).
pub fn push_spaces(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > 0 {
        let run = n.min(SPACES.len());
        out.push_str(&SPACES[..run]);
        n -= run;
    }
}

pub fn write_value(out: &mut String, v: &Value, style: &JsonStyle, level: usize) {
    let (item_sep, key_sep) = match (style.indent, style.python_separators) {
        (Some(_), _) => (",", ": "),
        (None, true) => (", ", ": "),
        (None, false) => (",", ":"),
    };
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            // Integers are written in place; only floats need Python's repr.
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                out.push_str(&number_repr(n, style.exponent))
            }
        }
        Value::String(s) => escape_str(out, s, style),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                if let Some(n) = style.indent {
                    newline(out, n, level + 1);
                }
                write_value(out, item, style, level + 1);
            }
            if let Some(n) = style.indent {
                newline(out, n, level);
            }
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                if let Some(n) = style.indent {
                    newline(out, n, level + 1);
                }
                escape_str(out, k, style);
                out.push_str(key_sep);
                write_value(out, item, style, level + 1);
            }
            if let Some(n) = style.indent {
                newline(out, n, level);
            }
            out.push('}');
        }
    }
}

/// Writes the JSON text `raw` as [`write_value`] writes the value parsed from it, without
/// building that value. `None` when an object in it repeats a key: the parsed map keeps
/// the last value in the first one's place, which a single pass cannot write; the caller
/// then takes the way through the value (and drops what was written).
pub fn write_raw(out: &mut String, raw: &str, style: &JsonStyle, level: usize) -> Option<()> {
    let b = raw.as_bytes();
    // The common cases, without a parser: a string with no escapes, a small whole number.
    if b.len() >= 2 && b[0] == b'"' && !b.contains(&b'\\') {
        escape_str(out, &raw[1..raw.len() - 1], style);
        return Some(());
    }
    if !b.is_empty()
        && b.len() <= 18
        && b.iter().all(u8::is_ascii_digit)
        && (b[0] != b'0' || b.len() == 1)
    {
        out.push_str(raw);
        return Some(());
    }
    let mut de = serde_json::Deserializer::from_str(raw);
    serde::de::DeserializeSeed::deserialize(Transcode { out, style, level }, &mut de).ok()?;
    de.end().ok()
}

/// Writes one parsed value as it is read (see [`write_raw`]).
struct Transcode<'o, 's> {
    out: &'o mut String,
    style: &'s JsonStyle,
    level: usize,
}

impl Transcode<'_, '_> {
    fn separators(&self) -> (&'static str, &'static str) {
        match (self.style.indent, self.style.python_separators) {
            (Some(_), _) => (",", ": "),
            (None, true) => (", ", ": "),
            (None, false) => (",", ":"),
        }
    }

    /// Before element `i` of a container.
    fn open_element(&mut self, i: usize, item_sep: &str) {
        if i > 0 {
            self.out.push_str(item_sep);
        }
        if let Some(n) = self.style.indent {
            newline(self.out, n, self.level + 1);
        }
    }

    fn close(&mut self, n: usize, empty: &str, end: char) {
        if n == 0 {
            self.out.push_str(empty);
            return;
        }
        if let Some(k) = self.style.indent {
            newline(self.out, k, self.level);
        }
        self.out.push(end);
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Transcode<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Transcode<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.out.push_str("null");
        Ok(())
    }

    fn visit_bool<E>(self, b: bool) -> Result<(), E> {
        self.out.push_str(if b { "true" } else { "false" });
        Ok(())
    }

    fn visit_i64<E>(self, i: i64) -> Result<(), E> {
        let _ = write!(self.out, "{i}");
        Ok(())
    }

    fn visit_u64<E>(self, u: u64) -> Result<(), E> {
        let _ = write!(self.out, "{u}");
        Ok(())
    }

    fn visit_f64<E>(self, x: f64) -> Result<(), E> {
        // A parsed value holds no infinite number: it becomes null.
        match serde_json::Number::from_f64(x) {
            Some(n) => self.out.push_str(&number_repr(&n, self.style.exponent)),
            None => self.out.push_str("null"),
        }
        Ok(())
    }

    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        escape_str(self.out, s, self.style);
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let (item_sep, _) = self.separators();
        let mut n = 0;
        loop {
            // The bracket or separator goes first; taken back when no element follows.
            let mark = self.out.len();
            if n == 0 {
                self.out.push('[');
            }
            self.open_element(n, item_sep);
            let seed = Transcode {
                out: &mut *self.out,
                style: self.style,
                level: self.level + 1,
            };
            if seq.next_element_seed(seed)?.is_none() {
                self.out.truncate(mark);
                break;
            }
            n += 1;
        }
        self.close(n, "[]", ']');
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let (item_sep, key_sep) = self.separators();
        let mut keys: Vec<BorrowedKey<'de>> = Vec::new();
        while let Some(key) = map.next_key::<BorrowedKey>()? {
            if keys.iter().any(|k| k.as_str() == key.as_str()) {
                return Err(serde::de::Error::custom("repeated key"));
            }
            if keys.is_empty() {
                self.out.push('{');
            }
            self.open_element(keys.len(), item_sep);
            escape_str(self.out, key.as_str(), self.style);
            self.out.push_str(key_sep);
            keys.push(key);
            map.next_value_seed(Transcode {
                out: &mut *self.out,
                style: self.style,
                level: self.level + 1,
            })?;
        }
        self.close(keys.len(), "{}", '}');
        Ok(())
    }
}

pub fn dumps(v: &Value, style: &JsonStyle) -> String {
    let mut out = String::new();
    write_value(&mut out, v, style, 0);
    out
}

/// Python's `str()` of a value read from JSON: `None`, `True`, float `repr`, strings as they
/// are, lists and dicts as Python's `repr` writes them.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => {
            let mut out = String::new();
            py_repr(&mut out, other);
            out
        }
    }
}

/// Python's `repr()` of a value read from JSON.
pub fn py_repr(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("None"),
        Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
        Value::Number(n) => out.push_str(&number_repr(n, Exponent::Python)),
        Value::String(s) => py_repr_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                py_repr(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                py_repr_str(out, k);
                out.push_str(": ");
                py_repr(out, item);
            }
            out.push('}');
        }
    }
}

/// Python's `repr()` of a string: single quotes unless the text holds `'` and no `"`.
fn py_repr_str(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..=0xa0).contains(&(c as u32)) || c == '\u{ad}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{2028}' | '\u{2029}' | '\u{200b}'..='\u{200f}' | '\u{feff}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Expected texts were printed by CPython 3.11 (`repr`, `json.dumps`) and ujson 6.1.0.
    #[test]
    fn spaces_in_runs() {
        for n in [0, 1, 63, 64, 65, 200] {
            let mut out = String::from("x");
            push_spaces(&mut out, n);
            assert_eq!(out, format!("x{}", " ".repeat(n)));
        }
    }

    #[test]
    fn the_fast_path_copies_only_what_needs_no_escape() {
        let styles = [
            JsonStyle::python(None, false),
            JsonStyle::python(None, true),
            JsonStyle::ujson(None, false),
            JsonStyle::ujson(None, true),
        ];
        let mut chars: Vec<char> = (0u8..0x80).map(char::from).collect();
        chars.extend(['\u{e9}', '\u{4e2d}', '\u{1F600}']);
        for style in &styles {
            for &c in &chars {
                // The character on every position of a sixteen-byte chunk.
                for pad in [0, 5, 15, 16, 31] {
                    let text = format!("{}{c}tail", "p".repeat(pad));
                    let (mut fast, mut slow) = (String::new(), String::new());
                    escape_str_body(&mut fast, &text, style);
                    escape_chars(&mut slow, &text, style);
                    assert_eq!(fast, slow, "{c:?} after {pad}");
                }
            }
        }
    }

    #[test]
    fn floats_like_python_and_ujson() {
        let cases = [
            (0.1, "0.1", "0.1"),
            (1e-5, "1e-05", "1e-5"),
            (1.5e-7, "1.5e-07", "1.5e-7"),
            (1e16, "1e+16", "1e+16"),
            (
                1.2345678901234568e17,
                "1.2345678901234568e+17",
                "1.2345678901234568e+17",
            ),
            (10.0, "10.0", "10.0"),
            (
                0.30000000000000004,
                "0.30000000000000004",
                "0.30000000000000004",
            ),
            (2.5e-05, "2.5e-05", "2.5e-5"),
            (-0.0, "-0.0", "-0.0"),
            (1e-4, "0.0001", "0.0001"),
            (0.0001234, "0.0001234", "0.0001234"),
            (12345.678, "12345.678", "12345.678"),
            (123456789012345.0, "123456789012345.0", "123456789012345.0"),
            (5e-324, "5e-324", "5e-324"),
            (
                1.7976931348623157e308,
                "1.7976931348623157e+308",
                "1.7976931348623157e+308",
            ),
        ];
        for (x, py, uj) in cases {
            assert_eq!(float_repr(x, Exponent::Python), py, "{x}");
            assert_eq!(float_repr(x, Exponent::Ujson), uj, "{x}");
        }
    }

    /// Expected texts were printed by CPython 3.11 (`str(...)`).
    #[test]
    fn python_str_of_values() {
        assert_eq!(py_str(&json!(null)), "None");
        assert_eq!(py_str(&json!(true)), "True");
        assert_eq!(py_str(&json!(2.5e-05)), "2.5e-05");
        assert_eq!(py_str(&json!("a/b")), "a/b");
        assert_eq!(
            py_str(&json!([1, "a", null, true, {"x": 1.5, "it's": "say \"hi\"\n"}])),
            "[1, 'a', None, True, {'x': 1.5, \"it's\": 'say \"hi\"\\n'}]"
        );
    }

    #[test]
    fn ujson_and_python_json_texts() {
        let v = json!({"a": "x/y", "b": [1, 2.0, {}], "c": [], "d": "é\u{2028}😀\n\u{1}<>&"});
        assert_eq!(
            dumps(&v, &JsonStyle::ujson(Some(2), true)),
            "{\n  \"a\": \"x\\/y\",\n  \"b\": [\n    1,\n    2.0,\n    {}\n  ],\n  \"c\": [],\n  \"d\": \"\\u00e9\\u2028\\ud83d\\ude00\\n\\u0001<>&\"\n}"
        );
        let v = json!({"a": "x/y", "d": "é😀"});
        assert_eq!(
            dumps(&v, &JsonStyle::ujson(None, false)),
            "{\"a\":\"x\\/y\",\"d\":\"é😀\"}"
        );
        assert_eq!(
            dumps(&v, &JsonStyle::ujson(None, true)),
            "{\"a\":\"x\\/y\",\"d\":\"\\u00e9\\ud83d\\ude00\"}"
        );
        let v = json!({"a": [1, {}], "b": []});
        assert_eq!(
            dumps(&v, &JsonStyle::python(None, true)),
            "{\"a\": [1, {}], \"b\": []}"
        );
        assert_eq!(
            dumps(&json!("a\u{7f}b/c\u{e9}"), &JsonStyle::python(None, true)),
            "\"a\\u007fb/c\\u00e9\""
        );
        assert_eq!(
            dumps(&json!("a\u{7f}b/c\u{e9}"), &JsonStyle::ujson(None, true)),
            "\"a\u{7f}b\\/c\\u00e9\""
        );
        assert_eq!(
            dumps(&json!("a\u{7f}b/c\u{e9}"), &JsonStyle::python(None, false)),
            "\"a\u{7f}b/c\u{e9}\""
        );
    }
}
