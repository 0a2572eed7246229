//! The taxonomy picker: a tree of labels to open, search and choose from.

use super::hints_of;
use crate::config::ControlTag;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::{Ctx, Keymap};
use crate::tui::result as res;
use crate::tui::widgets::{block, centered};
use crate::util::sanitize;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use serde_json::Value;
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    pub control: String,
    pub cursor: usize,
    pub expanded: HashSet<String>,
    pub query: String,
    pub searching: bool,
}

/// What the picker asks of the screen under it.
#[derive(Debug, Clone, PartialEq)]
pub enum PickerReply {
    Keep,
    Close,
    /// Toggle label `label` of the control (`has_children`: it is not a leaf).
    Choose {
        label: usize,
        has_children: bool,
    },
}

impl Picker {
    pub fn new(control: String) -> Picker {
        Picker {
            control,
            cursor: 0,
            expanded: HashSet::new(),
            query: String::new(),
            searching: false,
        }
    }

    /// The rows shown: (path key, depth, label index, has children).
    pub fn rows(&self, c: &ControlTag) -> Vec<(String, usize, usize, bool)> {
        let p = self;
        let q = p.query.to_lowercase();
        // Paths that have children, gathered once: a tree can have any number of labels.
        let parents: HashSet<&[String]> = c
            .labels
            .iter()
            .filter(|l| !l.path.is_empty())
            .map(|l| &l.path[..l.path.len() - 1])
            .collect();
        let mut out = Vec::new();
        for (i, l) in c.labels.iter().enumerate() {
            let key = l.path.join("/");
            let has_children = parents.contains(l.path.as_slice());
            if !q.is_empty() {
                if key.to_lowercase().contains(&q) {
                    out.push((key, 0, i, has_children));
                }
                continue;
            }
            let visible = (1..l.path.len()).all(|d| p.expanded.contains(&l.path[..d].join("/")));
            if visible {
                out.push((key, l.path.len() - 1, i, has_children));
            }
        }
        out
    }

    pub fn update(&mut self, a: Action, c: &ControlTag) -> PickerReply {
        let rows = self.rows(c);
        let p = self;
        match a {
            Action::Up => p.cursor = p.cursor.saturating_sub(1),
            Action::Down => p.cursor = (p.cursor + 1).min(rows.len().saturating_sub(1)),
            Action::Right => {
                if let Some((k, _, _, true)) = rows.get(p.cursor) {
                    p.expanded.insert(k.clone());
                }
            }
            Action::Left => {
                // Collapse, or go to the parent.
                if let Some((k, _, _, _)) = rows.get(p.cursor)
                    && !p.expanded.remove(k)
                    && let Some((parent, _)) = k.rsplit_once('/')
                {
                    p.expanded.remove(parent);
                    p.cursor = p
                        .rows(c)
                        .iter()
                        .position(|(r, _, _, _)| r == parent)
                        .unwrap_or(0);
                }
            }
            Action::Search => {
                p.searching = true;
                p.query.clear();
                p.cursor = 0;
            }
            Action::Toggle | Action::Activate => {
                if let Some((_, _, label, has_children)) = rows.get(p.cursor).cloned() {
                    return PickerReply::Choose {
                        label,
                        has_children,
                    };
                }
            }
            Action::Cancel => return PickerReply::Close,
            _ => {}
        }
        PickerReply::Keep
    }

    /// A key while the search line is open.
    pub fn search_key(&mut self, ev: KeyEvent) {
        let p = self;
        match ev.code {
            KeyCode::Esc => {
                p.query.clear();
                p.searching = false;
            }
            KeyCode::Enter => p.searching = false,
            KeyCode::Backspace => {
                p.query.pop();
            }
            KeyCode::Char(c) if !ev.modifiers.contains(KeyModifiers::CONTROL) => p.query.push(c),
            _ => {}
        }
        p.cursor = 0;
    }

