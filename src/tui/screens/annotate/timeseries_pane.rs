//! The TimeSeries pane: a chart with a time cursor, a selection and the regions drawn as
//! bands. Keys and the mouse move the cursor, select a range, and make, move, resize and
//! relabel `timeserieslabels` regions.
//!
//! The open selection is the task's `anchor` (object name, point index), like a text
//! selection, so Esc, focus changes and label keys treat both alike.
//!
//! Mouse on the chart: a click moves the cursor there, a drag selects the points it
//! passes, the wheel zooms (up: in, down: out) around the cursor and Shift+wheel or a
//! horizontal wheel scrolls a page.

use crate::config::{ControlTag, ObjectKind, ObjectTag};
use crate::task::timeseries::{self as ts, Edge, Series, SeriesError, TimeCursor};
use crate::tui::action::Action;
use crate::tui::app::{App, Effect};
use crate::tui::chart::{ChartStyles, ChartView, region_bands};
use crate::tui::msg::TaskLayout;
use crate::tui::result as res;
use crate::tui::widgets::block;
use crate::util::sanitize;
use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Paragraph;
use serde_json::Value;
use std::sync::Arc;

use super::{Content, Focus, TaskState};

/// A TimeSeries object's chart state: its series (or why it has none) and the cursor.
#[derive(Debug, Clone)]
pub struct TsPane {
    pub series: Result<Arc<Series>, SeriesError>,
    pub cursor: TimeCursor,
}

impl TsPane {
    pub fn series(&self) -> Option<&Arc<Series>> {
        self.series.as_ref().ok()
    }
}

/// Builds (or rebuilds, keeping the cursor) the pane of every TimeSeries whose content is
/// data.
pub(in crate::tui) fn sync_panes(t: &mut TaskState) {
    let names: Vec<String> = t
        .config
        .objects
        .iter()
        .filter(|o| o.kind == ObjectKind::TimeSeries)
        .map(|o| o.name.clone())
        .collect();
    for name in names {
        sync_pane(t, &name);
    }
}

/// Builds the pane of `name` when it is a TimeSeries whose content is data.
pub(in crate::tui) fn sync_pane(t: &mut TaskState, name: &str) {
    if t.config.object(name).map(|o| o.kind) != Some(ObjectKind::TimeSeries) {
        return;
    }
    let Some(Content::Data(v)) = t.contents.get(name) else {
        return;
    };
    let series = Series::from_config(&t.config, name, v).map(Arc::new);
    let len = series.as_ref().map_or(0, |s| s.len());
    match t.timeseries.get_mut(name) {
        Some(p) => {
            p.cursor.resize(len);
            p.series = series;
        }
        None => {
            t.timeseries.insert(
                name.to_string(),
                TsPane {
                    series,
                    cursor: TimeCursor::new(len),
                },
            );
        }
    }
}

/// The open selection on `obj`, ordered, from the task's anchor and the pane's cursor.
pub(in crate::tui) fn selection(t: &TaskState, obj: &str) -> Option<(usize, usize)> {
    let pane = t.timeseries.get(obj)?;
    match &t.anchor {
        Some((o, a)) if o == obj => {
            let c = pane.cursor.cursor();
            Some(((*a).min(c), (*a).max(c)))
        }
        _ => None,
    }
}

