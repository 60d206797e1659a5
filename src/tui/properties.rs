//! The properties of each kind of element: what the properties pane lists and
//! what `edit::set_field` accepts (by the same typed keys, `edit::FieldKey`).

use crate::model::{ActionKind, ExecMode, TaskDefinition, WorkItemType};

use super::lint::{Finding, Level};
use crate::edit::{ElementRef, FieldKey, Prop, VarScope, vars};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// Shown, not editable (ids, the action kind).
    ReadOnly,
    Text,
    Int,
    Bool,
    /// One of a fixed set; Enter cycles.
    Choice(Vec<String>),
    /// An expression (edited multi-line, checked as typed); `optional` = may be empty.
    Expr {
        optional: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Key for `set_field` (e.g. `Prop(Condition)`, `Arg("accountId")`).
    pub key: FieldKey,
    pub label: String,
    pub value: String,
    pub kind: FieldKind,
    /// Unit or hint shown after the value ("seconds").
    pub hint: &'static str,
}

/// A row of the properties pane: a field, or a link to a child element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Heading(String),
    Field(Field),
    Link {
        target: ElementRef,
        text: String,
    },
    /// A validation finding about the element (not selectable).
    Finding {
        level: Level,
        text: String,
    },
}

/// The element's validation findings as rows, under a heading (none when clean).
pub fn finding_rows(findings: &[&Finding]) -> Vec<Row> {
    if findings.is_empty() {
        return Vec::new();
    }
    let mut rows = vec![Row::Heading(format!("Findings ({})", findings.len()))];
    for f in findings {
        rows.push(Row::Finding {
            level: f.level,
            text: format!(
                "{} {} {} {}",
                f.level.mark(),
                f.level.word(),
                f.id,
                f.message
            ),
        });
    }
    rows
}

fn f(key: Prop, value: impl Into<String>, kind: FieldKind) -> Row {
    Row::Field(Field {
        key: key.into(),
        label: key.as_str().to_string(),
        value: value.into(),
        kind,
        hint: "",
    })
}

fn fh(key: Prop, value: impl Into<String>, kind: FieldKind, hint: &'static str) -> Row {
    Row::Field(Field {
        key: key.into(),
        label: key.as_str().to_string(),
        value: value.into(),
        kind,
        hint,
    })
}

fn b(v: bool) -> String {
    v.to_string()
}

/// The element's kind, for the pane's title.
pub fn kind_name(target: ElementRef) -> &'static str {
    match target {
        ElementRef::Definition => "Workflow",
        ElementRef::Activity(_) => "Activity",
        ElementRef::Action(..) => "Action",
        ElementRef::Transition(..) => "Transition",
        ElementRef::Variable(..) => "Variable",
    }
}

/// A one-line summary of an expression for lists.
pub fn short(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut s: String = one_line.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

fn var_rows(rows: &mut Vec<Row>, def: &TaskDefinition, scope: VarScope) {
    let Some(list) = vars(def, scope) else {
        return;
    };
    rows.push(Row::Heading(format!("Variables ({})", list.len())));
    for (i, v) in list.iter().enumerate() {
        let mut flags = Vec::new();
        if v.input {
            flags.push("in");
        }
        if v.output {
            flags.push("out");
        }
        if v.external {
            flags.push("ext");
        }
        let value = v
            .value
            .as_deref()
            .map(|x| format!(" = {}", short(x, 24)))
            .unwrap_or_default();
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", flags.join(","))
        };
        rows.push(Row::Link {
            target: ElementRef::Variable(scope, i),
            text: format!("{}{}{}", v.name, flags, value),
        });
    }
}

