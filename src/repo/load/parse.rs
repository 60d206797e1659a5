//! Parsing one repository file: every failure becomes a [`LoadError`] (or a
//! `(line, column, message)`) with a position, and messages are bounded
//! ([`bound_message`]) so a huge value in a file never becomes a huge message.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::LoadError;
use crate::model::FORMAT_VERSION;
use crate::repo::save::Versioned;

/// Read and parse one file, mapping every failure to a positioned [`LoadError`].
/// The file is read inside the repository boundary ([`crate::repo::confine::read`]):
/// a link that resolves outside, a FIFO or a directory is an error.
pub fn parse_file<T: DeserializeOwned + Versioned>(
    root: &Path,
    rel: &Path,
) -> Result<T, LoadError> {
    let bytes = crate::repo::confine::read(root, rel).map_err(|e| LoadError {
        path: rel.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read: {e}"),
    })?;
    parse_bytes(&bytes).map_err(|(line, column, message)| LoadError {
        path: rel.to_path_buf(),
        line,
        column,
        message,
    })
}

/// Parse JSON text holding a versioned object: (line, column, message) on failure.
pub fn parse_text<T: DeserializeOwned + Versioned>(
    text: &str,
) -> Result<T, (usize, usize, String)> {
    parse_bytes(text.as_bytes())
}

/// Parse the bytes of a file holding a versioned object, in one pass when it is
/// well-formed; only on failure is it looked at again, to tell an unknown or
/// missing `formatVersion` apart from an ordinary type error.
pub fn parse_bytes<T: DeserializeOwned + Versioned>(
    bytes: &[u8],
) -> Result<T, (usize, usize, String)> {
    // A UTF-8 byte order mark (as some Windows editors write) is accepted and
    // skipped; positions on the first line count from after it.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // serde_json does not validate UTF-8 inside ignored fields, so check up front
    // (fast compared with parsing).
    if let Err(e) = std::str::from_utf8(bytes) {
        let (line, column) = line_col(bytes, e.valid_up_to());
        return Err((line, column, "not valid UTF-8".to_string()));
    }
    match serde_json::from_slice::<T>(bytes) {
        Ok(value) if value.format_version() == FORMAT_VERSION => Ok(value),
        Ok(value) => Err(version_error(bytes, &value.format_version().to_string())),
        Err(e) if e.is_data() => {
            #[derive(serde::Deserialize)]
            struct VersionProbe {
                #[serde(rename = "formatVersion")]
                format_version: Option<serde_json::Value>,
            }
            match serde_json::from_slice::<VersionProbe>(bytes) {
                Ok(VersionProbe {
                    format_version: None,
                }) => Err((1, 1, "missing formatVersion".to_string())),
                Ok(VersionProbe {
                    format_version: Some(v),
                }) if v.as_u64() != Some(FORMAT_VERSION as u64) => {
                    Err(version_error(bytes, &v.to_string()))
                }
                _ => Err((e.line(), e.column().max(1), strip_position(&e))),
            }
        }
        Err(e) => Err((
            e.line(),
            e.column().max(1),
            format!("invalid JSON: {}", strip_position(&e)),
        )),
    }
}

fn version_error(bytes: &[u8], found: &str) -> (usize, usize, String) {
    let (line, column) = find_key(bytes, "formatVersion");
    (
        line,
        column,
        bound_message(&format!(
            "unknown formatVersion {found} (this bpe reads {FORMAT_VERSION})"
        )),
    )
}

fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let s = match s.rfind(" at line ") {
        Some(i) => &s[..i],
        None => &s,
    };
    bound_message(s)
}

/// Longest quoted value kept in a message, in characters.
const QUOTE_MAX: usize = 60;
/// Longest message kept, in characters.
const MESSAGE_MAX: usize = 300;

/// A parser message with every quoted value cut to [`QUOTE_MAX`] characters
/// (`"abc…" (12345 bytes)`) and the whole cut to [`MESSAGE_MAX`], so a huge
/// value in a file never becomes a huge message.
pub fn bound_message(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else {
            rest = after;
            break;
        };
        let quoted = &after[..close];
        if quoted.chars().count() > QUOTE_MAX {
            out.extend(quoted.chars().take(QUOTE_MAX));
            out.push_str(&format!("…\" ({} bytes)", quoted.len()));
        } else {
            out.push_str(quoted);
            out.push('"');
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    if out.chars().count() > MESSAGE_MAX {
        out = out.chars().take(MESSAGE_MAX).collect::<String>() + "…";
    }
    out
}

/// 1-based line and column (in bytes) of a byte offset.
fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}

/// Position of the first `"key"` in the text, or (1, 1).
pub(super) fn find_key(bytes: &[u8], key: &str) -> (usize, usize) {
    let needle = format!("\"{key}\"");
    match bytes
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
    {
        Some(i) => line_col(bytes, i),
        None => (1, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RepositoryConfig;

    #[test]
    fn positions_of_bad_json() {
        let e = parse_text::<RepositoryConfig>("{\n  \"formatVersion\": 1,\n  \"name\": \n")
            .unwrap_err();
        assert_eq!((e.0, e.1 > 0), (4, true));
        let e =
            parse_text::<RepositoryConfig>("{\"formatVersion\": 9, \"name\": \"x\"}").unwrap_err();
        assert!(e.2.contains("unknown formatVersion 9"), "{}", e.2);
        let e =
            parse_text::<RepositoryConfig>("{\"formatVersion\": 1,\n \"name\": 5}").unwrap_err();
        assert_eq!(e.0, 2);
        assert!(e.2.contains("invalid type"), "{}", e.2);
    }

    #[test]
    fn quoted_values_in_messages_are_cut() {
        let huge = "x".repeat(10 * 1024 * 1024);
        let text = format!(
            "{{\"formatVersion\": 1, \"name\": \"r\", \"settings\": {{\"lockStaleAfter\": \"{huge}\"}}}}"
        );
        let e = parse_text::<RepositoryConfig>(&text).unwrap_err();
        assert!(e.2.len() < 400, "{} bytes", e.2.len());
        assert!(e.2.contains("(10485760 bytes)"), "{}", e.2);
        assert!(e.2.starts_with("invalid type: string \"xxx"), "{}", e.2);
        assert_eq!(
            bound_message("plain \"short\" text"),
            "plain \"short\" text"
        );
        assert_eq!(bound_message("unclosed \"quote"), "unclosed \"quote");
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        let c =
            parse_bytes::<RepositoryConfig>(b"\xEF\xBB\xBF{\"formatVersion\": 1, \"name\": \"r\"}")
                .unwrap();
        assert_eq!(c.name, "r");
        let e =
            parse_bytes::<RepositoryConfig>(b"\xEF\xBB\xBF{\"formatVersion\": 1,\n \"name\": 5}")
                .unwrap_err();
        assert_eq!(e.0, 2);
    }

    #[test]
    fn missing_version_and_bad_utf8() {
        let e = parse_text::<RepositoryConfig>("{\"name\": \"x\"}").unwrap_err();
        assert_eq!(e.2, "missing formatVersion");
        let e = parse_bytes::<RepositoryConfig>(b"{\"formatVersion\": 1,\n \"name\": \"\xff\"}")
            .unwrap_err();
        assert_eq!((e.0, e.1, e.2.as_str()), (2, 11, "not valid UTF-8"));
        let e = parse_text::<RepositoryConfig>("{\"formatVersion\": 2, \"name\": 5}").unwrap_err();
        assert!(e.2.contains("unknown formatVersion 2"), "{}", e.2);
    }
}
