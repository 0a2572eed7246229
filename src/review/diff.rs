//! Region matching and diffs. Two results (say a prediction and my annotation) are
//! matched region by region: the same `id` first (Label Studio keeps a prediction's ids
//! when a region is accepted), else the same control on the same place, else unmatched.
//! Every field of the value is compared, geometry included, so a moved box is Changed.

use super::matching::{overlap, place};
use crate::annotate::region::{from_name, id_of, is_relation, to_name};
use serde_json::Value;
use std::collections::BTreeMap;

/// How two results were paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    Id,
    Place,
}

/// One field that differs; `None` when the field is absent on that side.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// `x 10 → 12.5`, `labels ["Cat"] → ["Dog"]`, `rotation – → 15` (– for absent).
impl std::fmt::Display for FieldChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let side = |v: &Option<Value>| match v {
            None => "–".to_string(),
            Some(Value::String(s)) => crate::term_safe::quoted(s),
            Some(other) => other.to_string(),
        };
        write!(
            f,
            "{}",
            crate::util::sanitize(
                &format!(
                    "{} {} → {}",
                    self.field,
                    side(&self.before),
                    side(&self.after)
                ),
                false
            )
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum DiffKind {
    /// Only in the second result.
    Added,
    /// Only in the first result.
    Removed,
    Changed(Vec<FieldChange>),
    Unchanged,
}

/// One region (result item) of either side, with what happened to it.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffEntry {
    /// The control (`from_name`).
    pub control: String,
    pub to_name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub matched_by: Option<MatchedBy>,
    pub kind: DiffKind,
}

impl DiffEntry {
    pub fn is_difference(&self) -> bool {
        self.kind != DiffKind::Unchanged
    }
}

/// The comparison of two results, in the order of the second, then what only the first has.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultDiff {
    pub entries: Vec<DiffEntry>,
}

impl ResultDiff {
    /// How many entries are not Unchanged.
    pub fn differences(&self) -> usize {
        self.entries.iter().filter(|e| e.is_difference()).count()
    }

    /// Entries grouped per control, controls in name order.
    pub fn by_control(&self) -> BTreeMap<&str, Vec<&DiffEntry>> {
        let mut m: BTreeMap<&str, Vec<&DiffEntry>> = BTreeMap::new();
        for e in &self.entries {
            m.entry(e.control.as_str()).or_default().push(e);
        }
        m
    }
}

/// Pairs the items of `before` and `after`: `(Some(i), Some(j))` for a match, with how it
/// was found; `(Some(i), None)` and `(None, Some(j))` for items only on one side. Pairs come
/// in the order of `after`, then the unmatched items of `before` in their order.
pub fn match_regions(
    before: &[Value],
    after: &[Value],
) -> Vec<(Option<usize>, Option<usize>, Option<MatchedBy>)> {
    let mut partner: Vec<Option<(usize, MatchedBy)>> = vec![None; after.len()];
    let mut used = vec![false; before.len()];
    // Results that share an id are one region split by control, so the control is part
    // of the key.
    for (j, a) in after.iter().enumerate() {
        let Some(id) = id_of(a) else { continue };
        if let Some(i) = (0..before.len()).find(|&i| {
            !used[i] && id_of(&before[i]) == Some(id) && from_name(&before[i]) == from_name(a)
        }) {
            used[i] = true;
            partner[j] = Some((i, MatchedBy::Id));
        }
    }
    for (j, a) in after.iter().enumerate() {
        if partner[j].is_some() {
            continue;
        }
        if let Some(i) = (0..before.len()).find(|&i| {
            let b = &before[i];
            !used[i]
                && from_name(b) == from_name(a)
                && to_name(b) == to_name(a)
                && is_relation(a) == is_relation(b)
                && same_place(b, a)
        }) {
            used[i] = true;
            partner[j] = Some((i, MatchedBy::Place));
        }
    }
    let mut out: Vec<_> = partner
        .iter()
        .enumerate()
        .map(|(j, p)| (p.map(|(i, _)| i), Some(j), p.map(|(_, by)| by)))
        .collect();
    out.extend(
        used.iter()
            .enumerate()
            .filter(|(_, u)| !**u)
            .map(|(i, _)| (Some(i), None, None)),
    );
    out
}

