//! The stamp (size, modification time in ns) of a definition file, for the
//! index's trust rule: one `fstatat` of its name relative to its directory,
//! opened once, not following links.

use std::fs::{File, OpenOptions};
use std::path::Path;

/// A directory opened for `fstatat` of the names in it: not through a link
/// swapped in after it was resolved.
pub(super) fn open_dir(dir: &Path) -> Option<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW);
    }
    options.open(dir).ok()
}

/// Size and modification time (ns) of `name` in `dir` when it is a regular
/// file, not following a link: one `fstatat` relative to the open directory.
#[cfg(unix)]
pub(super) fn regular_file_stamp(dir: &File, name: &std::ffi::OsStr) -> Option<(u64, u64)> {
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(name.as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `name` is NUL-terminated and outlives the call, `dir` is an open
    // descriptor, and `st` is only read after `fstatat` reported success.
    let st = unsafe {
        if libc::fstatat(
            dir.as_raw_fd(),
            name.as_ptr(),
            st.as_mut_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        ) != 0
        {
            return None;
        }
        st.assume_init()
    };
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return None;
    }
    // As `nanos` of `Metadata::modified`: before the epoch has no stamp.
    let secs = u64::try_from(st.st_mtime).ok()?;
    let mtime_ns = secs
        .checked_mul(1_000_000_000)?
        .checked_add(u64::try_from(st.st_mtime_nsec).ok()?)?;
    Some((u64::try_from(st.st_size).ok()?, mtime_ns))
}

#[cfg(not(unix))]
pub(super) fn regular_file_stamp(_dir: &File, _name: &std::ffi::OsStr) -> Option<(u64, u64)> {
    None
}
