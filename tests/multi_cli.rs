//! The commands for many annotators: project settings at `init` and with `settings`, and
//! `who` (who works now, and today's work per annotator).

mod common;
use common::*;
use labelterm::annotate::{Annotator, PendingSave, SaveKind, SaveOutcome, Saving};
use labelterm::store::Store;
use labelterm::store::annotate::Expect;
use labelterm::store::claims::SessionId;
use std::path::Path;

const CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
  </Choices>
</View>
"#;

const TASKS: &str = r#"[{"text": "one"}, {"text": "two"}, {"text": "three"}, {"text": "four"}]"#;

fn init(dir: &Path, extra: &[&str]) -> String {
    let project = path(dir, "p.db");
    let config = write(dir, "c.xml", CONFIG);
    let tasks = write(dir, "t.json", TASKS);
    let mut args = vec![
        "init",
        &project,
        "--label-config",
        &config,
        "--input-path",
        &tasks,
    ];
    args.extend_from_slice(extra);
    labelterm(&args).ok();
    project
}

fn settings_json(project: &str) -> serde_json::Value {
    let r = labelterm(&["settings", project, "--json"]);
    r.ok();
    serde_json::from_str(&r.stdout).expect("settings --json prints one object")
}

fn overlaps(project: &str) -> Vec<i64> {
    let c = rusqlite::Connection::open(project).unwrap();
    let mut st = c.prepare("SELECT overlap FROM tasks ORDER BY id").unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn init_stores_the_settings_and_imported_tasks_get_the_overlap() {
    let dir = tmp();
    let project = init(
        dir.path(),
        &[
            "--maximum-annotations",
            "2",
            "--overlap-cohort",
            "50",
            "--skip-queue",
            "requeue-for-me",
            "--show-ground-truth-first",
            "--lock-ttl",
            "30",
            "--sampling",
            "uniform",
            "--prelabel",
            "off",
        ],
    );
    assert_eq!(
        settings_json(&project),
        serde_json::json!({
            "maximum_annotations": 2, "overlap_cohort": 50, "skip_queue": "requeue-for-me",
            "show_ground_truth_first": true, "lock_ttl": 30, "sampling": "uniform",
            "prelabel": false,
        })
    );
    assert_eq!(
        overlaps(&project),
        vec![2, 2, 1, 1],
        "half the tasks get two"
    );
    // `stats` reads the same settings.
    assert_eq!(stats(&project)["settings"]["prelabel"], false);
}

#[test]
fn init_defaults_and_the_old_no_prelabel_flag() {
    let dir = tmp();
    let project = init(dir.path(), &["--no-prelabel"]);
    let s = settings_json(&project);
    assert_eq!(s["maximum_annotations"], 1);
    assert_eq!(s["overlap_cohort"], 100);
    assert_eq!(s["skip_queue"], "requeue-for-others");
    assert_eq!(s["lock_ttl"], 120);
    assert_eq!(s["sampling"], "sequential");
    assert_eq!(s["prelabel"], false);
    assert_eq!(overlaps(&project), vec![1; 4]);

    let other = tmp();
    let r = labelterm(&[
        "init",
        &path(other.path(), "q.db"),
        "--label-config",
        &write(other.path(), "c.xml", CONFIG),
        "--no-prelabel",
        "--prelabel",
        "on",
    ]);
    r.failed(2);
    assert!(r.stderr.contains("--prelabel"), "{}", r.stderr);
    assert!(!other.path().join("q.db").exists());
}

#[test]
fn settings_without_flags_prints_every_setting_aligned() {
    let dir = tmp();
    let project = init(dir.path(), &[]);
    let r = labelterm(&["settings", &project]);
    r.ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "maximum-annotations",
            "overlap-cohort",
            "skip-queue",
            "show-ground-truth-first",
            "lock-ttl",
            "sampling",
            "prelabel"
        ]
    );
    let value_column = |l: &str| l.len() - l.split_once("  ").unwrap().1.trim_start().len();
    let first = value_column(lines[0]);
    assert!(lines.iter().all(|l| value_column(l) == first), "{lines:?}");
    assert!(
        r.stdout.contains("lock-ttl                 120 s\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("prelabel                 on\n"));
}

#[test]
fn settings_change_what_is_named_and_say_what_it_was() {
    let dir = tmp();
    let project = init(dir.path(), &["--show-ground-truth-first"]);
    let r = labelterm(&[
        "settings",
        &project,
        "--maximum-annotations",
        "3",
        "--show-ground-truth-first=false",
        "--skip-queue",
        "IGNORE_SKIPPED",
    ]);
    r.ok();
    assert!(
        r.stdout.contains("maximum-annotations      3  (was 1)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("show-ground-truth-first  off  (was on)"));
    assert!(
        r.stdout
            .contains("skip-queue               ignore-skipped  (was")
    );
    assert_eq!(r.stdout.matches("(was").count(), 3, "{}", r.stdout);
    let s = settings_json(&project);
    assert_eq!(s["maximum_annotations"], 3);
    assert_eq!(s["show_ground_truth_first"], false);
    assert_eq!(s["skip_queue"], "ignore-skipped");
    assert_eq!(s["lock_ttl"], 120, "what is not named stays");
    assert_eq!(overlaps(&project), vec![3; 4]);
    // Setting what is already there changes nothing and says nothing was.
    let again = labelterm(&["settings", &project, "--maximum-annotations", "3"]);
    again.ok();
    assert!(!again.stdout.contains("(was"), "{}", again.stdout);
}

#[test]
fn bad_values_name_the_flag_and_change_nothing() {
    let dir = tmp();
    let project = init(dir.path(), &[]);
    let before = dump(&project);
    let cases: &[(&[&str], &str)] = &[
        (&["--maximum-annotations", "0"], "--maximum-annotations"),
        (&["--maximum-annotations", "two"], "--maximum-annotations"),
        (&["--overlap-cohort", "101"], "--overlap-cohort"),
        (&["--overlap-cohort", "0"], "--overlap-cohort"),
        (&["--skip-queue", "sometimes"], "--skip-queue"),
        (&["--lock-ttl", "1"], "--lock-ttl"),
        (&["--lock-ttl", "-5"], "--lock-ttl"),
        (&["--prelabel", "maybe"], "--prelabel"),
        (
            &["--show-ground-truth-first=perhaps"],
            "--show-ground-truth-first",
        ),
        (&["--sampling", "by-magic"], "--sampling"),
        // A good value with a bad one: neither is stored.
        (
            &["--lock-ttl", "60", "--overlap-cohort", "200"],
            "--overlap-cohort",
        ),
    ];
    for (flags, named) in cases {
        let mut args = vec!["settings", project.as_str()];
        args.extend_from_slice(flags);
        let r = labelterm(&args);
        r.failed(2);
        assert!(r.stderr.contains(named), "{flags:?}: {}", r.stderr);
        assert_eq!(dump(&project), before, "{flags:?} changed the project");
    }
    let r = labelterm(&["settings", &path(dir.path(), "missing.db")]);
    r.failed(1);
    assert!(r.stderr.contains("no such project"), "{}", r.stderr);
}

#[test]
fn who_shows_live_annotators_only_and_todays_work() {
    let dir = tmp();
    let project = init(dir.path(), &["--maximum-annotations", "2"]);
    let r = labelterm(&["who", &project]);
    r.ok();
    assert!(r.stdout.contains("nobody is working on this project now"));
    assert!(r.stdout.contains("no annotations today"));

    let mut store = Store::open(Path::new(&project)).unwrap();
    // This process, under a name that tries to clear the screen.
    let eve = store.user_id("eve\u{1b}[2J").unwrap();
    let me = Annotator::register(&store, eve).unwrap();
    let first = me.next(&mut store, None, 1).unwrap().unwrap();
    let save = me.answer(
        PendingSave::new(
            first,
            eve,
            &[
                serde_json::json!({"from_name": "sentiment", "to_name": "text", "type": "choices",
                "value": {"choices": ["Positive"]}}),
            ],
            12.0,
            SaveKind::Submit,
        ),
        Expect::Nothing,
    );
    assert!(matches!(
        Saving::new(save).attempt(&mut store),
        SaveOutcome::Saved { .. }
    ));
    let held = me.next(&mut store, None, 1).unwrap().unwrap();
    let now = labelterm::annotate::presence::now();
    let here = labelterm::annotate::presence::host_name();
    // Another machine's annotator, renewed just now.
    let bob = store.user_id("bob").unwrap();
    let remote = SessionId {
        id: "far:1".into(),
        user_id: bob,
        host: "far-away".into(),
        pid: 1,
        process_start: None,
    };
    store.register_session(&remote, now).unwrap();
    // Another machine's annotator that stopped renewing long ago.
    let gone = SessionId {
        id: "far:2".into(),
        host: "far-away".into(),
        pid: 2,
        ..remote.clone()
    };
    store.register_session(&gone, now - 3600.0).unwrap();
    // An annotator on this machine whose process has ended.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = child.id();
    child.wait().unwrap();
    let dead = SessionId {
        id: format!("{here}:{dead_pid}:x"),
        user_id: store.user_id("dead").unwrap(),
        host: here.clone(),
        pid: dead_pid,
        process_start: None,
    };
    store.register_session(&dead, now).unwrap();

    let r = labelterm(&["who", &project]);
    r.ok();
    let out = &r.stdout;
    assert!(!out.contains('\u{1b}'), "names are escaped: {out}");
    assert!(out.contains("working now (2)"), "{out}");
    assert!(!out.contains("dead"), "{out}");
    let eve_row = out
        .lines()
        .find(|l| l.starts_with("  eve\\e[2J") && l.contains(&here))
        .unwrap_or_else(|| panic!("{out}"));
    let cells: Vec<&str> = eve_row.split_whitespace().collect();
    assert_eq!(cells[2], std::process::id().to_string(), "{eve_row}");
    assert_eq!(cells[3], held.to_string(), "{eve_row}");
    assert!(
        out.lines().filter(|l| l.contains("far-away")).count() == 1,
        "{out}"
    );
    let today = out
        .lines()
        .skip_while(|l| !l.starts_with("today (since "))
        .collect::<Vec<_>>();
    assert!(today.len() >= 3, "{out}");
    let eve_today: Vec<&str> = today[2].split_whitespace().collect();
    assert_eq!(eve_today[..3], ["eve\\e[2J", "1", "0"], "{out}");
    assert_eq!(eve_today[3], "12.0s");
    assert_eq!(eve_today[4], "300.0", "one answer in 12 s is 300 an hour");

    let r = labelterm(&["who", &project, "--json"]);
    r.ok();
    assert!(!r.stdout.contains('\u{1b}'));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let working = v["working"].as_array().unwrap();
    assert_eq!(working.len(), 2, "{v}");
    let eve_json = working.iter().find(|w| w["host"] == here.as_str()).unwrap();
    assert_eq!(eve_json["user"], "eve\u{1b}[2J");
    assert_eq!(eve_json["task"], held);
    assert_eq!(eve_json["pid"], std::process::id());
    assert_eq!(v["today"]["annotators"][0]["submitted"], 1);
    assert_eq!(v["today"]["annotators"][0]["tasks_per_hour"], 300.0);

    me.leave(&store).unwrap();
    let r = labelterm(&["who", &project]);
    assert!(r.stdout.contains("working now (1)"), "{}", r.stdout);
}
