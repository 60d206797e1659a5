//! AST -> text: the canonical single-line form and an indented multi-line form.
//!
//! Both forms parse back to the same AST. One AST shape has no literal syntax: a
//! `Ref` whose name contains `}` (or is empty). It is printed as the computed
//! reference `(ref "…")`, which evaluates identically but parses as a call.

use super::ast::{Call, Expr};
use super::parse::is_path_char;
use std::fmt::Write;

/// Canonical single-line text: one space between tokens, attributes in document order.
pub fn print(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr);
    out
}

/// Multi-line indented text for editors: a call that does not fit in `width`
/// columns (at its indentation) puts each argument on its own line, indented by
/// two spaces; attributes stay on the call's first line.
pub fn print_pretty(expr: &Expr, width: usize) -> String {
    let mut out = String::new();
    write_pretty(&mut out, expr, 0, width);
    out
}

/// A string literal with escapes, as the parser reads it.
pub fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_string(&mut out, s);
    out
}

/// A reference as text: `$path` when every character is a path character,
/// else `${name}`, else the computed form `(ref "name")`.
pub fn reference_text(name: &str) -> String {
    let mut out = String::new();
    write_ref(&mut out, name);
    out
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_ref(out: &mut String, name: &str) {
    if !name.is_empty() && name.chars().all(is_path_char) {
        out.push('$');
        out.push_str(name);
    } else if !name.is_empty() && !name.contains('}') {
        out.push_str("${");
        out.push_str(name);
        out.push('}');
    } else {
        out.push_str("(ref ");
        write_string(out, name);
        out.push(')');
    }
}

fn write_expr(out: &mut String, expr: &Expr) {
    match expr {
        Expr::Null => out.push_str("null"),
        Expr::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Expr::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Expr::Str(s) => write_string(out, s),
        Expr::Ref(name) => write_ref(out, name),
        Expr::Call(call) => {
            write_head(out, call);
            for arg in &call.args {
                out.push(' ');
                write_expr(out, arg);
            }
            out.push(')');
        }
    }
}

/// `(name attr="v" …` without the arguments or the closing parenthesis.
fn write_head(out: &mut String, call: &Call) {
    out.push('(');
    out.push_str(&call.name);
    for (k, v) in &call.attrs {
        out.push(' ');
        out.push_str(k);
        out.push('=');
        write_string(out, v);
    }
}

fn write_pretty(out: &mut String, expr: &Expr, indent: usize, width: usize) {
    let flat = print(expr);
    let call = match expr {
        Expr::Call(call) if !call.args.is_empty() => call,
        _ => {
            out.push_str(&flat);
            return;
        }
    };
    if indent + flat.chars().count() <= width {
        out.push_str(&flat);
        return;
    }
    write_head(out, call);
    for arg in &call.args {
        out.push('\n');
        for _ in 0..indent + 2 {
            out.push(' ');
        }
        write_pretty(out, arg, indent + 2, width);
    }
    out.push(')');
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    #[test]
    fn canonical_form() {
        let src = "( set   name = \"x\"\n (add $x\t1 ) )";
        assert_eq!(print(&parse(src).unwrap()), "(set name=\"x\" (add $x 1))");
        assert_eq!(print(&Expr::Int(-7)), "-7");
        assert_eq!(print(&Expr::Null), "null");
        assert_eq!(
            print(&Expr::Str("a\"b\\c\nd\u{1}é".into())),
            r#""a\"b\\c\nd\u{1}é""#
        );
        assert_eq!(print(&Expr::Ref("display name".into())), "${display name}");
        assert_eq!(print(&Expr::Ref("a[0].b".into())), "$a[0].b");
        assert_eq!(print(&Expr::Ref("odd}".into())), "(ref \"odd}\")");
    }

    #[test]
    fn pretty_breaks_long_calls_and_round_trips() {
        let src = r#"(cond (and (notnull $manager) (neq $manager $accountId)) (concat "approved by " $manager) (rule name="Escalate" (argument name="who" $accountId)))"#;
        let e = parse(src).unwrap();
        let pretty = print_pretty(&e, 40);
        assert_eq!(
            pretty,
            "(cond\n  (and\n    (notnull $manager)\n    (neq $manager $accountId))\n  (concat \"approved by \" $manager)\n  (rule name=\"Escalate\"\n    (argument name=\"who\" $accountId)))"
        );
        assert_eq!(parse(&pretty).unwrap(), e);
        // Wide enough: identical to the canonical form.
        assert_eq!(print_pretty(&e, 500), src);
    }
}
