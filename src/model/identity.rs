use serde::{Deserialize, Serialize};

use super::is_false;

/// An identity in the store. Stored as `User/<accountId>.json`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub format_version: u32,
    /// The account id; also the file name.
    pub account_id: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub department: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Account id of the manager.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manager: String,
    /// `employee` or `contractor`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub employee_type: String,
    /// Contract end date (YYYY-MM-DD) for contractors.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub end_date: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<Account>,
    /// Salted hash (`pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>`); never the clear text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password_hash: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password_changed: String,
    /// Extra attributes (set / remove properties).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// An account on a resource (provisioned by a role or directly).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub resource: String,
    pub account_id: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub disabled: bool,
}

/// A role. Stored as `Role/<slug>.json`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    pub format_version: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Department whose members get it at onboarding (birthright); empty = requestable only.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub birthright_for: String,
    /// Account id of the role owner (approves access requests).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
    /// Resources on which an account is provisioned with this role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
}

/// A segregation-of-duties policy. Stored as `Policy/<slug>.json`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub format_version: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Each rule names roles that one user may not hold together.
    pub conflicts: Vec<SodConflict>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SodConflict {
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}
