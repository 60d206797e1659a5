//! Cross-process locks under `<repo>/.bpe/locks/`.
//!
//! Each lock `<name>` (e.g. `run-td-6f1c…`) is an OS file lock on
//! `<name>.lock` (`File::lock` / `try_lock` / `try_lock_shared`), so it vanishes
//! with its process, plus one JSON holder record per holder,
//! `<name>.<holder-id>.holder.json`, naming user, host, pid, since, purpose
//! and heartbeat. The holder keeps an exclusive OS lock on its own record file
//! too: a record whose file lock is free belongs to a process that is gone
//! ("orphaned"), which is exact on this host even when a pid was reused.
//!
//! Invariants:
//! - Every lock a live process holds is kept fresh by one heartbeat thread per
//!   process, every [`heartbeat_interval`] (a third of `lockStaleAfter`, at least
//!   [`MIN_HEARTBEAT_INTERVAL`]); dropping a guard releases it at once.
//! - A holder on this host is alive while its record is locked and its pid lives;
//!   on another host while its record is locked or its heartbeat is younger than
//!   `settings.lockStaleAfter` (default 60 s).
//! - [`break_lock`] never breaks a lock with a live holder; only
//!   [`force_break_lock`] does, and the holder then sees [`LockError::Broken`]
//!   instead of resurrecting its record. Acquiring reclaims orphaned records (and
//!   says so in [`LockGuard::reclaimed`]).
//!
//! Lock files. The lock file of an **exclusive** lock (`instance-…`, `edit-…`) is
//! unlinked when its holder releases it, so `.bpe/locks/` holds the locks in use, not one
//! file per case ever run (every acquire lists the directory for holder records: its cost
//! would grow with every case run). Shared locks (`run-…`, one per definition) keep their
//! file: a shared holder cannot know it is the last. Why unlinking cannot give two holders
//! one lock through different files of the same name:
//! - An acquirer opens `<name>.lock` (creating it), takes the OS lock, then checks that
//!   the file it locked is still the one at the path (device and inode, [`same_file`]); if
//!   not, it opens again ([`lock_main`]). So a holder held the lock on the file at the
//!   path at the moment its lock began.
//! - A releaser unlinks only while it still holds the OS lock on that file, and only after
//!   checking that the file is still at the path and its record is still there
//!   (`is_broken`). Whoever opened the old file before the unlink and locks it after
//!   finds it no longer at the path and retries on the new file.
//! - So two holders on two files of one name need the first file to have been unlinked
//!   by someone other than its holder: only a [`force_break_lock`] does that. In the
//!   narrowest case — a force break, then a new holder's file, all between a releaser's
//!   check and its unlink — the releaser unlinks the new holder's file; that holder then
//!   finds its file gone at its next [`LockGuard::check`] or heartbeat (`Broken`) exactly
//!   as after a force break, which is the one way a live lock is ever taken away.
//!
//! Holder records are written to a temporary file, locked, and renamed into place, not
//! fsynced: a record describes a live process, which a power failure ends anyway; a record
//! that lost its text in one is unreadable and unlocked, so it is stale and reclaimed.

use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

mod guard;
mod host;
#[cfg(test)]
mod tests;

use guard::{Held, HeldState, register};
pub use guard::{LockGuard, MIN_HEARTBEAT_INTERVAL, heartbeat_interval};
pub use host::{current_user, host_name, pid_alive};

use crate::model::RepositoryConfig;
use crate::repo::save::sanitize_id;
use crate::repo::{Versioned, parse_file};

/// Where locks live, relative to the repository root.
pub const LOCK_DIR: &str = ".bpe/locks";
/// Staleness threshold when `repository.json` sets none.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(60);

/// What a lock protects.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "camelCase")]
pub enum LockTarget {
    /// A TaskDefinition (by id) that runs are reading: shared among runners;
    /// saving the definition needs it exclusively.
    DefinitionRun(String),
    /// A TaskDefinition (by id) open in an editor: exclusive among editors.
    DefinitionEdit(String),
    /// A TaskInstance (by id): exclusive, so two runners never advance one case.
    Instance(String),
    /// A Rule or rule library (by name) open in an editor: exclusive among editors.
    RuleEdit(String),
    /// An EmailTemplate (by name) open in an editor: exclusive among editors.
    TemplateEdit(String),
}

