//! The annotate screen's text panes (Text, HyperText, Paragraphs): moving the cursor,
//! selections snapped to the object's granularity, labeling spans, the mouse, drawing.

use crate::config::{ControlTag, ObjectTag};
use crate::tui::action::Action;
use crate::tui::app::{App, Effect, ImageGeom, ViewSource};
use crate::tui::msg::TaskLayout;
use crate::tui::result as res;
use crate::tui::text::SpanDoc;
use crate::tui::widgets::block;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use serde_json::json;
use std::sync::Arc;

use super::Content;
use super::view::{object_regions, region_color};

impl App {
    pub(in crate::tui) fn doc(&self, obj: &str) -> Option<Arc<SpanDoc>> {
        match self.task.as_ref()?.contents.get(obj)? {
            Content::Doc(d) => Some(d.clone()),
            _ => None,
        }
    }

    pub(in crate::tui) fn text_action(&mut self, obj: &crate::config::ObjectTag, a: Action) {
        let Some(doc) = self.doc(&obj.name) else {
            return;
        };
        let t = self.task.as_mut().expect("task");
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
            Action::Left => doc.prev(cur),
            Action::Right => doc.next(cur),
            Action::WordNext => doc.word_next(cur),
            Action::WordPrev => doc.word_prev(cur),
            Action::Up | Action::PageUp => {
                let l = line_of(cur);
                let step = if a == Action::Up { 1 } else { 10 };
                at(l.saturating_sub(step), col_in(l, cur))
            }
            Action::Down | Action::PageDown => {
                let l = line_of(cur);
                let step = if a == Action::Down { 1 } else { 10 };
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
            _ => cur,
        };
        // Display-only characters (speaker names, added line breaks) are skipped over.
        let mut next = next.min(doc.last());
        if doc.map.get(next).is_some_and(Option::is_none) {
            let back = matches!(a, Action::Left | Action::WordPrev);
            let found = if back {
                (0..next).rev().find(|i| doc.map[*i].is_some())
            } else {
                (next..doc.len()).find(|i| doc.map[*i].is_some())
            };
            if let Some(i) = found {
                next = doc.grapheme_at(i).0;
            }
        }
        t.text_cursor.insert(obj.name.clone(), next);
    }

    /// The display range a label key would turn into a span on this object: the
    /// selection, else the word under the cursor.
    pub fn pending_span(&self, obj: &str) -> Option<(usize, usize)> {
        let t = self.task.as_ref()?;
        let doc = self.doc(obj)?;
        if doc.is_empty() {
            return None;
        }
        let cur = *t.text_cursor.get(obj).unwrap_or(&0);
        match &t.anchor {
            Some((o, a)) if o == obj => {
                let (s, e) = ((*a).min(cur), (*a).max(cur));
                Some((doc.grapheme_at(s).0, doc.grapheme_at(e).1))
            }
            _ => Some(doc.word_at(cur)),
        }
    }

    /// A label key on a text object: the selection, else the word under the cursor,
    /// becomes a new span.
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
        if let Some(t) = &mut self.task {
            t.anchor = None;
            t.selected = id;
        }
        e
    }
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
    let t = app.task.as_ref().expect("task");
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
