//! The image pane: drawing it (the picture, its regions, the cursor, a box being drawn,
//! the jump grid, an open polygon) and what keys and the mouse do on it. The geometry
//! lives in `annotate::shapes`; this file turns keys, clicks and drags into its calls.
//!
//! Mouse: a drag on the picture draws a box with the last-used label of the image's
//! RectangleLabels (a label key relabels it after), a click selects the region under
//! it (the smallest when they overlap) and puts the cursor there, and the wheel over
//! the picture selects the next or previous region.

use super::view::{object_regions, region_color};
use super::{Content, Focus};
use crate::annotate::shapes::{
    BoxEdit, BoxTool, Cell, Cursor, Dir, Grid, Handle, LabelChoice, Pointer, PointerAction,
    PolygonTool, PolygonValue, RectValue, Step, edit_value, image_region, keypoint_stroke,
    keypoint_value,
};
use crate::config::{ControlKind, ControlTag, ObjectKind, ObjectTag};
use crate::tui::action::Action;
use crate::tui::app::{App, Effect, ImageGeom};
use crate::tui::keymap::{Ctx, KeyCodeOrd, KeySpec};
use crate::tui::msg::TaskLayout;
use crate::tui::result as res;
use crate::tui::widgets::block;
use crate::util::sanitize;
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::{Paragraph, Wrap};
use serde_json::{Map, Value, json};

/// The keys that pick a ninth during a jump, row by row (keynav's layout).
pub const JUMP_KEYS: [char; 9] = ['q', 'w', 'e', 'a', 's', 'd', 'z', 'x', 'c'];

/// Cells a jump takes at most: four ninths put the cursor within 100/162 % of any point.
const JUMP_DEPTH: u8 = 4;

/// What the movement keys do to the selected region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Move the whole region.
    Move,
    /// Move one edge or corner of a box.
    Handle(Handle),
    /// Move one vertex of a polygon.
    Vertex(usize),
}

/// One image object's state: its cursor, the tools drawing on it, the edit mode of the
/// selected region, a jump in progress and a mouse drag.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImagePane {
    pub pointer: Pointer,
    pub boxes: BoxTool,
    pub polygon: PolygonTool,
    /// Cells the jump in progress may still take (0: no jump).
    pub jumping: u8,
    /// The region in edit mode and what the movement keys do to it.
    pub edit: Option<(String, Edit)>,
    /// A left-button drag: where it began and where it is now, in screen cells.
    pub drag: Option<((u16, u16), (u16, u16))>,
}

/// The `labels` result of a region whose shape a bare tool wrote: the same id and
/// object, the shape's geometry repeated, and the label.
fn split_labels(ctrl: &ControlTag, shape: &Value, key: &str) -> Value {
    let mut value = res::geometry_of(shape);
    value.insert(
        ctrl.value_key().unwrap_or("labels").to_string(),
        json!([key]),
    );
    let mut r = res::region(
        ctrl,
        res::to_name(shape),
        res::id_of(shape).map(str::to_string),
        value,
    );
    for k in ["original_width", "original_height", "image_rotation"] {
        if let Some(v) = shape.get(k) {
            r[k] = v.clone();
        }
    }
    r
}

/// What kind of shape a region's value holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Rect,
    Polygon(usize),
    Point,
}

fn shape_of(value: &Value) -> Option<Shape> {
    if let Some(p) = value.get("points").and_then(Value::as_array) {
        return Some(Shape::Polygon(p.len()));
    }
    if RectValue::from_value(value).is_some() {
        return Some(Shape::Rect);
    }
    (value.get("x").is_some() && value.get("y").is_some()).then_some(Shape::Point)
}

impl Edit {
    /// The next mode for a shape; `None` leaves edit mode.
    fn next(mode: Option<Edit>, shape: Shape) -> Option<Edit> {
        match (mode, shape) {
            (None, _) => Some(Edit::Move),
            (Some(Edit::Move), Shape::Rect) => Some(Edit::Handle(Handle::default())),
            (Some(Edit::Handle(h)), Shape::Rect) => match BoxEdit::Resize(h).cycle() {
                BoxEdit::Resize(h) => Some(Edit::Handle(h)),
                BoxEdit::Move => None,
            },
            (Some(Edit::Move), Shape::Polygon(n)) if n > 0 => Some(Edit::Vertex(0)),
            (Some(Edit::Vertex(i)), Shape::Polygon(n)) if i + 1 < n => Some(Edit::Vertex(i + 1)),
            _ => None,
        }
    }

