//! Group commits: syncs put off, saves and lines kept, write order.

use super::*;

#[test]
fn writes_in_a_group_commit_are_visible_at_once_and_synced_once_per_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    {
        let batch = GroupCommit::begin();
        for i in 0..10 {
            let rel = PathBuf::from(format!("TaskInstance/ti-{i}.json"));
            super::super::save_atomic_in(root, &rel, b"{}\n").unwrap();
            // Visible as soon as written, complete.
            assert_eq!(std::fs::read(root.join(&rel)).unwrap(), b"{}\n");
            super::super::confine::append(root, Path::new("audit.jsonl"), b"line\n").unwrap();
        }
        // One directory and one appended file wait, however many writes.
        assert_eq!(batch.pending(), 2);
        batch.commit().unwrap();
        assert_eq!(batch.pending(), 0);
        super::super::save_atomic_in(root, Path::new("WorkItem/wi-1.json"), b"{}\n").unwrap();
        assert_eq!(batch.pending(), 1);
        // A nested group commit joins the outer batch.
        {
            let inner = GroupCommit::begin();
            super::super::save_atomic_in(root, Path::new("Outbox/m.json"), b"{}\n").unwrap();
            assert_eq!(inner.pending(), 2);
        }
        assert_eq!(batch.pending(), 2);
    }
    // Closed: writes sync at once again, nothing waits.
    super::super::save_atomic_in(root, Path::new("WorkItem/wi-2.json"), b"{}\n").unwrap();
    assert_eq!(GroupCommit::begin().pending(), 0);
    let audit = std::fs::read_to_string(root.join("audit.jsonl")).unwrap();
    assert_eq!(audit.lines().count(), 10);
}

#[test]
fn deferred_saves_are_invisible_until_the_flush_then_renamed_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let inst = Path::new("TaskInstance/ti-1.json");
    super::super::save_atomic_in(root, inst, b"running\n").unwrap();
    let batch = GroupCommit::begin();
    batch.defer(&Deferral::new(root, &["TaskInstance", "WorkItem"], &[]).unwrap());
    super::super::save_atomic_in(root, Path::new("WorkItem/wi-1.json"), b"item\n").unwrap();
    super::super::save_atomic_in(root, inst, b"progress\n").unwrap();
    super::super::save_atomic_in(root, inst, b"suspended\n").unwrap();
    // Others still see the files as before: the instance as first written,
    // no work item; the second write of the instance replaced the first.
    assert_eq!(batch.deferred(), 2);
    assert_eq!(std::fs::read(root.join(inst)).unwrap(), b"running\n");
    assert!(!root.join("WorkItem/wi-1.json").exists());
    // Nothing is on disk for them yet, not even a temporary file.
    assert_eq!(
        std::fs::read_dir(root.join("TaskInstance"))
            .unwrap()
            .count(),
        1
    );
    batch.stop_deferring();
    batch.flush().unwrap();
    assert_eq!(batch.deferred(), 0);
    assert_eq!(std::fs::read(root.join(inst)).unwrap(), b"suspended\n");
    assert_eq!(
        std::fs::read(root.join("WorkItem/wi-1.json")).unwrap(),
        b"item\n"
    );
    // No temporary file is left; the renames' directories wait for the commit.
    for d in ["TaskInstance", "WorkItem"] {
        let names: Vec<_> = std::fs::read_dir(root.join(d)).unwrap().collect();
        assert_eq!(names.len(), 1, "{d}");
    }
    assert!(batch.pending() >= 2);
    // Deferring stopped: a save is visible at once again.
    super::super::save_atomic_in(root, inst, b"done\n").unwrap();
    assert_eq!(std::fs::read(root.join(inst)).unwrap(), b"done\n");
}

