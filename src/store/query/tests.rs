use super::sql;
use super::*;
use crate::store::Store;
use rusqlite::params;

/// A small project with hand-made tasks (see each task's comment).
fn project() -> (tempfile::TempDir, Store) {
    let (dir, s) = crate::store::tests::with_tasks(0);
    let c = s.conn();
    let alice = s.user_id("alice@x.org").unwrap();
    let bob = s.user_id("bob").unwrap();
    let carol = s.user_id("carol").unwrap();
    let task =
        |data: &str, labeled: bool, total: i64, cancelled: i64, preds: i64, score: Option<f64>| {
            c.execute(
                "INSERT INTO tasks (inner_id, is_labeled, total_annotations, cancelled_annotations,
                total_predictions, prediction_score, created_at, updated_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, '2024-01-0' || (SELECT count(*) + 1 FROM tasks), 'u')",
                params![labeled, total, cancelled, preds, score],
            )
            .unwrap();
            let id = c.last_insert_rowid();
            c.execute(
                "INSERT INTO task_data (task_id, data) VALUES (?1, ?2)",
                params![id, data],
            )
            .unwrap();
            id
        };
    let ann = |task: i64, user: i64, result: &str, cancelled: bool| {
        c.execute(
            "INSERT INTO annotations (task_id, result, completed_by, was_cancelled, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'x', 'x')",
            params![task, result, user, cancelled],
        )
        .unwrap();
        c.last_insert_rowid()
    };
    let pred = |task: i64, model: &str, score: f64, result: &str| {
        c.execute(
            "INSERT INTO predictions (task_id, result, score, model_version, created_at)
             VALUES (?1, ?2, ?3, ?4, 'x')",
            params![task, result, score, model],
        )
        .unwrap();
    };
    let review = |ann: i64, task: i64, decision: &str| {
        c.execute(
            "INSERT INTO reviews (annotation_id, task_id, reviewer, decision, created_at)
             VALUES (?1, ?2, ?3, ?4, 'x')",
            params![ann, task, carol, decision],
        )
        .unwrap();
    };
    let choice = |v: &str| {
        format!(
            r#"[{{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {{"choices": ["{v}"]}}}}]"#
        )
    };
    // 1: labeled by alice (Positive, rating 4, a taxonomy path, a text) and bob
    // (Negative); reviews differ: partial.
    let t1 = task(
        r#"{"text": "the quick brown fox", "meta": {"lang": "en", "n": "10"}, "a.b": 1, "say \"hi\"": "yes", "flag": true}"#,
        true,
        2,
        0,
        1,
        Some(0.9),
    );
    let a1 = ann(
        t1,
        alice,
        r#"[{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}},
            {"from_name": "stars", "to_name": "text", "type": "rating", "value": {"rating": 4}},
            {"from_name": "topic", "to_name": "text", "type": "taxonomy", "value": {"taxonomy": [["Animals", "Fox"]]}},
            {"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": ["hello there"]}}]"#,
        false,
    );
    let b1 = ann(t1, bob, &choice("Negative"), false);
    pred(t1, "v1", 0.9, &choice("Positive"));
    review(a1, t1, "accepted");
    review(b1, t1, "rejected");
    c.execute("UPDATE tasks SET agreement = 0.5 WHERE id = ?1", [t1])
        .unwrap();
    // 2: labeled by alice (Positive), skipped by carol; rejected then accepted.
    let t2 = task(
        r#"{"text": "lazy dog", "meta": {"lang": "fr", "n": "9"}, "flag": false}"#,
        true,
        1,
        1,
        1,
        Some(0.2),
    );
    let a2 = ann(t2, alice, &choice("Positive"), false);
    ann(t2, carol, "[]", true);
    pred(t2, "v2", 0.2, &choice("Negative"));
    review(a2, t2, "rejected");
    review(a2, t2, "fixed");
    // 3: skipped only.
    let t3 = task(
        r#"{"text": "Crème brûlée", "meta": {"lang": "en"}}"#,
        false,
        0,
        1,
        0,
        None,
    );
    ann(t3, bob, "[]", true);
    // 4: a draft.
    let t4 = task(r#"{"text": "nothing here"}"#, false, 0, 0, 0, None);
    c.execute(
        "INSERT INTO drafts (task_id, user_id, result, created_at, updated_at) VALUES (?1, ?2, '[]', 'x', 'x')",
        params![t4, alice],
    )
    .unwrap();
    // 5: nothing; an empty key.
    task(
        r#"{"text": "empty", "meta": {"lang": ""}}"#,
        false,
        0,
        0,
        0,
        None,
    );
    (dir, s)
}

fn ids(s: &Store, q: &Query) -> Vec<i64> {
    let rs = s.run_query(q).unwrap();
    let mut out = Vec::new();
    rs.ids(s, |id| {
        out.push(id);
        Ok::<_, crate::store::StoreError>(())
    })
    .unwrap();
    assert_eq!(rs.count() as usize, out.len());
    assert_eq!(s.query_count(q).unwrap() as usize, out.len(), "{q:?}");
    rs.close(s).unwrap();
    out
}

