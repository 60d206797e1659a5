//! The life of a case as the docs promise it, through the real binary: locks kept
//! fresh while a run outlives `lockStaleAfter`, the TaskInstance written at start,
//! interrupted cases, `execMode: async`, dry runs that write nothing.

mod cli_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use bpe::engine::store;
use bpe::model::{InstanceStatus, TaskInstance};
use bpe::repo::Repository;
use bpe::repo::lock::{self, LockTarget};
use cli_common::{ONBOARD_ADA, bpe, ok_json, s, sample_copy};
use serde_json::{Value as J, json};

/// A repository with `lockStaleAfter` seconds and the given definitions.
fn repo(stale_after: Option<u64>, defs: &[J]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join("TaskDefinition")).unwrap();
    let mut settings = json!({"commands": {}});
    if let Some(n) = stale_after {
        settings["lockStaleAfter"] = json!(n);
    }
    std::fs::write(
        root.join("repository.json"),
        serde_json::to_vec_pretty(&json!({"formatVersion": 1, "name": "t", "settings": settings}))
            .unwrap(),
    )
    .unwrap();
    for d in defs {
        let file = format!("{}.json", d["id"].as_str().unwrap());
        std::fs::write(
            root.join("TaskDefinition").join(file),
            serde_json::to_vec_pretty(d).unwrap(),
        )
        .unwrap();
    }
    (dir, root)
}

/// Loops for ever (A -> B -> A), writing progress every `progress` ms.
fn spin(progress: i64) -> J {
    json!({"formatVersion": 1, "id": "td-spin", "name": "Spin", "progressInterval": progress,
        "resultLimit": -1,
        "process": {"maxSteps": 1_000_000_000_i64, "activities": [
            {"id": "0", "name": "start", "transitions": [{"to": "A"}]},
            {"id": "1", "name": "A", "actions": [{"kind": "expression", "expression": "(set name=\"i\" (add $i 1))"}],
             "transitions": [{"to": "B"}]},
            {"id": "2", "name": "B", "transitions": [{"to": "A"}]}]}})
}

/// Counts to `n`, then ends; `execMode` as given.
fn count(n: i64, exec_mode: &str) -> J {
    json!({"formatVersion": 1, "id": "td-count", "name": "Count", "execMode": exec_mode,
        "resultLimit": -1, "progressInterval": 100,
        "process": {"maxSteps": 1_000_000_000_i64, "activities": [
            {"id": "0", "name": "start", "transitions": [{"to": "A"}]},
            {"id": "1", "name": "A", "actions": [{"kind": "expression", "expression": "(set name=\"i\" (add $i 1))"}],
             "transitions": [{"to": "end", "condition": format!("(gte $i {n})")}, {"to": "A"}]},
            {"id": "2", "name": "end"}]}})
}

