//! Building and editing result regions in Label Studio's exact JSON shapes (spec §3).

use crate::config::{ChoiceMode, ControlKind, ControlTag, LabelConfig};
use serde_json::{Map, Value, json};

// The read accessors and the id generator are the UI-free ones of the annotate layer.
pub use crate::annotate::region::{
    from_name, id_of, is_region, is_relation, labels_of, new_id, region, to_name,
};

/// The region fields a perRegion result copies: everything in the region's value except
/// its own label list.
pub fn geometry_of(region: &Value) -> Map<String, Value> {
    let ty = region.get("type").and_then(Value::as_str).unwrap_or("");
    let mut m = region
        .get("value")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    m.remove(ty);
    m.remove("labels");
    m
}

/// The index of the classification result of `ctrl` (or its perRegion result for `region_id`).
pub fn find_classification(
    result: &[Value],
    ctrl: &ControlTag,
    region_id: Option<&str>,
) -> Option<usize> {
    result.iter().position(|r| {
        from_name(r) == ctrl.name
            && match region_id {
                Some(id) => id_of(r) == Some(id),
                None => true,
            }
    })
}

/// Sets (or with `None` removes) the value of a classification control, for the whole
/// task or for one region (perRegion: same id, region geometry copied).
pub fn set_classification(
    result: &mut Vec<Value>,
    ctrl: &ControlTag,
    region: Option<&Value>,
    key_value: Option<Value>,
) {
    let region_id = region.and_then(id_of).map(str::to_string);
    let idx = find_classification(result, ctrl, region_id.as_deref());
    let Some(kv) = key_value else {
        if let Some(i) = idx {
            result.remove(i);
        }
        return;
    };
    let key = ctrl.value_key().unwrap_or("value").to_string();
    match idx {
        Some(i) => {
            result[i]["value"][key.as_str()] = kv;
        }
        None => {
            let mut value = region.map(geometry_of).unwrap_or_default();
            value.insert(key, kv);
            let to = region
                .map(|r| to_name(r).to_string())
                .unwrap_or_else(|| ctrl.to_name.join(","));
            let mut r = region_of(ctrl, &to, region_id, value);
            if let Some(reg) = region {
                for k in ["original_width", "original_height", "image_rotation"] {
                    if let Some(v) = reg.get(k) {
                        r[k] = v.clone();
                    }
                }
            }
            result.push(r);
        }
    }
}

fn region_of(ctrl: &ControlTag, to: &str, id: Option<String>, value: Map<String, Value>) -> Value {
    region(ctrl, to, id, value)
}

/// The current list value of a control's result (`choices`, `taxonomy`, `text`...).
pub fn current_list(result: &[Value], ctrl: &ControlTag, region_id: Option<&str>) -> Vec<Value> {
    find_classification(result, ctrl, region_id)
        .and_then(|i| result[i]["value"].get(ctrl.value_key()?).cloned())
        .and_then(|v| match v {
            Value::Array(a) => Some(a),
            Value::Null => None,
            other => Some(vec![other]),
        })
        .unwrap_or_default()
}

/// Toggles a choice: single modes replace, multiple adds or removes.
pub fn toggle_choice(current: &[Value], mode: ChoiceMode, key: &str) -> Vec<Value> {
    let has = current.iter().any(|v| v.as_str() == Some(key));
    match (mode, has) {
        (ChoiceMode::Multiple, true) => current
            .iter()
            .filter(|v| v.as_str() != Some(key))
            .cloned()
            .collect(),
        (ChoiceMode::Multiple, false) => {
            let mut v = current.to_vec();
            v.push(json!(key));
            v
        }
        (_, true) => Vec::new(),
        (_, false) => vec![json!(key)],
    }
}

/// For each option of a nested Choices (`allowNested`, options in document order with
/// their paths), where its subtree ends: the index of the next option not under it.
fn subtree_ends(ctrl: &ControlTag) -> Vec<usize> {
    let n = ctrl.labels.len();
    let mut ends = vec![n; n];
    let mut open: Vec<usize> = Vec::new();
    for (i, l) in ctrl.labels.iter().enumerate() {
        while let Some(&top) = open.last() {
            if ctrl.labels[top].path.len() >= l.path.len() {
                ends[top] = i;
                open.pop();
            } else {
                break;
            }
        }
        open.push(i);
    }
    ends
}

