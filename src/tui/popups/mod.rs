//! Popups: each one owns its state and has its update, view and hints. They are drawn
//! above the screens and get the keys first (the inline editor above them all).

pub mod conflict;
pub mod diff;
pub mod editor;
pub mod help;
pub mod picker;

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
}

impl Popup {
    /// The keymap context of the popup.
    pub fn ctx(&self) -> Ctx {
        match self {
            Popup::Help(_) => Ctx::Help,
            Popup::Picker(_) => Ctx::Picker,
            Popup::Diff(_) => Ctx::Diff,
            Popup::Conflict(_) => Ctx::Conflict,
        }
    }

    /// The mode shown in the status line.
    pub fn mode(&self) -> &'static str {
        match self {
            Popup::Help(_) => "help",
            Popup::Picker(_) => "taxonomy",
            Popup::Diff(_) => "diff",
            Popup::Conflict(_) => "conflict",
        }
    }

    pub fn hints(&self, km: &Keymap) -> Vec<(String, String)> {
        match self {
            Popup::Help(p) => p.hints(km),
            Popup::Picker(p) => p.hints(km),
            Popup::Diff(p) => p.hints(km),
            Popup::Conflict(p) => p.hints(km),
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
