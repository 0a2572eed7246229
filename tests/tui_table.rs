//! The data table screen: drawn at 80×24 and 120×40 with each of its popups, and every
//! interaction (sort, filters with and/or, search, jump, marks, frequencies with
//! drill-down, labelling in the table's order) driven by keys through the update.

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use insta::assert_snapshot;
use labelterm::tui::StartOptions;
use labelterm::tui::app::Popup;
use labelterm::tui::screens::Screen;
use serde_json::{Value, json};

const CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
</View>"#;

const TEXTS: [&str; 12] = [
    "The sky is blue",
    "A quick brown fox",
    "名前は太郎です長い名前のテキスト",
    "Rain all day",
    "Sunny morning walk",
    "Blue ocean waves",
    "Quiet night",
    "Loud blue music",
    "Snow in april",
    "Hello\u{1b}[2J world",
    "Café crème",
    "Blue moon rising",
];

fn choice(v: &str) -> Value {
    json!([{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": [v]}}])
}

/// Twelve tasks: nested data keys, wide and hostile text, annotations by alice on every
/// third, predictions of two models with scores on some.
fn tasks() -> String {
    let tasks: Vec<Value> = TEXTS
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let source = ["web", "mail", "chat"][i % 3];
            let mut task =
                json!({"data": {"text": t, "meta": {"source": source, "rank": i}}});
            if i % 3 == 0 {
                task["annotations"] = json!([{"completed_by": {"email": "alice@x"}, "result": choice("Positive")}]);
            }
            if i % 4 == 0 {
                task["predictions"] = json!([{"model_version": format!("m{}", 1 + i % 2), "score": 0.1 + 0.07 * i as f64, "result": choice("Negative")}]);
            }
            if [1, 5, 9].contains(&i) {
                task["predictions"] = json!([{"model_version": "m2", "score": 0.5 + 0.04 * i as f64, "result": choice("Neutral")}]);
            }
            task
        })
        .collect();
    serde_json::to_string(&tasks).unwrap()
}

fn table() -> (Fixture, Driver) {
    let f = project(CONFIG, &tasks());
    let d = open_opts(StartOptions {
        project: f.db.clone(),
        user: "ann".into(),
        no_prelabel: true,
        first_screen: Screen::Table,
        ..Default::default()
    });
    (f, d)
}

/// Draws once so the table knows its size (and reads the rows it shows), then again.
fn shown(d: &mut Driver, w: u16, h: u16) -> String {
    d.screen(w, h);
    d.screen(w, h)
}

fn cursor_id(d: &Driver) -> i64 {
    d.s.app
        .table
        .cursor_row()
        .expect("the cursor row is held")
        .id
}

/// The ids of the rows held, in order.
fn ids(d: &Driver) -> Vec<i64> {
    d.s.app.table.rows.iter().map(|r| r.id).collect()
}

fn focus(d: &mut Driver, field: &str) {
    d.keys("h h h h h h h h h h h h h h h h");
    let fields = d.s.app.table.fields();
    let i = fields.iter().position(|f| f == field).expect(field);
    for _ in 0..i {
        d.keys("l");
    }
    assert_eq!(d.s.app.table.focused_field(), field);
}

#[test]
fn opens_on_the_table_with_every_column_at_both_sizes() {
    let (_f, mut d) = table();
    assert_eq!(d.s.app.screen, Screen::Table);
    assert!(d.s.app.annotate.task.is_none(), "no task is claimed");
    let small = shown(&mut d, 80, 24);
    assert_eq!(d.s.app.table.count, Some(12));
    assert!(small.contains("12 task(s)"), "{small}");
    assert!(!small.contains('\u{1b}'));
    let fields = d.s.app.table.fields();
    assert!(
        fields.contains(&"data.meta.source".to_string()),
        "{fields:?}"
    );
    assert!(fields.contains(&"data.text".to_string()), "{fields:?}");
    assert_snapshot!("table_80x24", small);
    // Scrolled sideways to the data: the id stays at the left.
    focus(&mut d, "data.text");
    let big = shown(&mut d, 120, 40);
    assert_snapshot!("table_120x40_data_columns", big);
    let first = big.lines().nth(1).unwrap();
    assert!(first.contains("id") && first.contains("text"), "{first}");
    assert!(!first.contains("status"), "scrolled past: {first}");
}

#[test]
fn sort_by_the_focused_column_then_reverse() {
    let (_f, mut d) = table();
    shown(&mut d, 120, 40);
    focus(&mut d, "score");
    d.keys("o");
    shown(&mut d, 120, 40);
    // Ascending: the lowest score first (task 1's 0.1); no score sorts as the store says.
    let scored: Vec<i64> = ids(&d);
    d.keys("o");
    shown(&mut d, 120, 40);
    let reversed = ids(&d);
    assert_eq!(scored.len(), 12);
    assert_ne!(scored, reversed);
    let score_of = |d: &Driver, id: i64| -> f64 {
        d.s.app
            .table
            .rows
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| r.cells["score"].parse().ok())
            .unwrap_or(f64::NAN)
    };
    let top = score_of(&d, reversed[0]);
    assert!((top - 0.86).abs() < 1e-9, "highest score first: {top}");
    let title = shown(&mut d, 120, 40);
    assert!(title.contains("sort score ↓"), "{title}");
}

