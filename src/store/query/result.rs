//! Result sets: a query's ordered task ids kept in a temporary table of the connection,
//! row = position, so pages, jumps and searches are index lookups.

use super::sql::{Builder, bind, from_sql, one, register};
use super::{Field, Query, ReviewState, Status, Value};
use crate::store::{Result, Store, fts};
use rusqlite::types::{Value as SqlValue, ValueRef};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_TABLE: AtomicU64 = AtomicU64::new(1);

/// A new name for a temporary table of the connection.
pub(super) fn temp_name(prefix: &str) -> String {
    format!("{prefix}_{}", NEXT_TABLE.fetch_add(1, Ordering::Relaxed))
}

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
    keys: &[(String, bool)],
    id_descending: bool,
    cond: &str,
) -> rusqlite::Result<Vec<i64>> {
    let exprs: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
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
        for i in 0..k {
            values.push(SortKey::of(r.get_ref(i + 1)?));
        }
    }
    let mut order: Vec<u32> = (0..ids.len() as u32).collect();
    order.sort_unstable_by(|&x, &y| {
        let (x, y) = (x as usize, y as usize);
        for (i, (_, descending)) in keys.iter().enumerate() {
            let o = values[x * k + i].cmp(&values[y * k + i], *descending);
            if o.is_ne() {
                return o;
            }
        }
        let o = ids[x].cmp(&ids[y]);
        if id_descending { o.reverse() } else { o }
    });
    Ok(order.into_iter().map(|i| ids[i as usize]).collect())
}

/// Writes ids in order into a result table (row = position): many rows a statement, so
/// that statement overhead does not count a million times.
fn fill(conn: &rusqlite::Connection, table: &str, ids: &[i64]) -> rusqlite::Result<()> {
    const ROWS: usize = 500;
    let insert = |n: usize| {
        format!(
            "INSERT INTO temp.{table} (task_id) VALUES {}",
            vec!["(?)"; n].join(",")
        )
    };
    let mut chunks = ids.chunks_exact(ROWS);
    let mut st = conn.prepare(&insert(ROWS))?;
    for chunk in chunks.by_ref() {
        for (i, id) in chunk.iter().enumerate() {
            st.raw_bind_parameter(i + 1, id)?;
        }
        st.raw_execute()?;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut st = conn.prepare(&insert(rest.len()))?;
        for (i, id) in rest.iter().enumerate() {
            st.raw_bind_parameter(i + 1, id)?;
        }
        st.raw_execute()?;
    }
    Ok(())
}

/// Up to this many tasks matching a search, the next match is found through them (by
/// the task index of the set); with more, by walking the set, where one is near.
const SPARSE_MATCHES: i64 = 50_000;

/// A query's matching tasks in order, held by the connection that ran it (see the
/// module docs of `query`). Pass the same [`Store`] to every call.
#[derive(Debug)]
pub struct ResultSet {
    table: String,
    len: u64,
    query: Query,
    /// The task-id index for jumps and sparse searches exists.
    by_task: Cell<bool>,
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
    if !q.filters.is_empty() {
        return None;
    }
    fts::match_expr(&q.search, true).map(|m| (m, by_id))
}

