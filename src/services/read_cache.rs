//! A read cache of the services' reference directories (`User/`, `Role/`,
//! `Policy/`, `EmailTemplate/`), shared by the cases of one launch.
//!
//! A case of Onboard Employee lists and reads `User/`, `Policy/` and
//! `EmailTemplate/` several times; without the cache that is about 235 `statx`
//! and 59 `open` per case. With it a read costs one `lstat` of the directory.
//!
//! Invariants:
//! - **A snapshot is used only while its directory is unchanged**: every use
//!   compares the directory's `lstat` (inode, device, mtime, ctime, to the
//!   nanosecond) with the one taken before the snapshot was read. bpe never
//!   changes a file of these directories in place: every write is a rename
//!   (`repo::save_atomic`), a hard link (`createUser`) or an unlink, and each of
//!   those changes the directory's mtime — in this process or any other.
//! - **No snapshot of a directory changed within [`RACY_SECS`]**: a filesystem
//!   stores times at the granularity of its clock tick, so a change in the same
//!   tick as the snapshot's `lstat` could leave the mtime equal. A directory
//!   changed that recently is read from disk every time, as without the cache,
//!   until it has been quiet long enough.
//! - **The process's own writes** through the services' store drop the snapshot
//!   of their directory at once (they also change its mtime), so the next read,
//!   by any case of the launch, sees them.
//! - **Reads under a write lock bypass the cache** (`Store::set_fresh`): a
//!   read-modify-write re-reads the object from disk, as docs/services.md says.
//! - Only plain directories are cached (not a symbolic link to a directory), and
//!   only regular files in them: any other entry is read through
//!   `repo::confine` as before. A directory of more than [`MAX_FILES`] files or
//!   [`MAX_BYTES`] bytes is not cached (memory stays bounded).
//! - Known limit: a file of these directories changed in place by another tool
//!   (an editor that writes into the file instead of replacing it) during a
//!   launch is seen only when the directory next changes.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Directories whose files the cache keeps (relative to the repository root).
pub const CACHED_DIRS: &[&str] = &["User", "Role", "Policy", "EmailTemplate"];
/// A directory changed less than this long ago is not cached (see the module doc).
pub const RACY_SECS: u64 = 2;
/// Largest directory cached, in files.
pub const MAX_FILES: usize = 20_000;
/// Largest directory cached, in bytes of its files.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// What identifies a directory's state: changed by every rename, link or
/// unlink in it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

/// One entry of a snapshot: a regular file's bytes, or another kind of entry
/// (a link, a directory), which is read from disk (`repo::confine` decides).
#[derive(Debug)]
pub(crate) enum Entry {
    File(Arc<Vec<u8>>),
    Other,
}

/// A directory as it was at its stamp.
#[derive(Debug)]
pub(crate) struct Snapshot {
    stamp: Stamp,
    pub(crate) entries: BTreeMap<OsString, Entry>,
}

/// The cache: one snapshot per cached directory of one repository root.
#[derive(Debug, Default)]
pub struct ReadCache {
    dirs: Mutex<HashMap<String, Arc<Snapshot>>>,
    /// Directory reads answered from a snapshot / read from disk (for tests and figures).
    hits: std::sync::atomic::AtomicU64,
    misses: std::sync::atomic::AtomicU64,
}

/// The cached directory `rel` lies in, when it is a file directly in one.
pub(crate) fn cached_dir_of(rel: &Path) -> Option<(&'static str, &std::ffi::OsStr)> {
    let mut parts = rel.components();
    let (Some(Component::Normal(dir)), Some(Component::Normal(name)), None) =
        (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let dir = CACHED_DIRS.iter().find(|d| dir == **d)?;
    Some((dir, name))
}

/// Whether `dir` (a relative directory name) is cached.
pub(crate) fn is_cached_dir(dir: &str) -> Option<&'static str> {
    CACHED_DIRS.iter().find(|d| **d == dir).copied()
}

impl ReadCache {
    pub fn new() -> ReadCache {
        ReadCache::default()
    }

