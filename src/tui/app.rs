//! The annotator's state and its one state changer. [`App::update`] takes a [`Msg`] (a
//! key, a store reply, loaded media, layout facts, an error) and routes it: the inline
//! editor first, then the popup on top, then the screen shown (see `screens`); what needs
//! IO comes back as [`Effect`]s that the runtime carries out. Nothing here touches the
//! terminal, the store or the file system.

use super::action::Action;
use super::keymap::{Ctx, KeyCodeOrd, KeySpec, Keymap};
use super::media::{Request, Source};
pub use super::msg::ImageGeom;
use super::msg::{LayoutFacts, Msg, Note};
pub use super::popups::{Conflict, Diff, EditTarget, Editor, Help, Picker, Popup};
use super::popups::{ConflictReply, EditorReply, PickerReply, Reply, TreeReply};
pub use super::screens::Screen;
pub use super::screens::annotate::{Annotate, Content, Focus, TaskState, ViewSource};
use super::screens::task_list::{ListCmd, TaskList};
pub use super::shared::{check_datetime, describe_result, focusables, walk};
use super::strings;
use super::theme::Theme;
use crate::annotate::PendingSave;
use crate::config::{ControlKind, LabelConfig, ObjectKind};
use crate::store::Sampling;
use crate::store::browse::PageKey;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;
use std::time::{Duration, Instant};

/// What the session must do for the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Store the draft: what is on screen, so a crash loses nothing.
    SaveDraft(PendingSave),
    /// Submit or skip; the answer stays on screen until the store has it (`Msg::Saved`),
    /// then the next task of the stream opens.
    Save(PendingSave),
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
    /// Count the tasks for the status line (on the job worker: it never holds up keys).
    Counts,
    /// Read the open task again (others' annotations, mine from another window).
    RefreshTask(i64),
    /// With nothing left for me: claim the next task should one have come free (its
    /// annotator left), without writing anything when none has.
    NextIfFree,
    /// Store the held submit or skip of the task over my newer annotation.
    Overwrite {
        task_id: i64,
    },
    /// Drop the held submit or skip of the task and show my stored annotation.
    KeepStored {
        task_id: i64,
    },
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
    /// Compute the agreement figures that are stale (a job; `Msg::AgreementRefreshed`).
    RefreshAgreement,
    /// A read or write of the review screen.
    Review(super::screens::review::ReviewEffect),
    /// A request of the data table, run as a job.
    Table(super::screens::table::TableRequest),
    /// Put text on the terminal's clipboard (OSC 52, which works over SSH).
    Clipboard(String),
    /// Read a task from the store and open it in a popup (the JSON tree or the compare
    /// view); the reply is `Msg::TaskInspected`.
    InspectTask {
        id: i64,
        view: super::msg::Inspect,
    },
    /// Send what the linked server lacks (`start --sync`, after a submit or skip).
    Sync,
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
    /// The store refused the last write; it is retried, and the answer stays.
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
    /// The screen the session opens on (`start` opens the next task to label).
    pub first_screen: Screen,
    pub popup: Option<Popup>,
    pub editor: Option<Editor>,
    /// The annotate screen: the open task and everything about working on it.
    pub annotate: Annotate,
    pub list: TaskList,
    /// The review screen.
    pub review: super::screens::review::Review,
    /// The data table screen.
    pub table: super::screens::table::Table,
    pub message: Option<(Level, String)>,
    /// `start --sync`: how sending to the linked server goes.
    pub sync: Option<super::sync::SyncState>,
    pub quit: bool,
    /// The message shown and since when, for clearing Info/Ok messages after a while.
    message_since: Option<(String, Instant)>,
}

