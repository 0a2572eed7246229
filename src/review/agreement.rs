//! Agreement between annotators, per control, per task, per pair of annotators and for the
//! project. Definitions:
//!
//! - A pair of annotations is scored per control (`from_name`), then the controls are
//!   averaged. A control with no result in either annotation is left out of that pair. A
//!   pair where neither annotation has any result scores 1 (both say there is nothing to
//!   label). Relations are not scored.
//! - Classifications (Choices, Taxonomy, Rating, Number, DateTime, Pairwise, Ranker): 1 when
//!   the values are equal, else 0; lists are compared as sets (several choices, taxonomy
//!   paths), numbers as numbers. Per-region classifications of one control are pooled into
//!   one set per annotation.
//! - TextArea: 1 − Levenshtein distance (over characters) / the longer text's length; the
//!   texts of a control (several lines, per-region text areas in result order) are joined
//!   by newlines first. Two empty texts score 1.
//! - Regions (spans, shapes, audio/time-series/timeline ranges, video rectangles): matched
//!   one to one, same labels only, greedily by highest overlap ([`super::matching`]); the
//!   pair scores the sum of matched overlaps over the larger region count.
//! - Cancelled (skipped) annotations do not count.
//! - A task's agreement is the mean over its pairs of annotations; a task with fewer than
//!   two annotations has none. The project's is the mean over tasks that have one. A
//!   control's is the mean, over tasks where some pair scored it, of its mean over those
//!   pairs. The annotator matrix holds, per pair of annotators, the mean of their pair
//!   scores over the tasks both annotated.

use super::matching::{Region, match_by_overlap, place};
use super::quality::ModelQuality;
use crate::config::{LabelConfig, tags::ControlKind};
use crate::error::Result;
use crate::store::{AgreementAnnotation, Store, TaskResults};
use crate::term_safe::{display_width, fit, term_safe};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// How a control's results are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scoring {
    Classification,
    Text,
    Regions,
}

/// The results of one control in one annotation, in the form they are compared in.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlResults {
    pub scoring: Scoring,
    /// Classification values, each as text (`Positive`, `3`, `Animals/Cat`).
    pub values: BTreeSet<String>,
    /// TextArea texts joined by newlines.
    pub text: String,
    pub regions: Vec<Region>,
}

/// One annotation's (or prediction's) result, control by control.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoredResult {
    pub controls: BTreeMap<String, ControlResults>,
}

/// A value as text: strings as they are, numbers as numbers (`10` and `10.0` alike),
/// taxonomy paths joined by `/`, objects as JSON with sorted keys.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            Some(f) => f.to_string(),
            None => n.to_string(),
        },
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join("/"),
        Value::Object(m) => {
            let sorted: BTreeMap<&String, String> =
                m.iter().map(|(k, v)| (k, canonical_json(v))).collect();
            format!("{sorted:?}")
        }
        other => other.to_string(),
    }
}

fn canonical_json(v: &Value) -> String {
    match v {
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(canonical_json)
                .collect::<Vec<_>>()
                .join(",")
        ),
        Value::Object(_) | Value::Number(_) => value_text(v),
        other => other.to_string(),
    }
}

fn scoring_of(config: &LabelConfig, r: &Value) -> Option<Scoring> {
    let ty = r.get("type").and_then(Value::as_str);
    let kind = match ty {
        Some(t) => ControlKind::from_tag(t),
        None => config
            .control(crate::annotate::region::from_name(r))
            .map(|c| c.kind)?,
    };
    Some(match kind {
        ControlKind::Relations => return None,
        ControlKind::TextArea => Scoring::Text,
        ControlKind::Choices
        | ControlKind::Taxonomy
        | ControlKind::Rating
        | ControlKind::Number
        | ControlKind::DateTime
        | ControlKind::Pairwise
        | ControlKind::Ranker => Scoring::Classification,
        k if k.makes_regions() => Scoring::Regions,
        _ if r.get("value").and_then(place).is_some() => Scoring::Regions,
        _ => Scoring::Classification,
    })
}

/// The key in `value` a classification keeps its answer under.
fn class_key(ty: &str) -> &str {
    match ty {
        "pairwise" => "selected",
        t => t,
    }
}

