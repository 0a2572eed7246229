//! The table's requests carried out against a store, on the job worker's connection. A
//! query's result set (its ordered ids, see `store::query`) is kept between requests of
//! the same generation, so scrolling reads one page by index whatever the project's size.

use super::protocol::{Bucket, CELL_CHARS, TableReply, TableRequest, TableRow};
use super::spec::{Conjunction, FilterSpec, Op, QuerySpec};
use crate::store::Store;
use crate::store::query::{Field, Filter, GroupBy, Join, Query, ResultRow, ResultSet, Sort, Value};
use std::cell::RefCell;
use std::collections::HashMap;

/// The most frequent values a frequency table keeps (a column of free text can hold as
/// many values as tasks).
pub const MAX_BUCKETS: usize = 10_000;

/// Shown for the bucket of tasks without a value.
pub const MISSING: &str = "(none)";

/// The result set of the newest query run on this thread, with what identifies it: the
/// connection (by address and file), the table's generation and the query.
struct Held {
    conn: usize,
    path: std::path::PathBuf,
    generation: u64,
    query: Query,
    set: ResultSet,
}

thread_local! {
    static HELD: RefCell<Option<Held>> = const { RefCell::new(None) };
}

fn conn_id(store: &Store) -> usize {
    store as *const Store as usize
}

/// The table's query in the store's terms; a filter that does not read is an error the
/// user sees.
pub fn to_query(spec: &QuerySpec) -> Result<Query, String> {
    let mut filters = Vec::new();
    for f in &spec.filters {
        let text = format!("{} {} {}", f.field, f.op.name(), f.value);
        filters.push(text.parse::<Filter>().map_err(|e| e.to_string())?);
    }
    let sort = match &spec.sort {
        Some(s) => vec![Sort {
            field: s.field.parse::<Field>().map_err(|e| e.to_string())?,
            descending: s.desc,
        }],
        None => Vec::new(),
    };
    Ok(Query {
        filters,
        join: match spec.conjunction {
            Conjunction::And => Join::And,
            Conjunction::Or => Join::Or,
        },
        search: String::new(),
        sort,
    })
}

/// A store filter as the table keeps it.
pub fn to_spec(f: &Filter) -> FilterSpec {
    let field = f.field.to_string();
    let text = f.to_string();
    let head = format!("{} {} ", field, f.op);
    let value = text.strip_prefix(&head).unwrap_or_default().to_string();
    FilterSpec {
        field,
        op: Op::parse(f.op.name()).unwrap_or(Op::Equal),
        value,
    }
}

/// Runs `f` with the result set of `query` for this generation, made once.
fn with_set<T>(
    store: &Store,
    generation: u64,
    query: &QuerySpec,
    f: impl Fn(&ResultSet) -> crate::store::Result<T>,
) -> Result<T, String> {
    let q = to_query(query)?;
    HELD.with(|held| {
        let mut held = held.borrow_mut();
        let same = held.as_ref().is_some_and(|h| {
            h.conn == conn_id(store)
                && h.path == store.path()
                && h.generation == generation
                && h.query == q
        });
        if same {
            let h = held.as_ref().expect("held");
            if let Ok(v) = f(&h.set) {
                return Ok(v);
            }
            // Its table may be gone with an earlier connection: run the query again.
        }
        if let Some(old) = held.take()
            && old.conn == conn_id(store)
            && old.path == store.path()
        {
            let _ = old.set.close(store);
        }
        let set = store.run_query(&q).map_err(|e| e.to_string())?;
        let out = f(&set).map_err(|e| e.to_string());
        *held = Some(Held {
            conn: conn_id(store),
            path: store.path().to_path_buf(),
            generation,
            query: q,
            set,
        });
        out
    })
}

/// A value as a cell shows it, cut to [`CELL_CHARS`].
fn cell_text(v: &Value) -> String {
    let s = match v {
        Value::Real(r) => format!("{r:.3}"),
        v => v.to_string(),
    };
    cut(s)
}

