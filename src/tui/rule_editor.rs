//! The rule editor screen (Enter on a rule in the browser): the arguments as a
//! table (name, default, locked, comment), the description, the body in a
//! text area checked while typing, a rename of the rule that rewrites every
//! caller, and the workflows and rules that call it ("used by", Enter jumps).
//!
//! The logic lives on [`RuleEditorState`] and takes only what it needs (the
//! repository, its root); the state implements `ScreenOps` over `Ctx`
//! (`tui/screen.rs`); what else should happen comes back as [`Request`]s
//! (opening and closing it are the app's, in `tui/app_editor.rs`). The editing itself is the core's (`crate::edit::rule`,
//! `rule_save`) on the one [`CommandStack`]. Typing (fields, prompts) is in
//! `rule_editor_input.rs`; saving, disk changes, conflicts, recovery and the
//! unsaved-changes question in `rule_editor_disk.rs`; drawing in
//! `rule_editor_view.rs`.
//!
//! Invariants:
//! - The rule's edit lock (`LockTarget::RuleEdit(name)`) is held while the rule
//!   is open for editing and released on close; when another editor holds it
//!   the rule opens read-only, naming the holder, and every edit is refused.
//!   Saving a renamed rule takes the new name's lock first (refused while
//!   another editor holds it) and then lets the old one go.
//! - Saves are atomic and write the rule and every caller a rename touched
//!   (`save_rule_doc`, under the callers' locks); nothing is written otherwise.
//! - The working copy is never replaced while it has unsaved edits without the
//!   user's answer (the conflict question); without local edits a change on
//!   disk is taken silently. Taking theirs and restoring a recovery copy are
//!   one undoable edit each.
//! - Unsaved edits are published for the recovery copy after every change
//!   (`recovery::publish_object`), forgotten on save, discard and close.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ratatui::crossterm::event::KeyEvent;

use super::action::Action;
use super::app::{Notice, NoticeKind};
use super::ask::Prompt;
use super::keymap::Context;
use super::recovery::{self, Recovered};
pub use super::rule_editor_input::FieldInput;
use super::screen::Request;
use crate::edit::rule::{Caller, RuleDoc, RuleEdit, RuleField, UsedBy, used_by};
use crate::edit::rule_save::Touched;
use crate::edit::{CommandStack, EditError};
use crate::model::{Rule, escape_name};
use crate::repo::Repository;
use crate::repo::lock::{self, LockError, LockGuard, LockMode, LockTarget};

/// The panes, in `Tab` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Arguments,
    Description,
    Body,
    UsedBy,
}

/// A column of the arguments table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    Default,
    Locked,
    Comment,
}

impl Column {
    pub const ALL: [Column; 4] = [
        Column::Name,
        Column::Default,
        Column::Locked,
        Column::Comment,
    ];

    pub fn header(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Default => "default",
            Column::Locked => "locked",
            Column::Comment => "comment",
        }
    }

    pub(super) fn field(self, i: usize) -> RuleField {
        match self {
            Column::Name => RuleField::ArgName(i),
            Column::Default => RuleField::ArgDefault(i),
            Column::Locked => RuleField::ArgLocked(i),
            Column::Comment => RuleField::ArgComment(i),
        }
    }
}

/// Whether we may write the rule.
pub enum RuleLock {
    /// We hold the edit lock of the rule named so (released on close).
    Held { guard: Box<LockGuard>, name: String },
    /// Someone else edits it: `user@host (pid …) since …`.
    ReadOnly(String),
}

/// What a one-line prompt of the rule editor asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    AddArgument,
    RenameArgument(usize),
    RenameRule,
}

/// The rule is one of a library's rules (`Configuration/*.json`), called as
/// `Library:Rule`: the library's lock is held, saving rewrites the library
/// file with this rule replaced, `n` moves to its next rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InLibrary {
    pub name: String,
    pub index: usize,
    pub count: usize,
}

/// What happens once the unsaved-changes question is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Then {
    Close,
    /// Open this caller (a rule) instead.
    Jump(UsedBy),
}

pub struct RuleEditorState {
    /// The rule's file, relative to the repository root.
    pub path: PathBuf,
    pub doc: RuleDoc,
    /// The rule on disk as last read or written; `None` when the file is gone.
    pub disk: Option<Rule>,
    /// The callers as last saved (a rename's rewritten callers are unsaved until then).
    pub saved_callers: BTreeMap<PathBuf, Caller>,
    /// The disk version that arrived while we had unsaved edits: the conflict question is up.
    pub theirs: Option<Rule>,
    pub stack: CommandStack<RuleDoc>,
    pub touched: Touched,
    pub lock: RuleLock,
    pub pane: Pane,
    pub arg_row: usize,
    pub column: Column,
    pub used_by: Vec<UsedBy>,
    pub used_row: usize,
    pub editing: Option<FieldInput>,
    pub prompt: Option<Prompt<Ask>>,
    /// The unsaved-changes question is up; what follows it.
    pub confirm: Option<Then>,
    /// Set when the rule is one of a library's (`path` is then the library's file).
    pub library: Option<InLibrary>,
}

