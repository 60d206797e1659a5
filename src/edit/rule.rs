//! The rule editor's document and edits: a [`Rule`] together with the
//! workflows and rules a rename rewrote ([`RuleDoc::callers`]), so that a rename
//! and every caller it updated are one step on the one [`super::CommandStack`].
//!
//! Invariants: the body and argument defaults are stored in canonical text and
//! only when they parse; argument names are identifiers, unique in the rule;
//! a rename is refused when another rule already has the name, and it rewrites
//! callers through the expression AST (`callers`), never by text search.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::model::{Rule, RuleArgument, TaskDefinition};
use crate::repo::Repository;

use super::callers;
use super::set_field::{canonical_expr, opt_expr, parse_bool};
use super::workflow::check_identifier;
use super::{Document, EditError, fail, gone};

/// A workflow or rule a rename rewrote, by its file (relative to the root).
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    Workflow(TaskDefinition),
    Rule(Rule),
}

impl Caller {
    pub fn name(&self) -> &str {
        match self {
            Caller::Workflow(d) => &d.name,
            Caller::Rule(r) => &r.name,
        }
    }
}

/// What the rule editor edits.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDoc {
    pub rule: Rule,
    /// Callers rewritten by renames, as they are now (saved with the rule).
    pub callers: BTreeMap<PathBuf, Caller>,
}

impl RuleDoc {
    pub fn new(rule: Rule) -> RuleDoc {
        RuleDoc {
            rule,
            callers: BTreeMap::new(),
        }
    }
}

/// One editable field of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleField {
    Description,
    Body,
    LocalScope,
    ArgName(usize),
    ArgDefault(usize),
    ArgLocked(usize),
    ArgComment(usize),
}

impl RuleField {
    pub fn label(self, rule: &Rule) -> String {
        let arg = |i: usize| {
            rule.arguments
                .get(i)
                .map(|a| crate::model::escape_name(&a.name).into_owned())
                .unwrap_or_else(|| "?".into())
        };
        match self {
            RuleField::Description => "description".into(),
            RuleField::Body => "body".into(),
            RuleField::LocalScope => "localScope".into(),
            RuleField::ArgName(i) => format!("name of argument {}", arg(i)),
            RuleField::ArgDefault(i) => format!("default of argument {}", arg(i)),
            RuleField::ArgLocked(i) => format!("locked of argument {}", arg(i)),
            RuleField::ArgComment(i) => format!("comment of argument {}", arg(i)),
        }
    }

    /// The field's value as text (what an edit field starts from).
    pub fn value(self, rule: &Rule) -> Option<String> {
        let a = |i: usize| rule.arguments.get(i);
        Some(match self {
            RuleField::Description => rule.description.clone(),
            RuleField::Body => rule.body.clone(),
            RuleField::LocalScope => rule.local_scope.to_string(),
            RuleField::ArgName(i) => a(i)?.name.clone(),
            RuleField::ArgDefault(i) => a(i)?.value.clone().unwrap_or_default(),
            RuleField::ArgLocked(i) => a(i)?.locked.to_string(),
            RuleField::ArgComment(i) => a(i)?.comment.clone(),
        })
    }
}

/// An edit of a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleEdit {
    /// Set one field from its text form.
    Set { field: RuleField, value: String },
    /// Declare a new argument `name` at `at`.
    AddArgument { at: usize, name: String },
    /// Remove argument `at`.
    DeleteArgument(usize),
    /// Rename the rule; `callers` are the rewritten workflows and rules
    /// (see [`plan_rename`]).
    Rename {
        name: String,
        callers: Vec<(PathBuf, Caller)>,
    },
    /// Replace the whole rule (the version on disk taken in a conflict, a
    /// recovery copy restored); `why` ends the status sentence.
    Replace { rule: Box<Rule>, why: &'static str },
}

impl Document for RuleDoc {
    type Edit = RuleEdit;
    type Selection = Option<RuleField>;

    fn apply_edit(&mut self, edit: &RuleEdit) -> Result<Option<RuleField>, EditError> {
        let mut work = self.clone();
        let sel = apply(&mut work, edit)?;
        *self = work;
        Ok(sel)
    }

    fn done_text(edit: &RuleEdit, before: &RuleDoc) -> String {
        let esc = |s: &str| crate::model::escape_name(s).into_owned();
        match edit {
            RuleEdit::Set { field, .. } => format!(
                "set {} of rule {}",
                field.label(&before.rule),
                esc(&before.rule.name)
            ),
            RuleEdit::AddArgument { name, .. } => format!("added argument {}", esc(name)),
            RuleEdit::DeleteArgument(i) => format!(
                "deleted argument {}",
                before
                    .rule
                    .arguments
                    .get(*i)
                    .map(|a| esc(&a.name))
                    .unwrap_or_default()
            ),
            RuleEdit::Rename { name, callers } => {
                let n = callers.len();
                let refs: usize = callers
                    .iter()
                    .map(|(_, c)| callers::caller_calls(c, name.trim()))
                    .sum();
                format!(
                    "renamed rule {} -> {}: {refs} reference{} in {n} caller{} updated",
                    esc(&before.rule.name),
                    esc(name.trim()),
                    if refs == 1 { "" } else { "s" },
                    if n == 1 { "" } else { "s" }
                )
            }
            RuleEdit::Replace { why, .. } => {
                format!("{why} of rule {}", esc(&before.rule.name))
            }
        }
    }
}