fn spawn_run(root: &Path, name: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_bpe"))
        .args(["run", s(root), name])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Poll until `f` gives something, or fail after `secs` seconds.
fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(x) = f() {
            return x;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn first_instance(root: &Path) -> Option<TaskInstance> {
    Repository::open(root)
        .ok()?
        .instances
        .first()
        .map(|l| l.value.clone())
}

fn tasks(root: &Path, extra: &[&str]) -> Vec<J> {
    let mut args = vec!["tasks", s(root), "--json"];
    args.extend_from_slice(extra);
    ok_json(&args).as_array().unwrap().clone()
}

/// Wait (at most a minute) until `bpe tasks` shows instance `id` with `status`.
fn wait_for_status(root: &Path, id: &str, status: &str) {
    wait_for(60, &format!("{id} to be {status}"), || {
        let t = tasks(root, &[]);
        (t.iter().find(|t| t["instance"] == id)?["status"] == status).then_some(())
    });
}

#[test]
fn a_run_longer_than_lock_stale_after_keeps_its_locks_live_and_unbreakable() {
    let (_dir, root) = repo(Some(2), &[spin(50)]);
    let mut child = spawn_run(&root, "Spin");
    let inst = wait_for(30, "the instance", || first_instance(&root));
    // Well past lockStaleAfter (2 s): every lock of the run must still be live.
    std::thread::sleep(Duration::from_secs(5));
    let locks = ok_json(&["locks", s(&root), "--json"]);
    let locks = locks.as_array().unwrap();
    let names: Vec<&str> = locks.iter().map(|l| l["name"].as_str().unwrap()).collect();
    let instance_lock = LockTarget::Instance(inst.id.clone()).lock_name();
    assert!(names.contains(&"run-td-spin"), "{locks:#?}");
    assert!(names.contains(&instance_lock.as_str()), "{locks:#?}");
    for l in locks {
        assert_eq!(l["stale"], false, "{l:#}");
        for h in l["holders"].as_array().unwrap() {
            assert!(h["stale"].is_null(), "{h:#}");
        }
    }
    // Every holder's heartbeat keeps moving (the run lock's was never refreshed before,
    // the instance lock's only every 10 s); how often is the unit tests' business.
    let beats = |root: &Path| -> BTreeMap<String, String> {
        lock::list(root)
            .unwrap()
            .into_iter()
            .flat_map(|l| l.holders)
            .filter_map(|h| h.holder)
            .map(|h| (h.target.kind().to_string(), h.heartbeat))
            .collect()
    };
    let first = beats(&root);
    assert_eq!(first.len(), 2, "{first:?}");
    wait_for(9, "both heartbeats to move", || {
        let now = beats(&root);
        first
            .iter()
            .all(|(k, v)| now.get(k).is_some_and(|n| n != v))
            .then_some(())
    });
    for name in ["run-td-spin", instance_lock.as_str()] {
        let out = bpe(&["locks", s(&root), "--break", name]);
        assert_eq!(out.status.code(), Some(2), "{name} was broken while live");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--force"), "{err}");
        assert!(err.contains("bpe run"), "the holder is named: {err}");
    }
    // With --force the instance lock is broken, and the runner stops writing.
    let forced = ok_json(&[
        "locks",
        s(&root),
        "--break",
        &instance_lock,
        "--force",
        "--json",
    ]);
    assert_eq!(forced.as_array().unwrap().len(), 1, "{forced:#}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the runner went on after its instance lock was broken");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("broken"), "{err}");
}

#[test]
fn a_run_killed_at_once_is_listed_as_interrupted_and_can_be_terminated() {
    // No progress write for a minute: only the write at start can make the instance exist.
    let (_dir, root) = repo(None, &[spin(60_000)]);
    let mut child = spawn_run(&root, "Spin");
    let inst = wait_for(30, "the instance written at start", || {
        first_instance(&root)
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(inst.status, InstanceStatus::Running);
    assert_eq!(inst.steps, 0, "written before the first step");
    let listed = tasks(&root, &[]);
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(listed[0]["instance"], inst.id.as_str());
    assert_eq!(listed[0]["status"], "interrupted", "{listed:#?}");
    assert_eq!(tasks(&root, &["--status", "interrupted"]).len(), 1);
    assert!(tasks(&root, &["--status", "running"]).is_empty());
    let text = String::from_utf8(bpe(&["tasks", s(&root)]).stdout).unwrap();
    assert!(
        text.contains("interrupted") && text.contains("bpe resume"),
        "{text}"
    );
    let out = bpe(&["terminate", s(&root), &inst.id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(tasks(&root, &[])[0]["status"], "terminated");
}

/// A listing reads the instance file, then probes its lock: a runner that finished in
/// between has released its lock, but its case is not interrupted (CI saw a completed
/// async case listed `interrupted` for a moment).
#[test]
fn a_case_that_ended_after_it_was_read_is_not_shown_interrupted() {
    let (_dir, root) = repo(None, &[count(50, "sync")]);
    let (case, catalog, guard) = store::begin(
        &root,
        "Count",
        &BTreeMap::new(),
        &store::RunOptions::default(),
    )
    .unwrap();
    let read_before = first_instance(&root).unwrap();
    drop((case, catalog, guard));
    let out = bpe(&["terminate", s(&root), &read_before.id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read_before.status, InstanceStatus::Running);
    assert!(!store::is_interrupted(&root, &read_before));
    assert_eq!(store::shown_status(&root, &read_before), "running");
}

#[test]
fn an_interrupted_case_resumes_where_it_was_written() {
    let (_dir, root) = repo(None, &[count(50, "sync")]);
    // A runner that wrote the case and died: begun, never driven, locks dropped.
    let (case, catalog, guard) = store::begin(
        &root,
        "Count",
        &BTreeMap::new(),
        &store::RunOptions::default(),
    )
    .unwrap();
    let id = case.id().to_string();
    let on_disk = first_instance(&root).unwrap();
    assert!(
        !store::is_interrupted(&root, &on_disk),
        "its runner holds it"
    );
    drop((case, catalog, guard));
    assert!(store::is_interrupted(&root, &on_disk));
    assert_eq!(tasks(&root, &[])[0]["status"], "interrupted");
    let r = ok_json(&["resume", s(&root), &id, "--json"]);
    assert_eq!(r["status"], "completed", "{r:#}");
    assert_eq!(r["variables"]["i"], 50, "{r:#}");
    assert_eq!(tasks(&root, &[])[0]["status"], "completed");
    // Nothing left to resume.
    let out = bpe(&["resume", s(&root), &id]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already completed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_async_definition_returns_at_once_and_runs_on_in_the_background() {
    let (_dir, root) = repo(None, &[count(20_000, "async")]);
    let r = ok_json(&["run", s(&root), "Count", "--json"]);
    assert_eq!(r["async"], true, "{r:#}");
    assert_eq!(r["status"], "running", "{r:#}");
    let id = r["instance"].as_str().unwrap().to_string();
    // The instance exists when the id is printed, and is never seen interrupted.
    let inst = Repository::open(&root)
        .unwrap()
        .instance(&id)
        .map(|l| l.value.clone())
        .expect("written before the id is returned");
    assert_ne!(store::shown_status(&root, &inst), "interrupted");
    let done = wait_for(120, "the background case to complete", || {
        let t = tasks(&root, &[]);
        let row = t.iter().find(|t| t["instance"] == id.as_str())?.clone();
        assert_ne!(row["status"], "interrupted", "{row:#}");
        assert_ne!(row["status"], "failed", "{row:#}");
        (row["status"] == "completed").then_some(row)
    });
    assert!(done["steps"].as_i64().unwrap() > 0, "{done:#}");
    let inst = Repository::open(&root)
        .unwrap()
        .instance(&id)
        .unwrap()
        .value
        .clone();
    assert_eq!(inst.variables["i"], bpe::expr::Value::Int(20_000));
    // Its locks are released once it is done, and it says how it ended in the log.
    wait_for(30, "the locks to be released", || {
        lock::list(&root).unwrap().is_empty().then_some(())
    });
    let log = std::fs::read_to_string(root.join(".bpe/async.log")).unwrap();
    assert!(log.contains(&format!("{id} completed")), "{log}");
    // --foreground runs it here, to its end.
    let r = ok_json(&["run", s(&root), "Count", "--foreground", "--json"]);
    assert_eq!(r["status"], "completed", "{r:#}");
    assert!(r.get("async").is_none(), "{r:#}");
}

/// Waveset's syncControlAllowed "(Boolean) Indicates whether the user is permitted to
/// request synchronous or asynchronous execution. Default is true." (Oracle Waveset 8.1.1
/// Deployment Reference, Task Definition Parameters,
/// https://docs.oracle.com/cd/E19225-01/821-0378/bvaay/index.html)
#[test]
fn sync_control_allowed_false_refuses_foreground_for_an_async_definition() {
    let mut def = count(3, "async");
    def["syncControlAllowed"] = json!(false);
    let (_dir, root) = repo(None, &[def]);
    let out = bpe(&["run", s(&root), "Count", "--foreground"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("syncControlAllowed false"), "{err}");
    assert!(first_instance(&root).is_none(), "nothing was started");
    // Without --foreground it runs in the background as declared.
    let r = ok_json(&["run", s(&root), "Count", "--json"]);
    wait_for_status(&root, r["instance"].as_str().unwrap(), "completed");
}

/// A holder that is alive but silent (hung) is shown live, with its silence, and is
/// broken only with --force.
#[test]
fn a_hung_holder_is_shown_live_and_breaks_only_with_force() {
    // lockStaleAfter 600 s: the heartbeat thread beats this lock only every 200 s.
    let (_dir, root) = repo(Some(600), &[]);
    let g = lock::acquire(
        &root,
        LockTarget::DefinitionEdit("td-x".into()),
        lock::LockMode::Exclusive,
        "editor",
    )
    .unwrap();
    // Its heartbeat stopped long ago.
    let mut old = g.holder();
    old.heartbeat = "2000-01-01T00:00:00Z".into();
    let record = lock::list(&root).unwrap()[0].holders[0].record.clone();
    std::fs::write(&record, serde_json::to_vec(&old).unwrap()).unwrap();
    let text = String::from_utf8(bpe(&["locks", s(&root)]).stdout).unwrap();
    assert!(text.contains("live (no heartbeat for"), "{text}");
    let out = bpe(&["locks", s(&root), "--break", "edit-td-x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    let out = bpe(&["locks", s(&root), "--break", "edit-td-x", "--force"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(matches!(g.check(), Err(lock::LockError::Broken(_))));
}

#[test]
fn an_async_run_gets_its_inputs_on_a_pipe_not_its_command_line() {
    let mut def = spin(50);
    def["execMode"] = json!("async");
    let (_dir, root) = repo(None, &[def]);
    let secret = "Pipe-Only-S3cret";
    let set = format!("token={secret}");
    let r = ok_json(&["run", s(&root), "Spin", "--set", &set, "--json"]);
    let pid = r["pid"].as_u64().unwrap() as u32;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    // Stop it before asserting, so a failure leaves no process behind.
    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    let cmdline = String::from_utf8_lossy(&cmdline);
    assert!(cmdline.contains("run-detached"), "{cmdline}");
    assert!(!cmdline.contains(secret), "{cmdline}");
    assert!(!String::from_utf8_lossy(&environ).contains(secret));
    // Killed, it is an interrupted case like any other.
    let id = r["instance"].as_str().unwrap().to_string();
    wait_for_status(&root, &id, "interrupted");
}

#[test]
fn an_async_case_that_fails_at_once_is_listed_failed() {
    let mut def = count(3, "async");
    def["process"]["activities"][1]["actions"][0]["expression"] = json!("(set name=");
    let (_dir, root) = repo(None, &[def]);
    // A definition that does not compile still starts (and fails at once): the id comes
    // back, and the background process records the failure in the instance.
    let r = ok_json(&["run", s(&root), "Count", "--json"]);
    let id = r["instance"].as_str().unwrap().to_string();
    wait_for_status(&root, &id, "failed");
}

#[test]
fn a_dry_run_shows_its_run_lock_while_it_runs() {
    let (_dir, root) = repo(None, &[spin(50)]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_bpe"))
        .args(["run", s(&root), "Spin", "--dry-run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let holder = wait_for(30, "the dry run's run lock", || {
        let locks = ok_json(&["locks", s(&root), "--json"]);
        locks
            .as_array()?
            .iter()
            .find(|l| l["name"] == "run-td-spin")
            .cloned()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        holder["holders"][0]["holder"]["purpose"], "bpe run",
        "{holder:#}"
    );
    assert_eq!(
        holder["holders"][0]["holder"]["mode"], "shared",
        "{holder:#}"
    );
    // No instance lock, no instance.
    assert!(first_instance(&root).is_none());
}

/// Every path under `root` (except `.bpe/locks/`, and `.bpe` itself, which is created
/// to hold it) with its kind, bytes and mtime. Anything else under `.bpe/` is listed.
fn listing(root: &Path) -> BTreeMap<String, (bool, Vec<u8>, Option<SystemTime>)> {
    fn walk(
        root: &Path,
        dir: &Path,
        out: &mut BTreeMap<String, (bool, Vec<u8>, Option<SystemTime>)>,
    ) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if rel == ".bpe/locks" {
                continue;
            }
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let mtime = Some(meta.modified().unwrap());
            if rel == ".bpe" {
                walk(root, &p, out);
            } else if meta.is_dir() {
                out.insert(rel, (true, Vec::new(), mtime));
                walk(root, &p, out);
            } else {
                out.insert(rel, (false, std::fs::read(&p).unwrap(), mtime));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn a_dry_run_writes_nothing_but_takes_the_run_lock() {
    let (_dir, root) = sample_copy();
    let before = listing(&root);
    // Sends mail, audits, changes a user, writes an instance: all recorded, none applied.
    let r = ok_json(&[
        "run",
        s(&root),
        "Change Password",
        "--set",
        "accountId=jsmith",
        "--set",
        "password=Tr1cky-Passphrase",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(r["status"], "completed", "{r:#}");
    assert!(!r["effects"].as_array().unwrap().is_empty(), "{r:#}");
    // Creates a work item and a notification when it runs for real.
    let r = ok_json(
        &[
            ["run", s(&root), "Onboard Employee"].as_slice(),
            &ONBOARD_ADA,
            &["--dry-run", "--json"],
        ]
        .concat(),
    );
    assert_eq!(r["status"], "suspended", "{r:#}");
    let after = listing(&root);
    let changed: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(changed.is_empty(), "a dry run changed {changed:?}");
    // It held the definition's run lock: the lock file is there, no holder record is left.
    let locks = root.join(".bpe/locks");
    let files: Vec<String> = std::fs::read_dir(&locks)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("run-td-") && f.ends_with(".lock")),
        "{files:?}"
    );
    assert!(
        !files.iter().any(|f| f.ends_with(".holder.json")),
        "{files:?}"
    );
}

/// A transient variable never reaches the disk, nor do copies of its value; the
/// instance is still written at start. Waveset keeps such values in memory only:
/// "Attributes with Transient Values … are not stored in the Identity Manager
/// repository" (Sun Identity Manager 8.1 Deployment Reference,
/// https://docs.oracle.com/cd/E19225-01/820-5821/bvaor/index.html).
#[test]
fn transient_variables_and_their_copies_stay_off_the_disk() {
    let secret = "S3cret-Value-42";
    let def = json!({"formatVersion": 1, "id": "td-secret", "name": "Secret", "resultLimit": -1,
        "resultTrace": true,
        "process": {
            "variables": [
                {"name": "password", "input": true, "transient": true},
                {"name": "copy"}, {"name": "approver", "input": true}],
            "activities": [
                {"id": "0", "name": "start", "transitions": [{"to": "Use"}]},
                {"id": "1", "name": "Use", "actions": [
                    {"kind": "expression", "expression": "(set name=\"copy\" (concat \"got \" $password))"},
                    {"kind": "expression", "expression": "(block trace=\"true\" $password)"}],
                 "transitions": [{"to": "Ask"}]},
                {"id": "2", "name": "Ask", "actions": [{"kind": "manual", "owners": ["$approver"]}],
                 "transitions": [{"to": "end"}]},
                {"id": "3", "name": "end"}]}});
    let (_dir, root) = repo(None, &[def]);
    let set = format!("password={secret}");
    let r = ok_json(&[
        "run",
        s(&root),
        "Secret",
        "--set",
        &set,
        "--set",
        "approver=jsmith",
        "--json",
    ]);
    assert_eq!(r["status"], "suspended", "{r:#}");
    assert_eq!(r["variables"]["password"], J::Null, "{r:#}");
    assert_eq!(r["variables"]["copy"], "got ********", "{r:#}");
    let mut files = Vec::new();
    for sub in ["TaskInstance", "WorkItem"] {
        for e in std::fs::read_dir(root.join(sub)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            !text.contains(secret),
            "{} holds the secret:\n{text}",
            f.display()
        );
    }
    // Resumed in another process, the case sees null, and still writes nothing secret.
    let item = r["workItems"][0].as_str().unwrap();
    // The approver types a new value for it: the case gets it, the item records null.
    let typed = "Typed-By-Approver-9";
    let set = format!("password={typed}");
    let done = ok_json(&[
        "complete",
        s(&root),
        item,
        "--decision",
        "approve",
        "--set",
        &set,
        "--json",
    ]);
    assert_eq!(done["status"], "completed", "{done:#}");
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            !text.contains(secret) && !text.contains(typed),
            "{}:\n{text}",
            f.display()
        );
    }
}
