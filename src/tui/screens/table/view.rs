//! Drawing the table: a pure function of its state. Only the rows on screen are drawn;
//! the id column stays at the left while the others scroll sideways.

use super::columns::{fit_cell, heading, numeric, visible};
use super::{PromptKind, Table};
use crate::term_safe::tui_safe;
use crate::tui::strings;
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, clip};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Columns before the first cell: the mark.
const GUTTER: u16 = 2;

impl Table {
    /// The title: how many tasks, the sort, the filters, the marks.
    pub fn title(&self) -> String {
        let mut parts = vec![strings::TABLE_TITLE.to_string()];
        parts.push(match self.count {
            Some(n) => strings::table_count(n),
            None => strings::TABLE_COUNTING.to_string(),
        });
        if let Some(s) = &self.query.sort {
            parts.push(format!(
                "sort {} {}",
                tui_safe(&s.field, false),
                if s.desc { "↓" } else { "↑" }
            ));
        }
        if !self.query.filters.is_empty() {
            let joined: Vec<String> = self
                .query
                .filters
                .iter()
                .map(|f| {
                    tui_safe(&format!("{} {} {}", f.field, f.op.sign(), f.value), false)
                        .into_owned()
                })
                .collect();
            parts.push(joined.join(&format!(" {} ", self.query.conjunction.name())));
        }
        if !self.marks.is_empty() {
            parts.push(strings::table_marked(self.marks.len()));
        }
        format!(" {} ", parts.join(" · "))
    }

    /// Draws the table; returns the rows and width of its body.
    pub fn view(&self, f: &mut Frame, theme: &Theme, area: Rect) -> Option<(usize, u16)> {
        let th = theme;
        let b = block(
            th,
            clip(&self.title(), area.width.saturating_sub(2) as usize),
            true,
        );
        let inner = b.inner(area);
        f.render_widget(b, area);
        if inner.height < 2 || inner.width <= GUTTER {
            return None;
        }
        let body_w = inner.width - GUTTER;
        let shown = self.columns.shown();
        let widths: Vec<u16> = shown.iter().map(|c| c.width).collect();
        let cols = visible(&widths, self.first_col, body_w);
        let prompt_line = self.prompt.is_some() as u16;
        let h = (inner.height - 1 - prompt_line) as usize;
        // The heading, with the sort marked and the focused column standing out.
        let mut head: Vec<Span> = vec![Span::raw(" ".repeat(GUTTER as usize))];
        for (n, (i, w)) in cols.iter().enumerate() {
            let field = &shown[*i].field;
            let mut name = heading(field).to_string();
            if let Some(s) = self.query.sort.as_ref().filter(|s| &s.field == field) {
                name.push(if s.desc { '↓' } else { '↑' });
            }
            let mut st = th.accent().add_modifier(Modifier::BOLD);
            if *i == self.col {
                st = st.add_modifier(Modifier::REVERSED);
            }
            if n > 0 {
                head.push(Span::raw(" "));
            }
            head.push(Span::styled(fit_cell(&name, *w, numeric(field)), st));
        }
        let mut lines = vec![Line::from(head)];
        if self.count == Some(0) {
            lines.push(Line::from(Span::styled(strings::TABLE_EMPTY, th.dim())));
        }
        let end = self.count.map_or(self.top + h, |c| c.min(self.top + h));
        for pos in self.top..end {
            let row = self.row_at(pos);
            let marked = row.is_some_and(|r| self.marks.contains(&r.id));
            let st = if pos == self.cursor {
                th.cursor()
            } else if marked {
                th.accent()
            } else {
                th.base()
            };
            let mut spans = vec![Span::styled(if marked { "● " } else { "  " }, st)];
            for (n, (i, w)) in cols.iter().enumerate() {
                let field = &shown[*i].field;
                let text = match row {
                    Some(r) if field == "id" => r.id.to_string(),
                    Some(r) => r.cell(field).to_string(),
                    None if n == 0 => "…".to_string(),
                    None => String::new(),
                };
                if n > 0 {
                    spans.push(Span::styled(" ", st));
                }
                let cell_st = if pos == self.cursor && *i == self.col {
                    st.add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
                } else if row.is_none() {
                    th.dim()
                } else {
                    st
                };
                spans.push(Span::styled(fit_cell(&text, *w, numeric(field)), cell_st));
            }
            lines.push(Line::from(spans));
        }
        let body = Rect {
            height: inner.height - prompt_line,
            ..inner
        };
        f.render_widget(Paragraph::new(lines), body);
        if let Some(p) = &self.prompt {
            let lead = match p.kind {
                PromptKind::Search => "/",
                PromptKind::Jump => strings::TABLE_JUMP_PROMPT,
            };
            let text = tui_safe(&p.text, false);
            let line = Line::from(vec![
                Span::styled(lead, th.accent()),
                Span::styled(text.into_owned(), th.base()),
                Span::styled(" ", th.cursor()),
            ]);
            let r = Rect {
                y: inner.y + inner.height - 1,
                height: 1,
                ..inner
            };
            f.render_widget(Paragraph::new(line), r);
        }
        Some((h, body_w))
    }
}
