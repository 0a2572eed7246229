//! The annotate screen: one task, its panes and panels. Its state ([`TaskState`]) and
//! the opening of tasks live here; `update` and `controls` hold what its actions do,
//! `view` and `panels` draw it.

pub mod audio_pane;
pub mod chat_pane;
pub mod controls;
pub mod data_pane;
pub mod image_pane;
pub mod pairwise;
pub mod panels;
pub mod predicted;
pub mod ranker;
pub mod relations;
pub mod text_pane;
pub mod timeseries_pane;
pub mod update;
pub mod video_pane;
pub mod view;

use crate::annotate::{Draft, SaveKind};
use crate::config::{ControlKind, LabelConfig, ObjectKind};
use crate::store::TaskFull;
use crate::store::annotate::Progress;
use crate::store::annotate::{DraftRow, Expect};
use crate::task::resolve::{as_text, resolve_attr};
use crate::tui::action::Action;
use crate::tui::app::{App, Effect, Level, SaveState};
use crate::tui::keymap::{Ctx, Keymap};
use crate::tui::media::{Loaded, Payload, Raster, Request, Source, resolve_source};
use crate::tui::msg::TaskLayout;
use crate::tui::popups::hints_of;
use crate::tui::screens::Screen;
use crate::tui::shared::{focusables, is_labels_control};
use crate::tui::strings;
use crate::tui::text::SpanDoc;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The annotate screen's own state: the open task, the way back and forth through
/// tasks, the saving of results and the stream's progress.
pub struct Annotate {
    pub task: Option<TaskState>,
    pub progress: Progress,
    pub save: SaveState,
    pub history: Vec<i64>,
    pub hist_pos: usize,
    /// Set when the stream has no task left.
    pub finished: bool,
    /// A count typed before a motion (`5 l`, `alt-5 l`), read by [`Annotate::take_count`].
    pub count: Option<usize>,
    /// Start an unannotated task from its top prediction (Label Studio's pre-labelling).
    pub prelabel: bool,
    /// A submit or skip of this task waits for the store: edits join it, and the next
    /// task opens only once it is stored.
    pub submitting: Option<(i64, SaveKind)>,
    /// The open editor's text went to the draft (so a cancel must store the result again).
    pub(in crate::tui) editor_drafted: bool,
    /// Whether the label hotkeys shadowed by built-in keys have been told.
    pub hotkey_clashes_told: bool,
    /// The task whose submit waits for my decision (it was also submitted in another
    /// window): its status stays "not saved" while drafts of it are stored.
    pub conflict: Option<i64>,
}

impl Annotate {
    /// The count typed before the current action (1 when none), cleared.
    pub fn take_count(&mut self) -> usize {
        self.count.take().unwrap_or(1).max(1)
    }

    /// Records a newly opened task after the current history position, dropping the
    /// forward part as a browser does.
    fn visit(&mut self, id: i64) {
        self.history.truncate(self.hist_pos + 1);
        if self.history.last() != Some(&id) {
            self.history.push(id);
        }
        self.hist_pos = self.history.len() - 1;
    }
}

