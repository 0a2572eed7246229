//! The keymap is data: one table of (context, key, action, description), shipped as
//! `keymaps/default.json` and built into the binary. It drives key handling, the `?` help
//! and the key table of `docs/keys.md`. Two layers: terminal-safe keys that
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
    /// A TimeSeries chart.
    Timeseries,
    /// A Video pane (frames, tracks, timeline ranges).
    Video,
    /// An Audio pane that takes segments (a Labels control targets it).
    Audio,
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
    /// A submit that would replace my newer annotation from another window.
    Conflict,
    /// A Pairwise comparison (its two objects side by side).
    Pairwise,
    /// A Ranker's items and buckets, or a List.
    Ranker,
    /// A Chat conversation.
    Chat,
    /// The review screen.
    Review,
    /// The data table.
    Table,
    /// The data table's filter editor.
    Filter,
    /// The data table's column chooser.
    Columns,
    /// Frequencies, describe and histogram of the data table.
    Freq,
    /// Saved views of the data table.
    Views,
    /// Bulk actions on the marked tasks of the data table.
    Confirm,
    /// The JSON tree of a task.
    Json,
    /// Two results of a task side by side.
    Compare,
}

impl Ctx {
    pub const ALL: [Ctx; 24] = [
        Ctx::Task,
        Ctx::Text,
        Ctx::Image,
        Ctx::Timeseries,
        Ctx::Video,
        Ctx::Audio,
        Ctx::Panel,
        Ctx::List,
        Ctx::Help,
        Ctx::Picker,
        Ctx::Diff,
        Ctx::Conflict,
        Ctx::Pairwise,
        Ctx::Ranker,
        Ctx::Chat,
        Ctx::Review,
        Ctx::Table,
        Ctx::Filter,
        Ctx::Columns,
        Ctx::Freq,
        Ctx::Views,
        Ctx::Confirm,
        Ctx::Json,
        Ctx::Compare,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Ctx::Task => "task",
            Ctx::Text => "text",
            Ctx::Image => "image",
            Ctx::Timeseries => "timeseries",
            Ctx::Video => "video",
            Ctx::Audio => "audio",
            Ctx::Panel => "panel",
            Ctx::List => "list",
            Ctx::Help => "help",
            Ctx::Picker => "picker",
            Ctx::Diff => "diff",
            Ctx::Conflict => "conflict",
            Ctx::Pairwise => "pairwise",
            Ctx::Ranker => "ranker",
            Ctx::Chat => "chat",
            Ctx::Review => "review",
            Ctx::Table => "table",
            Ctx::Filter => "filter",
            Ctx::Columns => "columns",
            Ctx::Freq => "freq",
            Ctx::Views => "views",
            Ctx::Confirm => "confirm",
            Ctx::Json => "json",
            Ctx::Compare => "compare",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Ctx::Task => "Task view (anywhere)",
            Ctx::Text => "Text spans (Text, HyperText, Paragraphs focused)",
            Ctx::Image => "Image regions (image focused)",
            Ctx::Timeseries => "TimeSeries regions (chart focused)",
            Ctx::Video => "Video frames, tracks and timeline ranges (video focused)",
            Ctx::Audio => "Audio segments (audio focused, when Labels target it)",
            Ctx::Panel => "Control panels (Choices, TextArea, Rating, Number, DateTime, Taxonomy)",
            Ctx::List => "Task list",
            Ctx::Help => "Help",
            Ctx::Picker => "Taxonomy picker",
            Ctx::Diff => "Diff view",
            Ctx::Conflict => "Submitted in another window",
            Ctx::Pairwise => "Pairwise (the two objects focused)",
            Ctx::Ranker => "Ranker and List (items focused)",
            Ctx::Chat => "Chat (a conversation focused)",
            Ctx::Review => "Review (accept, fix or reject each annotation)",
            Ctx::Table => "Data table",
            Ctx::Filter => "Data table: filters",
            Ctx::Columns => "Data table: columns",
            Ctx::Freq => "Data table: frequencies, describe, histogram",
            Ctx::Views => "Data table: saved views",
            Ctx::Confirm => "Data table: bulk actions on marked tasks",
            Ctx::Json => "JSON tree of a task",
            Ctx::Compare => "Compare two results side by side",
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

    /// How the key is written in help and in `docs/keys.md`.
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

/// The default keymap, built into the binary: `keymaps/default.json`.
pub const DEFAULT_KEYMAP: &str = include_str!("../../keymaps/default.json");

/// A keymap data file: bindings in table order (the help and `docs/keys.md` list them so).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    bindings: Vec<BindingEntry>,
}

/// One entry of a keymap data file: one action bound to one or more keys in a context.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BindingEntry {
    context: Ctx,
    keys: Vec<String>,
    action: String,
    description: String,
    /// Label Studio's key, which needs a terminal with the kitty keyboard protocol.
    #[serde(default)]
    label_studio: bool,
}

