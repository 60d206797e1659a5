//! Positions of JSON values in a file's text, so findings point at real
//! lines and columns.
//!
//! A small tolerant tokenizer walks the text once and records, for every value,
//! its JSON pointer (`/process/activities/3/transitions/0/to`) and byte offset.
//! It stops quietly at the first syntax error: whatever was indexed before it
//! stays usable. Offsets inside a JSON string's decoded content (for instance
//! the offset of a syntax error inside an expression) are mapped back to the
//! raw text by re-reading the string's escapes.

use std::collections::HashMap;

/// Deepest nesting indexed; deeper values are skipped (serde_json refuses them anyway).
const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, Default)]
pub struct SourceIndex<'a> {
    text: &'a str,
    /// JSON pointer -> byte offset of the value's first character.
    values: HashMap<String, usize>,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl<'a> SourceIndex<'a> {
    pub fn build(text: &'a str) -> SourceIndex<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut index = SourceIndex {
            text,
            values: HashMap::new(),
            line_starts,
        };
        let mut walker = Walker {
            bytes: text.as_bytes(),
            pos: 0,
            values: &mut index.values,
        };
        let mut path = String::new();
        walker.skip_ws();
        // An error only ends the walk; what was indexed stays.
        let _ = walker.value(&mut path, 0);
        index
    }

    /// Byte offset of the value at `pointer`.
    pub fn offset(&self, pointer: &str) -> Option<usize> {
        self.values.get(pointer).copied()
    }

    /// Byte offset of the value at `pointer`, or of its nearest indexed ancestor.
    pub fn offset_or_ancestor(&self, pointer: &str) -> Option<usize> {
        let mut p = pointer;
        loop {
            if let Some(o) = self.offset(p) {
                return Some(o);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    /// Byte offset in the raw text of byte `decoded` of the string value at
    /// `pointer`'s decoded content, accounting for escapes.
    pub fn string_offset(&self, pointer: &str, decoded: usize) -> Option<usize> {
        let start = self.offset(pointer)?;
        raw_offset_in_string(self.text, start, decoded)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        (line + 1, self.text[start..end].chars().count() + 1)
    }
}

/// Map a byte offset within the decoded content of the JSON string starting
/// (at its opening quote) at `start` to a byte offset in `text`.
pub fn raw_offset_in_string(text: &str, start: usize, decoded: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(start) != Some(&b'"') {
        return None;
    }
    let mut raw = start + 1;
    let mut dec = 0usize;
    while raw < bytes.len() {
        if dec >= decoded {
            return Some(raw);
        }
        match bytes[raw] {
            b'"' => return Some(raw),
            b'\\' => {
                let (raw_len, dec_len) = escape_lengths(bytes, raw);
                raw += raw_len;
                dec += dec_len;
            }
            _ => {
                let ch = text[raw..].chars().next()?;
                raw += ch.len_utf8();
                dec += ch.len_utf8();
            }
        }
    }
    Some(raw.min(bytes.len()))
}

/// Raw and decoded byte lengths of the escape starting at `at` (a backslash).
fn escape_lengths(bytes: &[u8], at: usize) -> (usize, usize) {
    match bytes.get(at + 1) {
        Some(b'u') => {
            let hex = |from: usize| -> Option<u32> {
                let s = std::str::from_utf8(bytes.get(from..from + 4)?).ok()?;
                u32::from_str_radix(s, 16).ok()
            };
            match hex(at + 2) {
                Some(hi @ 0xD800..=0xDBFF)
                    if bytes.get(at + 6) == Some(&b'\\') && bytes.get(at + 7) == Some(&b'u') =>
                {
                    match hex(at + 8) {
                        Some(0xDC00..=0xDFFF) => (12, 4),
                        _ => (6, char_len(hi)),
                    }
                }
                Some(c) => (6, char_len(c)),
                None => (2, 1),
            }
        }
        Some(_) => (2, 1),
        None => (1, 0),
    }
}

/// UTF-8 length of a code point; lone surrogates decode to U+FFFD (3 bytes).
fn char_len(c: u32) -> usize {
    char::from_u32(c).map_or(3, char::len_utf8)
}

struct Walker<'b, 'm> {
    bytes: &'b [u8],
    pos: usize,
    values: &'m mut HashMap<String, usize>,
}

struct Stop;

impl Walker<'_, '_> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn value(&mut self, path: &mut String, depth: usize) -> Result<(), Stop> {
        if depth > MAX_DEPTH || self.pos >= self.bytes.len() {
            return Err(Stop);
        }
        self.values.insert(path.clone(), self.pos);
        match self.bytes.get(self.pos) {
            Some(b'{') => {
                self.pos += 1;
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip_ws();
                    let key = self.string()?;
                    self.skip_ws();
                    if self.bytes.get(self.pos) != Some(&b':') {
                        return Err(Stop);
                    }
                    self.pos += 1;
                    self.skip_ws();
                    let len = path.len();
                    path.push('/');
                    path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    self.value(path, depth + 1)?;
                    path.truncate(len);
                    self.skip_ws();
                    match self.bytes.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(Stop),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(());
                }
                let mut i = 0usize;
                loop {
                    self.skip_ws();
                    let len = path.len();
                    path.push('/');
                    path.push_str(&i.to_string());
                    self.value(path, depth + 1)?;
                    path.truncate(len);
                    i += 1;
                    self.skip_ws();
                    match self.bytes.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(Stop),
                    }
                }
            }
            Some(b'"') => self.string().map(|_| ()),
            Some(_) => {
                // Number, true, false, null: scan to a delimiter.
                let start = self.pos;
                while let Some(b) = self.bytes.get(self.pos) {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.pos += 1;
                }
                if self.pos == start { Err(Stop) } else { Ok(()) }
            }
            None => Err(Stop),
        }
    }

    /// A string token; returns its content (escapes of keys decoded simply).
    fn string(&mut self) -> Result<String, Stop> {
        if self.bytes.get(self.pos) != Some(&b'"') {
            return Err(Stop);
        }
        self.pos += 1;
        let start = self.pos;
        let mut plain = true;
        loop {
            match self.bytes.get(self.pos) {
                Some(b'"') => break,
                Some(b'\\') => {
                    plain = false;
                    self.pos += 2;
                }
                Some(_) => self.pos += 1,
                None => return Err(Stop),
            }
        }
        let raw = &self.bytes[start..self.pos.min(self.bytes.len())];
        self.pos += 1;
        let text = String::from_utf8_lossy(raw);
        if plain {
            Ok(text.into_owned())
        } else {
            // Keys with escapes are rare; decode through serde_json.
            Ok(serde_json::from_str::<String>(&format!("\"{text}\"")).unwrap_or_default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_and_positions() {
        let text = "{\n  \"a\": [1, {\"b\": \"x\"}],\n  \"c\": null\n}";
        let ix = SourceIndex::build(text);
        assert_eq!(ix.line_col(ix.offset("/a/1/b").unwrap()), (2, 18));
        assert_eq!(ix.line_col(ix.offset("/c").unwrap()), (3, 8));
        assert_eq!(ix.line_col(ix.offset("").unwrap()), (1, 1));
        assert_eq!(ix.offset_or_ancestor("/a/1/zz"), ix.offset("/a/1"));
        assert!(ix.offset("/a/2").is_none());
    }

    #[test]
    fn truncated_text_keeps_what_was_indexed() {
        let ix = SourceIndex::build("{\"a\": 1, \"b\": [\"x\", ");
        assert!(ix.offset("/a").is_some());
        assert!(ix.offset("/b/0").is_some());
        assert!(ix.offset("/b/1").is_none());
    }

    #[test]
    fn offsets_inside_strings_account_for_escapes() {
        // Decoded: (eq "a" é $x)  — the raw text escapes the quotes and é.
        let text = r#"{"e": "(eq \"a\" \u00e9 $x)"}"#;
        let ix = SourceIndex::build(text);
        let decoded = "(eq \"a\" é $x)";
        let at = decoded.find('$').unwrap();
        let raw = ix.string_offset("/e", at).unwrap();
        assert_eq!(&text[raw..raw + 2], "$x");
        let ix2 = SourceIndex::build(r#"{"e": "\ud83d\ude00 $y"}"#);
        let raw = ix2.string_offset("/e", "😀 ".len()).unwrap();
        assert_eq!(&r#"{"e": "\ud83d\ude00 $y"}"#[raw..raw + 2], "$y");
    }

    #[test]
    fn columns_count_characters() {
        let text = "{\"é\": \"x\"}";
        let ix = SourceIndex::build(text);
        assert_eq!(ix.line_col(ix.offset("/é").unwrap()), (1, 7));
    }
}
