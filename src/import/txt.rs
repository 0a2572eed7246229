//! Plain text: one task per line, split like Python's `str.splitlines()` (which also
//! breaks on `\r`, `\v`, `\f`, `\x1c`-`\x1e`, `\x85`, `\u2028`, `\u2029`). A trailing line
//! break adds nothing; an empty line in the middle is a task with "".

use super::{Flow, ItemSink, RawItem, RawMap, TaskReader, raw_string};
use crate::error::{Location, Problem};
use std::io::{BufRead, BufReader};
use std::path::Path;

pub struct TextReader;

fn is_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

impl TaskReader for TextReader {
    fn read(&self, path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
        let file = super::CountedFile::open(path)
            .map_err(|e| Problem::new(Location::file(name), format!("cannot open: {e}")))?;
        let mut r = BufReader::with_capacity(1 << 16, file);
        let mut raw = Vec::new();
        let mut physical = 0usize;
        let mut emitted = 0usize;
        // Reads "\n"-terminated chunks; inside each, Python's other line breaks split further.
        loop {
            raw.clear();
            let n = r.read_until(b'\n', &mut raw).map_err(|e| {
                Problem::new(
                    Location::line(name, physical + 1),
                    format!("read error: {e}"),
                )
            })?;
            if n == 0 {
                break;
            }
            physical += 1;
            let mut bytes: &[u8] = &raw;
            if physical == 1 && bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
                bytes = &bytes[3..];
                sink.warn(Problem::new(
                    Location::file(name),
                    "UTF-8 byte order mark skipped",
                ));
            }
            let text = std::str::from_utf8(bytes).map_err(|e| {
                Problem::new(
                    Location::at(name, physical, e.valid_up_to() + 1),
                    "invalid UTF-8 (text files must be UTF-8)",
                )
            })?;
            // splitlines over this chunk; chunks end at "\n", so "\r\n" never spans two.
            let mut pieces: Vec<&str> = Vec::new();
            let mut start = 0;
            let mut chars = text.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                if is_break(c) {
                    pieces.push(&text[start..i]);
                    start = i + c.len_utf8();
                    if c == '\r' && chars.peek().is_some_and(|(_, n)| *n == '\n') {
                        chars.next();
                        start += 1;
                    }
                }
            }
            if start < text.len() {
                pieces.push(&text[start..]);
            }
            for piece in pieces {
                emitted += 1;
                let mut data = RawMap::default();
                data.insert("$undefined$".into(), raw_string(piece));
                let flow = sink.item(RawItem::data(data, Location::line(name, physical)));
                if let Flow::Stop = flow {
                    return Ok(());
                }
            }
        }
        if emitted == 0 {
            return Err(Problem::new(
                Location::file(name),
                "empty file: no lines to import",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::tests::Collect;

    fn lines(content: &[u8]) -> Result<Vec<String>, Problem> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.txt");
        std::fs::write(&p, content).unwrap();
        let mut c = Collect::default();
        TextReader.read(&p, "t.txt", &mut c)?;
        Ok((0..c.items.len())
            .map(|i| c.value(i)["$undefined$"].as_str().unwrap().to_string())
            .collect())
    }

    #[test]
    fn splits_like_python_splitlines() {
        assert_eq!(lines(b"a\nb\n").unwrap(), vec!["a", "b"]);
        assert_eq!(lines(b"a\n\nb").unwrap(), vec!["a", "", "b"]);
        assert_eq!(lines(b"a\r\nb\r\n").unwrap(), vec!["a", "b"]);
        assert_eq!(lines(b"a\rb\x0cc\n").unwrap(), vec!["a", "b", "c"]);
        assert_eq!(lines("x\u{2028}y".as_bytes()).unwrap(), vec!["x", "y"]);
        assert_eq!(lines(b"a\r").unwrap(), vec!["a"]);
        assert_eq!(lines(b"a\r\r\n").unwrap(), vec!["a", ""]);
        assert!(lines(b"").unwrap_err().message.contains("empty"));
        let e = lines(b"ok\nbad \xff here\n").unwrap_err();
        assert_eq!((e.location.line, e.location.column), (Some(2), Some(5)));
    }
}
