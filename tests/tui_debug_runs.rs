//! Debug runs are runs (issue 11, item 1) and navigation habits (item 4), at
//! `update` level: the run lock a debug run holds from start to stop, the save
//! it refuses, Esc and `D` coming back to the same run, the question on quit,
//! the digit keys from the editor, keys behind "terminal too small".

mod tui_common;

use bpe::model::InstanceStatus;
use bpe::repo::lock::{self, LockMode, LockTarget};
use bpe::tui::action::Action;
use bpe::tui::app::{App, Overlay, Screen, update};
use tui_common::debugger::*;
use tui_common::*;

/// The holders of the debugged definition's run lock: (purpose, mode).
fn run_lock_holders(app: &App) -> Vec<(String, LockMode)> {
    let id = app.editor.as_ref().unwrap().def.id.clone();
    lock::list(&app.root)
        .unwrap()
        .into_iter()
        .filter(|l| l.target == Some(LockTarget::DefinitionRun(id.clone())))
        .flat_map(|l| l.holders)
        .filter_map(|h| h.holder)
        .map(|h| (h.purpose, h.mode))
        .collect()
}

fn case_id(app: &App) -> String {
    let d = app.debugger.as_ref().unwrap();
    d.session.as_ref().unwrap().case.id().to_string()
}

fn notice(app: &App) -> String {
    app.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

#[test]
fn a_debug_run_holds_the_run_lock_refuses_saves_and_survives_esc() {
    let (_dir, mut app) = sample_app();
    debug(&mut app, "Onboard Employee");
    fill_onboard(&mut app);
    // The form alone is no run: nothing is locked yet.
    assert!(run_lock_holders(&app).is_empty());
    update(&mut app, Action::Step);
    assert_eq!(status(&app), InstanceStatus::Running);
    assert_eq!(
        run_lock_holders(&app),
        vec![("bpe debug run".to_string(), LockMode::Shared)]
    );
    let id = case_id(&app);
    // Esc: back in the editor, the run kept and its lock still held.
    update(&mut app, Action::Back);
    assert_eq!(app.screen, Screen::Editor);
    assert!(app.debugger.as_ref().unwrap().is_live());
    update(&mut app, Action::Save);
    let n = notice(&app);
    assert!(
        n.contains("not saved") && n.contains("bpe debug run"),
        "save should be refused naming the run: {n}"
    );
    // D comes back to the same run, not a new form.
    update(&mut app, Action::Debug);
    assert_eq!(app.screen, Screen::Debugger);
    assert_eq!(case_id(&app), id);
    assert!(
        notice(&app).contains("back to the debug run"),
        "{}",
        notice(&app)
    );
    // Stop: the lock goes, and the save goes through.
    update(&mut app, Action::Stop);
    assert!(!app.debugger.as_ref().unwrap().is_live());
    assert!(run_lock_holders(&app).is_empty());
    update(&mut app, Action::Back);
    update(&mut app, Action::Save);
    assert!(notice(&app).starts_with("saved"), "{}", notice(&app));
}

#[test]
fn apply_mode_holds_the_same_lock_and_restart_takes_it_once() {
    let (_dir, mut app) = sample_app();
    debug(&mut app, "Onboard Employee");
    fill_onboard(&mut app);
    update(&mut app, Action::ToggleApply);
    update(&mut app, Action::Step);
    assert_eq!(run_lock_holders(&app).len(), 1);
    update(&mut app, Action::Restart);
    assert_eq!(
        run_lock_holders(&app),
        vec![("bpe debug run".to_string(), LockMode::Shared)],
        "the old run's lock is released before the new one is taken"
    );
}

#[test]
fn quitting_with_a_live_debug_run_asks_and_stops_it() {
    let (_dir, mut app) = sample_app();
    debug(&mut app, "Onboard Employee");
    fill_onboard(&mut app);
    update(&mut app, Action::Step);
    update(&mut app, Action::Quit);
    assert!(!app.quit);
    assert!(matches!(app.overlay, Some(Overlay::Question(_))));
    update(&mut app, Action::No);
    assert!(!app.quit && app.overlay.is_none());
    assert!(app.debugger.as_ref().unwrap().is_live());
    update(&mut app, Action::Quit);
    update(&mut app, Action::Yes);
    assert!(app.quit);
    assert!(run_lock_holders(&app).is_empty());
}

#[test]
fn digit_keys_leave_the_editor_and_the_debug_run_as_they_are() {
    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    select_activity(&mut app, "Manager Approval");
    press(&mut app, "a");
    type_text(&mut app, "Extra Step");
    press(&mut app, "enter");
    let before = app.editor.as_ref().unwrap().def.clone();
    let selection = app.editor.as_ref().unwrap().selection;
    assert!(app.editor.as_ref().unwrap().is_dirty());
    press(&mut app, "3");
    assert_eq!(app.screen, Screen::WorkItems);
    press(&mut app, "1");
    assert_eq!(app.screen, Screen::Browser);
    // Enter on the open workflow comes back to it unchanged (edits, selection).
    press(&mut app, "enter");
    assert_eq!(app.screen, Screen::Editor);
    let ed = app.editor.as_ref().unwrap();
    assert_eq!(ed.def, before);
    assert_eq!(ed.selection, selection);
    assert!(ed.is_dirty());
    // From the debugger too: the run stays.
    update(&mut app, Action::Debug);
    fill_onboard(&mut app);
    update(&mut app, Action::Step);
    let id = case_id(&app);
    press(&mut app, "2");
    assert_eq!(app.screen, Screen::Tasks);
    press(&mut app, "1 enter");
    assert_eq!(app.screen, Screen::Editor);
    update(&mut app, Action::Debug);
    assert_eq!(case_id(&app), id);
}

#[test]
fn keys_are_ignored_behind_terminal_too_small() {
    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    app.size = (40, 10);
    let before = app.editor.as_ref().unwrap().def.clone();
    press(&mut app, "d 2 ?");
    assert_eq!(app.screen, Screen::Editor);
    assert!(app.overlay.is_none());
    assert_eq!(app.editor.as_ref().unwrap().def, before);
    press(&mut app, "q");
    assert!(app.quit, "quit still works");
}
