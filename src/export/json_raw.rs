//! The JSON export of a project written straight from the store: task data, results and
//! meta are kept in SQLite as JSON text, and are re-indented here rather than parsed into
//! values and printed again. The bytes equal what [`super::json::task_json`] printed by
//! [`super::json::JsonListWriter`] gives (a test checks it); numbers and strings with escapes
//! are normalised the way serde_json prints them.

use crate::store::{AnnotationRow, PredictionRow, TaskFull};
use std::io::Write;

/// Pretty-prints JSON text at a nesting level, as serde_json's pretty printer does.
struct Pretty<'a> {
    src: &'a [u8],
    pos: usize,
}

fn indent(out: &mut Vec<u8>, level: usize) {
    out.push(b'\n');
    out.extend(std::iter::repeat_n(b' ', 2 * level));
}

impl Pretty<'_> {
    fn ws(&mut self) {
        while self
            .src
            .get(self.pos)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.src.get(self.pos).copied()
    }

    fn value(&mut self, level: usize, out: &mut Vec<u8>) -> Option<()> {
        match self.peek()? {
            b'{' => self.container(level, out, b'{', b'}', true),
            b'[' => self.container(level, out, b'[', b']', false),
            b'"' => self.string(out),
            b't' => self.literal(out, b"true"),
            b'f' => self.literal(out, b"false"),
            b'n' => self.literal(out, b"null"),
            _ => self.number(out),
        }
    }

    fn container(
        &mut self,
        level: usize,
        out: &mut Vec<u8>,
        open: u8,
        close: u8,
        object: bool,
    ) -> Option<()> {
        self.pos += 1;
        if self.peek()? == close {
            self.pos += 1;
            out.push(open);
            out.push(close);
            return Some(());
        }
        out.push(open);
        loop {
            indent(out, level + 1);
            if object {
                if self.peek()? != b'"' {
                    return None;
                }
                self.string(out)?;
                if self.peek()? != b':' {
                    return None;
                }
                self.pos += 1;
                out.extend_from_slice(b": ");
            }
            self.value(level + 1, out)?;
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    out.push(b',');
                }
                c if c == close => {
                    self.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
        indent(out, level);
        out.push(close);
        Some(())
    }

    fn string(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let start = self.pos;
        let mut i = start + 1;
        let mut escaped = false;
        loop {
            match *self.src.get(i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                _ => i += 1,
            }
        }
        let raw = &self.src[start..=i];
        self.pos = i + 1;
        if escaped {
            let s: String = serde_json::from_slice(raw).ok()?;
            serde_json::to_writer(&mut *out, &s).ok()?;
        } else {
            out.extend_from_slice(raw);
        }
        Some(())
    }

    fn literal(&mut self, out: &mut Vec<u8>, word: &[u8]) -> Option<()> {
        if self.src.get(self.pos..self.pos + word.len())? != word {
            return None;
        }
        self.pos += word.len();
        out.extend_from_slice(word);
        Some(())
    }

    fn number(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let start = self.pos;
        while self
            .src
            .get(self.pos)
            .is_some_and(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.pos += 1;
        }
        let tok = &self.src[start..self.pos];
        if tok.is_empty() {
            return None;
        }
        let plain = tok.len() <= 18
            && tok.iter().all(u8::is_ascii_digit)
            && (tok[0] != b'0' || tok.len() == 1);
        if plain {
            out.extend_from_slice(tok);
        } else {
            let n: serde_json::Number = serde_json::from_slice(tok).ok()?;
            serde_json::to_writer(&mut *out, &n).ok()?;
        }
        Some(())
    }
}

/// Writes stored JSON text at `level`; text that does not parse is written as `null`, as the
/// value path does. Returns the number of elements when it is an array.
fn embed(text: &str, level: usize, out: &mut Vec<u8>) -> usize {
    let mark = out.len();
    let mut p = Pretty {
        src: text.as_bytes(),
        pos: 0,
    };
    let ok = p.value(level, out).is_some() && p.peek().is_none();
    if !ok {
        out.truncate(mark);
        out.extend_from_slice(b"null");
        return 0;
    }
    if text.trim_start().starts_with('[') {
        top_level_count(text)
    } else {
        0
    }
}

