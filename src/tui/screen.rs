//! The one shape every screen has: [`ScreenOps`] (contexts, text input, update
//! returning [`Request`]s, view, refresh), implemented by each screen's *own
//! state type* (`BrowserState`, `TasksState`, `EditorState`, …) over a small
//! context, [`Ctx`] — never over the whole [`App`].
//!
//! `Ctx` is what a screen may see of the app: the repository root, the loaded
//! [`Repository`], the theme, the key bindings, the user's settings, the terminal size and, while
//! the full repository loads, the index summaries; all read-only. What a screen
//! says or wants goes out through it: [`Ctx::info`] / [`Ctx::warn`] /
//! [`Ctx::error`] (the status line) and [`Ctx::request`] (anything else, in
//! order). `App` borrows its own fields apart to build a `Ctx` next to the
//! state in front ([`App::with_screen`], the only `match` over the screens),
//! then carries out the requests from one queue ([`App::carry_out`]), the way
//! gitui's internal-event queue and serie's app events do. What a screen needs
//! of another screen or of the app — open the editor on a definition, open a
//! case in the tasks screen, show an overlay (prompt, picker, question),
//! reload the repository, remember a setting, quit — is a [`Request`].
//!
//! Invariants: a screen never switches screens itself (it asks with
//! [`Request::Show`]); `view` and `contexts` never mutate; `refresh` re-reads
//! what the screen shows from `cx.repo` (no reload of its own: a screen that
//! wrote to the repository asks for [`Request::Reload`]). The optional states
//! (the editor, the debugger) are routed to only while they exist; the app
//! answers for them otherwise.
//!
//! To add a screen: give its state type an `impl ScreenOps` (only `contexts`,
//! `update` and `view` are required), add a `Screen` variant, a field on `App`
//! and its arm in [`App::with_screen`] / [`App::with_screen_ref`] (the macro
//! below keeps the two in one list). Functions of the screen take
//! `(&mut State, &mut Ctx)`; nothing of it takes `&mut App`.

use std::path::Path;

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

use crate::repo::{DefinitionSummary, Loaded, Repository};

use super::action::Action;
use super::app::{App, Notice, NoticeKind, Overlay, Screen};
use super::keymap::{Context, Keymap};
use super::settings::Settings;
use super::theme::Theme;

/// What a screen's `update` asks the app to do next.
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
    Notice(Notice),
    /// Clear the status line (what it said no longer holds).
    ClearNotice,
    /// Put this popup in front of the screen (a prompt, a picker, a question).
    Overlay(Box<Overlay>),
    /// Open `repo.definitions[index]` in the editor (the browser's Enter).
    OpenDefinition(usize),
    /// Close the editor, asking first when it has unsaved changes.
    CloseEditor,
    /// Back to the editor when a workflow is open, else to the browser (the
    /// debugger's Esc).
    BackToEditor,
    /// Select and open this TaskInstance in the tasks screen and show it.
    OpenCase(String),
    /// Give the editor's properties pane this many steps more (or fewer) of the
    /// width, and remember it in the user's settings.
    ResizeProperties(i16),
    /// Open this workflow file (relative) in the workflow editor.
    OpenWorkflow(std::path::PathBuf),
    /// Open this rule file (relative) in the rule editor.
    OpenRule(std::path::PathBuf),
    /// Close the rule editor (it asked any question first), releasing its lock.
    CloseRuleEditor,
    /// Open `repo.email_templates[index]` in the template editor (the browser's Enter).
    OpenTemplate(usize),
    /// Close the template editor (it asked any question first), releasing its lock.
    CloseTemplateEditor,
    /// Remember these preview values of the template in the user's settings.
    RememberTemplateValues {
        template: String,
        values: std::collections::BTreeMap<String, String>,
    },
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Show(s) => write!(f, "Show({s:?})"),
            Request::Reload => f.write_str("Reload"),
            Request::WriteRaw(s) => write!(f, "WriteRaw({s:?})"),
            Request::ClearScreen => f.write_str("ClearScreen"),
            Request::Quit => f.write_str("Quit"),
            Request::Notice(n) => write!(f, "Notice({n:?})"),
            Request::ClearNotice => f.write_str("ClearNotice"),
            Request::Overlay(_) => f.write_str("Overlay(..)"),
            Request::OpenDefinition(i) => write!(f, "OpenDefinition({i})"),
            Request::CloseEditor => f.write_str("CloseEditor"),
            Request::BackToEditor => f.write_str("BackToEditor"),
            Request::OpenCase(id) => write!(f, "OpenCase({id:?})"),
            Request::ResizeProperties(n) => write!(f, "ResizeProperties({n})"),
            Request::OpenWorkflow(p) => write!(f, "OpenWorkflow({p:?})"),
            Request::OpenRule(p) => write!(f, "OpenRule({p:?})"),
            Request::CloseRuleEditor => f.write_str("CloseRuleEditor"),
            Request::OpenTemplate(i) => write!(f, "OpenTemplate({i})"),
            Request::CloseTemplateEditor => f.write_str("CloseTemplateEditor"),
            Request::RememberTemplateValues { template, values } => {
                write!(f, "RememberTemplateValues({template:?}, {values:?})")
            }
        }
    }
}

