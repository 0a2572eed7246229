//! The annotate screen's focus and controls: moving in text and images, labels, the
//! control panels (choices, ratings, text areas, numbers, dates, taxonomies) and what the
//! inline editor commits to them.

use crate::config::{ChoiceMode, ControlKind, ControlTag, ObjectKind};
use crate::task::resolve::as_text;
use crate::tui::action::Action;
use crate::tui::app::{App, Effect};
use crate::tui::popups::{EditTarget, Editor, Picker, Popup};
use crate::tui::result as res;
use crate::tui::screens::Screen;
use crate::tui::shared::{check_datetime, is_labels_control, num, number_json};
use crate::tui::strings;
use serde_json::{Value, json};

use super::Focus;

impl App {
    // ----------------------------------------------------------------- focus & panels

    pub fn focused_control(&self) -> Option<ControlTag> {
        let t = self.annotate.task.as_ref()?;
        match t.focusables.get(t.focus)? {
            Focus::Control(i) => t.config.controls.get(*i).cloned(),
            _ => None,
        }
    }

    pub(in crate::tui) fn focused_object(&self) -> Option<crate::config::ObjectTag> {
        let t = self.annotate.task.as_ref()?;
        match t.focusables.get(t.focus)? {
            Focus::Object(i) => t.config.objects.get(*i).cloned(),
            _ => None,
        }
    }

    /// For a perRegion control: the selected region it attaches to.
    pub(in crate::tui) fn per_region_target(&self, ctrl: &ControlTag) -> Option<Value> {
        if !ctrl.per_region {
            return None;
        }
        let t = self.annotate.task.as_ref()?;
        let id = t.selected.as_ref()?;
        t.draft
            .result()
            .iter()
            .find(|r| res::id_of(r) == Some(id.as_str()) && res::is_region(&t.config, r))
            .cloned()
    }

    /// Whether `ctrl` can be applied with `region` (from [`Self::per_region_target`]): a
    /// perRegion control needs a selected region, and says so when there is none.
    pub(in crate::tui) fn region_ready(
        &mut self,
        ctrl: &ControlTag,
        region: &Option<Value>,
    ) -> bool {
        if ctrl.per_region && region.is_none() {
            self.info(format!(
                "{} is per region: select a region first (Tab)",
                ctrl.name
            ));
            return false;
        }
        if let Some(r) = region
            .as_ref()
            .filter(|r| crate::annotate::chat::is_message(r))
        {
            return self.chat_role_fits(ctrl, r);
        }
        true
    }

    pub(in crate::tui) fn focused_action(&mut self, a: Action) -> Vec<Effect> {
        if let Some(obj) = self.focused_object() {
            return match obj.kind {
                ObjectKind::Image => self.image_action(&obj, a),
                ObjectKind::TimeSeries => self.timeseries_action(&obj, a),
                ObjectKind::Video => self.video_action(&obj, a),
                ObjectKind::Audio => self.audio_action(&obj, a),
                ObjectKind::Text | ObjectKind::HyperText | ObjectKind::Paragraphs => {
                    self.text_action(&obj, a)
                }
                ObjectKind::List => self.ranker_action(a),
                ObjectKind::Chat => self.chat_action(&obj, a),
                _ => Vec::new(),
            };
        }
        if matches!(a, Action::Up | Action::Down) && self.move_option_cursor(a) {
            return Vec::new();
        }
        if let Some(ctrl) = self.focused_control() {
            return match ctrl.kind {
                ControlKind::Ranker => self.ranker_action(a),
                ControlKind::Pairwise => self.pairwise_action(&ctrl, a),
                _ => self.panel_action(&ctrl, a),
            };
        }
        Vec::new()
    }

    /// Moves the cursor of a focused list of options (Choices, labels) without copying the
    /// control: its options may come from the task by the hundred thousand, and a copy per
    /// key press made each press cost tens of milliseconds. False when the focus is not on
    /// such a list.
    fn move_option_cursor(&mut self, a: Action) -> bool {
        let Some(t) = self.annotate.task.as_mut() else {
            return false;
        };
        let Some(Focus::Control(ci)) = t.focusables.get(t.focus).copied() else {
            return false;
        };
        let Some(c) = t.config.controls.get(ci) else {
            return false;
        };
        if !(c.kind == ControlKind::Choices || is_labels_control(c.kind)) {
            return false;
        }
        let n = c.labels.len();
        let cur = t.opt_cursor.get(&c.name).copied().unwrap_or(0);
        let next = match a {
            Action::Up => cur.saturating_sub(1),
            _ => (cur + 1).min(n.saturating_sub(1)),
        };
        t.opt_cursor.insert(c.name.clone(), next);
        true
    }

