//! `labelterm push`: sends the server what it does not have of the linked project.
//!
//! - Tasks go in batches through the import API, each with its annotations (whose `id`
//!   the server keeps as `import_id`) and predictions, and a mark in its meta
//!   (`labelterm: {key, task}`) that tells this project's tasks from anyone else's. Each
//!   batch is read back, so every server id is recorded before the next batch.
//! - Annotations made later go one by one to the task's annotation list; annotations
//!   changed here since they were sent are updated there, unless the server changed them
//!   too (a conflict: reported, nothing overwritten; `pull` keeps both).
//! - Predictions made later go to the predictions API.
//! - While something is on its way, the store says so: a push cut off there (the server
//!   may have taken it) first looks on the server for what it sent, then carries on, so
//!   nothing is sent twice.
//!
//! Annotators are matched by email. One whose email the server does not know is made
//! there; one with a name but no email is credited to the owner of the API key.

use super::{Client, SyncError};
use crate::store::{PushTask, Sent, SentAnnotation, ServerLink, Store, StoreError};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// Tasks per import request.
pub const BATCH: usize = 500;

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PushReport {
    pub tasks: u64,
    pub annotations: u64,
    pub predictions: u64,
    /// Annotations changed here and updated on the server.
    pub updated: u64,
    /// Tasks a cut-off push had sent, found on the server and recorded.
    pub recovered: u64,
    /// Users made on the server (by email).
    pub users_made: Vec<String>,
    /// Annotations by users without an email, credited to the key's owner.
    pub credited_to_key_owner: u64,
    /// Annotations changed on both sides since they last agreed (left as they are).
    pub conflicts: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("the project is not linked to a Label Studio server: run `labelterm link` first")]
    NotLinked,
    #[error(transparent)]
    Busy(#[from] super::lock::LockError),
    #[error("{source}{}", sent_so_far(.report))]
    Sync {
        #[source]
        source: SyncError,
        report: Box<PushReport>,
    },
    #[error("{source}{}", sent_so_far(.report))]
    Store {
        #[source]
        source: StoreError,
        report: Box<PushReport>,
    },
    #[error("{source}{}", sent_so_far(.report))]
    Media {
        #[source]
        source: super::media::MediaError,
        report: Box<PushReport>,
    },
}

fn sent_so_far(r: &PushReport) -> String {
    format!(
        " (sent before this: {} task(s), {} annotation(s), {} prediction(s); `labelterm push` again sends the rest)",
        r.tasks, r.annotations, r.predictions
    )
}

/// What the server lists of a task (the fields push and pull read).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ServerTask {
    pub id: i64,
    #[serde(default)]
    pub data: Value,
    #[serde(default)]
    pub meta: Value,
    #[serde(default)]
    pub annotations: Vec<ServerAnnotation>,
    #[serde(default)]
    pub predictions: Vec<ServerPrediction>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct ServerAnnotation {
    pub id: i64,
    #[serde(default)]
    pub import_id: Option<i64>,
    #[serde(default)]
    pub result: Value,
    #[serde(default)]
    pub updated_at: String,
}

/// A server prediction: in full from the task list, or its id alone from the export API.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(from = "PredictionShape")]
pub struct ServerPrediction {
    pub id: i64,
    pub model_version: Option<String>,
    pub result: Value,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum PredictionShape {
    Id(i64),
    Full {
        id: i64,
        #[serde(default)]
        model_version: Option<String>,
        #[serde(default)]
        result: Value,
    },
}

impl From<PredictionShape> for ServerPrediction {
    fn from(p: PredictionShape) -> ServerPrediction {
        match p {
            PredictionShape::Id(id) => ServerPrediction {
                id,
                model_version: None,
                result: Value::Null,
            },
            PredictionShape::Full {
                id,
                model_version,
                result,
            } => ServerPrediction {
                id,
                model_version,
                result,
            },
        }
    }
}

/// A server user as `/api/users` lists it.
#[derive(Debug, serde::Deserialize)]
pub struct ServerUser {
    pub id: i64,
    #[serde(default)]
    pub email: String,
}

/// Server tasks of project `project` chosen by a data manager `query`, all pages.
pub fn list_tasks(
    client: &Client,
    project: i64,
    query: &Value,
    page_size: usize,
) -> Result<Vec<ServerTask>, SyncError> {
    let mut out = Vec::new();
    client.each_task_page(
        project,
        super::client::TaskFields::All,
        query,
        page_size,
        |tasks| {
            out.extend(tasks);
            Ok::<(), SyncError>(())
        },
    )?;
    Ok(out)
}

/// Annotator emails to server user ids, making users the server lacks.
struct Users {
    by_email: HashMap<String, i64>,
    owner: Option<(i64, String)>,
}

impl Users {
    fn load(client: &Client) -> Result<Users, SyncError> {
        let list: Vec<ServerUser> = client.get("/api/users", "listing the server's users")?;
        Ok(Users {
            by_email: list
                .into_iter()
                .map(|u| (u.email.to_lowercase(), u.id))
                .collect(),
            owner: None,
        })
    }

