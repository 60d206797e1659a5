//! `bpe diff`: semantic diffs between the sample workflows and edited copies,
//! with the structured (`--json`) output each edit must give; the version
//! forms (timestamped copy, cached hash, file path, NAME@REV through git) and
//! the exit codes (0 equal, 1 different, 2 error). Format: docs/diff.md.

mod cli_common;

use std::path::Path;
use std::process::Command;

use cli_common::{bpe, rename_activity, s, sample_copy, text};
use serde_json::{Value as J, json};

const ONBOARD: &str = "TaskDefinition/onboard-employee.json";

use cli_common::edit_json as edit;

/// `bpe diff ARGS --json`: exit code and the changes.
fn diff_json(root: &Path, args: &[&str]) -> (i32, J) {
    let mut all = vec!["diff", s(root)];
    all.extend_from_slice(args);
    all.push("--json");
    let out = bpe(&all);
    let code = out.status.code().unwrap();
    assert!(code == 0 || code == 1, "{}", text(&out.stderr));
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

/// A copy of the sample repository whose Onboard Employee has a timestamped copy
/// of its original version (the diff's old side).
fn with_copy() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let (dir, root) = sample_copy();
    let out = bpe(&["snapshot", s(&root), "Onboard Employee", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r: J = serde_json::from_slice(&out.stdout).unwrap();
    let name = r["definition"]["name"].as_str().unwrap().to_string();
    (dir, root, name)
}

/// The changes without the definition's own id and name (a copy has its own).
fn changes(doc: &J) -> Vec<J> {
    doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !(c["object"] == "definition" && (c["field"] == "id" || c["field"] == "name")))
        .cloned()
        .collect()
}

#[test]
fn an_unedited_copy_differs_only_in_id_and_name_and_a_version_equals_itself() {
    let (_d, root, copy) = with_copy();
    let (code, doc) = diff_json(&root, &[&copy]);
    assert_eq!(code, 1);
    assert_eq!(changes(&doc), Vec::<J>::new());
    assert_eq!(doc["old"]["name"], json!(copy));
    assert_eq!(
        doc["new"]["name"], "Onboard Employee",
        "B defaults to the copied definition"
    );
    let (code, doc) = diff_json(&root, &["Onboard Employee", "Onboard Employee"]);
    assert_eq!(
        (code, &doc["equal"], &doc["changes"]),
        (0, &json!(true), &json!([]))
    );
}

#[test]
fn a_renamed_activity_is_one_rename_by_id_not_a_removal_and_an_addition() {
    let (_d, root, copy) = with_copy();
    edit(&root, ONBOARD, |d| {
        rename_activity(d, "Manager Approval", "Manager Review")
    });
    let (_, doc) = diff_json(&root, &[&copy]);
    assert_eq!(
        changes(&doc),
        vec![json!({
            "change": "renamed", "object": "activity",
            "at": {"activityId": "4", "activity": "Manager Review"},
            "old": "Manager Approval", "new": "Manager Review"
        })]
    );
}

#[test]
fn a_changed_condition_shows_the_smallest_changed_sub_expression() {
    let (_d, root, copy) = with_copy();
    edit(&root, ONBOARD, |d| {
        d["process"]["activities"][4]["transitions"][1]["condition"] =
            "(eq $decision \"approved\")".into();
    });
    let (_, doc) = diff_json(&root, &[&copy]);
    assert_eq!(
        changes(&doc),
        vec![json!({
            "change": "changed", "object": "transition",
            "at": {"activityId": "4", "activity": "Manager Approval", "transition": "Create Identity"},
            "field": "condition",
            "old": "(eq $decision \"approve\")", "new": "(eq $decision \"approved\")",
            "expression": [{"at": ["eq[2]"], "old": "\"approve\"", "new": "\"approved\""}]
        })]
    );
    let out = bpe(&["diff", s(&root), &copy]);
    assert_eq!(out.status.code(), Some(1));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("~ transition in \"Manager Approval\" (id 4) to \"Create Identity\" condition:\n    at eq[2]: \"approve\" -> \"approved\"\n"),
        "{shown}"
    );
}

#[test]
fn an_added_branch_is_an_added_activity_and_an_added_transition() {
    let (_d, root, copy) = with_copy();
    edit(&root, ONBOARD, |d| {
        let acts = d["process"]["activities"].as_array_mut().unwrap();
        acts.push(json!({"id": "15", "name": "Notify HR", "transitions": [{"to": "end"}]}));
        let t = acts[4]["transitions"].as_array_mut().unwrap();
        t.insert(
            1,
            json!({"to": "Notify HR", "condition": "(eq $decision \"hold\")"}),
        );
    });
    let (_, doc) = diff_json(&root, &[&copy]);
    assert_eq!(
        changes(&doc),
        vec![
            json!({
                "change": "added", "object": "transition",
                "at": {"activityId": "4", "activity": "Manager Approval", "transition": "Notify HR"},
                "old": null, "new": "Notify HR when (eq $decision \"hold\")"
            }),
            json!({
                "change": "added", "object": "activity",
                "at": {"activityId": "15", "activity": "Notify HR"},
                "old": null, "new": "Notify HR"
            }),
        ]
    );
}

