//! What the image exporters share: the item stream, the data key, reading region values,
//! the export options that concern media, and errors that name the task and region at fault.

use super::model::{Item, ItemOptions};
use super::pyval::{Num, py_str};
use super::{ExportContext, TaskSource};
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::path::Path;

/// The data key the converter reads the image from (`_data_keys[0]`): the value of the
/// object tag the controls point at.
pub fn data_key(ctx: &ExportContext) -> Result<String> {
    for c in &ctx.config.controls {
        for to in &c.to_name {
            if let Some(o) = ctx.config.objects.iter().find(|o| &o.name == to)
                && let Some(v) = o.value.as_deref().or(o.value_list.as_deref())
            {
                return Ok(v.trim_start_matches('$').to_string());
            }
        }
    }
    Err(Error::Usage(
        "the label config has no object tag with a value that a control points at".into(),
    ))
}

/// Calls `f` with every item of every task (the converter's order), and the directory the
/// task's relative paths refer to. Items carry each result's `id` so errors can name it.
pub fn for_each_item(
    ctx: &ExportContext,
    tasks: &mut dyn TaskSource,
    f: &mut dyn FnMut(Item, Option<&Path>) -> Result<()>,
) -> Result<()> {
    let opts = ItemOptions {
        config: ctx.config,
        keypoints: true,
    };
    tasks.for_each_item_group(&opts, &mut |group| {
        for item in group.items {
            f(item, group.base_dir.as_deref())?;
        }
        Ok(())
    })
}

/// "task 5, annotation 1001" for messages.
pub fn item_label(item: &Item) -> String {
    let mut s = format!("task {}", py_str(&item.id));
    if !item.annotation_id.is_null() {
        s.push_str(&format!(", annotation {}", py_str(&item.annotation_id)));
    }
    s
}

/// An error about one region of an item.
pub fn region_error(
    item: &Item,
    from_name: &str,
    region: &Map<String, Value>,
    message: impl std::fmt::Display,
) -> Error {
    let id = match region.get("id") {
        Some(Value::Null) | None => String::new(),
        Some(v) => format!(" {:?}", py_str(v)),
    };
    Error::Other(format!(
        "{}, region{id} of \"{from_name}\": {message}",
        item_label(item)
    ))
}

/// An error about an item as a whole.
pub fn item_error(item: &Item, message: impl std::fmt::Display) -> Error {
    Error::Other(format!("{}: {message}", item_label(item)))
}

/// Regions of all controls, concatenated in output order, with their control name.
pub fn all_regions(item: &Item) -> impl Iterator<Item = (&str, &Map<String, Value>)> {
    item.output
        .iter()
        .flat_map(|(name, regions)| regions.iter().map(move |r| (name.as_str(), r)))
}

/// A number field of a region; `Ok(None)` when absent, an error when it is not a number.
pub fn num_field(
    item: &Item,
    from_name: &str,
    region: &Map<String, Value>,
    key: &str,
) -> Result<Option<Num>> {
    match region.get(key) {
        None => Ok(None),
        Some(v) => Num::of(v).map(Some).ok_or_else(|| {
            region_error(
                item,
                from_name,
                region,
                format!("\"{key}\" is {}, not a number", py_str(v)),
            )
        }),
    }
}

/// A required number field.
pub fn need_num(
    item: &Item,
    from_name: &str,
    region: &Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<Num> {
    num_field(item, from_name, region, key)?
        .ok_or_else(|| region_error(item, from_name, region, format!("{what} has no \"{key}\"")))
}

/// The label names of a region under `key`, when that key holds a non-empty list of strings.
pub fn label_names<'a>(
    item: &Item,
    from_name: &str,
    region: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<Vec<&'a str>>> {
    match region.get(key) {
        None => Ok(None),
        Some(Value::Array(a)) if a.is_empty() => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str().ok_or_else(|| {
                    region_error(
                        item,
                        from_name,
                        region,
                        format!("\"{key}\" holds {}, not a label name", py_str(v)),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(other) => Err(region_error(
            item,
            from_name,
            region,
            format!("\"{key}\" is {}, not a list of labels", py_str(other)),
        )),
    }
}

/// The image value of an item's data (`item["input"][data_key]`).
pub fn image_value<'a>(item: &'a Item, key: &str) -> Result<&'a Value> {
    item.input
        .get(key)
        .ok_or_else(|| item_error(item, format!("task data has no \"{key}\"")))
}

/// The media options of an export.
pub struct MediaOptions<'a> {
    pub download_resources: bool,
    pub upload_dir: Option<&'a Path>,
    pub local_files_root: Option<&'a Path>,
}

pub fn media_options<'a>(ctx: &'a ExportContext) -> MediaOptions<'a> {
    MediaOptions {
        download_resources: ctx.options.download_resources,
        upload_dir: ctx.options.upload_dir.as_deref(),
        local_files_root: ctx.options.local_files_root.as_deref(),
    }
}

/// Creates a directory inside the output.
pub fn make_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
}
