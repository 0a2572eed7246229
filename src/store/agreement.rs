//! Reading results task by task for agreement and prediction quality, and keeping each
//! task's stored agreement (`tasks.agreement`) current. Everything streams: one task's
//! results, or one batch of tasks, are in memory at a time.

use super::{Result, Store};
use rusqlite::{TransactionBehavior, params};
use std::collections::HashMap;

/// A submitted annotation, as agreement reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct AgreementAnnotation {
    pub id: i64,
    pub completed_by: Option<i64>,
    /// The result list as JSON text.
    pub result: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgreementPrediction {
    pub id: i64,
    pub model_version: String,
    pub result: String,
}

/// One task's submitted annotations and its predictions, in id order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskResults {
    pub task_id: i64,
    pub annotations: Vec<AgreementAnnotation>,
    pub predictions: Vec<AgreementPrediction>,
}

impl Store {
    /// Recomputes the agreement of tasks marked stale, `batch` tasks per transaction:
    /// `score` gets a task's submitted annotations and returns its agreement (`None` for
    /// fewer than two). Each batch reads and writes in one immediate transaction, so an
    /// annotation saved meanwhile either comes before the batch (and is counted) or after
    /// it (and marks its task stale again). Returns how many tasks were refreshed.
    pub fn refresh_stale_agreement(
        &mut self,
        batch: usize,
        mut score: impl FnMut(&[AgreementAnnotation]) -> Option<f64>,
    ) -> Result<usize> {
        let batch = batch.max(1);
        // The figures are a cache: a power cut that loses the last batches loses their
        // cleared marks with them, so the tasks are simply recomputed later. Without a sync
        // per batch, a million tasks refresh in a fraction of the time.
        self.conn().pragma_update(None, "synchronous", "NORMAL")?;
        let done = self.refresh_batches(batch, &mut score);
        let restored = self.conn().pragma_update(None, "synchronous", "FULL");
        let done = done?;
        restored?;
        Ok(done)
    }

