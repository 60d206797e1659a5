//! The email template editor screen (Enter on a template in the browser): its
//! fields (description, from, to, cc, subject, body) with `$(var)` placeholders
//! highlighted as you type, a table of preview values for the template's
//! variables, the exact RFC 5322 message the notify service would write with
//! them (`RepoServices::preview_mail`), and the workflows that send it.
//!
//! The logic is methods on [`TemplateEditorState`] over an [`Env`] (root,
//! repository, settings, read from the screen's [`Ctx`]): no `&mut App`; the
//! state implements `ScreenOps` over `Ctx` (`tui/screen.rs`). What else should
//! happen comes back as [`Request`]s: `OpenTemplate` / `CloseTemplateEditor`
//! (carried out by the app), `RememberTemplateValues` (the settings file).
//!
//! Invariants:
//! - Every change to the template is one [`TemplateEdit`] through the one
//!   [`CommandStack`] (u undoes, Ctrl-R redoes); a field being typed is a draft
//!   until accepted, and the preview already shows it.
//! - The edit lock `LockTarget::TemplateEdit(name)` is held while the template
//!   is open and released when the state is dropped (close, jump to a
//!   workflow); when another editor holds it the template opens read-only,
//!   naming the holder, and every edit and save is refused.
//! - Saving is atomic and stays inside the repository (`repo::save_json_in`).
//!   A change on disk replaces the working copy only when there are no local
//!   edits; with local edits they are kept and saving asks before overwriting.
//! - Preview values are remembered per user and repository in the settings file
//!   (`Settings::template_values`); a value is typed as JSON or plain text.
//! - Unsaved edits are published for the recovery copy after every change
//!   (`recovery::publish_object`, not while read-only), forgotten when clean;
//!   the copy is removed on save and discard; restoring one is one undoable
//!   edit (`template_editor_save.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ratatui::crossterm::event::KeyEvent;
use tui_textarea::{CursorMove, TextArea};

use super::action::Action;
use super::app::{Notice, NoticeKind, Screen};
use super::ask::{Prompt, Question};
use super::keymap::Context;
use super::screen::{Ctx, Request};
use super::settings::Settings;
use crate::edit::CommandStack;
use crate::edit::template::{
    TemplateEdit, TemplateField, supplied_names, variables, workflow_uses,
};
use crate::model::{EmailTemplate, RepositoryConfig, escape_name};
use crate::repo::Repository;
use crate::repo::lock::{self, LockGuard, LockMode, LockTarget};

/// What the template editor's logic reads besides its own state (from the
/// screen's [`Ctx`]; settings change only through a [`Request`]).
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub root: &'a Path,
    pub repo: &'a Repository,
    pub settings: &'a Settings,
}

