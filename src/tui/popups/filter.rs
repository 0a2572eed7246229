//! The filter editor of the data table: the filters in force (remove one, join them with
//! and / or) and a new one built from a field, an operator and a typed value.

use super::hints_of;
use crate::term_safe::tui_safe;
use crate::tui::action::Action;
use crate::tui::keymap::{Ctx, Keymap};
use crate::tui::screens::table::spec::{Conjunction, FilterSpec, Op};
use crate::tui::strings;
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, centered, clip};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

/// The part of the new filter being chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Part {
    #[default]
    Field,
    Op,
    Value,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FilterEditor {
    pub filters: Vec<FilterSpec>,
    pub join: Conjunction,
    /// The fields a filter can read.
    pub fields: Vec<String>,
    /// A filter of the list (`< filters.len()`), else the new one.
    pub cursor: usize,
    pub part: Part,
    pub field: usize,
    pub op: usize,
    pub value: String,
    /// Keys go to the value as text.
    pub typing: bool,
}

/// What the editor asks for after an action.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterReply {
    Keep,
    Close,
    /// The filters or their join changed: the table reads its rows again.
    Changed,
}

impl FilterEditor {
    pub fn new(
        filters: Vec<FilterSpec>,
        join: Conjunction,
        fields: Vec<String>,
        focused: &str,
    ) -> FilterEditor {
        let field = fields.iter().position(|f| f == focused).unwrap_or(0);
        FilterEditor {
            cursor: filters.len(),
            filters,
            join,
            fields,
            field,
            ..FilterEditor::default()
        }
    }

    fn on_new(&self) -> bool {
        self.cursor >= self.filters.len()
    }

    fn op_of(&self) -> Op {
        Op::ALL[self.op % Op::ALL.len()]
    }

    /// The filter being built, when it is complete.
    pub fn draft(&self) -> Option<FilterSpec> {
        let field = self.fields.get(self.field)?;
        let op = self.op_of();
        let value = match (op, self.value.trim()) {
            (Op::Empty, "") => "true",
            (_, "") => return None,
            (_, v) => v,
        };
        Some(FilterSpec::new(field, op, value))
    }

    pub fn update(&mut self, a: Action) -> FilterReply {
        let n = self.filters.len();
        let cycle = |i: usize, len: usize, by: isize| -> usize {
            if len == 0 {
                return 0;
            }
            (i as isize + by).rem_euclid(len as isize) as usize
        };
        match a {
            Action::Down => self.cursor = (self.cursor + 1).min(n),
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::FocusNext if self.on_new() => {
                self.part = match self.part {
                    Part::Field => Part::Op,
                    Part::Op => Part::Value,
                    Part::Value => Part::Field,
                }
            }
            Action::FocusPrev if self.on_new() => {
                self.part = match self.part {
                    Part::Field => Part::Value,
                    Part::Op => Part::Field,
                    Part::Value => Part::Op,
                }
            }
            Action::Left | Action::Right if self.on_new() => {
                let by = if a == Action::Right { 1 } else { -1 };
                match self.part {
                    Part::Field => self.field = cycle(self.field, self.fields.len(), by),
                    Part::Op => self.op = cycle(self.op, Op::ALL.len(), by),
                    Part::Value => self.typing = true,
                }
            }
            Action::Activate if self.on_new() => {
                if self.part != Part::Value && self.op_of() != Op::Empty {
                    self.part = Part::Value;
                    self.typing = true;
                } else {
                    return self.add();
                }
            }
            Action::Clear if !self.on_new() => {
                self.filters.remove(self.cursor);
                return FilterReply::Changed;
            }
            Action::ToggleJoin => {
                self.join = self.join.flip();
                return if n > 1 {
                    FilterReply::Changed
                } else {
                    FilterReply::Keep
                };
            }
            Action::Cancel => return FilterReply::Close,
            _ => {}
        }
        FilterReply::Keep
    }

    fn add(&mut self) -> FilterReply {
        match self.draft() {
            Some(f) => {
                self.filters.push(f);
                self.value.clear();
                self.typing = false;
                self.part = Part::Field;
                self.cursor = self.filters.len();
                FilterReply::Changed
            }
            None => {
                self.part = Part::Value;
                self.typing = true;
                FilterReply::Keep
            }
        }
    }

    /// A key while the value is typed: Enter adds the filter, Esc stops typing.
    pub fn text_key(&mut self, ev: KeyEvent) -> FilterReply {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match ev.code {
            KeyCode::Esc => self.typing = false,
            KeyCode::Enter => return self.add(),
            KeyCode::Backspace => {
                self.value.pop();
            }
            KeyCode::Char('u') if ctrl => self.value.clear(),
            KeyCode::Char(c) if !ctrl && !c.is_control() => self.value.push(c),
            _ => {}
        }
        FilterReply::Keep
    }

