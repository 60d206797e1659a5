//! The editor's prompts and pickers: adding activities, variables and the
//! entries of an action's lists (catalogue arguments first), connecting, action
//! templates and fixed choices. Each answer is one undoable edit.

use crate::model::{Activity, Transition, Variable, new_id};

use super::app::{Overlay, PickerPurpose, PromptPurpose};
use super::editor::*;
use super::editor_fields::start_field_edit;
use super::properties::{self, FieldKind, Row};
use super::screen::Ctx;
use super::templates;
use crate::edit::{Edit, ElementRef, FieldKey, ItemList, Prop, VarScope};

/// One entry of the "add to the action" picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddChoice {
    /// An argument of the service op's catalogue entry the action does not pass yet.
    CatalogueArgument { name: String, required: bool },
    /// A new entry of this list (asks for a name where the list needs one).
    New(ItemList),
}

impl AddChoice {
    fn label(&self) -> String {
        match self {
            AddChoice::CatalogueArgument { name, required } => format!(
                "argument {name} ({})",
                if *required { "required" } else { "optional" }
            ),
            AddChoice::New(ItemList::Argument) => "argument (another name)…".into(),
            AddChoice::New(ItemList::Exposed) => "exposed variable…".into(),
            AddChoice::New(ItemList::Editable) => "editable variable…".into(),
            AddChoice::New(ItemList::Return) => "return (from -> to)…".into(),
            AddChoice::New(list) => list.noun().into(),
        }
    }
}

/// What can be added to `action`: the op's missing catalogue arguments first
/// (required, then optional), then a new entry of each of its lists.
pub fn add_choices(action: &crate::model::Action) -> Vec<AddChoice> {
    let mut out = Vec::new();
    if let crate::model::ActionKind::Service { op, arguments } = &action.kind
        && let Some(spec) = crate::services::ops::find(op)
    {
        let missing = |n: &&&str| !arguments.iter().any(|a| a.name == **n);
        for name in spec.required.iter().filter(missing) {
            out.push(AddChoice::CatalogueArgument {
                name: name.to_string(),
                required: true,
            });
        }
        for name in spec.optional.iter().filter(missing) {
            out.push(AddChoice::CatalogueArgument {
                name: name.to_string(),
                required: false,
            });
        }
    }
    out.extend(ItemList::of_action(action).into_iter().map(AddChoice::New));
    out
}

/// `+`: open the picker of what can be added to the selected action; the list
/// under the cursor is preselected.
pub(super) fn offer_items(st: &mut EditorState, cx: &mut Ctx) {
    let ed = &mut *st;
    let ElementRef::Action(a, i) = ed.selection else {
        cx.warn("select an action: + adds its arguments, owners, variables, argv, returns");
        return;
    };
    let Some(action) = ed
        .def
        .process
        .activities
        .get(a)
        .and_then(|x| x.actions.get(i))
    else {
        return;
    };
    let choices = add_choices(action);
    let under_cursor = match ed.rows().get(ed.prop_cursor) {
        Some(Row::Field(f)) => f.key.item(action).map(|(list, _)| list).or(match f.key {
            FieldKey::Prop(Prop::ExposedVariables) => Some(ItemList::Exposed),
            FieldKey::Prop(Prop::EditableVariables) => Some(ItemList::Editable),
            _ => None,
        }),
        _ => None,
    };
    let selected = under_cursor
        .and_then(|list| choices.iter().position(|c| *c == AddChoice::New(list)))
        .unwrap_or(0);
    let items = choices.iter().map(AddChoice::label).collect();
    cx.overlay(Overlay::Picker {
        purpose: PickerPurpose::AddItem {
            action: (a, i),
            choices,
        },
        items,
        selected,
    });
}

/// `-`: remove the entry of an action's list under the properties cursor.
pub(super) fn remove_item_under_cursor(st: &mut EditorState, cx: &mut Ctx) {
    let ed = &mut *st;
    let ElementRef::Action(a, i) = ed.selection else {
        cx.warn("select an action's argument, owner, variable name, argv or return to remove");
        return;
    };
    let rows = ed.rows();
    let found = match (
        rows.get(ed.prop_cursor),
        ed.def
            .process
            .activities
            .get(a)
            .and_then(|x| x.actions.get(i)),
    ) {
        (Some(Row::Field(f)), Some(action)) => f.key.item(action),
        _ => None,
    };
    let Some((list, at)) = found else {
        cx.warn("the cursor is not on a list entry (argument, owner, variable name, argv, return)");
        return;
    };
    execute(
        st,
        cx,
        Edit::RemoveItem {
            action: (a, i),
            list,
            at,
        },
    );
    // Stay on the same place in the list (or the row before it when it was last).
    {
        let ed = &mut *st;
        let len = ed.rows().len();
        ed.prop_cursor = ed.prop_cursor.min(len.saturating_sub(1));
        let rows = ed.rows();
        while ed.prop_cursor > 0 && !properties::selectable(&rows[ed.prop_cursor]) {
            ed.prop_cursor -= 1;
        }
    }
}