fn matching(s: &Store, filter: &str) -> Vec<i64> {
    ids(s, &Query::all().filter(filter.parse().unwrap()))
}

#[test]
fn every_operator_on_columns() {
    let (_d, s) = project();
    assert_eq!(matching(&s, "id equal 2"), vec![2]);
    assert_eq!(matching(&s, "id not_equal 2"), vec![1, 3, 4, 5]);
    assert_eq!(matching(&s, "score less 0.5"), vec![2]);
    assert_eq!(matching(&s, "score greater 0.5"), vec![1]);
    assert_eq!(matching(&s, "score <= 0.2"), vec![2]);
    assert_eq!(matching(&s, "score >= 0.2"), vec![1, 2]);
    assert_eq!(matching(&s, "score in 0.1..0.5"), vec![2]);
    assert_eq!(matching(&s, "score not_in 0.1..0.5"), vec![1, 3, 4, 5]);
    assert_eq!(matching(&s, "score empty true"), vec![3, 4, 5]);
    assert_eq!(matching(&s, "score empty false"), vec![1, 2]);
    assert_eq!(matching(&s, "status equal labeled"), vec![1, 2]);
    assert_eq!(matching(&s, "status = in-progress"), vec![4]);
    assert_eq!(matching(&s, "status = skipped"), vec![3]);
    assert_eq!(matching(&s, "status = unlabeled"), vec![5]);
    assert_eq!(matching(&s, "review = partial"), vec![1]);
    assert_eq!(matching(&s, "review = accepted"), vec![2]);
    assert_eq!(matching(&s, "review = none"), vec![3, 4, 5]);
    assert_eq!(matching(&s, "agreement < 0.6"), vec![1]);
    assert_eq!(matching(&s, "cancelled = 1"), vec![2, 3]);
    assert_eq!(matching(&s, "annotations >= 1"), vec![1, 2]);
    assert_eq!(matching(&s, "predictions = 1"), vec![1, 2]);
    assert_eq!(
        matching(&s, "created in 2024-01-02..2024-01-03"),
        vec![2, 3]
    );
    assert_eq!(matching(&s, "annotators equal bob"), vec![1]);
    assert_eq!(matching(&s, "annotators contains ALICE"), vec![1, 2]);
    assert_eq!(matching(&s, "annotators not_contains alice"), vec![3, 4, 5]);
    assert_eq!(matching(&s, "annotators regex ^b"), vec![1]);
    assert_eq!(matching(&s, "annotators empty"), vec![3, 4, 5]);
    assert_eq!(matching(&s, "model = v2"), vec![2]);
    assert_eq!(matching(&s, "model != v2"), vec![1, 3, 4, 5]);
}

#[test]
fn data_keys_labels_and_predictions() {
    let (_d, s) = project();
    assert_eq!(matching(&s, "data.meta.lang equal en"), vec![1, 3]);
    assert_eq!(matching(&s, "data.meta.lang not_equal en"), vec![2, 4, 5]);
    assert_eq!(matching(&s, "data.meta.lang empty true"), vec![4, 5]);
    // CSV-like text numbers compare as numbers: "9" < "10".
    assert_eq!(matching(&s, "data.meta.n less 10"), vec![2]);
    assert_eq!(matching(&s, "data.meta.n greater 9.5"), vec![1]);
    assert_eq!(matching(&s, "data.meta.n in 9..10"), vec![1, 2]);
    assert_eq!(matching(&s, "data.text contains QUICK"), vec![1]);
    assert_eq!(matching(&s, "data.text not_contains o"), vec![3, 5]);
    assert_eq!(matching(&s, "data.text ~ ^(lazy|empty)"), vec![2, 5]);
    assert_eq!(matching(&s, "data.\"a.b\" = 1"), vec![1]);
    assert_eq!(matching(&s, "data.\"say \"\"hi\"\"\" = yes"), vec![1]);
    assert_eq!(matching(&s, "data.flag = true"), vec![1]);
    assert_eq!(matching(&s, "data.flag = false"), vec![2]);
    assert_eq!(matching(&s, "label:sentiment = Positive"), vec![1, 2]);
    assert_eq!(matching(&s, "label:sentiment != Positive"), vec![3, 4, 5]);
    assert_eq!(matching(&s, "label:sentiment[bob] = Negative"), vec![1]);
    assert_eq!(
        matching(&s, "label:sentiment[alice@x.org] = Negative"),
        Vec::<i64>::new()
    );
    assert_eq!(matching(&s, "label:stars >= 4"), vec![1]);
    assert_eq!(matching(&s, "label:topic = \"Animals / Fox\""), vec![1]);
    assert_eq!(matching(&s, "label:note contains there"), vec![1]);
    assert_eq!(matching(&s, "prediction:sentiment = Negative"), vec![2]);
    assert_eq!(
        matching(&s, "prediction:sentiment[v1] = Negative"),
        Vec::<i64>::new()
    );
}

