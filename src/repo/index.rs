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

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod stamp;
use stamp::{open_dir, regular_file_stamp};

use super::load::{
    Identified, list_json, parallel_map, parse_parallel, report_duplicates, report_unsafe_names,
};
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

/// The index file. Its strings borrow from the bytes read where they can
/// (paths and hashes hold no escapes), so reading it allocates little.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexFile<'a> {
    format_version: u32,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    /// When the scan that wrote this began (ns since the Unix epoch).
    scanned_at_ns: u64,
    /// In path order (sorted again when read).
    #[serde(borrow)]
    entries: Vec<Entry<'a>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    #[serde(borrow)]
    path: Cow<'a, str>,
    size: u64,
    mtime_ns: u64,
    /// `sha256:<hex>` of the file's bytes.
    #[serde(borrow)]
    hash: Cow<'a, str>,
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

/// What the stamp of one file said (phase one of a scan).
enum Stamped {
    /// The entry at this position of the old index: path, size and
    /// modification time match, outside the racy window. Not read.
    Trusted(usize),
    /// A regular file inside the boundary (size, modification time in ns)
    /// that must be read.
    Read(u64, u64),
    /// Not indexed: loaded as [`Repository::open`] does.
    Plain,
}

/// What became of one file (phase two).
enum Scanned<'a> {
    Trusted(usize),
    /// Read and hashed: an entry of the same content, or a fresh parse.
    Indexed(Entry<'a>, How),
    Plain(Result<DefinitionSummary, LoadError>),
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum How {
    Rehashed,
    Parsed,
}

fn nanos(t: SystemTime) -> Option<u64> {
    t.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| u64::try_from(d.as_nanos()).ok())
}

