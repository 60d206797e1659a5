//! The persistence layer: cases over a repository directory.
//!
//! - Starting stores the definition in the cache (`.bpe/cache/`) and pins the
//!   instance to it; resuming loads exactly that version, so a suspended case
//!   finishes on the definition it started with even after the file was edited
//!   or deleted. Subprocess definitions are pinned when first called.
//! - While a case runs it holds a shared `DefinitionRun` lock on each definition it
//!   executes and an exclusive `Instance` lock on its instance; a second runner of
//!   the same instance is refused with the holder named.
//! - The TaskInstance is written when the case starts (before its first step), at
//!   most every `progressInterval` ms while it runs, and always when it suspends or
//!   finishes; transient variables are written as null (`engine::transient`).
//!   Created work items are written as `WorkItem/<id>.json`.
//! - Under a group commit with deferred renames (`bpe launch`, after the first
//!   instance write) the later writes become visible at the batch's flush, in
//!   write order (work items before the instance that waits on them); the store
//!   flushes before it reads work items back and at each progress write, and
//!   discards a waiting instance write before removing the file (`resultLimit: 0`).
//! - A dry run writes nothing (no instance, work item or cache entry); it holds the
//!   run locks like any run.
//! - A `running` instance whose instance lock has no live holder is interrupted
//!   ([`is_interrupted`]); [`resume`] or [`terminate`] take it over.
//! - [`apply_due_timeouts`] resumes cases whose work items timed out;
//!   [`expire_results`] removes finished instances past their `resultLimit`
//!   (both in `engine/housekeeping.rs`); the debugger's [`Session`] is in
//!   `engine/session.rs`. Both are re-exported here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};

use super::case::{Case, Runtime};
pub use super::repo_catalog::RepoCatalog;
use crate::expr::Value;
use crate::model::{ObjectKind, TaskInstance, WorkItem};
use crate::repo::lock::{self, LockError, LockGuard, LockMode, LockTarget};
use crate::repo::{Repository, cache, object_path, parse_file, write_instance, write_work_item};
use crate::services::Services;

pub use super::housekeeping::{
    apply_due_timeouts, apply_due_timeouts_with, expire_results, housekeeping,
};
pub use super::session::Session;
pub use super::store_items::{Completion, complete, forward, terminate};

/// Why a store operation could not be done.
#[derive(Debug)]
pub enum StoreError {
    /// No TaskDefinition / TaskInstance / WorkItem with that name or id.
    NotFound(String),
    /// The instance (or definition) is locked by another runner; the message names it.
    Locked(String),
    /// The operation does not apply (e.g. a work item that is already complete).
    Invalid(String),
    /// Reading or writing the repository failed.
    Io(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::NotFound(m)
            | StoreError::Locked(m)
            | StoreError::Invalid(m)
            | StoreError::Io(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for StoreError {}

pub(super) fn io(e: impl std::fmt::Display) -> StoreError {
    StoreError::Io(e.to_string())
}

pub(super) fn locked(what: &str, e: LockError) -> StoreError {
    match e {
        LockError::Held { .. } => StoreError::Locked(format!("{what} is {e}")),
        other => StoreError::Io(format!("{what}: {other}")),
    }
}

pub(super) fn now_text(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// How a runner identifies itself.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `WF_CASE_OWNER` of new cases.
    pub owner: String,
    /// Shown in lock holder records, e.g. `bpe run`.
    pub purpose: String,
    /// Run in memory only: no TaskInstance or WorkItem is written (pair it with
    /// dry-run services so that nothing else is either).
    pub dry_run: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            owner: lock::current_user(),
            purpose: "bpe".to_string(),
            dry_run: false,
        }
    }
}

/// What a run ended with.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The instance as last persisted (also when its file was removed by `resultLimit: 0`).
    pub instance: TaskInstance,
    /// Pending work items of the case.
    pub work_items: Vec<WorkItem>,
    /// Whether `TaskInstance/<id>.json` exists after the run.
    pub kept: bool,
}

/// The file of an instance.
pub fn instance_path(root: &Path, instance: &TaskInstance) -> PathBuf {
    object_path(root, instance)
}

fn read_instance(root: &Path, id: &str) -> Result<TaskInstance, StoreError> {
    let repo = Repository::open(root).map_err(io)?;
    let l = repo.instance(id).ok_or_else(|| {
        match repo.load_error_for(ObjectKind::TaskInstance, id) {
            Some(e) => StoreError::Invalid(format!("instance {id} does not load: {e}")),
            None => StoreError::NotFound(format!("no TaskInstance with id '{id}'")),
        }
    })?;
    // Re-read the file itself: the scan may be older than the lock we now hold.
    parse_file::<TaskInstance>(root, &l.path).map_err(io)
}

