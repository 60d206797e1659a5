//! The application state and the one way through it:
//! key -> [`Keymap`] -> [`Action`] -> [`update`] -> [`Effect`]s, and
//! [`super::view::view`] drawing `&App` (never mutating it).
//!
//! Screens live in their own modules with their own state, each state type
//! implementing [`super::screen::ScreenOps`] over a small
//! [`super::screen::Ctx`] (never over `App`); [`Screen`] says which one is in
//! front and [`App::with_screen`] (in `screen.rs`) is the one place that routes
//! to them. A screen's update returns [`Request`]s that [`App::carry_out`]
//! performs from one queue; what only the terminal can do comes back from
//! [`update`] as [`Effect`]s. The popups' keys are in `overlay.rs`, opening and
//! closing the editor and the debugger in `app_editor.rs`.

use std::path::{Path, PathBuf};

use crate::repo::Repository;
use ratatui::crossterm::event::{KeyEvent, KeyEventKind};

use super::action::Action;
use super::ask::Prompt;
use super::browser::BrowserState;
use super::editor::EditorState;
use super::keymap::{Context, Keymap};
use super::recovery::RecoveryCopy;
use super::screen::Request;
use super::theme::Theme;
use super::{debug_view, debugger, reports, sync, tasks, workitems};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Browser,
    Editor,
    Tasks,
    WorkItems,
    DebugView,
    Debugger,
    Reports,
    RuleTester,
    TemplateEditor,
    RuleEditor,
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
    AddVariable { scope: crate::edit::VarScope },
    /// A new entry of an action's list: an argument's name, a variable name, `from -> to`.
    AddItem {
        action: (usize, usize),
        list: crate::edit::ItemList,
    },
    /// Path of a Waveset XML file to import (browser).
    ImportFile,
    /// The name of an activity, action or variable to select (editor `/`).
    JumpTo,
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
        target: crate::edit::ElementRef,
        key: crate::edit::FieldKey,
    },
    /// What to add to the selected action (catalogue arguments first, then its lists).
    AddItem {
        action: (usize, usize),
        choices: Vec<super::editor::AddChoice>,
    },
    /// What to compare the open workflow with (editor `=`).
    DiffAgainst(Vec<super::diff_view::Base>),
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
    /// The one prompt type (the screens' own prompts are the same [`Prompt`]).
    Prompt(Prompt<PromptPurpose>),
    Picker {
        purpose: PickerPurpose,
        items: Vec<String>,
        selected: usize,
    },
    /// What an import would write; waits for replace / skip / cancel.
    Import(super::import::ImportPlan),
    /// A yes/no question of the app (`y` does it, `n` / Esc does not).
    Question(super::ask::Question<AppAsk>),
}

/// What an app-level yes/no question is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppAsk {
    /// Quit although a debug run is live (it is stopped).
    QuitStoppingRun,
    /// Save the open workflow although validation found errors.
    SaveWithErrors,
    /// Approve or reject this work item (the work items screen).
    Decide {
        item: String,
        decision: &'static str,
    },
    /// Approve or reject this pending work item of the debug run (the debugger).
    DecideInRun {
        item: String,
        decision: &'static str,
    },
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
    pub reports: reports::ReportsState,
    pub rule_tester: super::rule_tester::RuleTesterState,
    /// The email template editor, while a template is open (it holds the template's edit lock).
    pub template_editor: Option<super::template_editor::TemplateEditorState>,
    /// The rule open in the rule editor (`tui::rule_editor`).
    pub rule_editor: Option<super::rule_editor::RuleEditorState>,
    pub overlay: Option<Overlay>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub notice: Option<Notice>,
    pub quit: bool,
    /// Last known terminal size (columns, rows): update uses it to keep the
    /// selection in sight; view uses the real frame size.
    pub size: (u16, u16),
    /// While the full definitions load in the background ([`App::new_summaries`]):
    /// their summaries from the index, which the browser shows meanwhile.
    pub loading: Option<Vec<crate::repo::Loaded<crate::repo::DefinitionSummary>>>,
    /// Per-user settings (`tui::settings`); `settings_file` is where changes are
    /// remembered (None: not remembered, as in tests).
    pub settings: super::settings::Settings,
    pub settings_file: Option<PathBuf>,
}

impl App {
    /// Open a repository with the given keymap and theme. Recovery copies found
    /// in it are offered at once.
    pub fn new(root: &Path, keymap: Keymap, theme: Theme) -> Result<App, crate::repo::OpenError> {
        Ok(App::with_repository(
            root,
            Repository::open(root)?,
            keymap,
            theme,
        ))
    }

    /// [`App::new`] for a first frame that does not wait for every definition
    /// (on a repository of at least `INDEX_MIN_FILES` definitions; smaller ones open in full):
    /// the browser lists the summaries of the definition index
    /// ([`Repository::open_overview`]) until [`App::finish_loading`] brings
    /// the full repository ([`load_in_background`]).
    pub fn new_summaries(
        root: &Path,
        keymap: Keymap,
        theme: Theme,
    ) -> Result<App, crate::repo::OpenError> {
        let overview = Repository::open_overview(root)?;
        if overview.definitions.len() < crate::repo::index::INDEX_MIN_FILES {
            // Small: loading in full costs nothing, and no key waits for it.
            return App::new(root, keymap, theme);
        }
        let mut app = App::with_repository(root, overview.repo, keymap, theme);
        app.loading = Some(overview.definitions);
        Ok(app)
    }

