//! Shared by the integration tests that drive the real `bpe` binary
//! (`cli_run`, `cli_lifecycle`): running it, reading its JSON, copying repositories.

#![allow(dead_code)]

use std::path::Path;

use serde_json::Value as J;

#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)]
pub use common::{bpe, copy_dir};

/// Run `bpe`, assert it succeeded, and parse its stdout as JSON.
pub fn ok_json(args: &[&str]) -> J {
    let out = bpe(args);
    assert!(
        out.status.success(),
        "bpe {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `--set` arguments that onboard Ada Lovelace with the sample Onboard Employee workflow.
pub const ONBOARD_ADA: [&str; 10] = [
    "--set",
    "firstName=Ada",
    "--set",
    "lastName=Lovelace",
    "--set",
    "department=Engineering",
    "--set",
    "title=Engineer",
    "--set",
    "manager=jsmith",
];

/// A fresh copy of the sample repository: the temp dir (keep it alive) and the root.
pub fn sample_copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-repository"),
        &root,
    );
    // Local state left by running the TUI on the sample (README's first command,
    // e.g. `.bpe/locks/`) is not part of the sample.
    let _ = std::fs::remove_dir_all(root.join(".bpe"));
    (dir, root)
}

/// Standard output or error as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Rewrite the JSON file `rel` of the repository through `f`.
pub fn edit_json(root: &Path, rel: &str, f: impl FnOnce(&mut J)) {
    let p = root.join(rel);
    let mut d: J = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    f(&mut d);
    std::fs::write(&p, serde_json::to_vec_pretty(&d).unwrap()).unwrap();
}

/// In a TaskDefinition's JSON: rename activity `from` to `to` (its id kept) and
/// re-point the transitions into it.
pub fn rename_activity(d: &mut J, from: &str, to: &str) {
    for a in d["process"]["activities"].as_array_mut().unwrap() {
        if a["name"] == from {
            a["name"] = to.into();
        }
        let ts = a.get_mut("transitions").and_then(|t| t.as_array_mut());
        for t in ts.into_iter().flatten() {
            if t["to"] == from {
                t["to"] = to.into();
            }
        }
    }
}
