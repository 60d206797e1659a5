//! The one shape every screen has: [`ScreenOps`] (contexts, text input, update
//! returning [`Request`]s, view, refresh), looked up once per call through
//! [`Screen::ops`] — the only `match` over the screens.
//!
//! A screen's `update` changes its own state and says what else should happen
//! as requests (switch screens, re-read the repository, terminal output, quit);
//! [`super::app::App::carry_out`] performs them in order from one queue, the way
//! gitui's internal-event queue and serie's app events do. Requests may queue
//! further requests (a reload refreshes every screen); the queue is drained
//! before the next draw.
//!
//! Invariants: a screen never switches `app.screen` itself (it asks with
//! [`Request::Show`]); `view` never mutates; `refresh` re-reads what the screen
//! shows from the repository already loaded in `app.repo` (no reload of its own).

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

use super::action::Action;
use super::app::{App, Screen};
use super::keymap::Context;
use super::{browser, debug_view, debugger, debugger_view, editor, editor_view, tasks, workitems};
use super::{reports, reports_view};

/// What a screen's `update` asks the app to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Bring this screen to the front (refreshing it first).
    Show(Screen),
    /// Re-read the repository (after a store operation) and refresh every screen.
    Reload,
    /// Write this escape sequence (OSC 52 copy) to the terminal.
    WriteRaw(String),
    /// Clear and redraw everything (after `Ctrl-L`).
    ClearScreen,
    /// Leave the TUI (the caller asked any question first).
    Quit,
    /// Say this on the status line (replacing what it said).
    Notice(super::app::Notice),
    /// Open this workflow file (relative) in the workflow editor.
    OpenWorkflow(std::path::PathBuf),
    /// Open this rule file (relative) in the rule editor.
    OpenRule(std::path::PathBuf),
    /// Close the rule editor (it asked any question first), releasing its lock.
    CloseRuleEditor,
}

/// One screen: everything [`App`] needs to route keys to it and draw it.
pub trait ScreenOps: Sync {
    /// The keymap contexts whose bindings apply now, most specific first.
    fn contexts(&self, app: &App) -> Vec<Context>;
    /// A key no binding claimed (typed into the screen's focused text field).
    fn text_input(&self, _app: &mut App, _key: KeyEvent) {}
    /// Apply one action; what else should happen comes back as requests.
    fn update(&self, app: &mut App, action: Action) -> Vec<Request>;
    /// Draw into `area` (never mutates).
    fn view(&self, app: &App, frame: &mut Frame, area: Rect);
    /// Re-read what the screen shows from `app.repo`.
    fn refresh(&self, _app: &mut App) {}
}

impl Screen {
    /// The screen's operations: the one place that lists the screens.
    pub fn ops(self) -> &'static dyn ScreenOps {
        match self {
            Screen::Browser => &Browser,
            Screen::Editor => &Editor,
            Screen::Tasks => &Tasks,
            Screen::WorkItems => &WorkItems,
            Screen::DebugView => &DebugView,
            Screen::Debugger => &Debugger,
            Screen::Reports => &Reports,
            Screen::RuleTester => &RuleTester,
            Screen::TemplateEditor => &TemplateEditor,
            Screen::RuleEditor => &RuleEditor,
        }
    }

    /// Every screen, in digit-key order after the workflows browser.
    pub const ALL: [Screen; 7] = [
        Screen::Browser,
        Screen::Tasks,
        Screen::WorkItems,
        Screen::DebugView,
        Screen::Editor,
        Screen::Debugger,
        Screen::Reports,
    ];
}

struct Browser;
struct Editor;
struct Tasks;
struct WorkItems;
struct DebugView;
struct Debugger;
struct Reports;
struct RuleTester;
struct TemplateEditor;
struct RuleEditor;

impl ScreenOps for Browser {
    fn contexts(&self, app: &App) -> Vec<Context> {
        browser::contexts(app)
    }
    fn text_input(&self, app: &mut App, key: KeyEvent) {
        browser::text_input(app, key)
    }
    fn update(&self, app: &mut App, action: Action) -> Vec<Request> {
        browser::update(app, action)
    }
    fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        browser::view(app, frame, area)
    }
    fn refresh(&self, app: &mut App) {
        app.browser.refresh(&app.repo)
    }
}

impl ScreenOps for Editor {
    fn contexts(&self, app: &App) -> Vec<Context> {
        editor::contexts(app)
    }
    fn text_input(&self, app: &mut App, key: KeyEvent) {
        editor::text_input(app, key)
    }
    fn update(&self, app: &mut App, action: Action) -> Vec<Request> {
        editor::update(app, action)
    }
    fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        editor_view::view(app, frame, area)
    }
    fn refresh(&self, app: &mut App) {
        editor::after_change(app)
    }
}

