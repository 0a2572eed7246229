//! Relations between regions, in Label Studio's result shape: an item of the result
//! with no `value` envelope and no `from_name`/`to_name`:
//! `{"from_id", "to_id", "type": "relation", "direction": "right"}`, plus `labels` once
//! labels are chosen from the `<Relation>` children of `<Relations>`. A relation is
//! new with direction `right`; the direction cycles right → bi → left as Label Studio's
//! `rotateDirection` does (left → right → bi → left); one relation per ordered pair of
//! regions; deleting a region deletes its relations.

use crate::annotate::region::{id_of, is_relation};
use serde_json::{Value, json};

/// A new relation from region `from` to region `to`.
pub fn relation(from: &str, to: &str) -> Value {
    json!({"from_id": from, "to_id": to, "type": "relation", "direction": "right"})
}

pub fn from_id(r: &Value) -> &str {
    r.get("from_id").and_then(Value::as_str).unwrap_or("")
}

pub fn to_id(r: &Value) -> &str {
    r.get("to_id").and_then(Value::as_str).unwrap_or("")
}

pub fn direction(r: &Value) -> &str {
    r.get("direction")
        .and_then(Value::as_str)
        .unwrap_or("right")
}

/// The labels of a relation (none when it has no `labels`).
pub fn labels(r: &Value) -> Vec<String> {
    r.get("labels")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Indexes of the relations in a result, in order.
pub fn relation_indexes(result: &[Value]) -> Vec<usize> {
    result
        .iter()
        .enumerate()
        .filter(|(_, r)| is_relation(r))
        .map(|(i, _)| i)
        .collect()
}

/// Adds a relation from `from` to `to` unless they are the same region, either is not a
/// region of the result, or the pair is related already. Returns the new relation's index.
pub fn add(result: &mut Vec<Value>, from: &str, to: &str) -> Result<usize, &'static str> {
    if from == to {
        return Err("a relation needs two different regions");
    }
    for id in [from, to] {
        if !result
            .iter()
            .any(|r| !is_relation(r) && id_of(r) == Some(id))
        {
            return Err("both ends must be regions of this annotation");
        }
    }
    if result
        .iter()
        .any(|r| is_relation(r) && from_id(r) == from && to_id(r) == to)
    {
        return Err("these regions are related already");
    }
    result.push(relation(from, to));
    Ok(result.len() - 1)
}

/// The next direction, as Label Studio cycles it: left → right → bi → left.
pub fn next_direction(d: &str) -> &'static str {
    match d {
        "left" => "right",
        "right" => "bi",
        _ => "left",
    }
}

/// Cycles the direction of the relation at `i`.
pub fn cycle_direction(result: &mut [Value], i: usize) -> bool {
    let Some(r) = result.get_mut(i).filter(|r| is_relation(r)) else {
        return false;
    };
    let next = next_direction(direction(r));
    r["direction"] = json!(next);
    true
}

/// Toggles label `key` on the relation at `i` (`multiple` keeps others, else replaces).
pub fn toggle_label(result: &mut [Value], i: usize, key: &str, multiple: bool) -> bool {
    let Some(r) = result.get_mut(i).filter(|r| is_relation(r)) else {
        return false;
    };
    let cur = labels(r);
    let has = cur.iter().any(|l| l == key);
    let next: Vec<String> = match (multiple, has) {
        (true, true) => cur.into_iter().filter(|l| l != key).collect(),
        (true, false) => cur.into_iter().chain([key.to_string()]).collect(),
        (false, true) => Vec::new(),
        (false, false) => vec![key.to_string()],
    };
    r["labels"] = json!(next);
    true
}

/// Removes the relation at `i`.
pub fn remove(result: &mut Vec<Value>, i: usize) -> bool {
    if result.get(i).is_some_and(is_relation) {
        result.remove(i);
        true
    } else {
        false
    }
}

/// Removes the relations that touch region `id` (when the region is deleted).
pub fn remove_touching(result: &mut Vec<Value>, id: &str) {
    result.retain(|r| !(is_relation(r) && (from_id(r) == id || to_id(r) == id)));
}

/// The arrow drawn for a direction.
pub fn arrow(d: &str) -> &'static str {
    match d {
        "left" => "←",
        "bi" => "↔",
        _ => "→",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions() -> Vec<Value> {
        vec![
            json!({"id": "a", "from_name": "l", "to_name": "t", "type": "labels", "value": {"start": 0, "end": 1, "labels": ["X"]}}),
            json!({"id": "b", "from_name": "l", "to_name": "t", "type": "labels", "value": {"start": 2, "end": 3, "labels": ["X"]}}),
        ]
    }

    #[test]
    fn a_relation_is_label_studios_bare_item() {
        let mut r = regions();
        let i = add(&mut r, "a", "b").unwrap();
        assert_eq!(
            r[i],
            json!({"from_id": "a", "to_id": "b", "type": "relation", "direction": "right"})
        );
        assert!(r[i].get("value").is_none() && r[i].get("from_name").is_none());
        assert_eq!(
            add(&mut r, "a", "b"),
            Err("these regions are related already")
        );
        assert!(
            add(&mut r, "b", "a").is_ok(),
            "the other way is another relation"
        );
        assert!(add(&mut r, "a", "a").is_err());
        assert!(add(&mut r, "a", "zz").is_err());
        assert_eq!(relation_indexes(&r), vec![2, 3]);
    }

    #[test]
    fn directions_cycle_as_label_studio_rotates_them() {
        let mut r = regions();
        let i = add(&mut r, "a", "b").unwrap();
        let mut seen = Vec::new();
        for _ in 0..3 {
            cycle_direction(&mut r, i);
            seen.push(direction(&r[i]).to_string());
        }
        assert_eq!(seen, ["bi", "left", "right"]);
        assert!(!cycle_direction(&mut r, 0), "a region is not a relation");
    }

    #[test]
    fn labels_toggle_and_deleting_a_region_drops_its_relations() {
        let mut r = regions();
        let i = add(&mut r, "a", "b").unwrap();
        toggle_label(&mut r, i, "knows", true);
        toggle_label(&mut r, i, "likes", true);
        assert_eq!(r[i]["labels"], json!(["knows", "likes"]));
        toggle_label(&mut r, i, "knows", true);
        assert_eq!(labels(&r[i]), vec!["likes"]);
        toggle_label(&mut r, i, "x", false);
        assert_eq!(labels(&r[i]), vec!["x"]);
        remove_touching(&mut r, "b");
        assert!(relation_indexes(&r).is_empty());
        assert_eq!(r.len(), 2);
        let i = add(&mut r, "a", "b").unwrap();
        assert!(remove(&mut r, i));
        assert!(!remove(&mut r, 0));
    }
}
