//! `bpe run` end to end on the two-activity loop of issue 12 (`n = n + 1` in A,
//! `m = n * 2` in B, back to A while `n < limit`), progress written every 100 ms.
//!
//! Budget: at least 1,000,000 transitions per second through the whole command
//! (1,000,000 rounds = 2,000,001 transitions in at most 2 s) in at most 64 MB max
//! RSS, on a 2-core machine. The cost per round must not grow with the run: the
//! 10k, 100k and 1M figures scale linearly (table in docs/engine.md, Performance).
//! Each sample prints its max RSS (getrusage of the children) to stderr.

use std::path::Path;
use std::process::Command;

fn main() {
    divan::main();
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let defs = dir.path().join("TaskDefinition");
    std::fs::create_dir_all(&defs).unwrap();
    let def = include_str!("../tests/fixtures/engine-loop.json");
    std::fs::write(defs.join("loop.json"), def).unwrap();
    dir
}

fn run(root: &Path, rounds: u64) {
    let out = Command::new(env!("CARGO_BIN_EXE_bpe"))
        .arg("run")
        .arg(root)
        .arg("Loop")
        .arg("--set")
        .arg(format!("limit={rounds}"))
        .output()
        .expect("bpe run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("completed"), "{text}");
}

/// Largest max RSS of any child waited for so far, in kilobytes.
fn children_max_rss_kb() -> i64 {
    // SAFETY: getrusage only writes the struct it is given.
    unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut u);
        u.ru_maxrss
    }
}

/// Budget: 10k rounds < 40 ms, 100k < 200 ms, 1M < 2 s; max RSS < 64 MB each.
#[divan::bench(args = [10_000, 100_000, 1_000_000], sample_count = 3, sample_size = 1)]
fn loop_through_bpe_run(bencher: divan::Bencher, rounds: u64) {
    let dir = repo();
    bencher.bench_local(|| run(dir.path(), rounds));
    eprintln!(
        "rounds {rounds}: children's max RSS so far {} kB",
        children_max_rss_kb()
    );
}