#[test]
fn filters_are_added_joined_with_and_or_and_removed() {
    let (_f, mut d) = table();
    shown(&mut d, 120, 40);
    focus(&mut d, "data.meta.source");
    // f, Enter: the value of a filter on the focused column; Enter adds it.
    d.keys("f enter");
    d.type_text("web");
    d.keys("enter");
    shown(&mut d, 120, 40);
    assert_eq!(d.s.app.table.count, Some(4), "web: tasks 0, 3, 6, 9");
    let popup = shown(&mut d, 80, 24);
    assert_snapshot!("filter_popup_80x24", popup);
    // A second filter on the annotations count: annotations > 0 (the field two left of
    // source... chosen with h/l, the operator with tab and l).
    let fields = match &d.s.app.popup {
        Some(Popup::Filter(p)) => p.fields.clone(),
        other => panic!("{other:?}"),
    };
    let from = fields.iter().position(|f| f == "data.meta.source").unwrap();
    let to = fields.iter().position(|f| f == "annotations").unwrap();
    for _ in to..from {
        d.keys("h");
    }
    d.keys("tab l l l tab l");
    d.type_text("0");
    d.keys("enter");
    shown(&mut d, 120, 40);
    assert_eq!(d.s.app.table.count, Some(4), "web and annotated: all four");
    // Or: web or annotated.
    d.keys("a");
    shown(&mut d, 120, 40);
    assert_eq!(d.s.app.table.count, Some(4));
    let big = shown(&mut d, 120, 40);
    assert_snapshot!("filter_popup_120x40", big);
    // Remove the first: only "annotated" is left (tasks 0, 3, 6, 9).
    d.keys("k k x esc");
    shown(&mut d, 120, 40);
    assert_eq!(d.s.app.table.query.filters.len(), 1);
    assert_eq!(d.s.app.table.query.filters[0].field, "annotations");
    assert_eq!(d.s.app.table.count, Some(4));
    // A filter that cannot apply says why and keeps the table.
    focus(&mut d, "score");
    d.keys("f enter");
    d.type_text("abc");
    d.keys("enter esc");
    shown(&mut d, 120, 40);
    assert!(d.message().contains("score"), "{}", d.message());
}

