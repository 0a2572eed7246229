//! The word tokenizer of Label Studio's CONLL2003 export: NLTK's `TreebankWordTokenizer`
//! (nltk 3.10) with the converter's punctuation rules (it also splits on `/`), and NLTK's
//! `span_tokenize`, which maps quote tokens back to the text and finds each token by
//! substring search. Offsets are in code points, as Python counts them.
//!
//! The rules are regular-expression substitutions applied in order over the whole text
//! (leftmost, non-overlapping), with Python's meaning of `\s` (which also holds
//! U+001C..U+001F), `$` (end, or before a final newline) and `\b` (letters, numbers and `_`
//! are word characters).

use fancy_regex::Regex as FancyRegex;
use regex::Regex;
use std::borrow::Cow;
use std::sync::OnceLock;

/// Python's whitespace class (`str.isspace`).
const PY_SPACE: &str = r"[\s\x1c-\x1f]";
/// Python's `\w` in a `str` pattern.
const PY_WORD: &str = r"[\p{L}\p{N}_]";

pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

struct Rules {
    starting: Vec<(Regex, &'static str)>,
    punctuation: Vec<(Regex, &'static str)>,
    parens: (Regex, &'static str),
    dashes: (Regex, &'static str),
    ending: Vec<(Regex, &'static str)>,
    /// Cheap test for any of the contraction words, before the slower patterns run.
    contraction_hint: Regex,
    contractions: Vec<FancyRegex>,
    quotes: Regex,
}

fn re(p: &str) -> Regex {
    Regex::new(p).expect("tokenizer pattern")
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let before = format!("(?<!{PY_WORD})");
        let after = format!("(?!{PY_WORD})");
        let c2 = |a: &str, b: &str, tail: &str| {
            FancyRegex::new(&format!("(?i){before}({a})({b}){tail}")).expect("contraction")
        };
        Rules {
            starting: vec![
                (re(r#"^""#), "``"),
                (re(r"(``)"), " $1 "),
                (re(r#"([ (\[{<])("|'{2})"#), "$1 `` "),
            ],
            punctuation: vec![
                (re(r"([:,])([^\d])"), " $1 $2"),
                // (then `([:,])$`, see `final_colon`)
                (re(r"\.\.\."), " ... "),
                (re(r"[;@#$/%&]"), " $0 "),
                // (then the final period, see `final_period`)
                (re(r"[?!]"), " $0 "),
                (re(r"([^'])' "), "$1 ' "),
            ],
            parens: (re(r"[\]\[(){}<>]"), " $0 "),
            dashes: (re(r"--"), " -- "),
            ending: vec![
                (re(r"''"), " '' "),
                (re(r#"""#), " '' "),
                (re(r"([^' ])('[sS]|'[mM]|'[dD]|') "), "$1 $2 "),
                (re(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), "$1 $2 "),
            ],
            contraction_hint: re(
                r"(?i)cannot|d'ye|gimme|gonna|gotta|lemme|more'n|wanna| 't(?:is|was)",
            ),
            contractions: vec![
                c2("can", "not", &after),
                c2("d", "'ye", &after),
                c2("gim", "me", &after),
                c2("gon", "na", &after),
                c2("got", "ta", &after),
                c2("lem", "me", &after),
                c2("more", "'n", &after),
                c2("wan", "na", &format!("(?={PY_SPACE})")),
                FancyRegex::new(&format!("(?i) ('t)(is){after}")).expect("contraction"),
                FancyRegex::new(&format!("(?i) ('t)(was){after}")).expect("contraction"),
            ],
            quotes: re(r#"``|'{2}|""#),
        }
    })
}

fn sub(text: String, (re, rep): &(Regex, &str)) -> String {
    match re.replace_all(&text, *rep) {
        Cow::Borrowed(_) => text,
        Cow::Owned(s) => s,
    }
}

/// `([:,])$` → ` \1 `: a final `:` or `,` (Python's `$` also matches before a final
/// newline) gets spaces around it.
fn final_colon(t: &mut String) {
    let body = t.strip_suffix('\n').unwrap_or(t);
    if let Some(c) = body.chars().next_back().filter(|c| matches!(c, ':' | ','))
        && let (end, newline) = (body.len(), body.len() < t.len())
    {
        t.truncate(end - 1);
        t.push(' ');
        t.push(c);
        t.push(' ');
        if newline {
            t.push('\n');
        }
    }
}

/// NLTK's "final period" rule, `([^\.])(\.)([\]\)}>"\']*)\s*$` → `\1 \2\3 `: the
/// last period, when only closing brackets and quotes, then whitespace, follow it and no
/// period precedes it, gets a space before it; the trailing whitespace becomes one space.
fn final_period(t: &mut String) {
    let body = t.trim_end_matches(is_py_space);
    let closers = body.trim_end_matches([']', ')', '}', '>', '"', '\'']);
    let Some(before) = closers.strip_suffix('.') else {
        return;
    };
    match before.chars().next_back() {
        Some(c) if c != '.' => {}
        _ => return,
    }
    let dot = before.len();
    let tail = &t[dot + 1..body.len()].to_string();
    t.truncate(dot);
    t.push_str(" .");
    t.push_str(tail);
    t.push(' ');
}

/// `TreebankWordTokenizer().tokenize(text)` with the converter's punctuation rules.
pub fn tokenize(text: &str) -> Vec<String> {
    let r = rules();
    let mut t = text.to_string();
    for rule in &r.starting {
        t = sub(t, rule);
    }
    for (i, rule) in r.punctuation.iter().enumerate() {
        if i == 1 {
            final_colon(&mut t);
        }
        if i == 3 {
            final_period(&mut t);
        }
        if i == 4 && !t.contains("' ") {
            continue;
        }
        t = sub(t, rule);
    }
    t = sub(t, &r.parens);
    t = sub(t, &r.dashes);
    let mut padded = String::with_capacity(t.len() + 2);
    padded.push(' ');
    padded.push_str(&t);
    padded.push(' ');
    t = padded;
    for (i, rule) in r.ending.iter().enumerate() {
        // The clitic rules need an apostrophe; without one they cannot match (and their
        // search would be slow: the engine scans from every space).
        if i >= 2 && !t.contains('\'') {
            break;
        }
        t = sub(t, rule);
    }
    if r.contraction_hint.is_match(&t) {
        for c in &r.contractions {
            if let Ok(Cow::Owned(s)) = c.try_replacen(&t, 0, " $1 $2 ") {
                t = s;
            }
        }
    }
    t.split(is_py_space)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A token and where it starts, in code points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub start: usize,
}

/// `span_tokenize`: the tokens with their offsets in `text`. NLTK fails when a token cannot
/// be found in the text (odd quote sequences); then the text is split on whitespace instead,
/// which always aligns.
pub fn span_tokenize(text: &str) -> Vec<Token> {
    align(text, tokenize(text)).unwrap_or_else(|| whitespace_tokens(text))
}

fn align(text: &str, raw: Vec<String>) -> Option<Vec<Token>> {
    let tokens: Vec<String> = if text.contains('"') || text.contains("''") {
        let mut originals = rules().quotes.find_iter(text).map(|m| m.as_str());
        raw.into_iter()
            .map(|t| {
                if matches!(t.as_str(), "\"" | "``" | "''") {
                    originals.next().map(str::to_string)
                } else {
                    Some(t)
                }
            })
            .collect::<Option<Vec<_>>>()?
    } else {
        raw
    };
    let mut out = Vec::with_capacity(tokens.len());
    let mut byte_point = 0;
    let mut char_point = 0;
    for t in tokens {
        // Tokens never hold whitespace, so the next one usually starts right after it.
        let rest = &text[byte_point..];
        let skipped = rest.len() - rest.trim_start_matches(is_py_space).len();
        let found = if rest[skipped..].starts_with(t.as_str()) {
            byte_point + skipped
        } else {
            byte_point + rest.find(t.as_str())?
        };
        let start = char_point + text[byte_point..found].chars().count();
        byte_point = found + t.len();
        char_point = start + t.chars().count();
        out.push(Token { text: t, start });
    }
    Some(out)
}

fn whitespace_tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, c) in text.chars().enumerate() {
        if is_py_space(c) {
            if !current.is_empty() {
                out.push(Token {
                    text: std::mem::take(&mut current),
                    start,
                });
            }
        } else {
            if current.is_empty() {
                start = i;
            }
            current.push(c);
        }
    }
    if !current.is_empty() {
        out.push(Token {
            text: current,
            start,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        span_tokenize(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn examples_from_the_converter() {
        assert_eq!(toks("cost $450."), ["cost", "$", "450", "."]);
        assert_eq!(toks("I can't go"), ["I", "ca", "n't", "go"]);
        assert_eq!(toks("He lives in N.Y."), ["He", "lives", "in", "N.Y", "."]);
        assert_eq!(toks("the U.S. team"), ["the", "U.S.", "team"]);
        assert_eq!(
            toks("and/or 10:30 1,000"),
            ["and", "/", "or", "10:30", "1,000"]
        );
        assert_eq!(
            toks("I wanna go, gonna"),
            ["I", "wan", "na", "go", ",", "gon", "na"]
        );
        assert_eq!(
            toks("\"Hi\" she said -- 'ok'"),
            ["\"", "Hi", "\"", "she", "said", "--", "'ok", "'"]
        );
    }

    /// Texts and `span_tokenize` results printed by nltk 3.10.4 with label-studio-sdk
    /// 2.1.2's rules loaded (handwritten cases, then random mixes of tricky fragments).
    #[test]
    fn matches_nltk_on_recorded_cases() {
        let cases: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/data/treebank_spans.json")).unwrap();
        let mut bad = Vec::new();
        for c in cases.as_array().unwrap() {
            let text = c["text"].as_str().unwrap();
            let want: Vec<(String, usize)> = c["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    (
                        t[0].as_str().unwrap().to_string(),
                        t[1].as_u64().unwrap() as usize,
                    )
                })
                .collect();
            let got: Vec<(String, usize)> = span_tokenize(text)
                .into_iter()
                .map(|t| (t.text, t.start))
                .collect();
            if got != want {
                bad.push(format!("{text:?}\n  want {want:?}\n  got  {got:?}"));
            }
        }
        assert!(
            bad.is_empty(),
            "{} of {} differ:\n{}",
            bad.len(),
            cases.as_array().unwrap().len(),
            bad[..bad.len().min(10)].join("\n")
        );
    }

    #[test]
    fn unalignable_tokens_fall_back_to_whitespace() {
        assert_eq!(align("a b", vec!["a".into(), "c".into()]), None);
        let t = whitespace_tokens(" a\u{1c}bc  d");
        assert_eq!(
            t.iter()
                .map(|t| (t.text.as_str(), t.start))
                .collect::<Vec<_>>(),
            [("a", 1), ("bc", 3), ("d", 7)]
        );
    }

    #[test]
    fn offsets_are_code_points() {
        let t = span_tokenize("Zürich, 東京 ok.");
        let starts: Vec<usize> = t.iter().map(|t| t.start).collect();
        assert_eq!(starts, [0, 6, 8, 11, 13]);
    }
}
