//! Set one property of a workflow element from its text form, by typed key
//! ([`FieldKey`]). Expressions are checked and stored in canonical text; on
//! error nothing changes.

use crate::model::{Action, ActionKind, ExecMode, TaskDefinition};

use super::element::{ElementRef, vars_mut};
use super::field::{FieldKey, Prop};
use super::workflow::{check_identifier, rename_activity};
use super::{EditError, fail};

pub(crate) fn parse_bool(value: &str) -> Result<bool, EditError> {
    match value.trim() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        other => fail(format!("{other:?} is not true or false")),
    }
}

fn parse_int(value: &str) -> Result<i64, EditError> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| EditError(format!("{:?} is not a whole number", value.trim())))
}

/// Check an expression and return its canonical text.
pub fn canonical_expr(text: &str) -> Result<String, EditError> {
    match crate::expr::parse(text) {
        Ok(e) => Ok(crate::expr::print(&e)),
        Err(e) => fail(format!("expression: {e}")),
    }
}

pub(crate) fn opt_expr(value: &str) -> Result<Option<String>, EditError> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        canonical_expr(value).map(Some)
    }
}

pub(crate) fn opt_text(value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        None
    } else {
        Some(v.to_string())
    }
}

fn name_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Set one property from its text form. The keys are those `properties::rows` lists.
pub fn set_field(
    def: &mut TaskDefinition,
    target: ElementRef,
    field: &FieldKey,
    value: &str,
) -> Result<(), EditError> {
    let prop = match field {
        FieldKey::Prop(p) => Some(*p),
        _ => None,
    };
    let refuse = |on: &str| fail(format!("{field} cannot be set on {on}"));
    match target {
        ElementRef::Definition => {
            let Some(p) = prop else {
                return refuse("a workflow");
            };
            match p {
                Prop::Name => {
                    let v = value.trim();
                    if v.is_empty() {
                        return fail("a workflow needs a name");
                    }
                    def.name = v.to_string();
                }
                Prop::Description => def.description = value.to_string(),
                Prop::Executor => def.executor = value.trim().to_string(),
                Prop::ExecMode => {
                    def.exec_mode = match value.trim() {
                        "sync" => ExecMode::Sync,
                        "async" => ExecMode::Async,
                        o => return fail(format!("{o:?}: execMode is sync or async")),
                    }
                }
                Prop::Suspendable => def.suspendable = parse_bool(value)?,
                Prop::SyncControlAllowed => def.sync_control_allowed = parse_bool(value)?,
                Prop::ExecutionLimit => def.execution_limit = parse_int(value)?,
                Prop::ResultLimit => def.result_limit = parse_int(value)?,
                Prop::ProgressInterval => def.progress_interval = parse_int(value)?,
                Prop::ResultTrace => def.result_trace = parse_bool(value)?,
                Prop::MaxSteps => {
                    let n = parse_int(value)?;
                    if n < 0 {
                        return fail("maxSteps is 0 (the default, 5000) or more");
                    }
                    def.process.max_steps = n;
                }
                Prop::Comment => def.process.comment = value.to_string(),
                _ => return refuse("a workflow"),
            }
        }
        ElementRef::Activity(a) => {
            if prop == Some(Prop::Name) {
                return rename_activity(def, a, value);
            }
            let act = def.process.activities.get_mut(a).ok_or_else(gone_err)?;
            match prop {
                Some(Prop::AndSplit) => act.and_split = parse_bool(value)?,
                Some(Prop::AndJoin) => act.and_join = parse_bool(value)?,
                Some(Prop::Comment) => act.comment = value.to_string(),
                _ => return refuse("an activity"),
            }
        }
        ElementRef::Transition(a, i) => {
            if prop == Some(Prop::To) {
                let to = value.trim();
                if def.process.activity(to).is_none() {
                    return fail(format!("no activity named {to:?}"));
                }
            }
            let t = def
                .process
                .activities
                .get_mut(a)
                .and_then(|x| x.transitions.get_mut(i))
                .ok_or_else(gone_err)?;
            match prop {
                Some(Prop::To) => t.to = value.trim().to_string(),
                Some(Prop::Condition) => t.condition = opt_expr(value)?,
                Some(Prop::Comment) => t.comment = value.to_string(),
                _ => return refuse("a transition"),
            }
        }
        ElementRef::Variable(scope, i) => {
            let list = vars_mut(def, scope).ok_or_else(gone_err)?;
            if prop == Some(Prop::Name) {
                let v = value.trim();
                check_identifier(v)?;
                if list.iter().enumerate().any(|(j, x)| j != i && x.name == v) {
                    return fail(format!("{v:?} is already declared here"));
                }
            }
            let var = list.get_mut(i).ok_or_else(gone_err)?;
            match prop {
                Some(Prop::Name) => var.name = value.trim().to_string(),
                Some(Prop::Value) => var.value = opt_expr(value)?,
                Some(Prop::Input) => var.input = parse_bool(value)?,
                Some(Prop::Output) => var.output = parse_bool(value)?,
                Some(Prop::External) => var.external = parse_bool(value)?,
                Some(Prop::Comment) => var.comment = value.to_string(),
                _ => return refuse("a variable"),
            }
        }
        ElementRef::Action(a, i) => {
            let action = def
                .process
                .activities
                .get_mut(a)
                .and_then(|x| x.actions.get_mut(i))
                .ok_or_else(gone_err)?;
            set_action_field(action, field, value)?;
        }
    }
    Ok(())
}

