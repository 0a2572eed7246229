//! Drawing the side panels of the task screen: controls, regions, sources.

use super::view::*;
use crate::config::dynamic::{allows_nested, takes_options};
use crate::config::{ControlKind, ControlTag};
use crate::task::resolve::as_text;
use crate::term_safe::tui_safe;
use crate::tui::app::{App, Focus, ViewSource};
use crate::tui::msg::{Hit, HitTarget, TaskLayout};
use crate::tui::result as res;
use crate::tui::theme::readable_on;
use crate::tui::widgets::{block, clip};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use serde_json::Value;
use std::collections::HashMap;
use unicode_width::UnicodeWidthStr;

// --------------------------------------------------------------------- side panels

/// Rows a control's panel wants (its frame included); counted in `usize` so that no label
/// count can overflow it.
pub(super) fn control_height(app: &App, c: &ControlTag) -> usize {
    let t = app.annotate.task.as_ref().expect("task");
    let hint = usize::from(c.per_region && t.selected.is_none() && !c.kind.makes_regions());
    hint + match c.kind {
        ControlKind::Choices => {
            c.labels.len().max(1)
                + c.option_problems.len()
                + 2
                + if has_long_options(c) {
                    MAX_OPTION_ROWS - 1
                } else {
                    0
                }
        }
        ControlKind::Taxonomy => res::current_list(t.draft.result(), c, None).len().max(1) + 2,
        ControlKind::TextArea => {
            let region_id = if c.per_region {
                t.selected.as_deref()
            } else {
                None
            };
            panel_list(t.draft.result(), c, region_id).len() + 3
        }
        ControlKind::Rating | ControlKind::Number | ControlKind::DateTime => 3,
        _ if is_enterprise_labels(c) => {
            // The note, the labels on one line, and the results it holds.
            2 + 1 + enterprise_results(app, c).len().min(6) + 2
        }
        k if k.makes_regions() => c.labels.len().clamp(1, 8) + c.option_problems.len() + 2,
        _ => 3,
    }
}

/// What a control's panel shows: its value, or for a perRegion control the selected
/// region's (nothing while no region is selected, rather than some region's).
fn panel_list(result: &[Value], c: &ControlTag, region_id: Option<&str>) -> Vec<Value> {
    if c.per_region && region_id.is_none() {
        return Vec::new();
    }
    res::current_list(result, c, region_id)
}

/// A drawing tool without labels of its own (its labels, if any, come from a `<Labels>`
/// beside it): its panel says where and how it draws instead of listing options.
fn is_bare_tool(c: &ControlTag) -> bool {
    c.kind.makes_regions() && c.labels.is_empty() && c.dynamic_labels.is_none()
}

/// Rows the side panels take in `height` rows: all they want when it fits, else what
/// their compact form (see [`compact_heights`]) uses, which may leave rows over.
pub(super) fn side_rows_used(app: &App, all: &[Item], height: u16) -> u16 {
    let panels = side_panels(app, all);
    match compact_heights(&panels, side_anchor(app, &panels), height) {
        // Never more than `height`: the heights were chosen to fit in it.
        Some(h) => h
            .iter()
            .map(|x| u32::from(*x))
            .sum::<u32>()
            .min(u32::from(height)) as u16,
        None => height,
    }
}

/// The focused control's panel.
fn side_anchor(app: &App, panels: &[(Panel, u16)]) -> Option<usize> {
    let t = app.annotate.task.as_ref()?;
    match t.focusables.get(t.focus) {
        Some(Focus::Control(ci)) => panels.iter().position(|(p, _)| *p == Panel::Control(*ci)),
        _ => None,
    }
}

/// Panel heights in `height` rows when they fit in full or in compact form: the focused
/// panel keeps its size, the others shrink to one line each (a summary naming them),
/// growing back in order while rows are left. None when even that does not fit.
fn compact_heights(
    panels: &[(Panel, u16)],
    anchor: Option<usize>,
    height: u16,
) -> Option<Vec<u16>> {
    let want: u32 = panels.iter().map(|(_, h)| u32::from(*h)).sum();
    if want <= u32::from(height) {
        return Some(panels.iter().map(|(_, h)| *h).collect());
    }
    let others = panels.len() as u32 - u32::from(anchor.is_some());
    let mut focused_h = anchor.map_or(0, |a| panels[a].1);
    // A focused panel taller than the rows the others leave is cut to them: its options
    // are drawn as a window around the cursor, and the other panels stay in sight (else
    // a long option list alone filled the side and the rest were drawn nowhere).
    let room = u32::from(height).saturating_sub(others);
    if u32::from(focused_h) > room && room >= 3 {
        focused_h = room as u16;
    }
    if u32::from(focused_h) + others > u32::from(height) {
        return None;
    }
    let mut h: Vec<u16> = panels
        .iter()
        .enumerate()
        .map(|(i, _)| if Some(i) == anchor { focused_h } else { 1 })
        .collect();
    let mut left = height - h.iter().sum::<u16>();
    for (i, (_, full)) in panels.iter().enumerate() {
        let grow = full.saturating_sub(h[i]);
        if grow <= left && grow > 0 {
            h[i] = *full;
            left -= grow;
        }
    }
    Some(h)
}

