//! The compare popup: two results of a task side by side (my answer, other annotators,
//! predictions), regions paired as `review::diff` pairs them, drawn into ratatui's
//! TestBackend at 120×40 (side by side) and 80×24 (stacked).

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use insta::assert_snapshot;
use labelterm::config::LabelConfig;
use labelterm::tui::action::Action;
use labelterm::tui::app::{Effect, Popup};
use labelterm::tui::keymap::Keymap;
use labelterm::tui::msg::Inspect;
use labelterm::tui::popups::ComparePopup;
use labelterm::tui::popups::compare::{Mark, Row, Summary};
use labelterm::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};

const CONFIG: &str = r#"<View><Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Pos"/><Choice value="Neg"/></Choices>
  <Labels name="ner" toName="text"><Label value="PER"/><Label value="ORG"/><Label value="LOC"/></Labels></View>"#;

fn span(id: &str, start: u64, end: u64, text: &str, label: &str) -> Value {
    json!({"id": id, "from_name": "ner", "to_name": "text", "type": "labels",
           "value": {"start": start, "end": end, "text": text, "labels": [label]}})
}

fn choice(id: &str, v: &str) -> Value {
    json!({"id": id, "from_name": "sentiment", "to_name": "text", "type": "choices",
           "value": {"choices": [v]}})
}

/// Alice: Pos, PER Alice, ORG Bob. The model: Neg, PER Alice, LOC Paris. Worked out by
/// hand: the choices pair and differ, the two PER spans are one region, ORG is only
/// Alice's and LOC only the model's.
fn alice() -> Vec<Value> {
    vec![
        choice("a1", "Pos"),
        span("a2", 0, 5, "Alice", "PER"),
        span("a3", 10, 13, "Bob", "ORG"),
    ]
}

fn model() -> Vec<Value> {
    vec![
        choice("p1", "Neg"),
        span("p2", 0, 5, "Alice", "PER"),
        span("p3", 17, 22, "Paris", "LOC"),
    ]
}

fn fixture() -> Fixture {
    let task = json!([{
        "data": {"text": "Alice met Bob in Paris"},
        "annotations": [{"completed_by": {"email": "alice@example.org"}, "result": alice()}],
        "predictions": [{"model_version": "m1", "score": 0.5, "result": model()}]
    }]);
    project(CONFIG, &task.to_string())
}

fn compare(d: &Driver) -> &ComparePopup {
    match &d.s.app.popup {
        Some(Popup::Compare(c)) => c,
        other => panic!("no compare popup open: {other:?}"),
    }
}

fn summary(same: usize, changed: usize, only_left: usize, only_right: usize) -> Summary {
    Summary {
        same,
        changed,
        only_left,
        only_right,
    }
}

/// The line of the screen holding `needle`, from the needle on (past the popup's frame).
fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find_map(|l| l.find(needle).map(|i| &l[i..]))
        .unwrap_or_else(|| panic!("no line with {needle:?}:\n{screen}"))
}

