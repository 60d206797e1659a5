//! Files that fail to load are reported by the listings and by `complete`,
//! never silently left out (issue 9). Through the real binary.

use std::path::Path;
use std::process::Output;

use serde_json::{Value as J, json};

mod common;
use common::bpe;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A repository with one suspended case of "Ask" (one pending work item), whose
/// instance and work item files are then damaged. Returns (instance id, work item id).
fn repo_with_broken_case(root: &Path) -> (String, String) {
    std::fs::create_dir_all(root.join("TaskDefinition")).unwrap();
    let def = json!({
        "formatVersion": 1, "id": "td-ask", "name": "Ask",
        "process": {"activities": [
            {"id": "0", "name": "start", "transitions": [{"to": "Ask"}]},
            {"id": "1", "name": "Ask", "actions": [{"kind": "manual", "owners": ["\"tester\""]}],
             "transitions": [{"to": "end"}]},
            {"id": "2", "name": "end"}
        ]}
    });
    std::fs::write(root.join("TaskDefinition/ask.json"), def.to_string()).unwrap();
    let out = bpe(&["run", s(root), "Ask", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: J = serde_json::from_slice(&out.stdout).unwrap();
    let instance = report["instance"].as_str().unwrap().to_string();
    let item = report["workItems"][0].as_str().unwrap().to_string();
    // A variable nested deeper than the JSON reader accepts, as older versions wrote.
    let mut deep = json!(1);
    for _ in 0..200 {
        deep = json!([deep]);
    }
    for (dir, id) in [("TaskInstance", &instance), ("WorkItem", &item)] {
        let path = root.join(dir).join(format!("{id}.json"));
        let mut file: J = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        file["variables"]["x"] = deep.clone();
        std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
    }
    (instance, item)
}

#[test]
fn tasks_and_workitems_list_unloadable_files_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (instance, item) = repo_with_broken_case(root);

    let out = bpe(&["tasks", s(root)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("bpe: cannot load TaskInstance/{instance}.json:")),
        "{err}"
    );
    assert!(err.contains("recursion limit exceeded"), "{err}");

    let out = bpe(&["tasks", s(root), "--json", "--status", "running"]);
    assert_eq!(out.status.code(), Some(1));
    let rows: J = serde_json::from_slice(&out.stdout).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["instance"] == instance.as_str())
        .expect("the unloadable instance is listed");
    assert_eq!(row["status"], "unloadable");
    assert_eq!(row["path"], format!("TaskInstance/{instance}.json"));
    assert!(
        row["error"]
            .as_str()
            .unwrap()
            .contains("recursion limit exceeded"),
        "{row}"
    );

    let out = bpe(&["workitems", s(root), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let rows: J = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["id"], item.as_str());
    assert_eq!(rows[0]["status"], "unloadable");
    let err = stderr(&bpe(&["workitems", s(root)]));
    assert!(err.contains(&format!("WorkItem/{item}.json")), "{err}");
}

#[test]
fn complete_on_an_unloadable_work_item_says_its_load_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (_, item) = repo_with_broken_case(root);
    let out = bpe(&["complete", s(root), &item, "--decision", "approve"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "work item {item} does not load: WorkItem/{item}.json:"
        )),
        "{err}"
    );
    assert!(!err.contains("no work item"), "{err}");
}

#[test]
fn a_repository_without_broken_files_lists_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let out = bpe(&["tasks", s(dir.path())]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = bpe(&["workitems", s(dir.path()), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(serde_json::from_slice::<J>(&out.stdout).unwrap(), json!([]));
}