/// The side panels in order, with the rows each wants in full.
fn side_panels(app: &App, all: &[Item]) -> Vec<(Panel, u16)> {
    let t = app.annotate.task.as_ref().expect("task");
    let controls: Vec<Panel> = all
        .iter()
        .filter_map(|i| match i {
            Item::Control(ci) => Some(Panel::Control(*ci)),
            Item::Unbound(ui) => Some(Panel::Unbound(*ui)),
            _ => None,
        })
        .filter(|p| !matches!(p, Panel::Control(ci) if t.config.controls[*ci].kind == ControlKind::Relations))
        .collect();
    let n_regions = region_list_rows(app);
    let n_sources = t.full.predictions.len() + app.others().len();
    let cap = |h: usize| h.min(usize::from(u16::MAX)) as u16;
    let mut panels: Vec<(Panel, u16)> = controls
        .iter()
        .map(|p| match p {
            Panel::Control(ci) => (*p, cap(control_height(app, &t.config.controls[*ci]))),
            _ => (*p, UNBOUND_HEIGHT),
        })
        .collect();
    if t.config.controls.iter().any(|c| c.kind.makes_regions()) {
        panels.push((Panel::Regions, cap(n_regions.clamp(1, 8) + 2)));
    }
    if n_sources > 0 {
        panels.push((Panel::Sources, cap(n_sources + 3)));
    }
    panels
}

pub(super) fn draw_side(f: &mut Frame, app: &App, all: &[Item], area: Rect, lay: &mut TaskLayout) {
    let shown = shown_ref(app);
    let t = app.annotate.task.as_ref().expect("task");
    let regions: Vec<&Value> = shown
        .iter()
        .filter(|r| res::is_region(&t.config, r))
        .collect();
    let panels = side_panels(app, all);
    // Keep the focused panel visible.
    let anchor = side_anchor(app, &panels);
    lay.hits.push(Hit {
        area,
        target: HitTarget::Panels,
    });
    // The label keys shown beside options, worked out once per frame.
    let keys: HashMap<(usize, usize), String> = app
        .hotkeys()
        .into_iter()
        .map(|(k, ci, li)| ((ci, li), k.display()))
        .collect();
    if let Some(h) = compact_heights(&panels, anchor, area.height) {
        lay.side_scroll = 0;
        let mut y = area.y;
        for (i, (p, _)) in panels.iter().enumerate() {
            let r = Rect {
                y,
                height: h[i],
                ..area
            };
            y += h[i];
            draw_panel(f, app, *p, r, &regions, &keys, lay);
        }
        return;
    }
    let rows: Vec<Rows> = panels
        .iter()
        .map(|(_, h)| Rows { min: *h, max: *h })
        .collect();
    let win = stack(
        &rows,
        area,
        anchor.map(|a| (a, a)),
        &mut lay.side_scroll,
        true,
    );
    for (i, r) in &win.shown {
        // A frame needs three rows to show anything inside it.
        if r.height < 3 {
            continue;
        }
        draw_panel(f, app, panels[*i].0, *r, &regions, &keys, lay);
    }
    if win.scrolled && area.height > 0 {
        // Panels cut to less than a frame were not drawn: they count as hidden.
        let end = win
            .shown
            .iter()
            .filter(|(_, r)| r.height >= 3)
            .map(|(i, _)| i + 1)
            .max()
            .unwrap_or(win.start);
        let total = panels.len();
        let current = anchor.unwrap_or(win.start).min(total.saturating_sub(1)) + 1;
        let line = Rect {
            y: area.y + area.height - 1,
            height: 1,
            ..area
        };
        // The next hidden panel is named, so that the marker says what is there.
        let next_hidden = panels
            .get(end)
            .map(|(p, _)| format!("next: {} · ", panel_name(app, *p)))
            .unwrap_or_default();
        let text = marker(
            "panel",
            current,
            total,
            win.start,
            total.saturating_sub(end),
            line.width,
            &format!(
                "{next_hidden}{}",
                crate::tui::strings::move_panes(&app.keymap)
            ),
        );
        f.render_widget(Paragraph::new(text).style(app.theme.accent()), line);
    }
}

/// A panel's name as its frame titles it.
fn panel_name(app: &App, p: Panel) -> String {
    let t = app.annotate.task.as_ref().expect("task");
    match p {
        Panel::Control(ci) => tui_safe(&t.config.controls[ci].name, false).into_owned(),
        Panel::Unbound(ui) => tui_safe(&t.config.unbound[ui].name, false).into_owned(),
        Panel::Regions => "Regions".into(),
        Panel::Sources => "Predictions & annotations".into(),
    }
}

/// Draws one side panel: framed when it has the rows, else as a one-line summary.
fn draw_panel(
    f: &mut Frame,
    app: &App,
    p: Panel,
    r: Rect,
    regions: &[&Value],
    keys: &HashMap<(usize, usize), String>,
    lay: &mut TaskLayout,
) {
    if let Panel::Control(ci) = p {
        lay.hits.push(Hit {
            area: r,
            target: HitTarget::Focus(Focus::Control(ci)),
        });
    }
    if r.height < 3 {
        draw_panel_line(f, app, p, Rect { height: 1, ..r }, regions);
        return;
    }
    match p {
        Panel::Control(ci) => draw_control(f, app, ci, r, keys, lay),
        Panel::Unbound(ui) => draw_unbound(f, app, ui, r),
        Panel::Regions => draw_regions(f, app, regions, r),
        Panel::Sources => draw_sources(f, app, r),
    }
}

