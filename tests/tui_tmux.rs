//! End to end: the real binary inside tmux. Creates a project with `start --init`, labels
//! tasks with `send-keys`, quits, then checks the store and the JSON export.

use std::path::Path;
use std::process::Command;

mod tmux;
use tmux::{Tmux, no_tmux};

#[test]
fn label_in_tmux_then_check_store_and_export() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sentiment");
    let tmux = Tmux::start(
        "labelterm-test",
        &db,
        &samples.join("config.xml"),
        &samples.join("tasks.json"),
    );
    // Task 1 is labeled already (by ana), so the stream opens task 2.
    tmux.wait_for("task #2");
    tmux.keys(&["2"]);
    tmux.wait_for("draft saved");
    tmux.keys(&["s"]);
    tmux.wait_for("task 2 submitted");
    tmux.wait_for("task #3");
    tmux.keys(&["1", "s"]);
    tmux.wait_for("task 3 submitted");
    tmux.keys(&["S"]);
    tmux.wait_for("skipped");
    // The list is one key away.
    tmux.keys(&["t"]);
    let list = tmux.wait_for("Tasks · filter: all");
    assert!(list.contains("tmuxer"), "{list}");
    tmux.keys(&["q"]);
    tmux.wait_exit("q");

    let conn = rusqlite::Connection::open(&db).unwrap();
    let rows: Vec<(i64, String, bool, f64)> = conn
        .prepare(
            "SELECT a.task_id, json_extract(a.result, '$[0].value.choices[0]'), a.was_cancelled, a.lead_time
             FROM annotations a JOIN users u ON u.id = a.completed_by WHERE u.email = 'tmuxer' ORDER BY a.task_id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_default(), r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(
        (rows[0].0, rows[0].1.as_str(), rows[0].2),
        (2, "Negative", false)
    );
    assert_eq!(
        (rows[1].0, rows[1].1.as_str(), rows[1].2),
        (3, "Positive", false)
    );
    assert!(rows[2].2, "the third was skipped");
    assert!(rows.iter().all(|r| r.3 > 0.0), "lead times are measured");
    let labeled: i64 = conn
        .query_row("SELECT COUNT(*) FROM tasks WHERE is_labeled = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(labeled, 3);

    let export = dir.path().join("out.json");
    let st = Command::new(env!("CARGO_BIN_EXE_labelterm"))
        .args([
            "export",
            db.to_str().unwrap(),
            "--export-type",
            "JSON",
            "--export-path",
            export.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let tasks: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    let t2 = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == 2)
        .expect("task 2 exported");
    let ann = t2["annotations"].as_array().unwrap().iter().find(|a| {
        a["created_username"]
            .as_str()
            .is_some_and(|u| u.starts_with("tmuxer"))
    });
    let ann = ann.expect("tmuxer's annotation is exported");
    assert_eq!(ann["result"][0]["value"]["choices"][0], "Negative");
    assert_eq!(ann["result"][0]["type"], "choices");
    assert_eq!(ann["was_cancelled"], false);
}

/// A `<Repeater>` of 100 panes: the real binary draws a frame with the pane marker, moves to
/// the last pane and quits cleanly.
#[test]
fn repeater_of_100_panes_in_tmux() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("panes.db");
    let config = dir.path().join("config.xml");
    std::fs::write(
        &config,
        r#"<View><Repeater on="$items" indexFlag="{{idx}}">
          <Text name="text_{{idx}}" value="$items[{{idx}}].text"/>
          <Choices name="choice_{{idx}}" toName="text_{{idx}}"><Choice value="yes"/><Choice value="no"/></Choices>
        </Repeater></View>"#,
    )
    .unwrap();
    let items: Vec<serde_json::Value> = (0..100)
        .map(|i| serde_json::json!({"text": format!("text #{i} end")}))
        .collect();
    let tasks = dir.path().join("tasks.json");
    std::fs::write(&tasks, serde_json::json!([{ "items": items }]).to_string()).unwrap();
    let tmux = Tmux::start("labelterm-test-panes", &db, &config, &tasks);
    let first = tmux.wait_for("pane 1/100");
    assert!(first.contains("text #0 end"), "{first}");
    assert!(first.contains("more below"), "{first}");
    tmux.keys(&["K"]);
    let last = tmux.wait_for("pane 100/100");
    assert!(last.contains("text #99 end"), "{last}");
    tmux.keys(&["q"]);
    tmux.wait_exit("q");
}

/// Label Studio's keys through tmux's extended keys: `C-Enter` submits and `C-Space` skips,
/// because the annotator asks for modifyOtherKeys and trusts it inside tmux.
#[test]
fn label_studio_keys_in_tmux() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keys.db");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sentiment");
    let tmux = Tmux::start(
        "labelterm-test-keys",
        &db,
        &samples.join("config.xml"),
        &samples.join("tasks.json"),
    );
    assert!(
        tmux.cmd(&["set", "-s", "extended-keys", "on"])
            .status
            .success()
    );
    tmux.wait_for("task #2");
    tmux.keys(&["2"]);
    tmux.wait_for("draft saved");
    tmux.keys(&["C-Enter"]);
    tmux.wait_for("task 2 submitted");
    tmux.wait_for("task #3");
    tmux.keys(&["C-Space"]);
    tmux.wait_for("skipped");
    tmux.keys(&["q"]);
    tmux.wait_exit("q");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let rows: Vec<(i64, bool)> = conn
        .prepare(
            "SELECT a.task_id, a.was_cancelled FROM annotations a
             JOIN users u ON u.id = a.completed_by WHERE u.email = 'tmuxer' ORDER BY a.task_id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows, vec![(2, false), (3, true)]);
}

/// xterm's own modifyOtherKeys form (`CSI 27;5;13~`, what xterm and tmux 3.5's default
/// `extended-keys-format xterm` send for Ctrl-Enter), written into the pane as it arrives.
#[test]
fn xterm_modify_other_keys_submit_in_tmux() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("xterm.db");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sentiment");
    let tmux = Tmux::start(
        "labelterm-test-xterm-keys",
        &db,
        &samples.join("config.xml"),
        &samples.join("tasks.json"),
    );
    tmux.wait_for("task #2");
    tmux.keys(&["2"]);
    tmux.wait_for("draft saved");
    tmux.keys(&["-l", "\x1b[27;5;13~"]);
    tmux.wait_for("task 2 submitted");
    tmux.wait_for("task #3");
}
