//! Text forms of fields, operators, filters and sorts: `FromStr` and `Display` that
//! round-trip (`f.to_string().parse() == Ok(f)`).

use super::{DataPath, Field, Filter, Op, Operand, ReviewState, Sort, Status, Value};
use std::fmt;
use std::str::FromStr;

/// Why a field, filter or sort did not parse; the message names the part at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

/// Characters that end a bare field segment.
fn ends_bare(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | '"' | '[' | ']' | '=' | '!' | '<' | '>' | '~')
}

/// A finite number written as text (`12`, `-0.5`, `1e3`), as CSV cells hold them.
pub(crate) fn number(s: &str) -> Option<f64> {
    let t = s.trim();
    // Most text is no number: its first character says so without reading the rest.
    if !t
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.'))
        || !t.bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    // "inf" and "nan" have no digit; hex and other forms do not parse.
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Reads a name that is either bare (up to a character of `ends_bare`) or in double
/// quotes with `""` for a quote. Returns the name and the rest.
fn name(s: &str) -> Result<(String, &str), ParseError> {
    if let Some(rest) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if matches!(chars.peek(), Some((_, '"'))) {
                    chars.next();
                    out.push('"');
                } else {
                    return Ok((out, &rest[i + 1..]));
                }
            } else {
                out.push(c);
            }
        }
        err(format!("unclosed quote in {s:?}"))
    } else {
        let end = s.find(ends_bare).unwrap_or(s.len());
        Ok((s[..end].to_string(), &s[end..]))
    }
}

/// A name as [`name`] reads it back: bare when it can be.
fn write_name(f: &mut fmt::Formatter<'_>, n: &str) -> fmt::Result {
    if !n.is_empty() && !n.contains(ends_bare) && !n.chars().any(char::is_control) {
        f.write_str(n)
    } else {
        write!(f, "\"{}\"", n.replace('"', "\"\""))
    }
}

