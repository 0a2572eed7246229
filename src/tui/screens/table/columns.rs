//! The columns of the table: every field a task has (its fixed fields and each flattened
//! `data.*` key), which are shown, in which order and how wide. The id column is frozen at
//! the left; the others scroll sideways when they do not fit.

use super::spec::ColumnSpec;
use crate::term_safe::display_width;

/// The fixed fields of a task, in their default order.
pub const FIXED: [&str; 10] = [
    "id",
    "status",
    "annotators",
    "annotations",
    "cancelled",
    "predictions",
    "score",
    "model",
    "agreement",
    "review",
];

pub const MIN_WIDTH: u16 = 3;
pub const MAX_WIDTH: u16 = 200;

/// The default width of a field's column.
pub fn default_width(field: &str) -> u16 {
    match field {
        "id" => 8,
        "status" => 11,
        "annotators" => 16,
        "annotations" | "cancelled" | "predictions" => 5,
        "score" | "agreement" => 6,
        "model" => 12,
        "review" => 9,
        _ => 24,
    }
}

/// The column heading: a short name for the fixed fields, the key path for data.
pub fn heading(field: &str) -> &str {
    match field {
        "annotations" => "ann",
        "cancelled" => "skip",
        "predictions" => "pred",
        "agreement" => "agree",
        f => f.strip_prefix("data.").unwrap_or(f),
    }
}

