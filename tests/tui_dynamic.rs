//! Options from the task (`value="$options"`): drawn with their keys, chosen by key into
//! Label Studio's result shapes (paths for nested options), shapes labelled with them,
//! exported; and the data Label Studio shows in ways of its own (a list given to Text, a
//! control without `toName`).

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use serde_json::{Value, json};

const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];

/// A search-ranking layout of our own: options from the task, then fixed controls.
const RANKING: &str = r#"<View>
  <Text name="query" value="$query"/>
  <Choices name="hits" toName="query" value="$options" choice="multiple"/>
  <Header value="Quality"/>
  <Rating name="quality" toName="query"/>
  <Choices name="sure" toName="query" choice="single">
    <Choice value="Low"/><Choice value="High"/>
  </Choices>
</View>"#;

fn ranking(options: Value) -> Fixture {
    project(
        RANKING,
        &json!([{"query": "how tall is a giraffe", "options": options}]).to_string(),
    )
}

/// The result without the id and origin every region carries.
fn core(r: &Value) -> Value {
    let mut r = r.clone();
    let m = r.as_object_mut().unwrap();
    assert!(m.remove("id").is_some());
    m.remove("origin");
    r
}

#[test]
fn options_from_the_task_are_drawn_with_keys_and_chosen_by_key() {
    let f = ranking(json!([
        {"value": "result1", "html": "<h2>Giraffes</h2><a href='x'>zoo.test/giraffe</a>"},
        {"value": "result2", "html": "<img src='https://img.test/pics/tall.png'/>"},
        {"value": "result3", "hint": "third"}
    ]));
    let mut d = open(&f, ".");
    for (w, h) in SIZES {
        let s = d.screen(w, h);
        // The fixed choices took 1 and 2 when the config loaded; the options follow.
        assert!(
            s.contains("[3] [ ] Giraffes · zoo.test/giraffe"),
            "{w}x{h}\n{s}"
        );
        assert!(
            s.contains("[4] [ ] [image: tall.png] (result2)"),
            "{w}x{h}\n{s}"
        );
        assert!(s.contains("[5] [ ] result3"), "{w}x{h}\n{s}");
        assert!(s.contains("[1] ( ) Low"), "{w}x{h}\n{s}");
        assert!(s.contains("quality (Rating)"), "{w}x{h}\n{s}");
    }
    // The hint of the option under the cursor shows under it.
    d.keys("j j");
    let s = d.screen(120, 40);
    assert!(s.contains("ⓘ third"), "{s}");
    d.keys("3");
    let r = d.result();
    assert_eq!(r.as_array().unwrap().len(), 1);
    assert_eq!(
        core(&r[0]),
        json!({"from_name": "hits", "to_name": "query", "type": "choices",
               "value": {"choices": ["result1"]}})
    );
    d.keys("5");
    assert_eq!(
        d.result()[0]["value"],
        json!({"choices": ["result1", "result3"]})
    );
    let s = d.screen(120, 40);
    assert!(s.contains("[3] [x] Giraffes"), "{s}");
    // The fixed choices still work, and their panel shows it.
    d.keys("2");
    assert_eq!(d.result()[1]["value"], json!({"choices": ["High"]}));
    assert!(d.screen(80, 24).contains("[2] (•) High"));
    d.keys("s");
    let saved: Value =
        serde_json::from_str(&sql(&f.db, "SELECT result FROM annotations")[0]).unwrap();
    assert_eq!(
        saved[0]["value"],
        json!({"choices": ["result1", "result3"]})
    );
}

#[test]
fn a_long_option_list_leaves_the_fixed_controls_in_sight() {
    let options: Vec<Value> = (0..80)
        .map(|i| json!({"value": format!("r{i}"), "html": format!("<h2>Result {i}</h2>")}))
        .collect();
    let f = ranking(Value::Array(options));
    let mut d = open(&f, ".");
    for (w, h) in SIZES {
        let s = d.screen(w, h);
        assert!(s.contains("Result 0"), "{w}x{h}\n{s}");
        // Before, the list filled the side and these were drawn nowhere.
        assert!(s.contains("quality (Rating)"), "{w}x{h}\n{s}");
        assert!(s.contains("sure (Choices)"), "{w}x{h}\n{s}");
    }
}