impl Default for Annotate {
    fn default() -> Annotate {
        Annotate {
            task: None,
            progress: Progress::default(),
            save: SaveState::Clean,
            history: Vec::new(),
            hist_pos: 0,
            finished: false,
            count: None,
            prelabel: true,
            submitting: None,
            editor_drafted: false,
            hotkey_clashes_told: false,
            conflict: None,
        }
    }
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
    /// My result with undo/redo, lead time and what of it is stored.
    pub draft: Draft,
    pub annotation_id: Option<i64>,
    pub parent_prediction: Option<i64>,
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
    /// Chart state of each TimeSeries object whose content is data.
    pub timeseries: HashMap<String, timeseries_pane::TsPane>,
    /// The text pane a mouse drag started in, while the button is held.
    pub text_drag: Option<String>,
    /// Per image object: its cursor, drawing tools and edit mode.
    pub image: HashMap<String, image_pane::ImagePane>,
    /// Per video object: its current frame, frame count and range being selected.
    pub video: HashMap<String, video_pane::VideoPane>,
    /// Per audio object that takes segments: its time cursor.
    pub audio: HashMap<String, audio_pane::AudioPane>,
    /// A relation being made and the relation selected.
    pub rel: relations::RelState,
    /// Per chat: its message cursor and the role chosen for the next message.
    pub chat: HashMap<String, chat_pane::ChatPane>,
    /// Each prediction's result (as `full.predictions`), parsed once when the task opens.
    pub predicted: Vec<Vec<Value>>,
    /// Each annotation's result (as `full.annotations`), parsed once when the task opens.
    pub annotated: Vec<Vec<Value>>,
    /// My annotation this answer began from (from the draft when it was resumed): a
    /// submit over a newer one asks first.
    pub base: Expect,
    /// My stored annotation as last read, (id, revision): a change made in another
    /// window is told once.
    pub mine_seen: Option<(i64, i64)>,
    /// Cursors and the mouse drag of Ranker boards and Lists.
    pub ranking: ranker::RankState,
}

/// The keys of the task screen worth a hint, in the context of the focused pane.
pub fn hints(km: &Keymap, focus: Option<Ctx>) -> Vec<(String, String)> {
    let mut out = match focus {
        Some(ctx @ Ctx::Text) => hints_of(
            km,
            ctx,
            &[(Action::Select, "select"), (Action::NextRegion, "regions")],
        ),
        Some(ctx @ Ctx::Image) => hints_of(
            km,
            ctx,
            &[
                (Action::NewRect, "box"),
                (Action::JumpBegin, "jump"),
                (Action::CycleEdit, "edit"),
            ],
        ),
        Some(ctx @ Ctx::Chat) => hints_of(
            km,
            ctx,
            &[
                (Action::NewMessage, "new message"),
                (Action::CycleRole, "role"),
            ],
        ),
        Some(ctx @ Ctx::Timeseries) => hints_of(
            km,
            ctx,
            &[(Action::Select, "select"), (Action::ZoomIn, "zoom")],
        ),
        Some(ctx @ Ctx::Pairwise) => hints_of(
            km,
            ctx,
            &[(Action::PickLeft, "left"), (Action::PickRight, "right")],
        ),
        Some(ctx @ Ctx::Ranker) => hints_of(
            km,
            ctx,
            &[
                (Action::MoveItemUp, "move up"),
                (Action::MoveItemDown, "move down"),
                (Action::MoveItemRight, "to bucket"),
            ],
        ),
        Some(ctx @ Ctx::Audio) => hints_of(
            km,
            ctx,
            &[(Action::Right, "time"), (Action::Select, "range")],
        ),
        Some(ctx @ Ctx::Video) => hints_of(
            km,
            ctx,
            &[
                (Action::Right, "frame"),
                (Action::NewRect, "box"),
                (Action::Select, "range"),
            ],
        ),
        _ => Vec::new(),
    };
    out.extend(hints_of(
        km,
        Ctx::Task,
        &[
            (Action::FocusNext, "focus"),
            (Action::Submit, "submit"),
            (Action::Skip, "skip"),
            (Action::Undo, "undo"),
            (Action::TaskList, "tasks"),
            (Action::Help, "help"),
        ],
    ));
    out
}

impl App {
    // ----------------------------------------------------------------- opening tasks

