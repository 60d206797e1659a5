//! The interactive TUI. One way through it: terminal event -> keymap ->
//! [`action::Action`] -> [`app::update`] -> effects -> [`view::view`].
//!
//! Layout of this module (see also `docs/tui.md`):
//! - `app`: [`app::App`] (all state), [`app::Screen`], `update`, `carry_out`;
//!   `overlay` (the popups' keys, quitting); `app_editor` (opening and closing
//!   the editor and the debugger); `screen`: [`screen::ScreenOps`], the small
//!   [`screen::Ctx`] screens work over, [`screen::Request`];
//! - one module per screen with its own state implementing `ScreenOps`:
//!   `browser` + `browser_view` (workflows), `editor` + `editor_nav` + `editor_view`
//!   (diagram, properties, outline, source), `tasks`, `workitems`, `debug_view`
//!   (cache, locks), `debugger` + `debugger_session` + `debugger_step` +
//!   `debugger_view`, `reports`, `rule_tester`;
//!   `ask` (their prompt and yes/no question), `workspace` (per-user debugger state);
//! - `keymap` + `action`: key bindings as data (`assets/keymap.json`, user override);
//! - `properties`: the fields of each element, by `crate::edit::FieldKey` (the
//!   undo/redo stack and the edits themselves are the core module `crate::edit`);
//! - `diagram`: the editor's canvas over `crate::layout`; `templates`: new actions;
//! - `import`: the browser's Waveset import dialog;
//! - `view` (frame, status, footer, popups), `help`, `theme`;
//! - `terminal` (raw mode, restore on every exit path, OSC 52), `recovery`.

pub mod action;
pub mod app;
pub mod app_editor;
pub mod ask;
pub mod browser;
pub mod browser_view;
pub mod debug_migrate;
pub mod debug_view;
pub mod debugger;
pub mod debugger_console;
pub mod debugger_session;
pub mod debugger_step;
pub mod debugger_view;
pub mod diagram;
pub mod diff_view;
pub mod diff_view_render;
pub mod editor;
pub mod editor_fields;
pub mod editor_items;
pub mod editor_nav;
pub mod editor_save;
pub mod editor_view;
pub mod help;
pub mod import;
pub mod keymap;
pub mod linediff;
pub mod lint;
pub mod overlay;
pub mod properties;
pub mod recovery;
pub mod reports;
pub mod reports_view;
pub mod rule_editor;
pub mod rule_editor_disk;
pub mod rule_editor_input;
pub mod rule_editor_view;
pub mod rule_tester;
pub mod rule_tester_view;
pub mod screen;
pub mod settings;
pub mod sync;
pub mod table;
pub mod tasks;
pub mod tasks_view;
pub mod template_editor;
pub mod template_editor_preview;
pub mod template_editor_save;
pub mod template_editor_view;
pub mod templates;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod workitems;
pub mod workspace;

/// The editing core under its former name here, for code written against `tui::command`.
pub use crate::edit as command;

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context as _;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, MouseEventKind};

use crate::repo::watch::{WatchMode, Watcher};
use app::{App, Effect};
use keymap::Keymap;
use theme::Theme;

/// How the TUI was asked to start.
#[derive(Debug, Clone)]
pub struct Options {
    pub repository: PathBuf,
    pub poll: bool,
    pub mouse: bool,
}

/// What wakes the event loop.
enum AppEvent {
    Terminal(Event),
    RepoChanged,
    /// Something under `.bpe/locks` changed (the repository watcher ignores `.bpe/`).
    LocksChanged,
    Signal(i32),
    /// Time to check that the edit lock was not broken (the lock module refreshes it).
    LockCheck,
    InputFailed(String),
    /// The full repository loaded in the background ([`app::load_in_background`]).
    Loaded(Box<(crate::repo::Repository, Vec<browser::Badges>)>),
}

/// Run the TUI until the user quits (or a signal ends it). Returns the exit code.
pub fn run(options: Options) -> anyhow::Result<i32> {
    let user_file = Keymap::user_file();
    let (keymap, keymap_error) = Keymap::load(user_file.as_deref());
    let mut app = App::new_summaries(&options.repository, keymap, Theme::from_env())
        .with_context(|| format!("cannot open {}", options.repository.display()))?;
    if let Some(e) = keymap_error {
        app.warn(format!("user keymap ignored: {e}"));
    }
    let settings_file = settings::Settings::user_file();
    let (user_settings, settings_error) = settings::Settings::load(settings_file.as_deref());
    app.settings = user_settings;
    app.settings_file = settings_file;
    if let Some(e) = settings_error {
        app.warn(e);
    }

    let (tx, rx) = mpsc::channel::<AppEvent>();
    spawn_signal_thread(tx.clone())?;
    spawn_lock_check(tx.clone());

    terminal::install_panic_hook();
    terminal::enter(options.mouse).context("cannot set up the terminal")?;
    let result = event_loop(&mut app, &options, &rx, tx);
    terminal::restore();
    recovery::clear_published();
    result
}

