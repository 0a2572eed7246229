//! BRUSH_TO_COCO: `result_coco.json` (Python's `json`, indent 2, raw UTF-8) and `images/`.
//! Brush masks become one polygon annotation per outer contour (as OpenCV traces it);
//! polygons and rectangles are carried over. Images and annotations are spilled to files as
//! they are produced, like COCO, so memory does not grow with the number of tasks.

use super::brush::decode_region;
use super::coco::{Part, SpillArray, write_document};
use super::contours::{bounding_rect, contour_area, find_external};
use super::media::md5_prefix;
use super::model::Item;
use super::pyjson::JsonStyle;
use super::pyval::{
    Num, annotator_text, basename, float_value, int_trunc, now_text, obj, round_half_even,
};
use super::regions::{self, for_each_item, label_names, region_error};
use super::{ExportContext, ExportType, Exporter, TaskSource};
use crate::error::Result;
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::path::Path;

pub struct BrushCocoExporter;

/// A stable colour per category name. (The converter picks a random one on every run.)
fn color(name: &str) -> String {
    format!("#{}", &md5_prefix(name)[..6])
}

struct State {
    images: SpillArray,
    annotations: SpillArray,
    categories: IndexMap<String, i64>,
    image_id: usize,
}

const IMAGE_EXTS: [&str; 5] = [".jpg", ".jpeg", ".png", ".gif", ".bmp"];

impl State {
    fn category(&mut self, label: &str) -> i64 {
        let next = self.categories.len() as i64 + 1;
        *self.categories.entry(label.to_string()).or_insert(next)
    }

    fn item(&mut self, item: Item) -> Result<()> {
        let image_id = self.image_id;
        self.image_id += 1;
        let image_path = item.input.as_object().and_then(|m| {
            m.values().filter_map(Value::as_str).find(|s| {
                let l = s.to_lowercase();
                IMAGE_EXTS.iter().any(|e| l.ends_with(e))
            })
        });
        let Some(image_path) = image_path.map(str::to_string) else {
            return Ok(());
        };
        if item.output.is_empty() {
            return Ok(());
        }
        let annotator = Value::from(annotator_text(&item.completed_by, "unknown"));
        let mut width: Option<Value> = None;
        let mut height: Option<Value> = None;
        let mut valid = false;
        for (from_name, regions) in &item.output {
            for r in regions {
                if width.as_ref().is_none_or(Value::is_null)
                    && let Some(w) = r.get("original_width")
                {
                    width = Some(w.clone());
                    height = Some(r.get("original_height").cloned().ok_or_else(|| {
                        region_error(
                            &item,
                            from_name,
                            r,
                            "region has \"original_width\" but no \"original_height\"",
                        )
                    })?);
                }
                let ty = r
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_lowercase();
                let key = ["brushlabels", "polygonlabels", "rectanglelabels", "labels"]
                    .into_iter()
                    .find(|k| r.contains_key(*k));
                let Some(key) = key else { continue };
                let labels: Vec<String> = match r.get(key) {
                    Some(Value::Array(a)) if a.is_empty() => Vec::new(),
                    _ => label_names(&item, from_name, r, key)?
                        .unwrap_or_default()
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                };
                let has = |k: &str| r.contains_key(k);
                let sized = has("original_width") && has("original_height");
                // Decoded once per region, used for each of its labels.
                let mut contours: Option<Vec<Vec<(i32, i32)>>> = None;
                for label in &labels {
                    let category_id = self.category(label);
                    if has("rle") && key == "brushlabels" {
                        if !sized {
                            continue;
                        }
                        if contours.is_none() {
                            let mask = decode_region(&item, from_name, r)?;
                            contours = Some(find_external(&mask.alpha, mask.width, mask.height));
                        }
                        for c in contours.iter().flatten().filter(|c| c.len() >= 3) {
                            let (bx, by, bw, bh) = bounding_rect(c);
                            let seg: Vec<Value> = c
                                .iter()
                                .flat_map(|p| [Value::from(p.0), Value::from(p.1)])
                                .collect();
                            self.push(obj([
                                ("id", Value::from(self.annotations.count)),
                                ("image_id", Value::from(image_id)),
                                ("category_id", Value::from(category_id)),
                                ("segmentation", Value::Array(vec![Value::Array(seg)])),
                                ("area", Value::from(contour_area(c).trunc() as i64)),
                                ("bbox", Value::from(vec![bx, by, bw, bh])),
                                ("iscrowd", Value::from(0)),
                                ("annotator", annotator.clone()),
                            ]))?;
                            valid = true;
                        }
                    } else if has("points") && key == "polygonlabels" {
                        if !sized {
                            continue;
                        }
                        let ow = num(&item, from_name, r, "original_width")?;
                        let oh = num(&item, from_name, r, "original_height")?;
                        let points = super::coco::polygon_points(&item, from_name, r)?;
                        let mut pts: Vec<(i32, i32)> = Vec::with_capacity(points.len());
                        for (x, y) in points {
                            let to_int = |v: f64| {
                                int_trunc(round_half_even(v))
                                    .and_then(|i| i32::try_from(i).ok())
                                    .ok_or_else(|| {
                                        region_error(
                                            &item,
                                            from_name,
                                            r,
                                            "polygon point is out of range",
                                        )
                                    })
                            };
                            pts.push((to_int(x * ow / 100.0)?, to_int(y * oh / 100.0)?));
                        }
                        let (bx, by, bw, bh) = bounding_rect(&pts);
                        let seg: Vec<Value> = pts
                            .iter()
                            .flat_map(|p| [Value::from(p.0), Value::from(p.1)])
                            .collect();
                        self.push(obj([
                            ("id", Value::from(self.annotations.count)),
                            ("image_id", Value::from(image_id)),
                            ("category_id", Value::from(category_id)),
                            ("segmentation", Value::Array(vec![Value::Array(seg)])),
                            ("area", Value::from(contour_area(&pts).trunc() as i64)),
                            ("bbox", Value::from(vec![bx, by, bw, bh])),
                            ("iscrowd", Value::from(0)),
                            ("annotator", annotator.clone()),
                        ]))?;
                        valid = true;
                    } else if ty == "rectanglelabels" || key == "labels" {
                        if !["x", "y", "width", "height"].iter().all(|k| has(k)) || !sized {
                            continue;
                        }
                        let ow = num(&item, from_name, r, "original_width")?;
                        let oh = num(&item, from_name, r, "original_height")?;
                        let x = num(&item, from_name, r, "x")? * ow / 100.0;
                        let y = num(&item, from_name, r, "y")? * oh / 100.0;
                        let w = num(&item, from_name, r, "width")? * ow / 100.0;
                        let h = num(&item, from_name, r, "height")? * oh / 100.0;
                        self.push(obj([
                            ("id", Value::from(self.annotations.count)),
                            ("image_id", Value::from(image_id)),
                            ("category_id", Value::from(category_id)),
                            ("segmentation", Value::Array(Vec::new())),
                            ("area", float_value(w * h)),
                            (
                                "bbox",
                                Value::Array(vec![
                                    float_value(x),
                                    float_value(y),
                                    float_value(w),
                                    float_value(h),
                                ]),
                            ),
                            ("iscrowd", Value::from(0)),
                            ("annotator", annotator.clone()),
                        ]))?;
                        valid = true;
                    }
                }
            }
        }
        if let (Some(w), Some(h)) = (width, height)
            && valid
            && !w.is_null()
            && !h.is_null()
        {
            self.images.push(&obj([
                ("id", Value::from(image_id)),
                ("file_name", Value::from(basename(&image_path))),
                ("path", Value::from(image_path.as_str())),
                ("width", w),
                ("height", h),
            ]))?;
        }
        Ok(())
    }