/// Default text of a new entry that is edited right after it is added.
fn placeholder(list: ItemList, name: &str) -> String {
    match list {
        ItemList::Argument => format!("${name}"),
        ItemList::Argv => "\"\"".into(),
        _ => "null".into(),
    }
}

/// Add an entry at the end of `list` and, for expressions, start editing it.
fn add_item_and_edit(
    st: &mut EditorState,
    cx: &mut Ctx,
    action: (usize, usize),
    list: ItemList,
    name: &str,
) -> bool {
    let ed = &*st;
    let Some(x) = ed
        .def
        .process
        .activities
        .get(action.0)
        .and_then(|x| x.actions.get(action.1))
    else {
        return false;
    };
    let at = match (&x.kind, list) {
        (
            crate::model::ActionKind::Service { arguments, .. }
            | crate::model::ActionKind::Subprocess { arguments, .. },
            ItemList::Argument,
        ) => arguments.len(),
        (crate::model::ActionKind::Manual(m), ItemList::Owner) => m.owners.len(),
        (crate::model::ActionKind::Manual(m), ItemList::Exposed) => m.exposed_variables.len(),
        (crate::model::ActionKind::Manual(m), ItemList::Editable) => m.editable_variables.len(),
        (crate::model::ActionKind::Command(c), ItemList::Argv) => c.argv.len(),
        _ => x.returns.len(),
    };
    let (name, value) = match list {
        ItemList::Return => {
            let (from, to) = name
                .split_once("->")
                .or_else(|| name.trim().split_once(char::is_whitespace))
                .unwrap_or((name, ""));
            (from.trim().to_string(), to.trim().to_string())
        }
        ItemList::Exposed | ItemList::Editable => (name.to_string(), String::new()),
        _ => (name.to_string(), placeholder(list, name)),
    };
    if !execute(
        st,
        cx,
        Edit::AddItem {
            action,
            list,
            at,
            name,
            value,
        },
    ) {
        return false;
    }
    let ed = &mut *st;
    let Some(key) = ed
        .def
        .process
        .activities
        .get(action.0)
        .and_then(|x| x.actions.get(action.1))
        .and_then(|x| list.key(x, at))
    else {
        return true;
    };
    let rows = ed.rows();
    if let Some((row, field)) = rows.iter().enumerate().find_map(|(n, r)| match r {
        Row::Field(f) if f.key == key => Some((n, f.clone())),
        _ => None,
    }) {
        ed.focus = Focus::Properties;
        ed.prop_cursor = row;
        if matches!(list, ItemList::Argument | ItemList::Owner | ItemList::Argv) {
            start_field_edit(st, cx, field);
        }
    }
    true
}

pub(super) fn prompt(purpose: PromptPurpose, placeholder: &str) -> Overlay {
    let title = match purpose {
        PromptPurpose::AddActivity { .. } => "New activity",
        PromptPurpose::AddVariable { .. } => "New variable",
        PromptPurpose::AddItem { list, .. } => match list {
            ItemList::Argument => "New argument: name",
            ItemList::Return => "New return: from -> to",
            _ => "New variable name",
        },
        PromptPurpose::ImportFile => "Import a Waveset XML file (path)",
        PromptPurpose::JumpTo => "Jump to an activity, action or variable",
    };
    let mut p = super::ask::Prompt::new(purpose, title, "");
    p.input.set_placeholder_text(placeholder);
    p.input.set_cursor_line_style(ratatui::style::Style::new());
    Overlay::Prompt(p)
}

/// The answer to a prompt; `Err` keeps the prompt open with the message.
pub fn prompt_accepted(
    st: &mut EditorState,
    cx: &mut Ctx,
    purpose: PromptPurpose,
    text: &str,
) -> Result<(), String> {
    if text.is_empty() {
        return Err("type a name (Esc cancels)".into());
    }
    let ed = &*st;
    match purpose {
        PromptPurpose::AddActivity { after } => {
            let at = after
                .map(|a| a + 1)
                .unwrap_or(ed.def.process.activities.len());
            let at = at.min(ed.def.process.activities.len());
            let activity = Activity {
                id: new_id("act"),
                name: text.to_string(),
                ..Default::default()
            };
            let mut edits = vec![Edit::AddActivity { at, activity }];
            // Connect from the selected activity, so the new one is reachable.
            // (The workflow may have been reloaded while the prompt was open.)
            if let Some((a, act)) = after
                .and_then(|a| ed.def.process.activities.get(a).map(|x| (a, x)))
                .filter(|(_, x)| !x.is_end())
            {
                let transition = Transition {
                    to: text.to_string(),
                    ..Default::default()
                };
                let n = act.transitions.len();
                edits.push(Edit::AddTransition {
                    activity: a,
                    at: n,
                    transition,
                });
            }
            run_or_err(st, cx, Edit::Batch(edits))
        }
        PromptPurpose::AddItem { action, list } => {
            if add_item_and_edit(st, cx, action, list, text) {
                Ok(())
            } else {
                Err(cx.said().map(|n| n.text.clone()).unwrap_or_default())
            }
        }
        PromptPurpose::AddVariable { scope } => {
            let at = crate::edit::vars(&ed.def, scope)
                .map(|v| v.len())
                .unwrap_or(0);
            let variable = Variable {
                name: text.to_string(),
                ..Default::default()
            };
            run_or_err(
                st,
                cx,
                Edit::AddVariable {
                    scope,
                    at,
                    variable,
                },
            )
        }
        PromptPurpose::JumpTo => {
            let target = find_by_name(&ed.def, text)
                .ok_or_else(|| format!("no activity, action or variable named \"{text}\""))?;
            select(st, cx, target);
            Ok(())
        }
        // Answered by the browser's import dialog (`super::import`), never routed here.
        PromptPurpose::ImportFile => Ok(()),
    }
}

