//! `labelterm query` on a small hand-made project: each operator, and/or, sort, search,
//! frequency tables, count and the output formats.

mod common;
use common::*;

const CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Choices name="mood" toName="text">
    <Choice value="Happy"/>
    <Choice value="Sad"/>
  </Choices>
</View>"#;

fn choice(v: &str) -> String {
    format!(
        r#"[{{"from_name": "mood", "to_name": "text", "type": "choices", "value": {{"choices": ["{v}"]}}}}]"#
    )
}

/// Five tasks:
/// 1 "sunny beach day" (meta.lang en, n "10"): ann Happy, bob Sad; model m1 0.9 Happy
/// 2 "rainy office" (fr, "9"): ann Happy; model m2 0.2 Sad
/// 3 "sunny office" (en): model m1 0.5 Happy
/// 4 "quiet night" (no meta)
/// 5 "\e]0;pwned\a loud" (de): nothing
fn project(dir: &std::path::Path) -> String {
    let tasks = format!(
        r#"[
  {{"data": {{"text": "sunny beach day", "meta": {{"lang": "en", "n": "10"}}}},
    "annotations": [{{"result": {h}, "completed_by": {{"email": "ann@x.org"}}}},
                    {{"result": {s}, "completed_by": {{"email": "bob@x.org"}}}}],
    "predictions": [{{"model_version": "m1", "score": 0.9, "result": {h}}}]}},
  {{"data": {{"text": "rainy office", "meta": {{"lang": "fr", "n": "9"}}}},
    "annotations": [{{"result": {h}, "completed_by": {{"email": "ann@x.org"}}}}],
    "predictions": [{{"model_version": "m2", "score": 0.2, "result": {s}}}]}},
  {{"data": {{"text": "sunny office", "meta": {{"lang": "en"}}}},
    "predictions": [{{"model_version": "m1", "score": 0.5, "result": {h}}}]}},
  {{"data": {{"text": "quiet night"}}}},
  {{"data": {{"text": "\u001b]0;pwned\u0007 loud", "meta": {{"lang": "de"}}}}}}
]"#,
        h = choice("Happy"),
        s = choice("Sad")
    );
    let config = write(dir, "config.xml", CONFIG);
    let input = write(dir, "tasks.json", tasks);
    let project = path(dir, "p.db");
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

/// The ids `query` prints for these arguments.
fn ids(project: &str, args: &[&str]) -> Vec<i64> {
    let mut all = vec!["query", project, "--format", "ids"];
    all.extend_from_slice(args);
    let r = labelterm(&all);
    r.ok();
    r.stdout.lines().map(|l| l.parse().unwrap()).collect()
}

fn filtered(project: &str, filter: &str) -> Vec<i64> {
    ids(project, &["--filter", filter])
}

#[test]
fn each_operator() {
    let dir = tmp();
    let p = project(dir.path());
    assert_eq!(filtered(&p, "data.meta.lang equal en"), vec![1, 3]);
    assert_eq!(filtered(&p, "data.meta.lang = en"), vec![1, 3]);
    assert_eq!(filtered(&p, "data.meta.lang not_equal en"), vec![2, 4, 5]);
    assert_eq!(filtered(&p, "score less 0.5"), vec![2]);
    assert_eq!(filtered(&p, "score greater 0.5"), vec![1]);
    assert_eq!(filtered(&p, "score less_or_equal 0.5"), vec![2, 3]);
    assert_eq!(filtered(&p, "score greater_or_equal 0.5"), vec![1, 3]);
    assert_eq!(filtered(&p, "data.meta.n in 9..10"), vec![1, 2]);
    assert_eq!(filtered(&p, "data.meta.n not_in 9..9.5"), vec![1, 3, 4, 5]);
    assert_eq!(filtered(&p, "data.text contains OFFICE"), vec![2, 3]);
    assert_eq!(filtered(&p, "data.text not_contains office"), vec![1, 4, 5]);
    assert_eq!(
        filtered(&p, "data.text regex ^(sunny|quiet) "),
        vec![1, 3, 4]
    );
    assert_eq!(filtered(&p, "data.text ~ y$"), vec![1]);
    assert_eq!(filtered(&p, "data.meta empty true"), vec![4]);
    assert_eq!(filtered(&p, "data.meta empty false"), vec![1, 2, 3, 5]);
    assert_eq!(filtered(&p, "label:mood = Sad"), vec![1]);
    assert_eq!(filtered(&p, "label:mood[ann@x.org] = Happy"), vec![1, 2]);
    assert_eq!(filtered(&p, "prediction:mood = Happy"), vec![1, 3]);
    assert_eq!(filtered(&p, "annotators = bob@x.org"), vec![1]);
    assert_eq!(filtered(&p, "model != m1"), vec![2, 4, 5]);
    assert_eq!(filtered(&p, "status = labeled"), vec![1, 2]);
}

