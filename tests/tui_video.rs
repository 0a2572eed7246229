//! Video, OCR and relations driven by keys into a TestBackend: VideoRectangle tracks by
//! keyframes, TimelineLabels ranges, a perRegion TextArea on boxes whose labels are
//! written apart, relations between regions, and the Enterprise OcrLabels panel. Every
//! result is checked against Label Studio's exact JSON.

mod annotator;
use annotator::*;
use serde_json::{Value, json};

const TRACKS: &str = r#"<View>
  <Labels name="who" toName="clip"><Label value="Man"/><Label value="Woman"/></Labels>
  <Video name="clip" value="$video" framerate="25.0"/>
  <VideoRectangle name="box" toName="clip"/>
</View>"#;

const TIMELINE: &str = r#"<View>
  <Video name="clip" value="$video" frameRate="10"/>
  <TimelineLabels name="acts" toName="clip"><Label value="Run"/><Label value="Jump"/></TimelineLabels>
</View>"#;

const OCR: &str = r#"<View>
  <Image name="page" value="$img"/>
  <Labels name="kind" toName="page"><Label value="Print"/><Label value="Hand"/></Labels>
  <Rectangle name="frame" toName="page"/>
  <Polygon name="outline" toName="page"/>
  <TextArea name="words" toName="page" perRegion="true" maxSubmissions="1" displayMode="region-list"/>
</View>"#;

const NER_RELATIONS: &str = r#"<View>
  <Relations><Relation value="works_for"/><Relation value="knows"/></Relations>
  <Labels name="ent" toName="txt"><Label value="PER"/><Label value="ORG"/></Labels>
  <Text name="txt" value="$text"/>
</View>"#;

fn session(config: &str, task: Value) -> Driver {
    let f = project(config, &json!([task]).to_string());
    let d = open(&f, ".");
    // The fixture's directory must outlive the session's store.
    std::mem::forget(f);
    d
}

fn mine(d: &Driver) -> Vec<Value> {
    d.result().as_array().unwrap().clone()
}

fn typed(d: &mut Driver, text: &str) {
    d.keys("ctrl-u");
    d.type_text(text);
    d.keys("enter");
}

#[test]
fn a_track_is_made_by_keyframes_and_written_as_label_studio_does() {
    let mut d = session(TRACKS, json!({"video": "clip.mp4"}));
    // The file is not there: the frame count is typed.
    d.keys("F");
    typed(&mut d, "250");
    // `1` starts a track labelled Man on frame 1, with the middle quarter as its box.
    d.keys("1");
    d.keys("L L");
    d.keys("enter");
    typed(&mut d, "10 10 20 30");
    let r = mine(&d);
    assert_eq!(r.len(), 1, "{r:?}");
    let id = r[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        r[0],
        json!({
            "id": id,
            "from_name": "box",
            "to_name": "clip",
            "type": "videorectangle",
            "origin": "manual",
            "value": {
                "framesCount": 250,
                "duration": 10.0,
                "labels": ["Man"],
                "sequence": [
                    {"frame": 1, "enabled": true, "time": 0.04, "x": 25.0, "y": 25.0,
                     "width": 50.0, "height": 50.0, "rotation": 0.0},
                    {"frame": 21, "enabled": true, "time": 0.84, "x": 10.0, "y": 10.0,
                     "width": 20.0, "height": 30.0, "rotation": 0.0},
                ],
            },
        })
    );
    // Between keyframes the box is interpolated, as Label Studio shows it.
    d.keys("h h h h h");
    let s = d.screen(120, 40);
    assert!(s.contains("frame 16 · 0.64 s · interpolated"), "{s}");
    assert!(s.contains("13.8,13.8 27.5×35.0%"), "{s}");
    assert!(s.contains("box: Man · 2 keyframes frames 1–21"), "{s}");
    assert!(s.contains("┌Man"), "the box is drawn with its label\n{s}");
    // A keyframe here holds the interpolated box; `-` takes it away again.
    d.keys("+");
    assert_eq!(mine(&d)[0]["value"]["sequence"][1]["x"], json!(13.75));
    assert_eq!(mine(&d)[0]["value"]["sequence"][1]["frame"], json!(16));
    d.keys("-");
    assert_eq!(
        mine(&d)[0]["value"]["sequence"].as_array().unwrap().len(),
        2
    );
    // `.` ends the track at the keyframe on or before the frame: after it, no box.
    d.keys("> .");
    assert_eq!(mine(&d)[0]["value"]["sequence"][1]["enabled"], json!(false));
    d.keys("l");
    let s = d.screen(120, 40);
    assert!(s.contains("frame 22") && s.contains("track ended"), "{s}");
    assert!(!s.contains("┌Man"), "{s}");
    // A label key relabels the selected track (single choice: it replaces).
    d.keys("2");
    assert_eq!(mine(&d)[0]["value"]["labels"], json!(["Woman"]));
    // Small screens draw it too.
    let s = d.screen(80, 24);
    assert!(s.contains("frame 22") && s.contains("box: Woman"), "{s}");
    // A bad box is refused with the reason, and nothing changes.
    let before = mine(&d);
    d.keys("enter");
    typed(&mut d, "90 90 50 50");
    assert_eq!(mine(&d), before);
    assert!(d.message().contains("inside the frame"), "{}", d.message());
}

