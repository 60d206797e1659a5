//! A TaskDefinition compiled once for execution: every expression parsed up front,
//! transitions resolved to activity indexes, and the reachability relation that
//! `andJoin` needs precomputed. Loops then never re-parse anything.

use std::collections::HashMap;

use crate::expr::{self, Expr};
use crate::model::{
    Action, ActionKind, DefinitionRef, ExprText, TaskDefinition, Variable, WorkItemType,
};

/// Why a definition cannot run. The message names the place (activity, action, field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub message: String,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}

#[derive(Debug, Clone)]
pub struct CVar {
    pub name: String,
    pub init: Option<Expr>,
    pub input: bool,
    pub output: bool,
    pub external: bool,
}

#[derive(Debug, Clone)]
pub struct CTransition {
    pub to: usize,
    pub cond: Option<Expr>,
}

#[derive(Debug, Clone)]
pub struct CManual {
    pub owners: Vec<Expr>,
    pub request: Option<Expr>,
    pub description: String,
    pub timeout_minutes: i64,
    pub item_type: WorkItemType,
    pub exposed: Vec<String>,
    pub editable: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CCommand {
    pub argv: Vec<Expr>,
    pub timeout_secs: i64,
    pub output_cap: i64,
    pub exit_code_to: Option<String>,
    pub output_to: Option<String>,
}

#[derive(Debug, Clone)]
pub enum CKind {
    Expression(Expr),
    Service {
        op: String,
        args: Vec<(String, Expr)>,
    },
    Subprocess {
        process: String,
        args: Vec<(String, Expr)>,
    },
    Manual(CManual),
    Command(CCommand),
    /// Kept verbatim from a Waveset import; running it fails the action with this reason.
    Unsupported(String),
}

#[derive(Debug, Clone)]
pub struct CAction {
    pub name: String,
    pub cond: Option<Expr>,
    pub vars: Vec<CVar>,
    pub returns: Vec<(String, String)>,
    pub kind: CKind,
}

impl CAction {
    pub fn label(&self) -> &'static str {
        match self.kind {
            CKind::Expression(_) => "expression",
            CKind::Service { .. } => "service",
            CKind::Subprocess { .. } => "subprocess",
            CKind::Manual(_) => "manual",
            CKind::Command(_) => "command",
            CKind::Unsupported(_) => "unsupported",
        }
    }
}

#[derive(Debug, Clone)]
pub struct CActivity {
    pub id: String,
    pub name: String,
    pub and_split: bool,
    pub and_join: bool,
    pub is_end: bool,
    pub vars: Vec<CVar>,
    pub actions: Vec<CAction>,
    pub transitions: Vec<CTransition>,
}

/// An executable definition.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub definition: TaskDefinition,
    pub dref: DefinitionRef,
    pub vars: Vec<CVar>,
    pub activities: Vec<CActivity>,
    pub start: usize,
    pub max_steps: i64,
    /// `reach[a * n + b]`: activity `b` can be reached from `a` by one or more transitions.
    reach: Vec<bool>,
}

impl Compiled {
    /// True when `to` can be reached from `from` through at least one transition.
    pub fn reaches(&self, from: usize, to: usize) -> bool {
        let n = self.activities.len();
        self.reach.get(from * n + to).copied().unwrap_or(false)
    }

    pub fn activity_index(&self, name: &str) -> Option<usize> {
        self.activities.iter().position(|a| a.name == name)
    }
}

fn parse_at(text: &ExprText, place: &str) -> Result<Expr, CompileError> {
    expr::parse(text).map_err(|e| CompileError {
        message: format!("{place}: cannot parse expression: {e}"),
    })
}

fn compile_vars(vars: &[Variable], place: &str) -> Result<Vec<CVar>, CompileError> {
    vars.iter()
        .map(|v| {
            Ok(CVar {
                name: v.name.clone(),
                init: match &v.value {
                    Some(t) => Some(parse_at(t, &format!("{place}, variable '{}'", v.name))?),
                    None => None,
                },
                input: v.input,
                output: v.output,
                external: v.external,
            })
        })
        .collect()
}

fn compile_args(
    args: &[crate::model::Argument],
    place: &str,
) -> Result<Vec<(String, Expr)>, CompileError> {
    args.iter()
        .map(|a| {
            Ok((
                a.name.clone(),
                parse_at(&a.value, &format!("{place}, argument '{}'", a.name))?,
            ))
        })
        .collect()
}

