//! Recovery copies of unsaved edits, kept in `<repo>/.bpe/recovery/` when bpe
//! dies with a modified workflow or rule open (panic, SIGTERM, SIGHUP) and
//! offered at the next start.
//!
//! The event loop *publishes* each editor's working copy after every edit; the
//! panic hook and the signal handler only write what was published, so they
//! never touch the app state (which may be mid-update when a panic strikes).
//!
//! Generic over object kinds ([`Recovered`]): a copy names its file (relative
//! to the root) and holds the object under its kind's key (`definition`,
//! `rule`, `emailTemplate`), so a workflow copy written before rules had
//! copies still reads. Another kind is one more variant and one more arm in
//! the restore (`sync::restore_recovery`). Copies are keyed by the object's
//! file, so a workflow, a rule and a template editor open at once each keep
//! theirs.
//!
//! Invariants: a copy's file name comes from [`slug`] (never from a name as
//! typed); copies are read and written inside the repository (`confine`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::model::{EmailTemplate, Rule, TaskDefinition, slug};

/// The file written to `.bpe/recovery/<slug>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCopy {
    pub format_version: u32,
    /// The object's file, relative to the repository root.
    pub path: PathBuf,
    /// RFC 3339.
    pub saved_at: String,
    /// The unsaved object, under its kind's key.
    #[serde(flatten)]
    pub object: Recovered,
}

/// What a recovery copy holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Recovered {
    /// A workflow (TaskDefinition), key `definition`.
    Definition(TaskDefinition),
    /// A rule, key `rule`.
    Rule(Rule),
    /// An email template, key `emailTemplate`.
    EmailTemplate(EmailTemplate),
}

impl Recovered {
    /// The object's name.
    pub fn name(&self) -> &str {
        match self {
            Recovered::Definition(d) => &d.name,
            Recovered::Rule(r) => &r.name,
            Recovered::EmailTemplate(t) => &t.name,
        }
    }

    /// `workflow`, `rule` or `email template`, for the recovery dialog.
    pub fn kind(&self) -> &'static str {
        match self {
            Recovered::Definition(_) => "workflow",
            Recovered::Rule(_) => "rule",
            Recovered::EmailTemplate(_) => "email template",
        }
    }
}

struct Published {
    root: PathBuf,
    path: PathBuf,
    object: Recovered,
}

/// Published working copies by file (root joined with the relative path).
static PUBLISHED: Mutex<BTreeMap<PathBuf, Published>> = Mutex::new(BTreeMap::new());

pub fn recovery_dir(root: &Path) -> PathBuf {
    root.join(".bpe").join("recovery")
}

/// The recovery file for an object's file: `TaskDefinition/x.json` ->
/// `.bpe/recovery/x.json` (as before rules had copies); any other kind's
/// folder prefixes the name, `Rule/x.json` -> `.bpe/recovery/rule--x.json`,
/// so a rule and a workflow of the same name keep separate copies.
pub fn recovery_file(root: &Path, object_path: &Path) -> PathBuf {
    let stem = object_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let folder = object_path
        .components()
        .next()
        .filter(|_| object_path.components().count() > 1)
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = if folder.is_empty() || folder == "TaskDefinition" {
        slug(&stem)
    } else {
        format!("{}--{}", slug(&folder), slug(&stem))
    };
    recovery_dir(root).join(format!("{name}.json"))
}

/// Record the unsaved working copy of a workflow (or `None` when there is
/// nothing unsaved).
pub fn publish(root: &Path, path: &Path, unsaved: Option<&TaskDefinition>) {
    publish_object(root, path, unsaved.cloned().map(Recovered::Definition));
}

/// Record the unsaved working copy of the object at `path` (any kind), or
/// forget it (`None`).
pub fn publish_object(root: &Path, path: &Path, unsaved: Option<Recovered>) {
    let Ok(mut slot) = PUBLISHED.lock() else {
        return;
    };
    match unsaved {
        Some(object) => {
            slot.insert(
                root.join(path),
                Published {
                    root: root.to_path_buf(),
                    path: path.to_path_buf(),
                    object,
                },
            );
        }
        None => {
            slot.remove(&root.join(path));
        }
    }
}

/// Forget every published copy (a normal exit: the user answered for them).
pub fn clear_published() {
    if let Ok(mut slot) = PUBLISHED.lock() {
        slot.clear();
    }
}