    fn refresh_batches(
        &mut self,
        batch: usize,
        score: &mut impl FnMut(&[AgreementAnnotation]) -> Option<f64>,
    ) -> Result<usize> {
        let mut done = 0;
        let mut after = i64::MIN;
        loop {
            let tx = self
                .conn_mut()
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let ids: Vec<i64> = {
                let mut st = tx.prepare_cached(
                    "SELECT id FROM tasks WHERE agreement_stale = 1 AND id > ?1 ORDER BY id LIMIT ?2",
                )?;
                st.query_map(params![after, batch as i64], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?
            };
            let (Some(&first), Some(&last)) = (ids.first(), ids.last()) else {
                break;
            };
            {
                let mut read = tx.prepare_cached(
                    "SELECT t.id, a.id, a.completed_by, a.result
                     FROM tasks t JOIN annotations a ON a.task_id = t.id
                     WHERE t.agreement_stale = 1 AND t.id BETWEEN ?1 AND ?2 AND a.was_cancelled = 0
                     ORDER BY t.id, a.id",
                )?;
                let mut write = tx.prepare_cached(
                    "UPDATE tasks SET agreement = ?2, agreement_stale = 0 WHERE id = ?1",
                )?;
                let mut rows = read.query(params![first, last])?;
                let mut annotations: Vec<AgreementAnnotation> = Vec::new();
                let mut current: Option<i64> = None;
                // The next task of the batch not written yet.
                let mut k = 0;
                loop {
                    let row = rows.next()?;
                    let task = row.map(|r| r.get::<_, i64>(0)).transpose()?;
                    if let Some(c) = current.filter(|c| Some(*c) != task) {
                        // Tasks of the batch with no submitted annotation come first.
                        while ids[k] < c {
                            write.execute(params![ids[k], None::<f64>])?;
                            k += 1;
                        }
                        write.execute(params![c, score(&annotations)])?;
                        k += 1;
                        annotations.clear();
                    }
                    let Some(r) = row else { break };
                    current = task;
                    annotations.push(AgreementAnnotation {
                        id: r.get(1)?,
                        completed_by: r.get(2)?,
                        result: r.get(3)?,
                    });
                }
                for id in &ids[k..] {
                    write.execute(params![id, None::<f64>])?;
                }
            }
            tx.commit()?;
            done += ids.len();
            after = last;
        }
        Ok(done)
    }

    /// How many tasks wait for their agreement to be recomputed.
    pub fn stale_agreement_count(&self) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM tasks WHERE agreement_stale = 1",
            [],
            |r| r.get(0),
        )?)
    }

    /// Every user's email (or name), by id.
    pub fn user_names(&self) -> Result<HashMap<i64, String>> {
        let mut st = self
            .conn()
            .prepare("SELECT id, email FROM users WHERE email IS NOT NULL")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Calls `f` for every task that has a submitted annotation, in id order, with its
    /// submitted annotations and its predictions. Two ordered scans merged, so memory
    /// holds one task.
    pub fn each_task_results(&self, mut f: impl FnMut(&TaskResults)) -> Result<()> {
        let mut ann = self.conn().prepare(
            "SELECT task_id, id, completed_by, result FROM annotations
             WHERE was_cancelled = 0 ORDER BY task_id, id",
        )?;
        let mut pred = self.conn().prepare(
            "SELECT task_id, id, model_version, result FROM predictions ORDER BY task_id, id",
        )?;
        let mut ann_rows = ann.query([])?;
        let mut pred_rows = pred.query([])?;
        let next_ann = |rows: &mut rusqlite::Rows| -> Result<Option<(i64, AgreementAnnotation)>> {
            Ok(match rows.next()? {
                Some(r) => Some((
                    r.get(0)?,
                    AgreementAnnotation {
                        id: r.get(1)?,
                        completed_by: r.get(2)?,
                        result: r.get(3)?,
                    },
                )),
                None => None,
            })
        };
        let next_pred = |rows: &mut rusqlite::Rows| -> Result<Option<(i64, AgreementPrediction)>> {
            Ok(match rows.next()? {
                Some(r) => Some((
                    r.get(0)?,
                    AgreementPrediction {
                        id: r.get(1)?,
                        model_version: r.get(2)?,
                        result: r.get(3)?,
                    },
                )),
                None => None,
            })
        };
        let mut a = next_ann(&mut ann_rows)?;
        let mut p = next_pred(&mut pred_rows)?;
        let mut task = TaskResults::default();
        while let Some((task_id, _)) = &a {
            task.task_id = *task_id;
            task.annotations.clear();
            task.predictions.clear();
            while let Some((t, row)) = a.take_if(|(t, _)| *t == task.task_id) {
                debug_assert_eq!(t, task.task_id);
                task.annotations.push(row);
                a = next_ann(&mut ann_rows)?;
            }
            // Predictions of tasks without annotations are passed over.
            while p.as_ref().is_some_and(|(t, _)| *t < task.task_id) {
                p = next_pred(&mut pred_rows)?;
            }
            while let Some((_, row)) = p.take_if(|(t, _)| *t == task.task_id) {
                task.predictions.push(row);
                p = next_pred(&mut pred_rows)?;
            }
            f(&task);
        }
        Ok(())
    }

    /// Calls `f(owner, result)` for every submitted annotation (owner: the annotator's
    /// email or name, `None` when nobody) or every prediction (owner: its model_version).
    pub fn each_result_by(
        &self,
        predictions: bool,
        mut f: impl FnMut(Option<&str>, &str),
    ) -> Result<()> {
        let sql = if predictions {
            "SELECT model_version, result FROM predictions"
        } else {
            "SELECT u.email, a.result FROM annotations a LEFT JOIN users u ON u.id = a.completed_by
             WHERE a.was_cancelled = 0"
        };
        let mut st = self.conn().prepare(sql)?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let owner: Option<String> = r.get(0)?;
            if let rusqlite::types::ValueRef::Text(t) = r.get_ref(1)? {
                f(owner.as_deref(), std::str::from_utf8(t).unwrap_or("null"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::with_tasks;

    fn annotate(s: &super::Store, task: i64, user: Option<i64>, result: &str, cancelled: bool) {
        s.conn()
            .execute(
                "INSERT INTO annotations (task_id, result, completed_by, was_cancelled, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'x', 'x')",
                rusqlite::params![task, result, user, cancelled],
            )
            .unwrap();
    }

    #[test]
    fn stale_tasks_are_refreshed_in_batches_and_the_mark_cleared() {
        let (_dir, mut s) = with_tasks(5);
        let u = s.user_id("a").unwrap();
        // Task 1: two annotations; 2: one; 3: two, one cancelled; 4: three; 5: none.
        for (task, n) in [(1, 2), (2, 1), (3, 2), (4, 3)] {
            for i in 0..n {
                annotate(&s, task, Some(u), "[]", task == 3 && i == 1);
            }
        }
        assert_eq!(s.stale_agreement_count().unwrap(), 4);
        let mut seen = Vec::new();
        let n = s
            .refresh_stale_agreement(2, |a| {
                seen.push(a.len());
                (a.len() >= 2).then_some(a.len() as f64)
            })
            .unwrap();
        assert_eq!(n, 4);
        assert_eq!(seen, vec![2, 1, 1, 3]);
        assert_eq!(s.stale_agreement_count().unwrap(), 0);
        let got: Vec<Option<f64>> = (1..=5).map(|t| s.task_agreement(t).unwrap()).collect();
        assert_eq!(got, vec![Some(2.0), None, None, Some(3.0), None]);
        // A change marks the task stale again (the schema's trigger), and only it is
        // recomputed.
        s.conn()
            .execute(
                "UPDATE annotations SET was_cancelled = 0 WHERE task_id = 3",
                [],
            )
            .unwrap();
        seen.clear();
        assert_eq!(
            s.refresh_stale_agreement(100, |a| {
                seen.push(a.len());
                Some(0.5)
            })
            .unwrap(),
            1
        );
        assert_eq!(seen, vec![2]);
        assert_eq!(s.task_agreement(3).unwrap(), Some(0.5));
    }

    #[test]
    fn tasks_stream_with_their_annotations_and_predictions() {
        let (_dir, s) = with_tasks(4);
        annotate(&s, 1, None, "[1]", false);
        annotate(&s, 3, None, "[3]", false);
        annotate(&s, 3, None, "[33]", true);
        for (task, mv) in [(1, "m1"), (2, "m2"), (3, "m1"), (3, "m2"), (4, "m4")] {
            s.conn()
                .execute(
                    "INSERT INTO predictions (task_id, result, model_version, created_at) VALUES (?1, '[]', ?2, 'x')",
                    rusqlite::params![task, mv],
                )
                .unwrap();
        }
        let mut seen = Vec::new();
        s.each_task_results(|t| {
            seen.push((
                t.task_id,
                t.annotations
                    .iter()
                    .map(|a| a.result.clone())
                    .collect::<Vec<_>>(),
                t.predictions
                    .iter()
                    .map(|p| p.model_version.clone())
                    .collect::<Vec<_>>(),
            ))
        })
        .unwrap();
        assert_eq!(
            seen,
            vec![
                (1, vec!["[1]".to_string()], vec!["m1".to_string()]),
                (
                    3,
                    vec!["[3]".to_string()],
                    vec!["m1".to_string(), "m2".to_string()]
                ),
            ]
        );
    }
}
