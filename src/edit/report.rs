//! What the status line says after an edit: what happened, by name, in the past
//! tense ("renamed Manager Approval -> Hiring Manager Approval, 2 references
//! updated"), computed from the definition as it was before the edit.
//!
//! Invariants: names are escaped (`model::escape_name`); the text never depends
//! on the definition after the edit except through the edit itself, so it is
//! the same for the edit and its redo.

use crate::model::TaskDefinition;

use super::{Edit, ElementRef, Prop, vars};

fn esc(s: &str) -> String {
    crate::model::escape_name(s).into_owned()
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `activity A`, `action "Notify" of A`, `transition A -> B`, `variable x`, `the workflow`.
pub fn element(def: &TaskDefinition, target: ElementRef) -> String {
    let acts = &def.process.activities;
    let act = |a: usize| {
        acts.get(a)
            .map(|x| esc(&x.name))
            .unwrap_or_else(|| "?".into())
    };
    match target {
        ElementRef::Definition => "the workflow".into(),
        ElementRef::Activity(a) => format!("activity {}", act(a)),
        ElementRef::Action(a, i) => {
            let name = acts
                .get(a)
                .and_then(|x| x.actions.get(i))
                .map(|x| esc(&x.name))
                .unwrap_or_default();
            if name.is_empty() {
                format!("action #{} of {}", i + 1, act(a))
            } else {
                format!("action {name} of {}", act(a))
            }
        }
        ElementRef::Transition(a, i) => {
            let to = acts
                .get(a)
                .and_then(|x| x.transitions.get(i))
                .map(|t| esc(&t.to))
                .unwrap_or_else(|| "?".into());
            format!("transition {} -> {to}", act(a))
        }
        ElementRef::Variable(scope, i) => {
            let name = vars(def, scope)
                .and_then(|v| v.get(i))
                .map(|v| esc(&v.name))
                .unwrap_or_else(|| "?".into());
            format!("variable {name}")
        }
    }
}

/// An activity's rename and the transitions that followed it.
fn renamed(before: &TaskDefinition, activity: usize, name: &str) -> String {
    let acts = &before.process.activities;
    let old = acts.get(activity).map(|a| a.name.as_str()).unwrap_or("?");
    let refs = acts
        .iter()
        .flat_map(|a| &a.transitions)
        .filter(|t| t.to == old)
        .count();
    format!(
        "renamed {} -> {}, {} updated",
        esc(old),
        esc(name.trim()),
        plural(refs, "reference")
    )
}

/// The status line after `edit` was applied to `before`.
pub fn done(edit: &Edit, before: &TaskDefinition) -> String {
    let acts = &before.process.activities;
    match edit {
        Edit::RenameActivity { activity, name } => renamed(before, *activity, name),
        Edit::SetField {
            target: ElementRef::Activity(activity),
            field,
            value,
        } if field.is(Prop::Name) => renamed(before, *activity, value),
        Edit::Delete(ElementRef::Activity(a)) => {
            let name = acts.get(*a).map(|x| x.name.as_str()).unwrap_or("?");
            let into = acts
                .iter()
                .flat_map(|x| &x.transitions)
                .filter(|t| t.to == name)
                .count();
            if into == 0 {
                format!("deleted activity {}", esc(name))
            } else {
                format!(
                    "deleted activity {} and {} into it",
                    esc(name),
                    plural(into, "transition")
                )
            }
        }
        Edit::Delete(target) => format!("deleted {}", element(before, *target)),
        Edit::SetField { target, field, .. } => {
            format!("set {field} of {}", element(before, *target))
        }
        Edit::AddActivity { activity, .. } => format!("added activity {}", esc(&activity.name)),
        Edit::AddAction {
            activity, action, ..
        } => format!(
            "added {} action {} to {}",
            action.kind.label(),
            esc(&action.name),
            element(before, ElementRef::Activity(*activity))
        ),
        Edit::AddTransition {
            activity,
            transition,
            ..
        } => format!(
            "connected {} -> {}",
            acts.get(*activity)
                .map(|x| esc(&x.name))
                .unwrap_or_default(),
            esc(&transition.to)
        ),
        Edit::AddVariable { variable, .. } => format!("added variable {}", esc(&variable.name)),
        Edit::Move { target, delta } => format!(
            "moved {} {}",
            element(before, *target),
            if *delta < 0 { "earlier" } else { "later" }
        ),
        Edit::AddItem { action, .. } | Edit::RemoveItem { action, .. } => format!(
            "{} ({})",
            edit.describe()
                .replacen("add ", "added ", 1)
                .replacen("remove ", "removed ", 1),
            element(before, ElementRef::Action(action.0, action.1))
        ),
        Edit::Replace(_) => "replaced the whole workflow".into(),
        Edit::Batch(edits) => edits.first().map(|e| done(e, before)).unwrap_or_default(),
    }
}
