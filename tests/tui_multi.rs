//! Many annotators on one project file: sessions claim different tasks (or the same one
//! up to the overlap), see each other's work when the file changes, and a submit over
//! the same user's newer annotation from another window asks first.

mod annotator;
use annotator::*;
use labelterm::tui::app::{Level, Popup, SaveState};
use serde_json::json;
use std::time::Duration;

fn set_overlap(f: &Fixture, n: u32) {
    let mut store = labelterm::store::Store::open(&f.db).unwrap();
    let mut s = store.settings().unwrap();
    s.maximum_annotations = n;
    store.set_settings(&s).unwrap();
}

/// The user's stored annotation of a task: (result choice, revision).
fn stored(f: &Fixture, user: &str, task: i64) -> Vec<String> {
    sql(
        &f.db,
        &format!(
            "SELECT json_extract(a.result, '$[0].value.choices[0]'), a.revision
             FROM annotations a JOIN users u ON u.id = a.completed_by
             WHERE a.task_id = {task} AND u.email = '{user}'"
        ),
    )
}

fn claims(f: &Fixture) -> Vec<String> {
    sql(
        &f.db,
        "SELECT u.email, s.task_id FROM sessions s JOIN users u ON u.id = s.user_id
         ORDER BY s.started_at, s.id",
    )
}

fn choice(d: &Driver) -> serde_json::Value {
    d.result()[0]["value"]["choices"].clone()
}

#[test]
fn different_users_get_different_tasks_with_overlap_one() {
    let f = sample_project("sentiment");
    let alice = open_with(&f, ".", "alice", true);
    let bob = open_with(&f, ".", "bob", true);
    assert_ne!(alice.task_id(), bob.task_id());
    assert_eq!(
        claims(&f),
        vec![
            format!("alice|{}", alice.task_id()),
            format!("bob|{}", bob.task_id())
        ]
    );
    // Alice submits and moves on: never to Bob's task, nor to her own.
    let (a1, b1) = (alice.task_id(), bob.task_id());
    let mut alice = alice;
    alice.keys("1 s");
    assert_ne!(alice.task_id(), b1);
    assert_ne!(alice.task_id(), a1);
    assert_eq!(stored(&f, "alice", a1), vec!["Positive|0".to_string()]);
}

#[test]
fn overlap_two_gives_two_users_one_task_and_a_third_another() {
    let tasks: Vec<_> = (0..4).map(|i| json!({"text": format!("t{i}")})).collect();
    let f = project(
        &std::fs::read_to_string(sample("sentiment").join("config.xml")).unwrap(),
        &serde_json::to_string(&tasks).unwrap(),
    );
    set_overlap(&f, 2);
    let alice = open_with(&f, ".", "alice", true);
    let bob = open_with(&f, ".", "bob", true);
    let carol = open_with(&f, ".", "carol", true);
    assert_eq!(alice.task_id(), bob.task_id());
    assert_ne!(carol.task_id(), alice.task_id());
}

#[test]
fn a_second_window_does_not_resume_the_draft_the_first_is_working_on() {
    let f = sample_project("sentiment");
    let mut one = open_with(&f, ".", "ann", true);
    one.keys("2");
    let two = open_with(&f, ".", "ann", true);
    assert_ne!(two.task_id(), one.task_id());
    // Once the first window is gone, the draft is resumed.
    one.s.close(Duration::from_millis(100));
    let three = open_with(&f, ".", "ann", true);
    assert_eq!(three.task_id(), one.task_id());
}

#[test]
fn the_same_user_in_two_windows_gets_two_tasks_and_is_told_when_opening_the_other() {
    let f = sample_project("sentiment");
    let one = open_with(&f, ".", "ann", true);
    let mut two = open_with(&f, ".", "ann", true);
    assert_ne!(one.task_id(), two.task_id());
    let id = one.task_id();
    two.keys(":");
    two.type_text(&id.to_string());
    two.keys("enter");
    assert_eq!(two.task_id(), id);
    assert!(
        two.message()
            .contains(&format!("task {id} is also open by you in another window")),
        "{}",
        two.message()
    );
}

