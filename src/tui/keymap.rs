//! The keymap is data: one table of (context, key, action, description). It drives key
//! handling, the `?` help and the README's key table. Two layers: terminal-safe keys that
//! work in any terminal over SSH, and Label Studio's own keys, active when the terminal
//! speaks the kitty keyboard protocol (it can then tell Ctrl+Enter from Enter). A user
//! file rebinds keys per context.

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Where a binding applies. The task view checks the focused pane's context first, then
/// `Task`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ctx {
    /// Anywhere in the task view.
    Task,
    /// A Text, HyperText or Paragraphs pane that takes spans.
    Text,
    /// An Image pane.
    Image,
    /// A control panel (Choices, TextArea, Rating, Number, DateTime, Taxonomy, Labels).
    Panel,
    /// The task list.
    List,
    /// The help screen.
    Help,
    /// The taxonomy tree picker.
    Picker,
    /// The annotation/prediction diff.
    Diff,
}

impl Ctx {
    pub const ALL: [Ctx; 8] = [
        Ctx::Task,
        Ctx::Text,
        Ctx::Image,
        Ctx::Panel,
        Ctx::List,
        Ctx::Help,
        Ctx::Picker,
        Ctx::Diff,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Ctx::Task => "task",
            Ctx::Text => "text",
            Ctx::Image => "image",
            Ctx::Panel => "panel",
            Ctx::List => "list",
            Ctx::Help => "help",
            Ctx::Picker => "picker",
            Ctx::Diff => "diff",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Ctx::Task => "Task view (anywhere)",
            Ctx::Text => "Text spans (Text, HyperText, Paragraphs focused)",
            Ctx::Image => "Image regions (image focused)",
            Ctx::Panel => "Control panels (Choices, TextArea, Rating, Number, DateTime, Taxonomy)",
            Ctx::List => "Task list",
            Ctx::Help => "Help",
            Ctx::Picker => "Taxonomy picker",
            Ctx::Diff => "Diff view",
        }
    }
}

/// A key with modifiers, normalised: Shift is folded into the character for printable keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeySpec {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

/// `KeyCode` subset that can be ordered and written in a keymap file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