/// A panel shrunk to one line: its name, what it holds, and how to reach it.
fn draw_panel_line(f: &mut Frame, app: &App, p: Panel, r: Rect, regions: &[&Value]) {
    let t = app.annotate.task.as_ref().expect("task");
    let th = &app.theme;
    let what = match p {
        Panel::Control(ci) => {
            let c = &t.config.controls[ci];
            let region_id = if c.per_region {
                t.selected.as_deref()
            } else {
                None
            };
            let current = panel_list(&shown_ref(app), c, region_id);
            let held = if is_bare_tool(c) {
                format!("draws on {}", c.to_name.join(", "))
            } else if current.is_empty() {
                "—".to_string()
            } else {
                current
                    .iter()
                    .map(|v| match v {
                        Value::Array(a) => a.iter().map(as_text).collect::<Vec<_>>().join("/"),
                        other => as_text(other),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!("{} ({}): {held}", c.name, c.tag)
        }
        Panel::Unbound(ui) => {
            let c = &t.config.unbound[ui];
            format!(
                "{} ({}): {}",
                c.name,
                c.tag,
                crate::tui::strings::UNBOUND_CONTROL_SHORT
            )
        }
        Panel::Regions => {
            let n = region_rows(regions.iter().copied()).len();
            match shown_ref(app)
                .iter()
                .filter(|r| res::is_relation(r))
                .count()
            {
                0 => format!("Regions ({n})"),
                k => format!("Regions ({n}) · relations ({k})"),
            }
        }
        Panel::Sources => format!(
            "Predictions & annotations ({})",
            t.full.predictions.len() + app.others().len()
        ),
    };
    let keys = crate::tui::strings::move_panes(&app.keymap);
    let hint = format!(" · {keys}");
    let w = usize::from(r.width);
    let body_w = w.saturating_sub(2 + crate::term_safe::display_width(&hint));
    let body = if body_w >= 8 {
        format!("{}{hint}", clip(&what, body_w))
    } else {
        clip(&what, w.saturating_sub(2))
    };
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("▸ ", th.accent()),
            Span::styled(body, th.dim()),
        ])),
        r,
    );
}

/// Label Studio Enterprise's labels on PDF pages (`OcrLabels`, `PdfLabels`): the open
/// frontend has no such tags, so they are shown with their results, not edited.
fn is_enterprise_labels(c: &ControlTag) -> bool {
    ["OcrLabels", "PdfLabels"]
        .iter()
        .any(|t| c.tag.eq_ignore_ascii_case(t))
}

/// The results of `c` shown now: mine (or the source on screen), then the predictions'.
fn enterprise_results(app: &App, c: &ControlTag) -> Vec<(Value, bool)> {
    let t = app.annotate.task.as_ref().expect("task");
    let mut out: Vec<(Value, bool)> = shown_ref(app)
        .iter()
        .filter(|r| c.matches_name(res::from_name(r)))
        .map(|r| (r.clone(), t.source != ViewSource::Mine))
        .collect();
    if t.source == ViewSource::Mine && t.show_predictions {
        let mine: std::collections::HashSet<String> = out
            .iter()
            .filter_map(|(r, _)| res::id_of(r).map(str::to_string))
            .collect();
        for p in &t.predicted {
            for r in p {
                if c.matches_name(res::from_name(r))
                    && res::id_of(r).is_none_or(|id| !mine.contains(id))
                {
                    out.push((r.clone(), true));
                }
            }
        }
    }
    out
}

/// The first of `total` rows to show in `height` rows so that `cursor` is visible.
pub(super) fn window_start(total: usize, height: usize, cursor: usize) -> usize {
    if total <= height || height == 0 {
        return 0;
    }
    cursor
        .min(total - 1)
        .saturating_sub(height - 1)
        .min(total - height)
}

/// A bottom title for a list that shows `shown` of `total` rows from `start`.
pub(super) fn more_title(start: usize, shown: usize, total: usize) -> Option<String> {
    let below = total.saturating_sub(start + shown);
    match (start, below) {
        (0, 0) => None,
        (0, b) => Some(format!(" ▼ {b} more below ")),
        (a, 0) => Some(format!(" ▲ {a} more above ")),
        (a, b) => Some(format!(" ▲ {a} more above · ▼ {b} more below ")),
    }
}

/// A name or label cut to what `width` columns can show, then made safe to draw: names
/// come from the config and can be any length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Panel {
    Control(usize),
    /// A control without `toName`, by its index in `LabelConfig::unbound`.
    Unbound(usize),
    Regions,
    Sources,
}

