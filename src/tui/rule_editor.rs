//! The rule editor screen (Enter on a rule in the browser): the arguments as a
//! table (name, default, locked, comment), the description, the body in a
//! text area checked while typing, a rename of the rule that rewrites every
//! caller, and the workflows and rules that call it ("used by", Enter jumps).
//!
//! The logic lives on [`RuleEditorState`] and takes only what it needs (the
//! repository, its root); what else should happen comes back as
//! [`Request`]s. The editing itself is the core's (`crate::edit::rule`,
//! `rule_save`) on the one [`CommandStack`].
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
use tui_textarea::TextArea;

use super::action::Action;
use super::app::{App, Notice, NoticeKind, Screen};
use super::ask::Prompt;
use super::editor_fields::{InputError, check_expr, pretty_expr, text_area};
use super::keymap::Context;
use super::recovery::{self, Recovered};
use super::screen::Request;
use crate::edit::rule::{Caller, RuleDoc, RuleEdit, RuleField, UsedBy, plan_rename, used_by};
use crate::edit::rule_save::{Touched, save_rule_doc};
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

    fn field(self, i: usize) -> RuleField {
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

/// What happens once the unsaved-changes question is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Then {
    Close,
    /// Open this caller (a rule) instead.
    Jump(UsedBy),
}

/// A field being typed into: a text area with its live check.
pub struct FieldInput {
    pub field: RuleField,
    pub label: String,
    /// An expression (body, argument default): checked while typing.
    pub expr: bool,
    pub input: TextArea<'static>,
    pub error: Option<InputError>,
    pub warning: Option<InputError>,
}

impl FieldInput {
    pub fn text(&self) -> String {
        self.input.lines().join("\n")
    }

    /// Re-check after a keystroke (expressions only; the default may be empty).
    pub fn check(&mut self) {
        if self.expr {
            let optional = self.field != RuleField::Body;
            (self.error, self.warning) = check_expr(&self.text(), optional);
        }
    }
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
}

fn notice(kind: NoticeKind, text: impl Into<String>) -> Request {
    Request::Notice(Notice {
        kind,
        text: text.into(),
    })
}
fn info(text: impl Into<String>) -> Vec<Request> {
    vec![notice(NoticeKind::Info, text)]
}
fn warn(text: impl Into<String>) -> Vec<Request> {
    vec![notice(NoticeKind::Warning, text)]
}
fn error(text: impl Into<String>) -> Vec<Request> {
    vec![notice(NoticeKind::Error, text)]
}

/// `user@host (pid …) since …` of whoever holds a lock we could not take.
fn holder_of(e: LockError) -> String {
    match e {
        LockError::Held { holders, .. } => holders
            .iter()
            .find(|h| h.stale.is_none())
            .or(holders.first())
            .and_then(|h| h.holder.as_ref())
            .map(|h| format!("{}@{} (pid {}) since {}", h.user, h.host, h.pid, h.since))
            .unwrap_or_else(|| "another process".to_string()),
        e => format!("the edit lock could not be taken: {e}"),
    }
}

