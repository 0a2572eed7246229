//! A query compiled to SQL: each field as an expression over `tasks t` (and `task_data d`
//! when a data key is read) or, for fields with several values per task, as a relation
//! `(task_id, v, g)` of its values (`g`: the annotator or model_version that gave it).
//! Every value from the user is a bound parameter; names never enter the SQL text.

use super::json_scan;
use super::{DataPath, Field, Filter, Join, Op, Operand, Query, Value};
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::{Value as SqlValue, ValueRef};
use std::cmp::Ordering;

/// A sort key as `Builder::sort_columns` gives it.
pub(crate) struct SortColumn {
    pub expr: String,
    pub descending: bool,
    pub read: SortRead,
}

/// How a sort column's value becomes a sort key.
pub(crate) enum SortRead {
    /// The value as it is (numbers, and text columns).
    AsIs,
    /// Text that reads as a number sorts as that number.
    Numeric,
    /// The column is the data text; the key is the value at this path, as `Numeric`.
    Data(DataPath),
}

/// SQL text and its parameters, `?1`, `?2`, ... in order.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    pub params: Vec<SqlValue>,
    /// Some expression reads `d.data`: the statement joins `task_data d`.
    pub needs_data: bool,
}

const STATUS: &str = "(CASE WHEN t.is_labeled THEN 'labeled' \
     WHEN t.total_annotations > 0 OR EXISTS (SELECT 1 FROM drafts dr WHERE dr.task_id = t.id) THEN 'in-progress' \
     WHEN t.cancelled_annotations > 0 THEN 'skipped' ELSE 'unlabeled' END)";

/// Each submitted annotation's latest review decides; see the module docs of `query`.
const REVIEW: &str = concat!(
    "(SELECT CASE WHEN count(x.decision) = 0 THEN 'none' \
     WHEN count(x.decision) = t.total_annotations AND sum(x.decision <> 'rejected') = count(x.decision) THEN 'accepted' \
     WHEN count(x.decision) = t.total_annotations AND sum(x.decision = 'rejected') = count(x.decision) THEN 'rejected' \
     ELSE 'partial' END \
     FROM (SELECT ",
    crate::store::reviews::latest_decision_sql!("ra"),
    " AS decision FROM annotations ra WHERE ra.task_id = t.id AND ra.was_cancelled = 0) x)"
);

const ANNOTATOR: &str = "COALESCE(u.email, '#' || a.completed_by)";

/// Text `LIKE` pattern holding `needle` anywhere, with `\` escaping.
fn like_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Whether `x` is what `empty true` matches: NULL, `""`, `[]` or `{}` (the SQL twin of
/// `stats::is_empty_value`).
pub(crate) fn empty_sql(x: &str) -> String {
    format!("({x} IS NULL OR {x} = '' OR (typeof({x}) = 'text' AND {x} IN ('[]', '{{}}')))")
}

pub(crate) fn sql_value(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Integer(i) => SqlValue::Integer(*i),
        Value::Real(r) => SqlValue::Real(*r),
        Value::Text(t) => SqlValue::Text(t.clone()),
        Value::List(_) => SqlValue::Text(v.to_string()),
    }
}

pub(crate) fn from_sql(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Text(String::from_utf8_lossy(b).into_owned()),
    }
}

/// Fields whose expression is a plain text column.
fn is_text_column(f: &Field) -> bool {
    matches!(
        f,
        Field::Status | Field::Review | Field::Created | Field::Updated | Field::Source
    )
}

/// Where a control's values (`label:` / `prediction:`) come from: the rows to read
/// (`FROM` and the condition that keeps the ones asked for) and their columns.
struct ResultRows {
    /// Table(s) to read: annotations with their users, or predictions.
    from: &'static str,
    /// Submitted annotations only; one annotator or model_version when the field names one.
    keep: String,
    task: &'static str,
    result: &'static str,
    /// Who gave the row: the annotator, or the model_version.
    giver: &'static str,
    control: String,
}

impl Builder {
    pub fn bind(&mut self, v: SqlValue) -> String {
        self.params.push(v);
        format!("?{}", self.params.len())
    }

    fn bind_text(&mut self, s: &str) -> String {
        self.bind(SqlValue::Text(s.to_string()))
    }

