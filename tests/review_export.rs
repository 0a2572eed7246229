//! Review decisions in exports: Label Studio Enterprise's `reviews` records on reviewed
//! annotations only, `--only-reviewed`, and `--ids`.

use labelterm::store::{Decision, ReviewWrite, Store};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn labelterm(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_labelterm"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run labelterm")
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "labelterm failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn choice(c: &str) -> Value {
    json!({"from_name": "c", "to_name": "t", "type": "choices", "value": {"choices": [c]}})
}

/// Four tasks: two annotations on the first, one on the second and third, none on the
/// fourth.
fn project(dir: &Path) -> PathBuf {
    std::fs::write(
        dir.join("c.xml"),
        r#"<View><Text name="t" value="$text"/><Choices name="c" toName="t"><Choice value="A"/><Choice value="B"/></Choices></View>"#,
    )
    .unwrap();
    let tasks = json!([
        {"data": {"text": "one"}, "annotations": [
            {"completed_by": {"email": "ann1@x"}, "result": [choice("A")]},
            {"completed_by": {"email": "ann2@x"}, "result": [choice("B")]}]},
        {"data": {"text": "two"}, "annotations": [
            {"completed_by": {"email": "ann1@x"}, "result": [choice("B")]}]},
        {"data": {"text": "three"}, "annotations": [
            {"completed_by": {"email": "ann2@x"}, "result": []}]},
        {"data": {"text": "four"}}
    ]);
    std::fs::write(dir.join("tasks.json"), tasks.to_string()).unwrap();
    let db = dir.join("p.db");
    ok(labelterm(
        &[
            "init",
            "p.db",
            "--label-config",
            "c.xml",
            "--input-path",
            "tasks.json",
            "--user",
            "importer",
        ],
        dir,
    ));
    db
}

fn export(dir: &Path, out: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "export",
        "p.db",
        "--export-type",
        "JSON",
        "--export-path",
        out,
    ];
    args.extend_from_slice(extra);
    ok(labelterm(&args, dir));
    let file = dir.join(out);
    let file = if file.is_dir() {
        file.join("result.json")
    } else {
        file
    };
    serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap()
}

/// The annotation of task `task` by `who`.
fn annotation(s: &Store, task: i64, who: &str) -> i64 {
    s.task_full(task)
        .unwrap()
        .unwrap()
        .annotations
        .iter()
        .find(|a| a.completed_by_email.as_deref() == Some(who))
        .unwrap()
        .id
}

fn decide(
    s: &mut Store,
    annotation_id: i64,
    reviewer: i64,
    decision: Decision,
    comment: &str,
    fix: Option<Value>,
) {
    s.record_review(&ReviewWrite {
        annotation_id,
        reviewer,
        decision,
        comment: comment.into(),
        fixed_result: fix.map(|f| f.to_string()),
    })
    .unwrap();
}

/// Reviews: task 1 ann1 accepted, ann2 rejected; task 2 fixed (B → A); task 3 rejected
/// then accepted then rejected again. Returns the reviewer's id.
fn review(db: &Path) -> i64 {
    let mut s = Store::open(db).unwrap();
    let rev = s.user_id("rev@x").unwrap();
    let (a1, a2) = (annotation(&s, 1, "ann1@x"), annotation(&s, 1, "ann2@x"));
    let (a3, a4) = (annotation(&s, 2, "ann1@x"), annotation(&s, 3, "ann2@x"));
    decide(&mut s, a1, rev, Decision::Accepted, "", None);
    decide(&mut s, a2, rev, Decision::Rejected, "too hasty", None);
    decide(
        &mut s,
        a3,
        rev,
        Decision::Fixed,
        "",
        Some(json!([choice("A")])),
    );
    decide(&mut s, a4, rev, Decision::Rejected, "", None);
    decide(&mut s, a4, rev, Decision::Accepted, "", None);
    decide(&mut s, a4, rev, Decision::Rejected, "empty", None);
    rev
}

