//! The catalogue of built-in WorkflowServices ops: what service actions may call.
//! Validation (`unknown service op`), the TUI's action templates and the docs
//! read this table; `services` implements every entry.

/// One service op and the arguments it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpSpec {
    pub name: &'static str,
    pub family: &'static str,
    pub summary: &'static str,
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
    /// Accepts further named arguments (e.g. attributes to set).
    pub open: bool,
}

const fn op(
    name: &'static str,
    family: &'static str,
    summary: &'static str,
    required: &'static [&'static str],
    optional: &'static [&'static str],
    open: bool,
) -> OpSpec {
    OpSpec {
        name,
        family,
        summary,
        required,
        optional,
        open,
    }
}

pub const OPS: &[OpSpec] = &[
    op(
        "createUser",
        "user",
        "Create a user in the identity store; returns the accountId.",
        &["accountId", "firstName", "lastName"],
        &[
            "email",
            "department",
            "title",
            "manager",
            "employeeType",
            "endDate",
        ],
        false,
    ),
    op(
        "updateUser",
        "user",
        "Set attributes of a user (named arguments other than accountId).",
        &["accountId"],
        &[],
        true,
    ),
    op(
        "getUser",
        "user",
        "Return a user as a map (without password data); null when absent.",
        &["accountId"],
        &[],
        false,
    ),
    op(
        "queryUsers",
        "user",
        "Return the accountIds of users whose attribute equals value.",
        &["attribute", "value"],
        &[],
        false,
    ),
    op(
        "disableUser",
        "user",
        "Disable a user and all their accounts.",
        &["accountId"],
        &[],
        false,
    ),
    op(
        "enableUser",
        "user",
        "Enable a user and all their accounts.",
        &["accountId"],
        &[],
        false,
    ),
    op(
        "deleteUser",
        "user",
        "Delete a user from the identity store.",
        &["accountId"],
        &[],
        false,
    ),
    op(
        "setProperty",
        "user",
        "Set one extra attribute of a user.",
        &["accountId", "name", "value"],
        &[],
        false,
    ),
    op(
        "removeProperty",
        "user",
        "Remove one extra attribute of a user.",
        &["accountId", "name"],
        &[],
        false,
    ),
    op(
        "transferOwnership",
        "user",
        "Move what `from` owns (roles they own, their direct reports) to `to`; returns the list of what moved.",
        &["from", "to"],
        &[],
        false,
    ),
    op(
        "assignRole",
        "role",
        "Assign a role to a user.",
        &["accountId", "role"],
        &[],
        false,
    ),
    op(
        "revokeRole",
        "role",
        "Revoke a role (or, with role absent, every role) from a user.",
        &["accountId"],
        &["role"],
        false,
    ),
    op(
        "provision",
        "role",
        "Create the user's accounts on a resource, or on every resource of their roles.",
        &["accountId"],
        &["resource"],
        false,
    ),
    op(
        "deprovision",
        "role",
        "Remove the user's account on a resource, or all accounts.",
        &["accountId"],
        &["resource"],
        false,
    ),
    op(
        "checkSoD",
        "role",
        "Check roles (the user's current ones plus `roles`) against every Policy; returns the list of violations, or null when none.",
        &[],
        &["accountId", "roles"],
        false,
    ),
    op(
        "changePassword",
        "password",
        "Store a salted hash of a new password (never the clear text).",
        &["accountId", "password"],
        &[],
        false,
    ),
    op(
        "notify",
        "notify",
        "Render an EmailTemplate into Outbox/ as an RFC 5322 message; returns its Message-ID.",
        &["template"],
        &["to", "cc", "variables"],
        true,
    ),
    op(
        "audit",
        "audit",
        "Append an audit event to audit.jsonl.",
        &["event"],
        &["subject", "detail"],
        true,
    ),
    op(
        "lockObject",
        "lock",
        "Take an object lock (e.g. \"User:jsmith\") for this case.",
        &["object"],
        &["minutes"],
        false,
    ),
    op(
        "unlockObject",
        "lock",
        "Release an object lock held by this case.",
        &["object"],
        &[],
        false,
    ),
    op(
        "checkoutView",
        "lock",
        "Return a user as an editable view and lock it for 5 minutes.",
        &["accountId"],
        &[],
        false,
    ),
    op(
        "checkinView",
        "lock",
        "Write a checked-out view back and release its lock.",
        &["view"],
        &[],
        false,
    ),
    op(
        "addResult",
        "result",
        "Add a named item to the task result.",
        &["name", "value"],
        &[],
        false,
    ),
    op(
        "addResultError",
        "result",
        "Add an error message to the task result.",
        &["message"],
        &[],
        false,
    ),
    op(
        "addResultMessage",
        "result",
        "Add an informational message to the task result.",
        &["message"],
        &[],
        false,
    ),
    op(
        "setResult",
        "result",
        "Set (replace) a named item of the task result.",
        &["name", "value"],
        &[],
        false,
    ),
    op(
        "setResultLimit",
        "result",
        "Set how many seconds the finished instance is kept.",
        &["seconds"],
        &[],
        false,
    ),
    op(
        "renameTask",
        "result",
        "Rename the running TaskInstance.",
        &["name"],
        &[],
        false,
    ),
];

/// The service op behind one of Waveset's built-in task-result subprocesses
/// ("Workflow Task" activities, Sun IdM 8.1 Deployment Reference, table 1-10).
pub fn builtin_task_op(process: &str) -> Option<&'static str> {
    Some(match process {
        "Rename Task" => "renameTask",
        "Add Result" => "addResult",
        "Add Result Error" => "addResultError",
        "Add Result Message" => "addResultMessage",
        "Set Result" => "setResult",
        "Set Result Limit" => "setResultLimit",
        _ => return None,
    })
}

/// The spec of `name`, if it is a known op.
pub fn find(name: &str) -> Option<&'static OpSpec> {
    OPS.iter().find(|o| o.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_findable() {
        for (i, a) in OPS.iter().enumerate() {
            assert_eq!(find(a.name), Some(a));
            assert!(
                OPS[i + 1..].iter().all(|b| b.name != a.name),
                "duplicate {}",
                a.name
            );
        }
        assert!(find("frobnicate").is_none());
    }
}
