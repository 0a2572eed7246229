//! Video regions by frame number, without a player: VideoRectangle tracks (keyframes with
//! a box each, interpolated between them for display) and TimelineLabels ranges, in
//! Label Studio's result shapes.
//!
//! Frames count from 1, as Label Studio's video player does. A track's `sequence` is
//! kept sorted by frame; each keyframe's `time` is `frame / framerate`. Between two
//! keyframes a box is interpolated linearly; after the last it stays as the last; before
//! the first there is none. A keyframe with `enabled: false` ends the track's lifespan
//! there (the box shows on that frame and not after it, until an enabled keyframe).
//!
//! Reading never fails: a keyframe without a frame number is skipped, a missing
//! coordinate reads as 0, and [`Track::problem`] says what was odd so that the screen
//! can tell it.

use crate::annotate::region::num;
use crate::config::{ControlTag, LabelConfig, ObjectTag};
use serde_json::{Map, Value, json};

/// Frames per second when the config gives none or an unusable one (Label Studio's default).
pub const DEFAULT_FRAMERATE: f64 = 24.0;

/// The most frames a video may have here: beyond this a count is taken as bad data.
pub const MAX_FRAMES: u64 = 1_000_000_000;

/// The frame rate of a Video object: its `frameRate` attribute (read case-insensitively,
/// `$key` from the task data allowed); a rate below 1 is a frame duration and is
/// inverted; anything unusable gives 24, as Label Studio does.
pub fn framerate(obj: &ObjectTag, data: &Value) -> f64 {
    let Some(raw) = obj.attr("frameRate") else {
        return DEFAULT_FRAMERATE;
    };
    let text = match raw.strip_prefix('$') {
        Some(key) => match crate::task::resolve::resolve_attr(raw, data) {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s,
            _ => key.to_string(),
        },
        None => raw.to_string(),
    };
    match text.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 1.0 => f,
        Ok(f) if f.is_finite() && f > 0.0 => 1.0 / f,
        _ => DEFAULT_FRAMERATE,
    }
}

/// A box on one frame, in % of the frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameBox {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub rotation: f64,
}

impl FrameBox {
    /// The box a new track starts with: the middle quarter of the frame.
    pub const DEFAULT: FrameBox = FrameBox {
        x: 25.0,
        y: 25.0,
        width: 50.0,
        height: 50.0,
        rotation: 0.0,
    };

    fn of(item: &Value) -> FrameBox {
        let f = |k: &str| item.get(k).and_then(num).filter(|v| v.is_finite());
        FrameBox {
            x: f("x").unwrap_or(0.0),
            y: f("y").unwrap_or(0.0),
            width: f("width").unwrap_or(0.0),
            height: f("height").unwrap_or(0.0),
            rotation: f("rotation").unwrap_or(0.0),
        }
    }

    fn lerp(a: FrameBox, b: FrameBox, r: f64) -> FrameBox {
        let l = |p: f64, q: f64| p + (q - p) * r;
        FrameBox {
            x: l(a.x, b.x),
            y: l(a.y, b.y),
            width: l(a.width, b.width),
            height: l(a.height, b.height),
            rotation: l(a.rotation, b.rotation),
        }
    }

    /// Parses `x y width height` (commas allowed), kept inside the frame.
    pub fn parse(text: &str) -> Result<FrameBox, String> {
        let parts: Vec<&str> = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .collect();
        if parts.len() != 4 {
            return Err("give four numbers: x y width height (in % of the frame)".into());
        }
        let mut n = [0.0; 4];
        for (i, p) in parts.iter().enumerate() {
            n[i] = p
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{p:?} is not a number"))?;
        }
        let [x, y, w, h] = n;
        if !(0.0..=100.0).contains(&x) || !(0.0..=100.0).contains(&y) {
            return Err("x and y are between 0 and 100".into());
        }
        if w <= 0.0 || h <= 0.0 || x + w > 100.0 + 1e-9 || y + h > 100.0 + 1e-9 {
            return Err("width and height are above 0 and keep the box inside the frame".into());
        }
        Ok(FrameBox {
            x,
            y,
            width: w,
            height: h,
            rotation: 0.0,
        })
    }

