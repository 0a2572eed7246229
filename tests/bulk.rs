//! Bulk actions on marked tasks: delete tasks, their annotations or predictions, and
//! predictions to annotations, with the task counters kept right.

use labelterm::annotate::bulk::{self, BulkAction, BulkDone};
use labelterm::project::{self, NewProject};
use labelterm::store::{Converted, DeletedAnnotations, DeletedPredictions, DeletedTasks, Store};
use rusqlite::Connection;
use serde_json::json;
use std::path::Path;

const CONFIG: &str = r#"<View><Text name="text" value="$text"/>
<Choices name="sentiment" toName="text"><Choice value="pos"/><Choice value="neg"/></Choices></View>"#;

fn choice(c: &str) -> serde_json::Value {
    json!([{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": [c]}}])
}

/// Task 1: two annotations (one skipped) and a prediction of model a; task 2: predictions
/// of models a and b; task 3: a prediction whose result names no control (stored as null);
/// task 4: nothing.
fn project(dir: &Path) -> (std::path::PathBuf, Store) {
    let tasks = json!([
        {"data": {"text": "one"},
         "annotations": [{"result": choice("pos"), "completed_by": {"email": "ann@x"}},
                         {"result": [], "was_cancelled": true, "completed_by": {"email": "bob@x"}}],
         "predictions": [{"result": choice("neg"), "model_version": "a", "score": 0.5}]},
        {"data": {"text": "two"},
         "predictions": [{"result": choice("pos"), "model_version": "a", "score": 0.9},
                         {"result": choice("neg"), "model_version": "b", "score": 0.1}]},
        {"data": {"text": "three"},
         "predictions": [{"result": {"nothing": "here"}, "model_version": "b"}]},
        {"data": {"text": "four"}}
    ]);
    let cfg = dir.join("c.xml");
    std::fs::write(&cfg, CONFIG).unwrap();
    let file = dir.join("t.json");
    std::fs::write(&file, tasks.to_string()).unwrap();
    let p = dir.join("p.db");
    let new = NewProject {
        inputs: vec![file.display().to_string()],
        ..NewProject::new(&cfg, "importer")
    };
    project::create(&p, &new).unwrap();
    let store = Store::open(&p).unwrap();
    (p, store)
}

/// (total_annotations, cancelled_annotations, total_predictions, is_labeled, score) of a task.
fn counters(p: &Path, id: i64) -> (i64, i64, i64, bool, Option<f64>) {
    Connection::open(p)
        .unwrap()
        .query_row(
            "SELECT total_annotations, cancelled_annotations, total_predictions, is_labeled, prediction_score
             FROM tasks WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
}

fn rows(p: &Path, sql: &str) -> i64 {
    Connection::open(p)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn deleting_tasks_takes_everything_attached_and_passes_over_unknown_ids() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = project(dir.path());
    let ann = s.user_id("ann@x").unwrap();
    s.save_draft(1, ann, None, "[]", 1.0).unwrap();
    {
        let c = Connection::open(&p).unwrap();
        c.execute(
            "INSERT INTO reviews (annotation_id, task_id, reviewer, decision, created_at)
             SELECT id, task_id, completed_by, 'accepted', 'x' FROM annotations WHERE task_id = 1",
            [],
        )
        .unwrap();
    }
    let preview = s.bulk_preview(&[1, 2, 999]).unwrap();
    assert_eq!(
        (
            preview.tasks,
            preview.annotations,
            preview.cancelled,
            preview.predictions,
            preview.drafts
        ),
        (2, 1, 1, 3, 1)
    );
    assert_eq!(
        preview.convertible,
        vec![("a".to_string(), 2), ("b".to_string(), 1)]
    );
    let done = s.delete_tasks(&[1, 2, 999, 1]).unwrap();
    assert_eq!(
        done,
        DeletedTasks {
            tasks: 2,
            annotations: 2,
            predictions: 3,
            drafts: 1
        }
    );
    assert_eq!(rows(&p, "SELECT COUNT(*) FROM tasks"), 2);
    assert_eq!(rows(&p, "SELECT COUNT(*) FROM task_data"), 2);
    assert_eq!(rows(&p, "SELECT COUNT(*) FROM annotations"), 0);
    assert_eq!(rows(&p, "SELECT COUNT(*) FROM predictions"), 1);
    assert_eq!(rows(&p, "SELECT COUNT(*) FROM drafts"), 0);
    assert_eq!(rows(&p, "SELECT COUNT(*) FROM reviews"), 0);
    assert!(s.task_full(1).unwrap().is_none());
    assert!(s.task_full(3).unwrap().is_some());
    // Nothing marked, nothing done.
    assert_eq!(s.delete_tasks(&[]).unwrap(), DeletedTasks::default());
}

#[test]
fn deleting_annotations_recounts_the_tasks_and_can_keep_other_annotators_work() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = project(dir.path());
    assert_eq!(counters(&p, 1), (1, 1, 1, true, Some(0.5)));
    let bob = s.user_id("bob@x").unwrap();
    let ann = s.user_id("ann@x").unwrap();
    s.save_draft(1, bob, None, "[]", 1.0).unwrap();
    s.save_draft(2, ann, None, "[]", 1.0).unwrap();

    // Only bob's: his skip and his draft go, ann's answer stays.
    let done = s.delete_annotations(&[1, 2], Some(bob)).unwrap();
    assert_eq!(
        done,
        DeletedAnnotations {
            tasks: 1,
            annotations: 1,
            drafts: 1
        }
    );
    assert_eq!(counters(&p, 1), (1, 0, 1, true, Some(0.5)));
    assert_eq!(rows(&p, "SELECT COUNT(*) FROM drafts"), 1);

    let stamp = |id: i64| -> String {
        Connection::open(&p)
            .unwrap()
            .query_row("SELECT updated_at FROM tasks WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap()
    };
    let before: Vec<String> = (1..=4).map(stamp).collect();
    let done = s.delete_annotations(&[1, 2, 3, 4], None).unwrap();
    assert_eq!(
        done,
        DeletedAnnotations {
            tasks: 1,
            annotations: 1,
            drafts: 1
        }
    );
    assert_eq!(counters(&p, 1), (0, 0, 1, false, Some(0.5)));
    assert_eq!(rows(&p, "SELECT COUNT(*) FROM annotations"), 0);
    assert_eq!(
        rows(&p, "SELECT agreement_stale FROM tasks WHERE id = 1"),
        1
    );
    // Only the task that lost annotations is stamped.
    let after: Vec<String> = (1..=4).map(stamp).collect();
    assert_ne!(after[0], before[0]);
    assert_eq!(after[1..], before[1..]);
}

#[test]
fn deleting_predictions_clears_counts_scores_and_parent_links() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = project(dir.path());
    let me = s.user_id("me").unwrap();
    s.predictions_to_annotations(&[2], me, Some(&["a".to_string()]))
        .unwrap();
    assert_eq!(
        rows(
            &p,
            "SELECT COUNT(*) FROM annotations WHERE parent_prediction IS NOT NULL"
        ),
        1
    );
    let done = s.delete_predictions(&[1, 2, 4]).unwrap();
    assert_eq!(
        done,
        DeletedPredictions {
            tasks: 2,
            predictions: 3
        }
    );
    assert_eq!(counters(&p, 1), (1, 1, 0, true, None));
    assert_eq!(counters(&p, 2), (1, 0, 0, true, None));
    assert_eq!(counters(&p, 3).2, 1, "unmarked tasks keep theirs");
    assert_eq!(
        rows(
            &p,
            "SELECT COUNT(*) FROM annotations WHERE parent_prediction IS NOT NULL"
        ),
        0
    );
    assert_eq!(
        rows(&p, "SELECT COUNT(*) FROM annotations WHERE task_id = 2"),
        1
    );
}

#[test]
fn predictions_become_annotations_of_the_acting_user_once() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = project(dir.path());
    let me = s.user_id("inspector").unwrap();
    // Model b only: task 2's b prediction; task 3's null result is passed over.
    let done = s
        .predictions_to_annotations(&[1, 2, 3, 4], me, Some(&["b".to_string()]))
        .unwrap();
    assert_eq!(
        done,
        Converted {
            tasks: 1,
            annotations: 1,
            already_converted: 0,
            no_result: 1
        }
    );
    let (result, by, gt, cancelled, parent): (String, i64, bool, bool, i64) = Connection::open(&p)
        .unwrap()
        .query_row(
            "SELECT a.result, a.completed_by, a.ground_truth, a.was_cancelled, a.parent_prediction
             FROM annotations a WHERE a.task_id = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    let (pred_result, pred_id): (String, i64) = Connection::open(&p)
        .unwrap()
        .query_row(
            "SELECT result, id FROM predictions WHERE task_id = 2 AND model_version = 'b'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (result, by, gt, cancelled, parent),
        (pred_result, me, false, false, pred_id)
    );
    assert_eq!(counters(&p, 2), (1, 0, 2, true, counters(&p, 2).4));

    // All versions: the rest of tasks 1 and 2; b's is not made again.
    let done = s.predictions_to_annotations(&[1, 2, 3], me, None).unwrap();
    assert_eq!(
        done,
        Converted {
            tasks: 2,
            annotations: 2,
            already_converted: 1,
            no_result: 1
        }
    );
    assert_eq!(counters(&p, 1).0, 2);
    assert_eq!(counters(&p, 2).0, 2);
    assert_eq!(
        rows(&p, "SELECT agreement_stale FROM tasks WHERE id = 2"),
        1
    );
    let again = s.predictions_to_annotations(&[1, 2, 3], me, None).unwrap();
    assert_eq!(again.annotations, 0);
    assert_eq!(again.already_converted, 3);
}

#[test]
fn the_domain_runs_actions_and_says_what_they_did() {
    let dir = tempfile::tempdir().unwrap();
    let (_p, mut s) = project(dir.path());
    let preview = s.bulk_preview(&[1, 2]).unwrap();
    assert_eq!(
        BulkAction::DeleteTasks.question(&preview),
        "Delete 2 tasks with 2 annotations, 3 predictions and 0 drafts?"
    );
    let convert = BulkAction::PredictionsToAnnotations {
        model_versions: Some(vec!["a".into()]),
    };
    assert_eq!(
        convert.question(&preview),
        "Create 2 annotations from predictions (a) of 2 tasks?"
    );
    assert_eq!(
        bulk::default_model_version(&s).unwrap().as_deref(),
        Some("b")
    );
    let done = bulk::run(&mut s, &convert, &[1, 2], "inspector").unwrap();
    assert_eq!(
        done.summary(),
        "Created 2 annotations from predictions on 2 tasks"
    );
    let who = BulkAction::DeleteAnnotations {
        annotator: Some("nobody@x".into()),
    };
    assert!(bulk::run(&mut s, &who, &[1], "inspector").is_err());
    let done = bulk::run(&mut s, &BulkAction::DeleteTasks, &[1], "x").unwrap();
    assert!(matches!(done, BulkDone::Tasks(d) if d.tasks == 1 && d.annotations == 3));
}

#[test]
fn many_ids_go_in_batches_in_one_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.xml");
    std::fs::write(&cfg, CONFIG).unwrap();
    let file = dir.path().join("t.jsonl");
    let mut text = String::new();
    for i in 0..45_000 {
        text.push_str(&format!(
            "{{\"data\": {{\"text\": \"t{i}\"}}, \"predictions\": [{{\"result\": {}, \"model_version\": \"m\"}}]}}\n",
            choice("pos")
        ));
    }
    std::fs::write(&file, text).unwrap();
    let p = dir.path().join("p.db");
    let new = NewProject {
        inputs: vec![file.display().to_string()],
        ..NewProject::new(&cfg, "importer")
    };
    project::create(&p, &new).unwrap();
    let mut s = Store::open(&p).unwrap();
    let me = s.user_id("me").unwrap();
    let ids: Vec<i64> = (1..=45_000).collect();
    let done = s.predictions_to_annotations(&ids, me, None).unwrap();
    assert_eq!((done.tasks, done.annotations), (45_000, 45_000));
    assert_eq!(
        rows(&p, "SELECT COUNT(*) FROM tasks WHERE is_labeled = 1"),
        45_000
    );
    let odd: Vec<i64> = (1..=45_000).filter(|i| i % 2 == 1).collect();
    let done = s.delete_tasks(&odd).unwrap();
    assert_eq!((done.tasks, done.annotations), (22_500, 22_500));
    assert_eq!(rows(&p, "SELECT COUNT(*) FROM tasks"), 22_500);
    assert_eq!(rows(&p, "SELECT COUNT(*) FROM annotations"), 22_500);
}

#[test]
fn deleting_tasks_draws_the_overlap_cohort_again() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = project(dir.path());
    let mut settings = s.settings().unwrap();
    settings.maximum_annotations = 2;
    settings.overlap_cohort = 50;
    s.set_settings(&settings).unwrap();
    assert_eq!(rows(&p, "SELECT COUNT(*) FROM tasks WHERE overlap = 2"), 2);
    s.delete_tasks(&[1, 2]).unwrap();
    // round(2 * 50%) = 1 of the 2 left.
    assert_eq!(rows(&p, "SELECT COUNT(*) FROM tasks WHERE overlap = 2"), 1);
}
