//! The reports screen (`5`): the figures of `bpe report` (`crate::report::compute`,
//! never a second count) for a period (`p`: last 7 / 30 / 90 days / all) and a
//! workflow (`f` cycles through them), with charts (`reports_view.rs`). Enter on
//! a workflow row, an approver, a failures row or an overdue owner lists the
//! cases behind it (`report::cases`); Enter on a case opens it in the tasks
//! screen, or says its file is gone (its `resultLimit` expired).
//!
//! Invariants: the report is computed only when the screen is shown after a
//! change (the period, the filter, the repository or its journal on disk) or
//! while it is in front when the journal changes — never per frame or per key
//! of movement; "now" comes from [`ReportsState::clock`] (tests fix it);
//! `view` draws the last computed report.

use chrono::{DateTime, Duration, Utc};

use crate::report::cases::{Case, Subject};
use crate::report::{self, Options, Report, WorkflowFigures};

use super::action::Action;
use super::app::Screen;
use super::keymap::Context;
use super::screen::Ctx;
use super::screen::Request;

/// The period the figures cover, ending now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    Days7,
    #[default]
    Days30,
    Days90,
    All,
}

impl Period {
    /// Its length in days (`None`: the whole journal).
    pub fn days(self) -> Option<i64> {
        match self {
            Period::Days7 => Some(7),
            Period::Days30 => Some(30),
            Period::Days90 => Some(90),
            Period::All => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::Days7 => "last 7 days",
            Period::Days30 => "last 30 days",
            Period::Days90 => "last 90 days",
            Period::All => "all time",
        }
    }

    fn next(self) -> Period {
        match self {
            Period::Days7 => Period::Days30,
            Period::Days30 => Period::Days90,
            Period::Days90 => Period::All,
            Period::All => Period::Days7,
        }
    }
}

/// The lists Enter works on, in `Tab` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Workflows,
    Approvers,
    Failures,
    Overdue,
}

impl Pane {
    const ALL: [Pane; 4] = [
        Pane::Workflows,
        Pane::Approvers,
        Pane::Failures,
        Pane::Overdue,
    ];

    fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

/// The cases behind one figure (Enter).
#[derive(Debug, Clone)]
pub struct CaseList {
    pub title: String,
    pub rows: Vec<Case>,
    pub selected: usize,
}

#[derive(Default)]
pub struct ReportsState {
    pub period: Period,
    /// `None`: every workflow.
    pub workflow: Option<String>,
    pub report: Option<Report>,
    /// Why the last computation failed.
    pub error: Option<String>,
    /// The repository or its journal changed since `report` was computed.
    pub stale: bool,
    pub pane: Pane,
    /// Selected row per pane.
    pub selected: [usize; 4],
    pub cases: Option<CaseList>,
    /// A fixed "now" (tests); `None` reads the system clock.
    pub clock: Option<DateTime<Utc>>,
    /// The workflows of the last report over every workflow (for `f`).
    pub choices: Vec<String>,
}

impl ReportsState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    /// What `report::compute` is asked for.
    pub fn options(&self) -> Options {
        let now = self.now();
        let mut o = Options::new(now);
        o.since = self.period.days().map(|d| now - Duration::days(d));
        o.workflow = self.workflow.clone();
        o.total = true;
        o
    }

    /// The figures the charts and the approver and failure lists show: the
    /// selected workflow's, or every workflow's together.
    pub fn figures(&self) -> Option<&WorkflowFigures> {
        self.report.as_ref()?.total.as_ref()
    }

    /// How many rows the pane lists.
    pub fn len(&self, pane: Pane) -> usize {
        let Some(r) = &self.report else {
            return 0;
        };
        match pane {
            Pane::Workflows => r.workflows.len(),
            Pane::Approvers => self.figures().map_or(0, |f| f.approvers.len()),
            Pane::Failures => self.figures().map_or(0, |f| f.failures.len()),
            Pane::Overdue => r.overdue.len(),
        }
    }

    /// The figure behind the selected row of `pane`.
    fn subject(&self, pane: Pane) -> Option<Subject> {
        let r = self.report.as_ref()?;
        let i = self.selected[pane.index()];
        Some(match pane {
            Pane::Workflows => Subject::Workflow(r.workflows.get(i)?.workflow.clone()),
            Pane::Approvers => Subject::Approver(self.figures()?.approvers.get(i)?.name.clone()),
            Pane::Failures => Subject::Failure(self.figures()?.failures.get(i)?.activity.clone()),
            Pane::Overdue => Subject::Overdue(r.overdue.get(i)?.owner.clone()),
        })
    }
}

pub fn contexts(_st: &ReportsState, _cx: &Ctx) -> Vec<Context> {
    vec![
        Context::Reports,
        Context::Screens,
        Context::Navigate,
        Context::Global,
    ]
}

