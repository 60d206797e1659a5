//! Built-in service ops (see [`ops::OPS`]) behind the [`Services`] trait: the
//! repository-backed identity store implementation and a recording dry-run one.

mod args;
mod command;
mod locks;
mod notify;
pub mod ops;
mod password;
pub mod read_cache;
mod repo_services;
mod store;
mod write_lock;

/// The argv runner with timeout and output cap, for core callers that run a fixed program (`diff::source`'s git).
pub(crate) use command::run as run_program;
pub use command::{COMMAND_PATH, CommandPolicyError, command_allowed, resolve_program};
pub use locks::{ObjectLock, ObjectLockInfo, object_locks, release_instance_locks};
pub use notify::{placeholders, render_template, validate_address};
pub use password::{PASSWORD_ITERATIONS, hash_password, verify_password};
pub use read_cache::ReadCache;
pub use repo_services::{RepoServices, ServiceOptions};

use std::collections::BTreeMap;
use std::time::Duration;

use crate::expr::Value;
use crate::model::TaskResult;

/// What a service call may see and change of the calling case.
pub struct CallContext<'a> {
    pub instance_id: &'a str,
    /// The TaskInstance's display name (Rename Task changes it).
    pub instance_name: &'a mut String,
    /// `WF_CASE_OWNER`.
    pub case_owner: &'a str,
    /// Variables in scope, for template placeholders.
    pub variables: &'a BTreeMap<String, Value>,
    /// The task result (Add Result, ...).
    pub result: &'a mut TaskResult,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// A failed service call; the engine turns it into `WF_ACTION_ERROR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub message: String,
}

impl ServiceError {
    pub fn new(message: impl Into<String>) -> Self {
        ServiceError {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ServiceError {}

/// One side effect, applied or (dry run) only recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Effect {
    pub op: String,
    pub summary: String,
    pub applied: bool,
}

/// What an external command produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub exit_code: i64,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    pub truncated: bool,
}

/// The services a running case calls.
pub trait Services {
    /// Run one op with its evaluated named arguments.
    /// Unknown ops fail with "Unknown WorkflowServices op: <op>".
    fn call(
        &mut self,
        op: &str,
        args: &BTreeMap<String, Value>,
        cx: &mut CallContext<'_>,
    ) -> Result<Value, ServiceError>;

    /// Run an external program (argv, never a shell) if the policy allows it.
    fn run_command(
        &mut self,
        argv: &[String],
        timeout: Duration,
        output_cap: usize,
    ) -> Result<CommandOutput, ServiceError>;

    /// Every effect so far, in order.
    fn effects(&self) -> &[Effect];
}
