//! `bpe import` and `bpe export` over temporary repositories, running the real binary.

use std::path::{Path, PathBuf};

use bpe::repo::Repository;

mod cli_common;
use cli_common::{bpe, s, text};

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/waveset/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn empty_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("repository.json"),
        "{\"formatVersion\": 1, \"name\": \"test\"}\n",
    )
    .unwrap();
    dir
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn import_writes_every_object_and_reports_warnings_with_positions() {
    let repo = empty_repo();
    let out = bpe(&[
        "import",
        s(repo.path()),
        &fixture("create-user.xml"),
        &fixture("bundle.xml"),
    ]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "imported TaskDefinition \"Create User Approval\" -> TaskDefinition/create-user-approval.json"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("imported Rule \"Derive Account Id\" -> Rule/derive-account-id.json"));
    assert!(stdout.contains("EmailTemplate/account-created.json"));
    assert!(
        stderr.contains("create-user.xml:79:11: warning: skipped <FormRef>"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bundle.xml:44:3: warning: skipped <UserForm"),
        "{stderr}"
    );

    let loaded = Repository::open(repo.path()).unwrap();
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.definitions.len(), 2);
    assert_eq!(loaded.rules.len(), 1);
    assert_eq!(loaded.email_templates.len(), 2);
    let def = loaded.definition("Create User Approval").unwrap();
    assert_eq!(def.value.id, "taskdefinition-create-user-approval");
}

