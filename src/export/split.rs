//! Splits a Label Studio JSON export (a list of tasks, or one task object) into its
//! elements without parsing them: strings are skipped with `memchr`, brackets counted.
//! The file is read in blocks that the elements share (see [`Element`]), so an element is
//! handed on without being copied; memory holds the blocks of the elements still in use.
//! Line numbers (for messages) are counted over the bytes passed.

use crate::error::{Error, Location, Problem};
use std::io::Read;
use std::sync::Arc;

const CHUNK: usize = 1 << 20;

/// What the callback says after an element.
pub enum Next {
    Continue,
    Stop,
}

/// One element: a range of a block of the file, shared with the other elements read from
/// that block.
pub struct Element {
    block: Arc<Vec<u8>>,
    start: usize,
    end: usize,
}

impl Element {
    pub fn bytes(&self) -> &[u8] {
        &self.block[self.start..self.end]
    }
}

struct Buf<R: Read> {
    r: R,
    /// The block being read. It is never written once read: elements handed on keep it.
    data: Arc<Vec<u8>>,
    /// Start of unconsumed bytes in `data`; offsets below are from here.
    pos: usize,
    eof: bool,
    /// Line at `data[pos]` (1-based), and how far into that line `pos` is.
    line: usize,
    col: usize,
}

impl<R: Read> Buf<R> {
    /// Makes the byte at offset `k` available (reading more input); false at end of input.
    /// Offsets stay valid until `consume`.
    fn more(&mut self, k: usize) -> std::io::Result<bool> {
        while self.pos + k >= self.data.len() {
            if self.eof {
                return Ok(false);
            }
            // A new block, starting with the unconsumed bytes (the element being read):
            // the bytes before them stay with the elements already handed on.
            let tail = &self.data[self.pos..];
            let mut next = Vec::with_capacity(CHUNK.max(2 * tail.len()));
            next.extend_from_slice(tail);
            let want = next.capacity() - next.len();
            // `read_to_end` fills the spare capacity without zeroing it first.
            let n = (&mut self.r).take(want as u64).read_to_end(&mut next)?;
            if n < want {
                self.eof = true;
            }
            self.data = Arc::new(next);
            self.pos = 0;
        }
        Ok(true)
    }

    fn byte(&self, k: usize) -> u8 {
        self.data[self.pos + k]
    }

    /// The available bytes from offset `k` on.
    fn from(&self, k: usize) -> &[u8] {
        &self.data[(self.pos + k).min(self.data.len())..]
    }

    /// Consumes `n` bytes, keeping the line count.
    fn consume(&mut self, n: usize) {
        let part = &self.data[self.pos..self.pos + n];
        match memchr::memrchr(b'\n', part) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', part).count();
                self.col = n - last;
            }
            None => self.col += n,
        }
        self.pos += n;
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Receives one element with the line and column where it starts.
pub type ElementFn<'a> = dyn FnMut(Element, usize, usize) -> Result<Next, Error> + 'a;

