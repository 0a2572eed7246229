//! Drawing image regions by keyboard, without a terminal: a cursor in percent of the
//! image that moves by drawn pixels, by tenths of the image or by keynav-style jumps;
//! tools that turn cursor positions into Label Studio's rectangle, polygon and keypoint
//! values (spec §3.2); edits of existing shapes; and the whole result item (spec §3.1).
//!
//! The image pane draws a picture with half blocks: one terminal column is one drawn
//! pixel across and one terminal row is two drawn pixels down, so the finest vertical
//! step is half a cell. [`Grid`] knows that mapping; everything else works in percent.

use crate::config::ControlTag;
use serde_json::{Map, Value, json};

/// A direction of movement on the image (screen directions: `Up` lowers `y`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Left,
    Right,
    Up,
    Down,
}

impl Dir {
    pub fn axis(self) -> Axis {
        match self {
            Dir::Left | Dir::Right => Axis::X,
            Dir::Up | Dir::Down => Axis::Y,
        }
    }

    /// -1 toward the left/top, +1 toward the right/bottom.
    pub fn sign(self) -> f64 {
        match self {
            Dir::Left | Dir::Up => -1.0,
            Dir::Right | Dir::Down => 1.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    X,
    Y,
}

/// How far one movement key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// One drawn pixel: a column across, half a cell down.
    Fine,
    /// About a tenth of the image, a whole number of drawn pixels.
    Coarse,
}

/// A terminal cell of the drawn image, and which half of it (half blocks stack two
/// pixels in a cell).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellPos {
    pub col: u32,
    pub row: u32,
    pub lower_half: bool,
}

/// How the image is drawn: its size in terminal cells and drawn pixels, and the size of
/// the original image (what `original_width`/`original_height` report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    cols: u32,
    pixel_rows: u32,
    img_w: u32,
    img_h: u32,
}

impl Grid {
    /// An image that fills `cols` × `rows` cells, two drawn pixels per cell down.
    pub fn new(cols: u16, rows: u16, img_w: u32, img_h: u32) -> Grid {
        Grid {
            cols: u32::from(cols).max(1),
            pixel_rows: (u32::from(rows) * 2).max(1),
            img_w,
            img_h,
        }
    }

    /// From the raster as drawn: `width_px` columns and `height_px` half-block pixels
    /// (an odd pixel count leaves the last row's lower half empty).
    pub fn from_drawn(width_px: u32, height_px: u32, img_w: u32, img_h: u32) -> Grid {
        Grid {
            cols: width_px.max(1),
            pixel_rows: height_px.max(1),
            img_w,
            img_h,
        }
    }

    /// Terminal columns the drawn image covers.
    pub fn cols(&self) -> u32 {
        self.cols
    }

    /// Terminal rows the drawn image covers.
    pub fn rows(&self) -> u32 {
        self.pixel_rows.div_ceil(2)
    }

    /// Drawn pixels down (two per terminal row).
    pub fn pixel_rows(&self) -> u32 {
        self.pixel_rows
    }

    pub fn img_w(&self) -> u32 {
        self.img_w
    }

    pub fn img_h(&self) -> u32 {
        self.img_h
    }

    /// The original size when known (both sides non-zero).
    pub fn original_size(&self) -> Option<(u32, u32)> {
        (self.img_w > 0 && self.img_h > 0).then_some((self.img_w, self.img_h))
    }

    fn pixels(&self, axis: Axis) -> u32 {
        match axis {
            Axis::X => self.cols,
            Axis::Y => self.pixel_rows,
        }
    }

    /// One drawn pixel, in percent of the image.
    pub fn fine(&self, axis: Axis) -> f64 {
        100.0 / self.pixels(axis) as f64
    }

    /// A tenth of the image rounded to whole drawn pixels (at least one), so fine and
    /// coarse moves stay on the same pixel grid.
    pub fn coarse(&self, axis: Axis) -> f64 {
        let px = (self.pixels(axis) as f64 / 10.0).round().max(1.0);
        px * self.fine(axis)
    }

    pub fn step(&self, axis: Axis, step: Step) -> f64 {
        match step {
            Step::Fine => self.fine(axis),
            Step::Coarse => self.coarse(axis),
        }
    }

    /// The drawn pixel a point falls in (the right and bottom edges belong to the last).
    pub fn pixel_at(&self, x: f64, y: f64) -> (u32, u32) {
        let at = |p: f64, n: u32| ((clamp_pct(p) / 100.0 * n as f64).floor() as u32).min(n - 1);
        (at(x, self.cols), at(y, self.pixel_rows))
    }

    /// The cell (and half of it) a point falls in, relative to the drawn image's top-left.
    pub fn cell_at(&self, x: f64, y: f64) -> CellPos {
        let (px, py) = self.pixel_at(x, y);
        CellPos {
            col: px,
            row: py / 2,
            lower_half: py % 2 == 1,
        }
    }

    /// The top-left corner of a drawn pixel, in percent.
    pub fn percent_of_pixel(&self, px: u32, py: u32) -> (f64, f64) {
        (
            clamp_pct(px as f64 * self.fine(Axis::X)),
            clamp_pct(py as f64 * self.fine(Axis::Y)),
        )
    }

    /// The top-left corner of a terminal cell, in percent.
    pub fn percent_of_cell(&self, col: u32, row: u32) -> (f64, f64) {
        self.percent_of_pixel(col, row * 2)
    }
}

fn clamp_pct(v: f64) -> f64 {
    if v.is_nan() { 0.0 } else { v.clamp(0.0, 100.0) }
}

/// Values are written with four decimals, as the annotator has always written boxes.
fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// A point on the image in percent, always inside `[0, 100]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub x: f64,
    pub y: f64,
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor::centre()
    }
}

impl Cursor {
    pub fn new(x: f64, y: f64) -> Cursor {
        Cursor {
            x: clamp_pct(x),
            y: clamp_pct(y),
        }
    }

    /// Where a fresh task puts the cursor: the middle of the image.
    pub fn centre() -> Cursor {
        Cursor { x: 50.0, y: 50.0 }
    }

    /// Moved `count` steps (a count of 0 counts as 1, as in vi).
    pub fn moved(self, grid: &Grid, dir: Dir, step: Step, count: u32) -> Cursor {
        let d = dir.sign() * grid.step(dir.axis(), step) * count.max(1) as f64;
        match dir.axis() {
            Axis::X => Cursor::new(self.x + d, self.y),
            Axis::Y => Cursor::new(self.x, self.y + d),
        }
    }