#[test]
fn frames_step_jump_and_stop_at_the_known_end() {
    let mut d = session(TRACKS, json!({"video": "clip.mp4"}));
    d.keys("h");
    assert!(d.screen(120, 40).contains("frame 1 · 0.04 s"));
    d.keys("f");
    typed(&mut d, "40");
    assert!(d.screen(120, 40).contains("frame 40 · 1.60 s"));
    d.keys("F");
    typed(&mut d, "30");
    let s = d.screen(120, 40);
    assert!(
        s.contains("frame 30 ·"),
        "a smaller count pulls the frame in\n{s}"
    );
    assert!(s.contains("30 frames (1.20 s)"), "{s}");
    d.keys("L L G");
    assert!(d.screen(120, 40).contains("frame 30 ·"));
    d.keys("g");
    assert!(d.screen(120, 40).contains("frame 1 ·"));
    d.keys("f");
    typed(&mut d, "zero");
    assert!(d.message().contains("not a frame number"));
    // Without a track selected the track keys say what to do.
    d.keys("+");
    assert!(
        d.message().contains("select a track first"),
        "{}",
        d.message()
    );
}

#[test]
fn a_timeline_range_takes_the_label_key_pressed() {
    let mut d = session(TIMELINE, json!({"video": "clip.mp4"}));
    d.keys("l l v L 2");
    let r = mine(&d);
    assert_eq!(r.len(), 1, "{r:?}");
    let id = r[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        r[0],
        json!({"id": id, "from_name": "acts", "to_name": "clip", "type": "timelinelabels",
            "origin": "manual",
            "value": {"ranges": [{"start": 3, "end": 13}], "timelinelabels": ["Jump"]}})
    );
    // Selecting a region away from the current frame brings its first frame.
    d.keys("f");
    typed(&mut d, "40");
    d.keys("esc tab");
    assert!(d.screen(120, 40).contains("frame 3 ·"));
    d.keys("esc f");
    typed(&mut d, "13");
    // Without a range, the label goes on the current frame.
    d.keys("esc l 1");
    let r = mine(&d);
    assert_eq!(r[1]["value"]["ranges"], json!([{"start": 14, "end": 14}]));
    assert_eq!(r[1]["value"]["timelinelabels"], json!(["Run"]));
    for (w, h) in [(120, 40), (80, 24)] {
        let s = d.screen(w, h);
        assert!(s.contains("acts: Jump · frames 3–13"), "{s}");
        assert!(s.contains("━"), "ranges are drawn on the timeline\n{s}");
    }
}

