//! The editor's diff mode (`=`) and the reload conflict dialog's semantic diff,
//! through `App::handle_key`: choosing the comparison, the change list, the
//! marks on the diagram, selection following the changes.

mod tui_common;

use bpe::diff::{ChangeKind, Object};
use bpe::model::TaskDefinition;
use bpe::tui::app::{Overlay, PickerPurpose};
use bpe::tui::command::{Edit, ElementRef};
use bpe::tui::diff_view::{Base, Mark};
use bpe::tui::linediff::DiffLine;
use tui_common::*;

/// Change the approval condition and rename "Rejected", unsaved.
fn edit_condition_and_rename(app: &mut bpe::tui::app::App) {
    let a = activity_index(app, "Manager Approval");
    assert!(bpe::tui::app_editor::execute(
        app,
        Edit::SetField {
            target: ElementRef::Transition(a, 1),
            field: bpe::edit::Prop::Condition.into(),
            value: "(eq $decision \"approved\")".into(),
        },
    ));
    let r = activity_index(app, "Rejected");
    assert!(bpe::tui::app_editor::execute(
        app,
        Edit::SetField {
            target: ElementRef::Activity(r),
            field: bpe::edit::Prop::Name.into(),
            value: "Declined".into(),
        },
    ));
}

fn picker_items(app: &bpe::tui::app::App) -> (Vec<Base>, Vec<String>) {
    match &app.overlay {
        Some(Overlay::Picker {
            purpose: PickerPurpose::DiffAgainst(bases),
            items,
            ..
        }) => (bases.clone(), items.clone()),
        _ => panic!("expected the diff picker"),
    }
}

#[test]
fn equals_offers_last_save_disk_copies_and_cached_versions() {
    let (dir, mut app) = sample();
    // A timestamped copy and a cached version of the workflow.
    let d = def(&app).clone();
    let mut copy = d.clone();
    copy.name = "Onboard Employee 20261130-143000".into();
    copy.id = "td-copy".into();
    bpe::repo::save_json(
        &dir.path()
            .join("TaskDefinition/onboard-employee-20261130-143000.json"),
        &copy,
    )
    .unwrap();
    let mut older = d.clone();
    older.description = "older".into();
    let r = bpe::repo::cache::store(dir.path(), &older).unwrap();
    bpe::tui::sync::reload(&mut app);
    press(&mut app, "=");
    let (bases, items) = picker_items(&app);
    assert_eq!(bases[0], Base::LastSave);
    assert_eq!(bases[1], Base::Disk);
    assert!(bases.contains(&Base::Copy("Onboard Employee 20261130-143000".into())));
    assert!(bases.contains(&Base::Cached(r.hash.clone())));
    assert_eq!(items.len(), bases.len());
    assert!(
        items.iter().any(|i| i.starts_with("cached sha256:")),
        "{items:?}"
    );
    // Choose the cached version: one change, the description.
    let pos = bases
        .iter()
        .position(|b| *b == Base::Cached(r.hash.clone()))
        .unwrap();
    for _ in 0..pos {
        press(&mut app, "down");
    }
    press(&mut app, "enter");
    let dv = app
        .editor
        .as_ref()
        .unwrap()
        .diff
        .as_ref()
        .expect("diff open");
    assert_eq!(dv.diff.changes.len(), 1);
    assert_eq!(dv.diff.changes[0].field.as_deref(), Some("description"));
    assert_eq!(dv.diff.changes[0].old.as_deref(), Some("older"));
    assert!(dv.label.starts_with("cached sha256:"));
}

