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

/// The sample repository plus enough small definitions for the index
/// (`INDEX_MIN_FILES`): 70 in all.
fn large_repository() -> tempfile::TempDir {
    let dir = copy_repo(&sample_repository());
    for i in 0..63 {
        let def = serde_json::json!({"formatVersion": 1, "id": format!("td-extra-{i}"),
            "name": format!("Extra {i:02}"), "process": {"activities": [{"id": "1", "name": "end"}]}});
        std::fs::write(
            dir.path().join(format!("TaskDefinition/extra-{i:02}.json")),
            serde_json::to_vec(&def).unwrap(),
        )
        .unwrap();
    }
    dir
}

#[test]
fn a_small_repository_opens_in_full_at_once() {
    let dir = copy_repo(&sample_repository());
    let app = App::new_summaries(dir.path(), Keymap::default_keymap(), Theme::plain()).unwrap();
    assert!(app.loading.is_none());
    assert_eq!(app.repo.definitions.len(), 7);
}

#[test]
fn the_browser_shows_summaries_first_then_the_full_repository() {
    let dir = large_repository();
    let root = dir.path();
    let mut app = App::new_summaries(root, Keymap::default_keymap(), Theme::plain()).unwrap();
    assert!(
        app.repo.definitions.is_empty(),
        "no definition parsed in full yet"
    );
    let first = screen(&app);
    assert!(
        first.contains("Workflows (70) · loading details…"),
        "{first}"
    );
    assert!(first.contains("Access Request"), "{first}");
    assert!(first.contains("Extra 00"), "{first}");
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
    assert_eq!(app.repo.definitions.len(), 70);
    let loaded = screen(&app);
    assert!(loaded.contains("Workflows (70)"), "{loaded}");
    assert!(!loaded.contains("loading"), "{loaded}");
    assert!(loaded.contains("execMode"), "{loaded}");
}

#[test]
fn a_reload_before_the_background_load_arrives_wins() {
    let dir = large_repository();
    let root = dir.path();
    let mut app = App::new_summaries(root, Keymap::default_keymap(), Theme::plain()).unwrap();
    let stale = bpe::repo::Repository::open(root).unwrap();
    std::fs::remove_file(root.join("TaskDefinition/approval.json")).unwrap();
    bpe::tui::sync::reload_repository(&mut app);
    assert_eq!(app.repo.definitions.len(), 69);
    app.finish_loading(stale, Vec::new());
    assert_eq!(app.repo.definitions.len(), 69, "the older load is dropped");
}
