//! What the table shows, as data: filters joined with and/or, the sort, the columns. It is
//! the spec of a saved view (kept as JSON in the project), so it changes only by adding
//! fields with defaults.

use serde::{Deserialize, Serialize};

/// Label Studio's Data Manager operators: the query engine's own.
pub use crate::store::query::Op;

impl Op {
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

impl FilterSpec {
    /// Reads `FIELD OP VALUE` (the operator by its name).
    pub fn parse(text: &str) -> Option<FilterSpec> {
        let words: Vec<&str> = text.split(' ').collect();
        let i = (1..words.len()).find(|i| Op::parse(words[*i]).is_some())?;
        Some(FilterSpec {
            field: words[..i].join(" "),
            op: Op::parse(words[i])?,
            value: words[i + 1..].join(" "),
        })
    }
}

impl ViewSpec {
    /// As the project keeps it: the query's own form (filters as `FIELD OP VALUE` text,
    /// `join`, `search`, sorts as `[-]FIELD`) with the columns beside it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "filters": self.query.filters.iter().map(FilterSpec::expr).collect::<Vec<_>>(),
            "join": self.query.conjunction.name(),
            "search": "",
            "sort": self.query.sort.iter().map(|s| format!("{}{}", if s.desc { "-" } else { "" }, s.field)).collect::<Vec<_>>(),
            "columns": self.columns,
        })
    }

    /// A stored spec; what it lacks takes its default, what it has wrong fails.
    pub fn from_json(v: &serde_json::Value) -> Result<ViewSpec, String> {
        let bad = |what: &str| format!("saved view: {what}");
        let mut spec = ViewSpec::default();
        if !v.is_object() {
            return Err(bad("not an object"));
        }
        if let Some(fs) = v.get("filters") {
            for f in fs.as_array().ok_or_else(|| bad("filters is not a list"))? {
                let text = f.as_str().ok_or_else(|| bad("a filter is not text"))?;
                let parsed = FilterSpec::parse(text)
                    .ok_or_else(|| bad(&format!("filter {text:?} does not read")))?;
                spec.query.filters.push(parsed);
            }
        }
        spec.query.conjunction = match v.get("join").and_then(|j| j.as_str()) {
            None | Some("and") => Conjunction::And,
            Some("or") => Conjunction::Or,
            Some(j) => return Err(bad(&format!("join {j:?}"))),
        };
        if let Some(sorts) = v.get("sort") {
            let list = sorts.as_array().ok_or_else(|| bad("sort is not a list"))?;
            if let Some(first) = list.first() {
                let t = first.as_str().ok_or_else(|| bad("a sort is not text"))?;
                spec.query.sort = Some(match t.strip_prefix('-') {
                    Some(f) => SortSpec {
                        field: f.to_string(),
                        desc: true,
                    },
                    None => SortSpec {
                        field: t.to_string(),
                        desc: false,
                    },
                });
            }
        }
        if let Some(c) = v.get("columns") {
            spec.columns = serde_json::from_value(c.clone()).map_err(|e| bad(&e.to_string()))?;
        }
        Ok(spec)
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
        assert_eq!(json["filters"][0], "score greater_or_equal 0.5");
        assert_eq!(json["filters"][1], "data.meta.source not_in a,b");
        assert_eq!(json["join"], "or");
        assert_eq!(json["sort"][0], "-score");
        assert_eq!(ViewSpec::from_json(&json).unwrap(), spec);
        assert_eq!(
            ViewSpec::from_json(&serde_json::json!({})).unwrap(),
            ViewSpec::default()
        );
        assert!(ViewSpec::from_json(&serde_json::json!({"filters": 3})).is_err());
        assert!(ViewSpec::from_json(&serde_json::json!({"filters": ["x y z"]})).is_err());
        // A value with spaces and a field the store quotes keep their words.
        let f = FilterSpec::parse("data.\"a b\" contains two words").unwrap();
        assert_eq!(f.field, "data.\"a b\"");
        assert_eq!(f.value, "two words");
        for op in Op::ALL {
            assert_eq!(Op::parse(op.name()), Some(op));
        }
    }
}
