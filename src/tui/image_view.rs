//! Images drawn straight into the ratatui buffer with half blocks: a cell shows two pixels
//! stacked (`▀`, top pixel in front, bottom pixel behind), so it works in any terminal,
//! over SSH, tmux and mosh, and ratatui diffs it like text. Regions are outlined on the
//! same cells: annotations solid, predictions dashed, the selected region in the
//! highlight colour, each with its label. Without colours (`NO_COLOR`) the picture is
//! drawn as grey-level characters.

use super::media::Raster;
use super::screens::annotate::image_pane::Overlay;
use super::theme::{Theme, readable_on};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use serde_json::Value;

const RAMP: &[char] = &[' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];

/// Letterbox offsets of the raster inside `area`: (x cells, y pixels).
fn offsets(area: Rect, r: &Raster) -> (u32, u32) {
    letterbox(area, r.width, r.height)
}

/// Letterbox offsets of a `width` × `height` pixel picture centred in `area`: (x cells,
/// y half-block pixels). The mouse maps cells back to pixels with the same offsets.
pub fn letterbox(area: Rect, width: u32, height: u32) -> (u32, u32) {
    let ox = (area.width as u32).saturating_sub(width) / 2;
    let oy = (area.height as u32 * 2).saturating_sub(height) / 2;
    (ox, oy)
}

/// The drawing cursor: its pixel in the cursor colour, flanked by the pixels beside it
/// so it shows on any picture; `+` without colours.
pub fn cursor(buf: &mut Buffer, area: Rect, r: &Raster, x: f64, y: f64, theme: &Theme) {
    let (ox, oy) = offsets(area, r);
    let px = ((x / 100.0 * r.width as f64).floor() as i64).clamp(0, r.width as i64 - 1);
    let py = ((y / 100.0 * r.height as f64).floor() as i64).clamp(0, r.height as i64 - 1);
    let (cx, cy) = (px + ox as i64, py + oy as i64);
    if theme.mono {
        if cx < area.width as i64 && cy / 2 < area.height as i64 {
            buf[(area.x + cx as u16, area.y + (cy / 2) as u16)].set_symbol("+");
        }
        return;
    }
    let fg = theme.cursor().bg.unwrap_or(Color::White);
    plot(buf, area, cx, cy, fg, theme);
    for (dx, dy) in [(-1, 0), (1, 0)] {
        plot(buf, area, cx + dx, cy + dy, Color::Black, theme);
    }
}

/// The 3 × 3 grid a jump picks from (`left, top, right, bottom` in percent), dotted,
/// with the key of each ninth at its centre when the ninth is wide enough.
pub fn jump_grid(
    buf: &mut Buffer,
    area: Rect,
    r: &Raster,
    bounds: (f64, f64, f64, f64),
    keys: &[char; 9],
    theme: &Theme,
) {
    let (l, t, rt, b) = bounds;
    let color = theme.selected_region;
    let (x0, y0) = to_px(area, r, l, t);
    let (x1, y1) = to_px(area, r, rt, b);
    for i in 0..=3 {
        let x = x0 + (x1 - x0) * i as f64 / 3.0;
        let y = y0 + (y1 - y0) * i as f64 / 3.0;
        let mut yy = y0;
        while yy < y1 {
            plot(buf, area, x.floor() as i64, yy.floor() as i64, color, theme);
            yy += 2.0;
        }
        let mut xx = x0;
        while xx < x1 {
            plot(buf, area, xx.floor() as i64, y.floor() as i64, color, theme);
            xx += 2.0;
        }
    }
    if (x1 - x0) / 3.0 < 3.0 || (y1 - y0) / 3.0 < 2.0 {
        return;
    }
    for (i, k) in keys.iter().enumerate() {
        let (c, rw) = ((i % 3) as f64, (i / 3) as f64);
        let cx = (x0 + (x1 - x0) * (c + 0.5) / 3.0).floor() as i64;
        let cy = ((y0 + (y1 - y0) * (rw + 0.5) / 3.0) / 2.0).floor() as i64;
        if cx >= 0 && cy >= 0 && cx < area.width as i64 && cy < area.height as i64 {
            let style = if theme.mono {
                Style::default().add_modifier(ratatui::style::Modifier::REVERSED)
            } else {
                Style::default().bg(color).fg(readable_on(color))
            };
            buf.set_string(area.x + cx as u16, area.y + cy as u16, k.to_string(), style);
        }
    }
}

pub fn render(buf: &mut Buffer, area: Rect, r: &Raster, regions: &[Overlay], theme: &Theme) {
    let (ox, oy) = offsets(area, r);
    let px = |x: i64, y: i64| -> Option<[u8; 3]> {
        if x < 0 || y < 0 || x >= r.width as i64 || y >= r.height as i64 {
            None
        } else {
            Some(r.at(x as u32, y as u32))
        }
    };
    for cy in 0..area.height {
        for cx in 0..area.width {
            let x = cx as i64 - ox as i64;
            let top = px(x, cy as i64 * 2 - oy as i64);
            let bot = px(x, cy as i64 * 2 + 1 - oy as i64);
            let cell = &mut buf[(area.x + cx, area.y + cy)];
            if theme.mono {
                let l = |p: Option<[u8; 3]>| {
                    p.map(|p| (p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000)
                };
                let lum = match (l(top), l(bot)) {
                    (Some(a), Some(b)) => Some((a + b) / 2),
                    (a, b) => a.or(b),
                };
                cell.set_symbol(
                    &lum.map_or(' ', |v| RAMP[(v as usize * (RAMP.len() - 1)) / 255])
                        .to_string(),
                );
                cell.set_style(Style::default());
                continue;
            }
            match (top, bot) {
                (None, None) => {
                    cell.set_symbol(" ");
                }
                (t, b) => {
                    let c = |p: Option<[u8; 3]>| {
                        p.map_or(Color::Reset, |p| Color::Rgb(p[0], p[1], p[2]))
                    };
                    cell.set_symbol("▀");
                    cell.set_style(Style::default().fg(c(t)).bg(c(b)));
                }
            }
        }
    }
    // Predictions first, then annotations, then the selected region on top.
    let mut order: Vec<&Overlay> = regions
        .iter()
        .filter(|o| o.prediction && !o.selected)
        .collect();
    order.extend(regions.iter().filter(|o| !o.prediction && !o.selected));
    order.extend(regions.iter().filter(|o| o.selected));
    for o in order {
        outline(buf, area, r, o, theme);
    }
}

fn num(v: &Value, k: &str) -> Option<f64> {
    v.get(k)
        .and_then(|x| x.as_f64().or_else(|| x.as_str()?.parse().ok()))
}

/// Percent coordinates → raster pixels (floating), with letterbox offsets.
fn to_px(area: Rect, r: &Raster, x: f64, y: f64) -> (f64, f64) {
    let (ox, oy) = offsets(area, r);
    (
        ox as f64 + x / 100.0 * r.width as f64,
        oy as f64 + y / 100.0 * r.height as f64,
    )
}

fn outline(buf: &mut Buffer, area: Rect, r: &Raster, o: &Overlay, theme: &Theme) {
    let color = if o.selected {
        theme.selected_region
    } else {
        o.color
    };
    let v = &o.value;
    let mut points: Vec<(f64, f64)> = Vec::new();
    let mut closed = true;
    if let (Some(x), Some(y), Some(w), Some(h)) =
        (num(v, "x"), num(v, "y"), num(v, "width"), num(v, "height"))
    {
        let rot = num(v, "rotation").unwrap_or(0.0).to_radians();
        let corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
        // Rotation is about the top-left corner, in image percent space scaled to pixels.
        let sx = r.width as f64 / 100.0;
        let sy = r.height as f64 / 100.0;
        let (x0, y0) = to_px(area, r, x, y);
        for (dx, dy) in corners {
            let (px, py) = (dx * sx, dy * sy);
            points.push((
                x0 + px * rot.cos() - py * rot.sin(),
                y0 + px * rot.sin() + py * rot.cos(),
            ));
        }
    } else if let Some(pts) = v.get("points").and_then(Value::as_array) {
        for p in pts {
            if let Some(a) = p.as_array()
                && a.len() >= 2
                && let (Some(x), Some(y)) = (a[0].as_f64(), a[1].as_f64())
            {
                points.push(to_px(area, r, x, y));
            }
        }
        closed = v.get("closed").and_then(Value::as_bool).unwrap_or(true);
    } else if let (Some(x), Some(y), Some(rx), Some(ry)) = (
        num(v, "x"),
        num(v, "y"),
        num(v, "radiusX"),
        num(v, "radiusY"),
    ) {
        for i in 0..36 {
            let a = i as f64 / 36.0 * std::f64::consts::TAU;
            points.push(to_px(area, r, x + rx * a.cos(), y + ry * a.sin()));
        }
    } else if let (Some(x), Some(y)) = (num(v, "x"), num(v, "y")) {
        let (px, py) = to_px(area, r, x, y);
        let cx = px.floor() as i64;
        let cy = (py / 2.0).floor() as i64;
        if cx >= 0 && cy >= 0 && (cx as u16) < area.width && (cy as u16) < area.height {
            let cell = &mut buf[(area.x + cx as u16, area.y + cy as u16)];
            cell.set_symbol("●");
            cell.set_fg(if theme.mono { Color::Reset } else { color });
        }
        label_chip(buf, area, cx, cy, o, color, theme);
        return;
    } else {
        return;
    }
    if points.len() < 2 {
        return;
    }
    let n = points.len();
    let segs = if closed { n } else { n - 1 };
    let mut step = 0usize;
    for i in 0..segs {
        let (a, b) = (points[i], points[(i + 1) % n]);
        let len = ((b.0 - a.0).abs()).max((b.1 - a.1).abs()).ceil().max(1.0) as usize;
        for s in 0..=len {
            let t = s as f64 / len as f64;
            let x = (a.0 + (b.0 - a.0) * t)
                .floor()
                .min(area.width as f64 - 1.0)
                .max(0.0) as i64;
            let y = (a.1 + (b.1 - a.1) * t)
                .floor()
                .min(area.height as f64 * 2.0 - 1.0)
                .max(0.0) as i64;
            step += 1;
            if o.prediction && !o.selected && (step / 2) % 2 == 1 {
                continue;
            }
            plot(buf, area, x, y, color, theme);
        }
    }
    let (lx, ly) = points
        .iter()
        .fold((f64::MAX, f64::MAX), |(mx, my), (x, y)| {
            (mx.min(*x), my.min(*y))
        });
    label_chip(
        buf,
        area,
        lx.max(0.0) as i64,
        (ly.max(0.0) / 2.0) as i64,
        o,
        color,
        theme,
    );
}

/// Colours one half-block pixel.
fn plot(buf: &mut Buffer, area: Rect, x: i64, y: i64, color: Color, theme: &Theme) {
    if x < 0 || y < 0 || x >= area.width as i64 || y >= area.height as i64 * 2 {
        return;
    }
    let cell = &mut buf[(area.x + x as u16, area.y + (y / 2) as u16)];
    if theme.mono {
        cell.set_symbol("█");
        return;
    }
    if cell.symbol() != "▀" {
        cell.set_symbol("▀");
        cell.set_fg(Color::Reset);
        cell.set_bg(Color::Reset);
    }
    if y % 2 == 0 {
        cell.set_fg(color);
    } else {
        cell.set_bg(color);
    }
}

fn label_chip(
    buf: &mut Buffer,
    area: Rect,
    cx: i64,
    cy: i64,
    o: &Overlay,
    color: Color,
    theme: &Theme,
) {
    let mut text = super::super::util::sanitize(&o.label, false);
    if let Some(s) = o.score {
        text.push_str(&format!(" {s:.2}"));
    }
    if text.is_empty() || cy < 0 || cy >= area.height as i64 {
        return;
    }
    let style = if theme.mono {
        Style::default().add_modifier(ratatui::style::Modifier::REVERSED)
    } else {
        Style::default().bg(color).fg(readable_on(color))
    };
    let x = (cx.max(0) as u16).min(area.width.saturating_sub(1));
    let room = (area.width - x) as usize;
    let shown: String = text.chars().take(room).collect();
    buf.set_string(area.x + x, area.y + cy as u16, shown, style);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn quadrants() -> Raster {
        // 4×4 pixels: red, green / blue, white quadrants.
        let mut pixels = Vec::new();
        for y in 0..4 {
            for x in 0..4 {
                pixels.push(match (x < 2, y < 2) {
                    (true, true) => [255, 0, 0],
                    (false, true) => [0, 255, 0],
                    (true, false) => [0, 0, 255],
                    (false, false) => [255, 255, 255],
                });
            }
        }
        Raster {
            width: 4,
            height: 4,
            orig_width: 4,
            orig_height: 4,
            pixels,
            cols: 4,
            rows: 2,
        }
    }

    #[test]
    fn half_blocks_carry_two_pixels() {
        let r = quadrants();
        let area = Rect::new(0, 0, 4, 2);
        let mut buf = Buffer::empty(area);
        render(&mut buf, area, &r, &[], &Theme::dark());
        let c = &buf[(0, 0)];
        assert_eq!(c.symbol(), "▀");
        assert_eq!(c.fg, Color::Rgb(255, 0, 0));
        assert_eq!(c.bg, Color::Rgb(255, 0, 0));
        assert_eq!(buf[(3, 1)].fg, Color::Rgb(255, 255, 255));
        assert_eq!(buf[(0, 1)].bg, Color::Rgb(0, 0, 255));
    }

    #[test]
    fn boxes_are_outlined_at_half_cell_precision() {
        let r = quadrants();
        let area = Rect::new(0, 0, 4, 2);
        let mut buf = Buffer::empty(area);
        let o = Overlay {
            color: Color::Rgb(1, 2, 3),
            prediction: false,
            selected: false,
            label: String::new(),
            score: None,
            value: json!({"x": 25, "y": 25, "width": 50, "height": 50}),
        };
        render(&mut buf, area, &r, &[o], &Theme::dark());
        // Top edge on pixel row 1 = bottom half of cell row 0.
        assert_eq!(buf[(1, 0)].bg, Color::Rgb(1, 2, 3));
        assert_eq!(
            buf[(1, 0)].fg,
            Color::Rgb(255, 0, 0),
            "top half keeps the image"
        );
        // Bottom edge on pixel row 3 = bottom half of cell row 1.
        assert_eq!(buf[(2, 1)].bg, Color::Rgb(1, 2, 3));
        let mono = Theme::load(None, true).unwrap();
        let mut buf = Buffer::empty(area);
        render(&mut buf, area, &r, &[], &mono);
        assert_ne!(buf[(3, 1)].symbol(), "▀");
    }

    #[test]
    fn the_cursor_marks_the_half_of_the_cell_it_is_in() {
        let r = quadrants();
        let area = Rect::new(0, 0, 4, 2);
        let theme = Theme::dark();
        let mark = theme.cursor().bg.unwrap_or(Color::White);
        // Pixel (1, 0): the upper half of cell (1, 0).
        let mut buf = Buffer::empty(area);
        render(&mut buf, area, &r, &[], &theme);
        cursor(&mut buf, area, &r, 30.0, 10.0, &theme);
        assert_eq!(buf[(1, 0)].fg, mark);
        assert_eq!(
            buf[(1, 0)].bg,
            Color::Rgb(255, 0, 0),
            "lower half keeps the image"
        );
        // Pixel (1, 1): the lower half of the same cell.
        let mut buf = Buffer::empty(area);
        render(&mut buf, area, &r, &[], &theme);
        cursor(&mut buf, area, &r, 30.0, 30.0, &theme);
        assert_eq!(buf[(1, 0)].bg, mark);
        assert_eq!(
            buf[(1, 0)].fg,
            Color::Rgb(255, 0, 0),
            "upper half keeps the image"
        );
        // Letterboxing: a 4 × 4 picture centred in 8 × 4 cells.
        assert_eq!(letterbox(Rect::new(0, 0, 8, 4), 4, 4), (2, 2));
    }
}
