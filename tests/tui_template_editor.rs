//! Issue 13 item 3: the email template editor screen, at the update level
//! (keys in, state out): every field edit and its undo, the preview message
//! from the values chosen, the edit lock, the unsaved-changes question, live
//! reload and the jump to a workflow that sends the template.

mod tui_common;

use bpe::repo::lock::{self, LockMode, LockTarget};
use bpe::tui::app::{App, Overlay, Screen};
use bpe::tui::browser::Entry;
use bpe::tui::template_editor::{Ask, Focus, TemplateEditorState};
use tui_common::*;

fn sample() -> (tempfile::TempDir, App) {
    let dir = copy_repo(&sample_repository());
    let app = app(dir.path());
    (dir, app)
}

/// Select the template `name` in the browser and press Enter.
fn open_template(app: &mut App, name: &str) {
    let i = app
        .repo
        .email_templates
        .iter()
        .position(|t| t.value.name == name)
        .expect("template in the sample");
    let row = app
        .browser
        .entries
        .iter()
        .position(|e| *e == Entry::Template(i))
        .expect("template listed in the browser");
    app.browser.selected = row;
    press(app, "enter");
    assert_eq!(app.screen, Screen::TemplateEditor, "{:?}", app.notice);
    // A fixed Date, so the preview can be compared.
    te_mut(app).clock = Some(
        chrono::DateTime::parse_from_rfc3339("2026-11-30T09:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
}

fn te(app: &App) -> &TemplateEditorState {
    app.template_editor.as_ref().expect("template editor open")
}
fn te_mut(app: &mut App) -> &mut TemplateEditorState {
    app.template_editor.as_mut().expect("template editor open")
}

/// Select field `label` (description, from, to, cc, subject, body).
fn select_field(app: &mut App, label: &str) {
    press(app, "g");
    for _ in 0..6 {
        if te(app).field.label() == label {
            return;
        }
        press(app, "j");
    }
    panic!("no field {label}");
}

/// Replace the text of a field: e, clear, type, accept.
fn set_field(app: &mut App, label: &str, text: &str) {
    select_field(app, label);
    press(app, "e");
    assert!(te(app).draft.is_some(), "{:?}", app.notice);
    clear_draft(app);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            press(app, "enter"); // a new line in the body
        }
        type_text(app, line);
    }
    let accept = if label == "body" { "ctrl-s" } else { "enter" };
    press(app, accept);
}

fn clear_draft(app: &mut App) {
    let d = te_mut(app).draft.as_mut().unwrap();
    d.input.select_all();
    d.input.cut();
}

fn notice(app: &App) -> String {
    notice_text(app)
}

/// In the values pane: set each variable's preview value.
fn set_values(app: &mut App, values: &[(&str, &str)]) {
    for (name, value) in values {
        let row = te(app).variables().iter().position(|v| v == name).unwrap();
        press(app, "g");
        for _ in 0..row {
            press(app, "j");
        }
        press(app, "e");
        type_text(app, value);
        press(app, "enter");
    }
}

#[test]
fn enter_on_a_template_opens_the_editor_holding_its_edit_lock_until_closed() {
    let (dir, mut app) = sample();
    open_template(&mut app, "Welcome");
    assert!(te(&app).read_only().is_none());
    let target = LockTarget::TemplateEdit("Welcome".into());
    assert!(lock::held_exclusively(dir.path(), &target));
    assert_eq!(te(&app).focus, Focus::Fields);
    press(&mut app, "c");
    assert_eq!(app.screen, Screen::Browser);
    assert!(app.template_editor.is_none());
    assert!(!lock::held_exclusively(dir.path(), &target));
}

