//! The Video pane: keyframe editing by frame number, since a terminal cannot play video.
//! It shows the current frame, the boxes of the VideoRectangle tracks on it (drawn as
//! outlines on a frame-sized canvas, interpolated between keyframes as Label Studio
//! does), a timeline with the TimelineLabels ranges, the selected track's keyframes and
//! the frame range being selected. Keys step frames, add and remove keyframes, end a
//! track, type a box, and label a range; the geometry and result shapes live in
//! `annotate::video`.

use super::Content;
use super::ViewSource;
use super::view::region_color;
use crate::annotate::video::{self as vid, Extent, FrameBox, Track};
use crate::config::{ControlKind, ControlTag, ObjectTag};
use crate::term_safe::tui_safe;
use crate::tui::action::Action;
use crate::tui::app::{App, Effect};
use crate::tui::keymap::Ctx;
use crate::tui::popups::EditTarget;
use crate::tui::result as res;
use crate::tui::widgets::{block, clip};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use serde_json::Value;

/// One Video object's state: the current frame, a frame count typed by the user, and the
/// start of a frame range being selected.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoPane {
    /// The current frame (frames count from 1; 0 reads as 1).
    pub frame: u64,
    /// The frame count typed by the user (used when the file cannot be probed).
    pub entered: Option<u64>,
    /// Where the frame range being selected began.
    pub mark: Option<u64>,
    /// The track whose box the movement keys move or resize, and how.
    pub edit: Option<(String, BoxEdit)>,
}

/// What the movement keys do to the selected track's box on the current frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxEdit {
    Move,
    Resize,
}

/// A step of the box keys, in % of the frame (a coarse key steps five).
const BOX_STEP: f64 = 1.0;

impl VideoPane {
    pub fn current(&self) -> u64 {
        self.frame.max(1)
    }
}

/// What is known of a video: its frame rate and, when it can be told, its extent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoInfo {
    pub framerate: f64,
    pub extent: Option<Extent>,
    /// The extent is the file's (probed) or typed: frames stop there. One read from the
    /// results only says how far they reach.
    pub bounded: bool,
}

/// Whether a result is a VideoRectangle track.
pub fn is_track(r: &Value) -> bool {
    r.get("type").and_then(Value::as_str) == Some("videorectangle")
}

/// Whether a result is a TimelineLabels region.
pub fn is_timeline(r: &Value) -> bool {
    r.get("type").and_then(Value::as_str) == Some("timelinelabels")
}

/// Whether any control makes regions on this Video object (so that it gets the editing pane).
pub fn edits_video(config: &crate::config::LabelConfig, obj: &str) -> bool {
    config.controls.iter().any(|c| {
        matches!(
            c.kind,
            ControlKind::VideoRectangle | ControlKind::TimelineLabels
        ) && c.to_name.iter().any(|n| n == obj)
    })
}

/// One line for a track or timeline region in the Regions panel; `None` for other results.
pub fn describe(r: &Value) -> Option<String> {
    let v = &r["value"];
    let name = tui_safe(res::from_name(r), false).into_owned();
    let labels = res::labels_of(r);
    let labels = if labels.is_empty() {
        "—".to_string()
    } else {
        tui_safe(&labels.join(", "), false).into_owned()
    };
    if is_track(r) {
        let t = Track::of(v);
        let span = match t.span() {
            Some((a, b)) if a == b => format!(" frame {a}"),
            Some((a, b)) => format!(" frames {a}–{b}"),
            None => String::new(),
        };
        return Some(format!(
            "{name}: {labels} · {} keyframe{}{span}",
            t.len(),
            if t.len() == 1 { "" } else { "s" }
        ));
    }
    if is_timeline(r) {
        let ranges: Vec<String> = vid::ranges_of(v)
            .iter()
            .take(4)
            .map(|(a, b)| {
                if a == b {
                    format!("frame {a}")
                } else {
                    format!("frames {a}–{b}")
                }
            })
            .collect();
        return Some(format!("{name}: {labels} · {}", ranges.join(", ")));
    }
    None
}

impl App {
    fn video_pane(&self, obj: &str) -> VideoPane {
        self.annotate
            .task
            .as_ref()
            .and_then(|t| t.video.get(obj).cloned())
            .unwrap_or_default()
    }

    fn video_pane_mut(&mut self, obj: &str) -> &mut VideoPane {
        let t = self.annotate.task.as_mut().expect("task");
        t.video.entry(obj.to_string()).or_default()
    }

