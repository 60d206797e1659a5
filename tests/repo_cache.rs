//! The definition cache: pinning, clearing, loading exact versions, timestamped copies.

use std::path::Path;

use bpe::model::{DefinitionRef, TaskDefinition, TaskInstance, WorkItem, content_hash};
use bpe::repo::cache::{self, CacheError, FileState};
use bpe::repo::lock::{self, LockMode, LockTarget};
use bpe::repo::{Repository, save_json, write_instance, write_work_item};
use serde_json::json;

fn definition(id: &str, name: &str, activity: &str) -> TaskDefinition {
    serde_json::from_value(json!({
        "formatVersion": 1, "id": id, "name": name,
        "process": {"activities": [
            {"id": "1", "name": "start", "transitions": [{"to": activity}]},
            {"id": "2", "name": activity, "transitions": [{"to": "end"}]},
            {"id": "3", "name": "end"}
        ]}
    }))
    .unwrap()
}

fn instance(id: &str, def: &DefinitionRef, status: &str) -> TaskInstance {
    serde_json::from_value(json!({
        "formatVersion": 1, "id": id, "name": format!("run {id}"),
        "definition": def, "status": status, "owner": "alice",
        "started": "2026-11-27T10:00:00Z", "updated": "2026-11-27T10:00:00Z"
    }))
    .unwrap()
}

fn work_item(id: &str, instance: &str, def: &DefinitionRef, complete: bool) -> WorkItem {
    serde_json::from_value(json!({
        "formatVersion": 1, "id": id, "instance": instance, "definition": def,
        "activity": "Approve", "activityId": "2", "action": 0, "owner": "bob",
        "created": "2026-11-27T10:00:00Z", "complete": complete
    }))
    .unwrap()
}

/// A repository where "Onboard" was edited after instance ti-1 started on v1.
fn edited_repository(root: &Path) -> (TaskDefinition, TaskDefinition) {
    let v1 = definition("td-1", "Onboard", "Approve");
    let v2 = definition("td-1", "Onboard", "Approve Twice");
    let r1 = cache::store(root, &v1).unwrap();
    save_json(&root.join("TaskDefinition/onboard.json"), &v2).unwrap();
    write_instance(root, &instance("ti-1", &r1, "suspended")).unwrap();
    write_instance(root, &instance("ti-2", &r1, "completed")).unwrap();
    write_work_item(root, &work_item("wi-1", "ti-1", &r1, false)).unwrap();
    write_work_item(root, &work_item("wi-2", "ti-1", &r1, true)).unwrap();
    (v1, v2)
}

#[test]
fn store_and_load_exact_versions() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (v1, v2) = edited_repository(root);
    assert_eq!(cache::load(root, &cache::reference(&v1)).unwrap(), v1);
    // Not cached, but the current file has that hash.
    assert_eq!(cache::load(root, &cache::reference(&v2)).unwrap(), v2);
    let unknown = DefinitionRef {
        id: "td-1".into(),
        name: "Onboard".into(),
        hash: format!("sha256:{}", "0".repeat(64)),
    };
    assert!(matches!(
        cache::load(root, &unknown),
        Err(CacheError::NotFound(_))
    ));
    let bad = DefinitionRef {
        hash: "sha256:../../etc".into(),
        ..unknown
    };
    assert!(matches!(
        cache::load(root, &bad),
        Err(CacheError::InvalidHash(_))
    ));
}

#[test]
fn entries_show_pins_and_file_state() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (v1, v2) = edited_repository(root);
    cache::store(root, &v2).unwrap();
    let repo = Repository::open(root).unwrap();
    assert!(repo.errors.is_empty(), "{:?}", repo.errors);
    let entries = cache::entries(root, &repo).unwrap();
    assert_eq!(entries.len(), 2);
    let e1 = entries
        .iter()
        .find(|e| e.hash == content_hash(&v1))
        .unwrap();
    assert!(matches!(e1.file, FileState::Changed { .. }));
    assert_eq!(e1.pinned_by.len(), 1, "completed ti-2 does not pin");
    assert_eq!(e1.pinned_by[0].id, "ti-1");
    assert_eq!(e1.pinned_by[0].pending_work_items, vec!["wi-1".to_string()]);
    let e2 = entries
        .iter()
        .find(|e| e.hash == content_hash(&v2))
        .unwrap();
    assert!(matches!(e2.file, FileState::Same { .. }));
    assert!(!e2.is_pinned());
}

