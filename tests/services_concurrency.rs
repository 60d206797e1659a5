//! Twenty real `bpe run` processes writing the same identity at once, on a temporary copy of
//! the sample repository: every identity-store write is a read-modify-write under the
//! object's write lock, so no write is lost and exactly one of twenty creates wins.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value as J, json};
use services_support::{Case, Fixture, completed_run, copy_sample, s};

mod services_support;

const N: usize = 20;

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
    copy_sample(&root);
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
        .map(|child| completed_run(child.wait_with_output().unwrap()))
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
        assert_eq!(r["variables"]["failed"], false, "{r:#}");
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
        assert_eq!(r["variables"]["failed"], false, "{r:#}");
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
        .filter(|&i| reports[i]["variables"]["failed"] == false)
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

/// A write that finds its object's write lock taken (here by the test, as another runner
/// would hold it) waits for it, within a bound, instead of failing the run.
#[test]
fn a_write_waits_for_the_holder_of_the_write_lock() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let set = |name: &str, value: &str| {
        [
            ("accountId", s("jsmith")),
            ("name", s(name)),
            ("value", s(value)),
        ]
    };
    Case::new("ti-a")
        .call(&mut svc, "setProperty", &set("first", "1"))
        .unwrap();
    let locks = write_lock_files(&fx);
    let name = locks[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("user-jsmith-") && name.len() == "user-jsmith-".len() + 13,
        "{name}"
    );
    let held = std::fs::File::options()
        .read(true)
        .write(true)
        .open(&locks[0])
        .unwrap();
    held.lock().unwrap();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(held);
    });
    let started = Instant::now();
    Case::new("ti-b")
        .call(&mut svc, "setProperty", &set("second", "2"))
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(250));
    releaser.join().unwrap();
    let user = fx.json("User/jsmith.json");
    assert_eq!(user["attributes"]["first"], "1");
    assert_eq!(user["attributes"]["second"], "2");
    // The holder names itself in the lock file, for anyone who gives up waiting.
    let holder: J = serde_json::from_str(&std::fs::read_to_string(&locks[0]).unwrap()).unwrap();
    assert_eq!(holder["object"], "User:jsmith");
    assert_eq!(holder["instance"], "ti-b");
    assert_eq!(holder["owner"], "admin");
    assert_eq!(holder["pid"], std::process::id());
}

/// The write-lock files (`.bpe/objectlocks/*.lock`); the tests below expect exactly one.
fn write_lock_files(fx: &Fixture) -> Vec<PathBuf> {
    let locks: Vec<PathBuf> = std::fs::read_dir(fx.root().join(".bpe/objectlocks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "lock"))
        .collect();
    assert_eq!(locks.len(), 1, "{locks:?}");
    locks
}

/// A runner killed while it holds a write lock leaves nothing that blocks: the lock is an OS
/// file lock, gone with its process (here flock(1) holds it and is SIGKILLed).
#[test]
fn a_killed_holder_leaves_no_write_lock_behind() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let set = |value: &str| {
        [
            ("accountId", s("jsmith")),
            ("name", s("badge")),
            ("value", s(value)),
        ]
    };
    Case::new("ti-a")
        .call(&mut svc, "setProperty", &set("1"))
        .unwrap();
    let lock = write_lock_files(&fx).remove(0);
    // -o: the lock stays with flock(1) itself, not with the sleep it runs.
    let mut holder = Command::new("flock")
        .args(["-x", "-o"])
        .arg(&lock)
        .args(["sleep", "60"])
        .spawn()
        .expect("flock(1)");
    // Wait until the holder has it.
    let probe = std::fs::File::open(&lock).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while probe.try_lock().is_ok() {
        probe.unlock().unwrap();
        assert!(Instant::now() < deadline, "flock(1) never took the lock");
        std::thread::sleep(Duration::from_millis(10));
    }
    holder.kill().unwrap();
    holder.wait().unwrap();
    Case::new("ti-b")
        .call(&mut svc, "setProperty", &set("2"))
        .unwrap();
    assert_eq!(fx.json("User/jsmith.json")["attributes"]["badge"], "2");
}