pub(super) fn notice(kind: NoticeKind, text: impl Into<String>) -> Request {
    Request::Notice(Notice {
        kind,
        text: text.into(),
    })
}
pub(super) fn info(text: impl Into<String>) -> Vec<Request> {
    vec![notice(NoticeKind::Info, text)]
}
pub(super) fn warn(text: impl Into<String>) -> Vec<Request> {
    vec![notice(NoticeKind::Warning, text)]
}
pub(super) fn error(text: impl Into<String>) -> Vec<Request> {
    vec![notice(NoticeKind::Error, text)]
}

/// `user@host (pid …) since …` of whoever holds a lock we could not take
/// (the one text every editor shows: [`super::ask::lock_holder`]).
pub(super) fn holder_of(e: LockError) -> String {
    super::ask::lock_holder(&e)
}

impl RuleEditorState {
    /// Open the rule at `path` (relative), taking its edit lock (read-only,
    /// naming the holder, when another editor holds it). A library's rule
    /// (`library`) takes the library's lock; its disk version is the one loaded.
    pub fn open(
        root: &Path,
        repo: &Repository,
        path: &Path,
        rule: Rule,
        library: Option<InLibrary>,
    ) -> RuleEditorState {
        let lock_name = library
            .as_ref()
            .map_or_else(|| rule.name.clone(), |l| l.name.clone());
        let lock = match lock::acquire(
            root,
            LockTarget::RuleEdit(lock_name.clone()),
            LockMode::Exclusive,
            "rule editor",
        ) {
            Ok(guard) => RuleLock::Held {
                guard: Box::new(guard),
                name: lock_name,
            },
            Err(e) => RuleLock::ReadOnly(holder_of(e)),
        };
        let disk = match library {
            Some(_) => Some(rule.clone()),
            None => root
                .join(path)
                .exists()
                .then(|| crate::repo::parse_file::<Rule>(root, path).ok())
                .flatten(),
        };
        let mut state = RuleEditorState {
            path: path.to_path_buf(),
            doc: RuleDoc::new(rule),
            disk,
            saved_callers: BTreeMap::new(),
            theirs: None,
            stack: CommandStack::new(),
            touched: Touched::default(),
            lock,
            pane: Pane::Arguments,
            arg_row: 0,
            column: Column::Name,
            used_by: Vec::new(),
            used_row: 0,
            editing: None,
            prompt: None,
            confirm: None,
            library,
        };
        state.refresh_used_by(repo);
        state
    }

    pub fn name(&self) -> &str {
        &self.doc.rule.name
    }

    /// The name callers use: `Library:Rule` for a library's rule.
    pub fn callable_name(&self) -> String {
        match &self.library {
            Some(l) => format!("{}:{}", l.name, self.doc.rule.name),
            None => self.doc.rule.name.clone(),
        }
    }

    /// Modified with respect to the files on disk (the rule, or callers a rename rewrote).
    pub fn is_dirty(&self) -> bool {
        self.disk.as_ref() != Some(&self.doc.rule) || self.doc.callers != self.saved_callers
    }

    pub fn read_only(&self) -> Option<&str> {
        match &self.lock {
            RuleLock::ReadOnly(h) => Some(h),
            RuleLock::Held { .. } => None,
        }
    }

