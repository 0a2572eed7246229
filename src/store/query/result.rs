//! Result sets: a query's matching task ids in order, held in memory (8 bytes a task; the
//! tasks' values are never held). A page reads its few tasks by id in one statement, a
//! jump to a task id scans the ids, and the next row matching a search walks the ids
//! against the search's matching tasks, read once per search and project state; so no
//! key press reruns the query.

use super::json_scan;
use super::sql::{Builder, SortColumn, SortRead, bind, from_sql, one, register};
use super::{Field, Query, ReviewState, Status, Value};
use crate::store::{Result, Store, fts};
use rusqlite::types::{Value as SqlValue, ValueRef};
use std::cell::RefCell;

/// A larger page cache while a query sorts or groups a whole project: SQLite's sorter
/// keeps this much in memory before it merges runs (a million sort keys take about
/// 30 MB). The connection's own size comes back when the guard goes.
pub(super) struct BigCache<'c> {
    conn: &'c rusqlite::Connection,
    old: Option<i64>,
}

impl<'c> BigCache<'c> {
    pub(super) fn new(conn: &'c rusqlite::Connection) -> BigCache<'c> {
        let old = conn
            .query_row("PRAGMA cache_size", [], |r| r.get::<_, i64>(0))
            .ok();
        if old.is_some_and(|o| o > -131_072 && o < 32_768) {
            let _ = conn.execute_batch("PRAGMA cache_size = -131072");
        }
        BigCache { conn, old }
    }
}

impl Drop for BigCache<'_> {
    fn drop(&mut self) {
        if let Some(old) = self.old {
            let _ = self
                .conn
                .execute_batch(&format!("PRAGMA cache_size = {old}"));
        }
    }
}

/// A sort key as SQLite orders values: numbers (integer or real, by value), then text
/// (by bytes), then blobs; NULL apart (always last).
#[derive(Debug, Clone, PartialEq)]
enum SortKey {
    Null,
    Number(f64),
    Text(Box<[u8]>),
    Blob(Box<[u8]>),
}

impl SortKey {
    fn of(v: ValueRef<'_>) -> SortKey {
        match v {
            ValueRef::Null => SortKey::Null,
            ValueRef::Integer(i) => SortKey::Number(i as f64),
            ValueRef::Real(r) => SortKey::Number(r),
            ValueRef::Text(t) => SortKey::Text(t.into()),
            ValueRef::Blob(b) => SortKey::Blob(b.into()),
        }
    }

    /// As `lt_num` reads a value: text that reads as a number is that number.
    fn numeric(v: ValueRef<'_>) -> SortKey {
        match v {
            ValueRef::Text(t) => match std::str::from_utf8(t).ok().and_then(super::parse::number) {
                Some(n) => SortKey::Number(n),
                None => SortKey::Text(t.into()),
            },
            v => SortKey::of(v),
        }
    }

    /// `ORDER BY key ASC|DESC NULLS LAST`.
    fn cmp(&self, other: &SortKey, descending: bool) -> std::cmp::Ordering {
        use std::cmp::Ordering::*;
        let rank = |k: &SortKey| match k {
            SortKey::Null => 0,
            SortKey::Number(_) => 1,
            SortKey::Text(_) => 2,
            SortKey::Blob(_) => 3,
        };
        let ord = match (self, other) {
            (SortKey::Null, SortKey::Null) => return Equal,
            (SortKey::Null, _) => return Greater,
            (_, SortKey::Null) => return Less,
            (SortKey::Number(a), SortKey::Number(b)) => a.partial_cmp(b).unwrap_or(Equal),
            (SortKey::Text(a), SortKey::Text(b)) | (SortKey::Blob(a), SortKey::Blob(b)) => a.cmp(b),
            (a, b) => rank(a).cmp(&rank(b)),
        };
        if descending { ord.reverse() } else { ord }
    }
}

