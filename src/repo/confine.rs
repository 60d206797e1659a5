//! The repository boundary: every read and write of repository data resolves
//! inside the repository (rule in `docs/security.md`, "Repository boundary").
//!
//! Invariants:
//! - The root may itself be a symbolic link; it is canonicalised when first
//!   used (once per process), and everything below it is checked against the
//!   canonical root.
//! - A path below the root is walked one component at a time. A component that
//!   is a symbolic link is resolved; when the result lies outside the canonical
//!   root the access is refused with an error naming the link and its target
//!   ([`io::ErrorKind::PermissionDenied`]). Links that resolve inside the root are
//!   followed. Dangling links are refused (creating through one could create a
//!   file anywhere).
//! - `..`, absolute components and paths outside the root are refused.
//! - Opens use `O_NOFOLLOW` on the resolved path, so a link swapped in after
//!   the check is not followed; reads also use `O_NONBLOCK` and accept regular
//!   files only, so a FIFO never blocks a read.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

fn refused(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, message)
}

/// The canonical form of a repository root, computed once per root and
/// process (the root is canonicalised when it is first used, so a root link
/// re-pointed later does not move a running bpe to another repository).
fn canonical_root(root: &Path) -> io::Result<PathBuf> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static ROOTS: Mutex<Option<HashMap<PathBuf, PathBuf>>> = Mutex::new(None);
    let mut roots = ROOTS.lock().unwrap_or_else(|e| e.into_inner());
    let roots = roots.get_or_insert_with(HashMap::new);
    if let Some(canon) = roots.get(root) {
        return Ok(canon.clone());
    }
    let canon = fs::canonicalize(root)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", root.display())))?;
    // Bounded: a process opens few repositories; tests open many temporary ones.
    if roots.len() >= 64 {
        roots.clear();
    }
    roots.insert(root.to_path_buf(), canon.clone());
    Ok(canon)
}

/// `path` (absolute, relative to the current directory but starting with
/// `root`, or relative to `root`) as a path relative to `root`.
fn relative_to_root<'p>(root: &Path, canon_root: &Path, path: &'p Path) -> io::Result<&'p Path> {
    if let Ok(rel) = path.strip_prefix(root) {
        return Ok(rel);
    }
    if let Ok(rel) = path.strip_prefix(canon_root) {
        return Ok(rel);
    }
    if path.is_relative() {
        return Ok(path);
    }
    Err(refused(format!(
        "{} is outside the repository {}",
        path.display(),
        canon_root.display()
    )))
}

/// The canonical form of `path` below `root`, checked to lie inside the root
/// (see the module invariants). Components that do not exist yet are appended
/// as they are. The final component is resolved too when it is a link.
pub fn resolve(root: &Path, path: &Path) -> io::Result<PathBuf> {
    walk(root, path).map(|(p, _)| p)
}

/// [`resolve`], and whether the path names an existing plain directory (every
/// component there, none of them a link): then there is nothing to create.
fn walk(root: &Path, path: &Path) -> io::Result<(PathBuf, bool)> {
    let canon_root = canonical_root(root)?;
    let rel = relative_to_root(root, &canon_root, path)?;
    let mut current = canon_root.clone();
    let mut walked = PathBuf::new();
    let mut missing = false;
    // The root is a directory; each component below must be one too.
    let mut plain_dir = true;
    for component in rel.components() {
        let name = match component {
            Component::CurDir => continue,
            Component::Normal(name) => name,
            _ => {
                return Err(refused(format!(
                    "{} leaves the repository (only plain names are allowed below it)",
                    path.display()
                )));
            }
        };
        walked.push(name);
        let next = current.join(name);
        if missing {
            current = next;
            continue;
        }
        match fs::symlink_metadata(&next) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                missing = true;
                plain_dir = false;
                current = next;
            }
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("{}: {e}", walked.display()),
                ));
            }
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&next).unwrap_or_default();
                let resolved = fs::canonicalize(&next).map_err(|_| {
                    refused(format!(
                        "{} is a symbolic link to {} that does not resolve",
                        walked.display(),
                        target.display()
                    ))
                })?;
                if !resolved.starts_with(&canon_root) {
                    return Err(refused(format!(
                        "{} is a symbolic link to {}, outside the repository {}",
                        walked.display(),
                        resolved.display(),
                        canon_root.display()
                    )));
                }
                current = resolved;
                plain_dir = false;
            }
            Ok(meta) => {
                plain_dir = meta.is_dir();
                current = next;
            }
        }
    }
    Ok((current, plain_dir))
}

