//! The image pane driven by keys and the mouse into a TestBackend: boxes at the cursor
//! with the chosen label, fine (half-cell) and coarse steps, counts, jumps, polygons and
//! keypoints by keyboard, edit modes, and mouse drags and clicks.

mod annotator;
use annotator::*;
use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use labelterm::annotate::shapes::Cursor;
use labelterm::tui::msg::Msg;
use serde_json::{Value, json};

const IMAGE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/image_bbox/images");

/// The image_bbox sample with its image drawn at 120 × 40.
fn bbox() -> (Fixture, Driver) {
    let f = sample_project("image_bbox");
    let mut d = open(&f, IMAGE_DIR);
    d.screen(120, 40);
    (f, d)
}

fn cursor(d: &Driver) -> Cursor {
    d.s.app
        .annotate
        .task
        .as_ref()
        .unwrap()
        .image
        .get("image")
        .map(|p| p.pointer.cursor)
        .unwrap_or_default()
}

/// Drawn pixels of the image pane (across, down).
fn drawn(d: &Driver) -> (f64, f64) {
    let g = d.s.app.annotate.task.as_ref().unwrap().layout.image_geom["image"];
    (g.width_px as f64, g.height_px as f64)
}

fn mine(d: &Driver) -> Vec<Value> {
    d.result().as_array().unwrap().clone()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn a_box_starts_at_the_cursor_and_takes_the_label_key_pressed() {
    let (_f, mut d) = bbox();
    let (w, h) = drawn(&d);
    // From the centre: anchor, two coarse steps right and down, `2` (Person) ends it.
    d.keys("v L L J J 2");
    let r = mine(&d);
    assert_eq!(r.len(), 1, "{r:?}");
    let v = &r[0]["value"];
    assert_eq!(
        v["rectanglelabels"],
        json!(["Person"]),
        "the key pressed, not the first"
    );
    assert!(close(num(&v["x"]), 50.0, 1e-3), "{v}");
    assert!(close(num(&v["y"]), 50.0, 1e-3), "{v}");
    let coarse_x = (w / 10.0).round() * 100.0 / w;
    let coarse_y = (h / 10.0).round() * 100.0 / h;
    assert!(close(num(&v["width"]), 2.0 * coarse_x, 1e-3), "{v}");
    assert!(close(num(&v["height"]), 2.0 * coarse_y, 1e-3), "{v}");
    assert_eq!(r[0]["origin"], "manual");
    assert_eq!(r[0]["original_width"], 64);
    // The new box is selected: a label key relabels it.
    d.keys("3");
    assert_eq!(mine(&d)[0]["value"]["rectanglelabels"], json!(["Boat"]));
    // A box without area is refused and the drawing goes on.
    d.keys("esc v 1");
    assert_eq!(mine(&d).len(), 1);
    assert!(d.message().contains("needs area"), "{}", d.message());
    d.keys("esc");
    assert!(
        !d.s.app.annotate.task.as_ref().unwrap().image["image"]
            .boxes
            .is_drawing()
    );
}

#[test]
fn fine_steps_are_one_drawn_pixel_half_a_cell_down() {
    let (_f, mut d) = bbox();
    let (w, h) = drawn(&d);
    let rows = d.s.app.annotate.task.as_ref().unwrap().layout.image_geom["image"].rows as f64;
    assert!(
        h > rows,
        "two drawn pixels per row: {h} pixels in {rows} rows"
    );
    let start = cursor(&d);
    d.keys("j");
    assert!(close(cursor(&d).y - start.y, 100.0 / h, 1e-9));
    d.keys("l");
    assert!(close(cursor(&d).x - start.x, 100.0 / w, 1e-9));
    d.keys("k h");
    assert_eq!(cursor(&d), start);
    d.keys("alt-H alt-K");
    assert_eq!(cursor(&d), Cursor::new(0.0, 0.0));
}

#[test]
fn counts_repeat_motions_and_alt_digits_count_where_digits_label() {
    let (_f, mut d) = bbox();
    let (w, h) = drawn(&d);
    let start = cursor(&d);
    // 5 is no label's hotkey here: a plain digit counts.
    d.keys("5 l");
    assert!(close(cursor(&d).x - start.x, 5.0 * 100.0 / w, 1e-9));
    // 2 labels (Person): Alt-2 counts, and the count lasts for one key.
    d.keys("alt-2 j j");
    assert!(close(cursor(&d).y - start.y, 3.0 * 100.0 / h, 1e-9));
    assert!(mine(&d).is_empty(), "no label was applied");
    d.keys("alt-1 alt-2 h");
    assert!(close(cursor(&d).x - start.x, -7.0 * 100.0 / w, 1e-9));
}

#[test]
fn a_jump_keeps_ninths_and_ends_on_another_key() {
    let (_f, mut d) = bbox();
    d.keys("; q");
    let c = cursor(&d);
    assert!(
        close(c.x, 100.0 / 6.0, 1e-9) && close(c.y, 100.0 / 6.0, 1e-9),
        "{c:?}"
    );
    // Inside a jump `s` keeps the centre ninth rather than submitting.
    d.keys("s");
    let c = cursor(&d);
    assert!(close(c.x, 100.0 / 6.0, 1e-9), "{c:?}");
    assert!(d.s.app.annotate.task.is_some());
    // A new jump starts over the whole image; its grid shows the cell keys.
    let plain = d.screen(120, 40);
    assert!(!plain.contains("▀q▀"), "{plain}");
    d.keys(";");
    assert_eq!(cursor(&d), Cursor::new(50.0, 50.0));
    let screen = d.screen(120, 40);
    assert!(screen.contains("▀q▀") && screen.contains("▀c▀"), "{screen}");
    // `l` ends the jump and moves the cursor as usual.
    d.keys("l");
    assert_eq!(
        d.s.app.annotate.task.as_ref().unwrap().image["image"].jumping,
        0
    );
}

/// A box fitted to a target with a jump to each corner: 12 keys.
#[test]
fn a_box_fits_a_target_within_two_percent_in_twelve_keys() {
    let (_f, mut d) = bbox();
    // Target: x 62, y 27, 20 × 30 percent. Corners by ninths of ninths.
    let keys = "; w c s e v ; d x w a 1";
    assert_eq!(keys.split(' ').count(), 12);
    d.keys(keys);
    let r = mine(&d);
    let v = &r[0]["value"];
    for (k, want) in [("x", 62.0), ("y", 27.0), ("width", 20.0), ("height", 30.0)] {
        assert!(close(num(&v[k]), want, 2.0), "{k}: {v}");
    }
}

const SHAPES: &str = r#"<View>
  <Image name="image" value="$image"/>
  <PolygonLabels name="poly" toName="image">
    <Label value="Road" hotkey="r"/>
    <Label value="Sky" hotkey="y"/>
  </PolygonLabels>
  <KeyPointLabels name="kp" toName="image" strokeWidth="2">
    <Label value="Eye" hotkey="i"/>
    <Label value="Nose" hotkey="n"/>
  </KeyPointLabels>
</View>"#;

fn shapes() -> (Fixture, Driver) {
    let tasks = json!([{"data": {"image": "street.png"}}]).to_string();
    let f = project(SHAPES, &tasks);
    let mut d = open(&f, IMAGE_DIR);
    d.screen(120, 40);
    (f, d)
}

#[test]
fn polygons_are_drawn_point_by_point_and_closed_by_a_label_key_or_enter() {
    let (_f, mut d) = shapes();
    d.keys("p L p J p");
    assert_eq!(
        d.s.app.annotate.task.as_ref().unwrap().image["image"]
            .polygon
            .points()
            .len(),
        3
    );
    // Backspace takes the last point back; Enter cannot close two points.
    d.keys("backspace enter");
    assert!(mine(&d).is_empty());
    d.keys("p y");
    let r = mine(&d);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0]["type"], "polygonlabels");
    assert_eq!(r[0]["value"]["polygonlabels"], json!(["Sky"]));
    assert_eq!(r[0]["value"]["points"].as_array().unwrap().len(), 3);
    assert_eq!(r[0]["value"]["closed"], true);
    // Enter closes with the last-used label.
    d.keys("esc H p K p H p enter");
    let r = mine(&d);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(r[1]["value"]["polygonlabels"], json!(["Sky"]));
}