    /// The expression of a field with one value per task.
    pub fn scalar(&mut self, f: &Field) -> String {
        match f {
            Field::Id => "t.id".into(),
            Field::Status => STATUS.into(),
            Field::Annotations => "t.total_annotations".into(),
            Field::Cancelled => "t.cancelled_annotations".into(),
            Field::Predictions => "t.total_predictions".into(),
            Field::Score => "t.prediction_score".into(),
            Field::Agreement => "t.agreement".into(),
            Field::Review => REVIEW.into(),
            Field::Created => "t.created_at".into(),
            Field::Updated => "t.updated_at".into(),
            Field::Source => "(SELECT im.source FROM imports im WHERE im.id = t.import_id)".into(),
            Field::Data(p) => self.data(p),
            // Several values: their sorted, distinct list as text.
            multi => {
                let rel = self.relation(multi, Some("t.id"));
                format!(
                    "(SELECT group_concat(v, ', ') FROM (SELECT DISTINCT rr.v AS v FROM ({rel}) rr ORDER BY 1))"
                )
            }
        }
    }

    /// A data key's value: JSON numbers and strings as SQL values, booleans as `true` /
    /// `false`, objects and arrays as compact JSON text, missing keys and null as NULL
    /// (`lt_data`, see [`register`]).
    pub fn data(&mut self, p: &DataPath) -> String {
        self.data_call("lt_data", p)
    }

    fn data_call(&mut self, function: &str, p: &DataPath) -> String {
        self.needs_data = true;
        let keys: Vec<String> = p.0.iter().map(|k| self.bind_text(k)).collect();
        format!("{function}(d.data, {})", keys.join(", "))
    }

    /// The rows behind a `label:` / `prediction:` field; `None` for other fields.
    fn result_rows(&mut self, f: &Field) -> Option<ResultRows> {
        Some(match f {
            Field::Label { control, annotator } => ResultRows {
                from: "annotations a LEFT JOIN users u ON u.id = a.completed_by",
                keep: format!(
                    "a.was_cancelled = 0{}",
                    annotator
                        .as_ref()
                        .map(|w| format!(" AND {ANNOTATOR} = {}", self.bind_text(w)))
                        .unwrap_or_default()
                ),
                task: "a.task_id",
                result: "a.result",
                giver: ANNOTATOR,
                control: control.clone(),
            },
            Field::Prediction { control, model } => ResultRows {
                from: "predictions p",
                keep: format!(
                    "1{}",
                    model
                        .as_ref()
                        .map(|m| format!(" AND p.model_version = {}", self.bind_text(m)))
                        .unwrap_or_default()
                ),
                task: "p.task_id",
                result: "p.result",
                giver: "p.model_version",
                control: control.clone(),
            },
            _ => return None,
        })
    }

    /// The relation `(task_id, v, g)` of a field's values; restricted to one task when
    /// `task` names it (a correlated subquery).
    pub fn relation(&mut self, f: &Field, task: Option<&str>) -> String {
        match f {
            Field::Annotators => format!(
                "SELECT a.task_id AS task_id, {ANNOTATOR} AS v, {ANNOTATOR} AS g \
                 FROM annotations a LEFT JOIN users u ON u.id = a.completed_by \
                 WHERE a.was_cancelled = 0{}",
                task.map(|t| format!(" AND a.task_id = {t}"))
                    .unwrap_or_default()
            ),
            Field::Model => format!(
                "SELECT p.task_id AS task_id, p.model_version AS v, p.model_version AS g \
                 FROM predictions p{}",
                task.map(|t| format!(" WHERE p.task_id = {t}"))
                    .unwrap_or_default()
            ),
            Field::Label { .. } | Field::Prediction { .. } => {
                let r = self.result_rows(f).expect("a control's field");
                let c = self.bind_text(&r.control);
                format!(
                    "SELECT {} AS task_id, e.value AS v, {} AS g \
                     FROM {}, json_each(lt_values({}, {c})) e WHERE {}{}",
                    r.task,
                    r.giver,
                    r.from,
                    r.result,
                    r.keep,
                    task.map(|t| format!(" AND {} = {t}", r.task))
                        .unwrap_or_default()
                )
            }
            // One value per task: itself.
            scalar => {
                let x = self.scalar(scalar);
                let from = if self.needs_data {
                    "tasks t JOIN task_data d ON d.task_id = t.id"
                } else {
                    "tasks t"
                };
                format!(
                    "SELECT t.id AS task_id, {x} AS v, NULL AS g FROM {from}{}",
                    task.map(|tt| format!(" WHERE t.id = {tt}"))
                        .unwrap_or_default()
                )
            }
        }
    }

