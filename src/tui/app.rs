//! The annotator's state and its one state changer. [`App::update`] takes a [`Msg`] (a
//! key, a store reply, loaded media, layout facts, an error) and routes it: the inline
//! editor first, then the popup on top, then the screen shown (see `screens`); what needs
//! IO comes back as [`Effect`]s that the runtime carries out. Nothing here touches the
//! terminal, the store or the file system.

use super::action::Action;
use super::keymap::{Ctx, KeySpec, Keymap};
use super::media::{Request, Source};
pub use super::msg::ImageGeom;
use super::msg::{LayoutFacts, Msg, Note};
pub use super::popups::{Diff, EditTarget, Editor, Help, Picker, Popup};
use super::popups::{EditorReply, PickerReply, Reply};
pub use super::screens::Screen;
pub use super::screens::annotate::{Content, Focus, TaskState, ViewSource};
use super::screens::task_list::{ListCmd, TaskList};
pub use super::shared::{check_datetime, describe_result, focusables, walk};
use super::strings;
use super::theme::Theme;
use crate::config::{LabelConfig, ObjectKind};
use crate::store::Sampling;
use crate::store::annotate::{Progress, SubmitKind};
use crate::store::browse::PageKey;
use crossterm::event::KeyEvent;
use serde_json::Value;

/// What the session must do for the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    SaveDraft {
        task_id: i64,
        annotation_id: Option<i64>,
        result: String,
        lead_time: f64,
    },
    /// Submit or skip, then go on to the next task of the stream.
    Save {
        task_id: i64,
        result: String,
        lead_time: f64,
        kind: SubmitKind,
        parent_prediction: Option<i64>,
    },
    OpenTask(i64),
    /// The next task of the stream, passing over `exclude`.
    NextTask {
        exclude: Option<i64>,
    },
    /// Load a page of the task list (`reset` replaces the rows) for the list query of
    /// generation `generation`; `count` asks for the number of tasks the filter matches too.
    ListPage {
        generation: u64,
        key: Option<PageKey>,
        forward: bool,
        reset: bool,
        count: bool,
    },
    /// Open the list at a task id.
    ListJump {
        generation: u64,
        id: i64,
        count: bool,
    },
    /// Count the tasks for the status line.
    Counts,
    /// Open the user's latest draft, else the next task of the stream.
    Resume,
    Load(Request),
    /// Edit a TextArea entry in `$EDITOR`.
    ExternalEditor {
        control: String,
        entry: Option<usize>,
        text: String,
    },
    /// Show an image full screen (with its regions) while the UI is suspended.
    FullImage {
        source: Source,
        regions: Vec<Value>,
    },
    Play(String),
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Ok,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SaveState {
    /// Nothing changed since the task was opened.
    Clean,
    /// The draft in SQLite holds every change.
    DraftSaved,
    Submitted,
    Failed(String),
}

pub struct App {
    pub title: String,
    pub project_path: String,
    pub user: String,
    pub user_id: i64,
    pub sampling: Sampling,
    pub base_config: LabelConfig,
    pub theme: Theme,
    pub keymap: Keymap,
    /// Resolves media values: the task's import folder and the allowed roots.
    pub media: crate::media::Resolver,
    pub screen: Screen,
    pub popup: Option<Popup>,
    pub editor: Option<Editor>,
    pub task: Option<TaskState>,
    pub list: TaskList,
    pub progress: Progress,
    pub message: Option<(Level, String)>,
    pub save: SaveState,
    pub history: Vec<i64>,
    pub hist_pos: usize,
    pub quit: bool,
    /// Set when the stream has no task left.
    pub finished: bool,
    /// Whether the label hotkeys shadowed by built-in keys have been told.
    pub hotkey_clashes_told: bool,
}

