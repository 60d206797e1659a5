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

#[test]
fn esc_in_the_properties_pane_returns_to_the_row_you_came_from() {
    use bpe::edit::ElementRef;
    use bpe::tui::properties::Row;
    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    select_activity(&mut app, "Manager Approval");
    press(&mut app, "w");
    let ed = app.editor.as_ref().unwrap();
    let a = ed.selection.activity().unwrap();
    // The row linking to the second action of the activity.
    let row = ed
        .rows()
        .iter()
        .position(|r| matches!(r, Row::Link { target, .. } if *target == ElementRef::Action(a, 1)))
        .expect("a link to the second action");
    app.editor.as_mut().unwrap().prop_cursor = row;
    press(&mut app, "enter");
    assert_eq!(
        app.editor.as_ref().unwrap().selection,
        ElementRef::Action(a, 1)
    );
    press(&mut app, "esc");
    let ed = app.editor.as_ref().unwrap();
    assert_eq!(ed.selection, ElementRef::Activity(a));
    assert_eq!(ed.prop_cursor, row, "back on the row we came from");
}

#[test]
fn slash_in_the_editor_jumps_to_an_activity_action_or_variable() {
    use bpe::edit::{ElementRef, VarScope};
    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    let def = app.editor.as_ref().unwrap().def.clone();
    let idx = |name: &str| {
        def.process
            .activities
            .iter()
            .position(|a| a.name == name)
            .unwrap()
    };
    press(&mut app, "/");
    type_text(&mut app, "send welcome");
    press(&mut app, "enter");
    assert_eq!(
        app.editor.as_ref().unwrap().selection,
        ElementRef::Activity(idx("Send Welcome"))
    );
    press(&mut app, "/");
    type_text(&mut app, "Check SoD");
    press(&mut app, "enter");
    assert_eq!(
        app.editor.as_ref().unwrap().selection,
        ElementRef::Action(idx("Check Separation of Duties"), 1)
    );
    let v = def
        .process
        .variables
        .iter()
        .position(|v| v.name == "firstName")
        .unwrap();
    press(&mut app, "/");
    type_text(&mut app, "firstname");
    press(&mut app, "enter");
    assert_eq!(
        app.editor.as_ref().unwrap().selection,
        ElementRef::Variable(VarScope::Process, v)
    );
    // Nothing by that name: the prompt stays with the error.
    press(&mut app, "/");
    type_text(&mut app, "No Such Thing");
    press(&mut app, "enter");
    assert!(matches!(&app.overlay, Some(Overlay::Prompt(p)) if p.error.is_some()));
}

#[test]
fn the_footer_lists_every_focus_key_even_at_80_columns() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    app.size = (80, 24);
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| bpe::tui::view::view(&app, f)).unwrap();
    let buf = t.backend().buffer();
    let footer: String = (0..80)
        .map(|x| buf.cell((x, 23)).unwrap().symbol().to_string())
        .collect();
    for hint in ["w focus", "o outline", "v source"] {
        assert!(footer.contains(hint), "{hint} missing from {footer:?}");
    }
}

/// The footer's last row at `w` columns.
fn footer_at(app: &mut App, w: u16, h: u16) -> String {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    app.size = (w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| bpe::tui::view::view(app, f)).unwrap();
    let buf = t.backend().buffer();
    (0..w)
        .map(|x| buf.cell((x, h - 1)).unwrap().symbol().to_string())
        .collect()
}

#[test]
fn every_screen_key_shows_in_the_footer_at_120_columns() {
    let (_dir, mut app) = sample_app();
    let keys = [
        "1 workflows",
        "2 tasks",
        "3 items",
        "4 debug view",
        "5 reports",
    ];
    let mut seen = Vec::new();
    for (screen, how) in [
        (Screen::Browser, ""),
        (Screen::Editor, "editor"),
        (Screen::Debugger, "D"),
        (Screen::Tasks, "2"),
        (Screen::WorkItems, "3"),
        (Screen::DebugView, "4"),
        (Screen::Reports, "5"),
        (Screen::RuleTester, "1 T"),
    ] {
        match how {
            "" => {}
            "editor" => open(&mut app, "Onboard Employee"),
            keys => keys.split(' ').for_each(|k| press(&mut app, k)),
        }
        assert_eq!(app.screen, screen);
        let footer = footer_at(&mut app, 120, 40);
        for key in keys {
            assert!(
                footer.contains(key),
                "{screen:?}: {key} missing from {footer:?}"
            );
        }
        assert!(footer.contains("? help"), "{footer:?}");
        seen.push(screen);
    }
    assert_eq!(seen.len(), 8);
    // Narrower, the screen's own keys come first (the browser keeps its open key).
    press(&mut app, "1");
    let footer = footer_at(&mut app, 80, 24);
    assert!(footer.contains("Enter open"), "{footer:?}");
}
