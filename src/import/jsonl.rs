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
        let file = super::CountedFile::open(path)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::tests::Collect;

    fn read(content: &[u8]) -> Result<Collect, Problem> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        std::fs::write(&p, content).unwrap();
        let mut c = Collect::default();
        JsonlReader.read(&p, "t.jsonl", &mut c)?;
        Ok(c)
    }

    #[test]
    fn one_item_per_non_empty_line() {
        let c = read(b"\xef\xbb\xbf{\"a\": 1}\n\n  \r\n{\"data\": {\"b\": 2}}\r\n").unwrap();
        assert_eq!(c.items.len(), 2);
        assert_eq!(c.items[1].loc.line, Some(4));
        assert_eq!(c.value(1)["data"]["b"], 2);
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn errors_name_the_line() {
        let e = read(b"{\"a\": 1}\n{\"a\": }\n").err().unwrap();
        assert_eq!(e.location.line, Some(2));
        assert!(e.message.contains("invalid JSON"), "{e}");
    }
}
