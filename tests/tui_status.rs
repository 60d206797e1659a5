//! Issue 11, item 7: the status line names what happened and clears when the
//! next action succeeds; the reload conflict dialog shows mine against theirs
//! (docs/tui.md, "Status line" and "Live reload").

mod tui_common;

use bpe::tui::action::Action;
use bpe::tui::app::{App, Overlay};
use bpe::tui::editor;
use bpe::tui::linediff::DiffLine;
use tui_common::*;

fn notice(app: &App) -> Option<String> {
    app.notice.as_ref().map(|n| n.text.clone())
}

#[test]
fn a_rename_names_both_names_and_the_references_then_the_next_move_clears_it() {
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    open(&mut app, "Onboard Employee");
    select_activity(&mut app, "Manager Approval");
    press(&mut app, "r");
    for _ in 0..40 {
        press(&mut app, "backspace");
    }
    type_text(&mut app, "Hiring Manager Approval");
    press(&mut app, "enter");
    assert_eq!(
        notice(&app).as_deref(),
        Some("renamed Manager Approval -> Hiring Manager Approval, 1 reference updated")
    );
    assert!(draw_text(&mut app, 120, 40).contains("1 reference updated"));
    // The next action that succeeds (a move) clears it.
    press(&mut app, "j");
    assert_eq!(notice(&app), None);
    // Undo says what it undid, and a failing action replaces it with its error.
    press(&mut app, "u");
    let undone = notice(&app).unwrap();
    assert!(undone.contains("Hiring Manager Approval"), "{undone}");
}

#[test]
fn deleting_an_activity_counts_the_transitions_that_went_with_it() {
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    open(&mut app, "Onboard Employee");
    select_activity(&mut app, "Rejected");
    press(&mut app, "d");
    let text = notice(&app).unwrap();
    assert!(
        text.starts_with("deleted activity Rejected and ") && text.ends_with(" into it"),
        "{text}"
    );
}

#[test]
fn the_conflict_dialog_shows_the_semantic_diff_of_mine_against_theirs_and_scrolls() {
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    open(&mut app, "Onboard Employee");
    bpe::tui::app_editor::execute(
        &mut app,
        bpe::edit::Edit::SetField {
            target: bpe::edit::ElementRef::Definition,
            field: bpe::edit::Prop::MaxSteps.into(),
            value: "50".into(),
        },
    );
    let path = dir.path().join("TaskDefinition/onboard-employee.json");
    let mut theirs: bpe::model::TaskDefinition =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    theirs.description = "changed elsewhere".into();
    // Many changed lines, so the diff is longer than the dialog.
    for (i, a) in theirs.process.activities.iter_mut().enumerate() {
        a.comment = format!("their note {i}");
    }
    bpe::repo::save_json(&path, &theirs).unwrap();
    bpe::tui::sync::repository_changed(&mut app);
    assert!(matches!(app.overlay, Some(Overlay::Conflict)));
    let d = app.editor.as_ref().unwrap().conflict_diff.clone();
    let len = d.len();
    // The semantic diff of mine (old side) against theirs (new side).
    assert!(
        d.iter().any(
            |l| matches!(l, DiffLine::Semantic(t) if t == "~ definition process.maxSteps: 50 -> 500")
        ),
        "my maxSteps against theirs: {d:?}"
    );
    assert!(
        d.iter().any(|l| matches!(l, DiffLine::Semantic(t)
            if t.starts_with("~ definition description:") && t.ends_with("-> changed elsewhere"))),
        "their description"
    );
    let text = draw_text(&mut app, 120, 40);
    assert!(
        text.contains("theirs against mine: + only theirs"),
        "{text}"
    );
    assert!(text.contains("comment: (none) -> their note 0"), "{text}");
    assert!(len > editor::CONFLICT_DIFF_ROWS, "{len} lines");
    bpe::tui::app::update(&mut app, Action::PageDown);
    let scrolled = app.editor.as_ref().unwrap().conflict_scroll;
    assert_eq!(
        scrolled,
        editor::CONFLICT_DIFF_ROWS.min(len - editor::CONFLICT_DIFF_ROWS)
    );
    assert!(
        matches!(app.overlay, Some(Overlay::Conflict)),
        "still asking"
    );
    for _ in 0..len {
        bpe::tui::app::update(&mut app, Action::Down);
    }
    assert_eq!(
        app.editor.as_ref().unwrap().conflict_scroll,
        len - editor::CONFLICT_DIFF_ROWS,
        "stops at the end"
    );
    // The answer still works.
    press(&mut app, "t");
    assert!(app.overlay.is_none());
    assert_eq!(
        app.editor.as_ref().unwrap().def.description,
        "changed elsewhere"
    );
}