    /// The frame rate and extent of a video: probed duration first, then a frame count
    /// typed by the user, then what the stored results say.
    pub(in crate::tui) fn video_info(&self, obj: &str) -> VideoInfo {
        let Some(t) = &self.annotate.task else {
            return VideoInfo {
                framerate: vid::DEFAULT_FRAMERATE,
                extent: None,
                bounded: false,
            };
        };
        let framerate = t
            .config
            .object(obj)
            .map_or(vid::DEFAULT_FRAMERATE, |o| vid::framerate(o, &t.data));
        let probed = match t.contents.get(obj) {
            Some(Content::Media {
                duration: Some(d), ..
            }) => Extent::from_duration(*d, framerate),
            _ => None,
        };
        let entered = t
            .video
            .get(obj)
            .and_then(|p| p.entered)
            .map(|n| Extent::from_frames(n, framerate));
        let bounded = probed.is_some() || entered.is_some();
        let extent = probed.or(entered).or_else(|| {
            vid::extent_from_results(t.draft.result(), obj, framerate).or_else(|| {
                t.predicted
                    .iter()
                    .find_map(|p| vid::extent_from_results(p, obj, framerate))
            })
        });
        VideoInfo {
            framerate,
            extent,
            bounded,
        }
    }

    /// The extent written into a result: the known one, else reaching `frame`.
    fn extent_for(&self, obj: &str, frame: u64) -> (Extent, f64) {
        let info = self.video_info(obj);
        let e = match info.extent {
            Some(e) if e.frames >= frame => e,
            _ => Extent::from_frames(frame, info.framerate),
        };
        (e, info.framerate)
    }

    /// The selected region when it is one of my tracks on this video.
    fn selected_track(&self, obj: &str) -> Option<String> {
        let t = self.annotate.task.as_ref()?;
        let id = t.selected.as_deref()?;
        t.draft
            .result()
            .iter()
            .find(|r| res::id_of(r) == Some(id) && res::to_name(r) == obj && is_track(r))
            .map(|_| id.to_string())
    }

    fn set_frame(&mut self, obj: &str, frame: u64) {
        let info = self.video_info(obj);
        let last = info
            .extent
            .filter(|_| info.bounded)
            .map_or(vid::MAX_FRAMES, |e| e.frames);
        self.video_pane_mut(obj).frame = frame.clamp(1, last.max(1));
    }

    /// Changes my track `id`: `f` gets its value and the frame rate; `framesCount` and
    /// `duration` are written again as Label Studio writes them on every save.
    fn edit_track(
        &mut self,
        obj: &str,
        id: &str,
        f: impl FnOnce(&mut Value, f64) -> bool,
    ) -> Vec<Effect> {
        let frame = self.video_pane(obj).current();
        let (extent, framerate) = self.extent_for(obj, frame);
        let id = id.to_string();
        self.edit(move |_, r| {
            let Some(track) = r
                .iter_mut()
                .find(|x| res::id_of(x) == Some(id.as_str()) && is_track(x))
            else {
                return false;
            };
            let value = &mut track["value"];
            if !f(value, framerate) {
                return false;
            }
            let last = Track::of(value).span().map_or(0, |(_, l)| l);
            let e = if extent.frames >= last {
                extent
            } else {
                Extent::from_frames(last, framerate)
            };
            vid::stamp(value, e.frames, e.duration, framerate);
            same_extent(r, obj, &id, e);
            true
        })
    }

    /// A new track on the current frame with the default box and `labels`, selected.
    fn new_track(&mut self, obj: &str, labels: Vec<String>) -> Vec<Effect> {
        let Some(ctrl) = self.video_control(obj, ControlKind::VideoRectangle) else {
            self.info("no VideoRectangle control targets this video");
            return Vec::new();
        };
        let frame = self.video_pane(obj).current();
        let (extent, framerate) = self.extent_for(obj, frame);
        let track = vid::new_track(
            &ctrl,
            obj,
            frame,
            FrameBox::DEFAULT,
            &labels,
            extent,
            framerate,
        );
        let id = res::id_of(&track).map(str::to_string);
        let (obj_name, new_id) = (obj.to_string(), id.clone().unwrap_or_default());
        let e = self.edit(move |_, r| {
            r.push(track);
            same_extent(r, &obj_name, &new_id, extent);
            true
        });
        if let Some(t) = &mut self.annotate.task {
            t.selected = id;
        }
        let enter = self.video_key(Action::Activate);
        self.info(format!(
            "new track on frame {frame}: {enter} types its box (x y width height in %)"
        ));
        e
    }

