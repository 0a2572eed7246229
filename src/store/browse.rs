//! The task list: pages of tasks read with keyset paging (a page starts after or before a
//! known row, never at an OFFSET), filtered and sorted, so a million tasks cost one page.

use super::Result;
use super::Store;
use rusqlite::{OptionalExtension, ToSql};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListFilter {
    #[default]
    All,
    Unlabeled,
    Labeled,
    Skipped,
    HasPredictions,
}

impl ListFilter {
    pub const ALL: [ListFilter; 5] = [
        ListFilter::All,
        ListFilter::Unlabeled,
        ListFilter::Labeled,
        ListFilter::Skipped,
        ListFilter::HasPredictions,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ListFilter::All => "all",
            ListFilter::Unlabeled => "unlabeled",
            ListFilter::Labeled => "labeled",
            ListFilter::Skipped => "skipped",
            ListFilter::HasPredictions => "has predictions",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            ListFilter::All => "1",
            ListFilter::Unlabeled => "t.is_labeled = 0",
            ListFilter::Labeled => "t.total_annotations > 0",
            ListFilter::Skipped => "t.cancelled_annotations > 0",
            ListFilter::HasPredictions => "t.total_predictions > 0",
        }
    }

    pub fn next(self) -> ListFilter {
        let i = Self::ALL.iter().position(|f| *f == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }
}

/// Task list order. `Score` is ascending prediction score; tasks without one come last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListSort {
    #[default]
    Id,
    Score,
}

impl ListSort {
    pub fn name(self) -> &'static str {
        match self {
            ListSort::Id => "id",
            ListSort::Score => "prediction score",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStatus {
    New,
    Draft,
    Labeled,
    Skipped,
}

impl ListStatus {
    pub fn name(self) -> &'static str {
        match self {
            ListStatus::New => "new",
            ListStatus::Draft => "draft",
            ListStatus::Labeled => "labeled",
            ListStatus::Skipped => "skipped",
        }
    }
}

/// One row of the task list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRow {
    pub id: i64,
    pub status: ListStatus,
    /// Who annotated, comma-separated.
    pub annotators: String,
    pub score: Option<f64>,
    pub model_versions: String,
    /// Task data, parsed once here (the caller makes the preview).
    pub data: serde_json::Value,
}

impl ListRow {
    pub fn key(&self) -> PageKey {
        PageKey {
            score: self.score,
            id: self.id,
        }
    }
}

/// A row's place in the sort order: where the next or previous page starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageKey {
    pub score: Option<f64>,
    pub id: i64,
}

const ROW: &str =
    "SELECT t.id, (SELECT d.data FROM task_data d WHERE d.task_id = t.id), t.total_annotations, t.cancelled_annotations, t.prediction_score,
    EXISTS (SELECT 1 FROM drafts d WHERE d.task_id = t.id AND d.user_id = ?1),
    (SELECT group_concat(COALESCE(u.email, '#' || a.completed_by), ', ') FROM annotations a
        LEFT JOIN users u ON u.id = a.completed_by WHERE a.task_id = t.id),
    (SELECT group_concat(DISTINCT p.model_version) FROM predictions p WHERE p.task_id = t.id)
    FROM tasks t";

fn list_row(r: &rusqlite::Row) -> rusqlite::Result<ListRow> {
    let total: i64 = r.get(2)?;
    let cancelled: i64 = r.get(3)?;
    let draft: bool = r.get(5)?;
    let status = if total > 0 {
        ListStatus::Labeled
    } else if cancelled > 0 {
        ListStatus::Skipped
    } else if draft {
        ListStatus::Draft
    } else {
        ListStatus::New
    };
    Ok(ListRow {
        id: r.get(0)?,
        data: serde_json::from_str(&r.get::<_, Option<String>>(1)?.unwrap_or_default())
            .unwrap_or(serde_json::Value::Null),
        status,
        score: r.get(4)?,
        annotators: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
        model_versions: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
    })
}

