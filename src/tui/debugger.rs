//! The debugger: a debug run of the open workflow, driven step by step through
//! the engine's step API (`crate::engine::Case`).
//!
//! - Before the run, a form of the workflow's input variables, prefilled with
//!   the last inputs of that workflow (kept in the [`super::workspace`]).
//! - Commands: continue (to a breakpoint), step (the next action, into
//!   subprocesses), step over (a subprocess call is one step), step into, step
//!   out, run to the selected activity, restart, stop, and step back (every
//!   command first takes an engine snapshot; effects already applied through
//!   services stay applied — hence dry run by default).
//! - Breakpoints (activities, actions, transitions, optional condition) and
//!   watch expressions persist in the workspace.
//! - A debug run is a run: from start to an explicit stop (`x`), a restart, leaving
//!   it pending or quitting, it holds the shared `DefinitionRun` lock of the
//!   debugged workflow like `bpe run` (dry run and apply alike), so `bpe locks`
//!   lists it and saving the workflow is refused naming it. Esc leaves the screen
//!   with the run kept; `D` in the editor of the same workflow comes back to it.
//! - A manual action suspends the case; its work items can be approved or
//!   rejected inline, or left pending: with side effects applied, that writes
//!   the work items and the suspended TaskInstance like a real run.

use std::collections::{BTreeMap, HashMap};

use ratatui::crossterm::event::KeyEvent;

use crate::engine::{
    Case, Event, Granularity, NextStep, Phase, Scope, Snapshot, StopReason, store::RepoCatalog,
};
use crate::expr::Value;
use crate::model::{TaskDefinition, WorkItem};
use crate::repo::Repository;
use crate::repo::lock::{self, LockGuard, LockMode, LockTarget};
use crate::services::RepoServices;

use super::action::Action;
use super::app::{App, Screen};
use super::ask::{self, Prompt};
use super::diagram::{Diagram, Dir};
use super::keymap::Context;
use super::screen::Request;
use super::workspace::{SavedBreakpoint, Workspace};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// A value for input variable `index` of the form.
    Input(usize),
    SetVariable,
    Watch,
    Breakpoint,
    /// Show only the variables whose name contains this text.
    Filter,
}

/// The purpose the debug run's locks name (`bpe locks`, the locks pane, a refused save).
pub const RUN_PURPOSE: &str = "bpe debug run";

/// Variables scrolled by one PgUp / PgDn.
const VAR_PAGE: usize = 5;

/// How many trace lines are kept.
const TRACE_KEEP: usize = 1000;

/// How many commands the debugger can step back over (one snapshot of the case each).
pub const BACK_KEEP: usize = 500;

/// How many of the last activities entered the path shows.
const PATH_SHOW: usize = 1000;

/// One running debug session (the case exists once the form is accepted).
pub struct Session {
    pub case: Case,
    /// The rules and definitions the case runs with (the console evaluates with them).
    pub(super) catalog: RepoCatalog,
    services: RepoServices,
    /// Taken before each command, for stepping back: (snapshot, trace length, work
    /// items); the last [`BACK_KEEP`] commands.
    history: std::collections::VecDeque<(Snapshot, usize, Vec<WorkItem>)>,
    /// Commands whose snapshot was dropped to keep [`BACK_KEEP`].
    pub back_dropped: u64,
    /// Work items the case created that are still pending.
    pub items: Vec<WorkItem>,
    /// Activities entered so far (subprocess ones as `Sub/Activity`).
    pub path: Vec<String>,
    /// Evaluated watch values, parallel to the workspace's watches.
    pub watch_values: Vec<String>,
    /// The shared run lock of the debugged definition, held while the session lives.
    pub run_lock: LockGuard,
}

pub struct DebuggerState {
    pub definition: TaskDefinition,
    /// Input variables of the form: (name, value as JSON text).
    pub form: Vec<(String, String)>,
    pub form_selected: usize,
    pub session: Option<Session>,
    /// Dry-run side effects (the default) or apply them.
    pub dry_run: bool,
    pub workspace: Workspace,
    /// Selected activity of the diagram shown (the top frame's process).
    pub selected: usize,
    pub trace: Vec<String>,
    pub prompt: Option<Prompt<Ask>>,
    /// Diagrams by definition hash (the top frame may be a subprocess).
    pub diagrams: HashMap<String, (TaskDefinition, Diagram)>,
    /// Why the last run stopped, for the title.
    pub stopped: String,
    /// The variables pane shows only names containing this (`/`; empty: all).
    pub var_filter: String,
    /// First variable row shown (PgUp / PgDn).
    pub var_scroll: usize,
    /// The variables as shown before the last command, to mark what it changed.
    pub var_before: BTreeMap<String, Value>,
    /// Names whose value the last command changed (or added).
    pub changed: Vec<String>,
    /// The expression console (`:`), with its history.
    pub console: super::debugger_console::Console,
}