    /// A task arrived from the store: make it the current one. `from_history` keeps the
    /// history as it is (moving with `[`/`]`).
    pub(in crate::tui) fn open_task(
        &mut self,
        full: TaskFull,
        draft: Option<DraftRow>,
    ) -> Vec<Effect> {
        let from_history = self.annotate.history.get(self.annotate.hist_pos) == Some(&full.task.id);
        let data: Value = serde_json::from_str(&full.task.data).unwrap_or(Value::Null);
        let config =
            crate::annotate::chat::with_chat_panes(self.base_config.expand_for_task(&data));
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
        // Label Studio's pre-labelling: with nothing of mine yet, start from the top
        // prediction, so that accepting it is one submit.
        let prelabel = (draft.is_none() && mine.is_none() && self.annotate.prelabel)
            .then(|| top_prediction(&full))
            .flatten();
        let (result, prelabelled) = match prelabel {
            Some((pid, regions)) => (regions, Some(pid)),
            // A new answer starts from the options marked `selected`, as in Label Studio.
            None if draft.is_none() && mine.is_none() => {
                (crate::tui::result::preselected(&config), None)
            }
            None => (result, None),
        };
        let mine_seen = mine.map(|a| (a.id, a.revision));
        let base = match &draft {
            Some(d) => match (d.annotation_id, d.base_revision) {
                (Some(id), Some(revision)) => Expect::Revision { id, revision },
                // Begun before I had an annotation of the task.
                (None, _) => Expect::Nothing,
                // A draft from before drafts kept their base: the annotation as it is.
                (Some(_), None) => Expect::of(mine_seen),
            },
            None => Expect::of(mine_seen),
        };
        let id = full.task.id;
        if !from_history {
            self.annotate.visit(id);
        }
        let parse = |text: &str| serde_json::from_str::<Vec<Value>>(text).unwrap_or_default();
        let predicted = full.predictions.iter().map(|p| parse(&p.result)).collect();
        let annotated = full.annotations.iter().map(|a| parse(&a.result)).collect();
        let mut t = TaskState {
            predicted,
            annotated,
            annotation_id: mine.map(|a| a.id),
            parent_prediction: prelabelled.or(mine.and_then(|a| a.parent_prediction)),
            full,
            data,
            config,
            draft: Draft::new(result, lead_base),
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
            timeseries: HashMap::new(),
            text_drag: None,
            image: HashMap::new(),
            video: HashMap::new(),
            audio: HashMap::new(),
            rel: relations::RelState::default(),
            chat: HashMap::new(),
            base,
            mine_seen,
            ranking: ranker::RankState::default(),
        };
        let effects = self.resolve_contents(&mut t);
        timeseries_pane::sync_panes(&mut t);
        for (name, c) in &t.contents {
            if let Content::Doc(d) = c
                && let Some(first) = d.map.iter().position(Option::is_some)
            {
                t.text_cursor.insert(name.clone(), d.grapheme_at(first).0);
            }
        }
        t.focusables = focusables(&t.config);
        // A conversation is what a chat task is about: it has the focus first.
        let chat = t.focusables.iter().position(
            |f| matches!(f, Focus::Object(i) if t.config.objects[*i].kind == ObjectKind::Chat),
        );
        t.focus = chat
            .or_else(|| {
                t.focusables
                    .iter()
                    .position(|f| matches!(f, Focus::Object(_)))
                    .filter(|_| {
                        t.config.controls.iter().any(|c| {
                            is_labels_control(c.kind)
                                || matches!(
                                    c.kind,
                                    ControlKind::Rectangle
                                        | ControlKind::VideoRectangle
                                        | ControlKind::TimelineLabels
                                )
                        })
                    })
            })
            .or_else(|| {
                t.focusables
                    .iter()
                    .position(|f| matches!(f, Focus::Control(_)))
            })
            .unwrap_or(0);
        self.annotate.save = if draft.is_some() {
            SaveState::DraftSaved
        } else {
            SaveState::Clean
        };
        if draft.is_some() {
            self.info(format!("task {id}: resumed your draft"));
        } else if let Some(pid) = prelabelled {
            let p = t.full.predictions.iter().find(|p| p.id == pid);
            let note = strings::prelabelled(
                id,
                p.map_or("", |p| p.model_version.as_str()),
                p.and_then(|p| p.score),
                &self.keymap,
            );
            // What was just saved stays in front.
            self.message = Some(match self.message.take() {
                Some((Level::Ok, saved)) => (Level::Ok, format!("{saved} · {note}")),
                _ => (Level::Info, note),
            });
        } else if t.annotation_id.is_some() {
            self.info(strings::editing_annotation(id, &self.keymap));
        } else if !matches!(self.message, Some((Level::Ok, _))) {
            self.message = None;
        }
        self.annotate.task = Some(t);
        self.screen = Screen::Task;
        self.annotate.finished = false;
        self.report_hotkey_clashes();
        let mut effects = effects;
        if prelabelled.is_some() {
            // The prediction on screen is my starting result: store it as the draft, so
            // that what is shown is what is stored.
            effects.push(self.draft_effect());
        }
        effects
    }

