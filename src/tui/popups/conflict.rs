//! The conflict popup: a submit or skip would replace my newer annotation of the task,
//! made in another window. The answer is held (not stored, not dropped) until I choose:
//! store it over that one, keep that one, or decide later.

use super::hints_of;
use crate::annotate::SaveKind;
use crate::term_safe::display_width;
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
pub struct Conflict {
    pub task_id: i64,
    /// What was held: a submit or a skip.
    pub kind: SaveKind,
    /// My stored annotation the answer would replace.
    pub annotation_id: i64,
    pub revision: i64,
    /// When that annotation was stored, as the store keeps it.
    pub updated_at: String,
}

/// What the user chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictReply {
    /// Nothing yet.
    Keep,
    /// Store the held answer over the other window's.
    Overwrite,
    /// Keep the other window's answer; mine goes one undo step back.
    KeepStored,
    /// Close; the answer stays held and on screen, not saved.
    Later,
}

impl Conflict {
    pub fn new(
        task_id: i64,
        kind: SaveKind,
        annotation_id: i64,
        revision: i64,
        updated_at: String,
    ) -> Conflict {
        Conflict {
            task_id,
            kind,
            annotation_id,
            revision,
            updated_at,
        }
    }

    pub fn update(&self, a: Action) -> ConflictReply {
        match a {
            Action::Overwrite => ConflictReply::Overwrite,
            Action::KeepStored => ConflictReply::KeepStored,
            Action::Cancel => ConflictReply::Later,
            _ => ConflictReply::Keep,
        }
    }

    pub fn hints(&self, km: &Keymap) -> Vec<(String, String)> {
        hints_of(
            km,
            Ctx::Conflict,
            &[
                (Action::Overwrite, "overwrite"),
                (Action::KeepStored, "keep that one"),
                (Action::Cancel, "decide later"),
            ],
        )
    }

    /// The popup's lines: what happened, then each choice with its key.
    pub fn lines(&self, km: &Keymap) -> Vec<String> {
        let key = |a: Action| km.key_for(Ctx::Conflict, a).unwrap_or_else(|| "?".into());
        vec![
            strings::conflict_headline(self.task_id, self.kind, &self.updated_at),
            String::new(),
            strings::conflict_overwrite(&key(Action::Overwrite)),
            strings::conflict_keep(
                &key(Action::KeepStored),
                &km.key_for(Ctx::Task, Action::Undo).unwrap_or_default(),
            ),
            strings::conflict_later(&key(Action::Cancel)),
        ]
    }

    pub fn view(&self, f: &mut Frame, theme: &Theme, km: &Keymap, area: Rect) {
        let lines = self.lines(km);
        let width = area.width.saturating_sub(4).min(72);
        let inner = width.saturating_sub(2).max(1) as usize;
        // Wrapped rows, plus the frame.
        let rows: usize = lines
            .iter()
            .map(|l| display_width(l).div_ceil(inner).max(1))
            .sum();
        let r = centered(area, width, (rows as u16 + 2).min(area.height));
        f.render_widget(Clear, r);
        let out: Vec<Line> = lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let st = if i == 0 { theme.warn() } else { theme.base() };
                Line::from(Span::styled(l, st))
            })
            .collect();
        f.render_widget(
            Paragraph::new(out).wrap(Wrap { trim: false }).block(block(
                theme,
                strings::CONFLICT_TITLE.into(),
                true,
            )),
            r,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn conflict() -> Conflict {
        Conflict::new(
            7,
            SaveKind::Submit,
            3,
            2,
            "2026-12-01T05:23:41.123456Z".into(),
        )
    }

    #[test]
    fn keys_choose_and_the_popup_says_what_happened() {
        let c = conflict();
        assert_eq!(c.update(Action::Overwrite), ConflictReply::Overwrite);
        assert_eq!(c.update(Action::KeepStored), ConflictReply::KeepStored);
        assert_eq!(c.update(Action::Cancel), ConflictReply::Later);
        assert_eq!(c.update(Action::Down), ConflictReply::Keep);
        let km = Keymap::default_map(false);
        assert_eq!(
            c.hints(&km),
            vec![
                ("o".to_string(), "overwrite".to_string()),
                ("k".into(), "keep that one".into()),
                ("Esc".into(), "decide later".into())
            ]
        );
        let theme = Theme::load(None, true).unwrap();
        for (w, h) in [(80, 24), (50, 16)] {
            let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
            term.draw(|f| c.view(f, &theme, &km, f.area())).unwrap();
            let text = crate::tui::view::buffer_text(term.backend().buffer());
            assert!(
                text.contains("You submitted task 7 in another window at"),
                "{text}"
            );
            assert!(text.contains("05:23:41"), "{text}");
            assert!(text.contains("decide later"), "{text}");
        }
    }
}
