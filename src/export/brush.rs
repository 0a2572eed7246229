//! Label Studio brush masks: the RLE decoder, and BRUSH_TO_NUMPY / BRUSH_TO_PNG, one file
//! per brush region: `task-<task>-annotation-<annotation>-by-<annotator>-<name>.npy|.png`.
//!
//! RLE (thi.ng rle-pack, as Label Studio's frontend writes it): a big-endian bit stream;
//! 32 bits value count, 5 bits word size − 1, four 4-bit run-size widths − 1, then chunks of
//! 1 bit repeat flag, 2 bits size class, n (that many bits): n + 1 values, either one word
//! repeated or n + 1 words. The values are RGBA of the image; the mask is the alpha channel.

use super::model::Item;
use super::pyval::{Num, annotator_text, py_isalnum, py_str};
use super::regions::{for_each_item, label_names, region_error};
use super::{ExportContext, ExportType, Exporter, TaskSource};
use crate::error::{Error, Result};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::path::Path;

/// Why an RLE could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RleError(pub String);

impl std::fmt::Display for RleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: usize) -> Result<u64, RleError> {
        if self.pos + n > self.data.len() * 8 {
            return Err(RleError(format!(
                "the data ends early (bit {} of {})",
                self.pos,
                self.data.len() * 8
            )));
        }
        let mut v = 0u64;
        for _ in 0..n {
            let byte = self.data[self.pos / 8];
            let bit = (byte >> (7 - (self.pos % 8))) & 1;
            v = (v << 1) | u64::from(bit);
            self.pos += 1;
        }
        Ok(v)
    }
}

/// The most pixels a mask may have: 2^28 (16384 × 16384), the largest canvas browsers
/// draw, so the largest image Label Studio's brush can paint on.
pub const MAX_MASK_PIXELS: usize = 1 << 28;

/// Decodes an RLE into `expected` values (width · height · 4).
pub fn decode_rle(data: &[u8], expected: usize) -> Result<Vec<u8>, RleError> {
    let mut bits = Bits { data, pos: 0 };
    let num = bits.read(32)? as usize;
    if num != expected {
        return Err(RleError(format!(
            "the mask holds {num} values, the image needs {expected} (width × height × 4)"
        )));
    }
    if num / 4 > MAX_MASK_PIXELS {
        return Err(RleError(format!(
            "the mask holds {num} values, more than {MAX_MASK_PIXELS} pixels"
        )));
    }
    let word = bits.read(5)? as usize + 1;
    let mut sizes = [0usize; 4];
    for s in &mut sizes {
        *s = bits.read(4)? as usize + 1;
    }
    // The count is only the file's word: the output grows with the values the data
    // holds, so a short file claiming a huge mask fails before taking the memory.
    let mut out = Vec::new();
    while out.len() < num {
        let repeat = bits.read(1)? == 1;
        let k = bits.read(2)? as usize;
        let run = 1 + bits.read(sizes[k])? as usize;
        let byte = |v: u64| {
            u8::try_from(v).map_err(|_| RleError(format!("value {v} does not fit in a byte")))
        };
        if repeat {
            let v = byte(bits.read(word)?)?;
            out.resize((out.len() + run).min(num), v);
        } else {
            for _ in 0..run {
                let v = byte(bits.read(word)?)?;
                if out.len() >= num {
                    return Err(RleError("a run goes past the end of the mask".into()));
                }
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// A decoded brush region: its alpha channel, row-major.
pub struct Mask {
    pub width: usize,
    pub height: usize,
    pub alpha: Vec<u8>,
}

fn rle_bytes(item: &Item, from_name: &str, region: &Map<String, Value>) -> Result<Vec<u8>> {
    match region.get("rle") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_u64()
                    .and_then(|b| u8::try_from(b).ok())
                    .ok_or_else(|| {
                        region_error(
                            item,
                            from_name,
                            region,
                            format!("\"rle\" holds {}, not a byte", py_str(v)),
                        )
                    })
            })
            .collect(),
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(other) => Err(region_error(
            item,
            from_name,
            region,
            format!("\"rle\" is {}, not a list of bytes", py_str(other)),
        )),
        None => Err(region_error(
            item,
            from_name,
            region,
            "brush region has no \"rle\"",
        )),
    }
}

fn size(item: &Item, from_name: &str, region: &Map<String, Value>, key: &str) -> Result<usize> {
    let v = region.get(key).ok_or_else(|| {
        region_error(
            item,
            from_name,
            region,
            format!("brush region has no \"{key}\""),
        )
    })?;
    match Num::of(v) {
        Some(Num::Int(n)) if n >= 0 => Ok(n as usize),
        _ => Err(region_error(
            item,
            from_name,
            region,
            format!("\"{key}\" is {}, not an image size", py_str(v)),
        )),
    }
}

/// Decodes a brush region's mask, naming the task and region when it cannot.
pub fn decode_region(item: &Item, from_name: &str, region: &Map<String, Value>) -> Result<Mask> {
    let width = size(item, from_name, region, "original_width")?;
    let height = size(item, from_name, region, "original_height")?;
    let data = rle_bytes(item, from_name, region)?;
    let expected = width
        .checked_mul(height)
        .and_then(|n| n.checked_mul(4))
        .ok_or_else(|| region_error(item, from_name, region, "image size is too large"))?;
    let rgba = decode_rle(&data, expected)
        .map_err(|e| region_error(item, from_name, region, format!("brush RLE: {e}")))?;
    Ok(Mask {
        width,
        height,
        alpha: rgba.chunks_exact(4).map(|p| p[3]).collect(),
    })
}

/// numpy's `.npy` (format 1.0) of a 2-D `uint8` array.
pub fn npy_bytes(mask: &Mask) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '|u1', 'fortran_order': False, 'shape': ({}, {}), }}",
        mask.height, mask.width
    );
    // numpy leaves room for the first axis to grow to 21 digits, then pads to 64 bytes.
    let digits = mask.height.to_string().len();
    header.push_str(&" ".repeat(21usize.saturating_sub(digits)));
    let hlen = header.len() + 1;
    let pad = 64 - ((6 + 2 + 2 + hlen) % 64);
    let total = hlen + pad;
    let mut out = Vec::with_capacity(10 + total + mask.alpha.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(total as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend(std::iter::repeat_n(b' ', pad));
    out.push(b'\n');
    out.extend_from_slice(&mask.alpha);
    out
}

/// An 8-bit grayscale PNG of the mask.
pub fn png_bytes(mask: &Mask) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, mask.width as u32, mask.height as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| Error::Other(format!("encoding PNG: {e}")))?;
        w.write_image_data(&mask.alpha)
            .map_err(|e| Error::Other(format!("encoding PNG: {e}")))?;
    }
    Ok(out)
}

