//! Frequency tables, descriptions and histograms of a field over a query's tasks. Each
//! bucket turns back into the filters that select the tasks counted in it.

use super::sql::{Builder, bind, from_sql, one, register};
use super::sql::{control_sql_values, owned};
use super::{DataPath, Field, Filter, Op, Operand, Query, Value};
use crate::store::{Result, Store};
use rusqlite::types::{Value as SqlValue, ValueRef};
use std::cmp::Ordering;
use std::collections::HashMap;

/// A value as SQLite tells values apart and orders them: numbers (integer or real, by
/// value) before text (by bytes).
#[derive(Debug, Clone, PartialEq)]
enum Key {
    Number(f64),
    Text(Vec<u8>),
}

impl Key {
    fn of(v: &SqlValue) -> Key {
        match v {
            SqlValue::Integer(i) => Key::Number(*i as f64),
            // -0.0 and 0.0 are one value.
            SqlValue::Real(r) => Key::Number(if *r == 0.0 { 0.0 } else { *r }),
            SqlValue::Text(t) => Key::Text(t.as_bytes().to_vec()),
            SqlValue::Blob(b) => Key::Text(b.clone()),
            SqlValue::Null => Key::Number(f64::NAN),
        }
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        match self {
            Key::Number(n) => n.to_bits().hash(h),
            Key::Text(t) => t.hash(h),
        }
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Key::Number(a), Key::Number(b)) => a.total_cmp(b),
            (Key::Number(_), Key::Text(_)) => Ordering::Less,
            (Key::Text(_), Key::Number(_)) => Ordering::Greater,
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
        }
    }
}

/// A group, a value and how many tasks hold the value in the group.
type GroupCount = (String, Value, u64);

/// How many times each value was seen.
#[derive(Default)]
struct Counts(HashMap<Key, (Value, u64)>);

impl Counts {
    fn add(&mut self, v: &SqlValue) {
        self.0
            .entry(Key::of(v))
            .or_insert_with(|| (from_sql(v.into()), 0))
            .1 += 1;
    }

    /// Most frequent first, ties in SQLite's order of the values.
    fn rows(self) -> impl Iterator<Item = FreqRow> {
        let mut rows: Vec<(Key, (Value, u64))> = self.0.into_iter().collect();
        rows.sort_by(|(ka, (_, ca)), (kb, (_, cb))| cb.cmp(ca).then_with(|| ka.cmp(kb)));
        rows.into_iter()
            .map(|(_, (value, count))| FreqRow { value, count })
    }
}

/// SQLite's `typeof`.
fn sql_type(v: ValueRef<'_>) -> &'static str {
    match v {
        ValueRef::Null => "null",
        ValueRef::Integer(_) => "integer",
        ValueRef::Real(_) => "real",
        ValueRef::Text(_) => "text",
        ValueRef::Blob(_) => "blob",
    }
}

/// Running min, max and sum.
#[derive(Default)]
struct Running {
    n: u64,
    min: f64,
    max: f64,
    sum: f64,
}

impl Running {
    fn add(&mut self, x: f64) {
        if self.n == 0 {
            (self.min, self.max) = (x, x);
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        self.n += 1;
        self.sum += x;
    }

    fn spread(&self) -> Option<Spread> {
        (self.n > 0).then(|| Spread {
            min: self.min,
            max: self.max,
            mean: self.sum / self.n as f64,
        })
    }
}

/// What [`Store::describe`] gathers from the values, one at a time.
#[derive(Default)]
struct Summary {
    values: u64,
    distinct: std::collections::HashSet<Key>,
    types: HashMap<String, u64>,
    numbers: Running,
    lengths: Running,
}

impl Summary {
    /// A value that is not empty, with its type's name.
    fn add(&mut self, v: ValueRef<'_>, ty: impl Into<String>) {
        self.values += 1;
        *self.types.entry(ty.into()).or_default() += 1;
        // As lt_num: numbers, and text that reads as one, count as numbers; other text
        // by its length in characters.
        match v {
            ValueRef::Integer(i) => self.numbers.add(i as f64),
            ValueRef::Real(r) => self.numbers.add(r),
            ValueRef::Text(t) => {
                let text = String::from_utf8_lossy(t);
                match super::parse::number(&text) {
                    Some(n) => self.numbers.add(n),
                    None => self.lengths.add(text.chars().count() as f64),
                }
            }
            _ => {}
        }
        self.distinct.insert(Key::of(&owned(v)));
    }

    fn finish(self) -> Describe {
        let mut types: Vec<(String, u64)> = self.types.into_iter().collect();
        types.sort_by(|(ta, ca), (tb, cb)| cb.cmp(ca).then_with(|| ta.cmp(tb)));
        Describe {
            values: self.values,
            distinct: self.distinct.len() as u64,
            types,
            numbers: self.numbers.spread(),
            lengths: self.lengths.spread(),
            ..Describe::default()
        }
    }
}

/// A value and how many tasks hold it. [`Value::Null`] counts the tasks without a value
/// (missing, null, `""`, `[]` or `{}`: what `empty true` matches).
#[derive(Debug, Clone, PartialEq)]
pub struct FreqRow {
    pub value: Value,
    pub count: u64,
}

/// What [`Store::freq_by`] groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// Each user with a submitted annotation; for `label:CONTROL`, the annotator who gave
    /// the value.
    Annotator,
    /// Each prediction's model_version; for `prediction:CONTROL`, the model that gave the
    /// value.
    Model,
}

/// A value within a group (an annotator, a model_version) and how many tasks hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFreqRow {
    pub group: String,
    pub value: Value,
    pub count: u64,
}

