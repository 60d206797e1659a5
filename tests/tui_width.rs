//! Issue 11, item 5: the editor uses the width it has. The properties pane and
//! the diagram share the screen by proportion (`<` / `>`, remembered per user
//! in `settings.json`), see docs/tui.md "Use the width".

mod tui_common;

use bpe::tui::app::App;
use bpe::tui::settings::Settings;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tui_common::*;

fn draw(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.size = (w, h);
    bpe::tui::app_editor::after_change(app);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| bpe::tui::view::view(app, f)).unwrap();
    term
}

/// Column where the properties pane's border starts (its title is on row 0).
fn properties_column(term: &Terminal<TestBackend>) -> u16 {
    let buf = term.backend().buffer();
    let row: String = (0..buf.area.width)
        .map(|x| buf[(x, 0)].symbol().to_string())
        .collect::<Vec<_>>()
        .concat();
    let chars: Vec<char> = row.chars().collect();
    let title = chars
        .windows(11)
        .position(|w| w.iter().collect::<String>() == " Properties")
        .expect("properties title on the top row");
    // The corner is the `┌` just before the title.
    (title - 1) as u16
}

#[test]
fn properties_pane_takes_a_share_of_the_width_at_every_size() {
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    open(&mut app, "Onboard Employee");
    // 35 % by default: 42 of 120 columns, 70 of 200; 32 at 80 (the floor).
    assert_eq!(properties_column(&draw(&mut app, 120, 40)), 120 - 42);
    assert_eq!(properties_column(&draw(&mut app, 200, 60)), 200 - 70);
    assert_eq!(properties_column(&draw(&mut app, 80, 24)), 80 - 32);
}

#[test]
fn wider_and_narrower_keys_move_the_split_and_remember_it() {
    let dir = copy_repo(&sample_repository());
    let config = tempfile::tempdir().unwrap();
    let file = config.path().join("bpe/settings.json");
    let mut app = app(dir.path());
    app.settings_file = Some(file.clone());
    open(&mut app, "Onboard Employee");
    press(&mut app, "> >");
    assert_eq!(properties_column(&draw(&mut app, 120, 40)), 120 - 54);
    let notice = app.notice.as_ref().unwrap().text.clone();
    assert_eq!(notice, "properties pane 45% of the width (remembered)");
    // Remembered: the next session starts with it.
    let (settings, err) = Settings::load(Some(&file));
    assert_eq!((settings.properties_percent, err), (45, None));
    press(&mut app, "< < < < <");
    assert_eq!(properties_column(&draw(&mut app, 120, 40)), 120 - 32);
    // At the end of the range the key says so instead of doing nothing silently.
    press(&mut app, "< < < <");
    assert_eq!(
        app.notice.as_ref().unwrap().text,
        "properties pane already at 20% of the width"
    );
    assert_eq!(Settings::load(Some(&file)).0.properties_percent, 20);
}

#[test]
fn the_selection_stays_in_sight_when_the_diagram_narrows() {
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    open(&mut app, "Onboard Employee");
    app.size = (120, 40);
    press(&mut app, "G > > > > > > >");
    let ed = app.editor.as_ref().unwrap();
    let r = ed
        .diagram
        .box_rect(ed.selection.activity().unwrap())
        .unwrap();
    let (w, h) =
        bpe::tui::editor::diagram_viewport(app.size, false, 0, app.settings.properties_percent);
    let (sx, sy) = ed.scroll;
    assert!(r.x >= sx && r.x + r.width <= sx + w, "{r:?} in x {sx}+{w}");
    assert!(r.y >= sy && r.y + r.height <= sy + h, "{r:?} in y {sy}+{h}");
}
