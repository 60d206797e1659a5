//! The case's history and trace: every step recorded with its timestamp, and trace
//! lines the evaluator emits (kept in `result.trace` only with `resultTrace`).

use std::time::{Duration, Instant};

use chrono::Utc;

use super::{Case, Event, now_text};
use crate::model::{HistoryEvent, HistoryKind};

impl Case {
    pub(super) fn record(&mut self, event: HistoryKind) {
        let at = self.now_stamp();
        self.instance.history.push(HistoryEvent { at, event });
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
