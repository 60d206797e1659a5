//! Positions of a workflow's elements: [`ElementRef`] names one element by
//! index, [`VarScope`] one variable list. Pure data over `model`.
//!
//! Invariant: a reference is only a position; [`ElementRef::exists`] says
//! whether it still names something after an edit.

use crate::model::{TaskDefinition, Variable};

/// Where a variable list lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarScope {
    Process,
    Activity(usize),
    Action(usize, usize),
}

/// One element of a definition, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElementRef {
    Definition,
    Activity(usize),
    Action(usize, usize),
    Transition(usize, usize),
    Variable(VarScope, usize),
}

impl ElementRef {
    /// The activity this element belongs to (for the diagram's selection).
    pub fn activity(self) -> Option<usize> {
        match self {
            ElementRef::Definition => None,
            ElementRef::Activity(a) | ElementRef::Action(a, _) | ElementRef::Transition(a, _) => {
                Some(a)
            }
            ElementRef::Variable(VarScope::Process, _) => None,
            ElementRef::Variable(VarScope::Activity(a), _)
            | ElementRef::Variable(VarScope::Action(a, _), _) => Some(a),
        }
    }

    /// The element one level up (Esc in the properties pane).
    pub fn parent(self) -> ElementRef {
        match self {
            ElementRef::Definition | ElementRef::Activity(_) => ElementRef::Definition,
            ElementRef::Action(a, _) | ElementRef::Transition(a, _) => ElementRef::Activity(a),
            ElementRef::Variable(VarScope::Process, _) => ElementRef::Definition,
            ElementRef::Variable(VarScope::Activity(a), _) => ElementRef::Activity(a),
            ElementRef::Variable(VarScope::Action(a, i), _) => ElementRef::Action(a, i),
        }
    }

    /// Whether the element exists in `def`.
    pub fn exists(self, def: &TaskDefinition) -> bool {
        let acts = &def.process.activities;
        match self {
            ElementRef::Definition => true,
            ElementRef::Activity(a) => a < acts.len(),
            ElementRef::Action(a, i) => acts.get(a).is_some_and(|x| i < x.actions.len()),
            ElementRef::Transition(a, i) => acts.get(a).is_some_and(|x| i < x.transitions.len()),
            ElementRef::Variable(scope, i) => vars(def, scope).is_some_and(|v| i < v.len()),
        }
    }

    /// JSON pointer of the element in the definition's file.
    pub fn pointer(self) -> String {
        match self {
            ElementRef::Definition => String::new(),
            ElementRef::Activity(a) => format!("/process/activities/{a}"),
            ElementRef::Action(a, i) => format!("/process/activities/{a}/actions/{i}"),
            ElementRef::Transition(a, i) => format!("/process/activities/{a}/transitions/{i}"),
            ElementRef::Variable(VarScope::Process, i) => format!("/process/variables/{i}"),
            ElementRef::Variable(VarScope::Activity(a), i) => {
                format!("/process/activities/{a}/variables/{i}")
            }
            ElementRef::Variable(VarScope::Action(a, x), i) => {
                format!("/process/activities/{a}/actions/{x}/variables/{i}")
            }
        }
    }

    /// The element as JSON (for copying).
    pub fn to_json(self, def: &TaskDefinition) -> Option<String> {
        let acts = &def.process.activities;
        let value = match self {
            ElementRef::Definition => serde_json::to_value(def),
            ElementRef::Activity(a) => serde_json::to_value(acts.get(a)?),
            ElementRef::Action(a, i) => serde_json::to_value(acts.get(a)?.actions.get(i)?),
            ElementRef::Transition(a, i) => serde_json::to_value(acts.get(a)?.transitions.get(i)?),
            ElementRef::Variable(scope, i) => serde_json::to_value(vars(def, scope)?.get(i)?),
        };
        value
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
    }
}

pub fn vars(def: &TaskDefinition, scope: VarScope) -> Option<&Vec<Variable>> {
    match scope {
        VarScope::Process => Some(&def.process.variables),
        VarScope::Activity(a) => def.process.activities.get(a).map(|x| &x.variables),
        VarScope::Action(a, i) => def
            .process
            .activities
            .get(a)
            .and_then(|x| x.actions.get(i))
            .map(|x| &x.variables),
    }
}

pub(crate) fn vars_mut(def: &mut TaskDefinition, scope: VarScope) -> Option<&mut Vec<Variable>> {
    match scope {
        VarScope::Process => Some(&mut def.process.variables),
        VarScope::Activity(a) => def.process.activities.get_mut(a).map(|x| &mut x.variables),
        VarScope::Action(a, i) => def
            .process
            .activities
            .get_mut(a)
            .and_then(|x| x.actions.get_mut(i))
            .map(|x| &mut x.variables),
    }
}
