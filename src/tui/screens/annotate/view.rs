//! Drawing the task screen: the panes of the task's objects, stacked to fit.

use super::image_pane::draw_image_pane;
use super::panels::*;
use crate::config::{ControlKind, Element, LabelConfig, Node, ObjectKind, ObjectTag};
use crate::task::resolve::{as_text, interpolate};
use crate::term_safe::tui_safe;
use crate::tui::app::{App, Content, Focus, ViewSource};
use crate::tui::msg::TaskLayout;
use crate::tui::result as res;
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, clip};
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use serde_json::Value;
use std::collections::HashMap;
use unicode_width::UnicodeWidthStr;

// --------------------------------------------------------------------- task view

pub(super) enum Item<'a> {
    Header(String),
    Object(&'a ObjectTag),
    Control(usize),
    /// A control without `toName` (`LabelConfig::unbound`): shown, never written.
    Unbound(usize),
    /// A Pairwise (control index) with its two objects, in the place of the first.
    Pair(usize),
    /// A Ranker (control index) drawn as its List's items, in the place of the List.
    Ranker(usize),
}

pub(super) fn items<'a>(config: &'a LabelConfig, data: &Value) -> Vec<Item<'a>> {
    let mut out = items_plain(config, data);
    super::ranker::combine_items(config, &mut out);
    out
}

fn items_plain<'a>(config: &'a LabelConfig, data: &Value) -> Vec<Item<'a>> {
    // Lookups by name through maps: a config with thousands of tags must not cost
    // tags × tags per frame.
    let objects: HashMap<&str, &ObjectTag> = config
        .objects
        .iter()
        .map(|o| (o.name.as_str(), o))
        .collect();
    let mut controls: HashMap<&str, usize> = HashMap::new();
    for (i, c) in config.controls.iter().enumerate() {
        controls.entry(c.name.as_str()).or_insert(i);
    }
    let unbound: HashMap<&str, usize> = config
        .unbound
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let mut out = Vec::new();
    fn rec<'a>(
        el: &Element,
        objects: &HashMap<&str, &'a ObjectTag>,
        (controls, unbound): (&HashMap<&str, usize>, &HashMap<&str, usize>),
        data: &Value,
        out: &mut Vec<Item<'a>>,
    ) {
        let name = el.attr("name");
        if let Some(o) = name.and_then(|n| objects.get(n)) {
            out.push(Item::Object(o));
        } else if let Some(i) = name.and_then(|n| controls.get(n)) {
            out.push(Item::Control(*i));
        } else if let Some(i) = name
            .filter(|_| el.attr("toName").is_none())
            .and_then(|n| unbound.get(n))
        {
            out.push(Item::Unbound(*i));
        } else if el.tag.eq_ignore_ascii_case("Header") {
            let text = el
                .attr("value")
                .map(str::to_string)
                .unwrap_or_else(|| el.text());
            out.push(Item::Header(
                tui_safe(interpolate(&text, data).trim(), false).into_owned(),
            ));
        }
        for c in &el.children {
            if let Node::Element(e) = c {
                rec(e, objects, (controls, unbound), data, out);
            }
        }
    }
    rec(
        &config.root,
        &objects,
        (&controls, &unbound),
        data,
        &mut out,
    );
    out
}

/// Rows a pane wants: at least `min`, growing up to `max` (`FLEX`: as far as there is room).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rows {
    pub(super) min: u16,
    pub(super) max: u16,
}

pub(super) const FLEX: u16 = u16::MAX;

pub(super) fn item_rows(item: &Item) -> Rows {
    let fixed = |n: u16| Rows { min: n, max: n };
    match item {
        Item::Header(h) => fixed(h.lines().count().clamp(1, u16::MAX as usize) as u16),
        Item::Object(o) => match o.kind {
            ObjectKind::Header => fixed(1),
            ObjectKind::Audio | ObjectKind::Video => fixed(5),
            ObjectKind::TimeSeries => Rows { min: 8, max: FLEX },
            ObjectKind::Table => Rows { min: 3, max: 12 },
            ObjectKind::Chat => Rows { min: 6, max: FLEX },
            _ => Rows { min: 3, max: FLEX },
        },
        Item::Control(_) | Item::Unbound(_) => fixed(0),
        Item::Pair(_) | Item::Ranker(_) => Rows { min: 5, max: FLEX },
    }
}