    /// The keymap contexts that apply now, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        if self.editing.is_some() || self.prompt.is_some() {
            return vec![Context::TextEdit];
        }
        if self.confirm.is_some() {
            return vec![Context::Confirm];
        }
        if self.theirs.is_some() {
            return vec![Context::Conflict];
        }
        vec![
            Context::RuleEditor,
            Context::Screens,
            Context::Navigate,
            Context::Global,
        ]
    }

    /// A key no binding claimed: typed into the field or prompt being edited.
    pub fn text_input(&mut self, key: KeyEvent) {
        if let Some(p) = self.prompt.as_mut() {
            if p.input.input(key) {
                p.error = None;
            }
        } else if let Some(f) = self.editing.as_mut()
            && f.input.input(key)
        {
            f.check();
        }
    }

    pub(super) fn refresh_used_by(&mut self, repo: &Repository) {
        self.used_by = used_by(repo, &self.callable_name(), &self.path);
        self.used_row = self.used_row.min(self.used_by.len().saturating_sub(1));
    }

    /// Keep the cursors on what exists; publish unsaved edits for recovery.
    pub(super) fn after_change(&mut self, root: &Path, repo: &Repository) {
        self.arg_row = self
            .arg_row
            .min(self.doc.rule.arguments.len().saturating_sub(1));
        self.refresh_used_by(repo);
        let unsaved = self
            .is_dirty()
            .then(|| Recovered::Rule(self.doc.rule.clone()));
        recovery::publish_object(root, &self.path, unsaved);
    }

    /// Run one edit through the stack (refused when read-only); the status
    /// sentence, or why it was refused.
    pub fn apply(
        &mut self,
        root: &Path,
        repo: &Repository,
        edit: RuleEdit,
    ) -> Result<String, String> {
        if let Some(holder) = self.read_only() {
            return Err(format!("read-only: being edited by {holder}"));
        }
        let text = <RuleDoc as crate::edit::Document>::done_text(&edit, &self.doc);
        self.touched.record(repo, &edit);
        let before = self.selection();
        let sel = self
            .stack
            .execute(&mut self.doc, edit, before)
            .map_err(|EditError(e)| e)?;
        self.select(sel);
        self.after_change(root, repo);
        Ok(text)
    }

    /// [`RuleEditorState::apply`], said on the status line.
    pub fn execute(&mut self, root: &Path, repo: &Repository, edit: RuleEdit) -> Vec<Request> {
        match self.apply(root, repo, edit) {
            Ok(text) => info(text),
            Err(e) => error(e),
        }
    }

    /// What the stack remembers as selected: the argument field under the cursor, or the pane's field.
    pub(super) fn selection(&self) -> Option<RuleField> {
        match self.pane {
            Pane::Arguments if !self.doc.rule.arguments.is_empty() => {
                Some(self.column.field(self.arg_row))
            }
            Pane::Description => Some(RuleField::Description),
            _ => Some(RuleField::Body),
        }
    }

    fn select(&mut self, sel: Option<RuleField>) {
        let Some(field) = sel else { return };
        let (pane, row, col) = match field {
            RuleField::Description => (Pane::Description, None, None),
            RuleField::Body | RuleField::LocalScope => (Pane::Body, None, None),
            RuleField::ArgName(i) => (Pane::Arguments, Some(i), Some(Column::Name)),
            RuleField::ArgDefault(i) => (Pane::Arguments, Some(i), Some(Column::Default)),
            RuleField::ArgLocked(i) => (Pane::Arguments, Some(i), Some(Column::Locked)),
            RuleField::ArgComment(i) => (Pane::Arguments, Some(i), Some(Column::Comment)),
        };
        self.pane = pane;
        if let Some(r) = row {
            self.arg_row = r;
        }
        if let Some(c) = col {
            self.column = c;
        }
    }

    /// One action on the screen (no dialog of the app in front).
    pub fn update(&mut self, root: &Path, repo: &Repository, action: Action) -> Vec<Request> {
        if self.prompt.is_some() {
            return self.update_prompt(root, repo, action);
        }
        if self.editing.is_some() {
            return self.update_field(root, repo, action);
        }
        if let Some(then) = self.confirm.clone() {
            return self.update_confirm(root, repo, action, then);
        }
        if self.theirs.is_some() {
            return self.update_conflict(root, repo, action);
        }
        let writes = matches!(
            action,
            Action::AddArgument
                | Action::DeleteArgument
                | Action::RenameArgument
                | Action::RenameRule
                | Action::ToggleLocked
                | Action::Undo
                | Action::Redo
                | Action::SaveRule
        );
        if writes && let Some(holder) = self.read_only() {
            return error(format!("read-only: being edited by {holder}"));
        }
        match action {
            Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                self.move_row(action);
                Vec::new()
            }
            Action::Top | Action::Bottom => {
                self.move_row(action);
                Vec::new()
            }
            Action::Left | Action::Right => {
                let i = Column::ALL
                    .iter()
                    .position(|c| *c == self.column)
                    .unwrap_or(0);
                let j = if action == Action::Left {
                    i.saturating_sub(1)
                } else {
                    (i + 1).min(Column::ALL.len() - 1)
                };
                self.column = Column::ALL[j];
                Vec::new()
            }
            Action::NextPane => {
                self.pane = match self.pane {
                    Pane::Arguments => Pane::Description,
                    Pane::Description => Pane::Body,
                    Pane::Body => Pane::UsedBy,
                    Pane::UsedBy => Pane::Arguments,
                };
                Vec::new()
            }
            Action::Edit => self.edit_current(root, repo),
            Action::OpenCaller => self.jump(),
            Action::ToggleLocked => match self.current_arg() {
                Some(i) => {
                    let locked = self.doc.rule.arguments[i].locked;
                    let edit = RuleEdit::Set {
                        field: RuleField::ArgLocked(i),
                        value: (!locked).to_string(),
                    };
                    self.execute(root, repo, edit)
                }
                None => warn("no argument: a adds one"),
            },
            Action::AddArgument => {
                self.prompt = Some(Prompt::new(
                    Ask::AddArgument,
                    "Name of the new argument",
                    "",
                ));
                Vec::new()
            }
            Action::DeleteArgument => match self.current_arg() {
                Some(i) => self.execute(root, repo, RuleEdit::DeleteArgument(i)),
                None => warn("no argument to delete"),
            },
            Action::RenameArgument => match self.current_arg() {
                Some(i) => {
                    let name = self.doc.rule.arguments[i].name.clone();
                    self.prompt = Some(Prompt::new(
                        Ask::RenameArgument(i),
                        format!("Rename argument {}", escape_name(&name)),
                        &name,
                    ));
                    Vec::new()
                }
                None => warn("no argument to rename"),
            },
            Action::RenameRule if self.library.is_some() => warn(
                "a library's rule is renamed in its library file (callers name it Library:Rule); \
                 not in the rule editor yet",
            ),
            Action::NextRule => self.next_library_rule(root, repo),
            Action::RenameRule => {
                let name = self.doc.rule.name.clone();
                self.prompt = Some(Prompt::new(
                    Ask::RenameRule,
                    format!(
                        "Rename rule {} (its {} caller(s) are updated)",
                        escape_name(&name),
                        self.used_by.len()
                    ),
                    &name,
                ));
                Vec::new()
            }
            Action::Undo => match self.stack.undo(&mut self.doc) {
                Some((text, sel)) => {
                    self.select(sel);
                    self.after_change(root, repo);
                    info(format!("undid: {text}"))
                }
                None => warn("nothing to undo"),
            },
            Action::Redo => match self.stack.redo(&mut self.doc) {
                Some((text, sel)) => {
                    self.select(sel);
                    self.after_change(root, repo);
                    info(format!("redid: {text}"))
                }
                None => warn("nothing to redo"),
            },
            Action::SaveRule => self.save(root, repo),
            Action::CloseRule | Action::Back => self.request_close(root),
            _ => Vec::new(),
        }
    }

    /// `n` on a library's rule: its next rule (wrapping), once this one is saved.
    fn next_library_rule(&mut self, root: &Path, repo: &Repository) -> Vec<Request> {
        let Some(lib) = self.library.clone() else {
            return warn("not a rule library: n moves between a library's rules");
        };
        if self.is_dirty() {
            return warn(format!(
                "rule {} has unsaved changes: save (s) it before the next rule",
                escape_name(self.name())
            ));
        }
        let Some(rules) = repo
            .libraries
            .iter()
            .find(|l| l.path == self.path)
            .map(|l| &l.value.rules)
            .filter(|r| !r.is_empty())
        else {
            return warn("the library is no longer in the repository");
        };
        let index = (lib.index + 1) % rules.len();
        let rule = rules[index].clone();
        self.library = Some(InLibrary {
            name: lib.name.clone(),
            index,
            count: rules.len(),
        });
        self.doc = RuleDoc::new(rule.clone());
        self.disk = Some(rule);
        self.saved_callers.clear();
        self.stack.reset();
        self.touched = Touched::default();
        self.pane = Pane::Arguments;
        (self.arg_row, self.used_row) = (0, 0);
        self.after_change(root, repo);
        info(format!(
            "rule {} of {} in library {}",
            index + 1,
            rules.len(),
            escape_name(&lib.name)
        ))
    }

    pub(super) fn current_arg(&self) -> Option<usize> {
        (self.pane == Pane::Arguments && self.arg_row < self.doc.rule.arguments.len())
            .then_some(self.arg_row)
    }

    fn move_row(&mut self, action: Action) {
        let (row, len) = match self.pane {
            Pane::Arguments => (&mut self.arg_row, self.doc.rule.arguments.len()),
            Pane::UsedBy => (&mut self.used_row, self.used_by.len()),
            _ => return,
        };
        let last = len.saturating_sub(1);
        *row = match action {
            Action::Up => row.saturating_sub(1),
            Action::Down => (*row + 1).min(last),
            Action::PageUp | Action::Top => 0,
            _ => last,
        };
    }

    /// Jump to the caller under the cursor: a workflow opens in the workflow
    /// editor (this rule stays open); a rule replaces this one here, asking
    /// first when this one has unsaved changes.
    pub(super) fn jump(&mut self) -> Vec<Request> {
        let Some(u) = self.used_by.get(self.used_row).cloned() else {
            return warn("nothing calls this rule");
        };
        if u.workflow {
            return vec![Request::OpenWorkflow(u.path)];
        }
        if self.is_dirty() {
            self.confirm = Some(Then::Jump(u));
            return Vec::new();
        }
        vec![Request::CloseRuleEditor, Request::OpenRule(u.path)]
    }
}