impl ScoredResult {
    pub fn parse(config: &LabelConfig, result: &[Value]) -> ScoredResult {
        let mut controls: BTreeMap<String, ControlResults> = BTreeMap::new();
        for r in result {
            let Some(scoring) = scoring_of(config, r) else {
                continue;
            };
            let name = crate::annotate::region::from_name(r).to_string();
            let c = controls.entry(name).or_insert_with(|| ControlResults {
                scoring,
                values: BTreeSet::new(),
                text: String::new(),
                regions: Vec::new(),
            });
            let value = r.get("value").unwrap_or(&Value::Null);
            match c.scoring {
                Scoring::Classification => {
                    let ty = r.get("type").and_then(Value::as_str).unwrap_or("");
                    let answer = value
                        .get(class_key(ty))
                        .or_else(|| value.as_object().and_then(|m| m.values().next()));
                    match answer {
                        Some(Value::Array(items)) => {
                            c.values.extend(items.iter().map(value_text));
                        }
                        Some(Value::Null) | None => {}
                        Some(v) => {
                            c.values.insert(value_text(v));
                        }
                    }
                }
                Scoring::Text => {
                    let texts: Vec<String> = match value.get("text") {
                        Some(Value::Array(items)) => items.iter().map(value_text).collect(),
                        Some(Value::Null) | None => Vec::new(),
                        Some(v) => vec![value_text(v)],
                    };
                    for t in texts {
                        if !c.text.is_empty() {
                            c.text.push('\n');
                        }
                        c.text.push_str(&t);
                    }
                }
                Scoring::Regions => {
                    let mut labels = crate::task::region_labels(r);
                    labels.sort();
                    labels.dedup();
                    let place = place(value)
                        .unwrap_or_else(|| super::matching::Place::Opaque(String::new()));
                    c.regions.push(Region { labels, place });
                }
            }
        }
        ScoredResult { controls }
    }

    /// Parses a result list stored as JSON text; anything but a list reads as empty.
    pub fn from_json(config: &LabelConfig, result: &str) -> ScoredResult {
        match serde_json::from_str::<Value>(result) {
            Ok(Value::Array(items)) => Self::parse(config, &items),
            _ => ScoredResult::default(),
        }
    }
}

/// Levenshtein distance over characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() || b.is_empty() {
        return a.len().max(b.len());
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != cb);
            cur[j + 1] = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// 1 − edit distance / length of the longer text; 1 for two empty texts.
pub fn text_similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let longest = a.chars().count().max(b.chars().count());
    1.0 - levenshtein(a, b) as f64 / longest as f64
}

/// One control's score for a pair; `None` when neither side has it.
pub fn control_score(a: Option<&ControlResults>, b: Option<&ControlResults>) -> Option<f64> {
    let scoring = a.or(b)?.scoring;
    Some(match scoring {
        Scoring::Classification => match (a, b) {
            (Some(a), Some(b)) => f64::from(u8::from(a.values == b.values)),
            _ => 0.0,
        },
        Scoring::Text => text_similarity(
            a.map_or("", |c| c.text.as_str()),
            b.map_or("", |c| c.text.as_str()),
        ),
        Scoring::Regions => match_by_overlap(
            a.map_or(&[][..], |c| &c.regions),
            b.map_or(&[][..], |c| &c.regions),
        )
        .score(),
    })
}

/// A pair's score and the score of each control it has.
#[derive(Debug, Clone, PartialEq)]
pub struct PairScore {
    pub score: f64,
    pub per_control: Vec<(String, f64)>,
}

pub fn pair_score(a: &ScoredResult, b: &ScoredResult) -> PairScore {
    let names: BTreeSet<&String> = a.controls.keys().chain(b.controls.keys()).collect();
    let per_control: Vec<(String, f64)> = names
        .into_iter()
        .filter_map(|n| control_score(a.controls.get(n), b.controls.get(n)).map(|s| (n.clone(), s)))
        .collect();
    let score = if per_control.is_empty() {
        1.0
    } else {
        per_control.iter().map(|(_, s)| s).sum::<f64>() / per_control.len() as f64
    };
    PairScore { score, per_control }
}

/// A running mean.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Mean {
    pub sum: f64,
    pub count: u64,
}