    fn video_control(&self, obj: &str, kind: ControlKind) -> Option<ControlTag> {
        let t = self.annotate.task.as_ref()?;
        t.config
            .controls
            .iter()
            .find(|c| c.kind == kind && c.to_name.iter().any(|n| n == obj))
            .cloned()
    }

    fn video_key(&self, a: Action) -> String {
        crate::tui::strings::key_in(&self.keymap, Ctx::Video, a)
    }

    /// A label key with a video focused: a TimelineLabels label labels the range being
    /// selected (or the current frame); a Labels label relabels the selected track or
    /// starts a new one on this frame.
    pub(in crate::tui) fn video_label(
        &mut self,
        ctrl: &ControlTag,
        obj: &str,
        key: &str,
    ) -> Vec<Effect> {
        let pane = self.video_pane(obj);
        match ctrl.kind {
            ControlKind::TimelineLabels => {
                let end = pane.current();
                let start = pane.mark.unwrap_or(end);
                let region = vid::timeline_region(ctrl, obj, start, end, key);
                let id = res::id_of(&region).map(str::to_string);
                let e = self.edit(move |_, r| {
                    r.push(region);
                    true
                });
                self.video_pane_mut(obj).mark = None;
                if let Some(t) = &mut self.annotate.task {
                    t.selected = id;
                }
                let (a, b) = (start.min(end), start.max(end));
                self.info(if a == b {
                    format!("{key} on frame {a}")
                } else {
                    format!("{key} on frames {a}–{b}")
                });
                e
            }
            _ => {
                if let Some(id) = self.selected_track(obj) {
                    let key = key.to_string();
                    let multiple = ctrl.choice == crate::config::ChoiceMode::Multiple;
                    return self.edit_track(obj, &id, move |v, _| {
                        vid::toggle_label(v, &key, multiple);
                        true
                    });
                }
                self.new_track(obj, vec![key.to_string()])
            }
        }
    }

    /// A track or timeline region just selected (Tab) that does not cover the current
    /// frame brings its first frame into view, as Label Studio's outliner does.
    pub(in crate::tui) fn video_follow_selected(&mut self) {
        let Some(r) = self.selected_region() else {
            return;
        };
        let obj = res::to_name(&r).to_string();
        let now = self.video_pane(&obj).current();
        let v = &r["value"];
        let target = if is_track(&r) {
            let t = Track::of(v);
            match t.at(now) {
                Some(a) if a.visible => None,
                _ => t.span().map(|(first, _)| first),
            }
        } else if is_timeline(&r) {
            let ranges = vid::ranges_of(v);
            (!ranges.iter().any(|(a, b)| (*a..=*b).contains(&now)))
                .then(|| ranges.first().map(|(a, _)| *a))
                .flatten()
        } else {
            None
        };
        if let Some(f) = target {
            self.video_pane_mut(&obj).frame = f.max(1);
        }
    }

