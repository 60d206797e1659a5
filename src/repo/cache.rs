//! The definition cache: exact TaskDefinition versions, content-addressed,
//! under `<repo>/.bpe/cache/<hex>.json` where `sha256:<hex>` is
//! `model::content_hash(&definition)`.
//!
//! A TaskInstance references its definition by id *and* hash; as long as an
//! unfinished instance pins a hash, its version stays here, so editing a
//! definition never strands a suspended case. See `docs/repository.md`.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::lock::{self, LockError, LockMode, LockTarget};
use super::{LoadError, Repository, SaveError, parse_file, save_json_in};
use crate::model::{DefinitionRef, TaskDefinition, TaskInstance, WorkItem, content_hash, new_id};

/// Where cached versions live, relative to the repository root.
pub const CACHE_DIR: &str = ".bpe/cache";

#[derive(Debug)]
pub enum CacheError {
    /// Not of the form `sha256:<64 lowercase hex>`.
    InvalidHash(String),
    /// Neither the cache nor the current file holds this version.
    NotFound(DefinitionRef),
    /// No TaskDefinition of this name in the repository.
    UnknownDefinition(String),
    Io(PathBuf, io::Error),
    Load(LoadError),
    Save(SaveError),
    /// A cached file whose content does not match its name's hash.
    Corrupt {
        path: PathBuf,
        actual: String,
    },
    /// Re-pointing needs the instance locks.
    Locked(LockError),
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheError::InvalidHash(h) => write!(f, "not a definition hash: {h:?}"),
            CacheError::NotFound(r) => write!(
                f,
                "version {} of {:?} ({}) is neither cached nor the current file",
                r.hash, r.name, r.id
            ),
            CacheError::UnknownDefinition(n) => write!(f, "no TaskDefinition named {n:?}"),
            CacheError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            CacheError::Load(e) => write!(f, "{e}"),
            CacheError::Save(e) => write!(f, "{e}"),
            CacheError::Corrupt { path, actual } => write!(
                f,
                "{}: content hash is {actual}, not the one in its name",
                path.display()
            ),
            CacheError::Locked(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CacheError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CacheError::Io(_, e) => Some(e),
            CacheError::Save(e) => Some(e),
            CacheError::Locked(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SaveError> for CacheError {
    fn from(e: SaveError) -> Self {
        CacheError::Save(e)
    }
}

/// The hex part of a `sha256:<hex>` hash, checked (it becomes a file name).
pub fn hash_hex(hash: &str) -> Result<&str, CacheError> {
    match hash.strip_prefix("sha256:") {
        Some(hex)
            if hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(hex)
        }
        _ => Err(CacheError::InvalidHash(hash.to_string())),
    }
}

/// The cache file of a hash (absolute).
pub fn entry_path(root: &Path, hash: &str) -> Result<PathBuf, CacheError> {
    Ok(root
        .join(CACHE_DIR)
        .join(format!("{}.json", hash_hex(hash)?)))
}

/// The reference an instance started on `def` stores.
pub fn reference(def: &TaskDefinition) -> DefinitionRef {
    DefinitionRef {
        id: def.id.clone(),
        name: def.name.clone(),
        hash: content_hash(def),
    }
}

/// Keep this exact version (written once; an existing entry is left as is).
pub fn store(root: &Path, def: &TaskDefinition) -> Result<DefinitionRef, CacheError> {
    let r = reference(def);
    let path = entry_path(root, &r.hash)?;
    if !path.exists() {
        save_json_in(root, &path, def)?;
    }
    Ok(r)
}

/// The exact version `r` names: from the cache, else from the current file
/// of that definition when its hash still matches.
pub fn load(root: &Path, r: &DefinitionRef) -> Result<TaskDefinition, CacheError> {
    let path = entry_path(root, &r.hash)?;
    if path.exists() {
        return read_entry(root, &path, &r.hash);
    }
    // Most definitions live at their slug; look there before scanning them all.
    let likely = Path::new(crate::model::ObjectKind::TaskDefinition.dir_name())
        .join(format!("{}.json", crate::model::slug(&r.name)));
    if let Ok(def) = parse_file::<TaskDefinition>(root, &likely)
        && content_hash(&def) == r.hash
    {
        return Ok(def);
    }
    let repo = Repository::open(root)
        .map_err(|e| CacheError::Io(root.to_path_buf(), io::Error::other(e.to_string())))?;
    load_from(&repo, r).ok_or_else(|| CacheError::NotFound(r.clone()))
}

/// [`load`] against an already opened repository (no rescan).
pub fn load_in(repo: &Repository, r: &DefinitionRef) -> Result<TaskDefinition, CacheError> {
    let path = entry_path(&repo.root, &r.hash)?;
    if path.exists() {
        return read_entry(&repo.root, &path, &r.hash);
    }
    load_from(repo, r).ok_or_else(|| CacheError::NotFound(r.clone()))
}

fn load_from(repo: &Repository, r: &DefinitionRef) -> Option<TaskDefinition> {
    repo.definitions
        .iter()
        .filter(|d| d.value.id == r.id || d.value.name == r.name)
        .find(|d| content_hash(&d.value) == r.hash)
        .map(|d| d.value.clone())
}

fn read_entry(root: &Path, path: &Path, hash: &str) -> Result<TaskDefinition, CacheError> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let def = parse_file::<TaskDefinition>(root, rel).map_err(CacheError::Load)?;
    let actual = content_hash(&def);
    if actual != hash {
        return Err(CacheError::Corrupt {
            path: path.to_path_buf(),
            actual,
        });
    }
    Ok(def)
}

/// How the definition file on disk relates to a cached version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum FileState {
    /// The current file is exactly this version.
    Same { path: PathBuf },
    /// The definition (same id, or same name) has been edited since.
    Changed { path: PathBuf },
    /// No definition with this id or name exists any more.
    Gone,
}

