//! What a whole input holds, for `validate`: tasks per input, the data keys seen with
//! their types, and problems and warnings grouped by kind with a few examples each, so a
//! file with ten thousand errors of two kinds reads as two lines to act on.

use super::{InputFormat, RawMap, TaskSink};
use crate::config::PyType;
use crate::error::{Problem, Result};
use crate::task::TaskItem;
use indexmap::IndexMap;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::LazyLock;

/// Examples kept per kind of problem.
pub const EXAMPLES: usize = 3;
/// Distinct data keys counted; past these (task data used as a dictionary), the rest are
/// counted together.
pub const MAX_KEYS: usize = 1000;

/// One input's counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputCounts {
    pub source: String,
    pub format: InputFormat,
    /// Tasks that passed the rules.
    pub tasks: u64,
    /// Tasks with at least one problem.
    pub rejected: u64,
    pub annotations: u64,
    pub predictions: u64,
}

/// One data key: in how many tasks (valid or not), with which JSON types (Python's names).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyCount {
    pub tasks: u64,
    pub types: IndexMap<&'static str, u64>,
}

/// Problems (or warnings) of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    /// The field with positions taken out (`annotations[].result[]`), if any.
    pub field: Option<String>,
    /// The message with the values that vary taken out.
    pub message: String,
    pub count: u64,
    pub examples: Vec<Problem>,
}

/// Problems or warnings grouped by kind, most frequent first once [`Groups::sorted`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups {
    pub count: u64,
    kinds: IndexMap<(Option<String>, String), Kind>,
}

impl Groups {
    pub fn add(&mut self, p: &Problem) {
        self.count += 1;
        let field = p.field.as_deref().map(general_field);
        let message = general_message(&p.message);
        let kind = self
            .kinds
            .entry((field.clone(), message.clone()))
            .or_insert_with(|| Kind {
                field,
                message,
                count: 0,
                examples: Vec::new(),
            });
        kind.count += 1;
        if kind.examples.len() < EXAMPLES {
            kind.examples.push(p.clone());
        }
    }

    /// The kinds, most frequent first (first seen first among equals).
    pub fn sorted(&self) -> Vec<&Kind> {
        let mut v: Vec<&Kind> = self.kinds.values().collect();
        v.sort_by_key(|k| std::cmp::Reverse(k.count));
        v
    }
}

/// `annotations[3].result[0]` → `annotations[].result[]`.
fn general_field(f: &str) -> String {
    static INDEX: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"\[\d+\]").expect("static regex"));
    INDEX.replace_all(f, "[]").into_owned()
}

/// The message with what varies from task to task taken out: the value after "Got:",
/// "got" or "found", the value in `data['k']=…`, and numbers.
fn general_message(m: &str) -> String {
    static VALUE: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"(data\['[^']*'\])=.*? is of type").expect("static regex")
    });
    static NUMBER: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"\b\d+(\.\d+)?\b").expect("static regex"));
    let mut s = m.to_string();
    for cut in [". Got:", ", got ", ": got ", "; found ", " found "] {
        if let Some(i) = s.find(cut) {
            s.truncate(i);
        }
    }
    let s = VALUE.replace_all(&s, "$1=… is of type");
    let s = NUMBER.replace_all(&s, "N");
    let mut s = s.into_owned();
    if s.chars().count() > 160 {
        s = s.chars().take(160).collect::<String>() + "…";
    }
    s
}

/// Collects what a whole input holds while the importer reads it.
#[derive(Debug, Default)]
pub struct Summary {
    pub inputs: Vec<InputCounts>,
    pub keys: IndexMap<String, KeyCount>,
    /// Tasks whose keys were past [`MAX_KEYS`].
    pub other_keys: u64,
    pub problems: Groups,
    pub warnings: Groups,
    /// The last task a problem was about (file, position), to count rejected tasks once.
    last_rejected: Option<(String, usize)>,
}

fn type_name(raw: &serde_json::value::RawValue) -> &'static str {
    let t = raw.get().trim_start();
    match t.as_bytes().first() {
        Some(b'"') => PyType::Str,
        Some(b'{') => PyType::Dict,
        Some(b'[') => PyType::List,
        Some(b't') | Some(b'f') => PyType::Bool,
        Some(b'n') => PyType::NoneType,
        _ if t.contains(['.', 'e', 'E']) => PyType::Float,
        _ => PyType::Int,
    }
    .name()
}

impl Summary {
    pub fn new() -> Summary {
        Summary::default()
    }

    /// Tasks read: valid and rejected.
    pub fn tasks(&self) -> u64 {
        self.inputs.iter().map(|i| i.tasks + i.rejected).sum()
    }

    pub fn valid(&self) -> u64 {
        self.inputs.iter().map(|i| i.tasks).sum()
    }

    pub fn rejected(&self) -> u64 {
        self.inputs.iter().map(|i| i.rejected).sum()
    }

    /// Problems that concern no task (a missing file, an unknown format, a syntax error)
    /// are not seen while items are read; the caller adds them from the import's list.
    pub fn add_file_problem(&mut self, p: &Problem) {
        self.problems.add(p);
    }

