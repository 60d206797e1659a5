//! Atomic saves and the file naming of repository objects.
//!
//! Every write goes through [`save_atomic`]: the bytes land in a temporary file
//! in the same directory, are fsynced, and are renamed over the target, and the
//! directory is fsynced, so a crash leaves either the old or the new file, never
//! a torn one. Temporary files start with `.` and end with `.tmp`, so loading
//! and the watcher ignore them.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Repository;
use crate::model::{
    EmailTemplate, ObjectKind, Policy, RepositoryConfig, Role, Rule, RuleLibrary, TaskDefinition,
    TaskInstance, User, WorkItem, slug,
};

/// A write that failed, naming the file.
#[derive(Debug)]
pub enum SaveError {
    Io(PathBuf, io::Error),
    Serialize(PathBuf, serde_json::Error),
    /// The save was refused because of a lock (e.g. a run holds the definition).
    Locked(super::lock::LockError),
    /// The text would not load again or is over [`MAX_FILE_BYTES`]; nothing was written.
    Refused(PathBuf, String),
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaveError::Io(p, e) => write!(f, "cannot write {}: {e}", p.display()),
            SaveError::Serialize(p, e) => write!(f, "cannot serialise {}: {e}", p.display()),
            SaveError::Locked(e) => write!(f, "cannot save: {e}"),
            SaveError::Refused(p, why) => write!(f, "refused to write {}: {why}", p.display()),
        }
    }
}

impl std::error::Error for SaveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SaveError::Io(_, e) => Some(e),
            SaveError::Serialize(_, e) => Some(e),
            SaveError::Locked(e) => Some(e),
            SaveError::Refused(..) => None,
        }
    }
}

/// True for the temporary files [`save_atomic`] creates (`.<name>.<pid>-<n>.tmp`).
pub fn is_temp_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n.ends_with(".tmp"))
}

/// Write `bytes` to `path` atomically: temp file in the same directory, write,
/// fsync the file, rename over `path`, fsync the directory (put off to the
/// commit when a [`super::group_commit::GroupCommit`] is open on this thread).
/// Creates the parent directory when missing. On failure the temp file is removed and `path` is untouched.
pub fn save_atomic(path: &Path, bytes: &[u8]) -> Result<(), SaveError> {
    let io_err = |e| SaveError::Io(path.to_path_buf(), e);
    if super::group_commit::defers(path) {
        // Written, synced and renamed at the batch's flush (see `group_commit`).
        return super::group_commit::defer_write(bytes, path).map_err(io_err);
    }
    // A write that is not put off lands after the ones that are (write order).
    super::group_commit::flush_deferred().map_err(io_err)?;
    let (f, tmp) = write_temp(path, bytes).map_err(io_err)?;
    let dir = tmp.parent().unwrap_or(Path::new(".")).to_path_buf();
    let finish = || -> io::Result<()> {
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        if super::group_commit::defer_dir_sync(&dir) {
            return Ok(());
        }
        sync_dir(&dir)
    };
    finish().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_err(e)
    })
}

/// Write `bytes` to a new temporary file beside `path` (creating the directory
/// when missing), unsynced: the open file and its name. On failure nothing is left.
pub(super) fn write_temp(path: &Path, bytes: &[u8]) -> io::Result<(File, PathBuf)> {
    let tmp = temp_name(path)?;
    let dir = tmp.parent().unwrap_or(Path::new(".")).to_path_buf();
    let create = || OpenOptions::new().write(true).create_new(true).open(&tmp);
    // The directory usually exists (`save_atomic_in` made it): create it only when
    // the temporary file cannot be.
    let mut f = match create() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(&dir)?;
            create()?
        }
        other => other?,
    };
    if let Err(e) = f.write_all(bytes) {
        drop(f);
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    Ok((f, tmp))
}

/// A fresh temporary name beside `path`: `.<name>.<pid>-<n>.tmp`.
pub(super) fn temp_name(path: &Path) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    Ok(dir.join(format!(
        ".{}.{}-{}.tmp",
        file_name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )))
}

/// fsync a directory so a rename in it is durable. Platforms that cannot open
/// directories for syncing are not an error.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    match File::open(dir) {
        Ok(d) => match d.sync_all() {
            Ok(()) => Ok(()),
            // Some filesystems refuse fsync on directories; the rename already happened.
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(()),
            Err(e) => Err(e),
        },
        Err(_) => Ok(()),
    }
}

/// [`save_atomic`] for a file of the repository at `root`: the path is
/// resolved inside the repository first ([`super::confine::resolve_for_write`]),
/// so no symbolic link takes the write outside it.
pub fn save_atomic_in(root: &Path, path: &Path, bytes: &[u8]) -> Result<(), SaveError> {
    let target = super::confine::resolve_for_write(root, path)
        .map_err(|e| SaveError::Io(path.to_path_buf(), e))?;
    save_atomic(&target, bytes)
}

