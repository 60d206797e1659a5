//! The templates palette for new actions: first the common steps of identity
//! workflows (welcome email, change password, approval, information request,
//! provision, command), then a manual action, a notification per email template, an expression and
//! every service op of the catalogue with its required arguments.
//!
//! Each template has a one-line description and a preview: the exact action it
//! inserts, as JSON (the repository format), shown beside the list before the
//! user accepts (`view_palette`). The preview is computed from the same
//! [`Template`] that insertion uses, so what is shown is what is inserted.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::theme::Theme;
use crate::model::{
    Action, ActionKind, Argument, CommandAction, ManualAction, Return, WorkItemType,
};
use crate::repo::Repository;
use crate::services::ops::OPS;

pub struct Template {
    pub label: String,
    /// One line: what the action does when the case runs it.
    pub description: String,
    pub action: Action,
}

impl Template {
    /// The action this template inserts, as it will be stored (pretty JSON).
    pub fn preview(&self) -> Vec<String> {
        serde_json::to_string_pretty(&self.action)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
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

fn service(name: &str, op: &str, args: &[(&str, &str)]) -> Action {
    action(
        name,
        ActionKind::Service {
            op: op.to_string(),
            arguments: args.iter().map(|(n, v)| arg(n, v)).collect(),
        },
    )
}

/// The common steps, first in the palette.
fn common(repo: &Repository) -> Vec<Template> {
    let template_named = |wanted: &str| {
        repo.email_templates
            .iter()
            .map(|t| t.value.name.clone())
            .find(|n| n.eq_ignore_ascii_case(wanted))
            .unwrap_or_else(|| wanted.to_string())
    };
    let welcome = crate::expr::quote_string(&template_named("Welcome"));
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
    let mut command = action(
        "Run Command",
        ActionKind::Command(CommandAction {
            argv: vec![
                "\"/usr/local/bin/sync-account\"".into(),
                "$accountId".into(),
            ],
            timeout: 30,
            output_cap: 65536,
            exit_code_to: Some("exitCode".into()),
            output_to: Some("output".into()),
        }),
    );
    command.comment = "Runs only when the repository and the runner allow commands.".into();
    vec![
        Template {
            label: "welcome email".into(),
            description: format!(
                "Notify the new user with the {welcome} email template (renders an RFC 5322 message into Outbox/)."
            ),
            action: service(
                "Send Welcome Email",
                "notify",
                &[("template", &welcome), ("to", "$email")],
            ),
        },
        Template {
            label: "change password".into(),
            description: "Store a salted hash of $password for $accountId (never the clear text).".into(),
            action: service(
                "Change Password",
                "changePassword",
                &[("accountId", "$accountId"), ("password", "$password")],
            ),
        },
        Template {
            label: "approval".into(),
            description: "Ask $manager to approve: calls the \"Approval\" subprocess, its decision comes back in $decision.".into(),
            action: approval,
        },
        Template {
            label: "information request".into(),
            description: "A work item for $manager asking for information; the case waits until it is completed.".into(),
            action: action(
                "Request Information",
                ActionKind::Manual(ManualAction {
                    owners: vec!["$manager".into()],
                    request: Some(
                        "(concat \"Please provide the missing details for \" $accountId)".into(),
                    ),
                    item_type: WorkItemType::Interaction,
                    editable_variables: vec!["details".into()],
                    ..Default::default()
                }),
            ),
        },
        Template {
            label: "provision".into(),
            description: "Create $accountId's accounts on every resource of their roles.".into(),
            action: service("Provision", "provision", &[("accountId", "$accountId")]),
        },
        Template {
            label: "command".into(),
            description: "Run an external program (argv, no shell) with a timeout; exit code and output into variables.".into(),
            action: command,
        },
    ]
}

/// Every template, in palette order.
pub fn templates(repo: &Repository) -> Vec<Template> {
    let mut out = common(repo);
    out.push(Template {
        label: "manual action: approval work item for $manager".into(),
        description: "A work item for $manager; the case waits for the decision.".into(),
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
            description: format!("Send the \"{t}\" email template to $email."),
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
        description: "Evaluate an expression for its effects; its value lands in WF_ACTION_RESULT."
            .into(),
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
            description: op.summary.to_string(),
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

/// The palette: the template list on the left, the selected one's description
/// and preview on the right.
pub fn view_palette(
    items: &[String],
    selected: usize,
    repo: &Repository,
    t: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let r = super::view::centered(
        area,
        area.width.saturating_sub(4).min(116),
        area.height.saturating_sub(2),
    );
    frame.render_widget(Clear, r);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(r);
    super::view::picker_list(
        frame,
        left,
        " New action from a template ",
        items,
        selected,
        t,
    );
    let chosen = templates(repo).into_iter().nth(selected);
    let mut lines = Vec::new();
    if let Some(tpl) = &chosen {
        lines.push(Line::raw(tpl.description.clone()));
        lines.push(Line::raw(""));
        lines.push(Line::styled("Inserts:", t.dim()));
        lines.extend(tpl.preview().into_iter().map(Line::raw));
    }
    let preview = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
        Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(" Preview ", t.title())),
    );
    frame.render_widget(preview, right);
}
