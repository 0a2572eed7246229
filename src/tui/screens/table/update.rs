//! The table's state changes: actions (keys), typed prompt text, and the store's replies.

use super::columns::scroll_to;
use super::protocol::TABLE_PAGE;
use super::spec::SortSpec;
use super::{PopupWanted, Prompt, PromptKind, Table, TableCmd, TableRequest, TableRow};
use crate::tui::action::Action;
use crate::tui::strings;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Rows kept beyond the screen before the next page is asked for.
const MARGIN: usize = 50;

impl Table {
    /// Starts the query anew (filters or sort changed): replies to older ones are dropped
    /// from now on; the cursor goes to the first row.
    pub fn requery(&mut self) -> Vec<TableCmd> {
        self.generation += 1;
        self.count = None;
        self.rows.clear();
        self.start = 0;
        self.cursor = 0;
        self.top = 0;
        self.loading = None;
        self.ensure_rows()
    }

    fn page(&self) -> usize {
        self.height.max(1)
    }

    /// The highest position the cursor may take, as far as is known.
    fn last(&self) -> usize {
        match self.count {
            Some(n) => n.saturating_sub(1),
            None => (self.start + self.rows.len()).saturating_sub(1),
        }
    }

    /// Asks for the page around the rows on screen when they are not held (or the
    /// screen nears an end of those held), unless that page is already on its way.
    pub fn ensure_rows(&mut self) -> Vec<TableCmd> {
        let h = self.page();
        let end_known = self.count;
        if end_known == Some(0) {
            return Vec::new();
        }
        let want_end = match end_known {
            Some(n) => (self.top + h).min(n),
            None => self.top + h,
        };
        let held_end = self.start + self.rows.len();
        let covered = self.start <= self.top && held_end >= want_end;
        let more_after = end_known.is_none_or(|n| held_end < n);
        let near_end = more_after && held_end < want_end + MARGIN;
        let near_start = self.start > 0 && self.top < self.start + MARGIN;
        let first = self.generation_unread();
        if covered && !near_end && !near_start && !first {
            return Vec::new();
        }
        let offset = self.top.saturating_sub((TABLE_PAGE.saturating_sub(h)) / 2);
        if let Some(o) = self.loading
            && o <= self.top
            && o + TABLE_PAGE >= want_end
        {
            return Vec::new();
        }
        self.loading = Some(offset);
        vec![TableCmd::Request(TableRequest::Page {
            generation: self.generation,
            query: self.query.clone(),
            offset,
            limit: TABLE_PAGE,
            count: self.count.is_none(),
            fields: self.fields(),
        })]
    }

    /// Nothing of this query has been read yet.
    fn generation_unread(&self) -> bool {
        self.rows.is_empty() && self.count.is_none()
    }

    /// Puts the cursor on `pos` (within what is known) and scrolls to show it.
    fn go(&mut self, pos: usize) {
        self.cursor = pos.min(self.last());
        let h = self.page();
        if self.cursor < self.top {
            self.top = self.cursor;
        } else if self.cursor >= self.top + h {
            self.top = self.cursor + 1 - h;
        }
    }

    /// Puts the cursor on `pos` with the row in the middle of the screen.
    fn center_on(&mut self, pos: usize) {
        self.cursor = pos;
        self.top = pos.saturating_sub(self.page() / 2);
    }

    fn widths(&self) -> Vec<u16> {
        self.columns.shown().iter().map(|c| c.width).collect()
    }

    fn focus_col(&mut self, col: usize) {
        let n = self.columns.shown().len();
        self.col = col.min(n.saturating_sub(1));
        let widths = self.widths();
        self.first_col = scroll_to(&widths, self.first_col, self.col, self.width.max(1));
    }

