//! The rule editor and the files on disk (`tui::rule_editor`): saving the
//! rule and the callers a rename touched, following the rule's file when it
//! changes (silent reload, or the conflict question), the unsaved-changes
//! question on close and before a jump, recovery copies and their restore.
//!
//! Invariants: see `rule_editor.rs`; nothing here writes but [`save_rule_doc`]
//! (under the rule's lock, the new name's lock after a rename, and the
//! callers' locks) and the recovery copy (`recovery`).

use std::path::Path;

use super::action::Action;
use super::app::NoticeKind;
use super::recovery;
use super::rule_editor::{
    InLibrary, RuleEditorState, RuleLock, Then, error, holder_of, info, notice, warn,
};
use super::screen::Request;
use crate::edit::EditError;
use crate::edit::rule::{RuleEdit, plan_rename};
use crate::edit::rule_save::{Touched, save_rule_doc};
use crate::model::{Rule, RuleLibrary, escape_name};
use crate::repo::Repository;
use crate::repo::lock::{self, LockMode, LockTarget};

impl RuleEditorState {
    pub(super) fn request_close(&mut self, root: &Path) -> Vec<Request> {
        if self.is_dirty() {
            self.confirm = Some(Then::Close);
            return Vec::new();
        }
        self.forget_recovery(root, false);
        vec![Request::CloseRuleEditor]
    }

    pub(super) fn update_confirm(
        &mut self,
        root: &Path,
        repo: &Repository,
        action: Action,
        then: Then,
    ) -> Vec<Request> {
        let mut out = match action {
            Action::Save => {
                let out = self.save(root, repo);
                if self.is_dirty() {
                    // Not saved: the reason is on the status line; the question goes.
                    self.confirm = None;
                    return out;
                }
                out
            }
            Action::Discard => {
                self.drop_changes(root);
                info(format!(
                    "discarded the changes to {}",
                    escape_name(self.name())
                ))
            }
            Action::Cancel => {
                self.confirm = None;
                return Vec::new();
            }
            _ => return Vec::new(),
        };
        self.confirm = None;
        out.push(Request::CloseRuleEditor);
        if let Then::Jump(u) = then {
            out.push(Request::OpenRule(u.path));
        }
        out
    }

    /// Forget unsaved edits (the working copy becomes the disk version).
    pub fn drop_changes(&mut self, root: &Path) {
        if let Some(disk) = self.disk.clone() {
            self.doc.rule = disk;
        }
        self.doc.callers = self.saved_callers.clone();
        self.forget_recovery(root, true);
    }

    pub(super) fn forget_recovery(&self, root: &Path, file_too: bool) {
        recovery::publish_object(root, &self.path, None);
        if file_too {
            recovery::remove(root, &self.path);
        }
    }

    /// Save the rule and the callers a rename touched; the repository is
    /// re-read after (`Request::Reload`).
    pub fn save(&mut self, root: &Path, repo: &Repository) -> Vec<Request> {
        if let Some(holder) = self.read_only() {
            return error(format!("not saved: read-only, being edited by {holder}"));
        }
        // A renamed rule is saved under the new name's lock.
        let new_name = self.doc.rule.name.clone();
        let mut new_lock = None;
        if let RuleLock::Held { name, .. } = &self.lock
            && self.library.is_none()
            && *name != new_name
        {
            match lock::acquire(
                root,
                LockTarget::RuleEdit(new_name.clone()),
                LockMode::Exclusive,
                "rule editor",
            ) {
                Ok(g) => new_lock = Some(g),
                Err(e) => {
                    return error(format!(
                        "not saved: rule {} is being edited by {}",
                        escape_name(&new_name),
                        holder_of(e)
                    ));
                }
            }
        }
        let result = match &self.library {
            Some(lib) => self
                .save_in_library(root, lib)
                .map(|()| vec![self.path.clone()]),
            None => {
                save_rule_doc(root, &self.path, &self.doc, &self.touched).map_err(|e| e.to_string())
            }
        };
        match result {
            Ok(files) => {
                if let Some(guard) = new_lock {
                    self.lock = RuleLock::Held {
                        guard: Box::new(guard),
                        name: new_name,
                    };
                }
                self.disk = Some(self.doc.rule.clone());
                self.saved_callers = self.doc.callers.clone();
                self.stack.mark_saved();
                self.forget_recovery(root, true);
                self.refresh_used_by(repo);
                let others = files.len().saturating_sub(1);
                let callers = if others == 0 {
                    String::new()
                } else {
                    format!(" and {others} caller{}", if others == 1 { "" } else { "s" })
                };
                vec![
                    Request::Reload,
                    notice(
                        NoticeKind::Info,
                        format!(
                            "saved {}{callers}",
                            crate::model::escape_name(&self.path.display().to_string())
                        ),
                    ),
                ]
            }
            Err(e) => error(format!("not saved: {e}")),
        }
    }