#[test]
fn keypoints_drop_at_the_cursor() {
    let (_f, mut d) = shapes();
    let (w, _) = drawn(&d);
    d.keys("L n");
    let r = mine(&d);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["type"], "keypointlabels");
    assert_eq!(r[0]["value"]["keypointlabels"], json!(["Nose"]));
    assert!(close(
        num(&r[0]["value"]["x"]),
        50.0 + (w / 10.0).round() * 100.0 / w,
        1e-3
    ));
    // strokeWidth 2 of a 64-pixel-wide image.
    assert!(close(
        num(&r[0]["value"]["width"]),
        2.0 * 100.0 / 64.0,
        1e-3
    ));
    d.keys("esc J .");
    let r = mine(&d);
    assert_eq!(r.len(), 2);
    assert_eq!(
        r[1]["value"]["keypointlabels"],
        json!(["Nose"]),
        "last used"
    );
}

#[test]
fn edit_mode_moves_and_resizes_the_selected_box() {
    let (_f, mut d) = bbox();
    let (w, h) = drawn(&d);
    d.keys("v L J 1");
    let before = mine(&d)[0]["value"].clone();
    // Without edit mode the keys move the cursor, not the box.
    d.keys("l");
    assert_eq!(mine(&d)[0]["value"], before);
    d.keys("e alt-3 l");
    let v = mine(&d)[0]["value"].clone();
    assert!(close(
        num(&v["x"]) - num(&before["x"]),
        3.0 * 100.0 / w,
        1e-3
    ));
    assert_eq!(v["width"], before["width"], "moved, not resized");
    // Next mode: the bottom-right corner.
    d.keys("e j");
    let v2 = mine(&d)[0]["value"].clone();
    assert_eq!(v2["y"], v["y"]);
    assert!(close(
        num(&v2["height"]) - num(&v["height"]),
        100.0 / h,
        1e-3
    ));
    // Esc leaves edit mode; then hjkl move the cursor again.
    d.keys("esc l");
    assert_eq!(mine(&d)[0]["value"], v2);
    // Delete.
    d.keys("x");
    assert!(mine(&d).is_empty());
}

