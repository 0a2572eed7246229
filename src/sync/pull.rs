//! `labelterm pull`: brings the linked server project's tasks, annotations and predictions
//! into the project, page by page, each page in one transaction.
//!
//! - A server task is matched by the server id recorded at push or an earlier pull, or by
//!   the mark a push put in its meta; the others are new here.
//! - A server annotation is matched by its recorded server id, or by its `import_id` (the
//!   local id a push sent). One the server changed since both sides last agreed replaces
//!   the local one only when the local one did not change too; otherwise both are kept (the
//!   server's as a new local annotation, the local one to be sent again by `push`) and the
//!   conflict is reported. Work not yet pushed is never overwritten or deleted.
//! - Annotations and tasks deleted on the server are deleted here, unless they hold
//!   unsent work (then they stay, and are reported).
//! - A second pull changes nothing.

use super::push::ServerUser;
use super::{Client, SyncError};
use crate::store::pull::{LocalAnnotation, PulledAnnotation, PulledPrediction, SyncTx};
use crate::store::{ServerLink, Store, StoreError};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Tasks per page read from the server.
pub const PAGE: usize = 500;

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PullReport {
    pub tasks_new: u64,
    pub tasks_changed: u64,
    pub tasks_deleted: u64,
    pub annotations_new: u64,
    pub annotations_updated: u64,
    pub annotations_deleted: u64,
    pub predictions_new: u64,
    pub conflicts: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("the project is not linked to a Label Studio server: run `labelterm link` first")]
    NotLinked,
    #[error(transparent)]
    Busy(#[from] super::lock::LockError),
    #[error("{0} (pages read before this are in the project; `labelterm pull` again carries on)")]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A task as Label Studio's JSON export gives it: predictions as ids.
#[derive(Debug, serde::Deserialize)]
struct ExportedTask {
    id: i64,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    meta: Value,
    #[serde(default)]
    annotations: Vec<FullAnnotation>,
    #[serde(default)]
    predictions: Vec<i64>,
}

/// A server task with what pull reads of it.
#[derive(Debug)]
struct FullTask {
    id: i64,
    data: Value,
    meta: Value,
    annotations: Vec<FullAnnotation>,
    predictions: Vec<FullPrediction>,
}

#[derive(Debug, serde::Deserialize)]
struct FullAnnotation {
    id: i64,
    #[serde(default)]
    import_id: Option<i64>,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    completed_by: Value,
    #[serde(default)]
    created_username: Option<String>,
    #[serde(default)]
    was_cancelled: bool,
    #[serde(default)]
    ground_truth: bool,
    #[serde(default)]
    lead_time: Option<f64>,
    #[serde(default)]
    created_at: String,
    #[serde(default)]
    updated_at: String,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct FullPrediction {
    id: i64,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    score: Option<f64>,
    #[serde(default)]
    model_version: Option<String>,
    #[serde(default)]
    created_at: String,
}

/// Task data with the server's field names turned back into this project's keys.
fn local_data(data: &Value, link: &ServerLink) -> Value {
    let mut v = data.clone();
    if let Value::Object(m) = &mut v {
        for (field, column) in &link.mapping {
            if let Some(x) = m.shift_remove(field) {
                m.insert(column.clone(), x);
            }
        }
    }
    v
}

/// Meta without the mark a push puts there.
fn local_meta(meta: &Value) -> String {
    match meta {
        Value::Object(m) => {
            let mut m = m.clone();
            m.shift_remove("labelterm");
            Value::Object(m).to_string()
        }
        _ => "{}".to_string(),
    }
}

fn pulled_annotation(a: &FullAnnotation, emails: &HashMap<i64, String>) -> PulledAnnotation {
    let email = a
        .completed_by
        .as_i64()
        .and_then(|id| emails.get(&id).cloned())
        .or_else(|| {
            a.completed_by
                .get("email")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .or_else(|| {
            a.created_username
                .as_deref()
                .and_then(crate::task::created_username)
                .map(|(e, _)| e.to_string())
        })
        .filter(|e| !e.is_empty());
    PulledAnnotation {
        server_id: a.id,
        result: a.result.to_string(),
        email,
        was_cancelled: a.was_cancelled,
        ground_truth: a.ground_truth,
        lead_time: a.lead_time,
        created_at: a.created_at.clone(),
        updated_at: a.updated_at.clone(),
    }
}

fn pulled_prediction(p: &FullPrediction) -> PulledPrediction {
    PulledPrediction {
        server_id: p.id,
        result: p.result.to_string(),
        score: p.score,
        model_version: p
            .model_version
            .clone()
            .unwrap_or_else(|| "undefined".to_string()),
        created_at: p.created_at.clone(),
    }
}

fn apply(
    tx: &mut SyncTx,
    st: &FullTask,
    link: &ServerLink,
    emails: &HashMap<i64, String>,
    report: &mut PullReport,
) -> Result<(), StoreError> {
    let sid = st.id;
    let mut local = tx.task_for_server(sid)?;
    if local.is_none() {
        let mark = &st.meta["labelterm"];
        if mark["key"].as_str() == Some(link.local_key.as_str())
            && let Some(id) = mark["task"].as_i64()
            && tx.is_unmapped_task(id)?
        {
            tx.map_task(id, sid)?;
            // Ours, as a push sent it (media already in the server's form).
            tx.set_server_data(id, &st.data.to_string())?;
            local = Some(id);
        }
    }
    let data = local_data(&st.data, link);
    let Some(task) = local else {
        let id = tx.insert_task(&data.to_string(), &local_meta(&st.meta), sid)?;
        tx.set_server_data(id, &st.data.to_string())?;
        for a in &st.annotations {
            tx.insert_annotation(id, &pulled_annotation(a, emails))?;
            report.annotations_new += 1;
        }
        for p in &st.predictions {
            tx.insert_prediction(id, &pulled_prediction(p))?;
            report.predictions_new += 1;
        }
        report.tasks_new += 1;
        return Ok(());
    };
    // Changed on the server since both sides last agreed: a local path the server holds as
    // `/data/upload/...` or `/data/local-files/?d=...` (as push sent it) is no change.
    let agreed: Option<Value> = tx
        .server_data(task)?
        .and_then(|d| serde_json::from_str(&d).ok());
    if agreed.as_ref() != Some(&st.data) {
        let here: Value = serde_json::from_str(&tx.task_data(task)?).unwrap_or(Value::Null);
        if here != data {
            tx.set_task_data(task, &data.to_string())?;
            report.tasks_changed += 1;
        }
        tx.set_server_data(task, &st.data.to_string())?;
    }
    let locals = tx.annotations_of(task)?;
    let mut matched: HashSet<i64> = HashSet::new();
    for a in &st.annotations {
        let pulled = pulled_annotation(a, emails);
        let mine: Option<&LocalAnnotation> = locals
            .iter()
            .find(|l| l.server_id == Some(a.id))
            .or_else(|| {
                // Ours, sent by a push that could not record it. The import id alone is
                // not enough: another client's annotation may carry the same number.
                locals.iter().find(|l| {
                    l.server_id.is_none()
                        && Some(l.id) == a.import_id
                        && serde_json::from_str::<Value>(&l.result).ok().as_ref() == Some(&a.result)
                })
            });
        match mine {
            None => {
                tx.insert_annotation(task, &pulled)?;
                report.annotations_new += 1;
            }
            Some(l) => {
                matched.insert(l.id);
                if l.server_id.is_none() {
                    tx.map_annotation(l.id, &pulled)?;
                    continue;
                }
                if l.server_updated_at.as_deref() == Some(a.updated_at.as_str()) {
                    continue;
                }
                if !l.changed_here() {
                    tx.update_annotation(l.id, task, &pulled)?;
                    report.annotations_updated += 1;
                } else {
                    tx.forget_annotation(l.id)?;
                    let kept = tx.insert_annotation(task, &pulled)?;
                    report.conflicts.push(format!(
                        "task {task} (server task {sid}): annotation {} changed here and on the server; both are kept: the server's as annotation {kept}, and `push` sends this one as a new annotation",
                        l.id
                    ));
                }
            }
        }
    }
    for l in &locals {
        if l.server_id.is_none() || matched.contains(&l.id) {
            continue;
        }
        if l.changed_here() {
            tx.forget_annotation(l.id)?;
            report.conflicts.push(format!(
                "task {task} (server task {sid}): annotation {} was deleted on the server and changed here; kept here, and `push` sends it again",
                l.id
            ));
        } else {
            tx.delete_annotation(l.id, task)?;
            report.annotations_deleted += 1;
        }
    }
    let known = tx.mapped_predictions(task)?;
    for p in &st.predictions {
        if !known.contains(&p.id) {
            tx.insert_prediction(task, &pulled_prediction(p))?;
            report.predictions_new += 1;
        }
    }
    Ok(())
}

/// A task's annotations in the order the server made them (its ids), which for an import
/// is the file's order: the server lists them in no set order (no ORDER BY; PostgreSQL
/// may return them either way), and they often share a timestamp, so their local ids,
/// and every export's order, would otherwise swap from one pull to the next.
fn in_creation_order(mut annotations: Vec<FullAnnotation>) -> Vec<FullAnnotation> {
    annotations.sort_by_key(|a| a.id);
    annotations
}

/// Brings the server project into the store; `progress` hears the tasks read so far.
pub fn pull(
    store: &mut Store,
    client: &Client,
    progress: &mut dyn FnMut(u64),
) -> Result<PullReport, PullError> {
    let link = store.server_link()?.ok_or(PullError::NotLinked)?;
    let _lock = super::lock::SyncLock::take(store.path())?;
    let users: Vec<ServerUser> = client.get("/api/users", "listing the server's users")?;
    let emails: HashMap<i64, String> = users.into_iter().map(|u| (u.id, u.email)).collect();
    let mut report = PullReport::default();
    let mut seen: HashSet<i64> = HashSet::new();
    // Each page's tasks come with their annotations, and predictions as ids
    // (`each_exported_page`); a prediction's body comes from the prediction list when one
    // is new here.
    let mapped = store.mapped_prediction_ids()?;
    let mut bodies: Option<HashMap<i64, FullPrediction>> = None;
    client.each_exported_page(link.project_id, PAGE, |exported: Vec<ExportedTask>| {
        if bodies.is_none()
            && exported
                .iter()
                .flat_map(|t| &t.predictions)
                .any(|p| !mapped.contains(p))
        {
            let all: Vec<FullPrediction> = client.get(
                &format!("/api/predictions?project={}", link.project_id),
                "reading the project's predictions",
            )?;
            bodies = Some(all.into_iter().map(|p| (p.id, p)).collect());
        }
        let mut tx = store.sync_tx()?;
        for e in exported {
            seen.insert(e.id);
            // Predictions too in the order they were made.
            let mut ids = e.predictions.clone();
            ids.sort_unstable();
            let predictions = ids
                .iter()
                .filter(|id| !mapped.contains(id))
                .filter_map(|id| bodies.as_ref().and_then(|b| b.get(id)).cloned())
                .collect();
            let st = FullTask {
                id: e.id,
                data: e.data,
                meta: e.meta,
                annotations: in_creation_order(e.annotations),
                predictions,
            };
            apply(&mut tx, &st, &link, &emails, &mut report)?;
        }
        tx.commit()?;
        progress(seen.len() as u64);
        Ok::<(), PullError>(())
    })?;
    // Tasks the server no longer has.
    let gone: Vec<(i64, i64)> = store
        .server_task_ids()?
        .into_iter()
        .filter(|(server, _)| !seen.contains(server))
        .collect();
    if !gone.is_empty() {
        let mut tx = store.sync_tx()?;
        for (server, task) in gone {
            if tx.has_unsent_work(task)? {
                tx.unmap_task(task)?;
                report.conflicts.push(format!(
                    "task {task} (server task {server}) was deleted on the server and holds work not sent yet; kept here, and `push` sends it again"
                ));
            } else {
                tx.delete_task(task)?;
                report.tasks_deleted += 1;
            }
        }
        tx.commit()?;
    }
    Ok(report)
}

#[cfg(test)]
mod order_tests {
    use super::*;

    #[test]
    fn annotations_listed_in_any_order_are_stored_in_the_order_they_were_made() {
        let listed: Vec<FullAnnotation> = serde_json::from_str(
            r#"[{"id": 12, "import_id": 3, "result": []},
                {"id": 10, "import_id": 9, "result": []},
                {"id": 11, "import_id": 5, "result": []}]"#,
        )
        .unwrap();
        let order: Vec<Option<i64>> = in_creation_order(listed)
            .iter()
            .map(|a| a.import_id)
            .collect();
        assert_eq!(order, [Some(9), Some(5), Some(3)]);
    }
}
