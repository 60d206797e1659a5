//! What a step reports ([`Event`]), how far a step goes ([`Granularity`]), what runs
//! next ([`NextStep`]) and the debugger's views of the call stack. Plain data: no
//! behaviour of the case lives here.

use crate::expr::Value;

use crate::engine::state::Phase;

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

pub(super) fn event_frame(e: &Event) -> Option<usize> {
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
