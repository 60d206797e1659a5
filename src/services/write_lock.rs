//! Write locks: the critical section of every identity-store write.
//!
//! Every op that changes an object (a user, a role, an object's view lock)
//! does its read-modify-write under that object's write lock: an exclusive OS
//! file lock (`flock`, `File::try_lock`) on
//! `.bpe/objectlocks/<slug(object)>-<8 hex of sha256(object)>.lock`, the stem
//! of the object's view lock file. Under it the op re-reads the object from
//! disk, changes it, saves it atomically, and then drops the guard.
//!
//! Invariants:
//! - the lock is held by an open file, so it vanishes with its process: a
//!   killed runner never leaves a write lock behind (the file itself stays, empty
//!   or naming its last holder; it is never unlinked, so two processes can never
//!   lock two different files of one name);
//! - a waiter polls for at most [`WRITE_LOCK_WAIT`], then fails with an error
//!   naming the holder as the holder wrote it into the lock file (instance, case
//!   owner, pid, host, since);
//! - the lock file is opened with `O_NOFOLLOW` and never truncated before the
//!   lock is ours;
//! - nothing here is used in a dry run (nothing is written then).
//!
//! Write locks are short (milliseconds) and distinct from the view locks of
//! `lockObject` / `checkoutView` (`locks`), which last minutes and are
//! themselves read and replaced under the write lock of their object.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::ServiceError;
use super::locks::lock_path;

/// How long a write waits for another writer of the same object.
pub(crate) const WRITE_LOCK_WAIT: Duration = Duration::from_secs(10);

/// Who holds a write lock, as written into the lock file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WriteHolder {
    pub object: String,
    pub instance: String,
    #[serde(default)]
    pub owner: String,
    pub pid: u32,
    pub host: String,
    /// RFC 3339.
    pub since: String,
}

/// A held write lock; dropping it releases the OS lock.
#[derive(Debug)]
pub(crate) struct WriteGuard {
    _file: File,
}

fn io_err(path: &Path, e: std::io::Error) -> ServiceError {
    ServiceError::new(format!("cannot lock {}: {e}", path.display()))
}

/// Take the write lock of `object` under `root`, waiting at most `wait`.
pub(crate) fn acquire(
    root: &Path,
    holder: &WriteHolder,
    wait: Duration,
) -> Result<WriteGuard, ServiceError> {
    let rel = lock_path(&holder.object).with_extension("lock");
    // Inside the repository boundary: a `.bpe/` linked outside is refused.
    let path = crate::repo::confine::resolve_for_write(root, &rel).map_err(|e| io_err(&rel, e))?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|e| io_err(&rel, e))?;
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(io_err(&rel, e)),
        }
        if started.elapsed() >= wait {
            return Err(held_error(&mut file, &holder.object, wait));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(25));
    }
    // Ours now: say who we are, for anyone who gives up waiting.
    let record = serde_json::to_vec(holder)
        .map_err(|e| ServiceError::new(format!("cannot encode lock holder: {e}")))?;
    let written = file
        .set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(&record));
    written.map_err(|e| io_err(&rel, e))?;
    Ok(WriteGuard { _file: file })
}

fn held_error(file: &mut File, object: &str, wait: Duration) -> ServiceError {
    let mut text = String::new();
    let holder = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.take(64 * 1024).read_to_string(&mut text))
        .ok()
        .and_then(|_| serde_json::from_str::<WriteHolder>(&text).ok());
    let who = match holder {
        Some(h) => {
            let owner = if h.owner.is_empty() {
                String::new()
            } else {
                format!(", case owner {}", h.owner)
            };
            format!(
                "instance {}{owner} (pid {} on {}) since {}",
                h.instance, h.pid, h.host, h.since
            )
        }
        None => "another process (it has not said who yet)".to_string(),
    };
    ServiceError::new(format!(
        "{object} is being written by {who}; gave up after {} s",
        wait.as_secs_f64()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(instance: &str) -> WriteHolder {
        WriteHolder {
            object: "User:jsmith".into(),
            instance: instance.into(),
            owner: "admin".into(),
            pid: std::process::id(),
            host: "testhost".into(),
            since: "2026-11-27T14:09:31+00:00".into(),
        }
    }

    #[test]
    fn a_second_writer_waits_then_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let guard = acquire(dir.path(), &holder("ti-a"), WRITE_LOCK_WAIT).unwrap();
        let started = Instant::now();
        let err = acquire(dir.path(), &holder("ti-b"), Duration::from_millis(60)).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(60));
        assert_eq!(
            err.message,
            "User:jsmith is being written by instance ti-a, case owner admin (pid ".to_string()
                + &std::process::id().to_string()
                + " on testhost) since 2026-11-27T14:09:31+00:00; gave up after 0.06 s"
        );
        drop(guard);
        // Released: the next writer gets it at once, and names itself.
        let _g = acquire(dir.path(), &holder("ti-b"), Duration::ZERO).unwrap();
        let rel = lock_path("User:jsmith").with_extension("lock");
        let text = std::fs::read_to_string(dir.path().join(rel)).unwrap();
        assert!(text.contains("\"instance\":\"ti-b\""), "{text}");
    }

    #[test]
    fn a_waiting_writer_gets_the_lock_when_it_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let guard = acquire(dir.path(), &holder("ti-a"), WRITE_LOCK_WAIT).unwrap();
        let root = dir.path().to_path_buf();
        let waiter = std::thread::spawn(move || acquire(&root, &holder("ti-b"), WRITE_LOCK_WAIT));
        std::thread::sleep(Duration::from_millis(50));
        drop(guard);
        assert!(waiter.join().unwrap().is_ok());
    }

    #[test]
    fn a_symlinked_lock_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let rel = lock_path("User:jsmith").with_extension("lock");
        let path = dir.path().join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(outside.path().join("x"), &path).unwrap();
        let err = acquire(dir.path(), &holder("ti-a"), WRITE_LOCK_WAIT).unwrap_err();
        assert!(
            err.message
                .starts_with("cannot lock .bpe/objectlocks/user-jsmith-"),
            "{}",
            err.message
        );
        assert!(!outside.path().join("x").exists());
    }
}
