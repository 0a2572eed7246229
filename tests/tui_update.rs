//! The annotator's update logic: keys in, state and SQLite out.

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use serde_json::{Value, json};

#[test]
fn choice_key_drafts_then_submit_saves_and_moves_on() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    // The first sentiment task already has an annotation by someone else; ours starts empty.
    let first = d.task_id();
    d.keys("2");
    assert_eq!(
        d.result()[0]["value"],
        json!({"choices": ["Negative"]}),
        "hotkey 2 picks the second choice"
    );
    let draft = sql(&f.db, "SELECT task_id, result FROM drafts");
    assert_eq!(draft.len(), 1, "the change is in SQLite as a draft");
    assert!(draft[0].contains("Negative"));
    d.keys("u");
    assert_eq!(d.result(), json!([]));
    assert_eq!(sql(&f.db, "SELECT result FROM drafts"), vec!["[]"]);
    d.keys("ctrl-r");
    assert_eq!(d.result()[0]["value"]["choices"], json!(["Negative"]));
    d.keys("s");
    let rows = sql(
        &f.db,
        "SELECT a.task_id, u.email, a.was_cancelled, a.lead_time > 0, json_extract(a.result, '$[0].type'),
                t.total_annotations, t.is_labeled
         FROM annotations a JOIN users u ON u.id = a.completed_by JOIN tasks t ON t.id = a.task_id
         WHERE u.email = 'ann'",
    );
    assert_eq!(rows, vec![format!("{first}|ann|0|1|choices|1|1")]);
    assert!(
        sql(&f.db, "SELECT * FROM drafts").is_empty(),
        "submit removes the draft"
    );
    assert_ne!(d.task_id(), first, "the next task is open");
    assert!(d.message().contains("submitted"));
    // Skip writes a cancelled annotation.
    let second = d.task_id();
    d.keys("S");
    let rows = sql(
        &f.db,
        &format!(
            "SELECT was_cancelled, result FROM annotations WHERE task_id = {second} AND completed_by = (SELECT id FROM users WHERE email = 'ann')"
        ),
    );
    assert_eq!(rows, vec!["1|[]"]);
    let counters = sql(
        &f.db,
        &format!("SELECT cancelled_annotations FROM tasks WHERE id = {second}"),
    );
    assert_eq!(counters, vec!["1"]);
}

#[test]
fn required_control_blocks_submit() {
    let f = sample_project("multi_control");
    let mut d = open(&f, ".");
    d.keys("s");
    assert!(d.message().contains("Cannot submit"), "{}", d.message());
    assert!(d.message().contains("relevance"));
    assert!(sql(&f.db, "SELECT * FROM annotations").is_empty());
    d.keys("o s");
    assert_eq!(
        sql(
            &f.db,
            "SELECT json_extract(result, '$[0].value.choices[0]') FROM annotations"
        ),
        vec!["On topic"]
    );
}

#[test]
fn spans_count_code_points_with_emoji_and_combining_marks() {
    let f = project(
        r#"<View><Labels name="l" toName="t"><Label value="A"/><Label value="B"/></Labels><Text name="t" value="$text"/></View>"#,
        r#"[{"text": "Cafe\u0301 👍🏽 ok"}]"#,
    );
    let mut d = open(&f, ".");
    // Cursor on "C": the word under the cursor is "Café" (5 code points, 4 graphemes).
    d.keys("1");
    let r = &d.result()[0];
    assert_eq!(
        r["value"],
        json!({"start": 0, "end": 5, "text": "Cafe\u{301}", "labels": ["A"]})
    );
    assert_eq!(r["type"], "labels");
    assert_eq!(r["to_name"], "t");
    // The cursor went on to the emoji (after "Café "): select it alone, label it B.
    d.keys("esc v 2");
    let r = &d.result()[1];
    assert_eq!(r["value"]["start"], 6);
    assert_eq!(r["value"]["end"], 8, "👍🏽 is 2 code points in one grapheme");
    assert_eq!(r["value"]["text"], "👍🏽");
    // Tab selects a region, a label key relabels it, x deletes it.
    d.keys("tab 2");
    assert_eq!(d.result()[0]["value"]["labels"], json!(["B"]));
    d.keys("x");
    assert_eq!(d.result().as_array().unwrap().len(), 1);
    d.keys("s");
    let saved: Value =
        serde_json::from_str(&sql(&f.db, "SELECT result FROM annotations")[0]).unwrap();
    assert!(labelterm::task::check::check_result(
        &labelterm::config::LabelConfig::parse(r#"<View><Labels name="l" toName="t"><Label value="A"/><Label value="B"/></Labels><Text name="t" value="$text"/></View>"#).unwrap(),
        &saved
    )
    .is_empty());
}

#[test]
fn a_killed_session_resumes_the_draft() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    d.keys("]");
    let id = d.task_id();
    d.keys("3");
    d.kill(&f.db); // nothing else is written after the draft
    let d = open(&f, ".");
    assert_eq!(d.task_id(), id, "reopening resumes the same task");
    assert_eq!(d.result()[0]["value"]["choices"], json!(["Neutral"]));
    assert!(d.message().contains("resumed your draft"));
}