#[test]
fn search_moves_to_the_next_and_previous_match_and_jump_goes_to_an_id() {
    let (_f, mut d) = table();
    shown(&mut d, 120, 40);
    d.keys("/");
    d.type_text("blue");
    d.keys("enter");
    shown(&mut d, 120, 40);
    // "blue" is in tasks 1, 6, 8, 12 (ids are positions + 1 here).
    let first = cursor_id(&d);
    assert_eq!(first, 1);
    d.keys("n");
    assert_eq!(cursor_id(&d), 6);
    d.keys("n n");
    assert_eq!(cursor_id(&d), 12);
    d.keys("n");
    assert!(d.message().contains("no more"), "{}", d.message());
    assert_eq!(cursor_id(&d), 12);
    d.keys("N");
    assert_eq!(cursor_id(&d), 8);
    d.keys(":");
    let prompt = shown(&mut d, 80, 24);
    assert!(prompt.contains("go to task id"), "{prompt}");
    d.type_text("10");
    d.keys("enter");
    assert_eq!(cursor_id(&d), 10);
    d.keys(":");
    d.type_text("999");
    d.keys("enter");
    assert!(d.message().contains("999"), "{}", d.message());
    assert_eq!(cursor_id(&d), 10);
}

#[test]
fn marks_by_hand_and_by_filter() {
    let (_f, mut d) = table();
    shown(&mut d, 80, 24);
    d.keys("space space");
    assert_eq!(d.s.app.table.marked(), vec![1, 2]);
    d.keys("k space");
    assert_eq!(d.s.app.table.marked(), vec![1]);
    let marked = shown(&mut d, 80, 24);
    assert!(marked.contains("1 marked"), "{marked}");
    assert_snapshot!("marks_80x24", marked);
    focus(&mut d, "data.meta.source");
    d.keys("f enter");
    d.type_text("mail");
    d.keys("enter esc M");
    assert_eq!(d.s.app.table.marked(), vec![1, 2, 5, 8, 11]);
    d.keys("U");
    assert!(d.s.app.table.marked().is_empty());
}

