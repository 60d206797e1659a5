//! Watching a repository for changes made by others (git pull, another bpe, an editor).
//!
//! Two modes: [`WatchMode::Events`] uses the OS's notifications through
//! `notify`, gathered for [`DEBOUNCE`] from the first event of a burst;
//! [`WatchMode::Poll`] rescans the tree
//! at an interval comparing modification times and sizes, for network
//! filesystems where notifications do not arrive. Both report the same
//! [`RepoChange`]s: paths relative to the root, classified against the set of
//! files known so far (so an atomic save's rename shows as `Modified` of the
//! target, never as the temp file). `.bpe/`, hidden files and the temp files of
//! atomic saves are ignored.
//!
//! Invariant: a change is reported at most [`DEBOUNCE`] (plus the handling time)
//! after it happens, however often the file keeps changing. The gathering is a
//! throttle, not a trailing debounce: a debounce that waits for a quiet spell
//! (as `notify-debouncer-full` does) never reports a file saved more often than
//! its timeout — a case persisting its progress every 100 ms stayed frozen in
//! the TUI for as long as it ran.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

use super::is_temp_file;

/// How long events are gathered, from the first event of a burst, before they are reported.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    /// OS notifications (inotify, FSEvents, …), gathered for [`DEBOUNCE`].
    Events,
    /// Rescan every interval (for NFS/SMB/sshfs mounts).
    Poll(Duration),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    Created,
    Modified,
    Removed,
}

/// A file of the repository that appeared, changed or disappeared.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoChange {
    /// Relative to the repository root, e.g. `TaskDefinition/onboard.json`.
    pub path: PathBuf,
    pub kind: ChangeKind,
}

#[derive(Debug)]
pub enum WatchError {
    Io(PathBuf, std::io::Error),
    Notify(notify::Error),
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchError::Io(p, e) => write!(f, "cannot watch {}: {e}", p.display()),
            WatchError::Notify(e) => write!(f, "cannot watch: {e}"),
        }
    }
}

impl std::error::Error for WatchError {}

/// A running watcher; stops when dropped.
pub struct Watcher {
    changes: Option<Receiver<RepoChange>>,
    _events: Option<RecommendedWatcher>,
    poll: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("events", &self._events.is_some())
            .field("poll", &self.poll.is_some())
            .finish()
    }
}

impl Watcher {
    /// Watch `root`; changes arrive on [`Watcher::receiver`].
    pub fn start(root: &Path, mode: WatchMode) -> Result<Watcher, WatchError> {
        let (tx, rx) = mpsc::channel();
        let mut w = Watcher::start_with(root, mode, move |change| {
            let _ = tx.send(change);
        })?;
        w.changes = Some(rx);
        Ok(w)
    }

    /// Watch `root`, calling `on_change` (from the watcher's thread) for each
    /// change — e.g. to forward into an application's own event channel.
    pub fn start_with(
        root: &Path,
        mode: WatchMode,
        on_change: impl FnMut(RepoChange) + Send + 'static,
    ) -> Result<Watcher, WatchError> {
        let root = root
            .canonicalize()
            .map_err(|e| WatchError::Io(root.to_path_buf(), e))?;
        match mode {
            WatchMode::Events => {
                let snapshot = scan_names(&root);
                let tracker = Tracker {
                    root: root.clone(),
                    known: snapshot.into_keys().collect(),
                    on_change,
                };
                let (tx, rx) = mpsc::channel();
                let mut watcher = notify::recommended_watcher(tx).map_err(WatchError::Notify)?;
                watcher
                    .watch(&root, RecursiveMode::Recursive)
                    .map_err(WatchError::Notify)?;
                // Ends when the watcher is dropped (its sender goes with it).
                std::thread::Builder::new()
                    .name("bpe-repo-watch".into())
                    .spawn(move || gather_loop(rx, tracker))
                    .map_err(|e| WatchError::Io(root.clone(), e))?;
                Ok(Watcher {
                    changes: None,
                    _events: Some(watcher),
                    poll: None,
                })
            }
            WatchMode::Poll(interval) => {
                let snapshot = scan(&root);
                let stop = Arc::new(AtomicBool::new(false));
                let stop2 = stop.clone();
                let handle = std::thread::Builder::new()
                    .name("bpe-repo-poll".into())
                    .spawn(move || poll_loop(root, interval, snapshot, stop2, on_change))
                    .map_err(|e| WatchError::Io(PathBuf::new(), e))?;
                Ok(Watcher {
                    changes: None,
                    _events: None,
                    poll: Some((stop, handle)),
                })
            }
        }
    }

    /// The changes, in the order they were seen. (Empty forever for a watcher
    /// made with [`Watcher::start_with`].)
    pub fn receiver(&self) -> Option<&Receiver<RepoChange>> {
        self.changes.as_ref()
    }

    /// Take the receiver, e.g. to move it into another thread; the watcher
    /// must still be kept alive.
    pub fn take_receiver(&mut self) -> Option<Receiver<RepoChange>> {
        self.changes.take()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if let Some((stop, handle)) = self.poll.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
    }
}

/// Classifies event paths against the files known so far.
struct Tracker<F> {
    root: PathBuf,
    known: HashSet<PathBuf>,
    on_change: F,
}

