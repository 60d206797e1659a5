//! Issue 13 item 6: the activity templates of the templates palette (editor
//! `A`): each inserts a whole activity, spliced in after the selected one, as
//! one undoable edit, and the preview shows what is inserted.

mod tui_common;

use bpe::model::{ActionKind, TaskDefinition};
use bpe::tui::app::{App, Overlay};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tui_common::*;

const ACTIVITIES: [(&str, &str); 6] = [
    ("activity: approval", "Approval"),
    ("activity: information request", "Request Information"),
    ("activity: provision", "Provision"),
    ("activity: welcome email", "Send Welcome Email"),
    ("activity: change password", "Change Password"),
    ("activity: command", "Run Command"),
];

fn sample() -> (tempfile::TempDir, App) {
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    open(&mut app, "Onboard Employee");
    (dir, app)
}

/// `A`, move to the entry labelled `label`, Enter.
fn insert(app: &mut App, label: &str) {
    press(app, "A");
    let Some(Overlay::Picker { items, .. }) = &app.overlay else {
        panic!("template palette")
    };
    let row = items.iter().position(|i| i == label).expect(label);
    for _ in 0..row {
        press(app, "j");
    }
    press(app, "enter");
}

fn activity<'a>(def: &'a TaskDefinition, name: &str) -> &'a bpe::model::Activity {
    def.process
        .activities
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no activity {name}"))
}

fn targets(a: &bpe::model::Activity) -> Vec<(String, Option<String>)> {
    a.transitions
        .iter()
        .map(|t| (t.to.clone(), t.condition.clone()))
        .collect()
}

#[test]
fn the_palette_lists_the_activity_templates_after_the_common_actions() {
    let (_dir, mut app) = sample();
    select_activity(&mut app, "Provision Accounts");
    press(&mut app, "A");
    let Some(Overlay::Picker { items, .. }) = &app.overlay else {
        panic!("template palette")
    };
    let labels: Vec<&str> = items[6..12].iter().map(String::as_str).collect();
    assert_eq!(labels, ACTIVITIES.map(|(l, _)| l));
    assert_eq!(items[0], "welcome email", "the action templates stay first");
}

#[test]
fn each_activity_template_is_spliced_in_after_the_selected_activity_and_undone_in_one_step() {
    let (_dir, mut app) = sample();
    for (label, name) in ACTIVITIES {
        select_activity(&mut app, "Provision Accounts");
        let before = def(&app).clone();
        let at = activity_index(&app, "Provision Accounts");
        insert(&mut app, label);
        let d = def(&app);
        assert_eq!(
            d.process.activities.len(),
            before.process.activities.len() + 1
        );
        let new = &d.process.activities[at + 1];
        assert_eq!(new.name, name, "{label}");
        assert_eq!(new.actions.len(), 1, "{label}");
        assert!(!new.id.is_empty() && before.process.activities.iter().all(|a| a.id != new.id));
        // The selected activity now goes to the new one only; the new one
        // continues where it went.
        assert_eq!(
            targets(&d.process.activities[at]),
            [(name.to_string(), None)],
            "{label}"
        );
        let continues = targets(new);
        assert_eq!(
            continues.last(),
            Some(&("Send Welcome".to_string(), None)),
            "{label}"
        );
        // The new activity is selected, and one undo removes all of it.
        let sel = app.editor.as_ref().unwrap().selection;
        assert_eq!(sel, bpe::edit::ElementRef::Activity(at + 1), "{label}");
        press(&mut app, "u");
        assert_eq!(def(&app), &before, "{label}: undo");
        press(&mut app, "ctrl-r");
        assert_eq!(
            def(&app).process.activities[at + 1].name,
            name,
            "{label}: redo"
        );
        press(&mut app, "u");
    }
}

#[test]
fn approval_and_command_add_their_exit_to_end_before_the_former_transitions() {
    let (_dir, mut app) = sample();
    select_activity(&mut app, "Check Separation of Duties");
    insert(&mut app, "activity: approval");
    let approval = activity(def(&app), "Approval");
    assert!(matches!(
        &approval.actions[0].kind,
        ActionKind::Subprocess { process, .. } if process == "Approval"
    ));
    assert_eq!(
        targets(approval),
        [
            (
                "end".to_string(),
                Some("(neq $decision \"approve\")".to_string())
            ),
            (
                "SoD Violation".to_string(),
                Some("(notnull $violations)".to_string())
            ),
            ("Manager Approval".to_string(), None),
        ]
    );
    select_activity(&mut app, "Provision Accounts");
    insert(&mut app, "activity: command");
    let cmd = activity(def(&app), "Run Command");
    assert!(matches!(&cmd.actions[0].kind, ActionKind::Command(_)));
    assert_eq!(
        targets(cmd)[0],
        ("end".to_string(), Some("(neq $exitCode 0)".to_string()))
    );
    // Every expression the templates inserted parses.
    assert!(bpe::tui::editor_save::invalid_expressions(def(&app)).is_empty());
}

#[test]
fn a_second_insertion_takes_a_free_name_and_end_refuses_to_be_followed() {
    let (_dir, mut app) = sample();
    select_activity(&mut app, "Provision Accounts");
    insert(&mut app, "activity: provision");
    select_activity(&mut app, "Provision");
    insert(&mut app, "activity: provision");
    let d = def(&app);
    let p2 = activity(d, "Provision 2");
    assert_ne!(p2.id, activity(d, "Provision").id);
    assert_eq!(
        targets(activity(d, "Provision")),
        [("Provision 2".into(), None)]
    );
    let before = d.clone();
    select_activity(&mut app, "end");
    insert(&mut app, "activity: approval");
    assert_eq!(def(&app), &before);
    let notice = app
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(notice.contains("nothing follows end"), "{notice}");
}

#[test]
fn the_preview_shows_the_activity_as_it_will_be_inserted() {
    let (_dir, mut app) = sample();
    select_activity(&mut app, "Provision Accounts");
    press(&mut app, "A");
    for _ in 0..9 {
        press(&mut app, "j"); // activity: welcome email
    }
    app.size = (120, 40);
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| bpe::tui::view::view(&app, f)).unwrap();
    let buf = term.backend().buffer().clone();
    let screen: String = (0..40)
        .map(|y| (0..120).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
        .collect();
    assert!(
        screen.contains("after \"Provision Accounts\", which then goes to \"Send Welcome"),
        "{screen}"
    );
    assert!(
        screen.contains("\"id\": \"act-send-welcome-email\""),
        "{screen}"
    );
    assert!(screen.contains("\"to\": \"Send Welcome\""), "{screen}");
    press(&mut app, "enter");
    assert_eq!(
        activity(def(&app), "Send Welcome Email").id,
        "act-send-welcome-email"
    );
}
