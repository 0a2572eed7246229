//! What a result must meet before it is submitted: Label Studio's `required` (whole-task
//! and perRegion controls, honouring `visibleWhen` conditions), and DateTime values.

use super::region::{from_name, id_of, is_region, labels_of, to_name};
use crate::config::{ControlTag, LabelConfig};
use serde_json::Value;

/// One DateTime rule for the annotator and for import.
pub use crate::task::check::check_datetime;

/// The messages of required controls that have no value: `requiredMessage`, else
/// "<name> (<Tag>) is required". A perRegion control is required on every region of its
/// object that it is shown for; a control hidden by `visibleWhen` is not required.
pub fn missing_required(config: &LabelConfig, result: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for c in config.controls.iter().filter(|c| c.required) {
        let missing = if c.per_region {
            regions_shown_for(config, c, result).any(|region| {
                let id = id_of(region);
                !result
                    .iter()
                    .any(|x| c.matches_name(from_name(x)) && id_of(x) == id && has_value(c, x))
            })
        } else {
            visible_without_selection(c, result)
                && !result
                    .iter()
                    .any(|r| c.matches_name(from_name(r)) && has_value(c, r))
        };
        if missing {
            out.push(
                c.required_message
                    .clone()
                    .unwrap_or_else(|| format!("{} ({}) is required", c.name, c.tag)),
            );
        }
    }
    out
}

/// Whether a result of the control holds something: a number, a text that is not blank,
/// a list with such an item.
fn has_value(c: &ControlTag, r: &Value) -> bool {
    fn filled(v: &Value) -> bool {
        match v {
            Value::Null => false,
            Value::String(s) => !s.trim().is_empty(),
            Value::Array(a) => a.iter().any(filled),
            Value::Object(m) => !m.is_empty(),
            Value::Bool(_) | Value::Number(_) => true,
        }
    }
    c.value_key()
        .is_none_or(|k| r["value"].get(k).is_some_and(filled))
}

/// Comma-separated condition values (`whenLabelValue="A,B"`).
fn values(attr: Option<&str>) -> Option<Vec<&str>> {
    attr.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    })
}

/// The regions a perRegion control shows for: regions on one of its objects whose
/// labels (from `whenTagName`, when set) include `whenLabelValue`, and whose choices
/// include `whenChoiceValue`, when those are set.
fn regions_shown_for<'a>(
    config: &'a LabelConfig,
    c: &'a ControlTag,
    result: &'a [Value],
) -> impl Iterator<Item = &'a Value> + 'a {
    let tag = c.attr("whenTagName");
    let label_values = values(c.attr("whenLabelValue"));
    let choice_values = values(c.attr("whenChoiceValue"));
    // The labels and choices of one region: its own, and those of results sharing its id.
    let carried = move |region: &Value, choices: bool| -> Vec<String> {
        let id = id_of(region);
        result
            .iter()
            .filter(|x| std::ptr::eq(*x, region) || (id.is_some() && id_of(x) == id))
            .filter(|x| tag.is_none_or(|t| from_name(x) == t))
            .filter(|x| choices == (x.get("type").and_then(Value::as_str) == Some("choices")))
            .flat_map(labels_of)
            .collect()
    };
    let mut seen: Vec<&str> = Vec::new();
    result.iter().filter(move |r| {
        if !is_region(config, r) || !c.to_name.iter().any(|n| n == to_name(r)) {
            return false;
        }
        // Split results (a shape and its labels) share one id: one region.
        if let Some(id) = id_of(r) {
            if seen.contains(&id) {
                return false;
            }
            seen.push(id);
        }
        let labels_ok = label_values
            .as_ref()
            .is_none_or(|want| carried(r, false).iter().any(|l| want.contains(&l.as_str())));
        let choices_ok = choice_values
            .as_ref()
            .is_none_or(|want| carried(r, true).iter().any(|l| want.contains(&l.as_str())));
        labels_ok && choices_ok
    })
}