#[test]
fn and_or_search_and_sort() {
    let (_d, s) = project();
    let f = |t: &str| -> Filter { t.parse().unwrap() };
    let and = Query::all()
        .filter(f("status = labeled"))
        .filter(f("score > 0.5"));
    assert_eq!(ids(&s, &and), vec![1]);
    let or = Query {
        join: Join::Or,
        ..and.clone()
    };
    assert_eq!(ids(&s, &or), vec![1, 2]);
    assert_eq!(ids(&s, &Query::all().searching("creme")), vec![3]);
    assert_eq!(ids(&s, &Query::all().searching("the qu")), vec![1]);
    // A search alone reads the index; with a sort or filter, the tasks.
    let e = Query::all().searching("e");
    assert_eq!(ids(&s, &e), vec![1, 3, 5]);
    assert_eq!(
        ids(&s, &e.clone().sorted("-id".parse().unwrap())),
        vec![5, 3, 1]
    );
    assert_eq!(
        ids(&s, &e.clone().sorted("score".parse().unwrap())),
        vec![1, 3, 5]
    );
    assert_eq!(
        ids(&s, &e.sorted("-data.text".parse().unwrap())),
        vec![1, 5, 3]
    );
    assert_eq!(
        ids(
            &s,
            &Query::all().searching("e").filter(f("status = unlabeled"))
        ),
        vec![5]
    );
    let sorted = |s_: &str| ids(&s, &Query::all().sorted(s_.parse().unwrap()));
    assert_eq!(sorted("-score"), vec![1, 2, 3, 4, 5]);
    assert_eq!(
        sorted("score"),
        vec![2, 1, 3, 4, 5],
        "missing last both ways"
    );
    assert_eq!(sorted("-id"), vec![5, 4, 3, 2, 1]);
    assert_eq!(
        sorted("data.meta.n"),
        vec![2, 1, 3, 4, 5],
        "numbers in text by value"
    );
    assert_eq!(sorted("-data.text"), vec![1, 4, 2, 5, 3]);
    assert_eq!(sorted("annotators"), vec![2, 1, 3, 4, 5]);
}

#[test]
fn pages_positions_and_next_match() {
    let (_d, s) = project();
    let q = Query::all().sorted("-id".parse().unwrap());
    let rs = s.run_query(&q).unwrap();
    assert_eq!(rs.count(), 5);
    let cols = [
        Field::data(["meta", "lang"]),
        "label:sentiment".parse().unwrap(),
        Field::Status,
    ];
    let page = rs.page(&s, 3, 10, &cols).unwrap();
    assert_eq!(page.len(), 2);
    let r1 = &page[1];
    assert_eq!((r1.position, r1.id), (4, 1));
    assert_eq!(r1.status, Status::Labeled);
    assert_eq!(r1.annotators, vec!["alice@x.org", "bob"]);
    assert_eq!((r1.annotations, r1.cancelled, r1.predictions), (2, 0, 1));
    assert_eq!(r1.score, Some(0.9));
    assert_eq!(r1.models, vec!["v1"]);
    assert_eq!(r1.agreement, Some(0.5));
    assert_eq!(r1.review, ReviewState::Partial);
    assert_eq!(
        r1.cells,
        vec![
            Value::Text("en".into()),
            Value::List(vec![
                Value::Text("Negative".into()),
                Value::Text("Positive".into())
            ]),
            Value::Text("labeled".into())
        ]
    );
    assert_eq!(page[0].review, ReviewState::Accepted);
    assert_eq!(rs.position_of(&s, 5).unwrap(), Some(0));
    assert_eq!(rs.position_of(&s, 1).unwrap(), Some(4));
    assert_eq!(rs.position_of(&s, 99).unwrap(), None);
    assert_eq!(rs.next_match(&s, "lazy", None, true).unwrap(), Some(3));
    assert_eq!(rs.next_match(&s, "lazy", Some(3), true).unwrap(), None);
    assert_eq!(rs.next_match(&s, "lazy", None, false).unwrap(), Some(3));
    // Words starting with "e": task 5 (empty) at 0, task 3 (en) at 2, task 1 (en) at 4.
    assert_eq!(rs.next_match(&s, "e", None, true).unwrap(), Some(0));
    assert_eq!(rs.next_match(&s, "e", Some(0), true).unwrap(), Some(2));
    assert_eq!(rs.next_match(&s, "e", Some(2), true).unwrap(), Some(4));
    assert_eq!(rs.next_match(&s, "e", Some(4), false).unwrap(), Some(2));
    assert_eq!(rs.next_match(&s, "e", Some(0), false).unwrap(), None);
    // The same with the matches read afresh.
    for (from, forward) in [
        (None, true),
        (Some(0), true),
        (Some(2), true),
        (Some(4), false),
        (Some(0), false),
        (None, false),
    ] {
        let kept = rs.next_match(&s, "e", from, forward).unwrap();
        rs.forget_matches();
        assert_eq!(
            rs.next_match(&s, "e", from, forward).unwrap(),
            kept,
            "{from:?} {forward}"
        );
    }
    assert_eq!(rs.next_match(&s, "  ", None, true).unwrap(), None);
    // A deleted task leaves its row out of the pages.
    s.conn()
        .execute("DELETE FROM tasks WHERE id = 4", [])
        .unwrap();
    assert_eq!(
        rs.page(&s, 0, 3, &[])
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        vec![5, 3]
    );
    rs.close(&s).unwrap();
}

