//! The real binary on a pseudo-terminal that never answers anything
//! (docs/tui.md, "Terminal habits"): startup must not wait for a
//! cursor-position report, which some terminals and multiplexers never send.

mod pty_common;
mod tui_common;

use std::path::Path;
use std::time::Duration;

use pty_common::{Pty, contains};
use tui_common::*;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_bpe"))
}

/// Before the fix the first thing bpe did after entering the alternate screen
/// was `ESC [ 6 n` (ratatui's `Terminal::clear` saves the cursor position);
/// unanswered, crossterm gave up after 2 s with an error and nothing was drawn.
#[test]
fn startup_draws_without_asking_where_the_cursor_is() {
    let repo = copy_repo(&sample_repository());
    let home = tempfile::tempdir().unwrap();
    let mut pty = Pty::spawn(
        bin(),
        &[repo.path().to_str().unwrap()],
        120,
        40,
        home.path(),
    );
    // The generous limit only bounds a broken run; a working one draws in milliseconds.
    // (ratatui moves the cursor over blanks, so only unbroken words are searched.)
    let drawn = pty.wait_for("Workflows (7)", Duration::from_secs(20));
    let out = pty.output();
    assert!(
        drawn.is_some(),
        "no first frame; output so far: {:?}",
        String::from_utf8_lossy(&out)
    );
    assert!(
        !contains(&out, b"\x1b[6n"),
        "bpe asked the terminal for the cursor position"
    );
    assert!(
        contains(&out, b"Onboard"),
        "the browser lists the workflows"
    );

    // Quitting needs no answer either.
    pty.clear_output();
    pty.send(b"q");
    let status = pty.wait_exit(Duration::from_secs(20)).expect("bpe quits");
    assert!(status.success(), "exit status {status:?}");
    let out = pty.output();
    assert!(!contains(&out, b"\x1b[6n"), "a query on the way out");
    assert!(
        contains(&out, b"\x1b[?1049l"),
        "the alternate screen is left on quit"
    );
}
