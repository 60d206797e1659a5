//! One case (a TaskInstance being executed): scheduling of tokens, actions,
//! transitions, splits and joins, subprocess frames, manual actions, limits and
//! history. No I/O happens here: services go through [`Services`], definitions and
//! rules through [`Catalog`], and created work items are handed to the caller
//! ([`Case::take_outbox`]) to persist.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};

use super::catalog::{Catalog, definition_ref};
use super::compile::{CAction, CKind, CManual, CVar, Compiled, compile};
use super::limits::{MAX_SUBPROCESS_DEPTH, check_storable};
use super::state::{CallSite, EngineState, Frame, PendingItem, Phase, STATE_VERSION, Token};
use crate::expr::{self, Env, Expr, RuleDef, Value};
use crate::model::{
    DefinitionRef, FORMAT_VERSION, HistoryEvent, HistoryKind, InstanceStatus, TaskDefinition,
    TaskInstance, TaskResult, WorkItem, new_id,
};
use crate::services::{CallContext, Services};

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

/// Something that happened during a step, for a UI to show.
/// `frame` is the index in the call stack (0 = the case's own process).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    ActivityEntered {
        frame: usize,
        token: u64,
        process: String,
        activity: String,
    },
    ActionRun {
        frame: usize,
        token: u64,
        activity: String,
        action: usize,
        kind: &'static str,
        result: Value,
        error: Option<String>,
        suppressed: bool,
        timed_out: bool,
    },
    WorkItemsCreated {
        frame: usize,
        token: u64,
        activity: String,
        action: usize,
        items: Vec<String>,
    },
    TransitionTaken {
        frame: usize,
        token: u64,
        from: String,
        to: String,
    },
    /// A token stopped at an activity with no transitions at all (implicit end of a branch).
    TokenEnded {
        frame: usize,
        token: u64,
        activity: String,
    },
    SubprocessEntered {
        frame: usize,
        process: String,
    },
    SubprocessReturned {
        frame: usize,
        process: String,
    },
    Trace {
        line: String,
    },
    Suspended,
    Resumed,
    Completed,
    Terminated {
        reason: String,
    },
    Failed {
        reason: String,
    },
}

/// How far one call to [`Case::step`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// One unit of work: entering an activity, one action, or taking transitions.
    Action,
    /// Until a transition is taken.
    Transition,
    /// Until an activity is entered.
    Activity,
}

/// What runs next, for breakpoints and "current line" displays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    Enter {
        frame: usize,
        token: u64,
        process: String,
        activity: String,
    },
    Action {
        frame: usize,
        token: u64,
        process: String,
        activity: String,
        action: usize,
    },
    Transitions {
        frame: usize,
        token: u64,
        process: String,
        activity: String,
    },
    /// No runnable token: the next step finishes or suspends the case or the subprocess.
    Settle { frame: usize },
}

