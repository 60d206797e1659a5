//! The case's history and trace: every step recorded with its timestamp, and trace
//! lines the evaluator emits (kept in `result.trace` only with `resultTrace`).

use std::time::{Duration, Instant};

use chrono::Utc;

use super::{Case, Event, now_text};
use crate::engine::limits::HISTORY_KEEP;
use crate::model::{CompactPath, HistoryEvent, HistoryKind, TaskInstance};

impl Case {
    /// Add an event to the history. Unless the definition has `resultTrace`, only
    /// the most recent events are held: old ones are dropped in batches (so a step
    /// costs the same however long the run), and counted in `historyDropped`.
    pub(super) fn record(&mut self, event: HistoryKind) {
        let at = self.now_stamp();
        self.instance.history.push(HistoryEvent { at, event });
        if self.instance.history.len() >= 2 * HISTORY_KEEP {
            self.trim_history(HISTORY_KEEP);
        }
    }

    /// Drop all but the last `keep` history events (none with `resultTrace`).
    pub(super) fn trim_history(&mut self, keep: usize) {
        let n = self.instance.history.len();
        if n <= keep || self.full_history() {
            return;
        }
        self.instance.history.drain(..n - keep);
        self.instance.history_dropped += (n - keep) as u64;
    }

    /// Whether every history event is kept: the case's definition has `resultTrace`.
    fn full_history(&self) -> bool {
        self.state
            .frames
            .first()
            .and_then(|f| self.compiled.get(&f.definition.hash))
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

    /// The current time in RFC 3339 (millisecond precision), formatted at most once a millisecond.
    pub(super) fn now_stamp(&mut self) -> String {
        match &self.stamp {
            Some((taken, text)) if taken.elapsed() < Duration::from_millis(1) => text.clone(),
            _ => {
                let text = now_text(Utc::now());
                self.stamp = Some((Instant::now(), text.clone()));
                text
            }
        }
    }

    /// Report the trace lines of the current unit of work (kept in `result.trace`
    /// when the case's definition has `resultTrace`). The one place trace leaves the case.
    pub(super) fn flush_trace(&mut self, ev: &mut Vec<Event>) {
        if self.trace.is_empty() {
            return;
        }
        let keep = self
            .state
            .frames
            .first()
            .and_then(|f| self.compiled.get(&f.definition.hash))
            .map(|c| c.definition.result_trace)
            .unwrap_or(false);
        for line in self.trace.drain(..) {
            if keep {
                self.instance.result.trace.push(line.clone());
            }
            ev.push(Event::Trace { line });
        }
    }

    /// Report an event, after the trace lines that led to it.
    pub(super) fn emit(&mut self, ev: &mut Vec<Event>, event: Event) {
        self.flush_trace(ev);
        ev.push(event);
    }
}

/// The compact path of an instance: its `path`, or for an instance written before
/// bpe kept one, the path read from its history.
pub fn instance_path(inst: &TaskInstance) -> CompactPath {
    if inst.path.is_empty() && inst.path_dropped == 0 {
        CompactPath::from_names(&path_of(&inst.history))
    } else {
        CompactPath {
            entries: inst.path.clone(),
            dropped: inst.path_dropped,
        }
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