impl App {
    /// A key action with a TimeSeries chart focused.
    pub(in crate::tui) fn timeseries_action(&mut self, obj: &ObjectTag, a: Action) -> Vec<Effect> {
        let n = self.annotate.take_count() as isize;
        let t = self.annotate.task.as_mut().expect("task");
        let Some(pane) = t.timeseries.get_mut(&obj.name) else {
            return Vec::new();
        };
        let Some(series) = pane.series().cloned() else {
            return Vec::new();
        };
        let c = &mut pane.cursor;
        match a {
            Action::Left => c.move_by(-n),
            Action::Right => c.move_by(n),
            Action::PageUp => c.page(-n),
            Action::PageDown => c.page(n),
            Action::LineStart => c.to_start(),
            Action::LineEnd => c.to_end(),
            Action::ZoomIn => c.zoom_in(),
            Action::ZoomOut => c.zoom_out(),
            Action::ZoomAll => c.zoom_all(),
            Action::Select => {
                let at = c.cursor();
                t.anchor = match &t.anchor {
                    Some((o, _)) if *o == obj.name => None,
                    _ => Some((obj.name.clone(), at)),
                };
            }
            Action::RegionBack | Action::RegionForward => {
                let d = if a == Action::RegionBack { -n } else { n };
                return self.timeseries_change(&obj.name, &series, None, move |r, s| {
                    ts::move_region(r, s, d)
                });
            }
            Action::RegionStartBack | Action::RegionStartForward => {
                let d = if a == Action::RegionStartBack { -n } else { n };
                return self.timeseries_change(
                    &obj.name,
                    &series,
                    Some(Edge::Start),
                    move |r, s| ts::resize_region(r, s, Edge::Start, d),
                );
            }
            Action::RegionEndBack | Action::RegionEndForward => {
                let d = if a == Action::RegionEndBack { -n } else { n };
                return self.timeseries_change(&obj.name, &series, Some(Edge::End), move |r, s| {
                    ts::resize_region(r, s, Edge::End, d)
                });
            }
            _ => {}
        }
        Vec::new()
    }

    /// Changes the selected region on `obj` with `f`, then brings the cursor to the edge
    /// that moved (`None`: the start) so the change stays in view.
    fn timeseries_change(
        &mut self,
        obj: &str,
        series: &Arc<Series>,
        edge: Option<Edge>,
        f: impl Fn(&mut Value, &Series) -> bool,
    ) -> Vec<Effect> {
        let Some(region) = self.selected_region().filter(|r| res::to_name(r) == obj) else {
            self.info("select a region first (Tab or Alt+.)");
            return Vec::new();
        };
        let Some(id) = res::id_of(&region).map(str::to_string) else {
            return Vec::new();
        };
        let s = series.clone();
        let effects = self.edit(move |_, result| {
            result
                .iter_mut()
                .find(|r| res::id_of(r) == Some(id.as_str()))
                .is_some_and(|r| f(r, &s))
        });
        self.timeseries_follow_selected_edge(edge);
        effects
    }

    /// A label key on a TimeSeries: labels the selection, else the cursor point (an
    /// instant).
    pub(in crate::tui) fn timeseries_label(
        &mut self,
        ctrl: &ControlTag,
        obj: &str,
        key: &str,
    ) -> Vec<Effect> {
        let t = self.annotate.task.as_ref().expect("task");
        let Some(pane) = t.timeseries.get(obj) else {
            return Vec::new();
        };
        let series = match &pane.series {
            Ok(s) if !s.is_empty() => s.clone(),
            Ok(_) => {
                self.info("nothing to label: the series is empty");
                return Vec::new();
            }
            Err(e) => {
                let m = format!("cannot label {obj}: {e}");
                self.info(m);
                return Vec::new();
            }
        };
        let (a, b) = selection(t, obj).unwrap_or_else(|| {
            let c = pane.cursor.cursor();
            (c, c)
        });
        let region = ts::make_region(&series, a, b, ctrl, &[key.to_string()], res::new_id());
        let id = res::id_of(&region).map(str::to_string);
        let effects = self.edit(move |_, r| {
            r.push(region);
            true
        });
        if !effects.is_empty()
            && let Some(t) = &mut self.annotate.task
        {
            t.anchor = None;
            t.selected = id;
        }
        effects
    }

    /// Brings the selected region into its chart's window (after cycling regions).
    pub(in crate::tui) fn timeseries_follow_selected(&mut self) {
        self.timeseries_follow_selected_edge(None);
    }

    fn timeseries_follow_selected_edge(&mut self, edge: Option<Edge>) {
        let Some(region) = self.selected_region() else {
            return;
        };
        let Some(t) = &mut self.annotate.task else {
            return;
        };
        let Some(pane) = t.timeseries.get_mut(res::to_name(&region)) else {
            return;
        };
        let Some(range) = pane.series().and_then(|s| ts::region_range(s, &region)) else {
            return;
        };
        let (a, b) = range;
        match edge {
            Some(Edge::End) => pane.cursor.move_to(b),
            // The end first, then the start: the window shows both when it can.
            _ => {
                pane.cursor.move_to(b);
                pane.cursor.move_to(a);
            }
        }
    }

