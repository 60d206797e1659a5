//! File access for the services, relative to the repository root.
//!
//! In a dry run nothing on disk changes: writes and removals land in an
//! in-memory overlay that later reads of the same run see, so that (say)
//! `getUser` after `createUser` finds the user the run "created".
//!
//! With a [`ReadCache`] (`bpe launch`), reads of `User/`, `Role/`, `Policy/` and
//! `EmailTemplate/` are answered from a snapshot while the directory is
//! unchanged (see `read_cache`); the store's own writes drop the snapshot of
//! their directory, and [`Store::set_fresh`] makes every read go to disk (a
//! read-modify-write under a write lock).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ServiceError;
use super::read_cache::{self, Entry, ReadCache, Snapshot};

pub(crate) struct Store {
    root: PathBuf,
    dry_run: bool,
    /// Dry-run writes (`Some`) and removals (`None`), by relative path.
    overlay: BTreeMap<PathBuf, Option<Vec<u8>>>,
    cache: Option<Arc<ReadCache>>,
    /// Read from disk even when a snapshot is current.
    fresh: bool,
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> ServiceError {
    ServiceError::new(format!("cannot {what} {}: {e}", path.display()))
}

impl Store {
    pub fn new(root: &Path, dry_run: bool) -> Store {
        Store {
            root: root.to_path_buf(),
            dry_run,
            overlay: BTreeMap::new(),
            cache: None,
            fresh: false,
        }
    }

    /// Answer reads of the cached directories from `cache` (see the module doc).
    pub fn set_cache(&mut self, cache: Arc<ReadCache>) {
        self.cache = Some(cache);
    }

    /// Read from disk, not from the cache, until called with `false`.
    pub fn set_fresh(&mut self, fresh: bool) {
        self.fresh = fresh;
    }

    /// The current snapshot of the cached directory `dir`, if any.
    fn snapshot(&self, dir: &str) -> Option<Arc<Snapshot>> {
        let dir = read_cache::is_cached_dir(dir)?;
        match &self.cache {
            Some(cache) if !self.fresh => cache.snapshot(&self.root, dir),
            _ => None,
        }
    }

    /// Drop what the cache holds of `rel`'s directory (written by this store).
    fn written(&self, rel: &Path) {
        if let Some(cache) = &self.cache {
            cache.forget(rel);
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file's bytes, `None` when it does not exist.
    pub fn read(&self, rel: &Path) -> Result<Option<Vec<u8>>, ServiceError> {
        let snap = match read_cache::cached_dir_of(rel) {
            Some((dir, _)) if !self.overlay.contains_key(rel) => self.snapshot(dir),
            _ => None,
        };
        self.read_in(rel, snap.as_deref())
    }

    /// [`Store::read`] with the snapshot of `rel`'s directory when there is one.
    fn read_in(
        &self,
        rel: &Path,
        snap: Option<&Snapshot>,
    ) -> Result<Option<Vec<u8>>, ServiceError> {
        if let Some(entry) = self.overlay.get(rel) {
            return Ok(entry.clone());
        }
        if let (Some(snap), Some(name)) = (snap, rel.file_name()) {
            match snap.entries.get(name) {
                Some(Entry::File(bytes)) => return Ok(Some(bytes.as_ref().clone())),
                None => return Ok(None),
                Some(Entry::Other) => {}
            }
        }
        match crate::repo::confine::read(&self.root, rel) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("read", rel, e)),
        }
    }

    pub fn exists(&self, rel: &Path) -> Result<bool, ServiceError> {
        Ok(self.read(rel)?.is_some())
    }

    /// Relative paths of the files in `dir` whose names end with `ext`, sorted.
    pub fn list(&self, dir: &str, ext: &str) -> Result<Vec<PathBuf>, ServiceError> {
        let snap = self.snapshot(dir);
        self.list_in(dir, ext, snap.as_deref())
    }

    /// Every file of `dir` whose name ends with `ext` that exists, with its
    /// bytes, sorted by path: [`Store::list`] then [`Store::read`] of each, with
    /// one look at the cache.
    pub fn read_all(&self, dir: &str, ext: &str) -> Result<Vec<(PathBuf, Vec<u8>)>, ServiceError> {
        let snap = self.snapshot(dir);
        let mut out = Vec::new();
        for rel in self.list_in(dir, ext, snap.as_deref())? {
            if let Some(bytes) = self.read_in(&rel, snap.as_deref())? {
                out.push((rel, bytes));
            }
        }
        Ok(out)
    }