/// Reads a field from the start of `s`; returns it and the rest.
fn field(s: &str) -> Result<(Field, &str), ParseError> {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix("data.") {
        let mut segs = Vec::new();
        let mut rest = rest;
        loop {
            let (seg, r) = name(rest)?;
            if seg.is_empty() && !rest.starts_with('"') {
                return err(format!(
                    "field {:?}: a data key is empty (write data.KEY, data.\"a.b\" for a key with a dot)",
                    s.split_whitespace().next().unwrap_or(s)
                ));
            }
            segs.push(seg);
            match r.strip_prefix('.') {
                Some(r) => rest = r,
                None => {
                    rest = r;
                    break;
                }
            }
        }
        return Ok((Field::Data(DataPath(segs)), rest));
    }
    for (prefix, is_label) in [("label:", true), ("prediction:", false)] {
        if let Some(rest) = s.strip_prefix(prefix) {
            let (control, mut rest) = name(rest)?;
            if control.is_empty() {
                return err(format!(
                    "field {prefix}: names no control (write {prefix}CONTROL)"
                ));
            }
            let mut who = None;
            if let Some(r) = rest.strip_prefix('[') {
                let (w, r) = if r.starts_with('"') {
                    name(r)?
                } else {
                    let end = r.find(']').unwrap_or(r.len());
                    (r[..end].to_string(), &r[end..])
                };
                rest = r
                    .strip_prefix(']')
                    .ok_or_else(|| ParseError(format!("field {prefix}{control}[{w}: missing ]")))?;
                who = Some(w);
            }
            let f = if is_label {
                Field::Label {
                    control,
                    annotator: who,
                }
            } else {
                Field::Prediction {
                    control,
                    model: who,
                }
            };
            return Ok((f, rest));
        }
    }
    let end = s.find(ends_bare).unwrap_or(s.len());
    let word = &s[..end];
    let f = Field::COLUMNS
        .into_iter()
        .find(|c| c.column_name() == Some(word))
        .ok_or_else(|| {
            ParseError(if word.is_empty() {
                format!("expected a field in {s:?}")
            } else {
                format!(
                    "unknown field {word:?}: use one of {}, data.KEY, label:CONTROL, prediction:CONTROL",
                    Field::COLUMNS
                        .iter()
                        .filter_map(Field::column_name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        })?;
    Ok((f, &s[end..]))
}

impl FromStr for Field {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Field, ParseError> {
        let (f, rest) = field(s)?;
        if !rest.trim().is_empty() {
            return err(format!("unexpected {:?} after field {f}", rest.trim()));
        }
        Ok(f)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.column_name() {
            return f.write_str(n);
        }
        let (prefix, control, who) = match self {
            Field::Data(p) => return write!(f, "{p}"),
            Field::Label { control, annotator } => ("label:", control, annotator),
            Field::Prediction { control, model } => ("prediction:", control, model),
            _ => unreachable!("columns have names"),
        };
        f.write_str(prefix)?;
        write_name(f, control)?;
        if let Some(w) = who {
            f.write_str("[")?;
            if w.contains([']', '"']) || w.trim() != w || w.is_empty() {
                write!(f, "\"{}\"", w.replace('"', "\"\""))?;
            } else {
                f.write_str(w)?;
            }
            f.write_str("]")?;
        }
        Ok(())
    }
}

impl fmt::Display for DataPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("data")?;
        for s in &self.0 {
            f.write_str(".")?;
            write_name(f, s)?;
        }
        Ok(())
    }
}

impl FromStr for Op {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Op, ParseError> {
        Op::ALL
            .into_iter()
            .find(|o| o.name() == s || o.symbol() == Some(s))
            .ok_or_else(|| ParseError(format!("unknown operator {s:?}: {}", op_list())))
    }
}

fn op_list() -> String {
    let names: Vec<String> = Op::ALL
        .iter()
        .map(|o| match o.symbol() {
            Some(sym) => format!("{} ({sym})", o.name()),
            None => o.name().to_string(),
        })
        .collect();
    format!("use one of {}", names.join(", "))
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Reads a value: `"text"` (with `\"` and `\\`) is always text; otherwise a number when
/// it reads as one, else the text as written.
fn value(s: &str) -> Result<Value, ParseError> {
    let t = s.trim();
    if let Some(rest) = t.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(n) => out.push(n),
                    None => return err(format!("value {t}: ends in a lone \\")),
                },
                '"' => {
                    let after: String = chars.collect();
                    if !after.trim().is_empty() {
                        return err(format!(
                            "unexpected {:?} after the quoted value",
                            after.trim()
                        ));
                    }
                    return Ok(Value::Text(out));
                }
                c => out.push(c),
            }
        }
        return err(format!("value {t}: unclosed quote"));
    }
    if let Ok(i) = t.parse::<i64>() {
        return Ok(Value::Integer(i));
    }
    if let Some(x) = number(t) {
        return Ok(Value::Real(x));
    }
    Ok(Value::Text(t.to_string()))
}

/// Splits `A..B` at the first `..` outside quotes.
fn range(s: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    let mut prev_backslash = false;
    let b = s.as_bytes();
    for i in 0..b.len() {
        match b[i] {
            b'\\' if quoted => {
                prev_backslash = !prev_backslash;
                continue;
            }
            b'"' if !prev_backslash => quoted = !quoted,
            b'.' if !quoted && b.get(i + 1) == Some(&b'.') => {
                return Some((&s[..i], &s[i + 2..]));
            }
            _ => {}
        }
        prev_backslash = false;
    }
    None
}

/// A value as [`value`] reads it back to the same value.
pub(crate) fn literal(v: &Value) -> String {
    match v {
        Value::Null => "\"\"".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => {
            let s = r.to_string();
            // 1.0 prints as "1", which would read back as an integer.
            if s.parse::<i64>().is_ok() {
                format!("{s}.0")
            } else {
                s
            }
        }
        Value::Text(t) => {
            let plain = !t.is_empty()
                && t.trim() == t
                && !t.starts_with('"')
                && !t.contains("..")
                && !t.chars().any(char::is_control)
                && value(t).ok().as_ref() == Some(v);
            if plain {
                t.clone()
            } else {
                format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\""))
            }
        }
        Value::List(l) => literal(&Value::Text(
            l.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Real(r) => write!(f, "{r}"),
            Value::Text(t) => f.write_str(t),
            Value::List(l) => {
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                Ok(())
            }
        }
    }
}

