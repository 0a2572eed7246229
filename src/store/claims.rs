//! Many annotators on one project file. Each running annotator has a row in `sessions`
//! (who, on which machine and process, until when) and at most one task: its claim.
//! Claims follow Label Studio's task locks: a task is locked for a user when the claims of
//! other users plus its counted annotations reach its overlap.
//!
//! Every claim is one short `BEGIN IMMEDIATE` transaction: it drops the rows of annotators
//! that expired or whose process is gone, picks the next task with the rules of the label
//! stream, and records the claim, so two processes never pick the same task beyond its
//! overlap.

use super::settings::{self, SkipQueue};
use super::{Result, Sampling, Store};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// A running annotator, as it registers itself.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionId {
    /// Unique per process.
    pub id: String,
    pub user_id: i64,
    pub host: String,
    pub pid: u32,
    /// When the process started, in the machine's own clock ticks; tells a reused pid apart.
    pub process_start: Option<i64>,
}

/// A row of `sessions`, as `who` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub id: String,
    pub user_id: i64,
    pub user: Option<String>,
    pub host: String,
    pub pid: u32,
    pub process_start: Option<i64>,
    /// Unix seconds.
    pub started_at: f64,
    pub seen_at: f64,
    pub expires_at: f64,
    pub task_id: Option<i64>,
    pub task_since: Option<f64>,
}

/// Asks for the next task of the label stream.
#[derive(Debug, Clone)]
pub struct ClaimRequest<'a> {
    pub session: &'a SessionId,
    /// A task to pass over (the one on screen when the user asks for another).
    pub exclude: Option<i64>,
    /// Drives `uniform` sampling.
    pub seed: u64,
    /// Unix seconds.
    pub now: f64,
}

/// Work per annotator since a moment (for `who`).
#[derive(Debug, Clone, PartialEq)]
pub struct Throughput {
    pub user: String,
    pub submitted: i64,
    pub skipped: i64,
    /// Sum of the lead times of those annotations, in seconds.
    pub lead_time: f64,
}

/// Whether a session's process still runs; asked only about sessions on this machine.
pub type Alive<'a> = &'a dyn Fn(&SessionRow) -> bool;

const SESSION_COLUMNS: &str = "s.id, s.user_id, u.email, s.host, s.pid, s.process_start,
    s.started_at, s.seen_at, s.expires_at, s.task_id, s.task_since";

fn session_row(r: &rusqlite::Row) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        user: r.get(2)?,
        host: r.get(3)?,
        pid: r.get(4)?,
        process_start: r.get(5)?,
        started_at: r.get(6)?,
        seen_at: r.get(7)?,
        expires_at: r.get(8)?,
        task_id: r.get(9)?,
        task_since: r.get(10)?,
    })
}

/// Drops the sessions that expired, and those on this machine whose process is gone.
fn purge(c: &Connection, me: &SessionId, now: f64, alive: Alive) -> Result<()> {
    c.prepare_cached("DELETE FROM sessions WHERE expires_at < ?1")?
        .execute([now])?;
    let local: Vec<SessionRow> = c
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s LEFT JOIN users u ON u.id = s.user_id
             WHERE s.host = ?1 AND s.id != ?2"
        ))?
        .query_map(params![me.host, me.id], session_row)?
        .collect::<rusqlite::Result<_>>()?;
    for s in local.iter().filter(|s| !alive(s)) {
        c.prepare_cached("DELETE FROM sessions WHERE id = ?1")?
            .execute([&s.id])?;
    }
    Ok(())
}

/// Creates the session's row or renews it; keeps its task.
fn upsert(c: &Connection, s: &SessionId, now: f64, ttl: f64) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO sessions (id, user_id, host, pid, process_start, started_at, seen_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at, expires_at = excluded.expires_at",
    )?
    .execute(params![s.id, s.user_id, s.host, s.pid, s.process_start, now, now + ttl])?;
    Ok(())
}

/// The parts of "this task can go to me", for a task row `t`. Parameters: `:me` user id,
/// `:sess` session id, `:ex` task passed over.
struct Candidate {
    /// Open, and not the one passed over.
    open: &'static str,
    /// Not annotated or skipped by me.
    not_mine: &'static str,
    /// Not claimed by my other windows, and other users' claims plus counted annotations
    /// stay below the overlap.
    free: String,
}