#[test]
fn freq_buckets_round_trip_into_filters() {
    let (_d, s) = project();
    let all = Query::all();
    for field in [
        "status",
        "review",
        "annotators",
        "model",
        "data.meta.lang",
        "data.meta.n",
        "data.flag",
        "label:sentiment",
        "label:topic",
        "label:stars",
        "prediction:sentiment",
        "score",
        "annotations",
    ] {
        let field: Field = field.parse().unwrap();
        let rows = s.freq(&all, &field).unwrap();
        let total: u64 = rows.iter().map(|r| r.count).sum();
        assert!(total >= 5, "{field}: every task in some bucket: {rows:?}");
        for r in &rows {
            let f = r.filter(&field);
            // Through its text too, as a saved view or the command line carry it.
            let again: Filter = f.to_string().parse().unwrap();
            assert_eq!(again, f, "{field}");
            let n = s.query_count(&Query::all().filter(f.clone())).unwrap();
            assert_eq!(n, r.count, "{field}: {f}");
        }
    }
    assert_eq!(
        s.freq(&all, &Field::Status).unwrap(),
        vec![
            FreqRow {
                value: Value::Text("labeled".into()),
                count: 2
            },
            FreqRow {
                value: Value::Text("in-progress".into()),
                count: 1
            },
            FreqRow {
                value: Value::Text("skipped".into()),
                count: 1
            },
            FreqRow {
                value: Value::Text("unlabeled".into()),
                count: 1
            },
        ]
    );
    let lang = s.freq(&all, &Field::data(["meta", "lang"])).unwrap();
    assert_eq!(
        lang,
        vec![
            FreqRow {
                value: Value::Text("en".into()),
                count: 2
            },
            FreqRow {
                value: Value::Text("fr".into()),
                count: 1
            },
            FreqRow {
                value: Value::Null,
                count: 2
            },
        ]
    );
    // Over a query's tasks only.
    let labeled = Query::all().filter("status = labeled".parse().unwrap());
    assert_eq!(
        s.freq(&labeled, &"label:sentiment".parse().unwrap())
            .unwrap(),
        vec![
            FreqRow {
                value: Value::Text("Positive".into()),
                count: 2
            },
            FreqRow {
                value: Value::Text("Negative".into()),
                count: 1
            },
        ]
    );
}

#[test]
fn freq_by_annotator_and_model() {
    let (_d, s) = project();
    let all = Query::all();
    let label: Field = "label:sentiment".parse().unwrap();
    let rows = s.freq_by(&all, &label, GroupBy::Annotator).unwrap();
    let plain: Vec<(&str, String, u64)> = rows
        .iter()
        .map(|r| (r.group.as_str(), r.value.to_string(), r.count))
        .collect();
    assert_eq!(
        plain,
        vec![
            ("alice@x.org", "Positive".to_string(), 2),
            ("bob", "Negative".to_string(), 1)
        ]
    );
    for r in &rows {
        let mut q = Query::all();
        q.filters = r.filters(&label, GroupBy::Annotator);
        assert_eq!(s.query_count(&q).unwrap(), r.count);
    }
    let by_model = s.freq_by(&all, &Field::Status, GroupBy::Model).unwrap();
    for r in &by_model {
        let mut q = Query::all();
        q.filters = r.filters(&Field::Status, GroupBy::Model);
        assert_eq!(s.query_count(&q).unwrap(), r.count, "{r:?}");
    }
    assert_eq!(by_model.len(), 2);
    let pred: Field = "prediction:sentiment".parse().unwrap();
    let rows = s.freq_by(&all, &pred, GroupBy::Model).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].group, "v1");
}

