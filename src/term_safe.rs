//! Text made safe for a terminal, and measured the way terminals draw it. Task files,
//! configs, user names and file names are untrusted: an escape sequence in them could set
//! the window title, write the clipboard (OSC 52) or reorder what the reader sees (bidi
//! overrides), and invisible format characters can make two different names look alike.
//! Every string the command line prints goes through [`term_safe`], every string the TUI
//! draws through [`tui_safe`]; both show such characters as visible escapes (`\e`,
//! `\x07`, `\u{9b}`, `\u{202e}`) so the reader sees that something was there.
//!
//! Emoji stay whole: a zero-width joiner, variation selector or tag character that is part
//! of an emoji sequence (👩‍💻, ❤️, 🏴󠁧󠁢󠁥󠁮󠁧󠁿) is kept; the same character anywhere else is
//! escaped. Bidi controls are always escaped.
//!
//! Widths are counted per grapheme cluster ([`grapheme_width`]): an emoji sequence is two
//! columns, as VTE, kitty, xterm and other current terminals draw it. A lone regional
//! indicator (half a flag) is drawn one column wide by some terminals and two by others,
//! so it is shown escaped.

use std::borrow::Cow;
use std::io::Write;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

const ZWJ: char = '\u{200D}';
/// Variation selector 16: emoji presentation.
const VS16: char = '\u{FE0F}';
/// Variation selector 15: text presentation.
const VS15: char = '\u{FE0E}';
const KEYCAP: char = '\u{20E3}';
/// The base of the subdivision flags (England, Scotland, Wales): a black flag and tags.
const BLACK_FLAG: char = '\u{1F3F4}';
const CANCEL_TAG: char = '\u{E007F}';

fn is_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// Invisible format characters (general category Cf) that draw nothing but can hide
/// inside a name: soft hyphen, zero-width space and joiners, word joiner, invisible
/// operators, BOM, interlinear annotation marks, shorthand format controls, musical
/// formatting controls and tags. The Arabic and other prepended marks that draw a glyph
/// are not among them.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Whether a character is never shown as it is outside an emoji sequence: C0 controls
/// (newline aside), DEL, C1 controls, bidi controls, other format characters, and the
/// line and paragraph separators, which terminals draw in no agreed way.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n')
        || is_bidi(c)
        || is_format(c)
        || matches!(c, '\u{2028}' | '\u{2029}')
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

fn is_emoji_modifier(c: char) -> bool {
    ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
}

fn is_tag(c: char) -> bool {
    ('\u{E0020}'..='\u{E007F}').contains(&c)
}

fn is_keycap_base(c: char) -> bool {
    c.is_ascii_digit() || c == '#' || c == '*'
}

/// Extended_Pictographic, taken a little wide: the blocks where emoji live. A character
/// from these blocks only counts as an emoji base when a joiner, selector, modifier or
/// tag follows it, so the extra room admits no invisible character on its own.
fn is_pictographic(c: char) -> bool {
    matches!(
        c,
        '\u{00A9}'
            | '\u{00AE}'
            | '\u{203C}'
            | '\u{2049}'
            | '\u{2122}'
            | '\u{2139}'
            | '\u{2194}'..='\u{21AA}'
            | '\u{231A}'..='\u{23FF}'
            | '\u{24C2}'
            | '\u{25AA}'..='\u{25FE}'
            | '\u{2600}'..='\u{27BF}'
            | '\u{2934}'..='\u{2935}'
            | '\u{2B05}'..='\u{2B55}'
            | '\u{3030}'
            | '\u{303D}'
            | '\u{3297}'
            | '\u{3299}'
            | '\u{1F000}'..='\u{1F1E5}'
            | '\u{1F200}'..='\u{1F3FA}'
            | '\u{1F400}'..='\u{1FAFF}'
            | '\u{1FC00}'..='\u{1FFFD}'
    )
}

