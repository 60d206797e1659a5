//! The one command stack. Every edit of a definition, from any key, pane or
//! dialog, is an [`Edit`] applied through [`CommandStack::execute`]; undo puts
//! back the exact definition the edit started from, redo applies the edit again.

use std::fmt;

use crate::model::{Action, ActionKind, Activity, ExecMode, TaskDefinition, Transition, Variable};

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

fn vars_mut(def: &mut TaskDefinition, scope: VarScope) -> Option<&mut Vec<Variable>> {
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

/// A list inside an action whose entries can be added and removed one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemList {
    /// Named arguments of a service or subprocess action (`name` = value expression).
    Argument,
    /// Owner expressions of a manual action.
    Owner,
    /// Variable names a manual action's work item shows.
    Exposed,
    /// Variable names a manual action's work item may change.
    Editable,
    /// argv expressions of a command action.
    Argv,
    /// `returns` of any action (`from` -> `to`).
    Return,
}

impl ItemList {
    /// A word for notices and the add picker.
    pub fn noun(self) -> &'static str {
        match self {
            ItemList::Argument => "argument",
            ItemList::Owner => "owner",
            ItemList::Exposed => "exposed variable",
            ItemList::Editable => "editable variable",
            ItemList::Argv => "argv entry",
            ItemList::Return => "return",
        }
    }

    /// The list and index a property row's key names (`arg:x`, `owner:0`, …).
    pub fn of_key(action: &Action, key: &str) -> Option<(ItemList, usize)> {
        let n = |rest: &str| rest.parse::<usize>().ok();
        if let Some(name) = key.strip_prefix("arg:") {
            let args = match &action.kind {
                ActionKind::Service { arguments, .. }
                | ActionKind::Subprocess { arguments, .. } => arguments,
                _ => return None,
            };
            return args
                .iter()
                .position(|a| a.name == name)
                .map(|i| (ItemList::Argument, i));
        }
        let (prefix, rest) = key.split_once(':')?;
        let list = match prefix {
            "owner" => ItemList::Owner,
            "exposed" => ItemList::Exposed,
            "editable" => ItemList::Editable,
            "argv" => ItemList::Argv,
            "return" => ItemList::Return,
            _ => return None,
        };
        n(rest).map(|i| (list, i))
    }

    /// The property key of entry `at` after it is added (to edit it next).
    pub fn key(self, action: &Action, at: usize) -> Option<String> {
        Some(match self {
            ItemList::Argument => match &action.kind {
                ActionKind::Service { arguments, .. }
                | ActionKind::Subprocess { arguments, .. } => {
                    format!("arg:{}", arguments.get(at)?.name)
                }
                _ => return None,
            },
            ItemList::Owner => format!("owner:{at}"),
            ItemList::Exposed => format!("exposed:{at}"),
            ItemList::Editable => format!("editable:{at}"),
            ItemList::Argv => format!("argv:{at}"),
            ItemList::Return => format!("return:{at}"),
        })
    }

    /// Which lists an action has.
    pub fn of_action(action: &Action) -> Vec<ItemList> {
        let mut out = match &action.kind {
            ActionKind::Service { .. } | ActionKind::Subprocess { .. } => vec![ItemList::Argument],
            ActionKind::Manual(_) => vec![ItemList::Owner, ItemList::Exposed, ItemList::Editable],
            ActionKind::Command(_) => vec![ItemList::Argv],
            ActionKind::Expression { .. } | ActionKind::Unsupported { .. } => Vec::new(),
        };
        out.push(ItemList::Return);
        out
    }
}

