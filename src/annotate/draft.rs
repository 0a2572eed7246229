//! My result while I work on a task: the result list, undo and redo, the lead time, and
//! a revision counter that tells the caller whether what is on screen has been stored.

use crate::config::LabelConfig;
use serde_json::Value;
use std::time::Instant;

/// Undo steps kept; older ones are dropped first.
pub const UNDO_DEPTH: usize = 200;

#[derive(Debug, Clone)]
pub struct Draft {
    result: Vec<Value>,
    undo: Vec<Vec<Value>>,
    redo: Vec<Vec<Value>>,
    /// Seconds spent before this opening (from a stored draft or annotation).
    lead_base: f64,
    /// When the clock last started; `None` while paused.
    running_since: Option<Instant>,
    revision: u64,
    saved_revision: u64,
}

impl Draft {
    /// A draft of a stored result (so not dirty), its clock running from now.
    pub fn new(result: Vec<Value>, lead_base: f64) -> Draft {
        Draft::new_at(result, lead_base, Instant::now())
    }

    pub fn new_at(result: Vec<Value>, lead_base: f64, now: Instant) -> Draft {
        Draft {
            result,
            undo: Vec::new(),
            redo: Vec::new(),
            lead_base: lead_base.max(0.0),
            running_since: Some(now),
            revision: 0,
            saved_revision: 0,
        }
    }

    pub fn result(&self) -> &[Value] {
        &self.result
    }

    pub fn into_result(self) -> Vec<Value> {
        self.result
    }

    /// The result as the JSON text the store keeps.
    pub fn result_json(&self) -> String {
        Value::Array(self.result.clone()).to_string()
    }

    // ------------------------------------------------------------------ lead time

    /// Seconds spent on this task: the stored base plus the time open and not paused.
    pub fn lead_time(&self) -> f64 {
        self.lead_time_at(Instant::now())
    }

    pub fn lead_time_at(&self, now: Instant) -> f64 {
        self.lead_base
            + self
                .running_since
                .map_or(0.0, |t| now.saturating_duration_since(t).as_secs_f64())
    }

    /// Stops the clock (the annotator left the task on screen but is not working on it).
    pub fn pause(&mut self) {
        self.pause_at(Instant::now());
    }

    pub fn pause_at(&mut self, now: Instant) {
        self.lead_base = self.lead_time_at(now);
        self.running_since = None;
    }

    pub fn resume(&mut self) {
        self.resume_at(Instant::now());
    }

    pub fn resume_at(&mut self, now: Instant) {
        if self.running_since.is_none() {
            self.running_since = Some(now);
        }
    }

    pub fn is_paused(&self) -> bool {
        self.running_since.is_none()
    }

    // -------------------------------------------------------------------- editing

    /// Applies an edit. An undo step is recorded only when the edit says it did something
    /// and the result really differs. Returns whether the result changed.
    pub fn apply(
        &mut self,
        config: &LabelConfig,
        edit: impl FnOnce(&LabelConfig, &mut Vec<Value>) -> bool,
    ) -> bool {
        let before = self.result.clone();
        if !edit(config, &mut self.result) || self.result == before {
            // A declined edit may have touched the list half way: put it back.
            self.result = before;
            return false;
        }
        self.record(before);
        true
    }

    /// Replaces the whole result (accepting a prediction, restoring a version) as one
    /// undo step. Returns whether the result changed.
    pub fn replace_all(&mut self, new: Vec<Value>) -> bool {
        if new == self.result {
            return false;
        }
        let before = std::mem::replace(&mut self.result, new);
        self.record(before);
        true
    }

    fn record(&mut self, before: Vec<Value>) {
        self.undo.push(before);
        if self.undo.len() > UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.redo.clear();
        self.revision += 1;
    }

    /// Goes one step back. Returns false when there is nothing to undo.
    pub fn undo(&mut self) -> bool {
        let Some(prev) = self.undo.pop() else {
            return false;
        };
        self.redo.push(std::mem::replace(&mut self.result, prev));
        self.revision += 1;
        true
    }