/// Whether each option of a nested Choices is chosen, from the result's paths, by Label
/// Studio's rule: an option without children when its path is listed, an option with
/// children when all of them are chosen (its own listing does not count).
pub fn nested_chosen(ctrl: &ControlTag, current: &[Value]) -> Vec<bool> {
    let listed: std::collections::HashSet<Vec<&str>> = current
        .iter()
        .filter_map(Value::as_array)
        .map(|p| p.iter().map(|s| s.as_str().unwrap_or_default()).collect())
        .collect();
    let ends = subtree_ends(ctrl);
    let mut on = vec![false; ctrl.labels.len()];
    // Children come after their parent: deciding from the end decides them first.
    for i in (0..ctrl.labels.len()).rev() {
        on[i] = if ends[i] == i + 1 {
            let path: Vec<&str> = ctrl.labels[i].path.iter().map(String::as_str).collect();
            listed.contains(&path)
        } else {
            // Its children, stepping over each child's own subtree: linear in the options.
            let mut all = true;
            let mut j = i + 1;
            while j < ends[i] {
                all &= on[j];
                j = ends[j].max(j + 1);
            }
            all
        };
    }
    on
}

/// Toggles option `li` of a nested Choices as Label Studio does: an option with children
/// sets or clears all of them, a single-choice control clears everything first. The new
/// result lists the path of every chosen option, parents included, in document order.
pub fn toggle_nested(ctrl: &ControlTag, current: &[Value], li: usize) -> Vec<Value> {
    let ends = subtree_ends(ctrl);
    let mut on = nested_chosen(ctrl, current);
    let next = !on[li];
    let leaf = |i: usize| ends[i] == i + 1;
    let mut leaves: Vec<bool> = (0..on.len()).map(|i| leaf(i) && on[i]).collect();
    if ctrl.choice != ChoiceMode::Multiple {
        leaves.iter_mut().for_each(|l| *l = false);
    }
    for (i, l) in leaves.iter_mut().enumerate().take(ends[li]).skip(li) {
        if leaf(i) {
            *l = next;
        }
    }
    let paths: Vec<Value> = (0..on.len())
        .filter(|i| leaves[*i])
        .map(|i| json!(ctrl.labels[i].path))
        .collect();
    on = nested_chosen(ctrl, &paths);
    (0..on.len())
        .filter(|i| on[*i])
        .map(|i| json!(ctrl.labels[i].path))
        .collect()
}

/// The results a new annotation starts with, as Label Studio's `setDefaultValues` makes
/// them: for every Choices control (per task, not per region) the options marked
/// `selected`, as keys, or as paths for nested options.
pub fn preselected(config: &LabelConfig) -> Vec<Value> {
    let mut out = Vec::new();
    for c in &config.controls {
        if c.kind != ControlKind::Choices || c.per_region {
            continue;
        }
        let nested = crate::config::dynamic::allows_nested(c);
        let values: Vec<Value> = c
            .labels
            .iter()
            .filter(|l| l.selected)
            .map(|l| if nested { json!(l.path) } else { json!(l.key) })
            .collect();
        if !values.is_empty() {
            set_classification(&mut out, c, None, Some(Value::Array(values)));
        }
    }
    out
}

/// Removes every result that belongs to a region (the region and its perRegion results)
/// and the relations that touch it, as Label Studio does.
pub fn delete_region(result: &mut Vec<Value>, id: &str) {
    result.retain(|r| id_of(r) != Some(id));
    crate::annotate::relations::remove_touching(result, id);
}

/// Changes a region's labels (a single label replaces, `choice="multiple"` toggles).
pub fn relabel(result: &mut [Value], id: &str, ctrl: &ControlTag, key: &str) -> bool {
    let Some(r) = result
        .iter_mut()
        .find(|r| id_of(r) == Some(id) && from_name(r) == ctrl.name)
    else {
        return false;
    };
    let vk = ctrl.value_key().unwrap_or("labels").to_string();
    let cur: Vec<Value> = r["value"]
        .get(&vk)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let next = toggle_choice(&cur, ctrl.choice, key);
    let next = if next.is_empty() {
        vec![json!(key)]
    } else {
        next
    };
    r["value"][vk.as_str()] = Value::Array(next);
    if r.get("origin").and_then(Value::as_str) == Some("prediction") {
        r["origin"] = json!("prediction-changed");
    }
    true
}

