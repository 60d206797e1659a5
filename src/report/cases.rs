//! The cases behind one figure of the report (the reports screen's Enter): the
//! same events [`super::compute`] counts for that figure, as case ids, with each
//! case's status, start and duration.
//!
//! Invariants:
//! - A case is listed when an event it is counted for lies in the period and the
//!   workflow filter of the [`Options`]: a workflow's row lists every case with an
//!   event of that workflow in the period (and its pre-journal cases counted by
//!   the report); an approver, the cases where they answered a work item; a
//!   failures row, the cases that failed there; an overdue owner, the cases whose
//!   work items wait on them now (whatever the period).
//! - Status, start and duration come from the TaskInstance file when it is still
//!   there; else from the journal (`caseStarted`, `caseEnded`), and the case is
//!   marked as gone (its file was removed when its `resultLimit` expired).

use std::collections::{HashMap, HashSet};

use chrono::DateTime;

use super::{Options, failure_place, in_period, overdue_items, pre_journal_candidates};
use crate::journal::{self, EventKind, Line};
use crate::model::InstanceStatus;
use crate::repo::Repository;

/// A figure whose cases are wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A workflow's row.
    Workflow(String),
    /// An approver (the owner who answered).
    Approver(String),
    /// A failures row: where the cases stood (`failures[].activity`).
    Failure(String),
    /// An owner of overdue work items.
    Overdue(String),
}

/// One case behind a figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub instance: String,
    pub workflow: String,
    /// Status now (the file), else the journal's end status, else `running`.
    pub status: String,
    /// Start time as recorded (empty when neither file nor journal says).
    pub started: String,
    /// Start to end, for finished cases.
    pub duration_ms: Option<i64>,
    /// Whether the TaskInstance file is still in the repository.
    pub on_file: bool,
}

/// The cases behind `subject`, latest start first.
pub fn cases(repo: &Repository, opts: &Options, subject: &Subject) -> std::io::Result<Vec<Case>> {
    let wanted = |name: &str| opts.workflow.as_deref().is_none_or(|w| w == name);
    let mut ids: HashSet<String> = HashSet::new();
    if let Subject::Overdue(owner) = subject {
        ids.extend(
            overdue_items(repo, opts, &wanted)
                .filter(|(w, _)| w.owner == *owner)
                .map(|(w, _)| w.instance.clone()),
        );
    } else {
        let candidates = pre_journal_candidates(repo, opts)?;
        let (found, _) = journal::visit_lines(
            &repo.root,
            opts.since,
            opts.until,
            || (HashSet::new(), HashSet::new()),
            |(hit, named): &mut (HashSet<String>, HashSet<String>), l: Line<'_>, _| {
                if candidates.contains(&*l.instance) {
                    named.insert(l.instance.to_string());
                }
                let name = &*l.workflow.name;
                if !name.is_empty() && wanted(name) && counts_for(subject, &l) {
                    hit.insert(l.instance.to_string());
                }
            },
        )?;
        let mut named = HashSet::new();
        for (hit, n) in found {
            ids.extend(hit);
            named.extend(n);
        }
        for l in &repo.instances {
            let i = &l.value;
            if candidates.contains(i.id.as_str())
                && !named.contains(&i.id)
                && pre_journal_counts(subject, i, opts)
            {
                ids.insert(i.id.clone());
            }
        }
    }
    describe(repo, ids)
}

/// Whether the report counts line `l` for `subject` (its workflow is wanted).
fn counts_for(subject: &Subject, l: &Line<'_>) -> bool {
    match subject {
        Subject::Workflow(name) => *l.workflow.name == **name,
        Subject::Approver(owner) => {
            l.event == EventKind::WorkItemCompleted && l.owner.as_deref() == Some(owner)
        }
        Subject::Failure(place) => {
            l.event == EventKind::CaseEnded
                && l.status.as_deref() == Some(InstanceStatus::Failed.as_str())
                && failure_place(l.activities.as_deref().unwrap_or(&[])) == *place
        }
        Subject::Overdue(_) => false,
    }
}

