//! Nothing irreversible without a word (issue 11, item 3), at `update` level:
//! approving or rejecting a work item asks (naming another owner; the workspace
//! setting `confirmDecisions: false` turns it off), saving with validation errors
//! asks naming the first, unknown functions and wrong arity are flagged while typing.

mod tui_common;

use bpe::edit::ElementRef;
use bpe::model::InstanceStatus;
use bpe::tui::action::Action;
use bpe::tui::app::{App, AppAsk, Overlay, update};
use bpe::tui::editor::FieldEdit;
use bpe::tui::properties::FieldKind;
use tui_common::debugger::*;
use tui_common::*;

/// A suspended Onboard Employee case, the app reloaded: (instance, its work item).
fn suspended_case(app: &mut App) -> (String, String) {
    let ids = start_onboard(&app.root.clone());
    bpe::tui::sync::reload_repository(app);
    ids
}

fn question_lines(app: &App) -> Vec<String> {
    match &app.overlay {
        Some(Overlay::Question(q)) => q.lines.clone(),
        _ => panic!("no question is open"),
    }
}

fn select_item(app: &mut App, item: &str) {
    update(app, Action::ShowWorkItems);
    update(app, Action::ToggleAll);
    let at = app.work_items.rows.iter().position(|r| r == item).unwrap();
    app.work_items.selected = at;
}

#[test]
fn approving_asks_names_the_owner_and_no_leaves_the_item_pending() {
    let (_dir, mut app) = sample_app();
    let (instance, item) = suspended_case(&mut app);
    select_item(&mut app, &item);
    update(&mut app, Action::Approve);
    let lines = question_lines(&app).join("\n");
    assert!(lines.contains(&item), "{lines}");
    assert!(
        lines.contains("belongs to jsmith, not to you (tester)"),
        "{lines}"
    );
    update(&mut app, Action::No);
    assert!(app.overlay.is_none());
    assert_eq!(
        app.repo.instance(&instance).unwrap().value.status,
        InstanceStatus::Suspended
    );
    update(&mut app, Action::Reject);
    assert!(matches!(
        &app.overlay,
        Some(Overlay::Question(q)) if q.purpose == AppAsk::Decide { item: item.clone(), decision: "reject" }
    ));
    update(&mut app, Action::Yes);
    assert_ne!(
        app.repo.instance(&instance).unwrap().value.status,
        InstanceStatus::Suspended
    );
}

#[test]
fn the_workspace_setting_turns_the_decision_question_off() {
    let (_dir, mut app) = sample_app();
    let (instance, item) = suspended_case(&mut app);
    let mut ws = bpe::tui::workspace::Workspace::load(&app.root).unwrap();
    ws.confirm_decisions = Some(false);
    ws.save(&app.root).unwrap();
    select_item(&mut app, &item);
    update(&mut app, Action::Approve);
    assert!(app.overlay.is_none());
    assert_eq!(
        app.repo.instance(&instance).unwrap().value.status,
        InstanceStatus::Completed
    );
    ws.confirm_decisions = None;
    ws.save(&app.root).unwrap();
}

#[test]
fn saving_with_validation_errors_asks_naming_the_first() {
    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    let path = app.root.join(&app.editor.as_ref().unwrap().path);
    let before = std::fs::read_to_string(&path).unwrap();
    // A transition to an activity that does not exist: valid JSON, an E-level finding.
    let ed = app.editor.as_mut().unwrap();
    let a = ed
        .def
        .process
        .activities
        .iter()
        .position(|a| !a.transitions.is_empty())
        .unwrap();
    ed.def.process.activities[a].transitions[0].to = "Nowhere At All".into();
    bpe::tui::app_editor::after_change(&mut app);
    press(&mut app, "s");
    let lines = question_lines(&app).join("\n");
    assert!(lines.contains("validation error"), "{lines}");
    assert!(lines.contains("Nowhere At All"), "{lines}");
    press(&mut app, "n");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    press(&mut app, "s y");
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("Nowhere At All")
    );
}

