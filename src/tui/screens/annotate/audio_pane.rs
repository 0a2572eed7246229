//! The Audio pane when a Labels control targets the audio: a time cursor that steps a
//! tenth or a whole second, a time range opened with the select key (the task's
//! `anchor`, in milliseconds, like a text selection: Esc, focus changes and label keys
//! treat both alike), and the segments drawn on a one-line timeline. A label key makes a
//! segment of the range; the segment's shape lives in `annotate::audio`.

use super::Content;
use super::view::region_color;
use crate::annotate::audio::{self as au, Cell};
use crate::config::{ControlKind, ControlTag, LabelConfig, ObjectTag};
use crate::term_safe::tui_safe;
use crate::tui::action::Action;
use crate::tui::app::{App, Effect};
use crate::tui::keymap::Ctx;
use crate::tui::result as res;
use crate::tui::strings;
use crate::tui::widgets::{block, clip};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use serde_json::Value;

/// One Audio object's state: the time cursor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AudioPane {
    /// The cursor, in milliseconds from the start.
    pub cursor: u64,
}

/// Whether a Labels control makes segments on this Audio object (so that it gets the
/// editing pane).
pub fn edits_audio(config: &LabelConfig, obj: &str) -> bool {
    config.object(obj).map(|o| o.kind) == Some(crate::config::ObjectKind::Audio)
        && config
            .controls
            .iter()
            .any(|c| c.kind == ControlKind::Labels && c.to_name.iter().any(|n| n == obj))
}

impl App {
    /// The length of the audio in seconds: the probed file's, else what a segment of
    /// mine or of a prediction recorded as `original_length`.
    fn audio_duration(&self, obj: &str) -> Option<f64> {
        let t = self.annotate.task.as_ref()?;
        match t.contents.get(obj) {
            Some(Content::Media {
                duration: Some(d), ..
            }) if d.is_finite() && *d > 0.0 => Some(*d),
            _ => au::length_from_results(
                t.draft.result().iter().chain(t.predicted.iter().flatten()),
                obj,
            ),
        }
    }

    fn audio_cursor(&self, obj: &str) -> u64 {
        self.annotate
            .task
            .as_ref()
            .and_then(|t| t.audio.get(obj))
            .map_or(0, |p| p.cursor)
    }

    fn set_audio_cursor(&mut self, obj: &str, ms: u64) {
        let last = au::end_ms(self.audio_duration(obj));
        let t = self.annotate.task.as_mut().expect("task");
        t.audio.entry(obj.to_string()).or_default().cursor = ms.min(last);
    }

    /// What a key does with an audio focused.
    pub(in crate::tui) fn audio_action(&mut self, obj: &ObjectTag, a: Action) -> Vec<Effect> {
        let name = obj.name.clone();
        let Some(t) = &self.annotate.task else {
            return Vec::new();
        };
        if !edits_audio(&t.config, &name) {
            return Vec::new();
        }
        let now = self.audio_cursor(&name);
        let duration = self.audio_duration(&name);
        match a {
            Action::Left | Action::Right | Action::CoarseLeft | Action::CoarseRight => {
                let n = self.annotate.take_count() as u64;
                let unit = if matches!(a, Action::CoarseLeft | Action::CoarseRight) {
                    au::COARSE_MS
                } else {
                    au::STEP_MS
                };
                let step = unit.saturating_mul(n);
                let to = if matches!(a, Action::Left | Action::CoarseLeft) {
                    now.saturating_sub(step)
                } else {
                    now.saturating_add(step)
                };
                self.set_audio_cursor(&name, to);
            }
            Action::LineStart => self.set_audio_cursor(&name, 0),
            Action::LineEnd => match duration {
                Some(d) => self.set_audio_cursor(&name, au::end_ms(Some(d))),
                None => self.info(strings::AUDIO_LENGTH_UNKNOWN),
            },
            Action::Select => {
                let t = self.annotate.task.as_mut().expect("task");
                let open = t.anchor.as_ref().is_some_and(|(o, _)| *o == name);
                t.anchor = if open {
                    None
                } else {
                    Some((name.clone(), usize::try_from(now).unwrap_or(usize::MAX)))
                };
                let msg = if open {
                    strings::AUDIO_RANGE_DROPPED.to_string()
                } else {
                    strings::audio_range_started(au::seconds(now, duration))
                };
                self.info(msg);
            }
            _ => {}
        }
        Vec::new()
    }

    /// A label key with a range open on an audio: a new segment over the range, selected.
    pub(in crate::tui) fn audio_label(
        &mut self,
        ctrl: &ControlTag,
        obj: &str,
        key: &str,
    ) -> Vec<Effect> {
        let t = self.annotate.task.as_ref().expect("task");
        let start = match &t.anchor {
            Some((o, a)) if o == obj => *a as u64,
            _ => {
                let k = strings::key_in(&self.keymap, Ctx::Audio, Action::Select);
                self.info(strings::audio_needs_range(&k, key));
                return Vec::new();
            }
        };
        let end = self.audio_cursor(obj);
        if start == end {
            self.info(strings::AUDIO_RANGE_EMPTY);
            return Vec::new();
        }
        let duration = self.audio_duration(obj);
        let region = au::segment(ctrl, obj, start, end, key, duration);
        let id = res::id_of(&region).map(str::to_string);
        let span = au::span_of(&region);
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
        if let Some((s, e)) = span {
            self.info(strings::audio_segment_made(key, s, e));
        }
        effects
    }