    /// Like [`Builder::relation`] with every task's rows together (by task id), but for
    /// `label:` / `prediction:` `v` is the whole result list and the control comes back:
    /// the caller reads the values with a [`ControlReader`], once per result.
    pub fn raw_relation(&mut self, f: &Field) -> (String, Option<String>) {
        match self.result_rows(f) {
            Some(r) => (
                format!(
                    "SELECT {} AS task_id, {} AS v, {} AS g FROM {} WHERE {}",
                    r.task, r.result, r.giver, r.from, r.keep
                ),
                Some(r.control),
            ),
            None => (self.relation(f, None), None),
        }
    }

    /// The condition that `x` (a value of `field`) matches a positive operator.
    fn compare(&mut self, x: &str, field: &Field, op: Op, operand: &Operand) -> String {
        let native = field.is_numeric() || is_text_column(field);
        let as_param = |b: &mut Builder, v: &Value| -> String {
            if is_text_column(field) {
                b.bind_text(&v.to_string())
            } else if field.is_numeric() {
                b.bind(v.as_f64().map_or(SqlValue::Null, |n| match v {
                    Value::Integer(i) => SqlValue::Integer(*i),
                    _ => SqlValue::Real(n),
                }))
            } else {
                b.bind(sql_value(v))
            }
        };
        match (op, operand) {
            (Op::Contains, Operand::Value(v)) => {
                let p = self.bind_text(&like_pattern(&v.to_string()));
                format!("(CAST({x} AS TEXT) LIKE {p} ESCAPE '\\')")
            }
            (Op::Regex, Operand::Value(v)) => {
                let p = self.bind_text(&v.to_string());
                format!("regexp({p}, {x})")
            }
            (Op::In, Operand::Range(a, b)) => {
                let (a, b) = (as_param(self, a), as_param(self, b));
                if native {
                    format!("({x} BETWEEN {a} AND {b})")
                } else {
                    format!("(lt_cmp({x}, {a}) >= 0 AND lt_cmp({x}, {b}) <= 0)")
                }
            }
            (op, Operand::Value(v)) => {
                let sym = match op {
                    Op::Equal => "=",
                    Op::Less => "<",
                    Op::Greater => ">",
                    Op::LessOrEqual => "<=",
                    Op::GreaterOrEqual => ">=",
                    _ => unreachable!("checked by Filter::new"),
                };
                let p = as_param(self, v);
                if native {
                    format!("({x} {sym} {p})")
                } else {
                    format!("(lt_cmp({x}, {p}) {sym} 0)")
                }
            }
            _ => "0".into(),
        }
    }

    /// One filter as a condition on `t`.
    pub fn filter(&mut self, f: &Filter) -> String {
        if let Some(cond) = self.any_filter(f) {
            return cond;
        }
        if f.field.is_multi() {
            let rel = self.relation(&f.field, None);
            return match (f.op, &f.operand) {
                (Op::Empty, Operand::Bool(empty)) => format!(
                    "(t.id {} (SELECT rr.task_id FROM ({rel}) rr))",
                    if *empty { "NOT IN" } else { "IN" }
                ),
                (op, operand) => {
                    let cond = self.compare("rr.v", &f.field, op.positive(), operand);
                    format!(
                        "(t.id {} (SELECT rr.task_id FROM ({rel}) rr WHERE {cond}))",
                        if op.is_negated() { "NOT IN" } else { "IN" }
                    )
                }
            };
        }
        let x = self.scalar(&f.field);
        match (f.op, &f.operand) {
            (Op::Empty, Operand::Bool(empty)) => {
                let cond = empty_sql(&x);
                if *empty {
                    cond
                } else {
                    format!("(NOT {cond})")
                }
            }
            (op, operand) if op.is_negated() => {
                let cond = self.compare(&x, &f.field, op.positive(), operand);
                format!("COALESCE(NOT {cond}, 1)")
            }
            (op, operand) => {
                let cond = self.compare(&x, &f.field, op, operand);
                format!("COALESCE({cond}, 0)")
            }
        }
    }

