//! The annotate screen's text panes (Text, HyperText, Paragraphs): moving the cursor,
//! selections snapped to the object's granularity, labeling spans, the mouse, drawing.

use crate::config::{ControlTag, ObjectTag};
use crate::term_safe;
use crate::tui::action::Action;
use crate::tui::app::{App, Effect, ImageGeom, ViewSource};
use crate::tui::msg::TaskLayout;
use crate::tui::result as res;
use crate::tui::strings;
use crate::tui::text::{Edge, Granularity, SpanDoc};
use crate::tui::widgets::block;
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use serde_json::{Value, json};
use std::sync::Arc;

use super::view::{object_regions, region_color};
use super::{Content, Focus, TaskState};

impl App {
    pub(in crate::tui) fn doc(&self, obj: &str) -> Option<Arc<SpanDoc>> {
        match self.annotate.task.as_ref()?.contents.get(obj)? {
            Content::Doc(d) => Some(d.clone()),
            _ => None,
        }
    }

    /// How far selections on this object extend (its `granularity` attribute).
    pub(in crate::tui) fn granularity(&self, obj: &str) -> Granularity {
        let attr = self
            .annotate
            .task
            .as_ref()
            .and_then(|t| t.config.object(obj))
            .and_then(|o| o.attr("granularity"));
        Granularity::from_attr(attr)
    }

    /// A text action on the focused text object. Every cursor motion ends a region
    /// selection, so the next label key makes a new span instead of relabelling the last.
    pub(in crate::tui) fn text_action(&mut self, obj: &ObjectTag, a: Action) -> Vec<Effect> {
        let Some(doc) = self.doc(&obj.name) else {
            return Vec::new();
        };
        if matches!(
            a,
            Action::SpanGrowLeft
                | Action::SpanShrinkLeft
                | Action::SpanGrowRight
                | Action::SpanShrinkRight
        ) {
            return self.move_span_edge(obj, &doc, a);
        }
        let count = self.annotate.take_count();
        let t = self.annotate.task.as_mut().expect("task");
        let cur = *t.text_cursor.get(&obj.name).unwrap_or(&0);
        let width = t
            .layout
            .image_geom
            .get(&format!("text:{}", obj.name))
            .map_or(60, |g| g.cols);
        let lines = doc.layout(width);
        let line_of = |i: usize| lines.iter().rposition(|(s, _)| *s <= i).unwrap_or(0);
        let col_in = |l: usize, i: usize| i.saturating_sub(lines[l].0);
        let at = |l: usize, col: usize| {
            let (s, e) = lines[l];
            let i = (s + col).min(e.saturating_sub(1).max(s));
            doc.grapheme_at(i.min(doc.len().saturating_sub(1))).0
        };
        let next = match a {
            Action::Left => (0..count).fold(cur, |i, _| doc.prev(i)),
            Action::Right => (0..count).fold(cur, |i, _| doc.next(i)),
            Action::WordNext => doc.word_start_next(cur, count),
            Action::WordPrev => doc.word_start_prev(cur, count),
            Action::WordEnd => doc.word_end_next(cur, count),
            Action::SentenceNext => doc.sentence_next(cur, count),
            Action::SentencePrev => doc.sentence_prev(cur, count),
            Action::Up | Action::PageUp => {
                let l = line_of(cur);
                let step = if a == Action::Up { 1 } else { 10 } * count;
                at(l.saturating_sub(step), col_in(l, cur))
            }
            Action::Down | Action::PageDown => {
                let l = line_of(cur);
                let step = if a == Action::Down { 1 } else { 10 } * count;
                at((l + step).min(lines.len() - 1), col_in(l, cur))
            }
            Action::LineStart => lines[line_of(cur)].0,
            Action::LineEnd => {
                let (s, e) = lines[line_of(cur)];
                if e > s { doc.grapheme_at(e - 1).0 } else { s }
            }
            Action::Select => {
                t.anchor = match &t.anchor {
                    Some((o, _)) if *o == obj.name => None,
                    _ => Some((obj.name.clone(), cur)),
                };
                cur
            }
            _ => return Vec::new(),
        };
        if a != Action::Select {
            t.selected = None;
        }
        let back = matches!(
            a,
            Action::Left | Action::WordPrev | Action::SentencePrev | Action::Up | Action::PageUp
        );
        set_cursor(t, &doc, &obj.name, next, back);
        Vec::new()
    }