fn cut(s: String) -> String {
    if s.chars().count() > CELL_CHARS {
        s.chars().take(CELL_CHARS).collect()
    } else {
        s
    }
}

fn row_of(r: ResultRow, extra: &[String]) -> TableRow {
    let mut cells = HashMap::new();
    let num = |x: Option<f64>| x.map_or(String::new(), |x| format!("{x:.3}"));
    cells.insert("status".into(), r.status.name().to_string());
    cells.insert("annotators".into(), cut(r.annotators.join(", ")));
    cells.insert("annotations".into(), r.annotations.to_string());
    cells.insert("cancelled".into(), r.cancelled.to_string());
    cells.insert("predictions".into(), r.predictions.to_string());
    cells.insert("score".into(), num(r.score));
    cells.insert("model".into(), cut(r.models.join(", ")));
    cells.insert("agreement".into(), num(r.agreement));
    cells.insert("review".into(), r.review.name().to_string());
    for (field, v) in extra.iter().zip(&r.cells) {
        cells.insert(field.clone(), cell_text(v));
    }
    TableRow { id: r.id, cells }
}

/// The fields a page reads besides those every row has.
const FIXED_IN_ROW: [&str; 10] = [
    "id",
    "status",
    "annotators",
    "annotations",
    "cancelled",
    "predictions",
    "score",
    "model",
    "agreement",
    "review",
];

/// A frequency source: `FIELD`, or `FIELD by annotator` / `FIELD by model`.
fn source(text: &str) -> Result<(Field, Option<GroupBy>), String> {
    let (f, by) = match text.rsplit_once(" by ") {
        Some((f, "annotator")) => (f, Some(GroupBy::Annotator)),
        Some((f, "model")) => (f, Some(GroupBy::Model)),
        _ => (text, None),
    };
    Ok((f.parse::<Field>().map_err(|e| e.to_string())?, by))
}

fn value_label(v: &Value) -> String {
    match v {
        Value::Null => MISSING.to_string(),
        v => cut(v.to_string()),
    }
}

fn spread(s: &crate::store::query::Spread) -> String {
    format!("min {} · max {} · mean {:.3}", s.min, s.max, s.mean)
}

/// Runs one request; every outcome, errors included, is a reply.
pub fn run(store: &Store, r: TableRequest) -> TableReply {
    match answer(store, r) {
        Ok(reply) => reply,
        Err(error) => TableReply::Failed { error },
    }
}