fn gone_err() -> EditError {
    EditError("the element no longer exists".into())
}

fn entry<T>(list: &mut [T], n: usize) -> Result<&mut T, EditError> {
    list.get_mut(n).ok_or_else(gone_err)
}

fn set_action_field(action: &mut Action, field: &FieldKey, value: &str) -> Result<(), EditError> {
    match field {
        FieldKey::Prop(Prop::Name) => {
            action.name = value.trim().to_string();
            return Ok(());
        }
        FieldKey::Prop(Prop::Condition) => {
            action.condition = opt_expr(value)?;
            return Ok(());
        }
        FieldKey::Prop(Prop::Comment) => {
            action.comment = value.to_string();
            return Ok(());
        }
        FieldKey::Return(n) => {
            let (from, to) = value
                .split_once("->")
                .map(|(f, t)| (f.trim(), t.trim()))
                .ok_or(EditError("write a return as `from -> to`".into()))?;
            let r = entry(&mut action.returns, *n)?;
            r.from = from.to_string();
            r.to = to.to_string();
            return Ok(());
        }
        _ => {}
    }
    let refuse = |on: &str| fail(format!("{field} cannot be set on {on}"));
    match (&mut action.kind, field) {
        (ActionKind::Expression { expression }, FieldKey::Prop(Prop::Expression)) => {
            *expression = canonical_expr(value)?
        }
        (ActionKind::Expression { .. }, _) => return refuse("an expression action"),
        (
            ActionKind::Service { arguments, .. } | ActionKind::Subprocess { arguments, .. },
            FieldKey::Arg(name),
        ) => {
            let arg = arguments
                .iter_mut()
                .find(|x| &x.name == name)
                .ok_or(EditError(format!("no argument {name}")))?;
            arg.value = canonical_expr(value)?;
        }
        (ActionKind::Service { op, .. }, FieldKey::Prop(p @ Prop::Op))
        | (ActionKind::Subprocess { process: op, .. }, FieldKey::Prop(p @ Prop::Process)) => {
            let v = value.trim();
            if v.is_empty() {
                return fail(format!("{p} cannot be empty"));
            }
            *op = v.to_string();
        }
        (ActionKind::Service { .. } | ActionKind::Subprocess { .. }, _) => {
            return refuse("this action");
        }
        (ActionKind::Manual(m), _) => match field {
            FieldKey::Owner(n) => *entry(&mut m.owners, *n)? = canonical_expr(value)?,
            FieldKey::Prop(Prop::Request) => m.request = opt_expr(value)?,
            FieldKey::Prop(Prop::Description) => m.description = value.to_string(),
            FieldKey::Prop(Prop::Timeout) => m.timeout = parse_int(value)?,
            FieldKey::Prop(Prop::ItemType) => {
                m.item_type = match value.trim() {
                    "approval" | "" => crate::model::WorkItemType::Approval,
                    "interaction" => crate::model::WorkItemType::Interaction,
                    other => crate::model::WorkItemType::Custom(other.to_string()),
                }
            }
            FieldKey::Prop(Prop::ExposedVariables) => m.exposed_variables = name_list(value),
            FieldKey::Prop(Prop::EditableVariables) => m.editable_variables = name_list(value),
            FieldKey::Exposed(n) | FieldKey::Editable(n) => {
                let v = value.trim();
                check_identifier(v)?;
                let names = if matches!(field, FieldKey::Exposed(_)) {
                    &mut m.exposed_variables
                } else {
                    &mut m.editable_variables
                };
                if names.iter().enumerate().any(|(j, x)| j != *n && x == v) {
                    return fail(format!("{v:?} is already in the list"));
                }
                *entry(names, *n)? = v.to_string();
            }
            _ => return refuse("a manual action"),
        },
        (ActionKind::Command(c), _) => match field {
            FieldKey::Argv(n) => *entry(&mut c.argv, *n)? = canonical_expr(value)?,
            FieldKey::Prop(Prop::Timeout) => c.timeout = parse_int(value)?,
            FieldKey::Prop(Prop::OutputCap) => c.output_cap = parse_int(value)?,
            FieldKey::Prop(Prop::ExitCodeTo) => c.exit_code_to = opt_text(value),
            FieldKey::Prop(Prop::OutputTo) => c.output_to = opt_text(value),
            _ => return refuse("a command action"),
        },
        (ActionKind::Unsupported { .. }, _) => {
            return fail(format!(
                "{field} cannot be set on an unsupported action (it is kept verbatim from Waveset)"
            ));
        }
    }
    Ok(())
}