/// Checks that an operand fits its field and operator (see [`Filter::new`]).
pub(crate) fn check(field: &Field, op: Op, operand: &Operand) -> Result<(), ParseError> {
    let values: Vec<&Value> = match (op, operand) {
        (Op::Empty, Operand::Bool(_)) => return Ok(()),
        (Op::Empty, _) => return err(format!("{field} empty: takes true or false")),
        (Op::In | Op::NotIn, Operand::Range(a, b)) => vec![a, b],
        (Op::In | Op::NotIn, _) => {
            return err(format!("{field} {op}: takes a range A..B (both included)"));
        }
        (_, Operand::Value(v)) => vec![v],
        (_, _) => return err(format!("{field} {op}: takes one value")),
    };
    for v in values {
        if matches!(v, Value::Null | Value::List(_)) {
            return err(format!("{field} {op}: needs a value"));
        }
        if field.is_numeric()
            && !matches!(op, Op::Contains | Op::NotContains | Op::Regex)
            && v.as_f64().is_none()
        {
            return err(format!(
                "{field} {op}: {field} holds numbers, not {:?}",
                v.to_string()
            ));
        }
        if matches!(op, Op::Equal | Op::NotEqual) {
            let t = v.to_string();
            if *field == Field::Status && Status::parse(&t).is_none() {
                return err(format!(
                    "status {op} {t:?}: status is one of {}",
                    Status::ALL.map(Status::name).join(", ")
                ));
            }
            if *field == Field::Review && ReviewState::parse(&t).is_none() {
                return err(format!(
                    "review {op} {t:?}: review is one of {}",
                    ReviewState::ALL.map(ReviewState::name).join(", ")
                ));
            }
        }
        if op == Op::Regex
            && let Err(e) = regex::Regex::new(&v.to_string())
        {
            return err(format!("{field} regex: {e}"));
        }
    }
    Ok(())
}

const SYMBOLS: [&str; 7] = ["!=", "<=", ">=", "=", "<", ">", "~"];

impl FromStr for Filter {
    type Err = ParseError;

