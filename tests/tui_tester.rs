//! Issue 13 items 4-6 in the TUI, at the update level (keys in, state out) and
//! drawn into `TestBackend`: the templates palette, the debugger's expression
//! console and the rule tester screen.

mod tui_common;

use bpe::model::ActionKind;
use bpe::tui::app::{App, Overlay};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tui_common::*;

fn draw(app: &mut App, w: u16, h: u16) -> String {
    app.size = (w, h);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| bpe::tui::view::view(app, f)).unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn sample() -> (tempfile::TempDir, App) {
    let dir = copy_repo(&sample_repository());
    let app = app(dir.path());
    (dir, app)
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
    let screen = draw(&mut app, 120, 40);
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
