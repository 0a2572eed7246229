//! `labelterm query`: the tasks a filter, search and sort select, as a table, JSON lines,
//! CSV or ids; their count; or the frequency table of a field. Parsing and printing
//! only: the query runs in `store::query`. Every value comes from the project file and
//! is printed through the terminal sanitiser.

use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::query::{Field, Filter, GroupBy, Join, Query, ResultRow, Sort, Value};
use crate::term_safe::{display_width, fit, json_term_safe, term_safe};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct QueryArgs {
    /// The project file (SQLite; `.db` may be left off).
    #[arg(value_parser = crate::cli::project_path)]
    pub project: PathBuf,
    /// A filter "FIELD OP VALUE" (repeatable; joined with and, or with --or). FIELD: a
    /// column (id, status, annotators, annotations, cancelled, predictions, score, model,
    /// agreement, review, created, updated, source), data.KEY..., label:CONTROL or
    /// prediction:CONTROL. OP: equal (=), not_equal (!=), less (<), greater (>),
    /// less_or_equal (<=), greater_or_equal (>=), in / not_in (A..B), contains,
    /// not_contains, regex (~), empty (true/false).
    #[arg(long, value_name = "FIELD OP VALUE", value_parser = parse_filter)]
    pub filter: Vec<Filter>,
    /// Join the filters with or instead of and.
    #[arg(long)]
    pub or: bool,
    /// Tasks whose text holds all these words (the last one as a prefix).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Sort by a field, descending with a leading - (repeatable; default: id).
    #[arg(long, value_name = "[-]FIELD", value_parser = parse_sort, allow_hyphen_values = true)]
    pub sort: Vec<Sort>,
    /// The columns to print, comma-separated fields.
    #[arg(long, value_name = "A,B,...", value_parser = parse_columns)]
    pub columns: Option<Columns>,
    /// table, jsonl, csv or ids; with --freq: table or json.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Print at most N rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Print only how many tasks match.
    #[arg(long, conflicts_with = "freq")]
    pub count: bool,
    /// Print how many of the matching tasks hold each value of FIELD.
    #[arg(long, value_name = "FIELD", value_parser = parse_field)]
    pub freq: Option<Field>,
    /// With --freq: one table per annotator or per model_version.
    #[arg(long, value_enum, requires = "freq")]
    pub by: Option<By>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Jsonl,
    Csv,
    Ids,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    Annotator,
    Model,
}

#[derive(Debug, Clone)]
pub struct Columns(pub Vec<Field>);

fn parse_filter(s: &str) -> Result<Filter, String> {
    s.parse()
        .map_err(|e: crate::store::query::ParseError| e.to_string())
}

fn parse_sort(s: &str) -> Result<Sort, String> {
    s.parse()
        .map_err(|e: crate::store::query::ParseError| e.to_string())
}

fn parse_field(s: &str) -> Result<Field, String> {
    s.parse()
        .map_err(|e: crate::store::query::ParseError| e.to_string())
}

/// Splits at commas outside double quotes (a data key may hold a comma).
fn parse_columns(s: &str) -> Result<Columns, String> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(parse_field(&s[start..i])?);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(parse_field(&s[start..])?);
    Ok(Columns(out))
}

/// The columns printed when none are asked for.
fn default_columns() -> Vec<Field> {
    vec![
        Field::Id,
        Field::Status,
        Field::Annotators,
        Field::Annotations,
        Field::Cancelled,
        Field::Predictions,
        Field::Score,
        Field::Model,
        Field::Agreement,
        Field::Review,
    ]
}

/// Rows are read this many at a time.
const PAGE: usize = 10_000;
/// A table's column widths come from its first rows; later cells are cut to them.
const WIDTH_ROWS: usize = 1_000;
const MAX_WIDTH: usize = 60;