impl KeySpec {
    pub const fn ch(c: char) -> KeySpec {
        KeySpec {
            code: KeyCodeOrd::Char(c),
            ctrl: false,
            alt: false,
            shift: false,
        }
    }
    pub const fn code(code: KeyCodeOrd) -> KeySpec {
        KeySpec {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }
    pub const fn ctrl(code: KeyCodeOrd) -> KeySpec {
        KeySpec {
            code,
            ctrl: true,
            alt: false,
            shift: false,
        }
    }

    /// From a terminal key event.
    pub fn from_event(k: &KeyEvent) -> Option<KeySpec> {
        let m = k.modifiers;
        let mut spec = KeySpec {
            code: match k.code {
                KeyCode::Char(c) => KeyCodeOrd::Char(c),
                KeyCode::Enter => KeyCodeOrd::Enter,
                KeyCode::Esc => KeyCodeOrd::Esc,
                KeyCode::Tab => KeyCodeOrd::Tab,
                KeyCode::BackTab => KeyCodeOrd::BackTab,
                KeyCode::Backspace => KeyCodeOrd::Backspace,
                KeyCode::Delete => KeyCodeOrd::Delete,
                KeyCode::Up => KeyCodeOrd::Up,
                KeyCode::Down => KeyCodeOrd::Down,
                KeyCode::Left => KeyCodeOrd::Left,
                KeyCode::Right => KeyCodeOrd::Right,
                KeyCode::Home => KeyCodeOrd::Home,
                KeyCode::End => KeyCodeOrd::End,
                KeyCode::PageUp => KeyCodeOrd::PageUp,
                KeyCode::PageDown => KeyCodeOrd::PageDown,
                KeyCode::F(n) => KeyCodeOrd::F(n),
                _ => return None,
            },
            ctrl: m.contains(KeyModifiers::CONTROL),
            alt: m.contains(KeyModifiers::ALT),
            shift: m.contains(KeyModifiers::SHIFT),
        };
        match &mut spec.code {
            KeyCodeOrd::Char(c) => {
                // Shift is already in the character; Ctrl+Shift+z arrives as 'Z' or 'z'.
                if spec.ctrl && spec.shift {
                    *c = c.to_ascii_lowercase();
                } else {
                    spec.shift = false;
                }
            }
            KeyCodeOrd::BackTab => spec.shift = false,
            _ => {}
        }
        Some(spec)
    }

    /// Parses `ctrl-r`, `shift-tab`, `alt-.`, `enter`, `S`, `space`, `f1`...
    pub fn parse(s: &str) -> Option<KeySpec> {
        let mut spec = KeySpec::ch(' ');
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && lower.starts_with("ctrl-") {
                spec.ctrl = true;
                rest = &rest[5..];
            } else if rest.len() > 1 && lower.starts_with("alt-") {
                spec.alt = true;
                rest = &rest[4..];
            } else if rest.len() > 1 && lower.starts_with("shift-") {
                spec.shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let lower = rest.to_ascii_lowercase();
        spec.code = match lower.as_str() {
            "enter" | "return" => KeyCodeOrd::Enter,
            "esc" | "escape" => KeyCodeOrd::Esc,
            "tab" if spec.shift => {
                spec.shift = false;
                KeyCodeOrd::BackTab
            }
            "tab" => KeyCodeOrd::Tab,
            "backtab" => KeyCodeOrd::BackTab,
            "backspace" => KeyCodeOrd::Backspace,
            "delete" | "del" => KeyCodeOrd::Delete,
            "up" => KeyCodeOrd::Up,
            "down" => KeyCodeOrd::Down,
            "left" => KeyCodeOrd::Left,
            "right" => KeyCodeOrd::Right,
            "home" => KeyCodeOrd::Home,
            "end" => KeyCodeOrd::End,
            "pageup" => KeyCodeOrd::PageUp,
            "pagedown" => KeyCodeOrd::PageDown,
            "space" => KeyCodeOrd::Char(' '),
            "minus" => KeyCodeOrd::Char('-'),
            f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCodeOrd::F(f[1..].parse().ok()?)
            }
            _ => {
                let mut chars = rest.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                if spec.shift && !spec.ctrl {
                    spec.shift = false;
                    KeyCodeOrd::Char(c.to_ascii_uppercase())
                } else if spec.ctrl {
                    KeyCodeOrd::Char(c.to_ascii_lowercase())
                } else {
                    KeyCodeOrd::Char(c)
                }
            }
        };
        Some(spec)
    }

    /// How the key is written in help and the README.
    pub fn display(&self) -> String {
        let mut s = String::new();
        if self.ctrl {
            s.push_str("Ctrl-");
        }
        if self.alt {
            s.push_str("Alt-");
        }
        if self.shift {
            s.push_str("Shift-");
        }
        match self.code {
            KeyCodeOrd::Char(' ') => s.push_str("Space"),
            KeyCodeOrd::Char(c) => s.push(c),
            KeyCodeOrd::Enter => s.push_str("Enter"),
            KeyCodeOrd::Esc => s.push_str("Esc"),
            KeyCodeOrd::Tab => s.push_str("Tab"),
            KeyCodeOrd::BackTab => s.push_str("Shift-Tab"),
            KeyCodeOrd::Backspace => s.push_str("Backspace"),
            KeyCodeOrd::Delete => s.push_str("Delete"),
            KeyCodeOrd::Up => s.push('↑'),
            KeyCodeOrd::Down => s.push('↓'),
            KeyCodeOrd::Left => s.push('←'),
            KeyCodeOrd::Right => s.push('→'),
            KeyCodeOrd::Home => s.push_str("Home"),
            KeyCodeOrd::End => s.push_str("End"),
            KeyCodeOrd::PageUp => s.push_str("PgUp"),
            KeyCodeOrd::PageDown => s.push_str("PgDn"),
            KeyCodeOrd::F(n) => s.push_str(&format!("F{n}")),
        }
        s
    }

    /// A plain character with no modifiers (what label hotkeys are).
    pub fn plain_char(&self) -> Option<char> {
        match self.code {
            KeyCodeOrd::Char(c) if !self.ctrl && !self.alt => Some(c),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub ctx: Ctx,
    pub key: KeySpec,
    pub action: Action,
    pub desc: String,
    /// Label Studio's key, active only with the kitty keyboard protocol.
    pub ls: bool,
}

use Action as A;

/// The default bindings: (context, key, action, description, Label Studio layer).
fn defaults() -> Vec<(Ctx, &'static str, Action, &'static str, bool)> {
    vec![
        (
            Ctx::Task,
            "s",
            A::Submit,
            "submit the annotation and go to the next task",
            false,
        ),
        (
            Ctx::Task,
            "S",
            A::Skip,
            "skip the task (saved as cancelled) and go on",
            false,
        ),
        (Ctx::Task, "u", A::Undo, "undo", false),
        (Ctx::Task, "ctrl-r", A::Redo, "redo", false),
        (
            Ctx::Task,
            "]",
            A::NextTask,
            "next task (the draft stays saved)",
            false,
        ),
        (Ctx::Task, "[", A::PrevTask, "previous task", false),
        (Ctx::Task, "t", A::TaskList, "task list", false),
        (Ctx::Task, "J", A::FocusNext, "focus the next pane", false),
        (
            Ctx::Task,
            "ctrl-down",
            A::FocusNext,
            "focus the next pane",
            false,
        ),
        (Ctx::Task, "}", A::FocusNext, "focus the next pane", false),
        (
            Ctx::Task,
            "K",
            A::FocusPrev,
            "focus the previous pane",
            false,
        ),
        (
            Ctx::Task,
            "ctrl-up",
            A::FocusPrev,
            "focus the previous pane",
            false,
        ),
        (
            Ctx::Task,
            "{",
            A::FocusPrev,
            "focus the previous pane",
            false,
        ),
        (
            Ctx::Task,
            "tab",
            A::NextRegion,
            "select the next region",
            false,
        ),
        (
            Ctx::Task,
            "shift-tab",
            A::PrevRegion,
            "select the previous region",
            false,
        ),
        (
            Ctx::Task,
            "x",
            A::DeleteRegion,
            "delete the selected region",
            false,
        ),
        (
            Ctx::Task,
            "delete",
            A::DeleteRegion,
            "delete the selected region",
            false,
        ),
        (
            Ctx::Task,
            "esc",
            A::Cancel,
            "drop the selection / unselect the region",
            false,
        ),
        (
            Ctx::Task,
            "A",
            A::AcceptPrediction,
            "accept the shown prediction (or other annotation) as the annotation",
            false,
        ),
        (
            Ctx::Task,
            "Y",
            A::AcceptRegion,
            "accept the selected prediction region",
            false,
        ),
        (
            Ctx::Task,
            "X",
            A::RejectRegion,
            "reject the selected prediction region",
            false,
        ),
        (
            Ctx::Task,
            "O",
            A::CycleSource,
            "show: my annotation → predictions → other annotators (read-only)",
            false,
        ),
        (
            Ctx::Task,
            "P",
            A::TogglePredictions,
            "show or hide prediction overlays",
            false,
        ),
        (
            Ctx::Task,
            "D",
            A::Diff,
            "where annotation and prediction differ",
            false,
        ),
        (
            Ctx::Task,
            "V",
            A::FullImage,
            "show the image full screen",
            false,
        ),
        (
            Ctx::Task,
            "M",
            A::PlayMedia,
            "play audio/video with $LABELTERM_PLAYER",
            false,
        ),
        (
            Ctx::Task,
            "E",
            A::ExternalEditor,
            "edit the focused TextArea in $EDITOR",
            false,
        ),
        (Ctx::Task, ":", A::JumpToTask, "go to a task id", false),
        (Ctx::Task, "?", A::Help, "help", false),
        (
            Ctx::Task,
            "q",
            A::Quit,
            "quit (everything is already saved)",
            false,
        ),
        // Label Studio's keys (kitty keyboard protocol).
        (
            Ctx::Task,
            "ctrl-enter",
            A::Submit,
            "submit (Label Studio)",
            true,
        ),
        (
            Ctx::Task,
            "alt-enter",
            A::Submit,
            "update (Label Studio)",
            true,
        ),
        (
            Ctx::Task,
            "ctrl-space",
            A::Skip,
            "skip (Label Studio)",
            true,
        ),
        (Ctx::Task, "ctrl-z", A::Undo, "undo (Label Studio)", true),
        (
            Ctx::Task,
            "ctrl-shift-z",
            A::Redo,
            "redo (Label Studio)",
            true,
        ),
        (
            Ctx::Task,
            "ctrl-left",
            A::PrevTask,
            "previous task (Label Studio)",
            true,
        ),
        (
            Ctx::Task,
            "ctrl-right",
            A::NextTask,
            "next task (Label Studio)",
            true,
        ),
        (
            Ctx::Task,
            "backspace",
            A::DeleteRegion,
            "delete the selected region (Label Studio)",
            true,
        ),
        (
            Ctx::Task,
            "ctrl-backspace",
            A::DeleteAllRegions,
            "delete all regions (Label Studio)",
            true,
        ),
        (
            Ctx::Task,
            "alt-.",
            A::NextRegion,
            "cycle regions (Label Studio)",
            true,
        ),
        // Text spans.
        (Ctx::Text, "h", A::Left, "cursor left", false),
        (Ctx::Text, "left", A::Left, "cursor left", false),
        (Ctx::Text, "l", A::Right, "cursor right", false),
        (Ctx::Text, "right", A::Right, "cursor right", false),
        (Ctx::Text, "k", A::Up, "cursor up a line", false),
        (Ctx::Text, "up", A::Up, "cursor up a line", false),
        (Ctx::Text, "j", A::Down, "cursor down a line", false),
        (Ctx::Text, "down", A::Down, "cursor down a line", false),
        (Ctx::Text, "w", A::WordNext, "next word", false),
        (Ctx::Text, "b", A::WordPrev, "previous word", false),
        (Ctx::Text, "home", A::LineStart, "line start", false),
        (Ctx::Text, "end", A::LineEnd, "line end", false),
        (Ctx::Text, "pageup", A::PageUp, "page up", false),
        (Ctx::Text, "pagedown", A::PageDown, "page down", false),
        (
            Ctx::Text,
            "v",
            A::Select,
            "start/stop a selection (then a label key makes the span)",
            false,
        ),
        // Image regions.
        (
            Ctx::Image,
            "r",
            A::NewRect,
            "new rectangle (then a label key labels it)",
            false,
        ),
        (
            Ctx::Image,
            "h",
            A::Left,
            "move the selected box left one cell",
            false,
        ),
        (
            Ctx::Image,
            "left",
            A::Left,
            "move the selected box left one cell",
            false,
        ),
        (
            Ctx::Image,
            "l",
            A::Right,
            "move the selected box right one cell",
            false,
        ),
        (
            Ctx::Image,
            "right",
            A::Right,
            "move the selected box right one cell",
            false,
        ),
        (
            Ctx::Image,
            "k",
            A::Up,
            "move the selected box up one cell",
            false,
        ),
        (
            Ctx::Image,
            "up",
            A::Up,
            "move the selected box up one cell",
            false,
        ),
        (
            Ctx::Image,
            "j",
            A::Down,
            "move the selected box down one cell",
            false,
        ),
        (
            Ctx::Image,
            "down",
            A::Down,
            "move the selected box down one cell",
            false,
        ),
        (Ctx::Image, "H", A::ShrinkWidth, "narrower", false),
        (Ctx::Image, "L", A::GrowWidth, "wider", false),
        (Ctx::Image, "K", A::ShrinkHeight, "shorter", false),
        (Ctx::Image, "J", A::GrowHeight, "taller", false),
        // Control panels.
        (Ctx::Panel, "k", A::Up, "previous option", false),
        (Ctx::Panel, "up", A::Up, "previous option", false),
        (Ctx::Panel, "j", A::Down, "next option", false),
        (Ctx::Panel, "down", A::Down, "next option", false),
        (Ctx::Panel, "h", A::Left, "less (Rating, Number)", false),
        (Ctx::Panel, "left", A::Left, "less (Rating, Number)", false),
        (Ctx::Panel, "l", A::Right, "more (Rating, Number)", false),
        (
            Ctx::Panel,
            "right",
            A::Right,
            "more (Rating, Number)",
            false,
        ),
        (
            Ctx::Panel,
            "space",
            A::Toggle,
            "toggle the option under the cursor",
            false,
        ),
        (
            Ctx::Panel,
            "enter",
            A::Activate,
            "edit the field / open the taxonomy picker",
            false,
        ),
        (
            Ctx::Panel,
            "backspace",
            A::Clear,
            "clear the value or the entry under the cursor",
            false,
        ),
        // Task list.
        (Ctx::List, "k", A::Up, "up", false),
        (Ctx::List, "up", A::Up, "up", false),
        (Ctx::List, "j", A::Down, "down", false),
        (Ctx::List, "down", A::Down, "down", false),
        (Ctx::List, "pageup", A::PageUp, "page up", false),
        (Ctx::List, "ctrl-u", A::PageUp, "page up", false),
        (Ctx::List, "pagedown", A::PageDown, "page down", false),
        (Ctx::List, "ctrl-d", A::PageDown, "page down", false),
        (Ctx::List, "g", A::Top, "first task", false),
        (Ctx::List, "home", A::Top, "first task", false),
        (Ctx::List, "G", A::Bottom, "last task", false),
        (Ctx::List, "end", A::Bottom, "last task", false),
        (Ctx::List, "enter", A::Activate, "open the task", false),
        (
            Ctx::List,
            "f",
            A::CycleFilter,
            "filter: all → unlabeled → labeled → skipped → has predictions",
            false,
        ),
        (
            Ctx::List,
            "o",
            A::ToggleSort,
            "sort by id / by prediction score",
            false,
        ),
        (Ctx::List, ":", A::JumpToTask, "go to a task id", false),
        (Ctx::List, "t", A::TaskList, "back to the task", false),
        (Ctx::List, "esc", A::Cancel, "back to the task", false),
        (Ctx::List, "?", A::Help, "help", false),
        (Ctx::List, "q", A::Quit, "quit", false),
        // Help.
        (Ctx::Help, "j", A::Down, "scroll down", false),
        (Ctx::Help, "down", A::Down, "scroll down", false),
        (Ctx::Help, "k", A::Up, "scroll up", false),
        (Ctx::Help, "up", A::Up, "scroll up", false),
        (Ctx::Help, "esc", A::Cancel, "close", false),
        (Ctx::Help, "?", A::Cancel, "close", false),
        (Ctx::Help, "q", A::Cancel, "close", false),
        // Taxonomy picker.
        (Ctx::Picker, "k", A::Up, "up", false),
        (Ctx::Picker, "up", A::Up, "up", false),
        (Ctx::Picker, "j", A::Down, "down", false),
        (Ctx::Picker, "down", A::Down, "down", false),
        (Ctx::Picker, "l", A::Right, "expand", false),
        (Ctx::Picker, "right", A::Right, "expand", false),
        (Ctx::Picker, "h", A::Left, "collapse", false),
        (Ctx::Picker, "left", A::Left, "collapse", false),
        (
            Ctx::Picker,
            "space",
            A::Toggle,
            "select / unselect the node",
            false,
        ),
        (
            Ctx::Picker,
            "/",
            A::Search,
            "search (type, Enter to keep, Esc to clear)",
            false,
        ),
        (Ctx::Picker, "enter", A::Cancel, "close the picker", false),
        (Ctx::Picker, "esc", A::Cancel, "close the picker", false),
        // Diff.
        (Ctx::Diff, "j", A::Down, "scroll down", false),
        (Ctx::Diff, "k", A::Up, "scroll up", false),
        (Ctx::Diff, "esc", A::Cancel, "close", false),
        (Ctx::Diff, "D", A::Cancel, "close", false),
        (Ctx::Diff, "q", A::Cancel, "close", false),
    ]
}

#[derive(Debug, Clone)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
    /// The terminal can send Label Studio's keys (kitty keyboard protocol).
    pub ls_keys: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("{path}: {message}")]
    Bad { path: String, message: String },
}

impl Keymap {
    pub fn default_map(ls_keys: bool) -> Keymap {
        let bindings = defaults()
            .into_iter()
            .map(|(ctx, key, action, desc, ls)| Binding {
                ctx,
                key: KeySpec::parse(key).unwrap_or_else(|| panic!("default key {key} parses")),
                action,
                desc: desc.to_string(),
                ls,
            })
            .collect();
        Keymap { bindings, ls_keys }
    }