impl DebuggerState {
    /// The definition of the top frame (the process the run stands in), or the
    /// debugged one before the run.
    pub fn shown(&self) -> Option<&(TaskDefinition, Diagram)> {
        let hash = match &self.session {
            Some(s) => s.case.state().frames.last()?.definition.hash.clone(),
            None => crate::model::content_hash(&self.definition),
        };
        self.diagrams.get(&hash)
    }

    /// The first token of the top frame: (frame, token id, activity name).
    pub fn current(&self) -> Option<(usize, u64, String)> {
        let s = self.session.as_ref()?;
        let stack = s.case.call_stack();
        let top = stack.last()?;
        let t = top.tokens.first()?;
        Some((top.index, t.id, t.activity.clone()))
    }

    /// The variables the pane shows: those visible to the current token (inner
    /// scopes win), or, once no token is left (completed, failed), the case's
    /// final variables — filtered by name with `/`.
    pub fn shown_variables(&self) -> Vec<(String, Value)> {
        let Some(s) = &self.session else {
            return Vec::new();
        };
        let vars: BTreeMap<String, Value> = match self.current() {
            Some((frame, token, _)) => s.case.visible_variables(frame, Some(token)),
            None => s
                .case
                .variables(0, Scope::Case)
                .map(|v| v.to_map())
                .unwrap_or_default(),
        };
        let filter = self.var_filter.to_lowercase();
        vars.into_iter()
            .filter(|(k, v)| !(k.starts_with("WF_") && v.is_null()))
            .filter(|(k, _)| filter.is_empty() || k.to_lowercase().contains(&filter))
            .collect()
    }

    /// Activities of `def` with a breakpoint (on the activity or one of its
    /// actions; transition breakpoints on the activity they leave), for the diagram.
    pub fn breakpoint_activities(&self, def: &TaskDefinition) -> Vec<usize> {
        self.workspace
            .breakpoints
            .iter()
            .filter(|b| b.process.as_deref().is_none_or(|p| p == def.name))
            .filter_map(|b| {
                let name = b.at.split("->").next()?.split('#').next()?.trim();
                def.process.activities.iter().position(|a| a.name == name)
            })
            .collect()
    }

    /// Whether a debug run exists (it holds its run lock until stopped).
    pub fn is_live(&self) -> bool {
        self.session.is_some()
    }

    pub fn breakpoints(&self) -> Vec<crate::engine::Breakpoint> {
        self.workspace
            .breakpoints
            .iter()
            .filter_map(|b| b.to_engine().ok())
            .collect()
    }
}

/// The keys that apply now: while the run waits on a work item, answering it
/// (approve / reject / leave pending / apply mode) comes first in the footer.
pub fn contexts(app: &App) -> Vec<Context> {
    match &app.debugger {
        Some(d) if d.prompt.is_some() || d.console.is_open() => vec![Context::TextEdit],
        Some(d) if d.session.as_ref().is_some_and(|s| !s.items.is_empty()) => vec![
            Context::DebuggerWaiting,
            Context::Debugger,
            Context::Screens,
            Context::Navigate,
            Context::Global,
        ],
        _ => vec![
            Context::Debugger,
            Context::Screens,
            Context::Navigate,
            Context::Global,
        ],
    }
}

pub fn text_input(app: &mut App, key: KeyEvent) {
    if let Some(d) = app.debugger.as_mut().filter(|d| d.console.is_open()) {
        return d.console.text_input(key);
    }
    if let Some(p) = app.debugger.as_mut().and_then(|d| d.prompt.as_mut())
        && p.input.input(key)
    {
        p.error = None;
    }
}

/// `D` / `F5` in the editor: back to the live debug run of this workflow, or
/// the input form of the open workflow. A live run of another workflow is shown
/// instead (one debug run at a time; `x` stops it).
pub fn start_from_editor(app: &mut App) -> Vec<Request> {
    let Some(def) = app.editor.as_ref().map(|e| e.def.clone()) else {
        return Vec::new();
    };
    if let Some(d) = app.debugger.as_ref().filter(|d| d.is_live()) {
        let name = crate::model::escape_name(&d.definition.name).into_owned();
        if d.definition.id == def.id {
            app.info(format!("back to the debug run of {name} (x stops it)"));
        } else {
            app.warn(format!(
                "a debug run of {name} is live: x stops it before debugging another workflow"
            ));
        }
        return vec![Request::Show(Screen::Debugger)];
    }
    open(app, def);
    Vec::new()
}