/// An edit of a definition.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Set one property (see `properties::fields` for the keys) from its text form.
    SetField {
        target: ElementRef,
        field: String,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError(pub String);

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EditError {}

fn fail<T>(msg: impl Into<String>) -> Result<T, EditError> {
    Err(EditError(msg.into()))
}

fn gone<T>() -> Result<T, EditError> {
    fail("the element no longer exists")
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

fn check_identifier(name: &str) -> Result<(), EditError> {
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

fn rename_activity(def: &mut TaskDefinition, index: usize, name: &str) -> Result<(), EditError> {
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
                .ok_or(EditError("gone".into()))?
                .actions;
            if i >= list.len() {
                return gone();
            }
            list.remove(i);
            Ok(if list.is_empty() {
                ElementRef::Activity(a)
            } else {
                ElementRef::Action(a, i.min(list.len() - 1))
            })
        }
        ElementRef::Transition(a, i) => {
            let list = &mut def
                .process
                .activities
                .get_mut(a)
                .ok_or(EditError("gone".into()))?
                .transitions;
            if i >= list.len() {
                return gone();
            }
            list.remove(i);
            Ok(if list.is_empty() {
                ElementRef::Activity(a)
            } else {
                ElementRef::Transition(a, i.min(list.len() - 1))
            })
        }
        ElementRef::Variable(scope, i) => {
            let list = vars_mut(def, scope).ok_or(EditError("gone".into()))?;
            if i >= list.len() {
                return gone();
            }
            list.remove(i);
            Ok(if list.is_empty() {
                ElementRef::Variable(scope, 0).parent()
            } else {
                ElementRef::Variable(scope, i.min(list.len() - 1))
            })
        }
    }
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
            let act = acts.get_mut(a).ok_or(EditError("gone".into()))?;
            Ok(ElementRef::Action(a, shift(&mut act.actions, i, delta)?))
        }
        ElementRef::Transition(a, i) => {
            let act = acts.get_mut(a).ok_or(EditError("gone".into()))?;
            Ok(ElementRef::Transition(
                a,
                shift(&mut act.transitions, i, delta)?,
            ))
        }
        ElementRef::Variable(scope, i) => {
            let list = vars_mut(def, scope).ok_or(EditError("gone".into()))?;
            Ok(ElementRef::Variable(scope, shift(list, i, delta)?))
        }
    }
}

fn parse_bool(value: &str) -> Result<bool, EditError> {
    match value.trim() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        other => fail(format!("{other:?} is not true or false")),
    }
}

fn parse_int(value: &str) -> Result<i64, EditError> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| EditError(format!("{:?} is not a whole number", value.trim())))
}

/// Check an expression and return its canonical text.
pub fn canonical_expr(text: &str) -> Result<String, EditError> {
    match crate::expr::parse(text) {
        Ok(e) => Ok(crate::expr::print(&e)),
        Err(e) => fail(format!("expression: {e}")),
    }
}

fn opt_expr(value: &str) -> Result<Option<String>, EditError> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        canonical_expr(value).map(Some)
    }
}

fn opt_text(value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        None
    } else {
        Some(v.to_string())
    }
}

fn name_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn indexed<'a>(field: &'a str, prefix: &str) -> Option<&'a str> {
    field.strip_prefix(prefix)
}

/// Set one property from its text form. Field keys are those `properties::fields` lists.
pub fn set_field(
    def: &mut TaskDefinition,
    target: ElementRef,
    field: &str,
    value: &str,
) -> Result<(), EditError> {
    match target {
        ElementRef::Definition => match field {
            "name" => {
                let v = value.trim();
                if v.is_empty() {
                    return fail("a workflow needs a name");
                }
                def.name = v.to_string();
            }
            "description" => def.description = value.to_string(),
            "executor" => def.executor = value.trim().to_string(),
            "execMode" => {
                def.exec_mode = match value.trim() {
                    "sync" => ExecMode::Sync,
                    "async" => ExecMode::Async,
                    o => return fail(format!("{o:?}: execMode is sync or async")),
                }
            }
            "suspendable" => def.suspendable = parse_bool(value)?,
            "syncControlAllowed" => def.sync_control_allowed = parse_bool(value)?,
            "executionLimit" => def.execution_limit = parse_int(value)?,
            "resultLimit" => def.result_limit = parse_int(value)?,
            "progressInterval" => def.progress_interval = parse_int(value)?,
            "resultTrace" => def.result_trace = parse_bool(value)?,
            "maxSteps" => {
                let n = parse_int(value)?;
                if n < 0 {
                    return fail("maxSteps is 0 (the default, 5000) or more");
                }
                def.process.max_steps = n;
            }
            "comment" => def.process.comment = value.to_string(),
            other => return fail(format!("{other} cannot be set on a workflow")),
        },
        ElementRef::Activity(a) => {
            if field == "name" {
                return rename_activity(def, a, value);
            }
            let act = def
                .process
                .activities
                .get_mut(a)
                .ok_or(EditError("gone".into()))?;
            match field {
                "andSplit" => act.and_split = parse_bool(value)?,
                "andJoin" => act.and_join = parse_bool(value)?,
                "comment" => act.comment = value.to_string(),
                other => return fail(format!("{other} cannot be set on an activity")),
            }
        }
        ElementRef::Transition(a, i) => {
            if field == "to" {
                let to = value.trim();
                if def.process.activity(to).is_none() {
                    return fail(format!("no activity named {to:?}"));
                }
            }
            let t = def
                .process
                .activities
                .get_mut(a)
                .and_then(|x| x.transitions.get_mut(i))
                .ok_or(EditError("gone".into()))?;
            match field {
                "to" => t.to = value.trim().to_string(),
                "condition" => t.condition = opt_expr(value)?,
                "comment" => t.comment = value.to_string(),
                other => return fail(format!("{other} cannot be set on a transition")),
            }
        }
        ElementRef::Variable(scope, i) => {
            let list = vars_mut(def, scope).ok_or(EditError("gone".into()))?;
            if field == "name" {
                let v = value.trim();
                check_identifier(v)?;
                if list.iter().enumerate().any(|(j, x)| j != i && x.name == v) {
                    return fail(format!("{v:?} is already declared here"));
                }
            }
            let var = list.get_mut(i).ok_or(EditError("gone".into()))?;
            match field {
                "name" => var.name = value.trim().to_string(),
                "value" => var.value = opt_expr(value)?,
                "input" => var.input = parse_bool(value)?,
                "output" => var.output = parse_bool(value)?,
                "external" => var.external = parse_bool(value)?,
                "comment" => var.comment = value.to_string(),
                other => return fail(format!("{other} cannot be set on a variable")),
            }
        }
        ElementRef::Action(a, i) => {
            let action = def
                .process
                .activities
                .get_mut(a)
                .and_then(|x| x.actions.get_mut(i))
                .ok_or(EditError("gone".into()))?;
            set_action_field(action, field, value)?;
        }
    }
    Ok(())
}

