//! The edits of a workflow ([`Edit`]) and how each applies to a
//! `TaskDefinition`: add, delete, move, rename, set a property, add or remove
//! an entry of an action's list, replace the whole, several as one step.
//!
//! Invariant: [`Edit::apply`] works on a copy and only commits it when every
//! part succeeded, so a refused edit leaves the definition unchanged.

use crate::model::{Action, ActionKind, Activity, TaskDefinition, Transition, Variable};

use super::element::{ElementRef, VarScope, vars_mut};
use super::field::{FieldKey, ItemList};
use super::set_field::{canonical_expr, set_field};
use super::{EditError, fail, gone};

/// An edit of a definition.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Set one property (see `properties::rows` for the keys) from its text form.
    SetField {
        target: ElementRef,
        field: FieldKey,
        value: String,
    },
    AddActivity {
        at: usize,
        activity: Activity,
    },
    AddAction {
        activity: usize,
        at: usize,
        action: Action,
    },
    AddTransition {
        activity: usize,
        at: usize,
        transition: Transition,
    },
    AddVariable {
        scope: VarScope,
        at: usize,
        variable: Variable,
    },
    /// Insert an entry into one of an action's lists. `name`/`value` by list:
    /// argument name/expression, owner and argv expression (`value`), exposed and
    /// editable variable name (`name`), return from (`name`) / to (`value`).
    AddItem {
        action: (usize, usize),
        list: ItemList,
        at: usize,
        name: String,
        value: String,
    },
    /// Remove entry `at` of one of an action's lists.
    RemoveItem {
        action: (usize, usize),
        list: ItemList,
        at: usize,
    },
    /// Delete an element; deleting an activity also deletes the transitions into it.
    Delete(ElementRef),
    /// Move an element earlier (-1) or later (+1) within its list.
    Move {
        target: ElementRef,
        delta: isize,
    },
    /// Rename an activity and every transition that names it.
    RenameActivity {
        activity: usize,
        name: String,
    },
    /// Replace the whole definition (restoring a recovery copy, taking theirs).
    Replace(Box<TaskDefinition>),
    /// Several edits as one step (undone together); selects what the first selects.
    Batch(Vec<Edit>),
}

impl Edit {
    /// A short description for notices ("undid: …").
    pub fn describe(&self) -> String {
        match self {
            Edit::SetField { field, .. } => format!("set {field}"),
            Edit::AddActivity { activity, .. } => format!("add activity {:?}", activity.name),
            Edit::AddAction { action, .. } => format!("add {} action", action.kind.label()),
            Edit::AddTransition { transition, .. } => {
                format!("connect to {:?}", transition.to)
            }
            Edit::AddVariable { variable, .. } => format!("add variable {:?}", variable.name),
            Edit::AddItem { list, name, .. } if name.is_empty() => format!("add {}", list.noun()),
            Edit::AddItem { list, name, .. } => format!("add {} {name:?}", list.noun()),
            Edit::RemoveItem { list, .. } => format!("remove {}", list.noun()),
            Edit::Delete(_) => "delete".to_string(),
            Edit::Move { delta, .. } => {
                if *delta < 0 {
                    "move earlier".to_string()
                } else {
                    "move later".to_string()
                }
            }
            Edit::RenameActivity { name, .. } => format!("rename to {name:?}"),
            Edit::Replace(_) => "replace the whole workflow".to_string(),
            Edit::Batch(edits) => edits.first().map(Edit::describe).unwrap_or_default(),
        }
    }

    /// Apply to `def`; on success, the element to select afterwards.
    /// On error `def` is unchanged.
    pub fn apply(&self, def: &mut TaskDefinition) -> Result<ElementRef, EditError> {
        let mut work = def.clone();
        let sel = self.apply_in_place(&mut work)?;
        *def = work;
        Ok(sel)
    }

