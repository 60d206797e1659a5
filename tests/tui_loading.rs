//! The TUI's first frame on a large repository: the browser lists the
//! definition index's summaries, then the full load (definitions, badges)
//! replaces them (`App::new_summaries`, `App::finish_loading`, `app::load_in_background`).

mod tui_common;

use std::sync::mpsc;
use std::time::Duration;

use bpe::tui::app::{self, App};
use bpe::tui::keymap::Keymap;
use bpe::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tui_common::{copy_repo, sample_repository};

fn screen(app: &App) -> String {
    let mut term = Terminal::new(TestBackend::new(120, 30)).unwrap();
    term.draw(|f| bpe::tui::view::view(app, f)).unwrap();
    let buffer = term.backend().buffer().clone();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_browser_shows_summaries_first_then_the_full_repository() {
    let dir = copy_repo(&sample_repository());
    let root = dir.path();
    let mut app = App::new_summaries(root, Keymap::default_keymap(), Theme::plain()).unwrap();
    assert!(
        app.repo.definitions.is_empty(),
        "no definition parsed in full yet"
    );
    let first = screen(&app);
    assert!(
        first.contains("Workflows (7) · loading details…"),
        "{first}"
    );
    assert!(first.contains("Access Request"), "{first}");
    assert!(first.contains("Onboard Employee"), "{first}");
    assert!(
        first.contains("loading definitions, validation and locks…"),
        "{first}"
    );

    let (tx, rx) = mpsc::channel();
    app::load_in_background(root, move |repo, badges| {
        tx.send((repo, badges)).unwrap();
    });
    let (repo, badges) = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(badges.len(), repo.definitions.len());
    app.finish_loading(repo, badges);
    assert!(app.loading.is_none());
    assert_eq!(app.repo.definitions.len(), 7);
    let loaded = screen(&app);
    assert!(loaded.contains("Workflows (7)"), "{loaded}");
    assert!(!loaded.contains("loading"), "{loaded}");
    assert!(loaded.contains("execMode"), "{loaded}");
}

#[test]
fn a_reload_before_the_background_load_arrives_wins() {
    let dir = copy_repo(&sample_repository());
    let root = dir.path();
    let mut app = App::new_summaries(root, Keymap::default_keymap(), Theme::plain()).unwrap();
    let stale = bpe::repo::Repository::open(root).unwrap();
    std::fs::remove_file(root.join("TaskDefinition/approval.json")).unwrap();
    bpe::tui::editor::reload_repository(&mut app);
    assert_eq!(app.repo.definitions.len(), 6);
    app.finish_loading(stale, Vec::new());
    assert_eq!(app.repo.definitions.len(), 6, "the older load is dropped");
}
