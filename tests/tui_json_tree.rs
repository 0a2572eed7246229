//! The JSON tree popup: a task as Label Studio exports it, opened from the task screen
//! (`I`) or by id from any screen (`Effect::InspectTask`), drawn into ratatui's
//! TestBackend at 80×24 and 120×40; rows that open and close, the path footer, search,
//! what a copy hands to the terminal, and tasks with huge values.

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use insta::assert_snapshot;
use labelterm::tui::action::Action;
use labelterm::tui::app::{Effect, Popup};
use labelterm::tui::keymap::Keymap;
use labelterm::tui::msg::Inspect;
use labelterm::tui::popups::{JsonTreePopup, TreeReply};
use labelterm::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};

const CONFIG: &str = r#"<View><Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Pos"/><Choice value="Neg"/></Choices></View>"#;

/// The task is labelled already, so it is opened by id.
fn open_task(f: &Fixture) -> Driver {
    let mut d = open(f, ".");
    d.keys(":");
    d.type_text("1");
    d.keys("enter");
    assert_eq!(d.task_id(), 1);
    d
}

fn fixture() -> Fixture {
    let task = json!([{
        "data": {"text": "hello world", "meta": {"a b": [10, 20], "source": "hello crawl"}},
        "annotations": [{"completed_by": {"email": "alice@example.org"},
            "result": [{"id": "c1", "from_name": "sentiment", "to_name": "text", "type": "choices",
                        "value": {"choices": ["Pos"]}}]}],
        "predictions": [{"model_version": "m1", "score": 0.5,
            "result": [{"id": "p1", "from_name": "sentiment", "to_name": "text", "type": "choices",
                        "value": {"choices": ["Neg"]}}]}]
    }]);
    project(CONFIG, &task.to_string())
}

fn tree(d: &Driver) -> &JsonTreePopup {
    match &d.s.app.popup {
        Some(Popup::JsonTree(t)) => t,
        other => panic!("no JSON tree open: {other:?}"),
    }
}

/// The last non-empty line inside the popup's frame: its footer.
fn footer(screen: &str) -> String {
    screen
        .lines()
        .filter(|l| l.contains('│'))
        .map(|l| {
            l.trim_matches(|c: char| c == ' ' || c == '│')
                .trim()
                .to_string()
        })
        .rfind(|l| !l.is_empty())
        .unwrap_or_default()
}

/// The effects of one key (the driver's `keys` drops them).
fn key(d: &mut Driver, k: &str) -> Vec<Effect> {
    d.s.key(key_event(k))
}

fn copied(effects: &[Effect]) -> String {
    match effects {
        [Effect::Clipboard(text)] => text.clone(),
        other => panic!("expected one clipboard copy, got {other:?}"),
    }
}

