//! Pairwise, Ranker (with buckets) and List in the annotator: keys and the mouse in, the
//! exact result JSON Label Studio writes out, drawn into a TestBackend.

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use labelterm::tui::msg::Msg;
use serde_json::{Value, json};

const PAIR: &str = r#"<View>
  <Header value="Which answer is better?"/>
  <Pairwise name="pw" toName="a,b"/>
  <Text name="a" value="$a"/>
  <Text name="b" value="$b"/>
</View>"#;

const RANK: &str = r#"<View>
  <List name="results" value="$items" title="Results"/>
  <Ranker name="rank" toName="results"/>
</View>"#;

const BUCKETS: &str = r#"<View>
  <List name="results" value="$items" title="Results"/>
  <Ranker name="rank" toName="results">
    <Bucket name="good" title="Good ones"/>
    <Bucket name="bad" title="Bad ones"/>
  </Ranker>
</View>"#;

fn items_task(n: usize) -> String {
    let items: Vec<Value> = (0..n)
        .map(|i| {
            json!({"id": format!("it{i}"), "title": format!("Title {i}"), "body": format!("body of item {i}")})
        })
        .collect();
    json!([{"data": {"items": items}}, {"data": {"items": items}}]).to_string()
}

/// The result without the generated region ids.
fn without_ids(v: Value) -> Value {
    let mut v = v;
    for r in v.as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("id");
    }
    v
}

fn mouse(d: &mut Driver, kind: MouseEventKind, column: u16, row: u16) {
    d.s.feed(Msg::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }));
}

/// Where `text` is on the screen: (column, row) of its first character.
fn find(screen: &str, text: &str) -> (u16, u16) {
    for (y, line) in screen.lines().enumerate() {
        if let Some(i) = line.find(text) {
            return (line[..i].chars().count() as u16, y as u16);
        }
    }
    panic!("{text} not on screen\n{screen}");
}

fn stored(f: &Fixture) -> Vec<String> {
    sql(&f.db, "SELECT result FROM annotations ORDER BY id")
}

#[test]
fn pairwise_keys_pick_left_or_right_and_again_clears() {
    let f = project(
        PAIR,
        r#"[{"data": {"a": "first answer", "b": "second answer"}}]"#,
    );
    let mut d = open(&f, ".");
    d.keys("h");
    assert_eq!(
        without_ids(d.result()),
        json!([{"from_name": "pw", "to_name": "pw", "type": "pairwise",
                "value": {"selected": "left"}, "origin": "manual"}])
    );
    d.keys("l");
    assert_eq!(d.result()[0]["value"], json!({"selected": "right"}));
    d.keys("l");
    assert_eq!(d.result(), json!([]), "the same side again clears");
    d.keys("right s");
    let rows = stored(&f);
    assert_eq!(rows.len(), 1);
    let r: Value = serde_json::from_str(&rows[0]).unwrap();
    assert_eq!(
        without_ids(r),
        json!([{"from_name": "pw", "to_name": "pw", "type": "pairwise",
                "value": {"selected": "right"}, "origin": "manual"}])
    );
}

#[test]
fn pairwise_shows_both_objects_side_by_side_or_stacked_with_the_choice_marked() {
    let f = project(
        PAIR,
        r#"[{"data": {"a": "first answer", "b": "second answer"}}]"#,
    );
    let mut d = open(&f, ".");
    d.keys("l");
    for (w, h) in [(120, 40), (80, 24)] {
        let screen = d.screen(w, h);
        let (lx, ly) = find(&screen, "first answer");
        let (rx, ry) = find(&screen, "second answer");
        assert_eq!(ly, ry, "side by side at {w}x{h}\n{screen}");
        assert!(rx > lx);
        let (cx, cy) = find(&screen, "✓ chosen");
        assert_eq!(cy + 2, ry, "the mark is over the right object\n{screen}");
        assert!(cx > rx.saturating_sub(40));
    }
    let screen = d.screen(60, 24);
    let (_, ly) = find(&screen, "first answer");
    let (_, ry) = find(&screen, "second answer");
    assert!(ry > ly, "one above the other when narrow\n{screen}");
    let (_, cy) = find(&screen, "✓ chosen");
    assert!(cy > ly && cy < ry, "{screen}");
}

