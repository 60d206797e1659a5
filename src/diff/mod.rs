//! Semantic diff of two versions of a TaskDefinition: what changed in its
//! variables, activities, actions and transitions, never a line diff. Used by
//! `bpe diff` (and meant for the TUI's diff view); format in `docs/diff.md`.
//!
//! Invariants:
//! - Activities are matched by id: the same id under another name is one
//!   `renamed` change (plus its other changes), never a removal and an addition.
//! - Transitions are matched by the id of their target activity (and their
//!   rank among transitions to the same target), so renaming a target changes
//!   no transition. A changed order of the remaining transitions is reported
//!   (the first matching transition wins).
//! - Actions have no ids: identical actions are aligned first (longest common
//!   subsequence), the others are paired in order between those anchors.
//! - Variables are matched by name in their scope (case, activity, action); a
//!   removed and an added variable at the same position with otherwise equal
//!   declarations are one `renamed` change.
//! - Expressions are compared as trees (`diff::expr`): formatting is no change,
//!   and a change names the smallest differing sub-expressions.
//! - Equal definitions give an empty diff; the diff of a definition with
//!   itself is always empty. Bounded: the action alignment is quadratic only up
//!   to [`MAX_ALIGN_CELLS`], beyond that actions are paired in order.
//!
//! This module is core: it never imports the UI.

mod align;
pub mod expr;
mod render;
pub mod source;

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value as J};

use crate::model::{Activity, TaskDefinition, Variable};
use align::align;
pub use expr::ExprDelta;
pub use render::{render_change, render_text};

/// Above this many cells (old actions × new actions of one activity) actions are
/// paired in order instead of aligned.
pub const MAX_ALIGN_CELLS: usize = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Renamed,
    Changed,
}

/// What kind of object changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Object {
    Definition,
    Variable,
    Activity,
    Action,
    Transition,
}

/// Where a change is. Names are those of the new version (of the old one for
/// what was removed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    /// Index of the action in its activity (0-based, as work items count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_name: Option<String>,
    /// Name of the transition's target activity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub change: ChangeKind,
    pub object: Object,
    pub at: Location,
    /// The field that changed (`condition`, `andJoin`, `arguments.subject`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Old value, name or summary as text (`None` for an addition).
    pub old: Option<String>,
    pub new: Option<String>,
    /// For an expression field: the smallest changed sub-expressions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<ExprDelta>,
}

/// Every change from one version to another, in the new version's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DefinitionDiff {
    pub changes: Vec<Change>,
}

impl DefinitionDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// The fields holding one expression.
const EXPR_FIELDS: &[&str] = &["condition", "expression", "request", "value"];
/// The fields holding a list of expressions.
const EXPR_LIST_FIELDS: &[&str] = &["owners", "argv"];

/// The changes from `old` to `new`.
pub fn diff(old: &TaskDefinition, new: &TaskDefinition) -> DefinitionDiff {
    let mut d = Differ { out: Vec::new() };
    let top = Location::default();
    let (o, n) = (object(old), object(new));
    d.fields(&o, &n, &["process"], "", Object::Definition, &top);
    let (op, np) = (object(&old.process), object(&new.process));
    d.fields(
        &op,
        &np,
        &["variables", "activities"],
        "process.",
        Object::Definition,
        &top,
    );
    d.variables(&old.process.variables, &new.process.variables, &top);
    d.activities(old, new);
    DefinitionDiff { changes: d.out }
}

struct Differ {
    out: Vec<Change>,
}

impl Differ {
    fn push(
        &mut self,
        change: ChangeKind,
        object: Object,
        at: &Location,
        field: Option<&str>,
        old: Option<String>,
        new: Option<String>,
    ) {
        self.out.push(Change {
            change,
            object,
            at: at.clone(),
            field: field.map(str::to_string),
            old,
            new,
            expression: Vec::new(),
        });
    }

    /// Field-by-field comparison of two JSON objects, `skip` left out.
    fn fields(
        &mut self,
        old: &Map<String, J>,
        new: &Map<String, J>,
        skip: &[&str],
        prefix: &str,
        object: Object,
        at: &Location,
    ) {
        let mut keys: Vec<&String> = old.keys().collect();
        keys.extend(new.keys().filter(|k| !old.contains_key(*k)));
        for key in keys {
            if skip.contains(&key.as_str()) {
                continue;
            }
            let (a, b) = (old.get(key), new.get(key));
            if a == b {
                continue;
            }
            let field = format!("{prefix}{key}");
            if EXPR_FIELDS.contains(&key.as_str()) {
                self.expression(object, at, &field, a.map(text), b.map(text));
            } else if key == "arguments" {
                self.arguments(object, at, &field, a, b);
            } else if EXPR_LIST_FIELDS.contains(&key.as_str()) {
                let (la, lb) = (list(a), list(b));
                for i in 0..la.len().max(lb.len()) {
                    let f = format!("{field}[{i}]");
                    self.expression(object, at, &f, la.get(i).map(text), lb.get(i).map(text));
                }
            } else {
                self.push(
                    ChangeKind::Changed,
                    object,
                    at,
                    Some(&field),
                    a.map(text),
                    b.map(text),
                );
            }
        }
    }