    /// Another process committed: counts, the visible list page and the open task are
    /// read again (on the job worker); what is on screen of mine stays.
    pub(in crate::tui) fn store_changed(&mut self) -> Vec<Effect> {
        let mut out = vec![Effect::Counts];
        if let Some(t) = &self.annotate.task {
            out.push(Effect::RefreshTask(t.full.task.id));
        }
        if self.screen == Screen::List {
            out.push(self.list.refresh());
        }
        if self.annotate.finished && self.annotate.task.is_none() && self.screen == Screen::Task {
            out.push(Effect::NextIfFree);
        }
        out
    }

    /// The open task read again: the annotations shown beside mine follow the store;
    /// my answer on screen is not touched, unless `adopt` (the user chose to keep the
    /// annotation from their other window), when it takes its place as one undo step.
    pub(in crate::tui) fn task_refreshed(&mut self, full: TaskFull, adopt: bool) -> Vec<Effect> {
        let user_id = self.user_id;
        let Some(t) = &mut self.annotate.task else {
            return Vec::new();
        };
        if t.full.task.id != full.task.id {
            return Vec::new();
        }
        let id = full.task.id;
        let parse = |text: &str| serde_json::from_str::<Vec<Value>>(text).unwrap_or_default();
        t.annotated = full.annotations.iter().map(|a| parse(&a.result)).collect();
        t.full.annotations = full.annotations;
        if let ViewSource::Annotation(i) = t.source
            && i >= t.full.annotations.len()
        {
            t.source = ViewSource::Mine;
        }
        let mine = t
            .full
            .annotations
            .iter()
            .filter(|a| a.completed_by == Some(user_id))
            .max_by_key(|a| (!a.was_cancelled, a.id));
        let now = mine.map(|a| (a.id, a.revision));
        let when = mine.map(|a| a.updated_at.clone()).unwrap_or_default();
        if adopt {
            let stored = mine.map(|a| parse(&a.result)).unwrap_or_default();
            t.base = Expect::of(now);
            t.mine_seen = now;
            t.annotation_id = now.map(|(id, _)| id);
            t.source = ViewSource::Mine;
            let changed = t.draft.replace_all(stored);
            self.annotate.submitting = None;
            self.annotate.conflict = None;
            self.annotate.save = SaveState::Clean;
            let undo = self
                .keymap
                .key_for(crate::tui::keymap::Ctx::Task, Action::Undo)
                .unwrap_or_default();
            self.message = Some((Level::Ok, strings::kept_stored(id, &undo)));
            return if changed {
                vec![self.draft_effect()]
            } else {
                Vec::new()
            };
        }
        if now != t.mine_seen {
            t.mine_seen = now;
            let stored = mine.map(|a| parse(&a.result));
            // The other window's submit removed the draft (there is one per task and
            // user): store the answer on screen again, with what it began from.
            let differs = stored.as_deref() != Some(t.draft.result());
            if now.is_some() && self.annotate.submitting.is_none() {
                self.warn(strings::changed_elsewhere(id, &when));
            }
            if now.is_some() && differs {
                return vec![self.draft_effect()];
            }
        }
        Vec::new()
    }

    /// The stream has nothing left (but what others are working on).
    pub(in crate::tui) fn no_task(&mut self, open_by_others: usize) {
        let saved = self.message.clone();
        self.annotate.finished = true;
        self.annotate.task = None;
        let done = match saved {
            Some((Level::Ok, m)) => strings::done_after(&m, &self.keymap),
            _ => strings::all_done(&self.keymap),
        };
        let text = match open_by_others {
            0 => done,
            n => format!("{done} {}", strings::open_by_others(n)),
        };
        self.message = Some((Level::Ok, text));
    }

