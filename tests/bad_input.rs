//! Bad input: every case gets a clear message naming the file, the place and the field,
//! exits 1, and leaves the project exactly as it was (a failed `init` leaves no file).

mod common;
use common::*;

const CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
</View>"#;

/// Imports `content` (as `name`) into a project holding one good task; checks the exit
/// code, that every `expect` appears in the output, and that the project did not change.
fn rejected(name: &str, content: &[u8], expect: &[&str]) {
    let dir = tmp();
    let config = write(dir.path(), "config.xml", CONFIG);
    let good = write(dir.path(), "good.json", r#"[{"text": "fine"}]"#);
    let project = path(dir.path(), "p.db");
    labelterm(&[
        "init",
        &project,
        "--label-config",
        &config,
        "--input-path",
        &good,
    ])
    .ok();
    let before = dump(&project);
    let bad = write(dir.path(), name, content);
    let r = labelterm(&["import", &project, "--input-path", &bad]);
    r.failed(1);
    let out = r.all();
    for e in expect {
        assert!(out.contains(e), "{name}: expected {e:?} in:\n{out}");
    }
    assert!(
        out.contains(name),
        "{name}: the message names the file:\n{out}"
    );
    assert_eq!(dump(&project), before, "{name}: the project changed");
    // The same input through `validate` is reported with the same words, exit 1.
    let v = labelterm(&["validate", "--label-config", &config, "--input-path", &bad]);
    v.failed(1);
    for e in expect {
        assert!(
            v.all().contains(e),
            "validate {name}: expected {e:?} in:\n{}",
            v.all()
        );
    }
    // And a failed init leaves no project file.
    let fresh = path(dir.path(), "fresh.db");
    labelterm(&[
        "init",
        &fresh,
        "--label-config",
        &config,
        "--input-path",
        &good,
        "--input-path",
        &bad,
    ])
    .failed(1);
    assert!(
        !std::path::Path::new(&fresh).exists(),
        "{name}: init left a file"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".fresh"))
        .collect();
    assert!(leftovers.is_empty(), "{name}: temporary files left behind");
}

#[test]
fn malformed_json_names_line_and_column() {
    rejected(
        "broken.json",
        b"[\n  {\"text\": \"a\"},\n  {\"text\" \"b\"}\n]\n",
        &["broken.json:3:11", "invalid JSON: expected `:`"],
    );
    rejected(
        "unclosed.json",
        b"[{\"text\": \"a\"}, {\"text\": \"b}]",
        &["unexpected end of file"],
    );
    rejected(
        "trailing.json",
        b"[{\"text\": \"a\"},]",
        &["trailing comma"],
    );
    rejected(
        "scalar.json",
        b"42",
        &["Unsupported or invalid JSON structure"],
    );
}

#[test]
fn jsonl_errors_name_the_line() {
    rejected(
        "t.jsonl",
        b"{\"text\": \"a\"}\n{\"text\": }\n",
        &["t.jsonl:2:", "invalid JSON"],
    );
}

#[test]
fn ragged_csv_names_the_record() {
    rejected(
        "r.csv",
        b"text,extra\nok,1\ntoo,many,fields\n",
        &["r.csv:3", "record 2", "expected 2 fields"],
    );
}

#[test]
fn invalid_utf8_everywhere() {
    rejected(
        "bad.txt",
        b"fine\nbad \xff\xfe here\n",
        &["bad.txt:2:5", "invalid UTF-8"],
    );
    rejected(
        "bad.csv",
        b"text\nok\n\xff\n",
        &["bad.csv", "invalid UTF-8"],
    );
    rejected(
        "bad.json",
        b"[{\"text\": \"\xff\"}]",
        &["bad.json:1", "invalid JSON"],
    );
}

#[test]
fn empty_files() {
    rejected("empty.json", b"", &["empty file"]);
    rejected("empty.txt", b"", &["empty file"]);
    rejected("empty.csv", b"", &["No columns to parse"]);
    rejected("header_only.csv", b"text\n", &["No tasks added"]);
    rejected("empty_list.json", b"[]", &["No tasks added"]);
    rejected("blank.json", b"  \n ", &["empty file"]);
}

#[test]
fn missing_keys_name_task_and_keys_found() {
    rejected(
        "missing.json",
        b"[{\"text\": \"ok\"}, {\"id\": 41, \"data\": {\"body\": \"x\", \"title\": \"y\"}}]",
        &[
            "missing.json:1:18",
            "task 2 (id 41)",
            "field \"data.text\"",
            "\"text\" key is expected in task data; found \"body\", \"title\"",
        ],
    );
}

#[test]
fn unknown_labels_in_predictions_name_region_and_options() {
    rejected(
        "preds.json",
        br#"[{"data": {"text": "a"}, "predictions": [{"result": [
            {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}},
            {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Meh"]}}]}]}]"#,
        &["task 1", "predictions[0].result[1]", "Region 2", "Invalid value for control 'sentiment'", "Valid options: ['Positive', 'Negative']"],
    );
    rejected(
        "names.json",
        br#"[{"data": {"text": "a"}, "predictions": [{"result": [{"from_name": "nope", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}]}]}]"#,
        &["from_name 'nope' is not a control", "['sentiment']"],
    );
    rejected(
        "score.json",
        br#"[{"data": {"text": "a"}, "predictions": [{"score": 7, "result": []}]}]"#,
        &["Score must be between 0.00 and 1.00 inclusive, got 7"],
    );
}

