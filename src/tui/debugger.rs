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

use crate::engine::{Case, Phase, Scope, Snapshot, store::RepoCatalog};
use crate::expr::Value;
use crate::model::{TaskDefinition, WorkItem};
use crate::repo::Repository;
use crate::repo::lock::LockGuard;
use crate::services::RepoServices;

use super::action::Action;
use super::ask::{self, Prompt};
use super::debugger_session::{decide, leave_pending, save_workspace, start};
pub use super::debugger_session::{decide_now, open, stop};
use super::debugger_step::{Command, after_step, run_command, step_back};
use super::diagram::{Diagram, Dir};
use super::keymap::Context;
use super::screen::Ctx;
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
pub(crate) const TRACE_KEEP: usize = 1000;

/// How many commands the debugger can step back over (one snapshot of the case each).
pub const BACK_KEEP: usize = 500;

/// How many of the last activities entered the path shows.
pub(crate) const PATH_SHOW: usize = 1000;

/// One running debug session (the case exists once the form is accepted).
pub struct Session {
    pub case: Case,
    /// The rules and definitions the case runs with (the console evaluates with them).
    pub(super) catalog: RepoCatalog,
    pub(super) services: RepoServices,
    /// Taken before each command, for stepping back: (snapshot, trace length, work
    /// items); the last [`BACK_KEEP`] commands.
    pub(super) history: std::collections::VecDeque<(Snapshot, usize, Vec<WorkItem>)>,
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
pub fn contexts(st: &DebuggerState, _cx: &Ctx) -> Vec<Context> {
    let d = st;
    if d.prompt.is_some() || d.console.is_open() {
        vec![Context::TextEdit]
    } else if d.session.as_ref().is_some_and(|s| !s.items.is_empty()) {
        vec![
            Context::DebuggerWaiting,
            Context::Debugger,
            Context::Screens,
            Context::Navigate,
            Context::Global,
        ]
    } else {
        vec![
            Context::Debugger,
            Context::Screens,
            Context::Navigate,
            Context::Global,
        ]
    }
}

pub fn text_input(st: &mut DebuggerState, _cx: &mut Ctx, key: KeyEvent) {
    if st.console.is_open() {
        let d = st;
        return d.console.text_input(key);
    }
    if let Some(p) = st.prompt.as_mut()
        && p.input.input(key)
    {
        p.error = None;
    }
}

fn prompt_accepted(
    st: &mut DebuggerState,
    cx: &mut Ctx,
    purpose: Ask,
    text: String,
) -> Result<(), String> {
    let d = &mut *st;
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
            save_workspace(st, cx);
        }
        Ask::Breakpoint => {
            let process = d.shown().map(|(def, _)| def.name.clone());
            let bp = SavedBreakpoint::parse(&text, process)?;
            cx.info(format!("breakpoint {bp}"));
            {
                let d = &mut *st;
                d.workspace.breakpoints.push(bp);
            }
            save_workspace(st, cx);
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

fn toggle_breakpoint(st: &mut DebuggerState, cx: &mut Ctx) {
    let d = &mut *st;
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
    save_workspace(st, cx);
    cx.info(msg);
}

fn toggle_apply(st: &mut DebuggerState, cx: &mut Ctx) {
    let root = cx.root;
    let d = &mut *st;
    d.dry_run = !d.dry_run;
    if let Some(s) = d.session.as_mut() {
        match Repository::open(root) {
            Ok(repo) => {
                s.services = ask::services(&repo, d.dry_run);
                s.catalog.set_cache_writes(!d.dry_run);
            }
            Err(e) => {
                d.dry_run = !d.dry_run;
                cx.error(format!("cannot switch: {e}"));
                return;
            }
        }
    }
    let msg = if d.dry_run {
        "dry run: side effects are recorded, nothing is changed"
    } else {
        "APPLY: service calls now change the repository (users, outbox, audit)"
    };
    cx.info(msg);
}

pub fn update(st: &mut DebuggerState, cx: &mut Ctx, action: Action) -> Vec<Request> {
    let d = &mut *st;
    if let Some(mut p) = d.prompt.take() {
        match action {
            Action::Cancel => {}
            Action::Accept => {
                if let Err(e) = prompt_accepted(st, cx, p.purpose, p.text()) {
                    p.error = Some(e);
                    {
                        let d = &mut *st;
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
            save_workspace(st, cx);
            cx.info("watches and breakpoints removed");
        }
        Action::ToggleBreakpoint => toggle_breakpoint(st, cx),
        Action::Continue => run_command(st, cx, Command::Continue),
        Action::Step | Action::StepInto => run_command(st, cx, Command::Step),
        Action::StepOver => run_command(st, cx, Command::StepOver),
        Action::StepOut => run_command(st, cx, Command::StepOut),
        Action::RunToCursor => run_command(st, cx, Command::RunTo),
        Action::StepBack => step_back(st, cx),
        Action::Restart => {
            // The old run's lock goes before the new one is taken.
            d.session = None;
            if let Err(e) = start(st, cx) {
                cx.error(format!("cannot restart: {e}"));
            } else {
                cx.info("restarted with the same inputs");
            }
        }
        Action::Stop => {
            if stop(st) {
                cx.info(
                    "debug run stopped; its run lock is released (nothing pending was written)",
                );
            } else {
                cx.warn("no debug run to stop");
            }
        }
        Action::Approve => decide(st, cx, "approve"),
        Action::Reject => decide(st, cx, "reject"),
        Action::LeavePending => return leave_pending(st, cx),
        Action::ToggleApply => toggle_apply(st, cx),
        Action::Back => {
            return vec![Request::BackToEditor];
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
