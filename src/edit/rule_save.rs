//! Saving a rule editor's document: the rule and every caller a rename
//! rewrote, each file written atomically and inside the repository.
//!
//! Invariants: every workflow is written under its edit lock (refused while
//! another editor holds it) and its run lock (refused while a run reads it),
//! every calling rule under its rule edit lock (`LockTarget::RuleEdit`),
//! all locks taken before the first write, so a refusal writes nothing; a
//! caller a rename touched is written even after that rename was undone (its
//! version as first loaded), so disk never keeps calls to a name undone.

use std::path::{Path, PathBuf};

use crate::repo::SaveError;
use crate::repo::lock::{self, LockGuard, LockMode, LockTarget};

use std::collections::BTreeMap;

use crate::repo::Repository;

use super::rule::{Caller, RuleDoc, RuleEdit};

/// The callers any rename of this editor touched, as they were on disk
/// before the first such rename (the editor keeps it next to its stack).
#[derive(Debug, Clone, Default)]
pub struct Touched(BTreeMap<PathBuf, Caller>);

impl Touched {
    /// Note the callers `edit` rewrites, from `repo` (the files as loaded).
    pub fn record(&mut self, repo: &Repository, edit: &RuleEdit) {
        let RuleEdit::Rename { callers, .. } = edit else {
            return;
        };
        for (path, _) in callers {
            if self.0.contains_key(path) {
                continue;
            }
            let original = repo
                .definitions
                .iter()
                .find(|d| &d.path == path)
                .map(|d| Caller::Workflow(d.value.clone()))
                .or_else(|| {
                    repo.rules
                        .iter()
                        .find(|r| &r.path == path)
                        .map(|r| Caller::Rule(r.value.clone()))
                });
            if let Some(original) = original {
                self.0.insert(path.clone(), original);
            }
        }
    }
}

/// Write `doc` (the rule at `rule_path`, relative to `root`) and its callers.
/// Returns the files written (relative), the rule first.
pub fn save_rule_doc(
    root: &Path,
    rule_path: &Path,
    doc: &RuleDoc,
    touched: &Touched,
) -> Result<Vec<PathBuf>, SaveError> {
    let mut files: BTreeMap<&PathBuf, &Caller> = touched.0.iter().collect();
    files.extend(doc.callers.iter());
    let mut guards: Vec<LockGuard> = Vec::new();
    for caller in files.values() {
        let targets = match caller {
            Caller::Workflow(def) => vec![
                LockTarget::DefinitionEdit(def.id.clone()),
                LockTarget::DefinitionRun(def.id.clone()),
            ],
            // A calling rule open in a rule editor is that editor's to write.
            Caller::Rule(rule) => vec![LockTarget::RuleEdit(rule.name.clone())],
        };
        for target in targets {
            let guard = lock::acquire(root, target, LockMode::Exclusive, "save rule callers")
                .map_err(SaveError::Locked)?;
            guards.push(guard);
        }
    }
    let mut written = vec![rule_path.to_path_buf()];
    crate::repo::save_json_in(root, &root.join(rule_path), &doc.rule)?;
    for (path, caller) in files {
        match caller {
            Caller::Workflow(def) => crate::repo::save_json_in(root, &root.join(path), def)?,
            Caller::Rule(rule) => crate::repo::save_json_in(root, &root.join(path), rule)?,
        }
        written.push(path.clone());
    }
    drop(guards);
    Ok(written)
}