/// [`resolve`] `dir` and create it (and missing parents) inside the root.
/// Returns the resolved directory.
pub fn create_dir(root: &Path, dir: &Path) -> io::Result<PathBuf> {
    let (resolved, exists) = walk(root, dir)?;
    if exists {
        // Walked component by component just now, no link on the way.
        return Ok(resolved);
    }
    fs::create_dir_all(&resolved)?;
    // A link raced in while creating would show here.
    let again = resolve(root, &resolved)?;
    if again != resolved {
        return Err(refused(format!(
            "{} changed while it was created",
            dir.display()
        )));
    }
    Ok(resolved)
}

/// Where a file at `path` is written: its directory resolved and created inside
/// the root, and the file name, resolved when it is a link (inside the root).
pub fn resolve_for_write(root: &Path, path: &Path) -> io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let parent = path.parent().unwrap_or(Path::new(""));
    let dir = create_dir(root, parent)?;
    let target = dir.join(name);
    // The directory is resolved and inside the root: only the name is left to
    // check, unless it is a link (then resolved and checked like any path).
    match fs::symlink_metadata(&target) {
        Ok(meta) if meta.file_type().is_symlink() => resolve(root, &target),
        _ if matches!(
            Path::new(name).components().next(),
            Some(Component::Normal(_))
        ) =>
        {
            Ok(target)
        }
        _ => resolve(root, &target),
    }
}

/// Add `O_NOFOLLOW` (where the platform has it): opening a symbolic link fails.
pub fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options
}

/// Open `path` for reading only when it is a regular file: not through a
/// final link, and without blocking when it is a FIFO. For files whose
/// directory was checked already (lock records).
pub fn open_regular_file(path: &Path) -> io::Result<File> {
    open_regular(path, path)
}

/// Open a resolved path for reading: not through a link, never blocking on a
/// FIFO, and only when it is a regular file.
fn open_regular(resolved: &Path, shown: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(resolved)?;
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is {}, not a file", shown.display(), describe(kind)),
        ));
    }
    Ok(file)
}

fn describe(kind: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// The bytes of a repository file, read inside the boundary (see the module
/// invariants). `NotFound` when it does not exist.
pub fn read(root: &Path, path: &Path) -> io::Result<Vec<u8>> {
    let resolved = resolve(root, path)?;
    let shown = relative_to_root(root, &resolved, path).unwrap_or(path);
    let mut file = open_regular(&resolved, shown)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Append `bytes` with one `write` on a file opened `O_APPEND | O_NOFOLLOW`
/// inside the boundary, creating the file and its directory when missing, and
/// sync it (at the commit when a `group_commit::GroupCommit` is open on this
/// thread). Concurrent appenders' lines never interleave. A file with more than
/// one hard link is refused (its data may be shared with a file outside).
///
/// Under a group commit that defers appends to the file's directory, the line is
/// written at the batch's flush instead; any other append first flushes the saves
/// and lines put off before it, so appends and saves land in the order made.
pub fn append(root: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let resolved = resolve_for_write(root, path)?;
    if super::group_commit::defer_append(&resolved, bytes)? {
        return Ok(());
    }
    super::group_commit::flush_deferred()?;
    let file = append_resolved(&resolved, path, bytes)?;
    if super::group_commit::defer_file_sync(&resolved) {
        return Ok(());
    }
    file.sync_data()
}

/// [`append`] without the sync: the open file (to sync) and its resolved path.
/// For a caller that shares one sync among many appends (`bpe launch`'s record).
pub fn append_unsynced(root: &Path, path: &Path, bytes: &[u8]) -> io::Result<(File, PathBuf)> {
    let resolved = resolve_for_write(root, path)?;
    let file = append_resolved(&resolved, path, bytes)?;
    Ok((file, resolved))
}

/// Append `bytes` with one `write` to `resolved` (a path [`resolve_for_write`]
/// returned; `path` names it in errors): opened `O_APPEND | O_NOFOLLOW`, created
/// when missing, refused unless a regular file with one link. Not synced.
pub(super) fn append_resolved(resolved: &Path, path: &Path, bytes: &[u8]) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    let file = no_follow(&mut options).open(resolved)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    // A hard link shares its data with a file that may lie anywhere: appending
    // would write there. (Atomic saves replace a link instead of writing into it.)
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return Err(refused(format!(
                "{} has {} hard links; bpe appends only to a file of its own",
                path.display(),
                meta.nlink()
            )));
        }
    }
    write_once(&file, bytes)?;
    Ok(file)
}