    fn describe(self) -> String {
        match self {
            Edit::Move => "move".into(),
            Edit::Handle(h) => format!("resize {h:?}").to_lowercase(),
            Edit::Vertex(i) => format!("vertex {}", i + 1),
        }
    }
}

fn is_kind(c: &ControlTag, kinds: &[ControlKind]) -> bool {
    kinds.contains(&c.kind)
}

const RECT: &[ControlKind] = &[ControlKind::RectangleLabels, ControlKind::Rectangle];
const POLY: &[ControlKind] = &[ControlKind::PolygonLabels, ControlKind::Polygon];
const POINT: &[ControlKind] = &[ControlKind::KeyPointLabels, ControlKind::KeyPoint];

impl App {
    /// The image object with the focus.
    fn focused_image(&self) -> Option<ObjectTag> {
        self.focused_object()
            .filter(|o| o.kind == ObjectKind::Image)
    }

    fn pane_mut(&mut self, obj: &str) -> &mut ImagePane {
        let t = self.annotate.task.as_mut().expect("task");
        t.image.entry(obj.to_string()).or_default()
    }

    fn pane(&self, obj: &str) -> ImagePane {
        self.annotate
            .task
            .as_ref()
            .and_then(|t| t.image.get(obj).cloned())
            .unwrap_or_default()
    }

    /// The image as last drawn: drawn pixels and the original size.
    pub(in crate::tui) fn image_grid(&self, obj: &str) -> Grid {
        let g = self.image_geom(obj);
        let (ow, oh) = match self
            .annotate
            .task
            .as_ref()
            .and_then(|t| t.contents.get(obj))
        {
            Some(Content::Image {
                raster: Some(r), ..
            }) => (r.orig_width, r.orig_height),
            _ => (0, 0),
        };
        Grid::from_drawn(g.width_px, g.height_px, ow, oh)
    }

    /// The first control of `kinds` that targets the image.
    fn image_control(&self, obj: &str, kinds: &[ControlKind]) -> Option<ControlTag> {
        let t = self.annotate.task.as_ref()?;
        t.config
            .controls
            .iter()
            .find(|c| is_kind(c, kinds) && c.to_name.iter().any(|n| n == obj))
            .cloned()
    }

    /// The label a shape drawn without a label key gets: the control's last-used label,
    /// else its first.
    fn default_label(&self, ctrl: &ControlTag) -> Option<String> {
        let t = self.annotate.task.as_ref()?;
        t.last_label
            .get(&ctrl.name)
            .cloned()
            .or_else(|| ctrl.labels.first().map(|l| l.key.clone()))
    }

    /// Adds a new region of `ctrl` on the image and selects it.
    fn add_image_region(
        &mut self,
        ctrl: &ControlTag,
        obj: &str,
        value: Map<String, Value>,
    ) -> Vec<Effect> {
        let grid = self.image_grid(obj);
        let region = image_region(ctrl, obj, None, value, grid.original_size());
        let id = res::id_of(&region).map(str::to_string);
        let e = self.edit(move |_, r| {
            r.push(region);
            true
        });
        if let Some(t) = &mut self.annotate.task {
            t.selected = id;
        }
        e
    }

    /// A label key with an image focused: finishes the box or polygon being drawn, drops
    /// a keypoint, or says what the label is for. (A selected region was relabelled
    /// before this is asked.)
    pub(in crate::tui) fn image_label(
        &mut self,
        ctrl: &ControlTag,
        obj: &str,
        key: &str,
    ) -> Vec<Effect> {
        let pane = self.pane(obj);
        let cursor = pane.pointer.cursor;
        let choice = LabelChoice::for_control(ctrl, key);
        if ctrl.kind == ControlKind::Labels {
            return self.image_split_label(ctrl, obj, key);
        }
        if is_kind(ctrl, RECT) {
            if !pane.boxes.is_drawing() {
                self.info(format!(
                    "label {key}: {} starts a box at the cursor, a drag draws one",
                    self.image_key(Action::NewRect)
                ));
                return Vec::new();
            }
            let mut tool = pane.boxes;
            let Some(value) = tool.finish_value(cursor, choice) else {
                self.info("a box needs area: move the cursor off the corner's row and column");
                return Vec::new();
            };
            self.pane_mut(obj).boxes = tool;
            let e = self.add_image_region(ctrl, obj, value);
            self.info(format!("box {key}"));
            return e;
        }
        if is_kind(ctrl, POLY) {
            if !pane.polygon.is_drawing() {
                self.info(format!(
                    "label {key}: {} adds polygon points at the cursor",
                    self.image_key(Action::AddPoint)
                ));
                return Vec::new();
            }
            return self.close_polygon(ctrl, obj, key);
        }
        if is_kind(ctrl, POINT) {
            return self.drop_keypoint(ctrl, obj, key);
        }
        Vec::new()
    }