/// Two windows of one user on the same task: the first submits, the second has an answer
/// of its own on screen.
fn two_windows_one_task() -> (Fixture, Driver, Driver, i64) {
    let f = sample_project("sentiment");
    let mut one = open_with(&f, ".", "ann", true);
    let mut two = open_with(&f, ".", "ann", true);
    let id = one.task_id();
    two.keys(":");
    two.type_text(&id.to_string());
    two.keys("enter");
    assert_eq!(two.task_id(), id);
    two.keys("3");
    one.keys("1 s");
    assert_eq!(stored(&f, "ann", id), vec!["Positive|0".to_string()]);
    (f, one, two, id)
}

#[test]
fn a_change_elsewhere_refreshes_counts_and_annotations_but_not_the_answer_on_screen() {
    let (f, _one, mut two, id) = two_windows_one_task();
    let labeled = two.s.app.annotate.progress.labeled;
    let before = two
        .s
        .app
        .annotate
        .task
        .as_ref()
        .unwrap()
        .full
        .annotations
        .len();
    let rest = two.s.poll();
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(two.s.app.annotate.progress.labeled, labeled + 1);
    let t = two.s.app.annotate.task.as_ref().unwrap();
    assert_eq!(t.full.annotations.len(), before + 1);
    assert_eq!(t.annotated.len(), t.full.annotations.len());
    assert_eq!(
        choice(&two),
        json!(["Neutral"]),
        "the answer on screen stays"
    );
    assert_eq!(
        sql(
            &f.db,
            &format!(
                "SELECT json_extract(result, '$[0].value.choices[0]') FROM drafts WHERE task_id = {id}"
            )
        ),
        vec!["Neutral".to_string()],
        "and so does its draft"
    );
    let (level, text) = two.s.app.message.clone().unwrap();
    assert_eq!(level, Level::Warn);
    assert!(
        text.contains(&format!("task {id}: you submitted it in another window at")),
        "{text}"
    );
    // Nothing new: nothing read again.
    assert!(two.s.poll().is_empty());
}

#[test]
fn a_submit_over_the_other_windows_answer_asks_and_overwrite_stores_it() {
    let (f, _one, mut two, id) = two_windows_one_task();
    two.keys("s");
    assert!(
        matches!(two.s.app.popup, Some(Popup::Conflict(_))),
        "{:?}",
        two.s.app.popup
    );
    assert_eq!(two.task_id(), id, "nothing moves on while it asks");
    let screen = two.screen(100, 30);
    assert!(
        screen.contains(&format!("You submitted task {id} in another window at")),
        "{screen}"
    );
    assert_eq!(stored(&f, "ann", id), vec!["Positive|0".to_string()]);
    two.keys("o");
    assert!(two.s.app.popup.is_none());
    assert_eq!(stored(&f, "ann", id), vec!["Neutral|1".to_string()]);
    assert_ne!(two.task_id(), id, "stored, so on to the next task");
    assert!(!two.s.has_held_saves());
}

#[test]
fn keep_that_one_shows_the_stored_answer_and_keeps_mine_one_undo_back() {
    let (f, _one, mut two, id) = two_windows_one_task();
    two.keys("s k");
    assert!(two.s.app.popup.is_none());
    assert_eq!(two.task_id(), id);
    assert_eq!(
        choice(&two),
        json!(["Positive"]),
        "the stored answer is shown"
    );
    assert_eq!(stored(&f, "ann", id), vec!["Positive|0".to_string()]);
    assert!(!two.s.has_held_saves());
    assert!(
        two.message().contains("one undo (u) back"),
        "{}",
        two.message()
    );
    two.keys("u");
    assert_eq!(choice(&two), json!(["Neutral"]), "mine is one undo back");
    // Submitting now expects the stored annotation it was shown: no question.
    two.keys("s");
    assert!(two.s.app.popup.is_none());
    assert_eq!(stored(&f, "ann", id), vec!["Neutral|1".to_string()]);
}

