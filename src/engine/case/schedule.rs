//! Scheduling: which token runs next (round-robin, `andJoin` waiting by
//! reachability), the step API's loops, entering activities, taking transitions
//! (splits, `maxSteps`), ending frames and finishing the case.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::history::Lazy;
use super::{Case, Event, Fill, Granularity, NextStep, Outcome, Runtime, event_frame, now_text};
use crate::engine::state::{Phase, Token};
use crate::expr::{self, Value};
use crate::model::{HistoryKind, InstanceStatus};

impl Case {
    // ---------------------------------------------------------------- scheduling

    pub(super) fn runnable(&self, frame: usize, ti: usize, force_join: bool) -> bool {
        let f = &self.state.frames[frame];
        let t = &f.tokens[ti];
        match t.phase {
            Phase::Action { .. } | Phase::Transitions => true,
            Phase::Waiting { .. } | Phase::Subprocess { .. } => false,
            Phase::Arrived => {
                let c = &self.stack[frame];
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

    pub(super) fn pick(&self, frame: usize, force_join: bool) -> Option<usize> {
        let f = &self.state.frames[frame];
        // From the cursor round to it (no division per token).
        let at = f.cursor.min(f.tokens.len());
        (at..f.tokens.len())
            .chain(0..at)
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

    /// Like [`Case::run_some`] for a host that does not look at events (`bpe run`
    /// persisting progress): no [`Event`] is built. The history and the trace are
    /// recorded as always.
    pub fn run_some_quietly(&mut self, rt: &mut Runtime<'_>, max_units: usize) {
        self.quiet = true;
        let mut none = Vec::new();
        self.run_some(rt, max_units, &mut none);
        self.quiet = false;
        debug_assert!(none.is_empty());
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

    pub(super) fn step_within(
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

    /// One unit of work; its trace lines are reported by the end of it.
    pub(super) fn micro(&mut self, rt: &mut Runtime<'_>, ev: &mut Vec<Event>) {
        self.unit(rt, ev);
        self.flush_trace(ev);
    }

    fn unit(&mut self, rt: &mut Runtime<'_>, ev: &mut Vec<Event>) {
        if !self.is_running() {
            return;
        }
        if self.state.frames.is_empty() {
            self.finish(InstanceStatus::Completed, None, ev);
            return;
        }
        let started = *self.run_started.get_or_insert_with(Instant::now);
        let limit = self.stack[0].definition.execution_limit;
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
    pub(super) fn settle(&mut self, fi: usize, rt: &mut Runtime<'_>, ev: &mut Vec<Event>) {
        let f = &self.state.frames[fi];
        if f.tokens
            .iter()
            .any(|t| matches!(t.phase, Phase::Waiting { .. }))
        {
            self.instance.status = InstanceStatus::Suspended;
            self.record(HistoryKind::Suspended {});
            self.sync_instance();
            self.emit(ev, Event::Suspended);
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

    pub(super) fn advance(
        &mut self,
        fi: usize,
        ti: usize,
        rt: &mut Runtime<'_>,
        ev: &mut Vec<Event>,
    ) {
        match self.state.frames[fi].tokens[ti].phase {
            Phase::Arrived => self.enter(fi, ti, rt, ev),
            Phase::Action { index } => self.run_action(fi, ti, index, rt, ev),
            Phase::Transitions => self.take_transitions(fi, ti, rt, ev),
            Phase::Waiting { .. } | Phase::Subprocess { .. } => {}
        }
    }

    pub(super) fn enter(
        &mut self,
        fi: usize,
        ti: usize,
        rt: &mut Runtime<'_>,
        ev: &mut Vec<Event>,
    ) {
        let c = self.frame_def(fi);
        let (tid, ai) = self.token_at(fi, ti);
        let act = &c.activities[ai];
        let def = self.def_id(&c);
        self.record_lazy(Lazy::Entered(def, ai));
        self.entered(fi, &act.name);
        self.emit_with(ev, || Event::ActivityEntered {
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
        let none = BTreeMap::new();
        if let Err(e) = self.init_vars(fi, Some(ti), &act.vars, Fill::Activity, &none, &*rt.catalog)
        {
            let reason = format!("activity '{}': {e}", act.name);
            self.finish(InstanceStatus::Failed, Some(reason), ev);
            return;
        }
        self.state.frames[fi].tokens[ti].phase = if act.actions.is_empty() {
            Phase::Transitions
        } else {
            Phase::Action { index: 0 }
        };
    }

    pub(super) fn take_transitions(
        &mut self,
        fi: usize,
        ti: usize,
        rt: &mut Runtime<'_>,
        ev: &mut Vec<Event>,
    ) {
        let c = self.frame_def(fi);
        let (tid, ai) = self.token_at(fi, ti);
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
            self.emit(
                ev,
                Event::TokenEnded {
                    frame: fi,
                    token: tid,
                    activity: act.name.clone(),
                },
            );
            return;
        }
        // The first target, and further ones of an `andSplit` (no allocation
        // for the common single target).
        let mut first = None;
        let mut more = Vec::new();
        for t in &act.transitions {
            let ok = match &t.cond {
                None => true,
                Some(e) => match expr::eval(e, &mut self.env(fi, ti, &*rt.catalog))
                    .map_err(|err| err.to_string())
                    .and_then(|v| self.admit(&Value::Null).map(|()| v))
                {
                    Ok(v) => v.is_true(),
                    Err(err) => {
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
                if first.is_none() {
                    first = Some(t.to);
                } else {
                    more.push(t.to);
                }
                if !act.and_split {
                    break;
                }
            }
        }
        let Some(first) = first else {
            let reason = format!(
                "activity '{}' in '{}': no transition matches",
                act.name, c.dref.name
            );
            self.finish(InstanceStatus::Failed, Some(reason), ev);
            return;
        };
        // The token moves on to the first target; each further one gets a new token.
        let mut new_tokens = Vec::with_capacity(more.len());
        for (k, to) in std::iter::once(first).chain(more).enumerate() {
            let id = if k == 0 {
                let t = &mut self.state.frames[fi].tokens[ti];
                t.activity = to;
                t.activity_name.clone_from(&c.activities[to].name);
                t.phase = Phase::Arrived;
                t.vars.clear();
                t.action_vars.clear();
                tid
            } else {
                self.state.next_token += 1;
                let id = self.state.next_token - 1;
                new_tokens.push(Token {
                    id,
                    activity: to,
                    activity_name: c.activities[to].name.clone(),
                    phase: Phase::Arrived,
                    vars: Default::default(),
                    action_vars: Default::default(),
                });
                id
            };
            let def = self.def_id(&c);
            self.record_lazy(Lazy::Transition(def, ai, to));
            self.emit_with(ev, || Event::TransitionTaken {
                frame: fi,
                token: id,
                from: act.name.clone(),
                to: c.activities[to].name.clone(),
            });
        }
        let n = new_tokens.len() + 1;
        let f = &mut self.state.frames[fi];
        if !new_tokens.is_empty() {
            f.tokens.splice(ti + 1..ti + 1, new_tokens);
        }
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
    pub(super) fn end_frame(&mut self, fi: usize, rt: &mut Runtime<'_>, ev: &mut Vec<Event>) {
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
        self.emit(ev, Event::SubprocessReturned { frame: fi, process });
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

    pub(super) fn finish(
        &mut self,
        status: InstanceStatus,
        reason: Option<String>,
        ev: &mut Vec<Event>,
    ) {
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
        self.emit(
            ev,
            match status {
                InstanceStatus::Completed => Event::Completed,
                InstanceStatus::Terminated => Event::Terminated {
                    reason: reason.unwrap_or_default(),
                },
                _ => Event::Failed {
                    reason: reason.unwrap_or_default(),
                },
            },
        );
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
}
