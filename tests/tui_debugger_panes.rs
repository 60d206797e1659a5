//! The debugger's panes hold real cases (issue 11, item 2), at `update` level on
//! "Onboard Employee": the variables pane filters, scrolls, marks what the last
//! command changed and keeps the final variables; breakpoints are marked on the
//! diagram; run-to-here stops at a breakpoint on the way; step out at the top
//! frame says there is nothing to step out of; the trace names actions; the
//! footer leads with the keys that answer a waiting work item.

mod tui_common;

use bpe::model::InstanceStatus;
use bpe::tui::action::Action;
use bpe::tui::app::{App, update};
use bpe::tui::keymap::Context;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tui_common::debugger::*;
use tui_common::*;

fn started() -> (tempfile::TempDir, App) {
    onboard_debug_run(Action::Step)
}

fn names(app: &App) -> Vec<String> {
    let d = app.debugger.as_ref().unwrap();
    d.shown_variables().into_iter().map(|(k, _)| k).collect()
}

fn notice(app: &App) -> String {
    app.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

fn select(app: &mut App, activity: &str) {
    let d = app.debugger.as_mut().unwrap();
    let (def, _) = d.shown().unwrap();
    d.selected = def
        .process
        .activities
        .iter()
        .position(|a| a.name == activity)
        .unwrap();
}

#[test]
fn variables_filter_scroll_mark_changes_and_stay_after_completion() {
    let (_dir, mut app) = started();
    let all = names(&app);
    assert!(all.contains(&"firstName".to_string()), "{all:?}");
    // A command that changes one value marks exactly that one.
    update(&mut app, Action::SetVariable);
    answer(&mut app, "title = \"Principal Engineer\"");
    assert_eq!(app.debugger.as_ref().unwrap().changed, vec!["title"]);
    // `/` filters by name (case-insensitive), empty shows all again.
    update(&mut app, Action::Filter);
    answer(&mut app, "NAME");
    let filtered = names(&app);
    assert!(!filtered.is_empty() && filtered.len() < all.len());
    assert!(filtered.iter().all(|n| n.to_lowercase().contains("name")));
    update(&mut app, Action::Filter);
    for _ in 0..10 {
        press(&mut app, "backspace");
    }
    answer(&mut app, "");
    assert_eq!(names(&app), all);
    // PgDn scrolls the pane, PgUp back.
    update(&mut app, Action::PageDown);
    assert_eq!(app.debugger.as_ref().unwrap().var_scroll, 5);
    update(&mut app, Action::PageUp);
    assert_eq!(app.debugger.as_ref().unwrap().var_scroll, 0);
    // To the end (approving inline): the final variables stay in the pane.
    update(&mut app, Action::Continue);
    assert_eq!(status(&app), InstanceStatus::Suspended);
    update(&mut app, Action::Approve);
    update(&mut app, Action::Yes); // the question before deciding
    update(&mut app, Action::Continue);
    assert_eq!(status(&app), InstanceStatus::Completed);
    let d = app.debugger.as_ref().unwrap();
    let last: Vec<_> = d.shown_variables();
    assert!(
        last.iter()
            .any(|(k, v)| k == "firstName" && v.to_json() == "Ada"),
        "{last:?}"
    );
    let screen = format!("{:?}", draw(&mut app).backend());
    assert!(screen.contains("final (completed)"), "{screen}");
}

fn draw(app: &mut App) -> Terminal<TestBackend> {
    app.size = (120, 40);
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| bpe::tui::view::view(app, f)).unwrap();
    t
}

#[test]
fn breakpoints_are_marked_and_run_to_here_stops_at_one_on_the_way() {
    let (_dir, mut app) = started();
    update(&mut app, Action::AddBreakpoint);
    answer(&mut app, "Check Separation of Duties");
    let d = app.debugger.as_ref().unwrap();
    let (def, _) = d.shown().unwrap();
    let at = def
        .process
        .activities
        .iter()
        .position(|a| a.name == "Check Separation of Duties")
        .unwrap();
    assert_eq!(d.breakpoint_activities(def), vec![at]);
    let screen = format!("{:?}", draw(&mut app).backend());
    assert!(screen.contains('◆'), "the diagram marks the breakpoint");
    // Run to Manager Approval: the breakpoint before it stops the run first.
    select(&mut app, "Manager Approval");
    update(&mut app, Action::RunToCursor);
    let d = app.debugger.as_ref().unwrap();
    assert!(d.stopped.contains("breakpoint"), "{}", d.stopped);
    assert!(
        d.stopped.contains("Check Separation of Duties"),
        "{}",
        d.stopped
    );
    // Again: now it gets there.
    select(&mut app, "Manager Approval");
    update(&mut app, Action::RunToCursor);
    let d = app.debugger.as_ref().unwrap();
    assert_eq!(d.stopped, "at Manager Approval");
}

#[test]
fn step_out_at_the_top_frame_says_so_and_changes_nothing() {
    let (_dir, mut app) = started();
    let before = app.debugger.as_ref().unwrap().trace.len();
    update(&mut app, Action::StepOut);
    assert!(
        notice(&app).contains("nothing to step out of"),
        "{}",
        notice(&app)
    );
    assert_eq!(app.debugger.as_ref().unwrap().trace.len(), before);
    assert_eq!(status(&app), InstanceStatus::Running);
}

#[test]
fn the_trace_names_actions_and_the_footer_leads_with_the_answers() {
    let (_dir, mut app) = started();
    update(&mut app, Action::Continue);
    assert_eq!(status(&app), InstanceStatus::Suspended);
    let trace = app.debugger.as_ref().unwrap().trace.join("\n");
    assert!(
        trace.contains("Validate Request › Check inputs ("),
        "{trace}"
    );
    // Unnamed actions keep their number.
    assert!(trace.contains("Validate Request#3 "), "{trace}");
    let contexts = app.contexts();
    assert_eq!(contexts[0], Context::DebuggerWaiting);
    let hints: Vec<String> = app
        .keymap
        .hints(&contexts)
        .into_iter()
        .take(4)
        .map(|(k, _)| k)
        .collect();
    assert_eq!(hints, vec!["y", "r", "p", "m"]);
}
