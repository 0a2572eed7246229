//! `--input-path https://...`: the file is downloaded to a temporary place and then
//! imported like a local file of the same kind.

use crate::error::{Location, Problem};
use std::path::PathBuf;

pub fn is_url(s: &str) -> bool {
    crate::net::is_http(s)
}

/// The extension a downloaded file is read as: from the URL path, else from Content-Type.
fn extension(url: &str, content_type: Option<&str>) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.rsplit('/').next().unwrap_or("");
    if let Some((_, ext)) = last.rsplit_once('.')
        && !ext.is_empty()
        && ext.len() <= 5
    {
        return ext.to_ascii_lowercase();
    }
    match content_type.map(|c| {
        c.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    }) {
        Some(c) if c == "application/json" => "json".into(),
        Some(c) if c == "application/x-ndjson" || c == "application/jsonl" => "jsonl".into(),
        Some(c) if c == "text/csv" => "csv".into(),
        Some(c) if c == "text/tab-separated-values" => "tsv".into(),
        Some(c) if c == "text/html" => "html".into(),
        Some(c) if c == "text/plain" => "txt".into(),
        _ => "json".into(),
    }
}

/// Downloads `url` into `dir` (through [`crate::net`]: time limits, size cap); returns the
/// local file, named with the extension it is read as.
pub fn download(url: &str, dir: &std::path::Path) -> Result<PathBuf, Problem> {
    let fail = |m: String| Problem::new(Location::file(url), m);
    let fetched = dir.join("download");
    let content_type = crate::net::download(url, &fetched, crate::net::MAX_IMPORT_BYTES)
        .map_err(|e| fail(format!("download failed: {e}")))?;
    let ext = extension(url, content_type.as_deref());
    let target = dir.join(format!("download.{ext}"));
    std::fs::rename(&fetched, &target).map_err(|e| fail(format!("cannot store download: {e}")))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_from_path_or_type() {
        assert_eq!(extension("http://x/a/tasks.CSV?x=1", None), "csv");
        assert_eq!(
            extension("http://x/api/export", Some("text/csv; charset=utf-8")),
            "csv"
        );
        assert_eq!(extension("http://x/api/export", None), "json");
    }
}
