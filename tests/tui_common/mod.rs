//! Helpers shared by the TUI tests: temporary repositories, key presses, apps.
#![allow(dead_code)]

pub mod debugger;

use std::path::{Path, PathBuf};

use bpe::tui::app::App;
use bpe::tui::keymap::{KeySpec, Keymap};
use bpe::tui::theme::Theme;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

pub fn sample_repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-repository")
}

pub fn fixture_repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tui-repo")
}

/// Copy a directory tree (without `.bpe/`) into a fresh temporary directory.
pub fn copy_repo(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(from, dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".bpe" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub fn app(root: &Path) -> App {
    let mut app =
        App::new(root, Keymap::default_keymap(), Theme::plain()).expect("open repository");
    app.size = (120, 40);
    app
}

/// A key as the keymap writes it (`j`, `enter`, `ctrl-s`, `J`).
pub fn key(spec: &str) -> KeyEvent {
    let k = KeySpec::parse(spec).expect("key spec");
    let mut mods = KeyModifiers::NONE;
    if k.ctrl {
        mods |= KeyModifiers::CONTROL;
    }
    if k.alt {
        mods |= KeyModifiers::ALT;
    }
    if let KeyCode::Char(c) = k.code
        && c.is_ascii_uppercase()
    {
        mods |= KeyModifiers::SHIFT;
    }
    KeyEvent::new_with_kind(k.code, mods, KeyEventKind::Press)
}

/// What the status line says now ("" when nothing).
pub fn notice_text(app: &App) -> String {
    app.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

/// Press keys in order (space-separated key specs).
pub fn press(app: &mut App, keys: &str) {
    for k in keys.split_whitespace() {
        app.handle_key(key(k));
    }
}

/// Type text into whatever has focus.
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        let code = KeyCode::Char(c);
        let mods = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        app.handle_key(KeyEvent::new_with_kind(code, mods, KeyEventKind::Press));
    }
}

/// Open the named workflow in the editor through the browser (filter + Enter).
pub fn open(app: &mut App, name: &str) {
    press(app, "/");
    type_text(app, name);
    press(app, "enter enter");
    let ed = app.editor.as_ref().expect("editor open");
    assert_eq!(ed.def.name, name);
}

/// Select an activity by name (as the diagram would).
pub fn select_activity(app: &mut App, name: &str) {
    let idx = app
        .editor
        .as_ref()
        .unwrap()
        .def
        .process
        .activities
        .iter()
        .position(|a| a.name == name)
        .expect("activity");
    bpe::tui::app_editor::select(app, bpe::edit::ElementRef::Activity(idx));
}

/// The open workflow's working copy.
pub fn def(app: &App) -> &bpe::model::TaskDefinition {
    &app.editor.as_ref().expect("editor open").def
}

/// Index of the working copy's activity so named.
pub fn activity_index(app: &App, name: &str) -> usize {
    def(app)
        .process
        .activities
        .iter()
        .position(|a| a.name == name)
        .expect("activity")
}

/// A copy of the sample repository with "Onboard Employee" open in the editor.
pub fn sample() -> (tempfile::TempDir, App) {
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    open(&mut app, "Onboard Employee");
    (dir, app)
}

/// The whole frame drawn at `w`x`h` into `TestBackend`, as text (one line per row).
pub fn draw_text(app: &mut App, w: u16, h: u16) -> String {
    app.size = (w, h);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    term.draw(|f| bpe::tui::view::view(app, f)).unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}