/// The small context a screen works over: what it may read of the app, and
/// where what it says and asks for goes (drained by the app after each call).
pub struct Ctx<'a> {
    /// The repository's root directory.
    pub root: &'a Path,
    /// The repository as last loaded.
    pub repo: &'a Repository,
    pub theme: &'a Theme,
    /// The key bindings (for screens that name their keys in their own view).
    pub keymap: &'a Keymap,
    /// The user's settings (changed only through a [`Request`]).
    pub settings: &'a Settings,
    /// Last known terminal size (columns, rows).
    pub size: (u16, u16),
    /// While the full definitions load in the background: their summaries.
    pub loading: Option<&'a [Loaded<DefinitionSummary>]>,
    requests: Vec<Request>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        root: &'a Path,
        repo: &'a Repository,
        theme: &'a Theme,
        keymap: &'a Keymap,
        settings: &'a Settings,
        size: (u16, u16),
        loading: Option<&'a [Loaded<DefinitionSummary>]>,
    ) -> Ctx<'a> {
        Ctx {
            root,
            repo,
            theme,
            keymap,
            settings,
            size,
            loading,
            requests: Vec::new(),
        }
    }

    fn say(&mut self, kind: NoticeKind, text: String) {
        self.requests.push(Request::Notice(Notice { kind, text }));
    }
    pub fn info(&mut self, text: impl Into<String>) {
        self.say(NoticeKind::Info, text.into())
    }
    pub fn warn(&mut self, text: impl Into<String>) {
        self.say(NoticeKind::Warning, text.into())
    }
    pub fn error(&mut self, text: impl Into<String>) {
        self.say(NoticeKind::Error, text.into())
    }
    /// Clear the status line (also of what this call said so far).
    pub fn clear_notice(&mut self) {
        self.requests.retain(|r| !matches!(r, Request::Notice(_)));
        self.requests.push(Request::ClearNotice);
    }
    /// What this call said last on the status line (None when nothing yet).
    pub fn said(&self) -> Option<&Notice> {
        self.requests.iter().rev().find_map(|r| match r {
            Request::Notice(n) => Some(n),
            _ => None,
        })
    }
    /// Ask the app for something, after what was asked before.
    pub fn request(&mut self, request: Request) {
        self.requests.push(request);
    }
    /// Put a popup in front of the screen.
    pub fn overlay(&mut self, overlay: Overlay) {
        self.requests.push(Request::Overlay(Box::new(overlay)));
    }
    /// What was said and asked, in order (for the app to carry out).
    pub fn into_requests(self) -> Vec<Request> {
        self.requests
    }
}

/// A [`Ctx`] borrowed from the fields of an `App` (the state next to it stays free).
macro_rules! ctx {
    ($app:expr) => {
        $crate::tui::screen::Ctx::new(
            &$app.root,
            &$app.repo,
            &$app.theme,
            &$app.keymap,
            &$app.settings,
            $app.size,
            $app.loading.as_deref(),
        )
    };
}
pub(crate) use ctx;

/// One screen's state: everything [`App`] needs to route keys to it and draw it.
pub trait ScreenOps {
    /// The keymap contexts whose bindings apply now, most specific first.
    fn contexts(&self, cx: &Ctx) -> Vec<Context>;
    /// A key no binding claimed (typed into the screen's focused text field).
    fn text_input(&mut self, _cx: &mut Ctx, _key: KeyEvent) {}
    /// Apply one action; what else should happen comes back as requests
    /// (after those made through `cx`).
    fn update(&mut self, cx: &mut Ctx, action: Action) -> Vec<Request>;
    /// Draw into `area` (never mutates).
    fn view(&self, cx: &Ctx, frame: &mut Frame, area: Rect);
    /// Re-read what the screen shows from `cx.repo`.
    fn refresh(&mut self, _cx: &mut Ctx) {}
}