/// Numbers are right-aligned.
pub fn numeric(field: &str) -> bool {
    matches!(
        field,
        "id" | "annotations" | "cancelled" | "predictions" | "score" | "agreement"
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub field: String,
    pub width: u16,
    pub shown: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// Every known field, in display order; `id` is always first and shown.
    pub all: Vec<Column>,
}

impl Default for Columns {
    fn default() -> Self {
        Columns::new(&[])
    }
}

impl Columns {
    /// The fixed fields and these data keys (`data.…`), all shown.
    pub fn new(data_keys: &[String]) -> Columns {
        let all = FIXED
            .iter()
            .map(|f| f.to_string())
            .chain(data_keys.iter().cloned())
            .map(|field| Column {
                width: default_width(&field),
                field,
                shown: true,
            })
            .collect();
        Columns { all }
    }

    /// Adds the data keys not known yet (shown, at the end): the store tells them after
    /// the table opens.
    pub fn learn(&mut self, data_keys: &[String]) {
        for k in data_keys {
            if !self.all.iter().any(|c| &c.field == k) {
                self.all.push(Column {
                    field: k.clone(),
                    width: default_width(k),
                    shown: true,
                });
            }
        }
    }

    /// The shown columns, in order (the id first).
    pub fn shown(&self) -> Vec<&Column> {
        self.all.iter().filter(|c| c.shown).collect()
    }

    pub fn shown_fields(&self) -> Vec<String> {
        self.shown().iter().map(|c| c.field.clone()).collect()
    }

    /// The columns of a saved view: its columns in its order with its widths, the others
    /// known hidden after them. A field the project lacks is kept (it shows empty).
    pub fn apply(&mut self, spec: &[ColumnSpec]) {
        if spec.is_empty() {
            return;
        }
        let mut out: Vec<Column> = Vec::new();
        let id = self
            .all
            .iter()
            .find(|c| c.field == "id")
            .cloned()
            .unwrap_or(Column {
                field: "id".into(),
                width: default_width("id"),
                shown: true,
            });
        let id_width = spec
            .iter()
            .find(|c| c.field == "id")
            .map_or(id.width, |c| c.width);
        out.push(Column {
            width: id_width.clamp(MIN_WIDTH, MAX_WIDTH),
            shown: true,
            ..id
        });
        for c in spec.iter().filter(|c| c.field != "id") {
            if !out.iter().any(|o| o.field == c.field) {
                out.push(Column {
                    field: c.field.clone(),
                    width: c.width.clamp(MIN_WIDTH, MAX_WIDTH),
                    shown: true,
                });
            }
        }
        for c in &self.all {
            if !out.iter().any(|o| o.field == c.field) {
                out.push(Column {
                    shown: false,
                    ..c.clone()
                });
            }
        }
        self.all = out;
    }

    /// The shown columns as a view keeps them.
    pub fn spec(&self) -> Vec<ColumnSpec> {
        self.shown()
            .iter()
            .map(|c| ColumnSpec {
                field: c.field.clone(),
                width: c.width,
            })
            .collect()
    }

    /// Shows or hides column `i` of `all` (the id stays).
    pub fn toggle(&mut self, i: usize) {
        if let Some(c) = self.all.get_mut(i)
            && c.field != "id"
        {
            c.shown = !c.shown;
        }
    }

    /// Moves column `i` of `all` one place (`-1` left, `1` right); the id stays first.
    /// Returns its new index.
    pub fn shift(&mut self, i: usize, by: isize) -> usize {
        let j = i as isize + by;
        if i == 0 || j < 1 || j as usize >= self.all.len() || i >= self.all.len() {
            return i;
        }
        self.all.swap(i, j as usize);
        j as usize
    }

    /// Widens or narrows the shown column `shown_index` by `by` cells.
    pub fn resize(&mut self, shown_index: usize, by: i32) {
        let field = match self.shown().get(shown_index) {
            Some(c) => c.field.clone(),
            None => return,
        };
        if let Some(c) = self.all.iter_mut().find(|c| c.field == field) {
            c.width = (c.width as i32 + by).clamp(MIN_WIDTH as i32, MAX_WIDTH as i32) as u16;
        }
    }
}

/// Which shown columns a row of `width` cells draws: the frozen id (index 0), then the
/// others from `first` on while they fit (the last one may be cut). Indexes into the
/// shown columns, each with the width it gets; one cell separates columns.
pub fn visible(widths: &[u16], first: usize, width: u16) -> Vec<(usize, u16)> {
    let mut out = Vec::new();
    let mut left = width as i32;
    let mut take = |i: usize, w: u16, left: &mut i32| -> bool {
        if *left <= 0 {
            return false;
        }
        let got = (w as i32).min(*left);
        out.push((i, got as u16));
        *left -= got + 1;
        true
    };
    if let Some(w) = widths.first() {
        take(0, *w, &mut left);
    }
    for (i, w) in widths.iter().enumerate().skip(first.max(1)) {
        if !take(i, *w, &mut left) {
            break;
        }
    }
    out
}

/// The first scrolling column that keeps `focus` (a shown index) wholly in view, starting
/// from the current `first`.
pub fn scroll_to(widths: &[u16], first: usize, focus: usize, width: u16) -> usize {
    let first = first.max(1);
    if focus == 0 {
        return first;
    }
    if focus < first {
        return focus;
    }
    let mut first = first;
    while first < focus {
        let fits = visible(widths, first, width)
            .iter()
            .any(|(i, w)| *i == focus && *w == widths[focus].min(width));
        if fits {
            break;
        }
        first += 1;
    }
    first
}

/// `text` padded or cut to exactly `width` columns (wide characters counted as two), to
/// the right for numbers; made safe to draw.
pub fn fit_cell(text: &str, width: u16, right: bool) -> String {
    let width = width as usize;
    let clipped = crate::tui::widgets::clip(text, width);
    let pad = width.saturating_sub(display_width(&clipped));
    if right {
        format!("{}{}", " ".repeat(pad), clipped)
    } else {
        format!("{}{}", clipped, " ".repeat(pad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_stays_frozen_and_the_rest_scroll_to_keep_the_focus_in_view() {
        let widths = [8, 10, 10, 10, 10];
        // 8 + 1 + 10 + 1 + 10 + 1 = 31: the third column gets the 4 cells left.
        assert_eq!(
            visible(&widths, 1, 35),
            vec![(0, 8), (1, 10), (2, 10), (3, 4)]
        );
        assert_eq!(visible(&widths, 3, 35), vec![(0, 8), (3, 10), (4, 10)]);
        assert_eq!(scroll_to(&widths, 1, 3, 35), 2);
        assert_eq!(scroll_to(&widths, 3, 1, 35), 1);
        assert_eq!(scroll_to(&widths, 2, 0, 35), 2, "the id is always in view");
        // A column wider than the screen is shown from its start.
        assert_eq!(scroll_to(&[8, 200], 1, 1, 40), 1);
    }

    #[test]
    fn cells_fit_their_width_with_wide_text_and_escapes() {
        assert_eq!(fit_cell("abc", 5, false), "abc  ");
        assert_eq!(fit_cell("12", 5, true), "   12");
        assert_eq!(fit_cell("名前名前", 5, false), "名前…");
        assert_eq!(display_width(&fit_cell("名前名前", 6, false)), 6);
        assert!(!fit_cell("a\u{1b}[2Jb", 8, false).contains('\u{1b}'));
    }

    #[test]
    fn a_saved_view_orders_sizes_and_hides_columns() {
        let mut c = Columns::new(&["data.text".into(), "data.meta.source".into()]);
        c.apply(&[
            ColumnSpec {
                field: "data.meta.source".into(),
                width: 9,
            },
            ColumnSpec {
                field: "score".into(),
                width: 1,
            },
        ]);
        assert_eq!(c.shown_fields(), vec!["id", "data.meta.source", "score"]);
        assert_eq!(c.shown()[2].width, MIN_WIDTH);
        assert_eq!(c.all.len(), 12);
        c.toggle(0);
        assert_eq!(c.shown()[0].field, "id", "the id cannot be hidden");
        assert_eq!(c.shift(1, -1), 1, "nothing goes before the id");
        assert_eq!(c.shift(1, 1), 2);
        assert_eq!(c.shown_fields(), vec!["id", "score", "data.meta.source"]);
        c.resize(1, 4);
        assert_eq!(c.shown()[1].width, MIN_WIDTH + 4);
        c.learn(&["data.new".into(), "data.text".into()]);
        assert_eq!(c.all.len(), 13);
    }
}