    /// A plain `<Labels>` key on an image whose shapes come from bare tools (`Rectangle`,
    /// `Polygon`): Label Studio writes the shape and its labels apart, as two results
    /// sharing the region's id, the labels one repeating the geometry. The key finishes
    /// the box or polygon being drawn, else labels the selected region.
    fn image_split_label(&mut self, ctrl: &ControlTag, obj: &str, key: &str) -> Vec<Effect> {
        let pane = self.pane(obj);
        let drawn = if pane.boxes.is_drawing() {
            let tool = self.image_control(obj, &[ControlKind::Rectangle]);
            let mut boxes = pane.boxes;
            match tool {
                Some(t) => match boxes.finish_value(pane.pointer.cursor, None) {
                    Some(v) => {
                        self.pane_mut(obj).boxes = boxes;
                        Some((t, v))
                    }
                    None => {
                        self.info(
                            "a box needs area: move the cursor off the corner's row and column",
                        );
                        return Vec::new();
                    }
                },
                None => None,
            }
        } else if pane.polygon.is_drawing() {
            let tool = self.image_control(obj, &[ControlKind::Polygon]);
            let mut poly = pane.polygon.clone();
            match tool {
                Some(t) => match poly.close_value(None) {
                    Some(v) => {
                        self.pane_mut(obj).polygon = poly;
                        Some((t, v))
                    }
                    None => {
                        self.info("a polygon needs three points");
                        return Vec::new();
                    }
                },
                None => None,
            }
        } else {
            None
        };
        let grid = self.image_grid(obj);
        if let Some((tool, value)) = drawn {
            let shape = image_region(&tool, obj, None, value, grid.original_size());
            let id = res::id_of(&shape).map(str::to_string);
            let labels = split_labels(ctrl, &shape, key);
            let e = self.edit(move |_, r| {
                r.push(shape);
                r.push(labels);
                true
            });
            if let Some(t) = &mut self.annotate.task {
                t.selected = id;
            }
            self.info(format!(
                "{} {key}",
                tool.kind.geometry().unwrap_or("region")
            ));
            return e;
        }
        // No shape being drawn: label the selected region of this image.
        let Some(sel) = self
            .selected_on(obj)
            .filter(|r| res::is_region(&self.annotate.task.as_ref().expect("task").config, r))
        else {
            self.info(format!(
                "label {key}: {} starts a box, {} a polygon; or select a region (Tab) to label it",
                self.image_key(Action::NewRect),
                self.image_key(Action::AddPoint)
            ));
            return Vec::new();
        };
        let labels = split_labels(ctrl, &sel, key);
        let id = res::id_of(&sel).unwrap_or_default().to_string();
        let ctrl = ctrl.clone();
        let key = key.to_string();
        self.edit(move |_, r| {
            match r
                .iter_mut()
                .find(|x| res::id_of(x) == Some(id.as_str()) && res::from_name(x) == ctrl.name)
            {
                Some(_) => res::relabel(r, &id, &ctrl, &key),
                None => {
                    r.push(labels);
                    true
                }
            }
        })
    }

    fn image_key(&self, a: Action) -> String {
        self.keymap
            .key_for(Ctx::Image, a)
            .unwrap_or_else(|| a.name())
    }

    fn close_polygon(&mut self, ctrl: &ControlTag, obj: &str, key: &str) -> Vec<Effect> {
        let mut tool = self.pane(obj).polygon;
        let Some(value) = tool.close_value(LabelChoice::for_control(ctrl, key)) else {
            self.info("a polygon needs three points");
            return Vec::new();
        };
        self.pane_mut(obj).polygon = tool;
        let e = self.add_image_region(ctrl, obj, value);
        self.info(format!("polygon {key}"));
        e
    }

    fn drop_keypoint(&mut self, ctrl: &ControlTag, obj: &str, key: &str) -> Vec<Effect> {
        let grid = self.image_grid(obj);
        let at = self.pane(obj).pointer.cursor;
        let value = keypoint_value(
            at,
            &grid,
            keypoint_stroke(ctrl),
            LabelChoice::for_control(ctrl, key),
        );
        let e = self.add_image_region(ctrl, obj, value);
        self.info(format!("keypoint {key}"));
        e
    }