#[test]
fn diff_against_last_save_lists_the_unsaved_changes_and_marks_boxes() {
    let (_dir, mut app) = sample();
    let before = def(&app).clone();
    edit_condition_and_rename(&mut app);
    press(&mut app, "=");
    press(&mut app, "enter"); // last save
    let ed = app.editor.as_ref().unwrap();
    let dv = ed.diff.as_ref().expect("diff open");
    let changes = &dv.diff.changes;
    assert_eq!(changes.len(), 2, "{changes:?}");
    let cond = changes
        .iter()
        .find(|c| c.object == Object::Transition)
        .unwrap();
    assert_eq!(cond.field.as_deref(), Some("condition"));
    assert_eq!(cond.expression[0].at, vec!["eq[2]".to_string()]);
    assert_eq!(cond.expression[0].old, "\"approve\"");
    assert_eq!(cond.expression[0].new, "\"approved\"");
    let rename = changes
        .iter()
        .find(|c| c.change == ChangeKind::Renamed)
        .unwrap();
    assert_eq!(rename.old.as_deref(), Some("Rejected"));
    assert_eq!(rename.new.as_deref(), Some("Declined"));
    // Both touched boxes are marked as changed, nothing else.
    let mut marks = dv.marks.clone();
    marks.sort();
    let mut want = vec![
        (activity_index(&app, "Manager Approval"), Mark::Changed),
        (activity_index(&app, "Declined"), Mark::Changed),
    ];
    want.sort();
    assert_eq!(marks, want);
    // The mode does not edit: undo still has both edits, nothing saved.
    assert!(app.has_unsaved());
    assert_ne!(def(&app), &before);
}

#[test]
fn moving_through_changes_selects_their_boxes_and_esc_closes() {
    let (_dir, mut app) = sample();
    edit_condition_and_rename(&mut app);
    let approval = activity_index(&app, "Manager Approval");
    let declined = activity_index(&app, "Declined");
    press(&mut app, "= enter");
    let first = app.editor.as_ref().unwrap().diff.as_ref().unwrap().boxes[0];
    assert_eq!(
        app.editor.as_ref().unwrap().selection,
        ElementRef::Activity(first.unwrap())
    );
    press(&mut app, "down");
    let ed = app.editor.as_ref().unwrap();
    let dv = ed.diff.as_ref().unwrap();
    assert_eq!(dv.selected, 1);
    let second = dv.boxes[1].unwrap();
    assert_eq!(ed.selection, ElementRef::Activity(second));
    let mut both = [first.unwrap(), second];
    both.sort();
    let mut want = [approval, declined];
    want.sort();
    assert_eq!(both, want);
    // Past the end stays on the last change.
    press(&mut app, "down down");
    assert_eq!(
        app.editor.as_ref().unwrap().diff.as_ref().unwrap().selected,
        1
    );
    // Editing keys do nothing in the diff mode.
    let d = def(&app).clone();
    press(&mut app, "d");
    assert_eq!(def(&app), &d);
    press(&mut app, "esc");
    let ed = app.editor.as_ref().unwrap();
    assert!(ed.diff.is_none());
    assert_eq!(ed.selection, ElementRef::Activity(second), "selection kept");
}

#[test]
fn removed_and_added_activities_get_their_own_marks() {
    let (_dir, mut app) = sample();
    let old = def(&app).clone();
    // The working copy: "Provisioning Failed" deleted, a new activity added.
    let gone = activity_index(&app, "Provisioning Failed");
    assert!(bpe::tui::app_editor::execute(
        &mut app,
        Edit::Delete(ElementRef::Activity(gone))
    ));
    press(&mut app, "a");
    type_text(&mut app, "Audit Hire");
    press(&mut app, "enter");
    let added = activity_index(&app, "Audit Hire");
    let n = def(&app).process.activities.len();
    press(&mut app, "= enter");
    let dv = app.editor.as_ref().unwrap().diff.as_ref().unwrap();
    assert!(dv.marks.contains(&(added, Mark::Added)), "{:?}", dv.marks);
    // The removed activity is a box of its own after the working copy's.
    assert_eq!(dv.removed_from, n);
    assert!(dv.marks.contains(&(n, Mark::Removed)), "{:?}", dv.marks);
    assert!(dv.diagram.box_rect(n).is_some());
    let removed = dv
        .diff
        .changes
        .iter()
        .position(|c| c.object == Object::Activity && c.change == ChangeKind::Removed)
        .unwrap();
    assert_eq!(dv.boxes[removed], Some(n));
    assert_eq!(
        old.process.activities[gone].name,
        dv.diff.changes[removed].old.clone().unwrap()
    );
    // Selecting the removed change highlights its box; the editor's selection
    // stays on an activity of the working copy.
    press(&mut app, "g");
    for _ in 0..removed {
        press(&mut app, "down");
    }
    let ed = app.editor.as_ref().unwrap();
    assert_eq!(ed.diff.as_ref().unwrap().selected_box(), Some(n));
    assert!(ed.selection.activity().unwrap() < n);
}

