//! The Label Studio labeling config, parsed once into a typed model.
//!
//! Everything else (import validation, export, the annotator) asks this model; nobody
//! re-parses the XML. Classification follows Label Studio's `parse_config`: a tag with
//! `name` and `toName` is a control, a tag with `name` and a `value`/`valueList` is an
//! object, and `Label`/`Choice`/`Relation` belong to the nearest enclosing control.

pub mod dynamic;
pub mod hotkeys;
pub mod infer;
pub mod keys;
pub mod tags;
pub mod validate;
pub mod xml;

use std::collections::{HashMap, HashSet};

pub use keys::DataKey;
pub use tags::{ControlKind, ObjectKind, PyType};
pub use xml::{Element, Node, Pos};

/// A config error in Label Studio's words, with the place of the offending tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub message: String,
    pub pos: Option<Pos>,
}

impl ConfigError {
    pub fn new(message: impl Into<String>, pos: Option<Pos>) -> Self {
        ConfigError {
            message: message.into(),
            pos,
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{}:{}: {}", p.line, p.column, self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// How many options a Choices/Labels control lets the annotator pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceMode {
    Single,
    SingleRadio,
    Multiple,
}

/// One `<Label>`, `<Choice>` or `<Relation>` of a control.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelDef {
    /// `Label`, `Choice` or `Relation`.
    pub tag: String,
    pub value: String,
    pub alias: Option<String>,
    /// What results hold: the alias when present, else the value.
    pub key: String,
    /// The `hotkey` attribute, else one generated the way Label Studio does.
    pub hotkey: Option<String>,
    /// True when `hotkey` came from the config rather than the generated sequence.
    pub hotkey_from_config: bool,
    pub background: Option<String>,
    /// `category` (COCO/YOLO class id) when it parses as an integer.
    pub category: Option<i64>,
    /// `model_index` (keypoint order in COCO/YOLO keypoint export).
    pub model_index: Option<i64>,
    pub selected: bool,
    pub hint: Option<String>,
    /// `html`: rich content Label Studio shows instead of the value (results keep the key).
    pub html: Option<String>,
    /// For nested Taxonomy choices: the keys from the root down to this one.
    pub path: Vec<String>,
    pub pos: Pos,
}

/// A control tag (Choices, Labels, RectangleLabels, TextArea, Rating...).
#[derive(Debug, Clone)]
pub struct ControlTag {
    pub name: String,
    /// The tag as written (`RectangleLabels`).
    pub tag: String,
    pub kind: ControlKind,
    /// `toName` split on `,` (no trimming, as Label Studio does).
    pub to_name: Vec<String>,
    pub labels: Vec<LabelDef>,
    pub choice: ChoiceMode,
    pub required: bool,
    pub required_message: Option<String>,
    pub per_region: bool,
    pub per_item: bool,
    /// `value="$options"`: options come from the task data.
    pub dynamic_labels: Option<String>,
    /// What was wrong with the task's options (filled per task; see [`dynamic`]).
    pub option_problems: Vec<String>,
    pub max_rating: u32,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub step: Option<f64>,
    pub max_submissions: Option<usize>,
    pub leafs_only: bool,
    /// Conditional display: `visibleWhen` with `whenTagName`/`whenLabelValue`/`whenChoiceValue`.
    pub visible_when: Option<String>,
    pub attrs: Vec<(String, String)>,
    pub pos: Pos,
    /// Set when the name contains a Repeater variable (`labels_{{idx}}`).
    pub name_pattern: Option<regex::Regex>,
    /// A Ranker's `<Bucket>` children, in order.
    pub buckets: Vec<BucketDef>,
    result_type: String,
    value_key: Option<String>,
}

impl ControlTag {
    /// An attribute by name: exact case first, then any case (as the frontend reads them).
    pub fn attr(&self, name: &str) -> Option<&str> {
        find_attr(&self.attrs, name)
    }

    /// The result `type` this control writes.
    pub fn result_type(&self) -> &str {
        &self.result_type
    }

    /// The key inside `value` holding the main value.
    pub fn value_key(&self) -> Option<&str> {
        self.value_key.as_deref()
    }

    /// Whether a result's `from_name` belongs to this control (Repeater names included).
    pub fn matches_name(&self, from_name: &str) -> bool {
        self.name == from_name
            || self
                .name_pattern
                .as_ref()
                .is_some_and(|re| re.is_match(from_name))
    }