#[test]
fn next_and_previous_task_keep_history() {
    let f = sample_project("ner");
    let mut d = open(&f, ".");
    let a = d.task_id();
    d.keys("]");
    let b = d.task_id();
    assert_ne!(a, b);
    d.keys("[");
    assert_eq!(d.task_id(), a);
    d.keys("]");
    assert_eq!(d.task_id(), b);
}

#[test]
fn predictions_accept_whole_region_and_reject() {
    let f = sample_project("image_bbox");
    let root = sample("image_bbox").display().to_string();
    let mut d = open(&f, &root);
    d.keys("A");
    let r = d.result();
    assert_eq!(r.as_array().unwrap().len(), 2);
    assert_eq!(r[0]["origin"], "prediction");
    assert_eq!(r[0]["id"], "str0", "accepted regions keep their ids");
    let parent = d.s.app.annotate.task.as_ref().unwrap().parent_prediction;
    assert!(parent.is_some());
    d.keys("u");
    assert_eq!(d.result(), json!([]));
    // Show the prediction, select its second box, accept only that one.
    d.keys("O tab tab Y");
    let r = d.result();
    assert_eq!(r.as_array().unwrap().len(), 1);
    assert_eq!(r[0]["value"]["rectanglelabels"], json!(["Person"]));
    // Reject the first box: it leaves the prediction view.
    d.keys("tab X");
    assert!(
        d.s.app
            .annotate
            .task
            .as_ref()
            .unwrap()
            .rejected
            .contains("str0")
    );
    d.keys("esc D");
    let lines = match &d.s.app.popup {
        Some(labelterm::tui::app::Popup::Diff(d)) => d.lines.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        lines.iter().any(|(c, l)| *c == '=' && l.contains("Person")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|(c, l)| *c == '-' && l.contains("Car")),
        "{lines:?}"
    );
    d.keys("esc s");
    let saved = sql(
        &f.db,
        "SELECT parent_prediction IS NOT NULL, json_array_length(result) FROM annotations WHERE completed_by = (SELECT id FROM users WHERE email='ann')",
    );
    assert_eq!(saved, vec!["1|1"]);
}

#[test]
fn rectangles_are_created_moved_resized_and_relabelled() {
    let f = sample_project("image_bbox");
    let root = sample("image_bbox").display().to_string();
    let mut d = open(&f, &root);
    d.screen(100, 30); // lays out the image, so moves are one cell
    // A corner at the cursor, the other a coarse step up-left, `1` (Car) ends the box.
    d.keys("v H K 1");
    let v0 = d.result()[0]["value"].clone();
    assert_eq!(v0["rectanglelabels"], json!(["Car"]));
    // Edit mode: move, then the bottom-right corner.
    d.keys("e l l j e l j");
    let v = d.result()[0]["value"].clone();
    let g = |v: &Value, k: &str| v[k].as_f64().unwrap();
    assert!(g(&v, "x") > g(&v0, "x"));
    assert!(g(&v, "y") > g(&v0, "y"));
    assert!(g(&v, "width") > g(&v0, "width"));
    assert!(g(&v, "height") > g(&v0, "height"));
    d.keys("2");
    assert_eq!(d.result()[0]["value"]["rectanglelabels"], json!(["Person"]));
    assert_eq!(d.result()[0]["original_width"], 64);
    d.keys("s");
    let cfg = labelterm::config::LabelConfig::parse(
        &std::fs::read_to_string(sample("image_bbox").join("config.xml")).unwrap(),
    )
    .unwrap();
    let saved: Value = serde_json::from_str(&sql(&f.db, "SELECT result FROM annotations WHERE completed_by = (SELECT id FROM users WHERE email='ann')")[0]).unwrap();
    assert!(
        labelterm::task::check::check_result(&cfg, &saved).is_empty(),
        "{saved}"
    );
}

