//! The agreement API the screens use: `refresh_agreement` keeps `tasks.agreement` current
//! and `report` gives every figure, on a project of spans, boxes, polygons and text areas
//! whose answers are worked out by hand below.

use labelterm::project::{self, NewProject};
use labelterm::review::agreement::{TaskAgreement, refresh_agreement, report};
use serde_json::{Value, json};

const CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Labels name="ner" toName="text"><Label value="PER"/><Label value="ORG"/></Labels>
  <Image name="img" value="$img"/>
  <RectangleLabels name="box" toName="img"><Label value="Car"/></RectangleLabels>
  <PolygonLabels name="poly" toName="img"><Label value="Road"/></PolygonLabels>
  <TextArea name="note" toName="text"/>
</View>"#;

fn span(s: i64, e: i64, l: &str) -> Value {
    json!({"from_name": "ner", "to_name": "text", "type": "labels",
           "value": {"start": s, "end": e, "text": "x", "labels": [l]}})
}

fn rect(x: f64, w: f64, rotation: f64) -> Value {
    json!({"from_name": "box", "to_name": "img", "type": "rectanglelabels",
           "original_width": 100, "original_height": 100,
           "value": {"x": x, "y": 0, "width": w, "height": 10, "rotation": rotation, "rectanglelabels": ["Car"]}})
}

fn poly(points: Value) -> Value {
    json!({"from_name": "poly", "to_name": "img", "type": "polygonlabels",
           "original_width": 100, "original_height": 100,
           "value": {"points": points, "polygonlabels": ["Road"]}})
}

fn note(t: &str) -> Value {
    json!({"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": [t]}})
}

fn ann(who: &str, result: Vec<Value>) -> Value {
    json!({"completed_by": {"email": who}, "result": result})
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn refresh_and_report_on_spans_boxes_polygons_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let data = json!({"text": "some text", "img": "a.png"});
    let tasks = json!([
        // Task 1, spans. a: PER [0,10), PER [20,30), ORG [40,45); b: PER [5,10),
        // PER [20,30). Matches: [20,30) with itself (1), [0,10) with [5,10) (5/10 = 0.5);
        // ORG unmatched. (1 + 0.5) / max(3, 2) = 0.5.
        {"data": data, "annotations": [
            ann("a", vec![span(0, 10, "PER"), span(20, 30, "PER"), span(40, 45, "ORG")]),
            ann("b", vec![span(5, 10, "PER"), span(20, 30, "PER")])]},
        // Task 2, boxes. a: x 0 w 10; b: x 2 w 10 → intersection 8x10 = 80, union
        // 200 − 80 = 120 → 2/3. c: the same box turned 180° about its top-left corner
        // covers [−10,0]x[−10,0]: no overlap with a or b → 0. Task (2/3 + 0 + 0) / 3 = 2/9.
        {"data": data, "annotations": [
            ann("a", vec![rect(0.0, 10.0, 0.0)]),
            ann("b", vec![rect(2.0, 10.0, 0.0)]),
            ann("c", vec![rect(0.0, 10.0, 180.0)])]},
        // Task 3, polygons. a: the square (0,0)-(10,10), area 100; b: the triangle
        // (0,0),(10,0),(0,10), area 50, inside it → 50/100 = 0.5.
        {"data": data, "annotations": [
            ann("a", vec![poly(json!([[0, 0], [10, 0], [10, 10], [0, 10]]))]),
            ann("b", vec![poly(json!([[0, 0], [10, 0], [0, 10]]))])]},
        // Task 4, text: "flaw" → "lawn": 2 edits over 4 characters → 0.5.
        {"data": data, "annotations": [ann("a", vec![note("flaw")]), ann("b", vec![note("lawn")])]},
        // Task 5, one annotation: no agreement.
        {"data": data, "annotations": [ann("a", vec![note("x")])]}
    ]);
    let tasks_path = dir.path().join("t.json");
    std::fs::write(&tasks_path, tasks.to_string()).unwrap();
    let config_path = dir.path().join("c.xml");
    std::fs::write(&config_path, CONFIG).unwrap();
    let project_path = dir.path().join("p.db");
    let mut new = NewProject::new(&config_path, "importer");
    new.inputs = vec![tasks_path.display().to_string()];
    project::create(&project_path, &new).unwrap();

    let (mut store, config) = project::open(&project_path).unwrap();
    assert_eq!(store.stale_agreement_count().unwrap(), 5);
    assert_eq!(refresh_agreement(&mut store, &config).unwrap(), 5);
    assert_eq!(store.stale_agreement_count().unwrap(), 0);
    assert_eq!(refresh_agreement(&mut store, &config).unwrap(), 0);
    let stored: Vec<Option<f64>> = (1..=5).map(|t| store.task_agreement(t).unwrap()).collect();
    let expected = [Some(0.5), Some(2.0 / 9.0), Some(0.5), Some(0.5), None];
    for (got, want) in stored.iter().zip(expected) {
        match (got, want) {
            (Some(g), Some(w)) => assert!(near(*g, w), "{stored:?}"),
            (g, w) => assert_eq!(*g, w, "{stored:?}"),
        }
    }

    let mut streamed: Vec<TaskAgreement> = Vec::new();
    let r = report(&store, &config, 2, |t| streamed.push(t.clone())).unwrap();
    assert_eq!(streamed.len(), 4);
    // (0.5 + 2/9 + 0.5 + 0.5) / 4 = (31/18) / 4 = 31/72.
    assert!(near(r.overall.value().unwrap(), 31.0 / 72.0));
    assert!(near(r.per_control["ner"].value().unwrap(), 0.5));
    assert!(near(r.per_control["box"].value().unwrap(), 2.0 / 9.0));
    assert!(near(r.per_control["poly"].value().unwrap(), 0.5));
    assert!(near(r.per_control["note"].value().unwrap(), 0.5));
    // a–b over tasks 1–4: (0.5 + 2/3 + 0.5 + 0.5) / 4 = 13/24; a–c and b–c: task 2, 0.
    let m = |x: &str, y: &str| r.matrix[x][y].value().unwrap();
    assert!(near(m("a", "b"), 13.0 / 24.0) && near(m("b", "a"), 13.0 / 24.0));
    assert_eq!((m("a", "c"), m("c", "b")), (0.0, 0.0));
    // The two lowest: task 2 (2/9), then task 1 (0.5, lowest id among the ties).
    assert_eq!(
        r.lowest.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert_eq!(r.lowest[0].annotators, ["a", "b", "c"]);
}