impl App {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        title: String,
        project_path: String,
        user: String,
        user_id: i64,
        sampling: Sampling,
        config: LabelConfig,
        theme: Theme,
        keymap: Keymap,
        media: crate::media::Resolver,
    ) -> App {
        App {
            title,
            project_path,
            user,
            user_id,
            sampling,
            base_config: config,
            theme,
            keymap,
            media,
            screen: Screen::Task,
            popup: None,
            editor: None,
            task: None,
            list: TaskList::default(),
            progress: Progress::default(),
            message: None,
            save: SaveState::Clean,
            history: Vec::new(),
            hist_pos: 0,
            quit: false,
            finished: false,
            hotkey_clashes_told: false,
        }
    }

    pub(in crate::tui) fn info(&mut self, m: impl Into<String>) {
        self.message = Some((Level::Info, m.into()));
    }
    pub(in crate::tui) fn warn(&mut self, m: impl Into<String>) {
        self.message = Some((Level::Warn, m.into()));
    }

    // ----------------------------------------------------------------- list

    pub(in crate::tui) fn open_list(&mut self) -> Vec<Effect> {
        self.screen = Screen::List;
        let current = self.task.as_ref().map(|t| t.full.task.id);
        match current {
            Some(id) => vec![self.list.jump(id)],
            None => vec![self.list.reset(true)],
        }
    }

    /// Routes an action to the task list and carries out what it asks for.
    pub(in crate::tui) fn list_action(&mut self, a: Action) -> Vec<Effect> {
        let can_go_back = self.task.is_some() || self.finished;
        let mut effects = Vec::new();
        for cmd in self.list.update(a, can_go_back) {
            match cmd {
                ListCmd::Effect(e) => effects.push(e),
                ListCmd::Back => self.screen = Screen::Task,
                ListCmd::Help => self.popup = Some(Popup::Help(Help::default())),
                ListCmd::AskJump => self.start_editor(EditTarget::Jump, String::new()),
                ListCmd::Quit => {
                    self.quit = true;
                    effects.push(Effect::Quit);
                }
            }
        }
        effects
    }

    // ----------------------------------------------------------------- keys

    /// The context of the focused pane.
    pub fn focus_ctx(&self) -> Option<Ctx> {
        let t = self.task.as_ref()?;
        match t.focusables.get(t.focus)? {
            Focus::Object(i) => match t.config.objects.get(*i)?.kind {
                ObjectKind::Image => Some(Ctx::Image),
                ObjectKind::Text | ObjectKind::HyperText | ObjectKind::Paragraphs => {
                    Some(Ctx::Text)
                }
                _ => None,
            },
            Focus::Control(_) => Some(Ctx::Panel),
        }
    }

    /// The contexts whose keys are live now, most specific first.
    pub fn active_contexts(&self) -> Vec<Ctx> {
        if let Some(p) = &self.popup {
            return vec![p.ctx()];
        }
        self.screen.contexts(self)
    }

    /// (key, what it does) for what has the keys now: the popup on top, else the screen.
    pub fn hints(&self) -> Vec<(String, String)> {
        match &self.popup {
            Some(p) => p.hints(&self.keymap),
            None => self.screen.hints(self),
        }
    }

    /// The one state changer: a message in, the state changed, what must happen outside
    /// out.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Start => vec![Effect::Counts, Effect::Resume],
            Msg::Key(ev) => self.key(ev),
            Msg::Mouse(ev) => self.mouse(ev),
            Msg::Resize(..) => Vec::new(),
            Msg::Action(a) => self.action(a),
            Msg::Counts(p) => {
                self.progress = p;
                Vec::new()
            }
            Msg::TaskOpened { full, draft } => self.open_task(*full, draft),
            Msg::NoSuchTask(id) => {
                self.warn(strings::no_such_task(id));
                Vec::new()
            }
            Msg::NoTaskLeft => {
                self.no_task();
                Vec::new()
            }
            Msg::Saved { kind, task_id } => self.saved(kind, task_id),
            Msg::SaveFailed(e) => {
                self.message = Some((Level::Error, strings::not_saved(&e)));
                self.save = SaveState::Failed(e);
                Vec::new()
            }
            Msg::DraftSaved => {
                self.draft_saved(Ok(()));
                Vec::new()
            }
            Msg::DraftFailed(e) => {
                self.draft_saved(Err(e));
                Vec::new()
            }
            Msg::ListPage {
                generation,
                rows,
                forward,
                reset,
                count,
            } => {
                if let Some(Err(e)) = self
                    .list
                    .page_arrived(generation, rows, forward, reset, count)
                {
                    self.message = Some((Level::Error, e));
                }
                Vec::new()
            }
            Msg::ListJumped {
                generation,
                id: _,
                back,
                fwd,
                count,
            } => {
                if generation == self.list.generation {
                    self.screen = Screen::List;
                    if let Err(e) = self.list.jumped(back, fwd, count) {
                        self.message = Some((Level::Error, e));
                    }
                }
                Vec::new()
            }
            Msg::ListFailed {
                generation,
                forward,
                error,
            } => {
                self.list.failed(generation, forward);
                self.message = Some((Level::Error, error));
                Vec::new()
            }
            Msg::Loaded(l) => {
                self.loaded(l);
                Vec::new()
            }
            Msg::Layout(facts) => self.layout(facts),
            Msg::EditorText {
                control,
                entry,
                text,
            } => self.external_text(&control, entry, text),
            Msg::Failed(f) => {
                let level = if f.warn_only {
                    Level::Warn
                } else {
                    Level::Error
                };
                self.message = Some((level, f.text));
                Vec::new()
            }
            Msg::Note(Note::Playing(prog)) => {
                self.info(strings::playing(&prog));
                Vec::new()
            }
            Msg::Note(Note::NoPlayer) => {
                self.info(strings::NO_PLAYER);
                Vec::new()
            }
        }
    }

    /// What the last frame learned: kept for the next update and frame; images are asked
    /// for at the size they were drawn.
    fn layout(&mut self, facts: LayoutFacts) -> Vec<Effect> {
        if let Some(h) = facts.list_height {
            self.list.height = h;
        }
        if let (Some(t), Some((id, l))) = (&mut self.task, facts.task)
            && t.full.task.id == id
        {
            // Panes out of view keep what they learned when last drawn.
            t.layout.scroll.extend(l.scroll);
            t.layout.image_geom.extend(l.image_geom);
            t.layout.image_wanted.extend(l.image_wanted);
            t.layout.pane_scroll = l.pane_scroll;
            t.layout.side_scroll = l.side_scroll;
            t.layout.hits = l.hits;
        }
        self.image_requests()
    }

    /// A key from the terminal.
    fn key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        if self.editor.is_some() {
            return self.editor_key(ev);
        }
        if let Some(Popup::Picker(p)) = &mut self.popup
            && p.searching
        {
            p.search_key(ev);
            return Vec::new();
        }
        let Some(spec) = KeySpec::from_event(&ev) else {
            return Vec::new();
        };
        // A hotkey of the focused control beats the built-in keys.
        if self.popup.is_none()
            && self.screen == Screen::Task
            && let Some((ci, li)) = self.owned_hotkey(&spec)
        {
            return self.apply_label(ci, li);
        }
        let ctxs = self.active_contexts();
        for ctx in &ctxs {
            if let Some(a) = self.keymap.lookup(*ctx, &spec) {
                return self.action(a);
            }
        }
        if self.popup.is_none()
            && self.screen == Screen::Task
            && let Some((_, ci, li)) = self.hotkeys().into_iter().find(|(k, _, _)| *k == spec)
        {
            return self.apply_label(ci, li);
        }
        Vec::new()
    }

    // ----------------------------------------------------------------- update

    /// The state change for one action; returns what must happen outside.
    fn action(&mut self, a: Action) -> Vec<Effect> {
        if self.popup.is_some() {
            return self.popup_action(a);
        }
        super::screens::update(self, a)
    }

    /// An action on the task screen.
    pub(in crate::tui) fn task_screen_action(&mut self, a: Action) -> Vec<Effect> {
        match a {
            Action::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Action::Help => {
                self.popup = Some(Popup::Help(Help::default()));
                return Vec::new();
            }
            Action::TaskList => return self.open_list(),
            Action::JumpToTask => {
                self.start_editor(EditTarget::Jump, String::new());
                return Vec::new();
            }
            _ => {}
        }
        if self.task.is_none() {
            return Vec::new();
        }
        self.task_action(a)
    }

    /// Popups get actions before the screen under them.
    fn popup_action(&mut self, a: Action) -> Vec<Effect> {
        let close = match &mut self.popup {
            None => return Vec::new(),
            Some(Popup::Help(h)) => h.update(a) == Reply::Close,
            Some(Popup::Diff(d)) => d.update(a) == Reply::Close,
            Some(Popup::Picker(p)) => {
                let Some(ctrl) = self
                    .task
                    .as_ref()
                    .and_then(|t| t.config.control(&p.control))
                    .cloned()
                else {
                    return Vec::new();
                };
                match p.update(a, &ctrl) {
                    PickerReply::Keep => false,
                    PickerReply::Close => true,
                    PickerReply::Choose {
                        label,
                        has_children,
                    } => return self.pick_taxonomy(ctrl, label, has_children),
                }
            }
        };
        if close {
            self.popup = None;
        }
        Vec::new()
    }

    // ----------------------------------------------------------------- inline editor

    pub(in crate::tui) fn start_editor(&mut self, target: EditTarget, text: String) {
        self.editor = Some(Editor::new(target, text));
    }

    pub(in crate::tui) fn editor_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        let Some(ed) = &mut self.editor else {
            return Vec::new();
        };
        match ed.key(ev) {
            EditorReply::Keep => Vec::new(),
            EditorReply::Cancel => {
                self.editor = None;
                Vec::new()
            }
            EditorReply::Commit => {
                let ed = self.editor.take().expect("editor");
                self.commit_editor(ed)
            }
            EditorReply::External {
                control,
                entry,
                text,
            } => {
                self.editor = None;
                vec![Effect::ExternalEditor {
                    control,
                    entry,
                    text,
                }]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::msg::Failure;
    use crossterm::event::{KeyCode, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn app() -> App {
        let config = LabelConfig::parse(
            r#"<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="A"/></Choices></View>"#,
        )
        .unwrap();
        App::new(
            "demo".into(),
            "demo.db".into(),
            "ann".into(),
            1,
            Sampling::Sequential,
            config,
            Theme::load(None, true).unwrap(),
            Keymap::default_map(false),
            super::super::media::annotator_resolver(crate::media::Roots::default()),
        )
    }

    fn key(c: char) -> Msg {
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    #[test]
    fn failures_from_outside_become_messages() {
        let mut a = app();
        assert!(a.update(Msg::SaveFailed("disk full".into())).is_empty());
        assert_eq!(a.save, SaveState::Failed("disk full".into()));
        assert_eq!(
            a.message,
            Some((Level::Error, "not saved: disk full".into()))
        );
        a.update(Failure::warn("cannot run mpv"));
        assert_eq!(a.message, Some((Level::Warn, "cannot run mpv".into())));
    }

    #[test]
    fn the_list_opens_pages_in_and_keeps_its_drawn_height() {
        let mut a = app();
        a.update(Msg::NoTaskLeft);
        assert!(a.finished);
        let effects = a.update(key('t'));
        let [Effect::ListPage { generation, .. }] = effects[..] else {
            panic!("{effects:?}");
        };
        assert_eq!(a.screen, Screen::List);
        a.update(Msg::ListPage {
            generation,
            rows: Vec::new(),
            forward: true,
            reset: true,
            count: Some(Err("database is locked".into())),
        });
        assert_eq!(
            a.message,
            Some((
                Level::Error,
                "cannot count tasks: database is locked".into()
            ))
        );
        let mut term = Terminal::new(TestBackend::new(80, 12)).unwrap();
        let mut facts = LayoutFacts::default();
        term.draw(|f| facts = super::super::view::draw(f, &a))
            .unwrap();
        assert_eq!(
            facts.list_height,
            Some(7),
            "12 rows less status, message, frame and heading"
        );
        assert_eq!(a.list.height, 0, "drawing changes nothing");
        a.update(Msg::Layout(facts));
        assert_eq!(a.list.height, 7);
        // Back to the (finished) task screen, and the help popup above it.
        a.update(key('t'));
        assert_eq!(a.screen, Screen::Task);
        assert!(a.hints().contains(&("s".into(), "submit".into())));
        a.update(key('?'));
        assert!(matches!(a.popup, Some(Popup::Help(_))));
        assert!(
            a.hints().contains(&("Esc".into(), "close".into())),
            "the popup on top gives the hints: {:?}",
            a.hints()
        );
        term.draw(|f| {
            super::super::view::draw(f, &a);
        })
        .unwrap();
        let text = super::super::view::buffer_text(term.backend().buffer());
        assert!(text.contains("Help"), "{text}");
    }
}
