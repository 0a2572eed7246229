//! No escape sequence reaches a terminal from any command: names, keys, labels, titles,
//! user names, task values and file names carrying ESC, OSC 52, CSI, C1 and bidi controls
//! come out as visible escapes on stdout and stderr.

mod common;

use common::{Run, labelterm, tmp, write};
use std::path::Path;

/// Writes "hello" to the clipboard in terminals that honour OSC 52.
const OSC52: &str = "\x1b]52;c;aGVsbG8=\x07";
/// Sets the window title.
const TITLE: &str = "\x1b]0;pwned\x07";
const CSI: &str = "\x1b[2J";
const C1_CSI: &str = "\u{9b}31m";
const RLO: &str = "\u{202e}";

fn evil(tag: &str) -> String {
    format!("{tag}{OSC52}{TITLE}{CSI}{C1_CSI}{RLO}x")
}

fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Nothing on stdout or stderr can drive a terminal, and the escapes are visible.
fn assert_safe(what: &str, r: &Run) {
    for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        if let Some(c) = text.chars().find(|c| is_unsafe(*c)) {
            panic!("{what}: {stream} holds {c:?}:\n{text:?}");
        }
    }
    let all = r.all();
    for shown in [
        "\\e]52;c;aGVsbG8=\\x07",
        "\\e]0;pwned\\x07",
        "\\u{9b}",
        "\\u{202e}",
    ] {
        assert!(
            all.contains(shown),
            "{what}: {shown} is not shown in\n{all}"
        );
    }
}

/// A data key: no `[`, which would make it a list index.
fn key() -> String {
    format!("key{OSC52}{TITLE}{C1_CSI}{RLO}x")
}

fn config(dir: &Path) -> String {
    let xml = format!(
        r#"<View>
  <Header value="{h}"/>
  <Text name="{t}" value="${k}"/>
  <Choices name="{c}" toName="{t}"><Choice value="{a}"/><Choice value="plain"/></Choices>
  <{u}/>
</View>"#,
        h = evil("header"),
        t = evil("text"),
        k = key(),
        c = evil("choices"),
        a = evil("choice"),
        u = "Odd\x1b",
    );
    write(dir, "config.xml", xml)
}

/// Tasks whose values, annotators and results carry escapes, in a file whose name does.
fn tasks(dir: &Path) -> String {
    let key = key();
    let task = serde_json::json!({
        "data": {key: evil("value")},
        "annotations": [{
            "completed_by": evil("annotator"),
            "result": [
                {"from_name": evil("choices"), "to_name": evil("text"), "type": "choices",
                 "value": {"choices": [evil("choice")]}},
                {"from_name": evil("nosuch"), "to_name": evil("text"), "type": "choices",
                 "value": {"choices": [evil("label")]}},
            ],
        }],
    });
    write(
        dir,
        &format!("tasks{}.json", evil("")),
        serde_json::to_string(&vec![task]).unwrap(),
    )
}

fn project(dir: &Path) -> String {
    let p = dir.join(format!("p{}.db", evil(""))).display().to_string();
    let r = labelterm(&[
        "init",
        &p,
        "--label-config",
        &config(dir),
        "--input-path",
        &tasks(dir),
        "--title",
        &evil("title"),
        "--user",
        &evil("user"),
    ]);
    r.ok();
    assert_safe("init", &r);
    p
}

#[test]
fn validate_shows_keys_names_and_warnings_escaped() {
    let d = tmp();
    let r = labelterm(&[
        "validate",
        "--label-config",
        &config(d.path()),
        "--input-path",
        &tasks(d.path()),
    ]);
    r.ok();
    assert_safe("validate", &r);
}

#[test]
fn validate_problems_are_escaped() {
    let d = tmp();
    let bad = write(
        d.path(),
        &format!("bad{}.json", evil("")),
        serde_json::to_string(
            &serde_json::json!([{"data": {"other": evil("v")}, "id": evil("id")}]),
        )
        .unwrap(),
    );
    let r = labelterm(&[
        "validate",
        "--label-config",
        &config(d.path()),
        "--input-path",
        &bad,
    ]);
    r.failed(1);
    assert_safe("validate with problems", &r);
}

