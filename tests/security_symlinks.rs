//! The repository boundary (docs/security.md, "Repository boundary"): nothing
//! bpe writes or reads as data resolves outside the repository. Each case
//! points a part of the repository at a directory outside it through a symbolic
//! link, runs the real binary, and checks that the access is refused with an
//! error naming the link and that nothing was written outside.
#![cfg(unix)]

mod boundary_common;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Output;

use boundary_common::{bpe, copy_sample, files_below, text};

use serde_json::{Value as J, json};

/// A copy of the sample repository plus a definition "Probe" whose one
/// activity runs `action`, and an empty directory outside the repository.
struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
}

fn setup(action: J) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    copy_sample(&root);
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let def = json!({
        "formatVersion": 1, "id": "td-probe", "name": "Probe",
        "process": {
            "variables": [{"name": "accountId"}],
            "activities": [
                {"id": "a1", "name": "start", "transitions": [{"to": "work"}]},
                {"id": "a2", "name": "work", "actions": [action], "transitions": [{"to": "end"}]},
                {"id": "a3", "name": "end"}
            ]
        }
    });
    std::fs::write(
        root.join("TaskDefinition/probe.json"),
        serde_json::to_vec_pretty(&def).unwrap(),
    )
    .unwrap();
    Setup {
        _dir: dir,
        root,
        outside,
    }
}

fn audit() -> J {
    json!({"kind": "service", "op": "audit", "arguments": [
        {"name": "event", "value": "\"probe\""}, {"name": "subject", "value": "\"jsmith\""}
    ]})
}

fn run(root: &Path) -> Output {
    bpe(&[
        "run",
        root.to_str().unwrap(),
        "Probe",
        "--set",
        "accountId=jsmith",
        "--json",
    ])
}

#[test]
fn audit_log_linked_outside_is_refused() {
    let s = setup(audit());
    let target = s.outside.join("audit.jsonl");
    std::fs::write(&target, b"").unwrap();
    symlink(&target, s.root.join("audit.jsonl")).unwrap();
    let out = run(&s.root);
    let all = text(&out);
    assert!(
        all.contains("audit.jsonl is a symbolic link to") && all.contains("outside the repository"),
        "{all}"
    );
    assert_eq!(
        std::fs::read(&target).unwrap(),
        b"",
        "audit line written outside"
    );
}

#[test]
fn outbox_linked_outside_is_refused() {
    let s = setup(json!({"kind": "service", "op": "notify", "arguments": [
        {"name": "template", "value": "\"Access Granted\""},
        {"name": "to", "value": "\"someone@example.com\""}
    ]}));
    symlink(&s.outside, s.root.join("Outbox")).unwrap();
    let out = run(&s.root);
    let all = text(&out);
    assert!(
        all.contains("Outbox is a symbolic link to") && all.contains("outside the repository"),
        "{all}"
    );
    assert_eq!(files_below(&s.outside), Vec::<PathBuf>::new());
}

#[test]
fn state_directory_linked_outside_is_refused() {
    let s = setup(audit());
    symlink(&s.outside, s.root.join(".bpe")).unwrap();
    let out = run(&s.root);
    assert!(!out.status.success());
    let all = text(&out);
    assert!(
        all.contains(".bpe is a symbolic link to") && all.contains("outside the repository"),
        "{all}"
    );
    assert_eq!(files_below(&s.outside), Vec::<PathBuf>::new());
}

#[test]
fn instance_directory_linked_outside_is_refused_and_reported() {
    let s = setup(audit());
    symlink(&s.outside, s.root.join("TaskInstance")).unwrap();
    let out = run(&s.root);
    assert!(!out.status.success(), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("TaskInstance is a symbolic link to")
            && all.contains("outside the repository"),
        "{all}"
    );
    assert_eq!(files_below(&s.outside), Vec::<PathBuf>::new());
    // Loading reports the directory instead of reading through it.
    let list = bpe(&["list", s.root.to_str().unwrap()]);
    let all = text(&list);
    assert!(
        all.contains("TaskInstance:0:0:") && all.contains("outside the repository"),
        "{all}"
    );
}

#[test]
fn user_file_linked_outside_is_not_read() {
    let s = setup(json!({"kind": "service", "op": "getUser", "arguments": [
        {"name": "accountId", "value": "$accountId"}
    ]}));
    // A user file outside, with a secret the run must not see.
    let user = std::fs::read(s.root.join("User/jsmith.json")).unwrap();
    let mut user: J = serde_json::from_slice(&user).unwrap();
    user["attributes"] = json!({"secret": "outside-value"});
    let target = s.outside.join("jsmith.json");
    std::fs::write(&target, serde_json::to_vec(&user).unwrap()).unwrap();
    std::fs::remove_file(s.root.join("User/jsmith.json")).unwrap();
    symlink(&target, s.root.join("User/jsmith.json")).unwrap();
    let out = run(&s.root);
    let all = text(&out);
    assert!(!all.contains("outside-value"), "{all}");
    assert!(
        all.contains("User/jsmith.json is a symbolic link to"),
        "{all}"
    );
    // And loading reports it.
    let list = bpe(&["list", s.root.to_str().unwrap()]);
    let all = text(&list);
    assert!(
        all.contains("User/jsmith.json:0:0:") && all.contains("outside the repository"),
        "{all}"
    );
}

