//! Saving the email template editor's working copy and keeping it in step
//! with the file on disk (see `template_editor.rs` for the invariants): the
//! save is atomic, inside the repository, under the edit lock we hold (checked
//! first); a change on disk is taken when there are no local edits and never
//! overwritten without asking when there are.

use std::path::Path;

use super::app::{Notice, NoticeKind};
use super::ask::Question;
use super::screen::Request;
use super::template_editor::{Ask, LockState, TemplateEditorState, error, info, warn};
use crate::model::{EmailTemplate, escape_name};
use crate::repo::Repository;

impl TemplateEditorState {
    /// `s`: save, asking first when the file changed on disk since it was read
    /// (seen by the watcher, or found now: the file is read again first).
    pub(super) fn request_save(&mut self, root: &Path) -> Vec<Request> {
        if self.theirs.is_none()
            && root.join(&self.path).exists()
            && let Ok(now) = crate::repo::parse_file::<EmailTemplate>(root, &self.path)
            && self.disk.as_ref() != Some(&now)
            && now != self.doc
        {
            self.theirs = Some(now);
        }
        if self.theirs.is_some() && self.read_only().is_none() {
            self.ask = Some(Question {
                purpose: Ask::Overwrite,
                title: "Changed on disk".into(),
                lines: vec![
                    format!(
                        "{} changed on disk while you edited it.",
                        self.path.display()
                    ),
                    "Overwrite it with your version?".into(),
                ],
            });
            return Vec::new();
        }
        self.save(root)
    }

    /// Write the working copy atomically, under the edit lock we hold.
    pub(super) fn save(&mut self, root: &Path) -> Vec<Request> {
        let guard = match &self.lock {
            LockState::ReadOnly(h) => {
                return vec![error(format!("not saved: read-only, being edited by {h}"))];
            }
            LockState::Held(g) => g,
        };
        if let Err(e) = guard.check() {
            return vec![error(format!("not saved: the edit lock was lost: {e}"))];
        }
        if self.theirs.is_some() {
            return vec![warn(
                "not saved: the file changed on disk (s asks to overwrite)",
            )];
        }
        match crate::repo::save_json_in(root, &root.join(&self.path), &self.doc) {
            Ok(()) => {
                self.disk = Some(self.doc.clone());
                self.stack.mark_saved();
                vec![
                    Request::Reload,
                    info(format!(
                        "saved template {} to {}",
                        escape_name(&self.doc.name),
                        self.path.display()
                    )),
                ]
            }
            Err(e) => vec![error(format!("not saved: {e}"))],
        }
    }

    /// The repository was re-read after a change on disk: take the new file
    /// when there are no local edits, else keep them and remember theirs.
    pub fn repository_changed(&mut self, root: &Path, repo: &Repository) -> Option<Notice> {
        let on_disk = if root.join(&self.path).exists() {
            Some(crate::repo::parse_file::<EmailTemplate>(root, &self.path))
        } else {
            None
        };
        let name = escape_name(&self.doc.name).into_owned();
        let said = match on_disk {
            None if self.disk.is_some() => {
                self.disk = None;
                Some((
                    NoticeKind::Warning,
                    format!(
                        "{} was deleted on disk; s saves it again",
                        self.path.display()
                    ),
                ))
            }
            None => None,
            Some(Err(e)) => Some((
                NoticeKind::Warning,
                format!("template {name} on disk no longer loads ({e}); your copy is kept"),
            )),
            Some(Ok(theirs)) => {
                if self.disk.as_ref() == Some(&theirs) || self.theirs.as_ref() == Some(&theirs) {
                    None
                } else if !self.is_dirty() && self.draft.is_none() {
                    self.doc = theirs.clone();
                    self.disk = Some(theirs);
                    self.theirs = None;
                    self.stack.reset();
                    Some((
                        NoticeKind::Info,
                        format!("reloaded template {name}: it changed on disk"),
                    ))
                } else if self.doc == theirs {
                    self.disk = Some(theirs);
                    self.theirs = None;
                    None
                } else {
                    self.theirs = Some(theirs);
                    Some((
                        NoticeKind::Warning,
                        format!(
                            "template {name} changed on disk: your edits are kept; saving asks before overwriting"
                        ),
                    ))
                }
            }
        };
        self.refresh(repo);
        said.map(|(kind, text)| Notice { kind, text })
    }
}