impl Mean {
    pub fn add(&mut self, x: f64) {
        self.sum += x;
        self.count += 1;
    }

    pub fn value(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

/// A task's scores: every pair of its annotations (by index) and the mean.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskScore {
    pub agreement: Option<f64>,
    pub pairs: Vec<(usize, usize, PairScore)>,
}

impl TaskScore {
    /// Per control, the mean over the pairs that scored it.
    pub fn per_control(&self) -> BTreeMap<String, f64> {
        let mut means: BTreeMap<String, Mean> = BTreeMap::new();
        for (_, _, p) in &self.pairs {
            for (name, s) in &p.per_control {
                means.entry(name.clone()).or_default().add(*s);
            }
        }
        means
            .into_iter()
            .filter_map(|(k, m)| Some((k, m.value()?)))
            .collect()
    }
}

pub fn score_task(annotations: &[ScoredResult]) -> TaskScore {
    let mut pairs = Vec::new();
    for i in 0..annotations.len() {
        for j in i + 1..annotations.len() {
            pairs.push((i, j, pair_score(&annotations[i], &annotations[j])));
        }
    }
    let mut mean = Mean::default();
    for (_, _, p) in &pairs {
        mean.add(p.score);
    }
    TaskScore {
        agreement: mean.value(),
        pairs,
    }
}

/// A task's agreement from its stored annotations (submitted ones only).
fn stored_task_agreement(config: &LabelConfig, annotations: &[AgreementAnnotation]) -> Option<f64> {
    if annotations.len() < 2 {
        return None;
    }
    // A result always agrees fully with itself: most tasks whose annotators agree need
    // no parsing.
    if annotations.windows(2).all(|w| w[0].result == w[1].result) {
        return Some(1.0);
    }
    let parsed: Vec<ScoredResult> = annotations
        .iter()
        .map(|a| ScoredResult::from_json(config, &a.result))
        .collect();
    score_task(&parsed).agreement
}

/// Tasks refreshed per transaction: a writer waits at most one batch for the lock (some
/// 50 ms of work).
pub const REFRESH_BATCH: usize = 5_000;

/// Recomputes the stored agreement of every task marked stale (its annotations changed
/// since), one transaction per batch of tasks, and clears the mark. Returns how many tasks
/// were refreshed. Screens and commands call it before they show agreement.
pub fn refresh_agreement(store: &mut Store, config: &LabelConfig) -> Result<usize> {
    Ok(store.refresh_stale_agreement(REFRESH_BATCH, |annotations| {
        stored_task_agreement(config, annotations)
    })?)
}

/// One task's agreement with who annotated it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskAgreement {
    pub id: i64,
    pub agreement: f64,
    pub annotators: Vec<String>,
}

/// Every agreement and prediction-quality figure of a project.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgreementReport {
    /// Over tasks with two or more annotations.
    pub overall: Mean,
    pub per_control: BTreeMap<String, Mean>,
    /// annotator → annotator → mean of their pairs (both ways; no diagonal).
    pub matrix: BTreeMap<String, BTreeMap<String, Mean>>,
    /// model_version → quality against the annotations.
    pub predictions: BTreeMap<String, ModelQuality>,
    /// The lowest tasks, lowest first.
    pub lowest: Vec<TaskAgreement>,
}

fn annotator_name(names: &HashMap<i64, String>, id: Option<i64>) -> String {
    match id {
        Some(id) => names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("user {id}")),
        None => "(nobody)".to_string(),
    }
}

