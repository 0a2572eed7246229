//! The annotator's state and its update function. `update` takes an [`Action`] (or a key,
//! or a result from the store or a worker) and changes the state; what needs IO comes
//! back as [`Effect`]s that the session carries out. Nothing here touches the terminal,
//! the store or the file system.

use super::action::Action;
use super::keymap::{Ctx, KeySpec, Keymap};
use super::media::{Loaded, Payload, Raster, Request, Source, resolve_source};
pub use super::msg::ImageGeom;
use super::msg::{LayoutFacts, Msg, Note, TaskLayout};
pub use super::popups::{Diff, EditTarget, Editor, Help, Picker, Popup};
use super::popups::{EditorReply, PickerReply, Reply};
use super::result as res;
pub use super::screens::Screen;
use super::screens::task_list::{ListCmd, TaskList};
use super::strings;
use super::text::SpanDoc;
use super::theme::Theme;
use crate::config::{ChoiceMode, ControlKind, ControlTag, LabelConfig, Node, ObjectKind};
use crate::store::annotate::{DraftRow, Progress, SubmitKind};
use crate::store::browse::PageKey;
use crate::store::{Sampling, TaskFull};
use crate::task::resolve::{as_text, resolve_attr};
use crossterm::event::KeyEvent;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Object(usize),
    Control(usize),
}

/// Whose result is shown: mine (editable) or, read-only, a prediction or another
/// annotator's annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewSource {
    Mine,
    Prediction(usize),
    Annotation(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Loading,
    Failed(String),
    /// Span-capable text (Text, HyperText, Paragraphs).
    Doc(Arc<SpanDoc>),
    /// Structured or plain data shown as it is (Table, TimeSeries, List...).
    Data(Value),
    Image {
        source: Result<Source, String>,
        raster: Option<Arc<Raster>>,
        error: Option<String>,
        requested: Option<(u16, u16)>,
    },
    Media {
        shown: String,
        source: Result<Source, String>,
        duration: Option<f64>,
        bytes: Option<u64>,
        error: Option<String>,
    },
}

pub struct TaskState {
    pub full: TaskFull,
    pub data: Value,
    pub config: LabelConfig,
    pub result: Vec<Value>,
    pub annotation_id: Option<i64>,
    pub parent_prediction: Option<i64>,
    pub undo: Vec<Vec<Value>>,
    pub redo: Vec<Vec<Value>>,
    pub lead_base: f64,
    pub opened: Instant,
    pub focusables: Vec<Focus>,
    pub focus: usize,
    pub opt_cursor: HashMap<String, usize>,
    pub text_cursor: HashMap<String, usize>,
    pub anchor: Option<(String, usize)>,
    pub selected: Option<String>,
    pub source: ViewSource,
    pub rejected: HashSet<String>,
    pub show_predictions: bool,
    pub contents: HashMap<String, Content>,
    pub last_label: HashMap<String, String>,
    /// What the frames drawn for this task learned (sizes, scroll offsets).
    pub layout: TaskLayout,
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
}

