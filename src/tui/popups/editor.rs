//! The inline editor: one line (a number, a date, a task id) or a TextArea entry.

use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use crate::util::sanitize;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

#[derive(Debug, Clone, PartialEq)]
pub enum EditTarget {
    TextArea {
        control: String,
        entry: Option<usize>,
    },
    Number(String),
    DateTime(String),
    Jump,
    /// A message of chat `chat`: a new one as `role`, or my message `id`.
    ChatMessage {
        chat: String,
        id: Option<String>,
        role: String,
    },
    /// A frame of a Video object to go to.
    VideoFrame(String),
    /// The frame count of a Video object.
    VideoFrames(String),
    /// The box of track `id` on `frame` of a Video object.
    VideoBox {
        object: String,
        id: String,
        frame: u64,
    },
    /// The comment of a reviewer rejecting annotation `id`.
    ReviewComment(i64),
}

impl EditTarget {
    /// Whether the text edits my result (so that it is drafted as typed), not a place.
    pub fn edits_result(&self) -> bool {
        !matches!(
            self,
            EditTarget::Jump
                | EditTarget::VideoFrame(_)
                | EditTarget::VideoFrames(_)
                | EditTarget::ReviewComment(_)
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Editor {
    pub target: EditTarget,
    pub buf: Vec<char>,
    pub cursor: usize,
}

/// What the editor asks for after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorReply {
    Keep,
    Cancel,
    /// Apply the text to the target.
    Commit,
    /// Go on in `$EDITOR` with the text so far.
    External {
        control: String,
        entry: Option<usize>,
        text: String,
    },
}

impl Editor {
    pub fn new(target: EditTarget, text: String) -> Editor {
        let buf: Vec<char> = text.chars().collect();
        Editor {
            target,
            cursor: buf.len(),
            buf,
        }
    }

    pub fn text(&self) -> String {
        self.buf.iter().collect()
    }

    /// Editing keys are fixed (they are what a text field does everywhere), not keymap
    /// actions.
    pub fn key(&mut self, ev: KeyEvent) -> EditorReply {
        let ed = self;
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        let multiline = matches!(
            ed.target,
            EditTarget::TextArea { .. }
                | EditTarget::ChatMessage { .. }
                | EditTarget::ReviewComment(_)
        );
        match ev.code {
            KeyCode::Esc => return EditorReply::Cancel,
            KeyCode::Enter if multiline && (alt || ev.modifiers.contains(KeyModifiers::SHIFT)) => {
                ed.buf.insert(ed.cursor, '\n');
                ed.cursor += 1;
            }
            KeyCode::Enter => return EditorReply::Commit,
            KeyCode::Char('e') if ctrl && multiline => {
                if let EditTarget::TextArea { control, entry } = &ed.target {
                    return EditorReply::External {
                        control: control.clone(),
                        entry: *entry,
                        text: ed.buf.iter().collect(),
                    };
                }
            }
            KeyCode::Char('u') if ctrl => {
                ed.buf.drain(..ed.cursor);
                ed.cursor = 0;
            }
            KeyCode::Char(c) if !ctrl => {
                ed.buf.insert(ed.cursor, c);
                ed.cursor += 1;
            }
            KeyCode::Backspace if ed.cursor > 0 => {
                ed.cursor -= 1;
                ed.buf.remove(ed.cursor);
            }
            KeyCode::Delete if ed.cursor < ed.buf.len() => {
                ed.buf.remove(ed.cursor);
            }
            KeyCode::Left => ed.cursor = ed.cursor.saturating_sub(1),
            KeyCode::Right => ed.cursor = (ed.cursor + 1).min(ed.buf.len()),
            KeyCode::Home => ed.cursor = 0,
            KeyCode::End => ed.cursor = ed.buf.len(),
            _ => {}
        }
        EditorReply::Keep
    }

    pub fn view(&self, f: &mut Frame, theme: &Theme, area: Rect) {
        let th = theme;
        let ed = self;
        let (title, hint) = match &ed.target {
            EditTarget::TextArea { control, .. } => (
                format!(" {} ", sanitize(control, false)),
                "Enter save · Alt-Enter new line · Ctrl-e $EDITOR · Esc cancel",
            ),
            EditTarget::Number(c) => (
                format!(" {} (number) ", sanitize(c, false)),
                "Enter save · Esc cancel",
            ),
            EditTarget::DateTime(c) => (
                format!(" {} (date/time) ", sanitize(c, false)),
                "Enter save · Esc cancel",
            ),
            EditTarget::Jump => (" go to task id ".into(), "Enter go · Esc cancel"),
            EditTarget::ReviewComment(id) => (
                crate::tui::strings::review_comment_title(*id),
                "Enter reject · Alt-Enter new line · Esc cancel",
            ),
            EditTarget::VideoFrame(o) => (
                format!(" {}: go to frame ", sanitize(o, false)),
                "Enter go · Esc cancel",
            ),
            EditTarget::VideoFrames(o) => (
                format!(" {}: frame count (empty: unknown) ", sanitize(o, false)),
                "Enter save · Esc cancel",
            ),
            EditTarget::VideoBox { frame, .. } => (
                format!(" box on frame {frame}: x y width height (%) "),
                "Enter save · Esc cancel",
            ),
            EditTarget::ChatMessage { chat, id, role } => (
                crate::tui::strings::chat_editor_title(chat, role, id.is_none()),
                "Enter save · Alt-Enter new line · Esc cancel",
            ),
        };
        let text_lines = ed.buf.iter().filter(|c| **c == '\n').count() as u16 + 1;
        let h = (text_lines + 3).min(area.height.saturating_sub(2)).max(4);
        let r = Rect {
            x: area.x + 1,
            y: area.y + area.height.saturating_sub(h + 2),
            width: area.width.saturating_sub(2),
            height: h,
        };
        f.render_widget(Clear, r);
        let mut spans_lines: Vec<Line> = Vec::new();
        let mut cur: Vec<Span> = Vec::new();
        for (i, c) in ed.buf.iter().enumerate() {
            let st = if i == ed.cursor {
                th.cursor()
            } else {
                th.base()
            };
            if *c == '\n' {
                if i == ed.cursor {
                    cur.push(Span::styled(" ", st));
                }
                spans_lines.push(Line::from(std::mem::take(&mut cur)));
            } else {
                cur.push(Span::styled(
                    crate::tui::text::safe_char(*c).to_string(),
                    st,
                ));
            }
        }
        if ed.cursor >= ed.buf.len() {
            cur.push(Span::styled(" ", th.cursor()));
        }
        spans_lines.push(Line::from(cur));
        spans_lines.push(Line::from(Span::styled(hint, th.dim())));
        f.render_widget(
            Paragraph::new(spans_lines)
                .wrap(Wrap { trim: false })
                .block(block(th, title, true)),
            r,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn edits_and_draws_the_buffer() {
        let mut ed = Editor::new(EditTarget::Number("n".into()), "12".into());
        assert_eq!(ed.key(key(KeyCode::Backspace)), EditorReply::Keep);
        assert_eq!(ed.key(key(KeyCode::Char('5'))), EditorReply::Keep);
        assert_eq!(ed.key(key(KeyCode::Home)), EditorReply::Keep);
        assert_eq!(ed.key(key(KeyCode::Char('-'))), EditorReply::Keep);
        assert_eq!(ed.text(), "-15");
        let theme = Theme::load(None, true).unwrap();
        let mut term = Terminal::new(TestBackend::new(40, 10)).unwrap();
        term.draw(|f| ed.view(f, &theme, f.area())).unwrap();
        let text = crate::tui::view::buffer_text(term.backend().buffer());
        assert!(
            text.contains(" n (number) ") && text.contains("-15"),
            "{text}"
        );
        assert_eq!(ed.key(key(KeyCode::Enter)), EditorReply::Commit);
        assert_eq!(ed.key(key(KeyCode::Esc)), EditorReply::Cancel);
    }

    #[test]
    fn a_textarea_goes_on_in_the_external_editor() {
        let target = EditTarget::TextArea {
            control: "notes".into(),
            entry: Some(0),
        };
        let mut ed = Editor::new(target, "draft".into());
        let r = ed.key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::CONTROL));
        assert_eq!(
            r,
            EditorReply::External {
                control: "notes".into(),
                entry: Some(0),
                text: "draft".into()
            }
        );
    }
}