/// Compares two results item by item.
pub fn diff(before: &[Value], after: &[Value]) -> ResultDiff {
    let entries = match_regions(before, after)
        .into_iter()
        .map(|(i, j, matched_by)| {
            let b = i.map(|i| &before[i]);
            let a = j.map(|j| &after[j]);
            let kind = match (b, a) {
                (Some(b), Some(a)) => {
                    let fields = changed_fields(b, a);
                    if fields.is_empty() {
                        DiffKind::Unchanged
                    } else {
                        DiffKind::Changed(fields)
                    }
                }
                (Some(_), None) => DiffKind::Removed,
                _ => DiffKind::Added,
            };
            let either = a.or(b).expect("a pair has at least one side");
            DiffEntry {
                control: from_name(either).to_string(),
                to_name: to_name(either).to_string(),
                before: b.cloned(),
                after: a.cloned(),
                matched_by,
                kind,
            }
        })
        .collect();
    ResultDiff { entries }
}

/// Fields shown first, in this order; any other value field follows by name.
const FIELD_ORDER: &[&str] = &[
    "x",
    "y",
    "width",
    "height",
    "rotation",
    "radiusX",
    "radiusY",
    "points",
    "start",
    "end",
    "startOffset",
    "endOffset",
    "globalOffsets",
    "channel",
    "instant",
    "ranges",
    "sequence",
    "text",
    "labels",
    "choices",
    "taxonomy",
    "rating",
    "number",
    "datetime",
];

/// Every field of the value that differs (numbers compared as numbers, so `10` equals
/// `10.0`). Relations compare their ends, direction and labels instead.
fn changed_fields(before: &Value, after: &Value) -> Vec<FieldChange> {
    let (fb, fa) = if is_relation(before) || is_relation(after) {
        (before, after)
    } else {
        (&before["value"], &after["value"])
    };
    let keys: Vec<&str> = if is_relation(before) || is_relation(after) {
        vec!["from_id", "to_id", "direction", "labels"]
    } else {
        let mut keys: Vec<&str> = [fb, fa]
            .iter()
            .filter_map(|v| v.as_object())
            .flat_map(|m| m.keys().map(String::as_str))
            .collect();
        keys.sort_by_key(|k| {
            (
                FIELD_ORDER
                    .iter()
                    .position(|o| o == k)
                    .unwrap_or(usize::MAX),
                *k,
            )
        });
        keys.dedup();
        keys
    };
    keys.into_iter()
        .filter_map(|k| {
            let (b, a) = (fb.get(k), fa.get(k));
            (!same_json(b, a)).then(|| FieldChange {
                field: k.to_string(),
                before: b.cloned(),
                after: a.cloned(),
            })
        })
        .collect()
}

fn same_json(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
            _ => x == y,
        },
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(Some(x), Some(y)))
        }
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            x.len() == y.len() && x.iter().all(|(k, v)| same_json(Some(v), y.get(k)))
        }
        _ => a == b,
    }
}