impl Store {
    /// Runs a query: its matching task ids, in order, into a new result set.
    pub fn run_query(&self, q: &Query) -> Result<ResultSet> {
        let conn = self.conn();
        register(conn)?;
        // The result tables and the sorts behind them stay in memory: a million ids
        // take about 20 MB.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        let table = temp_name("lt_result");
        let _cache = BigCache::new(conn);
        conn.execute_batch(&format!(
            "CREATE TEMP TABLE {table} (pos INTEGER PRIMARY KEY, task_id INTEGER NOT NULL)"
        ))?;
        let mut b = Builder::default();
        let sql = match search_only(q) {
            // The search index lists its tasks in id order: no need to visit the tasks.
            Some((m, descending)) => {
                let m = b.bind(SqlValue::Text(m));
                format!(
                    "INSERT INTO temp.{table} (task_id) SELECT rowid FROM task_fts \
                     WHERE task_fts MATCH {m} ORDER BY rowid {}",
                    if descending { "DESC" } else { "ASC" }
                )
            }
            None if !q.sort.first().is_none_or(|s| s.field == Field::Id) => {
                let (keys, id_descending) = b.sort_keys(q);
                let cond = b.condition(q);
                let run = sorted_ids(conn, &b, &keys, id_descending, &cond).and_then(|ids| {
                    fill(conn, &table, &ids)?;
                    Ok(ids.len())
                });
                return match run {
                    Ok(n) => Ok(ResultSet {
                        table,
                        len: n as u64,
                        query: q.clone(),
                        by_task: Cell::new(false),
                    }),
                    Err(e) => {
                        let _ = conn.execute_batch(&format!("DROP TABLE IF EXISTS temp.{table}"));
                        Err(e.into())
                    }
                };
            }
            None => {
                let cond = b.condition(q);
                let order = b.order(q);
                format!(
                    "INSERT INTO temp.{table} (task_id) SELECT t.id FROM {} WHERE {cond} ORDER BY {order}",
                    b.from()
                )
            }
        };
        let run = conn.prepare(&sql).and_then(|mut st| {
            bind(&mut st, &b.params)?;
            st.raw_execute()
        });
        match run {
            Ok(n) => Ok(ResultSet {
                table,
                len: n as u64,
                query: q.clone(),
                by_task: Cell::new(false),
            }),
            Err(e) => {
                let _ = conn.execute_batch(&format!("DROP TABLE IF EXISTS temp.{table}"));
                Err(e.into())
            }
        }
    }

