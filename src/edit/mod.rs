//! Editing, as a core module: every change to a document a user edits (a
//! workflow, a rule, an email template) is an edit value applied through the
//! one [`CommandStack`], so it can be undone and redone, from any front end.
//!
//! Layout:
//! - `element`: positions in a workflow ([`ElementRef`], [`VarScope`]);
//! - `field`: the typed key of each editable property ([`FieldKey`], [`Prop`])
//!   and the lists inside an action ([`ItemList`]);
//! - `workflow`: [`Edit`], the edits of a workflow, and their application;
//! - `set_field`: setting one property from its text form;
//! - `stack`: [`CommandStack`] and the [`Document`] trait it works over;
//! - `report`: the past-tense sentence after an edit of a workflow;
//! - `rule`: the rule editor's document ([`rule::RuleDoc`]: the rule and the callers a
//!   rename rewrote) and its edits; `callers`: rule calls found and renamed through the AST;
//! - `template`: the email template editor's edits, placeholders and preview.
//!
//! Invariants: nothing here imports the TUI (ratatui, crossterm, `crate::tui`);
//! an edit that fails leaves its document unchanged; undo restores the exact
//! document an edit started from.

use std::fmt;

pub mod callers;
pub mod element;
pub mod field;
pub mod report;
pub mod rule;
pub mod rule_save;
pub mod set_field;
pub mod stack;
pub mod template;
pub mod workflow;

pub use element::{ElementRef, VarScope, vars};
pub use field::{FieldKey, ItemList, Prop};
pub use set_field::{canonical_expr, set_field};
pub use stack::{CommandStack, Document};
pub use workflow::Edit;

/// Why an edit was refused (the document is unchanged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError(pub String);

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EditError {}

pub(crate) fn fail<T>(msg: impl Into<String>) -> Result<T, EditError> {
    Err(EditError(msg.into()))
}

pub(crate) fn gone<T>() -> Result<T, EditError> {
    fail("the element no longer exists")
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod rule_tests;
