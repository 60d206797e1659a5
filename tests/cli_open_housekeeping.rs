//! Every command that opens a repository applies due work-item timeouts first
//! (DOMAIN: a timed-out manual action counts as completed and the case resumes).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as J;

mod common;
use common::{bpe, copy_dir};

fn audit(root: &Path) -> String {
    std::fs::read_to_string(root.join("audit.jsonl")).unwrap_or_default()
}

/// A copy of the sample repository with one suspended Approval case whose work
/// item's `timeoutAt` has been moved into the past; returns (instance id, work item path).
fn suspended_approval_past_due(root: &Path) -> (String, PathBuf) {
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-repository"),
        root,
    );
    let out = bpe(&[
        "run",
        root.to_str().unwrap(),
        "Approval",
        "--set",
        "approver=jsmith",
        "--set",
        "subject=Laptop",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: J = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "suspended", "{report:#}");
    let instance = report["instance"].as_str().unwrap().to_string();
    let item_id = report["workItems"][0].as_str().unwrap();
    let item_path = root.join("WorkItem").join(format!("{item_id}.json"));
    let instance_path = root.join("TaskInstance").join(format!("{instance}.json"));
    // The deadline is recorded twice: on the work item and on the waiting token.
    for path in [&item_path, &instance_path] {
        assert_eq!(set_timeouts(path, "2000-01-01T00:00:00Z"), 1, "{path:?}");
    }
    (instance, item_path)
}

/// Rewrite every `timeoutAt` in a JSON file; returns how many were rewritten.
fn set_timeouts(path: &Path, at: &str) -> usize {
    fn walk(v: &mut J, at: &str) -> usize {
        match v {
            J::Object(map) => {
                let mut n = 0;
                for (k, child) in map.iter_mut() {
                    if k == "timeoutAt" && child.is_string() {
                        *child = J::String(at.to_string());
                        n += 1;
                    } else {
                        n += walk(child, at);
                    }
                }
                n
            }
            J::Array(items) => items.iter_mut().map(|c| walk(c, at)).sum(),
            _ => 0,
        }
    }
    let mut doc: J = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let n = walk(&mut doc, at);
    std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    n
}

fn assert_timed_out(root: &Path, instance: &str, item_path: &Path, command: &str) {
    // Approval has resultLimit 0: the finished instance is removed; its Expired
    // branch audits "approval-expired".
    assert!(
        audit(root).contains("approval-expired"),
        "`bpe {command}` did not resume the case: {}",
        audit(root)
    );
    let instance_path = root.join("TaskInstance").join(format!("{instance}.json"));
    if let Ok(text) = std::fs::read_to_string(&instance_path) {
        let ti: J = serde_json::from_str(&text).unwrap();
        assert_ne!(ti["status"], "suspended", "`bpe {command}`: {ti:#}");
    }
    let item: J = serde_json::from_str(
        &std::fs::read_to_string(item_path).unwrap_or_else(|_| r#"{"complete":true}"#.to_string()),
    )
    .unwrap();
    assert_eq!(item["complete"], true, "`bpe {command}`: {item:#}");
}

#[test]
fn read_only_commands_apply_due_timeouts_when_opening() {
    for command in ["list", "validate", "diagram", "locks", "cache"] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        let (instance, item_path) = suspended_approval_past_due(&root);
        assert!(!audit(&root).contains("approval-expired"));
        let mut args = vec![command, root.to_str().unwrap()];
        if command == "diagram" {
            args.push("Approval");
        }
        let out = bpe(&args);
        assert!(
            out.status.success(),
            "bpe {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_timed_out(&root, &instance, &item_path, command);
    }
}

#[test]
fn a_timeout_not_yet_due_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let (instance, item_path) = suspended_approval_past_due(&root);
    let instance_path = root.join("TaskInstance").join(format!("{instance}.json"));
    for path in [&item_path, &instance_path] {
        set_timeouts(path, "2999-01-01T00:00:00Z");
    }
    let out = bpe(&["list", root.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(!audit(&root).contains("approval-expired"));
    let ti: J = serde_json::from_str(
        &std::fs::read_to_string(root.join("TaskInstance").join(format!("{instance}.json")))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(ti["status"], "suspended");
}

/// Without USER/LOGNAME/USERNAME (cron, CI) the case owner is the passwd name of
/// the process's uid, the same name `id -un` prints.
#[test]
fn case_owner_falls_back_to_the_passwd_name_of_the_uid() {
    let Ok(id) = Command::new("id").arg("-un").output() else {
        return; // no `id` to compare with
    };
    let expected = String::from_utf8_lossy(&id.stdout).trim().to_string();
    assert!(!expected.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-repository"),
        &root,
    );
    let out = Command::new(env!("CARGO_BIN_EXE_bpe"))
        .args([
            "run",
            root.to_str().unwrap(),
            "Approval",
            "--set",
            "approver=jsmith",
            "--set",
            "subject=Laptop",
            "--json",
        ])
        .env_remove("USER")
        .env_remove("LOGNAME")
        .env_remove("USERNAME")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: J = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["variables"]["WF_CASE_OWNER"],
        expected.as_str(),
        "{report:#}"
    );
}
