//! Helpers the screens share: label controls, values, region descriptions, the focus
//! order of a config, label hotkeys.

use crate::config::ObjectKind;
use crate::config::{ControlKind, LabelConfig, Node};
use crate::task::resolve::as_text;
use crate::tui::app::App;
use crate::tui::keymap::{Ctx, KeySpec};
use crate::tui::result as res;
use crate::tui::screens::Screen;
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

pub use crate::annotate::region::num;

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
    let what = crate::review::describe::value_text(config, r);
    let place = if let (Some(x), Some(y), Some(w), Some(h)) = (
        v.get("x").and_then(num),
        v.get("y").and_then(num),
        v.get("width").and_then(num),
        v.get("height").and_then(num),
    ) {
        format!(" box {x:.1},{y:.1} {w:.1}×{h:.1}%")
    } else if let Some(t) = v.get("text").and_then(Value::as_str) {
        format!(" {}", crate::term_safe::quoted(t))
    } else if let (Some(Content::Doc(d)), Some(_)) = (content, v.get("start")) {
        match d.region_range(v) {
            Some((a, b)) => format!(
                " {}",
                crate::term_safe::quoted(&d.display[a..b].iter().collect::<String>())
            ),
            None => String::new(),
        }
    } else if let Some(points) = v.get("points").and_then(Value::as_array) {
        format!(" polygon of {} points", points.len())
    } else if let (Some(s), Some(e)) = (v.get("start"), v.get("end")) {
        format!(" {}–{}", as_text(s), as_text(e))
    } else {
        String::new()
    };
    // The quoted parts are safe already; the name and labels come from the config.
    format!(
        "{}: {}{place}",
        crate::term_safe::tui_safe(from, false),
        crate::term_safe::tui_safe(&what, false)
    )
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
            // A chat takes the keys that add and select its messages.
            if o.kind == ObjectKind::Image
                || o.kind == ObjectKind::Chat
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

/// A label hotkey as a key: a single character as is, else Label Studio's `mod+key`.
pub fn hotkey_key(hotkey: &str) -> Option<KeySpec> {
    let mut chars = hotkey.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(KeySpec::ch(c)),
        _ => KeySpec::parse(&hotkey.replace('+', "-")),
    }
}

/// The task screen's contexts where a built-in key can shadow a label hotkey.
const TASK_CTXS: [Ctx; 4] = [Ctx::Panel, Ctx::Text, Ctx::Image, Ctx::Task];

impl App {
    /// Whether control `ci` owns the focus for its hotkeys: its panel has focus, or (for a
    /// labels control) the object it labels has. There its config hotkeys beat built-in
    /// keys, as they do in Label Studio.
    fn owns_focus(&self, ci: usize) -> bool {
        let Some(t) = &self.annotate.task else {
            return false;
        };
        let c = &t.config.controls[ci];
        match t.focusables.get(t.focus) {
            Some(Focus::Control(f)) => *f == ci,
            Some(Focus::Object(oi)) => {
                c.kind.makes_regions()
                    && t.config
                        .objects
                        .get(*oi)
                        .is_some_and(|o| c.to_name.contains(&o.name))
            }
            None => false,
        }
    }

    /// Label hotkeys of the current task that work now: (key, control index, label index).
    /// The controls that own the focus come first: their hotkeys win over bound keys;
    /// the others work where no bound key shadows them.
    pub fn hotkeys(&self) -> Vec<(KeySpec, usize, usize)> {
        let Some(t) = &self.annotate.task else {
            return Vec::new();
        };
        let ctxs = self.active_contexts();
        let mut owned = Vec::new();
        let mut out = Vec::new();
        for (ci, c) in t.config.controls.iter().enumerate() {
            if matches!(c.kind, ControlKind::Taxonomy | ControlKind::Relations) {
                continue;
            }
            let owns = self.owns_focus(ci);
            for (li, l) in c.labels.iter().enumerate() {
                let Some(spec) = l.hotkey.as_deref().and_then(hotkey_key) else {
                    continue;
                };
                // Generated hotkeys always give way: only the config's own win.
                if owns && l.hotkey_from_config {
                    owned.push((spec, ci, li));
                } else if !ctxs
                    .iter()
                    .any(|ctx| self.keymap.lookup(*ctx, &spec).is_some())
                {
                    out.push((spec, ci, li));
                }
            }
        }
        owned.extend(out);
        owned
    }

    /// The hotkey of a control that owns the focus, if `spec` is one: it beats bound keys.
    pub fn owned_hotkey(&self, spec: &KeySpec) -> Option<(usize, usize)> {
        self.hotkeys()
            .into_iter()
            .find(|(k, ci, li)| k == spec && self.owns_focus(*ci) && self.hotkey_written(*ci, *li))
            .map(|(_, ci, li)| (ci, li))
    }

    fn hotkey_written(&self, ci: usize, li: usize) -> bool {
        self.annotate.task.as_ref().is_some_and(|t| {
            t.config
                .controls
                .get(ci)
                .and_then(|c| c.labels.get(li))
                .is_some_and(|l| l.hotkey_from_config)
        })
    }

