//! `CONLL2003`: `result.conll`, a `-DOCSTART- -X- O` line, then for every item one line
//! `<token> -X- _ <tag>` per token of the task's text and an empty line. Tokens come from
//! the converter's Treebank tokenizer ([`super::treebank`]); tags are BIO tags from the
//! spans of the first `Labels` control, assigned the converter's way (see [`tags`]).

use super::model::ItemOptions;
use super::pyjson::py_str;
use super::treebank::{Token, span_tokenize};
use super::{ExportContext, ExportType, Exporter, TaskSource, converter_data_keys, task_error};
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::Path;

struct Span {
    start: f64,
    end: f64,
    label: Option<String>,
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// The first label of a span, when it has any (`labels[0]`).
fn first_label(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Array(a) => a.first().map(py_str),
        Value::String(s) => s.chars().next().map(String::from),
        _ => None,
    }
}

/// BIO tags for `tokens` from the spans of one Labels control, as the converter assigns
/// them: spans sorted by start (stable); the current span advances only when a token starts
/// after its end, skipping spans that end before that token; a token touching the current
/// span gets its first label (`B-` first, then `I-`). So of overlapping spans the first
/// wins, and a span nested in an earlier one is lost. A span without `start`/`end` makes
/// every tag `O`. Errors name the span whose offsets are not numbers.
pub fn tags(
    tokens: &[Token],
    regions: Option<&[Map<String, Value>]>,
) -> Result<Vec<String>, String> {
    let all_o = || vec!["O".to_string(); tokens.len()];
    let Some(regions) = regions.filter(|r| !r.is_empty()) else {
        return Ok(all_o());
    };
    let present = |r: &Map<String, Value>, k: &str| r.get(k).is_some_and(|v| !v.is_null());
    if !regions
        .iter()
        .all(|r| present(r, "start") && present(r, "end"))
    {
        return Ok(all_o());
    }
    let mut spans = Vec::with_capacity(regions.len());
    for (i, r) in regions.iter().enumerate() {
        let (Some(start), Some(end)) = (number(&r["start"]), number(&r["end"])) else {
            return Err(format!(
                "span {} has non-numeric start/end ({}, {})",
                i + 1,
                r["start"],
                r["end"]
            ));
        };
        let label = first_label(r.get("labels"))
            .filter(|_| !matches!(r.get("labels"), Some(Value::Array(a)) if a.is_empty()));
        spans.push(Span { start, end, label });
    }
    spans.sort_by(|a, b| {
        a.start
            .partial_cmp(&b.start)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut next = 1;
    let mut cur = 0;
    let mut span_start = spans[0].start;
    let mut span_end = spans[0].end - 1.0;
    let mut prefix = "B-";
    let mut out = Vec::with_capacity(tokens.len());
    for t in tokens {
        let token_start = t.start as f64;
        let token_end = token_start + t.text.chars().count() as f64 - 1.0;
        if token_start > span_end {
            while next < spans.len() {
                cur = next;
                next += 1;
                span_start = spans[cur].start;
                span_end = spans[cur].end - 1.0;
                prefix = "B-";
                if token_start <= span_end {
                    break;
                }
            }
        }
        let span = &spans[cur];
        match &span.label {
            Some(label) if token_end >= span_start && span_end >= token_start => {
                out.push(format!("{prefix}{label}"));
                prefix = "I-";
            }
            _ => out.push("O".to_string()),
        }
    }
    Ok(out)
}

pub struct ConllExporter;

impl Exporter for ConllExporter {
    fn export_type(&self) -> ExportType {
        ExportType::Conll2003
    }

    fn write(&self, ctx: &ExportContext, tasks: &mut dyn TaskSource, out_dir: &Path) -> Result<()> {
        let keys = converter_data_keys(ctx.config);
        let Some(key) = keys.first() else {
            return Err(Error::Usage(
                "CONLL2003 needs a label config whose controls point at a Text object".into(),
            ));
        };
        let field = format!("data.{key}");
        let target = out_dir.join("result.conll");
        let io_err = |e: std::io::Error| Error::io(&target, e);
        let file = std::fs::File::create(&target).map_err(io_err)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        w.write_all(b"-DOCSTART- -X- O\n").map_err(io_err)?;
        let opts = ItemOptions {
            config: ctx.config,
            keypoints: false,
        };
        let render = |group: super::ItemGroup| {
            let mut buf = String::new();
            let items = group.items;
            let Some(first) = items.first() else {
                return Ok(Vec::new());
            };
            // For messages: the task, by its id.
            let task = || serde_json::json!({ "id": first.id });
            let text = match first.input.get(key.as_str()) {
                Some(Value::String(s)) => s.as_str(),
                Some(other) => {
                    return Err(task_error(
                        &task(),
                        &field,
                        format!("CONLL2003 needs text, found {other}"),
                    ));
                }
                None => {
                    return Err(task_error(
                        &task(),
                        &field,
                        "missing: CONLL2003 needs the text",
                    ));
                }
            };
            let tokens = span_tokenize(text);
            for item in &items {
                let spans = item
                    .output
                    .values()
                    .find(|regions| {
                        regions
                            .first()
                            .and_then(|r| r.get("type"))
                            .and_then(Value::as_str)
                            .is_some_and(|ty| ty.eq_ignore_ascii_case("labels"))
                    })
                    .map(Vec::as_slice);
                let tags = tags(&tokens, spans).map_err(|m| {
                    let ann = match &item.annotation_id {
                        Value::Null => String::new(),
                        id => format!(" (annotation {id})"),
                    };
                    task_error(&task(), "annotations.result.value", format!("{m}{ann}"))
                })?;
                for (token, tag) in tokens.iter().zip(&tags) {
                    buf.push_str(&token.text);
                    buf.push_str(" -X- _ ");
                    buf.push_str(tag);
                    buf.push('\n');
                }
                buf.push('\n');
            }
            Ok(buf.into_bytes())
        };
        tasks.for_each_rendered(&opts, &render, &mut |bytes| {
            w.write_all(&bytes).map_err(io_err)
        })?;
        w.flush().map_err(io_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spans(v: Value) -> Vec<Map<String, Value>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_object().unwrap().clone())
            .collect()
    }

    #[test]
    fn nested_and_adjacent_spans_tag_like_the_converter() {
        let text = "New York City to Zürich";
        let tokens = span_tokenize(text);
        let s = spans(json!([
            {"start": 9, "end": 13, "labels": ["LOC"]},
            {"start": 0, "end": 8, "labels": ["LOC"]},
            {"start": 17, "end": 23, "labels": []}
        ]));
        assert_eq!(
            tags(&tokens, Some(&s)).unwrap(),
            ["B-LOC", "I-LOC", "B-LOC", "O", "O"]
        );
        let nested = spans(json!([
            {"start": 0, "end": 13, "labels": ["ORG"]},
            {"start": 4, "end": 8, "labels": ["PER"]}
        ]));
        assert_eq!(
            tags(&tokens, Some(&nested)).unwrap(),
            ["B-ORG", "I-ORG", "I-ORG", "O", "O"]
        );
        let missing = spans(json!([{"start": 0, "labels": ["X"]}]));
        assert_eq!(tags(&tokens, Some(&missing)).unwrap(), vec!["O"; 5]);
        let bad = spans(json!([{"start": "0", "end": 3, "labels": ["X"]}]));
        assert!(tags(&tokens, Some(&bad)).unwrap_err().contains("span 1"));
    }
}