#[test]
fn absurd_nesting_is_an_error_not_a_crash() {
    let deep = format!(
        "[{{\"text\": \"a\", \"x\": {}{}}}]",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    rejected(
        "deep.json",
        deep.as_bytes(),
        &["deep.json:1:2", "nested deeper than 100 levels"],
    );
    let deep_line = format!(
        "{{\"text\": {}\"a\"{}}}\n",
        "[".repeat(200),
        "]".repeat(200)
    );
    rejected(
        "deep.jsonl",
        format!("{{\"text\": \"ok\"}}\n{deep_line}").as_bytes(),
        &["deep.jsonl:2:1", "nested deeper"],
    );
}

#[test]
fn task_shapes_from_label_studio_upload_tests() {
    rejected("t1.json", b"[{}]", &["\"text\" key is expected"]);
    rejected("t2.json", b"{\"data\": {}}", &["\"text\" key is expected"]);
    rejected(
        "t3.json",
        b"{\"data\": null}",
        &["\"text\" key is expected"],
    );
    rejected(
        "t4.json",
        b"{\"data\": \"string\"}",
        &["Task[data] must be dict"],
    );
    rejected(
        "t5.json",
        b"[{\"data\": {\"text\": \"a\"}, \"meta\": \"test\"}]",
        &["Task[meta] must be dict or list"],
    );
    rejected(
        "t6.json",
        b"[{\"data\": {\"text\": \"a\"}, \"annotations\": \"test\"}]",
        &["Task[annotations] must be list"],
    );
    rejected(
        "t7.json",
        b"[{\"data\": {\"text\": \"a\"}, \"annotations\": [{}]}]",
        &["Annotation must have \"result\" fields"],
    );
    rejected(
        "t8.json",
        b"[{\"data\": {\"text\": \"a\"}, \"predictions\": [{\"score\": 0.5}]}]",
        &["Prediction must have \"result\" fields"],
    );
    rejected("t9.json", b"[\"a\", \"b\"]", &["Task root must be dict"]);
}

#[test]
fn bad_config_is_reported_with_its_position() {
    let dir = tmp();
    let config = write(
        dir.path(),
        "c.xml",
        "<View>\n  <Text name=\"t\" value=\"$t\"/>\n  <Choices name=\"c\" toName=\"nope\"><Choice value=\"a\"/></Choices>\n</View>",
    );
    let r = labelterm(&["validate", "--label-config", &config]);
    r.failed(1);
    assert!(
        r.all()
            .contains("c.xml: 3:3: toName=\"nope\" not found in names: ['c', 't']"),
        "{}",
        r.all()
    );
    let project = path(dir.path(), "p.db");
    labelterm(&["init", &project, "--label-config", &config]).failed(1);
    assert!(!std::path::Path::new(&project).exists());
    let broken = write(
        dir.path(),
        "b.xml",
        "<View><Text name='t' value='$t'></View>",
    );
    let r = labelterm(&["validate", "--label-config", &broken]);
    r.failed(1);
    assert!(r.all().contains("b.xml: 1:"), "{}", r.all());
}

#[test]
fn usage_errors_exit_2() {
    labelterm(&["import"]).failed(2);
    labelterm(&["init", "x.db"]).failed(2);
    labelterm(&[
        "export",
        "x.db",
        "--export-type",
        "NOPE",
        "--export-path",
        "o",
    ])
    .failed(2);
    labelterm(&[
        "import",
        "x.db",
        "--input-path",
        "a",
        "--input-format",
        "docx",
    ])
    .failed(2);
}

#[test]
fn missing_project_and_existing_target() {
    let dir = tmp();
    let r = labelterm(&["stats", &path(dir.path(), "nope.db")]);
    r.failed(1);
    assert!(r.all().contains("no such project"), "{}", r.all());
    let config = write(dir.path(), "c.xml", CONFIG);
    let project = path(dir.path(), "p.db");
    labelterm(&["init", &project, "--label-config", &config]).ok();
    let r = labelterm(&["init", &project, "--label-config", &config]);
    r.failed(1);
    assert!(r.all().contains("already exists"), "{}", r.all());
    let not_db = write(dir.path(), "notes.db", "plain text");
    labelterm(&["stats", &not_db]).failed(1);
}

#[test]
fn more_than_a_hundred_problems_are_counted() {
    let mut s = String::from("[");
    for i in 0..250 {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"body\": \"x\"}");
    }
    s.push(']');
    let dir = tmp();
    let config = write(dir.path(), "c.xml", CONFIG);
    let bad = write(dir.path(), "many.json", s);
    let r = labelterm(&["validate", "--label-config", &config, "--input-path", &bad]);
    r.failed(1);
    assert!(
        r.all().contains("... and 150 more problem(s)"),
        "{}",
        r.all()
    );
    assert!(r.all().contains("250 problem(s) found"));
}

#[test]
fn export_arguments_that_name_nothing_in_the_project_are_usage_errors() {
    let dir = tmp();
    let config = write(dir.path(), "c.xml", CONFIG);
    let project = path(dir.path(), "p.db");
    labelterm(&["init", &project, "--label-config", &config]).ok();
    let out = path(dir.path(), "out.json");
    let r = labelterm(&[
        "export",
        &project,
        "--export-path",
        &out,
        "--annotator",
        "nobody",
    ]);
    r.failed(2);
    assert!(
        r.stderr
            .contains("error: no user \"nobody\" in this project; its users: tester (1)"),
        "{}",
        r.stderr
    );
    let r = labelterm(&["export", &project, "--export-path", &out, "--only-reviewed"]);
    r.failed(2);
    assert!(
        r.stderr
            .contains("--only-reviewed: this project has no review decisions yet"),
        "{}",
        r.stderr
    );
}
