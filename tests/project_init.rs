//! Creating a project onto a file that is already there: `start --init` opens a project
//! with the same label config (the quick start can be run again), and nothing ever
//! replaces an existing project.

mod common;
use common::*;

const CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
  </Choices>
</View>
"#;

/// The same config laid out differently: other indentation, attribute order, a comment.
const CONFIG_REFORMATTED: &str = r#"<View><!-- same interface -->
<Text value="$text" name="text"/>
<Choices toName="text" name="sentiment" choice="single"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>"#;

const OTHER_CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
    <Choice value="Neutral"/>
  </Choices>
</View>
"#;

const TASKS: &str = r#"[{"text": "one"}, {"text": "two"}]"#;

struct Setup {
    _dir: tempfile::TempDir,
    project: String,
    config: String,
    reformatted: String,
    other: String,
    tasks: String,
    missing_dir: String,
}

/// A project made with `init` from CONFIG and two tasks.
fn setup() -> Setup {
    let dir = tmp();
    let s = Setup {
        project: path(dir.path(), "demo.db"),
        config: write(dir.path(), "c.xml", CONFIG),
        reformatted: write(dir.path(), "c2.xml", CONFIG_REFORMATTED),
        other: write(dir.path(), "other.xml", OTHER_CONFIG),
        tasks: write(dir.path(), "t.json", TASKS),
        missing_dir: path(dir.path(), "no-such-dir"),
        _dir: dir,
    };
    labelterm(&[
        "init",
        &s.project,
        "--label-config",
        &s.config,
        "--input-path",
        &s.tasks,
    ])
    .ok();
    s
}

