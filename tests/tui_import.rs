//! The browser's import dialog (`I`): path prompt, preview with existing names
//! marked, replace / skip / cancel, errors with line:column, nothing written
//! before the answer.

mod tui_common;

use std::path::{Path, PathBuf};

use bpe::tui::app::{NoticeKind, Overlay};
use tui_common::*;

fn definition(name: &str, activity: &str) -> String {
    format!(
        "<TaskDefinition name='{name}'><Extension><WFProcess name='{name}'>\
         <Activity id='0' name='start'><Transition to='{activity}'/></Activity>\
         <Activity id='1' name='{activity}'><Transition to='end'/></Activity>\
         <Activity id='2' name='end'/>\
         </WFProcess></Extension></TaskDefinition>"
    )
}

fn write_fixture(dir: &Path, file: &str, body: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(
        &path,
        format!("<?xml version='1.0'?>\n<Waveset>\n{body}\n</Waveset>\n"),
    )
    .unwrap();
    path
}

/// Every file under the repository with its bytes, to prove nothing was written.
fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for kind in ["TaskDefinition", "Rule", "EmailTemplate"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(kind))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            out.push((f, bytes));
        }
    }
    out
}

fn start_import(app: &mut bpe::tui::app::App, path: &Path) {
    press(app, "I");
    assert!(matches!(app.overlay, Some(Overlay::Prompt(_))));
    type_text(app, path.to_str().unwrap());
    press(app, "enter");
}

fn notice(app: &bpe::tui::app::App) -> (NoticeKind, String) {
    let n = app.notice.as_ref().expect("a notice");
    (n.kind, n.text.clone())
}

#[test]
fn new_workflow_is_imported_into_browser_and_disk() {
    let repo = copy_repo(&sample_repository());
    let files = tempfile::tempdir().unwrap();
    let xml = write_fixture(
        files.path(),
        "new.xml",
        &definition("Imported Flow", "Check"),
    );
    let mut app = app(repo.path());
    let before = app.browser.entries.len();
    start_import(&mut app, &xml);
    match &app.overlay {
        Some(Overlay::Import(plan)) => {
            assert_eq!(plan.objects.len(), 1);
            assert_eq!(plan.objects[0].name(), "Imported Flow");
            assert_eq!(plan.existing, vec![false]);
        }
        _ => panic!("expected the import overlay"),
    }
    assert!(
        !repo
            .path()
            .join("TaskDefinition/imported-flow.json")
            .exists()
    );
    press(&mut app, "y");
    assert!(app.overlay.is_none());
    let on_disk = repo.path().join("TaskDefinition/imported-flow.json");
    let text = std::fs::read_to_string(&on_disk).expect("written");
    assert!(text.contains("\"Imported Flow\"") && text.contains("\"Check\""));
    assert_eq!(app.browser.entries.len(), before + 1);
    assert_eq!(
        app.browser.selected_name(&app.repo).as_deref(),
        Some("Imported Flow")
    );
    let (kind, text) = notice(&app);
    assert_eq!(kind, NoticeKind::Info);
    assert!(
        text.contains("imported TaskDefinition \"Imported Flow\""),
        "{text}"
    );
}

