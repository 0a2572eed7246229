//! Standard input as an import source (`--input-path -`, `inspect -`): copied to a file
//! named for its format, so every reader reads it as it reads a file.

use super::InputFormat;
use crate::error::{Error, Result};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

/// Copies standard input to a file named for its format: `--input-format` if given, else
/// what its first bytes say (a JSON list or one object, JSON lines, TSV, CSV or text).
pub fn spool(dir: &Path, stdin: &mut dyn BufRead, format: Option<InputFormat>) -> Result<PathBuf> {
    let tmp = dir.join("stdin");
    let mut file = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    std::io::copy(stdin, &mut file).map_err(|e| Error::io("standard input", e))?;
    file.flush().map_err(|e| Error::io(&tmp, e))?;
    drop(file);
    let ext = match format {
        Some(f) if f.is_dir() => {
            return Err(Error::Usage(format!(
                "--input-format {} needs a directory, not standard input",
                f.name()
            )));
        }
        Some(InputFormat::Jsonl) => "jsonl",
        Some(InputFormat::Csv) => "csv",
        Some(InputFormat::Tsv) => "tsv",
        Some(InputFormat::Text) => "txt",
        Some(InputFormat::Html) => "html",
        Some(InputFormat::Json) => "json",
        Some(InputFormat::Parquet) => "parquet",
        Some(InputFormat::Arrow) => "arrow",
        Some(InputFormat::Excel) => match sniff(&tmp)? {
            ext @ ("xls" | "ods") => ext,
            _ => "xlsx",
        },
        Some(f) => {
            return Err(Error::Usage(format!(
                "--input-format {} cannot be read from standard input",
                f.name()
            )));
        }
        None => sniff(&tmp)?,
    };
    let named = dir.join(format!("stdin.{ext}"));
    std::fs::rename(&tmp, &named).map_err(|e| Error::io(&named, e))?;
    Ok(named)
}

/// The extension the content of `path` reads as.
fn sniff(path: &Path) -> Result<&'static str> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    if let Some(ext) = sniff_binary(&head) {
        return Ok(ext);
    }
    let text = String::from_utf8_lossy(&head);
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('[') {
        return Ok("json");
    }
    if body.starts_with('{') {
        // One object (a single task) is JSON; several, one a line, are JSON lines.
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut values = serde_json::Deserializer::from_reader(std::io::BufReader::new(file))
            .into_iter::<serde::de::IgnoredAny>();
        let first = values.next();
        let second = values.next();
        return Ok(match (first, second) {
            (Some(Ok(_)), None) => "json",
            _ => "jsonl",
        });
    }
    let first_line = body.lines().next().unwrap_or("");
    Ok(if first_line.contains('\t') {
        "tsv"
    } else if first_line.contains(',') {
        "csv"
    } else {
        "txt"
    })
}

/// The extension of a binary table format, from its signature.
fn sniff_binary(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"PAR1") {
        Some("parquet")
    } else if head.starts_with(b"ARROW1") || head.starts_with(&[0xff; 4]) {
        Some("arrow")
    } else if super::cfb_check::is_compound(head) {
        Some("xls")
    } else if head.starts_with(b"PK\x03\x04") {
        // A zip: OpenDocument names its type in an uncompressed first member.
        let ods = memchr::memmem::find(head, b"application/vnd.oasis.opendocument.spreadsheet");
        Some(if ods.is_some() { "ods" } else { "xlsx" })
    } else {
        None
    }
}