#[test]
fn every_field_edit_is_undone_and_redone_through_one_stack() {
    let (_dir, mut app) = sample();
    open_template(&mut app, "Welcome");
    let original = te(&app).doc.clone();
    let cases = [
        ("description", "Sent to new hires"),
        ("from", "iam@example.com"),
        ("to", "$(email), hr@example.com"),
        ("cc", "$(managerEmail)"),
        ("subject", "Hi $(firstName)"),
        ("body", "Hello $(firstName),\nWelcome."),
    ];
    for (label, text) in cases {
        set_field(&mut app, label, text);
        let doc = &te(&app).doc;
        let value = bpe::edit::template::TemplateField::ALL
            .into_iter()
            .find(|f| f.label() == label)
            .unwrap()
            .value(doc);
        assert_eq!(value, text, "{label}: {}", notice(&app));
        assert!(notice(&app).contains(&format!("set {label} of template Welcome")));
    }
    assert!(te(&app).is_dirty());
    let edited = te(&app).doc.clone();
    for (label, _) in cases.iter().rev() {
        press(&mut app, "u");
        assert_eq!(
            notice(&app),
            format!("undid: set {label} of template Welcome")
        );
        assert_eq!(te(&app).field.label(), *label, "undo selects the field");
    }
    assert_eq!(te(&app).doc, original);
    assert!(!te(&app).is_dirty());
    for _ in cases {
        press(&mut app, "ctrl-r");
    }
    assert_eq!(te(&app).doc, edited);
}

#[test]
fn a_refused_edit_keeps_the_draft_and_changes_nothing() {
    let (_dir, mut app) = sample();
    open_template(&mut app, "Welcome");
    let original = te(&app).doc.clone();
    select_field(&mut app, "subject");
    press(&mut app, "e");
    clear_draft(&mut app);
    type_text(&mut app, "   ");
    press(&mut app, "enter");
    assert!(
        notice(&app).contains("a template needs a subject"),
        "{}",
        notice(&app)
    );
    assert!(te(&app).draft.is_some(), "the draft stays open to fix");
    press(&mut app, "esc");
    assert!(te(&app).draft.is_none());
    assert_eq!(te(&app).doc, original);
    assert!(!te(&app).stack.can_undo());
}

#[test]
fn the_preview_is_the_exact_message_from_the_values_chosen_and_follows_the_typing() {
    let (_dir, mut app) = sample();
    open_template(&mut app, "Welcome");
    set_field(&mut app, "subject", "Hi $(firstName)");
    set_field(
        &mut app,
        "body",
        "Hello $(firstName),\nyour id is $(accountId).",
    );
    // The values table lists the template's variables; set two of them.
    press(&mut app, "tab");
    assert_eq!(te(&app).focus, Focus::Values);
    assert_eq!(te(&app).variables(), ["accountId", "email", "firstName"]);
    press(&mut app, "j e");
    type_text(&mut app, "ada@example.com");
    press(&mut app, "enter");
    press(&mut app, "j e");
    type_text(&mut app, "Ada");
    press(&mut app, "enter");
    let message = te(&app).preview.clone().expect("a message");
    let lines: Vec<&str> = message.split("\r\n").collect();
    assert_eq!(lines[0], "From: identity-noreply@example.com");
    assert_eq!(lines[1], "To: ada@example.com");
    assert_eq!(lines[2], "Subject: Hi Ada");
    assert_eq!(lines[3], "Date: Mon, 30 Nov 2026 09:00:00 +0000");
    assert!(lines[4].starts_with("Message-ID: <msg-"), "{message}");
    assert_eq!(
        lines[5..],
        [
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "X-Bpe-Instance: preview",
            "X-Bpe-Template: Welcome",
            "",
            "Hello Ada,",
            "your id is .",
            "",
        ]
    );
    // Typing in a field re-renders the preview before the edit is accepted.
    press(&mut app, "tab tab");
    select_field(&mut app, "subject");
    press(&mut app, "e");
    type_text(&mut app, "!");
    let message = te(&app).preview.clone().unwrap();
    assert!(message.contains("\r\nSubject: Hi Ada!\r\n"), "{message}");
    press(&mut app, "esc");
    let message = te(&app).preview.clone().unwrap();
    assert!(message.contains("\r\nSubject: Hi Ada\r\n"), "{message}");
    // No recipient: the reason, as notify would give it.
    press(&mut app, "tab k x");
    assert_eq!(te(&app).values.get("email"), None);
    let err = te(&app).preview.clone().unwrap_err();
    assert!(err.contains("no recipients"), "{err}");
}

