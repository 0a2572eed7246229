//! The Chat tag in the annotator: the conversation drawn as a thread, messages added,
//! edited and deleted by keyboard, per-message controls, and the submit rules.

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use serde_json::{Value, json};

/// A chat that is a control of its own (`toName` naming itself), as Label Studio's
/// "fine-tune an agent" templates write it.
const SELF_TARGETED: &str = r#"<View>
  <Header value="Talk to the shop"/>
  <Chat name="talk" value="$talk" toName="talk" minMessages="3" messageroles="customer,agent" editable="true"/>
</View>"#;

/// A chat object with a per-message control for one role and a whole-chat rating.
const EVALUATED: &str = r#"<View>
  <Chat name="c" value="$c" messageroles="customer,agent" editable="agent"/>
  <View visibleWhen="region-selected" whenRole="agent">
    <Choices name="tone" toName="c" perRegion="true"><Choice value="Kind"/><Choice value="Rude"/></Choices>
  </View>
  <Rating name="overall" toName="c"/>
</View>"#;

/// My result without the parts that change from run to run (ids, times).
fn stable(v: &Value) -> Value {
    let mut v = v.clone();
    for r in v.as_array_mut().unwrap() {
        let m = r.as_object_mut().unwrap();
        assert!(
            m.remove("id")
                .and_then(|i| i.as_str().map(str::len))
                .is_some_and(|n| n == 10),
            "every result has a 10-character id"
        );
        if let Some(c) = m
            .get_mut("value")
            .and_then(|v| v.get_mut("chatmessage"))
            .and_then(Value::as_object_mut)
        {
            assert!(
                c.remove("createdAt")
                    .is_some_and(|t| t.as_i64().unwrap() > 0)
            );
        }
    }
    v
}

fn annotations(f: &Fixture) -> Vec<String> {
    sql(
        &f.db,
        "SELECT result FROM annotations WHERE completed_by = (SELECT id FROM users WHERE email = 'ann')",
    )
}

