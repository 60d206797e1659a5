//! The definition index: `.bpe/index/definitions.json`, a cache of what
//! listings need of every TaskDefinition file (id, name, description, counts)
//! or of why it failed to load, so that opening a large repository reads only
//! the files that changed ([`Repository::open_overview`]).
//!
//! Invariants (details and the rules in `docs/repository.md`, "The definition index"):
//! - The index is a cache, never the truth. An entry is reused without reading
//!   its file only when the file's path, size and modification time (ns) are
//!   the recorded ones *and* that time lies more than [`RACY_WINDOW`] before the
//!   scan that recorded it; any other file is read, and its SHA-256 decides:
//!   the summary of the same content is reused, other content is parsed.
//! - Directories of fewer than [`INDEX_MIN_FILES`] definitions are read in full,
//!   without an index.
//! - A missing, damaged, oversized, foreign or older index is ignored (and
//!   rebuilt); reading it never fails an open.
//! - It is written atomically inside the repository boundary
//!   ([`super::save_atomic_in`]), only by the process that holds the index's
//!   file lock (`.bpe/index/definitions.lock`) across its read-modify-write;
//!   others read it and leave it alone. A failed write (read-only repository)
//!   is ignored.
//! - The summary of a file is what the full load would give: each file read is
//!   parsed as a whole [`TaskDefinition`], so a file the full load refuses is an
//!   error here too.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::load::{Identified, list_json, parse_parallel, report_duplicates, report_unsafe_names};
use super::{LoadError, Loaded, OpenError, Repository, parse_bytes};
use crate::model::{ExecMode, ObjectKind, TaskDefinition};

/// The index file, relative to the repository root.
pub const INDEX_FILE: &str = ".bpe/index/definitions.json";
/// Held (OS file lock) by the one process that may rewrite the index.
const INDEX_LOCK: &str = ".bpe/index/definitions.lock";
/// What the index file says it is; anything else is ignored.
const INDEX_KIND: &str = "bpe.definitionIndex";
/// Version of the index's own layout and of the summary rules; an index of
/// another version is ignored.
pub const INDEX_VERSION: u32 = 1;
/// Larger index files are ignored unread (about 250,000 definitions).
const INDEX_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Directories with fewer definition files are read in full, and no index is
/// read or written: parsing them costs a millisecond or two, and a small
/// repository (a checkout, the sample) stays free of cache files.
pub const INDEX_MIN_FILES: usize = 64;
/// A file modified this close to (or after) the scan that recorded it could
/// have changed again within one timestamp tick after it was read: its entry
/// is confirmed by content hash before it is reused.
pub const RACY_WINDOW: Duration = Duration::from_secs(2);

/// What listings (`bpe list`, the TUI browser) show of a TaskDefinition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefinitionSummary {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub activities: usize,
    pub actions: usize,
    pub transitions: usize,
    pub variables: usize,
    pub exec_mode: ExecMode,
    /// [`crate::model::Process::effective_max_steps`].
    pub max_steps: i64,
}

impl DefinitionSummary {
    pub fn of(def: &TaskDefinition) -> DefinitionSummary {
        let acts = &def.process.activities;
        DefinitionSummary {
            id: def.id.clone(),
            name: def.name.clone(),
            description: def.description.clone(),
            activities: acts.len(),
            actions: acts.iter().map(|a| a.actions.len()).sum(),
            transitions: acts.iter().map(|a| a.transitions.len()).sum(),
            variables: def.process.variables.len(),
            exec_mode: def.exec_mode,
            max_steps: def.process.effective_max_steps(),
        }
    }
}

impl Identified for DefinitionSummary {
    const KIND: ObjectKind = ObjectKind::TaskDefinition;
    fn object_id(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn object_name(&self) -> Option<&str> {
        Some(&self.name)
    }
}

/// How an open used the index (for tests and `docs/repository.md`'s figures).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Files whose entry was reused without reading them.
    pub reused: usize,
    /// Files read whose content hash matched an entry (touched, renamed, copied, racy).
    pub rehashed: usize,
    /// Files read and parsed.
    pub parsed: usize,
    /// Files not indexed (not a regular file inside the boundary, or a name that
    /// is not UTF-8): loaded as [`Repository::open`] does.
    pub unindexed: usize,
    /// Whether this open rewrote the index.
    pub written: bool,
}

/// A repository with its TaskDefinitions summarised rather than loaded.
#[derive(Debug, Clone)]
pub struct Overview {
    /// Every other kind, loaded in full. `repo.definitions` is empty; `repo.errors`
    /// holds every load error, the definitions' included, sorted by path.
    pub repo: Repository,
    /// In path order, as [`Repository::definitions`] would be.
    pub definitions: Vec<Loaded<DefinitionSummary>>,
    pub stats: IndexStats,
}