#[test]
fn and_or_sort_search_and_count() {
    let dir = tmp();
    let p = project(dir.path());
    let both = ["--filter", "data.meta.lang = en", "--filter", "score > 0.6"];
    assert_eq!(ids(&p, &both), vec![1]);
    let mut either = both.to_vec();
    either.push("--or");
    assert_eq!(ids(&p, &either), vec![1, 3]);
    assert_eq!(ids(&p, &["--sort", "-score"]), vec![1, 3, 2, 4, 5]);
    assert_eq!(ids(&p, &["--sort", "score"]), vec![2, 3, 1, 4, 5]);
    assert_eq!(
        ids(&p, &["--sort", "data.meta.lang", "--sort", "-id"]),
        vec![5, 3, 1, 2, 4]
    );
    assert_eq!(ids(&p, &["--search", "sunny"]), vec![1, 3]);
    assert_eq!(ids(&p, &["--search", "sunny off"]), vec![3]);
    assert_eq!(ids(&p, &["--search", "offi", "--sort", "-id"]), vec![3, 2]);
    assert_eq!(ids(&p, &["--limit", "2", "--sort", "-id"]), vec![5, 4]);
    let r = labelterm(&["query", &p, "--search", "sunny", "--count"]);
    r.ok();
    assert_eq!(r.stdout, "2\n");
}

#[test]
fn frequency_tables() {
    let dir = tmp();
    let p = project(dir.path());
    let r = labelterm(&["query", &p, "--freq", "label:mood", "--format", "json"]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v, serde_json::json!({"Happy": 2, "Sad": 1, "": 3}));
    let r = labelterm(&["query", &p, "--freq", "data.meta.lang", "--format", "json"]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v, serde_json::json!({"en": 2, "de": 1, "fr": 1, "": 1}));
    let r = labelterm(&["query", &p, "--freq", "model", "--filter", "score > 0.3"]);
    r.ok();
    assert_eq!(r.stdout, "model  tasks\nm1     2\n");
    let r = labelterm(&[
        "query",
        &p,
        "--freq",
        "label:mood",
        "--by",
        "annotator",
        "--format",
        "json",
    ]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"ann@x.org": {"Happy": 2}, "bob@x.org": {"Sad": 1}})
    );
    let r = labelterm(&["query", &p, "--freq", "status"]);
    r.ok();
    assert!(r.stdout.contains("unlabeled  3"), "{}", r.stdout);
}

#[test]
fn formats_and_the_sanitiser() {
    let dir = tmp();
    let p = project(dir.path());
    let cols = ["--columns", "id,data.text,label:mood,score"];
    let run = |format: &str| {
        let mut a = vec!["query", p.as_str(), "--format", format, "--sort", "-id"];
        a.extend_from_slice(&cols);
        let r = labelterm(&a);
        r.ok();
        r.stdout
    };
    let table = run("table");
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{7}'),
        "{table:?}"
    );
    assert!(table.contains("\\e]0;pwned\\x07 loud"), "{table}");
    assert!(table.starts_with("id  data.text"), "{table}");
    let last = table.lines().last().unwrap();
    assert!(last.starts_with("1   sunny beach day  "), "{table}");
    assert!(
        last.ends_with("  Happy, Sad  0.9"),
        "columns line up: {table}"
    );
    let jsonl = run("jsonl");
    assert!(!jsonl.contains('\u{1b}'));
    let rows: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[0]["data.text"], "\u{1b}]0;pwned\u{7} loud",
        "same JSON, escaped"
    );
    assert_eq!(
        rows[4],
        serde_json::json!({"id": 1, "data.text": "sunny beach day", "label:mood": ["Happy", "Sad"], "score": 0.9})
    );
    let csv = run("csv");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("id,data.text,label:mood,score"));
    assert_eq!(
        csv.lines().last(),
        Some("1,sunny beach day,\"Happy, Sad\",0.9")
    );
    assert!(!csv.contains('\u{1b}'));
}

#[test]
fn bad_arguments_fail_with_a_clear_message() {
    let dir = tmp();
    let p = project(dir.path());
    let r = labelterm(&["query", &p, "--filter", "scor > 1"]);
    r.failed(2);
    assert!(r.stderr.contains("unknown field \"scor\""), "{}", r.stderr);
    let r = labelterm(&["query", &p, "--filter", "score about 1"]);
    r.failed(2);
    assert!(
        r.stderr.contains("unknown operator \"about\""),
        "{}",
        r.stderr
    );
    let r = labelterm(&["query", &p, "--filter", "data.text regex (", "--count"]);
    r.failed(2);
    assert!(r.stderr.contains("regex"), "{}", r.stderr);
    let r = labelterm(&["query", &p, "--freq", "status", "--format", "csv"]);
    r.failed(2);
    assert!(
        r.stderr.contains("--freq prints a table or json"),
        "{}",
        r.stderr
    );
    let r = labelterm(&["query", &path(dir.path(), "missing.db"), "--count"]);
    assert_ne!(r.code, 0);
}
