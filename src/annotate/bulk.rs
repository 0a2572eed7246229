//! Bulk actions on the marked tasks of the data table, without a terminal: what each
//! action is, what it would touch (for the confirmation), carrying it out, and what it
//! did (for the message after).

use crate::store::{
    BulkPreview, Converted, DeletedAnnotations, DeletedPredictions, DeletedTasks, Store, StoreError,
};

/// One action on marked tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    /// Delete the tasks with everything attached.
    DeleteTasks,
    /// Delete the tasks' annotations and drafts; only one annotator's when named (by
    /// email or name, as the project knows them).
    DeleteAnnotations {
        annotator: Option<String>,
    },
    DeletePredictions,
    /// Make annotations by the acting user from the tasks' predictions of these model
    /// versions (all when `None`).
    PredictionsToAnnotations {
        model_versions: Option<Vec<String>>,
    },
}

/// What an action did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkDone {
    Tasks(DeletedTasks),
    Annotations(DeletedAnnotations),
    Predictions(DeletedPredictions),
    Converted(Converted),
}

fn n(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

impl BulkAction {
    /// Whether the action removes something (the confirmation says so).
    pub fn destroys(&self) -> bool {
        !matches!(self, BulkAction::PredictionsToAnnotations { .. })
    }

    /// The question asked before the action, with what it would touch.
    pub fn question(&self, p: &BulkPreview) -> String {
        let tasks = n(p.tasks, "task", "tasks");
        match self {
            BulkAction::DeleteTasks => format!(
                "Delete {tasks} with {}, {} and {}?",
                n(p.annotations + p.cancelled, "annotation", "annotations"),
                n(p.predictions, "prediction", "predictions"),
                n(p.drafts, "draft", "drafts")
            ),
            BulkAction::DeleteAnnotations { annotator: None } => format!(
                "Delete {} and {} of {tasks}?",
                n(p.annotations + p.cancelled, "annotation", "annotations"),
                n(p.drafts, "draft", "drafts")
            ),
            BulkAction::DeleteAnnotations {
                annotator: Some(who),
            } => format!("Delete the annotations and drafts by {who} of {tasks}?"),
            BulkAction::DeletePredictions => format!(
                "Delete {} of {tasks}?",
                n(p.predictions, "prediction", "predictions")
            ),
            BulkAction::PredictionsToAnnotations { model_versions } => {
                let count: u64 = p
                    .convertible
                    .iter()
                    .filter(|(v, _)| model_versions.as_ref().is_none_or(|m| m.contains(v)))
                    .map(|(_, c)| c)
                    .sum();
                format!(
                    "Create {} from predictions{} of {tasks}?",
                    n(count, "annotation", "annotations"),
                    match model_versions {
                        Some(v) if !v.is_empty() => format!(" ({})", v.join(", ")),
                        _ => String::new(),
                    }
                )
            }
        }
    }
}

impl BulkDone {
    /// What was done, in a sentence.
    pub fn summary(&self) -> String {
        match self {
            BulkDone::Tasks(d) => format!(
                "Deleted {} ({}, {}, {})",
                n(d.tasks, "task", "tasks"),
                n(d.annotations, "annotation", "annotations"),
                n(d.predictions, "prediction", "predictions"),
                n(d.drafts, "draft", "drafts")
            ),
            BulkDone::Annotations(d) => format!(
                "Deleted {} and {} of {}",
                n(d.annotations, "annotation", "annotations"),
                n(d.drafts, "draft", "drafts"),
                n(d.tasks, "task", "tasks")
            ),
            BulkDone::Predictions(d) => format!(
                "Deleted {} of {}",
                n(d.predictions, "prediction", "predictions"),
                n(d.tasks, "task", "tasks")
            ),
            BulkDone::Converted(c) => {
                let mut s = format!(
                    "Created {} from predictions on {}",
                    n(c.annotations, "annotation", "annotations"),
                    n(c.tasks, "task", "tasks")
                );
                if c.already_converted > 0 {
                    s.push_str(&format!("; {} already converted", c.already_converted));
                }
                if c.no_result > 0 {
                    s.push_str(&format!("; {} without a result list", c.no_result));
                }
                s
            }
        }
    }
}

/// The model version "predictions to annotations" offers first: the project's, as Label
/// Studio's form does.
pub fn default_model_version(store: &Store) -> Result<Option<String>, StoreError> {
    Ok(store.project()?.model_version)
}

/// Carries out `action` on the tasks `ids` as `user` (who is credited with annotations
/// made from predictions).
pub fn run(
    store: &mut Store,
    action: &BulkAction,
    ids: &[i64],
    user: &str,
) -> Result<BulkDone, StoreError> {
    Ok(match action {
        BulkAction::DeleteTasks => BulkDone::Tasks(store.delete_tasks(ids)?),
        BulkAction::DeleteAnnotations { annotator } => {
            let who = match annotator {
                None => None,
                Some(name) => Some(store.existing_user_id(name)?.ok_or_else(|| {
                    StoreError::NotFound(format!("no annotator {name:?} in the project"))
                })?),
            };
            BulkDone::Annotations(store.delete_annotations(ids, who)?)
        }
        BulkAction::DeletePredictions => BulkDone::Predictions(store.delete_predictions(ids)?),
        BulkAction::PredictionsToAnnotations { model_versions } => {
            let user_id = store.user_id(user)?;
            BulkDone::Converted(store.predictions_to_annotations(
                ids,
                user_id,
                model_versions.as_deref(),
            )?)
        }
    })
}