impl AgreementReport {
    fn add_task(
        &mut self,
        config: &LabelConfig,
        names: &HashMap<i64, String>,
        task: &TaskResults,
        keep_lowest: usize,
        each_task: &mut impl FnMut(&TaskAgreement),
    ) {
        let need_agreement = task.annotations.len() >= 2;
        if !need_agreement && task.predictions.is_empty() {
            return;
        }
        let parsed: Vec<ScoredResult> = task
            .annotations
            .iter()
            .map(|a| ScoredResult::from_json(config, &a.result))
            .collect();
        if need_agreement {
            let scored = score_task(&parsed);
            let Some(agreement) = scored.agreement else {
                return;
            };
            self.overall.add(agreement);
            for (name, s) in scored.per_control() {
                self.per_control.entry(name).or_default().add(s);
            }
            let who: Vec<String> = task
                .annotations
                .iter()
                .map(|a| annotator_name(names, a.completed_by))
                .collect();
            for (i, j, p) in &scored.pairs {
                if who[*i] == who[*j] {
                    continue;
                }
                for (x, y) in [(i, j), (j, i)] {
                    // Looked up before inserting: no names copied once a pair is known.
                    if !self.matrix.contains_key(&who[*x]) {
                        self.matrix.insert(who[*x].clone(), BTreeMap::new());
                    }
                    let row = self.matrix.get_mut(&who[*x]).expect("inserted above");
                    match row.get_mut(&who[*y]) {
                        Some(m) => m.add(p.score),
                        None => {
                            let mut m = Mean::default();
                            m.add(p.score);
                            row.insert(who[*y].clone(), m);
                        }
                    }
                }
            }
            let mut annotators = who;
            annotators.sort();
            annotators.dedup();
            let t = TaskAgreement {
                id: task.task_id,
                agreement,
                annotators,
            };
            each_task(&t);
            self.keep_if_lowest(t, keep_lowest);
        }
        for p in &task.predictions {
            let predicted = ScoredResult::from_json(config, &p.result);
            let quality = self.predictions.entry(p.model_version.clone()).or_default();
            for a in &parsed {
                quality.add(&predicted, a);
            }
        }
    }

    fn keep_if_lowest(&mut self, t: TaskAgreement, keep: usize) {
        if keep == 0 {
            return;
        }
        if self.lowest.len() == keep
            && self
                .lowest
                .last()
                .is_some_and(|last| last.agreement <= t.agreement)
        {
            return;
        }
        let at = self
            .lowest
            .partition_point(|x| (x.agreement, x.id) <= (t.agreement, t.id));
        self.lowest.insert(at, t);
        self.lowest.truncate(keep);
    }

    /// `overall`, `per_control`, `matrix` and `predictions` (the tasks are streamed by the
    /// caller, see [`report`]).
    pub fn to_json(&self) -> Value {
        let per_control: serde_json::Map<String, Value> = self
            .per_control
            .iter()
            .map(|(k, m)| (k.clone(), json!(m.value())))
            .collect();
        let matrix: serde_json::Map<String, Value> = self
            .matrix
            .iter()
            .map(|(a, row)| {
                let row: serde_json::Map<String, Value> = row
                    .iter()
                    .map(|(b, m)| (b.clone(), json!(m.value())))
                    .collect();
                (a.clone(), Value::Object(row))
            })
            .collect();
        let predictions: serde_json::Map<String, Value> = self
            .predictions
            .iter()
            .map(|(mv, q)| (mv.clone(), q.to_json()))
            .collect();
        json!({
            "overall": self.overall.value(),
            "tasks_scored": self.overall.count,
            "per_control": per_control,
            "matrix": matrix,
            "predictions": predictions,
        })
    }

