//! The case's history and trace: every step recorded with its timestamp, and trace
//! lines the evaluator emits (kept in `result.trace` only with `resultTrace`).
//!
//! A step records its event in a compact form ([`Recorded`]: the compiled
//! definition by its number in `Case::defs`, activity indexes into it, the clock
//! reading as a number), with no allocation and no reference count touched; the
//! `HistoryEvent`s with names and RFC 3339 timestamps are built only when the
//! record is read ([`Case::sync_instance`]), and then only for the events kept.
//! Invariant: after a sync, `instance.history` and `historyDropped` are what
//! recording every event in full and trimming to [`HISTORY_KEEP`] would give.
//!
//! An event's time is read from the kernel's coarse real-time clock
//! ([`history_clock`]: a few nanoseconds a read where the precise clock costs
//! tens, which a loop pays three times per activity), so it is exact to one clock
//! tick (4 ms here); times never go backwards within a case, nor before its start.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};

use super::{Case, Event, now_text};
use crate::engine::compile::Compiled;
use crate::engine::limits::HISTORY_KEEP;
use crate::expr::Value;
use crate::model::{CompactPath, HistoryEvent, HistoryKind, TaskInstance};

/// A compiled definition by its index in `Case::defs` (which only grows, so the
/// index stays valid in snapshots too).
pub(super) type DefId = u32;

/// A history event not yet built: the frequent ones (entering an activity, running
/// an action, taking a transition) by index into their compiled definition.
#[derive(Debug, Clone)]
pub(super) enum Lazy {
    Kind(HistoryKind),
    Entered(DefId, usize),
    Action {
        def: DefId,
        activity: usize,
        action: usize,
        result: Option<Value>,
        error: Option<String>,
        suppressed: bool,
    },
    Transition(DefId, usize, usize),
}

/// One recorded event and when it happened.
#[derive(Debug, Clone)]
pub(super) struct Recorded {
    /// The raw clock reading: converted to a date only when the event is built.
    at: SystemTime,
    event: Lazy,
}

impl Recorded {
    fn build(self, defs: &[Arc<Compiled>]) -> HistoryEvent {
        let event = match self.event {
            Lazy::Kind(k) => k,
            Lazy::Entered(c, ai) => {
                let c = &defs[c as usize];
                HistoryKind::ActivityEntered {
                    activity: c.activities[ai].name.clone(),
                    activity_id: c.activities[ai].id.clone(),
                }
            }
            Lazy::Action {
                def,
                activity,
                action,
                result,
                error,
                suppressed,
            } => {
                let act = &defs[def as usize].activities[activity];
                HistoryKind::ActionRun {
                    activity: act.name.clone(),
                    action,
                    kind: act.actions[action].label().to_string(),
                    result,
                    error,
                    suppressed,
                }
            }
            Lazy::Transition(c, from, to) => {
                let c = &defs[c as usize];
                HistoryKind::TransitionTaken {
                    from: c.activities[from].name.clone(),
                    to: c.activities[to].name.clone(),
                }
            }
        };
        HistoryEvent {
            at: now_text(DateTime::<Utc>::from(self.at)),
            event,
        }
    }
}

impl Case {
    /// Add an event to the history.
    pub(super) fn record(&mut self, event: HistoryKind) {
        self.record_lazy(Lazy::Kind(event));
    }

    /// Add an event to the history, built when the record is read. Unless the
    /// definition has `resultTrace`, only the most recent events are held: old ones
    /// are dropped in batches (so a step costs the same however long the run), and
    /// counted in `historyDropped`.
    pub(super) fn record_lazy(&mut self, event: Lazy) {
        let at = history_clock().max(self.clock_floor);
        self.clock_floor = at;
        self.recent.push(Recorded { at, event });
        if self.recent.len() >= 2 * HISTORY_KEEP && !self.full_history() {
            // Everything already built is older than the events kept.
            let cut = self.recent.len() - HISTORY_KEEP;
            self.recent.drain(..cut);
            self.instance.history_dropped += (cut + self.instance.history.len()) as u64;
            self.instance.history.clear();
        }
    }

