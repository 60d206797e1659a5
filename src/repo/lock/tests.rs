//! Unit tests of `repo::lock`.

use super::host::user_name_for_uid;
use super::*;

fn root() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn passwd_lookup_matches_the_uid_field_only() {
    let passwd = "# comment:x:1000:1000\nroot:x:0:0:root:/root:/bin/bash\n\
                  daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
                  broken line\nada:x:1000:1000:Ada Lovelace,,,:/home/ada:/bin/sh\n";
    assert_eq!(user_name_for_uid(passwd, 0).as_deref(), Some("root"));
    assert_eq!(user_name_for_uid(passwd, 1000).as_deref(), Some("ada"));
    // A gid of 1 is not a uid of 1 for anyone but daemon; 4242 is nobody's.
    assert_eq!(user_name_for_uid(passwd, 1).as_deref(), Some("daemon"));
    assert_eq!(user_name_for_uid(passwd, 4242), None);
    assert_eq!(user_name_for_uid("", 0), None);
}

#[test]
fn exclusive_refuses_second_and_names_holder() {
    let dir = root();
    let target = LockTarget::Instance("ti-1".into());
    let g = acquire(dir.path(), target.clone(), LockMode::Exclusive, "bpe run").unwrap();
    let err = acquire(dir.path(), target.clone(), LockMode::Exclusive, "other").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("locked by "), "{text}");
    assert!(
        text.contains(&format!("(pid {}, bpe run) since ", std::process::id())),
        "{text}"
    );
    drop(g);
    let g2 = acquire(dir.path(), target, LockMode::Exclusive, "other").unwrap();
    assert!(g2.reclaimed().is_empty());
    assert_eq!(list(dir.path()).unwrap().len(), 1);
    drop(g2);
    assert!(list(dir.path()).unwrap().is_empty());
}

#[test]
fn shared_run_locks_coexist_and_block_saving() {
    let dir = root();
    let run = LockTarget::DefinitionRun("td-1".into());
    let a = acquire(dir.path(), run.clone(), LockMode::Shared, "bpe run").unwrap();
    let b = acquire(dir.path(), run.clone(), LockMode::Shared, "debugger").unwrap();
    let locks = list(dir.path()).unwrap();
    assert_eq!(locks.len(), 1);
    assert_eq!(locks[0].holders.len(), 2);
    assert!(!locks[0].stale);
    let err = check_can_save_definition(dir.path(), "td-1").unwrap_err();
    assert!(matches!(&err, LockError::Held { holders, .. } if holders.len() == 2));
    assert!(err.to_string().contains("bpe run"), "{err}");
    // Another definition is unaffected.
    check_can_save_definition(dir.path(), "td-2").unwrap();
    drop(a);
    assert!(check_can_save_definition(dir.path(), "td-1").is_err());
    drop(b);
    check_can_save_definition(dir.path(), "td-1").unwrap();
}

