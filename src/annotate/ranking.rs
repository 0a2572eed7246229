//! Ranking and pairwise comparison without a terminal: the items of a `List`, the
//! columns of a `Ranker` (its `Bucket`s and the unsorted pool), moving items between
//! them, and the result values Label Studio writes and reads for `Ranker` and `Pairwise`.
//!
//! Label Studio keeps a Ranker's columns as a JavaScript object, so the order of its keys
//! (and of the list's item ids, which it also keys an object by) is JavaScript's: keys that
//! look like array indexes first, in numeric order, then the others as inserted. The same
//! order is kept here, so that a result written here is the one Label Studio writes.

use crate::config::BucketDef;
use serde_json::{Map, Value, json};

/// The column of items not yet sorted into a bucket, when no bucket is the default.
pub const POOL: &str = "_";

/// One item of a `List` object: `{id, title, body, html}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListItem {
    /// The id as Label Studio reads it (`String(item.id)`).
    pub id: String,
    pub title: Option<String>,
    pub body: Option<String>,
    pub html: Option<String>,
}

/// A JSON value as JavaScript's `String(v)` writes it (how Label Studio turns item ids
/// into strings); `None` stands for a missing key (`undefined`).
pub fn js_string(v: Option<&Value>) -> String {
    match v {
        None => "undefined".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
            _ => n.to_string(),
        },
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| match x {
                Value::Null => String::new(),
                other => js_string(Some(other)),
            })
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Object(_)) => "[object Object]".into(),
    }
}

/// Whether JavaScript treats an object key as an array index (it then comes first).
fn is_index_key(k: &str) -> bool {
    !k.is_empty()
        && (k == "0" || !k.starts_with('0'))
        && k.bytes().all(|b| b.is_ascii_digit())
        && k.parse::<u64>().is_ok_and(|n| n < u32::MAX as u64)
}

/// Keys in the order a JavaScript object holds them: index-like keys ascending, then the
/// others in the order given. Duplicates keep their first place.
pub fn js_key_order(keys: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<String> = keys
        .into_iter()
        .filter(|k| seen.insert(k.clone()))
        .collect();
    let (mut index, rest): (Vec<String>, Vec<String>) =
        unique.into_iter().partition(|k| is_index_key(k));
    index.sort_by_key(|k| k.parse::<u64>().unwrap_or(u64::MAX));
    index.extend(rest);
    index
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The items of a `List` value, in the order Label Studio shows them (by id, as a
/// JavaScript object keys them: a repeated id keeps its first place and its last
/// content). Anything but a list is an error saying what the data holds.
pub fn list_items(v: &Value) -> Result<Vec<ListItem>, String> {
    let Value::Array(raw) = v else {
        let what = match v {
            Value::Null => "nothing".to_string(),
            Value::String(_) => "a string".to_string(),
            Value::Object(_) => "an object".to_string(),
            other => crate::config::PyType::of(other).name().to_string(),
        };
        return Err(format!(
            "a List needs a list of items {{id, title, body, html}}; the task holds {what}"
        ));
    };
    let mut by_id: indexmap::IndexMap<String, ListItem> = indexmap::IndexMap::new();
    for item in raw {
        let parsed = match item {
            Value::Object(m) => ListItem {
                id: js_string(m.get("id")),
                title: text_of(m.get("title")),
                body: text_of(m.get("body")),
                html: text_of(m.get("html")),
            },
            // A bare value has no id; its text is still worth showing.
            other => ListItem {
                id: "undefined".into(),
                title: None,
                body: text_of(Some(other)),
                html: None,
            },
        };
        by_id.insert(parsed.id.clone(), parsed);
    }
    let order = js_key_order(by_id.keys().cloned().collect());
    Ok(order
        .into_iter()
        .filter_map(|id| by_id.swap_remove(&id))
        .collect())
}

/// A List's items parsed once, with an index by id: a board is drawn from them on every
/// frame, and parsing thousands of items (their html made text) each time made a key press
/// cost tens of milliseconds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListItems {
    pub items: Vec<ListItem>,
    index: std::collections::HashMap<String, usize>,
}

impl ListItems {
    pub fn parse(v: &Value) -> Result<ListItems, String> {
        let items = list_items(v)?;
        let index = items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.clone(), i))
            .collect();
        Ok(ListItems { items, index })
    }

    pub fn get(&self, id: &str) -> Option<&ListItem> {
        self.index.get(id).map(|i| &self.items[*i])
    }

    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }
}

