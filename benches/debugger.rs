//! Debugger budget (run with `cargo bench --bench debugger`):
//! - one debugger step on "Onboard Employee" (the `s` action through `update`,
//!   dry-run services, watches re-evaluated) plus the redraw of the debugger
//!   screen into a 120x40 TestBackend: under 10 ms.

use std::path::Path;

use bpe::tui::action::Action;
use bpe::tui::app::{App, update};
use bpe::tui::keymap::Keymap;
use bpe::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn main() {
    divan::main();
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == ".bpe" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A debugger on a copy of the sample repository, started and standing at
/// "Validate Request" (the workspace goes to a temporary data directory).
fn prepared(dir: &Path) -> App {
    let repo = dir.join("repo");
    if !repo.exists() {
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-repository"),
            &repo,
        );
    }
    let mut app = App::new(&repo, Keymap::default_keymap(), Theme::plain()).unwrap();
    app.size = (120, 40);
    let index = app
        .repo
        .definitions
        .iter()
        .position(|d| d.value.name == "Onboard Employee")
        .unwrap();
    bpe::tui::app_editor::open(&mut app, index);
    update(&mut app, Action::Debug);
    let d = app.debugger.as_mut().unwrap();
    for (name, value) in d.form.iter_mut() {
        *value = match name.as_str() {
            "firstName" => "Ada",
            "lastName" => "Lovelace",
            "department" => "Engineering",
            "title" => "Engineer",
            "manager" => "jsmith",
            _ => "",
        }
        .to_string();
    }
    update(&mut app, Action::Step); // starts the run
    update(&mut app, Action::Step); // enters start
    app
}

/// Budget: 10 ms.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn step_and_redraw_onboard_employee(bencher: divan::Bencher) {
    let data = tempfile::tempdir().unwrap();
    // SAFETY: set before any app is created, in this single-threaded bench.
    unsafe { std::env::set_var("BPE_DATA_DIR", data.path()) };
    let dir = tempfile::tempdir().unwrap();
    bencher
        .with_inputs(|| {
            let app = prepared(dir.path());
            let term = Terminal::new(TestBackend::new(120, 40)).unwrap();
            (app, term)
        })
        .bench_local_values(|(mut app, mut term)| {
            update(&mut app, Action::Step);
            term.draw(|f| bpe::tui::view::view(&app, f)).unwrap();
            divan::black_box((app, term))
        });
}