/// A subdivision flag: black flag, tag letters, cancel tag.
fn is_tag_sequence(g: &str) -> bool {
    let mut cs = g.chars();
    if cs.next() != Some(BLACK_FLAG) || !g.ends_with(CANCEL_TAG) {
        return false;
    }
    let tags: Vec<char> = cs.collect();
    tags.len() >= 2
        && tags[..tags.len() - 1]
            .iter()
            .all(|c| ('\u{E0020}'..='\u{E007E}').contains(c))
}

/// Which characters of one grapheme cluster are shown as they are: those of an emoji
/// sequence, and every character that is not unsafe; `keep[i]` is for the `i`th char of
/// `g`. For views that must keep character positions (a document whose regions are
/// character offsets): they show a space where a character is not kept, where
/// [`term_safe`] shows an escape.
pub fn kept_chars(g: &str) -> Vec<bool> {
    if g.is_empty() {
        return Vec::new();
    }
    let cs: Vec<char> = g.chars().collect();
    let base = cs[0];
    let emoji_base = is_pictographic(base);
    let tags_kept = is_tag_sequence(g);
    let flag = cs.iter().filter(|c| is_regional_indicator(**c)).count() == 2;
    cs.iter()
        .enumerate()
        .map(|(i, &c)| match c {
            ZWJ => {
                // Kept only between two parts of one emoji: 👩‍💻, 🏳️‍🌈, 👩🏽‍💻.
                emoji_base
                    && i > 0
                    && cs.get(i + 1).is_some_and(|n| is_pictographic(*n))
                    && (is_pictographic(cs[i - 1])
                        || cs[i - 1] == VS16
                        || is_emoji_modifier(cs[i - 1]))
            }
            c if is_tag(c) => tags_kept,
            c if is_regional_indicator(c) => flag,
            c => !is_unsafe(c),
        })
        .collect()
}

/// Columns a grapheme cluster takes on a terminal. An emoji sequence (joined with ZWJ,
/// presented with VS16, skin-toned, a flag of two regional indicators, a subdivision
/// flag, a keycap with VS16) is two columns; a wide emoji asked for in text presentation
/// (VS15) is still counted two, since many terminals draw it wide; anything else takes
/// the width Unicode gives it. A lone regional indicator counts one, but [`term_safe`]
/// never shows one as it is.
pub fn grapheme_width(g: &str) -> usize {
    let Some(base) = g.chars().next() else {
        return 0;
    };
    let unicode = g.width();
    let flag = g.chars().filter(|c| is_regional_indicator(*c)).count() == 2;
    if flag {
        return 2;
    }
    let rest = || g.chars().skip(1);
    if is_pictographic(base) {
        let joined = g
            .chars()
            .zip(g.chars().skip(1))
            .any(|(a, b)| a == ZWJ && is_pictographic(b));
        if joined
            || rest().any(|c| c == VS16 || is_emoji_modifier(c))
            || is_tag_sequence(g)
            || (rest().any(|c| c == VS15) && UnicodeWidthChar::width(base) == Some(2))
        {
            return 2;
        }
    }
    if is_keycap_base(base) && rest().any(|c| c == VS16) && rest().any(|c| c == KEYCAP) {
        return 2;
    }
    unicode
}

/// How the characters that are neither text nor a threat are shown.
#[derive(Clone, Copy)]
struct Rules {
    /// Newlines stay newlines (unless quoted); otherwise they are shown like tabs.
    keep_newlines: bool,
    /// Tabs (and newlines not kept) become a space, for one-line fields of the TUI.
    tab_as_space: bool,
    /// The text is shown between double quotes: `"` and `\` are escaped, newlines too.
    quoted: bool,
}

/// What the command line prints: newlines kept, every other control escaped.
const CLI: Rules = Rules {
    keep_newlines: true,
    tab_as_space: false,
    quoted: false,
};

/// A part of the shown text: a grapheme cluster (or what is left of one) kept as it is,
/// or the visible escape of one character. Escapes are ASCII, so no part joins the next.
struct Piece<'a> {
    text: Cow<'a, str>,
    width: usize,
}