/// One column of a Ranker board: its result key, its title and the ids in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub key: String,
    pub title: String,
    pub ids: Vec<String>,
    /// False for a key of a stored result that names no column of the config: it is not
    /// shown, but written back as it was (Label Studio keeps it too).
    pub shown: bool,
}

/// A Ranker's columns and the items in each.
#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    pub columns: Vec<Column>,
    /// The column unsorted items go to: the Ranker's own when it has no buckets, else the
    /// default bucket, else the pool `_`.
    pub default: usize,
    /// Said when a stored value could not be read as a ranking.
    pub note: Option<String>,
}

/// The shown columns of a Ranker, in Label Studio's order: without buckets its own name
/// (titled like the list); with buckets, the pool `_` first unless one bucket is the
/// default, then the buckets. Returns them and the index of the default column.
pub fn columns(
    ranker: &str,
    buckets: &[BucketDef],
    list_title: &str,
) -> (Vec<(String, String)>, usize) {
    if buckets.is_empty() {
        return (vec![(ranker.to_string(), list_title.to_string())], 0);
    }
    let mut cols: Vec<(String, String)> = Vec::new();
    let default_bucket = buckets.iter().find(|b| b.default).map(|b| b.name.clone());
    if default_bucket.is_none() {
        cols.push((POOL.to_string(), list_title.to_string()));
    }
    for b in buckets {
        if !cols.iter().any(|(k, _)| *k == b.name) {
            cols.push((b.name.clone(), b.title.clone().unwrap_or_default()));
        }
    }
    let default_key = default_bucket.unwrap_or_else(|| POOL.to_string());
    let default = cols
        .iter()
        .position(|(k, _)| *k == default_key)
        .unwrap_or(0);
    (cols, default)
}

/// The board as a stored `value.ranker` (or none) lays the list's items out. Without a
/// value every item is in the default column. With one, each known column holds what the
/// value gives it; items the value places nowhere join the default column (Label Studio
/// puts them in the pool), so that every item stays in reach; a value's key for no
/// column is kept, hidden. A bare list (which Label Studio also reads) is the default
/// column's order.
pub fn board(
    ranker: &str,
    buckets: &[BucketDef],
    list_title: &str,
    ids: &[String],
    value: Option<&Value>,
) -> Board {
    let (cols, default) = columns(ranker, buckets, list_title);
    let mut board = Board {
        columns: cols
            .into_iter()
            .map(|(key, title)| Column {
                key,
                title,
                ids: Vec::new(),
                shown: true,
            })
            .collect(),
        default,
        note: None,
    };
    let ids_of = |v: &Value| -> Option<Vec<String>> {
        v.as_array()
            .map(|a| a.iter().map(|x| js_string(Some(x))).collect())
    };
    let mut given: Vec<(String, Vec<String>)> = Vec::new();
    match value {
        None => {}
        Some(Value::Array(_)) => {
            let key = board.columns[default].key.clone();
            given.push((key, ids_of(value.expect("some")).unwrap_or_default()));
        }
        Some(Value::Object(m)) => {
            for (k, v) in m {
                match ids_of(v) {
                    Some(list) => given.push((k.clone(), list)),
                    None => {
                        board.note = Some(format!(
                            "the stored ranking of {k:?} is not a list of ids; it is left out"
                        ))
                    }
                }
            }
        }
        Some(_) => {
            board.note = Some(
                "the stored ranking is not a list or a map of lists; showing the list's order"
                    .into(),
            )
        }
    }
    for (k, list) in given {
        match board.columns.iter_mut().find(|c| c.key == k) {
            Some(c) => c.ids = list,
            None => board.columns.push(Column {
                key: k,
                title: String::new(),
                ids: list,
                shown: false,
            }),
        }
    }
    let placed: std::collections::HashSet<&str> = board
        .columns
        .iter()
        .filter(|c| c.shown)
        .flat_map(|c| c.ids.iter().map(String::as_str))
        .collect();
    let left: Vec<String> = ids
        .iter()
        .filter(|id| !placed.contains(id.as_str()))
        .cloned()
        .collect();
    board.columns[default].ids.extend(left);
    board
}

