//! Moving a suspended case from its pinned version to the current version of a
//! definition (`bpe migrate`). When it is allowed, and the order of writes,
//! are in `docs/engine.md` ("Migrating a suspended case").
//!
//! Invariants:
//! - Works on the TaskInstance, its engine state ([`EngineState`]) and its work
//!   items, under the instance lock taken exclusively (as `bpe resume` takes it).
//! - A refused migration, and a dry run, write nothing.
//! - A move writes, in order: the new version into the cache, an intent record
//!   `.bpe/migrations/<instance>.json` (old and new work items), the work items,
//!   then the instance — the commit point — and removes the intent. A process
//!   killed anywhere leaves the old state or the new one once [`recover`] has
//!   run (every front-end runs it when it opens the repository): with the
//!   instance not yet on the new version, the work items are put back; with it,
//!   they are completed to the new version.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::Serialize;

use super::state::{EngineState, Phase};
use super::store::{StoreError, io, locked, now_text};
use super::transient::{self, Secrets};
use crate::expr::{MapEnv, Value};
use crate::model::{
    ActionKind, Activity, DefinitionRef, HistoryEvent, HistoryKind, InstanceStatus, TaskDefinition,
    TaskInstance, WorkItem,
};
use crate::repo::lock::{self, LockMode, LockTarget};
use crate::repo::{Repository, cache, confine, parse_file, save_json_in};
use crate::services::{CallContext, Services};

mod recover;
mod render;

pub use recover::recover;
use recover::{Intent, IntentItem, intent_path, recover_one};
pub use render::plan_lines;

/// Where intent records of moves in progress live.
pub const INTENT_DIR: &str = ".bpe/migrations";

/// What `bpe migrate` is asked.
#[derive(Debug, Clone, Default)]
pub struct MigrateOptions {
    /// The definition whose current version the case moves to.
    pub to: String,
    /// `OLD=NEW` activity mappings (ids or names: OLD in the pinned version, NEW in the new one).
    pub map: Vec<(String, String)>,
    pub dry_run: bool,
    pub purpose: String,
}

/// Where one token goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenMove {
    pub token: u64,
    pub from_activity: String,
    pub from_id: String,
    pub to_activity: String,
    pub to_id: String,
    /// `arrived`, `action`, `waiting`, `transitions`.
    pub phase: String,
    /// For a waiting token: the manual action's index, old and new.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<(usize, usize)>,
}

/// A new variable and the value it gets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AddedVariable {
    pub name: String,
    pub value: Value,
}

/// The plan of a move (also what a refusal and a dry run report).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub instance: String,
    pub from: DefinitionRef,
    pub to: DefinitionRef,
    pub tokens: Vec<TokenMove>,
    pub work_items: Vec<String>,
    /// Case variables the new version does not declare: their values are dropped.
    pub removed_variables: Vec<String>,
    pub added_variables: Vec<AddedVariable>,
    /// Why the move is refused; empty = allowed.
    pub refusals: Vec<String>,
    /// Whether the move was written.
    pub applied: bool,
    /// The audit line could not be written (the move itself is done).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_error: Option<String>,
}

/// Why `migrate` did not move the case.
#[derive(Debug)]
pub enum MigrateError {
    /// The case cannot be moved; the plan names each reason.
    Refused(Box<Plan>),
    Store(StoreError),
}

impl std::fmt::Display for MigrateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MigrateError::Refused(p) => write!(f, "migration refused: {}", p.refusals.join("; ")),
            MigrateError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for MigrateError {}

impl From<StoreError> for MigrateError {
    fn from(e: StoreError) -> Self {
        MigrateError::Store(e)
    }
}

