//! Update-level tests: actions through `App::handle_key` / `update`, every edit
//! command and its undo, saving, locks, reload, recovery.

mod tui_common;

use bpe::edit::{CommandStack, Edit, ElementRef, FieldKey, Prop, VarScope};
use bpe::model::{ActionKind, TaskDefinition};
use bpe::repo::lock::{self, LockMode, LockTarget};
use bpe::tui::app::{Overlay, Screen};
use bpe::tui::editor;
use tui_common::*;

#[test]
fn browser_filter_keeps_on_enter_and_clears_on_esc() {
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    let all = app.browser.entries.len();
    assert!(all >= 7);
    press(&mut app, "/");
    type_text(&mut app, "board");
    assert_eq!(
        app.browser.entries.len(),
        3,
        "Onboard and Offboard, and the template Offboarding Notice"
    );
    // q is text while filtering, not quit.
    type_text(&mut app, "q");
    assert!(!app.quit);
    assert_eq!(app.browser.entries.len(), 0);
    press(&mut app, "backspace enter");
    assert!(!app.browser.filtering);
    assert_eq!(app.browser.entries.len(), 3);
    press(&mut app, "esc");
    assert_eq!(app.browser.entries.len(), all);
}

/// Issue 13 item 1: the browser lists every kind under a heading with its
/// count, filters them all, and shows a rule's callers and a template's users.
#[test]
fn browser_lists_rules_libraries_and_templates_by_kind() {
    use bpe::tui::browser::{Entry, Section};
    let dir = copy_repo(&sample_repository());
    let lib = r#"{"formatVersion":1,"id":"cfg-naming","name":"Naming","rules":[{"formatVersion":1,"id":"r1","name":"Short","body":"(substr $x 0 3)"}]}"#;
    std::fs::create_dir_all(dir.path().join("Configuration")).unwrap();
    std::fs::write(dir.path().join("Configuration/naming.json"), lib).unwrap();
    std::fs::write(dir.path().join("Rule/broken.json"), "{\n  \"name\": ").unwrap();
    let mut app = app(dir.path());
    let b = &app.browser;
    assert_eq!(b.count(Section::Workflows), 7);
    assert_eq!(b.count(Section::Rules), 7);
    assert_eq!(b.count(Section::Libraries), 1);
    assert_eq!(b.count(Section::Templates), 12);
    assert_eq!(b.count(Section::Broken), 1);
    // Sections in order: workflows, rules, libraries, templates, failed files.
    let order: Vec<Section> = b.entries.iter().map(|e| e.section()).collect();
    let mut sorted = order.clone();
    sorted.sort_by_key(|s| *s as u8);
    assert_eq!(order, sorted);
    let broken = b
        .entries
        .iter()
        .find_map(|e| match e {
            Entry::Broken(i) => Some(app.repo.errors[*i].to_string()),
            _ => None,
        })
        .unwrap();
    assert!(broken.starts_with("Rule/broken.json:2:"), "{broken}");
    press(&mut app, "/");
    type_text(&mut app, "birthright");
    press(&mut app, "enter");
    assert_eq!(app.browser.entries.len(), 1);
    assert!(matches!(app.browser.entries[0], Entry::Rule(_)));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("── rules (1) ──"), "{screen}");
    assert!(screen.contains("used by 2:"), "{screen}");
    assert!(screen.contains("workflow Onboard Employee"), "{screen}");
    assert!(screen.contains("workflow Role Change"), "{screen}");
    press(&mut app, "esc /");
    type_text(&mut app, "Welcome");
    press(&mut app, "enter");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("── email templates (1) ──"), "{screen}");
    assert!(screen.contains("placeholders: accountId"), "{screen}");
    assert!(screen.contains("Onboard Employee"), "{screen}");
}

#[test]
fn set_condition_then_undo_and_redo() {
    let (_dir, mut app) = sample();
    let a = activity_index(&app, "Manager Approval");
    let before = def(&app).clone();
    let target = ElementRef::Transition(a, 0);
    assert!(bpe::tui::app_editor::execute(
        &mut app,
        Edit::SetField {
            target,
            field: bpe::edit::Prop::Condition.into(),
            value: "(eq   $decision \"later\")".into()
        }
    ));
    // Stored canonical.
    assert_eq!(
        def(&app).process.activities[a].transitions[0]
            .condition
            .as_deref(),
        Some("(eq $decision \"later\")")
    );
    assert!(app.has_unsaved());
    press(&mut app, "u");
    assert_eq!(def(&app), &before);
    assert!(!app.has_unsaved());
    press(&mut app, "U");
    assert_eq!(
        def(&app).process.activities[a].transitions[0]
            .condition
            .as_deref(),
        Some("(eq $decision \"later\")")
    );
}

#[test]
fn invalid_expression_is_refused_and_leaves_the_definition_alone() {
    let (_dir, mut app) = sample();
    let a = activity_index(&app, "Manager Approval");
    let before = def(&app).clone();
    let ok = bpe::tui::app_editor::execute(
        &mut app,
        Edit::SetField {
            target: ElementRef::Transition(a, 0),
            field: bpe::edit::Prop::Condition.into(),
            value: "(eq $x".into(),
        },
    );
    assert!(!ok);
    assert_eq!(def(&app), &before);
    assert!(app.notice.as_ref().unwrap().text.contains("expression"));
}

#[test]
fn typing_an_invalid_expression_marks_it_and_refuses_to_apply() {
    let (_dir, mut app) = sample();
    let a = activity_index(&app, "Manager Approval");
    bpe::tui::app_editor::select(&mut app, ElementRef::Transition(a, 0));
    // Focus properties, move to the condition row (from, to, condition).
    press(&mut app, "w");
    let ed = app.editor.as_mut().unwrap();
    let rows = ed.rows();
    ed.prop_cursor = rows
        .iter()
        .position(|r| matches!(r, bpe::tui::properties::Row::Field(f) if f.key.is(bpe::edit::Prop::Condition)))
        .unwrap();
    press(&mut app, "e");
    assert!(app.editor.as_ref().unwrap().editing.is_some());
    // Clear and type a broken expression.
    for _ in 0..200 {
        press(&mut app, "backspace");
    }
    type_text(&mut app, "(eq $decision ");
    let err = app
        .editor
        .as_ref()
        .unwrap()
        .editing
        .as_ref()
        .unwrap()
        .error
        .clone()
        .expect("error while typing");
    assert_eq!(err.line, 1);
    press(&mut app, "enter");
    assert!(
        app.editor.as_ref().unwrap().editing.is_some(),
        "refused while invalid"
    );
    assert!(!app.has_unsaved());
    type_text(&mut app, "\"yes\")");
    assert!(
        app.editor
            .as_ref()
            .unwrap()
            .editing
            .as_ref()
            .unwrap()
            .error
            .is_none()
    );
    press(&mut app, "enter");
    assert!(app.editor.as_ref().unwrap().editing.is_none());
    assert_eq!(
        def(&app).process.activities[a].transitions[0]
            .condition
            .as_deref(),
        Some("(eq $decision \"yes\")")
    );
}

