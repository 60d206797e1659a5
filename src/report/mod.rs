//! Figures on the effectiveness of identity processes, from the case journal
//! (`crate::journal`) and the repository as it is now. `bpe report`
//! (`cli/report/`) prints them.
//!
//! Invariants:
//! - Period figures count journal events whose time lies in `[since, until)`:
//!   cases started (`caseStarted`), ended (`caseEnded`, by status), work items
//!   completed, timed out and forwarded (escalations), SoD violations.
//! - "Now" figures (suspended and running cases, overdue work items) come from
//!   the TaskInstance and WorkItem files, whatever the period.
//! - A finished TaskInstance that predates the journal (started before its first
//!   record) counts as started and ended from its own file, when those times fall
//!   in the period; its work items do not (no file says when they were answered).
//! - The journal is read once, streaming: memory grows with the number of cases
//!   and work items in the period (one number per duration), not with lines.

pub mod cases;
mod files;
pub mod stats;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::journal::{self, BadLine, EventKind, Line};
use crate::model::InstanceStatus;
use crate::repo::Repository;
use files::{overdue, overdue_items, pre_journal, pre_journal_candidates};
use stats::{Samples, Summary};

/// What to report on.
#[derive(Debug, Clone)]
pub struct Options {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only this workflow (by name, exactly).
    pub workflow: Option<String>,
    /// A pending work item older than this is overdue (also when its timeout passed).
    pub overdue_after: Duration,
    pub now: DateTime<Utc>,
    /// Also compute [`Report::total`] (the reports screen's "all workflows").
    pub total: bool,
}

impl Options {
    pub fn new(now: DateTime<Utc>) -> Options {
        Options {
            since: None,
            until: None,
            workflow: None,
            overdue_after: Duration::hours(DEFAULT_OVERDUE_HOURS),
            now,
            total: false,
        }
    }
}

/// Pending work items older than this many hours are overdue by default.
pub const DEFAULT_OVERDUE_HOURS: i64 = 72;

/// Everything `bpe report` says.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub since: Option<String>,
    pub until: Option<String>,
    pub generated: String,
    pub workflows: Vec<WorkflowFigures>,
    /// The figures of every selected workflow together (only with [`Options::total`];
    /// its `workflow` is empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<WorkflowFigures>,
    /// Pending work items overdue now, per owner (most first).
    pub overdue: Vec<Overdue>,
    /// Journal lines that could not be read, with their position.
    pub skipped_lines: Vec<BadLine>,
}

/// The figures of one workflow.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowFigures {
    pub workflow: String,
    pub started: usize,
    pub completed: usize,
    pub terminated: usize,
    pub failed: usize,
    /// Cases of this workflow suspended now (waiting on work items).
    pub suspended_now: usize,
    /// Cases of this workflow running now (including interrupted ones).
    pub running_now: usize,
    /// Start to end of the cases that ended in the period.
    pub cycle_time: Option<Summary>,
    /// Cases ended in the period per bucket of [`stats::CYCLE_BUCKETS`].
    pub cycle_time_histogram: Vec<usize>,
    /// Cases started in the period per day (`YYYY-MM-DD`, UTC).
    pub started_per_day: BTreeMap<String, usize>,
    /// Work items answered in the period.
    pub work_items_completed: usize,
    pub rejected: usize,
    /// `rejected / work_items_completed` (0 when none were completed).
    pub rejection_rate: f64,
    pub timeouts: usize,
    /// Work items forwarded to another owner.
    pub escalations: usize,
    pub sod_violations: usize,
    /// Creation to answer, per approver (the owner who answered).
    pub approvers: Vec<Latency>,
    /// Creation to answer or timeout, per manual action.
    pub manual_actions: Vec<Latency>,
    /// Failed cases per activity where they stood, with the most common reason.
    pub failures: Vec<Failures>,
}

/// Latency of one approver or manual action.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Latency {
    /// The approver, or `Activity / action`.
    pub name: String,
    pub latency: Summary,
    pub rejected: usize,
    pub timeouts: usize,
}

/// Failures at one activity.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Failures {
    pub activity: String,
    pub count: usize,
    pub most_common_error: String,
    pub most_common_error_count: usize,
}

/// Overdue work items of one owner.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Overdue {
    pub owner: String,
    pub count: usize,
    /// The oldest one's id and age.
    pub oldest: String,
    pub oldest_age_ms: i64,
}