    /// Write the library file with this rule in its place: re-read under the
    /// library's lock (which the editor holds), the one rule replaced, saved
    /// atomically; the library's other rules stay as they are on disk.
    fn save_in_library(&self, root: &Path, lib: &InLibrary) -> Result<(), String> {
        let mut library = crate::repo::parse_file::<RuleLibrary>(root, &self.path)
            .map_err(|e| format!("the library file does not load ({e})"))?;
        let at = self
            .disk
            .as_ref()
            .and_then(|d| library.rules.iter().position(|r| r.name == d.name))
            .or((lib.index < library.rules.len()).then_some(lib.index))
            .ok_or("the rule is no longer in the library file")?;
        library.rules[at] = self.doc.rule.clone();
        crate::repo::save_json_in(root, &root.join(&self.path), &library).map_err(|e| e.to_string())
    }

    /// The version of this rule in its file on disk (a library's: by name, else by place).
    fn read_theirs(&self, root: &Path) -> Result<Rule, String> {
        let Some(lib) = &self.library else {
            return crate::repo::parse_file::<Rule>(root, &self.path).map_err(|e| e.to_string());
        };
        let library =
            crate::repo::parse_file::<RuleLibrary>(root, &self.path).map_err(|e| e.to_string())?;
        let name = self.disk.as_ref().map_or(self.name(), |d| d.name.as_str());
        library
            .rules
            .iter()
            .find(|r| r.name == name)
            .or(library.rules.get(lib.index))
            .cloned()
            .ok_or_else(|| "the rule is no longer in the library".to_string())
    }

    /// The repository was re-read: follow the rule's file on disk. Without
    /// local edits a change is taken silently; with them, the conflict question.
    pub fn sync_with_disk(&mut self, root: &Path, repo: &Repository) -> Vec<Request> {
        self.refresh_used_by(repo);
        if !root.join(&self.path).exists() {
            if self.disk.take().is_some() {
                return warn(format!(
                    "{} was deleted on disk; s saves it again",
                    escape_name(&self.path.display().to_string())
                ));
            }
            return Vec::new();
        }
        let theirs = match self.read_theirs(root) {
            Ok(r) => r,
            Err(e) => {
                return warn(format!(
                    "the rule file on disk no longer loads ({e}); your copy is kept"
                ));
            }
        };
        if self.disk.as_ref() == Some(&theirs) || self.theirs.as_ref() == Some(&theirs) {
            return Vec::new();
        }
        if !self.is_dirty() {
            self.doc.rule = theirs.clone();
            self.disk = Some(theirs);
            self.stack.reset();
            self.touched = Touched::default();
            self.after_change(root, repo);
            return info(format!(
                "reloaded rule {}: it changed on disk",
                escape_name(self.name())
            ));
        }
        if self.doc.rule == theirs {
            self.disk = Some(theirs);
            self.after_change(root, repo);
            return Vec::new();
        }
        self.theirs = Some(theirs);
        Vec::new()
    }

    pub(super) fn update_conflict(
        &mut self,
        root: &Path,
        repo: &Repository,
        action: Action,
    ) -> Vec<Request> {
        match action {
            Action::KeepMine => {
                self.disk = self.theirs.take();
                self.after_change(root, repo);
                info("kept your version (unsaved): s saves it over the one on disk")
            }
            Action::TakeTheirs => {
                let Some(theirs) = self.theirs.take() else {
                    return Vec::new();
                };
                let edit = RuleEdit::Replace {
                    rule: Box::new(theirs.clone()),
                    why: "took the version on disk",
                };
                let sel = self.selection();
                let _ = self.stack.execute(&mut self.doc, edit, sel);
                self.disk = Some(theirs);
                self.stack.mark_saved();
                self.after_change(root, repo);
                info("took the version on disk (u brings yours back)")
            }
            _ => Vec::new(),
        }
    }

    /// Apply a recovery copy as one undoable edit (a rename in it is planned
    /// again, so its callers are rewritten as when it was made).
    pub fn restore(&mut self, root: &Path, repo: &Repository, copy: Rule) -> Vec<Request> {
        if let Some(holder) = self.read_only() {
            return error(format!(
                "cannot restore {} now: it is being edited by {holder} (the copy is kept)",
                escape_name(&copy.name)
            ));
        }
        let mut out = Vec::new();
        if copy.name != self.doc.rule.name {
            match plan_rename(&self.doc, repo, &self.path, &copy.name) {
                Ok(edit) => out = self.execute(root, repo, edit),
                Err(EditError(e)) => out = warn(format!("the copy's rename is not restored: {e}")),
            }
        }
        let name = copy.name.clone();
        let mut copy = copy;
        if self.doc.rule.name != copy.name {
            copy.name = self.doc.rule.name.clone();
        }
        if copy != self.doc.rule {
            let edit = RuleEdit::Replace {
                rule: Box::new(copy),
                why: "restored unsaved edits",
            };
            let sel = self.selection();
            let _ = self.stack.execute(&mut self.doc, edit, sel);
            self.after_change(root, repo);
        }
        if out
            .iter()
            .any(|r| matches!(r, Request::Notice(n) if n.kind != NoticeKind::Info))
        {
            return out;
        }
        info(format!(
            "restored unsaved edits of rule {} (s saves, u undoes the restore)",
            escape_name(&name)
        ))
    }
}