/// The bytes of the index at `root`, when it is a regular file inside the
/// boundary and not oversized; `None` otherwise.
fn read_index_bytes(root: &Path) -> Option<Vec<u8>> {
    let resolved = super::confine::resolve(root, Path::new(INDEX_FILE)).ok()?;
    let file = super::confine::open_regular_file(&resolved).ok()?;
    let len = file.metadata().ok()?.len();
    if len > INDEX_MAX_BYTES {
        return None;
    }
    // Sized once: growing a buffer by doubling copies a large index over and over.
    let mut bytes = Vec::with_capacity(len as usize + 1);
    use std::io::Read;
    file.take(INDEX_MAX_BYTES).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// The index in `bytes`, when it is one this build wrote; `None` otherwise.
/// Its entries come back sorted by path, whatever order the file had.
fn parse_index(bytes: &[u8]) -> Option<IndexFile<'_>> {
    let mut index: IndexFile = serde_json::from_slice(bytes).ok()?;
    if index.format_version != INDEX_VERSION || index.kind != INDEX_KIND {
        return None;
    }
    // Written in path order, so this is one pass; a hand-edited order is sorted.
    index.entries.sort_by(|a, b| a.path.cmp(&b.path));
    Some(index)
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
    let bytes = read_index_bytes(root);
    let old = bytes.as_deref().and_then(parse_index);
    let racy_before = old.as_ref().map_or(0, |o| {
        o.scanned_at_ns
            .saturating_sub(RACY_WINDOW.as_nanos() as u64)
    });
    let old_entries: &[Entry] = old.as_ref().map_or(&[], |o| &o.entries);
    // Phase one: stamps only. Opened once, so each file costs one `fstatat`
    // of its name in it (links go through `confine`).
    let dir_handle = super::confine::resolve(root, Path::new(dir))
        .ok()
        .and_then(|d| open_dir(&d));
    let candidates: Vec<(&PathBuf, Option<usize>)> =
        rels.iter().zip(match_by_path(&rels, old_entries)).collect();
    let stamped = parallel_map(
        &candidates,
        |(rel, _)| rel,
        |(rel, candidate)| {
            Ok(stamp_file(
                root,
                dir_handle.as_ref(),
                rel,
                candidate.map(|i| (i, &old_entries[i])),
                racy_before,
            ))
        },
    );
    // Phase two: read what the stamps did not vouch for. The content-hash
    // lookup is built only when some file is read.
    let needs_read = stamped
        .iter()
        .any(|s| matches!(s, Ok(Stamped::Read(..)) | Ok(Stamped::Plain) | Err(_)));
    let by_hash: HashMap<&str, usize> = if needs_read {
        old_entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.hash.as_ref(), i))
            .collect()
    } else {
        HashMap::new()
    };
    let work: Vec<(PathBuf, Result<Stamped, LoadError>)> = rels.into_iter().zip(stamped).collect();
    let scanned = parallel_map(
        &work,
        |(rel, _)| rel,
        |(rel, stamped)| match stamped {
            Ok(Stamped::Trusted(i)) => Ok(Scanned::Trusted(*i)),
            Ok(Stamped::Read(size, mtime_ns)) => Ok(read_file(
                root,
                rel,
                (*size, *mtime_ns),
                old_entries,
                &by_hash,
            )),
            Ok(Stamped::Plain) => Ok(Scanned::Plain(summarise_file(root, rel))),
            Err(e) => Err(e.clone()),
        },
    );
    let indexed = scanned
        .iter()
        .filter(|s| matches!(s, Ok(Scanned::Trusted(_)) | Ok(Scanned::Indexed(..))))
        .count();
    // Something was read, or files were removed (or renamed) and leave the index.
    let changed = old.is_none()
        || scanned
            .iter()
            .any(|s| matches!(s, Ok(Scanned::Indexed(..))))
        || old_entries.len() != indexed;
    let write = changed && lock.is_some();
    let mut old_entries: Vec<Option<Entry>> = old
        .map(|o| o.entries.into_iter().map(Some).collect())
        .unwrap_or_default();
    let mut definitions = Vec::with_capacity(work.len());
    let mut entries = Vec::with_capacity(if write { work.len() } else { 0 });
    for ((rel, _), result) in work.into_iter().zip(scanned) {
        let entry = match result {
            Ok(Scanned::Trusted(i)) => {
                stats.reused += 1;
                old_entries.get_mut(i).and_then(Option::take)
            }
            Ok(Scanned::Indexed(entry, how)) => {
                match how {
                    How::Rehashed => stats.rehashed += 1,
                    How::Parsed => stats.parsed += 1,
                }
                Some(entry)
            }
            Ok(Scanned::Plain(r)) => {
                stats.unindexed += 1;
                push_result(&mut definitions, &mut errors, rel, r);
                continue;
            }
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        // A position taken twice cannot happen (paths in a directory are
        // unique); were it to, the file is loaded the ordinary way.
        let Some(entry) = entry else {
            let r = summarise_file(root, &rel);
            push_result(&mut definitions, &mut errors, rel, r);
            continue;
        };
        let result = if write {
            let r = outcome_result(&rel, entry.outcome.clone());
            entries.push(entry);
            r
        } else {
            outcome_result(&rel, entry.outcome)
        };
        push_result(&mut definitions, &mut errors, rel, result);
    }
    if write {
        let index = IndexFile {
            format_version: INDEX_VERSION,
            kind: Cow::Borrowed(INDEX_KIND),
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

fn push_result(
    definitions: &mut Vec<Loaded<DefinitionSummary>>,
    errors: &mut Vec<LoadError>,
    path: PathBuf,
    result: Result<DefinitionSummary, LoadError>,
) {
    match result {
        Ok(value) => definitions.push(Loaded { path, value }),
        Err(e) => errors.push(e),
    }
}

/// What an entry's outcome means for the file at `rel`.
fn outcome_result(rel: &Path, outcome: Outcome) -> Result<DefinitionSummary, LoadError> {
    match outcome {
        Outcome::Definition(d) => Ok(d),
        Outcome::Error {
            line,
            column,
            message,
        } => Err(LoadError {
            path: rel.to_path_buf(),
            line,
            column,
            message,
        }),
    }
}

/// For each of `rels` (sorted), the position of the old entry of the same
/// path: one merge of two sorted lists (the entries are sorted when read). A
/// name out of order would only miss its entry (the file is then read and
/// hashed), never match another file's.
fn match_by_path(rels: &[PathBuf], old: &[Entry]) -> Vec<Option<usize>> {
    let mut j = 0;
    rels.iter()
        .map(|rel| {
            let path = rel.to_str()?;
            while j < old.len() && old[j].path.as_ref() < path {
                j += 1;
            }
            (j < old.len() && old[j].path == path).then_some(j)
        })
        .collect()
}

/// Phase one for one file: its stamp, and whether the old entry of its path
/// (`old`, its position and itself) may be trusted without reading it (see
/// the module invariants).
fn stamp_file(
    root: &Path,
    dir: Option<&File>,
    rel: &Path,
    old: Option<(usize, &Entry)>,
    racy_before: u64,
) -> Stamped {
    if rel.to_str().is_none() {
        return Stamped::Plain;
    }
    let stamp = dir
        .zip(rel.file_name())
        .and_then(|(dir, name)| regular_file_stamp(dir, name))
        .or_else(|| {
            // A link (inside the boundary) to a regular file: its target's stamp.
            super::confine::resolve(root, rel)
                .and_then(std::fs::metadata)
                .ok()
                .filter(|m| m.is_file())
                .and_then(|m| Some((m.len(), nanos(m.modified().ok()?)?)))
        });
    let Some((size, mtime_ns)) = stamp else {
        return Stamped::Plain;
    };
    if let Some((i, e)) = old
        && e.size == size
        && e.mtime_ns == mtime_ns
        && mtime_ns < racy_before
    {
        return Stamped::Trusted(i);
    }
    Stamped::Read(size, mtime_ns)
}

/// Phase two for one file whose stamp was not trusted: its bytes, hashed,
/// then the outcome of an old entry of the same content or a fresh parse.
fn read_file<'a>(
    root: &Path,
    rel: &Path,
    (size, mtime_ns): (u64, u64),
    old: &[Entry],
    by_hash: &HashMap<&str, usize>,
) -> Scanned<'a> {
    let (Some(path), Ok(bytes)) = (rel.to_str(), super::confine::read(root, rel)) else {
        return Scanned::Plain(summarise_file(root, rel));
    };
    let hash = sha256(&bytes);
    let entry = |outcome| Entry {
        path: Cow::Owned(path.to_string()),
        size,
        mtime_ns,
        hash: Cow::Owned(hash.clone()),
        outcome,
    };
    if let Some(&i) = by_hash.get(hash.as_str()) {
        return Scanned::Indexed(entry(old[i].outcome.clone()), How::Rehashed);
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