#[test]
fn editing_a_predicted_region_marks_it_changed() {
    let (_f, mut d) = bbox();
    {
        let t = d.s.app.annotate.task.as_mut().unwrap();
        t.draft.replace_all(vec![json!({
            "id": "p1", "from_name": "label", "to_name": "image", "type": "rectanglelabels",
            "origin": "prediction",
            "value": {"x": 10, "y": 10, "width": 20, "height": 20, "rotation": 0,
                      "rectanglelabels": ["Car"]}
        })]);
        t.selected = Some("p1".into());
    }
    d.keys("e H");
    let r = mine(&d);
    assert_eq!(r[0]["origin"], "prediction-changed");
    assert!(num(&r[0]["value"]["x"]) < 10.0);
}

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Msg {
    Msg::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

#[test]
fn a_mouse_drag_draws_a_box_and_a_click_selects_a_region() {
    let (_f, mut d) = bbox();
    let area = d.s.app.annotate.task.as_ref().unwrap().layout.image_area["image"];
    let g = d.s.app.annotate.task.as_ref().unwrap().layout.image_geom["image"];
    let ox = (area.width as u32 - g.width_px) / 2;
    let oy = (area.height as u32 * 2).saturating_sub(g.height_px) / 2;
    // Rows start on even pixels inside the picture.
    let (x0, y0) = (area.x + ox as u16 + 4, area.y + (oy as u16).div_ceil(2) + 3);
    let left = MouseButton::Left;
    d.keys("esc");
    d.s.feed(mouse(MouseEventKind::Down(left), x0, y0));
    d.s.feed(mouse(MouseEventKind::Drag(left), x0 + 5, y0 + 2));
    d.s.feed(mouse(MouseEventKind::Drag(left), x0 + 10, y0 + 5));
    d.s.feed(mouse(MouseEventKind::Up(left), x0 + 10, y0 + 5));
    let r = mine(&d);
    assert_eq!(r.len(), 1, "{r:?}");
    let v = &r[0]["value"];
    let (w, h) = (g.width_px as f64, g.height_px as f64);
    let py0 = (y0 - area.y) as f64 * 2.0 - oy as f64;
    assert!(close(num(&v["x"]), 4.0 * 100.0 / w, 1e-3), "{v}");
    assert!(close(num(&v["y"]), py0 * 100.0 / h, 1e-3), "{v}");
    assert!(close(num(&v["width"]), 11.0 * 100.0 / w, 1e-3), "{v}");
    assert!(close(num(&v["height"]), 12.0 * 100.0 / h, 1e-3), "{v}");
    assert_eq!(
        v["rectanglelabels"],
        json!(["Car"]),
        "the first label when none was used"
    );
    let id = r[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        d.s.app.annotate.task.as_ref().unwrap().selected.as_deref(),
        Some(id.as_str())
    );
    // A label key relabels the dragged box.
    d.keys("2");
    assert_eq!(mine(&d)[0]["value"]["rectanglelabels"], json!(["Person"]));
    // A click off every region unselects; a click inside selects.
    d.s.feed(mouse(MouseEventKind::Down(left), x0 + 20, y0 + 9));
    d.s.feed(mouse(MouseEventKind::Up(left), x0 + 20, y0 + 9));
    let sel = d.s.app.annotate.task.as_ref().unwrap().selected.clone();
    assert_ne!(sel.as_deref(), Some(id.as_str()));
    d.s.feed(mouse(MouseEventKind::Down(left), x0 + 3, y0 + 2));
    d.s.feed(mouse(MouseEventKind::Up(left), x0 + 3, y0 + 2));
    assert_eq!(
        d.s.app.annotate.task.as_ref().unwrap().selected.as_deref(),
        Some(id.as_str())
    );
    // The next drag takes the last-used label.
    d.s.feed(mouse(MouseEventKind::Down(left), x0 + 12, y0 + 6));
    d.s.feed(mouse(MouseEventKind::Up(left), x0 + 16, y0 + 8));
    let r = mine(&d);
    assert_eq!(r.len(), 2);
    assert_eq!(r[1]["value"]["rectanglelabels"], json!(["Person"]));
    // The wheel over the picture moves between regions.
    d.s.feed(mouse(MouseEventKind::ScrollDown, x0, y0));
    assert!(d.s.app.annotate.task.as_ref().unwrap().selected.is_some());
}

#[test]
fn the_cursor_and_a_box_being_drawn_show_on_the_picture() {
    let (_f, mut d) = bbox();
    let before = d.buffer(120, 40);
    d.keys("v");
    assert!(d.message().contains("corner"), "{}", d.message());
    d.keys("L L J J");
    let after = d.buffer(120, 40);
    // The cursor and the box preview are drawn in colour over the picture.
    assert_ne!(before, after);
}

#[test]
fn polygon_vertices_are_edited_one_by_one() {
    let (_f, mut d) = shapes();
    let (w, _) = drawn(&d);
    d.keys("p L p J p r");
    let before = mine(&d)[0]["value"]["points"].clone();
    // Move mode moves every vertex; the next mode the first vertex only.
    d.keys("e l");
    let moved = mine(&d)[0]["value"]["points"].clone();
    for i in 0..3 {
        assert!(close(
            num(&moved[i][0]) - num(&before[i][0]),
            100.0 / w,
            1e-3
        ));
    }
    d.keys("e alt-4 h");
    let v = mine(&d)[0]["value"]["points"].clone();
    assert!(close(
        num(&v[0][0]) - num(&moved[0][0]),
        -4.0 * 100.0 / w,
        1e-3
    ));
    assert_eq!(v[1], moved[1]);
    assert_eq!(v[2], moved[2]);
}
