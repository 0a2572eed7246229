//! Where a region sits and how much two regions overlap, and the one-to-one matching of two
//! lists of regions by highest overlap, as data (pairs with their overlap, and the regions
//! left unmatched on each side). Agreement, prediction quality and the diff view use it.
//!
//! Overlap is intersection over union of the place the region covers:
//! - text spans (`start`/`end` offsets), audio and time-series ranges (seconds or numbers,
//!   on the same `channel`), timeline `ranges`: lengths on one axis;
//! - HyperText and Paragraphs spans: offsets when both spans start and end in the same
//!   nodes (or `globalOffsets` when both have them); spans over different paragraphs compare
//!   their paragraph ranges; other XPaths do not overlap;
//! - rectangles (rotation turns them about their top-left corner, as Label Studio does, in
//!   percent coordinates: exact for square images, close otherwise), polygons and ellipses
//!   (drawn as 64-sided polygons): areas, exact for simple polygons;
//! - keypoints: 1 when within 2 % of the image of each other, else 0;
//! - video rectangles: the mean box overlap over the key frames of either sequence (a frame
//!   only one side has counts 0);
//! - anything else (brush masks, formatted time-series times): 1 when equal, else 0.

use crate::annotate::region::num;
use serde_json::Value;
use std::collections::BTreeMap;

type Point = (f64, f64);

/// The place a region covers.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    /// An interval on one axis; `channel` tells audio channels apart.
    Span {
        start: f64,
        end: f64,
        channel: Option<String>,
    },
    /// Several intervals on one axis (a timeline region).
    Ranges(Vec<(f64, f64)>),
    /// A HyperText or Paragraphs span: start and end nodes with character offsets.
    Nodes {
        start: String,
        end: String,
        start_offset: f64,
        end_offset: f64,
    },
    /// x, y, width, height (percent), not rotated.
    Box(f64, f64, f64, f64),
    /// A rotated rectangle, an ellipse or a polygon, as its corners.
    Polygon(Vec<Point>),
    Point(f64, f64),
    /// Video: key frame → box (frame boxes are never rotated here).
    Frames(BTreeMap<i64, (f64, f64, f64, f64)>),
    /// Compared whole (brush masks, formatted times).
    Opaque(String),
}

fn interval(v: &Value) -> Option<(f64, f64)> {
    let (s, e) = (num(v.get("start")?)?, num(v.get("end")?)?);
    Some((s.min(e), s.max(e)))
}

