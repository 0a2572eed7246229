//! `JSON_MIN`: one flat record per item (task data, task id, one key per control with the
//! prettified value, then who annotated and when), written the way the converter's
//! `ujson.dump(record, indent=2, ensure_ascii=False)` writes it: `[\n`, records separated by
//! `,\n`, `\n]`, no final newline.
//!
//! The tasks of an export file are written straight from their JSON text when they are
//! plain (see [`raw_records`]): most of the time goes into building values and maps that
//! are written once and dropped. Anything unusual takes the way through the item model.

use super::model::{
    Item, ItemOptions, annotator, annotator_of, compare_created, matching_tag, prettify,
};
use super::pyjson::{JsonStyle, escape_str, write_raw, write_value};
use super::{ExportContext, ExportType, Exporter, TaskSource};
use crate::error::{Error, Result};
use crate::util::BorrowedKey;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::io::Write;
use std::marker::PhantomData;
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

/// A field that may be present with any value, `null` included, as its JSON text.
#[derive(Default, Clone, Copy)]
struct Field<'a>(Option<&'a RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        <&'a RawValue>::deserialize(d).map(|r| Field(Some(r)))
    }
}

impl<'a> Field<'a> {
    fn text(self) -> Option<&'a str> {
        self.0.map(RawValue::get)
    }

    /// The parsed value (for the small fields that are compared, not written).
    fn value(self) -> Option<Value> {
        self.text()
            .map(|t| serde_json::from_str(t).unwrap_or(Value::Null))
    }

    /// The string, when the field is one.
    fn str(self) -> Option<Cow<'a, str>> {
        let t = self.text()?;
        if !t.starts_with('"') {
            return None;
        }
        if !t.contains('\\') {
            return Some(Cow::Borrowed(&t[1..t.len() - 1]));
        }
        serde_json::from_str::<String>(t).ok().map(Cow::Owned)
    }

    /// Python's truth of the value; missing is false.
    fn truthy(self) -> bool {
        match self.text() {
            None | Some("null") | Some("false") => false,
            Some("true") => true,
            Some(_) => crate::util::truthy(self.value().as_ref()),
        }
    }

    /// Writes the value, `null` when missing; `None` as [`write_raw`].
    fn write(self, out: &mut String, style: &JsonStyle, level: usize) -> Option<()> {
        write_raw(out, self.text().unwrap_or("null"), style, level)
    }
}

/// A `T` read only from a JSON object: serde's derived structs also read lists, by position,
/// which the item model does not.
struct Obj<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(V(PhantomData)).map(Obj)
    }
}

/// An object's entries in order, values as JSON text. A repeated key fails the read: the
/// parsed map would keep the last value in the first one's place.
type Entries<'a> = Vec<(BorrowedKey<'a>, &'a RawValue)>;

struct EntriesVisitor;

impl<'de> Visitor<'de> for EntriesVisitor {
    type Value = Option<Entries<'de>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any value")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut entries: Entries<'de> = Vec::new();
        while let Some(k) = map.next_key::<BorrowedKey>()? {
            if entries.iter().any(|(e, _)| e.as_str() == k.as_str()) {
                return Err(serde::de::Error::custom("repeated key"));
            }
            entries.push((k, map.next_value()?));
        }
        Ok(Some(entries))
    }

    // Anything else is a value without entries.
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
}

/// The entries of the JSON text `t` when it is an object; `Some(None)` when it is not.
fn entries_of(t: &str) -> Option<Option<Entries<'_>>> {
    if !t.starts_with('{') {
        return Some(None);
    }
    let mut de = serde_json::Deserializer::from_str(t);
    de.deserialize_map(EntriesVisitor).ok()
}

/// Task data: its entries when it is an object.
#[derive(Default)]
struct Data<'a>(Option<Entries<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Data<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(EntriesVisitor).map(Data)
    }
}

/// An annotation list when present (`null` is an empty one).
#[derive(Default)]
struct List<'a>(Option<Vec<Obj<RawAnnotation<'a>>>>);

impl<'de: 'a, 'a> Deserialize<'de> for List<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Option::<Vec<Obj<RawAnnotation<'a>>>>::deserialize(d)
            .map(|l| List(Some(l.unwrap_or_default())))
    }
}

