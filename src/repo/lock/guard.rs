//! The guard of a held lock and the heartbeat thread that keeps every lock of
//! this process fresh.
//!
//! Invariant: while a [`LockGuard`] lives, its record's heartbeat is refreshed every
//! [`heartbeat_interval`] by one thread per process; dropping the guard removes the
//! record, unlinks the lock file of an exclusive lock (still ours) and releases the OS
//! locks at once (not when the thread lets go of it).

use std::fs::{self, File};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::{
    Holder, HolderStatus, LockError, LockMode, now_millis, same_file, write_locked_record,
};

/// A held lock. Dropping it removes the holder record and releases the OS lock.
/// While it lives, the process's heartbeat thread (see [`heartbeat_interval`])
/// refreshes its record; no caller has to.
#[derive(Debug)]
pub struct LockGuard {
    pub(super) shared: Arc<Held>,
    pub(super) reclaimed: Vec<HolderStatus>,
}

/// What the guard and the heartbeat thread share.
#[derive(Debug)]
pub(super) struct Held {
    pub(super) name: String,
    pub(super) dir: PathBuf,
    pub(super) interval: Duration,
    pub(super) holder: Mutex<Holder>,
    pub(super) state: Mutex<HeldState>,
}

#[derive(Debug)]
pub(super) struct HeldState {
    /// The record file and our open handle on it (which holds its OS lock).
    pub(super) record: PathBuf,
    pub(super) record_file: Option<File>,
    /// The handle holding the OS lock on `<name>.lock`; `None` once released.
    pub(super) lock_file: Option<File>,
    pub(super) last_beat: Instant,
    /// Our record was removed by someone else ([`break_lock`] with force).
    pub(super) broken: bool,
}

impl Held {
    fn beat(&self) -> Result<(), LockError> {
        let mut holder = lock_ignoring_poison(&self.holder);
        let mut state = lock_ignoring_poison(&self.state);
        if state.lock_file.is_none() {
            // Released: nothing to refresh.
            return Ok(());
        }
        if self.is_broken(&mut state) {
            return Err(LockError::Broken(self.name.clone()));
        }
        let mut updated = holder.clone();
        updated.heartbeat = now_millis();
        let file = write_locked_record(&self.dir, &state.record, &updated)?;
        // `force_break_lock` unlinks the lock file before it removes the records. If it
        // ran between the check above and the rename, our rename put back a record it
        // had removed: the lock file is gone now, so take the record back out.
        if self.is_broken(&mut state) {
            let _ = fs::remove_file(&state.record);
            return Err(LockError::Broken(self.name.clone()));
        }
        // The old handle's lock is released only now, after the rename.
        state.record_file = Some(file);
        state.last_beat = Instant::now();
        *holder = updated;
        Ok(())
    }

    /// Broken by [`super::force_break_lock`]: our record is gone, or `<name>.lock` is
    /// no longer the file whose OS lock we hold (it was unlinked, and maybe made
    /// anew by the next holder). Sticky once seen.
    fn is_broken(&self, state: &mut HeldState) -> bool {
        if !state.broken
            && let Some(lock_file) = &state.lock_file
        {
            let lock_path = self.dir.join(format!("{}.lock", self.name));
            state.broken = !state.record.exists() || !same_file(lock_file, &lock_path);
        }
        state.broken
    }

    fn release(&self) {
        // `holder` before `state`, the order `beat` takes them in.
        let exclusive = lock_ignoring_poison(&self.holder).mode == LockMode::Exclusive;
        let mut state = lock_ignoring_poison(&self.state);
        if state.lock_file.is_none() {
            return;
        }
        // Checked first: it looks for our record, removed next.
        let ours = !self.is_broken(&mut state);
        if ours {
            // Removing the record before the OS locks are released: no one sees us as orphaned.
            let _ = fs::remove_file(&state.record);
            // An exclusive lock's file is unlinked while its OS lock is still held, and
            // only while it is still our file (the module doc of `repo::lock`, "Lock files").
            if exclusive {
                let _ = fs::remove_file(self.dir.join(format!("{}.lock", self.name)));
            }
        }
        state.record_file = None;
        state.lock_file = None;
    }
}

impl LockGuard {
    /// The lock's name (as [`list`] and [`break_lock`] use it).
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Our holder record as last written.
    pub fn holder(&self) -> Holder {
        lock_ignoring_poison(&self.shared.holder).clone()
    }

    /// Stale records of dead holders that were removed when this lock was taken.
    pub fn reclaimed(&self) -> &[HolderStatus] {
        &self.reclaimed
    }

    /// How often the heartbeat thread refreshes this lock's record.
    pub fn interval(&self) -> Duration {
        self.shared.interval
    }

    /// Refresh the heartbeat in the holder record now (atomically: a fresh record
    /// file, locked before it replaces the old one). The heartbeat thread does this
    /// on its own every [`LockGuard::interval`]; calling it is never needed.
    pub fn heartbeat(&self) -> Result<(), LockError> {
        self.shared.beat()
    }

    /// `Err(LockError::Broken)` once someone broke this lock with force (noticed
    /// by the last heartbeat or now): the holder must stop writing what it protects.
    pub fn check(&self) -> Result<(), LockError> {
        let mut state = lock_ignoring_poison(&self.shared.state);
        if self.shared.is_broken(&mut state) {
            return Err(LockError::Broken(self.shared.name.clone()));
        }
        Ok(())
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Released here, not when the heartbeat thread lets go of its reference:
        // the lock is free the moment the guard is gone.
        self.shared.release();
    }
}

/// The heartbeat interval for a staleness threshold: a third of it, never under
/// [`MIN_HEARTBEAT_INTERVAL`], so a live holder's heartbeat is never older than
/// `lockStaleAfter` even when a beat is late.
pub fn heartbeat_interval(stale_after: Duration) -> Duration {
    (stale_after / 3).max(MIN_HEARTBEAT_INTERVAL)
}

/// The shortest heartbeat interval.
pub const MIN_HEARTBEAT_INTERVAL: Duration = Duration::from_millis(250);

/// Every live lock of this process, refreshed by one background thread.
static REGISTRY: Mutex<Vec<Weak<Held>>> = Mutex::new(Vec::new());

pub(super) fn register(held: &Arc<Held>) {
    static STARTED: std::sync::Once = std::sync::Once::new();
    lock_ignoring_poison(&REGISTRY).push(Arc::downgrade(held));
    STARTED.call_once(|| {
        // Without the thread (no threads left?) holders still work; their locks age.
        let _ = std::thread::Builder::new()
            .name("bpe-lock-heartbeat".into())
            .spawn(|| heartbeat_loop(&REGISTRY));
    });
}

fn heartbeat_loop(registry: &Mutex<Vec<Weak<Held>>>) {
    loop {
        let live: Vec<Arc<Held>> = {
            let mut entries = lock_ignoring_poison(registry);
            entries.retain(|w| w.strong_count() > 0);
            entries.iter().filter_map(Weak::upgrade).collect()
        };
        let mut sleep = Duration::from_secs(1);
        for held in &live {
            let due = lock_ignoring_poison(&held.state).last_beat + held.interval;
            let now = Instant::now();
            if now >= due {
                // A failure (a broken lock, a full disk) is seen by the holder through `check`.
                let _ = held.beat();
                sleep = sleep.min(held.interval);
            } else {
                sleep = sleep.min(due - now);
            }
        }
        drop(live);
        std::thread::sleep(sleep.max(Duration::from_millis(20)));
    }
}

fn lock_ignoring_poison<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
