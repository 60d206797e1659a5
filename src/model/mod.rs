//! Serde types for every file in a repository. The core format is JSON; every
//! top-level object carries `formatVersion` so that old files are recognised.
//!
//! Expressions are stored as text (see `docs/expressions.md`) in fields of type
//! [`ExprText`]; they are parsed by `crate::expr`.

mod definition;
mod identity;
mod ids;
mod instance;
mod names;
mod path;
mod repository;
mod rule;
mod workitem;

pub use definition::*;
pub use identity::*;
pub use ids::*;
pub use instance::*;
pub use names::*;
pub use path::*;
pub use repository::*;
pub use rule::*;
pub use workitem::*;

/// The only `formatVersion` this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// An expression in bpe's text syntax, stored verbatim (never reformatted on load).
pub type ExprText = String;

/// The kinds of object a repository holds, one directory each.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ObjectKind {
    TaskDefinition,
    Rule,
    EmailTemplate,
    User,
    Role,
    Policy,
    TaskInstance,
    WorkItem,
    /// Rule libraries (Waveset `Configuration` objects holding a `Library`).
    Configuration,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 9] = [
        ObjectKind::TaskDefinition,
        ObjectKind::Rule,
        ObjectKind::EmailTemplate,
        ObjectKind::User,
        ObjectKind::Role,
        ObjectKind::Policy,
        ObjectKind::TaskInstance,
        ObjectKind::WorkItem,
        ObjectKind::Configuration,
    ];

    /// The repository sub-directory holding objects of this kind.
    pub fn dir_name(self) -> &'static str {
        match self {
            ObjectKind::TaskDefinition => "TaskDefinition",
            ObjectKind::Rule => "Rule",
            ObjectKind::EmailTemplate => "EmailTemplate",
            ObjectKind::User => "User",
            ObjectKind::Role => "Role",
            ObjectKind::Policy => "Policy",
            ObjectKind::TaskInstance => "TaskInstance",
            ObjectKind::WorkItem => "WorkItem",
            ObjectKind::Configuration => "Configuration",
        }
    }
}

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}
pub(crate) fn is_zero_i64(n: &i64) -> bool {
    *n == 0
}
pub(crate) fn default_true() -> bool {
    true
}