/// The one list of screens: the state behind each (`Option` states only while
/// they exist), shared or mutable.
macro_rules! route {
    ($app:expr, $screen:expr, $opt:ident $(, $m:tt)?) => {
        match $screen {
            Screen::Browser => Some(&$($m)? $app.browser as &$($m)? dyn ScreenOps),
            Screen::Editor => $app.editor.$opt().map(|s| s as &$($m)? dyn ScreenOps),
            Screen::Tasks => Some(&$($m)? $app.tasks as &$($m)? dyn ScreenOps),
            Screen::WorkItems => Some(&$($m)? $app.work_items as &$($m)? dyn ScreenOps),
            Screen::DebugView => Some(&$($m)? $app.debug_view as &$($m)? dyn ScreenOps),
            Screen::Debugger => $app.debugger.$opt().map(|s| s as &$($m)? dyn ScreenOps),
            Screen::Reports => Some(&$($m)? $app.reports as &$($m)? dyn ScreenOps),
            Screen::RuleTester => Some(&$($m)? $app.rule_tester as &$($m)? dyn ScreenOps),
            Screen::TemplateEditor => $app.template_editor.$opt().map(|s| s as &$($m)? dyn ScreenOps),
            Screen::RuleEditor => $app.rule_editor.$opt().map(|s| s as &$($m)? dyn ScreenOps),
        }
    };
}

impl App {
    /// Run `f` on `screen`'s state with a context borrowed from the app. What
    /// it said is on the status line at once (as if it had set it itself); the
    /// other requests made through the context come back (None: no such state now).
    pub fn with_screen<R>(
        &mut self,
        screen: Screen,
        f: impl FnOnce(&mut dyn ScreenOps, &mut Ctx) -> R,
    ) -> Option<(R, Vec<Request>)> {
        let mut cx = ctx!(self);
        let state = route!(self, screen, as_mut, mut)?;
        let r = f(state, &mut cx);
        let requests = cx.into_requests();
        Some((r, self.apply_notices(requests)))
    }

    /// Put the notices among `requests` on the status line, in order; the rest
    /// come back.
    pub fn apply_notices(&mut self, requests: Vec<Request>) -> Vec<Request> {
        let mut rest = Vec::new();
        for r in requests {
            match r {
                Request::Notice(n) => self.notice = Some(n),
                Request::ClearNotice => self.notice = None,
                other => rest.push(other),
            }
        }
        rest
    }

    /// Run `f` on `screen`'s state read-only (contexts, view).
    pub fn with_screen_ref<R>(
        &self,
        screen: Screen,
        f: impl FnOnce(&dyn ScreenOps, &Ctx) -> R,
    ) -> Option<R> {
        let cx = ctx!(self);
        let state = route!(self, screen, as_ref)?;
        Some(f(state, &cx))
    }
}

