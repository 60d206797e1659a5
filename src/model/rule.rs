use serde::{Deserialize, Serialize};

use super::ExprText;

/// A named, reusable expression with named arguments. Stored as `Rule/<slug>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub format_version: u32,
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<RuleArgument>,
    /// Waveset `localScope='true'`: the body sees only the arguments passed
    /// and the declared defaults, never the caller's variables.
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub local_scope: bool,
    /// The rule body.
    pub body: ExprText,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleArgument {
    pub name: String,
    /// Default value expression when the caller passes none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<ExprText>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    /// Waveset `locked='true'`: the default always applies; a value the caller
    /// passes for this argument is ignored.
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub locked: bool,
}

/// A rule library: a Waveset `Configuration` object holding a `<Library>` of
/// rules, stored as `Configuration/<slug>.json`. Its rules are called as
/// `Library Name:Rule Name` (see [`RuleLibrary::qualified_rules`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleLibrary {
    pub format_version: u32,
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The library's rules; names are unique within the library.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

impl RuleLibrary {
    /// Each rule under the name callers use: `<library name>:<rule name>`.
    pub fn qualified_rules(&self) -> impl Iterator<Item = Rule> + '_ {
        self.rules.iter().map(|r| Rule {
            name: format!("{}:{}", self.name, r.name),
            ..r.clone()
        })
    }
}

/// Subject/body with `$(variable)` placeholders, rendered by the notify service.
/// Stored as `EmailTemplate/<slug>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailTemplate {
    pub format_version: u32,
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub from: String,
    /// Default recipients (placeholders allowed); the notify call may override.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub to: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cc: String,
    pub subject: String,
    pub body: String,
}
