//! `bpe validate` over temporary repositories, running the real binary.

use std::path::Path;

mod common;
use common::bpe;

fn definition(name: &str, to: &str) -> String {
    format!(
        r#"{{
  "formatVersion": 1,
  "id": "td-{name}",
  "name": "{name}",
  "process": {{
    "activities": [
      {{"id": "1", "name": "start", "transitions": [{{"to": "Approve"}}]}},
      {{"id": "2", "name": "Approve", "transitions": [{{"to": "{to}"}}]}},
      {{"id": "3", "name": "end"}}
    ]
  }}
}}
"#
    )
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn repo_with_problems() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "repository.json",
        br#"{"formatVersion": 1, "name": "test"}"#,
    );
    write(
        root,
        "TaskDefinition/good.json",
        definition("Good", "end").as_bytes(),
    );
    write(
        root,
        "TaskDefinition/typo.json",
        definition("Typo", "ned").as_bytes(),
    );
    let full = definition("Cut", "end");
    write(
        root,
        "TaskDefinition/truncated.json",
        &full.as_bytes()[..full.len() / 2],
    );
    let mut latin1 = definition("Zoe", "end").into_bytes();
    // "td-Zo\xeb": Latin-1, not UTF-8, on line 3 (the id), column 15.
    let at = latin1.windows(3).position(|w| w == b"Zoe").unwrap() + 2;
    latin1[at] = 0xEB;
    write(root, "TaskDefinition/latin1.json", &latin1);
    dir
}

#[test]
fn reports_each_broken_file_with_position_and_fails() {
    let dir = repo_with_problems();
    let out = bpe(&["validate", dir.path().to_str().unwrap()]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    // Truncated JSON: positioned at the end of the text.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("TaskDefinition/truncated.json:") && l.contains(": error E000 ")),
        "{stdout}"
    );
    let trunc = lines
        .iter()
        .find(|l| l.starts_with("TaskDefinition/truncated.json:"))
        .unwrap();
    let mut parts = trunc.split(':');
    parts.next();
    let line: usize = parts.next().unwrap().parse().unwrap();
    let column: usize = parts.next().unwrap().parse().unwrap();
    assert!(line >= 6 && column >= 1, "{trunc}");
    // Not UTF-8: line 3, column of the bad byte.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("TaskDefinition/latin1.json:3:15:") && l.contains("UTF-8")),
        "{stdout}"
    );
    // Unknown activity: the "to" value on line 8.
    let typo = lines
        .iter()
        .find(|l| l.contains("E004"))
        .expect("E004 reported");
    assert!(
        typo.starts_with("TaskDefinition/typo.json:8:")
            && typo.contains("error E004 transition to unknown activity \"ned\""),
        "{typo}"
    );
    let col: usize = typo.split(':').nth(2).unwrap().parse().unwrap();
    let source = definition("Typo", "ned");
    let line8 = source.lines().nth(7).unwrap();
    assert_eq!(
        line8.chars().skip(col - 1).take(5).collect::<String>(),
        "\"ned\""
    );
    // The good file loaded and is clean: nothing reported for it.
    assert!(!stdout.contains("good.json"), "{stdout}");
    // "end" is unreachable once Approve points elsewhere.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("TaskDefinition/typo.json:9:") && l.contains("warning W001")),
        "{stdout}"
    );
    assert_eq!(lines.len(), 4, "{stdout}");
    assert_eq!(stderr.trim(), "3 errors, 1 warning in 5 files");
}

#[test]
fn json_output() {
    let dir = repo_with_problems();
    let out = bpe(&["validate", "--json", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 4);
    let typo = arr.iter().find(|f| f["id"] == "E004").unwrap();
    assert_eq!(typo["path"], "TaskDefinition/typo.json");
    assert_eq!(typo["line"], 8);
    assert_eq!(typo["severity"], "error");
    assert!(typo["column"].as_u64().unwrap() > 1);
    assert!(typo["message"].as_str().unwrap().contains("\"ned\""));
}

#[test]
fn clean_repository_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "TaskDefinition/good.json",
        definition("Good", "end").as_bytes(),
    );
    let out = bpe(&["validate", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap().trim(),
        "0 errors, 0 warnings in 1 file"
    );
}

#[test]
fn warnings_alone_do_not_fail() {
    let dir = tempfile::tempdir().unwrap();
    let text = definition("Warn", "end").replace(
        r#"{"to": "end"}"#,
        r#"{"to": "end", "condition": "(eq $x 1)"}"#,
    );
    write(dir.path(), "TaskDefinition/warn.json", text.as_bytes());
    let out = bpe(&["validate", dir.path().to_str().unwrap()]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("warning W004 undeclared variable \"x\""),
        "{stdout}"
    );
    assert!(stdout.contains("warning W008"), "{stdout}");
}

#[test]
fn missing_repository_is_exit_2() {
    let out = bpe(&["validate", "/nonexistent/bpe-repo"]);
    assert_eq!(out.status.code(), Some(2));
}
