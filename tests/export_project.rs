//! Project exports end to end through the `labelterm` binary: the JSON round trip, the
//! export options, the deliberate differences from Label Studio's converter listed in
//! `docs/compatibility.md`, and failures that leave nothing behind.

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

fn case(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance")
        .join(name)
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).expect("export file")).expect("JSON")
}

/// `labelterm init DB --label-config CONFIG --input-path TASKS` and `extra`, run in `cwd`.
fn init(cwd: &Path, db: &Path, config: &Path, tasks: &Path, extra: &[&str]) {
    let mut args = vec![
        "init",
        db.to_str().unwrap(),
        "--label-config",
        config.to_str().unwrap(),
        "--input-path",
        tasks.to_str().unwrap(),
    ];
    args.extend(extra);
    ok(labelterm(&args, cwd));
}

/// A project made from a conformance case's config and tasks.
fn project(dir: &Path, name: &str) -> PathBuf {
    let db = dir.join(format!("{name}.db"));
    let c = case(name);
    init(
        dir,
        &db,
        &c.join("config.xml"),
        &c.join("tasks.json"),
        &["--user", "importer@example.com"],
    );
    db
}

fn export(dir: &Path, db: &Path, ty: &str, out: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec![
        "export",
        db.to_str().unwrap(),
        "--export-type",
        ty,
        "--export-path",
        out,
    ];
    args.extend_from_slice(extra);
    ok(labelterm(&args, dir));
    dir.join(out)
}

/// What must survive a round trip: everything but ids and the import provenance.
fn essence(tasks: &Value) -> Value {
    let strip = |v: &Value, drop: &[&str]| -> Value {
        let mut m = v.as_object().unwrap().clone();
        for k in drop {
            m.shift_remove(*k);
        }
        Value::Object(m)
    };
    Value::Array(
        tasks
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let mut t = strip(
                    t,
                    &["id", "file_upload", "inner_id", "created_at", "updated_at"],
                );
                for (key, drop) in [
                    (
                        "annotations",
                        &["id", "import_id", "task", "completed_by", "updated_by"][..],
                    ),
                    ("predictions", &["id", "task"][..]),
                ] {
                    // User ids are the project's own; the email is who annotated.
                    let list: Vec<Value> = t[key]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| {
                            let mut a = strip(a, drop);
                            if let Some(u) = a["created_username"].as_str() {
                                a["created_username"] = json!(u.split(", ").next().unwrap());
                            }
                            a
                        })
                        .collect();
                    t[key] = Value::Array(list);
                }
                t
            })
            .collect(),
    )
}

#[test]
fn json_export_import_export_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for name in [
        "text_choices",
        "ner_spans",
        "image_bbox",
        "audio_transcription",
    ] {
        // Users named by email, as Label Studio exports them with user details.
        let mut tasks = read_json(&case(name).join("tasks.json"));
        for t in tasks.as_array_mut().unwrap() {
            for a in t["annotations"].as_array_mut().unwrap() {
                let n = a["completed_by"]["id"]
                    .as_i64()
                    .or(a["completed_by"].as_i64())
                    .unwrap();
                a["completed_by"] = json!({"id": n, "email": format!("user{n}@example.com")});
            }
        }
        let source = dir.join(format!("{name}-source.json"));
        std::fs::write(&source, tasks.to_string()).unwrap();
        let a = dir.join(format!("{name}-a.db"));
        init(dir, &a, &case(name).join("config.xml"), &source, &[]);
        let first = export(
            dir,
            &a,
            "JSON",
            &format!("{name}-a.json"),
            &["--download-all-tasks"],
        );
        let b = dir.join(format!("{name}-b.db"));
        init(dir, &b, &case(name).join("config.xml"), &first, &[]);
        let second = export(
            dir,
            &b,
            "JSON",
            &format!("{name}-b.json"),
            &["--download-all-tasks"],
        );
        let (x, y) = (read_json(&first), read_json(&second));
        assert_eq!(x.as_array().unwrap().len(), y.as_array().unwrap().len());
        assert!(
            x.as_array()
                .unwrap()
                .iter()
                .any(|t| !t["predictions"].as_array().unwrap().is_empty())
                || name == "audio_transcription",
            "{name}: the round trip carries predictions"
        );
        assert_eq!(essence(&x), essence(&y), "{name}");
    }
}