fn escape(c: char) -> String {
    match c {
        '\x1b' => "\\e".to_string(),
        '\t' => "\\t".to_string(),
        '\r' => "\\r".to_string(),
        '\n' => "\\n".to_string(),
        c if (c as u32) < 0x80 => format!("\\x{:02x}", c as u32),
        c => format!("\\u{{{:x}}}", c as u32),
    }
}

/// The shown form of one character that is not kept as it is, or `None` to keep it.
fn replacement(c: char, kept: bool, rules: Rules) -> Option<String> {
    match c {
        '\n' if rules.quoted => Some(escape(c)),
        '\n' if rules.keep_newlines => None,
        '\n' | '\t' if rules.tab_as_space => Some(" ".to_string()),
        '"' | '\\' if rules.quoted => Some(format!("\\{c}")),
        c if !kept => Some(escape(c)),
        _ => None,
    }
}

/// Calls `f` with the pieces of `text` as shown under `rules`, in order.
fn for_each_piece<'a>(text: &'a str, rules: Rules, mut f: impl FnMut(Piece<'a>)) {
    for g in text.graphemes(true) {
        let keep = kept_chars(g);
        let shown: Vec<Option<String>> = g
            .chars()
            .zip(&keep)
            .map(|(c, k)| replacement(c, *k, rules))
            .collect();
        if shown.iter().all(Option::is_none) {
            let width = if g == "\n" { 0 } else { grapheme_width(g) };
            f(Piece {
                text: Cow::Borrowed(g),
                width,
            });
            continue;
        }
        let mut run = 0;
        for ((i, _), r) in g.char_indices().zip(shown) {
            let Some(r) = r else { continue };
            if run < i {
                let part = &g[run..i];
                f(Piece {
                    text: Cow::Borrowed(part),
                    width: part.width(),
                });
            }
            run = i + g[i..].chars().next().map_or(0, char::len_utf8);
            f(Piece {
                width: r.width(),
                text: Cow::Owned(r),
            });
        }
        if run < g.len() {
            let part = &g[run..];
            f(Piece {
                text: Cow::Borrowed(part),
                width: if part == "\n" { 0 } else { part.width() },
            });
        }
    }
}

/// `text` as pieces joined, borrowed when nothing was changed.
fn shown(text: &str, rules: Rules, mut map: impl FnMut(Piece<'_>) -> Cow<'_, str>) -> Cow<'_, str> {
    let newline_kept = |b: u8| b == b'\n' && rules.keep_newlines && !rules.quoted;
    if !rules.quoted
        && text.is_ascii()
        && !text
            .bytes()
            .any(|b| b.is_ascii_control() && !newline_kept(b))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for_each_piece(text, rules, |p| out.push_str(&map(p)));
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

/// `text` with every character that could drive a terminal or hide in a name shown as a
/// visible escape: ESC as `\e`, tab as `\t`, CR as `\r`, other C0 controls and DEL as
/// `\xNN`, C1, bidi and format characters as `\u{NN}`. Newlines are kept, so multi-line
/// messages stay multi-line; emoji sequences are kept whole. The result is a fixed point:
/// escaping it again changes nothing.
pub fn term_safe(text: &str) -> Cow<'_, str> {
    shown(text, CLI, |p| p.text)
}