    /// How many tasks a query matches, without keeping them.
    pub fn query_count(&self, q: &Query) -> Result<u64> {
        register(self.conn())?;
        let mut b = Builder::default();
        let sql = match search_only(q) {
            Some((m, _)) => {
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
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The query that made the set.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// Rows `offset .. offset + limit` (fewer at the end, or where a task was deleted
    /// since the query ran), with a cell per field of `columns`.
    pub fn page(
        &self,
        store: &Store,
        offset: u64,
        limit: usize,
        columns: &[Field],
    ) -> Result<Vec<ResultRow>> {
        let conn = store.conn();
        let mut b = Builder::default();
        let lo = b.bind(SqlValue::Integer(offset.min(i64::MAX as u64) as i64));
        let hi = b.bind(SqlValue::Integer(
            offset.saturating_add(limit as u64).min(i64::MAX as u64) as i64,
        ));
        let fixed = [
            b.scalar(&Field::Status),
            b.cell(&Field::Annotators),
            b.cell(&Field::Model),
            b.scalar(&Field::Review),
        ];
        let cells: Vec<String> = columns.iter().map(|c| b.cell(c)).collect();
        let mut select = vec![
            "q.pos".to_string(),
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
        let sql = format!(
            "SELECT {} FROM temp.{} q JOIN tasks t ON t.id = q.task_id{data} \
             WHERE q.pos > {lo} AND q.pos <= {hi} ORDER BY q.pos",
            select.join(", "),
            self.table
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
                    position: r.get::<_, i64>(0)? as u64 - 1,
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

    fn index_by_task(&self, store: &Store) -> Result<()> {
        if !self.by_task.get() {
            store.conn().execute_batch(&format!(
                "CREATE INDEX IF NOT EXISTS temp.{0}_task ON {0} (task_id, pos)",
                self.table
            ))?;
            self.by_task.set(true);
        }
        Ok(())
    }

    /// The position of a task in the set (jump to id). The first call indexes the set
    /// by task id.
    pub fn position_of(&self, store: &Store, task_id: i64) -> Result<Option<u64>> {
        self.index_by_task(store)?;
        let pos: Option<i64> = store
            .conn()
            .prepare_cached(&format!(
                "SELECT min(pos) FROM temp.{} WHERE task_id = ?1",
                self.table
            ))?
            .query_row([task_id], |r| r.get(0))?;
        Ok(pos.map(|p| p as u64 - 1))
    }

    /// The next (or, backwards, previous) position after (before) `from` whose task's
    /// text holds all `words` (the last one as a prefix); from the start (end) when
    /// `from` is `None`. `None` when no row further on matches (no wrapping around).
    pub fn next_match(
        &self,
        store: &Store,
        words: &str,
        from: Option<u64>,
        forward: bool,
    ) -> Result<Option<u64>> {
        self.next_match_with(store, words, from, forward, SPARSE_MATCHES)
    }

    fn next_match_with(
        &self,
        store: &Store,
        words: &str,
        from: Option<u64>,
        forward: bool,
        sparse: i64,
    ) -> Result<Option<u64>> {
        let Some(m) = fts::match_expr(words, true) else {
            return Ok(None);
        };
        // Positions are 1-based in the table.
        let bound: i64 = match (from, forward) {
            (Some(p), _) => p as i64 + 1,
            (None, true) => 0,
            (None, false) => self.len as i64 + 1,
        };
        let conn = store.conn();
        // Few matches: walk them through the task index. Many: walk the set from `from`,
        // where the next match is near.
        let matches: i64 = conn
            .prepare_cached("SELECT count(*) FROM (SELECT rowid FROM task_fts WHERE task_fts MATCH ?1 LIMIT ?2)")?
            .query_row(rusqlite::params![&m, sparse + 1], |r| r.get(0))?;
        let (cmp, agg) = if forward { (">", "min") } else { ("<", "max") };
        let sql = if matches <= sparse {
            self.index_by_task(store)?;
            format!(
                "SELECT {agg}(q.pos) FROM task_fts f JOIN temp.{} q ON q.task_id = f.rowid \
                 WHERE f.task_fts MATCH ?1 AND q.pos {cmp} ?2",
                self.table
            )
        } else {
            format!(
                "SELECT q.pos FROM temp.{} q WHERE q.pos {cmp} ?2 \
                 AND q.task_id IN (SELECT rowid FROM task_fts WHERE task_fts MATCH ?1) \
                 ORDER BY q.pos {} LIMIT 1",
                self.table,
                if forward { "ASC" } else { "DESC" }
            )
        };
        let pos: Option<i64> = conn
            .prepare_cached(&sql)?
            .query_row(rusqlite::params![m, bound], |r| r.get(0))
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        Ok(pos.map(|p| p as u64 - 1))
    }

    /// Every task id of the set in order, one call of `f` each.
    pub fn ids<E: From<crate::store::StoreError>>(
        &self,
        store: &Store,
        mut f: impl FnMut(i64) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut st = store
            .conn()
            .prepare_cached(&format!(
                "SELECT task_id FROM temp.{} ORDER BY pos",
                self.table
            ))
            .map_err(crate::store::StoreError::from)?;
        let mut rows = st.query([]).map_err(crate::store::StoreError::from)?;
        while let Some(r) = rows.next().map_err(crate::store::StoreError::from)? {
            f(r.get(0).map_err(crate::store::StoreError::from)?)?;
        }
        Ok(())
    }

    #[cfg(test)]
    pub(crate) fn next_match_walking(
        &self,
        store: &Store,
        words: &str,
        from: Option<u64>,
        forward: bool,
    ) -> Result<Option<u64>> {
        self.next_match_with(store, words, from, forward, 0)
    }

    /// Drops the set's table.
    pub fn close(self, store: &Store) -> Result<()> {
        store
            .conn()
            .execute_batch(&format!("DROP TABLE IF EXISTS temp.{}", self.table))?;
        Ok(())
    }
}