fn apply(doc: &mut RuleDoc, edit: &RuleEdit) -> Result<Option<RuleField>, EditError> {
    let rule = &mut doc.rule;
    match edit {
        RuleEdit::Set { field, value } => {
            set(rule, *field, value)?;
            Ok(Some(*field))
        }
        RuleEdit::AddArgument { at, name } => {
            let name = name.trim();
            check_identifier(name)?;
            if rule.arguments.iter().any(|a| a.name == name) {
                return fail(format!("there is already an argument {name:?}"));
            }
            let at = (*at).min(rule.arguments.len());
            rule.arguments.insert(
                at,
                RuleArgument {
                    name: name.to_string(),
                    ..Default::default()
                },
            );
            Ok(Some(RuleField::ArgName(at)))
        }
        RuleEdit::DeleteArgument(i) => {
            if *i >= rule.arguments.len() {
                return gone();
            }
            rule.arguments.remove(*i);
            Ok(match rule.arguments.len() {
                0 => Some(RuleField::Body),
                n => Some(RuleField::ArgName((*i).min(n - 1))),
            })
        }
        RuleEdit::Rename { name, callers } => {
            let name = name.trim();
            if name.is_empty() {
                return fail("a rule needs a name");
            }
            let old = std::mem::replace(&mut rule.name, name.to_string());
            callers::rename_in_rule(rule, &old, name);
            for (path, caller) in callers {
                doc.callers.insert(path.clone(), caller.clone());
            }
            Ok(None)
        }
        RuleEdit::Replace { rule: new, .. } => {
            *rule = (**new).clone();
            Ok(None)
        }
    }
}

fn set(rule: &mut Rule, field: RuleField, value: &str) -> Result<(), EditError> {
    match field {
        RuleField::Description => rule.description = value.to_string(),
        RuleField::Body => rule.body = canonical_expr(value)?,
        RuleField::LocalScope => rule.local_scope = parse_bool(value)?,
        RuleField::ArgName(i) => {
            let v = value.trim();
            check_identifier(v)?;
            if rule
                .arguments
                .iter()
                .enumerate()
                .any(|(j, a)| j != i && a.name == v)
            {
                return fail(format!("there is already an argument {v:?}"));
            }
            argument(rule, i)?.name = v.to_string();
        }
        RuleField::ArgDefault(i) => argument(rule, i)?.value = opt_expr(value)?,
        RuleField::ArgLocked(i) => argument(rule, i)?.locked = parse_bool(value)?,
        RuleField::ArgComment(i) => argument(rule, i)?.comment = value.to_string(),
    }
    Ok(())
}

fn argument(rule: &mut Rule, i: usize) -> Result<&mut RuleArgument, EditError> {
    rule.arguments
        .get_mut(i)
        .ok_or(EditError("the argument no longer exists".into()))
}

/// Who calls a rule: a workflow or another rule, by name and file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedBy {
    pub workflow: bool,
    pub name: String,
    pub path: PathBuf,
}

/// The workflows and other rules of `repo` that call rule `name`, workflows
/// first, each sorted by name. `rule_path` is the rule's own file (skipped).
pub fn used_by(repo: &Repository, name: &str, rule_path: &std::path::Path) -> Vec<UsedBy> {
    let mut out: Vec<UsedBy> = repo
        .definitions
        .iter()
        .filter(|d| callers::workflow_calls(&d.value, name))
        .map(|d| UsedBy {
            workflow: true,
            name: d.value.name.clone(),
            path: d.path.clone(),
        })
        .collect();
    out.extend(
        repo.rules
            .iter()
            .filter(|r| r.path != rule_path && callers::rule_calls(&r.value, name))
            .map(|r| UsedBy {
                workflow: false,
                name: r.value.name.clone(),
                path: r.path.clone(),
            }),
    );
    out.sort_by(|a, b| {
        (!a.workflow, a.name.to_lowercase()).cmp(&(!b.workflow, b.name.to_lowercase()))
    });
    out
}

/// The rename of the rule in `doc` (whose file is `rule_path`) to `new`, with
/// every workflow and other rule of `repo` that calls it rewritten — starting
/// from the version `doc` already holds for a caller an earlier rename touched.
pub fn plan_rename(
    doc: &RuleDoc,
    repo: &Repository,
    rule_path: &std::path::Path,
    new: &str,
) -> Result<RuleEdit, EditError> {
    let new = new.trim();
    let old = doc.rule.name.as_str();
    if new.is_empty() {
        return fail("a rule needs a name");
    }
    if new == old {
        return fail("that is already its name");
    }
    let clash = repo
        .rules
        .iter()
        .any(|r| r.path != rule_path && r.value.name == new)
        || repo
            .libraries
            .iter()
            .any(|l| l.value.qualified_rules().any(|r| r.name == new));
    if clash {
        return fail(format!("there is already a rule {new:?}"));
    }
    let mut out = Vec::new();
    for d in &repo.definitions {
        let mut def = match doc.callers.get(&d.path) {
            Some(Caller::Workflow(w)) => w.clone(),
            _ => d.value.clone(),
        };
        if callers::rename_in_workflow(&mut def, old, new) {
            out.push((d.path.clone(), Caller::Workflow(def)));
        }
    }
    for r in repo.rules.iter().filter(|r| r.path != rule_path) {
        let mut rule = match doc.callers.get(&r.path) {
            Some(Caller::Rule(x)) => x.clone(),
            _ => r.value.clone(),
        };
        if callers::rename_in_rule(&mut rule, old, new) {
            out.push((r.path.clone(), Caller::Rule(rule)));
        }
    }
    Ok(RuleEdit::Rename {
        name: new.to_string(),
        callers: out,
    })
}