#[test]
fn add_activity_connects_it_and_undo_removes_both() {
    let (_dir, mut app) = sample();
    select_activity(&mut app, "Send Welcome");
    let before = def(&app).clone();
    press(&mut app, "a");
    assert!(matches!(app.overlay, Some(Overlay::Prompt(_))));
    type_text(&mut app, "Notify Manager");
    press(&mut app, "enter");
    assert!(app.overlay.is_none());
    let n = activity_index(&app, "Notify Manager");
    let w = activity_index(&app, "Send Welcome");
    assert_eq!(n, w + 1);
    assert!(
        def(&app).process.activities[w]
            .transitions
            .iter()
            .any(|t| t.to == "Notify Manager")
    );
    assert_eq!(
        app.editor.as_ref().unwrap().selection,
        ElementRef::Activity(n)
    );
    press(&mut app, "u");
    assert_eq!(def(&app), &before);
}

#[test]
fn duplicate_activity_name_keeps_the_prompt_open() {
    let (_dir, mut app) = sample();
    press(&mut app, "a");
    type_text(&mut app, "Send Welcome");
    press(&mut app, "enter");
    match &app.overlay {
        Some(Overlay::Prompt(p)) if p.error.is_some() => {
            let e = p.error.as_deref().unwrap_or_default();
            assert!(e.contains("already"), "{e}")
        }
        _ => panic!("prompt should stay open with an error"),
    }
}

#[test]
fn delete_activity_removes_transitions_into_it_and_undo_restores() {
    let (_dir, mut app) = sample();
    select_activity(&mut app, "Rejected");
    let before = def(&app).clone();
    press(&mut app, "d");
    assert!(def(&app).process.activity("Rejected").is_none());
    assert!(
        def(&app)
            .process
            .activities
            .iter()
            .all(|a| a.transitions.iter().all(|t| t.to != "Rejected"))
    );
    press(&mut app, "u");
    assert_eq!(def(&app), &before);
}

#[test]
fn start_cannot_be_deleted() {
    let (_dir, mut app) = sample();
    select_activity(&mut app, "start");
    let before = def(&app).clone();
    press(&mut app, "d");
    assert_eq!(def(&app), &before);
    assert!(app.notice.as_ref().unwrap().text.contains("start"));
}

#[test]
fn reorder_activities_actions_transitions_and_variables() {
    let (_dir, mut app) = sample();
    let before = def(&app).clone();
    let a = activity_index(&app, "Manager Approval");
    // Activity later, then undo.
    bpe::tui::app_editor::select(&mut app, ElementRef::Activity(a));
    press(&mut app, "J");
    assert_eq!(def(&app).process.activities[a + 1].name, "Manager Approval");
    press(&mut app, "u");
    assert_eq!(def(&app), &before);
    // Transition earlier.
    bpe::tui::app_editor::select(&mut app, ElementRef::Transition(a, 1));
    let second = def(&app).process.activities[a].transitions[1].clone();
    press(&mut app, "K");
    assert_eq!(def(&app).process.activities[a].transitions[0], second);
    assert_eq!(
        app.editor.as_ref().unwrap().selection,
        ElementRef::Transition(a, 0)
    );
    press(&mut app, "u");
    assert_eq!(def(&app), &before);
    // Variable (process scope) later.
    bpe::tui::app_editor::select(&mut app, ElementRef::Variable(VarScope::Process, 0));
    let first = def(&app).process.variables[0].name.clone();
    press(&mut app, "J");
    assert_eq!(def(&app).process.variables[1].name, first);
    press(&mut app, "u");
    assert_eq!(def(&app), &before);
    // Action: find an activity with two actions.
    let (x, _) = def(&app)
        .process
        .activities
        .iter()
        .enumerate()
        .find(|(_, act)| act.actions.len() >= 2)
        .expect("an activity with two actions");
    bpe::tui::app_editor::select(&mut app, ElementRef::Action(x, 0));
    let a0 = def(&app).process.activities[x].actions[0].clone();
    press(&mut app, "J");
    assert_eq!(def(&app).process.activities[x].actions[1], a0);
    press(&mut app, "u");
    assert_eq!(def(&app), &before);
    // Moving the first earlier is refused without a change.
    bpe::tui::app_editor::select(&mut app, ElementRef::Activity(0));
    press(&mut app, "K");
    assert_eq!(def(&app), &before);
}

#[test]
fn add_action_from_template_and_undo() {
    let (_dir, mut app) = sample();
    select_activity(&mut app, "Send Welcome");
    let w = activity_index(&app, "Send Welcome");
    let before = def(&app).clone();
    press(&mut app, "A");
    let Some(Overlay::Picker { items, .. }) = &app.overlay else {
        panic!("template picker")
    };
    let pos = items
        .iter()
        .position(|i| i.starts_with("service assignRole"))
        .expect("assignRole template");
    for _ in 0..pos {
        press(&mut app, "j");
    }
    press(&mut app, "enter");
    let acts = &def(&app).process.activities[w].actions;
    assert_eq!(acts.len(), before.process.activities[w].actions.len() + 1);
    let added = acts.last().unwrap();
    match &added.kind {
        ActionKind::Service { op, arguments } => {
            assert_eq!(op, "assignRole");
            let names: Vec<_> = arguments.iter().map(|a| a.name.as_str()).collect();
            assert_eq!(names, ["accountId", "role"]);
        }
        other => panic!("{other:?}"),
    }
    press(&mut app, "u");
    assert_eq!(def(&app), &before);
}

