//! Bulk actions on the marked tasks of the data table, each confirmed before it runs:
//! export them (a format and a path), delete them, delete their annotations or their
//! predictions, or turn their predictions into annotations.

use super::hints_of;
use crate::tui::action::Action;
use crate::tui::keymap::{Ctx, Keymap};
use crate::tui::screens::table::Bulk;
use crate::tui::strings;
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, centered, clip};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

/// One entry of the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkItem {
    Export,
    Run(Bulk),
}

impl BulkItem {
    pub fn all() -> Vec<BulkItem> {
        std::iter::once(BulkItem::Export)
            .chain(Bulk::ALL.into_iter().map(BulkItem::Run))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Menu,
    /// Asking before the action runs.
    Confirm(BulkItem),
}

#[derive(Debug, Clone, PartialEq)]
pub struct BulkMenu {
    /// How many tasks are marked.
    pub marked: usize,
    pub cursor: usize,
    pub stage: Stage,
    /// The export formats that fit the project, and the one chosen.
    pub formats: Vec<String>,
    pub format: usize,
    pub path: String,
    /// Keys go to the export path as text.
    pub typing: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BulkReply {
    Keep,
    Close,
    Run(Bulk),
    Export { format: String, path: String },
}

impl BulkMenu {
    pub fn new(marked: usize, formats: Vec<String>) -> BulkMenu {
        let format = formats.iter().position(|f| f == "JSON").unwrap_or(0);
        BulkMenu {
            marked,
            cursor: 0,
            stage: Stage::Menu,
            formats,
            format,
            path: String::new(),
            typing: false,
        }
    }

    pub fn update(&mut self, a: Action) -> BulkReply {
        let items = BulkItem::all();
        match (self.stage, a) {
            (_, Action::Cancel) if self.stage != Stage::Menu => self.stage = Stage::Menu,
            (_, Action::Cancel) => return BulkReply::Close,
            (Stage::Menu, Action::Down) => self.cursor = (self.cursor + 1).min(items.len() - 1),
            (Stage::Menu, Action::Up) => self.cursor = self.cursor.saturating_sub(1),
            (Stage::Menu, Action::Activate) if self.marked > 0 => {
                let item = items[self.cursor];
                self.stage = Stage::Confirm(item);
                self.typing = item == BulkItem::Export && self.path.is_empty();
            }
            (Stage::Confirm(BulkItem::Export), Action::Left | Action::Right)
                if !self.formats.is_empty() =>
            {
                let by = if a == Action::Right { 1 } else { -1 };
                self.format =
                    (self.format as isize + by).rem_euclid(self.formats.len() as isize) as usize;
            }
            (Stage::Confirm(BulkItem::Export), Action::Toggle) => self.typing = true,
            (Stage::Confirm(BulkItem::Export), Action::Activate) => return self.export(),
            (Stage::Confirm(BulkItem::Run(b)), Action::Activate) => return BulkReply::Run(b),
            _ => {}
        }
        BulkReply::Keep
    }

    fn export(&mut self) -> BulkReply {
        let path = self.path.trim().to_string();
        match self.formats.get(self.format) {
            Some(format) if !path.is_empty() => BulkReply::Export {
                format: format.clone(),
                path,
            },
            _ => {
                self.typing = true;
                BulkReply::Keep
            }
        }
    }

    /// A key while the export path is typed: Enter exports, Esc stops typing.
    pub fn text_key(&mut self, ev: KeyEvent) -> BulkReply {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match ev.code {
            KeyCode::Esc => self.typing = false,
            KeyCode::Enter => {
                self.typing = false;
                return self.export();
            }
            KeyCode::Backspace => {
                self.path.pop();
            }
            KeyCode::Char('u') if ctrl => self.path.clear(),
            KeyCode::Char(c) if !ctrl && !c.is_control() => self.path.push(c),
            _ => {}
        }
        BulkReply::Keep
    }

