//! The annotator's flow against the store: saves that fail and are retried, read-only
//! views, counts, pre-labelling, the diff, messages and quitting.

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use labelterm::tui::StartOptions;
use labelterm::tui::app::{Effect, Level, Popup, SaveState};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Holds `BEGIN IMMEDIATE` on its own connection until told to commit.
fn hold_write_lock(path: &Path) -> (mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let holder = rusqlite::Connection::open(path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    holder
        .execute("UPDATE project SET title = title WHERE id = 1", [])
        .unwrap();
    let (tx, rx) = mpsc::channel::<()>();
    let t = std::thread::spawn(move || {
        let _ = rx.recv();
        holder.execute_batch("COMMIT").unwrap();
    });
    (tx, t)
}

fn mine(db: &Path) -> Vec<String> {
    sql(
        db,
        "SELECT task_id, was_cancelled, result FROM annotations
         WHERE completed_by = (SELECT id FROM users WHERE email = 'ann') ORDER BY id",
    )
}

fn open_prelabel(f: &Fixture, root: &str) -> Driver {
    open_opts(StartOptions {
        project: f.db.clone(),
        user: "ann".into(),
        media_root: Some(PathBuf::from(root)),
        ..Default::default()
    })
}

#[test]
fn a_locked_store_keeps_the_answer_and_stores_it_in_full_once_free() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    d.s.set_write_wait(Duration::from_millis(20)).unwrap();
    let first = d.task_id();
    let (release, holder) = hold_write_lock(&f.db);
    d.keys("2");
    assert!(
        d.message().starts_with("not saved, retrying:"),
        "{}",
        d.message()
    );
    assert!(d.message().contains("busy"), "{}", d.message());
    d.keys("s");
    // Nothing is undone: the answer is on screen and in memory, the task stays open.
    assert_eq!(d.task_id(), first, "the next task waits for the save");
    assert_eq!(d.result()[0]["value"]["choices"], json!(["Negative"]));
    assert!(matches!(d.s.app.annotate.save, SaveState::Failed(_)));
    assert!(d.s.has_held_saves());
    assert_eq!(d.s.app.message.as_ref().unwrap().0, Level::Warn);
    // Another key does not clear the warning, nor does a retry while still locked.
    d.s.tick_at(Instant::now() + Duration::from_secs(60));
    assert!(d.message().starts_with("not saved, retrying:"));
    assert!(mine(&f.db).is_empty());

    release.send(()).unwrap();
    holder.join().unwrap();
    d.s.tick_at(Instant::now() + Duration::from_secs(60));
    d.settle();
    assert!(!d.s.has_held_saves());
    let rows = mine(&f.db);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let stored: Vec<&str> = rows[0].splitn(3, '|').collect();
    assert_eq!(stored[..2], [first.to_string().as_str(), "0"]);
    let result: Value = serde_json::from_str(stored[2]).unwrap();
    assert_eq!(result[0]["value"]["choices"], json!(["Negative"]));
    assert_ne!(d.task_id(), first, "once stored, the next task opens");
    assert!(d.message().contains("submitted"), "{}", d.message());
}

#[test]
fn an_edit_while_a_submit_waits_is_what_gets_stored() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    d.s.set_write_wait(Duration::from_millis(20)).unwrap();
    let first = d.task_id();
    let (release, holder) = hold_write_lock(&f.db);
    d.keys("2 s 1");
    assert_eq!(d.result()[0]["value"]["choices"], json!(["Positive"]));
    release.send(()).unwrap();
    holder.join().unwrap();
    d.s.tick_at(Instant::now() + Duration::from_secs(60));
    d.settle();
    let rows = mine(&f.db);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].starts_with(&format!("{first}|0|")));
    assert!(rows[0].contains("Positive"), "what was on screen: {rows:?}");
    assert!(
        sql(&f.db, "SELECT * FROM drafts").is_empty(),
        "no stale draft is left behind"
    );
}

#[test]
fn submit_in_a_read_only_view_refuses_and_names_the_way_back() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    // Task 1 has a prediction and another annotator's work: view each, submit.
    d.type_text(":1");
    d.keys("enter 1");
    assert_eq!(d.task_id(), 1);
    let t = d.s.app.annotate.task.as_ref().unwrap();
    assert!(!t.full.predictions.is_empty() && !d.s.app.others().is_empty());
    d.keys("O s");
    assert!(
        d.message().contains("not submitted") && d.message().contains("Esc"),
        "{}",
        d.message()
    );
    d.keys("O S");
    assert!(d.message().contains("another annotator"), "{}", d.message());
    assert!(
        mine(&f.db).is_empty(),
        "nothing is stored from a read-only view"
    );
    d.keys("esc s");
    let rows = mine(&f.db);
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("Positive"), "{rows:?}");
}

