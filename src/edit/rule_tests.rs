//! The rule editor's edits without the TUI, on the sample repository.

use std::path::Path;

use super::rule::{Caller, RuleDoc, RuleEdit, RuleField, plan_rename, used_by};
use super::{CommandStack, callers};
use crate::repo::Repository;

fn sample() -> Repository {
    Repository::open(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sample-repository"
    )))
    .unwrap()
}

fn open_rule(repo: &Repository, name: &str) -> (RuleDoc, std::path::PathBuf) {
    let r = repo.rules.iter().find(|r| r.value.name == name).unwrap();
    (RuleDoc::new(r.value.clone()), r.path.clone())
}

#[test]
fn renaming_a_rule_used_by_two_workflows_updates_both_in_one_undoable_step() {
    let repo = sample();
    let (mut doc, path) = open_rule(&repo, "Birthright Roles");
    let users = used_by(&repo, "Birthright Roles", &path);
    let names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["Onboard Employee", "Role Change"]);
    assert!(users.iter().all(|u| u.workflow));

    let original = doc.clone();
    let mut stack: CommandStack<RuleDoc> = CommandStack::new();
    let edit = plan_rename(&doc, &repo, &path, "Starter Roles").unwrap();
    stack.execute(&mut doc, edit, None).unwrap();
    assert_eq!(doc.rule.name, "Starter Roles");
    assert_eq!(doc.callers.len(), 2);
    for caller in doc.callers.values() {
        let Caller::Workflow(def) = caller else {
            panic!("a workflow")
        };
        assert!(
            callers::workflow_calls(def, "Starter Roles"),
            "{}",
            def.name
        );
        assert!(
            !callers::workflow_calls(def, "Birthright Roles"),
            "{}",
            def.name
        );
    }
    let (text, _) = stack.undo(&mut doc).unwrap();
    assert_eq!(
        text,
        "renamed rule Birthright Roles -> Starter Roles: 4 references in 2 callers updated"
    );
    assert_eq!(doc, original, "undo restores the rule and both workflows");
    stack.redo(&mut doc).unwrap();
    assert_eq!(doc.callers.len(), 2);
}

#[test]
fn a_rename_onto_another_rule_or_to_nothing_is_refused() {
    let repo = sample();
    let (doc, path) = open_rule(&repo, "Birthright Roles");
    let err = plan_rename(&doc, &repo, &path, "Email Address").unwrap_err();
    assert_eq!(err.0, "there is already a rule \"Email Address\"");
    assert!(plan_rename(&doc, &repo, &path, "  ").is_err());
}

#[test]
fn only_calls_are_renamed_not_text_that_looks_like_the_name() {
    let text = r#"(concat "Email Address" (rule name="Email Address" (argument name="accountId" $id)) (rule "Email Address" $x))"#;
    let out = callers::rename_calls(text, "Email Address", "Mail").unwrap();
    assert_eq!(
        out,
        r#"(concat "Email Address" (rule name="Mail" (argument name="accountId" $id)) (rule "Mail" $x))"#
    );
    assert_eq!(
        callers::rename_calls("(rule name=\"Other\")", "Email Address", "M"),
        None
    );
    assert_eq!(
        callers::rename_calls("(rule name=", "Email Address", "M"),
        None
    );
}

