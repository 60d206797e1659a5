//! [`RepoCatalog`]'s definitions started by name: pinned and compiled once.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::engine::compile::Compiled;
use crate::model::InstanceStatus;

fn repo_with(defs: &[serde_json::Value]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("repository.json"),
        r#"{"formatVersion": 1, "name": "t"}"#,
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("TaskDefinition")).unwrap();
    for d in defs {
        let file = format!("{}.json", d["id"].as_str().unwrap());
        std::fs::write(
            dir.path().join("TaskDefinition").join(file),
            serde_json::to_vec_pretty(d).unwrap(),
        )
        .unwrap();
    }
    dir
}

fn def(id: &str, name: &str, to: &str) -> serde_json::Value {
    serde_json::json!({
        "formatVersion": 1, "id": id, "name": name,
        "process": {"activities": [
            {"id": "0", "name": "start", "transitions": [{"to": to}]},
            {"id": "1", "name": "end"}
        ]}
    })
}

fn dry() -> RunOptions {
    RunOptions {
        dry_run: true,
        ..Default::default()
    }
}

fn compiled(catalog: &RepoCatalog, name: &str) -> Arc<Compiled> {
    catalog.started[name].compiled.clone().unwrap()
}

#[test]
fn a_catalog_compiles_a_definition_once_for_all_its_cases() {
    let dir = repo_with(&[def("td-a", "A", "end")]);
    let repo = Repository::open(dir.path()).unwrap();
    let mut catalog = RepoCatalog::new(repo, "test").without_cache_writes();
    let (mut first, _) = case_in(&mut catalog, "A", &BTreeMap::new(), &dry()).unwrap();
    let once = compiled(&catalog, "A");
    let (mut second, _) = case_in(&mut catalog, "A", &BTreeMap::new(), &dry()).unwrap();
    assert_eq!(catalog.started.len(), 1);
    assert!(Arc::ptr_eq(&once, &compiled(&catalog, "A")));
    // Two cases of the same pinned version, each its own.
    assert_ne!(first.id(), second.id());
    let pinned = first.instance().definition.clone();
    assert_eq!(pinned, second.instance().definition);
    // Pinned without a cache write (a dry run writes nothing) ...
    let cache_dir = dir.path().join(".bpe/cache");
    assert!(!cache_dir.exists());
    assert!(!catalog.started["A"].cached);
    // ... and stored once cache writes are on, still compiled once.
    catalog.set_cache_writes(true);
    case_in(&mut catalog, "A", &BTreeMap::new(), &dry()).unwrap();
    assert!(catalog.started["A"].cached);
    assert_eq!(std::fs::read_dir(&cache_dir).unwrap().count(), 1);
    assert!(Arc::ptr_eq(&once, &compiled(&catalog, "A")));
}

#[test]
fn a_definition_that_does_not_compile_fails_every_case_with_its_reason() {
    let dir = repo_with(&[def("td-b", "B", "Nowhere")]);
    let repo = Repository::open(dir.path()).unwrap();
    let mut catalog = RepoCatalog::new(repo, "test").without_cache_writes();
    for _ in 0..2 {
        let (mut case, _) = case_in(&mut catalog, "B", &BTreeMap::new(), &dry()).unwrap();
        assert_eq!(case.status(), InstanceStatus::Failed);
        let reason = case.instance().reason.clone().unwrap();
        assert!(reason.contains("unknown activity 'Nowhere'"), "{reason}");
        assert_eq!(case.instance().name, "B");
    }
    assert!(matches!(
        case_in(&mut catalog, "Missing", &BTreeMap::new(), &dry()),
        Err(StoreError::NotFound(_))
    ));
}