#[test]
fn ocr_boxes_carry_their_labels_apart_and_a_per_region_text() {
    let mut d = session(OCR, json!({"img": "missing.png"}));
    d.keys("v L J 1");
    let r = mine(&d);
    assert_eq!(r.len(), 2, "{r:?}");
    let id = r[0]["id"].as_str().unwrap().to_string();
    assert_eq!(r[0]["type"], "rectangle");
    assert_eq!(r[0]["from_name"], "frame");
    assert_eq!(r[1]["id"], id, "the labels share the region's id");
    assert_eq!(r[1]["type"], "labels");
    assert_eq!(r[1]["from_name"], "kind");
    let mut geo = r[0]["value"].clone();
    geo["labels"] = json!(["Print"]);
    assert_eq!(r[1]["value"], geo, "the labels repeat the geometry");
    // The TextArea panel (focused with `}`) edits the selected box's text.
    d.keys("} } } }");
    d.keys("enter");
    d.type_text("Total 12");
    d.keys("enter");
    let r = mine(&d);
    assert_eq!(r.len(), 3, "{r:?}");
    let mut value = r[0]["value"].clone();
    value["text"] = json!(["Total 12"]);
    assert_eq!(
        r[2],
        json!({"id": id, "from_name": "words", "to_name": "page", "type": "textarea",
            "value": value, "origin": "manual"})
    );
    let s = d.screen(120, 40);
    assert!(
        s.contains("✎ \"Total 12\""),
        "shown in the region list\n{s}"
    );
    assert!(s.contains("› Total 12"), "shown in its panel\n{s}");
    assert!(s.contains("Regions (1)"), "one region, not two rows\n{s}");
    let s = d.screen(80, 24);
    assert!(s.contains("› Total 12") && s.contains("Regions (1)"), "{s}");
    // With no region selected the panel holds no region's text; the list still shows it.
    d.keys("esc");
    let s = d.screen(120, 40);
    assert!(
        !s.contains("› Total 12") && s.contains("✎ \"Total 12\""),
        "{s}"
    );
    // Tab selects it again (and focuses the image); back to where the keys were.
    d.keys("tab } } } }");
    // A polygon ended by a label key is labelled apart the same way.
    d.keys("{ { { { p L p J p 2");
    let r = mine(&d);
    assert_eq!(r.len(), 5, "{r:?}");
    assert_eq!(r[3]["type"], "polygon");
    assert_eq!(r[4]["type"], "labels");
    assert_eq!(r[4]["value"]["labels"], json!(["Hand"]));
    assert_eq!(r[4]["value"]["points"], r[3]["value"]["points"]);
    // Deleting a region deletes its labels and text with it.
    d.keys("tab x");
    let left: Vec<String> = mine(&d)
        .iter()
        .map(|r| r["id"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(left.iter().all(|i| *i != id), "{left:?}");
    assert_eq!(mine(&d).len(), 2);
}

#[test]
fn moving_a_box_moves_the_geometry_its_labels_and_text_repeat() {
    let mut d = session(OCR, json!({"img": "missing.png"}));
    d.keys("v L J 1 } } } } enter");
    d.type_text("x");
    d.keys("enter { { { {");
    d.keys("e l l");
    let r = mine(&d);
    assert_ne!(r[0]["value"]["x"], json!(50.0), "the box moved: {r:?}");
    for i in [1, 2] {
        assert_eq!(r[i]["value"]["x"], r[0]["value"]["x"], "{r:?}");
    }
}

#[test]
fn relations_are_made_turned_labelled_and_deleted_by_keys() {
    let mut d = session(NER_RELATIONS, json!({"text": "Ada works at Acme today"}));
    d.keys("v w 1");
    d.keys("w w v w 2");
    let r = mine(&d);
    assert_eq!(r.len(), 2);
    let (a, b) = (
        r[0]["id"].as_str().unwrap().to_string(),
        r[1]["id"].as_str().unwrap().to_string(),
    );
    d.keys("esc tab r");
    assert!(d.message().contains("relation from"), "{}", d.message());
    d.keys("tab r");
    let r = mine(&d);
    assert_eq!(r.len(), 3);
    assert_eq!(
        r[2],
        json!({"from_id": a, "to_id": b, "type": "relation", "direction": "right"})
    );
    // Direction: right → bi → left; label: the Relation values in turn, then none.
    d.keys("alt-r");
    assert_eq!(mine(&d)[2]["direction"], "bi");
    d.keys("alt-r");
    assert_eq!(mine(&d)[2]["direction"], "left");
    d.keys("alt-t");
    assert_eq!(mine(&d)[2]["labels"], json!(["works_for"]));
    d.keys("alt-t alt-t");
    assert_eq!(mine(&d)[2]["labels"], json!([]));
    d.keys("alt-t");
    for (w, h) in [(120, 40), (80, 24)] {
        let s = d.screen(w, h);
        assert!(s.contains("relations (1)"), "{s}");
        let line = format!("PER·{} ← ORG·{} · works_for", &a[..4], &b[..4]);
        assert!(s.contains(&line), "{line}\n{s}");
    }
    // The same pair again is refused; the reverse is another relation.
    d.keys("esc esc tab r tab r");
    assert!(d.message().contains("related already"), "{}", d.message());
    d.keys("esc esc tab tab r tab r");
    assert_eq!(mine(&d).len(), 4);
    assert_eq!(mine(&d)[3]["from_id"], json!(b));
    // A selected relation is what x deletes.
    d.keys("R x");
    assert_eq!(mine(&d).len(), 3);
    assert_eq!(mine(&d)[2]["from_id"], json!(b), "the first relation went");
    // Deleting a region deletes its relations.
    d.keys("esc tab x");
    assert!(
        mine(&d).iter().all(|r| r["type"] != "relation"),
        "{:?}",
        mine(&d)
    );
}

#[test]
fn relations_need_no_relations_tag_and_then_have_no_labels() {
    let config = NER_RELATIONS.replace(
        r#"<Relations><Relation value="works_for"/><Relation value="knows"/></Relations>"#,
        "",
    );
    let mut d = session(&config, json!({"text": "Ada works at Acme"}));
    d.keys("v w 1 w w v w 2 esc tab r tab r alt-t");
    let r = mine(&d);
    assert_eq!(r.len(), 3, "{r:?}");
    assert!(r[2].get("labels").is_none(), "{:?}", r[2]);
    assert!(
        d.message().contains("no <Relations> labels"),
        "{}",
        d.message()
    );
}

#[test]
fn ocr_labels_say_they_are_enterprise_and_list_what_they_hold() {
    let config = r#"<View><OcrLabels name="ocr" toName="doc"><Label value="Typo"/></OcrLabels>
        <Pdf name="doc" value="$pdf"/></View>"#;
    let f = project(
        config,
        &json!([{"data": {"pdf": "a.pdf"}, "predictions": [{"model_version": "m", "result": [
            {"id": "p1", "from_name": "ocr", "to_name": "doc", "type": "ocrlabels",
             "value": {"x": 1, "y": 2, "width": 3, "height": 4, "pageIndex": 0, "ocrlabels": ["Typo"]}}]}]}])
        .to_string(),
    );
    let mut d = open(&f, ".");
    for (w, h) in [(120, 40), (80, 24)] {
        let s = d.screen(w, h);
        assert!(s.contains("Enterprise-only tag"), "{s}");
        assert!(s.contains("labels: Typo"), "{s}");
        assert!(s.contains("ocr: Typo box 1.0,2.0 3.0×4.0% · page 1"), "{s}");
    }
}

#[test]
fn fifty_thousand_keyframes_draw_and_odd_ones_are_told() {
    let seq: Vec<Value> = (1..=50_000u64)
        .map(|f| json!({"frame": f, "enabled": true, "x": 1, "y": 1, "width": 5, "height": 5}))
        .collect();
    let mut seq_bad = seq.clone();
    seq_bad[3] = json!({"x": 1});
    let task = |s: Vec<Value>| {
        json!([{"data": {"video": "v.mp4"}, "predictions": [{"result": [
            {"id": "t1", "from_name": "box", "to_name": "clip", "type": "videorectangle",
             "value": {"framesCount": 50_000, "duration": 2000, "sequence": s, "labels": ["Man"]}}]}]}])
    };
    for (s, odd) in [(seq, false), (seq_bad, true)] {
        let f = project(TRACKS, &task(s).to_string());
        // Pre-labelling makes the predicted track mine.
        let mut d = open_opts(labelterm::tui::StartOptions {
            project: f.db.clone(),
            user: "ann".into(),
            media_root: Some(".".into()),
            ..Default::default()
        });
        d.keys("tab");
        d.screen(120, 40);
        let (s, took) = d.frame(120, 40);
        assert!(s.contains("50000 frames"), "{s}");
        assert_eq!(s.contains("odd track data"), odd, "{s}");
        // A guard against a frame that grows with the track, as the layout tests keep.
        assert!(took.as_millis() < 1000, "a frame took {took:?}");
    }
}

/// The smallest MP4 the probe reads: a file type box and a movie header.
fn tiny_mp4(timescale: u32, duration: u32) -> Vec<u8> {
    let bx = |kind: &[u8; 4], body: &[u8]| {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    };
    let mut mvhd = vec![0u8; 12];
    mvhd.extend_from_slice(&timescale.to_be_bytes());
    mvhd.extend_from_slice(&duration.to_be_bytes());
    mvhd.extend_from_slice(&[0u8; 80]);
    let mut file = bx(b"ftyp", b"isom\0\0\0\0");
    file.extend(bx(b"moov", &bx(b"mvhd", &mvhd)));
    file
}

#[test]
fn the_frame_count_comes_from_the_file_when_it_can_be_probed() {
    let f = project(TRACKS, &json!([{"video": "clip.mp4"}]).to_string());
    std::fs::write(f.dir.path().join("clip.mp4"), tiny_mp4(1000, 5425)).unwrap();
    let mut d = open(&f, ".");
    let s = d.screen(120, 40);
    // ceil(5.425 s × 25 fps) frames, as Label Studio's player counts them.
    assert!(s.contains("136 frames (5.42 s)"), "{s}");
    d.keys("G");
    assert!(d.screen(120, 40).contains("frame 136 ·"));
    d.keys("1");
    assert_eq!(mine(&d)[0]["value"]["framesCount"], json!(136));
    assert_eq!(mine(&d)[0]["value"]["duration"], json!(5.425));
    assert_eq!(mine(&d)[0]["value"]["sequence"][0]["frame"], json!(136));
}

#[test]
fn a_box_moves_and_resizes_by_keys_in_edit_mode() {
    let mut d = session(TRACKS, json!({"video": "clip.mp4"}));
    d.keys("1 L");
    // Move: three right, one down (a keyframe on frame 11); resize: two wider.
    d.keys("e l l l j");
    assert!(d.screen(120, 40).contains("moving the box"));
    d.keys("e alt-2 l");
    let seq = mine(&d)[0]["value"]["sequence"].clone();
    assert_eq!(seq.as_array().unwrap().len(), 2, "{seq}");
    assert_eq!(seq[1]["frame"], json!(11));
    assert_eq!(
        (
            &seq[1]["x"],
            &seq[1]["y"],
            &seq[1]["width"],
            &seq[1]["height"]
        ),
        (&json!(28.0), &json!(26.0), &json!(52.0), &json!(50.0))
    );
    assert_eq!(seq[0]["x"], json!(25.0), "frame 1 keeps its box");
    // Off again: movement keys step frames.
    d.keys("e l");
    assert!(d.screen(120, 40).contains("frame 12 ·"));
    assert_eq!(mine(&d)[0]["value"]["sequence"], seq);
}

#[test]
fn the_video_pane_draws_at_any_size_without_panicking() {
    let mut d = session(TRACKS, json!({"video": "clip.mp4"}));
    d.keys("1 L enter");
    typed(&mut d, "0 0 100 100");
    d.keys("v l");
    for (w, h) in [(1, 1), (8, 3), (20, 5), (30, 8), (45, 12), (200, 60)] {
        let (s, _) = d.frame(w, h);
        assert_eq!(s.lines().count(), usize::from(h), "{w}x{h}\n{s}");
    }
}

#[test]
fn every_track_of_a_video_carries_the_same_frame_count() {
    let mut d = session(TRACKS, json!({"video": "clip.mp4"}));
    // No count known: the first track reaches frame 1, the second frame 21.
    d.keys("1 esc L L 2");
    let r = mine(&d);
    assert_eq!(r.len(), 2, "{r:?}");
    for t in &r {
        assert_eq!(t["value"]["framesCount"], json!(21), "{t}");
        assert_eq!(t["value"]["duration"], json!(0.84), "{t}");
    }
    // A count typed later is written on the next edit, into both.
    d.keys("F");
    typed(&mut d, "100");
    d.keys("+ l +");
    for t in &mine(&d) {
        assert_eq!(t["value"]["framesCount"], json!(100), "{t}");
    }
}

#[test]
fn a_bare_tool_panel_says_where_and_how_it_draws() {
    let mut d = session(OCR, json!({"img": "page.png"}));
    for (w, h) in [(120, 40), (80, 24)] {
        let s = d.screen(w, h);
        assert!(s.contains("frame (Rectangle)"), "{w}x{h}\n{s}");
        assert!(s.contains("on page"), "{w}x{h}\n{s}");
    }
    let s = d.screen(120, 40);
    assert!(
        s.contains("on page: v box, label key or Enter ends it"),
        "{s}"
    );
    assert!(
        s.contains("on page: p points, label key or Enter closes"),
        "{s}"
    );
    let mut d = session(TRACKS, json!({"video": "clip.mp4"}));
    let s = d.screen(120, 40);
    assert!(
        s.contains("on clip: label key: new track, Enter: its box"),
        "{s}"
    );
}