impl Store {
    fn list_query(
        &self,
        user_id: i64,
        filter: ListFilter,
        cond: &str,
        order: &str,
        params: &[&dyn ToSql],
        limit: usize,
    ) -> Result<Vec<ListRow>> {
        let sql = format!(
            "{ROW} WHERE {} AND {cond} ORDER BY {order} LIMIT {limit}",
            filter.sql()
        );
        let mut all: Vec<&dyn ToSql> = vec![&user_id];
        all.extend_from_slice(params);
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(all.as_slice(), list_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Up to `limit` rows after `key` (or from the start) when `forward`, else up to `limit`
    /// rows before `key` (or from the end). Rows come in list order either way.
    pub fn list_page(
        &self,
        user_id: i64,
        filter: ListFilter,
        sort: ListSort,
        key: Option<PageKey>,
        forward: bool,
        limit: usize,
    ) -> Result<Vec<ListRow>> {
        let q = |cond: &str, order: &str, p: &[&dyn ToSql], n: usize| {
            self.list_query(user_id, filter, cond, order, p, n)
        };
        // Scored rows in score order come from the (is_labeled, prediction_score, id) index:
        // one ordered range per is_labeled value, merged here.
        let scored =
            |cond: &str, descending: bool, p: &[&dyn ToSql], n: usize| -> Result<Vec<ListRow>> {
                let order = if descending {
                    "t.prediction_score DESC, t.id DESC"
                } else {
                    "t.prediction_score, t.id"
                };
                let mut rows = q(&format!("t.is_labeled = 0 AND {cond}"), order, p, n)?;
                rows.extend(q(&format!("t.is_labeled = 1 AND {cond}"), order, p, n)?);
                rows.sort_by(|a, b| {
                    let key = |r: &ListRow| (r.score.unwrap_or(f64::NAN), r.id);
                    let (ka, kb) = (key(a), key(b));
                    let o = ka.0.total_cmp(&kb.0).then(ka.1.cmp(&kb.1));
                    if descending { o.reverse() } else { o }
                });
                rows.truncate(n);
                Ok(rows)
            };
        if sort == ListSort::Score {
            self.ensure_score_index()?;
        }
        let mut rows = match (sort, forward) {
            (ListSort::Id, true) => {
                let after = key.map_or(i64::MIN, |k| k.id);
                q("t.id > ?2", "t.id", &[&after], limit)?
            }
            (ListSort::Id, false) => {
                let before = key.map_or(i64::MAX, |k| k.id);
                q("t.id < ?2", "t.id DESC", &[&before], limit)?
            }
            (ListSort::Score, true) => {
                // Scored tasks by (score, id), then unscored ones by id.
                let mut rows = match key {
                    None => scored("t.prediction_score IS NOT NULL", false, &[], limit)?,
                    Some(PageKey { score: Some(s), id }) => scored(
                        "(t.prediction_score > ?2 OR (t.prediction_score = ?2 AND t.id > ?3))",
                        false,
                        &[&s, &id],
                        limit,
                    )?,
                    Some(PageKey { score: None, .. }) => Vec::new(),
                };
                if rows.len() < limit {
                    let after = match key {
                        Some(PageKey { score: None, id }) => id,
                        _ => i64::MIN,
                    };
                    rows.extend(q(
                        "t.prediction_score IS NULL AND t.id > ?2",
                        "t.id",
                        &[&after],
                        limit - rows.len(),
                    )?);
                }
                rows
            }
            (ListSort::Score, false) => {
                let mut rows = match key {
                    None => q("t.prediction_score IS NULL", "t.id DESC", &[], limit)?,
                    Some(PageKey { score: None, id }) => q(
                        "t.prediction_score IS NULL AND t.id < ?2",
                        "t.id DESC",
                        &[&id],
                        limit,
                    )?,
                    Some(PageKey { score: Some(_), .. }) => Vec::new(),
                };
                if rows.len() < limit {
                    let more = match key {
                        Some(PageKey { score: Some(s), id }) => scored(
                            "(t.prediction_score < ?2 OR (t.prediction_score = ?2 AND t.id < ?3))",
                            true,
                            &[&s, &id],
                            limit - rows.len(),
                        )?,
                        _ => scored(
                            "t.prediction_score IS NOT NULL",
                            true,
                            &[],
                            limit - rows.len(),
                        )?,
                    };
                    rows.extend(more);
                }
                rows
            }
        };
        if !forward {
            rows.reverse();
        }
        Ok(rows)
    }

    /// How many tasks pass a filter.
    pub fn list_count(&self, filter: ListFilter) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM tasks t WHERE {}", filter.sql());
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row([], |r| r.get(0))?)
    }

    /// The sort key of a task, to open the list at it (jump to id).
    pub fn list_key(&self, id: i64) -> Result<Option<PageKey>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT id, prediction_score FROM tasks WHERE id = ?1")?
            .query_row([id], |r| {
                Ok(PageKey {
                    id: r.get(0)?,
                    score: r.get(1)?,
                })
            })
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::annotate::SubmitKind;