/// The brush regions of one control in an item, named as the converter names them
/// (`<from_name>-<labels joined by ->-<n>`), in order. Regions of other kinds are skipped.
pub fn brush_regions<'a>(
    item: &'a Item,
    from_name: &'a str,
    regions: &'a [Map<String, Value>],
) -> Result<Vec<(String, &'a Map<String, Value>)>> {
    let mut counters: IndexMap<String, usize> = IndexMap::new();
    let mut out = Vec::new();
    for r in regions {
        let ty = r
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_lowercase)
            .unwrap_or_default();
        let key = match ty.as_str() {
            "brushlabels" => "brushlabels",
            "labels" => "labels",
            _ => continue,
        };
        if !r.contains_key("rle") {
            continue;
        }
        let labels: Vec<&str> = match r.get(key) {
            None => vec!["no_label"],
            Some(Value::Array(a)) if a.is_empty() => vec![],
            Some(_) => label_names(item, from_name, r, key)?.unwrap_or_default(),
        };
        let mut name = format!("{from_name}-{}", labels.join("-"));
        let n = counters.entry(name.clone()).or_insert(0);
        name.push_str(&format!("-{n}"));
        *n += 1;
        out.push((name, r));
    }
    Ok(out)
}

pub struct BrushExporter(pub ExportType);

impl Exporter for BrushExporter {
    fn export_type(&self) -> ExportType {
        self.0
    }

