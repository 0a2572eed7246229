//! Where a task's media value leads, for import, the annotator and export alike, and the
//! one check that decides which local files may be read at all.
//!
//! A value resolves, in this order:
//! - `data:` URL: its decoded bytes;
//! - `http(s)://`: fetched through [`crate::net`], only when the command allows fetching;
//! - `/data/local-files/?d=PATH`: `PATH` under the local-files root (`--local-files-root`,
//!   else `LOCAL_FILES_DOCUMENT_ROOT`, else `LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT`);
//! - `/data/upload/REST`: `REST` under the upload directory (`--upload-dir`);
//! - cloud URIs (`s3:`, `gs:`, `azure-blob:`...): not readable here;
//! - `file://` URLs and plain paths: absolute as written; relative ones against the folder
//!   of the file the task was imported from, then against the media root (`--media-root`).
//!
//! Confinement: a local file is read only when, after `..` and every symbolic link, it
//! lies under one of the allowed roots: the task's import folder, the media root, the
//! local-files root, the upload directory and any `--allow-path`. Anything else is refused
//! with the task and the value, and nothing about it (content, size, existence) is told.

use crate::net;
use crate::util::percent_decode;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

pub mod mp4;
#[cfg(test)]
mod tests;

/// Environment variables naming the local-files root, Label Studio's name first.
pub const LOCAL_FILES_ENV: [&str; 2] = [
    "LOCAL_FILES_DOCUMENT_ROOT",
    "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT",
];

/// The folders media may be read from, besides each task's import folder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Roots {
    /// `--media-root`: relative paths that are not in the import folder are looked up here.
    pub media_root: Option<PathBuf>,
    /// Label Studio's `LOCAL_FILES_DOCUMENT_ROOT`, for `/data/local-files/?d=`.
    pub local_files_root: Option<PathBuf>,
    /// Label Studio's `media/upload`, for `/data/upload/...`.
    pub upload_dir: Option<PathBuf>,
    /// `--allow-path`: folders the user allows on purpose.
    pub allow: Vec<PathBuf>,
}

impl Roots {
    /// The local-files root from the environment (an empty value or `/` counts as unset:
    /// `/` would allow every file).
    pub fn local_files_root_from_env() -> Option<PathBuf> {
        LOCAL_FILES_ENV.iter().find_map(|name| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty() && v != "/")
                .map(PathBuf::from)
        })
    }

    fn all(&self) -> impl Iterator<Item = &PathBuf> {
        self.media_root
            .iter()
            .chain(&self.local_files_root)
            .chain(&self.upload_dir)
            .chain(&self.allow)
    }
}

/// The task a value belongs to: named in messages, and its import folder is a root.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub task: &'a str,
    pub base_dir: Option<&'a Path>,
}

/// Where a value leads.
#[derive(Debug, Clone, PartialEq)]
pub enum Media {
    /// A local file inside the allowed roots, with every link resolved.
    File(PathBuf),
    /// An http(s) URL, as written.
    Http(String),
    /// A `data:` URL's content.
    Data {
        mime: String,
        base64: bool,
        bytes: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MediaError {
    #[error("task {task}: {value}: refused, outside the allowed roots")]
    Refused { task: String, value: String },
    #[error("task {task}: {value}: not found in the allowed roots")]
    NotFound { task: String, value: String },
    #[error("task {task}: {value}: {reason}")]
    Unavailable {
        task: String,
        value: String,
        reason: String,
    },
}

impl MediaError {
    /// What went wrong, without the task and value (for messages that already name them).
    pub fn reason(&self) -> String {
        match self {
            MediaError::Refused { .. } => "refused, outside the allowed roots".into(),
            MediaError::NotFound { .. } => "not found in the allowed roots".into(),
            MediaError::Unavailable { reason, .. } => reason.clone(),
        }
    }

    pub fn is_refused(&self) -> bool {
        matches!(self, MediaError::Refused { .. })
    }
}

/// A value as shown in messages: data URLs and long values cut short.
pub fn shown(value: &str) -> String {
    const MAX: usize = 96;
    if value.len() <= MAX {
        return format!("{value:?}");
    }
    let mut end = MAX;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}...", &value[..end])
}

/// Whether `scheme` (the part before `://`) is a URL scheme: a letter, then letters,
/// digits, `+`, `-` or `.`.
pub fn has_scheme(scheme: &str) -> bool {
    !scheme.is_empty()
        && scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `path` made absolute and with `.`/`..` removed, without touching the file system.
pub fn lexical(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c.as_os_str()),
        }
    }
    out
}

