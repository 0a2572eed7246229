//! `labelterm agreement` and the agreement figures of `labelterm stats`, on projects whose
//! answers are worked out by hand below.

mod common;
use common::*;
use serde_json::{Value, json};
use std::path::Path;

const CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Pos"/>
    <Choice value="Neg"/>
  </Choices>
  <TextArea name="note" toName="text"/>
</View>
"#;

fn choice(v: &str) -> Value {
    json!([{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": [v]}}])
}

fn note(v: &str) -> Value {
    json!([{"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": [v]}}])
}

fn ann(who: &str, result: Value) -> Value {
    json!({"completed_by": {"email": who}, "result": result})
}

/// Task 1: a Pos, b Pos, c Neg → pairs (a,b) 1, (a,c) 0, (b,c) 0; task 1/3.
/// Task 2: a Pos, b Neg → 0. A prediction "m1" says Pos: 1 against a, 0 against b.
/// Task 3: a Pos, and a skipped annotation by d, which does not count: no agreement.
/// Task 4: a "kitten", c "sitting" (3 edits over 7 characters) → 4/7.
/// Overall (1/3 + 0 + 4/7) / 3 = 19/63. Per control: sentiment (1/3 + 0) / 2 = 1/6,
/// note 4/7. Matrix: a–b (1 + 0) / 2 = 1/2, a–c (0 + 4/7) / 2 = 2/7, b–c 0.
/// m1: accuracy 1/2; Pos tp 1 fp 1 → precision 1/2, recall 1, F1 2/3; Neg fn 1 → no
/// precision, recall 0, F1 0.
fn project(dir: &Path) -> String {
    let tasks = json!([
        {"data": {"text": "one"}, "annotations": [ann("a", choice("Pos")), ann("b", choice("Pos")), ann("c", choice("Neg"))]},
        {"data": {"text": "two"}, "annotations": [ann("a", choice("Pos")), ann("b", choice("Neg"))],
         "predictions": [{"model_version": "m1", "result": choice("Pos")}]},
        {"data": {"text": "three"}, "annotations": [ann("a", choice("Pos")),
            {"completed_by": {"email": "d"}, "result": choice("Neg"), "was_cancelled": true}]},
        {"data": {"text": "four"}, "annotations": [ann("a", note("kitten")), ann("c", note("sitting"))]},
        {"data": {"text": "five"}}
    ]);
    let project = path(dir, "p.db");
    let config = write(dir, "c.xml", CONFIG);
    let input = write(dir, "t.json", tasks.to_string());
    labelterm(&[
        "init",
        &project,
        "--label-config",
        &config,
        "--input-path",
        &input,
    ])
    .ok();
    project
}

fn close(v: &Value, x: f64) -> bool {
    v.as_f64().is_some_and(|v| (v - x).abs() < 1e-9)
}

fn agreement_json(project: &str) -> Value {
    let r = labelterm(&["agreement", project, "--json"]);
    r.ok();
    serde_json::from_str(&r.stdout).expect("agreement --json prints one object")
}

#[test]
fn agreement_json_has_every_figure_worked_out_by_hand() {
    let dir = tmp();
    let project = project(dir.path());
    let v = agreement_json(&project);
    assert!(close(&v["overall"], 19.0 / 63.0), "{v:#}");
    assert!(close(&v["per_control"]["sentiment"], 1.0 / 6.0), "{v:#}");
    assert!(close(&v["per_control"]["note"], 4.0 / 7.0), "{v:#}");
    let tasks = v["tasks"].as_array().unwrap();
    let figures: Vec<f64> = tasks
        .iter()
        .map(|t| t["agreement"].as_f64().unwrap())
        .collect();
    assert_eq!(tasks.len(), 3, "{v:#}");
    assert!((figures[0] - 1.0 / 3.0).abs() < 1e-9 && figures[1] == 0.0);
    assert!((figures[2] - 4.0 / 7.0).abs() < 1e-9);
    assert_eq!(tasks[0]["annotators"], json!(["a", "b", "c"]));
    assert_eq!(tasks[2]["annotators"], json!(["a", "c"]));
    let m = &v["matrix"];
    assert!(
        close(&m["a"]["b"], 0.5) && close(&m["b"]["a"], 0.5),
        "{m:#}"
    );
    assert!(close(&m["a"]["c"], 2.0 / 7.0), "{m:#}");
    assert!(close(&m["b"]["c"], 0.0), "{m:#}");
    assert!(
        m.get("d").is_none(),
        "a skipped annotation is no agreement: {m:#}"
    );
    let m1 = &v["predictions"]["m1"];
    assert!(close(&m1["accuracy"], 0.5), "{m1:#}");
    let pos = &m1["labels"]["Pos"];
    assert!(close(&pos["precision"], 0.5) && close(&pos["recall"], 1.0));
    assert!(close(&pos["f1"], 2.0 / 3.0));
    let neg = &m1["labels"]["Neg"];
    assert!(neg["precision"].is_null() && close(&neg["recall"], 0.0) && close(&neg["f1"], 0.0));

    // The command stored each task's figure and cleared every stale mark.
    let c = rusqlite::Connection::open(&project).unwrap();
    let stored: Vec<(i64, Option<f64>, i64)> = c
        .prepare("SELECT id, agreement, agreement_stale FROM tasks ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(stored.iter().all(|s| s.2 == 0), "{stored:?}");
    let with_figure: Vec<(i64, f64)> = stored.iter().filter_map(|s| Some((s.0, s.1?))).collect();
    let listed: Vec<(i64, f64)> = tasks
        .iter()
        .map(|t| (t["id"].as_i64().unwrap(), t["agreement"].as_f64().unwrap()))
        .collect();
    assert_eq!(with_figure, listed);

    // A changed annotation marks its task stale; the next run recomputes it: task 2's b
    // now says Pos, so task 2 agrees (1) and overall is (1/3 + 1 + 4/7) / 3 = 40/63.
    c.execute(
        "UPDATE annotations SET result = ?1 WHERE id = (SELECT a.id FROM annotations a
         JOIN users u ON u.id = a.completed_by WHERE a.task_id = ?2 AND u.email = 'b')",
        rusqlite::params![choice("Pos").to_string(), listed[1].0],
    )
    .unwrap();
    let stale: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM tasks WHERE agreement_stale = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stale, 1);
    let v = agreement_json(&project);
    assert!(close(&v["overall"], 40.0 / 63.0), "{v:#}");
    let now: f64 = c
        .query_row(
            "SELECT agreement FROM tasks WHERE id = ?1",
            [listed[1].0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(now, 1.0);
}

#[test]
fn agreement_text_is_readable_and_safe() {
    let dir = tmp();
    let project = project(dir.path());
    let r = labelterm(&["agreement", &project]);
    r.ok();
    let out = &r.stdout;
    // 19/63 = 0.3016.
    assert!(out.contains("agreement    0.302 over 3 task(s)"), "{out}");
    assert!(out.contains("sentiment  0.167"), "{out}");
    assert!(out.contains("lowest tasks\n  task 2 "), "{out}");
    assert!(out.contains("predictions m1: accuracy 0.500"), "{out}");
    let matrix_row = out
        .lines()
        .find(|l| l.starts_with("  a "))
        .expect("a row of the matrix");
    assert_eq!(
        matrix_row.split_whitespace().collect::<Vec<_>>(),
        ["a", "–", "0.500", "0.286"],
        "{out}"
    );

    // An annotator's name with escape sequences reaches the terminal escaped.
    let evil_dir = tmp();
    let tasks = json!([{"data": {"text": "x"}, "annotations": [
        ann("\u{1b}[31mred\u{202e}", choice("Pos")), ann("b", choice("Pos"))]}]);
    let p = path(evil_dir.path(), "e.db");
    let config = write(evil_dir.path(), "c.xml", CONFIG);
    let input = write(evil_dir.path(), "t.json", tasks.to_string());
    labelterm(&[
        "init",
        &p,
        "--label-config",
        &config,
        "--input-path",
        &input,
    ])
    .ok();
    for args in [vec!["agreement", &p], vec!["agreement", &p, "--json"]] {
        let r = labelterm(&args);
        r.ok();
        assert!(
            !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{202e}'),
            "{:?}",
            r.stdout
        );
    }
    let v = agreement_json(&p);
    assert!(
        v["matrix"]["\u{1b}[31mred\u{202e}"]["b"] == json!(1.0),
        "the JSON still holds the name itself: {v}"
    );
}

#[test]
fn boxes_from_the_command_line() {
    let dir = tmp();
    let config = write(
        dir.path(),
        "c.xml",
        r#"<View><Image name="img" value="$img"/>
        <RectangleLabels name="box" toName="img"><Label value="Cat"/></RectangleLabels>
        </View>"#,
    );
    let rect = |x: f64| {
        json!([{"from_name": "box", "to_name": "img", "type": "rectanglelabels", "original_width": 100, "original_height": 100,
                "value": {"x": x, "y": 0, "width": 10, "height": 10, "rotation": 0, "rectanglelabels": ["Cat"]}}])
    };
    // [0,10]x[0,10] and [5,15]x[0,10]: 50 / 150 = 1/3.
    let tasks = json!([{"data": {"img": "a.png"}, "annotations": [ann("a", rect(0.0)), ann("b", rect(5.0))]}]);
    let input = write(dir.path(), "t.json", tasks.to_string());
    let p = path(dir.path(), "p.db");
    labelterm(&[
        "init",
        &p,
        "--label-config",
        &config,
        "--input-path",
        &input,
    ])
    .ok();
    let v = agreement_json(&p);
    assert!(close(&v["overall"], 1.0 / 3.0), "{v:#}");
    assert!(close(&v["per_control"]["box"], 1.0 / 3.0), "{v:#}");
}

#[test]
fn stats_gains_frequencies_per_annotator_and_model_and_agreement() {
    let dir = tmp();
    let project = project(dir.path());
    let s = stats(&project);
    // Existing keys are unchanged.
    assert_eq!(s["tasks"], 5);
    assert_eq!(s["controls"]["sentiment"]["annotations"]["Pos"], 4);
    assert_eq!(s["controls"]["sentiment"]["predictions"]["Pos"], 1);
    // a: Pos three times and one note (texts have no labels); b: Pos, Neg.
    assert_eq!(s["annotators"]["a"]["annotations"], 4);
    assert_eq!(s["annotators"]["a"]["labels"]["sentiment"]["Pos"], 3);
    assert_eq!(
        s["annotators"]["b"]["labels"]["sentiment"],
        json!({"Pos": 1, "Neg": 1})
    );
    assert!(
        s["annotators"].get("d").is_none(),
        "skipped annotations are not counted"
    );
    assert_eq!(s["model_versions"]["m1"]["predictions"], 1);
    assert_eq!(s["model_versions"]["m1"]["labels"]["sentiment"]["Pos"], 1);
    assert!(close(&s["agreement"]["overall"], 19.0 / 63.0), "{s:#}");
    assert!(close(&s["agreement"]["predictions"]["m1"]["accuracy"], 0.5));
    let text = labelterm(&["stats", &project]);
    text.ok();
    assert!(
        text.stdout
            .contains("annotator b  2 annotation(s)\n  sentiment: Pos 1, Neg 1"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("model_version m1  1 prediction(s)"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("agreement    0.302"),
        "{}",
        text.stdout
    );
}
