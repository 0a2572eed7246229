//! Predictions shown in place in my own view: beside a choice the top prediction picked,
//! a marker with its score, so the predicted value is seen without switching views.

use super::{Annotate, ViewSource};
use crate::config::ControlTag;
use crate::tui::result as res;
use crate::tui::theme::Theme;
use ratatui::text::Span;

/// The marker drawn after a choice row: `ⓟ 0.97` when the top prediction chose `key` for
/// `ctrl` (a whole-task value; per-region values show with their regions). Nothing in a
/// read-only view, with predictions hidden, or when the prediction did not choose it.
pub fn choice_marker(
    annotate: &Annotate,
    theme: &Theme,
    ctrl: &ControlTag,
    key: &str,
) -> Option<Span<'static>> {
    let t = annotate.task.as_ref()?;
    if t.source != ViewSource::Mine || !t.show_predictions || ctrl.per_region {
        return None;
    }
    let top = super::top_prediction_index(&t.full)?;
    let p = &t.full.predictions[top];
    let chosen = res::current_list(&t.predicted[top], ctrl, None)
        .iter()
        .any(|v| v.as_str() == Some(key));
    if !chosen {
        return None;
    }
    let score = p.score.map_or(String::new(), |s| format!(" {s:.2}"));
    Some(Span::styled(format!(" ⓟ{score}"), theme.dim()))
}
