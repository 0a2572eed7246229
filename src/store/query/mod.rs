//! Queries over a project's tasks: the typed model behind the data table, the inspector's
//! frequency tables and `labelterm query`.
//!
//! # Model
//! - [`Field`]: what a filter, sort or column reads. Table columns (`id`, `status`,
//!   `annotators`, `annotations`, `cancelled`, `predictions`, `score`, `model`,
//!   `agreement`, `review`, `created`, `updated`, `source`), a task data key
//!   (`data.KEY...`, see [`DataPath`] for keys holding dots or quotes), the values of a
//!   control in submitted annotations (`label:CONTROL`, or `label:CONTROL[EMAIL]` for one
//!   annotator's) or in predictions (`prediction:CONTROL`, `prediction:CONTROL[MODEL]`).
//!   `annotators`, `model`, `label:` and `prediction:` hold several values per task: a
//!   filter matches when any value does, a negated one (`not_equal`, `not_contains`,
//!   `not_in`) when none does.
//! - [`Op`]: Label Studio's Data Manager operators; `in` / `not_in` take a range `A..B`
//!   (both ends included), `empty` takes `true` / `false`.
//! - [`Filter`] = field, operator, [`Operand`]; parsed from `"FIELD OP VALUE"`
//!   ([`std::str::FromStr`]) and printed back the same way ([`std::fmt::Display`]).
//! - [`Query`]: filters joined by [`Join::And`] or [`Join::Or`], a full-text search (all
//!   words, the last one as a prefix) and a sort ([`Sort`], `-FIELD` for descending).
//!
//! Values compare numerically when both sides are numbers (a JSON number, or text that
//! reads as one, as CSV cells do); otherwise as text. `contains` ignores ASCII case;
//! `regex` is the `regex` crate's syntax, case-sensitive unless `(?i)`.
//!
//! # Result sets
//! [`Store::run_query`] reads the ordered ids of the matching tasks once and keeps them
//! in memory (8 bytes a task, never the tasks), so that afterwards every read starts
//! from a position whatever the project's size: [`ResultSet::page`] (typed
//! [`ResultRow`]s with the requested columns), [`ResultSet::position_of`] (jump to a task
//! id), [`ResultSet::next_match`] (next / previous row whose task text holds words),
//! [`ResultSet::ids`] (all ids in order). A result set keeps nothing in the database: a
//! screen passes its own [`Store`] to every call, and [`ResultSet::close`] is kept for
//! callers that end a set (dropping it is the same). It is a snapshot of ids: a task deleted later
//! is left out of the pages that would show it; its other values are read at page time.
//!
//! # Summaries
//! [`Store::freq`] (value → tasks, most frequent first, tasks without a value as a
//! [`Value::Null`] bucket), [`Store::freq_by`] (the same per annotator or per
//! model_version), [`Store::describe`] and [`Store::histogram`] run over the tasks of a
//! query without materialising it. Every bucket turns back into filters
//! ([`FreqRow::filter`], [`GroupFreqRow::filters`], [`Bin::filters`]) that select exactly
//! the tasks counted in it (a drill-down).
//!
//! Task `status`: `labeled` (the task has its annotations: Label Studio's is_labeled),
//! `in-progress` (not labeled, but has a submitted annotation or a draft), `skipped`
//! (only skipped annotations), `unlabeled` (nothing). Task `review`, from each submitted
//! annotation's latest review: `none` (no annotation reviewed), `accepted` (all accepted
//! or fixed), `rejected` (all rejected), `partial` (anything else: some unreviewed or the
//! decisions differ).

mod json_scan;
mod parse;
mod result;
mod sql;
mod stats;

pub use parse::ParseError;
pub use result::{ResultRow, ResultSet};
pub use stats::{Bin, Describe, FreqRow, GroupBy, GroupFreqRow, Spread};

use serde::{Deserialize, Serialize};

