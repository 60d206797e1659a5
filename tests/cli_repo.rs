//! `bpe list`, `bpe cache`, `bpe snapshot`, `bpe locks` over temporary
//! repositories, running the real binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use bpe::model::content_hash;
use bpe::repo::lock::{self, LockMode, LockTarget};
use bpe::repo::{Repository, cache};

mod common;
use common::bpe;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn definition(id: &str, name: &str, middle: &str) -> String {
    format!(
        r#"{{
  "formatVersion": 1,
  "id": "{id}",
  "name": "{name}",
  "process": {{
    "activities": [
      {{"id": "1", "name": "start", "transitions": [{{"to": "{middle}"}}]}},
      {{"id": "2", "name": "{middle}", "transitions": [{{"to": "end"}}]}},
      {{"id": "3", "name": "end"}}
    ]
  }}
}}
"#
    )
}

/// Every file below root with its bytes and mtime.
fn files(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let m = std::fs::metadata(&p).unwrap().modified().unwrap();
                out.insert(p.clone(), (std::fs::read(&p).unwrap(), m));
            }
        }
    }
    out
}

fn broken_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "repository.json",
        br#"{"formatVersion": 1, "name": "test"}"#,
    );
    write(
        root,
        "TaskDefinition/onboard.json",
        definition("td-1", "Onboard Employee", "Approve").as_bytes(),
    );
    write(
        root,
        "TaskDefinition/offboard.json",
        definition("td-2", "Offboard Employee", "Revoke").as_bytes(),
    );
    // Truncated JSON: ends inside the process object.
    let full = definition("td-3", "Truncated", "X");
    write(
        root,
        "TaskDefinition/truncated.json",
        &full.as_bytes()[..60],
    );
    // Invalid UTF-8 in line 3.
    write(
        root,
        "TaskDefinition/latin1.json",
        b"{\n  \"formatVersion\": 1,\n  \"name\": \"Caf\xe9\"\n}\n",
    );
    // Unknown formatVersion on line 2.
    write(
        root,
        "TaskDefinition/future.json",
        definition("td-5", "Future", "Y")
            .replace("\"formatVersion\": 1", "\"formatVersion\": 7")
            .as_bytes(),
    );
    // Wrong-typed field: activities must be a list (line 6).
    write(
        root,
        "TaskDefinition/wrongtype.json",
        b"{\n  \"formatVersion\": 1,\n  \"id\": \"td-6\",\n  \"name\": \"Wrong\",\n  \"process\": {\n    \"activities\": \"none\"\n  }\n}\n",
    );
    write(
        root,
        "User/alice.json",
        br#"{"formatVersion": 1, "accountId": "alice", "firstName": "Alice", "lastName": "A"}"#,
    );
    dir
}

#[test]
fn list_reports_every_broken_file_and_loads_the_rest_without_writing() {
    let dir = broken_repository();
    let root = dir.path();
    let before = files(root);
    let out = bpe(&["list", root.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].starts_with("NAME"));
    assert!(lines[1].starts_with("Offboard Employee") && lines[1].contains("td-2"));
    assert!(lines[2].contains("TaskDefinition/onboard.json") && lines[2].contains(" 3 "));

    let err_for = |file: &str| -> String {
        stderr
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("no error for {file} in:\n{stderr}"))
            .to_string()
    };
    let truncated = err_for("truncated.json:");
    assert!(truncated.contains(": error: invalid JSON"), "{truncated}");
    let latin1 = err_for("latin1.json:3:15: error: not valid UTF-8");
    assert!(!latin1.is_empty());
    let future = err_for("future.json:2:3: error: unknown formatVersion 7");
    assert!(!future.is_empty());
    let wrong = err_for("wrongtype.json:6:");
    assert!(wrong.contains("invalid type"), "{wrong}");
    assert_eq!(stderr.lines().count(), 4, "{stderr}");

    assert_eq!(before, files(root), "loading must never write");
}

#[test]
fn list_json_has_the_fields_scripts_need() {
    let dir = broken_repository();
    let out = bpe(&["list", dir.path().to_str().unwrap(), "--json"]);
    assert!(out.status.success());
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["name"], "Onboard Employee");
    assert_eq!(rows[1]["id"], "td-1");
    assert_eq!(rows[1]["path"], "TaskDefinition/onboard.json");
    assert_eq!(rows[1]["activities"], 3);
}