#[test]
fn approval_and_notify_templates() {
    let dir = copy_repo(&sample_repository());
    let repo = bpe::repo::Repository::open(dir.path()).unwrap();
    let t = bpe::tui::templates::templates(&repo);
    assert!(t.iter().any(|t| matches!(&t.action.kind, ActionKind::Subprocess { process, .. } if process == "Approval")));
    assert!(
        t.iter()
            .any(|t| matches!(&t.action.kind, ActionKind::Manual(m) if !m.owners.is_empty()))
    );
    let notify: Vec<_> = t
        .iter()
        .filter(|t| t.label.starts_with("notify with template"))
        .collect();
    assert!(
        notify
            .iter()
            .all(|t| matches!(&t.action.kind, ActionKind::Service { op, .. } if op == "notify"))
    );
    assert_eq!(notify.len(), repo.email_templates.len());
    // Every template's expressions parse.
    for x in &t {
        let mut d = TaskDefinition {
            process: Default::default(),
            ..serde_json::from_str(
                r#"{"formatVersion":1,"id":"x","name":"x","process":{"activities":[]}}"#,
            )
            .unwrap()
        };
        d.process.activities.push(bpe::model::Activity {
            id: "a".into(),
            name: "A".into(),
            actions: vec![x.action.clone()],
            ..Default::default()
        });
        assert!(editor::invalid_expressions(&d).is_empty(), "{}", x.label);
    }
}

#[test]
fn connect_two_activities_and_undo() {
    let (_dir, mut app) = sample();
    select_activity(&mut app, "SoD Violation");
    let s = activity_index(&app, "SoD Violation");
    let before = def(&app).clone();
    press(&mut app, "t");
    let Some(Overlay::Picker { items, .. }) = &app.overlay else {
        panic!("picker")
    };
    let pos = items.iter().position(|i| i == "Rejected").unwrap();
    for _ in 0..pos {
        press(&mut app, "j");
    }
    press(&mut app, "enter");
    let ts = &def(&app).process.activities[s].transitions;
    assert_eq!(ts.last().unwrap().to, "Rejected");
    press(&mut app, "u");
    assert_eq!(def(&app), &before);
}

#[test]
fn add_and_delete_variable_with_undo() {
    let (_dir, mut app) = sample();
    bpe::tui::app_editor::select(&mut app, ElementRef::Definition);
    let before = def(&app).clone();
    press(&mut app, "V");
    type_text(&mut app, "ticketId");
    press(&mut app, "enter");
    assert!(
        def(&app)
            .process
            .variables
            .iter()
            .any(|v| v.name == "ticketId")
    );
    let sel = app.editor.as_ref().unwrap().selection;
    assert!(matches!(sel, ElementRef::Variable(VarScope::Process, _)));
    press(&mut app, "d");
    assert!(
        !def(&app)
            .process
            .variables
            .iter()
            .any(|v| v.name == "ticketId")
    );
    press(&mut app, "u u");
    assert_eq!(def(&app), &before);
    // A bad name is refused.
    press(&mut app, "V");
    type_text(&mut app, "9 lives");
    press(&mut app, "enter");
    assert!(matches!(
        &app.overlay,
        Some(Overlay::Prompt(p)) if p.error.is_some()
    ));
}

#[test]
fn rename_updates_every_reference_and_undo_restores() {
    let (_dir, mut app) = sample();
    select_activity(&mut app, "Rejected");
    let before = def(&app).clone();
    let refs = before
        .process
        .activities
        .iter()
        .flat_map(|a| &a.transitions)
        .filter(|t| t.to == "Rejected")
        .count();
    assert!(refs >= 2);
    press(&mut app, "r");
    assert!(app.editor.as_ref().unwrap().editing.is_some());
    for _ in 0..30 {
        press(&mut app, "backspace");
    }
    type_text(&mut app, "Request Rejected");
    press(&mut app, "enter");
    let d = def(&app);
    assert!(d.process.activity("Rejected").is_none());
    assert_eq!(
        d.process
            .activities
            .iter()
            .flat_map(|a| &a.transitions)
            .filter(|t| t.to == "Request Rejected")
            .count(),
        refs
    );
    press(&mut app, "u");
    assert_eq!(def(&app), &before);
}

#[test]
fn toggles_and_choices_are_commands_too() {
    let (_dir, mut app) = sample();
    let a = activity_index(&app, "Assign Roles");
    let before = def(&app).clone();
    bpe::tui::app_editor::select(&mut app, ElementRef::Activity(a));
    press(&mut app, "w");
    let ed = app.editor.as_mut().unwrap();
    ed.prop_cursor = ed
        .rows()
        .iter()
        .position(|r| matches!(r, bpe::tui::properties::Row::Field(f) if f.key.is(bpe::edit::Prop::AndJoin)))
        .unwrap();
    press(&mut app, "enter");
    assert_ne!(
        def(&app).process.activities[a].and_join,
        before.process.activities[a].and_join
    );
    press(&mut app, "u");
    assert_eq!(def(&app), &before);
    // execMode through the choice picker.
    bpe::tui::app_editor::select(&mut app, ElementRef::Definition);
    let ed = app.editor.as_mut().unwrap();
    ed.prop_cursor = ed
        .rows()
        .iter()
        .position(|r| matches!(r, bpe::tui::properties::Row::Field(f) if f.key.is(bpe::edit::Prop::ExecMode)))
        .unwrap();
    press(&mut app, "enter");
    assert!(matches!(app.overlay, Some(Overlay::Picker { .. })));
    press(&mut app, "G enter");
    assert_eq!(def(&app).exec_mode, bpe::model::ExecMode::Async);
    press(&mut app, "u");
    assert_eq!(def(&app), &before);
}

