//! What the annotator writes for each kind of control, checked with Label Studio's own code:
//! each case labels a task by keys, submits, exports the project, and then Label Studio's
//! converter must write the same bytes as labelterm's export for each format, and the SDK's
//! validator must accept every result (the few places where the validator disagrees with
//! what Label Studio's editor writes are listed in `VALIDATOR_DISAGREES`, each with why).
//!
//! Runs when `LABELTERM_LS_PYTHON` names a Python with Label Studio installed (`.ci/run` sets
//! it up); otherwise it says so and passes.

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Formats both tools write for every config; their outputs are compared byte for byte.
const FORMATS: &[(&str, &str)] = &[("JSON_MIN", "json"), ("CSV", "csv"), ("TSV", "tsv")];

/// Results Label Studio's editor writes that the SDK's validator (label-studio-sdk 2.1.2)
/// refuses, as (result type, part of the validator's message, why). Label Studio's server
/// stores them all the same.
const VALIDATOR_DISAGREES: &[(&str, &str, &str)] = &[
    (
        "pairwise",
        "'to_name'",
        "the editor writes to_name = the Pairwise's own name; the validator wants an object",
    ),
    (
        "chatmessage",
        "expected type 'chat'",
        "the validator expects type `chat` for a Chat, the editor writes `chatmessage`",
    ),
];

struct Case {
    name: &'static str,
    config: &'static str,
    tasks: &'static str,
    /// Keys pressed on the first task before `s` submits it.
    keys: &'static str,
    /// Result types the submitted annotation must hold.
    types: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "choices",
            config: r#"<View><Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>"#,
            tasks: r#"[{"text": "a good day"}]"#,
            keys: "2",
            types: &["choices"],
        },
        Case {
            name: "text spans",
            config: r#"<View><Labels name="label" toName="text"><Label value="PER"/><Label value="ORG"/></Labels>
  <Text name="text" value="$text"/></View>"#,
            tasks: r#"[{"text": "Ada met Bob at ACME"}]"#,
            keys: "1",
            types: &["labels"],
        },
    ]
}

fn python() -> Option<String> {
    std::env::var("LABELTERM_LS_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
}

fn labelterm(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_labelterm"))
        .args(args)
        .output()
        .expect("run labelterm");
    assert!(
        out.status.success(),
        "labelterm {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The one file a converter wrote into `dir`.
fn only_file(dir: &Path) -> Vec<u8> {
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{}: {files:?}", dir.display());
    std::fs::read(&files[0]).unwrap()
}

/// Labels, submits, exports and compares one case; returns its problems.
fn check(py: &str, case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let f = project(case.config, case.tasks);
    let dir = f.dir.path();
    {
        let mut d = open(&f, ".");
        d.keys(case.keys);
        let result = d.result();
        for ty in case.types {
            let found = result
                .as_array()
                .is_some_and(|a| a.iter().any(|r| r["type"] == *ty));
            if !found {
                problems.push(format!(
                    "no `{ty}` result after keys {:?}: {result}",
                    case.keys
                ));
            }
        }
        d.keys("s");
    }
    let db = f.db.to_str().unwrap();
    let export = dir.join("export.json");
    labelterm(&[
        "export",
        db,
        "--export-type",
        "JSON",
        "--export-path",
        export.to_str().unwrap(),
    ]);
    for (fmt, ext) in FORMATS {
        let out = dir.join(format!("labelterm.{ext}"));
        labelterm(&[
            "export",
            db,
            "--export-type",
            fmt,
            "--export-path",
            out.to_str().unwrap(),
        ]);
    }
    let converted = dir.join("converted");
    let mut cmd = Command::new(py);
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ls_results/check.py"))
        .arg(dir.join("config.xml"))
        .arg(&export)
        .arg(&converted)
        .args(FORMATS.iter().map(|(f, _)| *f));
    let out = cmd.output().expect("run Label Studio's converter");
    if !out.status.success() {
        problems.push(format!(
            "Label Studio's code failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
        return problems;
    }
    let report: Value = serde_json::from_slice(&out.stdout).expect("check.py prints JSON");
    for e in report["errors"].as_array().into_iter().flatten() {
        let ty = e["type"].as_str().unwrap_or_default();
        for msg in e["errors"].as_array().into_iter().flatten() {
            let msg = msg.as_str().unwrap_or_default();
            let known = VALIDATOR_DISAGREES
                .iter()
                .any(|(t, part, _)| *t == ty && msg.contains(part));
            if !known {
                problems.push(format!(
                    "the SDK validator refuses {} ({ty}): {msg}",
                    e["where"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    for (fmt, ext) in FORMATS {
        let ours = std::fs::read(dir.join(format!("labelterm.{ext}"))).unwrap();
        let theirs = only_file(&converted.join(fmt));
        if ours != theirs {
            problems.push(format!(
                "{fmt} differs from Label Studio's converter:\n--- labelterm\n{}\n--- converter\n{}",
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            ));
        }
    }
    problems
}

#[test]
fn every_kind_of_result_is_what_label_studio_writes_and_converts() {
    let Some(py) = python() else {
        eprintln!(
            "skipped: LABELTERM_LS_PYTHON is not set (.ci/run installs Label Studio and sets it)"
        );
        return;
    };
    let mut failures = Vec::new();
    for case in cases() {
        for p in check(&py, &case) {
            failures.push(format!("{}: {p}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
