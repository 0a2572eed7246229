//! An owned XML tree with source positions, built once from the label config with quick-xml.
//! The typed model and the TUI layout both read this tree; nobody re-parses the XML.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub tag: String,
    /// Attributes in document order, values unescaped. Names keep their case.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Element(Element),
    Text(String),
    Comment(String),
}

impl Element {
    pub fn new(tag: &str) -> Self {
        Element {
            tag: tag.to_string(),
            attrs: Vec::new(),
            children: Vec::new(),
            pos: Pos::default(),
        }
    }

    /// Attribute by exact (case-sensitive) name, as Label Studio's backend reads it.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Attribute by case-insensitive name, as Label Studio's frontend reads it
    /// (`showInLine` and `showInline` are the same attribute there).
    pub fn attr_ci(&self, name: &str) -> Option<&str> {
        self.attr(name).or_else(|| {
            self.attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        })
    }

    /// A boolean attribute the way Label Studio's frontend reads them: "true"/"yes"/"1".
    pub fn flag(&self, name: &str) -> bool {
        matches!(
            self.attr_ci(name).map(|v| v.trim().to_ascii_lowercase()),
            Some(v) if v == "true" || v == "yes" || v == "1"
        )
    }

    pub fn set_attr(&mut self, name: &str, value: String) {
        if let Some(slot) = self.attrs.iter_mut().find(|(k, _)| k == name) {
            slot.1 = value;
        } else {
            self.attrs.push((name.to_string(), value));
        }
    }

    /// Direct child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// Concatenated text of the direct text children.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for n in &self.children {
            if let Node::Text(t) = n {
                s.push_str(t);
            }
        }
        s
    }

    /// This element and every element below it, in document order. Iterative.
    pub fn subtree(&self) -> Vec<&Element> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(el) = stack.pop() {
            out.push(el);
            let at = stack.len();
            stack.extend(el.elements());
            stack[at..].reverse();
        }
        out
    }

    /// Calls `f` on this element and every element below it in document order, with its
    /// ancestors (outermost first). One ancestor stack is shared, so the walk costs the
    /// number of elements, however deep they sit.
    pub fn visit<'a>(&'a self, mut f: impl FnMut(&'a Element, &[&'a Element])) {
        let mut ancestors: Vec<&Element> = Vec::new();
        let mut stack = vec![(self, 0usize)];
        while let Some((el, depth)) = stack.pop() {
            ancestors.truncate(depth);
            f(el, &ancestors);
            ancestors.push(el);
            let at = stack.len();
            stack.extend(el.elements().map(|c| (c, depth + 1)));
            stack[at..].reverse();
        }
    }

    /// Every element below this one (not this one) in document order, with its
    /// ancestors (outermost first, this element included). Iterative, so deep trees are safe.
    pub fn descendants(&self) -> Vec<(&Element, Vec<&Element>)> {
        let mut out = Vec::new();
        let mut stack: Vec<(&Element, Vec<&Element>)> = Vec::new();
        for child in self.elements().collect::<Vec<_>>().into_iter().rev() {
            stack.push((child, vec![self]));
        }
        while let Some((el, ancestors)) = stack.pop() {
            let mut next = ancestors.clone();
            next.push(el);
            for child in el.elements().collect::<Vec<_>>().into_iter().rev() {
                stack.push((child, next.clone()));
            }
            out.push((el, ancestors));
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    pub message: String,
    pub pos: Pos,
}

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.message, self.pos)
    }
}

/// The parsed document: its single root element and every comment, in order.
#[derive(Debug, Clone)]
pub struct Document {
    pub root: Element,
    pub comments: Vec<String>,
}

/// Deeper nesting than this is refused: no real config comes close, and it keeps
/// every later walk over the tree cheap.
pub const MAX_DEPTH: usize = 200;

/// Line starts, and the last position computed: positions are asked for in increasing
/// order, so counting columns from there (not from the line start) keeps a config written
/// on one line linear.
struct LineIndex {
    starts: Vec<usize>,
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl LineIndex {
    fn new(src: &str) -> Self {
        let mut starts = vec![0];
        for (i, b) in src.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        LineIndex {
            starts,
            last: std::cell::Cell::new((0, 0, 0)),
        }
    }

    fn pos(&self, src: &str, offset: usize) -> Pos {
        let offset = offset.min(src.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let (last_line, last_offset, last_column) = self.last.get();
        let (from, base) = if last_line == line && last_offset <= offset {
            (last_offset, last_column)
        } else {
            (self.starts[line], 0)
        };
        let column = base
            + src
                .get(from..offset)
                .map(|s| s.chars().count())
                .unwrap_or(offset - from);
        self.last.set((line, offset, column));
        Pos {
            line: line + 1,
            column: column + 1,
        }
    }
}

fn element_from(e: &BytesStart, pos: Pos) -> Result<Element, String> {
    let tag = e.name().as_ref().to_string();
    let mut attrs = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| format!("bad attribute in <{tag}>: {err}"))?;
        let key = attr.key.as_ref().to_string();
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| format!("bad value of attribute {key} in <{tag}>: {err}"))?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        tag,
        attrs,
        children: Vec::new(),
        pos,
    })
}

