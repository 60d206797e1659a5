//! Issue 13 items 4-6 in the TUI, at the update level (keys in, state out) and
//! drawn into `TestBackend`: the templates palette, the debugger's expression
//! console and the rule tester screen.

mod tui_common;

use bpe::model::ActionKind;
use bpe::tui::action::Action;
use bpe::tui::app::{App, Overlay, update};
use bpe::tui::debugger_console::Entry;
use tui_common::*;

fn sample() -> (tempfile::TempDir, App) {
    // Sets BPE_DATA_DIR (user settings, workspaces) once for this binary.
    tui_common::debugger::sample_app()
}

#[test]
fn palette_lists_the_common_templates_with_a_preview_of_what_is_inserted() {
    let (_dir, mut app) = sample();
    open(&mut app, "Onboard Employee");
    select_activity(&mut app, "Send Welcome");
    press(&mut app, "A");
    let Some(Overlay::Picker { items, .. }) = &app.overlay else {
        panic!("template palette")
    };
    assert_eq!(
        items[..6],
        [
            "welcome email",
            "change password",
            "approval",
            "information request",
            "provision",
            "command"
        ]
    );
    // The preview follows the selection: the change password template.
    press(&mut app, "j");
    let screen = draw_text(&mut app, 120, 40);
    assert!(
        screen.contains("Store a salted hash of $password"),
        "{screen}"
    );
    assert!(screen.contains("\"op\": \"changePassword\""), "{screen}");
    assert!(screen.contains("\"name\": \"Change Password\""), "{screen}");
    // What the preview shows is what Enter inserts.
    let templates = bpe::tui::templates::templates(&app.repo);
    let preview = templates[1].preview().join("\n");
    press(&mut app, "enter");
    let def = &app.editor.as_ref().unwrap().def;
    let w = def
        .process
        .activities
        .iter()
        .position(|a| a.name == "Send Welcome")
        .unwrap();
    let added = def.process.activities[w].actions.last().unwrap();
    assert_eq!(serde_json::to_string_pretty(added).unwrap(), preview);
    assert!(matches!(&added.kind, ActionKind::Service { op, .. } if op == "changePassword"));
}

#[test]
fn palette_welcome_email_names_the_repository_template_and_information_request_is_an_interaction() {
    let (_dir, app) = sample();
    let t = bpe::tui::templates::templates(&app.repo);
    let ActionKind::Service { op, arguments } = &t[0].action.kind else {
        panic!("welcome email is a service action")
    };
    assert_eq!(op, "notify");
    assert_eq!(arguments[0].value, "\"Welcome\"");
    let ActionKind::Manual(m) = &t[3].action.kind else {
        panic!("information request is a manual action")
    };
    assert_eq!(m.item_type, bpe::model::WorkItemType::Interaction);
    assert!(t.iter().all(|t| !t.description.is_empty()));
}

fn console(app: &App) -> &bpe::tui::debugger_console::Console {
    &app.debugger.as_ref().unwrap().console
}