/// The ids of the tasks matching `cond`, sorted by `keys` then by id: the keys are read
/// in one pass and sorted in Rust, which is several times quicker than SQLite's sorter
/// on a whole project. The order is the one `ORDER BY` gives (ids are unique, so ties
/// never remain).
fn sorted_ids(
    conn: &rusqlite::Connection,
    b: &Builder,
    keys: &[SortColumn],
    id_descending: bool,
    cond: &str,
) -> rusqlite::Result<Vec<i64>> {
    let exprs: Vec<&str> = keys.iter().map(|k| k.expr.as_str()).collect();
    let sql = format!(
        "SELECT t.id, {} FROM {} WHERE {cond}",
        exprs.join(", "),
        b.from()
    );
    let mut st = conn.prepare(&sql)?;
    bind(&mut st, &b.params)?;
    let k = keys.len();
    let mut ids = Vec::new();
    let mut values = Vec::new();
    let mut rows = st.raw_query();
    while let Some(r) = rows.next()? {
        ids.push(r.get::<_, i64>(0)?);
        for (i, key) in keys.iter().enumerate() {
            let v = r.get_ref(i + 1)?;
            values.push(match (&key.read, v) {
                (SortRead::AsIs, v) => SortKey::of(v),
                (SortRead::Numeric, v) => SortKey::numeric(v),
                (SortRead::Data(p), ValueRef::Text(data)) => json_scan::path(data, &p.0)
                    .map_or(SortKey::Null, |raw| {
                        json_scan::with_value(raw, SortKey::numeric)
                    }),
                (SortRead::Data(_), _) => SortKey::Null,
            });
        }
    }
    if k == 1
        && !values
            .iter()
            .any(|v| matches!(v, SortKey::Text(_) | SortKey::Blob(_)))
    {
        // One numeric key (the usual sort): pairs sorted in place read memory in order,
        // where an index into the keys would jump around a million of them. (Text keys
        // are read through their pointers either way, and moving an index is cheaper.)
        let descending = keys[0].descending;
        let mut pairs: Vec<(SortKey, i64)> = values.into_iter().zip(ids).collect();
        pairs.sort_unstable_by(|(a, x), (b, y)| {
            a.cmp(b, descending).then_with(|| {
                let o = x.cmp(y);
                if id_descending { o.reverse() } else { o }
            })
        });
        return Ok(pairs.into_iter().map(|(_, id)| id).collect());
    }
    let mut order: Vec<u32> = (0..ids.len() as u32).collect();
    order.sort_unstable_by(|&x, &y| {
        let (x, y) = (x as usize, y as usize);
        for (i, key) in keys.iter().enumerate() {
            let o = values[x * k + i].cmp(&values[y * k + i], key.descending);
            if o.is_ne() {
                return o;
            }
        }
        let o = ids[x].cmp(&ids[y]);
        if id_descending { o.reverse() } else { o }
    });
    Ok(order.into_iter().map(|i| ids[i as usize]).collect())
}

/// Task ids to test membership in: a bitmap over their range when that is under
/// [`MAX_BITS`] wide (task ids are dense; a million take 125 KB), else the sorted ids.
pub(super) enum IdSet {
    Bits { min: i64, bits: Vec<u64> },
    Sorted(Vec<i64>),
}

const MAX_BITS: u64 = 1 << 27;

impl IdSet {
    /// From ids, usually in ascending order already.
    pub(super) fn new(mut ids: Vec<i64>) -> IdSet {
        if !ids.is_sorted() {
            ids.sort_unstable();
        }
        let (Some(&min), Some(&max)) = (ids.first(), ids.last()) else {
            return IdSet::Sorted(ids);
        };
        let span = max.checked_sub(min).map(|s| s as u64);
        match span {
            Some(span) if span < MAX_BITS => {
                let mut bits = vec![0u64; span as usize / 64 + 1];
                for id in ids {
                    let i = (id - min) as usize;
                    bits[i / 64] |= 1 << (i % 64);
                }
                IdSet::Bits { min, bits }
            }
            _ => IdSet::Sorted(ids),
        }
    }

    pub(super) fn contains(&self, id: i64) -> bool {
        match self {
            IdSet::Bits { min, bits } => match id.checked_sub(*min) {
                Some(i) if i >= 0 => bits
                    .get(i as usize / 64)
                    .is_some_and(|w| w & (1 << (i as usize % 64)) != 0),
                _ => false,
            },
            IdSet::Sorted(ids) => ids.binary_search(&id).is_ok(),
        }
    }
}