#[test]
fn list_of_a_missing_directory_fails() {
    let out = bpe(&["list", "/nonexistent/bpe-repo"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a repository directory"));
}

fn pinned_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "TaskDefinition/onboard.json",
        definition("td-1", "Onboard Employee", "Approve").as_bytes(),
    );
    let repo = Repository::open(root).unwrap();
    let v1 = &repo.definitions[0].value;
    let r1 = cache::store(root, v1).unwrap();
    // Edit the definition after the instance started.
    write(
        root,
        "TaskDefinition/onboard.json",
        definition("td-1", "Onboard Employee", "Approve Twice").as_bytes(),
    );
    let inst = serde_json::json!({
        "formatVersion": 1, "id": "ti-1", "name": "Onboard jdoe", "definition": r1,
        "status": "suspended", "owner": "alice",
        "started": "2026-11-27T10:00:00Z", "updated": "2026-11-27T10:00:00Z"
    });
    write(
        root,
        "TaskInstance/ti-1.json",
        serde_json::to_string_pretty(&inst).unwrap().as_bytes(),
    );
    let wi = serde_json::json!({
        "formatVersion": 1, "id": "wi-1", "instance": "ti-1", "definition": r1,
        "activity": "Approve", "activityId": "2", "action": 0, "owner": "bob",
        "created": "2026-11-27T10:00:00Z"
    });
    write(
        root,
        "WorkItem/wi-1.json",
        serde_json::to_string_pretty(&wi).unwrap().as_bytes(),
    );
    dir
}

#[test]
fn cache_lists_pins_and_clears_only_with_force() {
    let dir = pinned_repository();
    let root = dir.path().to_str().unwrap();
    let out = bpe(&["cache", root]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("changed since"), "{stdout}");
    assert!(
        stdout.contains("ti-1 (suspended; pending wi-1)"),
        "{stdout}"
    );

    let out = bpe(&["cache", root, "--clear"]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("evicted 0 entries"), "{stdout}");
    assert!(stdout.contains("--force"), "{stdout}");

    let out = bpe(&["cache", root, "--force"]);
    assert!(!out.status.success(), "--force needs --clear");

    let out = bpe(&["cache", root, "--clear", "--force", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["orphanedInstances"], serde_json::json!(["ti-1"]));
    assert_eq!(report["orphanedWorkItems"], serde_json::json!(["wi-1"]));
    let out = bpe(&["cache", root, "--json"]);
    let entries: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(entries, serde_json::json!([]));
}

#[test]
fn snapshot_suggests_names_and_repoints() {
    let dir = pinned_repository();
    let root = dir.path();
    let arg = root.to_str().unwrap();
    let out = bpe(&["snapshot", arg, "Onbord Employe"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("did you mean \"Onboard Employee\"?"),
        "{stderr}"
    );

    let pinned_hash = Repository::open(root).unwrap().instances[0]
        .value
        .definition
        .hash
        .clone();
    let out = bpe(&[
        "snapshot",
        arg,
        "Onboard Employee",
        "--version",
        &pinned_hash,
        "--repoint",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("re-pointed 1 instances (ti-1) and 1 work items (wi-1)"),
        "{stdout}"
    );

    let repo = Repository::open(root).unwrap();
    assert_eq!(repo.definitions.len(), 2);
    let copy = repo
        .definitions
        .iter()
        .find(|d| d.value.name.starts_with("Onboard Employee 2"))
        .unwrap();
    assert_eq!(copy.value.process.activities[1].name, "Approve");
    assert_eq!(repo.instances[0].value.definition.id, copy.value.id);
    assert_eq!(
        repo.instances[0].value.definition.hash,
        content_hash(&copy.value)
    );
    assert_eq!(repo.work_items[0].value.definition.id, copy.value.id);
}

#[test]
fn locks_lists_live_and_breaks_only_stale() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let arg = root.to_str().unwrap();
    let out = bpe(&["locks", arg]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).trim(), "no locks");

    let guard = lock::acquire(
        root,
        LockTarget::DefinitionEdit("td-1".into()),
        LockMode::Exclusive,
        "editor",
    )
    .unwrap();
    let out = bpe(&["locks", arg]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("edit-td-1") && stdout.contains("live"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("pid {}", std::process::id())),
        "{stdout}"
    );

    let out = bpe(&["locks", arg, "--break", "edit-td-1"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("is not stale"),
        "{}",
        text(&out.stderr)
    );

    let out = bpe(&["locks", arg, "--break", "edit-td-2"]);
    assert!(text(&out.stderr).contains("did you mean \"edit-td-1\"?"));

    // A holder record left by a process that is gone (its pid has exited and
    // nothing holds the record's file lock).
    let mut dead = Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    dead.wait().unwrap();
    let mut holder = guard.holder();
    holder.pid = dead_pid;
    holder.target = LockTarget::Instance("ti-9".into());
    write(
        root,
        ".bpe/locks/instance-ti-9.1-0-0.holder.json",
        &bpe::repo::to_json_bytes(&holder).unwrap(),
    );
    let out = bpe(&["locks", arg, "--json"]);
    let locks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stale = locks
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "instance-ti-9")
        .unwrap();
    assert_eq!(stale["stale"], true);
    let out = bpe(&["locks", arg, "--break", "instance-ti-9"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("broke lock instance-ti-9"));
    let names: Vec<String> = lock::list(root)
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, vec!["edit-td-1".to_string()]);
    drop(guard);
}
