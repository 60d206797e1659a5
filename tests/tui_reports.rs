//! The reports screen (`5`): the figures of `bpe report` over the shipped sample
//! journal with a fixed "now", the period selector, the workflow filter, Enter to
//! the cases behind a figure and Enter to the tasks screen. Expected counts are
//! made here from the journal lines themselves, not by `report::compute`.

mod tui_common;

use std::collections::BTreeSet;

use bpe::tui::app::{App, Screen};
use bpe::tui::reports::Period;
use chrono::{DateTime, Duration, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::Value as J;
use tui_common::*;

/// The fixed "now" of these tests: after the sample history (November 2026).
fn now() -> DateTime<Utc> {
    "2026-11-30T12:00:00Z".parse().unwrap()
}

fn sample_app() -> (tempfile::TempDir, App) {
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    app.reports.clock = Some(now());
    (dir, app)
}

fn draw(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.size = (w, h);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| bpe::tui::view::view(app, f)).unwrap();
    term
}

#[test]
fn reports_120x40() {
    let (_dir, mut app) = sample_app();
    press(&mut app, "5");
    insta::assert_snapshot!(draw(&mut app, 120, 40).backend());
}

#[test]
fn reports_80x24() {
    let (_dir, mut app) = sample_app();
    press(&mut app, "5");
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn reports_200x60() {
    let (_dir, mut app) = sample_app();
    press(&mut app, "5");
    insta::assert_snapshot!(draw(&mut app, 200, 60).backend());
}
