//! Issue 13 item 2, the rule editor screen, at the update level (keys in,
//! state and files out) and drawn into `TestBackend` (snapshots at 80x24,
//! 120x40 and 200x60).

mod tui_common;

use bpe::model::Rule;
use bpe::repo::lock::{self, LockMode, LockTarget};
use bpe::tui::app::{App, Overlay, Screen};
use bpe::tui::keymap::Context;
use bpe::tui::rule_editor::{Pane, RuleEditorState};
use tui_common::*;

fn draw(app: &mut App, w: u16, h: u16) -> String {
    draw_text(app, w, h)
}

/// Open the named rule through the browser (filter + Enter).
fn open_rule(app: &mut App, name: &str) {
    if !app.browser.filter_text().is_empty() {
        press(app, "esc");
    }
    press(app, "/");
    type_text(app, name);
    press(app, "enter enter");
    assert_eq!(app.screen, Screen::RuleEditor, "{:?}", app.notice);
    assert_eq!(ed(app).name(), name);
}

fn ed(app: &App) -> &RuleEditorState {
    app.rule_editor.as_ref().expect("rule editor open")
}

fn rule(app: &App) -> &Rule {
    &ed(app).doc.rule
}

fn notice(app: &App) -> String {
    app.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

fn on_disk(dir: &std::path::Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

/// Clear the one-line prompt or field in front (its text is at most `n` characters).
fn clear(app: &mut App, n: usize) {
    for _ in 0..n {
        press(app, "backspace");
    }
}

/// Whether some process holds the rule edit lock of `name`.
fn held(root: &std::path::Path, name: &str) -> bool {
    lock::list(root).unwrap().iter().any(|l| {
        l.target == Some(LockTarget::RuleEdit(name.into()))
            && l.holders.iter().any(|h| h.stale.is_none())
    })
}

fn sample() -> (tempfile::TempDir, App) {
    let dir = copy_repo(&sample_repository());
    let app = app(dir.path());
    (dir, app)
}

#[test]
fn enter_on_a_rule_opens_it_with_its_arguments_and_callers_and_takes_the_edit_lock() {
    let (dir, mut app) = sample();
    open_rule(&mut app, "Email Address");
    let r = ed(&app);
    assert!(r.read_only().is_none());
    assert!(!r.is_dirty());
    let args: Vec<&str> = rule(&app)
        .arguments
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(args, ["accountId", "domain"]);
    let callers: Vec<(bool, &str)> = r
        .used_by
        .iter()
        .map(|u| (u.workflow, u.name.as_str()))
        .collect();
    assert_eq!(
        callers,
        [
            (true, "Access Request"),
            (true, "Contractor Renewal"),
            (true, "Offboard Employee"),
            (true, "Onboard Employee"),
            (true, "Role Change"),
        ]
    );
    // The lock is on disk, under the rule's name.
    assert!(held(dir.path(), "Email Address"));
    assert_eq!(
        app.contexts(),
        [
            Context::RuleEditor,
            Context::Screens,
            Context::Navigate,
            Context::Global
        ]
    );
    // Esc closes (nothing modified) and releases the lock.
    press(&mut app, "esc");
    assert_eq!(app.screen, Screen::Browser);
    assert!(app.rule_editor.is_none());
    assert!(!held(dir.path(), "Email Address"));
}

#[test]
fn the_body_is_checked_while_typing_and_applied_on_enter_as_one_undoable_edit() {
    let (dir, mut app) = sample();
    open_rule(&mut app, "Email Address");
    let before = rule(&app).body.clone();
    press(&mut app, "tab tab");
    assert_eq!(ed(&app).pane, Pane::Body);
    press(&mut app, "enter");
    assert_eq!(app.contexts(), [Context::TextEdit]);
    // Drop the closing parenthesis: a parse error with its position.
    press(&mut app, "backspace");
    let f = ed(&app).editing.as_ref().unwrap();
    let e = f.error.clone().expect("a parse error");
    assert_eq!(e.line, 1, "{e:?}");
    assert!(e.column > 1, "{e:?}");
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains(&format!("✗ {}:{}", e.line, e.column)),
        "{screen}"
    );
    // Enter refuses while it does not parse.
    press(&mut app, "enter");
    assert!(
        notice(&app).starts_with("not applied: body at 1:"),
        "{}",
        notice(&app)
    );
    assert_eq!(rule(&app).body, before);
    // An unknown function: parses, flagged while typing with a hint.
    type_text(&mut app, " (uppcase \"x\"))");
    let f = ed(&app).editing.as_ref().unwrap();
    assert!(f.error.is_none(), "{:?}", f.error);
    let w = f.warning.as_ref().expect("unknown function");
    assert!(w.message.contains("unknown function \"uppcase\""), "{w:?}");
    // Fixed, applied, canonical.
    for _ in 0..15 {
        press(&mut app, "backspace");
    }
    type_text(&mut app, " \".uk\")");
    press(&mut app, "enter");
    assert!(ed(&app).editing.is_none());
    assert_eq!(
        rule(&app).body,
        "(concat (downcase (trim $accountId)) \"@\" $domain \".uk\")"
    );
    assert_eq!(notice(&app), "set body of rule Email Address");
    assert!(ed(&app).is_dirty());
    // Undo and redo (u, ctrl-r).
    press(&mut app, "u");
    assert_eq!(rule(&app).body, before);
    assert!(!ed(&app).is_dirty());
    assert_eq!(notice(&app), "undid: set body of rule Email Address");
    press(&mut app, "ctrl-r");
    assert!(rule(&app).body.ends_with("\".uk\")"));
    // Saved atomically; the file reads back.
    press(&mut app, "s");
    assert!(!ed(&app).is_dirty());
    let saved: Rule =
        serde_json::from_str(&on_disk(dir.path(), "Rule/email-address.json")).unwrap();
    assert_eq!(saved.body, rule(&app).body);
    assert!(
        notice(&app).starts_with("saved Rule/email-address.json"),
        "{}",
        notice(&app)
    );
}

#[test]
fn argument_edits_each_undo_add_rename_default_locked_comment_delete() {
    let (_dir, mut app) = sample();
    open_rule(&mut app, "Email Address");
    let original = rule(&app).clone();
    // Add after the selected (first) argument.
    press(&mut app, "a");
    type_text(&mut app, "suffix");
    press(&mut app, "enter");
    let names =
        |app: &App| -> Vec<String> { rule(app).arguments.iter().map(|a| a.name.clone()).collect() };
    assert_eq!(names(&app), ["accountId", "suffix", "domain"]);
    assert_eq!(notice(&app), "added argument suffix");
    // A clash keeps the prompt open with the reason.
    press(&mut app, "a");
    type_text(&mut app, "domain");
    press(&mut app, "enter");
    let Some(p) = &ed(&app).prompt else {
        panic!("prompt stays")
    };
    assert_eq!(
        p.error.as_deref(),
        Some("there is already an argument \"domain\"")
    );
    press(&mut app, "esc");
    // Rename the new one (the cursor is on it).
    press(&mut app, "r");
    clear(&mut app, 6);
    type_text(&mut app, "tail");
    press(&mut app, "enter");
    assert_eq!(names(&app), ["accountId", "tail", "domain"]);
    // Its default (right: the default column), an expression checked as typed.
    press(&mut app, "l enter");
    type_text(&mut app, "(concat \"x\"");
    press(&mut app, "enter");
    assert!(notice(&app).starts_with("not applied"), "{}", notice(&app));
    type_text(&mut app, ")");
    press(&mut app, "enter");
    assert_eq!(
        rule(&app).arguments[1].value.as_deref(),
        Some("(concat \"x\")")
    );
    // Locked toggles with Enter on its column, or space anywhere in the row.
    press(&mut app, "l enter");
    assert!(rule(&app).arguments[1].locked);
    press(&mut app, "space");
    assert!(!rule(&app).arguments[1].locked);
    // The comment.
    press(&mut app, "l enter");
    type_text(&mut app, "kept short");
    press(&mut app, "enter");
    assert_eq!(rule(&app).arguments[1].comment, "kept short");
    // Delete it.
    press(&mut app, "d");
    assert_eq!(names(&app), ["accountId", "domain"]);
    assert_eq!(notice(&app), "deleted argument tail");
    // Each step undoes on its own, back to the rule as opened.
    let mut steps = 0;
    while ed(&app).stack.can_undo() {
        press(&mut app, "u");
        steps += 1;
    }
    assert_eq!(
        steps, 7,
        "add, rename, default, locked twice, comment, delete"
    );
    assert_eq!(rule(&app), &original);
    assert!(!ed(&app).is_dirty());
}

#[test]
fn the_description_is_edited_in_place_and_undone() {
    let (_dir, mut app) = sample();
    open_rule(&mut app, "Email Address");
    let before = rule(&app).description.clone();
    press(&mut app, "tab enter");
    type_text(&mut app, " Lower case.");
    press(&mut app, "enter");
    assert_eq!(rule(&app).description, format!("{before} Lower case."));
    press(&mut app, "u");
    assert_eq!(rule(&app).description, before);
}

#[test]
fn renaming_a_rule_used_by_two_workflows_updates_both_in_one_step() {
    let (dir, mut app) = sample();
    open_rule(&mut app, "Birthright Roles");
    press(&mut app, "R");
    clear(&mut app, 40);
    type_text(&mut app, "Starter Roles");
    press(&mut app, "enter");
    assert_eq!(rule(&app).name, "Starter Roles");
    assert_eq!(
        notice(&app),
        "renamed rule Birthright Roles -> Starter Roles: 4 references in 2 callers updated"
    );
    assert_eq!(ed(&app).doc.callers.len(), 2);
    // One step: undo puts the rule and both callers back.
    press(&mut app, "u");
    assert_eq!(rule(&app).name, "Birthright Roles");
    assert!(ed(&app).doc.callers.is_empty());
    press(&mut app, "U");
    press(&mut app, "s");
    assert!(!ed(&app).is_dirty(), "{}", notice(&app));
    for file in [
        "TaskDefinition/onboard-employee.json",
        "TaskDefinition/role-change.json",
    ] {
        let text = on_disk(dir.path(), file);
        assert!(text.contains(r#"rule name=\"Starter Roles\""#), "{file}");
        assert!(
            !text.contains(r#"rule name=\"Birthright Roles\""#),
            "{file}"
        );
    }
    let saved: Rule =
        serde_json::from_str(&on_disk(dir.path(), "Rule/birthright-roles.json")).unwrap();
    assert_eq!(saved.name, "Starter Roles");
    // The reloaded repository still finds both callers under the new name.
    let used: Vec<&str> = ed(&app).used_by.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(used, ["Onboard Employee", "Role Change"]);
    // The lock moved to the new name.
    assert!(held(dir.path(), "Starter Roles"));
}

#[test]
fn a_rule_open_in_another_editor_opens_read_only_naming_the_holder() {
    let (dir, mut first) = sample();
    open_rule(&mut first, "Email Address");
    let mut second = app(dir.path());
    open_rule(&mut second, "Email Address");
    let holder = ed(&second).read_only().expect("read-only").to_string();
    assert!(
        holder.contains(&format!("pid {}", std::process::id())),
        "{holder}"
    );
    assert!(holder.contains("since"), "{holder}");
    assert!(
        notice(&second).contains("is being edited by"),
        "{}",
        notice(&second)
    );
    let screen = draw(&mut second, 120, 40);
    assert!(screen.contains("read-only: edited by"), "{screen}");
    // Every edit is refused, naming the holder.
    let before = rule(&second).clone();
    for keys in ["a", "d", "R", "tab tab enter", "s"] {
        press(&mut second, keys);
        assert!(
            notice(&second).contains("being edited by"),
            "{keys}: {}",
            notice(&second)
        );
    }
    assert_eq!(rule(&second), &before);
    // Closing the first releases the lock for the next one.
    press(&mut first, "c");
    let mut third = app(dir.path());
    open_rule(&mut third, "Email Address");
    assert!(ed(&third).read_only().is_none());
}

#[test]
fn a_held_lock_of_another_process_is_named_too() {
    let (dir, mut app) = sample();
    let _held = lock::acquire(
        dir.path(),
        LockTarget::RuleEdit("Manager Of".into()),
        LockMode::Exclusive,
        "rule editor",
    )
    .unwrap();
    open_rule(&mut app, "Manager Of");
    assert!(ed(&app).read_only().is_some());
    press(&mut app, "tab tab enter");
    assert!(ed(&app).editing.is_none(), "no field opens read-only");
}

#[test]
fn unsaved_edits_are_kept_as_a_recovery_copy_and_offered_at_the_next_start() {
    let (dir, mut app) = sample();
    open_rule(&mut app, "Email Address");
    press(&mut app, "tab enter");
    type_text(&mut app, " Kept.");
    press(&mut app, "enter");
    let edited = rule(&app).clone();
    // What the panic hook and the signal handler write.
    let written = bpe::tui::recovery::write_published();
    let file = dir.path().join(".bpe/recovery/rule--email-address.json");
    assert!(written.contains(&file), "{written:?}");
    // bpe died: the lock holder is gone with it.
    drop(app);
    let mut next = tui_common::app(dir.path());
    let Some(Overlay::Recovery { copies, .. }) = &next.overlay else {
        panic!("recovery offered at start")
    };
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].1.object.name(), "Email Address");
    let screen = draw(&mut next, 120, 40);
    assert!(
        screen.contains("rule Email Address (Rule/email-address.json"),
        "{screen}"
    );
    press(&mut next, "r");
    assert_eq!(next.screen, Screen::RuleEditor);
    assert_eq!(rule(&next), &edited);
    assert!(ed(&next).is_dirty());
    assert!(notice(&next).starts_with("restored unsaved edits of rule Email Address"));
    // One undoable step back to the file on disk.
    press(&mut next, "u");
    assert_eq!(
        rule(&next).description,
        edited.description.replace(" Kept.", "")
    );
    // Saving forgets the copy.
    press(&mut next, "U s");
    assert!(!file.exists());
}

#[test]
fn a_change_on_disk_reloads_silently_without_edits_and_asks_with_them() {
    let (dir, mut app) = sample();
    open_rule(&mut app, "Email Address");
    let path = dir.path().join("Rule/email-address.json");
    let mut theirs = rule(&app).clone();
    theirs.description = "Changed by someone else.".into();
    std::fs::write(&path, serde_json::to_string_pretty(&theirs).unwrap()).unwrap();
    // What the event loop does on a change under the repository.
    bpe::tui::sync::repository_changed(&mut app);
    bpe::tui::app::refresh_screens(&mut app);
    assert_eq!(rule(&app), &theirs);
    assert!(!ed(&app).is_dirty());
    assert_eq!(
        notice(&app),
        "reloaded rule Email Address: it changed on disk"
    );
    // Now with a local edit: the conflict question, nothing replaced.
    press(&mut app, "tab enter");
    type_text(&mut app, " Mine.");
    press(&mut app, "enter");
    let mine = rule(&app).clone();
    theirs.description = "Changed again.".into();
    std::fs::write(&path, serde_json::to_string_pretty(&theirs).unwrap()).unwrap();
    bpe::tui::sync::repository_changed(&mut app);
    bpe::tui::app::refresh_screens(&mut app);
    assert_eq!(rule(&app), &mine);
    assert_eq!(app.contexts(), [Context::Conflict]);
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("changed on disk while you have unsaved edits"),
        "{screen}"
    );
    // Take theirs: one undoable edit.
    press(&mut app, "t");
    assert_eq!(rule(&app), &theirs);
    assert!(!ed(&app).is_dirty());
    press(&mut app, "u");
    assert_eq!(rule(&app), &mine);
    assert!(ed(&app).is_dirty());
}

#[test]
fn close_and_quit_ask_about_unsaved_changes() {
    let (dir, mut app) = sample();
    let before = on_disk(dir.path(), "Rule/email-address.json");
    open_rule(&mut app, "Email Address");
    press(&mut app, "d");
    assert!(app.has_unsaved());
    press(&mut app, "c");
    assert_eq!(app.contexts(), [Context::Confirm]);
    let screen = draw(&mut app, 80, 24);
    assert!(
        screen.contains("Rule Email Address has unsaved changes."),
        "{screen}"
    );
    press(&mut app, "esc");
    assert_eq!(app.screen, Screen::RuleEditor);
    // Quit asks too (the app's question); discard leaves the file as it was.
    press(&mut app, "q");
    assert!(matches!(app.overlay, Some(Overlay::ConfirmUnsaved { .. })));
    press(&mut app, "d");
    assert!(app.quit);
    assert_eq!(on_disk(dir.path(), "Rule/email-address.json"), before);
}

#[test]
fn quitting_can_save_the_rule() {
    let (dir, mut app) = sample();
    open_rule(&mut app, "Email Address");
    press(&mut app, "d");
    press(&mut app, "q s");
    assert!(app.quit, "{}", notice(&app));
    let saved: Rule =
        serde_json::from_str(&on_disk(dir.path(), "Rule/email-address.json")).unwrap();
    assert_eq!(saved.arguments.len(), 1);
}

#[test]
fn used_by_jumps_to_a_workflow_and_to_a_rule_asking_first_when_modified() {
    let dir = copy_repo(&sample_repository());
    // A rule that calls another rule.
    std::fs::write(
        dir.path().join("Rule/work-address.json"),
        r#"{"formatVersion":1,"id":"rule-work","name":"Work Address","body":"(rule name=\"Email Address\" (argument name=\"accountId\" \"x\"))"}"#,
    )
    .unwrap();
    let mut app = app(dir.path());
    open_rule(&mut app, "Email Address");
    let used: Vec<&str> = ed(&app).used_by.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(used.last(), Some(&"Work Address"));
    // Tab to "used by"; Enter on the first workflow opens it in the workflow editor.
    press(&mut app, "tab tab tab");
    assert_eq!(ed(&app).pane, Pane::UsedBy);
    press(&mut app, "enter");
    assert_eq!(app.screen, Screen::Editor);
    assert_eq!(def(&app).name, "Access Request");
    // The rule is still open behind it.
    press(&mut app, "c");
    open_rule(&mut app, "Email Address");
    // Modify, then jump to the calling rule: asked first.
    assert_eq!(ed(&app).pane, Pane::UsedBy);
    press(&mut app, "tab d");
    assert!(ed(&app).is_dirty());
    press(&mut app, "tab tab tab G o");
    assert_eq!(app.contexts(), [Context::Confirm]);
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("before opening rule Work Address"),
        "{screen}"
    );
    press(&mut app, "d");
    assert_eq!(app.screen, Screen::RuleEditor, "{}", notice(&app));
    assert_eq!(ed(&app).name(), "Work Address");
    assert!(!ed(&app).is_dirty());
}

