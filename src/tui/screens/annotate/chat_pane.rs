//! A Chat pane: the conversation drawn as a thread (role, then the wrapped content), the
//! line that adds a message, and its keys. The conversation itself (which messages,
//! what a new one looks like, the submit rules) is `annotate::chat`.

use crate::annotate::chat::{self, ChatSpec, Thread};
use crate::config::{ControlTag, ObjectTag};
use crate::term_safe::tui_safe;
use crate::tui::action::Action;
use crate::tui::app::{App, Effect};
use crate::tui::popups::EditTarget;
use crate::tui::result as res;
use crate::tui::strings;
use crate::tui::widgets::{block, clip};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use serde_json::Value;

use super::{Content, ViewSource};

/// How many messages Page Up and Page Down move.
const PAGE: usize = 10;

/// A chat pane's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatPane {
    /// The message under the cursor; `None` is the new-message line under the last one.
    pub cursor: Option<usize>,
    /// A role chosen for the next message (index into the roles) and how many messages
    /// there were then: once one is added, the roles alternate again.
    pub role_choice: Option<(usize, usize)>,
    /// Lines of the message under the cursor scrolled past, when it is taller than the
    /// pane.
    pub offset: usize,
}

impl ChatPane {
    /// The cursor within a conversation of `len` messages.
    fn at(&self, len: usize) -> Option<usize> {
        self.cursor.filter(|c| *c < len)
    }
}

/// The role of the next new message.
fn next_role(spec: &ChatSpec, thread: &Thread, pane: &ChatPane) -> usize {
    match pane.role_choice {
        Some((r, n)) if n == thread.len() && r < spec.roles.len() => r,
        _ => spec.next_role(thread.last_role().as_deref()),
    }
}

/// The chat's data value as opened.
fn chat_data<'a>(
    contents: &'a std::collections::HashMap<String, Content>,
    name: &str,
) -> &'a Value {
    static NULL: Value = Value::Null;
    match contents.get(name) {
        Some(Content::Data(v)) => v,
        _ => &NULL,
    }
}

/// Lines of `text` wrapped to `width` columns, at most `max` of them.
fn wrap(text: &str, width: usize, max: usize) -> Vec<String> {
    crate::tui::widgets::wrap(text, width, max).0
}

/// How many lines a message takes at `width` (its role line, then its text), counted up
/// to `max`.
fn message_height(content: &str, width: usize, max: usize) -> usize {
    1 + wrap(content, width.saturating_sub(4), max.saturating_sub(1)).len()
}

/// The lines one message takes at `width`, at most `max`: its role line, then its text.
fn message_lines(
    app: &App,
    spec: &ChatSpec,
    m: &chat::Message,
    marks: (bool, bool),
    width: usize,
    max: usize,
) -> Vec<Line<'static>> {
    let th = &app.theme;
    let (under_cursor, selected) = marks;
    let role_i = spec.roles.iter().position(|r| *r == m.role);
    let role_style = match role_i {
        Some(i) => Style::default()
            .fg(th.label_color(None, i))
            .add_modifier(Modifier::BOLD),
        None => th.accent().add_modifier(Modifier::BOLD),
    };
    let role = if m.role.is_empty() {
        strings::CHAT_NO_ROLE.to_string()
    } else {
        clip(&m.role, width.saturating_sub(14).max(4))
    };
    let mut head = vec![
        Span::styled(if under_cursor { "▶ " } else { "  " }, th.accent()),
        Span::styled(role, role_style),
    ];
    if m.id.is_none() {
        head.push(Span::styled(strings::CHAT_FROM_DATA, th.dim()));
    } else if selected {
        head.push(Span::styled(strings::CHAT_SELECTED, th.cursor()));
    }
    let mut out = vec![Line::from(head)];
    let body_style = if selected { th.selection() } else { th.base() };
    for l in wrap(&m.content, width.saturating_sub(4), max.saturating_sub(1)) {
        out.push(Line::from(vec![
            Span::raw("    "),
            Span::styled(l, body_style),
        ]));
    }
    out.truncate(max);
    out
}

