//! Drawing pieces every screen and popup uses.

use super::theme::Theme;
use crate::term_safe::{display_width, truncate_to_width, tui_safe};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders};

/// A framed pane with a title; the focused one stands out.
pub fn block<'a>(theme: &Theme, title: String, focused: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(Span::styled(
            title,
            if focused {
                theme.border(true).add_modifier(Modifier::BOLD)
            } else {
                theme.accent()
            },
        ))
}

/// A rectangle of at most `w` × `h` in the middle of `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// The start of `s` that fits in `width` columns (made safe to draw), with `…` when cut.
/// Cut per grapheme cluster: an emoji sequence is kept whole or left out.
pub fn clip(s: &str, width: usize) -> String {
    let safe = tui_safe(s, false);
    if display_width(&safe) <= width {
        return safe.into_owned();
    }
    let mut out = truncate_to_width(&safe, width.saturating_sub(1)).into_owned();
    if width > 0 {
        out.push('…');
    }
    out
}

/// `s` (made safe to draw) in rows of at most `width` columns, broken between words where
/// it can; past `max_rows` the last row ends in `…`.
pub fn wrap_ellipsis(s: &str, width: usize, max_rows: usize) -> Vec<String> {
    let width = width.max(1);
    let (mut rows, cut) = wrap(s, width, max_rows);
    if cut && let Some(last) = rows.last_mut() {
        let keep = crate::term_safe::truncate_to_width(last, width.saturating_sub(1));
        *last = format!("{}…", keep.trim_end());
    }
    rows
}

/// `text` in lines of at most `width` columns, broken after the last space that fits (a
/// word wider than a line is cut), at most `max` lines, and whether some of the text was
/// left out. Newlines start lines; characters are made safe to draw. It reads no more of
/// the text than the lines it returns take, so a huge text costs what is shown.
pub fn wrap(text: &str, width: usize, max: usize) -> (Vec<String>, bool) {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(1);
    let mut out: Vec<String> = Vec::new();
    if max == 0 {
        return (out, !text.is_empty());
    }
    let mut line = String::new();
    let mut w = 0;
    // Where the line could break: after its last space (byte index, width there).
    let mut last_space: Option<(usize, usize)> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            out.push(std::mem::take(&mut line));
            if out.len() >= max {
                return (out, chars.peek().is_some());
            }
            w = 0;
            last_space = None;
            continue;
        }
        let c = if c == '\t' {
            ' '
        } else {
            super::text::safe_char(c)
        };
        let cw = c.width().unwrap_or(0);
        if w + cw > width && !line.is_empty() {
            // A space that does not fit is where the line breaks.
            let rest = match last_space {
                _ if c == ' ' => {
                    w = 0;
                    String::new()
                }
                Some((at, aw)) if at < line.len() => {
                    let rest = line.split_off(at);
                    w -= aw;
                    rest
                }
                _ => {
                    w = 0;
                    String::new()
                }
            };
            // The space a line breaks at is not drawn at its end.
            out.push(line.trim_end_matches(' ').to_string());
            line = rest;
            last_space = None;
            if out.len() >= max {
                return (out, true);
            }
            if c == ' ' && line.is_empty() {
                continue;
            }
        }
        line.push(c);
        w += cw;
        if c == ' ' {
            last_space = Some((line.len(), w));
        }
    }
    out.push(line);
    (out, false)
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_breaks_at_spaces_cuts_long_words_and_says_when_text_is_left_out() {
        assert_eq!(wrap("hello big world", 9, 10).0, vec!["hello big", "world"]);
        assert_eq!(wrap("one two three", 7, 4).0, vec!["one two", "three"]);
        assert_eq!(
            wrap("one two three four five", 9, 2),
            (vec!["one two".to_string(), "three".to_string()], true)
        );
        assert_eq!(wrap("abcdefghij", 4, 10).0, vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\n\nb", 4, 10).0, vec!["a", "", "b"]);
        assert_eq!(wrap("", 4, 10), (vec![String::new()], false));
        assert_eq!(wrap("short", 20, 3), (vec!["short".to_string()], false));
        assert_eq!(wrap("名名名", 4, 10).0, vec!["名名", "名"]);
        // Escape sequences never reach the screen.
        assert_eq!(wrap("a\u{1b}[2Jb", 10, 10).0, vec!["a [2Jb"]);
        let huge = "word ".repeat(1_000_000);
        assert_eq!(wrap(&huge, 40, 3), (wrap(&huge, 40, 3).0, true));
        assert_eq!(wrap(&huge, 40, 3).0.len(), 3);
        assert_eq!(wrap("x", 0, 0), (Vec::<String>::new(), true));
    }
}