    /// The full repository and the browser's badges have loaded: show them
    /// (unless a reload after a change on disk already did).
    pub fn finish_loading(&mut self, repo: Repository, badges: Vec<super::browser::Badges>) {
        if self.loading.take().is_some() {
            self.repo = repo;
            self.browser.badges = badges;
            self.browser.file_badges = super::browser::file_badges(&self.repo);
            // The loading view showed the first workflow selected: start from it.
            self.browser.entries.clear();
            self.browser.selected = 0;
            self.browser.refilter(&self.repo);
        }
    }

    fn with_repository(root: &Path, repo: Repository, keymap: Keymap, theme: Theme) -> App {
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
            rule_tester: Default::default(),
            template_editor: None,
            rule_editor: None,
            debugger: None,
            reports: Default::default(),
            overlay: None,
            keymap,
            theme,
            notice: None,
            quit: false,
            size: (120, 40),
            loading: None,
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
        app
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
            || self.template_editor.as_ref().is_some_and(|t| t.is_dirty())
            || self.rule_editor.as_ref().is_some_and(|r| r.is_dirty())
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
                Overlay::Prompt(_) => vec![Context::TextEdit],
                Overlay::Picker { .. } => vec![Context::Picker, Context::Navigate],
                Overlay::Import(_) => vec![Context::Import],
                Overlay::Question(_) => vec![Context::Question],
            };
        }
        self.screen_contexts()
    }

    /// The contexts of the screen in front (under any overlay).
    pub fn screen_contexts(&self) -> Vec<Context> {
        self.with_screen_ref(self.screen, |s, cx| s.contexts(cx))
            .unwrap_or_else(|| vec![Context::Global])
    }

    /// A key from the terminal: the keymap decides; text fields take the rest.
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        // Behind "terminal too small" nothing is visible to act on: only the
        // global keys (quit, help, redraw) work.
        let too_small = self.size.0 < super::view::MIN_COLS || self.size.1 < super::view::MIN_ROWS;
        let contexts = if too_small {
            vec![Context::Global]
        } else {
            self.contexts()
        };
        match self.keymap.lookup(&contexts, &key) {
            Some(Action::Help) if too_small => Vec::new(),
            None if too_small => Vec::new(),
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
        if let Some(Overlay::Prompt(p)) = &mut self.overlay {
            if p.input.input(key) {
                p.error = None;
            }
            return;
        }
        if self.overlay.is_some() {
            return;
        }
        if let Some(((), requests)) = self.with_screen(self.screen, |s, cx| s.text_input(cx, key)) {
            self.carry_out_quietly(requests);
        }
    }

    /// One action for the screen in front (no overlay, no global key): the
    /// requests it made through its context, then those it returned.
    pub fn update_screen(&mut self, action: Action) -> Vec<Request> {
        match self.with_screen(self.screen, |s, cx| s.update(cx, action)) {
            Some((mut returned, mut requests)) => {
                requests.append(&mut returned);
                requests
            }
            None => vec![Request::Show(Screen::Browser)],
        }
    }

    /// Re-read what `screen` shows from the loaded repository.
    pub fn refresh(&mut self, screen: Screen) {
        if let Some(((), requests)) = self.with_screen(screen, |s, cx| s.refresh(cx)) {
            self.carry_out_quietly(requests);
        }
    }

    /// Perform what updates asked for, in order, from one queue (a request may
    /// queue more). Returns what only the terminal can do.
    pub fn carry_out(&mut self, requests: Vec<Request>) -> Vec<Effect> {
        let mut queue: std::collections::VecDeque<Request> = requests.into();
        let mut effects = Vec::new();
        while let Some(request) = queue.pop_front() {
            match request {
                Request::Show(screen) => show_screen(self, screen),
                Request::Reload => {
                    sync::reload_repository(self);
                    refresh_screens(self);
                    // Its findings depend on the repository (rules, subprocesses).
                    self.editor_changed();
                }
                Request::WriteRaw(s) => effects.push(Effect::WriteRaw(s)),
                Request::ClearScreen => effects.push(Effect::ClearScreen),
                Request::Quit => self.quit = true,
                Request::Notice(notice) => self.notice = Some(notice),
                Request::OpenWorkflow(path) => {
                    match self.repo.definitions.iter().position(|d| d.path == path) {
                        Some(i) => super::app_editor::open(self, i),
                        None => self.error(format!(
                            "{} is not a workflow of this repository",
                            crate::model::escape_name(&path.display().to_string())
                        )),
                    }
                }
                Request::OpenRule(path) => {
                    queue.extend(super::app_editor::open_rule(self, &path));
                }
                Request::CloseRuleEditor => super::app_editor::close_rule_editor(self),
                Request::OpenTemplate(index) => {
                    let cx = super::screen::ctx!(self);
                    let env = super::template_editor::Env::of(&cx);
                    queue.extend(super::template_editor::open(
                        &mut self.template_editor,
                        env,
                        index,
                    ));
                }
                Request::CloseTemplateEditor => self.template_editor = None,
                Request::RememberTemplateValues { template, values } => {
                    super::app_editor::remember_template_values(self, &template, &values)
                }
                Request::ClearNotice => self.notice = None,
                Request::Overlay(overlay) => self.overlay = Some(*overlay),
                Request::OpenDefinition(index) => super::app_editor::open(self, index),
                Request::CloseEditor => super::app_editor::request_close(self),
                Request::BackToEditor => {
                    let screen = if self.editor.is_some() {
                        Screen::Editor
                    } else {
                        Screen::Browser
                    };
                    show_screen(self, screen);
                }
                Request::OpenCase(id) => {
                    let mut cx = super::screen::ctx!(self);
                    let shown = tasks::show_instance(&mut self.tasks, &mut cx, &id);
                    queue.extend(cx.into_requests());
                    if shown {
                        queue.push_back(Request::Show(Screen::Tasks));
                    }
                }
                Request::ResizeProperties(steps) => {
                    super::app_editor::resize_properties(self, steps)
                }
            }
        }
        effects
    }
}