fn spawn_signal_thread(tx: mpsc::Sender<AppEvent>) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGTERM};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGTERM, SIGHUP]).context("cannot watch signals")?;
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            let _ = tx.send(AppEvent::Signal(sig));
        }
    });
    Ok(())
}

fn spawn_lock_check(tx: mpsc::Sender<AppEvent>) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(15));
            if tx.send(AppEvent::LockCheck).is_err() {
                break;
            }
        }
    });
}

fn spawn_input_thread(tx: mpsc::Sender<AppEvent>) {
    std::thread::spawn(move || {
        loop {
            match event::read() {
                Ok(ev) => {
                    if tx.send(AppEvent::Terminal(ev)).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = tx.send(AppEvent::InputFailed(e.to_string()));
                    break;
                }
            }
        }
    });
}

/// Watch the repository (OS events, or polling with `--poll`); every change
/// wakes the loop. A watcher that cannot start is reported, not fatal.
/// The repository's and the locks' watchers, for the caller to keep alive; one
/// that cannot start is a warning on the status line.
fn start_watchers(
    app: &mut App,
    options: &Options,
    tx: &mpsc::Sender<AppEvent>,
) -> (Option<Watcher>, Option<Watcher>) {
    let watcher = spawn_watcher(options, tx.clone())
        .map_err(|e| app.warn(format!("not watching the repository for changes: {e}")))
        .ok();
    let locks_watcher = spawn_locks_watcher(options, tx.clone())
        .map_err(|e| app.warn(format!("not watching the locks for changes: {e}")))
        .ok();
    (watcher, locks_watcher)
}

fn spawn_watcher(options: &Options, tx: mpsc::Sender<AppEvent>) -> Result<Watcher, String> {
    let mode = if options.poll {
        WatchMode::Poll(Duration::from_millis(POLL_INTERVAL_MS))
    } else {
        WatchMode::Events
    };
    Watcher::start_with(&options.repository, mode, move |_change| {
        let _ = tx.send(AppEvent::RepoChanged);
    })
    .map_err(|e| e.to_string())
}

/// Watch `.bpe/locks` (created when missing, inside the repository) so the
/// debug view's locks pane follows other processes' runs and edits live. The
/// repository watcher skips `.bpe/`; this one has the locks directory as its
/// root, so lock and holder files are ordinary files to it.
fn spawn_locks_watcher(options: &Options, tx: mpsc::Sender<AppEvent>) -> Result<Watcher, String> {
    let dir = std::path::Path::new(crate::repo::lock::LOCK_DIR);
    crate::repo::confine::create_dir(&options.repository, dir).map_err(|e| e.to_string())?;
    let mode = if options.poll {
        WatchMode::Poll(Duration::from_millis(POLL_INTERVAL_MS))
    } else {
        WatchMode::Events
    };
    Watcher::start_with(&options.repository.join(dir), mode, move |_change| {
        let _ = tx.send(AppEvent::LocksChanged);
    })
    .map_err(|e| e.to_string())
}

/// Polling interval of `--poll`.
pub const POLL_INTERVAL_MS: u64 = 1000;

/// Clear the whole screen and make the next draw a full one, without asking the
/// terminal where its cursor is. (`Terminal::clear` saves and restores the cursor
/// through a cursor-position query, `ESC [ 6 n`; a terminal or multiplexer that does
/// not answer made crossterm wait 2 s per query and nothing was drawn meanwhile.
/// Full screen with a hidden cursor, there is nothing to restore.) `resize` to the
/// current size clears the screen and resets ratatui's back buffer.
fn clear<W: Write>(term: &mut Terminal<CrosstermBackend<W>>) -> io::Result<()> {
    let size = term.size()?;
    term.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
}