    /// The summary as one JSON object (without the config part).
    pub fn to_json(&self) -> Value {
        let kinds = |g: &Groups| -> Value {
            json!({
                "count": g.count,
                "kinds": g.sorted().iter().map(|k| json!({
                    "field": k.field,
                    "message": k.message,
                    "count": k.count,
                    "examples": k.examples.iter().map(|p| json!({
                        "file": p.location.file,
                        "line": p.location.line,
                        "column": p.location.column,
                        "record": p.location.record,
                        "task": p.task.as_ref().map(|t| t.position),
                        "id": p.task.as_ref().and_then(|t| t.id.clone()),
                        "field": p.field,
                        "message": p.message,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        };
        json!({
            "tasks": {
                "total": self.tasks(),
                "valid": self.valid(),
                "with_problems": self.rejected(),
                "annotations": self.inputs.iter().map(|i| i.annotations).sum::<u64>(),
                "predictions": self.inputs.iter().map(|i| i.predictions).sum::<u64>(),
            },
            "inputs": self.inputs.iter().map(|i| json!({
                "source": i.source,
                "format": i.format.name(),
                "tasks": i.tasks,
                "with_problems": i.rejected,
                "annotations": i.annotations,
                "predictions": i.predictions,
            })).collect::<Vec<_>>(),
            "keys": self.keys.iter().map(|(k, c)| json!({
                "key": k,
                "tasks": c.tasks,
                "types": c.types,
            })).collect::<Vec<_>>(),
            "problems": kinds(&self.problems),
            "warnings": kinds(&self.warnings),
        })
    }
}

impl TaskSink for Summary {
    fn begin(&mut self, source: &str, format: InputFormat, _: Option<&Path>) -> Result<()> {
        self.inputs.push(InputCounts {
            source: source.to_string(),
            format,
            tasks: 0,
            rejected: 0,
            annotations: 0,
            predictions: 0,
        });
        Ok(())
    }

    fn tasks(&mut self, _: Vec<TaskItem>) -> Result<()> {
        Ok(())
    }

    fn end(&mut self, _: &str, _: u64, _: &[String]) -> Result<()> {
        Ok(())
    }

    fn checked(&mut self, task: &TaskItem) {
        if let Some(i) = self.inputs.last_mut() {
            i.tasks += 1;
            i.annotations += task.annotations.len() as u64;
            i.predictions += task.predictions.len() as u64;
        }
    }

    fn wants_seen(&self) -> bool {
        true
    }

    fn seen(&mut self, data: &RawMap) {
        let mut other = false;
        for (k, v) in data {
            let known = self.keys.len() < MAX_KEYS || self.keys.contains_key(k.as_str());
            if !known {
                other = true;
                continue;
            }
            let c = self.keys.entry(k.clone()).or_default();
            c.tasks += 1;
            *c.types.entry(type_name(v)).or_default() += 1;
        }
        if other {
            self.other_keys += 1;
        }
    }

    fn problem(&mut self, p: &Problem) {
        self.problems.add(p);
        if let Some(t) = &p.task {
            let at = (p.location.file.clone(), t.position);
            if self.last_rejected.as_ref() != Some(&at) {
                self.last_rejected = Some(at);
                if let Some(i) = self.inputs.last_mut() {
                    i.rejected += 1;
                }
            }
        }
    }

    fn warning(&mut self, p: &Problem) {
        self.warnings.add(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Location, TaskRef};

    fn problem(field: &str, message: &str, position: usize) -> Problem {
        Problem::new(Location::line("t.json", position + 1), message)
            .with_task(TaskRef { position, id: None })
            .with_field(field)
    }

    #[test]
    fn problems_of_a_kind_group_whatever_their_values() {
        let mut g = Groups::default();
        g.add(&problem(
            "data.text",
            "\"text\" key is expected in task data; found \"a\"",
            1,
        ));
        g.add(&problem(
            "data.text",
            "\"text\" key is expected in task data; found \"b\", \"c\"",
            2,
        ));
        g.add(&problem(
            "annotations[0].result[2]",
            "annotation 1: Region 3: Invalid value for control 'c'. Got: {\"choices\":[\"x\"]}. Valid options: ['a']",
            3,
        ));
        g.add(&problem(
            "annotations[4].result[0]",
            "annotation 5: Region 1: Invalid value for control 'c'. Got: {\"choices\":[\"y\"]}. Valid options: ['a']",
            4,
        ));
        g.add(&problem(
            "data.n",
            "data['n']='x' is of type 'str', but the object tag Text expects",
            5,
        ));
        g.add(&problem(
            "data.n",
            "data['n']=[1, 2] is of type 'str', but the object tag Text expects",
            6,
        ));
        g.add(&problem(
            "predictions[0].score",
            "prediction 1: Score must be between 0.00 and 1.00 inclusive, got 3",
            7,
        ));
        let kinds: Vec<(Option<&str>, &str, u64)> = g
            .sorted()
            .iter()
            .map(|k| (k.field.as_deref(), k.message.as_str(), k.count))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    Some("data.text"),
                    "\"text\" key is expected in task data",
                    2
                ),
                (
                    Some("annotations[].result[]"),
                    "annotation N: Region N: Invalid value for control 'c'",
                    2
                ),
                (
                    Some("data.n"),
                    "data['n']=… is of type 'str', but the object tag Text expects",
                    2
                ),
                (
                    Some("predictions[].score"),
                    "prediction N: Score must be between N and N inclusive",
                    1
                ),
            ]
        );
        assert_eq!(g.count, 7);
        assert_eq!(g.sorted()[0].examples.len(), 2);
    }
}