/// Rows a pane wants at `width` columns: a text pane as many as its wrapped lines (one
/// line of text takes three rows with its frame), other panes as [`item_rows`] says.
pub(super) fn pane_rows(app: &App, item: &Item, width: u16) -> Rows {
    if let (Item::Object(o), Some(t)) = (item, &app.annotate.task)
        && matches!(
            o.kind,
            ObjectKind::Text | ObjectKind::HyperText | ObjectKind::Paragraphs
        )
        && let Some(Content::Doc(doc)) = t.contents.get(&o.name)
    {
        let lines = doc.layout(width.saturating_sub(2)).len().max(1);
        let full = (lines + 2).min(usize::from(u16::MAX)) as u16;
        return Rows { min: 3, max: full };
    }
    if let Item::Pair(ci) = item {
        return super::pairwise::rows(app, *ci, width);
    }
    if let (Item::Object(o), Some(t)) = (item, &app.annotate.task)
        && o.kind == ObjectKind::Video
        && super::video_pane::edits_video(&t.config, &o.name)
    {
        // Two lines of facts, a canvas, the timeline and a note, in the frame.
        return Rows { min: 6, max: FLEX };
    }
    if let (Item::Object(o), Some(t)) = (item, &app.annotate.task)
        && o.kind == ObjectKind::Audio
        && super::audio_pane::edits_audio(&t.config, &o.name)
    {
        // The file, the cursor, the timeline and a note, in the frame.
        return Rows { min: 6, max: 6 };
    }
    item_rows(item)
}

/// Heights for panes stacked in `height` rows, when their minimums fit: bounded panes grow
/// to their maximum first, then flexible panes share what is left.
pub(super) fn fill(rows: &[Rows], height: u16) -> Vec<u16> {
    let mut h: Vec<u16> = rows.iter().map(|r| r.min).collect();
    let used: u32 = h.iter().map(|x| u32::from(*x)).sum();
    let mut left = u32::from(height).saturating_sub(used);
    for (i, r) in rows.iter().enumerate() {
        if r.max != FLEX && r.max > h[i] {
            let g = u32::from(r.max - h[i]).min(left);
            h[i] += g as u16;
            left -= g;
        }
    }
    let flex: Vec<usize> = (0..rows.len()).filter(|i| rows[*i].max == FLEX).collect();
    if !flex.is_empty() {
        let n = flex.len() as u32;
        let (each, mut extra) = (left / n, left % n);
        for i in flex {
            let add = each + u32::from(extra > 0);
            extra = extra.saturating_sub(1);
            h[i] = (u32::from(h[i]) + add).min(u32::from(u16::MAX)) as u16;
        }
    }
    h
}

/// Where a scrolled stack of panes is drawn: the panes shown (index, rows) and how many are
/// hidden above and below.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Window {
    pub(super) shown: Vec<(usize, Rect)>,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) scrolled: bool,
}