fn flow_at(w: u16, h: u16) {
    let f = fixture();
    let mut d = open_task(&f);
    d.keys("I");
    let s = d.screen(w, h);
    assert!(s.contains("Task #1 JSON"), "{s}");
    // The root and data are open; data.meta is closed.
    assert!(s.contains("text: \"hello world\""), "{s}");
    assert!(s.contains("▸ meta: {…} 2 keys"), "{s}");
    assert!(s.contains("▸ annotations: […] 1 item"), "{s}");
    assert!(footer(&s).starts_with(". "), "{}", footer(&s));

    // A search opens what hides the match, and the footer names its path.
    d.keys("/");
    d.type_text("a b");
    d.keys("enter");
    let s = d.screen(w, h);
    assert_eq!(tree(&d).path_text(), r#".data.meta["a b"]"#);
    assert!(
        footer(&s).starts_with(r#".data.meta["a b"]  1/1"#),
        "{}",
        footer(&s)
    );
    assert!(s.contains("▾ meta: 2 keys"), "{s}");
    assert!(s.contains("▸ a b: […] 2 items"), "{s}");

    // Open it; copy its path, then a value.
    d.keys("l");
    let s = d.screen(w, h);
    assert!(s.contains("[0]: 10") && s.contains("[1]: 20"), "{s}");
    assert_eq!(copied(&key(&mut d, "Y")), r#".data.meta["a b"]"#);
    assert!(
        d.message().contains(r#"copied the path .data.meta["a b"]"#),
        "{}",
        d.message()
    );
    d.keys("j");
    assert_eq!(copied(&key(&mut d, "y")), "10");
    d.keys("j j");
    assert_eq!(tree(&d).path_text(), ".data.meta.source");
    assert_eq!(
        copied(&key(&mut d, "y")),
        "hello crawl",
        "strings are copied unquoted"
    );
    let s = d.screen(w, h);
    assert!(s.contains("copied the value at .data.meta.source"), "{s}");

    // Left on a leaf goes to its parent; left again closes it.
    d.keys("k h");
    assert_eq!(tree(&d).path_text(), r#".data.meta["a b"]"#);
    d.keys("h");
    let s = d.screen(w, h);
    assert!(!s.contains("[0]: 10"), "{s}");
    assert!(s.contains("▸ a b: […] 2 items"), "{s}");

    // Close all keeps the cursor on the nearest row still shown; open all shows the
    // annotation's choice.
    d.keys("C");
    assert_eq!(tree(&d).path_text(), ".data");
    let s = d.screen(w, h);
    assert!(s.contains("▸ data: {…} 2 keys"), "{s}");
    d.keys("E");
    assert_eq!(tree(&d).path_text(), ".data");
    d.keys("/");
    d.type_text("sentiment");
    d.keys("enter");
    assert_eq!(tree(&d).path_text(), ".annotations[0].result[0].from_name");
    d.keys("n");
    assert_eq!(tree(&d).path_text(), ".predictions[0].result[0].from_name");
    let s = d.screen(w, h);
    assert!(footer(&s).contains("  2/2"), "{}", footer(&s));
    d.keys("n");
    assert_eq!(
        tree(&d).path_text(),
        ".annotations[0].result[0].from_name",
        "n wraps to the first match"
    );
    d.keys("N");
    assert_eq!(tree(&d).path_text(), ".predictions[0].result[0].from_name");
    d.keys("esc");
    assert!(d.s.app.popup.is_none());
}

#[test]
fn the_open_task_as_a_tree_at_80x24() {
    flow_at(80, 24);
}

#[test]
fn the_open_task_as_a_tree_at_120x40() {
    flow_at(120, 40);
}

/// A search typed and then left with Esc neither moves the cursor nor keeps the query.
#[test]
fn an_escaped_search_changes_nothing() {
    let f = fixture();
    let mut d = open_task(&f);
    d.keys("I j j");
    let at = tree(&d).path_text();
    d.keys("/");
    d.type_text("hello");
    assert!(d.screen(80, 24).contains("/hello▏"));
    d.keys("esc");
    assert_eq!(tree(&d).path_text(), at);
    assert!(tree(&d).matches.is_empty() && tree(&d).query.is_empty());
    let s = d.screen(80, 24);
    assert!(!s.contains("hello▏"), "{s}");
    assert!(
        d.s.app.popup.is_some(),
        "Esc in the search line leaves the popup open"
    );
}

/// Another screen asks for a task by id; the store's reply opens the tree.
#[test]
fn a_task_opens_by_id_through_an_effect() {
    let f = fixture();
    let mut d = open(&f, ".");
    let rest = d.s.run(vec![Effect::InspectTask {
        id: 1,
        view: Inspect::Json,
    }]);
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(tree(&d).tree.root()["data"]["text"], json!("hello world"));
    d.keys("esc");
    d.s.run(vec![Effect::InspectTask {
        id: 99,
        view: Inspect::Json,
    }]);
    assert!(d.s.app.popup.is_none());
    assert!(d.message().contains("99"), "{}", d.message());
}

fn draw(p: &mut JsonTreePopup, w: u16, h: u16) -> String {
    let theme = Theme::load(None, true).unwrap();
    let km = Keymap::default_map(false);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut rows = 0;
    term.draw(|f| rows = p.view(f, &theme, &km, f.area()))
        .unwrap();
    p.set_height(rows);
    labelterm::tui::view::buffer_text(term.backend().buffer())
}

fn sample() -> Value {
    json!({"id": 42, "data": {"text": "a cat\u{1b}[31m on a mat", "meta": {"a b": [1.5, null, true]},
           "nested": {"deep": {"deeper": {"deepest": "bottom"}}}},
           "annotations": [], "predictions": [{"model_version": "v2", "score": 0.91}]})
}

#[test]
fn snapshot_80x24() {
    let mut p = JsonTreePopup::new(sample());
    p.update(Action::Down);
    p.update(Action::Down);
    p.update(Action::ExpandSubtree);
    assert_snapshot!(draw(&mut p, 80, 24));
}

#[test]
fn snapshot_120x40() {
    let mut p = JsonTreePopup::new(sample());
    p.update(Action::ExpandAll);
    p.update(Action::Bottom);
    assert_snapshot!(draw(&mut p, 120, 40));
}

/// Escape sequences in keys and values are drawn as visible text, never sent to the
/// terminal.
#[test]
fn task_text_is_made_safe() {
    let mut p = JsonTreePopup::new(json!({"data": {"k\u{1b}]52;c;AAAA\u{7}": "v\u{1b}[2J"}}));
    let s = draw(&mut p, 80, 10);
    assert!(!s.contains('\u{1b}') && !s.contains('\u{7}'), "{s:?}");
    // Shown as escapes a reader can see.
    assert!(s.contains(r#"k\e]52;c;AAAA\x07: "v\u001b[2J""#), "{s}");
}

/// A 10 MB string and a 100,000-item array: opening, a key and a frame build rows for
/// what is open and format only the rows on screen; a copy still takes the whole value.
#[test]
fn huge_values_cost_what_is_shown() {
    let big = "x".repeat(10 * 1024 * 1024);
    let items: Vec<Value> = (0..100_000).map(|i| json!(i)).collect();
    let mut p = JsonTreePopup::new(json!({"id": 1, "data": {"big": big, "items": items}}));
    assert_eq!(p.tree.rows_built, 5, "root, id, data and its two keys");
    let s = draw(&mut p, 80, 24);
    assert!(s.contains("big: \"xxx"), "{s}");
    assert!(s.contains("▸ items: […] 100000 items"), "{s}");
    let theme = Theme::load(None, true).unwrap();
    let lines = p.lines(&theme, 76, 20);
    assert_eq!(lines.len(), p.tree.len().min(20));
    assert!(
        lines.iter().all(|l| l.width() <= 76),
        "a row is cut to the width"
    );

    // The big string under the cursor: a copy takes all of it.
    p.update(Action::Down);
    p.update(Action::Down);
    p.update(Action::Down);
    assert_eq!(p.path_text(), ".data.big");
    match p.update(Action::YankValue) {
        TreeReply::Copy { text, .. } => assert_eq!(text.len(), 10 * 1024 * 1024),
        other => panic!("{other:?}"),
    }

    // Opening the array builds one row per item once; moving and drawing build none.
    let before = p.tree.rows_built;
    p.update(Action::Down);
    p.update(Action::Right);
    assert_eq!(p.tree.rows_built - before, 100_000);
    let built = p.tree.rows_built;
    p.update(Action::Bottom);
    draw(&mut p, 80, 24);
    p.update(Action::PageUp);
    let s = draw(&mut p, 120, 40);
    assert_eq!(p.tree.rows_built, built);
    assert!(s.contains("[99999]: 99999"), "{s}");
    let lines = p.lines(&theme, 116, 36);
    assert!((20..=36).contains(&lines.len()), "{}", lines.len());

    // A search finds an item far down without building rows that are already there.
    p.update(Action::Top);
    p.searching = true;
    p.query = "99998".into();
    p.search();
    assert_eq!(p.path_text(), ".data.items[99998]");
    assert_eq!(p.tree.rows_built, built);
    let s = draw(&mut p, 80, 24);
    assert!(s.contains("[99998]: 99998"), "{s}");

    // Closing it drops the rows; opening everything again builds them again.
    p.update(Action::CollapseAll);
    assert!(p.tree.len() <= 4);
}
