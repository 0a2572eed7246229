//! Options from the task. A Choices, Taxonomy or labels control with `value="$key"` takes
//! its options from `data[key]`, a list of objects, built the way Label Studio's frontend
//! builds them: each item becomes one `<Choice>` or `<Label>` after the control's own, with
//! the item's `value`, `alias`, `hotkey`, `background`, `html`, `hint` and `selected`.
//! `children` nest under Choices with `allowNested="true"` and under Taxonomy, and results
//! then hold paths from the top option down; elsewhere Label Studio builds them but shows
//! none of them, though each still takes a generated hotkey. Options without a hotkey take
//! the next free keys of the generated sequence, after every key the config itself uses.
//! Whatever is wrong with the data becomes a message on the control, never a panic.

use super::hotkeys::SEQUENCE;
use super::{ControlKind, ControlTag, LabelDef};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// How many options one task may bring in over all its controls: far beyond any list an
/// annotator can read, and small enough that a hostile task cannot exhaust memory.
pub const MAX_DYNAMIC_OPTIONS: usize = 100_000;

/// How many problems a control lists before it only counts the rest.
const MAX_PROBLEMS: usize = 4;

/// Controls whose options Label Studio can load from the task.
pub fn takes_options(kind: ControlKind) -> bool {
    use ControlKind::*;
    matches!(
        kind,
        Choices
            | Taxonomy
            | Labels
            | RectangleLabels
            | PolygonLabels
            | KeyPointLabels
            | EllipseLabels
            | BrushLabels
            | BitmaskLabels
            | ParagraphLabels
            | HyperTextLabels
            | TimeSeriesLabels
            | TimelineLabels
            | VectorLabels
    )
}

/// Whether a control shows nested options, whose results are paths: Taxonomy always,
/// Choices with `allowNested="true"`.
pub fn allows_nested(c: &ControlTag) -> bool {
    match c.kind {
        ControlKind::Taxonomy => true,
        ControlKind::Choices => c
            .attr("allowNested")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
        _ => false,
    }
}

/// Where an option asks for a generated hotkey, in document order.
enum KeySlot {
    Option(usize),
    /// A child Label Studio builds but does not show: it takes a key all the same.
    Hidden,
}

/// Fills the options of every dynamic control from `data`, then gives the new options
/// without a hotkey their generated keys.
pub fn fill(controls: &mut [ControlTag], data: &Value) {
    if !controls.iter().any(|c| c.dynamic_labels.is_some()) {
        return;
    }
    let mut budget = MAX_DYNAMIC_OPTIONS;
    let mut reserved: HashSet<String> = HashSet::new();
    let mut slots: Vec<(usize, Vec<KeySlot>)> = Vec::new();
    for (ci, c) in controls.iter_mut().enumerate() {
        let Some(key) = c.dynamic_labels.clone() else {
            continue;
        };
        if !takes_options(c.kind) {
            continue;
        }
        let s = fill_control(c, &key, data, &mut budget, &mut reserved);
        slots.push((ci, s));
    }
    assign_keys(controls, &slots, reserved);
}

/// Problems with one control's options: the first few in full, the rest counted.
#[derive(Default)]
struct Problems {
    listed: Vec<String>,
    more: usize,
}

impl Problems {
    fn push(&mut self, p: String) {
        if self.listed.len() < MAX_PROBLEMS {
            self.listed.push(p);
        } else {
            self.more += 1;
        }
    }

    fn into_vec(mut self) -> Vec<String> {
        if self.more > 0 {
            self.listed
                .push(format!("… and {} more problem(s) like these", self.more));
        }
        self.listed
    }
}

/// What a JSON value is, in words.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// An optional string field; any other type is a problem and counts as absent.
fn text_field(m: &Map<String, Value>, name: &str, at: &str, p: &mut Problems) -> Option<String> {
    match m.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            p.push(format!(
                "{at}: \"{name}\" is {}, not a string; ignored",
                kind_of(other)
            ));
            None
        }
    }
}

