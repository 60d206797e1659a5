//! Lint rules over a repository: each finding has a stable rule id, a
//! severity, a message and a location (file, line and column of the offending
//! JSON value, and the element of the definition it concerns).
//!
//! Every rule is documented in `docs/validation.md`; a test keeps the two in step.
//!
//! - [`validate_repository`] checks every file (and reports load errors);
//! - [`validate_definition`] checks one definition as it is being edited; it
//!   takes the repository facts it needs from a [`RepoContext`] built once.

mod definition;
mod exprs;
mod source;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::model::{ActionKind, TaskDefinition};
use crate::repo::Repository;

pub use exprs::call_problems;
pub use source::{SourceIndex, raw_offset_in_string};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The lint rules. Ids are stable: scripts and docs refer to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lint {
    LoadError,
    NoStart,
    MultipleStarts,
    NoEnd,
    UnknownTarget,
    ActionsInStartOrEnd,
    DuplicateActivityId,
    DuplicateActivityName,
    ExprSyntax,
    UnknownServiceOp,
    UnknownSubprocess,
    ManualWithoutOwner,
    NegativeLimit,
    DeadEnd,
    Unreachable,
    UnknownFunction,
    MissingServiceArgument,
    UndeclaredVariable,
    SubprocessCycle,
    UnknownRule,
    UnknownEmailTemplate,
    NoDefaultTransition,
    UnreachableTransition,
    BadCall,
    UnknownServiceArgument,
    Unsupported,
    ShadowedVariable,
    UnsafeName,
}

impl Lint {
    pub const ALL: [Lint; 28] = [
        Lint::LoadError,
        Lint::NoStart,
        Lint::MultipleStarts,
        Lint::NoEnd,
        Lint::UnknownTarget,
        Lint::ActionsInStartOrEnd,
        Lint::DuplicateActivityId,
        Lint::DuplicateActivityName,
        Lint::ExprSyntax,
        Lint::UnknownServiceOp,
        Lint::UnknownSubprocess,
        Lint::ManualWithoutOwner,
        Lint::NegativeLimit,
        Lint::DeadEnd,
        Lint::UnsafeName,
        Lint::Unreachable,
        Lint::UnknownFunction,
        Lint::MissingServiceArgument,
        Lint::UndeclaredVariable,
        Lint::SubprocessCycle,
        Lint::UnknownRule,
        Lint::UnknownEmailTemplate,
        Lint::NoDefaultTransition,
        Lint::UnreachableTransition,
        Lint::BadCall,
        Lint::UnknownServiceArgument,
        Lint::Unsupported,
        Lint::ShadowedVariable,
    ];

    /// Stable id: `E` errors, `W` warnings, `I` information.
    pub fn id(self) -> &'static str {
        match self {
            Lint::LoadError => "E000",
            Lint::NoStart => "E001",
            Lint::MultipleStarts => "E002",
            Lint::NoEnd => "E003",
            Lint::UnknownTarget => "E004",
            Lint::ActionsInStartOrEnd => "E005",
            Lint::DuplicateActivityId => "E006",
            Lint::DuplicateActivityName => "E007",
            Lint::ExprSyntax => "E008",
            Lint::UnknownServiceOp => "E009",
            Lint::UnknownSubprocess => "E010",
            Lint::ManualWithoutOwner => "E011",
            Lint::NegativeLimit => "E012",
            Lint::DeadEnd => "E013",
            Lint::UnsafeName => "E014",
            Lint::Unreachable => "W001",
            Lint::UnknownFunction => "W002",
            Lint::MissingServiceArgument => "W003",
            Lint::UndeclaredVariable => "W004",
            Lint::SubprocessCycle => "W005",
            Lint::UnknownRule => "W006",
            Lint::UnknownEmailTemplate => "W007",
            Lint::NoDefaultTransition => "W008",
            Lint::UnreachableTransition => "W009",
            Lint::BadCall => "W010",
            Lint::UnknownServiceArgument => "W011",
            Lint::Unsupported => "W012",
            Lint::ShadowedVariable => "I001",
        }
    }

    pub fn severity(self) -> Severity {
        match self.id().as_bytes()[0] {
            b'E' => Severity::Error,
            b'W' => Severity::Warning,
            _ => Severity::Info,
        }
    }

    /// One-line description, as in the docs' headings.
    pub fn title(self) -> &'static str {
        match self {
            Lint::LoadError => "file could not be loaded",
            Lint::NoStart => "no start activity",
            Lint::MultipleStarts => "more than one start activity",
            Lint::NoEnd => "no end activity",
            Lint::UnknownTarget => "transition to an unknown activity",
            Lint::ActionsInStartOrEnd => "actions in start or end",
            Lint::DuplicateActivityId => "duplicate activity id",
            Lint::DuplicateActivityName => "duplicate activity name",
            Lint::ExprSyntax => "expression syntax error",
            Lint::UnknownServiceOp => "unknown service op",
            Lint::UnknownSubprocess => "unknown subprocess",
            Lint::ManualWithoutOwner => "manual action without owner",
            Lint::NegativeLimit => "negative step count, limit, interval or timeout",
            Lint::DeadEnd => "activity with no way out",
            Lint::UnsafeName => "control character in a name",
            Lint::Unreachable => "unreachable activity",
            Lint::UnknownFunction => "unknown expression function",
            Lint::MissingServiceArgument => "missing required service argument",
            Lint::UndeclaredVariable => "undeclared variable",
            Lint::SubprocessCycle => "subprocess call cycle",
            Lint::UnknownRule => "unknown rule",
            Lint::UnknownEmailTemplate => "unknown email template",
            Lint::NoDefaultTransition => {
                "exclusive activity without an unconditional last transition"
            }
            Lint::UnreachableTransition => "transition after an unconditional one",
            Lint::BadCall => "function called with the wrong arguments",
            Lint::UnknownServiceArgument => "unknown service argument",
            Lint::Unsupported => "construct bpe keeps but cannot run",
            Lint::ShadowedVariable => "variable shadows a case variable",
        }
    }

    pub fn from_id(id: &str) -> Option<Lint> {
        Lint::ALL.into_iter().find(|l| l.id() == id)
    }
}