/// The template editor asks the app to remember its values
/// (`Request::RememberTemplateValues`); when the settings file cannot be
/// written the value still applies and the status line says it was not remembered.
#[test]
fn a_preview_value_that_cannot_be_remembered_is_kept_and_says_so() {
    let (_dir, mut app) = sample();
    let settings = tempfile::tempdir().unwrap();
    let blocker = settings.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    app.settings_file = Some(blocker.join("settings.json"));
    open_template(&mut app, "Welcome");
    press(&mut app, "tab");
    set_values(&mut app, &[("firstName", "Grace")]);
    assert_eq!(
        te(&app).values.get("firstName").map(String::as_str),
        Some("Grace")
    );
    assert!(
        notice(&app).contains("preview values not remembered"),
        "{}",
        notice(&app)
    );
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "x");
}

#[test]
fn preview_values_are_remembered_per_user_and_repository() {
    let (dir, mut app) = sample();
    let settings = tempfile::tempdir().unwrap();
    let file = settings.path().join("settings.json");
    app.settings_file = Some(file.clone());
    open_template(&mut app, "Welcome");
    press(&mut app, "tab");
    set_values(
        &mut app,
        &[("email", "grace@example.com"), ("firstName", "Grace")],
    );
    let (read, err) = bpe::tui::settings::Settings::load(Some(&file));
    assert_eq!(err, None);
    assert_eq!(
        read.template_values(dir.path(), "Welcome").get("firstName"),
        Some(&"Grace".to_string())
    );
    // A new session of the same user on the same repository finds them.
    press(&mut app, "c");
    let mut again = tui_common::app(dir.path());
    again.settings = read;
    open_template(&mut again, "Welcome");
    assert_eq!(
        te(&again).values.get("firstName").map(String::as_str),
        Some("Grace")
    );
    assert!(
        te(&again)
            .preview
            .as_ref()
            .is_ok_and(|m| m.contains("Hello Grace,"))
    );
}

/// Another editor (this process, another guard) holding Welcome's edit lock.
fn hold_welcome(root: &std::path::Path) -> lock::LockGuard {
    lock::acquire(
        root,
        LockTarget::TemplateEdit("Welcome".into()),
        LockMode::Exclusive,
        "template editor",
    )
    .unwrap()
}

#[test]
fn another_editor_holding_the_lock_opens_it_read_only_naming_the_holder() {
    let (dir, mut app) = sample();
    let _other = hold_welcome(dir.path());
    open_template(&mut app, "Welcome");
    let holder = te(&app).read_only().expect("read-only").to_string();
    assert!(
        holder.contains(&format!("pid {}", std::process::id())),
        "{holder}"
    );
    assert!(notice(&app).contains("read-only"), "{}", notice(&app));
    select_field(&mut app, "subject");
    press(&mut app, "e");
    assert!(te(&app).draft.is_none());
    assert!(notice(&app).contains(&holder), "{}", notice(&app));
    press(&mut app, "s");
    assert!(
        notice(&app).contains("not saved: read-only"),
        "{}",
        notice(&app)
    );
    // Closing a read-only editor asks nothing and leaves the other's lock alone.
    press(&mut app, "c");
    assert_eq!(app.screen, Screen::Browser);
    assert!(lock::held_exclusively(
        dir.path(),
        &LockTarget::TemplateEdit("Welcome".into())
    ));
}

#[test]
fn saving_writes_the_file_atomically_and_it_reads_back() {
    let (dir, mut app) = sample();
    open_template(&mut app, "Welcome");
    set_field(&mut app, "subject", "Welcome aboard, $(firstName)");
    press(&mut app, "s");
    assert!(
        notice(&app).starts_with("saved template Welcome"),
        "{}",
        notice(&app)
    );
    assert!(!te(&app).is_dirty());
    let path = dir.path().join(&te(&app).path);
    let back: bpe::model::EmailTemplate =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(back.subject, "Welcome aboard, $(firstName)");
    let repo = &app.repo;
    assert!(
        repo.email_templates
            .iter()
            .any(|t| t.value.subject == "Welcome aboard, $(firstName)"),
        "the repository was re-read"
    );
    // The edit stays undoable after the save, and makes it dirty again.
    press(&mut app, "u");
    assert!(te(&app).is_dirty());
}

