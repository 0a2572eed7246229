//! A JSON value as a tree of rows that open and close, without any UI: the rows shown are
//! kept as one flat list, changed where a node opens or closes, so that a task with a
//! 100,000-item array costs nothing until that array is opened, and a frame only reads
//! the rows it draws. Paths are written as jq writes them: `.data.meta["a b"][0]`.

use serde_json::Value;
use std::collections::HashSet;

/// One step of a path: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path from the root; the root itself is the empty path.
pub type Path = Vec<Seg>;

/// The path in jq syntax: `.` for the root, `.key` for keys that are identifiers,
/// `["a b"]` (a JSON string) for any other key, `[0]` for indices.
pub fn path_text(path: &[Seg]) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if is_identifier(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Key(k) => {
                if s.is_empty() {
                    s.push('.');
                }
                s.push('[');
                s.push_str(&Value::String(k.clone()).to_string());
                s.push(']');
            }
            Seg::Index(i) => {
                if s.is_empty() {
                    s.push('.');
                }
                s.push_str(&format!("[{i}]"));
            }
        }
    }
    s
}

fn is_identifier(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The value at a path.
pub fn lookup<'a>(root: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(root, |v, seg| match seg {
        Seg::Key(k) => v.as_object()?.get(k),
        Seg::Index(i) => v.as_array()?.get(*i),
    })
}

/// Whether a value has children to show.
pub fn is_container(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

/// A short text for a value on one row: scalars as JSON, strings cut after `max_chars`
/// characters (an ellipsis inside the quotes says so), containers as their size. Reads
/// no more of a long string than it shows. Not yet made safe for a terminal.
pub fn preview(v: &Value, max_chars: usize) -> String {
    match v {
        Value::String(s) => {
            let mut cut: String = s.chars().take(max_chars).collect();
            let more = cut.len() < s.len();
            if more {
                cut.push('…');
            }
            Value::String(cut).to_string()
        }
        Value::Object(m) if m.is_empty() => "{}".to_string(),
        Value::Array(a) if a.is_empty() => "[]".to_string(),
        Value::Object(m) => format!("{{…}} {} {}", m.len(), plural(m.len(), "key", "keys")),
        Value::Array(a) => format!("[…] {} {}", a.len(), plural(a.len(), "item", "items")),
        other => other.to_string(),
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// What yanking a value copies: a string as it is (no quotes), anything else as JSON,
/// containers indented.
pub fn yank_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(_) | Value::Array(_) => {
            serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
        }
        other => other.to_string(),
    }
}

/// A row shown: the node at `path`, drawn `path.len()` steps in.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub path: Path,
}

impl Row {
    pub fn depth(&self) -> usize {
        self.path.len()
    }
}

/// Search matches are capped so that a query matching every item of a huge array stays
/// cheap to hold.
pub const MAX_MATCHES: usize = 10_000;

/// A JSON value and which of its nodes are open, with the rows that shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    root: Value,
    expanded: HashSet<Path>,
    rows: Vec<Row>,
    /// Rows made since the tree was built: a guard that work follows what is shown.
    pub rows_built: usize,
}

impl Tree {
    /// The tree with the root open, and the nodes at `open` (where they are containers).
    pub fn new(root: Value, open: &[Path]) -> Tree {
        let mut expanded: HashSet<Path> = HashSet::new();
        expanded.insert(Vec::new());
        for p in open {
            // An open node needs its ancestors open to be seen.
            for k in 1..=p.len() {
                if lookup(&root, &p[..k]).is_some_and(is_container) {
                    expanded.insert(p[..k].to_vec());
                }
            }
        }
        let mut t = Tree {
            root,
            expanded,
            rows: Vec::new(),
            rows_built: 0,
        };
        let mut rows = vec![Row { path: Vec::new() }];
        t.rows_built += 1;
        t.children_rows(&[], &mut rows);
        t.rows = rows;
        t
    }