    fn list_in(
        &self,
        dir: &str,
        ext: &str,
        snap: Option<&Snapshot>,
    ) -> Result<Vec<PathBuf>, ServiceError> {
        let mut out = Vec::new();
        if let Some(snap) = snap {
            for (name, entry) in &snap.entries {
                let name = name.to_string_lossy();
                if matches!(entry, Entry::File(_)) && name.ends_with(ext) && !name.starts_with('.')
                {
                    out.push(Path::new(dir).join(name.as_ref()));
                }
            }
            return Ok(self.with_overlay(dir, ext, out));
        }
        let full = crate::repo::confine::resolve(&self.root, Path::new(dir))
            .map_err(|e| io_err("list", Path::new(dir), e))?;
        match std::fs::read_dir(full) {
            Ok(entries) => {
                for entry in entries {
                    let entry = entry.map_err(|e| io_err("list", Path::new(dir), e))?;
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
                    if is_file && name.ends_with(ext) && !name.starts_with('.') {
                        out.push(Path::new(dir).join(name.as_ref()));
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("list", Path::new(dir), e)),
        }
        Ok(self.with_overlay(dir, ext, out))
    }

    /// `out` with this run's dry-run creations and removals in `dir`, sorted.
    fn with_overlay(&self, dir: &str, ext: &str, mut out: Vec<PathBuf>) -> Vec<PathBuf> {
        for (path, entry) in &self.overlay {
            let in_dir = path.parent() == Some(Path::new(dir));
            let name_ok = path.to_string_lossy().ends_with(ext);
            if !in_dir || !name_ok {
                continue;
            }
            match entry {
                Some(_) if !out.contains(path) => out.push(path.clone()),
                None => out.retain(|p| p != path),
                _ => {}
            }
        }
        out.sort();
        out
    }

    /// Replace (or create) a file atomically.
    pub fn write(&mut self, rel: &Path, bytes: Vec<u8>) -> Result<(), ServiceError> {
        if self.dry_run {
            self.overlay.insert(rel.to_path_buf(), Some(bytes));
            return Ok(());
        }
        let done = crate::repo::save_atomic_in(&self.root, rel, &bytes)
            .map_err(|e| ServiceError::new(e.to_string()));
        self.written(rel);
        done
    }

    pub fn remove(&mut self, rel: &Path) -> Result<(), ServiceError> {
        if self.dry_run {
            self.overlay.insert(rel.to_path_buf(), None);
            return Ok(());
        }
        let done =
            crate::repo::confine::remove(&self.root, rel).map_err(|e| io_err("remove", rel, e));
        self.written(rel);
        done
    }

    /// Append `bytes` in one `write` on a file opened with `O_APPEND`, so that
    /// lines of concurrent writers never interleave.
    pub fn append(&mut self, rel: &Path, bytes: &[u8]) -> Result<(), ServiceError> {
        if self.dry_run {
            let mut current = self.read(rel)?.unwrap_or_default();
            current.extend_from_slice(bytes);
            self.overlay.insert(rel.to_path_buf(), Some(current));
            return Ok(());
        }
        let done = crate::repo::confine::append(&self.root, rel, bytes)
            .map_err(|e| io_err("append to", rel, e));
        self.written(rel);
        done
    }

    /// Create `rel` with `bytes` only if it does not exist yet; `false` when it
    /// already existed. The content appears complete or not at all.
    pub fn create_new(&mut self, rel: &Path, bytes: Vec<u8>) -> Result<bool, ServiceError> {
        if self.dry_run {
            if self.exists(rel)? {
                return Ok(false);
            }
            self.overlay.insert(rel.to_path_buf(), Some(bytes));
            return Ok(true);
        }
        let path = crate::repo::confine::resolve_for_write(&self.root, rel)
            .map_err(|e| io_err("create", rel, e))?;
        let tmp = temp_path(&path);
        let result = (|| {
            write_synced(&tmp, &bytes)?;
            // A hard link fails when the target exists: create-if-absent with
            // the whole content visible at once.
            match std::fs::hard_link(&tmp, &path) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(e),
            }
        })();
        let _ = std::fs::remove_file(&tmp);
        self.written(rel);
        result.map_err(|e| io_err("create", rel, e))
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // `.<name>.<pid>-<id>.tmp`: the pid lets a later open remove it when a
    // kill left it behind (`repo::remove_stale_temp_files`).
    let id = crate::model::new_id("w");
    path.with_file_name(format!(".{name}.{}-{id}.tmp", std::process::id()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