fn resolve_entity(name: &str) -> Option<String> {
    Some(
        match name {
            "amp" => "&",
            "lt" => "<",
            "gt" => ">",
            "quot" => "\"",
            "apos" => "'",
            _ => {
                let code = if let Some(hex) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
                    u32::from_str_radix(hex, 16).ok()?
                } else if let Some(dec) = name.strip_prefix('#') {
                    dec.parse().ok()?
                } else {
                    return None;
                };
                return char::from_u32(code).map(|c| c.to_string());
            }
        }
        .to_string(),
    )
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(top) = stack.last_mut() {
        if let Some(Node::Text(t)) = top.children.last_mut() {
            t.push_str(text);
        } else {
            top.children.push(Node::Text(text.to_string()));
        }
    }
}

/// Parses a label config into a tree. Like Label Studio (defusedxml), a DTD is refused,
/// and the input must be exactly one well-formed element.
pub fn parse(src: &str) -> Result<Document, XmlError> {
    let index = LineIndex::new(src);
    let err = |message: String, offset: usize| XmlError {
        message,
        pos: index.pos(src, offset),
    };
    let mut reader = Reader::from_str(src);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut comments = Vec::new();

    loop {
        let start = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                return Err(err(
                    format!("not well-formed XML ({e})"),
                    reader.error_position() as usize,
                ));
            }
        };
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() && stack.is_empty() => {
                let _ = e;
                return Err(err("junk after document element".into(), start));
            }
            Event::Start(e) => {
                let el = element_from(&e, index.pos(src, start)).map_err(|m| err(m, start))?;
                stack.push(el);
                if stack.len() > MAX_DEPTH {
                    return Err(err(
                        format!("elements nested deeper than {MAX_DEPTH} levels"),
                        start,
                    ));
                }
            }
            Event::Empty(e) => {
                let el = element_from(&e, index.pos(src, start)).map_err(|m| err(m, start))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().expect("quick-xml checks end names");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let text = t.xml10_content();
                if stack.is_empty() {
                    if !text.trim().is_empty() {
                        let what = if root.is_some() {
                            "junk after document element"
                        } else {
                            "syntax error: text outside of any element"
                        };
                        return Err(err(what.into(), start));
                    }
                } else {
                    push_text(&mut stack, &text);
                }
            }
            Event::CData(t) => {
                let text = t.as_ref().to_string();
                if stack.is_empty() {
                    return Err(err(
                        "syntax error: CDATA outside of any element".into(),
                        start,
                    ));
                }
                push_text(&mut stack, &text);
            }
            Event::GeneralRef(r) => {
                let name = r.as_ref().to_string();
                let Some(text) = resolve_entity(&name) else {
                    return Err(err(format!("undefined entity &{name};"), start));
                };
                if stack.is_empty() {
                    return Err(err("junk after document element".into(), start));
                }
                push_text(&mut stack, &text);
            }
            Event::Comment(c) => {
                let text = c.as_ref().to_string();
                comments.push(text.clone());
                if let Some(top) = stack.last_mut() {
                    top.children.push(Node::Comment(text));
                }
            }
            Event::DocType(_) => {
                return Err(err(
                    "DTD is forbidden in label configs (as in Label Studio)".into(),
                    start,
                ));
            }
            Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError {
            message: format!("unclosed tag <{}> (opened at {})", open.tag, open.pos),
            pos: index.pos(src, src.len()),
        });
    }
    match root {
        Some(root) => Ok(Document { root, comments }),
        None => Err(err("no element found".into(), src.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tree_with_positions_and_entities() {
        let doc = parse("<View>\n  <Header value=\"a &amp; b\">x &lt; y</Header>\n  <Text name=\"t\" value=\"$text\"/>\n</View>").unwrap();
        assert_eq!(doc.root.tag, "View");
        let kids: Vec<_> = doc.root.elements().collect();
        assert_eq!(kids.len(), 2);
        assert_eq!(kids[0].attr("value"), Some("a & b"));
        assert_eq!(kids[0].text(), "x < y");
        assert_eq!(kids[1].pos, Pos { line: 3, column: 3 });
    }

    #[test]
    fn rejects_two_roots_with_position() {
        let e = parse("<View/>\n<View/>").unwrap_err();
        assert!(e.message.contains("junk after document element"), "{e}");
        assert_eq!(e.pos.line, 2);
    }

    #[test]
    fn rejects_mismatched_and_unclosed_tags() {
        assert!(parse("<View><Text></View>").is_err());
        let e = parse("<View>\n<Text name='a' value='$a'/>").unwrap_err();
        assert!(e.message.contains("unclosed tag <View>"), "{e}");
        assert!(parse("").unwrap_err().message.contains("no element found"));
        assert!(parse("plain text").is_err());
    }

    #[test]
    fn rejects_dtd_and_deep_nesting() {
        assert!(
            parse("<!DOCTYPE x [<!ENTITY a 'b'>]><View/>")
                .unwrap_err()
                .message
                .contains("DTD")
        );
        let deep = "<View>".repeat(1000) + &"</View>".repeat(1000);
        assert!(parse(&deep).unwrap_err().message.contains("nested deeper"));
    }

    #[test]
    fn descendants_are_in_document_order_with_ancestors() {
        let doc = parse(
            "<View><View><Choices name='c'><Choice value='a'/></Choices></View><Text/></View>",
        )
        .unwrap();
        let d: Vec<_> = doc
            .root
            .descendants()
            .into_iter()
            .map(|(e, a)| (e.tag.clone(), a.len()))
            .collect();
        assert_eq!(
            d,
            vec![
                ("View".into(), 1),
                ("Choices".into(), 2),
                ("Choice".into(), 3),
                ("Text".into(), 1)
            ]
        );
    }
}