/// Every row of the pane for `target`.
pub fn rows(def: &TaskDefinition, target: ElementRef) -> Vec<Row> {
    use FieldKind::*;
    let mut rows = Vec::new();
    let acts = &def.process.activities;
    match target {
        ElementRef::Definition => {
            rows.push(f(Prop::Name, &def.name, Text));
            rows.push(f(Prop::Id, &def.id, ReadOnly));
            rows.push(f(Prop::Description, &def.description, Text));
            rows.push(f(Prop::TaskType, &def.task_type, ReadOnly));
            rows.push(f(Prop::Executor, &def.executor, Text));
            let mode = match def.exec_mode {
                ExecMode::Sync => "sync",
                ExecMode::Async => "async",
            };
            rows.push(f(
                Prop::ExecMode,
                mode,
                Choice(vec!["sync".into(), "async".into()]),
            ));
            rows.push(f(Prop::Suspendable, b(def.suspendable), Bool));
            rows.push(f(
                Prop::SyncControlAllowed,
                b(def.sync_control_allowed),
                Bool,
            ));
            rows.push(fh(
                Prop::ExecutionLimit,
                def.execution_limit.to_string(),
                Int,
                "seconds, 0 = none",
            ));
            rows.push(fh(
                Prop::ResultLimit,
                def.result_limit.to_string(),
                Int,
                "seconds, <0 = forever",
            ));
            rows.push(fh(
                Prop::ProgressInterval,
                def.progress_interval.to_string(),
                Int,
                "ms",
            ));
            rows.push(f(Prop::ResultTrace, b(def.result_trace), Bool));
            rows.push(fh(
                Prop::MaxSteps,
                def.process.max_steps.to_string(),
                Int,
                "0 = 5000",
            ));
            rows.push(f(Prop::Comment, &def.process.comment, Text));
            var_rows(&mut rows, def, VarScope::Process);
            rows.push(Row::Heading(format!("Activities ({})", acts.len())));
            for (i, a) in acts.iter().enumerate() {
                rows.push(Row::Link {
                    target: ElementRef::Activity(i),
                    text: a.name.clone(),
                });
            }
        }
        ElementRef::Activity(a) => {
            let Some(act) = acts.get(a) else { return rows };
            rows.push(f(Prop::Name, &act.name, Text));
            rows.push(f(Prop::Id, &act.id, ReadOnly));
            rows.push(f(Prop::AndSplit, b(act.and_split), Bool));
            rows.push(f(Prop::AndJoin, b(act.and_join), Bool));
            rows.push(f(Prop::Comment, &act.comment, Text));
            rows.push(Row::Heading(format!("Actions ({})", act.actions.len())));
            for (i, x) in act.actions.iter().enumerate() {
                rows.push(Row::Link {
                    target: ElementRef::Action(a, i),
                    text: format!("{} {:<10} {}", i + 1, x.kind.label(), action_summary(x)),
                });
            }
            rows.push(Row::Heading(format!(
                "Transitions ({})",
                act.transitions.len()
            )));
            for (i, t) in act.transitions.iter().enumerate() {
                let cond = t
                    .condition
                    .as_deref()
                    .map(|c| format!("  {}", short(c, 28)))
                    .unwrap_or_default();
                rows.push(Row::Link {
                    target: ElementRef::Transition(a, i),
                    text: format!("→ {}{}", t.to, cond),
                });
            }
            var_rows(&mut rows, def, VarScope::Activity(a));
        }
        ElementRef::Transition(a, i) => {
            let Some(t) = acts.get(a).and_then(|x| x.transitions.get(i)) else {
                return rows;
            };
            rows.push(f(Prop::From, &acts[a].name, ReadOnly));
            let names = acts.iter().map(|x| x.name.clone()).collect();
            rows.push(f(Prop::To, &t.to, Choice(names)));
            rows.push(f(
                Prop::Condition,
                t.condition.clone().unwrap_or_default(),
                Expr { optional: true },
            ));
            rows.push(f(Prop::Comment, &t.comment, Text));
        }
        ElementRef::Variable(scope, i) => {
            let Some(v) = vars(def, scope).and_then(|l| l.get(i)) else {
                return rows;
            };
            rows.push(f(Prop::Name, &v.name, Text));
            rows.push(f(
                Prop::Value,
                v.value.clone().unwrap_or_default(),
                Expr { optional: true },
            ));
            rows.push(f(Prop::Input, b(v.input), Bool));
            rows.push(f(Prop::Output, b(v.output), Bool));
            rows.push(f(Prop::External, b(v.external), Bool));
            rows.push(f(Prop::Comment, &v.comment, Text));
        }
        ElementRef::Action(a, i) => {
            let Some(x) = acts.get(a).and_then(|act| act.actions.get(i)) else {
                return rows;
            };
            rows.push(f(Prop::Kind, x.kind.label(), ReadOnly));
            rows.push(f(Prop::Name, &x.name, Text));
            rows.push(f(
                Prop::Condition,
                x.condition.clone().unwrap_or_default(),
                Expr { optional: true },
            ));
            match &x.kind {
                ActionKind::Expression { expression } => {
                    rows.push(f(Prop::Expression, expression, Expr { optional: false }));
                }
                ActionKind::Service { op, arguments } => {
                    let ops = crate::services::ops::OPS
                        .iter()
                        .map(|o| o.name.to_string())
                        .collect();
                    rows.push(f(Prop::Op, op, Choice(ops)));
                    for arg in arguments {
                        rows.push(Row::Field(Field {
                            key: FieldKey::Arg(arg.name.clone()),
                            label: arg.name.clone(),
                            value: arg.value.clone(),
                            kind: Expr { optional: false },
                            hint: "",
                        }));
                    }
                }
                ActionKind::Subprocess { process, arguments } => {
                    rows.push(f(Prop::Process, process, Text));
                    for arg in arguments {
                        rows.push(Row::Field(Field {
                            key: FieldKey::Arg(arg.name.clone()),
                            label: arg.name.clone(),
                            value: arg.value.clone(),
                            kind: Expr { optional: false },
                            hint: "",
                        }));
                    }
                }
                ActionKind::Manual(m) => {
                    for (n, o) in m.owners.iter().enumerate() {
                        rows.push(Row::Field(Field {
                            key: FieldKey::Owner(n),
                            label: format!("owner {}", n + 1),
                            value: o.clone(),
                            kind: Expr { optional: false },
                            hint: "",
                        }));
                    }
                    rows.push(f(
                        Prop::Request,
                        m.request.clone().unwrap_or_default(),
                        Expr { optional: true },
                    ));
                    rows.push(f(Prop::Description, &m.description, Text));
                    rows.push(fh(
                        Prop::Timeout,
                        m.timeout.to_string(),
                        Int,
                        "minutes, 0 = none",
                    ));
                    let item_type = match &m.item_type {
                        WorkItemType::Approval => "approval".to_string(),
                        WorkItemType::Interaction => "interaction".to_string(),
                        WorkItemType::Custom(s) => s.clone(),
                    };
                    rows.push(f(Prop::ItemType, item_type, Text));
                    name_rows(
                        &mut rows,
                        Prop::ExposedVariables,
                        ("exposed", FieldKey::Exposed),
                        &m.exposed_variables,
                        "empty = all",
                    );
                    name_rows(
                        &mut rows,
                        Prop::EditableVariables,
                        ("editable", FieldKey::Editable),
                        &m.editable_variables,
                        "empty = exposed",
                    );
                }
                ActionKind::Command(c) => {
                    for (n, arg) in c.argv.iter().enumerate() {
                        rows.push(Row::Field(Field {
                            key: FieldKey::Argv(n),
                            label: format!("argv[{n}]"),
                            value: arg.clone(),
                            kind: Expr { optional: false },
                            hint: "",
                        }));
                    }
                    rows.push(fh(Prop::Timeout, c.timeout.to_string(), Int, "seconds"));
                    rows.push(fh(Prop::OutputCap, c.output_cap.to_string(), Int, "bytes"));
                    rows.push(f(
                        Prop::ExitCodeTo,
                        c.exit_code_to.clone().unwrap_or_default(),
                        Text,
                    ));
                    rows.push(f(
                        Prop::OutputTo,
                        c.output_to.clone().unwrap_or_default(),
                        Text,
                    ));
                }
                ActionKind::Unsupported { reason, .. } => {
                    rows.push(f(Prop::Unsupported, reason.clone(), ReadOnly));
                }
            }
            for (n, r) in x.returns.iter().enumerate() {
                rows.push(Row::Field(Field {
                    key: FieldKey::Return(n),
                    label: format!("return {}", n + 1),
                    value: format!("{} -> {}", r.from, r.to),
                    kind: Text,
                    hint: "",
                }));
            }
            rows.push(f(Prop::Comment, &x.comment, Text));
            var_rows(&mut rows, def, VarScope::Action(a, i));
        }
    }
    rows
}

