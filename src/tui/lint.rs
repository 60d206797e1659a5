//! Validation findings as the TUI shows them (badges, editor title).

use crate::model::TaskDefinition;
use crate::repo::Repository;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    pub text: String,
}

/// Facts about the repository the checks need, gathered once per reload.
pub struct LintContext;

impl LintContext {
    pub fn new(_repo: &Repository) -> LintContext {
        LintContext
    }
}

/// Findings of one definition (`source`: its file's text, for positions).
pub fn check(def: &TaskDefinition, _source: Option<&str>, _ctx: &LintContext) -> Vec<Finding> {
    super::editor::invalid_expressions(def)
        .into_iter()
        .map(|(place, err)| Finding {
            level: Level::Error,
            text: format!("{place}: {err}"),
        })
        .collect()
}
