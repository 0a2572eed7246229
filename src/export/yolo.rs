//! YOLO, YOLO_OBB and their `_WITH_IMAGES` variants: `classes.txt`, `notes.json`,
//! `images/` and one `labels/<image name>.txt` per image.
//!
//! Label files are written as items arrive (newest annotation first), each item rewriting
//! its image's file, so the oldest annotation's lines are what remains, as with the
//! converter. Nothing but the categories is held between tasks.

use super::categories::{self, Categories};
use super::media::MediaResolver;
use super::model::Item;
use super::pyjson::{Exponent, JsonStyle, dumps, float_repr};
use super::pyval::{Num, basename, first_chars, now_text, obj, py_str, strip_ext};
use super::regions::{
    self, all_regions, for_each_item, image_value, item_error, label_names, media_options,
    num_field, region_error,
};
use super::{ExportContext, ExportType, Exporter, TaskSource};
use crate::error::{Error, Result};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::path::Path;

pub struct YoloExporter(pub ExportType);

/// One value of a label line, printed with Python's `str()`.
enum Field {
    Int(i64),
    Float(f64),
}

fn line(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| match f {
            Field::Int(i) => i.to_string(),
            Field::Float(x) => float_repr(*x, Exponent::Python),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

struct Yolo<'a> {
    obb: bool,
    materialize: bool,
    keypoints: bool,
    data_key: String,
    cats: Categories,
    kp_order: Vec<String>,
    labels_dir: std::path::PathBuf,
    media: MediaResolver<'a>,
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}

impl Yolo<'_> {
    fn item(&mut self, item: Item, base: Option<&Path>) -> Result<()> {
        let value = image_value(&item, &self.data_key)?;
        let candidates: Vec<&Value> = match value {
            Value::Array(a) => a.iter().collect(),
            v => vec![v],
        };
        let mut image_path: Option<String> = None;
        // The converter takes the last image of a list.
        for candidate in candidates.into_iter().rev() {
            let Some(c) = candidate.as_str() else {
                return Err(item_error(
                    &item,
                    format!(
                        "\"{}\" holds {}, not an image path or URL",
                        self.data_key,
                        py_str(candidate)
                    ),
                ));
            };
            let r = self.media.resolve(&py_str(&item.id), c, base)?;
            if r.unresolved_cloud && self.materialize {
                // No image to go with the labels: the task is left out.
                continue;
            }
            image_path = Some(r.name);
            break;
        }
        let Some(image_path) = image_path.filter(|p| !p.is_empty()) else {
            return Ok(());
        };
        let stem = first_chars(strip_ext(basename(&image_path)), 255 - 4);
        let label_path = self.labels_dir.join(format!("{stem}.txt"));
        if item.output.is_empty() {
            if !label_path.exists() {
                write_file(&label_path, "")?;
            }
            return Ok(());
        }
        let text = if self.keypoints {
            self.keypoint_lines(&item)?
        } else {
            self.lines(&item)?
        };
        write_file(&label_path, &text)
    }

    fn lines(&mut self, item: &Item) -> Result<String> {
        let mut out = String::new();
        for (from_name, label) in all_regions(item) {
            let mut names: Vec<&str> = Vec::new();
            for key in ["rectanglelabels", "polygonlabels", "labels"] {
                if let Some(n) = label_names(item, from_name, label, key)? {
                    names.extend(n);
                }
            }
            for name in names {
                let id = self.cats.id_for(name);
                let values = if label.contains_key("rectanglelabels")
                    || label.contains_key("rectangle")
                    || label.contains_key("labels")
                {
                    if self.obb {
                        obb_corners(label)
                    } else {
                        yolo_box(label)
                    }
                } else if label.contains_key("polygonlabels") || label.contains_key("polygon") {
                    if !label.contains_key("points") {
                        None
                    } else {
                        Some(polygon(item, from_name, label)?)
                    }
                } else {
                    None
                };
                let Some(values) = values else { continue };
                let mut fields = vec![Field::Int(id)];
                fields.extend(values.into_iter().map(Field::Float));
                out.push_str(&line(&fields));
                out.push('\n');
            }
        }
        Ok(out)
    }

    /// YOLO-pose: one line per rectangle, its keypoints (by `parentID`) in model_index order.
    fn keypoint_lines(&self, item: &Item) -> Result<String> {
        struct Rect {
            class: i64,
            values: [f64; 4],
            kps: IndexMap<String, (f64, f64)>,
        }
        // Keyed by the rectangle's result id (as Python's dict: a repeated id keeps its place).
        let mut rects: IndexMap<String, Rect> = IndexMap::new();
        let key_of = |v: Option<&Value>| -> String {
            serde_json::to_string(v.unwrap_or(&Value::Null)).unwrap_or_default()
        };
        for (from_name, r) in all_regions(item) {
            if !type_is(r, "rectanglelabels") {
                continue;
            }
            let Some(names) = label_names(item, from_name, r, "rectanglelabels")? else {
                continue;
            };
            let Some(class) = self.cats.ids.get(names[0]) else {
                continue;
            };
            let need = |k: &str| -> Result<f64> {
                num_field(item, from_name, r, k)?
                    .map(Num::f)
                    .ok_or_else(|| {
                        region_error(item, from_name, r, format!("rectangle has no \"{k}\""))
                    })
            };
            let (x, y) = (need("x")? / 100.0, need("y")? / 100.0);
            let (w, h) = (need("width")? / 100.0, need("height")? / 100.0);
            rects.insert(
                key_of(r.get("id")),
                Rect {
                    class: *class,
                    values: [x + w / 2.0, y + h / 2.0, w, h],
                    kps: IndexMap::new(),
                },
            );
        }
        for (from_name, r) in all_regions(item) {
            if !type_is(r, "keypointlabels") {
                continue;
            }
            let parent = key_of(r.get("parentID"));
            if !rects.contains_key(&parent) {
                continue;
            }
            let Some(names) = label_names(item, from_name, r, "keypointlabels")? else {
                continue;
            };
            let need = |k: &str| -> Result<f64> {
                num_field(item, from_name, r, k)?
                    .map(Num::f)
                    .ok_or_else(|| {
                        region_error(item, from_name, r, format!("keypoint has no \"{k}\""))
                    })
            };
            let p = (need("x")? / 100.0, need("y")? / 100.0);
            if let Some(rect) = rects.get_mut(&parent) {
                rect.kps.insert(names[0].to_string(), p);
            }
        }
        let lines: Vec<String> = rects
            .values()
            .map(|rect| {
                let mut f = vec![Field::Int(rect.class)];
                f.extend(rect.values.iter().map(|v| Field::Float(*v)));
                for k in &self.kp_order {
                    match rect.kps.get(k) {
                        Some((x, y)) => {
                            f.extend([Field::Float(*x), Field::Float(*y), Field::Int(2)])
                        }
                        None => f.extend([Field::Float(0.0), Field::Float(0.0), Field::Int(0)]),
                    }
                }
                line(&f)
            })
            .collect();
        Ok(lines.join("\n"))
    }
}

