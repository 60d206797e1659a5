//! Few bytes per keystroke: moving the selection by one activity at 120x40
//! writes under 2 KB to the terminal (ratatui diffs buffers; we count what the
//! crossterm backend emits).

mod tui_common;

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;

use bpe::tui::action::Action;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use tui_common::*;

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

#[test]
fn moving_the_selection_writes_under_2kb() {
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    open(&mut app, "Onboard Employee");
    let count = Rc::new(Cell::new(0));
    let mut term = Terminal::with_options(
        CrosstermBackend::new(Counter(count.clone())),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 120, 40)),
        },
    )
    .unwrap();
    term.draw(|f| bpe::tui::view::view(&app, f)).unwrap();
    let first_frame = count.get();
    assert!(
        first_frame > 4000,
        "the first frame draws everything ({first_frame} bytes)"
    );
    let mut worst = 0;
    for action in [
        Action::Down,
        Action::Down,
        Action::Up,
        Action::Right,
        Action::Left,
    ] {
        count.set(0);
        bpe::tui::app::update(&mut app, action);
        term.draw(|f| bpe::tui::view::view(&app, f)).unwrap();
        worst = worst.max(count.get());
    }
    eprintln!("first frame {first_frame} bytes; worst one-activity move {worst} bytes");
    assert!(worst > 0, "a move redraws something");
    assert!(worst < 2048, "a one-activity move wrote {worst} bytes");
}
