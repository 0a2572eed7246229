//! The table's writes: saved views, bulk actions on marked tasks, export of marked tasks.
//! A bulk action runs on a connection of its own, in one transaction (the store's).

use super::protocol::Bulk;
use super::spec::ViewSpec;
use super::{TableReply, TableRequest};
use crate::store::Store;

pub fn run(store: &Store, r: TableRequest) -> Result<TableReply, String> {
    let e = |e: crate::store::StoreError| e.to_string();
    Ok(match r {
        TableRequest::Views => TableReply::Views {
            names: store
                .views()
                .map_err(e)?
                .into_iter()
                .map(|v| v.name)
                .collect(),
        },
        TableRequest::SaveView { name, spec } => {
            store.save_view(&name, &spec.to_json()).map_err(e)?;
            TableReply::Done {
                text: crate::tui::strings::view_saved(&name),
                changed: false,
            }
        }
        TableRequest::LoadView { name } => match store.view(&name).map_err(e)? {
            Some(v) => TableReply::ViewLoaded {
                name,
                spec: ViewSpec::from_json(&v.spec)?,
            },
            None => return Err(crate::tui::strings::no_such_view(&name)),
        },
        TableRequest::DeleteView { name } => {
            store.delete_view(&name).map_err(e)?;
            TableReply::ViewDeleted {
                text: crate::tui::strings::view_deleted(&name),
                names: store
                    .views()
                    .map_err(e)?
                    .into_iter()
                    .map(|v| v.name)
                    .collect(),
            }
        }
        TableRequest::Bulk {
            action,
            ids,
            user_id,
        } => {
            let mut w = Store::open(store.path()).map_err(e)?;
            let text = match action {
                Bulk::DeleteTasks => {
                    let d = w.delete_tasks(&ids).map_err(e)?;
                    format!(
                        "deleted {} task(s), {} annotation(s), {} prediction(s), {} draft(s)",
                        d.tasks, d.annotations, d.predictions, d.drafts
                    )
                }
                Bulk::DeleteAnnotations => {
                    let d = w.delete_annotations(&ids, None).map_err(e)?;
                    format!(
                        "deleted {} annotation(s) and {} draft(s) of {} task(s)",
                        d.annotations, d.drafts, d.tasks
                    )
                }
                Bulk::DeletePredictions => {
                    let d = w.delete_predictions(&ids).map_err(e)?;
                    format!(
                        "deleted {} prediction(s) of {} task(s)",
                        d.predictions, d.tasks
                    )
                }
                Bulk::PredictionsToAnnotations => {
                    let c = w
                        .predictions_to_annotations(&ids, user_id, None)
                        .map_err(e)?;
                    format!(
                        "{} annotation(s) made from predictions on {} task(s); {} already converted, {} without a result",
                        c.annotations, c.tasks, c.already_converted, c.no_result
                    )
                }
            };
            TableReply::Done {
                text,
                changed: true,
            }
        }
        TableRequest::Export { ids, format, path } => export(store, &ids, &format, &path)?,
        _ => return Err("not a write".into()),
    })
}

/// Exports the tasks `ids` in `format` to `path` through the export pipeline, as
/// `export --download-all-tasks --ids` does: each task is read from the project with its
/// import folder, so relative media paths resolve as they do in any export.
fn export(store: &Store, ids: &[i64], format: &str, path: &str) -> Result<TableReply, String> {
    use crate::export::{ExportContext, ExportOptions, ExportType, ProjectSource};
    let t = ExportType::parse(format).ok_or_else(|| format!("unknown export format {format}"))?;
    let project = store.project().map_err(|e| e.to_string())?;
    let config =
        crate::config::LabelConfig::parse(&project.label_config).map_err(|e| e.to_string())?;
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let n = ids.len();
    let options = ExportOptions {
        download_all_tasks: true,
        task_ids: Some(ids),
        ..Default::default()
    };
    let ctx = ExportContext {
        config: &config,
        options: &options,
        input_file: None,
    };
    let mut source = ProjectSource::new(store, &options);
    crate::export::run(t, &ctx, &mut source, std::path::Path::new(path))
        .map_err(|e| e.to_string())?;
    Ok(TableReply::Done {
        text: crate::tui::strings::exported(n, path),
        changed: false,
    })
}