/// An unfinished TaskInstance that needs a cached version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PinningInstance {
    pub id: String,
    pub name: String,
    pub status: String,
    /// Its work items that are not complete.
    pub pending_work_items: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheEntry {
    pub hash: String,
    /// From the cached definition (empty when it cannot be read).
    pub name: String,
    pub id: String,
    /// The cache file (absolute).
    pub path: PathBuf,
    /// Seconds since the entry was written.
    pub age_seconds: u64,
    pub file: FileState,
    pub pinned_by: Vec<PinningInstance>,
    /// Why the entry could not be read, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl CacheEntry {
    pub fn is_pinned(&self) -> bool {
        !self.pinned_by.is_empty()
    }
}

/// Every cached version, sorted by name then age, with what pins it.
pub fn entries(root: &Path, repo: &Repository) -> Result<Vec<CacheEntry>, CacheError> {
    let dir = root.join(CACHE_DIR);
    super::confine::resolve(root, Path::new(CACHE_DIR))
        .map_err(|e| CacheError::Io(dir.clone(), e))?;
    let read = match fs::read_dir(&dir) {
        Ok(r) => r,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(CacheError::Io(dir, e)),
    };
    let mut out = Vec::new();
    for item in read {
        let item = item.map_err(|e| CacheError::Io(dir.clone(), e))?;
        let file_name = item.file_name().to_string_lossy().into_owned();
        let Some(hex) = file_name.strip_suffix(".json") else {
            continue;
        };
        let hash = format!("sha256:{hex}");
        if file_name.starts_with('.') || hash_hex(&hash).is_err() {
            continue;
        }
        let path = item.path();
        let age_seconds = item
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let (name, id, file, problem) = match read_entry(root, &path, &hash) {
            Ok(def) => {
                let file = file_state(repo, &def.id, &def.name, &hash);
                (def.name, def.id, file, None)
            }
            Err(e) => (
                String::new(),
                String::new(),
                FileState::Gone,
                Some(e.to_string()),
            ),
        };
        out.push(CacheEntry {
            pinned_by: pinning(repo, &hash),
            hash,
            name,
            id,
            path,
            age_seconds,
            file,
            problem,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then(b.age_seconds.cmp(&a.age_seconds)));
    Ok(out)
}

fn file_state(repo: &Repository, id: &str, name: &str, hash: &str) -> FileState {
    let current = repo.definition_by_id(id).or_else(|| repo.definition(name));
    match current {
        Some(d) if content_hash(&d.value) == hash => FileState::Same {
            path: d.path.clone(),
        },
        Some(d) => FileState::Changed {
            path: d.path.clone(),
        },
        None => FileState::Gone,
    }
}

/// Unfinished instances on this version, with their pending work items.
fn pinning(repo: &Repository, hash: &str) -> Vec<PinningInstance> {
    repo.instances
        .iter()
        .filter(|i| !i.value.status.is_finished() && i.value.definition.hash == hash)
        .map(|i| PinningInstance {
            id: i.value.id.clone(),
            name: i.value.name.clone(),
            status: i.value.status.as_str().to_string(),
            pending_work_items: repo
                .work_items
                .iter()
                .filter(|w| w.value.instance == i.value.id && !w.value.complete)
                .map(|w| w.value.id.clone())
                .collect(),
        })
        .collect()
}

/// What [`clear`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClearReport {
    /// Hashes removed.
    pub evicted: Vec<String>,
    /// Pinned entries left in place (without `force`).
    pub kept: Vec<CacheEntry>,
    /// With `force`: instances whose version is gone now (unless the current file still matches).
    pub orphaned_instances: Vec<String>,
    /// With `force`: the pending work items of those instances.
    pub orphaned_work_items: Vec<String>,
}

/// Evict unpinned entries; pinned ones only with `force`, reporting the
/// instances and work items that lose their version.
pub fn clear(root: &Path, repo: &Repository, force: bool) -> Result<ClearReport, CacheError> {
    let mut report = ClearReport::default();
    for entry in entries(root, repo)? {
        if entry.is_pinned() && !force {
            report.kept.push(entry);
            continue;
        }
        match fs::remove_file(&entry.path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(CacheError::Io(entry.path, e)),
        }
        for p in &entry.pinned_by {
            report.orphaned_instances.push(p.id.clone());
            report
                .orphaned_work_items
                .extend(p.pending_work_items.iter().cloned());
        }
        report.evicted.push(entry.hash);
    }
    Ok(report)
}

/// What [`snapshot`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotReport {
    /// The new TaskDefinition.
    pub definition: DefinitionRef,
    /// Its file (absolute).
    pub path: PathBuf,
    /// The version that was copied.
    pub source: DefinitionRef,
    pub repointed_instances: Vec<String>,
    pub repointed_work_items: Vec<String>,
}