    /// A mouse event on the task screen: only the charts take it.
    pub(in crate::tui) fn timeseries_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        let Some(t) = &mut self.annotate.task else {
            return Vec::new();
        };
        let hit = t.layout.timeseries.iter().find(|(_, r)| {
            m.column >= r.x && m.column < r.right() && m.row >= r.y && m.row < r.bottom()
        });
        let Some((name, area)) = hit.map(|(n, r)| (n.clone(), *r)) else {
            return Vec::new();
        };
        let Some(pane) = t.timeseries.get_mut(&name) else {
            return Vec::new();
        };
        let (first, last) = pane.cursor.window();
        if pane.cursor.is_empty() || area.width == 0 {
            return Vec::new();
        }
        let points = last - first + 1;
        let col = usize::from(m.column - area.x);
        // The inverse of the chart's point-to-column mapping.
        let point = (first + col * points / usize::from(area.width)).min(last);
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                pane.cursor.move_to(point);
                if t.anchor.as_ref().is_some_and(|(o, _)| *o == name) {
                    t.anchor = None;
                }
                if let Some(oi) = t.config.objects.iter().position(|o| o.name == name)
                    && let Some(fi) = t.focusables.iter().position(|f| *f == Focus::Object(oi))
                {
                    t.focus = fi;
                }
            }
            MouseEventKind::Drag(MouseButton::Left) => {
                if t.anchor.as_ref().is_none_or(|(o, _)| *o != name) {
                    t.anchor = Some((name.clone(), pane.cursor.cursor()));
                }
                pane.cursor.move_to(point);
            }
            MouseEventKind::ScrollUp if m.modifiers.contains(KeyModifiers::SHIFT) => {
                pane.cursor.page(-1)
            }
            MouseEventKind::ScrollDown if m.modifiers.contains(KeyModifiers::SHIFT) => {
                pane.cursor.page(1)
            }
            MouseEventKind::ScrollUp => pane.cursor.zoom_in(),
            MouseEventKind::ScrollDown => pane.cursor.zoom_out(),
            MouseEventKind::ScrollLeft => pane.cursor.page(-1),
            MouseEventKind::ScrollRight => pane.cursor.page(1),
            _ => {}
        }
        Vec::new()
    }
}

/// Draws a TimeSeries pane: the chart inside the pane's block, regions as bands.
pub(super) fn draw(
    f: &mut Frame,
    app: &App,
    o: &ObjectTag,
    area: Rect,
    title: String,
    focused: bool,
    lay: &mut TaskLayout,
) {
    let th = &app.theme;
    let t = app.annotate.task.as_ref().expect("task");
    let outer = block(th, title, focused);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let Some(pane) = t.timeseries.get(&o.name) else {
        return;
    };
    let series = match &pane.series {
        Ok(s) => s,
        Err(e) => {
            f.render_widget(
                Paragraph::new(sanitize(&e.to_string(), false)).style(th.error()),
                inner,
            );
            return;
        }
    };
    lay.timeseries.insert(o.name.clone(), inner);
    let shown: Vec<Value> = super::view::object_regions(app, &o.name)
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    let controls: Vec<&ControlTag> = t
        .config
        .controls
        .iter()
        .filter(|c| c.to_name.contains(&o.name))
        .collect();
    let band = |label: &str| -> Style {
        if th.mono {
            return Style::default().add_modifier(Modifier::REVERSED);
        }
        let color = controls
            .iter()
            .find_map(|c| {
                let i = c.labels.iter().position(|l| l.key == label)?;
                Some(th.label_color(c.labels[i].background.as_deref(), i))
            })
            .unwrap_or(th.labels[0]);
        Style::default().bg(color).fg(Color::Black)
    };
    let bands = region_bands(series, &shown, t.selected.as_deref(), band);
    let channel_styles: Vec<Style> = series
        .channels
        .iter()
        .enumerate()
        .map(|(i, ch)| {
            if th.mono {
                Style::default()
            } else {
                Style::default().fg(th.label_color(ch.stroke_color.as_deref(), i))
            }
        })
        .collect();
    let chart = ChartView {
        series,
        window: pane.cursor.window(),
        cursor: pane.cursor.cursor(),
        selection: selection(t, &o.name),
        regions: &bands,
        channel_styles: &channel_styles,
        styles: ChartStyles::default(),
    };
    f.render_widget(&chart, inner);
}
