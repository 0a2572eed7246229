//! Span documents: the text of a Text, HyperText or Paragraphs object as drawn, mapped to
//! the offsets Label Studio stores. Offsets count Unicode code points of the source text
//! (HyperText: of its text content; Paragraphs: within each paragraph). What is drawn is
//! sanitised one character for one, so a task cannot drive the terminal and offsets stay
//! right; characters added only for display (line breaks after HTML blocks, speaker names)
//! map to no offset.

use crate::term_safe;
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use unicode_segmentation::UnicodeSegmentation;

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
    /// Words as display ranges `[start, end)`, in order: UAX #29 word segments that are
    /// not white space, cut again where the script changes.
    pub words: Vec<(usize, usize)>,
    /// Sentences (UAX #29 sentence segments) without their surrounding white space.
    pub sentences: Vec<(usize, usize)>,
    /// Lines between newlines, without surrounding white space; empty ones left out.
    pub paragraphs: Vec<(usize, usize)>,
}

/// How far a text selection extends, from the `granularity` attribute of Text and
/// HyperText. Label Studio trims white space off a selection and then widens it to whole
/// words, sentences or paragraphs; `symbol` keeps it as selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Granularity {
    #[default]
    Symbol,
    Word,
    Sentence,
    Paragraph,
}

impl Granularity {
    /// The attribute's value. Label Studio compares it exactly and treats anything else,
    /// or no attribute, as `symbol`.
    pub fn from_attr(value: Option<&str>) -> Granularity {
        match value {
            Some("word") => Granularity::Word,
            Some("sentence") => Granularity::Sentence,
            Some("paragraph") => Granularity::Paragraph,
            _ => Granularity::Symbol,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Granularity::Symbol => "symbol",
            Granularity::Word => "word",
            Granularity::Sentence => "sentence",
            Granularity::Paragraph => "paragraph",
        }
    }
}

/// Which edge of a span an edit moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Left,
    Right,
}

/// One character on its own, made safe to draw by the one sanitiser's rules
/// ([`term_safe::kept_chars`]): a newline stays, a character not kept becomes a space, so
/// positions do not move.
pub fn safe_char(c: char) -> char {
    let mut buf = [0u8; 4];
    if c == '\n' || term_safe::kept_chars(c.encode_utf8(&mut buf))[0] {
        c
    } else {
        ' '
    }
}

/// The display text made safe to draw, grapheme by grapheme (so emoji sequences, flags
/// and tag sequences are judged whole): characters [`term_safe::kept_chars`] does not
/// keep become spaces, one for one; newlines stay (they end lines).
fn safe_display(display: Vec<char>) -> Vec<char> {
    let s: String = display.iter().collect();
    let mut out = Vec::with_capacity(display.len());
    for g in s.graphemes(true) {
        for (c, keep) in g.chars().zip(term_safe::kept_chars(g)) {
            out.push(if keep || c == '\n' { c } else { ' ' });
        }
    }
    out
}

impl SpanDoc {
    fn finish(unit: Vec<char>, display: Vec<char>, map: Vec<Option<usize>>, kind: DocKind) -> Self {
        let display = safe_display(display);
        let s: String = display.iter().collect();
        let bounds = char_bounds(&s, s.grapheme_indices(true).map(|(b, _)| b), display.len());
        let is_blank = |a: usize, b: usize| display[a..b].iter().all(|c| c.is_whitespace());
        let grapheme_starts = |a: usize, b: usize| {
            let k = bounds.partition_point(|x| *x < a);
            bounds[k..].iter().copied().take_while(move |x| *x < b)
        };
        let mut words = Vec::new();
        let segs = char_bounds(
            &s,
            s.split_word_bound_indices().map(|(b, _)| b),
            display.len(),
        );
        for w in segs.windows(2) {
            let (a, b) = (w[0], w[1]);
            if is_blank(a, b) {
                continue;
            }
            // UAX #29 joins letters of any alphabet (and treats Thai or Hangul like Latin),
            // so a word is also cut where the script changes; characters of no particular
            // script (digits, marks, punctuation) go with their neighbours.
            let mut start = a;
            let mut current = Script::Common;
            for g in grapheme_starts(a, b) {
                let sc = script_of(display[g]);
                if sc == Script::Common {
                    continue;
                }
                if current != Script::Common && sc != current {
                    words.push((start, g));
                    start = g;
                }
                current = sc;
            }
            words.push((start, b));
        }
        let trim = |a: usize, b: usize| -> Option<(usize, usize)> {
            let starts: Vec<usize> = grapheme_starts(a, b).collect();
            let ends = starts.iter().skip(1).copied().chain(std::iter::once(b));
            let solid: Vec<(usize, usize)> = starts
                .iter()
                .copied()
                .zip(ends)
                .filter(|(x, y)| !is_blank(*x, *y))
                .collect();
            Some((solid.first()?.0, solid.last()?.1))
        };
        let sentence_bounds = char_bounds(
            &s,
            s.split_sentence_bound_indices().map(|(b, _)| b),
            display.len(),
        );
        let sentences = sentence_bounds
            .windows(2)
            .filter_map(|w| trim(w[0], w[1]))
            .collect();
        let mut paragraphs = Vec::new();
        let mut line_start = 0;
        for i in 0..=display.len() {
            if i == display.len() || display[i] == '\n' {
                paragraphs.extend(trim(line_start, i));
                line_start = i + 1;
            }
        }
        SpanDoc {
            unit,
            display,
            map,
            bounds,
            kind,
            words,
            sentences,
            paragraphs,
        }
    }

