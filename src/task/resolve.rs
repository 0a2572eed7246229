//! `$var` resolution the way Label Studio's frontend does it (`utils/data.js`):
//! a variable is `$` followed by ASCII word characters, `[`, `]`, `.`, `{`, `}`; an attribute
//! that is exactly one variable resolves to the (possibly structured) value at that path,
//! anything else has each variable replaced by its value as text.

use serde_json::Value;
use std::sync::LazyLock;

static VAR: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\$[A-Za-z0-9_\[\].{}]+").expect("static regex"));

pub use crate::util::deep_get;

/// A value as text: strings as they are, null as "", everything else as compact JSON.
pub fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Resolves a tag attribute such as `value="$text"` or `value="Title: $title"` against
/// task data. A lone variable gives the value itself (missing or null → `""`).
pub fn resolve_attr(attr: &str, data: &Value) -> Value {
    if let Some(m) = VAR.find(attr)
        && m.start() == 0
        && m.end() == attr.len()
    {
        return match deep_get(data, &attr[1..]) {
            None | Some(Value::Null) => Value::String(String::new()),
            Some(v) => v.clone(),
        };
    }
    Value::String(interpolate(attr, data))
}

/// Replaces every `$var` in a string by its value as text.
pub fn interpolate(text: &str, data: &Value) -> String {
    VAR.replace_all(text, |caps: &regex::Captures| {
        let var = &caps[0][1..];
        deep_get(data, var).map(as_text).unwrap_or_default()
    })
    .into_owned()
}

/// The variables an attribute mentions (frontend rule), without the `$`.
pub fn variables(attr: &str) -> Vec<String> {
    VAR.find_iter(attr)
        .map(|m| m.as_str()[1..].to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deep_get_paths() {
        let d = json!({"a": {"b": [{"c": 1}, {"c": 2}]}, "x.y": "flat", "x": {"y": "nested"}});
        assert_eq!(deep_get(&d, "a.b[1].c"), Some(&json!(2)));
        assert_eq!(deep_get(&d, "x.y"), Some(&json!("flat")));
        assert_eq!(deep_get(&d, "a.z"), None);
    }

    #[test]
    fn lone_variable_and_interpolation() {
        let d = json!({"text": "hello", "n": 3, "obj": {"k": [1]}, "none": null});
        assert_eq!(resolve_attr("$text", &d), json!("hello"));
        assert_eq!(resolve_attr("$obj", &d), json!({"k": [1]}));
        assert_eq!(resolve_attr("$missing", &d), json!(""));
        assert_eq!(resolve_attr("$none", &d), json!(""));
        assert_eq!(
            resolve_attr("Title: $text ($n)", &d),
            json!("Title: hello (3)")
        );
        assert_eq!(variables("$a and $b.c[0]"), vec!["a", "b.c[0]"]);
    }
}