    /// A report a person reads: overall, per control, the lowest tasks, the annotator
    /// matrix and prediction quality. Names from the project are shown through
    /// [`term_safe`], and columns align on the columns shown.
    pub fn to_text(&self) -> String {
        let fig = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.3}"));
        let mut s = format!(
            "agreement    {} over {} task(s) with two or more annotations\n",
            fig(self.overall.value()),
            self.overall.count
        );
        if !self.per_control.is_empty() {
            s.push_str("\nper control\n");
            let width = self
                .per_control
                .keys()
                .map(|k| display_width(&term_safe(k)))
                .max()
                .unwrap_or(0);
            for (name, m) in &self.per_control {
                s.push_str(&format!(
                    "  {}  {}  ({} task(s))\n",
                    fit(&term_safe(name), width),
                    fig(m.value()),
                    m.count
                ));
            }
        }
        if !self.lowest.is_empty() {
            s.push_str("\nlowest tasks\n");
            for t in &self.lowest {
                s.push_str(&format!(
                    "  task {:<8}  {}  {}\n",
                    t.id,
                    fig(Some(t.agreement)),
                    term_safe(&t.annotators.join(", "))
                ));
            }
        }
        if !self.matrix.is_empty() {
            s.push_str("\nannotators\n");
            let names: Vec<String> = self
                .matrix
                .keys()
                .map(|k| term_safe(k).into_owned())
                .collect();
            let width = names.iter().map(|n| display_width(n)).max().unwrap_or(0);
            let col = |n: &str| display_width(n).max(5);
            s.push_str(&format!("  {}", fit("", width)));
            for n in &names {
                s.push_str(&format!("  {n}"));
                s.push_str(&" ".repeat(col(n) - display_width(n)));
            }
            s.truncate(s.trim_end().len());
            s.push('\n');
            for (a, name) in self.matrix.keys().zip(&names) {
                s.push_str(&format!("  {}", fit(name, width)));
                for (b, bn) in self.matrix.keys().zip(&names) {
                    let cell = self.matrix[a]
                        .get(b)
                        .map_or("–".to_string(), |m| fig(m.value()));
                    s.push_str(&format!("  {}", fit(&cell, col(bn))));
                }
                s.truncate(s.trim_end().len());
                s.push('\n');
            }
        }
        for (mv, q) in &self.predictions {
            s.push_str(&format!(
                "\npredictions {}: accuracy {} over {} prediction/annotation pair(s)\n",
                term_safe(mv),
                fig(q.accuracy.value()),
                q.accuracy.count
            ));
            if !q.labels.is_empty() {
                let width = q
                    .labels
                    .keys()
                    .map(|k| display_width(&term_safe(k)))
                    .max()
                    .unwrap_or(0)
                    .max(5);
                s.push_str(&format!(
                    "  {}  {:>9}  {:>6}  {:>5}  {:>5}  {:>5}  {:>5}\n",
                    fit("label", width),
                    "precision",
                    "recall",
                    "f1",
                    "tp",
                    "fp",
                    "fn"
                ));
                for (label, c) in &q.labels {
                    s.push_str(&format!(
                        "  {}  {:>9}  {:>6}  {:>5}  {:>5}  {:>5}  {:>5}\n",
                        fit(&term_safe(label), width),
                        fig(c.precision()),
                        fig(c.recall()),
                        fig(c.f1()),
                        c.true_positives,
                        c.false_positives,
                        c.false_negatives
                    ));
                }
            }
        }
        s
    }
}

