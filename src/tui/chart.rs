//! Drawing a window of a TimeSeries: each channel as a braille line in its own lane (or all
//! in one lane when the area is short), region bands with their labels, the selection, a
//! cursor column and a one-line axis. Pure drawing from a snapshot; the caller owns state.
//!
//! Cost is O(width) per channel plus the points in the window, and far less for wide
//! windows: each braille column takes the min and max of its points from the series'
//! block summaries, which also keeps a one-point spike visible at any zoom.

use crate::task::timeseries::{self, Series};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::Widget;
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

/// Styles the chart draws with; channel and region colours come with their items.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartStyles {
    /// A channel's line when the caller gives no style for it.
    pub line: Style,
    /// Patched onto the cursor's column.
    pub cursor: Style,
    /// Patched onto the columns between the anchor and the cursor.
    pub selection: Style,
    /// The bottom axis line.
    pub axis: Style,
    /// Channel names at the top of their lanes.
    pub legend: Style,
    /// Patched onto the selected region's band and label.
    pub selected_region: Style,
}

impl Default for ChartStyles {
    fn default() -> Self {
        ChartStyles {
            line: Style::default(),
            cursor: Style::default().add_modifier(Modifier::REVERSED),
            selection: Style::default().add_modifier(Modifier::UNDERLINED),
            axis: Style::default().add_modifier(Modifier::DIM),
            legend: Style::default().add_modifier(Modifier::DIM),
            selected_region: Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        }
    }
}

/// A region to show: the points it covers (inclusive), its label text and band style.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionBand {
    pub start: usize,
    pub end: usize,
    pub label: String,
    /// The band, usually a background in the label's colour.
    pub style: Style,
    pub selected: bool,
}

/// Everything one frame of the chart needs.
#[derive(Debug, Clone)]
pub struct ChartView<'a> {
    pub series: &'a Series,
    /// The visible points, first and last inclusive (see `TimeCursor::window`).
    pub window: (usize, usize),
    pub cursor: usize,
    /// The open selection, ordered.
    pub selection: Option<(usize, usize)>,
    pub regions: &'a [RegionBand],
    /// One style per channel, by channel order; missing ones use `styles.line`.
    pub channel_styles: &'a [Style],
    pub styles: ChartStyles,
}

/// The bands of the results that are regions on `series` (their `to_name` is its object and
/// their edges map to points), labelled with their labels joined by ", ", styled by
/// `style_of(first label)`, `selected` marking the result with that id.
pub fn region_bands(
    series: &Series,
    result: &[Value],
    selected: Option<&str>,
    style_of: impl Fn(&str) -> Style,
) -> Vec<RegionBand> {
    result
        .iter()
        .filter(|r| r.get("to_name").and_then(Value::as_str) == Some(series.object.as_str()))
        .filter_map(|r| {
            let (start, end) = timeseries::region_range(series, r)?;
            let labels = crate::task::region_labels(r);
            let first = labels.first().map(String::as_str).unwrap_or("");
            Some(RegionBand {
                start,
                end,
                label: labels.join(", "),
                style: style_of(first),
                selected: selected.is_some() && r.get("id").and_then(Value::as_str) == selected,
            })
        })
        .collect()
}

/// Dot bits of a braille cell, by dot row (0..4) and dot column (0..2).
const DOTS: [[u8; 2]; 4] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]];

/// Maps the visible points onto cell columns.
#[derive(Debug, Clone, Copy)]
struct Columns {
    first: usize,
    points: usize,
    width: usize,
}

impl Columns {
    /// The cell column where point `idx` starts (points before the window give 0).
    fn of(&self, idx: usize) -> usize {
        let rel = idx.saturating_sub(self.first).min(self.points);
        rel * self.width / self.points
    }

    /// The cell columns points `a..=b` cover, clipped to the window; `None` when outside.
    fn span(&self, a: usize, b: usize) -> Option<(usize, usize)> {
        let last = self.first + self.points - 1;
        if b < self.first || a > last {
            return None;
        }
        let (a, b) = (a.max(self.first), b.min(last));
        let from = self.of(a);
        let to = self.of(b + 1).saturating_sub(1).max(from);
        Some((from, to.min(self.width - 1)))
    }
}

