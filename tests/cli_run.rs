//! `bpe run / complete / tasks / workitems / forward / terminate` through the real binary.

mod cli_common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bpe::model::{InstanceStatus, TaskInstance};
use bpe::repo::Repository;
use bpe::repo::lock::{self, LockMode, LockTarget};
use cli_common::{ONBOARD_ADA, bpe, ok_json, s, sample_copy};
use serde_json::{Value as J, json};

fn write_def(root: &Path, file: &str, def: J) {
    std::fs::create_dir_all(root.join("TaskDefinition")).unwrap();
    std::fs::write(
        root.join("TaskDefinition").join(file),
        serde_json::to_string_pretty(&def).unwrap(),
    )
    .unwrap();
}

fn repo_with_approval(version: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(&root).unwrap();
    write_approval(&root, version);
    (dir, root)
}

fn write_approval(root: &Path, version: &str) {
    write_def(
        root,
        "approval.json",
        json!({
            "formatVersion": 1, "id": "td-approval", "name": "Approval", "resultLimit": -1,
            "process": {"activities": [
                {"id": "0", "name": "start", "transitions": [{"to": "Ask"}]},
                {"id": "1", "name": "Ask", "actions": [
                    {"kind": "manual", "owners": ["$approver"], "editableVariables": ["title"]}],
                 "transitions": [
                    {"to": "Approved", "condition": "(eq $decision \"approve\")"},
                    {"to": "Rejected"}]},
                {"id": "2", "name": "Approved", "actions": [
                    {"kind": "expression", "expression": format!("(set name=\"version\" \"{version}\")")}],
                 "transitions": [{"to": "end"}]},
                {"id": "3", "name": "Rejected", "transitions": [{"to": "end"}]},
                {"id": "4", "name": "end"}
            ]}
        }),
    );
}