#[test]
fn counts_come_from_the_store_after_a_label_and_a_skip() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    let before = d.s.app.annotate.progress;
    d.keys("2 s S");
    let p = d.s.app.annotate.progress;
    let stored = d.s.store.progress(d.s.app.user_id).unwrap();
    assert_eq!(p, stored);
    assert_eq!(
        p.mine,
        before.mine + 2,
        "one labelled and one skipped by me"
    );
    assert_eq!(p.labeled, before.labeled + 1, "a skip labels nothing");
    assert_eq!(p.skipped, before.skipped + 1, "the skip is counted apart");
}

#[test]
fn prelabelling_starts_from_the_top_prediction_and_s_accepts_it() {
    let f = sample_project("image_bbox");
    let root = sample("image_bbox").display().to_string();
    let mut d = open_prelabel(&f, &root);
    let t = d.s.app.annotate.task.as_ref().unwrap();
    let pred: Vec<Value> = serde_json::from_str(&t.full.predictions[0].result).unwrap();
    let r = d.result();
    assert_eq!(r.as_array().unwrap().len(), pred.len());
    assert!(
        r.as_array()
            .unwrap()
            .iter()
            .all(|x| x["origin"] == "prediction")
    );
    assert!(
        d.message().contains("starts from prediction"),
        "{}",
        d.message()
    );
    let draft = sql(&f.db, "SELECT json_array_length(result) FROM drafts");
    assert_eq!(
        draft,
        vec![pred.len().to_string()],
        "what is shown is stored"
    );
    d.keys("s");
    let saved = sql(
        &f.db,
        "SELECT parent_prediction IS NOT NULL, json_array_length(result),
                json_extract(result, '$[0].origin') FROM annotations
         WHERE completed_by = (SELECT id FROM users WHERE email='ann')",
    );
    assert_eq!(saved, vec![format!("1|{}|prediction", pred.len())]);
}

#[test]
fn no_prelabel_starts_empty() {
    let f = sample_project("image_bbox");
    let root = sample("image_bbox").display().to_string();
    let d = open(&f, &root);
    assert_eq!(d.result(), json!([]));
}

#[test]
fn a_moved_prediction_box_is_prediction_changed_and_the_diff_shows_its_numbers() {
    let f = sample_project("image_bbox");
    let root = sample("image_bbox").display().to_string();
    let mut d = open_prelabel(&f, &root);
    d.screen(100, 30);
    let x0 = d.result()[0]["value"]["x"].as_f64().unwrap();
    d.keys("tab e l");
    let r = d.result();
    let x1 = r[0]["value"]["x"].as_f64().unwrap();
    assert!(x1 > x0, "{x0} → {x1}");
    assert_eq!(r[0]["origin"], "prediction-changed");
    assert_eq!(
        r[1]["origin"], "prediction",
        "an untouched box keeps its origin"
    );
    d.keys("D");
    let lines = match &d.s.app.popup {
        Some(Popup::Diff(p)) => p.lines.clone(),
        other => panic!("{other:?}"),
    };
    let moved = lines
        .iter()
        .find(|(c, _)| *c == '~')
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(moved.1.contains(&format!("x {x0} → {x1}")), "{lines:?}");
    assert!(
        lines.iter().any(|(_, l)| l == "1 difference(s)"),
        "{lines:?}"
    );
}

#[test]
fn accepting_a_prediction_over_my_edits_is_one_undo_away_and_says_so() {
    let f = sample_project("image_bbox");
    let root = sample("image_bbox").display().to_string();
    let mut d = open(&f, &root);
    d.screen(100, 30);
    d.keys("r");
    let mine_box = d.result();
    d.keys("A");
    assert!(d.message().contains("u undoes it"), "{}", d.message());
    assert_eq!(d.result().as_array().unwrap().len(), 2);
    d.keys("u");
    assert_eq!(d.result(), mine_box);
}