#[test]
fn closing_or_quitting_with_unsaved_edits_asks_first() {
    let (dir, mut app) = sample();
    open_template(&mut app, "Welcome");
    set_field(&mut app, "subject", "Changed");
    press(&mut app, "c");
    assert!(matches!(asking(&app), Some(Ask::Unsaved(_))));
    press(&mut app, "esc");
    assert!(te(&app).ask.is_none());
    assert_eq!(te(&app).doc.subject, "Changed");
    // Quit from another screen: the template editor comes forward and asks.
    press(&mut app, "1");
    assert_eq!(app.screen, Screen::Browser);
    press(&mut app, "q");
    assert!(!app.quit);
    assert_eq!(app.screen, Screen::TemplateEditor);
    press(&mut app, "s");
    assert!(app.quit, "{}", notice(&app));
    let text = std::fs::read_to_string(dir.path().join("EmailTemplate/welcome.json")).unwrap();
    assert!(text.contains("\"subject\": \"Changed\""), "{text}");
}

#[test]
fn discarding_on_close_leaves_the_file_alone() {
    let (dir, mut app) = sample();
    let file = dir.path().join("EmailTemplate/welcome.json");
    let before = std::fs::read(&file).unwrap();
    open_template(&mut app, "Welcome");
    set_field(&mut app, "subject", "Changed");
    press(&mut app, "c d");
    assert!(app.template_editor.is_none());
    assert_eq!(app.screen, Screen::Browser);
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

fn asking(app: &App) -> Option<&Ask> {
    te(app).ask.as_ref().map(|q| &q.purpose)
}

/// `s` asks before overwriting the change on disk; `n` leaves `theirs` there.
fn save_declining_to_overwrite(
    app: &mut App,
    dir: &std::path::Path,
    theirs: &str,
) -> std::path::PathBuf {
    press(app, "s");
    assert!(matches!(asking(app), Some(Ask::Overwrite)));
    press(app, "n");
    let file = dir.join("EmailTemplate/welcome.json");
    assert!(std::fs::read_to_string(&file).unwrap().contains(theirs));
    file
}

fn write_subject(dir: &std::path::Path, subject: &str) {
    let file = dir.join("EmailTemplate/welcome.json");
    let mut t: bpe::model::EmailTemplate =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    t.subject = subject.into();
    std::fs::write(&file, serde_json::to_vec_pretty(&t).unwrap()).unwrap();
}

#[test]
fn a_change_on_disk_reloads_without_local_edits_and_is_kept_out_with_them() {
    let (dir, mut app) = sample();
    open_template(&mut app, "Welcome");
    write_subject(dir.path(), "From elsewhere");
    bpe::tui::sync::repository_changed(&mut app);
    assert_eq!(te(&app).doc.subject, "From elsewhere");
    assert!(!te(&app).is_dirty());
    assert!(
        notice(&app).contains("reloaded template Welcome"),
        "{}",
        notice(&app)
    );
    // With local edits: mine are kept, and saving asks.
    set_field(&mut app, "subject", "Mine");
    write_subject(dir.path(), "Theirs");
    bpe::tui::sync::repository_changed(&mut app);
    assert_eq!(te(&app).doc.subject, "Mine");
    assert!(
        notice(&app).contains("your edits are kept"),
        "{}",
        notice(&app)
    );
    let file = save_declining_to_overwrite(&mut app, dir.path(), "Theirs");
    press(&mut app, "s y");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("\"subject\": \"Mine\"")
    );
    assert!(!te(&app).is_dirty());
}

