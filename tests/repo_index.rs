//! The definition index (`.bpe/index/definitions.json`, `src/repo/index.rs`):
//! reused while files are unchanged, invalidated by every change, removal and
//! rename, ignored when damaged, and never corrupted by concurrent openers.
//! Behaviour only; timings are in benches/load.rs.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bpe::repo::index::{INDEX_FILE, INDEX_MIN_FILES};
use bpe::repo::{DefinitionSummary, Overview, Repository};

fn definition(id: &str, name: &str, activities: usize) -> String {
    let mut acts =
        vec![r#"{"id": "0", "name": "start", "transitions": [{"to": "end"}]}"#.to_string()];
    for a in 1..activities.saturating_sub(1) {
        acts.push(format!(r#"{{"id": "{a}", "name": "Step {a}"}}"#));
    }
    acts.push(format!(r#"{{"id": "{activities}", "name": "end"}}"#));
    format!(
        "{{\n  \"formatVersion\": 1,\n  \"id\": \"{id}\",\n  \"name\": \"{name}\",\n  \"description\": \"About {name}\",\n  \"process\": {{ \"activities\": [{}] }}\n}}\n",
        acts.join(", ")
    )
}

/// Write a file dated an hour back (older than the index's racy window),
/// atomically as bpe and editors do: a hidden temporary file renamed over it.
fn write_old(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let temp = path.with_file_name(format!(".{name}.{:?}.tmp", std::thread::current().id()));
    std::fs::write(&temp, text).unwrap();
    age(&temp, 3600);
    std::fs::rename(&temp, &path).unwrap();
}

fn age(path: &Path, seconds: u64) {
    let f = File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(seconds))
        .unwrap();
}

/// Enough definitions for the index to be used (`INDEX_MIN_FILES`).
const N: usize = 70;

fn repository(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        write_old(
            dir.path(),
            &format!("TaskDefinition/d{i:03}.json"),
            &definition(&format!("td-{i:03}"), &format!("Def {i:03}"), 3 + i % 4),
        );
    }
    dir
}

fn open(root: &Path) -> Overview {
    Repository::open_overview(root).unwrap()
}

/// The overview must say exactly what a full open says.
fn assert_same_as_full_open(root: &Path, o: &Overview) {
    let full = Repository::open(root).unwrap();
    let expected: Vec<(PathBuf, DefinitionSummary)> = full
        .definitions
        .iter()
        .map(|d| (d.path.clone(), DefinitionSummary::of(&d.value)))
        .collect();
    let got: Vec<(PathBuf, DefinitionSummary)> = o
        .definitions
        .iter()
        .map(|d| (d.path.clone(), d.value.clone()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(o.repo.errors, full.errors);
}

#[test]
fn a_second_open_reads_no_unchanged_file() {
    let dir = repository(N);
    let root = dir.path();
    let first = open(root);
    assert_eq!((first.stats.parsed, first.stats.reused), (N, 0));
    assert!(first.stats.written);
    assert!(root.join(INDEX_FILE).is_file());
    assert_same_as_full_open(root, &first);
    let second = open(root);
    assert_eq!((second.stats.parsed, second.stats.rehashed), (0, 0));
    assert_eq!(second.stats.reused, N);
    assert!(!second.stats.written, "nothing changed, nothing written");
    assert_same_as_full_open(root, &second);
    assert_eq!(second.definitions[7].value.activities, 3 + 7 % 4);
}

#[test]
fn a_changed_file_is_parsed_again() {
    let dir = repository(N);
    let root = dir.path();
    open(root);
    write_old(
        root,
        "TaskDefinition/d003.json",
        &definition("td-003", "Renamed Three", 9),
    );
    let o = open(root);
    assert_eq!((o.stats.parsed, o.stats.reused), (1, N - 1));
    assert!(o.stats.written);
    let d = &o.definitions[3].value;
    assert_eq!((d.name.as_str(), d.activities), ("Renamed Three", 9));
    assert_same_as_full_open(root, &o);
    assert_eq!(open(root).stats.reused, N);
}

#[test]
fn same_size_and_time_within_the_racy_window_is_checked_by_content() {
    // A file written just before the scan, then changed in place keeping its
    // size and its modification time: the stamp alone cannot tell.
    let dir = repository(N);
    let root = dir.path();
    let path = root.join("TaskDefinition/d001.json");
    std::fs::write(&path, definition("td-001", "Fresh AAA", 3)).unwrap();
    let stamp = std::fs::metadata(&path).unwrap().modified().unwrap();
    assert_eq!(open(root).definitions[1].value.name, "Fresh AAA");
    std::fs::write(&path, definition("td-001", "Fresh BBB", 3)).unwrap();
    File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(stamp)
        .unwrap();
    let o = open(root);
    assert_eq!(o.definitions[1].value.name, "Fresh BBB");
    assert_eq!(o.stats.parsed, 1);
    assert_same_as_full_open(root, &o);
}

#[test]
fn a_touched_file_is_hashed_not_parsed() {
    let dir = repository(N);
    let root = dir.path();
    open(root);
    age(&root.join("TaskDefinition/d002.json"), 60);
    let o = open(root);
    assert_eq!(
        (o.stats.rehashed, o.stats.parsed, o.stats.reused),
        (1, 0, N - 1)
    );
    assert!(o.stats.written, "the new stamp is recorded");
    assert_eq!(open(root).stats.reused, N);
}

#[test]
fn removed_and_renamed_files_leave_the_index() {
    let dir = repository(N);
    let root = dir.path();
    open(root);
    std::fs::remove_file(root.join("TaskDefinition/d001.json")).unwrap();
    std::fs::rename(
        root.join("TaskDefinition/d004.json"),
        root.join("TaskDefinition/zz-moved.json"),
    )
    .unwrap();
    let o = open(root);
    let paths: Vec<String> = o
        .definitions
        .iter()
        .map(|d| d.path.display().to_string())
        .collect();
    let mut expected: Vec<String> = (0..N)
        .filter(|i| ![1, 4].contains(i))
        .map(|i| format!("TaskDefinition/d{i:03}.json"))
        .collect();
    expected.push("TaskDefinition/zz-moved.json".to_string());
    assert_eq!(paths, expected);
    // The renamed file is recognised by its content: read and hashed, not parsed.
    assert_eq!((o.stats.rehashed, o.stats.parsed), (1, 0));
    assert_eq!(o.definitions.last().unwrap().value.name, "Def 004");
    assert!(o.stats.written);
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join(INDEX_FILE)).unwrap()).unwrap();
    let indexed: Vec<&str> = index["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(indexed, paths);
    assert_same_as_full_open(root, &o);
}

#[test]
fn broken_files_duplicates_and_unsafe_names_match_a_full_open() {
    let dir = repository(N);
    let root = dir.path();
    write_old(
        root,
        "TaskDefinition/broken.json",
        "{ \"formatVersion\": 1,\n \"id\": ",
    );
    write_old(
        root,
        "TaskDefinition/future.json",
        "{\"formatVersion\": 9, \"id\": \"x\", \"name\": \"x\", \"process\": {}}",
    );
    write_old(
        root,
        "TaskDefinition/dup.json",
        &definition("td-001", "Def 002", 3),
    );
    write_old(
        root,
        "TaskDefinition/evil.json",
        &definition("td-evil", "Evil\\u001b[2J", 3),
    );
    for round in 0..2 {
        let o = open(root);
        assert_same_as_full_open(root, &o);
        assert_eq!(o.repo.errors.len(), 5, "round {round}: {:?}", o.repo.errors);
        if round == 1 {
            assert_eq!(
                (o.stats.parsed, o.stats.reused),
                (0, N + 4),
                "errors are cached too"
            );
        }
    }
}

#[test]
fn a_damaged_foreign_or_old_index_is_ignored_and_rebuilt() {
    let dir = repository(N);
    let root = dir.path();
    let index = root.join(INDEX_FILE);
    open(root);
    let good = std::fs::read(&index).unwrap();
    let mut other_version: serde_json::Value = serde_json::from_slice(&good).unwrap();
    other_version["formatVersion"] = 99.into();
    let mut foreign = other_version.clone();
    foreign["formatVersion"] = 1.into();
    foreign["kind"] = "something else".into();
    let mut wrong_types = foreign.clone();
    wrong_types["kind"] = "bpe.definitionIndex".into();
    wrong_types["entries"][0]["size"] = "big".into();
    let damaged: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\xff\xfe not json".to_vec(),
        good[..good.len() / 2].to_vec(),
        serde_json::to_vec(&other_version).unwrap(),
        serde_json::to_vec(&foreign).unwrap(),
        serde_json::to_vec(&wrong_types).unwrap(),
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".repeat(4),
    ];
    for (i, bytes) in damaged.iter().enumerate() {
        std::fs::write(&index, bytes).unwrap();
        let o = open(root);
        assert_eq!(o.stats.parsed, N, "case {i}: nothing trusted");
        assert!(o.stats.written, "case {i}: rebuilt");
        assert_same_as_full_open(root, &o);
        assert_eq!(
            open(root).stats.reused,
            N,
            "case {i}: the rebuilt index is good"
        );
    }
    // A directory where the index belongs: ignored, never a crash.
    std::fs::remove_file(&index).unwrap();
    std::fs::create_dir(&index).unwrap();
    let o = open(root);
    assert_eq!((o.stats.parsed, o.stats.written), (N, false));
    assert_same_as_full_open(root, &o);
}

#[test]
fn an_index_linked_outside_the_repository_is_neither_read_nor_written() {
    let dir = repository(N);
    let root = dir.path();
    open(root);
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("index.json");
    // A copy of a valid index, edited to lie about a file: must not be believed.
    let mut lie: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join(INDEX_FILE)).unwrap()).unwrap();
    lie["entries"][0]["outcome"]["definition"]["name"] = "Planted".into();
    let lie = serde_json::to_vec(&lie).unwrap();
    std::fs::write(&target, &lie).unwrap();
    std::fs::remove_file(root.join(INDEX_FILE)).unwrap();
    std::os::unix::fs::symlink(&target, root.join(INDEX_FILE)).unwrap();
    let o = open(root);
    assert_eq!(o.definitions[0].value.name, "Def 000");
    assert_eq!(o.stats.parsed, N);
    assert_eq!(
        std::fs::read(&target).unwrap(),
        lie,
        "nothing written through the link"
    );
}

#[test]
fn while_another_process_holds_the_index_lock_it_is_read_not_written() {
    let dir = repository(N);
    let root = dir.path();
    open(root);
    let before = std::fs::read(root.join(INDEX_FILE)).unwrap();
    write_old(
        root,
        "TaskDefinition/d000.json",
        &definition("td-000", "Changed", 3),
    );
    let held = File::options()
        .read(true)
        .write(true)
        .open(root.join(".bpe/index/definitions.lock"))
        .unwrap();
    held.try_lock().unwrap();
    let o = open(root);
    assert_eq!(o.definitions[0].value.name, "Changed");
    assert_eq!(
        (o.stats.parsed, o.stats.reused, o.stats.written),
        (1, N - 1, false)
    );
    assert_eq!(std::fs::read(root.join(INDEX_FILE)).unwrap(), before);
    drop(held);
    assert!(open(root).stats.written);
}

#[test]
fn concurrent_openers_and_writers_never_leave_a_bad_index() {
    let dir = repository(N);
    let root = dir.path().to_path_buf();
    std::thread::scope(|s| {
        for t in 0..4 {
            let root = root.clone();
            s.spawn(move || {
                for round in 0..15 {
                    if t == 0 {
                        write_old(
                            &root,
                            &format!("TaskDefinition/d{:03}.json", round % 30),
                            &definition(&format!("td-{:03}", round % 30), &format!("R{round}"), 3),
                        );
                    }
                    let o = Repository::open_overview(&root).unwrap();
                    assert_eq!(o.definitions.len(), N);
                }
            });
        }
    });
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join(INDEX_FILE)).unwrap()).unwrap();
    assert_eq!(index["entries"].as_array().unwrap().len(), N);
    let o = open(&root);
    assert_same_as_full_open(&root, &o);
    assert_eq!(o.definitions[14].value.name, "R14");
    let leftovers: Vec<_> = std::fs::read_dir(root.join(".bpe/index"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_small_repository_is_read_in_full_without_an_index() {
    let dir = repository(INDEX_MIN_FILES - 2);
    let root = dir.path();
    write_old(root, "TaskDefinition/broken.json", "{");
    for _ in 0..2 {
        let o = open(root);
        assert_eq!(o.stats.unindexed, INDEX_MIN_FILES - 1);
        assert_eq!(
            (o.stats.parsed, o.stats.reused, o.stats.written),
            (0, 0, false)
        );
        assert_same_as_full_open(root, &o);
    }
    assert!(!root.join(".bpe").exists(), "nothing written");
}

#[test]
fn entries_in_any_order_are_matched_by_path() {
    // bpe writes the entries in path order and matches them to the sorted
    // names in one merge; an index whose order was changed (by hand, by a tool)
    // is matched all the same, and still tells a changed file apart.
    let dir = repository(N);
    let root = dir.path();
    open(root);
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join(INDEX_FILE)).unwrap()).unwrap();
    index["entries"].as_array_mut().unwrap().reverse();
    std::fs::write(root.join(INDEX_FILE), serde_json::to_vec(&index).unwrap()).unwrap();
    let o = open(root);
    assert_eq!((o.stats.reused, o.stats.parsed), (N, 0));
    assert_same_as_full_open(root, &o);
    write_old(
        root,
        "TaskDefinition/d069.json",
        &definition("td-069", "Last Changed", 4),
    );
    let o = open(root);
    assert_eq!((o.stats.reused, o.stats.parsed), (N - 1, 1));
    assert_eq!(o.definitions[69].value.name, "Last Changed");
    assert_same_as_full_open(root, &o);
}

#[test]
fn a_definition_linked_inside_the_repository_is_stamped_by_its_target() {
    // A link is not a regular file to the stamp of its name; its target's
    // stamp is what the entry records, so a change of the target is seen.
    let dir = repository(N);
    let root = dir.path();
    write_old(root, "defs/linked.json", &definition("td-l", "Linked", 3));
    std::os::unix::fs::symlink(
        "../defs/linked.json",
        root.join("TaskDefinition/linked.json"),
    )
    .unwrap();
    open(root);
    let o = open(root);
    assert_eq!((o.stats.reused, o.stats.parsed), (N + 1, 0));
    write_old(
        root,
        "defs/linked.json",
        &definition("td-l", "Linked Again", 3),
    );
    let o = open(root);
    assert_eq!((o.stats.reused, o.stats.parsed), (N, 1));
    assert!(o.definitions.iter().any(|d| d.value.name == "Linked Again"));
    assert_same_as_full_open(root, &o);
}
