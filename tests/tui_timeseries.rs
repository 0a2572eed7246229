//! TimeSeries regions: the chart takes focus, a time cursor and a selection make
//! `timeserieslabels` regions in Label Studio's shape, and regions move, resize and
//! relabel; keys, the mouse, drawing, and the real binary in tmux.

#[path = "annotator/mod.rs"]
mod common;
mod tmux;

use common::*;
use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use labelterm::tui::keymap::Ctx;
use labelterm::tui::msg::Msg;
use serde_json::{Value, json};
use std::path::Path;

const CONFIG: &str = r#"<View>
  <TimeSeries name="ts" value="$ts" valueType="json" timeColumn="time">
    <Channel column="v" legend="Level"/>
  </TimeSeries>
  <TimeSeriesLabels name="event" toName="ts">
    <Label value="Spike"/>
    <Label value="Drift"/>
  </TimeSeriesLabels>
</View>"#;

/// A project of one task with 40 points at times 0..39.
fn forty_points() -> Fixture {
    let time: Vec<i64> = (0..40).collect();
    let v: Vec<f64> = (0..40).map(|i| ((i * 7) % 11) as f64).collect();
    let tasks = json!([{"data": {"ts": {"time": time, "v": v}}}]);
    project(CONFIG, &tasks.to_string())
}

fn only_region(d: &Driver) -> Value {
    let r = d.result();
    assert_eq!(r.as_array().unwrap().len(), 1, "{r}");
    r[0].clone()
}

fn expected(id: &Value, start: i64, end: i64, label: &str) -> Value {
    json!({
        "id": id,
        "from_name": "event",
        "to_name": "ts",
        "type": "timeserieslabels",
        "origin": "manual",
        "value": {"start": start, "end": end, "instant": start == end, "timeserieslabels": [label]},
    })
}

fn window(d: &Driver) -> (usize, usize) {
    d.s.app.annotate.task.as_ref().unwrap().timeseries["ts"]
        .cursor
        .window()
}

#[test]
fn the_chart_takes_focus() {
    let f = sample_project("timeseries");
    let mut d = open(&f, ".");
    assert_eq!(d.s.app.focus_ctx(), Some(Ctx::Timeseries));
    // Cycling the panes comes back to the chart.
    let n = d.s.app.annotate.task.as_ref().unwrap().focusables.len();
    for _ in 0..n {
        d.keys("J");
    }
    assert_eq!(d.s.app.focus_ctx(), Some(Ctx::Timeseries));
}

#[test]
fn cursor_selection_and_label_key_store_label_studio_json() {
    let f = forty_points();
    let mut d = open(&f, ".");
    d.keys("l l l l l v l l l l 1");
    let r = only_region(&d);
    assert_eq!(r, expected(&r["id"], 5, 9, "Spike"));
    assert_eq!(r["id"].as_str().unwrap().len(), 10);
    // The draft in SQLite holds the same result.
    let draft = sql(&f.db, "SELECT result FROM drafts");
    let stored: Value = serde_json::from_str(&draft[0]).unwrap();
    assert_eq!(stored, json!([r]));
    // The selection is closed and the new region selected.
    let t = d.s.app.annotate.task.as_ref().unwrap();
    assert!(t.anchor.is_none());
    assert_eq!(t.selected.as_deref(), r["id"].as_str());
}

#[test]
fn label_key_without_selection_makes_an_instant_at_the_cursor() {
    let f = forty_points();
    let mut d = open(&f, ".");
    d.keys("$ h 2");
    let r = only_region(&d);
    assert_eq!(r, expected(&r["id"], 38, 38, "Drift"));
    assert_eq!(r["value"]["instant"], json!(true));
}

#[test]
fn selected_region_moves_resizes_and_relabels() {
    let f = forty_points();
    let mut d = open(&f, ".");
    d.keys("l l l l l v l l l l 1");
    let id = only_region(&d)["id"].clone();
    d.keys("M M");
    assert_eq!(only_region(&d), expected(&id, 7, 11, "Spike"));
    d.keys("m");
    assert_eq!(only_region(&d), expected(&id, 6, 10, "Spike"));
    d.keys("< <");
    assert_eq!(only_region(&d), expected(&id, 4, 10, "Spike"));
    d.keys(">");
    assert_eq!(only_region(&d), expected(&id, 5, 10, "Spike"));
    d.keys(") )");
    assert_eq!(only_region(&d), expected(&id, 5, 12, "Spike"));
    d.keys("(");
    assert_eq!(only_region(&d), expected(&id, 5, 11, "Spike"));
    // With no selection open a label key relabels the selected region.
    d.keys("2");
    assert_eq!(only_region(&d), expected(&id, 5, 11, "Drift"));
    // Each change is one undo step.
    d.keys("u");
    assert_eq!(only_region(&d), expected(&id, 5, 11, "Spike"));
}

#[test]
fn esc_closes_the_selection_then_unselects_the_region() {
    let f = forty_points();
    let mut d = open(&f, ".");
    d.keys("l v l 1");
    let id = only_region(&d)["id"].clone();
    d.keys("v l");
    assert!(d.s.app.annotate.task.as_ref().unwrap().anchor.is_some());
    d.keys("esc");
    let t = d.s.app.annotate.task.as_ref().unwrap();
    assert!(t.anchor.is_none());
    assert_eq!(t.selected.as_deref(), id.as_str());
    d.keys("esc");
    assert!(d.s.app.annotate.task.as_ref().unwrap().selected.is_none());
    // Moves need a selected region; nothing changes without one.
    d.keys("M");
    assert_eq!(only_region(&d), expected(&id, 1, 2, "Spike"));
}

