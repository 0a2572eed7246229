//! Summaries of the data table's tasks: the frequency table of a field (Enter on a bucket
//! filters the table to its tasks), the describe view of a field, and the score histogram.

use super::hints_of;
use crate::tui::action::Action;
use crate::tui::keymap::{Ctx, Keymap};
use crate::tui::screens::table::protocol::Bucket;
use crate::tui::screens::table::spec::FilterSpec;
use crate::tui::strings;
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, centered, clip};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

#[derive(Debug, Clone, PartialEq)]
pub enum Summary {
    Freq {
        field: String,
        buckets: Vec<Bucket>,
    },
    Describe {
        field: String,
        lines: Vec<(String, String)>,
    },
    Histogram {
        field: String,
        bins: Vec<Bucket>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FreqPopup {
    pub summary: Summary,
    pub cursor: usize,
    /// The fields a frequency table can be of, cycled through (the focused column's
    /// first, then annotators, models and each control's labels).
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FreqReply {
    Keep,
    Close,
    /// Count another field.
    Count(String),
    /// Show the tasks of a bucket: these filters join the table's.
    Drill(Vec<FilterSpec>),
}

impl FreqPopup {
    pub fn new(summary: Summary, sources: Vec<String>) -> FreqPopup {
        FreqPopup {
            summary,
            cursor: 0,
            sources,
        }
    }

    fn len(&self) -> usize {
        match &self.summary {
            Summary::Freq { buckets, .. } => buckets.len(),
            Summary::Describe { lines, .. } => lines.len(),
            Summary::Histogram { bins, .. } => bins.len(),
        }
    }

    /// The filters that select the tasks of the bucket under the cursor.
    pub fn drill(&self) -> Option<Vec<FilterSpec>> {
        let b = match &self.summary {
            Summary::Freq { buckets, .. } => buckets.get(self.cursor)?,
            Summary::Histogram { bins, .. } => bins.get(self.cursor)?,
            Summary::Describe { .. } => return None,
        };
        Some(b.filters.clone()).filter(|f| !f.is_empty())
    }

    pub fn update(&mut self, a: Action) -> FreqReply {
        let n = self.len();
        match a {
            Action::Down => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::PageDown => self.cursor = (self.cursor + 10).min(n.saturating_sub(1)),
            Action::PageUp => self.cursor = self.cursor.saturating_sub(10),
            Action::Left | Action::Right => {
                if let Summary::Freq { field, .. } = &self.summary
                    && !self.sources.is_empty()
                {
                    let i = self.sources.iter().position(|s| s == field).unwrap_or(0) as isize;
                    let by = if a == Action::Right { 1 } else { -1 };
                    let j = (i + by).rem_euclid(self.sources.len() as isize) as usize;
                    return FreqReply::Count(self.sources[j].clone());
                }
            }
            Action::Activate => {
                if let Some(f) = self.drill() {
                    return FreqReply::Drill(f);
                }
            }
            Action::Cancel => return FreqReply::Close,
            _ => {}
        }
        FreqReply::Keep
    }

    pub fn hints(&self, km: &Keymap) -> Vec<(String, String)> {
        hints_of(
            km,
            Ctx::Freq,
            &[
                (Action::Down, "move"),
                (Action::Activate, "show these tasks"),
                (Action::Right, "next field"),
                (Action::Cancel, "close"),
            ],
        )
    }

    pub fn title(&self) -> String {
        match &self.summary {
            Summary::Freq { field, .. } => strings::freq_title(field),
            Summary::Describe { field, .. } => strings::describe_title(field),
            Summary::Histogram { field, .. } => strings::histogram_title(field),
        }
    }

    pub fn view(&self, f: &mut Frame, theme: &Theme, _km: &Keymap, area: Rect) {
        let th = theme;
        let r = centered(
            area,
            area.width.saturating_sub(4).min(100),
            (self.len().min(1000) as u16 + 2).clamp(5, area.height.saturating_sub(2).max(5)),
        );
        f.render_widget(Clear, r);
        let b = block(
            th,
            clip(&self.title(), r.width.saturating_sub(2) as usize),
            true,
        );
        let inner = b.inner(r);
        f.render_widget(b, r);
        let rows = inner.height as usize;
        let w = inner.width as usize;
        let start = self.cursor.saturating_sub(rows.saturating_sub(1));
        let st = |i: usize| {
            if i == self.cursor {
                th.cursor()
            } else {
                th.base()
            }
        };
        let lines: Vec<Line> = match &self.summary {
            Summary::Freq { buckets, .. } if buckets.is_empty() => {
                vec![Line::from(Span::styled(
                    strings::NOTHING_TO_COUNT,
                    th.dim(),
                ))]
            }
            Summary::Freq { buckets, .. } => {
                let max = buckets.iter().map(|b| b.count).max().unwrap_or(1).max(1);
                let total: u64 = buckets.iter().map(|b| b.count).sum();
                let label_w = (w / 3).max(6);
                let count_w = 16;
                let bar_w = w.saturating_sub(label_w + count_w + 2);
                buckets
                    .iter()
                    .enumerate()
                    .skip(start)
                    .take(rows)
                    .map(|(i, b)| {
                        let c = b.count;
                        let label = crate::tui::screens::table::columns::fit_cell(
                            &b.value,
                            label_w as u16,
                            false,
                        );
                        let pct = c as f64 * 100.0 / total.max(1) as f64;
                        let bar = bar(c, max, bar_w);
                        Line::from(vec![
                            Span::styled(label, st(i)),
                            Span::styled(format!(" {c:>8} {pct:>5.1}% "), st(i)),
                            Span::styled(bar, th.accent()),
                        ])
                    })
                    .collect()
            }
            Summary::Describe { lines, .. } => lines
                .iter()
                .enumerate()
                .skip(start)
                .take(rows)
                .map(|(i, (k, v))| {
                    Line::from(Span::styled(clip(&format!("{k:<12} {v}"), w), st(i)))
                })
                .collect(),
            Summary::Histogram { bins, .. } if bins.is_empty() => {
                vec![Line::from(Span::styled(strings::NO_SCORES, th.dim()))]
            }
            Summary::Histogram { bins, .. } => {
                let max = bins.iter().map(|b| b.count).max().unwrap_or(1).max(1);
                let bar_w = w.saturating_sub(26);
                bins.iter()
                    .enumerate()
                    .skip(start)
                    .take(rows)
                    .map(|(i, b)| {
                        let label =
                            crate::tui::screens::table::columns::fit_cell(&b.value, 14, true);
                        Line::from(vec![
                            Span::styled(format!("{label} {:>9} ", b.count), st(i)),
                            Span::styled(bar(b.count, max, bar_w), th.accent()),
                        ])
                    })
                    .collect()
            }
        };
        f.render_widget(Paragraph::new(lines), inner);
    }
}

/// A bar of `width` cells for `count` out of `max`, in eighths of a cell.
pub fn bar(count: u64, max: u64, width: usize) -> String {
    const PARTS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    let eighths = (count as f64 / max.max(1) as f64 * (width * 8) as f64).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(PARTS[eighths % 8 - 1]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::screens::table::spec::Op;

    fn bucket(value: &str, count: u64, filters: Vec<FilterSpec>) -> Bucket {
        Bucket {
            value: value.into(),
            count,
            filters,
        }
    }

    #[test]
    fn a_bucket_drills_down_to_its_filters_and_sources_cycle() {
        let new = vec![FilterSpec::new("status", Op::Equal, "new")];
        let none = vec![FilterSpec::new("status", Op::Empty, "true")];
        let mut p = FreqPopup::new(
            Summary::Freq {
                field: "status".into(),
                buckets: vec![
                    bucket("new", 3, new.clone()),
                    bucket("(none)", 1, none.clone()),
                ],
            },
            vec!["status".into(), "annotators".into()],
        );
        assert_eq!(p.update(Action::Activate), FreqReply::Drill(new));
        p.update(Action::Down);
        assert_eq!(p.update(Action::Activate), FreqReply::Drill(none));
        assert_eq!(
            p.update(Action::Right),
            FreqReply::Count("annotators".into())
        );
        assert_eq!(
            p.update(Action::Left),
            FreqReply::Count("annotators".into())
        );
        let d = FreqPopup::new(
            Summary::Describe {
                field: "score".into(),
                lines: vec![("count".into(), "3".into())],
            },
            Vec::new(),
        );
        assert_eq!(d.drill(), None, "a describe line is no bucket");
        assert_eq!(bar(4, 4, 3), "███");
        assert_eq!(bar(1, 16, 2), "▏");
        assert_eq!(bar(0, 4, 3), "");
    }

    #[test]
    fn a_frequency_table_of_more_values_than_a_screen_has_rows_draws() {
        let buckets: Vec<Bucket> = (0..70_000)
            .map(|i| bucket(&format!("v{i}"), 70_000 - i, Vec::new()))
            .collect();
        let mut p = FreqPopup::new(
            Summary::Freq {
                field: "data.text".into(),
                buckets,
            },
            Vec::new(),
        );
        p.update(Action::PageDown);
        let theme = Theme::load(None, true).unwrap();
        let km = Keymap::default_map(false);
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        term.draw(|f| p.view(f, &theme, &km, f.area())).unwrap();
        let text = crate::tui::view::buffer_text(term.backend().buffer());
        assert!(text.contains("v10 ") && !text.contains("v60 "), "{text}");
    }
}