    pub fn text(s: &str) -> SpanDoc {
        let unit: Vec<char> = s.chars().collect();
        let display = unit.clone();
        let map = (0..unit.len()).map(Some).collect();
        Self::finish(unit, display, map, DocKind::Text)
    }

    /// A list given to a Text: Label Studio shows (and counts offsets in) its items joined
    /// with `,`; here each item also starts a line of its own, a break drawn after the comma
    /// that is not a character of the text.
    pub fn list(items: &[String]) -> SpanDoc {
        let mut unit: Vec<char> = Vec::new();
        let mut display: Vec<char> = Vec::new();
        let mut map = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                display.push('\n');
                map.push(None);
            }
            for c in item.chars() {
                map.push(Some(unit.len()));
                unit.push(c);
                display.push(c);
            }
            if i + 1 < items.len() {
                map.push(Some(unit.len()));
                unit.push(',');
                display.push(',');
            }
        }
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
                HtmlPiece::Image { .. } => {}
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
                            display.push(*c);
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
                    display.push(c);
                    map.push(None);
                }
            }
            let text = item
                .get(text_key)
                .map(crate::task::resolve::as_text)
                .unwrap_or_default();
            let start = unit.len();
            for c in text.chars() {
                display.push(c);
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

    /// Start of the next word (a word is a UAX #29 word, a run of one script, or a
    /// punctuation mark or emoji on its own); the last grapheme when there is none.
    pub fn word_next(&self, i: usize) -> usize {
        self.word_start_next(i, 1)
    }

    /// Start of the current or previous word.
    pub fn word_prev(&self, i: usize) -> usize {
        self.word_start_prev(i, 1)
    }

    /// The word around display index `i` as `[start, end)`, or the grapheme itself when
    /// it is white space.
    pub fn word_at(&self, i: usize) -> (usize, usize) {
        let g = self.grapheme_at(i);
        let k = self.words.partition_point(|w| w.1 <= g.0);
        match self.words.get(k) {
            Some(&(s, e)) if s <= g.0 => (s, e),
            _ => g,
        }
    }

    /// The ranges one unit of a granularity covers, in order: graphemes for `symbol`
    /// (white space included), else words, sentences or paragraphs.
    pub fn units(&self, g: Granularity) -> Cow<'_, [(usize, usize)]> {
        match g {
            Granularity::Symbol => {
                Cow::Owned(self.bounds.windows(2).map(|w| (w[0], w[1])).collect())
            }
            Granularity::Word => Cow::Borrowed(&self.words),
            Granularity::Sentence => Cow::Borrowed(&self.sentences),
            Granularity::Paragraph => Cow::Borrowed(&self.paragraphs),
        }
    }

    /// Start of the first unit after `i`, `count` times (a count of 0 moves once); the
    /// last grapheme when the text runs out.
    fn unit_start_next(&self, units: &[(usize, usize)], mut i: usize, count: usize) -> usize {
        for _ in 0..count.max(1) {
            match units.get(units.partition_point(|u| u.0 <= i)) {
                Some(u) => i = u.0,
                None => return self.last(),
            }
        }
        i
    }

    /// Start of the unit holding `i`, or of the one before, `count` times; 0 at the start.
    fn unit_start_prev(units: &[(usize, usize)], mut i: usize, count: usize) -> usize {
        for _ in 0..count.max(1) {
            match units.partition_point(|u| u.0 < i).checked_sub(1) {
                Some(k) => i = units[k].0,
                None => return 0,
            }
        }
        i
    }

    /// `count` words on, to the start of each (vim `w`).
    pub fn word_start_next(&self, i: usize, count: usize) -> usize {
        self.unit_start_next(&self.words, i, count)
    }

    /// `count` words back, to the start of each (vim `b`).
    pub fn word_start_prev(&self, i: usize, count: usize) -> usize {
        Self::unit_start_prev(&self.words, i, count)
    }

    /// To the last grapheme of the current word, or of the next one when already there,
    /// `count` times (vim `e`).
    pub fn word_end_next(&self, mut i: usize, count: usize) -> usize {
        let last_of = |w: &(usize, usize)| self.grapheme_at(w.1 - 1).0;
        for _ in 0..count.max(1) {
            match self
                .words
                .get(self.words.partition_point(|w| last_of(w) <= i))
            {
                Some(w) => i = last_of(w),
                None => return self.last(),
            }
        }
        i
    }

    /// `count` sentences on, to the start of each (vim `)`).
    pub fn sentence_next(&self, i: usize, count: usize) -> usize {
        self.unit_start_next(&self.sentences, i, count)
    }

    /// To the start of the current sentence, then of the ones before (vim `(`).
    pub fn sentence_prev(&self, i: usize, count: usize) -> usize {
        Self::unit_start_prev(&self.sentences, i, count)
    }

    /// Widens display range `[start, end)` the way Label Studio applies the granularity:
    /// `symbol` keeps it as it is; otherwise white space is trimmed off both ends and
    /// each end is moved out to the bound of the word, sentence or paragraph it falls in.
    /// A range of only white space becomes empty.
    pub fn snap(&self, start: usize, end: usize, g: Granularity) -> (usize, usize) {
        if g == Granularity::Symbol {
            return (start, end);
        }
        let (mut s, mut e) = (start.min(end), start.max(end).min(self.len()));
        s = self.grapheme_at(s.min(e)).0;
        if e > s {
            e = self.grapheme_at(e - 1).1;
        }
        let blank = |(a, b): (usize, usize)| self.display[a..b].iter().all(|c| c.is_whitespace());
        while s < e && blank(self.grapheme_at(s)) {
            s = self.grapheme_at(s).1;
        }
        while e > s && blank(self.grapheme_at(e - 1)) {
            e = self.grapheme_at(e - 1).0;
        }
        if s >= e {
            return (s, s);
        }
        let units = self.units(g);
        if let Some(u) = units.get(units.partition_point(|u| u.1 <= s))
            && u.0 <= s
        {
            s = u.0;
        }
        if let Some(u) = units.get(units.partition_point(|u| u.1 < e))
            && u.0 < e
        {
            e = e.max(u.1);
        }
        (s, e)
    }

    /// The span a selection from `anchor` to `cursor` makes: both graphemes included,
    /// then snapped to the granularity.
    pub fn selection_range(&self, anchor: usize, cursor: usize, g: Granularity) -> (usize, usize) {
        if self.is_empty() {
            return (0, 0);
        }
        let (a, c) = (anchor.min(cursor), anchor.max(cursor));
        let s = self.grapheme_at(a.min(self.last())).0;
        let e = self.grapheme_at(c.min(self.last())).1;
        self.snap(s, e, g)
    }

    /// Moves one edge of span `[start, end)` outwards by `count` units of the granularity
    /// (a count of 0 moves once). It stops at the text's ends.
    pub fn grow_edge(
        &self,
        (mut s, mut e): (usize, usize),
        edge: Edge,
        g: Granularity,
        count: usize,
    ) -> (usize, usize) {
        let units = self.units(g);
        for _ in 0..count.max(1) {
            match edge {
                Edge::Left => match units.partition_point(|u| u.0 < s).checked_sub(1) {
                    Some(k) => s = units[k].0,
                    None => break,
                },
                Edge::Right => match units.get(units.partition_point(|u| u.1 <= e)) {
                    Some(u) => e = u.1,
                    None => break,
                },
            }
        }
        (s, e)
    }

    /// Moves one edge of span `[start, end)` inwards by `count` units of the granularity
    /// (a count of 0 moves once). A span keeps at least one whole unit.
    pub fn shrink_edge(
        &self,
        (mut s, mut e): (usize, usize),
        edge: Edge,
        g: Granularity,
        count: usize,
    ) -> (usize, usize) {
        let units = self.units(g);
        for _ in 0..count.max(1) {
            match edge {
                Edge::Left => match units.get(units.partition_point(|u| u.0 <= s)) {
                    Some(u) if u.1 <= e => s = u.0,
                    _ => break,
                },
                Edge::Right => match units.partition_point(|u| u.1 < e).checked_sub(1) {
                    Some(k) if units[k].0 >= s => e = units[k].1,
                    _ => break,
                },
            }
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
            let w = term_safe::grapheme_width(&g).max(if g.trim().is_empty() { 1 } else { 0 });
            if col + w > width && col > 0 {
                let brk = match last_space {
                    Some(sp) if sp > start => sp,
                    _ => gs,
                };
                lines.push((start, brk));
                start = brk;
                let seg: String = self.display[brk..gs].iter().collect();
                col = term_safe::display_width(&seg);
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

/// Char indices of the given byte offsets of `s` (ascending, each on a char boundary),
/// then `len`, the string's length in chars.
fn char_bounds(s: &str, bytes: impl Iterator<Item = usize>, len: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut char_idx = 0;
    let mut last_byte = 0;
    for byte in bytes {
        char_idx += s[last_byte..byte].chars().count();
        last_byte = byte;
        out.push(char_idx);
    }
    out.push(len);
    out
}

/// The scripts a word must not run across. `Common` is whatever belongs to no script in
/// particular (digits, punctuation, marks, symbols) and never cuts a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Common,
    Latin,
    Greek,
    Cyrillic,
    Armenian,
    Hebrew,
    Arabic,
    Devanagari,
    Bengali,
    Thai,
    Hangul,
    Hiragana,
    Katakana,
    Han,
    Other,
}

fn script_of(c: char) -> Script {
    if !c.is_alphabetic() {
        return Script::Common;
    }
    match c as u32 {
        0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F | 0x250..=0x2AF | 0x1E00..=0x1EFF => Script::Latin,
        0x2C60..=0x2C7F | 0xA720..=0xA7FF | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A => Script::Latin,
        0x370..=0x3FF | 0x1F00..=0x1FFF => Script::Greek,
        0x400..=0x52F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
        0x530..=0x58F => Script::Armenian,
        0x590..=0x5FF | 0xFB1D..=0xFB4F => Script::Hebrew,
        0x600..=0x6FF | 0x750..=0x77F | 0x8A0..=0x8FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
            Script::Arabic
        }
        0x900..=0x97F => Script::Devanagari,
        0x980..=0x9FF => Script::Bengali,
        0xE00..=0xE7F => Script::Thai,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xA960..=0xA97F | 0xAC00..=0xD7FF => Script::Hangul,
        0xFFA0..=0xFFDC => Script::Hangul,
        0x3040..=0x309F | 0x1B001..=0x1B11F => Script::Hiragana,
        0x30A0..=0x30FF | 0x31F0..=0x31FF | 0x32D0..=0x32FE | 0xFF66..=0xFF9F => Script::Katakana,
        0x2E80..=0x2FDF | 0x3005 | 0x3007 | 0x3021..=0x3029 | 0x3038..=0x303B => Script::Han,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F => Script::Han,
        _ => Script::Other,
    }
}

enum HtmlPiece {
    Text {
        xpath: String,
        text: String,
    },
    Break,
    /// An `<img>`: no text of its own (offsets never count it), named where shown as text.
    Image {
        name: String,
    },
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
        if name == "img" {
            out.push(HtmlPiece::Image {
                name: image_name(inner),
            });
        }
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

/// An image's name for a text rendering: its `alt`, else the file name of its `src`.
fn image_name(tag: &str) -> String {
    let alt = tag_attr(tag, "alt").map(|a| decode_entities(a.trim()));
    if let Some(a) = alt.filter(|a| !a.is_empty()) {
        return a;
    }
    let src = tag_attr(tag, "src").unwrap_or_default();
    let path = src.split(['?', '#']).next().unwrap_or_default();
    let file = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    decode_entities(file)
}

/// The value of attribute `name` inside a tag's text (`img width='4' src="a.png"`).
fn tag_attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let b = tag.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // An attribute name starts after white space (or `/`).
        while i < b.len() && !b[i].is_ascii_alphabetic() {
            i += 1;
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b':') {
            i += 1;
        }
        let attr = &tag[start..i];
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            continue;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let (vs, ve) = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = tag[i + 1..].find(q as char).map_or(b.len(), |e| i + 1 + e);
                (i + 1, end)
            }
            _ => {
                let end = tag[i..]
                    .find(|c: char| c.is_ascii_whitespace() || c == '>')
                    .map_or(b.len(), |e| i + e);
                (i, end)
            }
        };
        if attr.eq_ignore_ascii_case(name) {
            return Some(&tag[vs..ve]);
        }
        i = ve + 1;
    }
    None
}