/// A root in the two forms a path is compared with.
struct Root {
    lexical: PathBuf,
    canonical: Option<PathBuf>,
}

impl Root {
    fn new(p: &Path) -> Root {
        Root {
            lexical: lexical(p),
            canonical: p.canonicalize().ok(),
        }
    }
}

/// The one resolver of media values.
pub struct Resolver {
    roots: Roots,
    fixed: Vec<Root>,
    fetch: bool,
    max_bytes: u64,
}

impl Resolver {
    /// `fetch`: whether http(s) values may be fetched.
    pub fn new(roots: Roots, fetch: bool) -> Resolver {
        let fixed = roots.all().map(|p| Root::new(p)).collect();
        Resolver {
            roots,
            fixed,
            fetch,
            max_bytes: net::MAX_MEDIA_BYTES,
        }
    }

    /// Reads at most `max_bytes` from one source (the annotator's memory bound).
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Resolver {
        self.max_bytes = max_bytes;
        self
    }

    pub fn roots(&self) -> &Roots {
        &self.roots
    }

    pub fn fetches(&self) -> bool {
        self.fetch
    }

    fn unavailable(o: &Origin, value: &str, reason: impl Into<String>) -> MediaError {
        MediaError::Unavailable {
            task: o.task.to_string(),
            value: shown(value),
            reason: reason.into(),
        }
    }

    fn refused(o: &Origin, value: &str) -> MediaError {
        MediaError::Refused {
            task: o.task.to_string(),
            value: shown(value),
        }
    }

    fn not_found(o: &Origin, value: &str) -> MediaError {
        MediaError::NotFound {
            task: o.task.to_string(),
            value: shown(value),
        }
    }

    /// Resolves one value of a task.
    pub fn resolve(&self, o: &Origin, value: &str) -> Result<Media, MediaError> {
        let v = value.trim();
        if v.is_empty() {
            return Err(Self::unavailable(o, value, "empty value"));
        }
        let lower = v.get(..16).unwrap_or(v).to_ascii_lowercase();
        if lower.starts_with("data:") {
            return decode_data_url(v).map_err(|e| Self::unavailable(o, value, e));
        }
        if net::is_http(v) {
            return Ok(Media::Http(v.to_string()));
        }
        if v.starts_with("/data/") && v.contains("?d=") {
            let root = self.roots.local_files_root.as_ref().ok_or_else(|| {
                Self::unavailable(
                    o,
                    value,
                    "a local-files URL needs --local-files-root or LOCAL_FILES_DOCUMENT_ROOT",
                )
            })?;
            let d = query_d(v).unwrap_or_default();
            if d.is_empty() {
                return Err(Self::unavailable(o, value, "a local-files URL without ?d="));
            }
            return self
                .confine(o, value, &join_inside(root, &d))
                .map(Media::File);
        }
        if let Some(rest) = v.strip_prefix("/data/upload/") {
            let dir = self.roots.upload_dir.as_ref().ok_or_else(|| {
                Self::unavailable(
                    o,
                    value,
                    "an uploaded file (/data/upload/...) needs --upload-dir (Label Studio's media/upload)",
                )
            })?;
            let rest = percent_decode(rest.split(['?', '#']).next().unwrap_or(""), false);
            return self
                .confine(o, value, &join_inside(dir, &rest))
                .map(Media::File);
        }
        for scheme in ["s3:", "gs:", "gcs:", "azure-blob:", "azure:"] {
            if lower.starts_with(scheme) {
                return Err(Self::unavailable(
                    o,
                    value,
                    "cloud storage needs a Label Studio server",
                ));
            }
        }
        if let Some(rest) = strip_file_scheme(v) {
            return self
                .file(o, value, &percent_decode(rest, false))
                .map(Media::File);
        }
        self.file(o, value, v).map(Media::File)
    }

