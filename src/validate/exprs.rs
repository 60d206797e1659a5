//! Checks inside one expression: syntax, unknown functions, literal rule
//! names, and variables read without a declaration in scope.

use std::collections::{BTreeSet, HashSet};

use super::definition::closest;
use super::{Lint, RepoContext, Sink, Target};
use crate::expr::{self, Expr};

/// Variables the engine sets after every action (DOMAIN.md).
pub(crate) const BUILTINS: &[&str] = &[
    "WF_ACTION_ERROR",
    "WF_ACTION_RESULT",
    "WF_ACTION_SUPPRESSED",
    "WF_ACTION_TIMEOUT",
    "WF_CASE_OWNER",
    "WF_CASE_RESULT",
];

/// The names visible everywhere in the checked object.
pub(crate) struct Scope<'a> {
    pub known: &'a HashSet<String>,
    /// How a missing name is described: "declared" or e.g. "an argument of this rule".
    pub what: &'static str,
}

/// The variable a (dotted / indexed) path starts from: `user.email` -> `user`.
pub(crate) fn root_name(path: &str) -> &str {
    let end = path.find(['.', '[']).unwrap_or(path.len());
    &path[..end]
}

/// Roots of every `set name=` in the expression (they create the variable).
pub(crate) fn collect_set_targets(text: &str, out: &mut BTreeSet<String>) {
    fn walk(e: &Expr, out: &mut BTreeSet<String>) {
        if let Expr::Call(c) = e {
            if c.name == "set"
                && let Some(name) = c.attr("name")
            {
                out.insert(root_name(name).to_string());
            }
            for a in &c.args {
                walk(a, out);
            }
        }
    }
    if let Ok(e) = expr::parse(text) {
        walk(&e, out);
    }
}

/// Check one expression found at `pointer` (a JSON string).
pub(crate) fn check(
    text: &str,
    pointer: &str,
    target: Target,
    scope: &Scope,
    local: Vec<String>,
    ctx: &RepoContext,
    out: &mut Sink,
) {
    let parsed = match expr::parse(text) {
        Ok(e) => e,
        Err(e) => {
            out.inside(
                Lint::ExprSyntax,
                pointer.to_string(),
                e.offset,
                target,
                format!("expression syntax error: {}", e.message),
            );
            return;
        }
    };
    let (calls, refs) = token_offsets(text);
    let mut w = Walker {
        calls,
        refs,
        next_call: 0,
        next_ref: 0,
        scope,
        local,
        reported: HashSet::new(),
        ctx,
        pointer,
        target,
        out,
    };
    w.walk(&parsed, "");
}