#[test]
fn taxonomy_textarea_rating_number_controls() {
    let f = sample_project("multi_control");
    let mut d = open(&f, ".");
    // Focus: relevance (Choices) → category (Taxonomy) → clarity → priority → answer.
    d.keys("J enter l j space esc");
    let find = |d: &Driver, name: &str| {
        d.result()
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["from_name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        find(&d, "category")["value"],
        json!({"taxonomy": [["Hardware", "Battery"]]})
    );
    // Search in the picker.
    d.keys("enter /");
    d.type_text("upd");
    d.keys("enter space esc");
    assert_eq!(
        find(&d, "category")["value"]["taxonomy"],
        json!([["Hardware", "Battery"], ["Software", "Updates"]])
    );
    d.keys("J l l l h");
    assert_eq!(find(&d, "clarity")["value"], json!({"rating": 2}));
    d.keys("J enter");
    d.type_text("9");
    d.keys("enter");
    assert!(d.message().contains("outside"), "{}", d.message());
    d.keys("enter");
    d.type_text("2");
    d.keys("enter");
    assert_eq!(find(&d, "priority")["value"], json!({"number": 2}));
    d.keys("J enter");
    d.type_text("Lasts a day");
    d.keys("enter");
    assert_eq!(
        find(&d, "answer")["value"],
        json!({"text": ["Lasts a day"]})
    );
    d.keys("o s");
    let types = sql(
        &f.db,
        "SELECT group_concat(json_extract(r.value, '$.type')) FROM annotations a, json_each(a.result) r",
    );
    assert_eq!(types, vec!["taxonomy,rating,number,textarea,choices"]);
}

#[test]
fn datetime_hypertext_and_paragraph_spans() {
    let f = project(
        r#"<View><HyperText name="h" value="$html"/><HyperTextLabels name="hl" toName="h"><Label value="X"/></HyperTextLabels>
        <DateTime name="when" toName="h" only="date"/></View>"#,
        r#"[{"html": "<div><p>Hello <b>big</b> world</p></div>"}]"#,
    );
    let mut d = open(&f, ".");
    d.keys("w 1");
    let r = &d.result()[0];
    assert_eq!(r["type"], "hypertextlabels");
    assert_eq!(
        r["value"],
        json!({"start": "/div[1]/p[1]/b[1]/text()[1]", "startOffset": 0, "end": "/div[1]/p[1]/b[1]/text()[1]",
               "endOffset": 3, "globalOffsets": {"start": 6, "end": 9}, "text": "big", "hypertextlabels": ["X"]})
    );
    d.keys("J J enter");
    d.type_text("2024-13-01");
    d.keys("enter");
    assert!(d.message().contains("not a date"));
    d.keys("enter ctrl-u");
    d.type_text("2024-02-29");
    d.keys("enter");
    assert_eq!(d.result()[1]["value"], json!({"datetime": "2024-02-29"}));

    let f = sample_project("dialogue");
    let mut d = open(&f, ".");
    d.keys("j w 2");
    let r = &d.result()[0];
    assert_eq!(r["type"], "paragraphlabels");
    assert_eq!(r["value"]["start"], 1);
    assert_eq!(r["value"]["startOffset"], 6);
    assert_eq!(r["value"]["text"], "to");
    assert_eq!(r["value"]["paragraphlabels"], json!(["Question"]));
}

#[test]
fn per_region_controls_attach_to_the_selected_region() {
    let cfg = r#"<View><Text name="t" value="$text"/><Labels name="l" toName="t"><Label value="A"/></Labels>
        <Choices name="sure" toName="t" perRegion="true"><Choice value="yes"/><Choice value="no"/></Choices></View>"#;
    let f = project(cfg, r#"[{"text": "alpha beta"}]"#);
    let mut d = open(&f, ".");
    d.keys("2");
    assert!(d.message().contains("per region"), "{}", d.message());
    d.keys("1 2");
    let r = d.result();
    assert_eq!(r[1]["id"], r[0]["id"]);
    assert_eq!(
        r[1]["value"],
        json!({"start": 0, "end": 5, "text": "alpha", "choices": ["yes"]})
    );
    let config = labelterm::config::LabelConfig::parse(cfg).unwrap();
    assert!(labelterm::task::check::check_result(&config, &r).is_empty());
}

#[test]
fn task_list_filters_and_opens() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    d.keys("1 s t");
    assert_eq!(d.s.app.screen, labelterm::tui::app::Screen::List);
    let n = d.s.app.list.rows.len();
    assert!(n >= 3);
    d.keys("f");
    assert_eq!(
        d.s.app.list.filter,
        labelterm::store::browse::ListFilter::Unlabeled
    );
    assert!(d.s.app.list.rows.len() < n);
    d.keys("f f f f o g enter");
    assert_eq!(d.s.app.screen, labelterm::tui::app::Screen::Task);
    d.keys(": 2 enter");
    assert_eq!(d.task_id(), 2);
}

#[test]
fn cycle_to_another_annotators_work_read_only() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    assert_eq!(d.task_id(), 2, "task 1 is labeled by ana already");
    d.keys(": 1 enter O O");
    assert!(matches!(
        d.s.app.annotate.task.as_ref().unwrap().source,
        labelterm::tui::app::ViewSource::Annotation(0)
    ));
    d.keys("1");
    assert!(d.message().contains("read-only"), "{}", d.message());
    d.keys("A");
    assert_eq!(d.result()[0]["value"]["choices"], json!(["Positive"]));
}