fn run_or_err(st: &mut EditorState, cx: &mut Ctx, edit: Edit) -> Result<(), String> {
    if execute(st, cx, edit) {
        Ok(())
    } else {
        Err(cx.said().map(|n| n.text.clone()).unwrap_or_default())
    }
}

pub fn picker_accepted(
    st: &mut EditorState,
    cx: &mut Ctx,
    purpose: PickerPurpose,
    selected: usize,
) {
    let ed = &mut *st;
    match purpose {
        PickerPurpose::DiffAgainst(bases) => {
            if let Some(base) = bases.get(selected).cloned() {
                super::diff_view::open(st, cx, base);
            }
        }
        PickerPurpose::Connect { from } => {
            let names = connect_targets(&ed.def);
            let Some(to) = names.get(selected).cloned() else {
                return;
            };
            let at = ed
                .def
                .process
                .activities
                .get(from)
                .map(|a| a.transitions.len())
                .unwrap_or(0);
            execute(
                st,
                cx,
                Edit::AddTransition {
                    activity: from,
                    at,
                    transition: Transition {
                        to,
                        ..Default::default()
                    },
                },
            );
        }
        PickerPurpose::Template { activity } => {
            match templates::palette_edit(cx.repo, &ed.def, activity, ed.selection, selected) {
                Ok(edit) => {
                    execute(st, cx, edit);
                }
                Err(why) => cx.warn(why),
            }
        }
        PickerPurpose::AddItem { action, choices } => match choices.get(selected) {
            Some(AddChoice::CatalogueArgument { name, .. }) => {
                add_item_and_edit(st, cx, action, ItemList::Argument, name);
            }
            Some(AddChoice::New(list @ (ItemList::Owner | ItemList::Argv))) => {
                add_item_and_edit(st, cx, action, *list, "");
            }
            Some(AddChoice::New(list)) => {
                let hint = match list {
                    ItemList::Argument => "Name of the new argument",
                    ItemList::Return => "from -> to (e.g. decision -> decision)",
                    _ => "Name of the variable",
                };
                cx.overlay(prompt(
                    PromptPurpose::AddItem {
                        action,
                        list: *list,
                    },
                    hint,
                ));
            }
            None => {}
        },
        PickerPurpose::Choice { target, key } => {
            let rows = properties::rows(&ed.def, target);
            let value = rows.iter().find_map(|r| match r {
                Row::Field(f) if f.key == key => match &f.kind {
                    FieldKind::Choice(options) => options.get(selected).cloned(),
                    _ => None,
                },
                _ => None,
            });
            if let Some(value) = value {
                execute(
                    st,
                    cx,
                    Edit::SetField {
                        target,
                        field: key,
                        value,
                    },
                );
            }
        }
    }
}

/// The element `/` jumps to: an activity, then an action, then a variable
/// (process, activity, action scope) whose name is `text` ignoring case; failing
/// that, the first whose name contains it.
pub fn find_by_name(def: &crate::model::TaskDefinition, text: &str) -> Option<ElementRef> {
    let mut all: Vec<(&str, ElementRef)> = Vec::new();
    let acts = &def.process.activities;
    all.extend(
        acts.iter()
            .enumerate()
            .map(|(a, x)| (x.name.as_str(), ElementRef::Activity(a))),
    );
    for (a, act) in acts.iter().enumerate() {
        for (i, x) in act.actions.iter().enumerate() {
            all.push((x.name.as_str(), ElementRef::Action(a, i)));
        }
    }
    let scoped = |scope: VarScope, vars: &'_ [Variable]| {
        vars.iter()
            .enumerate()
            .map(move |(i, v)| (v.name.clone(), ElementRef::Variable(scope, i)))
            .collect::<Vec<_>>()
    };
    let mut vars = scoped(VarScope::Process, &def.process.variables);
    for (a, act) in acts.iter().enumerate() {
        vars.extend(scoped(VarScope::Activity(a), &act.variables));
        for (i, x) in act.actions.iter().enumerate() {
            vars.extend(scoped(VarScope::Action(a, i), &x.variables));
        }
    }
    all.extend(vars.iter().map(|(n, r)| (n.as_str(), *r)));
    let want = text.trim().to_lowercase();
    if want.is_empty() {
        return None;
    }
    all.iter()
        .find(|(n, _)| n.to_lowercase() == want)
        .or_else(|| all.iter().find(|(n, _)| n.to_lowercase().contains(&want)))
        .map(|(_, r)| *r)
}
