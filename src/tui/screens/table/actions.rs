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

/// Exports the tasks `ids` in `format` to `path` through the export pipeline: the tasks
/// are read from the project as Label Studio JSON (all of their annotations and
/// predictions), kept in a staging file beside the target, and converted from there as
/// `convert` does, so that every format works on the subset.
fn export(store: &Store, ids: &[i64], format: &str, path: &str) -> Result<TableReply, String> {
    use crate::export::{ExportContext, ExportOptions, ExportType, FileSource, ProjectSource};
    use std::io::Write;
    let e = |e: crate::error::Error| e.to_string();
    let t = ExportType::parse(format).ok_or_else(|| format!("unknown export format {format}"))?;
    let project = store.project().map_err(|e| e.to_string())?;
    let config =
        crate::config::LabelConfig::parse(&project.label_config).map_err(|e| e.to_string())?;
    let target = std::path::PathBuf::from(path);
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
        .to_path_buf();
    let staging = crate::staging::Staging::claim(&parent, ".marked-tasks").map_err(e)?;
    std::fs::create_dir_all(staging.path()).map_err(|e| e.to_string())?;
    let file = staging.path().join("tasks.json");
    let wanted: std::collections::HashSet<i64> = ids.iter().copied().collect();
    let all = ExportOptions {
        download_all_tasks: true,
        ..Default::default()
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).map_err(|e| e.to_string())?);
    let mut n = 0usize;
    out.write_all(b"[").map_err(|e| e.to_string())?;
    let mut source = ProjectSource {
        store,
        options: &all,
    };
    crate::export::TaskSource::for_each_task(&mut source, &mut |task| {
        let id = task.json.get("id").and_then(serde_json::Value::as_i64);
        if id.is_some_and(|id| wanted.contains(&id)) {
            if n > 0 {
                out.write_all(b",")
                    .map_err(|err| crate::error::Error::io(&file, err))?;
            }
            serde_json::to_writer(&mut out, &task.json)
                .map_err(|err| crate::error::Error::Other(err.to_string()))?;
            n += 1;
        }
        Ok(())
    })
    .map_err(e)?;
    out.write_all(b"]").map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    drop(out);
    let ctx = ExportContext {
        config: &config,
        options: &all,
        input_file: Some(file.clone()),
    };
    let mut tasks = FileSource {
        name: file.display().to_string(),
        path: file.clone(),
    };
    crate::export::run(t, &ctx, &mut tasks, &target).map_err(e)?;
    drop(staging);
    Ok(TableReply::Done {
        text: crate::tui::strings::exported(n, path),
        changed: false,
    })
}