/// Draws a chat: as many messages as fit around the cursor (the last ones while the cursor
/// is on the new-message line), notes about its data, and the new-message line.
pub(super) fn draw(
    f: &mut Frame,
    app: &App,
    o: &ObjectTag,
    v: &Value,
    area: Rect,
    focused: bool,
    lay: &mut crate::tui::msg::TaskLayout,
) {
    let t = app.annotate.task.as_ref().expect("task");
    let th = &app.theme;
    let spec = ChatSpec::of(&t.config, &o.name, &t.data)
        .unwrap_or_else(|| ChatSpec::from_attrs(&o.name, |k| o.attr(k), &t.data));
    let shown = app.shown_result();
    let thread = Thread::new(v, &shown, &o.name);
    let pane = t.chat.get(&o.name).cloned().unwrap_or_default();
    let n = thread.len();
    let inner_w = usize::from(area.width.saturating_sub(2));
    let title = format!(
        " {} ({}) · {} ",
        clip(&o.name, inner_w.saturating_sub(30).max(8)),
        o.tag,
        strings::chat_count(n, spec.min_messages, spec.max_messages)
    );
    let height = usize::from(area.height.saturating_sub(2));
    let mut notes: Vec<Line> = Vec::new();
    if let Some(p) = chat::data_problem(v) {
        notes.push(Line::from(Span::styled(p, th.warn())));
    }
    if let Some(m) = &spec.llm {
        notes.push(Line::from(Span::styled(
            clip(&strings::chat_no_llm(m), inner_w),
            th.dim(),
        )));
    }
    notes.truncate(height.saturating_sub(1));
    let cursor = pane.at(n);
    let mine = t.source == ViewSource::Mine;
    let new_line = if !mine {
        None
    } else if !spec.can_add(n) {
        Some(Line::from(Span::styled(
            strings::chat_full(spec.max_messages.unwrap_or(0)),
            th.dim(),
        )))
    } else {
        let role = spec.roles.get(next_role(&spec, &thread, &pane)).cloned();
        let text = strings::chat_new_line(
            &app.keymap,
            role.as_deref().unwrap_or("?"),
            spec.roles.len(),
        );
        let st = if focused && cursor.is_none() {
            th.cursor()
        } else {
            th.dim()
        };
        Some(Line::from(Span::styled(clip(&text, inner_w), st)))
    };
    let room = height
        .saturating_sub(notes.len())
        .saturating_sub(usize::from(new_line.is_some()));
    lay.chat_rows.insert(o.name.clone(), (room, inner_w));
    let selected = t.selected.as_deref();
    let lines_of = |i: usize, max: usize| -> Vec<Line<'static>> {
        match thread.get(i) {
            Some(m) => {
                let marks = (
                    focused && cursor == Some(i),
                    m.id.is_some() && m.id == selected,
                );
                message_lines(app, &spec, &m, marks, inner_w, max)
            }
            None => Vec::new(),
        }
    };
    // The messages shown: the last ones when what follows the cursor fits (a chat reads
    // from its end), else from the cursor down. Only those are laid out.
    let mut body: Vec<Line> = Vec::new();
    let tail_fits = match cursor {
        None => true,
        Some(_) if pane.offset > 0 => false,
        Some(c) => {
            let mut used = 0;
            let mut i = c;
            while i < n && used <= room {
                used += lines_of(i, room + 1).len();
                i += 1;
            }
            used <= room
        }
    };
    if n == 0 {
        body.push(Line::from(Span::styled(
            strings::CHAT_NO_MESSAGES,
            th.dim(),
        )));
    } else if tail_fits {
        let mut i = n;
        while i > 0 && body.len() < room {
            i -= 1;
            let mut ls = lines_of(i, room);
            let left = room - body.len();
            if ls.len() > left {
                // The top message shows its end.
                ls.drain(..ls.len() - left);
            }
            ls.extend(body);
            body = ls;
        }
    } else if let Some(c) = cursor {
        // The cursor's message from the line read to, then the ones after it.
        let mut first = lines_of(c, pane.offset.saturating_add(room));
        first.drain(..pane.offset.min(first.len()));
        body = first;
        let mut i = c + 1;
        while i < n && body.len() < room {
            let left = room - body.len();
            body.extend(lines_of(i, left));
            i += 1;
        }
    }
    body.truncate(room);
    let mut lines = notes;
    // As in a chat, the messages end just above the new-message line.
    if new_line.is_some() {
        lines.extend((body.len()..room).map(|_| Line::from("")));
    }
    lines.extend(body);
    lines.extend(new_line);
    f.render_widget(
        Paragraph::new(lines).block(block(th, tui_safe(&title, false).into_owned(), focused)),
        area,
    );
}