#[test]
fn decide_later_keeps_the_answer_held_on_screen_and_unsaved() {
    let (f, _one, mut two, id) = two_windows_one_task();
    two.keys("s esc");
    assert!(two.s.app.popup.is_none());
    assert_eq!(two.task_id(), id);
    assert_eq!(choice(&two), json!(["Neutral"]));
    assert!(two.s.has_held_saves());
    assert!(two.message().contains("NOT SAVED"), "{}", two.message());
    assert_eq!(stored(&f, "ann", id), vec!["Positive|0".to_string()]);
    assert_eq!(
        sql(
            &f.db,
            &format!(
                "SELECT json_extract(result, '$[0].value.choices[0]') FROM drafts WHERE task_id = {id}"
            )
        ),
        vec!["Neutral".to_string()],
        "the held answer is the draft meanwhile"
    );
    // Edits go on as drafts beside the held answer, and submitting again asks again.
    two.keys("2");
    assert_eq!(
        sql(
            &f.db,
            &format!(
                "SELECT json_extract(result, '$[0].value.choices[0]') FROM drafts WHERE task_id = {id}"
            )
        ),
        vec!["Negative".to_string()]
    );
    assert!(
        matches!(two.s.app.annotate.save, SaveState::Failed(_)),
        "the status line says the answer is not submitted: {:?}",
        two.s.app.annotate.save
    );
    two.keys("s");
    assert!(matches!(two.s.app.popup, Some(Popup::Conflict(_))));
    two.keys("esc");
    // Quitting undecided stores nothing over the other answer, and says so.
    let left = two.s.close(Duration::from_millis(200));
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].contains("kept as your draft"), "{left:?}");
    assert_eq!(stored(&f, "ann", id), vec!["Positive|0".to_string()]);
}

#[test]
fn a_resumed_draft_remembers_what_it_began_from() {
    let f = sample_project("sentiment");
    let mut one = open_with(&f, ".", "ann", true);
    let id = one.task_id();
    one.keys("1 s");
    // Back to the submitted task, change it: the draft records the revision it began from.
    one.keys("[");
    assert_eq!(one.task_id(), id);
    one.keys("2");
    assert_eq!(
        sql(
            &f.db,
            &format!("SELECT base_revision FROM drafts WHERE task_id = {id}")
        ),
        vec!["0".to_string()]
    );
    one.s.close(Duration::from_millis(100));
    drop(one);
    // Another window submits the task meanwhile.
    let mut other = open_with(&f, ".", "ann", true);
    assert_eq!(other.task_id(), id, "the draft resumes");
    other.s.close(Duration::from_millis(100));
    drop(other);
    // Another window's submit changed the annotation after the draft was last stored.
    rusqlite::Connection::open(&f.db)
        .unwrap()
        .execute(
            "UPDATE annotations SET revision = revision + 1, updated_at = '2026-12-01T05:00:00.000000Z'
             WHERE task_id = ?1",
            [id],
        )
        .unwrap();
    // The resumed draft began from revision 0: its submit asks.
    let mut again = open_with(&f, ".", "ann", true);
    assert_eq!(again.task_id(), id);
    assert_eq!(choice(&again), json!(["Negative"]));
    again.keys("s");
    assert!(matches!(again.s.app.popup, Some(Popup::Conflict(_))));
}

#[test]
fn leaving_gives_the_task_back_at_once() {
    let f = sample_project("sentiment");
    let mut alice = open_with(&f, ".", "alice", true);
    let id = alice.task_id();
    assert!(alice.s.close(Duration::from_millis(100)).is_empty());
    assert!(claims(&f).is_empty(), "{:?}", claims(&f));
    // No renewal brings a left session back.
    assert!(!alice.s.renew_now());
    assert!(claims(&f).is_empty());
    let bob = open_with(&f, ".", "bob", true);
    assert_eq!(bob.task_id(), id);
}