#[test]
fn command_stack_restores_exact_states() {
    let dir = copy_repo(&sample_repository());
    let repo = bpe::repo::Repository::open(dir.path()).unwrap();
    let mut d = repo.definition("Onboard Employee").unwrap().value.clone();
    let original = d.clone();
    let mut stack = CommandStack::new();
    let edits = vec![
        Edit::SetField {
            target: ElementRef::Definition,
            field: bpe::edit::Prop::MaxSteps.into(),
            value: "99".into(),
        },
        Edit::SetField {
            target: ElementRef::Definition,
            field: bpe::edit::Prop::Description.into(),
            value: "x".into(),
        },
        Edit::RenameActivity {
            activity: 1,
            name: "Check Request".into(),
        },
        Edit::Delete(ElementRef::Activity(2)),
    ];
    let mut states = vec![d.clone()];
    for e in edits {
        stack.execute(&mut d, e, ElementRef::Definition).unwrap();
        states.push(d.clone());
    }
    assert!(stack.is_dirty());
    for i in (0..states.len() - 1).rev() {
        stack.undo(&mut d).unwrap();
        assert_eq!(d, states[i]);
    }
    assert_eq!(d, original);
    assert!(!stack.is_dirty());
    assert!(stack.undo(&mut d).is_none());
    for state in states.iter().skip(1) {
        stack.redo(&mut d).unwrap();
        assert_eq!(&d, state);
    }
    // A failing edit changes nothing and is not recorded.
    assert!(
        stack
            .execute(
                &mut d,
                Edit::SetField {
                    target: ElementRef::Definition,
                    field: bpe::edit::Prop::MaxSteps.into(),
                    value: "many".into()
                },
                ElementRef::Definition
            )
            .is_err()
    );
    assert_eq!(&d, states.last().unwrap());
}