    /// A comparison on a control's values (`label:` / `prediction:`) through `lt_any`:
    /// the same tasks as the relation with `lt_cmp`, but each result is parsed once and
    /// no value list is written out. `None` for other filters.
    fn any_filter(&mut self, f: &Filter) -> Option<String> {
        let positive = f.op.positive();
        let code = ANY_OPS.iter().position(|o| *o == positive)?;
        let (a, b) = match &f.operand {
            Operand::Value(v) if positive != Op::In => (sql_value(v), SqlValue::Null),
            Operand::Range(a, b) if positive == Op::In => (sql_value(a), sql_value(b)),
            _ => return None,
        };
        let r = self.result_rows(&f.field)?;
        let c = self.bind_text(&r.control);
        let table = format!("SELECT {} FROM {} WHERE {}", r.task, r.from, r.keep);
        let result = r.result;
        let a = self.bind(a);
        let b = self.bind(b);
        Some(format!(
            "(t.id {} ({table} AND lt_any({result}, {c}, {code}, {a}, {b})))",
            if f.op.is_negated() { "NOT IN" } else { "IN" }
        ))
    }

    /// The WHERE condition of a query (`1` for all tasks).
    pub fn condition(&mut self, q: &Query) -> String {
        let mut parts = Vec::new();
        if !q.filters.is_empty() {
            let conds: Vec<String> = q.filters.iter().map(|f| self.filter(f)).collect();
            let sep = match q.join {
                Join::And => " AND ",
                Join::Or => " OR ",
            };
            parts.push(format!("({})", conds.join(sep)));
        }
        if let Some(m) = crate::store::fts::match_expr(&q.search, true) {
            let m = self.bind_text(&m);
            parts.push(format!(
                "t.id IN (SELECT rowid FROM task_fts WHERE task_fts MATCH {m})"
            ));
        }
        if parts.is_empty() {
            "1".into()
        } else {
            parts.join(" AND ")
        }
    }

    /// The sort of a query as key expressions (each with whether descending; NULLs
    /// last either way) before the task id, and whether the id goes descending: the
    /// terms after a sort on the id never decide.
    pub fn sort_keys(&mut self, q: &Query) -> (Vec<(String, bool)>, bool) {
        let mut keys = Vec::new();
        for s in &q.sort {
            if s.field == Field::Id {
                return (keys, s.descending);
            }
            let x = self.scalar(&s.field);
            let key = if s.field.is_numeric() || is_text_column(&s.field) {
                x
            } else {
                format!("lt_num({x})")
            };
            keys.push((key, s.descending));
        }
        (keys, false)
    }

    /// The sort of a query as columns to read and order in Rust (see `result::sorted_ids`):
    /// like [`Builder::sort_keys`], but a data key comes as the data text and its path,
    /// read once per row in Rust, and text that reads as a number is turned into one there
    /// (what `lt_num` does in SQL).
    pub fn sort_columns(&mut self, q: &Query) -> (Vec<SortColumn>, bool) {
        let mut columns = Vec::new();
        for s in &q.sort {
            if s.field == Field::Id {
                return (columns, s.descending);
            }
            let (expr, read) = match &s.field {
                Field::Data(p) => {
                    self.needs_data = true;
                    ("d.data".to_string(), SortRead::Data(p.clone()))
                }
                f if f.is_numeric() || is_text_column(f) => (self.scalar(f), SortRead::AsIs),
                f => (self.scalar(f), SortRead::Numeric),
            };
            columns.push(SortColumn {
                expr,
                descending: s.descending,
                read,
            });
        }
        (columns, false)
    }

    /// ORDER BY terms of a query, ending with the task id.
    pub fn order(&mut self, q: &Query) -> String {
        let (keys, id_descending) = self.sort_keys(q);
        let mut terms: Vec<String> = keys
            .into_iter()
            .map(|(k, d)| format!("{k} {} NULLS LAST", if d { "DESC" } else { "ASC" }))
            .collect();
        terms.push(if id_descending { "t.id DESC" } else { "t.id" }.into());
        terms.join(", ")
    }

    /// `tasks t`, joined with `task_data d` when needed. Call after building the rest.
    pub fn from(&self) -> &'static str {
        if self.needs_data {
            "tasks t JOIN task_data d ON d.task_id = t.id"
        } else {
            "tasks t"
        }
    }
}

/// Binds the parameters a statement uses: `?N` names `params[N - 1]`, and a statement
/// may use only some of a builder's parameters.
pub(crate) fn bind(st: &mut rusqlite::Statement<'_>, params: &[SqlValue]) -> rusqlite::Result<()> {
    for i in 1..=st.parameter_count() {
        st.raw_bind_parameter(i, &params[i - 1])?;
    }
    Ok(())
}

