//! One line that says what a result is: control, labels or value, and where.

use crate::annotate::region::{from_name, labels_of, num};
use crate::config::{ControlKind, LabelConfig};
use crate::term_safe::quoted;
use serde_json::Value;

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What a result says, without where: its labels, or its text (quoted), rating, number or
/// date for the controls that hold one. Not yet made safe for a terminal.
pub fn value_text(config: &LabelConfig, r: &Value) -> String {
    let v = &r["value"];
    if crate::annotate::chat::is_message(r) {
        let m = &v[crate::annotate::chat::RESULT_TYPE];
        let role = m.get("role").and_then(Value::as_str).unwrap_or("?");
        return format!(
            "{role} {}",
            quoted(&m.get("content").map(as_text).unwrap_or_default())
        );
    }
    match config.control(from_name(r)).map(|c| c.kind) {
        Some(ControlKind::TextArea) => quoted(
            &v.get("text")
                .map(|t| match t {
                    Value::Array(a) => a.iter().map(as_text).collect::<Vec<_>>().join(" | "),
                    other => as_text(other),
                })
                .unwrap_or_default(),
        ),
        Some(ControlKind::Rating) => format!(
            "rating {}",
            v.get("rating").map(as_text).unwrap_or_default()
        ),
        Some(ControlKind::Number) => format!(
            "number {}",
            v.get("number").map(as_text).unwrap_or_default()
        ),
        Some(ControlKind::DateTime) => v.get("datetime").map(as_text).unwrap_or_default(),
        _ => labels_of(r).join(", "),
    }
}

/// `box: Cat box 10.0,20.0 30.0×40.0%`, `sentiment: Positive`, `notes: "two words"`. The
/// line is safe to print to a terminal.
pub fn describe(config: &LabelConfig, r: &Value) -> String {
    let from = from_name(r);
    let v = &r["value"];
    let what = value_text(config, r);
    let get = |k: &str| v.get(k).and_then(num);
    let place = if let (Some(x), Some(y), Some(w), Some(h)) =
        (get("x"), get("y"), get("width"), get("height"))
    {
        let turned = get("rotation")
            .filter(|r| *r != 0.0)
            .map_or(String::new(), |r| format!(" rotated {r:.0}°"));
        format!(" box {x:.1},{y:.1} {w:.1}×{h:.1}%{turned}")
    } else if let Some(t) = v.get("text").and_then(Value::as_str) {
        format!(" {}", quoted(t))
    } else if let Some(points) = v.get("points").and_then(Value::as_array) {
        format!(" polygon of {} points", points.len())
    } else if let (Some(x), Some(y)) = (get("x"), get("y")) {
        format!(" at {x:.1},{y:.1}%")
    } else if let (Some(s), Some(e)) = (v.get("start"), v.get("end")) {
        format!(" {}–{}", as_text(s), as_text(e))
    } else {
        String::new()
    };
    crate::util::sanitize(&format!("{from}: {what}{place}"), false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_name_control_value_and_place() {
        let c = LabelConfig::parse(
            r#"<View><Image name="img" value="$i"/><Text name="t" value="$t"/>
            <RectangleLabels name="box" toName="img"><Label value="Cat"/></RectangleLabels>
            <Labels name="ner" toName="t"><Label value="PER"/></Labels>
            <TextArea name="note" toName="t"/><Rating name="r" toName="t"/></View>"#,
        )
        .unwrap();
        let cases = [
            (
                json!({"from_name": "box", "type": "rectanglelabels", "value": {"x": 10, "y": 20.5, "width": 30, "height": 40, "rotation": 90, "rectanglelabels": ["Cat"]}}),
                "box: Cat box 10.0,20.5 30.0×40.0% rotated 90°",
            ),
            (
                json!({"from_name": "ner", "type": "labels", "value": {"start": 0, "end": 3, "text": "Ann", "labels": ["PER"]}}),
                "ner: PER \"Ann\"",
            ),
            (
                json!({"from_name": "note", "type": "textarea", "value": {"text": ["a", "b"]}}),
                "note: \"a | b\"",
            ),
            (
                json!({"from_name": "r", "type": "rating", "value": {"rating": 4}}),
                "r: rating 4",
            ),
            (
                json!({"from_name": "chat", "type": "chatmessage", "value": {"chatmessage": {"role": "user", "content": "hi there"}}}),
                "chat: user \"hi there\"",
            ),
            (
                json!({"from_name": "ner", "type": "labels", "value": {"start": 2, "end": 5, "labels": ["PER"]}}),
                "ner: PER 2–5",
            ),
        ];
        for (r, want) in cases {
            assert_eq!(describe(&c, &r), want);
        }
        let evil =
            json!({"from_name": "note", "type": "textarea", "value": {"text": ["\u{1b}[2J"]}});
        assert!(!describe(&c, &evil).contains('\u{1b}'));
        // Emoji sequences stay whole; a joiner hidden in a word is shown.
        let emoji = json!({"from_name": "note", "type": "textarea",
            "value": {"text": ["👩\u{200d}💻 ad\u{200d}min"]}});
        assert_eq!(
            describe(&c, &emoji),
            "note: \"👩\u{200d}💻 ad\\u{200d}min\""
        );
    }
}