/// What the TUI draws for untrusted `text`: [`term_safe`]'s escapes, tabs as spaces,
/// newlines kept only when `keep_newlines` (else spaces), and every grapheme cluster that
/// ratatui would draw wrong rewritten so that ratatui's layout and the terminal's drawing
/// agree and no cell of an old frame is left behind:
/// - a cluster carrying VS16 (❤️, 🏳️‍🌈) loses it: ratatui 0.30 sends a clear for the
///   cell right of such a cluster, and on a terminal that draws it two columns wide that
///   write, and every later one on the row, lands one column too far right;
/// - a halfwidth (semi-)voiced sound mark (ｶﾞ), which ratatui counts one column more
///   than terminals draw, becomes the combining mark (ｶ\u{3099});
/// - a cluster whose width ratatui still counts differently from [`grapheme_width`]
///   (❤ ZWJ 🔥, a wide emoji in text presentation) becomes a placeholder of that width.
pub fn tui_safe(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let rules = Rules {
        keep_newlines,
        tab_as_space: true,
        quoted: false,
    };
    shown(text, rules, |p| {
        if p.text == "\n" || (ratatui_width(&p.text) == p.width && !p.text.contains(VS16)) {
            return p.text;
        }
        let repaired = repaired(&p.text);
        if repaired.graphemes(true).count() == 1
            && ratatui_width(&repaired) == grapheme_width(&repaired)
        {
            Cow::Owned(repaired)
        } else {
            Cow::Borrowed(placeholder(p.width))
        }
    })
}

/// A cluster rewritten into one that ratatui draws as terminals do (see [`tui_safe`]):
/// without VS16, with halfwidth sound marks as combining marks.
fn repaired(g: &str) -> String {
    g.chars()
        .filter(|c| *c != VS16)
        .map(|c| match c {
            '\u{FF9E}' => '\u{3099}',
            '\u{FF9F}' => '\u{309A}',
            c => c,
        })
        .collect()
}

/// The columns ratatui gives a grapheme cluster when it lays out a line.
fn ratatui_width(g: &str) -> usize {
    use ratatui::buffer::CellWidth;
    usize::from(g.cell_width())
}

/// A stand-in for a cluster whose width ratatui and terminals disagree on: a fullwidth
/// question mark is two columns for both.
fn placeholder(width: usize) -> &'static str {
    match width {
        0 => "",
        1 => "?",
        _ => "\u{FF1F}",
    }
}

