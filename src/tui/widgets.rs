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
