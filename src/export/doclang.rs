//! `DOCLANG`: one `.dclx` archive (a zip in OPC layout) per DocLang document found in a task.
//!
//! Sources, per task and in order (the converter's rules): each annotation that is not
//! cancelled (`task-<id>-annotation-<annotation id>.dclx`), each draft not linked to an
//! annotation already exported (`-draft-<id>`), each prediction (`-prediction-<id>`); only
//! when none of those holds a document, the distinct documents under `doclang`/`document`
//! keys of the task data (`task-<id>-data.dclx`, or `-data-<n>` for several). A DocLang
//! document is a string that is well-formed XML without a DTD whose root element is
//! `doclang`, in no namespace or in `https://www.doclang.ai/ns/v<digits>`; it is looked for
//! in TextArea text, ReactCode code, or any string of a custom result's value.
//!
//! Archive members, in path order: `[Content_Types].xml`, `_rels/.rels`, `document.xml`
//! (the document's bytes as found), `pages/<n>.<ext>` (the task's page images: the config's
//! Image `value`, or the list of its `valueList`).

use super::pyjson::py_str;
use super::resources::url_basename;
use super::{ExportContext, ExportType, Exporter, TaskSource, warn};
use crate::error::{Error, Result};
use crate::media::{Media, Origin, Resolver};
use crate::util::truthy;
use serde_json::{Map, Value};
use std::io::Write;
use std::path::Path;

const CONTENT_TYPES_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
  <Default Extension="png" ContentType="image/png"/>
  <Default Extension="jpg" ContentType="image/jpeg"/>
  <Default Extension="jpeg" ContentType="image/jpeg"/>
  <Default Extension="webp" ContentType="image/webp"/>
  <Default Extension="mp3" ContentType="audio/mpeg"/>
  <Default Extension="m4a" ContentType="audio/mp4"/>
  <Default Extension="aac" ContentType="audio/aac"/>
  <Default Extension="ogg" ContentType="audio/ogg"/>
  <Default Extension="opus" ContentType="audio/ogg"/>
  <Default Extension="wav" ContentType="audio/wav"/>
  <Default Extension="flac" ContentType="audio/flac"/>
  <Default Extension="mp4" ContentType="video/mp4"/>
  <Default Extension="webm" ContentType="video/webm"/>
  <Default Extension="mkv" ContentType="video/x-matroska"/>
  <Default Extension="mov" ContentType="video/quicktime"/>
  <Override PartName="/document.xml" ContentType="application/vnd.doclang.document+xml"/>
</Types>
"#;

const RELS_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Id="rId1"
    Type="http://doclang.ai/ns/package/2026/relationships/document"
    Target="document.xml"/>
</Relationships>
"#;

/// Result types whose values are never documents.
const NON_DOCUMENT_TYPES: &[&str] = &[
    "bitmask",
    "bitmasklabels",
    "brush",
    "brushlabels",
    "chatmessage",
    "choices",
    "datetime",
    "ellipse",
    "ellipselabels",
    "hypertextlabels",
    "keypoint",
    "keypointlabels",
    "labels",
    "magicwand",
    "number",
    "ocrlabels",
    "pairwise",
    "paragraphlabels",
    "polygon",
    "polygonlabels",
    "ranker",
    "rating",
    "rectangle",
    "rectanglelabels",
    "relation",
    "taxonomy",
    "timelinelabels",
    "timeserieslabels",
    "vector",
    "vectorlabels",
    "videorectangle",
    "videovector",
    "videovectorlabels",
];

const MAX_DEPTH: usize = 32;
const MAX_NODES: usize = 10_000;
const IMAGE_EXTS: &[&str] = &[".png", ".jpg", ".jpeg", ".webp"];

/// Whether `text` is a DocLang document.
pub fn is_doclang(text: &str) -> bool {
    let Ok(doc) = crate::config::xml::parse(text) else {
        return false;
    };
    let root = &doc.root;
    let (prefix, local) = match root.tag.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, root.tag.as_str()),
    };
    if local != "doclang" {
        return false;
    }
    let ns_attr = prefix.map_or("xmlns".to_string(), |p| format!("xmlns:{p}"));
    match root.attr(&ns_attr) {
        None if prefix.is_some() => false,
        None | Some("") => true,
        Some(ns) => ns
            .strip_prefix("https://www.doclang.ai/ns/v")
            .is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit())),
    }
}