    pub(in crate::tui) fn image_geom(&self, obj: &str) -> ImageGeom {
        self.annotate
            .task
            .as_ref()
            .and_then(|t| t.layout.image_geom.get(obj).copied())
            .unwrap_or(ImageGeom {
                width_px: 100,
                height_px: 100,
                cols: 100,
                rows: 50,
            })
    }

    /// During a jump, a cell key keeps that ninth; any other key ends the jump and goes
    /// on as usual (`None`).
    pub(in crate::tui) fn image_jump_key(&mut self, spec: &KeySpec) -> Option<Vec<Effect>> {
        let obj = self.focused_image()?;
        if self.pane(&obj.name).jumping == 0 {
            return None;
        }
        let grid = self.image_grid(&obj.name);
        let pane = self.pane_mut(&obj.name);
        let cell = match spec.code {
            KeyCodeOrd::Char(c) if !spec.ctrl && !spec.alt => {
                JUMP_KEYS.iter().position(|k| *k == c).map(|i| Cell::ALL[i])
            }
            _ => None,
        };
        let Some(cell) = cell else {
            pane.jumping = 0;
            return None;
        };
        pane.pointer.apply(&grid, PointerAction::Select(cell));
        pane.jumping -= 1;
        Some(Vec::new())
    }

    /// The selected region when it is one of mine on this image.
    fn selected_on(&self, obj: &str) -> Option<Value> {
        let t = self.annotate.task.as_ref()?;
        let id = t.selected.as_deref()?;
        t.draft
            .result()
            .iter()
            .find(|r| res::id_of(r) == Some(id) && res::to_name(r) == obj)
            .cloned()
    }

    /// The edit mode, when it belongs to the selected region.
    fn edit_mode(&self, obj: &str) -> Option<(String, Edit)> {
        let sel = self.selected_on(obj)?;
        let id = res::id_of(&sel)?.to_string();
        self.pane(obj).edit.filter(|(e, _)| *e == id)
    }

