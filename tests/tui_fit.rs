//! The task screen at small and large sizes, label hotkeys against built-in keys, the
//! mouse, and region text with joined emoji.

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use serde_json::json;

fn focused_control(d: &Driver) -> Option<String> {
    let t = d.s.app.task.as_ref().unwrap();
    match t.focusables.get(t.focus) {
        Some(labelterm::tui::screens::annotate::Focus::Control(ci)) => {
            Some(t.config.controls[*ci].name.clone())
        }
        _ => None,
    }
}

fn focus_control(d: &mut Driver, name: &str) {
    for _ in 0..20 {
        if focused_control(d).as_deref() == Some(name) {
            return;
        }
        d.keys("J");
    }
    panic!("no focus on {name}");
}

#[test]
fn config_hotkey_that_clashes_is_told_and_wins_in_its_panel() {
    let f = sample_project("multi_control");
    let mut d = open(&f, ".");
    // `x` of "Spam" is also delete-region: told once, at start.
    let msg = d.message();
    assert!(
        msg.contains("hotkey x of Choice \"Spam\"") && msg.contains("delete the selected region"),
        "{msg}"
    );
    assert!(msg.contains("\"relevance\""), "{msg}");
    // Where its panel has focus, the config hotkey works.
    focus_control(&mut d, "relevance");
    d.keys("x");
    assert_eq!(
        d.result()[0]["value"],
        json!({"choices": ["Spam"]}),
        "x in the focused panel picks Spam"
    );
    // Elsewhere the built-in key wins: x does not touch the choices.
    focus_control(&mut d, "clarity");
    d.keys("x");
    assert_eq!(d.result()[0]["value"], json!({"choices": ["Spam"]}));
    // `o` clashes with nothing on the task screen and works anywhere.
    d.keys("o");
    assert_eq!(
        d.result()[0]["value"],
        json!({"choices": ["Spam", "On topic"]})
    );
    // Told once: the next task does not repeat it.
    d.keys("]");
    assert!(!d.message().contains("hotkey x"), "{}", d.message());
}