fn node(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The place of a result `value`; `None` for values with no place (classifications).
pub fn place(value: &Value) -> Option<Place> {
    let get = |k: &str| value.get(k).and_then(num);
    if value.get("startOffset").is_some() || value.get("endOffset").is_some() {
        if let Some(g) = value.get("globalOffsets").and_then(interval) {
            return Some(Place::Span {
                start: g.0,
                end: g.1,
                channel: Some("global".into()),
            });
        }
        return Some(Place::Nodes {
            start: node(value.get("start").unwrap_or(&Value::Null)),
            end: node(value.get("end").unwrap_or(&Value::Null)),
            start_offset: get("startOffset").unwrap_or(0.0),
            end_offset: get("endOffset").unwrap_or(0.0),
        });
    }
    if value.get("start").is_some() && value.get("end").is_some() {
        return Some(match interval(value) {
            Some((start, end)) => Place::Span {
                start,
                end,
                channel: value.get("channel").map(node),
            },
            None => Place::Opaque(format!(
                "{}\u{0}{}",
                node(&value["start"]),
                node(&value["end"])
            )),
        });
    }
    if let Some(ranges) = value.get("ranges").and_then(Value::as_array) {
        return Some(Place::Ranges(ranges.iter().filter_map(interval).collect()));
    }
    if let Some(seq) = value.get("sequence").and_then(Value::as_array) {
        let frames = seq
            .iter()
            .filter_map(|f| {
                Some((
                    num(f.get("frame")?)? as i64,
                    (
                        num(f.get("x")?)?,
                        num(f.get("y")?)?,
                        num(f.get("width")?)?,
                        num(f.get("height")?)?,
                    ),
                ))
            })
            .collect();
        return Some(Place::Frames(frames));
    }
    if let Some(points) = value.get("points").and_then(Value::as_array) {
        let xy: Vec<Point> = points
            .iter()
            .filter_map(|p| Some((num(p.get(0)?)?, num(p.get(1)?)?)))
            .collect();
        return Some(Place::Polygon(xy));
    }
    if value.get("rle").is_some() || value.get("format").is_some() {
        return Some(Place::Opaque(value.get("rle").map_or_else(
            || value.get("format").map(node).unwrap_or_default(),
            Value::to_string,
        )));
    }
    let (x, y) = (get("x")?, get("y")?);
    let rotation = get("rotation").unwrap_or(0.0);
    if let (Some(rx), Some(ry)) = (get("radiusX"), get("radiusY")) {
        // Label Studio turns an ellipse about its centre.
        let (sin, cos) = rotation.to_radians().sin_cos();
        let corners = (0..64)
            .map(|i| {
                let t = std::f64::consts::TAU * f64::from(i) / 64.0;
                let (px, py) = (rx * t.cos(), ry * t.sin());
                (x + px * cos - py * sin, y + px * sin + py * cos)
            })
            .collect();
        return Some(Place::Polygon(corners));
    }
    match (get("width"), get("height")) {
        (Some(w), Some(h)) if rotation.rem_euclid(360.0) == 0.0 => Some(Place::Box(x, y, w, h)),
        (Some(w), Some(h)) => {
            let (sin, cos) = rotation.to_radians().sin_cos();
            let turn = |dx: f64, dy: f64| (x + dx * cos - dy * sin, y + dx * sin + dy * cos);
            Some(Place::Polygon(vec![
                turn(0.0, 0.0),
                turn(w, 0.0),
                turn(w, h),
                turn(0.0, h),
            ]))
        }
        _ => Some(Place::Point(x, y)),
    }
}

/// Length of the overlap over length of the union of two intervals; two equal intervals
/// (points included) overlap fully.
pub fn overlap_1d(a: (f64, f64), b: (f64, f64)) -> f64 {
    if a == b {
        return 1.0;
    }
    let inter = (a.1.min(b.1) - a.0.max(b.0)).max(0.0);
    let union = a.1.max(b.1) - a.0.min(b.0);
    if union > 0.0 { inter / union } else { 0.0 }
}

/// Intersection over union of two boxes (x, y, width, height); two equal boxes overlap
/// fully, even when flat (so a result always agrees with itself).
pub fn box_iou(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> f64 {
    if a == b {
        return 1.0;
    }
    let ix = (a.0 + a.2).min(b.0 + b.2) - a.0.max(b.0);
    let iy = (a.1 + a.3).min(b.1 + b.3) - a.1.max(b.1);
    let inter = ix.max(0.0) * iy.max(0.0);
    let union = a.2.abs() * a.3.abs() + b.2.abs() * b.3.abs() - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// Total length covered by a set of intervals (overlaps counted once).
fn covered(intervals: &mut [(f64, f64)]) -> f64 {
    intervals.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut total = 0.0;
    let mut current: Option<(f64, f64)> = None;
    for &(s, e) in intervals.iter() {
        match current {
            Some((cs, ce)) if s <= ce => current = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                current = Some((s, e));
            }
            None => current = Some((s, e)),
        }
    }
    total + current.map_or(0.0, |(s, e)| e - s)
}

fn ranges_iou(a: &[(f64, f64)], b: &[(f64, f64)]) -> f64 {
    if a == b {
        return 1.0;
    }
    let (ua, ub) = (covered(&mut a.to_vec()), covered(&mut b.to_vec()));
    let mut both: Vec<(f64, f64)> = a.iter().chain(b).copied().collect();
    let union = covered(&mut both);
    let inter = ua + ub - union;
    if union > 0.0 {
        (inter / union).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Area of a simple polygon (shoelace).
pub fn polygon_area(p: &[Point]) -> f64 {
    if p.len() < 3 {
        return 0.0;
    }
    let mut s = 0.0;
    for i in 0..p.len() {
        let (a, b) = (p[i], p[(i + 1) % p.len()]);
        s += a.0 * b.1 - b.0 * a.1;
    }
    s.abs() / 2.0
}

fn edges(p: &[Point]) -> impl Iterator<Item = (Point, Point)> + '_ {
    (0..p.len()).map(move |i| (p[i], p[(i + 1) % p.len()]))
}

/// Where a horizontal line at `y` is inside `p` (even-odd rule), as sorted intervals.
fn inside_at(p: &[Point], y: f64, xs: &mut Vec<f64>) {
    xs.clear();
    for (a, b) in edges(p) {
        if (a.1 <= y) != (b.1 <= y) {
            xs.push(a.0 + (y - a.1) / (b.1 - a.1) * (b.0 - a.0));
        }
    }
    xs.sort_by(f64::total_cmp);
}

/// Length of the intersection of two sorted interval lists given as flat boundaries.
fn common_length(a: &[f64], b: &[f64]) -> f64 {
    let (mut i, mut j, mut total) = (0, 0, 0.0);
    while i + 1 < a.len() && j + 1 < b.len() {
        let (lo, hi) = (a[i].max(b[j]), a[i + 1].min(b[j + 1]));
        if hi > lo {
            total += hi - lo;
        }
        if a[i + 1] < b[j + 1] {
            i += 2;
        } else {
            j += 2;
        }
    }
    total
}

/// The y where two segments cross, if they do.
fn crossing_y(p: (Point, Point), q: (Point, Point)) -> Option<f64> {
    let (r, s) = (
        (p.1.0 - p.0.0, p.1.1 - p.0.1),
        (q.1.0 - q.0.0, q.1.1 - q.0.1),
    );
    let denom = r.0 * s.1 - r.1 * s.0;
    if denom == 0.0 {
        return None;
    }
    let (dx, dy) = (q.0.0 - p.0.0, q.0.1 - p.0.1);
    let t = (dx * s.1 - dy * s.0) / denom;
    let u = (dx * r.1 - dy * r.0) / denom;
    ((0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&u)).then_some(p.0.1 + t * r.1)
}

/// Area common to two simple polygons. Between consecutive corners and edge crossings the
/// width of the intersection changes linearly with y, so summing slabs measured at their
/// middle is exact. Polygons with very many edges skip the crossings and take 1,024 slabs
/// more instead (close, not exact).
pub fn polygon_intersection(a: &[Point], b: &[Point]) -> f64 {
    if a.len() < 3 || b.len() < 3 {
        return 0.0;
    }
    let span = |p: &[Point]| {
        p.iter().fold((f64::MAX, f64::MIN), |(lo, hi), q| {
            (lo.min(q.1), hi.max(q.1))
        })
    };
    let (sa, sb) = (span(a), span(b));
    let (lo, hi) = (sa.0.max(sb.0), sa.1.min(sb.1));
    if hi <= lo {
        return 0.0;
    }
    let mut ys: Vec<f64> = a.iter().chain(b).map(|p| p.1).collect();
    if a.len() * b.len() <= 250_000 {
        for ea in edges(a) {
            for eb in edges(b) {
                if let Some(y) = crossing_y(ea, eb) {
                    ys.push(y);
                }
            }
        }
    } else {
        ys.extend((0..=1024).map(|i| lo + (hi - lo) * f64::from(i) / 1024.0));
    }
    ys.retain(|y| (lo..=hi).contains(y));
    ys.push(lo);
    ys.push(hi);
    ys.sort_by(f64::total_cmp);
    ys.dedup();
    let (mut xa, mut xb) = (Vec::new(), Vec::new());
    let mut area = 0.0;
    for w in ys.windows(2) {
        let h = w[1] - w[0];
        if h <= 0.0 {
            continue;
        }
        let mid = (w[0] + w[1]) / 2.0;
        inside_at(a, mid, &mut xa);
        inside_at(b, mid, &mut xb);
        area += common_length(&xa, &xb) * h;
    }
    area
}

fn polygon_iou(a: &[Point], b: &[Point]) -> f64 {
    if a == b {
        return 1.0;
    }
    let inter = polygon_intersection(a, b);
    let union = polygon_area(a) + polygon_area(b) - inter;
    if union > 0.0 {
        (inter / union).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

fn corners(b: (f64, f64, f64, f64)) -> Vec<Point> {
    vec![
        (b.0, b.1),
        (b.0 + b.2, b.1),
        (b.0 + b.2, b.1 + b.3),
        (b.0, b.1 + b.3),
    ]
}

/// How much two places overlap, from 0 to 1 (see the module's notes per kind).
pub fn overlap(a: &Place, b: &Place) -> f64 {
    use Place::*;
    match (a, b) {
        (
            Span {
                start: s1,
                end: e1,
                channel: c1,
            },
            Span {
                start: s2,
                end: e2,
                channel: c2,
            },
        ) if c1 == c2 => overlap_1d((*s1, *e1), (*s2, *e2)),
        (Ranges(x), Ranges(y)) => ranges_iou(x, y),
        (Span { start, end, .. }, Ranges(r)) | (Ranges(r), Span { start, end, .. }) => {
            ranges_iou(&[(*start, *end)], r)
        }
        (
            Nodes {
                start: n1,
                end: m1,
                start_offset: s1,
                end_offset: e1,
            },
            Nodes {
                start: n2,
                end: m2,
                start_offset: s2,
                end_offset: e2,
            },
        ) => {
            if n1 == n2 && m1 == m2 {
                if n1 == m1 {
                    overlap_1d((*s1, *e1), (*s2, *e2))
                } else if (s1, e1) == (s2, e2) {
                    1.0
                } else {
                    // Same nodes, offsets differ: how much of the shared ends agree.
                    0.5 * (f64::from(u8::from(s1 == s2)) + f64::from(u8::from(e1 == e2)))
                }
            } else {
                let paragraph = |n: &str| n.trim().parse::<f64>().ok();
                match (paragraph(n1), paragraph(m1), paragraph(n2), paragraph(m2)) {
                    (Some(p1), Some(q1), Some(p2), Some(q2)) => {
                        overlap_1d((p1, q1 + 1.0), (p2, q2 + 1.0))
                    }
                    _ => 0.0,
                }
            }
        }
        (Box(x1, y1, w1, h1), Box(x2, y2, w2, h2)) => {
            box_iou((*x1, *y1, *w1, *h1), (*x2, *y2, *w2, *h2))
        }
        (Box(x, y, w, h), Polygon(p)) | (Polygon(p), Box(x, y, w, h)) => {
            polygon_iou(&corners((*x, *y, *w, *h)), p)
        }
        (Polygon(p), Polygon(q)) => polygon_iou(p, q),
        (Point(x1, y1), Point(x2, y2)) => f64::from(u8::from((x1 - x2).hypot(y1 - y2) <= 2.0)),
        (Frames(f1), Frames(f2)) => {
            let keys: std::collections::BTreeSet<&i64> = f1.keys().chain(f2.keys()).collect();
            if keys.is_empty() {
                return 1.0;
            }
            let sum: f64 = keys
                .iter()
                .map(|k| match (f1.get(k), f2.get(k)) {
                    (Some(a), Some(b)) => box_iou(*a, *b),
                    _ => 0.0,
                })
                .sum();
            sum / keys.len() as f64
        }
        (Opaque(x), Opaque(y)) => f64::from(u8::from(x == y)),
        _ => 0.0,
    }
}

/// One region of a result, ready to be matched: its labels (sorted) and its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub labels: Vec<String>,
    pub place: Place,
}

/// Two regions matched one to one, by their index in each list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegionPair {
    pub a: usize,
    pub b: usize,
    pub overlap: f64,
}

/// The one-to-one matching of two lists of regions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Matching {
    /// Highest overlap first.
    pub pairs: Vec<RegionPair>,
    /// Regions of the first list left without a partner, in list order.
    pub only_a: Vec<usize>,
    pub only_b: Vec<usize>,
}

impl Matching {
    /// The sum of matched overlaps over the larger of the two counts: 1 when both lists are
    /// empty, 0 when only one is.
    pub fn score(&self) -> f64 {
        let na = self.pairs.len() + self.only_a.len();
        let nb = self.pairs.len() + self.only_b.len();
        let n = na.max(nb);
        if n == 0 {
            return 1.0;
        }
        self.pairs.iter().map(|p| p.overlap).sum::<f64>() / n as f64
    }
}

/// Matches regions with the same labels one to one, greedily by highest overlap: every
/// pair that overlaps at all is a candidate, the candidates are taken from the highest
/// overlap down (ties in list order), each region at most once. Greedy is what a person
/// does by eye, and it equals the optimal assignment whenever overlaps are unambiguous.
pub fn match_by_overlap(a: &[Region], b: &[Region]) -> Matching {
    let mut candidates = Vec::new();
    for (i, ra) in a.iter().enumerate() {
        for (j, rb) in b.iter().enumerate() {
            if ra.labels != rb.labels {
                continue;
            }
            let o = overlap(&ra.place, &rb.place);
            if o > 0.0 {
                candidates.push(RegionPair {
                    a: i,
                    b: j,
                    overlap: o,
                });
            }
        }
    }
    candidates.sort_by(|x, y| {
        y.overlap
            .total_cmp(&x.overlap)
            .then(x.a.cmp(&y.a))
            .then(x.b.cmp(&y.b))
    });
    let (mut used_a, mut used_b) = (vec![false; a.len()], vec![false; b.len()]);
    let mut pairs = Vec::new();
    for c in candidates {
        if !used_a[c.a] && !used_b[c.b] {
            used_a[c.a] = true;
            used_b[c.b] = true;
            pairs.push(c);
        }
    }
    let free = |used: &[bool]| {
        used.iter()
            .enumerate()
            .filter(|(_, u)| !**u)
            .map(|(i, _)| i)
            .collect()
    };
    Matching {
        only_a: free(&used_a),
        only_b: free(&used_b),
        pairs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn near(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn boxes_by_hand() {
        // [0,10]x[0,10] and [5,15]x[0,10]: intersection 5x10 = 50, union 100+100-50 = 150.
        let a = place(&json!({"x": 0, "y": 0, "width": 10, "height": 10})).unwrap();
        let b = place(&json!({"x": 5, "y": 0, "width": 10, "height": 10})).unwrap();
        assert!(near(overlap(&a, &b), 50.0 / 150.0));
        // The same box as a polygon gives the same figure.
        let p = place(&json!({"points": [[5, 0], [15, 0], [15, 10], [5, 10]]})).unwrap();
        assert!(near(overlap(&a, &p), 50.0 / 150.0));
        // A square turned 90° about its top-left corner (0,0) covers [-10,0]x[0,10]:
        // it only touches the first one.
        let turned =
            place(&json!({"x": 0, "y": 0, "width": 10, "height": 10, "rotation": 90})).unwrap();
        assert!(overlap(&a, &turned) < 1e-9);
        // Turned 360° is the same box.
        let full =
            place(&json!({"x": 0, "y": 0, "width": 10, "height": 10, "rotation": 360})).unwrap();
        assert!(near(overlap(&a, &full), 1.0));
    }

    #[test]
    fn concave_polygons_are_exact() {
        // An L of the unit squares (0..2)x(0..1) and (0..1)x(1..2): area 3. The square
        // (0..2)x(0..2) holds it: intersection 3, union 4.
        let l = vec![
            (0.0, 0.0),
            (2.0, 0.0),
            (2.0, 1.0),
            (1.0, 1.0),
            (1.0, 2.0),
            (0.0, 2.0),
        ];
        let sq = vec![(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)];
        assert!(near(polygon_area(&l), 3.0));
        assert!(near(polygon_intersection(&l, &sq), 3.0));
        assert!(near(
            overlap(&Place::Polygon(l.clone()), &Place::Polygon(sq)),
            0.75
        ));
        // A triangle crossing the notch: (0,0),(2,2),(0,2) against the L. The triangle has
        // area 2; the part in the notch (1..2)x(1..2) under y>=x is half a unit: 0.5.
        // Intersection 1.5, union 3 + 2 - 1.5 = 3.5.
        let tri = vec![(0.0, 0.0), (2.0, 2.0), (0.0, 2.0)];
        assert!(near(polygon_intersection(&l, &tri), 1.5));
    }

    #[test]
    fn spans_ranges_and_nodes() {
        // [0,10) and [5,20): 5 over 20.
        let s = |a: i64, b: i64| place(&json!({"start": a, "end": b, "labels": ["X"]})).unwrap();
        assert!(near(overlap(&s(0, 10), &s(5, 20)), 0.25));
        let audio =
            |a: f64, c: i64| place(&json!({"start": a, "end": a + 2.0, "channel": c})).unwrap();
        assert!(near(overlap(&audio(0.0, 0), &audio(1.0, 0)), 1.0 / 3.0));
        assert_eq!(overlap(&audio(0.0, 0), &audio(0.0, 1)), 0.0);
        // Ranges [0,2]+[4,6] vs [1,5]: intersection 1+1 = 2, union [0,6] = 6.
        let r1 =
            place(&json!({"ranges": [{"start": 0, "end": 2}, {"start": 4, "end": 6}]})).unwrap();
        let r2 = place(&json!({"ranges": [{"start": 1, "end": 5}]})).unwrap();
        assert!(near(overlap(&r1, &r2), 2.0 / 6.0));
        let ht = |s: i64, e: i64| {
            place(&json!({"start": "/p[1]", "end": "/p[1]", "startOffset": s, "endOffset": e}))
                .unwrap()
        };
        assert!(near(overlap(&ht(0, 4), &ht(2, 6)), 2.0 / 6.0));
        let para = |p: i64, q: i64| {
            place(&json!({"start": p.to_string(), "end": q.to_string(), "startOffset": 0, "endOffset": 3})).unwrap()
        };
        // Paragraphs 0..=1 vs 1..=2: one paragraph of three.
        assert!(near(overlap(&para(0, 1), &para(1, 2)), 1.0 / 3.0));
    }

    #[test]
    fn greedy_matching_by_label_and_overlap() {
        let r = |x: f64, l: &str| Region {
            labels: vec![l.to_string()],
            place: Place::Box(x, 0.0, 10.0, 10.0),
        };
        // a0 Cat at 0, a1 Dog at 0; b0 Cat at 5 (IoU 1/3 with a0), b1 Cat at 0 (IoU 1),
        // b2 Dog at 50 (no overlap with a1).
        let a = [r(0.0, "Cat"), r(0.0, "Dog")];
        let b = [r(5.0, "Cat"), r(0.0, "Cat"), r(50.0, "Dog")];
        let m = match_by_overlap(&a, &b);
        assert_eq!(
            m.pairs,
            vec![RegionPair {
                a: 0,
                b: 1,
                overlap: 1.0
            }]
        );
        assert_eq!(m.only_a, vec![1]);
        assert_eq!(m.only_b, vec![0, 2]);
        // One matched overlap of 1 over max(2, 3) regions.
        assert!(near(m.score(), 1.0 / 3.0));
        assert_eq!(match_by_overlap(&[], &[]).score(), 1.0);
        assert_eq!(match_by_overlap(&a, &[]).score(), 0.0);
    }
}
