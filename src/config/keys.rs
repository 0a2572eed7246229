//! Data keys (`$var`) of a config, extracted exactly as Label Studio's backend does for
//! import validation (`extract_data_types`).

use super::xml::{Element, Pos};
use std::sync::LazyLock;

/// One data key the config reads from every task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataKey {
    /// The key as the backend sees it (everything after the first `$`, verbatim).
    pub key: String,
    /// The tag that reads it (`Text`, `Image`, or a dynamic-label control).
    pub tag: String,
    /// True for a control with `value="$options"` (dynamic labels).
    pub dynamic_control: bool,
    pub pos: Pos,
}

impl DataKey {
    /// The top-level key the task data must hold: the part before the first `[`
    /// (`images[{{idx}}].url` → `images`), which must then be a list.
    pub fn is_array(&self) -> bool {
        self.key.contains('[')
    }

    pub fn base(&self) -> &str {
        self.key.split('[').next().unwrap_or(&self.key)
    }

    /// Whether the key holds characters Label Studio's frontend cannot resolve
    /// (anything outside `[A-Za-z0-9_.[]{}]`).
    pub fn frontend_unsafe(&self) -> bool {
        !self
            .key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.[]{}".contains(c))
    }
}

static WORD_VAR: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\$(\w+)").expect("static regex"));

/// The key a `value` attribute names under the backend rule, if any.
pub fn key_of_value(value: &str) -> Option<String> {
    if value.starts_with('$') && value.chars().count() > 1 {
        return Some(value[1..].to_string());
    }
    WORD_VAR
        .captures(value)
        .map(|c| c.get(1).map_or("", |m| m.as_str()).to_string())
}

/// Every element with a `value` attribute and a non-empty `name` gives a key; `valueList`
/// alone gives none. When two tags give the same key the last wins, except that a key
/// already read by `Video` stays with `Video`. Document order is kept.
pub fn extract(root: &Element) -> Vec<DataKey> {
    let mut keys: Vec<DataKey> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for el in root.subtree() {
        let Some(name) = el.attr("name").filter(|n| !n.is_empty()) else {
            continue;
        };
        let _ = name;
        let Some(value) = el.attr("value") else {
            continue;
        };
        let Some(key) = key_of_value(value) else {
            continue;
        };
        let dynamic_control = el.attr("toName").is_some();
        if let Some(&i) = index.get(&key) {
            let existing = &mut keys[i];
            if existing.tag != "Video" {
                existing.tag = el.tag.clone();
                existing.dynamic_control = dynamic_control;
                existing.pos = el.pos;
            }
            continue;
        }
        index.insert(key.clone(), keys.len());
        keys.push(DataKey {
            key,
            tag: el.tag.clone(),
            dynamic_control,
            pos: el.pos,
        });
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_rule_keeps_everything_after_the_dollar() {
        assert_eq!(key_of_value("$text").as_deref(), Some("text"));
        assert_eq!(key_of_value("$meta_info ").as_deref(), Some("meta_info "));
        assert_eq!(key_of_value("$a - $b").as_deref(), Some("a - $b"));
        assert_eq!(key_of_value("url: $image").as_deref(), Some("image"));
        assert_eq!(
            key_of_value("<embed src='$image'/>").as_deref(),
            Some("image")
        );
        assert_eq!(key_of_value(" $text ").as_deref(), Some("text"));
        assert_eq!(key_of_value("plain"), None);
        assert_eq!(key_of_value("$"), None);
    }

    #[test]
    fn extraction_order_and_video_rule() {
        let doc = super::super::xml::parse(
            r#"<View><Header value="$title"/><Video name="v" value="$media"/>
               <Audio name="a" value="$media"/><Image valueList="$imgs" name="i"/>
               <Text name="t" value="$text"/><Header name="h" value="Title: $title"/></View>"#,
        )
        .unwrap();
        let keys = extract(&doc.root);
        let got: Vec<_> = keys
            .iter()
            .map(|k| (k.key.as_str(), k.tag.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![("media", "Video"), ("text", "Text"), ("title", "Header")]
        );
    }

    #[test]
    fn array_keys_are_cut_at_the_bracket() {
        let k = DataKey {
            key: "images[{{idx}}].url".into(),
            tag: "Image".into(),
            dynamic_control: false,
            pos: Pos::default(),
        };
        assert!(k.is_array());
        assert_eq!(k.base(), "images");
    }
}
