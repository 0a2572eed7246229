//! What the table asks of the store and what comes back: requests carried out by the job
//! worker on its own connection, replies fed back as messages.

use super::spec::{QuerySpec, ViewSpec};
use std::collections::HashMap;

/// One row of the table: the task id and the text of each field asked for (cut to a
/// bounded length, so a huge value costs what is shown).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableRow {
    pub id: i64,
    pub cells: HashMap<String, String>,
}

impl TableRow {
    pub fn cell(&self, field: &str) -> &str {
        if field == "id" {
            return "";
        }
        self.cells.get(field).map_or("", String::as_str)
    }
}

/// The longest text a cell keeps.
pub const CELL_CHARS: usize = 256;

/// Rows read per page.
pub const TABLE_PAGE: usize = 200;

/// A bulk action on the marked tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk {
    DeleteTasks,
    DeleteAnnotations,
    DeletePredictions,
    PredictionsToAnnotations,
}

impl Bulk {
    pub const ALL: [Bulk; 4] = [
        Bulk::DeleteTasks,
        Bulk::DeleteAnnotations,
        Bulk::DeletePredictions,
        Bulk::PredictionsToAnnotations,
    ];
}

#[derive(Debug, Clone, PartialEq)]
pub enum TableRequest {
    /// The data keys and controls of the project (the columns and label fields).
    Fields,
    /// The rows `offset..offset+limit` of the query of generation `generation`; `count`
    /// asks for the number of matching tasks too.
    Page {
        generation: u64,
        query: QuerySpec,
        offset: usize,
        limit: usize,
        count: bool,
        /// The fields of the shown columns.
        fields: Vec<String>,
    },
    /// Where task `id` is in the query's order.
    Locate {
        generation: u64,
        query: QuerySpec,
        id: i64,
        /// Not asked for by the user: a task not in the table is not worth a word.
        quiet: bool,
    },
    /// The next (or previous) row after position `from` whose task text holds `text`.
    Find {
        generation: u64,
        query: QuerySpec,
        text: String,
        from: usize,
        forward: bool,
    },
    Freq {
        query: QuerySpec,
        field: String,
    },
    Describe {
        query: QuerySpec,
        field: String,
    },
    Histogram {
        query: QuerySpec,
        field: String,
        bins: usize,
    },
    /// The ids of every task of the query (mark by filter).
    MarkAll {
        query: QuerySpec,
    },
    Views,
    SaveView {
        name: String,
        spec: ViewSpec,
    },
    LoadView {
        name: String,
    },
    DeleteView {
        name: String,
    },
    Bulk {
        action: Bulk,
        ids: Vec<i64>,
        /// Who the annotations made from predictions are by.
        user_id: i64,
    },
    Export {
        ids: Vec<i64>,
        format: String,
        path: String,
    },
    /// The task after `after` in the query's order ("label tasks as displayed").
    NextInOrder {
        generation: u64,
        query: QuerySpec,
        after: i64,
    },
}

impl TableRequest {
    /// Requests of which only the newest of a burst is worth running (the others' replies
    /// would be dropped).
    pub fn superseded_by(&self, newer: &TableRequest) -> bool {
        use TableRequest as R;
        matches!(
            (self, newer),
            (R::Page { .. }, R::Page { .. })
                | (R::Page { .. }, R::Locate { .. })
                | (R::Locate { .. }, R::Locate { .. })
                | (R::Find { .. }, R::Find { .. })
                | (R::Freq { .. }, R::Freq { .. })
                | (R::Describe { .. }, R::Describe { .. })
        )
    }
}

/// A value (or a range of values) and how many tasks have it; `filters` select exactly
/// those tasks (the drill-down), joined with and.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub value: String,
    pub count: u64,
    pub filters: Vec<super::spec::FilterSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TableReply {
    Fields {
        data_keys: Vec<String>,
        controls: Vec<String>,
    },
    Page {
        generation: u64,
        offset: usize,
        rows: Vec<TableRow>,
        count: Option<usize>,
    },
    /// Where a task is (`None`: not in the query) or where the next match is.
    Located {
        generation: u64,
        id: Option<i64>,
        position: Option<usize>,
        /// It answers a search (else a jump).
        found: bool,
        quiet: bool,
    },
    Freq {
        field: String,
        buckets: Vec<Bucket>,
    },
    Describe {
        field: String,
        lines: Vec<(String, String)>,
    },
    Histogram {
        field: String,
        bins: Vec<Bucket>,
    },
    Marked {
        ids: Vec<i64>,
    },
    Views {
        names: Vec<String>,
    },
    ViewDeleted {
        text: String,
        names: Vec<String>,
    },
    ViewLoaded {
        name: String,
        spec: ViewSpec,
    },
    /// A bulk action or export is done: what it did.
    Done {
        text: String,
        /// The rows changed: read them again.
        changed: bool,
    },
    Next {
        id: Option<i64>,
    },
    Failed {
        error: String,
    },
}