impl LockTarget {
    /// The lock's name, also its file stem: `run-<id>`, `edit-<id>`, `instance-<id>`,
    /// `ruleedit-<name>`, `templateedit-<name>` (ids sanitised; no prefix is another's prefix, so
    /// a definition id never names a rule's lock).
    pub fn lock_name(&self) -> String {
        match self {
            LockTarget::DefinitionRun(id) => format!("run-{}", sanitize_id(id)),
            LockTarget::DefinitionEdit(id) => format!("edit-{}", sanitize_id(id)),
            LockTarget::Instance(id) => format!("instance-{}", sanitize_id(id)),
            LockTarget::RuleEdit(name) => format!("ruleedit-{}", sanitize_id(name)),
            LockTarget::TemplateEdit(name) => format!("templateedit-{}", sanitize_id(name)),
        }
    }

    /// The id of the locked object.
    pub fn id(&self) -> &str {
        match self {
            LockTarget::DefinitionRun(id)
            | LockTarget::DefinitionEdit(id)
            | LockTarget::Instance(id)
            | LockTarget::RuleEdit(id)
            | LockTarget::TemplateEdit(id) => id,
        }
    }

    /// `run`, `edit`, `instance`, `edit-rule` or `edit-template`.
    pub fn kind(&self) -> &'static str {
        match self {
            LockTarget::DefinitionRun(_) => "run",
            LockTarget::DefinitionEdit(_) => "edit",
            LockTarget::Instance(_) => "instance",
            LockTarget::RuleEdit(_) => "edit-rule",
            LockTarget::TemplateEdit(_) => "edit-template",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockMode {
    Shared,
    Exclusive,
}

/// The holder record, as stored in `<name>.<holder-id>.holder.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Holder {
    pub format_version: u32,
    pub target: LockTarget,
    pub mode: LockMode,
    pub user: String,
    pub host: String,
    pub pid: u32,
    /// RFC 3339, when the lock was taken.
    pub since: String,
    /// What the holder is doing, e.g. `bpe run`, `editor`, `debugger`.
    pub purpose: String,
    /// RFC 3339, refreshed by [`LockGuard::heartbeat`].
    pub heartbeat: String,
}

impl Versioned for Holder {
    fn format_version(&self) -> u32 {
        self.format_version
    }
}

impl fmt::Display for Holder {
    /// `alice@host1 (pid 4242, bpe run) since 2026-11-27T14:03:00Z`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{} (pid {}, {}) since {}",
            self.user, self.host, self.pid, self.purpose, self.since
        )
    }
}

/// Why a holder is considered stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "camelCase")]
pub enum StaleReason {
    /// No process holds the record's file lock any more: its holder is gone.
    Orphaned,
    /// The holder runs on this host and its pid no longer exists.
    DeadProcess,
    /// The last heartbeat is older than the repository's `lockStaleAfter`.
    #[serde(rename_all = "camelCase")]
    HeartbeatTooOld { seconds: u64 },
}

impl fmt::Display for StaleReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StaleReason::Orphaned => write!(f, "its process is gone"),
            StaleReason::DeadProcess => write!(f, "its process is dead"),
            StaleReason::HeartbeatTooOld { seconds } => {
                write!(f, "no heartbeat for {seconds} s")
            }
        }
    }
}

/// One holder of a lock as seen now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HolderStatus {
    /// `None` when the record could not be read (see `stale`).
    pub holder: Option<Holder>,
    /// The record file, absolute.
    pub record: PathBuf,
    /// Seconds since `since`.
    pub age_seconds: u64,
    /// Seconds since the last heartbeat.
    pub heartbeat_age_seconds: u64,
    pub stale: Option<StaleReason>,
    /// Why the record could not be read, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl fmt::Display for HolderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.holder {
            Some(h) => write!(f, "{h}")?,
            None => write!(
                f,
                "unknown holder ({}: {})",
                self.record.display(),
                self.problem.as_deref().unwrap_or("unreadable record")
            )?,
        }
        if let Some(reason) = &self.stale {
            write!(f, " [stale: {reason}]")?;
        }
        Ok(())
    }
}