impl<'a> Env<'a> {
    pub fn of(cx: &Ctx<'a>) -> Env<'a> {
        Env {
            root: cx.root,
            repo: cx.repo,
            settings: cx.settings,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Fields,
    Values,
    UsedBy,
}

/// What to do once the unsaved-edits question is answered (save or discard).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Then {
    Close,
    Quit,
    /// Open this workflow (its file, relative) in the workflow editor.
    Open(PathBuf),
}

/// The editor's own questions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// Unsaved edits: save (s), discard (d) or cancel (Esc).
    Unsaved(Then),
    /// The file changed on disk since it was read: overwrite it (y) or not (n).
    Overwrite,
}

/// Whether we may write the template.
pub enum LockState {
    Held(Box<LockGuard>),
    /// Someone else edits it: `user@host (pid …) since …`.
    ReadOnly(String),
}

/// A field being typed: accepted as one edit, or cancelled.
pub struct Draft {
    pub field: TemplateField,
    pub input: TextArea<'static>,
}

impl Draft {
    pub fn text(&self) -> String {
        self.input.lines().join("\n")
    }
}

pub struct TemplateEditorState {
    /// The template's file, relative to the repository root.
    pub path: PathBuf,
    /// The working copy.
    pub doc: EmailTemplate,
    /// The file as last read or written; `None` when it is gone.
    pub disk: Option<EmailTemplate>,
    /// A version that arrived on disk while we had local edits.
    pub theirs: Option<EmailTemplate>,
    pub stack: CommandStack<EmailTemplate>,
    pub lock: LockState,
    pub focus: Focus,
    /// The selected field ([`TemplateField::ALL`]), variable and workflow.
    pub field: TemplateField,
    pub value_row: usize,
    pub used_row: usize,
    pub draft: Option<Draft>,
    /// A preview value being typed (the variable's name).
    pub value_prompt: Option<Prompt<String>>,
    pub ask: Option<Question<Ask>>,
    /// Preview values as typed, by variable name.
    pub values: BTreeMap<String, String>,
    /// The workflows that send the template: (name, file).
    pub used_by: Vec<(String, PathBuf)>,
    /// What those workflows declare (`None`: no workflow sends it).
    pub supplied: Option<BTreeSet<String>>,
    pub(super) config: Option<RepositoryConfig>,
    /// The message the notify service would write, or why it cannot.
    pub preview: Result<String, String>,
    /// Lines of the preview scrolled past.
    pub preview_scroll: usize,
    /// The Date of the preview: now, unless fixed (tests, snapshots).
    pub clock: Option<chrono::DateTime<chrono::Utc>>,
}

fn notice(kind: NoticeKind, text: impl Into<String>) -> Request {
    Request::Notice(Notice {
        kind,
        text: text.into(),
    })
}
pub(super) fn info(text: impl Into<String>) -> Request {
    notice(NoticeKind::Info, text)
}
pub(super) fn warn(text: impl Into<String>) -> Request {
    notice(NoticeKind::Warning, text)
}
pub(super) fn error(text: impl Into<String>) -> Request {
    notice(NoticeKind::Error, text)
}

/// Enter on `repo.email_templates[index]` in the browser: open it (taking its
/// edit lock), or come back to it when it is the one open.
pub fn open(slot: &mut Option<TemplateEditorState>, env: Env<'_>, index: usize) -> Vec<Request> {
    let Some(loaded) = env.repo.email_templates.get(index) else {
        return Vec::new();
    };
    if let Some(te) = slot.as_ref() {
        if te.path == loaded.path {
            return vec![Request::Show(Screen::TemplateEditor)];
        }
        if te.is_dirty() {
            return vec![warn(format!(
                "template {} has unsaved changes: save (s) or close (c) it first",
                escape_name(&te.doc.name)
            ))];
        }
    }
    // The old one's lock goes before the new one is taken.
    *slot = None;
    let t = loaded.value.clone();
    let lock = match lock::acquire(
        env.root,
        LockTarget::TemplateEdit(t.name.clone()),
        LockMode::Exclusive,
        "template editor",
    ) {
        Ok(guard) => LockState::Held(Box::new(guard)),
        Err(e) => LockState::ReadOnly(super::ask::lock_holder(&e)),
    };
    let values = env.settings.template_values(env.root, &t.name);
    let mut te = TemplateEditorState::new(loaded.path.clone(), t, lock, values);
    te.refresh(env.repo);
    let mut out = vec![Request::Show(Screen::TemplateEditor)];
    if let Some(h) = te.read_only() {
        out.push(warn(format!(
            "read-only: template {} is being edited by {h}",
            escape_name(&te.doc.name)
        )));
    }
    *slot = Some(te);
    out
}

impl TemplateEditorState {
    /// A template just read from `path`, with its lock state and remembered
    /// preview values (call [`TemplateEditorState::refresh`] next).
    pub fn new(
        path: PathBuf,
        t: EmailTemplate,
        lock: LockState,
        values: BTreeMap<String, String>,
    ) -> TemplateEditorState {
        TemplateEditorState {
            path,
            doc: t.clone(),
            disk: Some(t),
            theirs: None,
            stack: CommandStack::new(),
            lock,
            focus: Focus::Fields,
            field: TemplateField::Subject,
            value_row: 0,
            used_row: 0,
            draft: None,
            value_prompt: None,
            ask: None,
            values,
            used_by: Vec::new(),
            supplied: None,
            config: None,
            preview: Err(String::new()),
            preview_scroll: 0,
            clock: None,
        }
    }

    /// Modified with respect to the file on disk.
    pub fn is_dirty(&self) -> bool {
        self.disk.as_ref() != Some(&self.doc)
    }

    pub fn read_only(&self) -> Option<&str> {
        match &self.lock {
            LockState::ReadOnly(h) => Some(h),
            LockState::Held(_) => None,
        }
    }

    /// Unsaved edits of our own: dirty while we hold the lock (a read-only
    /// editor's differences are the lock holder's to save, ask about or recover).
    pub(super) fn has_own_edits(&self) -> bool {
        self.is_dirty() && self.read_only().is_none()
    }

    /// The working copy with the field being typed applied as typed: what the
    /// preview and the variables table show.
    pub fn effective(&self) -> EmailTemplate {
        let mut t = self.doc.clone();
        if let Some(d) = &self.draft {
            let text = d.text();
            match d.field {
                TemplateField::Description => t.description = text,
                TemplateField::From => t.from = text,
                TemplateField::To => t.to = text,
                TemplateField::Cc => t.cc = text,
                TemplateField::Subject => t.subject = text,
                TemplateField::Body => t.body = text,
            }
        }
        t
    }

    /// The template's variables (of the effective copy), sorted.
    pub fn variables(&self) -> Vec<String> {
        variables(&self.effective())
    }