#[test]
fn diff_against_disk_reads_the_file_now_and_reports_no_differences() {
    let (dir, mut app) = sample();
    press(&mut app, "= down enter");
    let dv = app.editor.as_ref().unwrap().diff.as_ref().unwrap();
    assert_eq!(dv.base, Base::Disk);
    assert!(dv.diff.is_empty());
    assert!(app.notice.as_ref().unwrap().text.contains("no differences"));
    press(&mut app, "esc");
    // A file that no longer loads: a clear error, no diff mode.
    std::fs::write(
        dir.path().join("TaskDefinition/onboard-employee.json"),
        "{ broken",
    )
    .unwrap();
    press(&mut app, "= down enter");
    assert!(app.editor.as_ref().unwrap().diff.is_none());
    let n = app.notice.as_ref().unwrap();
    assert!(n.text.contains("does not load"), "{}", n.text);
}

#[test]
fn conflict_dialog_shows_the_semantic_diff_of_mine_against_theirs() {
    let (dir, mut app) = sample();
    let a = activity_index(&app, "Manager Approval");
    assert!(bpe::tui::app_editor::execute(
        &mut app,
        Edit::SetField {
            target: ElementRef::Transition(a, 1),
            field: bpe::edit::Prop::Condition.into(),
            value: "(eq $decision \"approved\")".into(),
        },
    ));
    let path = dir.path().join("TaskDefinition/onboard-employee.json");
    let mut theirs: TaskDefinition =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    theirs.description = "changed elsewhere".into();
    bpe::repo::save_json(&path, &theirs).unwrap();
    bpe::tui::sync::repository_changed(&mut app);
    assert!(matches!(app.overlay, Some(Overlay::Conflict)));
    let lines = &app.editor.as_ref().unwrap().conflict_diff;
    let text: Vec<&str> = lines
        .iter()
        .map(|l| match l {
            DiffLine::Semantic(s) => s.as_str(),
            other => panic!("expected semantic lines, got {other:?}"),
        })
        .collect();
    assert!(
        text.iter()
            .any(|l| l.starts_with("~ definition description:")
                && l.ends_with("-> changed elsewhere")),
        "{text:?}"
    );
    // Mine has "approved", theirs still "approve": the smallest sub-expression.
    assert!(
        text.iter()
            .any(|l| l.trim() == "at eq[2]: \"approved\" -> \"approve\""),
        "{text:?}"
    );
}

#[test]
fn conflict_lines_fall_back_to_the_line_diff_only_when_nothing_is_named() {
    let (_dir, app) = sample();
    let d = def(&app).clone();
    assert!(bpe::tui::sync::conflict_lines(&d, &d).is_empty());
    let mut other = d.clone();
    other.description = "x".into();
    assert!(matches!(
        bpe::tui::sync::conflict_lines(&d, &other)[0],
        DiffLine::Semantic(_)
    ));
}

fn draw(
    app: &mut bpe::tui::app::App,
    w: u16,
    h: u16,
) -> ratatui::Terminal<ratatui::backend::TestBackend> {
    app.size = (w, h);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    term.draw(|f| bpe::tui::view::view(app, f)).unwrap();
    term
}

/// Reviewed: the title names the base, the change list replaces the
/// properties pane (the selected change with ▶, its `at` line below it), the
/// changed boxes carry `~` in their top border, the legend is the last row.
#[test]
fn diff_view_120x40() {
    let (_dir, mut app) = sample();
    edit_condition_and_rename(&mut app);
    press(&mut app, "= enter");
    let term = draw(&mut app, 120, 40);
    let text = format!("{:?}", term.backend());
    assert!(text.contains("Changes (2) from last save"), "{text}");
    assert!(text.contains("+ added  ~ changed  - removed"), "{text}");
    insta::assert_snapshot!(term.backend());
}
