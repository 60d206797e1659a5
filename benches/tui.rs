//! TUI budgets (run with `cargo bench --bench tui`):
//! - first frame from process start: the real `bpe` binary on a copy of sample-repository, on a
//!   120x40 pseudo-terminal, until the whole first frame has been written: under 50 ms;
//! - first frame in-process (load + first draw into a TestBackend, 120x40): under 100 ms;
//! - one frame of the editor on a generated 1,000-activity workflow at 200x60: under 5 ms;
//! - bytes written to the terminal over twenty moves down "Onboard Employee" at 120x40, moves
//!   that scroll included: at most 1 KB per move on average (printed; also asserted by
//!   `tests/tui_bytes.rs`).

#[path = "../tests/pty_common/mod.rs"]
mod pty_common;
#[path = "../tests/tui_common/mod.rs"]
mod tui_common;

use std::cell::Cell;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

use bpe::edit::ElementRef;
use bpe::model::{Activity, TaskDefinition, Transition};
use bpe::tui::app::App;
use bpe::tui::keymap::Keymap;
use bpe::tui::theme::Theme;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

fn main() {
    divan::main();
}

fn sample() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-repository")
}

/// Budget: 50 ms from `exec` to the last byte of the first frame (the browser's
/// footer ends with "help"). The process is spawned on a pseudo-terminal that
/// answers nothing, as in `tests/tui_pty.rs`; it is killed after each sample.
#[divan::bench(sample_count = 20)]
fn first_frame_from_process_start_pty_120x40(bencher: divan::Bencher) {
    let repo = tui_common::copy_repo(&sample());
    let home = tempfile::tempdir().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_bpe"));
    let arg = repo.path().to_str().unwrap().to_string();
    let mut times = Vec::new();
    bencher.bench_local(|| {
        let pty = pty_common::Pty::spawn(bin, &[&arg], 120, 40, home.path());
        let t = pty
            .wait_for("help", std::time::Duration::from_secs(10))
            .expect("first frame");
        times.push(t);
        // Returned, so the kill and wait happen outside the measurement.
        pty
    });
    times.sort();
    if let Some(median) = times.get(times.len() / 2) {
        println!("first frame from process start (pty 120x40): median {median:?} (budget 50 ms)");
    }
}

/// Budget: 100 ms.
#[divan::bench(sample_count = 10)]
fn first_frame_sample_repository(bencher: divan::Bencher) {
    bencher.bench(|| {
        let mut app = App::new(&sample(), Keymap::default_keymap(), Theme::from_env()).unwrap();
        app.size = (120, 40);
        let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
        term.draw(|f| bpe::tui::view::view(&app, f)).unwrap();
        divan::black_box(term);
    });
}

/// A chain of `n` activities with a choice every 7th and a loop back every 11th.
fn generated(n: usize) -> TaskDefinition {
    let name = |i: usize| {
        if i == 0 {
            "start".to_string()
        } else if i == n - 1 {
            "end".to_string()
        } else {
            format!("Step {i}")
        }
    };
    let mut acts = Vec::new();
    for i in 0..n {
        let mut transitions = Vec::new();
        if i + 1 < n {
            if i % 7 == 3 && i + 3 < n {
                transitions.push(Transition {
                    to: name(i + 3),
                    condition: Some(format!("(eq $x {i})")),
                    comment: String::new(),
                });
            }
            if i % 11 == 5 && i > 4 {
                transitions.push(Transition {
                    to: name(i - 4),
                    condition: Some("(lt $n 3)".into()),
                    comment: String::new(),
                });
            }
            transitions.push(Transition {
                to: name(i + 1),
                condition: None,
                comment: String::new(),
            });
        }
        acts.push(Activity {
            id: i.to_string(),
            name: name(i),
            transitions,
            ..Default::default()
        });
    }
    let mut def: TaskDefinition = serde_json::from_str(
        r#"{"formatVersion":1,"id":"td-big","name":"Big","process":{"activities":[]}}"#,
    )
    .unwrap();
    def.process.activities = acts;
    def
}

fn big_app(dir: &Path) -> App {
    std::fs::create_dir_all(dir.join("TaskDefinition")).unwrap();
    bpe::repo::save_json(&dir.join("TaskDefinition/big.json"), &generated(1000)).unwrap();
    let mut app = App::new(dir, Keymap::default_keymap(), Theme::from_env()).unwrap();
    app.size = (200, 60);
    bpe::tui::app_editor::open(&mut app, 0);
    bpe::tui::app_editor::select(&mut app, ElementRef::Activity(500));
    app
}

/// Budget: 5 ms.
#[divan::bench(sample_count = 20)]
fn editor_frame_1000_activities_200x60(bencher: divan::Bencher) {
    let dir = tempfile::tempdir().unwrap();
    let app = big_app(dir.path());
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
    bencher.bench_local(|| {
        // A full frame: clear the back buffer so every cell is drawn again.
        term.clear().unwrap();
        term.draw(|f| bpe::tui::view::view(&app, f)).unwrap();
    });
}

struct Counter(Rc<Cell<usize>>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.set(self.0.get() + buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Budget: 1 KB per move on average over twenty moves down (the number is printed).
#[divan::bench(sample_count = 5)]
fn bytes_per_move_twenty_down_120x40(bencher: divan::Bencher) {
    let dir = tui_common::copy_repo(&sample());
    let mut average = 0;
    bencher.bench_local(|| {
        let mut app = App::new(dir.path(), Keymap::default_keymap(), Theme::from_env()).unwrap();
        app.size = (120, 40);
        let i = app
            .repo
            .definitions
            .iter()
            .position(|d| d.value.name == "Onboard Employee")
            .unwrap();
        bpe::tui::app_editor::open(&mut app, i);
        let count = Rc::new(Cell::new(0));
        let backend = CrosstermBackend::new(Counter(count.clone()));
        let mut term = Terminal::with_options(
            backend,
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, 120, 40)),
            },
        )
        .unwrap();
        term.draw(|f| bpe::tui::view::view(&app, f)).unwrap();
        count.set(0);
        for _ in 0..20 {
            bpe::tui::app::update(&mut app, bpe::tui::action::Action::Down);
            term.draw(|f| bpe::tui::view::view(&app, f)).unwrap();
        }
        average = count.get() / 20;
    });
    println!("bytes per move over twenty moves down at 120x40: {average} on average (budget 1024)");
}