#[test]
fn heartbeat_refreshes_and_old_heartbeat_is_stale() {
    let dir = root();
    let g = acquire(
        dir.path(),
        LockTarget::DefinitionEdit("td-1".into()),
        LockMode::Exclusive,
        "editor",
    )
    .unwrap();
    let before = g.holder().heartbeat;
    std::thread::sleep(Duration::from_millis(5));
    g.heartbeat().unwrap();
    assert_ne!(g.holder().heartbeat, before);
    let locks = list_with(dir.path(), Duration::from_secs(60)).unwrap();
    assert_eq!(
        locks[0].holders[0].holder.as_ref().unwrap().heartbeat,
        g.holder().heartbeat
    );
    assert_eq!(locks[0].holders[0].stale, None);
    // Still alive after the heartbeat swapped the record file.
    assert!(!record_is_orphaned(&locks[0].holders[0].record));
    // A live holder cannot be broken.
    assert!(matches!(
        break_lock(dir.path(), &locks[0].name),
        Err(LockError::Live { .. })
    ));
    // A record whose heartbeat is an hour old is still live while its process
    // (this one) holds it: a hung holder is broken only with force.
    let mut old = g.holder();
    old.heartbeat = (Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let rec = locks[0].holders[0].record.clone();
    fs::write(&rec, super::super::to_json_bytes(&old).unwrap()).unwrap();
    let locks = list(dir.path()).unwrap();
    assert!(locks[0].holders[0].heartbeat_age_seconds >= 3599);
    assert_eq!(locks[0].holders[0].stale, None);
    assert!(matches!(
        break_lock(dir.path(), &locks[0].name),
        Err(LockError::Live { .. })
    ));
    // Forcing breaks it and unlinks the lock file: a new editor gets in.
    let removed = force_break_lock(dir.path(), &locks[0].name).unwrap();
    assert_eq!(removed.len(), 1);
    let again = acquire(
        dir.path(),
        LockTarget::DefinitionEdit("td-1".into()),
        LockMode::Exclusive,
        "editor 2",
    )
    .unwrap();
    // The hung holder learns it lost the lock instead of resurrecting its record.
    assert!(matches!(g.check(), Err(LockError::Broken(_))));
    assert!(matches!(g.heartbeat(), Err(LockError::Broken(_))));
    drop(g);
    assert_eq!(list(dir.path()).unwrap()[0].holders.len(), 1);
    drop(again);
}

#[test]
fn a_break_caught_between_unlinking_the_lock_file_and_removing_the_records_is_seen() {
    // force_break_lock unlinks `<name>.lock` first, then removes the records. A heartbeat
    // that lands in between (or renames its record back after the removal) must see the
    // break through the lock file, not only through its record (CI saw a run keep going).
    let dir = root();
    let g = acquire(
        dir.path(),
        LockTarget::Instance("i-1".into()),
        LockMode::Exclusive,
        "run",
    )
    .unwrap();
    let lock_path = dir.path().join(LOCK_DIR).join(format!("{}.lock", g.name()));
    fs::remove_file(&lock_path).unwrap();
    assert!(matches!(g.heartbeat(), Err(LockError::Broken(_))));
    assert!(matches!(g.check(), Err(LockError::Broken(_))));
    // Dropping the broken guard leaves the record to the breaker; a new holder gets a
    // fresh lock file, and the old guard stays broken.
    let record = g.shared.state.lock().unwrap().record.clone();
    assert!(record.exists());
    fs::remove_file(&record).unwrap();
    let next = acquire(
        dir.path(),
        LockTarget::Instance("i-1".into()),
        LockMode::Exclusive,
        "run 2",
    )
    .unwrap();
    assert!(matches!(g.check(), Err(LockError::Broken(_))));
    drop(g);
    assert_eq!(list(dir.path()).unwrap()[0].holders.len(), 1);
    assert!(next.check().is_ok());
}

#[test]
fn staleness_trusts_the_record_lock_here_and_the_heartbeat_elsewhere() {
    let mut h = Holder {
        format_version: 1,
        target: LockTarget::Instance("ti-1".into()),
        mode: LockMode::Exclusive,
        user: "ada".into(),
        host: host_name(),
        pid: std::process::id(),
        since: now_secs(),
        purpose: "bpe run".into(),
        heartbeat: now_millis(),
    };
    let minute = Duration::from_secs(60);
    assert_eq!(staleness(&h, false, 3600, minute), None);
    assert_eq!(staleness(&h, true, 0, minute), Some(StaleReason::Orphaned));
    h.pid = u32::MAX - 1;
    assert_eq!(
        staleness(&h, false, 0, minute),
        Some(StaleReason::DeadProcess)
    );
    h.host = "elsewhere.invalid".into();
    assert_eq!(staleness(&h, false, 3600, minute), None);
    assert_eq!(staleness(&h, true, 30, minute), None);
    assert_eq!(
        staleness(&h, true, 61, minute),
        Some(StaleReason::HeartbeatTooOld { seconds: 61 })
    );
}

#[test]
fn the_heartbeat_thread_keeps_a_lock_fresh_and_stops_when_dropped() {
    assert_eq!(
        heartbeat_interval(Duration::from_secs(60)),
        Duration::from_secs(20)
    );
    assert_eq!(
        heartbeat_interval(Duration::from_secs(0)),
        MIN_HEARTBEAT_INTERVAL
    );
    let dir = root();
    fs::write(
        dir.path().join("repository.json"),
        br#"{"formatVersion": 1, "name": "t", "settings": {"lockStaleAfter": 1}}"#,
    )
    .unwrap();
    let g = acquire(
        dir.path(),
        LockTarget::DefinitionRun("td-1".into()),
        LockMode::Shared,
        "bpe run",
    )
    .unwrap();
    assert_eq!(g.interval(), Duration::from_secs(1) / 3);
    let first = g.holder().heartbeat;
    let deadline = Instant::now() + Duration::from_secs(10);
    while g.holder().heartbeat == first {
        assert!(Instant::now() < deadline, "no heartbeat from the thread");
        std::thread::sleep(Duration::from_millis(20));
    }
    let record = list(dir.path()).unwrap()[0].holders[0].record.clone();
    drop(g);
    assert!(!record.exists());
    std::thread::sleep(Duration::from_millis(700));
    // The thread does not bring the record back.
    assert!(list(dir.path()).unwrap().is_empty());
}

#[test]
fn a_damaged_record_of_a_gone_holder_is_stale_and_breakable() {
    let dir = root();
    let locks_dir = dir.path().join(LOCK_DIR);
    fs::create_dir_all(&locks_dir).unwrap();
    fs::write(locks_dir.join("instance-ti-1.1-0-0.holder.json"), b"{ torn").unwrap();
    let locks = list(dir.path()).unwrap();
    assert_eq!(locks.len(), 1);
    assert!(locks[0].stale);
    assert!(locks[0].holders[0].problem.is_some());
    assert!(locks[0].holders[0].to_string().contains("unknown holder"));
    // It never blocks an acquirer, which reclaims it.
    let g = acquire(
        dir.path(),
        LockTarget::Instance("ti-1".into()),
        LockMode::Exclusive,
        "bpe run",
    )
    .unwrap();
    assert_eq!(g.reclaimed().len(), 1);
}

#[test]
fn unknown_lock_cannot_be_broken() {
    let dir = root();
    assert!(matches!(
        break_lock(dir.path(), "run-x"),
        Err(LockError::NotFound(_))
    ));
}

#[test]
fn pid_checks() {
    assert!(pid_alive(std::process::id()));
    assert!(!pid_alive(u32::MAX - 1));
}

#[test]
fn held_exclusively_follows_the_os_lock_not_the_records() {
    let dir = root();
    let target = LockTarget::Instance("ti-probe".into());
    assert!(!held_exclusively(dir.path(), &target), "no lock file: free");
    let g = acquire(dir.path(), target.clone(), LockMode::Exclusive, "bpe run").unwrap();
    assert!(held_exclusively(dir.path(), &target));
    // Even with every holder record gone from the directory (a listing that missed
    // a record being renamed into place looks like this), the OS lock tells.
    for h in holders(dir.path(), &target).unwrap() {
        std::fs::rename(&h.record, h.record.with_extension("moved")).unwrap();
    }
    assert!(holders(dir.path(), &target).unwrap().is_empty());
    assert!(held_exclusively(dir.path(), &target));
    drop(g);
    assert!(!held_exclusively(dir.path(), &target));
    // A shared holder (a run lock) is not an exclusive one.
    let run = LockTarget::DefinitionRun("td-1".into());
    let _s = acquire(dir.path(), run.clone(), LockMode::Shared, "bpe run").unwrap();
    assert!(!held_exclusively(dir.path(), &run));
}

#[test]
fn an_exclusive_lock_file_is_unlinked_on_release_and_a_shared_one_kept() {
    let dir = root();
    let locks = dir.path().join(LOCK_DIR);
    for i in 0..50 {
        let g = acquire(
            dir.path(),
            LockTarget::Instance(format!("ti-{i}")),
            LockMode::Exclusive,
            "bpe launch",
        )
        .unwrap();
        assert!(locks.join(format!("instance-ti-{i}.lock")).exists());
        drop(g);
    }
    // 50 cases run, nothing left behind: the directory does not grow with cases ever run.
    assert_eq!(fs::read_dir(&locks).unwrap().count(), 0);
    let run = LockTarget::DefinitionRun("td-1".into());
    drop(acquire(dir.path(), run.clone(), LockMode::Shared, "bpe run").unwrap());
    assert!(
        locks.join("run-td-1.lock").exists(),
        "a shared lock's file stays"
    );
}

#[test]
fn a_holder_whose_lock_was_broken_does_not_unlink_the_next_holders_file() {
    let dir = root();
    let target = LockTarget::Instance("ti-1".into());
    let old = acquire(dir.path(), target.clone(), LockMode::Exclusive, "hung").unwrap();
    force_break_lock(dir.path(), old.name()).unwrap();
    let new = acquire(dir.path(), target.clone(), LockMode::Exclusive, "next").unwrap();
    let lock_path = dir.path().join(LOCK_DIR).join("instance-ti-1.lock");
    // The old holder lets go: the file at the path is not the one it locked.
    drop(old);
    assert!(lock_path.exists());
    assert!(new.check().is_ok());
    assert!(held_exclusively(dir.path(), &target));
    let err = acquire(dir.path(), target.clone(), LockMode::Exclusive, "third").unwrap_err();
    assert!(matches!(err, LockError::Held { .. }), "{err}");
    drop(new);
    assert!(!lock_path.exists());
}

#[test]
fn an_opener_of_a_lock_file_unlinked_meanwhile_locks_the_new_file() {
    // The race unlinking on release opens: B opens `<name>.lock` while A holds it, A
    // releases (unlinking it), B takes the OS lock of the unlinked file. B must not count
    // that as holding the lock while C holds the file now at the path.
    let dir = root();
    let target = LockTarget::Instance("ti-1".into());
    let lock_dir = dir.path().join(LOCK_DIR);
    let a = acquire(dir.path(), target.clone(), LockMode::Exclusive, "a").unwrap();
    let stale_handle = fs::File::open(lock_dir.join("instance-ti-1.lock")).unwrap();
    drop(a);
    let c = acquire(dir.path(), target.clone(), LockMode::Exclusive, "c").unwrap();
    // The unlinked file's OS lock is free: locking it proves nothing.
    stale_handle.try_lock().unwrap();
    assert!(!same_file(
        &stale_handle,
        &lock_dir.join("instance-ti-1.lock")
    ));
    let err = acquire(dir.path(), target.clone(), LockMode::Exclusive, "b").unwrap_err();
    assert!(matches!(err, LockError::Held { .. }), "{err}");
    drop(c);
}

#[test]
fn exclusive_holders_never_overlap_while_lock_files_come_and_go() {
    use std::sync::atomic::{AtomicBool, AtomicUsize};
    let dir = root();
    let inside = AtomicBool::new(false);
    let taken = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..6 {
            let (inside, taken, root) = (&inside, &taken, dir.path());
            s.spawn(move || {
                for _ in 0..150 {
                    let target = LockTarget::Instance("ti-contended".into());
                    match acquire(root, target, LockMode::Exclusive, &format!("t{t}")) {
                        Ok(g) => {
                            assert!(!inside.swap(true, Ordering::SeqCst), "two holders at once");
                            taken.fetch_add(1, Ordering::Relaxed);
                            std::thread::yield_now();
                            assert!(g.check().is_ok());
                            inside.store(false, Ordering::SeqCst);
                            drop(g);
                        }
                        Err(LockError::Held { .. }) => std::thread::yield_now(),
                        Err(e) => panic!("{e}"),
                    }
                }
            });
        }
    });
    assert!(taken.load(Ordering::Relaxed) > 0);
    // Every holder released: no record, no lock file left.
    let left: Vec<_> = fs::read_dir(dir.path().join(LOCK_DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn stale_after_follows_every_change_of_repository_json() {
    let dir = root();
    let config = |secs: u64| {
        let text = format!(
            r#"{{"formatVersion": 1, "name": "t", "settings": {{"lockStaleAfter": {secs}}}}}"#
        );
        crate::repo::save_atomic(&dir.path().join("repository.json"), text.as_bytes()).unwrap();
    };
    config(90);
    assert_eq!(stale_after(dir.path()), Duration::from_secs(90));
    // Asked again unchanged: the same answer (from the remembered parse).
    assert_eq!(stale_after(dir.path()), Duration::from_secs(90));
    config(7);
    assert_eq!(stale_after(dir.path()), Duration::from_secs(7));
    // Rewritten to the same size: still seen (a new inode, mtime and ctime).
    config(8);
    assert_eq!(stale_after(dir.path()), Duration::from_secs(8));
    fs::remove_file(dir.path().join("repository.json")).unwrap();
    assert_eq!(stale_after(dir.path()), DEFAULT_STALE_AFTER);
}