    fn push(&mut self, v: Value) -> Result<()> {
        self.annotations.push(&v)
    }
}

fn num(item: &Item, from_name: &str, r: &Map<String, Value>, key: &str) -> Result<f64> {
    let v = r.get(key).unwrap_or(&Value::Null);
    Num::of(v).map(Num::f).ok_or_else(|| {
        region_error(
            item,
            from_name,
            r,
            format!("\"{key}\" is {}, not a number", super::pyval::py_str(v)),
        )
    })
}

impl Exporter for BrushCocoExporter {
    fn export_type(&self) -> ExportType {
        ExportType::BrushToCoco
    }

    fn write(&self, ctx: &ExportContext, tasks: &mut dyn TaskSource, out_dir: &Path) -> Result<()> {
        regions::make_dir(&out_dir.join("images"))?;
        let style = JsonStyle::python(Some(2), false);
        let mut st = State {
            images: SpillArray::create(out_dir.join(".images.part"), style, 2)?,
            annotations: SpillArray::create(out_dir.join(".annotations.part"), style, 2)?,
            categories: IndexMap::new(),
            image_id: 0,
        };
        for_each_item(ctx, tasks, &mut |item, _| st.item(item))?;
        let categories: Vec<Value> = st
            .categories
            .iter()
            .map(|(name, id)| {
                obj([
                    ("id", Value::from(*id)),
                    ("name", Value::from(name.as_str())),
                    ("supercategory", Value::from("")),
                    ("color", Value::from(color(name))),
                    ("metadata", Value::Object(Map::new())),
                ])
            })
            .collect();
        let (year, date) = now_text();
        let info = obj([
            ("year", Value::from(year)),
            ("version", Value::from("1.0")),
            ("description", Value::from("Converted from Label Studio")),
            ("contributor", Value::from("Label Studio Converter")),
            ("date_created", Value::from(date)),
        ]);
        write_document(
            &out_dir.join("result_coco.json"),
            vec![
                ("images", Part::Spill(st.images)),
                ("annotations", Part::Spill(st.annotations)),
                ("categories", Part::Value(Value::Array(categories))),
                ("info", Part::Value(info)),
            ],
            &style,
        )
    }
}