    /// Moves the box by (dx, dy) %, kept inside the frame.
    pub fn shifted(self, dx: f64, dy: f64) -> FrameBox {
        FrameBox {
            x: (self.x + dx).clamp(0.0, (100.0 - self.width).max(0.0)),
            y: (self.y + dy).clamp(0.0, (100.0 - self.height).max(0.0)),
            ..self
        }
    }

    /// Grows or shrinks the box by (dw, dh) %, at least 1 % and inside the frame.
    pub fn resized(self, dw: f64, dh: f64) -> FrameBox {
        FrameBox {
            width: (self.width + dw).clamp(1.0, (100.0 - self.x).max(1.0)),
            height: (self.height + dh).clamp(1.0, (100.0 - self.y).max(1.0)),
            ..self
        }
    }
}

/// The frame number of a keyframe, when it has a usable one.
pub fn frame_of(item: &Value) -> Option<u64> {
    let f = item.get("frame").and_then(num)?;
    (f.is_finite() && f >= 0.0 && f <= MAX_FRAMES as f64).then_some(f.round() as u64)
}

fn enabled_of(item: &Value) -> bool {
    item.get("enabled").and_then(Value::as_bool).unwrap_or(true)
}

/// A VideoRectangle track read from its result value: a view over `value.sequence`.
#[derive(Debug, Clone, Copy)]
pub struct Track<'a> {
    seq: &'a [Value],
}

/// What a track shows on one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AtFrame {
    pub shape: FrameBox,
    /// A keyframe sits on this very frame.
    pub keyframe: bool,
    /// The frame is inside the track's lifespan (the box is drawn).
    pub visible: bool,
}

impl<'a> Track<'a> {
    pub fn of(value: &'a Value) -> Track<'a> {
        let seq = value
            .get("sequence")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        Track { seq }
    }

    pub fn len(&self) -> usize {
        self.seq.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seq.is_empty()
    }

    /// The keyframes, as stored.
    pub fn keyframes(&self) -> &'a [Value] {
        self.seq
    }

    /// Index of the first keyframe whose frame is at or after `frame`. The sequence is
    /// sorted (as Label Studio keeps it), so this is a binary search: a track of a million
    /// keyframes costs no more to draw than one of ten. Keyframes without a frame sort last.
    fn lower_bound(&self, frame: u64) -> usize {
        self.seq
            .partition_point(|k| frame_of(k).unwrap_or(u64::MAX) < frame)
    }

    /// The box on `frame`: exact on a keyframe, interpolated between two, the last one's
    /// after the end; `None` before the first keyframe.
    pub fn at(&self, frame: u64) -> Option<AtFrame> {
        let i = self.lower_bound(frame);
        let next = self.seq.get(i).filter(|k| frame_of(k).is_some());
        if let Some(k) = next
            && frame_of(k) == Some(frame)
        {
            return Some(AtFrame {
                shape: FrameBox::of(k),
                keyframe: true,
                // A disabled keyframe still shows on its own frame: it is where the track ends.
                visible: true,
            });
        }
        let prev = i.checked_sub(1).map(|p| &self.seq[p])?;
        let pf = frame_of(prev)?;
        let visible = enabled_of(prev);
        let shape = match next {
            Some(n) => {
                let nf = frame_of(n).unwrap_or(pf);
                let r = if nf > pf {
                    (frame - pf) as f64 / (nf - pf) as f64
                } else {
                    0.0
                };
                FrameBox::lerp(FrameBox::of(prev), FrameBox::of(n), r)
            }
            None => FrameBox::of(prev),
        };
        Some(AtFrame {
            shape,
            keyframe: false,
            visible,
        })
    }

    /// Whether a keyframe lies on a frame in `lo..=hi`.
    pub fn has_keyframe_in(&self, lo: u64, hi: u64) -> bool {
        let i = self.lower_bound(lo);
        self.seq.get(i).and_then(frame_of).is_some_and(|f| f <= hi)
    }

    /// First and last keyframe frames.
    pub fn span(&self) -> Option<(u64, u64)> {
        let first = self.seq.iter().find_map(frame_of)?;
        let last = self.seq.iter().rev().find_map(frame_of)?;
        Some((first, last.max(first)))
    }

    /// The keyframe before `frame` and the one after it (for stepping between keyframes).
    pub fn neighbours(&self, frame: u64) -> (Option<u64>, Option<u64>) {
        let i = self.lower_bound(frame);
        let prev = self.seq[..i].iter().rev().find_map(frame_of);
        let after = self.lower_bound(frame.saturating_add(1));
        let next = self.seq.get(after).and_then(frame_of);
        (prev, next)
    }

