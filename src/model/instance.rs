use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::expr::Value;

/// Which exact definition version an instance runs on: never by name alone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefinitionRef {
    pub id: String,
    pub name: String,
    /// `sha256:<hex>` of the definition's canonical JSON; the cache key under `.bpe/cache/`.
    pub hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceStatus {
    Running,
    Suspended,
    Completed,
    Terminated,
    Failed,
}

impl InstanceStatus {
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            InstanceStatus::Completed | InstanceStatus::Terminated | InstanceStatus::Failed
        )
    }
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceStatus::Running => "running",
            InstanceStatus::Suspended => "suspended",
            InstanceStatus::Completed => "completed",
            InstanceStatus::Terminated => "terminated",
            InstanceStatus::Failed => "failed",
        }
    }
}

/// One run of a TaskDefinition. Stored as `TaskInstance/<id>.json`.
///
/// The execution state (`state`) is owned by the engine; everything else is
/// for people and tools reading the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskInstance {
    pub format_version: u32,
    pub id: String,
    /// Display name (Rename Task changes it).
    pub name: String,
    pub definition: DefinitionRef,
    pub status: InstanceStatus,
    /// `WF_CASE_OWNER`: who launched it.
    pub owner: String,
    /// RFC 3339 timestamps.
    pub started: String,
    pub updated: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    /// Activity transitions taken so far (what maxSteps counts).
    #[serde(default)]
    pub steps: i64,
    /// Names of the activities where live tokens stand (for listings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub current_activities: Vec<String>,
    /// Case-level variables.
    #[serde(default)]
    pub variables: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_work_items: Vec<String>,
    /// Why the case terminated or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub result: TaskResult,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEvent>,
    /// History events no longer held (only the most recent are kept, see `docs/engine.md`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub history_dropped: u64,
    /// The activities entered, loops run-length encoded ([`super::CompactPath`]).
    /// Empty in instances written before it existed: the path is then read from `history`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<super::PathEntry>,
    /// Activities entered before the first entry of `path`, no longer held.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub path_dropped: u64,
    /// How many times each activity was entered (subprocess ones as `Sub/Activity`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub visits: BTreeMap<String, u64>,
    /// Engine-owned resumable state (tokens, call stack, scopes). Opaque to other modules.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub state: serde_json::Value,
}

/// The task result object (Add Result, Add Result Error, ...).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskResult {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub items: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
    /// Kept only when the definition has `resultTrace: true`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<String>,
    /// Seconds to keep the finished instance, overriding the definition (Set Result Limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_limit: Option<i64>,
}

/// One entry of an instance's history, timestamped (RFC 3339).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    pub at: String,
    #[serde(flatten)]
    pub event: HistoryKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum HistoryKind {
    #[serde(rename_all = "camelCase")]
    Started { definition: String },
    #[serde(rename_all = "camelCase")]
    ActivityEntered {
        activity: String,
        activity_id: String,
    },
    #[serde(rename_all = "camelCase")]
    ActionRun {
        activity: String,
        action: usize,
        kind: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        result: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(default, skip_serializing_if = "super::is_false")]
        suppressed: bool,
    },
    #[serde(rename_all = "camelCase")]
    TransitionTaken { from: String, to: String },
    #[serde(rename_all = "camelCase")]
    WorkItemCreated { work_item: String, owner: String },
    #[serde(rename_all = "camelCase")]
    WorkItemCompleted {
        work_item: String,
        owner: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decision: Option<String>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        comment: String,
        #[serde(default, skip_serializing_if = "super::is_false")]
        timed_out: bool,
    },
    #[serde(rename_all = "camelCase")]
    WorkItemForwarded {
        work_item: String,
        from: String,
        to: String,
        comment: String,
    },
    #[serde(rename_all = "camelCase")]
    SubprocessEntered { process: String },
    #[serde(rename_all = "camelCase")]
    SubprocessReturned { process: String },
    #[serde(rename_all = "camelCase")]
    Suspended {},
    #[serde(rename_all = "camelCase")]
    Resumed {},
    /// `bpe migrate` moved the case to another version (`engine::migrate`).
    #[serde(rename_all = "camelCase")]
    Migrated {
        /// Hashes of the old and the new version.
        from: String,
        to: String,
        /// The new version's definition name.
        definition: String,
        /// Case variables the new version no longer declares (their values were dropped).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        removed_variables: Vec<String>,
        /// Variables new in that version, set to their initial values.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        added_variables: Vec<String>,
    },
    #[serde(rename_all = "camelCase")]
    Finished {
        status: InstanceStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