    /// A plain path: absolute, or relative to the import folder, then the media root.
    pub fn file(&self, o: &Origin, value: &str, path: &str) -> Result<PathBuf, MediaError> {
        let p = Path::new(path);
        let candidates: Vec<PathBuf> = if p.is_absolute() {
            vec![p.to_path_buf()]
        } else {
            o.base_dir
                .iter()
                .chain(self.roots.media_root.as_deref().iter())
                .map(|b| b.join(p))
                .collect()
        };
        if candidates.is_empty() {
            return Err(Self::unavailable(
                o,
                value,
                "a relative path needs the folder the task was imported from or --media-root",
            ));
        }
        let mut refused = false;
        for c in &candidates {
            match self.confine(o, value, c) {
                Ok(f) => return Ok(f),
                Err(MediaError::Refused { .. }) => refused = true,
                Err(_) => {}
            }
        }
        Err(if refused {
            Self::refused(o, value)
        } else {
            Self::not_found(o, value)
        })
    }

    fn roots_of<'r>(&'r self, o: &Origin, extra: &'r mut Option<Root>) -> Vec<&'r Root> {
        *extra = o.base_dir.map(Root::new);
        self.fixed.iter().chain(extra.as_ref()).collect()
    }

    /// `path` with every link resolved, when it is a file inside the allowed roots. A path
    /// that does not even look as if it were inside one is refused before the file system is
    /// asked anything about it.
    pub fn confine(&self, o: &Origin, value: &str, path: &Path) -> Result<PathBuf, MediaError> {
        let mut extra = None;
        let roots = self.roots_of(o, &mut extra);
        let lex = lexical(path);
        let looks_inside = roots.iter().any(|r| {
            lex.starts_with(&r.lexical) || r.canonical.as_ref().is_some_and(|c| lex.starts_with(c))
        });
        if !looks_inside {
            return Err(Self::refused(o, value));
        }
        let inside = |p: &Path| {
            roots
                .iter()
                .any(|r| r.canonical.as_ref().is_some_and(|c| p.starts_with(c)))
        };
        match lex.canonicalize() {
            Ok(real) if !inside(&real) => Err(Self::refused(o, value)),
            Ok(real) if real.is_file() => Ok(real),
            Ok(_) => Err(Self::unavailable(o, value, "not a file")),
            Err(_) => {
                // A missing file behind a link that leaves the roots is refused like any
                // other path outside them, so that its absence is not told either.
                let leaves = lex
                    .ancestors()
                    .skip(1)
                    .find_map(|a| a.canonicalize().ok())
                    .is_some_and(|a| !inside(&a))
                    || std::fs::symlink_metadata(&lex).is_ok_and(|m| m.file_type().is_symlink());
                Err(if leaves {
                    Self::refused(o, value)
                } else {
                    Self::not_found(o, value)
                })
            }
        }
    }

    /// The bytes of resolved media: a confined file, a fetch (when allowed) or a data URL.
    pub fn read(&self, o: &Origin, value: &str, media: &Media) -> Result<Vec<u8>, MediaError> {
        match media {
            Media::File(p) => {
                let f = std::fs::File::open(p)
                    .map_err(|e| Self::unavailable(o, value, e.to_string()))?;
                let mut bytes = Vec::new();
                f.take(self.max_bytes + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|e| Self::unavailable(o, value, e.to_string()))?;
                if bytes.len() as u64 > self.max_bytes {
                    return Err(Self::unavailable(
                        o,
                        value,
                        format!("larger than {} bytes; not read", self.max_bytes),
                    ));
                }
                Ok(bytes)
            }
            Media::Http(url) => {
                self.check_fetch(o, value)?;
                net::get(url, self.max_bytes)
                    .map(|f| f.bytes)
                    .map_err(|e| Self::unavailable(o, value, e.to_string()))
            }
            Media::Data { bytes, .. } => Ok(bytes.clone()),
        }
    }

