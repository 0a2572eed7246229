//! Span documents: the text of a Text, HyperText or Paragraphs object as drawn, mapped to
//! the offsets Label Studio stores. Offsets count Unicode code points of the source text
//! (HyperText: of its text content; Paragraphs: within each paragraph). What is drawn is
//! sanitised one character for one, so a task cannot drive the terminal and offsets stay
//! right; characters added only for display (line breaks after HTML blocks, speaker names)
//! map to no offset.

use serde_json::{Map, Value, json};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, PartialEq)]
pub struct TextNode {
    pub xpath: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DocKind {
    Text,
    HyperText(Vec<TextNode>),
    /// Paragraph spans in the unit text.
    Paragraphs(Vec<(usize, usize)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SpanDoc {
    /// The source text offsets count in.
    pub unit: Vec<char>,
    /// What is drawn.
    pub display: Vec<char>,
    /// Display index → unit offset (`None` for display-only characters).
    pub map: Vec<Option<usize>>,
    /// Display indices where grapheme clusters start, then `display.len()`.
    pub bounds: Vec<usize>,
    pub kind: DocKind,
}

/// One character, made safe to draw: control characters (but newline) and bidi controls
/// become a space, so positions do not move.
pub fn safe_char(c: char) -> char {
    match c {
        '\n' => '\n',
        c if c.is_control() => ' ',
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => ' ',
        c => c,
    }
}

impl SpanDoc {
    fn finish(unit: Vec<char>, display: Vec<char>, map: Vec<Option<usize>>, kind: DocKind) -> Self {
        let s: String = display.iter().collect();
        let mut bounds = Vec::with_capacity(display.len() + 1);
        let mut char_idx = 0;
        let mut last_byte = 0;
        for (byte, g) in s.grapheme_indices(true) {
            char_idx += s[last_byte..byte].chars().count();
            last_byte = byte;
            bounds.push(char_idx);
            let _ = g;
        }
        bounds.push(display.len());
        SpanDoc {
            unit,
            display,
            map,
            bounds,
            kind,
        }
    }

    pub fn text(s: &str) -> SpanDoc {
        let unit: Vec<char> = s.chars().collect();
        let display = unit.iter().map(|c| safe_char(*c)).collect();
        let map = (0..unit.len()).map(Some).collect();
        Self::finish(unit, display, map, DocKind::Text)
    }

    /// HTML shown as its text content; tags are dropped, entities decoded, and a line break
    /// is drawn after block elements. Offsets and XPaths follow the DOM's text nodes.
    pub fn html(src: &str) -> SpanDoc {
        let nodes = parse_html(src);
        let mut unit = Vec::new();
        let mut display: Vec<char> = Vec::new();
        let mut map = Vec::new();
        let mut text_nodes = Vec::new();
        for n in nodes {
            match n {
                HtmlPiece::Break => {
                    if display.last().is_some_and(|c| *c != '\n') {
                        display.push('\n');
                        map.push(None);
                    }
                }
                HtmlPiece::Text { xpath, text } => {
                    let start = unit.len();
                    let chars: Vec<char> = text.chars().collect();
                    let blank = chars.iter().all(|c| c.is_whitespace());
                    for (i, c) in chars.iter().enumerate() {
                        if !blank {
                            display.push(safe_char(*c));
                            map.push(Some(start + i));
                        }
                    }
                    unit.extend(chars);
                    text_nodes.push(TextNode {
                        xpath,
                        start,
                        end: unit.len(),
                    });
                }
            }
        }
        while display.last() == Some(&'\n') && map.last() == Some(&None) {
            display.pop();
            map.pop();
        }
        Self::finish(unit, display, map, DocKind::HyperText(text_nodes))
    }

    /// Paragraphs as `speaker: text`, one per line.
    pub fn paragraphs(items: &[Value], name_key: &str, text_key: &str) -> SpanDoc {
        let mut unit = Vec::new();
        let mut display = Vec::new();
        let mut map = Vec::new();
        let mut paras = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                display.push('\n');
                map.push(None);
            }
            let name = item.get(name_key).map(crate::task::resolve::as_text);
            if let Some(name) = name.filter(|n| !n.is_empty()) {
                for c in format!("{name}: ").chars() {
                    display.push(safe_char(c));
                    map.push(None);
                }
            }
            let text = item
                .get(text_key)
                .map(crate::task::resolve::as_text)
                .unwrap_or_default();
            let start = unit.len();
            for c in text.chars() {
                display.push(safe_char(c));
                map.push(Some(unit.len()));
                unit.push(c);
            }
            paras.push((start, unit.len()));
        }
        Self::finish(unit, display, map, DocKind::Paragraphs(paras))
    }

    pub fn len(&self) -> usize {
        self.display.len()
    }

    pub fn is_empty(&self) -> bool {
        self.display.is_empty()
    }

    /// The first display index that shows unit offset `off` or a later one.
    pub fn display_of(&self, off: usize) -> usize {
        self.map
            .iter()
            .position(|m| m.is_some_and(|u| u >= off))
            .unwrap_or(self.display.len())
    }

    /// Unit offsets `[start, end)` of the display range `[a, b)`.
    pub fn unit_range(&self, a: usize, b: usize) -> Option<(usize, usize)> {
        let inside: Vec<usize> = self.map[a.min(self.map.len())..b.min(self.map.len())]
            .iter()
            .flatten()
            .copied()
            .collect();
        Some((*inside.first()?, inside.last()? + 1))
    }

    fn unit_text(&self, s: usize, e: usize) -> String {
        self.unit[s..e].iter().collect()
    }

    /// The value fields of a span over display `[a, b)` (labels not included), in
    /// Label Studio's shape for this kind of object.
    pub fn span_value(&self, a: usize, b: usize) -> Option<Map<String, Value>> {
        let (s, e) = self.unit_range(a, b)?;
        let mut m = Map::new();
        match &self.kind {
            DocKind::Text => {
                m.insert("start".into(), json!(s));
                m.insert("end".into(), json!(e));
                m.insert("text".into(), json!(self.unit_text(s, e)));
            }
            DocKind::HyperText(nodes) => {
                let sn = nodes.iter().find(|n| n.start <= s && s < n.end)?;
                let en = nodes.iter().find(|n| n.start < e && e <= n.end)?;
                m.insert("start".into(), json!(sn.xpath));
                m.insert("startOffset".into(), json!(s - sn.start));
                m.insert("end".into(), json!(en.xpath));
                m.insert("endOffset".into(), json!(e - en.start));
                m.insert("globalOffsets".into(), json!({"start": s, "end": e}));
                m.insert("text".into(), json!(self.unit_text(s, e)));
            }
            DocKind::Paragraphs(paras) => {
                let sp = paras.iter().position(|(ps, pe)| *ps <= s && s < *pe)?;
                let ep = paras.iter().position(|(ps, pe)| *ps < e && e <= *pe)?;
                m.insert("start".into(), json!(sp));
                m.insert("startOffset".into(), json!(s - paras[sp].0));
                m.insert("end".into(), json!(ep));
                m.insert("endOffset".into(), json!(e - paras[ep].0));
                let text: Vec<String> = (sp..=ep)
                    .map(|p| {
                        let (ps, pe) = paras[p];
                        self.unit_text(s.max(ps), e.min(pe))
                    })
                    .collect();
                m.insert("text".into(), json!(text.join("\n")));
            }
        }
        Some(m)
    }

    /// The display range a stored region covers.
    pub fn region_range(&self, value: &Value) -> Option<(usize, usize)> {
        let num = |v: Option<&Value>| -> Option<usize> {
            match v? {
                Value::Number(n) => n.as_u64().map(|x| x as usize),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }
        };
        let (s, e) = match &self.kind {
            DocKind::Text => (num(value.get("start"))?, num(value.get("end"))?),
            DocKind::HyperText(nodes) => {
                if let Some(g) = value.get("globalOffsets") {
                    (num(g.get("start"))?, num(g.get("end"))?)
                } else {
                    let node = |k: &str| {
                        let x = value.get(k)?.as_str()?;
                        nodes.iter().find(|n| n.xpath == x)
                    };
                    let sn = node("start")?;
                    let en = node("end")?;
                    (
                        sn.start + num(value.get("startOffset"))?,
                        en.start + num(value.get("endOffset"))?,
                    )
                }
            }
            DocKind::Paragraphs(paras) => {
                let sp = paras.get(num(value.get("start"))?)?;
                let ep = paras.get(num(value.get("end"))?)?;
                (
                    sp.0 + num(value.get("startOffset")).unwrap_or(0),
                    ep.0 + num(value.get("endOffset")).unwrap_or(ep.1 - ep.0),
                )
            }
        };
        if e < s || e > self.unit.len() {
            return None;
        }
        let a = self.display_of(s);
        let b = if e == 0 {
            0
        } else {
            self.display_of(e - 1) + 1
        };
        Some((a, b.max(a)))
    }

    /// The grapheme cluster starting at or containing display index `i`: `[start, end)`.
    pub fn grapheme_at(&self, i: usize) -> (usize, usize) {
        match self.bounds.binary_search(&i) {
            Ok(k) if k + 1 < self.bounds.len() => (self.bounds[k], self.bounds[k + 1]),
            Ok(k) => (self.bounds[k], self.bounds[k]),
            Err(k) => (self.bounds[k - 1], self.bounds[k]),
        }
    }

    pub fn next(&self, i: usize) -> usize {
        let (_, e) = self.grapheme_at(i);
        if e >= self.display.len() {
            self.last()
        } else {
            e
        }
    }

    pub fn prev(&self, i: usize) -> usize {
        let (s, _) = self.grapheme_at(i);
        if s == 0 { 0 } else { self.grapheme_at(s - 1).0 }
    }

    /// The last grapheme's start (where the cursor stops).
    pub fn last(&self) -> usize {
        if self.bounds.len() >= 2 {
            self.bounds[self.bounds.len() - 2]
        } else {
            0
        }
    }

    /// 0 for white space, 1 for word characters, 2 for anything else (punctuation, emoji).
    fn class(&self, i: usize) -> u8 {
        match self.display.get(i) {
            None => 0,
            Some(c) if c.is_whitespace() => 0,
            Some(c) if c.is_alphanumeric() || *c == '_' => 1,
            Some(_) => 2,
        }
    }

    /// Start of the next word (a run of word characters or of other non-space ones).
    pub fn word_next(&self, i: usize) -> usize {
        let mut j = i;
        let c = self.class(i);
        if c != 0 {
            while j < self.display.len() && self.class(j) == c {
                j = self.grapheme_at(j).1;
            }
        }
        while j < self.display.len() && self.class(j) == 0 {
            j = self.grapheme_at(j).1;
        }
        if j >= self.display.len() {
            self.last()
        } else {
            j
        }
    }

    /// Start of the current or previous word.
    pub fn word_prev(&self, i: usize) -> usize {
        let mut j = self.prev(i);
        while j > 0 && self.class(j) == 0 {
            j = self.prev(j);
        }
        let c = self.class(j);
        while j > 0 && c != 0 && self.class(self.prev(j)) == c {
            j = self.prev(j);
        }
        j
    }

    /// The word around display index `i` as `[start, end)`, or the grapheme itself.
    pub fn word_at(&self, i: usize) -> (usize, usize) {
        let c = self.class(i);
        if c == 0 {
            return self.grapheme_at(i);
        }
        let mut s = self.grapheme_at(i).0;
        while s > 0 && self.class(self.prev(s)) == c {
            s = self.prev(s);
        }
        let mut e = self.grapheme_at(i).1;
        while e < self.display.len() && self.class(e) == c {
            e = self.grapheme_at(e).1;
        }
        (s, e)
    }

    /// Wraps the display text to `width` columns: `[start, end)` per line, breaking after
    /// spaces when it can; a newline ends a line and is not drawn.
    pub fn layout(&self, width: u16) -> Vec<(usize, usize)> {
        let width = width.max(1) as usize;
        let mut lines = Vec::new();
        let mut start = 0;
        let mut col = 0;
        let mut last_space: Option<usize> = None;
        let mut k = 0;
        while k + 1 < self.bounds.len() {
            let (gs, ge) = (self.bounds[k], self.bounds[k + 1]);
            if self.display[gs] == '\n' {
                lines.push((start, gs));
                start = ge;
                col = 0;
                last_space = None;
                k += 1;
                continue;
            }
            let g: String = self.display[gs..ge].iter().collect();
            let w = g.width().max(if g.trim().is_empty() { 1 } else { 0 });
            if col + w > width && col > 0 {
                let brk = match last_space {
                    Some(sp) if sp > start => sp,
                    _ => gs,
                };
                lines.push((start, brk));
                start = brk;
                let seg: String = self.display[brk..gs].iter().collect();
                col = seg.width();
                last_space = None;
            }
            col += w;
            if self.display[gs] == ' ' {
                last_space = Some(ge);
            }
            k += 1;
        }
        lines.push((start, self.display.len()));
        lines
    }
}

enum HtmlPiece {
    Text { xpath: String, text: String },
    Break,
}

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];
const BLOCK: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "table",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "hr",
    "dt",
    "dd",
    "title",
];

