//! Project settings that decide who labels what: Label Studio's overlap (maximum
//! annotations per task and the cohort of tasks that get it), the skip queue, ground truth
//! first, sampling, pre-labelling, and how long a claim on a task lives unrenewed.
//!
//! Each task carries its own `overlap`; a task is labeled when its completed annotations
//! reach it. Both are recomputed here, in the transaction that changes a setting or adds
//! tasks, so every reader sees them agree.

use super::{Result, Sampling, Store};
use rusqlite::{Connection, TransactionBehavior, params};

/// What a skip does (Label Studio's `skip_queue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipQueue {
    /// The task goes back to the pool for everyone but the skipper (the default).
    RequeueForOthers,
    /// The skipper gets the task back once their queue is empty, oldest skip first.
    RequeueForMe,
    /// A skip counts as a completion.
    IgnoreSkipped,
}

impl SkipQueue {
    pub const NAMES: &'static [&'static str] =
        &["requeue-for-others", "requeue-for-me", "ignore-skipped"];

    pub fn parse(s: &str) -> Option<SkipQueue> {
        Some(match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "requeue-for-others" => SkipQueue::RequeueForOthers,
            "requeue-for-me" => SkipQueue::RequeueForMe,
            "ignore-skipped" => SkipQueue::IgnoreSkipped,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SkipQueue::RequeueForOthers => "requeue-for-others",
            SkipQueue::RequeueForMe => "requeue-for-me",
            SkipQueue::IgnoreSkipped => "ignore-skipped",
        }
    }
}

/// Every setting of a project that `labelterm settings` shows and changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub sampling: Sampling,
    /// Annotations each task of the cohort gets (Label Studio's `maximum_annotations`).
    pub maximum_annotations: u32,
    /// Percent of tasks that get `maximum_annotations`; the others get one.
    pub overlap_cohort: u32,
    pub skip_queue: SkipQueue,
    /// Tasks with a ground-truth annotation come first in the label stream.
    pub show_ground_truth_first: bool,
    /// Seconds a claim on a task lives without being renewed. A running annotator renews
    /// its claim well within this; a vanished one loses it after this long (at once, when
    /// its process is seen to be gone on the same machine).
    pub lock_ttl: u32,
    /// Whether the annotator starts a task from its predictions.
    pub prelabel: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sampling: Sampling::Sequential,
            maximum_annotations: 1,
            overlap_cohort: 100,
            skip_queue: SkipQueue::RequeueForOthers,
            show_ground_truth_first: false,
            lock_ttl: 120,
            prelabel: true,
        }
    }
}

/// A setting outside what it can be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("maximum annotations must be at least 1 (got {0})")]
    MaximumAnnotations(u32),
    #[error("overlap cohort is a percentage from 1 to 100 (got {0})")]
    OverlapCohort(u32),
    #[error("lock TTL must be from 5 to 604800 seconds (got {0})")]
    LockTtl(u32),
}

impl Settings {
    pub fn check(&self) -> std::result::Result<(), SettingsError> {
        if self.maximum_annotations < 1 {
            return Err(SettingsError::MaximumAnnotations(self.maximum_annotations));
        }
        if !(1..=100).contains(&self.overlap_cohort) {
            return Err(SettingsError::OverlapCohort(self.overlap_cohort));
        }
        if !(5..=604_800).contains(&self.lock_ttl) {
            return Err(SettingsError::LockTtl(self.lock_ttl));
        }
        Ok(())
    }

    /// The number of tasks out of `tasks` that get the full overlap.
    pub fn cohort_size(&self, tasks: i64) -> i64 {
        if self.maximum_annotations <= 1 || self.overlap_cohort >= 100 {
            tasks
        } else {
            // Label Studio: round(N * pct / 100), half away from zero.
            ((tasks as f64) * f64::from(self.overlap_cohort) / 100.0).round() as i64
        }
    }
}

/// The settings as stored, read inside any connection or transaction.
pub(crate) fn read(c: &Connection) -> Result<Settings> {
    let row = c
        .prepare_cached(
            "SELECT sampling, maximum_annotations, overlap_cohort, skip_queue,
                show_ground_truth_first, lock_ttl, prelabel FROM project WHERE id = 1",
        )?
        .query_row([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, bool>(6)?,
            ))
        })?;
    let d = Settings::default();
    Ok(Settings {
        sampling: Sampling::parse(&row.0).unwrap_or(d.sampling),
        maximum_annotations: row.1.clamp(1, i64::from(u32::MAX)) as u32,
        overlap_cohort: row.2.clamp(1, 100) as u32,
        skip_queue: SkipQueue::parse(&row.3).unwrap_or(d.skip_queue),
        show_ground_truth_first: row.4,
        lock_ttl: row.5.clamp(1, i64::from(u32::MAX)) as u32,
        prelabel: row.6,
    })
}

