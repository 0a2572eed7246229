//! The help popup: every live key, generated from the keymap.

use super::{Reply, hints_of};
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::{Ctx, Keymap};
use crate::tui::screens::Screen;
use crate::tui::strings;
use crate::tui::widgets::{block, centered, clip};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Help {
    pub scroll: u16,
}

/// The help lines for the live contexts, generated from the keymap.
pub fn help_lines(app: &App) -> Vec<(String, String, bool)> {
    let mut ctxs: Vec<Ctx> = app.screen.contexts(app);
    ctxs.dedup();
    let mut out = Vec::new();
    for ctx in ctxs {
        out.push((ctx.title().to_string(), String::new(), true));
        for (k, d) in app.keymap.describe(ctx) {
            out.push((k, d, false));
        }
    }
    if app.screen == Screen::Task
        && let Some(t) = &app.annotate.task
    {
        let keys = app.hotkeys();
        if !keys.is_empty() {
            out.push(("Label keys of this task".into(), String::new(), true));
            for (k, ci, li) in keys {
                let c = &t.config.controls[ci];
                out.push((
                    k.display(),
                    format!("{}: {}", clip(&c.name, 40), clip(&c.labels[li].value, 80)),
                    false,
                ));
            }
        }
    }
    if !app.keymap.ls_keys {
        out.push((
            "Label Studio keys (Ctrl-Enter, Ctrl-Space...)".into(),
            "need a terminal with the kitty keyboard protocol".into(),
            true,
        ));
    }
    out
}

impl Help {
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
            Ctx::Help,
            &[(Action::Down, "scroll"), (Action::Cancel, "close")],
        )
    }

    pub fn view(&self, f: &mut Frame, app: &App, area: Rect) {
        let scroll = self.scroll;
        let th = &app.theme;
        let r = centered(area, 84, area.height.saturating_sub(2));
        f.render_widget(Clear, r);
        let lines: Vec<Line> = help_lines(app)
            .into_iter()
            .map(|(k, d, head)| {
                if head {
                    Line::from(vec![
                        Span::styled(k, th.accent().add_modifier(Modifier::BOLD)),
                        Span::styled(
                            if d.is_empty() {
                                String::new()
                            } else {
                                format!(" — {d}")
                            },
                            th.dim(),
                        ),
                    ])
                } else {
                    Line::from(vec![
                        Span::styled(format!("  {k:<22}"), th.warn()),
                        Span::styled(d, th.base()),
                    ])
                }
            })
            .collect();
        f.render_widget(
            Paragraph::new(lines)
                .scroll((scroll, 0))
                .block(block(th, strings::help_title(&app.keymap), true))
                .style(th.base()),
            r,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrolls_and_closes() {
        let mut h = Help::default();
        assert_eq!(h.update(Action::Down), Reply::Keep);
        assert_eq!(h.update(Action::Down), Reply::Keep);
        assert_eq!(h.update(Action::Up), Reply::Keep);
        assert_eq!(h.scroll, 1);
        assert_eq!(h.update(Action::Cancel), Reply::Close);
        let hints = h.hints(&Keymap::default_map(false));
        assert!(
            hints.iter().any(|(k, d)| k == "Esc" && d == "close"),
            "{hints:?}"
        );
    }
}
