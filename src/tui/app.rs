//! The application state and the one way through it:
//! key -> [`Keymap`] -> [`Action`] -> [`update`] -> [`Effect`]s, and
//! [`super::view::view`] drawing `&App` (never mutating it).
//!
//! Screens live in their own modules with their own state (`browser`,
//! `editor`); [`Screen`] says which one is in front. A new screen adds a
//! variant, a module with `contexts`, `update` and `view`, and one arm in each
//! `match` below.

use std::path::{Path, PathBuf};

use ratatui::crossterm::event::{KeyEvent, KeyEventKind};
use tui_textarea::TextArea;

use crate::repo::Repository;

use super::action::Action;
use super::browser::BrowserState;
use super::editor::EditorState;
use super::keymap::{Context, Keymap};
use super::recovery::RecoveryCopy;
use super::theme::Theme;
use super::{browser, debug_view, debugger, editor, tasks, workitems};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Browser,
    Editor,
    Tasks,
    WorkItems,
    DebugView,
    Debugger,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Warning,
    Error,
}

/// One status-line message; replaced by the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
}

/// What to do once the unsaved-changes question is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterConfirm {
    Quit,
    Close,
}

/// What a one-line prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptPurpose {
    /// Name of a new activity, inserted after (and connected from) this one.
    AddActivity { after: Option<usize> },
    /// Name of a new variable in this scope.
    AddVariable { scope: super::command::VarScope },
    /// A new entry of an action's list: an argument's name, a variable name, `from -> to`.
    AddItem {
        action: (usize, usize),
        list: super::command::ItemList,
    },
    /// Path of a Waveset XML file to import (browser).
    ImportFile,
}

/// What a list picker is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerPurpose {
    /// Target of a new transition from this activity.
    Connect { from: usize },
    /// Template of a new action in this activity.
    Template { activity: usize },
    /// A value for a property with a fixed set of choices.
    Choice {
        target: super::command::ElementRef,
        key: String,
    },
    /// What to add to the selected action (catalogue arguments first, then its lists).
    AddItem {
        action: (usize, usize),
        choices: Vec<super::editor::AddChoice>,
    },
}

/// A popup in front of the screen; it gets the keys first.
#[allow(clippy::large_enum_variant)] // one at a time, short-lived
pub enum Overlay {
    Help {
        scroll: u16,
    },
    ConfirmUnsaved {
        then: AfterConfirm,
    },
    /// The open, modified workflow changed on disk.
    Conflict,
    Recovery {
        copies: Vec<(PathBuf, RecoveryCopy)>,
        selected: usize,
    },
    Prompt {
        purpose: PromptPurpose,
        input: TextArea<'static>,
        error: Option<String>,
    },
    Picker {
        purpose: PickerPurpose,
        items: Vec<String>,
        selected: usize,
    },
    /// What an import would write; waits for replace / skip / cancel.
    Import(super::import::ImportPlan),
}

/// Side effects `update` asks the runtime for (terminal output it cannot do itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Write this escape sequence (OSC 52 copy) to the terminal.
    WriteRaw(String),
    /// Redraw everything (after `Ctrl-L`).
    ClearScreen,
}

pub struct App {
    pub root: PathBuf,
    pub repo: Repository,
    pub screen: Screen,
    pub browser: BrowserState,
    pub editor: Option<EditorState>,
    pub tasks: tasks::TasksState,
    pub work_items: workitems::WorkItemsState,
    pub debug_view: debug_view::DebugViewState,
    pub debugger: Option<debugger::DebuggerState>,
    pub overlay: Option<Overlay>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub notice: Option<Notice>,
    pub quit: bool,
    /// Last known terminal size (columns, rows): update uses it to keep the
    /// selection in sight; view uses the real frame size.
    pub size: (u16, u16),
    /// Per-user settings (`tui::settings`); `settings_file` is where changes are
    /// remembered (None: not remembered, as in tests).
    pub settings: super::settings::Settings,
    pub settings_file: Option<PathBuf>,
}