#[test]
fn suspend_in_one_process_resume_in_another_on_the_old_version() {
    let (_dir, root) = repo_with_approval("v1");
    let r = ok_json(&[
        "run",
        s(&root),
        "Approval",
        "--set",
        "approver=jsmith",
        "--set",
        "title=Engineer",
        "--json",
    ]);
    assert_eq!(r["status"], "suspended");
    assert_eq!(r["path"], json!(["start", "Ask"]));
    let items = r["workItems"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let item = items[0].as_str().unwrap().to_string();
    assert_eq!(r["pendingWorkItems"][0]["owner"], "jsmith");

    // Listings see it.
    let tasks = ok_json(&["tasks", s(&root), "--status", "suspended", "--json"]);
    assert_eq!(tasks.as_array().unwrap().len(), 1);
    let wi = ok_json(&["workitems", s(&root), "--owner", "jsmith", "--json"]);
    assert_eq!(wi[0]["id"], item.as_str());
    assert!(
        ok_json(&["workitems", s(&root), "--owner", "nobody", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The definition changes while the case waits.
    write_approval(&root, "v2");
    let done = ok_json(&[
        "complete",
        s(&root),
        &item,
        "--decision",
        "approve",
        "--set",
        "title=Lead",
        "--comment",
        "welcome",
        "--json",
    ]);
    assert_eq!(done["status"], "completed");
    assert_eq!(done["variables"]["version"], "v1");
    assert_eq!(done["variables"]["title"], "Lead");
    assert_eq!(done["variables"]["decision"], "approve");
    assert_eq!(done["variables"]["comment"], "welcome");
    assert_eq!(done["path"], json!(["start", "Ask", "Approved", "end"]));
    assert!(
        ok_json(&["workitems", s(&root), "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ok_json(&["workitems", s(&root), "--all", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_second_runner_is_refused_and_the_holder_named() {
    let (_dir, root) = repo_with_approval("v1");
    let r = ok_json(&[
        "run",
        s(&root),
        "Approval",
        "--set",
        "approver=jsmith",
        "--json",
    ]);
    let id = r["instance"].as_str().unwrap().to_string();
    let item = r["workItems"][0].as_str().unwrap().to_string();
    let _held = lock::acquire(
        &root,
        LockTarget::Instance(id),
        LockMode::Exclusive,
        "debugger",
    )
    .unwrap();
    let out = bpe(&["complete", s(&root), &item, "--decision", "approve"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("debugger") && err.contains("pid"), "{err}");
}

#[test]
fn sigkill_leaves_a_reclaimable_lock_and_a_readable_instance() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    write_def(
        &root,
        "spin.json",
        json!({"formatVersion": 1, "id": "td-spin", "name": "Spin", "progressInterval": 50,
            "process": {"maxSteps": 1_000_000_000_i64, "activities": [
                {"id": "0", "name": "start", "transitions": [{"to": "A"}]},
                {"id": "1", "name": "A", "actions": [{"kind": "expression", "expression": "(set name=\"i\" (add $i 1))"}],
                 "transitions": [{"to": "B"}]},
                {"id": "2", "name": "B", "transitions": [{"to": "A"}]}]}}),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_bpe"))
        .args(["run", s(&root), "Spin"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let instance: TaskInstance = loop {
        let repo = Repository::open(&root).unwrap();
        if let Some(i) = repo.instances.first()
            && i.value.steps > 0
        {
            break i.value.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no progress written"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // While it runs, the instance is locked.
    let err = lock::acquire(
        &root,
        LockTarget::Instance(instance.id.clone()),
        LockMode::Exclusive,
        "test",
    )
    .unwrap_err();
    assert!(err.to_string().contains("bpe run"), "{err}");
    child.kill().unwrap();
    child.wait().unwrap();
    let repo = Repository::open(&root).unwrap();
    assert!(repo.errors.is_empty(), "{:?}", repo.errors);
    let inst = &repo.instance(&instance.id).unwrap().value;
    assert_eq!(inst.status, InstanceStatus::Running);
    assert!(!inst.state.is_null());
    let g = lock::acquire(
        &root,
        LockTarget::Instance(instance.id.clone()),
        LockMode::Exclusive,
        "test",
    )
    .expect("the lock of a killed runner is reclaimable");
    drop(g);
    lock::acquire(
        &root,
        LockTarget::DefinitionRun("td-spin".into()),
        LockMode::Exclusive,
        "test",
    )
    .expect("the definition run lock too");
}

#[test]
fn unknown_name_suggests_and_dry_run_writes_nothing() {
    let (_dir, root) = repo_with_approval("v1");
    let out = bpe(&["run", s(&root), "Aproval"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean \"Approval\""), "{err}");

    let r = ok_json(&[
        "run",
        s(&root),
        "Approval",
        "--set",
        "approver=jsmith",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(r["status"], "suspended");
    assert_eq!(r["dryRun"], true);
    assert!(
        !root.join("TaskInstance").exists()
            || std::fs::read_dir(root.join("TaskInstance"))
                .unwrap()
                .next()
                .is_none()
    );
    assert!(
        !root.join("WorkItem").exists()
            || std::fs::read_dir(root.join("WorkItem"))
                .unwrap()
                .next()
                .is_none()
    );
}

#[test]
fn text_output_terminate_and_forward() {
    let (_dir, root) = repo_with_approval("v1");
    let out = bpe(&["run", s(&root), "Approval", "--set", "approver=jsmith"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("suspended") && text.contains("path: start -> Ask"),
        "{text}"
    );
    assert!(text.contains("for jsmith"), "{text}");
    let repo = Repository::open(&root).unwrap();
    let item = repo.work_items[0].value.id.clone();
    let inst = repo.instances[0].value.id.clone();
    let out = bpe(&[
        "forward",
        s(&root),
        &item,
        "--to",
        "mjones",
        "--comment",
        "vacation",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        ok_json(&["workitems", s(&root), "--owner", "mjones", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let out = bpe(&["terminate", s(&root), &inst]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tasks = ok_json(&["tasks", s(&root), "--json"]);
    assert_eq!(tasks[0]["status"], "terminated");
    assert!(
        ok_json(&["workitems", s(&root), "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn acceptance_onboard_employee_on_the_sample_repository() {
    let (_dir, root) = sample_copy();
    let r = ok_json(
        &[
            ["run", s(&root), "Onboard Employee"].as_slice(),
            &ONBOARD_ADA,
            &["--json"],
        ]
        .concat(),
    );
    assert_eq!(r["status"], "suspended", "{r:#}");
    let items = r["workItems"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{r:#}");
    assert_eq!(r["pendingWorkItems"][0]["owner"], "jsmith");
    let item = items[0].as_str().unwrap().to_string();
    let done = ok_json(&[
        "complete",
        s(&root),
        &item,
        "--decision",
        "approve",
        "--json",
    ]);
    assert_eq!(done["status"], "completed", "{done:#}");
    assert_eq!(done["variables"]["outcome"], "onboarded", "{done:#}");
    let outbox: Vec<String> = std::fs::read_dir(root.join("Outbox"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(
        outbox
            .iter()
            .any(|m| m.to_lowercase().contains("welcome") && m.contains("Ada")),
        "no welcome mail in {outbox:#?}"
    );
}

#[test]
fn command_actions_follow_the_policy_and_inputs_come_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("repository.json"),
        serde_json::to_string(&json!({"formatVersion": 1, "name": "t",
            "settings": {"commands": {"enabled": true, "allow": ["echo"]}}}))
        .unwrap(),
    )
    .unwrap();
    write_def(
        &root,
        "cmd.json",
        json!({"formatVersion": 1, "id": "td-cmd", "name": "Cmd", "resultLimit": -1,
            "process": {"activities": [
                {"id": "0", "name": "start", "transitions": [{"to": "Run"}]},
                {"id": "1", "name": "Run", "actions": [
                    {"kind": "command", "argv": ["\"echo\"", "$word"], "outputTo": "out", "exitCodeTo": "code"},
                    {"kind": "expression", "expression": "(set name=\"failed\" $WF_ACTION_ERROR)"}],
                 "transitions": [{"to": "end"}]},
                {"id": "2", "name": "end"}]}}),
    );
    let input = dir.path().join("input.json");
    std::fs::write(&input, r#"{"word": "from-file", "other": 7}"#).unwrap();
    let r = ok_json(&[
        "run",
        s(&root),
        "Cmd",
        "--input",
        s(&input),
        "--set",
        "word=hello",
        "--allow-commands",
        "--json",
    ]);
    assert_eq!(r["status"], "completed", "{r:#}");
    assert_eq!(r["variables"]["out"], "hello\n");
    assert_eq!(r["variables"]["code"], 0);
    assert_eq!(r["variables"]["other"], 7);
    assert_eq!(r["variables"]["failed"], false);

    let r = ok_json(&["run", s(&root), "Cmd", "--set", "word=x", "--json"]);
    assert_eq!(r["status"], "completed");
    assert_eq!(
        r["variables"]["failed"], true,
        "refused without --allow-commands"
    );
    assert!(r["variables"]["out"].is_null());
    assert!(
        r["result"]["errors"][0]
            .as_str()
            .unwrap()
            .contains("--allow-commands"),
        "{r:#}"
    );
}

/// Change Password on the sample: after the run no file of the repository (instance, user,
/// audit log, outbox, cache) holds the clear-text password.
#[test]
fn change_password_leaves_no_clear_text_on_disk() {
    let (_dir, root) = sample_copy();
    let secret = "Tr0ub4dor&3-Horse";
    let r = root.to_str().unwrap();
    let set = format!("password={secret}");
    let out = ok_json(&[
        "run",
        r,
        "Change Password",
        "--set",
        "accountId=jsmith",
        "--set",
        &set,
        "--json",
    ]);
    assert_eq!(out["status"], "completed", "{out}");

    fn scan(dir: &Path, secret: &[u8], hits: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                scan(&path, secret, hits);
            } else if std::fs::read(&path)
                .unwrap()
                .windows(secret.len())
                .any(|w| w == secret)
            {
                hits.push(path);
            }
        }
    }
    let mut hits = Vec::new();
    scan(&root, secret.as_bytes(), &mut hits);
    assert!(hits.is_empty(), "clear-text password found in {hits:?}");
    // The password really changed: the user file holds a hash now.
    let user = std::fs::read_to_string(root.join("User/jsmith.json")).unwrap();
    assert!(user.contains("pbkdf2-sha256$"), "{user}");
}
