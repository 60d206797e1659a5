//! Who calls a rule, found through the expression AST (never a text search):
//! `(rule name="R" …)` and the computed-name form with a literal first child
//! (`(rule "R" …)`). Renaming rewrites exactly those calls.
//!
//! Invariants: an expression that does not parse is never rewritten (it is
//! left as typed); an expression is re-printed (canonical text) only when one
//! of its calls changed.

use crate::expr::{Expr, parse, print};
use crate::model::{ActionKind, Rule, TaskDefinition};

/// The literal rule name a `rule` call names, and where it sits.
fn rule_name_mut(c: &mut crate::expr::Call) -> Option<&mut String> {
    if let Some(i) = c.attrs.iter().position(|(k, _)| k == "name") {
        return Some(&mut c.attrs[i].1);
    }
    c.args.iter_mut().find_map(|a| match a {
        Expr::Call(x) if x.name == "argument" => None,
        Expr::Str(s) => Some(s),
        _ => None,
    })
}

fn visit(e: &mut Expr, f: &mut dyn FnMut(&mut String)) {
    if let Expr::Call(c) = e {
        if c.name == "rule"
            && let Some(name) = rule_name_mut(c)
        {
            f(name);
        }
        for a in &mut c.args {
            visit(a, f);
        }
    }
}

/// Whether the expression `text` calls the rule `name` by a literal name.
pub fn calls_rule(text: &str, name: &str) -> bool {
    count_calls(text, name) > 0
}

/// How many calls of the rule `name` (by a literal name) the expression `text` makes.
pub fn count_calls(text: &str, name: &str) -> usize {
    let Ok(mut e) = parse(text) else {
        return 0;
    };
    let mut found = 0;
    visit(&mut e, &mut |n| found += usize::from(n == name));
    found
}

/// How many calls of rule `name` a rewritten caller makes (in all its expressions).
pub fn caller_calls(caller: &super::rule::Caller, name: &str) -> usize {
    let mut n = 0;
    let mut count = |t: &mut String| n += count_calls(t, name);
    match caller.clone() {
        super::rule::Caller::Workflow(mut d) => workflow_exprs_mut(&mut d, &mut count),
        super::rule::Caller::Rule(mut r) => rule_exprs_mut(&mut r, &mut count),
    }
    n
}

/// `text` with every call of rule `old` renamed to `new`; `None` when it has none.
pub fn rename_calls(text: &str, old: &str, new: &str) -> Option<String> {
    let mut e = parse(text).ok()?;
    let mut changed = 0;
    visit(&mut e, &mut |n| {
        if n == old {
            *n = new.to_string();
            changed += 1;
        }
    });
    (changed > 0).then(|| print(&e))
}

/// Every expression of a workflow, mutably (variables, conditions, action
/// expressions, arguments, owners, requests, argv, transition conditions).
pub fn workflow_exprs_mut(def: &mut TaskDefinition, f: &mut dyn FnMut(&mut String)) {
    let vars = |vs: &mut Vec<crate::model::Variable>, f: &mut dyn FnMut(&mut String)| {
        vs.iter_mut().filter_map(|v| v.value.as_mut()).for_each(f)
    };
    vars(&mut def.process.variables, f);
    for act in &mut def.process.activities {
        vars(&mut act.variables, f);
        for t in &mut act.transitions {
            t.condition.iter_mut().for_each(&mut *f);
        }
        for x in &mut act.actions {
            x.condition.iter_mut().for_each(&mut *f);
            vars(&mut x.variables, f);
            match &mut x.kind {
                ActionKind::Expression { expression } => f(expression),
                ActionKind::Service { arguments, .. }
                | ActionKind::Subprocess { arguments, .. } => {
                    arguments.iter_mut().for_each(|a| f(&mut a.value))
                }
                ActionKind::Manual(m) => {
                    m.owners.iter_mut().for_each(&mut *f);
                    m.request.iter_mut().for_each(&mut *f);
                }
                ActionKind::Command(c) => c.argv.iter_mut().for_each(&mut *f),
                ActionKind::Unsupported { .. } => {}
            }
        }
    }
}

/// Every expression of a rule: its body and its arguments' defaults.
pub fn rule_exprs_mut(rule: &mut Rule, f: &mut dyn FnMut(&mut String)) {
    f(&mut rule.body);
    for a in &mut rule.arguments {
        a.value.iter_mut().for_each(&mut *f);
    }
}

/// Whether any expression of the workflow calls rule `name`.
pub fn workflow_calls(def: &TaskDefinition, name: &str) -> bool {
    let mut copy = def.clone();
    let mut found = false;
    workflow_exprs_mut(&mut copy, &mut |t| found |= calls_rule(t, name));
    found
}

/// Whether any expression of the rule calls rule `name`.
pub fn rule_calls(rule: &Rule, name: &str) -> bool {
    let mut copy = rule.clone();
    let mut found = false;
    rule_exprs_mut(&mut copy, &mut |t| found |= calls_rule(t, name));
    found
}

/// Rewrite every expression `walk` reaches that calls `old`; true when any changed.
fn rename_each(walk: impl FnOnce(&mut dyn FnMut(&mut String)), old: &str, new: &str) -> bool {
    let mut changed = false;
    walk(&mut |t| {
        if let Some(n) = rename_calls(t, old, new) {
            *t = n;
            changed = true;
        }
    });
    changed
}

/// Rename the calls of `old` in a workflow; true when any changed.
pub fn rename_in_workflow(def: &mut TaskDefinition, old: &str, new: &str) -> bool {
    rename_each(|f| workflow_exprs_mut(def, f), old, new)
}

/// Rename the calls of `old` in a rule; true when any changed.
pub fn rename_in_rule(rule: &mut Rule, old: &str, new: &str) -> bool {
    rename_each(|f| rule_exprs_mut(rule, f), old, new)
}
