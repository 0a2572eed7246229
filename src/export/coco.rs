//! COCO and COCO_WITH_IMAGES: `result.json` (ujson, indent 2, ASCII, `\/`) and `images/`.
//!
//! The file lists images, then categories, then annotations. Categories can still grow at
//! the last task (labels missing from the config), so images and annotations are written,
//! already formatted, to two spill files inside the output as they are produced, and
//! `result.json` is assembled from them at the end: memory stays flat however many tasks
//! there are.

use super::categories::{self, Categories};
use super::media::{MediaResolver, image_info};
use super::model::Item;
use super::pyjson::{JsonStyle, write_value};
use super::pyval::{Num, float_value, now_text, obj, round_half_even, truthy};
use super::regions::{
    self, all_regions, for_each_item, image_value, item_error, label_names, media_options,
    need_num, num_field, region_error,
};
use super::{ExportContext, ExportType, Exporter, TaskSource};
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

pub struct CocoExporter(pub ExportType);

/// A JSON array written element by element to a file, each element formatted as it will
/// sit in the final document (`level` = nesting depth of the elements).
pub struct SpillArray {
    path: PathBuf,
    out: BufWriter<std::fs::File>,
    style: JsonStyle,
    level: usize,
    pub count: usize,
    buf: String,
}

impl SpillArray {
    pub fn create(path: PathBuf, style: JsonStyle, level: usize) -> Result<Self> {
        let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        Ok(SpillArray {
            out: BufWriter::with_capacity(1 << 16, file),
            path,
            style,
            level,
            count: 0,
            buf: String::new(),
        })
    }

    pub fn push(&mut self, v: &Value) -> Result<()> {
        self.buf.clear();
        if self.count > 0 {
            self.buf.push(',');
        }
        if let Some(n) = self.style.indent {
            self.buf.push('\n');
            super::pyjson::push_spaces(&mut self.buf, n * self.level);
        } else if self.count > 0 && self.style.python_separators {
            self.buf.push(' ');
        }
        write_value(&mut self.buf, v, &self.style, self.level);
        self.out
            .write_all(self.buf.as_bytes())
            .map_err(|e| Error::io(&self.path, e))?;
        self.count += 1;
        Ok(())
    }

    /// Appends the array (`[...]`) to `w` and removes the spill file.
    pub fn finish_into(mut self, w: &mut dyn Write, target: &Path) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.path, e))?;
        drop(self.out);
        let werr = |e| Error::io(target, e);
        if self.count == 0 {
            w.write_all(b"[]").map_err(werr)?;
        } else {
            w.write_all(b"[").map_err(werr)?;
            let file = std::fs::File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
            let mut r = std::io::BufReader::with_capacity(1 << 16, file);
            loop {
                let chunk = r.fill_buf().map_err(|e| Error::io(&self.path, e))?;
                if chunk.is_empty() {
                    break;
                }
                w.write_all(chunk).map_err(werr)?;
                let n = chunk.len();
                r.consume(n);
            }
            if let Some(n) = self.style.indent {
                w.write_all(b"\n").map_err(werr)?;
                w.write_all(" ".repeat(n * (self.level - 1)).as_bytes())
                    .map_err(werr)?;
            }
            w.write_all(b"]").map_err(werr)?;
        }
        std::fs::remove_file(&self.path).map_err(|e| Error::io(&self.path, e))?;
        Ok(())
    }
}

/// Writes `{"k1": part1, "k2": part2...}` with the parts already rendered (indent 2).
pub enum Part {
    Value(Value),
    Spill(SpillArray),
}

pub fn write_document(target: &Path, parts: Vec<(&str, Part)>, style: &JsonStyle) -> Result<()> {
    let file = std::fs::File::create(target).map_err(|e| Error::io(target, e))?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    let werr = |e| Error::io(target, e);
    w.write_all(b"{").map_err(werr)?;
    let n = parts.len();
    for (i, (key, part)) in parts.into_iter().enumerate() {
        let mut head = String::from("\n  ");
        super::pyjson::escape_str(&mut head, key, style);
        head.push_str(": ");
        w.write_all(head.as_bytes()).map_err(werr)?;
        match part {
            Part::Value(v) => {
                let mut s = String::new();
                write_value(&mut s, &v, style, 1);
                w.write_all(s.as_bytes()).map_err(werr)?;
            }
            Part::Spill(s) => s.finish_into(&mut w, target)?,
        }
        if i + 1 < n {
            w.write_all(b",").map_err(werr)?;
        }
    }
    w.write_all(b"\n}").map_err(werr)?;
    w.flush().map_err(werr)?;
    Ok(())
}

