//! Validation findings (`crate::validate`) as the TUI shows them: badges in
//! the browser, counts in the editor's title, lines in the details pane.

use crate::model::TaskDefinition;
use crate::repo::Repository;
use crate::validate::{self, RepoContext, Severity};

use crate::edit::{ElementRef, VarScope};

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
    /// The rule id (`E004`).
    pub id: &'static str,
    pub message: String,
    /// The element the finding concerns; `None` for the workflow as a whole.
    pub element: Option<ElementRef>,
}

impl Level {
    /// The severity as a word (meaning is never carried by colour alone).
    pub fn word(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
        }
    }

    /// The mark shown before a finding.
    pub fn mark(self) -> &'static str {
        match self {
            Level::Error => "✗",
            Level::Warning => "!",
            Level::Info => "i",
        }
    }
}

/// The innermost element a JSON pointer lies in (`/process/activities/2/transitions/0/to`
/// is transition 0 of activity 2); `None` when it names no element below the workflow.
pub fn element_of(pointer: &str) -> Option<ElementRef> {
    let parts: Vec<&str> = pointer.split('/').skip(1).collect();
    let num = |i: usize| parts.get(i).and_then(|p| p.parse::<usize>().ok());
    if parts.first() != Some(&"process") {
        return None;
    }
    match parts.get(1).copied() {
        Some("variables") => num(2).map(|v| ElementRef::Variable(VarScope::Process, v)),
        Some("activities") => {
            let a = num(2)?;
            let inner = match parts.get(3).copied() {
                Some("actions") => num(4).map(|i| match (parts.get(5).copied(), num(6)) {
                    (Some("variables"), Some(v)) => ElementRef::Variable(VarScope::Action(a, i), v),
                    _ => ElementRef::Action(a, i),
                }),
                Some("transitions") => num(4).map(|i| ElementRef::Transition(a, i)),
                Some("variables") => num(4).map(|v| ElementRef::Variable(VarScope::Activity(a), v)),
                _ => None,
            };
            Some(inner.unwrap_or(ElementRef::Activity(a)))
        }
        _ => None,
    }
}

/// The findings that concern exactly `target` (for the workflow: those without an element).
pub fn findings_for(findings: &[Finding], target: ElementRef) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.element.unwrap_or(ElementRef::Definition) == target)
        .collect()
}

/// Activities whose box gets the error mark: an error in the activity or in
/// one of its actions, transitions or variables.
pub fn activities_with_errors(findings: &[Finding]) -> Vec<usize> {
    let mut out: Vec<usize> = findings
        .iter()
        .filter(|f| f.level == Level::Error)
        .filter_map(|f| f.element.and_then(ElementRef::activity))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Facts about the repository the checks need, gathered once per reload.
pub struct LintContext(RepoContext);

impl LintContext {
    pub fn new(repo: &Repository) -> LintContext {
        LintContext(RepoContext::from_repository(repo))
    }

    /// The validation context behind it (for checks outside workflows).
    pub fn repo_context(&self) -> &RepoContext {
        &self.0
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
                id: f.lint.id(),
                element: element_of(&f.pointer),
                message: f.message,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_map_to_the_innermost_element() {
        assert_eq!(element_of(""), None);
        assert_eq!(element_of("/name"), None);
        assert_eq!(element_of("/process/maxSteps"), None);
        assert_eq!(
            element_of("/process/variables/3/value"),
            Some(ElementRef::Variable(VarScope::Process, 3))
        );
        assert_eq!(
            element_of("/process/activities/2/transitions/0/to"),
            Some(ElementRef::Transition(2, 0))
        );
        assert_eq!(
            element_of("/process/activities/2/actions/1/arguments/0/value"),
            Some(ElementRef::Action(2, 1))
        );
        assert_eq!(
            element_of("/process/activities/2/actions/1/variables/4"),
            Some(ElementRef::Variable(VarScope::Action(2, 1), 4))
        );
        assert_eq!(
            element_of("/process/activities/5/variables/0/value"),
            Some(ElementRef::Variable(VarScope::Activity(5), 0))
        );
        assert_eq!(
            element_of("/process/activities/5/name"),
            Some(ElementRef::Activity(5))
        );
        assert_eq!(element_of("/process/activities/x"), None);
    }
}
