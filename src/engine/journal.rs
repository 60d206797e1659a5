//! What the store writes to the case journal (`crate::journal`): a case's start
//! and end, and its work items created, completed, forwarded and timed out.
//!
//! Invariant: only applied runs journal (the store never calls these in a dry
//! run), and each event is written after the file it reports on (instance or
//! work item), so the journal never reports what the repository does not hold.
//! Events are grouped under the case's top-level workflow (frame 0), also for
//! work items of a subprocess.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::case::Case;
use super::store::StoreError;
use crate::journal::{self, Event, Record, Workflow};
use crate::model::{TaskInstance, WorkItem};

fn write(root: &Path, record: Record) -> Result<(), StoreError> {
    journal::append(root, &record).map_err(|e| {
        StoreError::Io(format!(
            "cannot append to the case journal {}: {e}",
            record.file().display()
        ))
    })
}

/// The case's top-level workflow.
fn workflow(case: &Case) -> Workflow {
    match case.definition(0) {
        Some(d) => Workflow {
            id: d.id.clone(),
            name: d.name.clone(),
        },
        None => Workflow {
            id: String::new(),
            name: String::new(),
        },
    }
}

/// The name of the manual action behind `item` (`#N`, 1-based, when unnamed).
pub(super) fn action_name(case: &Case, item: &WorkItem) -> String {
    let named = (0..case.state().frames.len())
        .filter_map(|f| case.definition(f))
        .filter(|d| d.id == item.definition.id)
        .flat_map(|d| d.process.activities.iter())
        .find(|a| a.id == item.activity_id)
        .and_then(|a| a.actions.get(item.action))
        .map(|a| a.name.clone())
        .filter(|n| !n.is_empty());
    named.unwrap_or_else(|| format!("#{}", item.action + 1))
}

fn time_or_now(s: &str) -> DateTime<Utc> {
    journal::parse_time(s).unwrap_or_else(Utc::now)
}

pub(super) fn case_started(root: &Path, case: &mut Case) -> Result<(), StoreError> {
    let wf = workflow(case);
    let inst = case.instance();
    let record = Record::new(
        time_or_now(&inst.started),
        &inst.id,
        wf,
        Event::CaseStarted {
            owner: inst.owner.clone(),
        },
    );
    write(root, record)
}

pub(super) fn items_created(
    root: &Path,
    case: &Case,
    items: &[WorkItem],
) -> Result<(), StoreError> {
    for item in items {
        let record = Record::new(
            time_or_now(&item.created),
            &item.instance,
            workflow(case),
            Event::WorkItemCreated {
                item: item.id.clone(),
                owner: item.owner.clone(),
                activity: item.activity.clone(),
                action: action_name(case, item),
                timeout_at: item.timeout_at.clone(),
            },
        );
        write(root, record)?;
    }
    Ok(())
}

pub(super) fn item_completed(
    root: &Path,
    case: &Case,
    item: &WorkItem,
    by: &str,
) -> Result<(), StoreError> {
    let record = Record::new(
        time_or_now(item.completed.as_deref().unwrap_or_default()),
        &item.instance,
        workflow(case),
        Event::WorkItemCompleted {
            item: item.id.clone(),
            owner: item.owner.clone(),
            activity: item.activity.clone(),
            action: action_name(case, item),
            decision: item.decision.clone().unwrap_or_default(),
            created: item.created.clone(),
            by: by.to_string(),
        },
    );
    write(root, record)
}

pub(super) fn item_forwarded(
    root: &Path,
    case: &Case,
    item: &WorkItem,
    from: &str,
) -> Result<(), StoreError> {
    let at = item.forwarded.last().map(|f| f.at.as_str()).unwrap_or("");
    let record = Record::new(
        time_or_now(at),
        &item.instance,
        workflow(case),
        Event::WorkItemForwarded {
            item: item.id.clone(),
            from: from.to_string(),
            to: item.owner.clone(),
            activity: item.activity.clone(),
            action: action_name(case, item),
        },
    );
    write(root, record)
}

pub(super) fn item_timed_out(
    root: &Path,
    case: &Case,
    item: &WorkItem,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let record = Record::new(
        at,
        &item.instance,
        workflow(case),
        Event::WorkItemTimedOut {
            item: item.id.clone(),
            owner: item.owner.clone(),
            activity: item.activity.clone(),
            action: action_name(case, item),
            created: item.created.clone(),
        },
    );
    write(root, record)
}

/// The end of a finished case (`inst` as written, transient values scrubbed).
pub(super) fn case_ended(root: &Path, case: &Case, inst: &TaskInstance) -> Result<(), StoreError> {
    let started = time_or_now(&inst.started);
    let ended = inst
        .finished
        .as_deref()
        .and_then(journal::parse_time)
        .unwrap_or_else(Utc::now);
    let outputs = case
        .definition(0)
        .map(|d| {
            d.process
                .variables
                .iter()
                .filter(|v| v.output)
                .filter_map(|v| Some((v.name.clone(), inst.variables.get(&v.name)?.to_json())))
                .collect()
        })
        .unwrap_or_default();
    let record = Record::new(
        ended,
        &inst.id,
        workflow(case),
        Event::CaseEnded {
            status: inst.status.as_str().to_string(),
            steps: inst.steps,
            started: inst.started.clone(),
            duration_ms: (ended - started).num_milliseconds().max(0),
            activities: inst.current_activities.clone(),
            reason: inst.reason.clone(),
            outputs,
        },
    );
    write(root, record)
}
