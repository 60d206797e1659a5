//! Breakpoints for the step-wise API: "continue until a breakpoint" over [`Case`].

use super::case::{Case, Event, NextStep, Runtime};
use crate::expr::Expr;

/// Where a breakpoint stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakAt {
    /// Before the activity is entered (before its first action).
    Activity { activity: String },
    /// Before the action (0-based index) runs.
    Action { activity: String, action: usize },
    /// Right after the transition was taken.
    Transition { from: String, to: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Breakpoint {
    /// Only in this process (definition name); `None` = any process on the stack.
    pub process: Option<String>,
    pub at: BreakAt,
    /// Stop only when this evaluates true in the scope of the token that hit it
    /// (an error in the condition stops too, so it gets noticed).
    pub condition: Option<Expr>,
}

/// Why [`Case::run_to_breakpoint`] returned.
#[derive(Debug, Clone, PartialEq)]
pub enum StopReason {
    /// Breakpoint `index` was hit.
    Breakpoint(usize),
    /// The case is no longer running (completed, suspended, terminated, failed).
    NotRunning,
}

impl Case {
    /// Continue until a breakpoint is hit or the case stops running. A breakpoint
    /// at the very place the case stands now does not stop it again (continue
    /// from a breakpoint moves on).
    pub fn run_to_breakpoint(
        &mut self,
        rt: &mut Runtime<'_>,
        breakpoints: &[Breakpoint],
    ) -> (Vec<Event>, StopReason) {
        let mut ev = Vec::new();
        let mut first = true;
        while self.is_running() {
            if !first && let Some(i) = self.hit_before(rt, breakpoints) {
                return (ev, StopReason::Breakpoint(i));
            }
            first = false;
            let from = ev.len();
            let mut more = self.step(rt, super::Granularity::Action);
            ev.append(&mut more);
            if let Some(i) = self.hit_after(rt, breakpoints, &ev[from..]) {
                return (ev, StopReason::Breakpoint(i));
            }
        }
        (ev, StopReason::NotRunning)
    }

    fn condition_holds(
        &mut self,
        rt: &mut Runtime<'_>,
        bp: &Breakpoint,
        frame: usize,
        token: u64,
    ) -> bool {
        match &bp.condition {
            None => true,
            Some(e) => self
                .evaluate(frame, Some(token), e, &*rt.catalog)
                .map(|v| v.is_true())
                .unwrap_or(true),
        }
    }

    fn hit_before(&mut self, rt: &mut Runtime<'_>, bps: &[Breakpoint]) -> Option<usize> {
        let next = self.next_step()?;
        for (i, bp) in bps.iter().enumerate() {
            let (frame, token) = match (&next, &bp.at) {
                (
                    NextStep::Enter {
                        frame,
                        token,
                        process,
                        activity,
                    },
                    BreakAt::Activity { activity: a },
                ) if a == activity && process_matches(bp, process) => (*frame, *token),
                (
                    NextStep::Action {
                        frame,
                        token,
                        process,
                        activity,
                        action,
                    },
                    BreakAt::Action {
                        activity: a,
                        action: n,
                    },
                ) if a == activity && n == action && process_matches(bp, process) => {
                    (*frame, *token)
                }
                _ => continue,
            };
            if self.condition_holds(rt, bp, frame, token) {
                return Some(i);
            }
        }
        None
    }

    fn hit_after(
        &mut self,
        rt: &mut Runtime<'_>,
        bps: &[Breakpoint],
        events: &[Event],
    ) -> Option<usize> {
        for e in events {
            let Event::TransitionTaken {
                frame,
                token,
                from,
                to,
            } = e
            else {
                continue;
            };
            let process = self
                .call_stack()
                .get(*frame)
                .map(|f| f.process.clone())
                .unwrap_or_default();
            for (i, bp) in bps.iter().enumerate() {
                if let BreakAt::Transition { from: f, to: t } = &bp.at
                    && f == from
                    && t == to
                    && process_matches(bp, &process)
                    && self.condition_holds(rt, bp, *frame, *token)
                {
                    return Some(i);
                }
            }
        }
        None
    }
}

fn process_matches(bp: &Breakpoint, process: &str) -> bool {
    bp.process.as_deref().is_none_or(|p| p == process)
}