/// `start --init` run again: the project opens as it is. A missing `--media-root` stops
/// `start` right after the project step and before the terminal, so the test needs none.
#[test]
fn start_init_again_with_the_same_config_opens_the_project() {
    let s = setup();
    let before = dump(&s.project);
    for config in [&s.config, &s.reformatted] {
        let r = labelterm(&[
            "start",
            &s.project,
            "--init",
            "--label-config",
            config,
            "--input-path",
            &s.tasks,
            "--media-root",
            &s.missing_dir,
        ]);
        r.failed(2);
        assert!(
            r.stderr
                .contains("demo.db exists with this config; opening it (tasks not imported again"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("--media-root"), "{}", r.stderr);
        assert!(!r.stderr.contains("already exists"), "{}", r.stderr);
        assert_eq!(dump(&s.project), before, "nothing was imported again");
    }
    assert_eq!(stats(&s.project)["tasks"], 2);

    let r = labelterm(&[
        "start",
        &s.project,
        "--init",
        "--label-config",
        &s.reformatted,
        "--media-root",
        &s.missing_dir,
    ]);
    r.failed(2);
    assert!(
        r.stderr
            .contains("demo.db exists with this config; opening it\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn start_init_with_a_different_config_fails_and_says_what_to_do() {
    let s = setup();
    let before = dump(&s.project);
    let r = labelterm(&[
        "start",
        &s.project,
        "--init",
        "--label-config",
        &s.other,
        "--input-path",
        &s.tasks,
    ]);
    r.failed(1);
    assert!(
        r.stderr
            .contains("demo.db already exists with a different label config; run `labelterm start"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("or choose a new file"), "{}", r.stderr);
    assert_eq!(dump(&s.project), before);
}

#[test]
fn init_onto_an_existing_project_never_replaces_it_and_says_what_to_do() {
    let s = setup();
    let before = dump(&s.project);

    let r = labelterm(&[
        "init",
        &s.project,
        "--label-config",
        &s.reformatted,
        "--input-path",
        &s.tasks,
    ]);
    r.failed(1);
    assert!(
        r.stderr.contains(
            "demo.db already exists with this label config; add tasks with `labelterm import"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(dump(&s.project), before);

    let r = labelterm(&["init", &s.project, "--label-config", &s.other]);
    r.failed(1);
    assert!(
        r.stderr
            .contains("demo.db already exists with a different label config; run `labelterm start"),
        "{}",
        r.stderr
    );
    assert_eq!(dump(&s.project), before);
}

#[test]
fn start_init_onto_a_file_that_is_not_a_project_leaves_it_alone() {
    let dir = tmp();
    let file = write(dir.path(), "notes.db", "plain text");
    let config = write(dir.path(), "c.xml", CONFIG);
    let r = labelterm(&["start", &file, "--init", "--label-config", &config]);
    r.failed(1);
    assert!(
        r.stderr.contains("already exists and is not a project"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "plain text");
}

fn settings(project: &str) -> serde_json::Value {
    stats(project)["settings"].clone()
}

#[test]
fn prelabel_is_on_by_default_and_init_no_prelabel_stores_it_off() {
    let s = setup();
    assert_eq!(settings(&s.project)["prelabel"], true);
    assert_eq!(settings(&s.project)["maximum_annotations"], 1);
    let text = labelterm(&["stats", &s.project]);
    assert!(
        text.stdout
            .contains("\n  sampling                 sequential\n")
            && text.stdout.contains("\n  prelabel                 on\n"),
        "{}",
        text.stdout
    );
    assert!(
        text.ok()
            .stdout
            .contains("\nsettings\n  maximum-annotations      1\n"),
        "{}",
        text.stdout
    );

    let off = path(s._dir.path(), "off.db");
    labelterm(&["init", &off, "--label-config", &s.config, "--no-prelabel"]).ok();
    assert_eq!(settings(&off)["prelabel"], false);
    let text = labelterm(&["stats", &off]);
    assert!(
        text.ok()
            .stdout
            .contains("\n  prelabel                 off\n"),
        "{}",
        text.stdout
    );
}

/// `start --no-prelabel` is for one run: an existing project keeps its setting, while a
/// project that `start --init --no-prelabel` creates stores it off.
#[test]
fn start_no_prelabel_leaves_an_existing_project_setting_alone() {
    let s = setup();
    labelterm(&[
        "start",
        &s.project,
        "--no-prelabel",
        "--media-root",
        &s.missing_dir,
    ])
    .failed(2);
    assert_eq!(settings(&s.project)["prelabel"], true);

    let fresh = path(s._dir.path(), "fresh.db");
    labelterm(&[
        "start",
        &fresh,
        "--init",
        "--label-config",
        &s.config,
        "--no-prelabel",
        "--media-root",
        &s.missing_dir,
    ])
    .failed(2);
    assert_eq!(settings(&fresh)["prelabel"], false);
}

#[test]
fn init_a_name_without_db_makes_the_db_file_and_says_where_it_is() {
    let dir = tmp();
    write(dir.path(), "c.xml", CONFIG);
    write(dir.path(), "t.json", TASKS);
    let r = labelterm_in(
        dir.path(),
        &[
            "init",
            "my-project",
            "--label-config",
            "c.xml",
            "--input-path",
            "t.json",
        ],
    );
    r.ok();
    assert!(dir.path().join("my-project.db").is_file(), "{}", r.all());
    assert!(!dir.path().join("my-project").exists());
    let here = dir.path().canonicalize().unwrap();
    assert!(
        r.all().contains(&format!(
            "created my-project.db (2 task(s)) in {}",
            here.display()
        )),
        "{}",
        r.all()
    );
    // Later commands find it by the same name.
    let stats = labelterm_in(dir.path(), &["stats", "my-project", "--json"]);
    stats.ok();
    assert!(stats.all().contains("\"tasks\""), "{}", stats.all());
    // A file of that very name is used as it is.
    write(dir.path(), "plain", "");
    let r = labelterm_in(dir.path(), &["stats", "plain"]);
    r.failed(1);
    assert!(
        r.all().contains("plain: not a labelterm project"),
        "{}",
        r.all()
    );
}

#[test]
fn sampling_takes_label_studios_names_and_refuses_guesses() {
    let dir = tmp();
    let config = write(dir.path(), "c.xml", CONFIG);
    for guess in ["random", "random-uniform", "sequence"] {
        let project = path(dir.path(), &format!("{guess}.db"));
        let r = labelterm(&[
            "init",
            &project,
            "--label-config",
            &config,
            "--sampling",
            guess,
        ]);
        r.failed(2);
        assert!(r.all().contains("unknown sampling"), "{}", r.all());
        assert!(r.all().contains("uniform"), "{}", r.all());
        assert!(!std::path::Path::new(&project).exists());
    }
    let project = path(dir.path(), "u.db");
    labelterm(&[
        "init",
        &project,
        "--label-config",
        &config,
        "--sampling",
        "uncertainty",
    ])
    .ok();
    assert_eq!(settings(&project)["sampling"], "prediction-score-min");
    let r = labelterm(&["settings", &project, "--sampling", "random"]);
    r.failed(2);
    assert_eq!(settings(&project)["sampling"], "prediction-score-min");
}