#[test]
fn messages_are_added_by_keyboard_and_min_messages_holds_the_submit() {
    let f = project(
        SELF_TARGETED,
        r#"[{"talk": [{"role": "customer", "content": "Is the shop open on Sunday?"}]}]"#,
    );
    let mut d = open(&f, ".");
    let s = d.screen(120, 40);
    assert!(s.contains(" talk (Chat) · 1 message · at least 3 "), "{s}");
    assert!(s.contains("customer · task data"), "{s}");
    assert!(s.contains("Is the shop open on Sunday?"), "{s}");
    // The conversation alternates: after the customer, the agent writes.
    assert!(
        s.contains("+ new agent message (a) · r changes the role"),
        "{s}"
    );

    d.keys("a");
    d.type_text("Yes, from ten to four.");
    let s = d.screen(120, 40);
    assert!(s.contains("talk: new agent message"), "{s}");
    d.keys("enter");
    assert_eq!(
        stable(&d.result()),
        json!([{"from_name": "talk", "to_name": "talk", "type": "chatmessage", "origin": "manual",
                "value": {"chatmessage": {"role": "agent", "content": "Yes, from ten to four."}}}])
    );
    let draft = sql(&f.db, "SELECT result FROM drafts");
    assert!(
        draft[0].contains("Yes, from ten to four."),
        "stored as typed"
    );

    d.keys("s");
    assert_eq!(
        d.message(),
        "Cannot submit: talk needs at least 3 messages (2 so far)"
    );
    assert!(annotations(&f).is_empty());

    // The next role is the customer's; r picks the agent again.
    d.keys("r");
    assert_eq!(d.message(), "next message: agent");
    d.keys("a");
    d.type_text("And on Saturday.");
    d.keys("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("And on Saturday."), "{s}");
    assert!(s.contains(" talk (Chat) · 3 messages"), "{s}");
    d.keys("s");
    let saved: Value = serde_json::from_str(&annotations(&f)[0]).unwrap();
    assert_eq!(
        stable(&saved),
        json!([
            {"from_name": "talk", "to_name": "talk", "type": "chatmessage", "origin": "manual",
             "value": {"chatmessage": {"role": "agent", "content": "Yes, from ten to four."}}},
            {"from_name": "talk", "to_name": "talk", "type": "chatmessage", "origin": "manual",
             "value": {"chatmessage": {"role": "agent", "content": "And on Saturday."}}}
        ])
    );
}

#[test]
fn my_messages_are_edited_and_deleted_and_the_data_is_read_only() {
    let f = project(
        SELF_TARGETED,
        r#"[{"talk": [{"role": "customer", "content": "Hello"}]}]"#,
    );
    let mut d = open(&f, ".");
    d.keys("a");
    d.type_text("Hi");
    d.keys("enter");
    // Up to my message, Enter edits it in place.
    d.keys("k enter");
    d.type_text(", how can I help?");
    d.keys("enter");
    assert_eq!(
        d.result()[0]["value"]["chatmessage"]["content"],
        "Hi, how can I help?"
    );
    assert_eq!(d.result().as_array().unwrap().len(), 1, "edited, not added");
    // The task data's message cannot be edited or deleted.
    d.keys("k enter");
    assert!(d.message().contains("read-only"), "{}", d.message());
    d.keys("backspace");
    assert!(d.message().contains("read-only"), "{}", d.message());
    // Emptying a message does not delete it; Backspace on it does, and undo brings it back.
    d.keys("j enter ctrl-u enter");
    assert_eq!(
        d.message(),
        "a message cannot be emptied: delete it instead"
    );
    assert_eq!(d.result().as_array().unwrap().len(), 1);
    d.keys("backspace");
    assert_eq!(d.result(), json!([]));
    assert_eq!(sql(&f.db, "SELECT result FROM drafts"), vec!["[]"]);
    d.keys("u");
    assert_eq!(
        d.result()[0]["value"]["chatmessage"]["content"],
        "Hi, how can I help?"
    );
    // Esc leaves a new message unwritten.
    d.keys("a");
    d.type_text("never mind");
    d.keys("esc");
    assert_eq!(d.result().as_array().unwrap().len(), 1);
}

#[test]
fn per_message_controls_attach_to_the_selected_message_of_their_role() {
    let f = project(
        EVALUATED,
        r#"[{"c": [{"role": "customer", "content": "My parcel is late."}]}]"#,
    );
    let mut d = open(&f, ".");
    d.keys("a");
    d.type_text("Sorry to hear that!");
    d.keys("enter");
    // The data's message cannot be evaluated: it is not a region.
    d.keys("g 1");
    assert!(
        d.message().contains("select a region first"),
        "{}",
        d.message()
    );
    // My agent message under the cursor is selected: the label key applies to it.
    d.keys("j");
    let s = d.screen(120, 40);
    assert!(s.contains("▶ agent · selected"), "{s}");
    d.keys("1");
    let r = d.result();
    let id = r[0]["id"].as_str().unwrap();
    assert_eq!(r[1]["id"], id, "the choice shares the message's id");
    assert_eq!(
        stable(&json!([r[1].clone()])),
        json!([{"from_name": "tone", "to_name": "c", "type": "choices", "origin": "manual",
                "value": {"choices": ["Kind"]}}])
    );
    // A customer message I add (the roles alternate) is not for the agent-only control.
    d.keys("a");
    d.type_text("Thanks.");
    d.keys("enter j 2");
    assert_eq!(d.message(), "tone is for agent messages, not customer");
    // Only agent messages are editable here.
    d.keys("enter");
    assert!(d.message().contains("not editable"), "{}", d.message());
    // Deleting a message takes its evaluation along.
    d.keys("k backspace");
    let left = d.result();
    assert_eq!(left.as_array().unwrap().len(), 1, "{left}");
    assert_eq!(left[0]["value"]["chatmessage"]["content"], "Thanks.");
    let s = d.screen(80, 24);
    assert!(s.contains("c (Chat)"), "{s}");
    assert!(s.contains("tone"), "{s}");
    assert!(s.contains("overall"), "{s}");
}

#[test]
fn odd_chat_data_never_panics_and_huge_threads_draw_fast() {
    let odd = [
        json!({"c": 5}),
        json!({"c": {"role": "user"}}),
        json!({"c": "not json"}),
        json!({"c": [null, 3, {"content": "no role"}, {"role": "user", "content": "\u{1b}[2Jcleared?"}]}),
        json!({}),
    ];
    // Import refuses some of these: they are put in the store as another tool could.
    let tasks: Vec<Value> = odd.iter().map(|_| json!({"c": []})).collect();
    let f = project(EVALUATED, &serde_json::to_string(&tasks).unwrap());
    let conn = rusqlite::Connection::open(&f.db).unwrap();
    for (i, data) in odd.iter().enumerate() {
        conn.execute(
            "UPDATE task_data SET data = ?1 WHERE task_id = (SELECT id FROM tasks ORDER BY id LIMIT 1 OFFSET ?2)",
            rusqlite::params![data.to_string(), i as i64],
        )
        .unwrap();
    }
    drop(conn);
    let mut d = open(&f, ".");
    let mut shown = Vec::new();
    let mut seen = Vec::new();
    for id in sql(&f.db, "SELECT id FROM tasks ORDER BY id") {
        d.keys(":");
        d.type_text(&id);
        d.keys("enter");
        seen.push(d.task_id());
        for (w, h) in [(120, 40), (80, 24), (30, 8)] {
            let (s, _) = d.frame(w, h);
            assert!(!s.contains('\u{1b}'), "no escape reaches the terminal");
            shown.push(s);
        }
    }
    seen.dedup();
    assert_eq!(seen.len(), odd.len(), "every task was shown: {seen:?}");
    let all = shown.join("\n");
    assert!(all.contains("not a list of messages"), "{all}");
    assert!(all.contains("no role"), "{all}");
    assert!(all.contains("[2Jcleared?"), "{all}");

    let many: Vec<Value> = (0..200_000)
        .map(|i| json!({"role": if i % 2 == 0 {"customer"} else {"agent"}, "content": format!("message {i} ").repeat(3)}))
        .collect();
    let f = project(EVALUATED, &json!([{ "c": many }]).to_string());
    let mut d = open(&f, ".");
    let (s, took) = d.frame(120, 40);
    assert!(s.contains("200000 messages"), "{s}");
    assert!(s.contains("message 199999"), "the end is shown: {s}");
    // A guard against a frame that grows with the thread, as the layout tests keep.
    assert!(took.as_millis() < 1000, "a frame took {took:?}");
    d.keys("g");
    let (s, took) = d.frame(120, 40);
    assert!(s.contains("message 0 "), "{s}");
    // A guard against a frame that grows with the thread, as the layout tests keep.
    assert!(took.as_millis() < 1000, "a frame took {took:?}");
    d.keys("pagedown pagedown");
    let (s, _) = d.frame(80, 24);
    assert!(s.contains("message 20 "), "{s}");
}

#[test]
fn a_message_taller_than_the_pane_is_read_through_with_j_and_k() {
    let long: String = (1..=60).map(|i| format!("line {i}\n")).collect();
    let data = json!([{"c": [{"role": "user", "content": long}, {"role": "assistant", "content": "short"}]}]);
    let f = project(
        r#"<View><Chat name="c" value="$c"/></View>"#,
        &data.to_string(),
    );
    let mut d = open(&f, ".");
    d.keys("g");
    let (s, _) = d.frame(80, 24);
    assert!(s.contains("line 1\n") || s.contains("line 1 "), "{s}");
    assert!(!s.contains("line 60"), "{s}");
    // j pages through the message, keeping one line of the last page.
    let mut pages = 0;
    loop {
        d.keys("j");
        pages += 1;
        let (s, _) = d.frame(80, 24);
        if s.contains("line 60") {
            assert!(s.contains("▶ user") || !s.contains("▶ assistant"), "{s}");
            break;
        }
        assert!(pages < 10, "the end of the message is reached: {s}");
    }
    assert!(pages >= 2, "the message took several pages");
    // k goes back up through it, then j moves on to the next message.
    d.keys("k");
    let (s, _) = d.frame(80, 24);
    assert!(!s.contains("line 60"), "{s}");
    d.keys("j");
    let (s, _) = d.frame(80, 24);
    assert!(s.contains("line 60"), "back at the end: {s}");
    d.keys("j");
    let (s, _) = d.frame(80, 24);
    assert!(s.contains("▶ assistant"), "{s}");
}

#[test]
fn a_conversation_imported_as_a_prediction_is_evaluated_message_by_message() {
    // Label Studio's way to evaluate a conversation made elsewhere: its messages come as
    // a prediction, which pre-labelling makes mine, so each can be selected.
    let f = project(
        EVALUATED,
        r#"[{"data": {"c": []}, "predictions": [{"model_version": "bot", "result": [
            {"id": "m1", "from_name": "c", "to_name": "c", "type": "chatmessage",
             "value": {"chatmessage": {"role": "customer", "content": "Where is it?", "createdAt": 1}}},
            {"id": "m2", "from_name": "c", "to_name": "c", "type": "chatmessage",
             "value": {"chatmessage": {"role": "agent", "content": "On its way.", "createdAt": 2}}}]}]}]"#,
    );
    let mut d = open_opts(labelterm::tui::StartOptions {
        project: f.db.clone(),
        user: "ann".into(),
        media_root: Some(".".into()),
        ..Default::default()
    });
    let s = d.screen(120, 40);
    assert!(s.contains(" c (Chat) · 2 messages "), "{s}");
    assert!(s.contains("On its way."), "{s}");
    assert!(!s.contains("task data"), "the messages are mine: {s}");
    d.keys("k 1");
    let r = d.result();
    assert_eq!(r[2]["id"], "m2", "the choice is on the agent's message");
    assert_eq!(r[2]["value"], json!({"choices": ["Kind"]}));
    assert_eq!(r[1]["origin"], "prediction");
}