    /// What is odd about the stored sequence, if anything (said on screen, never fatal).
    pub fn problem(&self) -> Option<String> {
        // Only a bounded prefix is checked per call: a frame must stay fast.
        let checked = self.seq.len().min(10_000);
        let mut last = None;
        for (i, k) in self.seq[..checked].iter().enumerate() {
            let Some(f) = frame_of(k) else {
                return Some(format!("keyframe {} has no usable frame number", i + 1));
            };
            if last.is_some_and(|l| f < l) {
                return Some(format!("keyframes are not in frame order at {}", i + 1));
            }
            for key in ["x", "y", "width", "height"] {
                if k.get(key).and_then(num).is_none() {
                    return Some(format!("keyframe at frame {f} has no {key}"));
                }
            }
            last = Some(f);
        }
        None
    }
}

/// One keyframe as Label Studio writes it.
fn keyframe_json(frame: u64, enabled: bool, b: FrameBox, framerate: f64) -> Value {
    json!({
        "x": b.x,
        "y": b.y,
        "width": b.width,
        "height": b.height,
        "rotation": b.rotation,
        "enabled": enabled,
        "frame": frame,
        "time": frame as f64 / framerate,
    })
}

fn sequence_mut(value: &mut Value) -> Option<&mut Vec<Value>> {
    let m = value.as_object_mut()?;
    let seq = m.entry("sequence").or_insert_with(|| json!([]));
    if !seq.is_array() {
        *seq = json!([]);
    }
    seq.as_array_mut()
}

/// Sets the box of `frame`: replaces the keyframe's geometry there, or adds a keyframe,
/// keeping the sequence in frame order. Label Studio's `updateShape`: a keyframe added
/// after the last one is enabled (a box drawn there resumes an ended track), one added
/// before or between takes `enabled` from the keyframe before it, else the one after.
pub fn set_box(value: &mut Value, frame: u64, b: FrameBox, framerate: f64) {
    set_box_enabled(value, frame, b, framerate, None);
}

fn set_box_enabled(
    value: &mut Value,
    frame: u64,
    b: FrameBox,
    framerate: f64,
    enabled: Option<bool>,
) {
    let Some(seq) = sequence_mut(value) else {
        return;
    };
    let i = seq.partition_point(|k| frame_of(k).unwrap_or(u64::MAX) < frame);
    if let Some(k) = seq.get_mut(i)
        && frame_of(k) == Some(frame)
        && let Some(m) = k.as_object_mut()
    {
        for (key, v) in [
            ("x", b.x),
            ("y", b.y),
            ("width", b.width),
            ("height", b.height),
            ("rotation", b.rotation),
        ] {
            m.insert(key.into(), json!(v));
        }
        m.insert("time".into(), json!(frame as f64 / framerate));
        return;
    }
    let enabled = enabled.unwrap_or_else(|| {
        if i == seq.len() {
            return true;
        }
        i.checked_sub(1)
            .and_then(|p| seq.get(p))
            .or_else(|| seq.get(i))
            .map(enabled_of)
            .unwrap_or(true)
    });
    seq.insert(i, keyframe_json(frame, enabled, b, framerate));
}

/// Adds a keyframe on `frame` holding the box shown there, enabled as the keyframe
/// before it (else the one after): Label Studio's `addKeypoint`. False when there is
/// one already.
pub fn add_keyframe(value: &mut Value, frame: u64, framerate: f64) -> bool {
    let track = Track::of(value);
    let shown = track.at(frame);
    if shown.is_some_and(|a| a.keyframe) {
        return false;
    }
    let i = track.lower_bound(frame);
    let enabled = i
        .checked_sub(1)
        .and_then(|p| track.seq.get(p))
        .or_else(|| track.seq.get(i))
        .map(enabled_of)
        .unwrap_or(true);
    let b = match shown {
        Some(a) => a.shape,
        // Before the first keyframe: the first one's box.
        None => Track::of(value)
            .keyframes()
            .first()
            .map(FrameBox::of)
            .unwrap_or(FrameBox::DEFAULT),
    };
    set_box_enabled(value, frame, b, framerate, Some(enabled));
    true
}

