//! One running annotator on a shared project: it registers itself, claims the tasks it
//! labels (the next of the label stream, or one it opens by itself), renews its claim
//! while it works, and leaves. The terminal annotator, the benchmark and the soak test
//! all go through here, so they follow the same rules.

use super::presence;
use super::save::{PendingSave, SaveKind};
use crate::store::Result;
use crate::store::Store;
use crate::store::annotate::Expect;
use crate::store::claims::{ClaimRequest, SessionId};
use std::time::Duration;

/// This process as an annotator of a project.
#[derive(Debug, Clone)]
pub struct Annotator {
    pub session: SessionId,
}

impl Annotator {
    /// Registers this process for the user.
    pub fn register(store: &Store, user_id: i64) -> Result<Annotator> {
        let a = Annotator {
            session: presence::this_process(user_id),
        };
        store.register_session(&a.session, presence::now())?;
        Ok(a)
    }

    pub fn user_id(&self) -> i64 {
        self.session.user_id
    }

    /// Claims the next task of the label stream (giving up the one held), or `None` when
    /// nothing is left for this user.
    pub fn next(&self, store: &mut Store, exclude: Option<i64>, seed: u64) -> Result<Option<i64>> {
        let req = ClaimRequest {
            session: &self.session,
            exclude,
            seed,
            now: presence::now(),
        };
        store.claim_next(&req, &presence::alive)
    }

    /// Claims a task the user opened by themselves; returns the other users holding it.
    pub fn open(&self, store: &mut Store, task: i64) -> Result<Vec<String>> {
        store.claim_task(&self.session, task, presence::now(), &presence::alive)
    }

    /// Renews the registration and the claim on `task` (the one on screen). False when
    /// the registration had lapsed (the process was stopped for longer than the TTL) and
    /// was made again.
    pub fn renew(&self, store: &Store, task: Option<i64>) -> Result<bool> {
        store.renew_session(&self.session, task, presence::now())
    }

    /// Gives up the claim without leaving.
    pub fn release(&self, store: &Store) -> Result<()> {
        store.release_claim(&self.session.id)
    }

    /// Leaves: the claim goes back to the pool at once.
    pub fn leave(&self, store: &Store) -> Result<()> {
        store.end_session(&self.session.id)
    }

    /// A submit or skip of `result` that ends this annotator's claim on the task and
    /// expects the user's annotation to be what the answer began from.
    pub fn answer(&self, mut save: PendingSave, expect: Expect) -> PendingSave {
        save.expect = expect;
        if save.kind != SaveKind::Draft {
            save.session = Some(self.session.id.clone());
        }
        save
    }
}

/// How often a running annotator renews its claim: well within the TTL, so that one or
/// two missed renewals (a busy file) do not lose it.
pub fn renew_every(lock_ttl_secs: u32) -> Duration {
    Duration::from_secs_f64((f64::from(lock_ttl_secs) / 4.0).clamp(1.0, 30.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotate::{SaveOutcome, Saving};
    use serde_json::json;

    #[test]
    fn two_processes_share_a_project_through_claims() {
        let (dir, mut a_store) = crate::store::tests::with_tasks(2);
        let path = dir.path().join("p.db");
        let mut b_store = Store::open(&path).unwrap();
        let a = Annotator::register(&a_store, a_store.user_id("a").unwrap()).unwrap();
        // Same process here, so tell them apart as two processes would be.
        let mut b = Annotator {
            session: presence::this_process(b_store.user_id("b").unwrap()),
        };
        b.session.id.push_str("-b");
        assert_eq!(a.next(&mut a_store, None, 1).unwrap(), Some(1));
        assert_eq!(b.next(&mut b_store, None, 1).unwrap(), Some(2));
        let save = a.answer(
            PendingSave::new(1, a.user_id(), &[json!(1)], 1.0, SaveKind::Submit),
            Expect::Nothing,
        );
        assert!(matches!(
            Saving::new(save).attempt(&mut a_store),
            SaveOutcome::Saved { .. }
        ));
        let held: Vec<_> = a_store
            .sessions()
            .unwrap()
            .into_iter()
            .map(|s| s.task_id)
            .collect();
        assert!(held.contains(&None) && held.contains(&Some(2)), "{held:?}");
        assert!(a.renew(&a_store, None).unwrap());
        a.leave(&a_store).unwrap();
        assert_eq!(a_store.sessions().unwrap().len(), 1);
        assert_eq!(renew_every(120), Duration::from_secs(30));
        assert_eq!(renew_every(8), Duration::from_secs(2));
    }
}
