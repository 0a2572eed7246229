//! Predictions shown in place in my own view: beside a choice the top prediction picked,
//! a marker with its score, so the predicted value is seen without switching views.

use super::ViewSource;
use crate::config::ControlTag;
use crate::tui::app::App;
use crate::tui::result as res;
use ratatui::text::Span;
use serde_json::Value;

/// The marker drawn after a choice row: `ⓟ 0.97` when the top prediction chose `key` for
/// `ctrl` (a whole-task value; per-region values show with their regions). Nothing in a
/// read-only view, with predictions hidden, or when the prediction did not choose it.
pub fn choice_marker(app: &App, ctrl: &ControlTag, key: &str) -> Option<Span<'static>> {
    let t = app.task.as_ref()?;
    if t.source != ViewSource::Mine || !t.show_predictions || ctrl.per_region {
        return None;
    }
    let p = &t.full.predictions[super::top_prediction_index(&t.full)?];
    let result: Vec<Value> = serde_json::from_str(&p.result).ok()?;
    let chosen = res::current_list(&result, ctrl, None)
        .iter()
        .any(|v| v.as_str() == Some(key));
    if !chosen {
        return None;
    }
    let score = p.score.map_or(String::new(), |s| format!(" {s:.2}"));
    Some(Span::styled(format!(" ⓟ{score}"), app.theme.dim()))
}