/// Save a timestamped copy of definition `name` — its current version, or the
/// cached `version` — as a new TaskDefinition `<name> <YYYYMMDD-HHMMSS>` (local
/// time, new id, new file), also cached. With `repoint`, every unfinished
/// instance pinned to the copied version, and its work items, are re-pointed to
/// the copy: all their instance locks are taken first (refused if any is
/// running), each file is re-read under the lock and saved atomically.
pub fn snapshot(
    root: &Path,
    repo: &Repository,
    name: &str,
    version: Option<&str>,
    repoint: bool,
) -> Result<SnapshotReport, CacheError> {
    let current = repo
        .definition(name)
        .ok_or_else(|| CacheError::UnknownDefinition(name.to_string()))?;
    let source_def = match version {
        None => current.value.clone(),
        Some(hash) => load_in(
            repo,
            &DefinitionRef {
                id: current.value.id.clone(),
                name: name.to_string(),
                hash: hash.to_string(),
            },
        )?,
    };
    let source = reference(&source_def);

    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S").to_string();
    let mut copy_name = format!("{name} {stamp}");
    let mut n = 2;
    while repo.definition(&copy_name).is_some() {
        copy_name = format!("{name} {stamp} ({n})");
        n += 1;
    }
    let mut copy = source_def.clone();
    copy.id = new_id("td");
    copy.name = copy_name;

    // Take the instance locks before writing anything, so a refusal changes nothing.
    let pinned: Vec<&TaskInstance> = if repoint {
        repo.instances
            .iter()
            .filter(|i| !i.value.status.is_finished() && i.value.definition.hash == source.hash)
            .map(|i| &i.value)
            .collect()
    } else {
        Vec::new()
    };
    let mut guards = Vec::with_capacity(pinned.len());
    for inst in &pinned {
        guards.push(
            lock::acquire(
                root,
                LockTarget::Instance(inst.id.clone()),
                LockMode::Exclusive,
                "bpe snapshot --repoint",
            )
            .map_err(CacheError::Locked)?,
        );
    }

    let path = repo.definition_path_for(&copy.name);
    save_json_in(root, &path, &copy)?;
    let definition = store(root, &copy)?;

    let mut report = SnapshotReport {
        definition: definition.clone(),
        path,
        source: source.clone(),
        repointed_instances: Vec::new(),
        repointed_work_items: Vec::new(),
    };
    for inst in &pinned {
        // Work items first: an instance is re-pointed only once its items are.
        for w in repo
            .work_items
            .iter()
            .filter(|w| w.value.instance == inst.id)
        {
            let Ok(mut item) = parse_file::<WorkItem>(root, &w.path) else {
                continue;
            };
            if item.definition.hash != source.hash {
                continue;
            }
            item.definition = definition.clone();
            save_json_in(root, &w.path, &item)?;
            report.repointed_work_items.push(item.id);
        }
        let Some(loaded) = repo.instance(&inst.id) else {
            continue;
        };
        let mut fresh = parse_file::<TaskInstance>(root, &loaded.path).map_err(CacheError::Load)?;
        if fresh.status.is_finished() || fresh.definition.hash != source.hash {
            continue;
        }
        fresh.definition = definition.clone();
        repoint_state_frames(&mut fresh.state, &source.hash, &definition);
        save_json_in(root, &loaded.path, &fresh)?;
        report.repointed_instances.push(fresh.id);
    }
    drop(guards);
    Ok(report)
}

