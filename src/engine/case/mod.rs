//! One case (a TaskInstance being executed): scheduling of tokens, actions,
//! transitions, splits and joins, subprocess frames, manual actions, limits and
//! history. No I/O happens here: services go through [`Services`], definitions and
//! rules through [`Catalog`], and created work items are handed to the caller
//! ([`Case::take_outbox`]) to persist.
//!
//! Layout, one file per concern (after Zeebe's one processor per element kind):
//! `schedule` picks the token and runs a unit of work (enter an activity, take the
//! transitions, end a frame, finish the case); `actions` runs one action per kind and
//! completes it; `workitems` creates, completes, times out and forwards work items;
//! `scope` is the evaluator's view of the scopes and the one place variables are
//! initialised; `history` records steps and trace lines; `events` holds the plain
//! data a step reports.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};

use super::catalog::{Catalog, definition_ref};
use super::compile::{Compiled, compile};
use super::state::{EngineState, Phase, STATE_VERSION};
use crate::expr::Value;
use crate::model::{
    CompactPath, DefinitionRef, FORMAT_VERSION, HistoryEvent, HistoryKind, InstanceStatus,
    TaskDefinition, TaskInstance, TaskResult, WorkItem, new_id,
};
use crate::services::Services;

mod actions;
#[cfg(test)]
mod cost_tests;
mod events;
mod history;
mod schedule;
mod scope;
mod workitems;

use actions::Outcome;
pub use events::*;
pub use history::{instance_path, path_of};
use scope::{Fill, visible};

/// What the engine needs from its host for one step.
pub struct Runtime<'a> {
    pub services: &'a mut dyn Services,
    pub catalog: &'a mut dyn Catalog,
}

/// Why a case could not be created or resumed at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineError {
    pub message: String,
}

