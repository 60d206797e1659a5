//! A small pull cursor over quick-xml events, tailored to importing Waveset XML:
//!
//! - streams (no DOM): the importer consumes elements as they come;
//! - merges text, CDATA and references into one text item;
//! - resolves only the five predefined entities and character references: any other
//!   entity is an error naming it (DTD entity declarations are never read, so no
//!   external entity is ever resolved and no entity expansion can blow up);
//! - caps element depth;
//! - gives every item a byte offset, turned into line/column for messages;
//! - recognises typographic quotes where XML expects `'` or `"` and says so.

use std::borrow::Cow;
use std::collections::HashSet;

use quick_xml::Reader;
use quick_xml::escape::EscapeError;
use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesRef, BytesStart, Event};

use super::{ImportError, MAX_DEPTH};

/// One start tag with its decoded attributes (document order).
#[derive(Debug, Clone)]
pub(crate) struct Tag {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// Byte offset of the `<`.
    pub offset: usize,
}

impl Tag {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
pub(crate) enum Item<'a> {
    Start(Tag),
    /// End of the element most recently started (also synthesised after `<x/>`).
    End,
    /// Character data (text, CDATA, references) between two tags, never empty.
    /// Borrowed from the input unless references or CDATA had to be merged in.
    Text(Cow<'a, str>, usize),
    Eof,
}

pub(crate) struct Cursor<'a> {
    src: &'a str,
    reader: Reader<&'a [u8]>,
    /// A raw event read ahead while merging text, with its offset.
    pending: Option<(Event<'a>, usize)>,
    /// `<x/>` produces Start then this synthetic End.
    synthetic_end: bool,
    /// Names and offsets of the open elements.
    /// Offsets of the open elements' `<` (names are read back from the source on error).
    open: Vec<usize>,
    /// XML comments and processing instructions met (not imported), first offset.
    pub dropped_markup: usize,
    pub first_dropped_markup: Option<usize>,
}

impl<'a> Cursor<'a> {
    pub fn new(src: &'a str) -> Cursor<'a> {
        let mut reader = Reader::from_str(src);
        let config = reader.config_mut();
        // Whitespace is significant inside <s>; the importer trims where it should.
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.check_comments = true;
        Cursor {
            src,
            reader,
            pending: None,
            synthetic_end: false,
            open: Vec::new(),
            dropped_markup: 0,
            first_dropped_markup: None,
        }
    }

    pub fn error(&self, offset: usize, message: impl Into<String>) -> ImportError {
        ImportError::at(self.src, offset, message)
    }

    /// Byte offset just past the last item returned (the end of an element right
    /// after its `End`). Only meaningful when no text look-ahead is pending, which
    /// holds after an `End`.
    pub fn position(&self) -> usize {
        match &self.pending {
            Some((_, offset)) => *offset,
            None => self.reader.buffer_position() as usize,
        }
    }

    /// The source between two offsets.
    pub fn slice(&self, start: usize, end: usize) -> &'a str {
        self.src.get(start..end).unwrap_or("")
    }

    /// The name and offset of the innermost open element.
    pub fn innermost(&self) -> Option<(&'a str, usize)> {
        self.open.last().map(|&o| (element_name_at(self.src, o), o))
    }

    fn raw_event(&mut self) -> Result<(Event<'a>, usize), ImportError> {
        if let Some(p) = self.pending.take() {
            return Ok(p);
        }
        let offset = self.reader.buffer_position() as usize;
        match self.reader.read_event() {
            Ok(ev) => Ok((ev, offset)),
            Err(e) => Err(self.xml_error(e, offset)),
        }
    }

    fn xml_error(&self, e: quick_xml::Error, offset: usize) -> ImportError {
        use quick_xml::errors::{IllFormedError, SyntaxError};
        let pos = (self.reader.error_position() as usize).max(offset);
        let message = match &e {
            quick_xml::Error::Syntax(SyntaxError::UnclosedTag) => {
                "tag not closed: '>' not found before the end of the file".to_string()
            }
            quick_xml::Error::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
                let opened = self
                    .open
                    .last()
                    .map(|o| {
                        let (l, c) = line_column(self.src, *o);
                        format!(" (opened at {l}:{c})")
                    })
                    .unwrap_or_default();
                format!("end tag </{found}> does not match the open element <{expected}>{opened}")
            }
            quick_xml::Error::IllFormed(IllFormedError::UnmatchedEndTag(name)) => {
                format!("end tag </{name}> has no matching start tag")
            }
            other => format!("malformed XML: {other}"),
        };
        let mut err = self.error(pos, message);
        if let Some(hint) = typographic_hint(self.src, pos) {
            err.message.push_str(hint);
        }
        err
    }

