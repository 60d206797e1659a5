//! What the CLI prints and writes outside the repository: names with control
//! characters never reach the terminal raw, a closed pipe ends a command
//! quietly, load errors are named, and `export --out` stays out of the
//! repository's data (docs/security.md).

mod boundary_common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use boundary_common::{bpe, text};

use serde_json::json;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn sample() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/sample-repository")
}

fn write_def(root: &Path, file: &str, def: serde_json::Value) {
    std::fs::create_dir_all(root.join("TaskDefinition")).unwrap();
    std::fs::write(
        root.join("TaskDefinition").join(file),
        serde_json::to_vec_pretty(&def).unwrap(),
    )
    .unwrap();
}

fn simple_def(id: &str, name: &str) -> serde_json::Value {
    json!({
        "formatVersion": 1, "id": id, "name": name,
        "process": {"activities": [
            {"id": "a1", "name": "start", "transitions": [{"to": "end"}]},
            {"id": "a2", "name": "end"}
        ]}
    })
}

/// No byte of `out` is a control character other than newline (and the
/// tab/carriage return nobody prints here).
fn assert_no_controls(out: &Output) {
    for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{what} holds a control character: {text:?}"
        );
    }
}

#[test]
fn names_with_control_characters_are_escaped_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let evil = "Evil\u{1b}[2J\u{7}";
    let mut def = simple_def("td-evil", evil);
    def["resultLimit"] = json!(-1); // keep the finished instance for `tasks`
    // An activity name with a BEL, on the path of the run and in the diagram.
    def["process"]["activities"][0]["transitions"][0]["to"] = json!("Step\u{7}");
    def["process"]["activities"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "a3", "name": "Step\u{7}", "transitions": [{"to": "end"}]}));
    write_def(root, "evil.json", def);
    // list: escaped in the table, reported as a load error (E014 in validate).
    let out = bpe(&["list", s(root)]);
    assert!(out.status.success());
    assert_no_controls(&out);
    let listed = text(&out);
    assert!(listed.contains("Evil\\u{1b}[2J\\u{7}"), "{listed}");
    assert!(
        listed.contains("unsafe name: name \"Evil\\u{1b}[2J\\u{7}\" contains ESC (U+001B)"),
        "{listed}"
    );
    // validate: E014 at the name.
    let out = bpe(&["validate", s(root)]);
    assert_eq!(out.status.code(), Some(1));
    assert_no_controls(&out);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("TaskDefinition/evil.json:4:3: error E014"),
        "{}",
        text(&out)
    );
    // run, tasks: escaped.
    let out = bpe(&["run", s(root), evil]);
    assert!(out.status.success(), "{}", text(&out));
    assert_no_controls(&out);
    assert!(
        text(&out).starts_with("Evil\\u{1b}[2J\\u{7} ti-"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("start -> Step\\u{7} -> end"),
        "{}",
        text(&out)
    );
    let out = bpe(&["tasks", s(root)]);
    assert_no_controls(&out);
    assert!(
        text(&out).contains("Evil\\u{1b}[2J\\u{7}"),
        "{}",
        text(&out)
    );
    let out = bpe(&["diagram", s(root), evil]);
    assert!(out.status.success(), "{}", text(&out));
    assert_no_controls(&out);
    assert!(text(&out).contains("Step\\u{7}"), "{}", text(&out));
    // A holder record from a colleague's process, shown by `bpe locks`.
    std::fs::create_dir_all(root.join(".bpe/locks")).unwrap();
    std::fs::write(
        root.join(".bpe/locks/run-td-x.h1.holder.json"),
        serde_json::to_vec(&json!({
            "formatVersion": 1, "target": {"kind": "definitionRun", "id": "td-x"},
            "mode": "shared", "user": "mal\u{1b}]0;owned\u{7}", "host": "h", "pid": 1,
            "since": "2026-11-27T14:03:00Z", "purpose": "bpe run\u{1b}[2J",
            "heartbeat": "2026-11-27T14:05:30.120Z"
        }))
        .unwrap(),
    )
    .unwrap();
    let out = bpe(&["locks", s(root)]);
    assert_no_controls(&out);
    assert!(
        text(&out).contains("mal\\u{1b}]0;owned\\u{7}@h"),
        "{}",
        text(&out)
    );
    // An unknown name in an error message is escaped too.
    let out = bpe(&["run", s(root), "No\u{1b}]0;title\u{7}"]);
    assert_eq!(out.status.code(), Some(2));
    assert_no_controls(&out);
}

