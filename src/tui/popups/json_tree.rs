//! The JSON tree popup: one task as Label Studio exports it (or any JSON value), with
//! nodes that open and close, search over keys and values, and the value or path under
//! the cursor copied to the clipboard. The rows live in [`crate::task::json_tree::Tree`];
//! a frame formats only the rows it shows.

use super::hints_of;
use crate::task::json_tree::{Path, Seg, Tree, is_container, path_text, preview, yank_text};
use crate::tui::action::Action;
use crate::tui::keymap::{Ctx, Keymap};
use crate::tui::strings;
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, centered, clip};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use serde_json::Value;

/// What the popup asks of the app after an action.
#[derive(Debug, Clone, PartialEq)]
pub enum TreeReply {
    Keep,
    Close,
    /// Put the text on the clipboard; `what` says what it is (for the status line).
    Copy {
        text: String,
        what: String,
    },
}

/// Rows a page key moves before the first frame told the real height.
const DEFAULT_HEIGHT: usize = 20;

#[derive(Debug, Clone, PartialEq)]
pub struct JsonTreePopup {
    pub title: String,
    pub tree: Tree,
    pub cursor: usize,
    /// First row shown.
    pub top: usize,
    /// Rows of the list as last drawn (page keys move by this).
    pub height: usize,
    /// Typing a search.
    pub searching: bool,
    pub query: String,
    /// Matches of the last search, in document order, and the one shown.
    pub matches: Vec<Path>,
    pub current: Option<usize>,
}

impl JsonTreePopup {
    /// A task's JSON (as Label Studio exports it): the root and `data` open.
    pub fn new(task_json: Value) -> JsonTreePopup {
        let title = match task_json.get("id") {
            Some(id) if !id.is_null() => strings::json_tree_task(&id.to_string()),
            _ => strings::JSON_TREE.to_string(),
        };
        let tree = Tree::new(task_json, &[vec![Seg::Key("data".into())]]);
        JsonTreePopup {
            title,
            tree,
            cursor: 0,
            top: 0,
            height: DEFAULT_HEIGHT,
            searching: false,
            query: String::new(),
            matches: Vec::new(),
            current: None,
        }
    }

    /// The path under the cursor.
    pub fn path(&self) -> &[Seg] {
        self.tree
            .rows()
            .get(self.cursor)
            .map_or(&[], |r| r.path.as_slice())
    }

    /// The path under the cursor in jq syntax.
    pub fn path_text(&self) -> String {
        path_text(self.path())
    }

    pub fn set_height(&mut self, h: usize) {
        self.height = h.max(1);
        self.follow();
    }

    /// Keeps the cursor on screen.
    fn follow(&mut self) {
        let last = self.tree.len().saturating_sub(1);
        self.cursor = self.cursor.min(last);
        self.top = visible_top(self.top, self.cursor, self.height);
    }

    fn go(&mut self, row: usize) {
        self.cursor = row;
        self.follow();
    }

    /// The cursor on the row of `path`, or its nearest ancestor shown.
    fn go_path(&mut self, path: &[Seg]) {
        let row = (0..=path.len())
            .rev()
            .find_map(|k| {
                self.tree
                    .rows()
                    .iter()
                    .position(|r| r.path.as_slice() == &path[..k])
            })
            .unwrap_or(0);
        self.go(row);
    }

    pub fn update(&mut self, a: Action) -> TreeReply {
        let n = self.tree.len();
        let page = self.height.max(1);
        match a {
            Action::Down => self.go((self.cursor + 1).min(n.saturating_sub(1))),
            Action::Up => self.go(self.cursor.saturating_sub(1)),
            Action::PageDown => self.go((self.cursor + page).min(n.saturating_sub(1))),
            Action::PageUp => self.go(self.cursor.saturating_sub(page)),
            Action::Top => self.go(0),
            Action::Bottom => self.go(n.saturating_sub(1)),
            Action::Activate | Action::Toggle => {
                self.tree.toggle(self.cursor);
                self.follow();
            }
            Action::Right => {
                let open = self.tree.is_expanded(self.path());
                let container = self.tree.value(self.cursor).is_some_and(is_container);
                if open && container {
                    self.go((self.cursor + 1).min(n.saturating_sub(1)));
                } else {
                    self.tree.expand(self.cursor);
                    self.follow();
                }
            }
            Action::Left => {
                if !self.tree.collapse(self.cursor)
                    && let Some(p) = self.tree.parent_row(self.cursor)
                {
                    self.go(p);
                }
                self.follow();
            }
            Action::ExpandSubtree => {
                self.tree.expand_subtree(self.cursor);
                self.follow();
            }
            Action::ExpandAll => {
                let here = self.path().to_vec();
                self.tree.expand_all();
                self.go_path(&here);
            }
            Action::CollapseAll => {
                let here = self.path().to_vec();
                self.tree.collapse_all();
                self.go_path(&here);
            }
            Action::Search => {
                self.searching = true;
                self.query.clear();
            }
            Action::SearchNext => self.step_match(true),
            Action::SearchPrev => self.step_match(false),
            Action::YankValue => {
                if let Some(v) = self.tree.value(self.cursor) {
                    return TreeReply::Copy {
                        text: yank_text(v),
                        what: strings::yanked_value(&self.path_text()),
                    };
                }
            }
            Action::YankPath => {
                let p = self.path_text();
                return TreeReply::Copy {
                    text: p.clone(),
                    what: strings::yanked_path(&p),
                };
            }
            Action::Cancel | Action::JsonTree => return TreeReply::Close,
            _ => {}
        }
        TreeReply::Keep
    }

