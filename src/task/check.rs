//! Checks a result region against the config, the way Label Studio's SDK validates
//! predictions (`LabelInterface.validate_prediction`): names, type, value shape, labels
//! that exist, coordinates within 0–100, ratings within range.

use crate::config::validate::py_str_list;
use crate::config::{ChoiceMode, ControlKind, ControlTag, LabelConfig, ObjectKind};
use crate::util::BorrowedKey;
use serde_json::{Map, Value};
use std::borrow::Cow;

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 {
        let cut: String = s.chars().take(200).collect();
        format!("{cut}...")
    } else {
        s
    }
}

fn invalid(ctrl: &ControlTag, value: &Value, options: &[String]) -> String {
    format!(
        "Invalid value for control '{}'. Got: {}. Valid options: {}",
        ctrl.name,
        compact(value),
        py_str_list(options.iter().map(String::as_str))
    )
}

fn number(v: ValueFields<'_>, key: &str) -> Result<Option<f64>, String> {
    match v.get(key) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(other) => Err(format!("'{key}' must be a number, got {}", compact(other))),
    }
}

fn require_number(v: ValueFields<'_>, key: &str) -> Result<f64, String> {
    number(v, key)?.ok_or_else(|| format!("Missing required field 'value.{key}'"))
}

fn percent(ctrl: &ControlTag, v: ValueFields<'_>, key: &str, required: bool) -> Result<(), String> {
    let n = if required {
        Some(require_number(v, key)?)
    } else {
        number(v, key)?
    };
    if let Some(n) = n
        && !(0.0..=100.0).contains(&n)
    {
        return Err(format!(
            "Invalid value for control '{}': {key} = {n} is outside 0–100 (percent of the image). Got: {}",
            ctrl.name,
            compact(&Value::Object(v.to_map()))
        ));
    }
    Ok(())
}

/// Checks the label list under `key` (e.g. `rectanglelabels`) against the control's labels.
fn labels_in(
    ctrl: &ControlTag,
    v: ValueFields<'_>,
    key: &str,
    required: bool,
) -> Result<(), String> {
    let Some(list) = v.get(key) else {
        return if required {
            Err(format!("Missing required field 'value.{key}'"))
        } else {
            Ok(())
        };
    };
    let Value::Array(items) = list else {
        return Err(format!(
            "'value.{key}' must be a list, got {}",
            compact(list)
        ));
    };
    if ctrl.dynamic_labels.is_some() {
        return Ok(());
    }
    let known = |s: &str| ctrl.labels.iter().any(|l| l.key == s);
    for item in items {
        let ok = match item {
            Value::String(s) => known(s),
            // Nested choices (allowNested) and taxonomy paths: every step must be a known option.
            Value::Array(path) => path.iter().all(|p| p.as_str().is_some_and(known)),
            _ => false,
        };
        if !ok {
            let options: Vec<String> = ctrl.labels.iter().map(|l| l.key.clone()).collect();
            return Err(invalid(ctrl, &Value::Object(v.to_map()), &options));
        }
    }
    if key == "choices"
        && ctrl.choice != ChoiceMode::Multiple
        && items.len() > 1
        && ctrl.kind == ControlKind::Choices
    {
        return Err(format!(
            "Invalid value for control '{}': choice=\"single\" allows one option, got {}",
            ctrl.name,
            items.len()
        ));
    }
    Ok(())
}

fn object_kind(config: &LabelConfig, to_name: &str) -> Option<ObjectKind> {
    config.object(to_name).map(|o| o.kind)
}