#[test]
fn clear_keeps_pinned_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (v1, v2) = edited_repository(root);
    cache::store(root, &v2).unwrap();
    let repo = Repository::open(root).unwrap();

    let report = cache::clear(root, &repo, false).unwrap();
    assert_eq!(report.evicted, vec![content_hash(&v2)]);
    assert_eq!(report.kept.len(), 1);
    assert!(report.orphaned_instances.is_empty());
    assert_eq!(cache::load(root, &cache::reference(&v1)).unwrap(), v1);

    let report = cache::clear(root, &repo, true).unwrap();
    assert_eq!(report.evicted, vec![content_hash(&v1)]);
    assert_eq!(report.orphaned_instances, vec!["ti-1".to_string()]);
    assert_eq!(report.orphaned_work_items, vec!["wi-1".to_string()]);
    assert!(cache::load(root, &cache::reference(&v1)).is_err());
}

#[test]
fn snapshot_copies_a_pinned_version_and_repoints() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (v1, _v2) = edited_repository(root);
    let repo = Repository::open(root).unwrap();
    let report = cache::snapshot(root, &repo, "Onboard", Some(&content_hash(&v1)), true).unwrap();
    assert!(report.definition.name.starts_with("Onboard "));
    let stamp = report.definition.name.trim_start_matches("Onboard ");
    assert_eq!(stamp.len(), 15, "{stamp}");
    assert_eq!(&stamp[8..9], "-");
    assert_ne!(report.definition.id, "td-1");
    assert_eq!(report.repointed_instances, vec!["ti-1".to_string()]);
    assert_eq!(
        report.repointed_work_items,
        vec!["wi-1".to_string(), "wi-2".to_string()]
    );

    let repo = Repository::open(root).unwrap();
    assert!(repo.errors.is_empty(), "{:?}", repo.errors);
    let copy = repo.definition(&report.definition.name).unwrap();
    assert_eq!(copy.value.process, v1.process);
    assert_eq!(root.join(&copy.path), report.path);
    let ti1 = repo.instance("ti-1").unwrap();
    assert_eq!(ti1.value.definition, report.definition);
    assert_eq!(
        repo.instance("ti-2").unwrap().value.definition.hash,
        content_hash(&v1)
    );
    assert_eq!(
        repo.work_item("wi-1").unwrap().value.definition,
        report.definition
    );
    // The copy is cached and is the current file: loadable either way.
    assert_eq!(cache::load(root, &report.definition).unwrap(), copy.value);
}

#[test]
fn snapshot_refuses_to_repoint_a_running_instance() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (v1, _) = edited_repository(root);
    let repo = Repository::open(root).unwrap();
    let _runner = lock::acquire(
        root,
        LockTarget::Instance("ti-1".into()),
        LockMode::Exclusive,
        "bpe run",
    )
    .unwrap();
    let err = cache::snapshot(root, &repo, "Onboard", Some(&content_hash(&v1)), true).unwrap_err();
    assert!(err.to_string().contains("bpe run"), "{err}");
    // Nothing was written.
    let after = Repository::open(root).unwrap();
    assert_eq!(after.definitions.len(), 1);
    assert!(matches!(
        cache::snapshot(root, &repo, "Onbord", None, false),
        Err(CacheError::UnknownDefinition(_))
    ));
}

#[test]
fn edit_impact_names_instances_standing_on_removed_activities() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (v1, v2) = edited_repository(root);
    let mut ti1 = Repository::open(root)
        .unwrap()
        .instance("ti-1")
        .unwrap()
        .value
        .clone();
    ti1.current_activities = vec!["Approve".to_string()];
    write_instance(root, &ti1).unwrap();
    let repo = Repository::open(root).unwrap();

    // v2 keeps activity id "2" (renamed): nobody is affected.
    assert!(cache::edit_impact(&repo, &v2).is_empty());

    // An edit that drops activity "2", on which ti-1 and its pending wi-1 stand.
    let mut v3 = v1.clone();
    v3.process.activities.retain(|a| a.id != "2");
    let impact = cache::edit_impact(&repo, &v3);
    assert_eq!(
        impact.len(),
        1,
        "completed ti-2 is not affected: {impact:?}"
    );
    assert_eq!(impact[0].instance, "ti-1");
    assert!(impact[0].version_available);
    assert_eq!(impact[0].missing.len(), 1);
    assert_eq!(impact[0].missing[0].id, "2");

    // Without its cached version, the instance is reported even if no id is lost.
    cache::clear(root, &repo, true).unwrap();
    let impact = cache::edit_impact(&repo, &v2);
    assert_eq!(impact.len(), 1);
    assert!(!impact[0].version_available);
}
