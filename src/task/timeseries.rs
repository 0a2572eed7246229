//! TimeSeries data as the annotator labels it: the time axis and channel columns built from
//! a `<TimeSeries>` tag and its task value, a cursor with a selection and a visible window,
//! and `timeserieslabels` regions in Label Studio's result shape
//! (`value: {start, end, instant, timeserieslabels}`).
//!
//! Times follow Label Studio: without `timeColumn` the time axis is the row index; with
//! `timeFormat` the time column holds formatted dates (parsed here with the strftime forms
//! d3 shares with chrono); otherwise it holds numbers. Region edges are written back as
//! Label Studio writes them: the index or the number for numeric axes, and for formatted
//! dates the point's own text from the data, which is its time formatted with `timeFormat`.

use crate::config::{ControlTag, Element, LabelConfig};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::{Map, Number, Value, json};

/// Points summarised per block of the min/max pyramid the chart reads.
const BLOCK: usize = 256;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SeriesError {
    #[error("no TimeSeries named {0:?} in the config")]
    NoObject(String),
    #[error("TimeSeries data must be an object of columns, a list of rows or CSV text")]
    NotColumns,
    #[error("CSV: {0}")]
    Csv(String),
    #[error(
        "Column names count differs from data columns count ({header} vs {row}) on line {line}"
    )]
    ColumnCount {
        header: usize,
        row: usize,
        line: usize,
    },
    #[error("time column {0:?} is not in the data")]
    NoTimeColumn(String),
    #[error("channel column {0:?} is not in the data")]
    NoChannelColumn(String),
    #[error("columns have different lengths ({0:?} has {1} values, the time axis {2})")]
    Length(String, usize, usize),
}

/// What the `<TimeSeries>` tag and its `<Channel>` children say about the data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeriesSpec {
    pub object: String,
    pub time_column: Option<String>,
    pub time_format: Option<String>,
    pub time_display_format: Option<String>,
    /// `sep` for CSV text; guessed from the data when absent.
    pub sep: Option<char>,
    pub channels: Vec<ChannelSpec>,
}

/// One `<Channel>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChannelSpec {
    pub column: String,
    pub legend: Option<String>,
    pub stroke_color: Option<String>,
    pub units: Option<String>,
}

impl SeriesSpec {
    /// The spec of the `<TimeSeries name=object>` in `config`.
    pub fn from_config(config: &LabelConfig, object: &str) -> Result<SeriesSpec, SeriesError> {
        config
            .root
            .subtree()
            .into_iter()
            .find(|el| el.tag == "TimeSeries" && el.attr("name") == Some(object))
            .map(Self::from_element)
            .ok_or_else(|| SeriesError::NoObject(object.to_string()))
    }

    /// The spec of one `<TimeSeries>` element (attribute names read case-insensitively).
    pub fn from_element(el: &Element) -> SeriesSpec {
        let attr =
            |e: &Element, n: &str| e.attr_ci(n).filter(|v| !v.is_empty()).map(str::to_string);
        let sep = attr(el, "sep").and_then(|s| match s.as_str() {
            "\\t" | "tab" => Some('\t'),
            s => s.chars().next(),
        });
        let channels = el
            .elements()
            .filter(|c| c.tag == "Channel")
            .filter_map(|c| {
                Some(ChannelSpec {
                    column: attr(c, "column")?,
                    legend: attr(c, "legend"),
                    stroke_color: attr(c, "strokeColor"),
                    units: attr(c, "units"),
                })
            })
            .collect();
        SeriesSpec {
            object: el.attr("name").unwrap_or_default().to_string(),
            time_column: attr(el, "timeColumn"),
            time_format: attr(el, "timeFormat"),
            time_display_format: attr(el, "timeDisplayFormat"),
            sep,
            channels,
        }
    }
}

/// What the time axis holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeKind {
    /// No time column: the row index.
    Index,
    /// A numeric time column.
    Number,
    /// Dates parsed with `timeFormat`; `t` is milliseconds since the epoch.
    Date,
}

/// A time cell as the data holds it, kept to write region edges back in the same form.
#[derive(Debug, Clone, PartialEq)]
pub enum RawTime {
    Index,
    Number(Number),
    Text(String),
}

/// One point of the time axis: its position `t` (index, number, or epoch milliseconds for
/// dates; NaN when the cell does not parse) and its cell as written.
#[derive(Debug, Clone, PartialEq)]
pub struct TimePoint {
    pub t: f64,
    pub raw: RawTime,
}

/// One plotted column.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub column: String,
    /// `legend`, else the column name.
    pub label: String,
    pub stroke_color: Option<String>,
    pub units: Option<String>,
    /// NaN where a cell is missing or not a number.
    pub values: Vec<f64>,
    /// Min and max of each run of `BLOCK` values (NaN skipped), so a window's extent costs
    /// O(window / BLOCK + BLOCK) instead of O(window).
    blocks: Vec<(f64, f64)>,
}