#[test]
fn a_click_on_a_pairwise_object_chooses_it() {
    let f = project(
        PAIR,
        r#"[{"data": {"a": "first answer", "b": "second answer"}}]"#,
    );
    let mut d = open(&f, ".");
    let (screen, _) = d.frame(120, 40);
    let (x, y) = find(&screen, "first answer");
    mouse(&mut d, MouseEventKind::Down(MouseButton::Left), x, y);
    assert_eq!(d.result()[0]["value"], json!({"selected": "left"}));
    let (screen, _) = d.frame(120, 40);
    let (x, y) = find(&screen, "second answer");
    mouse(&mut d, MouseEventKind::Down(MouseButton::Left), x, y);
    assert_eq!(d.result()[0]["value"], json!({"selected": "right"}));
    assert_eq!(d.result().as_array().unwrap().len(), 1);
}

#[test]
fn ranker_keys_reorder_and_write_label_studios_result() {
    let f = project(RANK, &items_task(3));
    let mut d = open(&f, ".");
    d.keys("alt-j");
    assert_eq!(
        without_ids(d.result()),
        json!([{"from_name": "rank", "to_name": "results", "type": "ranker",
                "value": {"ranker": {"rank": ["it1", "it0", "it2"]}}, "origin": "manual"}])
    );
    // The cursor followed the item: it moves on down, then back up to the top.
    d.keys("alt-j");
    assert_eq!(
        d.result()[0]["value"]["ranker"]["rank"],
        json!(["it1", "it2", "it0"])
    );
    d.keys("alt-k alt-k");
    assert_eq!(
        d.result()[0]["value"]["ranker"]["rank"],
        json!(["it0", "it1", "it2"])
    );
    d.keys("j j alt-up s");
    let r: Value = serde_json::from_str(&stored(&f)[0]).unwrap();
    assert_eq!(
        r[0]["value"],
        json!({"ranker": {"rank": ["it0", "it2", "it1"]}})
    );
    // An untouched Ranker is written on submit with the list's order, as Label Studio does.
    d.keys("s");
    let r: Value = serde_json::from_str(&stored(&f)[1]).unwrap();
    assert_eq!(
        without_ids(r),
        json!([{"from_name": "rank", "to_name": "results", "type": "ranker",
                "value": {"ranker": {"rank": ["it0", "it1", "it2"]}}, "origin": "manual"}])
    );
}

#[test]
fn bucket_moves_write_every_column_in_label_studios_order() {
    let f = project(BUCKETS, &items_task(3));
    let mut d = open(&f, ".");
    d.keys("alt-l");
    assert_eq!(
        serde_json::to_string(&d.result()[0]["value"]).unwrap(),
        r#"{"ranker":{"_":["it1","it2"],"good":["it0"],"bad":[]}}"#
    );
    assert_eq!(d.result()[0]["to_name"], "results");
    d.keys("alt-right");
    assert_eq!(
        serde_json::to_string(&d.result()[0]["value"]).unwrap(),
        r#"{"ranker":{"_":["it1","it2"],"good":[],"bad":["it0"]}}"#
    );
    // The cursor is in the last bucket now: back to the pool, take the next item along.
    d.keys("alt-h h j alt-l");
    assert_eq!(
        serde_json::to_string(&d.result()[0]["value"]).unwrap(),
        r#"{"ranker":{"_":["it1"],"good":["it0","it2"],"bad":[]}}"#
    );
    // An item moved across lands at the row it left, so the cursor stays level.
    d.keys("h alt-l s");
    let r: Value = serde_json::from_str(&stored(&f)[0]).unwrap();
    assert_eq!(
        serde_json::to_string(&r[0]["value"]).unwrap(),
        r#"{"ranker":{"_":[],"good":["it1","it0","it2"],"bad":[]}}"#
    );
    // Untouched, with buckets: everything in the pool, every bucket empty.
    d.keys("s");
    let r: Value = serde_json::from_str(&stored(&f)[1]).unwrap();
    assert_eq!(
        serde_json::to_string(&r[0]["value"]).unwrap(),
        r#"{"ranker":{"_":["it0","it1","it2"],"good":[],"bad":[]}}"#
    );
}