#[test]
fn skipped_predictions_and_user_options() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = project(dir, "text_choices");
    let all = read_json(&export(dir, &db, "JSON", "all.json", &[]));
    let count = |v: &Value, key: &str| -> usize {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t[key].as_array().unwrap().len())
            .sum()
    };
    let skipped = |v: &Value| -> usize {
        v.as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["annotations"].as_array().unwrap())
            .filter(|a| a["was_cancelled"] == json!(true))
            .count()
    };
    // Tasks with annotations only (task 3 has none); skipped annotations and predictions kept.
    assert_eq!(all.as_array().unwrap().len(), 4);
    assert_eq!(skipped(&all), 2);
    assert_eq!(count(&all, "predictions"), 1);
    assert!(all[0]["annotations"][0]["created_username"].is_string());

    let no_skipped = read_json(&export(dir, &db, "JSON", "ns.json", &["--drop-skipped"]));
    assert_eq!(skipped(&no_skipped), 0);
    // Task 5 had only a skipped annotation: without it the task has none and is left out.
    assert_eq!(no_skipped.as_array().unwrap().len(), 3);

    let no_preds = read_json(&export(
        dir,
        &db,
        "JSON",
        "np.json",
        &["--no-predictions", "--download-all-tasks"],
    ));
    assert_eq!(count(&no_preds, "predictions"), 0);
    assert_eq!(no_preds.as_array().unwrap().len(), 5);

    let anon = read_json(&export(
        dir,
        &db,
        "JSON",
        "anon.json",
        &["--remove-user-details"],
    ));
    let text = serde_json::to_string(&anon).unwrap();
    assert!(
        !text.contains("created_username") && !text.contains('@'),
        "{text}"
    );

    // The export names users by email in created_username; pick one that exists.
    let users: Vec<String> = all
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["annotations"].as_array().unwrap())
        .filter_map(|a| {
            a["created_username"]
                .as_str()
                .map(|u| u.split(", ").next().unwrap().to_string())
        })
        .collect();
    let who = users[0].clone();
    let mine = read_json(&export(
        dir,
        &db,
        "JSON",
        "mine.json",
        &["--annotator", &who],
    ));
    for t in mine.as_array().unwrap() {
        for a in t["annotations"].as_array().unwrap() {
            assert!(a["created_username"].as_str().unwrap().starts_with(&who));
        }
    }
    let o = labelterm(
        &[
            "export",
            db.to_str().unwrap(),
            "--export-type",
            "JSON",
            "--export-path",
            "x.json",
            "--annotator",
            "nobody@example.com",
        ],
        dir,
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no user \"nobody@example.com\""));
}

#[test]
fn only_reviewed_reads_review_decisions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = project(dir, "text_choices");
    let o = labelterm(
        &[
            "export",
            db.to_str().unwrap(),
            "--export-type",
            "JSON",
            "--export-path",
            "r.json",
            "--only-reviewed",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(2), "no review decisions yet");
    assert!(String::from_utf8_lossy(&o.stderr).contains("no review decisions"));

    // A review table shaped like Label Studio's (annotation, accepted); the latest decides.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let first: i64 = conn
        .query_row(
            "SELECT MIN(id) FROM annotations WHERE was_cancelled = 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute_batch(&format!(
        "CREATE TABLE annotation_reviews (id INTEGER PRIMARY KEY, annotation_id INTEGER, accepted INTEGER);
         INSERT INTO annotation_reviews (annotation_id, accepted) VALUES ({first}, 0), ({first}, 1),
             ({first} + 1, 1), ({first} + 1, 0);"
    ))
    .unwrap();
    drop(conn);
    let r = read_json(&export(dir, &db, "JSON", "r.json", &["--only-reviewed"]));
    let ids: Vec<i64> = r
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["annotations"].as_array().unwrap())
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [first]);
}