/// End the debug run (the case is terminated in memory; nothing pending is
/// written) and release its run lock. False when there was none.
pub fn stop(app: &mut App) -> bool {
    let Some(d) = app.debugger.as_mut() else {
        return false;
    };
    let Some(mut s) = d.session.take() else {
        return false;
    };
    s.case.terminate("stopped in the debugger");
    d.stopped = "stopped".into();
    true
}

/// Open the debugger on `def` with its input form.
pub fn open(app: &mut App, def: TaskDefinition) {
    let (workspace, problem) = match Workspace::load(&app.root) {
        Ok(w) => (w, None),
        Err(e) => (Workspace::default(), Some(e)),
    };
    let last = workspace.inputs.get(&def.name).cloned().unwrap_or_default();
    let form = def
        .process
        .variables
        .iter()
        .filter(|v| v.input)
        .map(|v| {
            let text = last.get(&v.name).map(|j| j.to_string()).unwrap_or_default();
            (v.name.clone(), text)
        })
        .collect();
    let mut diagrams = HashMap::new();
    diagrams.insert(
        crate::model::content_hash(&def),
        (def.clone(), Diagram::build(&def)),
    );
    app.debugger = Some(DebuggerState {
        definition: def,
        form,
        form_selected: 0,
        session: None,
        dry_run: true,
        workspace,
        selected: 0,
        trace: Vec::new(),
        prompt: None,
        diagrams,
        stopped: "not started".into(),
        var_filter: String::new(),
        var_scroll: 0,
        var_before: BTreeMap::new(),
        changed: Vec::new(),
        console: Default::default(),
    });
    app.screen = Screen::Debugger;
    match problem {
        Some(p) => app.warn(format!(
            "workspace not loaded ({p}); it will not be overwritten"
        )),
        None => app.info("fill in the inputs (e edits), then s steps or c continues"),
    }
}

fn save_workspace(app: &mut App) {
    let Some(d) = &app.debugger else { return };
    if let Err(e) = d.workspace.save(&app.root) {
        app.warn(format!("workspace not saved: {e}"));
    }
}

/// The inputs of the form as values (empty fields are left out).
fn form_inputs(d: &DebuggerState) -> BTreeMap<String, Value> {
    d.form
        .iter()
        .filter(|(_, t)| !t.trim().is_empty())
        .map(|(n, t)| (n.clone(), ask::parse_value(t.trim())))
        .collect()
}

/// Start the case from the form's inputs; remembers them in the workspace.
fn start(app: &mut App) -> Result<(), String> {
    let root = app.root.clone();
    let repo = Repository::open(&root).map_err(|e| e.to_string())?;
    let Some(d) = app.debugger.as_mut() else {
        return Ok(());
    };
    let inputs = form_inputs(d);
    d.workspace.inputs.insert(
        d.definition.name.clone(),
        inputs
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect(),
    );
    // A debug run is a run: the same shared run lock as `bpe run`, taken before
    // the case starts and held until the session ends.
    let run_lock = lock::acquire(
        &root,
        LockTarget::DefinitionRun(d.definition.id.clone()),
        LockMode::Shared,
        RUN_PURPOSE,
    )
    .map_err(|e| format!("the run lock of {} is not free: {e}", d.definition.name))?;
    let services = ask::services(&repo, d.dry_run);
    let mut catalog = RepoCatalog::new(repo, RUN_PURPOSE);
    // A dry run writes nothing, cache entries of subprocess versions included.
    catalog.set_cache_writes(!d.dry_run);
    let dref = crate::engine::pin(&d.definition);
    let mut case = Case::start(&d.definition, dref, &inputs, &ask::os_user(), &catalog);
    case.options.ignore_execution_limit = true;
    d.trace.clear();
    d.var_before.clear();
    d.trace.push(format!(
        "started {} {}",
        d.definition.name,
        if d.dry_run { "[DRY RUN]" } else { "[APPLY]" }
    ));
    d.session = Some(Session {
        case,
        catalog,
        services,
        history: Default::default(),
        back_dropped: 0,
        items: Vec::new(),
        path: Vec::new(),
        watch_values: Vec::new(),
        run_lock,
    });
    d.stopped = "started".into();
    after_step(d, Vec::new());
    save_workspace(app);
    Ok(())
}

/// The display name of action `index` of `activity` in frame `frame`'s
/// definition, when it has one.
fn action_name(case: &Case, frame: usize, activity: &str, index: usize) -> Option<String> {
    let def = case.definition(frame)?;
    let act = def.process.activities.iter().find(|a| a.name == activity)?;
    let name = &act.actions.get(index)?.name;
    (!name.is_empty()).then(|| crate::model::escape_name(name).into_owned())
}