/// Computes every figure from the annotations and predictions, streaming the project task
/// by task (only one task's results are in memory). `each_task` sees every task with two
/// or more annotations, in id order; `keep_lowest` of them are kept in the report.
pub fn report(
    store: &Store,
    config: &LabelConfig,
    keep_lowest: usize,
    mut each_task: impl FnMut(&TaskAgreement),
) -> Result<AgreementReport> {
    let names = store.user_names()?;
    let mut report = AgreementReport::default();
    store.each_task_results(|task| {
        report.add_task(config, &names, task, keep_lowest, &mut each_task);
    })?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn config() -> LabelConfig {
        LabelConfig::parse(
            r#"<View><Text name="t" value="$t"/>
            <Choices name="sent" toName="t" choice="multiple"><Choice value="Pos"/><Choice value="Neg"/></Choices>
            <Labels name="ner" toName="t"><Label value="PER"/><Label value="ORG"/></Labels>
            <TextArea name="note" toName="t"/>
            </View>"#,
        )
        .unwrap()
    }

    fn parse(v: Value) -> ScoredResult {
        ScoredResult::parse(&config(), v.as_array().unwrap())
    }

    fn choice(v: &[&str]) -> Value {
        json!({"from_name": "sent", "to_name": "t", "type": "choices", "value": {"choices": v}})
    }

    fn span(s: i64, e: i64, l: &str) -> Value {
        json!({"from_name": "ner", "to_name": "t", "type": "labels",
               "value": {"start": s, "end": e, "labels": [l]}})
    }

    fn note(t: &[&str]) -> Value {
        json!({"from_name": "note", "to_name": "t", "type": "textarea", "value": {"text": t}})
    }

    #[test]
    fn choices_with_three_annotators() {
        // a: Pos, b: Pos, c: Neg. Pairs: (a,b) 1, (a,c) 0, (b,c) 0 → task mean 1/3.
        let a = parse(json!([choice(&["Pos"])]));
        let b = parse(json!([choice(&["Pos"])]));
        let c = parse(json!([choice(&["Neg"])]));
        let t = score_task(&[a, b, c]);
        let scores: Vec<f64> = t.pairs.iter().map(|p| p.2.score).collect();
        assert_eq!(scores, vec![1.0, 0.0, 0.0]);
        assert!(near(t.agreement.unwrap(), 1.0 / 3.0));
        assert!(near(t.per_control()["sent"], 1.0 / 3.0));
        // Several choices are compared as sets: order does not matter.
        let x = parse(json!([choice(&["Pos", "Neg"])]));
        let y = parse(json!([choice(&["Neg", "Pos"])]));
        assert_eq!(pair_score(&x, &y).score, 1.0);
    }

    #[test]
    fn spans_by_hand() {
        // a: PER [0,10), ORG [20,30); b: PER [5,10), ORG [40,50).
        // PER pair: 5/10 = 0.5; ORG [20,30) vs [40,50) do not overlap: unmatched.
        // Score: 0.5 / max(2, 2) = 0.25.
        let a = parse(json!([span(0, 10, "PER"), span(20, 30, "ORG")]));
        let b = parse(json!([span(5, 10, "PER"), span(40, 50, "ORG")]));
        assert!(near(pair_score(&a, &b).score, 0.25));
        // A PER span against an ORG span on the same place: different labels never match.
        let c = parse(json!([span(0, 10, "ORG")]));
        let d = parse(json!([span(0, 10, "PER")]));
        assert_eq!(pair_score(&c, &d).score, 0.0);
    }

    #[test]
    fn text_areas_by_edit_distance() {
        // "kitten" → "sitting": 3 edits over 7 characters → 1 − 3/7 = 4/7.
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        let a = parse(json!([note(&["kitten"])]));
        let b = parse(json!([note(&["sitting"])]));
        assert!(near(pair_score(&a, &b).score, 4.0 / 7.0));
        // Two lines are joined: "ab\ncd" vs "ab\nce": 1 edit over 5 → 0.8.
        let c = parse(json!([note(&["ab", "cd"])]));
        let d = parse(json!([note(&["ab", "ce"])]));
        assert!(near(pair_score(&c, &d).score, 0.8));
        // Characters, not bytes: "é" vs "e" is one edit over one character.
        assert_eq!(text_similarity("é", "e"), 0.0);
    }

    #[test]
    fn controls_average_and_absent_controls_are_skipped() {
        // Choices equal (1), text "ab" vs "ac" (1 − 1/2 = 0.5); the span control is in
        // neither and is left out: (1 + 0.5) / 2 = 0.75.
        let a = parse(json!([choice(&["Pos"]), note(&["ab"])]));
        let b = parse(json!([choice(&["Pos"]), note(&["ac"])]));
        let p = pair_score(&a, &b);
        assert!(near(p.score, 0.75));
        assert_eq!(p.per_control.len(), 2);
        // A control on one side only scores 0: choices 1, spans 0 → 0.5.
        let c = parse(json!([choice(&["Pos"]), span(0, 3, "PER")]));
        let d = parse(json!([choice(&["Pos"])]));
        assert!(near(pair_score(&d, &c).score, 0.5));
        // Two empty annotations agree.
        assert_eq!(pair_score(&parse(json!([])), &parse(json!([]))).score, 1.0);
    }

    #[test]
    fn values_compare_as_numbers_and_paths() {
        assert_eq!(value_text(&json!(3)), value_text(&json!(3.0)));
        assert_eq!(value_text(&json!(["Animals", "Cat"])), "Animals/Cat");
    }

    #[test]
    fn the_lowest_tasks_are_kept_in_order() {
        let mut r = AgreementReport::default();
        for (id, a) in [(1, 0.9), (2, 0.1), (3, 0.5), (4, 0.3)] {
            r.keep_if_lowest(
                TaskAgreement {
                    id,
                    agreement: a,
                    annotators: vec![],
                },
                2,
            );
        }
        assert_eq!(
            r.lowest.iter().map(|t| t.id).collect::<Vec<_>>(),
            vec![2, 4]
        );
    }
}