    /// A segment just selected (Tab) brings the cursor to its start.
    pub(in crate::tui) fn audio_follow_selected(&mut self) {
        let Some(r) = self.selected_region() else {
            return;
        };
        let obj = res::to_name(&r).to_string();
        let Some(t) = &self.annotate.task else {
            return;
        };
        if !edits_audio(&t.config, &obj) {
            return;
        }
        if let Some((s, _)) = au::span_of(&r) {
            self.set_audio_cursor(&obj, (s.max(0.0) * 1000.0).round() as u64);
        }
    }
}

/// Draws the Audio pane: the file and its length, the cursor and the open range, the
/// timeline of segments, and a note with the keys.
pub(super) fn draw(
    f: &mut Frame,
    app: &App,
    o: &ObjectTag,
    area: Rect,
    title: String,
    focused: bool,
) {
    let th = &app.theme;
    let Some(t) = &app.annotate.task else {
        return;
    };
    let outer = block(th, title, focused);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let w = usize::from(inner.width);
    let (shown, error) = match t.contents.get(&o.name) {
        Some(Content::Media { shown, error, .. }) => (shown.as_str(), error.as_deref()),
        _ => ("", None),
    };
    let duration = app.audio_duration(&o.name);
    let now = app.audio_cursor(&o.name);
    let now_s = au::seconds(now, duration);
    let mark = match &t.anchor {
        Some((n, a)) if *n == o.name => Some(*a as u64),
        _ => None,
    };
    let selected = t.selected.as_deref();
    let regions: Vec<(Value, bool, (f64, f64))> = super::view::object_regions(app, &o.name)
        .into_iter()
        .filter_map(|(r, p)| au::span_of(&r).map(|s| (r, p, s)))
        .collect();

    let head = Line::from(vec![
        Span::styled("♪ audio  ", th.accent()),
        Span::raw(clip(shown, w.saturating_sub(9))),
    ]);
    let mut status = vec![Span::styled(
        format!("{now_s:.2} s"),
        th.accent().add_modifier(Modifier::BOLD),
    )];
    status.push(Span::styled(
        match duration {
            Some(d) => format!(" / {d:.2} s"),
            None => strings::AUDIO_LENGTH_UNKNOWN_SHORT.to_string(),
        },
        th.dim(),
    ));
    if let Some(m) = mark {
        let (a, b) = (m.min(now), m.max(now));
        status.push(Span::raw(format!(
            " · range {:.2}–{:.2} s",
            au::seconds(a, duration),
            au::seconds(b, duration)
        )));
    }
    if let Some((r, _, (s, e))) = regions
        .iter()
        .find(|(r, _, _)| selected.is_some() && res::id_of(r) == selected)
    {
        let labels = res::labels_of(r).join(", ");
        status.push(Span::styled(
            format!(" · {} {s:.2}–{e:.2} s", tui_safe(&labels, false)),
            th.cursor(),
        ));
    }
    let note = match error {
        Some(e) => Line::from(Span::styled(
            clip(&strings::audio_not_readable(e), w),
            th.error(),
        )),
        None => Line::from(Span::styled(
            clip(
                &strings::audio_note(
                    &strings::key_in(&app.keymap, Ctx::Audio, Action::Select),
                    regions.len(),
                ),
                w,
            ),
            th.dim(),
        )),
    };

    // The timeline spans the file, or what is known of it.
    let total = duration.unwrap_or_else(|| {
        let far = regions.iter().map(|(_, _, (_, e))| *e).fold(0.0, f64::max);
        let cur = now.max(mark.unwrap_or(0)) as f64 / 1000.0;
        far.max(cur).max(1.0)
    });
    let spans: Vec<(f64, f64)> = regions.iter().map(|(_, _, s)| *s).collect();
    let cells = au::timeline(&spans, total, w);
    let range = mark.map(|m| {
        let (a, b) = (m.min(now) as f64 / 1000.0, m.max(now) as f64 / 1000.0);
        (au::column(a, total, w), au::column(b, total, w))
    });
    let cursor_col = au::column(now_s, total, w);
    let timeline: Vec<Span> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let in_range = range.is_some_and(|(a, b)| (a..=b).contains(&i));
            if i == cursor_col {
                return Span::styled("┃", th.accent().add_modifier(Modifier::BOLD));
            }
            match c {
                Cell::Segment(k) => {
                    let (r, predicted, _) = &regions[*k];
                    let is_sel = selected.is_some() && res::id_of(r) == selected;
                    let mut st = if th.mono {
                        Style::default()
                    } else {
                        th.region_style(region_color(app, &t.config, r), *predicted)
                    };
                    if is_sel {
                        st = st.patch(th.cursor());
                    }
                    if in_range {
                        st = st.add_modifier(Modifier::UNDERLINED);
                    }
                    Span::styled(if is_sel { "▓" } else { "█" }, st)
                }
                Cell::Empty if in_range => Span::styled("░", th.accent()),
                Cell::Empty => Span::styled("─", th.dim()),
            }
        })
        .collect();

    // The timeline and the cursor matter most when rows are short.
    let lines: Vec<Line> = match inner.height {
        1 => vec![Line::from(timeline)],
        2 => vec![Line::from(status), Line::from(timeline)],
        3 => vec![head, Line::from(status), Line::from(timeline)],
        _ => vec![head, Line::from(status), Line::from(timeline), note],
    };
    f.render_widget(Paragraph::new(lines), inner);
}