#[test]
fn my_answer_against_the_prediction_then_another_annotator() {
    let f = fixture();
    let mut d = open(&f, ".");
    // Alice labelled the task already: open it by id.
    d.keys(":");
    d.type_text("1");
    d.keys("enter");
    d.keys("C");
    assert_eq!(compare(&d).left_label(), "mine (ann, on screen)");
    assert_eq!(compare(&d).right_label(), "pred #1 m1 0.50");
    assert_eq!(compare(&d).summary, summary(0, 0, 0, 3));
    let s = d.screen(120, 40);
    assert!(
        s.contains("0 same · 0 changed · 0 only left · 3 only right"),
        "{s}"
    );

    // Alice on the left.
    d.keys("h");
    assert_eq!(compare(&d).left_label(), "ann #1 alice@example.org");
    assert_eq!(compare(&d).summary, summary(1, 1, 1, 1));
    let s = d.screen(120, 40);
    assert!(
        s.contains("1 same · 1 changed · 1 only left · 1 only right"),
        "{s}"
    );
    assert!(s.contains("left: ann #1 alice@example.org"), "{s}");
    assert!(s.contains("right: pred #1 m1 0.50"), "{s}");
    // Side by side: a pair shares a line, left of the bar and right of it.
    let same = line_with(&s, " = ner: PER");
    let (l, r) = same.split_once(" │ ").expect("two sides");
    assert!(
        l.contains("ner: PER \"Alice\"") && r.contains("ner: PER \"Alice\""),
        "{same}"
    );
    let changed = line_with(&s, " ~ sentiment: Pos");
    assert!(
        changed
            .split_once(" │ ")
            .unwrap()
            .1
            .contains("sentiment: Neg"),
        "{changed}"
    );
    assert!(s.contains(r#"choices ["Pos"] → ["Neg"]"#), "{s}");
    let left_only = line_with(&s, " < ner: ORG");
    assert!(
        !left_only.split_once(" │ ").unwrap().1.contains("ner:"),
        "{left_only}"
    );
    let right_only = line_with(&s, " > ");
    assert!(right_only.contains("│ ner: LOC \"Paris\""), "{right_only}");

    // Under 100 columns the sides stack: one line each.
    let s = d.screen(80, 24);
    assert!(s.contains(" = L ner: PER \"Alice\""), "{s}");
    assert!(s.contains(" = R ner: PER \"Alice\""), "{s}");
    assert!(s.contains(" < R –"), "nothing on the right of ORG:\n{s}");
    assert!(
        s.contains("1 same · 1 changed · 1 only left · 1 only right"),
        "{s}"
    );

    // Swap the sides, then put the prediction on both.
    d.keys("s");
    assert_eq!(compare(&d).left_label(), "pred #1 m1 0.50");
    assert_eq!(compare(&d).right_label(), "ann #1 alice@example.org");
    let s = d.screen(120, 40);
    assert!(line_with(&s, " < ").contains("ner: LOC"), "{s}");
    d.keys("l");
    assert_eq!(compare(&d).right_label(), "pred #1 m1 0.50");
    assert_eq!(compare(&d).summary, summary(3, 0, 0, 0));
    d.keys("esc");
    assert!(d.s.app.popup.is_none());
}

/// Another screen opens a task's results by id: its annotations, then its predictions.
#[test]
fn a_task_compares_by_id_through_an_effect() {
    let f = fixture();
    let mut d = open(&f, ".");
    let rest = d.s.run(vec![Effect::InspectTask {
        id: 1,
        view: Inspect::Compare,
    }]);
    assert!(rest.is_empty(), "{rest:?}");
    let c = compare(&d);
    assert_eq!(c.left_label(), "ann #1 alice@example.org");
    assert_eq!(c.right_label(), "pred #1 m1 0.50");
    assert_eq!(c.summary, summary(1, 1, 1, 1));
}

fn draw(p: &mut ComparePopup, w: u16, h: u16) -> String {
    let theme = Theme::load(None, true).unwrap();
    let km = Keymap::default_map(false);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut size = (0, 0);
    term.draw(|f| size = p.view(f, &theme, &km, f.area()))
        .unwrap();
    p.set_size(size.0, size.1);
    labelterm::tui::view::buffer_text(term.backend().buffer())
}

fn popup() -> ComparePopup {
    let config = LabelConfig::parse(CONFIG).unwrap();
    ComparePopup::new(
        &config,
        vec![
            ("ann #1 alice".into(), alice()),
            ("pred #2 m1".into(), model()),
        ],
    )
}

#[test]
fn rows_are_grouped_per_control_in_pairs() {
    let p = popup();
    let marks: Vec<(Option<&str>, Option<Mark>)> = p
        .rows
        .iter()
        .map(|r| match r {
            Row::Control(c) => (Some(c.as_str()), None),
            Row::Pair { mark, .. } => (None, Some(*mark)),
        })
        .collect();
    assert_eq!(
        marks,
        [
            (Some("ner"), None),
            (None, Some(Mark::Same)),
            (None, Some(Mark::OnlyRight)),
            (None, Some(Mark::OnlyLeft)),
            (Some("sentiment"), None),
            (None, Some(Mark::Changed)),
        ]
    );
}

#[test]
fn snapshot_120x40_side_by_side() {
    let mut p = popup();
    assert_snapshot!(draw(&mut p, 120, 40));
}

#[test]
fn snapshot_80x24_stacked() {
    let mut p = popup();
    assert_snapshot!(draw(&mut p, 80, 24));
}

/// Scrolling stops at the last line, however many keys ask for more.
#[test]
fn scrolling_stops_at_the_end() {
    let config = LabelConfig::parse(CONFIG).unwrap();
    let many: Vec<Value> = (0..200)
        .map(|i| {
            span(
                &format!("s{i}"),
                i * 10,
                i * 10 + 3,
                &format!("w{i}"),
                "PER",
            )
        })
        .collect();
    let mut p = ComparePopup::new(
        &config,
        vec![("a".into(), many.clone()), ("b".into(), many)],
    );
    assert_eq!(p.summary, summary(200, 0, 0, 0));
    draw(&mut p, 80, 24);
    p.update(Action::Bottom);
    let s = draw(&mut p, 80, 24);
    assert!(s.contains("ner: PER \"w199\""), "{s}");
    let at = p.scroll;
    p.update(Action::Down);
    assert_eq!(p.scroll, at, "no further than the last line");
    p.update(Action::Up);
    assert_eq!(p.scroll, at - 1);
    p.update(Action::Top);
    assert!(draw(&mut p, 80, 24).contains("ner: PER \"w0\""));
}

/// One result only: it is compared with itself, and the popup says so.
#[test]
fn one_source_compares_with_itself() {
    let config = LabelConfig::parse(CONFIG).unwrap();
    let mut p = ComparePopup::new(&config, vec![("only".into(), alice())]);
    assert_eq!(p.summary, summary(3, 0, 0, 0));
    let s = draw(&mut p, 80, 24);
    assert!(s.contains("only one result"), "{s}");
    p.update(Action::CompareLeft);
    p.update(Action::CompareRight);
    assert_eq!((p.left, p.right), (0, 0));
}