impl Channel {
    fn new(spec: &ChannelSpec, values: Vec<f64>) -> Channel {
        let blocks = values.chunks(BLOCK).map(|c| extent(c.iter())).collect();
        Channel {
            column: spec.column.clone(),
            label: spec.legend.clone().unwrap_or_else(|| spec.column.clone()),
            stroke_color: spec.stroke_color.clone(),
            units: spec.units.clone(),
            values,
            blocks,
        }
    }

    /// The smallest and largest finite value in `from..=to` (clamped to the data), or `None`
    /// when there is none.
    pub fn min_max(&self, from: usize, to: usize) -> Option<(f64, f64)> {
        let n = self.values.len();
        if n == 0 || from > to || from >= n {
            return None;
        }
        let to = to.min(n - 1);
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut add = |(a, b): (f64, f64)| {
            lo = lo.min(a);
            hi = hi.max(b);
        };
        let first_full = from.div_ceil(BLOCK);
        let end_full = (to + 1) / BLOCK;
        if first_full >= end_full {
            add(extent(self.values[from..=to].iter()));
        } else {
            add(extent(self.values[from..first_full * BLOCK].iter()));
            for b in &self.blocks[first_full..end_full] {
                add(*b);
            }
            add(extent(self.values[end_full * BLOCK..=to].iter()));
        }
        (lo <= hi).then_some((lo, hi))
    }
}

fn extent<'a>(values: impl Iterator<Item = &'a f64>) -> (f64, f64) {
    values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        })
}

/// A TimeSeries ready to plot and label.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The object tag's name (the `to_name` of its regions).
    pub object: String,
    pub kind: TimeKind,
    pub time_format: Option<String>,
    pub time_display_format: Option<String>,
    pub times: Vec<TimePoint>,
    pub channels: Vec<Channel>,
    /// Whether `t` never decreases (binary search for the nearest point).
    sorted: bool,
}

impl Series {
    /// Builds the series of `<TimeSeries name=object>` from its resolved task value.
    pub fn from_config(
        config: &LabelConfig,
        object: &str,
        value: &Value,
    ) -> Result<Series, SeriesError> {
        Self::build(&SeriesSpec::from_config(config, object)?, value)
    }

    /// Builds a series from a spec and the task value: an object of column arrays
    /// (`valueType="json"`), a list of row objects, or CSV text (what a `valueType="url"`
    /// value loads to).
    pub fn build(spec: &SeriesSpec, value: &Value) -> Result<Series, SeriesError> {
        let columns = match value {
            Value::Object(m) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::Array(a) => Ok((k.clone(), a.clone())),
                    _ => Err(SeriesError::NotColumns),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Value::Array(rows) => rows_to_columns(rows)?,
            // Loaded text: a JSON document of columns or rows, else CSV.
            Value::String(text) => match serde_json::from_str::<Value>(text.trim()) {
                Ok(v @ (Value::Object(_) | Value::Array(_))) => return Self::build(spec, &v),
                _ => parse_csv(text, spec.sep)?,
            },
            _ => return Err(SeriesError::NotColumns),
        };
        Self::from_columns(spec, columns)
    }

    fn from_columns(
        spec: &SeriesSpec,
        columns: Vec<(String, Vec<Value>)>,
    ) -> Result<Series, SeriesError> {
        let find = |name: &str| {
            columns.iter().position(|(k, _)| k == name).or_else(|| {
                // CSV headers are lower-cased on load, configs may not be.
                columns
                    .iter()
                    .position(|(k, _)| k.eq_ignore_ascii_case(name))
            })
        };
        let time_idx = match &spec.time_column {
            Some(c) => Some(find(c).ok_or_else(|| SeriesError::NoTimeColumn(c.clone()))?),
            None => None,
        };
        let format = spec.time_format.as_deref();
        let (kind, times) = match time_idx {
            None => {
                let n = columns.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
                let times: Vec<TimePoint> = (0..n)
                    .map(|i| TimePoint {
                        t: i as f64,
                        raw: RawTime::Index,
                    })
                    .collect();
                (TimeKind::Index, times)
            }
            Some(i) => {
                let kind = if format.is_some() {
                    TimeKind::Date
                } else {
                    TimeKind::Number
                };
                let times: Vec<TimePoint> =
                    columns[i].1.iter().map(|v| time_point(v, format)).collect();
                (kind, times)
            }
        };
        let specs: Vec<ChannelSpec> = if spec.channels.is_empty() {
            // No <Channel>: every numeric column but the time column.
            columns
                .iter()
                .enumerate()
                .filter(|(i, (_, v))| Some(*i) != time_idx && v.iter().any(|x| number(x).is_some()))
                .map(|(_, (k, _))| ChannelSpec {
                    column: k.clone(),
                    ..ChannelSpec::default()
                })
                .collect()
        } else {
            spec.channels.clone()
        };
        let mut channels = Vec::with_capacity(specs.len());
        for c in &specs {
            let i =
                find(&c.column).ok_or_else(|| SeriesError::NoChannelColumn(c.column.clone()))?;
            let col = &columns[i].1;
            if col.len() != times.len() {
                return Err(SeriesError::Length(
                    c.column.clone(),
                    col.len(),
                    times.len(),
                ));
            }
            let values = col.iter().map(|v| number(v).unwrap_or(f64::NAN)).collect();
            channels.push(Channel::new(c, values));
        }
        let sorted = times.windows(2).all(|w| w[0].t <= w[1].t);
        Ok(Series {
            object: spec.object.clone(),
            kind,
            time_format: spec.time_format.clone(),
            time_display_format: spec.time_display_format.clone(),
            times,
            channels,
            sorted,
        })
    }