    pub(in crate::tui) fn image_action(&mut self, obj: &ObjectTag, a: Action) -> Vec<Effect> {
        let count = self.annotate.take_count() as u32;
        let name = obj.name.clone();
        let grid = self.image_grid(&name);
        let motion = match a {
            Action::Left => Some((Dir::Left, Step::Fine)),
            Action::Right => Some((Dir::Right, Step::Fine)),
            Action::Up => Some((Dir::Up, Step::Fine)),
            Action::Down => Some((Dir::Down, Step::Fine)),
            Action::CoarseLeft => Some((Dir::Left, Step::Coarse)),
            Action::CoarseRight => Some((Dir::Right, Step::Coarse)),
            Action::CoarseUp => Some((Dir::Up, Step::Coarse)),
            Action::CoarseDown => Some((Dir::Down, Step::Coarse)),
            _ => None,
        };
        if let Some((dir, step)) = motion {
            if let Some((id, mode)) = self.edit_mode(&name) {
                return self.edit_region(&id, mode, &grid, dir, step, count);
            }
            let pane = self.pane_mut(&name);
            pane.pointer
                .apply(&grid, PointerAction::Move(dir, step, count));
            return Vec::new();
        }
        // Keymaps that still bind the old size keys resize the selected box's
        // bottom-right corner.
        let resize = match a {
            Action::GrowWidth => Some((Handle::Right, Dir::Right)),
            Action::ShrinkWidth => Some((Handle::Right, Dir::Left)),
            Action::GrowHeight => Some((Handle::Bottom, Dir::Down)),
            Action::ShrinkHeight => Some((Handle::Bottom, Dir::Up)),
            _ => None,
        };
        if let Some((h, dir)) = resize {
            let Some(id) = self
                .selected_on(&name)
                .and_then(|r| res::id_of(&r).map(str::to_string))
            else {
                return Vec::new();
            };
            return self.edit_region(&id, Edit::Handle(h), &grid, dir, Step::Fine, count);
        }
        match a {
            Action::EdgeLeft | Action::EdgeRight | Action::EdgeUp | Action::EdgeDown => {
                let dir = match a {
                    Action::EdgeLeft => Dir::Left,
                    Action::EdgeRight => Dir::Right,
                    Action::EdgeUp => Dir::Up,
                    _ => Dir::Down,
                };
                self.pane_mut(&name)
                    .pointer
                    .apply(&grid, PointerAction::Edge(dir));
                Vec::new()
            }
            Action::JumpBegin => {
                let pane = self.pane_mut(&name);
                pane.pointer.apply(&grid, PointerAction::JumpBegin);
                pane.jumping = JUMP_DEPTH;
                let keys: String = JUMP_KEYS.iter().collect();
                self.info(format!(
                    "jump: {} {} {} pick a ninth ({JUMP_DEPTH} at most), any other key ends it",
                    &keys[0..3],
                    &keys[3..6],
                    &keys[6..9]
                ));
                Vec::new()
            }
            Action::NewRect => {
                if self.image_control(&name, RECT).is_none() {
                    self.info("no RectangleLabels/Rectangle control targets this image");
                    return Vec::new();
                }
                let pane = self.pane_mut(&name);
                let at = pane.pointer.cursor;
                pane.boxes.start(at);
                pane.edit = None;
                // The label key that ends the box must not relabel a selected region.
                self.annotate.task.as_mut().expect("task").selected = None;
                self.info("box corner set: move to the other corner, then a label key");
                Vec::new()
            }
            Action::AddPoint => {
                if self.image_control(&name, POLY).is_none() {
                    self.info("no PolygonLabels/Polygon control targets this image");
                    return Vec::new();
                }
                let pane = self.pane_mut(&name);
                let at = pane.pointer.cursor;
                pane.polygon.add(at);
                pane.edit = None;
                let n = pane.polygon.points().len();
                self.annotate.task.as_mut().expect("task").selected = None;
                self.info(format!(
                    "polygon: {n} point(s); a label key or Enter closes it"
                ));
                Vec::new()
            }
            Action::RemovePoint => {
                if self.pane(&name).polygon.is_drawing() {
                    self.pane_mut(&name).polygon.remove_last();
                    return Vec::new();
                }
                let backspace = KeySpec::code(KeyCodeOrd::Backspace);
                if self.keymap.lookup(Ctx::Task, &backspace) == Some(Action::DeleteRegion) {
                    return self.task_action(Action::DeleteRegion);
                }
                Vec::new()
            }
            Action::ClosePolygon if self.pane(&name).boxes.is_drawing() => {
                // Enter ends a box too: with the last-used label, none for a bare Rectangle.
                let Some(ctrl) = self.image_control(&name, RECT) else {
                    return Vec::new();
                };
                let label = self.default_label(&ctrl).unwrap_or_default();
                let pane = self.pane(&name);
                let mut tool = pane.boxes;
                let Some(value) =
                    tool.finish_value(pane.pointer.cursor, LabelChoice::for_control(&ctrl, &label))
                else {
                    self.info("a box needs area: move the cursor off the corner's row and column");
                    return Vec::new();
                };
                self.pane_mut(&name).boxes = tool;
                self.add_image_region(&ctrl, &name, value)
            }
            Action::ClosePolygon => {
                let Some(ctrl) = self.image_control(&name, POLY) else {
                    return Vec::new();
                };
                if !self.pane(&name).polygon.is_drawing() {
                    return Vec::new();
                }
                let label = self.default_label(&ctrl).unwrap_or_default();
                self.close_polygon(&ctrl, &name, &label)
            }
            Action::DropKeypoint => {
                let Some(ctrl) = self.image_control(&name, POINT) else {
                    self.info("no KeyPointLabels/KeyPoint control targets this image");
                    return Vec::new();
                };
                let label = self.default_label(&ctrl).unwrap_or_default();
                self.drop_keypoint(&ctrl, &name, &label)
            }
            Action::CycleEdit => {
                let Some(sel) = self.selected_on(&name) else {
                    self.info("select a region first (Tab, or click it)");
                    return Vec::new();
                };
                let Some(shape) = shape_of(&sel["value"]) else {
                    return Vec::new();
                };
                let id = res::id_of(&sel).unwrap_or_default().to_string();
                let now = self.edit_mode(&name).map(|(_, m)| m);
                let next = Edit::next(now, shape);
                self.pane_mut(&name).edit = next.map(|m| (id, m));
                match next {
                    Some(m) => self.info(format!("edit: {} (movement keys)", m.describe())),
                    None => self.info("edit off: movement keys move the cursor"),
                }
                Vec::new()
            }
            Action::StopDrawing => {
                let pane = self.pane_mut(&name);
                if pane.jumping > 0 || pane.boxes.is_drawing() || pane.polygon.is_drawing() {
                    pane.jumping = 0;
                    pane.boxes.cancel();
                    pane.polygon.cancel();
                    return Vec::new();
                }
                if pane.edit.take().is_some() {
                    return Vec::new();
                }
                self.task_action(Action::Cancel)
            }
            _ => Vec::new(),
        }
    }

