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
        "choices",
        "Got: {'choices': [[",
        "nested options (allowNested) are written as paths, lists of lists; the validator knows flat lists only",
    ),
    (
        "labels",
        "expected fields: ['start', 'end', 'labels']",
        "a plain Labels beside bare image tools repeats the shape's geometry; the validator wants a span",
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
    /// Keys pressed on the first task before `s` submits it, as in a keymap file; a token
    /// starting with `=` types the rest of it into the open editor (`_` for a space).
    keys: &'static str,
    /// Result types the submitted annotation must hold.
    types: &'static [&'static str],
    /// Media (images) are read from the image sample's folder, and the screen is drawn
    /// before the keys so that image moves have a size.
    images: bool,
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
            images: false,
        },
        Case {
            name: "taxonomy, rating, number, text area",
            config: include_str!("../samples/multi_control/config.xml"),
            tasks: r#"[{"title": "Battery", "question": "How long does it last?"}]"#,
            keys: "o J enter l j space esc J l l l J enter =2 enter J enter =Lasts_a_day enter",
            types: &["choices", "taxonomy", "rating", "number", "textarea"],
            images: false,
        },
        Case {
            name: "hypertext spans and a date",
            config: r#"<View><HyperText name="h" value="$html"/><HyperTextLabels name="hl" toName="h"><Label value="X"/></HyperTextLabels>
  <DateTime name="when" toName="h" only="date"/></View>"#,
            tasks: r#"[{"html": "<div><p>Hello <b>big</b> world</p></div>"}]"#,
            keys: "w 1 J J enter =2024-02-29 enter",
            types: &["hypertextlabels", "datetime"],
            images: false,
        },
        Case {
            name: "dialogue spans",
            config: include_str!("../samples/dialogue/config.xml"),
            tasks: include_str!("../samples/dialogue/tasks.json"),
            keys: "j w 2",
            types: &["paragraphlabels"],
            images: false,
        },
        Case {
            name: "per-region choices on a span",
            config: r#"<View><Text name="t" value="$text"/><Labels name="l" toName="t"><Label value="A"/></Labels>
  <Choices name="sure" toName="t" perRegion="true"><Choice value="yes"/><Choice value="no"/></Choices></View>"#,
            tasks: r#"[{"text": "alpha beta"}]"#,
            keys: "1 2",
            types: &["labels", "choices"],
            images: false,
        },
        Case {
            name: "text spans",
            config: r#"<View><Labels name="label" toName="text"><Label value="PER"/><Label value="ORG"/></Labels>
  <Text name="text" value="$text"/></View>"#,
            tasks: r#"[{"text": "Ada met Bob at ACME"}]"#,
            keys: "1",
            types: &["labels"],
            images: false,
        },
        Case {
            name: "pairwise",
            config: r#"<View><Pairwise name="pw" toName="a,b"/><Text name="a" value="$a"/><Text name="b" value="$b"/></View>"#,
            tasks: r#"[{"a": "first answer", "b": "second answer"}]"#,
            keys: "h",
            types: &["pairwise"],
            images: false,
        },
        Case {
            name: "ranker",
            config: r#"<View><List name="results" value="$items" title="Results"/><Ranker name="rank" toName="results"/></View>"#,
            tasks: r#"[{"items": [{"id": "a", "title": "A", "body": "one"}, {"id": "b", "title": "B", "body": "two"}, {"id": "c", "title": "C", "body": "three"}]}]"#,
            keys: "alt-j",
            types: &["ranker"],
            images: false,
        },
        Case {
            name: "ranker with buckets",
            config: r#"<View><List name="results" value="$items" title="Results"/>
  <Ranker name="rank" toName="results"><Bucket name="good" title="Good"/><Bucket name="bad" title="Bad"/></Ranker></View>"#,
            tasks: r#"[{"items": [{"id": "a", "title": "A", "body": "one"}, {"id": "b", "title": "B", "body": "two"}, {"id": "c", "title": "C", "body": "three"}]}]"#,
            keys: "alt-l j alt-l alt-l",
            types: &["ranker"],
            images: false,
        },
        Case {
            name: "options from the task, nested",
            config: r#"<View><Text name="t" value="$text"/>
  <Choices name="pick" toName="t" value="$options" choice="multiple" allowNested="true"/>
  <Labels name="ent" toName="t" value="$labels"/></View>"#,
            tasks: r#"[{"text": "Ada met Bob", "options": [{"value": "Animal", "children": [{"value": "Cat"}, {"value": "Dog"}]}, {"value": "Plant"}],
  "labels": [{"value": "PER"}, {"value": "ORG"}]}]"#,
            keys: "J 2 4 K",
            types: &["choices"],
            images: false,
        },
        Case {
            name: "relations between spans",
            config: r#"<View><Relations><Relation value="works_for"/><Relation value="knows"/></Relations>
  <Labels name="ent" toName="txt"><Label value="PER"/><Label value="ORG"/></Labels>
  <Text name="txt" value="$text"/></View>"#,
            tasks: r#"[{"text": "Ada works at Acme today"}]"#,
            keys: "v w 1 w w v w 2 esc tab r tab r alt-t",
            types: &["labels", "relation"],
            images: false,
        },
        Case {
            name: "video tracks",
            config: r#"<View><Labels name="who" toName="clip"><Label value="Man"/><Label value="Woman"/></Labels>
  <Video name="clip" value="$video" framerate="25.0"/><VideoRectangle name="box" toName="clip"/></View>"#,
            tasks: r#"[{"video": "clip.mp4"}]"#,
            keys: "F ctrl-u =250 enter 1 L L enter ctrl-u =10_20_30_40 enter",
            types: &["videorectangle"],
            images: false,
        },
        Case {
            name: "timeline ranges",
            config: r#"<View><Video name="clip" value="$video" frameRate="10"/>
  <TimelineLabels name="acts" toName="clip"><Label value="Run"/><Label value="Jump"/></TimelineLabels></View>"#,
            tasks: r#"[{"video": "clip.mp4"}]"#,
            keys: "F ctrl-u =100 enter l l v L 2",
            types: &["timelinelabels"],
            images: false,
        },
        Case {
            name: "chat messages",
            config: r#"<View><Chat name="talk" value="$talk" toName="talk" messageroles="customer,agent" editable="true"/></View>"#,
            tasks: r#"[{"talk": [{"role": "customer", "content": "Are you open?"}]}]"#,
            keys: "a =Yes,_until_four. enter",
            types: &["chatmessage"],
            images: false,
        },
        Case {
            name: "speaker segments on audio",
            config: r#"<View><Labels name="spk" toName="audio"><Label value="A"/><Label value="B"/></Labels>
  <Audio name="audio" value="$audio"/></View>"#,
            // The path resolves under the working directory, the media root of these cases,
            // so the length is probed and written as `original_length`.
            tasks: r#"[{"audio": "samples/audio_transcription/audio/clip1.wav"}]"#,
            keys: "l v l l 1",
            types: &["labels"],
            images: false,
        },
        Case {
            name: "rectangles",
            config: include_str!("../samples/image_bbox/config.xml"),
            tasks: r#"[{"image": "images/harbour.png"}]"#,
            keys: "v H K 1 e l l j e l j 2",
            types: &["rectanglelabels"],
            images: true,
        },
        Case {
            name: "OCR: bare boxes, labels and a text per region",
            config: r#"<View><Image name="page" value="$img"/>
  <Labels name="kind" toName="page"><Label value="Print"/><Label value="Hand"/></Labels>
  <Rectangle name="frame" toName="page"/>
  <TextArea name="words" toName="page" perRegion="true" maxSubmissions="1" displayMode="region-list"/></View>"#,
            tasks: r#"[{"img": "images/harbour.png"}]"#,
            keys: "v H K 1 } } } enter =Total_12 enter",
            types: &["rectangle", "labels", "textarea"],
            images: true,
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

/// Labels, submits and exports one case; returns its project and the problems so far.
fn prepare(case: &Case) -> (Fixture, Vec<String>) {
    let mut problems = Vec::new();
    let f = project(case.config, case.tasks);
    let dir = f.dir.path();
    {
        let mut d = if case.images {
            let root = sample("image_bbox").display().to_string();
            let mut d = open(&f, &root);
            d.screen(120, 40);
            d
        } else {
            open(&f, ".")
        };
        for token in case.keys.split(' ') {
            match token.strip_prefix('=') {
                Some(text) => d.type_text(&text.replace('_', " ")),
                None => d.keys(token),
            }
        }
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
    (f, problems)
}

/// The manifest entry of a prepared case for check.py.
fn entry(f: &Fixture) -> Value {
    let dir = f.dir.path();
    serde_json::json!({
        "config": dir.join("config.xml"),
        "export": dir.join("export.json"),
        "out": dir.join("converted"),
        "formats": FORMATS.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
    })
}

/// Label Studio's verdict on a prepared case (`report`, from check.py) next to ours.
fn compare(f: &Fixture, report: &Value, excused: &mut [bool]) -> Vec<String> {
    let mut problems = Vec::new();
    let dir = f.dir.path();
    let converted = dir.join("converted");
    for e in report["errors"].as_array().into_iter().flatten() {
        let ty = e["type"].as_str().unwrap_or_default();
        for msg in e["errors"].as_array().into_iter().flatten() {
            let msg = msg.as_str().unwrap_or_default();
            let known = VALIDATOR_DISAGREES
                .iter()
                .position(|(t, part, _)| *t == ty && msg.contains(part));
            if let Some(i) = known {
                excused[i] = true;
            } else {
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
    let cases = cases();
    let prepared: Vec<(Fixture, Vec<String>)> = cases.iter().map(prepare).collect();
    let scratch = tempfile::tempdir().unwrap();
    let manifest = scratch.path().join("manifest.json");
    let entries: Vec<Value> = prepared.iter().map(|(f, _)| entry(f)).collect();
    std::fs::write(&manifest, serde_json::to_vec(&entries).unwrap()).unwrap();
    let out = Command::new(&py)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ls_results/check.py"))
        .arg(&manifest)
        .output()
        .expect("run Label Studio's converter");
    assert!(
        out.status.success(),
        "Label Studio's code failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: Vec<Value> = serde_json::from_slice(&out.stdout).expect("check.py prints JSON");
    let mut failures = Vec::new();
    let mut excused = vec![false; VALIDATOR_DISAGREES.len()];
    for ((case, (f, mut problems)), report) in cases.iter().zip(prepared).zip(&reports) {
        problems.extend(compare(&f, report, &mut excused));
        for p in problems {
            failures.push(format!("{}: {p}", case.name));
        }
    }
    // Every disagreement listed is still seen: the list says what is true today.
    for ((ty, part, _), seen) in VALIDATOR_DISAGREES.iter().zip(&excused) {
        if !seen {
            failures.push(format!(
                "the validator no longer refuses {ty} with {part:?}: drop it from VALIDATOR_DISAGREES"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
