//! `bpe migrate`: a suspended Onboard Employee moved to an edited version and
//! approved to completion there; refusals that change nothing on disk (bytes
//! compared); a move killed midway (SIGKILL through the `BPE_FAULT_MIGRATE`
//! hook) leaves the old or the new state, never a mix. Rules: docs/engine.md,
//! "Migrating a suspended case".
#![cfg(unix)]

mod cli_common;

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use cli_common::{ONBOARD_ADA, bpe, ok_json, rename_activity, s, sample_copy, text};
use serde_json::{Value as J, json};

const ONBOARD: &str = "TaskDefinition/onboard-employee.json";

fn edit(root: &Path, f: impl FnOnce(&mut J)) {
    cli_common::edit_json(root, ONBOARD, f);
}

/// `bpe complete` with the decision `approve`: the resumed case.
fn approve(root: &Path, item: &str) -> J {
    ok_json(&["complete", s(root), item, "--decision", "approve", "--json"])
}

fn read(root: &Path, rel: &str) -> J {
    serde_json::from_slice(&std::fs::read(root.join(rel)).unwrap()).unwrap()
}

/// A sample copy with one Onboard Employee suspended at Manager Approval:
/// (temp dir, root, instance id, work item id).
fn suspended() -> (tempfile::TempDir, PathBuf, String, String) {
    let (dir, root) = sample_copy();
    let mut args = vec!["run", s(&root), "Onboard Employee", "--json"];
    args.extend(ONBOARD_ADA);
    let r = ok_json(&args);
    assert_eq!(r["status"], "suspended", "{r:#}");
    let inst = r["instance"].as_str().unwrap().to_string();
    let item = r["workItems"][0].as_str().unwrap().to_string();
    (dir, root, inst, item)
}

/// The edited version: Manager Approval renamed (same id), `rejectionReason`
/// removed, `hrContact` added with an initial value over the case's variables.
fn edit_version(root: &Path) {
    edit(root, |d| {
        rename_activity(d, "Manager Approval", "Manager Review");
        let vars = d["process"]["variables"].as_array_mut().unwrap();
        vars.retain(|v| v["name"] != "rejectionReason");
        vars.push(json!({"name": "hrContact", "value": "(concat \"hr-\" $department)"}));
    });
}

/// Every file of the repository and its bytes, lock files left out (taking a
/// lock is not a change of data).
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            if rel.starts_with(".bpe/locks") {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn migrate(root: &Path, inst: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "migrate",
        s(root),
        inst,
        "--to",
        "Onboard Employee",
        "--json",
    ];
    args.extend_from_slice(extra);
    bpe(&args)
}

