//! Unnamed files (`O_TMPFILE`): written and synced before they have a name, then
//! linked into place.
//!
//! A temporary file made this way never shows in its directory: there is no
//! `.name.tmp` entry to create and remove, a kill leaves nothing behind (the file
//! vanishes with its last descriptor), and an `fsync` of it writes its data and
//! inode but not its directory (it has no entry there yet). [`link`] then gives it
//! its name, failing with `AlreadyExists` when the name is taken (a link never
//! replaces): the caller then links it under a temporary name and renames that
//! over the target, as for a named temporary file.
//!
//! Where the platform or the filesystem has no `O_TMPFILE`, or `/proc/self/fd` is
//! not there to link through, [`create`] answers `None` and the caller writes a
//! named temporary file as before.

use std::fs::File;
use std::io;
use std::path::Path;

/// An unnamed file in `dir`, open for writing; `None` where there are none.
#[cfg(target_os = "linux")]
pub fn create(dir: &Path) -> io::Result<Option<File>> {
    use std::os::unix::fs::OpenOptionsExt;
    static USABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if !*USABLE.get_or_init(|| Path::new("/proc/self/fd").is_dir()) {
        return Ok(None);
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .open(dir)
    {
        Ok(f) => Ok(Some(f)),
        // No O_TMPFILE on this filesystem (or kernel): EOPNOTSUPP, EISDIR, EINVAL.
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
pub fn create(_dir: &Path) -> io::Result<Option<File>> {
    Ok(None)
}

/// Give the unnamed `file` the name `target` (in the directory it was made in).
/// `AlreadyExists` when `target` exists: a link never replaces a file.
#[cfg(target_os = "linux")]
pub fn link(file: &File, target: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    let from =
        CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).map_err(io::Error::other)?;
    let to = CString::new(target.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL in a file name"))?;
    // SAFETY: two valid NUL-terminated paths; linkat only reads them.
    let r = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
pub fn link(_file: &File, _target: &Path) -> io::Result<()> {
    Err(io::Error::other("no unnamed files here"))
}

/// Put the synced unnamed `file` at `target`, replacing what is there: a link
/// when the name is free, else a link under `tmp` renamed over `target`.
pub fn publish(file: &File, target: &Path, tmp: &Path) -> io::Result<()> {
    match link(file, target) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            link(file, tmp)?;
            std::fs::rename(tmp, target).inspect_err(|_| {
                let _ = std::fs::remove_file(tmp);
            })
        }
        other => other,
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn an_unnamed_file_is_invisible_until_published_and_then_replaces_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let Some(mut f) = create(dir.path()).unwrap() else {
            return; // This filesystem has no O_TMPFILE: nothing to test here.
        };
        f.write_all(b"one").unwrap();
        f.sync_all().unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let target = dir.path().join("a.json");
        let tmp = dir.path().join(".a.json.tmp");
        publish(&f, &target, &tmp).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"one");
        // A second file over the same name replaces it (through the temporary name).
        let mut g = create(dir.path()).unwrap().unwrap();
        g.write_all(b"two").unwrap();
        assert_eq!(
            link(&g, &target).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        publish(&g, &target, &tmp).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn an_unnamed_file_never_published_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        if let Some(mut f) = create(dir.path()).unwrap() {
            f.write_all(b"lost").unwrap();
            drop(f);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
