//! The review screen driven by keys: what it shows, and what its decisions store.

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use labelterm::tui::StartOptions;
use labelterm::tui::app::Screen;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

const CONFIG: &str = r#"<View><Text name="t" value="$text"/><Choices name="c" toName="t" choice="single"><Choice value="A"/><Choice value="B"/><Choice value="C"/></Choices></View>"#;

fn choice(c: &str) -> Value {
    json!({"from_name": "c", "to_name": "t", "type": "choices", "value": {"choices": [c]}})
}

/// Task 1: ann1 says A, ann2 says B; task 2: ann1 says C; task 3: nobody.
fn fixture() -> Fixture {
    let tasks = json!([
        {"data": {"text": "first \u{1b}[2J text"}, "annotations": [
            {"completed_by": {"email": "ann1"}, "result": [choice("A")]},
            {"completed_by": {"email": "ann2"}, "result": [choice("B")]}]},
        {"data": {"text": "second text"}, "annotations": [
            {"completed_by": {"email": "ann1"}, "result": [choice("C")]}]},
        {"data": {"text": "third text"}}
    ]);
    project(CONFIG, &tasks.to_string())
}

fn reviewer(f: &Fixture) -> Driver {
    open_opts(StartOptions {
        project: f.db.clone(),
        user: "rev".into(),
        first_screen: labelterm::tui::screens::Screen::Review,
        ..Default::default()
    })
}

fn reviews(db: &Path) -> Vec<String> {
    sql(
        db,
        "SELECT r.annotation_id, u.email, r.decision, r.comment, r.previous_result IS NOT NULL
         FROM reviews r JOIN users u ON u.id = r.reviewer ORDER BY r.id",
    )
}

/// The annotation of task `task` by `who`.
fn annotation(db: &Path, task: i64, who: &str) -> String {
    sql(
        db,
        &format!(
            "SELECT a.id FROM annotations a JOIN users u ON u.id = a.completed_by
             WHERE a.task_id = {task} AND u.email = '{who}'"
        ),
    )
    .remove(0)
}

#[test]
fn accept_and_reject_with_a_comment_are_stored_and_shown() {
    let f = fixture();
    let mut d = reviewer(&f);
    assert_eq!(d.s.app.screen, Screen::Review);
    let a1 = annotation(&f.db, 1, "ann1");
    let a2 = annotation(&f.db, 1, "ann2");
    let screen = d.screen(80, 24);
    assert!(screen.contains("Review · order: task"), "{screen}");
    assert!(screen.contains("annotation 1/3"), "{screen}");
    assert!(
        screen.contains(&format!("annotation {a1} by ann1")),
        "{screen}"
    );
    assert!(screen.contains("c: A"), "the result is described: {screen}");
    assert!(
        screen.contains("vs ann2"),
        "the other annotation's difference: {screen}"
    );
    assert!(screen.contains("c: A → B"), "{screen}");
    assert!(screen.contains("first"), "the task's text: {screen}");
    assert!(!screen.contains('\u{1b}'), "no escape reaches the terminal");
    // Accept: stored, said, and on to the next annotation.
    d.keys("a");
    assert_eq!(reviews(&f.db), [format!("{a1}|rev|accepted||0")]);
    assert!(d.message().contains("accepted · saved"), "{}", d.message());
    assert_eq!(d.s.app.review.cursor, 1);
    // Reject: the comment editor first; Esc stores nothing.
    d.keys("x");
    assert!(d.s.app.editor.is_some());
    d.keys("esc");
    assert_eq!(reviews(&f.db).len(), 1);
    d.keys("x");
    d.type_text("label B is wrong");
    d.keys("enter");
    assert_eq!(
        reviews(&f.db),
        [
            format!("{a1}|rev|accepted||0"),
            format!("{a2}|rev|rejected|label B is wrong|0")
        ]
    );
    // Back on the first: its state and the decisions are on screen.
    d.keys("k k");
    let screen = d.screen(120, 40);
    assert!(screen.contains("accepted by rev"), "{screen}");
    assert!(screen.contains("rejected"), "{screen}");
    d.keys("j");
    let screen = d.screen(120, 40);
    assert!(screen.contains("rejected by rev"), "{screen}");
    assert!(screen.contains("label B is wrong"), "{screen}");
}