/// A lock with its current holders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockInfo {
    /// The name [`break_lock`] takes, e.g. `run-td-6f1c2a9b04d3e8f1`.
    pub name: String,
    /// From the holder records (`None` if none could be read).
    pub target: Option<LockTarget>,
    pub holders: Vec<HolderStatus>,
    /// Every holder is stale: the lock can be broken.
    pub stale: bool,
}

#[derive(Debug)]
pub enum LockError {
    /// Someone else holds the lock (live holders first; stale ones are marked).
    Held {
        lock: String,
        holders: Vec<HolderStatus>,
    },
    /// `break_lock` refused: at least one holder is alive.
    Live {
        lock: String,
        holders: Vec<HolderStatus>,
    },
    /// `break_lock` on a name with no lock records.
    NotFound(String),
    /// Our own record was removed by [`break_lock`]: the lock is no longer ours.
    Broken(String),
    Io(PathBuf, io::Error),
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Held { holders, .. } if holders.is_empty() => {
                write!(f, "locked by another process (no holder record yet)")
            }
            LockError::Held { holders, .. } => {
                write!(f, "locked by ")?;
                write_holders(f, holders)
            }
            LockError::Live { lock, holders } => {
                write!(f, "lock {lock} is not stale: held by ")?;
                write_holders(f, holders)
            }
            LockError::NotFound(name) => write!(f, "no lock named {name}"),
            LockError::Broken(name) => write!(f, "lock {name} was broken by someone else"),
            LockError::Io(p, e) => write!(f, "lock file {}: {e}", p.display()),
        }
    }
}

fn write_holders(f: &mut fmt::Formatter<'_>, holders: &[HolderStatus]) -> fmt::Result {
    for (i, h) in holders.iter().enumerate() {
        if i > 0 {
            write!(f, "; ")?;
        }
        write!(f, "{h}")?;
    }
    Ok(())
}

impl std::error::Error for LockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LockError::Io(_, e) => Some(e),
            _ => None,
        }
    }
}

/// Take a lock without waiting. `Err(LockError::Held)` names the holders.
/// Orphaned records of dead holders never block: they are removed and listed
/// in [`LockGuard::reclaimed`].
pub fn acquire(
    root: &Path,
    target: LockTarget,
    mode: LockMode,
    purpose: &str,
) -> Result<LockGuard, LockError> {
    let dir = root.join(LOCK_DIR);
    super::confine::create_dir(root, Path::new(LOCK_DIR))
        .map_err(|e| LockError::Io(dir.clone(), e))?;
    let name = target.lock_name();
    let stale_after = stale_after(root);
    let lock_file = lock_main(&dir, &name, mode, stale_after)?;
    let now = now_secs();
    let holder = Holder {
        format_version: 1,
        target,
        mode,
        user: current_user(),
        host: host_name(),
        pid: std::process::id(),
        since: now.clone(),
        purpose: purpose.to_string(),
        heartbeat: now_millis(),
    };
    let record_path = dir.join(format!("{name}.{}.holder.json", holder_id()));
    // Reclaim before writing our own record, so we never judge ourselves.
    let reclaimed = reclaim_orphans(&dir, &name, stale_after)?;
    let record_file = write_locked_record(&dir, &record_path, &holder)?;
    let shared = Arc::new(Held {
        name,
        dir,
        interval: heartbeat_interval(stale_after),
        holder: Mutex::new(holder),
        state: Mutex::new(HeldState {
            record: record_path,
            record_file: Some(record_file),
            lock_file: Some(lock_file),
            last_beat: Instant::now(),
            broken: false,
        }),
    });
    register(&shared);
    Ok(LockGuard { shared, reclaimed })
}