    /// Where a value of `task` points: relative paths against the folder the task was
    /// imported from, then the media root; nothing outside the allowed roots.
    pub(in crate::tui) fn source_of(
        &self,
        task: &crate::store::TaskRow,
        value: &str,
    ) -> Result<Source, String> {
        let id = task.id.to_string();
        let origin = crate::media::Origin {
            task: &id,
            base_dir: task.base_dir.as_deref().map(std::path::Path::new),
        };
        resolve_source(&self.media, &origin, value)
    }

    pub(in crate::tui) fn resolve_contents(&self, t: &mut TaskState) -> Vec<Effect> {
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
        let lists: Vec<String> = t
            .config
            .objects
            .iter()
            .filter(|o| o.kind == ObjectKind::List)
            .map(|o| o.name.clone())
            .collect();
        for name in lists {
            ranker::sync_list(t, &name);
        }
        effects
    }

    /// Builds an object's content from its (resolved or loaded) value.
    pub(in crate::tui) fn content_from_value(
        &self,
        obj: &crate::config::ObjectTag,
        raw: Value,
    ) -> Content {
        let decode = |s: String| -> Result<String, String> {
            match obj
                .encoding
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("base64") | Some("base64unicode") => crate::tui::media::decode_base64_text(&s),
                _ => Ok(s),
            }
        };
        match obj.kind {
            // A list shows as JavaScript's String() of it, as in Label Studio, whose span
            // offsets count in that text.
            // Its items are drawn one per line (`SpanDoc::list`).
            ObjectKind::Text => match (&raw, obj.encoding.is_none()) {
                (Value::Array(items), true) => {
                    let items: Vec<String> =
                        items.iter().map(crate::tui::text::js_string).collect();
                    Content::Doc(Arc::new(SpanDoc::list(&items)))
                }
                _ => match decode(crate::tui::text::js_string(&raw)) {
                    Ok(s) => Content::Doc(Arc::new(SpanDoc::text(&s))),
                    Err(e) => Content::Failed(e),
                },
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
            ObjectKind::Chat => Content::Data(crate::annotate::chat::normalize_data(raw)),
            _ => Content::Data(raw),
        }
    }

    /// A worker finished loading something.
    pub(in crate::tui) fn loaded(&mut self, l: Loaded) {
        let Some(t) = &mut self.annotate.task else {
            return;
        };
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
        if let Some(t) = &mut self.annotate.task {
            t.contents.insert(name.to_string(), new);
            timeseries_pane::sync_pane(t, name);
            ranker::sync_list(t, name);
        }
    }

    /// Image requests for panes whose drawn size changed (after a frame).
    pub(in crate::tui) fn image_requests(&mut self) -> Vec<Effect> {
        let Some(t) = &mut self.annotate.task else {
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
}

/// The prediction pre-labelling starts from (the best score, the first on a tie or
/// without scores) and its result as my regions: ids kept, `origin` set as Label Studio
/// sets it, the prediction-only fields dropped.
pub fn top_prediction(full: &TaskFull) -> Option<(i64, Vec<Value>)> {
    let p = &full.predictions[top_prediction_index(full)?];
    let regions: Vec<Value> = serde_json::from_str(&p.result).ok()?;
    if regions.is_empty() {
        return None;
    }
    Some((p.id, regions.into_iter().map(as_accepted).collect()))
}

/// Which prediction counts as the task's top one: the best score, the first on a tie or
/// without scores.
pub fn top_prediction_index(full: &TaskFull) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, p) in full.predictions.iter().enumerate() {
        let score = |i: usize| full.predictions[i].score.unwrap_or(f64::MIN);
        if best.is_none_or(|b| p.score.unwrap_or(f64::MIN) > score(b)) {
            best = Some(i);
        }
    }
    best
}

/// A prediction's result item as it goes into my annotation.
pub fn as_accepted(mut r: Value) -> Value {
    if let Some(m) = r.as_object_mut() {
        m.insert("origin".into(), Value::String("prediction".into()));
        if !m.contains_key("id") {
            m.insert("id".into(), Value::String(crate::tui::result::new_id()));
        }
        m.remove("score");
        m.remove("readonly");
    }
    r
}