/// The first row of `sql` read by `f`.
pub(crate) fn one<T>(
    conn: &Connection,
    sql: &str,
    params: &[SqlValue],
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let mut st = conn.prepare_cached(sql)?;
    bind(&mut st, params)?;
    let mut rows = st.raw_query();
    match rows.next()? {
        Some(r) => f(r),
        None => Err(rusqlite::Error::QueryReturnedNoRows),
    }
}

/// A value as a number when it is one or reads as one.
fn num(v: &ValueRef<'_>) -> Option<f64> {
    match v {
        ValueRef::Integer(i) => Some(*i as f64),
        ValueRef::Real(r) => Some(*r),
        ValueRef::Text(t) => std::str::from_utf8(t).ok().and_then(super::parse::number),
        _ => None,
    }
}

fn text(v: &ValueRef<'_>) -> String {
    match v {
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => r.to_string(),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Null => String::new(),
    }
}

/// Reads one control's values out of result lists (JSON text): each item of the control
/// contributes the values under its type's key (`value.choices`, `value.labels`,
/// `value.rating`; a TextArea's under `value.text`), one per element of a list, a taxonomy
/// path joined by " / ", booleans as `true` / `false`, objects as JSON text; strings come
/// as text (borrowed from the result unless escaped), numbers as integer or real. Read
/// with [`json_scan`], once per row and without building the result's tree: that would
/// cost most of a query over a whole project.
pub(crate) struct ControlReader {
    name: String,
    finder: memchr::memmem::Finder<'static>,
}

impl ControlReader {
    pub(crate) fn new(control: &str) -> ControlReader {
        ControlReader {
            name: control.to_string(),
            finder: memchr::memmem::Finder::new(control.as_bytes()).into_owned(),
        }
    }

    /// Calls `f` with each value of the control in `result`, in order, until `f`
    /// returns false.
    pub(crate) fn each(&self, result: &[u8], mut f: impl FnMut(ValueRef<'_>) -> bool) {
        // Most rows of a project with several controls do not name this one; a name could
        // only hide behind an escape.
        if self.finder.find(result).is_none() && memchr::memchr(b'\\', result).is_none() {
            return;
        }
        let mut go_on = true;
        json_scan::elements_at(result, |s, i| {
            if s[i] != b'{' {
                return json_scan::value_end(s, i);
            }
            let (mut from_name, mut kind, mut value) = (None, None, None);
            let json_scan::Members::End(end) = json_scan::members_from(s, i, |k, v| {
                if from_name.is_none() && json_scan::key_is(k, "from_name") {
                    from_name = Some(v);
                } else if kind.is_none() && json_scan::key_is(k, "type") {
                    kind = Some(v);
                } else if value.is_none() && json_scan::key_is(k, "value") {
                    value = Some(v);
                }
                true
            }) else {
                return None;
            };
            let named = from_name.is_some_and(|n| json_scan::string_is(n, &self.name));
            let (true, Some(kind), Some(value)) = (named, kind.and_then(json_scan::string), value)
            else {
                return Some(end);
            };
            let key = if kind == "textarea" { "text" } else { &kind };
            let Some(found) = json_scan::member(value, key) else {
                return Some(end);
            };
            let mut one = |v: &[u8]| {
                if let Some(leaf) = leaf(v) {
                    go_on = f(leaf.as_ref());
                }
                go_on
            };
            if json_scan::kind(found) == Some(json_scan::Kind::Array) {
                json_scan::elements(found, one);
            } else {
                one(found);
            }
            go_on.then_some(end)
        });
    }
}

/// A control's value (see [`ControlReader`]).
enum Leaf<'a> {
    Text(std::borrow::Cow<'a, str>),
    Integer(i64),
    Real(f64),
}

impl Leaf<'_> {
    fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Leaf::Text(t) => ValueRef::Text(t.as_bytes()),
            Leaf::Integer(i) => ValueRef::Integer(*i),
            Leaf::Real(r) => ValueRef::Real(*r),
        }
    }
}