impl Candidate {
    fn new(skip: SkipQueue) -> Candidate {
        // Which annotations hold a task (Label Studio's `has_lock`): not ground truth, and
        // skips as the skip queue says.
        let counted = match skip {
            SkipQueue::RequeueForOthers => "a.was_cancelled = 0",
            // My own skips wait for me; other people's keep the task for them.
            SkipQueue::RequeueForMe => "(a.was_cancelled = 0 OR a.completed_by != :me)",
            SkipQueue::IgnoreSkipped => "1",
        };
        Candidate {
            open: "t.is_labeled = 0 AND t.id != :ex",
            not_mine: "NOT EXISTS (SELECT 1 FROM annotations m WHERE m.task_id = t.id AND m.completed_by = :me)",
            free: format!(
                "NOT EXISTS (SELECT 1 FROM sessions o WHERE o.task_id = t.id AND o.user_id = :me AND o.id != :sess)
                 AND (SELECT COUNT(*) FROM sessions o WHERE o.task_id = t.id AND o.user_id != :me)
                   + (SELECT COUNT(*) FROM annotations a WHERE a.task_id = t.id AND a.ground_truth = 0 AND {counted})
                   < t.overlap"
            ),
        }
    }

    fn all(&self) -> String {
        format!("{} AND {} AND {}", self.open, self.not_mine, self.free)
    }
}

/// Picks the next task for the session, following Label Studio's order: the task it
/// already holds, ground truth first, breadth first when tasks need several annotations,
/// the sampling, then (requeue-for-me) the user's own skips, oldest first.
pub(super) fn pick(
    c: &Connection,
    req: &ClaimRequest,
    s: &settings::Settings,
) -> Result<Option<i64>> {
    let cand = Candidate::new(s.skip_queue);
    let all = cand.all();
    let me = req.session.user_id;
    let ex = req.exclude.unwrap_or(-1);
    let sess = req.session.id.as_str();
    let first = |sql: &str, extra: &[(&str, &dyn rusqlite::ToSql)]| -> Result<Option<i64>> {
        let mut st = c.prepare_cached(sql)?;
        let mut p: Vec<(&str, &dyn rusqlite::ToSql)> = Vec::with_capacity(4 + extra.len());
        for (name, v) in [
            (":me", &me as &dyn rusqlite::ToSql),
            (":ex", &ex),
            (":sess", &sess),
        ] {
            if st.parameter_index(name)?.is_some() {
                p.push((name, v));
            }
        }
        for (name, v) in extra {
            if st.parameter_index(name)?.is_some() {
                p.push((name, *v));
            }
        }
        Ok(st.query_row(p.as_slice(), |r| r.get(0)).optional()?)
    };
    // 1. The task this session already holds.
    let held: Option<i64> = c
        .prepare_cached("SELECT task_id FROM sessions WHERE id = ?1")?
        .query_row([sess], |r| r.get(0))
        .optional()?
        .flatten();
    if let Some(t) = held
        && first(
            &format!("SELECT t.id FROM tasks t WHERE t.id = :held AND {all}"),
            &[(":held", &t)],
        )?
        .is_some()
    {
        return Ok(Some(t));
    }
    // 2. Ground truth first.
    if s.show_ground_truth_first
        && let Some(t) = first(
            &format!(
                "SELECT t.id FROM annotations g JOIN tasks t ON t.id = g.task_id
                 WHERE g.ground_truth = 1 AND {all} ORDER BY t.id LIMIT 1"
            ),
            &[],
        )?
    {
        return Ok(Some(t));
    }
    // 3. Breadth first: finish tasks others began before starting new ones.
    if s.maximum_annotations > 1
        && let Some(t) = first(
            &format!(
                // Named: without statistics the planner would scan every open task.
                "SELECT t.id FROM tasks t INDEXED BY tasks_partly_done
                 WHERE t.is_labeled = 0 AND t.total_annotations > 0
                 AND {all} ORDER BY t.total_annotations DESC, t.id LIMIT 1"
            ),
            &[],
        )?
    {
        return Ok(Some(t));
    }
    // 4. The sampling.
    let sequential = || {
        first(
            &format!("SELECT t.id FROM tasks t WHERE {all} ORDER BY t.id LIMIT 1"),
            &[],
        )
    };
    let sampled = match s.sampling {
        Sampling::Sequential => sequential()?,
        Sampling::Uniform => {
            let (lo, hi): (i64, i64) = c
                .prepare_cached("SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM tasks")?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            if hi < lo || hi == 0 {
                None
            } else {
                let pivot = lo + (req.seed % (hi - lo + 1) as u64) as i64;
                match first(
                    &format!(
                        "SELECT t.id FROM tasks t WHERE {all} AND t.id >= :pivot ORDER BY t.id LIMIT 1"
                    ),
                    &[(":pivot", &pivot)],
                )? {
                    Some(t) => Some(t),
                    None => sequential()?,
                }
            }
        }
        Sampling::PredictionScoreMin | Sampling::PredictionScoreMax => {
            // Candidates are unlabeled, so both orders walk the (is_labeled,
            // prediction_score, id) index, forwards or backwards.
            for (_, create) in super::schema::SCORE_INDEXES {
                c.execute_batch(create)?;
            }
            let order = if s.sampling == Sampling::PredictionScoreMin {
                "t.prediction_score ASC, t.id ASC"
            } else {
                "t.prediction_score DESC, t.id DESC"
            };
            // Label Studio falls back to other tasks when none has a prediction score.
            match first(
                &format!(
                    "SELECT t.id FROM tasks t WHERE {all} AND t.prediction_score IS NOT NULL
                     ORDER BY {order} LIMIT 1"
                ),
                &[],
            )? {
                Some(t) => Some(t),
                None => sequential()?,
            }
        }
    };
    if sampled.is_some() {
        return Ok(sampled);
    }
    // 7. Requeue for me: my skips of tasks still open, oldest skip first.
    if s.skip_queue == SkipQueue::RequeueForMe {
        return first(
            &format!(
                "SELECT t.id FROM annotations k JOIN tasks t ON t.id = k.task_id
                 WHERE k.completed_by = :me AND k.was_cancelled = 1
                 AND NOT EXISTS (SELECT 1 FROM annotations d WHERE d.task_id = t.id
                     AND d.completed_by = :me AND d.was_cancelled = 0)
                 AND {} AND {} ORDER BY k.updated_at, k.id LIMIT 1",
                cand.open, cand.free
            ),
            &[],
        );
    }
    Ok(None)
}