    pub fn hints(&self, km: &Keymap) -> Vec<(String, String)> {
        hints_of(
            km,
            Ctx::Picker,
            &[
                (Action::Toggle, "select"),
                (Action::Search, "search"),
                (Action::Cancel, "close"),
            ],
        )
    }

    pub fn view(&self, f: &mut Frame, app: &App, area: Rect) {
        let p = self;
        let th = &app.theme;
        let Some(t) = &app.annotate.task else { return };
        let Some(c) = t.config.control(&p.control) else {
            return;
        };
        let r = centered(area, 60, area.height.saturating_sub(4).max(8));
        f.render_widget(Clear, r);
        let current = res::current_list(
            t.draft.result(),
            c,
            if c.per_region {
                t.selected.as_deref()
            } else {
                None
            },
        );
        let rows = p.rows(c);
        let mut lines = vec![Line::from(Span::styled(
            if p.searching || !p.query.is_empty() {
                format!(
                    "/{}{}",
                    sanitize(&p.query, false),
                    if p.searching { "▏" } else { "" }
                )
            } else {
                crate::tui::strings::picker_hint(&app.keymap)
            },
            th.dim(),
        ))];
        let h = r.height.saturating_sub(3) as usize;
        let start = p.cursor.saturating_sub(h.saturating_sub(1));
        for (i, (key, depth, li, kids)) in rows.iter().enumerate().skip(start).take(h) {
            let path: Vec<Value> = c.labels[*li]
                .path
                .iter()
                .map(|s| Value::String(s.clone()))
                .collect();
            let on = current.iter().any(|v| *v == Value::Array(path.clone()));
            let arrow = if *kids {
                if p.expanded.contains(key) {
                    "▾ "
                } else {
                    "▸ "
                }
            } else {
                "  "
            };
            let name = if p.query.is_empty() {
                c.labels[*li].value.clone()
            } else {
                key.clone()
            };
            let st = if i == p.cursor {
                th.cursor()
            } else if on {
                th.ok()
            } else {
                th.base()
            };
            lines.push(Line::from(Span::styled(
                format!(
                    "{}{}{} {}",
                    "  ".repeat(*depth),
                    arrow,
                    if on { "[x]" } else { "[ ]" },
                    sanitize(&name, false)
                ),
                st,
            )));
        }
        f.render_widget(
            Paragraph::new(lines).block(block(
                th,
                format!(" {} (Taxonomy) ", sanitize(&c.name, false)),
                true,
            )),
            r,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LabelConfig;

    fn taxonomy() -> ControlTag {
        let cfg = LabelConfig::parse(
            r#"<View><Text name="t" value="$t"/><Taxonomy name="tx" toName="t">
              <Choice value="Animal"><Choice value="Cat"/><Choice value="Dog"/></Choice>
              <Choice value="Plant"/></Taxonomy></View>"#,
        )
        .unwrap();
        cfg.control("tx").unwrap().clone()
    }

    #[test]
    fn opens_searches_and_chooses() {
        let c = taxonomy();
        let mut p = Picker::new("tx".into());
        assert_eq!(p.rows(&c).len(), 2, "children start closed");
        assert_eq!(p.update(Action::Right, &c), PickerReply::Keep);
        assert_eq!(p.rows(&c).len(), 4);
        p.update(Action::Down, &c);
        let PickerReply::Choose {
            label,
            has_children,
        } = p.update(Action::Toggle, &c)
        else {
            panic!("a choice");
        };
        assert_eq!(c.labels[label].value, "Cat");
        assert!(!has_children);
        p.update(Action::Search, &c);
        for ch in "pla".chars() {
            p.search_key(KeyEvent::new(KeyCode::Char(ch), KeyModifiers::NONE));
        }
        let rows = p.rows(&c);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, "Plant");
        assert_eq!(p.update(Action::Cancel, &c), PickerReply::Close);
    }
}
