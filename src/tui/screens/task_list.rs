//! The task list screen: a window of rows over the store, paged by jobs as the cursor
//! nears either end; filter and sort start a new query (the newest query wins).

use crate::store::browse::{ListFilter, ListRow, ListSort};
use crate::tui::action::Action;
use crate::tui::app::Effect;
use crate::tui::keymap::{Ctx, Keymap};
use crate::tui::popups::hints_of;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use crate::tui::{PAGE, jobs, strings};
use crate::util::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use serde_json::Value;

#[derive(Debug, Clone, Default)]
pub struct TaskList {
    pub filter: ListFilter,
    pub sort: ListSort,
    pub rows: Vec<ListRow>,
    pub cursor: usize,
    pub count: Option<i64>,
    /// Rows visible, as last drawn.
    pub height: usize,
    pub at_end: bool,
    pub at_start: bool,
    /// The generation of the list query (filter, sort, start); replies for an older one
    /// are dropped.
    pub generation: u64,
    /// A page before or after the rows is on its way.
    pub loading_fwd: bool,
    pub loading_back: bool,
    /// The query on its way reads the rows shown again: its reply must not bring the
    /// list back on screen.
    pub refreshing: bool,
}

/// What the list asks of the app besides effects.
#[derive(Debug, Clone, PartialEq)]
pub enum ListCmd {
    Effect(Effect),
    /// Back to the task screen.
    Back,
    Help,
    /// Ask for a task id to go to.
    AskJump,
    Quit,
}

impl TaskList {
    /// A new list query from one end: replies to older queries are dropped from now on.
    pub fn reset(&mut self, forward: bool) -> Effect {
        self.refreshing = false;
        self.generation += 1;
        self.loading_fwd = false;
        self.loading_back = false;
        Effect::ListPage {
            generation: self.generation,
            key: None,
            forward,
            reset: true,
            count: self.count.is_none(),
        }
    }

    /// The rows around the cursor read again (others changed the project), the count
    /// too; the cursor stays on its task.
    pub fn refresh(&mut self) -> Effect {
        let mut e = match self.rows.get(self.cursor).map(|r| r.id) {
            Some(id) => self.jump(id),
            None => self.reset(true),
        };
        self.refreshing = true;
        match &mut e {
            Effect::ListJump { count, .. } | Effect::ListPage { count, .. } => *count = true,
            _ => {}
        }
        e
    }

    /// A new list query around a task.
    pub fn jump(&mut self, id: i64) -> Effect {
        self.refreshing = false;
        self.generation += 1;
        self.loading_fwd = false;
        self.loading_back = false;
        Effect::ListJump {
            generation: self.generation,
            id,
            count: self.count.is_none(),
        }
    }

    /// A page arrived; `None` when it belongs to an older query.
    pub fn page_arrived(
        &mut self,
        generation: u64,
        rows: Vec<ListRow>,
        forward: bool,
        reset: bool,
        count: Option<Result<i64, String>>,
    ) -> Option<Result<(), String>> {
        if generation != self.generation {
            return None;
        }
        self.loaded(rows, forward, reset, PAGE);
        Some(self.count_arrived(count))
    }

    /// The rows around a task arrived (`back` before it, `fwd` from it on).
    pub fn jumped(
        &mut self,
        back: Vec<ListRow>,
        fwd: Vec<ListRow>,
        count: Option<Result<i64, String>>,
    ) -> Result<(), String> {
        let l = self;
        l.at_start = back.len() < jobs::JUMP_BACK;
        l.at_end = fwd.len() < PAGE;
        l.cursor = back
            .len()
            .min(back.len() + fwd.len())
            .min((back.len() + fwd.len()).saturating_sub(1));
        l.rows = back;
        l.rows.extend(fwd);
        l.count_arrived(count)
    }

    /// A query failed: the page it was for may be asked for again.
    pub fn failed(&mut self, generation: u64, forward: bool) {
        if generation == self.generation {
            self.arrived(forward);
        }
    }

    fn arrived(&mut self, forward: bool) {
        if forward {
            self.loading_fwd = false;
        } else {
            self.loading_back = false;
        }
    }

    /// The count of the filter, when it was asked for; an error comes back as the
    /// message to show.
    fn count_arrived(&mut self, count: Option<Result<i64, String>>) -> Result<(), String> {
        match count {
            Some(Ok(n)) if self.count.is_none() => self.count = Some(n),
            Some(Err(e)) => return Err(strings::cannot_count(&e)),
            Some(Ok(_)) | None => {}
        }
        Ok(())
    }