    fn owner(&mut self, client: &Client) -> Result<(i64, String), SyncError> {
        if self.owner.is_none() {
            let me: ServerUser =
                client.get("/api/current-user/whoami", "asking whose API key this is")?;
            self.owner = Some((me.id, me.email));
        }
        Ok(self.owner.clone().expect("just set"))
    }

    /// The server user for a local annotator: (id, email), and whether it is the key's
    /// owner standing in for someone without an email.
    fn resolve(
        &mut self,
        client: &Client,
        local: Option<&str>,
        report: &mut PushReport,
    ) -> Result<(i64, String), SyncError> {
        let Some(email) = local.filter(|e| e.contains('@')) else {
            report.credited_to_key_owner += 1;
            return self.owner(client);
        };
        if let Some(&id) = self.by_email.get(&email.to_lowercase()) {
            return Ok((id, email.to_string()));
        }
        let made: ServerUser = client.post(
            "/api/users",
            &json!({"email": email, "username": email}),
            &format!("making the user {email} on the server"),
        )?;
        self.by_email.insert(email.to_lowercase(), made.id);
        report.users_made.push(email.to_string());
        Ok((made.id, email.to_string()))
    }
}

/// Task data as the server project names its fields.
fn server_data(data: &str, link: &ServerLink) -> Value {
    let mut v: Value = serde_json::from_str(data).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        for (field, column) in &link.mapping {
            if let Some(x) = m.shift_remove(column) {
                m.insert(field.clone(), x);
            }
        }
    }
    v
}

fn result_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Array(vec![]))
}

fn task_item(
    t: &PushTask,
    link: &ServerLink,
    users: &mut Users,
    client: &Client,
    report: &mut PushReport,
) -> Result<Value, SyncError> {
    let mut meta = match serde_json::from_str::<Value>(&t.meta) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    meta.insert(
        "labelterm".into(),
        json!({"key": link.local_key, "task": t.id}),
    );
    let mut annotations = Vec::new();
    for a in &t.annotations {
        let (_, email) = users.resolve(client, a.completed_by_email.as_deref(), report)?;
        annotations.push(json!({
            "id": a.id,
            "result": result_value(&a.result),
            "completed_by": {"email": email},
            "was_cancelled": a.was_cancelled,
            "ground_truth": a.ground_truth,
            "lead_time": a.lead_time,
        }));
    }
    let predictions: Vec<Value> = t
        .predictions
        .iter()
        .map(|p| {
            json!({"result": result_value(&p.result), "score": p.score, "model_version": p.model_version})
        })
        .collect();
    Ok(json!({
        "data": server_data(&t.data, link),
        "meta": meta,
        "annotations": annotations,
        "predictions": predictions,
    }))
}

/// Pairs what was sent of `tasks` with the server's copies (read back by id).
fn pair(tasks: &[&PushTask], server: &[ServerTask], server_ids: &[i64], sent: &mut Sent) {
    let by_id: HashMap<i64, &ServerTask> = server.iter().map(|t| (t.id, t)).collect();
    for (t, sid) in tasks.iter().zip(server_ids) {
        sent.tasks.push((t.id, *sid));
        let Some(st) = by_id.get(sid) else { continue };
        sent.task_data.push((t.id, st.data.to_string()));
        for a in &t.annotations {
            if let Some(sa) = st.annotations.iter().find(|sa| sa.import_id == Some(a.id)) {
                sent.annotations.push(SentAnnotation {
                    id: a.id,
                    server_id: sa.id,
                    revision: a.revision,
                    server_updated_at: sa.updated_at.clone(),
                });
            }
        }
        // Predictions come back in the order they were made.
        let mut theirs: Vec<i64> = st.predictions.iter().map(|p| p.id).collect();
        theirs.sort_unstable();
        for (p, sp) in t.predictions.iter().zip(theirs) {
            sent.predictions.push((p.id, sp));
        }
    }
}