    fn check_fetch(&self, o: &Origin, value: &str) -> Result<(), MediaError> {
        if self.fetch {
            Ok(())
        } else {
            Err(Self::unavailable(
                o,
                value,
                "http(s) media is fetched only with --download-resources",
            ))
        }
    }

    /// Copies resolved media to `target` through a temporary file beside it: a failed copy
    /// leaves nothing behind.
    pub fn copy(
        &self,
        o: &Origin,
        value: &str,
        media: &Media,
        target: &Path,
    ) -> Result<(), MediaError> {
        if let Media::Http(url) = media {
            self.check_fetch(o, value)?;
            return net::download(url, target, self.max_bytes)
                .map(|_| ())
                .map_err(|e| Self::unavailable(o, value, e.to_string()));
        }
        if let Media::File(p) = media {
            // Streamed: audio and images can be large.
            let size = std::fs::metadata(p)
                .map_err(|e| Self::unavailable(o, value, e.to_string()))?
                .len();
            if size > self.max_bytes {
                return Err(Self::unavailable(
                    o,
                    value,
                    format!("larger than {} bytes; not read", self.max_bytes),
                ));
            }
            return copy_atomically(p, target).map_err(|e| Self::unavailable(o, value, e));
        }
        let bytes = self.read(o, value, media)?;
        write_atomically(target, &bytes).map_err(|e| Self::unavailable(o, value, e))
    }
}

fn part_of(target: &Path) -> PathBuf {
    target.with_file_name(format!(
        ".{}.part",
        target.file_name().unwrap_or_default().to_string_lossy()
    ))
}

/// Writes `bytes` to `target` through `.<name>.part`, renamed into place when complete.
pub fn write_atomically(target: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = part_of(target);
    let written = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, target));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", target.display())
    })
}

/// Copies `from` to `target` through `.<name>.part`, renamed into place when complete.
fn copy_atomically(from: &Path, target: &Path) -> Result<(), String> {
    let tmp = part_of(target);
    let copied = std::fs::copy(from, &tmp).and_then(|_| std::fs::rename(&tmp, target));
    copied.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot copy into {}: {e}", target.display())
    })
}

/// The path of a `file:` URL (`file:///p`, `file://localhost/p`, `file:/p`).
fn strip_file_scheme(v: &str) -> Option<&str> {
    let lower = v.get(..17).unwrap_or(v).to_ascii_lowercase();
    if lower.starts_with("file://localhost/") {
        Some(&v[16..])
    } else if lower.starts_with("file://") {
        Some(&v[7..])
    } else if lower.starts_with("file:") {
        Some(&v[5..])
    } else {
        None
    }
}

/// `rest` under `root` as Label Studio joins it (`normpath`, leading `/` dropped); a `..`
/// that climbs above `root` is kept, so that the confinement check refuses it.
fn join_inside(root: &Path, rest: &str) -> PathBuf {
    root.join(rest.trim_start_matches('/'))
}

/// The last `d=` value of a URL's query (Django's `request.GET.get("d")`).
pub fn query_d(v: &str) -> Option<String> {
    let q = v.split_once('?')?.1;
    let q = q.split('#').next().unwrap_or("");
    q.split(['&', ';'])
        .filter_map(|kv| {
            let (k, val) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k, true) == "d").then(|| percent_decode(val, true))
        })
        .next_back()
}

/// Decodes a `data:` URL: base64 as Python's `b64decode` does by default (characters
/// outside the alphabet dropped), else percent-encoded text.
pub fn decode_data_url(v: &str) -> Result<Media, String> {
    let rest = &v[5..];
    let (header, data) = rest.split_once(',').ok_or("a data: URL without a comma")?;
    let base64 = header.to_ascii_lowercase().ends_with(";base64");
    let mime = header.split(';').next().unwrap_or("").trim().to_string();
    let bytes = if base64 {
        decode_base64(data)?
    } else {
        percent_decode(data, false).into_bytes()
    };
    Ok(Media::Data {
        mime,
        base64,
        bytes,
    })
}

/// Base64 as Python's `b64decode` reads it: characters outside the alphabet are dropped.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let clean: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map_err(|e| format!("bad base64: {e}"))
}
