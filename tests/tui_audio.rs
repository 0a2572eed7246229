//! Audio segments driven by keys into a TestBackend: a time cursor over the probed WAV, a
//! time range labelled by a Labels key into Label Studio's audio region, relabelling,
//! deleting, a perRegion TextArea on a segment, and audio whose length is not known.

mod annotator;
use annotator::*;
use serde_json::{Value, json};

const SPEAKERS: &str = r#"<View>
  <Labels name="spk" toName="audio"><Label value="A"/><Label value="B"/></Labels>
  <Audio name="audio" value="$audio"/>
</View>"#;

const SEGMENTS: &str = r#"<View>
  <Labels name="spk" toName="audio"><Label value="A"/><Label value="B"/></Labels>
  <Audio name="audio" value="$audio"/>
  <TextArea name="said" toName="audio" perRegion="true" maxSubmissions="1"/>
</View>"#;

/// A session on the sample WAV (half a second long), opened with its folder as the media
/// root so that its length is probed.
fn session(config: &str, audio: &str) -> Driver {
    let f = project(config, &json!([{"audio": audio}]).to_string());
    let root = sample("audio_transcription");
    let d = open(&f, root.to_str().unwrap());
    // The fixture's directory must outlive the session's store.
    std::mem::forget(f);
    d
}

fn mine(d: &Driver) -> Vec<Value> {
    d.result().as_array().unwrap().clone()
}

#[test]
fn a_range_and_a_label_key_make_a_label_studio_audio_segment() {
    let mut d = session(SPEAKERS, "audio/clip1.wav");
    let s = d.screen(120, 40);
    assert!(
        s.contains("0.00 s / 0.50 s"),
        "the probed length is shown\n{s}"
    );
    // From 0.1 s to 0.3 s, labelled A.
    d.keys("l v l l 1");
    let r = mine(&d);
    assert_eq!(r.len(), 1, "{r:?}");
    let id = r[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        r[0],
        json!({
            "id": id,
            "from_name": "spk",
            "to_name": "audio",
            "type": "labels",
            "origin": "manual",
            "original_length": 0.5,
            "value": {"start": 0.1, "end": 0.3, "channel": 0, "labels": ["A"]},
        })
    );
    for (w, h) in [(120, 40), (80, 24)] {
        let s = d.screen(w, h);
        assert!(s.contains("spk: A 0.1–0.3"), "listed in Regions\n{s}");
        assert!(
            s.contains('▓'),
            "the selected segment is on the timeline\n{s}"
        );
        assert!(s.contains("0.30 s / 0.50 s"), "{s}");
    }
    // The selected segment is relabelled by a label key (single choice: it replaces).
    d.keys("2");
    let r = mine(&d);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["value"]["labels"], json!(["B"]));
    assert_eq!(r[0]["value"]["start"], json!(0.1));
    // A second one from the end back: the end is the file's length, and 1 s steps stop there.
    d.keys("g L L v h h 1");
    let r = mine(&d);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        r[1]["value"],
        json!({"start": 0.3, "end": 0.5, "channel": 0, "labels": ["A"]})
    );
    let s = d.screen(120, 40);
    assert!(s.contains("2 segments"), "{s}");
    assert!(s.contains('█'), "the other segment is drawn too\n{s}");
    // Tab selects the first segment (the cursor goes to its start); x deletes it.
    d.keys("tab");
    let s = d.screen(120, 40);
    assert!(
        s.contains("0.10 s / 0.50 s") && s.contains("B 0.10–0.30 s"),
        "{s}"
    );
    d.keys("x");
    let r = mine(&d);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0]["value"]["labels"], json!(["A"]));
    assert_eq!(r[0]["value"]["start"], json!(0.3));
}

#[test]
fn a_label_key_without_a_range_or_on_an_empty_one_changes_nothing() {
    let mut d = session(SPEAKERS, "audio/clip1.wav");
    d.keys("l 1");
    assert!(mine(&d).is_empty());
    assert!(
        d.message().contains("starts a time range"),
        "{}",
        d.message()
    );
    d.keys("v 1");
    assert!(mine(&d).is_empty());
    assert!(d.message().contains("range is empty"), "{}", d.message());
    // Esc drops the range: a label key then asks for one again.
    d.keys("l esc 1");
    assert!(mine(&d).is_empty());
    assert!(
        d.message().contains("starts a time range"),
        "{}",
        d.message()
    );
}

#[test]
fn a_per_region_text_attaches_to_the_selected_segment() {
    let mut d = session(SEGMENTS, "audio/clip1.wav");
    d.keys("v l l l 1");
    let r = mine(&d);
    assert_eq!(r.len(), 1, "{r:?}");
    let id = r[0]["id"].as_str().unwrap().to_string();
    // Focus the TextArea panel and type the segment's words.
    for _ in 0..6 {
        if d.s.app.focus_ctx() == Some(labelterm::tui::keymap::Ctx::Panel)
            && d.screen(120, 40).contains("said")
        {
            break;
        }
        d.keys("}");
    }
    d.keys("enter");
    d.type_text("hello");
    d.keys("enter");
    let r = mine(&d);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        r[1],
        json!({"id": id, "from_name": "said", "to_name": "audio", "type": "textarea",
            "origin": "manual",
            "value": {"start": 0.0, "end": 0.3, "channel": 0, "text": ["hello"]}})
    );
}

#[test]
fn audio_of_unknown_length_steps_without_an_end() {
    let mut d = session(SPEAKERS, "audio/missing.wav");
    d.keys("G");
    assert!(d.message().contains("not known"), "{}", d.message());
    d.keys("v L L L l 1");
    let r = mine(&d);
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].get("original_length").is_none(), "{r:?}");
    assert_eq!(
        r[0]["value"],
        json!({"start": 0.0, "end": 3.1, "channel": 0, "labels": ["A"]})
    );
    for (w, h) in [(120, 40), (80, 24)] {
        let s = d.screen(w, h);
        assert!(s.contains("3.10 s / length unknown"), "{s}");
        assert!(s.contains("spk: A 0.0–3.1"), "{s}");
    }
}

#[test]
fn a_file_that_cannot_be_probed_takes_its_length_from_a_predicted_segment() {
    let task = json!({
        "data": {"audio": "audio/missing.wav"},
        "predictions": [{"result": [{
            "id": "p1", "from_name": "spk", "to_name": "audio", "type": "labels",
            "original_length": 2.25,
            "value": {"start": 0.5, "end": 1.0, "channel": 0, "labels": ["B"]},
        }]}],
    });
    let f = project(SPEAKERS, &json!([task]).to_string());
    let root = sample("audio_transcription");
    let mut d = open(&f, root.to_str().unwrap());
    std::mem::forget(f);
    d.keys("v G 1");
    let r = mine(&d);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0]["original_length"], json!(2.25));
    assert_eq!(r[0]["value"]["end"], json!(2.25));
    let s = d.screen(120, 40);
    assert!(s.contains("2.25 s / 2.25 s"), "{s}");
}