impl App {
    /// Open a repository with the given keymap and theme. Recovery copies found
    /// in it are offered at once.
    pub fn new(root: &Path, keymap: Keymap, theme: Theme) -> Result<App, crate::repo::OpenError> {
        let repo = Repository::open(root)?;
        let browser = BrowserState::new(&repo);
        let mut app = App {
            root: root.to_path_buf(),
            repo,
            screen: Screen::Browser,
            browser,
            editor: None,
            tasks: Default::default(),
            work_items: Default::default(),
            debug_view: Default::default(),
            debugger: None,
            overlay: None,
            keymap,
            theme,
            notice: None,
            quit: false,
            size: (120, 40),
            settings: Default::default(),
            settings_file: None,
        };
        let copies = super::recovery::list(root);
        if !copies.is_empty() {
            app.overlay = Some(Overlay::Recovery {
                copies,
                selected: 0,
            });
        }
        Ok(app)
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            kind: NoticeKind::Info,
            text: text.into(),
        });
    }
    pub fn warn(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            kind: NoticeKind::Warning,
            text: text.into(),
        });
    }
    pub fn error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            kind: NoticeKind::Error,
            text: text.into(),
        });
    }

    /// Whether there are edits that would be lost.
    pub fn has_unsaved(&self) -> bool {
        self.editor.as_ref().is_some_and(|e| e.is_dirty())
    }

    /// The contexts whose bindings apply now, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        if let Some(overlay) = &self.overlay {
            return match overlay {
                Overlay::Help { .. } => vec![Context::Help, Context::Navigate, Context::Global],
                Overlay::ConfirmUnsaved { .. } => vec![Context::Confirm],
                Overlay::Conflict => vec![Context::Conflict, Context::Navigate],
                Overlay::Recovery { .. } => {
                    vec![Context::Recovery, Context::Navigate, Context::Global]
                }
                Overlay::Prompt { .. } => vec![Context::TextEdit],
                Overlay::Picker { .. } => vec![Context::Picker, Context::Navigate],
                Overlay::Import(_) => vec![Context::Import],
            };
        }
        match self.screen {
            Screen::Browser => browser::contexts(self),
            Screen::Editor => editor::contexts(self),
            Screen::Tasks => tasks::contexts(self),
            Screen::WorkItems => workitems::contexts(self),
            Screen::DebugView => debug_view::contexts(self),
            Screen::Debugger => debugger::contexts(self),
        }
    }

    /// A key from the terminal: the keymap decides; text fields take the rest.
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        let contexts = self.contexts();
        match self.keymap.lookup(&contexts, &key) {
            Some(action) => {
                // The status line tells what the last action did: a message
                // stays until the next action, which replaces it (or clears it
                // when it has nothing to say).
                self.notice = None;
                update(self, action)
            }
            None => {
                self.text_input(key);
                Vec::new()
            }
        }
    }

    /// Keys no binding claimed: typed into whichever text field has focus.
    fn text_input(&mut self, key: KeyEvent) {
        if let Some(Overlay::Prompt { input, error, .. }) = &mut self.overlay {
            if input.input(key) {
                *error = None;
            }
            return;
        }
        if self.overlay.is_some() {
            return;
        }
        match self.screen {
            Screen::Browser => browser::text_input(self, key),
            Screen::Editor => editor::text_input(self, key),
            Screen::Tasks => tasks::text_input(self, key),
            Screen::WorkItems => workitems::text_input(self, key),
            Screen::DebugView => debug_view::text_input(self, key),
            Screen::Debugger => debugger::text_input(self, key),
        }
    }
}

/// Apply one action to the app.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Redraw => return vec![Effect::ClearScreen],
        Action::Quit
            if app.overlay.is_none()
                || matches!(
                    app.overlay,
                    Some(Overlay::Help { .. } | Overlay::Recovery { .. })
                ) =>
        {
            request_quit(app);
            return Vec::new();
        }
        Action::Help if app.overlay.is_none() => {
            app.overlay = Some(Overlay::Help { scroll: 0 });
            return Vec::new();
        }
        _ => {}
    }
    if app.overlay.is_some() {
        return update_overlay(app, action);
    }
    match (app.screen, action) {
        (_, Action::ShowWorkflows) => show_screen(app, Screen::Browser),
        (_, Action::ShowTasks) => show_screen(app, Screen::Tasks),
        (_, Action::ShowWorkItems) => show_screen(app, Screen::WorkItems),
        (_, Action::ShowDebugView) => show_screen(app, Screen::DebugView),
        (Screen::Editor, Action::Debug) => debugger::start_from_editor(app),
        (Screen::Browser, _) => return browser::update(app, action),
        (Screen::Editor, _) => return editor::update(app, action),
        (Screen::Tasks, _) => return tasks::update(app, action),
        (Screen::WorkItems, _) => return workitems::update(app, action),
        (Screen::DebugView, _) => return debug_view::update(app, action),
        (Screen::Debugger, _) => return debugger::update(app, action),
    }
    Vec::new()
}

/// Bring a screen to the front with fresh data. Leaving the editor keeps it
/// open (the browser's Enter or the debugger's Esc comes back to it).
pub fn show_screen(app: &mut App, screen: Screen) {
    match screen {
        Screen::Tasks => tasks::refresh(app),
        Screen::WorkItems => workitems::refresh(app),
        Screen::DebugView => debug_view::refresh(app),
        Screen::Browser | Screen::Editor | Screen::Debugger => {}
    }
    if screen == Screen::Debugger && app.debugger.is_none() {
        app.warn("no debug run: open a workflow and press D (F5)");
        return;
    }
    app.screen = screen;
}

/// The repository changed (on disk or through a store operation): refresh the
/// operations screens from the reloaded repository.
pub fn refresh_screens(app: &mut App) {
    tasks::refresh(app);
    workitems::refresh(app);
    if app.screen == Screen::DebugView {
        debug_view::refresh(app);
    }
}