/// Label Studio's name for the label-like controls whose keys make or relabel regions.
fn is_labels_control(k: ControlKind) -> bool {
    matches!(
        k,
        ControlKind::Labels
            | ControlKind::HyperTextLabels
            | ControlKind::ParagraphLabels
            | ControlKind::RectangleLabels
            | ControlKind::PolygonLabels
            | ControlKind::KeyPointLabels
            | ControlKind::EllipseLabels
            | ControlKind::BrushLabels
            | ControlKind::TimeSeriesLabels
    )
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
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
        }
    }

    fn info(&mut self, m: impl Into<String>) {
        self.message = Some((Level::Info, m.into()));
    }
    fn warn(&mut self, m: impl Into<String>) {
        self.message = Some((Level::Warn, m.into()));
    }

    // ----------------------------------------------------------------- opening tasks

    /// A task arrived from the store: make it the current one. `from_history` keeps the
    /// history as it is (moving with `[`/`]`).
    fn open_task(&mut self, full: TaskFull, draft: Option<DraftRow>) -> Vec<Effect> {
        let from_history = self.history.get(self.hist_pos) == Some(&full.task.id);
        let data: Value = serde_json::from_str(&full.task.data).unwrap_or(Value::Null);
        let config = self.base_config.expand_for_task(&data);
        let mine = full
            .annotations
            .iter()
            .filter(|a| a.completed_by == Some(self.user_id))
            .max_by_key(|a| (!a.was_cancelled, a.id));
        let (result, lead_base) = match (&draft, mine) {
            (Some(d), _) => (
                serde_json::from_str::<Vec<Value>>(&d.result).unwrap_or_default(),
                d.lead_time.unwrap_or(0.0),
            ),
            (None, Some(a)) => (
                serde_json::from_str::<Vec<Value>>(&a.result).unwrap_or_default(),
                a.lead_time.unwrap_or(0.0),
            ),
            (None, None) => (Vec::new(), 0.0),
        };
        let id = full.task.id;
        if !from_history {
            self.history.truncate(self.hist_pos + 1);
            if self.history.last() != Some(&id) {
                self.history.push(id);
            }
            self.hist_pos = self.history.len() - 1;
        }
        let mut t = TaskState {
            annotation_id: mine.map(|a| a.id),
            parent_prediction: mine.and_then(|a| a.parent_prediction),
            full,
            data,
            config,
            result,
            undo: Vec::new(),
            redo: Vec::new(),
            lead_base,
            opened: Instant::now(),
            focusables: Vec::new(),
            focus: 0,
            opt_cursor: HashMap::new(),
            text_cursor: HashMap::new(),
            anchor: None,
            selected: None,
            source: ViewSource::Mine,
            rejected: HashSet::new(),
            show_predictions: true,
            contents: HashMap::new(),
            last_label: HashMap::new(),
            layout: TaskLayout::default(),
        };
        let effects = self.resolve_contents(&mut t);
        for (name, c) in &t.contents {
            if let Content::Doc(d) = c
                && let Some(first) = d.map.iter().position(Option::is_some)
            {
                t.text_cursor.insert(name.clone(), d.grapheme_at(first).0);
            }
        }
        t.focusables = focusables(&t.config);
        t.focus = t
            .focusables
            .iter()
            .position(|f| matches!(f, Focus::Object(_)))
            .filter(|_| {
                t.config
                    .controls
                    .iter()
                    .any(|c| is_labels_control(c.kind) || c.kind == ControlKind::Rectangle)
            })
            .or_else(|| {
                t.focusables
                    .iter()
                    .position(|f| matches!(f, Focus::Control(_)))
            })
            .unwrap_or(0);
        self.save = if draft.is_some() {
            SaveState::DraftSaved
        } else {
            SaveState::Clean
        };
        if draft.is_some() {
            self.info(format!("task {id}: resumed your draft"));
        } else if t.annotation_id.is_some() {
            self.info(strings::editing_annotation(id, &self.keymap));
        } else if !matches!(self.message, Some((Level::Ok, _))) {
            self.message = None;
        }
        self.task = Some(t);
        self.screen = Screen::Task;
        self.finished = false;
        effects
    }

    /// The stream has nothing left.
    fn no_task(&mut self) {
        let saved = self.message.clone();
        self.finished = true;
        self.task = None;
        self.message = Some((
            Level::Ok,
            match saved {
                Some((Level::Ok, m)) => strings::done_after(&m, &self.keymap),
                _ => strings::all_done(&self.keymap),
            },
        ));
    }

    /// Where a value of `task` points: relative paths against the folder the task was
    /// imported from, then the media root; nothing outside the allowed roots.
    fn source_of(&self, task: &crate::store::TaskRow, value: &str) -> Result<Source, String> {
        let id = task.id.to_string();
        let origin = crate::media::Origin {
            task: &id,
            base_dir: task.base_dir.as_deref().map(std::path::Path::new),
        };
        resolve_source(&self.media, &origin, value)
    }

    fn resolve_contents(&self, t: &mut TaskState) -> Vec<Effect> {
        let mut effects = Vec::new();
        let task_id = t.full.task.id;
        for obj in &t.config.objects {
            let raw = obj
                .value
                .as_deref()
                .or(obj.value_list.as_deref())
                .map(|v| resolve_attr(v, &t.data))
                .unwrap_or(Value::Null);
            let url = obj
                .value_type
                .as_deref()
                .is_some_and(|v| v.eq_ignore_ascii_case("url"))
                || obj.resolver.is_some()
                || (obj.kind == ObjectKind::TimeSeries
                    && !obj
                        .value_type
                        .as_deref()
                        .is_some_and(|v| v.eq_ignore_ascii_case("json"))
                    && raw.is_string());
            let key = format!("{task_id}:{}", obj.name);
            let content = match obj.kind {
                ObjectKind::Image => {
                    let first = match &raw {
                        Value::Array(a) => a.first().map(as_text).unwrap_or_default(),
                        other => as_text(other),
                    };
                    Content::Image {
                        source: self.source_of(&t.full.task, &first),
                        raster: None,
                        error: None,
                        requested: None,
                    }
                }
                ObjectKind::Audio | ObjectKind::Video => {
                    let shown = as_text(&raw);
                    let source = self.source_of(&t.full.task, &shown);
                    if let Ok(s) = &source {
                        effects.push(Effect::Load(Request::Media {
                            key: key.clone(),
                            source: s.clone(),
                        }));
                    }
                    Content::Media {
                        shown,
                        source,
                        duration: None,
                        bytes: None,
                        error: None,
                    }
                }
                _ if url && raw.is_string() => match self.source_of(&t.full.task, &as_text(&raw)) {
                    Ok(source) => {
                        effects.push(Effect::Load(Request::Text {
                            key: key.clone(),
                            source,
                            resolver: obj.resolver.clone(),
                        }));
                        Content::Loading
                    }
                    Err(e) => Content::Failed(e),
                },
                _ => self.content_from_value(obj, raw),
            };
            t.contents.insert(obj.name.clone(), content);
        }
        effects
    }

    /// Builds an object's content from its (resolved or loaded) value.
    fn content_from_value(&self, obj: &crate::config::ObjectTag, raw: Value) -> Content {
        let decode = |s: String| -> Result<String, String> {
            match obj
                .encoding
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("base64") | Some("base64unicode") => super::media::decode_base64_text(&s),
                _ => Ok(s),
            }
        };
        match obj.kind {
            ObjectKind::Text => match decode(as_text(&raw)) {
                Ok(s) => Content::Doc(Arc::new(SpanDoc::text(&s))),
                Err(e) => Content::Failed(e),
            },
            ObjectKind::HyperText => match decode(as_text(&raw)) {
                Ok(s) => Content::Doc(Arc::new(SpanDoc::html(&s))),
                Err(e) => Content::Failed(e),
            },
            ObjectKind::Paragraphs => {
                let items = match raw {
                    Value::Array(a) => a,
                    Value::String(s) => match serde_json::from_str::<Value>(&s) {
                        Ok(Value::Array(a)) => a,
                        Ok(Value::Object(m)) => {
                            // A URL's JSON may wrap the list under the data key.
                            m.values()
                                .find_map(|v| v.as_array().cloned())
                                .unwrap_or_default()
                        }
                        _ => {
                            return Content::Failed(
                                "Paragraphs need a list of {author, text}".into(),
                            );
                        }
                    },
                    _ => return Content::Failed("Paragraphs need a list of {author, text}".into()),
                };
                let nk = obj.attr("nameKey").unwrap_or("author");
                let tk = obj.attr("textKey").unwrap_or("text");
                Content::Doc(Arc::new(SpanDoc::paragraphs(&items, nk, tk)))
            }
            _ => Content::Data(raw),
        }
    }

    /// A worker finished loading something.
    fn loaded(&mut self, l: Loaded) {
        let Some(t) = &mut self.task else { return };
        let mut parts = l.key.splitn(3, ':');
        let (Some(tid), Some(name)) = (parts.next(), parts.next()) else {
            return;
        };
        if tid != t.full.task.id.to_string() {
            return;
        }
        let Some(obj) = t.config.object(name).cloned() else {
            return;
        };
        let new = match (t.contents.get(name), l.result) {
            (
                Some(Content::Image {
                    source, requested, ..
                }),
                Ok(Payload::Image(r)),
            ) => Content::Image {
                source: source.clone(),
                raster: Some(r),
                error: None,
                requested: *requested,
            },
            (
                Some(Content::Image {
                    source, requested, ..
                }),
                Err(e),
            ) => Content::Image {
                source: source.clone(),
                raster: None,
                error: Some(e),
                requested: *requested,
            },
            (
                Some(Content::Media { shown, source, .. }),
                Ok(Payload::Media { duration, bytes }),
            ) => Content::Media {
                shown: shown.clone(),
                source: source.clone(),
                duration,
                bytes,
                error: None,
            },
            (Some(Content::Media { shown, source, .. }), Err(e)) => Content::Media {
                shown: shown.clone(),
                source: source.clone(),
                duration: None,
                bytes: None,
                error: Some(e),
            },
            (_, Ok(Payload::Text(s))) => {
                let v = if obj.kind == ObjectKind::Paragraphs || obj.kind == ObjectKind::Table {
                    serde_json::from_str(&s).unwrap_or(Value::String(s))
                } else {
                    Value::String(s)
                };
                self.content_from_value(&obj, v)
            }
            (_, Err(e)) => Content::Failed(e),
            (_, Ok(_)) => return,
        };
        if let Some(t) = &mut self.task {
            t.contents.insert(name.to_string(), new);
        }
    }

    /// Image requests for panes whose drawn size changed (after a frame).
    fn image_requests(&mut self) -> Vec<Effect> {
        let Some(t) = &mut self.task else {
            return Vec::new();
        };
        let wanted: Vec<(String, (u16, u16))> = t
            .layout
            .image_wanted
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let mut out = Vec::new();
        for (name, size) in wanted {
            if let Some(Content::Image {
                source: Ok(source),
                requested,
                ..
            }) = t.contents.get_mut(&name)
                && *requested != Some(size)
            {
                *requested = Some(size);
                out.push(Effect::Load(Request::Image {
                    key: format!("{}:{name}:{}x{}", t.full.task.id, size.0, size.1),
                    source: source.clone(),
                    cols: size.0,
                    rows: size.1,
                }));
            }
        }
        out
    }

    // ----------------------------------------------------------------- list

    fn open_list(&mut self) -> Vec<Effect> {
        self.screen = Screen::List;
        let current = self.task.as_ref().map(|t| t.full.task.id);
        match current {
            Some(id) => vec![self.list.jump(id)],
            None => vec![self.list.reset(true)],
        }
    }

    /// Routes an action to the task list and carries out what it asks for.
    fn list_action(&mut self, a: Action) -> Vec<Effect> {
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
        match self.screen {
            Screen::List => vec![Ctx::List],
            Screen::Task => {
                let mut v = Vec::new();
                if let Some(c) = self.focus_ctx() {
                    v.push(c);
                }
                v.push(Ctx::Task);
                v
            }
        }
    }

    /// Label hotkeys of the current task that are not shadowed by a bound key:
    /// (key, control index, label index).
    pub fn hotkeys(&self) -> Vec<(KeySpec, usize, usize)> {
        let Some(t) = &self.task else {
            return Vec::new();
        };
        let ctxs = self.active_contexts();
        let mut out = Vec::new();
        for (ci, c) in t.config.controls.iter().enumerate() {
            if matches!(c.kind, ControlKind::Taxonomy | ControlKind::Relations) {
                continue;
            }
            for (li, l) in c.labels.iter().enumerate() {
                let Some(h) = &l.hotkey else { continue };
                let Some(spec) = KeySpec::parse(&h.replace('+', "-")) else {
                    continue;
                };
                let shadowed = ctxs
                    .iter()
                    .any(|ctx| self.keymap.lookup(*ctx, &spec).is_some());
                if !shadowed {
                    out.push((spec, ci, li));
                }
            }
        }
        out
    }

    /// The hotkey shown next to a label, if it works now.
    pub fn hotkey_label(&self, ci: usize, li: usize) -> Option<String> {
        self.hotkeys()
            .into_iter()
            .find(|(_, c, l)| *c == ci && *l == li)
            .map(|(k, _, _)| k.display())
    }

    /// The one state changer: a message in, the state changed, what must happen outside
    /// out.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Start => vec![Effect::Counts, Effect::Resume],
            Msg::Key(ev) => self.key(ev),
            Msg::Mouse(_) | Msg::Resize(..) => Vec::new(),
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
        if self.screen == Screen::List {
            return self.list_action(a);
        }
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
        match a {
            Action::Submit => self.submit(SubmitKind::Submit),
            Action::Skip => self.submit(SubmitKind::Skip),
            Action::Undo => self.undo(true),
            Action::Redo => self.undo(false),
            Action::NextTask => {
                let t = self.task.as_ref().expect("task");
                if self.hist_pos + 1 < self.history.len() {
                    self.hist_pos += 1;
                    vec![Effect::OpenTask(self.history[self.hist_pos])]
                } else {
                    vec![Effect::NextTask {
                        exclude: Some(t.full.task.id),
                    }]
                }
            }
            Action::PrevTask => {
                if self.hist_pos > 0 {
                    self.hist_pos -= 1;
                    vec![Effect::OpenTask(self.history[self.hist_pos])]
                } else {
                    self.info("this is the first task you opened");
                    Vec::new()
                }
            }
            Action::FocusNext | Action::FocusPrev => {
                let t = self.task.as_mut().expect("task");
                let n = t.focusables.len().max(1);
                t.focus = if a == Action::FocusNext {
                    (t.focus + 1) % n
                } else {
                    (t.focus + n - 1) % n
                };
                t.anchor = None;
                Vec::new()
            }
            Action::NextRegion | Action::PrevRegion => {
                self.cycle_region(a == Action::NextRegion);
                Vec::new()
            }
            Action::DeleteRegion => self.delete_selected(),
            Action::DeleteAllRegions => {
                let t = self.task.as_ref().expect("task");
                let ids: Vec<String> = t
                    .result
                    .iter()
                    .filter(|r| res::is_region(&t.config, r))
                    .filter_map(|r| res::id_of(r).map(str::to_string))
                    .collect();
                self.edit(|_, r| {
                    for id in &ids {
                        res::delete_region(r, id);
                    }
                    true
                })
            }
            Action::Cancel => {
                let t = self.task.as_mut().expect("task");
                if t.anchor.is_some() {
                    t.anchor = None;
                } else if t.selected.is_some() {
                    t.selected = None;
                } else if t.source != ViewSource::Mine {
                    t.source = ViewSource::Mine;
                    self.info("showing your annotation");
                }
                Vec::new()
            }
            Action::AcceptPrediction => self.accept_whole(),
            Action::AcceptRegion => self.accept_region(),
            Action::RejectRegion => self.reject_region(),
            Action::CycleSource => {
                self.cycle_source();
                Vec::new()
            }
            Action::TogglePredictions => {
                let t = self.task.as_mut().expect("task");
                t.show_predictions = !t.show_predictions;
                let on = t.show_predictions;
                self.info(if on {
                    "predictions shown"
                } else {
                    "predictions hidden"
                });
                Vec::new()
            }
            Action::Diff => {
                self.open_diff();
                Vec::new()
            }
            Action::FullImage => self.full_image(),
            Action::PlayMedia => self.play_media(),
            Action::ExternalEditor => self.external_editor(),
            _ => self.focused_action(a),
        }
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

    // ----------------------------------------------------------------- editing

    /// Lead time so far, in seconds.
    pub fn lead_time(&self) -> f64 {
        self.task
            .as_ref()
            .map_or(0.0, |t| t.lead_base + t.opened.elapsed().as_secs_f64())
    }

    /// Applies a change to my result; when it changed anything, records undo and saves
    /// the draft.
    fn edit(&mut self, f: impl FnOnce(&LabelConfig, &mut Vec<Value>) -> bool) -> Vec<Effect> {
        let lead = self.lead_time();
        let Some(t) = &mut self.task else {
            return Vec::new();
        };
        if t.source != ViewSource::Mine {
            self.warn(strings::read_only(&self.keymap));
            return Vec::new();
        }
        let before = t.result.clone();
        if !f(&t.config, &mut t.result) || t.result == before {
            return Vec::new();
        }
        t.undo.push(before);
        if t.undo.len() > 200 {
            t.undo.remove(0);
        }
        t.redo.clear();
        if let Some(sel) = &t.selected
            && !t.result.iter().any(|r| res::id_of(r) == Some(sel))
        {
            t.selected = None;
        }
        vec![self.draft_effect(lead)]
    }

    fn draft_effect(&self, lead: f64) -> Effect {
        let t = self.task.as_ref().expect("task");
        Effect::SaveDraft {
            task_id: t.full.task.id,
            annotation_id: t.annotation_id,
            result: serde_json::to_string(&t.result).expect("JSON serialises"),
            lead_time: lead,
        }
    }

    /// The store wrote the draft.
    fn draft_saved(&mut self, ok: Result<(), String>) {
        self.save = match ok {
            Ok(()) => SaveState::DraftSaved,
            Err(e) => SaveState::Failed(e),
        };
    }

    fn undo(&mut self, undo: bool) -> Vec<Effect> {
        let lead = self.lead_time();
        let t = self.task.as_mut().expect("task");
        let (from, to) = if undo {
            (&mut t.undo, &mut t.redo)
        } else {
            (&mut t.redo, &mut t.undo)
        };
        let Some(prev) = from.pop() else {
            self.info(if undo {
                "nothing to undo"
            } else {
                "nothing to redo"
            });
            return Vec::new();
        };
        to.push(std::mem::replace(&mut t.result, prev));
        if let Some(sel) = &t.selected
            && !t.result.iter().any(|r| res::id_of(r) == Some(sel))
        {
            t.selected = None;
        }
        vec![self.draft_effect(lead)]
    }

    /// Required controls without a value: their messages.
    pub fn missing_required(&self) -> Vec<String> {
        let Some(t) = &self.task else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for c in t.config.controls.iter().filter(|c| c.required) {
            let msg = || {
                c.required_message
                    .clone()
                    .unwrap_or_else(|| format!("{} ({}) is required", c.name, c.tag))
            };
            if c.per_region {
                let regions: Vec<&Value> = t
                    .result
                    .iter()
                    .filter(|r| res::is_region(&t.config, r))
                    .filter(|r| c.to_name.iter().any(|n| n == res::to_name(r)))
                    .collect();
                let missing = regions.iter().any(|r| {
                    let id = res::id_of(r);
                    !t.result
                        .iter()
                        .any(|x| res::from_name(x) == c.name && res::id_of(x) == id)
                });
                if missing {
                    out.push(msg());
                }
            } else if !t.result.iter().any(|r| {
                res::from_name(r) == c.name
                    && c.value_key().is_none_or(|k| match r["value"].get(k) {
                        Some(Value::Array(a)) => !a.is_empty(),
                        Some(Value::Null) | None => false,
                        Some(Value::String(s)) => !s.is_empty(),
                        _ => true,
                    })
            }) {
                out.push(msg());
            }
        }
        out
    }

    fn submit(&mut self, kind: SubmitKind) -> Vec<Effect> {
        if kind == SubmitKind::Submit {
            let missing = self.missing_required();
            if !missing.is_empty() {
                self.message = Some((
                    Level::Error,
                    format!("Cannot submit: {}", missing.join("; ")),
                ));
                return Vec::new();
            }
        }
        let lead = self.lead_time();
        let t = self.task.as_ref().expect("task");
        if kind == SubmitKind::Skip && !t.full.task.allow_skip {
            self.warn("this task does not allow skipping");
            return Vec::new();
        }
        vec![Effect::Save {
            task_id: t.full.task.id,
            result: serde_json::to_string(&t.result).expect("JSON serialises"),
            lead_time: lead,
            kind,
            parent_prediction: t.parent_prediction,
        }]
    }

    /// The store saved the annotation: count it and go on to the next task.
    fn saved(&mut self, kind: SubmitKind, task_id: i64) -> Vec<Effect> {
        let uid = self.user_id;
        let (was_labeled, had_mine, others_done) = self
            .task
            .as_ref()
            .filter(|t| t.full.task.id == task_id)
            .map_or((false, false, false), |t| {
                let anns = &t.full.annotations;
                (
                    t.full.task.is_labeled,
                    anns.iter().any(|a| a.completed_by == Some(uid)),
                    anns.iter()
                        .any(|a| a.completed_by != Some(uid) && !a.was_cancelled),
                )
            });
        let now = kind == SubmitKind::Submit || others_done;
        let labeled_delta = now as i64 - was_labeled as i64;
        let mine_delta = i64::from(!had_mine);
        self.save = SaveState::Submitted;
        self.progress.labeled += labeled_delta;
        self.progress.mine += mine_delta;
        self.message = Some((
            Level::Ok,
            match kind {
                SubmitKind::Submit => format!("task {task_id} submitted"),
                SubmitKind::Skip => format!("task {task_id} skipped"),
            },
        ));
        vec![Effect::NextTask {
            exclude: Some(task_id),
        }]
    }

    // ----------------------------------------------------------------- regions

    /// Results shown in the current source (mine, a prediction, another annotation).
    pub fn shown_result(&self) -> Vec<Value> {
        let Some(t) = &self.task else {
            return Vec::new();
        };
        match t.source {
            ViewSource::Mine => t.result.clone(),
            ViewSource::Prediction(i) => t
                .full
                .predictions
                .get(i)
                .and_then(|p| serde_json::from_str::<Vec<Value>>(&p.result).ok())
                .unwrap_or_default()
                .into_iter()
                .filter(|r| res::id_of(r).is_none_or(|id| !t.rejected.contains(id)))
                .collect(),
            ViewSource::Annotation(i) => self
                .others()
                .get(i)
                .and_then(|a| serde_json::from_str::<Vec<Value>>(&a.result).ok())
                .unwrap_or_default(),
        }
    }

    /// Other users' annotations (read-only).
    pub fn others(&self) -> Vec<&crate::store::AnnotationRow> {
        self.task.as_ref().map_or(Vec::new(), |t| {
            t.full
                .annotations
                .iter()
                .filter(|a| a.completed_by != Some(self.user_id))
                .collect()
        })
    }

    /// Regions (spans, shapes) of the shown result, in order.
    pub fn regions(&self) -> Vec<Value> {
        let Some(t) = &self.task else {
            return Vec::new();
        };
        self.shown_result()
            .into_iter()
            .filter(|r| res::is_region(&t.config, r))
            .collect()
    }

    pub fn selected_region(&self) -> Option<Value> {
        let id = self.task.as_ref()?.selected.clone()?;
        self.regions()
            .into_iter()
            .find(|r| res::id_of(r) == Some(id.as_str()))
    }

    fn cycle_region(&mut self, forward: bool) {
        let regions = self.regions();
        let t = self.task.as_mut().expect("task");
        if regions.is_empty() {
            t.selected = None;
            self.info("no regions");
            return;
        }
        let ids: Vec<String> = regions
            .iter()
            .filter_map(|r| res::id_of(r).map(str::to_string))
            .collect();
        let pos = t
            .selected
            .as_ref()
            .and_then(|s| ids.iter().position(|i| i == s));
        let n = ids.len();
        let next = match (pos, forward) {
            (None, true) => 0,
            (None, false) => n - 1,
            (Some(p), true) => (p + 1) % n,
            (Some(p), false) => (p + n - 1) % n,
        };
        t.selected = Some(ids[next].clone());
        t.anchor = None;
        // Focus the region's object so its keys apply.
        if let Some(r) = regions
            .iter()
            .find(|r| res::id_of(r) == Some(ids[next].as_str()))
            && let Some(oi) = t
                .config
                .objects
                .iter()
                .position(|o| o.name == res::to_name(r))
            && let Some(fi) = t.focusables.iter().position(|f| *f == Focus::Object(oi))
        {
            t.focus = fi;
        }
    }

    fn delete_selected(&mut self) -> Vec<Effect> {
        let t = self.task.as_ref().expect("task");
        if t.source != ViewSource::Mine {
            return self.reject_region();
        }
        let Some(id) = t.selected.clone() else {
            self.info("no region selected (Tab selects one)");
            return Vec::new();
        };
        let e = self.edit(|_, r| {
            res::delete_region(r, &id);
            true
        });
        if let Some(t) = &mut self.task {
            t.selected = None;
        }
        e
    }

    fn cycle_source(&mut self) {
        let others = self.others().len();
        let t = self.task.as_mut().expect("task");
        let preds = t.full.predictions.len();
        let order: Vec<ViewSource> = std::iter::once(ViewSource::Mine)
            .chain((0..preds).map(ViewSource::Prediction))
            .chain((0..others).map(ViewSource::Annotation))
            .collect();
        let pos = order.iter().position(|s| *s == t.source).unwrap_or(0);
        t.source = order[(pos + 1) % order.len()];
        t.selected = None;
        t.anchor = None;
        let msg = match t.source {
            ViewSource::Mine => "showing your annotation".to_string(),
            ViewSource::Prediction(i) => {
                let p = &t.full.predictions[i];
                format!(
                    "prediction {}/{preds}: {} (score {}); {}",
                    i + 1,
                    crate::util::sanitize(&p.model_version, false),
                    p.score.map_or("-".into(), |s| format!("{s:.2}")),
                    strings::prediction_shown(&self.keymap)
                )
            }
            ViewSource::Annotation(i) => format!(
                "annotation of another annotator ({}/{others}), read-only; A copies it",
                i + 1
            ),
        };
        self.info(msg);
    }

    fn accept_whole(&mut self) -> Vec<Effect> {
        let t = self.task.as_ref().expect("task");
        let (regions, parent) = match t.source {
            ViewSource::Mine => match t.full.predictions.first() {
                Some(p) => (
                    serde_json::from_str::<Vec<Value>>(&p.result)
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|r| res::id_of(r).is_none_or(|id| !t.rejected.contains(id)))
                        .collect::<Vec<_>>(),
                    Some(p.id),
                ),
                None => {
                    self.info("this task has no predictions");
                    return Vec::new();
                }
            },
            ViewSource::Prediction(i) => {
                (self.shown_result(), t.full.predictions.get(i).map(|p| p.id))
            }
            ViewSource::Annotation(_) => (self.shown_result(), None),
        };
        let regions: Vec<Value> = regions
            .into_iter()
            .map(|mut r| {
                if parent.is_some() {
                    r["origin"] = json!("prediction");
                }
                if r.get("id").is_none() {
                    r["id"] = json!(res::new_id());
                }
                if let Some(m) = r.as_object_mut() {
                    m.remove("score");
                    m.remove("readonly");
                }
                r
            })
            .collect();
        if let Some(t) = &mut self.task {
            t.source = ViewSource::Mine;
            t.selected = None;
            if parent.is_some() {
                t.parent_prediction = parent;
            }
        }
        let n = regions.len();
        let e = self.edit(move |_, r| {
            *r = regions;
            true
        });
        self.info(format!("accepted {n} result(s) as your annotation"));
        e
    }

    /// The prediction region a key acts on: the selected one when a prediction is shown,
    /// else none.
    fn selected_prediction_region(&self) -> Option<Value> {
        let t = self.task.as_ref()?;
        if matches!(t.source, ViewSource::Mine) {
            return None;
        }
        self.selected_region()
    }

    fn accept_region(&mut self) -> Vec<Effect> {
        let Some(region) = self.selected_prediction_region() else {
            self.info(strings::how_to_region(
                &self.keymap,
                Action::AcceptRegion,
                "accepts",
            ));
            return Vec::new();
        };
        let t = self.task.as_ref().expect("task");
        let id = res::id_of(&region).unwrap_or_default().to_string();
        let all: Vec<Value> = self
            .shown_result()
            .into_iter()
            .filter(|r| res::id_of(r) == Some(id.as_str()))
            .map(|mut r| {
                r["origin"] = json!("prediction");
                if let Some(m) = r.as_object_mut() {
                    m.remove("score");
                }
                r
            })
            .collect();
        let already = t.result.iter().any(|r| res::id_of(r) == Some(id.as_str()));
        let source = t.source;
        if let Some(t) = &mut self.task {
            t.source = ViewSource::Mine;
        }
        if already {
            self.info("that region is already in your annotation");
            if let Some(t) = &mut self.task {
                t.source = source;
            }
            return Vec::new();
        }
        let e = self.edit(move |_, r| {
            r.extend(all);
            true
        });
        if let Some(t) = &mut self.task {
            t.source = source;
        }
        self.info("region accepted into your annotation");
        e
    }

    fn reject_region(&mut self) -> Vec<Effect> {
        let Some(region) = self.selected_prediction_region() else {
            self.info(strings::how_to_region(
                &self.keymap,
                Action::RejectRegion,
                "rejects",
            ));
            return Vec::new();
        };
        let id = res::id_of(&region).unwrap_or_default().to_string();
        let t = self.task.as_mut().expect("task");
        t.rejected.insert(id.clone());
        t.selected = None;
        let in_mine = t.result.iter().any(|r| res::id_of(r) == Some(id.as_str()));
        let source = t.source;
        let mut e = Vec::new();
        if in_mine {
            t.source = ViewSource::Mine;
            e = self.edit(|_, r| {
                res::delete_region(r, &id);
                true
            });
            if let Some(t) = &mut self.task {
                t.source = source;
            }
        }
        self.info("prediction region rejected");
        e
    }

    /// Lines of where my annotation and the shown (or first) prediction differ.
    pub fn diff_lines(&self) -> Vec<(char, String)> {
        let Some(t) = &self.task else {
            return Vec::new();
        };
        let pi = match t.source {
            ViewSource::Prediction(i) => i,
            _ => 0,
        };
        let Some(p) = t.full.predictions.get(pi) else {
            return vec![(' ', "this task has no predictions".into())];
        };
        let pred: Vec<Value> = serde_json::from_str(&p.result).unwrap_or_default();
        let mut lines = vec![(
            ' ',
            format!(
                "annotation ({}) vs prediction {} (score {})",
                self.user,
                crate::util::sanitize(&p.model_version, false),
                p.score.map_or("-".into(), |s| format!("{s:.2}"))
            ),
        )];
        let describe = |r: &Value| describe_result(&t.config, r, t.contents.get(res::to_name(r)));
        let mut used = vec![false; pred.len()];
        for a in &t.result {
            let same = pred.iter().enumerate().position(|(i, p)| {
                !used[i] && res::from_name(p) == res::from_name(a) && same_place(a, p)
            });
            match same {
                Some(i) => {
                    used[i] = true;
                    let (la, lp) = (res::labels_of(a), res::labels_of(&pred[i]));
                    if la == lp && a["value"].get("text") == pred[i]["value"].get("text") {
                        lines.push(('=', describe(a)));
                    } else {
                        lines.push((
                            '~',
                            format!("{}  (prediction: {})", describe(a), describe(&pred[i])),
                        ));
                    }
                }
                None => lines.push(('+', format!("{}  (only in the annotation)", describe(a)))),
            }
        }
        for (i, p) in pred.iter().enumerate() {
            if !used[i] {
                lines.push(('-', format!("{}  (only in the prediction)", describe(p))));
            }
        }
        let changed = lines.iter().filter(|(c, _)| *c != '=' && *c != ' ').count();
        lines.insert(1, (' ', format!("{changed} difference(s)")));
        lines
    }

    fn open_diff(&mut self) {
        self.popup = Some(Popup::Diff(Diff {
            lines: self.diff_lines(),
            scroll: 0,
        }));
    }

    fn full_image(&mut self) -> Vec<Effect> {
        let Some(t) = &self.task else {
            return Vec::new();
        };
        let img = t
            .focusables
            .get(t.focus)
            .and_then(|f| match f {
                Focus::Object(i) if t.config.objects[*i].kind == ObjectKind::Image => Some(*i),
                _ => None,
            })
            .or_else(|| {
                t.config
                    .objects
                    .iter()
                    .position(|o| o.kind == ObjectKind::Image)
            });
        let Some(oi) = img else {
            self.info("this task has no image");
            return Vec::new();
        };
        let name = t.config.objects[oi].name.clone();
        match t.contents.get(&name) {
            Some(Content::Image { source: Ok(s), .. }) => vec![Effect::FullImage {
                source: s.clone(),
                regions: self
                    .regions()
                    .into_iter()
                    .filter(|r| res::to_name(r) == name)
                    .collect(),
            }],
            Some(Content::Image { source: Err(e), .. }) => {
                let e = e.clone();
                self.warn(format!("image not available: {e}"));
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn play_media(&mut self) -> Vec<Effect> {
        let Some(t) = &self.task else {
            return Vec::new();
        };
        let media = t
            .config
            .objects
            .iter()
            .find_map(|o| match t.contents.get(&o.name) {
                Some(Content::Media { source: Ok(s), .. }) => Some(s.clone()),
                _ => None,
            });
        match media {
            Some(Source::Path(p)) => vec![Effect::Play(p.display().to_string())],
            Some(Source::Url(u)) => vec![Effect::Play(u)],
            _ => {
                self.info("no playable audio or video in this task");
                Vec::new()
            }
        }
    }

    fn external_editor(&mut self) -> Vec<Effect> {
        let Some(ctrl) = self.focused_control() else {
            self.info(strings::focus_textarea(&self.keymap));
            return Vec::new();
        };
        if ctrl.kind != ControlKind::TextArea {
            self.info(strings::edits_textarea(&self.keymap));
            return Vec::new();
        }
        let t = self.task.as_ref().expect("task");
        let region = self.per_region_target(&ctrl);
        let entries = res::current_list(&t.result, &ctrl, region.as_ref().and_then(res::id_of));
        let cur = t.opt_cursor.get(&ctrl.name).copied().unwrap_or(0);
        let entry = (cur < entries.len()).then_some(cur);
        let text = entry.map(|i| as_text(&entries[i])).unwrap_or_default();
        vec![Effect::ExternalEditor {
            control: ctrl.name.clone(),
            entry,
            text,
        }]
    }

    /// Text came back from `$EDITOR`.
    fn external_text(&mut self, control: &str, entry: Option<usize>, text: String) -> Vec<Effect> {
        let text = text.trim_end_matches('\n').to_string();
        self.set_textarea_entry(control, entry, text)
    }

    // ----------------------------------------------------------------- focus & panels

    pub fn focused_control(&self) -> Option<ControlTag> {
        let t = self.task.as_ref()?;
        match t.focusables.get(t.focus)? {
            Focus::Control(i) => t.config.controls.get(*i).cloned(),
            _ => None,
        }
    }

    fn focused_object(&self) -> Option<crate::config::ObjectTag> {
        let t = self.task.as_ref()?;
        match t.focusables.get(t.focus)? {
            Focus::Object(i) => t.config.objects.get(*i).cloned(),
            _ => None,
        }
    }

    /// For a perRegion control: the selected region it attaches to.
    fn per_region_target(&self, ctrl: &ControlTag) -> Option<Value> {
        if !ctrl.per_region {
            return None;
        }
        let t = self.task.as_ref()?;
        let id = t.selected.as_ref()?;
        t.result
            .iter()
            .find(|r| res::id_of(r) == Some(id.as_str()) && res::is_region(&t.config, r))
            .cloned()
    }

    /// Whether `ctrl` can be applied with `region` (from [`Self::per_region_target`]): a
    /// perRegion control needs a selected region, and says so when there is none.
    fn region_ready(&mut self, ctrl: &ControlTag, region: &Option<Value>) -> bool {
        if ctrl.per_region && region.is_none() {
            self.info(format!(
                "{} is per region: select a region first (Tab)",
                ctrl.name
            ));
            return false;
        }
        true
    }

    fn focused_action(&mut self, a: Action) -> Vec<Effect> {
        if let Some(obj) = self.focused_object() {
            return match obj.kind {
                ObjectKind::Image => self.image_action(&obj, a),
                ObjectKind::Text | ObjectKind::HyperText | ObjectKind::Paragraphs => {
                    self.text_action(&obj, a);
                    Vec::new()
                }
                _ => Vec::new(),
            };
        }
        if let Some(ctrl) = self.focused_control() {
            return self.panel_action(&ctrl, a);
        }
        Vec::new()
    }

    fn doc(&self, obj: &str) -> Option<Arc<SpanDoc>> {
        match self.task.as_ref()?.contents.get(obj)? {
            Content::Doc(d) => Some(d.clone()),
            _ => None,
        }
    }

    fn text_action(&mut self, obj: &crate::config::ObjectTag, a: Action) {
        let Some(doc) = self.doc(&obj.name) else {
            return;
        };
        let t = self.task.as_mut().expect("task");
        let cur = *t.text_cursor.get(&obj.name).unwrap_or(&0);
        let width = t
            .layout
            .image_geom
            .get(&format!("text:{}", obj.name))
            .map_or(60, |g| g.cols);
        let lines = doc.layout(width);
        let line_of = |i: usize| lines.iter().rposition(|(s, _)| *s <= i).unwrap_or(0);
        let col_in = |l: usize, i: usize| i.saturating_sub(lines[l].0);
        let at = |l: usize, col: usize| {
            let (s, e) = lines[l];
            let i = (s + col).min(e.saturating_sub(1).max(s));
            doc.grapheme_at(i.min(doc.len().saturating_sub(1))).0
        };
        let next = match a {
            Action::Left => doc.prev(cur),
            Action::Right => doc.next(cur),
            Action::WordNext => doc.word_next(cur),
            Action::WordPrev => doc.word_prev(cur),
            Action::Up | Action::PageUp => {
                let l = line_of(cur);
                let step = if a == Action::Up { 1 } else { 10 };
                at(l.saturating_sub(step), col_in(l, cur))
            }
            Action::Down | Action::PageDown => {
                let l = line_of(cur);
                let step = if a == Action::Down { 1 } else { 10 };
                at((l + step).min(lines.len() - 1), col_in(l, cur))
            }
            Action::LineStart => lines[line_of(cur)].0,
            Action::LineEnd => {
                let (s, e) = lines[line_of(cur)];
                if e > s { doc.grapheme_at(e - 1).0 } else { s }
            }
            Action::Select => {
                t.anchor = match &t.anchor {
                    Some((o, _)) if *o == obj.name => None,
                    _ => Some((obj.name.clone(), cur)),
                };
                cur
            }
            _ => cur,
        };
        // Display-only characters (speaker names, added line breaks) are skipped over.
        let mut next = next.min(doc.last());
        if doc.map.get(next).is_some_and(Option::is_none) {
            let back = matches!(a, Action::Left | Action::WordPrev);
            let found = if back {
                (0..next).rev().find(|i| doc.map[*i].is_some())
            } else {
                (next..doc.len()).find(|i| doc.map[*i].is_some())
            };
            if let Some(i) = found {
                next = doc.grapheme_at(i).0;
            }
        }
        t.text_cursor.insert(obj.name.clone(), next);
    }

    /// The display range a label key would turn into a span on this object: the
    /// selection, else the word under the cursor.
    pub fn pending_span(&self, obj: &str) -> Option<(usize, usize)> {
        let t = self.task.as_ref()?;
        let doc = self.doc(obj)?;
        if doc.is_empty() {
            return None;
        }
        let cur = *t.text_cursor.get(obj).unwrap_or(&0);
        match &t.anchor {
            Some((o, a)) if o == obj => {
                let (s, e) = ((*a).min(cur), (*a).max(cur));
                Some((doc.grapheme_at(s).0, doc.grapheme_at(e).1))
            }
            _ => Some(doc.word_at(cur)),
        }
    }

    /// A label key (or Enter on a label in its panel).
    fn apply_label(&mut self, ci: usize, li: usize) -> Vec<Effect> {
        let t = self.task.as_ref().expect("task");
        let ctrl = t.config.controls[ci].clone();
        let label = ctrl.labels[li].clone();
        match ctrl.kind {
            ControlKind::Choices => {
                let region = self.per_region_target(&ctrl);
                if !self.region_ready(&ctrl, &region) {
                    return Vec::new();
                }
                let key = label.key.clone();
                self.edit(move |_, r| {
                    let rid = region.as_ref().and_then(res::id_of).map(str::to_string);
                    let cur = res::current_list(r, &ctrl, rid.as_deref());
                    let next = res::toggle_choice(&cur, ctrl.choice, &key);
                    res::set_classification(
                        r,
                        &ctrl,
                        region.as_ref(),
                        (!next.is_empty()).then(|| Value::Array(next)),
                    );
                    true
                })
            }
            k if is_labels_control(k) || k == ControlKind::Labels => {
                self.label_region(&ctrl, &label.key)
            }
            _ => Vec::new(),
        }
    }

    fn label_region(&mut self, ctrl: &ControlTag, key: &str) -> Vec<Effect> {
        let t = self.task.as_mut().expect("task");
        t.last_label.insert(ctrl.name.clone(), key.to_string());
        // A pending text selection on a target of this control makes a new span.
        let focused = match t.focusables.get(t.focus) {
            Some(Focus::Object(i)) => Some(t.config.objects[*i].clone()),
            _ => None,
        };
        let anchored = t.anchor.as_ref().map(|(o, _)| o.clone());
        let target = anchored
            .clone()
            .or_else(|| focused.as_ref().map(|o| o.name.clone()))
            .filter(|o| ctrl.to_name.iter().any(|n| n == o));
        let selected = t.selected.clone();
        // With no selection pending, a selected region of this control is relabelled.
        if anchored.is_none()
            && let Some(id) = selected.clone()
            && t.result
                .iter()
                .any(|r| res::id_of(r) == Some(id.as_str()) && res::from_name(r) == ctrl.name)
        {
            let ctrl = ctrl.clone();
            let key = key.to_string();
            return self.edit(move |_, r| res::relabel(r, &id, &ctrl, &key));
        }
        let Some(obj_name) = target else {
            let names = ctrl.to_name.join(", ");
            self.info(strings::focus_span(key, &names, &self.keymap));
            return Vec::new();
        };
        let Some(obj) = t.config.object(&obj_name).cloned() else {
            return Vec::new();
        };
        match obj.kind {
            ObjectKind::Text | ObjectKind::HyperText | ObjectKind::Paragraphs => {
                let Some((a, b)) = self.pending_span(&obj_name) else {
                    return Vec::new();
                };
                let Some(doc) = self.doc(&obj_name) else {
                    return Vec::new();
                };
                let Some(mut value) = doc.span_value(a, b) else {
                    self.info("nothing to label there");
                    return Vec::new();
                };
                let vk = ctrl.value_key().unwrap_or("labels").to_string();
                value.insert(vk, json!([key]));
                let region = res::region(ctrl, &obj_name, None, value);
                let id = res::id_of(&region).map(str::to_string);
                let e = self.edit(move |_, r| {
                    r.push(region);
                    true
                });
                if let Some(t) = &mut self.task {
                    t.anchor = None;
                    t.selected = id;
                }
                e
            }
            ObjectKind::Image => {
                self.info(format!(
                    "label {key}: r draws a new box with it, or Tab to a box to relabel"
                ));
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn image_geom(&self, obj: &str) -> ImageGeom {
        self.task
            .as_ref()
            .and_then(|t| t.layout.image_geom.get(obj).copied())
            .unwrap_or(ImageGeom {
                width_px: 100,
                height_px: 100,
                cols: 100,
                rows: 50,
            })
    }

    fn image_action(&mut self, obj: &crate::config::ObjectTag, a: Action) -> Vec<Effect> {
        let t = self.task.as_ref().expect("task");
        let rect_ctrl = t
            .config
            .controls
            .iter()
            .find(|c| {
                matches!(
                    c.kind,
                    ControlKind::RectangleLabels | ControlKind::Rectangle
                ) && c.to_name.contains(&obj.name)
            })
            .cloned();
        if a == Action::NewRect {
            let Some(ctrl) = rect_ctrl else {
                self.info("no RectangleLabels/Rectangle control targets this image");
                return Vec::new();
            };
            let label = t
                .last_label
                .get(&ctrl.name)
                .cloned()
                .or_else(|| ctrl.labels.first().map(|l| l.key.clone()));
            let mut value = Map::new();
            value.insert("x".into(), json!(40.0));
            value.insert("y".into(), json!(40.0));
            value.insert("width".into(), json!(20.0));
            value.insert("height".into(), json!(20.0));
            value.insert("rotation".into(), json!(0));
            if let (Some(k), Some(l)) = (ctrl.value_key(), &label) {
                value.insert(k.to_string(), json!([l]));
            }
            let mut region = res::region(&ctrl, &obj.name, None, value);
            if let Some(Content::Image {
                raster: Some(r), ..
            }) = t.contents.get(&obj.name)
            {
                region["original_width"] = json!(r.orig_width);
                region["original_height"] = json!(r.orig_height);
                region["image_rotation"] = json!(0);
            }
            let id = res::id_of(&region).map(str::to_string);
            let e = self.edit(move |_, r| {
                r.push(region);
                true
            });
            if let Some(t) = &mut self.task {
                t.selected = id;
            }
            self.info(format!(
                "new box{}: hjkl move, HJKL resize, a label key relabels",
                label.map(|l| format!(" ({l})")).unwrap_or_default()
            ));
            return e;
        }
        let Some(id) = t.selected.clone() else {
            if matches!(a, Action::Left | Action::Right | Action::Up | Action::Down) {
                self.info("Tab selects a box, r draws a new one");
            }
            return Vec::new();
        };
        let g = self.image_geom(&obj.name);
        let dx = 100.0 / g.width_px.max(1) as f64;
        let dy = 200.0 / g.height_px.max(1) as f64;
        let (mx, my, mw, mh) = match a {
            Action::Left => (-dx, 0.0, 0.0, 0.0),
            Action::Right => (dx, 0.0, 0.0, 0.0),
            Action::Up => (0.0, -dy, 0.0, 0.0),
            Action::Down => (0.0, dy, 0.0, 0.0),
            Action::GrowWidth => (0.0, 0.0, dx, 0.0),
            Action::ShrinkWidth => (0.0, 0.0, -dx, 0.0),
            Action::GrowHeight => (0.0, 0.0, 0.0, dy),
            Action::ShrinkHeight => (0.0, 0.0, 0.0, -dy),
            _ => return Vec::new(),
        };
        self.edit(move |_, result| {
            let mut changed = false;
            for r in result
                .iter_mut()
                .filter(|r| res::id_of(r) == Some(id.as_str()))
            {
                let v = &mut r["value"];
                let (Some(x), Some(y), Some(w), Some(h)) = (
                    v.get("x").and_then(num),
                    v.get("y").and_then(num),
                    v.get("width").and_then(num),
                    v.get("height").and_then(num),
                ) else {
                    continue;
                };
                let w2 = (w + mw).clamp(dx.min(100.0), 100.0);
                let h2 = (h + mh).clamp(dy.min(100.0), 100.0);
                let x2 = (x + mx).clamp(0.0, 100.0 - w2);
                let y2 = (y + my).clamp(0.0, 100.0 - h2);
                let round = |f: f64| (f * 10000.0).round() / 10000.0;
                v["x"] = json!(round(x2));
                v["y"] = json!(round(y2));
                v["width"] = json!(round(w2));
                v["height"] = json!(round(h2));
                if r.get("origin").and_then(Value::as_str) == Some("prediction") {
                    r["origin"] = json!("prediction-changed");
                }
                changed = true;
            }
            changed
        })
    }

    fn panel_action(&mut self, ctrl: &ControlTag, a: Action) -> Vec<Effect> {
        let region = self.per_region_target(ctrl);
        let t = self.task.as_mut().expect("task");
        let cur = *t.opt_cursor.get(&ctrl.name).unwrap_or(&0);
        let rid = region.as_ref().and_then(res::id_of).map(str::to_string);
        let entries = res::current_list(&t.result, ctrl, rid.as_deref());
        let n_opts = match ctrl.kind {
            ControlKind::TextArea => {
                let max = ctrl.max_submissions.unwrap_or(usize::MAX);
                entries.len() + usize::from(entries.len() < max)
            }
            ControlKind::Taxonomy => 1,
            _ => ctrl.labels.len(),
        };
        match a {
            Action::Up => {
                t.opt_cursor
                    .insert(ctrl.name.clone(), cur.saturating_sub(1));
                return Vec::new();
            }
            Action::Down => {
                t.opt_cursor
                    .insert(ctrl.name.clone(), (cur + 1).min(n_opts.saturating_sub(1)));
                return Vec::new();
            }
            _ => {}
        }
        if !is_labels_control(ctrl.kind) && !self.region_ready(ctrl, &region) {
            return Vec::new();
        }
        let t = self.task.as_ref().expect("task");
        match (ctrl.kind, a) {
            (ControlKind::Choices, Action::Toggle | Action::Activate)
                if cur < ctrl.labels.len() =>
            {
                let ci = t.config.controls.iter().position(|c| c.name == ctrl.name);
                match ci {
                    Some(ci) => self.apply_label(ci, cur),
                    None => Vec::new(),
                }
            }
            (k, Action::Toggle | Action::Activate)
                if is_labels_control(k) && cur < ctrl.labels.len() =>
            {
                let key = ctrl.labels[cur].key.clone();
                self.label_region(ctrl, &key)
            }
            (ControlKind::Rating, Action::Left | Action::Right | Action::Clear) => {
                let now = entries.first().and_then(num).unwrap_or(0.0) as i64;
                let next = match a {
                    Action::Left => now - 1,
                    Action::Right => now + 1,
                    _ => 0,
                }
                .clamp(0, ctrl.max_rating as i64);
                let c = ctrl.clone();
                self.edit(move |_, r| {
                    res::set_classification(
                        r,
                        &c,
                        region.as_ref(),
                        (next > 0).then(|| json!(next)),
                    );
                    true
                })
            }
            (ControlKind::Number, Action::Left | Action::Right | Action::Clear) => {
                let step = ctrl.step.unwrap_or(1.0);
                let now = entries.first().and_then(num);
                let next = match (a, now) {
                    (Action::Clear, _) => None,
                    (Action::Left, Some(n)) => Some(n - step),
                    (Action::Right, Some(n)) => Some(n + step),
                    (_, None) => Some(ctrl.min.unwrap_or(0.0)),
                    _ => now,
                }
                .map(|n| n.clamp(ctrl.min.unwrap_or(f64::MIN), ctrl.max.unwrap_or(f64::MAX)));
                let c = ctrl.clone();
                self.edit(move |_, r| {
                    res::set_classification(r, &c, region.as_ref(), next.map(number_json));
                    true
                })
            }
            (ControlKind::Number, Action::Activate) => {
                let now = entries.first().map(as_text).unwrap_or_default();
                self.start_editor(EditTarget::Number(ctrl.name.clone()), now);
                Vec::new()
            }
            (ControlKind::DateTime, Action::Activate) => {
                let now = entries.first().map(as_text).unwrap_or_default();
                self.start_editor(EditTarget::DateTime(ctrl.name.clone()), now);
                Vec::new()
            }
            (ControlKind::DateTime, Action::Clear) => {
                let c = ctrl.clone();
                self.edit(move |_, r| {
                    res::set_classification(r, &c, region.as_ref(), None);
                    true
                })
            }
            (ControlKind::TextArea, Action::Activate | Action::Toggle) => {
                let entry = (cur < entries.len()).then_some(cur);
                let editable = ctrl.attr("editable").is_none_or(|v| v != "false");
                if entry.is_some() && !editable {
                    self.info("this TextArea is not editable; Backspace removes the entry");
                    return Vec::new();
                }
                let text = entry.map(|i| as_text(&entries[i])).unwrap_or_default();
                self.start_editor(
                    EditTarget::TextArea {
                        control: ctrl.name.clone(),
                        entry,
                    },
                    text,
                );
                Vec::new()
            }
            (ControlKind::TextArea, Action::Clear) if cur < entries.len() => {
                let c = ctrl.clone();
                let mut next = entries.clone();
                next.remove(cur);
                self.edit(move |_, r| {
                    res::set_classification(
                        r,
                        &c,
                        region.as_ref(),
                        (!next.is_empty()).then(|| Value::Array(next)),
                    );
                    true
                })
            }
            (ControlKind::Taxonomy, Action::Activate | Action::Toggle) => {
                self.popup = Some(Popup::Picker(Picker::new(ctrl.name.clone())));
                Vec::new()
            }
            (ControlKind::Taxonomy, Action::Clear) => {
                let c = ctrl.clone();
                self.edit(move |_, r| {
                    res::set_classification(r, &c, region.as_ref(), None);
                    true
                })
            }
            (ControlKind::Choices, Action::Clear) => {
                let c = ctrl.clone();
                self.edit(move |_, r| {
                    res::set_classification(r, &c, region.as_ref(), None);
                    true
                })
            }
            _ => Vec::new(),
        }
    }

    // ----------------------------------------------------------------- taxonomy picker

    /// Rows of the picker: (path key, depth, label index, has children).
    /// The picker chose a label of a taxonomy: toggle it in the result.
    fn pick_taxonomy(&mut self, ctrl: ControlTag, li: usize, has_children: bool) -> Vec<Effect> {
        if ctrl.leafs_only && has_children {
            self.info("only leaves can be chosen here (leafsOnly)");
            return Vec::new();
        }
        let path: Vec<Value> = ctrl.labels[li].path.iter().map(|s| json!(s)).collect();
        let region = self.per_region_target(&ctrl);
        self.edit(move |_, r| {
            let rid = region.as_ref().and_then(res::id_of).map(str::to_string);
            let mut cur = res::current_list(r, &ctrl, rid.as_deref());
            let path = Value::Array(path);
            if let Some(i) = cur.iter().position(|v| *v == path) {
                cur.remove(i);
            } else if ctrl.choice == ChoiceMode::Multiple || ctrl.attr("maxUsages").is_none() {
                cur.push(path);
            } else {
                cur = vec![path];
            }
            res::set_classification(
                r,
                &ctrl,
                region.as_ref(),
                (!cur.is_empty()).then(|| Value::Array(cur)),
            );
            true
        })
    }

    // ----------------------------------------------------------------- inline editor

    fn start_editor(&mut self, target: EditTarget, text: String) {
        self.editor = Some(Editor::new(target, text));
    }

    fn editor_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
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

    fn commit_editor(&mut self, ed: Editor) -> Vec<Effect> {
        let text = ed.text();
        match ed.target {
            EditTarget::Jump => match text.trim().trim_start_matches('#').parse::<i64>() {
                Ok(id) => {
                    if self.screen == Screen::List {
                        vec![self.list.jump(id)]
                    } else {
                        vec![Effect::OpenTask(id)]
                    }
                }
                Err(_) => {
                    self.warn(format!(
                        "not a task id: {:?}",
                        crate::util::sanitize(&text, false)
                    ));
                    Vec::new()
                }
            },
            EditTarget::TextArea { control, entry } => {
                self.set_textarea_entry(&control, entry, text)
            }
            EditTarget::Number(control) => {
                let Some(ctrl) = self
                    .task
                    .as_ref()
                    .and_then(|t| t.config.control(&control).cloned())
                else {
                    return Vec::new();
                };
                let t = text.trim();
                if t.is_empty() {
                    let region = self.per_region_target(&ctrl);
                    return self.edit(move |_, r| {
                        res::set_classification(r, &ctrl, region.as_ref(), None);
                        true
                    });
                }
                let Ok(n) = t.parse::<f64>() else {
                    self.warn(format!("{control}: {t:?} is not a number"));
                    return Vec::new();
                };
                if ctrl.min.is_some_and(|m| n < m) || ctrl.max.is_some_and(|m| n > m) {
                    self.warn(format!(
                        "{control}: {n} is outside {}..{}",
                        ctrl.min.map_or("".into(), |m| m.to_string()),
                        ctrl.max.map_or("".into(), |m| m.to_string())
                    ));
                    return Vec::new();
                }
                let region = self.per_region_target(&ctrl);
                self.edit(move |_, r| {
                    res::set_classification(r, &ctrl, region.as_ref(), Some(number_json(n)));
                    true
                })
            }
            EditTarget::DateTime(control) => {
                let Some(ctrl) = self
                    .task
                    .as_ref()
                    .and_then(|t| t.config.control(&control).cloned())
                else {
                    return Vec::new();
                };
                let t = text.trim().to_string();
                if t.is_empty() {
                    let region = self.per_region_target(&ctrl);
                    return self.edit(move |_, r| {
                        res::set_classification(r, &ctrl, region.as_ref(), None);
                        true
                    });
                }
                let only = ctrl.attr("only").unwrap_or("");
                if let Err(e) = check_datetime(&t, only) {
                    self.warn(format!("{control}: {e}"));
                    return Vec::new();
                }
                let region = self.per_region_target(&ctrl);
                self.edit(move |_, r| {
                    res::set_classification(r, &ctrl, region.as_ref(), Some(json!(t)));
                    true
                })
            }
        }
    }

    fn set_textarea_entry(
        &mut self,
        control: &str,
        entry: Option<usize>,
        text: String,
    ) -> Vec<Effect> {
        let Some(ctrl) = self
            .task
            .as_ref()
            .and_then(|t| t.config.control(control).cloned())
        else {
            return Vec::new();
        };
        let region = self.per_region_target(&ctrl);
        if !self.region_ready(&ctrl, &region) {
            return Vec::new();
        }
        self.edit(move |_, r| {
            let rid = region.as_ref().and_then(res::id_of).map(str::to_string);
            let mut cur = res::current_list(r, &ctrl, rid.as_deref());
            match entry {
                Some(i) if i < cur.len() => {
                    if text.is_empty() {
                        cur.remove(i);
                    } else {
                        cur[i] = json!(text);
                    }
                }
                _ if text.is_empty() => return false,
                _ => {
                    if ctrl.max_submissions.is_some_and(|m| cur.len() >= m) {
                        return false;
                    }
                    cur.push(json!(text));
                }
            }
            res::set_classification(
                r,
                &ctrl,
                region.as_ref(),
                (!cur.is_empty()).then(|| Value::Array(cur)),
            );
            true
        })
    }
}

/// Integers stay integers in the JSON (`{"number": 2}`), as Label Studio writes them.
fn number_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// Checks a DateTime value against `only` (date, time, month, year; default date and time).
pub fn check_datetime(s: &str, only: &str) -> Result<(), String> {
    let digits = |p: &str, n: usize| p.len() == n && p.chars().all(|c| c.is_ascii_digit());
    let date = |d: &str| -> bool {
        let p: Vec<&str> = d.split('-').collect();
        p.len() == 3
            && digits(p[0], 4)
            && digits(p[1], 2)
            && digits(p[2], 2)
            && (1..=12).contains(&p[1].parse::<u32>().unwrap_or(0))
            && (1..=31).contains(&p[2].parse::<u32>().unwrap_or(0))
    };
    let time = |t: &str| -> bool {
        let p: Vec<&str> = t.split(':').collect();
        (p.len() == 2 || p.len() == 3)
            && p.iter().all(|x| digits(x, 2))
            && p[0].parse::<u32>().unwrap_or(99) < 24
            && p[1].parse::<u32>().unwrap_or(99) < 60
    };
    let ok = match only {
        "date" => date(s),
        "time" => time(s),
        "month" => {
            let p: Vec<&str> = s.split('-').collect();
            p.len() == 2
                && digits(p[0], 4)
                && digits(p[1], 2)
                && (1..=12).contains(&p[1].parse::<u32>().unwrap_or(0))
        }
        "year" => digits(s, 4),
        _ => s
            .split_once('T')
            .or_else(|| s.split_once(' '))
            .is_some_and(|(d, t)| date(d) && time(t)),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a {}",
            match only {
                "date" => "date (YYYY-MM-DD)",
                "time" => "time (HH:MM)",
                "month" => "month (YYYY-MM)",
                "year" => "year (YYYY)",
                _ => "date and time (YYYY-MM-DDTHH:MM)",
            }
        ))
    }
}

/// Whether two results sit on the same place (same span, or boxes overlapping by half).
fn same_place(a: &Value, b: &Value) -> bool {
    let (va, vb) = (&a["value"], &b["value"]);
    if va.get("start").is_some() || vb.get("start").is_some() {
        return va.get("start") == vb.get("start")
            && va.get("end") == vb.get("end")
            && va.get("startOffset") == vb.get("startOffset")
            && va.get("endOffset") == vb.get("endOffset");
    }
    let rect = |v: &Value| -> Option<(f64, f64, f64, f64)> {
        Some((
            num(v.get("x")?)?,
            num(v.get("y")?)?,
            num(v.get("width")?)?,
            num(v.get("height")?)?,
        ))
    };
    if let (Some(ra), Some(rb)) = (rect(va), rect(vb)) {
        let ix = (ra.0 + ra.2).min(rb.0 + rb.2) - ra.0.max(rb.0);
        let iy = (ra.1 + ra.3).min(rb.1 + rb.3) - ra.1.max(rb.1);
        let inter = ix.max(0.0) * iy.max(0.0);
        let union = ra.2 * ra.3 + rb.2 * rb.3 - inter;
        return union > 0.0 && inter / union >= 0.5;
    }
    // Classifications: one per control.
    va.get("x").is_none() && vb.get("x").is_none()
}

/// One line describing a result: control, labels or value, and where.
pub fn describe_result(config: &LabelConfig, r: &Value, content: Option<&Content>) -> String {
    let from = res::from_name(r);
    let v = &r["value"];
    let ctrl = config.control(from);
    let what = match ctrl.map(|c| c.kind) {
        Some(ControlKind::TextArea) => format!(
            "{:?}",
            v.get("text")
                .map(|t| match t {
                    Value::Array(a) => a.iter().map(as_text).collect::<Vec<_>>().join(" | "),
                    other => as_text(other),
                })
                .unwrap_or_default()
        ),
        Some(ControlKind::Rating) => format!(
            "rating {}",
            v.get("rating").map(as_text).unwrap_or_default()
        ),
        Some(ControlKind::Number) => format!(
            "number {}",
            v.get("number").map(as_text).unwrap_or_default()
        ),
        Some(ControlKind::DateTime) => v.get("datetime").map(as_text).unwrap_or_default(),
        _ => res::labels_of(r).join(", "),
    };
    let place = if let (Some(x), Some(y), Some(w), Some(h)) = (
        v.get("x").and_then(num),
        v.get("y").and_then(num),
        v.get("width").and_then(num),
        v.get("height").and_then(num),
    ) {
        format!(" box {x:.1},{y:.1} {w:.1}×{h:.1}%")
    } else if let Some(t) = v.get("text").and_then(Value::as_str) {
        format!(" {:?}", crate::util::sanitize(t, false))
    } else if let (Some(Content::Doc(d)), Some(_)) = (content, v.get("start")) {
        match d.region_range(v) {
            Some((a, b)) => format!(" {:?}", d.display[a..b].iter().collect::<String>()),
            None => String::new(),
        }
    } else if let Some(points) = v.get("points").and_then(Value::as_array) {
        format!(" polygon of {} points", points.len())
    } else if let (Some(s), Some(e)) = (v.get("start"), v.get("end")) {
        format!(" {}–{}", as_text(s), as_text(e))
    } else {
        String::new()
    };
    crate::util::sanitize(&format!("{from}: {what}{place}"), false)
}

/// Panes that take focus, in document order: objects that carry regions or can be
/// labelled, objects no control points at (so that every pane can be brought into view),
/// then every control with a panel.
pub fn focusables(config: &LabelConfig) -> Vec<Focus> {
    let mut objects: HashMap<&str, usize> = HashMap::new();
    for (i, o) in config.objects.iter().enumerate() {
        objects.entry(o.name.as_str()).or_insert(i);
    }
    let mut controls: HashMap<&str, usize> = HashMap::new();
    // Per object: whether a control points at it, and whether one labels it.
    let mut targeted = vec![false; config.objects.len()];
    let mut labelled = vec![false; config.objects.len()];
    for (i, c) in config.controls.iter().enumerate() {
        controls.entry(c.name.as_str()).or_insert(i);
        for to in &c.to_name {
            if let Some(&oi) = objects.get(to.as_str()) {
                targeted[oi] = true;
                labelled[oi] |= res::labels_fit(c.kind, config.objects[oi].kind);
            }
        }
    }
    let mut out = Vec::new();
    walk(&config.root, &mut |el| {
        let Some(name) = el.attr("name") else { return };
        if let Some(&i) = objects.get(name) {
            let o = &config.objects[i];
            if o.kind == ObjectKind::Image
                || labelled[i]
                || (!targeted[i] && o.kind != ObjectKind::Header)
            {
                out.push(Focus::Object(i));
            }
        } else if let Some(&i) = controls.get(name)
            && !matches!(config.controls[i].kind, ControlKind::Relations)
        {
            out.push(Focus::Control(i));
        }
    });
    out
}

/// Visits every element in document order.
pub fn walk(el: &crate::config::Element, f: &mut impl FnMut(&crate::config::Element)) {
    f(el);
    for c in &el.children {
        if let Node::Element(e) = c {
            walk(e, f);
        }
    }
}
