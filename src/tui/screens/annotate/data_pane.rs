//! Task data drawn as data, for objects without a pane of their own: a string as its text,
//! a list as bullet rows, an object as `key: value` rows, and nested values indented under
//! the row that holds them. Only the rows the pane has are built, whatever the value's size.

use crate::config::ObjectTag;
use crate::task::resolve::as_text;
use crate::term_safe::tui_safe;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use serde_json::Value;

/// How many levels deep a value is indented before deeper ones are shown flat.
const MAX_INDENT: usize = 12;

pub(super) fn draw(
    f: &mut Frame,
    app: &App,
    _o: &ObjectTag,
    v: &Value,
    area: Rect,
    title: String,
    focused: bool,
) {
    let th = &app.theme;
    let rows = usize::from(area.height.saturating_sub(2));
    f.render_widget(
        Paragraph::new(data_lines(v, rows, th))
            .wrap(Wrap { trim: false })
            .block(block(th, title, focused)),
        area,
    );
}

/// A one-line summary of an object that reads as a message (`role: content`), if it is one.
fn message_line(m: &serde_json::Map<String, Value>) -> Option<String> {
    let head = m.get("role").or(m.get("title")).or(m.get("author"))?;
    let body = m.get("content").or(m.get("body")).or(m.get("text"))?;
    if !matches!(head, Value::String(_)) || !matches!(body, Value::String(_)) {
        return None;
    }
    Some(format!("{}: {}", as_text(head), as_text(body)))
}

/// The rows of `v`, at most `max` of them.
pub(super) fn data_lines(v: &Value, max: usize, th: &Theme) -> Vec<Line<'static>> {
    let mut out: Vec<Line<'static>> = Vec::new();
    // What is left to show, last first: (depth, label before the value, value).
    let mut todo: Vec<(usize, Option<String>, &Value)> = vec![(0, None, v)];
    while let Some((depth, label, v)) = todo.pop() {
        if out.len() >= max {
            break;
        }
        let indent = "  ".repeat(depth.min(MAX_INDENT));
        let head = |out: &mut Vec<Line<'static>>, text: &str| {
            let mut spans = vec![Span::raw(indent.clone())];
            if let Some(l) = &label {
                spans.push(Span::styled(l.clone(), th.accent()));
            }
            spans.push(Span::raw(tui_safe(text, false).into_owned()));
            out.push(Line::from(spans));
        };
        match v {
            Value::Array(items) => {
                if items.is_empty() {
                    head(&mut out, "[]");
                    continue;
                }
                let child = if label.is_some() {
                    head(&mut out, "");
                    depth + 1
                } else {
                    depth
                };
                for item in items.iter().take(max).rev() {
                    todo.push((child, Some("• ".into()), item));
                }
            }
            Value::Object(m) => {
                if let Some(line) = message_line(m) {
                    head(&mut out, &line);
                    continue;
                }
                if m.is_empty() {
                    head(&mut out, "{}");
                    continue;
                }
                let child = if label.is_some() {
                    head(&mut out, "");
                    depth + 1
                } else {
                    depth
                };
                let entries: Vec<_> = m.iter().take(max).collect();
                for (k, val) in entries.into_iter().rev() {
                    todo.push((child, Some(format!("{}: ", tui_safe(k, false))), val));
                }
            }
            Value::String(s) => {
                // Each line of a string is a row; later lines line up under the first.
                let pad = " ".repeat(label.as_deref().map_or(0, crate::term_safe::display_width));
                for (i, line) in s.lines().enumerate() {
                    if out.len() >= max {
                        break;
                    }
                    if i == 0 {
                        head(&mut out, line);
                    } else {
                        out.push(Line::from(format!(
                            "{indent}{pad}{}",
                            tui_safe(line, false)
                        )));
                    }
                }
                if s.is_empty() {
                    head(&mut out, "");
                }
            }
            other => head(&mut out, &as_text(other)),
        }
    }
    out.truncate(max);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(v: &Value, max: usize) -> Vec<String> {
        let th = Theme::dark();
        data_lines(v, max, &th)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn lists_and_nested_values_are_drawn_as_lists() {
        let v = json!(["one", "two\nlines", {"k": 1, "sub": ["a", {"x": null}]}, [], [true]]);
        assert_eq!(
            text(&v, 100),
            vec![
                "• one",
                "• two",
                "  lines",
                "• ",
                "  k: 1",
                "  sub: ",
                "    • a",
                "    • ",
                "      x: ",
                "• []",
                "• ",
                "  • true",
            ]
        );
        assert_eq!(text(&json!("a\u{1b}[2Jb"), 5).len(), 1);
        assert!(!text(&json!("a\u{1b}[2Jb"), 5)[0].contains('\u{1b}'));
        assert_eq!(
            text(&json!([{"role": "user", "content": "hi"}]), 5),
            vec!["• user: hi"]
        );
    }

    #[test]
    fn only_the_rows_shown_are_built() {
        let huge: Vec<Value> = (0..1_000_000).map(|i| json!([i, {"n": i}])).collect();
        let start = std::time::Instant::now();
        let lines = text(&Value::Array(huge), 30);
        assert_eq!(lines.len(), 30);
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }
}