    pub fn label(&self, key: &str) -> Option<&LabelDef> {
        self.labels.iter().find(|l| l.key == key)
    }
}

/// One `<Bucket>` of a Ranker: a column items can be moved into.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketDef {
    /// The key of its item ids in the result.
    pub name: String,
    pub title: Option<String>,
    /// `default="true"`: unsorted items start here instead of in the pool (`_`).
    pub default: bool,
}

/// An object tag (Text, Image, Audio, Paragraphs...).
#[derive(Debug, Clone)]
pub struct ObjectTag {
    pub name: String,
    pub tag: String,
    pub kind: ObjectKind,
    pub value: Option<String>,
    pub value_list: Option<String>,
    /// `valueType` (text/url/json); `None` means the tag's default.
    pub value_type: Option<String>,
    pub encoding: Option<String>,
    pub resolver: Option<String>,
    pub attrs: Vec<(String, String)>,
    pub pos: Pos,
}

impl ObjectTag {
    /// An attribute by name: exact case first, then any case (as the frontend reads them).
    pub fn attr(&self, name: &str) -> Option<&str> {
        find_attr(&self.attrs, name)
    }
}

/// A warning about the config: it parses and Label Studio accepts it, but something is off.
pub type ConfigWarning = ConfigError;

/// The parsed, validated label config.
#[derive(Debug, Clone)]
pub struct LabelConfig {
    pub source: String,
    /// The whole tree, kept for display (View nesting, Header, Style...).
    pub root: Element,
    pub objects: Vec<ObjectTag>,
    pub controls: Vec<ControlTag>,
    /// Data keys in document order, extracted with Label Studio's backend rule.
    pub data_keys: Vec<DataKey>,
    pub warnings: Vec<ConfigWarning>,
    /// The example task from a trailing `<!-- {"data": ...} -->` comment.
    pub sample_task: Option<serde_json::Value>,
    /// Control tags without `toName` (a `<Rating name="r"/>` alone). Label Studio draws
    /// them, but its backend does not count them as controls and its editor fails to
    /// store their results (a result needs the object it labels), so they are kept apart
    /// from `controls`: shown, never written.
    pub unbound: Vec<ControlTag>,
}

impl LabelConfig {
    /// Parses and validates a config in Label Studio's order: XML, schema, unique names,
    /// `toName` targets, tag attributes. Unknown tags are kept and warned about.
    pub fn parse(source: &str) -> Result<LabelConfig, ConfigError> {
        let doc = xml::parse(source).map_err(|e| ConfigError::new(e.message, Some(e.pos)))?;
        validate::check(&doc.root)?;
        let mut config = Self::from_tree(source, doc.root);
        config.sample_task = sample_task(&doc.comments);
        config.warnings.extend(validate::warnings(&config));
        Ok(config)
    }

    /// Builds the model from a tree without validating it (used after Repeater expansion).
    pub fn from_tree(source: &str, root: Element) -> LabelConfig {
        let mut objects = Vec::new();
        let mut controls: Vec<ControlTag> = Vec::new();
        let mut unbound = Vec::new();
        let repeater_vars = RepeaterVars::new(&root);
        for el in root.subtree() {
            if is_control(el) {
                controls.push(control_from(el, &repeater_vars));
            } else if let Some(obj) = object_from(el) {
                objects.push(obj);
            } else if is_unbound_control(el) {
                unbound.push(control_from(el, &repeater_vars));
            }
        }
        // Indexes instead of scans, so a control with many labels stays linear.
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (i, c) in controls.iter().enumerate() {
            by_name.entry(c.name.clone()).or_insert(i);
        }
        let mut label_keys: Vec<HashSet<String>> = vec![HashSet::new(); controls.len()];
        // Labels attach to the nearest enclosing control.
        root.visit(|el, ancestors| {
            if !matches!(el.tag.as_str(), "Label" | "Choice" | "Relation") {
                return;
            }
            let Some(owner) = ancestors.iter().rev().find(|a| is_control(a)) else {
                return;
            };
            let Some(owner_name) = owner.attr("name") else {
                return;
            };
            let Some(&ci) = by_name.get(owner_name) else {
                return;
            };
            let Some(key) = el
                .attr("alias")
                .or(el.attr("value"))
                .or(el.attr("valueList"))
            else {
                return;
            };
            if !label_keys[ci].insert(key.to_string()) {
                return;
            }
            // Taxonomy nesting: the keys of the enclosing Choices up to the control.
            let mut path: Vec<String> = ancestors
                .iter()
                .skip_while(|a| !std::ptr::eq(**a, *owner))
                .skip(1)
                .filter(|a| a.tag == "Choice")
                .filter_map(|a| a.attr("alias").or(a.attr("value")).map(str::to_string))
                .collect();
            path.push(key.to_string());
            controls[ci].labels.push(label_from(el, key, path));
        });
        hotkeys::assign(&mut controls);
        let data_keys = keys::extract(&root);
        LabelConfig {
            source: source.to_string(),
            root,
            objects,
            controls,
            data_keys,
            warnings: Vec::new(),
            sample_task: None,
            unbound,
        }
    }