#[test]
fn typed_text_is_in_the_draft_before_enter() {
    let f = sample_project("audio_transcription");
    let mut d = open(&f, "samples/audio_transcription");
    let id = d.task_id();
    d.keys("enter");
    d.type_text("Guten Morgen");
    assert!(d.s.app.editor.is_some());
    let draft = sql(
        &f.db,
        &format!("SELECT result FROM drafts WHERE task_id = {id}"),
    );
    assert_eq!(draft.len(), 1);
    assert!(draft[0].contains("Guten Morgen"), "{draft:?}");
    assert_eq!(d.result(), json!([]), "the result changes only on Enter");
    d.kill(&f.db); // nothing more is written
    let d = open(&f, "samples/audio_transcription");
    assert_eq!(d.task_id(), id);
    assert!(d.result().to_string().contains("Guten Morgen"));
}

#[test]
fn ctrl_c_stores_what_is_typed_and_quits() {
    let f = sample_project("audio_transcription");
    let mut d = open(&f, "samples/audio_transcription");
    let id = d.task_id();
    d.keys("enter");
    d.type_text("Hallo");
    let effects = d.s.key(key_event("ctrl-c"));
    assert!(effects.contains(&Effect::Quit), "{effects:?}");
    assert!(d.s.app.quit);
    let draft = sql(
        &f.db,
        &format!("SELECT result FROM drafts WHERE task_id = {id}"),
    );
    assert!(draft[0].contains("Hallo"), "{draft:?}");
}

#[test]
fn info_messages_clear_on_the_next_key_or_after_a_while_errors_stay() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    d.keys("u");
    assert_eq!(d.message(), "nothing to undo");
    d.keys("j");
    assert_eq!(d.message(), "", "read once another key comes");
    d.keys("2 s");
    assert!(d.message().contains("submitted"));
    assert!(
        d.s.next_due().is_some(),
        "the loop wakes up to clear the message"
    );
    let now = Instant::now();
    d.s.tick_at(now);
    assert!(d.message().contains("submitted"), "still fresh");
    d.s.tick_at(now + Duration::from_secs(10));
    assert_eq!(d.message(), "", "gone after a while");
    // A warning stays until acted on.
    d.keys("O s");
    let err = d.message();
    assert!(err.starts_with("not submitted"), "{err}");
    d.s.tick_at(now + Duration::from_secs(100));
    d.s.tick_at(now + Duration::from_secs(200));
    assert_eq!(d.message(), err);
}

#[test]
fn brackets_walk_the_history_of_opened_tasks() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    let a = d.task_id();
    d.keys("2 s");
    let b = d.task_id();
    d.keys("]");
    let c = d.task_id();
    assert!(a != b && b != c && a != c);
    d.keys("[ [");
    assert_eq!(
        d.task_id(),
        a,
        "back through what was opened, submitted ones too"
    );
    d.keys("] ]");
    assert_eq!(d.task_id(), c);
}

#[test]
fn a_control_takes_the_prediction_value_and_my_view_marks_the_predicted_choice() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    let t = d.s.app.annotate.task.as_ref().unwrap();
    let pred: Vec<Value> = serde_json::from_str(&t.full.predictions[0].result).unwrap();
    let score = t.full.predictions[0].score.unwrap();
    let choice = pred[0]["value"]["choices"][0].as_str().unwrap().to_string();
    let screen = d.screen(100, 20);
    let row = screen
        .lines()
        .find(|l| l.contains(&format!("( ) {choice}")))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(
        row.contains(&format!("ⓟ {score:.2}")),
        "the predicted choice is marked with its score: {row}"
    );
    assert_eq!(
        screen.matches(&format!("ⓟ {score:.2}")).count(),
        1,
        "only the predicted choice: {screen}"
    );
    d.keys("Y");
    let r = d.result();
    assert_eq!(r[0]["value"]["choices"], json!([choice]));
    assert_eq!(r[0]["origin"], "prediction");
    assert!(d.message().contains("u undoes it"), "{}", d.message());
    assert!(
        d.s.app
            .annotate
            .task
            .as_ref()
            .unwrap()
            .parent_prediction
            .is_some()
    );
    d.keys("u");
    assert_eq!(d.result(), json!([]));
}

#[test]
fn a_cancelled_edit_leaves_the_draft_as_shown() {
    let f = sample_project("audio_transcription");
    let mut d = open(&f, "samples/audio_transcription");
    let id = d.task_id();
    d.keys("enter");
    d.type_text("draft only");
    d.keys("esc");
    assert!(d.s.app.editor.is_none());
    let draft = sql(
        &f.db,
        &format!("SELECT result FROM drafts WHERE task_id = {id}"),
    );
    assert_eq!(draft, vec!["[]"], "the cancelled text is not kept");
}
