//! Recovery copies of unsaved edits, kept in `<repo>/.bpe/recovery/` when bpe
//! dies with a modified workflow open (panic, SIGTERM, SIGHUP) and offered at the
//! next start.
//!
//! The event loop *publishes* the working copy after every edit; the panic hook
//! and the signal handler only write what was published, so they never touch the
//! app state (which may be mid-update when a panic strikes).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::model::{TaskDefinition, slug};

/// The file written to `.bpe/recovery/<slug>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCopy {
    pub format_version: u32,
    /// The definition's file, relative to the repository root.
    pub path: PathBuf,
    /// RFC 3339.
    pub saved_at: String,
    pub definition: TaskDefinition,
}

struct Published {
    root: PathBuf,
    path: PathBuf,
    definition: TaskDefinition,
}

static PUBLISHED: Mutex<Option<Published>> = Mutex::new(None);

pub fn recovery_dir(root: &Path) -> PathBuf {
    root.join(".bpe").join("recovery")
}

/// The recovery file for a definition file (`TaskDefinition/x.json` -> `.bpe/recovery/x.json`).
pub fn recovery_file(root: &Path, definition_path: &Path) -> PathBuf {
    let stem = definition_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    recovery_dir(root).join(format!("{}.json", slug(&stem)))
}

/// Record the unsaved working copy (or `None` when there is nothing unsaved).
pub fn publish(root: &Path, path: &Path, unsaved: Option<&TaskDefinition>) {
    let Ok(mut slot) = PUBLISHED.lock() else {
        return;
    };
    *slot = unsaved.map(|d| Published {
        root: root.to_path_buf(),
        path: path.to_path_buf(),
        definition: d.clone(),
    });
}

/// Write the published working copy, if any. Called from the panic hook and on
/// SIGTERM/SIGHUP; never blocks on the lock (a panic may hold it).
pub fn write_published() -> Vec<PathBuf> {
    let Ok(slot) = PUBLISHED.try_lock() else {
        return Vec::new();
    };
    let Some(p) = slot.as_ref() else {
        return Vec::new();
    };
    match write(&p.root, &p.path, &p.definition) {
        Ok(file) => vec![file],
        Err(_) => Vec::new(),
    }
}

/// Write a recovery copy now.
pub fn write(root: &Path, path: &Path, definition: &TaskDefinition) -> Result<PathBuf, String> {
    let copy = RecoveryCopy {
        format_version: crate::model::FORMAT_VERSION,
        path: path.to_path_buf(),
        saved_at: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        definition: definition.clone(),
    };
    let file = recovery_file(root, path);
    crate::repo::save_json_in(root, &file, &copy).map_err(|e| e.to_string())?;
    Ok(file)
}

/// Every readable recovery copy (broken ones are skipped: they are only copies).
pub fn list(root: &Path) -> Vec<(PathBuf, RecoveryCopy)> {
    // Inside the repository only (docs/security.md, "Repository boundary").
    let Ok(dir) = crate::repo::confine::resolve(root, &recovery_dir(root)) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, RecoveryCopy)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter_map(|p| {
            let bytes = crate::repo::confine::read(root, &p).ok()?;
            let copy: RecoveryCopy = serde_json::from_slice(&bytes).ok()?;
            Some((p, copy))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Forget the recovery copy of a definition file (after a save or a discard).
pub fn remove(root: &Path, definition_path: &Path) {
    let _ = crate::repo::confine::remove(root, &recovery_file(root, definition_path));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_copy_is_written_and_listed_then_removed() {
        let dir = tempfile::tempdir().unwrap();
        let def: TaskDefinition = serde_json::from_str(
            r#"{"formatVersion":1,"id":"td-1","name":"W","process":{"activities":[]}}"#,
        )
        .unwrap();
        let path = Path::new("TaskDefinition/w.json");
        publish(dir.path(), path, None);
        assert!(
            write_published().is_empty(),
            "nothing unsaved, nothing written"
        );
        publish(dir.path(), path, Some(&def));
        let written = write_published();
        assert_eq!(written, vec![dir.path().join(".bpe/recovery/w.json")]);
        let listed = list(dir.path());
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].1.definition, def);
        assert_eq!(listed[0].1.path, path);
        remove(dir.path(), path);
        assert!(list(dir.path()).is_empty());
        publish(dir.path(), path, None);
    }
}