/// One value of a control; `None` for null.
fn leaf(v: &[u8]) -> Option<Leaf<'_>> {
    use json_scan::Kind;
    use std::borrow::Cow;
    Some(match json_scan::kind(v)? {
        Kind::Null => return None,
        Kind::True => Leaf::Text(Cow::Borrowed("true")),
        Kind::False => Leaf::Text(Cow::Borrowed("false")),
        Kind::String => Leaf::Text(json_scan::string(v)?),
        Kind::Number => match json_scan::number(v)? {
            SqlValue::Integer(i) => Leaf::Integer(i),
            SqlValue::Real(r) => Leaf::Real(r),
            _ => return None,
        },
        // A taxonomy path.
        Kind::Array => {
            let mut parts = Vec::new();
            json_scan::elements(v, |p| {
                parts.push(match json_scan::string(p) {
                    Some(s) => s.into_owned(),
                    None => reserialized(p),
                });
                true
            })?;
            Leaf::Text(Cow::Owned(parts.join(" / ")))
        }
        Kind::Object => Leaf::Text(Cow::Owned(reserialized(v))),
    })
}

/// JSON text written again as `serde_json` writes it (rare: objects and non-text parts
/// of a path).
fn reserialized(v: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(v)
        .map(|j| j.to_string())
        .unwrap_or_else(|_| String::from_utf8_lossy(v).into_owned())
}

impl ControlReader {
    /// The control's values in `result`, owned; `None` when there are none.
    fn values(&self, result: &[u8]) -> Option<Vec<SqlValue>> {
        let mut out = Vec::new();
        self.each(result, |v| {
            out.push(owned(v));
            true
        });
        (!out.is_empty()).then_some(out)
    }

    /// [`ControlReader::values`] as a JSON array (what `json_each` reads back).
    fn values_json(&self, result: &[u8]) -> Option<String> {
        self.values(result).map(|vs| {
            serde_json::Value::Array(
                vs.into_iter()
                    .map(|v| match v {
                        SqlValue::Integer(i) => serde_json::Value::from(i),
                        SqlValue::Real(r) => serde_json::Value::from(r),
                        SqlValue::Text(t) => serde_json::Value::String(t),
                        _ => serde_json::Value::Null,
                    })
                    .collect(),
            )
            .to_string()
        })
    }
}

/// An owned copy of a value SQLite returned.
pub(crate) fn owned(v: ValueRef<'_>) -> SqlValue {
    match v {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(i) => SqlValue::Integer(i),
        ValueRef::Real(r) => SqlValue::Real(r),
        ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
    }
}

/// A control's values in `result`, as `json_each(lt_values(..))` yields them.
#[cfg(test)]
pub(crate) fn control_sql_values(result: &[u8], control: &[u8]) -> Vec<SqlValue> {
    ControlReader::new(std::str::from_utf8(control).unwrap_or_default())
        .values(result)
        .unwrap_or_default()
}

/// `lt_cmp`: numerically when both are numbers, else as text; `None` when a side is NULL.
fn lt_cmp(a: &ValueRef<'_>, b: &ValueRef<'_>) -> Option<Ordering> {
    if matches!(a, ValueRef::Null) || matches!(b, ValueRef::Null) {
        return None;
    }
    Some(match (num(a), num(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => match (a, b) {
            (ValueRef::Text(x) | ValueRef::Blob(x), ValueRef::Text(y) | ValueRef::Blob(y)) => {
                x.cmp(y)
            }
            _ => text(a).cmp(&text(b)),
        },
    })
}

/// Operators `lt_any` applies, by code.
const ANY_OPS: [Op; 6] = [
    Op::Equal,
    Op::Less,
    Op::Greater,
    Op::LessOrEqual,
    Op::GreaterOrEqual,
    Op::In,
];

/// Whether an `equal` operand can only match a value whose JSON text holds it as is:
/// text that is no number and has nothing JSON escapes or joins (taxonomy paths,
/// objects).
fn literal_needle<'a>(v: &ValueRef<'a>) -> Option<&'a [u8]> {
    match v {
        ValueRef::Text(t)
            if !t.is_empty()
                && num(v).is_none()
                && !t
                    .iter()
                    .any(|&c| c < 0x20 || matches!(c, b'"' | b'\\' | b'/' | b'{' | b'[')) =>
        {
            Some(t)
        }
        _ => None,
    }
}