fn check_value(
    config: &LabelConfig,
    ctrl: &ControlTag,
    ty: &str,
    to_name: &str,
    v: ValueFields<'_>,
) -> Result<(), String> {
    use ControlKind::*;
    let label_key = ctrl.value_key();
    match ctrl.kind {
        Choices => labels_in(ctrl, v, "choices", true),
        Taxonomy => labels_in(ctrl, v, "taxonomy", true),
        Labels => {
            // A Labels control may also label image shapes (split format) or write
            // `<geometry>labels` when merged with a geometry tool.
            let key = if ty == "labels" { "labels" } else { ty };
            labels_in(ctrl, v, key, true)?;
            match object_kind(config, to_name) {
                Some(ObjectKind::Text) | Some(ObjectKind::HyperText) if ty == "labels" => {
                    span(ctrl, v, true)
                }
                Some(ObjectKind::Audio) | Some(ObjectKind::Video) => {
                    require_number(v, "start")?;
                    require_number(v, "end")?;
                    Ok(())
                }
                _ => Ok(()),
            }
        }
        Rectangle | RectangleLabels => {
            for k in ["x", "y", "width", "height"] {
                percent(ctrl, v, k, true)?;
            }
            number(v, "rotation")?;
            if ctrl.kind == RectangleLabels {
                labels_in(ctrl, v, label_key.unwrap_or("rectanglelabels"), true)?;
            }
            Ok(())
        }
        Polygon | PolygonLabels => {
            let Some(Value::Array(points)) = v.get("points") else {
                return Err("Missing required field 'value.points' (a list of [x, y])".into());
            };
            for p in points {
                let ok = p.as_array().is_some_and(|xy| {
                    xy.len() >= 2
                        && xy
                            .iter()
                            .take(2)
                            .all(|c| c.as_f64().is_some_and(|n| (0.0..=100.0).contains(&n)))
                });
                if !ok {
                    return Err(format!(
                        "Invalid value for control '{}': polygon point {} is not [x, y] within 0–100",
                        ctrl.name,
                        compact(p)
                    ));
                }
            }
            if ctrl.kind == PolygonLabels {
                labels_in(ctrl, v, "polygonlabels", true)?;
            }
            Ok(())
        }
        KeyPoint | KeyPointLabels => {
            percent(ctrl, v, "x", true)?;
            percent(ctrl, v, "y", true)?;
            number(v, "width")?;
            if ctrl.kind == KeyPointLabels {
                labels_in(ctrl, v, "keypointlabels", true)?;
            }
            Ok(())
        }
        Ellipse | EllipseLabels => {
            for k in ["x", "y", "radiusX", "radiusY"] {
                percent(ctrl, v, k, true)?;
            }
            if ctrl.kind == EllipseLabels {
                labels_in(ctrl, v, "ellipselabels", true)?;
            }
            Ok(())
        }
        Brush | BrushLabels | MagicWand => {
            if let Some(rle) = v.get("rle") {
                let ok = rle
                    .as_array()
                    .is_some_and(|a| a.iter().all(|b| b.as_u64().is_some_and(|n| n <= 255)));
                if !ok {
                    return Err(format!(
                        "Invalid value for control '{}': 'rle' must be a list of integers 0..255",
                        ctrl.name
                    ));
                }
            } else if v.get("points").is_none() {
                return Err("Missing required field 'value.rle'".into());
            }
            if ctrl.kind == BrushLabels {
                labels_in(ctrl, v, "brushlabels", true)?;
            }
            Ok(())
        }
        TextArea => match v.get("text") {
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => Ok(()),
            Some(Value::String(_)) => Ok(()),
            Some(other) => Err(format!(
                "Invalid value for control '{}': 'text' must be a list of strings, got {}",
                ctrl.name,
                compact(other)
            )),
            None => Err("Missing required field 'value.text'".into()),
        },
        Rating => {
            let r = v
                .get("rating")
                .ok_or("Missing required field 'value.rating'")?;
            match r.as_i64() {
                Some(n) if n >= 0 && n <= ctrl.max_rating as i64 => Ok(()),
                _ => Err(format!(
                    "Invalid value for control '{}': rating must be an integer 0..{}, got {}",
                    ctrl.name,
                    ctrl.max_rating,
                    compact(r)
                )),
            }
        }
        Number => {
            let n = require_number(v, "number")?;
            if ctrl.min.is_some_and(|m| n < m) || ctrl.max.is_some_and(|m| n > m) {
                return Err(format!(
                    "Invalid value for control '{}': number {n} is outside {}..{}",
                    ctrl.name,
                    ctrl.min.map_or("-inf".into(), |m| m.to_string()),
                    ctrl.max.map_or("inf".into(), |m| m.to_string())
                ));
            }
            Ok(())
        }
        DateTime => match v.get("datetime") {
            Some(Value::String(s)) => check_datetime(s, ctrl.attr("only").unwrap_or(""))
                .map_err(|e| format!("Invalid value for control '{}': {e}", ctrl.name)),
            Some(other) => Err(format!(
                "Invalid value for control '{}': 'datetime' must be a string, got {}",
                ctrl.name,
                compact(other)
            )),
            None => Err("Missing required field 'value.datetime'".into()),
        },
        Pairwise => match v.get("selected").and_then(Value::as_str) {
            Some("left") | Some("right") => Ok(()),
            _ => Err(invalid(
                ctrl,
                &Value::Object(v.to_map()),
                &["left".into(), "right".into()],
            )),
        },
        Ranker => match v.get("ranker") {
            Some(Value::Object(_)) | Some(Value::Array(_)) => Ok(()),
            _ => Err("Missing required field 'value.ranker'".into()),
        },
        ParagraphLabels => {
            for k in ["start", "end"] {
                if !v.contains_key(k) {
                    return Err(format!("Missing required field 'value.{k}'"));
                }
            }
            labels_in(ctrl, v, "paragraphlabels", true)
        }
        HyperTextLabels => {
            for k in ["start", "end", "startOffset", "endOffset"] {
                if !v.contains_key(k) {
                    return Err(format!("Missing required field 'value.{k}'"));
                }
            }
            labels_in(ctrl, v, "hypertextlabels", true)
        }
        TimeSeriesLabels => {
            for k in ["start", "end"] {
                if !v.contains_key(k) {
                    return Err(format!("Missing required field 'value.{k}'"));
                }
            }
            labels_in(ctrl, v, "timeserieslabels", true)
        }
        TimelineLabels => {
            if !v.get("ranges").is_some_and(Value::is_array) {
                return Err("Missing required field 'value.ranges'".into());
            }
            labels_in(ctrl, v, "timelinelabels", true)
        }
        VideoRectangle => {
            if !v.get("sequence").is_some_and(Value::is_array) {
                return Err("Missing required field 'value.sequence'".into());
            }
            Ok(())
        }
        _ => {
            if let Some(k) = label_key {
                labels_in(ctrl, v, k, false)?;
            }
            Ok(())
        }
    }
}