/// Write the published working copies, if any. Called from the panic hook and
/// on SIGTERM/SIGHUP; never blocks on the lock (a panic may hold it).
pub fn write_published() -> Vec<PathBuf> {
    let Ok(slot) = PUBLISHED.try_lock() else {
        return Vec::new();
    };
    slot.values()
        .filter_map(|p| write_object(&p.root, &p.path, &p.object).ok())
        .collect()
}

/// Write a recovery copy now.
pub fn write(root: &Path, path: &Path, definition: &TaskDefinition) -> Result<PathBuf, String> {
    write_object(root, path, &Recovered::Definition(definition.clone()))
}

/// Write a recovery copy of any kind of object now.
pub fn write_object(root: &Path, path: &Path, object: &Recovered) -> Result<PathBuf, String> {
    let copy = RecoveryCopy {
        format_version: crate::model::FORMAT_VERSION,
        path: path.to_path_buf(),
        saved_at: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        object: object.clone(),
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

/// Forget the recovery copy of an object's file (after a save or a discard).
pub fn remove(root: &Path, object_path: &Path) {
    let _ = crate::repo::confine::remove(root, &recovery_file(root, object_path));
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
        // Other tests of this binary may publish at the same time: look at this root only.
        let mine = |written: Vec<PathBuf>| -> Vec<PathBuf> {
            written
                .into_iter()
                .filter(|f| f.starts_with(dir.path()))
                .collect()
        };
        publish(dir.path(), path, None);
        assert!(
            mine(write_published()).is_empty(),
            "nothing unsaved, nothing written"
        );
        publish(dir.path(), path, Some(&def));
        let written = mine(write_published());
        assert_eq!(written, vec![dir.path().join(".bpe/recovery/w.json")]);
        let listed = list(dir.path());
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].1.object, Recovered::Definition(def.clone()));
        assert_eq!(listed[0].1.path, path);
        remove(dir.path(), path);
        assert!(list(dir.path()).is_empty());
        publish(dir.path(), path, None);
    }

    #[test]
    fn a_rule_copy_sits_next_to_a_workflow_copy_of_the_same_stem() {
        let dir = tempfile::tempdir().unwrap();
        let def: TaskDefinition = serde_json::from_str(
            r#"{"formatVersion":1,"id":"td-1","name":"W","process":{"activities":[]}}"#,
        )
        .unwrap();
        let rule: Rule =
            serde_json::from_str(r#"{"formatVersion":1,"id":"r-1","name":"W","body":"(add 1 2)"}"#)
                .unwrap();
        let wf = Path::new("TaskDefinition/w.json");
        let rp = Path::new("Rule/w.json");
        write(dir.path(), wf, &def).unwrap();
        let file = write_object(dir.path(), rp, &Recovered::Rule(rule.clone())).unwrap();
        assert_eq!(file, dir.path().join(".bpe/recovery/rule--w.json"));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("\"rule\": {"), "{text}");
        let listed = list(dir.path());
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].1.object, Recovered::Rule(rule));
        assert_eq!(listed[0].1.path, rp);
        assert_eq!(listed[1].1.object.kind(), "workflow");
        // A copy written before rules had copies (key `definition`) still reads.
        let old = r#"{"formatVersion":1,"path":"TaskDefinition/w.json","savedAt":"2026-11-30T20:00:00Z","definition":{"formatVersion":1,"id":"td-1","name":"W","process":{"activities":[]}}}"#;
        let copy: RecoveryCopy = serde_json::from_str(old).unwrap();
        assert_eq!(copy.object, Recovered::Definition(def));
    }

    #[test]
    fn a_template_copy_round_trips_under_its_own_key() {
        let dir = tempfile::tempdir().unwrap();
        let t: EmailTemplate = serde_json::from_str(
            r#"{"formatVersion":1,"id":"et-1","name":"Welcome","from":"a@example.com","to":"$(email)","subject":"Hi","body":"Dear $(firstName)"}"#,
        )
        .unwrap();
        let path = Path::new("EmailTemplate/welcome.json");
        let object = Recovered::EmailTemplate(t.clone());
        assert_eq!(object.name(), "Welcome");
        assert_eq!(object.kind(), "email template");
        let file = write_object(dir.path(), path, &object).unwrap();
        assert_eq!(
            file,
            dir.path().join(".bpe/recovery/emailtemplate--welcome.json")
        );
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("\"emailTemplate\": {"), "{text}");
        let listed = list(dir.path());
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].1.object, object);
        assert_eq!(listed[0].1.path, path);
        remove(dir.path(), path);
        assert!(list(dir.path()).is_empty());
    }
}
