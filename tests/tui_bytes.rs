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

/// Names reach the terminal escaped (docs/security.md, "Names on the
/// terminal"): a definition named with ESC and BEL shows as `\u{1b}`/`\u{7}`
/// text in the browser and the editor title, and no BEL byte is emitted.
#[test]
fn names_with_control_characters_are_drawn_escaped() {
    let dir = copy_repo(&sample_repository());
    let evil = "Evil\u{1b}[2J\u{7}";
    let file = dir.path().join("TaskDefinition/approval.json");
    let mut def: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    def["name"] = serde_json::json!(evil);
    std::fs::write(&file, serde_json::to_vec_pretty(&def).unwrap()).unwrap();
    let mut app = app(dir.path());
    let bytes = Rc::new(std::cell::RefCell::new(Vec::new()));
    struct Capture(Rc<std::cell::RefCell<Vec<u8>>>);
    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut term = Terminal::with_options(
        CrosstermBackend::new(Capture(bytes.clone())),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 120, 40)),
        },
    )
    .unwrap();
    term.draw(|f| bpe::tui::view::view(&app, f)).unwrap();
    open(&mut app, evil);
    term.draw(|f| bpe::tui::view::view(&app, f)).unwrap();
    let out = bytes.borrow();
    let text = String::from_utf8_lossy(&out);
    assert!(!out.contains(&0x07), "a BEL reached the terminal");
    assert!(
        !text.contains("Evil\u{1b}"),
        "the raw name reached the terminal"
    );
    let visible: String = text.chars().filter(|c| !c.is_control()).collect();
    assert!(visible.contains("Evil\\u{1b}"), "escaped name not drawn");
}