    /// A series over the row index from channel values already in memory (generated or
    /// derived data). Channels shorter than the longest are padded with NaN.
    pub fn indexed(object: &str, channels: Vec<(String, Vec<f64>)>) -> Series {
        let n = channels.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
        let times = (0..n)
            .map(|i| TimePoint {
                t: i as f64,
                raw: RawTime::Index,
            })
            .collect();
        let channels = channels
            .into_iter()
            .map(|(column, mut values)| {
                values.resize(n, f64::NAN);
                let spec = ChannelSpec {
                    column,
                    ..ChannelSpec::default()
                };
                Channel::new(&spec, values)
            })
            .collect();
        Series {
            object: object.to_string(),
            kind: TimeKind::Index,
            time_format: None,
            time_display_format: None,
            times,
            channels,
            sorted: true,
        }
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// The time of point `idx` as a region edge is written: the index, the number, or the
    /// date text of the data.
    pub fn time_value(&self, idx: usize) -> Value {
        let Some(p) = self.times.get(idx) else {
            return Value::Null;
        };
        match (&p.raw, self.kind) {
            (RawTime::Index, _) => Value::from(idx),
            (RawTime::Number(n), _) => Value::Number(n.clone()),
            (RawTime::Text(s), TimeKind::Date) => Value::String(s.clone()),
            // A numeric axis given as text ("12.5"): written as the number it means.
            (RawTime::Text(s), _) => number_value(p.t).unwrap_or_else(|| Value::String(s.clone())),
        }
    }

    /// The time of point `idx` for display: `timeDisplayFormat` for dates when set, else
    /// the cell as the data writes it.
    pub fn time_label(&self, idx: usize) -> String {
        let Some(p) = self.times.get(idx) else {
            return String::new();
        };
        if self.kind == TimeKind::Date
            && let Some(fmt) = &self.time_display_format
            && p.t.is_finite()
            && let Some(dt) = DateTime::from_timestamp_millis(p.t as i64)
        {
            let fmt = chrono_format(fmt);
            let mut out = String::new();
            if std::fmt::Write::write_fmt(&mut out, format_args!("{}", dt.naive_utc().format(&fmt)))
                .is_ok()
            {
                return out;
            }
        }
        match &p.raw {
            RawTime::Index => idx.to_string(),
            RawTime::Number(n) => n.to_string(),
            RawTime::Text(s) => s.clone(),
        }
    }

    /// The point nearest to a stored region edge (a number, or a string in the data's or
    /// `timeFormat`'s form).
    pub fn index_of(&self, edge: &Value) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        let t = match edge {
            Value::Number(n) => n.as_f64()?,
            Value::String(s) => {
                if let Some(i) = self
                    .times
                    .iter()
                    .position(|p| matches!(&p.raw, RawTime::Text(r) if r == s))
                {
                    return Some(i);
                }
                let parsed = match (self.kind, self.time_format.as_deref()) {
                    (TimeKind::Date, Some(f)) => parse_time(s, f),
                    _ => None,
                };
                parsed.or_else(|| s.trim().parse::<f64>().ok())?
            }
            _ => return None,
        };
        if !t.is_finite() {
            return None;
        }
        self.nearest(t)
    }

    fn nearest(&self, t: f64) -> Option<usize> {
        let dist = |i: usize| (self.times[i].t - t).abs();
        if self.sorted {
            let after = self.times.partition_point(|p| p.t < t);
            let candidates = [after.checked_sub(1), Some(after)];
            return candidates
                .into_iter()
                .flatten()
                .filter(|&i| i < self.len() && self.times[i].t.is_finite())
                .min_by(|&a, &b| dist(a).total_cmp(&dist(b)));
        }
        (0..self.len())
            .filter(|&i| self.times[i].t.is_finite())
            .min_by(|&a, &b| dist(a).total_cmp(&dist(b)))
    }
}

fn time_point(v: &Value, format: Option<&str>) -> TimePoint {
    match (v, format) {
        (Value::Number(n), Some(f)) => {
            // %s / %Q data may arrive as numbers.
            let x = n.as_f64().unwrap_or(f64::NAN);
            let t = match f {
                "%s" => x * 1000.0,
                _ => x,
            };
            TimePoint {
                t,
                raw: RawTime::Number(n.clone()),
            }
        }
        (Value::Number(n), None) => TimePoint {
            t: n.as_f64().unwrap_or(f64::NAN),
            raw: RawTime::Number(n.clone()),
        },
        (other, f) => {
            let s = crate::task::resolve::as_text(other);
            let t = match f {
                Some(f) => parse_time(&s, f),
                None => s.trim().parse::<f64>().ok(),
            };
            TimePoint {
                t: t.unwrap_or(f64::NAN),
                raw: RawTime::Text(s),
            }
        }
    }
}

