//! Snapshots of the real app drawn into ratatui's `TestBackend` at 80x24 and
//! 120x40 (plain theme: the text and glyphs carry the meaning).

mod tui_common;

use bpe::edit::ElementRef;
use bpe::tui::app::App;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tui_common::*;

fn draw(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.size = (w, h);
    bpe::tui::app_editor::after_change(app);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| bpe::tui::view::view(app, f)).unwrap();
    term
}

fn sample_app() -> (tempfile::TempDir, App) {
    let dir = copy_repo(&sample_repository());
    let app = app(dir.path());
    (dir, app)
}

#[test]
fn browser_80x24() {
    let (_dir, mut app) = sample_app();
    press(&mut app, "j j j");
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn browser_120x40() {
    let (_dir, mut app) = sample_app();
    press(&mut app, "j j j");
    insta::assert_snapshot!(draw(&mut app, 120, 40).backend());
}

#[test]
fn browser_with_broken_file_and_filter_120x40() {
    let dir = copy_repo(&fixture_repository());
    let mut app = app(dir.path());
    press(&mut app, "/");
    type_text(&mut app, "o");
    press(&mut app, "enter G");
    insta::assert_snapshot!(draw(&mut app, 120, 40).backend());
}

#[test]
fn help_80x24() {
    let (_dir, mut app) = sample_app();
    press(&mut app, "?");
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn help_120x40_in_the_editor() {
    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    press(&mut app, "?");
    insta::assert_snapshot!(draw(&mut app, 120, 40).backend());
}

#[test]
fn too_small() {
    let (_dir, mut app) = sample_app();
    insta::assert_snapshot!(draw(&mut app, 50, 12).backend());
}

#[test]
fn editor_onboard_employee_80x24() {
    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    select_activity(&mut app, "Manager Approval");
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn editor_onboard_employee_120x40() {
    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    select_activity(&mut app, "Manager Approval");
    insta::assert_snapshot!(draw(&mut app, 120, 40).backend());
}

#[test]
fn editor_outline_and_source_120x40() {
    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    select_activity(&mut app, "Send Welcome");
    press(&mut app, "o v");
    insta::assert_snapshot!(draw(&mut app, 120, 40).backend());
}

#[test]
fn properties_with_invalid_expression_being_typed_120x40() {
    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    let a = app
        .editor
        .as_ref()
        .unwrap()
        .def
        .process
        .activities
        .iter()
        .position(|x| x.name == "Manager Approval")
        .unwrap();
    bpe::tui::app_editor::select(&mut app, ElementRef::Transition(a, 1));
    press(&mut app, "w");
    let ed = app.editor.as_mut().unwrap();
    ed.prop_cursor = ed
        .rows()
        .iter()
        .position(|r| matches!(r, bpe::tui::properties::Row::Field(f) if f.key.is(bpe::edit::Prop::Condition)))
        .unwrap();
    press(&mut app, "e");
    for _ in 0..200 {
        press(&mut app, "backspace");
    }
    type_text(
        &mut app,
        "(and (eq $decision \"approve\") (notnull $manager)",
    );
    insta::assert_snapshot!(draw(&mut app, 120, 40).backend());
}

#[test]
fn properties_with_invalid_expression_being_typed_80x24() {
    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    let a = app
        .editor
        .as_ref()
        .unwrap()
        .def
        .process
        .activities
        .iter()
        .position(|x| x.name == "Manager Approval")
        .unwrap();
    bpe::tui::app_editor::select(&mut app, ElementRef::Transition(a, 1));
    press(&mut app, "w");
    let ed = app.editor.as_mut().unwrap();
    ed.prop_cursor = ed
        .rows()
        .iter()
        .position(|r| matches!(r, bpe::tui::properties::Row::Field(f) if f.key.is(bpe::edit::Prop::Condition)))
        .unwrap();
    press(&mut app, "e");
    for _ in 0..200 {
        press(&mut app, "backspace");
    }
    type_text(&mut app, "(eq $decision \"approve\"))");
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn conflict_question_80x24() {
    let (dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    bpe::tui::app_editor::execute(
        &mut app,
        bpe::edit::Edit::SetField {
            target: ElementRef::Definition,
            field: bpe::edit::Prop::MaxSteps.into(),
            value: "50".into(),
        },
    );
    let path = dir.path().join("TaskDefinition/onboard-employee.json");
    let mut theirs: bpe::model::TaskDefinition =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    theirs.description = "changed elsewhere".into();
    bpe::repo::save_json(&path, &theirs).unwrap();
    bpe::tui::sync::repository_changed(&mut app);
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn recovery_offer_80x24() {
    let (dir, _app) = sample_app();
    let repo = bpe::repo::Repository::open(dir.path()).unwrap();
    let d = repo.definition("Onboard Employee").unwrap();
    let mut def = d.value.clone();
    def.description = "unsaved".into();
    bpe::tui::recovery::write(dir.path(), &d.path, &def).unwrap();
    // The timestamp varies: pin it for the snapshot.
    let file = bpe::tui::recovery::recovery_file(dir.path(), &d.path);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["savedAt"] = "2026-11-27T15:00:00+00:00".into();
    std::fs::write(&file, serde_json::to_string(&json).unwrap()).unwrap();
    let mut app = app(dir.path());
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn findings_in_properties_and_error_mark_on_the_box_120x40() {
    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    let ed = app.editor.as_ref().unwrap();
    let a = ed
        .def
        .process
        .activities
        .iter()
        .position(|x| x.name == "Manager Approval")
        .unwrap();
    let mut broken = ed.def.clone();
    broken.process.activities[a].transitions[0].to = "Nowhere".into();
    assert!(bpe::tui::app_editor::execute(
        &mut app,
        bpe::edit::Edit::Replace(Box::new(broken))
    ));
    bpe::tui::app_editor::select(&mut app, ElementRef::Transition(a, 0));
    press(&mut app, "w");
    insta::assert_snapshot!(draw(&mut app, 120, 40).backend());
}

#[test]
fn add_entry_picker_on_a_service_action_80x24() {
    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    let a = app
        .editor
        .as_ref()
        .unwrap()
        .def
        .process
        .activities
        .iter()
        .position(|x| x.name == "Escalate to Second Level")
        .unwrap();
    // notify: template, to and cc are passed; variables (optional) is missing.
    bpe::tui::app_editor::select(&mut app, ElementRef::Action(a, 2));
    press(&mut app, "w +");
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}