/// What a decision counts as a rejection.
pub fn is_rejection(decision: &str) -> bool {
    ["reject", "rejected", "deny", "denied"]
        .iter()
        .any(|d| decision.eq_ignore_ascii_case(d))
}

#[derive(Default, Clone)]
struct Acc {
    started: usize,
    per_day: BTreeMap<String, usize>,
    ended: BTreeMap<String, usize>,
    cycle: Samples,
    completed_items: usize,
    rejected: usize,
    timeouts: usize,
    escalations: usize,
    sod: usize,
    approvers: BTreeMap<String, LatAcc>,
    /// activity -> action -> latency.
    actions: BTreeMap<String, BTreeMap<String, LatAcc>>,
    failures: BTreeMap<String, BTreeMap<String, usize>>,
}

#[derive(Default, Clone)]
struct LatAcc {
    samples: Samples,
    rejected: usize,
    timeouts: usize,
}

impl LatAcc {
    fn finish(mut self, name: String) -> Option<Latency> {
        Some(Latency {
            name,
            latency: self.samples.summary()?,
            rejected: self.rejected,
            timeouts: self.timeouts,
        })
    }

    fn merge(&mut self, other: LatAcc) {
        self.samples.extend(other.samples);
        self.rejected += other.rejected;
        self.timeouts += other.timeouts;
    }
}

/// An optional field's text, `""` when absent.
fn s<'a>(c: &'a Option<std::borrow::Cow<'_, str>>) -> &'a str {
    c.as_deref().unwrap_or("")
}

/// The entry for `key`, allocating the key only when it is new.
fn slot<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), V::default());
    }
    map.get_mut(key).expect("just inserted")
}

fn ms_between(from: &str, to: DateTime<Utc>) -> i64 {
    journal::parse_time(from)
        .map(|f| (to - f).num_milliseconds())
        .unwrap_or(0)
}

impl Acc {
    fn add(&mut self, l: &Line<'_>, at: DateTime<Utc>) {
        match l.event {
            EventKind::CaseStarted => self.start(&l.at, at),
            EventKind::CaseEnded => {
                let activities: Vec<String> = l
                    .activities
                    .iter()
                    .flatten()
                    .map(|a| a.to_string())
                    .collect();
                self.end(
                    s(&l.status),
                    l.duration_ms.unwrap_or(0),
                    &activities,
                    l.reason.as_deref(),
                );
            }
            EventKind::WorkItemCompleted => {
                let ms = ms_between(s(&l.created), at);
                let rejected = is_rejection(s(&l.decision));
                self.completed_items += 1;
                self.rejected += rejected as usize;
                let by_action = slot(&mut self.actions, s(&l.activity));
                for lat in [
                    slot(&mut self.approvers, s(&l.owner)),
                    slot(by_action, s(&l.action)),
                ] {
                    lat.samples.push(ms);
                    lat.rejected += rejected as usize;
                }
            }
            EventKind::WorkItemTimedOut => {
                self.timeouts += 1;
                let lat = slot(slot(&mut self.actions, s(&l.activity)), s(&l.action));
                lat.samples.push(ms_between(s(&l.created), at));
                lat.timeouts += 1;
            }
            EventKind::WorkItemForwarded => self.escalations += 1,
            EventKind::SodViolation => self.sod += 1,
            EventKind::WorkItemCreated => {}
        }
    }

    fn start(&mut self, text: &str, at: DateTime<Utc>) {
        self.started += 1;
        // bpe writes UTC (`...Z`): its first ten characters are the day.
        match text.get(..10).filter(|_| text.ends_with('Z')) {
            Some(day) => *slot(&mut self.per_day, day) += 1,
            None => *slot(&mut self.per_day, &at.format("%Y-%m-%d").to_string()) += 1,
        }
    }

    fn merge(&mut self, o: Acc) {
        self.started += o.started;
        for (k, v) in o.per_day {
            *self.per_day.entry(k).or_default() += v;
        }
        for (k, v) in o.ended {
            *self.ended.entry(k).or_default() += v;
        }
        self.cycle.extend(o.cycle);
        self.completed_items += o.completed_items;
        self.rejected += o.rejected;
        self.timeouts += o.timeouts;
        self.escalations += o.escalations;
        self.sod += o.sod;
        for (k, v) in o.approvers {
            self.approvers.entry(k).or_default().merge(v);
        }
        for (activity, actions) in o.actions {
            let mine = self.actions.entry(activity).or_default();
            for (k, v) in actions {
                mine.entry(k).or_default().merge(v);
            }
        }
        for (activity, reasons) in o.failures {
            let mine = self.failures.entry(activity).or_default();
            for (k, v) in reasons {
                *mine.entry(k).or_default() += v;
            }
        }
    }