pub(super) fn draw_control(
    f: &mut Frame,
    app: &App,
    ci: usize,
    area: Rect,
    keys: &HashMap<(usize, usize), String>,
    lay: &mut TaskLayout,
) {
    let t = app.annotate.task.as_ref().expect("task");
    let th = &app.theme;
    let c = &t.config.controls[ci];
    // Option rows start under the frame's top and the hint line, if any.
    let first_row =
        area.y + 1 + u16::from(c.per_region && t.selected.is_none() && !c.kind.makes_regions());
    let option_row = |row: usize, li: usize, lay: &mut TaskLayout| {
        let y = first_row + row as u16;
        if y + 1 < area.y + area.height {
            lay.hits.push(Hit {
                area: Rect {
                    x: area.x + 1,
                    y,
                    width: area.width.saturating_sub(2),
                    height: 1,
                },
                target: HitTarget::Option(ci, li),
            });
        }
    };
    let focused = focused_is(app, Focus::Control(ci));
    let cursor = *t.opt_cursor.get(&c.name).unwrap_or(&0);
    let region_id = if c.per_region {
        t.selected.as_deref()
    } else {
        None
    };
    let shown = shown_ref(app);
    let current = panel_list(&shown, c, region_id);
    let mode = match c.kind {
        ControlKind::Choices => match c.choice {
            crate::config::ChoiceMode::Multiple => ", multiple",
            crate::config::ChoiceMode::SingleRadio => ", radio",
            crate::config::ChoiceMode::Single => ", single",
        },
        _ => "",
    };
    let req = if c.required { " *" } else { "" };
    let per = if c.per_region { " per region" } else { "" };
    let inner_w = usize::from(area.width.saturating_sub(2));
    let title = format!(" {} ({}{mode}{per}){req} ", clip(&c.name, inner_w), c.tag);
    let mut lines: Vec<Line> = Vec::new();
    let mark_cursor = |i: usize| focused && i == cursor;
    if c.per_region && region_id.is_none() && !c.kind.makes_regions() {
        lines.push(Line::from(Span::styled(
            crate::tui::strings::select_region_first(&app.keymap),
            th.dim(),
        )));
    }
    // Options are drawn only for the rows the panel has, around the cursor: a control can
    // have any number of them.
    let rows = usize::from(area.height.saturating_sub(2)).saturating_sub(lines.len());
    let mut more: Option<String> = None;
    let key_of = |i: usize| {
        keys.get(&(ci, i))
            .map(|k| format!("[{}]", clip(k, 8)))
            .unwrap_or_else(|| "   ".into())
    };
    // What was wrong with the task's options comes first, where the options would be.
    let problems = option_problem_lines(c, th, inner_w);
    let rows = rows.saturating_sub(problems.len());
    let option_row =
        |row: usize, li: usize, lay: &mut TaskLayout| option_row(row + problems.len(), li, lay);
    lines.extend(problems.iter().cloned());
    if c.labels.is_empty() && c.option_problems.is_empty() && takes_options(c.kind) {
        lines.push(Line::from(Span::styled(
            crate::tui::strings::NO_OPTIONS,
            th.dim(),
        )));
    }
    match c.kind {
        ControlKind::Choices => {
            // Nested options (allowNested) are chosen as paths; a parent is chosen when
            // all its children are.
            let nested = allows_nested(c).then(|| res::nested_chosen(c, &current));
            let indent_of = |l: &crate::config::LabelDef| {
                if nested.is_some() {
                    "  ".repeat(l.path.len().saturating_sub(1).min(inner_w / 4))
                } else {
                    String::new()
                }
            };
            // The option under the cursor is shown whole, on a few rows, when it is longer
            // than a row: options that differ late (transcripts) can then be told apart.
            let text_w =
                |l: &crate::config::LabelDef| inner_w.saturating_sub(9 + indent_of(l).len());
            let cursor_rows: Vec<String> = match c.labels.get(cursor) {
                Some(l) if focused => {
                    crate::tui::widgets::wrap_ellipsis(&option_text(l), text_w(l), MAX_OPTION_ROWS)
                }
                _ => Vec::new(),
            };
            // Its `hint` (a tooltip in Label Studio) goes on a row under it.
            let hint = c
                .labels
                .get(cursor)
                .filter(|_| focused)
                .and_then(|l| l.hint.as_deref().map(|h| (h, text_w(l))))
                .map(|(h, w)| clip(&format!("ⓘ {h}"), w));
            let extra = (cursor_rows.len().saturating_sub(1) + usize::from(hint.is_some()))
                .min(rows.saturating_sub(1));
            let start = window_start(c.labels.len(), rows - extra, cursor);
            let end = (start + rows - extra).min(c.labels.len());
            more = more_title(start, end - start, c.labels.len());
            for (i, l) in c.labels.iter().enumerate().take(end).skip(start) {
                let shift = if i > cursor { extra } else { 0 };
                option_row(i - start + shift, i, lay);
                let on = match &nested {
                    Some(n) => n[i],
                    None => current.iter().any(|v| v.as_str() == Some(l.key.as_str())),
                };
                let boxmark = match (c.choice, on) {
                    (crate::config::ChoiceMode::Multiple, true) => "[x]",
                    (crate::config::ChoiceMode::Multiple, false) => "[ ]",
                    (_, true) => "(•)",
                    (_, false) => "( )",
                };
                let key = key_of(i);
                let col = th.label_color(l.background.as_deref(), i);
                let mut st = if on { th.chip(col) } else { th.base() };
                if mark_cursor(i) {
                    st = st.patch(th.cursor());
                }
                let indent = indent_of(l);
                let whole = i == cursor && extra > 0;
                let first = if whole && !cursor_rows.is_empty() {
                    cursor_rows[0].clone()
                } else {
                    clip(&option_text(l), text_w(l))
                };
                let mut row = vec![
                    Span::styled(format!("{key:>4} "), th.dim()),
                    Span::styled(format!("{indent}{boxmark} {first}"), st),
                ];
                row.extend(super::predicted::choice_marker(
                    &app.annotate,
                    &app.theme,
                    c,
                    &l.key,
                ));
                lines.push(Line::from(row));
                if whole {
                    let pad = " ".repeat(9 + indent.len());
                    let rows_of_text = cursor_rows.len().saturating_sub(1).min(extra);
                    for more_row in cursor_rows.iter().skip(1).take(rows_of_text) {
                        lines.push(Line::from(vec![
                            Span::raw(pad.clone()),
                            Span::styled(more_row.clone(), st),
                        ]));
                    }
                    if let Some(h) = hint.as_ref().filter(|_| extra > rows_of_text) {
                        lines.push(Line::from(vec![
                            Span::raw(pad.clone()),
                            Span::styled(h.clone(), th.dim()),
                        ]));
                    }
                }
            }
        }
        k if k.makes_regions() => {
            // A tool without labels of its own says where and how it draws.
            if is_bare_tool(c) {
                let hint =
                    crate::tui::strings::bare_tool_hint(&app.keymap, k, &c.to_name.join(", "));
                lines.push(Line::from(Span::styled(clip(&hint, inner_w), th.dim())));
            }
            let start = window_start(c.labels.len(), rows, cursor);
            let end = (start + rows).min(c.labels.len());
            more = more_title(start, end - start, c.labels.len());
            for (i, l) in c.labels.iter().enumerate().take(end).skip(start) {
                option_row(i - start, i, lay);
                let key = key_of(i);
                let col = th.label_color(l.background.as_deref(), i);
                let mut st = if th.mono {
                    Style::default()
                } else {
                    Style::default().bg(col).fg(readable_on(col))
                };
                if mark_cursor(i) {
                    st = th.cursor();
                }
                lines.push(Line::from(vec![
                    Span::styled(format!("{key:>4} "), th.dim()),
                    Span::styled(
                        format!(" {} ", clip(&option_text(l), inner_w.saturating_sub(7))),
                        st,
                    ),
                ]));
            }
        }
        ControlKind::Rating => {
            let n = current.first().and_then(Value::as_i64).unwrap_or(0);
            let max = u64::from(c.max_rating);
            let st = if focused { th.cursor() } else { th.base() };
            let keys = crate::tui::strings::rating_keys(&app.keymap);
            let full = format!("  {n}/{max}  {keys}");
            // As many stars as fit; a scale wider than the panel ends in "…".
            let room = inner_w.saturating_sub(full.width()) as u64;
            let (count, suffix) = if max <= room {
                (max, full)
            } else {
                let tail = format!(" {n}/{max}  {keys}");
                (
                    (inner_w.saturating_sub(tail.width() + 1) as u64)
                        .max(1)
                        .min(max),
                    format!("…{tail}"),
                )
            };
            let stars: String = (1..=count as i64)
                .map(|i| if i <= n { '★' } else { '☆' })
                .collect();
            lines.push(Line::from(vec![
                Span::styled(stars, st),
                Span::styled(suffix, th.dim()),
            ]));
        }
        ControlKind::Number | ControlKind::DateTime => {
            let v = current.first().map(as_text).unwrap_or_else(|| "—".into());
            let st = if focused { th.cursor() } else { th.base() };
            let hint = crate::tui::strings::field_keys(&app.keymap, c.kind == ControlKind::Number);
            lines.push(Line::from(vec![
                Span::styled(tui_safe(&v, false).into_owned(), st),
                Span::styled(hint, th.dim()),
            ]));
        }
        ControlKind::TextArea => {
            let max = c.max_submissions.unwrap_or(usize::MAX);
            let total = current.len() + usize::from(current.len() < max);
            let start = window_start(total, rows, cursor);
            let end = (start + rows).min(total);
            more = more_title(start, end - start, total);
            for (i, e) in current.iter().enumerate().take(end).skip(start) {
                let st = if mark_cursor(i) {
                    th.cursor()
                } else {
                    th.base()
                };
                lines.push(Line::from(Span::styled(
                    format!("› {}", tui_safe(&as_text(e), false).into_owned()),
                    st,
                )));
            }
            if current.len() < max && end == total {
                let st = if mark_cursor(current.len()) {
                    th.cursor()
                } else {
                    th.dim()
                };
                let ph = c.attr("placeholder").unwrap_or("add text");
                lines.push(Line::from(Span::styled(
                    crate::tui::strings::textarea_add(&app.keymap, &tui_safe(ph, false)),
                    st,
                )));
            }
        }
        ControlKind::Taxonomy => {
            if current.is_empty() {
                let st = if focused { th.cursor() } else { th.dim() };
                lines.push(Line::from(Span::styled(
                    "nothing chosen — Enter opens the tree",
                    st,
                )));
            }
            let sep = c.attr("pathSeparator").unwrap_or(" / ");
            for p in &current {
                let path = match p {
                    Value::Array(a) => a.iter().map(as_text).collect::<Vec<_>>().join(sep),
                    other => as_text(other),
                };
                let st = if focused { th.accent() } else { th.base() };
                lines.push(Line::from(Span::styled(
                    format!("• {}", tui_safe(&path, false).into_owned()),
                    st,
                )));
            }
        }
        // Drawn in their objects' place when those are there; here, say what is missing.
        ControlKind::Pairwise | ControlKind::Ranker => {
            let why = match c.kind {
                ControlKind::Pairwise => match crate::annotate::ranking::pair_names(&c.to_name) {
                    Ok((a, b)) => format!("Pairwise needs objects named {a:?} and {b:?}"),
                    Err(e) => e,
                },
                _ => format!("Ranker needs a List object named {:?}", c.to_name.join(",")),
            };
            lines.push(Line::from(Span::styled(
                tui_safe(&why, false).into_owned(),
                th.warn(),
            )));
        }
        _ if is_enterprise_labels(c) => {
            for note in crate::tui::strings::ENTERPRISE_LABELS_NOTE {
                lines.push(Line::from(Span::styled(note, th.dim())));
            }
            let values: Vec<String> = c.labels.iter().map(|l| l.value.clone()).collect();
            lines.push(Line::from(Span::raw(format!(
                "labels: {}",
                tui_safe(&values.join(", "), false)
            ))));
            let held = enterprise_results(app, c);
            if held.is_empty() {
                lines.push(Line::from(Span::styled("no results of it", th.dim())));
            }
            for (r, predicted) in held.iter().take(6) {
                let d = crate::tui::app::describe_result(&t.config, r, None);
                let page = r["value"]
                    .get("pageIndex")
                    .and_then(Value::as_u64)
                    .map(|p| format!(" · page {}", p + 1))
                    .unwrap_or_default();
                lines.push(Line::from(Span::styled(
                    format!("{}{d}{page}", if *predicted { "ⓟ " } else { "• " }),
                    if *predicted {
                        th.prediction()
                    } else {
                        th.base()
                    },
                )));
            }
            if held.len() > 6 {
                more = Some(format!(" ▼ {} more ", held.len() - 6));
            }
        }
        _ => lines.push(Line::from(Span::styled(
            format!("{} is shown but not edited here", c.tag),
            th.dim(),
        ))),
    }
    let mut b = block(th, title, focused);
    if let Some(m) = more {
        b = b.title_bottom(Span::styled(m, th.accent()));
    }
    f.render_widget(Paragraph::new(lines).block(b), area);
}

