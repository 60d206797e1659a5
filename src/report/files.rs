//! The report's figures that come from the TaskInstance and WorkItem files
//! rather than the journal: finished cases from before the journal existed, and
//! work items overdue now (see the invariants of `report`).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use super::{Acc, Options, Overdue};
use crate::journal;
use crate::model::{TaskInstance, WorkItem};
use crate::repo::Repository;

/// The instances of the selected workflows started before the journal's first
/// record (all of them when there is no journal): finished ones among them that
/// the journal never names are counted from their files.
pub(super) fn pre_journal_candidates<'r>(
    repo: &'r Repository,
    opts: &Options,
) -> std::io::Result<HashSet<&'r str>> {
    let journal_start = journal::first_time(&repo.root)?;
    Ok(repo
        .instances
        .iter()
        .map(|l| &l.value)
        .filter(|i| {
            opts.workflow
                .as_deref()
                .is_none_or(|w| w == i.definition.name)
        })
        .filter(|i| {
            journal::parse_time(&i.started).is_some_and(|s| journal_start.is_none_or(|j| s <= j))
        })
        .map(|i| i.id.as_str())
        .collect())
}

pub(super) fn pre_journal(
    acc: &mut Acc,
    inst: &TaskInstance,
    started: DateTime<Utc>,
    in_period: &impl Fn(DateTime<Utc>) -> bool,
) {
    if in_period(started) {
        acc.start(&inst.started, started);
    }
    if !inst.status.is_finished() {
        return;
    }
    let Some(ended) = inst.finished.as_deref().and_then(journal::parse_time) else {
        return;
    };
    if in_period(ended) {
        acc.end(
            inst.status.as_str(),
            (ended - started).num_milliseconds(),
            &inst.current_activities,
            inst.reason.as_deref(),
        );
    }
}

/// The pending work items of the selected workflows overdue now, with their age.
pub(super) fn overdue_items<'r>(
    repo: &'r Repository,
    opts: &'r Options,
    wanted: &'r impl Fn(&str) -> bool,
) -> impl Iterator<Item = (&'r WorkItem, Duration)> + 'r {
    repo.work_items.iter().filter_map(move |l| {
        let w = &l.value;
        if w.complete {
            return None;
        }
        let workflow = repo
            .instance(&w.instance)
            .map(|i| i.value.definition.name.as_str())
            .unwrap_or(w.definition.name.as_str());
        if !wanted(workflow) {
            return None;
        }
        let age = opts.now - journal::parse_time(&w.created)?;
        let timed_out = w
            .timeout_at
            .as_deref()
            .and_then(journal::parse_time)
            .is_some_and(|t| t <= opts.now);
        (age >= opts.overdue_after || timed_out).then_some((w, age))
    })
}

pub(super) fn overdue(
    repo: &Repository,
    opts: &Options,
    wanted: &impl Fn(&str) -> bool,
) -> Vec<Overdue> {
    let mut by_owner: BTreeMap<String, Overdue> = BTreeMap::new();
    for (w, age) in overdue_items(repo, opts, wanted) {
        let o = by_owner.entry(w.owner.clone()).or_insert_with(|| Overdue {
            owner: w.owner.clone(),
            count: 0,
            oldest: w.id.clone(),
            oldest_age_ms: age.num_milliseconds(),
        });
        o.count += 1;
        if age.num_milliseconds() > o.oldest_age_ms {
            o.oldest = w.id.clone();
            o.oldest_age_ms = age.num_milliseconds();
        }
    }
    let mut out: Vec<Overdue> = by_owner.into_values().collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.owner.cmp(&b.owner)));
    out
}
