//! Text syntax -> AST.
//!
//! Grammar (see `docs/expressions.md`):
//! `expr := int | string | null | true | false | ref | '(' NAME attr* expr* ')'`, `attr := NAME '=' string`.
//! The parser is recursive descent with an explicit nesting limit, so hostile
//! input cannot overflow the stack.

use super::ast::{Call, Expr, Span};
use std::collections::HashSet;
use std::fmt;

/// Deepest nesting of calls the parser accepts. Real expressions stay far below;
/// the limit protects the parser, printer and evaluator from stack exhaustion.
pub const MAX_NESTING: usize = 256;

/// A syntax error with its position inside the expression text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset of the error in the expression text.
    pub offset: usize,
    /// 1-based line of `offset`.
    pub line: usize,
    /// 1-based column (in characters) of `offset`.
    pub column: usize,
    /// Human-readable description.
    pub message: String,
    /// Byte range to highlight (starts at `offset`, at least one character
    /// long unless the error is at the end of the text).
    pub span: Span,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// 1-based (line, column) of a byte offset; columns count characters.
/// Offsets past the end or inside a character are clamped.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Parse one expression; the whole text must be consumed (surrounding whitespace is fine).
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    Parser {
        text,
        pos: 0,
        spans: None,
    }
    .whole()
}

/// [`parse`], also returning the byte range of every node in pre-order (the
/// order [`crate::expr::SourceMap`] walks the tree in): `spans[0]` is the root.
pub fn parse_spanned(text: &str) -> Result<(Expr, Vec<Span>), ParseError> {
    let mut p = Parser {
        text,
        pos: 0,
        spans: Some(Vec::new()),
    };
    let e = p.whole()?;
    Ok((e, p.spans.unwrap_or_default()))
}

impl Parser<'_> {
    fn whole(&mut self) -> Result<Expr, ParseError> {
        let text = self.text;
        let p = self;
        p.skip_ws();
        if p.pos >= text.len() {
            return Err(p.error_at(p.pos, "empty expression"));
        }
        let e = p.expr(0)?;
        p.skip_ws();
        if p.pos < text.len() {
            let c = p.peek().unwrap_or(' ');
            let msg = if c == ')' {
                "unexpected ')' with no matching '('".to_string()
            } else {
                format!(
                    "unexpected {} after the end of the expression (write several expressions inside (block …))",
                    describe_char(c)
                )
            };
            return Err(p.error_at(p.pos, msg));
        }
        Ok(e)
    }
}

/// True for characters allowed in a `$path` reference.
pub fn is_path_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']')
}

/// True when `s` is a valid NAME (`[A-Za-z_][A-Za-z0-9_.:-]*`).
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if is_name_start(c) => chars.all(is_name_char),
        _ => false,
    }
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')
}

fn is_typographic_quote(c: char) -> bool {
    matches!(
        c,
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2018}' | '\u{2019}' | '\u{00AB}' | '\u{00BB}'
    )
}