/// d3's time format directives that chrono spells differently.
fn chrono_format(d3: &str) -> String {
    let mut out = String::with_capacity(d3.len() + 4);
    let mut chars = d3.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::from("%");
        if let Some(&p) = chars.peek()
            && matches!(p, '-' | '_' | '0')
        {
            spec.push(p);
            chars.next();
        }
        match chars.next() {
            Some('L') => out.push_str("%3f"),
            Some('f') => out.push_str("%6f"),
            Some('Z') => out.push_str("%z"),
            Some(d) => {
                out.push_str(&spec);
                out.push(d);
            }
            None => out.push_str(&spec),
        }
    }
    out
}

/// Parses a date with a d3/strftime format into epoch milliseconds (UTC when the text
/// carries no offset). A date without a time of day is midnight.
pub fn parse_time(text: &str, format: &str) -> Option<f64> {
    let text = text.trim();
    match format {
        "%Q" => return text.parse::<f64>().ok(),
        "%s" => return text.parse::<f64>().ok().map(|s| s * 1000.0),
        _ => {}
    }
    let f = chrono_format(format);
    if let Ok(dt) = DateTime::parse_from_str(text, &f) {
        return Some(dt.timestamp_millis() as f64);
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(text, &f) {
        return Some(dt.and_utc().timestamp_millis() as f64);
    }
    NaiveDate::parse_from_str(text, &f)
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp_millis() as f64)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

fn number_value(x: f64) -> Option<Value> {
    if !x.is_finite() {
        return None;
    }
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        return Some(Value::from(x as i64));
    }
    Number::from_f64(x).map(Value::Number)
}

fn rows_to_columns(rows: &[Value]) -> Result<Vec<(String, Vec<Value>)>, SeriesError> {
    let mut columns: Vec<(String, Vec<Value>)> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let Value::Object(m) = row else {
            return Err(SeriesError::NotColumns);
        };
        for (k, v) in m {
            let col = match columns.iter().position(|(c, _)| c == k) {
                Some(i) => &mut columns[i].1,
                None => {
                    columns.push((k.clone(), vec![Value::Null; r]));
                    &mut columns.last_mut().expect("just pushed").1
                }
            };
            col.push(v.clone());
        }
        for (_, col) in &mut columns {
            col.resize(r + 1, Value::Null);
        }
    }
    Ok(columns)
}

/// CSV text the way Label Studio's browser parser reads it: the separator guessed from the
/// second line unless given, a header detected by comparing the numeric cells of the first
/// two rows, header names lower-cased, headless columns named "0", "1"...
fn parse_csv(text: &str, sep: Option<char>) -> Result<Vec<(String, Vec<Value>)>, SeriesError> {
    let text = text.trim_start_matches('\u{feff}');
    let sep = sep.unwrap_or_else(|| {
        let mut lines = text.lines();
        let first = lines.next().unwrap_or("");
        let probe = lines.next().unwrap_or(first);
        [',', ';', '\t', '|']
            .into_iter()
            .max_by_key(|c| probe.matches(*c).count())
            .filter(|c| probe.contains(*c))
            .unwrap_or(',')
    });
    let mut delimiter = [0u8; 4];
    let delimiter = sep.encode_utf8(&mut delimiter).as_bytes()[0];
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows: Vec<csv::StringRecord> = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| SeriesError::Csv(e.to_string()))?;
        if rec.len() == 1 && rec[0].trim().is_empty() {
            continue;
        }
        rows.push(rec);
    }
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let is_num = |s: &str| s.trim().parse::<f64>().is_ok();
    let header = rows.len() == 1
        || first
            .iter()
            .zip(rows[1].iter())
            .any(|(a, b)| is_num(a) != is_num(b));
    let names: Vec<String> = if header {
        first.iter().map(|h| h.trim().to_lowercase()).collect()
    } else {
        (0..first.len()).map(|i| i.to_string()).collect()
    };
    let mut columns: Vec<Vec<Value>> = vec![Vec::with_capacity(rows.len()); names.len()];
    for (i, rec) in rows.iter().enumerate().skip(usize::from(header)) {
        if rec.len() != names.len() {
            return Err(SeriesError::ColumnCount {
                header: names.len(),
                row: rec.len(),
                line: rec.position().map_or(i + 1, |p| p.line() as usize),
            });
        }
        for (c, cell) in rec.iter().enumerate() {
            let cell = cell.trim();
            columns[c].push(if let Ok(n) = cell.parse::<i64>() {
                Value::from(n)
            } else if let Some(n) = cell.parse::<f64>().ok().and_then(Number::from_f64) {
                Value::Number(n)
            } else {
                Value::String(cell.to_string())
            });
        }
    }
    Ok(names.into_iter().zip(columns).collect())
}

