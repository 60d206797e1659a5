//! Work item operations over the store: complete (record, copy the editable
//! variables back, resume when no other item of the action is pending),
//! forward, and terminate a case. Each runs under the instance lock the store
//! takes for it ([`super::store`]'s invariants hold: the case is written when it
//! suspends or finishes).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::Utc;

use super::case::Runtime;
use crate::expr::Value;
use crate::model::{ObjectKind, TaskInstance, WorkItem};
use crate::repo::lock;
use crate::repo::{Repository, parse_file, write_instance, write_work_item};
use crate::services::Services;

use super::store::{RunOptions, RunReport, StoreError, drive, finish, io, now_text, open_case};

/// What completing a work item says.
#[derive(Debug, Clone, Default)]
pub struct Completion {
    /// `approve`, `reject` or another word; `None` records no decision.
    pub decision: Option<String>,
    pub comment: String,
    /// New values for the item's variables; only editable ones reach the case.
    pub variables: BTreeMap<String, Value>,
}

/// Complete a work item: record it in `WorkItem/<id>.json`, copy its editable
/// variables back, set the case variables `decision` and `comment`, and resume
/// the case when no other item of that action is pending.
pub fn complete(
    root: &Path,
    work_item: &str,
    completion: &Completion,
    services: &mut dyn Services,
    opts: &RunOptions,
) -> Result<RunReport, StoreError> {
    let repo = Repository::open(root).map_err(io)?;
    let item = repo
        .work_item(work_item)
        .map(|l| l.value.clone())
        .ok_or_else(
            || match repo.load_error_for(ObjectKind::WorkItem, work_item) {
                Some(e) => StoreError::Invalid(format!("work item {work_item} does not load: {e}")),
                None => StoreError::NotFound(format!("no work item with id '{work_item}'")),
            },
        )?;
    if item.complete {
        return Err(StoreError::Invalid(format!(
            "work item {work_item} is already complete"
        )));
    }
    let (mut case, mut catalog, guard) = open_case(root, &item.instance, &opts.purpose)?;
    let mut item = match repo.work_item(work_item) {
        Some(l) => parse_file::<WorkItem>(root, &l.path).map_err(io)?,
        None => item,
    };
    let allowed: Vec<String> = if item.editable_variables.is_empty() {
        item.variables.keys().cloned().collect()
    } else {
        item.editable_variables.clone()
    };
    for (k, v) in &completion.variables {
        if !allowed.contains(k) {
            return Err(StoreError::Invalid(format!(
                "variable '{k}' is not editable in work item {work_item} (editable: {})",
                allowed.join(", ")
            )));
        }
        item.variables.insert(k.clone(), v.clone());
    }
    item.complete = true;
    item.decision = completion.decision.clone();
    item.comment = completion.comment.clone();
    item.completed = Some(now_text(Utc::now()));
    {
        let mut rt = Runtime {
            services: &mut *services,
            catalog: &mut catalog,
        };
        case.complete_work_item(&item, &mut rt)
            .map_err(|e| StoreError::Invalid(e.message))?;
    }
    // The case has the values now; a transient one (a new password typed by the
    // approver) is recorded on the item as null.
    for f in 0..case.state().frames.len() {
        if let Some(def) = case.definition(f) {
            for name in super::transient::names(def) {
                if let Some(v) = item.variables.get_mut(&name) {
                    *v = Value::Null;
                }
            }
        }
    }
    write_work_item(root, &item).map_err(io)?;
    super::journal::item_completed(root, &case, &item, &lock::current_user())?;
    drive(root, case, &mut catalog, services, Some(&guard))
}

/// Give a pending work item to another owner; recorded on the item and in the case history.
pub fn forward(
    root: &Path,
    work_item: &str,
    to: &str,
    comment: &str,
    purpose: &str,
) -> Result<WorkItem, StoreError> {
    let repo = Repository::open(root).map_err(io)?;
    let l = repo
        .work_item(work_item)
        .ok_or_else(|| StoreError::NotFound(format!("no work item with id '{work_item}'")))?;
    let mut item = l.value.clone();
    if item.complete {
        return Err(StoreError::Invalid(format!(
            "work item {work_item} is already complete"
        )));
    }
    if to.trim().is_empty() {
        return Err(StoreError::Invalid("the new owner is empty".into()));
    }
    let (mut case, _catalog, _guard) = open_case(root, &item.instance, purpose)?;
    case.forward_work_item(work_item, to, comment)
        .map_err(|e| StoreError::Invalid(e.message))?;
    item.forwarded.push(crate::model::Forward {
        at: now_text(Utc::now()),
        from: item.owner.clone(),
        to: to.to_string(),
        comment: comment.to_string(),
    });
    let from = std::mem::replace(&mut item.owner, to.to_string());
    write_work_item(root, &item).map_err(io)?;
    let inst = case.to_instance();
    write_instance(root, &inst).map_err(io)?;
    super::journal::item_forwarded(root, &case, &item, &from)?;
    Ok(item)
}

/// Terminate an unfinished instance; its pending work items are closed.
pub fn terminate(
    root: &Path,
    instance_id: &str,
    purpose: &str,
) -> Result<TaskInstance, StoreError> {
    let (mut case, catalog, _guard) = open_case(root, instance_id, purpose)?;
    case.terminate(&format!("terminated by {}", lock::current_user()));
    Ok(finish(root, case, catalog.repository(), Vec::new())?.instance)
}
