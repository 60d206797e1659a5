//! The debugger's step commands: continue, step, step over, step out, run to
//! here, step back, and what a step leaves behind (the trace lines naming
//! actions by name, the changed variables, where the run stopped). The session
//! commands (start, stop, decide, leave pending) and the key handling are in
//! `debugger.rs`.
//!
//! Invariant: every command first remembers the case ([`remember`]) so step
//! back can restore it; the oldest beyond [`BACK_KEEP`] is dropped.

use std::collections::BTreeMap;

use super::debugger::{PATH_SHOW, TRACE_KEEP};
use super::diagram::Diagram;
use crate::engine::{Case, Event, Granularity, NextStep, StopReason};
use crate::expr::Value;

use super::debugger::{BACK_KEEP, DebuggerState, Session};
use super::debugger_session::start;
use super::screen::Ctx;
use super::workspace::Workspace;
/// The display name of action `index` of `activity` in frame `frame`'s
/// definition, when it has one.
pub(crate) fn action_name(
    case: &Case,
    frame: usize,
    activity: &str,
    index: usize,
) -> Option<String> {
    let def = case.definition(frame)?;
    let act = def.process.activities.iter().find(|a| a.name == activity)?;
    let name = &act.actions.get(index)?.name;
    (!name.is_empty()).then(|| crate::model::escape_name(name).into_owned())
}

/// A text for one engine event, for the trace; `named` gives an action's display name.
pub(crate) fn event_line(
    e: &Event,
    named: impl Fn(usize, &str, usize) -> Option<String>,
) -> Option<String> {
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
pub(crate) fn after_step(d: &mut DebuggerState, events: Vec<Event>) {
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
pub(crate) fn mark_changed(d: &mut DebuggerState) {
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
pub(crate) enum Command {
    Continue,
    Step,
    StepOver,
    StepOut,
    RunTo,
}

pub(crate) fn run_command(st: &mut DebuggerState, cx: &mut Ctx, cmd: Command) {
    let d = &mut *st;
    if d.session.is_none() {
        if let Err(e) = start(st, cx) {
            cx.error(format!("cannot start the debug run: {e}"));
            return;
        }
        // Starting is the first step.
        if cmd == Command::Step {
            cx.info("started; s steps on");
            return;
        }
    }
    let d = &mut *st;
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
        cx.warn(msg);
        return;
    }
    if cmd == Command::StepOut && s.case.call_stack().len() <= 1 {
        cx.warn("nothing to step out of: the run stands in the top process (s steps, c continues)");
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
                cx.warn("select an activity first");
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
    cx.clear_notice();
}

/// Keep the case as it is before a command, for stepping back; beyond [`BACK_KEEP`]
/// the oldest is dropped, and the trace says so the first time.
pub(crate) fn remember(s: &mut Session, trace: &mut Vec<String>) {
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
pub(crate) fn breakpoint_name(w: &Workspace, i: usize) -> String {
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
pub(crate) fn describe_next(case: &Case) -> String {
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

pub(crate) fn step_back(st: &mut DebuggerState, cx: &mut Ctx) {
    let d = &mut *st;
    let Some(s) = d.session.as_mut() else { return };
    let Some((snap, trace_len, items)) = s.history.pop_back() else {
        if s.back_dropped > 0 {
            cx.warn(format!(
                "this is the oldest step kept: step back reaches {BACK_KEEP} steps"
            ));
        } else {
            cx.warn("this is the first step");
        }
        return;
    };
    s.case.restore(&snap);
    s.items = items;
    d.trace.truncate(trace_len);
    d.trace.push("◀ stepped back".into());
    d.stopped = describe_next(&s.case);
    after_step(d, Vec::new());
    cx.info("stepped back (effects already applied through services stay applied)");
}