    /// A key while the search is typed: Enter searches, Esc leaves it.
    pub fn search_key(&mut self, ev: KeyEvent) {
        match ev.code {
            KeyCode::Esc => {
                self.searching = false;
                self.query.clear();
            }
            KeyCode::Enter => {
                self.searching = false;
                self.search();
            }
            KeyCode::Backspace => {
                self.query.pop();
            }
            KeyCode::Char(c) if !ev.modifiers.contains(KeyModifiers::CONTROL) => self.query.push(c),
            _ => {}
        }
    }

    /// Finds the query and goes to the first match after the cursor.
    pub fn search(&mut self) {
        let (matches, first) = self.tree.find(&self.query, self.path());
        self.matches = matches;
        self.current = None;
        if !self.matches.is_empty() {
            self.show_match(first);
        }
    }

    fn step_match(&mut self, forward: bool) {
        let n = self.matches.len();
        if n == 0 {
            return;
        }
        let i = match (self.current, forward) {
            (None, _) => 0,
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
        };
        self.show_match(i);
    }

    fn show_match(&mut self, i: usize) {
        let path = self.matches[i].clone();
        self.current = Some(i);
        if let Some(row) = self.tree.reveal(&path) {
            self.go(row);
        }
    }

    pub fn hints(&self, km: &Keymap) -> Vec<(String, String)> {
        hints_of(
            km,
            Ctx::Json,
            &[
                (Action::Toggle, "open/close"),
                (Action::Search, "search"),
                (Action::YankValue, "copy value"),
                (Action::YankPath, "copy path"),
                (Action::Cancel, "close"),
            ],
        )
    }

    /// The lines of the rows shown in a list `width` columns wide and `height` rows
    /// high: only those rows are formatted, however large the tree or its values.
    pub fn lines(&self, theme: &Theme, width: usize, height: usize) -> Vec<Line<'static>> {
        let top = visible_top(self.top, self.cursor, height);
        let current = self.current.and_then(|i| self.matches.get(i));
        self.tree
            .rows()
            .iter()
            .enumerate()
            .skip(top)
            .take(height)
            .map(|(i, row)| {
                let v = crate::task::json_tree::lookup(self.tree.root(), &row.path);
                let line = row_line(theme, &row.path, v, self.tree.is_expanded(&row.path), width);
                let matched = current.is_some_and(|p| *p == row.path);
                if i == self.cursor {
                    line.style(theme.cursor())
                } else if matched {
                    line.style(theme.selection())
                } else {
                    line
                }
            })
            .collect()
    }

    /// Draws the popup; returns the rows its list has (for page keys and scrolling).
    pub fn view(&self, f: &mut Frame, theme: &Theme, km: &Keymap, area: Rect) -> usize {
        let r = centered(
            area,
            area.width.saturating_sub(4),
            area.height.saturating_sub(2),
        );
        f.render_widget(Clear, r);
        let title = strings::json_tree_title(km, &self.title);
        let b = block(
            theme,
            clip(&title, r.width.saturating_sub(2) as usize),
            true,
        );
        let inner = b.inner(r);
        f.render_widget(b, r);
        if inner.height == 0 || inner.width == 0 {
            return 0;
        }
        let list_h = inner.height.saturating_sub(1) as usize;
        let width = inner.width as usize;
        let lines = self.lines(theme, width, list_h);
        f.render_widget(
            Paragraph::new(lines),
            Rect {
                height: list_h as u16,
                ..inner
            },
        );
        let footer = if self.searching {
            format!("/{}▏", self.query)
        } else {
            let found = match (self.current, self.matches.len()) {
                (_, 0) if !self.query.is_empty() => strings::no_match(&self.query),
                (Some(i), n) => format!("  {}/{n}", i + 1),
                _ => String::new(),
            };
            format!(
                "{}{found}  {}/{}",
                self.path_text(),
                self.cursor + 1,
                self.tree.len()
            )
        };
        f.render_widget(
            Paragraph::new(Line::from(Span::styled(
                clip(&footer, width),
                theme.accent(),
            ))),
            Rect {
                y: inner.y + list_h as u16,
                height: 1,
                ..inner
            },
        );
        list_h
    }
}

