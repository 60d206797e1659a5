//! Names on the terminal: what a name may contain, and how a name that was not
//! validated is printed (docs/security.md, "Names on the terminal").
//!
//! Invariants: [`escape_name`] output never contains a control character
//! (C0, DEL, C1) nor a bidirectional-text override, so a name can neither move
//! the cursor, ring the bell, change colours, start a new line nor reorder what
//! the terminal shows. Text without such characters is returned unchanged.

use std::borrow::Cow;

/// True for the characters a name may not contain and a printer escapes:
/// control characters (C0, DEL, C1: ESC, BEL, newline, …) and the Unicode
/// bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The first character a name may not contain, with its byte offset.
pub fn name_problem(name: &str) -> Option<(usize, char)> {
    name.char_indices().find(|&(_, c)| is_unsafe_char(c))
}

/// `text` with every unsafe character ([`is_unsafe_char`]) written as an
/// escape: `\n`, `\r`, `\t`, else `\u{1b}` (hex code point). The one helper
/// every CLI printer and the TUI use for names and messages they did not
/// validate.
pub fn escape_name(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A short description of an unsafe character, for messages: `ESC (U+001B)`.
pub fn describe_char(c: char) -> String {
    let name = match c {
        '\u{1b}' => "ESC ",
        '\u{07}' => "BEL ",
        '\n' => "newline ",
        '\r' => "carriage return ",
        '\t' => "tab ",
        '\u{7f}' => "DEL ",
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => "bidirectional control ",
        _ => "control character ",
    };
    format!("{name}(U+{:04X})", c as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_found() {
        assert!(matches!(escape_name("Onboard Émployee"), Cow::Borrowed(_)));
        assert_eq!(
            escape_name("a\u{1b}[31mb\u{7}\nc"),
            "a\\u{1b}[31mb\\u{7}\\nc"
        );
        assert_eq!(escape_name("x\u{202E}y\u{9b}"), "x\\u{202e}y\\u{9b}");
        assert!(
            !escape_name("\u{0}\u{1f}\u{7f}\u{85}")
                .chars()
                .any(is_unsafe_char)
        );
        assert_eq!(name_problem("ok\u{7}"), Some((2, '\u{7}')));
        assert_eq!(name_problem("fine name"), None);
        assert_eq!(describe_char('\u{1b}'), "ESC (U+001B)");
    }
}