fn ids(tasks: &Value) -> Vec<i64> {
    tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn review_records_appear_on_reviewed_annotations_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = project(dir);
    let before_text = {
        export(dir, "before.json", &["--download-all-tasks"]);
        std::fs::read_to_string(dir.join("before.json")).unwrap()
    };
    assert!(!before_text.contains("\"reviews\""));
    let before: Value = serde_json::from_str(&before_text).unwrap();
    let rev = review(&db);
    let after = export(dir, "after.json", &["--download-all-tasks"]);
    // Task 4 has no annotations, and nothing about it changed.
    assert_eq!(after[3], before[3]);
    // Accepted: one record, not a fix.
    let t1 = &after[0]["annotations"];
    let accepted = &t1[0]["reviews"];
    assert_eq!(accepted.as_array().unwrap().len(), 1, "{accepted}");
    let r = &accepted[0];
    assert_eq!(r["annotation"], t1[0]["id"]);
    assert_eq!(r["created_by"], json!(rev));
    assert_eq!(r["accepted"], json!(true));
    assert_eq!(r["comment"], Value::Null);
    assert_eq!(r["fixed_annotation_history"], Value::Null);
    assert_eq!(r["fixed_annotation_history_result"], Value::Null);
    assert!(r["created_at"].as_str().is_some_and(|s| !s.is_empty()));
    // The annotation itself is as it was, but for its reviews.
    let mut plain = t1[0].clone();
    plain.as_object_mut().unwrap().shift_remove("reviews");
    assert_eq!(plain, before[0]["annotations"][0]);
    // Rejected with a comment.
    let rejected = &t1[1]["reviews"][0];
    assert_eq!(rejected["accepted"], json!(false));
    assert_eq!(rejected["comment"], json!("too hasty"));
    // Fixed: the annotation carries the reviewer's result, the record both results.
    let t2 = &after[1]["annotations"][0];
    assert_eq!(t2["result"], json!([choice("A")]));
    assert_eq!(
        t2["completed_by"],
        before[1]["annotations"][0]["completed_by"]
    );
    let fixed = &t2["reviews"][0];
    assert_eq!(fixed["accepted"], json!(true));
    assert_eq!(fixed["fixed_annotation_history"], fixed["id"]);
    assert_eq!(
        fixed["fixed_annotation_history_result"],
        json!([choice("A")])
    );
    assert_eq!(
        fixed["previous_annotation_history_result"],
        json!([choice("B")])
    );
    // History, oldest first.
    let t3: Vec<_> = after[2]["annotations"][0]["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["accepted"].as_bool().unwrap())
        .collect();
    assert_eq!(t3, [false, true, false]);
}

#[test]
fn only_reviewed_keeps_annotations_whose_latest_review_accepts_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = project(dir);
    // Before any review there is nothing to select: say so.
    let o = labelterm(
        &[
            "export",
            "p.db",
            "--export-path",
            "x.json",
            "--only-reviewed",
        ],
        dir,
    );
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no review decisions"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    review(&db);
    for extra in [
        &["--only-reviewed"][..],
        &["--only-reviewed", "--download-all-tasks"],
    ] {
        let out = export(dir, "reviewed.json", extra);
        // Task 3's latest review rejects it; task 4 has no annotation.
        assert_eq!(ids(&out), [1, 2], "{extra:?}");
        let t1: Vec<_> = out[0]["annotations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["reviews"].as_array().unwrap().len())
            .collect();
        assert_eq!(t1, [1], "only the accepted annotation of task 1");
        assert_eq!(
            out[0]["annotations"][0]["reviews"][0]["accepted"],
            json!(true)
        );
        assert_eq!(
            out[1]["annotations"][0]["reviews"][0]["fixed_annotation_history_result"],
            json!([choice("A")])
        );
    }
}

#[test]
fn ids_export_only_the_listed_tasks_in_any_format() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    project(dir);
    let out = export(dir, "some.json", &["--ids", "4,2", "--download-all-tasks"]);
    assert_eq!(ids(&out), [2, 4]);
    std::fs::write(dir.join("marked.txt"), "3\n1\n").unwrap();
    let out = export(dir, "marked.json", &["--ids", "marked.txt"]);
    assert_eq!(ids(&out), [1, 3]);
    assert_eq!(out[0]["annotations"].as_array().unwrap().len(), 2);
    // A task without annotations stays out unless all tasks are asked for.
    let out = export(dir, "none.json", &["--ids", "4"]);
    assert_eq!(ids(&out), Vec::<i64>::new());
    ok(labelterm(
        &[
            "export",
            "p.db",
            "--export-type",
            "JSON_MIN",
            "--export-path",
            "min.json",
            "--ids",
            "2",
        ],
        dir,
    ));
    let min: Value = serde_json::from_slice(&std::fs::read(dir.join("min.json")).unwrap()).unwrap();
    assert_eq!(min.as_array().unwrap().len(), 1);
    assert_eq!(min[0]["id"], json!(2));
    let bad = labelterm(
        &[
            "export",
            "p.db",
            "--export-path",
            "x.json",
            "--ids",
            "1,two",
        ],
        dir,
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a task id"));
}

/// The JSON written straight from the store equals the value path's, reviews included.
#[test]
fn reviews_from_the_store_equal_the_value_path() {
    use labelterm::export::json::JsonListWriter;
    use labelterm::export::{ExportOptions, ProjectSource, TaskSource};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = project(dir);
    review(&db);
    // A second fix: the first one's made result is what the second replaced.
    {
        let mut s = Store::open(&db).unwrap();
        let rev = s.user_id("rev@x").unwrap();
        let a3 = annotation(&s, 2, "ann1@x");
        decide(
            &mut s,
            a3,
            rev,
            Decision::Fixed,
            "again \"q\"\n",
            Some(json!([choice("B"), choice("A")])),
        );
    }
    for (flag, opts) in [
        (
            "--download-all-tasks",
            ExportOptions {
                download_all_tasks: true,
                ..Default::default()
            },
        ),
        (
            "--remove-user-details",
            ExportOptions {
                remove_user_details: true,
                ..Default::default()
            },
        ),
    ] {
        export(dir, "fast.json", &[flag]);
        let fast = std::fs::read_to_string(dir.join("fast.json")).unwrap();
        let store = Store::open(&db).unwrap();
        let mut source = ProjectSource::new(&store, &opts);
        let mut buf = Vec::new();
        let mut w = JsonListWriter::new(&mut buf).unwrap();
        source
            .for_each_task(&mut |t| {
                w.push(&t.json).unwrap();
                Ok(())
            })
            .unwrap();
        w.finish().unwrap();
        assert_eq!(fast, String::from_utf8(buf).unwrap(), "{flag}");
        let v: Value = serde_json::from_str(&fast).unwrap();
        let fixes = &v[1]["annotations"][0]["reviews"];
        assert_eq!(
            fixes[0]["fixed_annotation_history_result"],
            json!([choice("A")])
        );
        assert_eq!(
            fixes[1]["previous_annotation_history_result"],
            json!([choice("A")])
        );
        assert_eq!(
            fixes[1]["fixed_annotation_history_result"],
            json!([choice("B"), choice("A")])
        );
    }
}