fn typed(text: &str) -> FieldEdit {
    let mut edit = FieldEdit {
        target: ElementRef::Definition,
        key: bpe::edit::Prop::Condition.into(),
        label: "condition".into(),
        kind: FieldKind::Expr { optional: true },
        input: tui_textarea::TextArea::new(vec![text.to_string()]),
        error: None,
        warning: None,
    };
    edit.check();
    edit
}

#[test]
fn unknown_functions_and_wrong_arity_are_flagged_while_typing() {
    let e = typed("(eq 1 (upcse $name))");
    assert!(e.error.is_none(), "it parses");
    let w = e.warning.expect("flagged");
    assert!(
        w.message.contains("unknown function \"upcse\""),
        "{}",
        w.message
    );
    assert!(w.message.contains("upcase"), "a hint: {}", w.message);
    assert_eq!((w.line, w.column), (1, 8));
    let w = typed("(upcase $a $b)").warning.expect("flagged");
    assert!(w.message.contains("argument"), "{}", w.message);
    assert!(typed("(upcase $a)").warning.is_none());
    // A syntax error stays an error (it blocks applying), not a warning.
    let e = typed("(upcase $a");
    assert!(e.error.is_some() && e.warning.is_none());
}

/// A debug run of Onboard Employee suspended on its manual action (jsmith's).
fn debug_run_waiting() -> (tempfile::TempDir, App) {
    let (dir, app) = onboard_debug_run(Action::Continue);
    assert_eq!(status(&app), InstanceStatus::Suspended);
    (dir, app)
}

fn pending_in_run(app: &App) -> Vec<String> {
    let d = app.debugger.as_ref().unwrap();
    let s = d.session.as_ref().unwrap();
    s.items.iter().map(|w| w.id.clone()).collect()
}

#[test]
fn the_debuggers_inline_decision_asks_like_the_work_items_screen() {
    let (_dir, mut app) = debug_run_waiting();
    let item = pending_in_run(&app)[0].clone();
    update(&mut app, Action::Approve);
    assert!(matches!(
        &app.overlay,
        Some(Overlay::Question(q)) if q.purpose == AppAsk::DecideInRun { item: item.clone(), decision: "approve" }
    ));
    let lines = question_lines(&app).join("\n");
    assert!(lines.contains(&format!("Approve {item}")), "{lines}");
    assert!(
        lines.contains("belongs to jsmith, not to you (tester)"),
        "{lines}"
    );
    assert!(lines.contains("dry run: nothing is written"), "{lines}");
    // No: nothing decided, the run still waits on the same item.
    update(&mut app, Action::No);
    assert!(app.overlay.is_none());
    assert_eq!(status(&app), InstanceStatus::Suspended);
    assert_eq!(pending_in_run(&app), vec![item.clone()]);
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("nothing decided"))
    );
    // Reject, yes: decided; the run goes on to its end.
    update(&mut app, Action::Reject);
    update(&mut app, Action::Yes);
    assert!(app.overlay.is_none());
    assert!(pending_in_run(&app).is_empty());
    update(&mut app, Action::Continue);
    assert_eq!(status(&app), InstanceStatus::Completed);
    assert!(
        app.debugger
            .as_ref()
            .unwrap()
            .trace
            .iter()
            .any(|l| l.contains(&format!("{item} rejected inline")))
    );
}

#[test]
fn confirm_decisions_false_decides_in_the_debugger_at_once() {
    let (_dir, mut app) = debug_run_waiting();
    let mut ws = bpe::tui::workspace::Workspace::load(&app.root).unwrap();
    ws.confirm_decisions = Some(false);
    ws.save(&app.root).unwrap();
    update(&mut app, Action::Approve);
    assert!(app.overlay.is_none());
    assert!(pending_in_run(&app).is_empty());
    ws.confirm_decisions = None;
    ws.save(&app.root).unwrap();
}