    pub fn hints(&self, km: &Keymap) -> Vec<(String, String)> {
        let acts: &[(Action, &str)] = match self.stage {
            Stage::Menu => &[
                (Action::Down, "move"),
                (Action::Activate, "choose"),
                (Action::Cancel, "close"),
            ],
            Stage::Confirm(BulkItem::Export) => &[
                (Action::Right, "format"),
                (Action::Toggle, "edit path"),
                (Action::Activate, "export"),
                (Action::Cancel, "back"),
            ],
            Stage::Confirm(_) => &[(Action::Activate, "confirm"), (Action::Cancel, "back")],
        };
        hints_of(km, Ctx::Confirm, acts)
    }

    pub fn view(&self, f: &mut Frame, theme: &Theme, km: &Keymap, area: Rect) {
        let th = theme;
        let r = centered(area, area.width.saturating_sub(4).min(70), 10);
        f.render_widget(Clear, r);
        let b = block(th, strings::bulk_title(self.marked), true);
        let inner = b.inner(r);
        f.render_widget(b, r);
        let w = inner.width as usize;
        let mut lines: Vec<Line> = Vec::new();
        match self.stage {
            Stage::Menu => {
                if self.marked == 0 {
                    lines.push(Line::from(Span::styled(
                        strings::nothing_marked(km),
                        th.warn(),
                    )));
                }
                for (i, item) in BulkItem::all().into_iter().enumerate() {
                    let st = if i == self.cursor {
                        th.cursor()
                    } else {
                        th.base()
                    };
                    lines.push(Line::from(Span::styled(
                        clip(strings::bulk_item(item), w),
                        st,
                    )));
                }
            }
            Stage::Confirm(BulkItem::Export) => {
                let format = self.formats.get(self.format).map_or("-", String::as_str);
                lines.push(Line::from(strings::export_marked(self.marked)));
                lines.push(Line::from(vec![
                    Span::styled(strings::FORMAT_LABEL, th.dim()),
                    Span::styled(format!("◂ {format} ▸"), th.accent()),
                ]));
                let mut path = clip(&self.path, w.saturating_sub(8));
                if self.typing {
                    path.push('▏');
                }
                lines.push(Line::from(vec![
                    Span::styled(strings::PATH_LABEL, th.dim()),
                    Span::styled(path, if self.typing { th.cursor() } else { th.base() }),
                ]));
            }
            Stage::Confirm(BulkItem::Run(b)) => {
                lines.push(Line::from(Span::styled(
                    strings::bulk_confirm(b, self.marked),
                    th.warn(),
                )));
                lines.push(Line::from(Span::styled(
                    strings::confirm_keys(km),
                    th.dim(),
                )));
            }
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bulk_action_runs_only_once_confirmed_and_export_needs_a_path() {
        let mut m = BulkMenu::new(3, vec!["CSV".into(), "JSON".into()]);
        assert_eq!(m.format, 1, "JSON first");
        m.update(Action::Down);
        assert_eq!(m.update(Action::Activate), BulkReply::Keep);
        assert_eq!(m.stage, Stage::Confirm(BulkItem::Run(Bulk::DeleteTasks)));
        assert_eq!(m.update(Action::Cancel), BulkReply::Keep);
        assert_eq!(m.stage, Stage::Menu);
        m.update(Action::Activate);
        assert_eq!(
            m.update(Action::Activate),
            BulkReply::Run(Bulk::DeleteTasks)
        );
        // Export: the path is asked for first.
        let mut m = BulkMenu::new(3, vec!["CSV".into(), "JSON".into()]);
        m.update(Action::Activate);
        assert!(m.typing);
        for c in "out.csv".chars() {
            m.text_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        m.text_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
        m.update(Action::Left);
        assert_eq!(
            m.update(Action::Activate),
            BulkReply::Export {
                format: "CSV".into(),
                path: "out.csv".into()
            }
        );
        // With nothing marked the menu does nothing.
        let mut m = BulkMenu::new(0, Vec::new());
        m.update(Action::Activate);
        assert_eq!(m.stage, Stage::Menu);
    }
}