/// A field's values over a query's tasks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Describe {
    /// Tasks the query matches.
    pub tasks: u64,
    /// Values found (a task may hold several of some fields).
    pub values: u64,
    pub distinct: u64,
    /// Tasks without a value.
    pub missing: u64,
    /// Types of the values and how many of each: `integer`, `real`, `text`, and for data
    /// keys JSON's `true`, `false`, `null`, `array`, `object`.
    pub types: Vec<(String, u64)>,
    /// Of the values that are numbers (or read as numbers).
    pub numbers: Option<Spread>,
    /// Of the lengths (characters) of the values that are text.
    pub lengths: Option<Spread>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub min: f64,
    pub max: f64,
    pub mean: f64,
}

/// A histogram bucket: values in `lo..hi` (`hi` included in the last bucket only).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub count: u64,
    pub last: bool,
}

impl FreqRow {
    /// The filter that selects the tasks counted in this row.
    pub fn filter(&self, field: &Field) -> Filter {
        Filter::equal(field.clone(), self.value.clone())
    }
}

impl GroupFreqRow {
    /// The filters (joined with and) that select the tasks counted in this row.
    pub fn filters(&self, field: &Field, by: GroupBy) -> Vec<Filter> {
        match (field, by) {
            (Field::Label { control, .. }, GroupBy::Annotator) => vec![Filter::equal(
                Field::Label {
                    control: control.clone(),
                    annotator: Some(self.group.clone()),
                },
                self.value.clone(),
            )],
            (Field::Prediction { control, .. }, GroupBy::Model) => vec![Filter::equal(
                Field::Prediction {
                    control: control.clone(),
                    model: Some(self.group.clone()),
                },
                self.value.clone(),
            )],
            _ => vec![
                Filter::equal(group_field(by), Value::Text(self.group.clone())),
                Filter::equal(field.clone(), self.value.clone()),
            ],
        }
    }
}

impl Bin {
    /// The filters (joined with and) that select the values of this bucket.
    pub fn filters(&self, field: &Field) -> Vec<Filter> {
        vec![
            Filter {
                field: field.clone(),
                op: Op::GreaterOrEqual,
                operand: Operand::Value(Value::Real(self.lo)),
            },
            Filter {
                field: field.clone(),
                op: if self.last { Op::LessOrEqual } else { Op::Less },
                operand: Operand::Value(Value::Real(self.hi)),
            },
        ]
    }
}

fn group_field(by: GroupBy) -> Field {
    match by {
        GroupBy::Annotator => Field::Annotators,
        GroupBy::Model => Field::Model,
    }
}

/// `x`, with the values `empty true` matches as NULL.
fn normalised(x: &str) -> String {
    format!(
        "(CASE WHEN {x} IS NULL OR {x} = '' OR (typeof({x}) = 'text' AND {x} IN ('[]', '{{}}')) THEN NULL ELSE {x} END)"
    )
}

/// Restricts the relation alias `rr` to the query's tasks.
fn in_query(b: &Builder, cond: &str) -> String {
    if cond == "1" {
        String::new()
    } else {
        format!(
            " AND rr.task_id IN (SELECT t.id FROM {} WHERE {cond})",
            b.from()
        )
    }
}

/// A data key's JSON type, for keys SQLite's paths can name.
fn data_type(b: &mut Builder, p: &DataPath) -> Option<String> {
    if p.0.iter().any(|k| k.contains(['"', '\\'])) {
        return None;
    }
    let mut path = String::from("$");
    for k in &p.0 {
        path.push_str(&format!(".\"{k}\""));
    }
    let path = b.bind(SqlValue::Text(path));
    Some(format!("json_type(d.data, {path})"))
}