/// `Converter.rotated_rectangle`: the axis-aligned envelope of the box rotated clockwise
/// about its top-left corner, in percent units. `None` without x/y/width/height.
pub fn rotated_rectangle(x: f64, y: f64, w: f64, h: f64, r: f64) -> (f64, f64, f64, f64) {
    // Python's `abs(r) > 0` (false for NaN too).
    if r.abs().partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return (x, y, w, h);
    }
    use std::f64::consts::PI;
    // The converter divides h by w (and fails when w is 0); atan2 gives the same angle for
    // w > 0 only up to rounding, so it is used just for w == 0.
    let alpha = if w == 0.0 { h.atan2(w) } else { (h / w).atan() };
    let beta = PI * (r / 180.0);
    let radius = ((w / 2.0).powi(2) + (h / 2.0).powi(2)).sqrt();
    let x0 = x - radius * ((PI - alpha - beta).cos() - (PI - alpha).cos()) + w / 2.0;
    let y0 = y + radius * ((PI - alpha - beta).sin() - (PI - alpha).sin()) + h / 2.0;
    let t = [
        alpha + beta,
        PI - alpha + beta,
        PI + alpha + beta,
        2.0 * PI - alpha + beta,
    ];
    let xs = t.map(|t| x0 + radius * t.cos());
    let ys = t.map(|t| y0 + radius * t.sin());
    let min = |a: [f64; 4]| a.into_iter().fold(f64::INFINITY, py_min);
    let max = |a: [f64; 4]| a.into_iter().fold(f64::NEG_INFINITY, py_max);
    let (nx, ny) = (min(xs), min(ys));
    (nx, ny, max(xs) - nx, max(ys) - ny)
}

fn py_min(a: f64, b: f64) -> f64 {
    if b < a { b } else { a }
}

fn py_max(a: f64, b: f64) -> f64 {
    if b > a { b } else { a }
}

/// numpy's `dot` of two float64 vectors as OpenBLAS computes it on x86-64 (Haswell and
/// later kernels): blocks of 16 go to 16 fused multiply-add lanes that are summed pairwise at
/// the end, the remainder is added one product at a time. The last bit of polygon areas
/// depends on this order.
pub fn blas_dot(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    let n1 = n & !15;
    let mut dot = 0.0;
    if n1 > 0 {
        let mut acc = [0.0f64; 16];
        for b in (0..n1).step_by(16) {
            for k in 0..16 {
                acc[k] = x[b + k].mul_add(y[b + k], acc[k]);
            }
        }
        let a = acc;
        let p = [
            (a[0] + a[2], a[1] + a[3]),
            (a[4] + a[6], a[5] + a[7]),
            (a[8] + a[10], a[9] + a[11]),
            (a[12] + a[14], a[13] + a[15]),
        ];
        let q4 = (p[0].0 + p[1].0, p[0].1 + p[1].1);
        let q6 = (p[2].0 + p[3].0, p[2].1 + p[3].1);
        let r = (q4.0 + q6.0, q4.1 + q6.1);
        dot = r.0 + r.1;
    }
    for i in n1..n {
        dot += y[i] * x[i];
    }
    dot
}

/// `get_polygon_area`: shoelace through numpy (`0.5 * |x·roll(y) − y·roll(x)|`).
pub fn polygon_area(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    if n == 0 {
        return 0.0;
    }
    let roll = |v: &[f64]| -> Vec<f64> {
        let mut r = Vec::with_capacity(n);
        r.push(v[n - 1]);
        r.extend_from_slice(&v[..n - 1]);
        r
    };
    let a = blas_dot(x, &roll(y));
    let b = blas_dot(y, &roll(x));
    0.5 * (a - b).abs()
}

struct Coco<'a> {
    ctx: &'a ExportContext<'a>,
    data_key: String,
    cats: Categories,
    kp_order: Vec<String>,
    images: SpillArray,
    annotations: SpillArray,
    media: MediaResolver<'a>,
}

fn image_entry(width: &Value, height: &Value, id: usize, file_name: &str) -> Value {
    obj([
        ("width", width.clone()),
        ("height", height.clone()),
        ("id", Value::from(id)),
        ("file_name", Value::from(file_name)),
    ])
}