/// Parses a keymap data file (the format of `keymaps/default.json`) into bindings, in
/// file order. `origin` names the file in errors.
pub fn parse_bindings(text: &str, origin: &str) -> Result<Vec<Binding>, KeymapError> {
    let bad = |message: String| KeymapError::Bad {
        path: origin.to_string(),
        message,
    };
    let file: KeymapFile = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let mut bindings = Vec::new();
    for entry in file.bindings {
        let action = Action::from_name(&entry.action).ok_or_else(|| {
            bad(format!(
                "unknown action {:?}; actions: {}",
                entry.action,
                action_names()
            ))
        })?;
        if entry.keys.is_empty() {
            return Err(bad(format!("action {:?} has no keys", entry.action)));
        }
        for key in &entry.keys {
            let spec = KeySpec::parse(key).ok_or_else(|| bad(format!("unknown key {key:?}")))?;
            bindings.push(Binding {
                ctx: entry.context,
                key: spec,
                action,
                desc: entry.description.clone(),
                ls: entry.label_studio,
            });
        }
    }
    Ok(bindings)
}

fn action_names() -> String {
    Action::ALL
        .iter()
        .map(|a| a.name())
        .collect::<Vec<_>>()
        .join(", ")
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
        // The built-in file is checked by a unit test, so this cannot fail at run time.
        let bindings = parse_bindings(DEFAULT_KEYMAP, "keymaps/default.json")
            .unwrap_or_else(|e| panic!("the built-in keymap parses: {e}"));
        Keymap { bindings, ls_keys }
    }

    /// Applies a user keymap file: `{"task": {"ctrl-s": "submit", "s": null}, "list": {...}}`.
    /// A key bound in a file replaces that key's default in its context; `null` unbinds it.
    pub fn apply_file(&mut self, path: &Path) -> Result<(), KeymapError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| KeymapError::Bad {
            path: p.clone(),
            message: e.to_string(),
        })?;
        self.apply_text(&text, &p)
    }

    /// Applies the text of a user keymap file (see [`apply_file`](Self::apply_file));
    /// `origin` names the file in errors.
    pub fn apply_text(&mut self, text: &str, origin: &str) -> Result<(), KeymapError> {
        let bad = |m: String| KeymapError::Bad {
            path: origin.to_string(),
            message: m,
        };
        let file: BTreeMap<Ctx, BTreeMap<String, Option<String>>> = serde_json::from_str(text)
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
                            action_names()
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

    /// Every active key bound to an action in a context, in table order, as help writes them.
    pub fn keys_for(&self, ctx: Ctx, action: Action) -> Vec<String> {
        self.bindings
            .iter()
            .filter(|b| b.ctx == ctx && b.action == action && self.active(b))
            .map(|b| b.key.display())
            .collect()
    }

    /// The config label hotkeys that an active built-in key takes in these contexts
    /// (checked in the order given): (hotkey as written in the config, the action the key
    /// runs). Hotkeys are written the Label Studio way (`x`, `shift+x`, `ctrl+1`); one that
    /// does not parse as a key collides with nothing.
    pub fn conflicts_with_hotkeys<S: AsRef<str>>(
        &self,
        ctxs: &[Ctx],
        hotkeys: &[S],
    ) -> Vec<(String, Action)> {
        let mut out = Vec::new();
        for hotkey in hotkeys {
            let hotkey = hotkey.as_ref();
            let Some(spec) = hotkey_spec(hotkey) else {
                continue;
            };
            let hit = ctxs.iter().find_map(|ctx| self.lookup(*ctx, &spec));
            if let Some(action) = hit
                && !out.iter().any(|(h, _): &(String, Action)| h == hotkey)
            {
                out.push((hotkey.to_string(), action));
            }
        }
        out
    }
}

/// A label hotkey as a key: a single character as is, else Label Studio's `mod+key`
/// written with `+`.
fn hotkey_spec(hotkey: &str) -> Option<KeySpec> {
    let mut chars = hotkey.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(KeySpec::ch(c)),
        _ => KeySpec::parse(&hotkey.replace('+', "-")),
    }
}

