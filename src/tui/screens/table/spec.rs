//! What the table shows, as data: filters joined with and/or, the sort, the columns. It is
//! the spec of a saved view (kept as JSON in the project), so it changes only by adding
//! fields with defaults.

use serde::{Deserialize, Serialize};

/// Label Studio's Data Manager operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Equal,
    NotEqual,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
    /// Within a range `low,high` (both ends included).
    In,
    NotIn,
    Contains,
    NotContains,
    Regex,
    /// Empty (value `true`) or not empty (`false`).
    Empty,
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

    /// The name Label Studio and the query command use.
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

    pub fn parse(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.name() == s)
    }

    /// A short sign for the filter list.
    pub fn sign(self) -> &'static str {
        match self {
            Op::Equal => "=",
            Op::NotEqual => "≠",
            Op::Less => "<",
            Op::Greater => ">",
            Op::LessOrEqual => "≤",
            Op::GreaterOrEqual => "≥",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::Contains => "contains",
            Op::NotContains => "not contains",
            Op::Regex => "~",
            Op::Empty => "empty",
        }
    }
}

/// One typed filter: `field op value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterSpec {
    pub field: String,
    pub op: Op,
    #[serde(default)]
    pub value: String,
}

impl FilterSpec {
    pub fn new(field: &str, op: Op, value: &str) -> FilterSpec {
        FilterSpec {
            field: field.to_string(),
            op,
            value: value.to_string(),
        }
    }

    /// As the query command takes it: `FIELD OP VALUE`.
    pub fn expr(&self) -> String {
        format!("{} {} {}", self.field, self.op.name(), self.value)
    }
}

/// How the filters are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conjunction {
    #[default]
    And,
    Or,
}

impl Conjunction {
    pub fn name(self) -> &'static str {
        match self {
            Conjunction::And => "and",
            Conjunction::Or => "or",
        }
    }

    pub fn flip(self) -> Conjunction {
        match self {
            Conjunction::And => Conjunction::Or,
            Conjunction::Or => Conjunction::And,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortSpec {
    pub field: String,
    #[serde(default)]
    pub desc: bool,
}

/// A column as shown: its field and width in cells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSpec {
    pub field: String,
    pub width: u16,
}

/// The rows of the table: which tasks, in which order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QuerySpec {
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
    #[serde(default)]
    pub conjunction: Conjunction,
    #[serde(default)]
    pub sort: Option<SortSpec>,
}

/// A saved view: the rows and the columns.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ViewSpec {
    #[serde(flatten)]
    pub query: QuerySpec,
    #[serde(default)]
    pub columns: Vec<ColumnSpec>,
}

impl ViewSpec {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// A stored spec; a field it lacks takes its default, one it has wrong fails.
    pub fn from_json(v: &serde_json::Value) -> Result<ViewSpec, String> {
        serde_json::from_value(v.clone()).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_spec_round_trips_as_json_with_label_studio_operator_names() {
        let spec = ViewSpec {
            query: QuerySpec {
                filters: vec![
                    FilterSpec::new("score", Op::GreaterOrEqual, "0.5"),
                    FilterSpec::new("data.meta.source", Op::NotIn, "a,b"),
                ],
                conjunction: Conjunction::Or,
                sort: Some(SortSpec {
                    field: "score".into(),
                    desc: true,
                }),
            },
            columns: vec![ColumnSpec {
                field: "id".into(),
                width: 8,
            }],
        };
        let json = spec.to_json();
        assert_eq!(json["filters"][0]["op"], "greater_or_equal");
        assert_eq!(json["filters"][1]["op"], "not_in");
        assert_eq!(json["conjunction"], "or");
        assert_eq!(ViewSpec::from_json(&json).unwrap(), spec);
        assert_eq!(
            ViewSpec::from_json(&serde_json::json!({})).unwrap(),
            ViewSpec::default()
        );
        assert!(ViewSpec::from_json(&serde_json::json!({"filters": 3})).is_err());
        for op in Op::ALL {
            assert_eq!(Op::parse(op.name()), Some(op));
        }
    }
}
