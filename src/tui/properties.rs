//! The properties of each kind of element: what the properties pane lists and
//! what `command::set_field` accepts (by the same keys).

use crate::model::{ActionKind, ExecMode, TaskDefinition, WorkItemType};

use super::command::{ElementRef, VarScope, vars};
use super::lint::{Finding, Level};

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
    /// Key for `set_field` (e.g. `condition`, `arg:accountId`).
    pub key: String,
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

fn f(key: &str, value: impl Into<String>, kind: FieldKind) -> Row {
    Row::Field(Field {
        key: key.to_string(),
        label: key.to_string(),
        value: value.into(),
        kind,
        hint: "",
    })
}

fn fh(key: &str, value: impl Into<String>, kind: FieldKind, hint: &'static str) -> Row {
    Row::Field(Field {
        key: key.to_string(),
        label: key.to_string(),
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
            rows.push(f("name", &def.name, Text));
            rows.push(f("id", &def.id, ReadOnly));
            rows.push(f("description", &def.description, Text));
            rows.push(f("taskType", &def.task_type, ReadOnly));
            rows.push(f("executor", &def.executor, Text));
            let mode = match def.exec_mode {
                ExecMode::Sync => "sync",
                ExecMode::Async => "async",
            };
            rows.push(f(
                "execMode",
                mode,
                Choice(vec!["sync".into(), "async".into()]),
            ));
            rows.push(f("suspendable", b(def.suspendable), Bool));
            rows.push(f("syncControlAllowed", b(def.sync_control_allowed), Bool));
            rows.push(fh(
                "executionLimit",
                def.execution_limit.to_string(),
                Int,
                "seconds, 0 = none",
            ));
            rows.push(fh(
                "resultLimit",
                def.result_limit.to_string(),
                Int,
                "seconds, <0 = forever",
            ));
            rows.push(fh(
                "progressInterval",
                def.progress_interval.to_string(),
                Int,
                "ms",
            ));
            rows.push(f("resultTrace", b(def.result_trace), Bool));
            rows.push(fh(
                "maxSteps",
                def.process.max_steps.to_string(),
                Int,
                "0 = 5000",
            ));
            rows.push(f("comment", &def.process.comment, Text));
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
            rows.push(f("name", &act.name, Text));
            rows.push(f("id", &act.id, ReadOnly));
            rows.push(f("andSplit", b(act.and_split), Bool));
            rows.push(f("andJoin", b(act.and_join), Bool));
            rows.push(f("comment", &act.comment, Text));
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
            rows.push(f("from", &acts[a].name, ReadOnly));
            let names = acts.iter().map(|x| x.name.clone()).collect();
            rows.push(f("to", &t.to, Choice(names)));
            rows.push(f(
                "condition",
                t.condition.clone().unwrap_or_default(),
                Expr { optional: true },
            ));
            rows.push(f("comment", &t.comment, Text));
        }
        ElementRef::Variable(scope, i) => {
            let Some(v) = vars(def, scope).and_then(|l| l.get(i)) else {
                return rows;
            };
            rows.push(f("name", &v.name, Text));
            rows.push(f(
                "value",
                v.value.clone().unwrap_or_default(),
                Expr { optional: true },
            ));
            rows.push(f("input", b(v.input), Bool));
            rows.push(f("output", b(v.output), Bool));
            rows.push(f("external", b(v.external), Bool));
            rows.push(f("comment", &v.comment, Text));
        }
        ElementRef::Action(a, i) => {
            let Some(x) = acts.get(a).and_then(|act| act.actions.get(i)) else {
                return rows;
            };
            rows.push(f("kind", x.kind.label(), ReadOnly));
            rows.push(f("name", &x.name, Text));
            rows.push(f(
                "condition",
                x.condition.clone().unwrap_or_default(),
                Expr { optional: true },
            ));
            match &x.kind {
                ActionKind::Expression { expression } => {
                    rows.push(f("expression", expression, Expr { optional: false }));
                }
                ActionKind::Service { op, arguments } => {
                    let ops = crate::services::ops::OPS
                        .iter()
                        .map(|o| o.name.to_string())
                        .collect();
                    rows.push(f("op", op, Choice(ops)));
                    for arg in arguments {
                        rows.push(Row::Field(Field {
                            key: format!("arg:{}", arg.name),
                            label: arg.name.clone(),
                            value: arg.value.clone(),
                            kind: Expr { optional: false },
                            hint: "",
                        }));
                    }
                }
                ActionKind::Subprocess { process, arguments } => {
                    rows.push(f("process", process, Text));
                    for arg in arguments {
                        rows.push(Row::Field(Field {
                            key: format!("arg:{}", arg.name),
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
                            key: format!("owner:{n}"),
                            label: format!("owner {}", n + 1),
                            value: o.clone(),
                            kind: Expr { optional: false },
                            hint: "",
                        }));
                    }
                    rows.push(f(
                        "request",
                        m.request.clone().unwrap_or_default(),
                        Expr { optional: true },
                    ));
                    rows.push(f("description", &m.description, Text));
                    rows.push(fh(
                        "timeout",
                        m.timeout.to_string(),
                        Int,
                        "minutes, 0 = none",
                    ));
                    let item_type = match &m.item_type {
                        WorkItemType::Approval => "approval".to_string(),
                        WorkItemType::Interaction => "interaction".to_string(),
                        WorkItemType::Custom(s) => s.clone(),
                    };
                    rows.push(f("itemType", item_type, Text));
                    name_rows(
                        &mut rows,
                        "exposedVariables",
                        "exposed",
                        &m.exposed_variables,
                        "empty = all",
                    );
                    name_rows(
                        &mut rows,
                        "editableVariables",
                        "editable",
                        &m.editable_variables,
                        "empty = exposed",
                    );
                }
                ActionKind::Command(c) => {
                    for (n, arg) in c.argv.iter().enumerate() {
                        rows.push(Row::Field(Field {
                            key: format!("argv:{n}"),
                            label: format!("argv[{n}]"),
                            value: arg.clone(),
                            kind: Expr { optional: false },
                            hint: "",
                        }));
                    }
                    rows.push(fh("timeout", c.timeout.to_string(), Int, "seconds"));
                    rows.push(fh("outputCap", c.output_cap.to_string(), Int, "bytes"));
                    rows.push(f(
                        "exitCodeTo",
                        c.exit_code_to.clone().unwrap_or_default(),
                        Text,
                    ));
                    rows.push(f("outputTo", c.output_to.clone().unwrap_or_default(), Text));
                }
                ActionKind::Unsupported { reason, .. } => {
                    rows.push(f("unsupported", reason.clone(), ReadOnly));
                }
            }
            for (n, r) in x.returns.iter().enumerate() {
                rows.push(Row::Field(Field {
                    key: format!("return:{n}"),
                    label: format!("return {}", n + 1),
                    value: format!("{} -> {}", r.from, r.to),
                    kind: Text,
                    hint: "",
                }));
            }
            rows.push(f("comment", &x.comment, Text));
            var_rows(&mut rows, def, VarScope::Action(a, i));
        }
    }
    rows
}

/// A list of variable names: one row per name (`exposed:0`, …) so each can be
/// edited or removed; when empty, the whole list as one field (`empty = all`).
fn name_rows(rows: &mut Vec<Row>, key: &str, short: &str, names: &[String], hint: &'static str) {
    if names.is_empty() {
        rows.push(fh(key, "", FieldKind::Text, hint));
        return;
    }
    for (n, name) in names.iter().enumerate() {
        rows.push(Row::Field(Field {
            key: format!("{short}:{n}"),
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