/// Strings of a value, depth first, within the converter's limits.
fn strings<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    let mut stack: Vec<(&Value, usize)> = vec![(v, 0)];
    let mut visited = 0;
    while let Some((cur, depth)) = stack.pop() {
        if visited >= MAX_NODES {
            break;
        }
        visited += 1;
        match cur {
            Value::String(s) => out.push(s),
            Value::Object(m) if depth < MAX_DEPTH => {
                stack.extend(m.values().rev().map(|c| (c, depth + 1)));
            }
            Value::Array(a) if depth < MAX_DEPTH => {
                stack.extend(a.iter().rev().map(|c| (c, depth + 1)));
            }
            _ => {}
        }
    }
}

/// The first DocLang document in an annotation, draft or prediction.
fn document_of(source: &Map<String, Value>) -> Option<String> {
    let results = source.get("result").and_then(Value::as_array)?;
    for r in results {
        let Some(r) = r.as_object() else { continue };
        let ty = r.get("type").and_then(Value::as_str);
        let value = r.get("value");
        let payload = match ty {
            Some("textarea") => value
                .and_then(|v| v.as_object())
                .and_then(|v| v.get("text")),
            Some("reactcode") => value
                .and_then(|v| v.as_object())
                .and_then(|v| v.get("reactcode")),
            Some(t) if NON_DOCUMENT_TYPES.contains(&t) => None,
            _ => value,
        };
        let Some(payload) = payload else { continue };
        let mut found = Vec::new();
        strings(payload, &mut found);
        if let Some(doc) = found.into_iter().find(|s| is_doclang(s)) {
            return Some(doc.to_string());
        }
    }
    None
}

/// Distinct documents under `doclang`/`document` keys of the task data.
fn data_documents(data: &Value) -> Vec<String> {
    let mut docs: Vec<String> = Vec::new();
    if !data.is_object() {
        return docs;
    }
    let mut stack: Vec<(&Value, usize, bool)> = vec![(data, 0, false)];
    let mut visited = 0;
    while let Some((cur, depth, under)) = stack.pop() {
        if visited >= MAX_NODES {
            break;
        }
        visited += 1;
        match cur {
            Value::String(s) if under && is_doclang(s) && !docs.contains(s) => docs.push(s.clone()),
            Value::Object(m) if depth < MAX_DEPTH => stack.extend(
                m.iter()
                    .rev()
                    .map(|(k, c)| (c, depth + 1, under || k == "doclang" || k == "document")),
            ),
            Value::Array(a) if depth < MAX_DEPTH => {
                stack.extend(a.iter().rev().map(|c| (c, depth + 1, under)))
            }
            _ => {}
        }
    }
    docs
}