/// Write `bytes` with exactly one `write` (to an `O_APPEND` file: one line that
/// concurrent appenders never split); a short write is an error.
pub fn write_once(mut file: &File, bytes: &[u8]) -> io::Result<()> {
    let written = file.write(bytes)?;
    if written != bytes.len() {
        return Err(io::Error::other(format!(
            "short write ({written} of {} bytes)",
            bytes.len()
        )));
    }
    Ok(())
}

/// Remove a repository file (a link itself, not its target), inside the
/// boundary. A missing file is not an error.
pub fn remove(root: &Path, path: &Path) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let dir = resolve(root, path.parent().unwrap_or(Path::new("")))?;
    // Saves and lines put off before land first (write order).
    super::group_commit::flush_deferred()?;
    match fs::remove_file(dir.join(name)) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// The files and directories of a repository that hold its data: the kind
/// directories, `.bpe/`, `Outbox/`, `journal/`, `repository.json` and `audit.jsonl`.
pub fn data_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = crate::model::ObjectKind::ALL
        .iter()
        .map(|k| k.dir_name())
        .collect();
    names.extend([
        ".bpe",
        "Outbox",
        "journal",
        "repository.json",
        "audit.jsonl",
    ]);
    names
}

/// When `path` (resolved through links, and relative to the current
/// directory when relative) is or lies in one of the repository's data files or
/// directories ([`data_names`]), that name. Files bpe writes for other programs
/// (an exported XML file) must never land there: the repository would read them
/// as its own data.
pub fn data_location(root: &Path, path: &Path) -> Option<&'static str> {
    let canon_root = fs::canonicalize(root).ok()?;
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut resolved = fs::canonicalize(parent).ok()?.join(name);
    if let Ok(target) = fs::canonicalize(&resolved) {
        resolved = target;
    }
    let rel = resolved.strip_prefix(&canon_root).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    data_names().into_iter().find(|n| *n == first)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_inside_are_followed_and_links_outside_refused() {
        let repo = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = repo.path();
        fs::create_dir(root.join("Real")).unwrap();
        symlink(root.join("Real"), root.join("Inside")).unwrap();
        symlink(outside.path(), root.join("Out")).unwrap();
        let inside = resolve(root, Path::new("Inside/a.json")).unwrap();
        assert_eq!(inside, root.canonicalize().unwrap().join("Real/a.json"));
        let err = resolve(root, Path::new("Out/a.json")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        let text = err.to_string();
        assert!(text.starts_with("Out is a symbolic link to "), "{text}");
        assert!(text.contains("outside the repository"), "{text}");
        assert!(resolve(root, Path::new("../x")).is_err());
        assert!(resolve(root, Path::new("/etc/passwd")).is_err());
        // Absolute paths under the root are fine, and so is a root that is a link.
        let link_root = outside.path().join("link");
        symlink(root, &link_root).unwrap();
        assert_eq!(
            resolve(&link_root, &link_root.join("Inside/b")).unwrap(),
            root.canonicalize().unwrap().join("Real/b")
        );
    }

    #[test]
    fn dangling_links_fifos_and_directories_are_refused() {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path();
        symlink("/nonexistent/bpe-target", root.join("a.json")).unwrap();
        let err = append(root, Path::new("a.json"), b"x").unwrap_err();
        assert!(err.to_string().contains("does not resolve"), "{err}");
        assert!(!Path::new("/nonexistent/bpe-target").exists());
        let fifo = root.join("f.json");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = read(root, Path::new("f.json")).unwrap_err();
        assert!(err.to_string().contains("is a FIFO"), "{err}");
        fs::create_dir(root.join("d.json")).unwrap();
        let err = read(root, Path::new("d.json")).unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
    }

    #[test]
    fn append_creates_inside_and_remove_removes_the_link_only() {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path();
        append(root, Path::new("Outbox/x.log"), b"one\n").unwrap();
        append(root, &root.join("Outbox/x.log"), b"two\n").unwrap();
        assert_eq!(
            read(root, Path::new("Outbox/x.log")).unwrap(),
            b"one\ntwo\n"
        );
        symlink(root.join("Outbox/x.log"), root.join("l.log")).unwrap();
        remove(root, Path::new("l.log")).unwrap();
        assert!(root.join("Outbox/x.log").exists());
        remove(root, Path::new("l.log")).unwrap();
        // A hard link to a file elsewhere is never appended to.
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        fs::write(&victim, b"mine\n").unwrap();
        if fs::hard_link(&victim, root.join("audit.jsonl")).is_ok() {
            let err = append(root, Path::new("audit.jsonl"), b"x\n").unwrap_err();
            assert!(err.to_string().contains("hard links"), "{err}");
            assert_eq!(fs::read(&victim).unwrap(), b"mine\n");
        }
    }
}