#[test]
fn a_suspended_onboarding_moves_to_the_edited_version_and_completes_there() {
    let (_d, root, inst, item) = suspended();
    edit_version(&root);
    let out = migrate(&root, &inst, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan: J = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["applied"], true);
    assert_eq!(plan["removedVariables"], json!(["rejectionReason"]));
    assert_eq!(
        plan["addedVariables"],
        json!([{"name": "hrContact", "value": "hr-Engineering"}])
    );
    assert_eq!(
        (
            &plan["tokens"][0]["toActivity"],
            &plan["tokens"][0]["action"]
        ),
        (&json!("Manager Review"), &json!([2, 2]))
    );
    let new_hash = plan["to"]["hash"].as_str().unwrap().to_string();

    let i = read(&root, &format!("TaskInstance/{inst}.json"));
    assert_eq!(i["definition"]["hash"], json!(new_hash));
    assert_eq!(
        i["state"]["frames"][0]["definition"]["hash"],
        json!(new_hash)
    );
    assert_eq!(i["currentActivities"], json!(["Manager Review"]));
    assert_eq!(i["variables"]["hrContact"], "hr-Engineering");
    assert!(i["variables"].get("rejectionReason").is_none());
    let last = i["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "migrated");
    assert_eq!(last["to"], json!(new_hash));
    let w = read(&root, &format!("WorkItem/{item}.json"));
    assert_eq!(
        (&w["activity"], &w["definition"]["hash"]),
        (&json!("Manager Review"), &json!(new_hash))
    );
    let cached = root
        .join(".bpe/cache")
        .join(format!("{}.json", &new_hash[7..]));
    assert!(cached.exists(), "the new version is pinned in the cache");
    let audit = std::fs::read_to_string(root.join("audit.jsonl")).unwrap();
    let line: J = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(
        (&line["event"], &line["subject"]),
        (&json!("migrate"), &json!(inst))
    );

    let done = approve(&root, &item);
    assert_eq!(done["status"], "completed", "{done:#}");
    let i = read(&root, &format!("TaskInstance/{inst}.json"));
    assert_eq!(
        i["definition"]["hash"],
        json!(new_hash),
        "finished on the new version"
    );
    let entered: Vec<&str> = i["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["event"] == "activityEntered")
        .map(|h| h["activity"].as_str().unwrap())
        .collect();
    let approval = entered
        .iter()
        .position(|a| *a == "Manager Approval")
        .unwrap();
    assert_eq!(entered[approval + 1], "Create Identity", "{entered:?}");
    assert!(
        entered.ends_with(&["Provision Accounts", "Send Welcome", "end"]),
        "{entered:?}"
    );
}

#[test]
fn a_token_on_a_removed_activity_is_refused_and_nothing_changes_until_it_is_mapped() {
    let (_d, root, inst, item) = suspended();
    // Manager Approval (id 4) replaced by a new activity 20 with the same manual action.
    edit(&root, |d| {
        let acts = d["process"]["activities"].as_array_mut().unwrap();
        let i = acts.iter().position(|a| a["id"] == "4").unwrap();
        acts[i]["id"] = "20".into();
        rename_activity(d, "Manager Approval", "Approval by Manager");
    });
    let before = files(&root);
    for extra in [&[][..], &["--dry-run"][..]] {
        let out = migrate(&root, &inst, extra);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let plan: J = serde_json::from_slice(&out.stdout).unwrap();
        let why = plan["refusals"][0].as_str().unwrap();
        assert!(
            why.contains("\"Manager Approval\" (id 4)") && why.contains("--map"),
            "{why}"
        );
        assert_eq!(plan["applied"], false);
        assert_eq!(files(&root), before, "a refused migration changes nothing");
    }
    let text_out = bpe(&["migrate", s(&root), &inst, "--to", "Onboard Employee"]);
    assert!(
        text(&text_out.stdout)
            .contains("refused, nothing changed:\n  - a token stands on activity")
    );

    let out = migrate(&root, &inst, &["--map", "4=Approval by Manager"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let w = read(&root, &format!("WorkItem/{item}.json"));
    assert_eq!((&w["activityId"], &w["action"]), (&json!("20"), &json!(2)));
}

#[test]
fn a_dry_run_prints_the_plan_and_writes_nothing_and_other_cases_are_refused() {
    let (_d, root, inst, item) = suspended();
    edit_version(&root);
    let before = files(&root);
    let out = bpe(&[
        "migrate",
        s(&root),
        &inst,
        "--to",
        "Onboard Employee",
        "--dry-run",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let shown = text(&out.stdout);
    assert!(shown.contains("token 0: \"Manager Approval\" (id 4) -> \"Manager Review\" (id 4), waiting, manual action 2 -> 2"), "{shown}");
    assert!(
        shown.contains("new variable hrContact = \"hr-Engineering\"")
            && shown.ends_with("dry run: nothing changed\n"),
        "{shown}"
    );
    assert_eq!(files(&root), before);

    // The same version again, and a finished case, are refused.
    edit(&root, |_| {});
    ok_json(&[
        "complete",
        s(&root),
        &item,
        "--decision",
        "reject",
        "--json",
    ]);
    let out = migrate(&root, &inst, &[]);
    assert_ne!(out.status.code(), Some(0));
    let out = bpe(&["migrate", s(&root), "ti-none", "--to", "Onboard Employee"]);
    assert_eq!(out.status.code(), Some(2));
}

/// How many intent records `.bpe/migrations/` holds.
fn intent_records(root: &Path) -> usize {
    std::fs::read_dir(root.join(".bpe/migrations")).map_or(0, |d| d.count())
}

/// Run a migration that kills itself at `point`; then every open settles it.
fn killed_at(
    point: &str,
) -> (
    tempfile::TempDir,
    PathBuf,
    String,
    String,
    BTreeMap<PathBuf, Vec<u8>>,
) {
    let (d, root, inst, item) = suspended();
    edit_version(&root);
    let before = files(&root);
    let out = Command::new(env!("CARGO_BIN_EXE_bpe"))
        .args(["migrate", s(&root), &inst, "--to", "Onboard Employee"])
        .env("BPE_FAULT_MIGRATE", point)
        .output()
        .unwrap();
    assert_eq!(
        out.status.signal(),
        Some(9),
        "killed at {point}: {}",
        text(&out.stderr)
    );
    (d, root, inst, item, before)
}

#[test]
fn killed_after_the_work_items_the_next_open_puts_the_old_state_back() {
    let (_d, root, inst, item, before) = killed_at("after-work-items");
    let wi = format!("WorkItem/{item}.json");
    let ti = format!("TaskInstance/{inst}.json");
    // Half done on disk: the item is on the new version, the instance is not.
    assert_ne!(
        read(&root, &wi)["definition"],
        read(&root, &ti)["definition"]
    );
    assert_eq!(intent_records(&root), 1);
    bpe(&["tasks", s(&root)]);
    let after = files(&root);
    for rel in [&wi, &ti] {
        assert_eq!(
            after[Path::new(rel)],
            before[Path::new(rel)],
            "{rel} is back to the old bytes"
        );
    }
    assert_eq!(intent_records(&root), 0, "the intent record is gone");
    // And the move can be made again.
    assert_eq!(migrate(&root, &inst, &[]).status.code(), Some(0));
}

#[test]
fn killed_after_the_instance_the_move_stands_and_is_completed() {
    let (_d, root, inst, item, _) = killed_at("after-instance");
    bpe(&["tasks", s(&root)]);
    let i = read(&root, &format!("TaskInstance/{inst}.json"));
    let w = read(&root, &format!("WorkItem/{item}.json"));
    assert_eq!(
        i["definition"], w["definition"],
        "instance and work item on one version"
    );
    assert_eq!(
        i["history"].as_array().unwrap().last().unwrap()["event"],
        "migrated"
    );
    assert_eq!(intent_records(&root), 0, "the intent record is gone");
    let done = approve(&root, &item);
    assert_eq!(done["status"], "completed");
}

#[test]
fn an_intent_record_naming_other_files_is_refused() {
    let (_d, root, inst, _item) = suspended();
    let def_before = std::fs::read(root.join(ONBOARD)).unwrap();
    let w = read(
        &root,
        &std::fs::read_dir(root.join("WorkItem"))
            .unwrap()
            .next()
            .map(|e| format!("WorkItem/{}", e.unwrap().file_name().to_string_lossy()))
            .unwrap(),
    );
    std::fs::create_dir_all(root.join(".bpe/migrations")).unwrap();
    let intent = json!({
        "instance": inst, "instancePath": format!("TaskInstance/{inst}.json"),
        "from": "sha256:x", "to": "sha256:y",
        "workItems": [{"path": ONBOARD, "old": w, "new": w}]
    });
    let record = root.join(format!(".bpe/migrations/{inst}.json"));
    std::fs::write(&record, serde_json::to_vec(&intent).unwrap()).unwrap();
    let out = bpe(&["tasks", s(&root)]);
    assert!(
        text(&out.stderr).contains("names files outside"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(root.join(ONBOARD)).unwrap(), def_before);
    assert!(record.exists(), "left in place for a person to look at");
}

#[test]
fn a_case_whose_lock_is_held_is_not_migrated() {
    let (_d, root, inst, _item) = suspended();
    edit_version(&root);
    let before = files(&root);
    let _held = bpe::repo::lock::acquire(
        &root,
        bpe::repo::lock::LockTarget::Instance(inst.clone()),
        bpe::repo::lock::LockMode::Exclusive,
        "test holder",
    )
    .unwrap();
    let out = migrate(&root, &inst, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("test holder"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(files(&root), before);
}