/// A list of variable names: one row per name (`Exposed(0)`, …) so each can be
/// edited or removed; when empty, the whole list as one field (`empty = all`).
fn name_rows(
    rows: &mut Vec<Row>,
    key: Prop,
    (short, entry): (&str, fn(usize) -> FieldKey),
    names: &[String],
    hint: &'static str,
) {
    if names.is_empty() {
        rows.push(fh(key, "", FieldKind::Text, hint));
        return;
    }
    for (n, name) in names.iter().enumerate() {
        rows.push(Row::Field(Field {
            key: entry(n),
            label: format!("{short} {}", n + 1),
            value: name.clone(),
            kind: FieldKind::Text,
            hint: "",
        }));
    }
}

/// What an action does, in a few words.
pub fn action_summary(x: &crate::model::Action) -> String {
    let what = match &x.kind {
        ActionKind::Expression { expression } => short(expression, 30),
        ActionKind::Service { op, .. } => op.clone(),
        ActionKind::Subprocess { process, .. } => process.clone(),
        ActionKind::Manual(m) => m.owners.first().map(|o| short(o, 30)).unwrap_or_default(),
        ActionKind::Command(c) => c.argv.first().map(|o| short(o, 30)).unwrap_or_default(),
        ActionKind::Unsupported { reason, .. } => short(reason, 30),
    };
    if x.name.is_empty() {
        what
    } else {
        format!("{} ({what})", x.name)
    }
}

/// Whether a row can take the cursor.
pub fn selectable(row: &Row) -> bool {
    !matches!(row, Row::Heading(_) | Row::Finding { .. })
}