/// [`save_json`] for a file of the repository at `root` (see [`save_atomic_in`]).
pub fn save_json_in<T: Serialize + ?Sized>(
    root: &Path,
    path: &Path,
    value: &T,
) -> Result<(), SaveError> {
    let bytes = to_json_bytes(value).map_err(|e| SaveError::Serialize(path.to_path_buf(), e))?;
    save_atomic_in(root, path, &bytes)
}

/// The canonical text of a JSON file: pretty (2-space indent), fields in
/// declaration order, trailing newline.
pub fn to_json_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Largest JSON file bpe writes (an instance with its variables and history, a
/// work item, a definition): a bigger one is refused, not written.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// Deepest nesting of arrays and objects in a JSON file bpe writes. The reader
/// (serde_json) refuses files nested deeper than 128 levels; values in files
/// are bounded to [`crate::expr::MAX_VALUE_DEPTH`] (100) levels, and the file
/// structure around them adds fewer than 20.
pub const MAX_FILE_DEPTH: usize = 120;

/// Serialise `value` as canonical JSON (see [`to_json_bytes`]) and save it
/// atomically — unless the text is over [`MAX_FILE_BYTES`] or nested deeper than
/// [`MAX_FILE_DEPTH`]: then nothing is written and the error says why, so no
/// file is ever written that the loader refuses.
pub fn save_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), SaveError> {
    let bytes = to_json_bytes(value).map_err(|e| SaveError::Serialize(path.to_path_buf(), e))?;
    check_loadable(&bytes).map_err(|why| SaveError::Refused(path.to_path_buf(), why))?;
    save_atomic(path, &bytes)
}

/// Why JSON text written by [`to_json_bytes`] would not load again (or is too
/// big to keep): over [`MAX_FILE_BYTES`], or nested deeper than [`MAX_FILE_DEPTH`].
pub fn check_loadable(json: &[u8]) -> Result<(), String> {
    if json.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{} MiB of JSON is over the limit of {} MiB per file",
            json.len() >> 20,
            MAX_FILE_BYTES >> 20
        ));
    }
    let depth = json_depth(json);
    if depth > MAX_FILE_DEPTH {
        return Err(format!(
            "values nested {depth} levels deep (files may nest at most {MAX_FILE_DEPTH})"
        ));
    }
    Ok(())
}

