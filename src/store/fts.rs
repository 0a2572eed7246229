//! Full-text search over task data (SQLite FTS5, schema 9). `task_fts` holds one row per
//! task (rowid = task id) with the task's text: every string and number in its data,
//! keys left out. It stores no copy of the text (contentless), only the index. Triggers
//! on `task_data` keep it current whoever inserts, edits or deletes a task (a deleted
//! task's data row goes with it by cascade). A large import leaves its tasks out instead
//! and marks the index stale from its first task (`project.search_pending_from`): the
//! first search after it indexes them in one pass ([`Store::ensure_search_index`]), so an
//! import does not pay seconds per million tasks for an index nobody may read, and no
//! search reads a stale one.

use super::{Result, Store};

/// The text of a task's data (an SQL expression over the JSON column named by the
/// literal): its strings and numbers joined by spaces. Numbers count as text so that an id
/// or a year in the data can be found. A macro, so the schema's migration (a constant)
/// and the code share one definition.
macro_rules! fts_text {
    ($json:literal) => {
        concat!(
            "(SELECT group_concat(j.value, ' ') FROM json_tree(CASE WHEN json_valid(",
            $json,
            ") THEN ",
            $json,
            " ELSE '{}' END) j WHERE j.type IN ('text', 'integer', 'real'))"
        )
    };
}

/// The trigger that indexes each inserted task; a large import drops it inside its
/// transaction and puts it back at commit, leaving its own tasks to the next search.
pub(crate) const INSERT_TRIGGER: &str = "task_data_fts_insert";

/// Creates [`INSERT_TRIGGER`] (as schema 9 does).
pub(crate) const CREATE_INSERT_TRIGGER: &str = concat!(
    "CREATE TRIGGER IF NOT EXISTS task_data_fts_insert AFTER INSERT ON task_data BEGIN
        INSERT INTO task_fts (rowid, text) VALUES (new.task_id, ",
    fts_text!("new.data"),
    ");
    END;"
);

/// Indexes the tasks from id `?1` on (after a large import).
pub(crate) const INDEX_FROM: &str = concat!(
    "INSERT INTO task_fts (rowid, text) SELECT task_id, ",
    fts_text!("data"),
    " FROM task_data WHERE task_id >= ?1"
);

/// An FTS5 query for tasks whose text holds all `words` (split at white space), the
/// last one as a prefix when `prefix_last`: each word is a quoted string, so no word is
/// read as FTS5 syntax. `None` when there are no words.
pub fn match_expr(words: &str, prefix_last: bool) -> Option<String> {
    let words: Vec<&str> = words.split_whitespace().collect();
    let last = words.len().checked_sub(1)?;
    let parts: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let q = format!("\"{}\"", w.replace('"', "\"\""));
            if prefix_last && i == last {
                format!("{q} *")
            } else {
                q
            }
        })
        .collect();
    Some(parts.join(" AND "))
}

/// Drops the index entries from task id `?1` on, before they are made again from the data:
/// tasks inserted, edited or deleted since a large import may have entries already.
const UNINDEX_FROM: &str = "DELETE FROM task_fts WHERE rowid >= ?1";

/// Marks the search index current.
const MARK_INDEXED: &str = "UPDATE project SET search_pending_from = NULL WHERE id = 1";

impl Store {
    /// How many tasks the search index still lacks after a large import (0 when it is
    /// current): the next search indexes them first.
    pub fn search_index_pending(&self) -> Result<u64> {
        let Some(from) = self.search_pending_from()? else {
            return Ok(0);
        };
        let n: i64 =
            self.conn()
                .query_row("SELECT count(*) FROM tasks WHERE id >= ?1", [from], |r| {
                    r.get(0)
                })?;
        Ok(n as u64)
    }

