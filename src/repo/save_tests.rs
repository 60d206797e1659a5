//! Tests of `repo::save`: atomic saves, loadability checks and file naming.

use super::*;

#[test]
fn atomic_save_replaces_and_leaves_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("a.json");
    save_atomic(&path, b"one").unwrap();
    save_atomic(&path, b"two").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"two");
    let names: Vec<_> = fs::read_dir(dir.path().join("sub"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("a.json")]);
}

#[test]
fn failed_save_leaves_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be: rename fails.
    let path = dir.path().join("x.json");
    fs::create_dir(&path).unwrap();
    fs::write(path.join("keep"), b"k").unwrap();
    assert!(save_atomic(&path, b"new").is_err());
    assert!(path.join("keep").exists());
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| is_temp_file(&e.as_ref().unwrap().path()))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn json_is_pretty_with_newline() {
    #[derive(Serialize)]
    struct S {
        b: u8,
        a: Vec<u8>,
    }
    let bytes = to_json_bytes(&S { b: 1, a: vec![2] }).unwrap();
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        "{\n  \"b\": 1,\n  \"a\": [\n    2\n  ]\n}\n"
    );
}

#[test]
fn ids_are_sanitised() {
    assert_eq!(sanitize_id("ti-0123abcd"), "ti-0123abcd");
    assert_eq!(sanitize_id("../../etc/passwd"), "______etc_passwd");
    assert_eq!(sanitize_id(""), "unnamed");
    assert!(!sanitize_id(".hidden").starts_with('.'));
    assert!(!sanitize_id("a/b\\c").contains(['/', '\\']));
}

#[test]
fn json_nested_deeper_than_the_reader_accepts_is_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let nest = |n: usize| {
        let mut v = serde_json::json!("[not a bracket] {\\\"");
        for _ in 0..n {
            v = serde_json::json!([v]);
        }
        v
    };
    let ok = dir.path().join("ok.json");
    save_json(&ok, &nest(MAX_FILE_DEPTH)).unwrap();
    let back: serde_json::Value = serde_json::from_slice(&std::fs::read(&ok).unwrap()).unwrap();
    assert_eq!(
        back,
        nest(MAX_FILE_DEPTH),
        "the deepest file bpe writes loads"
    );
    let deep = dir.path().join("deep.json");
    let err = save_json(&deep, &nest(MAX_FILE_DEPTH + 1)).unwrap_err();
    assert!(matches!(err, SaveError::Refused(..)));
    assert!(err.to_string().contains("nested 121 levels deep"), "{err}");
    assert!(!deep.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );
}

#[test]
fn files_over_the_size_bound_are_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    let err = save_json(&big, &"x".repeat(MAX_FILE_BYTES)).unwrap_err();
    assert!(
        err.to_string().contains("over the limit of 64 MiB"),
        "{err}"
    );
    assert!(!big.exists());
}

#[test]
fn temp_files_are_recognised() {
    assert!(is_temp_file(Path::new(
        "/r/TaskDefinition/.a.json.12-0.tmp"
    )));
    assert!(!is_temp_file(Path::new("/r/TaskDefinition/a.json")));
}

fn definition(id: &str, name: &str) -> TaskDefinition {
    serde_json::from_value(serde_json::json!({
        "formatVersion": 1, "id": id, "name": name, "process": {"activities": []}
    }))
    .unwrap()
}

#[test]
fn definition_paths_are_slugs_and_never_clobber() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let empty = Repository::open(root).unwrap();
    assert_eq!(
        empty.definition_path_for("../Onboard Employee"),
        root.join("TaskDefinition/onboard-employee.json")
    );
    let a = definition("td-a", "Onboard Employee");
    let written = empty.save_definition(&a).unwrap();
    assert_eq!(written, root.join("TaskDefinition/onboard-employee.json"));
    let repo = Repository::open(root).unwrap();
    assert_eq!(repo.definitions[0].value, a);
    // Same slug, different name: a new file beside it.
    assert_eq!(
        repo.definition_path_for("onboard employee"),
        root.join("TaskDefinition/onboard-employee-2.json")
    );
    // A rename keeps the file that holds the id.
    let renamed = definition("td-a", "Hire");
    assert_eq!(repo.save_definition(&renamed).unwrap(), written);
    assert_eq!(repo.definition_path_for("Onboard Employee"), written);
    // Refused while a run reads it; the file keeps its bytes.
    let before = fs::read(&written).unwrap();
    let run = crate::repo::lock::acquire(
        root,
        crate::repo::lock::LockTarget::DefinitionRun("td-a".into()),
        crate::repo::lock::LockMode::Shared,
        "bpe run",
    )
    .unwrap();
    let err = repo
        .save_definition(&definition("td-a", "Other"))
        .unwrap_err();
    assert!(err.to_string().contains("bpe run"), "{err}");
    assert_eq!(fs::read(&written).unwrap(), before);
    drop(run);
    repo.save_definition(&definition("td-a", "Other")).unwrap();
}

#[test]
fn instances_are_stored_by_sanitised_id() {
    let dir = tempfile::tempdir().unwrap();
    let user = User {
        format_version: 1,
        account_id: "J.Doe/../x".to_string(),
        ..Default::default()
    };
    let path = write_user(dir.path(), &user).unwrap();
    assert_eq!(path, dir.path().join("User/j-doe-x.json"));
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.ends_with("}\n") && text.contains("\n  \"accountId\""));
}