/// Start a case of the definition named `name` and run it until it completes,
/// suspends, terminates or fails.
///
/// The TaskInstance is written (status `running`) before the first step, under the
/// instance lock, so a runner killed at once still leaves its case listed. A dry run
/// writes nothing at all: it holds the definition's run lock like every run, and
/// that is all it leaves under `.bpe/locks/`.
pub fn start(
    root: &Path,
    name: &str,
    inputs: &BTreeMap<String, Value>,
    services: &mut dyn Services,
    opts: &RunOptions,
) -> Result<RunReport, StoreError> {
    let (case, mut catalog, guard) = begin(root, name, inputs, opts)?;
    drive(root, case, &mut catalog, services, guard.as_ref())
}

/// Start a case and write it, without running a step: the case, its catalog
/// (holding the run lock) and its instance lock (`None` in a dry run).
pub fn begin(
    root: &Path,
    name: &str,
    inputs: &BTreeMap<String, Value>,
    opts: &RunOptions,
) -> Result<(Case, RepoCatalog, Option<LockGuard>), StoreError> {
    let (mut case, catalog, guard) = new_case(root, name, inputs, opts)?;
    if guard.is_some() {
        // Transient inputs (a new password) are written as null: see `engine::transient`.
        persist(root, &mut case, &mut Vec::new())?;
        super::journal::case_started(root, &mut case)?;
    }
    Ok((case, catalog, guard))
}

/// [`begin`] with a catalog kept for many cases (`bpe launch`): the repository
/// is not read again and the definition's run lock is taken once per catalog.
/// `before_write` sees the new case — its id known, its instance lock held,
/// nothing written yet — and may refuse it (nothing is written then); after it
/// returns `Ok` the instance is written as in [`begin`]. Run it with [`drive`].
pub fn begin_in(
    catalog: &mut RepoCatalog,
    name: &str,
    inputs: &BTreeMap<String, Value>,
    opts: &RunOptions,
    before_write: impl FnOnce(&Case) -> Result<(), StoreError>,
) -> Result<(Case, Option<LockGuard>), StoreError> {
    let (mut case, guard) = case_in(catalog, name, inputs, opts)?;
    before_write(&case)?;
    if guard.is_some() {
        let root = catalog.repository().root.clone();
        persist(&root, &mut case, &mut Vec::new())?;
        super::journal::case_started(&root, &mut case)?;
    }
    Ok((case, guard))
}

/// A new case of `name` in memory, with the definition's run lock held and (unless
/// a dry run, which pins without writing the cache) its instance lock taken.
pub(super) fn new_case(
    root: &Path,
    name: &str,
    inputs: &BTreeMap<String, Value>,
    opts: &RunOptions,
) -> Result<(Case, RepoCatalog, Option<LockGuard>), StoreError> {
    let repo = Repository::open(root).map_err(io)?;
    let mut catalog = RepoCatalog::new(repo, &opts.purpose);
    if opts.dry_run {
        catalog = catalog.without_cache_writes();
    }
    let (case, guard) = case_in(&mut catalog, name, inputs, opts)?;
    Ok((case, catalog, guard))
}

fn case_in(
    catalog: &mut RepoCatalog,
    name: &str,
    inputs: &BTreeMap<String, Value>,
    opts: &RunOptions,
) -> Result<(Case, Option<LockGuard>), StoreError> {
    let root = catalog.repository().root.clone();
    let root = root.as_path();
    let p = catalog.prepare(name)?;
    let (id, def_name) = (p.id.clone(), p.name.clone());
    let (dref, compiled) = (p.dref.clone(), p.compiled.clone());
    catalog.hold_run_lock(&id)?;
    let case = Case::start_compiled(&def_name, dref, compiled, inputs, &opts.owner, &*catalog);
    if opts.dry_run {
        return Ok((case, None));
    }
    let guard = lock::acquire(
        root,
        LockTarget::Instance(case.id().to_string()),
        LockMode::Exclusive,
        &opts.purpose,
    )
    .map_err(|e| locked(&format!("instance {}", case.id()), e))?;
    Ok((case, Some(guard)))
}

/// How often [`drive`] looks whether its instance lock was broken, between writes.
const LOCK_CHECK: Duration = Duration::from_millis(100);

