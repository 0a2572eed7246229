//! Drawing. Pure functions of the state into a ratatui frame: drawing never changes the
//! state; what it learns (scroll offsets, pane sizes) is returned as [`LayoutFacts`] and
//! goes back to the update as a message.

use super::app::{App, Level, Popup, SaveState, ViewSource};
use super::msg::LayoutFacts;
use crate::term_safe::tui_safe;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// Draws the whole screen; returns what the frame learned about the layout.
pub fn draw(f: &mut Frame, app: &App) -> LayoutFacts {
    let mut facts = LayoutFacts::default();
    let area = f.area();
    f.render_widget(Block::default().style(app.theme.base()), area);
    if area.height < 4 || area.width < 20 {
        f.render_widget(Paragraph::new("window too small"), area);
        return facts;
    }
    let message = message_rows(app, area);
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Min(1),
            Constraint::Length(1),
            Constraint::Length(message.len() as u16),
        ])
        .split(area);
    app.screen.view(f, app, rows[0], &mut facts);
    draw_status(f, app, rows[1]);
    draw_message(f, app, rows[2], message);
    // Popups above the screen, the inline editor above them all.
    match &app.popup {
        Some(Popup::Help(h)) => h.view(f, app, area),
        Some(Popup::Picker(p)) => p.view(f, app, area),
        Some(Popup::Diff(d)) => d.view(f, &app.theme, &app.keymap, area),
        Some(Popup::Conflict(c)) => c.view(f, &app.theme, &app.keymap, area),
        Some(Popup::Filter(p)) => p.view(f, &app.theme, &app.keymap, area),
        Some(Popup::Columns(p)) => p.view(f, &app.theme, &app.keymap, area),
        Some(Popup::Freq(p)) => p.view(f, &app.theme, &app.keymap, area),
        Some(Popup::Views(p)) => p.view(f, &app.theme, &app.keymap, area),
        Some(Popup::Bulk(p)) => p.view(f, &app.theme, &app.keymap, area),
        Some(Popup::JsonTree(p)) => {
            let rows = p.view(f, &app.theme, &app.keymap, area);
            facts.popup_size = Some((rows as u16, area.width));
        }
        Some(Popup::Compare(p)) => {
            let (rows, width) = p.view(f, &app.theme, &app.keymap, area);
            facts.popup_size = Some((rows as u16, width));
        }
        None => {}
    }
    if let Some(ed) = &app.editor {
        ed.view(f, &app.theme, area);
    }
    facts
}

fn draw_status(f: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let task = app
        .annotate
        .task
        .as_ref()
        .map_or("no task".to_string(), |t| {
            format!("task #{}", t.full.task.id)
        });
    let save = match &app.annotate.save {
        SaveState::Clean => "saved".to_string(),
        SaveState::DraftSaved => "draft saved".to_string(),
        SaveState::Submitted => "submitted".to_string(),
        SaveState::Failed(e) => format!("NOT SAVED: {e}"),
    };
    // The review screen's own writes, and the task it shows.
    let (task, save) = match app.screen {
        super::screens::Screen::Review => super::screens::review::status(app),
        _ => (task, save),
    };
    let mode = if app.editor.is_some() {
        "edit"
    } else if let Some(p) = &app.popup {
        p.mode()
    } else {
        app.screen.mode(app)
    };
    let count = app
        .annotate
        .count
        .map(super::strings::count_pending)
        .unwrap_or_default();
    let source = match app.annotate.task.as_ref().map(|t| t.source) {
        Some(ViewSource::Prediction(i)) => format!("viewing prediction {}", i + 1),
        Some(ViewSource::Annotation(i)) => format!("viewing annotation {} (read-only)", i + 1),
        _ => String::new(),
    };
    let server = app.sync.as_ref().map(|s| s.status()).unwrap_or_default();
    // (segment, rank): when the line is wider than the terminal, the lowest ranks go
    // first, so that what was saved and sent always shows.
    let segments = [
        (tui_safe(&app.title, false).into_owned(), 2),
        (task, 8),
        (
            format!(
                "done {}/{} ({})",
                app.annotate.progress.labeled,
                app.annotate.progress.tasks,
                mine_count(&app.annotate.progress)
            ),
            5,
        ),
        (tui_safe(&app.user, false).into_owned(), 1),
        (save, 9),
        (server, 7),
        (mode.to_string(), 3),
        (count, 4),
        (source, 6),
    ];
    let text = fit_segments(&segments, area.width as usize);
    let failed = match app.screen {
        super::screens::Screen::Review => app.review.failed.is_some(),
        _ => matches!(app.annotate.save, SaveState::Failed(_)),
    };
    let style = if failed {
        th.error().add_modifier(Modifier::REVERSED)
    } else {
        th.status()
    };
    f.render_widget(Paragraph::new(text).style(style), area);
}

/// Rows a message may take when it is wider than the terminal (on a terminal of at least
/// [`TALL_ENOUGH`] rows; one row below that, so that the screen keeps its space).
const MESSAGE_ROWS: usize = 3;
const TALL_ENOUGH: u16 = 16;