    /// Applies a user keymap file: `{"task": {"ctrl-s": "submit", "s": null}, "list": {...}}`.
    /// A key bound in a file replaces that key's default in its context; `null` unbinds it.
    pub fn apply_file(&mut self, path: &Path) -> Result<(), KeymapError> {
        let p = path.display().to_string();
        let bad = |m: String| KeymapError::Bad {
            path: p.clone(),
            message: m,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let file: BTreeMap<Ctx, BTreeMap<String, Option<String>>> = serde_json::from_str(&text)
            .map_err(|e| {
                bad(format!(
                    "{e} (contexts: {})",
                    Ctx::ALL.map(|c| c.name()).join(", ")
                ))
            })?;
        for (ctx, keys) in file {
            for (key, action) in keys {
                let spec =
                    KeySpec::parse(&key).ok_or_else(|| bad(format!("unknown key {key:?}")))?;
                self.bindings.retain(|b| !(b.ctx == ctx && b.key == spec));
                if let Some(name) = action {
                    let action = Action::from_name(&name).ok_or_else(|| {
                        bad(format!(
                            "unknown action {name:?} for key {key:?}; actions: {}",
                            Action::ALL
                                .iter()
                                .map(|a| a.name())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })?;
                    let desc = self
                        .bindings
                        .iter()
                        .find(|b| b.action == action)
                        .map(|b| b.desc.clone())
                        .unwrap_or_else(|| name.replace('_', " "));
                    self.bindings.push(Binding {
                        ctx,
                        key: spec,
                        action,
                        desc,
                        ls: false,
                    });
                }
            }
        }
        Ok(())
    }

    fn active(&self, b: &Binding) -> bool {
        !b.ls || self.ls_keys
    }

    /// The action of a key in one context.
    pub fn lookup(&self, ctx: Ctx, key: &KeySpec) -> Option<Action> {
        self.bindings
            .iter()
            .find(|b| b.ctx == ctx && b.key == *key && self.active(b))
            .map(|b| b.action)
    }

    /// Whether a plain character is bound in any of these contexts (label hotkeys then
    /// give way to it).
    pub fn binds_char(&self, ctxs: &[Ctx], c: char) -> bool {
        self.bindings
            .iter()
            .any(|b| ctxs.contains(&b.ctx) && b.key.plain_char() == Some(c) && self.active(b))
    }

    /// The active bindings of a context, grouped by action, in table order:
    /// (keys, description).
    pub fn describe(&self, ctx: Ctx) -> Vec<(String, String)> {
        let mut out: Vec<(Action, Vec<String>, String)> = Vec::new();
        for b in self
            .bindings
            .iter()
            .filter(|b| b.ctx == ctx && self.active(b))
        {
            match out
                .iter_mut()
                .find(|(a, _, d)| *a == b.action && *d == b.desc)
            {
                Some((_, keys, _)) => keys.push(b.key.display()),
                None => out.push((b.action, vec![b.key.display()], b.desc.clone())),
            }
        }
        out.into_iter()
            .map(|(_, keys, desc)| (keys.join(" "), desc))
            .collect()
    }

    /// The first key bound to an action in a context, for hints.
    pub fn key_for(&self, ctx: Ctx, action: Action) -> Option<String> {
        self.bindings
            .iter()
            .find(|b| b.ctx == ctx && b.action == action && self.active(b))
            .map(|b| b.key.display())
    }
}

/// The README's key table, generated from the default keymap.
pub fn markdown_table() -> String {
    let all = Keymap::default_map(true);
    let mut s = String::new();
    for ctx in Ctx::ALL {
        s.push_str(&format!(
            "\n**{}**\n\n| keys | action |\n| --- | --- |\n",
            ctx.title()
        ));
        for (keys, desc) in all.describe(ctx) {
            s.push_str(&format!("| `{}` | {} |\n", keys.replace('|', "\\|"), desc));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::KeyCodeOrd as K;
    use super::*;

    #[test]
    fn parse_and_display_keys() {
        assert_eq!(KeySpec::parse("ctrl-r"), Some(KeySpec::ctrl(K::Char('r'))));
        assert_eq!(KeySpec::parse("S"), Some(KeySpec::ch('S')));
        assert_eq!(KeySpec::parse("shift-s"), Some(KeySpec::ch('S')));
        assert_eq!(KeySpec::parse("shift-tab"), Some(KeySpec::code(K::BackTab)));
        assert_eq!(KeySpec::parse("space"), Some(KeySpec::ch(' ')));
        assert_eq!(
            KeySpec::parse("ctrl-shift-z").unwrap().display(),
            "Ctrl-Shift-z"
        );
        assert_eq!(KeySpec::parse("nonsense"), None);
        let ev = KeyEvent::new(KeyCode::Char('S'), KeyModifiers::SHIFT);
        assert_eq!(KeySpec::from_event(&ev), Some(KeySpec::ch('S')));
        let ev = KeyEvent::new(
            KeyCode::Char('Z'),
            KeyModifiers::CONTROL | KeyModifiers::SHIFT,
        );
        assert_eq!(KeySpec::from_event(&ev), KeySpec::parse("ctrl-shift-z"));
    }

    #[test]
    fn label_studio_layer_needs_the_protocol() {
        let safe = Keymap::default_map(false);
        let ctrl_enter = KeySpec::parse("ctrl-enter").unwrap();
        assert_eq!(safe.lookup(Ctx::Task, &ctrl_enter), None);
        let ls = Keymap::default_map(true);
        assert_eq!(ls.lookup(Ctx::Task, &ctrl_enter), Some(Action::Submit));
        assert_eq!(
            safe.lookup(Ctx::Task, &KeySpec::ch('s')),
            Some(Action::Submit)
        );
    }

    #[test]
    fn user_file_rebinds_and_unbinds() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("keys.json");
        std::fs::write(
            &p,
            r#"{"task": {"ctrl-s": "submit", "s": null, "n": "next_task"}}"#,
        )
        .unwrap();
        let mut k = Keymap::default_map(false);
        k.apply_file(&p).unwrap();
        assert_eq!(k.lookup(Ctx::Task, &KeySpec::ch('s')), None);
        assert_eq!(
            k.lookup(Ctx::Task, &KeySpec::parse("ctrl-s").unwrap()),
            Some(Action::Submit)
        );
        assert_eq!(
            k.lookup(Ctx::Task, &KeySpec::ch('n')),
            Some(Action::NextTask)
        );
        std::fs::write(&p, r#"{"task": {"s": "launch"}}"#).unwrap();
        let e = Keymap::default_map(false).apply_file(&p).unwrap_err();
        assert!(e.to_string().contains("unknown action \"launch\""), "{e}");
        std::fs::write(&p, r#"{"nowhere": {}}"#).unwrap();
        assert!(Keymap::default_map(false).apply_file(&p).is_err());
    }

    #[test]
    fn help_groups_keys_of_one_action() {
        let k = Keymap::default_map(false);
        let d = k.describe(Ctx::Task);
        assert!(
            d.iter()
                .any(|(keys, desc)| keys == "J Ctrl-↓ }" && desc.contains("next pane"))
        );
        assert!(!d.iter().any(|(_, desc)| desc.contains("(Label Studio)")));
        assert!(markdown_table().contains("| `s` | submit the annotation"));
    }

    #[test]
    fn readme_key_table_matches_the_keymap() {
        let readme = include_str!("../../README.md");
        for line in markdown_table().lines().filter(|l| l.starts_with("| `")) {
            assert!(readme.contains(line), "README lacks the key row: {line}");
        }
    }
}