#[test]
fn quit_and_close_ask_when_modified() {
    let (_dir, mut app) = sample();
    bpe::tui::app_editor::execute(
        &mut app,
        Edit::SetField {
            target: ElementRef::Definition,
            field: bpe::edit::Prop::Description.into(),
            value: "changed".into(),
        },
    );
    press(&mut app, "q");
    assert!(!app.quit);
    assert!(matches!(app.overlay, Some(Overlay::ConfirmUnsaved { .. })));
    press(&mut app, "esc");
    assert!(app.overlay.is_none());
    press(&mut app, "c");
    assert!(matches!(app.overlay, Some(Overlay::ConfirmUnsaved { .. })));
    press(&mut app, "d");
    assert_eq!(app.screen, Screen::Browser);
    assert!(app.editor.is_none());
    press(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn save_writes_atomically_and_clears_the_dirty_marker() {
    let (dir, mut app) = sample();
    let a = activity_index(&app, "Manager Approval");
    bpe::tui::app_editor::execute(
        &mut app,
        Edit::SetField {
            target: ElementRef::Transition(a, 0),
            field: bpe::edit::Prop::Condition.into(),
            value: "(eq $decision \"maybe\")".into(),
        },
    );
    press(&mut app, "s");
    assert!(!app.has_unsaved(), "{:?}", app.notice);
    let text =
        std::fs::read_to_string(dir.path().join("TaskDefinition/onboard-employee.json")).unwrap();
    assert!(text.contains(r#"(eq $decision \"maybe\")"#));
    let names: Vec<_> = std::fs::read_dir(dir.path().join("TaskDefinition"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(names.iter().all(|n| !n.to_string_lossy().ends_with(".tmp")));
}

#[test]
fn save_is_refused_while_an_expression_is_invalid() {
    let dir = copy_repo(&fixture_repository());
    let mut app = app(dir.path());
    open(&mut app, "Change Password");
    bpe::tui::app_editor::execute(
        &mut app,
        Edit::SetField {
            target: ElementRef::Definition,
            field: bpe::edit::Prop::Description.into(),
            value: "x".into(),
        },
    );
    let before =
        std::fs::read_to_string(dir.path().join("TaskDefinition/change-password.json")).unwrap();
    press(&mut app, "s");
    assert!(app.has_unsaved());
    let notice = app.notice.clone().unwrap().text;
    assert!(notice.contains("invalid expression"), "{notice}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("TaskDefinition/change-password.json")).unwrap(),
        before
    );
}

#[test]
fn second_editor_is_read_only_and_names_the_holder() {
    let (dir, mut first) = sample();
    assert!(first.editor.as_ref().unwrap().read_only().is_none());
    let mut second = app(dir.path());
    open(&mut second, "Onboard Employee");
    let holder = second
        .editor
        .as_ref()
        .unwrap()
        .read_only()
        .expect("read-only")
        .to_string();
    assert!(
        holder.contains(&format!("pid {}", std::process::id())),
        "{holder}"
    );
    assert!(holder.contains("since"), "{holder}");
    let before = def(&second).clone();
    press(&mut second, "a");
    type_text(&mut second, "X");
    press(&mut second, "enter esc");
    assert_eq!(def(&second), &before);
    // Badge in the browser of a third view.
    let third = app(dir.path());
    let i = third
        .repo
        .definitions
        .iter()
        .position(|d| d.value.name == "Onboard Employee")
        .unwrap();
    assert!(third.browser.badges[i].locked_by.is_some());
    // Closing the first releases the lock.
    press(&mut first, "c");
    let mut fourth = app(dir.path());
    open(&mut fourth, "Onboard Employee");
    assert!(fourth.editor.as_ref().unwrap().read_only().is_none());
}

#[test]
fn save_is_refused_while_a_run_holds_the_definition() {
    let (dir, mut app) = sample();
    let id = def(&app).id.clone();
    let _run = lock::acquire(
        dir.path(),
        LockTarget::DefinitionRun(id),
        LockMode::Shared,
        "bpe run",
    )
    .unwrap();
    bpe::tui::app_editor::execute(
        &mut app,
        Edit::SetField {
            target: ElementRef::Definition,
            field: bpe::edit::Prop::Description.into(),
            value: "x".into(),
        },
    );
    press(&mut app, "s");
    assert!(app.has_unsaved());
    let notice = app.notice.clone().unwrap().text;
    assert!(
        notice.contains("a run holds") && notice.contains("bpe run"),
        "{notice}"
    );
}

fn write_external(dir: &std::path::Path, f: impl FnOnce(&mut TaskDefinition)) -> TaskDefinition {
    let path = dir.join("TaskDefinition/onboard-employee.json");
    let mut d: TaskDefinition =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    f(&mut d);
    bpe::repo::save_json(&path, &d).unwrap();
    d
}

#[test]
fn external_change_reloads_an_unmodified_workflow() {
    let (dir, mut app) = sample();
    let theirs = write_external(dir.path(), |d| d.description = "changed elsewhere".into());
    bpe::tui::sync::repository_changed(&mut app);
    assert_eq!(def(&app), &theirs);
    assert!(!app.has_unsaved());
    assert!(app.notice.as_ref().unwrap().text.contains("reloaded"));
}

#[test]
fn external_change_to_a_modified_workflow_asks() {
    let (dir, mut app) = sample();
    bpe::tui::app_editor::execute(
        &mut app,
        Edit::SetField {
            target: ElementRef::Definition,
            field: bpe::edit::Prop::MaxSteps.into(),
            value: "77".into(),
        },
    );
    let mine = def(&app).clone();
    let theirs = write_external(dir.path(), |d| d.description = "changed elsewhere".into());
    bpe::tui::sync::repository_changed(&mut app);
    assert!(matches!(app.overlay, Some(Overlay::Conflict)));
    assert_eq!(def(&app), &mine, "nothing overwritten before the choice");
    press(&mut app, "t");
    assert_eq!(def(&app), &theirs);
    assert!(!app.has_unsaved());
    press(&mut app, "u");
    assert_eq!(def(&app), &mine, "undo brings mine back");
    // Keep mine on a second conflict.
    let theirs2 = write_external(dir.path(), |d| d.description = "again".into());
    bpe::tui::sync::repository_changed(&mut app);
    assert!(matches!(app.overlay, Some(Overlay::Conflict)));
    press(&mut app, "m");
    assert_eq!(def(&app), &mine);
    assert!(app.has_unsaved());
    assert_eq!(app.editor.as_ref().unwrap().disk.as_ref(), Some(&theirs2));
}

#[test]
fn new_and_deleted_files_appear_and_vanish_in_the_browser() {
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    let n = app.repo.definitions.len();
    std::fs::remove_file(dir.path().join("TaskDefinition/role-change.json")).unwrap();
    std::fs::write(dir.path().join("TaskDefinition/bad.json"), "{ nope").unwrap();
    bpe::tui::sync::repository_changed(&mut app);
    assert_eq!(app.repo.definitions.len(), n - 1);
    assert!(
        app.browser
            .entries
            .iter()
            .any(|e| matches!(e, bpe::tui::browser::Entry::Broken(_)))
    );
}

#[test]
fn recovery_copy_is_offered_and_restored() {
    let dir = copy_repo(&sample_repository());
    let root = dir.path();
    {
        let mut app = app(root);
        open(&mut app, "Onboard Employee");
        bpe::tui::app_editor::execute(
            &mut app,
            Edit::SetField {
                target: ElementRef::Definition,
                field: bpe::edit::Prop::Description.into(),
                value: "unsaved work".into(),
            },
        );
        // What the panic hook / signal handler does with the published copy
        // (the global slot itself is tested in the library's unit tests).
        let ed = app.editor.as_ref().unwrap();
        let written = bpe::tui::recovery::write(root, &ed.path, &ed.def).unwrap();
        assert!(written.starts_with(root.join(".bpe/recovery")));
    }
    let mut app = app(root);
    assert!(matches!(app.overlay, Some(Overlay::Recovery { .. })));
    press(&mut app, "r");
    assert_eq!(app.screen, Screen::Editor);
    assert_eq!(def(&app).description, "unsaved work");
    assert!(app.has_unsaved());
    press(&mut app, "s");
    assert!(
        bpe::tui::recovery::list(root).is_empty(),
        "saved: recovery copy gone"
    );
}

#[test]
fn copy_emits_osc52_with_the_selected_json() {
    let (_dir, mut app) = sample();
    select_activity(&mut app, "Send Welcome");
    let effects = app.handle_key(key("y"));
    let [bpe::tui::app::Effect::WriteRaw(seq)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(seq.starts_with("\x1b]52;c;") && seq.ends_with('\x07'));
}

#[test]
fn tab_follows_transitions_and_back() {
    let (_dir, mut app) = sample();
    select_activity(&mut app, "start");
    press(&mut app, "tab");
    let first = def(&app).process.activities[0].transitions[0].to.clone();
    assert_eq!(
        app.editor.as_ref().unwrap().selection,
        ElementRef::Activity(activity_index(&app, &first))
    );
    press(&mut app, "backtab");
    assert_eq!(
        app.editor.as_ref().unwrap().selection,
        ElementRef::Activity(0)
    );
}

#[test]
fn help_opens_and_esc_closes() {
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    press(&mut app, "?");
    assert!(matches!(app.overlay, Some(Overlay::Help { .. })));
    press(&mut app, "esc");
    assert!(app.overlay.is_none());
    assert!(!app.quit);
}

#[test]
fn arrows_move_spatially_and_the_view_keeps_the_selection_in_sight() {
    let (_dir, mut app) = sample();
    select_activity(&mut app, "Validate Request");
    press(&mut app, "j");
    let ed = app.editor.as_ref().unwrap();
    let here = ed.selection.activity().unwrap();
    let layout = ed.diagram.layout();
    let validate = activity_index(&app, "Validate Request");
    assert_eq!(
        layout.boxes[here].layer,
        layout.boxes[validate].layer + 1,
        "down goes one layer down"
    );
    press(&mut app, "k");
    assert_eq!(
        app.editor.as_ref().unwrap().selection,
        ElementRef::Activity(validate)
    );
    // Far down: the view scrolls so the box is inside the pane.
    app.size = (80, 24);
    press(&mut app, "G");
    let ed = app.editor.as_ref().unwrap();
    let r = ed
        .diagram
        .box_rect(ed.selection.activity().unwrap())
        .unwrap();
    let (w, h) = editor::diagram_viewport(app.size, false, 0, app.settings.properties_percent);
    let (sx, sy) = ed.scroll;
    assert!(sy > 0, "scrolled down");
    assert!(
        r.y >= sy && r.y + r.height <= sy + h,
        "box rows {}..{} in view {sy}..{}",
        r.y,
        r.y + r.height,
        sy + h
    );
    assert!(r.x >= sx && r.x + r.width <= sx + w, "box columns in view");
}

/// No key sequence panics: a long pseudo-random walk over every bound key and
/// some typing, drawing as it goes.
#[test]
fn random_key_walk_never_panics() {
    for seed in [0x5eed_1234_abcd_0001_u64, 42, 0xdead_beef] {
        walk(seed);
    }
}

fn walk(mut seed: u64) {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    let keys = [
        "j",
        "k",
        "h",
        "l",
        "g",
        "G",
        "enter",
        "esc",
        "tab",
        "backtab",
        "w",
        "o",
        "v",
        "e",
        "a",
        "A",
        "V",
        "t",
        "d",
        "r",
        "K",
        "J",
        "u",
        "U",
        "y",
        "/",
        "?",
        "pgdn",
        "pgup",
        "x",
        "1",
        "(",
        ")",
        "$",
        "backspace",
        "alt-enter",
        "m",
        "c",
        "n",
        "N",
    ];
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    for step in 0..4000 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let k = keys[(seed >> 33) as usize % keys.len()];
        // Never quit or save on purpose: keep exploring.
        if k == "q" || k == "s" {
            continue;
        }
        app.handle_key(key(k));
        if step % 7 == 0 {
            term.draw(|f| bpe::tui::view::view(&app, f)).unwrap();
        }
    }
}

// ---- Adding and removing the entries of an action's lists (`+` / `-` in the properties pane).

fn action_of(app: &bpe::tui::app::App, a: usize, i: usize) -> &bpe::model::Action {
    &def(app).process.activities[a].actions[i]
}

fn picker_items(app: &bpe::tui::app::App) -> Vec<String> {
    match &app.overlay {
        Some(Overlay::Picker { items, .. }) => items.clone(),
        _ => panic!("a picker is open"),
    }
}

fn put_cursor_on(app: &mut bpe::tui::app::App, key: FieldKey) {
    let ed = app.editor.as_mut().unwrap();
    ed.prop_cursor = ed
        .rows()
        .iter()
        .position(|r| matches!(r, bpe::tui::properties::Row::Field(f) if f.key == key))
        .unwrap_or_else(|| panic!("a row {key:?}"));
}

fn editing_key(app: &bpe::tui::app::App) -> Option<FieldKey> {
    app.editor
        .as_ref()
        .unwrap()
        .editing
        .as_ref()
        .map(|e| e.key.clone())
}

fn clear_field(app: &mut bpe::tui::app::App) {
    for _ in 0..60 {
        press(app, "backspace");
    }
}

#[test]
fn service_action_offers_missing_catalogue_arguments_first_then_undo() {
    let (_dir, mut app) = sample();
    let a = activity_index(&app, "Provision Accounts");
    let before = def(&app).clone();
    bpe::tui::app_editor::select(&mut app, ElementRef::Action(a, 0));
    press(&mut app, "w +");
    let items = picker_items(&app);
    // provision: accountId is passed; resource (optional) is missing.
    assert_eq!(items[0], "argument resource (optional)");
    assert!(items.contains(&"argument (another name)…".to_string()));
    assert!(items.contains(&"return (from -> to)…".to_string()));
    press(&mut app, "enter");
    // Added with a placeholder value and opened for editing.
    assert_eq!(editing_key(&app), Some(FieldKey::Arg("resource".into())));
    clear_field(&mut app);
    type_text(&mut app, "\"ldap\"");
    press(&mut app, "enter");
    let ActionKind::Service { arguments, .. } = &action_of(&app, a, 0).kind else {
        panic!("service");
    };
    assert_eq!(arguments.len(), 2);
    assert_eq!(arguments[1].name, "resource");
    assert_eq!(arguments[1].value, "\"ldap\"");
    // Now every catalogue argument is passed: the picker starts with the lists.
    press(&mut app, "+");
    assert_eq!(picker_items(&app)[0], "argument (another name)…");
    press(&mut app, "esc");
    // Two commands: the value, then the argument itself.
    press(&mut app, "u");
    let ActionKind::Service { arguments, .. } = &action_of(&app, a, 0).kind else {
        panic!("service");
    };
    assert_eq!(arguments[1].value, "$resource");
    press(&mut app, "u");
    assert_eq!(def(&app), &before);
    press(&mut app, "U");
    assert_eq!(
        serde_json::to_value(action_of(&app, a, 0)).unwrap()["arguments"][1]["name"],
        "resource"
    );
}

#[test]
fn removing_a_service_argument_and_undo_restores_it_in_place() {
    let (_dir, mut app) = sample();
    let a = activity_index(&app, "Create Identity");
    let before = def(&app).clone();
    bpe::tui::app_editor::select(&mut app, ElementRef::Action(a, 0));
    press(&mut app, "w");
    put_cursor_on(&mut app, FieldKey::Arg("email".into()));
    press(&mut app, "-");
    let ActionKind::Service { arguments, .. } = &action_of(&app, a, 0).kind else {
        panic!("service");
    };
    assert!(!arguments.iter().any(|x| x.name == "email"));
    assert_eq!(arguments.len(), 7);
    // The removed catalogue argument is offered again, first.
    press(&mut app, "+");
    assert_eq!(picker_items(&app)[0], "argument email (optional)");
    press(&mut app, "esc u");
    assert_eq!(def(&app), &before);
    // `-` on a row that is no list entry changes nothing.
    put_cursor_on(&mut app, Prop::Op.into());
    press(&mut app, "-");
    assert_eq!(def(&app), &before);
    assert!(!app.editor.as_ref().unwrap().stack.can_undo());
}

#[test]
fn subprocess_arguments_by_name_add_and_remove() {
    let (_dir, mut app) = sample();
    let a = activity_index(&app, "Manager Approval");
    let before = def(&app).clone();
    let action = bpe::model::Action {
        kind: ActionKind::Subprocess {
            process: "Approval".into(),
            arguments: vec![],
        },
        name: String::new(),
        condition: None,
        variables: vec![],
        returns: vec![],
        comment: String::new(),
    };
    assert!(bpe::tui::app_editor::execute(
        &mut app,
        Edit::AddAction {
            activity: a,
            at: 0,
            action
        }
    ));
    let with_action = def(&app).clone();
    press(&mut app, "w +");
    assert_eq!(picker_items(&app)[0], "argument (another name)…");
    press(&mut app, "enter");
    assert!(matches!(app.overlay, Some(Overlay::Prompt(_))));
    type_text(&mut app, "approver");
    press(&mut app, "enter");
    assert_eq!(editing_key(&app), Some(FieldKey::Arg("approver".into())));
    press(&mut app, "esc");
    let ActionKind::Subprocess { arguments, .. } = &action_of(&app, a, 0).kind else {
        panic!("subprocess");
    };
    assert_eq!(arguments.len(), 1);
    assert_eq!(arguments[0].value, "$approver");
    // A second argument of the same name is refused (the prompt stays with the message).
    press(&mut app, "+ enter");
    type_text(&mut app, "approver");
    press(&mut app, "enter");
    assert!(matches!(
        &app.overlay,
        Some(Overlay::Prompt(p)) if p.error.as_deref().is_some_and(|e| e.contains("already"))
    ));
    press(&mut app, "esc");
    put_cursor_on(&mut app, FieldKey::Arg("approver".into()));
    press(&mut app, "x");
    assert_eq!(def(&app), &with_action);
    press(&mut app, "u");
    assert_eq!(def(&app).process.activities[a].actions[0], {
        let mut x = with_action.process.activities[a].actions[0].clone();
        if let ActionKind::Subprocess { arguments, .. } = &mut x.kind {
            arguments.push(bpe::model::Argument {
                name: "approver".into(),
                value: "$approver".into(),
            });
        }
        x
    });
    press(&mut app, "u u");
    assert_eq!(def(&app), &before);
}

#[test]
fn manual_action_owners_exposed_editable_and_returns() {
    let (_dir, mut app) = sample();
    let a = activity_index(&app, "Manager Approval");
    let i = def(&app).process.activities[a]
        .actions
        .iter()
        .position(|x| matches!(x.kind, ActionKind::Manual(_)))
        .unwrap();
    let before = def(&app).clone();
    bpe::tui::app_editor::select(&mut app, ElementRef::Action(a, i));
    press(&mut app, "w");
    // + on an owner row preselects "owner".
    put_cursor_on(&mut app, FieldKey::Owner(0));
    press(&mut app, "+");
    assert_eq!(
        picker_items(&app),
        vec![
            "owner",
            "exposed variable…",
            "editable variable…",
            "return (from -> to)…"
        ]
    );
    press(&mut app, "enter");
    assert_eq!(editing_key(&app), Some(FieldKey::Owner(1)));
    clear_field(&mut app);
    type_text(&mut app, "\"hr-team\"");
    press(&mut app, "enter");
    let manual = |app: &bpe::tui::app::App| match &action_of(app, a, i).kind {
        ActionKind::Manual(m) => m.clone(),
        _ => panic!("manual"),
    };
    assert_eq!(manual(&app).owners, vec!["$manager", "\"hr-team\""]);
    // Remove the first owner.
    put_cursor_on(&mut app, FieldKey::Owner(0));
    press(&mut app, "-");
    assert_eq!(manual(&app).owners, vec!["\"hr-team\""]);
    // Exposed: remove "details", add "manager".
    let exposed = manual(&app).exposed_variables.clone();
    let d = exposed.iter().position(|n| n == "details").unwrap();
    put_cursor_on(&mut app, FieldKey::Exposed(d));
    press(&mut app, "-");
    assert!(
        !manual(&app)
            .exposed_variables
            .contains(&"details".to_string())
    );
    press(&mut app, "+");
    // The list under the cursor is preselected.
    assert!(matches!(
        app.overlay,
        Some(Overlay::Picker { selected: 1, .. })
    ));
    press(&mut app, "enter");
    type_text(&mut app, "manager");
    press(&mut app, "enter");
    assert_eq!(
        manual(&app).exposed_variables.last().map(String::as_str),
        Some("manager")
    );
    // Not a variable name: refused, nothing changes.
    let now = def(&app).clone();
    press(&mut app, "+ enter");
    type_text(&mut app, "9 lives");
    press(&mut app, "enter");
    assert!(matches!(
        &app.overlay,
        Some(Overlay::Prompt(p)) if p.error.is_some()
    ));
    press(&mut app, "esc");
    assert_eq!(def(&app), &now);
    // Editable: remove both, then the empty list is one field row and `+` on it
    // preselects "editable variable"; add "department".
    assert_eq!(manual(&app).editable_variables, vec!["title", "startDate"]);
    put_cursor_on(&mut app, FieldKey::Editable(1));
    press(&mut app, "-");
    put_cursor_on(&mut app, FieldKey::Editable(0));
    press(&mut app, "-");
    assert!(manual(&app).editable_variables.is_empty());
    put_cursor_on(&mut app, Prop::EditableVariables.into());
    press(&mut app, "+");
    assert!(matches!(
        app.overlay,
        Some(Overlay::Picker { selected: 2, .. })
    ));
    press(&mut app, "enter");
    type_text(&mut app, "department");
    press(&mut app, "enter");
    assert_eq!(manual(&app).editable_variables, vec!["department"]);
    // Return: "decision -> decision".
    press(&mut app, "+ G enter");
    type_text(&mut app, "decision -> approved");
    press(&mut app, "enter");
    let r = &action_of(&app, a, i).returns;
    assert_eq!(
        (r[0].from.as_str(), r[0].to.as_str()),
        ("decision", "approved")
    );
    put_cursor_on(&mut app, FieldKey::Return(0));
    press(&mut app, "-");
    assert!(action_of(&app, a, i).returns.is_empty());
    // Every one of these was a command: undo all of them, back to the file.
    for _ in 0..10 {
        press(&mut app, "u");
    }
    assert_eq!(def(&app), &before);
    assert!(!app.has_unsaved());
    // And redo all of them.
    press(&mut app, "u");
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text
            .contains("nothing to undo")
    );
    for _ in 0..10 {
        press(&mut app, "U");
    }
    assert_eq!(manual(&app).owners, vec!["\"hr-team\""]);
    assert_eq!(manual(&app).editable_variables, vec!["department"]);
    assert!(action_of(&app, a, i).returns.is_empty());
}

#[test]
fn command_argv_entries_add_and_remove() {
    let (_dir, mut app) = sample();
    let a = activity_index(&app, "Provision Accounts");
    let action = bpe::model::Action {
        kind: ActionKind::Command(bpe::model::CommandAction {
            argv: vec!["\"/bin/echo\"".into()],
            ..Default::default()
        }),
        name: String::new(),
        condition: None,
        variables: vec![],
        returns: vec![],
        comment: String::new(),
    };
    assert!(bpe::tui::app_editor::execute(
        &mut app,
        Edit::AddAction {
            activity: a,
            at: 1,
            action
        }
    ));
    let with_action = def(&app).clone();
    press(&mut app, "w");
    put_cursor_on(&mut app, FieldKey::Argv(0));
    press(&mut app, "+");
    assert_eq!(
        picker_items(&app),
        vec!["argv entry", "return (from -> to)…"]
    );
    press(&mut app, "enter");
    assert_eq!(editing_key(&app), Some(FieldKey::Argv(1)));
    clear_field(&mut app);
    type_text(&mut app, "$accountId");
    press(&mut app, "enter");
    let argv = |app: &bpe::tui::app::App| match &action_of(app, a, 1).kind {
        ActionKind::Command(c) => c.argv.clone(),
        _ => panic!("command"),
    };
    assert_eq!(argv(&app), vec!["\"/bin/echo\"", "$accountId"]);
    put_cursor_on(&mut app, FieldKey::Argv(0));
    press(&mut app, "-");
    assert_eq!(argv(&app), vec!["$accountId"]);
    press(&mut app, "u u u");
    assert_eq!(def(&app), &with_action);
}

#[test]
fn list_edits_are_refused_on_other_elements_and_read_only() {
    let (_dir, mut app) = sample();
    let a = activity_index(&app, "Manager Approval");
    let before = def(&app).clone();
    // On an activity, + says what to select.
    bpe::tui::app_editor::select(&mut app, ElementRef::Activity(a));
    press(&mut app, "w +");
    assert!(app.overlay.is_none());
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text
            .contains("select an action")
    );
    // Wrong list for the kind: an error, no change.
    assert!(!bpe::tui::app_editor::execute(
        &mut app,
        Edit::AddItem {
            action: (a, 0),
            list: bpe::edit::ItemList::Owner,
            at: 0,
            name: String::new(),
            value: "$x".into(),
        }
    ));
    assert_eq!(def(&app), &before);
    // An owner must be an expression.
    let i = before.process.activities[a]
        .actions
        .iter()
        .position(|x| matches!(x.kind, ActionKind::Manual(_)))
        .unwrap();
    assert!(!bpe::tui::app_editor::execute(
        &mut app,
        Edit::AddItem {
            action: (a, i),
            list: bpe::edit::ItemList::Owner,
            at: 0,
            name: String::new(),
            value: "(concat".into(),
        }
    ));
    assert_eq!(def(&app), &before);
}

#[test]
fn findings_are_listed_under_their_element_and_mark_the_box() {
    let (_dir, mut app) = sample();
    let a = activity_index(&app, "Manager Approval");
    // A transition to an activity that does not exist (as a file could say).
    let mut broken = def(&app).clone();
    broken.process.activities[a].transitions[0].to = "Nowhere".into();
    assert!(bpe::tui::app_editor::execute(
        &mut app,
        Edit::Replace(Box::new(broken))
    ));
    let ed = app.editor.as_ref().unwrap();
    assert!(bpe::tui::lint::activities_with_errors(&ed.findings).contains(&a));
    bpe::tui::app_editor::select(&mut app, ElementRef::Transition(a, 0));
    let rows = app.editor.as_ref().unwrap().rows();
    let finding = rows
        .iter()
        .find_map(|r| match r {
            bpe::tui::properties::Row::Finding { text, .. } => Some(text.clone()),
            _ => None,
        })
        .expect("a finding row on the transition");
    assert!(finding.starts_with("✗ error E"), "{finding}");
    assert!(finding.contains("Nowhere"), "{finding}");
    // Not on the activity itself, nor on the workflow root.
    for target in [ElementRef::Activity(a), ElementRef::Definition] {
        bpe::tui::app_editor::select(&mut app, target);
        let rows = app.editor.as_ref().unwrap().rows();
        assert!(!rows.iter().any(|r| matches!(
            r,
            bpe::tui::properties::Row::Finding { text, .. } if text.contains("Nowhere")
        )));
    }
    // Findings rows are not selectable: the cursor skips them.
    bpe::tui::app_editor::select(&mut app, ElementRef::Transition(a, 0));
    press(&mut app, "w");
    let ed = app.editor.as_ref().unwrap();
    assert!(bpe::tui::properties::selectable(&ed.rows()[ed.prop_cursor]));
    // Undo: the finding is gone.
    press(&mut app, "u");
    let ed = app.editor.as_ref().unwrap();
    assert!(!bpe::tui::lint::activities_with_errors(&ed.findings).contains(&a));
}

#[test]
fn findings_without_an_element_are_listed_on_the_workflow() {
    let (_dir, mut app) = sample();
    let end = activity_index(&app, "end");
    assert!(bpe::tui::app_editor::execute(
        &mut app,
        Edit::Delete(ElementRef::Activity(end))
    ));
    bpe::tui::app_editor::select(&mut app, ElementRef::Definition);
    let rows = app.editor.as_ref().unwrap().rows();
    let texts: Vec<String> = rows
        .iter()
        .filter_map(|r| match r {
            bpe::tui::properties::Row::Finding { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("error") && t.contains("end")),
        "{texts:?}"
    );
}

/// Instance and work item files that do not load appear as marked rows on the
/// tasks and work item screens, never silently left out (issue 9).
#[test]
fn unloadable_instances_and_work_items_are_shown_as_error_rows() {
    let dir = copy_repo(&sample_repository());
    for (kind, id) in [("TaskInstance", "ti-broken"), ("WorkItem", "wi-broken")] {
        std::fs::create_dir_all(dir.path().join(kind)).unwrap();
        std::fs::write(
            dir.path().join(kind).join(format!("{id}.json")),
            "{\"formatVersion\": 1,\n  \"id\": \x1b[31m",
        )
        .unwrap();
    }
    let mut app = app(dir.path());
    let screen = |app: &mut bpe::tui::app::App| {
        app.size = (120, 30);
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 30)).unwrap();
        term.draw(|f| bpe::tui::view::view(app, f)).unwrap();
        let buf = term.backend().buffer().clone();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (key, shown, row) in [
        (
            "2",
            Screen::Tasks,
            "unloadable TaskInstance/ti-broken.json:2:",
        ),
        (
            "3",
            Screen::WorkItems,
            "unloadable WorkItem/wi-broken.json:2:",
        ),
    ] {
        press(&mut app, key);
        assert_eq!(app.screen, shown);
        let text = screen(&mut app);
        assert!(text.contains(row), "{text}");
    }
}

/// The whole frame as text, one line per row.
fn render(app: &bpe::tui::app::App, w: u16, h: u16) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| bpe::tui::view::view(app, f)).unwrap();
    let buf = t.backend().buffer();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf.cell((x, y)).unwrap().symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