/// A text for one engine event, for the trace; `named` gives an action's display name.
fn event_line(e: &Event, named: impl Fn(usize, &str, usize) -> Option<String>) -> Option<String> {
    Some(match e {
        Event::ActivityEntered {
            process, activity, ..
        } => format!("enter {process}/{activity}"),
        Event::ActionRun {
            frame,
            activity,
            action,
            kind,
            result,
            error,
            suppressed,
            timed_out,
            ..
        } => {
            let what = if *suppressed {
                "suppressed".to_string()
            } else if let Some(e) = error {
                format!("✗ {e}")
            } else if *timed_out {
                "timed out".to_string()
            } else {
                let mut r = result.to_json().to_string();
                if r.len() > 60 {
                    r.truncate(r.char_indices().nth(57).map(|(i, _)| i).unwrap_or(57));
                    r.push('…');
                }
                r
            };
            match named(*frame, activity, *action) {
                Some(name) => format!("  {activity} › {name} ({kind}): {what}"),
                None => format!("  {activity}#{} {kind}: {what}", action + 1),
            }
        }
        Event::WorkItemsCreated {
            activity, items, ..
        } => {
            format!("  {activity}: work items {}", items.join(", "))
        }
        Event::TransitionTaken { from, to, .. } => format!("  {from} → {to}"),
        Event::TokenEnded { activity, .. } => format!("  token ended at {activity}"),
        Event::SubprocessEntered { process, .. } => format!("▼ into {process}"),
        Event::SubprocessReturned { process, .. } => format!("▲ back from {process}"),
        Event::Trace { line } => format!("  trace {line}"),
        Event::Suspended => "⏸ suspended (waiting on work items)".into(),
        Event::Resumed => "▶ resumed".into(),
        Event::Completed => "■ completed".into(),
        Event::Terminated { reason } => format!("■ terminated: {reason}"),
        Event::Failed { reason } => format!("✗ failed: {reason}"),
    })
}

/// After a command: trace, work items, path, watches, diagram of the top frame.
fn after_step(d: &mut DebuggerState, events: Vec<Event>) {
    for e in &events {
        let named = |frame: usize, activity: &str, index: usize| {
            let case = &d.session.as_ref()?.case;
            action_name(case, frame, activity, index)
        };
        if let Some(l) = event_line(e, named) {
            d.trace.push(l);
        }
    }
    if d.trace.len() > TRACE_KEEP {
        let cut = d.trace.len() - TRACE_KEEP;
        d.trace.drain(..cut);
    }
    let Some(s) = d.session.as_mut() else { return };
    let out = s.case.take_outbox();
    s.items.extend(out.created);
    let pending = s.case.pending_items();
    s.items.retain(|w| pending.contains(&w.id));
    s.path = crate::engine::instance_path(s.case.instance()).tail(PATH_SHOW);
    // Watches in the scope of the top frame's first token.
    let (frame, token) = {
        let stack = s.case.call_stack();
        match stack.last() {
            Some(f) => (f.index, f.tokens.first().map(|t| t.id)),
            None => (0, None),
        }
    };
    s.watch_values = d
        .workspace
        .watches
        .iter()
        .map(|w| match crate::expr::parse(w) {
            Ok(e) => match s.case.evaluate(frame, token, &e, &s.catalog) {
                Ok(v) => v.to_json().to_string(),
                Err(err) => format!("✗ {err}"),
            },
            Err(err) => format!("✗ {err}"),
        })
        .collect();
    // The diagram of the process the run stands in, selecting where it stands.
    if let Some(f) = s.case.state().frames.last() {
        let hash = f.definition.hash.clone();
        let frame_index = s.case.state().frames.len() - 1;
        if !d.diagrams.contains_key(&hash)
            && let Some(def) = s.case.definition(frame_index)
        {
            d.diagrams
                .insert(hash.clone(), (def.clone(), Diagram::build(def)));
        }
        let at = f.tokens.first().map(|t| t.activity);
        if let Some(a) = at {
            d.selected = a;
        }
    }
    mark_changed(d);
}

/// Compare the variables shown now with those before the command: the pane
/// marks the names whose value changed (or that appeared).
fn mark_changed(d: &mut DebuggerState) {
    let filter = std::mem::take(&mut d.var_filter);
    let now: BTreeMap<String, Value> = d.shown_variables().into_iter().collect();
    d.var_filter = filter;
    d.changed = now
        .iter()
        .filter(|(k, v)| !d.var_before.is_empty() && d.var_before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    d.var_before = now;
}

/// What a command does to the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Continue,
    Step,
    StepOver,
    StepOut,
    RunTo,
}