    /// The next item. Comments, processing instructions, the XML declaration and a
    /// DOCTYPE are consumed here (comments and PIs counted, so the importer can warn).
    pub fn next(&mut self) -> Result<Item<'a>, ImportError> {
        if self.synthetic_end {
            self.synthetic_end = false;
            self.open.pop();
            return Ok(Item::End);
        }
        loop {
            let (ev, offset) = self.raw_event()?;
            match ev {
                Event::Start(e) => {
                    let tag = self.tag(&e, offset)?;
                    self.push(&tag)?;
                    return Ok(Item::Start(tag));
                }
                Event::Empty(e) => {
                    let tag = self.tag(&e, offset)?;
                    self.push(&tag)?;
                    self.synthetic_end = true;
                    return Ok(Item::Start(tag));
                }
                Event::End(_) => {
                    self.open.pop();
                    return Ok(Item::End);
                }
                Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => {
                    // The common case is one plain text event: borrow it.
                    let mut text: Cow<'a, str> = match ev {
                        Event::Text(t) => normalize_newlines(
                            t.decode()
                                .map_err(|e| self.error(offset, format!("bad text: {e}")))?,
                        ),
                        other => {
                            let mut s = String::new();
                            self.append_text(&mut s, other, offset)?;
                            Cow::Owned(s)
                        }
                    };
                    loop {
                        let (ev, o) = self.raw_event()?;
                        match ev {
                            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => {
                                self.append_text(text.to_mut(), ev, o)?
                            }
                            other => {
                                self.pending = Some((other, o));
                                break;
                            }
                        }
                    }
                    if !text.is_empty() {
                        return Ok(Item::Text(text, offset));
                    }
                }
                Event::Comment(_) | Event::PI(_) => {
                    self.dropped_markup += 1;
                    self.first_dropped_markup.get_or_insert(offset);
                }
                Event::Decl(d) => {
                    let raw = String::from_utf8_lossy(&d);
                    if has_typographic_quote(&raw) {
                        return Err(self.error(
                            offset,
                            "XML declaration uses a typographic quote — replace with ' or \"",
                        ));
                    }
                    if let Some(Ok(enc)) = d.encoding() {
                        let enc = String::from_utf8_lossy(&enc).to_ascii_uppercase();
                        if enc != "UTF-8" && enc != "UTF8" && enc != "US-ASCII" && enc != "ASCII" {
                            return Err(self.error(
                                offset,
                                format!(
                                    "declared encoding '{enc}' is not supported: convert the file to UTF-8 and declare encoding='UTF-8'"
                                ),
                            ));
                        }
                    }
                }
                Event::DocType(d) => {
                    // Accepted and ignored: entity declarations inside it are never read.
                    let raw = String::from_utf8_lossy(&d);
                    if has_typographic_quote(&raw) {
                        return Err(self.error(
                            offset,
                            "DOCTYPE uses a typographic quote — replace with ' or \"",
                        ));
                    }
                }
                Event::Eof => return Ok(Item::Eof),
            }
        }
    }

    fn push(&mut self, tag: &Tag) -> Result<(), ImportError> {
        if self.open.len() >= MAX_DEPTH {
            return Err(self.error(
                tag.offset,
                format!("elements nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.open.push(tag.offset);
        Ok(())
    }

    fn append_text(
        &self,
        out: &mut String,
        ev: Event<'a>,
        offset: usize,
    ) -> Result<(), ImportError> {
        match ev {
            Event::Text(t) => {
                let s = t
                    .decode()
                    .map_err(|e| self.error(offset, format!("bad text: {e}")))?;
                out.push_str(&normalize_newlines(s));
            }
            Event::CData(c) => {
                let s = c
                    .decode()
                    .map_err(|e| self.error(offset, format!("bad CDATA: {e}")))?;
                out.push_str(&s);
            }
            Event::GeneralRef(r) => out.push(self.resolve_ref(&r, offset)?),
            _ => {}
        }
        Ok(())
    }

    fn resolve_ref(&self, r: &BytesRef<'a>, offset: usize) -> Result<char, ImportError> {
        if r.is_char_ref() {
            return match r.resolve_char_ref() {
                Ok(Some(c)) => Ok(c),
                _ => Err(self.error(
                    offset,
                    format!(
                        "invalid character reference &{};",
                        String::from_utf8_lossy(r)
                    ),
                )),
            };
        }
        let name = String::from_utf8_lossy(r);
        predefined_entity(&name).ok_or_else(|| self.error(offset, undefined_entity_message(&name)))
    }

    fn tag(&self, e: &BytesStart<'a>, offset: usize) -> Result<Tag, ImportError> {
        let name = std::str::from_utf8(e.name().as_ref())
            .map_err(|_| self.error(offset, "element name is not UTF-8"))?
            .to_string();
        let mut attrs = Vec::new();
        // quick-xml's own duplicate check compares each attribute with every
        // earlier one (quadratic in their number); a hash set keeps it linear.
        let mut seen: HashSet<&[u8]> = HashSet::new();
        let tag_start = e.as_ptr() as usize;
        for a in e.attributes().with_checks(false) {
            let a = match a {
                Ok(a) => a,
                Err(err) => return Err(self.attr_error(&name, err, offset)),
            };
            let key_bytes: &[u8] = a.key.0;
            if !seen.insert(key_bytes) {
                // The key is borrowed from the tag, so its position is known.
                let rel = (key_bytes.as_ptr() as usize).saturating_sub(tag_start);
                return Err(self.attr_error(&name, AttrError::Duplicated(rel, 0), offset));
            }
            let key = std::str::from_utf8(key_bytes)
                .map_err(|_| self.error(offset, "attribute name is not UTF-8"))?
                .to_string();
            let raw = std::str::from_utf8(&a.value)
                .map_err(|_| self.error(offset, "attribute value is not UTF-8"))?;
            let raw = normalize_newlines(Cow::Borrowed(raw));
            let value = unescape_attr(&raw)
                .map_err(|m| self.error(offset, format!("attribute {key} of <{name}>: {m}")))?;
            attrs.push((key, value.into_owned()));
        }
        Ok(Tag {
            name,
            attrs,
            offset,
        })
    }

    fn attr_error(&self, tag: &str, err: AttrError, offset: usize) -> ImportError {
        // Attribute error positions are relative to the tag content, after '<'.
        let rel = match err {
            AttrError::ExpectedEq(p)
            | AttrError::ExpectedValue(p)
            | AttrError::UnquotedValue(p)
            | AttrError::ExpectedQuote(p, _)
            | AttrError::Duplicated(p, _) => p,
        };
        let pos = offset + 1 + rel;
        let what = match err {
            AttrError::ExpectedEq(_) => "attribute name not followed by '='".to_string(),
            AttrError::ExpectedValue(_) => "attribute has no value".to_string(),
            AttrError::UnquotedValue(_) => "attribute value is not quoted".to_string(),
            AttrError::ExpectedQuote(_, q) => {
                format!("attribute value not closed with {}", q as char)
            }
            AttrError::Duplicated(_, _) => "duplicate attribute".to_string(),
        };
        let mut message = format!("bad attribute in <{tag}>: {what}");
        let tag_end = self.src[offset.min(self.src.len())..]
            .find('>')
            .map_or(self.src.len(), |i| offset + i);
        if let Some(hint) = typographic_hint_in(self.src, offset, tag_end) {
            message.push_str(hint);
        }
        self.error(pos, message)
    }
}

const TYPOGRAPHIC_HINT: &str = " (typographic quote — replace with ' or \")";

fn has_typographic_quote(s: &str) -> bool {
    s.contains(['“', '”', '‘', '’', '„', '«', '»'])
}

/// A hint when a typographic quote sits where XML expects a quote: right after `=`
/// (with optional spaces) on the same line as `pos`.
fn typographic_hint(src: &str, pos: usize) -> Option<&'static str> {
    let pos = pos.min(src.len());
    let line_start = src[..floor_char(src, pos)].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src[floor_char(src, pos)..]
        .find('\n')
        .map_or(src.len(), |i| pos + i);
    typographic_hint_in(src, line_start, line_end)
}

fn typographic_hint_in(src: &str, start: usize, end: usize) -> Option<&'static str> {
    let start = floor_char(src, start.min(src.len()));
    let end = floor_char(src, end.min(src.len()));
    let segment = &src[start..end];
    let mut after_eq = false;
    for c in segment.chars() {
        if c == '=' {
            after_eq = true;
        } else if after_eq && c.is_whitespace() {
        } else if after_eq && matches!(c, '“' | '”' | '‘' | '’' | '„' | '«' | '»') {
            return Some(TYPOGRAPHIC_HINT);
        } else {
            after_eq = false;
        }
    }
    None
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

fn undefined_entity_message(name: &str) -> String {
    format!(
        "entity &{name}; is not supported: bpe never expands DTD entities; only &lt; &gt; &amp; &apos; &quot; and character references (&#NN;) are allowed"
    )
}

fn unescape_attr(raw: &str) -> Result<Cow<'_, str>, String> {
    quick_xml::escape::unescape_with(raw, quick_xml::escape::resolve_predefined_entity).map_err(
        |e| match e {
            EscapeError::UnrecognizedEntity(_, name) => undefined_entity_message(&name),
            EscapeError::UnterminatedEntity(_) => {
                "'&' not followed by an entity name and ';' (write &amp;)".to_string()
            }
            other => format!("{other}"),
        },
    )
}

/// Line and column of byte offsets asked for in (mostly) increasing order, in
/// time linear in the input overall: each query scans on from the previous one
/// (a query before it starts again from the top). [`line_column`] scans from
/// the top every time, which is quadratic over many warnings.
pub(crate) struct LineCursor {
    offset: usize,
    line: usize,
    column: usize,
}

impl LineCursor {
    pub fn new() -> LineCursor {
        LineCursor {
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    /// Same as [`line_column`]`(src, offset)`.
    pub fn locate(&mut self, src: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char(src, offset.min(src.len()));
        if offset < self.offset {
            *self = LineCursor::new();
        }
        for ch in src[self.offset..offset].chars() {
            if ch == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.offset = offset;
        (self.line, self.column)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(src: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char(src, offset.min(src.len()));
    let before = &src[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The element name of the start tag at `offset` (which points at its `<`).
fn element_name_at(src: &str, offset: usize) -> &str {
    let start = (offset + 1).min(src.len());
    let rest = src.get(start..).unwrap_or("");
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(rest.len());
    &rest[..end]
}

/// XML end-of-line handling: literal CR LF and lone CR read as LF (a CR written as
/// `&#13;` arrives as a reference and is kept).
fn normalize_newlines(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.contains('\r') {
        Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        s
    }
}

/// True when `s` is exactly one well-formed element named one of `names` (with
/// only whitespace around it): what export may write verbatim inside a document.
pub(crate) fn is_single_element(s: &str, names: &[&str]) -> bool {
    let t = s.trim();
    if !names.iter().any(|n| {
        t.strip_prefix('<')
            .and_then(|r| r.strip_prefix(n))
            .is_some_and(|r| r.starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/'))
    }) {
        return false;
    }
    let mut cur = Cursor::new(t);
    let mut depth = 0usize;
    let mut seen = false;
    loop {
        match cur.next() {
            Ok(Item::Start(_)) if depth == 0 && seen => return false,
            Ok(Item::Start(_)) => {
                depth += 1;
                seen = true;
            }
            Ok(Item::End) => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            Ok(Item::Text(text, _)) => {
                if depth == 0 && !text.trim().is_empty() {
                    return false;
                }
            }
            Ok(Item::Eof) => return seen && depth == 0,
            Err(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_cursor_agrees_with_line_column_in_any_order() {
        let src = "ab\ncé\n\nlong line ü\nend";
        let mut cur = LineCursor::new();
        let mut offsets: Vec<usize> = (0..=src.len() + 3).collect();
        offsets.extend((0..src.len()).rev().step_by(3));
        for o in offsets {
            assert_eq!(cur.locate(src, o), line_column(src, o), "offset {o}");
        }
    }

    #[test]
    fn duplicate_attributes_are_found_among_many_with_their_position() {
        let attrs: String = (0..300).map(|i| format!(" a{i}='v'")).collect();
        let doc = format!("<Rule{attrs} a150='w'/>");
        let mut cur = Cursor::new(&doc);
        let err = cur.next().unwrap_err();
        assert!(err.message.contains("duplicate attribute"), "{err}");
        let col = doc.rfind("a150=").unwrap() + 1;
        assert_eq!((err.line, err.column), (1, col), "{err}");
        let fine = format!("<Rule{attrs}/>");
        let Item::Start(tag) = Cursor::new(&fine).next().unwrap() else {
            panic!("not a start tag")
        };
        assert_eq!(tag.attrs.len(), 300);
        assert_eq!(tag.attr("a299"), Some("v"));
    }
}