impl EngineError {
    pub fn new(message: impl Into<String>) -> Self {
        EngineError {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EngineError {}

/// A copy of the whole case, for stepping back. Side effects already applied through
/// services (files written, mail sent) are not undone by restoring.
#[derive(Debug, Clone)]
pub struct Snapshot {
    instance: TaskInstance,
    state: EngineState,
    outbox: Outbox,
    path: CompactPath,
    recent: Vec<history::Recorded>,
}

/// Work items created or cancelled since the last [`Case::take_outbox`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outbox {
    pub created: Vec<WorkItem>,
    /// (id, reason) of pending items withdrawn (case ended or terminated).
    pub cancelled: Vec<(String, String)>,
}

/// Options a host sets on a case.
#[derive(Debug, Clone, Default)]
pub struct CaseOptions {
    /// Ignore `executionLimit` (a debugger paused at a breakpoint should not time out).
    pub ignore_execution_limit: bool,
}

/// A case being executed.
pub struct Case {
    instance: TaskInstance,
    state: EngineState,
    compiled: HashMap<String, Arc<Compiled>>,
    /// `stack[i]` is the compiled definition of `state.frames[i]`.
    stack: Vec<Arc<Compiled>>,
    outbox: Outbox,
    run_started: Option<Instant>,
    /// History events recorded since the last sync, built into `instance.history`
    /// when the record is read (`history::Recorded`).
    recent: Vec<history::Recorded>,
    /// The compiled definitions `recent` refers to, by number (only grows).
    defs: Vec<Arc<Compiled>>,
    /// Where the `WF_ACTION_*` built-ins were last found (see `Vars::set_all`).
    builtin_slots: super::vars::Slots<4>,
    /// The time of the last history event: the next one is never earlier.
    clock_floor: SystemTime,
    /// No [`Event`] is built (set while [`Case::run_some_quietly`] runs).
    quiet: bool,
    /// Values transient variables held in this process (never written).
    secrets: super::transient::Secrets,
    /// Why the evaluator's last assignment was refused ([`check_storable`]); taken
    /// by the action (or initialisation) that made it, which then fails.
    refused: Option<String>,
    /// Activities entered, loops run-length encoded (copied to the instance on sync).
    path: CompactPath,
    /// Trace lines of the unit of work in progress, reported before its next event
    /// and at its end ([`Case::flush_trace`]).
    trace: Vec<String>,
    pub options: CaseOptions,
}

fn now_text(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The Boolean built-ins (`WF_ACTION_ERROR`, `_SUPPRESSED`, `_TIMEOUT`) are Java
/// Booleans in Waveset ("Built-In Workflow Variables": "set to true if ...").
fn b(v: bool) -> Value {
    Value::Bool(v)
}

impl Case {
    /// Start a case of `def` (pinned as `dref`) with `inputs` set before the first step.
    ///
    /// A definition that does not compile (an expression that does not parse, a
    /// transition to an unknown activity) yields a case that has already failed,
    /// with the reason recorded, so the failure is visible like any other.
    pub fn start(
        def: &TaskDefinition,
        dref: DefinitionRef,
        inputs: &BTreeMap<String, Value>,
        owner: &str,
        catalog: &dyn Catalog,
    ) -> Case {
        let compiled = compile(def, dref.clone())
            .map(Arc::new)
            .map_err(|e| e.message);
        Case::start_compiled(&def.name, dref, compiled, inputs, owner, catalog)
    }

    /// [`Case::start`] with the definition already compiled (or its compile error):
    /// a runner starting many cases of one definition (`bpe launch`) compiles it once.
    pub fn start_compiled(
        name: &str,
        dref: DefinitionRef,
        compiled: Result<Arc<Compiled>, String>,
        inputs: &BTreeMap<String, Value>,
        owner: &str,
        catalog: &dyn Catalog,
    ) -> Case {
        let now = Utc::now();
        let at = now_text(now);
        let instance = TaskInstance {
            format_version: FORMAT_VERSION,
            id: new_id("ti"),
            name: name.to_string(),
            definition: dref,
            status: InstanceStatus::Running,
            owner: owner.to_string(),
            started: at.clone(),
            updated: at.clone(),
            finished: None,
            steps: 0,
            current_activities: Vec::new(),
            variables: BTreeMap::new(),
            pending_work_items: Vec::new(),
            reason: None,
            result: TaskResult::default(),
            history: vec![HistoryEvent {
                at,
                event: HistoryKind::Started {
                    definition: name.to_string(),
                },
            }],
            history_dropped: 0,
            path: Vec::new(),
            path_dropped: 0,
            visits: BTreeMap::new(),
            state: serde_json::Value::Null,
        };
        let mut case = Case::with(instance, EngineState::empty());
        let compiled = match compiled {
            Ok(c) => c,
            Err(message) => {
                case.finish(InstanceStatus::Failed, Some(message), &mut Vec::new());
                return case;
            }
        };
        match case.push_frame(compiled, inputs, None, catalog) {
            Ok(()) => {}
            Err(e) => case.finish(InstanceStatus::Failed, Some(e), &mut Vec::new()),
        }
        case.flush_trace(&mut Vec::new());
        case.sync_instance();
        case
    }

    /// Continue a persisted case. Every frame's definition is loaded by its pinned
    /// reference, so the case resumes on the version it started with.
    pub fn resume(instance: TaskInstance, catalog: &mut dyn Catalog) -> Result<Case, EngineError> {
        let state: EngineState = if instance.state.is_null() {
            EngineState::empty()
        } else {
            serde_json::from_value(instance.state.clone()).map_err(|e| {
                EngineError::new(format!(
                    "instance {}: unreadable engine state: {e}",
                    instance.id
                ))
            })?
        };
        if state.state_version != STATE_VERSION {
            return Err(EngineError::new(format!(
                "instance {}: engine state version {} is not supported (this bpe reads {STATE_VERSION})",
                instance.id, state.state_version
            )));
        }
        let mut case = Case::with(instance, state);
        case.instance.state = serde_json::Value::Null;
        case.path = instance_path(&case.instance);
        let refs: Vec<DefinitionRef> = case
            .state
            .frames
            .iter()
            .map(|f| f.definition.clone())
            .collect();
        for r in refs {
            let c = case.compiled_for(&r, catalog)?;
            case.stack.push(c);
        }
        Ok(case)
    }

    /// A case over `instance` and `state`, with nothing compiled yet.
    fn with(instance: TaskInstance, state: EngineState) -> Case {
        Case {
            instance,
            state,
            compiled: HashMap::new(),
            stack: Vec::new(),
            outbox: Outbox::default(),
            run_started: None,
            recent: Vec::new(),
            defs: Vec::new(),
            builtin_slots: Default::default(),
            clock_floor: SystemTime::now(),
            quiet: false,
            secrets: Default::default(),
            refused: None,
            path: CompactPath::default(),
            trace: Vec::new(),
            options: CaseOptions::default(),
        }
    }

    fn compiled_for(
        &mut self,
        dref: &DefinitionRef,
        catalog: &mut dyn Catalog,
    ) -> Result<Arc<Compiled>, EngineError> {
        if let Some(c) = self.compiled.get(&dref.hash) {
            return Ok(c.clone());
        }
        let def = catalog.load(dref).map_err(EngineError::new)?;
        let c = Arc::new(
            compile(&def, dref.clone())
                .map_err(|e| EngineError::new(format!("'{}': {}", dref.name, e.message)))?,
        );
        self.compiled.insert(dref.hash.clone(), c.clone());
        Ok(c)
    }

    /// The id and activity index of token `ti` of frame `fi`.
    fn token_at(&self, fi: usize, ti: usize) -> (u64, usize) {
        let t = &self.state.frames[fi].tokens[ti];
        (t.id, t.activity)
    }

    fn frame_def(&self, frame: usize) -> Arc<Compiled> {
        // Invariant: `stack` has one entry per frame (kept by push/pop/resume/restore).
        self.stack[frame].clone()
    }

    // ---------------------------------------------------------------- accessors

    /// The TaskInstance record, with variables, current activities and state up to date.
    pub fn instance(&mut self) -> &TaskInstance {
        self.sync_instance();
        &self.instance
    }

    /// The record as a value to persist, including the serialized engine state.
    pub fn to_instance(&mut self) -> TaskInstance {
        self.sync_instance();
        let mut inst = self.instance.clone();
        let mut state = self.state.clone();
        state.elapsed_ms = self.elapsed_ms();
        let names = self.transient_names();
        for (frame, names) in self.state.frames.iter().zip(&names) {
            self.secrets.learn(names, &frame.vars);
        }
        self.secrets.scrub_instance(&names, &mut inst, &mut state);
        inst.state = if inst.status.is_finished() {
            serde_json::Value::Null
        } else {
            serde_json::to_value(&state).unwrap_or(serde_json::Value::Null)
        };
        inst
    }

    pub fn id(&self) -> &str {
        &self.instance.id
    }

    /// The transient variable names of each frame (see `engine::transient`).
    fn transient_names(&self) -> Vec<Vec<String>> {
        (0..self.state.frames.len())
            .map(|fi| super::transient::names(&self.frame_def(fi).definition))
            .collect()
    }

    pub fn status(&self) -> InstanceStatus {
        self.instance.status
    }

    pub fn is_running(&self) -> bool {
        self.instance.status == InstanceStatus::Running
    }

    pub fn state(&self) -> &EngineState {
        &self.state
    }

    /// The definition run by frame `frame`.
    pub fn definition(&self, frame: usize) -> Option<&TaskDefinition> {
        let f = self.state.frames.get(frame)?;
        self.compiled.get(&f.definition.hash).map(|c| &c.definition)
    }

    /// No work item created or cancelled since the last [`Case::take_outbox`].
    pub fn outbox_is_empty(&self) -> bool {
        self.outbox.created.is_empty() && self.outbox.cancelled.is_empty()
    }

    /// Work items created and cancelled since the last call.
    pub fn take_outbox(&mut self) -> Outbox {
        std::mem::take(&mut self.outbox)
    }

    pub fn snapshot(&self) -> Snapshot {
        let mut instance = self.instance.clone();
        instance.state = serde_json::Value::Null;
        Snapshot {
            instance,
            state: self.state.clone(),
            outbox: self.outbox.clone(),
            path: self.path.clone(),
            recent: self.recent.clone(),
        }
    }

    /// Go back to `snap` (taken from this case).
    pub fn restore(&mut self, snap: &Snapshot) {
        self.instance = snap.instance.clone();
        self.state = snap.state.clone();
        self.outbox = snap.outbox.clone();
        self.path = snap.path.clone();
        self.recent = snap.recent.clone();
        // Every version a snapshot of this case refers to was compiled before.
        self.stack = self
            .state
            .frames
            .iter()
            .filter_map(|f| self.compiled.get(&f.definition.hash).cloned())
            .collect();
    }

    fn elapsed_ms(&self) -> u64 {
        self.state.elapsed_ms
            + self
                .run_started
                .map(|s| s.elapsed().as_millis() as u64)
                .unwrap_or(0)
    }

    fn sync_instance(&mut self) {
        self.build_history();
        self.instance.path.clone_from(&self.path.entries);
        self.instance.path_dropped = self.path.dropped;
        if let Some(root) = self.state.frames.first() {
            self.instance.variables = root.vars.to_map();
        }
        let mut current = Vec::new();
        let mut pending = Vec::new();
        for f in &self.state.frames {
            for t in &f.tokens {
                current.push(t.activity_name.clone());
                if let Phase::Waiting { items, .. } = &t.phase {
                    pending.extend(items.iter().map(|i| i.id.clone()));
                }
            }
        }
        self.instance.current_activities = current;
        self.instance.pending_work_items = pending;
        self.instance.updated = now_text(Utc::now());
    }

    pub fn call_stack(&self) -> Vec<FrameInfo> {
        self.state
            .frames
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let c = self.compiled.get(&f.definition.hash);
                FrameInfo {
                    index: i,
                    process: f.definition.name.clone(),
                    steps: f.steps,
                    tokens: f
                        .tokens
                        .iter()
                        .map(|t| TokenInfo {
                            id: t.id,
                            activity: t.activity_name.clone(),
                            action: match &t.phase {
                                Phase::Action { index }
                                | Phase::Waiting { index, .. }
                                | Phase::Subprocess { index } => Some(*index),
                                _ => None,
                            },
                            action_name: match &t.phase {
                                Phase::Action { index }
                                | Phase::Waiting { index, .. }
                                | Phase::Subprocess { index } => c
                                    .and_then(|c| c.activities.get(t.activity))
                                    .and_then(|a| a.actions.get(*index))
                                    .map(|a| a.name.clone()),
                                _ => None,
                            },
                            phase: t.phase.clone(),
                        })
                        .collect(),
                }
            })
            .collect()
    }
}

/// The reference for `def`, computed (used when a host has no cache).
pub fn pin(def: &TaskDefinition) -> DefinitionRef {
    definition_ref(def)
}