/// What a filter, sort or column reads (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    Id,
    Status,
    /// Emails (or `#id`) of the users with a submitted annotation.
    Annotators,
    /// Submitted annotations.
    Annotations,
    /// Skipped annotations.
    Cancelled,
    Predictions,
    /// Mean prediction score.
    Score,
    /// model_version of each prediction.
    Model,
    Agreement,
    Review,
    Created,
    Updated,
    /// The file the task was imported from.
    Source,
    Data(DataPath),
    /// A control's values in submitted annotations, of one annotator when given.
    Label {
        control: String,
        annotator: Option<String>,
    },
    /// A control's values in predictions, of one model_version when given.
    Prediction {
        control: String,
        model: Option<String>,
    },
}

/// A key path in task data: `data.meta.source` is `["meta", "source"]`. In text, a
/// segment holding `.`, a space, a quote, `[`, `]` or an operator character is written
/// in double quotes, with `""` for a quote inside: `data."a.b".c`, `data."say ""hi"""`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DataPath(pub Vec<String>);

/// Label Studio's Data Manager operators (serialised by their names, as saved views keep
/// them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Equal,
    NotEqual,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
    /// Between two values, both included.
    In,
    NotIn,
    Contains,
    NotContains,
    Regex,
    /// No value (true) or some value (false).
    Empty,
}

/// A single value read from a task or given to a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    /// Several values of one task (annotators, labels, models).
    List(Vec<Value>),
}

/// What an operator compares with.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Value(Value),
    /// `A..B` for `in` / `not_in`.
    Range(Value, Value),
    /// For `empty`.
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub field: Field,
    pub op: Op,
    pub operand: Operand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Join {
    #[default]
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    pub field: Field,
    pub descending: bool,
}

/// Filters, search and sort: what the table shows and in which order. Serialises with
/// filters and sorts as their text (`"score >= 0.5"`, `"-agreement"`), for saved views.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Query {
    #[serde(with = "as_text")]
    pub filters: Vec<Filter>,
    pub join: Join,
    /// Words every matching task's text holds (full-text search); empty for none.
    pub search: String,
    #[serde(with = "as_text")]
    pub sort: Vec<Sort>,
}

/// A task's status (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Labeled,
    InProgress,
    Skipped,
    Unlabeled,
}

/// A task's review state (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewState {
    NotReviewed,
    Accepted,
    Rejected,
    Partial,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Labeled,
        Status::InProgress,
        Status::Skipped,
        Status::Unlabeled,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Status::Labeled => "labeled",
            Status::InProgress => "in-progress",
            Status::Skipped => "skipped",
            Status::Unlabeled => "unlabeled",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.name() == s)
    }
}

impl ReviewState {
    pub const ALL: [ReviewState; 4] = [
        ReviewState::NotReviewed,
        ReviewState::Accepted,
        ReviewState::Rejected,
        ReviewState::Partial,
    ];
    pub fn name(self) -> &'static str {
        match self {
            ReviewState::NotReviewed => "none",
            ReviewState::Accepted => "accepted",
            ReviewState::Rejected => "rejected",
            ReviewState::Partial => "partial",
        }
    }
    pub fn parse(s: &str) -> Option<ReviewState> {
        ReviewState::ALL.into_iter().find(|x| x.name() == s)
    }
}

impl Field {
    /// The table columns, in the table's default order.
    pub const COLUMNS: [Field; 13] = [
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
        Field::Created,
        Field::Updated,
        Field::Source,
    ];

    /// `data.KEY...` for a path.
    pub fn data<S: Into<String>>(path: impl IntoIterator<Item = S>) -> Field {
        Field::Data(DataPath(path.into_iter().map(Into::into).collect()))
    }

    /// A table column's name (`None` for data, label and prediction fields).
    pub fn column_name(&self) -> Option<&'static str> {
        Some(match self {
            Field::Id => "id",
            Field::Status => "status",
            Field::Annotators => "annotators",
            Field::Annotations => "annotations",
            Field::Cancelled => "cancelled",
            Field::Predictions => "predictions",
            Field::Score => "score",
            Field::Model => "model",
            Field::Agreement => "agreement",
            Field::Review => "review",
            Field::Created => "created",
            Field::Updated => "updated",
            Field::Source => "source",
            _ => return None,
        })
    }

    /// Whether a task may hold several values of this field.
    pub fn is_multi(&self) -> bool {
        matches!(
            self,
            Field::Annotators | Field::Model | Field::Label { .. } | Field::Prediction { .. }
        )
    }

    /// Whether the field only holds numbers (filters on it take numbers).
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            Field::Id
                | Field::Annotations
                | Field::Cancelled
                | Field::Predictions
                | Field::Score
                | Field::Agreement
        )
    }
}

