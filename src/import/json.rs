//! JSON task files: a list of tasks (read one element at a time, so memory does not grow
//! with the file) or a single task object.

use super::{Flow, ItemSink, Payload, RawItem, Shape, TaskReader, parse_payload};
use crate::error::{Location, Problem};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

pub struct JsonReader;

/// Byte-level scanner that finds where each top-level array element starts and ends
/// (tracking strings and nesting depth without recursion); each element is then parsed
/// on its own with serde_json.
struct Scanner<R: BufRead> {
    r: R,
    line: usize,
    col: usize,
    file: String,
    /// Whether input ended outside any string, object or list.
    balanced_at_eof: bool,
    /// Deepest nesting inside the current element.
    max_depth: usize,
}

enum Next {
    Byte(u8),
    Eof,
}

impl<R: BufRead> Scanner<R> {
    fn loc(&self) -> Location {
        Location::at(self.file.clone(), self.line, self.col)
    }

    fn fail(&self, msg: impl Into<String>) -> Problem {
        Problem::new(self.loc(), msg)
    }

    fn io_fail(&self, e: std::io::Error) -> Problem {
        read_error(&self.file, self.line, self.col, e)
    }
    /// Skips whitespace; returns the next significant byte without consuming it.
    fn peek_significant(&mut self) -> Result<Next, Problem> {
        loop {
            let (line, col, file) = (self.line, self.col, &self.file);
            let buf = self
                .r
                .fill_buf()
                .map_err(|e| read_error(file, line, col, e))?;
            if buf.is_empty() {
                return Ok(Next::Eof);
            }
            let (mut line, mut col) = (self.line, self.col);
            let mut n = 0;
            let mut found = None;
            for &b in buf {
                match b {
                    b'\n' => {
                        line += 1;
                        col = 1;
                    }
                    b' ' | b'\t' | b'\r' => col += 1,
                    _ => {
                        found = Some(b);
                        break;
                    }
                }
                n += 1;
            }
            self.r.consume(n);
            (self.line, self.col) = (line, col);
            if let Some(b) = found {
                return Ok(Next::Byte(b));
            }
        }
    }

    fn consume_byte(&mut self) {
        self.r.consume(1);
        self.col += 1;
    }

    /// Reads one element up to (not including) the `,` or `]` that ends it at depth 0.
    /// Returns the bytes and the delimiter (None at end of input).
    fn element(&mut self, out: &mut Vec<u8>) -> Result<Option<u8>, Problem> {
        out.clear();
        let mut depth: usize = 0;
        let mut in_string = false;
        let mut escaped = false;
        loop {
            let (line, col, file) = (self.line, self.col, &self.file);
            let buf = self
                .r
                .fill_buf()
                .map_err(|e| read_error(file, line, col, e))?;
            if buf.is_empty() {
                self.balanced_at_eof = depth == 0 && !in_string;
                return Ok(None);
            }
            let mut end = None;
            let mut i = 0;
            while i < buf.len() {
                if escaped {
                    // The byte after a backslash (a chunk may end between the two).
                    escaped = false;
                    i += 1;
                    continue;
                }
                if in_string {
                    // Strings are most of the bytes: jump to the next quote or backslash.
                    match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                        None => i = buf.len(),
                        Some(j) => {
                            i += j;
                            if buf[i] == b'\\' {
                                escaped = true;
                            } else {
                                in_string = false;
                            }
                            i += 1;
                        }
                    }
                    continue;
                }
                match buf[i] {
                    b'"' => in_string = true,
                    b'{' | b'[' => {
                        depth += 1;
                        self.max_depth = self.max_depth.max(depth);
                    }
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b @ (b']' | b',') if depth == 0 => {
                        end = Some(b);
                        break;
                    }
                    // Inside an element only quotes and brackets matter: pass over the
                    // rest (indentation, numbers, separators) a word at a time.
                    _ if depth > 0 => i += crate::util::skip_to_structural(&buf[i + 1..]),
                    _ => {}
                }
                i += 1;
            }
            let consumed = if end.is_some() { i + 1 } else { i };
            let (line, col) = advance_position(self.line, self.col, &buf[..consumed]);
            out.extend_from_slice(&buf[..i]);
            let consumed = if end.is_some() { i + 1 } else { i };
            self.r.consume(consumed);
            (self.line, self.col) = (line, col);
            if let Some(d) = end {
                return Ok(Some(d));
            }
        }
    }
}

fn read_error(file: &str, line: usize, col: usize, e: std::io::Error) -> Problem {
    Problem::new(Location::at(file, line, col), format!("read error: {e}"))
}

/// Characters in UTF-8 `bytes`: the bytes that do not continue a character (10xxxxxx),
/// counted a word at a time (it runs over every byte of a file of one task a line).
fn chars(bytes: &[u8]) -> usize {
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut continuing = 0usize;
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        // The high bit set and the next one (shifted up to it) clear.
        continuing += (w & !(w << 1) & HIGHS).count_ones() as usize;
    }
    continuing += words
        .remainder()
        .iter()
        .filter(|&&b| b & 0xC0 == 0x80)
        .count();
    bytes.len() - continuing
}

