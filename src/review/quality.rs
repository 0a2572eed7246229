//! How good a model's predictions are against the annotations of their tasks.
//!
//! - Accuracy: the mean pair score ([`super::agreement::pair_score`]) of each prediction
//!   against each submitted annotation of its task.
//! - Per label, counted over the same prediction/annotation pairs:
//!   - classifications: a value in both is a true positive, a value only predicted a false
//!     positive, a value only annotated a false negative;
//!   - regions: regions are matched as for agreement (same labels, highest overlap first);
//!     a match with overlap of at least [`MATCH_THRESHOLD`] is a true positive for each of
//!     its labels; a weaker match is a false positive and a false negative; a predicted
//!     region left unmatched is a false positive, an annotated one a false negative.
//!     Unlabelled shapes count under their control's name;
//!   - text areas have no labels.
//! - precision = tp / (tp + fp), recall = tp / (tp + fn), F1 their harmonic mean; each is
//!   missing (null) when its denominator is 0.

use super::agreement::{Mean, ScoredResult, Scoring, pair_score};
use super::matching::match_by_overlap;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Overlap from which a matched predicted region counts as found.
pub const MATCH_THRESHOLD: f64 = 0.5;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabelCounts {
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
}

fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

impl LabelCounts {
    pub fn precision(&self) -> Option<f64> {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    pub fn recall(&self) -> Option<f64> {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    pub fn f1(&self) -> Option<f64> {
        ratio(
            2 * self.true_positives,
            2 * self.true_positives + self.false_positives + self.false_negatives,
        )
    }
}

/// Counts one label, copying its name only the first time.
fn bump(labels: &mut BTreeMap<String, LabelCounts>, label: &str, f: fn(&mut LabelCounts)) {
    match labels.get_mut(label) {
        Some(c) => f(c),
        None => f(labels.entry(label.to_string()).or_default()),
    }
}

/// One model_version's figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelQuality {
    pub accuracy: Mean,
    pub labels: BTreeMap<String, LabelCounts>,
}

impl ModelQuality {
    /// Counts one prediction against one annotation of its task.
    pub fn add(&mut self, prediction: &ScoredResult, annotation: &ScoredResult) {
        self.accuracy.add(pair_score(prediction, annotation).score);
        let names: BTreeSet<&String> = prediction
            .controls
            .keys()
            .chain(annotation.controls.keys())
            .collect();
        for name in names {
            let (p, a) = (prediction.controls.get(name), annotation.controls.get(name));
            let scoring = p.or(a).map(|c| c.scoring);
            match scoring {
                Some(Scoring::Classification) => {
                    let empty = BTreeSet::new();
                    let pv = p.map_or(&empty, |c| &c.values);
                    let av = a.map_or(&empty, |c| &c.values);
                    for v in pv.union(av) {
                        if !self.labels.contains_key(v) {
                            self.labels.insert(v.clone(), LabelCounts::default());
                        }
                        let c = self.labels.get_mut(v).expect("inserted above");
                        match (pv.contains(v), av.contains(v)) {
                            (true, true) => c.true_positives += 1,
                            (true, false) => c.false_positives += 1,
                            _ => c.false_negatives += 1,
                        }
                    }
                }
                Some(Scoring::Regions) => {
                    let pr = p.map_or(&[][..], |c| &c.regions);
                    let ar = a.map_or(&[][..], |c| &c.regions);
                    let m = match_by_overlap(pr, ar);
                    let mut count = |l: &[String], f: fn(&mut LabelCounts)| {
                        if l.is_empty() {
                            bump(&mut self.labels, name, f);
                        }
                        for label in l {
                            bump(&mut self.labels, label, f);
                        }
                    };
                    for pair in &m.pairs {
                        if pair.overlap >= MATCH_THRESHOLD {
                            count(&pr[pair.a].labels, |c| c.true_positives += 1);
                        } else {
                            count(&pr[pair.a].labels, |c| c.false_positives += 1);
                            count(&ar[pair.b].labels, |c| c.false_negatives += 1);
                        }
                    }
                    for &i in &m.only_a {
                        count(&pr[i].labels, |c| c.false_positives += 1);
                    }
                    for &j in &m.only_b {
                        count(&ar[j].labels, |c| c.false_negatives += 1);
                    }
                }
                Some(Scoring::Text) | None => {}
            }
        }
    }

