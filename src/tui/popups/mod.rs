//! Popups: each one owns its state and has its update, view and hints. They are drawn
//! above the screens and get the keys first (the inline editor above them all).

pub mod columns;
pub mod compare;
pub mod confirm;
pub mod conflict;
pub mod diff;
pub mod editor;
pub mod filter;
pub mod freq;
pub mod help;
pub mod json_tree;
pub mod picker;
pub mod views;

use super::action::Action;
use super::keymap::{Ctx, Keymap};
pub use compare::ComparePopup;
pub use conflict::{Conflict, ConflictReply};
pub use diff::Diff;
pub use editor::{EditTarget, Editor, EditorReply};
pub use help::Help;
pub use json_tree::{JsonTreePopup, TreeReply};
pub use picker::{Picker, PickerReply};

/// What a simple popup asks of the app after an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Keep,
    Close,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    Help(Help),
    Picker(Picker),
    Diff(Diff),
    Conflict(Conflict),
    Filter(filter::FilterEditor),
    Columns(columns::ColumnChooser),
    Freq(freq::FreqPopup),
    Views(views::ViewsPopup),
    Bulk(confirm::BulkMenu),
    /// Boxed: the tree holds the whole task.
    JsonTree(Box<JsonTreePopup>),
    Compare(Box<ComparePopup>),
}

impl Popup {
    /// The keymap context of the popup.
    pub fn ctx(&self) -> Ctx {
        match self {
            Popup::Help(_) => Ctx::Help,
            Popup::Picker(_) => Ctx::Picker,
            Popup::Diff(_) => Ctx::Diff,
            Popup::Conflict(_) => Ctx::Conflict,
            Popup::Filter(_) => Ctx::Filter,
            Popup::Columns(_) => Ctx::Columns,
            Popup::Freq(_) => Ctx::Freq,
            Popup::Views(_) => Ctx::Views,
            Popup::Bulk(_) => Ctx::Confirm,
            Popup::JsonTree(_) => Ctx::Json,
            Popup::Compare(_) => Ctx::Compare,
        }
    }

    /// The mode shown in the status line.
    pub fn mode(&self) -> &'static str {
        match self {
            Popup::Help(_) => "help",
            Popup::Picker(_) => "taxonomy",
            Popup::Diff(_) => "diff",
            Popup::Conflict(_) => "conflict",
            Popup::Filter(_) => "filters",
            Popup::Columns(_) => "columns",
            Popup::Freq(_) => "summary",
            Popup::Views(_) => "views",
            Popup::Bulk(_) => "bulk",
            Popup::JsonTree(_) => "json",
            Popup::Compare(_) => "compare",
        }
    }

    pub fn hints(&self, km: &Keymap) -> Vec<(String, String)> {
        match self {
            Popup::Help(p) => p.hints(km),
            Popup::Picker(p) => p.hints(km),
            Popup::Diff(p) => p.hints(km),
            Popup::Conflict(p) => p.hints(km),
            Popup::Filter(p) => p.hints(km),
            Popup::Columns(p) => p.hints(km),
            Popup::Freq(p) => p.hints(km),
            Popup::Views(p) => p.hints(km),
            Popup::Bulk(p) => p.hints(km),
            Popup::JsonTree(p) => p.hints(km),
            Popup::Compare(p) => p.hints(km),
        }
    }
}

impl Popup {
    /// The popup's list height and width as drawn, for its page keys and scrolling.
    pub fn set_size(&mut self, rows: usize, width: u16) {
        match self {
            Popup::JsonTree(p) => p.set_height(rows),
            Popup::Compare(p) => p.set_size(rows, width),
            _ => {}
        }
    }
}

impl crate::tui::app::App {
    /// Opens a task read by id (`Effect::InspectTask`) in the popup asked for: its Label
    /// Studio JSON as a tree, or its results side by side.
    pub fn inspect(&mut self, full: &crate::store::TaskFull, view: crate::tui::msg::Inspect) {
        match view {
            crate::tui::msg::Inspect::Json => {
                self.open_json_tree(crate::export::json::task_json(full, 1))
            }
            crate::tui::msg::Inspect::Compare => {
                let config = self.base_config.clone();
                self.open_compare(&config, compare::task_sources(full), 0, 1)
            }
        }
    }
}

/// (key, what it does) for the actions of a context that have a key.
pub fn hints_of(km: &Keymap, ctx: Ctx, actions: &[(Action, &str)]) -> Vec<(String, String)> {
    actions
        .iter()
        .filter_map(|(a, what)| km.key_for(ctx, *a).map(|k| (k, what.to_string())))
        .collect()
}