/// The bottom rows: the message wrapped between words (the screen above gives up the rows
/// it takes while it shows, the last ending in `…` if it is still longer), or the key hint.
fn message_rows(app: &App, area: Rect) -> Vec<String> {
    let width = area.width as usize;
    match &app.message {
        Some((_, m)) => {
            let max = if area.height >= TALL_ENOUGH {
                MESSAGE_ROWS
            } else {
                1
            };
            let rows = crate::tui::widgets::wrap_ellipsis(&tui_safe(m, false), width, max);
            if rows.is_empty() {
                vec![String::new()]
            } else {
                rows
            }
        }
        None => vec![fit_hint(&app.screen.hint_line(app), width)],
    }
}

fn draw_message(f: &mut Frame, app: &App, area: Rect, rows: Vec<String>) {
    let th = &app.theme;
    let style = match &app.message {
        Some((Level::Info, _)) => th.base(),
        Some((Level::Ok, _)) => th.ok(),
        Some((Level::Warn, _)) => th.warn(),
        Some((Level::Error, _)) => th.error(),
        None => th.dim(),
    };
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|r| Line::from(Span::styled(r, style)))
        .collect();
    f.render_widget(Paragraph::new(lines), area);
}

/// A key hint (`a · b · ... · ? help`) that fits `width`: the items before the last are
/// left out from the end until it does, so that the last, the help key, always shows; a
/// hint that still does not fit ends in an ellipsis.
fn fit_hint(hint: &str, width: usize) -> String {
    let items: Vec<&str> = hint.split(" · ").collect();
    let last = items.len() - 1;
    let ranked = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| (item, if i == last { usize::MAX } else { last - i }))
        .collect();
    fit_ranked(ranked, |parts| parts.join(" · "), width)
}

/// The status segments joined by ` │ `, the lowest-ranked left out until the line fits
/// `width` (empty segments are never shown).
fn fit_segments(segments: &[(String, u8)], width: usize) -> String {
    let shown = segments
        .iter()
        .filter(|(s, _)| !s.is_empty())
        .map(|(s, rank)| (s.as_str(), usize::from(*rank)))
        .collect();
    fit_ranked(shown, |parts| format!(" {} ", parts.join(" │ ")), width)
}

/// `items` as `join` puts them together, the lowest-ranked left out until the text fits
/// `width`; when one is left and it still does not fit, it ends in an ellipsis.
fn fit_ranked(
    mut shown: Vec<(&str, usize)>,
    join: impl Fn(&[&str]) -> String,
    width: usize,
) -> String {
    use unicode_width::UnicodeWidthStr;
    loop {
        let parts: Vec<&str> = shown.iter().map(|(s, _)| *s).collect();
        let text = join(&parts);
        if text.width() <= width {
            return text;
        }
        if shown.len() <= 1 {
            return crate::term_safe::fit(&text, width);
        }
        let lowest = shown
            .iter()
            .enumerate()
            .min_by_key(|(_, (_, rank))| *rank)
            .map(|(i, _)| i)
            .expect("not empty");
        shown.remove(lowest);
    }
}

/// Renders the whole UI into a buffer (tests and the benchmark use this through
/// ratatui's TestBackend).
pub fn buffer_text(buf: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

/// The user's share of the status bar: tasks labelled, and those only skipped apart.
fn mine_count(p: &crate::store::annotate::Progress) -> String {
    let labelled = p.mine - p.skipped;
    if p.skipped > 0 {
        format!("you {labelled}, {} skipped", p.skipped)
    } else {
        format!("you {labelled}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hint_wider_than_the_terminal_keeps_its_last_item_the_help_key() {
        let hint = "label keys choose · J/K focus · Enter edit · s submit · ? help";
        assert_eq!(fit_hint(hint, 80), hint);
        assert_eq!(
            fit_hint(hint, 50),
            "label keys choose · J/K focus · ? help",
            "items before the help key go from the end"
        );
        assert_eq!(fit_hint(hint, 30), "label keys choose · ? help");
        assert_eq!(fit_hint(hint, 10), "? help");
        assert_eq!(fit_hint(hint, 4), "? h…");
        assert_eq!(fit_hint("no items here at all", 8), "no item…");
    }

    #[test]
    fn the_status_line_leaves_out_the_lowest_ranked_segments_until_it_fits() {
        let seg = |s: &str, r: u8| (s.to_string(), r);
        let segments = [
            seg("Reviews", 2),
            seg("task #3", 8),
            seg("annotator@example.com", 1),
            seg("saved", 9),
            seg("server: NOT SENT, retrying", 7),
            seg("", 6),
        ];
        let all =
            " Reviews │ task #3 │ annotator@example.com │ saved │ server: NOT SENT, retrying ";
        assert_eq!(fit_segments(&segments, 200), all);
        assert_eq!(
            fit_segments(&segments, all.chars().count() - 1),
            " Reviews │ task #3 │ saved │ server: NOT SENT, retrying "
        );
        assert_eq!(
            fit_segments(&segments, 50),
            " task #3 │ saved │ server: NOT SENT, retrying "
        );
        assert_eq!(fit_segments(&segments, 7), " saved ");
        // The last segment left, still too wide, ends in an ellipsis (it ran off the edge).
        assert_eq!(fit_segments(&segments, 4), " sa…");
        let failed = [
            seg("NOT SAVED: the project file is busy", 9),
            seg("task #3", 8),
        ];
        assert_eq!(fit_segments(&failed, 20), " NOT SAVED: the pro…");
    }
}
