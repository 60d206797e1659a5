use serde::{Deserialize, Serialize};

use super::{ExprText, default_true, is_false, is_zero_i64};

/// One workflow: metadata plus its process. Stored as `TaskDefinition/<slug>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinition {
    pub format_version: u32,
    /// Generated, stable identifier (e.g. `td-6f1c2a9b04d3e8f1`). Unique per repository.
    pub id: String,
    /// Human name, unique among TaskDefinitions.
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default = "default_task_type")]
    pub task_type: String,
    #[serde(default = "default_executor")]
    pub executor: String,
    #[serde(default)]
    pub exec_mode: ExecMode,
    #[serde(default = "default_true")]
    pub suspendable: bool,
    #[serde(default = "default_true")]
    pub sync_control_allowed: bool,
    /// Seconds; 0 = no limit.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub execution_limit: i64,
    /// Seconds a finished TaskInstance is kept: 0 = delete on completion, negative = forever.
    #[serde(default)]
    pub result_limit: i64,
    /// Milliseconds between progress writes of a running case.
    #[serde(default = "default_progress_interval")]
    pub progress_interval: i64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub result_trace: bool,
    pub process: Process,
}

pub const DEFAULT_PROGRESS_INTERVAL_MS: i64 = 5000;
/// What `maxSteps: 0` means.
pub const DEFAULT_MAX_STEPS: i64 = 5000;

fn default_task_type() -> String {
    "Workflow".to_string()
}
fn default_executor() -> String {
    "bpe.workflow".to_string()
}
fn default_progress_interval() -> i64 {
    DEFAULT_PROGRESS_INTERVAL_MS
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecMode {
    #[default]
    Sync,
    Async,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Process {
    /// Maximum activity transitions per case; 0 = the global default (5000).
    #[serde(default)]
    pub max_steps: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    /// Case-level variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<Variable>,
    pub activities: Vec<Activity>,
}

impl Process {
    pub fn activity(&self, name: &str) -> Option<&Activity> {
        self.activities.iter().find(|a| a.name == name)
    }
    pub fn activity_by_id(&self, id: &str) -> Option<&Activity> {
        self.activities.iter().find(|a| a.id == id)
    }
    pub fn effective_max_steps(&self) -> i64 {
        if self.max_steps == 0 {
            DEFAULT_MAX_STEPS
        } else {
            self.max_steps
        }
    }
}

/// A variable declaration (case, activity or action scope).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Variable {
    pub name: String,
    /// Initial value as an expression; absent = null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<ExprText>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub input: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub output: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub external: bool,
    /// Kept in memory only (Waveset's transient values): never written to a
    /// TaskInstance, WorkItem or trace; a resumed case sees it as null.
    #[serde(default, skip_serializing_if = "is_false")]
    pub transient: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
}

/// Editor layout hint: column and row in the diagram grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Position {
    pub x: i32,
    pub y: i32,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// Stable id, unique within the process. Instances stand on ids.
    pub id: String,
    /// Unique within the process; transitions name their target by it.
    pub name: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub and_split: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub and_join: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<Variable>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<Transition>,
}

impl Activity {
    pub fn is_start(&self) -> bool {
        self.name == "start"
    }
    pub fn is_end(&self) -> bool {
        self.name == "end"
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    /// Target activity name.
    pub to: String,
    /// No condition = always matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<ExprText>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
}

/// A named argument passed to a service op or subprocess. `value` is an expression.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Argument {
    pub name: String,
    pub value: ExprText,
}

/// `Return from='x' to='y'`: copy action-local (or subprocess output) `from` into `to`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Return {
    pub from: String,
    pub to: String,
}

