//! Config validation in Label Studio's order and with its messages: schema check (the few
//! tags its JSON schema constrains), unique names, `toName` targets, tag attributes.
//! The first failure decides the message, as in Label Studio; we add the tag's position.

use super::xml::{Element, Pos};
use super::{ConfigError, ConfigWarning, LabelConfig, tags};
use std::collections::{BTreeSet, HashMap};

pub fn check(root: &Element) -> Result<(), ConfigError> {
    if root.tag == "View" {
        check_view(root, "View", true)?;
    }
    check_unique_names(root)?;
    check_to_names(root)?;
    check_attributes(root)?;
    Ok(())
}

fn fail(path: &str, el: &Element, msg: &str) -> ConfigError {
    ConfigError::new(format!("Validation failed on {path}: {msg}"), Some(el.pos))
}

fn required(el: &Element, path: &str, attrs: &[&str]) -> Result<(), ConfigError> {
    for a in attrs {
        if el.attr(a).is_none() {
            return Err(fail(path, el, &format!("'{a}' is a required property")));
        }
    }
    Ok(())
}

/// Children grouped by tag, each with the path segment the badgerfish JSON would give it
/// (`Tag` when alone, `Tag/i` when repeated, or always indexed when `force_list`).
fn grouped<'a>(
    el: &'a Element,
    tag: &str,
    base: &str,
    force_list: bool,
) -> Vec<(&'a Element, String)> {
    let items: Vec<&Element> = el.elements().filter(|c| c.tag == tag).collect();
    let many = items.len() > 1 || force_list;
    items
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let path = if many {
                format!("{base}/{tag}/{i}")
            } else {
                format!("{base}/{tag}")
            };
            (c, path)
        })
        .collect()
}

fn check_view(view: &Element, path: &str, top: bool) -> Result<(), ConfigError> {
    for tag in ["Choices", "Labels"] {
        let item = if tag == "Choices" { "Choice" } else { "Label" };
        for (el, p) in grouped(view, tag, path, false) {
            let has_items = el.elements().any(|c| c.tag == item);
            let has_view = el.elements().any(|c| c.tag == "View");
            required(el, &p, &["name", "toName"])?;
            if !has_items && el.attr("value").is_none() && !has_view {
                return Err(fail(&p, el, &format!("'{item}' is a required property")));
            }
            // A single <Choice> is forced into a list; a single <Label> is not.
            for (c, cp) in grouped(el, item, &p, tag == "Choices") {
                required(c, &cp, &["value"])?;
            }
            for (v, vp) in grouped(el, "View", &p, false) {
                check_view(v, &vp, false)?;
            }
        }
    }
    if !top {
        for tag in ["Label", "Choice"] {
            for (el, p) in grouped(view, tag, path, false) {
                required(el, &p, &["value"])?;
            }
        }
    }
    for tag in ["Image", "Text", "HyperText"] {
        for (el, p) in grouped(view, tag, path, false) {
            required(el, &p, &["name"])?;
            if el.attr("value").is_none() && el.attr("valueList").is_none() {
                return Err(fail(&p, el, "'value' is a required property"));
            }
        }
    }
    for tag in ["TextArea", "Number"] {
        for (el, p) in grouped(view, tag, path, false) {
            required(el, &p, &["name", "toName"])?;
        }
    }
    for (el, p) in grouped(view, "View", path, false) {
        check_view(el, &p, false)?;
    }
    Ok(())
}

fn all_elements(root: &Element) -> Vec<&Element> {
    root.subtree()
}

fn check_unique_names(root: &Element) -> Result<(), ConfigError> {
    let mut seen: HashMap<&str, Pos> = HashMap::new();
    for el in all_elements(root) {
        if let Some(name) = el.attr("name") {
            if let Some(first) = seen.get(name) {
                return Err(ConfigError::new(
                    format!(
                        "Label config contains non-unique names: {name:?} is used at {first} and again here"
                    ),
                    Some(el.pos),
                ));
            }
            seen.insert(name, el.pos);
        }
    }
    Ok(())
}

/// Python's repr of a list of strings: `['a', 'b']`.
pub fn py_str_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let parts: Vec<String> = items.into_iter().map(py_str).collect();
    format!("[{}]", parts.join(", "))
}