/// Lays out panes top to bottom in `area`. When their minimums do not fit, one row at the
/// bottom is left for a marker, every pane is at most that tall, and only the panes of a
/// window that keeps `anchor` visible are laid out; `scroll` keeps the window's first pane
/// between frames so that it moves only when the anchor leaves it. Heights are summed
/// here, never handed to a constraint solver: the cost is linear in the panes, whatever
/// their number. `partial` lets a last pane that does not fit show its top part.
pub(super) fn stack(
    rows: &[Rows],
    area: Rect,
    anchor: Option<(usize, usize)>,
    scroll: &mut usize,
    partial: bool,
) -> Window {
    let n = rows.len();
    // No pane is taller than the rows there are.
    let cap = |h: u16| -> Vec<Rows> {
        rows.iter()
            .map(|r| Rows {
                min: r.min.min(h),
                max: if r.max == FLEX { FLEX } else { r.max.min(h) },
            })
            .collect()
    };
    let place = |heights: &[(usize, u16)], avail: u16| -> Vec<(usize, Rect)> {
        let mut y = area.y;
        let bottom = area.y + avail;
        let mut out = Vec::new();
        for (i, h) in heights {
            if y >= bottom {
                break;
            }
            let h = (*h).min(bottom - y);
            out.push((
                *i,
                Rect {
                    x: area.x,
                    y,
                    width: area.width,
                    height: h,
                },
            ));
            y += h;
        }
        out
    };
    let whole = cap(area.height);
    let total: u32 = whole.iter().map(|r| u32::from(r.min)).sum();
    if total <= u32::from(area.height) {
        let h = fill(&whole, area.height);
        let heights: Vec<(usize, u16)> = h.into_iter().enumerate().collect();
        *scroll = 0;
        return Window {
            shown: place(&heights, area.height),
            start: 0,
            end: n,
            scrolled: false,
        };
    }
    let avail = area.height.saturating_sub(1);
    let capped = cap(avail);
    let mut start = (*scroll).min(n.saturating_sub(1));
    // The anchor is a range (a pane and the headings just above it): all of it when it
    // fits, else the pane.
    if let Some((lo, a)) = anchor.filter(|(lo, a)| lo <= a && *a < n) {
        start = start.min(lo);
        let mut sum: u32 = capped[start..=a].iter().map(|r| u32::from(r.min)).sum();
        while start < a && sum > u32::from(avail) {
            sum -= u32::from(capped[start].min);
            start += 1;
        }
    }
    // Fill the window downwards, then upwards when the end is reached.
    let mut used: u32 = 0;
    let mut end = start;
    while end < n && used + u32::from(capped[end].min) <= u32::from(avail) {
        used += u32::from(capped[end].min);
        end += 1;
    }
    if end == n {
        while start > 0 && used + u32::from(capped[start - 1].min) <= u32::from(avail) {
            start -= 1;
            used += u32::from(capped[start].min);
        }
    }
    *scroll = start;
    let mut heights: Vec<(usize, u16)> = fill(&capped[start..end], avail)
        .into_iter()
        .enumerate()
        .map(|(k, h)| (start + k, h))
        .collect();
    if partial && end < n && used < u32::from(avail) {
        heights.push((end, avail - used as u16));
    }
    let shown = place(&heights, avail);
    let end = shown.last().map_or(start, |(i, _)| i + 1);
    Window {
        shown,
        start,
        end,
        scrolled: true,
    }
}

/// The one-line marker under a scrolled stack: where the current pane is and how many are
/// hidden, as long as the width allows.
pub(super) fn marker(
    what: &str,
    current: usize,
    total: usize,
    above: usize,
    below: usize,
    width: u16,
    moves: &str,
) -> String {
    let mut parts = vec![format!("{what} {current}/{total}")];
    if above > 0 {
        parts.push(format!("▲ {above} more above"));
    }
    if below > 0 {
        parts.push(format!("▼ {below} more below"));
    }
    let long = format!(" {} · {moves} ", parts.join(" · "));
    let mid = format!(" {} ", parts.join(" · "));
    let mut short = format!(" {current}/{total}");
    if above > 0 {
        short.push_str(&format!(" ▲{above}"));
    }
    if below > 0 {
        short.push_str(&format!(" ▼{below}"));
    }
    [long, mid]
        .into_iter()
        .find(|s| s.width() <= width as usize)
        .unwrap_or(short)
}

/// Draws the task screen; what its panes learned goes into `facts`.
pub(crate) fn draw(f: &mut Frame, app: &App, area: Rect, facts: &mut crate::tui::msg::LayoutFacts) {
    if let Some(t) = &app.annotate.task {
        let mut lay = TaskLayout {
            pane_scroll: t.layout.pane_scroll,
            side_scroll: t.layout.side_scroll,
            ..TaskLayout::default()
        };
        draw_task_screen(f, app, area, &mut lay);
        facts.task = Some((t.full.task.id, lay));
    } else {
        draw_task_screen(f, app, area, &mut TaskLayout::default());
    }
}