    /// What a key does with a video focused.
    pub(in crate::tui) fn video_action(&mut self, obj: &ObjectTag, a: Action) -> Vec<Effect> {
        let name = obj.name.clone();
        let pane = self.video_pane(&name);
        let now = pane.current();
        let info = self.video_info(&name);
        let track = self.selected_track(&name);
        let editing = pane
            .edit
            .as_ref()
            .filter(|(id, _)| Some(id) == track.as_ref())
            .map(|(_, m)| *m);
        if let (Some(mode), Some(id)) = (editing, &track) {
            let step = match a {
                Action::Left => Some((-1.0, 0.0)),
                Action::Right => Some((1.0, 0.0)),
                Action::Up => Some((0.0, -1.0)),
                Action::Down => Some((0.0, 1.0)),
                Action::CoarseLeft => Some((-5.0, 0.0)),
                Action::CoarseRight => Some((5.0, 0.0)),
                _ => None,
            };
            if let Some((dx, dy)) = step {
                let n = self.annotate.take_count() as f64 * BOX_STEP;
                let (dx, dy) = (dx * n, dy * n);
                return self.edit_track(&name, id, move |v, fr| {
                    let b = Track::of(v).at(now).map_or(FrameBox::DEFAULT, |a| a.shape);
                    let next = match mode {
                        BoxEdit::Move => b.shifted(dx, dy),
                        BoxEdit::Resize => b.resized(dx, dy),
                    };
                    vid::set_box(v, now, next, fr);
                    true
                });
            }
        }
        match a {
            Action::Left | Action::Right | Action::CoarseLeft | Action::CoarseRight => {
                let n = self.annotate.take_count() as u64;
                let step = if matches!(a, Action::CoarseLeft | Action::CoarseRight) {
                    10 * n
                } else {
                    n
                };
                let to = if matches!(a, Action::Left | Action::CoarseLeft) {
                    now.saturating_sub(step)
                } else {
                    now.saturating_add(step)
                };
                self.set_frame(&name, to);
                Vec::new()
            }
            Action::LineStart => {
                self.set_frame(&name, 1);
                Vec::new()
            }
            Action::LineEnd => {
                match info.extent {
                    Some(e) => self.set_frame(&name, e.frames),
                    None => self.info(format!(
                        "the frame count is not known: {} sets it",
                        self.video_key(Action::SetFrames)
                    )),
                }
                Vec::new()
            }
            Action::JumpFrame => {
                self.start_editor(EditTarget::VideoFrame(name), now.to_string());
                Vec::new()
            }
            Action::SetFrames => {
                let now = pane
                    .entered
                    .or(info.extent.map(|e| e.frames))
                    .map(|n| n.to_string())
                    .unwrap_or_default();
                self.start_editor(EditTarget::VideoFrames(name), now);
                Vec::new()
            }
            Action::Select => {
                let p = self.video_pane_mut(&name);
                p.mark = match p.mark {
                    Some(_) => None,
                    None => Some(now),
                };
                let on = p.mark.is_some();
                self.info(if on {
                    format!("range from frame {now}: move, then a TimelineLabels key labels it")
                } else {
                    "range dropped".to_string()
                });
                Vec::new()
            }
            Action::StopDrawing => {
                let p = self.video_pane_mut(&name);
                if p.mark.take().is_some() || p.edit.take().is_some() {
                    return Vec::new();
                }
                self.task_action(Action::Cancel)
            }
            Action::CycleEdit => {
                let Some(id) = track else {
                    self.info(format!(
                        "select a track first ({})",
                        crate::tui::strings::key(&self.keymap, Action::NextRegion)
                    ));
                    return Vec::new();
                };
                let next = match editing {
                    None => Some(BoxEdit::Move),
                    Some(BoxEdit::Move) => Some(BoxEdit::Resize),
                    Some(BoxEdit::Resize) => None,
                };
                self.video_pane_mut(&name).edit = next.map(|m| (id, m));
                self.info(match next {
                    Some(BoxEdit::Move) => format!(
                        "box: movement keys move it on frame {now} (a keyframe there), a count steps more"
                    ),
                    Some(BoxEdit::Resize) => {
                        "box: movement keys move its right and bottom edges".to_string()
                    }
                    None => "box edit off: movement keys step frames".to_string(),
                });
                Vec::new()
            }
            Action::NewRect => {
                let labels = self
                    .annotate
                    .task
                    .as_ref()
                    .and_then(|t| {
                        let c = vid::track_labels(&t.config, &name)?;
                        t.last_label.get(&c.name).cloned()
                    })
                    .into_iter()
                    .collect();
                self.new_track(&name, labels)
            }
            _ => {
                let Some(id) = track else {
                    if matches!(
                        a,
                        Action::Activate
                            | Action::AddKeyframe
                            | Action::RemoveKeyframe
                            | Action::ToggleLifespan
                            | Action::PrevKeyframe
                            | Action::NextKeyframe
                    ) {
                        self.info(format!(
                            "select a track first ({}), or {} starts one",
                            crate::tui::strings::key(&self.keymap, Action::NextRegion),
                            self.video_key(Action::NewRect)
                        ));
                    }
                    return Vec::new();
                };
                self.track_action(&name, &id, now, a)
            }
        }
    }

    fn track_value(&self, id: &str) -> Option<Value> {
        let t = self.annotate.task.as_ref()?;
        t.draft
            .result()
            .iter()
            .find(|r| res::id_of(r) == Some(id) && is_track(r))
            .map(|r| r["value"].clone())
    }