/// After a push was cut off: finds on the server the tasks it sent and records them.
fn recover(store: &mut Store, client: &Client, link: &ServerLink) -> Result<u64, PushError> {
    let known = store
        .server_task_ids()
        .map_err(|e| store_err(e, &PushReport::default()))?;
    let after = known.keys().copied().max().unwrap_or(0);
    let query = json!({"filters": {"conjunction": "and", "items": [
        {"filter": "filter:tasks:id", "operator": "greater", "type": "Number", "value": after}
    ]}});
    let server = list_tasks(client, link.project_id, &query, 500)
        .map_err(|e| sync_err(e, &PushReport::default()))?;
    let mut ours: Vec<(i64, &ServerTask)> = server
        .iter()
        .filter(|t| t.meta["labelterm"]["key"].as_str() == Some(link.local_key.as_str()))
        .filter_map(|t| t.meta["labelterm"]["task"].as_i64().map(|id| (id, t)))
        .collect();
    ours.sort_by_key(|(id, _)| *id);
    let mut sent = Sent::default();
    let mut found = 0;
    for chunk in ours.chunks(BATCH) {
        let wanted: Vec<i64> = chunk.iter().map(|(id, _)| *id).collect();
        let local = store
            .unsent_tasks(&wanted)
            .map_err(|e| store_err(e, &PushReport::default()))?;
        let by_local: HashMap<i64, &PushTask> = local.iter().map(|t| (t.id, t)).collect();
        let matched: Vec<(&PushTask, i64)> = chunk
            .iter()
            .filter_map(|(id, st)| by_local.get(id).map(|t| (*t, st.id)))
            .collect();
        let tasks: Vec<&PushTask> = matched.iter().map(|(t, _)| *t).collect();
        let ids: Vec<i64> = matched.iter().map(|(_, s)| *s).collect();
        let servers: Vec<ServerTask> = chunk.iter().map(|(_, st)| (*st).clone()).collect();
        pair(&tasks, &servers, &ids, &mut sent);
        found += matched.len() as u64;
    }
    store
        .record_pushed(&sent)
        .map_err(|e| store_err(e, &PushReport::default()))?;
    // An annotation or prediction sent on its own to a task the server had.
    let annotations = store
        .annotations_to_push()
        .map_err(|e| store_err(e, &PushReport::default()))?;
    let predictions = store
        .predictions_to_push()
        .map_err(|e| store_err(e, &PushReport::default()))?;
    let mut tasks: Vec<i64> = annotations
        .iter()
        .filter(|a| a.server_id.is_none())
        .map(|a| a.server_task)
        .chain(predictions.iter().map(|(_, t)| *t))
        .collect();
    tasks.sort_unstable();
    tasks.dedup();
    let mut sent = Sent::default();
    for chunk in tasks.chunks(BATCH) {
        let query = json!({"selectedItems": {"all": false, "included": chunk}});
        let server = list_tasks(client, link.project_id, &query, chunk.len())
            .map_err(|e| sync_err(e, &PushReport::default()))?;
        let mapped = store
            .mapped_prediction_ids()
            .map_err(|e| store_err(e, &PushReport::default()))?;
        for st in &server {
            for a in annotations
                .iter()
                .filter(|a| a.server_task == st.id && a.server_id.is_none())
            {
                // Another client's annotation may carry the same import id: the result too.
                let ours = result_value(&a.annotation.result);
                if let Some(sa) = st
                    .annotations
                    .iter()
                    .find(|sa| sa.import_id == Some(a.annotation.id) && sa.result == ours)
                {
                    sent.annotations.push(SentAnnotation {
                        id: a.annotation.id,
                        server_id: sa.id,
                        revision: a.annotation.revision,
                        server_updated_at: sa.updated_at.clone(),
                    });
                }
            }
            // A prediction has no mark: the server's copy is the unmapped one with the same
            // model version and result.
            let mut taken: Vec<i64> = Vec::new();
            for (p, _) in predictions.iter().filter(|(_, t)| *t == st.id) {
                let ours = result_value(&p.result);
                if let Some(sp) = st.predictions.iter().find(|sp| {
                    !mapped.contains(&sp.id)
                        && !taken.contains(&sp.id)
                        && sp.model_version.as_deref() == Some(p.model_version.as_str())
                        && sp.result == ours
                }) {
                    taken.push(sp.id);
                    sent.predictions.push((p.id, sp.id));
                }
            }
        }
    }
    store
        .record_pushed(&sent)
        .map_err(|e| store_err(e, &PushReport::default()))?;
    Ok(found)
}