impl<F: FnMut(RepoChange)> Tracker<F> {
    fn classify(&mut self, paths: BTreeSet<PathBuf>) {
        let mut changes = BTreeSet::new();
        for abs in paths {
            let Ok(rel) = abs.strip_prefix(&self.root) else {
                continue;
            };
            if rel.as_os_str().is_empty() || ignored(rel) {
                continue;
            }
            let rel = rel.to_path_buf();
            match fs::metadata(&abs) {
                Ok(m) if m.is_file() => {
                    let kind = if self.known.insert(rel.clone()) {
                        ChangeKind::Created
                    } else {
                        ChangeKind::Modified
                    };
                    changes.insert(RepoChange { path: rel, kind });
                }
                Ok(m) if m.is_dir() => {
                    // Files created with their directory may have no events of their own.
                    for file in scan_names(&abs).into_keys() {
                        let file = rel.join(file);
                        if self.known.insert(file.clone()) {
                            changes.insert(RepoChange {
                                path: file,
                                kind: ChangeKind::Created,
                            });
                        }
                    }
                }
                Ok(_) => {}
                Err(_) => {
                    // Gone: the file itself, or a directory with everything below it.
                    let gone: Vec<PathBuf> = self
                        .known
                        .iter()
                        .filter(|k| k.starts_with(&rel))
                        .cloned()
                        .collect();
                    for k in gone {
                        self.known.remove(&k);
                        changes.insert(RepoChange {
                            path: k,
                            kind: ChangeKind::Removed,
                        });
                    }
                }
            }
        }
        for c in changes {
            (self.on_change)(c);
        }
    }
}

/// Report what the OS notifies, gathered for [`DEBOUNCE`] from the first event of
/// each burst (see the module's invariant), until the watcher is dropped.
fn gather_loop<F: FnMut(RepoChange)>(rx: Receiver<notify::Result<Event>>, mut tracker: Tracker<F>) {
    // Reads (open / close without writing) are not changes: reporting them makes
    // a reader that reloads on every change wake itself forever.
    fn add(paths: &mut BTreeSet<PathBuf>, event: notify::Result<Event>) {
        if let Ok(e) = event
            && !matches!(e.kind, EventKind::Access(_))
        {
            paths.extend(e.paths);
        }
    }
    while let Ok(first) = rx.recv() {
        let mut paths = BTreeSet::new();
        add(&mut paths, first);
        let deadline = Instant::now() + DEBOUNCE;
        let mut open = true;
        while open {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(event) => add(&mut paths, event),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => open = false,
            }
        }
        tracker.classify(paths);
        if !open {
            return;
        }
    }
}

/// `.bpe/` and `.git/`, hidden files, and atomic-save temp files.
fn ignored(rel: &Path) -> bool {
    is_temp_file(rel)
        || rel
            .components()
            .any(|c| c.as_os_str().to_str().is_none_or(|s| s.starts_with('.')))
}

type Stamp = (Option<SystemTime>, u64);

/// Every non-ignored file below `dir`, relative to it, with mtime and size.
fn scan(dir: &Path) -> BTreeMap<PathBuf, Stamp> {
    scan_with(dir, true)
}

/// [`scan`] without the stamps (`(None, 0)`): the names only, which the
/// directory listing gives without a `stat` per file (what events mode needs).
fn scan_names(dir: &Path) -> BTreeMap<PathBuf, Stamp> {
    scan_with(dir, false)
}

fn scan_with(dir: &Path, stamps: bool) -> BTreeMap<PathBuf, Stamp> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel_dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(dir.join(&rel_dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let rel = rel_dir.join(entry.file_name());
            if ignored(&rel) {
                continue;
            }
            // The entry's own type, as `lstat` gives it (links are neither).
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(rel);
            } else if kind.is_file() {
                let stamp = if stamps {
                    let Ok(meta) = entry.metadata() else {
                        continue;
                    };
                    (meta.modified().ok(), meta.len())
                } else {
                    (None, 0)
                };
                out.insert(rel, stamp);
            }
        }
    }
    out
}

fn poll_loop(
    root: PathBuf,
    interval: Duration,
    mut previous: BTreeMap<PathBuf, Stamp>,
    stop: Arc<AtomicBool>,
    mut on_change: impl FnMut(RepoChange),
) {
    // Sleep in short steps so dropping the watcher is prompt.
    let step = interval
        .min(Duration::from_millis(50))
        .max(Duration::from_millis(1));
    loop {
        let mut waited = Duration::ZERO;
        while waited < interval {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(step);
            waited += step;
        }
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let current = scan(&root);
        for (path, stamp) in &current {
            match previous.get(path) {
                None => on_change(RepoChange {
                    path: path.clone(),
                    kind: ChangeKind::Created,
                }),
                Some(old) if old != stamp => on_change(RepoChange {
                    path: path.clone(),
                    kind: ChangeKind::Modified,
                }),
                Some(_) => {}
            }
        }
        for path in previous.keys() {
            if !current.contains_key(path) {
                on_change(RepoChange {
                    path: path.clone(),
                    kind: ChangeKind::Removed,
                });
            }
        }
        previous = current;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_private_and_temp_files() {
        assert!(ignored(Path::new(".bpe/locks/run-x.lock")));
        assert!(ignored(Path::new("TaskDefinition/.a.json.1-0.tmp")));
        assert!(ignored(Path::new(".git/index")));
        assert!(!ignored(Path::new("TaskDefinition/a.json")));
        assert!(!ignored(Path::new("audit.jsonl")));
    }
}
