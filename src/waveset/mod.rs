//! Waveset XML import and export (see `docs/waveset.md` for the full mapping).
//!
//! - [`import`] reads a Waveset document — a `<Waveset>` holding several objects, or a
//!   single `<TaskDefinition>`, `<WFProcess>`, `<Rule>`, `<EmailTemplate>` or
//!   `<Configuration wstype='EmailTemplate'>` — into bpe model objects, with warnings
//!   for what was safely skipped. XPRESS becomes bpe expression text one-to-one.
//! - [`export_definition`], [`export_rule`], [`export_email_template`] and
//!   [`export_library`] write Waveset XML that imports back to an identical object.
//!
//! What bpe cannot run is still imported, never refused: an action with a custom
//! Java class or an element bpe does not execute becomes an `unsupported` action
//! holding its XML verbatim, and a `<script>` body a `(script "…")` call; both
//! export back unchanged and fail only when run.
//!
//! The importer streams (no DOM), never resolves an entity other than the five
//! predefined ones and character references, and caps input size ([`MAX_INPUT_BYTES`])
//! and element depth ([`MAX_DEPTH`]). Every error and warning has a line and column.

mod export;
mod import;
mod write;
mod xml;

use std::fmt;

use crate::model::{EmailTemplate, Rule, RuleLibrary, TaskDefinition};

pub use export::{export_definition, export_email_template, export_library, export_rule};
pub use import::import;
pub use write::{
    ImportObject, WriteError, Written, duplicate_names, read_document, unsafe_names, write_objects,
};

/// Largest document [`import`] accepts.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;
/// Deepest element nesting [`import`] accepts.
pub const MAX_DEPTH: usize = 256;

/// The `application=` / `class=` value written for service actions.
pub const WORKFLOW_SERVICES: &str = "com.waveset.session.WorkflowServices";
/// The Waveset executor class; bpe's own executor name maps to and from it.
pub const WAVESET_EXECUTOR: &str = "com.waveset.workflow.WorkflowExecutor";

/// What one document held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Imported {
    pub definitions: Vec<TaskDefinition>,
    pub rules: Vec<Rule>,
    pub email_templates: Vec<EmailTemplate>,
    /// Rule libraries (`<Configuration>` objects holding `<Extension><Library>`).
    pub libraries: Vec<RuleLibrary>,
    /// Things skipped or adjusted; the import is still complete for what it returns.
    pub warnings: Vec<Warning>,
}

/// A problem that stopped the import. `line`/`column` are 1-based (0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl ImportError {
    pub(crate) fn at(src: &str, offset: usize, message: impl Into<String>) -> ImportError {
        let (line, column) = xml::line_column(src, offset);
        ImportError {
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ImportError {}

/// Something that did not stop the import (an ignored element, a generated id, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: warning: {}",
            self.line, self.column, self.message
        )
    }
}