impl Op {
    pub const ALL: [Op; 12] = [
        Op::Equal,
        Op::NotEqual,
        Op::Less,
        Op::Greater,
        Op::LessOrEqual,
        Op::GreaterOrEqual,
        Op::In,
        Op::NotIn,
        Op::Contains,
        Op::NotContains,
        Op::Regex,
        Op::Empty,
    ];

    /// Label Studio's name.
    pub fn name(self) -> &'static str {
        match self {
            Op::Equal => "equal",
            Op::NotEqual => "not_equal",
            Op::Less => "less",
            Op::Greater => "greater",
            Op::LessOrEqual => "less_or_equal",
            Op::GreaterOrEqual => "greater_or_equal",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::Contains => "contains",
            Op::NotContains => "not_contains",
            Op::Regex => "regex",
            Op::Empty => "empty",
        }
    }

    /// The short alias, where there is one.
    pub fn symbol(self) -> Option<&'static str> {
        Some(match self {
            Op::Equal => "=",
            Op::NotEqual => "!=",
            Op::Less => "<",
            Op::Greater => ">",
            Op::LessOrEqual => "<=",
            Op::GreaterOrEqual => ">=",
            Op::Regex => "~",
            _ => return None,
        })
    }

    /// Operators that match when no value of the task matches their positive twin.
    pub fn is_negated(self) -> bool {
        matches!(self, Op::NotEqual | Op::NotIn | Op::NotContains)
    }

    /// The positive twin of a negated operator.
    pub fn positive(self) -> Op {
        match self {
            Op::NotEqual => Op::Equal,
            Op::NotIn => Op::In,
            Op::NotContains => Op::Contains,
            o => o,
        }
    }
}

impl Filter {
    /// `field op operand`, checked: a range only for in / not_in, a boolean only for
    /// empty, numbers for numeric columns, a known status or review state, a valid regex.
    pub fn new(field: Field, op: Op, operand: Operand) -> Result<Filter, ParseError> {
        parse::check(&field, op, &operand)?;
        Ok(Filter { field, op, operand })
    }

    /// `field equal value`, or `field empty true` for [`Value::Null`]: the drill-down of a
    /// frequency bucket.
    pub fn equal(field: Field, value: Value) -> Filter {
        match value {
            Value::Null => Filter {
                field,
                op: Op::Empty,
                operand: Operand::Bool(true),
            },
            v => Filter {
                field,
                op: Op::Equal,
                operand: Operand::Value(v),
            },
        }
    }
}

impl Query {
    /// All tasks in id order.
    pub fn all() -> Query {
        Query::default()
    }

    pub fn filter(mut self, f: Filter) -> Query {
        self.filters.push(f);
        self
    }

    pub fn sorted(mut self, s: Sort) -> Query {
        self.sort.push(s);
        self
    }

    pub fn searching(mut self, words: &str) -> Query {
        self.search = words.to_string();
        self
    }
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Integer(i) => Some(*i as f64),
            Value::Real(r) => Some(*r),
            Value::Text(t) => parse::number(t),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// As JSON: numbers, strings, null, lists as arrays.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Integer(i) => (*i).into(),
            Value::Real(r) => serde_json::Number::from_f64(*r)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Text(t) => t.clone().into(),
            Value::List(l) => l.iter().map(Value::to_json).collect(),
        }
    }
}

/// Filters and sorts serialised as their text.
mod as_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::fmt::Display;
    use std::str::FromStr;

    pub fn serialize<T: Display, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| x.to_string()))
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<Vec<T>, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| s.parse().map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests;