impl Board {
    /// The result value Label Studio writes for this board: `{"ranker": {key: [ids]}}`,
    /// every column (empty ones too) in JavaScript's key order.
    pub fn value(&self) -> Value {
        let order = js_key_order(self.columns.iter().map(|c| c.key.clone()).collect());
        let mut m = Map::new();
        for k in order {
            if let Some(c) = self.columns.iter().find(|c| c.key == k) {
                m.insert(k, json!(c.ids));
            }
        }
        json!({ "ranker": Value::Object(m) })
    }

    /// Indexes of the shown columns, in order.
    pub fn shown(&self) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|i| self.columns[*i].shown)
            .collect()
    }

    /// Moves the item at `from` (column, row) to `to` (column, row; a row past the end
    /// appends). False when nothing changes or a place does not exist.
    pub fn move_item(&mut self, from: (usize, usize), to: (usize, usize)) -> bool {
        let (fc, fr) = from;
        let (tc, tr) = to;
        if fc >= self.columns.len() || tc >= self.columns.len() || fr >= self.columns[fc].ids.len()
        {
            return false;
        }
        let tr = if fc == tc {
            tr.min(self.columns[fc].ids.len() - 1)
        } else {
            tr.min(self.columns[tc].ids.len())
        };
        if fc == tc && fr == tr {
            return false;
        }
        let id = self.columns[fc].ids.remove(fr);
        self.columns[tc].ids.insert(tr, id);
        true
    }
}

/// Which side of a Pairwise is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }
}

/// The side a stored pairwise value chose (`{"selected": "left"}`), if it is one.
pub fn selected_side(value: &Value) -> Option<Side> {
    match value.get("selected").and_then(Value::as_str) {
        Some("left") => Some(Side::Left),
        Some("right") => Some(Side::Right),
        _ => None,
    }
}

/// Choosing a side: the other side or none becomes this side, this side again clears.
pub fn pick(current: Option<Side>, side: Side) -> Option<Side> {
    if current == Some(side) {
        None
    } else {
        Some(side)
    }
}

/// The value Label Studio writes for a chosen side.
pub fn pairwise_value(side: Side) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("selected".into(), json!(side.name()));
    m
}

/// A Pairwise's `toName` as Label Studio requires it: two different names.
pub fn pair_names(to_name: &[String]) -> Result<(&str, &str), String> {
    match to_name {
        [a, b] if a != b => Ok((a.as_str(), b.as_str())),
        _ => Err(format!(
            "Pairwise needs two different object names in toName (name1,name2); it has {:?}",
            to_name.join(",")
        )),
    }
}

