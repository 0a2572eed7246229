//! `labelterm validate`: the summary (tasks, data keys, problems grouped by kind) as text
//! and as JSON, with the exit codes unchanged.

mod common;

use common::{labelterm, write};
use serde_json::Value;

const CONFIG: &str = r#"<View><Text name="text" value="$text"/>
<Choices name="s" toName="text"><Choice value="pos"/><Choice value="neg"/></Choices></View>"#;

/// Task 1 valid (with a region whose choice the config lacks: a warning), tasks 2 and 3
/// lack `text` (one kind, twice), task 4 has a score out of range (another kind).
const TASKS: &str = r#"[
{"id": 7, "data": {"text": "a", "n": 1}, "annotations": [{"result": [{"from_name": "s", "to_name": "text", "type": "choices", "value": {"choices": ["bad"]}}]}]},
{"id": 8, "data": {"other": "b"}},
{"id": 9, "data": {"txt": "c"}},
{"data": {"text": "d", "n": 2.5}, "predictions": [{"result": [], "score": 3}]}
]"#;

fn json_of(r: &common::Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

#[test]
fn json_groups_problems_by_kind_and_counts_keys() {
    let d = common::tmp();
    let config = write(d.path(), "c.xml", CONFIG);
    let tasks = write(d.path(), "t.json", TASKS);
    let r = labelterm(&[
        "validate",
        "--label-config",
        &config,
        "--input-path",
        &tasks,
        "--format",
        "json",
    ]);
    r.failed(1);
    let v = json_of(&r);
    assert_eq!(v["ok"], false);
    assert_eq!(v["config"]["ok"], true);
    assert_eq!(v["config"]["data_keys"], serde_json::json!(["text"]));
    assert_eq!(
        v["tasks"],
        serde_json::json!({"total": 4, "valid": 1, "with_problems": 3, "annotations": 1, "predictions": 0})
    );
    let keys: Vec<(String, u64, Value)> = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["key"].as_str().unwrap().to_string(),
                k["tasks"].as_u64().unwrap(),
                k["types"].clone(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("text".to_string(), 2, serde_json::json!({"str": 2})),
            ("n".into(), 2, serde_json::json!({"int": 1, "float": 1})),
            ("other".into(), 1, serde_json::json!({"str": 1})),
            ("txt".into(), 1, serde_json::json!({"str": 1})),
        ]
    );
    let problems = &v["problems"];
    assert_eq!(problems["count"], 3);
    let kinds = problems["kinds"].as_array().unwrap();
    assert_eq!(kinds.len(), 2);
    assert_eq!(kinds[0]["field"], "data.text");
    assert_eq!(kinds[0]["message"], "\"text\" key is expected in task data");
    assert_eq!(kinds[0]["count"], 2);
    let examples: Vec<(u64, &str, u64)> = kinds[0]["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["task"].as_u64().unwrap(),
                e["id"].as_str().unwrap(),
                e["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(examples, [(2, "8", 3), (3, "9", 4)]);
    assert_eq!(kinds[1]["field"], "predictions[].score");
    assert_eq!(kinds[1]["count"], 1);
    assert_eq!(v["warnings"]["count"], 1);
    assert_eq!(
        v["warnings"]["kinds"][0]["message"],
        "annotation N: Region N: Invalid value for control 's'"
    );
}

#[test]
fn text_keeps_every_problem_and_adds_the_summary() {
    let d = common::tmp();
    let config = write(d.path(), "c.xml", CONFIG);
    let tasks = write(d.path(), "t.json", TASKS);
    let r = labelterm(&[
        "validate",
        "--label-config",
        &config,
        "--input-path",
        &tasks,
    ]);
    r.failed(1);
    let out = &r.stdout;
    assert!(out.contains("task 2 (id 8): field \"data.text\": \"text\" key is expected in task data; found \"other\""), "{out}");
    assert!(
        out.contains("  tasks: 4 (1 valid, 3 with problems); 1 annotation(s), 0 prediction(s)"),
        "{out}"
    );
    assert!(out.contains("  problems: 3 of 2 kind(s)"), "{out}");
    assert!(
        out.contains("         2  data.text: \"text\" key is expected in task data"),
        "{out}"
    );
    assert!(out.contains("  warnings: 1 of 1 kind(s)"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("txt") && l.contains(" 1  str")),
        "{out}"
    );
    assert!(r.stderr.contains("3 problem(s) found"));
}

#[test]
fn valid_files_exit_zero_in_both_formats() {
    let d = common::tmp();
    let config = write(d.path(), "c.xml", CONFIG);
    let tasks = write(
        d.path(),
        "ok.jsonl",
        "{\"text\": \"a\"}\n{\"text\": \"b\", \"extra\": [1]}\n",
    );
    let r = labelterm(&[
        "validate",
        "--label-config",
        &config,
        "--input-path",
        &tasks,
    ]);
    r.ok();
    assert!(r.stdout.contains("valid: 2 task(s)"), "{}", r.stdout);
    assert!(
        r.stdout.contains("  tasks: 2 (2 valid, 0 with problems)"),
        "{}",
        r.stdout
    );
    let r = labelterm(&[
        "validate",
        "--label-config",
        &config,
        "--input-path",
        &tasks,
        "--format",
        "json",
    ]);
    r.ok();
    let v = json_of(&r);
    assert_eq!(v["ok"], true);
    assert_eq!(v["problems"]["count"], 0);
    assert_eq!(v["inputs"][0]["format"], "jsonl");
    assert_eq!(v["keys"][1]["key"], "extra");
    // A config alone.
    let r = labelterm(&["validate", "--label-config", &config, "--format", "json"]);
    r.ok();
    assert_eq!(json_of(&r)["config"]["controls"], 1);
}

#[test]
fn a_broken_config_is_reported_in_json_with_exit_one() {
    let d = common::tmp();
    let broken = write(d.path(), "b.xml", "<View><Text name='t' value='$t'></View>");
    let r = labelterm(&["validate", "--label-config", &broken, "--format", "json"]);
    r.failed(1);
    let v = json_of(&r);
    assert_eq!(v["ok"], false);
    assert_eq!(v["config"]["ok"], false);
    assert!(v["config"]["error"].as_str().unwrap().contains("b.xml: 1:"));
}

#[test]
fn without_a_config_one_is_inferred() {
    let d = common::tmp();
    let tasks = write(d.path(), "t.json", TASKS);
    let r = labelterm(&["validate", "--input-path", &tasks, "--format", "json"]);
    // No key is in most tasks: `text`, the first of the most common, is shown, so the
    // tasks without it do not fit (the typo `txt` shows).
    r.failed(1);
    let v = json_of(&r);
    assert_eq!(v["config"]["inferred"], true);
    let xml = v["config"]["inferred_config"].as_str().unwrap();
    assert!(
        xml.contains(r#"<Text name="text" value="$text"/>"#),
        "{xml}"
    );
    assert!(
        xml.contains("<!-- left out txt: in 1 of 4 tasks -->"),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<Choices name="s" toName="text" choice="single">"#),
        "{xml}"
    );
    assert_eq!(v["tasks"]["valid"], 1, "{v}");
    assert_eq!(v["problems"]["count"], 3, "{v}");
    labelterm(&["validate"]).failed(2);
}
