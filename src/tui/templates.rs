//! The templates palette (editor `A`): first the common steps of identity
//! workflows as actions (welcome email, change password, approval, information
//! request, provision, command), then the same steps as whole activities
//! ([`ActivityTemplate`]: the activity with its action and its exits, spliced
//! in after the selected activity), then a manual action, a notification per
//! email template, an expression and every service op of the catalogue with
//! its required arguments.
//!
//! Each entry has a one-line description and a preview: the exact action or
//! activity it inserts, as JSON (the repository format), shown beside the list
//! before the user accepts (`view_palette`). The preview is computed by
//! [`palette_edit`], the function insertion uses, so what is shown is what is
//! inserted.
//!
//! Inserting an activity template after activity A is one undoable edit
//! (`Edit::Batch`): the new activity (a name and id not yet taken) gets the
//! template's exits (e.g. an approval not approved → `end`, when the workflow
//! has an `end`) followed by A's former transitions, and A then goes to the new
//! activity only. So the flow keeps its way out and passes through the new step.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::theme::Theme;
use crate::edit::{Edit, ElementRef};
use crate::model::{
    Action, ActionKind, Activity, Argument, CommandAction, ManualAction, Return, TaskDefinition,
    Transition, WorkItemType,
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
        pretty(&self.action)
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

/// A whole activity to insert: its action(s) and the exits it adds.
pub struct ActivityTemplate {
    pub label: String,
    pub description: String,
    /// The activity as the template defines it (name made unique on insertion;
    /// its transitions are the exits, before the selected activity's former ones).
    pub activity: Activity,
}

/// An exit to `end` taken when `condition` holds.
fn exit_to_end(condition: &str, comment: &str) -> Transition {
    Transition {
        to: "end".into(),
        condition: Some(condition.into()),
        comment: comment.into(),
    }
}

/// The common steps as whole activities, each built around the action
/// template of the same name.
pub fn activity_templates(repo: &Repository) -> Vec<ActivityTemplate> {
    let mut actions: Vec<Template> = common(repo);
    let mut take = |label: &str| {
        let i = actions.iter().position(|t| t.label == label);
        i.map(|i| actions.remove(i))
    };
    let specs: [(&str, &str, &str, Vec<Transition>); 6] = [
        (
            "approval",
            "Approval",
            "An activity asking $manager to approve (the \"Approval\" subprocess); anything but \"approve\" in $decision ends the case.",
            vec![exit_to_end(
                "(neq $decision \"approve\")",
                "not approved: stop here",
            )],
        ),
        (
            "information request",
            "Request Information",
            "An activity that waits for $manager to fill in $details (an interaction work item), then goes on.",
            Vec::new(),
        ),
        (
            "provision",
            "Provision",
            "An activity that creates $accountId's accounts on the resources of their roles, then goes on.",
            Vec::new(),
        ),
        (
            "welcome email",
            "Send Welcome Email",
            "An activity that sends the welcome email template to $email, then goes on.",
            Vec::new(),
        ),
        (
            "change password",
            "Change Password",
            "An activity that stores a salted hash of $password for $accountId, then goes on.",
            Vec::new(),
        ),
        (
            "command",
            "Run Command",
            "An activity that runs an external program; a non-zero $exitCode ends the case.",
            vec![exit_to_end(
                "(neq $exitCode 0)",
                "the command failed: stop here",
            )],
        ),
    ];
    specs
        .into_iter()
        .filter_map(|(label, name, description, exits)| {
            let t = take(label)?;
            Some(ActivityTemplate {
                label: format!("activity: {label}"),
                description: description.to_string(),
                activity: Activity {
                    id: String::new(),
                    name: name.to_string(),
                    actions: vec![t.action],
                    transitions: exits,
                    ..Default::default()
                },
            })
        })
        .collect()
}

/// One entry of the palette.
pub enum Entry {
    Action(Template),
    Activity(ActivityTemplate),
}

impl Entry {
    pub fn label(&self) -> &str {
        match self {
            Entry::Action(t) => &t.label,
            Entry::Activity(t) => &t.label,
        }
    }
    pub fn description(&self) -> &str {
        match self {
            Entry::Action(t) => &t.description,
            Entry::Activity(t) => &t.description,
        }
    }
}

/// The palette: the common action templates, the activity templates, then the rest.
pub fn palette(repo: &Repository) -> Vec<Entry> {
    let mut actions = templates(repo).into_iter();
    let mut out: Vec<Entry> = actions.by_ref().take(6).map(Entry::Action).collect();
    out.extend(activity_templates(repo).into_iter().map(Entry::Activity));
    out.extend(actions.map(Entry::Action));
    out
}

/// The palette's labels, in order.
pub fn palette_labels(repo: &Repository) -> Vec<String> {
    palette(repo)
        .iter()
        .map(|e| e.label().to_string())
        .collect()
}

/// `base`, or `base 2`, `base 3`… the first that `taken` refuses not.
fn unique(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base} {n}"))
        .find(|c| !taken(c))
        .unwrap_or_else(|| base.to_string())
}

