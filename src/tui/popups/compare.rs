//! The compare popup: two results of one task side by side (an annotation against a
//! prediction, or one annotator against another), region by region as
//! `review::diff` pairs them, grouped per control, differences marked, with a summary.
//! Keys switch which two of the task's results are compared. Under 100 columns the two
//! sides stack.

use super::hints_of;
use crate::config::LabelConfig;
use crate::review::{DiffKind, describe, diff};
use crate::store::{AnnotationRow, PredictionRow, TaskFull};
use crate::tui::action::Action;
use crate::tui::keymap::{Ctx, Keymap};
use crate::tui::strings;
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, centered, clip};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use serde_json::Value;
use std::sync::Arc;

/// Below this width the two sides are drawn one above the other.
pub const SIDE_BY_SIDE_MIN_WIDTH: u16 = 100;

/// A result to compare: a label (`ann #3 alice`, `pred #5 model-v2`) and its result list.
pub type Source = (String, Vec<Value>);

/// How the regions of the two sides compare.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub same: usize,
    pub changed: usize,
    pub only_left: usize,
    pub only_right: usize,
}

/// What one compared row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Same,
    Changed,
    OnlyLeft,
    OnlyRight,
}

impl Mark {
    pub fn symbol(self) -> char {
        match self {
            Mark::Same => '=',
            Mark::Changed => '~',
            Mark::OnlyLeft => '<',
            Mark::OnlyRight => '>',
        }
    }
}

/// A line of the comparison, before it is laid out for a width.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// A control's name, above its regions.
    Control(String),
    /// A pair of regions (one side empty when only the other has it), and for a changed
    /// pair the fields that differ.
    Pair {
        mark: Mark,
        left: String,
        right: String,
        changes: String,
    },
}

#[derive(Debug, Clone)]
pub struct ComparePopup {
    config: Arc<LabelConfig>,
    pub sources: Vec<Source>,
    pub left: usize,
    pub right: usize,
    /// First line shown.
    pub scroll: usize,
    /// Lines of the body and its width as last drawn (page keys move by the height; the
    /// width decides whether sides stack).
    pub height: usize,
    pub width: u16,
    pub rows: Vec<Row>,
    pub summary: Summary,
}

/// The config is parsed once and never changes while the popup is open.
impl PartialEq for ComparePopup {
    fn eq(&self, o: &Self) -> bool {
        Arc::ptr_eq(&self.config, &o.config)
            && self.sources == o.sources
            && (self.left, self.right, self.scroll, self.height)
                == (o.left, o.right, o.scroll, o.height)
    }
}

impl ComparePopup {
    /// Compares `sources[0]` (left) with `sources[1]` (right), or the one source with
    /// itself.
    pub fn new(config: &LabelConfig, sources: Vec<Source>) -> ComparePopup {
        let right = usize::from(sources.len() > 1);
        Self::with_sides(config, sources, 0, right)
    }

    /// Compares `sources[left]` with `sources[right]`.
    pub fn with_sides(
        config: &LabelConfig,
        sources: Vec<Source>,
        left: usize,
        right: usize,
    ) -> ComparePopup {
        let n = sources.len().max(1);
        let mut p = ComparePopup {
            config: Arc::new(config.clone()),
            sources,
            left: left % n,
            right: right % n,
            scroll: 0,
            height: 20,
            width: SIDE_BY_SIDE_MIN_WIDTH,
            rows: Vec::new(),
            summary: Summary::default(),
        };
        p.compute();
        p
    }

    fn side(&self, i: usize) -> &[Value] {
        self.sources.get(i).map_or(&[], |s| s.1.as_slice())
    }

    pub fn left_label(&self) -> &str {
        self.sources.get(self.left).map_or("", |s| s.0.as_str())
    }

    pub fn right_label(&self) -> &str {
        self.sources.get(self.right).map_or("", |s| s.0.as_str())
    }