#[test]
fn nested_options_are_indented_and_chosen_as_paths() {
    let f = project(
        r#"<View><Text name="q" value="$q"/>
        <Choices name="hits" toName="q" value="$options" allowNested="true" choice="multiple"/></View>"#,
        &json!([{"q": "x", "options": [
            {"value": "p", "children": [{"value": "p1"}, {"value": "p2"}]},
            {"value": "q"}
        ]}])
        .to_string(),
    );
    let mut d = open(&f, ".");
    for (w, h) in SIZES {
        let s = d.screen(w, h);
        assert!(s.contains("[1] [ ] p"), "{w}x{h}\n{s}");
        assert!(s.contains("[2]   [ ] p1"), "{w}x{h}\n{s}");
        assert!(s.contains("[3]   [ ] p2"), "{w}x{h}\n{s}");
        assert!(s.contains("[4] [ ] q"), "{w}x{h}\n{s}");
    }
    d.keys("2");
    assert_eq!(
        core(&d.result()[0]),
        json!({"from_name": "hits", "to_name": "q", "type": "choices",
               "value": {"choices": [["p", "p1"]]}})
    );
    // The parent takes its other child along and is listed itself.
    d.keys("1");
    assert_eq!(
        d.result()[0]["value"]["choices"],
        json!([["p"], ["p", "p1"], ["p", "p2"]])
    );
    assert!(d.screen(80, 24).contains("[1] [x] p"));
    d.keys("3");
    assert_eq!(d.result()[0]["value"]["choices"], json!([["p", "p1"]]));
    // Export: the paths go out as they are stored.
    d.keys("s");
    let out = f.dir.path().join("out.json");
    labelterm_export(&f, "JSON", &out);
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        exported[0]["annotations"][0]["result"][0]["value"],
        json!({"choices": [["p", "p1"]]})
    );
    // CSV: one chosen path is the cell, as Label Studio's converter writes it.
    let csv = f.dir.path().join("out.csv");
    labelterm_export(&f, "CSV", &csv);
    let mut rd = csv::Reader::from_path(&csv).unwrap();
    let col = rd
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "hits")
        .unwrap();
    let row = rd.records().next().unwrap().unwrap();
    assert_eq!(&row[col], r#"["p","p1"]"#);
}

fn labelterm_export(f: &Fixture, kind: &str, out: &std::path::Path) {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_labelterm"))
        .arg("export")
        .arg(&f.db)
        .args(["--export-type", kind, "--export-path"])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_chosen_option_exports_to_json_and_csv() {
    let f = ranking(json!([{"value": "result1"}, {"value": "result2"}]));
    let mut d = open(&f, ".");
    d.keys("4 s");
    let out = f.dir.path().join("out.json");
    labelterm_export(&f, "JSON", &out);
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let r = &exported[0]["annotations"][0]["result"][0];
    assert_eq!(
        core(r),
        json!({"from_name": "hits", "to_name": "query", "type": "choices",
               "value": {"choices": ["result2"]}})
    );
    let csv = f.dir.path().join("out.csv");
    labelterm_export(&f, "CSV", &csv);
    let mut rd = csv::Reader::from_path(&csv).unwrap();
    let col = rd
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "hits")
        .unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][col], "result2");
}

#[test]
fn a_label_from_the_task_makes_a_rectangle() {
    let root = sample("image_bbox").display().to_string();
    let f = project(
        r#"<View><Image name="image" value="$image"/>
        <RectangleLabels name="objects" toName="image" value="$kinds"/></View>"#,
        &json!([{"image": "images/street.png",
                 "kinds": [{"value": "Cola", "background": "#ff0000"}, {"value": "Juice"}]}])
        .to_string(),
    );
    let mut d = open(&f, &root);
    for (w, h) in SIZES {
        let s = d.screen(w, h);
        assert!(s.contains("[1]  Cola"), "{w}x{h}\n{s}");
        assert!(s.contains("[2]  Juice"), "{w}x{h}\n{s}");
    }
    d.keys("v H K 2");
    let r = d.result();
    assert_eq!(r[0]["type"], "rectanglelabels");
    assert_eq!(r[0]["from_name"], "objects");
    assert_eq!(r[0]["value"]["rectanglelabels"], json!(["Juice"]));
    assert!(r[0]["value"]["width"].as_f64().unwrap() > 0.0);
    d.keys("s");
    let out = f.dir.path().join("out.json");
    labelterm_export(&f, "JSON", &out);
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        exported[0]["annotations"][0]["result"][0]["value"]["rectanglelabels"],
        json!(["Juice"])
    );
}

#[test]
fn bad_options_say_what_is_wrong_in_the_panel() {
    let f = project(
        r#"<View><Text name="q" value="$q"/><Choices name="hits" toName="q" value="$options"/>
        <Labels name="kinds" toName="q" value="$kinds"/></View>"#,
        &json!([{"q": "x", "options": [{"value": "ok"}, {"label": "no value"}], "kinds": "A,B"}])
            .to_string(),
    );
    let mut d = open(&f, ".");
    for (w, h) in SIZES {
        let s = d.screen(w, h);
        assert!(s.contains("options[1] has no \"value\""), "{w}x{h}\n{s}");
        assert!(
            s.contains("\"kinds\" is a string, not a list"),
            "{w}x{h}\n{s}"
        );
        assert!(s.contains("[1] ( ) ok"), "{w}x{h}\n{s}");
    }
    d.keys("1");
    assert_eq!(d.result()[0]["value"], json!({"choices": ["ok"]}));
}