/// Deepest nesting of `[` and `{` in well-formed JSON text, strings skipped.
fn json_depth(json: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for &b in json {
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Make an id safe as a file stem: ASCII letters, digits, `-` and `_` are kept,
/// everything else becomes `_`; never empty, never starting with `.`, at most
/// 120 bytes. Generated ids (`ti-0123…`) pass through unchanged.
pub fn sanitize_id(id: &str) -> String {
    let mut out: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    out.truncate(120);
    if out.is_empty() {
        "unnamed".to_string()
    } else {
        out
    }
}

/// Objects with a `formatVersion` field.
pub trait Versioned {
    fn format_version(&self) -> u32;
}

/// A kind of object stored one file per object in its kind's directory.
pub trait RepoObject: Versioned + Serialize + DeserializeOwned {
    const KIND: ObjectKind;
    /// The file stem this object is saved under by default: a slug of its name,
    /// or its sanitised id. Never a raw name.
    fn file_stem(&self) -> String;
    /// The id other objects reference it by (for duplicate detection), if the kind has one.
    fn object_id(&self) -> Option<&str>;
    /// The human name that must be unique per kind, if the kind has one.
    fn object_name(&self) -> Option<&str>;
}

macro_rules! versioned {
    ($($t:ty),*) => {$(
        impl Versioned for $t {
            fn format_version(&self) -> u32 {
                self.format_version
            }
        }
    )*};
}
versioned!(
    TaskDefinition,
    Rule,
    EmailTemplate,
    User,
    Role,
    Policy,
    TaskInstance,
    WorkItem,
    RepositoryConfig,
    RuleLibrary
);

/// `repo_object!(Type, Kind, stem, id, name)`: implements [`RepoObject`]. `stem` is
/// `slug(field)` or `id(field)` (sanitised), `id` and `name` are a field or `-`
/// when the kind has none.
macro_rules! repo_object {
    (@opt $self:ident, -) => { None };
    (@opt $self:ident, $f:ident) => { Some(&$self.$f) };
    (@stem $self:ident, slug($f:ident)) => { slug(&$self.$f) };
    (@stem $self:ident, id($f:ident)) => { sanitize_id(&$self.$f) };
    ($($t:ty => $kind:ident, $stem:ident($sf:ident), $id:tt, $name:tt;)*) => {$(
        impl RepoObject for $t {
            const KIND: ObjectKind = ObjectKind::$kind;
            fn file_stem(&self) -> String {
                repo_object!(@stem self, $stem($sf))
            }
            fn object_id(&self) -> Option<&str> {
                repo_object!(@opt self, $id)
            }
            fn object_name(&self) -> Option<&str> {
                repo_object!(@opt self, $name)
            }
        }
    )*};
}

repo_object! {
    TaskDefinition => TaskDefinition, slug(name), id, name;
    Rule => Rule, slug(name), id, name;
    EmailTemplate => EmailTemplate, slug(name), id, name;
    User => User, slug(account_id), account_id, -;
    Role => Role, slug(name), -, name;
    Policy => Policy, slug(name), -, name;
    TaskInstance => TaskInstance, id(id), id, -;
    RuleLibrary => Configuration, slug(name), id, name;
    WorkItem => WorkItem, id(id), id, -;
}

/// `<root>/<Kind>/<file_stem>.json`: where [`write_object`] saves `value`.
pub fn object_path<T: RepoObject>(root: &Path, value: &T) -> PathBuf {
    root.join(T::KIND.dir_name())
        .join(format!("{}.json", value.file_stem()))
}

/// Save an object at its default path ([`object_path`]); returns that path.
///
/// Right for TaskInstance (`TaskInstance/<id>.json`), WorkItem (`WorkItem/<id>.json`)
/// and User (`User/<slug(accountId)>.json`). For TaskDefinitions, whose file may
/// have been named before a rename, prefer [`Repository::save_definition`].
pub fn write_object<T: RepoObject>(root: &Path, value: &T) -> Result<PathBuf, SaveError> {
    let path = object_path(root, value);
    save_json_in(root, &path, value)?;
    Ok(path)
}

/// Save a TaskInstance as `TaskInstance/<id>.json`.
pub fn write_instance(root: &Path, instance: &TaskInstance) -> Result<PathBuf, SaveError> {
    write_object(root, instance)
}

/// Save a WorkItem as `WorkItem/<id>.json`.
pub fn write_work_item(root: &Path, item: &WorkItem) -> Result<PathBuf, SaveError> {
    write_object(root, item)
}

/// Save a User as `User/<slug(accountId)>.json`.
pub fn write_user(root: &Path, user: &User) -> Result<PathBuf, SaveError> {
    write_object(root, user)
}

/// Save a TaskDefinition to `path` (absolute, or relative to `root`) while
/// holding its run lock exclusively: refused with [`SaveError::Locked`] while
/// any run reads the definition, and no run starts on a half-written file.
/// Returns the absolute path written.
pub fn save_definition_file(
    root: &Path,
    path: &Path,
    def: &TaskDefinition,
) -> Result<PathBuf, SaveError> {
    let _no_runs = super::lock::acquire(
        root,
        super::lock::LockTarget::DefinitionRun(def.id.clone()),
        super::lock::LockMode::Exclusive,
        "save definition",
    )
    .map_err(SaveError::Locked)?;
    let path = root.join(path);
    save_json_in(root, &path, def)?;
    Ok(path)
}

impl Repository {
    /// The file a TaskDefinition named `name` is saved to (absolute): the file it
    /// was loaded from when a definition of that name exists, otherwise
    /// `TaskDefinition/<slug(name)>.json`, with `-2`, `-3`, … appended when that
    /// file already holds another definition (two names can share a slug).
    pub fn definition_path_for(&self, name: &str) -> PathBuf {
        if let Some(d) = self.definition(name) {
            return self.root.join(&d.path);
        }
        self.free_definition_path(&slug(name))
    }

    fn free_definition_path(&self, stem: &str) -> PathBuf {
        let dir = Path::new(ObjectKind::TaskDefinition.dir_name());
        let taken = |rel: &Path| {
            self.definitions.iter().any(|d| d.path == rel)
                || self.errors.iter().any(|e| e.path == rel)
                || self.root.join(rel).exists()
        };
        let mut n = 1;
        loop {
            let file = if n == 1 {
                format!("{stem}.json")
            } else {
                format!("{stem}-{n}.json")
            };
            let rel = dir.join(file);
            if !taken(&rel) {
                return self.root.join(rel);
            }
            n += 1;
        }
    }

    /// Save a TaskDefinition: over the file that holds the same id when there is
    /// one (renames keep their file), else at [`Repository::definition_path_for`].
    /// Refused with [`SaveError::Locked`] while a run holds the definition: the
    /// run lock is taken exclusively for the duration of the write, so no run
    /// can start reading a half-saved definition either.
    /// Returns the absolute path written.
    pub fn save_definition(&self, def: &TaskDefinition) -> Result<PathBuf, SaveError> {
        let path = match self.definitions.iter().find(|d| d.value.id == def.id) {
            Some(existing) => self.root.join(&existing.path),
            None => self.definition_path_for(&def.name),
        };
        // `path` is under `root` already; with a relative root, joining it again
        // would write to `root/root/...`.
        let rel = path.strip_prefix(&self.root).unwrap_or(&path);
        save_definition_file(&self.root, rel, def)?;
        Ok(path)
    }
}

#[cfg(test)]
#[path = "save_tests.rs"]
mod tests;