    /// The rows and summary of the two sources compared now.
    fn compute(&mut self) {
        let d = diff(self.side(self.left), self.side(self.right));
        let cfg = &self.config;
        let mut rows = Vec::new();
        let mut s = Summary::default();
        for (control, entries) in d.by_control() {
            rows.push(Row::Control(control.to_string()));
            for e in entries {
                let side =
                    |v: &Option<Value>| v.as_ref().map(|r| describe(cfg, r)).unwrap_or_default();
                let (mark, changes) = match &e.kind {
                    DiffKind::Unchanged => (Mark::Same, String::new()),
                    DiffKind::Removed => (Mark::OnlyLeft, String::new()),
                    DiffKind::Added => (Mark::OnlyRight, String::new()),
                    DiffKind::Changed(f) => (
                        Mark::Changed,
                        f.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                };
                match mark {
                    Mark::Same => s.same += 1,
                    Mark::Changed => s.changed += 1,
                    Mark::OnlyLeft => s.only_left += 1,
                    Mark::OnlyRight => s.only_right += 1,
                }
                rows.push(Row::Pair {
                    mark,
                    left: side(&e.before),
                    right: side(&e.after),
                    changes,
                });
            }
        }
        self.rows = rows;
        self.summary = s;
        self.scroll = 0;
    }

    pub fn set_size(&mut self, height: usize, width: u16) {
        self.height = height;
        self.width = width;
        self.scroll = self.scroll.min(self.max_scroll());
    }

    /// How many lines the body has at `width` columns (as [`ComparePopup::body`] lays
    /// them out).
    pub fn line_count(&self, width: u16) -> usize {
        let per_side = if width >= SIDE_BY_SIDE_MIN_WIDTH {
            1
        } else {
            2
        };
        usize::from(self.sources.len() < 2)
            + self
                .rows
                .iter()
                .map(|r| match r {
                    Row::Control(_) => 1,
                    Row::Pair { changes, .. } => per_side + usize::from(!changes.is_empty()),
                })
                .sum::<usize>()
    }

    fn max_scroll(&self) -> usize {
        self.line_count(self.width).saturating_sub(self.height)
    }

    pub fn update(&mut self, a: Action) -> super::Reply {
        let n = self.sources.len().max(1);
        let page = self.height.max(1);
        let last = self.max_scroll();
        match a {
            Action::Down => self.scroll = (self.scroll + 1).min(last),
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::PageDown => self.scroll = (self.scroll + page).min(last),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(page),
            Action::Top => self.scroll = 0,
            Action::Bottom => self.scroll = last,
            Action::CompareLeft => {
                self.left = (self.left + 1) % n;
                self.compute();
            }
            Action::CompareRight => {
                self.right = (self.right + 1) % n;
                self.compute();
            }
            Action::SwapSides => {
                std::mem::swap(&mut self.left, &mut self.right);
                self.compute();
            }
            Action::Cancel | Action::Compare => return super::Reply::Close,
            _ => {}
        }
        super::Reply::Keep
    }

    pub fn hints(&self, km: &Keymap) -> Vec<(String, String)> {
        hints_of(
            km,
            Ctx::Compare,
            &[
                (Action::CompareLeft, "left source"),
                (Action::CompareRight, "right source"),
                (Action::SwapSides, "swap"),
                (Action::Down, "scroll"),
                (Action::Cancel, "close"),
            ],
        )
    }

    /// The body laid out for `width` columns: one line a pair side by side from
    /// [`SIDE_BY_SIDE_MIN_WIDTH`] columns, else a line per side.
    pub fn body(&self, theme: &Theme, width: u16) -> Vec<Line<'static>> {
        let w = width as usize;
        let wide = width >= SIDE_BY_SIDE_MIN_WIDTH;
        let style = |m: Mark| match m {
            Mark::Same => theme.dim(),
            Mark::Changed => theme.warn(),
            Mark::OnlyLeft => theme.error(),
            Mark::OnlyRight => theme.ok(),
        };
        let mut out = Vec::new();
        if self.sources.len() < 2 {
            out.push(Line::from(Span::styled(
                clip(strings::COMPARE_ONE_SOURCE, w),
                theme.dim(),
            )));
        }
        for row in &self.rows {
            match row {
                Row::Control(c) => out.push(Line::from(Span::styled(clip(c, w), theme.accent()))),
                Row::Pair {
                    mark,
                    left,
                    right,
                    changes,
                } => {
                    let st = style(*mark);
                    let sym = mark.symbol();
                    if wide {
                        let half = w.saturating_sub(5) / 2;
                        out.push(Line::from(vec![
                            Span::styled(format!(" {sym} "), st),
                            Span::styled(
                                pad(&clip(left, half), half),
                                side_style(theme, *mark, true),
                            ),
                            Span::styled(" │ ", theme.dim()),
                            Span::styled(clip(right, half), side_style(theme, *mark, false)),
                        ]));
                    } else {
                        let body = w.saturating_sub(5);
                        for (tag, text, is_left) in [("L", left, true), ("R", right, false)] {
                            out.push(Line::from(vec![
                                Span::styled(format!(" {sym} {tag} "), st),
                                Span::styled(
                                    clip(if text.is_empty() { "–" } else { text }, body),
                                    side_style(theme, *mark, is_left),
                                ),
                            ]));
                        }
                    }
                    if !changes.is_empty() {
                        out.push(Line::from(Span::styled(
                            clip(&format!("     {changes}"), w),
                            theme.warn(),
                        )));
                    }
                }
            }
        }
        out
    }