    /// `<`, `>`, Alt-h, Alt-l: one edge of the selection in progress, else of the selected
    /// span on this object, moves by units of the object's granularity.
    fn move_span_edge(&mut self, obj: &ObjectTag, doc: &SpanDoc, a: Action) -> Vec<Effect> {
        let count = self.annotate.take_count();
        let g = self.granularity(&obj.name);
        let (edge, grow) = match a {
            Action::SpanGrowLeft => (Edge::Left, true),
            Action::SpanShrinkLeft => (Edge::Left, false),
            Action::SpanGrowRight => (Edge::Right, true),
            _ => (Edge::Right, false),
        };
        let change = |range: (usize, usize)| {
            if grow {
                doc.grow_edge(range, edge, g, count)
            } else {
                doc.shrink_edge(range, edge, g, count)
            }
        };
        let t = self.annotate.task.as_mut().expect("task");
        if let Some((_, anchor)) = t.anchor.clone().filter(|(o, _)| *o == obj.name) {
            let cur = *t.text_cursor.get(&obj.name).unwrap_or(&0);
            let (s, e) = change(doc.selection_range(anchor, cur, g));
            if e > s {
                t.anchor = Some((obj.name.clone(), s));
                t.text_cursor
                    .insert(obj.name.clone(), doc.grapheme_at(e - 1).0);
            }
            return Vec::new();
        }
        let Some(id) = t.selected.clone() else {
            self.info(strings::no_span_selected(&self.keymap));
            return Vec::new();
        };
        let Some(region) = t
            .draft
            .result()
            .iter()
            .find(|r| res::id_of(r) == Some(id.as_str()) && res::to_name(r) == obj.name)
            .cloned()
        else {
            self.info(strings::no_span_selected(&self.keymap));
            return Vec::new();
        };
        let Some(range) = doc.region_range(&region["value"]) else {
            return Vec::new();
        };
        let (s, e) = change(range);
        if (s, e) == range {
            return Vec::new();
        }
        let Some(span) = doc.span_value(s, e) else {
            return Vec::new();
        };
        self.edit(move |_, result| {
            let mut changed = false;
            for r in result
                .iter_mut()
                .filter(|r| res::id_of(r) == Some(id.as_str()))
            {
                if let Some(v) = r["value"].as_object_mut() {
                    for (k, x) in &span {
                        v.insert(k.clone(), x.clone());
                    }
                }
                if r.get("origin").and_then(Value::as_str) == Some("prediction") {
                    r["origin"] = json!("prediction-changed");
                }
                changed = true;
            }
            changed
        })
    }

    /// The display range a label key would turn into a span on this object: the
    /// selection, else the word under the cursor, snapped to the object's granularity.
    pub fn pending_span(&self, obj: &str) -> Option<(usize, usize)> {
        let t = self.annotate.task.as_ref()?;
        let doc = self.doc(obj)?;
        if doc.is_empty() {
            return None;
        }
        let g = self.granularity(obj);
        let cur = *t.text_cursor.get(obj).unwrap_or(&0);
        match &t.anchor {
            Some((o, a)) if o == obj => Some(doc.selection_range(*a, cur, g)),
            _ => {
                let (s, e) = doc.word_at(cur);
                Some(doc.snap(s, e, g))
            }
        }
    }

    /// A label key on a text object: the selection, else the word under the cursor,
    /// becomes a new span. The span stays selected (for perRegion controls and the edge
    /// keys) until the cursor moves; the cursor goes on to the word after it, ready for
    /// the next entity.
    pub(in crate::tui) fn label_text_span(
        &mut self,
        ctrl: &ControlTag,
        obj_name: &str,
        key: &str,
    ) -> Vec<Effect> {
        let Some((a, b)) = self.pending_span(obj_name) else {
            return Vec::new();
        };
        let Some(doc) = self.doc(obj_name) else {
            return Vec::new();
        };
        let Some(mut value) = doc.span_value(a, b) else {
            self.info("nothing to label there");
            return Vec::new();
        };
        let vk = ctrl.value_key().unwrap_or("labels").to_string();
        value.insert(vk, json!([key]));
        let region = res::region(ctrl, obj_name, None, value);
        let id = res::id_of(&region).map(str::to_string);
        let e = self.edit(move |_, r| {
            r.push(region);
            true
        });
        if let Some(t) = &mut self.annotate.task {
            t.anchor = None;
            t.selected = id;
            let after = doc.word_start_next(b.saturating_sub(1).max(a), 1);
            set_cursor(t, &doc, obj_name, after, false);
        }
        e
    }