impl ScreenOps for Tasks {
    fn contexts(&self, app: &App) -> Vec<Context> {
        tasks::contexts(app)
    }
    fn update(&self, app: &mut App, action: Action) -> Vec<Request> {
        tasks::update(app, action)
    }
    fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        tasks::view(app, frame, area)
    }
    fn refresh(&self, app: &mut App) {
        tasks::refresh(app)
    }
}

impl ScreenOps for WorkItems {
    fn contexts(&self, app: &App) -> Vec<Context> {
        workitems::contexts(app)
    }
    fn text_input(&self, app: &mut App, key: KeyEvent) {
        workitems::text_input(app, key)
    }
    fn update(&self, app: &mut App, action: Action) -> Vec<Request> {
        workitems::update(app, action)
    }
    fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        workitems::view(app, frame, area)
    }
    fn refresh(&self, app: &mut App) {
        workitems::refresh(app)
    }
}

impl ScreenOps for DebugView {
    fn contexts(&self, app: &App) -> Vec<Context> {
        debug_view::contexts(app)
    }
    fn update(&self, app: &mut App, action: Action) -> Vec<Request> {
        debug_view::update(app, action)
    }
    fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        debug_view::view(app, frame, area)
    }
    fn refresh(&self, app: &mut App) {
        debug_view::refresh(app)
    }
}

impl ScreenOps for Debugger {
    fn contexts(&self, app: &App) -> Vec<Context> {
        debugger::contexts(app)
    }
    fn text_input(&self, app: &mut App, key: KeyEvent) {
        debugger::text_input(app, key)
    }
    fn update(&self, app: &mut App, action: Action) -> Vec<Request> {
        debugger::update(app, action)
    }
    fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        debugger_view::view(app, frame, area)
    }
}

impl ScreenOps for Reports {
    fn contexts(&self, app: &App) -> Vec<Context> {
        reports::contexts(app)
    }
    fn update(&self, app: &mut App, action: Action) -> Vec<Request> {
        reports::update(app, action)
    }
    fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        reports_view::view(app, frame, area)
    }
    fn refresh(&self, app: &mut App) {
        reports::refresh(app)
    }
}

impl ScreenOps for RuleTester {
    fn contexts(&self, app: &App) -> Vec<Context> {
        super::rule_tester::contexts(app)
    }
    fn text_input(&self, app: &mut App, key: KeyEvent) {
        super::rule_tester::text_input(app, key)
    }
    fn update(&self, app: &mut App, action: Action) -> Vec<Request> {
        super::rule_tester::update(app, action)
    }
    fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        super::rule_tester_view::view(app, frame, area)
    }
    fn refresh(&self, app: &mut App) {
        super::rule_tester::refresh(app)
    }
}

impl ScreenOps for TemplateEditor {
    fn contexts(&self, app: &App) -> Vec<Context> {
        match &app.template_editor {
            Some(te) => te.contexts(),
            None => vec![Context::Global],
        }
    }
    fn text_input(&self, app: &mut App, key: KeyEvent) {
        if let Some(te) = app.template_editor.as_mut() {
            te.text_input(&app.root, key)
        }
    }
    fn update(&self, app: &mut App, action: Action) -> Vec<Request> {
        let (slot, env) = super::template_editor::split_app(app);
        let Some(te) = slot.as_mut() else {
            return vec![Request::Show(Screen::Browser)];
        };
        let mut close = false;
        let requests = te.update(env, action, &mut close);
        if close {
            *slot = None;
        }
        requests
    }
    fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        if let Some(te) = &app.template_editor {
            let env = super::template_editor_view::ViewEnv {
                theme: &app.theme,
                keymap: &app.keymap,
            };
            super::template_editor_view::view(te, &env, frame, area)
        }
    }
    fn refresh(&self, app: &mut App) {
        if let Some(te) = app.template_editor.as_mut() {
            te.refresh(&app.repo)
        }
    }
}

impl ScreenOps for RuleEditor {
    fn contexts(&self, app: &App) -> Vec<Context> {
        super::rule_editor::contexts(app)
    }
    fn text_input(&self, app: &mut App, key: KeyEvent) {
        if let Some(r) = app.rule_editor.as_mut() {
            r.text_input(key)
        }
    }
    fn update(&self, app: &mut App, action: Action) -> Vec<Request> {
        match app.rule_editor.as_mut() {
            Some(r) => r.update(&app.root, &app.repo, action),
            None => vec![Request::Show(Screen::Browser)],
        }
    }
    fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        super::rule_editor_view::view(app, frame, area)
    }
}
