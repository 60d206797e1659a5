//! Loading a large repository: 5,000 copies of the sample repository's
//! "Onboard Employee" (distinct ids and names, 24 KB of pretty JSON each).
//!
//! Budgets (2-core build machine, release):
//! - `list_warm_index` (`Repository::open_overview` with an up-to-date index,
//!   what `bpe list` does on a second run): < 100 ms. The whole `bpe list`
//!   command on it (`list_command_warm_index`): < 300 ms.
//! - `list_cold_index` (no index: every file read, hashed and parsed, summaries
//!   kept, the index written): < 1.5 s.
//! - `tui_first_frame_warm_index`: < 100 ms.
//! - `tui_first_frame_from_process_start_pty_120x40` (the real `bpe` binary on a
//!   120x40 pseudo-terminal, from spawn until the loading browser's first frame
//!   has been written, warm index): < 100 ms.
//! - `open_full` (`Repository::open`, every definition parsed and kept): < 1.5 s.
//!
//! Figures at 500 / 5,000 / 50,000 definitions (wall time and max RSS of
//! `bpe list`, first and second run) are in docs/repository.md.

#[path = "../tests/pty_common/mod.rs"]
mod pty_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use bpe::repo::index::INDEX_FILE;
use bpe::repo::{Repository, save_json};

const DEFINITIONS: usize = 5_000;

fn main() {
    divan::main();
    // Statics are never dropped: remove the fixture ourselves.
    if let Some(dir) = FIXTURE.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

static FIXTURE: OnceLock<PathBuf> = OnceLock::new();

/// Onboard Employee with id and name made unique for copy `n`.
fn onboard_copy(template: &serde_json::Value, n: usize) -> serde_json::Value {
    let mut def = template.clone();
    def["id"] = format!("td-{n:016x}").into();
    def["name"] = format!("Onboard Employee {n:05}").into();
    def
}

fn fixture() -> &'static Path {
    FIXTURE.get_or_init(|| {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample-repository/TaskDefinition/onboard-employee.json");
        let template: serde_json::Value =
            serde_json::from_slice(&std::fs::read(sample).expect("sample")).expect("sample JSON");
        let dir = tempfile::tempdir().expect("temp dir").keep();
        for n in 0..DEFINITIONS {
            let path = dir.join(format!("TaskDefinition/onboard-{n:05}.json"));
            save_json(&path, &onboard_copy(&template, n)).expect("write fixture");
        }
        // Date the files back past the index's racy window, as a repository
        // checked out a while ago is.
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for e in std::fs::read_dir(dir.join("TaskDefinition")).expect("fixture") {
            let f = std::fs::File::options()
                .write(true)
                .open(e.expect("entry").path())
                .expect("open");
            f.set_modified(old).expect("set mtime");
        }
        dir
    })
}

fn remove_index(root: &Path) {
    let _ = std::fs::remove_file(root.join(INDEX_FILE));
}

// Budget: < 1.5 s (no index; 5,000 files read, hashed, parsed; index written).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn list_cold_index(bencher: divan::Bencher) {
    let root = fixture();
    bencher
        .with_inputs(|| remove_index(root))
        .bench_values(|()| {
            let o = Repository::open_overview(root).expect("open");
            assert_eq!(o.stats.parsed, DEFINITIONS);
            o
        });
}

// Budget: < 100 ms (up-to-date index: no definition file read).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn list_warm_index(bencher: divan::Bencher) {
    let root = fixture();
    Repository::open_overview(root).expect("prime the index");
    bencher.bench(|| {
        let o = Repository::open_overview(root).expect("open");
        assert_eq!(o.stats.reused, DEFINITIONS);
        o
    });
}

// Budget: < 300 ms (the `bpe list` command, process start to exit, warm index).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn list_command_warm_index(bencher: divan::Bencher) {
    let root = fixture();
    Repository::open_overview(root).expect("prime the index");
    bencher.bench(|| {
        let status = Command::new(env!("CARGO_BIN_EXE_bpe"))
            .arg("list")
            .arg(root)
            .stdout(Stdio::null())
            .status()
            .expect("run bpe list");
        assert!(status.success());
    });
}

// Budget: < 100 ms (the TUI's first frame: `App::new_summaries` with a warm
// index, then one 120x40 browser frame; full definitions load afterwards).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn tui_first_frame_warm_index(bencher: divan::Bencher) {
    use bpe::tui::app::App;
    use bpe::tui::keymap::Keymap;
    use bpe::tui::theme::Theme;
    let root = fixture();
    Repository::open_overview(root).expect("prime the index");
    bencher.bench(|| {
        let app = App::new_summaries(root, Keymap::default_keymap(), Theme::plain()).expect("open");
        let mut term =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).expect("terminal");
        term.draw(|f| bpe::tui::view::view(&app, f)).expect("draw");
        term
    });
}

// Budget: < 100 ms from spawn to the last byte of the first frame (the browser
// listing the index's summaries, footer ending in "help"). The full load starts
// after that frame; the process is killed after each sample.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn tui_first_frame_from_process_start_pty_120x40(bencher: divan::Bencher) {
    let root = fixture();
    Repository::open_overview(root).expect("prime the index");
    let home = tempfile::tempdir().expect("home");
    let bin = Path::new(env!("CARGO_BIN_EXE_bpe"));
    let arg = root.to_str().expect("UTF-8 temp dir").to_string();
    let mut times = Vec::new();
    bencher.bench_local(|| {
        let pty = pty_common::Pty::spawn(bin, &[&arg], 120, 40, home.path());
        let t = pty
            .wait_for("help", std::time::Duration::from_secs(30))
            .expect("first frame");
        times.push(t);
        // Returned, so the kill and wait happen outside the measurement.
        pty
    });
    times.sort();
    if let Some(median) = times.get(times.len() / 2) {
        println!(
            "first frame on 5,000 definitions (pty 120x40): median {median:?} (budget 100 ms)"
        );
    }
}

// Budget: < 1.5 s (every definition parsed and kept).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn open_full(bencher: divan::Bencher) {
    let root = fixture();
    bencher.bench(|| {
        let repo = Repository::open(root).expect("open");
        assert_eq!(repo.definitions.len(), DEFINITIONS);
        assert!(repo.errors.is_empty());
        repo
    });
}