    /// A mouse event on the task screen: text panes take clicks, drags and the wheel.
    pub(in crate::tui) fn text_mouse(&mut self, ev: MouseEvent) -> Vec<Effect> {
        let Some(t) = self.annotate.task.as_ref() else {
            return Vec::new();
        };
        let at = Position::new(ev.column, ev.row);
        let hit = t
            .layout
            .text_panes
            .iter()
            .find(|(_, r)| r.contains(at))
            .map(|(n, r)| (n.clone(), *r));
        let Some((name, rect)) = hit.or_else(|| {
            // A drag goes on in the pane it started in, even past its edges.
            matches!(ev.kind, MouseEventKind::Drag(MouseButton::Left))
                .then(|| t.text_drag.clone())
                .flatten()
                .and_then(|n| t.layout.text_panes.get(&n).map(|r| (n, *r)))
        }) else {
            return Vec::new();
        };
        let Some(doc) = self.doc(&name) else {
            return Vec::new();
        };
        let t = self.annotate.task.as_mut().expect("task");
        let lines = doc.layout(rect.width);
        let scroll = t.layout.scroll.get(&name).copied().unwrap_or(0);
        match ev.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let h = usize::from(rect.height.max(1));
                let max = lines.len().saturating_sub(h);
                let next = if ev.kind == MouseEventKind::ScrollUp {
                    scroll.saturating_sub(3)
                } else {
                    (scroll + 3).min(max)
                };
                t.layout.scroll.insert(name.clone(), next);
                // The cursor stays in view (the pane keeps it visible when drawn).
                let cur = *t.text_cursor.get(&name).unwrap_or(&0);
                let line = lines.iter().rposition(|(s, _)| *s <= cur).unwrap_or(0);
                let keep = line.clamp(next, (next + h - 1).min(lines.len() - 1));
                if keep != line {
                    set_cursor(t, &doc, &name, lines[keep].0, false);
                }
                Vec::new()
            }
            MouseEventKind::Down(MouseButton::Left) => {
                let pos = position_at(&doc, &lines, scroll, rect, at);
                if let Some(fi) = t.config.objects.iter().position(|o| o.name == name)
                    && let Some(k) = t.focusables.iter().position(|f| *f == Focus::Object(fi))
                {
                    t.focus = k;
                }
                t.anchor = None;
                t.text_drag = Some(name.clone());
                set_cursor(t, &doc, &name, pos, false);
                t.selected = None;
                // A click on a span selects it.
                let hit = self
                    .regions()
                    .into_iter()
                    .filter(|r| res::to_name(r) == name)
                    .filter_map(|r| {
                        let (s, e) = doc.region_range(&r["value"])?;
                        (s <= pos && pos < e).then(|| (e - s, res::id_of(&r).map(str::to_string)))
                    })
                    .min_by_key(|(len, _)| *len)
                    .and_then(|(_, id)| id);
                if let Some(t) = &mut self.annotate.task {
                    t.selected = hit;
                }
                Vec::new()
            }
            MouseEventKind::Drag(MouseButton::Left) => {
                if t.text_drag.as_deref() != Some(name.as_str()) {
                    return Vec::new();
                }
                let pos = position_at(&doc, &lines, scroll, rect, at);
                let start = *t.text_cursor.get(&name).unwrap_or(&0);
                if t.anchor.is_none() {
                    t.anchor = Some((name.clone(), start));
                }
                t.selected = None;
                set_cursor(t, &doc, &name, pos, false);
                Vec::new()
            }
            MouseEventKind::Up(_) => {
                t.text_drag = None;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}

/// Puts the cursor of text object `obj` at display index `i`, stepping over
/// display-only characters (speaker names, added line breaks) in the direction moved.
fn set_cursor(t: &mut TaskState, doc: &SpanDoc, obj: &str, i: usize, back: bool) {
    let mut next = i.min(doc.last());
    if doc.map.get(next).is_some_and(Option::is_none) {
        let found = if back {
            (0..next).rev().find(|i| doc.map[*i].is_some())
        } else {
            (next..doc.len()).find(|i| doc.map[*i].is_some())
        };
        if let Some(i) = found {
            next = doc.grapheme_at(i).0;
        }
    }
    t.text_cursor.insert(obj.to_string(), next);
}

/// The display index under screen cell `at` of a text pane drawn in `rect` from line
/// `scroll`: the grapheme whose columns cover it, else the line's last one.
fn position_at(
    doc: &SpanDoc,
    lines: &[(usize, usize)],
    scroll: usize,
    rect: Rect,
    at: Position,
) -> usize {
    if lines.is_empty() {
        return 0;
    }
    let row = usize::from(
        at.y.saturating_sub(rect.y)
            .min(rect.height.saturating_sub(1)),
    );
    let (s, e) = lines[(scroll + row).min(lines.len() - 1)];
    let col = usize::from(at.x.saturating_sub(rect.x));
    let mut x = 0;
    let mut i = s;
    while i < e {
        let (gs, ge) = doc.grapheme_at(i);
        let g: String = doc.display[gs..ge.max(gs + 1).min(e)].iter().collect();
        x += term_safe::grapheme_width(&g).max(1);
        if col < x {
            return gs;
        }
        i = ge.max(gs + 1);
    }
    if e > s { doc.grapheme_at(e - 1).0 } else { s }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn draw_doc(
    f: &mut Frame,
    app: &App,
    o: &ObjectTag,
    doc: &SpanDoc,
    area: Rect,
    title: String,
    focused: bool,
    lay: &mut TaskLayout,
) {
    let t = app.annotate.task.as_ref().expect("task");
    let th = &app.theme;
    let b = block(th, title, focused);
    let inner = b.inner(area);
    f.render_widget(b, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    lay.image_geom.insert(
        format!("text:{}", o.name),
        ImageGeom {
            width_px: 0,
            height_px: 0,
            cols: inner.width,
            rows: inner.height,
        },
    );
    lay.text_panes.insert(o.name.clone(), inner);
    let lines = doc.layout(inner.width);
    let n = doc.len();
    // Per display char styles: regions (mine solid, predictions underlined), selection, cursor.
    let mut styles: Vec<Style> = vec![th.base(); n];
    for (i, m) in doc.map.iter().enumerate() {
        if m.is_none() {
            styles[i] = th.dim();
        }
    }
    let selected = t.selected.clone();
    let regs = object_regions(app, &o.name);
    for (r, pred) in regs
        .iter()
        .filter(|(_, p)| *p)
        .chain(regs.iter().filter(|(_, p)| !*p))
    {
        if let Some((a, b)) = doc.region_range(&r["value"]) {
            let col = region_color(app, &t.config, r);
            let mut st = th.region_style(col, *pred);
            if selected
                .as_deref()
                .is_some_and(|s| res::id_of(r) == Some(s))
            {
                st = st.add_modifier(Modifier::BOLD | Modifier::UNDERLINED | Modifier::REVERSED);
            }
            for s in styles.iter_mut().take(b.min(n)).skip(a) {
                *s = s.patch(st);
            }
        }
    }
    let cursor = *t.text_cursor.get(&o.name).unwrap_or(&0);
    if focused && t.source == ViewSource::Mine {
        if let Some((a, b)) = t
            .anchor
            .as_ref()
            .filter(|(on, _)| *on == o.name)
            .and_then(|_| app.pending_span(&o.name))
        {
            for s in styles.iter_mut().take(b.min(n)).skip(a) {
                *s = s.patch(th.selection());
            }
        }
        if cursor < n {
            let (a, b) = doc.grapheme_at(cursor);
            for s in styles.iter_mut().take(b.max(a + 1).min(n)).skip(a) {
                *s = s.patch(th.cursor());
            }
        }
    }
    // Keep the cursor line visible.
    let cur_line = lines.iter().rposition(|(s, _)| *s <= cursor).unwrap_or(0);
    let h = inner.height as usize;
    let mut scroll = t.layout.scroll.get(&o.name).copied().unwrap_or(0);
    if cur_line < scroll {
        scroll = cur_line;
    } else if cur_line >= scroll + h {
        scroll = cur_line + 1 - h;
    }
    lay.scroll.insert(o.name.clone(), scroll);
    let mut out = Vec::new();
    for (s, e) in lines.iter().skip(scroll).take(h) {
        let mut spans = Vec::new();
        let mut i = *s;
        while i < *e {
            let (gs, ge) = doc.grapheme_at(i);
            let ge = ge.max(gs + 1).min(*e);
            let g: String = doc.display[gs..ge].iter().collect();
            spans.push(Span::styled(g, styles[gs]));
            i = ge;
        }
        if spans.is_empty() && focused && cursor == *s && cursor >= n {
            spans.push(Span::styled(" ", th.cursor()));
        }
        out.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(out), inner);
}
