//! Twenty real `bpe run` processes writing the same identity at once, on a temporary copy of
//! the sample repository: every identity-store write is a read-modify-write under the
//! object's write lock, so no write is lost and exactly one of twenty creates wins.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value as J, json};

const N: usize = 20;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn write_json(root: &Path, rel: &str, value: &J) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

/// A copy of the sample repository with a one-action workflow `name` calling `op` with
/// `arguments` (expressions), which records the action's error flag and result.
fn sample_with_workflow(name: &str, op: &str, arguments: J) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-repository"),
        &root,
    );
    write_json(
        &root,
        "TaskDefinition/concurrency-test.json",
        &json!({"formatVersion": 1, "id": "td-concurrency-test", "name": name, "resultLimit": -1,
            "process": {"activities": [
                {"id": "0", "name": "start", "transitions": [{"to": "Write"}]},
                {"id": "1", "name": "Write", "actions": [
                    {"kind": "service", "op": op, "arguments": arguments},
                    {"kind": "expression",
                     "expression": "(block (set name=\"failed\" $WF_ACTION_ERROR) (set name=\"outcome\" $WF_ACTION_RESULT))"}],
                 "transitions": [{"to": "end"}]},
                {"id": "2", "name": "end"}]}}),
    );
    (dir, root)
}

/// Start `N` runs of `name` at once, run `i` with the inputs `sets(i)`; their JSON reports
/// in order.
fn run_concurrently(root: &Path, name: &str, sets: impl Fn(usize) -> Vec<String>) -> Vec<J> {
    let children: Vec<Child> = (0..N)
        .map(|i| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_bpe"));
            cmd.arg("run").arg(root).arg(name).arg("--json");
            for set in sets(i) {
                cmd.arg("--set").arg(set);
            }
            cmd.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start bpe")
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "bpe run failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let report: J = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(report["status"], "completed", "{report:#}");
            report
        })
        .collect()
}

fn read_user(root: &Path, id: &str) -> J {
    let text = std::fs::read_to_string(root.join("User").join(format!("{id}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn twenty_processes_setting_properties_of_one_user_lose_nothing() {
    let (_dir, root) = sample_with_workflow(
        "Set Property",
        "setProperty",
        json!([{"name": "accountId", "value": "\"jsmith\""},
               {"name": "name", "value": "$prop"},
               {"name": "value", "value": "$val"}]),
    );
    let reports = run_concurrently(&root, "Set Property", |i| {
        vec![format!("prop=p{i:02}"), format!("val=v{i}")]
    });
    for r in &reports {
        assert_eq!(r["variables"]["failed"], 0, "{r:#}");
    }
    let user = read_user(&root, "jsmith");
    for i in 0..N {
        assert_eq!(
            user["attributes"][format!("p{i:02}")],
            json!(format!("v{i}")),
            "property p{i:02} lost: {user:#}"
        );
    }
    // What the runs did not touch is intact.
    assert_eq!(user["firstName"], "John");
    assert_eq!(user["roles"].as_array().unwrap().len(), 3);
}

#[test]
fn twenty_processes_assigning_roles_to_one_user_lose_none() {
    let (_dir, root) = sample_with_workflow(
        "Assign Role",
        "assignRole",
        json!([{"name": "accountId", "value": "\"jsmith\""},
               {"name": "role", "value": "$role"}]),
    );
    for i in 0..N {
        write_json(
            &root,
            &format!("Role/concurrency-{i:02}.json"),
            &json!({"formatVersion": 1, "name": format!("Concurrency {i:02}"),
                "resources": []}),
        );
    }
    let reports = run_concurrently(&root, "Assign Role", |i| {
        vec![format!("role=Concurrency {i:02}")]
    });
    for r in &reports {
        assert_eq!(r["variables"]["failed"], 0, "{r:#}");
    }
    let user = read_user(&root, "jsmith");
    let roles: Vec<&str> = user["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    for i in 0..N {
        let role = format!("Concurrency {i:02}");
        assert!(roles.contains(&role.as_str()), "{role} lost: {roles:?}");
    }
    assert!(roles.contains(&"Developer"), "{roles:?}");
    assert_eq!(roles.len(), 3 + N, "{roles:?}");
}

#[test]
fn of_twenty_concurrent_creates_of_one_id_exactly_one_succeeds() {
    let (_dir, root) = sample_with_workflow(
        "Create User",
        "createUser",
        json!([{"name": "accountId", "value": "\"newhire\""},
               {"name": "firstName", "value": "$first"},
               {"name": "lastName", "value": "\"Hire\""}]),
    );
    let reports = run_concurrently(&root, "Create User", |i| vec![format!("first=Run{i}")]);
    let winners: Vec<usize> = (0..N)
        .filter(|&i| reports[i]["variables"]["failed"] == 0)
        .collect();
    assert_eq!(winners.len(), 1, "winners {winners:?}");
    let winner = winners[0];
    assert_eq!(reports[winner]["variables"]["outcome"], "newhire");
    for (i, r) in reports.iter().enumerate() {
        if i == winner {
            continue;
        }
        let message = r["variables"]["outcome"].as_str().unwrap_or_default();
        assert!(
            message.contains("createUser: user 'newhire' already exists"),
            "run {i}: {message}"
        );
    }
    let user = read_user(&root, "newhire");
    assert_eq!(user["firstName"], format!("Run{winner}"), "{user:#}");
}