fn describe_char(c: char) -> String {
    match c {
        '\'' => "'\\''".to_string(),
        c if c.is_control() => format!("character U+{:04X}", c as u32),
        c => format!("'{c}'"),
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// When wanted: each node's byte range, in pre-order.
    spans: Option<Vec<Span>>,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn error_at(&self, offset: usize, message: impl Into<String>) -> ParseError {
        let end = self.text[offset.min(self.text.len())..]
            .chars()
            .next()
            .map_or(offset, |c| offset + c.len_utf8());
        self.error_span(offset, end, message)
    }

    fn error_span(&self, start: usize, end: usize, message: impl Into<String>) -> ParseError {
        let (line, column) = line_column(self.text, start);
        ParseError {
            offset: start,
            line,
            column,
            message: message.into(),
            span: Span { start, end },
        }
    }

    fn pos_label(&self, offset: usize) -> String {
        let (l, c) = line_column(self.text, offset);
        format!("{l}:{c}")
    }

    /// Parse one expression starting at the current (non-whitespace) position.
    fn expr(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let Some(spans) = self.spans.as_mut() else {
            return self.node(depth);
        };
        let (slot, start) = (spans.len(), self.pos);
        spans.push(Span { start, end: start });
        let e = self.node(depth)?;
        if let Some(s) = self.spans.as_mut().and_then(|s| s.get_mut(slot)) {
            s.end = self.pos;
        }
        Ok(e)
    }

    fn node(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Err(self.error_at(start, "expected an expression"));
        };
        match c {
            '(' => self.call(depth),
            '"' => Ok(Expr::Str(self.string()?)),
            '$' => self.reference(),
            '-' | '0'..='9' => self.integer(),
            c if is_name_start(c) => {
                let word = self.name();
                if word == "null" {
                    Ok(Expr::Null)
                } else if word == "true" || word == "false" {
                    Ok(Expr::Bool(word == "true"))
                } else {
                    let hint = match word {
                        "True" | "TRUE" => " (the Boolean is written true)",
                        "False" | "FALSE" => " (the Boolean is written false)",
                        "nil" | "None" | "NULL" => " (write null)",
                        _ => "",
                    };
                    Err(self.error_span(
                        start,
                        self.pos,
                        format!(
                            "unexpected word '{word}'{hint}: write a call as ({word} …), a string as \"{word}\" or a variable as ${word}"
                        ),
                    ))
                }
            }
            ')' => Err(self.error_at(start, "unexpected ')' with no matching '('")),
            '\'' => Err(self.error_at(start, "single quotes are not string delimiters — use \"")),
            c if is_typographic_quote(c) => {
                Err(self.error_at(start, format!("typographic quote {c} — use \"")))
            }
            c => Err(self.error_at(start, format!("unexpected {}", describe_char(c)))),
        }
    }

    fn name(&mut self) -> &'a str {
        let start = self.pos;
        if let Some(c) = self.peek()
            && is_name_start(c)
        {
            self.pos += 1;
            while let Some(c) = self.peek() {
                if is_name_char(c) {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        &self.text[start..self.pos]
    }

    fn integer(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        let digits_start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos == digits_start {
            return Err(self.error_at(start, "'-' must be followed by digits (an integer)"));
        }
        // A number glued to letters (`12ab`) is almost certainly a typo.
        if let Some(c) = self.peek()
            && (is_name_char(c) || c == '$' || c == '"')
        {
            let mut end = self.pos;
            for ch in self.text[self.pos..].chars() {
                if ch.is_whitespace() || ch == '(' || ch == ')' {
                    break;
                }
                end += ch.len_utf8();
            }
            return Err(self.error_span(
                start,
                end,
                format!(
                    "'{}' is not an integer (only whole numbers; write text as a \"string\")",
                    &self.text[start..end]
                ),
            ));
        }
        let lit = &self.text[start..self.pos];
        lit.parse::<i64>().map(Expr::Int).map_err(|_| {
            self.error_span(
                start,
                self.pos,
                format!(
                    "integer {lit} is out of range ({} to {})",
                    i64::MIN,
                    i64::MAX
                ),
            )
        })
    }

    /// A double-quoted string; the current character is `"`.
    fn string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.bump() else {
                return Err(self.error_span(start, self.text.len(), "unterminated string"));
            };
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let esc_start = self.pos - 1;
                    match self.bump() {
                        Some('"') => out.push('"'),
                        Some('\\') => out.push('\\'),
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some('r') => out.push('\r'),
                        Some('u') => out.push(self.unicode_escape(esc_start)?),
                        Some(other) => {
                            return Err(self.error_span(
                                esc_start,
                                self.pos,
                                format!(
                                    "unknown escape \\{other} (known: \\\" \\\\ \\n \\t \\r \\u{{XXXX}})"
                                ),
                            ));
                        }
                        None => {
                            return Err(self.error_span(
                                start,
                                self.text.len(),
                                "unterminated string",
                            ));
                        }
                    }
                }
                c => out.push(c),
            }
        }
    }

    /// After `\u`: `{hex}` with 1 to 6 digits naming a Unicode scalar value.
    fn unicode_escape(&mut self, esc_start: usize) -> Result<char, ParseError> {
        if self.peek() != Some('{') {
            return Err(self.error_span(
                esc_start,
                self.pos,
                "\\u must be followed by {hex digits}, e.g. \\u{e9}",
            ));
        }
        self.pos += 1;
        let hex_start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_hexdigit() {
                self.pos += 1;
            } else {
                break;
            }
        }
        let hex = &self.text[hex_start..self.pos];
        if self.peek() != Some('}') || hex.is_empty() || hex.len() > 6 {
            return Err(self.error_span(
                esc_start,
                self.pos,
                "\\u{…} needs 1 to 6 hex digits and a closing '}'",
            ));
        }
        self.pos += 1;
        u32::from_str_radix(hex, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| {
                self.error_span(
                    esc_start,
                    self.pos,
                    format!("\\u{{{hex}}} is not a Unicode character"),
                )
            })
    }

    /// `$path` or `${any text}`; the current character is `$`.
    fn reference(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        self.pos += 1;
        if self.peek() == Some('{') {
            self.pos += 1;
            let body_start = self.pos;
            let Some(len) = self.text[body_start..].find('}') else {
                return Err(self.error_span(
                    start,
                    self.text.len(),
                    "unterminated ${…} reference: missing '}'",
                ));
            };
            self.pos = body_start + len + 1;
            let name = &self.text[body_start..body_start + len];
            if name.is_empty() {
                return Err(self.error_span(start, self.pos, "empty variable name in ${}"));
            }
            return Ok(Expr::Ref(name.to_string()));
        }
        let body_start = self.pos;
        while let Some(c) = self.peek() {
            if is_path_char(c) {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        if self.pos == body_start {
            return Err(self.error_at(
                start,
                "expected a variable name after '$' (use ${…} for names with spaces)",
            ));
        }
        Ok(Expr::Ref(self.text[body_start..self.pos].to_string()))
    }

    /// `( NAME attr* expr* )`; the current character is `(`.
    fn call(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let open = self.pos;
        if depth >= MAX_NESTING {
            return Err(self.error_at(
                open,
                format!("expression nested too deeply (more than {MAX_NESTING} levels)"),
            ));
        }
        self.pos += 1;
        self.skip_ws();
        let name_start = self.pos;
        let name = self.name();
        if name.is_empty() {
            let msg = match self.peek() {
                None => format!(
                    "expected a function name after '(' opened at {}",
                    self.pos_label(open)
                ),
                Some(')') => "empty call '()': a function name is required".to_string(),
                Some(c) if is_typographic_quote(c) => format!("typographic quote {c} — use \""),
                Some(c) => format!(
                    "expected a function name after '(', found {}",
                    describe_char(c)
                ),
            };
            return Err(self.error_at(name_start, msg));
        }
        let name = name.to_string();
        let mut call = Call {
            name,
            attrs: Vec::new(),
            args: Vec::new(),
        };
        // Attribute names seen, once there are many (a linear scan per attribute
        // would make a call with thousands of attributes quadratic).
        let mut seen: HashSet<String> = HashSet::new();
        loop {
            self.skip_ws();
            let tok = self.pos;
            match self.peek() {
                None => {
                    return Err(self.error_at(
                        tok,
                        format!(
                            "expected ')' to close '({}' opened at {}",
                            call.name,
                            self.pos_label(open)
                        ),
                    ));
                }
                Some(')') => {
                    self.pos += 1;
                    return Ok(Expr::Call(call));
                }
                Some(c) if is_name_start(c) => {
                    let word = self.name();
                    let after_word = self.pos;
                    self.skip_ws();
                    if self.peek() == Some('=') {
                        let word = word.to_string();
                        if !call.args.is_empty() {
                            return Err(self.error_span(
                                tok,
                                after_word,
                                format!(
                                    "attribute {word}= must come before the arguments of '({}'",
                                    call.name
                                ),
                            ));
                        }
                        let duplicate = if call.attrs.len() < 16 {
                            call.attrs.iter().any(|(k, _)| *k == word)
                        } else {
                            if seen.is_empty() {
                                seen.extend(call.attrs.iter().map(|(k, _)| k.clone()));
                            }
                            !seen.insert(word.clone())
                        };
                        if duplicate {
                            return Err(self.error_span(
                                tok,
                                after_word,
                                format!("duplicate attribute {word}= in '({}'", call.name),
                            ));
                        }
                        self.pos += 1;
                        self.skip_ws();
                        match self.peek() {
                            Some('"') => {
                                let value = self.string()?;
                                call.attrs.push((word, value));
                            }
                            Some(c) if is_typographic_quote(c) => {
                                return Err(self.error_at(
                                    self.pos,
                                    format!("typographic quote {c} — use \""),
                                ));
                            }
                            _ => {
                                return Err(self.error_at(
                                    self.pos,
                                    format!(
                                        "attribute value must be a quoted string: {word}=\"…\""
                                    ),
                                ));
                            }
                        }
                    } else {
                        // Not an attribute: re-read the word as an expression
                        // (only `null`, `true` and `false` are valid; the error names the others).
                        self.pos = tok;
                        let e = self.expr(depth + 1)?;
                        call.args.push(e);
                    }
                }
                Some(_) => {
                    let e = self.expr(depth + 1)?;
                    call.args.push(e);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, attrs: &[(&str, &str)], args: Vec<Expr>) -> Expr {
        Expr::Call(Call {
            name: name.into(),
            attrs: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            args,
        })
    }

    fn err(text: &str) -> ParseError {
        parse(text).expect_err(text)
    }

    #[test]
    fn literals() {
        assert_eq!(parse("42").unwrap(), Expr::Int(42));
        assert_eq!(parse("  -7 ").unwrap(), Expr::Int(-7));
        assert_eq!(parse("null").unwrap(), Expr::Null);
        assert_eq!(parse("true").unwrap(), Expr::Bool(true));
        assert_eq!(parse("false").unwrap(), Expr::Bool(false));
        assert_eq!(
            parse("(eq true \"true\")").unwrap(),
            Expr::Call(Call {
                name: "eq".into(),
                attrs: vec![],
                args: vec![Expr::Bool(true), Expr::Str("true".into())],
            })
        );
        assert_eq!(
            parse(r#""a \"b\" \\ \n\t\r\u{e9}""#).unwrap(),
            Expr::Str("a \"b\" \\ \n\t\r\u{e9}".into())
        );
        assert_eq!(parse("-9223372036854775808").unwrap(), Expr::Int(i64::MIN));
        assert_eq!(parse("9223372036854775807").unwrap(), Expr::Int(i64::MAX));
    }

    #[test]
    fn references() {
        assert_eq!(
            parse("$user.email").unwrap(),
            Expr::Ref("user.email".into())
        );
        assert_eq!(
            parse("$accounts[0]").unwrap(),
            Expr::Ref("accounts[0]".into())
        );
        assert_eq!(
            parse("${display name}").unwrap(),
            Expr::Ref("display name".into())
        );
        assert_eq!(
            parse("$WF_ACTION_RESULT").unwrap(),
            Expr::Ref("WF_ACTION_RESULT".into())
        );
    }

    #[test]
    fn calls_and_attributes() {
        assert_eq!(
            parse(r#"(set name="x" (add $x 1))"#).unwrap(),
            call(
                "set",
                &[("name", "x")],
                vec![call("add", &[], vec![Expr::Ref("x".into()), Expr::Int(1)])]
            )
        );
        assert_eq!(
            parse(r#"(rule name="Derive Email" (argument name="first" value="Ada") (argument name="last" $lastName))"#)
                .unwrap(),
            call(
                "rule",
                &[("name", "Derive Email")],
                vec![
                    call("argument", &[("name", "first"), ("value", "Ada")], vec![]),
                    call("argument", &[("name", "last")], vec![Expr::Ref("lastName".into())]),
                ]
            )
        );
        assert_eq!(
            parse("(list null 1)").unwrap(),
            call("list", &[], vec![Expr::Null, Expr::Int(1)])
        );
        assert_eq!(
            parse("(\n  add\t1\n  2 )").unwrap(),
            call("add", &[], vec![Expr::Int(1), Expr::Int(2)])
        );
        assert_eq!(parse("(a:b.c-d)").unwrap(), call("a:b.c-d", &[], vec![]));
    }

    #[test]
    fn unclosed_call_names_opener() {
        let e = err("(add 1\n  (sub 2 3)");
        assert_eq!(e.message, "expected ')' to close '(add' opened at 1:1");
        assert_eq!((e.line, e.column), (2, 12));
        assert_eq!(e.offset, 18);
    }

    #[test]
    fn string_errors() {
        let e = err(r#"(concat "abc"#);
        assert_eq!(e.message, "unterminated string");
        assert_eq!((e.line, e.column, e.offset), (1, 9, 8));
        let e = err(r#""a\qb""#);
        assert!(e.message.starts_with("unknown escape \\q"), "{}", e.message);
        assert_eq!(e.offset, 2);
        assert!(
            err(r#""\u{110000}""#)
                .message
                .contains("not a Unicode character")
        );
        assert!(err(r#""\u00e9""#).message.contains("\\u must be followed"));
        assert!(err(r#""\u{}""#).message.contains("1 to 6 hex digits"));
    }

    #[test]
    fn duplicate_attributes_are_found_among_many() {
        let attrs: Vec<String> = (0..40).map(|i| format!("a{i}=\"v\"")).collect();
        let ok = format!("(concat {} 1)", attrs.join(" "));
        let Expr::Call(c) = parse(&ok).unwrap() else {
            panic!("not a call")
        };
        assert_eq!(c.attrs.len(), 40);
        for dup in [3, 20, 39] {
            let text = format!("(concat {} a{dup}=\"w\" 1)", attrs.join(" "));
            let e = err(&text);
            assert!(
                e.message.contains(&format!("duplicate attribute a{dup}=")),
                "{}",
                e.message
            );
            assert_eq!(e.offset, text.rfind(&format!("a{dup}=")).unwrap());
        }
    }

    #[test]
    fn attribute_errors() {
        let e = err("(set name=x 1)");
        assert!(
            e.message
                .starts_with("attribute value must be a quoted string"),
            "{}",
            e.message
        );
        assert_eq!(e.column, 11);
        let e = err(r#"(set 1 name="x")"#);
        assert!(
            e.message.contains("must come before the arguments"),
            "{}",
            e.message
        );
        let e = err(r#"(set name="x" name="y")"#);
        assert!(e.message.contains("duplicate attribute"), "{}", e.message);
    }

    #[test]
    fn typographic_quotes() {
        let e = err("(concat “abc” 1)");
        assert_eq!(e.message, "typographic quote “ — use \"");
        assert_eq!(e.column, 9);
        let e = err("(set name=“x” 1)");
        assert_eq!(e.message, "typographic quote “ — use \"");
        // Inside a string they are just text.
        assert_eq!(parse("\"“ok”\"").unwrap(), Expr::Str("“ok”".into()));
    }

    #[test]
    fn integer_errors() {
        let e = err("9223372036854775808");
        assert!(e.message.contains("out of range"), "{}", e.message);
        assert!(err("-9223372036854775809").message.contains("out of range"));
        assert!(err("(add - 1)").message.contains("followed by digits"));
        assert!(err("12ab").message.contains("not an integer"));
        assert!(err("1.5").message.contains("not an integer"));
    }

    #[test]
    fn structural_errors() {
        assert_eq!(err("").message, "empty expression");
        assert_eq!(err("   ").message, "empty expression");
        assert!(
            err("1 2")
                .message
                .contains("after the end of the expression")
        );
        assert!(err("(add 1))").message.contains("no matching '('"));
        assert!(err(")").message.contains("no matching '('"));
        assert!(err("()").message.contains("function name is required"));
        assert!(err("(1)").message.contains("expected a function name"));
        assert!(err("(").message.contains("expected a function name"));
        assert!(err("$").message.contains("expected a variable name"));
        assert!(err("$ x").message.contains("expected a variable name"));
        assert!(err("${abc").message.contains("unterminated ${"));
        assert!(err("${}").message.contains("empty variable name"));
        assert!(err("(add x 1)").message.contains("unexpected word 'x'"));
        assert!(err("TRUE").message.contains("the Boolean is written true"));
        assert!(
            err("(not False)")
                .message
                .contains("the Boolean is written false")
        );
        assert!(err("'a'").message.contains("single quotes"));
        assert!(err("(add 1 #)").message.contains("unexpected '#'"));
    }

    #[test]
    fn nesting_limit() {
        let ok = format!("{}1{}", "(a ".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert!(parse(&ok).is_ok());
        let deep = format!(
            "{}1{}",
            "(a ".repeat(MAX_NESTING + 1),
            ")".repeat(MAX_NESTING + 1)
        );
        assert!(err(&deep).message.contains("nested too deeply"));
        // Hostile input: a million open parentheses must be an error, not a crash.
        let hostile = "(".repeat(1_000_000);
        assert!(parse(&hostile).is_err());
    }

    #[test]
    fn positions_count_characters() {
        let e = err("(concat \"é\" é)");
        assert_eq!(e.column, 13);
        assert_eq!(e.offset, "(concat \"é\" ".len());
        assert_eq!(e.span.end, e.offset + 'é'.len_utf8());
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("ab", 99), (1, 3));
    }
}
