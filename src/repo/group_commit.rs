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
//! **Deferred renames** ([`GroupCommit::defer`], `bpe launch` while a
//! case runs, from its first write): a [`super::save_atomic`] of a file in one of
//! the named directories is only kept in memory; [`GroupCommit::flush`] then
//! writes each kept save to an unnamed temporary file (`super::unnamed`, or a
//! named one where the filesystem has none), starts its writeback, fsyncs them
//! all, and links or renames them over their targets in the order they were
//! written (the instance as first written, the work item, the instance waiting on
//! it). A save that directly follows a waiting save of the same target replaces
//! it; an earlier one is kept, so what lands is what writing the files one by one
//! would have left at every point. Lines appended to files in the directories of
//! the deferral's append directories (the case's journal) are kept too, and appended
//! after the round's files. Any other write on this thread — a save or an append
//! elsewhere, a removal ([`super::confine::remove`]), a command run — flushes
//! first, so writes land in the order made. So:
//! - until the flush, others see nothing of the kept writes, and a kill before it
//!   leaves nothing of them (an unnamed file vanishes with the process; a named
//!   temporary file of a killed writer is removed at the next open);
//! - after a power failure a file is whole or absent, never torn: no file gets its
//!   name before its data is synced; the names are made durable by the directory
//!   syncs of [`GroupCommit::commit`], as all others here.
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
    /// Directories (resolved) whose appended lines are deferred; empty: none.
    append_in: Vec<PathBuf>,
    /// Saves waiting for [`GroupCommit::flush`], in write order.
    deferred: Vec<Deferred>,
    /// Their bytes, added up.
    deferred_bytes: usize,
    /// Lines waiting for [`GroupCommit::flush`], in write order: (file, line).
    lines: Vec<(PathBuf, Vec<u8>)>,
}

/// The directories a [`GroupCommit::defer`] defers, resolved inside the repository
/// once (a launch's worker defers the same ones for every case). A save or an
/// append is still resolved on its own and deferred only when it resolves into one
/// of them.
#[derive(Clone, Debug, Default)]
pub struct Deferral {
    renames: Vec<PathBuf>,
    appends: Vec<PathBuf>,
}

impl Deferral {
    /// Saves in `renames` and lines appended in `appends` (relative to `root`).
    pub fn new(root: &Path, renames: &[&str], appends: &[&str]) -> io::Result<Deferral> {
        let mut d = Deferral::default();
        for r in renames {
            d.renames.push(super::confine::resolve(root, Path::new(r))?);
        }
        for a in appends {
            d.appends
                .push(super::confine::resolve_for_write(root, Path::new(a))?);
        }
        Ok(d)
    }
}

/// A save put off: the bytes and the target (resolved) they will replace.
struct Deferred {
    bytes: Vec<u8>,
    target: PathBuf,
}