    /// On the image's edge in that direction (vi `0`/`$`, `gg`/`G`).
    pub fn to_edge(self, dir: Dir) -> Cursor {
        match dir {
            Dir::Left => Cursor::new(0.0, self.y),
            Dir::Right => Cursor::new(100.0, self.y),
            Dir::Up => Cursor::new(self.x, 0.0),
            Dir::Down => Cursor::new(self.x, 100.0),
        }
    }
}

/// One cell of the 3 × 3 grid a jump picks from (keynav's `cell-select`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    TopLeft,
    Top,
    TopRight,
    Left,
    Centre,
    Right,
    BottomLeft,
    Bottom,
    BottomRight,
}

impl Cell {
    pub const ALL: [Cell; 9] = [
        Cell::TopLeft,
        Cell::Top,
        Cell::TopRight,
        Cell::Left,
        Cell::Centre,
        Cell::Right,
        Cell::BottomLeft,
        Cell::Bottom,
        Cell::BottomRight,
    ];

    /// Column and row, each 0..3.
    pub fn col_row(self) -> (u8, u8) {
        let i = Cell::ALL.iter().position(|c| *c == self).unwrap_or(4) as u8;
        (i % 3, i / 3)
    }

    pub fn at(col: u8, row: u8) -> Option<Cell> {
        (col < 3 && row < 3).then(|| Cell::ALL[(row * 3 + col) as usize])
    }
}

/// The area a keynav-style jump still chooses from, in percent. The cursor sits at its
/// centre; each key keeps a half (`cut`) or a ninth (`select`) of it, so a point is
/// found in a logarithmic number of keys whatever the image size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jump {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl Default for Jump {
    fn default() -> Self {
        Jump::whole()
    }
}

impl Jump {
    pub fn whole() -> Jump {
        Jump {
            left: 0.0,
            top: 0.0,
            right: 100.0,
            bottom: 100.0,
        }
    }

    pub fn centre(&self) -> Cursor {
        Cursor::new(
            (self.left + self.right) / 2.0,
            (self.top + self.bottom) / 2.0,
        )
    }

    /// Keeps the half of the area toward `dir` (keynav `cut-left` and so on).
    pub fn cut(&mut self, dir: Dir) -> Cursor {
        let mx = (self.left + self.right) / 2.0;
        let my = (self.top + self.bottom) / 2.0;
        match dir {
            Dir::Left => self.right = mx,
            Dir::Right => self.left = mx,
            Dir::Up => self.bottom = my,
            Dir::Down => self.top = my,
        }
        self.centre()
    }

    /// Keeps one ninth of the area.
    pub fn select(&mut self, cell: Cell) -> Cursor {
        let (c, r) = cell.col_row();
        let w = (self.right - self.left) / 3.0;
        let h = (self.bottom - self.top) / 3.0;
        self.left += w * c as f64;
        self.right = self.left + w;
        self.top += h * r as f64;
        self.bottom = self.top + h;
        self.centre()
    }
}

/// What one key does to the cursor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PointerAction {
    /// `count` steps in a direction (`5l`).
    Move(Dir, Step, u32),
    /// To the image edge in a direction.
    Edge(Dir),
    /// Starts a jump over the whole image (the cursor goes to its centre).
    JumpBegin,
    /// Jump: keep half of the area.
    Cut(Dir),
    /// Jump: keep a ninth of the area.
    Select(Cell),
}

impl PointerAction {
    /// Key presses the action takes: the count's digits (when above 1), then the key.
    pub fn keys(&self) -> usize {
        match self {
            PointerAction::Move(_, _, n) if *n > 1 => n.to_string().len() + 1,
            _ => 1,
        }
    }
}

/// The cursor of an image pane and the jump it is in, shared by every drawing tool.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pointer {
    pub cursor: Cursor,
    pub jump: Jump,
}

impl Pointer {
    pub fn at(cursor: Cursor) -> Pointer {
        Pointer {
            cursor,
            jump: Jump::whole(),
        }
    }

    pub fn apply(&mut self, grid: &Grid, action: PointerAction) {
        match action {
            PointerAction::Move(dir, step, n) => {
                self.cursor = self.cursor.moved(grid, dir, step, n);
            }
            PointerAction::Edge(dir) => self.cursor = self.cursor.to_edge(dir),
            PointerAction::JumpBegin => {
                self.jump = Jump::whole();
                self.cursor = self.jump.centre();
            }
            PointerAction::Cut(dir) => self.cursor = self.jump.cut(dir),
            PointerAction::Select(cell) => self.cursor = self.jump.select(cell),
        }
    }
}

/// The labels a new region carries: the key under `value` (`rectanglelabels`,
/// `polygonlabels`...) and the chosen label's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelChoice<'a> {
    pub key: &'a str,
    pub label: &'a str,
}

impl<'a> LabelChoice<'a> {
    /// For a labels control; `None` for a bare tool (`Rectangle`, `Polygon`), whose
    /// results carry no labels.
    pub fn for_control(ctrl: &'a ControlTag, label: &'a str) -> Option<LabelChoice<'a>> {
        ctrl.value_key().map(|key| LabelChoice { key, label })
    }

    fn write_into(self, value: &mut Map<String, Value>) {
        value.insert(self.key.to_string(), json!([self.label]));
    }
}

fn num(v: &Value, k: &str) -> Option<f64> {
    crate::annotate::region::num(v.get(k)?)
}

/// An axis-aligned rectangle in percent, top-left corner first, sides non-negative.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RectValue {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Which part of a box a resize key moves. Keys cycle through them in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Handle {
    #[default]
    BottomRight,
    Bottom,
    BottomLeft,
    Left,
    TopLeft,
    Top,
    TopRight,
    Right,
}

impl Handle {
    const CYCLE: [Handle; 8] = [
        Handle::BottomRight,
        Handle::Bottom,
        Handle::BottomLeft,
        Handle::Left,
        Handle::TopLeft,
        Handle::Top,
        Handle::TopRight,
        Handle::Right,
    ];

    pub fn next(self) -> Handle {
        let i = Handle::CYCLE.iter().position(|h| *h == self).unwrap_or(0);
        Handle::CYCLE[(i + 1) % Handle::CYCLE.len()]
    }

