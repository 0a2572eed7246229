//! The annotator reads media through the same resolver as export: relative paths against
//! the folder the task was imported from (whatever the current directory), and nothing
//! outside the allowed roots.

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use labelterm::tui::StartOptions;
use labelterm::tui::app::Content;
use labelterm::tui::media::Source;
use std::os::unix::fs::symlink;

const SECRET: &str = "SECRET-TEXT-never-shown";

/// A session with no media root: only the tasks' import folders are allowed.
fn open_plain(f: &Fixture) -> Driver {
    open_opts(StartOptions {
        project: f.db.clone(),
        user: "ann".into(),
        ..Default::default()
    })
}

#[test]
fn url_text_outside_the_roots_is_refused_and_never_loaded() {
    let outside = tempfile::tempdir().unwrap();
    let outside_dir = outside.path().canonicalize().unwrap();
    std::fs::write(outside_dir.join("s.txt"), SECRET).unwrap();
    let abs = outside_dir.join("s.txt").display().to_string();
    let rel = format!(
        "../{}/s.txt",
        outside_dir.file_name().unwrap().to_string_lossy()
    );
    let values = [
        rel,
        abs.clone(),
        format!("file://{abs}"),
        "link.txt".to_string(),
        "linkdir/s.txt".to_string(),
    ];
    let mut tasks: Vec<serde_json::Value> = values
        .iter()
        .map(|v| serde_json::json!({"url": v}))
        .collect();
    tasks.push(serde_json::json!({"url": "ok.txt"}));
    let f = project(
        r#"<View><Text name="t" value="$url" valueType="url"/><Labels name="l" toName="t"><Label value="X"/></Labels></View>"#,
        &serde_json::Value::Array(tasks).to_string(),
    );
    symlink(outside_dir.join("s.txt"), f.dir.path().join("link.txt")).unwrap();
    symlink(&outside_dir, f.dir.path().join("linkdir")).unwrap();
    std::fs::write(f.dir.path().join("ok.txt"), "hello inside").unwrap();
    let mut d = open_plain(&f);
    for (i, v) in values.iter().enumerate() {
        let id = i as i64 + 1;
        d.keys("esc :");
        d.type_text(&id.to_string());
        d.keys("enter");
        assert_eq!(d.task_id(), id);
        let content = d.s.app.annotate.task.as_ref().unwrap().contents["t"].clone();
        match &content {
            Content::Failed(msg) => {
                assert!(msg.contains(&format!("task {id}")), "{msg}");
                assert!(msg.contains(&format!("{v:?}")), "{msg}");
                assert!(msg.contains("outside the allowed roots"), "{msg}");
            }
            other => panic!("{v}: {other:?}"),
        }
        // Trying to label it stores nothing of the file.
        d.keys("v w 1");
        let t = d.s.app.annotate.task.as_ref().unwrap();
        let state = format!("{:?} {:?}", t.contents, t.draft.result());
        assert!(!state.contains(SECRET), "{v}");
        if i < 2 {
            assert!(!d.screen(100, 30).contains(SECRET), "{v}");
        }
    }
    d.keys("esc :");
    d.type_text(&(values.len() + 1).to_string());
    d.keys("enter");
    let content = d.s.app.annotate.task.as_ref().unwrap().contents["t"].clone();
    assert!(matches!(content, Content::Doc(_)), "{content:?}");
    assert!(d.screen(100, 30).contains("hello inside"));
    for table in ["drafts", "annotations"] {
        for row in sql(&f.db, &format!("SELECT result FROM {table}")) {
            assert!(!row.contains(SECRET), "{table}: {row}");
        }
    }
}

/// The image and audio samples name their files relative to the task file: they show
/// without --media-root, though the tests run in another directory.
#[test]
fn samples_resolve_against_their_import_folder() {
    let f = sample_project("image_bbox");
    let mut d = open_plain(&f);
    d.screen(100, 30);
    let t = d.s.app.annotate.task.as_ref().unwrap();
    let (source, raster) = t
        .contents
        .values()
        .find_map(|c| match c {
            Content::Image { source, raster, .. } => Some((source.clone(), raster.clone())),
            _ => None,
        })
        .expect("an image pane");
    match source {
        Ok(Source::Path(p)) => assert!(p.ends_with("samples/image_bbox/images/street.png")),
        other => panic!("{other:?}"),
    }
    assert!(raster.is_some(), "the image is drawn");

    let f = sample_project("audio_transcription");
    let d = open_plain(&f);
    let t = d.s.app.annotate.task.as_ref().unwrap();
    let (source, duration) = t
        .contents
        .values()
        .find_map(|c| match c {
            Content::Media {
                source, duration, ..
            } => Some((source.clone(), *duration)),
            _ => None,
        })
        .expect("an audio pane");
    assert!(matches!(source, Ok(Source::Path(_))), "{source:?}");
    assert!(duration.is_some_and(|s| s > 0.0));
}