fn run_command(app: &mut App, cmd: Command) {
    let Some(d) = app.debugger.as_mut() else {
        return;
    };
    if d.session.is_none() {
        if let Err(e) = start(app) {
            app.error(format!("cannot start the debug run: {e}"));
            return;
        }
        // Starting is the first step.
        if cmd == Command::Step {
            app.info("started; s steps on");
            return;
        }
    }
    let Some(d) = app.debugger.as_mut() else {
        return;
    };
    let target = d
        .shown()
        .and_then(|(def, _)| def.process.activities.get(d.selected))
        .map(|a| a.name.clone());
    let breakpoints = d.breakpoints();
    let Some(s) = d.session.as_mut() else { return };
    if !s.case.is_running() {
        let msg = match s.case.status() {
            crate::model::InstanceStatus::Suspended => {
                "the case waits on a work item: y approves, r rejects, p leaves it pending"
                    .to_string()
            }
            st => format!("the run is {} (R restarts, b steps back)", st.as_str()),
        };
        app.warn(msg);
        return;
    }
    if cmd == Command::StepOut && s.case.call_stack().len() <= 1 {
        app.warn(
            "nothing to step out of: the run stands in the top process (s steps, c continues)",
        );
        return;
    }
    remember(s, &mut d.trace);
    let process = s
        .case
        .state()
        .frames
        .last()
        .map(|f| f.definition.name.clone())
        .unwrap_or_default();
    let mut rt = crate::engine::Runtime {
        services: &mut s.services,
        catalog: &mut s.catalog,
    };
    let mut stop = String::new();
    let events = match cmd {
        Command::Step => s.case.step(&mut rt, Granularity::Action),
        Command::StepOver => s.case.step_over(&mut rt, Granularity::Action),
        Command::StepOut => s.case.step_out(&mut rt),
        Command::Continue => {
            let (ev, why) = s.case.run_to_breakpoint(&mut rt, &breakpoints);
            if let StopReason::Breakpoint(i) = why {
                stop = breakpoint_name(&d.workspace, i);
            }
            ev
        }
        Command::RunTo => {
            let Some(target) = target else {
                s.history.pop_back();
                app.warn("select an activity first");
                return;
            };
            // The selected activity is one more breakpoint: the run stops at
            // whichever comes first.
            let mut with_target = breakpoints.clone();
            with_target.push(crate::engine::Breakpoint {
                process: Some(process.clone()),
                at: crate::engine::BreakAt::Activity {
                    activity: target.clone(),
                },
                condition: None,
            });
            let (ev, why) = s.case.run_to_breakpoint(&mut rt, &with_target);
            stop = match why {
                StopReason::Breakpoint(i) if i < breakpoints.len() => {
                    breakpoint_name(&d.workspace, i)
                }
                StopReason::Breakpoint(_) => format!("at {target}"),
                StopReason::NotRunning => String::new(),
            };
            ev
        }
    };
    let status = s.case.status();
    d.stopped = if status == crate::model::InstanceStatus::Running {
        if stop.is_empty() {
            describe_next(&s.case)
        } else {
            stop
        }
    } else {
        status.as_str().to_string()
    };
    after_step(d, events);
    // The title says where the run stands now; an older message would mislead.
    app.notice = None;
}

/// Keep the case as it is before a command, for stepping back; beyond [`BACK_KEEP`]
/// the oldest is dropped, and the trace says so the first time.
fn remember(s: &mut Session, trace: &mut Vec<String>) {
    s.history
        .push_back((s.case.snapshot(), trace.len(), s.items.clone()));
    if s.history.len() > BACK_KEEP {
        s.history.pop_front();
        if s.back_dropped == 0 {
            trace.push(format!(
                "step back reaches the last {BACK_KEEP} steps: older ones are dropped"
            ));
        }
        s.back_dropped += 1;
    }
}

/// "breakpoint Onboard Employee: Manager Approval": the `i`th of the usable breakpoints.
fn breakpoint_name(w: &Workspace, i: usize) -> String {
    format!(
        "breakpoint {}",
        w.breakpoints
            .iter()
            .filter(|b| b.to_engine().is_ok())
            .nth(i)
            .map(|b| b.to_string())
            .unwrap_or_default()
    )
}

/// "before Manager Approval#3 (manual Manager decides)" and the like.
fn describe_next(case: &Case) -> String {
    match case.next_step() {
        Some(NextStep::Enter { activity, .. }) => format!("before entering {activity}"),
        Some(NextStep::Action {
            activity, action, ..
        }) => format!("before {activity}#{}", action + 1),
        Some(NextStep::Transitions { activity, .. }) => {
            format!("before the transitions of {activity}")
        }
        Some(NextStep::Settle { .. }) => "settling".into(),
        None => case.status().as_str().to_string(),
    }
}