    /// Every label hotkey of the config that a built-in key of the task screen shadows,
    /// once each, as a sentence saying where it still works.
    pub fn hotkey_clashes(&self) -> Vec<String> {
        let config = self
            .annotate
            .task
            .as_ref()
            .map_or(&self.base_config, |t| &t.config);
        // The contexts of the open task's panes (a Video's keys, a Chat's...), else the usual.
        let mut contexts: Vec<Ctx> = match &self.annotate.task {
            Some(t) => t
                .focusables
                .iter()
                .filter_map(|f| self.ctx_of(*f))
                .collect(),
            None => TASK_CTXS.to_vec(),
        };
        contexts.push(Ctx::Task);
        let mut seen = std::collections::HashSet::new();
        contexts.retain(|c| seen.insert(*c));
        let mut out: Vec<String> = Vec::new();
        for c in &config.controls {
            if matches!(c.kind, ControlKind::Taxonomy | ControlKind::Relations) {
                continue;
            }
            // Generated hotkeys skip nothing the user wrote: only the config's own count.
            for l in c.labels.iter().filter(|l| l.hotkey_from_config) {
                let Some(h) = l.hotkey.as_deref() else {
                    continue;
                };
                let Some(spec) = hotkey_key(h) else { continue };
                let Some((ctx, action)) = contexts
                    .iter()
                    .find_map(|ctx| self.keymap.lookup(*ctx, &spec).map(|a| (*ctx, a)))
                else {
                    continue;
                };
                let key = spec.display();
                let what = self
                    .keymap
                    .describe(ctx)
                    .into_iter()
                    .find(|(keys, _)| keys.split(' ').any(|k| k == key))
                    .map_or_else(|| action.name(), |(_, d)| d);
                let line = crate::tui::strings::hotkey_clash(
                    &key,
                    &l.value,
                    &what,
                    &c.name,
                    c.kind.makes_regions(),
                );
                if !out.contains(&line) {
                    out.push(line);
                }
            }
        }
        out
    }

    /// Tells the hotkey clashes once, in the message line.
    pub fn report_hotkey_clashes(&mut self) {
        if self.annotate.hotkey_clashes_told {
            return;
        }
        self.annotate.hotkey_clashes_told = true;
        let clashes = self.hotkey_clashes();
        if !clashes.is_empty() {
            self.message = Some((crate::tui::app::Level::Warn, clashes.join(" · ")));
        }
    }

    /// The hotkey shown next to a label, if it works now.
    pub fn hotkey_label(&self, ci: usize, li: usize) -> Option<String> {
        self.hotkeys()
            .into_iter()
            .find(|(_, c, l)| *c == ci && *l == li)
            .map(|(k, _, _)| k.display())
    }
}

impl App {
    /// A mouse event on the task screen, hit-tested against where the last frame drew
    /// things: a click on an option toggles it as its key would, a click on a pane or
    /// panel focuses it, the wheel moves the focus through the stack under it (which
    /// scrolls that stack the way its marker's keys do).
    pub(in crate::tui) fn mouse(
        &mut self,
        ev: crossterm::event::MouseEvent,
    ) -> Vec<crate::tui::app::Effect> {
        use crate::tui::msg::HitTarget;
        use crossterm::event::{MouseButton, MouseEventKind};
        if self.popup.is_some() || self.editor.is_some() || self.screen != Screen::Task {
            return Vec::new();
        }
        let Some(t) = &self.annotate.task else {
            return Vec::new();
        };
        let at = |r: &ratatui::layout::Rect| {
            ev.column >= r.x
                && ev.column < r.x + r.width
                && ev.row >= r.y
                && ev.row < r.y + r.height
        };
        // Later hits were drawn inside earlier ones: the innermost wins.
        let under: Vec<HitTarget> = t
            .layout
            .hits
            .iter()
            .rev()
            .filter(|h| at(&h.area))
            .map(|h| h.target)
            .collect();
        let focus_at = |f: Focus| t.focusables.iter().position(|x| *x == f);
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                match under
                    .iter()
                    .find(|h| !matches!(h, HitTarget::Panes | HitTarget::Panels))
                {
                    Some(HitTarget::Option(ci, li)) => {
                        let (ci, li) = (*ci, *li);
                        let name = t.config.controls[ci].name.clone();
                        let fi = focus_at(Focus::Control(ci));
                        let t = self.annotate.task.as_mut().expect("task");
                        if let Some(fi) = fi {
                            t.focus = fi;
                        }
                        t.opt_cursor.insert(name, li);
                        self.apply_label(ci, li)
                    }
                    Some(HitTarget::Focus(f)) => {
                        if let Some(fi) = focus_at(*f) {
                            let t = self.annotate.task.as_mut().expect("task");
                            t.focus = fi;
                            t.anchor = None;
                        }
                        Vec::new()
                    }
                    _ => Vec::new(),
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let panels = match under
                    .iter()
                    .find(|h| matches!(h, HitTarget::Panes | HitTarget::Panels))
                {
                    Some(HitTarget::Panels) => true,
                    Some(HitTarget::Panes) => false,
                    _ => return Vec::new(),
                };
                let down = ev.kind == MouseEventKind::ScrollDown;
                // A Pairwise or Ranker is drawn among the panes, not the panels.
                let in_panels = |f: &Focus| match f {
                    Focus::Control(ci) => !matches!(
                        t.config.controls[*ci].kind,
                        ControlKind::Pairwise | ControlKind::Ranker
                    ),
                    Focus::Object(_) => false,
                };
                let in_stack = |f: &Focus| in_panels(f) == panels;
                let n = t.focusables.len();
                let current = t.focus;
                let next = if down {
                    (current + 1..n).find(|i| in_stack(&t.focusables[*i]))
                } else {
                    (0..current).rev().find(|i| in_stack(&t.focusables[*i]))
                }
                .or_else(|| {
                    // From the other stack, the wheel enters this one at its near end.
                    if in_stack(&t.focusables[current.min(n.saturating_sub(1))]) {
                        None
                    } else if down {
                        (0..n).find(|i| in_stack(&t.focusables[*i]))
                    } else {
                        (0..n).rev().find(|i| in_stack(&t.focusables[*i]))
                    }
                });
                if let Some(fi) = next {
                    let t = self.annotate.task.as_mut().expect("task");
                    t.focus = fi;
                    t.anchor = None;
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}