impl Coco<'_> {
    fn item(&mut self, item: Item, base: Option<&Path>) -> Result<()> {
        let value = image_value(&item, &self.data_key)?;
        let Some(value) = value.as_str() else {
            return Err(item_error(
                &item,
                format!(
                    "\"{}\" is {}, not an image path or URL",
                    self.data_key,
                    super::pyval::py_str(value)
                ),
            ));
        };
        let image_id = self.images.count;
        let resolved = self
            .media
            .resolve(&super::pyval::py_str(&item.id), value, base)?;
        let image_path = resolved.name.clone();
        // The size in effect for this item: the image's, else the first categorised region's.
        let mut width = Value::Null;
        let mut height = Value::Null;
        if let Some(info) = resolved.file.as_deref().and_then(image_info) {
            width = Value::from(info.width);
            height = Value::from(info.height);
            self.images
                .push(&image_entry(&width, &height, image_id, &image_path))?;
        }
        if item.output.is_empty() {
            if !truthy(Some(&width)) {
                self.images
                    .push(&image_entry(&width, &height, image_id, &image_path))?;
            }
            return Ok(());
        }
        let mut keypoints: Vec<(&str, &Map<String, Value>)> = Vec::new();
        for (from_name, label) in all_regions(&item) {
            let mut category_name = None;
            for key in [
                "rectanglelabels",
                "polygonlabels",
                "keypointlabels",
                "labels",
            ] {
                if let Some(names) = label_names(&item, from_name, label, key)? {
                    category_name = Some(names[0]);
                    break;
                }
            }
            let Some(category_name) = category_name else {
                continue;
            };
            if !truthy(Some(&height)) || !truthy(Some(&width)) {
                let (Some(ow), Some(oh)) =
                    (label.get("original_width"), label.get("original_height"))
                else {
                    continue;
                };
                width = ow.clone();
                height = oh.clone();
                self.images
                    .push(&image_entry(&width, &height, image_id, &image_path))?;
            }
            let category_id = self.cats.id_for(category_name);
            let annotation_id = self.annotations.count;
            if label.contains_key("rectanglelabels") || label.contains_key("labels") {
                let get = |k| num_field(&item, from_name, label, k);
                let (Some(x), Some(y), Some(w), Some(h)) =
                    (get("x")?, get("y")?, get("width")?, get("height")?)
                else {
                    continue;
                };
                let r = get("rotation")?.map_or(0.0, Num::f);
                let (x, y, w, h) = rotated_rectangle(x.f(), y.f(), w.f(), h.f(), r);
                // The region's own size; without one, the image's (the converter fails here).
                let size = |k: &str, fallback: &Value| -> Result<f64> {
                    match num_field(&item, from_name, label, k)? {
                        Some(n) => Ok(n.f()),
                        None => Num::of(fallback).map(Num::f).ok_or_else(|| {
                            region_error(
                                &item,
                                from_name,
                                label,
                                format!("rectangle has no \"{k}\" and the image size is unknown"),
                            )
                        }),
                    }
                };
                let ow = size("original_width", &width)?;
                let oh = size("original_height", &height)?;
                let (x, y, w, h) = (
                    x * ow / 100.0,
                    y * oh / 100.0,
                    w * ow / 100.0,
                    h * oh / 100.0,
                );
                self.annotations.push(&obj([
                    ("id", Value::from(annotation_id)),
                    ("image_id", Value::from(image_id)),
                    ("category_id", Value::from(category_id)),
                    ("segmentation", Value::Array(Vec::new())),
                    (
                        "bbox",
                        Value::Array(vec![
                            float_value(x),
                            float_value(y),
                            float_value(w),
                            float_value(h),
                        ]),
                    ),
                    ("ignore", Value::from(0)),
                    ("iscrowd", Value::from(0)),
                    ("area", float_value(w * h)),
                ]))?;
            } else if label.contains_key("polygonlabels") {
                let (w, h) = match (Num::of(&width), Num::of(&height)) {
                    (Some(w), Some(h)) => (w.f(), h.f()),
                    _ => {
                        return Err(region_error(
                            &item,
                            from_name,
                            label,
                            "image size is not a number",
                        ));
                    }
                };
                let points = polygon_points(&item, from_name, label)?;
                let xs: Vec<f64> = points.iter().map(|p| p.0 / 100.0 * w).collect();
                let ys: Vec<f64> = points.iter().map(|p| p.1 / 100.0 * h).collect();
                let segmentation: Vec<Value> = xs
                    .iter()
                    .zip(&ys)
                    .flat_map(|(x, y)| [float_value(*x), float_value(*y)])
                    .collect();
                let minx = xs.iter().copied().reduce(py_min).unwrap_or(0.0);
                let miny = ys.iter().copied().reduce(py_min).unwrap_or(0.0);
                let maxx = xs.iter().copied().reduce(py_max).unwrap_or(0.0);
                let maxy = ys.iter().copied().reduce(py_max).unwrap_or(0.0);
                self.annotations.push(&obj([
                    ("id", Value::from(annotation_id)),
                    ("image_id", Value::from(image_id)),
                    ("category_id", Value::from(category_id)),
                    (
                        "segmentation",
                        Value::Array(vec![Value::Array(segmentation)]),
                    ),
                    (
                        "bbox",
                        Value::Array(vec![
                            float_value(minx),
                            float_value(miny),
                            float_value(maxx - minx),
                            float_value(maxy - miny),
                        ]),
                    ),
                    ("ignore", Value::from(0)),
                    ("iscrowd", Value::from(0)),
                    ("area", float_value(polygon_area(&xs, &ys))),
                ]))?;
            } else {
                keypoints.push((from_name, label));
            }
        }
        if !keypoints.is_empty() && !self.kp_order.is_empty() {
            let ann = self.keypoint_annotation(&item, &keypoints, image_id, &width, &height)?;
            self.annotations.push(&ann)?;
        }
        Ok(())
    }

    /// All keypoints of an item as one annotation, in `model_index` order.
    fn keypoint_annotation(
        &self,
        item: &Item,
        kps: &[(&str, &Map<String, Value>)],
        image_id: usize,
        width: &Value,
        height: &Value,
    ) -> Result<Value> {
        let order = &self.kp_order;
        let mut k = vec![0i64; order.len() * 3];
        for (from_name, kp) in kps {
            let size = |key: &str, fallback: &Value| -> Result<f64> {
                match num_field(item, from_name, kp, key)? {
                    Some(n) => Ok(n.f()),
                    None => Num::of(fallback).map(Num::f).ok_or_else(|| {
                        region_error(
                            item,
                            from_name,
                            kp,
                            format!("keypoint has no \"{key}\" and the image size is unknown"),
                        )
                    }),
                }
            };
            let w = size("original_width", width)?;
            let h = size("original_height", height)?;
            let x = need_num(item, from_name, kp, "x", "keypoint")?.f() / 100.0 * w;
            let y = need_num(item, from_name, kp, "y", "keypoint")?.f() / 100.0 * h;
            let labels = label_names(item, from_name, kp, "keypointlabels")?.unwrap_or_default();
            let v = if labels.is_empty() { 0 } else { 2 };
            for l in labels {
                if let Some(idx) = order.iter().position(|o| o == l) {
                    let to_int = |f: f64| {
                        super::pyval::int_trunc(round_half_even(f)).ok_or_else(|| {
                            region_error(item, from_name, kp, "keypoint position is not finite")
                        })
                    };
                    k[3 * idx] = to_int(x)?;
                    k[3 * idx + 1] = to_int(y)?;
                    k[3 * idx + 2] = v;
                }
            }
        }
        let visible: Vec<usize> = (0..order.len()).filter(|i| k[3 * i + 2] > 0).collect();
        let bbox = if visible.is_empty() {
            vec![0, 0, 0, 0]
        } else {
            let xs: Vec<i64> = visible.iter().map(|i| k[3 * i]).collect();
            let ys: Vec<i64> = visible.iter().map(|i| k[3 * i + 1]).collect();
            let (x0, x1) = (
                *xs.iter().min().unwrap_or(&0),
                *xs.iter().max().unwrap_or(&0),
            );
            let (y0, y1) = (
                *ys.iter().min().unwrap_or(&0),
                *ys.iter().max().unwrap_or(&0),
            );
            vec![x0, y0, x1 - x0, y1 - y0]
        };
        let category_id = self.cats.ids.get(&order[0]).copied().unwrap_or(0);
        Ok(obj([
            ("id", Value::from(self.annotations.count)),
            ("image_id", Value::from(image_id)),
            ("category_id", Value::from(category_id)),
            ("keypoints", Value::from(k)),
            ("num_keypoints", Value::from(visible.len())),
            ("bbox", Value::from(bbox)),
            ("iscrowd", Value::from(0)),
        ]))
    }
}

