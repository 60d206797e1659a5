//! Editing without the TUI: typed field keys, refused edits, undo/redo.

use crate::model::TaskDefinition;

use super::*;

fn onboard() -> TaskDefinition {
    let text = include_str!("../../sample-repository/TaskDefinition/onboard-employee.json");
    serde_json::from_str(text).unwrap()
}

/// The first service action with an argument: (activity, action, argument name).
fn service_arg(def: &TaskDefinition) -> (usize, usize, String) {
    for (a, act) in def.process.activities.iter().enumerate() {
        for (i, x) in act.actions.iter().enumerate() {
            if let crate::model::ActionKind::Service { arguments, .. } = &x.kind
                && let Some(arg) = arguments.first()
            {
                return (a, i, arg.name.clone());
            }
        }
    }
    panic!("no service argument in the sample")
}

#[test]
fn an_argument_is_set_by_its_typed_key_and_undone_exactly() {
    let mut def = onboard();
    let original = def.clone();
    let (a, i, name) = service_arg(&def);
    let mut stack: CommandStack = CommandStack::new();
    let edit = Edit::SetField {
        target: ElementRef::Action(a, i),
        field: FieldKey::Arg(name.clone()),
        value: "(concat  \"x\"   $y)".into(),
    };
    stack
        .execute(&mut def, edit, ElementRef::Definition)
        .unwrap();
    let crate::model::ActionKind::Service { arguments, .. } =
        &def.process.activities[a].actions[i].kind
    else {
        unreachable!()
    };
    let arg = arguments.iter().find(|x| x.name == name).unwrap();
    assert_eq!(arg.value, "(concat \"x\" $y)", "stored in canonical text");
    assert!(stack.is_dirty());
    let (text, sel) = stack.undo(&mut def).unwrap();
    assert_eq!(def, original);
    assert_eq!(sel, ElementRef::Definition);
    assert!(text.contains(&format!("argument {name}")), "{text}");
    assert!(!stack.is_dirty());
    stack.redo(&mut def).unwrap();
    assert_ne!(def, original);
}

#[test]
fn a_key_that_does_not_fit_the_element_is_refused_and_changes_nothing() {
    let mut def = onboard();
    let original = def.clone();
    let err = set_field(&mut def, ElementRef::Definition, &FieldKey::Owner(0), "$x").unwrap_err();
    assert_eq!(err.0, "owner 1 cannot be set on a workflow");
    let err = Edit::SetField {
        target: ElementRef::Definition,
        field: Prop::MaxSteps.into(),
        value: "-3".into(),
    }
    .apply(&mut def)
    .unwrap_err();
    assert!(err.0.contains("maxSteps"), "{err}");
    assert_eq!(def, original);
}

#[test]
fn list_keys_name_their_entry_and_back() {
    let def = onboard();
    let (a, i, name) = service_arg(&def);
    let action = &def.process.activities[a].actions[i];
    let (list, at) = FieldKey::Arg(name.clone()).item(action).unwrap();
    assert_eq!(list, ItemList::Argument);
    assert_eq!(list.key(action, at), Some(FieldKey::Arg(name)));
    assert_eq!(FieldKey::Arg("nope".into()).item(action), None);
    assert_eq!(FieldKey::Prop(Prop::Name).item(action), None);
    assert_eq!(
        FieldKey::Return(2).item(action),
        Some((ItemList::Return, 2))
    );
}

#[test]
fn the_editing_core_never_imports_the_ui() {
    let sources = [
        include_str!("mod.rs"),
        include_str!("element.rs"),
        include_str!("field.rs"),
        include_str!("workflow.rs"),
        include_str!("set_field.rs"),
        include_str!("stack.rs"),
        include_str!("report.rs"),
        include_str!("rule.rs"),
        include_str!("callers.rs"),
        include_str!("template.rs"),
        include_str!("rule_save.rs"),
    ];
    for text in sources {
        for needle in ["ratatui", "crossterm", "crate::tui", "tui_textarea"] {
            let found = text
                .lines()
                .filter(|l| l.trim_start().starts_with("use "))
                .any(|l| l.contains(needle));
            assert!(!found, "src/edit imports {needle}");
        }
    }
}
