//! Loading what objects point at, off the UI thread: `valueType="url"` text, CSV resolvers,
//! images (decoded and scaled to the pane), audio/video facts. Values are resolved by
//! [`crate::media`] (confined local files, `data:` URIs, http(s) through [`crate::net`]).

use base64::Engine;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

/// Refuse to load more than this from one source.
const MAX_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Path(PathBuf),
    Url(String),
    Bytes(Vec<u8>),
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            // Shorter under the current directory; the path itself is the resolved one.
            Source::Path(p) => std::env::current_dir()
                .ok()
                .and_then(|d| d.canonicalize().ok())
                .and_then(|d| p.strip_prefix(d).ok())
                .unwrap_or(p)
                .display()
                .to_string(),
            Source::Url(u) => u.clone(),
            Source::Bytes(b) => format!("inline data ({} bytes)", b.len()),
        }
    }
}

/// Where a task value points: through the one media resolver, so the annotator reads
/// exactly what export would (the task's import folder first, then the media root; nothing
/// outside the allowed roots).
pub fn resolve_source(
    resolver: &crate::media::Resolver,
    origin: &crate::media::Origin,
    value: &str,
) -> Result<Source, String> {
    use crate::media::Media;
    match resolver.resolve(origin, value) {
        Ok(Media::File(p)) => Ok(Source::Path(p)),
        Ok(Media::Http(u)) => Ok(Source::Url(u)),
        Ok(Media::Data { bytes, .. }) => Ok(Source::Bytes(bytes)),
        Err(e) => Err(e.to_string()),
    }
}

/// The resolver the annotator reads with: fetches allowed, at most 64 MiB per source.
pub fn annotator_resolver(roots: crate::media::Roots) -> crate::media::Resolver {
    crate::media::Resolver::new(roots, true).with_max_bytes(MAX_BYTES)
}

/// Reads a source whole (at most 64 MiB). Paths were confined when they were resolved.
pub fn fetch(source: &Source) -> Result<Vec<u8>, String> {
    match source {
        Source::Bytes(b) => Ok(b.clone()),
        Source::Path(p) => {
            let f = std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let mut buf = Vec::new();
            f.take(MAX_BYTES)
                .read_to_end(&mut buf)
                .map_err(|e| format!("{}: {e}", p.display()))?;
            Ok(buf)
        }
        Source::Url(u) => crate::net::get(u, MAX_BYTES)
            .map(|f| f.bytes)
            .map_err(|e| e.to_string()),
    }
}

/// Applies a resolver such as `csv|headless|separator=;|column=1` to fetched text: the
/// first data row's cell in that column (an index when headless, else a header name).
pub fn apply_resolver(resolver: &str, text: &str) -> Result<String, String> {
    let mut chars = resolver.chars();
    let kind: String = chars
        .by_ref()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    if kind != "csv" {
        return Err(format!("resolver {resolver:?}: only csv is supported"));
    }
    let sep_char = resolver[kind.len()..].chars().next();
    let opts: Vec<&str> = match sep_char {
        Some(c) => resolver[kind.len() + c.len_utf8()..].split(c).collect(),
        None => Vec::new(),
    };
    let mut headless = false;
    let mut separator = b',';
    let mut column = "0".to_string();
    for o in opts {
        match o.split_once('=') {
            Some(("separator", v)) => separator = v.bytes().next().unwrap_or(b','),
            Some(("column", v)) => column = v.to_string(),
            None if o == "headless" => headless = true,
            _ => {}
        }
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(!headless)
        .flexible(true)
        .from_reader(text.as_bytes());
    let idx = if headless {
        column
            .parse::<usize>()
            .map_err(|_| format!("resolver column {column:?} must be a number with headless"))?
    } else {
        let h = rdr.headers().map_err(|e| e.to_string())?;
        h.iter()
            .position(|c| c == column)
            .or_else(|| column.parse().ok())
            .ok_or_else(|| format!("resolver column {column:?} is not in the CSV header"))?
    };
    let rec = rdr
        .records()
        .next()
        .ok_or("the CSV has no data row")?
        .map_err(|e| e.to_string())?;
    rec.get(idx)
        .map(str::to_string)
        .ok_or_else(|| format!("the CSV's first row has no column {idx}"))
}

/// Decodes `encoding="base64"` / `base64unicode` values.
pub fn decode_base64_text(s: &str) -> Result<String, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| format!("not base64: {e}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Duration of a WAV file from its header.
pub fn wav_duration(path: &Path) -> Option<f64> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut head = [0u8; 12];
    f.read_exact(&mut head).ok()?;
    if &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return None;
    }
    let mut byte_rate = None;
    loop {
        let mut ch = [0u8; 8];
        f.read_exact(&mut ch).ok()?;
        let size = u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]) as u64;
        match &ch[0..4] {
            b"fmt " => {
                let mut fmt = vec![0u8; size.min(64) as usize];
                f.read_exact(&mut fmt).ok()?;
                byte_rate = Some(u32::from_le_bytes([fmt[8], fmt[9], fmt[10], fmt[11]]) as f64);
                if size > 64 {
                    f.seek(SeekFrom::Current((size - 64) as i64)).ok()?;
                }
            }
            b"data" => {
                let r = byte_rate.filter(|r| *r > 0.0)?;
                return Some(size as f64 / r);
            }
            _ => {
                f.seek(SeekFrom::Current((size + size % 2) as i64)).ok()?;
            }
        }
    }
}