impl ChartView<'_> {
    fn columns(&self, width: usize) -> Option<Columns> {
        let n = self.series.len();
        if n == 0 || width == 0 {
            return None;
        }
        let first = self.window.0.min(n - 1);
        let last = self.window.1.clamp(first, n - 1);
        Some(Columns {
            first,
            points: last - first + 1,
            width,
        })
    }

    /// The value extent of each braille dot column of a channel: min/max of its points,
    /// or the interpolated value when the window has fewer points than dot columns.
    fn dot_columns(&self, ch: usize, cols: Columns) -> Vec<Option<(f64, f64)>> {
        let channel = &self.series.channels[ch];
        let sub = cols.width * 2;
        let last = cols.first + cols.points - 1;
        (0..sub)
            .map(|x| {
                if cols.points <= sub {
                    let pos = if sub == 1 || cols.points == 1 {
                        0.0
                    } else {
                        x as f64 * (cols.points - 1) as f64 / (sub - 1) as f64
                    };
                    let i = cols.first + pos.floor() as usize;
                    let j = (i + 1).min(last);
                    let (a, b) = (channel.values[i], channel.values[j]);
                    let f = pos - pos.floor();
                    let v = match (a.is_finite(), b.is_finite()) {
                        (true, true) => a + (b - a) * f,
                        (true, false) => a,
                        (false, true) if f > 0.5 => b,
                        _ => return None,
                    };
                    Some((v, v))
                } else {
                    let lo = cols.first + x * cols.points / sub;
                    let hi = (cols.first + (x + 1) * cols.points / sub)
                        .saturating_sub(1)
                        .clamp(lo, last);
                    channel.min_max(lo, hi)
                }
            })
            .collect()
    }

    /// Plots channels `chs` into `lane` with braille dots.
    fn draw_lane(&self, chs: &[usize], lane: Rect, cols: Columns, buf: &mut Buffer) {
        let w = lane.width as usize;
        let h = lane.height as usize;
        if w == 0 || h == 0 {
            return;
        }
        let dots_high = h * 4;
        // One extent for the lane so overlaid channels share a scale.
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        let per_channel: Vec<Vec<Option<(f64, f64)>>> =
            chs.iter().map(|&c| self.dot_columns(c, cols)).collect();
        for col in per_channel.iter().flatten().flatten() {
            lo = lo.min(col.0);
            hi = hi.max(col.1);
        }
        if lo > hi {
            return;
        }
        let span = hi - lo;
        let row_of = |v: f64| -> usize {
            if span <= f64::EPSILON * hi.abs().max(1.0) {
                return dots_high / 2;
            }
            (((hi - v) / span) * (dots_high - 1) as f64).round() as usize
        };
        let mut cells: Vec<(u8, usize)> = vec![(0, 0); w * h];
        for (k, columns) in per_channel.iter().enumerate() {
            let mut prev: Option<(usize, usize)> = None;
            for (x, ext) in columns.iter().enumerate() {
                let Some((mn, mx)) = *ext else {
                    prev = None;
                    continue;
                };
                let (mut top, mut bottom) = (row_of(mx), row_of(mn));
                // Join to the previous column so the line stays continuous.
                if let Some((ptop, pbottom)) = prev {
                    if top > pbottom {
                        top = pbottom;
                    }
                    if bottom < ptop {
                        bottom = ptop;
                    }
                }
                prev = Some((row_of(mx), row_of(mn)));
                for dy in top..=bottom.min(dots_high - 1) {
                    let cell = &mut cells[(dy / 4) * w + x / 2];
                    cell.0 |= DOTS[dy % 4][x % 2];
                    cell.1 = k;
                }
            }
        }
        for (i, (bits, k)) in cells.into_iter().enumerate() {
            if bits == 0 {
                continue;
            }
            let (x, y) = (lane.x + (i % w) as u16, lane.y + (i / w) as u16);
            let style = self
                .channel_styles
                .get(chs[k])
                .copied()
                .unwrap_or(self.styles.line);
            let ch = char::from_u32(0x2800 + u32::from(bits)).unwrap_or(' ');
            let cell = &mut buf[(x, y)];
            cell.set_char(ch);
            cell.set_fg(style.fg.unwrap_or(ratatui::style::Color::Reset));
            cell.modifier.insert(style.add_modifier);
        }
    }

    fn axis_line(&self, cols: Columns, width: usize) -> String {
        let s = self.series;
        let left = clean(&s.time_label(cols.first));
        let right = clean(&s.time_label(cols.first + cols.points - 1));
        let cursor = self.cursor.min(s.len() - 1);
        let mut middle = format!("▲ {}", clean(&s.time_label(cursor)));
        for ch in &s.channels {
            middle.push_str(&format!(
                "  {} {}",
                clean(&ch.label),
                format_value(ch.values[cursor])
            ));
        }
        let (lw, rw, mw) = (left.width(), right.width(), middle.width());
        if lw + mw + rw + 4 <= width {
            let pad = width - lw - mw - rw;
            let before = pad / 2;
            return format!(
                "{left}{}{middle}{}{right}",
                " ".repeat(before),
                " ".repeat(pad - before)
            );
        }
        if lw + mw + 2 <= width {
            return format!("{left}  {middle}");
        }
        truncate(&middle, width)
    }
}

