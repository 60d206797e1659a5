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
    // The frame ends with the footer's "help"; read up to it.
    pty.wait_for("help", Duration::from_secs(20));
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
    // The last bytes may still be on their way from the pty after the exit.
    let left = pty.wait_for("\x1b[?1049l", Duration::from_secs(20));
    assert!(left.is_some(), "the alternate screen is left on quit");
    assert!(
        !contains(&pty.output(), b"\x1b[6n"),
        "a query on the way out"
    );
}

/// Issue 11, item 6: the debug view's locks pane follows `.bpe/locks` live. A
/// lock taken by another process (here, the test) appears without a key press.
#[test]
fn the_locks_pane_shows_a_lock_taken_elsewhere_without_a_key() {
    use bpe::repo::lock::{self, LockMode, LockTarget};
    let repo = copy_repo(&sample_repository());
    let home = tempfile::tempdir().unwrap();
    let mut pty = Pty::spawn(
        bin(),
        &[repo.path().to_str().unwrap()],
        120,
        40,
        home.path(),
    );
    assert!(pty.wait_for("Workflows", Duration::from_secs(20)).is_some());
    pty.send(b"4");
    assert!(
        pty.wait_for("Locks", Duration::from_secs(20)).is_some(),
        "the debug view"
    );
    pty.clear_output();
    let guard = lock::acquire(
        repo.path(),
        LockTarget::DefinitionRun("td-pty-live".into()),
        LockMode::Shared,
        "bpe run (test)",
    )
    .unwrap();
    let seen = pty.wait_for("td-pty-live", Duration::from_secs(20));
    assert!(
        seen.is_some(),
        "the new lock was not drawn: {:?}",
        String::from_utf8_lossy(&pty.output())
    );
    drop(guard);
    pty.send(b"q");
    assert!(pty.wait_exit(Duration::from_secs(20)).is_some());
}