/// The number of elements of a JSON array text (valid JSON assumed).
fn top_level_count(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut depth, mut count, mut in_str, mut any) = (0usize, 0usize, false, false);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => in_str = false,
                _ => {}
            }
        } else {
            match c {
                b'"' => {
                    in_str = true;
                    if depth == 1 {
                        any = true;
                    }
                }
                b'[' | b'{' => {
                    if depth == 1 {
                        any = true;
                    }
                    depth += 1;
                }
                b']' | b'}' => depth -= 1,
                b',' if depth == 1 => count += 1,
                b' ' | b'\t' | b'\n' | b'\r' => {}
                _ if depth == 1 => any = true,
                _ => {}
            }
        }
        i += 1;
    }
    if any { count + 1 } else { 0 }
}

struct Obj<'o> {
    out: &'o mut Vec<u8>,
    level: usize,
    first: bool,
}

impl<'o> Obj<'o> {
    fn open(out: &'o mut Vec<u8>, level: usize) -> Self {
        out.push(b'{');
        Obj {
            out,
            level,
            first: true,
        }
    }

    fn key(&mut self, k: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        indent(self.out, self.level + 1);
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\": ");
        self.out
    }

    fn val<T: serde::Serialize + ?Sized>(&mut self, k: &str, v: &T) {
        let out = self.key(k);
        serde_json::to_writer(out, v).expect("serialising plain values");
    }

    fn raw(&mut self, k: &str, text: &str) -> usize {
        let level = self.level + 1;
        let out = self.key(k);
        embed(text, level, out)
    }

    fn close(self) {
        if self.first {
            self.out.push(b'}');
        } else {
            indent(self.out, self.level);
            self.out.push(b'}');
        }
    }
}

/// How annotators are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserFields {
    /// `created_username` ("email, id") is written.
    pub details: bool,
    /// `completed_by` is `{"email": ...}` (Label Studio's import form), not the user id.
    pub by_email: bool,
}

fn annotation(
    out: &mut Vec<u8>,
    level: usize,
    t: &TaskFull,
    a: &AnnotationRow,
    project_id: i64,
    users: UserFields,
) {
    let mut o = Obj::open(out, level);
    o.val("id", &a.id);
    if users.by_email {
        o.val(
            "completed_by",
            &super::json::completed_by_for_import(a.completed_by_email.as_deref()),
        );
    } else {
        o.val("completed_by", &a.completed_by);
    }
    // result_count is known only after the result is written; it follows shortly after.
    let count = o.raw("result", &a.result);
    o.val("was_cancelled", &a.was_cancelled);
    o.val("ground_truth", &a.ground_truth);
    o.val("created_at", &a.created_at);
    o.val("updated_at", &a.updated_at);
    o.val("draft_created_at", &());
    o.val("lead_time", &a.lead_time);
    o.key("prediction").extend_from_slice(b"{}");
    o.val("result_count", &count);
    o.val("import_id", &a.import_id);
    o.val("last_action", &());
    o.val("task", &t.task.id);
    o.val("project", &project_id);
    o.val("updated_by", &a.completed_by);
    o.val("parent_prediction", &a.parent_prediction);
    o.val("parent_annotation", &());
    o.val("last_created_by", &());
    if users.details
        && let (Some(email), Some(id)) = (&a.completed_by_email, a.completed_by)
    {
        o.val("created_username", &format!("{email}, {id}"));
    }
    if let Some(reviews) = super::json::reviews_json(t, a) {
        // Rare and small: built as values, then laid out as the value path lays them out.
        o.raw("reviews", &reviews.to_string());
    }
    o.close();
}

fn prediction(out: &mut Vec<u8>, level: usize, t: &TaskFull, p: &PredictionRow, project_id: i64) {
    let mut o = Obj::open(out, level);
    o.val("id", &p.id);
    o.raw("result", &p.result);
    o.val("model_version", &p.model_version);
    o.val("score", &p.score);
    o.val("cluster", &());
    o.val("neighbors", &());
    o.val("mislabeling", &0.0f64);
    o.val("created_at", &p.created_at);
    o.val("updated_at", &p.created_at);
    o.val("model", &());
    o.val("model_run", &());
    o.val("task", &t.task.id);
    o.val("project", &project_id);
    o.close();
}