#[test]
fn used_by_lists_the_sending_workflows_and_enter_jumps_asking_first_when_modified() {
    let (dir, mut app) = sample();
    open_template(&mut app, "Welcome");
    let names: Vec<&str> = te(&app).used_by.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"Onboard Employee"), "{names:?}");
    let row = names.iter().position(|n| *n == "Onboard Employee").unwrap();
    set_field(&mut app, "subject", "Changed");
    press(&mut app, "tab tab");
    assert_eq!(te(&app).focus, Focus::UsedBy);
    for _ in 0..row {
        press(&mut app, "j");
    }
    press(&mut app, "enter");
    assert!(matches!(asking(&app), Some(Ask::Unsaved(_))));
    assert_eq!(app.screen, Screen::TemplateEditor);
    press(&mut app, "d");
    assert_eq!(app.screen, Screen::Editor);
    assert_eq!(app.editor.as_ref().unwrap().def.name, "Onboard Employee");
    assert!(
        app.template_editor.is_none(),
        "the jump closes the template"
    );
    assert!(!lock::held_exclusively(
        dir.path(),
        &LockTarget::TemplateEdit("Welcome".into())
    ));
}

/// Draw the app; the preview's Message-ID (random per message) is masked first.
fn draw(app: &mut App, w: u16, h: u16) -> ratatui::Terminal<ratatui::backend::TestBackend> {
    app.size = (w, h);
    if let Ok(m) = &te(app).preview {
        let masked: String = m
            .split("\r\n")
            .map(|l| {
                if l.starts_with("Message-ID: ") {
                    "Message-ID: <msg-(random)@example.com>".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\r\n");
        te_mut(app).preview = Ok(masked);
    }
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    term.draw(|f| bpe::tui::view::view(app, f)).unwrap();
    term
}

/// Welcome with two preview values set, the subject being typed.
fn preview_state() -> (tempfile::TempDir, App) {
    let (dir, mut app) = sample();
    open_template(&mut app, "Welcome");
    press(&mut app, "tab");
    set_values(
        &mut app,
        &[("email", "ada@example.com"), ("firstName", "Ada")],
    );
    press(&mut app, "tab tab");
    select_field(&mut app, "subject");
    press(&mut app, "e");
    type_text(&mut app, " $(nickname)");
    (dir, app)
}

#[test]
fn template_preview_80x24() {
    let (_dir, mut app) = preview_state();
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn template_preview_120x40() {
    let (_dir, mut app) = preview_state();
    insta::assert_snapshot!(draw(&mut app, 120, 40).backend());
}

#[test]
fn saving_over_a_change_the_watcher_has_not_reported_yet_still_asks() {
    let (dir, mut app) = sample();
    open_template(&mut app, "Welcome");
    set_field(&mut app, "subject", "Mine");
    write_subject(dir.path(), "Theirs, unseen");
    save_declining_to_overwrite(&mut app, dir.path(), "Theirs, unseen");
    assert!(te(&app).is_dirty());
}

#[test]
fn control_characters_in_a_template_reach_the_terminal_escaped() {
    let (dir, mut app) = sample();
    write_subject(dir.path(), "Hi \u{1b}]52;c;ZXZpbA==\u{7} $(firstName)");
    bpe::tui::sync::reload(&mut app);
    open_template(&mut app, "Welcome");
    let term = draw(&mut app, 120, 40);
    let buf = term.backend().buffer();
    let text: String = buf.content().iter().map(|c| c.symbol()).collect();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text}"
    );
    assert!(
        text.contains("Hi \\u{1b}]52;c;ZXZpbA==\\u{7} $(firstName)"),
        "{text}"
    );
}

#[cfg(unix)]
#[test]
fn a_template_file_swapped_for_a_link_outside_the_repository_is_not_written_through() {
    let (dir, mut app) = sample();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("elsewhere.json");
    open_template(&mut app, "Welcome");
    set_field(&mut app, "subject", "Mine");
    let file = dir.path().join("EmailTemplate/welcome.json");
    std::fs::copy(&file, &target).unwrap();
    let before = std::fs::read(&target).unwrap();
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(&target, &file).unwrap();
    press(&mut app, "s");
    // Refused, naming the link; the file outside is never written.
    assert_eq!(std::fs::read(&target).unwrap(), before);
    assert!(notice(&app).starts_with("not saved"), "{}", notice(&app));
    assert!(
        notice(&app).contains("outside the repository"),
        "{}",
        notice(&app)
    );
    assert!(te(&app).is_dirty());
}

/// The recovery copies of `dir` that `write_published` wrote (other tests of
/// this binary publish at the same time).
fn written_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    bpe::tui::recovery::write_published()
        .into_iter()
        .filter(|f| f.starts_with(dir))
        .collect()
}

/// Welcome open with `label` set to `text`, unsaved: its published recovery
/// copy is written where the signal handler writes it (the file returned).
fn edited_with_a_copy(label: &str, text: &str) -> (tempfile::TempDir, App, std::path::PathBuf) {
    let (dir, mut app) = sample();
    open_template(&mut app, "Welcome");
    set_field(&mut app, label, text);
    let file = dir.path().join(".bpe/recovery/emailtemplate--welcome.json");
    assert_eq!(written_in(dir.path()), vec![file.clone()]);
    (dir, app, file)
}

#[test]
fn unsaved_edits_are_kept_as_a_recovery_copy_and_restored_at_the_next_start() {
    let (dir, app, file) = edited_with_a_copy("subject", "Kept $(firstName)");
    let edited = te(&app).doc.clone();
    let on_disk: bpe::model::EmailTemplate = serde_json::from_slice(
        &std::fs::read(dir.path().join("EmailTemplate/welcome.json")).unwrap(),
    )
    .unwrap();
    assert_ne!(on_disk, edited);
    let listed = bpe::tui::recovery::list(dir.path());
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].1.object,
        bpe::tui::recovery::Recovered::EmailTemplate(edited.clone())
    );
    assert_eq!(
        listed[0].1.path,
        std::path::Path::new("EmailTemplate/welcome.json")
    );
    // bpe died: the lock holder is gone with it.
    drop(app);
    let mut next = tui_common::app(dir.path());
    let Some(Overlay::Recovery { copies, .. }) = &next.overlay else {
        panic!("recovery offered at start")
    };
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].1.object.kind(), "email template");
    let screen = draw_text(&mut next, 120, 40);
    assert!(
        screen.contains("email template Welcome (EmailTemplate/welcome.json"),
        "{screen}"
    );
    press(&mut next, "r");
    assert_eq!(next.screen, Screen::TemplateEditor, "{}", notice(&next));
    assert_eq!(te(&next).doc, edited);
    assert!(te(&next).is_dirty());
    assert!(
        notice(&next).starts_with("restored unsaved edits of template Welcome"),
        "{}",
        notice(&next)
    );
    assert!(file.exists(), "kept until saved or discarded");
    // One undoable step back to the file on disk.
    press(&mut next, "u");
    assert_eq!(te(&next).doc, on_disk);
    assert!(!te(&next).is_dirty());
    assert!(written_in(dir.path()).is_empty(), "nothing unsaved now");
    // Saving forgets the copy.
    press(&mut next, "ctrl-r s");
    assert_eq!(te(&next).doc, edited);
    assert!(!te(&next).is_dirty(), "{}", notice(&next));
    assert!(!file.exists());
    assert!(written_in(dir.path()).is_empty());
}

