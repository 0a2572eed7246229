//! End to end in tmux: the task screen at 80×24 shows every control, tells the hotkey
//! clash, and takes a mouse click on a choice.

use std::path::Path;

mod tmux;
use tmux::{Tmux, no_tmux};

#[test]
fn small_terminal_shows_every_control_and_a_click_toggles_a_choice() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/multi_control");
    let args: Vec<String> = [
        "start",
        &db.display().to_string(),
        "--init",
        "--label-config",
        &samples.join("config.xml").display().to_string(),
        "--input-path",
        &samples.join("tasks.json").display().to_string(),
        "--user",
        "tmuxer",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let tmux = Tmux::run("labelterm-fit", &args, (80, 24), &[]);
    let screen = tmux.wait_for("hotkey x of \"Spam\"");
    for name in [
        "question (Text)",
        "relevance (",
        "category (",
        "clarity (",
        "priority (",
        "answer (",
        "Predictions & annotations",
    ] {
        assert!(screen.contains(name), "{name} missing\n{screen}");
    }
    // A left click (SGR mouse, 1-based) on the Spam row, then its release.
    let (y, line) = screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("Spam") && l.contains("[ ]"))
        .unwrap_or_else(|| panic!("no Spam row\n{screen}"));
    let x = line[..line.find("Spam").unwrap()].chars().count();
    let (col, row) = (x + 1, y + 1);
    tmux.keys(&["-l", &format!("\x1b[<0;{col};{row}M\x1b[<0;{col};{row}m")]);
    let after = tmux.wait_for("[x] Spam");
    assert!(after.contains("draft saved"), "{after}");
}