/// Whether two results of one control sit on the same place: their places
/// ([`super::matching::place`]) overlap by at least half, measured as agreement measures
/// it (spans and ranges on their axis, shapes by area, keypoints within 2 %). HyperText
/// and paragraph spans must start and end at the same offsets; brush masks of one control
/// pair up whatever they cover, so an edited mask shows as changed; classifications have
/// no place (one per control).
pub fn same_place(a: &Value, b: &Value) -> bool {
    let (va, vb) = (&a["value"], &b["value"]);
    if is_relation(a) || is_relation(b) {
        return a.get("from_id") == b.get("from_id") && a.get("to_id") == b.get("to_id");
    }
    // Hypertext and paragraph spans: XPaths or paragraph indices plus offsets.
    if va.get("startOffset").is_some() || vb.get("startOffset").is_some() {
        return va.get("start") == vb.get("start")
            && va.get("end") == vb.get("end")
            && va.get("startOffset") == vb.get("startOffset")
            && va.get("endOffset") == vb.get("endOffset");
    }
    if va.get("rle").is_some() && vb.get("rle").is_some() {
        return true;
    }
    match (place(va), place(vb)) {
        (Some(x), Some(y)) => overlap(&x, &y) >= 0.5,
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rect(id: &str, x: f64, y: f64, w: f64, h: f64, label: &str) -> Value {
        json!({"id": id, "from_name": "box", "to_name": "img", "type": "rectanglelabels",
               "value": {"x": x, "y": y, "width": w, "height": h, "rotation": 0,
                         "rectanglelabels": [label]}})
    }

    fn change(e: &DiffEntry) -> Vec<(&str, Option<&Value>, Option<&Value>)> {
        match &e.kind {
            DiffKind::Changed(f) => f
                .iter()
                .map(|c| (c.field.as_str(), c.before.as_ref(), c.after.as_ref()))
                .collect(),
            other => panic!("expected Changed, got {other:?}"),
        }
    }

    /// The old annotator diff compared only labels and text of regions on the same place,
    /// so a box moved and resized under the same label showed as unchanged.
    #[test]
    fn a_moved_and_resized_box_is_changed_with_its_numbers() {
        let prediction = [rect("a", 10.0, 10.0, 20.0, 20.0, "Cat")];
        let mine = [rect("a", 12.5, 10.0, 20.0, 24.0, "Cat")];
        let d = diff(&prediction, &mine);
        assert_eq!(d.entries.len(), 1);
        assert_eq!(d.entries[0].matched_by, Some(MatchedBy::Id));
        assert_eq!(
            change(&d.entries[0]),
            vec![
                ("x", Some(&json!(10.0)), Some(&json!(12.5))),
                ("height", Some(&json!(20.0)), Some(&json!(24.0))),
            ]
        );
        assert_eq!(d.differences(), 1);

        // Without shared ids the boxes still pair up by place, and the move shows.
        let mine = [rect("other", 11.0, 10.0, 20.0, 20.0, "Cat")];
        let d = diff(&prediction, &mine);
        assert_eq!(d.entries[0].matched_by, Some(MatchedBy::Place));
        assert_eq!(
            change(&d.entries[0]),
            vec![("x", Some(&json!(10.0)), Some(&json!(11.0)))]
        );
    }

    #[test]
    fn changes_print_as_before_and_after() {
        let mut turned = rect("a", 10.0, 10.0, 20.0, 20.0, "Dog");
        turned["value"]["x"] = json!(12.5);
        turned["value"]["note"] = json!("new");
        let d = diff(&[rect("a", 10.0, 10.0, 20.0, 20.0, "Cat")], &[turned]);
        let DiffKind::Changed(fields) = &d.entries[0].kind else {
            panic!("{:?}", d.entries[0].kind)
        };
        let lines: Vec<String> = fields.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "x 10.0 → 12.5",
                "note – → \"new\"",
                "rectanglelabels [\"Cat\"] → [\"Dog\"]"
            ]
        );
    }

    #[test]
    fn rotation_points_and_numbers_are_compared() {
        let mut turned = rect("a", 10.0, 10.0, 20.0, 20.0, "Cat");
        turned["value"]["rotation"] = json!(15);
        let d = diff(&[rect("a", 10.0, 10.0, 20.0, 20.0, "Cat")], &[turned]);
        assert_eq!(change(&d.entries[0])[0].0, "rotation");

        let poly = |p: Value| {
            json!({"id": "p", "from_name": "poly", "to_name": "img", "type": "polygonlabels",
                                     "value": {"points": p, "polygonlabels": ["Car"]}})
        };
        let d = diff(
            &[poly(json!([[0, 0], [10, 0], [10, 10]]))],
            &[poly(json!([[0, 0], [10, 0], [12, 10]]))],
        );
        assert_eq!(change(&d.entries[0])[0].0, "points");

        let same = diff(
            &[rect("a", 10.0, 10.0, 20.0, 20.0, "Cat")],
            &[json!(
            {"id": "a", "from_name": "box", "to_name": "img", "type": "rectanglelabels",
             "value": {"x": 10, "y": 10, "width": 20, "height": 20, "rotation": 0, "rectanglelabels": ["Cat"]}})],
        );
        assert_eq!(
            same.entries[0].kind,
            DiffKind::Unchanged,
            "10 and 10.0 are one number"
        );
    }

    #[test]
    fn spans_labels_and_classifications() {
        let span = |id: &str, s: i64, e: i64, l: &str| {
            json!({"id": id, "from_name": "ner", "to_name": "t",
            "type": "labels", "value": {"start": s, "end": e, "text": "x", "labels": [l]}})
        };
        let choice = |v: &str| {
            json!({"id": "c", "from_name": "sent", "to_name": "t", "type": "choices",
            "value": {"choices": [v]}})
        };
        let rating = |n: i64| json!({"from_name": "r", "to_name": "t", "type": "rating", "value": {"rating": n}});
        let before = [
            span("p1", 0, 10, "PER"),
            span("p2", 20, 30, "ORG"),
            choice("Pos"),
            rating(3),
        ];
        let after = [
            span("m1", 0, 12, "PER"),
            span("m2", 50, 60, "LOC"),
            choice("Neg"),
            rating(3),
        ];
        let d = diff(&before, &after);
        let kinds: Vec<(&str, &DiffKind)> = d
            .entries
            .iter()
            .map(|e| (e.control.as_str(), &e.kind))
            .collect();
        assert_eq!(kinds.len(), 5);
        assert_eq!(
            change(&d.entries[0]),
            vec![("end", Some(&json!(10)), Some(&json!(12)))]
        );
        assert_eq!(kinds[1], ("ner", &DiffKind::Added));
        assert_eq!(
            change(&d.entries[2]),
            vec![("choices", Some(&json!(["Pos"])), Some(&json!(["Neg"])))]
        );
        assert_eq!(kinds[3], ("r", &DiffKind::Unchanged));
        assert_eq!(kinds[4], ("ner", &DiffKind::Removed));
        assert_eq!(d.entries[4].before.as_ref(), Some(&before[1]));
        assert_eq!(d.differences(), 4);
        let per_control = d.by_control();
        assert_eq!(per_control["ner"].len(), 3);
        assert_eq!(
            per_control.keys().copied().collect::<Vec<_>>(),
            ["ner", "r", "sent"]
        );
    }

    #[test]
    fn split_results_match_by_id_and_control() {
        let geo = json!({"x": 1, "y": 1, "width": 5, "height": 5});
        let shape = json!({"id": "r", "from_name": "rect", "to_name": "img", "type": "rectangle", "value": geo});
        let mut lv = geo.clone();
        lv["labels"] = json!(["Cat"]);
        let labels =
            json!({"id": "r", "from_name": "lab", "to_name": "img", "type": "labels", "value": lv});
        let mut relabelled = labels.clone();
        relabelled["value"]["labels"] = json!(["Dog"]);
        let d = diff(&[shape.clone(), labels], &[relabelled, shape]);
        assert_eq!(d.entries[0].control, "lab");
        assert_eq!(change(&d.entries[0])[0].0, "labels");
        assert_eq!(d.entries[1].kind, DiffKind::Unchanged);
        assert_eq!(d.entries.len(), 2);
    }

    #[test]
    fn places() {
        let r = |x: f64| rect("", x, 0.0, 10.0, 10.0, "A");
        assert!(same_place(&r(0.0), &r(3.0)));
        assert!(
            !same_place(&r(0.0), &r(6.0)),
            "a third of the union overlaps"
        );
        let kp = |x: f64| json!({"value": {"x": x, "y": 5, "width": 1}});
        assert!(same_place(&kp(10.0), &kp(11.0)));
        assert!(!same_place(&kp(10.0), &kp(20.0)));
        assert!(!same_place(&kp(10.0), &r(10.0)));
        let audio = |s: f64, e: f64| json!({"value": {"start": s, "end": e, "channel": 0}});
        assert!(same_place(&audio(1.0, 3.0), &audio(1.2, 3.1)));
        assert!(!same_place(&audio(1.0, 3.0), &audio(2.5, 5.0)));
        let ht = |o: i64| json!({"value": {"start": "/p[1]", "end": "/p[1]", "startOffset": o, "endOffset": 9}});
        assert!(same_place(&ht(2), &ht(2)));
        assert!(!same_place(&ht(2), &ht(3)));
        // Two triangles halving one square share their bounding box but no area.
        let tri = |p: Value| json!({"value": {"points": p, "polygonlabels": ["A"]}});
        let lower = tri(json!([[0, 0], [10, 0], [0, 10]]));
        let upper = tri(json!([[10, 0], [10, 10], [0, 10]]));
        assert!(!same_place(&lower, &upper));
        assert!(same_place(&lower, &tri(json!([[0, 0], [10, 0], [0, 9]]))));
        let cls = json!({"value": {"choices": ["A"]}});
        assert!(same_place(&cls, &json!({"value": {"choices": ["B"]}})));
        assert!(!same_place(&cls, &r(0.0)));
    }
}