    pub fn to_json(&self) -> Value {
        let labels: serde_json::Map<String, Value> = self
            .labels
            .iter()
            .map(|(l, c)| {
                (
                    l.clone(),
                    json!({
                        "precision": c.precision(),
                        "recall": c.recall(),
                        "f1": c.f1(),
                        "tp": c.true_positives,
                        "fp": c.false_positives,
                        "fn": c.false_negatives,
                    }),
                )
            })
            .collect();
        json!({
            "accuracy": self.accuracy.value(),
            "pairs": self.accuracy.count,
            "labels": labels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LabelConfig;

    fn parse(v: Value) -> ScoredResult {
        let config = LabelConfig::parse(
            r#"<View><Image name="img" value="$img"/>
            <RectangleLabels name="box" toName="img"><Label value="Cat"/><Label value="Dog"/></RectangleLabels>
            <Choices name="kind" toName="img" choice="multiple"><Choice value="Indoor"/><Choice value="Outdoor"/><Choice value="Night"/></Choices>
            </View>"#,
        )
        .unwrap();
        ScoredResult::parse(&config, v.as_array().unwrap())
    }

    fn rect(x: f64, l: &str) -> Value {
        json!({"from_name": "box", "to_name": "img", "type": "rectanglelabels",
               "value": {"x": x, "y": 0, "width": 10, "height": 10, "rectanglelabels": [l]}})
    }

    fn kind(v: &[&str]) -> Value {
        json!({"from_name": "kind", "to_name": "img", "type": "choices", "value": {"choices": v}})
    }

    #[test]
    fn a_prediction_against_two_annotations_by_hand() {
        // Prediction: Cat at x=0, Cat at x=50, Dog at x=0; choices Indoor, Night.
        let prediction = parse(json!([
            rect(0.0, "Cat"),
            rect(50.0, "Cat"),
            rect(0.0, "Dog"),
            kind(&["Indoor", "Night"])
        ]));
        // Annotation 1: Cat at x=2 (IoU with x=0: 8x10=80 over 200−80=120 → 2/3), Dog at
        // x=8 (IoU 2x10=20 over 180 → 1/9, below 0.5); choices Indoor.
        let a1 = parse(json!([
            rect(2.0, "Cat"),
            rect(8.0, "Dog"),
            kind(&["Indoor"])
        ]));
        // Annotation 2: nothing on the image, choices Outdoor.
        let a2 = parse(json!([kind(&["Outdoor"])]));
        let mut q = ModelQuality::default();
        q.add(&prediction, &a1);
        q.add(&prediction, &a2);
        // vs a1: Cat TP (2/3 ≥ 0.5), the x=50 Cat FP; Dog matched at 1/9: FP + FN.
        //   Indoor TP, Night FP.
        // vs a2: all three boxes FP (Cat 2, Dog 1); Indoor FP, Night FP, Outdoor FN.
        let c = |l: &str| q.labels[l];
        assert_eq!(
            c("Cat"),
            LabelCounts {
                true_positives: 1,
                false_positives: 3,
                false_negatives: 0
            }
        );
        assert_eq!(
            c("Dog"),
            LabelCounts {
                true_positives: 0,
                false_positives: 2,
                false_negatives: 1
            }
        );
        assert_eq!(
            c("Indoor"),
            LabelCounts {
                true_positives: 1,
                false_positives: 1,
                false_negatives: 0
            }
        );
        assert_eq!(c("Night").false_positives, 2);
        assert_eq!(c("Outdoor").false_negatives, 1);
        // Cat: precision 1/4, recall 1/1, F1 = 2·1 / (2·1 + 3 + 0) = 0.4.
        assert_eq!(c("Cat").precision(), Some(0.25));
        assert_eq!(c("Cat").recall(), Some(1.0));
        assert_eq!(c("Cat").f1(), Some(0.4));
        // Dog: never found: precision 0, recall 0, F1 0. Outdoor never predicted: no
        // precision, recall 0.
        assert_eq!(c("Dog").f1(), Some(0.0));
        assert_eq!(c("Outdoor").precision(), None);
        // Accuracy. vs a1: boxes matched Cat 2/3 + Dog 1/9 over max(3, 2) = 3 → 7/27;
        // choices differ → 0; mean (7/27 + 0)/2 = 7/54. vs a2: boxes 0 (one side only),
        // choices 0 → 0. Accuracy (7/54 + 0) / 2 = 7/108.
        assert!((q.accuracy.value().unwrap() - 7.0 / 108.0).abs() < 1e-9);
    }
}