/// The ids a statement returns (its first column), in its order.
pub(super) fn collect_ids(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[SqlValue],
) -> rusqlite::Result<Vec<i64>> {
    let mut st = conn.prepare_cached(sql)?;
    bind(&mut st, params)?;
    let mut rows = st.raw_query();
    let mut ids = Vec::new();
    while let Some(r) = rows.next()? {
        ids.push(r.get(0)?);
    }
    Ok(ids)
}

/// Ids as a JSON array, bound as one parameter and read back with `json_each`: one
/// statement text whatever their number, so it is prepared once.
fn json_ids(ids: &[i64]) -> String {
    let mut s = String::with_capacity(ids.len() * 8 + 2);
    s.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&id.to_string());
    }
    s.push(']');
    s
}

/// A query's matching tasks in order: their ids, held in memory (8 bytes a task; the
/// tasks' values are read page by page). Pass a [`Store`] of the same project to every
/// call.
pub struct ResultSet {
    ids: Vec<i64>,
    query: Query,
    /// The tasks matching the last search of [`ResultSet::next_match`], kept while the
    /// project is unchanged, so that pressing on to the next match reads nothing.
    matches: RefCell<Option<Matches>>,
}

/// The tasks a search matched, and the project's state they were read in.
struct Matches {
    expr: String,
    version: (i64, u64),
    ids: IdSet,
}

/// Changes when any connection writes the project: `data_version` counts other
/// connections' commits, `total_changes` this connection's rows.
fn project_version(conn: &rusqlite::Connection) -> rusqlite::Result<(i64, u64)> {
    let v = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
    Ok((v, conn.total_changes()))
}

impl std::fmt::Debug for ResultSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultSet")
            .field("count", &self.ids.len())
            .field("query", &self.query)
            .finish()
    }
}

/// One row of a result set: the table's columns, typed, and the requested ones.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    /// 0-based position in the result set.
    pub position: u64,
    pub id: i64,
    pub status: Status,
    /// Users with a submitted annotation (email, or `#id`), sorted.
    pub annotators: Vec<String>,
    /// Submitted annotations.
    pub annotations: i64,
    /// Skipped annotations.
    pub cancelled: i64,
    pub predictions: i64,
    /// Mean prediction score.
    pub score: Option<f64>,
    /// model_versions of the predictions, sorted.
    pub models: Vec<String>,
    pub agreement: Option<f64>,
    pub review: ReviewState,
    /// One value per column asked for, in that order; fields with several values per
    /// task as [`Value::List`].
    pub cells: Vec<Value>,
}