/// Run `case` (under its instance lock; `None` in a dry run) until it stops,
/// persisting as it goes. [`start`] is [`begin`] then `drive`.
pub fn drive(
    root: &Path,
    mut case: Case,
    catalog: &mut RepoCatalog,
    services: &mut dyn Services,
    guard: Option<&LockGuard>,
) -> Result<RunReport, StoreError> {
    let dry_run = guard.is_none();
    // A case whose definition did not compile has no frame: it is already failed.
    let interval_ms = case
        .definition(0)
        .map(|d| d.progress_interval)
        .unwrap_or(crate::model::DEFAULT_PROGRESS_INTERVAL_MS);
    let interval = Duration::from_millis(interval_ms.max(0) as u64);
    let mut created: Vec<WorkItem> = Vec::new();
    // The instance was written when the case started or was opened; the lock module's
    // heartbeat thread keeps the locks fresh meanwhile.
    let mut last_write = Instant::now();
    let mut last_check = last_write;
    while case.is_running() {
        {
            let mut rt = Runtime {
                services: &mut *services,
                catalog: &mut *catalog,
            };
            // Nothing here looks at step events: none is built.
            case.run_some_quietly(&mut rt, 256);
        }
        if dry_run {
            created.extend(case.take_outbox().created);
            continue;
        }
        // A lock broken with force belongs to someone else now: write nothing more,
        // and stop. Checked before anything is written and every LOCK_CHECK (the
        // check costs file-system calls; a batch of steps takes microseconds).
        let due = case.is_running() && last_write.elapsed() >= interval;
        let writes = due || !case.is_running() || !case.outbox_is_empty();
        if let Some(g) = guard
            && (writes || last_check.elapsed() >= LOCK_CHECK)
        {
            g.check()
                .map_err(|e| StoreError::Locked(format!("instance {}: {e}; stopped", case.id())))?;
            last_check = Instant::now();
        }
        // Work items must exist on disk before anyone can see the case waiting for them.
        flush_outbox(root, &mut case, &mut created)?;
        if due {
            persist(root, &mut case, &mut created)?;
            // A progress write is for others to see: one waiting for its
            // batch's rename (`repo::group_commit`) is made visible now.
            crate::repo::group_commit::flush_deferred().map_err(io)?;
            last_write = Instant::now();
        }
    }
    if dry_run {
        created.extend(case.take_outbox().created);
        let pending = case.pending_items();
        created.retain(|w| pending.contains(&w.id));
        return Ok(RunReport {
            instance: case.to_instance(),
            work_items: created,
            kept: false,
        });
    }
    finish(root, case, catalog.repository(), created)
}

/// Write created work items and close cancelled ones.
fn flush_outbox(
    root: &Path,
    case: &mut Case,
    created: &mut Vec<WorkItem>,
) -> Result<(), StoreError> {
    let out = case.take_outbox();
    for item in &out.created {
        write_work_item(root, item).map_err(io)?;
    }
    super::journal::items_created(root, case, &out.created)?;
    created.extend(out.created);
    if !out.cancelled.is_empty() {
        // A cancelled item may have been created by this run and still wait for
        // its batch's rename (`repo::group_commit`): make it visible first.
        crate::repo::group_commit::flush_deferred().map_err(io)?;
        let repo = Repository::open(root).map_err(io)?;
        let now = now_text(Utc::now());
        for (id, reason) in out.cancelled {
            if let Some(l) = repo.work_item(&id) {
                let mut item = l.value.clone();
                if !item.complete {
                    item.complete = true;
                    item.completed = Some(now.clone());
                    item.comment = reason;
                    write_work_item(root, &item).map_err(io)?;
                }
            }
        }
    }
    Ok(())
}

/// Write the case's new work items and its instance; returns the instance written.
pub(super) fn persist(
    root: &Path,
    case: &mut Case,
    created: &mut Vec<WorkItem>,
) -> Result<TaskInstance, StoreError> {
    flush_outbox(root, case, created)?;
    let inst = case.to_instance();
    write_instance(root, &inst).map_err(io)?;
    Ok(inst)
}

/// Persist a case that stopped running and apply `resultLimit: 0`.
pub(super) fn finish(
    root: &Path,
    mut case: Case,
    repo: &Repository,
    mut created: Vec<WorkItem>,
) -> Result<RunReport, StoreError> {
    // The instance as written (built once: it serialises the whole engine state).
    let inst = persist(root, &mut case, &mut created)?;
    if inst.status.is_finished() {
        super::journal::case_ended(root, &case, &inst)?;
    }
    let mut kept = true;
    if inst.status.is_finished() && result_limit(&inst, repo, root) == Some(0) {
        let path = instance_path(root, &inst);
        // The final write may wait for its batch's rename: it must not land later.
        if let Ok(resolved) = crate::repo::confine::resolve(root, &path) {
            crate::repo::group_commit::discard_deferred(&resolved);
        }
        match std::fs::remove_file(path) {
            Ok(()) => kept = false,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => kept = false,
            Err(e) => return Err(io(e)),
        }
    }
    // Pending items: the ones created now, and older ones (another owner's) from disk.
    let mut items = Vec::new();
    let mut on_disk: Option<Repository> = None;
    for id in case.pending_items() {
        if let Some(w) = created.iter().find(|w| w.id == id) {
            items.push(w.clone());
            continue;
        }
        if on_disk.is_none() {
            on_disk = Repository::open(root).ok();
        }
        if let Some(w) = on_disk.as_ref().and_then(|r| r.work_item(&id)) {
            items.push(w.value.clone());
        }
    }
    Ok(RunReport {
        work_items: items,
        instance: inst,
        kept,
    })
}