/// Whether a whole-task control is shown when no region is selected, which is how the
/// task stands when it is submitted.
fn visible_without_selection(c: &ControlTag, result: &[Value]) -> bool {
    let chosen = || {
        let tag = c.attr("whenTagName");
        let want = values(c.attr("whenChoiceValue"));
        result
            .iter()
            .filter(|r| r.get("type").and_then(Value::as_str) == Some("choices"))
            .filter(|r| tag.is_none_or(|t| from_name(r) == t))
            .flat_map(labels_of)
            .any(|l| want.as_ref().is_none_or(|w| w.contains(&l.as_str())))
    };
    match c.visible_when.as_deref() {
        Some("choice-selected") => chosen(),
        Some("choice-unselected") => !chosen(),
        // Shown only while a region is selected: never at submit time.
        Some("region-selected") => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(xml: &str) -> LabelConfig {
        LabelConfig::parse(xml).unwrap()
    }

    fn span(id: &str, label: &str) -> Value {
        json!({"id": id, "from_name": "ner", "to_name": "t", "type": "labels",
               "value": {"start": 0, "end": 4, "labels": [label]}})
    }

    fn note(id: &str, text: &str) -> Value {
        json!({"id": id, "from_name": "note", "to_name": "t", "type": "textarea",
               "value": {"start": 0, "end": 4, "text": [text]}})
    }

    #[test]
    fn whole_task_required_needs_a_value() {
        let c = parse(
            r#"<View><Text name="t" value="$t"/>
            <Choices name="c" toName="t" required="true" requiredMessage="Pick one"><Choice value="A"/></Choices>
            <TextArea name="ta" toName="t" required="true"/>
            <Rating name="r" toName="t"/></View>"#,
        );
        assert_eq!(
            missing_required(&c, &[]),
            vec!["Pick one".to_string(), "ta (TextArea) is required".into()]
        );
        let empty =
            json!({"from_name": "c", "to_name": "t", "type": "choices", "value": {"choices": []}});
        let text = json!({"from_name": "ta", "to_name": "t", "type": "textarea", "value": {"text": ["x"]}});
        assert_eq!(
            missing_required(&c, &[empty, text.clone()]),
            vec!["Pick one"]
        );
        let a = json!({"from_name": "c", "to_name": "t", "type": "choices", "value": {"choices": ["A"]}});
        assert!(missing_required(&c, &[a, text]).is_empty());
    }

    #[test]
    fn per_region_required_on_every_region() {
        let c = parse(
            r#"<View><Text name="t" value="$t"/>
            <Labels name="ner" toName="t"><Label value="PER"/><Label value="ORG"/></Labels>
            <TextArea name="note" toName="t" perRegion="true" required="true"/></View>"#,
        );
        assert!(
            missing_required(&c, &[]).is_empty(),
            "no region, nothing to describe"
        );
        let both = [span("a", "PER"), span("b", "ORG"), note("a", "x")];
        assert_eq!(
            missing_required(&c, &both),
            vec!["note (TextArea) is required"]
        );
        let done = [
            span("a", "PER"),
            span("b", "ORG"),
            note("a", "x"),
            note("b", "y"),
        ];
        assert!(missing_required(&c, &done).is_empty());
        let blank = [span("a", "PER"), note("a", "")];
        assert_eq!(
            missing_required(&c, &blank).len(),
            1,
            "an empty text is no value"
        );
    }

    #[test]
    fn per_region_condition_limits_the_regions() {
        let c = parse(
            r#"<View><Text name="t" value="$t"/>
            <Labels name="ner" toName="t"><Label value="PER"/><Label value="ORG"/></Labels>
            <TextArea name="note" toName="t" perRegion="true" required="true"
                whenTagName="ner" whenLabelValue="PER"/></View>"#,
        );
        assert!(missing_required(&c, &[span("b", "ORG")]).is_empty());
        assert_eq!(
            missing_required(&c, &[span("a", "PER"), span("b", "ORG")]).len(),
            1
        );
        assert!(missing_required(&c, &[span("a", "PER"), note("a", "x")]).is_empty());
    }

    #[test]
    fn hidden_controls_are_not_required() {
        let c = parse(
            r#"<View><Text name="t" value="$t"/>
            <Choices name="kind" toName="t"><Choice value="Other"/><Choice value="Known"/></Choices>
            <TextArea name="why" toName="t" required="true" visibleWhen="choice-selected"
                whenTagName="kind" whenChoiceValue="Other"/></View>"#,
        );
        let pick = |v: &str| json!({"from_name": "kind", "to_name": "t", "type": "choices", "value": {"choices": [v]}});
        assert!(missing_required(&c, &[]).is_empty());
        assert!(missing_required(&c, &[pick("Known")]).is_empty());
        assert_eq!(
            missing_required(&c, &[pick("Other")]),
            vec!["why (TextArea) is required"]
        );
    }

    #[test]
    fn split_shape_and_labels_count_as_one_region() {
        let c = parse(
            r#"<View><Image name="img" value="$i"/>
            <Rectangle name="box" toName="img"/>
            <Labels name="lab" toName="img"><Label value="Cat"/></Labels>
            <Choices name="q" toName="img" perRegion="true" required="true"
                whenTagName="lab" whenLabelValue="Cat"><Choice value="ok"/></Choices></View>"#,
        );
        let geo = json!({"x": 1, "y": 1, "width": 5, "height": 5});
        let rect = json!({"id": "r", "from_name": "box", "to_name": "img", "type": "rectangle", "value": geo});
        let mut labelled = geo.clone();
        labelled["labels"] = json!(["Cat"]);
        let lab = json!({"id": "r", "from_name": "lab", "to_name": "img", "type": "labels", "value": labelled});
        assert_eq!(missing_required(&c, &[rect.clone(), lab.clone()]).len(), 1);
        assert!(
            missing_required(&c, std::slice::from_ref(&rect)).is_empty(),
            "no Cat label, no question"
        );
        let mut answer = geo.clone();
        answer["choices"] = json!(["ok"]);
        let q = json!({"id": "r", "from_name": "q", "to_name": "img", "type": "choices", "value": answer});
        assert!(missing_required(&c, &[rect, lab, q]).is_empty());
    }
}