/// The key table of `docs/keys.md`, generated from the default keymap.
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
    fn built_in_keymap_file_parses_and_binds_every_action() {
        let bindings = parse_bindings(DEFAULT_KEYMAP, "keymaps/default.json").unwrap();
        for action in Action::ALL {
            assert!(
                bindings.iter().any(|b| b.action == *action),
                "no default key for {}",
                action.name()
            );
        }
        let k = Keymap::default_map(false);
        for (key, action) in [
            ("w", Action::WordNext),
            ("b", Action::WordPrev),
            ("e", Action::WordEnd),
            (")", Action::SentenceNext),
            ("(", Action::SentencePrev),
            ("alt-h", Action::SpanGrowLeft),
            ("alt-l", Action::SpanShrinkLeft),
            (">", Action::SpanGrowRight),
            ("<", Action::SpanShrinkRight),
        ] {
            let spec = KeySpec::parse(key).unwrap();
            assert_eq!(k.lookup(Ctx::Text, &spec), Some(action), "{key}");
            // A text key must not hide a key of the task view, which the text pane
            // falls through to.
            assert_eq!(k.lookup(Ctx::Task, &spec), None, "{key} is a task key");
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context_and_layer() {
        let k = Keymap::default_map(true);
        for (i, a) in k.bindings.iter().enumerate() {
            for b in &k.bindings[i + 1..] {
                assert!(
                    !(a.ctx == b.ctx && a.key == b.key && a.ls == b.ls),
                    "{} is bound twice in {}",
                    a.key.display(),
                    a.ctx.name()
                );
            }
        }
    }

    #[test]
    fn bad_keymap_data_is_reported() {
        let e = parse_bindings(
            r#"{"bindings": [{"context": "text", "keys": ["w"], "action": "fly", "description": "d"}]}"#,
            "k.json",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown action \"fly\""), "{e}");
        let e = parse_bindings(
            r#"{"bindings": [{"context": "text", "keys": ["nonsense"], "action": "quit", "description": "d"}]}"#,
            "k.json",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown key"), "{e}");
        let e = parse_bindings(
            r#"{"bindings": [{"context": "text", "keys": [], "action": "quit", "description": "d"}]}"#,
            "k.json",
        )
        .unwrap_err();
        assert!(e.to_string().contains("no keys"), "{e}");
        assert!(
            parse_bindings(
                r#"{"bindings": [{"context": "text", "keys": ["q"], "action": "quit", "description": "d", "ls": true}]}"#,
                "k.json",
            )
            .is_err(),
            "unknown fields are refused"
        );
    }

    #[test]
    fn keys_for_lists_every_active_key() {
        let safe = Keymap::default_map(false);
        assert_eq!(
            safe.keys_for(Ctx::Task, Action::FocusNext),
            vec!["J", "Ctrl-↓", "}"]
        );
        assert_eq!(safe.keys_for(Ctx::Task, Action::Submit), vec!["s"]);
        let ls = Keymap::default_map(true);
        assert_eq!(
            ls.keys_for(Ctx::Task, Action::Submit),
            vec!["s", "Ctrl-Enter", "Alt-Enter"]
        );
        assert!(safe.keys_for(Ctx::Image, Action::WordEnd).is_empty());
    }

    #[test]
    fn config_hotkeys_that_a_built_in_key_takes() {
        let k = Keymap::default_map(false);
        let hotkeys = ["x", "1", "e", "ctrl+r", "shift+s", "z", "x"];
        assert_eq!(
            k.conflicts_with_hotkeys(&[Ctx::Panel, Ctx::Task], &hotkeys),
            vec![
                ("x".to_string(), Action::DeleteRegion),
                ("ctrl+r".to_string(), Action::Redo),
                ("shift+s".to_string(), Action::Skip),
            ]
        );
        // In a text pane the text keys come first.
        assert_eq!(
            k.conflicts_with_hotkeys(&[Ctx::Text, Ctx::Task], &["e", "h"]),
            vec![
                ("e".to_string(), Action::WordEnd),
                ("h".to_string(), Action::Left)
            ]
        );
        // A user file that unbinds the key frees the hotkey.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("keys.json");
        std::fs::write(&p, r#"{"task": {"x": null}}"#).unwrap();
        let mut k = Keymap::default_map(false);
        k.apply_file(&p).unwrap();
        assert!(
            k.conflicts_with_hotkeys(&[Ctx::Task], &["x".to_string()])
                .is_empty()
        );
    }

    #[test]
    fn docs_key_table_matches_the_keymap() {
        let keys_doc = include_str!("../../docs/keys.md");
        for line in markdown_table().lines().filter(|l| l.starts_with("| `")) {
            assert!(
                keys_doc.contains(line),
                "docs/keys.md lacks the key row: {line}"
            );
        }
    }
}