/// Calls `f` with the bytes of every element (and its line and column).
pub fn for_each_element<R: Read>(r: R, name: &str, f: &mut ElementFn) -> Result<(), Error> {
    let mut b = Buf {
        r,
        data: Arc::new(Vec::new()),
        pos: 0,
        eof: false,
        line: 1,
        col: 1,
    };
    let io = |e: std::io::Error| Error::Other(format!("{name}: read error: {e}"));
    let fail = |b: &Buf<R>, m: &str| {
        Error::one(Problem::new(
            Location::at(name, b.line, b.col),
            m.to_string(),
        ))
    };
    // Skips whitespace (and a byte order mark at the start); returns the next byte.
    let skip = |b: &mut Buf<R>| -> Result<Option<u8>, Error> {
        loop {
            if !b.more(0).map_err(io)? {
                return Ok(None);
            }
            let c = b.byte(0);
            if is_ws(c) {
                b.consume(1);
            } else {
                return Ok(Some(c));
            }
        }
    };
    if b.more(2).map_err(io)? && b.from(0).starts_with(&[0xEF, 0xBB, 0xBF]) {
        b.pos += 3;
    }
    let list = match skip(&mut b)? {
        None => {
            return Err(fail(
                &b,
                "empty file: expected a JSON list of tasks or one task object",
            ));
        }
        Some(b'[') => {
            b.consume(1);
            true
        }
        Some(_) => false,
    };
    let mut first = true;
    loop {
        let Some(c) = skip(&mut b)? else {
            if list {
                return Err(fail(
                    &b,
                    "unexpected end of file: the task list is not closed",
                ));
            }
            return Ok(());
        };
        if list {
            if c == b']' {
                b.consume(1);
                if skip(&mut b)?.is_some() {
                    return Err(fail(&b, "unexpected text after the task list"));
                }
                return Ok(());
            }
            if !first {
                if c != b',' {
                    return Err(fail(&b, "expected `,` or `]` between tasks"));
                }
                b.consume(1);
                if skip(&mut b)?.is_none() {
                    return Err(fail(&b, "unexpected end of file inside the task list"));
                }
            }
        } else if !first {
            return Err(fail(&b, "unexpected text after the task object"));
        }
        first = false;
        // Find the end of the element starting at b.pos: `k` bytes on. The bytes read so
        // far are scanned in one loop; `more` is asked only at their end, and `k` (an
        // offset from b.pos) stays valid across the reads, as does the state: the nesting
        // depth and whether the scan is inside a string.
        let mut k = 0;
        let mut depth = 0usize;
        let mut in_string = false;
        let k = 'scan: loop {
            if !b.more(k).map_err(io)? {
                let what = if in_string { "a string" } else { "a task" };
                return Err(fail(&b, &format!("unexpected end of file inside {what}")));
            }
            let data = &b.data[b.pos..];
            while k < data.len() {
                if in_string {
                    // An escape steps over the byte after it, which may lie past the
                    // bytes read so far (`k` then points past them).
                    match memchr::memchr2(b'"', b'\\', &data[k..]) {
                        Some(j) if data[k + j] == b'"' => {
                            k += j + 1;
                            in_string = false;
                            if depth == 0 {
                                break 'scan k;
                            }
                        }
                        Some(j) => k += j + 2,
                        None => k = data.len(),
                    }
                    continue;
                }
                match data[k] {
                    b'"' => {
                        in_string = true;
                        k += 1;
                    }
                    b'{' | b'[' => {
                        depth += 1;
                        k += 1;
                    }
                    b'}' | b']' => {
                        if depth == 0 {
                            // The end of the list right after a scalar element.
                            break 'scan k;
                        }
                        depth -= 1;
                        k += 1;
                        if depth == 0 {
                            break 'scan k;
                        }
                    }
                    b',' if depth == 0 => break 'scan k,
                    c if depth == 0 && is_ws(c) => break 'scan k,
                    _ => {
                        k += 1;
                        if depth > 0 {
                            // Inside an element only quotes and brackets matter: pass over
                            // the rest (mostly indentation) in one tight loop.
                            k += crate::util::skip_to_structural(&data[k..]);
                        }
                    }
                }
            }
        };
        let (line, col) = (b.line, b.col);
        let element = Element {
            block: Arc::clone(&b.data),
            start: b.pos,
            end: b.pos + k,
        };
        let next = f(element, line, col)?;
        b.consume(k);
        if let Next::Stop = next {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Result<Vec<(String, usize)>, Error> {
        let mut out = Vec::new();
        for_each_element(text.as_bytes(), "t.json", &mut |e, line, _| {
            out.push((String::from_utf8(e.bytes().to_vec()).unwrap(), line));
            Ok(Next::Continue)
        })?;
        Ok(out)
    }

    #[test]
    fn elements_and_lines() {
        let got = split("\u{feff}[\n {\"a\": \"x]}\\\"\"},\n [1, [2]] , \"s\",3\n,{}]\n").unwrap();
        let texts: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
        assert_eq!(
            texts,
            ["{\"a\": \"x]}\\\"\"}", "[1, [2]]", "\"s\"", "3", "{}"]
        );
        assert_eq!(got[0].1, 2);
        assert_eq!(got[4].1, 4);
        assert_eq!(split("{\"id\": 1}").unwrap().len(), 1);
        assert_eq!(split("[]").unwrap().len(), 0);
        for bad in ["", "[{}", "[{} {}]", "[{\"a\": 1]", "{} {}", "[\"abc"] {
            assert!(split(bad).is_err(), "{bad:?}");
        }
        let message = |text: &str| split(text).err().unwrap().to_string();
        assert!(message("[{\"a\": \"x").contains("end of file inside a string"));
        assert!(message("[{\"a\": \"x\\").contains("end of file inside a string"));
        assert!(message("[{\"a\": [1, 2").contains("end of file inside a task"));
    }

    #[test]
    fn strings_with_escapes_across_the_end_of_a_chunk() {
        for shift in 0..24 {
            // Puts the second and third elements' escapes and quotes on every position
            // around the end of the first chunk.
            let pad = "p".repeat(CHUNK - 14 - shift);
            let text =
                format!("[{{\"a\": \"{pad}\"}},{{\"k\\\"ey\": \"v\\\\\"}},{{\"b\": \"x\\\"y]\"}}]");
            let got = split(&text).unwrap();
            let texts: Vec<&str> = got.iter().skip(1).map(|g| g.0.as_str()).collect();
            assert_eq!(
                texts,
                ["{\"k\\\"ey\": \"v\\\\\"}", "{\"b\": \"x\\\"y]\"}"],
                "{shift}"
            );
        }
    }

    #[test]
    fn elements_larger_than_a_chunk() {
        let big = "x".repeat(CHUNK * 2 + 17);
        let text = format!("[{{\"t\": \"{big}\"}}, {{\"u\": 1}}]");
        let got = split(&text).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0.len(), big.len() + 9);
        assert_eq!(got[1].0, "{\"u\": 1}");
    }
}