    pub fn hints(&self, km: &Keymap) -> Vec<(String, String)> {
        hints_of(
            km,
            Ctx::Filter,
            &[
                (Action::FocusNext, "field/op/value"),
                (Action::Right, "change"),
                (Action::Activate, "add"),
                (Action::Clear, "remove"),
                (Action::ToggleJoin, "and/or"),
                (Action::Cancel, "close"),
            ],
        )
    }

    pub fn view(&self, f: &mut Frame, theme: &Theme, km: &Keymap, area: Rect) {
        let th = theme;
        let h = (self.filters.len().min(1000) as u16 + 7).min(area.height.saturating_sub(2));
        let r = centered(area, area.width.saturating_sub(4).min(90), h);
        f.render_widget(Clear, r);
        let b = block(th, strings::filter_title(self.join.name()), true);
        let inner = b.inner(r);
        f.render_widget(b, r);
        let w = inner.width as usize;
        let mut lines: Vec<Line> = Vec::new();
        if self.filters.is_empty() {
            lines.push(Line::from(Span::styled(strings::NO_FILTERS, th.dim())));
        }
        let list_rows = (inner.height as usize).saturating_sub(4).max(1);
        let start = self
            .cursor
            .min(self.filters.len())
            .saturating_sub(list_rows - 1);
        for (i, flt) in self.filters.iter().enumerate().skip(start).take(list_rows) {
            let join = if i == 0 { "   " } else { self.join.name() };
            let text = format!("{join:>3} {} {} {}", flt.field, flt.op.sign(), flt.value);
            let st = if i == self.cursor {
                th.cursor()
            } else {
                th.base()
            };
            lines.push(Line::from(Span::styled(clip(&text, w), st)));
        }
        lines.push(Line::from(""));
        let part_st = |p: Part| {
            if self.on_new() && self.part == p {
                th.cursor()
            } else {
                th.accent()
            }
        };
        let field = self.fields.get(self.field).map_or("", String::as_str);
        let mut value = tui_safe(&self.value, false).into_owned();
        if self.typing {
            value.push('▏');
        }
        let op = self.op_of();
        lines.push(Line::from(vec![
            Span::styled(strings::NEW_FILTER, th.dim().add_modifier(Modifier::BOLD)),
            Span::styled(format!("◂ {} ▸", clip(field, w / 3)), part_st(Part::Field)),
            Span::raw(" "),
            Span::styled(format!("◂ {} ▸", op.name()), part_st(Part::Op)),
            Span::raw(" "),
            Span::styled(
                if value.is_empty() {
                    strings::filter_value_hint(op == Op::Empty)
                } else {
                    clip(&value, w / 3)
                },
                part_st(Part::Value),
            ),
        ]));
        lines.push(Line::from(Span::styled(
            clip(&strings::filter_keys(km), w),
            th.dim(),
        )));
        f.render_widget(Paragraph::new(lines), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ed() -> FilterEditor {
        FilterEditor::new(
            Vec::new(),
            Conjunction::And,
            vec!["id".into(), "status".into(), "score".into()],
            "status",
        )
    }

    fn typed(e: &mut FilterEditor, s: &str) {
        for c in s.chars() {
            e.text_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    #[test]
    fn builds_filters_from_field_operator_and_value_then_removes_one() {
        let mut e = ed();
        // Enter on the field goes to the value, typed; Enter adds.
        assert_eq!(e.update(Action::Activate), FilterReply::Keep);
        assert!(e.typing);
        typed(&mut e, "new");
        assert_eq!(
            e.text_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            FilterReply::Changed
        );
        assert_eq!(e.filters, vec![FilterSpec::new("status", Op::Equal, "new")]);
        // score >= 0.5: the field one right, the operator five right.
        e.update(Action::Right);
        e.update(Action::FocusNext);
        for _ in 0..5 {
            e.update(Action::Right);
        }
        e.update(Action::FocusNext);
        e.update(Action::Right);
        typed(&mut e, "0.5");
        e.text_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        assert_eq!(
            e.filters[1],
            FilterSpec::new("score", Op::GreaterOrEqual, "0.5")
        );
        assert_eq!(e.update(Action::ToggleJoin), FilterReply::Changed);
        assert_eq!(e.join, Conjunction::Or);
        e.update(Action::Up);
        e.update(Action::Up);
        assert_eq!(e.update(Action::Clear), FilterReply::Changed);
        assert_eq!(e.filters.len(), 1);
        assert_eq!(e.filters[0].field, "score");
        assert_eq!(e.update(Action::Cancel), FilterReply::Close);
    }
}