impl Screen {
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

use super::browser::BrowserState;
use super::debug_view::DebugViewState;
use super::debugger::DebuggerState;
use super::editor::EditorState;
use super::reports::ReportsState;
use super::rule_editor::RuleEditorState;
use super::rule_tester::RuleTesterState;
use super::tasks::TasksState;
use super::template_editor::Env;
use super::template_editor::TemplateEditorState;
use super::workitems::WorkItemsState;
use super::{browser, debug_view, debugger, debugger_view, editor, editor_view, tasks, workitems};
use super::{
    reports, reports_view, rule_editor_view, rule_tester, rule_tester_view, template_editor_view,
};

impl ScreenOps for BrowserState {
    fn contexts(&self, cx: &Ctx) -> Vec<Context> {
        browser::contexts(self, cx)
    }
    fn text_input(&mut self, cx: &mut Ctx, key: KeyEvent) {
        browser::text_input(self, cx, key)
    }
    fn update(&mut self, cx: &mut Ctx, action: Action) -> Vec<Request> {
        browser::update(self, cx, action)
    }
    fn view(&self, cx: &Ctx, frame: &mut Frame, area: Rect) {
        browser::view(self, cx, frame, area)
    }
    fn refresh(&mut self, cx: &mut Ctx) {
        self.refresh(cx.repo)
    }
}

impl ScreenOps for EditorState {
    fn contexts(&self, cx: &Ctx) -> Vec<Context> {
        editor::contexts(self, cx)
    }
    fn text_input(&mut self, cx: &mut Ctx, key: KeyEvent) {
        editor::text_input(self, cx, key)
    }
    fn update(&mut self, cx: &mut Ctx, action: Action) -> Vec<Request> {
        editor::update(self, cx, action)
    }
    fn view(&self, cx: &Ctx, frame: &mut Frame, area: Rect) {
        editor_view::view(self, cx, frame, area)
    }
    fn refresh(&mut self, cx: &mut Ctx) {
        editor::after_change(self, cx)
    }
}

impl ScreenOps for TasksState {
    fn contexts(&self, cx: &Ctx) -> Vec<Context> {
        tasks::contexts(self, cx)
    }
    fn update(&mut self, cx: &mut Ctx, action: Action) -> Vec<Request> {
        tasks::update(self, cx, action)
    }
    fn view(&self, cx: &Ctx, frame: &mut Frame, area: Rect) {
        tasks::view(self, cx, frame, area)
    }
    fn refresh(&mut self, cx: &mut Ctx) {
        tasks::refresh(self, cx)
    }
}

impl ScreenOps for WorkItemsState {
    fn contexts(&self, cx: &Ctx) -> Vec<Context> {
        workitems::contexts(self, cx)
    }
    fn text_input(&mut self, cx: &mut Ctx, key: KeyEvent) {
        workitems::text_input(self, cx, key)
    }
    fn update(&mut self, cx: &mut Ctx, action: Action) -> Vec<Request> {
        workitems::update(self, cx, action)
    }
    fn view(&self, cx: &Ctx, frame: &mut Frame, area: Rect) {
        workitems::view(self, cx, frame, area)
    }
    fn refresh(&mut self, cx: &mut Ctx) {
        workitems::refresh(self, cx)
    }
}

impl ScreenOps for DebugViewState {
    fn contexts(&self, cx: &Ctx) -> Vec<Context> {
        debug_view::contexts(self, cx)
    }
    fn update(&mut self, cx: &mut Ctx, action: Action) -> Vec<Request> {
        debug_view::update(self, cx, action)
    }
    fn view(&self, cx: &Ctx, frame: &mut Frame, area: Rect) {
        debug_view::view(self, cx, frame, area)
    }
    fn refresh(&mut self, cx: &mut Ctx) {
        debug_view::refresh(self, cx)
    }
}

impl ScreenOps for DebuggerState {
    fn contexts(&self, cx: &Ctx) -> Vec<Context> {
        debugger::contexts(self, cx)
    }
    fn text_input(&mut self, cx: &mut Ctx, key: KeyEvent) {
        debugger::text_input(self, cx, key)
    }
    fn update(&mut self, cx: &mut Ctx, action: Action) -> Vec<Request> {
        debugger::update(self, cx, action)
    }
    fn view(&self, cx: &Ctx, frame: &mut Frame, area: Rect) {
        debugger_view::view(self, cx, frame, area)
    }
}

impl ScreenOps for ReportsState {
    fn contexts(&self, cx: &Ctx) -> Vec<Context> {
        reports::contexts(self, cx)
    }
    fn update(&mut self, cx: &mut Ctx, action: Action) -> Vec<Request> {
        reports::update(self, cx, action)
    }
    fn view(&self, cx: &Ctx, frame: &mut Frame, area: Rect) {
        reports_view::view(self, cx, frame, area)
    }
    fn refresh(&mut self, cx: &mut Ctx) {
        reports::refresh(self, cx)
    }
}

impl ScreenOps for RuleTesterState {
    fn contexts(&self, cx: &Ctx) -> Vec<Context> {
        rule_tester::contexts(self, cx)
    }
    fn text_input(&mut self, cx: &mut Ctx, key: KeyEvent) {
        rule_tester::text_input(self, cx, key)
    }
    fn update(&mut self, cx: &mut Ctx, action: Action) -> Vec<Request> {
        rule_tester::update(self, cx, action)
    }
    fn view(&self, cx: &Ctx, frame: &mut Frame, area: Rect) {
        rule_tester_view::view(self, cx, frame, area)
    }
    fn refresh(&mut self, cx: &mut Ctx) {
        rule_tester::refresh(self, cx)
    }
}

impl ScreenOps for TemplateEditorState {
    fn contexts(&self, _cx: &Ctx) -> Vec<Context> {
        TemplateEditorState::contexts(self)
    }
    fn text_input(&mut self, cx: &mut Ctx, key: KeyEvent) {
        TemplateEditorState::text_input(self, cx.root, key)
    }
    fn update(&mut self, cx: &mut Ctx, action: Action) -> Vec<Request> {
        let mut close = false;
        let mut requests = TemplateEditorState::update(self, Env::of(cx), action, &mut close);
        if close {
            requests.insert(0, Request::CloseTemplateEditor);
        }
        requests
    }
    fn view(&self, cx: &Ctx, frame: &mut Frame, area: Rect) {
        let env = template_editor_view::ViewEnv {
            theme: cx.theme,
            keymap: cx.keymap,
        };
        template_editor_view::view(self, &env, frame, area)
    }
    fn refresh(&mut self, cx: &mut Ctx) {
        TemplateEditorState::refresh(self, cx.repo)
    }
}

impl ScreenOps for RuleEditorState {
    fn contexts(&self, _cx: &Ctx) -> Vec<Context> {
        RuleEditorState::contexts(self)
    }
    fn text_input(&mut self, _cx: &mut Ctx, key: KeyEvent) {
        RuleEditorState::text_input(self, key)
    }
    fn update(&mut self, cx: &mut Ctx, action: Action) -> Vec<Request> {
        RuleEditorState::update(self, cx.root, cx.repo, action)
    }
    fn view(&self, cx: &Ctx, frame: &mut Frame, area: Rect) {
        rule_editor_view::view(self, cx, frame, area)
    }
}
