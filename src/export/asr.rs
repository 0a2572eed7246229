//! `ASR_MANIFEST`: NeMo-style `manifest.json` (one JSON object per line) plus the audio files
//! copied into `audio/`. Each item gives `{"audio_filepath": "audio/<name>", "duration":
//! <frames / rate>, "text": <transcript>, "annotator": <email or id>}` in Python's
//! `json.dumps` text (`", "` separators, non-ASCII escaped).
//!
//! Differences from the converter, on purpose (see the README's compatibility notes):
//! an item without a transcript gets `""` (the converter reuses the previous item's
//! transcript, or crashes when the first item has none); local files and uploads are read
//! even without `--download-resources` (the converter then skips every item); a plain file
//! path is read relative to the directory its task was imported from; two different files
//! with the same name get distinct names (`x_<4 hex digits>.wav`) instead of overwriting.

use super::model::{Item, ItemOptions, annotator};
use super::pyjson::{JsonStyle, write_value};
use super::pyval::py_str;
use super::resources::{url_basename, wav_duration};
use super::{ExportContext, ExportType, Exporter, TaskSource, converter_data_keys, warn};
use crate::error::{Error, Result};
use crate::media::{Media, Origin, Resolver};
use md5::{Digest, Md5};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The transcript of an item: the first line of the first control whose first region has
/// `text`; `""` when there is none.
pub fn transcript(item: &Item) -> Value {
    for regions in item.output.values() {
        if let Some(text) = regions.first().and_then(|r| r.get("text")) {
            return match text {
                Value::Array(a) => a.first().cloned().unwrap_or_else(|| Value::from("")),
                Value::String(s) => {
                    Value::from(s.chars().next().map(String::from).unwrap_or_default())
                }
                _ => Value::from(""),
            };
        }
    }
    Value::from("")
}

/// Audio files copied so far: output name → where it came from.
struct AudioDir {
    dir: PathBuf,
    names: HashMap<String, String>,
    by_source: HashMap<String, (String, f64)>,
}

impl AudioDir {
    /// Copies (or fetches) the audio of `url` into the directory; returns its file name and
    /// duration. Nothing is left in the directory when the audio is refused or unreadable.
    fn add(&mut self, media: &Resolver, o: &Origin, url: &str) -> Result<(String, f64), String> {
        let found = media.resolve(o, url).map_err(|e| e.reason())?;
        let (source, base) = match &found {
            Media::File(p) => (
                p.to_string_lossy().into_owned(),
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            ),
            Media::Http(u) => {
                if !media.fetches() {
                    return Err("http(s) audio is fetched only with --download-resources".into());
                }
                (u.clone(), url_basename(u))
            }
            Media::Data { .. } => return Err("data: URLs are not read as audio".into()),
        };
        if let Some(done) = self.by_source.get(&source) {
            return Ok(done.clone());
        }
        let base = if base.is_empty() {
            "audio".to_string()
        } else {
            base
        };
        let mut name = base.clone();
        if self.names.contains_key(&name) {
            let (stem, ext) = match base.rfind('.') {
                Some(i) if i > 0 => (&base[..i], &base[i..]),
                _ => (base.as_str(), ""),
            };
            let digest = crate::util::hex(&Md5::digest(source.as_bytes()));
            let mut n = 4;
            loop {
                name = format!("{stem}_{}{ext}", &digest[..n.min(digest.len())]);
                if !self.names.contains_key(&name) || n >= digest.len() {
                    break;
                }
                n += 1;
            }
        }
        let target = self.dir.join(&name);
        let secs = match &found {
            // The header is checked before anything is copied.
            Media::File(p) => {
                let secs = duration(p)?;
                media
                    .copy(o, url, &found, &target)
                    .map_err(|e| e.reason())?;
                secs
            }
            _ => {
                media
                    .copy(o, url, &found, &target)
                    .map_err(|e| e.reason())?;
                duration(&target).inspect_err(|_| {
                    let _ = std::fs::remove_file(&target);
                })?
            }
        };
        self.names.insert(name.clone(), source.clone());
        self.by_source.insert(source, (name.clone(), secs));
        Ok((name, secs))
    }
}

/// The duration of a WAV file, from its header (the first MiB, else the whole file).
fn duration(path: &Path) -> Result<f64, String> {
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    (&mut f)
        .take(1 << 20)
        .read_to_end(&mut head)
        .map_err(|e| e.to_string())?;
    match wav_duration(&head) {
        Ok(d) => Ok(d),
        Err(_) if head.len() == 1 << 20 => {
            f.read_to_end(&mut head).map_err(|e| e.to_string())?;
            wav_duration(&head)
        }
        Err(e) => Err(e),
    }
}

pub struct AsrExporter;

impl Exporter for AsrExporter {
    fn export_type(&self) -> ExportType {
        ExportType::AsrManifest
    }

    fn write(&self, ctx: &ExportContext, tasks: &mut dyn TaskSource, out_dir: &Path) -> Result<()> {
        let key = converter_data_keys(ctx.config)
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::Usage("ASR_MANIFEST needs an Audio object in the label config".into())
            })?;
        let media = ctx.options.resolver(ctx.options.download_resources);
        let mut audio = AudioDir {
            dir: out_dir.join("audio"),
            names: HashMap::new(),
            by_source: HashMap::new(),
        };
        std::fs::create_dir_all(&audio.dir).map_err(|e| Error::io(&audio.dir, e))?;
        let target = out_dir.join("manifest.json");
        let io_err = |e: std::io::Error| Error::io(&target, e);
        let file = std::fs::File::create(&target).map_err(io_err)?;
        let mut w = std::io::BufWriter::new(file);
        let opts = ItemOptions {
            config: ctx.config,
            keypoints: false,
        };
        let style = JsonStyle::python(None, true);
        let mut line = String::new();
        tasks.for_each_item_group(&opts, &mut |group| {
            for item in group.items {
                let task = format!("task {}", item.id);
                let Some(url) = item.input.get(&key).and_then(Value::as_str) else {
                    warn(format!(
                        "{task}: field \"data.{key}\": no audio reference; item skipped"
                    ));
                    continue;
                };
                let id = py_str(&item.id);
                let origin = Origin {
                    task: &id,
                    base_dir: group.base_dir.as_deref(),
                };
                let (name, secs) = match audio.add(&media, &origin, url) {
                    Ok(n) => n,
                    Err(e) => {
                        warn(format!(
                            "{task}: field \"data.{key}\": {url:?}: {e}; item skipped"
                        ));
                        continue;
                    }
                };
                let who = match annotator(&item, false) {
                    Value::Null => Value::from(""),
                    v => v,
                };
                let mut m = Map::new();
                m.insert(
                    "audio_filepath".into(),
                    Value::from(format!("audio/{name}")),
                );
                m.insert("duration".into(), Value::from(secs));
                m.insert("text".into(), transcript(&item));
                m.insert("annotator".into(), who);
                line.clear();
                write_value(&mut line, &Value::Object(m), &style, 0);
                line.push('\n');
                w.write_all(line.as_bytes()).map_err(io_err)?;
            }
            Ok(())
        })?;
        w.flush().map_err(io_err)?;
        Ok(())
    }
}