fn step_back(app: &mut App) {
    let Some(d) = app.debugger.as_mut() else {
        return;
    };
    let Some(s) = d.session.as_mut() else { return };
    let Some((snap, trace_len, items)) = s.history.pop_back() else {
        if s.back_dropped > 0 {
            app.warn(format!(
                "this is the oldest step kept: step back reaches {BACK_KEEP} steps"
            ));
        } else {
            app.warn("this is the first step");
        }
        return;
    };
    s.case.restore(&snap);
    s.items = items;
    d.trace.truncate(trace_len);
    d.trace.push("◀ stepped back".into());
    d.stopped = describe_next(&s.case);
    after_step(d, Vec::new());
    app.info("stepped back (effects already applied through services stay applied)");
}

/// `y` / `r`: approve or reject the first pending work item of the debug run
/// inline, after the question the work items screen asks
/// ([`super::workitems::ask_decision`]; `confirmDecisions: false` turns it off).
fn decide(app: &mut App, decision: &'static str) {
    let Some(d) = app.debugger.as_ref() else {
        return;
    };
    let Some(item) = d.session.as_ref().and_then(|s| s.items.first().cloned()) else {
        app.warn("no work item is pending in this run");
        return;
    };
    let consequence = if d.dry_run {
        "The debug run goes on at once (dry run: nothing is written)."
    } else {
        "The debug run goes on at once; services it calls apply their effects."
    };
    let purpose = super::app::AppAsk::DecideInRun {
        item: item.id.clone(),
        decision,
    };
    if !super::workitems::ask_decision(app, &item.id, Some(&item), decision, purpose, consequence) {
        decide_now(app, &item.id, decision);
    }
}

/// Approve or reject the debug run's pending work item `id` (still the first
/// pending one) and go on.
pub(super) fn decide_now(app: &mut App, id: &str, decision: &str) {
    let Some(d) = app.debugger.as_mut() else {
        return;
    };
    let current = d.current();
    let Some(s) = d.session.as_mut() else { return };
    let Some(mut item) = s.items.first().filter(|w| w.id == id).cloned() else {
        app.warn(format!(
            "{id} is no longer pending in this run; nothing was decided"
        ));
        return;
    };
    remember(s, &mut d.trace);
    // Variables set with `e` while the case waits are what the approver "edited":
    // the item carries the case's current values, so completing does not put the
    // values from when the item was created back.
    if let Some((frame, token, _)) = current {
        let now = s.case.visible_variables(frame, Some(token));
        for (k, v) in item.variables.iter_mut() {
            if let Some(n) = now.get(k) {
                *v = n.clone();
            }
        }
    }
    item.complete = true;
    item.decision = Some(decision.to_string());
    item.comment = "decided in the debugger".into();
    let mut rt = crate::engine::Runtime {
        services: &mut s.services,
        catalog: &mut s.catalog,
    };
    match s.case.complete_work_item(&item, &mut rt) {
        Ok(ev) => {
            d.trace.push(format!(
                "  {} {} inline",
                item.id,
                super::workitems::decided(decision)
            ));
            d.stopped = describe_next(&s.case);
            after_step(d, ev);
        }
        Err(e) => {
            s.history.pop_back();
            app.error(e.message);
        }
    }
}

/// Leave the pending work items pending: with side effects applied, write them
/// and the suspended instance like a real run; the session ends.
fn leave_pending(app: &mut App) -> Vec<Request> {
    let root = app.root.clone();
    let Some(d) = app.debugger.as_mut() else {
        return Vec::new();
    };
    let Some(s) = d.session.as_mut() else {
        return Vec::new();
    };
    if s.items.is_empty() {
        app.warn("no work item is pending in this run");
        return Vec::new();
    }
    if d.dry_run {
        app.warn("dry run: nothing is written; m switches to apply to leave a real pending case");
        return Vec::new();
    }
    let mut failed = None;
    // Resumption loads the pinned version from the cache (the debugged content may
    // be unsaved edits that exist in no file).
    if let Err(e) = crate::repo::cache::store(&root, &d.definition) {
        failed = Some(format!("cannot cache the definition: {e}"));
    }
    for w in s.items.iter().filter(|_| failed.is_none()) {
        if let Err(e) = crate::repo::write_work_item(&root, w) {
            failed = Some(format!("cannot write {}: {e}", w.id));
            break;
        }
    }
    let inst = s.case.to_instance();
    if failed.is_none()
        && let Err(e) = crate::repo::write_instance(&root, &inst)
    {
        failed = Some(format!("cannot write {}: {e}", inst.id));
    }
    if let Some(f) = failed {
        app.error(f);
        return Vec::new();
    }
    let msg = format!(
        "{} left suspended with work item(s) {}",
        inst.id,
        s.items
            .iter()
            .map(|w| format!("{} for {}", w.id, w.owner))
            .collect::<Vec<_>>()
            .join(", ")
    );
    d.session = None;
    d.stopped = "left pending".into();
    app.info(msg);
    vec![Request::Reload]
}