/// Removes the keyframe on `frame`; a track keeps at least one.
pub fn remove_keyframe(value: &mut Value, frame: u64) -> bool {
    let Some(seq) = sequence_mut(value) else {
        return false;
    };
    if seq.len() <= 1 {
        return false;
    }
    let before = seq.len();
    seq.retain(|k| frame_of(k) != Some(frame));
    seq.len() != before
}

/// Toggles `enabled` of the keyframe on or before `frame` (Label Studio's
/// `toggleLifespan`): a disabled keyframe ends the track there. Returns the keyframe's
/// frame and its new state.
pub fn toggle_enabled(value: &mut Value, frame: u64) -> Option<(u64, bool)> {
    let seq = sequence_mut(value)?;
    let i = seq.partition_point(|k| frame_of(k).unwrap_or(u64::MAX) <= frame);
    let k = seq.get_mut(i.checked_sub(1)?)?;
    let f = frame_of(k)?;
    let now = !enabled_of(k);
    k.as_object_mut()?.insert("enabled".into(), json!(now));
    Some((f, now))
}

/// Writes `framesCount` and `duration` (Label Studio writes them on every save) and
/// fixes every keyframe's `time` to the frame rate.
pub fn stamp(value: &mut Value, frames: u64, duration: f64, framerate: f64) {
    let Some(m) = value.as_object_mut() else {
        return;
    };
    m.insert("framesCount".into(), json!(frames));
    m.insert("duration".into(), json!(duration));
    if let Some(seq) = m.get_mut("sequence").and_then(Value::as_array_mut) {
        for k in seq {
            if let (Some(f), Some(km)) = (frame_of(k), k.as_object_mut()) {
                km.insert("time".into(), json!(f as f64 / framerate));
            }
        }
    }
}

/// What a video is known to hold: its frame count and duration in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    pub frames: u64,
    pub duration: f64,
}

impl Extent {
    /// From a probed duration: Label Studio counts `ceil(duration × framerate)` frames.
    pub fn from_duration(duration: f64, framerate: f64) -> Option<Extent> {
        let frames = (duration * framerate).ceil();
        (duration.is_finite() && duration > 0.0 && frames >= 1.0 && frames <= MAX_FRAMES as f64)
            .then_some(Extent {
                frames: frames as u64,
                duration,
            })
    }

    /// From a frame count (entered, or read from results).
    pub fn from_frames(frames: u64, framerate: f64) -> Extent {
        let frames = frames.clamp(1, MAX_FRAMES);
        Extent {
            frames,
            duration: frames as f64 / framerate,
        }
    }
}

/// The extent the stored results of `obj` tell: the largest `framesCount` (with its
/// `duration`) or, failing that, the last frame any of them reaches.
pub fn extent_from_results(results: &[Value], obj: &str, framerate: f64) -> Option<Extent> {
    let mut best: Option<Extent> = None;
    let mut last_frame = 0u64;
    for r in results {
        if crate::annotate::region::to_name(r) != obj {
            continue;
        }
        let v = &r["value"];
        if let Some(n) = v.get("framesCount").and_then(num)
            && n.is_finite()
            && n >= 1.0
            && n <= MAX_FRAMES as f64
        {
            let frames = n.round() as u64;
            let duration = v
                .get("duration")
                .and_then(num)
                .filter(|d| d.is_finite() && *d > 0.0)
                .unwrap_or(frames as f64 / framerate);
            if best.is_none_or(|b| frames > b.frames) {
                best = Some(Extent { frames, duration });
            }
        }
        if let Some((_, l)) = Track::of(v).span() {
            last_frame = last_frame.max(l);
        }
        for (_, e) in ranges_of(v) {
            last_frame = last_frame.max(e);
        }
    }
    match best {
        Some(b) if b.frames >= last_frame => Some(b),
        _ if last_frame > 0 => Some(Extent::from_frames(last_frame, framerate)),
        b => b,
    }
}

/// A new VideoRectangle track: one enabled keyframe on `frame` with box `b`, the labels
/// merged into its value (Label Studio merges a sibling `<Labels>` into video results).
pub fn new_track(
    ctrl: &ControlTag,
    obj: &str,
    frame: u64,
    b: FrameBox,
    labels: &[String],
    extent: Extent,
    framerate: f64,
) -> Value {
    let mut value = Map::new();
    value.insert("framesCount".into(), json!(extent.frames));
    value.insert("duration".into(), json!(extent.duration));
    value.insert(
        "sequence".into(),
        json!([keyframe_json(frame, true, b, framerate)]),
    );
    value.insert("labels".into(), json!(labels));
    crate::annotate::region::region(ctrl, obj, None, value)
}

