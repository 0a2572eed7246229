//! Saved views of the data table (filters, sort and columns kept in the project): load,
//! save the table as it is under a name, delete.

use super::hints_of;
use crate::tui::action::Action;
use crate::tui::keymap::{Ctx, Keymap};
use crate::tui::strings;
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, centered, clip};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ViewsPopup {
    pub names: Vec<String>,
    pub cursor: usize,
    /// The name being typed for a save.
    pub naming: Option<String>,
    /// The names are on their way from the store.
    pub loading: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ViewsReply {
    Keep,
    Close,
    Load(String),
    Save(String),
    Delete(String),
}

impl ViewsPopup {
    pub fn update(&mut self, a: Action) -> ViewsReply {
        let n = self.names.len();
        match a {
            Action::Down => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Activate => {
                if let Some(name) = self.names.get(self.cursor) {
                    return ViewsReply::Load(name.clone());
                }
            }
            Action::SaveView => {
                self.naming = Some(self.names.get(self.cursor).cloned().unwrap_or_default())
            }
            Action::Clear => {
                if let Some(name) = self.names.get(self.cursor) {
                    return ViewsReply::Delete(name.clone());
                }
            }
            Action::Cancel => return ViewsReply::Close,
            _ => {}
        }
        ViewsReply::Keep
    }

    /// A key while a name is typed: Enter saves, Esc stops.
    pub fn text_key(&mut self, ev: KeyEvent) -> ViewsReply {
        let Some(name) = &mut self.naming else {
            return ViewsReply::Keep;
        };
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match ev.code {
            KeyCode::Esc => self.naming = None,
            KeyCode::Enter => {
                let name = name.trim().to_string();
                if !name.is_empty() {
                    self.naming = None;
                    return ViewsReply::Save(name);
                }
            }
            KeyCode::Backspace => {
                name.pop();
            }
            KeyCode::Char('u') if ctrl => name.clear(),
            KeyCode::Char(c) if !ctrl && !c.is_control() => name.push(c),
            _ => {}
        }
        ViewsReply::Keep
    }

    pub fn hints(&self, km: &Keymap) -> Vec<(String, String)> {
        hints_of(
            km,
            Ctx::Views,
            &[
                (Action::Activate, "load"),
                (Action::SaveView, "save as"),
                (Action::Clear, "delete"),
                (Action::Cancel, "close"),
            ],
        )
    }

    pub fn view(&self, f: &mut Frame, theme: &Theme, km: &Keymap, area: Rect) {
        let th = theme;
        let h =
            (self.names.len().min(1000) as u16 + 4).clamp(6, area.height.saturating_sub(2).max(6));
        let r = centered(area, area.width.saturating_sub(4).min(60), h);
        f.render_widget(Clear, r);
        let b = block(th, strings::VIEWS_TITLE.to_string(), true);
        let inner = b.inner(r);
        f.render_widget(b, r);
        let w = inner.width as usize;
        let rows = (inner.height as usize).saturating_sub(2).max(1);
        let mut lines: Vec<Line> = Vec::new();
        if self.names.is_empty() {
            let text = if self.loading {
                strings::LOADING
            } else {
                strings::NO_VIEWS
            };
            lines.push(Line::from(Span::styled(text, th.dim())));
        }
        let start = self.cursor.saturating_sub(rows.saturating_sub(1));
        for (i, n) in self.names.iter().enumerate().skip(start).take(rows) {
            let st = if i == self.cursor {
                th.cursor()
            } else {
                th.base()
            };
            lines.push(Line::from(Span::styled(clip(n, w), st)));
        }
        lines.push(Line::from(""));
        match &self.naming {
            Some(name) => lines.push(Line::from(vec![
                Span::styled(strings::VIEW_NAME_PROMPT, th.accent()),
                Span::styled(clip(name, w.saturating_sub(12)), th.base()),
                Span::styled(" ", th.cursor()),
            ])),
            None => lines.push(Line::from(Span::styled(
                clip(&strings::views_keys(km), w),
                th.dim(),
            ))),
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_saves_under_a_typed_name_and_deletes() {
        let mut v = ViewsPopup {
            names: vec!["low score".into(), "todo".into()],
            ..ViewsPopup::default()
        };
        v.update(Action::Down);
        assert_eq!(v.update(Action::Activate), ViewsReply::Load("todo".into()));
        assert_eq!(v.update(Action::Clear), ViewsReply::Delete("todo".into()));
        v.update(Action::SaveView);
        assert_eq!(v.naming.as_deref(), Some("todo"));
        v.text_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        for c in "mine".chars() {
            v.text_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        assert_eq!(
            v.text_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            ViewsReply::Save("mine".into())
        );
        assert_eq!(v.naming, None);
    }
}
