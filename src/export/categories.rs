//! COCO/YOLO categories as the converter builds them from the config.
//!
//! - Every control's labels count (`Label` and `Choice` children of any control, so
//!   image-level Choices become categories too).
//! - Labels with an integer `category` attribute come first, in config order, with that id;
//!   the rest follow sorted by code point, with the smallest ids not taken.
//! - A label met in results but not in the config is appended with id = number of categories.
//! - COCO with keypoints: KeyPointLabels labels leave the list and one `default` category
//!   (id = largest id + 1) carries them as its `keypoints`.
//! - YOLO with keypoints: RectangleLabels labels only, in config order, ids from 0.

use crate::config::{ControlTag, LabelConfig, LabelDef};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap, HashSet};

/// The categories list and the name → id map (kept apart, as the converter does: the list
/// can hold a name twice).
#[derive(Debug, Clone, Default)]
pub struct Categories {
    pub list: Vec<Map<String, Value>>,
    pub ids: HashMap<String, i64>,
}

impl Categories {
    /// The id of a label, appending a new category when the config did not know it.
    pub fn id_for(&mut self, name: &str) -> i64 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.list.len() as i64;
        let mut m = Map::new();
        m.insert("id".into(), Value::from(id));
        m.insert("name".into(), Value::from(name));
        self.list.push(m);
        self.ids.insert(name.to_string(), id);
        id
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.list
            .iter()
            .map(|c| c.get("name").and_then(Value::as_str).unwrap_or(""))
    }

    pub fn to_value(&self) -> Value {
        Value::Array(self.list.iter().cloned().map(Value::Object).collect())
    }
}

/// A control's labels as the converter's config parser lists them: `Label`/`Choice`
/// children, one per key, in config order.
fn labels_of(c: &ControlTag) -> impl Iterator<Item = &LabelDef> {
    c.labels
        .iter()
        .filter(|l| l.tag == "Label" || l.tag == "Choice")
}

/// The controls as the converter's schema holds them: one per name (a repeated name keeps
/// its first place and its last definition).
fn schema(config: &LabelConfig) -> Vec<&ControlTag> {
    let mut by_name: IndexMap<&str, &ControlTag> = IndexMap::new();
    for c in &config.controls {
        by_name.insert(c.name.as_str(), c);
    }
    by_name.into_values().collect()
}

fn category(id: i64, name: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), Value::from(id));
    m.insert("name".into(), Value::from(name));
    m
}

/// `Converter._get_labels`.
pub fn from_config(config: &LabelConfig) -> Categories {
    let controls = schema(config);
    let mut all: BTreeSet<&str> = BTreeSet::new();
    let mut cats = Categories::default();
    for c in &controls {
        for l in labels_of(c) {
            all.insert(&l.key);
            if let Some(id) = l.category {
                cats.list.push(category(id, &l.key));
                cats.ids.insert(l.key.clone(), id);
            }
        }
    }
    let used: HashSet<i64> = cats.ids.values().copied().collect();
    let mut next = 0i64;
    // BTreeSet<&str> iterates in byte order, which for UTF-8 is code point order.
    for name in all {
        if cats.ids.contains_key(name) {
            continue;
        }
        while used.contains(&next) {
            next += 1;
        }
        cats.list.push(category(next, name));
        cats.ids.insert(name.to_string(), next);
        next += 1;
    }
    cats
}

/// KeyPointLabels labels in config order, without repeats.
pub fn keypoint_labels(config: &LabelConfig) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in schema(config) {
        if c.tag == "KeyPointLabels" {
            for l in labels_of(c) {
                if !out.contains(&l.key) {
                    out.push(l.key.clone());
                }
            }
        }
    }
    out
}

pub fn has_keypoints(config: &LabelConfig) -> bool {
    schema(config).iter().any(|c| c.tag == "KeyPointLabels")
}