    /// Re-read what depends on the repository (used by, declared names) and re-render.
    pub fn refresh(&mut self, repo: &Repository) {
        self.used_by = repo
            .definitions
            .iter()
            .filter(|d| workflow_uses(&d.value, &self.doc))
            .map(|d| (d.value.name.clone(), d.path.clone()))
            .collect();
        self.used_by
            .sort_by_key(|(n, _)| (n.to_lowercase(), n.clone()));
        self.supplied = supplied_names(repo, &self.doc);
        self.config = repo.config.clone();
        self.used_row = self.used_row.min(self.used_by.len().saturating_sub(1));
        self.render_preview_at(repo.root.as_path());
    }

    /// The keymap contexts that apply now, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        if let Some(q) = &self.ask {
            return match q.purpose {
                Ask::Unsaved(_) => vec![Context::Confirm],
                Ask::Overwrite => vec![Context::Question],
            };
        }
        if self.value_prompt.is_some() {
            return vec![Context::TextEdit];
        }
        if let Some(d) = &self.draft {
            return if d.field == TemplateField::Body {
                vec![Context::TemplateBody]
            } else {
                vec![Context::TextEdit]
            };
        }
        let pane = match self.focus {
            Focus::Fields => Context::TemplateFields,
            Focus::Values => Context::TemplateValues,
            Focus::UsedBy => Context::TemplateUsedBy,
        };
        vec![
            pane,
            Context::TemplateEditor,
            Context::Screens,
            Context::Navigate,
            Context::Global,
        ]
    }

    /// A key no binding claimed: typed into the draft or the value prompt.
    pub fn text_input(&mut self, root: &Path, key: KeyEvent) {
        if let Some(p) = self.value_prompt.as_mut() {
            if p.input.input(key) {
                p.error = None;
            }
        } else if let Some(d) = self.draft.as_mut()
            && d.input.input(key)
        {
            self.render_preview_at(root);
        }
    }

    /// Apply one action. `close` is set when the editor should be dropped.
    pub fn update(&mut self, env: Env<'_>, action: Action, close: &mut bool) -> Vec<Request> {
        if let Some(q) = self.ask.take() {
            return self.answer(env, q, action, close);
        }
        if let Some(p) = self.value_prompt.take() {
            match action {
                Action::Accept => return self.value_accepted(env, p),
                Action::Cancel | Action::Back => {}
                _ => self.value_prompt = Some(p),
            }
            return Vec::new();
        }
        if self.draft.is_some() {
            return self.update_draft(env.root, action);
        }
        match action {
            Action::Back | Action::Close => {
                return self.close_asking(env.root, Then::Close, close);
            }
            Action::FocusNext => {
                self.focus = match self.focus {
                    Focus::Fields => Focus::Values,
                    Focus::Values => Focus::UsedBy,
                    Focus::UsedBy => Focus::Fields,
                }
            }
            Action::Up | Action::Down | Action::Top | Action::Bottom => self.move_selection(action),
            Action::PageUp => self.preview_scroll = self.preview_scroll.saturating_sub(10),
            Action::PageDown => {
                let lines = self.preview.as_ref().map_or(1, |m| m.lines().count());
                self.preview_scroll = (self.preview_scroll + 10).min(lines.saturating_sub(1));
            }
            Action::Edit if self.focus == Focus::Fields => return self.start_draft(),
            Action::Edit if self.focus == Focus::Values => self.start_value(),
            Action::RemoveItem if self.focus == Focus::Values => {
                if let Some(name) = self.variables().get(self.value_row).cloned() {
                    return self.set_value(env, &name, "");
                }
            }
            Action::Open if self.focus == Focus::UsedBy => {
                let Some((_, path)) = self.used_by.get(self.used_row).cloned() else {
                    return vec![warn("no workflow sends this template")];
                };
                return self.close_asking(env.root, Then::Open(path), close);
            }
            Action::Undo => return self.undo_redo(env.root, true),
            Action::Redo => return self.undo_redo(env.root, false),
            Action::Save => return self.request_save(env.root),
            _ => {}
        }
        Vec::new()
    }

    fn move_selection(&mut self, action: Action) {
        let (pos, len) = match self.focus {
            Focus::Fields => (
                TemplateField::ALL
                    .iter()
                    .position(|f| *f == self.field)
                    .unwrap_or(0),
                TemplateField::ALL.len(),
            ),
            Focus::Values => (self.value_row, self.variables().len()),
            Focus::UsedBy => (self.used_row, self.used_by.len()),
        };
        let last = len.saturating_sub(1);
        let next = match action {
            Action::Up => pos.saturating_sub(1),
            Action::Down => (pos + 1).min(last),
            Action::Top => 0,
            _ => last,
        };
        match self.focus {
            Focus::Fields => self.field = TemplateField::ALL[next.min(5)],
            Focus::Values => self.value_row = next,
            Focus::UsedBy => self.used_row = next,
        }
    }

    fn start_draft(&mut self) -> Vec<Request> {
        if let Some(h) = self.read_only() {
            return vec![warn(format!("read-only: being edited by {h}"))];
        }
        let text = self.field.value(&self.doc);
        let mut input = TextArea::new(text.split('\n').map(str::to_string).collect());
        input.move_cursor(CursorMove::Bottom);
        input.move_cursor(CursorMove::End);
        self.draft = Some(Draft {
            field: self.field,
            input,
        });
        Vec::new()
    }

    fn update_draft(&mut self, root: &Path, action: Action) -> Vec<Request> {
        let Some(d) = self.draft.as_mut() else {
            return Vec::new();
        };
        match action {
            Action::Newline if d.field == TemplateField::Body => {
                d.input.insert_newline();
                self.render_preview_at(root);
            }
            Action::Cancel | Action::Back => {
                self.draft = None;
                self.render_preview_at(root);
            }
            Action::Accept => {
                let edit = TemplateEdit::set(d.field, d.text());
                let field = d.field;
                match self.stack.execute(&mut self.doc, edit.clone(), field) {
                    Ok(_) => {
                        self.draft = None;
                        self.render_preview_at(root);
                        self.publish_unsaved(root);
                        if self.disk.as_ref() == Some(&self.doc) {
                            return Vec::new();
                        }
                        let before = self.disk.clone().unwrap_or_else(|| self.doc.clone());
                        let text =
                            <EmailTemplate as crate::edit::Document>::done_text(&edit, &before);
                        return vec![info(escape_name(&text).into_owned())];
                    }
                    // The draft stays open with the reason.
                    Err(e) => return vec![error(format!("not set: {e}"))],
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn undo_redo(&mut self, root: &Path, undo: bool) -> Vec<Request> {
        if let Some(h) = self.read_only() {
            return vec![warn(format!("read-only: being edited by {h}"))];
        }
        let done = if undo {
            self.stack.undo(&mut self.doc)
        } else {
            self.stack.redo(&mut self.doc)
        };
        let Some((text, field)) = done else {
            return vec![info(if undo {
                "nothing to undo"
            } else {
                "nothing to redo"
            })];
        };
        self.field = field;
        self.focus = Focus::Fields;
        self.render_preview_at(root);
        self.publish_unsaved(root);
        let verb = if undo { "undid" } else { "redid" };
        vec![info(escape_name(&format!("{verb}: {text}")).into_owned())]
    }

    /// Close (or open a workflow), asking first when there are unsaved edits.
    fn close_asking(&mut self, root: &Path, then: Then, close: &mut bool) -> Vec<Request> {
        if self.has_own_edits() {
            self.ask_unsaved(then);
            return Vec::new();
        }
        self.finish(root, then, close)
    }

    /// Ask the unsaved-edits question (also for quitting, from the app).
    pub fn ask_unsaved(&mut self, then: Then) {
        let what = match &then {
            Then::Close => "before closing",
            Then::Quit => "before quitting",
            Then::Open(_) => "before opening the workflow",
        };
        self.ask = Some(Question {
            purpose: Ask::Unsaved(then),
            title: "Unsaved changes".into(),
            lines: vec![
                format!(
                    "Template {} has unsaved changes.",
                    escape_name(&self.doc.name)
                ),
                format!("Save them {what}?"),
            ],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_effective_copy_shows_the_draft_as_typed() {
        let t = EmailTemplate {
            format_version: 1,
            id: "et-1".into(),
            name: "T".into(),
            description: String::new(),
            from: "a@example.com".into(),
            to: "$(email)".into(),
            cc: String::new(),
            subject: "Hi $(firstName)".into(),
            body: "Body".into(),
        };
        let mut te = TemplateEditorState::new(
            "EmailTemplate/t.json".into(),
            t,
            LockState::ReadOnly("x".into()),
            BTreeMap::new(),
        );
        te.field = TemplateField::Body;
        assert_eq!(te.variables(), ["email", "firstName"]);
        te.draft = Some(Draft {
            field: TemplateField::Body,
            input: TextArea::new(vec!["Dear $(title)".into(), "$(x)".into()]),
        });
        assert_eq!(te.effective().body, "Dear $(title)\n$(x)");
        assert_eq!(te.variables(), ["email", "firstName", "title", "x"]);
        assert!(!te.is_dirty(), "a draft is not an edit until accepted");
        // Read-only: no draft starts.
        te.draft = None;
        let said = te.start_draft();
        assert!(te.draft.is_none());
        assert!(matches!(&said[0], Request::Notice(n) if n.text.contains("read-only")));
    }
}
