//! `bpe validate sample-repository` finds nothing at all: no error, no warning, no info.

mod sample_common;

use std::process::Command;

#[test]
fn sample_repository_validates_cleanly() {
    let out = Command::new(env!("CARGO_BIN_EXE_bpe"))
        .arg("validate")
        .arg(sample_common::sample_root())
        .output()
        .expect("run bpe validate");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status.code()
    );
    assert!(stdout.trim().is_empty(), "findings:\n{stdout}");
    assert!(stderr.contains("0 errors, 0 warnings"), "{stderr}");
}
