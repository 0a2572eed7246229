//! Project statistics: counts, and per control how often each label or choice was used in
//! annotations and in predictions, the same per annotator and per model_version, and the
//! agreement figures.

use crate::config::LabelConfig;
use crate::error::Result;
use crate::review::agreement::{self, AgreementReport};
use crate::store::{Counts, Store};
use crate::term_safe::{display_width, fit, term_safe};
use indexmap::IndexMap;
use serde_json::{Value, json};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ControlStats {
    pub control_type: String,
    /// label → count, config order first, then labels found only in results.
    pub annotations: IndexMap<String, u64>,
    pub predictions: IndexMap<String, u64>,
}

/// What one annotator (or one model_version) labeled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OwnerStats {
    /// Submitted annotations (or predictions).
    pub results: u64,
    /// control → label → count, in order of first use.
    pub labels: IndexMap<String, IndexMap<String, u64>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub counts: Counts,
    pub controls: IndexMap<String, ControlStats>,
    /// Results whose from_name is not a control of the config.
    pub unknown_controls: IndexMap<String, u64>,
    /// Annotator's email (or name) → their labels; `(nobody)` for annotations without one.
    pub annotators: IndexMap<String, OwnerStats>,
    /// model_version → its predictions' labels.
    pub model_versions: IndexMap<String, OwnerStats>,
    pub agreement: AgreementReport,
}

fn tally(
    config: &LabelConfig,
    stats: &mut Stats,
    owner: Option<&str>,
    result: &str,
    predictions: bool,
) {
    let owners = if predictions {
        &mut stats.model_versions
    } else {
        &mut stats.annotators
    };
    let owner = owners
        .entry(owner.unwrap_or("(nobody)").to_string())
        .or_default();
    owner.results += 1;
    let Ok(Value::Array(regions)) = serde_json::from_str::<Value>(result) else {
        return;
    };
    for r in &regions {
        let Some(from) = r.get("from_name").and_then(Value::as_str) else {
            continue;
        };
        let name = config.control(from).map(|c| c.name.clone());
        let Some(name) = name else {
            *stats.unknown_controls.entry(from.to_string()).or_default() += 1;
            continue;
        };
        let labels = crate::task::region_labels(r);
        let per_owner = owner.labels.entry(name.clone()).or_default();
        for label in &labels {
            *per_owner.entry(label.clone()).or_default() += 1;
        }
        let entry = stats.controls.entry(name).or_default();
        let map = if predictions {
            &mut entry.predictions
        } else {
            &mut entry.annotations
        };
        for label in labels {
            *map.entry(label).or_default() += 1;
        }
    }
}

/// How many of the lowest-agreement tasks the report names.
pub const LOWEST_TASKS: usize = 10;

fn owners_json(owners: &IndexMap<String, OwnerStats>, count_key: &str) -> Value {
    let m: serde_json::Map<String, Value> = owners
        .iter()
        .map(|(name, o)| {
            (
                name.clone(),
                json!({ count_key: o.results, "labels": o.labels }),
            )
        })
        .collect();
    Value::Object(m)
}

fn owners_text(s: &mut String, title: &str, owners: &IndexMap<String, OwnerStats>, what: &str) {
    for (name, o) in owners {
        s.push_str(&format!(
            "\n{title} {}  {} {what}\n",
            term_safe(name),
            o.results
        ));
        for (control, labels) in &o.labels {
            let list: Vec<String> = labels
                .iter()
                .map(|(l, n)| format!("{} {n}", term_safe(l)))
                .collect();
            s.push_str(&format!("  {}: {}\n", term_safe(control), list.join(", ")));
        }
    }
}

pub fn compute(store: &Store, config: &LabelConfig) -> Result<Stats> {
    let mut stats = Stats {
        counts: store.counts()?,
        ..Default::default()
    };
    for c in &config.controls {
        let mut cs = ControlStats {
            control_type: c.result_type().to_string(),
            ..Default::default()
        };
        if c.value_key().is_some() && c.dynamic_labels.is_none() {
            for l in &c.labels {
                let key = if l.path.len() > 1 {
                    l.path.join("/")
                } else {
                    l.key.clone()
                };
                cs.annotations.insert(key.clone(), 0);
                cs.predictions.insert(key, 0);
            }
        }
        stats.controls.insert(c.name.clone(), cs);
    }
    store.each_result_by(false, |owner, r| tally(config, &mut stats, owner, r, false))?;
    store.each_result_by(true, |owner, r| tally(config, &mut stats, owner, r, true))?;
    stats.agreement = agreement::report(store, config, LOWEST_TASKS, |_| {})?;
    Ok(stats)
}