/// An image scaled to fit a pane: `width × height` pixels, two pixel rows per cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Raster {
    pub width: u32,
    pub height: u32,
    pub orig_width: u32,
    pub orig_height: u32,
    pub pixels: Vec<[u8; 3]>,
    /// The cell size it was made for.
    pub cols: u16,
    pub rows: u16,
}

impl Raster {
    pub fn at(&self, x: u32, y: u32) -> [u8; 3] {
        self.pixels[(y * self.width + x) as usize]
    }
}

/// Scales an image to fit `cols × rows` cells (two pixels per cell vertically), keeping
/// its aspect.
pub fn rasterize(img: &image::RgbImage, cols: u16, rows: u16) -> Raster {
    let (w, h) = img.dimensions();
    let (tw, th) = fit(w, h, cols as u32, rows as u32 * 2);
    let small = image::imageops::resize(img, tw, th, image::imageops::FilterType::Triangle);
    Raster {
        width: tw,
        height: th,
        orig_width: w,
        orig_height: h,
        pixels: small.pixels().map(|p| p.0).collect(),
        cols,
        rows,
    }
}

/// The largest size with `w:h`'s aspect inside `mw × mh` (at least 1×1).
pub fn fit(w: u32, h: u32, mw: u32, mh: u32) -> (u32, u32) {
    if w == 0 || h == 0 {
        return (1, 1);
    }
    let s = (mw as f64 / w as f64).min(mh as f64 / h as f64);
    (
        ((w as f64 * s).round() as u32).clamp(1, mw.max(1)),
        ((h as f64 * s).round() as u32).clamp(1, mh.max(1)),
    )
}

#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Text content (`valueType="url"`), optionally through a resolver.
    Text {
        key: String,
        source: Source,
        resolver: Option<String>,
    },
    /// An image scaled for a pane of `cols × rows` cells.
    Image {
        key: String,
        source: Source,
        cols: u16,
        rows: u16,
    },
    /// Facts about an audio or video file.
    Media { key: String, source: Source },
}

