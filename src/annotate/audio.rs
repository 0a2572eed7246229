//! Audio segments made by keyboard: a time cursor kept in whole milliseconds (so that
//! steps of a tenth of a second write clean numbers, not float drift) and Label Studio's
//! audio region, `{start, end, channel, labels}` in seconds with the file's length
//! beside the value as `original_length`.

use crate::annotate::region::{num, region};
use crate::config::ControlTag;
use serde_json::{Map, Value, json};

/// A fine step of the cursor, in milliseconds.
pub const STEP_MS: u64 = 100;
/// A coarse step of the cursor, in milliseconds.
pub const COARSE_MS: u64 = 1000;
/// How far the cursor goes when the length of the file is not known (a day).
pub const UNBOUNDED_MS: u64 = 24 * 3600 * 1000;

/// The last cursor position for a file of `duration` seconds: its end, rounded up so that
/// the cursor can reach it (a segment's end is then cut back to the length).
pub fn end_ms(duration: Option<f64>) -> u64 {
    match duration {
        Some(d) if d.is_finite() && d > 0.0 => ((d * 1000.0).ceil() as u64).min(UNBOUNDED_MS),
        _ => UNBOUNDED_MS,
    }
}

/// A cursor position in seconds, never past the file's end when that is known.
pub fn seconds(ms: u64, duration: Option<f64>) -> f64 {
    let s = ms as f64 / 1000.0;
    match duration {
        Some(d) if d.is_finite() && d > 0.0 => s.min(d),
        _ => s,
    }
}

/// A new segment over `a..b` (milliseconds, either order) labelled `label`, as Label
/// Studio writes it: `{id, from_name, to_name, type, value: {start, end, channel: 0,
/// <labels key>: [label]}, original_length, origin}`. `original_length` is left out when
/// the length of the file is not known.
pub fn segment(
    ctrl: &ControlTag,
    obj: &str,
    a: u64,
    b: u64,
    label: &str,
    duration: Option<f64>,
) -> Value {
    let (s, e) = (a.min(b), a.max(b));
    let mut value = Map::new();
    value.insert("start".into(), json!(seconds(s, duration)));
    value.insert("end".into(), json!(seconds(e, duration)));
    value.insert("channel".into(), json!(0));
    value.insert(
        ctrl.value_key().unwrap_or("labels").to_string(),
        json!([label]),
    );
    let mut r = region(ctrl, obj, None, value);
    if let Some(d) = duration.filter(|d| d.is_finite() && *d > 0.0) {
        r["original_length"] = json!(d);
    }
    r
}

/// The length of the audio `obj` as a stored or predicted segment recorded it
/// (`original_length`, measured by Label Studio's player), for a file that cannot be probed.
pub fn length_from_results<'a>(
    results: impl IntoIterator<Item = &'a Value>,
    obj: &str,
) -> Option<f64> {
    results.into_iter().find_map(|r| {
        if r.get("to_name").and_then(Value::as_str) != Some(obj) {
            return None;
        }
        num(r.get("original_length")?).filter(|d| d.is_finite() && *d > 0.0)
    })
}

/// A segment's start and end in seconds (ordered), when its value has both.
pub fn span_of(r: &Value) -> Option<(f64, f64)> {
    let v = r.get("value")?;
    let s = num(v.get("start")?)?;
    let e = num(v.get("end")?)?;
    (s.is_finite() && e.is_finite()).then(|| (s.min(e), s.max(e)))
}

/// What one cell of the timeline shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Empty,
    /// Covered by the segment at this index of the list given (the last one wins).
    Segment(usize),
}

/// The timeline: `width` cells over `total` seconds, each cell showing the last segment
/// that overlaps it. A segment narrower than a cell still gets its cell.
pub fn timeline(spans: &[(f64, f64)], total: f64, width: usize) -> Vec<Cell> {
    let mut cells = vec![Cell::Empty; width];
    if width == 0 || !(total.is_finite() && total > 0.0) {
        return cells;
    }
    for (i, (s, e)) in spans.iter().enumerate() {
        let a = column(*s, total, width);
        let b = column(*e, total, width);
        for c in cells.iter_mut().take(b + 1).skip(a) {
            *c = Cell::Segment(i);
        }
    }
    cells
}

/// The cell of the timeline a time falls in.
pub fn column(t: f64, total: f64, width: usize) -> usize {
    if width == 0 || !(total.is_finite() && total > 0.0) || !t.is_finite() {
        return 0;
    }
    let c = (t.max(0.0) / total * width as f64).floor();
    (c as usize).min(width - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LabelConfig;

    fn ctrl() -> ControlTag {
        let c = LabelConfig::parse(
            r#"<View><Labels name="spk" toName="a"><Label value="A"/></Labels><Audio name="a" value="$a"/></View>"#,
        )
        .unwrap();
        c.control("spk").unwrap().clone()
    }

    #[test]
    fn a_segment_has_label_studio_shape_in_clean_seconds() {
        let r = segment(&ctrl(), "a", 300, 100, "A", Some(0.5));
        assert_eq!(r["type"], json!("labels"));
        assert_eq!(
            r["value"],
            json!({"start": 0.1, "end": 0.3, "channel": 0, "labels": ["A"]})
        );
        assert_eq!(r["original_length"], json!(0.5));
        // The end is cut back to the file's length.
        let r = segment(&ctrl(), "a", 0, end_ms(Some(0.4999)), "A", Some(0.4999));
        assert_eq!(r["value"]["end"], json!(0.4999));
        // Unknown length: no original_length.
        let r = segment(&ctrl(), "a", 0, 1500, "A", None);
        assert!(r.get("original_length").is_none());
        assert_eq!(r["value"]["end"], json!(1.5));
    }

    #[test]
    fn the_length_comes_from_a_segment_on_the_same_audio() {
        let rs = [
            json!({"to_name": "b", "original_length": 9.0}),
            json!({"to_name": "a", "original_length": "bad"}),
            json!({"to_name": "a", "original_length": 3.5}),
        ];
        assert_eq!(length_from_results(&rs, "a"), Some(3.5));
        assert_eq!(length_from_results(&rs, "c"), None);
    }

    #[test]
    fn the_timeline_marks_cells_each_segment_covers() {
        let cells = timeline(&[(0.0, 1.0), (2.5, 2.6)], 4.0, 8);
        use Cell::*;
        assert_eq!(
            cells,
            vec![
                Segment(0),
                Segment(0),
                Segment(0),
                Empty,
                Empty,
                Segment(1),
                Empty,
                Empty
            ]
        );
        assert_eq!(column(99.0, 4.0, 8), 7);
        assert_eq!(timeline(&[(0.0, 1.0)], 0.0, 4), vec![Empty; 4]);
    }
}