/// Toggles a label in a video result's merged `labels` (single choice replaces).
pub fn toggle_label(value: &mut Value, key: &str, multiple: bool) {
    let Some(m) = value.as_object_mut() else {
        return;
    };
    let cur: Vec<Value> = m
        .get("labels")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let has = cur.iter().any(|v| v.as_str() == Some(key));
    let next: Vec<Value> = match (multiple, has) {
        (true, true) => cur
            .into_iter()
            .filter(|v| v.as_str() != Some(key))
            .collect(),
        (true, false) => cur.into_iter().chain([json!(key)]).collect(),
        (false, true) => Vec::new(),
        (false, false) => vec![json!(key)],
    };
    m.insert("labels".into(), Value::Array(next));
}

/// The frame ranges of a TimelineLabels value, as (start, end) with start ≤ end; a range
/// missing one end takes the other.
pub fn ranges_of(value: &Value) -> Vec<(u64, u64)> {
    let Some(a) = value.get("ranges").and_then(Value::as_array) else {
        return Vec::new();
    };
    let f = |v: Option<&Value>| {
        v.and_then(num)
            .filter(|n| n.is_finite() && *n >= 0.0 && *n <= MAX_FRAMES as f64)
            .map(|n| n.round() as u64)
    };
    // Ranges are few; a huge list is cut rather than slowing a frame.
    a.iter()
        .take(10_000)
        .filter_map(|r| {
            let (s, e) = (f(r.get("start")), f(r.get("end")));
            let (s, e) = (s.or(e)?, e.or(s)?);
            Some((s.min(e), s.max(e)))
        })
        .collect()
}

/// A TimelineLabels region over frames `start..=end` with one label, as Label Studio
/// writes it: `{ranges: [{start, end}], timelinelabels: [label]}`.
pub fn timeline_region(ctrl: &ControlTag, obj: &str, start: u64, end: u64, label: &str) -> Value {
    let (s, e) = (start.min(end), start.max(end));
    let mut value = Map::new();
    value.insert("ranges".into(), json!([{"start": s, "end": e}]));
    value.insert(
        ctrl.value_key().unwrap_or("timelinelabels").to_string(),
        json!([label]),
    );
    crate::annotate::region::region(ctrl, obj, None, value)
}

