//! Email for the `notify` op: template rendering and an RFC 5322 message with
//! MIME headers (RFC 2045, RFC 2047 encoded words), CRLF line endings.

use std::collections::BTreeMap;

use crate::expr::Value;

/// Every `$(name)` placeholder of `text`: its byte range (from `$` to `)`) and
/// the trimmed name. An unterminated `$(` is not a placeholder.
pub fn placeholders(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("$(").map(|i| from + i) {
        let Some(end) = text[start + 2..].find(')').map(|i| start + 2 + i) else {
            break;
        };
        out.push((start..end + 1, text[start + 2..end].trim()));
        from = end + 1;
    }
    out
}

/// Replace every `$(name)` in `text` with the text of the first of `scopes`
/// that has `name`; dotted names reach into maps (`$(user.email)`). A missing
/// name renders as empty; an unterminated `$(` is kept literally.
pub fn render_template(text: &str, scopes: &[&BTreeMap<String, Value>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (range, name) in placeholders(text) {
        out.push_str(&text[copied..range.start]);
        if let Some(value) = lookup(name, scopes) {
            out.push_str(&value.to_text());
        }
        copied = range.end;
    }
    out.push_str(&text[copied..]);
    out
}

fn lookup<'a>(name: &str, scopes: &[&'a BTreeMap<String, Value>]) -> Option<&'a Value> {
    let mut parts = name.split('.');
    let head = parts.next()?;
    let mut value = scopes.iter().find_map(|s| s.get(head))?;
    for part in parts {
        value = match value {
            Value::Map(m) => m.get(part)?,
            Value::List(l) => l.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// One mailbox: an optional display name and an ASCII address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mailbox {
    pub name: String,
    pub address: String,
}

/// Check an address minimally: `local@domain`, ASCII, no whitespace, no
/// characters that would break a header, a domain of dot-separated labels of
/// letters, digits and `-`.
pub fn validate_address(address: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("invalid email address '{address}': {why}"));
    let Some((local, domain)) = address.rsplit_once('@') else {
        return bad("no @");
    };
    if local.is_empty() || local.len() > 64 {
        return bad("empty or too long local part");
    }
    if local
        .chars()
        .any(|c| !c.is_ascii_graphic() || "<>()[]\\,;:\"@".contains(c))
    {
        return bad("unsupported character in local part");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return bad("misplaced dot in local part");
    }
    if domain.is_empty() || domain.len() > 253 {
        return bad("empty or too long domain");
    }
    for label in domain.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return bad("malformed domain");
        }
    }
    Ok(())
}