    fn loaded(&mut self, rows: Vec<ListRow>, forward: bool, reset: bool, limit: usize) {
        self.arrived(forward);
        let l = self;
        if reset {
            l.at_start = !forward || rows.len() < limit;
            l.at_end = rows.len() < limit;
            l.rows = rows;
            l.cursor = 0;
            if !forward {
                l.cursor = l.rows.len().saturating_sub(1);
                l.at_end = true;
                l.at_start = l.rows.len() < limit;
            }
            return;
        }
        if forward {
            l.at_end = rows.len() < limit;
            l.rows.extend(rows);
            // Keep memory bounded: drop rows far above the cursor.
            if l.rows.len() > 600 {
                let drop = l.rows.len() - 600;
                let drop = drop.min(l.cursor.saturating_sub(100));
                l.rows.drain(..drop);
                l.cursor -= drop;
                if drop > 0 {
                    l.at_start = false;
                }
            }
        } else {
            l.at_start = rows.len() < limit;
            let n = rows.len();
            let mut new = rows;
            new.append(&mut l.rows);
            l.rows = new;
            l.cursor += n;
            if l.rows.len() > 600 {
                let keep = (l.cursor + 100).min(l.rows.len());
                l.rows.truncate(keep.max(600));
                l.at_end = false;
            }
        }
    }

    /// An action on the list. `can_go_back`: there is a task screen to go back to.
    pub fn update(&mut self, a: Action, can_go_back: bool) -> Vec<ListCmd> {
        let page = self.height.max(1);
        let len = self.rows.len();
        let mut out = Vec::new();
        let mv = |l: &mut TaskList, d: isize| {
            let n = l.rows.len() as isize;
            l.cursor = (l.cursor as isize + d).clamp(0, (n - 1).max(0)) as usize;
        };
        let mut reset = false;
        match a {
            Action::Down => mv(self, 1),
            Action::Up => mv(self, -1),
            Action::PageDown => mv(self, page as isize),
            Action::PageUp => mv(self, -(page as isize)),
            Action::Top | Action::Bottom => {
                reset = true;
                out.push(ListCmd::Effect(self.reset(a == Action::Top)));
            }
            Action::Activate => {
                if let Some(r) = self.rows.get(self.cursor) {
                    out.push(ListCmd::Effect(Effect::OpenTask(r.id)));
                }
            }
            Action::CycleFilter => {
                self.filter = self.filter.next();
                self.count = None;
                reset = true;
                out.push(ListCmd::Effect(self.reset(true)));
            }
            Action::ToggleSort => {
                self.sort = match self.sort {
                    ListSort::Id => ListSort::Score,
                    ListSort::Score => ListSort::Id,
                };
                reset = true;
                out.push(ListCmd::Effect(self.reset(true)));
            }
            Action::JumpToTask => out.push(ListCmd::AskJump),
            Action::TaskList | Action::Cancel if can_go_back => out.push(ListCmd::Back),
            Action::Help => out.push(ListCmd::Help),
            Action::Quit => out.push(ListCmd::Quit),
            _ => {}
        }
        // Fetch more rows near either end of the window.
        let l = self;
        if len > 0 && !reset {
            if l.cursor + page + 1 >= l.rows.len() && !l.at_end && !l.loading_fwd {
                l.loading_fwd = true;
                out.push(ListCmd::Effect(Effect::ListPage {
                    generation: l.generation,
                    key: l.rows.last().map(ListRow::key),
                    forward: true,
                    reset: false,
                    count: false,
                }));
            }
            if l.cursor < page && !l.at_start && !l.loading_back {
                l.loading_back = true;
                out.push(ListCmd::Effect(Effect::ListPage {
                    generation: l.generation,
                    key: l.rows.first().map(ListRow::key),
                    forward: false,
                    reset: false,
                    count: false,
                }));
            }
        }
        out
    }

    pub fn hints(&self, km: &Keymap) -> Vec<(String, String)> {
        hints_of(
            km,
            Ctx::List,
            &[
                (Action::Down, "move"),
                (Action::Activate, "open"),
                (Action::CycleFilter, "filter"),
                (Action::ToggleSort, "sort"),
                (Action::JumpToTask, "go to id"),
                (Action::TaskList, "back"),
                (Action::Help, "help"),
            ],
        )
    }