/// Rows of a control without `toName`: its frame, how it looks, and why it is not saved.
const UNBOUND_HEIGHT: u16 = 5;

/// A control without `toName`: drawn as Label Studio draws it, with the reason nothing it
/// holds can be saved in place of a value (Label Studio's editor cannot store a result
/// that labels no object, so a rating given there is lost on submit).
fn draw_unbound(f: &mut Frame, app: &App, ui: usize, area: Rect) {
    let t = app.annotate.task.as_ref().expect("task");
    let th = &app.theme;
    let c = &t.config.unbound[ui];
    let inner_w = usize::from(area.width.saturating_sub(2));
    let look = match c.kind {
        ControlKind::Rating => {
            let n = usize::try_from(c.max_rating).unwrap_or(usize::MAX);
            let stars = "☆".repeat(n.min(inner_w.saturating_sub(8)));
            let more = if stars.chars().count() < n { "…" } else { "" };
            format!("{stars}{more} 0/{}", c.max_rating)
        }
        _ => crate::tui::strings::shown_only(&c.tag),
    };
    let lines = vec![
        Line::from(Span::styled(clip(&look, inner_w), th.dim())),
        Line::from(Span::styled(
            crate::tui::strings::UNBOUND_CONTROL,
            th.error(),
        )),
    ];
    let title = format!(" {} ({}) ", clip(&c.name, inner_w), c.tag);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: true })
            .block(block(th, title, false)),
        area,
    );
}

