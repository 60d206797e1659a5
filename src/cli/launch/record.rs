//! The key record of `bpe launch`: which feed keys already started a case of a
//! workflow, so that re-running a feed (or resuming a killed launch) starts each
//! key once.
//!
//! `.bpe/launch/<definition id>.jsonl`, one JSON object per line:
//! `{"key", "row", "instance", "status"}`, the last line of a key winning.
//!
//! Invariants:
//! - A launch holds the record's lock for as long as it runs: an exclusive OS
//!   file lock on `.bpe/launch/<definition id>.lock` (it vanishes with its
//!   process). Every read-modify-write of the record happens under it, and a
//!   second launch of the same workflow is refused while one runs.
//! - A key is written (`starting`, with the id its case will have) and synced
//!   before that case's instance is written. On load, a `starting` key whose
//!   `TaskInstance/<id>.json` does not exist never started and is forgotten; one
//!   whose instance exists was launched. So a launch killed at any point and
//!   resumed launches every key exactly once.
//! - Lines are appended with one `write` each, synced ([`Appender`]: the workers
//!   share their syncs, a line is synced before `append` returns); a line
//!   cut short by a kill is ignored. When a launch ends — and when one starts on a
//!   record that needed repair — the record is rewritten whole, one line per key in row order,
//!   atomically (`save_atomic_in`), so it does not grow with repeated launches.
//! - Every path is inside the repository boundary (`repo::confine`); a record
//!   larger than [`MAX_RECORD_BYTES`] is refused rather than read.

use std::collections::HashMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::model::ObjectKind;
use crate::repo::{confine, sanitize_id, save_atomic_in};

/// Where records live, relative to the repository root.
pub const RECORD_DIR: &str = ".bpe/launch";
/// The largest record read.
pub const MAX_RECORD_BYTES: u64 = 256 * 1024 * 1024;

/// Status of a key whose case is being started.
pub const STARTING: &str = "starting";
/// Status of a key whose case was started by a launch that did not record how it
/// ended (it was killed): its instance says.
pub const LAUNCHED: &str = "launched";

/// One key's line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub key: String,
    /// The feed row it came from.
    pub row: u64,
    pub instance: String,
    /// `starting`, `launched`, or the case's status when its launch ended.
    pub status: String,
}

/// The record of one workflow, loaded, with its lock held (unless read-only).
pub struct Record {
    root: PathBuf,
    rel: PathBuf,
    entries: HashMap<String, Entry>,
    /// The OS lock; `None` for a read-only look (a dry run).
    lock: Option<File>,
}

impl Record {
    /// Lock and load the record of the definition `definition_id`; with
    /// `read_only` (a dry run) load it without locking and never write.
    pub fn open(root: &Path, definition_id: &str, read_only: bool) -> anyhow::Result<Record> {
        let stem = sanitize_id(definition_id);
        let rel = Path::new(RECORD_DIR).join(format!("{stem}.jsonl"));
        let lock = if read_only {
            None
        } else {
            Some(take_lock(
                root,
                &Path::new(RECORD_DIR).join(format!("{stem}.lock")),
            )?)
        };
        let mut record = Record {
            root: root.to_path_buf(),
            rel,
            entries: HashMap::new(),
            lock,
        };
        let repaired = record.load()?;
        if repaired && record.lock.is_some() {
            record.save()?;
        }
        Ok(record)
    }