#[test]
fn import_refuses_names_with_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir(&root).unwrap();
    let def: bpe::model::TaskDefinition =
        serde_json::from_value(simple_def("td-x", "Bad\nName")).unwrap();
    let xml = bpe::waveset::export_definition(&def);
    let file = dir.path().join("bad.xml");
    std::fs::write(&file, xml).unwrap();
    let out = bpe(&["import", s(&root), s(&file)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_no_controls(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("TaskDefinition name \"Bad\\nName\" contains newline (U+000A)"),
        "{err}"
    );
    assert!(err.contains("nothing imported"), "{err}");
    assert!(!root.join("TaskDefinition").exists());
}

/// Start `bpe args`, close the read end of its standard output at once, and
/// return its status and standard error.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bpe"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn a_closed_pipe_ends_every_printing_command_quietly() {
    for args in [
        vec!["list", sample()],
        vec!["list", sample(), "--json"],
        vec!["tasks", sample()],
        vec!["validate", sample()],
        vec!["diagram", sample(), "Onboard Employee"],
        vec!["export", sample(), "Onboard Employee"],
    ] {
        let (code, err) = with_closed_stdout(&args);
        assert!(
            !err.contains("Broken pipe") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
        // Either it wrote nothing (an empty listing) or it stopped with 141.
        assert!(
            matches!(code, Some(141) | Some(0)),
            "{args:?}: {code:?} {err}"
        );
    }
    // A listing that certainly writes: 141, no message.
    let (code, err) = with_closed_stdout(&["list", sample()]);
    assert_eq!((code, err.as_str()), (Some(141), ""));
}

#[test]
fn export_out_never_writes_into_repository_data_nor_creates_directories() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    write_def(&root, "a.json", simple_def("td-a", "A"));
    let def_file = root.join("TaskDefinition/a.json");
    let before = std::fs::read(&def_file).unwrap();
    for target in [
        def_file.clone(),
        root.join("TaskDefinition/new.xml"),
        root.join("repository.json"),
        root.join(".bpe/x.xml"),
    ] {
        let out = bpe(&["export", s(&root), "A", "--out", s(&target)]);
        assert_eq!(out.status.code(), Some(2), "{target:?}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("inside the repository's data") || err.contains("does not exist"),
            "{err}"
        );
    }
    assert_eq!(std::fs::read(&def_file).unwrap(), before);
    assert!(!root.join("TaskDefinition/new.xml").exists());
    assert!(!root.join("repository.json").exists());
    // Through a relative path and a link, too.
    let link = dir.path().join("defs");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.join("TaskDefinition"), &link).unwrap();
        let out = bpe(&["export", s(&root), "A", "--out", s(&link.join("a.json"))]);
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("inside the repository's data (TaskDefinition)"),
            "{}",
            text(&out)
        );
        assert_eq!(std::fs::read(&def_file).unwrap(), before);
    }
    // A missing directory is not created.
    let missing = dir.path().join("no/such/dir/a.xml");
    let out = bpe(&["export", s(&root), "A", "--out", s(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not exist"),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("no").exists());
    // Beside the repository, or in a non-data directory of it: fine.
    for ok in [dir.path().join("a.xml"), root.join("a.xml")] {
        let out = bpe(&["export", s(&root), "A", "--out", s(&ok)]);
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            std::fs::read_to_string(&ok)
                .unwrap()
                .contains("<TaskDefinition")
        );
    }
}

#[test]
fn a_definition_that_failed_to_load_is_named_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_def(root, "ok.json", simple_def("td-ok", "Fine"));
    // Valid JSON with a wrong-typed field: the name still reads.
    let mut broken = simple_def("td-b", "Broken One");
    broken["process"]["maxSteps"] = json!("many");
    write_def(root, "other-file.json", broken);
    // Invalid JSON: found by its file name.
    std::fs::write(
        root.join("TaskDefinition/cut-off.json"),
        "{\"formatVersion\": 1,",
    )
    .unwrap();
    let out = bpe(&["run", s(root), "Broken One"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "TaskDefinition \"Broken One\" failed to load: TaskDefinition/other-file.json:"
        ) && err.contains("invalid type"),
        "{err}"
    );
    let out = bpe(&["run", s(root), "Cut Off"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("failed to load: TaskDefinition/cut-off.json:1:"),
        "{err}"
    );
    let out = bpe(&["run", s(root), "Nothing Like It"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no TaskDefinition named"));
}

#[test]
fn a_byte_order_mark_loads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(serde_json::to_vec_pretty(&simple_def("td-bom", "Bom")).unwrap());
    std::fs::create_dir(root.join("TaskDefinition")).unwrap();
    std::fs::write(root.join("TaskDefinition/bom.json"), bytes).unwrap();
    let out = bpe(&["list", s(root)]);
    assert!(out.stderr.is_empty(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Bom"));
}