#[test]
fn a_removed_variable_is_reported_with_its_initial_value() {
    let (_d, root, copy) = with_copy();
    edit(&root, ONBOARD, |d| {
        let vars = d["process"]["variables"].as_array_mut().unwrap();
        vars.retain(|v| v["name"] != "rejectionReason");
    });
    let (_, doc) = diff_json(&root, &[&copy]);
    assert_eq!(
        changes(&doc),
        vec![json!({
            "change": "removed", "object": "variable",
            "at": {"variable": "rejectionReason"}, "old": "", "new": null
        })]
    );
}

#[test]
fn a_cached_version_by_hash_prefix_and_a_file_path_are_versions_too() {
    let (_d, root, _copy) = with_copy();
    let listed = bpe(&["cache", s(&root), "--json"]);
    let entries: J = serde_json::from_slice(&listed.stdout).unwrap();
    let hash = entries[0]["hash"].as_str().unwrap().to_string();
    edit(&root, ONBOARD, |d| {
        d["process"]["activities"][4]["actions"][2]["timeout"] = 99.into()
    });
    // `bpe cache` shows `sha256:` and 12 hex digits.
    let (code, doc) = diff_json(&root, &[&hash[..19], ONBOARD]);
    assert_eq!(code, 1);
    assert_eq!(doc["old"]["origin"], "cache");
    assert_eq!(doc["new"]["origin"], "path");
    let c = changes(&doc);
    assert_eq!(c.len(), 1, "{c:#?}");
    assert_eq!(c[0]["at"]["action"], 2);
    assert_eq!(
        (&c[0]["field"], &c[0]["old"], &c[0]["new"]),
        (&json!("timeout"), &json!("4320"), &json!("99"))
    );
}

#[test]
fn errors_exit_2_and_paths_outside_the_repository_are_refused() {
    let (_d, root) = sample_copy();
    for args in [
        vec!["Onboard Employe"],
        vec!["../outside.json"],
        vec!["/etc/passwd"],
        vec!["Onboard Employee@-p"],
        vec!["Onboard Employee@HEAD"], // not a git work tree
    ] {
        let mut all = vec!["diff", s(&root)];
        all.extend(args.iter().copied());
        let out = bpe(&all);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stdout)
        );
    }
    let out = bpe(&["diff", s(&root), "Onboard Employe"]);
    assert!(
        text(&out.stderr).contains("did you mean"),
        "{}",
        text(&out.stderr)
    );
}

fn git(root: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args(args)
        .current_dir(root)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn name_at_rev_reads_the_file_at_a_git_revision_and_refuses_option_like_revisions() {
    let (_d, root) = sample_copy();
    if !git(&root, &["init", "-q", "."]) {
        eprintln!("git is not available; skipped");
        return;
    }
    assert!(git(&root, &["add", "-A"]) && git(&root, &["commit", "-qm", "v1"]));
    edit(&root, ONBOARD, |d| {
        d["process"]["activities"][1]["transitions"][0]["condition"] =
            "(gt (length $problems) 1)".into();
    });
    let (code, doc) = diff_json(&root, &["Onboard Employee@HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(doc["old"]["origin"], "git");
    assert_eq!(doc["old"]["commit"].as_str().unwrap().len(), 40);
    let c = changes(&doc);
    assert_eq!(c.len(), 1, "{c:#?}");
    assert_eq!(
        c[0]["expression"],
        json!([{"at": ["gt[2]"], "old": "0", "new": "1"}])
    );
    assert!(git(&root, &["commit", "-qam", "v2"]));
    let (code, _) = diff_json(
        &root,
        &["Onboard Employee@HEAD~1", "Onboard Employee@HEAD~1"],
    );
    assert_eq!(code, 0);
    let (code, _) = diff_json(&root, &["Onboard Employee@HEAD"]);
    assert_eq!(code, 0, "HEAD is the current file now");
    for bad in [
        "--output=x",
        "-p",
        "HEAD:TaskDefinition/approval.json",
        "nope",
    ] {
        let spec = format!("Onboard Employee@{bad}");
        let out = bpe(&["diff", s(&root), &spec]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
    assert!(!root.join("x").exists(), "no option reached git");
}

#[test]
fn a_copy_whose_definition_does_not_load_is_an_error_not_compared_with_itself() {
    let (_d, root, copy) = with_copy();
    std::fs::write(root.join(ONBOARD), "{\"formatVersion\": 1, \"id\": 3}").unwrap();
    let out = bpe(&["diff", s(&root), &copy]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("does not load"),
        "{}",
        text(&out.stderr)
    );
}