fn answer(store: &Store, r: TableRequest) -> Result<TableReply, String> {
    let e = |e: crate::store::StoreError| e.to_string();
    Ok(match r {
        TableRequest::Fields => {
            let keys = store.data_keys(1000).map_err(e)?;
            TableReply::Fields {
                data_keys: keys
                    .into_iter()
                    .map(|k| Field::Data(k).to_string())
                    .collect(),
                controls: Vec::new(),
            }
        }
        TableRequest::Page {
            generation,
            query,
            offset,
            limit,
            count,
            fields,
        } => {
            let extra: Vec<String> = fields
                .into_iter()
                .filter(|f| !FIXED_IN_ROW.contains(&f.as_str()))
                .collect();
            let mut columns = Vec::new();
            for f in &extra {
                columns.push(f.parse::<Field>().map_err(|e| e.to_string())?);
            }
            let (rows, n) = with_set(store, generation, &query, |set| {
                Ok((
                    set.page(store, offset as u64, limit, &columns)?,
                    set.count(),
                ))
            })?;
            TableReply::Page {
                generation,
                offset,
                rows: rows.into_iter().map(|r| row_of(r, &extra)).collect(),
                count: count.then_some(n as usize),
            }
        }
        TableRequest::Locate {
            generation,
            query,
            id,
            quiet,
        } => {
            let position = with_set(store, generation, &query, |set| set.position_of(store, id))?;
            TableReply::Located {
                generation,
                id: Some(id),
                position: position.map(|p| p as usize),
                found: false,
                quiet,
            }
        }
        TableRequest::Find {
            generation,
            query,
            text,
            from,
            forward,
        } => {
            // `next_match` looks past `from`: start one before it to include it.
            let after = match forward {
                true => from.checked_sub(1).map(|p| p as u64),
                false => Some(from as u64 + 1),
            };
            let position = with_set(store, generation, &query, |set| {
                set.next_match(store, &text, after, forward)
            })?;
            TableReply::Located {
                generation,
                id: None,
                position: position.map(|p| p as usize),
                found: true,
                quiet: false,
            }
        }
        TableRequest::Freq { query, field } => {
            let q = to_query(&query)?;
            let (f, by) = source(&field)?;
            let buckets = match by {
                None => store
                    .freq(&q, &f)
                    .map_err(e)?
                    .into_iter()
                    .map(|row| Bucket {
                        value: value_label(&row.value),
                        count: row.count,
                        filters: vec![to_spec(&row.filter(&f))],
                    })
                    .collect(),
                Some(by) => store
                    .freq_by(&q, &f, by)
                    .map_err(e)?
                    .into_iter()
                    .map(|row| Bucket {
                        value: format!("{} · {}", cut(row.group.clone()), value_label(&row.value)),
                        count: row.count,
                        filters: row.filters(&f, by).iter().map(to_spec).collect(),
                    })
                    .collect(),
            };
            let mut buckets: Vec<Bucket> = buckets;
            buckets.truncate(MAX_BUCKETS);
            TableReply::Freq { field, buckets }
        }
        TableRequest::Describe { query, field } => {
            let q = to_query(&query)?;
            let f = field.parse::<Field>().map_err(|e| e.to_string())?;
            let d = store.describe(&q, &f).map_err(e)?;
            let mut lines = vec![
                ("tasks".to_string(), d.tasks.to_string()),
                ("values".to_string(), d.values.to_string()),
                ("distinct".to_string(), d.distinct.to_string()),
                ("missing".to_string(), d.missing.to_string()),
                (
                    "types".to_string(),
                    d.types
                        .iter()
                        .map(|(t, n)| format!("{t} {n}"))
                        .collect::<Vec<_>>()
                        .join(" · "),
                ),
            ];
            if let Some(s) = &d.numbers {
                lines.push(("numbers".into(), spread(s)));
            }
            if let Some(s) = &d.lengths {
                lines.push(("lengths".into(), spread(s)));
            }
            TableReply::Describe { field, lines }
        }
        TableRequest::Histogram { query, field, bins } => {
            let q = to_query(&query)?;
            let f = field.parse::<Field>().map_err(|e| e.to_string())?;
            let bins = store
                .histogram(&q, &f, bins)
                .map_err(e)?
                .into_iter()
                .map(|b| Bucket {
                    value: format!("{:.3}–{:.3}", b.lo, b.hi),
                    count: b.count,
                    filters: b.filters(&f).iter().map(to_spec).collect(),
                })
                .collect();
            TableReply::Histogram { field, bins }
        }
        TableRequest::MarkAll { query } => {
            let q = to_query(&query)?;
            let set = store.run_query(&q).map_err(e)?;
            let mut ids = Vec::new();
            let read = set.ids(store, |id| {
                ids.push(id);
                Ok::<(), crate::store::StoreError>(())
            });
            let _ = set.close(store);
            read.map_err(e)?;
            TableReply::Marked { ids }
        }
        TableRequest::NextInOrder {
            generation,
            query,
            after,
        } => {
            // The table's own result set, still held from its pages.
            let next = with_set(store, generation, &query, |set| {
                let Some(pos) = set.position_of(store, after)? else {
                    return Ok(None);
                };
                Ok(set.page(store, pos + 1, 1, &[])?.first().map(|r| r.id))
            })?;
            TableReply::Next { id: next }
        }
        r @ (TableRequest::Views
        | TableRequest::SaveView { .. }
        | TableRequest::LoadView { .. }
        | TableRequest::DeleteView { .. }
        | TableRequest::Bulk { .. }
        | TableRequest::Export { .. }) => super::actions::run(store, r)?,
    })
}