    /// Build the recorded events into `instance.history`, then keep the last
    /// [`HISTORY_KEEP`] (all with `resultTrace`).
    pub(super) fn build_history(&mut self) {
        let defs = &self.defs;
        let built = self.recent.drain(..).map(|r| r.build(defs));
        self.instance.history.extend(built);
        self.trim_history(HISTORY_KEEP);
    }

    /// Drop all but the last `keep` history events (none with `resultTrace`).
    fn trim_history(&mut self, keep: usize) {
        let n = self.instance.history.len();
        if n <= keep || self.full_history() {
            return;
        }
        self.instance.history.drain(..n - keep);
        self.instance.history_dropped += (n - keep) as u64;
    }

    /// The number of compiled definition `c` in `defs` (added when new).
    pub(super) fn def_id(&mut self, c: &Arc<Compiled>) -> DefId {
        match self.defs.iter().position(|d| Arc::ptr_eq(d, c)) {
            Some(i) => i as DefId,
            None => {
                self.defs.push(c.clone());
                (self.defs.len() - 1) as DefId
            }
        }
    }

    /// Whether every history event is kept: the case's definition has `resultTrace`.
    fn full_history(&self) -> bool {
        // `stack[0]` is the compiled definition of the case's own frame.
        self.stack
            .first()
            .is_some_and(|c| c.definition.result_trace)
    }

    /// An activity was entered in frame `fi`: the compact path and the visit counts.
    pub(super) fn entered(&mut self, fi: usize, activity: &str) {
        let name = if fi == 0 {
            std::borrow::Cow::Borrowed(activity)
        } else {
            let mut n = String::new();
            for f in &self.state.frames[1..=fi] {
                n.push_str(&f.definition.name);
                n.push('/');
            }
            n.push_str(activity);
            std::borrow::Cow::Owned(n)
        };
        self.path.push(&name);
        match self.instance.visits.get_mut(name.as_ref()) {
            Some(n) => *n += 1,
            None => {
                self.instance.visits.insert(name.into_owned(), 1);
            }
        }
    }

    /// Report the trace lines of the current unit of work (kept in `result.trace`
    /// when the case's definition has `resultTrace`). The one place trace leaves the case.
    #[inline]
    pub(super) fn flush_trace(&mut self, ev: &mut Vec<Event>) {
        if !self.trace.is_empty() {
            self.flush_trace_lines(ev);
        }
    }

    fn flush_trace_lines(&mut self, ev: &mut Vec<Event>) {
        let keep = self.full_history();
        for line in self.trace.drain(..) {
            if keep {
                self.instance.result.trace.push(line.clone());
            }
            if !self.quiet {
                ev.push(Event::Trace { line });
            }
        }
    }

    /// Report an event, after the trace lines that led to it.
    pub(super) fn emit(&mut self, ev: &mut Vec<Event>, event: Event) {
        self.emit_with(ev, || event);
    }

    /// Report the event `build` makes, after the trace lines that led to it; a
    /// host that asked for no events ([`Case::run_some_quietly`]) does not pay for
    /// building it.
    pub(super) fn emit_with(&mut self, ev: &mut Vec<Event>, build: impl FnOnce() -> Event) {
        self.flush_trace(ev);
        if !self.quiet {
            ev.push(build());
        }
    }
}

/// The wall clock for history events: the coarse real-time clock where there is
/// one (Linux: the time of the last clock tick, read without asking the hardware),
/// else the precise one.
fn history_clock() -> SystemTime {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime only writes the timespec it is given.
        let ok = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) } == 0;
        if ok && ts.tv_sec >= 0 && (0..1_000_000_000).contains(&ts.tv_nsec) {
            return SystemTime::UNIX_EPOCH + Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
        }
    }
    SystemTime::now()
}

/// The compact path of an instance: its `path`, or for an instance written before
/// bpe kept one, the path read from its history.
pub fn instance_path(inst: &TaskInstance) -> CompactPath {
    if inst.path.is_empty() && inst.path_dropped == 0 {
        CompactPath::from_names(&path_of(&inst.history))
    } else {
        CompactPath::new(inst.path.clone(), inst.path_dropped)
    }
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
