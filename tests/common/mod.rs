//! The helpers every integration test needs, written once: running the real `bpe`
//! binary and copying repositories. The older helper modules (`cli_common`,
//! `boundary_common`, `services_support`, `tui_common`) re-export these.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run the real `bpe` with `args` to its end, capturing its output.
pub fn bpe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpe"))
        .args(args)
        .output()
        .expect("run bpe")
}

/// Standard output then standard error, as text.
pub fn output_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Copy a directory tree (regular files and directories).
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

/// The shipped sample repository.
pub fn sample_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-repository")
}

/// A fresh copy of the shipped sample repository at `to`.
pub fn copy_sample(to: &Path) {
    copy_dir(&sample_root(), to);
    // Local state left by running the TUI on the sample (README's first command,
    // e.g. `.bpe/locks/`) is not part of the sample.
    let _ = std::fs::remove_dir_all(to.join(".bpe"));
}
