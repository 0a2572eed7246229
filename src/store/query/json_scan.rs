//! Reading a few members out of JSON text without parsing the rest. A query over a whole
//! project reads one data key or one control's values from each of a million task or
//! result texts; building a tree of every text (what `serde_json` or SQLite's `json_*`
//! functions do) costs most of the query. Here strings are skipped with `memchr` and
//! nothing is allocated until a value is picked.
//!
//! The texts come from the store, where import wrote them from parsed JSON, so they are
//! valid; malformed text still only yields `None`, never a panic or a wrong slice.

use rusqlite::types::Value as SqlValue;
use std::borrow::Cow;

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The end (exclusive) of the string whose opening quote is at `i`.
fn string_end(s: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        // Keys and labels are short: a plain loop over their first bytes costs less than
        // setting up memchr's vector search.
        let short = (j + 16).min(s.len());
        let k = match s
            .get(j..short)?
            .iter()
            .position(|&c| c == b'"' || c == b'\\')
        {
            Some(p) => j + p,
            None => short + memchr::memchr2(b'"', b'\\', s.get(short..)?)?,
        };
        if s[k] == b'"' {
            return Some(k + 1);
        }
        j = k + 2;
    }
}

/// The end (exclusive) of the value starting at `i` (no whitespace before it).
pub fn value_end(s: &[u8], i: usize) -> Option<usize> {
    match *s.get(i)? {
        b'"' => string_end(s, i),
        b'{' | b'[' => {
            // Iterative, so deep nesting costs no stack.
            let mut depth = 0usize;
            let mut j = i;
            while j < s.len() {
                match s[j] {
                    b'"' => {
                        j = string_end(s, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < s.len() && !matches!(s[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// Calls `f(raw_key, value)` for each member of the object `s` (a whole JSON value,
/// whitespace around allowed) until `f` returns false. `raw_key` is the key as written,
/// escapes included, without its quotes. `None` when `s` is not an object.
pub fn members<'a>(s: &'a [u8], f: impl FnMut(&'a [u8], &'a [u8]) -> bool) -> Option<()> {
    match members_from(s, skip_ws(s, 0), f) {
        Members::End(_) | Members::Stopped => Some(()),
        Members::Malformed => None,
    }
}

/// How reading an object's members ended.
pub enum Members {
    /// Read to its end: the position after its `}`.
    End(usize),
    /// The callback asked to stop.
    Stopped,
    Malformed,
}

/// [`members`] of the object whose `{` is at `s[i]`.
pub fn members_from<'a>(
    s: &'a [u8],
    mut i: usize,
    mut f: impl FnMut(&'a [u8], &'a [u8]) -> bool,
) -> Members {
    if s.get(i) != Some(&b'{') {
        return Members::Malformed;
    }
    i = skip_ws(s, i + 1);
    if s.get(i) == Some(&b'}') {
        return Members::End(i + 1);
    }
    loop {
        if s.get(i) != Some(&b'"') {
            return Members::Malformed;
        }
        let Some(key_end) = string_end(s, i) else {
            return Members::Malformed;
        };
        let key = &s[i + 1..key_end - 1];
        i = skip_ws(s, key_end);
        if s.get(i) != Some(&b':') {
            return Members::Malformed;
        }
        i = skip_ws(s, i + 1);
        let Some(end) = value_end(s, i) else {
            return Members::Malformed;
        };
        if !f(key, &s[i..end]) {
            return Members::Stopped;
        }
        i = skip_ws(s, end);
        match s.get(i) {
            Some(b',') => i = skip_ws(s, i + 1),
            Some(b'}') => return Members::End(i + 1),
            _ => return Members::Malformed,
        }
    }
}

/// Calls `f(s, start)` for each element of the array `s` (the element starts at
/// `s[start]`); `f` returns the element's end, or `None` to stop. `None` when `s` is not
/// an array or an element is malformed.
pub fn elements_at<'a>(
    s: &'a [u8],
    mut f: impl FnMut(&'a [u8], usize) -> Option<usize>,
) -> Option<()> {
    let mut i = skip_ws(s, 0);
    if s.get(i) != Some(&b'[') {
        return None;
    }
    i = skip_ws(s, i + 1);
    if s.get(i) == Some(&b']') {
        return Some(());
    }
    loop {
        let end = f(s, i)?;
        i = skip_ws(s, end);
        match s.get(i)? {
            b',' => i = skip_ws(s, i + 1),
            b']' => return Some(()),
            _ => return None,
        }
    }
}

/// Whether the string value `v` (with its quotes) is `name`.
pub fn string_is(v: &[u8], name: &str) -> bool {
    let v = trim(v);
    if v.len() < 2 || v[0] != b'"' {
        return false;
    }
    key_is(&v[1..v.len() - 1], name)
}

/// Calls `f(element)` for each element of the array `s` until `f` returns false; `None`
/// when `s` is not an array.
pub fn elements<'a>(s: &'a [u8], mut f: impl FnMut(&'a [u8]) -> bool) -> Option<()> {
    let mut stopped = false;
    let read = elements_at(s, |s, i| {
        let end = value_end(s, i)?;
        if f(&s[i..end]) {
            Some(end)
        } else {
            stopped = true;
            None
        }
    });
    if stopped { Some(()) } else { read }
}

/// Whether a raw key (as [`members`] gives it) is `name`.
pub fn key_is(raw: &[u8], name: &str) -> bool {
    if raw == name.as_bytes() {
        return true;
    }
    if !raw.contains(&b'\\') {
        return false;
    }
    unescape_raw(raw).is_some_and(|k| k == name)
}

/// A string's text from its raw bytes between the quotes.
fn unescape_raw(raw: &[u8]) -> Option<Cow<'_, str>> {
    if !raw.contains(&b'\\') {
        return std::str::from_utf8(raw).ok().map(Cow::Borrowed);
    }
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice::<String>(&quoted)
        .ok()
        .map(Cow::Owned)
}

/// The member `name` of the object `s`: the first one, as SQLite's JSON functions pick.
pub fn member<'a>(s: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let mut found = None;
    members(s, |k, v| {
        if key_is(k, name) {
            found = Some(v);
            false
        } else {
            true
        }
    })?;
    found
}

/// The value at a path of object keys.
pub fn path<'a, S: AsRef<str>>(s: &'a [u8], keys: &[S]) -> Option<&'a [u8]> {
    keys.iter()
        .try_fold(s, |v, k| member(v, k.as_ref()))
        .map(trim)
}

/// `s` without the whitespace around it.
pub fn trim(s: &[u8]) -> &[u8] {
    let start = skip_ws(s, 0);
    let mut end = s.len();
    while end > start && matches!(s[end - 1], b' ' | b'\t' | b'\n' | b'\r') {
        end -= 1;
    }
    &s[start..end]
}

/// What a JSON value is, by its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    True,
    False,
    Number,
    String,
    Object,
    Array,
}

pub fn kind(v: &[u8]) -> Option<Kind> {
    Some(match *trim(v).first()? {
        b'n' => Kind::Null,
        b't' => Kind::True,
        b'f' => Kind::False,
        b'"' => Kind::String,
        b'{' => Kind::Object,
        b'[' => Kind::Array,
        b'-' | b'0'..=b'9' => Kind::Number,
        _ => return None,
    })
}

/// SQLite's name of a JSON value's type, as `json_type` gives it.
pub fn type_name(v: &[u8]) -> Option<&'static str> {
    Some(match kind(v)? {
        Kind::Null => "null",
        Kind::True => "true",
        Kind::False => "false",
        Kind::String => "text",
        Kind::Object => "object",
        Kind::Array => "array",
        Kind::Number => {
            if trim(v).iter().any(|c| matches!(c, b'.' | b'e' | b'E'))
                || std::str::from_utf8(trim(v)).ok()?.parse::<i64>().is_err()
            {
                "real"
            } else {
                "integer"
            }
        }
    })
}

/// A string value's text (`v` with its quotes).
pub fn string(v: &[u8]) -> Option<Cow<'_, str>> {
    let v = trim(v);
    if v.len() < 2 || v[0] != b'"' {
        return None;
    }
    unescape_raw(&v[1..v.len() - 1])
}