impl crate::tui::app::App {
    /// Opens the JSON tree popup on a value (a task as `export::json::task_json` writes
    /// it), above whatever screen is shown.
    pub fn open_json_tree(&mut self, task_json: Value) {
        self.popup = Some(super::Popup::JsonTree(Box::new(JsonTreePopup::new(
            task_json,
        ))));
    }

    /// The open task as Label Studio exports it (what is stored: a draft not yet
    /// submitted is not among its annotations).
    pub(in crate::tui) fn open_task_json(&mut self) {
        if let Some(t) = &self.annotate.task {
            let json = crate::export::json::task_json(&t.full, 1);
            self.open_json_tree(json);
        }
    }

    /// Puts text on the clipboard and says so in the status line.
    pub(in crate::tui) fn copy(
        &mut self,
        text: String,
        what: &str,
    ) -> Vec<crate::tui::app::Effect> {
        self.message = Some((crate::tui::app::Level::Ok, strings::copied(what, &text)));
        vec![crate::tui::app::Effect::Clipboard(text)]
    }
}

/// The first row shown so that `cursor` is among the `height` rows from it, moving as
/// little as possible from `top`.
fn visible_top(top: usize, cursor: usize, height: usize) -> usize {
    let h = height.max(1);
    if cursor < top {
        cursor
    } else if cursor >= top + h {
        cursor + 1 - h
    } else {
        top
    }
}

/// One row: indent, open/closed mark, key, and the value cut to the width left.
fn row_line(
    theme: &Theme,
    path: &[Seg],
    v: Option<&Value>,
    open: bool,
    width: usize,
) -> Line<'static> {
    let depth = path.len();
    // Deep nesting must leave room for the key and value.
    let indent = "  ".repeat(depth.saturating_sub(1).min(width / 4 / 2));
    let container = v.is_some_and(is_container);
    let mark = match (container, open) {
        (true, true) => "▾ ",
        (true, false) => "▸ ",
        _ => "  ",
    };
    let key = match path.last() {
        None => String::new(),
        Some(Seg::Key(k)) => {
            // A key can be as long as any value: cut before making it safe.
            let cut: String = k.chars().take(width).collect();
            format!("{cut}: ")
        }
        Some(Seg::Index(i)) => format!("[{i}]: "),
    };
    let used = crate::term_safe::display_width(&indent) + 2;
    let key = clip(&key, width.saturating_sub(used));
    let left = width.saturating_sub(used + crate::term_safe::display_width(&key));
    let (text, style): (String, Style) = match v {
        None => (String::new(), theme.dim()),
        Some(v) => {
            // Characters, not columns: wide ones are cut again by `clip`.
            let shown = if container && open {
                // The size alone: the children follow on their own rows.
                let p = preview(v, 0);
                p.split_once(' ')
                    .map_or(p.clone(), |(_, size)| size.to_string())
            } else {
                preview(v, left)
            };
            let style = match v {
                Value::String(_) => theme.ok(),
                Value::Number(_) => theme.warn(),
                Value::Bool(_) | Value::Null => theme.accent(),
                _ => theme.dim(),
            };
            (clip(&shown, left), style)
        }
    };
    Line::from(vec![
        Span::raw(indent),
        Span::styled(mark, theme.dim()),
        Span::styled(key, theme.accent().add_modifier(Modifier::BOLD)),
        Span::styled(text, style),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_cursor_stays_on_screen_and_keys_move_it() {
        let items: Vec<Value> = (0..50).map(|i| json!(i)).collect();
        let mut p = JsonTreePopup::new(json!({"id": 7, "data": {"items": items}}));
        p.set_height(5);
        assert_eq!(p.tree.len(), 4);
        p.update(Action::Bottom);
        assert_eq!(p.path_text(), ".data.items");
        p.update(Action::Right);
        assert_eq!(p.tree.len(), 54);
        p.update(Action::Right);
        assert_eq!(p.path_text(), ".data.items[0]");
        p.update(Action::PageDown);
        assert_eq!(p.path_text(), ".data.items[5]");
        assert_eq!(p.top, p.cursor + 1 - 5);
        p.update(Action::Left);
        assert_eq!(
            p.path_text(),
            ".data.items",
            "left on a leaf goes to the parent"
        );
        p.update(Action::Left);
        assert_eq!(p.tree.len(), 4);
        assert_eq!(p.update(Action::Cancel), TreeReply::Close);
    }
}