fn set_action_field(action: &mut Action, field: &str, value: &str) -> Result<(), EditError> {
    match field {
        "name" => {
            action.name = value.trim().to_string();
            return Ok(());
        }
        "condition" => {
            action.condition = opt_expr(value)?;
            return Ok(());
        }
        "comment" => {
            action.comment = value.to_string();
            return Ok(());
        }
        _ => {}
    }
    if let Some(rest) = indexed(field, "return:") {
        let n: usize = rest
            .parse()
            .map_err(|_| EditError(format!("bad field {field}")))?;
        let (from, to) = value
            .split_once("->")
            .map(|(f, t)| (f.trim(), t.trim()))
            .ok_or(EditError("write a return as `from -> to`".into()))?;
        let r = action.returns.get_mut(n).ok_or(EditError("gone".into()))?;
        r.from = from.to_string();
        r.to = to.to_string();
        return Ok(());
    }
    match &mut action.kind {
        ActionKind::Expression { expression } => match field {
            "expression" => *expression = canonical_expr(value)?,
            other => return fail(format!("{other} cannot be set on an expression action")),
        },
        ActionKind::Service { op, arguments }
        | ActionKind::Subprocess {
            process: op,
            arguments,
        } => {
            if let Some(name) = indexed(field, "arg:") {
                let arg = arguments
                    .iter_mut()
                    .find(|x| x.name == name)
                    .ok_or(EditError(format!("no argument {name}")))?;
                arg.value = canonical_expr(value)?;
            } else if field == "op" || field == "process" {
                let v = value.trim();
                if v.is_empty() {
                    return fail(format!("{field} cannot be empty"));
                }
                *op = v.to_string();
            } else {
                return fail(format!("{field} cannot be set on this action"));
            }
        }
        ActionKind::Manual(m) => {
            if let Some(n) = indexed(field, "owner:") {
                let n: usize = n
                    .parse()
                    .map_err(|_| EditError(format!("bad field {field}")))?;
                let owner = m.owners.get_mut(n).ok_or(EditError("gone".into()))?;
                *owner = canonical_expr(value)?;
                return Ok(());
            }
            match field {
                "request" => m.request = opt_expr(value)?,
                "description" => m.description = value.to_string(),
                "timeout" => m.timeout = parse_int(value)?,
                "itemType" => {
                    m.item_type = match value.trim() {
                        "approval" | "" => crate::model::WorkItemType::Approval,
                        "interaction" => crate::model::WorkItemType::Interaction,
                        other => crate::model::WorkItemType::Custom(other.to_string()),
                    }
                }
                "exposedVariables" => m.exposed_variables = name_list(value),
                _ if field.starts_with("exposed:") || field.starts_with("editable:") => {
                    let (list, n) = field.split_once(':').unwrap_or_default();
                    let n: usize = n
                        .parse()
                        .map_err(|_| EditError(format!("bad field {field}")))?;
                    let v = value.trim();
                    check_identifier(v)?;
                    let names = if list == "exposed" {
                        &mut m.exposed_variables
                    } else {
                        &mut m.editable_variables
                    };
                    if names.iter().enumerate().any(|(j, x)| j != n && x == v) {
                        return fail(format!("{v:?} is already in the list"));
                    }
                    *names.get_mut(n).ok_or(EditError("gone".into()))? = v.to_string();
                }
                "editableVariables" => m.editable_variables = name_list(value),
                other => return fail(format!("{other} cannot be set on a manual action")),
            }
        }
        ActionKind::Command(c) => {
            if let Some(n) = indexed(field, "argv:") {
                let n: usize = n
                    .parse()
                    .map_err(|_| EditError(format!("bad field {field}")))?;
                let arg = c.argv.get_mut(n).ok_or(EditError("gone".into()))?;
                *arg = canonical_expr(value)?;
                return Ok(());
            }
            match field {
                "timeout" => c.timeout = parse_int(value)?,
                "outputCap" => c.output_cap = parse_int(value)?,
                "exitCodeTo" => c.exit_code_to = opt_text(value),
                "outputTo" => c.output_to = opt_text(value),
                other => return fail(format!("{other} cannot be set on a command action")),
            }
        }
        ActionKind::Unsupported { .. } => {
            return fail(format!(
                "{field} cannot be set on an unsupported action (it is kept verbatim from Waveset)"
            ));
        }
    }
    Ok(())
}

