//! Everything that can happen to the annotator, as one type. Keys, store replies, loaded
//! media, layout facts from the last frame and errors all arrive as a [`Msg`];
//! [`super::app::App::update`] is the only code that turns them into state changes.

use super::action::Action;
use super::media::Loaded;
use crate::annotate::SaveKind;
use crate::store::TaskFull;
use crate::store::annotate::{DraftRow, Progress};
use crate::store::browse::ListRow;
use crossterm::event::{KeyEvent, MouseEvent};
use std::collections::HashMap;

#[derive(Debug)]
pub enum Msg {
    /// The session begins: count tasks and open the first one.
    Start,
    Key(KeyEvent),
    /// Mouse events; the task screen's text panes take clicks, drags and the wheel.
    Mouse(MouseEvent),
    Resize(u16, u16),
    Action(Action),
    /// The task's counts for the status line.
    Counts(Progress),
    /// A task read from the store, with the user's draft of it.
    TaskOpened {
        full: Box<TaskFull>,
        draft: Option<DraftRow>,
    },
    /// The id asked for is not in the store.
    NoSuchTask(i64),
    /// The stream has no task left for the user; `open_by_others` tasks are being worked
    /// on by other annotators (they come back should those give them up).
    NoTaskLeft {
        open_by_others: usize,
    },
    /// A submit or skip is stored; my annotation of the task is now `annotation`
    /// (id, revision) when it could be read back.
    Saved {
        kind: SaveKind,
        task_id: i64,
        annotation: Option<(i64, i64)>,
    },
    /// A submit or skip would replace my newer annotation of the task (revision
    /// `revision` of `annotation_id`, changed at `updated_at` in another window): it is
    /// held until I decide.
    SaveConflict {
        kind: SaveKind,
        task_id: i64,
        annotation_id: i64,
        revision: i64,
        updated_at: String,
    },
    /// Another process committed to the project file: counts, the list and the open task
    /// are read again.
    StoreChanged,
    /// Task `id` read again (`None`: it is gone). `adopt`: show my stored annotation in
    /// place of the answer on screen (kept one undo step back).
    TaskRefreshed {
        id: i64,
        full: Option<Box<TaskFull>>,
        adopt: bool,
    },
    /// Others hold the task just opened (their names as stored).
    HeldBy {
        task_id: i64,
        users: Vec<String>,
    },
    /// The terminal hung up or a signal asked to stop: leave as on quit.
    Hangup,
    /// A write failed; the runtime holds the answer and tries again.
    SaveRetry {
        kind: SaveKind,
        task_id: i64,
        reason: String,
    },
    /// The draft of `revision` is stored.
    DraftSaved {
        task_id: i64,
        revision: u64,
    },
    /// Time passed (the loop woke up): messages expire.
    Tick(std::time::Instant),
    /// A page of the task list (for the query of generation `generation`).
    ListPage {
        generation: u64,
        rows: Vec<ListRow>,
        forward: bool,
        reset: bool,
        count: Option<Result<i64, String>>,
    },
    /// The list around a task: `back` are the rows before it (newest last), `fwd` it and
    /// the rows after it.
    ListJumped {
        generation: u64,
        id: i64,
        back: Vec<ListRow>,
        fwd: Vec<ListRow>,
        count: Option<Result<i64, String>>,
    },
    /// A list query failed (`forward`: the page after the rows, or a jump).
    ListFailed {
        generation: u64,
        forward: bool,
        error: String,
    },
    Loaded(Loaded),
    /// What the last frame learned about the layout.
    Layout(LayoutFacts),
    /// Text came back from the external editor for a TextArea entry.
    EditorText {
        control: String,
        entry: Option<usize>,
        text: String,
    },
    /// Something outside failed; shown as a message of this level.
    Failed(Failure),
    /// A note from the outside (a player started, a hint).
    Note(Note),
    /// Stale agreement figures computed again: how many, or why not.
    AgreementRefreshed(Result<usize, String>),
    /// A reply to the review screen.
    Review(super::screens::review::ReviewMsg),
    /// A reply to a request of the data table.
    Table(Box<super::screens::table::TableReply>),
    /// How sending to the linked server goes (`start --sync`).
    Sync(super::sync::SyncNote),
    /// A task read for a popup (`Effect::InspectTask`); `None`: it is gone.
    TaskInspected {
        id: i64,
        view: Inspect,
        full: Option<Box<TaskFull>>,
    },
}