fn fill_control(
    c: &mut ControlTag,
    key: &str,
    data: &Value,
    budget: &mut usize,
    reserved: &mut HashSet<String>,
) -> Vec<KeySlot> {
    let mut problems = Problems::default();
    let mut slots = Vec::new();
    let list = match crate::util::deep_get(data, key) {
        Some(Value::Array(list)) => list,
        None | Some(Value::Null) => {
            problems.push(format!("the task has no \"{key}\" to take options from"));
            c.option_problems = problems.into_vec();
            return slots;
        }
        Some(other) => {
            problems.push(format!(
                "\"{key}\" is {}, not a list of options like [{{\"value\": \"…\"}}]",
                kind_of(other)
            ));
            c.option_problems = problems.into_vec();
            return slots;
        }
    };
    if list.is_empty() {
        problems.push(format!("\"{key}\" is an empty list: no options"));
    }
    let nested = allows_nested(c);
    let choice_like = matches!(c.kind, ControlKind::Choices | ControlKind::Taxonomy);
    let tag = if choice_like { "Choice" } else { "Label" };
    let mut seen: HashSet<Vec<String>> = c.labels.iter().map(|l| l.path.clone()).collect();
    let mut told_hidden = false;
    // Depth first in document order, without recursion: (item, parent path, where, hidden).
    let mut stack: Vec<(&Value, Vec<String>, String, bool)> = list
        .iter()
        .enumerate()
        .rev()
        .map(|(i, v)| (v, Vec::new(), format!("{key}[{i}]"), false))
        .collect();
    while let Some((item, parent, at, hidden)) = stack.pop() {
        if *budget == 0 {
            problems.push(format!(
                "more than {MAX_DYNAMIC_OPTIONS} options: the rest are left out"
            ));
            break;
        }
        *budget -= 1;
        let Value::Object(m) = item else {
            if !hidden {
                problems.push(format!(
                    "{at} is {}, not an option like {{\"value\": \"…\"}}; left out",
                    kind_of(item)
                ));
            }
            continue;
        };
        if hidden {
            match m
                .get("hotkey")
                .and_then(Value::as_str)
                .filter(|h| !h.is_empty())
            {
                Some(h) => {
                    reserved.insert(h.to_string());
                }
                None => slots.push(KeySlot::Hidden),
            }
            push_children(&mut stack, m, &parent, &at, true);
            continue;
        }
        let value = match m.get("value") {
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => {
                problems.push(format!("{at} has no \"value\"; left out"));
                continue;
            }
            Some(other) => {
                problems.push(format!(
                    "{at}: \"value\" is {}, not a string; left out",
                    kind_of(other)
                ));
                continue;
            }
        };
        let alias = text_field(m, "alias", &at, &mut problems);
        let label_key = alias.clone().unwrap_or_else(|| value.clone());
        let mut path = parent.clone();
        path.push(label_key.clone());
        if !seen.insert(path.clone()) {
            problems.push(format!(
                "{at}: {:?} is already an option; left out",
                path.join(" / ")
            ));
            continue;
        }
        let hotkey = text_field(m, "hotkey", &at, &mut problems).filter(|h| !h.is_empty());
        let background = text_field(m, "background", &at, &mut problems)
            .or_else(|| text_field(m, "color", &at, &mut problems));
        let label = LabelDef {
            tag: tag.to_string(),
            value,
            alias,
            key: label_key,
            hotkey_from_config: hotkey.is_some(),
            hotkey,
            background,
            category: m.get("category").and_then(|v| match v {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }),
            model_index: None,
            selected: m.get("selected") == Some(&Value::Bool(true)),
            hint: text_field(m, "hint", &at, &mut problems),
            html: text_field(m, "html", &at, &mut problems),
            path: path.clone(),
            pos: c.pos,
        };
        c.labels.push(label);
        slots.push(KeySlot::Option(c.labels.len() - 1));
        let has_children = m
            .get("children")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        match m.get("children") {
            None | Some(Value::Null) => {}
            Some(Value::Array(_)) if nested => push_children(&mut stack, m, &path, &at, false),
            Some(Value::Array(_)) if choice_like => {
                if has_children && !told_hidden {
                    told_hidden = true;
                    problems.push(format!(
                        "{at} has children: they are shown only with allowNested=\"true\""
                    ));
                }
                push_children(&mut stack, m, &path, &at, true);
            }
            // Labels have no nesting in Label Studio.
            Some(Value::Array(_)) => {
                if has_children && !told_hidden {
                    told_hidden = true;
                    problems.push(format!("{at} has children: {} cannot nest them", c.tag));
                }
            }
            Some(other) => problems.push(format!(
                "{at}: \"children\" is {}, not a list; ignored",
                kind_of(other)
            )),
        }
    }
    c.option_problems = problems.into_vec();
    slots
}

fn push_children<'a>(
    stack: &mut Vec<(&'a Value, Vec<String>, String, bool)>,
    m: &'a Map<String, Value>,
    path: &[String],
    at: &str,
    hidden: bool,
) {
    if let Some(Value::Array(children)) = m.get("children") {
        for (j, child) in children.iter().enumerate().rev() {
            stack.push((child, path.to_vec(), format!("{at}.children[{j}]"), hidden));
        }
    }
}