/// The Labels control whose labels go into tracks on `obj`: a `<Labels>` aimed at it.
pub fn track_labels<'a>(config: &'a LabelConfig, obj: &str) -> Option<&'a ControlTag> {
    config.controls.iter().find(|c| {
        c.kind == crate::config::ControlKind::Labels && c.to_name.iter().any(|n| n == obj)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FR: f64 = 25.0;

    fn config() -> LabelConfig {
        LabelConfig::parse(
            r#"<View><Labels name="who" toName="v"><Label value="Man"/><Label value="Dog"/></Labels>
            <Video name="v" value="$video" framerate="25.0"/>
            <VideoRectangle name="box" toName="v"/>
            <TimelineLabels name="act" toName="v"><Label value="Run"/></TimelineLabels></View>"#,
        )
        .unwrap()
    }

    fn b(x: f64, y: f64, w: f64, h: f64) -> FrameBox {
        FrameBox {
            x,
            y,
            width: w,
            height: h,
            rotation: 0.0,
        }
    }

    #[test]
    fn framerate_follows_the_attribute_the_data_and_the_default() {
        let c = config();
        let v = c.object("v").unwrap();
        assert_eq!(framerate(v, &json!({})), 25.0);
        let c2 = LabelConfig::parse(
            r#"<View><Video name="v" value="$video" frameRate="$fps"/><VideoRectangle name="b" toName="v"/></View>"#,
        )
        .unwrap();
        let v2 = c2.object("v").unwrap();
        assert_eq!(framerate(v2, &json!({"fps": 30})), 30.0);
        assert_eq!(framerate(v2, &json!({"fps": "0.5"})), 2.0);
        assert_eq!(framerate(v2, &json!({})), DEFAULT_FRAMERATE);
        let c3 = LabelConfig::parse(
            r#"<View><Video name="v" value="$video"/><VideoRectangle name="b" toName="v"/></View>"#,
        )
        .unwrap();
        assert_eq!(framerate(c3.object("v").unwrap(), &json!({})), 24.0);
    }

    #[test]
    fn a_new_track_is_label_studios_videorectangle_with_merged_labels() {
        let c = config();
        let ctrl = c.control("box").unwrap();
        let r = new_track(
            ctrl,
            "v",
            5,
            b(10.0, 20.0, 30.0, 40.0),
            &["Man".into()],
            Extent::from_frames(250, FR),
            FR,
        );
        assert_eq!(r["type"], "videorectangle");
        assert_eq!(r["from_name"], "box");
        assert_eq!(r["to_name"], "v");
        assert_eq!(
            r["value"],
            json!({"framesCount": 250, "duration": 10.0, "labels": ["Man"],
                "sequence": [{"frame": 5, "enabled": true, "time": 0.2, "x": 10.0, "y": 20.0,
                    "width": 30.0, "height": 40.0, "rotation": 0.0}]})
        );
        assert!(crate::task::check::check_result(&c, &json!([r])).is_empty());
    }

    #[test]
    fn boxes_interpolate_between_keyframes_and_stop_at_a_disabled_one() {
        let mut v = json!({"sequence": []});
        set_box(&mut v, 10, b(0.0, 0.0, 10.0, 10.0), FR);
        set_box(&mut v, 20, b(10.0, 20.0, 30.0, 10.0), FR);
        let t = Track::of(&v);
        assert_eq!(t.at(9), None, "nothing before the first keyframe");
        let mid = t.at(15).unwrap();
        assert!(!mid.keyframe && mid.visible);
        assert_eq!(mid.shape, b(5.0, 10.0, 20.0, 10.0));
        assert_eq!(t.at(20).unwrap().shape, b(10.0, 20.0, 30.0, 10.0));
        assert!(t.at(20).unwrap().keyframe);
        assert_eq!(t.at(99).unwrap().shape, b(10.0, 20.0, 30.0, 10.0));
        // Toggling at frame 25 ends the track at its keyframe 20.
        assert_eq!(toggle_enabled(&mut v, 25), Some((20, false)));
        let t = Track::of(&v);
        assert!(t.at(20).unwrap().visible, "the end keyframe shows");
        assert!(!t.at(21).unwrap().visible);
        assert!(t.at(12).unwrap().visible);
        // A keyframe added after the end stays disabled, as Label Studio's does.
        assert!(add_keyframe(&mut v, 30, FR));
        assert_eq!(v["sequence"][2]["enabled"], false);
        assert!(!add_keyframe(&mut v, 30, FR), "one keyframe per frame");
        // A box set after the last keyframe resumes the track, as a box drawn there does.
        set_box(&mut v, 40, b(1.0, 1.0, 5.0, 5.0), FR);
        assert_eq!(v["sequence"][3]["enabled"], true);
        assert!(remove_keyframe(&mut v, 40));
        assert_eq!(Track::of(&v).neighbours(15), (Some(10), Some(20)));
        assert_eq!(Track::of(&v).neighbours(20), (Some(10), Some(30)));
        assert!(remove_keyframe(&mut v, 30));
        assert_eq!(v["sequence"].as_array().unwrap().len(), 2);
        assert_eq!(v["sequence"][0]["time"], json!(0.4));
    }

    #[test]
    fn a_keyframe_added_between_two_holds_the_interpolated_box() {
        let mut v = json!({});
        set_box(&mut v, 1, b(0.0, 0.0, 10.0, 10.0), FR);
        set_box(&mut v, 11, b(50.0, 0.0, 10.0, 10.0), FR);
        assert!(add_keyframe(&mut v, 6, FR));
        let seq = v["sequence"].as_array().unwrap();
        let frames: Vec<u64> = seq.iter().filter_map(frame_of).collect();
        assert_eq!(frames, vec![1, 6, 11]);
        assert_eq!(seq[1]["x"], json!(25.0));
        // Setting a box on an existing keyframe replaces it, keeping its other fields.
        v["sequence"][1]["extra"] = json!("kept");
        set_box(&mut v, 6, b(1.0, 2.0, 3.0, 4.0), FR);
        assert_eq!(v["sequence"][1]["extra"], "kept");
        assert_eq!(v["sequence"][1]["x"], json!(1.0));
        assert_eq!(v["sequence"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn odd_sequences_never_panic_and_say_what_is_wrong() {
        let v = json!({"sequence": [{"x": 1}, "junk", {"frame": -3}]});
        let t = Track::of(&v);
        assert_eq!(t.at(5), None);
        assert!(t.problem().unwrap().contains("frame number"));
        let v = json!({"sequence": [{"frame": 2, "x": 1, "y": 1, "width": 5}]});
        assert!(Track::of(&v).problem().unwrap().contains("height"));
        assert_eq!(Track::of(&json!(null)).at(1), None);
        let mut bad = json!("not an object");
        set_box(&mut bad, 1, FrameBox::DEFAULT, FR);
        assert_eq!(toggle_enabled(&mut bad, 1), None);
        // Many keyframes: looking one up is a binary search.
        let seq: Vec<Value> = (1..=300_000u64)
            .map(|f| keyframe_json(f, true, b(1.0, 1.0, 1.0, 1.0), FR))
            .collect();
        let v = json!({ "sequence": seq });
        for f in [1, 150_000, 299_999, 2_000_000] {
            assert!(Track::of(&v).at(f).is_some());
        }
        assert_eq!(Track::of(&v).span(), Some((1, 300_000)));
    }

    #[test]
    fn boxes_parse_and_stay_inside_the_frame() {
        assert_eq!(
            FrameBox::parse("10, 20 30 40"),
            Ok(b(10.0, 20.0, 30.0, 40.0))
        );
        assert!(FrameBox::parse("10 20 30").is_err());
        assert!(FrameBox::parse("90 20 30 40").is_err());
        assert!(FrameBox::parse("x 20 30 40").is_err());
        assert!(FrameBox::parse("NaN 20 30 40").is_err());
        assert_eq!(b(90.0, 0.0, 20.0, 10.0).shifted(5.0, -5.0).x, 80.0);
        assert_eq!(b(0.0, 0.0, 20.0, 10.0).resized(-50.0, 200.0).width, 1.0);
        assert_eq!(b(0.0, 50.0, 20.0, 10.0).resized(0.0, 200.0).height, 50.0);
    }

    #[test]
    fn extents_come_from_a_probe_or_from_results() {
        assert_eq!(
            Extent::from_duration(5.425, 24.0),
            Some(Extent {
                frames: 131,
                duration: 5.425
            })
        );
        assert_eq!(Extent::from_duration(f64::NAN, 24.0), None);
        let results = vec![
            json!({"to_name": "v", "value": {"framesCount": 100, "duration": 4.0, "sequence": [{"frame": 3}]}}),
            json!({"to_name": "v", "value": {"ranges": [{"start": 5, "end": 140}]}}),
            json!({"to_name": "other", "value": {"framesCount": 9999}}),
        ];
        assert_eq!(
            extent_from_results(&results, "v", 25.0),
            Some(Extent::from_frames(140, 25.0))
        );
        assert_eq!(
            extent_from_results(&results[..1], "v", 25.0),
            Some(Extent {
                frames: 100,
                duration: 4.0
            })
        );
        assert_eq!(extent_from_results(&[], "v", 25.0), None);
    }

    #[test]
    fn timeline_regions_hold_frame_ranges_and_their_label() {
        let c = config();
        let r = timeline_region(c.control("act").unwrap(), "v", 9, 3, "Run");
        assert_eq!(r["type"], "timelinelabels");
        assert_eq!(
            r["value"],
            json!({"ranges": [{"start": 3, "end": 9}], "timelinelabels": ["Run"]})
        );
        assert_eq!(ranges_of(&r["value"]), vec![(3, 9)]);
        assert_eq!(
            ranges_of(&json!({"ranges": [{"start": 4}, {"end": "x"}, {"start": 8, "end": 6}]})),
            vec![(4, 4), (6, 8)]
        );
        assert!(crate::task::check::check_result(&c, &json!([r])).is_empty());
    }

    #[test]
    fn labels_toggle_in_the_merged_list() {
        let mut v = json!({"labels": ["Man"]});
        toggle_label(&mut v, "Dog", false);
        assert_eq!(v["labels"], json!(["Dog"]));
        toggle_label(&mut v, "Man", true);
        assert_eq!(v["labels"], json!(["Dog", "Man"]));
        toggle_label(&mut v, "Dog", true);
        assert_eq!(v["labels"], json!(["Man"]));
        assert_eq!(track_labels(&config(), "v").unwrap().name, "who");
    }
}