fn list<T>(
    out: &mut Vec<u8>,
    level: usize,
    items: &[T],
    mut each: impl FnMut(&mut Vec<u8>, usize, &T),
) {
    if items.is_empty() {
        out.extend_from_slice(b"[]");
        return;
    }
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        indent(out, level + 1);
        each(out, level + 1, item);
    }
    indent(out, level);
    out.push(b']');
}

/// One task as `task_json` + the list writer print it, at nesting level 1.
pub fn write_task(out: &mut Vec<u8>, t: &TaskFull, project_id: i64, users: UserFields) {
    let mut o = Obj::open(out, 1);
    o.val("id", &t.task.id);
    let out = o.key("annotations");
    list(out, 2, &t.annotations, |out, level, a| {
        annotation(out, level, t, a, project_id, users)
    });
    o.val("file_upload", &t.task.source);
    o.key("drafts").extend_from_slice(b"[]");
    let out = o.key("predictions");
    list(out, 2, &t.predictions, |out, level, p| {
        prediction(out, level, t, p, project_id)
    });
    o.raw("data", &t.task.data);
    o.raw("meta", &t.task.meta);
    o.val("created_at", &t.task.created_at);
    o.val("updated_at", &t.task.updated_at);
    o.val("inner_id", &t.task.inner_id);
    o.val("total_annotations", &t.task.total_annotations);
    o.val("cancelled_annotations", &t.task.cancelled_annotations);
    o.val("total_predictions", &t.task.total_predictions);
    o.val("comment_count", &0);
    o.val("unresolved_comment_count", &0);
    o.val("last_comment_updated_at", &());
    o.val("project", &project_id);
    o.val("updated_by", &());
    o.key("comment_authors").extend_from_slice(b"[]");
    o.close();
}

/// Streams a project's tasks as Label Studio's JSON list.
pub struct RawListWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    count: usize,
}

impl<W: Write> RawListWriter<W> {
    pub fn new(mut out: W) -> std::io::Result<Self> {
        out.write_all(b"[")?;
        Ok(RawListWriter {
            out,
            buf: Vec::with_capacity(1 << 16),
            count: 0,
        })
    }

    pub fn push(&mut self, t: &TaskFull, users: UserFields) -> std::io::Result<()> {
        self.buf.clear();
        self.buf
            .extend_from_slice(if self.count == 0 { b"\n  " } else { b",\n  " });
        write_task(&mut self.buf, t, 1, users);
        self.count += 1;
        self.out.write_all(&self.buf)
    }

    pub fn finish(mut self) -> std::io::Result<usize> {
        self.out
            .write_all(if self.count == 0 { b"]" } else { b"\n]" })?;
        self.out.flush()?;
        Ok(self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pretty(text: &str, level: usize) -> String {
        let mut out = Vec::new();
        embed(text, level, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn reindents_like_serde_json() {
        for text in [
            r#"{"a": [1, 2.50, {"b": "x\u00e9\/y\n"}, [], {}], "c": 1e2, "d": -0, "e": 12345678901234567890123, "f": true, "g": null}"#,
            "[]",
            " [ \"a\" , 0.1 ] ",
            r#"{"big": 18446744073709551615, "neg": -9223372036854775808, "f": 1.0E-7, "s": "tab\there"}"#,
        ] {
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            let mut want = serde_json::to_string_pretty(&v).unwrap();
            // At level 1 every line after the first is indented by two more spaces.
            want = want.replace('\n', "\n  ");
            assert_eq!(pretty(text, 1), want, "{text}");
        }
        assert_eq!(pretty("{bad", 0), "null");
        assert_eq!(top_level_count(r#"[{"a": [1, 2]}, "x,y", 3]"#), 3);
        assert_eq!(top_level_count("[ ]"), 0);
    }
}
