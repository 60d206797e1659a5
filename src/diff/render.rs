//! The text form of a [`DefinitionDiff`]: one line per change, `+` added,
//! `-` removed, `~` renamed or changed, then one indented line per changed
//! sub-expression. Every name and value passes through `model::escape_name`
//! (control characters never reach the terminal); long values are cut.

use std::fmt::Write;

use super::{Change, ChangeKind, DefinitionDiff, Location, Object};
use crate::model::escape_name;

/// Characters of a value shown before it is cut with `…`.
pub const MAX_SHOWN: usize = 200;

/// One line per change (and per changed sub-expression), ending in a newline;
/// empty for an empty diff.
pub fn render_text(diff: &DefinitionDiff) -> String {
    let mut out = String::new();
    for c in &diff.changes {
        line(&mut out, c);
    }
    out
}

/// The text of one change: its line, then one indented line per changed
/// sub-expression (each ending in a newline), as [`render_text`] prints it.
pub fn render_change(c: &Change) -> String {
    let mut out = String::new();
    line(&mut out, c);
    out
}

fn line(out: &mut String, c: &Change) {
    let sign = match c.change {
        ChangeKind::Added => '+',
        ChangeKind::Removed => '-',
        ChangeKind::Renamed | ChangeKind::Changed => '~',
    };
    let object = match c.object {
        Object::Definition => "definition",
        Object::Variable => "variable",
        Object::Activity => "activity",
        Object::Action => "action",
        Object::Transition => "transition",
    };
    let _ = write!(out, "{sign} {object}{}", place(&c.at, c.object));
    match c.change {
        ChangeKind::Added => {
            let _ = write!(out, " added: {}", shown(c.new.as_deref()));
        }
        ChangeKind::Removed => {
            let _ = write!(out, " removed: {}", shown(c.old.as_deref()));
        }
        ChangeKind::Renamed => {
            let _ = write!(
                out,
                " renamed: {} -> {}",
                shown(c.old.as_deref()),
                shown(c.new.as_deref())
            );
        }
        ChangeKind::Changed => {
            let field = c.field.as_deref().unwrap_or("");
            if c.expression.is_empty() {
                let _ = write!(
                    out,
                    " {}: {} -> {}",
                    escape_name(field),
                    shown(c.old.as_deref()),
                    shown(c.new.as_deref())
                );
            } else {
                let _ = write!(out, " {}:", escape_name(field));
            }
        }
    }
    out.push('\n');
    for d in &c.expression {
        let at = if d.at.is_empty() {
            "whole expression".to_string()
        } else {
            d.at.join(" > ")
        };
        let _ = writeln!(
            out,
            "    at {}: {} -> {}",
            escape_name(&at),
            shown(Some(&d.old)),
            shown(Some(&d.new))
        );
    }
}

/// ` "Manager Approval" (id 4) action 2 "Manager decides"` and so on.
fn place(at: &Location, object: Object) -> String {
    let mut s = String::new();
    if let Some(a) = &at.activity {
        if object != Object::Activity {
            s.push_str(" in");
        }
        let _ = write!(s, " {}", quoted(a));
        if let Some(id) = &at.activity_id {
            let _ = write!(s, " (id {})", escape_name(id));
        }
    }
    if let Some(i) = at.action {
        let _ = write!(s, " action {i}");
        if let Some(n) = &at.action_name {
            let _ = write!(s, " {}", quoted(n));
        }
    }
    if let Some(t) = &at.transition {
        let _ = write!(s, " to {}", quoted(t));
    }
    if let Some(v) = &at.variable {
        let _ = write!(s, " {}", quoted(v));
    }
    s
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", escape_name(&cut(s)))
}

fn shown(v: Option<&str>) -> String {
    match v {
        None => "(none)".to_string(),
        Some("") => "(empty)".to_string(),
        Some(s) => escape_name(&cut(s)).into_owned(),
    }
}

fn cut(s: &str) -> String {
    match s.char_indices().nth(MAX_SHOWN) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