impl Store {
    /// How many of the query's tasks hold each value of `field`, most frequent first
    /// (ties by value), tasks without a value last as [`Value::Null`].
    pub fn freq(&self, q: &Query, field: &Field) -> Result<Vec<FreqRow>> {
        let conn = self.conn();
        register(conn)?;
        let _cache = super::result::BigCache::new(conn);
        let mut b = Builder::default();
        let mut rows = Vec::new();
        let mut missing = 0;
        if field.is_multi() {
            // One pass over the values by task, counted in Rust: each result list is
            // parsed once and no (task, value) table is written and grouped.
            let (rel, control) = b.raw_relation(field);
            let cond = b.condition(q);
            let sql = format!(
                "SELECT rr.task_id, rr.v FROM ({rel}) rr WHERE rr.v IS NOT NULL{} ORDER BY rr.task_id",
                in_query(&b, &cond)
            );
            let mut st = conn.prepare(&sql)?;
            bind(&mut st, &b.params)?;
            let mut it = st.raw_query();
            let mut counts = Counts::default();
            let mut task_values: Vec<Key> = Vec::new();
            let mut current = None;
            let mut counted = 0i64;
            let mut add = |v: SqlValue, task_values: &mut Vec<Key>| {
                if matches!(v, SqlValue::Null) {
                    return;
                }
                let key = Key::of(&v);
                if task_values.contains(&key) {
                    return;
                }
                task_values.push(key);
                counts.add(&v);
            };
            while let Some(r) = it.next()? {
                let task: i64 = r.get(0)?;
                if current != Some(task) {
                    if !task_values.is_empty() {
                        counted += 1;
                    }
                    task_values.clear();
                    current = Some(task);
                }
                let raw = r.get_ref(1)?;
                match (&control, raw) {
                    (Some(c), ValueRef::Text(result)) => {
                        for v in control_sql_values(result, c.as_bytes()) {
                            add(v, &mut task_values);
                        }
                    }
                    (Some(_), _) => {}
                    (None, v) => add(owned(v), &mut task_values),
                }
            }
            if !task_values.is_empty() {
                counted += 1;
            }
            rows.extend(counts.rows());
            missing = self.query_count(q)? as i64 - counted;
        } else {
            // Status and review are never empty and the numeric columns are numbers or
            // NULL: their (costly, for status and review) expression is read once a row.
            let x = if field.is_numeric() || matches!(field, Field::Status | Field::Review) {
                b.scalar(field)
            } else {
                normalised(&b.scalar(field))
            };
            let cond = b.condition(q);
            // Counted in Rust as the rows come: no sort of the whole project to group.
            let sql = format!("SELECT {x} FROM {} WHERE {cond}", b.from());
            let mut st = conn.prepare(&sql)?;
            bind(&mut st, &b.params)?;
            let mut it = st.raw_query();
            let mut counts = Counts::default();
            while let Some(r) = it.next()? {
                match r.get_ref(0)? {
                    ValueRef::Null => missing += 1,
                    v => counts.add(&owned(v)),
                }
            }
            rows.extend(counts.rows());
        }
        if missing > 0 {
            rows.push(FreqRow {
                value: Value::Null,
                count: missing as u64,
            });
        }
        Ok(rows)
    }

    /// [`Store::freq`] per annotator or per model_version: rows by group, then most
    /// frequent first. Tasks without a value are not counted.
    pub fn freq_by(&self, q: &Query, field: &Field, by: GroupBy) -> Result<Vec<GroupFreqRow>> {
        let conn = self.conn();
        register(conn)?;
        let _cache = super::result::BigCache::new(conn);
        let mut b = Builder::default();
        let own_group = matches!(
            (field, by),
            (Field::Label { .. }, GroupBy::Annotator)
                | (Field::Prediction { .. }, GroupBy::Model)
                | (Field::Annotators, GroupBy::Annotator)
                | (Field::Model, GroupBy::Model)
        );
        if own_group && matches!(field, Field::Label { .. } | Field::Prediction { .. }) {
            return self.freq_by_own_group(q, field, b);
        }
        let sql = if own_group {
            let rel = b.relation(field, None);
            let cond = b.condition(q);
            format!(
                "SELECT rr.g, rr.v, count(DISTINCT rr.task_id) FROM ({rel}) rr \
                 WHERE rr.v IS NOT NULL AND rr.g IS NOT NULL{} GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2",
                in_query(&b, &cond)
            )
        } else {
            let grel = b.relation(&group_field(by), None);
            let (join, k) = if field.is_multi() {
                let rel = b.relation(field, None);
                (
                    format!(" JOIN ({rel}) rr ON rr.task_id = t.id"),
                    "rr.v".to_string(),
                )
            } else {
                (String::new(), normalised(&b.scalar(field)))
            };
            let cond = b.condition(q);
            format!(
                "SELECT gg.v, {k} AS k, count(DISTINCT t.id) FROM {} JOIN ({grel}) gg ON gg.task_id = t.id{join} \
                 WHERE ({cond}) AND k IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2",
                b.from()
            )
        };
        let mut st = conn.prepare(&sql)?;
        bind(&mut st, &b.params)?;
        let mut it = st.raw_query();
        let mut rows = Vec::new();
        while let Some(r) = it.next()? {
            rows.push(GroupFreqRow {
                group: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                value: from_sql(r.get_ref(1)?),
                count: r.get::<_, i64>(2)? as u64,
            });
        }
        Ok(rows)
    }