/// Seconds to keep a finished instance: its result's override, else its definition's.
pub(super) fn result_limit(inst: &TaskInstance, repo: &Repository, root: &Path) -> Option<i64> {
    if let Some(l) = inst.result.result_limit {
        return Some(l);
    }
    cache::load_in(repo, &inst.definition)
        .or_else(|_| cache::load(root, &inst.definition))
        .ok()
        .map(|d| d.result_limit)
}

/// Lock an unfinished instance and load it as a case on its pinned definition.
pub(super) fn open_case(
    root: &Path,
    instance_id: &str,
    purpose: &str,
) -> Result<(Case, RepoCatalog, LockGuard), StoreError> {
    let guard = lock::acquire(
        root,
        LockTarget::Instance(instance_id.to_string()),
        LockMode::Exclusive,
        purpose,
    )
    .map_err(|e| locked(&format!("instance {instance_id}"), e))?;
    let inst = read_instance(root, instance_id)?;
    if inst.status.is_finished() {
        return Err(StoreError::Invalid(format!(
            "instance {instance_id} is already {}",
            inst.status.as_str()
        )));
    }
    let repo = Repository::open(root).map_err(io)?;
    let mut catalog = RepoCatalog::new(repo, purpose);
    catalog.hold_run_lock(&inst.definition.id)?;
    let mut case = Case::resume(inst, &mut catalog).map_err(|e| StoreError::Invalid(e.message))?;
    // Subprocess frames read their definitions too.
    let ids: Vec<String> = case
        .state()
        .frames
        .iter()
        .map(|f| f.definition.id.clone())
        .collect();
    for id in ids {
        catalog.hold_run_lock(&id)?;
    }
    case.options = Default::default();
    Ok((case, catalog, guard))
}

/// Whether an instance is **interrupted**: its file says `running` but no live
/// process holds its instance lock (its runner was killed or crashed). Such a case
/// stays as it was last written until [`resume`] continues it or [`terminate`] ends it.
/// An unreadable lock directory is not taken as proof: the answer is then `false`.
///
/// `inst` may be older than the lock state: a runner that finished after `inst` was
/// read has written its final status and released its lock since. So a free lock is
/// confirmed against the file as it is now (still there and still `running`).
pub fn is_interrupted(root: &Path, inst: &TaskInstance) -> bool {
    let target = LockTarget::Instance(inst.id.clone());
    inst.status == crate::model::InstanceStatus::Running
        && lock::holders(root, &target).is_ok_and(|holders| holders.iter().all(|h| h.stale.is_some()))
        // The records looked gone or stale: make sure with the OS lock itself.
        && !lock::held_exclusively(root, &target)
        && still_running_on_disk(root, inst)
}

/// Whether `inst`'s file, read again now, still says `running`.
fn still_running_on_disk(root: &Path, inst: &TaskInstance) -> bool {
    let path = instance_path(root, inst);
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    crate::repo::parse_file::<TaskInstance>(root, rel)
        .is_ok_and(|now| now.status == crate::model::InstanceStatus::Running)
}

/// The status to show for an instance: `interrupted` (see [`is_interrupted`]) or
/// the status its file records.
pub fn shown_status(root: &Path, inst: &TaskInstance) -> &'static str {
    if is_interrupted(root, inst) {
        INTERRUPTED
    } else {
        inst.status.as_str()
    }
}

/// The shown status of a running instance whose runner is gone.
pub const INTERRUPTED: &str = "interrupted";

/// Continue an instance whose file says `running` but whose runner is gone (its
/// instance lock is free): load it on its pinned version and drive it until it
/// completes, suspends, terminates or fails. A live runner's lock refuses it.
pub fn resume(
    root: &Path,
    instance_id: &str,
    services: &mut dyn Services,
    opts: &RunOptions,
) -> Result<RunReport, StoreError> {
    let (case, mut catalog, guard) = open_case(root, instance_id, &opts.purpose)?;
    if !case.is_running() {
        return Err(StoreError::Invalid(format!(
            "instance {instance_id} is {}, not running: complete its work items or wait for their timeout",
            case.status().as_str()
        )));
    }
    drive(root, case, &mut catalog, services, Some(&guard))
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