fn compile_action(a: &Action, place: &str) -> Result<CAction, CompileError> {
    let kind = match &a.kind {
        ActionKind::Expression { expression } => CKind::Expression(parse_at(expression, place)?),
        ActionKind::Service { op, arguments } => CKind::Service {
            op: op.clone(),
            args: compile_args(arguments, place)?,
        },
        ActionKind::Subprocess { process, arguments } => CKind::Subprocess {
            process: process.clone(),
            args: compile_args(arguments, place)?,
        },
        ActionKind::Manual(m) => CKind::Manual(CManual {
            owners: m
                .owners
                .iter()
                .map(|o| parse_at(o, &format!("{place}, owner")))
                .collect::<Result<_, _>>()?,
            request: match &m.request {
                Some(t) => Some(parse_at(t, &format!("{place}, request"))?),
                None => None,
            },
            description: m.description.clone(),
            timeout_minutes: m.timeout,
            item_type: m.item_type.clone(),
            exposed: m.exposed_variables.clone(),
            editable: m.editable_variables.clone(),
        }),
        ActionKind::Command(c) => CKind::Command(CCommand {
            argv: c
                .argv
                .iter()
                .map(|o| parse_at(o, &format!("{place}, argv")))
                .collect::<Result<_, _>>()?,
            timeout_secs: c.timeout,
            output_cap: c.output_cap,
            exit_code_to: c.exit_code_to.clone(),
            output_to: c.output_to.clone(),
        }),
        ActionKind::Unsupported { reason, .. } => CKind::Unsupported(reason.clone()),
    };
    Ok(CAction {
        name: a.name.clone(),
        cond: match &a.condition {
            Some(t) => Some(parse_at(t, &format!("{place}, condition"))?),
            None => None,
        },
        vars: compile_vars(&a.variables, place)?,
        returns: a
            .returns
            .iter()
            .map(|r| (r.from.clone(), r.to.clone()))
            .collect(),
        kind,
    })
}

/// Compile `def`, pinned as `dref`.
pub fn compile(def: &TaskDefinition, dref: DefinitionRef) -> Result<Compiled, CompileError> {
    let p = &def.process;
    let index: HashMap<&str, usize> = p
        .activities
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.as_str(), i))
        .collect();
    let start = *index.get("start").ok_or_else(|| CompileError {
        message: format!("'{}' has no activity named 'start'", def.name),
    })?;
    let mut activities = Vec::with_capacity(p.activities.len());
    for a in &p.activities {
        let place = format!("activity '{}'", a.name);
        let mut actions = Vec::with_capacity(a.actions.len());
        for (i, act) in a.actions.iter().enumerate() {
            let aplace = if act.name.is_empty() {
                format!("{place}, action {}", i + 1)
            } else {
                format!("{place}, action {} '{}'", i + 1, act.name)
            };
            actions.push(compile_action(act, &aplace)?);
        }
        let mut transitions = Vec::with_capacity(a.transitions.len());
        for t in &a.transitions {
            let to = *index.get(t.to.as_str()).ok_or_else(|| CompileError {
                message: format!("{place}: transition to unknown activity '{}'", t.to),
            })?;
            transitions.push(CTransition {
                to,
                cond: match &t.condition {
                    Some(c) => Some(parse_at(c, &format!("{place}, transition to '{}'", t.to))?),
                    None => None,
                },
            });
        }
        activities.push(CActivity {
            id: a.id.clone(),
            name: a.name.clone(),
            and_split: a.and_split,
            and_join: a.and_join,
            is_end: a.is_end(),
            vars: compile_vars(&a.variables, &place)?,
            actions,
            transitions,
        });
    }
    let reach = reachability(&activities);
    Ok(Compiled {
        definition: def.clone(),
        dref,
        vars: compile_vars(&p.variables, "process")?,
        activities,
        start,
        max_steps: p.effective_max_steps(),
        reach,
    })
}

/// Transitive closure (paths of length >= 1) by a search from every activity.
fn reachability(acts: &[CActivity]) -> Vec<bool> {
    let n = acts.len();
    let mut reach = vec![false; n * n];
    let mut stack = Vec::new();
    for from in 0..n {
        stack.clear();
        stack.extend(acts[from].transitions.iter().map(|t| t.to));
        while let Some(b) = stack.pop() {
            if !reach[from * n + b] {
                reach[from * n + b] = true;
                stack.extend(acts[b].transitions.iter().map(|t| t.to));
            }
        }
    }
    reach
}