    /// An action on the table. `can_go_back`: the annotator is behind it.
    pub fn update(&mut self, a: Action) -> Vec<TableCmd> {
        let mut out = Vec::new();
        let page = self.page();
        match a {
            Action::Down => self.go(self.cursor + 1),
            Action::Up => self.go(self.cursor.saturating_sub(1)),
            Action::PageDown => {
                self.top = (self.top + page).min(self.last().saturating_sub(page - 1));
                self.go(self.cursor + page);
            }
            Action::PageUp => {
                self.top = self.top.saturating_sub(page);
                self.go(self.cursor.saturating_sub(page));
            }
            Action::Top => self.go(0),
            Action::Bottom => match self.count {
                Some(n) => self.go(n.saturating_sub(1)),
                None => out.push(TableCmd::Info(strings::TABLE_COUNTING.into())),
            },
            Action::Left => self.focus_col(self.col.saturating_sub(1)),
            Action::Right => self.focus_col(self.col + 1),
            Action::GrowWidth => {
                self.columns.resize(self.col, 2);
                self.focus_col(self.col);
            }
            Action::ShrinkWidth => {
                self.columns.resize(self.col, -2);
                self.focus_col(self.col);
            }
            Action::ToggleSort => {
                let field = self.focused_field();
                self.query.sort = match &self.query.sort {
                    Some(s) if s.field == field => Some(SortSpec {
                        field,
                        desc: !s.desc,
                    }),
                    _ => Some(SortSpec { field, desc: false }),
                };
                return self.requery();
            }
            Action::Toggle => {
                if let Some(id) = self.cursor_row().map(|r| r.id) {
                    if !self.marks.remove(&id) {
                        self.marks.insert(id);
                    }
                    self.go(self.cursor + 1);
                }
            }
            Action::MarkMatching => out.push(TableCmd::Request(TableRequest::MarkAll {
                query: self.query.clone(),
            })),
            Action::ClearMarks => {
                let n = self.marks.len();
                self.marks.clear();
                out.push(TableCmd::Info(strings::marks_cleared(n)));
            }
            Action::Search => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Search,
                    text: self.search.clone().unwrap_or_default(),
                })
            }
            Action::JumpToTask => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Jump,
                    text: String::new(),
                })
            }
            Action::SearchNext | Action::SearchPrev => {
                let forward = a == Action::SearchNext;
                match &self.search {
                    Some(text) if forward || self.cursor > 0 => {
                        out.push(self.find(text.clone(), forward, true));
                    }
                    Some(_) => {}
                    None => out.push(TableCmd::Info(strings::TABLE_NO_SEARCH.into())),
                }
            }
            Action::Activate => {
                if let Some(id) = self.cursor_row().map(|r| r.id) {
                    out.push(TableCmd::Label(id));
                }
            }
            Action::JsonTree | Action::Compare => {
                let view = if a == Action::JsonTree {
                    crate::tui::msg::Inspect::Json
                } else {
                    crate::tui::msg::Inspect::Compare
                };
                if let Some(id) = self.cursor_row().map(|r| r.id) {
                    out.push(TableCmd::Inspect(id, view));
                }
            }
            Action::Frequency => out.push(TableCmd::Request(TableRequest::Freq {
                query: self.query.clone(),
                field: self.focused_field(),
            })),
            Action::Describe => out.push(TableCmd::Request(TableRequest::Describe {
                query: self.query.clone(),
                field: self.focused_field(),
            })),
            Action::Histogram => {
                // A numeric column's own histogram; else the prediction scores'.
                let focused = self.focused_field();
                let field = if focused != "id" && super::columns::numeric(&focused) {
                    focused
                } else {
                    "score".to_string()
                };
                out.push(TableCmd::Request(TableRequest::Histogram {
                    query: self.query.clone(),
                    field,
                    bins: 10,
                }))
            }
            Action::Filters => out.push(TableCmd::Popup(PopupWanted::Filters)),
            Action::Columns => out.push(TableCmd::Popup(PopupWanted::Columns)),
            Action::Views => out.push(TableCmd::Popup(PopupWanted::Views)),
            Action::BulkActions => out.push(TableCmd::Popup(PopupWanted::Bulk)),
            Action::TaskList | Action::Cancel | Action::DataTable if self.from_task => {
                out.push(TableCmd::Back)
            }
            Action::Help => out.push(TableCmd::Help),
            Action::Quit => out.push(TableCmd::Quit),
            _ => {}
        }
        out.extend(self.ensure_rows());
        out
    }

    /// A search from the cursor: `next` starts past the cursor row.
    fn find(&self, text: String, forward: bool, next: bool) -> TableCmd {
        let from = match (forward, next) {
            (true, true) => self.cursor + 1,
            (false, true) => self.cursor.saturating_sub(1),
            (_, false) => self.cursor,
        };
        TableCmd::Request(TableRequest::Find {
            generation: self.generation,
            query: self.query.clone(),
            text,
            from,
            forward,
        })
    }

    /// A key while the prompt line takes text.
    pub fn prompt_key(&mut self, ev: KeyEvent) -> Vec<TableCmd> {
        let Some(p) = &mut self.prompt else {
            return Vec::new();
        };
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match ev.code {
            KeyCode::Esc => self.prompt = None,
            KeyCode::Enter => {
                let p = self.prompt.take().expect("prompt");
                return self.commit_prompt(p);
            }
            KeyCode::Backspace => {
                p.text.pop();
            }
            KeyCode::Char('u') if ctrl => p.text.clear(),
            KeyCode::Char(c) if !ctrl && !c.is_control() => p.text.push(c),
            _ => {}
        }
        Vec::new()
    }

    fn commit_prompt(&mut self, p: Prompt) -> Vec<TableCmd> {
        let text = p.text.trim().to_string();
        match p.kind {
            PromptKind::Search if text.is_empty() => {
                self.search = None;
                Vec::new()
            }
            PromptKind::Search => {
                self.search = Some(text.clone());
                vec![self.find(text, true, false)]
            }
            PromptKind::Jump => match text.trim_start_matches('#').parse::<i64>() {
                Ok(id) => vec![TableCmd::Request(TableRequest::Locate {
                    generation: self.generation,
                    query: self.query.clone(),
                    id,
                    quiet: false,
                })],
                Err(_) => vec![TableCmd::Warn(strings::not_a_task_id(&text))],
            },
        }
    }

    /// A page of rows arrived.
    pub fn page_arrived(
        &mut self,
        generation: u64,
        offset: usize,
        rows: Vec<TableRow>,
        count: Option<usize>,
    ) -> Vec<TableCmd> {
        if generation != self.generation {
            return Vec::new();
        }
        if self.loading == Some(offset) {
            self.loading = None;
        }
        if let Some(n) = count {
            self.count = Some(n);
        }
        if self.count.is_none() && rows.len() < TABLE_PAGE {
            self.count = Some(offset + rows.len());
        }
        self.start = offset;
        self.rows = rows;
        let last = self.last();
        if self.cursor > last {
            self.go(last);
        }
        self.top = self.top.min(last);
        self.ensure_rows()
    }

    /// A jump or search answered.
    pub fn located(
        &mut self,
        generation: u64,
        id: Option<i64>,
        position: Option<usize>,
        found: bool,
        quiet: bool,
    ) -> Vec<TableCmd> {
        if generation != self.generation {
            return Vec::new();
        }
        match position {
            Some(p) => {
                self.center_on(p);
                self.ensure_rows()
            }
            None if quiet => Vec::new(),
            None if found => vec![TableCmd::Info(strings::no_more_matches(
                self.search.as_deref().unwrap_or_default(),
            ))],
            None => vec![TableCmd::Warn(strings::not_in_table(
                id.unwrap_or_default(),
            ))],
        }
    }

    /// The rows of the query changed under it (a bulk action, another process): read
    /// again where the cursor is.
    pub fn refresh(&mut self) -> Vec<TableCmd> {
        self.generation += 1;
        self.count = None;
        self.loading = None;
        self.rows.clear();
        self.ensure_rows()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    pub fn rows(ids: std::ops::Range<i64>) -> Vec<TableRow> {
        ids.map(|id| TableRow {
            id,
            cells: HashMap::from([("status".to_string(), "new".to_string())]),
        })
        .collect()
    }

    fn page_of(cmds: &[TableCmd]) -> Option<(u64, usize)> {
        cmds.iter().find_map(|c| match c {
            TableCmd::Request(TableRequest::Page {
                generation, offset, ..
            }) => Some((*generation, *offset)),
            _ => None,
        })
    }

    #[test]
    fn pages_follow_the_screen_and_only_the_newest_query_counts() {
        let mut t = Table {
            height: 20,
            width: 80,
            ..Table::default()
        };
        let (g, off) = page_of(&t.requery()).expect("first page");
        assert_eq!(off, 0);
        assert!(t.page_arrived(g, 0, rows(1..201), Some(1000)).is_empty());
        assert_eq!((t.count, t.rows.len()), (Some(1000), 200));
        // Down the screen: the next page is asked for before the screen leaves the rows
        // held, and once.
        let mut asked = None;
        for _ in 0..200 {
            let cmds = t.update(Action::Down);
            if let Some(p) = page_of(&cmds) {
                asked = Some(p.1);
                break;
            }
        }
        let off = asked.expect("the next page");
        assert!(t.top + t.height < 200, "asked while the rows were held");
        assert!(off > 0 && off <= t.top, "{off} {}", t.top);
        assert!(
            page_of(&t.update(Action::Down)).is_none(),
            "one page on its way"
        );
        // A sort starts a new query: the page of the old one is dropped.
        let newer = t.update(Action::ToggleSort);
        let (g2, _) = page_of(&newer).unwrap();
        assert!(g2 > g);
        assert!(t.page_arrived(g, off, rows(500..700), None).is_empty());
        assert!(t.rows.is_empty());
        t.page_arrived(g2, 0, rows(1..51), None);
        assert_eq!(t.count, Some(50), "a short first page counts the rows");
        t.update(Action::Bottom);
        assert_eq!(t.cursor, 49);
    }
}