/// Plan the move of `instance_id` and, unless refused or a dry run, make it.
/// `services` receives the audit line (op `audit`, event `migrate`).
pub fn migrate(
    root: &Path,
    instance_id: &str,
    opts: &MigrateOptions,
    services: &mut dyn Services,
) -> Result<Plan, MigrateError> {
    let target = LockTarget::Instance(instance_id.to_string());
    let _guard = lock::acquire(root, target, LockMode::Exclusive, &opts.purpose)
        .map_err(|e| locked(&format!("instance {instance_id}"), e))?;
    let repo = Repository::open(root).map_err(io)?;
    let loaded = repo
        .instance(instance_id)
        .ok_or_else(|| StoreError::NotFound(format!("no TaskInstance with id '{instance_id}'")))?;
    recover_one(root, &intent_path(&loaded.path))?;
    let inst = parse_file::<TaskInstance>(root, &loaded.path).map_err(io)?;
    let new_def = repo
        .definition(&opts.to)
        .map(|l| l.value.clone())
        .ok_or_else(|| StoreError::NotFound(format!("no TaskDefinition named '{}'", opts.to)))?;
    let old_def = cache::load_in(&repo, &inst.definition).map_err(io)?;
    let items: Vec<(PathBuf, WorkItem)> = repo
        .work_items
        .iter()
        .filter(|w| w.value.instance == inst.id && !w.value.complete)
        .map(|w| {
            parse_file::<WorkItem>(root, &w.path)
                .map(|item| (w.path.clone(), item))
                .map_err(io)
        })
        .collect::<Result<_, _>>()?;
    let (mut plan, moved) = plan(&inst, &old_def, &new_def, &items, &opts.map);
    if !plan.refusals.is_empty() {
        return Err(MigrateError::Refused(Box::new(plan)));
    }
    if opts.dry_run {
        return Ok(plan);
    }
    let Moved {
        instance: new_inst,
        items: new_items,
    } = moved.expect("a plan without refusals has its result");
    cache::store(root, &new_def).map_err(io)?;
    let intent = Intent {
        instance: inst.id.clone(),
        instance_path: loaded.path.clone(),
        from: plan.from.hash.clone(),
        to: plan.to.hash.clone(),
        work_items: items
            .into_iter()
            .zip(new_items)
            .map(|((path, old), new)| IntentItem { path, old, new })
            .collect(),
    };
    let ipath = intent_path(&loaded.path);
    save_json_in(root, &ipath, &intent).map_err(io)?;
    for w in &intent.work_items {
        save_json_in(root, &w.path, &w.new).map_err(io)?;
    }
    fault("after-work-items");
    save_json_in(root, &loaded.path, &new_inst).map_err(io)?;
    fault("after-instance");
    confine::remove(root, &ipath).map_err(io)?;
    plan.applied = true;
    plan.audit_error = audit(services, &new_inst, &plan).err();
    Ok(plan)
}

/// The new instance and work items of an allowed move.
struct Moved {
    instance: TaskInstance,
    items: Vec<WorkItem>,
}