fn type_is(r: &Map<String, Value>, t: &str) -> bool {
    r.get("type")
        .and_then(Value::as_str)
        .is_some_and(|s| s.to_lowercase() == t)
}

/// `convert_annotation_to_yolo`: centre and size in fractions; `None` when a value is
/// missing or not a number (the converter skips such boxes).
fn yolo_box(label: &Map<String, Value>) -> Option<Vec<f64>> {
    let get = |k: &str| label.get(k).and_then(Num::of).map(Num::f);
    let (x, y, w, h) = (get("x")?, get("y")?, get("width")?, get("height")?);
    Some(vec![
        (x + w / 2.0) / 100.0,
        (y + h / 2.0) / 100.0,
        w / 100.0,
        h / 100.0,
    ])
}

/// `convert_annotation_to_yolo_obb`: the four corners of the rotated box, normalised.
fn obb_corners(label: &Map<String, Value>) -> Option<Vec<f64>> {
    let get = |k: &str| label.get(k).and_then(Num::of).map(Num::f);
    let ow = get("original_width")?;
    let oh = get("original_height")?;
    let x = get("x")? / 100.0 * ow;
    let y = get("y")? / 100.0 * oh;
    let w = get("width")? / 100.0 * ow;
    let h = get("height")? / 100.0 * oh;
    let rot = get("rotation")? * (std::f64::consts::PI / 180.0);
    if ow == 0.0 || oh == 0.0 {
        return None;
    }
    let (cos, sin) = (rot.cos(), rot.sin());
    let corners = [
        (x, y),
        (x + w * cos, y + w * sin),
        (x + w * cos - h * sin, y + w * sin + h * cos),
        (x - h * sin, y + h * cos),
    ];
    Some(
        corners
            .iter()
            .flat_map(|(cx, cy)| [cx / ow, cy / oh])
            .collect(),
    )
}