/// Checks a DateTime value against the control's `only` (date, time, month, year; anything
/// else means date and time). Import and the annotator both call this, so a value the
/// annotator writes always imports and the other way round. Besides the frontend's own
/// shapes (`2023-01-01T12:00`), ISO seconds, fractions and a zone are accepted, as other
/// tools write them.
pub fn check_datetime(s: &str, only: &str) -> Result<(), String> {
    let ok = match only {
        "date" => is_date(s),
        "time" => is_time(s),
        "month" => s
            .split_once('-')
            .is_some_and(|(y, m)| digits(y, 4) && month(m).is_some()),
        "year" => digits(s, 4),
        _ => s
            .split_once('T')
            .or_else(|| s.split_once(' '))
            .is_some_and(|(d, t)| is_date(d) && is_time(strip_zone(t))),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a {}",
            match only {
                "date" => "date (YYYY-MM-DD)",
                "time" => "time (HH:MM)",
                "month" => "month (YYYY-MM)",
                "year" => "year (YYYY)",
                _ => "date and time (YYYY-MM-DDTHH:MM)",
            }
        ))
    }
}

fn digits(p: &str, n: usize) -> bool {
    p.len() == n && p.bytes().all(|c| c.is_ascii_digit())
}

fn month(m: &str) -> Option<u32> {
    let n: u32 = m.parse().ok().filter(|_| digits(m, 2))?;
    (1..=12).contains(&n).then_some(n)
}