/// Label Studio sets up hotkeys again once the options are in: the keys already bound
/// (the config's, generated or written, and the options' own) stay, and each new option
/// without one takes the next free key of the sequence, in document order. Taxonomy
/// options are picked from a tree and get none.
fn assign_keys(
    controls: &mut [ControlTag],
    slots: &[(usize, Vec<KeySlot>)],
    reserved: HashSet<String>,
) {
    let mut taken: HashSet<String> = controls
        .iter()
        .flat_map(|c| c.labels.iter())
        .filter_map(|l| l.hotkey.clone())
        .collect();
    taken.extend(reserved);
    let mut seq = SEQUENCE.chars();
    for (ci, order) in slots {
        let c = &mut controls[*ci];
        if matches!(c.kind, ControlKind::Taxonomy) {
            continue;
        }
        for slot in order {
            if let KeySlot::Option(li) = slot
                && c.labels[*li].hotkey.is_some()
            {
                continue;
            }
            let Some(key) = seq
                .by_ref()
                .map(String::from)
                .find(|k| taken.insert(k.clone()))
            else {
                return;
            };
            if let KeySlot::Option(li) = slot {
                c.labels[*li].hotkey = Some(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::LabelConfig;
    use serde_json::json;

    fn keys(c: &LabelConfig, name: &str) -> Vec<String> {
        c.control(name)
            .unwrap()
            .labels
            .iter()
            .map(|l| l.key.clone())
            .collect()
    }

    fn hotkeys(c: &LabelConfig, name: &str) -> Vec<Option<String>> {
        c.control(name)
            .unwrap()
            .labels
            .iter()
            .map(|l| l.hotkey.clone())
            .collect()
    }

    #[test]
    fn options_follow_the_controls_own_with_every_field() {
        let c = LabelConfig::parse(
            r#"<View><Text name="t" value="$text"/>
            <Choices name="c" toName="t" value="$opts"><Choice value="fixed"/></Choices></View>"#,
        )
        .unwrap();
        let data = json!({"text": "x", "opts": [
            {"value": "a"},
            {"value": "b", "alias": "B", "hotkey": "z", "html": "<b>bee</b>", "hint": "h",
             "selected": true, "background": "red"}
        ]});
        let e = c.expand_for_task(&data);
        assert_eq!(keys(&e, "c"), vec!["fixed", "a", "B"]);
        let b = &e.control("c").unwrap().labels[2];
        assert_eq!(b.value, "b");
        assert_eq!(b.alias.as_deref(), Some("B"));
        assert_eq!(b.html.as_deref(), Some("<b>bee</b>"));
        assert_eq!(b.hint.as_deref(), Some("h"));
        assert_eq!(b.background.as_deref(), Some("red"));
        assert!(b.selected && b.hotkey_from_config);
        assert_eq!(b.tag, "Choice");
        assert_eq!(
            hotkeys(&e, "c"),
            vec![Some("1".into()), Some("2".into()), Some("z".into())]
        );
        assert!(e.control("c").unwrap().option_problems.is_empty());
        // The parsed config itself is untouched: options are per task.
        assert_eq!(keys(&c, "c"), vec!["fixed"]);
    }

    #[test]
    fn options_take_keys_after_every_key_of_the_config() {
        // The dynamic control comes first in the document, but the fixed choices after
        // it were given their keys when the config loaded.
        let c = LabelConfig::parse(
            r#"<View><Text name="t" value="$text"/>
            <Choices name="dyn" toName="t" value="$opts"/>
            <Choices name="fixed" toName="t"><Choice value="x"/><Choice value="y" hotkey="3"/></Choices>
            <RectangleLabels name="r" toName="t" value="$boxes"/></View>"#,
        )
        .unwrap();
        let data = json!({"opts": [{"value": "a"}, {"value": "b"}],
                          "boxes": [{"value": "car", "background": "blue"}]});
        let e = c.expand_for_task(&data);
        assert_eq!(
            hotkeys(&e, "fixed"),
            vec![Some("1".into()), Some("3".into())]
        );
        assert_eq!(hotkeys(&e, "dyn"), vec![Some("2".into()), Some("4".into())]);
        assert_eq!(hotkeys(&e, "r"), vec![Some("5".into())]);
        let car = &e.control("r").unwrap().labels[0];
        assert_eq!(
            (car.tag.as_str(), car.background.as_deref()),
            ("Label", Some("blue"))
        );
    }

    #[test]
    fn nested_options_are_paths_with_allow_nested() {
        let cfg = |nested: &str| {
            LabelConfig::parse(&format!(
                r#"<View><Text name="t" value="$text"/>
                <Choices name="c" toName="t" value="$opts" {nested}/></View>"#
            ))
            .unwrap()
        };
        let data = json!({"opts": [
            {"value": "p", "children": [{"value": "p1"}, {"value": "p2", "alias": "P2"}]},
            {"value": "q"}
        ]});
        let e = cfg(r#"allownested="true""#).expand_for_task(&data);
        let paths: Vec<String> = e.controls[0]
            .labels
            .iter()
            .map(|l| l.path.join("/"))
            .collect();
        assert_eq!(paths, vec!["p", "p/p1", "p/P2", "q"]);
        assert_eq!(
            hotkeys(&e, "c"),
            ["1", "2", "3", "4"].map(|k| Some(k.to_string())).to_vec()
        );
        // Without allowNested the children are not options, yet each takes its key.
        let e = cfg("").expand_for_task(&data);
        assert_eq!(keys(&e, "c"), vec!["p", "q"]);
        assert_eq!(hotkeys(&e, "c"), vec![Some("1".into()), Some("4".into())]);
        assert!(
            e.controls[0].option_problems[0].contains("allowNested"),
            "{:?}",
            e.controls[0].option_problems
        );
    }

    #[test]
    fn taxonomy_options_nest_and_take_no_keys() {
        let c = LabelConfig::parse(
            r#"<View><Text name="t" value="$text"/><Taxonomy name="tx" toName="t" value="$tree"/></View>"#,
        )
        .unwrap();
        let data = json!({"tree": [{"value": "A", "children": [{"value": "A1"}]}]});
        let e = c.expand_for_task(&data);
        let paths: Vec<_> = e.controls[0]
            .labels
            .iter()
            .map(|l| l.path.clone())
            .collect();
        assert_eq!(paths, vec![vec!["A"], vec!["A", "A1"]]);
        assert_eq!(hotkeys(&e, "tx"), vec![None, None]);
    }

    #[test]
    fn bad_data_becomes_messages_on_the_control() {
        let c = LabelConfig::parse(
            r#"<View><Text name="t" value="$text"/><Choices name="c" toName="t" value="$opts"/></View>"#,
        )
        .unwrap();
        let problems = |data: serde_json::Value| {
            let e = c.expand_for_task(&data);
            (keys(&e, "c"), e.controls[0].option_problems.join(" | "))
        };
        let (k, p) = problems(json!({"text": "x"}));
        assert!(k.is_empty() && p.contains("no \"opts\""), "{p}");
        let (k, p) = problems(json!({"opts": "a,b"}));
        assert!(k.is_empty() && p.contains("is a string, not a list"), "{p}");
        let (k, p) = problems(json!({"opts": []}));
        assert!(k.is_empty() && p.contains("empty list"), "{p}");
        let (k, p) = problems(json!({"opts": [
            "plain", {"alias": "x"}, {"value": 5}, {"value": "ok"}, {"value": "ok"},
            {"value": "h", "hint": 3}
        ]}));
        assert_eq!(k, vec!["ok", "h"]);
        assert!(p.contains("opts[0] is a string, not an option"), "{p}");
        assert!(p.contains("opts[1] has no \"value\""), "{p}");
        assert!(p.contains("opts[2]: \"value\" is a number"), "{p}");
        assert!(p.contains("opts[4]: \"ok\" is already an option"), "{p}");
        assert!(p.contains("1 more problem"), "{p}");
    }

    #[test]
    fn options_are_capped_per_task() {
        let c = LabelConfig::parse(
            r#"<View><Text name="t" value="$text"/><Choices name="c" toName="t" value="$opts"/>
            <Labels name="l" toName="t" value="$opts"/></View>"#,
        )
        .unwrap();
        let opts: Vec<_> = (0..super::MAX_DYNAMIC_OPTIONS - 10)
            .map(|i| json!({"value": format!("o{i}")}))
            .collect();
        let e = c.expand_for_task(&json!({"opts": opts}));
        assert_eq!(e.controls[0].labels.len(), super::MAX_DYNAMIC_OPTIONS - 10);
        assert_eq!(e.controls[1].labels.len(), 10, "one budget for the task");
        assert!(e.controls[1].option_problems[0].contains("the rest are left out"));
        // Only the first options of the sequence got keys; none panicked on running out.
        assert_eq!(
            e.controls[0]
                .labels
                .iter()
                .filter(|l| l.hotkey.is_some())
                .count(),
            super::SEQUENCE.len()
        );
    }

    #[test]
    fn repeaters_and_options_expand_together() {
        let c = LabelConfig::parse(
            r#"<View><Repeater on="$items"><Text name="t_{{idx}}" value="$items[{{idx}}].text"/>
            <Choices name="c_{{idx}}" toName="t_{{idx}}" value="$items[{{idx}}].opts"/></Repeater></View>"#,
        )
        .unwrap();
        let data = json!({"items": [
            {"text": "a", "opts": [{"value": "x"}]},
            {"text": "b", "opts": [{"value": "y"}, {"value": "z"}]}
        ]});
        let e = c.expand_for_task(&data);
        assert_eq!(keys(&e, "c_0"), vec!["x"]);
        assert_eq!(keys(&e, "c_1"), vec!["y", "z"]);
        assert_eq!(hotkeys(&e, "c_1"), vec![Some("2".into()), Some("3".into())]);
    }
}