/// COCO: keypoint labels merged into one `default` category.
pub fn for_coco(config: &LabelConfig) -> Categories {
    let cats = from_config(config);
    let kp = keypoint_labels(config);
    if kp.is_empty() {
        return cats;
    }
    let mut out = Categories::default();
    for c in cats.list {
        let name = c
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if kp.contains(&name) {
            continue;
        }
        let id = c.get("id").and_then(Value::as_i64).unwrap_or(0);
        out.ids.insert(name, id);
        out.list.push(c);
    }
    let merged = out
        .list
        .iter()
        .filter_map(|c| c.get("id").and_then(Value::as_i64))
        .max()
        .map_or(0, |m| m + 1);
    let mut m = category(merged, "default");
    m.insert("supercategory".into(), Value::from("default"));
    m.insert(
        "keypoints".into(),
        Value::Array(kp.iter().map(|k| Value::from(k.as_str())).collect()),
    );
    m.insert("skeleton".into(), Value::Array(Vec::new()));
    out.list.push(m);
    for k in kp {
        out.ids.insert(k, merged);
    }
    out
}

/// YOLO with keypoints: one class per RectangleLabels label, each listing the keypoints.
pub fn for_yolo_keypoints(config: &LabelConfig) -> Categories {
    let kp = keypoint_labels(config);
    let mut rect: Vec<&str> = Vec::new();
    for c in schema(config) {
        if c.tag == "RectangleLabels" {
            for l in labels_of(c) {
                if !rect.contains(&l.key.as_str()) {
                    rect.push(&l.key);
                }
            }
        }
    }
    let mut out = Categories::default();
    for (i, name) in rect.into_iter().enumerate() {
        let mut m = category(i as i64, name);
        m.insert(
            "keypoints".into(),
            Value::Array(kp.iter().map(|k| Value::from(k.as_str())).collect()),
        );
        out.list.push(m);
        out.ids.insert(name.to_string(), i as i64);
    }
    out
}

/// Keypoint labels in `model_index` order (labels without one are left out; a repeated
/// index keeps the first label).
pub fn keypoint_order(config: &LabelConfig) -> Vec<String> {
    let mut block: IndexMap<&str, Option<i64>> = IndexMap::new();
    for c in schema(config) {
        if c.tag == "KeyPointLabels" {
            for l in labels_of(c) {
                block.insert(&l.key, l.model_index);
            }
        }
    }
    let mut pairs: Vec<(i64, &str)> = Vec::new();
    let mut used = HashSet::new();
    for (name, idx) in block {
        let Some(idx) = idx else { continue };
        if used.insert(idx) {
            pairs.push((idx, name));
        }
    }
    pairs.sort_by_key(|p| p.0);
    pairs.into_iter().map(|(_, n)| n.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(xml: &str) -> LabelConfig {
        LabelConfig::parse(xml).unwrap()
    }

    #[test]
    fn sorted_with_explicit_ids_first() {
        let c = cfg(r#"<View><Image name="i" value="$image"/>
            <RectangleLabels name="r" toName="i"><Label value="b"/><Label value="A" category="1"/><Label value="C"/><Label value="a"/></RectangleLabels>
            <Choices name="q" toName="i"><Choice value="z"/></Choices></View>"#);
        let mut cats = from_config(&c);
        let got: Vec<(i64, &str)> = cats
            .list
            .iter()
            .map(|m| (m["id"].as_i64().unwrap(), m["name"].as_str().unwrap()))
            .collect();
        assert_eq!(got, vec![(1, "A"), (0, "C"), (2, "a"), (3, "b"), (4, "z")]);
        assert_eq!(cats.id_for("new"), 5);
        assert_eq!(cats.id_for("C"), 0);
    }

    #[test]
    fn keypoint_categories() {
        let c = cfg(r#"<View><Image name="image" value="$image"/>
            <RectangleLabels name="box" toName="image"><Label value="Person"/><Label value="Animal"/></RectangleLabels>
            <KeyPointLabels name="kp" toName="image"><Label value="Eye" model_index="1"/><Label value="Nose" model_index="0"/></KeyPointLabels></View>"#);
        let coco = for_coco(&c);
        let got: Vec<(i64, &str)> = coco
            .list
            .iter()
            .map(|m| (m["id"].as_i64().unwrap(), m["name"].as_str().unwrap()))
            .collect();
        assert_eq!(got, vec![(0, "Animal"), (3, "Person"), (4, "default")]);
        assert_eq!(coco.ids["Eye"], 4);
        assert_eq!(keypoint_order(&c), vec!["Nose", "Eye"]);
        let yolo = for_yolo_keypoints(&c);
        assert_eq!(yolo.names().collect::<Vec<_>>(), vec!["Person", "Animal"]);
    }
}