#[test]
fn rule_fields_and_arguments_are_edited_and_undone() {
    let repo = sample();
    let (mut doc, _) = open_rule(&repo, "Email Address");
    let original = doc.clone();
    let mut stack: CommandStack<RuleDoc> = CommandStack::new();
    let set = |field, value: &str| RuleEdit::Set {
        field,
        value: value.to_string(),
    };
    stack
        .execute(
            &mut doc,
            set(RuleField::Body, "(concat  $accountId \"@x\")"),
            None,
        )
        .unwrap();
    assert_eq!(doc.rule.body, "(concat $accountId \"@x\")");
    let err = stack
        .execute(&mut doc, set(RuleField::Body, "(concat $a"), None)
        .unwrap_err();
    assert!(err.0.starts_with("expression: "), "{err}");
    stack
        .execute(
            &mut doc,
            RuleEdit::AddArgument {
                at: 9,
                name: "suffix".into(),
            },
            None,
        )
        .unwrap();
    let n = doc.rule.arguments.len() - 1;
    assert_eq!(doc.rule.arguments[n].name, "suffix");
    stack
        .execute(&mut doc, set(RuleField::ArgDefault(n), "\"\""), None)
        .unwrap();
    stack
        .execute(&mut doc, set(RuleField::ArgLocked(n), "true"), None)
        .unwrap();
    stack
        .execute(&mut doc, set(RuleField::ArgComment(n), "appended"), None)
        .unwrap();
    let dup = stack.execute(&mut doc, set(RuleField::ArgName(n), "accountId"), None);
    assert_eq!(
        dup.unwrap_err().0,
        "there is already an argument \"accountId\""
    );
    assert!(doc.rule.arguments[n].locked);
    stack
        .execute(&mut doc, RuleEdit::DeleteArgument(0), None)
        .unwrap();
    assert_eq!(doc.rule.arguments[0].name, "domain");
    stack
        .execute(&mut doc, set(RuleField::Description, "mail"), None)
        .unwrap();
    while stack.undo(&mut doc).is_some() {}
    assert_eq!(doc, original);
}

#[test]
fn a_recursive_rule_follows_its_own_rename() {
    let repo = sample();
    let (mut doc, path) = open_rule(&repo, "Manager Of");
    doc.rule.body =
        "(cond $user (rule name=\"Manager Of\" (argument name=\"user\" $user.manager)))".into();
    let edit = plan_rename(&doc, &repo, &path, "Boss Of").unwrap();
    let mut stack: CommandStack<RuleDoc> = CommandStack::new();
    stack.execute(&mut doc, edit, None).unwrap();
    assert!(
        doc.rule.body.contains("name=\"Boss Of\""),
        "{}",
        doc.rule.body
    );
}

mod template {
    use std::collections::BTreeMap;

    use super::sample;
    use crate::edit::CommandStack;
    use crate::edit::template::{TemplateEdit, TemplateField, used_by, variables};
    use crate::expr::Value;
    use crate::model::EmailTemplate;

    fn welcome(repo: &crate::repo::Repository) -> EmailTemplate {
        repo.email_templates
            .iter()
            .find(|t| t.value.name == "Welcome")
            .unwrap()
            .value
            .clone()
    }

    #[test]
    fn template_fields_are_edited_and_undone_and_headers_stay_one_line() {
        let repo = sample();
        let mut t = welcome(&repo);
        let original = t.clone();
        let mut stack: CommandStack<EmailTemplate> = CommandStack::new();
        let set = |field, value: &str| TemplateEdit::set(field, value);
        stack
            .execute(
                &mut t,
                set(TemplateField::Subject, "Hi $(firstName)"),
                TemplateField::Body,
            )
            .unwrap();
        stack
            .execute(
                &mut t,
                set(TemplateField::Body, "Line 1\nLine $(x)"),
                TemplateField::Subject,
            )
            .unwrap();
        let err = stack
            .execute(
                &mut t,
                set(TemplateField::Subject, "a\r\nBcc: x@y"),
                TemplateField::Body,
            )
            .unwrap_err();
        assert_eq!(err.0, "subject is one line");
        assert_eq!(t.subject, "Hi $(firstName)");
        let (text, sel) = stack.undo(&mut t).unwrap();
        assert_eq!(text, "set body of template Welcome");
        assert_eq!(sel, TemplateField::Subject);
        stack.undo(&mut t).unwrap();
        assert_eq!(t, original);
    }

    #[test]
    fn a_whole_template_replace_is_one_undoable_edit_checked_like_a_field() {
        let repo = sample();
        let mut t = welcome(&repo);
        let original = t.clone();
        let mut stack: CommandStack<EmailTemplate> = CommandStack::new();
        let replace = |template: &EmailTemplate| TemplateEdit::Replace {
            template: Box::new(template.clone()),
            why: "restored unsaved edits",
        };
        let mut copy = t.clone();
        copy.cc = "boss@example.com".into();
        copy.body = "New body".into();
        let sel = stack
            .execute(&mut t, replace(&copy), TemplateField::Subject)
            .unwrap();
        assert_eq!(t, copy);
        assert_eq!(sel, TemplateField::Cc, "the first field that changed");
        // A header with a line break or another name is refused, nothing changes.
        let mut bad = copy.clone();
        bad.to = "a@x\nBcc: y@z".into();
        let err = stack
            .execute(&mut t, replace(&bad), TemplateField::Body)
            .unwrap_err();
        assert_eq!(err.0, "to is one line");
        let mut renamed = copy.clone();
        renamed.name = "Other".into();
        let err = stack
            .execute(&mut t, replace(&renamed), TemplateField::Body)
            .unwrap_err();
        assert!(err.0.starts_with("a template keeps its name"), "{}", err.0);
        assert_eq!(t, copy);
        let (text, sel) = stack.undo(&mut t).unwrap();
        assert_eq!(text, "restored unsaved edits of template Welcome");
        assert_eq!(sel, TemplateField::Subject);
        assert_eq!(t, original);
        assert!(!stack.is_dirty());
    }