#[test]
fn one_star_per_task_and_the_order_changes_the_walk() {
    let f = fixture();
    let mut d = reviewer(&f);
    let a1 = annotation(&f.db, 1, "ann1");
    let a2 = annotation(&f.db, 1, "ann2");
    let stars = |db: &Path| sql(db, "SELECT id FROM annotations WHERE ground_truth = 1");
    // Imported annotations may come starred; these start with none.
    rusqlite::Connection::open(&f.db)
        .unwrap()
        .execute("UPDATE annotations SET ground_truth = 0", [])
        .unwrap();
    // Another process's write is read again.
    let rest = d.s.poll();
    assert!(rest.is_empty());
    assert!(!d.screen(80, 24).contains("★"));
    d.keys("*");
    assert_eq!(stars(&f.db), [a1.as_str()]);
    assert!(d.screen(80, 24).contains("★ ground truth"));
    d.keys("j *");
    assert_eq!(
        stars(&f.db),
        [a2.as_str()],
        "starring another moves the star"
    );
    d.keys("*");
    assert!(stars(&f.db).is_empty(), "again unstars");
    assert!(reviews(&f.db).is_empty(), "a star is not a decision");
    // Next task, then by annotator: ann1's two annotations come first.
    d.keys("]");
    assert_eq!(d.s.app.review.current().unwrap().task_id, 2);
    d.keys("[");
    assert_eq!(d.s.app.review.current().unwrap().task_id, 1);
    d.keys("o");
    assert!(d.screen(80, 24).contains("order: annotator"));
    let order: Vec<i64> =
        d.s.app
            .review
            .queue
            .as_ref()
            .unwrap()
            .iter()
            .map(|q| q.task_id)
            .collect();
    assert_eq!(order, [1, 2, 1]);
    assert_eq!(
        d.s.app.review.current().unwrap().annotation_id.to_string(),
        a1,
        "the annotation shown stays shown"
    );
}

#[test]
fn a_fix_in_the_annotator_replaces_the_result_and_accepts_it() {
    let f = fixture();
    let mut d = reviewer(&f);
    let a1 = annotation(&f.db, 1, "ann1");
    d.keys("f");
    assert_eq!(d.s.app.screen, Screen::Task);
    assert_eq!(
        d.result(),
        json!([choice("A")]),
        "the fix starts from the annotation"
    );
    assert!(d.message().contains("fixing annotation"), "{}", d.message());
    d.keys("2");
    assert_eq!(d.result(), json!([choice("B")]));
    assert!(
        sql(&f.db, "SELECT * FROM drafts").is_empty(),
        "nothing drafted as the reviewer's"
    );
    d.keys("s");
    assert_eq!(d.s.app.screen, Screen::Review);
    let row = sql(
        &f.db,
        &format!(
            "SELECT u.email, json_extract(a.result, '$[0].value.choices[0]') FROM annotations a
             JOIN users u ON u.id = a.completed_by WHERE a.id = {a1}"
        ),
    );
    assert_eq!(row, ["ann1|B"], "who annotated it stays");
    assert_eq!(reviews(&f.db), [format!("{a1}|rev|fixed||1")]);
    assert_eq!(
        sql(&f.db, "SELECT previous_result FROM reviews"),
        [json!([choice("A")]).to_string()]
    );
    assert!(
        sql(&f.db, "SELECT * FROM annotations WHERE completed_by = (SELECT id FROM users WHERE email = 'rev')").is_empty(),
        "the reviewer has no annotation of their own"
    );
    // A skip in the annotator leaves the annotation as it was.
    d.keys("k f 3 S");
    assert_eq!(d.s.app.screen, Screen::Review);
    assert_eq!(
        sql(
            &f.db,
            &format!(
                "SELECT json_extract(result, '$[0].value.choices[0]') FROM annotations WHERE id = {a1}"
            )
        ),
        ["B"]
    );
    assert_eq!(reviews(&f.db).len(), 1);
    // Leaving a fix by way of the task list stores nothing either.
    d.keys("f 1 t R");
    assert_eq!(d.s.app.screen, Screen::Review);
    assert!(d.s.app.review.fixing.is_none());
    assert_eq!(reviews(&f.db).len(), 1);
    assert!(sql(&f.db, "SELECT * FROM drafts").is_empty());
    assert_eq!(
        sql(
            &f.db,
            &format!(
                "SELECT json_extract(result, '$[0].value.choices[0]') FROM annotations WHERE id = {a1}"
            )
        ),
        ["B"]
    );
}

