//! `JSON_MIN`: one flat record per item (task data, task id, one key per control with the
//! prettified value, then who annotated and when), written the way the converter's
//! `ujson.dump(record, indent=2, ensure_ascii=False)` writes it: `[\n`, records separated by
//! `,\n`, `\n]`, no final newline.

use super::model::{Item, ItemOptions, annotator, prettify};
use super::pyjson::{JsonStyle, write_value};
use super::{ExportContext, ExportType, Exporter, TaskSource};
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::Path;

/// The JSON_MIN record of one item. Keys that collide overwrite in place, as the
/// converter's dict assignments do: a control named like a data key replaces its value.
pub fn record(item: Item) -> Map<String, Value> {
    let who = annotator(&item, true);
    let mut rec = match item.input {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if !item.id.is_null() {
        rec.insert("id".into(), item.id);
    }
    for (name, regions) in item.output {
        rec.insert(name, prettify(regions));
    }
    rec.insert("annotator".into(), who);
    rec.insert("annotation_id".into(), item.annotation_id);
    rec.insert("created_at".into(), item.created_at);
    rec.insert("updated_at".into(), item.updated_at);
    rec.insert("lead_time".into(), item.lead_time);
    if let Some(a) = item.agreement {
        rec.insert("agreement".into(), a);
    }
    rec
}

pub struct JsonMinExporter;

impl Exporter for JsonMinExporter {
    fn export_type(&self) -> ExportType {
        ExportType::JsonMin
    }

    fn write(&self, ctx: &ExportContext, tasks: &mut dyn TaskSource, out_dir: &Path) -> Result<()> {
        let target = out_dir.join("result.json");
        let io_err = |e: std::io::Error| Error::io(&target, e);
        let file = std::fs::File::create(&target).map_err(io_err)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        w.write_all(b"[\n").map_err(io_err)?;
        let opts = ItemOptions {
            config: ctx.config,
            keypoints: false,
        };
        let style = JsonStyle::ujson(Some(2), false);
        // Every record is rendered with the separator in front; the first one loses it.
        let render = |group: super::ItemGroup| {
            let mut buf = String::new();
            for item in group.items {
                buf.push_str(",\n");
                write_value(&mut buf, &Value::Object(record(item)), &style, 0);
            }
            Ok(buf.into_bytes())
        };
        let mut first = true;
        tasks.for_each_rendered(&opts, &render, &mut |bytes| {
            let bytes = match (first, bytes.as_slice()) {
                (_, []) => return Ok(()),
                (true, [_, _, rest @ ..]) => rest,
                (_, all) => all,
            };
            first = false;
            w.write_all(bytes).map_err(io_err)
        })?;
        w.write_all(b"\n]").map_err(io_err)?;
        w.flush().map_err(io_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LabelConfig;
    use serde_json::json;

    /// The converter raises `KeyError` on a task without `id`; here the record has no `id`.
    #[test]
    fn tasks_without_id_are_exported() {
        let config = LabelConfig::parse(
            r#"<View><Text name="text" value="$text"/><TextArea name="text2" toName="text"/>
               <Choices name="text3" toName="text"><Choice value="A"/></Choices></View>"#,
        )
        .unwrap();
        let opts = ItemOptions {
            config: &config,
            keypoints: false,
        };
        let task = json!({"data": {"text": "t", "text3": "data value"}, "annotations": [{"completed_by": {"email": "a@b"}, "result": [
            {"from_name": "text2", "to_name": "text", "type": "textarea", "value": {"text": ["one", "two"]}},
            {"from_name": "text3", "to_name": "text", "type": "choices", "value": {"choices": ["A"]}}]}]});
        let items = crate::export::model::items_of_task(&task, &opts);
        let rec = Value::Object(record(items.into_iter().next().unwrap()));
        assert_eq!(
            rec,
            json!({"text": "t", "text3": "A", "text2": {"text": ["one", "two"]}, "annotator": "a@b",
                   "annotation_id": null, "created_at": null, "updated_at": null, "lead_time": null})
        );
        assert!(rec.as_object().unwrap().keys().next() == Some(&"text".to_string()));
    }
}