#[test]
fn console_evaluates_in_the_paused_frame_scope_without_changing_the_case() {
    use tui_common::debugger::*;
    let (_dir, mut app) = sample();
    debug(&mut app, "Onboard Employee");
    fill_onboard(&mut app);
    update(&mut app, Action::AddBreakpoint);
    answer(&mut app, "Manager Approval");
    update(&mut app, Action::Continue);
    let title = var(&app, "title");
    update(&mut app, Action::Console);
    assert!(console(&app).is_open());
    assert_eq!(app.contexts()[0], bpe::tui::keymap::Context::TextEdit);
    // Frame variables and repository rules are in scope.
    answer(
        &mut app,
        "(concat $firstName \" \" (rule name=\"Email Address\" (argument name=\"accountId\" \"ALove\")))",
    );
    answer(&mut app, "(block (set name=\"title\" \"CEO\") $title)");
    answer(&mut app, "(nosuch 1)");
    let out = &console(&app).output;
    assert_eq!(
        out[0],
        Entry {
            expr: "(concat $firstName \" \" (rule name=\"Email Address\" (argument name=\"accountId\" \"ALove\")))".into(),
            result: Ok("\"Ada alove@example.com\"".into()),
            discarded: vec![],
        }
    );
    assert_eq!(out[1].result, Ok("\"CEO\"".into()));
    assert_eq!(out[1].discarded, vec!["title = \"CEO\"".to_string()]);
    assert_eq!(out[2].result, Err("unknown function 'nosuch'".into()));
    // The assignment was not kept: the paused case is as it was.
    assert_eq!(var(&app, "title"), title);
    // Still open, and drawn over the debugger.
    let screen = draw_text(&mut app, 120, 40);
    assert!(screen.contains("= \"Ada alove@example.com\""), "{screen}");
    assert!(screen.contains("✗ unknown function 'nosuch'"), "{screen}");
    update(&mut app, Action::Cancel);
    assert!(!console(&app).is_open());
}

#[test]
fn console_history_recalls_with_up_and_down() {
    use tui_common::debugger::*;
    let (_dir, mut app) = sample();
    debug(&mut app, "Onboard Employee");
    fill_onboard(&mut app);
    update(&mut app, Action::Step);
    update(&mut app, Action::Console);
    answer(&mut app, "$firstName");
    answer(&mut app, "$lastName");
    answer(&mut app, "$firstName");
    // Repeats are kept once, most recent last.
    assert_eq!(console(&app).history, vec!["$lastName", "$firstName"]);
    let line = |app: &App| console(app).input.as_ref().unwrap().text();
    press(&mut app, "up");
    assert_eq!(line(&app), "$firstName");
    press(&mut app, "up");
    assert_eq!(line(&app), "$lastName");
    press(&mut app, "up");
    assert_eq!(line(&app), "$lastName");
    press(&mut app, "down");
    assert_eq!(line(&app), "$firstName");
    press(&mut app, "down");
    assert_eq!(line(&app), "");
    // A recalled line evaluates again.
    press(&mut app, "up");
    update(&mut app, Action::Accept);
    assert_eq!(
        console(&app).output.last().unwrap().result,
        Ok("\"Ada\"".into())
    );
    // History survives closing and reopening.
    update(&mut app, Action::Cancel);
    update(&mut app, Action::Console);
    press(&mut app, "up");
    assert_eq!(line(&app), "$firstName");
}

fn rule_tester(app: &App) -> &bpe::tui::rule_tester::RuleTesterState {
    &app.rule_tester
}

/// The last run's evaluation (the rule could be called).
fn evaluation(app: &App) -> &bpe::engine::Evaluation {
    let result = app.rule_tester.result.as_ref().expect("a run");
    result.outcome.as_ref().expect("the rule was called")
}

/// Open the rule tester from the browser and select `rule` through the filter.
fn test_rule(app: &mut App, rule: &str) {
    press(app, "T");
    assert_eq!(app.screen, bpe::tui::app::Screen::RuleTester);
    press(app, "/");
    type_text(app, rule);
    press(app, "enter");
    assert_eq!(rule_tester(app).current().unwrap().name, rule);
}

/// Set argument `index` of the selected rule (focus on the arguments pane).
fn set_arg(app: &mut App, index: usize, value: &str) {
    let rt = &mut app.rule_tester;
    rt.focus = bpe::tui::rule_tester::Focus::Arguments;
    rt.arg_selected = index;
    press(app, "e");
    // Clear what is there, then type.
    for _ in 0..80 {
        press(app, "backspace");
    }
    type_text(app, value);
    press(app, "enter");
}

