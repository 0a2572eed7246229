//! Helpers the screens share: label controls, values, region descriptions, the focus
//! order of a config, label hotkeys.

use crate::config::ObjectKind;
use crate::config::{ControlKind, LabelConfig, Node};
use crate::task::resolve::as_text;
use crate::tui::app::App;
use crate::tui::keymap::KeySpec;
use crate::tui::result as res;
use crate::tui::screens::annotate::{Content, Focus};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Label Studio's name for the label-like controls whose keys make or relabel regions.
pub fn is_labels_control(k: ControlKind) -> bool {
    matches!(
        k,
        ControlKind::Labels
            | ControlKind::HyperTextLabels
            | ControlKind::ParagraphLabels
            | ControlKind::RectangleLabels
            | ControlKind::PolygonLabels
            | ControlKind::KeyPointLabels
            | ControlKind::EllipseLabels
            | ControlKind::BrushLabels
            | ControlKind::TimeSeriesLabels
    )
}

pub fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Integers stay integers in the JSON (`{"number": 2}`), as Label Studio writes them.
pub fn number_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

// The DateTime rule lives in the UI-free layer; the annotator calls it from there.
pub use crate::annotate::check_datetime;

/// One line describing a result: control, labels or value, and where.
pub fn describe_result(config: &LabelConfig, r: &Value, content: Option<&Content>) -> String {
    let from = res::from_name(r);
    let v = &r["value"];
    let ctrl = config.control(from);
    let what = match ctrl.map(|c| c.kind) {
        Some(ControlKind::TextArea) => format!(
            "{:?}",
            v.get("text")
                .map(|t| match t {
                    Value::Array(a) => a.iter().map(as_text).collect::<Vec<_>>().join(" | "),
                    other => as_text(other),
                })
                .unwrap_or_default()
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
        _ => res::labels_of(r).join(", "),
    };
    let place = if let (Some(x), Some(y), Some(w), Some(h)) = (
        v.get("x").and_then(num),
        v.get("y").and_then(num),
        v.get("width").and_then(num),
        v.get("height").and_then(num),
    ) {
        format!(" box {x:.1},{y:.1} {w:.1}×{h:.1}%")
    } else if let Some(t) = v.get("text").and_then(Value::as_str) {
        format!(" {:?}", crate::util::sanitize(t, false))
    } else if let (Some(Content::Doc(d)), Some(_)) = (content, v.get("start")) {
        match d.region_range(v) {
            Some((a, b)) => format!(" {:?}", d.display[a..b].iter().collect::<String>()),
            None => String::new(),
        }
    } else if let Some(points) = v.get("points").and_then(Value::as_array) {
        format!(" polygon of {} points", points.len())
    } else if let (Some(s), Some(e)) = (v.get("start"), v.get("end")) {
        format!(" {}–{}", as_text(s), as_text(e))
    } else {
        String::new()
    };
    crate::util::sanitize(&format!("{from}: {what}{place}"), false)
}

/// Panes that take focus, in document order: objects that carry regions or can be
/// labelled, objects no control points at (so that every pane can be brought into view),
/// then every control with a panel.
pub fn focusables(config: &LabelConfig) -> Vec<Focus> {
    let mut objects: HashMap<&str, usize> = HashMap::new();
    for (i, o) in config.objects.iter().enumerate() {
        objects.entry(o.name.as_str()).or_insert(i);
    }
    let mut controls: HashMap<&str, usize> = HashMap::new();
    // Per object: whether a control points at it, and whether one labels it.
    let mut targeted = vec![false; config.objects.len()];
    let mut labelled = vec![false; config.objects.len()];
    for (i, c) in config.controls.iter().enumerate() {
        controls.entry(c.name.as_str()).or_insert(i);
        for to in &c.to_name {
            if let Some(&oi) = objects.get(to.as_str()) {
                targeted[oi] = true;
                labelled[oi] |= res::labels_fit(c.kind, config.objects[oi].kind);
            }
        }
    }
    let mut out = Vec::new();
    walk(&config.root, &mut |el| {
        let Some(name) = el.attr("name") else { return };
        if let Some(&i) = objects.get(name) {
            let o = &config.objects[i];
            if o.kind == ObjectKind::Image
                || labelled[i]
                || (!targeted[i] && o.kind != ObjectKind::Header)
            {
                out.push(Focus::Object(i));
            }
        } else if let Some(&i) = controls.get(name)
            && !matches!(config.controls[i].kind, ControlKind::Relations)
        {
            out.push(Focus::Control(i));
        }
    });
    out
}

/// Visits every element in document order.
pub fn walk(el: &crate::config::Element, f: &mut impl FnMut(&crate::config::Element)) {
    f(el);
    for c in &el.children {
        if let Node::Element(e) = c {
            walk(e, f);
        }
    }
}

impl App {
    /// Label hotkeys of the current task that are not shadowed by a bound key:
    /// (key, control index, label index).
    pub fn hotkeys(&self) -> Vec<(KeySpec, usize, usize)> {
        let Some(t) = &self.task else {
            return Vec::new();
        };
        let ctxs = self.active_contexts();
        let mut out = Vec::new();
        for (ci, c) in t.config.controls.iter().enumerate() {
            if matches!(c.kind, ControlKind::Taxonomy | ControlKind::Relations) {
                continue;
            }
            for (li, l) in c.labels.iter().enumerate() {
                let Some(h) = &l.hotkey else { continue };
                let Some(spec) = KeySpec::parse(&h.replace('+', "-")) else {
                    continue;
                };
                let shadowed = ctxs
                    .iter()
                    .any(|ctx| self.keymap.lookup(*ctx, &spec).is_some());
                if !shadowed {
                    out.push((spec, ci, li));
                }
            }
        }
        out
    }

    /// The hotkey shown next to a label, if it works now.
    pub fn hotkey_label(&self, ci: usize, li: usize) -> Option<String> {
        self.hotkeys()
            .into_iter()
            .find(|(_, c, l)| *c == ci && *l == li)
            .map(|(k, _, _)| k.display())
    }
}