/// `YYYY-MM-DD` with a day that exists in that month (29 February only in leap years).
fn is_date(d: &str) -> bool {
    let mut p = d.split('-');
    let (Some(y), Some(m), Some(day), None) = (p.next(), p.next(), p.next(), p.next()) else {
        return false;
    };
    let (Some(m), true, true) = (month(m), digits(y, 4), digits(day, 2)) else {
        return false;
    };
    let y: u32 = y.parse().unwrap_or(0);
    let leap = y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    day.parse::<u32>().is_ok_and(|n| (1..=days).contains(&n))
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`.
fn is_time(t: &str) -> bool {
    let p: Vec<&str> = t.split(':').collect();
    let seconds_ok = |s: &str| {
        let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
        digits(whole, 2)
            && whole < "60"
            && !frac.is_empty()
            && frac.bytes().all(|c| c.is_ascii_digit())
    };
    (p.len() == 2 || p.len() == 3)
        && digits(p[0], 2)
        && digits(p[1], 2)
        && p[0] < "24"
        && p[1] < "60"
        && (p.len() == 2 || seconds_ok(p[2]))
}

/// A time without its zone: `Z` or `±HH:MM`.
fn strip_zone(t: &str) -> &str {
    if let Some(rest) = t.strip_suffix('Z') {
        return rest;
    }
    match t
        .len()
        .checked_sub(6)
        .filter(|&i| t.is_char_boundary(i))
        .map(|i| t.split_at(i))
    {
        Some((rest, zone))
            if (zone.starts_with('+') || zone.starts_with('-')) && is_time(&zone[1..]) =>
        {
            rest
        }
        _ => t,
    }
}

fn span(ctrl: &ControlTag, v: ValueFields<'_>, required: bool) -> Result<(), String> {
    let start = v.get("start");
    let end = v.get("end");
    if start.is_none() || end.is_none() {
        return if required {
            Err(format!(
                "Missing required field 'value.{}'",
                if start.is_none() { "start" } else { "end" }
            ))
        } else {
            Ok(())
        };
    }
    match (start.and_then(Value::as_i64), end.and_then(Value::as_i64)) {
        (Some(s), Some(e)) if 0 <= s && s <= e => Ok(()),
        _ => Err(format!(
            "Invalid value for control '{}': span start/end must be integers with 0 <= start <= end, got start={} end={}",
            ctrl.name,
            compact(start.unwrap_or(&Value::Null)),
            compact(end.unwrap_or(&Value::Null))
        )),
    }
}

/// Whether a Repeater template name (`page_{{idx}}`) matches an expanded one (`page_3`).
fn template_matches(template: &str, name: &str) -> bool {
    if !template.contains("{{") {
        return false;
    }
    let re = regex::Regex::new(r"\{\{[^}]*\}\}").expect("static regex");
    let mut pattern = String::from("^");
    let mut last = 0;
    for m in re.find_iter(template) {
        pattern.push_str(&regex::escape(&template[last..m.start()]));
        pattern.push_str(".*");
        last = m.end();
    }
    pattern.push_str(&regex::escape(&template[last..]));
    pattern.push('$');
    regex::Regex::new(&pattern).is_ok_and(|r| r.is_match(name))
}

/// Checks one region of a result list. `ids` are the region ids of the whole result,
/// for relations.
/// The fields of a region that validation reads, borrowed from wherever it was parsed.
pub struct RegionParts<'a> {
    pub ty: Option<&'a str>,
    pub from_name: Option<&'a str>,
    pub to_name: Option<&'a str>,
    pub value: Option<ValueFields<'a>>,
    pub from_id: Option<&'a str>,
    pub to_id: Option<&'a str>,
    pub direction: Option<&'a Value>,
}

/// Checks one region of a result list. `ids` are the region ids of the whole result,
/// for relations.
pub fn check_region(config: &LabelConfig, region: &Value, ids: &[&str]) -> Result<(), String> {
    let Value::Object(r) = region else {
        return Err(format!(
            "a region must be an object, got {}",
            compact(region)
        ));
    };
    let text = |k: &str| -> Result<Option<&str>, String> {
        match r.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(format!("'{k}' must be a string")),
        }
    };
    let value = match r.get("value") {
        None => None,
        Some(Value::Object(v)) => Some(ValueFields::Map(v)),
        Some(other) => return Err(format!("'value' must be an object, got {}", compact(other))),
    };
    let parts = RegionParts {
        ty: text("type")?,
        from_name: text("from_name")?,
        to_name: text("to_name")?,
        value,
        from_id: r.get("from_id").and_then(Value::as_str),
        to_id: r.get("to_id").and_then(Value::as_str),
        direction: r.get("direction"),
    };
    check_parts(config, &parts, ids)
}

pub fn check_parts(config: &LabelConfig, r: &RegionParts, ids: &[&str]) -> Result<(), String> {
    if r.ty == Some("relation") {
        for (k, v) in [("from_id", r.from_id), ("to_id", r.to_id)] {
            match v {
                Some(id) if ids.contains(&id) => {}
                Some(id) => {
                    return Err(format!(
                        "relation {k} '{id}' does not refer to a region of this result"
                    ));
                }
                None => return Err(format!("Missing required field '{k}'")),
            }
        }
        if let Some(d) = r.direction
            && !matches!(d.as_str(), Some("left") | Some("right") | Some("bi"))
        {
            return Err(format!(
                "relation direction must be left, right or bi, got {}",
                compact(d)
            ));
        }
        return Ok(());
    }
    let (Some(from), Some(to), Some(ty), Some(v)) = (r.from_name, r.to_name, r.ty, r.value) else {
        let missing = [
            ("from_name", r.from_name.is_none()),
            ("to_name", r.to_name.is_none()),
            ("type", r.ty.is_none()),
            ("value", r.value.is_none()),
        ]
        .into_iter()
        .find(|(_, m)| *m)
        .map_or("value", |(k, _)| k);
        return Err(format!("Missing required field '{missing}'"));
    };
    // A Chat writes its own messages (from_name and to_name both name it), whether it is
    // written as an object or as a control, as Label Studio takes it.
    if ty == crate::task::chat::RESULT_TYPE
        && from == to
        && crate::task::chat::is_chat(config, from)
    {
        return crate::task::chat::check_message_value(&v.to_map());
    }
    let Some(ctrl) = config.control(from) else {
        let names: Vec<&str> = config.controls.iter().map(|c| c.name.as_str()).collect();
        return Err(format!(
            "from_name '{from}' is not a control of the label config; controls: {}",
            py_str_list(names)
        ));
    };
    for part in to.split(',') {
        let ok = ctrl
            .to_name
            .iter()
            .any(|t| t == part || template_matches(t, part));
        if !ok {
            return Err(format!(
                "to_name '{part}' is not a target of control '{from}'; valid: {}",
                py_str_list(ctrl.to_name.iter().map(String::as_str))
            ));
        }
    }
    let expected = ctrl.result_type();
    let type_ok = ty == expected
        || (ctrl.kind == ControlKind::Labels && (ty == "labels" || ty.ends_with("labels")))
        || (ctrl.kind == ControlKind::MagicWand && ty == "brushlabels");
    if !type_ok {
        return Err(format!(
            "type '{ty}' does not match control '{from}' (<{}>), expected '{expected}'",
            ctrl.tag
        ));
    }
    check_value(config, ctrl, ty, to, v)
}

/// A region's `value` object as the checks read it: a parsed map, or the fields an import
/// read from the result's text, in their order (no map is built for them; a repeated key
/// reads as its last value, as in a map).
#[derive(Clone, Copy)]
pub enum ValueFields<'a> {
    Map(&'a Map<String, Value>),
    List(&'a [(Cow<'a, str>, Value)]),
}

impl<'a> ValueFields<'a> {
    fn get(self, key: &str) -> Option<&'a Value> {
        match self {
            ValueFields::Map(m) => m.get(key),
            ValueFields::List(fields) => {
                fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
            }
        }
    }

    fn contains_key(self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The whole object, for messages (the same map as parsing it would give).
    fn to_map(self) -> Map<String, Value> {
        match self {
            ValueFields::Map(m) => m.clone(),
            ValueFields::List(fields) => fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }
}

/// An object's fields in their order, keys borrowed from the text unless escaped.
struct FieldList<'a>(Vec<(Cow<'a, str>, Value)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for FieldList<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = FieldList<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::new();
                while let Some((BorrowedKey(k), v)) = map.next_entry::<BorrowedKey, Value>()? {
                    fields.push((k, v));
                }
                Ok(FieldList(fields))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A region parsed without building a whole JSON tree (the common case of an import).
#[derive(serde::Deserialize)]
struct RegionIn<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "type")]
    ty: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    from_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    to_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    value: Option<FieldList<'a>>,
    #[serde(borrow, default)]
    from_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    to_id: Option<Cow<'a, str>>,
    #[serde(default)]
    direction: Option<Value>,
}

/// Checks a result given as JSON text. `None` when the text does not have the usual
/// shape (then check the parsed value with [`check_result`] for precise messages).
pub fn check_result_text(config: &LabelConfig, text: &str) -> Option<Vec<(usize, String)>> {
    let regions: Vec<RegionIn> = serde_json::from_str(text).ok()?;
    let ids: Vec<&str> = regions.iter().filter_map(|r| r.id.as_deref()).collect();
    Some(
        regions
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let parts = RegionParts {
                    ty: r.ty.as_deref(),
                    from_name: r.from_name.as_deref(),
                    to_name: r.to_name.as_deref(),
                    value: r.value.as_ref().map(|f| ValueFields::List(&f.0)),
                    from_id: r.from_id.as_deref(),
                    to_id: r.to_id.as_deref(),
                    direction: r.direction.as_ref(),
                };
                check_parts(config, &parts, &ids).err().map(|e| (i + 1, e))
            })
            .collect(),
    )
}

/// Checks a whole result list; returns one message per bad region, numbered from 1.
pub fn check_result(config: &LabelConfig, result: &Value) -> Vec<(usize, String)> {
    let Value::Array(regions) = result else {
        return vec![(0, format!("result must be a list, got {}", compact(result)))];
    };
    let ids: Vec<&str> = regions.iter().filter_map(crate::task::region_id).collect();
    regions
        .iter()
        .enumerate()
        .filter_map(|(i, r)| check_region(config, r, &ids).err().map(|e| (i + 1, e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> LabelConfig {
        LabelConfig::parse(
            r#"<View><Text name="text" value="$text"/><Image name="img" value="$image"/>
            <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
            <Labels name="ner" toName="text"><Label value="PER"/></Labels>
            <RectangleLabels name="box" toName="img"><Label value="Cat"/></RectangleLabels>
            <Rating name="r" toName="text" maxRating="3"/>
            <TextArea name="ta" toName="text"/></View>"#,
        )
        .unwrap()
    }

    #[test]
    fn valid_regions_pass() {
        let c = config();
        let ok = json!([
            {"id": "a", "from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}},
            {"id": "b", "from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 0, "end": 3, "labels": ["PER"]}},
            {"id": "c", "from_name": "box", "to_name": "img", "type": "rectanglelabels", "value": {"x": 1, "y": 2.5, "width": 10, "height": 20, "rotation": 0, "rectanglelabels": ["Cat"]}},
            {"from_name": "r", "to_name": "text", "type": "rating", "value": {"rating": 3}},
            {"from_name": "ta", "to_name": "text", "type": "textarea", "value": {"text": ["x"]}},
            {"type": "relation", "from_id": "a", "to_id": "b", "direction": "right"}
        ]);
        assert_eq!(check_result(&c, &ok), vec![]);
    }

    #[test]
    fn invalid_regions_are_named() {
        let c = config();
        let cases = [
            (
                json!({"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Bad"]}}),
                "Invalid value for control 'sentiment'. Got: {\"choices\":[\"Bad\"]}. Valid options: ['Positive', 'Negative']",
            ),
            (
                json!({"from_name": "nope", "to_name": "text", "type": "choices", "value": {}}),
                "from_name 'nope' is not a control",
            ),
            (
                json!({"from_name": "sentiment", "to_name": "img", "type": "choices", "value": {"choices": []}}),
                "to_name 'img' is not a target",
            ),
            (
                json!({"from_name": "sentiment", "to_name": "text", "type": "labels", "value": {}}),
                "type 'labels' does not match",
            ),
            (
                json!({"from_name": "box", "to_name": "img", "type": "rectanglelabels", "value": {"x": 120, "y": 0, "width": 1, "height": 1, "rectanglelabels": ["Cat"]}}),
                "x = 120 is outside 0–100",
            ),
            (
                json!({"from_name": "r", "to_name": "text", "type": "rating", "value": {"rating": 4}}),
                "rating must be an integer 0..3",
            ),
            (
                json!({"from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 5, "end": 2, "labels": ["PER"]}}),
                "0 <= start <= end",
            ),
            (
                json!({"from_name": "ner", "to_name": "text", "type": "labels"}),
                "Missing required field 'value'",
            ),
            (
                json!({"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive", "Negative"]}}),
                "allows one option",
            ),
        ];
        for (region, want) in cases {
            let got = check_region(&c, &region, &[]).unwrap_err();
            assert!(got.contains(want), "{got} should contain {want}");
            // An import checks the same region from its text, to the same message.
            let text = format!("[{region}]");
            assert_eq!(check_result_text(&c, &text), Some(vec![(1, got)]), "{text}");
        }
    }

    #[test]
    fn a_result_read_from_text_is_checked_as_the_parsed_one() {
        let c = config();
        for text in [
            // A key given twice reads as its last value, and messages show the map
            // parsing gives: the first key's place, the last value.
            r#"[{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Bad"], "x": 1, "choices": ["Positive"]}}]"#,
            r#"[{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"], "x": 1, "choices": ["Bad"]}}]"#,
            r#"[{"from_name": "box", "to_name": "img", "type": "rectanglelabels", "value": {"x": 1, "y": 2, "width": 3, "height": 400, "rectanglelabels": ["Cat"], "y": 5}}]"#,
            r#"[{"id": "a", "from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 0, "end": 3, "labels": ["PER"], "te\u0078t": "abc"}},
                {"type": "relation", "from_id": "a", "to_id": "b"}]"#,
            r#"[{"from_name": "ta", "to_name": "text", "type": "textarea", "value": {"text": [1]}}]"#,
        ] {
            let parsed: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                check_result_text(&c, text),
                Some(check_result(&c, &parsed)),
                "{text}"
            );
        }
        let messages = check_result_text(&c, r#"[{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Bad"], "x": 1, "choices": ["Nope"]}}]"#).unwrap();
        assert!(
            messages[0].1.contains(r#"Got: {"choices":["Nope"],"x":1}"#),
            "{messages:?}"
        );
        // A value that is not an object leaves the precise message to the parsed check.
        assert_eq!(
            check_result_text(
                &c,
                r#"[{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": [1]}]"#
            ),
            None
        );
    }

    #[test]
    fn datetime_shapes_follow_only() {
        for (s, only) in [
            ("2024-02-29", "date"),
            ("23:59", "time"),
            ("07:05:09.250", "time"),
            ("2023-12", "month"),
            ("1999", "year"),
            ("2023-01-01T12:00", ""),
            ("2023-01-01 12:00:30", ""),
            ("2023-01-01T12:00:00.000Z", ""),
            ("2023-01-01T12:00:00+02:00", ""),
        ] {
            assert_eq!(check_datetime(s, only), Ok(()), "{s} as {only:?}");
        }
        for (s, only) in [
            ("2023-02-29", "date"),
            ("2024-04-31", "date"),
            ("2024-1-05", "date"),
            ("24:00", "time"),
            ("12:60", "time"),
            ("12:00:", "time"),
            ("2023-13", "month"),
            ("99", "year"),
            ("2023-01-01", ""),
            ("2023-01-01T12:00+2", ""),
            ("2023-01-01T12:0é", ""),
        ] {
            let e = check_datetime(s, only).unwrap_err();
            assert!(e.contains(&format!("{s:?} is not a")), "{e}");
        }
    }

    #[test]
    fn import_checks_datetime_with_the_same_rule() {
        let c = LabelConfig::parse(
            r#"<View><Text name="t" value="$t"/><DateTime name="d" toName="t" only="date"/></View>"#,
        )
        .unwrap();
        let region = |v: &str| json!({"from_name": "d", "to_name": "t", "type": "datetime", "value": {"datetime": v}});
        assert_eq!(check_region(&c, &region("2024-02-29"), &[]), Ok(()));
        let e = check_region(&c, &region("2024-02-30"), &[]).unwrap_err();
        assert_eq!(
            e,
            format!(
                "Invalid value for control 'd': {}",
                check_datetime("2024-02-30", "date").unwrap_err()
            )
        );
    }

    #[test]
    fn chat_messages_are_checked_for_a_chat_in_either_form() {
        let message = |from: &str, to: &str, m: Value| json!({"id": "m", "from_name": from, "to_name": to, "type": "chatmessage", "value": {"chatmessage": m}});
        let ok = json!({"role": "user", "content": "hi", "createdAt": 1757612212681_i64});
        for xml in [
            r#"<View><Chat name="c" value="$c"/><Rating name="r" toName="c"/></View>"#,
            r#"<View><Chat name="c" value="$c" toName="c"/></View>"#,
        ] {
            let c = LabelConfig::parse(xml).unwrap();
            assert_eq!(
                check_region(&c, &message("c", "c", ok.clone()), &[]),
                Ok(())
            );
            assert!(
                check_region(&c, &message("c", "c", json!({"role": "user"})), &[])
                    .unwrap_err()
                    .contains("chatmessage.content")
            );
            assert!(
                check_region(
                    &c,
                    &message("c", "c", json!({"role": 1, "content": "x"})),
                    &[]
                )
                .unwrap_err()
                .contains("chatmessage.role")
            );
            assert!(
                check_region(
                    &c,
                    &message(
                        "c",
                        "c",
                        json!({"role": "u", "content": "x", "createdAt": "now"})
                    ),
                    &[]
                )
                .is_err()
            );
            // Only a Chat's own messages, under its own name.
            assert!(check_region(&c, &message("r", "c", ok.clone()), &[]).is_err());
        }
    }
}