/// Which popup shows a task read by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inspect {
    /// The task's Label Studio JSON as a tree.
    Json,
    /// Its annotations and predictions side by side.
    Compare,
}

/// A failure the runtime reports instead of swallowing.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub warn_only: bool,
    pub text: String,
}

impl Failure {
    pub fn error(text: impl Into<String>) -> Msg {
        Msg::Failed(Failure {
            warn_only: false,
            text: text.into(),
        })
    }
    pub fn warn(text: impl Into<String>) -> Msg {
        Msg::Failed(Failure {
            warn_only: true,
            text: text.into(),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    Playing(String),
    NoPlayer,
}

/// Geometry of an image (or text) pane as last drawn (for moving boxes one cell at a time
/// and moving the text cursor by lines).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ImageGeom {
    pub width_px: u32,
    pub height_px: u32,
    pub cols: u16,
    pub rows: u16,
}

/// What drawing a task learned: sizes and scroll offsets the next update and frame use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskLayout {
    /// First visible line of each text pane.
    pub scroll: HashMap<String, usize>,
    /// Image panes (and `text:<name>` panes) as drawn, by object name.
    pub image_geom: HashMap<String, ImageGeom>,
    /// Image pane sizes wanted (cols, rows), by object name.
    pub image_wanted: HashMap<String, (u16, u16)>,
    /// First pane shown when the panes do not fit.
    pub pane_scroll: usize,
    /// First side panel shown when the panels do not fit.
    pub side_scroll: usize,
    /// TimeSeries charts as drawn (inside their border), by object name.
    pub timeseries: HashMap<String, ratatui::layout::Rect>,
    /// Where each text pane's text was drawn (inside its border), for the mouse; only
    /// panes of the last frame. Boxed to keep [`Msg`] small.
    pub text_panes: Box<HashMap<String, ratatui::layout::Rect>>,
    /// Where each image's picture was drawn on screen (for the mouse), by object name.
    pub image_area: std::collections::BTreeMap<String, ratatui::layout::Rect>,
    /// Where things were drawn, for the mouse: the last drawn on top comes last.
    pub hits: Vec<Hit>,
    /// Each chat pane as drawn: the rows and columns its messages had, by object name.
    pub chat_rows: HashMap<String, (usize, usize)>,
}

/// A place on screen the mouse can point at, and what it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub area: ratatui::layout::Rect,
    pub target: HitTarget,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HitTarget {
    /// A pane or panel that takes focus.
    Focus(super::screens::annotate::Focus),
    /// An option of a Choices or labels panel: (control, label).
    Option(usize, usize),
    /// The stack of object panes (the wheel scrolls it).
    Panes,
    /// The stack of side panels (the wheel scrolls it).
    Panels,
    /// An item of a Ranker: (control, column, row); a drag starts or ends here.
    RankItem(usize, usize, usize),
    /// A column of a Ranker: (control, column); an item dropped here goes to its end.
    RankColumn(usize, usize),
    /// One of the two objects of a Pairwise: (control, side); a click chooses it.
    PairSide(usize, crate::annotate::ranking::Side),
}

/// Layout facts of one frame, returned by drawing and sent back as [`Msg::Layout`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayoutFacts {
    /// The task drawn and what its panes learned.
    pub task: Option<(i64, TaskLayout)>,
    /// Rows of the task list visible, when the list was drawn.
    pub list_height: Option<usize>,
    /// Rows and width of the data table's body, when it was drawn.
    pub table_size: Option<(u16, u16)>,
    /// The popup's list as drawn (rows, columns), for popups that scroll.
    pub popup_size: Option<(u16, u16)>,
}