/// `list or []` for a task field.
fn list<'t>(task: &'t Value, key: &str) -> &'t [Value] {
    match task.get(key) {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

/// (archive file name, document) for every document of a task, in the converter's order.
pub fn sources(task: &Value) -> Vec<(String, String)> {
    let id = py_str(task.get("id").unwrap_or(&Value::Null));
    let mut out = Vec::new();
    let mut exported: Vec<&Value> = Vec::new();
    let annotations = if truthy(task.get("annotations")) {
        list(task, "annotations")
    } else {
        list(task, "completions")
    };
    let valid = annotations
        .iter()
        .filter_map(Value::as_object)
        .filter(|a| !(truthy(a.get("was_cancelled")) || truthy(a.get("skipped"))));
    let source_id = |m: &Map<String, Value>, index: usize| match m.get("id") {
        Some(v) => py_str(v),
        None => index.to_string(),
    };
    for (index, ann) in valid.enumerate() {
        if let Some(doc) = document_of(ann) {
            if let Some(v) = ann.get("id") {
                exported.push(v);
            }
            out.push((
                format!("task-{id}-annotation-{}.dclx", source_id(ann, index)),
                doc,
            ));
        }
    }
    for (index, draft) in list(task, "drafts").iter().enumerate() {
        let Some(draft) = draft.as_object() else {
            continue;
        };
        if let Some(linked) = draft.get("annotation").filter(|v| !v.is_null())
            && exported.contains(&linked)
        {
            continue;
        }
        if let Some(doc) = document_of(draft) {
            out.push((
                format!("task-{id}-draft-{}.dclx", source_id(draft, index)),
                doc,
            ));
        }
    }
    for (index, p) in list(task, "predictions").iter().enumerate() {
        let Some(p) = p.as_object() else { continue };
        if let Some(doc) = document_of(p) {
            out.push((
                format!("task-{id}-prediction-{}.dclx", source_id(p, index)),
                doc,
            ));
        }
    }
    if !out.is_empty() {
        return out;
    }
    let docs = data_documents(task.get("data").unwrap_or(&Value::Null));
    if docs.len() == 1 {
        out.push((format!("task-{id}-data.dclx"), docs[0].clone()));
    } else {
        for (n, doc) in docs.into_iter().enumerate() {
            out.push((format!("task-{id}-data-{}.dclx", n + 1), doc));
        }
    }
    out
}

/// The Image data keys: (single, list), the last Image tag of the config deciding.
fn image_keys(ctx: &ExportContext) -> (String, Option<String>) {
    let mut single = None;
    let mut list = None;
    for o in ctx.config.objects.iter().filter(|o| o.tag == "Image") {
        if let Some(v) = &o.value_list {
            list = Some(v.trim_start_matches('$').to_string());
        } else if let Some(v) = &o.value {
            single = Some(v.trim_start_matches('$').to_string());
        }
    }
    (single.unwrap_or_else(|| "image".into()), list)
}

fn page_source(v: &Value) -> Option<&str> {
    let v = match v {
        Value::Object(m) => m.get("url")?,
        v => v,
    };
    v.as_str().filter(|s| !s.is_empty())
}

fn page_urls<'t>(task: &'t Value, single: &str, list: Option<&str>) -> Vec<&'t str> {
    let data = task.get("data");
    if let Some(key) = list
        && let Some(Value::Array(items)) = data.and_then(|d| d.get(key))
    {
        return items.iter().filter_map(page_source).collect();
    }
    data.and_then(|d| d.get(single))
        .and_then(page_source)
        .into_iter()
        .collect()
}

fn ext_of_mime(mime: &str) -> &'static str {
    match mime.to_ascii_lowercase().as_str() {
        "image/png" => ".png",
        "image/jpeg" | "image/pjpeg" => ".jpg",
        "image/webp" => ".webp",
        _ => ".png",
    }
}

fn ext_of_path(path: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let dot = name.rfind('.').filter(|&i| i > 0)?;
    let ext = name[dot..].to_ascii_lowercase();
    let ext = if ext == ".jpe" {
        ".jpg".to_string()
    } else {
        ext
    };
    IMAGE_EXTS.contains(&ext.as_str()).then_some(ext)
}

/// The page images of a task: (archive name, bytes).
fn pages(
    task: &Value,
    urls: &[&str],
    media: &Resolver,
    base_dir: Option<&Path>,
) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let id = py_str(task.get("id").unwrap_or(&Value::Null));
    let o = Origin {
        task: &id,
        base_dir,
    };
    for (i, url) in urls.iter().enumerate() {
        let n = i + 1;
        let got = media
            .resolve(&o, url)
            .map_err(|e| e.reason())
            .and_then(|m| {
                let ext = match &m {
                    Media::Data { base64: false, .. } => {
                        return Err("a data: URL that is not base64".into());
                    }
                    Media::Data { bytes, .. } if bytes.is_empty() => {
                        return Err("an empty data: URL".into());
                    }
                    Media::Data { mime, .. } => ext_of_mime(mime).to_string(),
                    Media::File(p) => ext_of_path(url)
                        .or_else(|| ext_of_path(&p.to_string_lossy()))
                        .unwrap_or_else(|| ".png".into()),
                    Media::Http(u) => {
                        if !media.fetches() {
                            return Err(
                                "http(s) page images are fetched only with --download-resources"
                                    .into(),
                            );
                        }
                        ext_of_path(&url_basename(u)).unwrap_or_else(|| ".png".into())
                    }
                };
                let bytes = media.read(&o, url, &m).map_err(|e| e.reason())?;
                Ok((ext, bytes))
            });
        match got {
            Ok((ext, bytes)) => out.push((format!("pages/{n}{ext}"), bytes)),
            Err(e) => warn(format!(
                "task {id}: page {n} ({:?}): {e}; page left out",
                url.get(..url.len().min(64)).unwrap_or("data: URL")
            )),
        }
    }
    out
}

