//! Text made safe for a terminal. Task files, configs, user names and file names are
//! untrusted: an escape sequence in them could set the window title, write the clipboard
//! (OSC 52) or reorder what the reader sees (bidi overrides). Every line the command line
//! prints goes through [`term_safe`], which shows such characters as visible escapes
//! (`\e`, `\x07`, `\u{9b}`, `\u{202e}`) so the reader sees that something was there.

use std::borrow::Cow;
use std::io::Write;

/// Whether a character must not reach a terminal as it is: C0 controls (newline aside),
/// DEL, C1 controls, and the bidi controls that reorder text.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n') || is_bidi(c)
}

fn is_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// `text` with every character that could drive a terminal shown as a visible escape:
/// ESC as `\e`, other C0 controls and DEL as `\xNN`, C1 and bidi controls as `\u{NN}`.
/// Newlines are kept, so multi-line messages stay multi-line. The result is a fixed point:
/// escaping it again changes nothing.
pub fn term_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\x1b' => out.push_str("\\e"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// JSON text safe for a terminal and still the same JSON: serde_json escapes C0 controls
/// but writes DEL, C1 and bidi controls as they are; those can only stand inside strings,
/// where `\uXXXX` means the same character.
pub fn json_term_safe(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) && c != '\t' && c != '\r' {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Prints one line to stdout, made safe. Write errors (a closed pipe) are ignored.
pub fn print_out(line: &str) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{}", term_safe(line));
}

/// Prints one line to stderr, made safe.
pub fn print_err(line: &str) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{}", term_safe(line));
}

/// `println!` through [`term_safe`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::term_safe::print_out(&format!($($arg)*)) };
}

/// `eprintln!` through [`term_safe`].
#[macro_export]
macro_rules! eout {
    ($($arg:tt)*) => { $crate::term_safe::print_err(&format!($($arg)*)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_made_visible() {
        assert_eq!(term_safe("a\x1b[31mb"), "a\\e[31mb");
        assert_eq!(term_safe("\x1b]52;c;aGk=\x07x"), "\\e]52;c;aGk=\\x07x");
        assert_eq!(term_safe("x\u{9b}2Jy\u{85}"), "x\\u{9b}2Jy\\u{85}");
        assert_eq!(
            term_safe("a\u{202e}b\u{2066}c\u{200f}d\u{61c}"),
            "a\\u{202e}b\\u{2066}c\\u{200f}d\\u{61c}"
        );
        assert_eq!(
            term_safe("del\x7f nul\0 tab\t cr\r"),
            "del\\x7f nul\\x00 tab\\t cr\\r"
        );
        assert_eq!(term_safe("line 1\nline 2"), "line 1\nline 2");
    }

    #[test]
    fn safe_text_is_borrowed_and_escaping_is_a_fixed_point() {
        assert!(matches!(term_safe("café ü 日本 ✓"), Cow::Borrowed(_)));
        let once = term_safe("\x1b]0;t\x07\u{9b}\u{202e}").into_owned();
        assert_eq!(term_safe(&once), once);
    }

    #[test]
    fn json_stays_json_and_loses_c1_and_bidi() {
        let v = serde_json::json!({"k\u{202e}": "a\x1b\u{9b}\x7fb\u{2067}"});
        let text = serde_json::to_string(&v).unwrap();
        let safe = json_term_safe(&text);
        assert!(
            !safe
                .chars()
                .any(|c| c.is_control() || ('\u{2000}'..='\u{206f}').contains(&c)),
            "{safe}"
        );
        assert!(safe.contains("\\u202e") && safe.contains("\\u009b") && safe.contains("\\u007f"));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        assert!(json_term_safe(&pretty).contains('\n'));
    }
}