pub(super) fn draw_task_screen(f: &mut Frame, app: &App, area: Rect, lay: &mut TaskLayout) {
    let Some(t) = &app.annotate.task else {
        let msg = if app.annotate.finished {
            crate::tui::strings::nothing_left(&app.keymap)
        } else {
            "loading…".to_string()
        };
        f.render_widget(
            Paragraph::new(msg).style(app.theme.base()).block(block(
                &app.theme,
                " labelterm ".into(),
                false,
            )),
            area,
        );
        return;
    };
    let all = items(&t.config, &t.data);
    let wide = area.width >= 100;
    // A config with only objects, or only controls, gives the whole screen to that side.
    let is_left = |i: &Item| {
        matches!(
            i,
            Item::Header(_) | Item::Object(_) | Item::Pair(_) | Item::Ranker(_)
        )
    };
    let no_panes = !all.iter().any(is_left);
    let no_panels = !all.iter().any(|i| {
        matches!(i, Item::Control(ci) if t.config.controls[*ci].kind != ControlKind::Relations)
            || matches!(i, Item::Unbound(_))
    }) && t.full.predictions.is_empty()
        && app.others().is_empty();
    let nothing = Rect { height: 0, ..area };
    // Left: headers and objects.
    let left_items: Vec<&Item> = all.iter().filter(|i| is_left(i)).collect();
    let left_w = if wide && !no_panels {
        area.width * 60 / 100
    } else {
        area.width
    };
    let rows: Vec<Rows> = left_items
        .iter()
        .map(|i| pane_rows(app, i, left_w))
        .collect();
    let (left, right) = if no_panes && !no_panels {
        (nothing, area)
    } else if no_panels {
        (area, nothing)
    } else if wide {
        let c = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Percentage(60), Constraint::Percentage(40)])
            .split(area);
        (c[0], c[1])
    } else {
        // Stacked: the panes take what their content wants (at most 55%, more when the
        // panels need less), the panels the rest.
        let want: u32 = rows
            .iter()
            .map(|r| {
                if r.max == FLEX {
                    u32::from(u16::MAX)
                } else {
                    u32::from(r.max)
                }
            })
            .sum();
        let share = area.height * 55 / 100;
        let panels_full = side_rows_used(app, &all, u16::MAX);
        let room = area.height.saturating_sub(panels_full).max(share);
        let mut h = want.min(u32::from(room)).min(u32::from(area.height)) as u16;
        // Panels in compact form may leave rows over: those go back to the panes.
        if want > u32::from(h) {
            let used = side_rows_used(app, &all, area.height - h);
            h = (u32::from(area.height - used)).min(want) as u16;
        }
        (
            Rect { height: h, ..area },
            Rect {
                y: area.y + h,
                height: area.height - h,
                ..area
            },
        )
    };
    if left.height > 0 {
        lay.hits.push(crate::tui::msg::Hit {
            area: left,
            target: crate::tui::msg::HitTarget::Panes,
        });
    }
    // The pane to keep visible: the focused object, else the object the focused control
    // labels.
    let anchor_name = match t.focusables.get(t.focus) {
        Some(Focus::Object(oi)) => t.config.objects.get(*oi).map(|o| o.name.as_str()),
        Some(Focus::Control(ci)) => t
            .config
            .controls
            .get(*ci)
            .and_then(|c| c.to_name.first())
            .map(String::as_str),
        None => None,
    };
    let focused_control = match t.focusables.get(t.focus) {
        Some(Focus::Control(ci)) => Some(*ci),
        _ => None,
    };
    let anchor = left_items
        .iter()
        .position(
            |i| matches!(i, Item::Pair(ci) | Item::Ranker(ci) if Some(*ci) == focused_control),
        )
        .or_else(|| {
            anchor_name.and_then(|n| {
                left_items
                    .iter()
                    .position(|i| matches!(i, Item::Object(o) if o.name == n))
            })
        });
    let is_heading = |i: &Item| {
        matches!(i, Item::Header(_)) || matches!(i, Item::Object(o) if o.kind == ObjectKind::Header)
    };
    let headed = anchor.map(|a| {
        let lo = left_items[..a]
            .iter()
            .rposition(|i| !is_heading(i))
            .map_or(0, |p| p + 1);
        (lo, a)
    });
    let mut win = stack(&rows, left, headed, &mut lay.pane_scroll, false);
    // Headings at the bottom whose pane is out of view belong with that pane.
    if win.end < left_items.len() {
        while win.shown.len() > 1
            && win
                .shown
                .last()
                .is_some_and(|(i, _)| is_heading(left_items[*i]))
        {
            win.shown.pop();
        }
        win.end = win.shown.last().map_or(win.start, |(i, _)| i + 1);
    }
    for (i, a) in &win.shown {
        match left_items[*i] {
            Item::Header(h) => f.render_widget(
                Paragraph::new(h.clone()).style(app.theme.accent().add_modifier(Modifier::BOLD)),
                *a,
            ),
            Item::Object(o) => {
                if let Some(oi) = t.config.objects.iter().position(|x| x.name == o.name) {
                    lay.hits.push(crate::tui::msg::Hit {
                        area: *a,
                        target: crate::tui::msg::HitTarget::Focus(Focus::Object(oi)),
                    });
                }
                draw_object(f, app, o, *a, lay)
            }
            Item::Pair(ci) => super::pairwise::draw(f, app, *ci, *a, lay),
            Item::Ranker(ci) => super::ranker::draw(f, app, *ci, *a, lay),
            Item::Control(_) | Item::Unbound(_) => {}
        }
    }
    if win.scrolled && left.height > 0 {
        // Panes are the objects with a frame of their own (not Header lines).
        let is_pane = |i: &&&Item| {
            matches!(i, Item::Object(o) if o.kind != ObjectKind::Header)
                || matches!(i, Item::Pair(_) | Item::Ranker(_))
        };
        let total = left_items.iter().filter(is_pane).count();
        let above = left_items[..win.start].iter().filter(is_pane).count();
        let below = left_items[win.end.min(left_items.len())..]
            .iter()
            .filter(is_pane)
            .count();
        // The pane shown as current: the anchor, else the first pane in view.
        let current = anchor
            .filter(|a| (win.start..win.end).contains(a))
            .or_else(|| (win.start..win.end).find(|i| is_pane(&&left_items[*i])))
            .unwrap_or(win.start);
        let current = left_items[..=current.min(left_items.len().saturating_sub(1))]
            .iter()
            .filter(is_pane)
            .count()
            .max(1);
        let line = Rect {
            y: left.y + left.height - 1,
            height: 1,
            ..left
        };
        // The next pane out of view is named, so that the marker says what is there.
        let next_hidden = left_items[win.end.min(left_items.len())..]
            .iter()
            .find_map(|i| match i {
                Item::Object(o) if o.kind != ObjectKind::Header => Some(o.name.as_str()),
                _ => None,
            })
            .map(|n| format!("next: {} · ", clip(n, 24)))
            .unwrap_or_default();
        let moves = format!(
            "{next_hidden}{}",
            crate::tui::strings::move_panes(&app.keymap)
        );
        f.render_widget(
            Paragraph::new(marker(
                "pane", current, total, above, below, line.width, &moves,
            ))
            .style(app.theme.accent()),
            line,
        );
    }
    draw_side(f, app, &all, right, lay);
}