/// Whether a pre-journal case (counted from its file) is behind `subject`.
fn pre_journal_counts(subject: &Subject, i: &crate::model::TaskInstance, opts: &Options) -> bool {
    let at = |t: Option<&str>| {
        t.and_then(journal::parse_time)
            .is_some_and(|t| in_period(opts, t))
    };
    let ended = i.status.is_finished() && at(i.finished.as_deref());
    match subject {
        Subject::Workflow(name) => i.definition.name == *name && (at(Some(&i.started)) || ended),
        Subject::Failure(place) => {
            ended
                && i.status == InstanceStatus::Failed
                && failure_place(&i.current_activities) == *place
        }
        Subject::Approver(_) | Subject::Overdue(_) => false,
    }
}

/// What the journal says of a case whose file is gone.
#[derive(Default)]
struct Journaled {
    workflow: String,
    started: String,
    ended: Option<(String, i64)>,
}

fn describe(repo: &Repository, ids: HashSet<String>) -> std::io::Result<Vec<Case>> {
    let gone: HashSet<&str> = ids
        .iter()
        .map(|s| s.as_str())
        .filter(|id| repo.instance(id).is_none())
        .collect();
    let mut journaled: HashMap<String, Journaled> = HashMap::new();
    if !gone.is_empty() {
        let (parts, _) = journal::visit_lines(
            &repo.root,
            None,
            None,
            HashMap::new,
            |m: &mut HashMap<String, Journaled>, l: Line<'_>, _| {
                if !gone.contains(&*l.instance) {
                    return;
                }
                let j = m.entry(l.instance.to_string()).or_default();
                match l.event {
                    EventKind::CaseStarted => {
                        j.workflow = l.workflow.name.to_string();
                        j.started = l.at.to_string();
                    }
                    EventKind::CaseEnded => {
                        let status = l.status.as_deref().unwrap_or("ended").to_string();
                        j.ended = Some((status, l.duration_ms.unwrap_or(0)));
                    }
                    _ if j.workflow.is_empty() => j.workflow = l.workflow.name.to_string(),
                    _ => {}
                }
            },
        )?;
        for p in parts {
            for (id, j) in p {
                let mine = journaled.entry(id).or_default();
                if !j.started.is_empty() {
                    mine.started = j.started;
                }
                if mine.workflow.is_empty() || !j.workflow.is_empty() {
                    mine.workflow = j.workflow;
                }
                if j.ended.is_some() {
                    mine.ended = j.ended;
                }
            }
        }
    }
    let mut out: Vec<Case> = ids
        .into_iter()
        .map(|id| match repo.instance(&id) {
            Some(l) => {
                let i = &l.value;
                let duration_ms = i
                    .finished
                    .as_deref()
                    .filter(|_| i.status.is_finished())
                    .and_then(journal::parse_time)
                    .zip(journal::parse_time(&i.started))
                    .map(|(f, s)| (f - s).num_milliseconds());
                Case {
                    workflow: i.definition.name.clone(),
                    status: i.status.as_str().to_string(),
                    started: i.started.clone(),
                    duration_ms,
                    on_file: true,
                    instance: id,
                }
            }
            None => {
                let j = journaled.remove(&id).unwrap_or_default();
                let (status, duration_ms) = match j.ended {
                    Some((s, d)) => (s, Some(d)),
                    None => (InstanceStatus::Running.as_str().to_string(), None),
                };
                Case {
                    workflow: j.workflow,
                    status,
                    started: j.started,
                    duration_ms,
                    on_file: false,
                    instance: id,
                }
            }
        })
        .collect();
    let key = |c: &Case| journal::parse_time(&c.started).unwrap_or(DateTime::UNIX_EPOCH);
    out.sort_by(|a, b| key(b).cmp(&key(a)).then(a.instance.cmp(&b.instance)));
    Ok(out)
}