#[test]
fn a_lapsed_claim_is_taken_again_at_the_next_renewal() {
    let f = sample_project("sentiment");
    let mut alice = open_with(&f, ".", "alice", true);
    let id = alice.task_id();
    // Stopped for longer than the lease (^Z): another claimer purged the row.
    rusqlite::Connection::open(&f.db)
        .unwrap()
        .execute("DELETE FROM sessions", [])
        .unwrap();
    assert!(alice.s.renew_now());
    assert_eq!(claims(&f), vec![format!("alice|{id}")]);
    let bob = open_with(&f, ".", "bob", true);
    assert_ne!(bob.task_id(), id);
}

#[test]
fn the_worker_tells_of_others_commits_and_renews_the_claim_until_left() {
    use labelterm::tui::jobs::Jobs;
    use labelterm::tui::msg::Msg;
    let f = sample_project("sentiment");
    let mut alice = open_with(&f, ".", "alice", true);
    let lease = alice.s.lease();
    lease.set_every(Duration::from_millis(50));
    let (tx, rx) = std::sync::mpsc::channel::<Msg>();
    let tx = std::sync::Mutex::new(tx);
    let _jobs = Jobs::watching(
        &f.db,
        move |m| {
            let _ = tx.lock().unwrap().send(m);
        },
        Some(lease.clone()),
    );
    let seen = || sql(&f.db, "SELECT seen_at FROM sessions");
    let before = seen();
    std::thread::sleep(Duration::from_millis(100));
    // Another process commits: the worker says so within its poll.
    let other = std::time::Instant::now();
    rusqlite::Connection::open(&f.db)
        .unwrap()
        .execute(
            "UPDATE tasks SET updated_at = '2026-12-01T00:00:00.000000Z' WHERE id = 1",
            [],
        )
        .unwrap();
    loop {
        match rx.recv_timeout(Duration::from_secs(2)) {
            Ok(Msg::StoreChanged) => break,
            Ok(_) => {}
            Err(e) => panic!("no StoreChanged: {e}"),
        }
    }
    assert!(
        other.elapsed() < Duration::from_secs(1),
        "{:?}",
        other.elapsed()
    );
    let t = std::time::Instant::now();
    while seen() == before {
        assert!(t.elapsed() < Duration::from_secs(3), "never renewed");
        std::thread::sleep(Duration::from_millis(20));
    }
    alice.s.leave().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(claims(&f).is_empty(), "a renewal brought it back");
}

#[test]
fn a_task_given_back_goes_to_an_annotator_who_had_nothing_left() {
    let tasks: Vec<_> = (0..2).map(|i| json!({"text": format!("t{i}")})).collect();
    let f = project(
        &std::fs::read_to_string(sample("sentiment").join("config.xml")).unwrap(),
        &serde_json::to_string(&tasks).unwrap(),
    );
    let mut alice = open_with(&f, ".", "alice", true);
    let mut bob = open_with(&f, ".", "bob", true);
    let held = bob.task_id();
    alice.keys("1 s");
    assert!(alice.s.app.annotate.finished, "bob holds the other task");
    assert!(
        alice.message().contains("1 more task is open by others"),
        "{}",
        alice.message()
    );
    // Nothing came free: looking writes nothing (no claim, no renewal).
    bob.keys("2");
    let seen = sql(&f.db, "SELECT seen_at FROM sessions ORDER BY id");
    alice.s.poll();
    assert!(alice.s.app.annotate.finished);
    assert_eq!(sql(&f.db, "SELECT seen_at FROM sessions ORDER BY id"), seen);
    // Bob leaves: his task comes to Alice at her next look.
    bob.s.close(Duration::from_millis(100));
    alice.s.poll();
    assert_eq!(alice.task_id(), held);
}
