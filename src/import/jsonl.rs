//! JSON Lines: one task item per non-empty line (Label Studio reads JSONL only from
//! storage sync; we accept it as a file too).

use super::json::{MAX_NESTING, nesting, too_deep};
use super::{Flow, ItemSink, RawItem, Shape, TaskReader, parse_payload};
use crate::error::{Location, Problem};
use std::io::{BufRead, BufReader};
use std::path::Path;

pub struct JsonlReader;

impl TaskReader for JsonlReader {
    fn read(&self, path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
        let file = std::fs::File::open(path)
            .map_err(|e| Problem::new(Location::file(name), format!("cannot open: {e}")))?;
        let mut r = BufReader::with_capacity(1 << 16, file);
        let mut line = Vec::new();
        let mut n = 0usize;
        loop {
            line.clear();
            let read = r.read_until(b'\n', &mut line).map_err(|e| {
                Problem::new(Location::line(name, n + 1), format!("read error: {e}"))
            })?;
            if read == 0 {
                break;
            }
            n += 1;
            let mut bytes: &[u8] = &line;
            if n == 1 && bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
                bytes = &bytes[3..];
                sink.warn(Problem::new(
                    Location::file(name),
                    "UTF-8 byte order mark skipped",
                ));
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if nesting(bytes) > MAX_NESTING {
                return Err(too_deep(name, n, 1));
            }
            let value = parse_payload(bytes).map_err(|e| {
                let msg = e.to_string();
                let msg = msg
                    .rfind(" at line ")
                    .map_or(msg.clone(), |i| msg[..i].to_string());
                Problem::new(
                    Location::at(name, n, e.column()),
                    format!("invalid JSON: {msg}"),
                )
            })?;
            if let Flow::Stop = sink.item(RawItem {
                payload: value,
                shape: Shape::Item,
                loc: Location::line(name, n),
            }) {
                break;
            }
        }
        Ok(())
    }
}