    fn track_action(&mut self, obj: &str, id: &str, now: u64, a: Action) -> Vec<Effect> {
        match a {
            Action::Activate => {
                let shown = self
                    .track_value(id)
                    .and_then(|v| Track::of(&v).at(now))
                    .map_or(FrameBox::DEFAULT, |s| s.shape);
                let text = format!(
                    "{} {} {} {}",
                    round2(shown.x),
                    round2(shown.y),
                    round2(shown.width),
                    round2(shown.height)
                );
                self.start_editor(
                    EditTarget::VideoBox {
                        object: obj.to_string(),
                        id: id.to_string(),
                        frame: now,
                    },
                    text,
                );
                Vec::new()
            }
            Action::AddKeyframe => {
                let e = self.edit_track(obj, id, move |v, fr| vid::add_keyframe(v, now, fr));
                if e.is_empty() {
                    self.info(format!("frame {now} is a keyframe already"));
                } else {
                    self.info(format!("keyframe on frame {now}"));
                }
                e
            }
            Action::RemoveKeyframe => {
                let e = self.edit_track(obj, id, move |v, _| vid::remove_keyframe(v, now));
                if e.is_empty() {
                    self.info(format!(
                        "no keyframe to remove on frame {now} (a track keeps one)"
                    ));
                }
                e
            }
            Action::ToggleLifespan => {
                let mut told = None;
                let e = self.edit_track(obj, id, |v, _| {
                    told = vid::toggle_enabled(v, now);
                    told.is_some()
                });
                match told {
                    Some((f, false)) => self.info(format!("track ends at frame {f}")),
                    Some((f, true)) => self.info(format!("track goes on from frame {f}")),
                    None => self.info("no keyframe on or before this frame"),
                }
                e
            }
            Action::PrevKeyframe | Action::NextKeyframe => {
                let Some(v) = self.track_value(id) else {
                    return Vec::new();
                };
                let (prev, next) = Track::of(&v).neighbours(now);
                let to = if a == Action::PrevKeyframe {
                    prev
                } else {
                    next
                };
                match to {
                    Some(f) => self.video_pane_mut(obj).frame = f.max(1),
                    None => self.info("no keyframe that way"),
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The inline editor's text for a video target: a frame to go to, a frame count, or
    /// a box on a frame.
    pub(in crate::tui) fn video_commit(&mut self, target: EditTarget, text: &str) -> Vec<Effect> {
        let t = text.trim();
        match target {
            EditTarget::VideoFrame(obj) => {
                match t.parse::<u64>() {
                    Ok(n) if n >= 1 => self.set_frame(&obj, n),
                    _ => self.warn(format!("not a frame number: {:?}", tui_safe(t, false))),
                }
                Vec::new()
            }
            EditTarget::VideoFrames(obj) => {
                if t.is_empty() {
                    self.video_pane_mut(&obj).entered = None;
                    return Vec::new();
                }
                match t.parse::<u64>() {
                    Ok(n) if (1..=vid::MAX_FRAMES).contains(&n) => {
                        self.video_pane_mut(&obj).entered = Some(n);
                        let cur = self.video_pane(&obj).current();
                        self.set_frame(&obj, cur);
                    }
                    _ => self.warn(format!("not a frame count: {:?}", tui_safe(t, false))),
                }
                Vec::new()
            }
            EditTarget::VideoBox { object, id, frame } => match FrameBox::parse(t) {
                Ok(b) => self.edit_track(&object, &id, move |v, fr| {
                    // The keyframe keeps its rotation.
                    let rot = Track::of(v).at(frame).map_or(0.0, |a| a.shape.rotation);
                    vid::set_box(v, frame, FrameBox { rotation: rot, ..b }, fr);
                    true
                }),
                Err(e) => {
                    self.warn(format!("box not changed: {e}"));
                    Vec::new()
                }
            },
            _ => Vec::new(),
        }
    }
}

/// Label Studio writes one video's frame count and duration into all its tracks: the
/// tracks on `obj` other than `id` take `e`.
fn same_extent(result: &mut [Value], obj: &str, id: &str, e: Extent) {
    for other in result
        .iter_mut()
        .filter(|x| is_track(x) && res::to_name(x) == obj && res::id_of(x) != Some(id))
    {
        if let Some(m) = other["value"].as_object_mut() {
            m.insert("framesCount".into(), serde_json::json!(e.frames));
            m.insert("duration".into(), serde_json::json!(e.duration));
        }
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The tracks and timeline regions on `obj`, borrowed: those of the result shown, then,
/// over my own, the predictions' not yet taken or rejected.
fn video_regions<'a>(app: &'a App, shown: &'a [Value], obj: &str) -> Vec<(&'a Value, bool)> {
    let Some(t) = &app.annotate.task else {
        return Vec::new();
    };
    let on = |r: &Value| res::to_name(r) == obj && (is_track(r) || is_timeline(r));
    let mine = t.source == ViewSource::Mine;
    let mut out: Vec<(&Value, bool)> = shown.iter().filter(|r| on(r)).map(|r| (r, !mine)).collect();
    if mine && t.show_predictions {
        let ids: std::collections::HashSet<&str> =
            out.iter().filter_map(|(r, _)| res::id_of(r)).collect();
        for p in &t.predicted {
            for r in p.iter().filter(|r| on(r)) {
                if res::id_of(r).is_none_or(|i| !ids.contains(i) && !t.rejected.contains(i)) {
                    out.push((r, true));
                }
            }
        }
    }
    out
}

/// Draws a Video pane that edits frames.
pub(super) fn draw(
    f: &mut Frame,
    app: &App,
    o: &ObjectTag,
    area: Rect,
    title: String,
    focused: bool,
) {
    let th = &app.theme;
    let Some(t) = &app.annotate.task else {
        return;
    };
    let b = block(th, title, focused);
    let inner = b.inner(area);
    f.render_widget(b, area);
    if inner.width < 4 || inner.height == 0 {
        return;
    }
    let pane = t.video.get(&o.name).cloned().unwrap_or_default();
    let now = pane.current();
    let info = app.video_info(&o.name);
    let w = usize::from(inner.width);
    // Line 1: the source and what is known of it.
    let (shown, error) = match t.contents.get(&o.name) {
        Some(Content::Media {
            shown,
            error,
            source,
            ..
        }) => (
            shown.clone(),
            error.clone().or_else(|| source.as_ref().err().cloned()),
        ),
        _ => (String::new(), None),
    };
    let extent = match info.extent {
        Some(e) if info.bounded => format!("{} frames ({:.2} s)", e.frames, e.duration),
        Some(e) => format!(
            "{} frames as the results say ({} sets the count)",
            e.frames,
            app.keymap
                .key_for(Ctx::Video, Action::SetFrames)
                .unwrap_or_default()
        ),
        None => format!(
            "frame count unknown ({} sets it)",
            app.keymap
                .key_for(Ctx::Video, Action::SetFrames)
                .unwrap_or_default()
        ),
    };
    let mut head = vec![
        Span::styled("▶ ", th.accent()),
        Span::raw(clip(&shown, w / 2)),
        Span::styled(format!(" · {} fps · {extent}", info.framerate), th.dim()),
    ];
    if error.is_some() {
        head.push(Span::styled(" · file not readable", th.warn()));
    }
    // Line 2: the frame and what is on it.
    let shown = super::panels::shown_ref(app);
    let regions = video_regions(app, &shown, &o.name);
    let selected = t.selected.as_deref();
    let mut status = vec![Span::styled(
        format!("frame {now} · {:.2} s", now as f64 / info.framerate),
        th.accent().add_modifier(Modifier::BOLD),
    )];
    if let Some(m) = pane.mark {
        status.push(Span::styled(
            format!(" · range {}–{}", m.min(now), m.max(now)),
            th.selection(),
        ));
    }
    if let Some((id, mode)) = &pane.edit
        && Some(id.as_str()) == t.selected.as_deref()
    {
        status.push(Span::styled(
            match mode {
                BoxEdit::Move => " · moving the box",
                BoxEdit::Resize => " · resizing the box",
            },
            th.cursor(),
        ));
    }
    let sel_track = regions
        .iter()
        .find(|(r, _)| is_track(r) && res::id_of(r).is_some_and(|i| Some(i) == selected));
    let mut problem = None;
    if let Some((r, _)) = sel_track {
        let tr = Track::of(&r["value"]);
        problem = tr.problem();
        match tr.at(now) {
            Some(a) if a.keyframe => status.push(Span::raw(" · ◆ keyframe")),
            Some(a) if !a.visible => status.push(Span::raw(" · track ended")),
            Some(_) => status.push(Span::raw(" · interpolated")),
            None => status.push(Span::raw(" · before the track")),
        }
        if let Some(a) = tr.at(now) {
            status.push(Span::styled(
                format!(
                    " · {:.1},{:.1} {:.1}×{:.1}%",
                    a.shape.x, a.shape.y, a.shape.width, a.shape.height
                ),
                th.dim(),
            ));
        }
    }
    let mut lines = vec![Line::from(head), Line::from(status)];
    let fixed = lines.len() as u16;
    let para = Rect {
        height: inner.height.min(fixed),
        ..inner
    };
    f.render_widget(Paragraph::new(lines.split_off(0)), para);
    // The bottom: timeline, then a note (a problem with the data, or the keys).
    let left = inner.height.saturating_sub(fixed);
    let note_rows = u16::from(left >= 3);
    let timeline_rows = u16::from(left >= 2);
    let canvas_h = left.saturating_sub(note_rows + timeline_rows);
    let canvas = Rect {
        y: inner.y + fixed,
        height: canvas_h,
        ..inner
    };
    if canvas.height > 0 {
        draw_canvas(f, app, &regions, now, selected, canvas);
    }
    if timeline_rows > 0 {
        let row = Rect {
            y: canvas.y + canvas_h,
            height: 1,
            ..inner
        };
        draw_timeline(f, app, &regions, &pane, info, selected, row);
    }
    if note_rows > 0 {
        let row = Rect {
            y: inner.y + inner.height - 1,
            height: 1,
            ..inner
        };
        let tracks = regions.iter().filter(|(r, _)| is_track(r)).count();
        let has_tracker = t
            .config
            .controls
            .iter()
            .any(|c| c.kind == ControlKind::VideoRectangle && c.to_name.contains(&o.name));
        let (text, st) = match (problem, sel_track) {
            (Some(p), _) => (format!("odd track data: {p}"), th.warn()),
            (None, Some((r, _))) => {
                let tr = Track::of(&r["value"]);
                let frames: Vec<String> = tr
                    .keyframes()
                    .iter()
                    .take(12)
                    .filter_map(vid::frame_of)
                    .map(|f| f.to_string())
                    .collect();
                let more = if tr.len() > 12 { ", …" } else { "" };
                (
                    format!("keyframes ({}): {}{more}", tr.len(), frames.join(", ")),
                    th.dim(),
                )
            }
            (None, None) if tracks == 0 && !has_tracker => (
                format!(
                    "{} starts a frame range, a label key labels it (or this frame)",
                    app.keymap
                        .key_for(Ctx::Video, Action::Select)
                        .unwrap_or_default()
                ),
                th.dim(),
            ),
            (None, None) if tracks == 0 => (
                format!(
                    "no tracks yet: a label key or {} starts one on this frame",
                    app.keymap
                        .key_for(Ctx::Video, Action::NewRect)
                        .unwrap_or_default()
                ),
                th.dim(),
            ),
            (None, None) => (
                format!(
                    "{tracks} track(s): {} selects one",
                    crate::tui::strings::key(&app.keymap, Action::NextRegion)
                ),
                th.dim(),
            ),
        };
        f.render_widget(Paragraph::new(clip(&text, w)).style(st), row);
    }
}

/// The frame as a canvas: each visible track's box as an outline, the selected one
/// highlighted, its first label on the top edge.
fn draw_canvas(
    f: &mut Frame,
    app: &App,
    regions: &[(&Value, bool)],
    now: u64,
    selected: Option<&str>,
    area: Rect,
) {
    let th = &app.theme;
    let Some(t) = &app.annotate.task else {
        return;
    };
    let buf = f.buffer_mut();
    // A faint frame edge, so that an empty canvas still shows where the frame is.
    for y in area.y..area.y + area.height {
        for x in area.x..area.x + area.width {
            let edge = y == area.y || y + 1 == area.y + area.height;
            if edge && let Some(c) = buf.cell_mut((x, y)) {
                c.set_symbol("┈").set_style(th.dim());
            }
        }
    }
    let (cw, ch) = (f64::from(area.width), f64::from(area.height));
    // The selected track is drawn last, on top.
    let mut order: Vec<&(&Value, bool)> = regions.iter().filter(|(r, _)| is_track(r)).collect();
    order.sort_by_key(|(r, _)| res::id_of(r) == selected && selected.is_some());
    for (r, predicted) in order {
        let Some(a) = Track::of(&r["value"]).at(now) else {
            continue;
        };
        if !a.visible {
            continue;
        }
        let s = a.shape;
        let col = |p: f64| ((p / 100.0 * cw).floor().clamp(0.0, cw - 1.0)) as u16;
        let row = |p: f64| ((p / 100.0 * ch).floor().clamp(0.0, ch - 1.0)) as u16;
        let (x0, x1) = (col(s.x), col(s.x + s.width).max(col(s.x)));
        let (y0, y1) = (row(s.y), row(s.y + s.height).max(row(s.y)));
        let is_sel = selected.is_some() && res::id_of(r) == selected;
        let color = region_color(app, &t.config, r);
        let mut st = th.region_style(color, *predicted);
        if th.mono {
            st = Style::default();
        }
        if is_sel {
            st = st.patch(th.cursor());
        }
        let buf = f.buffer_mut();
        let mut put = |x: u16, y: u16, sym: &str| {
            if let Some(c) = buf.cell_mut((area.x + x, area.y + y)) {
                c.set_symbol(sym).set_style(st);
            }
        };
        for x in x0..=x1 {
            put(x, y0, "─");
            put(x, y1, "─");
        }
        for y in y0..=y1 {
            put(x0, y, "│");
            put(x1, y, "│");
        }
        if x1 > x0 && y1 > y0 {
            put(x0, y0, "┌");
            put(x1, y0, "┐");
            put(x0, y1, "└");
            put(x1, y1, "┘");
        }
        let name = res::labels_of(r)
            .first()
            .cloned()
            .unwrap_or_else(|| res::from_name(r).to_string());
        let room = usize::from(x1.saturating_sub(x0)).saturating_sub(1);
        if room > 0 {
            let label = clip(&name, room);
            let buf = f.buffer_mut();
            buf.set_stringn(
                area.x + x0 + 1,
                area.y + y0,
                &label,
                room,
                st.add_modifier(Modifier::BOLD),
            );
        }
    }
}

/// The timeline: frames 1..=N across the row, the TimelineLabels ranges as bars, the
/// selected track's keyframes as ◆, the range being selected, and the current frame.
fn draw_timeline(
    f: &mut Frame,
    app: &App,
    regions: &[(&Value, bool)],
    pane: &VideoPane,
    info: VideoInfo,
    selected: Option<&str>,
    row: Rect,
) {
    let th = &app.theme;
    let Some(t) = &app.annotate.task else {
        return;
    };
    let now = pane.current();
    let width = u64::from(row.width);
    if width == 0 {
        return;
    }
    let frames = info.extent.map_or(now, |e| e.frames).max(now).max(1);
    // Column of a frame, and the frames a column covers.
    let col_of = |fr: u64| ((fr.saturating_sub(1)).min(frames - 1) * width / frames) as u16;
    let frames_of = |c: u64| {
        let lo = c * frames / width + 1;
        let hi = ((c + 1) * frames / width).max(lo);
        (lo, hi)
    };
    let buf = f.buffer_mut();
    for c in 0..row.width {
        if let Some(cell) = buf.cell_mut((row.x + c, row.y)) {
            cell.set_symbol("─").set_style(th.dim());
        }
    }
    for (r, predicted) in regions.iter().filter(|(r, _)| is_timeline(r)) {
        let color = region_color(app, &t.config, r);
        let mut st = th.region_style(color, *predicted);
        if selected.is_some() && res::id_of(r) == selected {
            st = st.patch(th.cursor());
        }
        for (a, b) in vid::ranges_of(&r["value"]) {
            for c in col_of(a)..=col_of(b) {
                if let Some(cell) = buf.cell_mut((row.x + c, row.y)) {
                    cell.set_symbol("━").set_style(st);
                }
            }
        }
    }
    if let Some(m) = pane.mark {
        let (a, b) = (m.min(now), m.max(now));
        for c in col_of(a)..=col_of(b) {
            if let Some(cell) = buf.cell_mut((row.x + c, row.y)) {
                cell.set_style(th.selection());
            }
        }
    }
    if let Some((r, _)) = regions
        .iter()
        .find(|(r, _)| is_track(r) && selected.is_some() && res::id_of(r) == selected)
    {
        let tr = Track::of(&r["value"]);
        // One binary search per column: as fast for a million keyframes as for three.
        for c in 0..width {
            let (lo, hi) = frames_of(c);
            if tr.has_keyframe_in(lo, hi)
                && let Some(cell) = buf.cell_mut((row.x + c as u16, row.y))
            {
                cell.set_symbol("◆").set_style(th.accent());
            }
        }
    }
    if let Some(cell) = buf.cell_mut((row.x + col_of(now), row.y)) {
        cell.set_symbol("┃").set_style(th.cursor());
    }
}