    pub fn prev(self) -> Handle {
        let i = Handle::CYCLE.iter().position(|h| *h == self).unwrap_or(0);
        Handle::CYCLE[(i + Handle::CYCLE.len() - 1) % Handle::CYCLE.len()]
    }

    /// The vertical edge it moves, if any: `Some(false)` left, `Some(true)` right.
    fn x_edge(self) -> Option<bool> {
        match self {
            Handle::Left | Handle::TopLeft | Handle::BottomLeft => Some(false),
            Handle::Right | Handle::TopRight | Handle::BottomRight => Some(true),
            Handle::Top | Handle::Bottom => None,
        }
    }

    /// The horizontal edge it moves, if any: `Some(false)` top, `Some(true)` bottom.
    fn y_edge(self) -> Option<bool> {
        match self {
            Handle::Top | Handle::TopLeft | Handle::TopRight => Some(false),
            Handle::Bottom | Handle::BottomLeft | Handle::BottomRight => Some(true),
            Handle::Left | Handle::Right => None,
        }
    }
}

impl RectValue {
    /// The box two opposite corners span, whichever way it was drawn.
    pub fn from_corners(a: Cursor, b: Cursor) -> RectValue {
        RectValue {
            x: a.x.min(b.x),
            y: a.y.min(b.y),
            width: (a.x - b.x).abs(),
            height: (a.y - b.y).abs(),
        }
    }

    /// Reads `x`, `y`, `width`, `height` from a rectangle value (numbers or numeric
    /// strings); a negative side is turned around. `rotation` is not read: edits write
    /// back only these four fields, so a rotated box keeps its angle about its corner.
    pub fn from_value(value: &Value) -> Option<RectValue> {
        let (x, y, w, h) = (
            num(value, "x")?,
            num(value, "y")?,
            num(value, "width")?,
            num(value, "height")?,
        );
        Some(RectValue::from_corners(
            Cursor { x, y },
            Cursor { x: x + w, y: y + h },
        ))
    }

    pub fn right(&self) -> f64 {
        self.x + self.width
    }

    pub fn bottom(&self) -> f64 {
        self.y + self.height
    }

    /// Label Studio's rectangle value: `{x, y, width, height, rotation: 0}` plus the label.
    pub fn to_value(&self, label: Option<LabelChoice>) -> Map<String, Value> {
        let mut m = Map::new();
        self.write_geometry(&mut m);
        m.insert("rotation".into(), json!(0));
        if let Some(l) = label {
            l.write_into(&mut m);
        }
        m
    }

    /// Writes the four geometry fields into an existing value, keeping everything else
    /// (labels, rotation).
    pub fn write_geometry(&self, value: &mut Map<String, Value>) {
        value.insert("x".into(), json!(round4(self.x)));
        value.insert("y".into(), json!(round4(self.y)));
        value.insert("width".into(), json!(round4(self.width)));
        value.insert("height".into(), json!(round4(self.height)));
    }

    /// Moved by `count` steps, stopping at the image's edge with its size kept.
    pub fn moved(self, grid: &Grid, dir: Dir, step: Step, count: u32) -> RectValue {
        let d = dir.sign() * grid.step(dir.axis(), step) * count.max(1) as f64;
        let mut r = self;
        match dir.axis() {
            Axis::X => r.x = (r.x + d).clamp(0.0, (100.0 - r.width).max(0.0)),
            Axis::Y => r.y = (r.y + d).clamp(0.0, (100.0 - r.height).max(0.0)),
        }
        r
    }

    /// One edge or corner moved by `count` steps. A direction across the handle's edges
    /// does nothing (`Top` only moves up and down). Edges stay inside the image and at
    /// least one drawn pixel apart, so a box never turns inside out.
    pub fn resized(
        self,
        grid: &Grid,
        handle: Handle,
        dir: Dir,
        step: Step,
        count: u32,
    ) -> RectValue {
        let axis = dir.axis();
        let edge = match axis {
            Axis::X => handle.x_edge(),
            Axis::Y => handle.y_edge(),
        };
        let Some(far) = edge else {
            return self;
        };
        let d = dir.sign() * grid.step(axis, step) * count.max(1) as f64;
        let min = grid.fine(axis);
        let (lo, hi) = match axis {
            Axis::X => (self.x, self.right()),
            Axis::Y => (self.y, self.bottom()),
        };
        let (lo, hi) = if far {
            (lo, (hi + d).clamp((lo + min).min(100.0), 100.0))
        } else {
            ((lo + d).clamp(0.0, (hi - min).max(0.0)), hi)
        };
        let mut r = self;
        match axis {
            Axis::X => {
                r.x = lo;
                r.width = hi - lo;
            }
            Axis::Y => {
                r.y = lo;
                r.height = hi - lo;
            }
        }
        r
    }

    /// Whether every side is within `tolerance` percentage points of another box's.
    pub fn within(&self, other: &RectValue, tolerance: f64) -> bool {
        (self.x - other.x).abs() <= tolerance
            && (self.y - other.y).abs() <= tolerance
            && (self.width - other.width).abs() <= tolerance
            && (self.height - other.height).abs() <= tolerance
    }
}

/// What the movement keys do to a selected box: move it whole, or move one edge or
/// corner. One key cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BoxEdit {
    #[default]
    Move,
    Resize(Handle),
}

impl BoxEdit {
    /// Move → every handle from the bottom-right corner round → Move.
    pub fn cycle(self) -> BoxEdit {
        match self {
            BoxEdit::Move => BoxEdit::Resize(Handle::default()),
            BoxEdit::Resize(h) if h.next() == Handle::default() => BoxEdit::Move,
            BoxEdit::Resize(h) => BoxEdit::Resize(h.next()),
        }
    }

    pub fn apply(
        self,
        rect: RectValue,
        grid: &Grid,
        dir: Dir,
        step: Step,
        count: u32,
    ) -> RectValue {
        match self {
            BoxEdit::Move => rect.moved(grid, dir, step, count),
            BoxEdit::Resize(h) => rect.resized(grid, h, dir, step, count),
        }
    }
}

/// Drawing a new box: idle, then anchored at one corner while the cursor is the other.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BoxTool {
    anchor: Option<Cursor>,
}

/// One key of box drawing, as data (what a key sequence is made of).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BoxAction {
    Pointer(PointerAction),
    /// Anchors a corner at the cursor.
    Start,
    /// Ends the box (the label key does it, so it names the label too).
    Finish,
}