impl Repository {
    /// Open `root` for a listing: every kind but TaskDefinitions as
    /// [`Repository::open`] does, and a [`DefinitionSummary`] per definition
    /// file from the index, reading only the files that changed since it was
    /// written (see the module invariants). Load errors are the ones
    /// [`Repository::open`] reports. Writes nothing but the index.
    pub fn open_overview(root: impl AsRef<Path>) -> Result<Overview, OpenError> {
        let root = root.as_ref();
        let mut repo = Repository::open_except_definitions(root)?;
        let (definitions, errors, stats) = summarise_definitions(root);
        repo.errors.extend(errors);
        super::load::sort_errors(&mut repo.errors);
        Ok(Overview {
            repo,
            definitions,
            stats,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexFile {
    format_version: u32,
    kind: String,
    /// When the scan that wrote this began (ns since the Unix epoch).
    scanned_at_ns: u64,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    path: String,
    size: u64,
    mtime_ns: u64,
    /// `sha256:<hex>` of the file's bytes.
    hash: String,
    outcome: Outcome,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Outcome {
    Definition(DefinitionSummary),
    Error {
        line: usize,
        column: usize,
        message: String,
    },
}

enum Scanned {
    /// Indexed: the entry, and whether it differs from the old index's.
    Indexed(Entry, How),
    /// Loaded the ordinary way, not indexed.
    Plain(Result<DefinitionSummary, LoadError>),
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum How {
    Reused,
    Rehashed,
    Parsed,
}

fn nanos(t: SystemTime) -> Option<u64> {
    t.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| u64::try_from(d.as_nanos()).ok())
}

/// The index at `root`, when it is one this build wrote; `None` otherwise.
fn read_index(root: &Path) -> Option<IndexFile> {
    let resolved = super::confine::resolve(root, Path::new(INDEX_FILE)).ok()?;
    let file = super::confine::open_regular_file(&resolved).ok()?;
    if file.metadata().ok()?.len() > INDEX_MAX_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    use std::io::Read;
    file.take(INDEX_MAX_BYTES).read_to_end(&mut bytes).ok()?;
    let index: IndexFile = serde_json::from_slice(&bytes).ok()?;
    (index.format_version == INDEX_VERSION && index.kind == INDEX_KIND).then_some(index)
}

/// The index's writer lock, when this process can take it at once.
fn writer_lock(root: &Path) -> Option<File> {
    let dir = super::confine::create_dir(root, Path::new(INDEX_FILE).parent()?).ok()?;
    let name = Path::new(INDEX_LOCK).file_name()?;
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    let file = super::confine::no_follow(&mut options)
        .open(dir.join(name))
        .ok()?;
    file.try_lock().ok()?;
    Some(file)
}

fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The summaries and load errors of `TaskDefinition/`, through the index.
fn summarise_definitions(
    root: &Path,
) -> (Vec<Loaded<DefinitionSummary>>, Vec<LoadError>, IndexStats) {
    let dir = ObjectKind::TaskDefinition.dir_name();
    let mut errors = Vec::new();
    let mut stats = IndexStats::default();
    let rels = match list_json(root, dir) {
        Ok(rels) => rels,
        Err(e) => {
            errors.push(LoadError {
                path: PathBuf::from(dir),
                line: 0,
                column: 0,
                message: format!("cannot read directory: {e}"),
            });
            return (Vec::new(), errors, stats);
        }
    };
    if rels.len() < INDEX_MIN_FILES {
        let parsed = parse_parallel(&rels, |rel| summarise_file(root, rel));
        let mut definitions = Vec::with_capacity(rels.len());
        for (rel, result) in rels.iter().zip(parsed) {
            match result {
                Ok(value) => definitions.push(Loaded {
                    path: rel.clone(),
                    value,
                }),
                Err(e) => errors.push(e),
            }
        }
        stats.unindexed = rels.len();
        return finish(root, definitions, errors, stats);
    }
    let scanned_at = nanos(SystemTime::now()).unwrap_or(0);
    // Taken before the index is read and held until it is written: the
    // read-modify-write of the index happens under its lock.
    let lock = writer_lock(root);
    let old = read_index(root);
    let racy_before = old.as_ref().map_or(0, |o| {
        o.scanned_at_ns
            .saturating_sub(RACY_WINDOW.as_nanos() as u64)
    });
    let by_path: HashMap<&str, &Entry> = old
        .iter()
        .flat_map(|o| &o.entries)
        .map(|e| (e.path.as_str(), e))
        .collect();
    let by_hash: HashMap<&str, &Entry> = old
        .iter()
        .flat_map(|o| &o.entries)
        .map(|e| (e.hash.as_str(), e))
        .collect();
    // Resolved once: a plain file in it needs one `lstat` (links go through `confine`).
    let resolved_dir = super::confine::resolve(root, Path::new(dir)).ok();
    let scanned = parse_parallel(&rels, |rel| {
        Ok(scan_file(
            root,
            resolved_dir.as_deref(),
            rel,
            &by_path,
            &by_hash,
            racy_before,
        ))
    });
    let mut definitions = Vec::with_capacity(rels.len());
    let mut entries = Vec::with_capacity(rels.len());
    let mut changed = old.is_none();
    for (rel, result) in rels.iter().zip(scanned) {
        let outcome = match result {
            Ok(Scanned::Indexed(entry, how)) => {
                match how {
                    How::Reused => stats.reused += 1,
                    How::Rehashed => stats.rehashed += 1,
                    How::Parsed => stats.parsed += 1,
                }
                changed |= how != How::Reused;
                let outcome = match &entry.outcome {
                    Outcome::Definition(d) => Ok(d.clone()),
                    Outcome::Error {
                        line,
                        column,
                        message,
                    } => Err(LoadError {
                        path: rel.clone(),
                        line: *line,
                        column: *column,
                        message: message.clone(),
                    }),
                };
                entries.push(entry);
                outcome
            }
            Ok(Scanned::Plain(r)) => {
                stats.unindexed += 1;
                r
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(value) => definitions.push(Loaded {
                path: rel.clone(),
                value,
            }),
            Err(e) => errors.push(e),
        }
    }
    // Files that were removed (or renamed) leave the index.
    changed |= old
        .as_ref()
        .is_some_and(|o| o.entries.len() != entries.len());
    if changed && lock.is_some() {
        let index = IndexFile {
            format_version: INDEX_VERSION,
            kind: INDEX_KIND.to_string(),
            scanned_at_ns: scanned_at,
            entries,
        };
        stats.written = serde_json::to_vec(&index).ok().is_some_and(|bytes| {
            super::save_atomic_in(root, Path::new(INDEX_FILE), &bytes).is_ok()
        });
    }
    drop(lock);
    finish(root, definitions, errors, stats)
}

/// Add the errors between files (duplicates) and of names, as a full open does.
fn finish(
    root: &Path,
    definitions: Vec<Loaded<DefinitionSummary>>,
    mut errors: Vec<LoadError>,
    stats: IndexStats,
) -> (Vec<Loaded<DefinitionSummary>>, Vec<LoadError>, IndexStats) {
    report_duplicates(root, &definitions, &mut errors);
    report_unsafe_names(root, &definitions, &mut errors);
    (definitions, errors, stats)
}

/// A definition file loaded the ordinary way (not through the index).
fn summarise_file(root: &Path, rel: &Path) -> Result<DefinitionSummary, LoadError> {
    super::parse_file::<TaskDefinition>(root, rel).map(|d| DefinitionSummary::of(&d))
}

/// One definition file: its old entry when its stamp is trusted, else its
/// bytes, hashed, then the entry of the same content or a fresh parse.
fn scan_file(
    root: &Path,
    resolved_dir: Option<&Path>,
    rel: &Path,
    by_path: &HashMap<&str, &Entry>,
    by_hash: &HashMap<&str, &Entry>,
    racy_before: u64,
) -> Scanned {
    let plain = || Scanned::Plain(summarise_file(root, rel));
    let Some(path) = rel.to_str() else {
        return plain();
    };
    let plain_file = resolved_dir
        .zip(rel.file_name())
        .and_then(|(dir, name)| std::fs::symlink_metadata(dir.join(name)).ok())
        .filter(|m| m.is_file());
    let stamp = plain_file
        .or_else(|| {
            super::confine::resolve(root, rel)
                .and_then(std::fs::metadata)
                .ok()
                .filter(|m| m.is_file())
        })
        .and_then(|m| Some((m.len(), nanos(m.modified().ok()?)?)));
    let Some((size, mtime_ns)) = stamp else {
        return plain();
    };
    if let Some(e) = by_path.get(path)
        && e.size == size
        && e.mtime_ns == mtime_ns
        && mtime_ns < racy_before
    {
        return Scanned::Indexed((*e).clone(), How::Reused);
    }
    let bytes = match super::confine::read(root, rel) {
        Ok(b) => b,
        Err(_) => return plain(),
    };
    let hash = sha256(&bytes);
    let entry = |outcome| Entry {
        path: path.to_string(),
        size,
        mtime_ns,
        hash: hash.clone(),
        outcome,
    };
    if let Some(e) = by_hash.get(hash.as_str()) {
        return Scanned::Indexed(entry(e.outcome.clone()), How::Rehashed);
    }
    let outcome = match parse_bytes::<TaskDefinition>(&bytes) {
        Ok(d) => Outcome::Definition(DefinitionSummary::of(&d)),
        Err((line, column, message)) => Outcome::Error {
            line,
            column,
            message,
        },
    };
    Scanned::Indexed(entry(outcome), How::Parsed)
}
