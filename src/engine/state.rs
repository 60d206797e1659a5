//! The resumable execution state of a case, stored verbatim in `TaskInstance.state`.
//! Everything needed to continue in another process is here: the call stack of
//! frames, each with its process-level variables and tokens, each token with its
//! activity and action scopes and where it stands.

use serde::{Deserialize, Serialize};

use super::Vars;
use crate::model::DefinitionRef;

/// Bumped when the layout of [`EngineState`] changes incompatibly.
pub const STATE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineState {
    pub state_version: u32,
    /// The call stack: `frames[0]` is the case's own process, each further frame a
    /// subprocess called by a token of the frame below it.
    pub frames: Vec<Frame>,
    /// Next token id (ids are unique within the case).
    pub next_token: u64,
    /// Milliseconds spent running in earlier processes (for `executionLimit`).
    #[serde(default)]
    pub elapsed_ms: u64,
}

impl EngineState {
    /// No frame yet (a case being started, or one that finished).
    pub fn empty() -> EngineState {
        EngineState {
            state_version: STATE_VERSION,
            frames: Vec::new(),
            next_token: 0,
            elapsed_ms: 0,
        }
    }
}

/// One process execution on the call stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Frame {
    /// The exact definition version this frame runs.
    pub definition: DefinitionRef,
    /// Process-level ("case") variables of this frame.
    pub vars: Vars,
    /// Process-level names declared `external` in a subprocess: they live in the caller.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub externals: Vec<String>,
    pub tokens: Vec<Token>,
    /// Where the scheduler looks first for the next runnable token.
    #[serde(default)]
    pub cursor: usize,
    /// Activity transitions taken in this frame and its subprocesses.
    #[serde(default)]
    pub steps: i64,
    /// For a subprocess frame: the calling token (in the frame below) and action index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<CallSite>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallSite {
    pub token: u64,
    pub action: usize,
}

/// A thread of control standing on one activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    pub id: u64,
    /// Index of the activity in the frame's definition (stable: the version is pinned).
    pub activity: usize,
    /// The activity's name, for people reading the file.
    pub activity_name: String,
    pub phase: Phase,
    /// Activity-scoped variables.
    #[serde(default, skip_serializing_if = "Vars::is_empty")]
    pub vars: Vars,
    /// Variables of the action being run (kept while a manual action waits).
    #[serde(default, skip_serializing_if = "Vars::is_empty")]
    pub action_vars: Vars,
}

/// Where a token stands within its activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "camelCase")]
pub enum Phase {
    /// Arrived by a transition; the activity has not been entered yet
    /// (an `andJoin` activity waits in this phase).
    Arrived,
    /// About to run action `index`.
    #[serde(rename_all = "camelCase")]
    Action { index: usize },
    /// A manual action waits for its work items.
    #[serde(rename_all = "camelCase")]
    Waiting {
        index: usize,
        items: Vec<PendingItem>,
        /// RFC 3339 deadline of the items, if the action has a timeout.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_at: Option<String>,
    },
    /// A subprocess called by action `index` runs in the frame above.
    #[serde(rename_all = "camelCase")]
    Subprocess { index: usize },
    /// All actions done; transitions are evaluated next.
    Transitions,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingItem {
    pub id: String,
    pub owner: String,
}