impl Store {
    /// Registers a running annotator, or renews its row; its claim stays.
    pub fn register_session(&self, s: &SessionId, now: f64) -> Result<()> {
        let tx = self.immediate()?;
        let ttl = f64::from(settings::read(&tx)?.lock_ttl);
        upsert(&tx, s, now, ttl)?;
        tx.commit()?;
        Ok(())
    }

    /// Renews a running annotator's row and claim. Returns false when the row was gone (it
    /// expired, e.g. while the process was stopped) and has been made again: its old claim
    /// may have gone to someone else meanwhile, and is taken again.
    pub fn renew_session(&self, s: &SessionId, task: Option<i64>, now: f64) -> Result<bool> {
        let tx = self.immediate()?;
        let ttl = f64::from(settings::read(&tx)?.lock_ttl);
        let renewed = tx
            .prepare_cached("UPDATE sessions SET seen_at = ?2, expires_at = ?3 WHERE id = ?1")?
            .execute(params![s.id, now, now + ttl])?
            > 0;
        if !renewed {
            upsert(&tx, s, now, ttl)?;
            if let Some(t) = task {
                set_claim(&tx, &s.id, Some(t), now)?;
            }
        }
        tx.commit()?;
        Ok(renewed)
    }

    /// Removes a running annotator's row and so its claim (on a clean exit).
    pub fn end_session(&self, id: &str) -> Result<()> {
        let tx = self.immediate()?;
        tx.prepare_cached("DELETE FROM sessions WHERE id = ?1")?
            .execute([id])?;
        tx.commit()?;
        Ok(())
    }

    /// Claims the next task of the label stream for a running annotator, in one write
    /// transaction; its previous claim is given up. `None` when nothing is left for it.
    pub fn claim_next(&mut self, req: &ClaimRequest, alive: Alive) -> Result<Option<i64>> {
        self.writable_again();
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let s = settings::read(&tx)?;
        let ttl = f64::from(s.lock_ttl);
        purge(&tx, req.session, req.now, alive)?;
        upsert(&tx, req.session, req.now, ttl)?;
        let picked = pick(&tx, req, &s)?;
        set_claim(&tx, &req.session.id, picked, req.now)?;
        tx.commit()?;
        Ok(picked)
    }