pub fn run(args: QueryArgs) -> Result<ExitCode, Error> {
    let store = Store::open(&args.project)?;
    let query = Query {
        filters: args.filter.clone(),
        join: if args.or { Join::Or } else { Join::And },
        search: args.search.clone().unwrap_or_default(),
        sort: args.sort.clone(),
    };
    if !query.search.trim().is_empty() {
        // The first search after a large import indexes its tasks: say why it waits.
        let pending = store.search_index_pending()?;
        if pending >= 10_000 {
            crate::progress::status(&format!(
                "building the search index for {pending} tasks (once, after a large import)..."
            ));
        }
        store.ensure_search_index()?;
    }
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out.lock());
    // A spinner on standard error while the query runs over a second, cleared before
    // the first line of output.
    let mut waiting = Some(crate::progress::Progress::waiting("querying"));
    let r = if args.count {
        let n = store.query_count(&query)?;
        stop_waiting(&mut waiting);
        writeln!(out, "{n}").map_err(io)
    } else if let Some(field) = &args.freq {
        let format = match args.format.unwrap_or(Format::Table) {
            f @ (Format::Table | Format::Json) => f,
            f => {
                return Err(Error::Usage(format!(
                    "--freq prints a table or json, not {}",
                    f.to_possible_value()
                        .map_or("?".into(), |v| v.get_name().to_string())
                )));
            }
        };
        let output = FreqOutput {
            by: args.by,
            format,
            limit: args.limit,
        };
        freq(&store, &query, field, output, &mut out, &mut waiting)
    } else {
        let format = args.format.unwrap_or(Format::Table);
        if format == Format::Json {
            return Err(Error::Usage(
                "--format json is for --freq; rows print as table, jsonl, csv or ids".into(),
            ));
        }
        let columns = args.columns.map_or_else(default_columns, |c| c.0);
        rows(
            &store,
            &query,
            &columns,
            format,
            args.limit,
            &mut out,
            &mut waiting,
        )
    };
    match r.and_then(|()| out.flush().map_err(io)) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // A reader that stops early (`| head`) is not a failure.
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(e),
    }
}

/// Clears the spinner (before output is printed).
fn stop_waiting(waiting: &mut Option<crate::progress::Progress>) {
    if let Some(mut p) = waiting.take() {
        p.finish();
    }
}

fn io(e: std::io::Error) -> Error {
    Error::io("standard output", e)
}

/// One line, made safe for the terminal.
fn line(out: &mut impl Write, text: &str) -> Result<(), Error> {
    writeln!(out, "{}", term_safe(text)).map_err(io)
}

fn cell_text(v: &Value) -> String {
    v.to_string()
}

fn rows(
    store: &Store,
    query: &Query,
    columns: &[Field],
    format: Format,
    limit: Option<u64>,
    out: &mut impl Write,
    waiting: &mut Option<crate::progress::Progress>,
) -> Result<(), Error> {
    let set = store.run_query(query)?;
    stop_waiting(waiting);
    let total = limit.map_or(set.count(), |l| l.min(set.count()));
    let names: Vec<String> = columns.iter().map(Field::to_string).collect();
    if format == Format::Csv {
        csv_rows(out, std::iter::once(names.clone()))?;
    }
    let mut widths: Option<Vec<usize>> = None;
    let mut offset = 0;
    while offset < total {
        let n = PAGE.min((total - offset) as usize);
        let fields = if format == Format::Ids {
            &[][..]
        } else {
            columns
        };
        let page = set.page(store, offset, n, fields)?;
        if page.is_empty() && offset + (n as u64) >= total {
            break;
        }
        match format {
            Format::Ids => {
                for r in &page {
                    writeln!(out, "{}", r.id).map_err(io)?;
                }
            }
            Format::Jsonl => {
                for r in &page {
                    let obj: serde_json::Map<String, serde_json::Value> = names
                        .iter()
                        .zip(&r.cells)
                        .map(|(n, v)| (n.clone(), v.to_json()))
                        .collect();
                    let text = serde_json::to_string(&obj).expect("JSON serialises");
                    writeln!(out, "{}", json_term_safe(&text)).map_err(io)?;
                }
            }
            Format::Csv => csv_rows(
                out,
                page.iter()
                    .map(|r| r.cells.iter().map(cell_text).collect::<Vec<_>>()),
            )?,
            Format::Table | Format::Json => {
                let w = widths.get_or_insert_with(|| table_widths(&names, &page));
                if offset == 0 {
                    let head: Vec<String> = names.clone();
                    line(out, &table_line(&head, w))?;
                }
                for r in &page {
                    let cells: Vec<String> = r.cells.iter().map(cell_text).collect();
                    line(out, &table_line(&cells, w))?;
                }
            }
        }
        offset += n as u64;
    }
    if format == Format::Table && total == 0 {
        line(out, &table_line(&names, &table_widths(&names, &[])))?;
    }
    set.close(store)?;
    Ok(())
}