pub(super) fn focused_is(app: &App, f: Focus) -> bool {
    app.annotate
        .task
        .as_ref()
        .is_some_and(|t| t.focusables.get(t.focus) == Some(&f))
}

pub(super) fn draw_object(
    f: &mut Frame,
    app: &App,
    o: &ObjectTag,
    area: Rect,
    lay: &mut TaskLayout,
) {
    let t = app.annotate.task.as_ref().expect("task");
    let oi = t
        .config
        .objects
        .iter()
        .position(|x| x.name == o.name)
        .unwrap_or(0);
    let focused = focused_is(app, Focus::Object(oi));
    let th = &app.theme;
    let title = format!(" {} ({}) ", clip(&o.name, usize::from(area.width)), o.tag);
    let content = t.contents.get(&o.name);
    match (o.kind, content) {
        (ObjectKind::Header, _) => {
            let text = o
                .value
                .as_deref()
                .map(|v| interpolate(v, &t.data))
                .unwrap_or_default();
            f.render_widget(
                Paragraph::new(tui_safe(&text, false).into_owned())
                    .style(th.accent().add_modifier(Modifier::BOLD)),
                area,
            );
        }
        (_, Some(Content::Loading)) => f.render_widget(
            Paragraph::new("loading…")
                .style(th.dim())
                .block(block(th, title, focused)),
            area,
        ),
        (_, Some(Content::Failed(e))) => f.render_widget(
            Paragraph::new(format!(
                "cannot show this value: {}",
                tui_safe(e, false).into_owned()
            ))
            .style(th.error())
            .wrap(Wrap { trim: false })
            .block(block(th, title, focused)),
            area,
        ),
        (_, Some(Content::Doc(doc))) => {
            super::text_pane::draw_doc(f, app, o, doc, area, title, focused, lay)
        }
        (ObjectKind::Image, Some(c)) => draw_image_pane(f, app, o, c, area, title, focused, lay),
        (ObjectKind::Video, Some(Content::Media { .. }))
            if super::video_pane::edits_video(&t.config, &o.name) =>
        {
            super::video_pane::draw(f, app, o, area, title, focused)
        }
        (ObjectKind::Audio, Some(Content::Media { .. }))
            if super::audio_pane::edits_audio(&t.config, &o.name) =>
        {
            super::audio_pane::draw(f, app, o, area, title, focused)
        }
        (
            ObjectKind::Audio | ObjectKind::Video,
            Some(Content::Media {
                shown,
                duration,
                bytes,
                error,
                ..
            }),
        ) => {
            let mut lines = vec![Line::from(vec![
                Span::styled(
                    if o.kind == ObjectKind::Audio {
                        "♪ audio  "
                    } else {
                        "▶ video  "
                    },
                    th.accent(),
                ),
                Span::raw(tui_safe(shown, false).into_owned()),
            ])];
            let mut facts = Vec::new();
            if let Some(d) = duration {
                facts.push(format!("duration {d:.2} s"));
            }
            if let Some(b) = bytes {
                facts.push(format!("{} KB", b.div_ceil(1024)));
            }
            if let Some(e) = error {
                lines.push(Line::from(Span::styled(
                    format!("not readable: {}", tui_safe(e, false).into_owned()),
                    th.error(),
                )));
            } else if facts.is_empty() {
                lines.push(Line::from(Span::styled("duration unknown", th.dim())));
            } else {
                lines.push(Line::from(facts.join(" · ")));
            }
            lines.push(Line::from(Span::styled(
                if std::env::var_os("LABELTERM_PLAYER").is_some() {
                    "M plays it with $LABELTERM_PLAYER"
                } else {
                    "set $LABELTERM_PLAYER (e.g. mpv) to play it with M"
                },
                th.dim(),
            )));
            f.render_widget(Paragraph::new(lines).block(block(th, title, focused)), area);
        }
        (ObjectKind::TimeSeries, Some(Content::Data(_))) => {
            super::timeseries_pane::draw(f, app, o, area, title, focused, lay)
        }
        (ObjectKind::List, Some(Content::Data(_))) => {
            super::ranker::draw_list(f, app, o, area, lay)
        }
        (ObjectKind::Chat, Some(Content::Data(v))) => {
            super::chat_pane::draw(f, app, o, v, area, focused, lay)
        }
        (ObjectKind::Table, Some(Content::Data(v))) => {
            let lines = table_lines(v, th);
            f.render_widget(Paragraph::new(lines).block(block(th, title, focused)), area);
        }
        (_, Some(Content::Data(v))) => super::data_pane::draw(f, app, o, v, area, title, focused),
        _ => f.render_widget(Paragraph::new("").block(block(th, title, focused)), area),
    }
}

