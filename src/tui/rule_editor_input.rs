//! Typing in the rule editor (`tui::rule_editor`): Enter on a field opens it
//! in a text area (expressions pretty-printed and checked after every key:
//! parse errors with their position, unknown functions and wrong arity, the
//! same check as the workflow editor's); the one-line prompts (add or rename
//! an argument, rename the rule). Nothing is applied while it does not parse;
//! what is applied is one edit on the stack.

use std::path::Path;

use tui_textarea::TextArea;

use super::action::Action;
use super::editor_fields::{InputError, check_expr, pretty_expr, text_area};
use super::rule_editor::{Ask, Pane, RuleEditorState, error, info, warn};
use super::screen::Request;
use crate::edit::EditError;
use crate::edit::rule::{RuleEdit, RuleField, plan_rename};
use crate::repo::Repository;

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

impl RuleEditorState {
    /// Enter: edit the field under the cursor (locked toggles), or jump to the caller.
    pub(super) fn edit_current(&mut self, root: &Path, repo: &Repository) -> Vec<Request> {
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

    pub(super) fn update_field(
        &mut self,
        root: &Path,
        repo: &Repository,
        action: Action,
    ) -> Vec<Request> {
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

    pub(super) fn update_prompt(
        &mut self,
        root: &Path,
        repo: &Repository,
        action: Action,
    ) -> Vec<Request> {
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
}