fn event_loop(
    app: &mut App,
    options: &Options,
    rx: &mpsc::Receiver<AppEvent>,
    tx: mpsc::Sender<AppEvent>,
) -> anyhow::Result<i32> {
    let backend = CrosstermBackend::new(io::stdout());
    let mut term = Terminal::new(backend)?;
    clear(&mut term)?;
    if let Ok(size) = term.size() {
        sync::resized(app, size.width, size.height);
    }
    let loaded = tx.clone();
    spawn_input_thread(tx);
    // A repository loaded in full is watched from before its first frame (a
    // change after the load is reported). On a large one, watching and the
    // full load start once the first frame is out, so that they do not share
    // the cores with it (docs/repository.md, "The definition index"); the
    // watchers first: a change made before the full load reads the files is in
    // what it reads, one made after is reported.
    let mut watchers = app
        .loading
        .is_none()
        .then(|| start_watchers(app, options, &loaded));
    term.draw(|f| view::view(app, f))?;
    if watchers.is_none() {
        watchers = Some(start_watchers(app, options, &loaded));
        if app.notice.is_some() {
            term.draw(|f| view::view(app, f))?;
        }
    }
    let _watchers = watchers;
    if app.loading.is_some() {
        app::load_in_background(&app.root, move |repo, badges| {
            let _ = loaded.send(AppEvent::Loaded(Box::new((repo, badges))));
        });
    }
    loop {
        // Block for the next event, then take everything already queued (a
        // resize storm, pasted text) before drawing once.
        let first = rx.recv().context("event channel closed")?;
        let mut effects = Vec::new();
        let mut repo_changed = false;
        let mut locks_changed = false;
        let mut pending = Some(first);
        while let Some(ev) = pending.take().or_else(|| rx.try_recv().ok()) {
            match ev {
                AppEvent::Terminal(Event::Key(key)) => effects.extend(app.handle_key(key)),
                AppEvent::Terminal(Event::Resize(w, h)) => {
                    sync::resized(app, w, h);
                }
                AppEvent::Terminal(Event::Mouse(m)) => {
                    let action = match m.kind {
                        MouseEventKind::ScrollUp => Some(action::Action::Up),
                        MouseEventKind::ScrollDown => Some(action::Action::Down),
                        _ => None,
                    };
                    if let Some(a) = action {
                        effects.extend(app::update(app, a));
                    }
                }
                AppEvent::Terminal(_) => {}
                // A burst of file events (a git pull) reloads once.
                AppEvent::RepoChanged => repo_changed = true,
                AppEvent::LocksChanged => {
                    locks_changed = true;
                    // A runner that ended or was killed closed its lock files.
                    if app.screen == app::Screen::Browser {
                        app.browser.recount_running(&app.repo);
                    }
                }
                AppEvent::LockCheck => {
                    if let Some(editor::LockState::Held(guard)) =
                        app.editor.as_ref().map(|e| &e.lock)
                        && let Err(e) = guard.check()
                    {
                        app.error(format!("edit lock: {e}"));
                    }
                    if let Some(rule_editor::RuleLock::Held { guard, .. }) =
                        app.rule_editor.as_ref().map(|r| &r.lock)
                        && let Err(e) = guard.check()
                    {
                        app.error(format!("rule edit lock: {e}"));
                    }
                    // A runner killed outright changes no file: the tasks screen
                    // notices its case is interrupted on this timer.
                    locks_changed |= app.screen == app::Screen::Tasks;
                    if app.screen == app::Screen::Browser {
                        app.browser.recount_running(&app.repo);
                    }
                    continue;
                }
                AppEvent::Signal(sig) => {
                    let kept = recovery::write_published();
                    terminal::restore();
                    for path in kept {
                        eprintln!("bpe: unsaved edits kept in {}", path.display());
                    }
                    return Ok(128 + sig);
                }
                AppEvent::InputFailed(e) => anyhow::bail!("cannot read the terminal: {e}"),
                AppEvent::Loaded(full) => {
                    let (repo, badges) = *full;
                    app.finish_loading(repo, badges);
                }
            }
            if app.quit {
                return Ok(0);
            }
        }
        if repo_changed {
            sync::repository_changed(app);
            app::refresh_screens(app);
        } else if locks_changed && matches!(app.screen, app::Screen::DebugView | app::Screen::Tasks)
        {
            // Runs taking and releasing their locks: who holds what, which case
            // is running or interrupted.
            app.refresh(app.screen);
        }
        for effect in effects {
            match effect {
                Effect::WriteRaw(s) => {
                    let mut out = io::stdout();
                    out.write_all(s.as_bytes())?;
                    out.flush()?;
                }
                Effect::ClearScreen => clear(&mut term)?,
            }
        }
        term.draw(|f| view::view(app, f))?;
    }
}
