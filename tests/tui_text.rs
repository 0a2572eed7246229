//! Text panes driven by keys and the mouse: spans after spans, granularity, counts, span
//! edges, CJK word motions, mouse drags.

mod annotator;
use annotator::*;
use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use labelterm::tui::msg::Msg;
use serde_json::{Value, json};

const NER: &str = r#"<View><Labels name="label" toName="text">
  <Label value="PER"/><Label value="ORG"/><Label value="LOC"/><Label value="MISC"/>
</Labels><Text name="text" value="$text" granularity="GRAN"/></View>"#;

fn ner(granularity: &str, text: &str) -> Driver {
    let f = project(
        &NER.replace("GRAN", granularity),
        &json!([{ "text": text }]).to_string(),
    );
    let d = open(&f, ".");
    // The fixture's directory must outlive the session's store.
    std::mem::forget(f);
    d
}

fn spans(d: &Driver) -> Vec<(String, String)> {
    d.result()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["value"]["text"].as_str().unwrap_or_default().to_string(),
                r["value"]["labels"][0]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_label_then_a_motion_then_a_label_makes_two_spans() {
    let mut d = ner("word", "Ana met Acme today.");
    d.keys("1 w 2");
    assert_eq!(spans(&d), pairs(&[("Ana", "PER"), ("Acme", "ORG")]));
    // After a label the cursor is on the next word already: one key labels it.
    let mut d = ner("word", "Ana met Acme today.");
    d.keys("1 2");
    assert_eq!(
        spans(&d),
        pairs(&[("Ana", "ORG")]),
        "with no motion the new span is still selected, so a label key relabels it"
    );
    d.keys("l h 3");
    assert_eq!(spans(&d), pairs(&[("Ana", "ORG"), ("met", "LOC")]));
}

#[test]
fn word_granularity_selects_whole_words() {
    let text = "José Álvarez joined Telefónica in Madrid.";
    let mut d = ner("word", text);
    d.keys("v w 1");
    assert_eq!(spans(&d), pairs(&[("José Álvarez", "PER")]));
    assert_eq!(d.result()[0]["value"]["end"], 12);
    // With symbol granularity the selection is kept as made, cursor grapheme included.
    let mut d = ner("symbol", text);
    d.keys("v w 1");
    assert_eq!(spans(&d), pairs(&[("José Á", "PER")]));
    // Sentence granularity: the word under the cursor widens to its sentence.
    let mut d = ner("sentence", "One two. Three four.");
    d.keys("w w w 3");
    assert_eq!(spans(&d), pairs(&[("Three four.", "LOC")]));
}

#[test]
fn cjk_word_motion_stops_inside_a_sentence() {
    let mut d = ner("symbol", "東京都に住んでいます。Tokyo");
    d.keys("w");
    let cur = d.s.app.annotate.task.as_ref().unwrap().text_cursor["text"];
    assert!(
        cur > 0 && cur < 10,
        "w stopped inside the sentence at {cur}"
    );
    d.keys("v e 1");
    let (t, _) = &spans(&d)[0];
    assert!(!t.is_empty() && t.chars().count() < 10, "{t:?}");
    assert!(!t.contains("Tokyo"), "{t:?}");
}

#[test]
fn counts_repeat_motions_and_do_not_take_label_digits() {
    let mut d = ner("word", "one two three four five six");
    // Alt+digits are a count anywhere; the status line shows it while pending.
    d.keys("alt-3");
    assert_eq!(d.s.app.annotate.count, Some(3));
    let (screen, _) = d.frame(100, 20);
    assert!(screen.contains("count 3"), "{screen}");
    d.keys("w 1");
    assert_eq!(spans(&d), pairs(&[("four", "PER")]));
    assert_eq!(d.s.app.annotate.count, None, "the count is used up");
    // `v` + a counted end-of-word motion: a three-word entity in four keys.
    let mut d = ner("word", "one two three four five six");
    d.keys("v alt-2 e 2");
    assert_eq!(spans(&d), pairs(&[("one two", "ORG")]));
    d.keys("v e e 3");
    assert_eq!(
        spans(&d),
        pairs(&[("one two", "ORG"), ("three four", "LOC")])
    );
    // Digits that no label uses are counts: 5 and up here (four labels).
    let mut d = ner("word", "one two three four five six seven eight");
    d.keys("5 w 1");
    assert_eq!(spans(&d), pairs(&[("six", "PER")]));
    // The cursor went on to "seven"; six words back is "one".
    d.keys("6 b 2");
    assert_eq!(spans(&d), pairs(&[("six", "PER"), ("one", "ORG")]));
}

#[test]
fn span_edges_grow_and_shrink_by_the_granularity() {
    let mut d = ner("word", "one two three four five");
    d.keys("w 1");
    assert_eq!(spans(&d), pairs(&[("two", "PER")]));
    // The new span stays selected: its edges move by words.
    d.keys("> alt-h");
    assert_eq!(spans(&d), pairs(&[("one two three", "PER")]));
    assert_eq!(d.result()[0]["value"]["start"], 0);
    assert_eq!(d.result()[0]["value"]["end"], 13);
    d.keys("alt-l <");
    assert_eq!(spans(&d), pairs(&[("two", "PER")]));
    d.keys("<");
    assert_eq!(spans(&d), pairs(&[("two", "PER")]), "a span keeps one unit");
    // On a selection in progress the edges move the selection.
    d.keys("w v > > 3");
    assert_eq!(
        spans(&d),
        pairs(&[("two", "PER"), ("four five", "LOC")]),
        "the cursor went on to 'three' after the first label, w to 'four'"
    );
}

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Msg {
    Msg::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

/// Where (column, row) display index `i` of the first line of the text pane is drawn.
fn cell_of(d: &Driver, i: u16) -> (u16, u16) {
    let t = d.s.app.annotate.task.as_ref().unwrap();
    let r = t.layout.text_panes["text"];
    (r.x + i, r.y)
}

#[test]
fn mouse_drag_makes_a_selection_and_a_click_selects_a_span() {
    let mut d = ner("word", "Ana met Acme today in Oslo.");
    d.frame(100, 20);
    let (x0, y) = cell_of(&d, 8);
    let (x1, _) = cell_of(&d, 14);
    d.s.feed(mouse(MouseEventKind::Down(MouseButton::Left), x0, y));
    d.s.feed(mouse(MouseEventKind::Drag(MouseButton::Left), x1, y));
    d.s.feed(mouse(MouseEventKind::Up(MouseButton::Left), x1, y));
    d.keys("2");
    assert_eq!(spans(&d), pairs(&[("Acme today", "ORG")]));
    // A click moves the cursor; on a span it selects the span.
    let (x, y) = cell_of(&d, 1);
    d.s.feed(mouse(MouseEventKind::Down(MouseButton::Left), x, y));
    d.s.feed(mouse(MouseEventKind::Up(MouseButton::Left), x, y));
    assert_eq!(
        d.s.app.annotate.task.as_ref().unwrap().text_cursor["text"],
        1
    );
    assert_eq!(d.s.app.annotate.task.as_ref().unwrap().selected, None);
    d.keys("1");
    let (x, y) = cell_of(&d, 9);
    d.s.feed(mouse(MouseEventKind::Down(MouseButton::Left), x, y));
    d.s.feed(mouse(MouseEventKind::Up(MouseButton::Left), x, y));
    let id = d.result()[0]["id"].clone();
    assert_eq!(
        d.s.app
            .annotate
            .task
            .as_ref()
            .unwrap()
            .selected
            .as_deref()
            .map(Value::from),
        Some(id)
    );
    d.keys("3");
    assert_eq!(
        spans(&d),
        pairs(&[("Acme today", "LOC"), ("Ana", "PER")]),
        "a label key relabels the clicked span"
    );
}

#[test]
fn the_wheel_scrolls_the_text_pane() {
    let long: String = (0..200).map(|i| format!("word{i} ")).collect();
    let mut d = ner("word", &long);
    let (screen, _) = d.frame(60, 16);
    assert!(screen.contains("word0 "), "{screen}");
    let (x, y) = cell_of(&d, 0);
    for _ in 0..4 {
        d.s.feed(mouse(MouseEventKind::ScrollDown, x, y));
    }
    let (screen, _) = d.frame(60, 16);
    assert!(!screen.contains("word0 "), "scrolled: {screen}");
}

#[test]
fn a_count_starts_only_where_a_digit_is_free() {
    let mut d = ner("word", "one two three four five six");
    // 0 alone is no count; a label digit labels; an unbound key drops a pending count.
    d.keys("0");
    assert_eq!(d.s.app.annotate.count, None);
    d.keys("5 0");
    assert_eq!(d.s.app.annotate.count, Some(50));
    d.keys("Z");
    assert_eq!(
        d.s.app.annotate.count, None,
        "a key that does nothing ends the count"
    );
    d.keys("7 1");
    assert_eq!(
        spans(&d),
        pairs(&[("one", "PER")]),
        "a label key takes no count"
    );
    assert_eq!(d.s.app.annotate.count, None);
    // Alt+digits add up, the motion uses them all.
    d.keys("b alt-1 alt-2 l");
    let t = d.s.app.annotate.task.as_ref().unwrap();
    assert_eq!(t.text_cursor["text"], 12, "twelve characters on");
}
