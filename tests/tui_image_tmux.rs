//! End to end on the image sample: the real binary in tmux draws a box fitted to a target
//! with twelve keys (a jump to each corner, the anchor, the label key), submits it, and
//! the store holds the box within two percent of the target.

use std::path::Path;

mod tmux;
use tmux::{Tmux, no_tmux};

/// The annotator on the image sample at 120 × 40, as user tmuxer.
fn start(socket: &str, db: &Path) -> Tmux {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/image_bbox");
    let args: Vec<String> = [
        "start",
        &db.display().to_string(),
        "--init",
        "--label-config",
        &sample.join("config.xml").display().to_string(),
        "--input-path",
        &sample.join("tasks.json").display().to_string(),
        "--user",
        "tmuxer",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let tmux = Tmux::run(socket, &args, (120, 40), &[]);
    tmux.wait_for("street.png");
    // The picture itself (half blocks) arrives after its caption: keys and clicks need it.
    tmux.wait_for("▀");
    tmux
}

/// Submits, quits and returns the regions drawn by hand in task 1's annotation.
fn submit_and_read(tmux: &Tmux, db: &Path) -> Vec<serde_json::Value> {
    tmux.keys(&["s"]);
    tmux.wait_for("submitted");
    tmux.keys(&["q"]);
    tmux.wait_exit("q");
    let conn = rusqlite::Connection::open(db).unwrap();
    let result: String = conn
        .query_row(
            "SELECT a.result FROM annotations a JOIN users u ON u.id = a.completed_by
             WHERE u.email = 'tmuxer' AND a.task_id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let result: serde_json::Value = serde_json::from_str(&result).unwrap();
    result
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["origin"] == "manual")
        .cloned()
        .collect()
}

#[test]
fn a_box_fitted_to_a_target_with_twelve_keys_is_stored() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("img.db");
    let tmux = start("labelterm-image", &db);
    // Target x 62, y 27, 20 × 30 percent, labelled Person (key 2). A bare `;` is tmux's
    // command separator, hence `\;`.
    let keys = [
        "\\;", "w", "c", "s", "e", "v", "\\;", "d", "x", "w", "a", "2",
    ];
    assert!(keys.len() <= 12);
    for k in keys {
        tmux.keys(&[k]);
    }
    tmux.wait_for("box Person");
    let boxes = submit_and_read(&tmux, &db);
    assert_eq!(boxes.len(), 1, "{boxes:?}");
    let v = &boxes[0]["value"];
    assert_eq!(v["rectanglelabels"], serde_json::json!(["Person"]));
    for (k, want) in [("x", 62.0), ("y", 27.0), ("width", 20.0), ("height", 30.0)] {
        let got = v[k].as_f64().unwrap();
        assert!((got - want).abs() <= 2.0, "{k}: {got} vs {want}: {v}");
    }
    assert_eq!(boxes[0]["original_width"], 64);
}

/// A drag with the mouse (SGR reports, as a terminal sends them through tmux) draws a
/// box; a label key relabels it.
#[test]
fn a_mouse_drag_in_tmux_draws_a_box() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("img.db");
    let tmux = start("labelterm-image-mouse", &db);
    // Press at column 20 row 12, drag, release at column 40 row 20 (1-based).
    for report in ["\x1b[<0;20;12M", "\x1b[<32;30;16M", "\x1b[<0;40;20m"] {
        assert!(
            tmux.cmd(&["send-keys", "-t", "lt", "-l", report])
                .status
                .success()
        );
    }
    tmux.wait_for("box Car");
    tmux.keys(&["3"]);
    tmux.wait_for("Boat box");
    let boxes = submit_and_read(&tmux, &db);
    assert_eq!(boxes.len(), 1, "{boxes:?}");
    let v = &boxes[0]["value"];
    assert_eq!(v["rectanglelabels"], serde_json::json!(["Boat"]));
    assert!(v["width"].as_f64().unwrap() > 20.0, "{v}");
    assert!(v["height"].as_f64().unwrap() > 20.0, "{v}");
}