/// A number value: an integer when it is written as one and fits, else a real.
pub fn number(v: &[u8]) -> Option<SqlValue> {
    let t = std::str::from_utf8(trim(v)).ok()?;
    if !t.contains(['.', 'e', 'E'])
        && let Ok(i) = t.parse::<i64>()
    {
        return Some(SqlValue::Integer(i));
    }
    t.parse::<f64>().ok().map(SqlValue::Real)
}

/// An object or array as compact JSON text (whitespace outside strings dropped), as
/// SQLite's `json_extract` returns containers.
pub fn compact(v: &[u8]) -> String {
    let v = trim(v);
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b'"' => {
                let end = string_end(v, i).unwrap_or(v.len());
                out.extend_from_slice(&v[i..end]);
                i = end;
            }
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A value as the data table shows a data key: strings and numbers as SQL values,
/// booleans as the text `true` / `false`, objects and arrays as compact JSON text, null
/// as NULL.
pub fn sql_value(v: &[u8]) -> SqlValue {
    match kind(v) {
        Some(Kind::String) => string(v).map_or(SqlValue::Null, |s| SqlValue::Text(s.into_owned())),
        Some(Kind::Number) => number(v).unwrap_or(SqlValue::Null),
        Some(Kind::True) => SqlValue::Text("true".into()),
        Some(Kind::False) => SqlValue::Text("false".into()),
        Some(Kind::Object | Kind::Array) => SqlValue::Text(compact(v)),
        Some(Kind::Null) | None => SqlValue::Null,
    }
}

/// `f` of the value as [`sql_value`] reads it, borrowed from `v` where it can be (text
/// without escapes).
pub fn with_value<T>(v: &[u8], f: impl FnOnce(rusqlite::types::ValueRef<'_>) -> T) -> T {
    use rusqlite::types::ValueRef;
    match kind(v) {
        Some(Kind::String) => match string(v) {
            Some(s) => f(ValueRef::Text(s.as_bytes())),
            None => f(ValueRef::Null),
        },
        Some(Kind::True) => f(ValueRef::Text(b"true")),
        Some(Kind::False) => f(ValueRef::Text(b"false")),
        _ => {
            let owned = sql_value(v);
            f(ValueRef::from(&owned))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#" { "text" : "a \"quoted\" {[x]}" , "n": -1.5e2, "i": 42,
        "big": 99999999999999999999, "t": true, "f": false, "z": null,
        "meta": {"source": "web", "tags": ["a", "b"], "deep": {"k\"q": 1}},
        "list": [1, [2, 3], {"a": "}"}], "caf\u00e9": "accent", "e": "", "dup": 1, "dup": 2 } "#;

    #[test]
    fn members_are_found_past_strings_that_look_like_json() {
        let d = DOC.as_bytes();
        assert_eq!(
            string(path(d, &["text"]).unwrap()).unwrap(),
            "a \"quoted\" {[x]}"
        );
        assert_eq!(
            number(path(d, &["n"]).unwrap()),
            Some(SqlValue::Real(-150.0))
        );
        assert_eq!(
            number(path(d, &["i"]).unwrap()),
            Some(SqlValue::Integer(42))
        );
        assert_eq!(
            number(path(d, &["big"]).unwrap()),
            Some(SqlValue::Real(1e20))
        );
        assert_eq!(
            sql_value(path(d, &["t"]).unwrap()),
            SqlValue::Text("true".into())
        );
        assert_eq!(
            sql_value(path(d, &["f"]).unwrap()),
            SqlValue::Text("false".into())
        );
        assert_eq!(sql_value(path(d, &["z"]).unwrap()), SqlValue::Null);
        assert_eq!(
            sql_value(path(d, &["meta", "source"]).unwrap()),
            SqlValue::Text("web".into())
        );
        assert_eq!(
            sql_value(path(d, &["meta", "tags"]).unwrap()),
            SqlValue::Text(r#"["a","b"]"#.into())
        );
        assert_eq!(
            sql_value(path(d, &["meta", "deep", "k\"q"]).unwrap()),
            SqlValue::Integer(1)
        );
        assert_eq!(
            sql_value(path(d, &["list"]).unwrap()),
            SqlValue::Text(r#"[1,[2,3],{"a":"}"}]"#.into())
        );
        assert_eq!(
            sql_value(path(d, &["café"]).unwrap()),
            SqlValue::Text("accent".into())
        );
        assert_eq!(
            sql_value(path(d, &["e"]).unwrap()),
            SqlValue::Text("".into())
        );
        // The first of duplicate keys, as SQLite's json_extract.
        assert_eq!(sql_value(path(d, &["dup"]).unwrap()), SqlValue::Integer(1));
        assert_eq!(path(d, &["missing"]), None);
        assert_eq!(path(d, &["text", "inner"]), None);
        assert_eq!(path(d, &["meta", "tags", "0"]), None);
    }

    #[test]
    fn type_names_are_sqlites() {
        let d = DOC.as_bytes();
        let t = |k: &str| type_name(path(d, &[k]).unwrap()).unwrap();
        assert_eq!(
            ["text", "n", "i", "big", "t", "f", "z", "meta", "list"].map(t),
            [
                "text", "real", "integer", "real", "true", "false", "null", "object", "array"
            ]
        );
    }

    #[test]
    fn malformed_text_yields_nothing_and_never_panics() {
        for bad in [
            "",
            "{",
            "{\"a\"",
            "{\"a\":",
            "{\"a\":1",
            "{\"a\" 1}",
            "[1,",
            "\"abc",
            "{\"a\":\"x\\",
            "{\"a\":[1,{]}",
            "}",
            "{\"a\":1,}",
            "nul",
        ] {
            let _ = path(bad.as_bytes(), &["a"]);
            let _ = elements(bad.as_bytes(), |_| true);
            let _ = sql_value(bad.as_bytes());
            let _ = compact(bad.as_bytes());
        }
        assert_eq!(path(b"{\"a\":", &["a"]), None);
        assert_eq!(path(b"{\"a\" 1}", &["a"]), None);
        assert_eq!(path(b"[1,2]", &["a"]), None);
    }

    #[test]
    fn deep_nesting_is_skipped_without_recursion() {
        let deep = format!(
            "{{\"x\": {}{}, \"y\": 7}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(
            number(path(deep.as_bytes(), &["y"]).unwrap()),
            Some(SqlValue::Integer(7))
        );
    }

    #[test]
    fn elements_walk_an_array() {
        let mut seen = Vec::new();
        elements(br#" [ "a", 1 , {"b": [2]}, [] ] "#, |e| {
            seen.push(String::from_utf8(e.to_vec()).unwrap());
            true
        })
        .unwrap();
        assert_eq!(seen, ["\"a\"", "1", "{\"b\": [2]}", "[]"]);
    }
}