impl Stats {
    pub fn to_json(&self) -> Value {
        let c = &self.counts;
        let controls: serde_json::Map<String, Value> = self
            .controls
            .iter()
            .map(|(name, cs)| {
                (
                    name.clone(),
                    json!({
                        "type": cs.control_type,
                        "annotations": cs.annotations,
                        "predictions": cs.predictions,
                    }),
                )
            })
            .collect();
        json!({
            "tasks": c.tasks,
            "annotations": c.annotations,
            "predictions": c.predictions,
            "skipped": c.skipped,
            "labeled": c.labeled,
            "unlabeled": c.tasks - c.labeled,
            "drafts": c.drafts,
            "users": c.users,
            "controls": controls,
            "unknown_controls": self.unknown_controls,
            "annotators": owners_json(&self.annotators, "annotations"),
            "model_versions": owners_json(&self.model_versions, "predictions"),
            "agreement": self.agreement.to_json(),
        })
    }

    /// A plain-text report; names and labels from the config and the results are shown
    /// with [`term_safe`] escapes, and the columns are aligned on the columns shown.
    pub fn to_text(&self) -> String {
        let c = &self.counts;
        let mut s = format!(
            "tasks        {}\n  labeled    {}\n  unlabeled  {}\nannotations  {}\nskipped      {}\npredictions  {}\ndrafts       {}\n",
            c.tasks,
            c.labeled,
            c.tasks - c.labeled,
            c.annotations,
            c.skipped,
            c.predictions,
            c.drafts
        );
        for (name, cs) in &self.controls {
            if cs.annotations.is_empty() && cs.predictions.is_empty() {
                continue;
            }
            s.push_str(&format!(
                "\n{} ({})\n",
                term_safe(name),
                term_safe(&cs.control_type)
            ));
            let width = cs
                .annotations
                .keys()
                .chain(cs.predictions.keys())
                .map(|k| display_width(k))
                .max()
                .unwrap_or(5)
                .max(5);
            s.push_str(&format!(
                "  {:<width$}  {:>11}  {:>11}\n",
                "label", "annotations", "predictions"
            ));
            let mut keys: Vec<&String> = cs.annotations.keys().collect();
            for k in cs.predictions.keys() {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
            for k in keys {
                // Padded on columns shown, not chars: wide and emoji labels stay aligned.
                s.push_str(&format!(
                    "  {}  {:>11}  {:>11}\n",
                    fit(k, width),
                    cs.annotations.get(k).copied().unwrap_or(0),
                    cs.predictions.get(k).copied().unwrap_or(0)
                ));
            }
        }
        if !self.unknown_controls.is_empty() {
            s.push_str("\nresults for controls not in the config:\n");
            for (k, n) in &self.unknown_controls {
                s.push_str(&format!("  {}  {n}\n", term_safe(k)));
            }
        }
        owners_text(&mut s, "annotator", &self.annotators, "annotation(s)");
        owners_text(
            &mut s,
            "model_version",
            &self.model_versions,
            "prediction(s)",
        );
        // Agreement needs a task with two annotations, or predictions to compare.
        if self.agreement.overall.count > 0 || !self.agreement.predictions.is_empty() {
            s.push('\n');
            s.push_str(&self.agreement.to_text());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_columns_align_on_columns_shown() {
        let mut cs = ControlStats {
            control_type: "choices".to_string(),
            ..Default::default()
        };
        for (label, n) in [
            ("abc", 1),
            ("日本", 2),
            ("👩\u{200d}💻", 3),
            ("x\u{202e}", 4),
        ] {
            cs.annotations.insert(label.to_string(), n);
        }
        let mut stats = Stats::default();
        stats.controls.insert("c".to_string(), cs);
        let text = stats.to_text();
        let rows: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.trim_start().starts_with("label "))
            .collect();
        assert_eq!(rows.len(), 5, "{text}");
        let ends: Vec<usize> = rows.iter().map(|r| display_width(r)).collect();
        assert!(ends.iter().all(|e| *e == ends[0]), "{ends:?}\n{text}");
        assert!(text.contains("x\\u{202e}"), "{text}");
    }
}