struct Frame {
    tag: String,
    path: String,
    counts: Vec<(String, usize)>,
    texts: usize,
}

fn parse_html(src: &str) -> Vec<HtmlPiece> {
    let mut out = Vec::new();
    let mut stack = vec![Frame {
        tag: String::new(),
        path: String::new(),
        counts: Vec::new(),
        texts: 0,
    }];
    let b = src.as_bytes();
    let mut i = 0;
    let mut text_start = 0;
    let flush = |stack: &mut Vec<Frame>, out: &mut Vec<HtmlPiece>, raw: &str| {
        if raw.is_empty() {
            return;
        }
        let f = stack.last_mut().expect("root frame");
        f.texts += 1;
        out.push(HtmlPiece::Text {
            xpath: format!("{}/text()[{}]", f.path, f.texts),
            text: decode_entities(raw),
        });
    };
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &src[i..];
        let is_tag = rest.len() > 1
            && (b[i + 1].is_ascii_alphabetic()
                || b[i + 1] == b'/'
                || b[i + 1] == b'!'
                || b[i + 1] == b'?');
        if !is_tag {
            i += 1;
            continue;
        }
        flush(&mut stack, &mut out, &src[text_start..i]);
        if rest.starts_with("<!--") {
            i += rest.find("-->").map_or(rest.len(), |e| e + 3);
            text_start = i;
            continue;
        }
        // Find the tag end, respecting quotes.
        let mut j = i + 1;
        let mut quote: Option<u8> = None;
        while j < b.len() {
            match (quote, b[j]) {
                (Some(q), c) if c == q => quote = None,
                (None, b'"') | (None, b'\'') => quote = Some(b[j]),
                (None, b'>') => break,
                _ => {}
            }
            j += 1;
        }
        let inner = &src[i + 1..j.min(b.len())];
        i = (j + 1).min(b.len());
        text_start = i;
        if inner.starts_with('!') || inner.starts_with('?') {
            continue;
        }
        let closing = inner.starts_with('/');
        let name: String = inner
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == ':')
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        if BLOCK.contains(&name.as_str()) {
            out.push(HtmlPiece::Break);
        }
        if closing {
            if let Some(pos) = stack.iter().rposition(|f| f.tag == name)
                && pos > 0
            {
                stack.truncate(pos);
            }
            continue;
        }
        if name == "script" || name == "style" {
            let end = format!("</{name}");
            let lower = src[i..].to_ascii_lowercase();
            let skip = lower.find(&end).unwrap_or(lower.len());
            i += skip;
            text_start = i;
            continue;
        }
        let parent = stack.last_mut().expect("root frame");
        let n = match parent.counts.iter_mut().find(|(t, _)| *t == name) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                parent.counts.push((name.clone(), 1));
                1
            }
        };
        let path = format!("{}/{}[{}]", parent.path, name, n);
        if !(VOID.contains(&name.as_str()) || inner.trim_end().ends_with('/')) {
            stack.push(Frame {
                tag: name,
                path,
                counts: Vec::new(),
                texts: 0,
            });
        }
    }
    flush(&mut stack, &mut out, &src[text_start.min(src.len())..]);
    out
}