#[test]
fn zoom_keys_change_the_window_and_cycling_regions_brings_one_into_view() {
    let f = forty_points();
    let mut d = open(&f, ".");
    assert_eq!(window(&d), (0, 39));
    // A region at 30..32, then the cursor back at the start, zoomed in.
    d.keys("$ h h h h h h h h h v l l 1 esc g + +");
    assert_eq!(only_region(&d)["value"]["start"], json!(30));
    let (a, b) = window(&d);
    assert_eq!((a, b - a + 1), (0, 10));
    d.keys("tab");
    let (a, b) = window(&d);
    assert!(a <= 30 && 32 <= b, "window {a}..{b}");
    d.keys("=");
    assert_eq!(window(&d), (0, 39));
}

#[test]
fn region_band_and_its_label_are_drawn_on_the_chart() {
    let f = forty_points();
    let mut d = open(&f, ".");
    let before = d.screen(100, 24);
    assert!(
        !before.lines().nth(1).unwrap().contains("Drift"),
        "{before}"
    );
    d.keys("l l l l l l l l l l v l l l l l l l l l 2");
    let screen = d.screen(100, 24);
    let chart_top = screen.lines().nth(1).unwrap();
    let at = chart_top
        .find("Drift")
        .expect("label on the chart's band row");
    // The band starts a quarter into the chart (point 10 of 40), inside the pane's border.
    let inner = d.s.app.annotate.task.as_ref().unwrap().layout.timeseries["ts"];
    let col = chart_top[..at].chars().count() as u16 - inner.x;
    assert_eq!(col, 10 * inner.width / 40, "{screen}");
}

fn mouse(kind: MouseEventKind, column: u16, row: u16, modifiers: KeyModifiers) -> Msg {
    Msg::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers,
    })
}

#[test]
fn mouse_click_moves_the_cursor_drag_selects_wheel_zooms() {
    let f = forty_points();
    let mut d = open(&f, ".");
    d.screen(100, 24);
    let area = d.s.app.annotate.task.as_ref().unwrap().layout.timeseries["ts"];
    let row = area.y + 2;
    let none = KeyModifiers::NONE;
    // A click in the middle puts the cursor on the middle point.
    d.s.feed(mouse(
        MouseEventKind::Down(MouseButton::Left),
        area.x + area.width / 2,
        row,
        none,
    ));
    let cur = d.s.app.annotate.task.as_ref().unwrap().timeseries["ts"]
        .cursor
        .cursor();
    assert_eq!(cur, 20);
    // A drag from the first column to the last selects every point.
    d.s.feed(mouse(
        MouseEventKind::Down(MouseButton::Left),
        area.x,
        row,
        none,
    ));
    d.s.feed(mouse(
        MouseEventKind::Drag(MouseButton::Left),
        area.right() - 1,
        row,
        none,
    ));
    d.s.feed(mouse(
        MouseEventKind::Up(MouseButton::Left),
        area.right() - 1,
        row,
        none,
    ));
    d.keys("1");
    let r = only_region(&d);
    assert_eq!(r, expected(&r["id"], 0, 39, "Spike"));
    // The wheel zooms in and out around the cursor.
    d.s.feed(mouse(MouseEventKind::ScrollUp, area.x + 1, row, none));
    let (a, b) = window(&d);
    assert_eq!(b - a + 1, 20);
    d.s.feed(mouse(MouseEventKind::ScrollDown, area.x + 1, row, none));
    assert_eq!(window(&d), (0, 39));
    // Outside the chart the mouse does nothing.
    d.s.feed(mouse(MouseEventKind::ScrollUp, 0, 0, none));
    assert_eq!(window(&d), (0, 39));
}

#[test]
fn make_a_region_in_tmux_and_find_it_in_the_store() {
    if tmux::no_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ts.db");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/timeseries");
    let t = tmux::Tmux::start(
        "labelterm-ts",
        &db,
        &samples.join("config.xml"),
        &samples.join("tasks.json"),
    );
    t.wait_for("timeseries");
    t.keys(&["l", "l", "l", "v", "l", "l", "2"]);
    t.wait_for("Drift 3–5");
    t.keys(&["M", ")"]);
    t.wait_for("Drift 4–7");
    t.keys(&["s"]);
    t.wait_for("submitted");
    t.keys(&["q"]);
    t.wait_exit("q");
    let rows = sql(
        &db,
        "SELECT a.result FROM annotations a JOIN users u ON u.id = a.completed_by WHERE u.email = 'tmuxer'",
    );
    assert_eq!(rows.len(), 1);
    let result: Value = serde_json::from_str(&rows[0]).unwrap();
    let r = &result[0];
    assert_eq!(r, &expected(&r["id"], 4, 7, "Drift"));
}

#[test]
fn counts_repeat_motions_and_moves() {
    let f = forty_points();
    let mut d = open(&f, ".");
    // 1 and 2 are label hotkeys, so counts use the free digits or Alt+digits.
    d.keys("3 l v alt-4 l 1");
    let r = only_region(&d);
    assert_eq!(r, expected(&r["id"], 3, 7, "Spike"));
    d.keys("alt-1 alt-0 M");
    assert_eq!(only_region(&d), expected(&r["id"], 13, 17, "Spike"));
    d.keys("5 )");
    assert_eq!(only_region(&d), expected(&r["id"], 13, 22, "Spike"));
    // A count is used once: the next move is one point.
    d.keys("m");
    assert_eq!(only_region(&d), expected(&r["id"], 12, 21, "Spike"));
}