impl Request {
    pub fn key(&self) -> &str {
        match self {
            Request::Text { key, .. } | Request::Image { key, .. } | Request::Media { key, .. } => {
                key
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Text(String),
    Image(Arc<Raster>),
    Media {
        duration: Option<f64>,
        bytes: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub key: String,
    pub result: Result<Payload, String>,
}

type Decoded = Arc<image::RgbImage>;

fn serve(req: Request, cache: &Mutex<Vec<(Source, Decoded)>>) -> Loaded {
    let key = req.key().to_string();
    let result = match req {
        Request::Text {
            source, resolver, ..
        } => fetch(&source)
            .and_then(|b| {
                let text = String::from_utf8_lossy(&b).into_owned();
                match resolver {
                    Some(r) => apply_resolver(&r, &text),
                    None => Ok(text),
                }
            })
            .map(Payload::Text),
        Request::Image {
            source, cols, rows, ..
        } => {
            let hit = cache
                .lock()
                .ok()
                .and_then(|c| c.iter().find(|(s, _)| *s == source).map(|(_, d)| d.clone()));
            let decoded = match hit {
                Some(d) => Ok(d),
                None => fetch(&source).and_then(|b| {
                    image::load_from_memory(&b)
                        .map(|i| Arc::new(i.to_rgb8()))
                        .map_err(|e| format!("{}: cannot decode image: {e}", source.describe()))
                }),
            };
            decoded.map(|d| {
                if let Ok(mut c) = cache.lock()
                    && !c.iter().any(|(s, _)| *s == source)
                {
                    c.push((source.clone(), d.clone()));
                    if c.len() > 4 {
                        c.remove(0);
                    }
                }
                Payload::Image(Arc::new(rasterize(&d, cols, rows)))
            })
        }
        Request::Media { source, .. } => match &source {
            Source::Path(p) => match std::fs::metadata(p) {
                Ok(m) => Ok(Payload::Media {
                    duration: wav_duration(p).or_else(|| crate::media::mp4::duration(p)),
                    bytes: Some(m.len()),
                }),
                Err(e) => Err(format!("{}: {e}", p.display())),
            },
            _ => Ok(Payload::Media {
                duration: None,
                bytes: None,
            }),
        },
    };
    Loaded { key, result }
}

/// Worker threads that serve requests and hand results to `sink`.
pub struct Loader {
    tx: Sender<Request>,
}

impl Loader {
    pub fn spawn(threads: usize, sink: Arc<dyn Fn(Loaded) + Send + Sync>) -> Loader {
        let (tx, rx) = channel::<Request>();
        let rx = Arc::new(Mutex::new(rx));
        let cache = Arc::new(Mutex::new(Vec::new()));
        for _ in 0..threads.max(1) {
            let rx = rx.clone();
            let sink = sink.clone();
            let cache = cache.clone();
            std::thread::spawn(move || {
                loop {
                    let req = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    let Ok(req) = req else { return };
                    sink(serve(req, &cache));
                }
            });
        }
        Loader { tx }
    }

    pub fn request(&self, r: Request) {
        let _ = self.tx.send(r);
    }
}

/// A loader whose results are collected on a channel (tests and the benchmark).
pub fn channel_loader(threads: usize) -> (Loader, Receiver<Loaded>) {
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    let sink = Arc::new(move |l: Loaded| {
        if let Ok(t) = tx.lock() {
            let _ = t.send(l);
        }
    });
    (Loader::spawn(threads, sink), rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(root: &Path) -> crate::media::Resolver {
        annotator_resolver(crate::media::Roots {
            media_root: Some(root.to_path_buf()),
            local_files_root: Some(root.to_path_buf()),
            ..Default::default()
        })
    }

    const NO_TASK: crate::media::Origin = crate::media::Origin {
        task: "1",
        base_dir: None,
    };

    #[test]
    fn sources_resolve_like_label_studio() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let r = resolver(&root);
        std::fs::create_dir(root.join("imgs")).unwrap();
        std::fs::write(root.join("imgs/a b.png"), b"x").unwrap();
        assert_eq!(
            resolve_source(
                &r,
                &NO_TASK,
                &format!("file://{}/imgs/a%20b.png", root.display())
            ),
            Ok(Source::Path(root.join("imgs/a b.png")))
        );
        assert_eq!(
            resolve_source(&r, &NO_TASK, "/data/local-files/?d=imgs/a%20b.png"),
            Ok(Source::Path(root.join("imgs/a b.png")))
        );
        let e = resolve_source(&r, &NO_TASK, "/data/local-files/?d=../../etc/passwd").unwrap_err();
        assert!(e.contains("outside the allowed roots"), "{e}");
        assert!(
            resolve_source(&r, &NO_TASK, "/data/upload/1/x.png")
                .unwrap_err()
                .contains("--upload-dir")
        );
        assert!(matches!(
            resolve_source(&r, &NO_TASK, "https://h/x.png"),
            Ok(Source::Url(_))
        ));
        assert_eq!(
            resolve_source(&r, &NO_TASK, "data:text/plain;base64,aGk="),
            Ok(Source::Bytes(b"hi".to_vec()))
        );
    }

    #[test]
    fn csv_resolver_and_base64() {
        let csv = "id;text\n1;first row\n2;second\n";
        assert_eq!(
            apply_resolver("csv|separator=;|column=text", csv).unwrap(),
            "first row"
        );
        assert_eq!(
            apply_resolver("csv|headless|separator=;|column=1", "a;b\nc;d").unwrap(),
            "b"
        );
        assert!(apply_resolver("csv|column=nope", "a,b\n1,2").is_err());
        assert_eq!(decode_base64_text("R3LDvMOf").unwrap(), "Grüß");
    }

    #[test]
    fn wav_header_gives_duration() {
        let d = wav_duration(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/audio_transcription/audio/clip1.wav"
        )))
        .unwrap();
        assert!(d > 0.1 && d < 60.0, "{d}");
    }

    #[test]
    fn images_load_on_workers_and_fit() {
        let (loader, rx) = channel_loader(1);
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/image_bbox"));
        let res = resolver(root);
        loader.request(Request::Image {
            key: "k".into(),
            source: resolve_source(&res, &NO_TASK, "images/street.png").unwrap(),
            cols: 40,
            rows: 10,
        });
        let got = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        let Payload::Image(r) = got.result.unwrap() else {
            panic!()
        };
        assert_eq!((r.orig_width, r.orig_height), (64, 48));
        assert_eq!((r.width, r.height), (27, 20));
        let e = resolve_source(&res, &NO_TASK, "images/none.png").unwrap_err();
        assert!(e.contains("none.png") && e.contains("not found"), "{e}");
        assert_eq!(fit(100, 50, 40, 40), (40, 20));
    }
}