/// The engine state of an instance names each frame's definition version
/// (`state.frames[i].definition`); resumption loads those, so the frames that run
/// the copied version must name the copy too. The copy has the same content
/// apart from id and name, so the activity indexes in the state stay valid.
fn repoint_state_frames(state: &mut serde_json::Value, from_hash: &str, to: &DefinitionRef) {
    let Some(frames) = state.get_mut("frames").and_then(|f| f.as_array_mut()) else {
        return;
    };
    let Ok(to_json) = serde_json::to_value(to) else {
        return;
    };
    for f in frames {
        if f.pointer("/definition/hash").and_then(|h| h.as_str()) == Some(from_hash)
            && let Some(d) = f.get_mut("definition")
        {
            *d = to_json.clone();
        }
    }
}

/// An activity an unfinished instance stands on (by id, as instances do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StandingActivity {
    pub id: String,
    pub name: String,
}

/// How saving an edited definition would affect one unfinished instance of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EditImpact {
    pub instance: String,
    pub status: String,
    /// The version the instance is pinned to.
    pub pinned: DefinitionRef,
    /// Whether that exact version is still available (cached, or the current file).
    pub version_available: bool,
    /// Activities it stands on (current activities, pending work items) whose
    /// ids the edited definition no longer has.
    pub missing: Vec<StandingActivity>,
}

/// Before saving `edited`: the unfinished instances of the same definition
/// that stand on activity ids the edit removes, or whose pinned version is no
/// longer available. Instances keep running on their cached version either
/// way; this matters when they are re-pointed or the cache is cleared.
pub fn edit_impact(repo: &Repository, edited: &TaskDefinition) -> Vec<EditImpact> {
    let mut out = Vec::new();
    for inst in repo
        .instances
        .iter()
        .map(|i| &i.value)
        .filter(|i| !i.status.is_finished() && i.definition.id == edited.id)
    {
        let pinned = load_in(repo, &inst.definition).ok();
        let mut standing: Vec<StandingActivity> = Vec::new();
        let mut add = |id: &str, name: &str| {
            if !standing.iter().any(|s| s.id == id) {
                standing.push(StandingActivity {
                    id: id.to_string(),
                    name: name.to_string(),
                });
            }
        };
        for w in repo
            .work_items
            .iter()
            .filter(|w| w.value.instance == inst.id && !w.value.complete)
        {
            add(&w.value.activity_id, &w.value.activity);
        }
        if let Some(def) = &pinned {
            for name in &inst.current_activities {
                if let Some(a) = def.process.activity(name) {
                    add(&a.id, &a.name);
                }
            }
        }
        let missing: Vec<StandingActivity> = standing
            .into_iter()
            .filter(|s| edited.process.activity_by_id(&s.id).is_none())
            .collect();
        if !missing.is_empty() || pinned.is_none() {
            out.push(EditImpact {
                instance: inst.id.clone(),
                status: inst.status.as_str().to_string(),
                pinned: inst.definition.clone(),
                version_available: pinned.is_some(),
                missing,
            });
        }
    }
    out
}
