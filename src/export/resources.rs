//! Media referenced by tasks (audio files, page images), found the way Label Studio's
//! converter finds them, but reading local files always and fetching http(s) only when
//! asked (`--download-resources`):
//! - `/data/upload/<rest>`: `<upload dir>/<rest>` (percent-decoded, never outside it);
//! - `/data/local-files/?d=<path>`: `<local-files root>/<path>` (`--local-files-root`,
//!   else `$LOCAL_FILES_DOCUMENT_ROOT`);
//! - `http(s)://...`: downloaded;
//! - `data:...;base64,...`: decoded;
//! - anything else: a file path, relative to the directory the task was imported from.

use super::ExportOptions;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// Where a media reference leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Media {
    File(PathBuf),
    Http(String),
    /// A `data:` URL: its MIME type and the base64 text.
    Data {
        mime: String,
        base64: String,
    },
}

/// `rest` joined to `base`, refusing anything that would leave `base`.
fn inside(base: &Path, rest: &str) -> Result<PathBuf, String> {
    let mut p = base.to_path_buf();
    for c in Path::new(rest).components() {
        match c {
            Component::Normal(n) => p.push(n),
            Component::CurDir => {}
            _ => return Err(format!("{rest:?} leaves {}", base.display())),
        }
    }
    Ok(p)
}

/// Resolves a media reference of a task.
pub fn resolve(url: &str, base_dir: Option<&Path>, opts: &ExportOptions) -> Result<Media, String> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(Media::Http(url.to_string()));
    }
    if lower.starts_with("data:") {
        let (header, data) = url[5..].split_once(',').unwrap_or((&url[5..], ""));
        if !header.to_ascii_lowercase().contains(";base64") || data.is_empty() {
            return Err("a data: URL that is not base64".into());
        }
        let mime = header.split(';').next().unwrap_or("").trim().to_string();
        return Ok(Media::Data {
            mime,
            base64: data.to_string(),
        });
    }
    if url.starts_with("/data/") && url.contains("?d=") {
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
        let d = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("d="))
            .map(|v| crate::util::percent_decode(v, true))
            .unwrap_or_default();
        let root = opts.local_files_root.as_ref().ok_or_else(|| {
            "a local-files URL needs --local-files-root or LOCAL_FILES_DOCUMENT_ROOT (Label Studio's setting)"
                .to_string()
        })?;
        return inside(root, &d).map(Media::File);
    }
    if let Some(rest) = url.strip_prefix("/data/upload/") {
        let dir = opts.upload_dir.as_ref().ok_or_else(|| {
            "an uploaded file (/data/upload/...) needs --upload-dir (Label Studio's media/upload directory)"
                .to_string()
        })?;
        return inside(dir, &crate::util::percent_decode(rest, false)).map(Media::File);
    }
    let p = Path::new(url);
    Ok(Media::File(match base_dir {
        Some(b) if p.is_relative() => b.join(p),
        _ => p.to_path_buf(),
    }))
}

/// The last path segment of a URL's path, still percent-encoded (`os.path.basename` of
/// `urlparse(url).path`).
pub fn url_basename(url: &str) -> String {
    let no_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let path = no_scheme
        .find('/')
        .map_or("", |i| &no_scheme[i..])
        .split(['?', '#'])
        .next()
        .unwrap_or("");
    path.rsplit('/').next().unwrap_or("").to_string()
}

/// Fetches an http(s) URL (127.0.0.1 or anywhere the user points at), with time limits.
pub fn fetch(url: &str) -> Result<Vec<u8>, String> {
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .timeout_connect(Some(Duration::from_secs(10)))
        .build()
        .new_agent();
    let mut resp = agent.get(url).call().map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    resp.body_mut()
        .with_config()
        .limit(u64::MAX)
        .reader()
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// Decodes base64 as Python's `b64decode` does by default: characters outside the alphabet
/// are dropped first.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let clean: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map_err(|e| e.to_string())
}

/// Frames / rate of a WAV file (Python's `wave`: `getnframes() / getframerate()`).
pub fn wav_duration(bytes: &[u8]) -> Result<f64, String> {
    let bad = |m: &str| Err(format!("not a WAV file: {m}"));
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return bad("no RIFF/WAVE header");
    }
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at =
        |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let mut pos = 12;
    let mut format: Option<(u16, u32, u16)> = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32_at(pos + 4) as usize;
        let body = pos + 8;
        if id == b"fmt " {
            if body + 16 > bytes.len() {
                return bad("short fmt chunk");
            }
            let channels = u16_at(body + 2);
            let rate = u32_at(body + 4);
            let bits = u16_at(body + 14);
            format = Some((channels, rate, bits));
        } else if id == b"data" {
            let Some((channels, rate, bits)) = format else {
                return bad("data chunk before fmt chunk");
            };
            let width = (bits as usize).div_ceil(8);
            let frame = channels as usize * width;
            if frame == 0 || rate == 0 {
                return bad("no channels, sample width or rate");
            }
            return Ok((size / frame) as f64 / rate as f64);
        }
        pos = body + size + (size & 1);
    }
    bad("no data chunk")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve() {
        let opts = ExportOptions {
            upload_dir: Some(PathBuf::from("/up")),
            ..Default::default()
        };
        assert_eq!(
            resolve("/data/upload/1/a%20b.wav", None, &opts),
            Ok(Media::File(PathBuf::from("/up/1/a b.wav")))
        );
        assert!(resolve("/data/upload/../etc/passwd", None, &opts).is_err());
        assert!(resolve("/data/upload/1/x.wav", None, &ExportOptions::default()).is_err());
        assert_eq!(
            resolve("a/x.wav", Some(Path::new("/imp")), &opts),
            Ok(Media::File(PathBuf::from("/imp/a/x.wav")))
        );
        assert_eq!(
            resolve("http://h/p/x%20y.wav?q=1", None, &opts),
            Ok(Media::Http("http://h/p/x%20y.wav?q=1".into()))
        );
        assert_eq!(url_basename("http://h/p/x%20y.wav?q=1"), "x%20y.wav");
        assert_eq!(
            decode_base64("aGk=\n").unwrap(),
            b"hi".to_vec(),
            "newlines are dropped"
        );
    }

    #[test]
    fn wav_duration_reads_the_header() {
        let mut w = Vec::new();
        w.extend_from_slice(b"RIFF\0\0\0\0WAVEfmt ");
        w.extend_from_slice(&16u32.to_le_bytes());
        w.extend_from_slice(&1u16.to_le_bytes()); // PCM
        w.extend_from_slice(&2u16.to_le_bytes()); // channels
        w.extend_from_slice(&8000u32.to_le_bytes());
        w.extend_from_slice(&32000u32.to_le_bytes());
        w.extend_from_slice(&4u16.to_le_bytes());
        w.extend_from_slice(&16u16.to_le_bytes());
        w.extend_from_slice(b"LIST");
        w.extend_from_slice(&3u32.to_le_bytes());
        w.extend_from_slice(b"abc\0");
        w.extend_from_slice(b"data");
        w.extend_from_slice(&8000u32.to_le_bytes());
        assert_eq!(wav_duration(&w), Ok(0.25));
        // IEEE float samples (format 3): Python's `wave` refuses them, the header still tells.
        w[20] = 3;
        assert_eq!(wav_duration(&w), Ok(0.25));
        assert!(wav_duration(b"ID3 not a wav").is_err());
    }
}