    pub fn control(&self, name: &str) -> Option<&ControlTag> {
        self.controls
            .iter()
            .find(|c| c.name == name)
            .or_else(|| self.controls.iter().find(|c| c.matches_name(name)))
    }

    pub fn object(&self, name: &str) -> Option<&ObjectTag> {
        self.objects.iter().find(|o| o.name == name)
    }

    /// The labels relations can take: the `<Relation>` values (aliases first) of the
    /// `<Relations>` tag, which has no name and so is no control.
    pub fn relation_labels(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for el in self.root.subtree() {
            if !el.tag.eq_ignore_ascii_case("Relations") {
                continue;
            }
            for r in el.subtree() {
                if r.tag.eq_ignore_ascii_case("Relation")
                    && let Some(v) = r.attr("alias").or(r.attr("value"))
                    && !out.iter().any(|x| x == v)
                {
                    out.push(v.to_string());
                }
            }
        }
        out
    }

    /// The first data key, which `$undefined$` is renamed to.
    pub fn first_data_key(&self) -> Option<&str> {
        self.data_keys.first().map(|k| k.key.as_str())
    }

    /// Every name in the config (objects, controls, anything with `name`).
    pub fn names(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut seen = HashSet::new();
        for el in self.root.subtree() {
            if let Some(n) = el.attr("name")
                && seen.insert(n.to_string())
            {
                names.push(n.to_string());
            }
        }
        names
    }

    /// A copy for one task's data: every `<Repeater>` expanded (children cloned once per
    /// array element, `{{idx}}` or the Repeater's `indexFlag` replaced by the index) and
    /// the options of `value="$key"` controls filled from the data (see [`dynamic`]).
    /// When the Repeater expansion would exceed [`MAX_EXPANDED_TAGS`], the config stays
    /// unexpanded and carries the error as a warning.
    pub fn expand_for_task(&self, data: &serde_json::Value) -> LabelConfig {
        self.try_expand_for_task(data).unwrap_or_else(|e| {
            let mut same = self.clone();
            dynamic::fill(&mut same.controls, data);
            same.warnings.push(e);
            same
        })
    }

    /// Like [`expand_for_task`](Self::expand_for_task), but an expansion past
    /// [`MAX_EXPANDED_TAGS`] (a huge array, or Repeaters nested in Repeaters) is an error
    /// naming the Repeater's line and column.
    pub fn try_expand_for_task(
        &self,
        data: &serde_json::Value,
    ) -> Result<LabelConfig, ConfigError> {
        if !self.has_repeater() {
            let mut same = self.clone();
            dynamic::fill(&mut same.controls, data);
            return Ok(same);
        }
        let mut root = self.root.clone();
        let mut budget = MAX_EXPANDED_TAGS;
        expand_repeaters(&mut root, data, 0, &mut budget)?;
        let mut expanded = Self::from_tree(&self.source, root);
        expanded.warnings = self.warnings.clone();
        expanded.sample_task = self.sample_task.clone();
        dynamic::fill(&mut expanded.controls, data);
        Ok(expanded)
    }

    pub fn has_repeater(&self) -> bool {
        self.root.subtree().iter().any(|e| e.tag == "Repeater")
    }
}

fn find_attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .or_else(|| attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .map(|(_, v)| v.as_str())
}