fn prompt_accepted(app: &mut App, purpose: Ask, text: String) -> Result<(), String> {
    let Some(d) = app.debugger.as_mut() else {
        return Ok(());
    };
    match purpose {
        Ask::Input(i) => {
            if let Some(f) = d.form.get_mut(i) {
                f.1 = text;
            }
        }
        Ask::Watch => {
            if text.is_empty() {
                return Err("type an expression (Esc cancels)".into());
            }
            crate::expr::parse(&text).map_err(|e| e.to_string())?;
            d.workspace.watches.push(text);
            after_step(d, Vec::new());
            save_workspace(app);
        }
        Ask::Breakpoint => {
            let process = d.shown().map(|(def, _)| def.name.clone());
            let bp = SavedBreakpoint::parse(&text, process)?;
            app.info(format!("breakpoint {bp}"));
            if let Some(d) = app.debugger.as_mut() {
                d.workspace.breakpoints.push(bp);
            }
            save_workspace(app);
        }
        Ask::SetVariable => set_variable(d, &text)?,
        Ask::Filter => {
            d.var_filter = text;
            d.var_scroll = 0;
        }
    }
    Ok(())
}

/// `NAME = VALUE`: VALUE is JSON when it parses, else an expression evaluated
/// in the current token's scope. The variable is set in the innermost scope
/// that has it (action, activity, then the process).
pub fn set_variable(d: &mut DebuggerState, text: &str) -> Result<(), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or("write NAME = VALUE (JSON or an expression)")?;
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() {
        return Err("name the variable".into());
    }
    let (frame, token, _) = d.current().ok_or("no debug run")?;
    let s = d.session.as_mut().ok_or("no debug run")?;
    let v = match serde_json::from_str::<serde_json::Value>(value) {
        Ok(j) => Value::from_json(&j),
        Err(_) => {
            let e = crate::expr::parse(value)
                .map_err(|e| format!("not JSON nor an expression: {e}"))?;
            s.case.evaluate(frame, Some(token), &e, &s.catalog)?
        }
    };
    let scope = [Scope::Action(token), Scope::Activity(token)]
        .into_iter()
        .find(|sc| {
            s.case
                .variables(frame, *sc)
                .is_some_and(|m| m.contains_key(name))
        })
        .unwrap_or(Scope::Case);
    s.case.set_variable(frame, scope, name, v.clone());
    d.trace.push(format!("  set {name} = {}", v.to_json()));
    after_step(d, Vec::new());
    Ok(())
}

fn toggle_breakpoint(app: &mut App) {
    let Some(d) = app.debugger.as_mut() else {
        return;
    };
    let Some((def, _)) = d.shown() else { return };
    let Some(activity) = def
        .process
        .activities
        .get(d.selected)
        .map(|a| a.name.clone())
    else {
        return;
    };
    let process = Some(def.name.clone());
    let existing = d
        .workspace
        .breakpoints
        .iter()
        .position(|b| b.at == activity && b.process == process && b.condition.is_none());
    let msg = match existing {
        Some(i) => {
            d.workspace.breakpoints.remove(i);
            format!("breakpoint on {activity} removed")
        }
        None => {
            d.workspace.breakpoints.push(SavedBreakpoint {
                process,
                at: activity.clone(),
                condition: None,
            });
            format!("breakpoint on {activity}")
        }
    };
    save_workspace(app);
    app.info(msg);
}

fn toggle_apply(app: &mut App) {
    let root = app.root.clone();
    let Some(d) = app.debugger.as_mut() else {
        return;
    };
    d.dry_run = !d.dry_run;
    if let Some(s) = d.session.as_mut() {
        match Repository::open(&root) {
            Ok(repo) => {
                s.services = ask::services(&repo, d.dry_run);
                s.catalog.set_cache_writes(!d.dry_run);
            }
            Err(e) => {
                d.dry_run = !d.dry_run;
                app.error(format!("cannot switch: {e}"));
                return;
            }
        }
    }
    let msg = if d.dry_run {
        "dry run: side effects are recorded, nothing is changed"
    } else {
        "APPLY: service calls now change the repository (users, outbox, audit)"
    };
    app.info(msg);
}