    fn apply_in_place(&self, def: &mut TaskDefinition) -> Result<ElementRef, EditError> {
        match self {
            Edit::SetField {
                target,
                field,
                value,
            } => {
                set_field(def, *target, field, value)?;
                Ok(*target)
            }
            Edit::AddActivity { at, activity } => {
                if activity.name.trim().is_empty() {
                    return fail("an activity needs a name");
                }
                if def.process.activity(&activity.name).is_some() {
                    return fail(format!("there is already an activity {:?}", activity.name));
                }
                let at = (*at).min(def.process.activities.len());
                def.process.activities.insert(at, activity.clone());
                Ok(ElementRef::Activity(at))
            }
            Edit::AddAction {
                activity,
                at,
                action,
            } => {
                let act = def
                    .process
                    .activities
                    .get_mut(*activity)
                    .ok_or(EditError("the activity no longer exists".into()))?;
                if act.is_start() || act.is_end() {
                    return fail(format!("{:?} carries no actions", act.name));
                }
                let at = (*at).min(act.actions.len());
                act.actions.insert(at, action.clone());
                Ok(ElementRef::Action(*activity, at))
            }
            Edit::AddTransition {
                activity,
                at,
                transition,
            } => {
                if def.process.activity(&transition.to).is_none() {
                    return fail(format!("no activity named {:?}", transition.to));
                }
                let act = def
                    .process
                    .activities
                    .get_mut(*activity)
                    .ok_or(EditError("the activity no longer exists".into()))?;
                if act.is_end() {
                    return fail("end has no outgoing transitions");
                }
                let at = (*at).min(act.transitions.len());
                act.transitions.insert(at, transition.clone());
                Ok(ElementRef::Transition(*activity, at))
            }
            Edit::AddVariable {
                scope,
                at,
                variable,
            } => {
                check_identifier(&variable.name)?;
                let list =
                    vars_mut(def, *scope).ok_or(EditError("the scope no longer exists".into()))?;
                if list.iter().any(|v| v.name == variable.name) {
                    return fail(format!("{:?} is already declared here", variable.name));
                }
                let at = (*at).min(list.len());
                list.insert(at, variable.clone());
                Ok(ElementRef::Variable(*scope, at))
            }
            Edit::AddItem {
                action,
                list,
                at,
                name,
                value,
            } => {
                let x = action_mut(def, *action)?;
                add_item(x, *list, *at, name, value)?;
                Ok(ElementRef::Action(action.0, action.1))
            }
            Edit::RemoveItem { action, list, at } => {
                let x = action_mut(def, *action)?;
                remove_item(x, *list, *at)?;
                Ok(ElementRef::Action(action.0, action.1))
            }
            Edit::Delete(target) => delete(def, *target),
            Edit::Move { target, delta } => move_element(def, *target, *delta),
            Edit::RenameActivity { activity, name } => {
                rename_activity(def, *activity, name)?;
                Ok(ElementRef::Activity(*activity))
            }
            Edit::Replace(new) => {
                *def = (**new).clone();
                Ok(ElementRef::Definition)
            }
            Edit::Batch(edits) => {
                let mut first = None;
                for e in edits {
                    let sel = e.apply_in_place(def)?;
                    first.get_or_insert(sel);
                }
                Ok(first.unwrap_or(ElementRef::Definition))
            }
        }
    }
}

fn action_mut(def: &mut TaskDefinition, (a, i): (usize, usize)) -> Result<&mut Action, EditError> {
    def.process
        .activities
        .get_mut(a)
        .and_then(|x| x.actions.get_mut(i))
        .ok_or(EditError("the action no longer exists".into()))
}

fn wrong_kind<T>(action: &Action, list: ItemList) -> Result<T, EditError> {
    fail(format!(
        "a {} action has no {}s",
        action.kind.label(),
        list.noun()
    ))
}

fn insert_at<T>(list: &mut Vec<T>, at: usize, item: T) {
    let at = at.min(list.len());
    list.insert(at, item);
}