fn request_quit(app: &mut App) {
    if app.has_unsaved() {
        app.overlay = Some(Overlay::ConfirmUnsaved {
            then: AfterConfirm::Quit,
        });
    } else {
        app.overlay = None;
        app.quit = true;
    }
}

fn update_overlay(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(overlay) = app.overlay.take() else {
        return Vec::new();
    };
    match overlay {
        Overlay::Help { scroll } => {
            let scroll = match action {
                Action::Back | Action::Help => return Vec::new(),
                Action::Up => scroll.saturating_sub(1),
                Action::Down => scroll.saturating_add(1),
                Action::PageUp => scroll.saturating_sub(app.size.1 / 2),
                Action::PageDown => scroll.saturating_add(app.size.1 / 2),
                Action::Top => 0,
                Action::Bottom => u16::MAX / 2,
                _ => scroll,
            };
            app.overlay = Some(Overlay::Help { scroll });
        }
        Overlay::ConfirmUnsaved { then } => match action {
            Action::Save => {
                if editor::save(app) {
                    finish_after_confirm(app, then);
                }
            }
            Action::Discard => {
                if let Some(ed) = &app.editor {
                    super::recovery::remove(&app.root, &ed.path);
                }
                editor::drop_changes(app);
                finish_after_confirm(app, then);
            }
            Action::Cancel => {}
            _ => app.overlay = Some(Overlay::ConfirmUnsaved { then }),
        },
        Overlay::Conflict => match action {
            Action::KeepMine => editor::keep_mine(app),
            Action::TakeTheirs => editor::take_theirs(app),
            Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                editor::scroll_conflict_diff(app, action);
                app.overlay = Some(Overlay::Conflict);
            }
            _ => app.overlay = Some(Overlay::Conflict),
        },
        Overlay::Recovery {
            mut copies,
            selected,
        } => match action {
            Action::Back => {}
            Action::Up => {
                app.overlay = Some(Overlay::Recovery {
                    selected: selected.saturating_sub(1),
                    copies,
                })
            }
            Action::Down => {
                let selected = (selected + 1).min(copies.len().saturating_sub(1));
                app.overlay = Some(Overlay::Recovery { copies, selected });
            }
            Action::Restore if selected < copies.len() => {
                let (file, copy) = copies.remove(selected);
                editor::restore_recovery(app, &file, copy);
            }
            Action::Discard if selected < copies.len() => {
                let (file, copy) = copies.remove(selected);
                let _ = std::fs::remove_file(&file);
                app.info(format!(
                    "discarded the recovery copy of {}",
                    copy.definition.name
                ));
                if !copies.is_empty() {
                    let selected = selected.min(copies.len() - 1);
                    app.overlay = Some(Overlay::Recovery { copies, selected });
                }
            }
            _ => app.overlay = Some(Overlay::Recovery { copies, selected }),
        },
        Overlay::Prompt {
            purpose,
            input,
            error,
        } => match action {
            Action::Cancel => {}
            Action::Accept => {
                let text = input.lines().join(" ");
                let answer = match purpose {
                    PromptPurpose::ImportFile => super::import::file_accepted(app, text.trim()),
                    _ => editor::prompt_accepted(app, purpose, text.trim()),
                };
                if let Err(message) = answer {
                    app.overlay = Some(Overlay::Prompt {
                        purpose,
                        input,
                        error: Some(message),
                    });
                }
            }
            _ => {
                app.overlay = Some(Overlay::Prompt {
                    purpose,
                    input,
                    error,
                })
            }
        },
        Overlay::Picker {
            purpose,
            items,
            selected,
        } => {
            let last = items.len().saturating_sub(1);
            let page = usize::from(app.size.1 / 2).max(1);
            let selected = match action {
                Action::Cancel | Action::Back => return Vec::new(),
                Action::Accept => {
                    editor::picker_accepted(app, purpose, selected);
                    return Vec::new();
                }
                Action::Up => selected.saturating_sub(1),
                Action::Down => (selected + 1).min(last),
                Action::PageUp => selected.saturating_sub(page),
                Action::PageDown => (selected + page).min(last),
                Action::Top => 0,
                Action::Bottom => last,
                _ => selected,
            };
            app.overlay = Some(Overlay::Picker {
                purpose,
                items,
                selected,
            });
        }
        Overlay::Import(plan) => match action {
            Action::Yes => super::import::confirmed(app, plan, true),
            Action::Skip => super::import::confirmed(app, plan, false),
            Action::Cancel => app.info(format!("import of {} cancelled", plan.file)),
            _ => app.overlay = Some(Overlay::Import(plan)),
        },
    }
    Vec::new()
}

fn finish_after_confirm(app: &mut App, then: AfterConfirm) {
    match then {
        AfterConfirm::Quit => app.quit = true,
        AfterConfirm::Close => editor::close_now(app),
    }
}
