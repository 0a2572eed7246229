//! Relations between regions by keyboard: a key on a selected region starts one, Tab
//! selects the other region, the key again ends it. Relations are listed under the
//! regions; one is selected at a time, to turn its direction, label it with the values
//! of the `<Relations>` tag (Label Studio also allows relations with no such tag, then
//! without labels) or delete it. The result items are built in `annotate::relations`.

use crate::annotate::region::is_relation;
use crate::annotate::relations as rel;
use crate::tui::action::Action;
use crate::tui::app::{App, Effect};
use crate::tui::result as res;
use crate::tui::strings;
use serde_json::{Value, json};

/// A relation being made (from this region) and the selected relation (its place among
/// the relations of my result).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelState {
    pub from: Option<String>,
    pub selected: Option<usize>,
}

/// A short name for a region: its first label and what it is, else its id.
pub fn region_name(result: &[Value], id: &str) -> String {
    let found = result
        .iter()
        .filter(|r| !is_relation(r) && res::id_of(r) == Some(id))
        .max_by_key(|r| !res::labels_of(r).is_empty());
    // The id's start tells regions of one label apart and keeps the line short.
    let short: String = id.chars().take(4).collect();
    match found {
        Some(r) => {
            let labels = res::labels_of(r);
            match labels.first() {
                Some(l) => format!("{l}·{short}"),
                None => format!("{}·{short}", res::from_name(r)),
            }
        }
        None => format!("{short} (gone)"),
    }
}

/// One line for a relation: its ends, direction and labels.
pub fn describe(result: &[Value], r: &Value) -> String {
    let labels = rel::labels(r);
    let tail = if labels.is_empty() {
        String::new()
    } else {
        format!(" · {}", labels.join(", "))
    };
    format!(
        "{} {} {}{tail}",
        region_name(result, rel::from_id(r)),
        rel::arrow(rel::direction(r)),
        region_name(result, rel::to_id(r)),
    )
}

impl App {
    /// The selected relation's index in my result.
    fn selected_relation(&self) -> Option<usize> {
        let t = self.annotate.task.as_ref()?;
        let k = t.rel.selected?;
        rel::relation_indexes(t.draft.result()).get(k).copied()
    }

    /// Drops the relation selection when it points past the relations there are.
    pub(in crate::tui) fn relation_settle(&mut self) {
        if let Some(t) = &mut self.annotate.task {
            let n = rel::relation_indexes(t.draft.result()).len();
            if t.rel.selected.is_some_and(|k| k >= n) {
                t.rel.selected = None;
            }
            if let Some(from) = &t.rel.from
                && !t
                    .draft
                    .result()
                    .iter()
                    .any(|r| res::id_of(r) == Some(from.as_str()))
            {
                t.rel.from = None;
            }
        }
    }

    pub(in crate::tui) fn relation_action(&mut self, a: Action) -> Vec<Effect> {
        match a {
            Action::Relation => self.relation_key(),
            Action::NextRelation => {
                let t = self.annotate.task.as_mut().expect("task");
                let n = rel::relation_indexes(t.draft.result()).len();
                if n == 0 {
                    self.info("no relations");
                    return Vec::new();
                }
                let next = t.rel.selected.map_or(0, |k| (k + 1) % n);
                t.rel.selected = Some(next);
                let r = &t.draft.result()[rel::relation_indexes(t.draft.result())[next]];
                let line = describe(t.draft.result(), r);
                self.info(format!(
                    "relation {}/{n}: {line} · {}",
                    next + 1,
                    strings::relation_made(&self.keymap)
                ));
                Vec::new()
            }
            Action::RelationDirection => {
                let Some(i) = self.selected_relation() else {
                    return self.no_relation_selected();
                };
                self.edit(move |_, r| rel::cycle_direction(r, i))
            }
            Action::RelationLabel => {
                let Some(i) = self.selected_relation() else {
                    return self.no_relation_selected();
                };
                let t = self.annotate.task.as_ref().expect("task");
                let values = t.config.relation_labels();
                if values.is_empty() {
                    self.info("no <Relations> labels in this config: relations stay unlabelled");
                    return Vec::new();
                }
                let cur = rel::labels(&t.draft.result()[i]);
                // Through the values one by one, then none.
                let next = match cur.first().and_then(|c| values.iter().position(|v| v == c)) {
                    Some(p) if p + 1 < values.len() => Some(values[p + 1].clone()),
                    Some(_) => None,
                    None => values.first().cloned(),
                };
                self.edit(move |_, r| {
                    r[i]["labels"] = json!(next.into_iter().collect::<Vec<_>>());
                    true
                })
            }
            _ => Vec::new(),
        }
    }

    fn no_relation_selected(&mut self) -> Vec<Effect> {
        self.info(format!(
            "select a relation first ({})",
            strings::key(&self.keymap, Action::NextRelation)
        ));
        Vec::new()
    }

    /// Starts a relation at the selected region, or ends it at the selected one.
    fn relation_key(&mut self) -> Vec<Effect> {
        let t = self.annotate.task.as_mut().expect("task");
        let Some(sel) = t.selected.clone().filter(|s| {
            t.draft
                .result()
                .iter()
                .any(|r| res::id_of(r) == Some(s.as_str()) && res::is_region(&t.config, r))
        }) else {
            let tab = strings::key(&self.keymap, Action::NextRegion);
            self.info(format!(
                "select a region of yours first ({tab}), then a relation starts there"
            ));
            return Vec::new();
        };
        match t.rel.from.take() {
            None => {
                let name = region_name(t.draft.result(), &sel);
                t.rel.from = Some(sel);
                t.rel.selected = None;
                self.info(strings::relation_started(&name, &self.keymap));
                Vec::new()
            }
            Some(from) if from == sel => {
                self.info("relation dropped: select another region to relate to");
                Vec::new()
            }
            Some(from) => {
                let mut outcome = Err("");
                let e = self.edit(|_, r| {
                    outcome = rel::add(r, &from, &sel);
                    outcome.is_ok()
                });
                match outcome {
                    Ok(i) => {
                        let t = self.annotate.task.as_mut().expect("task");
                        t.rel.selected = rel::relation_indexes(t.draft.result())
                            .iter()
                            .position(|x| *x == i);
                        self.info(strings::relation_made(&self.keymap));
                    }
                    Err(why) if !why.is_empty() => self.info(why),
                    Err(_) => {}
                }
                e
            }
        }
    }

    /// Deletes the selected relation, when one is selected (Delete does that first).
    pub(in crate::tui) fn delete_selected_relation(&mut self) -> Option<Vec<Effect>> {
        let i = self.selected_relation()?;
        let e = self.edit(move |_, r| rel::remove(r, i));
        if let Some(t) = &mut self.annotate.task {
            t.rel.selected = None;
        }
        self.info("relation deleted");
        Some(e)
    }
}