#[test]
fn existing_name_is_asked_skip_keeps_it_and_yes_replaces_it() {
    let repo = copy_repo(&sample_repository());
    let files = tempfile::tempdir().unwrap();
    let body = format!(
        "{}\n{}",
        definition("Access Request", "Replaced Step"),
        definition("Brand New", "Step")
    );
    let xml = write_fixture(files.path(), "both.xml", &body);
    let existing_file = repo.path().join("TaskDefinition/access-request.json");
    let original = std::fs::read(&existing_file).unwrap();
    let mut app = app(repo.path());

    start_import(&mut app, &xml);
    match &app.overlay {
        Some(Overlay::Import(plan)) => assert_eq!(plan.existing, vec![true, false]),
        _ => panic!("expected the import overlay"),
    }
    press(&mut app, "s");
    assert!(app.overlay.is_none());
    assert_eq!(std::fs::read(&existing_file).unwrap(), original, "skipped");
    assert!(repo.path().join("TaskDefinition/brand-new.json").exists());
    let (_, text) = notice(&app);
    assert!(
        text.contains("imported TaskDefinition \"Brand New\"")
            && text.contains("skipped \"Access Request\""),
        "{text}"
    );

    // Again: both exist now; y replaces them, keeping the file and its id.
    start_import(&mut app, &xml);
    match &app.overlay {
        Some(Overlay::Import(plan)) => assert_eq!(plan.existing, vec![true, true]),
        _ => panic!("expected the import overlay"),
    }
    press(&mut app, "y");
    let replaced = std::fs::read_to_string(&existing_file).unwrap();
    assert!(replaced.contains("Replaced Step"), "{replaced}");
    let original: serde_json::Value = serde_json::from_slice(&original).unwrap();
    let replaced: serde_json::Value = serde_json::from_str(&replaced).unwrap();
    assert_eq!(original["id"], replaced["id"]);
    let def = app
        .repo
        .definitions
        .iter()
        .find(|d| d.value.name == "Access Request")
        .unwrap();
    assert!(
        def.value
            .process
            .activities
            .iter()
            .any(|a| a.name == "Replaced Step")
    );
    let (_, text) = notice(&app);
    assert!(
        text.contains("replaced TaskDefinition \"Access Request\""),
        "{text}"
    );
}

#[test]
fn malformed_file_shows_line_and_column_and_writes_nothing() {
    let repo = copy_repo(&sample_repository());
    let files = tempfile::tempdir().unwrap();
    let xml = write_fixture(
        files.path(),
        "bad.xml",
        "<TaskDefinition name='Broken'>\n  <Extension>\n</TaskDefinition>",
    );
    let before = snapshot(repo.path());
    let mut app = app(repo.path());
    let entries = app.browser.entries.len();
    start_import(&mut app, &xml);
    assert!(app.overlay.is_none());
    let (kind, text) = notice(&app);
    assert_eq!(kind, NoticeKind::Error);
    let rest = text
        .strip_prefix(&format!("{}:", xml.display()))
        .unwrap_or_else(|| panic!("{text}"));
    let mut parts = rest.splitn(3, ':');
    let line: usize = parts.next().unwrap().parse().expect(&text);
    let column: usize = parts.next().unwrap().parse().expect(&text);
    assert!(line >= 3 && column >= 1, "{text}");
    assert_eq!(snapshot(repo.path()), before);
    assert_eq!(app.browser.entries.len(), entries);
}

#[test]
fn missing_file_keeps_the_prompt_with_the_error() {
    let repo = copy_repo(&sample_repository());
    let mut app = app(repo.path());
    start_import(&mut app, &repo.path().join("no-such.xml"));
    match &app.overlay {
        Some(Overlay::Prompt(p)) => {
            assert!(
                p.error.as_deref().unwrap_or("").contains("cannot open"),
                "{:?}",
                p.error
            )
        }
        _ => panic!("the prompt stays open"),
    }
    press(&mut app, "esc");
    assert!(app.overlay.is_none());
}

#[test]
fn esc_cancels_and_writes_nothing() {
    let repo = copy_repo(&sample_repository());
    let files = tempfile::tempdir().unwrap();
    let body = format!(
        "{}\n{}",
        definition("Access Request", "Replaced Step"),
        definition("Brand New", "Step")
    );
    let xml = write_fixture(files.path(), "both.xml", &body);
    let before = snapshot(repo.path());
    let mut app = app(repo.path());
    start_import(&mut app, &xml);
    assert!(matches!(app.overlay, Some(Overlay::Import(_))));
    press(&mut app, "esc");
    assert!(app.overlay.is_none());
    assert_eq!(snapshot(repo.path()), before);
    assert!(
        !app.repo
            .definitions
            .iter()
            .any(|d| d.value.name == "Brand New")
    );
    // Esc in the path prompt cancels too.
    press(&mut app, "I esc");
    assert!(app.overlay.is_none());
    assert_eq!(snapshot(repo.path()), before);
}