#[test]
fn a_write_that_is_not_put_off_lands_after_the_ones_that_are() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let batch = GroupCommit::begin();
    batch.defer(&Deferral::new(root, &["TaskInstance"], &["journal"]).unwrap());
    let inst = Path::new("TaskInstance/ti-1.json");
    let journal = Path::new("journal/2026-12.jsonl");
    super::super::save_atomic_in(root, inst, b"running\n").unwrap();
    super::super::confine::append(root, journal, b"started\n").unwrap();
    super::super::confine::append(root, journal, b"waiting\n").unwrap();
    assert!(!root.join(inst).exists());
    assert!(!root.join(journal).exists());
    // A user saved (not put off): the instance and the case's lines land first.
    super::super::save_atomic_in(root, Path::new("User/u.json"), b"user\n").unwrap();
    assert_eq!(batch.deferred(), 0);
    assert_eq!(std::fs::read(root.join(inst)).unwrap(), b"running\n");
    assert_eq!(
        std::fs::read(root.join(journal)).unwrap(),
        b"started\nwaiting\n"
    );
    // An audit line (not put off) does the same for what waits then.
    super::super::save_atomic_in(root, inst, b"suspended\n").unwrap();
    super::super::confine::append(root, Path::new("audit.jsonl"), b"a\n").unwrap();
    assert_eq!(std::fs::read(root.join(inst)).unwrap(), b"suspended\n");
    // Only the real files are there: no temporary file was left.
    let names: Vec<_> = std::fs::read_dir(root.join("TaskInstance"))
        .unwrap()
        .collect();
    assert_eq!(names.len(), 1);
    batch.commit().unwrap();
}

#[test]
fn only_a_save_right_after_one_of_the_same_file_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let batch = GroupCommit::begin();
    batch.defer(&Deferral::new(root, &["TaskInstance", "WorkItem"], &[]).unwrap());
    let inst = Path::new("TaskInstance/ti-1.json");
    super::super::save_atomic_in(root, inst, b"running\n").unwrap();
    super::super::save_atomic_in(root, inst, b"running, later\n").unwrap();
    assert_eq!(batch.deferred(), 1);
    // The work item between them: the instance's first write is kept, to land
    // before the work item (write order), and the last one after it.
    super::super::save_atomic_in(root, Path::new("WorkItem/wi-1.json"), b"item\n").unwrap();
    super::super::save_atomic_in(root, inst, b"suspended\n").unwrap();
    assert_eq!(batch.deferred(), 3);
    batch.flush().unwrap();
    assert_eq!(std::fs::read(root.join(inst)).unwrap(), b"suspended\n");
    assert_eq!(
        std::fs::read_dir(root.join("TaskInstance"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn a_discarded_deferred_save_never_lands_and_a_commit_flushes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let batch = GroupCommit::begin();
    batch.defer(&Deferral::new(root, &["TaskInstance"], &[]).unwrap());
    super::super::save_atomic_in(root, Path::new("TaskInstance/a.json"), b"a").unwrap();
    super::super::save_atomic_in(root, Path::new("TaskInstance/b.json"), b"b").unwrap();
    let a = super::super::confine::resolve(root, Path::new("TaskInstance/a.json")).unwrap();
    assert!(discard_deferred(&a));
    assert!(!discard_deferred(&a));
    batch.commit().unwrap();
    let names: Vec<String> = std::fs::read_dir(root.join("TaskInstance"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["b.json"]);
}

#[test]
fn a_commit_names_what_it_could_not_sync_and_still_syncs_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let batch = GroupCommit::begin();
    super::super::confine::append(root, Path::new("a.jsonl"), b"x\n").unwrap();
    super::super::save_atomic_in(root, Path::new("TaskInstance/t.json"), b"{}\n").unwrap();
    // The appended file vanished before the commit: its sync fails, named.
    std::fs::remove_file(root.join("a.jsonl")).unwrap();
    let err = batch.commit().unwrap_err();
    assert!(err.to_string().contains("a.jsonl"), "{err}");
    assert_eq!(batch.pending(), 0);
}
