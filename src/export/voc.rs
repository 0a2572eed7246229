//! VOC (Pascal VOC XML): `Annotations/<image name>.xml` per image, and `images/`.
//!
//! The document is what Python's minidom writes with `newl="\n"` and no indentation: the
//! declaration, then every element on its own line, text elements inline.

use super::media::{MediaResolver, image_info};
use super::model::Item;
use super::pyval::{Num, annotator_text, basename, int_trunc, py_str, strip_ext};
use super::regions::{
    self, all_regions, for_each_item, image_value, item_error, label_names, media_options,
    need_num, region_error,
};
use super::{ExportContext, ExportType, Exporter, TaskSource};
use crate::error::{Error, Result};
use serde_json::Value;
use std::path::Path;

pub struct VocExporter;

/// Text as minidom (Python 3.11) escapes it.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
        .replace('>', "&gt;")
}

struct Xml(String);

impl Xml {
    fn open(&mut self, tag: &str) {
        self.0.push('<');
        self.0.push_str(tag);
        self.0.push_str(">\n");
    }
    fn close(&mut self, tag: &str) {
        self.0.push_str("</");
        self.0.push_str(tag);
        self.0.push_str(">\n");
    }
    fn text(&mut self, tag: &str, text: &str) {
        self.0.push('<');
        self.0.push_str(tag);
        self.0.push('>');
        self.0.push_str(&escape(text));
        self.close(tag);
    }
}

struct Voc<'a> {
    data_key: String,
    /// `Annotations/` exists (made at the first task, as the converter does).
    made_dir: bool,
    annotations_dir: std::path::PathBuf,
    media: MediaResolver<'a>,
}

impl Voc<'_> {
    fn item(&mut self, item: Item, base: Option<&Path>) -> Result<()> {
        let value = image_value(&item, &self.data_key)?;
        let Some(value) = value.as_str() else {
            return Err(item_error(
                &item,
                format!(
                    "\"{}\" is {}, not an image path or URL",
                    self.data_key,
                    py_str(value)
                ),
            ));
        };
        if !self.made_dir {
            regions::make_dir(&self.annotations_dir)?;
            self.made_dir = true;
        }
        let resolved = self.media.resolve(&py_str(&item.id), value, base)?;
        let channels = resolved
            .file
            .as_deref()
            .and_then(image_info)
            .map_or(3, |i| i.channels);
        if item.output.is_empty() {
            return Ok(());
        }
        let image_name = basename(&resolved.name);
        let xml_path = self
            .annotations_dir
            .join(format!("{}.xml", strip_ext(image_name)));
        let mut regions = all_regions(&item).peekable();
        let Some((_, first)) = regions.peek() else {
            return Ok(());
        };
        // The first region's size stands for the image; without one the item is skipped.
        let (Some(width), Some(height)) =
            (first.get("original_width"), first.get("original_height"))
        else {
            return Ok(());
        };
        let (width, height) = (width.clone(), height.clone());
        let mut x = Xml(String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"));
        x.open("annotation");
        x.text("folder", "images");
        x.text("filename", image_name);
        x.open("source");
        x.text("database", "MyDatabase");
        x.text("annotation", "COCO2017");
        x.text("image", "flickr");
        x.text("flickrid", "NULL");
        x.text("annotator", &annotator_text(&item.completed_by, ""));
        x.close("source");
        x.open("owner");
        x.text("flickrid", "NULL");
        x.text("name", "Label Studio");
        x.close("owner");
        x.open("size");
        x.text("width", &py_str(&width));
        x.text("height", &py_str(&height));
        x.text("depth", &channels.to_string());
        x.close("size");
        x.text("segmented", "0");
        for (from_name, r) in regions {
            let key = if r.contains_key("rectanglelabels") {
                "rectanglelabels"
            } else if r.contains_key("labels") {
                "labels"
            } else {
                continue;
            };
            let Some(names) = label_names(&item, from_name, r, key)? else {
                continue;
            };
            let size = |v: &Value, what: &str| {
                Num::of(v).map(Num::f).ok_or_else(|| {
                    region_error(
                        &item,
                        from_name,
                        r,
                        format!("{what} {} is not a number", py_str(v)),
                    )
                })
            };
            let (w_img, h_img) = (
                size(&width, "original_width")?,
                size(&height, "original_height")?,
            );
            let pix = |k: &str, scale: f64| -> Result<i64> {
                let v = need_num(&item, from_name, r, k, "rectangle")?.f() / 100.0 * scale;
                int_trunc(v).ok_or_else(|| {
                    region_error(
                        &item,
                        from_name,
                        r,
                        format!("\"{k}\" gives no finite pixel position"),
                    )
                })
            };
            let (bx, by) = (pix("x", w_img)?, pix("y", h_img)?);
            let (bw, bh) = (pix("width", w_img)?, pix("height", h_img)?);
            x.open("object");
            x.text("name", names[0]);
            x.text("pose", "Unspecified");
            x.text("truncated", "0");
            x.text("difficult", "0");
            x.open("bndbox");
            x.text("xmin", &bx.to_string());
            x.text("ymin", &by.to_string());
            x.text("xmax", &(bx + bw).to_string());
            x.text("ymax", &(by + bh).to_string());
            x.close("bndbox");
            x.close("object");
        }
        x.close("annotation");
        std::fs::write(&xml_path, x.0).map_err(|e| Error::io(&xml_path, e))
    }
}

impl Exporter for VocExporter {
    fn export_type(&self) -> ExportType {
        ExportType::Voc
    }

    fn write(&self, ctx: &ExportContext, tasks: &mut dyn TaskSource, out_dir: &Path) -> Result<()> {
        regions::make_dir(&out_dir.join("images"))?;
        let mo = media_options(ctx);
        let mut v = Voc {
            data_key: regions::data_key(ctx)?,
            made_dir: false,
            annotations_dir: out_dir.join("Annotations"),
            media: MediaResolver::new(ctx, out_dir, mo.download_resources, mo.download_resources),
        };
        for_each_item(ctx, tasks, &mut |item, base| v.item(item, base))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minidom_escaping() {
        assert_eq!(escape("a&b<c>\"d'"), "a&amp;b&lt;c&gt;&quot;d'");
    }
}
