//! Running the real `bpe` binary from integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

pub fn bpe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpe"))
        .args(args)
        .output()
        .expect("run bpe")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