#[test]
fn a_rating_without_to_name_is_drawn_with_why_it_is_not_saved() {
    let f = project(
        r#"<View><Text name="t" value="$t"/><Rating name="overall" maxRating="7"/>
        <Choices name="ok" toName="t"><Choice value="Yes"/><Choice value="No"/></Choices></View>"#,
        r#"[{"t": "hello"}]"#,
    );
    let mut d = open(&f, ".");
    for (w, h) in SIZES {
        let s = d.screen(w, h);
        assert!(s.contains("overall (Rating)"), "{w}x{h}\n{s}");
        assert!(s.contains("☆☆☆☆☆☆☆ 0/7"), "{w}x{h}\n{s}");
        assert!(s.contains("not saved: no toName"), "{w}x{h}\n{s}");
        assert!(s.contains("[1] ( ) Yes"), "{w}x{h}\n{s}");
    }
    d.keys("1 s");
    let saved = sql(&f.db, "SELECT result FROM annotations");
    assert!(!saved[0].contains("overall"), "{saved:?}");
}

#[test]
fn text_given_a_list_shows_it_as_label_studio_does() {
    let f = project(
        r#"<View><Labels name="l" toName="doc"><Label value="A"/></Labels><Text name="doc" value="$doc"/></View>"#,
        r#"[{"doc": ["First part.", "Second part."]}]"#,
    );
    let mut d = open(&f, ".");
    for (w, h) in SIZES {
        let s = d.screen(w, h);
        // One item a line, each but the last ending in the comma Label Studio joins with.
        let first = s
            .lines()
            .position(|l| l.contains("│First part.,"))
            .unwrap_or_else(|| panic!("{w}x{h}\n{s}"));
        assert!(
            s.lines().nth(first + 1).unwrap().contains("│Second part."),
            "{w}x{h}\n{s}"
        );
        assert!(!s.contains("[\"First"), "{w}x{h}\n{s}");
    }
    // The word under the cursor is the first one; offsets count in the joined text.
    d.keys("1");
    assert_eq!(
        d.result()[0]["value"],
        json!({"start": 0, "end": 5, "text": "First", "labels": ["A"]})
    );
    // The start of the second line is the next item, after the comma: code point 12.
    d.keys("j home 1");
    assert_eq!(
        d.result()[1]["value"],
        json!({"start": 12, "end": 18, "text": "Second", "labels": ["A"]})
    );
}

#[test]
fn taxonomy_options_from_the_task_are_picked_from_the_tree() {
    let f = project(
        r#"<View><Text name="q" value="$q"/><Taxonomy name="tx" toName="q" value="$tree"/></View>"#,
        &json!([{"q": "x", "tree": [
            {"value": "Animals", "children": [{"value": "Cat"}, {"value": "Dog"}]},
            {"value": "Plants"}
        ]}])
        .to_string(),
    );
    let mut d = open(&f, ".");
    d.keys("enter l j space esc");
    assert_eq!(
        core(&d.result()[0]),
        json!({"from_name": "tx", "to_name": "q", "type": "taxonomy",
               "value": {"taxonomy": [["Animals", "Cat"]]}})
    );
    for (w, h) in SIZES {
        let s = d.screen(w, h);
        assert!(s.contains("• Animals / Cat"), "{w}x{h}\n{s}");
    }
}

#[test]
fn options_marked_selected_start_a_new_answer() {
    let f = project(
        r#"<View><Text name="q" value="$q"/>
        <Choices name="hits" toName="q" value="$options" allowNested="true" choice="multiple"/>
        <Choices name="flat" toName="q" value="$flat"/></View>"#,
        &json!([{"q": "x",
                 "options": [{"value": "p", "children": [{"value": "p1", "selected": true}, {"value": "p2"}]}],
                 "flat": [{"value": "a"}, {"value": "b", "selected": true}]}])
        .to_string(),
    );
    let mut d = open(&f, ".");
    let r = d.result();
    assert_eq!(r[0]["value"], json!({"choices": [["p", "p1"]]}));
    assert_eq!(r[1]["value"], json!({"choices": ["b"]}));
    let s = d.screen(120, 40);
    assert!(s.contains("[2]   [x] p1"), "{s}");
    assert!(s.contains("[1] [ ] p"), "{s}");
    // Taken back, it stays taken back: a resumed draft is not preselected again.
    d.keys("2");
    assert_eq!(d.result().as_array().unwrap().len(), 1);
    d.keys("s");
    let saved: Value =
        serde_json::from_str(&sql(&f.db, "SELECT result FROM annotations")[0]).unwrap();
    assert_eq!(saved[0]["value"], json!({"choices": ["b"]}));
}

#[test]
fn a_hundred_thousand_options_draw_only_their_visible_rows() {
    let options: Vec<Value> = (0..100_000)
        .map(|i| json!({"value": format!("o{i}"), "html": format!("<b>option {i}</b>")}))
        .collect();
    let f = ranking(Value::Array(options));
    let mut d = open(&f, ".");
    for (w, h) in SIZES {
        let (s, took) = d.frame(w, h);
        assert!(
            took < std::time::Duration::from_secs(1),
            "{w}x{h} took {took:?}"
        );
        assert!(s.contains("[3] [ ] option 0 (o0)"), "{w}x{h}\n{s}");
        assert!(s.contains("more below"), "{w}x{h}\n{s}");
        assert!(s.contains("quality (Rating)"), "{w}x{h}\n{s}");
    }
    d.keys("4");
    assert_eq!(d.result()[0]["value"], json!({"choices": ["o1"]}));
}
