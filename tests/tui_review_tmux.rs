//! A review end to end: the real binary in tmux with `start --review` accepts one
//! annotation and rejects another with a comment; the store holds both decisions.

use std::path::Path;

mod tmux;
use tmux::{Tmux, no_tmux, rows};

const CONFIG: &str = r#"<View><Text name="t" value="$text"/><Choices name="c" toName="t"><Choice value="Yes"/><Choice value="No"/></Choices></View>"#;

fn init(dir: &Path) -> std::path::PathBuf {
    let config = dir.join("config.xml");
    std::fs::write(&config, CONFIG).unwrap();
    let tasks = dir.join("tasks.json");
    let choice = |c: &str| serde_json::json!({"from_name": "c", "to_name": "t", "type": "choices", "value": {"choices": [c]}});
    let data = serde_json::json!([
        {"data": {"text": "is it a cat"}, "annotations": [{"completed_by": {"email": "ann"}, "result": [choice("Yes")]}]},
        {"data": {"text": "is it a dog"}, "annotations": [{"completed_by": {"email": "ann"}, "result": [choice("No")]}]}
    ]);
    std::fs::write(&tasks, data.to_string()).unwrap();
    let db = dir.join("review.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labelterm"))
        .args(["init", db.to_str().unwrap(), "--label-config"])
        .arg(&config)
        .arg("--input-path")
        .arg(&tasks)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

#[test]
fn a_review_in_tmux_accepts_one_and_rejects_one_with_a_comment() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = init(dir.path());
    let args: Vec<String> = ["start", db.to_str().unwrap(), "--user", "boss", "--review"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let tmux = Tmux::run("labelterm-review", &args, (100, 30), &[]);
    tmux.wait_for("annotation 1/2");
    tmux.wait_for("is it a cat");
    tmux.keys(&["a"]);
    tmux.wait_for("accepted · saved");
    tmux.wait_for("annotation 2/2");
    tmux.keys(&["x"]);
    tmux.wait_for("why?");
    tmux.keys(&["not a dog", "Enter"]);
    tmux.wait_for("rejected · saved");
    tmux.keys(&["q"]);
    tmux.wait_exit("q");
    assert_eq!(
        rows(
            &db,
            "SELECT r.task_id, u.email, r.decision, r.comment FROM reviews r
             JOIN users u ON u.id = r.reviewer ORDER BY r.id"
        ),
        ["1|boss|accepted|", "2|boss|rejected|not a dog"]
    );
}