    #[test]
    fn pieces_cut_text_at_the_placeholders_render_template_replaces() {
        use crate::edit::template::{Piece, pieces};
        let text = "Hi $(firstName), see $( user.email ) and $(unclosed";
        let p = pieces(text);
        assert_eq!(
            p,
            [
                Piece::Text("Hi "),
                Piece::Placeholder {
                    text: "$(firstName)",
                    name: "firstName"
                },
                Piece::Text(", see "),
                Piece::Placeholder {
                    text: "$( user.email )",
                    name: "user.email"
                },
                Piece::Text(" and $(unclosed"),
            ]
        );
        let joined: String = p
            .iter()
            .map(|x| match x {
                Piece::Text(t) | Piece::Placeholder { text: t, .. } => *t,
            })
            .collect();
        assert_eq!(joined, text);
        assert!(pieces("").is_empty());
    }

    #[test]
    fn supplied_names_come_from_the_workflows_that_send_the_template() {
        use crate::edit::template::{is_supplied, supplied_names};
        let repo = sample();
        let t = welcome(&repo);
        let names = supplied_names(&repo, &t).expect("Onboard Employee sends Welcome");
        assert!(names.contains("firstName"), "{names:?}");
        assert!(is_supplied("firstName", Some(&names)));
        assert!(is_supplied("firstName.first", Some(&names)));
        assert!(!is_supplied("nobodyDeclaresThis", Some(&names)));
        let mut unused = t.clone();
        unused.name = "Sent by no workflow".into();
        unused.id = "et-unused".into();
        assert_eq!(supplied_names(&repo, &unused), None);
        assert!(is_supplied("anything", None));
    }

    #[test]
    fn the_preview_is_the_message_notify_writes() {
        let repo = sample();
        let t = welcome(&repo);
        assert!(variables(&t).contains(&"firstName".to_string()));
        let used = used_by(&repo, &t);
        assert!(used.contains(&"Onboard Employee".to_string()), "{used:?}");
        let config = repo.config.clone().unwrap();
        let services = crate::services::RepoServices::new(
            &repo.root,
            &config,
            crate::services::ServiceOptions {
                dry_run: true,
                allow_commands: false,
            },
        );
        let vars: BTreeMap<String, Value> = [
            ("firstName", "Ada"),
            ("email", "ada@example.com"),
            ("accountId", "alovelace"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::Str(v.to_string())))
        .collect();
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-30T09:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let text = services.preview_mail(&t, &vars, now).unwrap();
        assert!(text.contains("\r\nTo: ada@example.com\r\n"), "{text}");
        assert!(
            text.contains("\r\nSubject: Welcome to Example Corp, Ada!\r\n"),
            "{text}"
        );
        assert!(
            text.contains("\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n"),
            "{text}"
        );
        assert!(text.contains("X-Bpe-Template: Welcome"), "{text}");
        assert!(text.contains("Hello Ada,"), "{text}");
        let mut no_to = vars.clone();
        no_to.remove("email");
        let err = services.preview_mail(&t, &no_to, now).unwrap_err();
        assert!(err.message.contains("no recipients"), "{}", err.message);
    }
}

mod save {
    use super::open_rule;
    use crate::edit::CommandStack;
    use crate::edit::rule::{RuleDoc, plan_rename};
    use crate::edit::rule_save::{Touched, save_rule_doc};
    use crate::repo::Repository;
    use crate::repo::lock::{self, LockMode, LockTarget};