impl Widget for ChartView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        (&self).render(area, buf);
    }
}

impl Widget for &ChartView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let Some(cols) = self.columns(area.width as usize) else {
            buf.set_string(area.x, area.y, "no data", self.styles.axis);
            return;
        };
        let has_axis = area.height >= 2;
        let has_labels = area.height >= 4;
        let plot = Rect {
            y: area.y + u16::from(has_labels),
            height: area.height - u16::from(has_axis) - u16::from(has_labels),
            ..area
        };
        let column_rect = |from: usize, to: usize, rows: Rect| Rect {
            x: area.x + from as u16,
            width: (to - from + 1) as u16,
            ..rows
        };
        let banded = Rect {
            y: area.y,
            height: plot.height + u16::from(has_labels),
            ..area
        };
        // Bands first, the selected region last so it stays on top.
        let mut order: Vec<&RegionBand> = self.regions.iter().collect();
        order.sort_by_key(|r| r.selected);
        for r in &order {
            if let Some((a, b)) = cols.span(r.start.min(r.end), r.start.max(r.end)) {
                let mut style = r.style;
                if r.selected {
                    style = style.patch(self.styles.selected_region);
                }
                buf.set_style(column_rect(a, b, banded), style);
            }
        }
        if let Some((a, b)) = self.selection
            && let Some((from, to)) = cols.span(a.min(b), a.max(b))
        {
            buf.set_style(column_rect(from, to, banded), self.styles.selection);
        }
        // Lanes: one per channel when each gets two rows, else one shared lane.
        let n = self.series.channels.len();
        if n > 0 && plot.height > 0 {
            let stacked = plot.height as usize >= 2 * n;
            let groups: Vec<Vec<usize>> = if stacked {
                (0..n).map(|c| vec![c]).collect()
            } else {
                vec![(0..n).collect()]
            };
            let lane_h = plot.height / groups.len() as u16;
            for (g, chs) in groups.iter().enumerate() {
                let y = plot.y + g as u16 * lane_h;
                let height = if g + 1 == groups.len() {
                    plot.bottom() - y
                } else {
                    lane_h
                };
                let lane = Rect { y, height, ..plot };
                self.draw_lane(chs, lane, cols, buf);
                let names: Vec<String> = chs
                    .iter()
                    .map(|&c| clean(&self.series.channels[c].label))
                    .collect();
                let legend = truncate(&names.join(" · "), area.width as usize);
                let style = if stacked {
                    self.channel_styles
                        .get(chs[0])
                        .copied()
                        .unwrap_or(self.styles.line)
                        .patch(self.styles.legend)
                } else {
                    self.styles.legend
                };
                buf.set_string(lane.x, lane.y, legend, style);
            }
        }
        if has_labels {
            for r in &order {
                let Some((a, _)) = cols.span(r.start.min(r.end), r.start.max(r.end)) else {
                    continue;
                };
                // A label may run on to the next band's start.
                let next = self
                    .regions
                    .iter()
                    .filter_map(|o| cols.span(o.start.min(o.end), o.start.max(o.end)))
                    .map(|(s, _)| s)
                    .filter(|&s| s > a)
                    .min()
                    .unwrap_or(area.width as usize);
                let text = truncate(&clean(&r.label), next - a);
                let mut style = r.style;
                if r.selected {
                    style = style.patch(self.styles.selected_region);
                }
                buf.set_string(area.x + a as u16, area.y, text, style);
            }
        }
        let cursor = self.cursor.min(self.series.len() - 1);
        if let Some((c, _)) = cols.span(cursor, cursor) {
            buf.set_style(column_rect(c, c, banded), self.styles.cursor);
        }
        if has_axis {
            let line = self.axis_line(cols, area.width as usize);
            buf.set_string(area.x, area.bottom() - 1, line, self.styles.axis);
        }
    }
}

/// Text from data or config without control characters.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

