//! The debug view's cases on older versions: listed with the diff from the
//! pinned to the current version, and migrated through the same engine API as
//! `bpe migrate` — the plan first, a question, then the move; a refusal names
//! each reason and changes nothing. Rules: docs/engine.md, "Migrating a
//! suspended case".

mod cli_common;
mod tui_common;

use bpe::diff::ChangeKind;
use bpe::tui::app::Screen;
use bpe::tui::debug_view::{Ask, Pane};
use cli_common::{ONBOARD_ADA, edit_json, ok_json, rename_activity, s, sample_copy};
use tui_common::{app, press};

const ONBOARD: &str = "TaskDefinition/onboard-employee.json";

/// A sample copy with one Onboard Employee suspended at Manager Approval.
fn suspended() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let (dir, root) = sample_copy();
    let mut args = vec!["run", s(&root), "Onboard Employee", "--json"];
    args.extend(ONBOARD_ADA);
    let r = ok_json(&args);
    assert_eq!(r["status"], "suspended", "{r:#}");
    (dir, root, r["instance"].as_str().unwrap().to_string())
}

fn instance_hash(root: &std::path::Path, inst: &str) -> String {
    let j: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join(format!("TaskInstance/{inst}.json"))).unwrap(),
    )
    .unwrap();
    j["definition"]["hash"].as_str().unwrap().to_string()
}

fn current_hash(root: &std::path::Path) -> String {
    let d: bpe::model::TaskDefinition =
        serde_json::from_slice(&std::fs::read(root.join(ONBOARD)).unwrap()).unwrap();
    bpe::model::content_hash(&d)
}

/// Open the debug view on the cases pane.
fn debug_view_cases(root: &std::path::Path) -> bpe::tui::app::App {
    let mut app = app(root);
    press(&mut app, "4");
    assert_eq!(app.screen, Screen::DebugView);
    press(&mut app, "tab");
    assert_eq!(app.debug_view.pane, Pane::Cases);
    app
}

#[test]
fn a_case_on_an_older_version_is_listed_with_the_diff_then_migrated() {
    let (_d, root, inst) = suspended();
    let pinned = instance_hash(&root, &inst);
    // The current file: Manager Approval renamed (same id).
    edit_json(&root, ONBOARD, |d| {
        rename_activity(d, "Manager Approval", "Manager Review")
    });
    let mut app = debug_view_cases(&root);
    let cases = &app.debug_view.older.cases;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].instance, inst);
    assert_eq!(cases[0].pinned.hash, pinned);
    let diff = cases[0].diff.as_ref().unwrap();
    assert_eq!(diff.changes.len(), 1, "{diff:?}");
    assert_eq!(diff.changes[0].change, ChangeKind::Renamed);
    assert_eq!(diff.changes[0].new.as_deref(), Some("Manager Review"));

    // Drawn: the pane lists the case, the diff pinned -> current beside it.
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    term.draw(|f| bpe::tui::view::view(&app, f)).unwrap();
    let screen = format!("{:?}", term.backend());
    assert!(screen.contains("Cases on older versions (1)"), "{screen}");
    assert!(screen.contains("Pinned → current (1)"), "{screen}");
    assert!(
        screen.contains("\"Manager Review\" (id 4) renamed:"),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("▶{inst}")),
        "the id is whole: {screen}"
    );

    // M: the plan, as a question; nothing written yet.
    press(&mut app, "M");
    let q = app.debug_view.question.as_ref().expect("the plan is asked");
    assert!(matches!(&q.purpose, Ask::Migrate { instance, .. } if *instance == inst));
    assert!(
        q.lines
            .iter()
            .any(|l| l.contains("token") && l.contains("\"Manager Review\"")),
        "{:?}",
        q.lines
    );
    assert_eq!(
        instance_hash(&root, &inst),
        pinned,
        "the plan writes nothing"
    );

    // n: nothing moves.
    press(&mut app, "n");
    assert!(app.debug_view.question.is_none());
    assert_eq!(instance_hash(&root, &inst), pinned);

    // M then y: the case is on the current version, and no longer listed.
    press(&mut app, "M y");
    let notice = app.notice.as_ref().unwrap().text.clone();
    assert!(notice.starts_with(&format!("migrated {inst}")), "{notice}");
    assert_eq!(instance_hash(&root, &inst), current_hash(&root));
    assert!(app.debug_view.older.cases.is_empty());
}

#[test]
fn a_refused_migration_shows_each_reason_and_changes_nothing() {
    let (_d, root, inst) = suspended();
    let pinned = instance_hash(&root, &inst);
    // The current file has no activity with the id of the one holding the
    // token (Manager Approval got another id).
    edit_json(&root, ONBOARD, |d| {
        for a in d["process"]["activities"].as_array_mut().unwrap() {
            if a["name"] == "Manager Approval" {
                a["id"] = "99".into();
            }
        }
    });
    let before = std::fs::read(root.join(format!("TaskInstance/{inst}.json"))).unwrap();
    let mut app = debug_view_cases(&root);
    assert_eq!(app.debug_view.older.cases.len(), 1);
    press(&mut app, "M");
    assert!(app.debug_view.question.is_none(), "a refusal is not asked");
    let notice = app.notice.as_ref().unwrap();
    assert_eq!(notice.kind, bpe::tui::app::NoticeKind::Error);
    assert!(notice.text.contains("refused"), "{}", notice.text);
    let (for_case, lines) = app
        .debug_view
        .older
        .plan
        .clone()
        .expect("the plan is shown");
    assert_eq!(for_case, inst);
    assert!(lines.iter().any(|l| l == "refused, nothing changed:"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  - ") && l.contains("Manager Approval")),
        "{lines:?}"
    );
    assert_eq!(
        std::fs::read(root.join(format!("TaskInstance/{inst}.json"))).unwrap(),
        before
    );
    assert_eq!(instance_hash(&root, &inst), pinned);
}

#[test]
fn a_file_changed_after_the_plan_moves_nothing() {
    let (_d, root, inst) = suspended();
    let pinned = instance_hash(&root, &inst);
    edit_json(&root, ONBOARD, |d| d["description"] = "v2".into());
    let mut app = debug_view_cases(&root);
    press(&mut app, "M");
    assert!(app.debug_view.question.is_some());
    // Someone edits the definition again before the answer.
    edit_json(&root, ONBOARD, |d| d["description"] = "v3".into());
    bpe::tui::sync::reload(&mut app);
    press(&mut app, "y");
    let notice = app.notice.as_ref().unwrap();
    assert!(
        notice.text.contains("changed since the plan"),
        "{}",
        notice.text
    );
    assert_eq!(instance_hash(&root, &inst), pinned);
}