    fn write(&self, ctx: &ExportContext, tasks: &mut dyn TaskSource, out_dir: &Path) -> Result<()> {
        let png = self.0 == ExportType::BrushToPng;
        for_each_item(ctx, tasks, &mut |item, _| {
            let email: String = annotator_text(&item.completed_by, "")
                .chars()
                .filter(|c| py_isalnum(*c) || *c == '@' || *c == '.')
                .collect();
            // Path separators never reach the file name (the converter would follow them).
            let safe = |s: String| s.replace(['/', '\\'], "-");
            let prefix = format!(
                "task-{}-annotation-{}-by-{email}-",
                safe(py_str(&item.id)),
                safe(py_str(&item.annotation_id))
            );
            for (from_name, regions) in &item.output {
                for (name, r) in brush_regions(&item, from_name, regions)? {
                    let mask = decode_region(&item, from_name, r)?;
                    let file = format!("{prefix}{}", safe(name));
                    let (path, bytes) = if png {
                        (out_dir.join(format!("{file}.png")), png_bytes(&mask)?)
                    } else {
                        (out_dir.join(format!("{file}.npy")), npy_bytes(&mask))
                    };
                    std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes like the SDK's `encode_rle` does for simple inputs: literal chunks of one value.
    fn encode_literal(values: &[u8]) -> Vec<u8> {
        let mut bits: Vec<u8> = Vec::new();
        let mut push = |v: u64, n: usize| {
            for i in (0..n).rev() {
                bits.push(((v >> i) & 1) as u8);
            }
        };
        push(values.len() as u64, 32);
        push(7, 5);
        for s in [3u64, 4, 8, 16] {
            push(s - 1, 4);
        }
        for v in values {
            push(0, 1);
            push(0, 2);
            push(0, 3);
            push(u64::from(*v), 8);
        }
        while !bits.len().is_multiple_of(8) {
            bits.push(0);
        }
        bits.chunks(8)
            .map(|c| c.iter().fold(0u8, |a, b| (a << 1) | b))
            .collect()
    }

    #[test]
    fn decodes_literals_and_runs() {
        let vals = [0u8, 1, 2, 255, 7, 7, 7, 9];
        assert_eq!(decode_rle(&encode_literal(&vals), 8).unwrap(), vals);
        // A run: 32-bit count 8, word 8, sizes 3/4/8/16, then repeat 8 × 0xAB.
        let mut bits = String::new();
        bits.push_str(&format!("{:032b}", 8));
        bits.push_str(&format!("{:05b}", 7));
        for s in [3, 4, 8, 16] {
            bits.push_str(&format!("{:04b}", s - 1));
        }
        bits.push('1');
        bits.push_str("00");
        bits.push_str("111");
        bits.push_str(&format!("{:08b}", 0xAB));
        while !bits.len().is_multiple_of(8) {
            bits.push('0');
        }
        let bytes: Vec<u8> = bits
            .as_bytes()
            .chunks(8)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap())
            .collect();
        assert_eq!(decode_rle(&bytes, 8).unwrap(), vec![0xAB; 8]);
    }

    #[test]
    fn malformed_rle_is_an_error() {
        let good = encode_literal(&[1, 2, 3, 4]);
        assert!(decode_rle(&good, 8).unwrap_err().0.contains("needs 8"));
        assert!(
            decode_rle(&good[..good.len() - 2], 4)
                .unwrap_err()
                .0
                .contains("ends early")
        );
        assert!(decode_rle(&[], 4).is_err());
    }

    #[test]
    fn a_huge_count_is_refused_before_any_allocation() {
        // Found by fuzzing: seven bytes claiming 4278190080 values asked for 4 GiB at once.
        let short = [0xff, 0, 0, 0, 0x0a, 0xbf, 0x5b];
        let e = decode_rle(&short, 0xff00_0000).unwrap_err();
        assert!(e.0.contains("more than"), "{e}");
        // A count within the limit that the data does not cover fails on the data.
        let header = [0x10, 0, 0, 0, 0x3c, 0x37, 0xf0];
        let e = decode_rle(&header, 0x1000_0000).unwrap_err();
        assert!(e.0.contains("ends early"), "{e}");
        let over = 4 * (MAX_MASK_PIXELS + 1);
        let e = decode_rle(&(over as u32).to_be_bytes(), over).unwrap_err();
        assert!(e.0.contains("more than"), "{e}");
    }

    #[test]
    fn npy_header_like_numpy() {
        let m = Mask {
            width: 10,
            height: 6,
            alpha: vec![0; 60],
        };
        let b = npy_bytes(&m);
        assert_eq!(b.len(), 128 + 60);
        assert_eq!(&b[8..10], &[0x76, 0]);
        assert_eq!(b[127], b'\n');
        assert!(
            b[10..].starts_with(b"{'descr': '|u1', 'fortran_order': False, 'shape': (6, 10), }")
        );
    }
}