/// Sets (or with `None` removes) the one result of a whole-task control such as a Ranker
/// or a Pairwise: the keys of `value` replace those of its value, its id stays; a new one
/// is `{id, from_name, to_name, type, value, origin: "manual"}`.
pub fn set_result(
    result: &mut Vec<Value>,
    from_name: &str,
    to_name: &str,
    kind: &str,
    value: Option<Map<String, Value>>,
) {
    let idx = result
        .iter()
        .position(|r| super::region::from_name(r) == from_name);
    match (idx, value) {
        (Some(i), Some(v)) => match result[i].get_mut("value") {
            Some(Value::Object(old)) => old.extend(v),
            _ => result[i]["value"] = Value::Object(v),
        },
        (Some(i), None) => {
            result.remove(i);
        }
        (None, Some(v)) => result.push(json!({
            "id": super::region::new_id(),
            "from_name": from_name,
            "to_name": to_name,
            "type": kind,
            "value": Value::Object(v),
            "origin": "manual",
        })),
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(name: &str, default: bool) -> BucketDef {
        BucketDef {
            name: name.into(),
            title: Some(format!("{name} title")),
            default,
        }
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn item_ids_are_strings_in_javascript_key_order() {
        let items = list_items(&json!([
            {"id": "b", "title": "B"},
            {"id": 10, "body": "ten"},
            {"id": 2.0, "html": "<p>x</p>"},
            {"id": "a"},
            {"id": "b", "title": "B again"},
            {"title": "no id"},
            "bare"
        ]))
        .unwrap();
        let got: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(got, vec!["2", "10", "b", "a", "undefined"]);
        assert_eq!(
            items[2].title.as_deref(),
            Some("B again"),
            "last content wins"
        );
        assert_eq!(items[0].html.as_deref(), Some("<p>x</p>"));
        assert_eq!(items[4].body.as_deref(), Some("bare"));
    }

    #[test]
    fn a_value_that_is_not_a_list_is_a_clear_error() {
        let e = list_items(&json!("items")).unwrap_err();
        assert!(e.contains("a string"), "{e}");
        let e = list_items(&json!({"id": 1})).unwrap_err();
        assert!(e.contains("an object"), "{e}");
        assert!(list_items(&Value::Null).unwrap_err().contains("nothing"));
        assert!(list_items(&json!([])).unwrap().is_empty());
    }

    #[test]
    fn index_like_keys_come_first() {
        assert_eq!(
            js_key_order(ids(&["_", "b2", "2", "01", "1", "4294967295", "2"])),
            ids(&["1", "2", "_", "b2", "01", "4294967295"])
        );
    }

    #[test]
    fn columns_follow_label_studio() {
        let (c, d) = columns("rank", &[], "Results");
        assert_eq!(c, vec![("rank".to_string(), "Results".to_string())]);
        assert_eq!(d, 0);
        let (c, d) = columns("rank", &[b("B1", false), b("B2", false)], "Results");
        let keys: Vec<&str> = c.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, vec!["_", "B1", "B2"]);
        assert_eq!(c[0].1, "Results");
        assert_eq!(d, 0);
        let (c, d) = columns("rank", &[b("B1", false), b("B2", true)], "Results");
        let keys: Vec<&str> = c.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, vec!["B1", "B2"]);
        assert_eq!(d, 1);
    }

    #[test]
    fn a_new_board_writes_every_item_in_the_default_column() {
        let all = ids(&["item1", "item2", "item3"]);
        let rank = board("rank", &[], "L", &all, None);
        assert_eq!(
            rank.value(),
            json!({"ranker": {"rank": ["item1", "item2", "item3"]}})
        );
        let pick = board("rank", &[b("B1", false), b("B2", false)], "L", &all, None);
        assert_eq!(
            serde_json::to_string(&pick.value()).unwrap(),
            r#"{"ranker":{"_":["item1","item2","item3"],"B1":[],"B2":[]}}"#
        );
        let group = board("rank", &[b("B1", false), b("B2", true)], "L", &all, None);
        assert_eq!(
            group.value(),
            json!({"ranker": {"B1": [], "B2": ["item1", "item2", "item3"]}})
        );
    }

    #[test]
    fn a_stored_value_is_read_back_and_the_rest_goes_to_the_pool() {
        let all = ids(&["item1", "item2", "item3"]);
        let buckets = [b("B1", false), b("B2", false)];
        let got = board(
            "rank",
            &buckets,
            "L",
            &all,
            Some(&json!({"B1": ["item2"], "old": ["item3"]})),
        );
        let cols: Vec<(&str, Vec<&str>, bool)> = got
            .columns
            .iter()
            .map(|c| {
                (
                    c.key.as_str(),
                    c.ids.iter().map(String::as_str).collect(),
                    c.shown,
                )
            })
            .collect();
        assert_eq!(
            cols,
            vec![
                ("_", vec!["item1", "item3"], true),
                ("B1", vec!["item2"], true),
                ("B2", vec![], true),
                ("old", vec!["item3"], false),
            ]
        );
        assert_eq!(got.shown(), vec![0, 1, 2]);
        // A bare list is the default column's order.
        let bare = board("rank", &[], "L", &all, Some(&json!(["item3", "item1"])));
        assert_eq!(bare.columns[0].ids, ids(&["item3", "item1", "item2"]));
        // Odd values never panic and say what they were.
        let odd = board("rank", &[], "L", &all, Some(&json!(7)));
        assert_eq!(odd.columns[0].ids, all);
        assert!(odd.note.is_some());
        let odd = board("rank", &[], "L", &all, Some(&json!({"rank": "item1"})));
        assert_eq!(odd.columns[0].ids, all);
        assert!(odd.note.is_some());
        // Numbers in a stored value are ids as strings.
        let num = board("rank", &[], "L", &ids(&["1", "2"]), Some(&json!([2, 1])));
        assert_eq!(num.columns[0].ids, ids(&["2", "1"]));
    }

    #[test]
    fn moving_items_within_and_across_columns() {
        let all = ids(&["a", "b", "c"]);
        let mut rank = board("rank", &[], "L", &all, None);
        assert!(rank.move_item((0, 0), (0, 1)));
        assert_eq!(rank.columns[0].ids, ids(&["b", "a", "c"]));
        assert!(rank.move_item((0, 2), (0, 0)));
        assert_eq!(rank.value(), json!({"ranker": {"rank": ["c", "b", "a"]}}));
        assert!(!rank.move_item((0, 1), (0, 1)), "no change");
        assert!(!rank.move_item((0, 9), (0, 0)), "no such item");
        assert!(!rank.move_item((0, 0), (3, 0)), "no such column");
        let mut pick = board("rank", &[b("B1", false)], "L", &all, None);
        assert!(pick.move_item((0, 1), (1, 5)));
        assert_eq!(
            serde_json::to_string(&pick.value()).unwrap(),
            r#"{"ranker":{"_":["a","c"],"B1":["b"]}}"#
        );
        assert!(pick.move_item((1, 0), (0, 0)));
        assert_eq!(pick.columns[0].ids, ids(&["b", "a", "c"]));
        assert!(pick.columns[1].ids.is_empty());
    }

    #[test]
    fn numbered_buckets_come_first_in_the_result() {
        let all = ids(&["a"]);
        let mut pick = board("rank", &[b("2", false), b("1", false)], "L", &all, None);
        assert!(pick.move_item((0, 0), (1, 0)));
        assert_eq!(
            serde_json::to_string(&pick.value()).unwrap(),
            r#"{"ranker":{"1":[],"2":["a"],"_":[]}}"#
        );
    }

    #[test]
    fn set_result_adds_replaces_and_removes() {
        let mut r = vec![json!({"id": "x", "from_name": "other", "value": {}})];
        set_result(
            &mut r,
            "pw",
            "pw",
            "pairwise",
            Some(pairwise_value(Side::Left)),
        );
        assert_eq!(r[1]["from_name"], "pw");
        assert_eq!(r[1]["to_name"], "pw");
        assert_eq!(r[1]["type"], "pairwise");
        assert_eq!(r[1]["value"], json!({"selected": "left"}));
        assert_eq!(r[1]["origin"], "manual");
        let id = r[1]["id"].clone();
        set_result(
            &mut r,
            "pw",
            "pw",
            "pairwise",
            Some(pairwise_value(Side::Right)),
        );
        assert_eq!(r[1]["value"], json!({"selected": "right"}));
        assert_eq!(r[1]["id"], id, "the id stays");
        set_result(&mut r, "pw", "pw", "pairwise", None);
        assert_eq!(r.len(), 1);
        set_result(&mut r, "pw", "pw", "pairwise", None);
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn pairwise_picks_toggle_and_read_back() {
        assert_eq!(pick(None, Side::Left), Some(Side::Left));
        assert_eq!(pick(Some(Side::Left), Side::Right), Some(Side::Right));
        assert_eq!(pick(Some(Side::Right), Side::Right), None);
        assert_eq!(
            Value::Object(pairwise_value(Side::Right)),
            json!({"selected": "right"})
        );
        assert_eq!(
            selected_side(&json!({"selected": "left"})),
            Some(Side::Left)
        );
        assert_eq!(selected_side(&json!({"selected": "none"})), None);
        assert_eq!(selected_side(&json!(3)), None);
        let two = vec!["a".to_string(), "b".to_string()];
        assert_eq!(pair_names(&two), Ok(("a", "b")));
        assert!(pair_names(&["a".to_string(), "a".to_string()]).is_err());
        assert!(pair_names(&["a".to_string()]).is_err());
    }
}