/// Compute the report again from `cx.repo` and its journal.
pub fn recompute(st: &mut ReportsState, cx: &mut Ctx) {
    let s = &mut *st;
    match report::compute(cx.repo, &s.options()) {
        Ok(r) => {
            if s.workflow.is_none() {
                s.choices = r.workflows.iter().map(|w| w.workflow.clone()).collect();
            }
            s.report = Some(r);
            s.error = None;
        }
        Err(e) => {
            s.report = None;
            s.error = Some(format!("cannot read the journal: {e}"));
        }
    }
    s.stale = false;
    for pane in Pane::ALL {
        let last = s.len(pane).saturating_sub(1);
        let sel = &mut s.selected[pane.index()];
        *sel = (*sel).min(last);
    }
}

/// Shown: compute when nothing was computed yet or something changed since.
pub fn refresh(st: &mut ReportsState, cx: &mut Ctx) {
    if st.stale || (st.report.is_none() && st.error.is_none()) {
        recompute(st, cx);
    }
}

/// The repository (or its journal) changed on disk: live when in front, else
/// on the next visit.
pub fn repository_changed(st: &mut ReportsState, cx: &mut Ctx, shown: bool) {
    st.stale = true;
    if shown {
        recompute(st, cx);
    }
}

/// The workflows `f` cycles through: those of the last report over every
/// workflow (the ones with cases), else every definition; sorted.
fn workflow_choices(st: &ReportsState, cx: &Ctx) -> Vec<String> {
    let mut names = st.choices.clone();
    if names.is_empty() {
        names = cx
            .repo
            .definitions
            .iter()
            .map(|d| d.value.name.clone())
            .collect();
    }
    names.sort();
    names.dedup();
    names
}

fn moved(selected: usize, len: usize, action: Action, page: usize) -> usize {
    let last = len.saturating_sub(1);
    match action {
        Action::Up => selected.saturating_sub(1),
        Action::Down => (selected + 1).min(last),
        Action::PageUp => selected.saturating_sub(page),
        Action::PageDown => (selected + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => selected,
    }
}

pub fn update(st: &mut ReportsState, cx: &mut Ctx, action: Action) -> Vec<Request> {
    let page = usize::from(cx.size.1 / 2).max(1);
    if st.cases.is_some() {
        return update_cases(st, cx, action, page);
    }
    let s = &mut *st;
    match action {
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => {
            let i = s.pane.index();
            s.selected[i] = moved(s.selected[i], s.len(s.pane), action, page);
        }
        Action::NextList => s.pane = Pane::ALL[(s.pane.index() + 1) % Pane::ALL.len()],
        Action::CyclePeriod => {
            s.period = s.period.next();
            recompute(st, cx);
            cx.info(format!("reports: {}", st.period.label()));
        }
        Action::CycleWorkflow => {
            let choices = workflow_choices(st, cx);
            let s = &mut *st;
            s.workflow = match &s.workflow {
                None => choices.first().cloned(),
                Some(w) => choices
                    .iter()
                    .position(|c| c == w)
                    .and_then(|p| choices.get(p + 1))
                    .cloned(),
            };
            s.selected = [0; 4];
            recompute(st, cx);
            let name = st.workflow.as_deref().unwrap_or("every workflow");
            cx.info(format!(
                "reports: {}",
                crate::model::escape_name(name).into_owned()
            ));
        }
        Action::Recompute => {
            recompute(st, cx);
            cx.info("reports: computed again from the journal");
        }
        Action::ShowCases => open_figure(st, cx),
        Action::Back => return vec![Request::Show(Screen::Browser)],
        _ => {}
    }
    Vec::new()
}

/// Enter on a figure: list the cases behind it.
fn open_figure(st: &mut ReportsState, cx: &mut Ctx) {
    let s = &*st;
    let Some(subject) = s.subject(s.pane) else {
        cx.warn("nothing selected: move to a row of a list first");
        return;
    };
    let title = match &subject {
        Subject::Workflow(w) => format!("cases of {w}"),
        Subject::Approver(a) => format!("cases {a} answered"),
        Subject::Failure(p) => format!("cases that failed at {p}"),
        Subject::Overdue(o) => format!("cases waiting on {o} (overdue)"),
    };
    match report::cases::cases(cx.repo, &s.options(), &subject) {
        Ok(rows) => {
            st.cases = Some(CaseList {
                title: crate::model::escape_name(&title).into_owned(),
                rows,
                selected: 0,
            })
        }
        Err(e) => cx.error(format!("cannot read the journal: {e}")),
    }
}

fn update_cases(st: &mut ReportsState, cx: &mut Ctx, action: Action, page: usize) -> Vec<Request> {
    let Some(list) = st.cases.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::Back => st.cases = None,
        Action::ShowCases => {
            let Some(case) = list.rows.get(list.selected).cloned() else {
                return Vec::new();
            };
            if cx.repo.instance(&case.instance).is_some() {
                return vec![Request::OpenCase(case.instance)];
            }
            cx.warn(format!(
                "{}: its TaskInstance file is gone (removed when its resultLimit expired); the journal says {}",
                crate::model::escape_name(&case.instance),
                case.status
            ));
        }
        _ => list.selected = moved(list.selected, list.rows.len(), action, page),
    }
    Vec::new()
}
