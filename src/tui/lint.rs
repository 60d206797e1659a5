//! Validation findings (`crate::validate`) as the TUI shows them: badges in
//! the browser, counts in the editor's title, lines in the details pane.

use crate::model::TaskDefinition;
use crate::repo::Repository;
use crate::validate::{self, RepoContext, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    /// `12:5 E004 transition to unknown activity "Aprove"` (position when known).
    pub text: String,
}

/// Facts about the repository the checks need, gathered once per reload.
pub struct LintContext(RepoContext);

impl LintContext {
    pub fn new(repo: &Repository) -> LintContext {
        LintContext(RepoContext::from_repository(repo))
    }
}

/// Findings of one definition (`source`: its file's text, for positions).
pub fn check(def: &TaskDefinition, source: Option<&str>, ctx: &LintContext) -> Vec<Finding> {
    validate::validate_definition(def, source, &ctx.0)
        .into_iter()
        .map(|f| {
            let level = match f.severity {
                Severity::Error => Level::Error,
                Severity::Warning => Level::Warning,
                Severity::Info => Level::Info,
            };
            let at = if f.line > 0 {
                format!("{}:{} ", f.line, f.column)
            } else {
                String::new()
            };
            Finding {
                level,
                text: format!("{at}{} {}", f.lint.id(), f.message),
            }
        })
        .collect()
}