/// Writes one archive: the members sorted by path components.
fn write_archive(path: &Path, document: &str, pages: &[(String, Vec<u8>)]) -> Result<()> {
    let mut members: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", CONTENT_TYPES_XML.as_bytes()),
        ("_rels/.rels", RELS_XML.as_bytes()),
        ("document.xml", document.as_bytes()),
    ];
    members.extend(pages.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
    members.sort_by(|a, b| a.0.split('/').cmp(b.0.split('/')));
    let io_err = |e: std::io::Error| Error::io(path, e);
    let file = std::fs::File::create(path).map_err(io_err)?;
    let mut z = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for (name, bytes) in members {
        z.start_file(name, options)
            .map_err(|e| Error::io(path, std::io::Error::other(e)))?;
        z.write_all(bytes).map_err(io_err)?;
    }
    z.finish()
        .map_err(|e| Error::io(path, std::io::Error::other(e)))?
        .flush()
        .map_err(io_err)?;
    Ok(())
}

pub struct DoclangExporter;

impl Exporter for DoclangExporter {
    fn export_type(&self) -> ExportType {
        ExportType::Doclang
    }

    fn write(&self, ctx: &ExportContext, tasks: &mut dyn TaskSource, out_dir: &Path) -> Result<()> {
        let (single, list) = image_keys(ctx);
        let media = ctx.options.resolver(ctx.options.download_resources);
        tasks.for_each_task(&mut |t| {
            let found = sources(&t.json);
            if found.is_empty() {
                return Ok(());
            }
            let urls = page_urls(&t.json, &single, list.as_deref());
            let pages = pages(&t.json, &urls, &media, t.base_dir.as_deref());
            for (name, doc) in found {
                write_archive(&out_dir.join(name), &doc, &pages)?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn doclang_documents_are_recognised() {
        assert!(is_doclang("<doclang><text>x</text></doclang>"));
        assert!(is_doclang(
            r#"<doclang xmlns="https://www.doclang.ai/ns/v0"/>"#
        ));
        assert!(is_doclang(
            r#"<d:doclang xmlns:d="https://www.doclang.ai/ns/v12"/>"#
        ));
        assert!(!is_doclang(
            r#"<doclang xmlns="https://www.doclang.ai/ns/v"/>"#
        ));
        assert!(!is_doclang(r#"<doclang xmlns="urn:other"/>"#));
        assert!(!is_doclang("<d:doclang/>"));
        assert!(!is_doclang("<doc/>"));
        assert!(!is_doclang("plain text"));
        assert!(!is_doclang("<doclang><a></doclang>"));
        assert!(!is_doclang("<!DOCTYPE doclang><doclang/>"));
    }

    #[test]
    fn sources_follow_the_converter_order() {
        let doc = |s: &str| json!([{"type": "textarea", "value": {"text": [format!("<doclang>{s}</doclang>")]}}]);
        let task = json!({
            "id": 9,
            "annotations": [
                {"id": 1, "result": doc("a")},
                {"id": 2, "was_cancelled": true, "result": doc("b")},
                {"id": 3, "result": [{"type": "choices", "value": {"choices": ["<doclang/>"]}}]}
            ],
            "drafts": [{"id": 5, "annotation": 1, "result": doc("c")}, {"id": 6, "result": doc("d")}],
            "predictions": [{"id": 7, "result": [{"type": "custom", "value": {"x": [1, {"y": "<doclang>e</doclang>"}]}}]}],
            "data": {"doclang": "<doclang>f</doclang>"}
        });
        let names: Vec<String> = sources(&task).into_iter().map(|s| s.0).collect();
        assert_eq!(
            names,
            [
                "task-9-annotation-1.dclx",
                "task-9-draft-6.dclx",
                "task-9-prediction-7.dclx"
            ]
        );
        let data_only = json!({"id": 4, "data": {"document": ["<doclang>a</doclang>", "<doclang>b</doclang>", "<doclang>a</doclang>"], "doclang_x": "<doclang/>"}});
        let found = sources(&data_only);
        assert_eq!(
            found.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
            ["task-4-data-1.dclx", "task-4-data-2.dclx"]
        );
    }
}