pub(super) fn table_lines(v: &Value, th: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    match v {
        Value::Object(m) => {
            let w = m
                .keys()
                .map(|k| k.chars().count())
                .max()
                .unwrap_or(0)
                .min(24);
            for (k, val) in m {
                out.push(Line::from(vec![
                    Span::styled(
                        format!("{:w$}  ", tui_safe(k, false).into_owned()),
                        th.accent(),
                    ),
                    Span::raw(tui_safe(&as_text(val), false).into_owned()),
                ]));
            }
        }
        Value::Array(rows) => {
            for (i, r) in rows.iter().enumerate() {
                out.push(Line::from(vec![
                    Span::styled(format!("{i:>3}  "), th.dim()),
                    Span::raw(tui_safe(&as_text(r), false).into_owned()),
                ]));
            }
        }
        other => out.push(Line::from(tui_safe(&as_text(other), false).into_owned())),
    }
    out
}

/// Regions to draw on an object: (region, is prediction).
pub(super) fn object_regions(app: &App, obj: &str) -> Vec<(Value, bool)> {
    let t = app.annotate.task.as_ref().expect("task");
    let mut out: Vec<(Value, bool)> = app
        .regions()
        .into_iter()
        .filter(|r| res::to_name(r) == obj)
        .map(|r| (r, t.source != ViewSource::Mine))
        .collect();
    if t.source == ViewSource::Mine && t.show_predictions {
        for pr in &t.predicted {
            for r in pr {
                let id = res::id_of(r).map(str::to_string);
                if res::to_name(r) == obj
                    && res::is_region(&t.config, r)
                    && id.as_ref().is_none_or(|i| {
                        !t.rejected.contains(i)
                            && !t
                                .draft
                                .result()
                                .iter()
                                .any(|m| res::id_of(m) == Some(i.as_str()))
                    })
                {
                    out.push((r.clone(), true));
                }
            }
        }
    }
    out
}

