//! The annotate screen's Pairwise comparisons: the two objects side by side (one above
//! the other when the pane is narrow), the chosen one marked; a key or a click chooses a
//! side, and choosing it again clears the choice, as in Label Studio.

use super::view::{FLEX, Item, Rows, draw_object, focused_is, pane_rows};
use super::{Content, Focus};
use crate::annotate::ranking::{self, Side};
use crate::config::ControlTag;
use crate::tui::action::Action;
use crate::tui::app::{App, Effect};
use crate::tui::keymap::Ctx;
use crate::tui::msg::{Hit, HitTarget, TaskLayout};
use crate::tui::strings;
use crate::tui::widgets::clip;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// From this width on the two objects stand side by side.
pub const SIDE_BY_SIDE: u16 = 80;

/// The two objects of Pairwise `ci`, when its `toName` names two objects.
fn pair(app: &App, ci: usize) -> Option<[&crate::config::ObjectTag; 2]> {
    let t = app.annotate.task.as_ref()?;
    let (a, b) = ranking::pair_names(&t.config.controls.get(ci)?.to_name).ok()?;
    Some([t.config.object(a)?, t.config.object(b)?])
}

/// Rows the pair wants at `width`: its title line, a label line over each object, the
/// objects as their own panes want them.
pub(super) fn rows(app: &App, ci: usize, width: u16) -> Rows {
    let Some([l, r]) = pair(app, ci) else {
        return Rows { min: 3, max: 3 };
    };
    let add = |a: u16, b: u16| {
        if a == FLEX || b == FLEX {
            FLEX
        } else {
            a.saturating_add(b).min(FLEX - 1)
        }
    };
    if width >= SIDE_BY_SIDE {
        let half = width / 2;
        let (a, b) = (
            pane_rows(app, &Item::Object(l), half),
            pane_rows(app, &Item::Object(r), half),
        );
        Rows {
            min: 2 + a.min.max(b.min),
            max: add(2, a.max.max(b.max)),
        }
    } else {
        let (a, b) = (
            pane_rows(app, &Item::Object(l), width),
            pane_rows(app, &Item::Object(r), width),
        );
        Rows {
            min: 3 + a.min + b.min,
            max: add(3, add(a.max, b.max)),
        }
    }
}

/// The side chosen in the result shown.
fn chosen(app: &App, name: &str) -> Option<Side> {
    app.shown_result()
        .iter()
        .find(|r| crate::tui::result::from_name(r) == name)
        .and_then(|r| r.get("value"))
        .and_then(ranking::selected_side)
}

/// Draws Pairwise `ci` with its two objects.
pub(super) fn draw(f: &mut Frame, app: &App, ci: usize, area: Rect, lay: &mut TaskLayout) {
    let Some(t) = &app.annotate.task else { return };
    let Some(objects) = pair(app, ci) else { return };
    let th = &app.theme;
    let c = &t.config.controls[ci];
    let focused = focused_is(app, Focus::Control(ci));
    lay.hits.push(Hit {
        area,
        target: HitTarget::Focus(Focus::Control(ci)),
    });
    let picked = chosen(app, &c.name);
    // The title line names the Pairwise and what is chosen.
    let title = format!(
        " {} ({}) · chosen: {} ",
        c.name,
        c.tag,
        picked.map_or("none", Side::name)
    );
    let title_style = if focused {
        th.border(true).add_modifier(Modifier::BOLD)
    } else {
        th.accent()
    };
    f.render_widget(
        Paragraph::new(Line::from(Span::styled(
            clip(&title, usize::from(area.width)),
            title_style,
        ))),
        Rect { height: 1, ..area },
    );
    let area = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    let halves = if area.width >= SIDE_BY_SIDE {
        let w = area.width / 2;
        [
            Rect { width: w, ..area },
            Rect {
                x: area.x + w,
                width: area.width - w,
                ..area
            },
        ]
    } else {
        let h = area.height / 2;
        [
            Rect { height: h, ..area },
            Rect {
                y: area.y + h,
                height: area.height - h,
                ..area
            },
        ]
    };
    for (k, (side, rect)) in [Side::Left, Side::Right]
        .into_iter()
        .zip(halves)
        .enumerate()
    {
        if rect.height == 0 || rect.width == 0 {
            continue;
        }
        let o = objects[k];
        let action = if side == Side::Left {
            Action::PickLeft
        } else {
            Action::PickRight
        };
        let key = strings::key_in(&app.keymap, Ctx::Pairwise, action);
        let on = picked == Some(side);
        let arrow = if side == Side::Left { "◀" } else { "▶" };
        let mut label = format!(" {arrow} {} [{key}]", side.name());
        if on {
            label.push_str(&format!("  {}", strings::PAIR_CHOSEN));
        }
        let label = format!("{label} · {}", o.name);
        let style = if on {
            th.cursor().add_modifier(Modifier::BOLD)
        } else if focused {
            th.accent()
        } else {
            th.dim()
        };
        f.render_widget(
            Paragraph::new(Line::from(Span::styled(
                clip(&label, usize::from(rect.width)),
                style,
            ))),
            Rect { height: 1, ..rect },
        );
        let body = Rect {
            y: rect.y + 1,
            height: rect.height - 1,
            ..rect
        };
        if body.height > 0 {
            draw_object(f, app, o, body, lay);
        }
        lay.hits.push(Hit {
            area: rect,
            target: HitTarget::PairSide(ci, side),
        });
    }
}