/// Check every rule and compute the moved instance and work items (`None` when refused).
fn plan(
    inst: &TaskInstance,
    old: &TaskDefinition,
    new: &TaskDefinition,
    items: &[(PathBuf, WorkItem)],
    map: &[(String, String)],
) -> (Plan, Option<Moved>) {
    let to = cache::reference(new);
    let mut plan = Plan {
        instance: inst.id.clone(),
        from: inst.definition.clone(),
        to: to.clone(),
        tokens: Vec::new(),
        work_items: items.iter().map(|(_, w)| w.id.clone()).collect(),
        removed_variables: Vec::new(),
        added_variables: Vec::new(),
        refusals: Vec::new(),
        applied: false,
        audit_error: None,
    };
    let refuse = |plan: &mut Plan, why: String| plan.refusals.push(why);
    if inst.status != InstanceStatus::Suspended {
        refuse(
            &mut plan,
            format!("the case is {}, not suspended", inst.status.as_str()),
        );
    }
    if inst.definition.hash == to.hash {
        refuse(&mut plan, "the case already runs on that version".into());
    }
    if let Err(e) = super::compile(new, to.clone()) {
        refuse(
            &mut plan,
            format!("the new version does not compile: {}", e.message),
        );
    }
    let mut state: EngineState = match serde_json::from_value(inst.state.clone()) {
        Ok(s) => s,
        Err(e) => {
            refuse(&mut plan, format!("unreadable engine state: {e}"));
            return (plan, None);
        }
    };
    if state.frames.len() != 1 {
        refuse(
            &mut plan,
            "the case is inside a subprocess: migrate it once the subprocess has returned".into(),
        );
        return (plan, None);
    }
    // Mappings: OLD in the pinned version, NEW in the new one, each by id or name.
    let find = |def: &'_ TaskDefinition, key: &str| -> Option<usize> {
        let acts = &def.process.activities;
        acts.iter()
            .position(|a| a.id == key)
            .or_else(|| acts.iter().position(|a| a.name == key))
    };
    let mut mapped: BTreeMap<usize, usize> = BTreeMap::new();
    for (o, n) in map {
        match (find(old, o), find(new, n)) {
            (Some(oi), Some(ni)) => {
                mapped.insert(oi, ni);
            }
            (None, _) => refuse(
                &mut plan,
                format!("--map {o}={n}: the pinned version has no activity {o:?}"),
            ),
            (_, None) => refuse(
                &mut plan,
                format!("--map {o}={n}: the new version has no activity {n:?}"),
            ),
        }
    }
    let frame = &mut state.frames[0];
    let mut item_moves: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for t in &mut frame.tokens {
        let Some(oa) = old.process.activities.get(t.activity) else {
            refuse(
                &mut plan,
                format!("token {} stands on no activity of the pinned version", t.id),
            );
            continue;
        };
        let target = mapped
            .get(&t.activity)
            .copied()
            .or_else(|| new.process.activities.iter().position(|a| a.id == oa.id));
        let Some(ni) = target else {
            refuse(
                &mut plan,
                format!(
                    "a token stands on activity {:?} (id {}), which the new version does not have (map it with --map {}=NEW)",
                    oa.name, oa.id, oa.id
                ),
            );
            continue;
        };
        let na = &new.process.activities[ni];
        let mut action = None;
        let phase = match &mut t.phase {
            Phase::Arrived => "arrived",
            Phase::Transitions => "transitions",
            Phase::Action { index: 0 } => "action",
            Phase::Action { index } => {
                refuse(
                    &mut plan,
                    format!(
                        "a token is midway through activity {:?} (before action {index})",
                        oa.name
                    ),
                );
                "action"
            }
            Phase::Subprocess { .. } => {
                refuse(
                    &mut plan,
                    format!("a token in {:?} waits for a subprocess", oa.name),
                );
                "subprocess"
            }
            Phase::Waiting { index, items, .. } => {
                match manual_counterpart(oa, *index, na) {
                    Some(j) => {
                        action = Some((*index, j));
                        for i in items.iter() {
                            item_moves.insert(i.id.clone(), (ni, j));
                        }
                        *index = j;
                    }
                    None => refuse(
                        &mut plan,
                        format!(
                            "the manual action {} of {:?} (pending work items {}) has no counterpart in {:?} of the new version",
                            index,
                            oa.name,
                            items
                                .iter()
                                .map(|i| i.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            na.name
                        ),
                    ),
                }
                "waiting"
            }
        };
        plan.tokens.push(TokenMove {
            token: t.id,
            from_activity: oa.name.clone(),
            from_id: oa.id.clone(),
            to_activity: na.name.clone(),
            to_id: na.id.clone(),
            phase: phase.to_string(),
            action,
        });
        t.activity = ni;
        t.activity_name = na.name.clone();
    }
    let mut new_items = Vec::new();
    for (_, w) in items {
        match item_moves.get(&w.id) {
            Some(&(ni, j)) => {
                let na = &new.process.activities[ni];
                let mut w = w.clone();
                w.definition = to.clone();
                w.activity = na.name.clone();
                w.activity_id = na.id.clone();
                w.action = j;
                new_items.push(w);
            }
            None if plan.refusals.is_empty() => refuse(
                &mut plan,
                format!(
                    "work item {} is pending but no token of the case waits for it",
                    w.id
                ),
            ),
            None => {}
        }
    }
    // Variables: declared in the pinned version but not in the new one are dropped;
    // new ones get their initial values, evaluated over the case's variables.
    let declared = |d: &TaskDefinition, n: &str| d.process.variables.iter().any(|v| v.name == n);
    for v in &old.process.variables {
        if !declared(new, &v.name) {
            plan.removed_variables.push(v.name.clone());
            frame.vars.remove(&v.name);
        }
    }
    for v in &new.process.variables {
        if declared(old, &v.name) {
            continue;
        }
        let value = match &v.value {
            None => Value::Null,
            Some(text) => {
                let mut env = MapEnv {
                    vars: frame.vars.to_map(),
                    ..MapEnv::default()
                };
                match crate::expr::parse(text)
                    .map_err(|e| e.to_string())
                    .and_then(|e| crate::expr::eval(&e, &mut env).map_err(|e| e.to_string()))
                    .and_then(|v| {
                        super::check_storable(&v)
                            .map(|()| v)
                            .map_err(|e| e.to_string())
                    }) {
                    Ok(value) => value,
                    Err(e) => {
                        refuse(
                            &mut plan,
                            format!("initial value of new variable {:?}: {e}", v.name),
                        );
                        Value::Null
                    }
                }
            }
        };
        frame.vars.insert(v.name.clone(), value.clone());
        plan.added_variables.push(AddedVariable {
            name: v.name.clone(),
            value,
        });
    }
    if !plan.refusals.is_empty() {
        return (plan, None);
    }
    frame.definition = to.clone();
    let mut moved = inst.clone();
    moved.definition = to.clone();
    moved.variables = frame.vars.to_map();
    moved.current_activities = frame
        .tokens
        .iter()
        .map(|t| t.activity_name.clone())
        .collect();
    let now = now_text(Utc::now());
    moved.updated = now.clone();
    moved.history.push(HistoryEvent {
        at: now,
        event: HistoryKind::Migrated {
            from: plan.from.hash.clone(),
            to: to.hash.clone(),
            definition: to.name.clone(),
            removed_variables: plan.removed_variables.clone(),
            added_variables: plan
                .added_variables
                .iter()
                .map(|a| a.name.clone())
                .collect(),
        },
    });
    Secrets::default().scrub_instance(&[transient::names(new)], &mut moved, &mut state);
    moved.state = serde_json::to_value(&state).unwrap_or_default();
    let moved = Moved {
        instance: moved,
        items: new_items,
    };
    (plan, Some(moved))
}