/// Decodes the HTML entities that text content commonly holds.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let end = rest[1..].find(';').map(|e| e + 1).filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                    .ok()
                    .and_then(char::from_u32),
                n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_points_with_emoji_and_combining_marks() {
        // "e" + combining acute (2 code points, 1 grapheme), a family emoji (5 code points).
        let s = "Cafe\u{301} 👨\u{200d}👩\u{200d}👧 ok";
        let d = SpanDoc::text(s);
        // Graphemes: C a f é ␠ family ␠ o k
        assert_eq!(d.next(3), 5, "é is one cursor step");
        let fam = d.next(5);
        assert_eq!(fam, 6);
        assert_eq!(d.next(fam), 11, "the family is one step of 5 code points");
        let v = d.span_value(6, 11).unwrap();
        assert_eq!(v["start"], 6);
        assert_eq!(v["end"], 11);
        assert_eq!(v["text"], "👨\u{200d}👩\u{200d}👧");
        let w = d.word_at(1);
        assert_eq!(d.span_value(w.0, w.1).unwrap()["text"], "Cafe\u{301}");
        assert_eq!(
            d.region_range(&json!({"start": 6, "end": 11})),
            Some((6, 11))
        );
    }

    #[test]
    fn control_characters_are_drawn_as_spaces_in_place() {
        let d = SpanDoc::text("a\x1b[31mb\u{202e}c");
        assert_eq!(d.display.iter().collect::<String>(), "a [31mb c");
        assert_eq!(d.span_value(6, 7).unwrap()["text"], "b");
    }

    #[test]
    fn html_offsets_and_xpaths() {
        let d = SpanDoc::html("<div><p>Hello &amp; <b>bye</b> now</p><p>Two</p></div>");
        assert_eq!(d.unit.iter().collect::<String>(), "Hello & bye nowTwo");
        let shown: String = d.display.iter().collect();
        assert_eq!(shown, "Hello & bye now\nTwo");
        let a = d.display_of(8);
        let v = d.span_value(a, a + 3).unwrap();
        assert_eq!(v["start"], "/div[1]/p[1]/b[1]/text()[1]");
        assert_eq!(v["startOffset"], 0);
        assert_eq!(v["endOffset"], 3);
        assert_eq!(v["globalOffsets"], json!({"start": 8, "end": 11}));
        assert_eq!(v["text"], "bye");
        let two = d.display_of(15);
        let v = d.span_value(two, two + 3).unwrap();
        assert_eq!(v["start"], "/div[1]/p[2]/text()[1]");
        assert_eq!(d.region_range(&Value::Object(v)), Some((two, two + 3)));
        let by_xpath = json!({"start": "/div[1]/p[1]/text()[2]", "startOffset": 1, "end": "/div[1]/p[1]/text()[2]", "endOffset": 4});
        let (a, b) = d.region_range(&by_xpath).unwrap();
        assert_eq!(d.display[a..b].iter().collect::<String>(), "now");
        let d = SpanDoc::html("<p>a</p><script>alert(1)</script><!-- c --><p>x &lt; y</p>");
        assert_eq!(d.unit.iter().collect::<String>(), "ax < y");
    }

    #[test]
    fn paragraphs_with_speakers() {
        let items = vec![
            json!({"author": "ann", "text": "Hi there"}),
            json!({"author": "bob", "text": "Yo"}),
        ];
        let d = SpanDoc::paragraphs(&items, "author", "text");
        assert_eq!(
            d.display.iter().collect::<String>(),
            "ann: Hi there\nbob: Yo"
        );
        let a = d.display_of(3);
        let b = d.display_of(9) + 1;
        let v = d.span_value(a, b).unwrap();
        assert_eq!(v["start"], 0);
        assert_eq!(v["startOffset"], 3);
        assert_eq!(v["end"], 1);
        assert_eq!(v["endOffset"], 2);
        assert_eq!(v["text"], "there\nYo");
        assert_eq!(d.region_range(&Value::Object(v)), Some((a, b)));
    }

    #[test]
    fn wrapping_breaks_after_spaces() {
        let d = SpanDoc::text("one two three\nfour");
        let lines: Vec<String> = d
            .layout(8)
            .iter()
            .map(|(s, e)| d.display[*s..*e].iter().collect())
            .collect();
        assert_eq!(lines, vec!["one two ", "three", "four"]);
        let d = SpanDoc::text("日本語のテキスト");
        assert_eq!(d.layout(6).len(), 3, "wide characters count two columns");
    }
}