struct Done {
    edit: Edit,
    before: TaskDefinition,
    selection_before: ElementRef,
    selection_after: ElementRef,
}

/// Undo/redo history of one open definition, with the saved point for the dirty marker.
#[derive(Default)]
pub struct CommandStack {
    done: Vec<Done>,
    undone: Vec<Done>,
    /// `done.len()` when last saved; `None` once that state can no longer be reached.
    saved_at: Option<usize>,
}

impl CommandStack {
    pub fn new() -> CommandStack {
        CommandStack {
            done: Vec::new(),
            undone: Vec::new(),
            saved_at: Some(0),
        }
    }

    /// Apply `edit`; on success it can be undone. Returns the element to select.
    pub fn execute(
        &mut self,
        def: &mut TaskDefinition,
        edit: Edit,
        selection: ElementRef,
    ) -> Result<ElementRef, EditError> {
        let before = def.clone();
        let after = edit.apply(def)?;
        if *def == before {
            return Ok(after);
        }
        if self.saved_at.is_some_and(|s| s > self.done.len()) {
            self.saved_at = None;
        }
        self.undone.clear();
        self.done.push(Done {
            edit,
            before,
            selection_before: selection,
            selection_after: after,
        });
        Ok(after)
    }

    /// Undo the last edit: `def` becomes exactly what it was before it.
    pub fn undo(&mut self, def: &mut TaskDefinition) -> Option<(String, ElementRef)> {
        let done = self.done.pop()?;
        let after = std::mem::replace(def, done.before.clone());
        let text = super::report::done(&done.edit, &done.before);
        let sel = done.selection_before;
        self.undone.push(Done {
            before: after,
            ..done
        });
        Some((text, sel))
    }

    /// Redo the last undone edit.
    pub fn redo(&mut self, def: &mut TaskDefinition) -> Option<(String, ElementRef)> {
        let undone = self.undone.pop()?;
        let before = std::mem::replace(def, undone.before.clone());
        let text = super::report::done(&undone.edit, &before);
        let sel = undone.selection_after;
        self.done.push(Done { before, ..undone });
        Some((text, sel))
    }

    pub fn can_undo(&self) -> bool {
        !self.done.is_empty()
    }
    pub fn can_redo(&self) -> bool {
        !self.undone.is_empty()
    }
    pub fn is_dirty(&self) -> bool {
        self.saved_at != Some(self.done.len())
    }
    pub fn mark_saved(&mut self) {
        self.saved_at = Some(self.done.len());
    }
    /// After taking the disk version: history no longer applies.
    pub fn reset(&mut self) {
        *self = CommandStack::new();
    }
    /// After keeping a version that differs from disk: dirty until saved.
    pub fn mark_unsaved(&mut self) {
        self.saved_at = None;
    }
}