/// How many rows the option under the cursor may take when it is longer than one.
const MAX_OPTION_ROWS: usize = 4;

/// Whether a control's options may be longer than a row: its panel then keeps rows to
/// show one whole. The first few are measured as drawn, the next few only guessed at, the
/// rest not looked at, so that a huge list costs nothing.
fn has_long_options(c: &ControlTag) -> bool {
    const LONG: usize = 24;
    let (measured, guessed) = c.labels.split_at(c.labels.len().min(8));
    measured
        .iter()
        .any(|l| l.hint.is_some() || option_text(l).chars().count() > LONG)
        || guessed
            .iter()
            .take(248)
            .any(|l| l.html.is_some() || l.hint.is_some() || l.value.len() > LONG)
}

/// An option as its row shows it: its `html` as one line of text when it has one (with
/// the value after it when the text does not already say it), else its value.
pub(super) fn option_text(l: &crate::config::LabelDef) -> String {
    match l.html.as_deref() {
        Some(h) => {
            let text = crate::tui::text::html_label(h);
            if text.is_empty() {
                l.value.clone()
            } else if text.contains(l.value.as_str()) {
                text
            } else {
                format!("{text} ({})", l.value)
            }
        }
        None => l.value.clone(),
    }
}

/// The lines saying what was wrong with a control's options from the task.
fn option_problem_lines(
    c: &ControlTag,
    th: &crate::tui::theme::Theme,
    w: usize,
) -> Vec<Line<'static>> {
    c.option_problems
        .iter()
        .map(|p| {
            Line::from(Span::styled(
                format!("⚠ {}", clip(p, w.saturating_sub(2))),
                th.error(),
            ))
        })
        .collect()
}