    /// `FIELD OP VALUE`, e.g. `score >= 0.5`, `data.meta.lang equal en`,
    /// `label:sentiment in A..C`, `review empty false`, `annotators~alice`.
    fn from_str(s: &str) -> Result<Filter, ParseError> {
        let (field, rest) = field(s)?;
        let rest = rest.trim_start();
        if rest.is_empty() {
            return err(format!("{field}: missing operator ({})", op_list()));
        }
        let (op, rest) = if let Some(sym) = SYMBOLS.iter().find(|sym| rest.starts_with(**sym)) {
            (sym.parse::<Op>()?, &rest[sym.len()..])
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let word = &rest[..end];
            let op = word
                .parse::<Op>()
                .map_err(|e| ParseError(format!("{field}: {e}")))?;
            (op, &rest[end..])
        };
        let raw = rest.trim();
        let operand = match op {
            Op::Empty => Operand::Bool(match raw.to_ascii_lowercase().as_str() {
                "" | "true" | "yes" | "1" => true,
                "false" | "no" | "0" => false,
                _ => return err(format!("{field} empty: takes true or false, not {raw:?}")),
            }),
            Op::In | Op::NotIn => match range(raw) {
                Some((a, b)) => Operand::Range(value(a)?, value(b)?),
                None => {
                    return err(format!(
                        "{field} {op}: takes a range A..B (both included), not {raw:?}"
                    ));
                }
            },
            _ => {
                if raw.is_empty() {
                    return err(format!("{field} {op}: missing value"));
                }
                Operand::Value(value(raw)?)
            }
        };
        Filter::new(field, op, operand)
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.field, self.op)?;
        match &self.operand {
            Operand::Value(v) => f.write_str(&literal(v)),
            Operand::Range(a, b) => write!(f, "{}..{}", literal(a), literal(b)),
            Operand::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl FromStr for Sort {
    type Err = ParseError;
    /// `FIELD` (ascending) or `-FIELD` (descending).
    fn from_str(s: &str) -> Result<Sort, ParseError> {
        let s = s.trim();
        let (descending, f) = match s.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        Ok(Sort {
            field: f.parse()?,
            descending,
        })
    }
}

impl fmt::Display for Sort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.descending {
            f.write_str("-")?;
        }
        write!(f, "{}", self.field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Filter {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn filters_parse_with_names_and_aliases() {
        assert_eq!(
            p("score >= 0.5"),
            Filter {
                field: Field::Score,
                op: Op::GreaterOrEqual,
                operand: Operand::Value(Value::Real(0.5))
            }
        );
        assert_eq!(p("score greater_or_equal 0.5"), p("score>=0.5"));
        assert_eq!(p("id = 3").op, Op::Equal);
        assert_eq!(p("id != 3").op, Op::NotEqual);
        assert_eq!(p("id<3").op, Op::Less);
        assert_eq!(p("id <= 3").op, Op::LessOrEqual);
        assert_eq!(p("id > 3").op, Op::Greater);
        assert_eq!(p("data.text ~ ^a").op, Op::Regex);
        assert_eq!(
            p("data.meta.source equal web").field,
            Field::data(["meta", "source"])
        );
        assert_eq!(
            p("score in 0.2..0.8").operand,
            Operand::Range(Value::Real(0.2), Value::Real(0.8))
        );
        assert_eq!(p("review empty").operand, Operand::Bool(true));
        assert_eq!(p("review empty false").operand, Operand::Bool(false));
        assert_eq!(
            p("label:sentiment[alice@x.org] equal Positive").field,
            Field::Label {
                control: "sentiment".into(),
                annotator: Some("alice@x.org".into())
            }
        );
        assert_eq!(
            p("prediction:sentiment contains pos").field,
            Field::Prediction {
                control: "sentiment".into(),
                model: None
            }
        );
        assert_eq!(
            p("data.zip equal \"01234\"").operand,
            Operand::Value(Value::Text("01234".into()))
        );
    }

    #[test]
    fn errors_name_the_field_or_operator() {
        let e = |s: &str| s.parse::<Filter>().unwrap_err().to_string();
        assert!(
            e("nope equal 1").contains("unknown field \"nope\""),
            "{}",
            e("nope equal 1")
        );
        assert!(e("score bigger 1").contains("unknown operator \"bigger\""));
        assert!(e("score bigger 1").starts_with("score:"));
        assert!(e("score greater").contains("missing value"));
        assert!(e("score greater high").contains("score holds numbers"));
        assert!(e("score in 1").contains("range A..B"));
        assert!(e("status equal done").contains("status is one of"));
        assert!(e("data.text regex (").contains("regex"));
        assert!(e("score").contains("missing operator"));
        assert!(e("data. equal 1").contains("data key is empty"));
        assert!(e("review empty maybe").contains("true or false"));
    }

    #[test]
    fn text_forms_round_trip() {
        for s in [
            "score >= 0.5",
            "data.\"a.b\".c equal x",
            "data.\"say \"\"hi\"\"\" contains \"two words\"",
            "label:\"my control\"[bob] in A..C",
            "prediction:sentiment[model \"v1\"] not_equal Negative",
            "data.n equal \"12\"",
            "data.n equal 12",
            "data.x equal 1.0",
            "data.x equal \"a..b\"",
            "created in 2024-01-01..2024-12-31",
            "annotators not_contains \"\\\\\"",
            "review empty false",
        ] {
            let f = p(s);
            let again = p(&f.to_string());
            assert_eq!(again, f, "{s} -> {f}");
        }
        for s in ["-score", "data.\"a b\"", "label:x[y]", "id"] {
            let sort: Sort = s.parse().unwrap();
            assert_eq!(sort.to_string().parse::<Sort>().unwrap(), sort);
        }
        assert!("-score".parse::<Sort>().unwrap().descending);
    }

    #[test]
    fn numbers_in_text() {
        assert_eq!(number(" 12 "), Some(12.0));
        assert_eq!(number("-0.5"), Some(-0.5));
        assert_eq!(number("1e3"), Some(1000.0));
        assert_eq!(number("inf"), None);
        assert_eq!(number("NaN"), None);
        assert_eq!(number("12a"), None);
        assert_eq!(number(""), None);
    }
}
