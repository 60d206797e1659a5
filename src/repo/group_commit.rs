//! Group commit: one sync per directory and per appended file for a batch of
//! writes, instead of one per write (`bpe launch`: many cases by one worker).
//!
//! While a [`GroupCommit`] is open on a thread, the writes of that thread change
//! in two ways and no other:
//! - [`super::save_atomic`] still writes a temporary file, fsyncs it and renames it
//!   over the target — so no file is ever torn, also after a power failure — but
//!   the fsync of the directory that makes the rename durable is put off;
//! - [`super::confine::append`] writes its line with one `write` as always, but
//!   its `fdatasync` is put off.
//!
//! [`GroupCommit::commit`] then syncs each appended file once and each directory
//! once. Other threads and processes see every write at once (renames and appends
//! happen when they always did); a kill loses nothing (the kernel holds what was
//! written); only a power failure or an OS crash before the commit may lose the
//! renames and lines of the open batch. Whoever opens a group commit must not
//! report a write of the batch as durable before `commit` returned `Ok` (the
//! launch reports a row, and lets its record say it was launched, only after).
//! Dropping a group commit commits what is left (errors ignored: call `commit`
//! to see them) and closes it.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fs::File;
use std::io;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

#[derive(Default)]
struct Pending {
    dirs: BTreeSet<PathBuf>,
    files: BTreeSet<PathBuf>,
}

thread_local! {
    static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// An open group commit on the current thread (not `Send`: it belongs to the
/// thread whose writes it batches). Nested ones join the outer batch.
pub struct GroupCommit {
    outer: bool,
    _thread: PhantomData<*const ()>,
}

impl GroupCommit {
    /// Open a group commit on this thread.
    pub fn begin() -> GroupCommit {
        let outer = PENDING.with(|p| {
            let mut p = p.borrow_mut();
            if p.is_some() {
                false
            } else {
                *p = Some(Pending::default());
                true
            }
        });
        GroupCommit {
            outer,
            _thread: PhantomData,
        }
    }

    /// Syncs waiting for [`GroupCommit::commit`]: directories plus appended files.
    pub fn pending(&self) -> usize {
        PENDING.with(|p| {
            p.borrow()
                .as_ref()
                .map_or(0, |p| p.dirs.len() + p.files.len())
        })
    }

    /// Make every write of the batch so far durable: each appended file synced
    /// (`fdatasync`), then each directory (`fsync`). The batch stays open, empty.
    /// On an error every sync is still tried; the first error is returned, naming
    /// its path.
    pub fn commit(&self) -> io::Result<()> {
        let pending = PENDING.with(|p| p.borrow_mut().as_mut().map(std::mem::take));
        let Some(pending) = pending else {
            return Ok(());
        };
        let mut first: Option<io::Error> = None;
        for file in &pending.files {
            if let Err(e) = sync_file(file) {
                first.get_or_insert(io::Error::new(
                    e.kind(),
                    format!("cannot sync {}: {e}", file.display()),
                ));
            }
        }
        for dir in &pending.dirs {
            if let Err(e) = super::save::sync_dir(dir) {
                first.get_or_insert(io::Error::new(
                    e.kind(),
                    format!("cannot sync {}: {e}", dir.display()),
                ));
            }
        }
        first.map_or(Ok(()), Err)
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        if self.outer {
            let _ = self.commit();
            PENDING.with(|p| *p.borrow_mut() = None);
        }
    }
}

/// Sync an appended file: opened without following a link (the append checked
/// it is a regular file of the repository; a link swapped in since is refused).
fn sync_file(path: &Path) -> io::Result<()> {
    let file: File =
        super::confine::no_follow(std::fs::OpenOptions::new().read(true)).open(path)?;
    file.sync_data()
}

/// Put off the fsync of `dir` when a group commit is open on this thread.
pub(super) fn defer_dir_sync(dir: &Path) -> bool {
    defer(|p| p.dirs.insert(dir.to_path_buf()))
}

/// Put off the `fdatasync` of the appended file `path` (resolved) likewise.
pub(super) fn defer_file_sync(path: &Path) -> bool {
    defer(|p| p.files.insert(path.to_path_buf()))
}

fn defer(add: impl FnOnce(&mut Pending) -> bool) -> bool {
    PENDING.with(|p| match p.borrow_mut().as_mut() {
        Some(p) => {
            add(p);
            true
        }
        None => false,
    })
}

#[cfg(test)]
mod tests {
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
}