/// Serialised with `kind` and the kind's fields flattened into the action.
/// Deserialised through the flat [`ActionRepr`] rather than `serde(flatten)`,
/// which would buffer every action and lose error positions (this is most of
/// the cost of loading a large repository).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "ActionRepr")]
pub struct Action {
    /// Optional display name; actions are addressed by index within their activity.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// False = skipped, `WF_ACTION_SUPPRESSED` set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<ExprText>,
    /// Action-local variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<Variable>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returns: Vec<Return>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    #[serde(flatten)]
    pub kind: ActionKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ActionKind {
    /// Run an expression for its effects; its value lands in `WF_ACTION_RESULT`.
    #[serde(rename_all = "camelCase")]
    Expression { expression: ExprText },
    /// A built-in service op with named arguments.
    #[serde(rename_all = "camelCase")]
    Service {
        op: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        arguments: Vec<Argument>,
    },
    /// Call another TaskDefinition by name; arguments in, `returns` out.
    #[serde(rename_all = "camelCase")]
    Subprocess {
        process: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        arguments: Vec<Argument>,
    },
    /// Create work items (one per owner) and suspend the case.
    #[serde(rename_all = "camelCase")]
    Manual(ManualAction),
    /// Run an external program (argv, no shell). Off unless repository and runner allow it.
    #[serde(rename_all = "camelCase")]
    Command(CommandAction),
    /// An action imported from Waveset that bpe cannot run (a custom Java
    /// `application=`, an element bpe does not execute such as `<Script>`): kept
    /// verbatim so that export writes it back unchanged; `bpe validate` flags it
    /// (`unsupported-action`) and running it fails the action with `reason`.
    #[serde(rename_all = "camelCase")]
    Unsupported {
        /// Why bpe cannot run it, e.g. "<Script> is not executed by bpe".
        reason: String,
        /// The whole `<Action>`/`<ManualAction>` element as it was imported.
        xml: String,
    },
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualAction {
    /// Owner expressions; each may yield a name or a list of names. One work item per owner.
    #[serde(default)]
    pub owners: Vec<ExprText>,
    /// Request text shown to the owner (expression).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<ExprText>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Minutes; 0 = no timeout.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub timeout: i64,
    #[serde(default, skip_serializing_if = "WorkItemType::is_default")]
    pub item_type: WorkItemType,
    /// Variables copied into the work item; empty = everything in scope.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed_variables: Vec<String>,
    /// Variables copied back on completion; empty = every exposed variable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub editable_variables: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WorkItemType {
    #[default]
    Approval,
    /// An information request ("arbitrary interaction").
    Interaction,
    Custom(String),
}

impl WorkItemType {
    pub fn is_default(&self) -> bool {
        *self == WorkItemType::Approval
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandAction {
    /// Program and arguments, each an expression. Never run through a shell.
    pub argv: Vec<ExprText>,
    /// Seconds before the program is killed.
    #[serde(default = "default_command_timeout")]
    pub timeout: i64,
    /// Bytes of stdout/stderr kept.
    #[serde(default = "default_output_cap")]
    pub output_cap: i64,
    /// Variable receiving the exit code (default `WF_ACTION_RESULT` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code_to: Option<String>,
    /// Variable receiving stdout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_to: Option<String>,
}

fn default_command_timeout() -> i64 {
    30
}
fn default_output_cap() -> i64 {
    65536
}

impl Default for ActionKind {
    fn default() -> Self {
        ActionKind::Expression {
            expression: "null".to_string(),
        }
    }
}

impl ActionKind {
    /// Short label used in listings and diagrams: `expression`, `service`, ...
    pub fn label(&self) -> &'static str {
        match self {
            ActionKind::Expression { .. } => "expression",
            ActionKind::Service { .. } => "service",
            ActionKind::Subprocess { .. } => "subprocess",
            ActionKind::Manual(_) => "manual",
            ActionKind::Command(_) => "command",
            ActionKind::Unsupported { .. } => "unsupported",
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum ActionTag {
    Expression,
    Service,
    Subprocess,
    Manual,
    Command,
    Unsupported,
}

/// Every field any action kind may have, read in one pass without buffering.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionRepr {
    #[serde(default)]
    name: String,
    #[serde(default)]
    condition: Option<ExprText>,
    #[serde(default)]
    variables: Vec<Variable>,
    #[serde(default)]
    returns: Vec<Return>,
    #[serde(default)]
    comment: String,
    kind: ActionTag,
    #[serde(default)]
    expression: Option<ExprText>,
    #[serde(default)]
    op: Option<String>,
    #[serde(default)]
    arguments: Vec<Argument>,
    #[serde(default)]
    process: Option<String>,
    #[serde(default)]
    owners: Vec<ExprText>,
    #[serde(default)]
    request: Option<ExprText>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    timeout: Option<i64>,
    #[serde(default)]
    item_type: WorkItemType,
    #[serde(default)]
    exposed_variables: Vec<String>,
    #[serde(default)]
    editable_variables: Vec<String>,
    #[serde(default)]
    argv: Option<Vec<ExprText>>,
    #[serde(default)]
    output_cap: Option<i64>,
    #[serde(default)]
    exit_code_to: Option<String>,
    #[serde(default)]
    output_to: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    xml: Option<String>,
}

impl TryFrom<ActionRepr> for Action {
    type Error = String;

    fn try_from(r: ActionRepr) -> Result<Self, Self::Error> {
        let missing = |field: &str| format!("missing field `{field}`");
        let kind = match r.kind {
            ActionTag::Expression => ActionKind::Expression {
                expression: r.expression.ok_or_else(|| missing("expression"))?,
            },
            ActionTag::Service => ActionKind::Service {
                op: r.op.ok_or_else(|| missing("op"))?,
                arguments: r.arguments,
            },
            ActionTag::Subprocess => ActionKind::Subprocess {
                process: r.process.ok_or_else(|| missing("process"))?,
                arguments: r.arguments,
            },
            ActionTag::Manual => ActionKind::Manual(ManualAction {
                owners: r.owners,
                request: r.request,
                description: r.description,
                timeout: r.timeout.unwrap_or(0),
                item_type: r.item_type,
                exposed_variables: r.exposed_variables,
                editable_variables: r.editable_variables,
            }),
            ActionTag::Command => ActionKind::Command(CommandAction {
                argv: r.argv.ok_or_else(|| missing("argv"))?,
                timeout: r.timeout.unwrap_or_else(default_command_timeout),
                output_cap: r.output_cap.unwrap_or_else(default_output_cap),
                exit_code_to: r.exit_code_to,
                output_to: r.output_to,
            }),
            ActionTag::Unsupported => ActionKind::Unsupported {
                reason: r.reason.unwrap_or_default(),
                xml: r.xml.ok_or_else(|| missing("xml"))?,
            },
        };
        Ok(Action {
            name: r.name,
            condition: r.condition,
            variables: r.variables,
            returns: r.returns,
            comment: r.comment,
            kind,
        })
    }
}

#[cfg(test)]
mod action_serde_tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        let json = serde_json::json!([
            {"name": "a", "condition": "(eq x 1)", "kind": "expression", "expression": "(set y 2)"},
            {"kind": "service", "op": "audit", "arguments": [{"name": "e", "value": "'x'"}]},
            {"kind": "subprocess", "process": "Sub", "returns": [{"from": "r", "to": "s"}]},
            {"kind": "manual", "owners": ["'bob'"], "timeout": 60, "itemType": "interaction",
             "editableVariables": ["ok"], "description": "Approve it"},
            {"kind": "command", "argv": ["'ls'"], "outputTo": "out"},
            {"kind": "command", "argv": ["'ls'"], "timeout": 5, "outputCap": 10}
        ]);
        let actions: Vec<Action> = serde_json::from_value(json.clone()).unwrap();
        let ActionKind::Command(c) = &actions[4].kind else {
            panic!("{:?}", actions[4]);
        };
        assert_eq!((c.timeout, c.output_cap), (30, 65536));
        let ActionKind::Manual(m) = &actions[3].kind else {
            panic!("{:?}", actions[3]);
        };
        assert_eq!((m.timeout, &m.item_type), (60, &WorkItemType::Interaction));
        let back = serde_json::to_value(&actions).unwrap();
        let again: Vec<Action> = serde_json::from_value(back).unwrap();
        assert_eq!(actions, again);
    }

    #[test]
    fn errors_name_the_problem_with_positions() {
        let e = serde_json::from_str::<Action>("{\"kind\": \"service\"}").unwrap_err();
        assert!(e.to_string().contains("missing field `op`"), "{e}");
        let e = serde_json::from_str::<Action>("{\"kind\": \"teleport\"}").unwrap_err();
        assert!(e.to_string().contains("unknown variant `teleport`"), "{e}");
        let e = serde_json::from_str::<Action>("{\n\"kind\": \"expression\",\n\"expression\": 5}")
            .unwrap_err();
        assert_eq!(e.line(), 3, "{e}");
    }
}
