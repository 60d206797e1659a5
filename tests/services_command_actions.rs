//! What a workflow sees after a command action (docs/engine.md, "Kinds", command): a program
//! that ran leaves its exit code in `WF_ACTION_RESULT`, also when it failed; an action that
//! produced no exit code (refused, not found, timed out) leaves the error message there.
//!
//! Waveset: "WF_ACTION_RESULT — set to the WavesetResult object returned by the previous
//! action", "WF_ACTION_ERROR — set to true if the previously executed action returned a result
//! containing an error" (Sun Identity Manager Deployment Reference, Built-In Workflow
//! Variables, <http://docs.oracle.com/cd/E19225-01/820-5821/bvacx/index.html>): the result is
//! what the action returned, the error is flagged beside it and recorded in the task result.

use std::path::Path;
use std::process::Command;

use serde_json::{Value as J, json};
use services_support::completed_run;

mod services_support;

fn repo(dir: &Path, allow: &[&str], argv: &[&str], timeout: i64) -> std::path::PathBuf {
    let root = dir.join("repo");
    std::fs::create_dir_all(root.join("TaskDefinition")).unwrap();
    std::fs::write(
        root.join("repository.json"),
        json!({"formatVersion": 1, "name": "t",
            "settings": {"commands": {"enabled": true, "allow": allow}}})
        .to_string(),
    )
    .unwrap();
    let argv: Vec<String> = argv.iter().map(|a| format!("\"{a}\"")).collect();
    std::fs::write(
        root.join("TaskDefinition/cmd.json"),
        json!({"formatVersion": 1, "id": "td-cmd", "name": "Cmd", "resultLimit": -1,
            "process": {"activities": [
                {"id": "0", "name": "start", "transitions": [{"to": "Run"}]},
                {"id": "1", "name": "Run", "actions": [
                    {"kind": "command", "argv": argv, "timeout": timeout, "exitCodeTo": "code"},
                    {"kind": "expression", "expression":
                        "(block (set name=\"failed\" $WF_ACTION_ERROR) (set name=\"result\" $WF_ACTION_RESULT))"}],
                 "transitions": [{"to": "end"}]},
                {"id": "2", "name": "end"}]}})
        .to_string(),
    )
    .unwrap();
    root
}

fn run(root: &Path) -> J {
    completed_run(
        Command::new(env!("CARGO_BIN_EXE_bpe"))
            .arg("run")
            .arg(root)
            .args(["Cmd", "--allow-commands", "--json"])
            .output()
            .unwrap(),
    )
}

#[test]
fn a_failed_command_leaves_its_exit_code_as_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let root = repo(dir.path(), &["ls"], &["ls", "/definitely/not/here"], 10);
    let r = run(&root);
    let vars = &r["variables"];
    assert_eq!(vars["failed"], true, "{r:#}");
    assert_eq!(vars["result"], 2, "ls exits 2 on a missing operand: {r:#}");
    assert_eq!(vars["code"], 2);
    let error = r["result"]["errors"][0].as_str().unwrap();
    assert!(
        error.starts_with("Run / action 1: command 'ls' exited with code 2: "),
        "{error}"
    );

    let root = repo(dir.path(), &["true"], &["true"], 10);
    let r = run(&root);
    assert_eq!(r["variables"]["failed"], false, "{r:#}");
    assert_eq!(r["variables"]["result"], 0);
}

#[test]
fn a_command_without_an_exit_code_leaves_the_message_as_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let root = repo(dir.path(), &["echo"], &["./tools/echo"], 10);
    let r = run(&root);
    assert_eq!(r["variables"]["failed"], true, "{r:#}");
    assert_eq!(
        r["variables"]["result"],
        "command refused: program './tools/echo' is a relative path; name a program as a bare \
         name (looked up on /usr/local/bin:/usr/bin:/bin) or an absolute path"
    );
    assert!(r["variables"]["code"].is_null(), "{r:#}");

    let root = repo(dir.path(), &["sleep"], &["sleep", "5"], 1);
    let r = run(&root);
    assert_eq!(r["variables"]["failed"], true, "{r:#}");
    assert_eq!(
        r["variables"]["result"],
        "command 'sleep' timed out after 1 seconds"
    );
}
