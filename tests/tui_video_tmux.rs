//! End to end on a video tracking config: the real binary in tmux makes a track with a
//! label key, types its box on a later frame (a second keyframe), relates nothing, and
//! submits; the store holds Label Studio's `videorectangle` result.

use std::path::Path;

mod tmux;
use tmux::{Tmux, no_tmux};

const CONFIG: &str = r#"<View>
  <Labels name="who" toName="clip"><Label value="Cat"/><Label value="Dog"/></Labels>
  <Video name="clip" value="$video" framerate="10"/>
  <VideoRectangle name="box" toName="clip"/>
</View>"#;

fn stored(db: &Path) -> serde_json::Value {
    let conn = rusqlite::Connection::open(db).unwrap();
    let result: String = conn
        .query_row(
            "SELECT a.result FROM annotations a JOIN users u ON u.id = a.completed_by
             WHERE u.email = 'tmuxer' AND a.task_id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    serde_json::from_str(&result).unwrap()
}

#[test]
fn a_track_typed_in_tmux_is_stored_as_label_studio_writes_it() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.xml");
    std::fs::write(&config, CONFIG).unwrap();
    let tasks = dir.path().join("tasks.json");
    std::fs::write(&tasks, r#"[{"video": "missing.mp4"}]"#).unwrap();
    let db = dir.path().join("video.db");
    let tmux = Tmux::start("labelterm-video", &db, &config, &tasks);
    tmux.wait_for("frame 1 ·");
    tmux.keys(&["F"]);
    tmux.wait_for("frame count");
    tmux.keys(&["C-u", "50", "Enter"]);
    tmux.wait_for("50 frames (5.00 s)");
    tmux.keys(&["2"]);
    tmux.wait_for("new track on frame 1");
    tmux.keys(&["L", "Enter"]);
    tmux.wait_for("box on frame 11");
    tmux.keys(&["C-u", "5 6 7 8", "Enter"]);
    tmux.wait_for("2 keyframes frames 1–11");
    tmux.keys(&["s"]);
    tmux.wait_for("submitted");
    tmux.keys(&["q"]);
    tmux.wait_exit("q");
    let r = stored(&db);
    assert_eq!(r.as_array().unwrap().len(), 1, "{r}");
    let v = &r[0]["value"];
    assert_eq!(r[0]["type"], "videorectangle");
    assert_eq!(v["labels"], serde_json::json!(["Dog"]));
    assert_eq!(v["framesCount"], 50);
    assert_eq!(v["duration"], 5.0);
    let seq = v["sequence"].as_array().unwrap();
    assert_eq!(seq.len(), 2);
    assert_eq!(
        seq[1],
        serde_json::json!({"frame": 11, "enabled": true, "time": 1.1, "x": 5.0, "y": 6.0,
            "width": 7.0, "height": 8.0, "rotation": 0.0})
    );
}