    /// A label key (or Enter on a label in its panel).
    pub(in crate::tui) fn apply_label(&mut self, ci: usize, li: usize) -> Vec<Effect> {
        let t = self.annotate.task.as_ref().expect("task");
        let ctrl = t.config.controls[ci].clone();
        let label = ctrl.labels[li].clone();
        match ctrl.kind {
            ControlKind::Choices => {
                let region = self.per_region_target(&ctrl);
                if !self.region_ready(&ctrl, &region) {
                    return Vec::new();
                }
                let key = label.key.clone();
                let nested = crate::config::dynamic::allows_nested(&ctrl);
                self.edit(move |_, r| {
                    let rid = region.as_ref().and_then(res::id_of).map(str::to_string);
                    let cur = res::current_list(r, &ctrl, rid.as_deref());
                    // Nested options (allowNested) are chosen as paths, subtrees at once.
                    let next = if nested {
                        res::toggle_nested(&ctrl, &cur, li)
                    } else {
                        res::toggle_choice(&cur, ctrl.choice, &key)
                    };
                    res::set_classification(
                        r,
                        &ctrl,
                        region.as_ref(),
                        (!next.is_empty()).then(|| Value::Array(next)),
                    );
                    true
                })
            }
            k if is_labels_control(k)
                || k == ControlKind::Labels
                || k == ControlKind::TimelineLabels =>
            {
                self.label_region(&ctrl, &label.key)
            }
            _ => Vec::new(),
        }
    }

    pub(in crate::tui) fn label_region(&mut self, ctrl: &ControlTag, key: &str) -> Vec<Effect> {
        let t = self.annotate.task.as_mut().expect("task");
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
            && t.draft
                .result()
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
                self.label_text_span(ctrl, &obj_name, key)
            }
            ObjectKind::Image => self.image_label(ctrl, &obj_name, key),
            ObjectKind::TimeSeries => self.timeseries_label(ctrl, &obj_name, key),
            ObjectKind::Video => self.video_label(ctrl, &obj_name, key),
            ObjectKind::Audio => self.audio_label(ctrl, &obj_name, key),
            _ => Vec::new(),
        }
    }

    pub(in crate::tui) fn panel_action(&mut self, ctrl: &ControlTag, a: Action) -> Vec<Effect> {
        let region = self.per_region_target(ctrl);
        let t = self.annotate.task.as_mut().expect("task");
        let cur = *t.opt_cursor.get(&ctrl.name).unwrap_or(&0);
        let rid = region.as_ref().and_then(res::id_of).map(str::to_string);
        let entries = res::current_list(t.draft.result(), ctrl, rid.as_deref());
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
        let t = self.annotate.task.as_ref().expect("task");
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
    pub(in crate::tui) fn pick_taxonomy(
        &mut self,
        ctrl: ControlTag,
        li: usize,
        has_children: bool,
    ) -> Vec<Effect> {
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

    pub(in crate::tui) fn commit_editor(&mut self, ed: Editor) -> Vec<Effect> {
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
            EditTarget::ReviewComment(annotation_id) => self.review_reject(annotation_id, text),
            target @ (EditTarget::VideoFrame(_)
            | EditTarget::VideoFrames(_)
            | EditTarget::VideoBox { .. }) => self.video_commit(target, &text),
            EditTarget::ChatMessage { chat, id, role } => {
                self.commit_chat_message(&chat, id.as_deref(), &role, text)
            }
            EditTarget::Number(control) => {
                let Some(ctrl) = self
                    .annotate
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
                    .annotate
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

    pub(in crate::tui) fn set_textarea_entry(
        &mut self,
        control: &str,
        entry: Option<usize>,
        text: String,
    ) -> Vec<Effect> {
        let Some(ctrl) = self
            .annotate
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