/// A copy of the whole case, for stepping back. Side effects already applied through
/// services (files written, mail sent) are not undone by restoring.
#[derive(Debug, Clone)]
pub struct Snapshot {
    instance: TaskInstance,
    state: EngineState,
    outbox: Outbox,
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
    /// The last formatted timestamp and when it was taken (formatting is costly in loops).
    stamp: Option<(Instant, String)>,
    /// Values transient variables held in this process (never written).
    secrets: super::transient::Secrets,
    /// Why the evaluator's last assignment was refused ([`check_storable`]); taken
    /// by the action (or initialisation) that made it, which then fails.
    refused: Option<String>,
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
        let now = Utc::now();
        let at = now_text(now);
        let instance = TaskInstance {
            format_version: FORMAT_VERSION,
            id: new_id("ti"),
            name: def.name.clone(),
            definition: dref.clone(),
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
                    definition: def.name.clone(),
                },
            }],
            state: serde_json::Value::Null,
        };
        let mut case = Case {
            instance,
            state: EngineState {
                state_version: STATE_VERSION,
                frames: Vec::new(),
                next_token: 0,
                elapsed_ms: 0,
            },
            compiled: HashMap::new(),
            stack: Vec::new(),
            outbox: Outbox::default(),
            run_started: None,
            stamp: None,
            secrets: Default::default(),
            refused: None,
            options: CaseOptions::default(),
        };
        let compiled = match compile(def, dref) {
            Ok(c) => Arc::new(c),
            Err(e) => {
                case.finish(InstanceStatus::Failed, Some(e.message), &mut Vec::new());
                return case;
            }
        };
        let mut trace = Vec::new();
        match case.push_frame(compiled, inputs, None, catalog, &mut trace) {
            Ok(()) => {}
            Err(e) => case.finish(InstanceStatus::Failed, Some(e), &mut Vec::new()),
        }
        case.keep_trace(trace, &mut Vec::new());
        case.sync_instance();
        case
    }

    /// Continue a persisted case. Every frame's definition is loaded by its pinned
    /// reference, so the case resumes on the version it started with.
    pub fn resume(instance: TaskInstance, catalog: &mut dyn Catalog) -> Result<Case, EngineError> {
        let state: EngineState = if instance.state.is_null() {
            EngineState {
                state_version: STATE_VERSION,
                frames: Vec::new(),
                next_token: 0,
                elapsed_ms: 0,
            }
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
        let mut case = Case {
            instance,
            state,
            compiled: HashMap::new(),
            stack: Vec::new(),
            outbox: Outbox::default(),
            run_started: None,
            stamp: None,
            secrets: Default::default(),
            refused: None,
            options: CaseOptions::default(),
        };
        case.instance.state = serde_json::Value::Null;
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
        }
    }

    /// Go back to `snap` (taken from this case).
    pub fn restore(&mut self, snap: &Snapshot) {
        self.instance = snap.instance.clone();
        self.state = snap.state.clone();
        self.outbox = snap.outbox.clone();
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
        if let Some(root) = self.state.frames.first() {
            self.instance.variables = root.vars.clone();
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

    fn record(&mut self, event: HistoryKind) {
        let at = self.now_stamp();
        self.instance.history.push(HistoryEvent { at, event });
    }

    /// The current time in RFC 3339 (millisecond precision), formatted at most once a millisecond.
    fn now_stamp(&mut self) -> String {
        match &self.stamp {
            Some((taken, text)) if taken.elapsed() < Duration::from_millis(1) => text.clone(),
            _ => {
                let text = now_text(Utc::now());
                self.stamp = Some((Instant::now(), text.clone()));
                text
            }
        }
    }

    fn keep_trace(&mut self, lines: Vec<String>, ev: &mut Vec<Event>) {
        if lines.is_empty() {
            return;
        }
        let keep = self
            .state
            .frames
            .first()
            .and_then(|f| self.compiled.get(&f.definition.hash))
            .map(|c| c.definition.result_trace)
            .unwrap_or(false);
        for line in lines {
            if keep {
                self.instance.result.trace.push(line.clone());
            }
            ev.push(Event::Trace { line });
        }
    }

    // ---------------------------------------------------------------- variables

    /// Variables of frame `frame` in a scope.
    pub fn variables(&self, frame: usize, scope: Scope) -> Option<&BTreeMap<String, Value>> {
        let f = self.state.frames.get(frame)?;
        match scope {
            Scope::Case => Some(&f.vars),
            Scope::Activity(tok) => f.tokens.iter().find(|t| t.id == tok).map(|t| &t.vars),
            Scope::Action(tok) => f
                .tokens
                .iter()
                .find(|t| t.id == tok)
                .map(|t| &t.action_vars),
        }
    }

    /// Set (or create) a variable in exactly that scope. False when the frame or token does not exist.
    pub fn set_variable(&mut self, frame: usize, scope: Scope, name: &str, value: Value) -> bool {
        let Some(f) = self.state.frames.get_mut(frame) else {
            return false;
        };
        let map = match scope {
            Scope::Case => Some(&mut f.vars),
            Scope::Activity(tok) => f
                .tokens
                .iter_mut()
                .find(|t| t.id == tok)
                .map(|t| &mut t.vars),
            Scope::Action(tok) => f
                .tokens
                .iter_mut()
                .find(|t| t.id == tok)
                .map(|t| &mut t.action_vars),
        };
        match map {
            Some(m) => {
                m.insert(name.to_string(), value);
                true
            }
            None => false,
        }
    }

    /// Every variable visible to a token (or at case level when `token` is None),
    /// inner scopes shadowing outer ones.
    pub fn visible_variables(&self, frame: usize, token: Option<u64>) -> BTreeMap<String, Value> {
        let tok = token.and_then(|id| {
            self.state
                .frames
                .get(frame)?
                .tokens
                .iter()
                .position(|t| t.id == id)
        });
        visible(&self.state.frames, frame, tok)
    }

    /// Evaluate an expression in a token's scope (watch expressions, breakpoint
    /// conditions). Assignments it makes are applied.
    pub fn evaluate(
        &mut self,
        frame: usize,
        token: Option<u64>,
        expr: &Expr,
        catalog: &dyn Catalog,
    ) -> Result<Value, String> {
        if frame >= self.state.frames.len() {
            return Err(format!("no frame {frame}"));
        }
        let tok = token.and_then(|id| {
            self.state.frames[frame]
                .tokens
                .iter()
                .position(|t| t.id == id)
        });
        let mut trace = Vec::new();
        let mut env = CaseEnv {
            frames: &mut self.state.frames,
            frame,
            token: tok,
            catalog,
            trace: &mut trace,
            refused: &mut self.refused,
        };
        let v = expr::eval(expr, &mut env).map_err(|e| e.to_string())?;
        self.admit(&v)?;
        Ok(v)
    }

    /// The call stack, outermost first.
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

    // ---------------------------------------------------------------- frames

    fn push_frame(
        &mut self,
        compiled: Arc<Compiled>,
        inputs: &BTreeMap<String, Value>,
        call: Option<CallSite>,
        catalog: &dyn Catalog,
        trace: &mut Vec<String>,
    ) -> Result<(), String> {
        let is_sub = call.is_some();
        let token = Token {
            id: self.state.next_token,
            activity: compiled.start,
            activity_name: compiled.activities[compiled.start].name.clone(),
            phase: Phase::Arrived,
            vars: BTreeMap::new(),
            action_vars: BTreeMap::new(),
        };
        self.state.next_token += 1;
        let mut vars = BTreeMap::new();
        vars.insert(
            "WF_CASE_OWNER".to_string(),
            Value::Str(self.instance.owner.clone()),
        );
        vars.insert("WF_CASE_RESULT".to_string(), Value::Null);
        for w in [
            "WF_ACTION_ERROR",
            "WF_ACTION_RESULT",
            "WF_ACTION_SUPPRESSED",
            "WF_ACTION_TIMEOUT",
        ] {
            vars.insert(w.to_string(), Value::Null);
        }
        let externals: Vec<String> = if is_sub {
            compiled
                .vars
                .iter()
                .filter(|v| v.external)
                .map(|v| v.name.clone())
                .collect()
        } else {
            Vec::new()
        };
        self.state.frames.push(Frame {
            definition: compiled.dref.clone(),
            vars,
            externals,
            tokens: vec![token],
            cursor: 0,
            steps: 0,
            call,
        });
        self.compiled
            .insert(compiled.dref.hash.clone(), compiled.clone());
        self.stack.push(compiled.clone());
        let fi = self.state.frames.len() - 1;
        // Declared variables, in order, then inputs over them.
        for v in &compiled.vars {
            if is_sub && v.external {
                continue;
            }
            let value = match (inputs.get(&v.name), &v.init) {
                (Some(i), _) => i.clone(),
                (None, Some(e)) => {
                    let mut env = CaseEnv {
                        frames: &mut self.state.frames,
                        frame: fi,
                        token: None,
                        catalog,
                        trace,
                        refused: &mut self.refused,
                    };
                    expr::eval(e, &mut env)
                        .map_err(|err| err.to_string())
                        .and_then(|value| self.admit(&value).map(|()| value))
                        .map_err(|err| {
                            format!(
                                "'{}': initial value of variable '{}': {err}",
                                compiled.definition.name, v.name
                            )
                        })?
                }
                (None, None) => Value::Null,
            };
            self.state.frames[fi].vars.insert(v.name.clone(), value);
        }
        for (k, v) in inputs {
            if is_sub && self.state.frames[fi].externals.contains(k) {
                continue;
            }
            check_storable(v)
                .map_err(|err| format!("'{}': input '{k}': {err}", compiled.definition.name))?;
            self.state.frames[fi].vars.insert(k.clone(), v.clone());
        }
        Ok(())
    }

    // ---------------------------------------------------------------- scheduling

    fn runnable(&self, frame: usize, ti: usize, force_join: bool) -> bool {
        let f = &self.state.frames[frame];
        let t = &f.tokens[ti];
        match t.phase {
            Phase::Action { .. } | Phase::Transitions => true,
            Phase::Waiting { .. } | Phase::Subprocess { .. } => false,
            Phase::Arrived => {
                let c = self.frame_def(frame);
                if !c.activities[t.activity].and_join || force_join {
                    return true;
                }
                // Synchronizing merge: wait while any other live token can still get here.
                f.tokens.iter().enumerate().all(|(j, u)| {
                    j == ti
                        || (u.activity == t.activity && u.phase == Phase::Arrived)
                        || !c.reaches(u.activity, t.activity)
                })
            }
        }
    }

    fn pick(&self, frame: usize, force_join: bool) -> Option<usize> {
        let f = &self.state.frames[frame];
        let n = f.tokens.len();
        (0..n)
            .map(|k| (f.cursor + k) % n)
            .find(|&i| self.runnable(frame, i, force_join))
    }

    /// What the next [`Case::step`] of granularity `Action` will do.
    pub fn next_step(&self) -> Option<NextStep> {
        if !self.is_running() || self.state.frames.is_empty() {
            return None;
        }
        let fi = self.state.frames.len() - 1;
        let ti = match self.pick(fi, false) {
            Some(t) => t,
            None => return Some(NextStep::Settle { frame: fi }),
        };
        let c = self.frame_def(fi);
        let t = &self.state.frames[fi].tokens[ti];
        let process = c.dref.name.clone();
        let activity = t.activity_name.clone();
        Some(match t.phase {
            Phase::Arrived => NextStep::Enter {
                frame: fi,
                token: t.id,
                process,
                activity,
            },
            Phase::Action { index } => NextStep::Action {
                frame: fi,
                token: t.id,
                process,
                activity,
                action: index,
            },
            _ => NextStep::Transitions {
                frame: fi,
                token: t.id,
                process,
                activity,
            },
        })
    }

    /// Run until the case is no longer running (completed, suspended, terminated, failed).
    /// Returns the events of the last unit of work (the history has all of them).
    pub fn run(&mut self, rt: &mut Runtime<'_>) -> Vec<Event> {
        let mut ev = Vec::new();
        while self.is_running() {
            ev.clear();
            self.micro(rt, &mut ev);
        }
        ev
    }

    /// Run at most `max_units` units of work, then return (so a host can persist
    /// progress or react). Events are appended to `ev`.
    pub fn run_some(&mut self, rt: &mut Runtime<'_>, max_units: usize, ev: &mut Vec<Event>) {
        for _ in 0..max_units {
            if !self.is_running() {
                break;
            }
            self.micro(rt, ev);
        }
    }

    /// One step of the given granularity, stepping into subprocesses.
    pub fn step(&mut self, rt: &mut Runtime<'_>, g: Granularity) -> Vec<Event> {
        self.step_within(rt, g, usize::MAX)
    }

    /// Like [`Case::step`], but a subprocess call counts as one action of the current frame.
    pub fn step_over(&mut self, rt: &mut Runtime<'_>, g: Granularity) -> Vec<Event> {
        let depth = self.state.frames.len().saturating_sub(1);
        self.step_within(rt, g, depth)
    }

    /// Run until the current subprocess returns to its caller (or the case stops).
    /// In the case's own process this runs to the end.
    pub fn step_out(&mut self, rt: &mut Runtime<'_>) -> Vec<Event> {
        let depth = self.state.frames.len();
        let mut ev = Vec::new();
        while self.is_running() && self.state.frames.len() >= depth {
            self.micro(rt, &mut ev);
        }
        ev
    }

    fn step_within(
        &mut self,
        rt: &mut Runtime<'_>,
        g: Granularity,
        max_frame: usize,
    ) -> Vec<Event> {
        let mut ev = Vec::new();
        while self.is_running() {
            let from = ev.len();
            self.micro(rt, &mut ev);
            let deep = self.state.frames.len().saturating_sub(1) > max_frame;
            let hit = ev[from..].iter().any(|e| match (g, e) {
                (_, Event::Trace { .. }) => false,
                (Granularity::Action, Event::SubprocessEntered { frame, .. }) => {
                    max_frame == usize::MAX || *frame <= max_frame
                }
                (Granularity::Action, e) => event_frame(e).is_none_or(|f| f <= max_frame),
                (Granularity::Transition, Event::TransitionTaken { frame, .. }) => {
                    *frame <= max_frame
                }
                (Granularity::Activity, Event::ActivityEntered { frame, .. }) => {
                    *frame <= max_frame
                }
                _ => false,
            });
            if hit && !deep {
                break;
            }
        }
        ev
    }

    /// Run until `stop` returns true after a unit of work, or the case stops running.
    pub fn run_until(
        &mut self,
        rt: &mut Runtime<'_>,
        mut stop: impl FnMut(&Case, &[Event]) -> bool,
    ) -> Vec<Event> {
        let mut ev = Vec::new();
        while self.is_running() {
            let from = ev.len();
            self.micro(rt, &mut ev);
            if stop(self, &ev[from..]) {
                break;
            }
        }
        ev
    }

    /// One unit of work.
    fn micro(&mut self, rt: &mut Runtime<'_>, ev: &mut Vec<Event>) {
        if !self.is_running() {
            return;
        }
        if self.state.frames.is_empty() {
            self.finish(InstanceStatus::Completed, None, ev);
            return;
        }
        let started = *self.run_started.get_or_insert_with(Instant::now);
        let root = self.frame_def(0);
        let limit = root.definition.execution_limit;
        if limit > 0 && !self.options.ignore_execution_limit {
            let elapsed = Duration::from_millis(self.state.elapsed_ms) + started.elapsed();
            if elapsed > Duration::from_secs(limit as u64) {
                self.finish(
                    InstanceStatus::Terminated,
                    Some(format!("executionLimit of {limit} seconds exceeded")),
                    ev,
                );
                return;
            }
        }
        let fi = self.state.frames.len() - 1;
        let ti = match self.pick(fi, false) {
            Some(t) => t,
            None => {
                self.settle(fi, rt, ev);
                return;
            }
        };
        self.advance(fi, ti, rt, ev);
    }

    /// No token of the top frame can run.
    fn settle(&mut self, fi: usize, rt: &mut Runtime<'_>, ev: &mut Vec<Event>) {
        let f = &self.state.frames[fi];
        if f.tokens
            .iter()
            .any(|t| matches!(t.phase, Phase::Waiting { .. }))
        {
            self.instance.status = InstanceStatus::Suspended;
            self.record(HistoryKind::Suspended {});
            self.sync_instance();
            ev.push(Event::Suspended);
            return;
        }
        if f.tokens.is_empty() {
            // WCP-11: nothing left to do.
            self.end_frame(fi, rt, ev);
            return;
        }
        // Only andJoins waiting on each other: release the first so the case cannot deadlock.
        if let Some(ti) = self.pick(fi, true) {
            self.advance(fi, ti, rt, ev);
        } else {
            self.finish(
                InstanceStatus::Failed,
                Some("no token can proceed".to_string()),
                ev,
            );
        }
    }

    fn advance(&mut self, fi: usize, ti: usize, rt: &mut Runtime<'_>, ev: &mut Vec<Event>) {
        let phase = self.state.frames[fi].tokens[ti].phase.clone();
        match phase {
            Phase::Arrived => self.enter(fi, ti, rt, ev),
            Phase::Action { index } => self.run_action(fi, ti, index, rt, ev),
            Phase::Transitions => self.take_transitions(fi, ti, rt, ev),
            Phase::Waiting { .. } | Phase::Subprocess { .. } => {}
        }
    }

    fn enter(&mut self, fi: usize, ti: usize, rt: &mut Runtime<'_>, ev: &mut Vec<Event>) {
        let c = self.frame_def(fi);
        let (tid, ai) = {
            let t = &self.state.frames[fi].tokens[ti];
            (t.id, t.activity)
        };
        let act = &c.activities[ai];
        self.record(HistoryKind::ActivityEntered {
            activity: act.name.clone(),
            activity_id: act.id.clone(),
        });
        ev.push(Event::ActivityEntered {
            frame: fi,
            token: tid,
            process: c.dref.name.clone(),
            activity: act.name.clone(),
        });
        if act.is_end {
            self.end_frame(fi, rt, ev);
            return;
        }
        let mut ti = ti;
        if act.and_join {
            // The tokens waiting here merge into this one.
            let f = &mut self.state.frames[fi];
            f.tokens
                .retain(|u| u.id == tid || !(u.activity == ai && u.phase == Phase::Arrived));
            ti = f.tokens.iter().position(|u| u.id == tid).unwrap_or(0);
            if f.cursor > f.tokens.len() {
                f.cursor = 0;
            }
        }
        self.state.frames[fi].cursor = ti;
        // Activity-scoped variables, evaluated in the token's scope.
        let mut trace = Vec::new();
        for v in &act.vars {
            if v.external {
                continue;
            }
            let value = match &v.init {
                Some(e) => {
                    let mut env = CaseEnv {
                        frames: &mut self.state.frames,
                        frame: fi,
                        token: Some(ti),
                        catalog: &*rt.catalog,
                        trace: &mut trace,
                        refused: &mut self.refused,
                    };
                    let r = expr::eval(e, &mut env).map_err(|err| err.to_string());
                    match r.and_then(|value| self.admit(&value).map(|()| value)) {
                        Ok(v) => v,
                        Err(err) => {
                            self.keep_trace(trace, ev);
                            self.finish(
                                InstanceStatus::Failed,
                                Some(format!(
                                    "activity '{}': initial value of variable '{}': {err}",
                                    act.name, v.name
                                )),
                                ev,
                            );
                            return;
                        }
                    }
                }
                None => Value::Null,
            };
            self.state.frames[fi].tokens[ti]
                .vars
                .insert(v.name.clone(), value);
        }
        self.keep_trace(trace, ev);
        self.state.frames[fi].tokens[ti].phase = if act.actions.is_empty() {
            Phase::Transitions
        } else {
            Phase::Action { index: 0 }
        };
    }

    fn env<'s>(
        &'s mut self,
        fi: usize,
        ti: usize,
        catalog: &'s dyn Catalog,
        trace: &'s mut Vec<String>,
    ) -> CaseEnv<'s> {
        CaseEnv {
            frames: &mut self.state.frames,
            frame: fi,
            token: Some(ti),
            catalog,
            trace,
            refused: &mut self.refused,
        }
    }

    /// Whether a value the evaluator produced may enter the case: no assignment
    /// made during the evaluation was refused, and `v` itself is storable.
    fn admit(&mut self, v: &Value) -> Result<(), String> {
        if let Some(why) = self.refused.take() {
            return Err(why);
        }
        check_storable(v)
    }

    fn run_action(
        &mut self,
        fi: usize,
        ti: usize,
        index: usize,
        rt: &mut Runtime<'_>,
        ev: &mut Vec<Event>,
    ) {
        let c = self.frame_def(fi);
        let ai = self.state.frames[fi].tokens[ti].activity;
        let Some(action) = c.activities[ai].actions.get(index) else {
            self.state.frames[fi].tokens[ti].phase = Phase::Transitions;
            return;
        };
        let mut trace = Vec::new();
        // Action-local variables.
        self.state.frames[fi].tokens[ti].action_vars.clear();
        if let Err(e) = self.init_vars(fi, ti, &action.vars, &*rt.catalog, &mut trace) {
            self.keep_trace(trace, ev);
            self.complete_action(fi, ti, index, Outcome::error(e), rt, ev);
            return;
        }
        if let Some(cond) = &action.cond {
            let r = expr::eval(cond, &mut self.env(fi, ti, &*rt.catalog, &mut trace));
            match r {
                Ok(v) if v.is_true() => {}
                Ok(_) => {
                    self.keep_trace(trace, ev);
                    let o = Outcome {
                        suppressed: true,
                        ..Outcome::ok(Value::Null)
                    };
                    self.complete_action(fi, ti, index, o, rt, ev);
                    return;
                }
                Err(e) => {
                    self.keep_trace(trace, ev);
                    let o = Outcome::error(format!("condition: {e}"));
                    self.complete_action(fi, ti, index, o, rt, ev);
                    return;
                }
            }
        }
        let outcome = match &action.kind {
            CKind::Expression(e) => {
                match expr::eval(e, &mut self.env(fi, ti, &*rt.catalog, &mut trace)) {
                    Ok(v) => Outcome::ok(v),
                    Err(e) => Outcome::error(e.to_string()),
                }
            }
            CKind::Service { op, args } => {
                match self.eval_args(fi, ti, args, &*rt.catalog, &mut trace) {
                    Err(e) => Outcome::error(e),
                    Ok(args) => self.call_service(fi, ti, op, &args, rt),
                }
            }
            CKind::Unsupported(reason) => Outcome::error(format!(
                "bpe cannot run this action: {reason} (it was kept verbatim from a Waveset import; rewrite it as an expression, service, subprocess or manual action)"
            )),
            CKind::Command(cmd) => {
                let mut argv = Vec::with_capacity(cmd.argv.len());
                let mut failed = None;
                for a in &cmd.argv {
                    match expr::eval(a, &mut self.env(fi, ti, &*rt.catalog, &mut trace)) {
                        Ok(v) => argv.push(v.to_text()),
                        Err(e) => {
                            failed = Some(format!("argv: {e}"));
                            break;
                        }
                    }
                }
                match failed {
                    Some(e) => Outcome::error(e),
                    None => self.run_command(fi, ti, cmd, &argv, rt, &mut trace),
                }
            }
            CKind::Subprocess { process, args } => {
                let args = match self.eval_args(fi, ti, args, &*rt.catalog, &mut trace) {
                    Ok(a) => a,
                    Err(e) => {
                        self.keep_trace(trace, ev);
                        self.complete_action(fi, ti, index, Outcome::error(e), rt, ev);
                        return;
                    }
                };
                self.keep_trace(trace, ev);
                self.call_subprocess(fi, ti, index, process, args, rt, ev);
                return;
            }
            CKind::Manual(_) if self.refused.is_some() => {
                Outcome::error(self.refused.take().unwrap_or_default())
            }
            CKind::Manual(m) => {
                self.keep_trace(Vec::new(), ev);
                match self.create_work_items(fi, ti, index, m, rt, &mut trace) {
                    Ok(()) => {
                        self.keep_trace(trace, ev);
                        let (tid, items) = {
                            let t = &self.state.frames[fi].tokens[ti];
                            let items = match &t.phase {
                                Phase::Waiting { items, .. } => {
                                    items.iter().map(|i| i.id.clone()).collect()
                                }
                                _ => Vec::new(),
                            };
                            (t.id, items)
                        };
                        ev.push(Event::WorkItemsCreated {
                            frame: fi,
                            token: tid,
                            activity: c.activities[ai].name.clone(),
                            action: index,
                            items,
                        });
                        return;
                    }
                    Err(e) => Outcome::error(e),
                }
            }
        };
        self.keep_trace(trace, ev);
        self.complete_action(fi, ti, index, outcome, rt, ev);
    }

    fn init_vars(
        &mut self,
        fi: usize,
        ti: usize,
        vars: &[CVar],
        catalog: &dyn Catalog,
        trace: &mut Vec<String>,
    ) -> Result<(), String> {
        for v in vars {
            if v.external {
                continue;
            }
            let value = match &v.init {
                Some(e) => expr::eval(e, &mut self.env(fi, ti, catalog, trace))
                    .map_err(|err| err.to_string())
                    .and_then(|value| self.admit(&value).map(|()| value))
                    .map_err(|err| format!("initial value of variable '{}': {err}", v.name))?,
                None => Value::Null,
            };
            self.state.frames[fi].tokens[ti]
                .action_vars
                .insert(v.name.clone(), value);
        }
        Ok(())
    }

    fn eval_args(
        &mut self,
        fi: usize,
        ti: usize,
        args: &[(String, Expr)],
        catalog: &dyn Catalog,
        trace: &mut Vec<String>,
    ) -> Result<BTreeMap<String, Value>, String> {
        let mut out = BTreeMap::new();
        for (name, e) in args {
            let v = expr::eval(e, &mut self.env(fi, ti, catalog, trace))
                .map_err(|err| err.to_string())
                .and_then(|v| self.admit(&v).map(|()| v))
                .map_err(|err| format!("argument '{name}': {err}"))?;
            out.insert(name.clone(), v);
        }
        Ok(out)
    }

    fn run_command(
        &mut self,
        fi: usize,
        ti: usize,
        cmd: &super::compile::CCommand,
        argv: &[String],
        rt: &mut Runtime<'_>,
        trace: &mut Vec<String>,
    ) -> Outcome {
        let timeout = Duration::from_secs(cmd.timeout_secs.max(0) as u64);
        let cap = cmd.output_cap.max(0) as usize;
        match rt.services.run_command(argv, timeout, cap) {
            Err(e) => Outcome::error(e.message),
            Ok(out) => {
                let mut env = self.env(fi, ti, &*rt.catalog, trace);
                if let Some(to) = &cmd.exit_code_to {
                    env.set_var(to, Value::Int(out.exit_code));
                }
                if let Some(to) = &cmd.output_to {
                    env.set_var(to, Value::Str(out.stdout.clone()));
                }
                if out.timed_out {
                    Outcome::error(format!(
                        "command '{}' timed out after {} seconds",
                        argv.first().map(String::as_str).unwrap_or(""),
                        cmd.timeout_secs
                    ))
                } else if out.exit_code != 0 {
                    let mut msg = format!(
                        "command '{}' exited with code {}",
                        argv.first().map(String::as_str).unwrap_or(""),
                        out.exit_code
                    );
                    let err = out.stderr.trim();
                    if !err.is_empty() {
                        msg.push_str(": ");
                        msg.push_str(err);
                    }
                    Outcome {
                        result: Value::Int(out.exit_code),
                        ..Outcome::error(msg)
                    }
                } else {
                    Outcome::ok(Value::Int(out.exit_code))
                }
            }
        }
    }

    /// Run a WorkflowServices op with evaluated arguments; `WF_CASE_RESULT` follows
    /// the task result.
    fn call_service(
        &mut self,
        fi: usize,
        ti: usize,
        op: &str,
        args: &BTreeMap<String, Value>,
        rt: &mut Runtime<'_>,
    ) -> Outcome {
        let variables = visible(&self.state.frames, fi, Some(ti));
        let mut cx = CallContext {
            instance_id: &self.instance.id,
            instance_name: &mut self.instance.name,
            case_owner: &self.instance.owner,
            variables: &variables,
            result: &mut self.instance.result,
            now: Utc::now(),
        };
        let r = rt.services.call(op, args, &mut cx);
        let case_result = result_value(&self.instance.result);
        self.state.frames[0]
            .vars
            .insert("WF_CASE_RESULT".to_string(), case_result);
        match r {
            Ok(v) => Outcome::ok(v),
            Err(e) => Outcome::error(e.message),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn call_subprocess(
        &mut self,
        fi: usize,
        ti: usize,
        index: usize,
        process: &str,
        args: BTreeMap<String, Value>,
        rt: &mut Runtime<'_>,
        ev: &mut Vec<Event>,
    ) {
        if self.state.frames.len() >= MAX_SUBPROCESS_DEPTH {
            let chain: Vec<&str> = self
                .state
                .frames
                .iter()
                .map(|f| f.definition.name.as_str())
                .chain([process])
                .collect();
            let o = Outcome::error(format!(
                "subprocess '{process}': calls nested deeper than {MAX_SUBPROCESS_DEPTH} processes: {}",
                chain.join(" -> ")
            ));
            self.complete_action(fi, ti, index, o, rt, ev);
            return;
        }
        let (dref, def) = match rt.catalog.resolve(process) {
            Ok(x) => x,
            Err(e) => {
                // Waveset's built-in task subprocesses (`<Action process='Rename Task'>`)
                // run as the matching service op unless the repository defines one.
                let o = match crate::services::ops::builtin_task_op(process) {
                    Some(op) => self.call_service(fi, ti, op, &args, rt),
                    None => Outcome::error(e),
                };
                self.complete_action(fi, ti, index, o, rt, ev);
                return;
            }
        };
        let compiled = match self.compiled.get(&dref.hash) {
            Some(c) => c.clone(),
            None => match compile(&def, dref.clone()) {
                Ok(c) => Arc::new(c),
                Err(e) => {
                    let o = Outcome::error(format!("subprocess '{process}': {}", e.message));
                    self.complete_action(fi, ti, index, o, rt, ev);
                    return;
                }
            },
        };
        let tid = self.state.frames[fi].tokens[ti].id;
        self.state.frames[fi].tokens[ti].phase = Phase::Subprocess { index };
        self.record(HistoryKind::SubprocessEntered {
            process: process.to_string(),
        });
        ev.push(Event::SubprocessEntered {
            frame: fi + 1,
            process: process.to_string(),
        });
        let mut trace = Vec::new();
        let call = CallSite {
            token: tid,
            action: index,
        };
        let pushed = self.push_frame(compiled, &args, Some(call), &*rt.catalog, &mut trace);
        self.keep_trace(trace, ev);
        if let Err(e) = pushed {
            self.state.frames.pop();
            self.stack.pop();
            self.record(HistoryKind::SubprocessReturned {
                process: process.to_string(),
            });
            ev.push(Event::SubprocessReturned {
                frame: fi + 1,
                process: process.to_string(),
            });
            self.complete_action(fi, ti, index, Outcome::error(e), rt, ev);
        }
    }

    fn create_work_items(
        &mut self,
        fi: usize,
        ti: usize,
        index: usize,
        m: &CManual,
        rt: &mut Runtime<'_>,
        trace: &mut Vec<String>,
    ) -> Result<(), String> {
        let mut owners = Vec::new();
        for o in &m.owners {
            let v = expr::eval(o, &mut self.env(fi, ti, &*rt.catalog, trace))
                .map_err(|e| format!("owner: {e}"))?;
            match v {
                Value::List(l) => owners.extend(l.iter().map(Value::to_text)),
                Value::Null => {}
                other => owners.push(other.to_text()),
            }
        }
        owners.retain(|o| !o.trim().is_empty());
        if owners.is_empty() {
            return Err("manual action has no owner (the owner expressions gave nothing)".into());
        }
        let request = match &m.request {
            Some(e) => expr::eval(e, &mut self.env(fi, ti, &*rt.catalog, trace))
                .map_err(|e| format!("request: {e}"))?
                .to_text(),
            None => String::new(),
        };
        let mut vars = visible(&self.state.frames, fi, Some(ti));
        if !m.exposed.is_empty() {
            vars.retain(|k, _| m.exposed.contains(k));
            for name in &m.exposed {
                vars.entry(name.clone()).or_insert(Value::Null);
            }
        }
        vars.retain(|k, _| !k.starts_with("WF_"));
        let transient = super::transient::names(&self.frame_def(fi).definition);
        self.secrets.learn(&transient, &self.state.frames[fi].vars);
        self.secrets.clear_vars(&transient, &mut vars);
        let now = Utc::now();
        let created = now_text(now);
        let timeout_at = (m.timeout_minutes > 0)
            .then(|| now_text(now + chrono::Duration::minutes(m.timeout_minutes)));
        let c = self.frame_def(fi);
        let ai = self.state.frames[fi].tokens[ti].activity;
        let act = &c.activities[ai];
        let mut pending = Vec::new();
        for owner in owners {
            let item = WorkItem {
                format_version: FORMAT_VERSION,
                id: new_id("wi"),
                instance: self.instance.id.clone(),
                definition: c.dref.clone(),
                activity: act.name.clone(),
                activity_id: act.id.clone(),
                action: index,
                owner: owner.clone(),
                item_type: m.item_type.clone(),
                request: request.clone(),
                description: m.description.clone(),
                created: created.clone(),
                timeout_at: timeout_at.clone(),
                variables: vars.clone(),
                editable_variables: m.editable.clone(),
                complete: false,
                decision: None,
                comment: String::new(),
                completed: None,
                forwarded: Vec::new(),
            };
            self.record(HistoryKind::WorkItemCreated {
                work_item: item.id.clone(),
                owner: owner.clone(),
            });
            pending.push(PendingItem {
                id: item.id.clone(),
                owner,
            });
            self.outbox.created.push(item);
        }
        self.state.frames[fi].tokens[ti].phase = Phase::Waiting {
            index,
            items: pending,
            timeout_at,
        };
        Ok(())
    }

    /// Finish action `index` of token `ti`: built-ins, history, returns, next phase.
    fn complete_action(
        &mut self,
        fi: usize,
        ti: usize,
        index: usize,
        o: Outcome,
        rt: &mut Runtime<'_>,
        ev: &mut Vec<Event>,
    ) {
        // An assignment refused while the action ran, or a result too big or deep
        // to keep, fails the action.
        let o = match self.admit(&o.result) {
            Ok(()) => o,
            Err(why) => Outcome::error(why),
        };
        let c = self.frame_def(fi);
        let (tid, ai) = {
            let t = &self.state.frames[fi].tokens[ti];
            (t.id, t.activity)
        };
        let act = &c.activities[ai];
        let action: &CAction = &act.actions[index];
        let result = match &o.error {
            Some(msg) if o.result.is_null() => Value::Str(msg.clone()),
            _ => o.result.clone(),
        };
        {
            let vars = &mut self.state.frames[fi].vars;
            set_builtin(vars, "WF_ACTION_ERROR", b(o.error.is_some()));
            set_builtin(vars, "WF_ACTION_RESULT", result.clone());
            set_builtin(vars, "WF_ACTION_SUPPRESSED", b(o.suppressed));
            set_builtin(vars, "WF_ACTION_TIMEOUT", b(o.timed_out));
        }
        if let Some(msg) = &o.error {
            let label = if action.name.is_empty() {
                format!("action {}", index + 1)
            } else {
                format!("action '{}'", action.name)
            };
            self.instance
                .result
                .errors
                .push(format!("{} / {label}: {msg}", act.name));
        }
        self.record(HistoryKind::ActionRun {
            activity: act.name.clone(),
            action: index,
            kind: action.label().to_string(),
            result: (!o.suppressed && !result.is_null()).then(|| result.clone()),
            error: o.error.clone(),
            suppressed: o.suppressed,
        });
        ev.push(Event::ActionRun {
            frame: fi,
            token: tid,
            activity: act.name.clone(),
            action: index,
            kind: action.label(),
            result,
            error: o.error,
            suppressed: o.suppressed,
            timed_out: o.timed_out,
        });
        // `returns`: read in the action's scope (or from the subprocess), write outside it.
        let mut copies = Vec::new();
        if !o.suppressed {
            for (from, to) in &action.returns {
                let v = match &o.sub_vars {
                    Some(sv) => sv.get(from).cloned().unwrap_or(Value::Null),
                    None => {
                        let mut trace = Vec::new();
                        self.env(fi, ti, &*rt.catalog, &mut trace)
                            .get_var(from)
                            .unwrap_or(Value::Null)
                    }
                };
                copies.push((to.clone(), v));
            }
            if let Some(outputs) = &o.outputs {
                for (k, v) in outputs {
                    copies.push((k.clone(), v.clone()));
                }
            }
        }
        self.state.frames[fi].tokens[ti].action_vars.clear();
        let mut trace = Vec::new();
        for (to, v) in copies {
            self.env(fi, ti, &*rt.catalog, &mut trace).set_var(&to, v);
        }
        if let Some(why) = self.refused.take() {
            self.instance
                .result
                .errors
                .push(format!("{}: {why}", act.name));
        }
        self.state.frames[fi].tokens[ti].phase = if index + 1 < act.actions.len() {
            Phase::Action { index: index + 1 }
        } else {
            Phase::Transitions
        };
    }

    fn take_transitions(
        &mut self,
        fi: usize,
        ti: usize,
        rt: &mut Runtime<'_>,
        ev: &mut Vec<Event>,
    ) {
        let c = self.frame_def(fi);
        let (tid, ai) = {
            let t = &self.state.frames[fi].tokens[ti];
            (t.id, t.activity)
        };
        let act = &c.activities[ai];
        if act.transitions.is_empty() {
            // A branch with nowhere to go ends here (WCP-11 when it was the last one).
            self.state.frames[fi].tokens.remove(ti);
            let f = &mut self.state.frames[fi];
            f.cursor = if f.tokens.is_empty() {
                0
            } else {
                ti % f.tokens.len()
            };
            ev.push(Event::TokenEnded {
                frame: fi,
                token: tid,
                activity: act.name.clone(),
            });
            return;
        }
        let mut targets = Vec::new();
        let mut trace = Vec::new();
        for t in &act.transitions {
            let ok = match &t.cond {
                None => true,
                Some(e) => match expr::eval(e, &mut self.env(fi, ti, &*rt.catalog, &mut trace))
                    .map_err(|err| err.to_string())
                    .and_then(|v| self.admit(&Value::Null).map(|()| v))
                {
                    Ok(v) => v.is_true(),
                    Err(err) => {
                        self.keep_trace(trace, ev);
                        let reason = format!(
                            "activity '{}': condition of the transition to '{}': {err}",
                            act.name, c.activities[t.to].name
                        );
                        self.finish(InstanceStatus::Failed, Some(reason), ev);
                        return;
                    }
                },
            };
            if ok {
                targets.push(t.to);
                if !act.and_split {
                    break;
                }
            }
        }
        self.keep_trace(trace, ev);
        if targets.is_empty() {
            let reason = format!(
                "activity '{}' in '{}': no transition matches",
                act.name, c.dref.name
            );
            self.finish(InstanceStatus::Failed, Some(reason), ev);
            return;
        }
        let mut new_tokens = Vec::with_capacity(targets.len());
        for (k, &to) in targets.iter().enumerate() {
            let id = if k == 0 {
                tid
            } else {
                self.state.next_token += 1;
                self.state.next_token - 1
            };
            new_tokens.push(Token {
                id,
                activity: to,
                activity_name: c.activities[to].name.clone(),
                phase: Phase::Arrived,
                vars: BTreeMap::new(),
                action_vars: BTreeMap::new(),
            });
            self.record(HistoryKind::TransitionTaken {
                from: act.name.clone(),
                to: c.activities[to].name.clone(),
            });
            ev.push(Event::TransitionTaken {
                frame: fi,
                token: id,
                from: act.name.clone(),
                to: c.activities[to].name.clone(),
            });
        }
        let n = new_tokens.len();
        let f = &mut self.state.frames[fi];
        f.tokens.splice(ti..ti + 1, new_tokens);
        f.cursor = (ti + n) % f.tokens.len().max(1);
        // maxSteps: every frame on the stack counts the steps of the frames above it.
        self.instance.steps += n as i64;
        let mut exceeded = None;
        for k in (0..=fi).rev() {
            self.state.frames[k].steps += n as i64;
            let max = self.frame_def(k).max_steps;
            if self.state.frames[k].steps > max && exceeded.is_none() {
                exceeded = Some(format!(
                    "maxSteps of {max} exceeded in '{}'",
                    self.state.frames[k].definition.name
                ));
            }
        }
        if let Some(reason) = exceeded {
            self.finish(InstanceStatus::Terminated, Some(reason), ev);
        }
    }

    /// The top frame reached `end` or ran out of tokens.
    fn end_frame(&mut self, fi: usize, rt: &mut Runtime<'_>, ev: &mut Vec<Event>) {
        // WCP-43: other tokens are withdrawn, their work items cancelled.
        let tokens = std::mem::take(&mut self.state.frames[fi].tokens);
        for t in &tokens {
            if let Phase::Waiting { items, .. } = &t.phase {
                for i in items {
                    self.outbox.cancelled.push((
                        i.id.clone(),
                        "withdrawn: the process reached its end".to_string(),
                    ));
                }
            }
        }
        if fi == 0 {
            self.finish(InstanceStatus::Completed, None, ev);
            return;
        }
        let frame = self.state.frames.pop().expect("fi > 0 is on the stack");
        let c = self.stack.pop().expect("one compiled definition per frame");
        let process = frame.definition.name.clone();
        self.record(HistoryKind::SubprocessReturned {
            process: process.clone(),
        });
        ev.push(Event::SubprocessReturned { frame: fi, process });
        let Some(call) = frame.call else { return };
        let parent = fi - 1;
        let Some(pti) = self.state.frames[parent]
            .tokens
            .iter()
            .position(|t| t.id == call.token)
        else {
            return;
        };
        let outputs: BTreeMap<String, Value> = c
            .vars
            .iter()
            .filter(|v| v.output)
            .map(|v| {
                (
                    v.name.clone(),
                    frame.vars.get(&v.name).cloned().unwrap_or(Value::Null),
                )
            })
            .collect();
        let o = Outcome {
            result: Value::Map(outputs.clone()),
            outputs: Some(outputs),
            sub_vars: Some(frame.vars),
            ..Outcome::ok(Value::Null)
        };
        self.complete_action(parent, pti, call.action, o, rt, ev);
    }

    fn finish(&mut self, status: InstanceStatus, reason: Option<String>, ev: &mut Vec<Event>) {
        for f in &mut self.state.frames {
            for t in f.tokens.drain(..) {
                if let Phase::Waiting { items, .. } = t.phase {
                    for i in items {
                        self.outbox
                            .cancelled
                            .push((i.id, format!("withdrawn: the case is {}", status.as_str())));
                    }
                }
            }
        }
        self.state.frames.truncate(1);
        self.stack.truncate(1);
        self.state.elapsed_ms = self.elapsed_ms();
        self.run_started = None;
        self.instance.status = status;
        self.instance.reason = reason.clone();
        self.instance.finished = Some(now_text(Utc::now()));
        self.record(HistoryKind::Finished {
            status,
            reason: reason.clone(),
        });
        self.sync_instance();
        ev.push(match status {
            InstanceStatus::Completed => Event::Completed,
            InstanceStatus::Terminated => Event::Terminated {
                reason: reason.unwrap_or_default(),
            },
            _ => Event::Failed {
                reason: reason.unwrap_or_default(),
            },
        });
    }

    /// Stop the case (an operator's Terminate): pending work items are cancelled.
    pub fn terminate(&mut self, reason: &str) -> Vec<Event> {
        let mut ev = Vec::new();
        if !self.instance.status.is_finished() {
            self.finish(
                InstanceStatus::Terminated,
                Some(reason.to_string()),
                &mut ev,
            );
        }
        ev
    }

    /// Leave the running state without finishing (e.g. a host stops driving the case);
    /// running time so far is kept for `executionLimit`.
    pub fn pause(&mut self) {
        self.state.elapsed_ms = self.elapsed_ms();
        self.run_started = None;
    }

    // ---------------------------------------------------------------- work items

    fn find_item(&self, id: &str) -> Option<(usize, usize)> {
        for (fi, f) in self.state.frames.iter().enumerate() {
            for (ti, t) in f.tokens.iter().enumerate() {
                if let Phase::Waiting { items, .. } = &t.phase
                    && items.iter().any(|i| i.id == id)
                {
                    return Some((fi, ti));
                }
            }
        }
        None
    }

    /// Ids of the work items the case waits on.
    pub fn pending_items(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in &self.state.frames {
            for t in &f.tokens {
                if let Phase::Waiting { items, .. } = &t.phase {
                    out.extend(items.iter().map(|i| i.id.clone()));
                }
            }
        }
        out
    }

    /// Apply a completed work item: copy back its editable variables (every exposed
    /// one when none are listed), set the case variables `decision` and `comment`,
    /// record the completion, and when no other item of the action is pending,
    /// finish the manual action (its result is the decision) and resume the case.
    pub fn complete_work_item(
        &mut self,
        item: &WorkItem,
        rt: &mut Runtime<'_>,
    ) -> Result<Vec<Event>, EngineError> {
        let (fi, ti) = self.find_item(&item.id).ok_or_else(|| {
            EngineError::new(format!(
                "instance {} is not waiting for work item {}",
                self.instance.id, item.id
            ))
        })?;
        let allowed: Vec<&String> = if item.editable_variables.is_empty() {
            item.variables.keys().collect()
        } else {
            item.editable_variables.iter().collect()
        };
        for name in &allowed {
            if let Some(v) = item.variables.get(*name) {
                check_storable(v).map_err(|why| {
                    EngineError::new(format!("work item {}: variable '{name}': {why}", item.id))
                })?;
            }
        }
        let mut trace = Vec::new();
        for name in allowed {
            if let Some(v) = item.variables.get(name) {
                self.env(fi, ti, &*rt.catalog, &mut trace)
                    .set_var(name, v.clone());
            }
        }
        let decision = item.decision.clone();
        let vars = &mut self.state.frames[fi].vars;
        vars.insert(
            "decision".into(),
            decision.clone().map(Value::Str).unwrap_or(Value::Null),
        );
        vars.insert("comment".into(), Value::Str(item.comment.clone()));
        self.record(HistoryKind::WorkItemCompleted {
            work_item: item.id.clone(),
            owner: item.owner.clone(),
            decision: decision.clone(),
            comment: item.comment.clone(),
            timed_out: false,
        });
        let mut ev = Vec::new();
        let done = {
            let t = &mut self.state.frames[fi].tokens[ti];
            match &mut t.phase {
                Phase::Waiting { index, items, .. } => {
                    items.retain(|i| i.id != item.id);
                    items.is_empty().then_some(*index)
                }
                _ => None,
            }
        };
        if let Some(index) = done {
            let o = Outcome::ok(decision.map(Value::Str).unwrap_or(Value::Null));
            self.complete_action(fi, ti, index, o, rt, &mut ev);
        }
        self.wake(&mut ev);
        Ok(ev)
    }

    /// Time out every waiting manual action whose deadline is at or before `now`:
    /// the action completes with `WF_ACTION_TIMEOUT` = 1 and the transitions decide.
    /// Returns the ids of the items that timed out.
    pub fn expire_due(
        &mut self,
        now: DateTime<Utc>,
        rt: &mut Runtime<'_>,
    ) -> (Vec<String>, Vec<Event>) {
        let mut expired = Vec::new();
        let mut ev = Vec::new();
        loop {
            let mut due = None;
            'outer: for (fi, f) in self.state.frames.iter().enumerate() {
                for (ti, t) in f.tokens.iter().enumerate() {
                    if let Phase::Waiting {
                        timeout_at: Some(at),
                        ..
                    } = &t.phase
                        && DateTime::parse_from_rfc3339(at)
                            .map(|d| d.with_timezone(&Utc) <= now)
                            .unwrap_or(false)
                    {
                        due = Some((fi, ti));
                        break 'outer;
                    }
                }
            }
            let Some((fi, ti)) = due else { break };
            let (index, items) = match &self.state.frames[fi].tokens[ti].phase {
                Phase::Waiting { index, items, .. } => (*index, items.clone()),
                _ => break,
            };
            for i in &items {
                self.record(HistoryKind::WorkItemCompleted {
                    work_item: i.id.clone(),
                    owner: i.owner.clone(),
                    decision: None,
                    comment: String::new(),
                    timed_out: true,
                });
                expired.push(i.id.clone());
            }
            let o = Outcome {
                timed_out: true,
                ..Outcome::ok(Value::Null)
            };
            self.complete_action(fi, ti, index, o, rt, &mut ev);
        }
        if !expired.is_empty() {
            self.wake(&mut ev);
        }
        (expired, ev)
    }

    /// Record that a pending work item now belongs to `to`.
    pub fn forward_work_item(
        &mut self,
        id: &str,
        to: &str,
        comment: &str,
    ) -> Result<(), EngineError> {
        let (fi, ti) = self.find_item(id).ok_or_else(|| {
            EngineError::new(format!(
                "instance {} is not waiting for work item {id}",
                self.instance.id
            ))
        })?;
        let mut from = String::new();
        if let Phase::Waiting { items, .. } = &mut self.state.frames[fi].tokens[ti].phase {
            for i in items.iter_mut().filter(|i| i.id == id) {
                from = std::mem::replace(&mut i.owner, to.to_string());
            }
        }
        self.record(HistoryKind::WorkItemForwarded {
            work_item: id.to_string(),
            from,
            to: to.to_string(),
            comment: comment.to_string(),
        });
        self.sync_instance();
        Ok(())
    }

    fn wake(&mut self, ev: &mut Vec<Event>) {
        if self.instance.status == InstanceStatus::Suspended {
            self.instance.status = InstanceStatus::Running;
            self.record(HistoryKind::Resumed {});
            ev.push(Event::Resumed);
        }
    }
}