/// The element of a definition a finding concerns (for the editor to select it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The file as a whole (load errors, files other than definitions).
    File,
    /// The definition or its process (metadata, case variables).
    Definition,
    Activity {
        activity: usize,
    },
    Action {
        activity: usize,
        action: usize,
    },
    Transition {
        activity: usize,
        transition: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub lint: Lint,
    pub severity: Severity,
    /// Relative to the repository root; empty when the definition has no file yet.
    pub path: PathBuf,
    /// 1-based; 0 when the position is unknown (no source text).
    pub line: usize,
    /// 1-based, in characters; 0 when unknown.
    pub column: usize,
    pub message: String,
    /// JSON pointer of the offending value (`/process/activities/2/transitions/0/to`).
    pub pointer: String,
    pub target: Target,
}

impl Finding {
    pub fn id(&self) -> &'static str {
        self.lint.id()
    }

    /// The JSON object of `bpe validate --json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "path": self.path.to_string_lossy().replace('\\', "/"),
            "line": self.line,
            "column": self.column,
            "severity": self.severity.as_str(),
            "id": self.lint.id(),
            "message": self.message,
        })
    }
}

impl fmt::Display for Finding {
    /// `TaskDefinition/onboard-employee.json:12:5: error E004 transition to unknown activity "Aprove"`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {} {} {}",
            self.path.to_string_lossy().replace('\\', "/"),
            self.line,
            self.column,
            self.severity,
            self.lint.id(),
            self.message
        )
    }
}

/// Repository facts the definition checks need, gathered once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoContext {
    /// TaskDefinition name -> names of the subprocesses its actions call.
    pub definitions: BTreeMap<String, BTreeSet<String>>,
    /// Rule name -> its argument names.
    pub rules: BTreeMap<String, Vec<String>>,
    pub email_templates: BTreeSet<String>,
}

impl RepoContext {
    pub fn from_repository(repo: &Repository) -> RepoContext {
        let mut ctx = RepoContext::default();
        for d in &repo.definitions {
            ctx.definitions
                .insert(d.value.name.clone(), subprocess_calls(&d.value));
        }
        for r in repo.all_rules() {
            ctx.rules
                .insert(r.name, r.arguments.into_iter().map(|a| a.name).collect());
        }
        ctx.email_templates = repo
            .email_templates
            .iter()
            .map(|t| t.value.name.clone())
            .collect();
        ctx
    }
}

/// Names of the subprocesses a definition's actions call.
pub fn subprocess_calls(def: &TaskDefinition) -> BTreeSet<String> {
    def.process
        .activities
        .iter()
        .flat_map(|a| &a.actions)
        .filter_map(|act| match &act.kind {
            ActionKind::Subprocess { process, .. } => Some(process.clone()),
            _ => None,
        })
        .collect()
}

/// Check one definition. With `source_text` (the file's JSON text) findings
/// carry line and column; without, they carry 0 (the pointer and target still
/// locate them). The path of the findings is empty: the caller knows the file.
pub fn validate_definition(
    def: &TaskDefinition,
    source_text: Option<&str>,
    ctx: &RepoContext,
) -> Vec<Finding> {
    let index = source_text.map(SourceIndex::build);
    let mut out = Sink::new(index.as_ref(), Path::new(""));
    // In a repository the loader checks the name of every object (E014 from
    // its load error); a definition being edited is checked here.
    definition::check_name(&def.name, "/name", Target::Definition, &mut out);
    definition::check(def, ctx, &mut out);
    out.findings
}

