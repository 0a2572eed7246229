//! `labelterm inspect`: the inferred config, the temporary project and its removal, and
//! standard input, through the real binary (and in tmux for the annotator on a pipe).

#[path = "annotator/mod.rs"]
mod annotator;
mod common;
mod tmux;

use common::write;
use labelterm::config::LabelConfig;
use labelterm::tui::StartOptions;
use labelterm::tui::screens::Screen;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const IMAGES: &str = r#"[
 {"data": {"image": "https://example.com/a.jpg", "caption": "A cat on a mat"},
  "predictions": [{"model_version": "m1", "score": 0.8, "result": [
    {"from_name": "box", "to_name": "image", "type": "rectanglelabels",
     "value": {"x": 10, "y": 10, "width": 20, "height": 20, "rectanglelabels": ["Cat"]}}]}]},
 {"data": {"image": "https://example.com/b.png", "caption": "Two dogs"},
  "annotations": [{"result": [
    {"from_name": "box", "to_name": "image", "type": "rectanglelabels",
     "value": {"x": 1, "y": 1, "width": 5, "height": 5, "rectanglelabels": ["Dog"]}},
    {"from_name": "quality", "to_name": "image", "type": "choices", "value": {"choices": ["good"]}}]}]}
]"#;

/// Runs labelterm with `TMPDIR` set to `tmp` and `stdin` piped in.
fn run(tmp: &Path, args: &[&str], stdin: Option<&str>) -> common::Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_labelterm"))
        .args(args)
        .env("TMPDIR", tmp)
        .env("USER", "tester")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn left_in(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn print_config_prints_a_config_that_parses_and_fits_the_results() {
    let d = common::tmp();
    let tmp = common::tmp();
    let file = write(d.path(), "img.json", IMAGES);
    let r = run(tmp.path(), &["inspect", &file, "--print-config"], None);
    r.ok();
    let config = LabelConfig::parse(&r.stdout).unwrap_or_else(|e| panic!("{e:?}\n{}", r.stdout));
    let objects: Vec<(&str, &str)> = config
        .objects
        .iter()
        .map(|o| (o.name.as_str(), o.tag.as_str()))
        .collect();
    assert_eq!(objects, [("image", "Image"), ("caption", "Text")]);
    let controls: Vec<(&str, &str, Vec<&str>)> = config
        .controls
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.tag.as_str(),
                c.labels.iter().map(|l| l.key.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        controls,
        [
            ("box", "RectangleLabels", vec!["Cat", "Dog"]),
            ("quality", "Choices", vec!["good"])
        ]
    );
    assert_eq!(config.controls[0].to_name, ["image"]);
    assert!(left_in(tmp.path()).is_empty(), "{:?}", left_in(tmp.path()));
    // The printed config validates the same file without a problem.
    let cfg = write(d.path(), "c.xml", &r.stdout);
    common::labelterm(&["validate", "--label-config", &cfg, "--input-path", &file]).ok();
}

#[test]
fn the_temporary_project_is_made_and_removed() {
    let d = common::tmp();
    let tmp = common::tmp();
    let file = write(d.path(), "img.json", IMAGES);
    // A folder of an inspection that was killed: its lock is free, so it goes.
    std::fs::create_dir(tmp.path().join("labelterm-inspect-999999-0")).unwrap();
    std::fs::write(tmp.path().join("labelterm-inspect-999999-0.lock"), "").unwrap();
    let r = run(tmp.path(), &["inspect", &file, "--no-tui"], None);
    r.ok();
    let project = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("project "))
        .unwrap()
        .to_string();
    assert!(
        project.starts_with(&tmp.path().display().to_string()),
        "{project}"
    );
    assert!(
        r.stdout.contains(
            "2 task(s), 1 annotation(s), 1 prediction(s); 2 object tag(s), 2 control tag(s)"
        ),
        "{}",
        r.stdout
    );
    assert!(!Path::new(&project).exists());
    assert!(left_in(tmp.path()).is_empty(), "{:?}", left_in(tmp.path()));
}

#[test]
fn standard_input_is_inspected_and_bad_tasks_are_left_out() {
    let tmp = common::tmp();
    let jsonl = "{\"text\": \"first\"}\n{\"text\": \"second\"}\n{\"text\": \"third\", \"predictions\": [{\"result\": [], \"score\": 7}]}\n";
    let r = run(tmp.path(), &["inspect", "-", "--no-tui"], Some(jsonl));
    r.ok();
    assert!(r.stdout.contains("3 task(s)"), "{}", r.all());
    // Without the data envelope the predictions are task data; with it, the bad score
    // leaves its task out and the rest is shown.
    let wrapped = "{\"data\": {\"text\": \"first\"}}\n{\"data\": {\"text\": \"third\"}, \"predictions\": [{\"result\": [], \"score\": 7}]}\n";
    let r = run(tmp.path(), &["inspect", "-", "--no-tui"], Some(wrapped));
    r.ok();
    assert!(r.stdout.contains("1 task(s)"), "{}", r.all());
    assert!(r.stderr.contains("Score must be between"), "{}", r.stderr);
    assert!(left_in(tmp.path()).is_empty());
    // Nothing that imports: an error, and nothing left behind.
    let r = run(
        tmp.path(),
        &["inspect", "-", "--no-tui", "--input-format", "json"],
        Some("[1, 2]"),
    );
    r.failed(1);
    assert!(left_in(tmp.path()).is_empty());
    let r = run(tmp.path(), &["inspect", "-", "-", "--no-tui"], Some("x"));
    r.failed(2);
}

#[test]
fn the_annotator_opens_on_a_pipe_and_its_project_goes_when_it_quits() {
    if tmux::no_tmux() {
        return;
    }
    let d = common::tmp();
    let tmp = common::tmp();
    let file = write(d.path(), "img.json", IMAGES);
    let t = tmux::Tmux::shell("lt-inspect", (100, 30));
    t.keys(&[
        &format!(
            "cat '{file}' | TMPDIR='{}' {} inspect -",
            tmp.path().display(),
            tmux::Tmux::command_line(&[])
        ),
        "Enter",
    ]);
    // It opens on the data table; Enter on the second row shows that task.
    // The message line is drawn last, so the frame above it is whole.
    t.wait_for("a temporary project");
    let screen = t.wait_for("Data table · 2 task(s)");
    assert!(screen.contains("inspect -"), "{screen}");
    assert!(!left_in(tmp.path()).is_empty());
    t.keys(&["j"]);
    t.keys(&["Enter"]);
    // Waits for the whole frame: a capture can land while the annotator is half drawn.
    t.wait_for("Two dogs");
    t.wait_for("box (RectangleLabels)");
    t.keys(&["q"]);
    let start = std::time::Instant::now();
    while !left_in(tmp.path()).is_empty() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "left behind: {:?}",
            left_in(tmp.path())
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn the_session_opens_on_the_screen_it_is_asked_for() {
    let f = annotator::sample_project("sentiment");
    let opts = |first_screen| StartOptions {
        project: f.db.clone(),
        user: "inspector".into(),
        first_screen,
        ..Default::default()
    };
    let mut d = annotator::open_opts(opts(Screen::List));
    assert_eq!(d.s.app.screen, Screen::List);
    assert!(
        d.s.app.annotate.task.is_none(),
        "no task is opened (nor claimed)"
    );
    assert!(d.screen(100, 30).contains("task(s)"));
    // `start` opens the next task, as before.
    let d = annotator::open_opts(opts(Screen::Task));
    assert_eq!(d.s.app.screen, Screen::Task);
    assert!(d.s.app.annotate.task.is_some());
}