/// Line and column after reading `bytes` from (line, col); columns count characters.
fn advance_position(line: usize, col: usize, bytes: &[u8]) -> (usize, usize) {
    match memchr::memrchr(b'\n', bytes) {
        None => (line, col + chars(bytes)),
        Some(last) => (
            line + memchr::memchr_iter(b'\n', bytes).count(),
            1 + chars(&bytes[last + 1..]),
        ),
    }
}

/// Tasks nested deeper than this are refused: nothing real comes close, and every later
/// reader of the stored JSON (export, the annotator) can then parse it.
pub const MAX_NESTING: usize = 100;

pub fn too_deep(file: &str, line: usize, col: usize) -> Problem {
    Problem::new(
        Location::at(file, line, col),
        format!("task nested deeper than {MAX_NESTING} levels of lists and objects"),
    )
}

/// The deepest nesting of lists and objects in a JSON text.
pub fn nesting(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                // An escape may be the last byte, leaving `i` past the end.
                while let Some(j) = bytes
                    .get(i..)
                    .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
                {
                    if bytes[i + j] == b'\\' {
                        i += j + 2;
                    } else {
                        i += j;
                        break;
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    max
}

/// A syntax error inside an element that starts at (line, col), placed in the whole file.
pub fn locate_error(e: &serde_json::Error, file: &str, line: usize, col: usize) -> Problem {
    let (el, ec) = (e.line(), e.column());
    let (l, c) = if el <= 1 {
        (line, col + ec.saturating_sub(1))
    } else {
        (line + el - 1, ec)
    };
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    Problem::new(Location::at(file, l, c), format!("invalid JSON: {msg}"))
}

/// Parses one element's bytes; syntax errors get positions relative to the whole file.
fn parse_element(bytes: &[u8], file: &str, line: usize, col: usize) -> Result<Payload, Problem> {
    parse_payload(bytes).map_err(|e| locate_error(&e, file, line, col))
}

impl TaskReader for JsonReader {
    fn read(&self, path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
        let file = super::CountedFile::open(path)
            .map_err(|e| Problem::new(Location::file(name), format!("cannot open: {e}")))?;
        read_json(BufReader::with_capacity(1 << 16, file), name, sink)
    }
}

pub fn read_json<R: Read>(
    input: BufReader<R>,
    name: &str,
    sink: &mut dyn ItemSink,
) -> Result<(), Problem> {
    let mut bom = false;
    let result = for_each_element(input, name, &mut bom, &mut |bytes, line, col| {
        let payload = parse_element(bytes, name, line, col).map_err(|mut p| {
            if p.message.contains("trailing characters") && col == 1 && line == 1 {
                p.message.push_str(" (several JSON objects one after another look like JSON Lines: name the file .jsonl or pass --input-format jsonl)");
            }
            p
        })?;
        Ok(sink.item(RawItem {
            payload,
            shape: Shape::Item,
            loc: Location::at(name, line, col),
        }))
    });
    if bom {
        sink.warn(Problem::new(
            Location::file(name),
            "UTF-8 byte order mark skipped",
        ));
    }
    result
}

/// Receives one element's bytes with its starting line and column.
pub type ElementFn<'a> = dyn FnMut(&[u8], usize, usize) -> Result<Flow, Problem> + 'a;

/// Streams the elements of a top-level JSON list (or the one top-level object) to `f` as
/// raw bytes with the line and column where each starts. Memory holds one element.
pub fn for_each_element<R: Read>(
    input: BufReader<R>,
    name: &str,
    bom: &mut bool,
    f: &mut ElementFn,
) -> Result<(), Problem> {
    let mut s = Scanner {
        r: input,
        line: 1,
        col: 1,
        file: name.to_string(),
        balanced_at_eof: false,
        max_depth: 0,
    };
    // A UTF-8 byte order mark is skipped (Label Studio would reject it).
    {
        let buf =
            s.r.fill_buf()
                .map_err(|e| Problem::new(Location::file(name), format!("read error: {e}")))?;
        if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            s.r.consume(3);
            *bom = true;
        }
    }
    let first = match s.peek_significant()? {
        Next::Eof => {
            return Err(s.fail("empty file: expected a JSON list of tasks or one task object"));
        }
        Next::Byte(b) => b,
    };
    let mut bytes = Vec::new();
    match first {
        b'{' => {
            let (line, col) = (s.line, s.col);
            s.r.read_to_end(&mut bytes).map_err(|e| s.io_fail(e))?;
            if nesting(&bytes) > MAX_NESTING {
                return Err(too_deep(name, line, col));
            }
            f(&bytes, line, col)?;
            Ok(())
        }
        b'[' => {
            s.consume_byte();
            let mut index = 0usize;
            loop {
                match s.peek_significant()? {
                    Next::Eof => return Err(s.fail("unexpected end of file: the task list is not closed with ]")),
                    Next::Byte(b']') if index == 0 => {
                        s.consume_byte();
                        break;
                    }
                    Next::Byte(b']') | Next::Byte(b',') => {
                        return Err(s.fail("invalid JSON: expected a task, found a delimiter (empty element or trailing comma)"));
                    }
                    Next::Byte(_) => {}
                }
                let (line, col) = (s.line, s.col);
                s.max_depth = 0;
                let delim = s.element(&mut bytes)?;
                let Some(delim) = delim else {
                    if s.balanced_at_eof {
                        return Err(s.fail("unexpected end of file: the task list is not closed with ]"));
                    }
                    return Err(s.fail("unexpected end of file inside the task list (an unclosed string, object or list?)"));
                };
                index += 1;
                if s.max_depth > MAX_NESTING {
                    return Err(too_deep(name, line, col));
                }
                let flow = f(&bytes, line, col)?;
                if delim == b']' {
                    break;
                }
                if let Flow::Stop = flow {
                    return Ok(());
                }
            }
            match s.peek_significant()? {
                Next::Eof => Ok(()),
                Next::Byte(_) => Err(s.fail("invalid JSON: trailing characters after the task list")),
            }
        }
        other => Err(s.fail(format!(
            "Unsupported or invalid JSON structure: expected a list of tasks or one task object, found {:?}",
            other as char
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::tests::Collect;

    fn read(src: &str) -> Result<Collect, Problem> {
        let mut c = Collect::default();
        read_json(
            BufReader::with_capacity(7, src.as_bytes()),
            "t.json",
            &mut c,
        )?;
        Ok(c)
    }

    #[test]
    fn reads_list_elements_with_positions() {
        let c =
            read("\u{feff}[\n  {\"a\": \"x,]\\\"\"},\n  {\"b\": [1, {\"c\": 2}]}\n]\n").unwrap();
        assert_eq!(c.items.len(), 2);
        assert_eq!(c.value(0)["a"], "x,]\"");
        assert_eq!(c.items[1].loc.line, Some(3));
        assert_eq!(c.items[1].loc.column, Some(3));
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn characters_are_counted_a_word_at_a_time() {
        for text in [
            "",
            "abc",
            "ab\u{e9}cd\u{1F600}efgh\u{4e2d}\u{6587}ijklmnop",
            "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
            "\u{1F600}\u{1F600}\u{1F600}x",
        ] {
            for start in 0..text.len() {
                let part = &text.as_bytes()[start..];
                let want = part.iter().filter(|&&x| (x as i8) >= -0x40).count();
                assert_eq!(chars(part), want, "{text:?} from {start}");
            }
        }
        assert_eq!(
            advance_position(1, 1, "a\u{e9}\nxy\u{e9}z".as_bytes()),
            (2, 5)
        );
    }

    #[test]
    fn single_object_and_empty_list() {
        assert_eq!(read("{\"a\": 1}").unwrap().items.len(), 1);
        assert_eq!(read("[]").unwrap().items.len(), 0);
        assert_eq!(read(" [ 1 , \"s\" ] ").unwrap().items.len(), 2);
    }

    #[test]
    fn an_escape_at_the_end_of_an_unclosed_string() {
        // Found by fuzzing: the nesting scan stepped over the escaped byte past the end.
        assert_eq!(nesting(b"\"\\"), 0);
        assert_eq!(nesting(b"[{\"a\\"), 2);
        assert_eq!(nesting(b"[\"\\\"[\", []]"), 2);
        assert!(read("{\"an*s\\").is_err());
        assert!(read("[{\"a\": \"x\\").is_err());
    }

    #[test]
    fn syntax_errors_point_into_the_file() {
        let e = read("[\n {\"a\": 1},\n {\"b\" 2}\n]").err().unwrap();
        assert_eq!(
            (e.location.line, e.location.column),
            (Some(3), Some(7)),
            "{e}"
        );
        assert!(e.message.contains("expected `:`"), "{e}");
        assert!(read("").err().unwrap().message.contains("empty file"));
        assert!(
            read("[{\"a\":1},]")
                .err()
                .unwrap()
                .message
                .contains("trailing comma")
        );
        assert!(
            read("[{\"a\":1}")
                .err()
                .unwrap()
                .message
                .contains("not closed")
        );
        assert!(
            read("[{\"a\":\"x}]")
                .err()
                .unwrap()
                .message
                .contains("unexpected end of file")
        );
        assert!(
            read("[{}] x")
                .err()
                .unwrap()
                .message
                .contains("trailing characters")
        );
        assert!(
            read("{\"a\":1}\n{\"b\":2}")
                .err()
                .unwrap()
                .message
                .contains("JSON Lines")
        );
        assert!(read("42").err().unwrap().message.contains("Unsupported"));
        let deep = format!("[{}{}]", "[".repeat(5000), "]".repeat(5000));
        let e = read(&deep).err().unwrap();
        assert!(e.message.contains("nested deeper than 100"), "{e}");
        assert_eq!((e.location.line, e.location.column), (Some(1), Some(2)));
        let deep_object = format!("{{\"a\": {}{}}}", "[".repeat(101), "]".repeat(101));
        assert!(
            read(&deep_object)
                .err()
                .unwrap()
                .message
                .contains("nested deeper")
        );
        assert_eq!(nesting(br#"{"a": "[[[", "b": [{"c": "\\\""}]}"#), 3);
    }
}
