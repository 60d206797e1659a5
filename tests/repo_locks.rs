//! Locks across real processes: this test binary re-runs itself as the holder.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bpe::repo::lock::{self, LockError, LockMode, LockTarget, StaleReason};

const ROOT_VAR: &str = "BPE_LOCK_HELPER_ROOT";
const MODE_VAR: &str = "BPE_LOCK_HELPER_MODE";

/// Not a test of its own: the child process of the tests below. It takes the
/// lock named by the environment, prints `LOCKED`, and waits to be killed.
#[test]
#[ignore = "helper process for the other tests"]
fn helper_hold_lock() {
    let Ok(root) = std::env::var(ROOT_VAR) else {
        return;
    };
    let mode = match std::env::var(MODE_VAR).as_deref() {
        Ok("shared") => LockMode::Shared,
        _ => LockMode::Exclusive,
    };
    let target = LockTarget::DefinitionRun("td-shared".into());
    let _guard = lock::acquire(Path::new(&root), target, mode, "bpe run").unwrap();
    println!("LOCKED");
    std::thread::sleep(Duration::from_secs(120));
}

/// Kills the holder if a test fails before it does.
struct Holder(Child);

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start a holder process and wait until it holds the lock.
fn spawn_holder(root: &Path, mode: &str) -> Holder {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "helper_hold_lock", "--nocapture"])
        .env(ROOT_VAR, root)
        .env(MODE_VAR, mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("LOCKED") => break,
            Some(Ok(_)) => continue,
            other => {
                let _ = child.kill();
                panic!("holder did not lock: {other:?}");
            }
        }
    }
    Holder(child)
}

#[test]
fn second_process_is_refused_and_dead_holder_is_reclaimed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let target = LockTarget::DefinitionRun("td-shared".into());
    let mut child = spawn_holder(root, "exclusive");
    let pid = child.0.id();

    let err = lock::acquire(root, target.clone(), LockMode::Exclusive, "editor").unwrap_err();
    let LockError::Held { holders, .. } = &err else {
        panic!("expected Held, got {err}");
    };
    assert_eq!(holders.len(), 1);
    assert_eq!(holders[0].holder.as_ref().unwrap().pid, pid);
    assert_eq!(holders[0].stale, None);
    assert!(
        err.to_string()
            .contains(&format!("(pid {pid}, bpe run) since ")),
        "{err}"
    );
    // A run holds it: saving the definition is refused.
    assert!(lock::check_can_save_definition(root, "td-shared").is_err());

    child.0.kill().unwrap();
    child.0.wait().unwrap();

    let locks = lock::list(root).unwrap();
    assert_eq!(locks.len(), 1);
    assert!(locks[0].stale);
    assert!(matches!(
        locks[0].holders[0].stale,
        Some(StaleReason::Orphaned | StaleReason::DeadProcess)
    ));

    // The OS lock died with the process; the record does not block us and is reclaimed.
    let guard = lock::acquire(root, target, LockMode::Exclusive, "editor").unwrap();
    assert_eq!(guard.reclaimed().len(), 1);
    assert_eq!(guard.reclaimed()[0].holder.as_ref().unwrap().pid, pid);
    let locks = lock::list(root).unwrap();
    assert_eq!(locks[0].holders.len(), 1);
    assert_eq!(
        locks[0].holders[0].holder.as_ref().unwrap().purpose,
        "editor"
    );
}

#[test]
fn shared_holders_in_two_processes_and_break_after_kill() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let target = LockTarget::DefinitionRun("td-shared".into());
    let mut child = spawn_holder(root, "shared");
    let mine = lock::acquire(root, target.clone(), LockMode::Shared, "debugger").unwrap();
    assert_eq!(lock::list(root).unwrap()[0].holders.len(), 2);
    let name = mine.name().to_string();
    drop(mine);

    // A live holder cannot be broken.
    assert!(matches!(
        lock::break_lock(root, &name),
        Err(LockError::Live { .. })
    ));
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let removed = lock::break_lock(root, &name).unwrap();
    assert_eq!(removed.len(), 1);
    assert!(lock::list(root).unwrap().is_empty());
    lock::check_can_save_definition(root, "td-shared").unwrap();
}
