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
//!
//! **Deferred renames** ([`GroupCommit::defer_renames`], `bpe launch` while a
//! case runs after its first write): a [`super::save_atomic`] of a file in one
//! of the named directories writes its temporary file and starts its writeback
//! (`sync_file_range`) but neither fsyncs nor renames it; [`GroupCommit::flush`]
//! then fsyncs every waiting temporary file — the first fsync commits the
//! filesystem's journal with all their blocks, the others only wait for their
//! data, so the round costs one journal commit instead of one per file — and
//! renames them over their targets in the order they were written (a work item
//! before the instance that waits on it). A second write of the same target
//! replaces the waiting one. So:
//! - until the flush, others see the files as they were before (the case's
//!   instance as first written, `running`); a kill before the flush leaves only
//!   temporary files, which the next open removes (their writer is dead);
//! - after a power failure a file is whole or absent, never torn: no rename
//!   happens before its data is synced; renames are made durable by the
//!   directory syncs of [`GroupCommit::commit`], as all others here.
//!
//! The writer must not read back a file it deferred before the flush (the
//! engine's store flushes before reading work items, and discards a waiting
//! write of a file it removes: [`discard_deferred`]).

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
    /// Directories (resolved) whose atomic saves are deferred; empty: none.
    defer_in: Vec<PathBuf>,
    /// Temporary files waiting for [`GroupCommit::flush`], in write order.
    deferred: Vec<Deferred>,
}

/// A written, unsynced temporary file and the target it will replace.
struct Deferred {
    file: File,
    tmp: PathBuf,
    target: PathBuf,
}

/// Deferred files a batch holds at most: one more flushes the batch first
/// (bounds the open files).
pub const MAX_DEFERRED: usize = 64;

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

    /// From now until [`GroupCommit::stop_deferring`], atomic saves of files
    /// directly in `dirs` (relative to `root`, resolved inside it) are deferred
    /// to the next [`GroupCommit::flush`] (see the module doc).
    pub fn defer_renames(&self, root: &Path, dirs: &[&str]) -> io::Result<()> {
        let mut resolved = Vec::new();
        for d in dirs {
            resolved.push(super::confine::resolve(root, Path::new(d))?);
        }
        PENDING.with(|p| {
            if let Some(p) = p.borrow_mut().as_mut() {
                p.defer_in = resolved;
            }
        });
        Ok(())
    }

    /// Defer no more saves (those waiting still wait for the flush).
    pub fn stop_deferring(&self) {
        PENDING.with(|p| {
            if let Some(p) = p.borrow_mut().as_mut() {
                p.defer_in.clear();
            }
        });
    }

    /// Files waiting for [`GroupCommit::flush`].
    pub fn deferred(&self) -> usize {
        PENDING.with(|p| p.borrow().as_ref().map_or(0, |p| p.deferred.len()))
    }

    /// Sync the waiting temporary files and rename each over its target, in
    /// write order (their directory syncs wait for [`GroupCommit::commit`]).
    /// On a sync error nothing of the round is renamed (the temporary files are
    /// removed) and the error names the file.
    pub fn flush(&self) -> io::Result<()> {
        flush_deferred()
    }

    /// Make every write of the batch so far durable: the deferred files flushed
    /// ([`GroupCommit::flush`]), each appended file synced (`fdatasync`), then
    /// each directory (`fsync`). The batch stays open, empty.
    /// On an error every sync is still tried; the first error is returned, naming
    /// its path.
    pub fn commit(&self) -> io::Result<()> {
        let flushed = flush_deferred();
        let pending = PENDING.with(|p| {
            p.borrow_mut().as_mut().map(|p| Pending {
                dirs: std::mem::take(&mut p.dirs),
                files: std::mem::take(&mut p.files),
                ..Pending::default()
            })
        });
        let Some(pending) = pending else {
            return flushed;
        };
        let mut first: Option<io::Error> = flushed.err();
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

/// [`GroupCommit::flush`] on this thread's batch, if any.
pub fn flush_deferred() -> io::Result<()> {
    let waiting = PENDING.with(|p| {
        p.borrow_mut()
            .as_mut()
            .map(|p| std::mem::take(&mut p.deferred))
    });
    let Some(waiting) = waiting else {
        return Ok(());
    };
    if waiting.is_empty() {
        return Ok(());
    }
    let mut failed: Option<io::Error> = None;
    for d in &waiting {
        if let Err(e) = d.file.sync_all() {
            failed = Some(io::Error::new(
                e.kind(),
                format!("cannot sync {}: {e}", d.target.display()),
            ));
            break;
        }
    }
    if let Some(e) = failed {
        for d in &waiting {
            let _ = std::fs::remove_file(&d.tmp);
        }
        return Err(e);
    }
    let mut first: Option<io::Error> = None;
    for d in waiting {
        drop(d.file);
        match std::fs::rename(&d.tmp, &d.target) {
            Ok(()) => {
                if let Some(dir) = d.target.parent() {
                    defer_dir_sync(dir);
                }
            }
            Err(e) => {
                let _ = std::fs::remove_file(&d.tmp);
                first.get_or_insert(io::Error::new(
                    e.kind(),
                    format!("cannot write {}: {e}", d.target.display()),
                ));
            }
        }
    }
    first.map_or(Ok(()), Err)
}

/// Forget a deferred save of `target` (resolved), removing its temporary file:
/// the caller is about to remove the file. True when one waited.
pub fn discard_deferred(target: &Path) -> bool {
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        let Some(p) = p.as_mut() else {
            return false;
        };
        let before = p.deferred.len();
        p.deferred.retain(|d| {
            let keep = d.target != target;
            if !keep {
                let _ = std::fs::remove_file(&d.tmp);
            }
            keep
        });
        p.deferred.len() != before
    })
}