impl App {
    /// Reads chat `name` as it stands (its setup, its conversation, its pane) without
    /// copying its data: a conversation can be long.
    fn chat_view<R>(
        &self,
        name: &str,
        f: impl FnOnce(&ChatSpec, &Thread, &ChatPane) -> R,
    ) -> Option<R> {
        let t = self.annotate.task.as_ref()?;
        let spec = ChatSpec::of(&t.config, name, &t.data)?;
        let thread = Thread::new(chat_data(&t.contents, name), t.draft.result(), name);
        let pane = t.chat.get(name).cloned().unwrap_or_default();
        Some(f(&spec, &thread, &pane))
    }

    /// A key on a focused chat.
    pub(in crate::tui) fn chat_action(&mut self, obj: &ObjectTag, a: Action) -> Vec<Effect> {
        let name = obj.name.clone();
        // What the key needs to know, read once: the conversation's length, the cursor,
        // my message under it (id, role, content), the role of a new message.
        type Under = Option<(Option<String>, String, String)>;
        let (rows, width) = self.annotate.task.as_ref().map_or((10, 80), |t| {
            t.layout.chat_rows.get(&name).copied().unwrap_or((10, 80))
        });
        let Some((spec, n, at, under, role, offset)) =
            self.chat_view(&name, |spec, thread, pane| {
                let at = pane.at(thread.len());
                let under: Under = at.and_then(|i| thread.get(i)).map(|m| {
                    (
                        m.id.map(str::to_string),
                        m.role.to_string(),
                        m.content.to_string(),
                    )
                });
                (
                    spec.clone(),
                    thread.len(),
                    at,
                    under,
                    next_role(spec, thread, pane),
                    pane.offset,
                )
            })
        else {
            return Vec::new();
        };
        // Positions run over the messages, then the new-message line (n).
        let pos = at.unwrap_or(n);
        let count = self.annotate.take_count();
        let move_to = |p: usize| (p < n).then_some(p);
        let target = match a {
            Action::Up => Some(move_to(pos.saturating_sub(count))),
            Action::Down => Some(move_to((pos + count).min(n))),
            Action::PageUp => Some(move_to(pos.saturating_sub(PAGE * count))),
            Action::PageDown => Some(move_to((pos + PAGE * count).min(n))),
            Action::Top => Some(move_to(0)),
            Action::Bottom => Some(None),
            _ => None,
        };
        // A message taller than the pane is read through before the cursor leaves it.
        let step = rows.saturating_sub(1).max(1);
        let height = under.as_ref().map_or(0, |(_, _, content)| {
            // Counted just far enough to know where a page down ends.
            message_height(content, width, offset + step + rows)
        });
        let within = match a {
            Action::Down if at.is_some() && offset + rows < height => {
                Some((offset + step).min(height.saturating_sub(rows)))
            }
            Action::Up if offset > 0 => Some(offset.saturating_sub(step)),
            _ => None,
        };
        if let Some(offset) = within {
            let t = self.annotate.task.as_mut().expect("task");
            t.chat.entry(name).or_default().offset = offset;
            return Vec::new();
        }
        if let Some(cursor) = target {
            let t = self.annotate.task.as_mut().expect("task");
            let pane = t.chat.entry(name.clone()).or_default();
            pane.cursor = cursor;
            pane.offset = 0;
            self.chat_select_under_cursor(&name);
            return Vec::new();
        }
        match a {
            Action::NewMessage => self.start_chat_message(&spec, n, role),
            Action::CycleRole => {
                let next = (role + 1) % spec.roles.len().max(1);
                let t = self.annotate.task.as_mut().expect("task");
                t.chat.entry(name).or_default().role_choice = Some((next, n));
                let role = spec.roles.get(next).cloned().unwrap_or_default();
                self.info(strings::chat_next_role(&role));
                Vec::new()
            }
            Action::Activate | Action::Toggle => match under {
                None => self.start_chat_message(&spec, n, role),
                Some((None, _, _)) => {
                    self.info(strings::CHAT_DATA_READ_ONLY);
                    Vec::new()
                }
                Some((Some(_), role, _)) if !spec.can_edit(&role) => {
                    self.info(strings::chat_not_editable(&role));
                    Vec::new()
                }
                Some((Some(id), role, content)) => {
                    if self.chat_writable() {
                        let target = EditTarget::ChatMessage {
                            chat: name,
                            id: Some(id),
                            role,
                        };
                        self.start_editor(target, content);
                    }
                    Vec::new()
                }
            },
            Action::Clear => match under {
                Some((None, _, _)) => {
                    self.info(strings::CHAT_DATA_READ_ONLY);
                    Vec::new()
                }
                Some((Some(id), _, _)) => {
                    let out = self.edit(move |_, r| {
                        let before = r.len();
                        res::delete_region(r, &id);
                        r.len() != before
                    });
                    self.chat_select_under_cursor(&name);
                    out
                }
                None => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// My message under the chat's cursor becomes the selected region: the one
    /// per-message controls apply to (none on a message of the task data).
    fn chat_select_under_cursor(&mut self, name: &str) {
        let Some(id) = self.chat_view(name, |_, thread, pane| {
            pane.at(thread.len())
                .and_then(|c| thread.get(c))
                .and_then(|m| m.id.map(str::to_string))
        }) else {
            return;
        };
        if let Some(t) = self.annotate.task.as_mut() {
            t.selected = id;
        }
    }

    /// Whether my result is on screen (the others are read-only), saying so if not.
    fn chat_writable(&mut self) -> bool {
        let mine = self
            .annotate
            .task
            .as_ref()
            .is_some_and(|t| t.source == ViewSource::Mine);
        if !mine {
            self.warn(strings::read_only(&self.keymap));
        }
        mine
    }

    fn start_chat_message(&mut self, spec: &ChatSpec, count: usize, role: usize) -> Vec<Effect> {
        if !self.chat_writable() {
            return Vec::new();
        }
        if !spec.can_add(count) {
            self.info(strings::chat_full(spec.max_messages.unwrap_or(0)));
            return Vec::new();
        }
        let role = spec
            .roles
            .get(role)
            .cloned()
            .unwrap_or_else(|| "user".into());
        self.start_editor(
            EditTarget::ChatMessage {
                chat: spec.name.clone(),
                id: None,
                role,
            },
            String::new(),
        );
        Vec::new()
    }

    /// The editor's text for a chat message: a new message added to my result, or my
    /// message's new content.
    pub(in crate::tui) fn commit_chat_message(
        &mut self,
        chat_name: &str,
        id: Option<&str>,
        role: &str,
        text: String,
    ) -> Vec<Effect> {
        if text.trim().is_empty() {
            self.info(if id.is_some() {
                strings::CHAT_EMPTY_EDIT
            } else {
                strings::CHAT_EMPTY_MESSAGE
            });
            return Vec::new();
        }
        match id {
            Some(id) => {
                let id = id.to_string();
                self.edit(move |_, r| chat::set_content(r, &id, &text))
            }
            None => {
                let Some((spec, count)) =
                    self.chat_view(chat_name, |spec, thread, _| (spec.clone(), thread.len()))
                else {
                    return Vec::new();
                };
                if !spec.can_add(count) {
                    self.info(strings::chat_full(spec.max_messages.unwrap_or(0)));
                    return Vec::new();
                }
                let m = chat::new_message(chat_name, role, &text, chat::now_ms());
                self.edit(move |_, r| {
                    r.push(m);
                    true
                })
            }
        }
    }

    /// Whether a per-message control applies to the selected message's role
    /// (`whenRole`), saying so if not.
    pub(in crate::tui) fn chat_role_fits(&mut self, ctrl: &ControlTag, message: &Value) -> bool {
        let Some(t) = &self.annotate.task else {
            return true;
        };
        let Some(roles) = chat::when_role(&t.config, &ctrl.name) else {
            return true;
        };
        let role = message["value"][chat::RESULT_TYPE]["role"]
            .as_str()
            .unwrap_or("");
        if roles.iter().any(|r| r == role) {
            return true;
        }
        self.info(strings::chat_wrong_role(&ctrl.name, &roles, role));
        false
    }
}