    /// Moves or resizes region `id` (one of mine), marking a prediction's as changed.
    fn edit_region(
        &mut self,
        id: &str,
        mode: Edit,
        grid: &Grid,
        dir: Dir,
        step: Step,
        count: u32,
    ) -> Vec<Effect> {
        let id = id.to_string();
        let grid = *grid;
        self.edit(move |_, result| {
            let Some(r) = result
                .iter_mut()
                .find(|r| res::id_of(r) == Some(id.as_str()))
            else {
                return false;
            };
            let value = r["value"].clone();
            match (shape_of(&value), mode) {
                (Some(Shape::Rect), _) => {
                    let Some(rect) = RectValue::from_value(&value) else {
                        return false;
                    };
                    let edit = match mode {
                        Edit::Handle(h) => BoxEdit::Resize(h),
                        _ => BoxEdit::Move,
                    };
                    let next = edit.apply(rect, &grid, dir, step, count);
                    next != rect && edit_value(r, |v| next.write_geometry(v))
                }
                (Some(Shape::Polygon(_)), _) => {
                    let Some(mut poly) = PolygonValue::from_value(&value) else {
                        return false;
                    };
                    let before = poly.clone();
                    match mode {
                        Edit::Vertex(i) => {
                            poly.move_vertex(i, &grid, dir, step, count);
                        }
                        _ => poly = poly.moved(&grid, dir, step, count),
                    }
                    poly != before && edit_value(r, |v| poly.write_geometry(v))
                }
                (Some(Shape::Point), _) => {
                    let num = |k: &str| value.get(k).and_then(crate::tui::shared::num);
                    let (Some(x), Some(y)) = (num("x"), num("y")) else {
                        return false;
                    };
                    let p = Cursor::new(x, y).moved(&grid, dir, step, count);
                    let round = |v: f64| (v * 10_000.0).round() / 10_000.0;
                    edit_value(r, |v| {
                        v.insert("x".into(), json!(round(p.x)));
                        v.insert("y".into(), json!(round(p.y)));
                    })
                }
                (None, _) => false,
            }
        })
    }

    /// The image picture under a screen cell: the object and the drawn pixel.
    fn image_at(&self, col: u16, row: u16) -> Option<(String, (i64, i64))> {
        let t = self.annotate.task.as_ref()?;
        t.layout.image_area.iter().find_map(|(name, area)| {
            let inside = col >= area.x
                && col < area.x + area.width
                && row >= area.y
                && row < area.y + area.height;
            if !inside {
                return None;
            }
            let g = t.layout.image_geom.get(name)?;
            let (ox, oy) = crate::tui::image_view::letterbox(*area, g.width_px, g.height_px);
            let px = i64::from(col - area.x) - i64::from(ox);
            let py = i64::from(row - area.y) * 2 - i64::from(oy);
            Some((name.clone(), (px, py)))
        })
    }