    /// Claims a task the annotator opened by itself (from the task list, a draft, a jump):
    /// it is theirs while open, whoever else holds it. Returns the other users holding it.
    pub fn claim_task(
        &mut self,
        session: &SessionId,
        task: i64,
        now: f64,
        alive: Alive,
    ) -> Result<Vec<String>> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ttl = f64::from(settings::read(&tx)?.lock_ttl);
        purge(&tx, session, now, alive)?;
        upsert(&tx, session, now, ttl)?;
        set_claim(&tx, &session.id, Some(task), now)?;
        let others = tx
            .prepare_cached(
                "SELECT COALESCE(u.email, '#' || s.user_id) FROM sessions s
                 LEFT JOIN users u ON u.id = s.user_id
                 WHERE s.task_id = ?1 AND s.id != ?2 ORDER BY s.started_at",
            )?
            .query_map(params![task, session.id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        tx.commit()?;
        Ok(others)
    }

    /// Gives up the session's claim (its task goes back to the pool).
    pub fn release_claim(&self, session: &str) -> Result<()> {
        let tx = self.immediate()?;
        set_claim(&tx, session, None, 0.0)?;
        tx.commit()?;
        Ok(())
    }

    /// Every registered annotator, oldest first (dead ones included; see `alive`).
    pub fn sessions(&self) -> Result<Vec<SessionRow>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions s LEFT JOIN users u ON u.id = s.user_id
                 ORDER BY s.started_at, s.id"
            ))?
            .query_map([], session_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Annotations made or changed since `since` (a stored timestamp), per user, most
    /// first. Imported annotations are not work done here and are left out.
    pub fn throughput_since(&self, since: &str) -> Result<Vec<Throughput>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT COALESCE(u.email, '#' || a.completed_by),
                        SUM(a.was_cancelled = 0), SUM(a.was_cancelled = 1),
                        COALESCE(SUM(a.lead_time), 0)
                 FROM annotations a LEFT JOIN users u ON u.id = a.completed_by
                 WHERE a.updated_at >= ?1 AND a.import_id IS NULL
                 GROUP BY a.completed_by ORDER BY COUNT(*) DESC, 1",
            )?
            .query_map([since], |r| {
                Ok(Throughput {
                    user: r.get(0)?,
                    submitted: r.get(1)?,
                    skipped: r.get(2)?,
                    lead_time: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// A number that changes whenever another connection commits to the project file
    /// (`PRAGMA data_version`): cheap to poll, it reads no table.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }
}

fn set_claim(c: &Connection, session: &str, task: Option<i64>, now: f64) -> Result<()> {
    c.prepare_cached(
        "UPDATE sessions SET task_id = ?2,
            task_since = CASE WHEN ?2 IS NULL THEN NULL
                              WHEN task_id IS ?2 THEN task_since ELSE ?3 END
         WHERE id = ?1",
    )?
    .execute(params![session, task, now])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::annotate::SubmitKind;
    use crate::store::settings::Settings;

    fn store(n: usize) -> (tempfile::TempDir, Store) {
        crate::store::tests::with_tasks(n)
    }

    fn session(s: &Store, user: &str, n: u32) -> SessionId {
        SessionId {
            id: format!("{user}-{n}"),
            user_id: s.user_id(user).unwrap(),
            host: "h".into(),
            pid: n,
            process_start: None,
        }
    }

    fn claim(s: &mut Store, who: &SessionId, now: f64) -> Option<i64> {
        let req = ClaimRequest {
            session: who,
            exclude: None,
            seed: 1,
            now,
        };
        s.claim_next(&req, &|_| true).unwrap()
    }

    fn submit(s: &mut Store, who: &SessionId, task: i64) {
        s.save_annotation(task, who.user_id, "[1]", 1.0, SubmitKind::Submit, None)
            .unwrap();
        s.release_claim(&who.id).unwrap();
    }

    #[test]
    fn two_annotators_never_get_the_same_task_with_overlap_one() {
        let (_d, mut s) = store(3);
        let a = session(&s, "a", 1);
        let b = session(&s, "b", 2);
        assert_eq!(claim(&mut s, &a, 0.0), Some(1));
        assert_eq!(claim(&mut s, &b, 0.0), Some(2));
        // Asking again keeps what one holds.
        assert_eq!(claim(&mut s, &a, 1.0), Some(1));
        submit(&mut s, &a, 1);
        assert_eq!(claim(&mut s, &a, 2.0), Some(3));
        assert_eq!(claim(&mut s, &b, 2.0), Some(2));
        submit(&mut s, &b, 2);
        assert_eq!(claim(&mut s, &b, 3.0), None, "task 3 is a's");
    }

    #[test]
    fn overlap_two_goes_breadth_first_and_never_past_two() {
        let (_d, mut s) = store(3);
        s.set_settings(&Settings {
            maximum_annotations: 2,
            ..Settings::default()
        })
        .unwrap();
        let a = session(&s, "a", 1);
        let b = session(&s, "b", 2);
        let c = session(&s, "c", 3);
        assert_eq!(claim(&mut s, &a, 0.0), Some(1));
        assert_eq!(claim(&mut s, &b, 0.0), Some(1), "overlap 2: b joins a");
        assert_eq!(claim(&mut s, &c, 0.0), Some(2), "two hold task 1");
        submit(&mut s, &a, 1);
        // Not task 1 again (a did it): task 2, which c holds, has room for a second.
        assert_eq!(claim(&mut s, &a, 1.0), Some(2));
        submit(&mut s, &b, 1);
        let t1 = s.task_full(1).unwrap().unwrap().task;
        assert!(t1.is_labeled);
        assert_eq!(t1.total_annotations, 2);
        // Task 2 is held by two: b starts task 3.
        assert_eq!(claim(&mut s, &b, 2.0), Some(3));
        submit(&mut s, &a, 2);
        // Breadth first: c, done with nothing yet, is offered task 2 it holds, then the
        // partly done task 3 before anything new.
        s.release_claim(&c.id).unwrap();
        assert_eq!(claim(&mut s, &c, 3.0), Some(2));
        submit(&mut s, &c, 2);
        submit(&mut s, &b, 3);
        assert_eq!(claim(&mut s, &c, 4.0), Some(3));
    }

    #[test]
    fn the_same_user_in_two_windows_gets_two_tasks_and_never_their_own_again() {
        let (_d, mut s) = store(2);
        s.set_settings(&Settings {
            maximum_annotations: 2,
            ..Settings::default()
        })
        .unwrap();
        let w1 = session(&s, "a", 1);
        let w2 = session(&s, "a", 2);
        assert_eq!(claim(&mut s, &w1, 0.0), Some(1));
        assert_eq!(claim(&mut s, &w2, 0.0), Some(2));
        submit(&mut s, &w1, 1);
        assert_eq!(claim(&mut s, &w1, 1.0), None);
    }

    #[test]
    fn dead_and_expired_claims_return_to_the_pool() {
        let (_d, mut s) = store(1);
        s.set_settings(&Settings {
            lock_ttl: 10,
            ..Settings::default()
        })
        .unwrap();
        let a = session(&s, "a", 1);
        let b = session(&s, "b", 2);
        assert_eq!(claim(&mut s, &a, 0.0), Some(1));
        assert_eq!(claim(&mut s, &b, 5.0), None);
        // a renews: still held at 12 s.
        assert!(s.renew_session(&a, Some(1), 5.0).unwrap());
        assert_eq!(claim(&mut s, &b, 12.0), None);
        // a stops renewing: expired at 15 s.
        assert_eq!(claim(&mut s, &b, 16.0), Some(1));
        // a comes back: its row is made again, with its task.
        assert!(!s.renew_session(&a, Some(1), 17.0).unwrap());
        // A dead process on this machine loses its claim at once.
        let c = session(&s, "c", 3);
        s.release_claim(&b.id).unwrap();
        s.claim_task(&a, 1, 18.0, &|_| true).unwrap();
        let req = ClaimRequest {
            session: &c,
            exclude: None,
            seed: 1,
            now: 18.0,
        };
        assert_eq!(s.claim_next(&req, &|r| r.pid != 1).unwrap(), Some(1));
        assert!(s.sessions().unwrap().iter().all(|r| r.pid != 1));
    }

    #[test]
    fn skip_queues() {
        let (_d, mut s) = store(2);
        let a = session(&s, "a", 1);
        let b = session(&s, "b", 2);
        let skip = |s: &mut Store, who: &SessionId, t: i64| {
            s.save_annotation(t, who.user_id, "[]", 1.0, SubmitKind::Skip, None)
                .unwrap();
            s.release_claim(&who.id).unwrap();
        };
        // Requeue for others: a never sees task 1 again; b does.
        assert_eq!(claim(&mut s, &a, 0.0), Some(1));
        skip(&mut s, &a, 1);
        assert_eq!(claim(&mut s, &a, 1.0), Some(2));
        assert_eq!(claim(&mut s, &b, 1.0), Some(1));
        s.release_claim(&a.id).unwrap();
        s.release_claim(&b.id).unwrap();
        // Requeue for me: once a's queue is empty, a gets the skipped task back, and it is
        // kept from b meanwhile.
        s.set_settings(&Settings {
            skip_queue: SkipQueue::RequeueForMe,
            ..Settings::default()
        })
        .unwrap();
        assert_eq!(claim(&mut s, &b, 2.0), Some(2));
        submit(&mut s, &b, 2);
        assert_eq!(claim(&mut s, &b, 3.0), None, "task 1 waits for a");
        assert_eq!(claim(&mut s, &a, 3.0), Some(1));
        // Ignore skipped: a skip finishes the task.
        s.release_claim(&a.id).unwrap();
        s.set_settings(&Settings {
            skip_queue: SkipQueue::IgnoreSkipped,
            ..Settings::default()
        })
        .unwrap();
        assert_eq!(claim(&mut s, &b, 4.0), None);
        assert!(s.task_full(1).unwrap().unwrap().task.is_labeled);
    }

    #[test]
    fn ground_truth_first() {
        let (_d, mut s) = store(3);
        s.set_settings(&Settings {
            maximum_annotations: 2,
            show_ground_truth_first: true,
            ..Settings::default()
        })
        .unwrap();
        let g = s.user_id("g").unwrap();
        s.save_annotation(3, g, "[1]", 1.0, SubmitKind::Submit, None)
            .unwrap();
        s.conn()
            .execute(
                "UPDATE annotations SET ground_truth = 1 WHERE task_id = 3",
                [],
            )
            .unwrap();
        let a = session(&s, "a", 1);
        assert_eq!(claim(&mut s, &a, 0.0), Some(3));
    }

    #[test]
    fn throughput_counts_work_done_here_since_a_moment() {
        let (_d, mut s) = store(3);
        let a = session(&s, "a", 1);
        submit(&mut s, &a, 1);
        s.save_annotation(2, a.user_id, "[]", 2.0, SubmitKind::Skip, None)
            .unwrap();
        let t = s.throughput_since("2000-01-01").unwrap();
        assert_eq!(
            t,
            vec![Throughput {
                user: "a".into(),
                submitted: 1,
                skipped: 1,
                lead_time: 3.0
            }]
        );
        assert!(s.throughput_since("9999").unwrap().is_empty());
    }

    #[test]
    fn concurrent_annotators_fill_every_task_to_its_overlap_and_no_further() {
        let (dir, mut s) = store(60);
        s.set_settings(&Settings {
            maximum_annotations: 2,
            ..Settings::default()
        })
        .unwrap();
        let path = dir.path().join("p.db");
        let workers: Vec<_> = (0..6)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut s = Store::open(&path).unwrap();
                    let me = SessionId {
                        id: format!("w{w}"),
                        user_id: s.user_id(&format!("user{w}")).unwrap(),
                        host: "h".into(),
                        pid: w,
                        process_start: None,
                    };
                    let mut done = 0;
                    while let Some(t) = claim(&mut s, &me, 1.0) {
                        s.write_annotation(&crate::store::annotate::AnnotationWrite {
                            task_id: t,
                            user_id: me.user_id,
                            result: "[1]",
                            lead_time: 1.0,
                            kind: SubmitKind::Submit,
                            parent_prediction: None,
                            expect: crate::store::annotate::Expect::Nothing,
                            session: Some(&me.id),
                        })
                        .unwrap();
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let total: i64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
        assert_eq!(total, 120);
        let per_task: Vec<(i64, i64)> = {
            let mut st = s
                .conn()
                .prepare(
                    "SELECT COUNT(*), COUNT(DISTINCT completed_by) FROM annotations
                     GROUP BY task_id ORDER BY task_id",
                )
                .unwrap();
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        assert_eq!(per_task, vec![(2, 2); 60]);
        assert!(s.sessions().unwrap().iter().all(|r| r.task_id.is_none()));
    }
}