#[test]
fn discarding_the_edits_removes_their_recovery_copy() {
    let (dir, mut app, file) = edited_with_a_copy("body", "Unsaved body");
    press(&mut app, "c d");
    assert!(app.template_editor.is_none());
    assert!(!file.exists());
    assert!(written_in(dir.path()).is_empty());
}

#[test]
fn a_copy_is_not_restored_while_another_editor_holds_the_template() {
    let (dir, app, file) = edited_with_a_copy("subject", "Mine");
    drop(app);
    let _other = hold_welcome(dir.path());
    let mut next = tui_common::app(dir.path());
    assert!(matches!(next.overlay, Some(Overlay::Recovery { .. })));
    press(&mut next, "r");
    assert_eq!(next.screen, Screen::TemplateEditor);
    assert!(te(&next).read_only().is_some());
    assert_ne!(te(&next).doc.subject, "Mine");
    assert!(
        notice(&next).starts_with("cannot restore template Welcome now: it is being edited by"),
        "{}",
        notice(&next)
    );
    assert!(notice(&next).ends_with("(the copy is kept)"));
    assert!(file.exists());
    // Closing the read-only editor leaves the copy for later.
    press(&mut next, "c");
    assert!(file.exists());
    assert!(written_in(dir.path()).is_empty());
}