    fn store(scores: &[Option<f64>]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::create(&dir.path().join("p.db"), &crate::store::tests::project()).unwrap();
        for (i, sc) in scores.iter().enumerate() {
            s.conn()
                .execute(
                    "INSERT INTO tasks (inner_id, created_at, updated_at, prediction_score,
                        total_predictions) VALUES (?1, 'x', 'x', ?2, ?3)",
                    rusqlite::params![i as i64 + 1, sc, sc.is_some() as i64],
                )
                .unwrap();
            s.conn()
                .execute(
                    "INSERT INTO task_data (task_id, data) VALUES (last_insert_rowid(), '{\"text\":\"t\"}')",
                    [],
                )
                .unwrap();
        }
        (dir, s)
    }

    fn ids(rows: &[ListRow]) -> Vec<i64> {
        rows.iter().map(|r| r.id).collect()
    }

    #[test]
    fn keyset_pages_by_id_and_score_both_ways() {
        let (_d, s) = store(&[Some(0.5), None, Some(0.1), Some(0.5), None]);
        let me = s.user_id("me").unwrap();
        let p = |sort, key, fwd, n| s.list_page(me, ListFilter::All, sort, key, fwd, n).unwrap();
        let first = p(ListSort::Id, None, true, 2);
        assert_eq!(ids(&first), vec![1, 2]);
        assert_eq!(
            ids(&p(ListSort::Id, Some(first[1].key()), true, 10)),
            vec![3, 4, 5]
        );
        assert_eq!(ids(&p(ListSort::Id, None, false, 2)), vec![4, 5]);
        // Score order: 3 (0.1), 1 (0.5), 4 (0.5), then unscored 2, 5.
        let all = p(ListSort::Score, None, true, 10);
        assert_eq!(ids(&all), vec![3, 1, 4, 2, 5]);
        for split in 1..5 {
            let head = p(ListSort::Score, None, true, split);
            let tail = p(ListSort::Score, Some(head[split - 1].key()), true, 10);
            assert_eq!(
                [ids(&head), ids(&tail)].concat(),
                ids(&all),
                "split {split}"
            );
            let back = p(ListSort::Score, Some(tail[0].key()), false, 10);
            assert_eq!(ids(&back), ids(&head), "back from {split}");
        }
        assert_eq!(ids(&p(ListSort::Score, None, false, 3)), vec![4, 2, 5]);
        // Labeled and unlabeled tasks interleave in score order.
        s.conn()
            .execute("UPDATE tasks SET is_labeled = 1 WHERE id IN (1, 3)", [])
            .unwrap();
        assert_eq!(
            ids(&p(ListSort::Score, None, true, 10)),
            vec![3, 1, 4, 2, 5]
        );
        let head = p(ListSort::Score, None, true, 2);
        assert_eq!(ids(&head), vec![3, 1]);
        assert_eq!(
            ids(&p(ListSort::Score, Some(head[1].key()), true, 1)),
            vec![4]
        );
        assert_eq!(
            ids(&p(ListSort::Score, Some(head[1].key()), false, 5)),
            vec![3]
        );
    }

    #[test]
    fn filters_and_status() {
        let (_d, mut s) = store(&[Some(0.5), None, None]);
        let me = s.user_id("me").unwrap();
        s.save_annotation(1, me, "[]", 1.0, SubmitKind::Submit, None)
            .unwrap();
        s.save_annotation(2, me, "[]", 1.0, SubmitKind::Skip, None)
            .unwrap();
        s.save_draft(3, me, None, "[]", 1.0).unwrap();
        let all = s
            .list_page(me, ListFilter::All, ListSort::Id, None, true, 10)
            .unwrap();
        let st: Vec<_> = all.iter().map(|r| r.status).collect();
        assert_eq!(
            st,
            vec![ListStatus::Labeled, ListStatus::Skipped, ListStatus::Draft]
        );
        assert_eq!(all[0].annotators, "me");
        assert_eq!(s.list_count(ListFilter::Unlabeled).unwrap(), 2);
        assert_eq!(s.list_count(ListFilter::Labeled).unwrap(), 1);
        assert_eq!(s.list_count(ListFilter::Skipped).unwrap(), 1);
        assert_eq!(s.list_count(ListFilter::HasPredictions).unwrap(), 1);
        assert_eq!(
            s.list_key(1).unwrap(),
            Some(PageKey {
                score: Some(0.5),
                id: 1
            })
        );
    }
}
