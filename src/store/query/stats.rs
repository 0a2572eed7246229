//! Frequency tables, descriptions and histograms of a field over a query's tasks. Each
//! bucket turns back into the filters that select the tasks counted in it.

use super::result::IdSet;
use super::sql::ControlReader;
use super::sql::{Builder, bind, from_sql, one, register};
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

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A number as a hash key: -0.0 and 0.0 are one value, integers and reals of equal value
/// one value.
fn number_bits(v: ValueRef<'_>) -> Option<u64> {
    match v {
        ValueRef::Integer(i) => Some((i as f64).to_bits()),
        ValueRef::Real(r) => Some(if r == 0.0 { 0.0f64 } else { r }.to_bits()),
        _ => None,
    }
}

/// How many times each value was seen. Values are looked up as SQLite hands them over,
/// so a value seen before is never copied: a frequency table reads a million of them.
#[derive(Default)]
struct Counts {
    text: FastMap<Box<[u8]>, usize>,
    numbers: FastMap<u64, usize>,
    /// Each distinct value as first seen, and its count.
    rows: Vec<(Value, u64)>,
}

impl Counts {
    /// The index of a value in `rows` (made, with a count of 0, on first sight). NULL
    /// counts as a value of its own.
    fn slot(&mut self, v: ValueRef<'_>) -> usize {
        let next = self.rows.len();
        let i = match v {
            ValueRef::Text(t) | ValueRef::Blob(t) => match self.text.get(t) {
                Some(&i) => i,
                None => {
                    self.text.insert(t.into(), next);
                    next
                }
            },
            ValueRef::Null => *self.numbers.entry(f64::NAN.to_bits()).or_insert(next),
            number => *self
                .numbers
                .entry(number_bits(number).unwrap_or_default())
                .or_insert(next),
        };
        if i == next {
            self.rows.push((from_sql(v), 0));
        }
        i
    }

    fn add(&mut self, v: ValueRef<'_>) {
        let i = self.slot(v);
        self.rows[i].1 += 1;
    }

    /// Most frequent first, ties in SQLite's order of the values.
    fn rows(self) -> impl Iterator<Item = FreqRow> {
        let mut rows: Vec<(Key, (Value, u64))> = self
            .rows
            .into_iter()
            .map(|(v, c)| (Key::of(&super::sql::sql_value(&v)), (v, c)))
            .collect();
        rows.sort_by(|(ka, (_, ca)), (kb, (_, cb))| cb.cmp(ca).then_with(|| ka.cmp(kb)));
        rows.into_iter()
            .map(|(_, (value, count))| FreqRow { value, count })
    }
}

/// The distinct values seen (as [`Counts`] tells them apart), without copies of values
/// seen before.
#[derive(Default)]
struct Distinct {
    text: std::collections::HashSet<Box<[u8]>, foldhash::fast::RandomState>,
    numbers: std::collections::HashSet<u64, foldhash::fast::RandomState>,
}

impl Distinct {
    fn add(&mut self, v: ValueRef<'_>) {
        match v {
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                if !self.text.contains(t) {
                    self.text.insert(t.into());
                }
            }
            ValueRef::Null => {
                self.numbers.insert(f64::NAN.to_bits());
            }
            number => {
                self.numbers.insert(number_bits(number).unwrap_or_default());
            }
        }
    }

    fn len(&self) -> u64 {
        (self.text.len() + self.numbers.len()) as u64
    }
}