fn sync_err(source: SyncError, report: &PushReport) -> PushError {
    PushError::Sync {
        source,
        report: Box::new(report.clone()),
    }
}

fn media_err(source: super::media::MediaError, report: &PushReport) -> PushError {
    PushError::Media {
        source,
        report: Box::new(report.clone()),
    }
}

fn store_err(source: StoreError, report: &PushReport) -> PushError {
    PushError::Store {
        source,
        report: Box::new(report.clone()),
    }
}

/// Sends the server what it lacks; `progress` hears the tasks sent so far.
pub fn push(
    store: &mut Store,
    client: &Client,
    progress: &mut dyn FnMut(u64),
) -> Result<PushReport, PushError> {
    let link = store
        .server_link()
        .map_err(|e| store_err(e, &PushReport::default()))?
        .ok_or(PushError::NotLinked)?;
    let _lock = super::lock::SyncLock::take(store.path())?;
    let mut report = PushReport::default();
    if store.push_in_flight().map_err(|e| store_err(e, &report))? {
        report.recovered = recover(store, client, &link)?;
        store
            .set_push_in_flight(false)
            .map_err(|e| store_err(e, &report))?;
    }
    let mut users: Option<Users> = None;
    // Media in the server's form (`--media file|post`): storages made or files uploaded
    // before the batch that needs them.
    let mut media =
        super::media::Sender::for_link(store, client, &link).map_err(|e| media_err(e, &report))?;
    let mut after = 0;
    loop {
        let mut batch = store
            .tasks_to_push(after, BATCH)
            .map_err(|e| store_err(e, &report))?;
        let Some(last) = batch.last().map(|t| t.id) else {
            break;
        };
        if let Some(m) = media.as_mut() {
            m.prepare(store, client, &mut batch)
                .map_err(|e| media_err(e, &report))?;
        }
        if users.is_none() {
            users = Some(Users::load(client).map_err(|e| sync_err(e, &report))?);
        }
        let u = users.as_mut().expect("just set");
        let mut items = Vec::with_capacity(batch.len());
        for t in &batch {
            items.push(
                task_item(t, &link, u, client, &mut report).map_err(|e| sync_err(e, &report))?,
            );
        }
        #[derive(serde::Deserialize)]
        struct Imported {
            #[serde(default)]
            task_ids: Vec<i64>,
        }
        store
            .set_push_in_flight(true)
            .map_err(|e| store_err(e, &report))?;
        let imported: Imported = client
            .post(
                &format!(
                    "/api/projects/{}/import?return_task_ids=true",
                    link.project_id
                ),
                &Value::Array(items),
                &format!("sending {} task(s)", batch.len()),
            )
            .map_err(|e| sync_err(e, &report))?;
        if imported.task_ids.len() != batch.len() {
            return Err(sync_err(
                SyncError::BadAnswer {
                    action: format!("sending {} task(s)", batch.len()),
                    message: format!(
                        "the server made {} task(s); the next push looks for them",
                        imported.task_ids.len()
                    ),
                },
                &report,
            ));
        }
        // Read back through the export API: a third of the task list's cost a task.
        let server: Vec<ServerTask> = client
            .export_tasks(link.project_id, &imported.task_ids)
            .map_err(|e| sync_err(e, &report))?;
        let mut sent = Sent::default();
        let refs: Vec<&PushTask> = batch.iter().collect();
        pair(&refs, &server, &imported.task_ids, &mut sent);
        store
            .record_pushed(&sent)
            .map_err(|e| store_err(e, &report))?;
        report.tasks += batch.len() as u64;
        report.annotations += batch
            .iter()
            .map(|t| t.annotations.len() as u64)
            .sum::<u64>();
        report.predictions += batch
            .iter()
            .map(|t| t.predictions.len() as u64)
            .sum::<u64>();
        progress(report.tasks);
        after = last;
    }
    push_annotations(store, client, &mut users, &mut report)?;
    push_predictions(store, client, &mut report)?;
    Ok(report)
}