fn polygon(item: &Item, from_name: &str, label: &Map<String, Value>) -> Result<Vec<f64>> {
    let bad = || {
        region_error(
            item,
            from_name,
            label,
            "polygon point is not a pair of numbers",
        )
    };
    let Some(points) = label.get("points").and_then(Value::as_array) else {
        return Err(region_error(
            item,
            from_name,
            label,
            "polygon \"points\" is not a list",
        ));
    };
    let mut out = Vec::with_capacity(points.len() * 2);
    for p in points {
        match p.as_array().map(Vec::as_slice) {
            Some([x, y]) => {
                let (Some(x), Some(y)) = (Num::of(x), Num::of(y)) else {
                    return Err(bad());
                };
                out.push(x.f() / 100.0);
                out.push(y.f() / 100.0);
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

impl Exporter for YoloExporter {
    fn export_type(&self) -> ExportType {
        self.0
    }

    fn write(&self, ctx: &ExportContext, tasks: &mut dyn TaskSource, out_dir: &Path) -> Result<()> {
        let materialize = matches!(
            self.0,
            ExportType::YoloWithImages | ExportType::YoloObbWithImages
        );
        let obb = matches!(self.0, ExportType::YoloObb | ExportType::YoloObbWithImages);
        regions::make_dir(&out_dir.join("images"))?;
        let labels_dir = out_dir.join("labels");
        regions::make_dir(&labels_dir)?;
        let keypoints = categories::has_keypoints(ctx.config);
        let mo = media_options(ctx);
        let mut y = Yolo {
            obb,
            materialize,
            keypoints,
            data_key: regions::data_key(ctx)?,
            cats: if keypoints {
                categories::for_yolo_keypoints(ctx.config)
            } else {
                categories::from_config(ctx.config)
            },
            kp_order: categories::keypoint_order(ctx.config),
            labels_dir,
            media: MediaResolver::new(
                ctx,
                out_dir,
                materialize,
                materialize && mo.download_resources,
            ),
        };
        for_each_item(ctx, tasks, &mut |item, base| y.item(item, base))?;
        let mut classes = String::new();
        for name in y.cats.names() {
            classes.push_str(name);
            classes.push('\n');
        }
        write_file(&out_dir.join("classes.txt"), &classes)?;
        let (year, _) = now_text();
        let notes = obj([
            ("categories", y.cats.to_value()),
            (
                "info",
                obj([
                    ("year", Value::from(year)),
                    ("version", Value::from("1.0")),
                    ("contributor", Value::from("Label Studio")),
                ]),
            ),
        ]);
        write_file(
            &out_dir.join("notes.json"),
            &dumps(&notes, &JsonStyle::ujson(Some(2), true)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn boxes_and_corners() {
        let r = m(
            json!({"x": 10.0, "y": 20.0, "width": 30.0, "height": 25.0, "rotation": 0,
            "original_width": 64, "original_height": 48}),
        );
        assert_eq!(
            line(
                &[Field::Int(1)]
                    .into_iter()
                    .chain(yolo_box(&r).unwrap().into_iter().map(Field::Float))
                    .collect::<Vec<_>>()
            ),
            "1 0.25 0.325 0.3 0.25"
        );
        let c = obb_corners(&r).unwrap();
        assert_eq!(c.len(), 8);
        assert_eq!(c[0], 0.1);
        assert!(obb_corners(&m(json!({"x": 1, "y": 1, "width": 1, "height": 1}))).is_none());
    }
}