/// The edit that inserts palette entry `selected` into `def`, with activity
/// `activity` selected (and `selection` the editor's selection): an action
/// after the selected action (or last in the activity); an activity spliced in
/// after `activity`. `Err` says why nothing can be inserted.
pub fn palette_edit(
    repo: &Repository,
    def: &TaskDefinition,
    activity: usize,
    selection: ElementRef,
    selected: usize,
) -> Result<Edit, String> {
    let entry = palette(repo)
        .into_iter()
        .nth(selected)
        .ok_or("no such template")?;
    let act = def
        .process
        .activities
        .get(activity)
        .ok_or("the activity no longer exists")?;
    match entry {
        Entry::Action(t) => {
            let at = match selection {
                ElementRef::Action(a, i) if a == activity => i + 1,
                _ => act.actions.len(),
            };
            Ok(Edit::AddAction {
                activity,
                at,
                action: t.action,
            })
        }
        Entry::Activity(t) => {
            if act.is_end() {
                return Err(
                    "nothing follows end: select the activity the new one should follow".into(),
                );
            }
            let acts = &def.process.activities;
            let mut new = t.activity;
            new.name = unique(&new.name, |n| acts.iter().any(|a| a.name == n));
            let slug: String = new
                .name
                .to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            new.id = unique(&format!("act-{slug}"), |id| acts.iter().any(|a| a.id == id));
            let has_end = acts.iter().any(|a| a.is_end());
            new.transitions.retain(|x| x.to != "end" || has_end);
            new.transitions.extend(act.transitions.iter().cloned());
            let mut edits = vec![Edit::AddActivity {
                at: activity + 1,
                activity: new.clone(),
            }];
            edits.extend(
                (0..act.transitions.len())
                    .rev()
                    .map(|i| Edit::Delete(ElementRef::Transition(activity, i))),
            );
            edits.push(Edit::AddTransition {
                activity,
                at: 0,
                transition: Transition {
                    to: new.name.clone(),
                    ..Default::default()
                },
            });
            Ok(Edit::Batch(edits))
        }
    }
}

/// What the palette previews for an edit: the action or activity it inserts,
/// as stored (pretty JSON), and for an activity where the flow now goes.
pub fn edit_preview(edit: &Edit, def: &TaskDefinition) -> Vec<String> {
    match edit {
        Edit::AddAction { action, .. } => pretty(action),
        Edit::Batch(edits) => {
            let mut out = Vec::new();
            if let Some(Edit::AddActivity { at, activity }) = edits.first() {
                if let Some(before) = at
                    .checked_sub(1)
                    .and_then(|a| def.process.activities.get(a))
                {
                    out.push(format!(
                        "after {:?}, which then goes to {:?} only:",
                        before.name, activity.name
                    ));
                }
                out.extend(pretty(activity));
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Pretty JSON (the repository format) of what is stored, line by line.
fn pretty<T: serde::Serialize>(value: &T) -> Vec<String> {
    serde_json::to_string_pretty(value)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Every action template, in palette order (the activity templates come from
/// [`activity_templates`]; [`palette`] puts them together).
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
/// and what it would insert into `target` (the open workflow and the activity
/// it goes into) on the right.
pub fn view_palette(
    items: &[String],
    selected: usize,
    repo: &Repository,
    target: Option<(&TaskDefinition, usize, ElementRef)>,
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
        " New action or activity from a template ",
        items,
        selected,
        t,
    );
    let mut lines = Vec::new();
    if let Some(entry) = palette(repo).into_iter().nth(selected) {
        lines.push(Line::raw(entry.description().to_string()));
        lines.push(Line::raw(""));
        lines.push(Line::styled("Inserts:", t.dim()));
        match target.map(|(def, a, sel)| (def, palette_edit(repo, def, a, sel, selected))) {
            Some((def, Ok(edit))) => {
                lines.extend(edit_preview(&edit, def).into_iter().map(Line::raw));
            }
            Some((_, Err(why))) => lines.push(Line::styled(format!("✗ {why}"), t.error())),
            None => {}
        }
    }
    let preview = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
        Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(" Preview ", t.title())),
    );
    frame.render_widget(preview, right);
}