    fn end(&mut self, status: &str, duration_ms: i64, activities: &[String], reason: Option<&str>) {
        *self.ended.entry(status.to_string()).or_default() += 1;
        self.cycle.push(duration_ms);
        if status == InstanceStatus::Failed.as_str() {
            let at = failure_place(activities);
            let reason = reason.unwrap_or("(no reason recorded)");
            *self
                .failures
                .entry(at)
                .or_default()
                .entry(first_line(reason))
                .or_default() += 1;
        }
    }

    fn finish(self, workflow: String) -> WorkflowFigures {
        let ended = |s: InstanceStatus| self.ended.get(s.as_str()).copied().unwrap_or(0);
        let mut cycle = self.cycle;
        let cycle_time = cycle.summary();
        let mut failures: Vec<Failures> = self
            .failures
            .into_iter()
            .map(|(activity, reasons)| {
                let count = reasons.values().sum();
                // Most common first; ties by the text, so the answer is stable.
                let (error, n) = reasons
                    .into_iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                    .unwrap_or_default();
                Failures {
                    activity,
                    count,
                    most_common_error: error,
                    most_common_error_count: n,
                }
            })
            .collect();
        failures.sort_by(|a, b| b.count.cmp(&a.count).then(a.activity.cmp(&b.activity)));
        WorkflowFigures {
            workflow,
            started: self.started,
            completed: ended(InstanceStatus::Completed),
            terminated: ended(InstanceStatus::Terminated),
            failed: ended(InstanceStatus::Failed),
            cycle_time,
            cycle_time_histogram: stats::histogram(cycle.values()),
            started_per_day: self.per_day,
            work_items_completed: self.completed_items,
            rejected: self.rejected,
            rejection_rate: if self.completed_items == 0 {
                0.0
            } else {
                self.rejected as f64 / self.completed_items as f64
            },
            timeouts: self.timeouts,
            escalations: self.escalations,
            sod_violations: self.sod,
            approvers: self
                .approvers
                .into_iter()
                .filter_map(|(k, v)| v.finish(k))
                .collect(),
            manual_actions: self
                .actions
                .into_iter()
                .flat_map(|(activity, actions)| {
                    actions
                        .into_iter()
                        .filter_map(move |(action, v)| v.finish(format!("{activity} / {action}")))
                })
                .collect(),
            failures,
            ..Default::default()
        }
    }
}