impl App {
    /// Chooses a side of Pairwise `ci` (again: clears it) in my result.
    pub(in crate::tui) fn pairwise_pick(&mut self, ci: usize, side: Side) -> Vec<Effect> {
        let Some(t) = &self.annotate.task else {
            return Vec::new();
        };
        let name = t.config.controls[ci].name.clone();
        let now = t
            .draft
            .result()
            .iter()
            .find(|r| crate::tui::result::from_name(r) == name)
            .and_then(|r| r.get("value"))
            .and_then(ranking::selected_side);
        let next = ranking::pick(now, side).map(ranking::pairwise_value);
        // Label Studio names the Pairwise itself as the object of its result.
        self.edit(move |_, r| {
            ranking::set_result(r, &name, &name, "pairwise", next);
            true
        })
    }

    /// A key on the focused Pairwise: choose a side, or scroll both objects.
    pub(in crate::tui) fn pairwise_action(&mut self, ctrl: &ControlTag, a: Action) -> Vec<Effect> {
        let Some(ci) = self
            .annotate
            .task
            .as_ref()
            .and_then(|t| t.config.controls.iter().position(|c| c.name == ctrl.name))
        else {
            return Vec::new();
        };
        if pair(self, ci).is_none() {
            return Vec::new();
        }
        match a {
            Action::PickLeft => self.pairwise_pick(ci, Side::Left),
            Action::PickRight => self.pairwise_pick(ci, Side::Right),
            Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                self.pair_scroll(ci, a);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Scrolls the text of both objects: the (hidden) text cursor goes to the first line
    /// past the view, or the line above it, and the text pane follows it.
    fn pair_scroll(&mut self, ci: usize, a: Action) {
        let names: Vec<String> = match pair(self, ci) {
            Some(objects) => objects.iter().map(|o| o.name.clone()).collect(),
            None => return,
        };
        let step = self.annotate.take_count()
            * if matches!(a, Action::PageUp | Action::PageDown) {
                10
            } else {
                1
            };
        let Some(t) = &mut self.annotate.task else {
            return;
        };
        for name in names {
            let Some(Content::Doc(doc)) = t.contents.get(&name) else {
                continue;
            };
            let Some(geom) = t.layout.image_geom.get(&format!("text:{name}")) else {
                continue;
            };
            let lines = doc.layout(geom.cols);
            if lines.is_empty() {
                continue;
            }
            let rows = usize::from(geom.rows.max(1));
            let scroll = t.layout.scroll.get(&name).copied().unwrap_or(0);
            // Keys pressed before the next frame go on from where the last one left the
            // cursor.
            let cursor = t.text_cursor.get(&name).copied().unwrap_or(0);
            let cur_line = lines.iter().rposition(|(s, _)| *s <= cursor).unwrap_or(0);
            let line = if matches!(a, Action::Down | Action::PageDown) {
                ((scroll + rows - 1).max(cur_line) + step).min(lines.len() - 1)
            } else {
                scroll.min(cur_line).saturating_sub(step)
            };
            let at = lines[line].0.min(doc.len().saturating_sub(1));
            t.text_cursor.insert(name, at);
        }
    }
}