#[test]
fn snapshots_of_the_rule_editor() {
    let (_dir, mut app) = sample();
    open_rule(&mut app, "Email Address");
    insta::assert_snapshot!("rule_editor_80x24", draw(&mut app, 80, 24));
    press(&mut app, "tab tab enter backspace");
    insta::assert_snapshot!("rule_editor_body_error_120x40", draw(&mut app, 120, 40));
    press(&mut app, "esc tab");
    insta::assert_snapshot!("rule_editor_used_by_200x60", draw(&mut app, 200, 60));
}

const LIBRARY: &str = r#"{
  "formatVersion": 1,
  "id": "cfg-mail",
  "name": "Mail Library",
  "rules": [
    {"formatVersion": 1, "id": "r-a", "name": "Domain", "body": "\"example.com\""},
    {"formatVersion": 1, "id": "r-b", "name": "Local Part", "arguments": [{"name": "id"}], "body": "(downcase $id)"}
  ]
}"#;

#[test]
fn a_rule_library_opens_its_rules_one_at_a_time_and_saves_into_its_file() {
    let dir = copy_repo(&sample_repository());
    std::fs::create_dir_all(dir.path().join("Configuration")).unwrap();
    std::fs::write(dir.path().join("Configuration/mail-library.json"), LIBRARY).unwrap();
    // A workflow-free caller: a rule calling the library's rule by its qualified name.
    std::fs::write(
        dir.path().join("Rule/company-mail.json"),
        r#"{"formatVersion":1,"id":"rule-cm","name":"Company Mail","body":"(rule name=\"Mail Library:Local Part\" (argument name=\"id\" \"X\"))"}"#,
    )
    .unwrap();
    let mut app = app(dir.path());
    press(&mut app, "/");
    type_text(&mut app, "Mail Library");
    press(&mut app, "enter enter");
    assert_eq!(app.screen, Screen::RuleEditor, "{}", notice(&app));
    assert_eq!(ed(&app).callable_name(), "Mail Library:Domain");
    assert!(held(dir.path(), "Mail Library"), "the library's lock");
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("(rule 1 of 2 of library Mail Library)"),
        "{screen}"
    );
    // n: the next rule, with its callers under the qualified name.
    press(&mut app, "n");
    assert_eq!(ed(&app).callable_name(), "Mail Library:Local Part");
    let used: Vec<&str> = ed(&app).used_by.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(used, ["Company Mail"]);
    // Rename is refused (callers name it Library:Rule); an edit saves into the library file.
    press(&mut app, "R");
    assert!(
        notice(&app).contains("renamed in its library file"),
        "{}",
        notice(&app)
    );
    press(&mut app, "tab tab enter");
    press(&mut app, "backspace");
    type_text(&mut app, " \"!\")");
    press(&mut app, "enter");
    assert_eq!(rule(&app).body, "(downcase $id \"!\")");
    // Not to the next rule while modified.
    press(&mut app, "n");
    assert!(
        notice(&app).contains("save (s) it before the next rule"),
        "{}",
        notice(&app)
    );
    press(&mut app, "s");
    assert!(!ed(&app).is_dirty(), "{}", notice(&app));
    let lib: bpe::model::RuleLibrary =
        serde_json::from_str(&on_disk(dir.path(), "Configuration/mail-library.json")).unwrap();
    assert_eq!(lib.name, "Mail Library");
    assert_eq!(lib.rules.len(), 2);
    assert_eq!(
        lib.rules[0].body, "\"example.com\"",
        "the other rule is untouched"
    );
    assert_eq!(lib.rules[1].body, "(downcase $id \"!\")");
    // The reloaded repository has it; nothing is reported as changed by someone else.
    assert!(ed(&app).theirs.is_none());
    assert_eq!(
        app.repo.libraries[0].value.rules[1].body,
        "(downcase $id \"!\")"
    );
}

#[test]
fn a_renamed_rule_is_not_saved_while_another_editor_holds_the_new_name() {
    let (dir, mut app) = sample();
    open_rule(&mut app, "Birthright Roles");
    let _other = lock::acquire(
        dir.path(),
        LockTarget::RuleEdit("Starter Roles".into()),
        LockMode::Exclusive,
        "rule editor",
    )
    .unwrap();
    let before = on_disk(dir.path(), "Rule/birthright-roles.json");
    press(&mut app, "R");
    clear(&mut app, 40);
    type_text(&mut app, "Starter Roles");
    press(&mut app, "enter s");
    assert!(
        notice(&app).starts_with("not saved: rule Starter Roles is being edited by"),
        "{}",
        notice(&app)
    );
    assert!(ed(&app).is_dirty());
    assert_eq!(on_disk(dir.path(), "Rule/birthright-roles.json"), before);
    assert!(
        held(dir.path(), "Birthright Roles"),
        "the old name's lock is kept"
    );
}