#[test]
fn init_import_and_stats_are_escaped() {
    let d = tmp();
    let p = project(d.path());
    let r = labelterm(&[
        "import",
        &p,
        "--input-path",
        &tasks(d.path()),
        "--user",
        &evil("u2"),
    ]);
    r.ok();
    assert_safe("import", &r);
    let r = labelterm(&["stats", &p]);
    r.ok();
    assert_safe("stats", &r);
}

#[test]
fn stats_json_is_valid_json_without_c1_or_bidi() {
    let d = tmp();
    let p = project(d.path());
    let r = labelterm(&["stats", &p, "--json"]);
    r.ok();
    assert!(!r.stdout.chars().any(is_unsafe), "{:?}", r.stdout);
    assert!(r.stdout.contains("\\u202e") && r.stdout.contains("\\u009b"));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("valid JSON");
    let controls = v["controls"].as_object().unwrap();
    assert!(controls.contains_key(&evil("choices")), "{v}");
}

#[test]
fn export_errors_list_users_escaped() {
    let d = tmp();
    let p = project(d.path());
    let r = labelterm(&[
        "export",
        &p,
        "--export-path",
        &d.path().join("out.json").display().to_string(),
        "--annotator",
        "nobody",
    ]);
    r.failed(2);
    assert_safe("export --annotator nobody", &r);
    assert!(r.stderr.contains("annotator\\e]52"), "{}", r.stderr);
    assert!(r.stderr.contains("user\\e]52"), "{}", r.stderr);
}

#[test]
fn export_and_list_formats_are_escaped() {
    let d = tmp();
    let p = project(d.path());
    let out = d
        .path()
        .join(format!("out{}.json", evil("")))
        .display()
        .to_string();
    let r = labelterm(&["export", &p, "--export-type", "JSON", "--export-path", &out]);
    r.ok();
    assert_safe("export", &r);
    let r = labelterm(&["export", &p, "--list-formats"]);
    r.ok();
    assert!(!r.all().chars().any(is_unsafe));
    let missing = d
        .path()
        .join(format!("none{}.db", evil("")))
        .display()
        .to_string();
    let r = labelterm(&["export", &missing, "--list-formats"]);
    r.failed(1);
    assert_safe("export of a missing project", &r);
}

#[test]
fn convert_is_escaped() {
    let d = tmp();
    let p = project(d.path());
    let json = d.path().join("export.json").display().to_string();
    labelterm(&["export", &p, "--export-path", &json]).ok();
    let out = d
        .path()
        .join(format!("conv{}.csv", evil("")))
        .display()
        .to_string();
    let r = labelterm(&[
        "convert",
        "--label-config",
        &config(d.path()),
        "--input-path",
        &json,
        "--export-type",
        "CSV",
        "--export-path",
        &out,
    ]);
    r.ok();
    assert_safe("convert", &r);
}

#[test]
fn errors_naming_hostile_files_are_escaped() {
    let d = tmp();
    let missing = d
        .path()
        .join(format!("cfg{}.xml", evil("")))
        .display()
        .to_string();
    let r = labelterm(&["validate", "--label-config", &missing]);
    r.failed(1);
    assert_safe("missing config", &r);
    let p = d
        .path()
        .join(format!("new{}.db", evil("")))
        .display()
        .to_string();
    let r = labelterm(&[
        "init",
        &p,
        "--label-config",
        &config(d.path()),
        "--input-path",
        &missing,
    ]);
    r.failed(1);
    assert_safe("init with a missing input", &r);
    assert!(!Path::new(&p).exists());
    let r = labelterm(&["stats", &evil("unknown-arg"), "--bogus"]);
    r.failed(2);
    assert!(!r.all().chars().any(is_unsafe), "{:?}", r.all());
}