/// How much of an option's `html` is read to name it on one line: far more than a row
/// shows, so that a huge value cannot slow a frame.
const HTML_LABEL_SOURCE: usize = 16 * 1024;

/// HTML shown as one line of text, as an option's `html` is: the text content with white
/// space collapsed, blocks separated by ` · `, an image as `[image: name]`.
pub fn html_label(src: &str) -> String {
    let mut cut = src.len().min(HTML_LABEL_SOURCE);
    while !src.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut chunks: Vec<String> = Vec::new();
    let mut cur = String::new();
    let end_chunk = |cur: &mut String, chunks: &mut Vec<String>| {
        let words = cur.split_whitespace().collect::<Vec<_>>().join(" ");
        if !words.is_empty() {
            chunks.push(words);
        }
        cur.clear();
    };
    for piece in parse_html(&src[..cut]) {
        match piece {
            HtmlPiece::Text { text, .. } => cur.push_str(&text),
            HtmlPiece::Break => end_chunk(&mut cur, &mut chunks),
            HtmlPiece::Image { name } => {
                cur.push_str(&format!(" [image: {name}] "));
            }
        }
    }
    end_chunk(&mut cur, &mut chunks);
    chunks.join(" · ")
}

/// A value as JavaScript's `String()` makes it, which is the text Label Studio's Text
/// shows (and counts offsets in) for a value that is not a string: a list joins its items
/// with `,` (null items empty), an object is `[object Object]`.
pub fn js_string(v: &Value) -> String {
    fn push(v: &Value, top: bool, out: &mut String) {
        match v {
            Value::String(s) => out.push_str(s),
            Value::Null if top => out.push_str("null"),
            Value::Null => {}
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => match n.as_f64() {
                // JavaScript prints whole numbers without a fraction.
                Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e21 => {
                    out.push_str(&format!("{}", f as i128))
                }
                _ => out.push_str(&n.to_string()),
            },
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push(item, false, out);
                }
            }
            Value::Object(_) => out.push_str("[object Object]"),
        }
    }
    let mut out = String::new();
    push(v, true, &mut out);
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
    fn the_document_keeps_what_the_one_sanitiser_keeps() {
        // Emoji sequences and flags stay whole; a joiner or a regional indicator out of
        // place becomes a space, one for one, so offsets do not move.
        let src = "a\u{200D}b 👩\u{200D}💻 🇩🇪 \u{1F1E9}x";
        let d = SpanDoc::text(src);
        let shown: String = d.display.iter().collect();
        assert_eq!(shown, "a b 👩\u{200D}💻 🇩🇪  x");
        assert_eq!(d.display.len(), src.chars().count());
        for g in shown.graphemes(true) {
            assert!(term_safe::kept_chars(g).iter().all(|k| *k), "{g:?}");
        }
        assert_eq!(safe_char('\u{202E}'), ' ');
        assert_eq!(safe_char('\n'), '\n');
        assert_eq!(safe_char('é'), 'é');
        // Widths are the sanitiser's: a heart with VS16 takes two columns.
        let d = SpanDoc::text("\u{2764}\u{FE0F}\u{2764}\u{FE0F}ab");
        assert_eq!(d.layout(4), vec![(0, 4), (4, 6)]);
        assert_eq!(d.layout(5), vec![(0, 5), (5, 6)]);
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

    fn shown(d: &SpanDoc, (a, b): (usize, usize)) -> String {
        d.display[a..b].iter().collect()
    }

    /// The words a run of `w` motions stops at.
    fn word_stops(d: &SpanDoc) -> Vec<String> {
        let mut out = vec![shown(d, d.word_at(0))];
        let mut i = 0;
        loop {
            let n = d.word_start_next(i, 1);
            if d.word_at(n) == d.word_at(i) {
                break;
            }
            out.push(shown(d, d.word_at(n)));
            i = n;
        }
        out
    }

    #[test]
    fn granularity_attribute_as_label_studio_reads_it() {
        assert_eq!(Granularity::from_attr(Some("word")), Granularity::Word);
        assert_eq!(
            Granularity::from_attr(Some("sentence")),
            Granularity::Sentence
        );
        assert_eq!(
            Granularity::from_attr(Some("paragraph")),
            Granularity::Paragraph
        );
        assert_eq!(Granularity::from_attr(Some("symbol")), Granularity::Symbol);
        assert_eq!(Granularity::from_attr(None), Granularity::Symbol);
        // Anything else, even in another case, keeps the selection as it is.
        assert_eq!(Granularity::from_attr(Some("Word")), Granularity::Symbol);
        assert_eq!(Granularity::from_attr(Some("token")), Granularity::Symbol);
    }

    #[test]
    fn word_granularity_selects_whole_words() {
        // Precomposed and decomposed accents alike.
        for text in [
            "José Álvarez llegó.",
            "Jose\u{301} A\u{301}lvarez llego\u{301}.",
        ] {
            let d = SpanDoc::text(text);
            let cur = d.word_next(0);
            assert!(matches!(d.display[cur], 'A' | 'Á'), "{:?}", d.display[cur]);
            let sel = d.selection_range(0, cur, Granularity::Word);
            assert_eq!(shown(&d, sel), shown(&d, (0, d.word_at(cur).1)));
            assert!(shown(&d, sel).ends_with("lvarez"), "{:?}", shown(&d, sel));
            let v = d.span_value(sel.0, sel.1).unwrap();
            assert_eq!(v["start"], 0);
            assert_eq!(v["text"], shown(&d, sel));
            // Symbol granularity keeps the selection as made.
            let raw = d.selection_range(0, cur, Granularity::Symbol);
            assert_eq!(raw, (0, d.grapheme_at(cur).1));
        }
        let d = SpanDoc::text("José Álvarez llegó.");
        // Inside a word, both ends go out to its bounds; white space at the ends goes.
        assert_eq!(shown(&d, d.snap(2, 3, Granularity::Word)), "José");
        assert_eq!(shown(&d, d.snap(3, 8, Granularity::Word)), "José Álvarez");
        assert_eq!(shown(&d, d.snap(4, 5, Granularity::Word)), "");
        assert_eq!(d.snap(4, 7, Granularity::Symbol), (4, 7));
    }

    #[test]
    fn sentence_and_paragraph_granularity() {
        let d = SpanDoc::text("First one here. Second one!  Third?\nNew para line.\n\nLast");
        let at = |s: &str| d.display.iter().collect::<String>().find(s).unwrap();
        let i = at("one!");
        assert_eq!(
            shown(&d, d.snap(i, i + 1, Granularity::Sentence)),
            "Second one!"
        );
        let i = at("here");
        let j = at("Second") + 2;
        assert_eq!(
            shown(&d, d.snap(i, j, Granularity::Sentence)),
            "First one here. Second one!"
        );
        assert_eq!(
            shown(&d, d.snap(i, i + 1, Granularity::Paragraph)),
            "First one here. Second one!  Third?"
        );
        let i = at("para");
        assert_eq!(
            shown(&d, d.snap(i, i + 2, Granularity::Paragraph)),
            "New para line."
        );
        // Sentence motions, with counts.
        assert_eq!(d.sentence_next(0, 1), at("Second"));
        assert_eq!(d.sentence_next(0, 2), at("Third"));
        assert_eq!(d.sentence_next(0, 3), at("New"));
        assert_eq!(d.sentence_prev(at("one!"), 1), at("Second"));
        assert_eq!(d.sentence_prev(at("Second"), 1), 0);
        assert_eq!(d.sentence_prev(at("New"), 2), at("Second"));
        assert_eq!(d.sentence_next(at("Last"), 1), d.last());
    }

    #[test]
    fn cjk_words_stop_inside_a_sentence() {
        let d = SpanDoc::text("日本語のテキストです。次");
        let stops = word_stops(&d);
        assert!(stops.len() > 4, "{stops:?}");
        assert!(stops.contains(&"テキスト".to_string()), "{stops:?}");
        assert!(
            stops.iter().all(|w| !w.contains('の') || w == "の"),
            "{stops:?}"
        );
        assert_ne!(d.word_next(0), d.last());
        let d = SpanDoc::text("我爱北京天安门");
        assert_eq!(d.word_next(0), 1, "a Chinese sentence is not one word");
        assert_eq!(d.word_at(3), (3, 4));
        // Script changes cut a word that UAX #29 would keep whole.
        let d = SpanDoc::text("Москваcity 서울abc x2y");
        assert_eq!(word_stops(&d), vec!["Москва", "city", "서울", "abc", "x2y"]);
    }

    #[test]
    fn word_motions_with_counts() {
        let d = SpanDoc::text("Hello, big world! ok");
        assert_eq!(
            word_stops(&d),
            vec!["Hello", ",", "big", "world", "!", "ok"]
        );
        assert_eq!(d.word_start_next(0, 1), 5);
        assert_eq!(d.word_start_next(0, 3), 11);
        assert_eq!(d.word_start_next(0, 0), 5, "no count moves once");
        assert_eq!(d.word_start_next(0, 99), d.last());
        assert_eq!(
            d.word_start_prev(13, 1),
            11,
            "to the start of the current word"
        );
        assert_eq!(d.word_start_prev(11, 2), 5);
        assert_eq!(d.word_start_prev(11, 99), 0);
        // `e`: the end of the current word, then of the next ones.
        assert_eq!(d.word_end_next(0, 1), 4);
        assert_eq!(d.word_end_next(4, 1), 5);
        assert_eq!(d.word_end_next(4, 2), 9);
        assert_eq!(d.word_end_next(7, 1), 9);
        assert_eq!(d.word_end_next(19, 1), d.last());
    }

    #[test]
    fn emoji_flags_and_marks_stay_one_unit() {
        let s = "I ❤\u{fe0f} 🇫🇷 a\u{301}b 👨\u{200d}👩\u{200d}👧!";
        let d = SpanDoc::text(s);
        assert_eq!(
            word_stops(&d),
            vec![
                "I",
                "❤\u{fe0f}",
                "🇫🇷",
                "a\u{301}b",
                "👨\u{200d}👩\u{200d}👧",
                "!"
            ]
        );
        let flag = d.word_next(d.word_next(0));
        // Selecting inside the flag or the family takes all of it.
        assert_eq!(
            shown(&d, d.snap(flag + 1, flag + 2, Granularity::Word)),
            "🇫🇷"
        );
        let fam = s.chars().position(|c| c == '👨').unwrap();
        assert_eq!(
            shown(&d, d.selection_range(fam, fam, Granularity::Symbol)),
            "👨\u{200d}👩\u{200d}👧"
        );
        // One symbol step right over a decomposed é takes both code points.
        let a = s.chars().position(|c| c == 'a').unwrap();
        let span = d.grow_edge((a - 1, a), Edge::Right, Granularity::Symbol, 1);
        assert_eq!(shown(&d, span), " a\u{301}");
        let span = d.grow_edge((a, a + 2), Edge::Right, Granularity::Symbol, 1);
        assert_eq!(shown(&d, span), "a\u{301}b");
    }

    #[test]
    fn span_edges_grow_and_shrink_by_units() {
        let d = SpanDoc::text("one two three. four five.");
        let two = (4, 7);
        let g = Granularity::Word;
        assert_eq!(shown(&d, d.grow_edge(two, Edge::Right, g, 1)), "two three");
        assert_eq!(shown(&d, d.grow_edge(two, Edge::Right, g, 2)), "two three.");
        assert_eq!(shown(&d, d.grow_edge(two, Edge::Left, g, 1)), "one two");
        assert_eq!(
            d.grow_edge(two, Edge::Left, g, 5),
            (0, 7),
            "stops at the start"
        );
        assert_eq!(
            d.grow_edge((0, 25), Edge::Right, g, 1),
            (0, 25),
            "and at the end"
        );
        let wide = (0, 13);
        assert_eq!(
            shown(&d, d.shrink_edge(wide, Edge::Left, g, 1)),
            "two three"
        );
        assert_eq!(shown(&d, d.shrink_edge(wide, Edge::Right, g, 1)), "one two");
        assert_eq!(
            shown(&d, d.shrink_edge(wide, Edge::Right, g, 9)),
            "one",
            "keeps a word"
        );
        assert_eq!(shown(&d, d.shrink_edge(wide, Edge::Left, g, 9)), "three");
        // Symbol: one grapheme, white space included.
        let s = Granularity::Symbol;
        assert_eq!(shown(&d, d.grow_edge(two, Edge::Right, s, 1)), "two ");
        assert_eq!(shown(&d, d.shrink_edge(two, Edge::Left, s, 2)), "o");
        assert_eq!(shown(&d, d.shrink_edge(two, Edge::Left, s, 5)), "o");
        // Sentence.
        let t = Granularity::Sentence;
        assert_eq!(
            shown(&d, d.grow_edge(two, Edge::Right, t, 1)),
            "two three. four five."
        );
        assert_eq!(shown(&d, d.grow_edge(two, Edge::Left, t, 1)), "one two");
    }

    #[test]
    fn paragraph_units_skip_display_only_text() {
        let items = vec![
            json!({"author": "ann", "text": "Hi there. Bye."}),
            json!({"author": "bob", "text": "Yo"}),
        ];
        let d = SpanDoc::paragraphs(&items, "author", "text");
        let (a, b) = d.snap(d.display_of(4), d.display_of(4) + 1, Granularity::Paragraph);
        let v = d.span_value(a, b).unwrap();
        assert_eq!(v["text"], "Hi there. Bye.");
        assert_eq!(v["startOffset"], 0);
        assert_eq!(v["endOffset"], 14);
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

    #[test]
    fn html_labels_are_one_line_with_images_named() {
        assert_eq!(
            html_label("<img width='40' src='https://x.test/icons/thumbs-up.png?s=1'/>"),
            "[image: thumbs-up.png]"
        );
        assert_eq!(
            html_label(r#"<img alt="A &amp; B" src="a.png">"#),
            "[image: A & B]"
        );
        assert_eq!(
            html_label(
                "<div class=\"r\"><h2>Title  here</h2><a href='u'>u.test/x</a> <p>Some\ntext</p></div>"
            ),
            "Title here · u.test/x · Some text"
        );
        assert_eq!(html_label("plain <b>bold</b> &lt;3"), "plain bold <3");
        // An image adds no offsets to HyperText.
        assert_eq!(SpanDoc::html("a<img src='x.png'>b").unit, vec!['a', 'b']);
        // A huge value is read only as far as a row could show.
        let huge = format!("<p>{}</p>", "word ".repeat(1_000_000));
        assert!(html_label(&huge).len() <= HTML_LABEL_SOURCE);
    }

    #[test]
    fn a_list_draws_an_item_per_line_and_counts_offsets_in_the_joined_text() {
        let items = vec!["Alpha one".to_string(), "Beta".to_string(), String::new()];
        let doc = SpanDoc::list(&items);
        assert_eq!(
            doc.unit.iter().collect::<String>(),
            js_string(&json!(items))
        );
        let lines: Vec<String> = doc
            .layout(40)
            .iter()
            .map(|(a, b)| doc.display[*a..*b].iter().collect())
            .collect();
        assert_eq!(lines, vec!["Alpha one,", "Beta,", ""]);
        // "Beta" is at code points 10..14 of "Alpha one,Beta,".
        let b = doc.display.iter().position(|c| *c == 'B').unwrap();
        assert_eq!(doc.map[b], Some(10));
    }

    #[test]
    fn js_string_is_what_label_studio_shows_for_a_list() {
        assert_eq!(js_string(&json!(["a b", "c"])), "a b,c");
        assert_eq!(
            js_string(&json!([1, 2.0, 2.5, null, true, ["x", ["y"]], {"k": 1}])),
            "1,2,2.5,,true,x,y,[object Object]"
        );
        assert_eq!(js_string(&json!("plain")), "plain");
        assert_eq!(js_string(&json!(3.0)), "3");
    }
}
