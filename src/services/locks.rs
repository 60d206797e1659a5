//! Object locks (`lockObject`, `checkoutView`): one JSON file per locked
//! object under `.bpe/objectlocks/`, naming the instance that holds it and
//! when it expires. An expired lock, or one whose instance has finished, is free.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ServiceError;
use super::store::Store;
use super::write_lock::{self, WRITE_LOCK_WAIT, WriteHolder};
use crate::model::{InstanceStatus, slug};

pub(crate) const LOCK_DIR: &str = ".bpe/objectlocks";

/// One object lock file, as `lockObject` / `checkoutView` write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectLock {
    pub object: String,
    pub instance: String,
    #[serde(default)]
    pub owner: String,
    /// RFC 3339.
    pub acquired: String,
    /// RFC 3339.
    pub expires: String,
}

impl ObjectLock {
    fn expires_at(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.expires)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// `.bpe/objectlocks/<slug>-<hash8>.json`: the slug keeps it readable, the hash
/// keeps `User:jsmith` and `user-jsmith` apart.
pub(crate) fn lock_path(object: &str) -> PathBuf {
    let digest = Sha256::digest(object.as_bytes());
    let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    PathBuf::from(LOCK_DIR).join(format!("{}-{short}.json", slug(object)))
}

pub(crate) fn read_lock(store: &Store, object: &str) -> Result<Option<ObjectLock>, ServiceError> {
    let path = lock_path(object);
    let Some(bytes) = store.read(&path)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        ServiceError::new(format!(
            "lock file {} is unreadable ({e}); remove it if no case holds {object}",
            path.display()
        ))
    })
}

/// Whether `lock` still binds at `now`: not expired, and its instance is not
/// known to have finished.
pub(crate) fn is_live(store: &Store, lock: &ObjectLock, now: DateTime<Utc>) -> bool {
    match lock.expires_at() {
        Some(t) if t > now => {}
        _ => return false,
    }
    !instance_finished(store, &lock.instance)
}

fn instance_finished(store: &Store, instance: &str) -> bool {
    let rel =
        PathBuf::from("TaskInstance").join(format!("{}.json", crate::repo::sanitize_id(instance)));
    #[derive(Deserialize)]
    struct StatusOnly {
        status: InstanceStatus,
    }
    match store.read(&rel) {
        Ok(Some(bytes)) => serde_json::from_slice::<StatusOnly>(&bytes)
            .map(|s| s.status.is_finished())
            .unwrap_or(false),
        _ => false,
    }
}

pub(crate) fn held_error(lock: &ObjectLock) -> ServiceError {
    let owner = if lock.owner.is_empty() {
        String::new()
    } else {
        format!(" (case owner {})", lock.owner)
    };
    ServiceError::new(format!(
        "{} is locked by instance {}{owner} until {}",
        lock.object, lock.instance, lock.expires
    ))
}

/// Take (or, for the same instance, renew) the lock on `object`. The caller
/// holds the object's write lock (outside a dry run), so checking and
/// replacing an expired lock is one step.
pub(crate) fn acquire(
    store: &mut Store,
    object: &str,
    instance: &str,
    owner: &str,
    now: DateTime<Utc>,
    minutes: i64,
) -> Result<ObjectLock, ServiceError> {
    let lock = ObjectLock {
        object: object.to_string(),
        instance: instance.to_string(),
        owner: owner.to_string(),
        acquired: now.to_rfc3339(),
        expires: (now + chrono::Duration::minutes(minutes)).to_rfc3339(),
    };
    let bytes = serde_json::to_vec_pretty(&lock)
        .map_err(|e| ServiceError::new(format!("cannot encode lock: {e}")))?;
    let path = lock_path(object);
    // Fresh lock: create-if-absent, so two cases racing for it cannot both win.
    if store.create_new(&path, bytes.clone())? {
        return Ok(lock);
    }
    if let Some(existing) = read_lock(store, object)?
        && existing.instance != instance
        && is_live(store, &existing, now)
    {
        return Err(held_error(&existing));
    }
    // Ours (renewal) or free (expired / finished holder): replace it.
    store.write(&path, bytes)?;
    Ok(lock)
}

/// Release `object` if this instance holds it. `Ok(false)` when it was not
/// locked (or the lock had expired and is free); an error when another live
/// instance holds it.
pub(crate) fn release(
    store: &mut Store,
    object: &str,
    instance: &str,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let Some(existing) = read_lock(store, object)? else {
        return Ok(false);
    };
    if existing.instance == instance {
        store.remove(&lock_path(object))?;
        return Ok(true);
    }
    if is_live(store, &existing, now) {
        return Err(held_error(&existing));
    }
    Ok(false)
}

/// An object lock as listed for people (CLI `locks`, the debug view).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectLockInfo {
    /// Relative to the repository root.
    pub path: PathBuf,
    #[serde(flatten)]
    pub lock: ObjectLock,
    /// Still binding at `now` (not expired, holder not finished).
    pub live: bool,
}

/// Every object lock under `<root>/.bpe/objectlocks/`, sorted by object;
/// unreadable lock files are skipped.
pub fn object_locks(
    root: &std::path::Path,
    now: DateTime<Utc>,
) -> Result<Vec<ObjectLockInfo>, ServiceError> {
    let store = Store::new(root, false);
    let mut out = Vec::new();
    for rel in store.list(LOCK_DIR, ".json")? {
        let Some(bytes) = store.read(&rel)? else {
            continue;
        };
        if let Ok(lock) = serde_json::from_slice::<ObjectLock>(&bytes) {
            let live = is_live(&store, &lock, now);
            out.push(ObjectLockInfo {
                path: rel,
                lock,
                live,
            });
        }
    }
    out.sort_by(|a, b| a.lock.object.cmp(&b.lock.object));
    Ok(out)
}

/// Remove every object lock `instance` holds (for the engine when a case
/// finishes, or an operator terminating it). Returns the objects released.
pub fn release_instance_locks(
    root: &std::path::Path,
    instance: &str,
) -> Result<Vec<String>, ServiceError> {
    let mut store = Store::new(root, false);
    let mut released = Vec::new();
    for rel in store.list(LOCK_DIR, ".json")? {
        let Some(bytes) = store.read(&rel)? else {
            continue;
        };
        let Ok(lock) = serde_json::from_slice::<ObjectLock>(&bytes) else {
            continue;
        };
        if lock.instance != instance {
            continue;
        }
        // Re-read under the object's write lock: another case may have taken
        // the (finished, so free) lock over since the scan.
        let holder = WriteHolder {
            object: lock.object.clone(),
            instance: instance.to_string(),
            owner: String::new(),
            pid: std::process::id(),
            host: crate::repo::lock::host_name(),
            since: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        };
        let _guard = write_lock::acquire(root, &holder, WRITE_LOCK_WAIT)?;
        let still_ours = store
            .read(&rel)?
            .and_then(|b| serde_json::from_slice::<ObjectLock>(&b).ok())
            .is_some_and(|now| now.instance == instance);
        if still_ours {
            store.remove(&rel)?;
            released.push(lock.object);
        }
    }
    released.sort();
    Ok(released)
}