#[test]
fn a_locked_file_keeps_the_decision_until_it_is_stored() {
    let f = fixture();
    let mut d = reviewer(&f);
    d.s.set_write_wait(Duration::from_millis(20)).unwrap();
    let a1 = annotation(&f.db, 1, "ann1");
    let holder = rusqlite::Connection::open(&f.db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    holder
        .execute("UPDATE project SET title = title WHERE id = 1", [])
        .unwrap();
    d.keys("x");
    d.type_text("no");
    d.keys("enter");
    assert!(
        d.message().contains("review not saved, retrying"),
        "{}",
        d.message()
    );
    let screen = d.screen(80, 24);
    // The status line: above the message, which may take more than one row (here the
    // whole message shows, "your review is kept" included, in three rows of 80 columns).
    let status = screen
        .lines()
        .rev()
        .nth(3)
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(screen.contains("your review is kept"), "{screen}");
    assert!(
        status.contains("NOT SAVED"),
        "the status line says so: {screen}"
    );
    assert_eq!(
        d.s.app.review.cursor, 0,
        "the screen stays on the annotation"
    );
    // Quitting now would drop the decision: it is asked twice.
    d.s.key(key_event("q"));
    assert!(!d.s.app.quit);
    assert!(
        d.message().contains("1 decision(s) not saved yet"),
        "{}",
        d.message()
    );
    holder.execute_batch("COMMIT").unwrap();
    d.s.tick_at(Instant::now() + Duration::from_secs(10));
    assert_eq!(reviews(&f.db), [format!("{a1}|rev|rejected|no|0")]);
    assert!(d.screen(80, 24).contains("· saved "));
}

#[test]
fn the_task_list_opens_the_review() {
    let f = fixture();
    let mut d = open_opts(StartOptions {
        project: f.db.clone(),
        user: "rev".into(),
        ..Default::default()
    });
    assert_eq!(d.s.app.screen, Screen::Task);
    d.keys("t R");
    assert_eq!(d.s.app.screen, Screen::Review);
    assert!(d.screen(80, 24).contains("Review · order: task"));
    d.keys("t");
    assert_eq!(d.s.app.screen, Screen::List);
}

#[test]
fn a_project_without_annotations_says_so() {
    let f = project(CONFIG, r#"[{"data": {"text": "x"}}]"#);
    let mut d = reviewer(&f);
    let screen = d.screen(80, 24);
    assert!(
        screen.contains("no submitted annotations to review"),
        "{screen}"
    );
    d.keys("a x f * j k ] [ g G");
    assert!(reviews(&f.db).is_empty());
    assert!(d.s.app.editor.is_none());
}

/// Times change from run to run: masked for the snapshots.
fn masked(screen: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = screen.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // 2026-12-01T12:48:20.289807Z
        let is_stamp = chars.len() >= i + 27
            && chars[i..i + 4].iter().all(char::is_ascii_digit)
            && chars[i + 4] == '-'
            && chars[i + 10] == 'T'
            && chars[i + 26] == 'Z';
        if is_stamp {
            out.push_str("YYYY-MM-DDTHH:MM:SS.ffffffZ");
            i += 27;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn review_screen_80x24_and_120x40() {
    let f = fixture();
    let mut d = reviewer(&f);
    d.keys("x");
    d.type_text("B is wrong");
    d.keys("enter k");
    insta::assert_snapshot!("review_80x24", masked(&d.screen(80, 24)));
    d.keys("j");
    insta::assert_snapshot!("review_120x40", masked(&d.screen(120, 40)));
}
