use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{DefinitionRef, WorkItemType, is_false};
use crate::expr::Value;

/// A pending human step created by a manual action. Stored as `WorkItem/<id>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkItem {
    pub format_version: u32,
    pub id: String,
    /// The TaskInstance that waits on it.
    pub instance: String,
    pub definition: DefinitionRef,
    /// Activity name and id, and action index, of the manual action.
    pub activity: String,
    pub activity_id: String,
    pub action: usize,
    pub owner: String,
    #[serde(default, skip_serializing_if = "WorkItemType::is_default")]
    pub item_type: WorkItemType,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub request: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// RFC 3339.
    pub created: String,
    /// RFC 3339 deadline (created + timeout minutes); none = no timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_at: Option<String>,
    /// Copy of the exposed variables at creation; edited values on completion.
    #[serde(default)]
    pub variables: BTreeMap<String, Value>,
    /// Names copied back into the case on completion.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub editable_variables: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub complete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forwarded: Vec<Forward>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forward {
    pub at: String,
    pub from: String,
    pub to: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
}