    /// Mouse events: see the module's documentation.
    pub(in crate::tui) fn image_mouse(&mut self, ev: MouseEvent) -> Vec<Effect> {
        if self.popup.is_some() || self.editor.is_some() || self.annotate.task.is_none() {
            return Vec::new();
        }
        let at = (ev.column, ev.row);
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                let Some((name, _)) = self.image_at(ev.column, ev.row) else {
                    return Vec::new();
                };
                self.focus_object(&name);
                self.pane_mut(&name).drag = Some((at, at));
                Vec::new()
            }
            MouseEventKind::Drag(MouseButton::Left) => {
                if let Some(t) = &mut self.annotate.task {
                    for pane in t.image.values_mut() {
                        if let Some((from, _)) = pane.drag {
                            pane.drag = Some((from, at));
                        }
                    }
                }
                Vec::new()
            }
            MouseEventKind::Up(MouseButton::Left) => {
                let dragged = self.annotate.task.as_mut().and_then(|t| {
                    t.image
                        .iter_mut()
                        .find_map(|(n, p)| p.drag.take().map(|d| (n.clone(), d)))
                });
                let Some((name, (from, _))) = dragged else {
                    return Vec::new();
                };
                if from == at {
                    self.click(&name, at)
                } else {
                    self.drag_box(&name, from, at)
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                if self.image_at(ev.column, ev.row).is_some() {
                    self.cycle_region(ev.kind == MouseEventKind::ScrollDown);
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn focus_object(&mut self, name: &str) {
        let t = self.annotate.task.as_mut().expect("task");
        if let Some(oi) = t.config.objects.iter().position(|o| o.name == name)
            && let Some(fi) = t.focusables.iter().position(|f| *f == Focus::Object(oi))
        {
            t.focus = fi;
        }
    }

    /// The percent box two screen cells span, both cells included.
    fn cells_box(&self, name: &str, a: (u16, u16), b: (u16, u16)) -> Option<RectValue> {
        let g = self.image_geom(name);
        let (_, pa) = self
            .image_at(a.0, a.1)
            .or_else(|| self.image_at_clamped(name, a))?;
        let (_, pb) = self.image_at_clamped(name, b)?;
        let (w, h) = (f64::from(g.width_px.max(1)), f64::from(g.height_px.max(1)));
        let x0 = pa.0.min(pb.0) as f64;
        let x1 = (pa.0.max(pb.0) + 1) as f64;
        let y0 = pa.1.min(pb.1) as f64;
        let y1 = (pa.1.max(pb.1) + 2) as f64;
        let c = |x: f64, y: f64| Cursor::new(x / w * 100.0, y / h * 100.0);
        Some(RectValue::from_corners(c(x0, y0), c(x1, y1)))
    }

    /// [`Self::image_at`] for a cell that may lie outside the picture (a drag that went
    /// past its edge): the nearest cell inside.
    fn image_at_clamped(&self, name: &str, at: (u16, u16)) -> Option<(String, (i64, i64))> {
        let area = *self.annotate.task.as_ref()?.layout.image_area.get(name)?;
        let col = at.0.clamp(area.x, area.x + area.width.saturating_sub(1));
        let row = at.1.clamp(area.y, area.y + area.height.saturating_sub(1));
        self.image_at(col, row)
    }

    fn drag_box(&mut self, name: &str, from: (u16, u16), to: (u16, u16)) -> Vec<Effect> {
        let Some(ctrl) = self.image_control(name, RECT) else {
            self.info("no RectangleLabels/Rectangle control targets this image");
            return Vec::new();
        };
        let Some(rect) = self.cells_box(name, from, to) else {
            return Vec::new();
        };
        let label = self.default_label(&ctrl).unwrap_or_default();
        let value = rect.to_value(LabelChoice::for_control(&ctrl, &label));
        let pane = self.pane_mut(name);
        pane.pointer = Pointer::at(Cursor::new(rect.right(), rect.bottom()));
        pane.boxes.cancel();
        let e = self.add_image_region(&ctrl, name, value);
        self.info(format!("box {label}: a label key relabels it"));
        e
    }

    fn click(&mut self, name: &str, at: (u16, u16)) -> Vec<Effect> {
        let Some(cell) = self.cells_box(name, at, at) else {
            return Vec::new();
        };
        let point = Cursor::new(cell.x + cell.width / 2.0, cell.y + cell.height / 2.0);
        self.pane_mut(name).pointer = Pointer::at(point);
        // The smallest region of mine under the click, a point within its cell.
        let hit = self
            .regions()
            .into_iter()
            .filter(|r| res::to_name(r) == name)
            .filter_map(|r| {
                let v = &r["value"];
                let (x0, y0, x1, y1) = match shape_of(v)? {
                    Shape::Rect => {
                        let b = RectValue::from_value(v)?;
                        (b.x, b.y, b.right(), b.bottom())
                    }
                    Shape::Polygon(_) => {
                        let p = PolygonValue::from_value(v)?;
                        let xs = p.points.iter().map(|c| c.x);
                        let ys = p.points.iter().map(|c| c.y);
                        (
                            xs.clone().fold(f64::MAX, f64::min),
                            ys.clone().fold(f64::MAX, f64::min),
                            xs.fold(f64::MIN, f64::max),
                            ys.fold(f64::MIN, f64::max),
                        )
                    }
                    Shape::Point => {
                        let x = v.get("x").and_then(crate::tui::shared::num)?;
                        let y = v.get("y").and_then(crate::tui::shared::num)?;
                        (
                            x - cell.width,
                            y - cell.height,
                            x + cell.width,
                            y + cell.height,
                        )
                    }
                };
                let inside = point.x >= x0 && point.x <= x1 && point.y >= y0 && point.y <= y1;
                inside.then(|| ((x1 - x0) * (y1 - y0), res::id_of(&r).map(str::to_string)))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .and_then(|(_, id)| id);
        let t = self.annotate.task.as_mut().expect("task");
        t.selected = hit;
        Vec::new()
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn draw_image_pane(
    f: &mut Frame,
    app: &App,
    o: &ObjectTag,
    c: &Content,
    area: Rect,
    title: String,
    focused: bool,
    lay: &mut TaskLayout,
) {
    let th = &app.theme;
    let t = app.annotate.task.as_ref().expect("task");
    let b = block(th, title, focused);
    let inner = b.inner(area);
    f.render_widget(b, area);
    if inner.width < 2 || inner.height < 2 {
        return;
    }
    let Content::Image {
        source,
        raster,
        error,
        ..
    } = c
    else {
        return;
    };
    let src_text = match source {
        Ok(s) => s.describe(),
        Err(_) => String::new(),
    };
    // A line below the picture names the file.
    let pic = Rect {
        height: inner.height - 1,
        ..inner
    };
    let caption = Rect {
        y: inner.y + inner.height - 1,
        height: 1,
        ..inner
    };
    lay.image_wanted
        .insert(o.name.clone(), (pic.width, pic.height));
    let problem = match (source, error) {
        (Err(e), _) => Some(e.clone()),
        (_, Some(e)) => Some(e.clone()),
        _ => None,
    };
    if let Some(p) = problem {
        let msg = format!("▒ image not available ▒\n{}", sanitize(&p, false));
        f.render_widget(
            Paragraph::new(msg)
                .style(th.warn())
                .wrap(Wrap { trim: false }),
            pic,
        );
    } else if let Some(r) = raster
        .as_ref()
        .filter(|r| r.cols == pic.width && r.rows == pic.height)
    {
        lay.image_geom.insert(
            o.name.clone(),
            ImageGeom {
                width_px: r.width,
                height_px: r.height,
                cols: pic.width,
                rows: pic.height,
            },
        );
        let regions: Vec<Overlay> = object_regions(app, &o.name)
            .into_iter()
            .map(|(reg, pred)| Overlay {
                color: region_color(app, &t.config, &reg),
                prediction: pred,
                selected: t
                    .selected
                    .as_deref()
                    .is_some_and(|s| res::id_of(&reg) == Some(s)),
                label: res::labels_of(&reg).join(","),
                score: reg.get("score").and_then(Value::as_f64),
                value: reg["value"].clone(),
            })
            .collect();
        let mut regions = regions;
        let pane = t.image.get(&o.name).cloned().unwrap_or_default();
        let cursor = pane.pointer.cursor;
        let drawing = |value: Value| Overlay {
            color: th.selected_region,
            prediction: false,
            selected: true,
            label: String::new(),
            score: None,
            value,
        };
        if let Some(b) = pane.boxes.preview(cursor) {
            regions.push(drawing(Value::Object(b.to_value(None))));
        }
        if let Some(((fc, fr), (tc, tr))) = pane.drag {
            // The drag's box, as the release will make it.
            let (ox, oy) = crate::tui::image_view::letterbox(pic, r.width, r.height);
            let px = |c: u16| {
                (f64::from(c.saturating_sub(pic.x)) - ox as f64).clamp(0.0, r.width as f64)
            };
            let py = |row: u16| {
                (f64::from(row.saturating_sub(pic.y)) * 2.0 - oy as f64).clamp(0.0, r.height as f64)
            };
            let (w, h) = (r.width.max(1) as f64, r.height.max(1) as f64);
            let a = Cursor::new(px(fc.min(tc)) / w * 100.0, py(fr.min(tr)) / h * 100.0);
            let b = Cursor::new(
                (px(fc.max(tc)) + 1.0) / w * 100.0,
                (py(fr.max(tr)) + 2.0) / h * 100.0,
            );
            regions.push(drawing(Value::Object(
                RectValue::from_corners(a, b).to_value(None),
            )));
        }
        if pane.polygon.is_drawing() {
            let mut open = PolygonValue {
                points: pane.polygon.points().to_vec(),
                closed: false,
            };
            open.points.push(cursor);
            regions.push(drawing(Value::Object(open.to_value(None))));
        }
        lay.image_area.insert(o.name.clone(), pic);
        crate::tui::image_view::render(f.buffer_mut(), pic, r, &regions, th);
        if focused && t.source == super::ViewSource::Mine {
            if pane.jumping > 0 {
                let j = pane.pointer.jump;
                crate::tui::image_view::jump_grid(
                    f.buffer_mut(),
                    pic,
                    r,
                    (j.left, j.top, j.right, j.bottom),
                    &JUMP_KEYS,
                    th,
                );
            }
            crate::tui::image_view::cursor(f.buffer_mut(), pic, r, cursor.x, cursor.y, th);
        }
    } else {
        f.render_widget(Paragraph::new("loading image…").style(th.dim()), pic);
    }
    f.render_widget(
        Paragraph::new(sanitize(&src_text, false)).style(th.dim()),
        caption,
    );
}

/// A region outlined over an image.
pub struct Overlay {
    pub color: Color,
    pub prediction: bool,
    pub selected: bool,
    pub label: String,
    pub score: Option<f64>,
    pub value: Value,
}