impl BoxAction {
    pub fn keys(&self) -> usize {
        match self {
            BoxAction::Pointer(p) => p.keys(),
            BoxAction::Start | BoxAction::Finish => 1,
        }
    }
}

impl BoxTool {
    pub fn anchor(&self) -> Option<Cursor> {
        self.anchor
    }

    pub fn is_drawing(&self) -> bool {
        self.anchor.is_some()
    }

    /// Anchors a corner at the cursor (again, if already drawing).
    pub fn start(&mut self, at: Cursor) {
        self.anchor = Some(at);
    }

    pub fn cancel(&mut self) {
        self.anchor = None;
    }

    /// The box as it would be finished now (the opposite corner follows the cursor).
    pub fn preview(&self, cursor: Cursor) -> Option<RectValue> {
        self.anchor.map(|a| RectValue::from_corners(a, cursor))
    }

    /// Ends the box at the cursor. `None`, and still drawing, when not anchored or when
    /// the box would have no area (the cursor on the anchor's row or column).
    pub fn finish(&mut self, cursor: Cursor) -> Option<RectValue> {
        let r = self.preview(cursor)?;
        if r.width <= 0.0 || r.height <= 0.0 {
            return None;
        }
        self.anchor = None;
        Some(r)
    }

    /// [`finish`](Self::finish) as Label Studio's rectangle value with the label.
    pub fn finish_value(
        &mut self,
        cursor: Cursor,
        label: Option<LabelChoice>,
    ) -> Option<Map<String, Value>> {
        self.finish(cursor).map(|r| r.to_value(label))
    }

    /// Runs one key of a sequence; returns the box when it finishes one.
    pub fn apply(
        &mut self,
        pointer: &mut Pointer,
        grid: &Grid,
        action: BoxAction,
    ) -> Option<RectValue> {
        match action {
            BoxAction::Pointer(p) => {
                pointer.apply(grid, p);
                None
            }
            BoxAction::Start => {
                self.start(pointer.cursor);
                None
            }
            BoxAction::Finish => self.finish(pointer.cursor),
        }
    }
}

/// A polygon's vertices in percent and whether it is closed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolygonValue {
    pub points: Vec<Cursor>,
    pub closed: bool,
}

impl PolygonValue {
    /// Reads `points: [[x, y], ...]`; `closed` defaults to true, as the frontend reads it.
    pub fn from_value(value: &Value) -> Option<PolygonValue> {
        let pts = value.get("points")?.as_array()?;
        let mut points = Vec::with_capacity(pts.len());
        for p in pts {
            let a = p.as_array()?;
            let x = crate::annotate::region::num(a.first()?)?;
            let y = crate::annotate::region::num(a.get(1)?)?;
            points.push(Cursor::new(x, y));
        }
        Some(PolygonValue {
            points,
            closed: value.get("closed").and_then(Value::as_bool).unwrap_or(true),
        })
    }

    /// Label Studio's polygon value: `{points: [[x, y], ...], closed}` plus the label.
    pub fn to_value(&self, label: Option<LabelChoice>) -> Map<String, Value> {
        let mut m = Map::new();
        self.write_geometry(&mut m);
        if let Some(l) = label {
            l.write_into(&mut m);
        }
        m
    }

    pub fn write_geometry(&self, value: &mut Map<String, Value>) {
        let pts: Vec<Value> = self
            .points
            .iter()
            .map(|p| json!([round4(p.x), round4(p.y)]))
            .collect();
        value.insert("points".into(), Value::Array(pts));
        value.insert("closed".into(), json!(self.closed));
    }

    /// One vertex moved by `count` steps (inside the image); false when there is no
    /// such vertex.
    pub fn move_vertex(
        &mut self,
        index: usize,
        grid: &Grid,
        dir: Dir,
        step: Step,
        count: u32,
    ) -> bool {
        match self.points.get_mut(index) {
            Some(p) => {
                *p = p.moved(grid, dir, step, count);
                true
            }
            None => false,
        }
    }

    /// The whole polygon moved by `count` steps, stopping where its first vertex would
    /// leave the image, so its shape is kept.
    pub fn moved(&self, grid: &Grid, dir: Dir, step: Step, count: u32) -> PolygonValue {
        let want = dir.sign() * grid.step(dir.axis(), step) * count.max(1) as f64;
        let coord = |p: &Cursor| match dir.axis() {
            Axis::X => p.x,
            Axis::Y => p.y,
        };
        let lo = self.points.iter().map(coord).fold(f64::INFINITY, f64::min);
        let hi = self
            .points
            .iter()
            .map(coord)
            .fold(f64::NEG_INFINITY, f64::max);
        let d = if self.points.is_empty() {
            0.0
        } else {
            want.clamp(-lo, 100.0 - hi)
        };
        let points = self
            .points
            .iter()
            .map(|p| match dir.axis() {
                Axis::X => Cursor::new(p.x + d, p.y),
                Axis::Y => Cursor::new(p.x, p.y + d),
            })
            .collect();
        PolygonValue {
            points,
            closed: self.closed,
        }
    }

    /// The vertex after `index`, going round.
    pub fn next_vertex(&self, index: usize) -> usize {
        if self.points.is_empty() {
            0
        } else {
            (index + 1) % self.points.len()
        }
    }
}

/// Drawing a new polygon: points are added at the cursor, then it is closed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolygonTool {
    points: Vec<Cursor>,
}

impl PolygonTool {
    pub fn points(&self) -> &[Cursor] {
        &self.points
    }

    pub fn is_drawing(&self) -> bool {
        !self.points.is_empty()
    }

    /// Adds a vertex at the cursor; a vertex on the last one is not added again.
    pub fn add(&mut self, at: Cursor) -> bool {
        if self.points.last() == Some(&at) {
            return false;
        }
        self.points.push(at);
        true
    }

    pub fn remove_last(&mut self) -> Option<Cursor> {
        self.points.pop()
    }

    pub fn cancel(&mut self) {
        self.points.clear();
    }

    /// A polygon needs three distinct vertices (Label Studio's schema asks for three).
    pub fn can_close(&self) -> bool {
        let mut distinct: Vec<Cursor> = Vec::new();
        for p in &self.points {
            if !distinct.contains(p) {
                distinct.push(*p);
            }
        }
        distinct.len() >= 3
    }

    /// Closes the polygon; `None`, with the points kept, when it cannot close yet.
    pub fn close(&mut self) -> Option<PolygonValue> {
        if !self.can_close() {
            return None;
        }
        Some(PolygonValue {
            points: std::mem::take(&mut self.points),
            closed: true,
        })
    }