/// Open `<name>.lock` and take its OS lock without waiting. Retries when the
/// file was unlinked (by its holder's release or [`break_lock`]) between open and lock.
fn lock_main(
    dir: &Path,
    name: &str,
    mode: LockMode,
    stale_after: Duration,
) -> Result<File, LockError> {
    let path = dir.join(format!("{name}.lock"));
    for _ in 0..8 {
        let file = super::confine::no_follow(
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
        )
        .open(&path)
        .map_err(|e| LockError::Io(path.clone(), e))?;
        let locked = match mode {
            LockMode::Shared => file.try_lock_shared(),
            LockMode::Exclusive => file.try_lock(),
        };
        match locked {
            Ok(()) => {
                if same_file(&file, &path) {
                    return Ok(file);
                }
                // Broken (unlinked) while we opened it: lock the new file instead.
            }
            Err(TryLockError::WouldBlock) => {
                let mut holders = holders_of(dir, name, stale_after)?;
                // Live holders first: they are the ones to talk to.
                holders.sort_by_key(|h| h.stale.is_some());
                return Err(LockError::Held {
                    lock: name.to_string(),
                    holders,
                });
            }
            Err(TryLockError::Error(e)) => return Err(LockError::Io(path, e)),
        }
    }
    Err(LockError::Io(
        path,
        io::Error::other("lock file keeps being replaced"),
    ))
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// Write a holder record: a temp file is created, locked exclusively, written
/// and renamed into place, so the record is never visible unlocked.
fn write_locked_record(dir: &Path, path: &Path, holder: &Holder) -> Result<File, LockError> {
    let failed = |e: io::Error| LockError::Io(path.to_path_buf(), e);
    let bytes = super::to_json_bytes(holder)
        .map_err(io::Error::other)
        .map_err(failed)?;
    let tmp = super::save::temp_name(path).map_err(failed)?;
    // An unnamed file (`repo::unnamed`) where the filesystem has them: locked and
    // written before it gets its name, with no temporary entry in the directory.
    if let Ok(Some(mut file)) = super::unnamed::create(dir) {
        let mut write = || -> io::Result<()> {
            file.lock()?;
            file.write_all(&bytes)?;
            super::unnamed::publish(&file, path, &tmp)
        };
        return write().map(|()| file).map_err(failed);
    }
    let write = || -> io::Result<File> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.lock()?;
        file.write_all(&bytes)?;
        // No fsync: see the module doc ("Holder records").
        fs::rename(&tmp, path)?;
        Ok(file)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        failed(e)
    })
}

/// Remove the records of `name` whose holder is gone. Returns them.
fn reclaim_orphans(
    dir: &Path,
    name: &str,
    stale_after: Duration,
) -> Result<Vec<HolderStatus>, LockError> {
    let mut reclaimed = Vec::new();
    for status in holders_of(dir, name, stale_after)? {
        if matches!(
            status.stale,
            Some(StaleReason::Orphaned | StaleReason::DeadProcess)
        ) && record_is_orphaned(&status.record)
        {
            match fs::remove_file(&status.record) {
                Ok(()) => reclaimed.push(status),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(LockError::Io(status.record.clone(), e)),
            }
        }
    }
    Ok(reclaimed)
}

/// True when no process holds the record file's OS lock (its holder is gone).
/// A heartbeat replaces the file; then the new file is checked instead.
fn record_is_orphaned(path: &Path) -> bool {
    for _ in 0..4 {
        // Never a blocking open: a FIFO named like a record must not hang us.
        let Ok(file) = super::confine::open_regular_file(path) else {
            // Removed meanwhile: its holder released it; nothing to reclaim.
            return false;
        };
        match file.try_lock_shared() {
            Ok(()) => {
                if same_file(&file, path) {
                    return true;
                }
                // Replaced by a heartbeat after we opened it: look again.
            }
            Err(_) => return false,
        }
    }
    false
}

/// The holder records of one lock, with their staleness.
fn holders_of(
    dir: &Path,
    name: &str,
    stale_after: Duration,
) -> Result<Vec<HolderStatus>, LockError> {
    let prefix = format!("{name}.");
    let mut out = Vec::new();
    for record in record_files(dir)? {
        let file_name = record
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if file_name.starts_with(&prefix) {
            out.push(holder_status(record, stale_after));
        }
    }
    Ok(out)
}