    /// [`Store::freq_by`] of a control's values by who gave them, in one pass by task
    /// counted in Rust: each result list is parsed once.
    fn freq_by_own_group(
        &self,
        q: &Query,
        field: &Field,
        mut b: Builder,
    ) -> Result<Vec<GroupFreqRow>> {
        let conn = self.conn();
        let (rel, control) = b.raw_relation(field);
        let control = control.unwrap_or_default();
        let cond = b.condition(q);
        let sql = format!(
            "SELECT rr.task_id, rr.v, rr.g FROM ({rel}) rr WHERE rr.g IS NOT NULL{} ORDER BY rr.task_id",
            in_query(&b, &cond)
        );
        let mut st = conn.prepare(&sql)?;
        bind(&mut st, &b.params)?;
        let mut it = st.raw_query();
        let mut counts: HashMap<(Key, Key), GroupCount> = HashMap::new();
        let mut seen: Vec<(Key, Key)> = Vec::new();
        let mut current = None;
        while let Some(r) = it.next()? {
            let task: i64 = r.get(0)?;
            if current != Some(task) {
                seen.clear();
                current = Some(task);
            }
            let ValueRef::Text(result) = r.get_ref(1)? else {
                continue;
            };
            let g = owned(r.get_ref(2)?);
            let gk = Key::of(&g);
            for v in control_sql_values(result, control.as_bytes()) {
                let key = (gk.clone(), Key::of(&v));
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key.clone());
                counts
                    .entry(key)
                    .or_insert_with(|| {
                        let group = match &g {
                            SqlValue::Text(t) => t.clone(),
                            other => from_sql(other.into()).to_string(),
                        };
                        (group, from_sql((&v).into()), 0)
                    })
                    .2 += 1;
            }
        }
        let mut rows: Vec<((Key, Key), GroupCount)> = counts.into_iter().collect();
        rows.sort_by(|((ga, va), (_, _, ca)), ((gb, vb), (_, _, cb))| {
            ga.cmp(gb).then(cb.cmp(ca)).then_with(|| va.cmp(vb))
        });
        Ok(rows
            .into_iter()
            .map(|(_, (group, value, count))| GroupFreqRow {
                group,
                value,
                count,
            })
            .collect())
    }

    /// Count, distinct values, missing, types, and the spread of numbers or text lengths
    /// of `field` over the query's tasks.
    pub fn describe(&self, q: &Query, field: &Field) -> Result<Describe> {
        let conn = self.conn();
        register(conn)?;
        let _cache = super::result::BigCache::new(conn);
        let mut b = Builder::default();
        // One pass over the values, summed up in Rust: SQLite would read them three times
        // (summary, missing, types) and sort them to count the distinct ones.
        let mut acc = Summary::default();
        let mut missing = 0u64;
        if field.is_multi() {
            let rel = b.relation(field, None);
            let cond = b.condition(q);
            let values = format!(
                "SELECT rr.v FROM ({rel}) rr WHERE rr.v IS NOT NULL{}",
                in_query(&b, &cond)
            );
            let mut st = conn.prepare(&values)?;
            bind(&mut st, &b.params)?;
            let mut it = st.raw_query();
            while let Some(r) = it.next()? {
                let v = r.get_ref(0)?;
                acc.add(v, sql_type(v));
            }
            missing = one(
                conn,
                &format!(
                    "SELECT count(*) FROM {} WHERE ({cond}) AND t.id NOT IN (SELECT rr.task_id FROM ({rel}) rr)",
                    b.from()
                ),
                &b.params,
                |r| r.get::<_, i64>(0),
            )? as u64;
        } else {
            let x = b.scalar(field);
            let ty = match field {
                Field::Data(p) => data_type(&mut b, p),
                _ => None,
            };
            let cond = b.condition(q);
            let sql = format!(
                "SELECT {x}, {} FROM {} WHERE {cond}",
                ty.as_deref().unwrap_or("NULL"),
                b.from()
            );
            let mut st = conn.prepare(&sql)?;
            bind(&mut st, &b.params)?;
            let mut it = st.raw_query();
            while let Some(r) = it.next()? {
                let v = r.get_ref(0)?;
                // What `empty true` matches (see `normalised`).
                let empty = match v {
                    ValueRef::Null => true,
                    ValueRef::Text(t) => matches!(t, b"" | b"[]" | b"{}"),
                    _ => false,
                };
                if empty {
                    missing += 1;
                    continue;
                }
                let ty = match r.get_ref(1)? {
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    _ if ty.is_some() => String::new(),
                    _ => sql_type(v).to_string(),
                };
                acc.add(v, ty);
            }
        }
        let mut d = acc.finish();
        d.tasks = self.query_count(q)?;
        d.missing = missing;
        Ok(d)
    }

    /// `bins` equal-width buckets between the smallest and largest number of `field`
    /// over the query's tasks (score, agreement, a data key, a rating); empty when there
    /// is no number.
    pub fn histogram(&self, q: &Query, field: &Field, bins: usize) -> Result<Vec<Bin>> {
        let conn = self.conn();
        register(conn)?;
        let bins = bins.max(1);
        let mut b = Builder::default();
        let numbers = if field.is_multi() {
            let rel = b.relation(field, None);
            let cond = b.condition(q);
            format!(
                "SELECT lt_num(rr.v) AS n FROM ({rel}) rr WHERE 1{}",
                in_query(&b, &cond)
            )
        } else {
            let x = b.scalar(field);
            // Numeric columns are numbers already.
            let n = if field.is_numeric() {
                x
            } else {
                format!("lt_num({x})")
            };
            let cond = b.condition(q);
            format!("SELECT {n} AS n FROM {} WHERE {cond}", b.from())
        };
        // One pass reads the numbers; the range and the buckets are found in Rust.
        let mut st = conn.prepare(&numbers)?;
        bind(&mut st, &b.params)?;
        let mut it = st.raw_query();
        let mut values = Vec::new();
        while let Some(r) = it.next()? {
            match r.get_ref(0)? {
                ValueRef::Integer(i) => values.push(i as f64),
                ValueRef::Real(f) => values.push(f),
                _ => {}
            }
        }
        let Some(lo) = values.iter().copied().reduce(f64::min) else {
            return Ok(Vec::new());
        };
        let hi = values.iter().copied().fold(lo, f64::max);
        let bins = if hi > lo { bins } else { 1 };
        let width = if hi > lo {
            (hi - lo) / bins as f64
        } else {
            1.0
        };
        let mut out: Vec<Bin> = (0..bins)
            .map(|i| Bin {
                lo: lo + i as f64 * width,
                hi: if i + 1 == bins {
                    hi
                } else {
                    lo + (i + 1) as f64 * width
                },
                count: 0,
                last: i + 1 == bins,
            })
            .collect();
        for n in values {
            // As SQL's CAST(.. AS INTEGER): toward zero, then into the range.
            let i = (((n - lo) / width) as i64).clamp(0, bins as i64 - 1);
            out[i as usize].count += 1;
        }
        Ok(out)
    }

    /// The data keys of the first `sample` tasks, nested objects flattened to their
    /// leaves (`data.meta.source`), in order of first appearance: the table's data columns.
    pub fn data_keys(&self, sample: usize) -> Result<Vec<DataPath>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT data FROM task_data ORDER BY task_id LIMIT ?1")?;
        let mut rows = st.query([sample.min(i64::MAX as usize) as i64])?;
        let mut seen = indexmap::IndexSet::new();
        while let Some(r) = rows.next()? {
            let text: String = r.get(0)?;
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                let mut path = Vec::new();
                leaves(&v, &mut path, &mut seen);
            }
        }
        Ok(seen.into_iter().map(DataPath).collect())
    }
}

fn leaves(
    v: &serde_json::Value,
    path: &mut Vec<String>,
    seen: &mut indexmap::IndexSet<Vec<String>>,
) {
    match v {
        serde_json::Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                path.push(k.clone());
                leaves(child, path, seen);
                path.pop();
            }
        }
        _ if !path.is_empty() && !seen.contains(path) => {
            seen.insert(path.clone());
        }
        _ => {}
    }
}