/// A polygon's `points` as (x, y) percent pairs.
pub fn polygon_points(
    item: &Item,
    from_name: &str,
    region: &Map<String, Value>,
) -> Result<Vec<(f64, f64)>> {
    let bad = |m: &str| region_error(item, from_name, region, m);
    let Some(points) = region.get("points") else {
        return Err(bad("polygon has no \"points\""));
    };
    let Some(points) = points.as_array() else {
        return Err(bad("polygon \"points\" is not a list"));
    };
    if points.is_empty() {
        return Err(bad("polygon has no points"));
    }
    points
        .iter()
        .map(|p| match p.as_array().map(Vec::as_slice) {
            Some([x, y]) => match (Num::of(x), Num::of(y)) {
                (Some(x), Some(y)) => Ok((x.f(), y.f())),
                _ => Err(bad("polygon point is not a pair of numbers")),
            },
            _ => Err(bad("polygon point is not a pair of numbers")),
        })
        .collect()
}

impl Exporter for CocoExporter {
    fn export_type(&self) -> ExportType {
        self.0
    }

    fn write(&self, ctx: &ExportContext, tasks: &mut dyn TaskSource, out_dir: &Path) -> Result<()> {
        let with_images = self.0 == ExportType::CocoWithImages;
        regions::make_dir(&out_dir.join("images"))?;
        let mo = media_options(ctx);
        let style = JsonStyle::ujson(Some(2), true);
        let mut coco = Coco {
            ctx,
            data_key: regions::data_key(ctx)?,
            cats: categories::for_coco(ctx.config),
            kp_order: categories::keypoint_order(ctx.config),
            images: SpillArray::create(out_dir.join(".images.part"), style, 2)?,
            annotations: SpillArray::create(out_dir.join(".annotations.part"), style, 2)?,
            media: MediaResolver::new(
                ctx,
                out_dir,
                with_images,
                with_images && mo.download_resources,
            ),
        };
        let _ = coco.ctx;
        for_each_item(ctx, tasks, &mut |item, base| coco.item(item, base))?;
        let (year, date) = now_text();
        let info = obj([
            ("year", Value::from(year)),
            ("version", Value::from("1.0")),
            ("description", Value::from("")),
            ("contributor", Value::from("Label Studio")),
            ("url", Value::from("")),
            ("date_created", Value::from(date)),
        ]);
        let Coco {
            cats,
            images,
            annotations,
            ..
        } = coco;
        write_document(
            &out_dir.join("result.json"),
            vec![
                ("images", Part::Spill(images)),
                ("categories", Part::Value(cats.to_value())),
                ("annotations", Part::Spill(annotations)),
                ("info", Part::Value(info)),
            ],
            &style,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_in_percent_space() {
        // image_bbox golden: x=50 y=10 w=20 h=15 rotation 30 on 64x48.
        let (x, y, w, h) = rotated_rectangle(50.0, 10.0, 20.0, 15.0, 30.0);
        assert_eq!(w * 64.0 / 100.0, 15.885125168440817);
        assert_eq!(h * 48.0 / 100.0, 11.035382907247959);
        assert_eq!(x * 64.0 / 100.0, 27.2);
        assert_eq!(y * 48.0 / 100.0, 4.8);
        // A zero-width box the converter cannot rotate (division by zero).
        let (_, _, w, h) = rotated_rectangle(10.0, 10.0, 0.0, 20.0, 90.0);
        assert!((w - 20.0).abs() < 1e-9 && h.abs() < 1e-9);
    }

    #[test]
    fn shoelace_like_numpy() {
        let xs = [0.0, 4.0, 4.0, 0.0];
        let ys = [0.0, 0.0, 3.0, 3.0];
        assert_eq!(polygon_area(&xs, &ys), 12.0);
        // Areas numpy 2.2.6 (OpenBLAS 0.3.29, x86-64) computed for random polygons of 3 to
        // 50 points (tests/fixtures/make_image_fixtures.py): exact to the last bit.
        let text = include_str!("../../tests/fixtures/image_fixtures.json");
        let v: Value = serde_json::from_str(text).unwrap();
        let polys = v["polygons"].as_array().unwrap();
        assert!(polys.len() >= 80);
        let nums = |a: &Value| -> Vec<f64> {
            a.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        };
        for (i, p) in polys.iter().enumerate() {
            let (xs, ys) = (nums(&p["x"]), nums(&p["y"]));
            assert_eq!(
                polygon_area(&xs, &ys),
                p["area"].as_f64().unwrap(),
                "polygon {i} ({} points)",
                xs.len()
            );
        }
    }
}