    fn copy_sample() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let from = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/sample-repository"));
        for kind in ["TaskDefinition", "Rule", "EmailTemplate"] {
            std::fs::create_dir_all(dir.path().join(kind)).unwrap();
            for f in std::fs::read_dir(from.join(kind)).unwrap() {
                let f = f.unwrap().path();
                std::fs::copy(&f, dir.path().join(kind).join(f.file_name().unwrap())).unwrap();
            }
        }
        std::fs::copy(
            from.join("repository.json"),
            dir.path().join("repository.json"),
        )
        .unwrap();
        dir
    }

    #[test]
    fn a_saved_rename_reaches_both_workflows_on_disk_and_a_held_edit_lock_writes_nothing() {
        let dir = copy_sample();
        let repo = Repository::open(dir.path()).unwrap();
        let (mut doc, path) = open_rule(&repo, "Birthright Roles");
        let mut stack: CommandStack<RuleDoc> = CommandStack::new();
        let edit = plan_rename(&doc, &repo, &path, "Starter Roles").unwrap();
        let mut touched = Touched::default();
        touched.record(&repo, &edit);
        stack.execute(&mut doc, edit, None).unwrap();

        // Another editor holds Role Change: nothing is written.
        let role_change = repo.definition("Role Change").unwrap().value.id.clone();
        let held = lock::acquire(
            dir.path(),
            LockTarget::DefinitionEdit(role_change),
            LockMode::Exclusive,
            "other editor",
        )
        .unwrap();
        assert!(save_rule_doc(dir.path(), &path, &doc, &touched).is_err());
        let again = Repository::open(dir.path()).unwrap();
        assert!(
            again
                .rules
                .iter()
                .any(|r| r.value.name == "Birthright Roles")
        );
        drop(held);

        let written = save_rule_doc(dir.path(), &path, &doc, &touched).unwrap();
        assert_eq!(written.len(), 3);
        let after = Repository::open(dir.path()).unwrap();
        assert!(after.errors.is_empty(), "{:?}", after.errors);
        assert!(after.rules.iter().any(|r| r.value.name == "Starter Roles"));
        let users = crate::edit::rule::used_by(&after, "Starter Roles", &path);
        let names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["Onboard Employee", "Role Change"]);
        // Undo, save again: both workflows call the old name again.
        stack.undo(&mut doc).unwrap();
        assert!(doc.callers.is_empty());
        save_rule_doc(dir.path(), &path, &doc, &touched).unwrap();
        let undone = Repository::open(dir.path()).unwrap();
        let users = crate::edit::rule::used_by(&undone, "Birthright Roles", &path);
        assert_eq!(users.len(), 2, "{users:?}");
        assert!(crate::edit::rule::used_by(&undone, "Starter Roles", &path).is_empty());
    }

    #[test]
    fn a_calling_rule_open_in_a_rule_editor_is_not_overwritten_by_a_rename() {
        let dir = copy_sample();
        std::fs::write(
            dir.path().join("Rule/work-address.json"),
            r#"{"formatVersion":1,"id":"rule-work","name":"Work Address","body":"(rule name=\"Email Address\" (argument name=\"accountId\" \"x\"))"}"#,
        )
        .unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        let (mut doc, path) = open_rule(&repo, "Email Address");
        let edit = plan_rename(&doc, &repo, &path, "Mail Address").unwrap();
        let mut touched = Touched::default();
        touched.record(&repo, &edit);
        CommandStack::new().execute(&mut doc, edit, None).unwrap();
        // Work Address is open in another rule editor: nothing is written.
        let held = lock::acquire(
            dir.path(),
            LockTarget::RuleEdit("Work Address".into()),
            LockMode::Exclusive,
            "rule editor",
        )
        .unwrap();
        let before = std::fs::read_to_string(dir.path().join("Rule/work-address.json")).unwrap();
        assert!(save_rule_doc(dir.path(), &path, &doc, &touched).is_err());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("Rule/work-address.json")).unwrap(),
            before
        );
        let again = Repository::open(dir.path()).unwrap();
        assert!(again.rules.iter().any(|r| r.value.name == "Email Address"));
        drop(held);
        save_rule_doc(dir.path(), &path, &doc, &touched).unwrap();
        let after = std::fs::read_to_string(dir.path().join("Rule/work-address.json")).unwrap();
        assert!(after.contains("Mail Address"), "{after}");
    }
}
