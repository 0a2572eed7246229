//! Splits a Label Studio JSON export (a list of tasks, or one task object) into its
//! elements without parsing them: strings are skipped with `memchr`, brackets counted.
//! Memory holds the current element and one read chunk; line numbers (for messages) are
//! counted over the bytes passed.

use crate::error::{Error, Location, Problem};
use std::io::Read;

const CHUNK: usize = 1 << 20;

/// What the callback says after an element.
pub enum Next {
    Continue,
    Stop,
}

struct Buf<R: Read> {
    r: R,
    data: Vec<u8>,
    /// Start of unconsumed bytes in `data`.
    pos: usize,
    eof: bool,
    /// Line at `data[pos]` (1-based), and how far into that line `pos` is.
    line: usize,
    col: usize,
}

impl<R: Read> Buf<R> {
    /// Makes `data[end]` available (reading more input); false at end of input. Only
    /// `consume` drops bytes, so offsets stay valid between two `consume` calls.
    fn more(&mut self, end: usize) -> std::io::Result<bool> {
        while end >= self.data.len() {
            if self.eof {
                return Ok(false);
            }
            let old = self.data.len();
            self.data.resize(old + CHUNK, 0);
            let n = self.r.read(&mut self.data[old..])?;
            self.data.truncate(old + n);
            if n == 0 {
                self.eof = true;
            }
        }
        Ok(true)
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
        if self.pos > CHUNK {
            self.data.drain(..self.pos);
            self.pos = 0;
        }
    }
}

/// The bytes that can change the nesting inside an element: quotes and brackets.
const STRUCTURAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'{' as usize] = true;
    t[b'}' as usize] = true;
    t[b'[' as usize] = true;
    t[b']' as usize] = true;
    t
};

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Receives one element's bytes with the line and column where it starts.
pub type ElementFn<'a> = dyn FnMut(&[u8], usize, usize) -> Result<Next, Error> + 'a;

/// Calls `f` with the bytes of every element (and its line and column).
pub fn for_each_element<R: Read>(r: R, name: &str, f: &mut ElementFn) -> Result<(), Error> {
    let mut b = Buf {
        r,
        data: Vec::with_capacity(CHUNK),
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
            if !b.more(b.pos).map_err(io)? {
                return Ok(None);
            }
            let c = b.data[b.pos];
            if is_ws(c) {
                b.consume(1);
            } else {
                return Ok(Some(c));
            }
        }
    };
    if b.more(2).map_err(io)? && b.data.starts_with(&[0xEF, 0xBB, 0xBF]) {
        b.pos = 3;
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
        // Find the end of the element starting at b.pos.
        let start = b.pos;
        let mut i = start;
        let mut depth = 0usize;
        loop {
            if !b.more(i).map_err(io)? {
                return Err(fail(&b, "unexpected end of file inside a task"));
            }
            let c = b.data[i];
            match c {
                b'"' => {
                    i += 1;
                    loop {
                        if !b.more(i).map_err(io)? {
                            return Err(fail(&b, "unexpected end of file inside a string"));
                        }
                        match memchr::memchr2(b'"', b'\\', &b.data[i..]) {
                            Some(k) if b.data[i + k] == b'"' => {
                                i += k + 1;
                                break;
                            }
                            Some(k) => i += k + 2,
                            None => i = b.data.len(),
                        }
                    }
                    if depth == 0 {
                        break;
                    }
                }
                b'{' | b'[' => {
                    depth += 1;
                    i += 1;
                }
                b'}' | b']' => {
                    if depth == 0 {
                        // The end of the list right after a scalar element.
                        break;
                    }
                    depth -= 1;
                    i += 1;
                    if depth == 0 {
                        break;
                    }
                }
                b',' if depth == 0 => break,
                c if depth == 0 && is_ws(c) => break,
                _ => {
                    i += 1;
                    if depth > 0 {
                        // Inside an element only quotes and brackets matter: pass over
                        // the rest (mostly indentation) in one tight loop.
                        let rest = &b.data[i.min(b.data.len())..];
                        i += rest
                            .iter()
                            .position(|&c| STRUCTURAL[c as usize])
                            .unwrap_or(rest.len());
                    }
                }
            }
        }
        let (line, col) = (b.line, b.col);
        let next = f(&b.data[start..i], line, col)?;
        b.consume(i - start);
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
            out.push((String::from_utf8(e.to_vec()).unwrap(), line));
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