fn add_item(
    action: &mut Action,
    list: ItemList,
    at: usize,
    name: &str,
    value: &str,
) -> Result<(), EditError> {
    let name = name.trim();
    match list {
        ItemList::Return => {
            let to = value.trim();
            if name.is_empty() || to.is_empty() {
                return fail("a return needs both from and to (`from -> to`)");
            }
            if name.contains(char::is_whitespace) || to.contains(char::is_whitespace) {
                return fail("write a return as `from -> to` (names without spaces)");
            }
            insert_at(
                &mut action.returns,
                at,
                crate::model::Return {
                    from: name.to_string(),
                    to: to.to_string(),
                },
            );
            return Ok(());
        }
        ItemList::Argument => {
            let canonical = canonical_expr(value)?;
            let (ActionKind::Service { arguments, .. } | ActionKind::Subprocess { arguments, .. }) =
                &mut action.kind
            else {
                return wrong_kind(action, list);
            };
            if name.is_empty() {
                return fail("an argument needs a name");
            }
            if arguments.iter().any(|a| a.name == name) {
                return fail(format!("there is already an argument {name:?}"));
            }
            insert_at(
                arguments,
                at,
                crate::model::Argument {
                    name: name.to_string(),
                    value: canonical,
                },
            );
            return Ok(());
        }
        _ => {}
    }
    match (&mut action.kind, list) {
        (ActionKind::Manual(m), ItemList::Owner) => {
            insert_at(&mut m.owners, at, canonical_expr(value)?);
        }
        (ActionKind::Manual(m), ItemList::Exposed | ItemList::Editable) => {
            check_identifier(name)?;
            let names = if list == ItemList::Exposed {
                &mut m.exposed_variables
            } else {
                &mut m.editable_variables
            };
            if names.iter().any(|n| n == name) {
                return fail(format!("{name:?} is already in the list"));
            }
            insert_at(names, at, name.to_string());
        }
        (ActionKind::Command(c), ItemList::Argv) => {
            insert_at(&mut c.argv, at, canonical_expr(value)?);
        }
        _ => return wrong_kind(action, list),
    }
    Ok(())
}

fn remove_from<T>(list: &mut Vec<T>, at: usize) -> Result<(), EditError> {
    if at >= list.len() {
        return gone();
    }
    list.remove(at);
    Ok(())
}

fn remove_item(action: &mut Action, list: ItemList, at: usize) -> Result<(), EditError> {
    match (&mut action.kind, list) {
        (_, ItemList::Return) => remove_from(&mut action.returns, at),
        (
            ActionKind::Service { arguments, .. } | ActionKind::Subprocess { arguments, .. },
            ItemList::Argument,
        ) => remove_from(arguments, at),
        (ActionKind::Manual(m), ItemList::Owner) => remove_from(&mut m.owners, at),
        (ActionKind::Manual(m), ItemList::Exposed) => remove_from(&mut m.exposed_variables, at),
        (ActionKind::Manual(m), ItemList::Editable) => remove_from(&mut m.editable_variables, at),
        (ActionKind::Command(c), ItemList::Argv) => remove_from(&mut c.argv, at),
        _ => wrong_kind(action, list),
    }
}

pub(crate) fn check_identifier(name: &str) -> Result<(), EditError> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        fail(format!(
            "{name:?} is not a variable name (letters, digits and _, not starting with a digit)"
        ))
    }
}

pub(crate) fn rename_activity(
    def: &mut TaskDefinition,
    index: usize,
    name: &str,
) -> Result<(), EditError> {
    let name = name.trim();
    if name.is_empty() {
        return fail("an activity needs a name");
    }
    let Some(old) = def.process.activities.get(index).map(|a| a.name.clone()) else {
        return gone();
    };
    if old == name {
        return Ok(());
    }
    if old == "start" || old == "end" {
        return fail(format!(
            "{old:?} cannot be renamed: the engine finds it by name"
        ));
    }
    if name == "start" || name == "end" {
        return fail(format!("{name:?} is reserved"));
    }
    if def.process.activity(name).is_some() {
        return fail(format!("there is already an activity {name:?}"));
    }
    def.process.activities[index].name = name.to_string();
    for act in &mut def.process.activities {
        for t in &mut act.transitions {
            if t.to == old {
                t.to = name.to_string();
            }
        }
    }
    Ok(())
}