/// Every `*.holder.json` in the lock directory, sorted.
fn record_files(dir: &Path) -> Result<Vec<PathBuf>, LockError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(LockError::Io(dir.to_path_buf(), e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| LockError::Io(dir.to_path_buf(), e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".holder.json") && !name.starts_with('.') {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

fn holder_status(record: PathBuf, stale_after: Duration) -> HolderStatus {
    let dir = record.parent().unwrap_or(Path::new(".")).to_path_buf();
    let rel = record.file_name().map(PathBuf::from).unwrap_or_default();
    let parsed = parse_file::<Holder>(&dir, &rel);
    let orphaned = record_is_orphaned(&record);
    match parsed {
        Ok(holder) => {
            let now = Utc::now();
            let age = seconds_since(&holder.since, now);
            let heartbeat_age = seconds_since(&holder.heartbeat, now);
            let stale = staleness(&holder, orphaned, heartbeat_age, stale_after);
            HolderStatus {
                holder: Some(holder),
                record,
                age_seconds: age,
                heartbeat_age_seconds: heartbeat_age,
                stale,
                problem: None,
            }
        }
        Err(e) => HolderStatus {
            holder: None,
            record,
            age_seconds: 0,
            heartbeat_age_seconds: 0,
            // Records are renamed into place whole, so an unreadable one was damaged by
            // someone else; while its file lock is held its holder is alive all the same.
            stale: orphaned.then_some(StaleReason::Orphaned),
            problem: Some(e.to_string()),
        },
    }
}

/// Why a readable holder record is stale, or `None` when its holder is alive.
///
/// On this host the record's file lock is exact: a record nobody holds locked is
/// orphaned, and a holder whose pid is dead (or a zombie) is gone. A live process
/// that holds its record is alive however old its heartbeat (a hung holder is
/// broken only with force). A holder on another host is alive while its record is
/// locked or its heartbeat is younger than `stale_after`.
fn staleness(
    holder: &Holder,
    orphaned: bool,
    heartbeat_age: u64,
    stale_after: Duration,
) -> Option<StaleReason> {
    if holder.host == host_name() {
        if orphaned {
            Some(StaleReason::Orphaned)
        } else if !pid_alive(holder.pid) {
            Some(StaleReason::DeadProcess)
        } else {
            None
        }
    } else if orphaned && heartbeat_age > stale_after.as_secs() {
        Some(StaleReason::HeartbeatTooOld {
            seconds: heartbeat_age,
        })
    } else {
        None
    }
}

fn seconds_since(rfc3339: &str, now: DateTime<Utc>) -> u64 {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| (now - t.with_timezone(&Utc)).num_seconds().max(0) as u64)
        // An unparsable time counts as very old.
        .unwrap_or(u64::MAX / 2)
}

/// Every lock that has holder records, with holders, ages and staleness
/// (threshold from `repository.json`'s `settings.lockStaleAfter`).
pub fn list(root: &Path) -> Result<Vec<LockInfo>, LockError> {
    list_with(root, stale_after(root))
}

/// [`list`] with an explicit staleness threshold.
pub fn list_with(root: &Path, stale_after: Duration) -> Result<Vec<LockInfo>, LockError> {
    let dir = root.join(LOCK_DIR);
    super::confine::resolve(root, Path::new(LOCK_DIR))
        .map_err(|e| LockError::Io(dir.clone(), e))?;
    let mut locks: Vec<LockInfo> = Vec::new();
    for record in record_files(&dir)? {
        let file_name = record
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Lock names hold no '.' (ids are sanitised), so the name ends at the first one.
        let name = file_name.split('.').next().unwrap_or_default().to_string();
        let status = holder_status(record, stale_after);
        let target = status.holder.as_ref().map(|h| h.target.clone());
        match locks.iter_mut().find(|l| l.name == name) {
            Some(l) => {
                if l.target.is_none() {
                    l.target = target;
                }
                l.holders.push(status);
            }
            None => locks.push(LockInfo {
                name,
                target,
                holders: vec![status],
                stale: false,
            }),
        }
    }
    for l in &mut locks {
        l.stale = l.holders.iter().all(|h| h.stale.is_some());
    }
    Ok(locks)
}

/// Remove the records of a lock whose holders are all stale, and unlink its
/// lock file. Refuses ([`LockError::Live`]) while any holder is alive. Returns
/// the holders removed.
pub fn break_lock(root: &Path, name: &str) -> Result<Vec<HolderStatus>, LockError> {
    break_with(root, name, false)
}

/// [`break_lock`] even when holders are alive (`bpe locks --break NAME --force`):
/// their records are removed and the lock file unlinked, so a hung holder stops
/// blocking. A live holder notices at its next heartbeat ([`LockGuard::check`]
/// fails with [`LockError::Broken`]) and never resurrects its record.
pub fn force_break_lock(root: &Path, name: &str) -> Result<Vec<HolderStatus>, LockError> {
    break_with(root, name, true)
}

fn break_with(root: &Path, name: &str, force: bool) -> Result<Vec<HolderStatus>, LockError> {
    let dir = root.join(LOCK_DIR);
    super::confine::resolve(root, Path::new(LOCK_DIR))
        .map_err(|e| LockError::Io(dir.clone(), e))?;
    let stale_after = stale_after(root);
    let holders = holders_of(&dir, name, stale_after)?;
    if holders.is_empty() {
        return Err(LockError::NotFound(name.to_string()));
    }
    if !force && holders.iter().any(|h| h.stale.is_none()) {
        return Err(LockError::Live {
            lock: name.to_string(),
            holders: holders.into_iter().filter(|h| h.stale.is_none()).collect(),
        });
    }
    let lock_path = dir.join(format!("{name}.lock"));
    match fs::remove_file(&lock_path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(LockError::Io(lock_path, e)),
    }
    for h in &holders {
        match fs::remove_file(&h.record) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(LockError::Io(h.record.clone(), e)),
        }
    }
    Ok(holders)
}

/// The holders of one lock now, with their staleness (none when it is free).
pub fn holders(root: &Path, target: &LockTarget) -> Result<Vec<HolderStatus>, LockError> {
    holders_of(&root.join(LOCK_DIR), &target.lock_name(), stale_after(root))
}

/// True when a process holds `target`'s OS lock exclusively right now: exact on
/// this host whatever the holder records say (a directory listing can miss a
/// record that a heartbeat is renaming into place). Probed with a shared lock
/// taken and released at once; a missing lock file means nobody holds it.
pub fn held_exclusively(root: &Path, target: &LockTarget) -> bool {
    let rel = Path::new(LOCK_DIR).join(format!("{}.lock", target.lock_name()));
    let Ok(path) = super::confine::resolve(root, &rel) else {
        return false;
    };
    let Ok(file) = super::confine::open_regular_file(&path) else {
        return false;
    };
    // Dropping the file releases the probe's shared lock at once.
    file.try_lock_shared().is_err()
}

/// Ok when a TaskDefinition may be saved now; `Err(Held)` naming the runs that
/// hold its run lock otherwise. (Saving itself takes the run lock exclusively
/// for the duration of the write: see `Repository::save_definition`.)
pub fn check_can_save_definition(root: &Path, definition_id: &str) -> Result<(), LockError> {
    let dir = root.join(LOCK_DIR);
    super::confine::create_dir(root, Path::new(LOCK_DIR))
        .map_err(|e| LockError::Io(dir.clone(), e))?;
    let name = LockTarget::DefinitionRun(definition_id.to_string()).lock_name();
    // Taking it exclusively for an instant proves no run holds it; dropping releases it.
    lock_main(&dir, &name, LockMode::Exclusive, stale_after(root)).map(drop)
}

/// `settings.lockStaleAfter` of `<root>/repository.json`, or the default.
pub fn stale_after(root: &Path) -> Duration {
    // Every acquire asks (`bpe launch` acquires per case): `repository.json` is parsed
    // again only when its inode, size, mtime or ctime changed.
    #[cfg(unix)]
    {
        use std::collections::HashMap;
        use std::os::unix::fs::MetadataExt;
        type Seen = HashMap<PathBuf, ([i64; 6], Duration)>;
        static SEEN: Mutex<Option<Seen>> = Mutex::new(None);
        if let Ok(m) = fs::symlink_metadata(root.join("repository.json")) {
            let stamp = [
                m.ino() as i64,
                m.size() as i64,
                m.mtime(),
                m.mtime_nsec(),
                m.ctime(),
                m.ctime_nsec(),
            ];
            let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
            let seen = seen.get_or_insert_with(HashMap::new);
            if let Some((s, d)) = seen.get(root)
                && *s == stamp
            {
                return *d;
            }
            let d = read_stale_after(root);
            seen.insert(root.to_path_buf(), (stamp, d));
            return d;
        }
    }
    read_stale_after(root)
}

fn read_stale_after(root: &Path) -> Duration {
    parse_file::<RepositoryConfig>(root, Path::new("repository.json"))
        .ok()
        .and_then(|c| c.settings.lock_stale_after)
        .filter(|s| *s > 0)
        .map(|s| Duration::from_secs(s as u64))
        .unwrap_or(DEFAULT_STALE_AFTER)
}

fn now_secs() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn now_millis() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Unique per holder: pid, a per-process counter and the time.
fn holder_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}-{}-{nanos:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
