//! Intent records of moves in progress, and settling what a killed move left
//! (see the invariants of `engine::migrate`).

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::INTENT_DIR;
use crate::engine::store::{StoreError, io};
use crate::model::{ObjectKind, TaskInstance, WorkItem};
use crate::repo::lock::{self, LockMode, LockTarget};
use crate::repo::{confine, parse_file, save_json_in};

/// The intent record written before the first work item changes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Intent {
    pub(super) instance: String,
    /// The instance file, repository-relative.
    pub(super) instance_path: PathBuf,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) work_items: Vec<IntentItem>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct IntentItem {
    pub(super) path: PathBuf,
    pub(super) old: WorkItem,
    pub(super) new: WorkItem,
}

/// The intent record of the instance stored at `instance_rel`.
pub(super) fn intent_path(instance_rel: &Path) -> PathBuf {
    let stem = instance_rel
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Path::new(INTENT_DIR).join(format!("{stem}.json"))
}

/// Finish or undo the moves that a killed `bpe migrate` left (see the module
/// invariants); an instance whose lock a live process holds is left for later.
/// Returns the instance ids it settled.
pub fn recover(root: &Path) -> Result<Vec<String>, StoreError> {
    let Ok(dir) = confine::resolve(root, Path::new(INTENT_DIR)) else {
        return Ok(Vec::new());
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut settled = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !name.ends_with(".json") {
            continue;
        }
        let rel = Path::new(INTENT_DIR).join(&name);
        let Ok(bytes) = confine::read(root, &rel) else {
            continue;
        };
        let Ok(intent) = serde_json::from_slice::<Intent>(&bytes) else {
            continue;
        };
        let target = LockTarget::Instance(intent.instance.clone());
        let Ok(_guard) = lock::acquire(root, target, LockMode::Exclusive, "bpe migrate (recovery)")
        else {
            continue;
        };
        recover_one(root, &rel)?;
        settled.push(intent.instance);
    }
    Ok(settled)
}

/// Settle one intent record (the caller holds the instance lock).
pub(super) fn recover_one(root: &Path, rel: &Path) -> Result<(), StoreError> {
    let bytes = match confine::read(root, rel) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(e)),
    };
    let intent: Intent = serde_json::from_slice(&bytes)
        .map_err(|e| StoreError::Invalid(format!("{}: {e}", rel.display())))?;
    let under = |p: &Path, kind: ObjectKind| {
        p.starts_with(kind.dir_name())
            && p.components().count() == 2
            && p.components().all(|c| matches!(c, Component::Normal(_)))
    };
    if !under(&intent.instance_path, ObjectKind::TaskInstance)
        || !intent
            .work_items
            .iter()
            .all(|w| under(&w.path, ObjectKind::WorkItem))
    {
        return Err(StoreError::Invalid(format!(
            "{}: names files outside TaskInstance/ and WorkItem/; left in place",
            rel.display()
        )));
    }
    let inst = parse_file::<TaskInstance>(root, &intent.instance_path).map_err(io)?;
    let committed = inst.definition.hash == intent.to;
    for w in &intent.work_items {
        let want = if committed { &w.new } else { &w.old };
        let now = parse_file::<WorkItem>(root, &w.path).ok();
        if now.as_ref() != Some(want) && now.is_none_or(|n| !n.complete) {
            save_json_in(root, &w.path, want).map_err(io)?;
        }
    }
    confine::remove(root, rel).map_err(io)
}