/// After tasks from `first` on were added: when every task gets the same overlap, only
/// the new ones are given it and recounted; otherwise the cohort is drawn again.
pub(crate) fn apply_overlap_from(c: &Connection, s: &Settings, first: i64) -> Result<()> {
    let tasks: i64 = c.query_row("SELECT COUNT(*) FROM tasks", [], |r| r.get(0))?;
    if s.cohort_size(tasks) < tasks {
        return apply_overlap(c, s);
    }
    let expr = labeled_expr(s.skip_queue);
    c.execute(
        "UPDATE tasks SET overlap = ?1 WHERE id >= ?2 AND overlap != ?1",
        params![s.maximum_annotations, first],
    )?;
    c.execute(
        &format!("UPDATE tasks SET is_labeled = {expr} WHERE id >= ?1 AND is_labeled != {expr}"),
        [first],
    )?;
    Ok(())
}

/// Gives every task its overlap (the cohort) and recounts which tasks are labeled.
/// Rows whose values do not change are not written.
pub(crate) fn apply_overlap(c: &Connection, s: &Settings) -> Result<()> {
    let max = i64::from(s.maximum_annotations);
    let tasks: i64 = c.query_row("SELECT COUNT(*) FROM tasks", [], |r| r.get(0))?;
    let cohort = s.cohort_size(tasks);
    if cohort >= tasks {
        c.execute("UPDATE tasks SET overlap = ?1 WHERE overlap != ?1", [max])?;
    } else {
        // Label Studio keeps the full overlap first on tasks that already reached it,
        // then on those with the most annotations; the rest (in id order here, so the
        // cohort is the same every time) get one.
        c.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS overlap_cohort (id INTEGER PRIMARY KEY);
             DELETE FROM temp.overlap_cohort;",
        )?;
        c.execute(
            "INSERT INTO temp.overlap_cohort (id)
             SELECT t.id FROM tasks t
             ORDER BY ((SELECT COUNT(*) FROM annotations a WHERE a.task_id = t.id
                          AND a.was_cancelled = 0 AND a.ground_truth = 0) >= ?1) DESC,
                      t.total_annotations DESC, t.id
             LIMIT ?2",
            params![max, cohort],
        )?;
        c.execute(
            "UPDATE tasks SET overlap = CASE WHEN id IN (SELECT id FROM temp.overlap_cohort)
                 THEN ?1 ELSE 1 END
             WHERE overlap != CASE WHEN id IN (SELECT id FROM temp.overlap_cohort)
                 THEN ?1 ELSE 1 END",
            [max],
        )?;
        c.execute_batch("DELETE FROM temp.overlap_cohort;")?;
    }
    recount_labeled(c, s.skip_queue, None)?;
    Ok(())
}

/// The `is_labeled` expression for a task row `t`: its completed annotations (skips too
/// when skips count as completions) reach its overlap.
pub(crate) fn labeled_expr(skip: SkipQueue) -> &'static str {
    match skip {
        SkipQueue::IgnoreSkipped => "(total_annotations + cancelled_annotations >= overlap)",
        _ => "(total_annotations >= overlap)",
    }
}

/// Sets `is_labeled` from the counters, for one task or all.
pub(crate) fn recount_labeled(c: &Connection, skip: SkipQueue, task: Option<i64>) -> Result<()> {
    let expr = labeled_expr(skip);
    match task {
        Some(id) => c.execute(
            &format!("UPDATE tasks SET is_labeled = {expr} WHERE id = ?1"),
            [id],
        )?,
        None => c.execute(
            &format!("UPDATE tasks SET is_labeled = {expr} WHERE is_labeled != {expr}"),
            [],
        )?,
    };
    Ok(())
}

impl Store {
    pub fn settings(&self) -> Result<Settings> {
        read(self.conn())
    }