/// Which variables of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Process-level variables of the frame.
    Case,
    /// Activity scope of a token.
    Activity(u64),
    /// Action scope of a token.
    Action(u64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FrameInfo {
    pub index: usize,
    pub process: String,
    pub steps: i64,
    pub tokens: Vec<TokenInfo>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenInfo {
    pub id: u64,
    pub activity: String,
    pub action: Option<usize>,
    pub action_name: Option<String>,
    pub phase: Phase,
}

fn event_frame(e: &Event) -> Option<usize> {
    match e {
        Event::ActivityEntered { frame, .. }
        | Event::ActionRun { frame, .. }
        | Event::WorkItemsCreated { frame, .. }
        | Event::TransitionTaken { frame, .. }
        | Event::TokenEnded { frame, .. }
        | Event::SubprocessEntered { frame, .. }
        | Event::SubprocessReturned { frame, .. } => Some(*frame),
        _ => None,
    }
}

struct Outcome {
    result: Value,
    error: Option<String>,
    suppressed: bool,
    timed_out: bool,
    /// A subprocess's output variables, copied to the caller by name.
    outputs: Option<BTreeMap<String, Value>>,
    /// A subprocess's final variables, where `returns` read from.
    sub_vars: Option<BTreeMap<String, Value>>,
}

impl Outcome {
    fn ok(result: Value) -> Outcome {
        Outcome {
            result,
            error: None,
            suppressed: false,
            timed_out: false,
            outputs: None,
            sub_vars: None,
        }
    }
    fn error(msg: impl Into<String>) -> Outcome {
        Outcome {
            error: Some(msg.into()),
            ..Outcome::ok(Value::Null)
        }
    }
}

/// Assign without allocating a key when the variable exists (the common case).
fn set_builtin(vars: &mut BTreeMap<String, Value>, name: &str, value: Value) {
    match vars.get_mut(name) {
        Some(slot) => *slot = value,
        None => {
            vars.insert(name.to_string(), value);
        }
    }
}

/// The task result as a value (`WF_CASE_RESULT`).
fn result_value(r: &TaskResult) -> Value {
    Value::from_json(&serde_json::to_value(r).unwrap_or(serde_json::Value::Null))
}

/// Merge of every scope visible from a token, outermost first so inner ones win.
fn visible(frames: &[Frame], fi: usize, ti: Option<usize>) -> BTreeMap<String, Value> {
    let mut chain: Vec<&BTreeMap<String, Value>> = Vec::new();
    let mut level = fi;
    let mut tok = ti;
    loop {
        let f = &frames[level];
        if let Some(t) = tok.and_then(|t| f.tokens.get(t)) {
            chain.push(&t.action_vars);
            chain.push(&t.vars);
        }
        chain.push(&f.vars);
        if level == 0 || f.externals.is_empty() {
            break;
        }
        let Some(call) = &f.call else { break };
        tok = frames[level - 1]
            .tokens
            .iter()
            .position(|t| t.id == call.token);
        level -= 1;
    }
    let mut out = BTreeMap::new();
    for m in chain.into_iter().rev() {
        for (k, v) in m {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// The evaluator's view of a case: scopes of one token, innermost first.
struct CaseEnv<'a> {
    frames: &'a mut [Frame],
    frame: usize,
    token: Option<usize>,
    catalog: &'a dyn Catalog,
    trace: &'a mut Vec<String>,
    /// Set (first refusal only) when `set_var` refuses a value ([`check_storable`]).
    refused: &'a mut Option<String>,
}

impl CaseEnv<'_> {
    /// (frame, token, which map: 0 action, 1 activity, 2 frame) holding `name`.
    fn locate(&self, name: &str) -> Option<(usize, Option<usize>, u8)> {
        let mut level = self.frame;
        let mut tok = self.token;
        loop {
            let f = &self.frames[level];
            if let Some(ti) = tok
                && let Some(t) = f.tokens.get(ti)
            {
                if t.action_vars.contains_key(name) {
                    return Some((level, tok, 0));
                }
                if t.vars.contains_key(name) {
                    return Some((level, tok, 1));
                }
            }
            if f.vars.contains_key(name) {
                return Some((level, tok, 2));
            }
            // A subprocess's external variables live in the caller's scopes.
            if level > 0 && f.externals.iter().any(|e| e == name) {
                let call = f.call.as_ref()?;
                tok = self.frames[level - 1]
                    .tokens
                    .iter()
                    .position(|t| t.id == call.token);
                level -= 1;
                continue;
            }
            return None;
        }
    }
}

impl Env for CaseEnv<'_> {
    fn get_var(&self, name: &str) -> Option<Value> {
        let (level, tok, which) = self.locate(name)?;
        let f = &self.frames[level];
        match which {
            0 => f.tokens[tok?].action_vars.get(name).cloned(),
            1 => f.tokens[tok?].vars.get(name).cloned(),
            _ => f.vars.get(name).cloned(),
        }
    }

    fn set_var(&mut self, name: &str, value: Value) {
        if let Err(why) = check_storable(&value) {
            self.refused
                .get_or_insert_with(|| format!("variable '{name}': {why}"));
            return;
        }
        match self.locate(name) {
            Some((level, Some(ti), 0)) => {
                self.frames[level].tokens[ti]
                    .action_vars
                    .insert(name.to_string(), value);
            }
            Some((level, Some(ti), 1)) => {
                self.frames[level].tokens[ti]
                    .vars
                    .insert(name.to_string(), value);
            }
            Some((level, _, _)) => {
                self.frames[level].vars.insert(name.to_string(), value);
            }
            None => {
                // Undeclared: a new case-level variable of this process, unless the
                // name is external (then it belongs to the caller).
                let f = &self.frames[self.frame];
                if self.frame > 0
                    && f.externals.iter().any(|e| e == name)
                    && let Some(call) = f.call.clone()
                {
                    let level = self.frame - 1;
                    let tok = self.frames[level]
                        .tokens
                        .iter()
                        .position(|t| t.id == call.token);
                    let mut outer = CaseEnv {
                        frames: &mut *self.frames,
                        frame: level,
                        token: tok,
                        catalog: self.catalog,
                        trace: &mut *self.trace,
                        refused: &mut *self.refused,
                    };
                    outer.set_var(name, value);
                    return;
                }
                self.frames[self.frame].vars.insert(name.to_string(), value);
            }
        }
    }

    fn rule(&self, name: &str) -> Option<Arc<RuleDef>> {
        self.catalog.rule(name)
    }

    fn trace(&mut self, line: String) {
        self.trace.push(line);
    }
}

/// The reference for `def`, computed (used when a host has no cache).
pub fn pin(def: &TaskDefinition) -> DefinitionRef {
    definition_ref(def)
}

/// Names of the activities entered, in order. Activities of subprocesses are
/// prefixed with the subprocess names: `Approval/start`, `Approval/Ask/start`.
pub fn path_of(history: &[HistoryEvent]) -> Vec<String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for h in history {
        match &h.event {
            HistoryKind::SubprocessEntered { process } => stack.push(process),
            HistoryKind::SubprocessReturned { .. } => {
                stack.pop();
            }
            HistoryKind::ActivityEntered { activity, .. } => {
                if stack.is_empty() {
                    out.push(activity.clone());
                } else {
                    out.push(format!("{}/{activity}", stack.join("/")));
                }
            }
            _ => {}
        }
    }
    out
}
