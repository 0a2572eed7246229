//! A reviewer's write on its way to the store: a decision (accept, fix and accept, reject
//! with a comment) or a ground-truth star. Like an annotator's answer it is held until the
//! store has it: a failed attempt says why and when to try again, and nothing the
//! reviewer gave is dropped.

use crate::annotate::save::{Backoff, reason, write_trouble};
use crate::error::Result;
use crate::store::{Decision, ReviewRow, ReviewWrite, Store};
use std::time::Duration;

/// One write of the review screen.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewOp {
    Decide(ReviewWrite),
    /// Star (`on`) or unstar an annotation as its task's ground truth.
    Star {
        annotation_id: i64,
        on: bool,
    },
}

impl ReviewOp {
    pub fn accept(annotation_id: i64, reviewer: i64) -> ReviewOp {
        ReviewOp::decide(
            annotation_id,
            reviewer,
            Decision::Accepted,
            String::new(),
            None,
        )
    }

    pub fn reject(annotation_id: i64, reviewer: i64, comment: String) -> ReviewOp {
        ReviewOp::decide(annotation_id, reviewer, Decision::Rejected, comment, None)
    }

    /// The reviewer's own result replaces the annotation's, which is then accepted.
    pub fn fix(annotation_id: i64, reviewer: i64, result: String) -> ReviewOp {
        ReviewOp::decide(
            annotation_id,
            reviewer,
            Decision::Fixed,
            String::new(),
            Some(result),
        )
    }

    fn decide(
        annotation_id: i64,
        reviewer: i64,
        decision: Decision,
        comment: String,
        fixed_result: Option<String>,
    ) -> ReviewOp {
        ReviewOp::Decide(ReviewWrite {
            annotation_id,
            reviewer,
            decision,
            comment,
            fixed_result,
        })
    }

    pub fn annotation_id(&self) -> i64 {
        match self {
            ReviewOp::Decide(w) => w.annotation_id,
            ReviewOp::Star { annotation_id, .. } => *annotation_id,
        }
    }

    /// Writes it, all in one transaction.
    pub fn apply(&self, store: &mut Store) -> Result<()> {
        match self {
            ReviewOp::Decide(w) => store.record_review(w).map(|_| ()),
            ReviewOp::Star { annotation_id, on } => store.set_ground_truth(*annotation_id, *on),
        }
        .map_err(Into::into)
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewOutcome {
    Saved,
    /// Not stored; try again after `after`. `reason` is for the status line.
    Retry {
        after: Duration,
        reason: String,
    },
}

/// A review write held until it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldReview {
    pub op: ReviewOp,
    backoff: Backoff,
}

impl HeldReview {
    pub fn new(op: ReviewOp) -> HeldReview {
        HeldReview {
            op,
            backoff: Backoff::default(),
        }
    }

    /// Tries the write; on `Retry` it stays as it was.
    pub fn attempt(&mut self, store: &mut Store) -> ReviewOutcome {
        match self.op.apply(store) {
            Ok(()) => {
                self.backoff.reset();
                ReviewOutcome::Saved
            }
            Err(e) => {
                let trouble = write_trouble(&e);
                let after = if trouble.is_transient() {
                    self.backoff.next_delay()
                } else {
                    self.backoff.give_cap()
                };
                ReviewOutcome::Retry {
                    after,
                    reason: reason(trouble, &e).replace("answer", "review"),
                }
            }
        }
    }
}

/// An annotation's review state: its latest decision among `reviews`.
pub fn state(reviews: &[ReviewRow], annotation_id: i64) -> Option<&ReviewRow> {
    reviews
        .iter()
        .filter(|r| r.annotation_id == annotation_id)
        .max_by_key(|r| r.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> (tempfile::TempDir, Store, i64, i64) {
        let (dir, mut s) = crate::store::tests::with_tasks(1);
        let ann = s.user_id("ann").unwrap();
        let a = s
            .save_annotation(
                1,
                ann,
                "[]",
                1.0,
                crate::store::annotate::SubmitKind::Submit,
                None,
            )
            .unwrap();
        let rev = s.user_id("rev").unwrap();
        (dir, s, a, rev)
    }

    #[test]
    fn a_write_the_store_refuses_is_kept_and_stored_once_it_can_be() {
        let (dir, mut s, a, rev) = project();
        let mut held = HeldReview::new(ReviewOp::reject(a, rev, "boxes too loose".into()));
        // Another connection holds the write lock.
        let other = rusqlite::Connection::open(dir.path().join("p.db")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        s.set_busy_timeout(Duration::from_millis(10)).unwrap();
        let ReviewOutcome::Retry { reason, .. } = held.attempt(&mut s) else {
            panic!("a locked file stores nothing");
        };
        assert!(reason.contains("busy"), "{reason}");
        assert!(reason.contains("your review is kept"), "{reason}");
        assert_eq!(s.latest_review(a).unwrap(), None);
        other.execute_batch("ROLLBACK").unwrap();
        assert_eq!(held.attempt(&mut s), ReviewOutcome::Saved);
        let stored = s.latest_review(a).unwrap().unwrap();
        assert_eq!(stored.comment, "boxes too loose");
        assert_eq!(stored.decision, Decision::Rejected);
        assert_eq!(
            state(&s.reviews_of_task(1).unwrap(), a).map(|r| r.id),
            Some(stored.id)
        );
    }

    #[test]
    fn stars_and_fixes_go_through_the_same_door() {
        let (_dir, mut s, a, rev) = project();
        ReviewOp::Star {
            annotation_id: a,
            on: true,
        }
        .apply(&mut s)
        .unwrap();
        assert!(s.task_full(1).unwrap().unwrap().annotations[0].ground_truth);
        ReviewOp::fix(a, rev, r#"[{"x":1}]"#.into())
            .apply(&mut s)
            .unwrap();
        let t = s.task_full(1).unwrap().unwrap();
        assert_eq!(t.annotations[0].result, r#"[{"x":1}]"#);
        assert_eq!(t.reviews[0].previous_result.as_deref(), Some("[]"));
        ReviewOp::accept(a, rev).apply(&mut s).unwrap();
        assert_eq!(
            state(&s.task_full(1).unwrap().unwrap().reviews, a).map(|r| r.decision),
            Some(Decision::Accepted)
        );
    }
}