    /// [`close`](Self::close) as Label Studio's polygon value with the label.
    pub fn close_value(&mut self, label: Option<LabelChoice>) -> Option<Map<String, Value>> {
        self.close().map(|p| p.to_value(label))
    }
}

/// The `strokeWidth` of a KeyPoint/KeyPointLabels control in image pixels (default 1).
pub fn keypoint_stroke(ctrl: &ControlTag) -> f64 {
    ctrl.attr("strokeWidth")
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|w| w.is_finite() && *w > 0.0)
        .unwrap_or(1.0)
}

/// Label Studio's keypoint value `{x, y, width}` plus the label. `width` is the point's
/// size: the control's stroke width in pixels, in percent of the image width (of the
/// original image when its size is known, else of the drawn one).
pub fn keypoint_value(
    at: Cursor,
    grid: &Grid,
    stroke_px: f64,
    label: Option<LabelChoice>,
) -> Map<String, Value> {
    let across = if grid.img_w() > 0 {
        grid.img_w()
    } else {
        grid.cols()
    };
    let mut m = Map::new();
    m.insert("x".into(), json!(round4(at.x)));
    m.insert("y".into(), json!(round4(at.y)));
    m.insert(
        "width".into(),
        json!(round4(stroke_px * 100.0 / across as f64)),
    );
    if let Some(l) = label {
        l.write_into(&mut m);
    }
    m
}

/// A fresh region id, as Label Studio makes them (one generator for every region).
pub use super::region::new_id as new_region_id;

/// The whole result item for an image region: `{id, from_name, to_name, type, value,
/// origin: "manual"}` plus `original_width`, `original_height` and `image_rotation: 0`
/// when the image size is known.
pub fn image_region(
    ctrl: &ControlTag,
    to_name: &str,
    id: Option<String>,
    value: Map<String, Value>,
    original: Option<(u32, u32)>,
) -> Value {
    let mut r = super::region::region(ctrl, to_name, id, value);
    if let Some((w, h)) = original {
        r["original_width"] = json!(w);
        r["original_height"] = json!(h);
        r["image_rotation"] = json!(0);
    }
    r
}