    /// Stores the settings and, when the overlap or the skip rule changed, gives the tasks
    /// their new overlap and recounts them, all in one write transaction.
    pub fn set_settings(&mut self, s: &Settings) -> Result<()> {
        s.check()
            .map_err(|e| super::StoreError::Invalid(e.to_string()))?;
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let old = read(&tx)?;
        tx.execute(
            "UPDATE project SET sampling = ?1, maximum_annotations = ?2, overlap_cohort = ?3,
                skip_queue = ?4, show_ground_truth_first = ?5, lock_ttl = ?6, prelabel = ?7
             WHERE id = 1",
            params![
                s.sampling.name(),
                s.maximum_annotations,
                s.overlap_cohort,
                s.skip_queue.name(),
                s.show_ground_truth_first,
                s.lock_ttl,
                s.prelabel
            ],
        )?;
        if (old.maximum_annotations, old.overlap_cohort, old.skip_queue)
            != (s.maximum_annotations, s.overlap_cohort, s.skip_queue)
        {
            apply_overlap(&tx, s)?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::annotate::SubmitKind;

    fn store(n: usize) -> (tempfile::TempDir, Store) {
        crate::store::tests::with_tasks(n)
    }

    fn overlaps(s: &Store) -> Vec<i64> {
        let mut st = s
            .conn()
            .prepare("SELECT overlap FROM tasks ORDER BY id")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }

    #[test]
    fn defaults_round_trip_and_bad_values_are_refused() {
        let (_d, mut s) = store(0);
        assert_eq!(s.settings().unwrap(), Settings::default());
        let new = Settings {
            sampling: Sampling::Uniform,
            maximum_annotations: 3,
            overlap_cohort: 50,
            skip_queue: SkipQueue::RequeueForMe,
            show_ground_truth_first: true,
            lock_ttl: 30,
            prelabel: false,
        };
        s.set_settings(&new).unwrap();
        assert_eq!(s.settings().unwrap(), new);
        let bad = Settings {
            overlap_cohort: 0,
            ..new
        };
        assert!(s.set_settings(&bad).is_err());
        assert!(
            s.set_settings(&Settings {
                maximum_annotations: 0,
                ..new
            })
            .is_err()
        );
        assert_eq!(
            s.settings().unwrap(),
            new,
            "a refused change changes nothing"
        );
        for name in SkipQueue::NAMES {
            assert_eq!(SkipQueue::parse(name).unwrap().name(), *name);
        }
        assert_eq!(
            SkipQueue::parse("REQUEUE_FOR_ME"),
            Some(SkipQueue::RequeueForMe)
        );
    }

    #[test]
    fn the_cohort_prefers_finished_then_most_annotated_tasks() {
        let (_d, mut s) = store(10);
        let a = s.user_id("a").unwrap();
        let b = s.user_id("b").unwrap();
        // Task 7 has two annotations, task 9 one.
        s.save_annotation(7, a, "[1]", 1.0, SubmitKind::Submit, None)
            .unwrap();
        s.save_annotation(7, b, "[1]", 1.0, SubmitKind::Submit, None)
            .unwrap();
        s.save_annotation(9, a, "[1]", 1.0, SubmitKind::Submit, None)
            .unwrap();
        let set = Settings {
            maximum_annotations: 2,
            overlap_cohort: 30,
            ..Settings::default()
        };
        s.set_settings(&set).unwrap();
        assert_eq!(overlaps(&s), vec![2, 1, 1, 1, 1, 1, 2, 1, 2, 1]);
        let labeled: Vec<i64> = {
            let mut st = s
                .conn()
                .prepare("SELECT id FROM tasks WHERE is_labeled = 1 ORDER BY id")
                .unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        assert_eq!(labeled, vec![7], "task 9 needs a second annotation now");
        s.set_settings(&Settings {
            overlap_cohort: 100,
            ..set
        })
        .unwrap();
        assert_eq!(overlaps(&s), vec![2; 10]);
        s.set_settings(&Settings::default()).unwrap();
        assert_eq!(overlaps(&s), vec![1; 10]);
        let n: i64 = s
            .conn()
            .query_row("SELECT COUNT(*) FROM tasks WHERE is_labeled = 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn ignore_skipped_counts_a_skip_as_done() {
        let (_d, mut s) = store(2);
        let a = s.user_id("a").unwrap();
        s.save_annotation(1, a, "[]", 1.0, SubmitKind::Skip, None)
            .unwrap();
        let labeled = |s: &Store| -> bool {
            s.conn()
                .query_row("SELECT is_labeled FROM tasks WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .unwrap()
        };
        assert!(!labeled(&s));
        s.set_settings(&Settings {
            skip_queue: SkipQueue::IgnoreSkipped,
            ..Settings::default()
        })
        .unwrap();
        assert!(labeled(&s));
    }
}
