use serde::{Deserialize, Serialize};

use super::is_false;

/// `repository.json` at the repository root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryConfig {
    pub format_version: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub settings: RepositorySettings,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositorySettings {
    #[serde(default)]
    pub commands: CommandPolicy,
    /// From address used by notify when a template has none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mail_from: String,
    /// Mail domain used to derive addresses.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mail_domain: String,
    /// Seconds after which a lock without heartbeat is stale (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_stale_after: Option<i64>,
}

/// Commands run only when the repository enables them here AND the runner allows
/// them (`--allow-commands` / the TUI option).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandPolicy {
    #[serde(default, skip_serializing_if = "is_false")]
    pub enabled: bool,
    /// Program names (argv[0]) that may run; empty = none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
}