#[test]
fn frequency_of_a_column_drills_down_to_its_tasks() {
    let (_f, mut d) = table();
    shown(&mut d, 120, 40);
    focus(&mut d, "data.meta.source");
    d.keys("F");
    let (field, buckets) = match &d.s.app.popup {
        Some(Popup::Freq(p)) => match &p.summary {
            labelterm::tui::popups::freq::Summary::Freq { field, buckets } => {
                (field.clone(), buckets.clone())
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert_eq!(field, "data.meta.source");
    let counts: Vec<(String, u64)> = buckets.iter().map(|b| (b.value.clone(), b.count)).collect();
    assert_eq!(
        counts,
        vec![("chat".into(), 4), ("mail".into(), 4), ("web".into(), 4)]
    );
    assert_snapshot!("freq_popup_120x40", shown(&mut d, 120, 40));
    assert_snapshot!("freq_popup_80x24", shown(&mut d, 80, 24));
    d.keys("j enter");
    shown(&mut d, 120, 40);
    assert!(d.s.app.popup.is_none());
    assert_eq!(d.s.app.table.count, Some(4));
    assert_eq!(ids(&d), vec![2, 5, 8, 11], "the mail bucket");
    // Labels per annotator, from the same popup: l cycles to the next field.
    d.keys("F l");
    let shown_field = match &d.s.app.popup {
        Some(Popup::Freq(p)) => p.title(),
        other => panic!("{other:?}"),
    };
    assert!(shown_field.contains("annotators"), "{shown_field}");
}

#[test]
fn describe_and_histogram_popups() {
    let (_f, mut d) = table();
    shown(&mut d, 120, 40);
    focus(&mut d, "data.text");
    d.keys("d");
    let text = shown(&mut d, 80, 24);
    assert!(text.contains("Describe data.text"), "{text}");
    assert!(text.contains("distinct") && text.contains("12"), "{text}");
    assert_snapshot!("describe_80x24", text);
    d.keys("esc H");
    let hist = shown(&mut d, 120, 40);
    assert!(hist.contains("Histogram of score"), "{hist}");
    assert_snapshot!("histogram_120x40", hist);
    // Enter on the first bin filters the table to its scores.
    d.keys("enter");
    shown(&mut d, 120, 40);
    assert!(d.s.app.table.count.is_some_and(|n| (1..12).contains(&n)));
}

#[test]
fn columns_popup_hides_and_moves_columns() {
    let (_f, mut d) = table();
    shown(&mut d, 120, 40);
    d.keys("c j space");
    assert!(!d.s.app.table.fields().contains(&"status".to_string()));
    assert_snapshot!("columns_popup_80x24", shown(&mut d, 80, 24));
    d.keys("j J");
    assert_eq!(d.s.app.table.fields()[1..3], ["annotations", "annotators"]);
    d.keys("esc");
    let big = shown(&mut d, 120, 40);
    assert_snapshot!("columns_popup_closed_120x40", big);
    let head = big.lines().nth(1).unwrap();
    assert!(!head.contains("status"), "{head}");
}

#[test]
fn bulk_menu_asks_before_it_runs() {
    let (_f, mut d) = table();
    shown(&mut d, 80, 24);
    d.keys("b");
    assert_snapshot!("bulk_nothing_marked_80x24", shown(&mut d, 80, 24));
    d.keys("esc space space b j enter");
    let confirm = shown(&mut d, 80, 24);
    assert!(confirm.contains("Delete 2 task(s)"), "{confirm}");
    assert_snapshot!("bulk_confirm_80x24", confirm);
    d.keys("n esc");
    assert!(d.s.app.popup.is_none());
    assert_eq!(sql(&_f.db, "SELECT count(*) FROM tasks"), vec!["12"]);
}

#[test]
fn enter_labels_from_the_table_and_next_follows_its_order() {
    let (f, mut d) = table();
    shown(&mut d, 120, 40);
    // Descending ids: from task 12, the next is 11.
    d.keys("o o");
    shown(&mut d, 120, 40);
    assert_eq!(cursor_id(&d), 12);
    d.keys("enter");
    assert_eq!(d.s.app.screen, Screen::Task);
    assert_eq!(d.task_id(), 12);
    d.keys("1 s");
    assert_eq!(d.task_id(), 11, "the next task follows the table");
    assert_eq!(
        sql(&f.db, "SELECT count(*) FROM annotations WHERE task_id = 12"),
        vec!["1"]
    );
    // The task list leaves the table's order; the table's Enter takes it up again.
    d.keys("t");
    assert!(!d.s.app.table.follow);
    d.keys("t T enter");
    assert!(d.s.app.table.follow);
    assert_eq!(d.task_id(), 11);
    // Back to the table: T from the annotator, Esc returns.
    d.keys("T");
    assert_eq!(d.s.app.screen, Screen::Table);
    d.keys("esc");
    assert_eq!(d.s.app.screen, Screen::Task);
    // Past the table's last row the stream goes on, and says so.
    d.keys("T G enter");
    assert_eq!(d.task_id(), 1);
    d.keys("1 s");
    assert!(
        d.message().contains("last task of the data table"),
        "{}",
        d.message()
    );
    assert!(!d.s.app.table.follow);
    assert_ne!(d.task_id(), 1);
}

#[test]
fn the_rows_on_screen_follow_changes_by_another_process() {
    let (f, mut d) = table();
    shown(&mut d, 80, 24);
    let c = rusqlite::Connection::open(&f.db).unwrap();
    c.execute(
        "UPDATE task_data SET data = json_set(data, '$.meta.source', 'changed') WHERE task_id = 1",
        [],
    )
    .unwrap();
    d.s.poll();
    focus(&mut d, "data.meta.source");
    shown(&mut d, 120, 40);
    let row = d.s.app.table.rows.iter().find(|r| r.id == 1).unwrap();
    assert_eq!(row.cells["data.meta.source"], "changed");
}

#[test]
fn views_are_saved_loaded_and_deleted_in_the_project() {
    let (f, mut d) = table();
    shown(&mut d, 120, 40);
    focus(&mut d, "score");
    d.keys("o o f enter");
    d.type_text("0.5");
    d.keys("enter esc c j space esc");
    shown(&mut d, 120, 40);
    d.keys("v");
    assert_snapshot!("views_popup_empty_80x24", shown(&mut d, 80, 24));
    d.keys("s");
    d.type_text("high scores");
    d.keys("enter");
    assert!(d.message().contains("saved"), "{}", d.message());
    let stored = sql(&f.db, "SELECT name, spec FROM saved_views");
    assert_eq!(stored.len(), 1);
    assert!(stored[0].starts_with("high scores|"), "{stored:?}");
    let spec: Value = serde_json::from_str(stored[0].split_once('|').unwrap().1).unwrap();
    assert_eq!(spec["filters"], json!(["score equal 0.5"]));
    assert_eq!(spec["sort"], json!(["-score"]));
    assert!(
        !spec["columns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "status"),
        "{spec}"
    );
    // Another table state, then the view back.
    d.keys("f k x esc c j space esc");
    shown(&mut d, 120, 40);
    assert!(d.s.app.table.query.filters.is_empty());
    d.keys("v");
    assert_snapshot!("views_popup_80x24", shown(&mut d, 80, 24));
    d.keys("enter");
    shown(&mut d, 120, 40);
    assert_eq!(d.s.app.table.query.filters.len(), 1);
    assert_eq!(d.s.app.table.query.sort.as_ref().unwrap().field, "score");
    assert!(!d.s.app.table.fields().contains(&"status".to_string()));
    d.keys("v x");
    assert!(sql(&f.db, "SELECT name FROM saved_views").is_empty());
    d.keys("esc");
}

#[test]
fn bulk_actions_on_marked_tasks_run_once_confirmed() {
    let (f, mut d) = table();
    shown(&mut d, 80, 24);
    // Tasks 1 and 2: delete their predictions.
    d.keys("space space b j j j enter");
    assert_eq!(
        sql(
            &f.db,
            "SELECT count(*) FROM predictions WHERE task_id IN (1, 2)"
        ),
        vec!["2"],
        "nothing before the confirmation"
    );
    d.keys("y");
    assert_eq!(
        sql(
            &f.db,
            "SELECT count(*) FROM predictions WHERE task_id IN (1, 2)"
        ),
        vec!["0"]
    );
    assert!(d.message().contains("2 prediction(s)"), "{}", d.message());
    assert!(
        d.s.app.table.marks.is_empty(),
        "the marks go with the action"
    );
    shown(&mut d, 80, 24);
    let row = d.s.app.table.rows.iter().find(|r| r.id == 1).unwrap();
    assert_eq!(row.cells["predictions"], "0", "the rows are read again");
    // Task 6: its prediction becomes my annotation.
    d.keys(":");
    d.type_text("6");
    d.keys("enter space b j j j j enter y");
    assert_eq!(
        sql(
            &f.db,
            "SELECT u.email, json_extract(a.result, '$[0].value.choices[0]') FROM annotations a JOIN users u ON u.id = a.completed_by WHERE a.task_id = 6"
        ),
        vec!["ann|Neutral"]
    );
    // Task 12: deleted.
    d.keys("G space b j enter y");
    assert!(sql(&f.db, "SELECT id FROM tasks WHERE id = 12").is_empty());
    shown(&mut d, 80, 24);
    assert_eq!(d.s.app.table.count, Some(11));
}

#[test]
fn the_task_under_the_cursor_opens_as_a_json_tree_and_side_by_side() {
    let (_f, mut d) = table();
    shown(&mut d, 120, 40);
    d.keys("j I");
    assert!(
        matches!(d.s.app.popup, Some(Popup::JsonTree(_))),
        "{:?}",
        d.s.app.popup.is_some()
    );
    let tree = shown(&mut d, 120, 40);
    assert!(tree.contains("quick brown fox"), "{tree}");
    d.keys("esc j j C");
    assert!(matches!(d.s.app.popup, Some(Popup::Compare(_))));
    d.keys("esc");
    assert_eq!(d.s.app.screen, Screen::Table);
}

#[test]
fn marked_tasks_export_in_a_chosen_format() {
    let (f, mut d) = table();
    shown(&mut d, 80, 24);
    d.keys("j space j space b enter");
    assert_snapshot!("bulk_export_80x24", shown(&mut d, 80, 24));
    let out = f.dir.path().join("marked.json");
    d.type_text(&out.display().to_string());
    d.keys("enter");
    assert!(
        d.message().contains("2 task(s) exported"),
        "{}",
        d.message()
    );
    let tasks: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let ids: Vec<i64> = tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![2, 4]);
    assert_eq!(
        tasks[1]["annotations"][0]["result"][0]["value"]["choices"][0],
        "Positive"
    );
    // Another format: CSV, one row per task.
    let csv = f.dir.path().join("marked.csv");
    d.keys("b enter");
    let formats = match &d.s.app.popup {
        Some(Popup::Bulk(b)) => b.formats.clone(),
        other => panic!("{other:?}"),
    };
    let json_at = formats.iter().position(|x| x == "JSON").unwrap();
    let csv_at = formats.iter().position(|x| x == "CSV").unwrap();
    d.keys("esc");
    let steps = if csv_at > json_at { "l " } else { "h " }.repeat(csv_at.abs_diff(json_at));
    d.keys(&steps);
    d.keys("e");
    d.keys("ctrl-u");
    d.type_text(&csv.display().to_string());
    d.keys("enter");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
}

#[test]
fn every_popup_at_both_sizes() {
    let (_f, mut d) = table();
    shown(&mut d, 120, 40);
    focus(&mut d, "data.meta.source");
    d.keys("space");
    for (name, keys) in [
        ("filters", "f"),
        ("columns", "c"),
        ("frequencies", "F"),
        ("describe", "d"),
        ("histogram", "H"),
        ("views", "v"),
        ("bulk", "b"),
        ("bulk_confirm", "b j enter"),
    ] {
        d.keys(keys);
        assert!(d.s.app.popup.is_some(), "{name}");
        let both = format!("{}\n{}", shown(&mut d, 80, 24), shown(&mut d, 120, 40));
        assert!(!both.contains('\u{1b}'), "{name}");
        insta::assert_snapshot!(format!("popup_{name}"), both);
        d.keys("esc");
        if d.s.app.popup.is_some() {
            d.keys("esc");
        }
        assert!(d.s.app.popup.is_none(), "{name} closes");
    }
}

/// Agreement figures go stale when annotations change and nothing in SQL can compute them:
/// opening the table computes them, so its agreement column shows figures, not blanks.
#[test]
fn the_table_shows_agreement_computed_when_it_opens() {
    let tasks = json!([
        {"data": {"text": "both say positive"}, "annotations": [
            {"completed_by": {"email": "alice@x"}, "result": choice("Positive")},
            {"completed_by": {"email": "bob@x"}, "result": choice("Positive")}]},
        {"data": {"text": "they differ"}, "annotations": [
            {"completed_by": {"email": "alice@x"}, "result": choice("Positive")},
            {"completed_by": {"email": "bob@x"}, "result": choice("Negative")}]},
        {"data": {"text": "one annotator"}, "annotations": [
            {"completed_by": {"email": "alice@x"}, "result": choice("Neutral")}]}
    ]);
    let f = project(CONFIG, &tasks.to_string());
    assert_eq!(
        sql(&f.db, "SELECT agreement_stale FROM tasks ORDER BY id"),
        ["1", "1", "1"],
        "imported annotations leave the figures to compute"
    );
    let mut d = open_opts(StartOptions {
        project: f.db.clone(),
        user: "ann".into(),
        no_prelabel: true,
        first_screen: Screen::Table,
        ..Default::default()
    });
    shown(&mut d, 120, 40);
    assert_eq!(
        sql(
            &f.db,
            "SELECT agreement_stale || ':' || ifnull(agreement, '-') FROM tasks ORDER BY id"
        ),
        ["0:1.0", "0:0.0", "0:-"]
    );
    let agreement: Vec<String> =
        d.s.app
            .table
            .rows
            .iter()
            .map(|r| r.cell("agreement").to_string())
            .collect();
    assert_eq!(agreement[..2], ["1.000", "0.000"], "{agreement:?}");
    assert!(agreement[2].is_empty(), "{agreement:?}");
}