/// Records as CSV, made safe for the terminal (quoting keeps the CSV readable).
fn csv_rows(out: &mut impl Write, records: impl Iterator<Item = Vec<String>>) -> Result<(), Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in records {
        w.write_record(&r)
            .map_err(|e| Error::Other(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Other(e.to_string()))?;
    out.write_all(term_safe(&String::from_utf8_lossy(&bytes)).as_bytes())
        .map_err(io)
}

fn table_widths(names: &[String], rows: &[ResultRow]) -> Vec<usize> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            rows.iter()
                .take(WIDTH_ROWS)
                .map(|r| display_width(&cell_text(&r.cells[i])))
                .chain([display_width(n)])
                .max()
                .unwrap_or(0)
                .min(MAX_WIDTH)
        })
        .collect()
}

/// Cells two spaces apart, each fitted to its column (cut with … when longer); cell text
/// goes through the sanitiser in `fit`, and newlines in it show as spaces.
fn table_line(cells: &[String], widths: &[usize]) -> String {
    cells
        .iter()
        .zip(widths)
        .map(|(c, w)| fit(&c.replace(['\n', '\r'], " "), *w))
        .collect::<Vec<_>>()
        .join("  ")
        .trim_end()
        .to_string()
}

/// How a value is named in a frequency table (tasks without one as "").
fn freq_key(v: &Value) -> String {
    v.to_string()
}

/// How a frequency table is printed.
struct FreqOutput {
    by: Option<By>,
    format: Format,
    limit: Option<u64>,
}

fn freq(
    store: &Store,
    query: &Query,
    field: &Field,
    output: FreqOutput,
    out: &mut impl Write,
    waiting: &mut Option<crate::progress::Progress>,
) -> Result<(), Error> {
    let FreqOutput { by, format, limit } = output;
    let limit = limit.unwrap_or(u64::MAX) as usize;
    match by {
        None => {
            let rows = store.freq(query, field)?;
            stop_waiting(waiting);
            let rows = &rows[..rows.len().min(limit)];
            if format == Format::Json {
                let obj: serde_json::Map<String, serde_json::Value> = rows
                    .iter()
                    .map(|r| (freq_key(&r.value), r.count.into()))
                    .collect();
                let text = serde_json::to_string(&obj).expect("JSON serialises");
                writeln!(out, "{}", json_term_safe(&text)).map_err(io)?;
            } else {
                let cells: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        vec![
                            if r.value.is_null() {
                                "(empty)".into()
                            } else {
                                freq_key(&r.value)
                            },
                            r.count.to_string(),
                        ]
                    })
                    .collect();
                print_table(out, &[field.to_string(), "tasks".into()], &cells)?;
            }
        }
        Some(by) => {
            let group = match by {
                By::Annotator => GroupBy::Annotator,
                By::Model => GroupBy::Model,
            };
            let rows = store.freq_by(query, field, group)?;
            stop_waiting(waiting);
            let rows = &rows[..rows.len().min(limit)];
            if format == Format::Json {
                let mut obj = serde_json::Map::new();
                for r in rows {
                    let g = obj
                        .entry(r.group.clone())
                        .or_insert_with(|| serde_json::Value::Object(Default::default()));
                    g[freq_key(&r.value)] = r.count.into();
                }
                let text = serde_json::to_string(&obj).expect("JSON serialises");
                writeln!(out, "{}", json_term_safe(&text)).map_err(io)?;
            } else {
                let cells: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| vec![r.group.clone(), freq_key(&r.value), r.count.to_string()])
                    .collect();
                let head = match by {
                    By::Annotator => "annotator",
                    By::Model => "model",
                };
                print_table(
                    out,
                    &[head.into(), field.to_string(), "tasks".into()],
                    &cells,
                )?;
            }
        }
    }
    Ok(())
}

fn print_table(out: &mut impl Write, head: &[String], rows: &[Vec<String>]) -> Result<(), Error> {
    let widths: Vec<usize> = (0..head.len())
        .map(|i| {
            rows.iter()
                .map(|r| display_width(&r[i]))
                .chain([display_width(&head[i])])
                .max()
                .unwrap_or(0)
                .min(MAX_WIDTH)
        })
        .collect();
    line(out, &table_line(head, &widths))?;
    for r in rows {
        line(out, &table_line(r, &widths))?;
    }
    Ok(())
}