/// The converter crashes when the first item has no transcript and gives later ones the
/// previous item's; labelterm writes `""` (`docs/compatibility.md`).
#[test]
fn asr_items_without_transcript_get_an_empty_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let upload = case("audio_transcription").join("upload");
    let tasks = json!([
        {"id": 1, "data": {"audio": "/data/upload/1/silence.wav"}, "annotations": []},
        {"id": 2, "data": {"audio": "/data/upload/1/hello.wav"}, "annotations": [
            {"id": 5, "completed_by": 3, "result": [{"from_name": "transcription", "to_name": "audio", "type": "textarea", "value": {"text": ["hi"]}}]}]},
        {"id": 3, "data": {"audio": "/data/upload/1/world.wav"}, "annotations": [
            {"id": 6, "completed_by": 3, "result": [{"from_name": "other", "to_name": "audio", "type": "textarea", "value": {"text": ["x"]}}]}]}
    ]);
    std::fs::write(dir.join("t.json"), tasks.to_string()).unwrap();
    ok(labelterm(
        &[
            "convert",
            "--label-config",
            case("audio_transcription")
                .join("config.xml")
                .to_str()
                .unwrap(),
            "--input-path",
            "t.json",
            "--export-type",
            "ASR_MANIFEST",
            "--export-path",
            "out/",
            "--upload-dir",
            upload.to_str().unwrap(),
        ],
        dir,
    ));
    let manifest = std::fs::read_to_string(dir.join("out/manifest.json")).unwrap();
    assert_eq!(
        manifest,
        "{\"audio_filepath\": \"audio/silence.wav\", \"duration\": 0.75, \"text\": \"\", \"annotator\": \"\"}\n\
         {\"audio_filepath\": \"audio/hello.wav\", \"duration\": 0.5, \"text\": \"hi\", \"annotator\": \"3\"}\n\
         {\"audio_filepath\": \"audio/world.wav\", \"duration\": 1.25, \"text\": \"\", \"annotator\": \"3\"}\n"
    );
}

/// Local files are read without `--download-resources` (the converter then writes an empty
/// manifest), paths are read relative to the import's directory, and two files with the
/// same name do not overwrite each other.
#[test]
fn asr_reads_local_files_and_keeps_same_named_ones_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let media = dir.join("media");
    std::fs::create_dir_all(media.join("a")).unwrap();
    std::fs::create_dir_all(media.join("b")).unwrap();
    let up = case("audio_transcription").join("upload/1");
    std::fs::copy(up.join("hello.wav"), media.join("a/clip.wav")).unwrap();
    std::fs::copy(up.join("world.wav"), media.join("b/clip.wav")).unwrap();
    let ann = |t: &str| json!([{"completed_by": 1, "result": [{"from_name": "transcription", "to_name": "audio", "type": "textarea", "value": {"text": [t]}}]}]);
    let tasks = json!([
        {"data": {"audio": "a/clip.wav"}, "annotations": ann("one")},
        {"data": {"audio": "b/clip.wav"}, "annotations": ann("two")},
        {"data": {"audio": "http://127.0.0.1:9/remote.wav"}, "annotations": ann("three")}
    ]);
    std::fs::write(media.join("tasks.json"), tasks.to_string()).unwrap();
    let db = dir.join("p.db");
    init(
        dir,
        &db,
        &case("audio_transcription").join("config.xml"),
        &media.join("tasks.json"),
        &[],
    );
    let o = ok(labelterm(
        &[
            "export",
            db.to_str().unwrap(),
            "--export-type",
            "ASR_MANIFEST",
            "--export-path",
            "asr",
        ],
        dir,
    ));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("--download-resources"), "{stderr}");
    let manifest = std::fs::read_to_string(dir.join("asr/manifest.json")).unwrap();
    let lines: Vec<Value> = manifest
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{manifest}");
    assert_eq!(lines[0]["audio_filepath"], "audio/clip.wav");
    let second = lines[1]["audio_filepath"].as_str().unwrap();
    assert!(
        second.starts_with("audio/clip_") && second.ends_with(".wav"),
        "{second}"
    );
    assert_eq!(lines[1]["duration"], json!(1.25));
    assert_eq!(
        std::fs::read(dir.join("asr").join(second)).unwrap(),
        std::fs::read(media.join("b/clip.wav")).unwrap()
    );
}

