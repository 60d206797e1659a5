//! The watcher reports creations, modifications and removals, and nothing for
//! `.bpe/` or atomic-save temp files. Waits are generous loops, not timing assertions.

use std::path::Path;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use bpe::repo::save_atomic;
use bpe::repo::watch::{ChangeKind, RepoChange, WatchMode, Watcher};

/// Receive until `wanted` arrives (other changes are collected too), or give up after 20 s.
fn wait_for(rx: &Receiver<RepoChange>, wanted: &RepoChange, seen: &mut Vec<RepoChange>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(c) = rx.recv_timeout(Duration::from_millis(100)) {
            let hit = &c == wanted;
            seen.push(c);
            if hit {
                return;
            }
        }
    }
    panic!("never saw {wanted:?}; saw {seen:?}");
}

fn change(path: &str, kind: ChangeKind) -> RepoChange {
    RepoChange {
        path: path.into(),
        kind,
    }
}

fn exercise(mode: WatchMode) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("TaskDefinition")).unwrap();
    std::fs::write(root.join("TaskDefinition/old.json"), "{}").unwrap();
    let watcher = Watcher::start(root, mode).unwrap();
    let rx = watcher.receiver().unwrap();
    let mut seen = Vec::new();

    let file = Path::new("TaskDefinition/a.json");
    std::fs::write(root.join(file), "{}").unwrap();
    wait_for(
        rx,
        &change("TaskDefinition/a.json", ChangeKind::Created),
        &mut seen,
    );

    // Noise that must never be reported.
    std::fs::create_dir_all(root.join(".bpe/locks")).unwrap();
    std::fs::write(root.join(".bpe/locks/run-x.lock"), "").unwrap();

    save_atomic(&root.join(file), b"{ \"changed\": true }").unwrap();
    wait_for(
        rx,
        &change("TaskDefinition/a.json", ChangeKind::Modified),
        &mut seen,
    );

    std::fs::remove_file(root.join("TaskDefinition/old.json")).unwrap();
    wait_for(
        rx,
        &change("TaskDefinition/old.json", ChangeKind::Removed),
        &mut seen,
    );

    for c in &seen {
        assert!(
            c.path == Path::new("TaskDefinition/a.json")
                || c.path == Path::new("TaskDefinition/old.json"),
            "unexpected change {c:?} in {seen:?}"
        );
    }
}

#[test]
fn events_mode_reports_changes() {
    exercise(WatchMode::Events);
}

#[test]
fn poll_mode_reports_changes() {
    exercise(WatchMode::Poll(Duration::from_millis(100)));
}

/// A file saved again and again, more often than the watcher gathers events (a
/// case persisting its progress every 100 ms), is reported while the saves go on,
/// not only once they stop: the events mode gathers for at most `DEBOUNCE` from
/// the first event of a burst, it does not wait for a quiet spell that never comes.
#[test]
fn a_file_saved_faster_than_the_debounce_is_reported_while_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    std::fs::create_dir(root.join("TaskInstance")).unwrap();
    let file = root.join("TaskInstance/ti-1.json");
    std::fs::write(&file, "{}").unwrap();
    let watcher = Watcher::start(&root, WatchMode::Events).unwrap();
    let rx = watcher.receiver().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                save_atomic(&file, format!("{{\"steps\": {n}}}").as_bytes()).unwrap();
                std::thread::sleep(bpe::repo::watch::DEBOUNCE / 5);
            }
        })
    };
    // Two reports while the writer is still saving (it stops only afterwards).
    let mut seen = Vec::new();
    let want = change("TaskInstance/ti-1.json", ChangeKind::Modified);
    wait_for(rx, &want, &mut seen);
    seen.clear();
    wait_for(rx, &want, &mut seen);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
}