/// Python's repr of a string.
pub fn py_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
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
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

fn check_to_names(root: &Element) -> Result<(), ConfigError> {
    let elements = all_elements(root);
    let names: BTreeSet<&str> = elements.iter().filter_map(|e| e.attr("name")).collect();
    for el in &elements {
        if let Some(to) = el.attr("toName") {
            for part in to.split(',') {
                if !names.contains(part) {
                    return Err(ConfigError::new(
                        format!(
                            "toName=\"{part}\" not found in names: {}",
                            py_str_list(names.iter().copied())
                        ),
                        Some(el.pos),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn check_attributes(root: &Element) -> Result<(), ConfigError> {
    for el in all_elements(root) {
        if el.tag != "Video" {
            continue;
        }
        let speed = |name: &str| el.attr(name).and_then(|v| v.trim().parse::<f64>().ok());
        for attr in ["defaultPlaybackSpeed", "minPlaybackSpeed"] {
            if let Some(v) = speed(attr)
                && !(0.05..=10.0).contains(&v)
            {
                return Err(ConfigError::new(
                    format!("{attr} must be between 0.05 and 10, got {v}"),
                    Some(el.pos),
                ));
            }
        }
        if let (Some(min), Some(def)) = (speed("minPlaybackSpeed"), speed("defaultPlaybackSpeed"))
            && min > def
        {
            return Err(ConfigError::new(
                format!("minPlaybackSpeed ({min}) must not exceed defaultPlaybackSpeed ({def})"),
                Some(el.pos),
            ));
        }
    }
    Ok(())
}

/// What Label Studio accepts but a user should hear about.
pub fn warnings(config: &LabelConfig) -> Vec<ConfigWarning> {
    let mut out = Vec::new();
    for el in all_elements(&config.root) {
        if !tags::is_known_tag(&el.tag) {
            out.push(ConfigError::new(
                format!("unknown tag <{}> is kept but ignored", el.tag),
                Some(el.pos),
            ));
        }
        if matches!(el.tag.as_str(), "Label" | "Choice")
            && el.attr("value").is_none()
            && el.attr("alias").is_none()
        {
            out.push(ConfigError::new(
                format!("<{}> without value or alias is skipped", el.tag),
                Some(el.pos),
            ));
        }
        if el.attr("toname").is_some() && el.attr("toName").is_none() {
            out.push(ConfigError::new(
                format!(
                    "<{}> has \"toname\"; Label Studio's backend only reads \"toName\" (case matters)",
                    el.tag
                ),
                Some(el.pos),
            ));
        }
    }
    let shows_data: std::collections::HashSet<&str> = config
        .objects
        .iter()
        .map(|o| o.name.as_str())
        .chain(
            config
                .controls
                .iter()
                .filter(|c| c.kind == tags::ControlKind::Pairwise)
                .map(|c| c.name.as_str()),
        )
        .collect();
    for ctrl in &config.controls {
        for target in &ctrl.to_name {
            let is_object = shows_data.contains(target.as_str());
            if !is_object && !target.contains("{{") {
                out.push(ConfigError::new(
                    format!(
                        "<{} name=\"{}\"> points toName=\"{target}\" at a tag that shows no data",
                        ctrl.tag, ctrl.name
                    ),
                    Some(ctrl.pos),
                ));
            }
        }
        if ctrl.labels.is_empty()
            && ctrl.dynamic_labels.is_none()
            && matches!(
                ctrl.kind,
                tags::ControlKind::Choices
                    | tags::ControlKind::Labels
                    | tags::ControlKind::RectangleLabels
                    | tags::ControlKind::PolygonLabels
                    | tags::ControlKind::KeyPointLabels
                    | tags::ControlKind::EllipseLabels
                    | tags::ControlKind::BrushLabels
                    | tags::ControlKind::Taxonomy
            )
        {
            out.push(ConfigError::new(
                format!("<{} name=\"{}\"> has no options", ctrl.tag, ctrl.name),
                Some(ctrl.pos),
            ));
        }
    }
    for key in &config.data_keys {
        if key.frontend_unsafe() && !key.key.contains("{{") {
            out.push(ConfigError::new(
                format!(
                    "data key {:?} holds characters Label Studio's web UI cannot resolve (only letters, digits, _ . [ ] {{ }} work there)",
                    key.key
                ),
                Some(key.pos),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::LabelConfig;

    fn err(xml: &str) -> String {
        LabelConfig::parse(xml).unwrap_err().message
    }

    /// Cases from Label Studio's config matrix (data_for_test_label_config_matrix.yml)
    /// and test_project_validation.py, with the messages Label Studio gives.
    #[test]
    fn label_studio_config_matrix() {
        assert_eq!(
            err(r#"<View><Text name="t" value="$t"/><TextArea name="ta"/></View>"#),
            "Validation failed on View/TextArea: 'toName' is a required property"
        );
        assert_eq!(
            err(r#"<View><Text name="t" value="$t"/><Choices name="c" toName="t"/></View>"#),
            "Validation failed on View/Choices: 'Choice' is a required property"
        );
        assert_eq!(
            err(
                r#"<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice/></Choices></View>"#
            ),
            "Validation failed on View/Choices/Choice/0: 'value' is a required property"
        );
        assert_eq!(
            err(
                r#"<View><Text name="t" value="$t"/><Labels name="c" toName="t"><Label value="a"/><Label>cat</Label></Labels></View>"#
            ),
            "Validation failed on View/Labels/Label/1: 'value' is a required property"
        );
        assert_eq!(
            err(r#"<View><Text value="$t"/></View>"#),
            "Validation failed on View/Text: 'name' is a required property"
        );
        assert_eq!(
            err(r#"<View><Image name="i"/></View>"#),
            "Validation failed on View/Image: 'value' is a required property"
        );
        assert_eq!(
            err(
                r#"<View><Text name="t" value="$t"/><Labels toName="t"><Label value="a"/></Labels></View>"#
            ),
            "Validation failed on View/Labels: 'name' is a required property"
        );
        assert!(err("<View></View><View></View>").contains("junk after document element"));
        assert_eq!(
            err(
                r#"<View><Text name="t" value="$t"/><Choices name="c" toName="x"><Choice value="a"/></Choices></View>"#
            ),
            "toName=\"x\" not found in names: ['c', 't']"
        );
        assert_eq!(
            err(
                r#"<View><Text name="t" value="$t"/><Choices name="c" toName="t, t"><Choice value="a"/></Choices></View>"#
            ),
            "toName=\" t\" not found in names: ['c', 't']"
        );
        assert!(
            err(r#"<View><Text name="t" value="$t"/><Text name="t" value="$u"/></View>"#)
                .starts_with("Label config contains non-unique names")
        );
        // Nested views and unknown wrappers are accepted.
        LabelConfig::parse(r#"<View><View><Text name="t" value="$t"/></View><Foo><Choices name="c" toName="t"><Choice value="a"/></Choices></Foo></View>"#).unwrap();
        // View nested inside Choices is accepted.
        LabelConfig::parse(r#"<View><Text name="t" value="$t"/><Choices name="c" toName="t"><View><Choice value="a"/></View></Choices></View>"#).unwrap();
    }

    #[test]
    fn errors_carry_the_tag_position() {
        let e = LabelConfig::parse(
            "<View>\n  <Text name=\"t\" value=\"$t\"/>\n  <TextArea name=\"x\"/>\n</View>",
        )
        .unwrap_err();
        assert_eq!(e.pos.unwrap().line, 3);
        assert_eq!(e.pos.unwrap().column, 3);
    }

    #[test]
    fn unknown_tags_are_warnings() {
        let c =
            LabelConfig::parse(r#"<View><Sparkle/><Text name="t" value="$t"/></View>"#).unwrap();
        assert!(
            c.warnings
                .iter()
                .any(|w| w.message.contains("unknown tag <Sparkle>"))
        );
    }

    #[test]
    fn video_speed_bounds() {
        assert!(
            err(r#"<View><Video name="v" value="$v" defaultPlaybackSpeed="20"/></View>"#)
                .contains("defaultPlaybackSpeed")
        );
    }
}