    /// Read the lines; true when something needed repair (a cut line, a
    /// `starting` key whose case never started, a `starting` key now known launched).
    fn load(&mut self) -> anyhow::Result<bool> {
        let bytes = match confine::resolve(&self.root, &self.rel) {
            Ok(path) => match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.len() > MAX_RECORD_BYTES => bail!(
                    "{} is {} bytes; the most bpe reads is {MAX_RECORD_BYTES}",
                    self.rel.display(),
                    meta.len()
                ),
                _ => match confine::read(&self.root, &self.rel) {
                    Ok(b) => b,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
                    Err(e) => return Err(e).context(format!("cannot read {}", self.rel.display())),
                },
            },
            Err(e) => return Err(e).context(format!("cannot read {}", self.rel.display())),
        };
        // A last line without its newline was cut short by a kill.
        let mut repaired = bytes.last().is_some_and(|b| *b != b'\n');
        for line in bytes.split(|b| *b == b'\n') {
            if line.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            match serde_json::from_slice::<Entry>(line) {
                Ok(e) => self.put(e),
                // Cut short by a kill (or damaged): the key it was writing never started.
                Err(_) => repaired = true,
            }
        }
        let starting: Vec<String> = self
            .entries
            .values()
            .filter(|e| e.status == STARTING)
            .map(|e| e.key.clone())
            .collect();
        for key in starting {
            repaired = true;
            let instance = self.entries[&key].instance.clone();
            if self.instance_exists(&instance) {
                if let Some(e) = self.entries.get_mut(&key) {
                    e.status = LAUNCHED.to_string();
                }
            } else {
                self.entries.remove(&key);
            }
        }
        Ok(repaired)
    }

    fn instance_exists(&self, id: &str) -> bool {
        let rel = Path::new(ObjectKind::TaskInstance.dir_name())
            .join(format!("{}.json", sanitize_id(id)));
        confine::resolve(&self.root, &rel)
            .map(|p| p.symlink_metadata().is_ok())
            .unwrap_or(false)
    }

    fn put(&mut self, e: Entry) {
        self.entries.insert(e.key.clone(), e);
    }

    /// The entry of `key`, when it was launched before.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// Keys recorded.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Nothing recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Remember `entry` in memory (the caller writes it with [`append`] first
    /// when it is a `starting` line, see the module invariants).
    pub fn remember(&mut self, entry: Entry) {
        self.put(entry);
    }

    /// Where lines are appended, for [`Appender::append`] outside the caller's mutex.
    pub fn location(&self) -> (PathBuf, PathBuf) {
        (self.root.clone(), self.rel.clone())
    }

    /// Rewrite the record whole, one line per key, atomically.
    pub fn save(&self) -> anyhow::Result<()> {
        if self.lock.is_none() {
            return Ok(());
        }
        let mut entries: Vec<&Entry> = self.entries.values().collect();
        entries.sort_by(|a, b| a.row.cmp(&b.row).then_with(|| a.key.cmp(&b.key)));
        let mut bytes = Vec::new();
        for e in entries {
            serde_json::to_writer(&mut bytes, e)?;
            bytes.push(b'\n');
        }
        save_atomic_in(&self.root, &self.rel, &bytes)
            .with_context(|| format!("cannot write {}", self.rel.display()))
    }
}

/// Appends to a record whose syncs are shared by the workers (a group commit of
/// the record): each [`Appender::append`] writes its line with one `write`, then
/// returns once a `fdatasync` that began after that write has finished — its own,
/// or one that another worker was about to start. Lines are as durable as with one
/// sync each, for about one sync per batch of concurrent appends.
#[derive(Default)]
pub struct Appender {
    state: Mutex<SyncState>,
    synced_cv: Condvar,
    /// The record, opened (inside the boundary) by the first append and kept for the
    /// launch: no other process rewrites it while the launch holds the record's lock.
    file: Mutex<Option<std::sync::Arc<File>>>,
}

#[derive(Default)]
struct SyncState {
    /// Lines written so far (counted after their `write` returned).
    written: u64,
    /// Lines covered by a finished sync.
    synced: u64,
    /// A sync is running.
    syncing: bool,
}

impl Appender {
    fn lock_state(&self) -> std::sync::MutexGuard<'_, SyncState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Write `line` with one `write` (`O_APPEND`) to the record, opening it the first time.
    fn write_line(
        &self,
        root: &Path,
        rel: &Path,
        line: &[u8],
    ) -> std::io::Result<std::sync::Arc<File>> {
        let mut kept = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(file) = kept.as_ref() {
            let file = file.clone();
            drop(kept);
            confine::write_once(&file, line)?;
            return Ok(file);
        }
        let (file, _) = confine::append_unsynced(root, rel, line)?;
        let file = std::sync::Arc::new(file);
        *kept = Some(file.clone());
        Ok(file)
    }