    fn search_pending_from(&self) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT search_pending_from FROM project WHERE id = 1")?
            .query_row([], |r| r.get(0))?)
    }

    /// Brings the search index up to date if a large import left tasks out of it (see
    /// `ImportWriter`): the entries from its first task on are made again from the data,
    /// in one write transaction. Everything that searches calls this first; when the index
    /// is current it costs one lookup.
    pub fn ensure_search_index(&self) -> Result<()> {
        if self.search_pending_from()?.is_none() {
            return Ok(());
        }
        let conn = self.conn();
        // Inside a caller's transaction the statements join it; otherwise the write lock
        // is taken at BEGIN, and the mark read again under it (another process may have
        // caught up meanwhile).
        let own = conn.is_autocommit();
        if own {
            conn.execute_batch("BEGIN IMMEDIATE")?;
        }
        let done = (|| -> Result<()> {
            if let Some(from) = self.search_pending_from()? {
                conn.execute(UNINDEX_FROM, [from])?;
                conn.execute(INDEX_FROM, [from])?;
                conn.execute(MARK_INDEXED, [])?;
            }
            Ok(())
        })();
        if own {
            match &done {
                Ok(()) => conn.execute_batch("COMMIT")?,
                Err(_) => {
                    let _ = conn.execute_batch("ROLLBACK");
                }
            }
        }
        done
    }

    /// [`Self::ensure_search_index`] when `words` make a search.
    pub(crate) fn ensure_search_index_for(&self, words: &str) -> Result<()> {
        if words.split_whitespace().next().is_some() {
            self.ensure_search_index()?;
        }
        Ok(())
    }

    /// Ids of the tasks whose text holds all `words` (the last one as a prefix), in id
    /// order.
    pub fn search_ids(&self, words: &str) -> Result<Vec<i64>> {
        let Some(m) = match_expr(words, true) else {
            return Ok(Vec::new());
        };
        self.ensure_search_index()?;
        let mut st = self
            .conn()
            .prepare_cached("SELECT rowid FROM task_fts WHERE task_fts MATCH ?1 ORDER BY rowid")?;
        let ids = st
            .query_map([m], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    }

    /// Builds the search index again from the task data (after a repair by hand).
    pub fn rebuild_search_index(&self) -> Result<()> {
        self.conn().execute_batch("DELETE FROM task_fts")?;
        self.conn().execute(INDEX_FROM, [i64::MIN])?;
        self.conn().execute(MARK_INDEXED, [])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_expressions_quote_every_word() {
        assert_eq!(match_expr("  ", true), None);
        assert_eq!(match_expr("a", false).unwrap(), "\"a\"");
        assert_eq!(
            match_expr("NEAR( a\"b OR", true).unwrap(),
            "\"NEAR(\" AND \"a\"\"b\" AND \"OR\" *"
        );
    }

    fn insert(s: &Store, data: &str) -> i64 {
        s.conn()
            .execute(
                "INSERT INTO tasks (inner_id, created_at, updated_at) VALUES (1, 'x', 'x')",
                [],
            )
            .unwrap();
        let id = s.conn().last_insert_rowid();
        s.conn()
            .execute(
                "INSERT INTO task_data (task_id, data) VALUES (?1, ?2)",
                rusqlite::params![id, data],
            )
            .unwrap();
        id
    }

    #[test]
    fn the_index_follows_inserts_edits_and_deletes() {
        let (_d, s) = crate::store::tests::with_tasks(0);
        let a = insert(
            &s,
            r#"{"text": "Crème brûlée", "meta": {"city": "Lyon", "year": 2024}}"#,
        );
        let b = insert(&s, r#"{"text": "brown bread", "tags": ["oven", "rye"]}"#);
        assert_eq!(s.search_ids("creme").unwrap(), vec![a]);
        assert_eq!(s.search_ids("lyon 2024").unwrap(), vec![a]);
        assert_eq!(s.search_ids("br").unwrap(), vec![a, b]);
        assert_eq!(s.search_ids("rye").unwrap(), vec![b]);
        assert_eq!(
            s.search_ids("meta").unwrap(),
            Vec::<i64>::new(),
            "keys are not text"
        );
        s.conn()
            .execute(
                "UPDATE task_data SET data = '{\"text\": \"sourdough\"}' WHERE task_id = ?1",
                [b],
            )
            .unwrap();
        assert_eq!(s.search_ids("rye").unwrap(), Vec::<i64>::new());
        assert_eq!(s.search_ids("sourdough").unwrap(), vec![b]);
        s.conn()
            .execute("DELETE FROM tasks WHERE id = ?1", [a])
            .unwrap();
        assert_eq!(s.search_ids("lyon").unwrap(), Vec::<i64>::new());
        assert_eq!(s.search_ids("sourdough").unwrap(), vec![b]);
        s.rebuild_search_index().unwrap();
        assert_eq!(s.search_ids("sourdough").unwrap(), vec![b]);
    }
}