pub fn update(app: &mut App, action: Action) -> Vec<Request> {
    let Some(d) = app.debugger.as_mut() else {
        return vec![Request::Show(Screen::Browser)];
    };
    if let Some(mut p) = d.prompt.take() {
        match action {
            Action::Cancel => {}
            Action::Accept => {
                if let Err(e) = prompt_accepted(app, p.purpose, p.text()) {
                    p.error = Some(e);
                    if let Some(d) = app.debugger.as_mut() {
                        d.prompt = Some(p);
                    }
                }
            }
            _ => d.prompt = Some(p),
        }
        return Vec::new();
    }
    if d.console.is_open() {
        d.console.update(d.session.as_mut(), action);
        return Vec::new();
    }
    let in_form = d.session.is_none();
    match action {
        Action::Console => d.console.open(),
        Action::Up | Action::Down if in_form => {
            let last = d.form.len().saturating_sub(1);
            d.form_selected = if action == Action::Up {
                d.form_selected.saturating_sub(1)
            } else {
                (d.form_selected + 1).min(last)
            };
        }
        Action::Up | Action::Down | Action::Left | Action::Right => {
            let dir = match action {
                Action::Up => Dir::Up,
                Action::Down => Dir::Down,
                Action::Left => Dir::Left,
                _ => Dir::Right,
            };
            if let Some(n) = d.shown().and_then(|(_, g)| g.neighbour(d.selected, dir)) {
                d.selected = n;
            }
        }
        Action::SetVariable if in_form => {
            if let Some((name, value)) = d.form.get(d.form_selected) {
                d.prompt = Some(Prompt::new(
                    Ask::Input(d.form_selected),
                    format!("input {name} (JSON, or plain text)"),
                    value,
                ));
            }
        }
        Action::SetVariable => {
            let current = d
                .current()
                .map(|(_, _, a)| format!("in {a}: NAME = JSON or expression"))
                .unwrap_or_default();
            d.prompt = Some(Prompt::new(Ask::SetVariable, current, ""));
        }
        Action::AddWatch => d.prompt = Some(Prompt::new(Ask::Watch, "Watch expression", "")),
        Action::Filter => {
            d.prompt = Some(Prompt::new(
                Ask::Filter,
                "Show variables whose name contains (empty: all)",
                &d.var_filter.clone(),
            ))
        }
        Action::PageDown => {
            let last = d.shown_variables().len().saturating_sub(1);
            d.var_scroll = (d.var_scroll + VAR_PAGE).min(last);
        }
        Action::PageUp => d.var_scroll = d.var_scroll.saturating_sub(VAR_PAGE),
        Action::AddBreakpoint => {
            d.prompt = Some(Prompt::new(
                Ask::Breakpoint,
                "Breakpoint: Activity | Activity#N | From->To [if EXPR]",
                "",
            ))
        }
        Action::ClearWatches => {
            d.workspace.watches.clear();
            d.workspace.breakpoints.clear();
            after_step(d, Vec::new());
            save_workspace(app);
            app.info("watches and breakpoints removed");
        }
        Action::ToggleBreakpoint => toggle_breakpoint(app),
        Action::Continue => run_command(app, Command::Continue),
        Action::Step | Action::StepInto => run_command(app, Command::Step),
        Action::StepOver => run_command(app, Command::StepOver),
        Action::StepOut => run_command(app, Command::StepOut),
        Action::RunToCursor => run_command(app, Command::RunTo),
        Action::StepBack => step_back(app),
        Action::Restart => {
            // The old run's lock goes before the new one is taken.
            d.session = None;
            if let Err(e) = start(app) {
                app.error(format!("cannot restart: {e}"));
            } else {
                app.info("restarted with the same inputs");
            }
        }
        Action::Stop => {
            if stop(app) {
                app.info(
                    "debug run stopped; its run lock is released (nothing pending was written)",
                );
            } else {
                app.warn("no debug run to stop");
            }
        }
        Action::Approve => decide(app, "approve"),
        Action::Reject => decide(app, "reject"),
        Action::LeavePending => return leave_pending(app),
        Action::ToggleApply => toggle_apply(app),
        Action::Back => {
            return vec![Request::Show(if app.editor.is_some() {
                Screen::Editor
            } else {
                Screen::Browser
            })];
        }
        _ => {}
    }
    Vec::new()
}

/// The phase of a token as a word, for the call stack pane.
pub fn phase_text(p: &Phase) -> String {
    match p {
        Phase::Arrived => "arrived".into(),
        Phase::Action { index } => format!("before #{}", index + 1),
        Phase::Waiting { index, items, .. } => format!(
            "#{} waits on {}",
            index + 1,
            items
                .iter()
                .map(|i| i.owner.clone())
                .collect::<Vec<_>>()
                .join(",")
        ),
        Phase::Subprocess { index } => format!("#{} in subprocess", index + 1),
        Phase::Transitions => "transitions".into(),
    }
}
