//! What the annotate screen's actions do to the task: editing with undo and drafts,
//! submitting, regions, whose result is shown, the diff, media outside the UI.

use crate::annotate::{PendingSave, SaveKind};
use crate::config::{ControlKind, LabelConfig, ObjectKind};
use crate::review::DiffKind;
use crate::store::annotate::Expect;
use crate::task::resolve::as_text;
use crate::tui::action::Action;
use crate::tui::app::{App, Effect, Level, SaveState};
use crate::tui::media::Source;
use crate::tui::popups::{Conflict, ConflictReply, Diff, Popup};
use crate::tui::result as res;
use crate::tui::shared::describe_result;
use crate::tui::strings;
use serde_json::{Value, json};

use super::{Content, Focus, ViewSource};

impl App {
    /// An action on the task screen (a task is open).
    pub(in crate::tui) fn task_action(&mut self, a: Action) -> Vec<Effect> {
        match a {
            Action::Submit => self.submit(SaveKind::Submit),
            Action::Skip => self.submit(SaveKind::Skip),
            Action::Undo => self.undo(true),
            Action::Redo => self.undo(false),
            // `[` and `]` walk one order: the history of tasks opened in this session
            // (submitted, skipped, jumped to or opened from the list), oldest first; `]`
            // past its newest task opens the next task of the stream, which joins it.
            Action::NextTask => {
                let t = self.annotate.task.as_ref().expect("task");
                if self.annotate.hist_pos + 1 < self.annotate.history.len() {
                    self.annotate.hist_pos += 1;
                    vec![Effect::OpenTask(
                        self.annotate.history[self.annotate.hist_pos],
                    )]
                } else {
                    vec![Effect::NextTask {
                        exclude: Some(t.full.task.id),
                    }]
                }
            }
            Action::PrevTask => {
                if self.annotate.hist_pos > 0 {
                    self.annotate.hist_pos -= 1;
                    vec![Effect::OpenTask(
                        self.annotate.history[self.annotate.hist_pos],
                    )]
                } else {
                    self.info("this is the first task you opened");
                    Vec::new()
                }
            }
            Action::FocusNext | Action::FocusPrev => {
                let t = self.annotate.task.as_mut().expect("task");
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
                self.timeseries_follow_selected();
                self.video_follow_selected();
                self.audio_follow_selected();
                Vec::new()
            }
            Action::DeleteRegion => match self.delete_selected_relation() {
                Some(e) => e,
                None => self.delete_selected(),
            },
            Action::Relation
            | Action::NextRelation
            | Action::RelationDirection
            | Action::RelationLabel => self.relation_action(a),
            Action::DeleteAllRegions => {
                let t = self.annotate.task.as_ref().expect("task");
                let ids: Vec<String> = t
                    .draft
                    .result()
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
                let t = self.annotate.task.as_mut().expect("task");
                if t.anchor.is_some() {
                    t.anchor = None;
                } else if t.rel.from.is_some() || t.rel.selected.is_some() {
                    t.rel = Default::default();
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
            Action::AcceptControl => self.accept_control(),
            Action::RejectRegion => self.reject_region(),
            Action::CycleSource => {
                self.cycle_source();
                Vec::new()
            }
            Action::TogglePredictions => {
                let t = self.annotate.task.as_mut().expect("task");
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
            Action::JsonTree => {
                self.open_task_json();
                Vec::new()
            }
            Action::Compare => {
                self.open_task_compare();
                Vec::new()
            }
            Action::FullImage => self.full_image(),
            Action::PlayMedia => self.play_media(),
            Action::ExternalEditor => self.external_editor(),
            _ => self.focused_action(a),
        }
    }

    // ----------------------------------------------------------------- editing

    /// Lead time so far, in seconds.
    pub fn lead_time(&self) -> f64 {
        self.annotate
            .task
            .as_ref()
            .map_or(0.0, |t| t.draft.lead_time())
    }

    /// Applies a change to my result; when it changed anything, records undo and saves
    /// the draft. A region from a prediction that the change alters becomes
    /// `prediction-changed`, as Label Studio marks it.
    pub(in crate::tui) fn edit(
        &mut self,
        f: impl FnOnce(&LabelConfig, &mut Vec<Value>) -> bool,
    ) -> Vec<Effect> {
        let Some(t) = &mut self.annotate.task else {
            return Vec::new();
        };
        if t.source != ViewSource::Mine {
            self.warn(strings::read_only(&self.keymap));
            return Vec::new();
        }
        let changed = t.draft.apply(&t.config, |c, r| {
            let before = r.clone();
            if !f(c, r) {
                return false;
            }
            // A moved shape takes its labels and perRegion answers along.
            crate::annotate::region::sync_region_copies(c, r);
            mark_prediction_changed(&before, r);
            true
        });
        if !changed {
            return Vec::new();
        }
        self.after_change()
    }

    /// After my result changed: drop a selection that is gone, store what is on screen.
    fn after_change(&mut self) -> Vec<Effect> {
        let Some(t) = &mut self.annotate.task else {
            return Vec::new();
        };
        if let Some(sel) = &t.selected
            && !t.draft.result().iter().any(|r| res::id_of(r) == Some(sel))
        {
            t.selected = None;
        }
        self.relation_settle();
        vec![self.draft_effect()]
    }

    /// The write of what is on screen: the draft, or, while a submit of this task waits
    /// for the store, that submit again with the newer result (the store must end with
    /// what is shown).
    pub(in crate::tui) fn draft_effect(&self) -> Effect {
        let t = self.annotate.task.as_ref().expect("task");
        let id = t.full.task.id;
        match self.annotate.submitting {
            Some((tid, kind)) if tid == id => Effect::Save(self.pending_of(kind)),
            _ => Effect::SaveDraft(self.pending_of(SaveKind::Draft)),
        }
    }

    /// The save of my result as it is now.
    pub(in crate::tui) fn pending_of(&self, kind: SaveKind) -> PendingSave {
        let t = self.annotate.task.as_ref().expect("task");
        let mut p = PendingSave::of_draft(t.full.task.id, self.user_id, &t.draft, kind);
        // A submit expects my annotation to be what the answer began from; a draft
        // records it.
        p.expect = t.base;
        match kind {
            SaveKind::Draft => p.annotation_id = t.annotation_id,
            _ => p.parent_prediction = t.parent_prediction,
        }
        p
    }

    /// The store wrote the draft of `revision`.
    pub(in crate::tui) fn draft_saved(&mut self, task_id: i64, revision: u64) {
        match &mut self.annotate.task {
            Some(t) if t.full.task.id == task_id => {
                t.draft.mark_saved(revision);
                if !t.draft.is_dirty()
                    && self.annotate.submitting.is_none()
                    && self.annotate.conflict != Some(task_id)
                {
                    self.annotate.save = SaveState::DraftSaved;
                }
            }
            // A held draft of a task left behind got stored: the failure shown is over
            // (a write still failing says so again at its next try).
            _ if matches!(self.annotate.save, SaveState::Failed(_)) => {
                self.annotate.save = SaveState::DraftSaved
            }
            _ => {}
        }
        if matches!(self.message, Some((Level::Warn, ref m)) if m.starts_with("not saved")) {
            self.message = None;
        }
    }

    /// A submit or skip would replace my newer annotation from another window: it is
    /// held, and the user decides. The answer is stored as the draft meanwhile (the
    /// other window's submit removed the draft of the task), so that it outlives this
    /// process whatever is decided.
    pub(in crate::tui) fn save_conflict(&mut self, c: Conflict) -> Vec<Effect> {
        if self
            .annotate
            .submitting
            .is_some_and(|(t, _)| t == c.task_id)
        {
            // Edits from now on are drafts again, beside the held answer.
            self.annotate.submitting = None;
        }
        self.annotate.save = SaveState::Failed("also submitted in another window".into());
        self.annotate.conflict = Some(c.task_id);
        self.message = Some((
            Level::Warn,
            strings::conflict_pending(c.task_id, &self.keymap),
        ));
        self.editor = None;
        let open = self
            .annotate
            .task
            .as_ref()
            .is_some_and(|t| t.full.task.id == c.task_id);
        self.popup = Some(Popup::Conflict(c));
        if open {
            vec![self.draft_effect()]
        } else {
            Vec::new()
        }
    }

    /// The user chose what becomes of a held answer.
    pub(in crate::tui) fn conflict_decided(
        &mut self,
        c: &Conflict,
        reply: ConflictReply,
    ) -> Vec<Effect> {
        match reply {
            ConflictReply::Keep => Vec::new(),
            ConflictReply::Overwrite => {
                self.annotate.submitting = Some((c.task_id, c.kind));
                self.message = None;
                vec![Effect::Overwrite { task_id: c.task_id }]
            }
            ConflictReply::KeepStored => vec![Effect::KeepStored { task_id: c.task_id }],
            ConflictReply::Later => {
                self.message = Some((
                    Level::Warn,
                    strings::conflict_pending(c.task_id, &self.keymap),
                ));
                Vec::new()
            }
        }
    }

    /// A write failed: keep everything as it is, say so; the runtime tries again.
    pub(in crate::tui) fn save_retry(&mut self, reason: &str) {
        self.message = Some((Level::Warn, strings::not_saved_retrying(reason)));
        self.annotate.save = SaveState::Failed("retrying".into());
    }

    pub(in crate::tui) fn undo(&mut self, undo: bool) -> Vec<Effect> {
        let t = self.annotate.task.as_mut().expect("task");
        if t.source != ViewSource::Mine {
            self.warn(strings::read_only(&self.keymap));
            return Vec::new();
        }
        let done = if undo { t.draft.undo() } else { t.draft.redo() };
        if !done {
            self.info(if undo {
                "nothing to undo"
            } else {
                "nothing to redo"
            });
            return Vec::new();
        }
        self.after_change()
    }

    /// Required controls without a value: their messages.
    pub fn missing_required(&self) -> Vec<String> {
        self.annotate.task.as_ref().map_or(Vec::new(), |t| {
            let mut out = crate::annotate::missing_required(&t.config, t.draft.result());
            out.extend(crate::annotate::chat::submit_problems(
                &t.config,
                &t.data,
                t.draft.result(),
            ));
            out
        })
    }

    pub(in crate::tui) fn submit(&mut self, kind: SaveKind) -> Vec<Effect> {
        let t = self.annotate.task.as_ref().expect("task");
        // A read-only view never stores anything but what it shows: refuse, and say how
        // to go back or take it over.
        match t.source {
            ViewSource::Mine => {}
            ViewSource::Prediction(i) => {
                let what = format!("prediction {}", i + 1);
                self.warn(strings::read_only_submit(&self.keymap, &what));
                return Vec::new();
            }
            ViewSource::Annotation(_) => {
                self.warn(strings::read_only_submit(
                    &self.keymap,
                    "another annotator's annotation",
                ));
                return Vec::new();
            }
        }
        if kind == SaveKind::Submit {
            let missing = self.missing_required();
            if !missing.is_empty() {
                self.message = Some((
                    Level::Error,
                    format!("Cannot submit: {}", missing.join("; ")),
                ));
                return Vec::new();
            }
        }
        if kind == SaveKind::Skip && !t.full.task.allow_skip {
            self.warn("this task does not allow skipping");
            return Vec::new();
        }
        let id = t.full.task.id;
        if kind == SaveKind::Submit {
            self.rank_defaults();
        }
        self.annotate.submitting = Some((id, kind));
        vec![Effect::Save(self.pending_of(kind))]
    }

    /// The store saved the annotation: count again and go on to the next task.
    /// `annotation` is my annotation of the task now: a later submit of it expects that.
    pub(in crate::tui) fn saved(
        &mut self,
        kind: SaveKind,
        task_id: i64,
        annotation: Option<(i64, i64)>,
    ) -> Vec<Effect> {
        if self.annotate.submitting.is_some_and(|(t, _)| t == task_id) {
            self.annotate.submitting = None;
        }
        if self.annotate.conflict == Some(task_id) {
            self.annotate.conflict = None;
        }
        if let Some(t) = &mut self.annotate.task
            && t.full.task.id == task_id
            && let Some((id, revision)) = annotation
        {
            t.base = Expect::Revision { id, revision };
            t.mine_seen = Some((id, revision));
            t.annotation_id = Some(id);
        }
        self.annotate.save = SaveState::Submitted;
        self.message = Some((
            Level::Ok,
            match kind {
                SaveKind::Skip => format!("task {task_id} skipped"),
                _ => format!("task {task_id} submitted"),
            },
        ));
        // Counts come from the store, so they never drift from what it holds.
        let mut out = vec![Effect::Counts];
        if self
            .annotate
            .task
            .as_ref()
            .is_some_and(|t| t.full.task.id == task_id)
        {
            out.push(Effect::NextTask {
                exclude: Some(task_id),
            });
        }
        out
    }

    // ----------------------------------------------------------------- regions

    /// Results shown in the current source (mine, a prediction, another annotation).
    pub fn shown_result(&self) -> Vec<Value> {
        let Some(t) = &self.annotate.task else {
            return Vec::new();
        };
        match t.source {
            ViewSource::Mine => t.draft.result().to_vec(),
            ViewSource::Prediction(i) => t
                .predicted
                .get(i)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|r| res::id_of(r).is_none_or(|id| !t.rejected.contains(id)))
                .collect(),
            ViewSource::Annotation(i) => t
                .full
                .annotations
                .iter()
                .zip(&t.annotated)
                .filter(|(a, _)| a.completed_by != Some(self.user_id))
                .nth(i)
                .map(|(_, r)| r.clone())
                .unwrap_or_default(),
        }
    }

    /// Other users' annotations (read-only).
    pub fn others(&self) -> Vec<&crate::store::AnnotationRow> {
        self.annotate.task.as_ref().map_or(Vec::new(), |t| {
            t.full
                .annotations
                .iter()
                .filter(|a| a.completed_by != Some(self.user_id))
                .collect()
        })
    }

    /// Regions (spans, shapes) of the shown result, in order.
    pub fn regions(&self) -> Vec<Value> {
        let Some(t) = &self.annotate.task else {
            return Vec::new();
        };
        self.shown_result()
            .into_iter()
            .filter(|r| res::is_region(&t.config, r))
            .collect()
    }

    pub fn selected_region(&self) -> Option<Value> {
        let id = self.annotate.task.as_ref()?.selected.clone()?;
        self.regions()
            .into_iter()
            .find(|r| res::id_of(r) == Some(id.as_str()))
    }

    pub(in crate::tui) fn cycle_region(&mut self, forward: bool) {
        let regions = self.regions();
        let t = self.annotate.task.as_mut().expect("task");
        if regions.is_empty() {
            t.selected = None;
            self.info("no regions");
            return;
        }
        // Results that share an id are one region (a shape and its labels, split).
        let mut seen = std::collections::HashSet::new();
        let ids: Vec<String> = regions
            .iter()
            .filter_map(|r| res::id_of(r).map(str::to_string))
            .filter(|id| seen.insert(id.clone()))
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
        t.rel.selected = None;
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

    pub(in crate::tui) fn delete_selected(&mut self) -> Vec<Effect> {
        let t = self.annotate.task.as_ref().expect("task");
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
        if let Some(t) = &mut self.annotate.task {
            t.selected = None;
        }
        e
    }

    pub(in crate::tui) fn cycle_source(&mut self) {
        let others = self.others().len();
        let t = self.annotate.task.as_mut().expect("task");
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

    /// Takes over the first (or shown) prediction, or the shown annotation of another, as
    /// my result: one undo step, and the message names the undo key.
    pub(in crate::tui) fn accept_whole(&mut self) -> Vec<Effect> {
        let t = self.annotate.task.as_ref().expect("task");
        let (regions, parent) = match t.source {
            ViewSource::Mine => match t.full.predictions.first() {
                Some(p) => (
                    t.predicted[0]
                        .clone()
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
            .map(|r| {
                if parent.is_some() {
                    super::as_accepted(r)
                } else {
                    let mut r = r;
                    if r.get("id").is_none() {
                        r["id"] = json!(res::new_id());
                    }
                    r
                }
            })
            .collect();
        let n = regions.len();
        let t = self.annotate.task.as_mut().expect("task");
        t.source = ViewSource::Mine;
        t.selected = None;
        if !t.draft.replace_all(regions) {
            self.info("your annotation already is that result");
            return Vec::new();
        }
        if parent.is_some() {
            t.parent_prediction = parent;
        }
        let e = self.after_change();
        self.info(strings::accepted(n, &self.keymap));
        e
    }

    /// Takes the prediction's value for the focused control (the shown prediction, else
    /// the top one) into my result, in place of mine for that control; one undo step.
    pub(in crate::tui) fn accept_control(&mut self) -> Vec<Effect> {
        let Some(ctrl) = self.focused_control() else {
            self.info(strings::focus_control_to_accept(&self.keymap));
            return Vec::new();
        };
        let t = self.annotate.task.as_ref().expect("task");
        let pi = match t.source {
            ViewSource::Prediction(i) => Some(i),
            ViewSource::Mine => super::top_prediction_index(&t.full),
            ViewSource::Annotation(_) => None,
        };
        let Some((p, predicted)) =
            pi.and_then(|i| t.full.predictions.get(i).zip(t.predicted.get(i)))
        else {
            self.info("no prediction to take a value from");
            return Vec::new();
        };
        let pid = p.id;
        let mine_ids: Vec<String> = t
            .draft
            .result()
            .iter()
            .filter_map(|r| res::id_of(r).map(str::to_string))
            .collect();
        let items: Vec<Value> = predicted
            .iter()
            .filter(|r| res::from_name(r) == ctrl.name)
            // A per-region value needs its region in my result.
            .filter(|r| {
                !ctrl.per_region || res::id_of(r).is_some_and(|id| mine_ids.iter().any(|m| m == id))
            })
            .cloned()
            .map(super::as_accepted)
            .collect();
        if items.is_empty() {
            self.info(format!(
                "the prediction has no value for {}",
                crate::util::sanitize(&ctrl.name, false)
            ));
            return Vec::new();
        }
        let replaced: Vec<Option<String>> = items
            .iter()
            .map(|r| res::id_of(r).map(str::to_string))
            .collect();
        let t = self.annotate.task.as_mut().expect("task");
        t.source = ViewSource::Mine;
        let name = ctrl.name.clone();
        let e = self.edit(move |_, r| {
            r.retain(|x| {
                res::from_name(x) != name
                    || (ctrl.per_region
                        && !replaced.iter().any(|id| id.as_deref() == res::id_of(x)))
            });
            r.extend(items);
            true
        });
        if e.is_empty() {
            self.info("your value already is the prediction's");
            return e;
        }
        if let Some(t) = &mut self.annotate.task
            && t.parent_prediction.is_none()
        {
            t.parent_prediction = Some(pid);
        }
        self.info(strings::accepted_control(&ctrl.name, &self.keymap));
        e
    }

    /// The prediction region a key acts on: the selected one when a prediction is shown,
    /// else none.
    pub(in crate::tui) fn selected_prediction_region(&self) -> Option<Value> {
        let t = self.annotate.task.as_ref()?;
        if matches!(t.source, ViewSource::Mine) {
            return None;
        }
        self.selected_region()
    }

    pub(in crate::tui) fn accept_region(&mut self) -> Vec<Effect> {
        let Some(region) = self.selected_prediction_region() else {
            self.info(strings::how_to_region(
                &self.keymap,
                Action::AcceptRegion,
                "accepts",
            ));
            return Vec::new();
        };
        let t = self.annotate.task.as_ref().expect("task");
        let id = res::id_of(&region).unwrap_or_default().to_string();
        let all: Vec<Value> = self
            .shown_result()
            .into_iter()
            .filter(|r| res::id_of(r) == Some(id.as_str()))
            .map(super::as_accepted)
            .collect();
        let already = t
            .draft
            .result()
            .iter()
            .any(|r| res::id_of(r) == Some(id.as_str()));
        let source = t.source;
        if let Some(t) = &mut self.annotate.task {
            t.source = ViewSource::Mine;
        }
        if already {
            self.info("that region is already in your annotation");
            if let Some(t) = &mut self.annotate.task {
                t.source = source;
            }
            return Vec::new();
        }
        let e = self.edit(move |_, r| {
            r.extend(all);
            true
        });
        if let Some(t) = &mut self.annotate.task {
            t.source = source;
        }
        self.info("region accepted into your annotation");
        e
    }

    pub(in crate::tui) fn reject_region(&mut self) -> Vec<Effect> {
        let Some(region) = self.selected_prediction_region() else {
            self.info(strings::how_to_region(
                &self.keymap,
                Action::RejectRegion,
                "rejects",
            ));
            return Vec::new();
        };
        let id = res::id_of(&region).unwrap_or_default().to_string();
        let t = self.annotate.task.as_mut().expect("task");
        t.rejected.insert(id.clone());
        t.selected = None;
        let in_mine = t
            .draft
            .result()
            .iter()
            .any(|r| res::id_of(r) == Some(id.as_str()));
        let source = t.source;
        let mut e = Vec::new();
        if in_mine {
            t.source = ViewSource::Mine;
            e = self.edit(|_, r| {
                res::delete_region(r, &id);
                true
            });
            if let Some(t) = &mut self.annotate.task {
                t.source = source;
            }
        }
        self.info("prediction region rejected");
        e
    }

    /// Lines of where my annotation and the shown (or first) prediction differ, field by
    /// field, geometry included (from `review::diff`).
    pub fn diff_lines(&self) -> Vec<(char, String)> {
        let Some(t) = &self.annotate.task else {
            return Vec::new();
        };
        let pi = match t.source {
            ViewSource::Prediction(i) => i,
            _ => 0,
        };
        let Some(p) = t.full.predictions.get(pi) else {
            return vec![(' ', "this task has no predictions".into())];
        };
        let pred = &t.predicted[pi];
        let diff = crate::review::diff(pred, t.draft.result());
        let describe = |r: &Value| describe_result(&t.config, r, t.contents.get(res::to_name(r)));
        let mut lines = vec![
            (
                ' ',
                format!(
                    "annotation ({}) vs prediction {} (score {})",
                    crate::util::sanitize(&self.user, false),
                    crate::util::sanitize(&p.model_version, false),
                    p.score.map_or("-".into(), |s| format!("{s:.2}"))
                ),
            ),
            (' ', format!("{} difference(s)", diff.differences())),
        ];
        for e in &diff.entries {
            let shown = e.after.as_ref().or(e.before.as_ref());
            let what = shown.map(describe).unwrap_or_default();
            match &e.kind {
                DiffKind::Unchanged => lines.push(('=', what)),
                DiffKind::Added => lines.push(('+', format!("{what}  (only in the annotation)"))),
                DiffKind::Removed => lines.push(('-', format!("{what}  (only in the prediction)"))),
                DiffKind::Changed(fields) => {
                    let changes: Vec<String> = fields.iter().map(ToString::to_string).collect();
                    lines.push(('~', format!("{what}  ({})", changes.join(", "))));
                }
            }
        }
        lines
    }

    pub(in crate::tui) fn open_diff(&mut self) {
        self.popup = Some(Popup::Diff(Diff {
            lines: self.diff_lines(),
            scroll: 0,
        }));
    }

    pub(in crate::tui) fn full_image(&mut self) -> Vec<Effect> {
        let Some(t) = &self.annotate.task else {
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

    pub(in crate::tui) fn play_media(&mut self) -> Vec<Effect> {
        let Some(t) = &self.annotate.task else {
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

    pub(in crate::tui) fn external_editor(&mut self) -> Vec<Effect> {
        let Some(ctrl) = self.focused_control() else {
            self.info(strings::focus_textarea(&self.keymap));
            return Vec::new();
        };
        if ctrl.kind != ControlKind::TextArea {
            self.info(strings::edits_textarea(&self.keymap));
            return Vec::new();
        }
        let t = self.annotate.task.as_ref().expect("task");
        let region = self.per_region_target(&ctrl);
        let entries = res::current_list(
            t.draft.result(),
            &ctrl,
            region.as_ref().and_then(res::id_of),
        );
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
    pub(in crate::tui) fn external_text(
        &mut self,
        control: &str,
        entry: Option<usize>,
        text: String,
    ) -> Vec<Effect> {
        let text = text.trim_end_matches('\n').to_string();
        self.set_textarea_entry(control, entry, text)
    }
}

/// Regions that came from a prediction and that an edit altered are
/// `prediction-changed` from then on.
fn mark_prediction_changed(before: &[Value], after: &mut [Value]) {
    for r in after.iter_mut() {
        if r.get("origin").and_then(Value::as_str) != Some("prediction") {
            continue;
        }
        let Some(id) = res::id_of(r) else { continue };
        let old = before
            .iter()
            .find(|b| res::id_of(b) == Some(id) && res::from_name(b) == res::from_name(r));
        if old.is_some_and(|o| o.get("value") != r.get("value")) {
            r["origin"] = json!("prediction-changed");
        }
    }
}