/// The fields of a task JSON_MIN writes, as text (see `model::TaskParts`).
#[derive(Deserialize)]
struct RawTask<'a> {
    #[serde(borrow, default)]
    id: Field<'a>,
    #[serde(borrow, default)]
    data: Data<'a>,
    #[serde(borrow, default)]
    annotations: List<'a>,
    #[serde(borrow, default)]
    completions: List<'a>,
    #[serde(borrow, default)]
    agreement: Field<'a>,
}

#[derive(Deserialize)]
struct RawAnnotation<'a> {
    #[serde(borrow, default)]
    id: Field<'a>,
    #[serde(borrow, default)]
    completed_by: Field<'a>,
    #[serde(borrow, default)]
    created_at: Field<'a>,
    #[serde(borrow, default)]
    updated_at: Field<'a>,
    #[serde(borrow, default)]
    lead_time: Field<'a>,
    #[serde(borrow, default)]
    was_cancelled: Field<'a>,
    #[serde(borrow, default)]
    skipped: Field<'a>,
    #[serde(borrow, default)]
    result: Option<Vec<Obj<RawResult<'a>>>>,
}

#[derive(Deserialize)]
struct RawResult<'a> {
    #[serde(borrow, default)]
    from_name: Field<'a>,
    #[serde(borrow, default, rename = "type")]
    ty: Field<'a>,
    #[serde(borrow, default)]
    value: Field<'a>,
    #[serde(borrow, default)]
    original_width: Field<'a>,
    #[serde(borrow, default)]
    original_height: Field<'a>,
}

/// One region of a control's output: its `value` with `type` and the image size set.
struct Region<'a, 't> {
    tag: Cow<'t, str>,
    sized: bool,
    result: &'t RawResult<'a>,
}

/// A region value's entry: JSON text, or the region's `type` (a string to write).
#[derive(Clone, Copy)]
enum Val<'t> {
    Raw(&'t str),
    Tag(&'t str),
}

fn newline(out: &mut String, level: usize) {
    out.push('\n');
    super::pyjson::push_spaces(out, 2 * level);
}

/// Starts the next entry of an object at `level`.
fn open_entry(out: &mut String, first: &mut bool, key: &str, style: &JsonStyle, level: usize) {
    if !*first {
        out.push(',');
    }
    *first = false;
    newline(out, level);
    escape_str(out, key, style);
    out.push_str(": ");
}

/// Writes one region as `prettify` turns it (see `model::prettify`), at `level`.
fn write_region(out: &mut String, r: &Region, style: &JsonStyle, level: usize) -> Option<()> {
    let value = entries_of(r.result.value.text().unwrap_or("null"))?.unwrap_or_default();
    // The region value: `type` and the image size replace entries in place or come last.
    let mut v: Vec<(&str, Val)> = value
        .iter()
        .map(|(k, x)| (k.as_str(), Val::Raw(x.get())))
        .collect();
    fn put<'t>(v: &mut Vec<(&'t str, Val<'t>)>, k: &'t str, x: Val<'t>) {
        match v.iter_mut().find(|e| e.0 == k) {
            Some(e) => e.1 = x,
            None => v.push((k, x)),
        }
    }
    put(&mut v, "type", Val::Tag(&r.tag));
    if r.sized {
        for (k, f) in [
            ("original_width", r.result.original_width),
            ("original_height", r.result.original_height),
        ] {
            if let Some(t) = f.text() {
                put(&mut v, k, Val::Raw(t));
            }
        }
    }
    let get = |k: &str| v.iter().find(|e| e.0 == k).map(|e| e.1);
    let single_key = match r.tag.as_ref() {
        "Choices" => Some("choices"),
        "TextArea" => Some("text"),
        _ => None,
    };
    let single = match single_key.and_then(&get) {
        Some(Val::Raw(t)) if t.starts_with('[') => {
            let list: Vec<&RawValue> = serde_json::from_str(t).ok()?;
            (list.len() == 1).then(|| list[0].get())
        }
        _ => None,
    };
    let chat = matches!(r.tag.as_ref(), "Chat" | "chatmessage");
    let write_val = |out: &mut String, x: Val, level: usize| match x {
        Val::Raw(t) => write_raw(out, t, style, level),
        Val::Tag(t) => {
            escape_str(out, t, style);
            Some(())
        }
    };
    if let Some(t) = single {
        return write_raw(out, t, style, level);
    }
    if chat && let Some(m) = get("chatmessage") {
        return write_val(out, m, level);
    }
    let mut first = true;
    for &(k, x) in v.iter().filter(|e| e.0 != "type") {
        if first {
            out.push('{');
        }
        open_entry(out, &mut first, k, style, level + 1);
        write_val(out, x, level + 1)?;
    }
    if first {
        out.push_str("{}");
    } else {
        newline(out, level);
        out.push('}');
    }
    Some(())
}