/// Whether a value is what `empty true` matches: NULL, `""`, `[]` or `{}`.
fn is_empty_value(v: ValueRef<'_>) -> bool {
    match v {
        ValueRef::Null => true,
        ValueRef::Text(t) => matches!(t, b"" | b"[]" | b"{}"),
        _ => false,
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
    distinct: Distinct,
    types: HashMap<String, u64>,
    numbers: Running,
    lengths: Running,
}

impl Summary {
    /// A value that is not empty, with its type's name.
    fn add(&mut self, v: ValueRef<'_>, ty: &str) {
        self.values += 1;
        match self.types.get_mut(ty) {
            Some(n) => *n += 1,
            None => {
                self.types.insert(ty.to_string(), 1);
            }
        }
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
        self.distinct.add(v);
    }

    fn finish(self) -> Describe {
        let mut types: Vec<(String, u64)> = self.types.into_iter().collect();
        types.sort_by(|(ta, ca), (tb, cb)| cb.cmp(ca).then_with(|| ta.cmp(tb)));
        Describe {
            values: self.values,
            distinct: self.distinct.len(),
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
        "(CASE WHEN {} THEN NULL ELSE {x} END)",
        super::sql::empty_sql(x)
    )
}

/// The tasks a query matches, to test rows of a relation against in Rust: cheaper than
/// `task_id IN (SELECT ..)`, which SQLite answers through a temporary index of them.
enum TaskFilter {
    All,
    Some(IdSet),
}

impl TaskFilter {
    fn contains(&self, id: i64) -> bool {
        match self {
            TaskFilter::All => true,
            TaskFilter::Some(ids) => ids.contains(id),
        }
    }
}

impl Store {
    /// The query's tasks as a [`TaskFilter`] and how many there are.
    fn task_filter(&self, q: &Query) -> Result<(TaskFilter, u64)> {
        let mut b = Builder::default();
        let cond = b.condition(q);
        if cond == "1" {
            return Ok((TaskFilter::All, self.query_count(q)?));
        }
        let sql = match super::result::search_alone(q) {
            // A search alone: the index lists its tasks without visiting them.
            Some(m) => {
                b = Builder::default();
                let m = b.bind(SqlValue::Text(m));
                format!("SELECT rowid FROM task_fts WHERE task_fts MATCH {m}")
            }
            None => format!("SELECT t.id FROM {} WHERE {cond}", b.from()),
        };
        let ids = super::result::collect_ids(self.conn(), &sql, &b.params)?;
        let n = ids.len() as u64;
        Ok((TaskFilter::Some(IdSet::new(ids)), n))
    }
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

impl Store {
    /// How many of the query's tasks hold each value of `field`, most frequent first
    /// (ties by value), tasks without a value last as [`Value::Null`].
    pub fn freq(&self, q: &Query, field: &Field) -> Result<Vec<FreqRow>> {
        self.ensure_search_index_for(&q.search)?;
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
            let control = control.as_deref().map(ControlReader::new);
            let (tasks, matched) = self.task_filter(q)?;
            let sql = format!(
                "SELECT rr.task_id, rr.v FROM ({rel}) rr WHERE rr.v IS NOT NULL ORDER BY rr.task_id"
            );
            let mut st = conn.prepare(&sql)?;
            bind(&mut st, &b.params)?;
            let mut it = st.raw_query();
            let mut counts = Counts::default();
            // The values (as slots of `counts`) the current task holds: each counts once.
            let mut task_values: Vec<usize> = Vec::new();
            let mut current = None;
            let mut counted = 0i64;
            let mut add = |v: ValueRef<'_>, task_values: &mut Vec<usize>| {
                if matches!(v, ValueRef::Null) {
                    return;
                }
                let i = counts.slot(v);
                if !task_values.contains(&i) {
                    task_values.push(i);
                    counts.rows[i].1 += 1;
                }
            };
            while let Some(r) = it.next()? {
                let task: i64 = r.get(0)?;
                if !tasks.contains(task) {
                    continue;
                }
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
                        c.each(result, |v| {
                            add(v, &mut task_values);
                            true
                        });
                    }
                    (Some(_), _) => {}
                    (None, v) => add(v, &mut task_values),
                }
            }
            if !task_values.is_empty() {
                counted += 1;
            }
            rows.extend(counts.rows());
            missing = matched as i64 - counted;
        } else {
            // Status and review are never empty and the numeric columns are numbers or
            // NULL: their (costly, for status and review) expression is read once a row.
            let x = b.scalar(field);
            let cond = b.condition(q);
            // Counted in Rust as the rows come: no sort of the whole project to group.
            let sql = format!("SELECT {x} FROM {} WHERE {cond}", b.from());
            let mut st = conn.prepare(&sql)?;
            bind(&mut st, &b.params)?;
            let mut it = st.raw_query();
            let mut counts = Counts::default();
            while let Some(r) = it.next()? {
                // Empty values count as missing, as `empty true` selects them.
                match r.get_ref(0)? {
                    v if is_empty_value(v) => missing += 1,
                    v => counts.add(v),
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
        self.ensure_search_index_for(&q.search)?;
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
        let control = ControlReader::new(&control.unwrap_or_default());
        let (tasks, _) = self.task_filter(q)?;
        let sql = format!(
            "SELECT rr.task_id, rr.v, rr.g FROM ({rel}) rr WHERE rr.g IS NOT NULL ORDER BY rr.task_id"
        );
        let mut st = conn.prepare(&sql)?;
        bind(&mut st, &b.params)?;
        let mut it = st.raw_query();
        // A group's name and its value counts, by the group's text.
        let mut groups: Vec<(String, Counts)> = Vec::new();
        let mut group_of: FastMap<Box<[u8]>, usize> = FastMap::default();
        // The (group, value) pairs the current task holds: each counts once.
        let mut seen: Vec<(usize, usize)> = Vec::new();
        let mut current = None;
        while let Some(r) = it.next()? {
            let task: i64 = r.get(0)?;
            if !tasks.contains(task) {
                continue;
            }
            if current != Some(task) {
                seen.clear();
                current = Some(task);
            }
            let ValueRef::Text(result) = r.get_ref(1)? else {
                continue;
            };
            let g = match r.get_ref(2)? {
                ValueRef::Text(t) | ValueRef::Blob(t) => std::borrow::Cow::Borrowed(t),
                other => std::borrow::Cow::Owned(from_sql(other).to_string().into_bytes()),
            };
            let gi = match group_of.get(g.as_ref()) {
                Some(&i) => i,
                None => {
                    group_of.insert(g.as_ref().into(), groups.len());
                    groups.push((String::from_utf8_lossy(&g).into_owned(), Counts::default()));
                    groups.len() - 1
                }
            };
            let counts = &mut groups[gi].1;
            control.each(result, |v| {
                let i = counts.slot(v);
                if !seen.contains(&(gi, i)) {
                    seen.push((gi, i));
                    counts.rows[i].1 += 1;
                }
                true
            });
        }
        groups.sort_by(|(a, _), (b, _)| a.as_bytes().cmp(b.as_bytes()));
        Ok(groups
            .into_iter()
            .flat_map(|(group, counts)| {
                counts
                    .rows()
                    .filter(|r| r.count > 0)
                    .map(move |r| GroupFreqRow {
                        group: group.clone(),
                        value: r.value,
                        count: r.count,
                    })
            })
            .collect())
    }

    /// Count, distinct values, missing, types, and the spread of numbers or text lengths
    /// of `field` over the query's tasks.
    pub fn describe(&self, q: &Query, field: &Field) -> Result<Describe> {
        self.ensure_search_index_for(&q.search)?;
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
            // A data key is read out of the data text here, value and JSON type in one
            // pass, instead of by two SQL functions that would each read the text.
            let path = match field {
                Field::Data(p) => Some(p),
                _ => None,
            };
            let x = match path {
                Some(_) => {
                    b.needs_data = true;
                    "d.data".to_string()
                }
                None => b.scalar(field),
            };
            let cond = b.condition(q);
            let sql = format!("SELECT {x} FROM {} WHERE {cond}", b.from());
            let mut st = conn.prepare(&sql)?;
            bind(&mut st, &b.params)?;
            let mut it = st.raw_query();
            let mut add = |v: ValueRef<'_>, ty: &str| {
                if is_empty_value(v) {
                    missing += 1;
                } else {
                    acc.add(v, ty);
                }
            };
            while let Some(r) = it.next()? {
                let v = r.get_ref(0)?;
                match (path, v) {
                    (Some(p), ValueRef::Text(data)) => match super::json_scan::path(data, &p.0) {
                        Some(raw) => {
                            let ty = super::json_scan::type_name(raw).unwrap_or_default();
                            super::json_scan::with_value(raw, |v| add(v, ty));
                        }
                        None => add(ValueRef::Null, ""),
                    },
                    (Some(_), _) => add(ValueRef::Null, ""),
                    (None, v) => add(v, sql_type(v)),
                }
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
        self.ensure_search_index_for(&q.search)?;
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