    pub fn root(&self) -> &Value {
        &self.root
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn value(&self, row: usize) -> Option<&Value> {
        lookup(&self.root, &self.rows.get(row)?.path)
    }

    pub fn is_expanded(&self, path: &[Seg]) -> bool {
        self.expanded.contains(path)
    }

    /// The rows under an open node at `path`, depth first, through the nodes open below.
    fn children_rows(&mut self, path: &[Seg], out: &mut Vec<Row>) {
        let Some(v) = lookup(&self.root, path) else {
            return;
        };
        let kids: Vec<Seg> = match v {
            Value::Object(m) => m.keys().map(|k| Seg::Key(k.clone())).collect(),
            Value::Array(a) => (0..a.len()).map(Seg::Index).collect(),
            _ => return,
        };
        for seg in kids {
            let mut p = path.to_vec();
            p.push(seg);
            let open = self.expanded.contains(&p);
            out.push(Row { path: p.clone() });
            self.rows_built += 1;
            if open {
                self.children_rows(&p, out);
            }
        }
    }

    /// The end (exclusive) of the rows below row `i`.
    fn block_end(&self, i: usize) -> usize {
        let d = self.rows[i].depth();
        self.rows[i + 1..]
            .iter()
            .position(|r| r.depth() <= d)
            .map_or(self.rows.len(), |k| i + 1 + k)
    }

    /// Opens row `i`; false when it is no container or open already.
    pub fn expand(&mut self, i: usize) -> bool {
        let Some(row) = self.rows.get(i) else {
            return false;
        };
        let path = row.path.clone();
        if self.expanded.contains(&path) || !self.value(i).is_some_and(is_container) {
            return false;
        }
        self.expanded.insert(path.clone());
        let mut rows = Vec::new();
        self.children_rows(&path, &mut rows);
        self.rows.splice(i + 1..i + 1, rows);
        true
    }

    /// Closes row `i` (what is open below it stays open for next time); false when it
    /// is not open.
    pub fn collapse(&mut self, i: usize) -> bool {
        let Some(row) = self.rows.get(i) else {
            return false;
        };
        if !self.expanded.remove(&row.path) {
            return false;
        }
        let end = self.block_end(i);
        self.rows.drain(i + 1..end);
        true
    }

    pub fn toggle(&mut self, i: usize) -> bool {
        self.expand(i) || self.collapse(i)
    }

    /// Opens row `i` and every container below it.
    pub fn expand_subtree(&mut self, i: usize) {
        let Some(row) = self.rows.get(i) else {
            return;
        };
        let path = row.path.clone();
        let Some(v) = lookup(&self.root, &path) else {
            return;
        };
        let mut open = Vec::new();
        containers(v, &mut path.clone(), &mut open);
        self.expanded.extend(open);
        let end = self.block_end(i);
        let mut rows = Vec::new();
        self.children_rows(&path, &mut rows);
        self.rows.splice(i + 1..end, rows);
    }

    /// Opens everything.
    pub fn expand_all(&mut self) {
        self.expand_subtree(0);
    }

    /// Closes everything but the root.
    pub fn collapse_all(&mut self) {
        self.expanded.clear();
        self.expanded.insert(Vec::new());
        let mut rows = vec![Row { path: Vec::new() }];
        self.rows_built += 1;
        self.children_rows(&[], &mut rows);
        self.rows = rows;
    }

    /// The row of the parent of row `i`.
    pub fn parent_row(&self, i: usize) -> Option<usize> {
        let d = self.rows.get(i)?.depth();
        if d == 0 {
            return None;
        }
        self.rows[..i].iter().rposition(|r| r.depth() == d - 1)
    }

    /// Opens the ancestors of `path` and returns its row.
    pub fn reveal(&mut self, path: &[Seg]) -> Option<usize> {
        let mut at = 0;
        for k in 1..=path.len() {
            if !self.expanded.contains(&path[..k - 1]) {
                self.expand(at);
            }
            let end = self.block_end(at);
            at = (at + 1..end).find(|&r| self.rows[r].path == path[..k])?;
        }
        Some(at)
    }

    /// Nodes whose key, or whose value (a string, number, boolean or null), holds `query`
    /// (case folded), in document order, at most [`MAX_MATCHES`]; and the index of the
    /// first of them after `from` (wrapping to the first).
    pub fn find(&self, query: &str, from: &[Seg]) -> (Vec<Path>, usize) {
        let q = query.to_lowercase();
        let mut s = Search {
            q: &q,
            from,
            passed: false,
            after: None,
            out: Vec::new(),
        };
        if !q.is_empty() {
            s.walk(&self.root, &mut Vec::new(), None);
        }
        let after = s.after.unwrap_or(0);
        (s.out, after)
    }
}

/// Paths of every container under `v` (itself included).
fn containers(v: &Value, path: &mut Path, out: &mut Vec<Path>) {
    if !is_container(v) {
        return;
    }
    out.push(path.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                path.push(Seg::Key(k.clone()));
                containers(c, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                containers(c, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

struct Search<'a> {
    q: &'a str,
    from: &'a [Seg],
    passed: bool,
    after: Option<usize>,
    out: Vec<Path>,
}

impl Search<'_> {
    fn walk(&mut self, v: &Value, path: &mut Path, key: Option<&str>) {
        if self.out.len() >= MAX_MATCHES {
            return;
        }
        let hit = key.is_some_and(|k| contains_folded(k, self.q))
            || match v {
                Value::String(s) => contains_folded(s, self.q),
                Value::Object(_) | Value::Array(_) => false,
                other => other.to_string().contains(self.q),
            };
        if hit {
            if self.passed && self.after.is_none() {
                self.after = Some(self.out.len());
            }
            self.out.push(path.clone());
        }
        if path.as_slice() == self.from {
            self.passed = true;
        }
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    path.push(Seg::Key(k.clone()));
                    self.walk(c, path, Some(k));
                    path.pop();
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    path.push(Seg::Index(i));
                    self.walk(c, path, None);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}

/// `hay` holds `needle` (already lower case), ignoring case; ASCII text is compared
/// without copying it.
fn contains_folded(hay: &str, needle: &str) -> bool {
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        return n.is_empty()
            || h.windows(n.len())
                .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b));
    }
    hay.to_lowercase().contains(needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn k(s: &str) -> Seg {
        Seg::Key(s.into())
    }

    fn shown(t: &Tree) -> Vec<String> {
        t.rows().iter().map(|r| path_text(&r.path)).collect()
    }

    #[test]
    fn paths_read_as_jq_writes_them() {
        assert_eq!(path_text(&[]), ".");
        assert_eq!(
            path_text(&[k("data"), k("meta"), k("a b"), Seg::Index(0)]),
            r#".data.meta["a b"][0]"#
        );
        assert_eq!(path_text(&[Seg::Index(2), k("x")]), ".[2].x");
        assert_eq!(path_text(&[k("1st")]), r#".["1st"]"#);
        assert_eq!(path_text(&[k("say \"hi\"")]), r#".["say \"hi\""]"#);
        assert_eq!(path_text(&[k("_ok9")]), "._ok9");
    }

    #[test]
    fn rows_open_and_close_in_place() {
        let v = json!({"id": 1, "data": {"text": "hi", "meta": {"a b": [1, 2]}}, "tags": []});
        let mut t = Tree::new(v, &[]);
        assert_eq!(shown(&t), [".", ".id", ".data", ".tags"]);
        assert!(t.expand(2));
        assert_eq!(
            shown(&t),
            [".", ".id", ".data", ".data.text", ".data.meta", ".tags"]
        );
        assert!(!t.expand(3), "a string has no children");
        assert!(!t.expand(5), "an empty array has no children");
        assert!(t.expand(4));
        assert_eq!(t.len(), 7);
        // Closing .data keeps .data.meta open for when .data opens again.
        assert!(t.collapse(2));
        assert_eq!(shown(&t), [".", ".id", ".data", ".tags"]);
        t.toggle(2);
        assert_eq!(
            shown(&t),
            [
                ".",
                ".id",
                ".data",
                ".data.text",
                ".data.meta",
                r#".data.meta["a b"]"#,
                ".tags"
            ]
        );
        assert_eq!(t.parent_row(5), Some(4));
        assert_eq!(t.parent_row(0), None);
        t.expand_subtree(5);
        assert_eq!(t.len(), 9);
        t.collapse_all();
        assert_eq!(shown(&t), [".", ".id", ".data", ".tags"]);
        t.expand_all();
        assert_eq!(t.len(), 9);
    }

    #[test]
    fn reveal_and_find_go_through_closed_nodes() {
        let v = json!({"a": {"b": [{"name": "Cat"}, {"name": "dog"}]}, "c": "CATALOG", "n": 42});
        let mut t = Tree::new(v, &[]);
        let (found, first) = t.find("cat", &[]);
        assert_eq!(
            found.iter().map(|p| path_text(p)).collect::<Vec<_>>(),
            [".a.b[0].name", ".c"]
        );
        assert_eq!(first, 0);
        let (_, after) = t.find("cat", &[k("a"), k("b"), Seg::Index(0), k("name")]);
        assert_eq!(after, 1, "the next match after the cursor");
        let (_, wrapped) = t.find("cat", &[k("c")]);
        assert_eq!(wrapped, 0, "past the last match it wraps");
        let (keys, _) = t.find("NAME", &[]);
        assert_eq!(keys.len(), 2, "keys match too");
        assert_eq!(t.find("42", &[]).0, [vec![k("n")]]);
        let row = t.reveal(&found[0]).unwrap();
        assert_eq!(path_text(&t.rows()[row].path), ".a.b[0].name");
        assert_eq!(t.value(row), Some(&json!("Cat")));
    }

    #[test]
    fn previews_cut_long_strings_and_yank_keeps_them_whole() {
        let long = "x".repeat(1000);
        assert_eq!(preview(&json!(long), 3), "\"xxx…\"");
        assert_eq!(preview(&json!("ab"), 3), "\"ab\"");
        assert_eq!(preview(&json!([1, 2]), 3), "[…] 2 items");
        assert_eq!(preview(&json!({"a": 1}), 3), "{…} 1 key");
        assert_eq!(preview(&json!({}), 3), "{}");
        assert_eq!(yank_text(&json!(long)).len(), 1000);
        assert_eq!(yank_text(&json!(1.5)), "1.5");
        assert_eq!(yank_text(&json!({"a": 1})), "{\n  \"a\": 1\n}");
    }

    #[test]
    fn a_huge_array_costs_rows_only_when_opened() {
        let big: Vec<Value> = (0..100_000).map(|i| json!({"i": i})).collect();
        let mut t = Tree::new(json!({"data": {"items": big}}), &[vec![k("data")]]);
        assert_eq!(t.rows_built, 3, "root, data, items");
        t.expand(2);
        assert_eq!(t.len(), 100_003);
        t.collapse(2);
        assert_eq!(t.len(), 3);
    }
}