/// The regions to list: one row per region id (a shape and its labels written apart
/// share an id), the one with labels standing for both.
pub(super) fn region_rows<'a>(regions: impl IntoIterator<Item = &'a Value>) -> Vec<&'a Value> {
    let mut at: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<&Value> = Vec::new();
    for r in regions {
        match res::id_of(r).and_then(|id| at.get(id).copied()) {
            Some(i) => {
                if res::labels_of(out[i]).is_empty() && !res::labels_of(r).is_empty() {
                    out[i] = r;
                }
            }
            None => {
                if let Some(id) = res::id_of(r) {
                    at.insert(id, out.len());
                }
                out.push(r);
            }
        }
    }
    out
}

/// The texts of perRegion TextAreas by region id, as Label Studio's region list shows
/// them (`displayMode="region-list"`).
fn region_texts(app: &App, shown: &[Value]) -> HashMap<String, Vec<String>> {
    let t = app.annotate.task.as_ref().expect("task");
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let areas: Vec<&ControlTag> = t
        .config
        .controls
        .iter()
        .filter(|c| c.kind == ControlKind::TextArea && c.per_region)
        .collect();
    if areas.is_empty() {
        return out;
    }
    for r in shown {
        let Some(id) = res::id_of(r) else { continue };
        if let Some(c) = areas.iter().find(|c| c.matches_name(res::from_name(r))) {
            let texts = res::current_list(std::slice::from_ref(r), c, Some(id));
            out.entry(id.to_string())
                .or_default()
                .extend(texts.iter().map(as_text));
        }
    }
    out
}

/// The result on screen, borrowed when it is mine: a result can be large (a track of a
/// million keyframes), and a frame must not copy it more than it has to.
pub(super) fn shown_ref(app: &App) -> std::borrow::Cow<'_, [Value]> {
    match &app.annotate.task {
        Some(t) if t.source == ViewSource::Mine => std::borrow::Cow::Borrowed(t.draft.result()),
        _ => std::borrow::Cow::Owned(app.shown_result()),
    }
}

/// Rows the Regions panel lists: regions, their texts and the relations.
fn region_list_rows(app: &App) -> usize {
    let t = app.annotate.task.as_ref().expect("task");
    let shown = shown_ref(app);
    let regions: Vec<&Value> = shown
        .iter()
        .filter(|r| res::is_region(&t.config, r))
        .collect();
    let texts: usize = region_texts(app, &shown).values().map(Vec::len).sum();
    let relations = shown.iter().filter(|r| res::is_relation(r)).count();
    region_rows(regions).len() + texts + relations
}

pub(super) fn draw_regions(f: &mut Frame, app: &App, regions: &[&Value], area: Rect) {
    let t = app.annotate.task.as_ref().expect("task");
    let th = &app.theme;
    let shown = shown_ref(app);
    let rows = region_rows(regions.iter().copied());
    let texts = region_texts(app, &shown);
    let relations: Vec<&Value> = shown.iter().filter(|r| res::is_relation(r)).collect();
    let mut lines = Vec::new();
    if rows.is_empty() {
        lines.push(Line::from(Span::styled("no regions yet", th.dim())));
    }
    let h = area.height.saturating_sub(2) as usize;
    let selected_id = t.selected.as_deref();
    let sel = rows
        .iter()
        .position(|r| selected_id.is_some_and(|s| res::id_of(r) == Some(s)))
        .unwrap_or(0);
    // The selected relation wins the window when there is one.
    let rel_sel = t.rel.selected.filter(|k| *k < relations.len());
    let start = match rel_sel {
        Some(k) => (rows.len() + k).saturating_sub(h.saturating_sub(1)),
        None => sel.saturating_sub(h.saturating_sub(1)),
    };
    // The frame and the colour mark take four columns.
    let row_w = usize::from(area.width.saturating_sub(4));
    for r in rows.iter().skip(start) {
        if lines.len() >= h {
            break;
        }
        let selected = selected_id.is_some_and(|s| res::id_of(r) == Some(s));
        let col = region_color(app, &t.config, r);
        let d = super::video_pane::describe(r).unwrap_or_else(|| {
            crate::tui::app::describe_result(&t.config, r, t.contents.get(res::to_name(r)))
        });
        let origin = match r.get("origin").and_then(Value::as_str) {
            Some("prediction") => " ⓟ",
            Some("prediction-changed") => " ⓟ✎",
            _ => "",
        };
        let from = if t.rel.from.is_some() && t.rel.from.as_deref() == res::id_of(r) {
            " ⇢"
        } else {
            ""
        };
        let st = if selected { th.cursor() } else { th.base() };
        lines.push(Line::from(vec![
            Span::styled(
                "■ ",
                if th.mono {
                    Style::default()
                } else {
                    Style::default().fg(col)
                },
            ),
            // Cut by display columns, per grapheme: an emoji sequence is never split.
            Span::styled(
                crate::term_safe::fit(&format!("{d}{origin}{from}"), row_w),
                st,
            ),
        ]));
        for text in res::id_of(r)
            .and_then(|id| texts.get(id))
            .into_iter()
            .flatten()
        {
            if lines.len() >= h {
                break;
            }
            lines.push(Line::from(Span::styled(
                crate::term_safe::fit(
                    &format!("  ✎ {}", crate::term_safe::quoted(text)),
                    row_w + 2,
                ),
                th.dim(),
            )));
        }
    }
    let skip_rel = start.saturating_sub(rows.len());
    for (k, r) in relations.iter().enumerate().skip(skip_rel) {
        if lines.len() >= h {
            break;
        }
        let st = if rel_sel == Some(k) {
            th.cursor()
        } else {
            th.accent()
        };
        let d = super::relations::describe(&shown, r);
        lines.push(Line::from(Span::styled(
            crate::term_safe::fit(&format!("  ↳ {}", tui_safe(&d, false)), row_w + 2),
            st,
        )));
    }
    let title = if relations.is_empty() {
        format!(" Regions ({}) ", rows.len())
    } else {
        format!(
            " Regions ({}) · relations ({}) ",
            rows.len(),
            relations.len()
        )
    };
    f.render_widget(Paragraph::new(lines).block(block(th, title, false)), area);
}

