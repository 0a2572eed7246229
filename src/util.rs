//! Small shared helpers: timestamps, file hashing, text sanitising, JSON paths.

pub mod ordered;

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u64;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i64 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A UTC timestamp in Label Studio's export form: `2024-03-02T10:00:00.000000Z`.
pub fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (y, m, day) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_micros()
    )
}

pub fn now() -> String {
    timestamp(SystemTime::now())
}

/// SHA-256 of a file (hex) and its size, read in blocks.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex(&h.finalize()), total))
}

/// FNV-1a: for maps with a handful of short keys (task objects, CSV column names),
/// where SipHash's setup dominates.
#[derive(Default)]
pub struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// An object key read from JSON text: borrowed from the text unless it has escapes.
pub struct BorrowedKey<'a>(pub std::borrow::Cow<'a, str>);

impl BorrowedKey<'_> {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for BorrowedKey<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = BorrowedKey<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<BorrowedKey<'de>, E> {
                Ok(BorrowedKey(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<BorrowedKey<'de>, E> {
                Ok(BorrowedKey(std::borrow::Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Python's truth value of a JSON value as Python holds it; a missing one is false.
pub fn truthy(v: Option<&serde_json::Value>) -> bool {
    use serde_json::Value;
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

/// Percent-decoding as Python's `urllib.parse.unquote` (`unquote_plus` when
/// `plus_is_space`): an escape needs two hex digits, anything else stays as it is, and
/// bytes that do not make UTF-8 become U+FFFD.
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (digit(b[i + 1]), digit(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(if plus_is_space && b[i] == b'+' {
            b' '
        } else {
            b[i]
        });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

pub fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    hex(&h.finalize())
}

/// Untrusted text as the TUI draws it: [`crate::term_safe::tui_safe`], with tabs as
/// spaces and newlines kept only when `keep_newlines`.
pub fn sanitize(text: &str, keep_newlines: bool) -> String {
    crate::term_safe::tui_safe(text, keep_newlines).into_owned()
}

/// Splits `a.b[0].c` into `["a", "b", "0", "c"]`.
fn path_parts(path: &str) -> Vec<&str> {
    path.split(['.', '[', ']'])
        .filter(|p| !p.is_empty())
        .collect()
}

/// Lodash-style deep get: `a.b[0].c`. A literal key that contains dots wins over the
/// nested reading (Label Studio issue #6492).
pub fn deep_get<'a>(data: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = data.as_object().and_then(|m| m.get(path)) {
        return Some(v);
    }
    let mut cur = data;
    for part in path_parts(path) {
        cur = match cur {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The user's config directory for labelterm (`$XDG_CONFIG_HOME/labelterm` or
/// `~/.config/labelterm`).
pub fn config_dir() -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("labelterm"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".config").join("labelterm"))
}

/// The offset in JSON `bytes` (outside strings) of the first quote or bracket, or of a
/// byte this test takes for one (`Y`, `_`, `y`, DEL: valid JSON has none of them outside
/// strings, and the caller passes over them too); `bytes.len()` if there is none. Eight
/// bytes are tested at a time: a quote is a byte equal to 0x22, and the four brackets are
/// the bytes that equal 0x59 with the bits that tell them apart (0x20, 0x04, 0x02) cleared.
pub fn skip_to_structural(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Marks the zero bytes of `x`; the lowest mark is exact (borrows only reach higher).
    let zeros = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut i = 0;
    while let Some(word) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let found = zeros(w ^ (ONES * 0x22)) | zeros((w & (ONES * 0xD9)) ^ (ONES * 0x59));
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + bytes[i..]
        .iter()
        .position(|&c| matches!(c, b'"' | b'{' | b'}' | b'[' | b']'))
        .unwrap_or(bytes.len() - i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values as Python's `unquote`/`unquote_plus` give them.
    #[test]
    fn percent_decode_is_pythons_unquote() {
        assert_eq!(percent_decode("a%20b+c%2Bd", false), "a b+c+d");
        assert_eq!(percent_decode("a%20b+c%2Bd", true), "a b c+d");
        assert_eq!(percent_decode("%zz%4%+1%41", false), "%zz%4%+1A");
        assert_eq!(percent_decode("caf%C3%A9%FF", false), "café\u{fffd}");
    }
    use std::time::Duration;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        let t = UNIX_EPOCH + Duration::from_micros(1_709_373_600_123_456);
        assert_eq!(timestamp(t), "2024-03-02T10:00:00.123456Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(timestamp(t), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn sanitize_shows_escapes_and_keeps_emoji() {
        assert_eq!(
            sanitize("a\x1b[31mb\x07c\u{9b}d", false),
            "a\\e[31mb\\x07c\\u{9b}d"
        );
        assert_eq!(sanitize("l1\nl2\tx", true), "l1\nl2 x");
        assert_eq!(sanitize("l1\nl2", false), "l1 l2");
        assert_eq!(sanitize("x\u{202E}y", false), "x\\u{202e}y");
        assert_eq!(
            sanitize("👩\u{200d}💻 ad\u{200d}min", false),
            "👩\u{200d}💻 ad\\u{200d}min"
        );
    }

    #[test]
    fn the_structural_bytes_are_found_eight_at_a_time() {
        // Every byte value on every position of a word, after a run of indentation.
        for pad in 0..20 {
            for b in 0..=255u8 {
                let mut text = vec![b' '; pad];
                text.push(b);
                text.extend_from_slice(b"   \n  :,0");
                let got = skip_to_structural(&text);
                let exact = matches!(b, b'"' | b'{' | b'}' | b'[' | b']');
                let look_alike = matches!(b, b'Y' | b'_' | b'y' | 0x7F);
                if exact || look_alike {
                    assert_eq!(got, pad, "{b:#x} after {pad}");
                } else {
                    assert_eq!(got, text.len(), "{b:#x} after {pad}");
                }
            }
        }
        assert_eq!(skip_to_structural(b""), 0);
        assert_eq!(skip_to_structural(b"\n        \"a\""), 9);
        assert_eq!(skip_to_structural(b"0123456789abcdef}"), 16);
    }
}