#[test]
fn existing_names_are_refused_and_nothing_is_written() {
    let repo = empty_repo();
    assert!(
        bpe(&["import", s(repo.path()), &fixture("bundle.xml")])
            .status
            .success()
    );
    let before: Vec<_> = files(&repo.path().join("Rule"))
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let out = bpe(&[
        "import",
        s(repo.path()),
        &fixture("create-user.xml"),
        &fixture("bundle.xml"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .contains("Rule \"Derive Account Id\" already exists in the repository (use --replace"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing imported"));
    // create-user.xml was fine, but the import is all or nothing.
    assert!(
        !repo
            .path()
            .join("TaskDefinition/create-user-approval.json")
            .exists()
    );
    let after: Vec<_> = files(&repo.path().join("Rule"))
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert_eq!(before, after);
}

#[test]
fn replace_keeps_the_existing_file_and_id() {
    let repo = empty_repo();
    assert!(
        bpe(&["import", s(repo.path()), &fixture("bundle.xml")])
            .status
            .success()
    );
    let first = Repository::open(repo.path()).unwrap();
    let tiny = first.definition("Tiny").unwrap().clone();
    // Rename the file, as an older save might have; --replace must write over it.
    let moved = repo.path().join("TaskDefinition/old-name.json");
    std::fs::rename(repo.path().join(&tiny.path), &moved).unwrap();

    let out = bpe(&[
        "import",
        s(repo.path()),
        &fixture("bundle.xml"),
        "--replace",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .contains("replaced TaskDefinition \"Tiny\" -> TaskDefinition/old-name.json")
    );
    let second = Repository::open(repo.path()).unwrap();
    assert_eq!(second.definitions.len(), 1);
    let again = second.definition("Tiny").unwrap();
    assert_eq!(again.value.id, tiny.value.id);
    assert_eq!(again.path, Path::new("TaskDefinition/old-name.json"));
    assert_eq!(second.rules.len(), 1);
    assert_eq!(second.email_templates.len(), 2);
}

#[test]
fn malformed_file_is_reported_with_file_line_and_column() {
    let repo = empty_repo();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.xml");
    std::fs::write(&bad, "<Rule name='r'>\n  <s>&x;</s>\n</Rule>\n").unwrap();
    let latin1 = dir.path().join("latin1.xml");
    std::fs::write(&latin1, b"<Rule name='r'>\n<s>caf\xe9</s></Rule>").unwrap();
    let out = bpe(&["import", s(repo.path()), s(&bad), s(&latin1)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("bad.xml:2:6: error: entity &x;"),
        "{stderr}"
    );
    assert!(
        stderr.contains("latin1.xml:2:7: error: not UTF-8"),
        "{stderr}"
    );
    assert!(!repo.path().join("Rule").exists());
}

#[test]
fn export_prints_waveset_xml_that_imports_back() {
    let repo = empty_repo();
    assert!(
        bpe(&["import", s(repo.path()), &fixture("create-user.xml")])
            .status
            .success()
    );
    let out = bpe(&["export", s(repo.path()), "Create User Approval"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let xml = text(&out.stdout);
    assert!(xml.starts_with("<?xml version='1.0' encoding='UTF-8'?>"));
    let original = Repository::open(repo.path()).unwrap();
    let back = bpe::waveset::import(&xml).unwrap();
    assert_eq!(back.definitions[0], original.definitions[0].value);

    // --out writes a file; --rule exports a rule.
    let other = empty_repo();
    assert!(
        bpe(&["import", s(other.path()), &fixture("bundle.xml")])
            .status
            .success()
    );
    let target = other.path().join("rule.xml");
    let out = bpe(&[
        "export",
        s(other.path()),
        "--rule",
        "Derive Account Id",
        "--out",
        s(&target),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let xml = std::fs::read_to_string(&target).unwrap();
    assert!(xml.contains("<Rule name='Derive Account Id'"), "{xml}");
    let out = bpe(&[
        "export",
        s(other.path()),
        "--email-template",
        "Account Created",
    ]);
    assert!(text(&out.stdout).contains("wstype='EmailTemplate'"));
}

#[test]
fn export_of_an_unknown_name_suggests_close_ones() {
    let repo = empty_repo();
    assert!(
        bpe(&["import", s(repo.path()), &fixture("create-user.xml")])
            .status
            .success()
    );
    let out = bpe(&["export", s(repo.path()), "Create User Aproval"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no TaskDefinition named \"Create User Aproval\"")
            && stderr.contains("did you mean \"Create User Approval\""),
        "{stderr}"
    );
}

#[test]
fn import_and_run_with_a_relative_repository_path() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    std::fs::write(
        repo.join("repository.json"),
        "{\"formatVersion\": 1, \"name\": \"t\"}\n",
    )
    .unwrap();
    std::fs::write(
        work.path().join("loop.xml"),
        "<WFProcess name='Loop'>\
           <Variable name='i' value='0' output='true'/>\
           <Activity name='start'><Transition to='Again'/></Activity>\
           <Activity name='Again'>\
             <Action><expression><set name='i'><add><ref>i</ref><i>1</i></add></set></expression></Action>\
             <Transition to='Again'><lt><ref>i</ref><i>3</i></lt></Transition>\
             <Transition to='end'/>\
           </Activity>\
           <Activity name='end'/>\
         </WFProcess>",
    )
    .unwrap();
    let run_in = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_bpe"))
            .current_dir(work.path())
            .args(args)
            .output()
            .unwrap()
    };
    let out = run_in(&["import", "repo", "loop.xml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(repo.join("TaskDefinition/loop.json").exists());
    let out = run_in(&["run", "repo", "Loop", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let report_text = report.to_string();
    assert!(report_text.contains("completed"), "{report_text}");
    assert!(report_text.contains("\"i\":3"), "{report_text}");
}

/// Names are data: `bpe list` (and `--rules`) never writes a control character of a
/// name to the terminal (an escape sequence in a rule or library name could redraw or
/// retitle it); they are shown as `?`.
#[test]
fn listing_rules_shows_control_characters_in_names_escaped() {
    let repo = empty_repo();
    std::fs::create_dir_all(repo.path().join("Rule")).unwrap();
    std::fs::create_dir_all(repo.path().join("Configuration")).unwrap();
    std::fs::write(
        repo.path().join("Rule/evil.json"),
        r#"{"formatVersion": 1, "id": "rule-e", "name": "Evil\u001b]0;pwned\u0007", "body": "1"}"#,
    )
    .unwrap();
    std::fs::write(
        repo.path().join("Configuration/lib.json"),
        r#"{"formatVersion": 1, "id": "lib-1", "name": "Lib\u001b[2J",
            "rules": [{"formatVersion": 1, "id": "rule-l", "name": "R\nS", "body": "1"}]}"#,
    )
    .unwrap();
    let out = bpe(&["list", s(repo.path()), "--rules"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    // model::escape_name, as every printer (docs/security.md, "Names on the terminal").
    assert!(stdout.contains(r"Evil\u{1b}]0;pwned\u{7}"), "{stdout}");
    assert!(stdout.contains(r"Lib\u{1b}[2J:R\nS"), "{stdout}");
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
}