    /// Append one entry as one line inside the boundary and wait until it is
    /// synced. Whoever calls it holds the record's lock (see [`Record::open`]),
    /// which also made sure the file ends with a whole line.
    pub fn append(&self, root: &Path, rel: &Path, entry: &Entry) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let file = self.write_line(root, rel, &line)?;
        let mut state = self.lock_state();
        state.written += 1;
        let mine = state.written;
        loop {
            if state.synced >= mine {
                return Ok(());
            }
            if !state.syncing {
                // Lead: one sync for every line written so far (fdatasync covers the
                // file, whichever descriptor wrote it).
                state.syncing = true;
                let covers = state.written;
                drop(state);
                let synced = file.sync_data();
                state = self.lock_state();
                state.syncing = false;
                if synced.is_ok() {
                    state.synced = state.synced.max(covers);
                }
                self.synced_cv.notify_all();
                // On an error the waiting appenders lead a sync of their own.
                return synced;
            }
            state = self
                .synced_cv
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The launch lock: an exclusive OS lock on `rel`, refused when another launch
/// holds it. The file names its holder (pid, since) for that message.
fn take_lock(root: &Path, rel: &Path) -> anyhow::Result<File> {
    let path = confine::resolve_for_write(root, rel)
        .with_context(|| format!("cannot lock {}", rel.display()))?;
    let mut file = confine::no_follow(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
    .open(&path)
    .with_context(|| format!("cannot lock {}", rel.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = (&file).take(200).read_to_string(&mut holder);
            bail!(
                "another bpe launch of this workflow is running ({}); wait for it to end",
                crate::model::escape_name(holder.trim())
            );
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", rel.display()));
        }
    }
    let holder = format!(
        "pid {} on {}, since {}",
        std::process::id(),
        crate::repo::lock::host_name(),
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    file.set_len(0)?;
    file.write_all(holder.as_bytes())?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, instance: &str, status: &str) -> Entry {
        Entry {
            key: key.into(),
            row: 2,
            instance: instance.into(),
            status: status.into(),
        }
    }

    #[test]
    fn appenders_sharing_syncs_lose_no_line_and_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let r = Record::open(root, "td-1", false).unwrap();
        let (root, rel) = r.location();
        let log = Appender::default();
        std::thread::scope(|s| {
            for t in 0..8 {
                let (log, root, rel) = (&log, &root, &rel);
                s.spawn(move || {
                    for i in 0..40 {
                        let key = format!("E{t}-{i}");
                        log.append(root, rel, &entry(&key, &format!("ti-{t}-{i}"), "x"))
                            .unwrap();
                    }
                });
            }
        });
        let state = log.state.lock().unwrap();
        assert_eq!((state.written, state.synced), (320, 320));
        drop(state);
        drop(r);
        let r = Record::open(root.as_path(), "td-1", false).unwrap();
        assert_eq!(r.len(), 320);
        assert_eq!(r.get("E7-39").unwrap().instance, "ti-7-39");
    }

    #[test]
    fn a_starting_key_counts_only_when_its_instance_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("TaskInstance")).unwrap();
        std::fs::write(root.join("TaskInstance/ti-1.json"), "{}").unwrap();
        {
            let r = Record::open(root, "td-1", false).unwrap();
            let (root, rel) = r.location();
            let log = Appender::default();
            log.append(&root, &rel, &entry("E1", "ti-1", STARTING))
                .unwrap();
            log.append(&root, &rel, &entry("E2", "ti-2", STARTING))
                .unwrap();
            log.append(&root, &rel, &entry("E3", "ti-3", "suspended"))
                .unwrap();
        }
        // A line cut short by a kill.
        let rel = Path::new(RECORD_DIR).join("td-1.jsonl");
        confine::append(root, &rel, b"{\"key\":\"E4\",\"ro").unwrap();
        let r = Record::open(root, "td-1", false).unwrap();
        assert_eq!(r.get("E1").unwrap().status, LAUNCHED);
        assert!(r.get("E2").is_none(), "its instance was never written");
        assert_eq!(r.get("E3").unwrap().status, "suspended");
        assert!(r.get("E4").is_none());
        // Repaired on open: the file holds the two keys, whole lines only.
        let text = std::fs::read_to_string(root.join(&rel)).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.ends_with('\n'));
        Appender::default()
            .append(root, &rel, &entry("E6", "ti-6", "completed"))
            .unwrap();
        drop(r);
        let r = Record::open(root, "td-1", false).unwrap();
        assert_eq!(r.get("E6").unwrap().instance, "ti-6");
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn a_second_launch_of_the_workflow_is_refused_while_one_holds_the_record() {
        let dir = tempfile::tempdir().unwrap();
        let held = Record::open(dir.path(), "td-1", false).unwrap();
        let e = Record::open(dir.path(), "td-1", false).err().unwrap();
        assert!(
            e.to_string()
                .contains("another bpe launch of this workflow is running (pid"),
            "{e}"
        );
        // Reading (a dry run) is fine, and another workflow is not concerned.
        assert!(Record::open(dir.path(), "td-1", true).is_ok());
        assert!(Record::open(dir.path(), "td-2", false).is_ok());
        drop(held);
        assert!(Record::open(dir.path(), "td-1", false).is_ok());
    }

    #[test]
    fn a_record_linked_outside_the_repository_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".bpe")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join(".bpe/launch")).unwrap();
        let e = Record::open(dir.path(), "td-1", false).err().unwrap();
        assert!(format!("{e:#}").contains("outside the repository"), "{e:#}");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }
}