/// A failing export names the task and field and leaves neither output nor temporary files.
#[test]
fn failed_export_leaves_nothing_and_names_the_task() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let tasks = json!([
        {"id": 1, "data": {"text": "fine"}, "annotations": []},
        {"id": 7, "data": {"text": 42}, "annotations": []}
    ]);
    std::fs::write(dir.join("t.json"), tasks.to_string()).unwrap();
    let before: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    for out in ["out", "out.conll"] {
        let o = labelterm(
            &[
                "convert",
                "--label-config",
                case("ner_spans").join("config.xml").to_str().unwrap(),
                "--input-path",
                "t.json",
                "--export-type",
                "CONLL2003",
                "--export-path",
                out,
            ],
            dir,
        );
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("task 7") && err.contains("data.text"), "{err}");
        let after: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(before, after, "nothing left behind");
    }
}

/// A directory path receives the converter's layout; a file name gets the single file.
#[test]
fn export_path_is_a_directory_or_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = project(dir, "ner_spans");
    export(dir, &db, "CONLL2003", "ner.conll", &[]);
    let text = std::fs::read_to_string(dir.join("ner.conll")).unwrap();
    assert!(text.starts_with("-DOCSTART- -X- O\n"));
    std::fs::create_dir(dir.join("out")).unwrap();
    export(dir, &db, "CSV", "out", &[]);
    export(dir, &db, "JSON_MIN", "out", &[]);
    assert!(dir.join("out/result.csv").is_file() && dir.join("out/result.json").is_file());
}

/// The JSON export of a project is written straight from the store's JSON text; it must
/// equal the task values printed by the list writer.
#[test]
fn json_from_the_store_equals_the_value_path() {
    use labelterm::export::json::JsonListWriter;
    use labelterm::export::{ExportOptions, ProjectSource, TaskSource};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let odd = dir.join("odd.json");
    std::fs::write(
        &odd,
        r#"[{"data": {"text": "x\u00e9\/y \"q\"\n", "n": 1e2, "z": -0, "f": 1.0, "big": 123456789012345678901234, "l": [ ], "o": {"k": [1.5E-7, true, null]}},
            "annotations": [{"completed_by": {"id": 4, "email": "a@example.com"}, "lead_time": 2.5, "result": [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}]},
                            {"result": [], "was_cancelled": true}],
            "predictions": [{"score": 0.3, "model_version": "m", "result": []}]}]"#,
    )
    .unwrap();
    let mut dbs: Vec<PathBuf> = [
        "text_choices",
        "ner_spans",
        "image_bbox",
        "audio_transcription",
        "doclang",
    ]
    .iter()
    .map(|n| project(dir, n))
    .collect();
    let odd_db = dir.join("odd.db");
    init(
        dir,
        &odd_db,
        &case("text_choices").join("config.xml"),
        &odd,
        &[],
    );
    dbs.push(odd_db);
    for (i, db) in dbs.iter().enumerate() {
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
            let fast =
                std::fs::read(export(dir, db, "JSON", &format!("fast-{i}.json"), &[flag])).unwrap();
            let store = labelterm::store::Store::open(db).unwrap();
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
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(buf).unwrap(),
                "{} {flag}",
                db.display()
            );
        }
    }
}