#[test]
fn a_default_bucket_takes_the_unsorted_items() {
    let config = BUCKETS.replace(r#"title="Bad ones""#, r#"title="Bad ones" default="true""#);
    let f = project(&config, &items_task(2));
    let mut d = open(&f, ".");
    let screen = d.screen(120, 40);
    assert!(!screen.contains("Results ("), "no pool column\n{screen}");
    d.keys("s");
    let r: Value = serde_json::from_str(&stored(&f)[0]).unwrap();
    assert_eq!(
        serde_json::to_string(&r[0]["value"]).unwrap(),
        r#"{"ranker":{"good":[],"bad":["it0","it1"]}}"#
    );
}

#[test]
fn boards_are_drawn_as_columns_or_stacked_sections() {
    let f = project(BUCKETS, &items_task(3));
    let mut d = open(&f, ".");
    d.keys("alt-l");
    for (w, h) in [(120, 40), (80, 24)] {
        let screen = d.screen(w, h);
        let (px, py) = find(&screen, "Results (2)");
        let (gx, gy) = find(&screen, "Good ones (1)");
        let (bx, by) = find(&screen, "Bad ones (0)");
        assert!(
            py == gy && gy == by && px < gx && gx < bx,
            "columns at {w}x{h}\n{screen}"
        );
        let (tx, _) = find(&screen, "Title 0");
        assert!(
            tx > gx && tx < bx,
            "the moved item is in its bucket\n{screen}"
        );
        assert!(screen.contains("body of item 1"));
    }
    let screen = d.screen(60, 24);
    let (_, py) = find(&screen, "── Results (2) ──");
    let (_, gy) = find(&screen, "── Good ones (1) ──");
    let (_, ty) = find(&screen, "Title 0");
    assert!(py < gy && gy < ty, "stacked sections when narrow\n{screen}");
}

#[test]
fn a_mouse_drag_reorders_and_moves_into_a_bucket() {
    let f = project(BUCKETS, &items_task(3));
    let mut d = open(&f, ".");
    let (screen, _) = d.frame(120, 40);
    let (x, y) = find(&screen, "Title 2");
    let (tx, ty) = find(&screen, "Title 0");
    mouse(&mut d, MouseEventKind::Down(MouseButton::Left), x, y);
    mouse(&mut d, MouseEventKind::Drag(MouseButton::Left), tx, ty);
    mouse(&mut d, MouseEventKind::Up(MouseButton::Left), tx, ty);
    assert_eq!(
        serde_json::to_string(&d.result()[0]["value"]).unwrap(),
        r#"{"ranker":{"_":["it2","it0","it1"],"good":[],"bad":[]}}"#
    );
    // Dropped on the empty part of a bucket's column: to its end.
    let (screen, _) = d.frame(120, 40);
    let (x, y) = find(&screen, "Title 1");
    let (bx, _) = find(&screen, "Bad ones (0)");
    mouse(&mut d, MouseEventKind::Down(MouseButton::Left), x, y);
    mouse(&mut d, MouseEventKind::Up(MouseButton::Left), bx + 2, 20);
    assert_eq!(
        serde_json::to_string(&d.result()[0]["value"]).unwrap(),
        r#"{"ranker":{"_":["it2","it0"],"good":[],"bad":["it1"]}}"#
    );
    // A click without a move changes nothing.
    let (screen, _) = d.frame(120, 40);
    let before = d.result();
    let (x, y) = find(&screen, "Title 0");
    mouse(&mut d, MouseEventKind::Down(MouseButton::Left), x, y);
    mouse(&mut d, MouseEventKind::Up(MouseButton::Left), x, y);
    assert_eq!(d.result(), before);
}

#[test]
fn a_predicted_ranking_is_read_back_also_as_a_bare_list() {
    let task = json!([{
        "data": {"items": [{"id": "a", "title": "Alpha"}, {"id": "b", "title": "Beta"}, {"id": "c", "title": "Gamma"}]},
        "predictions": [{"model_version": "m", "result": [
            {"from_name": "rank", "to_name": "results", "type": "ranker", "value": {"ranker": ["c", "a"]}}
        ]}]
    }]);
    let f = project(RANK, &task.to_string());
    let mut d = open(&f, ".");
    let screen = d.screen(120, 40);
    let (_, a) = find(&screen, "Alpha");
    let (_, c) = find(&screen, "Gamma");
    assert!(a < c, "mine starts in the list's order\n{screen}");
    d.keys("O");
    let screen = d.screen(120, 40);
    let (_, a) = find(&screen, "Alpha");
    let (_, b) = find(&screen, "Beta");
    let (_, c) = find(&screen, "Gamma");
    assert!(
        c < a && a < b,
        "the prediction's order, the rest after\n{screen}"
    );
    // Taking it over writes the canonical form on the next move.
    d.keys("A alt-j");
    assert_eq!(
        d.result()[0]["value"],
        json!({"ranker": {"rank": ["a", "c", "b"]}})
    );
}

#[test]
fn odd_list_data_says_what_is_wrong_and_never_panics() {
    let task = json!([
        {"data": {"items": "not a list"}},
        {"data": {"items": [{"title": "no id"}, {"id": 1, "title": "One"}, {"id": "1", "title": "One again"}, 7, null]}}
    ]);
    let f = project(RANK, &task.to_string());
    let mut d = open(&f, ".");
    for (w, h) in [(120, 40), (80, 24), (20, 6)] {
        let screen = d.screen(w, h);
        if w > 40 {
            assert!(screen.contains("a List needs a list"), "{screen}");
        }
    }
    d.keys("alt-j j k");
    assert_eq!(d.result(), json!([]));
    d.keys("s");
    let r: Value = serde_json::from_str(&stored(&f)[0]).unwrap();
    assert_eq!(r[0]["value"], json!({"ranker": {"rank": []}}));
    let screen = d.screen(120, 40);
    assert!(
        screen.contains("One again"),
        "the last of a repeated id\n{screen}"
    );
    for (w, h) in [(80, 24), (20, 6), (3, 3)] {
        d.screen(w, h);
    }
    d.keys("alt-j");
    assert_eq!(
        d.result()[0]["value"]["ranker"]["rank"],
        json!(["undefined", "1"]),
        "ids as Label Studio makes them: one per id, index-like first"
    );
}

#[test]
fn a_list_of_thousands_draws_only_what_is_in_view() {
    let f = project(BUCKETS, &items_task(20_000));
    let mut d = open(&f, ".");
    let (screen, took) = d.frame(120, 40);
    assert!(screen.contains("▼"), "{screen}");
    assert!(screen.contains("more below"), "{screen}");
    d.keys("G");
    let (screen, took_end) = d.frame(120, 40);
    assert!(screen.contains("Title 19999"), "{screen}");
    assert!(screen.contains("more above"), "{screen}");
    assert!(
        took.as_millis() < 1000 && took_end.as_millis() < 1000,
        "{took:?} {took_end:?}"
    );
}

#[test]
fn a_list_without_a_ranker_shows_html_items_as_text() {
    let config = r#"<View><List name="shots" value="$images" title="Pictures"/></View>"#;
    let task = json!([{"data": {"images": [
        {"id": "c1", "html": "<img src='/static/samples/chairs/chair1.png'/>"},
        {"id": "c2", "html": "<p>plain <b>words</b></p>"}
    ]}}]);
    let f = project(config, &task.to_string());
    let mut d = open(&f, ".");
    let screen = d.screen(80, 24);
    assert!(screen.contains("[image: chair1.png]"), "{screen}");
    assert!(screen.contains("plain words"), "{screen}");
    d.keys("alt-j");
    assert_eq!(d.result(), json!([]), "a List alone is read-only");
    d.keys("s");
    assert_eq!(stored(&f), vec!["[]"]);
}

#[test]
fn pairwise_j_and_k_scroll_both_objects() {
    let side = |p: &str| {
        (0..60)
            .map(|i| format!("{p}{i:02}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let task = json!([{"data": {"a": side("L"), "b": side("R")}}]);
    let f = project(PAIR, &task.to_string());
    let mut d = open(&f, ".");
    let screen = d.screen(80, 24);
    assert!(screen.contains("L00") && screen.contains("R00"), "{screen}");
    d.keys("j j j");
    let screen = d.screen(80, 24);
    assert!(
        !screen.contains("L00") && !screen.contains("R02"),
        "{screen}"
    );
    assert!(screen.contains("L03") && screen.contains("R03"), "{screen}");
    d.keys("k k k");
    let screen = d.screen(80, 24);
    assert!(screen.contains("L00") && screen.contains("R00"), "{screen}");
    assert_eq!(d.result(), json!([]), "scrolling chooses nothing");
}

#[test]
fn a_ranker_without_its_list_says_so_and_writes_nothing() {
    let config = r#"<View><Text name="t" value="$t"/><Ranker name="rank" toName="t"/>
      <Pairwise name="pw" toName="t,t"/></View>"#;
    let f = project(config, r#"[{"data": {"t": "some text"}}]"#);
    let mut d = open(&f, ".");
    let screen = d.screen(120, 40);
    assert!(
        screen.contains(r#"Ranker needs a List object named "t""#),
        "{screen}"
    );
    assert!(screen.contains("Pairwise needs two different"), "{screen}");
    assert!(screen.contains("some text"), "{screen}");
    d.keys("s");
    assert_eq!(stored(&f), vec!["[]"]);
}

#[test]
fn the_wheel_over_the_panes_reaches_a_ranker() {
    let config = r#"<View><Text name="t" value="$t"/>
      <List name="results" value="$items" title="Results"/><Ranker name="rank" toName="results"/>
      <Choices name="c" toName="t"><Choice value="ok"/></Choices></View>"#;
    let task = json!([{"data": {"t": "some text", "items": [{"id": "a", "title": "Alpha"}]}}]);
    let f = project(config, &task.to_string());
    let mut d = open(&f, ".");
    let focused = |d: &Driver| {
        let t = d.s.app.annotate.task.as_ref().unwrap();
        t.focusables[t.focus]
    };
    let (screen, _) = d.frame(120, 40);
    let (x, y) = find(&screen, "some text");
    mouse(&mut d, MouseEventKind::Down(MouseButton::Left), x, y);
    mouse(&mut d, MouseEventKind::ScrollDown, x, y);
    assert!(
        matches!(focused(&d), labelterm::tui::app::Focus::Control(0)),
        "{:?}",
        focused(&d)
    );
    let (screen, _) = d.frame(120, 40);
    assert!(screen.contains("Alpha"), "{screen}");
}

#[test]
fn a_read_only_ranker_keeps_its_order() {
    let config = RANK.replace(
        r#"toName="results"/>"#,
        r#"toName="results" readonly="true"/>"#,
    );
    let f = project(&config, &items_task(3));
    let mut d = open(&f, ".");
    d.keys("alt-j");
    assert_eq!(d.result(), json!([]));
    assert!(d.message().contains("read-only"), "{}", d.message());
}
