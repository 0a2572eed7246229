//! The diff popup: the shown annotation against a prediction or another annotation.

use super::{Reply, hints_of};
use crate::tui::action::Action;
use crate::tui::keymap::{Ctx, Keymap};
use crate::tui::strings;
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, centered};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// (`+`, `-`, `~`, `=` or a heading mark, text).
    pub lines: Vec<(char, String)>,
    pub scroll: u16,
}

impl Diff {
    pub fn update(&mut self, a: Action) -> Reply {
        match a {
            Action::Down => self.scroll = self.scroll.saturating_add(1),
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Cancel => return Reply::Close,
            _ => {}
        }
        Reply::Keep
    }

    pub fn hints(&self, km: &Keymap) -> Vec<(String, String)> {
        hints_of(
            km,
            Ctx::Diff,
            &[(Action::Down, "scroll"), (Action::Cancel, "close")],
        )
    }

    pub fn view(&self, f: &mut Frame, theme: &Theme, km: &Keymap, area: Rect) {
        let (lines, scroll) = (&self.lines, self.scroll);
        let th = theme;
        let r = centered(
            area,
            area.width.saturating_sub(4),
            area.height.saturating_sub(2),
        );
        f.render_widget(Clear, r);
        let out: Vec<Line> = lines
            .iter()
            .map(|(c, s)| {
                let st = match c {
                    '+' => th.ok(),
                    '-' => th.error(),
                    '~' => th.warn(),
                    '=' => th.dim(),
                    _ => th.accent(),
                };
                Line::from(Span::styled(format!("{c} {s}"), st))
            })
            .collect();
        f.render_widget(
            Paragraph::new(out)
                .scroll((scroll, 0))
                .wrap(Wrap { trim: false })
                .block(block(th, strings::diff_title(km), true)),
            r,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    #[test]
    fn draws_its_lines_and_scrolls() {
        let mut d = Diff {
            lines: vec![('+', "added".into()), ('-', "removed".into())],
            scroll: 0,
        };
        let theme = Theme::load(None, true).unwrap();
        let km = Keymap::default_map(false);
        let mut term = Terminal::new(TestBackend::new(40, 10)).unwrap();
        term.draw(|f| d.view(f, &theme, &km, f.area())).unwrap();
        let text = crate::tui::view::buffer_text(term.backend().buffer());
        assert!(
            text.contains("+ added") && text.contains("- removed"),
            "{text}"
        );
        assert_eq!(d.update(Action::Down), Reply::Keep);
        term.draw(|f| d.view(f, &theme, &km, f.area())).unwrap();
        let text = crate::tui::view::buffer_text(term.backend().buffer());
        assert!(
            !text.contains("+ added") && text.contains("- removed"),
            "{text}"
        );
        assert_eq!(d.update(Action::Cancel), Reply::Close);
    }
}