/// JSON_MIN's records of one task of an export file, each after `,\n`, written from the
/// task's JSON text as [`record`] writes the items the item model makes of it. `None` when
/// the task is not plain (not an object, a repeated key, an annotation or result that is
/// not an object, a data key named like another record key...): the item model decides
/// then.
pub fn raw_records(bytes: &[u8], opts: &ItemOptions) -> Option<String> {
    // Only objects: serde would also fill a struct from a list, by position.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    // Checked as UTF-8 once, the text's strings and values are not checked again one by one.
    let text = std::str::from_utf8(bytes).ok()?;
    let task: RawTask = serde_json::from_str(text).ok()?;
    let style = JsonStyle::ujson(Some(2), false);
    let annotations = match task.annotations.0 {
        Some(a) => a,
        None => match task.completions.0 {
            Some(c) => c,
            None => return Some(String::new()),
        },
    };
    let mut out = String::with_capacity(bytes.len() / 2);
    // The data entries, the same in every record of the task: written once.
    let mut data = String::new();
    let mut data_keys: Vec<&str> = Vec::new();
    if let Some(entries) = &task.data.0 {
        let mut first = true;
        for (k, v) in entries {
            open_entry(&mut data, &mut first, k.as_str(), &style, 1);
            write_raw(&mut data, v.get(), &style, 1)?;
            data_keys.push(k.as_str());
        }
    }
    let id = task.id.text().filter(|t| *t != "null");
    let agreement = task.agreement.text();
    let record_start = |out: &mut String| {
        out.push_str(",\n{");
        out.push_str(&data);
    };
    // Keys after the data's must not be data keys (or repeat): the map would overwrite.
    let taken = |keys: &[&str]| {
        keys.iter()
            .enumerate()
            .any(|(i, k)| data_keys.contains(k) || keys[..i].contains(k))
    };
    use super::csv::FIXED;
    let fixed_keys = |keys: &mut Vec<&str>| {
        keys.extend(FIXED);
        if agreement.is_some() {
            keys.push("agreement");
        }
    };
    let write_tail =
        |out: &mut String, first: &mut bool, a: Option<&RawAnnotation>| -> Option<()> {
            open_entry(out, first, "annotator", &style, 1);
            match a.and_then(|a| a.completed_by.text()) {
                None => out.push_str("null"),
                Some(t) => match entries_of(t)? {
                    Some(m) => match m.iter().find(|(k, _)| k.as_str() == "email") {
                        Some((_, e)) => write_raw(out, e.get(), &style, 1)?,
                        None => out.push_str("null"),
                    },
                    None => {
                        let by: Value = serde_json::from_str(t).ok()?;
                        write_value(out, &annotator_of(&by, true), &style, 1);
                    }
                },
            }
            let fields = a.map(|a| [a.id, a.created_at, a.updated_at, a.lead_time]);
            for (i, key) in FIXED[1..].iter().enumerate() {
                open_entry(out, first, key, &style, 1);
                fields.map_or(Field(None), |f| f[i]).write(out, &style, 1)?;
            }
            if let Some(t) = agreement {
                open_entry(out, first, "agreement", &style, 1);
                write_raw(out, t, &style, 1)?;
            }
            newline(out, 0);
            out.push('}');
            Some(())
        };
    if annotations.is_empty() {
        let mut keys: Vec<&str> = id.iter().map(|_| "id").collect();
        fixed_keys(&mut keys);
        if taken(&keys) {
            return None;
        }
        record_start(&mut out);
        let mut first = data.is_empty();
        if let Some(t) = id {
            open_entry(&mut out, &mut first, "id", &style, 1);
            write_raw(&mut out, t, &style, 1)?;
        }
        write_tail(&mut out, &mut first, None)?;
        return Some(out);
    }
    let mut kept: Vec<&RawAnnotation> = annotations
        .iter()
        .map(|a| &a.0)
        .filter(|a| !(a.skipped.truthy() || a.was_cancelled.truthy()))
        .collect();
    if kept.len() > 1 {
        let zero = Value::from(0);
        let mut keyed: Vec<(Value, &RawAnnotation)> = kept
            .iter()
            .map(|a| (a.created_at.value().unwrap_or_else(|| zero.clone()), *a))
            .collect();
        keyed.sort_by(|a, b| compare_created(&b.0, &a.0));
        kept = keyed.into_iter().map(|(_, a)| a).collect();
    }
    let no_controls = opts.config.controls.is_empty();
    for a in kept {
        // The output: results grouped by `from_name`, in first-appearance order.
        let mut output: Vec<(Cow<str>, Vec<Region>)> = Vec::new();
        for Obj(r) in a.result.iter().flatten() {
            let Some(from_name) = r.from_name.str().filter(|s| !s.is_empty()) else {
                continue;
            };
            let ty = r.ty.str();
            let (tag, sized): (Cow<str>, bool) =
                if let Some(tag) = matching_tag(opts.config, &from_name) {
                    (Cow::Borrowed(tag), true)
                } else if ty.as_deref() == Some("chatmessage") {
                    (Cow::Borrowed("chatmessage"), false)
                } else if no_controls {
                    match ty.filter(|t| !t.is_empty()) {
                        Some(t) => (t, true),
                        None => (Cow::Borrowed("unknown"), true),
                    }
                } else {
                    continue;
                };
            let region = Region {
                tag,
                sized,
                result: r,
            };
            match output.iter_mut().find(|(n, _)| *n == from_name) {
                Some((_, regions)) => regions.push(region),
                None => output.push((from_name, vec![region])),
            }
        }
        let mut keys: Vec<&str> = id.iter().map(|_| "id").collect();
        keys.extend(output.iter().map(|(n, _)| n.as_ref()));
        fixed_keys(&mut keys);
        if taken(&keys) {
            return None;
        }
        record_start(&mut out);
        let mut first = data.is_empty();
        if let Some(t) = id {
            open_entry(&mut out, &mut first, "id", &style, 1);
            write_raw(&mut out, t, &style, 1)?;
        }
        for (name, regions) in &output {
            open_entry(&mut out, &mut first, name, &style, 1);
            let last_single = regions
                .last()
                .is_some_and(|r| matches!(r.tag.as_ref(), "Choices" | "TextArea"));
            if last_single && regions.len() == 1 {
                write_region(&mut out, &regions[0], &style, 1)?;
                continue;
            }
            out.push('[');
            for (i, r) in regions.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(&mut out, 2);
                write_region(&mut out, r, &style, 2)?;
            }
            newline(&mut out, 1);
            out.push(']');
        }
        write_tail(&mut out, &mut first, Some(a))?;
    }
    Some(out)
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
        let raw = |bytes: &[u8]| raw_records(bytes, &opts).map(String::into_bytes);
        let mut first = true;
        tasks.for_each_rendered_raw(&opts, &raw, &render, &mut |bytes| {
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

    /// Written from the text or through the items, a task gives the same bytes; what the
    /// text's way refuses is left to the items.
    #[test]
    fn raw_records_match_the_records_of_the_items() {
        let config = LabelConfig::parse(
            r#"<View><Text name="text" value="$text"/><TextArea name="note" toName="text"/>
               <Choices name="sentiment" toName="text" choice="multiple"><Choice value="A"/><Choice value="B"/></Choices>
               <Labels name="aspect" toName="text"><Label value="P"/></Labels></View>"#,
        )
        .unwrap();
        let bare = LabelConfig::parse(r#"<View><Text name="text" value="$text"/></View>"#).unwrap();
        let style = JsonStyle::ujson(Some(2), false);
        let through_items = |case: &str, opts: &ItemOptions| {
            let mut buf = String::new();
            if let Some(t) = crate::export::model::TaskParts::parse(case.as_bytes()).unwrap() {
                for item in crate::export::model::items_of_parts(t, opts) {
                    buf.push_str(",\n");
                    write_value(&mut buf, &Value::Object(record(item)), &style, 0);
                }
            }
            buf
        };
        let plain = [
            r#"{"id": 1, "data": {"text": "a/b \"q\" é \u00e9 \n", "n": 5, "f": 1.50, "e": 1e-7, "z": -0, "big": 123456789012345678901, "neg": -3,
                "l": [1, [], {}, {"k": [true, null]}], "o": {"x": "y"}},
              "annotations": [{"id": 7, "completed_by": {"id": 1, "email": "a@b/c"}, "lead_time": 11.2, "created_at": "2026-01-02T03:04:05Z",
                "was_cancelled": false, "result": [
                  {"id": "r", "from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["A"]}},
                  {"from_name": "aspect", "to_name": "text", "type": "labels", "value": {"start": 0, "end": 3, "labels": ["P"]}, "original_width": 10},
                  {"from_name": "aspect", "type": "labels", "value": {"type": "x", "original_height": 1, "labels": []}, "original_height": 2},
                  {"from_name": "note", "type": "textarea", "value": {"text": ["one"]}},
                  {"from_name": "gone", "type": "choices", "value": {"choices": ["A"]}},
                  {"from_name": "", "value": {}}, {"from_name": 3, "value": {}}]}],
              "predictions": [{"result": [{"from_name": "sentiment", "value": {"choices": ["B"]}}]}]}"#,
            r#"{"id": "t", "data": {"text": "x"}, "agreement": null, "annotations": [
                {"id": 1, "created_at": "2024-01-01", "completed_by": 3, "result": [{"from_name": "sentiment", "value": {"choices": ["A", "B"]}}]},
                {"id": 2, "created_at": "2024-03-01", "completed_by": null, "result": null},
                {"id": 3, "created_at": "2024-02-01", "completed_by": "who", "skipped": 1},
                {"id": 4, "was_cancelled": true},
                {"id": 5, "completed_by": {"name": "n"}, "result": [
                  {"from_name": "note", "value": {"text": ["a", "b"]}}, {"from_name": "note", "value": {"text": ["c"]}},
                  {"from_name": "sentiment", "value": 5}, {"from_name": "sentiment", "value": {"choices": "A"}},
                  {"from_name": "other", "type": "chatmessage", "value": {"chatmessage": {"role": "user"}}}]}]}"#,
            r#"{"id": null, "data": "text", "annotations": [], "agreement": 50.5}"#,
            r#"{"data": {"text": "x"}, "annotations": null}"#,
            r#"{"id": 2, "data": {"text": "x"}, "completions": [{"id": 1, "lead_time": 1e20, "result": []}]}"#,
            r#"{"id": 3, "data": {"text": "x"}}"#,
            r#"{"id": 4, "data": {"text": "x"}, "annotations": [{"was_cancelled": 1}]}"#,
            r#"{"id": 5, "annotations": [{"completed_by": 2.5, "created_at": 3}, {"completed_by": [1, "a"], "created_at": 4}]}"#,
            r#"{"id": 6, "data": {"a\"b": 1, "\u00e9": 2}, "annotations": [{"result": [{"from_name": "sentiment", "value": {"choices": ["A"]}, "original_width": null}]}]}"#,
        ];
        let refused = [
            r#"{"id": 1, "data": {"sentiment": "x"}, "annotations": [{"result": [{"from_name": "sentiment", "value": {"choices": ["A"]}}]}]}"#,
            r#"{"id": 1, "data": {"id": 1}, "annotations": []}"#,
            r#"{"id": 1, "data": {"annotator": 1}, "annotations": []}"#,
            r#"{"id": 1, "data": {"a": 1, "a": 2}, "annotations": []}"#,
            r#"{"id": 1, "data": {"a": {"b": 1, "b": 2}}, "annotations": []}"#,
            r#"{"id": 1, "id": 2, "annotations": []}"#,
            r#"{"id": 1, "annotations": [5, {"result": []}]}"#,
            r#"{"id": 1, "annotations": [{"result": [[1, 2]]}]}"#,
            r#"{"id": 1, "annotations": "none"}"#,
            r#"[1, 2]"#,
        ];
        for (cfg, cases, accepted) in [
            (&config, &plain[..], true),
            (&config, &refused[..], false),
            (&bare, &plain[..], true),
        ] {
            let opts = ItemOptions {
                config: cfg,
                keypoints: false,
            };
            for case in cases {
                let raw = raw_records(case.as_bytes(), &opts);
                assert_eq!(raw.is_some(), accepted, "{case}");
                if let Some(raw) = raw {
                    assert_eq!(raw, through_items(case, &opts), "{case}");
                }
            }
        }
    }
}