    /// Draws the task list; returns how many rows it shows.
    pub fn view(&self, f: &mut Frame, theme: &Theme, area: Rect) -> Option<usize> {
        let th = theme;
        let l = self;
        let title = format!(
            " Tasks · filter: {} · sort: {}{} ",
            l.filter.name(),
            l.sort.name(),
            l.count
                .map(|c| format!(" · {c} task(s)"))
                .unwrap_or_default()
        );
        let b = block(th, title, true);
        let inner = b.inner(area);
        f.render_widget(b, area);
        if inner.height < 2 {
            return None;
        }
        let h = (inner.height - 1) as usize;
        let start = if l.cursor >= h { l.cursor + 1 - h } else { 0 }.min(l.cursor);
        let start = start.min(l.rows.len().saturating_sub(h)).min(l.cursor);
        let head = format!(
            "{:>8}  {:<8} {:<16} {:>6} {:<14} data",
            "id", "status", "annotators", "score", "model"
        );
        let mut lines = vec![Line::from(Span::styled(
            head,
            th.accent().add_modifier(Modifier::BOLD),
        ))];
        if l.rows.is_empty() {
            lines.push(Line::from(Span::styled(
                "no tasks match this filter",
                th.dim(),
            )));
        }
        let width = inner.width as usize;
        for (i, r) in l.rows.iter().enumerate().skip(start).take(h) {
            let preview = preview(&r.data);
            let status_style = match r.status {
                crate::store::browse::ListStatus::Labeled => th.ok(),
                crate::store::browse::ListStatus::Skipped => th.warn(),
                crate::store::browse::ListStatus::Draft => th.accent(),
                crate::store::browse::ListStatus::New => th.base(),
            };
            let row = format!(
                "{:>8}  {:<8} {:<16} {:>6} {:<14} {}",
                r.id,
                r.status.name(),
                truncate(&sanitize(&r.annotators, false), 16),
                r.score.map_or("-".into(), |s| format!("{s:.2}")),
                truncate(&sanitize(&r.model_versions, false), 14),
                preview
            );
            let row = truncate(&row, width);
            let st = if i == l.cursor {
                th.cursor()
            } else {
                status_style
            };
            lines.push(Line::from(Span::styled(row, st)));
        }
        f.render_widget(Paragraph::new(lines), inner);
        Some(h)
    }
}

fn truncate(s: &str, w: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut col = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if col + cw > w {
            if !out.is_empty() {
                out.pop();
                out.push('…');
            }
            return out;
        }
        col += cw;
        out.push(c);
    }
    out
}

/// One line of a task's data: its first string values.
fn preview(data: &Value) -> String {
    let mut parts = Vec::new();
    if let Value::Object(m) = data {
        for (_, val) in m.iter().take(3) {
            let s = match val {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            parts.push(s.chars().take(120).collect::<String>());
        }
    }
    sanitize(&parts.join(" · "), false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::browse::ListStatus;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn row(id: i64) -> ListRow {
        ListRow {
            id,
            status: ListStatus::New,
            annotators: String::new(),
            score: None,
            model_versions: String::new(),
            data: serde_json::json!({"text": format!("row {id}")}),
        }
    }

    fn rows(ids: std::ops::Range<i64>) -> Vec<ListRow> {
        ids.map(row).collect()
    }

    #[test]
    fn pages_in_by_messages_and_drops_replies_of_an_older_query() {
        let mut l = TaskList {
            height: 5,
            ..TaskList::default()
        };
        let Effect::ListPage { generation, .. } = l.reset(true) else {
            panic!("a page");
        };
        assert_eq!(
            l.page_arrived(generation, rows(1..101), true, true, Some(Ok(300))),
            Some(Ok(()))
        );
        assert_eq!((l.rows.len(), l.count, l.cursor), (100, Some(300), 0));
        // A newer query is asked for; a late reply to the first one changes nothing.
        let newer = l.update(Action::CycleFilter, true);
        assert!(matches!(
            newer[..],
            [ListCmd::Effect(Effect::ListPage { reset: true, .. })]
        ));
        assert_eq!(
            l.page_arrived(generation, rows(500..600), true, true, None),
            None
        );
        assert_eq!(l.rows[0].id, 1);
        // Near the end, the next page is asked for once until it arrives.
        l.cursor = 95;
        let more = l.update(Action::Down, true);
        assert!(matches!(
            more[..],
            [ListCmd::Effect(Effect::ListPage {
                forward: true,
                reset: false,
                ..
            })]
        ));
        assert!(
            l.update(Action::Down, true).is_empty(),
            "one request at a time"
        );
        assert_eq!(l.update(Action::Cancel, false), vec![]);
        assert_eq!(l.update(Action::Cancel, true), vec![ListCmd::Back]);
    }

    #[test]
    fn draws_rows_and_reports_its_height() {
        let mut l = TaskList::default();
        l.jumped(rows(1..4), rows(4..10), Some(Ok(9))).unwrap();
        assert_eq!(l.cursor, 3, "the cursor is on the task jumped to");
        let theme = Theme::load(None, true).unwrap();
        let mut term = Terminal::new(TestBackend::new(120, 8)).unwrap();
        let mut height = None;
        term.draw(|f| height = l.view(f, &theme, f.area())).unwrap();
        assert_eq!(height, Some(5));
        let text = crate::tui::view::buffer_text(term.backend().buffer());
        assert!(
            text.contains("9 task(s)") && text.contains("row 4"),
            "{text}"
        );
        let err = l.jumped(rows(1..2), rows(2..3), Some(Err("locked".into())));
        assert_eq!(err, Err("cannot count tasks: locked".into()));
    }
}