    fn expression(
        &mut self,
        object: Object,
        at: &Location,
        field: &str,
        old: Option<String>,
        new: Option<String>,
    ) {
        let deltas = match (&old, &new) {
            (Some(a), Some(b)) => {
                let d = expr::diff_texts(a, b);
                if d.is_empty() {
                    return;
                }
                d
            }
            (None, None) => return,
            _ => Vec::new(),
        };
        self.push(ChangeKind::Changed, object, at, Some(field), old, new);
        if let Some(last) = self.out.last_mut() {
            last.expression = deltas;
        }
    }

    /// Named arguments, matched by name; each value is an expression.
    fn arguments(
        &mut self,
        object: Object,
        at: &Location,
        field: &str,
        old: Option<&J>,
        new: Option<&J>,
    ) {
        let named = |v: Option<&J>| -> Vec<(String, String)> {
            list(v)
                .iter()
                .map(|a| {
                    let get = |k: &str| a.get(k).map(text).unwrap_or_default();
                    (get("name"), get("value"))
                })
                .collect()
        };
        let (oa, na) = (named(old), named(new));
        for (name, value) in &oa {
            let now = na.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
            let f = format!("{field}.{name}");
            self.expression(object, at, &f, Some(value.clone()), now);
        }
        for (name, value) in na.iter().filter(|(n, _)| !oa.iter().any(|(o, _)| o == n)) {
            let f = format!("{field}.{name}");
            self.expression(object, at, &f, None, Some(value.clone()));
        }
    }

    fn variables(&mut self, old: &[Variable], new: &[Variable], scope: &Location) {
        let at = |name: &str| Location {
            variable: Some(name.to_string()),
            ..scope.clone()
        };
        let removed: Vec<(usize, &Variable)> = old
            .iter()
            .enumerate()
            .filter(|(_, v)| !new.iter().any(|n| n.name == v.name))
            .collect();
        let mut renamed_from: HashMap<usize, &Variable> = HashMap::new();
        for (i, v) in new.iter().enumerate() {
            if old.iter().any(|o| o.name == v.name) {
                continue;
            }
            if let Some((_, o)) = removed.iter().find(|(j, o)| {
                *j == i
                    && Variable {
                        name: v.name.clone(),
                        ..(*o).clone()
                    } == *v
            }) {
                renamed_from.insert(i, o);
            }
        }
        for (i, v) in new.iter().enumerate() {
            if let Some(o) = old.iter().find(|o| o.name == v.name) {
                self.fields(
                    &object(o),
                    &object(v),
                    &["name"],
                    "",
                    Object::Variable,
                    &at(&v.name),
                );
            } else if let Some(o) = renamed_from.get(&i) {
                let old_name = Some(o.name.clone());
                let new_name = Some(v.name.clone());
                self.push(
                    ChangeKind::Renamed,
                    Object::Variable,
                    &at(&v.name),
                    None,
                    old_name,
                    new_name,
                );
            } else {
                let value = Some(v.value.clone().unwrap_or_default());
                self.push(
                    ChangeKind::Added,
                    Object::Variable,
                    &at(&v.name),
                    None,
                    None,
                    value,
                );
            }
        }
        for (_, o) in removed {
            if renamed_from.values().any(|r| r.name == o.name) {
                continue;
            }
            let value = Some(o.value.clone().unwrap_or_default());
            self.push(
                ChangeKind::Removed,
                Object::Variable,
                &at(&o.name),
                None,
                value,
                None,
            );
        }
    }

    fn activities(&mut self, old: &TaskDefinition, new: &TaskDefinition) {
        let at = |a: &Activity| Location {
            activity_id: Some(a.id.clone()),
            activity: Some(a.name.clone()),
            ..Location::default()
        };
        for a in &new.process.activities {
            let Some(o) = old.process.activity_by_id(&a.id) else {
                let summary = Some(a.name.clone());
                self.push(
                    ChangeKind::Added,
                    Object::Activity,
                    &at(a),
                    None,
                    None,
                    summary,
                );
                continue;
            };
            let loc = at(a);
            if o.name != a.name {
                let names = (Some(o.name.clone()), Some(a.name.clone()));
                self.push(
                    ChangeKind::Renamed,
                    Object::Activity,
                    &loc,
                    None,
                    names.0,
                    names.1,
                );
            }
            let skip = ["id", "name", "variables", "actions", "transitions"];
            self.fields(&object(o), &object(a), &skip, "", Object::Activity, &loc);
            self.variables(&o.variables, &a.variables, &loc);
            self.actions(o, a, &loc);
            self.transitions(old, o, new, a, &loc);
        }
        for o in &old.process.activities {
            if new.process.activity_by_id(&o.id).is_none() {
                let summary = Some(o.name.clone());
                self.push(
                    ChangeKind::Removed,
                    Object::Activity,
                    &at(o),
                    None,
                    summary,
                    None,
                );
            }
        }
    }