/// Info and Ok messages go after this long (or at the next key); warnings and errors stay
/// until acted on.
pub const MESSAGE_TTL: Duration = Duration::from_secs(4);

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
            first_screen: Screen::Task,
            popup: None,
            editor: None,
            annotate: Annotate::default(),
            list: TaskList::default(),
            review: Default::default(),
            table: Default::default(),
            message: None,
            sync: None,
            quit: false,
            message_since: None,
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
        let current = self.annotate.task.as_ref().map(|t| t.full.task.id);
        match current {
            Some(id) => vec![self.list.jump(id)],
            None => vec![self.list.reset(true)],
        }
    }

    /// Routes an action to the task list and carries out what it asks for.
    pub(in crate::tui) fn list_action(&mut self, a: Action) -> Vec<Effect> {
        let can_go_back = self.annotate.task.is_some() || self.annotate.finished;
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
        let t = self.annotate.task.as_ref()?;
        self.ctx_of(*t.focusables.get(t.focus)?)
    }

    /// The keymap context a focus stop of the open task has its keys in.
    pub fn ctx_of(&self, focus: Focus) -> Option<Ctx> {
        let t = self.annotate.task.as_ref()?;
        match &focus {
            Focus::Object(i) if t.config.objects.get(*i)?.kind == ObjectKind::Video => {
                let name = &t.config.objects[*i].name;
                crate::tui::screens::annotate::video_pane::edits_video(&t.config, name)
                    .then_some(Ctx::Video)
            }
            Focus::Object(i) if t.config.objects.get(*i)?.kind == ObjectKind::Audio => {
                let name = &t.config.objects[*i].name;
                crate::tui::screens::annotate::audio_pane::edits_audio(&t.config, name)
                    .then_some(Ctx::Audio)
            }
            Focus::Object(i) => match t.config.objects.get(*i)?.kind {
                ObjectKind::Image => Some(Ctx::Image),
                ObjectKind::TimeSeries => Some(Ctx::Timeseries),
                ObjectKind::Text | ObjectKind::HyperText | ObjectKind::Paragraphs => {
                    Some(Ctx::Text)
                }
                ObjectKind::List => Some(Ctx::Ranker),
                ObjectKind::Chat => Some(Ctx::Chat),
                _ => None,
            },
            Focus::Control(i) => match t.config.controls.get(*i)?.kind {
                ControlKind::Pairwise => Some(Ctx::Pairwise),
                ControlKind::Ranker => Some(Ctx::Ranker),
                _ => Some(Ctx::Panel),
            },
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
        let store_changed = matches!(msg, Msg::StoreChanged);
        let mut effects = self.update_msg(msg);
        if store_changed {
            effects.extend(self.review_store_changed());
        }
        // A reviewer fixing an annotation in the annotator: its submit is the fix.
        let effects = self.review_intercept(effects);
        self.follow_table(effects)
    }

    fn update_msg(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Start => {
                let mut effects = vec![Effect::Counts];
                match self.first_screen {
                    Screen::Task => effects.push(Effect::Resume),
                    Screen::List => effects.extend(self.open_list()),
                    Screen::Review => effects.extend(self.open_review()),
                    Screen::Table => effects.extend(self.open_table()),
                }
                effects
            }
            Msg::Key(ev) => self.key(ev),
            Msg::Mouse(m)
                if self.editor.is_none() && self.popup.is_none() && self.screen == Screen::Task =>
            {
                self.pane_mouse(m)
            }
            Msg::Mouse(_) | Msg::Resize(..) => Vec::new(),
            Msg::Action(a) => self.action(a),
            Msg::Counts(p) => {
                self.annotate.progress = p;
                Vec::new()
            }
            Msg::TaskOpened { full, draft } => self.open_task(*full, draft),
            Msg::NoSuchTask(id) => {
                self.warn(strings::no_such_task(id));
                Vec::new()
            }
            Msg::NoTaskLeft { open_by_others } => {
                self.no_task(open_by_others);
                Vec::new()
            }
            Msg::Saved {
                kind,
                task_id,
                annotation,
            } => {
                let mut effects = self.saved(kind, task_id, annotation);
                // A skip is an annotation too (cancelled): the server gets it as well.
                if self.sync.is_some() && kind != crate::annotate::SaveKind::Draft {
                    effects.push(Effect::Sync);
                }
                effects
            }
            Msg::SaveConflict {
                kind,
                task_id,
                annotation_id,
                revision,
                updated_at,
            } => self.save_conflict(Conflict::new(
                task_id,
                kind,
                annotation_id,
                revision,
                updated_at,
            )),
            Msg::StoreChanged => {
                let mut effects = self.store_changed();
                effects.extend(self.table_store_changed());
                if matches!(self.screen, Screen::Table | Screen::Review) {
                    effects.push(Effect::RefreshAgreement);
                }
                effects
            }
            Msg::AgreementRefreshed(Ok(0)) => Vec::new(),
            // Figures changed: the table's rows and the review's task are read again.
            Msg::AgreementRefreshed(Ok(_)) => {
                let mut effects = self.table_store_changed();
                effects.extend(self.review_store_changed());
                effects
            }
            Msg::AgreementRefreshed(Err(e)) => {
                self.warn(strings::cannot_refresh_agreement(&e));
                Vec::new()
            }
            Msg::TaskRefreshed { id, full, adopt } => match full {
                Some(full) => self.task_refreshed(*full, adopt),
                None => {
                    if self
                        .annotate
                        .task
                        .as_ref()
                        .is_some_and(|t| t.full.task.id == id)
                    {
                        self.warn(strings::no_such_task(id));
                    }
                    Vec::new()
                }
            },
            Msg::HeldBy { task_id, users } => {
                if self
                    .annotate
                    .task
                    .as_ref()
                    .is_some_and(|t| t.full.task.id == task_id)
                {
                    let note = strings::held_by(task_id, &users, &self.user);
                    // What opening the task said (a resumed draft) stays in front.
                    let note = match self.message.take() {
                        Some((Level::Info | Level::Ok, m)) => format!("{m} · {note}"),
                        _ => note,
                    };
                    self.warn(note);
                }
                Vec::new()
            }
            Msg::Hangup => self.interrupt(),
            Msg::SaveRetry { reason, .. } => {
                self.save_retry(&reason);
                Vec::new()
            }
            Msg::DraftSaved { task_id, revision } => {
                self.draft_saved(task_id, revision);
                Vec::new()
            }
            Msg::Tick(now) => {
                self.expire_message(now);
                self.review_tick(now)
            }
            Msg::Review(m) => self.review_msg(m),
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
                    if !std::mem::take(&mut self.list.refreshing) {
                        self.screen = Screen::List;
                    }
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
            Msg::Sync(note) => {
                let shown = self.sync.as_mut().and_then(|s| s.note(note));
                match shown {
                    Some((true, m)) => self.warn(m),
                    Some((false, m)) => self.message = Some((Level::Ok, m)),
                    None => {}
                }
                Vec::new()
            }
            Msg::Table(reply) => self.table_reply(*reply),
            Msg::TaskInspected { id, view, full } => {
                match full {
                    Some(full) => self.inspect(&full, view),
                    None => self.warn(strings::no_such_task(id)),
                }
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
        let mut table_effects = Vec::new();
        if let Some((h, w)) = facts.table_size {
            table_effects = self.table_resized(h.into(), w);
        }
        if let (Some(p), Some((rows, width))) = (&mut self.popup, facts.popup_size) {
            p.set_size(rows.into(), width);
        }
        if let (Some(t), Some((id, l))) = (&mut self.annotate.task, facts.task)
            && t.full.task.id == id
        {
            // Panes out of view keep what they learned when last drawn.
            t.layout.scroll.extend(l.scroll);
            t.layout.image_geom.extend(l.image_geom);
            t.layout.image_wanted.extend(l.image_wanted);
            t.layout.chat_rows.extend(l.chat_rows);
            // Only charts on screen take clicks.
            t.layout.timeseries = l.timeseries;
            t.layout.pane_scroll = l.pane_scroll;
            t.layout.side_scroll = l.side_scroll;
            t.layout.text_panes = l.text_panes;
            // Only pictures on screen now can be hit by the mouse.
            t.layout.image_area = l.image_area;
            t.layout.hits = l.hits;
        }
        let mut effects = self.image_requests();
        effects.extend(table_effects);
        effects
    }

    /// Clears an Info or Ok message once it has been shown for [`MESSAGE_TTL`].
    pub(in crate::tui) fn expire_message(&mut self, now: Instant) {
        match (&self.message, &self.message_since) {
            (Some((Level::Info | Level::Ok, m)), Some((seen, since))) if m == seen => {
                if now.saturating_duration_since(*since) >= MESSAGE_TTL {
                    self.message = None;
                    self.message_since = None;
                }
            }
            (Some((_, m)), _) => self.message_since = Some((m.clone(), now)),
            (None, _) => self.message_since = None,
        }
    }

    /// When the message shown now should be looked at again (to clear it).
    pub fn message_due(&self) -> Option<Instant> {
        match (&self.message, &self.message_since) {
            (Some((Level::Info | Level::Ok, m)), Some((seen, since))) if m == seen => {
                Some(*since + MESSAGE_TTL)
            }
            // A new message: a tick now notes when it was first shown.
            (Some((Level::Info | Level::Ok, _)), _) => Some(Instant::now()),
            (Some(_), _) | (None, _) => None,
        }
    }

    /// A key from the terminal.
    fn key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        // An Info or Ok message has been read once another key comes.
        if matches!(self.message, Some((Level::Info | Level::Ok, _))) {
            self.message = None;
        }
        if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
            return self.interrupt();
        }
        if self.editor.is_some() {
            return self.editor_key(ev);
        }
        if let Some(effects) = self.table_text_key(ev) {
            return effects;
        }
        if let Some(Popup::Picker(p)) = &mut self.popup
            && p.searching
        {
            p.search_key(ev);
            return Vec::new();
        }
        if let Some(Popup::JsonTree(p)) = &mut self.popup
            && p.searching
        {
            p.search_key(ev);
            return Vec::new();
        }
        let Some(spec) = KeySpec::from_event(&ev) else {
            return Vec::new();
        };
        // A jump on an image is a mode of its own: its cell keys come first.
        if self.popup.is_none()
            && self.screen == Screen::Task
            && let Some(e) = self.image_jump_key(&spec)
        {
            return e;
        }
        // A hotkey of the focused control beats the built-in keys.
        if self.popup.is_none()
            && self.screen == Screen::Task
            && let Some((ci, li)) = self.owned_hotkey(&spec)
        {
            return self.apply_label(ci, li);
        }
        if self.count_digit(&spec) {
            return Vec::new();
        }
        let ctxs = self.active_contexts();
        for ctx in &ctxs {
            if let Some(a) = self.keymap.lookup(*ctx, &spec) {
                let effects = self.action(a);
                // A count applies to the action right after it only.
                self.annotate.count = None;
                return effects;
            }
        }
        self.annotate.count = None;
        if self.popup.is_none()
            && self.screen == Screen::Task
            && let Some((_, ci, li)) = self.hotkeys().into_iter().find(|(k, _, _)| *k == spec)
        {
            return self.apply_label(ci, li);
        }
        Vec::new()
    }

    /// A mouse event on the task screen goes to the pane under it (a drag to the pane it
    /// started in).
    fn pane_mouse(&mut self, m: crossterm::event::MouseEvent) -> Vec<Effect> {
        let at = ratatui::layout::Position::new(m.column, m.row);
        let on_chart = self
            .annotate
            .task
            .as_ref()
            .is_some_and(|t| t.layout.timeseries.iter().any(|(_, r)| r.contains(at)));
        let on_image = self
            .annotate
            .task
            .as_ref()
            .is_some_and(|t| t.layout.image_area.values().any(|r| r.contains(at)));
        let on_text = self.annotate.task.as_ref().is_some_and(|t| {
            t.layout.text_panes.values().any(|r| r.contains(at))
                || (t.text_drag.is_some()
                    && matches!(
                        m.kind,
                        crossterm::event::MouseEventKind::Drag(_)
                            | crossterm::event::MouseEventKind::Up(_)
                    ))
        });
        if self.ranking_mouse_wanted(&m) {
            self.ranking_mouse(m)
        } else if on_chart {
            self.timeseries_mouse(m)
        } else if on_image {
            self.image_mouse(m)
        } else if on_text {
            self.text_mouse(m)
        } else {
            // Panels, options and the wheel over the pane and panel stacks.
            self.mouse(m)
        }
    }

    /// Takes a count digit: Alt+digit anywhere on the task screen, a plain digit when no
    /// label of the live controls has it as hotkey and no key binds it (a `0` only
    /// continues a count).
    fn count_digit(&mut self, spec: &KeySpec) -> bool {
        let KeyCodeOrd::Char(c) = spec.code else {
            return false;
        };
        let Some(digit) = c.to_digit(10) else {
            return false;
        };
        if spec.ctrl || self.popup.is_some() || self.screen != Screen::Task {
            return false;
        }
        if !spec.alt {
            let plain = KeySpec::ch(c);
            let bound = self
                .active_contexts()
                .iter()
                .any(|ctx| self.keymap.lookup(*ctx, &plain).is_some());
            if bound
                || self.hotkeys().iter().any(|(k, _, _)| *k == plain)
                || (digit == 0 && self.annotate.count.is_none())
            {
                return false;
            }
        }
        let n = self.annotate.count.unwrap_or(0).saturating_mul(10);
        self.annotate.count = Some(n.saturating_add(digit as usize).min(99_999));
        true
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
        if self.annotate.task.is_none() {
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
            Some(
                Popup::Filter(_)
                | Popup::Columns(_)
                | Popup::Freq(_)
                | Popup::Views(_)
                | Popup::Bulk(_),
            ) => return self.table_popup_action(a),
            Some(Popup::Compare(c)) => c.update(a) == Reply::Close,
            Some(Popup::JsonTree(t)) => match t.update(a) {
                TreeReply::Keep => false,
                TreeReply::Close => true,
                TreeReply::Copy { text, what } => return self.copy(text, &what),
            },
            Some(Popup::Conflict(c)) => {
                let c = c.clone();
                return match c.update(a) {
                    ConflictReply::Keep => Vec::new(),
                    reply => {
                        self.popup = None;
                        self.conflict_decided(&c, reply)
                    }
                };
            }
            Some(Popup::Picker(p)) => {
                let Some(ctrl) = self
                    .annotate
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

    /// The draft with the editor's text as if it were committed, so that a crash or a
    /// kill loses nothing typed. My result, its undo and what is on screen stay as they
    /// are until Enter.
    pub(in crate::tui) fn editor_draft(&mut self) -> Option<Effect> {
        let ed = self.editor.clone()?;
        if !ed.target.edits_result() {
            return None;
        }
        let t = self.annotate.task.as_ref()?;
        let kept = (
            t.draft.clone(),
            t.selected.clone(),
            t.opt_cursor.clone(),
            self.message.clone(),
            self.annotate.save.clone(),
        );
        let effects = self.commit_editor(ed);
        let t = self.annotate.task.as_mut()?;
        (
            t.draft,
            t.selected,
            t.opt_cursor,
            self.message,
            self.annotate.save,
        ) = kept;
        // It carries the revision on screen: the commit (a newer revision) and a cancel
        // (the same one, saved again) both take its place while it waits.
        let revision = t.draft.revision();
        effects.into_iter().find_map(|e| match e {
            Effect::SaveDraft(mut p) => {
                p.revision = revision;
                Some(Effect::SaveDraft(p))
            }
            Effect::Save(mut p) => {
                p.revision = revision;
                Some(Effect::Save(p))
            }
            _ => None,
        })
    }

    /// Ctrl-C: store what is typed, then quit.
    pub(in crate::tui) fn interrupt(&mut self) -> Vec<Effect> {
        let mut out: Vec<Effect> = self.editor_draft().into_iter().collect();
        if out.is_empty()
            && let Some(t) = &self.annotate.task
            && t.draft.is_dirty()
        {
            out.push(self.draft_effect());
        }
        self.editor = None;
        self.quit = true;
        out.push(Effect::Quit);
        out
    }

    pub(in crate::tui) fn start_editor(&mut self, target: EditTarget, text: String) {
        self.annotate.editor_drafted = false;
        self.editor = Some(Editor::new(target, text));
    }

    pub(in crate::tui) fn editor_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        let Some(ed) = &mut self.editor else {
            return Vec::new();
        };
        let before = ed.buf.clone();
        match ed.key(ev) {
            EditorReply::Keep => {
                let changed = self.editor.as_ref().is_some_and(|e| e.buf != before);
                let drafted = if changed { self.editor_draft() } else { None };
                self.annotate.editor_drafted |= drafted.is_some();
                drafted.into_iter().collect()
            }
            EditorReply::Cancel => {
                let ed = self.editor.take().expect("editor");
                // The draft held the text as it was typed: store the result on screen again.
                match (&ed.target, &self.annotate.task) {
                    (target, _) if !target.edits_result() => Vec::new(),
                    (_, None) => Vec::new(),
                    _ if !std::mem::take(&mut self.annotate.editor_drafted) => Vec::new(),
                    _ => vec![self.draft_effect()],
                }
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
    use crate::annotate::SaveKind;
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
        assert!(
            a.update(Msg::SaveRetry {
                kind: SaveKind::Submit,
                task_id: 1,
                reason: "not saved yet, the disk is full".into()
            })
            .is_empty()
        );
        assert_eq!(a.annotate.save, SaveState::Failed("retrying".into()));
        assert_eq!(
            a.message,
            Some((Level::Warn, "not saved, retrying: the disk is full".into()))
        );
        a.update(Failure::warn("cannot run mpv"));
        assert_eq!(a.message, Some((Level::Warn, "cannot run mpv".into())));
    }

    #[test]
    fn the_list_opens_pages_in_and_keeps_its_drawn_height() {
        let mut a = app();
        a.update(Msg::NoTaskLeft { open_by_others: 0 });
        assert!(a.annotate.finished);
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