/// DOCLANG reads `data:` page images without `--download-resources` (the converter writes
/// no pages then).
#[test]
fn doclang_pages_without_download_resources() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let c = case("doclang");
    ok(labelterm(
        &[
            "convert",
            "--label-config",
            c.join("config.xml").to_str().unwrap(),
            "--input-path",
            c.join("tasks.json").to_str().unwrap(),
            "--export-type",
            "DOCLANG",
            "--export-path",
            "out/",
        ],
        dir,
    ));
    let f = std::fs::File::open(dir.join("out/task-3-data.dclx")).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let names: Vec<String> = (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "[Content_Types].xml",
            "_rels/.rels",
            "document.xml",
            "pages/1.png"
        ]
    );
}

/// Tasks are read on a second thread; a failure while writing must stop the reader, not
/// leave it waiting on a full channel.
#[test]
fn a_failing_writer_stops_the_project_reader() {
    use labelterm::export::{ExportOptions, ProjectSource, TaskSource};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let tasks: Vec<Value> = (0..6000)
        .map(|i| json!({"data": {"text": format!("task {i}")}, "annotations": [{"result": []}]}))
        .collect();
    std::fs::write(dir.join("t.json"), Value::Array(tasks).to_string()).unwrap();
    let db = dir.join("p.db");
    init(
        dir,
        &db,
        &case("text_choices").join("config.xml"),
        Path::new("t.json"),
        &[],
    );
    let store = labelterm::store::Store::open(&db).unwrap();
    let opts = ExportOptions::default();
    let mut source = ProjectSource::new(&store, &opts);
    let mut seen = 0;
    let err = source
        .for_each_task(&mut |_| {
            seen += 1;
            if seen == 10 {
                Err(labelterm::Error::Other("disk full".into()))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "disk full");
    assert_eq!(seen, 10);
    let mut all = 0;
    source
        .for_each_task(&mut |_| {
            all += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(all, 6000);
}

/// Every file under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
        }
    }
    out.sort();
    out
}

#[test]
fn export_to_standard_output_writes_only_the_export_there() {
    let dir = tempfile::tempdir().unwrap();
    let db = project(dir.path(), "text_choices");
    let to_file = export(dir.path(), &db, "JSON_MIN", "min.json", &[]);
    let before = tree(dir.path());
    let o = ok(labelterm(
        &[
            "export",
            db.to_str().unwrap(),
            "--export-type",
            "JSON_MIN",
            "--export-path",
            "-",
        ],
        dir.path(),
    ));
    assert_eq!(
        o.stdout,
        std::fs::read(&to_file).unwrap(),
        "stdout holds the export alone"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("wrote standard output [JSON_MIN]"));
    assert_eq!(tree(dir.path()), before, "nothing left beside the project");
}

#[cfg(unix)]
#[test]
fn export_onto_a_symlink_or_fifo_writes_through_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let db = project(dir.path(), "text_choices");
    let expected = std::fs::read(export(dir.path(), &db, "CSV", "plain.csv", &[])).unwrap();

    // A symlink stays a symlink; its target gets the export.
    std::fs::write(dir.path().join("target.csv"), "old").unwrap();
    std::os::unix::fs::symlink("target.csv", dir.path().join("link.csv")).unwrap();
    export(dir.path(), &db, "CSV", "link.csv", &[]);
    let link = std::fs::symlink_metadata(dir.path().join("link.csv")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    assert_eq!(
        std::fs::read(dir.path().join("target.csv")).unwrap(),
        expected
    );

    // A FIFO stays a FIFO; a reader on the other end gets the export.
    let fifo = dir.path().join("pipe");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads the NUL-terminated path it is given.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    export(dir.path(), &db, "CSV", "pipe", &[]);
    assert_eq!(reader.join().unwrap(), expected);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn a_directory_format_needs_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let db = project(dir.path(), "image_bbox");
    let before = tree(dir.path());
    // A new name that reads as a file's.
    let o = labelterm(
        &[
            "export",
            db.to_str().unwrap(),
            "--export-type",
            "COCO",
            "--export-path",
            "coco.json",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("COCO writes a directory of files"), "{err}");
    assert_eq!(tree(dir.path()), before, "nothing was written");
    // An existing file.
    std::fs::write(dir.path().join("taken"), "mine").unwrap();
    let o = labelterm(
        &[
            "export",
            db.to_str().unwrap(),
            "--export-type",
            "COCO",
            "--export-path",
            "taken",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("taken is a file"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read(dir.path().join("taken")).unwrap(), b"mine");
    // Standard output.
    let o = labelterm(
        &[
            "export",
            db.to_str().unwrap(),
            "--export-type",
            "COCO",
            "--export-path",
            "-",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    // A directory works.
    export(dir.path(), &db, "COCO", "coco", &[]);
    assert!(dir.path().join("coco/result.json").is_file());
}

#[test]
fn an_empty_export_says_why() {
    let dir = tempfile::tempdir().unwrap();
    // Tasks without annotations.
    std::fs::write(
        dir.path().join("t.json"),
        r#"[{"text": "one"}, {"text": "two"}]"#,
    )
    .unwrap();
    let db = dir.path().join("p.db");
    init(
        dir.path(),
        &db,
        &case("text_choices").join("config.xml"),
        Path::new("t.json"),
        &[],
    );
    let run = |extra: &[&str]| {
        let mut args = vec!["export", db.to_str().unwrap(), "--export-path", "out.json"];
        args.extend_from_slice(extra);
        String::from_utf8(ok(labelterm(&args, dir.path())).stderr).unwrap()
    };
    let err = run(&[]);
    assert!(err.contains("exported 0 tasks"), "{err}");
    assert!(err.contains("--download-all-tasks"), "{err}");
    assert!(!run(&["--download-all-tasks"]).contains("exported 0 tasks"));

    // DOCLANG on a project whose answers hold no DocLang document.
    std::fs::write(
        dir.path().join("d.json"),
        r#"[{"data": {"image": "a.png"}, "annotations": [{"result": [{"from_name": "doclang", "to_name": "page", "type": "textarea", "value": {"text": ["plain words"]}}]}]}]"#,
    )
    .unwrap();
    let dl = dir.path().join("d.db");
    init(
        dir.path(),
        &dl,
        &case("doclang").join("config.xml"),
        Path::new("d.json"),
        &[],
    );
    let o = ok(labelterm(
        &[
            "export",
            dl.to_str().unwrap(),
            "--export-type",
            "DOCLANG",
            "--export-path",
            "docs",
        ],
        dir.path(),
    ));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("DOCLANG wrote nothing"), "{err}");
    assert!(err.contains("DocLang document"), "{err}");
}

/// The Parquet export read back: one row per task, typed data columns, the task's Label
/// Studio JSON, and a column per control with the chosen annotation's value.
#[test]
fn parquet_has_a_row_per_task_with_typed_columns_and_a_column_per_control() {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;
    let dir = tempfile::tempdir().unwrap();
    let db = project(dir.path(), "text_choices");
    let out = export(
        dir.path(),
        &db,
        "PARQUET",
        "tasks.parquet",
        &["--download-all-tasks"],
    );
    let file = std::fs::File::open(&out).unwrap();
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = builder.schema().clone();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "id",
            "text",
            "source",
            "tags",
            "score",
            "reviewed",
            "annotations",
            "predictions",
            "annotator",
            "sentiment",
            "topics"
        ]
    );
    // Data columns typed from their values: objects as JSON text, lists of strings as
    // lists, ints and floats as doubles, booleans as booleans.
    let types: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.data_type().to_string())
        .collect();
    assert_eq!(
        types[..6],
        ["Int64", "Utf8", "Utf8", "List(Utf8)", "Float64", "Boolean"],
        "{types:?}"
    );
    assert!(
        schema.metadata()["label_config"].contains(r#"<Choices name="topics""#),
        "{:?}",
        schema.metadata()
    );
    let batches: Vec<_> = builder.build().unwrap().map(Result::unwrap).collect();
    let batch = arrow_select_concat(&batches);
    assert_eq!(batch.num_rows(), 5);
    let ids: Vec<i64> = batch
        .column(0)
        .as_primitive::<Int64Type>()
        .values()
        .to_vec();
    assert_eq!(ids.len(), 5);
    let text = |col: usize, row: usize| -> Option<String> {
        let a = batch.column(col).as_string::<i32>();
        (!a.is_null(row)).then(|| a.value(row).to_string())
    };
    let list = |row: usize| -> Option<Vec<String>> {
        let a = batch.column(10).as_list::<i32>();
        (!a.is_null(row)).then(|| {
            let v = a.value(row);
            let s = v.as_string::<i32>();
            (0..s.len()).map(|i| s.value(i).to_string()).collect()
        })
    };
    // Task 1: one annotation, two controls; its data as typed values.
    assert_eq!(text(9, 0).as_deref(), Some("Positive"));
    assert_eq!(
        text(2, 0).as_deref(),
        Some(r#"{"site":"news.example","url":"https://news.example/a/1"}"#)
    );
    assert_eq!(
        batch
            .column(4)
            .as_primitive::<arrow_array::types::Float64Type>()
            .value(1),
        1.0
    );
    assert!(batch.column(5).as_boolean().value(0));
    assert_eq!(
        list(0),
        Some(vec!["Sports".to_string(), "Tech".to_string()])
    );
    // Task 2: the skipped annotation is passed over for the live one.
    let anns: Value = serde_json::from_str(&text(6, 1).unwrap()).unwrap();
    assert_eq!(anns.as_array().unwrap().len(), 2);
    let live = anns
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["was_cancelled"] == false)
        .unwrap();
    let live_sentiment = live["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["from_name"] == "sentiment")
        .map(|r| r["value"]["choices"][0].as_str().unwrap().to_string());
    assert_eq!(text(9, 1), live_sentiment);
    // Task 3 has no annotation and task 5 only a skipped one: no values, no annotator.
    for row in [2, 4] {
        assert_eq!(text(9, row), None, "row {row}");
        assert_eq!(list(row), None, "row {row}");
        assert!(batch.column(8).is_null(row));
    }
    assert_eq!(text(6, 2).as_deref(), Some("[]"));
    assert!(
        text(7, 2)
            .unwrap()
            .contains(r#""model_version":"demo-model-1""#)
    );
    // Without --download-all-tasks, tasks without annotations are left out, as in every
    // format.
    let out = export(dir.path(), &db, "PARQUET", "annotated.parquet", &[]);
    let rows: usize = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&out).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap()
    .map(|b| b.unwrap().num_rows())
    .sum();
    assert_eq!(rows, 4);
    pandas_reads(&dir.path().join("tasks.parquet"));
}

fn arrow_select_concat(batches: &[arrow_array::RecordBatch]) -> arrow_array::RecordBatch {
    assert_eq!(batches.len(), 1, "a small export is one batch");
    batches[0].clone()
}

/// pyarrow and pandas (from the Label Studio suites' Python, when there is one) read the
/// file with the same columns and values.
fn pandas_reads(file: &Path) {
    let Some(python) = std::env::var("LABELTERM_LS_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
    else {
        eprintln!("pyarrow/pandas check skipped: LABELTERM_LS_PYTHON is not set");
        return;
    };
    let script = r#"
import json, sys
import pandas as pd, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
df = pd.read_parquet(sys.argv[1])
print(json.dumps({
    "types": {f.name: str(f.type) for f in t.schema},
    "sentiment": [None if pd.isna(v) else v for v in df["sentiment"]],
    "topics": [None if v is None else list(v) for v in df["topics"]],
    "rows": len(df),
}))
"#;
    let out = Command::new(python)
        .args(["-c", script, file.to_str().unwrap()])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["rows"], 5);
    assert_eq!(got["types"]["id"], "int64");
    assert_eq!(got["types"]["topics"], "list<item: string>");
    assert_eq!(got["sentiment"][0], "Positive");
    assert_eq!(got["topics"][0], json!(["Sports", "Tech"]));
}

/// A file to upload to a Label Studio server names annotators by email, which its import
/// matches on any server; this project's user ids mean nothing there (Label Studio read
/// them as its own users' ids: a file was refused, another credited to the wrong person).
#[test]
fn completed_by_as_email_for_a_server_import() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = text_project(
        dir,
        &json!([{"data": {"text": "a"}, "annotations": [
            {"result": [], "completed_by": {"email": "ann@example.com"}},
            {"result": [], "completed_by": {"email": "bob"}}]}]),
        &["A"],
    );
    let by = |v: &Value| -> Vec<Value> {
        v[0]["annotations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["completed_by"].clone())
            .collect()
    };
    // Label Studio's export shape by default: ids.
    let ids = read_json(&export(dir, &db, "JSON", "ids.json", &[]));
    assert!(by(&ids).iter().all(Value::is_i64), "{:?}", by(&ids));
    // For an upload: emails; a name that is not one is left to the importer (null).
    let emails = read_json(&export(
        dir,
        &db,
        "JSON",
        "emails.json",
        &["--completed-by", "email"],
    ));
    assert_eq!(
        by(&emails),
        [json!({"email": "ann@example.com"}), Value::Null]
    );
    let o = labelterm(
        &[
            "export",
            db.to_str().unwrap(),
            "--export-type",
            "JSON",
            "--export-path",
            "x.json",
            "--completed-by",
            "name",
        ],
        dir,
    );
    assert!(!o.status.success());
}

/// Annotations imported together share a timestamp; the export keeps the file's order
/// (never a re-sort by time or by the file's ids), every time.
#[test]
fn annotations_with_equal_timestamps_keep_the_files_order() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let at = "2026-11-30T10:00:00.000000Z";
    let ann = |id: i64, c: &str| {
        json!({"id": id, "created_at": at, "updated_at": at,
               "completed_by": {"email": format!("{c}@example.com")},
               "result": [{"from_name": "c", "to_name": "text", "type": "choices",
                           "value": {"choices": [c]}}]})
    };
    let file = json!([{"data": {"text": "a"},
                       "annotations": [ann(9, "B"), ann(3, "A"), ann(5, "C")]}]);
    let db = text_project(dir, &file, &["A", "B", "C"]);
    let config = dir.join("config.xml");
    let order = |v: &Value| -> Vec<String> {
        v[0]["annotations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                a["result"][0]["value"]["choices"][0]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    for name in ["one.json", "two.json"] {
        let out = read_json(&export(dir, &db, "JSON", name, &[]));
        assert_eq!(order(&out), ["B", "A", "C"]);
    }
    // And again after a round trip through the export.
    let again = dir.join("again.db");
    init(dir, &again, &config, &dir.join("one.json"), &[]);
    let out = read_json(&export(dir, &again, "JSON", "three.json", &[]));
    assert_eq!(order(&out), ["B", "A", "C"]);
    let min = read_json(&export(dir, &again, "JSON_MIN", "min.json", &[]));
    let min_order: Vec<&str> = min
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["c"].as_str().unwrap())
        .collect();
    assert_eq!(min_order, ["B", "A", "C"]);
}

/// A project of text tasks (`tasks` as Label Studio JSON) under a config with one Choices
/// control `c` of `choices`.
fn text_project(dir: &Path, tasks: &Value, choices: &[&str]) -> PathBuf {
    let file = dir.join("tasks.json");
    std::fs::write(&file, tasks.to_string()).unwrap();
    let config = dir.join("config.xml");
    let options: String = choices
        .iter()
        .map(|c| format!(r#"<Choice value="{c}"/>"#))
        .collect();
    std::fs::write(
        &config,
        format!(
            r#"<View><Text name="text" value="$text"/><Choices name="c" toName="text">{options}</Choices></View>"#
        ),
    )
    .unwrap();
    let db = dir.join("p.db");
    init(dir, &db, &config, &file, &[]);
    db
}