/// Where a failed case stood, as the failures figure groups it.
fn failure_place<S: AsRef<str>>(activities: &[S]) -> String {
    if activities.is_empty() {
        "(unknown)".to_string()
    } else {
        activities
            .iter()
            .map(|a| a.as_ref())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The first line of a reason, at most 200 characters.
fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(200).collect()
}

/// Compute the report over `repo` (opened by the caller) and its journal.
pub fn compute(repo: &Repository, opts: &Options) -> std::io::Result<Report> {
    let root = &repo.root;
    let wanted = |name: &str| opts.workflow.as_deref().is_none_or(|w| w == name);
    // Finished cases from before the journal (see the module invariants) that the
    // journal does not name: counted from their own files.
    let candidates = pre_journal_candidates(repo, opts)?;
    let (partials, skipped_lines) = journal::visit_lines(
        root,
        opts.since,
        opts.until,
        Partial::default,
        |p: &mut Partial, l: Line<'_>, at| {
            if !candidates.is_empty() && candidates.contains(&*l.instance) {
                p.named.insert(l.instance.to_string());
            }
            let name = &*l.workflow.name;
            if name.is_empty() {
                p.orphans.push((l.instance.to_string(), l, at).into());
                return;
            }
            if wanted(name) {
                slot(&mut p.per, name).add(&l, at);
            }
        },
    )?;
    let mut all = Partial::default();
    for p in partials {
        all.merge(p);
    }
    let Partial {
        mut per,
        orphans,
        named,
    } = all;
    let case_workflow = workflows_of(repo, &orphans)?;
    for o in orphans {
        let name = case_workflow
            .get(&o.instance)
            .cloned()
            .unwrap_or_else(|| "(unknown workflow)".to_string());
        // Only SoD lines name no workflow.
        if wanted(&name) && o.event == EventKind::SodViolation {
            slot(&mut per, &name).sod += 1;
        }
    }
    let in_period = |t: DateTime<Utc>| in_period(opts, t);
    for l in &repo.instances {
        let inst = &l.value;
        if !candidates.contains(inst.id.as_str()) || named.contains(&inst.id) {
            continue;
        }
        let Some(started) = journal::parse_time(&inst.started) else {
            continue;
        };
        pre_journal(
            slot(&mut per, &inst.definition.name),
            inst,
            started,
            &in_period,
        );
    }
    // Now: cases suspended / running, overdue work items.
    let mut now_counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for l in &repo.instances {
        let inst = &l.value;
        if !wanted(&inst.definition.name) {
            continue;
        }
        let c = now_counts.entry(inst.definition.name.clone()).or_default();
        match inst.status {
            InstanceStatus::Suspended => c.0 += 1,
            InstanceStatus::Running => c.1 += 1,
            _ => {}
        }
    }
    let mut workflows: Vec<WorkflowFigures> = Vec::new();
    let mut names: Vec<String> = per.keys().cloned().collect();
    for n in now_counts.keys() {
        if !per.contains_key(n) {
            names.push(n.clone());
        }
    }
    names.sort();
    let total = opts.total.then(|| {
        let mut all = Acc::default();
        for acc in per.values() {
            all.merge(acc.clone());
        }
        all.finish(String::new())
    });
    for name in names {
        let mut f = per.remove(&name).unwrap_or_default().finish(name.clone());
        if let Some((s, r)) = now_counts.get(&name) {
            f.suspended_now = *s;
            f.running_now = *r;
        }
        workflows.push(f);
    }
    Ok(Report {
        since: opts.since.map(time_text),
        until: opts.until.map(time_text),
        generated: time_text(opts.now),
        workflows,
        total,
        overdue: overdue(repo, opts, &wanted),
        skipped_lines,
    })
}

/// Whether `t` lies in the period `[since, until)` of `opts`.
fn in_period(opts: &Options, t: DateTime<Utc>) -> bool {
    opts.since.is_none_or(|s| t >= s) && opts.until.is_none_or(|u| t < u)
}

fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// One reader thread's share of the journal.
#[derive(Default)]
struct Partial {
    per: BTreeMap<String, Acc>,
    orphans: Vec<Orphan>,
    /// Pre-journal candidates the journal names after all.
    named: HashSet<String>,
}

/// A line without a workflow, kept until the cases' workflows are known.
struct Orphan {
    instance: String,
    event: EventKind,
}

impl<'a> From<(String, Line<'a>, DateTime<Utc>)> for Orphan {
    fn from((instance, l, _): (String, Line<'a>, DateTime<Utc>)) -> Orphan {
        Orphan {
            instance,
            event: l.event,
        }
    }
}

impl Partial {
    fn merge(&mut self, o: Partial) {
        for (k, v) in o.per {
            match self.per.get_mut(&k) {
                Some(mine) => mine.merge(v),
                None => {
                    self.per.insert(k, v);
                }
            }
        }
        self.orphans.extend(o.orphans);
        self.named.extend(o.named);
    }
}

/// The workflow of each case that has a line without one (SoD checks): from its
/// TaskInstance file, else from its `caseStarted` line (a second pass over the
/// journal, only when some case has neither).
fn workflows_of(repo: &Repository, orphans: &[Orphan]) -> std::io::Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    let mut unknown = HashSet::new();
    for o in orphans {
        match repo.instance(&o.instance) {
            Some(l) => {
                out.insert(o.instance.clone(), l.value.definition.name.clone());
            }
            None => {
                unknown.insert(o.instance.clone());
            }
        }
    }
    if unknown.is_empty() {
        return Ok(out);
    }
    let (found, _) = journal::visit_lines(
        &repo.root,
        None,
        None,
        HashMap::new,
        |m: &mut HashMap<String, String>, l: Line<'_>, _| {
            if l.event == EventKind::CaseStarted && unknown.contains(&*l.instance) {
                m.insert(l.instance.to_string(), l.workflow.name.to_string());
            }
        },
    )?;
    for m in found {
        out.extend(m);
    }
    Ok(out)
}