fn push_annotations(
    store: &mut Store,
    client: &Client,
    users: &mut Option<Users>,
    report: &mut PushReport,
) -> Result<(), PushError> {
    let pending = store
        .annotations_to_push()
        .map_err(|e| store_err(e, report))?;
    for p in pending {
        let a = &p.annotation;
        if users.is_none() {
            *users = Some(Users::load(client).map_err(|e| sync_err(e, report))?);
        }
        let u = users.as_mut().expect("just set");
        let body = |user: i64| {
            json!({
                "result": result_value(&a.result),
                "completed_by": user,
                "was_cancelled": a.was_cancelled,
                "ground_truth": a.ground_truth,
                "lead_time": a.lead_time,
                "import_id": a.id,
            })
        };
        #[derive(serde::Deserialize)]
        struct Answer {
            id: i64,
            #[serde(default)]
            updated_at: String,
        }
        let answer: Answer = match p.server_id {
            None => {
                let (user, _) = u
                    .resolve(client, a.completed_by_email.as_deref(), report)
                    .map_err(|e| sync_err(e, report))?;
                store
                    .set_push_in_flight(true)
                    .map_err(|e| store_err(e, report))?;
                let made = client
                    .post(
                        &format!("/api/tasks/{}/annotations", p.server_task),
                        &body(user),
                        &format!("sending annotation {}", a.id),
                    )
                    .map_err(|e| sync_err(e, report))?;
                report.annotations += 1;
                made
            }
            Some(server_id) => {
                let now: Answer = client
                    .get(
                        &format!("/api/annotations/{server_id}"),
                        &format!("reading annotation {server_id}"),
                    )
                    .map_err(|e| sync_err(e, report))?;
                if p.server_updated_at.as_deref() != Some(now.updated_at.as_str()) {
                    report.conflicts.push(format!(
                        "annotation {} (server annotation {server_id} on server task {}): changed here and on the server; left as it is on both (pull brings the server's version)",
                        a.id, p.server_task
                    ));
                    continue;
                }
                let (user, _) = u
                    .resolve(client, a.completed_by_email.as_deref(), report)
                    .map_err(|e| sync_err(e, report))?;
                let updated = client
                    .patch(
                        &format!("/api/annotations/{server_id}"),
                        &body(user),
                        &format!("updating annotation {server_id}"),
                    )
                    .map_err(|e| sync_err(e, report))?;
                report.updated += 1;
                updated
            }
        };
        store
            .record_pushed(&Sent {
                annotations: vec![SentAnnotation {
                    id: a.id,
                    server_id: answer.id,
                    revision: a.revision,
                    server_updated_at: answer.updated_at,
                }],
                ..Sent::default()
            })
            .map_err(|e| store_err(e, report))?;
    }
    Ok(())
}

fn push_predictions(
    store: &mut Store,
    client: &Client,
    report: &mut PushReport,
) -> Result<(), PushError> {
    let pending = store
        .predictions_to_push()
        .map_err(|e| store_err(e, report))?;
    for (p, server_task) in pending {
        #[derive(serde::Deserialize)]
        struct Made {
            id: i64,
        }
        let made: Made = client
            .post(
                "/api/predictions",
                &json!({
                    "task": server_task,
                    "result": result_value(&p.result),
                    "score": p.score,
                    "model_version": p.model_version,
                }),
                &format!("sending prediction {}", p.id),
            )
            .map_err(|e| sync_err(e, report))?;
        report.predictions += 1;
        store
            .record_pushed(&Sent {
                predictions: vec![(p.id, made.id)],
                ..Sent::default()
            })
            .map_err(|e| store_err(e, report))?;
    }
    Ok(())
}