/// The lint of a load error: E014 for a name with control characters (found
/// by the loader, for every kind), else E000.
fn unsafe_or_load_error(e: &crate::repo::LoadError) -> Lint {
    if e.message.starts_with(crate::repo::UNSAFE_NAME) {
        Lint::UnsafeName
    } else {
        Lint::LoadError
    }
}

/// Check every file of a repository: load errors, definitions and rules.
/// Findings are sorted by path, line and column.
pub fn validate_repository(repo: &Repository) -> Vec<Finding> {
    let ctx = RepoContext::from_repository(repo);
    let mut findings: Vec<Finding> = repo
        .errors
        .iter()
        .map(|e| (e, unsafe_or_load_error(e)))
        .map(|(e, lint)| Finding {
            lint,
            severity: lint.severity(),
            path: e.path.clone(),
            line: e.line,
            column: e.column,
            message: e.message.clone(),
            pointer: String::new(),
            target: Target::File,
        })
        .collect();
    for d in &repo.definitions {
        let text = crate::repo::confine::read(&repo.root, &d.path)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        let index = text.as_deref().map(SourceIndex::build);
        let mut out = Sink::new(index.as_ref(), &d.path);
        definition::check(&d.value, &ctx, &mut out);
        findings.extend(out.findings);
    }
    findings.extend(validate_rule_files(repo, &ctx));
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.lint.id()).cmp(&(&b.path, b.line, b.column, b.lint.id()))
    });
    findings
}

/// The findings of every rule file and rule library (unsorted): what
/// [`validate_repository`] reports for them, for the browser's badges.
pub fn validate_rule_files(repo: &Repository, ctx: &RepoContext) -> Vec<Finding> {
    let mut findings = Vec::new();
    for r in &repo.rules {
        let text = crate::repo::confine::read(&repo.root, &r.path)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        let index = text.as_deref().map(SourceIndex::build);
        let mut out = Sink::new(index.as_ref(), &r.path);
        definition::check_rule(&r.value, "", ctx, &mut out);
        findings.extend(out.findings);
    }
    for l in &repo.libraries {
        let text = crate::repo::confine::read(&repo.root, &l.path)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        let index = text.as_deref().map(SourceIndex::build);
        let mut out = Sink::new(index.as_ref(), &l.path);
        for (i, r) in l.value.rules.iter().enumerate() {
            definition::check_rule(r, &format!("/rules/{i}"), ctx, &mut out);
        }
        findings.extend(out.findings);
    }
    findings
}

/// Collects findings, resolving pointers to positions.
pub(crate) struct Sink<'i, 't> {
    index: Option<&'i SourceIndex<'t>>,
    path: PathBuf,
    pub findings: Vec<Finding>,
}

impl<'i, 't> Sink<'i, 't> {
    fn new(index: Option<&'i SourceIndex<'t>>, path: &Path) -> Self {
        Sink {
            index,
            path: path.to_path_buf(),
            findings: Vec::new(),
        }
    }

    /// Report at the value `pointer` (or its nearest ancestor in the text).
    pub fn at(&mut self, lint: Lint, pointer: String, target: Target, message: String) {
        let offset = self.index.and_then(|ix| ix.offset_or_ancestor(&pointer));
        self.push(lint, pointer, target, message, offset);
    }

    /// Report at byte `decoded` of the decoded content of the string at `pointer`.
    pub fn inside(
        &mut self,
        lint: Lint,
        pointer: String,
        decoded: usize,
        target: Target,
        message: String,
    ) {
        let offset = self.index.and_then(|ix| {
            ix.string_offset(&pointer, decoded)
                .or_else(|| ix.offset_or_ancestor(&pointer))
        });
        self.push(lint, pointer, target, message, offset);
    }

    fn push(
        &mut self,
        lint: Lint,
        pointer: String,
        target: Target,
        message: String,
        offset: Option<usize>,
    ) {
        let (line, column) = match (self.index, offset) {
            (Some(ix), Some(o)) => ix.line_col(o),
            _ => (0, 0),
        };
        self.findings.push(Finding {
            lint,
            severity: lint.severity(),
            path: self.path.clone(),
            line,
            column,
            message,
            pointer,
            target,
        });
    }
}

/// Counts of findings by severity.
pub fn summarize(findings: &[Finding]) -> (usize, usize, usize) {
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    )
}

#[cfg(test)]
mod tests;