    fn actions(&mut self, old: &Activity, new: &Activity, scope: &Location) {
        let oj: Vec<J> = old.actions.iter().map(|a| J::Object(object(a))).collect();
        let nj: Vec<J> = new.actions.iter().map(|a| J::Object(object(a))).collect();
        let pairs = align(&oj, &nj);
        let at = |i: usize, name: &str| Location {
            action: Some(i),
            action_name: (!name.is_empty()).then(|| name.to_string()),
            ..scope.clone()
        };
        let summary = |a: &crate::model::Action| {
            if a.name.is_empty() {
                a.kind.label().to_string()
            } else {
                format!("{} {:?}", a.kind.label(), a.name)
            }
        };
        for (j, a) in new.actions.iter().enumerate() {
            match pairs.iter().find(|(_, n)| *n == j) {
                Some(&(i, _)) => {
                    let o = &old.actions[i];
                    let name = if a.name.is_empty() { &o.name } else { &a.name };
                    let loc = at(j, name);
                    let (oo, no) = (object(o), object(a));
                    self.fields(&oo, &no, &["variables"], "", Object::Action, &loc);
                    self.variables(&o.variables, &a.variables, &loc);
                }
                None => {
                    let s = Some(summary(a));
                    self.push(
                        ChangeKind::Added,
                        Object::Action,
                        &at(j, &a.name),
                        None,
                        None,
                        s,
                    );
                }
            }
        }
        for (i, o) in old.actions.iter().enumerate() {
            if !pairs.iter().any(|(p, _)| *p == i) {
                let s = Some(summary(o));
                self.push(
                    ChangeKind::Removed,
                    Object::Action,
                    &at(i, &o.name),
                    None,
                    s,
                    None,
                );
            }
        }
    }

    fn transitions(
        &mut self,
        old_def: &TaskDefinition,
        old: &Activity,
        new_def: &TaskDefinition,
        new: &Activity,
        scope: &Location,
    ) {
        let ok = transition_keys(old_def, old);
        let nk = transition_keys(new_def, new);
        let at = |to: &str| Location {
            transition: Some(to.to_string()),
            ..scope.clone()
        };
        let describe = |t: &crate::model::Transition| match &t.condition {
            Some(c) => format!("{} when {c}", t.to),
            None => t.to.clone(),
        };
        for (j, t) in new.transitions.iter().enumerate() {
            match ok.iter().position(|k| *k == nk[j]) {
                Some(i) => {
                    let o = &old.transitions[i];
                    let (oo, no) = (object(o), object(t));
                    self.fields(&oo, &no, &["to"], "", Object::Transition, &at(&t.to));
                }
                None => {
                    let s = Some(describe(t));
                    self.push(
                        ChangeKind::Added,
                        Object::Transition,
                        &at(&t.to),
                        None,
                        None,
                        s,
                    );
                }
            }
        }
        for (i, o) in old.transitions.iter().enumerate() {
            if !nk.contains(&ok[i]) {
                let s = Some(describe(o));
                self.push(
                    ChangeKind::Removed,
                    Object::Transition,
                    &at(&o.to),
                    None,
                    s,
                    None,
                );
            }
        }
        // The order of the transitions both versions have.
        let kept_old: Vec<&(String, usize)> = ok.iter().filter(|k| nk.contains(k)).collect();
        let kept_new: Vec<&(String, usize)> = nk.iter().filter(|k| ok.contains(k)).collect();
        if kept_old != kept_new {
            let names = |a: &Activity, keys: &[(String, usize)], kept: &[(String, usize)]| {
                let v: Vec<&str> = a
                    .transitions
                    .iter()
                    .zip(keys)
                    .filter(|(_, k)| kept.contains(k))
                    .map(|(t, _)| t.to.as_str())
                    .collect();
                v.join(", ")
            };
            let (ko, kn): (Vec<_>, Vec<_>) = (
                kept_old.into_iter().cloned().collect(),
                kept_new.into_iter().cloned().collect(),
            );
            let order = (Some(names(old, &ok, &ko)), Some(names(new, &nk, &kn)));
            let field = Some("transitionOrder");
            self.push(
                ChangeKind::Changed,
                Object::Activity,
                scope,
                field,
                order.0,
                order.1,
            );
        }
    }
}

/// Each transition's key: its target's id (or `name:<to>` when the target does
/// not exist) and its rank among the activity's transitions to that target.
fn transition_keys(def: &TaskDefinition, a: &Activity) -> Vec<(String, usize)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    a.transitions
        .iter()
        .map(|t| {
            let target = match def.process.activity(&t.to) {
                Some(x) => x.id.clone(),
                None => format!("name:{}", t.to),
            };
            let rank = seen.entry(target.clone()).or_insert(0);
            *rank += 1;
            (target, *rank)
        })
        .collect()
}

fn object<T: Serialize>(v: &T) -> Map<String, J> {
    match serde_json::to_value(v) {
        Ok(J::Object(m)) => m,
        _ => Map::new(),
    }
}

fn list(v: Option<&J>) -> Vec<J> {
    match v {
        Some(J::Array(a)) => a.clone(),
        _ => Vec::new(),
    }
}

/// A field value as text: strings as they are, anything else as compact JSON.
fn text(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