pub(super) fn draw_sources(f: &mut Frame, app: &App, area: Rect) {
    let t = app.annotate.task.as_ref().expect("task");
    let th = &app.theme;
    // Lines longer than the panel end in an ellipsis rather than mid-word.
    let row_w = area.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    for (i, p) in t.full.predictions.iter().enumerate() {
        let on = t.source == ViewSource::Prediction(i);
        let n = t.predicted.get(i).map_or(0, Vec::len);
        lines.push(Line::from(Span::styled(
            crate::term_safe::fit(
                &format!(
                    "{} ⓟ {} · score {} · {n} result(s)",
                    if on { "▶" } else { " " },
                    tui_safe(&p.model_version, false).into_owned(),
                    p.score.map_or("-".into(), |s| format!("{s:.2}"))
                ),
                row_w,
            ),
            if on { th.cursor() } else { th.prediction() },
        )));
    }
    for (i, a) in app.others().iter().enumerate() {
        let on = t.source == ViewSource::Annotation(i);
        let who = a
            .completed_by_email
            .clone()
            .unwrap_or_else(|| format!("user {}", a.completed_by.unwrap_or(0)));
        lines.push(Line::from(Span::styled(
            crate::term_safe::fit(
                &format!(
                    "{} ✎ {}{}",
                    if on { "▶" } else { " " },
                    tui_safe(&who, false).into_owned(),
                    if a.was_cancelled { " (skipped)" } else { "" }
                ),
                row_w,
            ),
            if on { th.cursor() } else { th.base() },
        )));
    }
    lines.push(Line::from(Span::styled(
        crate::term_safe::fit(&crate::tui::strings::sources_keys(&app.keymap), row_w),
        th.dim(),
    )));
    f.render_widget(
        Paragraph::new(lines).block(block(th, " Predictions & annotations ".into(), false)),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_options_wrap_between_words_up_to_a_few_rows() {
        assert_eq!(
            crate::tui::widgets::wrap_ellipsis("one two three", 7, 4),
            vec!["one two", "three"]
        );
        assert_eq!(
            crate::tui::widgets::wrap_ellipsis("abcdefghij", 4, 4),
            vec!["abcd", "efgh", "ij"]
        );
        let rows = crate::tui::widgets::wrap_ellipsis(&"word ".repeat(100), 10, 3);
        assert_eq!(rows.len(), 3);
        assert!(rows[2].ends_with('…'), "{rows:?}");
        assert!(
            rows.iter()
                .all(|r| crate::term_safe::display_width(r) <= 10)
        );
        assert_eq!(
            crate::tui::widgets::wrap_ellipsis("short", 40, 4),
            vec!["short"]
        );
    }

    #[test]
    fn a_tall_focused_panel_leaves_a_line_for_each_other_panel() {
        let panels = [
            (Panel::Control(0), 60),
            (Panel::Control(1), 3),
            (Panel::Control(2), 4),
        ];
        // Focused and taller than the side: cut so that the others keep a line each.
        assert_eq!(compact_heights(&panels, Some(0), 20), Some(vec![18, 1, 1]));
        // Rows left after the cut go to the others in order.
        assert_eq!(
            compact_heights(
                &[(Panel::Control(0), 60), (Panel::Control(1), 3)],
                Some(0),
                4
            ),
            Some(vec![3, 1])
        );
        // Too few rows for a frame: the panels scroll instead.
        assert_eq!(compact_heights(&panels, Some(0), 4), None);
        // Everything fits: nothing changes.
        assert_eq!(compact_heights(&panels, Some(1), 67), Some(vec![60, 3, 4]));
    }
}
