//! `bpe diagram` over a temporary repository, running the real binary.

mod common;
use common::bpe;

const DEF: &str = r#"{
  "formatVersion": 1,
  "id": "td-1",
  "name": "Onboard Employee",
  "process": {
    "activities": [
      {"id": "1", "name": "start", "transitions": [{"to": "Approve"}]},
      {"id": "2", "name": "Approve", "transitions": [
        {"to": "Provision", "condition": "(eq $decision \"approve\")", "comment": "approved"},
        {"to": "end"}
      ]},
      {"id": "3", "name": "Provision", "transitions": [{"to": "Approve", "comment": "again"}, {"to": "end"}]},
      {"id": "4", "name": "end"}
    ]
  }
}"#;

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("TaskDefinition")).unwrap();
    std::fs::write(dir.path().join("TaskDefinition/onboard.json"), DEF).unwrap();
    dir
}

#[test]
fn draws_boxes_arrows_and_labels() {
    let dir = repo();
    let out = bpe(&["diagram", dir.path().to_str().unwrap(), "Onboard Employee"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "│ start │",
        "│ Approve │",
        "│ Provision │",
        "│ end │",
        "approved",
        "again",
        "▼",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in\n{text}");
    }
    // One arrow per transition (five).
    assert_eq!(text.matches('▼').count(), 5, "{text}");
}

#[test]
fn ascii_uses_only_ascii() {
    let dir = repo();
    let out = bpe(&[
        "diagram",
        "--ascii",
        dir.path().to_str().unwrap(),
        "Onboard Employee",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.is_ascii(), "{text}");
    assert!(
        text.contains("| Approve |") && text.contains('v') && text.contains("+-"),
        "{text}"
    );
}

#[test]
fn unknown_name_suggests_the_closest() {
    let dir = repo();
    let out = bpe(&["diagram", dir.path().to_str().unwrap(), "Onbord Employe"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no TaskDefinition named \"Onbord Employe\""),
        "{err}"
    );
    assert!(err.contains("did you mean \"Onboard Employee\""), "{err}");
}
