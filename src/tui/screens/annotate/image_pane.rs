//! The image pane: drawing it (the picture, its regions, the cursor, a box being drawn,
//! the jump grid, an open polygon) and what keys and the mouse do on it.

use super::Content;
use super::view::{object_regions, region_color};
use crate::config::{ControlKind, ControlTag, ObjectTag};
use crate::tui::action::Action;
use crate::tui::app::{App, Effect, ImageGeom};
use crate::tui::msg::TaskLayout;
use crate::tui::result as res;
use crate::tui::shared::num;
use crate::tui::widgets::block;
use crate::util::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::{Paragraph, Wrap};
use serde_json::{Map, Value, json};

impl App {
    pub(in crate::tui) fn image_label(
        &mut self,
        _ctrl: &ControlTag,
        _obj: &str,
        key: &str,
    ) -> Vec<Effect> {
        self.info(format!(
            "label {key}: r draws a new box with it, or Tab to a box to relabel"
        ));
        Vec::new()
    }

    pub(in crate::tui) fn image_geom(&self, obj: &str) -> ImageGeom {
        self.task
            .as_ref()
            .and_then(|t| t.layout.image_geom.get(obj).copied())
            .unwrap_or(ImageGeom {
                width_px: 100,
                height_px: 100,
                cols: 100,
                rows: 50,
            })
    }

    pub(in crate::tui) fn image_action(
        &mut self,
        obj: &crate::config::ObjectTag,
        a: Action,
    ) -> Vec<Effect> {
        let t = self.task.as_ref().expect("task");
        let rect_ctrl = t
            .config
            .controls
            .iter()
            .find(|c| {
                matches!(
                    c.kind,
                    ControlKind::RectangleLabels | ControlKind::Rectangle
                ) && c.to_name.contains(&obj.name)
            })
            .cloned();
        if a == Action::NewRect {
            let Some(ctrl) = rect_ctrl else {
                self.info("no RectangleLabels/Rectangle control targets this image");
                return Vec::new();
            };
            let label = t
                .last_label
                .get(&ctrl.name)
                .cloned()
                .or_else(|| ctrl.labels.first().map(|l| l.key.clone()));
            let mut value = Map::new();
            value.insert("x".into(), json!(40.0));
            value.insert("y".into(), json!(40.0));
            value.insert("width".into(), json!(20.0));
            value.insert("height".into(), json!(20.0));
            value.insert("rotation".into(), json!(0));
            if let (Some(k), Some(l)) = (ctrl.value_key(), &label) {
                value.insert(k.to_string(), json!([l]));
            }
            let mut region = res::region(&ctrl, &obj.name, None, value);
            if let Some(Content::Image {
                raster: Some(r), ..
            }) = t.contents.get(&obj.name)
            {
                region["original_width"] = json!(r.orig_width);
                region["original_height"] = json!(r.orig_height);
                region["image_rotation"] = json!(0);
            }
            let id = res::id_of(&region).map(str::to_string);
            let e = self.edit(move |_, r| {
                r.push(region);
                true
            });
            if let Some(t) = &mut self.task {
                t.selected = id;
            }
            self.info(format!(
                "new box{}: hjkl move, HJKL resize, a label key relabels",
                label.map(|l| format!(" ({l})")).unwrap_or_default()
            ));
            return e;
        }
        let Some(id) = t.selected.clone() else {
            if matches!(a, Action::Left | Action::Right | Action::Up | Action::Down) {
                self.info("Tab selects a box, r draws a new one");
            }
            return Vec::new();
        };
        let g = self.image_geom(&obj.name);
        let dx = 100.0 / g.width_px.max(1) as f64;
        let dy = 200.0 / g.height_px.max(1) as f64;
        let (mx, my, mw, mh) = match a {
            Action::Left => (-dx, 0.0, 0.0, 0.0),
            Action::Right => (dx, 0.0, 0.0, 0.0),
            Action::Up => (0.0, -dy, 0.0, 0.0),
            Action::Down => (0.0, dy, 0.0, 0.0),
            Action::GrowWidth => (0.0, 0.0, dx, 0.0),
            Action::ShrinkWidth => (0.0, 0.0, -dx, 0.0),
            Action::GrowHeight => (0.0, 0.0, 0.0, dy),
            Action::ShrinkHeight => (0.0, 0.0, 0.0, -dy),
            _ => return Vec::new(),
        };
        self.edit(move |_, result| {
            let mut changed = false;
            for r in result
                .iter_mut()
                .filter(|r| res::id_of(r) == Some(id.as_str()))
            {
                let v = &mut r["value"];
                let (Some(x), Some(y), Some(w), Some(h)) = (
                    v.get("x").and_then(num),
                    v.get("y").and_then(num),
                    v.get("width").and_then(num),
                    v.get("height").and_then(num),
                ) else {
                    continue;
                };
                let w2 = (w + mw).clamp(dx.min(100.0), 100.0);
                let h2 = (h + mh).clamp(dy.min(100.0), 100.0);
                let x2 = (x + mx).clamp(0.0, 100.0 - w2);
                let y2 = (y + my).clamp(0.0, 100.0 - h2);
                let round = |f: f64| (f * 10000.0).round() / 10000.0;
                v["x"] = json!(round(x2));
                v["y"] = json!(round(y2));
                v["width"] = json!(round(w2));
                v["height"] = json!(round(h2));
                if r.get("origin").and_then(Value::as_str) == Some("prediction") {
                    r["origin"] = json!("prediction-changed");
                }
                changed = true;
            }
            changed
        })
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
    let t = app.task.as_ref().expect("task");
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
        crate::tui::image_view::render(f.buffer_mut(), pic, r, &regions, th);
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
