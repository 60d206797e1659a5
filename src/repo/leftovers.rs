//! Leftovers of killed writes: the temporary files of atomic saves
//! (`.<name>.<pid>-<n>.tmp`) that a SIGKILL between create and rename leaves
//! behind. Front-ends remove the stale ones when they open a repository
//! (`cli::housekeeping`); loading itself never writes.
//!
//! Invariant: a temporary file is removed only when its writer cannot still be
//! using it — its pid is not a live process on this host, or it is older than
//! [`TEMP_MAX_AGE`] — and only inside the repository boundary.

use std::fs;
use std::path::{Path, PathBuf};

use super::is_temp_file;

/// A temporary file older than this is stale whatever its pid says (its
/// writer would have renamed it within moments).
pub const TEMP_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// The pid in the name of a temporary file `.<name>.<pid>-<n>.tmp`.
fn temp_file_pid(name: &str) -> Option<u32> {
    let stem = name.strip_suffix(".tmp")?;
    let (_, last) = stem.rsplit_once('.')?;
    last.split_once('-')?.0.parse().ok()
}

/// Remove the temporary files that killed writes left behind (`.<name>.<pid>-<n>.tmp`
/// in the root, every kind directory, `Outbox/` and `.bpe/*/`): those whose pid
/// is not a live process on this host, and any older than [`TEMP_MAX_AGE`].
/// Directories that resolve outside the repository are not looked at.
/// Returns the removed files (relative to the root). Called when a front-end
/// opens the repository (`cli::housekeeping`), never by loading itself.
pub fn remove_stale_temp_files(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = vec![PathBuf::new()];
    dirs.extend(
        super::confine::data_names()
            .into_iter()
            .filter(|n| !n.ends_with(".json") && !n.ends_with(".jsonl"))
            .map(PathBuf::from),
    );
    if let Ok(state) = super::confine::resolve(root, Path::new(".bpe"))
        && let Ok(entries) = fs::read_dir(state)
    {
        dirs.extend(
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| Path::new(".bpe").join(e.file_name())),
        );
    }
    let mut removed = Vec::new();
    for rel in dirs {
        let Ok(dir) = super::confine::resolve(root, &rel) else {
            continue;
        };
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !is_temp_file(&path) || !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let dead = temp_file_pid(&name).is_some_and(|pid| !super::lock::pid_alive(pid));
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > TEMP_MAX_AGE);
            if (dead || old) && fs::remove_file(&path).is_ok() {
                removed.push(rel.join(&name));
            }
        }
    }
    removed.sort();
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temp_files_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // A pid that certainly is dead: a child that has exited and been reaped.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = child.id();
        child.wait().unwrap();
        let live = std::process::id();
        for rel in ["TaskInstance", "Outbox", ".bpe/locks", ".bpe/cache"] {
            fs::create_dir_all(root.join(rel)).unwrap();
            fs::write(
                root.join(rel).join(format!(".a.json.{dead_pid}-3.tmp")),
                b"x",
            )
            .unwrap();
            fs::write(root.join(rel).join(format!(".b.json.{live}-4.tmp")), b"x").unwrap();
        }
        fs::write(root.join(format!(".audit.jsonl.{dead_pid}-0.tmp")), b"x").unwrap();
        let removed = remove_stale_temp_files(root);
        assert_eq!(removed.len(), 5, "{removed:?}");
        assert!(removed.contains(&PathBuf::from(format!(
            "TaskInstance/.a.json.{dead_pid}-3.tmp"
        ))));
        assert!(
            root.join(format!("TaskInstance/.b.json.{live}-4.tmp"))
                .exists()
        );
        assert!(remove_stale_temp_files(root).is_empty());
        assert_eq!(temp_file_pid(".x.json.12-0.tmp"), Some(12));
        assert_eq!(temp_file_pid(".x.w-0123.tmp"), None);
    }
}
