//! Housekeeping over a repository, run whenever a command opens it: due work-item
//! timeouts resume their cases, finished instances past their `resultLimit` are removed.
//! Re-exported by [`super::store`].
//!
//! Invariant: an instance locked by a live runner is never touched here; it is
//! handled when next opened. Housekeeping never parses the TaskDefinitions
//! (`Repository::open_except_definitions`): a case's definition comes from the
//! cache or its file when that case is opened, so every command's open stays
//! cheap on a repository with many definitions.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::case::Runtime;
use super::store::{RunReport, StoreError, drive, io, now_text, open_case, result_limit};
use crate::repo::{Repository, write_work_item};
use crate::services::Services;

/// Resume every suspended case that has a work item due at `now` (the action
/// completes with `WF_ACTION_TIMEOUT` = 1), or a work item completed on disk that
/// the case has not seen (an interrupted `complete`). Instances locked by another
/// runner are skipped; they will be handled when next opened.
pub fn apply_due_timeouts_with(
    root: &Path,
    services: &mut dyn Services,
    now: DateTime<Utc>,
) -> Result<Vec<RunReport>, StoreError> {
    let repo = Repository::open_except_definitions(root).map_err(io)?;
    let mut candidates: Vec<String> = Vec::new();
    for l in &repo.work_items {
        let item = &l.value;
        let due = !item.complete
            && item
                .timeout_at
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t.with_timezone(&Utc) <= now);
        let unseen = item.complete
            && repo
                .instance(&item.instance)
                .is_some_and(|i| i.value.pending_work_items.contains(&item.id));
        if (due || unseen) && !candidates.contains(&item.instance) {
            candidates.push(item.instance.clone());
        }
    }
    let mut reports = Vec::new();
    for id in candidates {
        let Some(l) = repo.instance(&id) else {
            continue;
        };
        if l.value.status.is_finished() {
            continue;
        }
        let (mut case, mut catalog, guard) = match open_case(root, &id, "bpe timeouts") {
            Ok(x) => x,
            Err(StoreError::Locked(_)) | Err(StoreError::Invalid(_)) => continue,
            Err(e) => return Err(e),
        };
        let fresh = Repository::open_except_definitions(root).map_err(io)?;
        let pending = case.pending_items();
        {
            let mut rt = Runtime {
                services: &mut *services,
                catalog: &mut catalog,
            };
            for pid in &pending {
                if let Some(w) = fresh.work_item(pid)
                    && w.value.complete
                {
                    let _ = case.complete_work_item(&w.value, &mut rt);
                }
            }
            let (expired, _) = case.expire_due(now, &mut rt);
            let at = now_text(now);
            for eid in expired {
                if let Some(w) = fresh.work_item(&eid) {
                    let mut item = w.value.clone();
                    item.complete = true;
                    item.completed = Some(at.clone());
                    item.comment = "timed out".to_string();
                    write_work_item(root, &item).map_err(io)?;
                    super::journal::item_timed_out(root, &case, &item, now)?;
                }
            }
        }
        if !case.is_running() {
            // Nothing changed for this case (e.g. the item was not due after all).
            continue;
        }
        reports.push(drive(root, case, &mut catalog, services, Some(&guard))?);
    }
    Ok(reports)
}

/// Remove finished instances older than their `resultLimit` (seconds; 0 = at once,
/// negative = never). Returns the ids removed.
pub fn expire_results(root: &Path, now: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
    let repo = Repository::open_except_definitions(root).map_err(io)?;
    let mut removed = Vec::new();
    for l in &repo.instances {
        let inst = &l.value;
        if !inst.status.is_finished() {
            continue;
        }
        let Some(limit) = result_limit(inst, &repo, root) else {
            continue;
        };
        if limit < 0 {
            continue;
        }
        let Some(finished) = inst
            .finished
            .as_deref()
            .and_then(|f| DateTime::parse_from_rfc3339(f).ok())
        else {
            continue;
        };
        if now.signed_duration_since(finished.with_timezone(&Utc))
            >= chrono::Duration::seconds(limit)
        {
            match std::fs::remove_file(root.join(&l.path)) {
                Ok(()) => removed.push(inst.id.clone()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
        }
    }
    Ok(removed)
}

/// [`apply_due_timeouts_with`] with the repository's own services and the current time.
/// Commands stay disabled (no runner allowed them).
pub fn apply_due_timeouts(root: &Path) -> Result<Vec<RunReport>, StoreError> {
    let repo = Repository::open_except_definitions(root).map_err(io)?;
    let config = repo.config_or_default();
    let mut services = crate::services::RepoServices::new(root, &config, Default::default());
    apply_due_timeouts_with(root, &mut services, Utc::now())
}

/// What every command that opens a repository does first: time out due work
/// items (resuming their cases) and remove expired finished instances.
pub fn housekeeping(root: &Path) -> Result<(), StoreError> {
    apply_due_timeouts(root)?;
    expire_results(root, Utc::now())?;
    Ok(())
}