/// `f` of the value at the path of keys (arguments 1..) in the JSON text of argument 0.
fn at_data_path<T>(
    ctx: &rusqlite::functions::Context<'_>,
    f: impl FnOnce(&[u8]) -> T,
) -> Option<T> {
    let ValueRef::Text(data) = ctx.get_raw(0) else {
        return None;
    };
    let mut v = data;
    for i in 1..ctx.len() {
        let ValueRef::Text(k) = ctx.get_raw(i) else {
            return None;
        };
        v = json_scan::member(v, std::str::from_utf8(k).ok()?)?;
    }
    Some(f(json_scan::trim(v)))
}

/// Registers the functions queries use on a connection (again is harmless):
/// `lt_cmp(a, b)` compares numerically when both are numbers, else as text (NULL when a
/// side is NULL); `lt_num(x)` is x as a number when it reads as one (for sorting CSV
/// text numerically); `lt_values(result, control)` (see [`ControlReader::values_json`]); `regexp(pattern, x)` backs SQL's REGEXP with the `regex` crate.
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("lt_cmp", 2, flags, |ctx| {
        Ok(lt_cmp(&ctx.get_raw(0), &ctx.get_raw(1)).map(|o| o as i64))
    })?;
    // lt_any(result, control, op, a, b): whether any of the control's values compares
    // with `a` (and `b`, for a range) as `op` (a code of ANY_OPS) would through lt_cmp;
    // what `EXISTS (.. json_each(lt_values(..)) e WHERE lt_cmp(e.value, a) ..)` answers,
    // without writing the values out as JSON and reading them back.
    conn.create_scalar_function("lt_any", 5, flags, |ctx| {
        let (ValueRef::Text(result), ValueRef::Text(_)) = (ctx.get_raw(0), ctx.get_raw(1)) else {
            return Ok(false);
        };
        let op = ANY_OPS
            .get(ctx.get::<i64>(2)? as usize)
            .copied()
            .unwrap_or(Op::Equal);
        let (a, b) = (ctx.get_raw(3), ctx.get_raw(4));
        if op == Op::Equal
            && !result.contains(&b'\\')
            && literal_needle(&a).is_some_and(|n| memchr::memmem::find(result, n).is_none())
        {
            return Ok(false);
        }
        let reader = ctx.get_or_create_aux(1, |c| -> rusqlite::Result<ControlReader> {
            Ok(ControlReader::new(&text(&c)))
        })?;
        let mut any = false;
        reader.each(result, |v| {
            let Some(x) = lt_cmp(&v, &a) else {
                return true;
            };
            any = match op {
                Op::Equal => x.is_eq(),
                Op::Less => x.is_lt(),
                Op::Greater => x.is_gt(),
                Op::LessOrEqual => x.is_le(),
                Op::GreaterOrEqual => x.is_ge(),
                _ => x.is_ge() && lt_cmp(&v, &b).is_some_and(|y| y.is_le()),
            };
            !any
        });
        Ok(any)
    })?;
    conn.create_scalar_function("lt_num", 1, flags, |ctx| {
        let a = ctx.get_raw(0);
        Ok(match a {
            ValueRef::Text(_) => match num(&a) {
                Some(n) => SqlValue::Real(n),
                None => SqlValue::Text(text(&a)),
            },
            ValueRef::Null => SqlValue::Null,
            ValueRef::Integer(i) => SqlValue::Integer(i),
            ValueRef::Real(r) => SqlValue::Real(r),
            ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
        })
    })?;
    conn.create_scalar_function("lt_values", 2, flags, |ctx| {
        Ok(match (ctx.get_raw(0), ctx.get_raw(1)) {
            (ValueRef::Text(result), ValueRef::Text(_)) => ctx
                .get_or_create_aux(1, |c| -> rusqlite::Result<ControlReader> {
                    Ok(ControlReader::new(&text(&c)))
                })?
                .values_json(result),
            _ => None,
        })
    })?;
    // lt_data(data, key, ...): the value at a path of object keys of a task's data, as
    // `Builder::data` describes.
    conn.create_scalar_function("lt_data", -1, flags, |ctx| {
        Ok(at_data_path(ctx, json_scan::sql_value).unwrap_or(SqlValue::Null))
    })?;
    conn.create_scalar_function("regexp", 2, flags, |ctx| {
        let re = ctx.get_or_create_aux(0, |v| -> Result<regex::Regex, rusqlite::Error> {
            regex::Regex::new(&text(&v))
                .map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))
        })?;
        let x = ctx.get_raw(1);
        if matches!(x, ValueRef::Null) {
            return Ok(None);
        }
        Ok(Some(re.is_match(&text(&x))))
    })?;
    Ok(())
}