#[test]
fn rule_tester_runs_a_rule_with_defaults_and_remembers_the_arguments() {
    let (dir, mut app) = sample();
    test_rule(&mut app, "Derive Account Id");
    set_arg(&mut app, 0, "Ada");
    set_arg(&mut app, 1, "O'Brien");
    press(&mut app, "r");
    let result = rule_tester(&app).result.as_ref().unwrap();
    let ev = result.outcome.as_ref().unwrap();
    // suffix was not given: its default 0 applies (no suffix).
    assert_eq!(ev.value, Ok(bpe::expr::Value::Str("aobrien".into())));
    assert!(ev.trace.nodes.len() > 20);
    // Remembered per user and repository: a new session of the same repository has them.
    let mut again = app_for(dir.path());
    test_rule(&mut again, "Derive Account Id");
    assert_eq!(
        rule_tester(&again).value("Derive Account Id", "lastName"),
        "O'Brien"
    );
    press(&mut again, "r");
    let ev = evaluation(&again);
    assert_eq!(ev.value, Ok(bpe::expr::Value::Str("aobrien".into())));
}

fn app_for(root: &std::path::Path) -> App {
    app(root)
}

#[test]
fn rule_tester_shows_an_error_at_its_position_in_the_body() {
    let (_dir, mut app) = sample();
    test_rule(&mut app, "Derive Account Id");
    set_arg(&mut app, 0, "Ada");
    set_arg(&mut app, 1, "Lovelace");
    set_arg(&mut app, 2, "[1]");
    press(&mut app, "r");
    let ev = evaluation(&app);
    let column = ev.error_at.as_ref().unwrap().column;
    let body = &rule_tester(&app).current().unwrap().body;
    assert_eq!(column, body.find("(gt $suffix 0)").unwrap() + 1);
    let screen = draw_text(&mut app, 120, 40);
    assert!(
        screen.contains(&format!(
            "✗ rule 'Derive Account Id' 1:{}: gt: argument 1",
            column
        )),
        "{screen}"
    );
    assert!(screen.contains("(gt $suffix 0)"), "{screen}");
}

#[test]
fn rule_tester_trace_folds_and_snapshot_120x40() {
    let (_dir, mut app) = sample();
    test_rule(&mut app, "Email Address");
    set_arg(&mut app, 0, " JSmith ");
    press(&mut app, "r");
    let full = rule_tester(&app).visible_trace().len();
    // The trace: the default of `domain` (evaluated first), then the body.
    // Fold the body's (downcase …) node: its (trim …) and $accountId disappear.
    press(&mut app, "tab");
    assert_eq!(rule_tester(&app).focus, bpe::tui::rule_tester::Focus::Trace);
    press(&mut app, "j j space");
    assert_eq!(rule_tester(&app).visible_trace().len(), full - 2);
    insta::assert_snapshot!(
        "rule_tester_folded_trace_120x40",
        draw_text(&mut app, 120, 40)
    );
    press(&mut app, "space");
    assert_eq!(rule_tester(&app).visible_trace().len(), full);
    press(&mut app, "esc");
    assert_eq!(app.screen, bpe::tui::app::Screen::Browser);
}

#[test]
fn rule_tester_refuses_to_edit_a_locked_argument() {
    let (dir, _) = sample();
    std::fs::write(
        dir.path().join("Rule/greet.json"),
        r#"{"formatVersion": 1, "id": "rule-greet", "name": "Greet",
            "arguments": [{"name": "who"}, {"name": "mark", "value": "\"!\"", "locked": true}],
            "body": "(concat \"Hello \" $who $mark)"}"#,
    )
    .unwrap();
    let mut app = app(dir.path());
    test_rule(&mut app, "Greet");
    app.rule_tester.focus = bpe::tui::rule_tester::Focus::Arguments;
    app.rule_tester.arg_selected = 1;
    press(&mut app, "e");
    assert!(app.rule_tester.prompt.is_none());
    assert!(app.notice.as_ref().unwrap().text.contains("locked"));
    set_arg(&mut app, 0, "Ann");
    press(&mut app, "r");
    let ev = evaluation(&app);
    assert_eq!(ev.value, Ok(bpe::expr::Value::Str("Hello Ann!".into())));
}