/// Byte offsets of each call's name (after `(`) and of each `$` reference,
/// in text order, which is the AST's pre-order.
fn token_offsets(text: &str) -> (Vec<usize>, Vec<usize>) {
    let (mut calls, mut refs) = (Vec::new(), Vec::new());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' => calls.push(i + 1),
            b'$' => {
                refs.push(i);
                if bytes.get(i + 1) == Some(&b'{') {
                    while i < bytes.len() && bytes[i] != b'}' {
                        i += 1;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    (calls, refs)
}

struct Walker<'w, 'i, 't> {
    calls: Vec<usize>,
    refs: Vec<usize>,
    next_call: usize,
    next_ref: usize,
    scope: &'w Scope<'w>,
    /// Activity/action variables and expression locals (defvar, dolist, defarg).
    local: Vec<String>,
    reported: HashSet<String>,
    ctx: &'w RepoContext,
    pointer: &'w str,
    target: Target,
    out: &'w mut Sink<'i, 't>,
}

impl Walker<'_, '_, '_> {
    fn report(&mut self, lint: Lint, offset: Option<usize>, message: String) {
        self.out.inside(
            lint,
            self.pointer.to_string(),
            offset.unwrap_or(0),
            self.target,
            message,
        );
    }

    fn is_known(&self, name: &str) -> bool {
        self.scope.known.contains(name) || self.local.iter().any(|l| l == name)
    }

    /// `parent`: the name of the enclosing call (empty at the top).
    fn walk(&mut self, e: &Expr, parent: &str) {
        match e {
            Expr::Ref(path) => {
                let offset = self.refs.get(self.next_ref).copied();
                self.next_ref += 1;
                if let Err(e) = expr::parse_path(path)
                    && e.too_deep
                {
                    // Evaluation refuses it; a malformed path reads a
                    // variable with that odd name, which is legal.
                    self.report(
                        Lint::ExprSyntax,
                        offset.map(|o| o + e.offset),
                        format!("variable path {}: {}", path_head(path), e.message),
                    );
                    return;
                }
                let root = root_name(path);
                if root.is_empty() || self.is_known(root) || !self.reported.insert(root.into()) {
                    return;
                }
                let candidates: Vec<&str> = self
                    .scope
                    .known
                    .iter()
                    .map(String::as_str)
                    .chain(self.local.iter().map(String::as_str))
                    .collect();
                let hint = closest(root, candidates.into_iter())
                    .map(|c| format!(" (did you mean \"{c}\"?)"))
                    .unwrap_or_default();
                let message = if self.scope.what == "declared" {
                    format!("undeclared variable \"{root}\"{hint}")
                } else {
                    format!("variable \"{root}\" is not {}{hint}", self.scope.what)
                };
                self.report(Lint::UndeclaredVariable, offset, message);
            }
            Expr::Call(c) => {
                let offset = self.calls.get(self.next_call).copied();
                self.next_call += 1;
                if let Some(info) = expr::function(&c.name) {
                    if let Some(problem) = misuse(c, info, parent) {
                        self.report(Lint::BadCall, offset, problem);
                    } else if let Some(problem) = bad_target_path(c) {
                        self.report(Lint::BadCall, offset, problem);
                    }
                } else {
                    let hint = closest(&c.name, expr::functions().iter().map(|f| f.name))
                        .map(|n| format!(" (did you mean \"{n}\"?)"))
                        .unwrap_or_default();
                    self.report(
                        Lint::UnknownFunction,
                        offset,
                        format!("unknown function \"{}\"{hint}", c.name),
                    );
                }
                if c.name == "Date" {
                    self.report(
                        Lint::Unsupported,
                        offset,
                        "a Waveset <Date> object is kept verbatim but bpe has no date value: this expression fails when evaluated; write the date as a string".to_string(),
                    );
                }
                if c.name == "script" {
                    let lang = c.attr("lang").or(c.attr("language")).unwrap_or("script");
                    self.report(
                        Lint::Unsupported,
                        offset,
                        format!("embedded {lang} is kept verbatim but bpe does not run it: this expression fails when evaluated"),
                    );
                }
                if c.name == "rule" {
                    let literal = c.attr("name").map(str::to_string).or_else(|| {
                        c.args.iter().find_map(|a| match a {
                            Expr::Str(s) => Some(s.clone()),
                            _ => None,
                        })
                    });
                    if let Some(name) = literal
                        && !self.ctx.rules.contains_key(&name)
                    {
                        let hint = closest(&name, self.ctx.rules.keys().map(String::as_str))
                            .map(|n| format!(" (did you mean \"{n}\"?)"))
                            .unwrap_or_default();
                        self.report(
                            Lint::UnknownRule,
                            offset,
                            format!("unknown rule \"{name}\"{hint}"),
                        );
                    }
                }
                let mark = self.local.len();
                match c.name.as_str() {
                    "dolist" => {
                        let mut args = c.args.iter();
                        if let Some(list) = args.next() {
                            self.walk(list, &c.name);
                        }
                        if let Some(name) = c.attr("name") {
                            self.local.push(name.to_string());
                        }
                        for a in args {
                            self.walk(a, &c.name);
                        }
                    }
                    "defun" => {
                        for a in &c.args {
                            if let Expr::Call(d) = a
                                && d.name == "defarg"
                                && let Some(name) = d.attr("name")
                            {
                                self.local.push(name.to_string());
                            }
                        }
                        for a in &c.args {
                            self.walk(a, &c.name);
                        }
                    }
                    _ => {
                        for a in &c.args {
                            self.walk(a, &c.name);
                            if let Expr::Call(d) = a
                                && d.name == "defvar"
                                && let Some(name) = d.attr("name")
                            {
                                self.local.push(name.to_string());
                            }
                        }
                    }
                }
                self.local.truncate(mark);
            }
            Expr::Null | Expr::Int(_) | Expr::Bool(_) | Expr::Str(_) => {}
        }
    }
}

/// The start of a path, for messages (a path may be thousands of characters long).
fn path_head(path: &str) -> String {
    let head: String = path.chars().take(40).collect();
    let more = if head.len() < path.len() { "…" } else { "" };
    format!("\"{head}{more}\"")
}

/// What is wrong with the literal variable path of `set name=` (and the
/// in-place `name=` forms of append, appendAll, setlist, putmap, filterdup,
/// filternull), if anything:
/// too many steps (evaluation refuses it) or malformed (evaluation would
/// assign a variable with that odd name instead of following the path).
fn bad_target_path(c: &crate::expr::Call) -> Option<String> {
    if !matches!(
        c.name.as_str(),
        "set" | "append" | "appendAll" | "setlist" | "putmap" | "filterdup" | "filternull"
    ) {
        return None;
    }
    let path = c.attr("name")?;
    let e = expr::parse_path(path).err()?;
    let name = &c.name;
    Some(if e.too_deep {
        format!("({name} …) name={}: {}", path_head(path), e.message)
    } else {
        format!(
            "({name} …) name={} is not a well-formed path ({e}); it would name one variable",
            path_head(path)
        )
    })
}

/// What is wrong with a call of a known function, if anything: an element
/// outside its parent, or what the function table's own check finds (a
/// missing attribute, too few or too many children) — the check the
/// evaluator makes before running it.
fn misuse(c: &crate::expr::Call, info: &expr::FunctionInfo, parent: &str) -> Option<String> {
    let name = &c.name;
    if !info.parents.is_empty() && !info.parents.contains(&parent) {
        return Some(format!(
            "({name} …) belongs inside ({} …)",
            info.parents.join(" …) or (")
        ));
    }
    info.check(c)
        .err()
        .map(|m| format!("({name} …) {m}: {}", info.signature))
}

/// The calls in `parsed` (parsed from `text`) that name no function or misuse
/// one (arity, attributes, parent), with the byte offset of the call's name:
/// the same checks as the lint, for flagging an expression while it is typed.
pub fn call_problems(text: &str, parsed: &Expr) -> Vec<(usize, String)> {
    fn walk(
        e: &Expr,
        parent: &str,
        offsets: &mut std::slice::Iter<usize>,
        out: &mut Vec<(usize, String)>,
    ) {
        let Expr::Call(c) = e else { return };
        let offset = offsets.next().copied().unwrap_or(0);
        match expr::function(&c.name) {
            Some(info) => {
                if let Some(problem) = misuse(c, info, parent) {
                    out.push((offset, problem));
                }
            }
            None => {
                let hint = closest(&c.name, expr::functions().iter().map(|f| f.name))
                    .map(|n| format!(" (did you mean \"{n}\"?)"))
                    .unwrap_or_default();
                out.push((offset, format!("unknown function \"{}\"{hint}", c.name)));
            }
        }
        for a in &c.args {
            walk(a, &c.name, offsets, out);
        }
    }
    let (calls, _) = token_offsets(text);
    let mut out = Vec::new();
    walk(parsed, "", &mut calls.iter(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_of_paths() {
        assert_eq!(root_name("user.email"), "user");
        assert_eq!(root_name("accounts[0].name"), "accounts");
        assert_eq!(root_name("x"), "x");
    }

    #[test]
    fn token_offsets_skip_strings() {
        let text = r#"(concat "($x" $y (ref "z") ${a b})"#;
        let (calls, refs) = token_offsets(text);
        assert_eq!(calls, vec![1, 18]);
        assert_eq!(
            refs.iter().map(|&r| &text[r..r + 2]).collect::<Vec<_>>(),
            ["$y", "${"]
        );
    }
}