/// The new activity's manual action that takes over the waiting action `index`
/// of `old`: the one at the same index when it is manual and has the same name;
/// else the only manual action of that name; else, when both activities have
/// exactly one manual action, that one.
fn manual_counterpart(old: &Activity, index: usize, new: &Activity) -> Option<usize> {
    let is_manual = |a: &crate::model::Action| matches!(a.kind, ActionKind::Manual(_));
    let oa = old.actions.get(index).filter(|a| is_manual(a))?;
    if new
        .actions
        .get(index)
        .is_some_and(|a| is_manual(a) && a.name == oa.name)
    {
        return Some(index);
    }
    let named: Vec<usize> = (0..new.actions.len())
        .filter(|&j| {
            is_manual(&new.actions[j]) && !oa.name.is_empty() && new.actions[j].name == oa.name
        })
        .collect();
    if named.len() == 1 {
        return Some(named[0]);
    }
    let manual_old = old.actions.iter().filter(|a| is_manual(a)).count();
    let manual_new: Vec<usize> = (0..new.actions.len())
        .filter(|&j| is_manual(&new.actions[j]))
        .collect();
    (manual_old == 1 && manual_new.len() == 1).then(|| manual_new[0])
}

/// The audit line of a move: op `audit`, event `migrate`, subject the instance,
/// detail `<old hash> -> <new hash> (<definition>)`.
fn audit(services: &mut dyn Services, inst: &TaskInstance, plan: &Plan) -> Result<(), String> {
    let mut args = BTreeMap::new();
    args.insert("event".to_string(), Value::Str("migrate".into()));
    args.insert("subject".to_string(), Value::Str(inst.id.clone()));
    args.insert(
        "detail".to_string(),
        Value::Str(format!(
            "{} -> {} ({})",
            plan.from.hash, plan.to.hash, plan.to.name
        )),
    );
    let mut name = inst.name.clone();
    let mut result = inst.result.clone();
    let mut cx = CallContext {
        instance_id: &inst.id,
        instance_name: &mut name,
        case_owner: &inst.owner,
        variables: &inst.variables,
        result: &mut result,
        now: Utc::now(),
    };
    services
        .call("audit", &args, &mut cx)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Test hook: `BPE_FAULT_MIGRATE=<point>` kills this process (SIGKILL) at that
/// point of a move (`after-work-items`, `after-instance`), as a crash would.
fn fault(point: &str) {
    if std::env::var("BPE_FAULT_MIGRATE").is_ok_and(|p| p == point) {
        // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}
