//! `labelterm status`: what is only here, only on the server, and changed on both sides,
//! read without changing anything on either side.

use super::pull::PAGE;
use super::push::ServerTask;
use super::{Client, SyncError};
use crate::store::{Store, StoreError};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SyncStatus {
    pub url: String,
    pub project_id: i64,
    pub local: LocalSide,
    pub server: ServerSide,
    /// Annotations changed here and on the server since they last agreed.
    pub changed_on_both: u64,
}

/// What `push` would send.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LocalSide {
    pub tasks: u64,
    pub tasks_only_here: u64,
    pub annotations_only_here: u64,
    pub annotations_changed_here: u64,
    pub predictions_only_here: u64,
}

/// What `pull` would bring.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServerSide {
    pub tasks: u64,
    pub tasks_only_there: u64,
    pub tasks_deleted_there: u64,
    pub annotations_only_there: u64,
    pub annotations_changed_there: u64,
    pub annotations_deleted_there: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("the project is not linked to a Label Studio server: run `labelterm link` first")]
    NotLinked,
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn status(store: &Store, client: &Client) -> Result<SyncStatus, StatusError> {
    let link = store.server_link()?.ok_or(StatusError::NotLinked)?;
    let tasks_by_server = store.server_task_ids()?;
    let states = store.annotation_sync_states()?;
    let (tasks, tasks_unsent, predictions_unsent) = store.unsent_counts()?;
    let mut st = SyncStatus {
        url: link.url.clone(),
        project_id: link.project_id,
        ..SyncStatus::default()
    };
    st.local.tasks = tasks as u64;
    st.local.tasks_only_here = tasks_unsent as u64;
    st.local.predictions_only_here = predictions_unsent as u64;
    // Server annotation id -> (revision, revision agreed, server time agreed).
    let mut by_server: HashMap<i64, (i64, Option<i64>, Option<String>)> = HashMap::new();
    for a in states {
        match a.server_id {
            Some(sid) => {
                if a.synced_revision != Some(a.revision) {
                    st.local.annotations_changed_here += 1;
                }
                by_server.insert(sid, (a.revision, a.synced_revision, a.server_updated_at));
            }
            None => st.local.annotations_only_here += 1,
        }
    }
    let mut seen_tasks: HashSet<i64> = HashSet::new();
    let mut seen_annotations: HashSet<i64> = HashSet::new();
    // As pull reads (a third of the full task list's cost a task).
    client.each_exported_page(link.project_id, PAGE, |tasks: Vec<ServerTask>| {
        for t in &tasks {
            seen_tasks.insert(t.id);
            st.server.tasks += 1;
            let ours = tasks_by_server.contains_key(&t.id)
                || t.meta["labelterm"]["key"].as_str() == Some(link.local_key.as_str());
            if !ours {
                st.server.tasks_only_there += 1;
            }
            for a in &t.annotations {
                seen_annotations.insert(a.id);
                match by_server.get(&a.id) {
                    None => st.server.annotations_only_there += 1,
                    Some((revision, synced, at)) => {
                        if at.as_deref() != Some(a.updated_at.as_str()) {
                            if *synced != Some(*revision) {
                                st.changed_on_both += 1;
                            } else {
                                st.server.annotations_changed_there += 1;
                            }
                        }
                    }
                }
            }
        }
        Ok::<(), StatusError>(())
    })?;
    st.server.tasks_deleted_there = tasks_by_server
        .keys()
        .filter(|s| !seen_tasks.contains(s))
        .count() as u64;
    st.server.annotations_deleted_there = by_server
        .keys()
        .filter(|s| !seen_annotations.contains(s))
        .count() as u64;
    Ok(st)
}
