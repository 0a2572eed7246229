//! The column chooser of the data table: show or hide each field, move it, size it.

use super::hints_of;
use crate::tui::action::Action;
use crate::tui::keymap::{Ctx, Keymap};
use crate::tui::screens::table::columns::Columns;
use crate::tui::strings;
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, centered, clip};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnChooser {
    /// The columns as edited (the table takes them on each change).
    pub columns: Columns,
    pub cursor: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnsReply {
    Keep,
    Close,
    Changed,
}

impl ColumnChooser {
    pub fn new(columns: Columns) -> ColumnChooser {
        ColumnChooser { columns, cursor: 0 }
    }

    pub fn update(&mut self, a: Action) -> ColumnsReply {
        let n = self.columns.all.len();
        match a {
            Action::Down => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::PageDown => self.cursor = (self.cursor + 10).min(n.saturating_sub(1)),
            Action::PageUp => self.cursor = self.cursor.saturating_sub(10),
            Action::Toggle => {
                self.columns.toggle(self.cursor);
                return ColumnsReply::Changed;
            }
            Action::MoveItemUp | Action::MoveItemDown => {
                let by = if a == Action::MoveItemUp { -1 } else { 1 };
                self.cursor = self.columns.shift(self.cursor, by);
                return ColumnsReply::Changed;
            }
            Action::GrowWidth | Action::ShrinkWidth => {
                let by = if a == Action::GrowWidth { 2 } else { -2 };
                if let Some(c) = self.columns.all.get_mut(self.cursor) {
                    c.width = (c.width as i32 + by).clamp(
                        crate::tui::screens::table::columns::MIN_WIDTH as i32,
                        crate::tui::screens::table::columns::MAX_WIDTH as i32,
                    ) as u16;
                }
                return ColumnsReply::Changed;
            }
            Action::Cancel => return ColumnsReply::Close,
            _ => {}
        }
        ColumnsReply::Keep
    }

    pub fn hints(&self, km: &Keymap) -> Vec<(String, String)> {
        hints_of(
            km,
            Ctx::Columns,
            &[
                (Action::Toggle, "show/hide"),
                (Action::MoveItemUp, "move up"),
                (Action::MoveItemDown, "move down"),
                (Action::GrowWidth, "wider"),
                (Action::ShrinkWidth, "narrower"),
                (Action::Cancel, "close"),
            ],
        )
    }

    pub fn view(&self, f: &mut Frame, theme: &Theme, _km: &Keymap, area: Rect) {
        let th = theme;
        let n = self.columns.all.len();
        let h = (n.min(1000) as u16 + 2).min(area.height.saturating_sub(2));
        let r = centered(area, area.width.saturating_sub(4).min(60), h);
        f.render_widget(Clear, r);
        let b = block(th, strings::COLUMNS_TITLE.to_string(), true);
        let inner = b.inner(r);
        f.render_widget(b, r);
        let rows = inner.height as usize;
        let start = self.cursor.saturating_sub(rows.saturating_sub(1));
        let w = inner.width as usize;
        let lines: Vec<Line> = self
            .columns
            .all
            .iter()
            .enumerate()
            .skip(start)
            .take(rows)
            .map(|(i, c)| {
                let mark = if c.shown { "[x]" } else { "[ ]" };
                let text = format!("{mark} {:>3}  {}", c.width, c.field);
                let st = if i == self.cursor {
                    th.cursor()
                } else if c.shown {
                    th.base()
                } else {
                    th.dim()
                };
                Line::from(Span::styled(clip(&text, w), st))
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_moves_and_sizes_columns() {
        let mut c = ColumnChooser::new(Columns::new(&["data.text".into()]));
        c.update(Action::Down);
        assert_eq!(c.update(Action::Toggle), ColumnsReply::Changed);
        assert!(!c.columns.shown_fields().contains(&"status".to_string()));
        c.update(Action::MoveItemDown);
        assert_eq!(c.cursor, 2);
        assert_eq!(c.columns.all[2].field, "status");
        let w = c.columns.all[2].width;
        c.update(Action::GrowWidth);
        assert_eq!(c.columns.all[2].width, w + 2);
        assert_eq!(c.update(Action::Cancel), ColumnsReply::Close);
    }
}