fn is_control(el: &Element) -> bool {
    el.attr("name").is_some() && el.attr("toName").is_some() && el.tag != "Filter"
}

/// A control tag with a name but no `toName`.
fn is_unbound_control(el: &Element) -> bool {
    el.attr("name").is_some_and(|n| !n.is_empty())
        && el.attr("toName").is_none()
        && ControlKind::from_tag(&el.tag) != ControlKind::Other
}

fn object_from(el: &Element) -> Option<ObjectTag> {
    let name = el.attr("name")?;
    let value = el.attr("value").filter(|v| !v.is_empty());
    let value_list = el.attr("valueList").filter(|v| !v.is_empty());
    if value.is_none() && value_list.is_none() {
        return None;
    }
    Some(ObjectTag {
        name: name.to_string(),
        tag: el.tag.clone(),
        kind: ObjectKind::from_tag(&el.tag),
        value: value.map(str::to_string),
        value_list: value_list.map(str::to_string),
        value_type: el.attr_ci("valueType").map(str::to_string),
        encoding: el.attr_ci("encoding").map(str::to_string),
        resolver: el.attr_ci("resolver").map(str::to_string),
        attrs: el.attrs.clone(),
        pos: el.pos,
    })
}

fn parse_f64(v: Option<&str>) -> Option<f64> {
    v.and_then(|s| s.trim().parse::<f64>().ok())
}