    /// Directory reads answered from memory, and read from disk, so far.
    pub fn counts(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.hits.load(Relaxed), self.misses.load(Relaxed))
    }

    /// The snapshot of `dir` under `root` when it is current; `None` when the
    /// directory must be read from disk (changed recently, too big, a link,
    /// unreadable). A stale snapshot is replaced.
    pub(crate) fn snapshot(&self, root: &Path, dir: &'static str) -> Option<Arc<Snapshot>> {
        use std::sync::atomic::Ordering::Relaxed;
        let path = root.join(dir);
        let stamp = stamp_of(&path)?;
        if let Some(s) = lock(&self.dirs).get(dir)
            && s.stamp == stamp
        {
            self.hits.fetch_add(1, Relaxed);
            return Some(s.clone());
        }
        self.misses.fetch_add(1, Relaxed);
        lock(&self.dirs).remove(dir);
        if is_racy(&path) {
            return None;
        }
        let entries = read_entries(root, dir)?;
        // Changed while it was read: not a snapshot of one state.
        if stamp_of(&path)? != stamp {
            return None;
        }
        let snap = Arc::new(Snapshot { stamp, entries });
        lock(&self.dirs).insert(dir.to_string(), snap.clone());
        Some(snap)
    }

    /// Drop the snapshot of the directory `rel` lies in (this process wrote it).
    pub(crate) fn forget(&self, rel: &Path) {
        if let Some((dir, _)) = cached_dir_of(rel) {
            lock(&self.dirs).remove(dir);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The directory's stamp; `None` when it is not a plain directory.
fn stamp_of(path: &Path) -> Option<Stamp> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.file_type().is_dir() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        })
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Changed less than [`RACY_SECS`] ago (or in the future, or unknown).
fn is_racy(path: &Path) -> bool {
    let Ok(modified) = std::fs::symlink_metadata(path).and_then(|m| m.modified()) else {
        return true;
    };
    match SystemTime::now().duration_since(modified) {
        Ok(age) => age < Duration::from_secs(RACY_SECS),
        Err(_) => true,
    }
}

/// Every entry of `dir`, regular files with their bytes (read inside the
/// boundary); `None` when it cannot be read or is over the bounds.
fn read_entries(root: &Path, dir: &str) -> Option<BTreeMap<OsString, Entry>> {
    let mut out = BTreeMap::new();
    let mut bytes = 0usize;
    for entry in std::fs::read_dir(root.join(dir)).ok()? {
        let entry = entry.ok()?;
        if out.len() >= MAX_FILES {
            return None;
        }
        let name = entry.file_name();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        let value = if is_file {
            let rel = PathBuf::from(dir).join(&name);
            match crate::repo::confine::read(root, &rel) {
                Ok(b) => {
                    bytes += b.len();
                    if bytes > MAX_BYTES {
                        return None;
                    }
                    Entry::File(Arc::new(b))
                }
                // Not readable now (removed meanwhile, refused): no snapshot.
                Err(_) => return None,
            }
        } else {
            Entry::Other
        };
        out.insert(name, value);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Set a directory's mtime `secs` into the past (so it is not racy).
    pub(crate) fn age(dir: &Path, secs: u64) {
        let t = SystemTime::now() - Duration::from_secs(secs);
        std::fs::File::open(dir).unwrap().set_modified(t).unwrap();
    }

    #[test]
    fn a_quiet_directory_is_read_once_and_a_change_is_seen() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir(root.join("User")).unwrap();
        std::fs::write(root.join("User/a.json"), b"A").unwrap();
        let cache = ReadCache::new();
        // Just written: racy, read from disk, not kept.
        assert!(cache.snapshot(root, "User").is_none());
        age(&root.join("User"), 10);
        let s = cache.snapshot(root, "User").unwrap();
        assert!(
            matches!(s.entries.get(&OsString::from("a.json")), Some(Entry::File(b)) if b.as_slice() == b"A")
        );
        assert!(cache.snapshot(root, "User").is_some());
        assert_eq!(cache.counts(), (1, 2));
        // Another process replaces a file (rename): the directory changes.
        crate::repo::save_atomic(&root.join("User/a.json"), b"B").unwrap();
        assert!(
            cache.snapshot(root, "User").is_none(),
            "changed just now: read from disk"
        );
        age(&root.join("User"), 10);
        let s = cache.snapshot(root, "User").unwrap();
        assert!(
            matches!(s.entries.get(&OsString::from("a.json")), Some(Entry::File(b)) if b.as_slice() == b"B")
        );
    }

    #[test]
    fn links_and_big_directories_are_not_cached() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir(root.join("real")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("real"), root.join("Policy")).unwrap();
        age(&root.join("real"), 10);
        let cache = ReadCache::new();
        assert!(cache.snapshot(root, "Policy").is_none());
        assert_eq!(cached_dir_of(Path::new("User/x.json")).unwrap().0, "User");
        assert!(cached_dir_of(Path::new("User/sub/x.json")).is_none());
        assert!(cached_dir_of(Path::new("Outbox/x.eml")).is_none());
    }
}