/// Apply one action to the app and carry out what it asks for.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let requests = dispatch(app, action);
    app.carry_out(requests)
}

/// Route one action: global keys, then the overlay, then the screen in front.
fn dispatch(app: &mut App, action: Action) -> Vec<Request> {
    match action {
        Action::Redraw => return vec![Request::ClearScreen],
        Action::Quit
            if app.overlay.is_none()
                || matches!(
                    app.overlay,
                    Some(Overlay::Help { .. } | Overlay::Recovery { .. })
                ) =>
        {
            super::overlay::request_quit(app);
            return Vec::new();
        }
        Action::Help if app.overlay.is_none() => {
            app.overlay = Some(Overlay::Help { scroll: 0 });
            return Vec::new();
        }
        _ => {}
    }
    if app.overlay.is_some() {
        return super::overlay::update_overlay(app, action);
    }
    match (app.screen, action) {
        (_, Action::ShowWorkflows) => vec![Request::Show(Screen::Browser)],
        (_, Action::ShowTasks) => vec![Request::Show(Screen::Tasks)],
        (_, Action::ShowWorkItems) => vec![Request::Show(Screen::WorkItems)],
        (_, Action::ShowDebugView) => vec![Request::Show(Screen::DebugView)],
        (_, Action::ShowReports) => vec![Request::Show(Screen::Reports)],
        (Screen::Editor, Action::Debug) => super::app_editor::start_debugger(app),
        _ => app.update_screen(action),
    }
}

/// Bring a screen to the front with fresh data. Leaving the editor keeps it
/// open (the browser's Enter or the debugger's Esc comes back to it).
pub fn show_screen(app: &mut App, screen: Screen) {
    if screen == Screen::Debugger && app.debugger.is_none() {
        app.warn("no debug run: open a workflow and press D (F5)");
        return;
    }
    if screen == Screen::TemplateEditor && app.template_editor.is_none() {
        app.warn("no template is open: Enter on one in the browser opens it");
        return;
    }
    if screen == Screen::RuleEditor && app.rule_editor.is_none() {
        app.warn("no rule is open: Enter on a rule in the browser opens one");
        return;
    }
    if screen == Screen::Editor && app.editor.is_none() {
        app.warn("no workflow is open: Enter in the browser opens one");
        return;
    }
    app.refresh(screen);
    app.screen = screen;
}

/// The repository changed (on disk or through a store operation): refresh the
/// operations screens from the reloaded repository.
pub fn refresh_screens(app: &mut App) {
    app.refresh(Screen::Tasks);
    app.refresh(Screen::WorkItems);
    if app.screen == Screen::DebugView {
        app.refresh(Screen::DebugView);
    }
    let shown = app.screen == Screen::Reports;
    let mut cx = super::screen::ctx!(app);
    reports::repository_changed(&mut app.reports, &mut cx, shown);
    let requests = cx.into_requests();
    app.carry_out_quietly(requests);
    if app.screen == Screen::RuleTester {
        app.refresh(Screen::RuleTester);
    }
    app.refresh(Screen::TemplateEditor);
    // The open rule follows its file (reload, conflict or gone).
    if let Some(r) = app.rule_editor.as_mut() {
        let out = r.sync_with_disk(&app.root, &app.repo);
        app.carry_out(out);
    }
}

/// Load the full repository and the browser's badges on a thread of their own
/// and hand them to `done` (for [`App::finish_loading`]).
pub fn load_in_background(
    root: &Path,
    done: impl FnOnce(Repository, Vec<super::browser::Badges>) + Send + 'static,
) {
    let root = root.to_path_buf();
    std::thread::spawn(move || {
        if let Ok(repo) = Repository::open(&root) {
            let badges = super::browser::badges(&repo);
            done(repo, badges);
        }
    });
}
