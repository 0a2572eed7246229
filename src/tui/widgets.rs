//! Drawing pieces every screen and popup uses.

use super::theme::Theme;
use crate::util::sanitize;
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

/// The start of `s` that fits in `width` columns (sanitised), with `…` when cut.
pub fn clip(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut col = 0;
    let end = s
        .char_indices()
        .find(|(_, c)| {
            col += c.width().unwrap_or(0).max(1);
            col > width
        })
        .map_or(s.len(), |(i, _)| i);
    let mut out = sanitize(&s[..end], false);
    if end < s.len() {
        out.push('…');
    }
    out
}