fn truncate(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out
}

/// A value for the axis: integers plainly, others with up to three decimals.
fn format_value(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::style::Color;

    fn draw(view: &ChartView, w: u16, h: u16) -> Buffer {
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        term.draw(|f| f.render_widget(view, f.area()))
            .expect("draw");
        term.backend().buffer().clone()
    }

    fn row(buf: &Buffer, y: u16) -> String {
        (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect()
    }

    fn ramp(n: usize) -> Series {
        Series::indexed("ts", vec![("v".into(), (0..n).map(|i| i as f64).collect())])
    }

    fn view<'a>(s: &'a Series, regions: &'a [RegionBand]) -> ChartView<'a> {
        ChartView {
            series: s,
            window: (0, s.len() - 1),
            cursor: 0,
            selection: None,
            regions,
            channel_styles: &[],
            styles: ChartStyles::default(),
        }
    }

    #[test]
    fn cursor_column_and_axis_text() {
        let s = ramp(40);
        let mut v = view(&s, &[]);
        v.cursor = 20;
        let buf = draw(&v, 40, 8);
        // 40 points on 40 columns: point 20 is column 20, on every plot row.
        for y in 0..7 {
            assert!(
                buf[(20, y)].modifier.contains(Modifier::REVERSED),
                "row {y}"
            );
            assert!(!buf[(19, y)].modifier.contains(Modifier::REVERSED));
        }
        let axis = row(&buf, 7);
        assert!(axis.starts_with("0 "), "{axis:?}");
        assert!(axis.trim_end().ends_with("39"), "{axis:?}");
        assert!(axis.contains("▲ 20  v 20"), "{axis:?}");
    }

    #[test]
    fn ramp_rises_left_to_right() {
        let s = ramp(100);
        let buf = draw(&view(&s, &[]), 20, 7);
        // Plot rows are 1..=5; a rising ramp has dots at the bottom left and top right.
        let dots = |x: u16, y: u16| buf[(x, y)].symbol().chars().next().unwrap() as u32 > 0x2800;
        assert!(dots(0, 5));
        assert!(dots(19, 1));
        assert!(!dots(19, 5));
        assert!(!dots(1, 2));
    }

    #[test]
    fn region_band_label_and_selection() {
        let s = ramp(40);
        let regions = [
            RegionBand {
                start: 10,
                end: 14,
                label: "Run".into(),
                style: Style::default().bg(Color::Red),
                selected: false,
            },
            RegionBand {
                start: 30,
                end: 30,
                label: "Peak".into(),
                style: Style::default().bg(Color::Blue),
                selected: true,
            },
        ];
        let mut v = view(&s, &regions);
        v.selection = Some((2, 4));
        let buf = draw(&v, 40, 8);
        for x in 0..40u16 {
            let red = buf[(x, 3)].bg == Color::Red;
            assert_eq!(red, (10..=14).contains(&x), "column {x}");
        }
        assert_eq!(&row(&buf, 0)[10..15], "Run  ");
        // The instant region is one column wide and its label runs on.
        assert_eq!(buf[(30, 3)].bg, Color::Blue);
        assert_ne!(buf[(31, 3)].bg, Color::Blue);
        assert!(buf[(30, 0)].modifier.contains(Modifier::BOLD));
        assert!(row(&buf, 0)[30..].starts_with("Peak"));
        for x in 0..40u16 {
            let sel = buf[(x, 2)].modifier.contains(Modifier::UNDERLINED);
            assert_eq!(sel, (2..=4).contains(&x) || x == 30, "column {x}");
        }
    }

    #[test]
    fn zoomed_window_maps_points_to_wide_columns() {
        let s = ramp(1000);
        let regions = [RegionBand {
            start: 0,
            end: 504,
            label: "A".into(),
            style: Style::default().bg(Color::Green),
            selected: false,
        }];
        let mut v = view(&s, &regions);
        v.window = (500, 509);
        v.cursor = 505;
        let buf = draw(&v, 40, 6);
        // Ten points on forty columns: four columns per point, the cursor on the first.
        assert!(buf[(20, 2)].modifier.contains(Modifier::REVERSED));
        assert!(!buf[(19, 2)].modifier.contains(Modifier::REVERSED));
        assert!(!buf[(21, 2)].modifier.contains(Modifier::REVERSED));
        assert_eq!(buf[(19, 2)].bg, Color::Green);
        assert_ne!(buf[(20, 2)].bg, Color::Green);
        let axis = row(&buf, 5);
        assert!(axis.starts_with("500 "), "{axis:?}");
        assert!(axis.contains("▲ 505  v 505"), "{axis:?}");
        assert!(axis.trim_end().ends_with("509"), "{axis:?}");
        // Too narrow for both ends: the cursor readout stays, the right end goes.
        let axis = row(&draw(&v, 20, 6), 5);
        assert_eq!(axis.trim_end(), "500  ▲ 505  v 505");
    }

    #[test]
    fn stacked_lanes_with_channel_styles() {
        let s = Series::indexed(
            "ts",
            vec![
                ("up".into(), (0..50).map(|i| i as f64).collect()),
                ("down".into(), (0..50).map(|i| -(i as f64)).collect()),
            ],
        );
        let styles = [
            Style::default().fg(Color::Cyan),
            Style::default().fg(Color::Magenta),
        ];
        let mut v = view(&s, &[]);
        v.channel_styles = &styles;
        let buf = draw(&v, 30, 10);
        // Eight plot rows, two lanes of four: legends at rows 1 and 5.
        assert!(row(&buf, 1).starts_with("up"));
        assert!(row(&buf, 5).starts_with("down"));
        assert_eq!(buf[(29, 1)].fg, Color::Cyan);
        assert_eq!(buf[(29, 8)].fg, Color::Magenta);
    }

    #[test]
    fn million_points_keep_a_single_spike() {
        let mut values = vec![0.0; 1_000_000];
        values[654_321] = 100.0;
        let s = Series::indexed("ts", vec![("v".into(), values)]);
        let buf = draw(&view(&s, &[]), 100, 8);
        // The spike's column reaches the top plot row; its neighbours stay at the bottom.
        let x = (654_321 * 100 / 1_000_000) as u16;
        let top = |x: u16| buf[(x, 1)].symbol().chars().next().unwrap() as u32 > 0x2800;
        assert!(top(x));
        assert!(!top(x - 2) && !top(x + 2));
    }

    #[test]
    fn tiny_and_empty_areas() {
        let s = ramp(10);
        let v = view(&s, &[]);
        let buf = draw(&v, 5, 1);
        assert!(row(&buf, 0).chars().any(|c| c as u32 >= 0x2800));
        let empty = Series::indexed("ts", vec![]);
        let buf = draw(&view_empty(&empty), 10, 3);
        assert!(row(&buf, 0).starts_with("no data"));
    }

    fn view_empty(s: &Series) -> ChartView<'_> {
        ChartView {
            series: s,
            window: (0, 0),
            cursor: 0,
            selection: None,
            regions: &[],
            channel_styles: &[],
            styles: ChartStyles::default(),
        }
    }

    #[test]
    fn bands_from_results() {
        let s = ramp(40);
        let result = vec![
            serde_json::json!({"id": "a", "from_name": "l", "to_name": "ts", "type": "timeserieslabels",
                "value": {"start": 3, "end": 7, "instant": false, "timeserieslabels": ["Run", "Fast"]}}),
            serde_json::json!({"id": "b", "from_name": "l", "to_name": "other", "type": "timeserieslabels",
                "value": {"start": 1, "end": 2, "instant": false, "timeserieslabels": ["Run"]}}),
            serde_json::json!({"id": "c", "from_name": "c", "to_name": "ts", "type": "choices",
                "value": {"choices": ["x"]}}),
            serde_json::json!({"id": "d", "from_name": "l", "to_name": "ts", "type": "timeserieslabels",
                "value": {"start": 9, "end": 9, "instant": true, "timeserieslabels": ["Walk"]}}),
        ];
        let bands = region_bands(&s, &result, Some("d"), |l| {
            Style::default().bg(if l == "Run" { Color::Red } else { Color::Blue })
        });
        assert_eq!(
            bands,
            vec![
                RegionBand {
                    start: 3,
                    end: 7,
                    label: "Run, Fast".into(),
                    style: Style::default().bg(Color::Red),
                    selected: false
                },
                RegionBand {
                    start: 9,
                    end: 9,
                    label: "Walk".into(),
                    style: Style::default().bg(Color::Blue),
                    selected: true
                },
            ]
        );
    }

    #[test]
    fn values_format() {
        assert_eq!(format_value(3.0), "3");
        assert_eq!(format_value(2.5), "2.5");
        assert_eq!(format_value(1.23456), "1.235");
        assert_eq!(format_value(f64::NAN), "–");
    }
}