    /// Draws the popup; returns the lines and columns its body has on screen.
    pub fn view(&self, f: &mut Frame, theme: &Theme, km: &Keymap, area: Rect) -> (usize, u16) {
        let r = centered(
            area,
            area.width.saturating_sub(4),
            area.height.saturating_sub(2),
        );
        f.render_widget(Clear, r);
        let title = strings::compare_title(km);
        let b = block(
            theme,
            clip(&title, r.width.saturating_sub(2) as usize),
            true,
        );
        let inner = b.inner(r);
        f.render_widget(b, r);
        if inner.height < 3 || inner.width == 0 {
            return (0, inner.width);
        }
        let w = inner.width as usize;
        let heads = if inner.width >= SIDE_BY_SIDE_MIN_WIDTH {
            let half = w.saturating_sub(5) / 2;
            format!(
                "   {} │ {}",
                pad(&clip(&strings::compare_left(self.left_label()), half), half),
                clip(&strings::compare_right(self.right_label()), half)
            )
        } else {
            format!("L {}   R {}", self.left_label(), self.right_label())
        };
        let s = self.summary;
        let summary = strings::compare_summary(s.same, s.changed, s.only_left, s.only_right);
        let head = vec![
            Line::from(Span::styled(clip(&heads, w), theme.accent())),
            Line::from(Span::styled(clip(&summary, w), theme.base())),
        ];
        f.render_widget(Paragraph::new(head), Rect { height: 2, ..inner });
        let body_h = (inner.height - 2) as usize;
        let body = self.body(theme, inner.width);
        let top = self.scroll.min(body.len().saturating_sub(body_h));
        let shown: Vec<Line> = body.into_iter().skip(top).take(body_h).collect();
        f.render_widget(
            Paragraph::new(shown),
            Rect {
                y: inner.y + 2,
                height: body_h as u16,
                ..inner
            },
        );
        (body_h, inner.width)
    }
}

fn side_style(theme: &Theme, m: Mark, left: bool) -> Style {
    match (m, left) {
        (Mark::Same, _) => theme.base(),
        (Mark::Changed, _) => theme.warn(),
        (Mark::OnlyLeft, true) => theme.error(),
        (Mark::OnlyRight, false) => theme.ok(),
        _ => theme.dim(),
    }
}

/// `s` padded with spaces to `width` columns (it is already at most that wide).
fn pad(s: &str, width: usize) -> String {
    let n = width.saturating_sub(crate::term_safe::display_width(s));
    format!("{s}{}", " ".repeat(n))
}

impl crate::tui::app::App {
    /// Opens the compare popup on `sources`, `left` against `right` (indices into it).
    pub fn open_compare(
        &mut self,
        config: &LabelConfig,
        sources: Vec<Source>,
        left: usize,
        right: usize,
    ) {
        self.popup = Some(super::Popup::Compare(Box::new(ComparePopup::with_sides(
            config, sources, left, right,
        ))));
    }

    /// The open task's results: my answer as it is on screen on the left, the first
    /// prediction (else another annotator) on the right.
    pub(in crate::tui) fn open_task_compare(&mut self) {
        let Some(t) = &self.annotate.task else {
            return;
        };
        // My stored annotation is what is on screen, which may be newer.
        let others: Vec<_> = t
            .full
            .annotations
            .iter()
            .filter(|a| Some(a.id) != t.annotation_id)
            .cloned()
            .collect();
        let mut sources = vec![(strings::my_answer(&self.user), t.draft.result().to_vec())];
        sources.extend(sources_of(&others, &t.full.predictions));
        let right = if t.full.predictions.is_empty() {
            1
        } else {
            1 + others.len()
        };
        let config = t.config.clone();
        self.open_compare(&config, sources, 0, right);
    }
}

/// A task's annotations (skipped ones too, marked) and predictions as sources to
/// compare, annotations first, each labelled with its id and who or what made it.
pub fn task_sources(full: &TaskFull) -> Vec<Source> {
    sources_of(&full.annotations, &full.predictions)
}

/// Annotations, then predictions, as sources to compare.
pub fn sources_of(annotations: &[AnnotationRow], predictions: &[PredictionRow]) -> Vec<Source> {
    let parse = |s: &str| -> Vec<Value> {
        serde_json::from_str::<Value>(s)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
    };
    let mut out: Vec<Source> = annotations
        .iter()
        .map(|a| {
            let who = a
                .completed_by_email
                .clone()
                .or_else(|| a.completed_by.map(|u| format!("user {u}")))
                .unwrap_or_default();
            (
                strings::annotation_source(a.id, &who, a.was_cancelled),
                parse(&a.result),
            )
        })
        .collect();
    out.extend(predictions.iter().map(|p| {
        (
            strings::prediction_source(p.id, &p.model_version, p.score),
            parse(&p.result),
        )
    }));
    out
}