    /// Goes one step forward again. Returns false when there is nothing to redo.
    pub fn redo(&mut self) -> bool {
        let Some(next) = self.redo.pop() else {
            return false;
        };
        self.undo.push(std::mem::replace(&mut self.result, next));
        self.revision += 1;
        true
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    // ------------------------------------------------------------------- saving

    /// Goes up with every change (edits, undo, redo). A save carries the revision it wrote.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Whether the result on screen differs from the last one stored.
    pub fn is_dirty(&self) -> bool {
        self.revision != self.saved_revision
    }

    /// Records that `revision` was stored. An older save finishing late does not make a
    /// newer result look stored.
    pub fn mark_saved(&mut self, revision: u64) {
        if revision > self.saved_revision && revision <= self.revision {
            self.saved_revision = revision;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn config() -> LabelConfig {
        LabelConfig::parse(
            r#"<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="A"/></Choices></View>"#,
        )
        .unwrap()
    }

    fn choice(v: &str) -> Value {
        json!({"id": "c1", "from_name": "c", "to_name": "t", "type": "choices", "value": {"choices": [v]}})
    }

    #[test]
    fn edits_record_undo_only_when_something_changed() {
        let c = config();
        let mut d = Draft::new(Vec::new(), 0.0);
        assert!(!d.apply(&c, |_, r| {
            r.push(choice("A"));
            false
        }));
        assert!(d.result().is_empty(), "a declined edit leaves no trace");
        assert!(!d.apply(&c, |_, _| true), "no change, no undo step");
        assert!(!d.can_undo());
        assert!(!d.is_dirty());

        assert!(d.apply(&c, |_, r| {
            r.push(choice("A"));
            true
        }));
        assert!(d.apply(&c, |_, r| {
            r[0] = choice("B");
            true
        }));
        assert_eq!(d.revision(), 2);
        assert!(d.undo());
        assert_eq!(d.result(), &[choice("A")]);
        assert!(d.undo());
        assert!(d.result().is_empty());
        assert!(!d.undo());
        assert!(d.redo());
        assert!(d.redo());
        assert_eq!(d.result(), &[choice("B")]);
        assert!(!d.redo());
        d.undo();
        d.apply(&c, |_, r| {
            r.clear();
            true
        });
        assert!(!d.can_redo(), "a new edit drops the redo stack");
    }

    #[test]
    fn replace_all_is_one_undo_step() {
        let mut d = Draft::new(vec![choice("A")], 0.0);
        let accepted = vec![choice("B"), json!({"id": "r1", "from_name": "x"})];
        assert!(d.replace_all(accepted.clone()));
        assert!(!d.replace_all(accepted.clone()));
        assert_eq!(d.result(), accepted.as_slice());
        assert!(d.undo());
        assert_eq!(d.result(), &[choice("A")]);
        assert!(!d.can_undo());
    }

    #[test]
    fn undo_depth_is_bounded() {
        let mut d = Draft::new(Vec::new(), 0.0);
        for i in 0..UNDO_DEPTH + 5 {
            d.replace_all(vec![json!(i)]);
        }
        let mut steps = 0;
        while d.undo() {
            steps += 1;
        }
        assert_eq!(steps, UNDO_DEPTH);
        assert_eq!(d.result(), &[json!(4)]);
    }

    #[test]
    fn dirty_follows_revisions_and_late_saves() {
        let mut d = Draft::new(Vec::new(), 0.0);
        d.replace_all(vec![json!(1)]);
        let first = d.revision();
        d.replace_all(vec![json!(2)]);
        assert!(d.is_dirty());
        d.mark_saved(first);
        assert!(
            d.is_dirty(),
            "the save of an older revision leaves the newer one dirty"
        );
        d.mark_saved(d.revision());
        assert!(!d.is_dirty());
        d.mark_saved(first);
        assert!(!d.is_dirty());
        d.undo();
        assert!(
            d.is_dirty(),
            "undo changes what is on screen, so it must be stored"
        );
    }

    #[test]
    fn lead_time_adds_open_time_and_pauses() {
        let t0 = Instant::now();
        let s = |n: u64| t0 + Duration::from_secs(n);
        let mut d = Draft::new_at(Vec::new(), 10.0, t0);
        assert_eq!(d.lead_time_at(s(5)), 15.0);
        d.pause_at(s(5));
        assert!(d.is_paused());
        assert_eq!(d.lead_time_at(s(100)), 15.0);
        d.resume_at(s(100));
        d.resume_at(s(101));
        assert_eq!(d.lead_time_at(s(103)), 18.0);
    }
}