/// Split a recipient list at commas and semicolons outside quotes and angle brackets.
pub(crate) fn split_list(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut angle) = (false, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' | ';' if !quoted && !angle => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Parse `Name <a@b>`, `"Name" <a@b>` or `a@b`; the address is not validated here.
pub(crate) fn parse_mailbox(text: &str) -> Result<Mailbox, String> {
    let text = text.trim();
    if text.chars().any(|c| c == '\r' || c == '\n') {
        return Err(format!(
            "invalid email address '{}': line break",
            text.escape_debug()
        ));
    }
    match (text.rfind('<'), text.ends_with('>')) {
        (Some(open), true) => {
            let address = text[open + 1..text.len() - 1].trim().to_string();
            let mut name = text[..open].trim();
            if name.len() >= 2 && name.starts_with('"') && name.ends_with('"') {
                name = &name[1..name.len() - 1];
            }
            Ok(Mailbox {
                name: name.to_string(),
                address,
            })
        }
        (None, false) => Ok(Mailbox {
            name: String::new(),
            address: text.to_string(),
        }),
        _ => Err(format!("invalid email address '{text}': unbalanced <>")),
    }
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// RFC 2047 `B` encoded words for `text`, each at most 75 characters, never
/// splitting a UTF-8 character, joined by folding whitespace.
pub(crate) fn encoded_words(text: &str) -> String {
    // 39 bytes of UTF-8 encode to 52 characters; with `=?UTF-8?B?` and `?=` that is 64,
    // so even after `Subject: ` a line stays within 76.
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 39 {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

/// Header text: control characters become spaces; non-ASCII text becomes
/// encoded words; long ASCII text is folded at spaces.
pub(crate) fn header_text(text: &str, first_line_used: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if !clean.is_ascii() {
        return encoded_words(&clean);
    }
    let mut out = String::new();
    let mut line_len = first_line_used;
    for (i, word) in clean.split(' ').enumerate() {
        if i > 0 {
            if line_len + 1 + word.len() > 78 && line_len > 0 {
                out.push_str("\r\n");
                line_len = 0;
            }
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += word.len();
    }
    out
}

fn format_mailbox(m: &Mailbox) -> String {
    if m.name.is_empty() {
        return m.address.clone();
    }
    let clean: String = m
        .name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let name = if !clean.is_ascii() {
        encoded_words(&clean)
    } else if clean.chars().any(|c| "()<>[]:;@\\,.\"".contains(c)) {
        format!("\"{}\"", clean.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        clean
    };
    format!("{name} <{}>", m.address)
}

/// `Name: a, b` folded one mailbox per line when it would exceed 78 characters.
fn address_header(name: &str, list: &[Mailbox]) -> String {
    let items: Vec<String> = list.iter().map(format_mailbox).collect();
    let one_line = format!("{name}: {}", items.join(", "));
    if one_line.len() <= 78 && !one_line.contains("\r\n") {
        one_line
    } else {
        format!("{name}: {}", items.join(",\r\n "))
    }
}

/// Quoted-printable (RFC 2045 6.7) with soft breaks at 76 characters; `lines`
/// are the body lines without their endings.
fn quoted_printable(lines: &[&str]) -> String {
    let mut out = String::new();
    for line in lines {
        let bytes = line.as_bytes();
        let mut len = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let literal =
                (b == b' ' || b == b'\t') && !last || (33..=126).contains(&b) && b != b'=';
            let piece = if literal {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            };
            if len + piece.len() > 75 {
                out.push_str("=\r\n");
                len = 0;
            }
            out.push_str(&piece);
            len += piece.len();
        }
        out.push_str("\r\n");
    }
    out
}

/// Encode a body: `8bit` when every line is at most 998 octets without control
/// characters other than tab, else `quoted-printable`. Returns (encoding, text).
pub(crate) fn encode_body(body: &str) -> (&'static str, String) {
    let normalized = body.replace("\r\n", "\n").replace('\r', "\n");
    let trimmed = normalized.strip_suffix('\n').unwrap_or(&normalized);
    let lines: Vec<&str> = trimmed.split('\n').collect();
    let plain = lines
        .iter()
        .all(|l| l.len() <= 998 && !l.chars().any(|c| c.is_control() && c != '\t'));
    if plain {
        let mut out = lines.join("\r\n");
        out.push_str("\r\n");
        ("8bit", out)
    } else {
        ("quoted-printable", quoted_printable(&lines))
    }
}

/// Everything a message needs.
pub(crate) struct Message<'a> {
    pub from: &'a Mailbox,
    pub to: &'a [Mailbox],
    pub cc: &'a [Mailbox],
    pub subject: &'a str,
    pub date: chrono::DateTime<chrono::Utc>,
    /// With angle brackets.
    pub message_id: &'a str,
    pub body: &'a str,
    /// Extra `X-` headers, ASCII values.
    pub extra: &'a [(&'a str, String)],
}

/// The complete RFC 5322 message, CRLF line endings.
pub(crate) fn build_message(m: &Message<'_>) -> String {
    let mut headers = vec![
        address_header("From", std::slice::from_ref(m.from)),
        address_header("To", m.to),
    ];
    if !m.cc.is_empty() {
        headers.push(address_header("Cc", m.cc));
    }
    headers.push(format!("Subject: {}", header_text(m.subject, 9)));
    headers.push(format!("Date: {}", m.date.to_rfc2822()));
    headers.push(format!("Message-ID: {}", m.message_id));
    headers.push("MIME-Version: 1.0".to_string());
    headers.push("Content-Type: text/plain; charset=utf-8".to_string());
    let (encoding, body) = encode_body(m.body);
    headers.push(format!("Content-Transfer-Encoding: {encoding}"));
    for (name, value) in m.extra {
        headers.push(format!("{name}: {}", header_text(value, name.len() + 2)));
    }
    let mut out = headers.join("\r\n");
    out.push_str("\r\n\r\n");
    out.push_str(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn render_uses_first_scope_and_paths() {
        let a = scope(&[("name", Value::Str("Ann".into()))]);
        let b = scope(&[
            ("name", Value::Str("Bob".into())),
            (
                "user",
                Value::Map(scope(&[("email", Value::Str("u@x.org".into()))])),
            ),
            ("n", Value::Int(3)),
        ]);
        assert_eq!(
            render_template("Hi $(name), $( user.email ) $(n)$(gone)! $(open", &[&a, &b]),
            "Hi Ann, u@x.org 3! $(open"
        );
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn encoded_words_stay_short_and_whole() {
        let text = "Zugang für Jürgen Müller genehmigt — bitte prüfen Sie die Rollen ✓";
        let enc = encoded_words(text);
        for word in enc.split("\r\n ") {
            assert!(word.len() <= 75, "{word}");
            assert!(word.starts_with("=?UTF-8?B?") && word.ends_with("?="));
        }
        assert!(enc.split("\r\n ").count() > 1);
    }

    #[test]
    fn addresses() {
        assert!(validate_address("a.b+c@example.org").is_ok());
        assert!(validate_address("nobody").is_err());
        assert!(validate_address("a b@x.org").is_err());
        assert!(validate_address("a@-x.org").is_err());
        assert!(validate_address("a@x..org").is_err());
        assert!(validate_address("ü@x.org").is_err());
        assert_eq!(
            split_list("\"Doe, Jane\" <j@x.org>, b@x.org; c@x.org"),
            vec!["\"Doe, Jane\" <j@x.org>", "b@x.org", "c@x.org"]
        );
        let m = parse_mailbox("\"Doe, Jane\" <j@x.org>").unwrap();
        assert_eq!(m.name, "Doe, Jane");
        assert_eq!(m.address, "j@x.org");
        assert_eq!(format_mailbox(&m), "\"Doe, Jane\" <j@x.org>");
        assert!(parse_mailbox("x@y.org\r\nBcc: evil@z.org").is_err());
    }

    #[test]
    fn body_encodings() {
        let (enc, body) = encode_body("Hello\nJürgen\n");
        assert_eq!(enc, "8bit");
        assert_eq!(body, "Hello\r\nJürgen\r\n");
        let long = "x".repeat(1200);
        let (enc, body) = encode_body(&format!("a=b \n{long}"));
        assert_eq!(enc, "quoted-printable");
        assert!(body.starts_with("a=3Db=20\r\n"));
        assert!(body.lines().all(|l| l.len() <= 76));
        let (enc, _) = encode_body("bell\u{7}");
        assert_eq!(enc, "quoted-printable");
    }
}
