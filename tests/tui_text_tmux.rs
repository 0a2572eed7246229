//! End to end on the NER sample: entities labeled with keys in the real binary inside
//! tmux, the keys per entity counted, the store checked.

use std::path::Path;

mod tmux;
use tmux::{Tmux, no_tmux};

/// One entity: the keys that label it, counted from where the last label left the
/// cursor, and the region line it makes in the Regions panel.
struct Entity {
    keys: &'static [&'static str],
    label: &'static str,
    text: &'static str,
}

const fn e(keys: &'static [&'static str], label: &'static str, text: &'static str) -> Entity {
    Entity { keys, label, text }
}

fn label_all(tmux: &Tmux, entities: &[Entity]) {
    for ent in entities {
        tmux.keys(ent.keys);
        tmux.wait_for(&format!("label: {} \"{}\"", ent.label, ent.text));
    }
}

#[test]
fn ner_entities_in_few_keys_then_the_store() {
    if no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ner.db");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/ner");
    let tmux = Tmux::start(
        "labelterm-ner",
        &db,
        &samples.join("config.xml"),
        &samples.join("tasks.json"),
    );
    tmux.wait_for("task #1");
    // After a label the cursor is on the word after the span; the sample's Text has
    // granularity="word", so a selection ending on a word's first letter takes the word.
    let task1 = [
        e(&["v", "w", "1"], "PER", "José Álvarez"),
        e(&["w", "2"], "ORG", "Telefónica"),
        e(&["w", "3"], "LOC", "Madrid"),
    ];
    label_all(&tmux, &task1);
    // A mouse drag (SGR reports as a terminal sends them; 1-based cells) over
    // "last spri", then a label key: whole words again.
    let (row, from, to) = (2, 41 + 2, 49 + 2);
    for report in [
        format!("\x1b[<0;{from};{row}M"),
        format!("\x1b[<32;{to};{row}M"),
        format!("\x1b[<0;{to};{row}m"),
    ] {
        assert!(
            tmux.cmd(&["send-keys", "-t", "lt", "-l", &report])
                .status
                .success()
        );
    }
    tmux.keys(&["4"]);
    tmux.wait_for("label: MISC \"last spring\"");
    tmux.keys(&["s"]);
    tmux.wait_for("task #2");
    let task2 = [
        e(&["v", "w", "1"], "PER", "Angela Merkel"),
        e(&["w", "v", "w", "1"], "PER", "Emmanuel Macron"),
        e(&["w", "3"], "LOC", "Straßburg"),
    ];
    label_all(&tmux, &task2);
    tmux.keys(&["s"]);
    tmux.wait_for("task #3");
    tmux.keys(&[":", "6", "Enter"]);
    tmux.wait_for("task #6");
    // A three-word entity: the anchor, two words on, the label; and with a count.
    let task6 = [
        e(&["v", "w", "w", "4"], "MISC", "The Nobel Prize"),
        e(&["w", "w", "3"], "LOC", "Stockholm"),
    ];
    label_all(&tmux, &task6);
    // Again with a count, from the start of the text.
    tmux.keys(&["u", "u", "Home"]);
    tmux.wait_for("Regions (0)");
    let counted = [e(&["v", "M-2", "w", "4"], "MISC", "The Nobel Prize")];
    label_all(&tmux, &counted);
    tmux.keys(&["s"]);
    tmux.wait_for("task 6 submitted");

    for (name, ents) in [
        ("task 1", &task1[..]),
        ("task 2", &task2[..]),
        ("task 6", &task6[..]),
        ("task 6 (count)", &counted[..]),
    ] {
        for ent in ents {
            eprintln!(
                "{name}: {} {:?}: {} keys ({})",
                ent.label,
                ent.text,
                ent.keys.len(),
                ent.keys.join(" ")
            );
        }
    }
    let three_words = [&task6[0], &counted[0]];
    assert!(
        three_words.iter().all(|e| e.keys.len() <= 4),
        "a three-word entity takes at most four keys"
    );

    tmux.keys(&["q"]);
    tmux.wait_exit("q");

    let conn = rusqlite::Connection::open(&db).unwrap();
    let rows: Vec<(i64, String)> = conn
        .prepare(
            "SELECT a.task_id, a.result FROM annotations a JOIN users u ON u.id = a.completed_by
             WHERE u.email = 'tmuxer' AND NOT a.was_cancelled ORDER BY a.task_id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let spans = |result: &str| -> Vec<(String, String, i64, i64)> {
        let v: serde_json::Value = serde_json::from_str(result).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let v = &r["value"];
                (
                    v["labels"][0].as_str().unwrap().to_string(),
                    v["text"].as_str().unwrap().to_string(),
                    v["start"].as_i64().unwrap(),
                    v["end"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(ids, [1, 2, 6], "{rows:?}");
    let s = |l: &str, t: &str, a: i64, b: i64| (l.to_string(), t.to_string(), a, b);
    assert_eq!(
        spans(&rows[0].1),
        [
            s("PER", "José Álvarez", 0, 12),
            s("ORG", "Telefónica", 20, 30),
            s("LOC", "Madrid", 34, 40),
            s("MISC", "last spring", 41, 52)
        ]
    );
    assert_eq!(
        spans(&rows[1].1),
        [
            s("PER", "Angela Merkel", 0, 13),
            s("PER", "Emmanuel Macron", 19, 34),
            s("LOC", "Straßburg", 38, 47)
        ]
    );
    assert_eq!(spans(&rows[2].1), [s("MISC", "The Nobel Prize", 0, 15)]);
}