fn list(json: Option<String>) -> Vec<Value> {
    let Some(j) = json else { return Vec::new() };
    match serde_json::from_str::<serde_json::Value>(&j) {
        Ok(serde_json::Value::Array(a)) => a
            .into_iter()
            .map(|v| match v {
                serde_json::Value::Null => Value::Null,
                serde_json::Value::String(s) => Value::Text(s),
                serde_json::Value::Number(n) => n
                    .as_i64()
                    .map(Value::Integer)
                    .unwrap_or_else(|| Value::Real(n.as_f64().unwrap_or(0.0))),
                other => Value::Text(other.to_string()),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn strings(v: Vec<Value>) -> Vec<String> {
    v.into_iter().map(|x| x.to_string()).collect()
}

impl Builder {
    /// A cell's expression: the value, or for several values their distinct sorted JSON
    /// list.
    fn cell(&mut self, f: &Field) -> String {
        if f.is_multi() {
            let rel = self.relation(f, Some("t.id"));
            format!(
                "(SELECT json_group_array(v) FROM (SELECT DISTINCT rr.v AS v FROM ({rel}) rr ORDER BY 1))"
            )
        } else {
            self.scalar(f)
        }
    }
}

/// A query that is a search alone, in id order: its FTS5 match and whether descending.
fn search_only(q: &Query) -> Option<(String, bool)> {
    let by_id = match q.sort.first() {
        None => Some(false),
        Some(s) if s.field == Field::Id => Some(s.descending),
        Some(_) => None,
    }?;
    search_alone(q).map(|m| (m, by_id))
}

/// The FTS5 match of a query that is a search and no filter (in any order).
pub(super) fn search_alone(q: &Query) -> Option<String> {
    if !q.filters.is_empty() {
        return None;
    }
    fts::match_expr(&q.search, true)
}

impl Store {
    /// Runs a query: the ids of its matching tasks, in order, into a new result set.
    pub fn run_query(&self, q: &Query) -> Result<ResultSet> {
        self.ensure_search_index_for(&q.search)?;
        let conn = self.conn();
        register(conn)?;
        // SQLite still sorts where an index serves a filter and the set is in id order:
        // its sorter stays in memory.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        let _cache = BigCache::new(conn);
        let mut b = Builder::default();
        let ids = match search_only(q) {
            // The search index lists its tasks in id order: no need to visit the tasks.
            Some((m, descending)) => {
                let m = b.bind(SqlValue::Text(m));
                let sql = format!(
                    "SELECT rowid FROM task_fts WHERE task_fts MATCH {m} ORDER BY rowid {}",
                    if descending { "DESC" } else { "ASC" }
                );
                collect_ids(conn, &sql, &b.params)?
            }
            None if !q.sort.first().is_none_or(|s| s.field == Field::Id) => {
                let (keys, id_descending) = b.sort_columns(q);
                let cond = b.condition(q);
                sorted_ids(conn, &b, &keys, id_descending, &cond)?
            }
            None => {
                let cond = b.condition(q);
                let order = b.order(q);
                let sql = format!(
                    "SELECT t.id FROM {} WHERE {cond} ORDER BY {order}",
                    b.from()
                );
                collect_ids(conn, &sql, &b.params)?
            }
        };
        Ok(ResultSet {
            ids,
            query: q.clone(),
            matches: RefCell::new(None),
        })
    }

    /// How many tasks a query matches, without keeping them.
    pub fn query_count(&self, q: &Query) -> Result<u64> {
        self.ensure_search_index_for(&q.search)?;
        register(self.conn())?;
        let mut b = Builder::default();
        // The order does not change a count.
        let sql = match search_alone(q) {
            Some(m) => {
                let m = b.bind(SqlValue::Text(m));
                format!("SELECT count(*) FROM task_fts WHERE task_fts MATCH {m}")
            }
            None => {
                let cond = b.condition(q);
                format!("SELECT count(*) FROM {} WHERE {cond}", b.from())
            }
        };
        let n: i64 = one(self.conn(), &sql, &b.params, |r| r.get(0))?;
        Ok(n as u64)
    }
}

impl ResultSet {
    /// Tasks in the set.
    pub fn count(&self) -> u64 {
        self.ids.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The query that made the set.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// Rows `offset .. offset + limit` (fewer at the end, or where a task was deleted
    /// since the query ran), with a cell per field of `columns`: one statement reads the
    /// page's tasks by id.
    pub fn page(
        &self,
        store: &Store,
        offset: u64,
        limit: usize,
        columns: &[Field],
    ) -> Result<Vec<ResultRow>> {
        let lo = offset.min(self.count()) as usize;
        let hi = lo.saturating_add(limit).min(self.ids.len());
        if lo == hi {
            return Ok(Vec::new());
        }
        let conn = store.conn();
        let mut b = Builder::default();
        let ids = b.bind(SqlValue::Text(json_ids(&self.ids[lo..hi])));
        let fixed = [
            b.scalar(&Field::Status),
            b.cell(&Field::Annotators),
            b.cell(&Field::Model),
            b.scalar(&Field::Review),
        ];
        let cells: Vec<String> = columns.iter().map(|c| b.cell(c)).collect();
        let mut select = vec![
            "q.key".to_string(),
            "t.id".into(),
            "t.total_annotations".into(),
            "t.cancelled_annotations".into(),
            "t.total_predictions".into(),
            "t.prediction_score".into(),
            "t.agreement".into(),
        ];
        select.extend(fixed);
        select.extend(cells);
        let data = if b.needs_data {
            " LEFT JOIN task_data d ON d.task_id = t.id"
        } else {
            ""
        };
        // CROSS JOIN: the page's ids drive, each task found by its id.
        let sql = format!(
            "SELECT {} FROM json_each({ids}) q CROSS JOIN tasks t ON t.id = q.value{data} \
             ORDER BY q.key",
            select.join(", "),
        );
        register(conn)?;
        let mut st = conn.prepare_cached(&sql)?;
        bind(&mut st, &b.params)?;
        let rows = st
            .raw_query()
            .mapped(|r| {
                let status: String = r.get(7)?;
                let review: String = r.get(10)?;
                let mut cells = Vec::with_capacity(columns.len());
                for (i, c) in columns.iter().enumerate() {
                    let v = r.get_ref(11 + i)?;
                    cells.push(if c.is_multi() {
                        Value::List(list(r.get(11 + i)?))
                    } else {
                        from_sql(v)
                    });
                }
                Ok(ResultRow {
                    position: lo as u64 + r.get::<_, i64>(0)? as u64,
                    id: r.get(1)?,
                    annotations: r.get(2)?,
                    cancelled: r.get(3)?,
                    predictions: r.get(4)?,
                    score: r.get(5)?,
                    agreement: r.get(6)?,
                    status: Status::parse(&status).unwrap_or(Status::Unlabeled),
                    annotators: strings(list(r.get(8)?)),
                    models: strings(list(r.get(9)?)),
                    review: ReviewState::parse(&review).unwrap_or(ReviewState::NotReviewed),
                    cells,
                })
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The position of a task in the set (jump to id).
    pub fn position_of(&self, _store: &Store, task_id: i64) -> Result<Option<u64>> {
        Ok(self
            .ids
            .iter()
            .position(|&id| id == task_id)
            .map(|p| p as u64))
    }

    /// The next (or, backwards, previous) position after (before) `from` whose task's
    /// text holds all `words` (the last one as a prefix); from the start (end) when
    /// `from` is `None`. `None` when no row further on matches (no wrapping around).
    ///
    /// The matching tasks' ids are read once (FTS5 merges a prefix's whole doclist for
    /// any lookup, so probing the set's ids one by one is slower than reading them all)
    /// and kept for the next call with the same words while the project is unchanged;
    /// then the set's ids are walked from `from`.
    pub fn next_match(
        &self,
        store: &Store,
        words: &str,
        from: Option<u64>,
        forward: bool,
    ) -> Result<Option<u64>> {
        let Some(m) = fts::match_expr(words, true) else {
            return Ok(None);
        };
        let len = self.ids.len();
        // The positions to look at: `lo..hi`, nearest first.
        let (lo, hi) = match (from, forward) {
            (Some(p), true) => (p.saturating_add(1).min(len as u64) as usize, len),
            (Some(p), false) => (0, p.min(len as u64) as usize),
            (None, _) => (0, len),
        };
        if lo == hi {
            return Ok(None);
        }
        // Before the version is read: catching up the index writes.
        store.ensure_search_index()?;
        let conn = store.conn();
        let version = project_version(conn)?;
        let mut cache = self.matches.borrow_mut();
        let fresh = cache
            .as_ref()
            .is_some_and(|c| c.expr == m && c.version == version);
        if !fresh {
            *cache = None;
            let ids = IdSet::new(collect_ids(
                conn,
                "SELECT rowid FROM task_fts WHERE task_fts MATCH ?1 ORDER BY rowid",
                &[SqlValue::Text(m.clone())],
            )?);
            *cache = Some(Matches {
                expr: m,
                version,
                ids,
            });
        }
        let Some(matching) = cache.as_ref() else {
            return Ok(None);
        };
        let part = &self.ids[lo..hi];
        let hit = |id: &i64| matching.ids.contains(*id);
        let at = if forward {
            part.iter().position(hit)
        } else {
            part.iter().rposition(hit)
        };
        Ok(at.map(|i| (lo + i) as u64))
    }

    /// Every task id of the set in order, one call of `f` each.
    pub fn ids<E: From<crate::store::StoreError>>(
        &self,
        _store: &Store,
        mut f: impl FnMut(i64) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        for &id in &self.ids {
            f(id)?;
        }
        Ok(())
    }

    /// Forgets the matches kept by [`Self::next_match`].
    #[cfg(test)]
    pub(crate) fn forget_matches(&self) {
        *self.matches.borrow_mut() = None;
    }

    /// Releases the set (its ids are memory only; kept for callers that end a set).
    pub fn close(self, _store: &Store) -> Result<()> {
        Ok(())
    }
}
