//! The data table: every task as a row over SQLite, read a page at a time by jobs (only
//! the rows near the screen are held; the newest query wins). Columns are the task's
//! fields and each flattened `data.*` key, chosen, ordered and sized by the user; sort,
//! typed filters, search, jump, marks, frequencies, saved views and bulk actions start
//! here. State in [`Table`], changed only by [`Table::update`] and the replies; drawing
//! in `view`.

pub mod actions;
pub mod app;
pub mod columns;
pub mod fetch;
pub mod protocol;
pub mod spec;
pub mod update;
pub mod view;

use columns::Columns;
pub use protocol::{Bulk, TableReply, TableRequest, TableRow};
use spec::QuerySpec;
use std::collections::BTreeSet;

/// A line of text being typed on the table's prompt line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Search,
    Jump,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub query: QuerySpec,
    pub columns: Columns,
    /// The controls of the label config (for `label:CONTROL` frequencies and filters).
    pub controls: Vec<String>,
    /// Tasks matching the query; `None` until counted.
    pub count: Option<usize>,
    /// Position of the cursor row in the query's order.
    pub cursor: usize,
    /// Position of the first row drawn.
    pub top: usize,
    /// Focused column (index into the shown columns).
    pub col: usize,
    /// First scrolling column drawn (index into the shown columns; the id is frozen).
    pub first_col: usize,
    /// Rows and width of the body, as last drawn.
    pub height: usize,
    pub width: u16,
    /// Position of `rows[0]`.
    pub start: usize,
    pub rows: Vec<TableRow>,
    /// Every query (filters, sort) has a generation; replies of older ones are dropped.
    pub generation: u64,
    /// The offset of the page on its way.
    pub loading: Option<usize>,
    pub marks: BTreeSet<i64>,
    pub search: Option<String>,
    pub prompt: Option<Prompt>,
    /// Opening a task from the table makes the annotator's next task follow its order.
    pub follow: bool,
    /// The annotator screen was open when the table was (Esc goes back to it).
    pub from_task: bool,
}

/// What the table asks of the app.
#[derive(Debug, Clone, PartialEq)]
pub enum TableCmd {
    Request(TableRequest),
    /// Open the annotator on this task; its next task follows the table's order.
    Label(i64),
    /// Show this task as a JSON tree, or its results side by side.
    Inspect(i64, crate::tui::msg::Inspect),
    Back,
    Help,
    Quit,
    Popup(PopupWanted),
    Info(String),
    Warn(String),
}

/// A popup the table opens (the app builds it: some need the store first).
#[derive(Debug, Clone, PartialEq)]
pub enum PopupWanted {
    Filters,
    Columns,
    Views,
    Bulk,
}

impl Table {
    /// The fields of the shown columns.
    pub fn fields(&self) -> Vec<String> {
        self.columns.shown_fields()
    }

    /// The field of the focused column.
    pub fn focused_field(&self) -> String {
        self.columns
            .shown()
            .get(self.col)
            .map_or_else(|| "id".to_string(), |c| c.field.clone())
    }

    /// The row at a position, when it is held.
    pub fn row_at(&self, pos: usize) -> Option<&TableRow> {
        pos.checked_sub(self.start).and_then(|i| self.rows.get(i))
    }

    pub fn cursor_row(&self) -> Option<&TableRow> {
        self.row_at(self.cursor)
    }

    /// The ids the bulk actions work on: the marks.
    pub fn marked(&self) -> Vec<i64> {
        self.marks.iter().copied().collect()
    }
}