/// Whether a save of `target` (resolved) is to be deferred on this thread.
pub(super) fn defers(target: &Path) -> bool {
    PENDING.with(|p| {
        p.borrow().as_ref().is_some_and(|p| {
            target
                .parent()
                .is_some_and(|dir| p.defer_in.iter().any(|d| d == dir))
        })
    })
}

/// Keep a written temporary file for the flush: its writeback started, a
/// waiting save of the same target replaced. Flushes first when the batch
/// holds [`MAX_DEFERRED`] files.
pub(super) fn defer_rename(file: File, tmp: PathBuf, target: PathBuf) -> io::Result<()> {
    start_writeback(&file);
    discard_deferred(&target);
    if PENDING.with(|p| p.borrow().as_ref().map_or(0, |p| p.deferred.len())) >= MAX_DEFERRED {
        flush_deferred()?;
    }
    PENDING.with(|p| {
        if let Some(p) = p.borrow_mut().as_mut() {
            p.deferred.push(Deferred { file, tmp, target });
        }
    });
    Ok(())
}

/// Ask the kernel to start writing `file` out (and to allocate its blocks), so
/// that one later fsync commits the journal for every file started so far.
fn start_writeback(file: &File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a valid open descriptor; the call only starts writeback.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
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
    fn deferred_saves_are_invisible_until_the_flush_then_renamed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let inst = Path::new("TaskInstance/ti-1.json");
        super::super::save_atomic_in(root, inst, b"running\n").unwrap();
        let batch = GroupCommit::begin();
        batch
            .defer_renames(root, &["TaskInstance", "WorkItem"])
            .unwrap();
        super::super::save_atomic_in(root, Path::new("WorkItem/wi-1.json"), b"item\n").unwrap();
        super::super::save_atomic_in(root, inst, b"progress\n").unwrap();
        super::super::save_atomic_in(root, inst, b"suspended\n").unwrap();
        // Not deferred: another directory.
        super::super::save_atomic_in(root, Path::new("User/u.json"), b"user\n").unwrap();
        assert_eq!(std::fs::read(root.join("User/u.json")).unwrap(), b"user\n");
        // Others still see the files as before: the instance as first written,
        // no work item; the second write of the instance replaced the first.
        assert_eq!(batch.deferred(), 2);
        assert_eq!(std::fs::read(root.join(inst)).unwrap(), b"running\n");
        assert!(!root.join("WorkItem/wi-1.json").exists());
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
    fn a_discarded_deferred_save_never_lands_and_a_commit_flushes_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let batch = GroupCommit::begin();
        batch.defer_renames(root, &["TaskInstance"]).unwrap();
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
}