fn control_from(el: &Element, repeater_vars: &RepeaterVars) -> ControlTag {
    let name = el.attr("name").unwrap_or_default().to_string();
    let kind = ControlKind::from_tag(&el.tag);
    let choice = match el.attr_ci("choice").map(|c| c.to_ascii_lowercase()) {
        Some(c) if c == "multiple" => ChoiceMode::Multiple,
        Some(c) if c == "single-radio" => ChoiceMode::SingleRadio,
        _ => ChoiceMode::Single,
    };
    let dynamic = el
        .attr("value")
        .filter(|v| v.starts_with('$') && v.len() > 1)
        .map(|v| v.trim_start_matches('$').to_string());
    let name_pattern = repeater_vars.name_pattern(&name);
    ControlTag {
        to_name: el
            .attr("toName")
            .map(|t| t.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        tag: el.tag.clone(),
        kind,
        labels: Vec::new(),
        choice,
        required: el.flag("required"),
        required_message: el.attr_ci("requiredMessage").map(str::to_string),
        per_region: el.flag("perRegion"),
        per_item: el.flag("perItem"),
        dynamic_labels: dynamic,
        option_problems: Vec::new(),
        max_rating: el
            .attr_ci("maxRating")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(5),
        min: parse_f64(el.attr_ci("min")),
        max: parse_f64(el.attr_ci("max")),
        step: parse_f64(el.attr_ci("step")),
        max_submissions: el
            .attr_ci("maxSubmissions")
            .and_then(|v| v.trim().parse().ok()),
        leafs_only: el.flag("leafsOnly"),
        visible_when: el.attr_ci("visibleWhen").map(str::to_string),
        attrs: el.attrs.clone(),
        pos: el.pos,
        result_type: kind.result_type(&el.tag),
        value_key: kind.value_key(&el.tag),
        buckets: buckets_of(el),
        name,
        name_pattern,
    }
}

/// The direct `<Bucket>` children of a Ranker (Label Studio reads no deeper).
fn buckets_of(el: &Element) -> Vec<BucketDef> {
    el.children
        .iter()
        .filter_map(|c| match c {
            Node::Element(b) if b.tag.eq_ignore_ascii_case("Bucket") => Some(b),
            _ => None,
        })
        .filter_map(|b| {
            Some(BucketDef {
                name: b.attr("name")?.to_string(),
                title: b.attr("title").map(str::to_string),
                default: b.flag("default"),
            })
        })
        .collect()
}

fn label_from(el: &Element, key: &str, path: Vec<String>) -> LabelDef {
    let hotkey = el.attr_ci("hotkey").filter(|h| !h.is_empty());
    LabelDef {
        tag: el.tag.clone(),
        value: el.attr("value").unwrap_or(key).to_string(),
        alias: el.attr("alias").map(str::to_string),
        key: key.to_string(),
        hotkey: hotkey.map(str::to_string),
        hotkey_from_config: hotkey.is_some(),
        background: el.attr_ci("background").map(str::to_string),
        category: el.attr("category").and_then(|c| c.trim().parse().ok()),
        model_index: el.attr("model_index").and_then(|c| c.trim().parse().ok()),
        selected: el.flag("selected"),
        hint: el.attr_ci("hint").map(str::to_string),
        html: el.attr_ci("html").map(str::to_string),
        path,
        pos: el.pos,
    }
}

/// Variables registered by `indexFlag` (and the default `{{idx}}` of every Repeater),
/// with one matcher for all of them, so that checking every control name against every
/// variable does not multiply.
struct RepeaterVars {
    matcher: Option<regex::Regex>,
}

impl RepeaterVars {
    fn new(root: &Element) -> Self {
        let mut vars = Vec::new();
        for el in root.subtree() {
            if let Some(flag) = el.attr("indexFlag") {
                vars.push(flag.to_string());
            } else if el.tag == "Repeater" {
                vars.push("{{idx}}".to_string());
            }
        }
        vars.retain(|v| !v.is_empty());
        vars.sort();
        vars.dedup();
        // Longest first, so a variable that contains another one wins.
        vars.sort_by_key(|v| std::cmp::Reverse(v.len()));
        let matcher = if vars.is_empty() {
            None
        } else {
            let alternation: Vec<String> = vars.iter().map(|v| regex::escape(v)).collect();
            regex::Regex::new(&alternation.join("|")).ok()
        };
        RepeaterVars { matcher }
    }

    /// For a name holding a variable: a regex matching the names it expands to.
    fn name_pattern(&self, name: &str) -> Option<regex::Regex> {
        let m = self.matcher.as_ref()?;
        if !m.is_match(name) {
            return None;
        }
        let mut pattern = String::from("^");
        let mut at = 0;
        for found in m.find_iter(name) {
            pattern.push_str(&regex::escape(&name[at..found.start()]));
            pattern.push_str(".*");
            at = found.end();
        }
        pattern.push_str(&regex::escape(&name[at..]));
        pattern.push('$');
        regex::Regex::new(&pattern).ok()
    }
}

fn replace_in_tree(el: &mut Element, var: &str, idx: &str) {
    for (_, v) in el.attrs.iter_mut() {
        if v.contains(var) {
            *v = v.replace(var, idx);
        }
    }
    for child in el.children.iter_mut() {
        if let Node::Element(c) = child {
            replace_in_tree(c, var, idx);
        }
    }
}

/// How many tags Repeater expansion may create for one task: far beyond any real layout,
/// and small enough that a hostile array length or nested Repeaters cannot exhaust memory.
pub const MAX_EXPANDED_TAGS: usize = 100_000;

fn expand_repeaters(
    el: &mut Element,
    data: &serde_json::Value,
    depth: usize,
    budget: &mut usize,
) -> Result<(), ConfigError> {
    if depth > xml::MAX_DEPTH {
        return Ok(());
    }
    let children = std::mem::take(&mut el.children);
    for child in children {
        match child {
            Node::Element(c) if c.tag == "Repeater" => {
                let var = c.attr("indexFlag").unwrap_or("{{idx}}").to_string();
                let on = c.attr("on").unwrap_or_default();
                let count = match crate::util::deep_get(data, on.trim_start_matches('$')) {
                    Some(serde_json::Value::Array(items)) => items.len(),
                    _ => 0,
                };
                // Per array element: a View in the Repeater's place and copies of its children.
                let per_copy = c.subtree().len();
                let needed = per_copy.saturating_mul(count);
                if needed > *budget {
                    return Err(ConfigError::new(
                        format!(
                            "<Repeater on={on:?}> would expand to more than {MAX_EXPANDED_TAGS} tags ({count} item(s) of {per_copy} tag(s), with the Repeaters around it)"
                        ),
                        Some(c.pos),
                    ));
                }
                *budget -= needed;
                for i in 0..count {
                    let mut view = Element::new("View");
                    view.pos = c.pos;
                    view.children = c.children.clone();
                    replace_in_tree(&mut view, &var, &i.to_string());
                    expand_repeaters(&mut view, data, depth + 1, budget)?;
                    el.children.push(Node::Element(view));
                }
            }
            Node::Element(mut c) => {
                expand_repeaters(&mut c, data, depth + 1, budget)?;
                el.children.push(Node::Element(c));
            }
            other => el.children.push(other),
        }
    }
    Ok(())
}

/// The example task of a trailing `<!-- {...} -->` comment (Label Studio's preview task).
fn sample_task(comments: &[String]) -> Option<serde_json::Value> {
    for c in comments.iter().rev() {
        let t = c.trim();
        if !t.starts_with('{') {
            continue;
        }
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(t) {
            if map.contains_key("annotations") || map.contains_key("predictions") {
                return Some(serde_json::Value::Object(map));
            }
            return Some(
                serde_json::json!({ "data": map.get("data").cloned().unwrap_or(serde_json::Value::Object(map)) }),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_labels_come_from_the_nameless_relations_tag() {
        let c = LabelConfig::parse(
            r#"<View><Relations><Relation value="a"/><Relation value="b" alias="B"/>
            <Relation value="a"/></Relations><Text name="t" value="$t"/>
            <Labels name="l" toName="t"><Label value="X"/></Labels></View>"#,
        )
        .unwrap();
        assert_eq!(c.relation_labels(), vec!["a", "B"]);
        let none = LabelConfig::parse(
            r#"<View><Text name="t" value="$t"/><Labels name="l" toName="t"><Label value="X"/></Labels></View>"#,
        )
        .unwrap();
        assert!(none.relation_labels().is_empty());
    }

    const NER: &str = r##"<View>
  <Labels name="label" toName="text">
    <Label value="PER" background="red"/>
    <Label value="ORG" alias="Organisation" hotkey="o"/>
    <Label value="LOC" category="7"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>"##;

    #[test]
    fn classifies_objects_controls_and_labels() {
        let c = LabelConfig::parse(NER).unwrap();
        assert_eq!(c.objects.len(), 1);
        assert_eq!(c.objects[0].name, "text");
        assert_eq!(c.controls.len(), 1);
        let ctl = &c.controls[0];
        assert_eq!(ctl.kind, ControlKind::Labels);
        assert_eq!(ctl.to_name, vec!["text"]);
        let keys: Vec<_> = ctl.labels.iter().map(|l| l.key.as_str()).collect();
        assert_eq!(keys, vec!["PER", "Organisation", "LOC"]);
        assert_eq!(ctl.labels[0].background.as_deref(), Some("red"));
        assert_eq!(ctl.labels[2].category, Some(7));
        assert_eq!(ctl.labels[1].hotkey.as_deref(), Some("o"));
        assert_eq!(ctl.labels[0].hotkey.as_deref(), Some("1"));
        assert_eq!(ctl.labels[2].hotkey.as_deref(), Some("2"));
        assert_eq!(c.data_keys[0].key, "text");
        assert_eq!(ctl.result_type(), "labels");
    }

    #[test]
    fn nested_taxonomy_is_flattened_with_paths() {
        let c = LabelConfig::parse(
            r#"<View><Text name="t" value="$t"/><Taxonomy name="tx" toName="t">
            <Choice value="Animals"><Choice value="Cat"/><View><Choice value="Dog"/></View></Choice>
            <Choice value="Plants"/></Taxonomy></View>"#,
        )
        .unwrap();
        let tx = c.control("tx").unwrap();
        let paths: Vec<_> = tx.labels.iter().map(|l| l.path.join("/")).collect();
        assert_eq!(
            paths,
            vec!["Animals", "Animals/Cat", "Animals/Dog", "Plants"]
        );
    }

    #[test]
    fn dynamic_choices_are_controls_and_data_keys() {
        let c = LabelConfig::parse(
            r#"<View><Text name="t" value="$text"/><Choices name="c" toName="t" value="$options"/></View>"#,
        )
        .unwrap();
        assert_eq!(c.controls[0].dynamic_labels.as_deref(), Some("options"));
        let keys: Vec<_> = c.data_keys.iter().map(|k| k.key.as_str()).collect();
        assert_eq!(keys, vec!["text", "options"]);
    }

    #[test]
    fn repeater_expands_per_task() {
        let c = LabelConfig::parse(
            r#"<View><Repeater on="$images" indexFlag="{{idx}}">
              <Image name="page_{{idx}}" value="$images[{{idx}}].url"/>
              <Choices name="c_{{idx}}" toName="page_{{idx}}"><Choice value="ok"/></Choices>
            </Repeater></View>"#,
        )
        .unwrap();
        assert!(c.control("c_3").is_some(), "pattern matches expanded names");
        let data = serde_json::json!({"images": [{"url": "a"}, {"url": "b"}]});
        let e = c.expand_for_task(&data);
        let names: Vec<_> = e.controls.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["c_0", "c_1"]);
        assert_eq!(e.objects[1].value.as_deref(), Some("$images[1].url"));
        assert_eq!(e.controls[1].to_name, vec!["page_1"]);
    }

    #[test]
    fn repeater_expansion_is_capped_with_its_position() {
        let c = LabelConfig::parse(
            "<View>\n  <Repeater on=\"$items\"><Text name=\"t_{{idx}}\" value=\"$items[{{idx}}]\"/></Repeater></View>",
        )
        .unwrap();
        let small = serde_json::json!({"items": vec!["a"; 3]});
        assert_eq!(c.try_expand_for_task(&small).unwrap().objects.len(), 3);
        let huge = serde_json::json!({"items": vec![0; MAX_EXPANDED_TAGS]});
        let e = c.try_expand_for_task(&huge).unwrap_err();
        assert_eq!(e.pos, Some(Pos { line: 2, column: 3 }), "{e}");
        assert!(e.message.contains("more than 100000 tags"), "{e}");
        let kept = c.expand_for_task(&huge);
        assert_eq!(kept.objects.len(), c.objects.len());
        assert!(kept.warnings.iter().any(|w| w.message.contains("Repeater")));
    }

    #[test]
    fn nested_repeaters_share_one_budget() {
        // 5 levels of 20 items each would make 20^5 = 3.2 million copies.
        let mut xml = String::from("<View>");
        for level in 0..5 {
            xml.push_str(&format!(
                "<Repeater on=\"$a\" indexFlag=\"{{{{i{level}}}}}\">"
            ));
        }
        xml.push_str("<Text name=\"t{{i0}}{{i1}}{{i2}}{{i3}}{{i4}}\" value=\"$x\"/>");
        xml.push_str(&"</Repeater>".repeat(5));
        xml.push_str("</View>");
        let c = LabelConfig::parse(&xml).unwrap();
        let data = serde_json::json!({"a": vec![0; 20], "x": "v"});
        let e = c.try_expand_for_task(&data).unwrap_err();
        assert!(e.message.contains("more than"), "{e}");
        assert!(e.pos.is_some());
    }

    /// Before parsing was made linear, 200,000 choices took minutes (every label was
    /// checked against every earlier one, every column counted from the line start);
    /// now well under a second. The generous limit keeps this from being a timing test.
    #[test]
    fn parsing_is_linear_in_the_number_of_choices() {
        let n = 200_000;
        let mut xml =
            String::from(r#"<View><Text name="t" value="$t"/><Choices name="c" toName="t">"#);
        for i in 0..n {
            xml.push_str(&format!(r#"<Choice value="c{i}"/>"#));
        }
        xml.push_str("</Choices></View>");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(LabelConfig::parse(&xml).map(|c| c.controls[0].labels.len()));
        });
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("200,000 choices parse within 30 s");
        assert_eq!(got.unwrap(), n);
    }

    #[test]
    fn controls_without_to_name_are_kept_apart() {
        let c = LabelConfig::parse(
            r#"<View><Text name="t" value="$t"/><Rating name="alone" maxRating="7"/>
            <Choices name="c" toName="t"><Choice value="a"/></Choices></View>"#,
        )
        .unwrap();
        let names: Vec<_> = c.controls.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["c"],
            "not a control, as for Label Studio's backend"
        );
        assert_eq!(c.unbound.len(), 1);
        assert_eq!(
            (c.unbound[0].name.as_str(), c.unbound[0].max_rating),
            ("alone", 7)
        );
        assert!(c.unbound[0].to_name.is_empty());
    }

    #[test]
    fn sample_task_comment() {
        let c = LabelConfig::parse(
            "<View><Text name='t' value='$text'/></View>\n<!-- {\"text\": \"hi\"} -->",
        )
        .unwrap();
        assert_eq!(c.sample_task.unwrap()["data"]["text"], "hi");
    }
}
