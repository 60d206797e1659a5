//! Saving the email template editor's working copy and keeping it in step
//! with the file on disk (see `template_editor.rs` for the invariants): the
//! save is atomic, inside the repository, under the edit lock we hold (checked
//! first); a change on disk is taken when there are no local edits and never
//! overwritten without asking when there are. Also the answers to the
//! unsaved-edits question, and recovery copies: unsaved edits are published
//! after every change (`recovery::publish_object`), the copy is removed on
//! save and on discard, and a copy is restored as one undoable edit.

use std::path::Path;

use super::action::Action;
use super::app::{Notice, NoticeKind, Screen};
use super::ask::Question;
use super::recovery::{self, Recovered};
use super::screen::Request;
use super::template_editor::{
    Ask, Env, Focus, LockState, TemplateEditorState, Then, error, info, warn,
};
use crate::edit::template::TemplateEdit;
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
                self.forget_recovery(root, true);
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
        self.publish_unsaved(root);
        said.map(|(kind, text)| Notice { kind, text })
    }

    /// Publish the working copy for the recovery copy when it has unsaved
    /// edits, forget it when it has none (or is read-only: the copy's file
    /// would be the lock holder's).
    pub(super) fn publish_unsaved(&self, root: &Path) {
        let unsaved = self
            .has_own_edits()
            .then(|| Recovered::EmailTemplate(self.doc.clone()));
        recovery::publish_object(root, &self.path, unsaved);
    }

    /// Forget the published copy, and with `file_too` the copy on disk (saved
    /// or discarded: the user answered for the edits).
    fn forget_recovery(&self, root: &Path, file_too: bool) {
        recovery::publish_object(root, &self.path, None);
        if file_too {
            recovery::remove(root, &self.path);
        }
    }

    /// Leave the editor (the app drops the state, releasing the lock); edits
    /// left unsaved were discarded, so their recovery copy goes too.
    pub(super) fn finish(&mut self, root: &Path, then: Then, close: &mut bool) -> Vec<Request> {
        *close = true;
        let discarded = self.has_own_edits();
        self.forget_recovery(root, discarded);
        match then {
            Then::Close => vec![Request::Show(Screen::Browser)],
            Then::Quit => vec![Request::Quit],
            Then::Open(path) => vec![Request::OpenWorkflow(path)],
        }
    }

    pub(super) fn answer(
        &mut self,
        env: Env<'_>,
        q: Question<Ask>,
        action: Action,
        close: &mut bool,
    ) -> Vec<Request> {
        match (q.purpose, action) {
            (Ask::Unsaved(then), Action::Save) => {
                let mut out = self.save(env.root);
                if !self.is_dirty() {
                    out.extend(self.finish(env.root, then, close));
                }
                out
            }
            (Ask::Unsaved(then), Action::Discard) => self.finish(env.root, then, close),
            (Ask::Unsaved(_), Action::Cancel) | (Ask::Overwrite, Action::No) => Vec::new(),
            (Ask::Overwrite, Action::Yes) => {
                self.theirs = None;
                self.save(env.root)
            }
            (purpose, _) => {
                self.ask = Some(Question { purpose, ..q });
                Vec::new()
            }
        }
    }

    /// Apply a recovery copy as one undoable edit (refused, the copy kept,
    /// when another editor holds the template or the copy does not check).
    pub fn restore(&mut self, root: &Path, copy: EmailTemplate) -> Vec<Request> {
        let name = escape_name(&copy.name).into_owned();
        if let Some(holder) = self.read_only() {
            return vec![error(format!(
                "cannot restore template {name} now: it is being edited by {holder} (the copy is kept)"
            ))];
        }
        if copy == self.doc {
            self.forget_recovery(root, true);
            return vec![info(format!(
                "the recovery copy of template {name} is what the editor holds: nothing to restore"
            ))];
        }
        let edit = TemplateEdit::Replace {
            template: Box::new(copy),
            why: "restored unsaved edits",
        };
        match self.stack.execute(&mut self.doc, edit, self.field) {
            Ok(field) => {
                self.field = field;
                self.focus = Focus::Fields;
                self.render_preview_at(root);
                self.publish_unsaved(root);
                vec![info(format!(
                    "restored unsaved edits of template {name} (s saves, u undoes the restore)"
                ))]
            }
            Err(e) => vec![error(format!(
                "cannot restore template {name}: {e} (the copy is kept)"
            ))],
        }
    }
}
