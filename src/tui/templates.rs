//! Templates for new actions: an expression, every service op of the catalogue
//! with its required arguments, an approval through the "Approval" subprocess, a
//! notification per email template, and a manual action.

use crate::model::{Action, ActionKind, Argument, ManualAction, Return};
use crate::repo::Repository;
use crate::services::ops::OPS;

pub struct Template {
    pub label: String,
    pub action: Action,
}

fn action(name: &str, kind: ActionKind) -> Action {
    Action {
        name: name.to_string(),
        condition: None,
        variables: Vec::new(),
        returns: Vec::new(),
        comment: String::new(),
        kind,
    }
}

fn arg(name: &str, value: &str) -> Argument {
    Argument {
        name: name.to_string(),
        value: value.to_string(),
    }
}

/// Every template, in picker order.
pub fn templates(repo: &Repository) -> Vec<Template> {
    let mut out = Vec::new();
    out.push(Template {
        label: "manual action: approval work item for $manager".into(),
        action: action(
            "Approve",
            ActionKind::Manual(ManualAction {
                owners: vec!["$manager".into()],
                request: Some("(concat \"Please review the request for \" $accountId)".into()),
                timeout: 0,
                ..Default::default()
            }),
        ),
    });
    let mut approval = action(
        "Approval",
        ActionKind::Subprocess {
            process: "Approval".into(),
            arguments: vec![arg("approver", "$manager"), arg("request", "$request")],
        },
    );
    approval.returns = vec![Return {
        from: "decision".into(),
        to: "decision".into(),
    }];
    out.push(Template {
        label: "approval: call the \"Approval\" subprocess".into(),
        action: approval,
    });
    let mut templates: Vec<&str> = repo
        .email_templates
        .iter()
        .map(|t| t.value.name.as_str())
        .collect();
    templates.sort_unstable();
    if templates.is_empty() {
        templates.push("Welcome");
    }
    for t in templates {
        out.push(Template {
            label: format!("notify with template \"{t}\""),
            action: action(
                "Notify",
                ActionKind::Service {
                    op: "notify".into(),
                    arguments: vec![
                        arg("template", &crate::expr::quote_string(t)),
                        arg("to", "$email"),
                    ],
                },
            ),
        });
    }
    out.push(Template {
        label: "expression: (set name=\"x\" …)".into(),
        action: action(
            "",
            ActionKind::Expression {
                expression: "(set name=\"result\" null)".into(),
            },
        ),
    });
    for op in OPS {
        let arguments = op
            .required
            .iter()
            .map(|name| arg(name, &format!("${name}")))
            .collect();
        out.push(Template {
            label: format!("service {}: {}", op.name, op.summary),
            action: action(
                "",
                ActionKind::Service {
                    op: op.name.to_string(),
                    arguments,
                },
            ),
        });
    }
    out
}