/// Deferred saves a batch holds at most: one more flushes the batch first.
pub const MAX_DEFERRED: usize = 64;
/// Bytes of deferred saves and lines a batch holds at most (bounds its memory).
pub const MAX_DEFERRED_BYTES: usize = 16 << 20;

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
    /// directly in the deferral's rename directories, and lines appended to files
    /// directly in its append directories, wait for the next
    /// [`GroupCommit::flush`] (see the module doc).
    pub fn defer(&self, deferral: &Deferral) {
        PENDING.with(|p| {
            if let Some(p) = p.borrow_mut().as_mut() {
                p.defer_in.clone_from(&deferral.renames);
                p.append_in.clone_from(&deferral.appends);
            }
        });
    }

    /// Defer no more saves or lines (those waiting still wait for the flush).
    pub fn stop_deferring(&self) {
        PENDING.with(|p| {
            if let Some(p) = p.borrow_mut().as_mut() {
                p.defer_in.clear();
                p.append_in.clear();
            }
        });
    }

    /// [`GroupCommit::stop_deferring`], then [`GroupCommit::flush`] what waits: the
    /// end of a deferred round.
    pub fn end_deferring(&self) -> io::Result<()> {
        self.stop_deferring();
        self.flush()
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
                first.get_or_insert(at(e, "cannot sync", file));
            }
        }
        for dir in &pending.dirs {
            if let Err(e) = super::save::sync_dir(dir) {
                first.get_or_insert(at(e, "cannot sync", dir));
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

/// [`GroupCommit::flush`] on this thread's batch, if any: write each waiting save
/// to a temporary file (unnamed where the filesystem has them; its writeback
/// started at once), sync them all, link or rename each over its target in write
/// order, then append the waiting lines in order. On a write or sync error nothing
/// of the round is placed or appended (the temporary files are removed) and the
/// error names the file.
pub fn flush_deferred() -> io::Result<()> {
    let waiting = PENDING.with(|p| {
        p.borrow_mut().as_mut().map(|p| {
            p.deferred_bytes = 0;
            (
                std::mem::take(&mut p.deferred),
                std::mem::take(&mut p.lines),
            )
        })
    });
    let Some((saves, lines)) = waiting else {
        return Ok(());
    };
    // Each save's bytes go to an unnamed file where the filesystem has them (no
    // directory entry until it is linked, nothing left by a kill, and its fsync does
    // not write the directory), else to a named temporary file.
    let mut temps: Vec<Temp> = Vec::with_capacity(saves.len());
    let mut failed: Option<io::Error> = None;
    let mut placed_before: BTreeSet<&Path> = BTreeSet::new();
    for d in &saves {
        // A target placed earlier in this round is replaced: a named temporary file
        // renamed over it costs less than a link that fails first.
        let replaces = !placed_before.insert(&d.target);
        match write_round_file(&d.target, &d.bytes, replaces) {
            Ok(t) => temps.push(t),
            Err(e) => {
                failed = Some(at(e, "cannot write", &d.target));
                break;
            }
        }
    }
    if failed.is_none() {
        for t in &temps {
            if let Err(e) = t.file.sync_all() {
                failed = Some(at(e, "cannot sync", &t.target));
                break;
            }
        }
    }
    if let Some(e) = failed {
        for t in &temps {
            if let Some(tmp) = &t.named {
                let _ = std::fs::remove_file(tmp);
            }
        }
        return Err(e);
    }
    let mut first: Option<io::Error> = None;
    for t in temps {
        let placed = match &t.named {
            Some(tmp) => std::fs::rename(tmp, &t.target).inspect_err(|_| {
                let _ = std::fs::remove_file(tmp);
            }),
            None => super::save::temp_name(&t.target)
                .and_then(|tmp| super::unnamed::publish(&t.file, &t.target, &tmp)),
        };
        match placed {
            Ok(()) => {
                if let Some(dir) = t.target.parent() {
                    defer_dir_sync(dir);
                }
            }
            Err(e) => {
                first.get_or_insert(at(e, "cannot write", &t.target));
            }
        }
    }
    // Consecutive lines to one file go in one `write` (still whole lines: appends
    // by others land before or after them, never between).
    let mut merged: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for (file, line) in lines {
        match merged.last_mut() {
            Some((last, bytes)) if *last == file => bytes.extend_from_slice(&line),
            _ => merged.push((file, line)),
        }
    }
    for (file, line) in merged {
        let appended = super::confine::append_resolved(&file, &file, &line);
        match appended {
            Ok(_) => {
                defer_file_sync(&file);
            }
            Err(e) => {
                first.get_or_insert(at(e, "cannot append to", &file));
            }
        }
    }
    first.map_or(Ok(()), Err)
}

/// A round's file, written and its writeback started: unnamed, or at `named`.
struct Temp {
    file: File,
    named: Option<PathBuf>,
    target: PathBuf,
}

fn write_round_file(target: &Path, bytes: &[u8], replaces: bool) -> io::Result<Temp> {
    use std::io::Write;
    let dir = target.parent().unwrap_or(Path::new("."));
    if !replaces && let Ok(Some(mut file)) = super::unnamed::create(dir) {
        file.write_all(bytes)?;
        start_writeback(&file);
        return Ok(Temp {
            file,
            named: None,
            target: target.to_path_buf(),
        });
    }
    let (file, tmp) = super::save::write_temp(target, bytes)?;
    start_writeback(&file);
    Ok(Temp {
        file,
        named: Some(tmp),
        target: target.to_path_buf(),
    })
}

/// `e` with what could not be done to which path (`cannot sync /repo/x: ...`).
fn at(e: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
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
        p.deferred.retain(|d| d.target != target);
        p.deferred_bytes = p.deferred.iter().map(|d| d.bytes.len()).sum::<usize>()
            + p.lines.iter().map(|(_, l)| l.len()).sum::<usize>();
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

/// Keep a save for the flush. When the last save waiting is of the same target it
/// is replaced (nothing was written between them); an earlier one is kept, so the
/// flush lands the files as they were written, in order: an instance first written
/// `running`, then its work item, then the instance suspended, lands as those three
/// (a kill between them leaves what writing them one by one would have left).
/// Flushes first when the batch holds [`MAX_DEFERRED`] saves or
/// [`MAX_DEFERRED_BYTES`] bytes.
pub(super) fn defer_write(bytes: &[u8], target: &Path) -> io::Result<()> {
    let replaced = PENDING.with(|p| {
        let mut p = p.borrow_mut();
        let Some(p) = p.as_mut() else {
            return false;
        };
        match p.deferred.last_mut() {
            Some(last) if last.target == target => {
                p.deferred_bytes = p.deferred_bytes - last.bytes.len() + bytes.len();
                last.bytes = bytes.to_vec();
                true
            }
            _ => false,
        }
    });
    if replaced {
        return Ok(());
    }
    if held(|p| p.deferred.len() >= MAX_DEFERRED || p.deferred_bytes >= MAX_DEFERRED_BYTES) {
        flush_deferred()?;
    }
    PENDING.with(|p| {
        if let Some(p) = p.borrow_mut().as_mut() {
            p.deferred_bytes += bytes.len();
            p.deferred.push(Deferred {
                bytes: bytes.to_vec(),
                target: target.to_path_buf(),
            });
        }
    });
    Ok(())
}

/// Keep a line appended to `file` (resolved) for the flush when appends to its
/// directory are deferred on this thread. False: append it now.
pub(super) fn defer_append(file: &Path, line: &[u8]) -> io::Result<bool> {
    let deferred = held(|p| {
        file.parent()
            .is_some_and(|dir| p.append_in.iter().any(|d| d == dir))
    });
    if !deferred {
        return Ok(false);
    }
    if held(|p| p.deferred_bytes >= MAX_DEFERRED_BYTES) {
        flush_deferred()?;
    }
    PENDING.with(|p| {
        if let Some(p) = p.borrow_mut().as_mut() {
            p.deferred_bytes += line.len();
            p.lines.push((file.to_path_buf(), line.to_vec()));
        }
    });
    Ok(true)
}

fn held(test: impl FnOnce(&Pending) -> bool) -> bool {
    PENDING.with(|p| p.borrow().as_ref().is_some_and(test))
}

/// Ask the kernel to start writing `file` out (and to allocate its blocks), so
/// that the round's syncs find most of the data on its way.
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
#[path = "group_commit_tests.rs"]
mod tests;