/// `text` between double quotes, shown as [`term_safe`] shows it with `"`, `\` and
/// newlines escaped too: one line. Unlike `{:?}` it keeps emoji sequences whole.
pub fn quoted(text: &str) -> String {
    let rules = Rules {
        keep_newlines: false,
        tab_as_space: false,
        quoted: true,
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for_each_piece(text, rules, |p| out.push_str(&p.text));
    out.push('"');
    out
}

/// Columns `text` takes once shown by [`term_safe`], counted per grapheme cluster
/// ([`grapheme_width`]); escapes count their characters, newlines nothing.
pub fn display_width(text: &str) -> usize {
    let mut w = 0;
    for_each_piece(text, CLI, |p| w += p.width);
    w
}

/// The longest start of `text` (as [`term_safe`] shows it) that takes at most `max`
/// columns. It never splits a grapheme cluster or an escape: a wide cluster that does
/// not fit is left out whole. Text that is already safe is cut as it is.
pub fn truncate_to_width(text: &str, max: usize) -> Cow<'_, str> {
    let mut out = String::new();
    let mut used = 0;
    let mut full = true;
    for_each_piece(text, CLI, |p| {
        if !full {
            return;
        }
        if used + p.width > max {
            full = false;
            return;
        }
        used += p.width;
        out.push_str(&p.text);
    });
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

/// `text` shown in exactly `width` columns: padded with spaces when it is shorter, cut
/// with `…` when longer. A wide cluster that would straddle the edge is replaced by
/// padding, never drawn half.
pub fn fit(text: &str, width: usize) -> String {
    let mut out = if display_width(text) <= width {
        term_safe(text).into_owned()
    } else if width == 0 {
        String::new()
    } else {
        let mut cut = truncate_to_width(text, width - 1).into_owned();
        cut.push('…');
        cut
    };
    let pad = width.saturating_sub(display_width(&out));
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// JSON text safe for a terminal and still the same JSON: serde_json escapes C0 controls
/// but writes DEL, C1, bidi and format characters as they are; those can only stand
/// inside strings, where `\uXXXX` (a surrogate pair past the BMP) means the same
/// character. Emoji sequences stay whole, as in [`term_safe`].
pub fn json_term_safe(json: &str) -> Cow<'_, str> {
    if json.is_ascii()
        && !json
            .bytes()
            .any(|b| b.is_ascii_control() && !b" \t\r\n".contains(&b))
    {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    let mut changed = false;
    for g in json.graphemes(true) {
        for (c, keep) in g.chars().zip(kept_chars(g)) {
            if keep || matches!(c, '\t' | '\r' | '\n') {
                out.push(c);
            } else {
                changed = true;
                for unit in c.encode_utf16(&mut [0; 2]) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(json)
    }
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

    const TECHNOLOGIST: &str = "👩\u{200d}💻";
    const FAMILY: &str = "👨\u{200d}👩\u{200d}👧\u{200d}👦";
    const ENGLAND: &str = "🏴\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}";
    const JAPAN: &str = "🇯🇵";
    /// Heart on fire without VS16 after the heart: ratatui counts it three columns.
    const HEART_ON_FIRE: &str = "❤\u{200d}🔥";

    #[test]
    fn emoji_sequences_are_kept_whole() {
        for emoji in [
            TECHNOLOGIST,
            FAMILY,
            ENGLAND,
            JAPAN,
            HEART_ON_FIRE,
            "❤\u{fe0f}",
            "☺\u{fe0e}",
            "👍\u{1f3fd}",
            "👩\u{1f3fd}\u{200d}💻",
            "🏳\u{fe0f}\u{200d}🌈",
            "1\u{fe0f}\u{20e3}",
        ] {
            let line = format!("a {emoji} b");
            assert!(matches!(term_safe(&line), Cow::Borrowed(_)), "{line:?}");
            assert_eq!(quoted(emoji), format!("\"{emoji}\""));
        }
    }

    #[test]
    fn joiners_and_format_characters_outside_emoji_are_escaped() {
        assert_eq!(term_safe("ad\u{200d}min"), "ad\\u{200d}min");
        assert_eq!(term_safe("\u{200d}👩"), "\\u{200d}👩");
        assert_eq!(term_safe("👩\u{200d} x"), "👩\\u{200d} x");
        assert_eq!(term_safe("a\u{200d}👩"), "a\\u{200d}👩");
        assert_eq!(term_safe("a\u{2028}b"), "a\\u{2028}b");
        assert_eq!(kept_chars("a\u{200d}"), [true, false]);
        assert_eq!(kept_chars(TECHNOLOGIST), [true, true, true]);
        assert!(kept_chars("").is_empty());
        assert_eq!(
            term_safe("x\u{200b}y\u{feff}\u{ad}"),
            "x\\u{200b}y\\u{feff}\\u{ad}"
        );
        // Tag characters hide text outside a subdivision flag.
        assert_eq!(term_safe("ok\u{e0041}\u{e0042}"), "ok\\u{e0041}\\u{e0042}");
        assert_eq!(term_safe("🏴\u{e0041}"), "🏴\\u{e0041}");
        // Bidi controls reorder the line, inside an emoji sequence too.
        assert_eq!(term_safe("👩\u{202e}💻"), "👩\\u{202e}💻");
        assert_eq!(term_safe("👩\u{200d}\u{2066}💻"), "👩\\u{200d}\\u{2066}💻");
        // Half a flag: terminals draw it one or two columns wide.
        assert_eq!(term_safe("🇯 🇯🇵🇫"), "\\u{1f1ef} 🇯🇵\\u{1f1eb}");
        let once = term_safe("ad\u{200d}min 🇯 \u{e0041}").into_owned();
        assert_eq!(term_safe(&once), once);
    }

    #[test]
    fn quoted_escapes_quotes_and_newlines_but_keeps_emoji() {
        assert_eq!(
            quoted("say \"hi\"\\\n\t\x1b👩\u{200d}💻"),
            "\"say \\\"hi\\\"\\\\\\n\\t\\e👩\u{200d}💻\""
        );
        assert_eq!(quoted("ad\u{200d}min"), "\"ad\\u{200d}min\"");
    }

    #[test]
    fn widths_are_counted_per_grapheme() {
        for emoji in [
            TECHNOLOGIST,
            FAMILY,
            ENGLAND,
            JAPAN,
            HEART_ON_FIRE,
            "❤\u{fe0f}",
        ] {
            assert_eq!(grapheme_width(emoji), 2, "{emoji:?}");
            assert_eq!(display_width(emoji), 2, "{emoji:?}");
        }
        assert_eq!(grapheme_width("⌚\u{fe0e}"), 2);
        assert_eq!(grapheme_width("☺\u{fe0e}"), 1);
        assert_eq!(grapheme_width("#\u{20e3}"), 1);
        assert_eq!(display_width("e\u{301}日本 ok"), 8);
        // Escapes are counted as shown; a lone regional indicator is shown escaped.
        assert_eq!(display_width("a\x1b"), 3);
        assert_eq!(display_width("🇯"), "\\u{1f1ef}".len());
        assert_eq!(display_width("l1\nl2"), 4);
    }

    #[test]
    fn truncation_never_splits_a_grapheme_or_an_escape() {
        let s = format!("ab{JAPAN}c{FAMILY}");
        assert_eq!(truncate_to_width(&s, 3), "ab");
        assert_eq!(truncate_to_width(&s, 4), format!("ab{JAPAN}"));
        assert_eq!(truncate_to_width(&s, 6), format!("ab{JAPAN}c"));
        assert!(matches!(truncate_to_width(&s, 7), Cow::Borrowed(_)));
        assert_eq!(truncate_to_width("e\u{301}x", 1), "e\u{301}");
        assert_eq!(truncate_to_width("a\x1bb", 2), "a");
        assert_eq!(truncate_to_width("a\x1bb", 3), "a\\e");
        assert_eq!(fit(&s, 7), s);
        assert_eq!(fit(&s, 5), format!("ab{JAPAN}…"));
        assert_eq!(fit(&s, 4), "ab… ");
        assert_eq!(fit("日本", 3), "日…");
        assert_eq!(fit("x\u{202e}", 11), "x\\u{202e}  ");
        assert_eq!(fit("x", 0), "");
        for w in 0..12 {
            assert_eq!(display_width(&fit(&s, w)), w);
            assert!(display_width(&truncate_to_width(&s, w)) <= w);
        }
    }

    #[test]
    fn json_keeps_emoji_and_escapes_stray_format_characters() {
        let v = serde_json::json!({"k": format!("{TECHNOLOGIST} ad\u{200d}min \u{e0041} 🇯")});
        let text = serde_json::to_string(&v).unwrap();
        let safe = json_term_safe(&text);
        assert!(safe.contains(TECHNOLOGIST), "{safe}");
        assert!(safe.contains("ad\\u200dmin"), "{safe}");
        assert!(safe.contains("\\udb40\\udc41"), "{safe}");
        assert!(safe.contains("\\ud83c\\uddef"), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn tui_text_has_widths_ratatui_agrees_with() {
        assert_eq!(tui_safe(HEART_ON_FIRE, false), "\u{ff1f}");
        assert_eq!(tui_safe("❤\u{fe0f}", false), "❤");
        // Without VS16 ratatui counts the rainbow flag three columns: no rewrite fits.
        assert_eq!(tui_safe("🏳\u{fe0f}\u{200d}🌈", false), "\u{ff1f}");
        assert_eq!(
            tui_safe(&format!("{JAPAN}{FAMILY}"), false),
            format!("{JAPAN}{FAMILY}")
        );
        assert_eq!(tui_safe("ｶﾞｷﾟ", false), "ｶ\u{3099}ｷ\u{309a}");
        // A wide emoji asked for as text: ratatui counts one column, many terminals draw
        // two, and no rewrite keeps what it is.
        assert_eq!(tui_safe("a⌚\u{fe0e}b", false), "a\u{ff1f}b");
        assert_eq!(tui_safe("a\tb\nc", false), "a b c");
        assert_eq!(tui_safe("a\tb\nc", true), "a b\nc");
        let s =
            format!("{JAPAN}{TECHNOLOGIST}{FAMILY}{ENGLAND}❤\u{fe0f}⌚\u{fe0e}{HEART_ON_FIRE}ｶﾞ");
        let shown = tui_safe(&s, false);
        for g in shown.graphemes(true) {
            assert_eq!(ratatui_width(g), grapheme_width(g), "{g:?}");
        }
    }

    /// Draws `line` as the TUI does onto a terminal that gives each cluster
    /// [`grapheme_width`] columns, over a previous frame full of `X`: ratatui lays the
    /// line out, diffs it against the previous frame, and the backend moves the cursor
    /// only when a cell is not right of the last one sent (as ratatui's crossterm backend
    /// does), so a cluster counted narrower or wider than drawn shifts what follows.
    /// Returns the terminal's row as read back and whether a glyph was drawn over half of
    /// a wide one.
    fn draw_over_old_frame(line: &str, width: u16) -> (String, bool) {
        use ratatui::Terminal;
        use ratatui::backend::TestBackend;
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        use ratatui::widgets::Paragraph;

        let area = Rect::new(0, 0, width, 1);
        let old = Buffer::with_lines(["X".repeat(width as usize)]);
        let mut term = Terminal::new(TestBackend::new(width, 1)).unwrap();
        term.draw(|f| f.render_widget(Paragraph::new(line), area))
            .unwrap();
        let new = term.backend().buffer().clone();

        // What each terminal cell shows: a symbol, or None where a wide glyph to its
        // left covers it.
        let mut screen: Vec<Option<String>> = vec![Some("X".to_string()); width as usize];
        let mut broken = false;
        let mut last: Option<usize> = None;
        let mut cursor = 0;
        for (x, _, cell) in old.diff(&new) {
            let x = x as usize;
            if last.is_none_or(|l| l + 1 != x) {
                cursor = x;
            }
            last = Some(x);
            if cursor >= screen.len() {
                broken = true;
                continue;
            }
            if screen[cursor].is_none() {
                broken = true;
            }
            let w = grapheme_width(cell.symbol()).max(1);
            screen[cursor] = Some(cell.symbol().to_string());
            for covered in screen.iter_mut().skip(cursor + 1).take(w - 1) {
                *covered = None;
            }
            // A narrow glyph over the left half of a wide one blanks its right half.
            if w == 1 && screen.get(cursor + 1).is_some_and(Option::is_none) {
                screen[cursor + 1] = Some(" ".to_string());
            }
            cursor += w;
        }
        (screen.into_iter().flatten().collect(), broken)
    }

    #[test]
    fn flags_and_joined_emoji_leave_no_stray_cell_in_the_tui() {
        let line = format!(
            "{JAPAN}|{TECHNOLOGIST}|{HEART_ON_FIRE}|{FAMILY}|{ENGLAND}|❤\u{fe0f}|🏳\u{fe0f}\u{200d}🌈|ｶﾞ|x"
        );
        let shown = crate::util::sanitize(&line, false);
        let width = 30;
        let (row, broken) = draw_over_old_frame(&shown, width);
        assert!(!broken, "{row:?}");
        assert!(
            !row.contains('X'),
            "a cell of the old frame is left: {row:?}"
        );
        let pad = width as usize - display_width(&shown);
        assert_eq!(row, format!("{shown}{}", " ".repeat(pad)));
        assert!(
            row.starts_with(&format!("{JAPAN}|{TECHNOLOGIST}|")),
            "{row:?}"
        );
    }
}