#[test]
fn describe_and_histogram() {
    let (_d, s) = project();
    let all = Query::all();
    let d = s.describe(&all, &Field::data(["meta", "n"])).unwrap();
    assert_eq!((d.tasks, d.values, d.distinct, d.missing), (5, 2, 2, 3));
    assert_eq!(
        d.numbers,
        Some(Spread {
            min: 9.0,
            max: 10.0,
            mean: 9.5
        })
    );
    assert_eq!(d.types, vec![("text".to_string(), 2)]);
    let d = s.describe(&all, &Field::data(["text"])).unwrap();
    assert_eq!(d.lengths.unwrap().max, 19.0);
    assert_eq!(d.lengths.unwrap().min, 5.0);
    let d = s.describe(&all, &Field::data(["flag"])).unwrap();
    assert_eq!(
        d.types,
        vec![("false".to_string(), 1), ("true".to_string(), 1)]
    );
    let d = s.describe(&all, &Field::Annotators).unwrap();
    assert_eq!((d.values, d.distinct, d.missing), (3, 2, 3));
    let h = s.histogram(&all, &Field::Score, 7).unwrap();
    assert_eq!(h.len(), 7);
    assert_eq!((h[0].count, h[6].count), (1, 1));
    assert_eq!(h.iter().map(|b| b.count).sum::<u64>(), 2);
    for b in &h {
        let mut q = Query::all();
        q.filters = b.filters(&Field::Score);
        assert_eq!(s.query_count(&q).unwrap(), b.count, "{b:?}");
    }
    assert!(s.histogram(&all, &Field::Agreement, 3).unwrap().len() == 1);
    assert!(
        s.histogram(&all.clone().searching("zzz"), &Field::Score, 3)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn data_keys_are_flattened_in_order() {
    let (_d, s) = project();
    let keys: Vec<String> = s
        .data_keys(100)
        .unwrap()
        .into_iter()
        .map(|p| Field::Data(p).to_string())
        .collect();
    assert_eq!(
        keys,
        vec![
            "data.text",
            "data.meta.lang",
            "data.meta.n",
            "data.\"a.b\"",
            "data.\"say \"\"hi\"\"\"",
            "data.flag"
        ]
    );
}

#[test]
fn queries_serialise_as_text() {
    let q = Query {
        filters: vec![
            "score >= 0.5".parse().unwrap(),
            "data.\"a b\" = x".parse().unwrap(),
        ],
        join: Join::Or,
        search: "fox".into(),
        sort: vec!["-agreement".parse().unwrap()],
    };
    let j = serde_json::to_string(&q).unwrap();
    assert_eq!(
        j,
        r#"{"filters":["score greater_or_equal 0.5","data.\"a b\" equal x"],"join":"or","search":"fox","sort":["-agreement"]}"#
    );
    assert_eq!(serde_json::from_str::<Query>(&j).unwrap(), q);
    assert!(serde_json::from_str::<Query>(r#"{"filters":["nope = 1"]}"#).is_err());
}

/// The ids in the order SQLite's `ORDER BY` gives for a query's sort.
fn sqlite_order(s: &Store, q: &Query) -> Vec<i64> {
    let c = s.conn();
    sql::register(c).unwrap();
    let mut b = sql::Builder::default();
    let cond = b.condition(q);
    let order = b.order(q);
    let mut st = c
        .prepare(&format!(
            "SELECT t.id FROM {} WHERE {cond} ORDER BY {order}",
            b.from()
        ))
        .unwrap();
    sql::bind(&mut st, &b.params).unwrap();
    let mut rows = st.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next().unwrap() {
        out.push(r.get::<_, i64>(0).unwrap());
    }
    out
}

#[test]
fn sorts_follow_sqlite_order() {
    let (_d, s) = project();
    // Numbers, text numbers, text, booleans, NULLs and several values per task; ties
    // broken by the id either way.
    for sort in [
        &["score"][..],
        &["-score"],
        &["data.meta.n"],
        &["-data.meta.n"],
        &["data.text"],
        &["-data.text"],
        &["data.flag", "-id"],
        &["status", "-score"],
        &["-annotations", "id"],
        &["review", "-created"],
        &["annotators"],
        &["-label:sentiment"],
        &["label:stars", "-id", "score"],
        &["-prediction:sentiment"],
        &["model", "-data.meta.lang"],
    ] {
        let mut q = Query::all();
        for t in sort {
            q = q.sorted(t.parse().unwrap());
        }
        assert_eq!(ids(&s, &q), sqlite_order(&s, &q), "{sort:?}");
        let q = q.filter("annotations >= 0".parse().unwrap());
        assert_eq!(ids(&s, &q), sqlite_order(&s, &q), "{sort:?}, filtered");
    }
}

#[test]
fn control_comparisons_match_the_value_relation() {
    let (_d, s) = project();
    // The same filters through the relation of values and lt_cmp (what lt_any replaces).
    let through_relation = |f: &Filter| -> Vec<i64> {
        let c = s.conn();
        sql::register(c).unwrap();
        let mut b = sql::Builder::default();
        let rel = b.relation(&f.field, None);
        let (sym, operand) = match (&f.op.positive(), &f.operand) {
            (Op::Equal, Operand::Value(v)) => ("=", v),
            (Op::Less, Operand::Value(v)) => ("<", v),
            (Op::GreaterOrEqual, Operand::Value(v)) => (">=", v),
            _ => unreachable!(),
        };
        let p = b.bind(sql::sql_value(operand));
        let mut st = c
            .prepare(&format!(
                "SELECT t.id FROM tasks t WHERE t.id {} (SELECT rr.task_id FROM ({rel}) rr \
                 WHERE lt_cmp(rr.v, {p}) {sym} 0) ORDER BY t.id",
                if f.op.is_negated() { "NOT IN" } else { "IN" }
            ))
            .unwrap();
        sql::bind(&mut st, &b.params).unwrap();
        let mut rows = st.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            out.push(r.get::<_, i64>(0).unwrap());
        }
        out
    };
    let mut nonempty = 0;
    for text in [
        "label:sentiment = Positive",
        "label:sentiment != Negative",
        "label:sentiment[bob] = Negative",
        "label:stars >= 4",
        "label:stars < 4.5",
        "label:stars = 4",
        "label:topic = \"Animals / Fox\"",
        "label:topic = Animals",
        "label:sentiment = positive",
        "prediction:sentiment = Negative",
        "prediction:sentiment != Negative",
        "prediction:sentiment[v1] = Negative",
    ] {
        let f: Filter = text.parse().unwrap();
        let got = matching(&s, text);
        nonempty += usize::from(!got.is_empty());
        assert_eq!(got, through_relation(&f), "{text}");
    }
    assert!(nonempty >= 6);
}

#[test]
fn large_sorted_sets_keep_every_id_in_order() {
    // More ids than one insert statement takes, with a remainder, and many ties.
    let (_d, s) = crate::store::tests::with_tasks(1203);
    s.conn()
        .execute(
            "UPDATE tasks SET prediction_score = CASE WHEN id % 7 = 0 THEN NULL ELSE (id * 37 % 101) / 100.0 END",
            [],
        )
        .unwrap();
    for sort in ["-score", "score"] {
        let q = Query::all().sorted(sort.parse().unwrap());
        let got = ids(&s, &q);
        assert_eq!(got.len(), 1203);
        assert_eq!(got, sqlite_order(&s, &q), "{sort}");
        let rs = s.run_query(&q).unwrap();
        assert_eq!(rs.position_of(&s, got[777]).unwrap(), Some(777));
        rs.close(&s).unwrap();
    }
}

/// Data texts with the shapes that trip a reader that skips instead of parsing.
const ODD_DATA: &[&str] = &[
    r#"{"text": "plain", "n": 3}"#,
    r#"{ "text" : "a \"quoted\" {[not]} , \"n\": 9" , "n" : -1.5e2 }"#,
    r#"{"n": 99999999999999999999, "text": "\u00e9t\u00e9 \/ \\ \n"}"#,
    r#"{"meta": {"source": "web", "n": {"x": [1, {"y": "}"}]}}, "text": true}"#,
    r#"{"text": false, "n": null, "list": [1, "two", [3]], "obj": {"a" : 1, "b": [ ]}}"#,
    r#"{"caf\u00e9": "accent", "k\"q": 1, "a.b": "dotted", "text": ""}"#,
    r#"{"text": "first", "text": "second", "n": 0.0, "i": -0}"#,
    r#"{"n": 1e2, "i": 12345678901234, "text": "x", "meta": "not an object"}"#,
    r#"{}"#,
];

#[test]
fn data_values_match_sqlites_json_functions() {
    let c = rusqlite::Connection::open_in_memory().unwrap();
    sql::register(&c).unwrap();
    let paths: &[&[&str]] = &[
        &["text"],
        &["n"],
        &["i"],
        &["list"],
        &["obj"],
        &["meta", "source"],
        &["meta", "n"],
        &["meta", "n", "x"],
        &["café"],
        &["a.b"],
        &["missing"],
        &["text", "inner"],
        &["meta", "source", "x"],
    ];
    for data in ODD_DATA {
        for path in paths {
            let json_path: String = std::iter::once("$".to_string())
                .chain(path.iter().map(|k| format!(".\"{k}\"")))
                .collect();
            // ?1 the data, ?2.. the keys, then the JSON path.
            let keys: Vec<String> = (0..path.len()).map(|i| format!("?{}", i + 2)).collect();
            let keys = keys.join(", ");
            let json = path.len() + 2;
            let sql = format!(
                "SELECT lt_data(?1, {keys}), \
                   CASE json_type(?1, ?{json}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' \
                     ELSE json_extract(?1, ?{json}) END, \
                   json_type(?1, ?{json})"
            );
            let mut params: Vec<rusqlite::types::Value> = vec![data.to_string().into()];
            params.extend(path.iter().map(|k| k.to_string().into()));
            params.push(json_path.clone().into());
            let got: (
                rusqlite::types::Value,
                rusqlite::types::Value,
                Option<String>,
            ) = c
                .query_row(&sql, rusqlite::params_from_iter(params), |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .unwrap();
            let ty = super::json_scan::path(data.as_bytes(), path)
                .and_then(super::json_scan::type_name)
                .map(str::to_string);
            // A number too large for an integer: SQLite keeps its text as it was written.
            if data.contains("99999999999999999999") && path == &["n"] {
                assert_eq!(got.0, rusqlite::types::Value::Real(1e20));
                continue;
            }
            assert_eq!(got.0, got.1, "{data} at {json_path}");
            assert_eq!(ty, got.2, "type of {data} at {json_path}");
        }
    }
}

/// What `control_sql_values` must give, by a full parse of the result.
fn control_values_by_full_parse(result: &str, control: &str) -> Vec<rusqlite::types::Value> {
    use rusqlite::types::Value as V;
    use serde_json::Value as J;
    let leaf = |v: &J| -> Option<V> {
        Some(match v {
            J::Null => return None,
            J::Bool(b) => V::Text(b.to_string()),
            J::String(s) => V::Text(s.clone()),
            J::Number(n) => n
                .as_i64()
                .map_or_else(|| V::Real(n.as_f64().unwrap()), V::Integer),
            J::Array(path) => V::Text(
                path.iter()
                    .map(|p| match p {
                        J::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" / "),
            ),
            J::Object(_) => V::Text(v.to_string()),
        })
    };
    let Ok(J::Array(items)) = serde_json::from_str::<J>(result) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in &items {
        if item.get("from_name").and_then(J::as_str) != Some(control) {
            continue;
        }
        let Some(kind) = item.get("type").and_then(J::as_str) else {
            continue;
        };
        let key = if kind == "textarea" { "text" } else { kind };
        match item.get("value").and_then(|v| v.get(key)) {
            Some(J::Array(list)) => out.extend(list.iter().filter_map(leaf)),
            Some(v) => out.extend(leaf(v)),
            None => {}
        }
    }
    out
}

#[test]
fn control_values_match_a_full_parse() {
    let results = [
        r#"[{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive", "Neutral"]}}]"#,
        r#"[{"value": {"choices": ["A"]}, "type": "choices", "from_name": "sentiment"}, {"from_name": "other", "type": "choices", "value": {"choices": ["B"]}}]"#,
        r#"[{"from_name": "tax", "type": "taxonomy", "value": {"taxonomy": [["Animals", "Cats"], ["Plants"], ["x", 1, {"k": "v"}]]}}]"#,
        r#"[{"from_name": "rate", "type": "rating", "value": {"rating": 4}}, {"from_name": "rate", "type": "rating", "value": {"rating": 2.5}}]"#,
        r#"[{"from_name": "notes", "type": "textarea", "value": {"text": ["one \"quoted\"", "two \u00e9"]}}]"#,
        r#"[{"from_name": "flag", "type": "choices", "value": {"choices": [true, null, false, {"b": 1, "a": [2]}]}}]"#,
        r#"[{"from_name": "lab\u0065l", "type": "labels", "value": {"start": 0, "end": 4, "labels": ["PER"]}}]"#,
        r#"[{"from_name": "label", "type": "labels", "value": "not an object"}, "not an item", 3, {"from_name": 5}]"#,
        r#"[{"from_name": "label", "type": null, "value": {"labels": ["X"]}}, {"from_name": "label", "type": "labels"}]"#,
        r#"[{"from_name": "num", "type": "number", "value": {"number": -7}}, {"from_name": "num", "type": "number", "value": {"number": 1e3}}]"#,
        r#"[]"#,
        r#"{"not": "a list"}"#,
    ];
    let controls = [
        "sentiment",
        "other",
        "tax",
        "rate",
        "notes",
        "flag",
        "label",
        "num",
        "none",
    ];
    for result in results {
        for control in controls {
            assert_eq!(
                sql::control_sql_values(result.as_bytes(), control.as_bytes()),
                control_values_by_full_parse(result, control),
                "{control} in {result}"
            );
        }
    }
}

/// `n` tasks with text words by id (`alpha`: every third, `beta`: every fiftieth,
/// `zeta`: only the last) and scores that scramble the id order.
fn words_project(n: usize) -> (tempfile::TempDir, Store) {
    let (d, s) = crate::store::tests::with_tasks(n);
    s.conn()
        .execute_batch(&format!(
            "UPDATE task_data SET data = json_object('t', trim(
                 CASE WHEN task_id % 3 = 0 THEN 'alpha ' ELSE '' END ||
                 CASE WHEN task_id % 50 = 0 THEN 'beta ' ELSE '' END ||
                 CASE WHEN task_id = {n} THEN 'zeta ' ELSE '' END || 'w' || task_id));
             UPDATE tasks SET prediction_score = (id * 37 % 101) / 100.0;"
        ))
        .unwrap();
    (d, s)
}

#[test]
fn a_page_leaves_out_tasks_deleted_since_the_query_and_keeps_positions() {
    let (_d, s) = words_project(10);
    let q = Query::all().sorted("-score".parse().unwrap());
    let order = ids(&s, &q);
    let rs = s.run_query(&q).unwrap();
    s.conn()
        .execute("DELETE FROM tasks WHERE id = ?1", [order[3]])
        .unwrap();
    let page = rs.page(&s, 2, 4, &[Field::data(["t"])]).unwrap();
    assert_eq!(
        page.iter().map(|r| (r.position, r.id)).collect::<Vec<_>>(),
        vec![(2, order[2]), (4, order[4]), (5, order[5])]
    );
    assert_eq!(page[1].cells, vec![Value::Text(format!("w{}", order[4]))]);
    // The set is a snapshot: the count and the deleted task's position stay.
    assert_eq!(rs.count(), 10);
    assert_eq!(rs.position_of(&s, order[3]).unwrap(), Some(3));
    // Past the end, and a page running over it.
    assert!(rs.page(&s, 10, 5, &[]).unwrap().is_empty());
    assert!(rs.page(&s, u64::MAX, 5, &[]).unwrap().is_empty());
    let last = rs.page(&s, 8, usize::MAX, &[]).unwrap();
    assert_eq!(
        last.iter().map(|r| (r.position, r.id)).collect::<Vec<_>>(),
        vec![(8, order[8]), (9, order[9])]
    );
    rs.close(&s).unwrap();
}

#[test]
fn position_of_a_task_not_in_the_set_is_none() {
    let (_d, s) = words_project(20);
    let q = Query::all()
        .filter("id > 10".parse().unwrap())
        .sorted("score".parse().unwrap());
    let order = ids(&s, &q);
    let rs = s.run_query(&q).unwrap();
    for (pos, id) in order.iter().enumerate() {
        assert_eq!(rs.position_of(&s, *id).unwrap(), Some(pos as u64));
    }
    // Filtered out, never a task, and an empty set.
    for id in [1, 10, 21, 0, -1, i64::MAX] {
        assert_eq!(rs.position_of(&s, id).unwrap(), None, "{id}");
    }
    let empty = s.run_query(&Query::all().filter("id > 99".parse().unwrap()));
    assert_eq!(empty.unwrap().position_of(&s, 1).unwrap(), None);
    rs.close(&s).unwrap();
}

#[test]
fn next_match_agrees_with_walking_every_row() {
    let n = 400;
    let (_d, s) = words_project(n);
    let q = Query::all()
        .filter("id > 5".parse().unwrap())
        .sorted("-score".parse().unwrap());
    let order = ids(&s, &q);
    let rs = s.run_query(&q).unwrap();
    let len = order.len() as u64;
    for words in [
        "alpha",
        "al",
        "beta",
        "zeta",
        "w7",
        "alpha beta",
        "nothing",
        "w1",
    ] {
        let matching = s.search_ids(words).unwrap();
        if words == "alpha" {
            assert!(matching.len() > 100);
        }
        let hit = |p: u64| matching.contains(&order[p as usize]);
        let froms = std::iter::once(None).chain((0..=len + 1).map(Some));
        for from in froms {
            for forward in [true, false] {
                let expected = if forward {
                    let start = from.map_or(0, |p| p + 1);
                    (start..len).find(|&p| hit(p))
                } else {
                    let end = from.map_or(len, |p| p.min(len));
                    (0..end).rev().find(|&p| hit(p))
                };
                let at = format!("{words} {from:?} {forward}");
                assert_eq!(
                    rs.next_match(&s, words, from, forward).unwrap(),
                    expected,
                    "{at}"
                );
            }
        }
        // Read afresh rather than kept from the previous call.
        rs.forget_matches();
        assert_eq!(
            rs.next_match(&s, words, Some(len / 2), false).unwrap(),
            (0..len / 2).rev().find(|&p| hit(p)),
            "{words}"
        );
    }
    rs.close(&s).unwrap();
}

#[test]
fn next_match_sees_text_changed_since_the_last_search() {
    let (d, s) = words_project(30);
    let q = Query::all().sorted("score".parse().unwrap());
    let order = ids(&s, &q);
    let rs = s.run_query(&q).unwrap();
    let first = rs.next_match(&s, "zeta", None, true).unwrap();
    let zeta = order.iter().position(|&id| id == 30).map(|p| p as u64);
    assert_eq!(first, zeta);
    assert_ne!(zeta, Some(0));
    // Changed through this connection: the word moves to the set's first task.
    s.conn()
        .execute(
            "UPDATE task_data SET data = json_object('t', 'zeta') WHERE task_id = ?1",
            [order[0]],
        )
        .unwrap();
    assert_eq!(rs.next_match(&s, "zeta", None, true).unwrap(), Some(0));
    // Changed through another connection to the project: gone from the first task.
    let other = Store::open(&d.path().join("p.db")).unwrap();
    other
        .conn()
        .execute(
            "UPDATE task_data SET data = json_object('t', 'x') WHERE task_id = ?1",
            [order[0]],
        )
        .unwrap();
    assert_eq!(rs.next_match(&s, "zeta", None, true).unwrap(), zeta);
    rs.close(&s).unwrap();
}