/// Changes a result's value in place (its geometry, say), marking a prediction's region
/// as changed. False when the result has no object value.
pub fn edit_value(region: &mut Value, edit: impl FnOnce(&mut Map<String, Value>)) -> bool {
    let Some(v) = region.get_mut("value").and_then(Value::as_object_mut) else {
        return false;
    };
    edit(v);
    if region.get("origin").and_then(Value::as_str) == Some("prediction") {
        region["origin"] = json!("prediction-changed");
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LabelConfig;

    fn grid() -> Grid {
        // An 80-column pane, 24 rows: 80 × 48 drawn pixels, of a 640 × 480 photo.
        Grid::new(80, 24, 640, 480)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn steps_follow_the_half_block_drawing() {
        let g = grid();
        assert!(close(g.fine(Axis::X), 1.25));
        // Two pixels per row: a fine vertical step is half a cell.
        assert!(close(g.fine(Axis::Y), 100.0 / 48.0));
        assert!(close(g.coarse(Axis::X), 10.0));
        assert!(close(g.coarse(Axis::Y), 5.0 * 100.0 / 48.0));
        // A tiny picture still moves a whole pixel per coarse step.
        let tiny = Grid::new(4, 1, 4, 2);
        assert!(close(tiny.coarse(Axis::X), 25.0));
        assert!(close(tiny.coarse(Axis::Y), 50.0));
        // An odd number of drawn pixels down.
        let odd = Grid::from_drawn(30, 7, 300, 70);
        assert_eq!(odd.rows(), 4);
        assert!(close(odd.fine(Axis::Y), 100.0 / 7.0));
    }

    #[test]
    fn cells_and_percent_convert_both_ways() {
        let g = grid();
        assert_eq!(
            g.cell_at(0.0, 0.0),
            CellPos {
                col: 0,
                row: 0,
                lower_half: false
            }
        );
        let c = g.cell_at(50.0, 50.0);
        assert_eq!((c.col, c.row, c.lower_half), (40, 12, false));
        let c = g.cell_at(50.0, 50.0 + g.fine(Axis::Y));
        assert_eq!((c.col, c.row, c.lower_half), (40, 12, true));
        // The far edges belong to the last cell.
        let c = g.cell_at(100.0, 100.0);
        assert_eq!((c.col, c.row, c.lower_half), (79, 23, true));
        for col in [0, 1, 39, 79] {
            for row in [0, 5, 23] {
                let (x, y) = g.percent_of_cell(col, row);
                let back = g.cell_at(x, y);
                assert_eq!((back.col, back.row, back.lower_half), (col, row, false));
            }
        }
        assert_eq!(g.percent_of_cell(40, 12), (50.0, 50.0));
    }

    #[test]
    fn the_cursor_moves_by_steps_and_counts_and_stays_inside() {
        let g = grid();
        let c = Cursor::centre();
        let c2 = c.moved(&g, Dir::Right, Step::Fine, 5);
        assert!(close(c2.x, 56.25) && close(c2.y, 50.0));
        let c3 = c.moved(&g, Dir::Up, Step::Fine, 0);
        assert!(close(c3.y, 50.0 - 100.0 / 48.0));
        let c4 = c.moved(&g, Dir::Left, Step::Coarse, 3);
        assert!(close(c4.x, 20.0));
        let c5 = c.moved(&g, Dir::Down, Step::Coarse, 99);
        assert_eq!(c5.y, 100.0);
        assert_eq!(c.moved(&g, Dir::Left, Step::Coarse, 99).x, 0.0);
        assert_eq!(c.to_edge(Dir::Right), Cursor { x: 100.0, y: 50.0 });
        assert_eq!(c.to_edge(Dir::Up), Cursor { x: 50.0, y: 0.0 });
        assert_eq!(Cursor::new(-3.0, 140.0), Cursor { x: 0.0, y: 100.0 });
    }

    #[test]
    fn jumps_halve_or_split_in_nine() {
        let mut j = Jump::whole();
        assert_eq!(j.cut(Dir::Left), Cursor { x: 25.0, y: 50.0 });
        assert_eq!(j.cut(Dir::Down), Cursor { x: 25.0, y: 75.0 });
        assert_eq!(j.cut(Dir::Right), Cursor { x: 37.5, y: 75.0 });
        // Five cuts per axis find any point within 100 / 64 percent.
        for target in [0.0, 3.3, 49.0, 77.7, 100.0] {
            let mut j = Jump::whole();
            let mut at = j.centre();
            for _ in 0..5 {
                at = j.cut(if target < at.x { Dir::Left } else { Dir::Right });
                at = j.cut(if target < at.y { Dir::Up } else { Dir::Down });
            }
            assert!((at.x - target).abs() <= 100.0 / 64.0, "{target}: {at:?}");
            assert!((at.y - target).abs() <= 100.0 / 64.0, "{target}: {at:?}");
        }
        let mut j = Jump::whole();
        let c = j.select(Cell::BottomRight);
        assert!(close(c.x, 500.0 / 6.0) && close(c.y, 500.0 / 6.0));
        let c = j.select(Cell::TopLeft);
        assert!(close(c.x, 200.0 / 3.0 + 100.0 / 18.0));
        assert_eq!(Cell::at(2, 0), Some(Cell::TopRight));
        assert_eq!(Cell::at(3, 0), None);
        for cell in Cell::ALL {
            let (c, r) = cell.col_row();
            assert_eq!(Cell::at(c, r), Some(cell));
        }
    }

    #[test]
    fn a_box_is_drawn_from_the_cursor_either_way_and_normalised() {
        let g = grid();
        let mut p = Pointer::at(Cursor::new(60.0, 40.0));
        let mut tool = BoxTool::default();
        assert!(tool.finish(p.cursor).is_none(), "not anchored");
        tool.start(p.cursor);
        assert!(tool.finish(p.cursor).is_none(), "no area");
        assert!(tool.is_drawing());
        p.apply(&g, PointerAction::Move(Dir::Left, Step::Coarse, 2));
        p.apply(&g, PointerAction::Move(Dir::Up, Step::Fine, 3));
        let preview = tool.preview(p.cursor).unwrap();
        assert!(close(preview.x, 40.0) && close(preview.width, 20.0));
        let value = tool
            .finish_value(
                p.cursor,
                Some(LabelChoice {
                    key: "rectanglelabels",
                    label: "Car",
                }),
            )
            .unwrap();
        assert!(!tool.is_drawing());
        assert_eq!(
            Value::Object(value),
            json!({"x": 40.0, "y": 33.75, "width": 20.0, "height": 6.25, "rotation": 0,
                   "rectanglelabels": ["Car"]})
        );
    }

    #[test]
    fn boxes_move_and_resize_inside_the_image() {
        let g = grid();
        let r = RectValue {
            x: 10.0,
            y: 10.0,
            width: 20.0,
            height: 20.0,
        };
        let m = r.moved(&g, Dir::Left, Step::Coarse, 5);
        assert_eq!((m.x, m.width), (0.0, 20.0));
        let m = r.moved(&g, Dir::Down, Step::Coarse, 50);
        assert_eq!((m.y, m.height), (80.0, 20.0));
        // Bottom-right corner: right edge out, bottom edge in.
        let h = Handle::default();
        let s = r.resized(&g, h, Dir::Right, Step::Fine, 4);
        assert!(close(s.x, 10.0) && close(s.width, 25.0));
        let s = s.resized(&g, h, Dir::Up, Step::Coarse, 1);
        assert!(close(s.y, 10.0) && close(s.height, 20.0 - g.coarse(Axis::Y)));
        // An edge handle ignores the other axis.
        assert_eq!(r.resized(&g, Handle::Top, Dir::Left, Step::Coarse, 1), r);
        // The left edge grows out to the image edge and no further.
        let s = r.resized(&g, Handle::Left, Dir::Left, Step::Coarse, 9);
        assert_eq!((s.x, s.right()), (0.0, 30.0));
        // Shrinking stops one drawn pixel short of the opposite edge.
        let s = r.resized(&g, Handle::Left, Dir::Right, Step::Coarse, 9);
        assert!(close(s.width, g.fine(Axis::X)) && close(s.right(), 30.0));
        let s = r.resized(&g, Handle::Bottom, Dir::Up, Step::Coarse, 9);
        assert!(close(s.height, g.fine(Axis::Y)) && close(s.y, 10.0));
        // The handle key goes round all eight.
        let mut h = Handle::default();
        for _ in 0..8 {
            h = h.next();
        }
        assert_eq!(h, Handle::default());
        assert_eq!(Handle::BottomRight.prev(), Handle::Right);
        assert_eq!(Handle::Right.next(), Handle::BottomRight);
    }

    #[test]
    fn the_edit_key_cycles_move_and_every_handle() {
        let g = grid();
        let r = RectValue {
            x: 10.0,
            y: 10.0,
            width: 20.0,
            height: 20.0,
        };
        let mut e = BoxEdit::default();
        assert_eq!(e.apply(r, &g, Dir::Right, Step::Coarse, 1).x, 20.0);
        let mut seen = Vec::new();
        for _ in 0..9 {
            e = e.cycle();
            seen.push(e);
        }
        assert_eq!(seen[0], BoxEdit::Resize(Handle::BottomRight));
        assert_eq!(seen[7], BoxEdit::Resize(Handle::Right));
        assert_eq!(seen[8], BoxEdit::Move);
        let grown = seen[3].apply(r, &g, Dir::Left, Step::Coarse, 1);
        assert_eq!(seen[3], BoxEdit::Resize(Handle::Left));
        assert_eq!((grown.x, grown.right()), (0.0, 30.0));
    }

    #[test]
    fn an_existing_region_is_edited_in_place() {
        let mut region = json!({"id": "a", "from_name": "l", "to_name": "img", "type": "rectanglelabels",
            "origin": "prediction",
            "value": {"x": "10", "y": 20, "width": -5, "height": 10, "rotation": 0, "rectanglelabels": ["A"]}});
        let r = RectValue::from_value(&region["value"]).unwrap();
        assert_eq!(
            r,
            RectValue {
                x: 5.0,
                y: 20.0,
                width: 5.0,
                height: 10.0
            }
        );
        let moved = r.moved(&grid(), Dir::Right, Step::Fine, 2);
        assert!(edit_value(&mut region, |v| moved.write_geometry(v)));
        assert_eq!(region["value"]["x"], json!(7.5));
        assert_eq!(region["value"]["rectanglelabels"], json!(["A"]));
        assert_eq!(region["origin"], "prediction-changed");
        assert!(!edit_value(&mut json!({"id": "b"}), |_| {}));
    }

    /// Box keys for a target: a jump to each corner, four ninths deep (each corner then
    /// lies within 100 / 162 percent of the target's), between the anchor and the label.
    /// A target narrower than the deepest ninth would put both corners on one line, so
    /// the far corner takes the next ninth over on that axis.
    fn fit_keys(target: &RectValue) -> Vec<BoxAction> {
        let cells = |tx: f64, ty: f64| {
            let mut j = Jump::whole();
            let mut picked = Vec::new();
            for _ in 0..4 {
                let col = (((tx - j.left) / (j.right - j.left) * 3.0).floor() as u8).min(2);
                let row = (((ty - j.top) / (j.bottom - j.top) * 3.0).floor() as u8).min(2);
                j.select(Cell::at(col, row).unwrap());
                picked.push((col, row));
            }
            picked
        };
        let first = cells(target.x, target.y);
        let mut second = cells(target.right(), target.bottom());
        let same_col = first.iter().zip(&second).all(|(a, b)| a.0 == b.0);
        let same_row = first.iter().zip(&second).all(|(a, b)| a.1 == b.1);
        let other = |i: u8| if i < 2 { i + 1 } else { i - 1 };
        if let Some(last) = second.last_mut() {
            if same_col {
                last.0 = other(last.0);
            }
            if same_row {
                last.1 = other(last.1);
            }
        }
        let mut keys = Vec::new();
        for (picked, end) in [(first, BoxAction::Start), (second, BoxAction::Finish)] {
            keys.push(BoxAction::Pointer(PointerAction::JumpBegin));
            for (col, row) in picked {
                let cell = Cell::at(col, row).unwrap();
                keys.push(BoxAction::Pointer(PointerAction::Select(cell)));
            }
            keys.push(end);
        }
        keys
    }

    fn run(keys: &[BoxAction]) -> Option<RectValue> {
        let g = grid();
        let mut pointer = Pointer::default();
        let mut tool = BoxTool::default();
        let mut done = None;
        for k in keys {
            if let Some(r) = tool.apply(&mut pointer, &g, *k) {
                done = Some(r);
            }
        }
        done
    }

    #[test]
    fn a_box_fits_a_target_within_two_percent_in_twelve_keys() {
        use BoxAction::{Finish, Pointer as P, Start};
        use Cell::*;
        use PointerAction::{JumpBegin, Select};
        let t = |x, y, width, height| RectValue {
            x,
            y,
            width,
            height,
        };
        // Key sequences as a user types them: `;` begins a jump, a cell key keeps that
        // ninth, `v` anchors, the label key finishes.
        let cases: Vec<(RectValue, Vec<BoxAction>)> = vec![
            // Top-left corner of the image.
            (
                t(0.0, 0.0, 30.0, 20.0),
                vec![
                    P(JumpBegin),
                    P(Select(TopLeft)),
                    P(Select(TopLeft)),
                    P(Select(TopLeft)),
                    P(Select(TopLeft)),
                    Start,
                    P(JumpBegin),
                    P(Select(TopLeft)),
                    P(Select(Right)),
                    P(Select(BottomRight)),
                    P(Select(Left)),
                    Finish,
                ],
            ),
            // Bottom-right corner of the image.
            (
                t(72.0, 81.0, 28.0, 19.0),
                vec![
                    P(JumpBegin),
                    P(Select(BottomRight)),
                    P(Select(Left)),
                    P(Select(Top)),
                    P(Select(Bottom)),
                    Start,
                    P(JumpBegin),
                    P(Select(BottomRight)),
                    P(Select(BottomRight)),
                    P(Select(BottomRight)),
                    P(Select(BottomRight)),
                    Finish,
                ],
            ),
            // Centre.
            (
                t(40.0, 40.0, 20.0, 20.0),
                vec![
                    P(JumpBegin),
                    P(Select(Centre)),
                    P(Select(TopLeft)),
                    P(Select(Centre)),
                    P(Select(BottomRight)),
                    Start,
                    P(JumpBegin),
                    P(Select(Centre)),
                    P(Select(BottomRight)),
                    P(Select(Centre)),
                    P(Select(TopLeft)),
                    Finish,
                ],
            ),
            // Tiny box, two by one and a half percent.
            (
                t(62.0, 27.0, 2.0, 1.5),
                vec![
                    P(JumpBegin),
                    P(Select(Top)),
                    P(Select(BottomRight)),
                    P(Select(Centre)),
                    P(Select(TopRight)),
                    Start,
                    P(JumpBegin),
                    P(Select(Top)),
                    P(Select(BottomRight)),
                    P(Select(Right)),
                    P(Select(BottomLeft)),
                    Finish,
                ],
            ),
            // Near-full box.
            (
                t(1.0, 1.5, 98.0, 97.0),
                vec![
                    P(JumpBegin),
                    P(Select(TopLeft)),
                    P(Select(TopLeft)),
                    P(Select(TopLeft)),
                    P(Select(Left)),
                    Start,
                    P(JumpBegin),
                    P(Select(BottomRight)),
                    P(Select(BottomRight)),
                    P(Select(BottomRight)),
                    P(Select(Right)),
                    Finish,
                ],
            ),
        ];
        for (target, keys) in &cases {
            let count: usize = keys.iter().map(BoxAction::keys).sum();
            assert!(count <= 12, "{target:?}: {count} keys");
            let got = run(keys).expect("a box");
            assert!(got.within(target, 2.0), "{target:?}: got {got:?}");
            assert_eq!(
                keys,
                &fit_keys(target),
                "the written keys are the planned ones"
            );
        }
        // The same plan fits any target, tiny and full ones included: every corner lands
        // within 100 / 162 percent, so a side is off by at most 100 / 81 (a target
        // narrower than that gets a box one ninth wide, within 2 all the same).
        let mut targets = vec![
            t(0.0, 0.0, 100.0, 100.0),
            t(50.0, 50.0, 1.0, 1.0),
            t(98.5, 0.0, 1.5, 1.5),
            t(33.3, 66.7, 0.5, 0.5),
        ];
        for i in 0..=20 {
            for k in 0..=20 {
                let (x, y) = (i as f64 * 4.7 % 100.0, k as f64 * 4.9 % 100.0);
                let (w, h) = (
                    (100.0 - x) * (k as f64 / 20.0),
                    (100.0 - y) * (i as f64 / 20.0),
                );
                targets.push(t(x, y, w.max(0.5), h.max(0.5)));
            }
        }
        for target in targets {
            let target = t(
                target.x,
                target.y,
                target.width.min(100.0 - target.x),
                target.height.min(100.0 - target.y),
            );
            if target.width <= 0.0 || target.height <= 0.0 {
                continue;
            }
            let keys = fit_keys(&target);
            assert!(keys.iter().map(BoxAction::keys).sum::<usize>() <= 12);
            let got = run(&keys).expect("a box");
            let bound = if target.width.min(target.height) >= 100.0 / 81.0 {
                100.0 / 81.0 + 1e-9
            } else {
                2.0
            };
            assert!(got.within(&target, bound), "{target:?}: got {got:?}");
        }
    }

    #[test]
    fn count_prefixes_are_keys_too() {
        assert_eq!(PointerAction::Move(Dir::Left, Step::Fine, 1).keys(), 1);
        assert_eq!(PointerAction::Move(Dir::Left, Step::Fine, 5).keys(), 2);
        assert_eq!(PointerAction::Move(Dir::Left, Step::Coarse, 12).keys(), 3);
        // Steps alone reach a corner of the image from a fresh cursor in four keys.
        let g = grid();
        let mut p = Pointer::default();
        for a in [
            PointerAction::Move(Dir::Left, Step::Coarse, 5),
            PointerAction::Move(Dir::Up, Step::Coarse, 9),
        ] {
            p.apply(&g, a);
        }
        assert_eq!(p.cursor, Cursor { x: 0.0, y: 0.0 });
    }

    #[test]
    fn polygons_need_three_points_and_close() {
        let g = grid();
        let mut tool = PolygonTool::default();
        let mut p = Pointer::default();
        assert!(tool.add(p.cursor));
        assert!(!tool.add(p.cursor), "the same point twice");
        p.apply(&g, PointerAction::Move(Dir::Right, Step::Coarse, 2));
        tool.add(p.cursor);
        assert!(!tool.can_close());
        assert!(tool.close().is_none());
        assert_eq!(tool.points().len(), 2, "kept after a refused close");
        p.apply(&g, PointerAction::Move(Dir::Down, Step::Fine, 6));
        tool.add(p.cursor);
        p.apply(&g, PointerAction::Move(Dir::Left, Step::Fine, 1));
        tool.add(p.cursor);
        assert_eq!(tool.remove_last(), Some(p.cursor));
        let value = tool
            .close_value(Some(LabelChoice {
                key: "polygonlabels",
                label: "Roof",
            }))
            .unwrap();
        assert!(!tool.is_drawing());
        assert_eq!(
            Value::Object(value.clone()),
            json!({"points": [[50.0, 50.0], [70.0, 50.0], [70.0, 62.5]], "closed": true,
                   "polygonlabels": ["Roof"]})
        );
        let mut poly = PolygonValue::from_value(&Value::Object(value)).unwrap();
        assert!(poly.closed);
        assert!(poly.move_vertex(2, &g, Dir::Up, Step::Coarse, 1));
        assert!(close(poly.points[2].y, 62.5 - g.coarse(Axis::Y)));
        assert!(!poly.move_vertex(3, &g, Dir::Up, Step::Fine, 1));
        assert_eq!(poly.next_vertex(2), 0);
        // Moving the whole polygon keeps its shape at the image edge.
        let shifted = poly.moved(&g, Dir::Right, Step::Coarse, 5);
        assert!(close(shifted.points[1].x, 100.0) && close(shifted.points[0].x, 80.0));
        assert_eq!(shifted.points[0].y, poly.points[0].y);

        // Three points on one spot are not a polygon.
        let mut same = PolygonTool::default();
        same.add(Cursor::centre());
        same.add(Cursor::new(10.0, 10.0));
        same.add(Cursor::centre());
        assert!(!same.can_close());
    }

    #[test]
    fn keypoints_and_whole_result_items() {
        let config = LabelConfig::parse(
            r#"<View><Image name="img" value="$image"/>
            <KeyPointLabels name="kp" toName="img" strokeWidth="4"><Label value="Nose"/></KeyPointLabels>
            <Polygon name="poly" toName="img"/></View>"#,
        )
        .unwrap();
        let kp = config.control("kp").unwrap();
        assert_eq!(keypoint_stroke(kp), 4.0);
        let g = grid();
        let value = keypoint_value(
            Cursor::new(12.5, 80.0),
            &g,
            keypoint_stroke(kp),
            LabelChoice::for_control(kp, "Nose"),
        );
        assert_eq!(
            Value::Object(value.clone()),
            json!({"x": 12.5, "y": 80.0, "width": 0.625, "keypointlabels": ["Nose"]})
        );
        let item = image_region(kp, "img", None, value, g.original_size());
        assert_eq!(item["type"], "keypointlabels");
        assert_eq!(item["from_name"], "kp");
        assert_eq!(item["to_name"], "img");
        assert_eq!(item["origin"], "manual");
        assert_eq!(item["original_width"], 640);
        assert_eq!(item["original_height"], 480);
        assert_eq!(item["image_rotation"], 0);
        let id = item["id"].as_str().unwrap();
        assert_eq!(id.len(), 10);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        );
        // A bare tool carries no labels; without a known size the siblings are left out.
        let poly = config.control("poly").unwrap();
        assert!(LabelChoice::for_control(poly, "x").is_none());
        let mut tool = PolygonTool::default();
        for (x, y) in [(10.0, 10.0), (20.0, 10.0), (15.0, 20.0)] {
            tool.add(Cursor::new(x, y));
        }
        let item = image_region(
            poly,
            "img",
            Some("p1".into()),
            tool.close_value(None).unwrap(),
            Grid::new(10, 5, 0, 0).original_size(),
        );
        assert_eq!(item["type"], "polygon");
        assert_eq!(item["id"], "p1");
        assert!(item.get("original_width").is_none());
        let result = Value::Array(vec![
            item,
            image_region(
                kp,
                "img",
                None,
                keypoint_value(
                    Cursor::centre(),
                    &g,
                    1.0,
                    LabelChoice::for_control(kp, "Nose"),
                ),
                g.original_size(),
            ),
        ]);
        assert!(crate::task::check::check_result(&config, &result).is_empty());
        assert_ne!(new_region_id(), new_region_id());
    }
}