/// Whether a labels control can label regions on an object of this kind.
pub fn labels_fit(kind: ControlKind, obj: crate::config::ObjectKind) -> bool {
    use crate::config::ObjectKind as O;
    use ControlKind as C;
    match kind {
        C::Labels => matches!(
            obj,
            O::Text | O::HyperText | O::Paragraphs | O::Video | O::Audio
        ),
        C::VideoRectangle | C::TimelineLabels => obj == O::Video,
        C::HyperTextLabels => obj == O::HyperText,
        C::ParagraphLabels => obj == O::Paragraphs,
        C::RectangleLabels | C::Rectangle => obj == O::Image,
        C::TimeSeriesLabels => obj == O::TimeSeries,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_label_studio_ids() {
        let a = new_id();
        let b = new_id();
        assert_eq!(a.len(), 10);
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        );
    }

    #[test]
    fn choices_toggle_by_mode() {
        let cur = vec![json!("A")];
        assert_eq!(
            toggle_choice(&cur, ChoiceMode::Single, "B"),
            vec![json!("B")]
        );
        assert!(toggle_choice(&cur, ChoiceMode::Single, "A").is_empty());
        assert_eq!(
            toggle_choice(&cur, ChoiceMode::Multiple, "B"),
            vec![json!("A"), json!("B")]
        );
    }

    #[test]
    fn nested_choices_toggle_subtrees_and_list_parents() {
        let c = LabelConfig::parse(
            r#"<View><Text name="t" value="$t"/>
            <Choices name="c" toName="t" value="$o" allowNested="true" choice="multiple"/>
            <Choices name="one" toName="t" value="$o" allowNested="true"/></View>"#,
        )
        .unwrap()
        .expand_for_task(&json!({"o": [
            {"value": "p", "children": [{"value": "p1"}, {"value": "p2"}]},
            {"value": "q"}
        ]}));
        let multi = c.control("c").unwrap();
        let p = |s: &[&str]| json!(s);
        // A child alone: its path only.
        let r = toggle_nested(multi, &[], 1);
        assert_eq!(r, vec![p(&["p", "p1"])]);
        assert_eq!(nested_chosen(multi, &r), vec![false, true, false, false]);
        // The second child completes the parent, which is then listed first.
        let r = toggle_nested(multi, &r, 2);
        assert_eq!(r, vec![p(&["p"]), p(&["p", "p1"]), p(&["p", "p2"])]);
        // The parent clears its children; another option stays.
        let r = toggle_nested(multi, &[p(&["q"]), p(&["p", "p1"])], 0);
        assert_eq!(
            r,
            vec![p(&["p"]), p(&["p", "p1"]), p(&["p", "p2"]), p(&["q"])]
        );
        let r = toggle_nested(multi, &r, 0);
        assert_eq!(r, vec![p(&["q"])]);
        // Single choice: picking clears what was there.
        let one = c.control("one").unwrap();
        let r = toggle_nested(one, &[p(&["q"])], 1);
        assert_eq!(r, vec![p(&["p", "p1"])]);
        assert!(toggle_nested(one, &r, 1).is_empty());
        // A listed parent whose children are not listed is not chosen.
        assert_eq!(nested_chosen(multi, &[p(&["p"])]), vec![false; 4]);
    }

    #[test]
    fn a_deep_chain_of_options_chooses_every_ancestor_of_its_leaf() {
        let mut item = json!({"value": "n49"});
        for i in (0..49).rev() {
            item = json!({"value": format!("n{i}"), "children": [item]});
        }
        let c = LabelConfig::parse(
            r#"<View><Text name="t" value="$t"/>
            <Choices name="c" toName="t" value="$o" allowNested="true"/></View>"#,
        )
        .unwrap()
        .expand_for_task(&json!({ "o": [item, {"value": "other"}] }));
        let ctrl = c.control("c").unwrap();
        assert_eq!(ctrl.labels.len(), 51);
        let r = toggle_nested(ctrl, &[], 49);
        assert_eq!(r.len(), 50, "the leaf and its 49 ancestors");
        assert_eq!(r[0], json!(["n0"]));
        assert_eq!(r[49].as_array().unwrap().len(), 50);
        assert!(!nested_chosen(ctrl, &r)[50]);
    }

    #[test]
    fn timeseries_labels_fit_timeseries_only() {
        use crate::config::ObjectKind as O;
        assert!(labels_fit(ControlKind::TimeSeriesLabels, O::TimeSeries));
        assert!(!labels_fit(ControlKind::TimeSeriesLabels, O::Text));
        assert!(!labels_fit(ControlKind::Labels, O::TimeSeries));
    }

    #[test]
    fn per_region_results_share_the_id_and_copy_geometry() {
        let c = LabelConfig::parse(
            r#"<View><Text name="t" value="$t"/><Labels name="l" toName="t"><Label value="A"/></Labels>
            <TextArea name="note" toName="t" perRegion="true"/></View>"#,
        )
        .unwrap();
        let span = json!({"id": "r1", "from_name": "l", "to_name": "t", "type": "labels",
            "value": {"start": 1, "end": 3, "text": "bc", "labels": ["A"]}});
        let mut result = vec![span.clone()];
        set_classification(
            &mut result,
            c.control("note").unwrap(),
            Some(&span),
            Some(json!(["hi"])),
        );
        assert_eq!(result[1]["id"], "r1");
        assert_eq!(result[1]["type"], "textarea");
        assert_eq!(
            result[1]["value"],
            json!({"start": 1, "end": 3, "text": "bc", "text": ["hi"]})
        );
        assert!(crate::task::check::check_result(&c, &Value::Array(result.clone())).is_empty());
        delete_region(&mut result, "r1");
        assert!(result.is_empty());
    }
}
