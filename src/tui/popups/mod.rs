//! Popups: each one owns its state and has its update, view and hints. They are drawn
//! above the screens and get the keys first (the inline editor above them all).

pub mod columns;
pub mod confirm;
pub mod conflict;
pub mod diff;
pub mod editor;
pub mod filter;
pub mod freq;
pub mod help;
pub mod picker;
pub mod views;

use super::action::Action;
use super::keymap::{Ctx, Keymap};
pub use conflict::{Conflict, ConflictReply};
pub use diff::Diff;
pub use editor::{EditTarget, Editor, EditorReply};
pub use help::Help;
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