#[test]
fn links_inside_the_repository_and_a_linked_root_work() {
    let s = setup(audit());
    // The definitions live in another directory of the repository.
    std::fs::rename(s.root.join("TaskDefinition"), s.root.join("defs")).unwrap();
    symlink("defs", s.root.join("TaskDefinition")).unwrap();
    // The root itself is a link, from outside.
    let link_root = s.outside.join("repo-link");
    symlink(&s.root, &link_root).unwrap();
    let out = run(&link_root);
    assert!(out.status.success(), "{}", text(&out));
    let report: J = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "completed", "{report}");
    let audit = std::fs::read_to_string(s.root.join("audit.jsonl")).unwrap();
    assert!(audit.contains("\"probe\""), "{audit}");
    assert!(s.root.join("TaskInstance").is_dir());
}

#[test]
fn fifos_directories_and_links_named_json_are_load_errors() {
    let s = setup(audit());
    let defs = s.root.join("TaskDefinition");
    let fifo = defs.join("fifo.json");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    std::fs::create_dir(defs.join("dir.json")).unwrap();
    symlink("/nonexistent/x.json", defs.join("dangling.json")).unwrap();
    std::fs::write(s.outside.join("x.json"), b"{}").unwrap();
    symlink(s.outside.join("x.json"), defs.join("out.json")).unwrap();
    // A FIFO would block a plain read forever: this returns at once.
    let out = bpe(&["list", s.root.to_str().unwrap()]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for (file, what) in [
        ("fifo.json", "is a FIFO"),
        ("dir.json", "is a directory"),
        ("dangling.json", "does not resolve"),
        ("out.json", "outside the repository"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("TaskDefinition/{file}")))
            .unwrap_or_else(|| panic!("{file} not reported: {err}"));
        assert!(line.contains(what), "{line}");
    }
    // The other definitions still load.
    assert!(String::from_utf8_lossy(&out.stdout).contains("Probe"));
}

#[test]
fn lock_and_cache_commands_never_touch_a_state_directory_outside() {
    let s = setup(audit());
    // What a `.bpe` elsewhere holds: a lock with a stale record, a cache entry.
    let locks = s.outside.join("locks");
    let cache = s.outside.join("cache");
    std::fs::create_dir_all(&locks).unwrap();
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(locks.join("run-td-x.lock"), b"").unwrap();
    std::fs::write(locks.join("run-td-x.1-0.holder.json"), b"{}").unwrap();
    std::fs::write(cache.join(format!("{}.json", "a".repeat(64))), b"{}").unwrap();
    symlink(&s.outside, s.root.join(".bpe")).unwrap();
    let before = files_below(&s.outside);
    for args in [
        vec!["locks", s.root.to_str().unwrap()],
        vec!["locks", s.root.to_str().unwrap(), "--break", "run-td-x"],
        vec!["cache", s.root.to_str().unwrap(), "--clear", "--force"],
    ] {
        let out = bpe(&args);
        assert!(!out.status.success(), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains(".bpe is a symbolic link to"),
            "{args:?}: {}",
            text(&out)
        );
    }
    assert_eq!(files_below(&s.outside), before);
}

/// A FIFO named like a lock holder record: `bpe locks` and a run still finish
/// (a blocking open would wait forever for a writer).
#[test]
fn a_fifo_among_lock_records_never_blocks() {
    let s = setup(audit());
    let locks = s.root.join(".bpe/locks");
    std::fs::create_dir_all(&locks).unwrap();
    let fifo = locks.join("run-td-probe.h1.holder.json");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    for args in [
        vec!["locks", s.root.to_str().unwrap()],
        vec![
            "run",
            s.root.to_str().unwrap(),
            "Probe",
            "--set",
            "accountId=jsmith",
        ],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_bpe"))
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let finished = loop {
            if child.try_wait().unwrap().is_some() {
                break true;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break false;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert!(finished, "bpe {args:?} blocked on a FIFO");
    }
}

/// The identity store's write locks (`.bpe/objectlocks/`) go through the boundary too:
/// a run that writes a user fails with an error naming the link, and the user is unchanged.
#[test]
fn object_lock_directory_linked_outside_is_refused() {
    let s = setup(
        json!({"kind": "service", "op": "setProperty", "arguments": [
            {"name": "accountId", "value": "\"jsmith\""},
            {"name": "name", "value": "\"probe\""},
            {"name": "value", "value": "\"1\""}
        ]}),
    );
    std::fs::create_dir_all(s.root.join(".bpe")).unwrap();
    symlink(&s.outside, s.root.join(".bpe/objectlocks")).unwrap();
    let before = std::fs::read(s.root.join("User/jsmith.json")).unwrap();
    let out = run(&s.root);
    let all = text(&out);
    assert!(
        all.contains("objectlocks is a symbolic link to") && all.contains("outside the repository"),
        "{all}"
    );
    assert_eq!(files_below(&s.outside), Vec::<PathBuf>::new());
    assert_eq!(
        std::fs::read(s.root.join("User/jsmith.json")).unwrap(),
        before
    );
}

/// The log of background (`execMode: async`) runs is repository data like any other.
#[test]
fn async_log_linked_outside_is_refused() {
    let s = setup(audit());
    let path = s.root.join("TaskDefinition/probe.json");
    let mut def: J = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    def["execMode"] = json!("async");
    std::fs::write(&path, serde_json::to_vec_pretty(&def).unwrap()).unwrap();
    std::fs::create_dir_all(s.root.join(".bpe")).unwrap();
    let target = s.outside.join("async.log");
    std::fs::write(&target, b"").unwrap();
    symlink(&target, s.root.join(".bpe/async.log")).unwrap();
    let out = run(&s.root);
    assert!(!out.status.success(), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("async.log is a symbolic link to") && all.contains("outside the repository"),
        "{all}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"");
}