/// The cursor on the time axis, an optional selection anchor, and the visible window,
/// which follows the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeCursor {
    len: usize,
    cursor: usize,
    anchor: Option<usize>,
    /// First visible index and number of visible points.
    window_start: usize,
    window_len: usize,
}

/// The narrowest window zooming in reaches.
const MIN_WINDOW: usize = 8;

impl TimeCursor {
    /// A cursor at the first point with the whole series visible.
    pub fn new(len: usize) -> TimeCursor {
        TimeCursor {
            len,
            cursor: 0,
            anchor: None,
            window_start: 0,
            window_len: len,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn anchor(&self) -> Option<usize> {
        self.anchor
    }

    /// The visible points, first and last inclusive (`(0, 0)` for an empty series).
    pub fn window(&self) -> (usize, usize) {
        let last = (self.window_start + self.window_len).saturating_sub(1);
        (self.window_start, last.max(self.window_start))
    }

    /// The selected points, ordered, when a selection is open.
    pub fn selection(&self) -> Option<(usize, usize)> {
        self.anchor
            .map(|a| (a.min(self.cursor), a.max(self.cursor)))
    }

    /// Opens a selection at the cursor.
    pub fn start_selection(&mut self) {
        self.anchor = Some(self.cursor);
    }

    pub fn clear_selection(&mut self) {
        self.anchor = None;
    }

    /// What a label applies to: the selection, else the cursor point alone.
    pub fn target(&self) -> (usize, usize) {
        self.selection().unwrap_or((self.cursor, self.cursor))
    }

    /// Moves the cursor to `idx` (clamped) and scrolls the window to keep it visible.
    pub fn move_to(&mut self, idx: usize) {
        if self.len == 0 {
            return;
        }
        self.cursor = idx.min(self.len - 1);
        self.follow();
    }

    /// Moves by `delta` points (a count prefix is just a larger delta).
    pub fn move_by(&mut self, delta: isize) {
        self.move_to(self.cursor.saturating_add_signed(delta));
    }

    /// One page is a tenth of the visible window (at least one point).
    pub fn page_size(&self) -> usize {
        (self.window_len / 10).max(1)
    }

    pub fn page(&mut self, pages: isize) {
        self.move_by(pages.saturating_mul(self.page_size() as isize));
    }

    pub fn to_start(&mut self) {
        self.move_to(0);
    }

    pub fn to_end(&mut self) {
        self.move_to(self.len.saturating_sub(1));
    }

    /// Shows `points` points (clamped to the data and `MIN_WINDOW`) centred on the cursor.
    pub fn set_window_len(&mut self, points: usize) {
        self.window_len = points.max(MIN_WINDOW).min(self.len);
        self.window_start = self.cursor.saturating_sub(self.window_len / 2);
        self.clamp_window();
    }

    /// Halves the visible window around the cursor.
    pub fn zoom_in(&mut self) {
        self.set_window_len(self.window_len / 2);
    }

    /// Doubles the visible window around the cursor.
    pub fn zoom_out(&mut self) {
        self.set_window_len(self.window_len.saturating_mul(2));
    }

    /// Shows the whole series.
    pub fn zoom_all(&mut self) {
        self.window_start = 0;
        self.window_len = self.len;
    }

    /// Keeps the state valid after the series changed length (data reloaded).
    pub fn resize(&mut self, len: usize) {
        self.len = len;
        self.window_len = self.window_len.min(len);
        if len == 0 {
            self.cursor = 0;
            self.anchor = None;
            self.window_start = 0;
            return;
        }
        self.cursor = self.cursor.min(len - 1);
        self.anchor = self.anchor.map(|a| a.min(len - 1));
        if self.window_len == 0 {
            self.window_len = len;
        }
        self.follow();
    }

    fn follow(&mut self) {
        if self.cursor < self.window_start {
            self.window_start = self.cursor;
        } else if self.cursor >= self.window_start + self.window_len {
            self.window_start = self.cursor + 1 - self.window_len;
        }
        self.clamp_window();
    }

    fn clamp_window(&mut self) {
        self.window_start = self
            .window_start
            .min(self.len.saturating_sub(self.window_len));
    }
}

/// Which end of a region a resize moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Start,
    End,
}

/// A new `timeserieslabels` result over points `from..=to` (either order):
/// `{id, from_name, to_name, type, value: {start, end, instant, timeserieslabels}, origin}`.
pub fn make_region(
    series: &Series,
    from: usize,
    to: usize,
    control: &ControlTag,
    labels: &[String],
    id: String,
) -> Value {
    let (a, b) = (from.min(to), from.max(to));
    let mut value = Map::new();
    value.insert("start".into(), series.time_value(a));
    value.insert("end".into(), series.time_value(b));
    value.insert("instant".into(), Value::Bool(a == b));
    value.insert(control.result_type().into(), json!(labels));
    json!({
        "id": id,
        "from_name": control.name,
        "to_name": series.object,
        "type": control.result_type(),
        "value": value,
        "origin": "manual",
    })
}

fn value_of(region: &Value) -> Option<&Map<String, Value>> {
    match region.get("value") {
        Some(Value::Object(m)) => Some(m),
        _ => region.as_object(),
    }
}

fn value_of_mut(region: &mut Value) -> Option<&mut Map<String, Value>> {
    if region.get("value").is_some_and(Value::is_object) {
        return region.get_mut("value").and_then(Value::as_object_mut);
    }
    region.as_object_mut()
}

/// The points a region covers, ordered (a result, or its bare `value`).
pub fn region_range(series: &Series, region: &Value) -> Option<(usize, usize)> {
    let v = value_of(region)?;
    let start = series.index_of(v.get("start")?)?;
    let end = v
        .get("end")
        .and_then(|e| series.index_of(e))
        .unwrap_or(start);
    Some((start.min(end), start.max(end)))
}

fn write_range(series: &Series, region: &mut Value, a: usize, b: usize) -> bool {
    let (start, end) = (series.time_value(a), series.time_value(b));
    let Some(v) = value_of_mut(region) else {
        return false;
    };
    v.insert("start".into(), start);
    v.insert("end".into(), end);
    v.insert("instant".into(), Value::Bool(a == b));
    true
}

/// Shifts a region by `delta` points, keeping its length, stopped at the data's ends.
/// Returns whether the region changed.
pub fn move_region(region: &mut Value, series: &Series, delta: isize) -> bool {
    let Some((a, b)) = region_range(series, region) else {
        return false;
    };
    let last = series.len() - 1;
    let delta = if delta < 0 {
        -(delta.unsigned_abs().min(a) as isize)
    } else {
        delta.min((last - b) as isize)
    };
    if delta == 0 {
        return false;
    }
    write_range(
        series,
        region,
        a.saturating_add_signed(delta),
        b.saturating_add_signed(delta),
    )
}

/// Moves one edge of a region by `delta` points, within the data and never past the other
/// edge (a region shrunk to one point becomes an instant). Returns whether it changed.
pub fn resize_region(region: &mut Value, series: &Series, edge: Edge, delta: isize) -> bool {
    let Some((a, b)) = region_range(series, region) else {
        return false;
    };
    let last = series.len() - 1;
    let (na, nb) = match edge {
        Edge::Start => (a.saturating_add_signed(delta).min(b), b),
        Edge::End => (a, b.saturating_add_signed(delta).clamp(a, last)),
    };
    if (na, nb) == (a, b) {
        return false;
    }
    write_range(series, region, na, nb)
}

/// Replaces a region's labels (`value.<type>`, `timeserieslabels` by default).
pub fn relabel(region: &mut Value, labels: &[String]) {
    let key = region
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("timeserieslabels")
        .to_string();
    if let Some(v) = value_of_mut(region) {
        v.insert(key, json!(labels));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(xml: &str) -> LabelConfig {
        LabelConfig::parse(xml).expect("config")
    }

    const NUMERIC: &str = r##"<View>
      <TimeSeriesLabels name="lbl" toName="ts"><Label value="Run"/><Label value="Walk"/></TimeSeriesLabels>
      <TimeSeries name="ts" value="$csv" valueType="url" timeColumn="time">
        <Channel column="velocity" legend="Velocity" strokeColor="#1f77b4"/>
        <Channel column="acceleration"/>
      </TimeSeries>
    </View>"##;

    fn numeric() -> (LabelConfig, Series) {
        let c = config(NUMERIC);
        let csv =
            "Time,Velocity,Acceleration\n0,1.5,0.1\n10,2.5,0.2\n20,3,0.3\n30,2,0.4\n40,1,0.5\n";
        let s = Series::from_config(&c, "ts", &json!(csv)).expect("series");
        (c, s)
    }

    fn labels(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn csv_with_header_and_numeric_time() {
        let (_, s) = numeric();
        assert_eq!(s.kind, TimeKind::Number);
        assert_eq!(s.len(), 5);
        assert_eq!(s.times[2].t, 20.0);
        assert_eq!(s.channels.len(), 2);
        assert_eq!(s.channels[0].label, "Velocity");
        assert_eq!(s.channels[0].stroke_color.as_deref(), Some("#1f77b4"));
        assert_eq!(s.channels[1].label, "acceleration");
        assert_eq!(s.channels[0].values, vec![1.5, 2.5, 3.0, 2.0, 1.0]);
        assert_eq!(s.time_value(3), json!(30));
        assert_eq!(s.time_label(3), "30");
    }

    #[test]
    fn csv_separator_guess_headless_and_column_count() {
        let spec = SeriesSpec {
            object: "ts".into(),
            time_column: Some("0".into()),
            ..SeriesSpec::default()
        };
        let s = Series::build(&spec, &json!("1;5\n2;6\n3;7\n")).expect("headless");
        assert_eq!(s.channels.len(), 1);
        assert_eq!(s.channels[0].column, "1");
        assert_eq!(s.channels[0].values, vec![5.0, 6.0, 7.0]);
        let sep_given = SeriesSpec {
            sep: Some('|'),
            ..spec.clone()
        };
        assert_eq!(
            Series::build(&sep_given, &json!("1|5\n2|6\n"))
                .unwrap()
                .len(),
            2
        );
        assert!(matches!(
            Series::build(&spec, &json!("t,a\n1,2\n3\n")),
            Err(SeriesError::ColumnCount {
                header: 2,
                row: 1,
                ..
            })
        ));
    }

    #[test]
    fn json_columns_and_rows() {
        let (c, _) = numeric();
        let cols =
            json!({"time": [0, 1, 2], "velocity": [1, 2, 3], "acceleration": [0.5, null, "x"]});
        let s = Series::from_config(&c, "ts", &cols).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.channels[0].values, vec![1.0, 2.0, 3.0]);
        assert!(s.channels[1].values[1].is_nan() && s.channels[1].values[2].is_nan());
        let loaded = json!(r#"{"time": [0, 1], "velocity": [4, 5], "acceleration": [0, 0]}"#);
        let s = Series::from_config(&c, "ts", &loaded).unwrap();
        assert_eq!(s.channels[0].values, vec![4.0, 5.0]);
        let rows = json!([
            {"time": 0, "velocity": 1, "acceleration": 0},
            {"time": 5, "velocity": 2, "acceleration": 1}
        ]);
        let s = Series::from_config(&c, "ts", &rows).unwrap();
        assert_eq!(s.times[1].t, 5.0);
        assert!(matches!(
            Series::from_config(&c, "ts", &json!({"velocity": [1]})),
            Err(SeriesError::NoTimeColumn(_))
        ));
        assert!(matches!(
            Series::from_config(&c, "ts", &json!(3)),
            Err(SeriesError::NotColumns)
        ));
    }

    #[test]
    fn no_time_column_uses_the_row_index() {
        let c = config(
            r#"<View><TimeSeries name="ts" value="$d" valueType="json"/>
               <TimeSeriesLabels name="l" toName="ts"><Label value="A"/></TimeSeriesLabels></View>"#,
        );
        let s = Series::from_config(
            &c,
            "ts",
            &json!({"a": [3, 4, 5, 6], "name": ["x", "y", "z", "w"]}),
        )
        .unwrap();
        assert_eq!(s.kind, TimeKind::Index);
        // Without <Channel>, the numeric columns are plotted.
        assert_eq!(s.channels.len(), 1);
        assert_eq!(s.time_value(2), json!(2));
        let ctrl = c.control("l").unwrap();
        let r = make_region(&s, 3, 1, ctrl, &labels(&["A"]), "id1".into());
        assert_eq!(
            r["value"],
            json!({"start": 1, "end": 3, "instant": false, "timeserieslabels": ["A"]})
        );
        assert_eq!(region_range(&s, &r), Some((1, 3)));
    }

    #[test]
    fn dates_with_time_format() {
        let c = config(
            r#"<View><TimeSeries name="ts" value="$d" valueType="json" timeColumn="date"
                 timeFormat="%Y-%m-%d %H:%M:%S" timeDisplayFormat="%d/%m %H:%M">
                 <Channel column="v"/></TimeSeries>
               <TimeSeriesLabels name="l" toName="ts"><Label value="A"/></TimeSeriesLabels></View>"#,
        );
        let d = json!({
            "date": ["2024-01-01 00:00:00", "2024-01-01 00:01:00", "2024-01-01 00:02:00", "2024-01-01 00:03:00"],
            "v": [1, 2, 3, 4]
        });
        let s = Series::from_config(&c, "ts", &d).unwrap();
        assert_eq!(s.kind, TimeKind::Date);
        assert_eq!(s.times[1].t - s.times[0].t, 60_000.0);
        assert_eq!(s.time_label(1), "01/01 00:01");
        let ctrl = c.control("l").unwrap();
        let r = make_region(&s, 1, 2, ctrl, &labels(&["A"]), "id".into());
        assert_eq!(r["value"]["start"], json!("2024-01-01 00:01:00"));
        assert_eq!(r["value"]["end"], json!("2024-01-01 00:02:00"));
        assert_eq!(r["to_name"], json!("ts"));
        assert_eq!(r["type"], json!("timeserieslabels"));
        // A stored edge between points maps to the nearest one.
        let stored =
            json!({"value": {"start": "2024-01-01 00:00:40", "end": "2024-01-01 00:02:10"}});
        assert_eq!(region_range(&s, &stored), Some((1, 2)));
        // Date-only and millisecond forms.
        assert_eq!(
            parse_time("2024-01-02", "%Y-%m-%d"),
            Some(1_704_153_600_000.0)
        );
        assert_eq!(
            parse_time("2024-01-02 00:00:00.250", "%Y-%m-%d %H:%M:%S.%L"),
            Some(1_704_153_600_250.0)
        );
        assert_eq!(
            parse_time("2024-01-02T00:00:01.500Z", "%Y-%m-%dT%H:%M:%S.%LZ"),
            Some(1_704_153_601_500.0)
        );
        assert_eq!(
            parse_time("2024-01-02 02:00 +0200", "%Y-%m-%d %H:%M %Z"),
            Some(1_704_153_600_000.0)
        );
        assert_eq!(parse_time("1704153600", "%s"), Some(1_704_153_600_000.0));
        assert_eq!(parse_time("nope", "%Y"), None);
    }

    #[test]
    fn instant_region_and_numeric_nearest() {
        let (c, s) = numeric();
        let ctrl = c.control("lbl").unwrap();
        let r = make_region(&s, 2, 2, ctrl, &labels(&["Run"]), "abc".into());
        assert_eq!(
            r,
            json!({"id": "abc", "from_name": "lbl", "to_name": "ts", "type": "timeserieslabels",
                   "value": {"start": 20, "end": 20, "instant": true, "timeserieslabels": ["Run"]},
                   "origin": "manual"})
        );
        assert_eq!(region_range(&s, &r), Some((2, 2)));
        assert_eq!(
            region_range(&s, &json!({"start": 14, "end": 36})),
            Some((1, 4))
        );
        assert_eq!(
            region_range(&s, &json!({"start": "25.1", "end": 1000})),
            Some((3, 4))
        );
        assert_eq!(region_range(&s, &json!({"end": 3})), None);
    }

    #[test]
    fn move_and_resize_are_clamped() {
        let (c, s) = numeric();
        let ctrl = c.control("lbl").unwrap();
        let mut r = make_region(&s, 1, 2, ctrl, &labels(&["Run"]), "x".into());
        assert!(move_region(&mut r, &s, 1));
        assert_eq!(region_range(&s, &r), Some((2, 3)));
        assert!(move_region(&mut r, &s, 10));
        assert_eq!(region_range(&s, &r), Some((3, 4)));
        assert_eq!(
            (&r["value"]["start"], &r["value"]["end"]),
            (&json!(30), &json!(40))
        );
        assert!(!move_region(&mut r, &s, 1));
        assert!(move_region(&mut r, &s, -100));
        assert_eq!(region_range(&s, &r), Some((0, 1)));
        assert!(resize_region(&mut r, &s, Edge::End, 10));
        assert_eq!(region_range(&s, &r), Some((0, 4)));
        assert!(resize_region(&mut r, &s, Edge::Start, 2));
        assert_eq!(region_range(&s, &r), Some((2, 4)));
        // The start never passes the end: the region becomes an instant.
        assert!(resize_region(&mut r, &s, Edge::Start, 5));
        assert_eq!(region_range(&s, &r), Some((4, 4)));
        assert_eq!(r["value"]["instant"], json!(true));
        assert!(!resize_region(&mut r, &s, Edge::End, -3));
        assert!(resize_region(&mut r, &s, Edge::Start, -1));
        assert_eq!(r["value"]["instant"], json!(false));
        relabel(&mut r, &labels(&["Walk"]));
        assert_eq!(r["value"]["timeserieslabels"], json!(["Walk"]));
        assert_eq!(r["id"], json!("x"));
    }

    #[test]
    fn cursor_moves_pages_and_window_follows() {
        let mut c = TimeCursor::new(1000);
        assert_eq!(c.window(), (0, 999));
        assert_eq!(c.page_size(), 100);
        c.page(2);
        assert_eq!(c.cursor(), 200);
        c.move_by(-500);
        assert_eq!(c.cursor(), 0);
        c.to_end();
        assert_eq!(c.cursor(), 999);
        c.set_window_len(100);
        assert_eq!(c.window(), (900, 999));
        c.move_by(-150);
        assert_eq!(c.cursor(), 849);
        assert_eq!(c.window(), (849, 948));
        c.start_selection();
        c.move_by(-5);
        assert_eq!(c.selection(), Some((844, 849)));
        assert_eq!(c.target(), (844, 849));
        c.clear_selection();
        assert_eq!(c.target(), (844, 844));
        c.zoom_in();
        assert_eq!(c.window().1 - c.window().0 + 1, 50);
        assert!(c.window().0 <= 844 && 844 <= c.window().1);
        c.zoom_all();
        assert_eq!(c.window(), (0, 999));
        c.resize(10);
        assert_eq!(c.cursor(), 9);
        assert_eq!(c.window(), (0, 9));
        let mut empty = TimeCursor::new(0);
        empty.move_by(3);
        assert_eq!(empty.cursor(), 0);
    }

    #[test]
    fn min_max_uses_blocks_and_skips_nan() {
        let spec = ChannelSpec {
            column: "v".into(),
            ..ChannelSpec::default()
        };
        let mut values: Vec<f64> = (0..2000).map(|i| (i % 700) as f64).collect();
        values[1500] = f64::NAN;
        values[1800] = -5.0;
        let ch = Channel::new(&spec, values.clone());
        for (a, b) in [
            (0, 1999),
            (3, 700),
            (255, 512),
            (1499, 1501),
            (1790, 1800),
            (10, 10),
        ] {
            let want = extent(values[a..=b].iter());
            assert_eq!(ch.min_max(a, b), Some(want), "{a}..={b}");
        }
        assert_eq!(ch.min_max(1500, 1500), None);
        assert_eq!(ch.min_max(5, 3), None);
    }
}