impl RuleEditorState {
    /// Open the rule at `path` (relative), taking its edit lock (read-only,
    /// naming the holder, when another editor holds it).
    pub fn open(root: &Path, repo: &Repository, path: &Path, rule: Rule) -> RuleEditorState {
        let lock = match lock::acquire(
            root,
            LockTarget::RuleEdit(rule.name.clone()),
            LockMode::Exclusive,
            "rule editor",
        ) {
            Ok(guard) => RuleLock::Held {
                guard: Box::new(guard),
                name: rule.name.clone(),
            },
            Err(e) => RuleLock::ReadOnly(holder_of(e)),
        };
        let disk = root
            .join(path)
            .exists()
            .then(|| crate::repo::parse_file::<Rule>(root, path).ok())
            .flatten();
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
        };
        state.refresh_used_by(repo);
        state
    }

    pub fn name(&self) -> &str {
        &self.doc.rule.name
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

    fn refresh_used_by(&mut self, repo: &Repository) {
        self.used_by = used_by(repo, &self.doc.rule.name, &self.path);
        self.used_row = self.used_row.min(self.used_by.len().saturating_sub(1));
    }

    /// Keep the cursors on what exists; publish unsaved edits for recovery.
    fn after_change(&mut self, root: &Path, repo: &Repository) {
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
    fn selection(&self) -> Option<RuleField> {
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

    fn current_arg(&self) -> Option<usize> {
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

    /// Enter: edit the field under the cursor (locked toggles), or jump to the caller.
    fn edit_current(&mut self, root: &Path, repo: &Repository) -> Vec<Request> {
        if self.pane == Pane::UsedBy {
            return self.jump();
        }
        if let Some(holder) = self.read_only() {
            return error(format!("read-only: being edited by {holder}"));
        }
        let field = match self.pane {
            Pane::Description => RuleField::Description,
            Pane::Body => RuleField::Body,
            _ => match self.current_arg() {
                Some(i) => self.column.field(i),
                None => return warn("no argument: a adds one"),
            },
        };
        if let RuleField::ArgLocked(_) = field {
            return self.update(root, repo, Action::ToggleLocked);
        }
        let value = field.value(&self.doc.rule).unwrap_or_default();
        let expr = matches!(field, RuleField::Body | RuleField::ArgDefault(_));
        let text = if expr { pretty_expr(&value) } else { value };
        let mut input = FieldInput {
            field,
            label: field.label(&self.doc.rule),
            expr,
            input: text_area(&text),
            error: None,
            warning: None,
        };
        input.check();
        self.editing = Some(input);
        Vec::new()
    }

    fn update_field(&mut self, root: &Path, repo: &Repository, action: Action) -> Vec<Request> {
        let Some(f) = self.editing.as_mut() else {
            return Vec::new();
        };
        match action {
            Action::Cancel => {
                self.editing = None;
                info("edit dropped")
            }
            Action::Newline => {
                if !matches!(f.field, RuleField::ArgName(_)) {
                    f.input.insert_newline();
                    f.check();
                }
                Vec::new()
            }
            Action::Accept => {
                if let Some(e) = &f.error {
                    return error(format!(
                        "not applied: {} at {}:{}: {}",
                        f.label, e.line, e.column, e.message
                    ));
                }
                let edit = RuleEdit::Set {
                    field: f.field,
                    value: f.text(),
                };
                match self.apply(root, repo, edit) {
                    Ok(text) => {
                        self.editing = None;
                        info(text)
                    }
                    // The field stays open with what was typed.
                    Err(e) => error(e),
                }
            }
            _ => Vec::new(),
        }
    }

    fn update_prompt(&mut self, root: &Path, repo: &Repository, action: Action) -> Vec<Request> {
        let Some(p) = self.prompt.as_mut() else {
            return Vec::new();
        };
        match action {
            Action::Cancel => {
                self.prompt = None;
                Vec::new()
            }
            Action::Accept => {
                let text = p.text();
                let edit = match p.purpose {
                    Ask::AddArgument => {
                        let at = if self.doc.rule.arguments.is_empty() {
                            0
                        } else {
                            self.arg_row + 1
                        };
                        Ok(RuleEdit::AddArgument { at, name: text })
                    }
                    Ask::RenameArgument(i) => Ok(RuleEdit::Set {
                        field: RuleField::ArgName(i),
                        value: text,
                    }),
                    Ask::RenameRule => plan_rename(&self.doc, repo, &self.path, &text),
                };
                match edit
                    .map_err(|EditError(e)| e)
                    .and_then(|e| self.apply(root, repo, e))
                {
                    Ok(text) => {
                        self.prompt = None;
                        info(text)
                    }
                    Err(e) => {
                        // The prompt stays with the reason; Esc gives up.
                        if let Some(p) = self.prompt.as_mut() {
                            p.error = Some(e);
                        }
                        Vec::new()
                    }
                }
            }
            _ => Vec::new(),
        }
    }

    /// Jump to the caller under the cursor: a workflow opens in the workflow
    /// editor (this rule stays open); a rule replaces this one here, asking
    /// first when this one has unsaved changes.
    fn jump(&mut self) -> Vec<Request> {
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

    fn request_close(&mut self, root: &Path) -> Vec<Request> {
        if self.is_dirty() {
            self.confirm = Some(Then::Close);
            return Vec::new();
        }
        self.forget_recovery(root, false);
        vec![Request::CloseRuleEditor]
    }

    fn update_confirm(
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

    fn forget_recovery(&self, root: &Path, file_too: bool) {
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
        match save_rule_doc(root, &self.path, &self.doc, &self.touched) {
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
        let theirs = match crate::repo::parse_file::<Rule>(root, &self.path) {
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

    fn update_conflict(&mut self, root: &Path, repo: &Repository, action: Action) -> Vec<Request> {
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

// ---- the app's side: thin adapters (the screen's state lives in `app.rule_editor`) ----

pub fn contexts(app: &App) -> Vec<Context> {
    match &app.rule_editor {
        Some(r) => r.contexts(),
        None => vec![Context::Global],
    }
}

/// Open the rule file `path` (relative) in the rule editor. The rule already
/// open comes back as it was; another one with unsaved edits is not replaced.
pub fn open_path(app: &mut App, path: &Path) -> Vec<Request> {
    let Some(rule) = app
        .repo
        .rules
        .iter()
        .find(|r| r.path == path)
        .map(|r| r.value.clone())
    else {
        return error(format!(
            "{} is not a rule of this repository",
            escape_name(&path.display().to_string())
        ));
    };
    if let Some(r) = &app.rule_editor {
        if r.path == path {
            return vec![Request::Show(Screen::RuleEditor)];
        }
        if r.is_dirty() {
            return warn(format!(
                "rule {} has unsaved changes: save (s) or close (c) it before opening another rule",
                escape_name(r.name())
            ));
        }
        close(app);
    }
    let state = RuleEditorState::open(&app.root, &app.repo, path, rule);
    let out = match state.read_only() {
        Some(h) => warn(format!(
            "read-only: rule {} is being edited by {h}",
            escape_name(state.name())
        )),
        None => Vec::new(),
    };
    app.rule_editor = Some(state);
    app.screen = Screen::RuleEditor;
    out
}

/// Close the rule editor (releasing its lock) and go back to the browser.
pub fn close(app: &mut App) {
    if let Some(r) = app.rule_editor.take() {
        recovery::publish_object(&app.root, &r.path, None);
        let name = r.name().to_string();
        drop(r);
        app.browser.refresh(&app.repo);
        app.browser.select_name(&app.repo, &name);
    }
    if app.screen == Screen::RuleEditor {
        app.screen = Screen::Browser;
    }
}

/// Open the rule of a recovery copy with the copy applied as an (undoable) edit.
pub fn restore_recovery(app: &mut App, path: PathBuf, rule: Rule) {
    let mut out = open_path(app, &path);
    if let Some(r) = app.rule_editor.as_mut().filter(|r| r.path == path) {
        out = r.restore(&app.root, &app.repo, rule);
    }
    app.carry_out(out);
}

/// Saving before quitting (the app's unsaved-changes question): true when
/// nothing of the rule editor is left unsaved.
pub fn save_if_dirty(app: &mut App) -> bool {
    let Some(r) = app.rule_editor.as_mut().filter(|r| r.is_dirty()) else {
        return true;
    };
    let out = r.save(&app.root, &app.repo);
    let saved = !r.is_dirty();
    app.carry_out(out);
    saved
}

/// The repository was re-read: the open rule follows its file.
pub fn repository_changed(app: &mut App) {
    if let Some(r) = app.rule_editor.as_mut() {
        let out = r.sync_with_disk(&app.root, &app.repo);
        app.carry_out(out);
    }
}
