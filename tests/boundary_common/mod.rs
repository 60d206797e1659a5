//! Shared by the boundary tests (`security_symlinks`, `kill_writes`,
//! `cli_output`): running the real binary, copying the sample repository,
//! walking a directory.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run the real `bpe` with `args`, capturing its output.
pub fn bpe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpe"))
        .args(args)
        .output()
        .expect("run bpe")
}

/// Standard output then standard error, as text.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of the sample repository at `to`.
pub fn copy_sample(to: &Path) {
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-repository"),
        to,
    );
    // Local state left by running the TUI on the sample (README's first command,
    // e.g. `.bpe/locks/`) is not part of the sample.
    let _ = std::fs::remove_dir_all(to.join(".bpe"));
}

/// Every file below `dir`, recursively (empty when `dir` does not exist).
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_below(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The pid of a process that has exited and been reaped: certainly not alive.
pub fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}