fn delete(def: &mut TaskDefinition, target: ElementRef) -> Result<ElementRef, EditError> {
    match target {
        ElementRef::Definition => fail("the definition itself cannot be deleted here"),
        ElementRef::Activity(a) => {
            let Some(act) = def.process.activities.get(a) else {
                return gone();
            };
            if act.is_start() {
                return fail("a process needs its start activity");
            }
            let name = act.name.clone();
            def.process.activities.remove(a);
            for other in &mut def.process.activities {
                other.transitions.retain(|t| t.to != name);
            }
            if def.process.activities.is_empty() {
                Ok(ElementRef::Definition)
            } else {
                Ok(ElementRef::Activity(a.saturating_sub(1)))
            }
        }
        ElementRef::Action(a, i) => {
            let list = &mut def
                .process
                .activities
                .get_mut(a)
                .ok_or(EditError("the element no longer exists".into()))?
                .actions;
            remove_at(list, i, ElementRef::Activity(a), |j| {
                ElementRef::Action(a, j)
            })
        }
        ElementRef::Transition(a, i) => {
            let list = &mut def
                .process
                .activities
                .get_mut(a)
                .ok_or(EditError("the element no longer exists".into()))?
                .transitions;
            remove_at(list, i, ElementRef::Activity(a), |j| {
                ElementRef::Transition(a, j)
            })
        }
        ElementRef::Variable(scope, i) => {
            let list =
                vars_mut(def, scope).ok_or(EditError("the element no longer exists".into()))?;
            remove_at(list, i, ElementRef::Variable(scope, 0).parent(), |j| {
                ElementRef::Variable(scope, j)
            })
        }
    }
}

/// Remove entry `i` of `list`; what to select next: the entry now at (or before) `i`
/// through `at`, or `parent` when the list is empty.
fn remove_at<T>(
    list: &mut Vec<T>,
    i: usize,
    parent: ElementRef,
    at: impl Fn(usize) -> ElementRef,
) -> Result<ElementRef, EditError> {
    if i >= list.len() {
        return gone();
    }
    list.remove(i);
    Ok(if list.is_empty() {
        parent
    } else {
        at(i.min(list.len() - 1))
    })
}

fn shift<T>(list: &mut [T], i: usize, delta: isize) -> Result<usize, EditError> {
    if i >= list.len() {
        return gone();
    }
    let j = i as isize + delta;
    if j < 0 || j as usize >= list.len() {
        return fail(if delta < 0 {
            "already first"
        } else {
            "already last"
        });
    }
    list.swap(i, j as usize);
    Ok(j as usize)
}

fn move_element(
    def: &mut TaskDefinition,
    target: ElementRef,
    delta: isize,
) -> Result<ElementRef, EditError> {
    let acts = &mut def.process.activities;
    match target {
        ElementRef::Definition => fail("nothing to move"),
        ElementRef::Activity(a) => Ok(ElementRef::Activity(shift(acts, a, delta)?)),
        ElementRef::Action(a, i) => {
            let act = acts
                .get_mut(a)
                .ok_or(EditError("the element no longer exists".into()))?;
            Ok(ElementRef::Action(a, shift(&mut act.actions, i, delta)?))
        }
        ElementRef::Transition(a, i) => {
            let act = acts
                .get_mut(a)
                .ok_or(EditError("the element no longer exists".into()))?;
            Ok(ElementRef::Transition(
                a,
                shift(&mut act.transitions, i, delta)?,
            ))
        }
        ElementRef::Variable(scope, i) => {
            let list =
                vars_mut(def, scope).ok_or(EditError("the element no longer exists".into()))?;
            Ok(ElementRef::Variable(scope, shift(list, i, delta)?))
        }
    }
}