/// The colour of a region's first label.
pub(super) fn region_color(app: &App, config: &LabelConfig, r: &Value) -> Color {
    let labels = res::labels_of(r);
    let Some(ctrl) = config.control(res::from_name(r)) else {
        return app.theme.labels[0];
    };
    let first = labels.first().cloned().unwrap_or_default();
    match ctrl.labels.iter().position(|l| l.key == first) {
        Some(i) => app
            .theme
            .label_color(ctrl.labels[i].background.as_deref(), i),
        None => app.theme.labels[0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(h: u16) -> Rect {
        Rect::new(0, 0, 50, h)
    }

    #[test]
    fn fill_grows_bounded_panes_first_then_shares_the_rest() {
        // A Header line, a text pane and a table in 22 rows: the table takes its 12.
        let rows = [
            Rows { min: 1, max: 1 },
            Rows { min: 3, max: FLEX },
            Rows { min: 3, max: 12 },
        ];
        assert_eq!(fill(&rows, 22), vec![1, 9, 12]);
        let two = [Rows { min: 3, max: FLEX }, Rows { min: 3, max: FLEX }];
        assert_eq!(fill(&two, 21), vec![11, 10]);
        assert_eq!(fill(&[Rows { min: 5, max: 5 }], 10), vec![5]);
    }

    #[test]
    fn stack_keeps_the_anchor_visible_and_caps_every_pane() {
        let rows = vec![Rows { min: 3, max: FLEX }; 10_000];
        let mut scroll = 0;
        let w = stack(&rows, area(31), Some((9_999, 9_999)), &mut scroll, false);
        assert!(w.scrolled);
        assert_eq!(w.end, 10_000, "the last pane is shown");
        assert_eq!(w.shown.len(), 10, "30 rows hold ten panes of three");
        assert!(
            w.shown.iter().all(|(_, r)| r.bottom() <= 30),
            "row 31 is the marker's"
        );
        assert_eq!(scroll, 9_990);
        // Moving up inside the window does not scroll it.
        let w = stack(&rows, area(31), Some((9_995, 9_995)), &mut scroll, false);
        assert_eq!(w.start, 9_990);
        let w = stack(&rows, area(31), Some((4, 5)), &mut scroll, false);
        assert_eq!(
            (w.start, w.end),
            (4, 14),
            "the heading above the pane comes along"
        );
        // A pane taller than the area is cut to it.
        let tall = [Rows { min: 500, max: 500 }, Rows { min: 3, max: FLEX }];
        let w = stack(&tall, area(20), Some((0, 0)), &mut 0, false);
        assert_eq!(w.shown[0].1.height, 19);
        for h in [0, 1, 2] {
            let w = stack(&rows, area(h), Some((3, 3)), &mut 0, true);
            assert!(w.shown.iter().all(|(_, r)| r.height <= h));
        }
    }

    #[test]
    fn markers_and_clipped_names_fit_their_width() {
        assert_eq!(
            marker("pane", 3, 100, 2, 97, 200, "J/K move"),
            " pane 3/100 · ▲ 2 more above · ▼ 97 more below · J/K move "
        );
        assert_eq!(
            marker("pane", 3, 100, 2, 97, 20, "J/K move"),
            " 3/100 ▲2 ▼97"
        );
        assert_eq!(more_title(0, 5, 5), None);
        assert_eq!(
            more_title(3, 5, 10).as_deref(),
            Some(" ▲ 3 more above · ▼ 2 more below ")
        );
        assert_eq!(window_start(10_000, 8, 40), 33);
        assert_eq!(window_start(10_000, 8, 3), 0);
        assert_eq!(window_start(10, 8, 9), 2);
        let long = "名".repeat(10_000);
        assert_eq!(clip(&long, 9).width(), 9);
        assert_eq!(clip("ok", 9), "ok");
    }
}