#[test]
fn a_store_error_is_shown_not_swallowed() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    let first = d.task_id();
    // The drafts table goes away under the session: reading the draft of the next task
    // fails, and the annotator must say so rather than open the task as if it had none.
    rusqlite::Connection::open(&f.db)
        .unwrap()
        .execute_batch("DROP TABLE drafts")
        .unwrap();
    d.keys("]");
    let (level, text) = d.s.app.message.clone().expect("a message");
    assert_eq!(level, labelterm::tui::app::Level::Error, "{text}");
    assert!(text.contains("drafts"), "{text}");
    assert_eq!(d.task_id(), first, "no task opened without its draft");
}

#[test]
fn list_jobs_run_on_their_own_connection_and_reply_as_messages() {
    use labelterm::tui::jobs::{Job, Jobs};
    use labelterm::tui::msg::Msg;
    let f = sample_project("sentiment");
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let jobs = Jobs::threaded(&f.db, move |m| {
        let _ = tx.lock().unwrap().send(m);
    });
    let mut store = labelterm::store::Store::open(&f.db).unwrap();
    let page = |generation| Job::ListPage {
        generation,
        user_id: 1,
        filter: Default::default(),
        sort: Default::default(),
        key: None,
        forward: true,
        reset: true,
        count: true,
    };
    assert!(
        jobs.submit(&mut store, page(1)).is_none(),
        "threaded: the reply comes later"
    );
    match rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap() {
        Msg::ListPage {
            generation,
            rows,
            count,
            ..
        } => {
            assert_eq!(generation, 1);
            assert!(!rows.is_empty());
            assert_eq!(count, Some(Ok(rows.len() as i64)));
        }
        other => panic!("{other:?}"),
    }
    // Inline, the same job replies at once.
    assert!(matches!(
        Jobs::Inline.submit(&mut store, page(2)),
        Some(Msg::ListPage { generation: 2, .. })
    ));
}
