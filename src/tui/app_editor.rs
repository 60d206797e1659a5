//! The app's side of its optional screens, the editor and the debugger (and
//! the rule and template editors): opening them, closing the editor (asking
//! first when it has unsaved changes), the
//! properties pane's share of the width (a user setting), and running an
//! editor function with a context borrowed from the app for the code that is
//! the app's own (overlays, repository sync).
//!
//! Invariant: these are the only places that create or drop the editor, the
//! debugger, the rule editor and the template editor state and put them in
//! front (`app.rs` carries out their requests here); the screens ask for it with a
//! [`Request`].

use std::path::{Path, PathBuf};

use crate::model::{EmailTemplate, Rule, TaskDefinition, escape_name};

use super::app::{AfterConfirm, App, Overlay, Screen};
use super::editor::{self, EditorState};
use super::recovery;
use super::rule_editor::{self, InLibrary, RuleEditorState};
use super::screen::{Ctx, Request, ctx};

/// Run `$f` on the optional state `$app.$field` with a context borrowed from
/// the app, then carry out what it asked (None when the state does not exist).
macro_rules! with_state {
    ($app:expr, $field:ident, $f:expr) => {{
        let mut cx = ctx!($app);
        let state = $app.$field.as_mut()?;
        let r = $f(state, &mut cx);
        let requests = cx.into_requests();
        $app.carry_out_quietly(requests);
        Some(r)
    }};
}

impl App {
    /// Run `f` on the open editor with a context borrowed from the app; what it
    /// said goes to the status line, what else it asked is carried out (None:
    /// no editor is open).
    pub fn with_editor<R>(&mut self, f: impl FnOnce(&mut EditorState, &mut Ctx) -> R) -> Option<R> {
        with_state!(self, editor, f)
    }

    /// [`App::with_editor`] for the debugger.
    pub fn with_debugger<R>(
        &mut self,
        f: impl FnOnce(&mut super::debugger::DebuggerState, &mut Ctx) -> R,
    ) -> Option<R> {
        with_state!(self, debugger, f)
    }

    /// Carry out requests made outside an update (terminal effects cannot
    /// come from there and are dropped).
    pub fn carry_out_quietly(&mut self, requests: Vec<Request>) {
        if !requests.is_empty() {
            let _ = self.carry_out(requests);
        }
    }

    /// Recompute what depends on the open workflow (after a change, a resize).
    pub fn editor_changed(&mut self) {
        self.with_editor(editor::after_change);
    }
}

/// Open `repo.definitions[index]` in the editor, taking the edit lock
/// (read-only when someone holds it). The workflow already open comes back as
/// it was (edits, selection, undo).
pub fn open(app: &mut App, index: usize) {
    let Some(loaded) = app.repo.definitions.get(index) else {
        return;
    };
    let def = loaded.value.clone();
    let path = loaded.path.clone();
    if let Some(ed) = app.editor.as_ref() {
        if ed.def.id == def.id {
            app.screen = Screen::Editor;
            return;
        }
        if ed.is_dirty() {
            let msg = format!(
                "{} has unsaved changes: save (s) or close (c) it before opening another workflow",
                crate::model::escape_name(&ed.def.name)
            );
            app.warn(msg);
            return;
        }
    }
    open_definition(app, path, def.clone(), Some(def));
}

/// Put the editor on `def` in front (see [`editor::new_state`]).
pub fn open_definition(
    app: &mut App,
    path: PathBuf,
    def: TaskDefinition,
    disk: Option<TaskDefinition>,
) {
    let ed = editor::new_state(&app.root, path, def, disk);
    let notice = ed
        .read_only()
        .map(|h| format!("read-only: {} is being edited by {h}", ed.def.name));
    app.editor = Some(ed);
    app.screen = Screen::Editor;
    app.editor_changed();
    match notice {
        Some(n) => app.warn(n),
        None => app.notice = None,
    }
}

/// Close the editor, asking first when it has unsaved changes.
pub fn request_close(app: &mut App) {
    if app.has_unsaved() {
        app.overlay = Some(Overlay::ConfirmUnsaved {
            then: AfterConfirm::Close,
        });
    } else {
        close_now(app);
    }
}

/// Close the editor (releasing the edit lock) and return to the browser.
pub fn close_now(app: &mut App) {
    if let Some(ed) = app.editor.take() {
        super::recovery::publish(&app.root, &ed.path, None);
        let name = ed.def.name.clone();
        drop(ed);
        app.browser.refresh(&app.repo);
        app.browser.select_name(&app.repo, &name);
    }
    app.screen = Screen::Browser;
}

/// `<` / `>`: give the properties pane a smaller or larger share of the width,
/// keep the selection in sight, and remember the share for the next session.
pub fn resize_properties(app: &mut App, steps: i16) {
    if !app.settings.resize_properties(steps) {
        app.info(format!(
            "properties pane already at {}% of the width",
            app.settings.properties_percent
        ));
        return;
    }
    app.editor_changed();
    let percent = app.settings.properties_percent;
    match app.settings_file.clone() {
        Some(path) => match app.settings.save(&path) {
            Ok(()) => app.info(format!(
                "properties pane {percent}% of the width (remembered)"
            )),
            Err(e) => app.warn(format!("properties pane {percent}%; not remembered: {e}")),
        },
        None => app.info(format!("properties pane {percent}% of the width")),
    }
}

/// `D` / `F5` in the editor: back to the live debug run of this workflow, or
/// the input form of the open workflow. A live run of another workflow is shown
/// instead (one debug run at a time; `x` stops it).
pub fn start_debugger(app: &mut App) -> Vec<Request> {
    let Some(def) = app.editor.as_ref().map(|e| e.def.clone()) else {
        return Vec::new();
    };
    if let Some(d) = app.debugger.as_ref().filter(|d| d.is_live()) {
        let name = crate::model::escape_name(&d.definition.name).into_owned();
        if d.definition.id == def.id {
            app.info(format!("back to the debug run of {name} (x stops it)"));
        } else {
            app.warn(format!(
                "a debug run of {name} is live: x stops it before debugging another workflow"
            ));
        }
        return vec![Request::Show(Screen::Debugger)];
    }
    let mut cx = ctx!(app);
    let state = super::debugger::open(&mut cx, def);
    let requests = cx.into_requests();
    app.debugger = Some(state);
    app.screen = Screen::Debugger;
    requests
}

/// [`editor::execute`] on the open editor (false when none is open or the edit
/// is refused), for the app's own code and tests.
pub fn execute(app: &mut App, edit: crate::edit::Edit) -> bool {
    app.with_editor(|ed, cx| editor::execute(ed, cx, edit))
        .unwrap_or(false)
}

/// [`editor::select`] on the open editor.
pub fn select(app: &mut App, target: crate::edit::ElementRef) {
    app.with_editor(|ed, cx| editor::select(ed, cx, target));
}

/// [`editor::after_change`] on the open editor ([`App::editor_changed`]).
pub fn after_change(app: &mut App) {
    app.editor_changed();
}

/// Remember a template's preview values in the user's settings (the template
/// editor's [`Request::RememberTemplateValues`]).
pub fn remember_template_values(
    app: &mut App,
    template: &str,
    values: &std::collections::BTreeMap<String, String>,
) {
    if app
        .settings
        .set_template_values(&app.root, template, values)
        && let Some(file) = app.settings_file.clone()
        && let Err(e) = app.settings.save(&file)
    {
        app.warn(format!("preview values not remembered: {e}"));
    }
}

// ---- the rule editor's lifecycle (its state lives in `app.rule_editor`) ----

/// Open the rule file `path` (relative) in the rule editor. The rule already
/// open comes back as it was; another one with unsaved edits is not replaced.
pub fn open_rule(app: &mut App, path: &Path) -> Vec<Request> {
    open_rule_at(app, path, None)
}

/// [`open_rule`] for a rule file or a rule library (`Configuration/*.json`):
/// a library opens at its rule named `rule` (default: its first).
pub fn open_rule_at(app: &mut App, path: &Path, rule: Option<&str>) -> Vec<Request> {
    let found = match app.repo.rules.iter().find(|r| r.path == path) {
        Some(r) => Some((r.value.clone(), None)),
        None => app
            .repo
            .libraries
            .iter()
            .find(|l| l.path == path)
            .and_then(|l| {
                let rules = &l.value.rules;
                let index = rule
                    .and_then(|n| rules.iter().position(|r| r.name == n))
                    .unwrap_or(0);
                let lib = InLibrary {
                    name: l.value.name.clone(),
                    index,
                    count: rules.len(),
                };
                Some((rules.get(index)?.clone(), Some(lib)))
            }),
    };
    let Some((rule, library)) = found else {
        return rule_editor::error(format!(
            "{} is not a rule or a rule library with rules in this repository",
            escape_name(&path.display().to_string())
        ));
    };
    if let Some(r) = &app.rule_editor {
        if r.path == path {
            return vec![Request::Show(Screen::RuleEditor)];
        }
        if r.is_dirty() {
            return rule_editor::warn(format!(
                "rule {} has unsaved changes: save (s) or close (c) it before opening another rule",
                escape_name(r.name())
            ));
        }
        close_rule_editor(app);
    }
    let state = RuleEditorState::open(&app.root, &app.repo, path, rule, library);
    let out = match state.read_only() {
        Some(h) => rule_editor::warn(format!(
            "read-only: rule {} is being edited by {h}",
            escape_name(&state.callable_name())
        )),
        None => Vec::new(),
    };
    app.rule_editor = Some(state);
    app.screen = Screen::RuleEditor;
    out
}

/// Close the rule editor (releasing its lock) and go back to the browser.
pub fn close_rule_editor(app: &mut App) {
    if let Some(r) = app.rule_editor.take() {
        recovery::publish_object(&app.root, &r.path, None);
        let name = r.name().to_string();
        drop(r);
        app.browser.refresh(&app.repo);
        app.browser.select_name(&app.repo, &name);
    }
    if app.screen == Screen::RuleEditor {
        app.screen = Screen::Browser;
    }
}

/// Open the rule of a recovery copy with the copy applied as an (undoable) edit.
pub fn restore_rule_recovery(app: &mut App, path: PathBuf, rule: Rule) {
    let mut out = open_rule_at(app, &path, Some(&rule.name));
    if let Some(r) = app.rule_editor.as_mut().filter(|r| r.path == path) {
        out = r.restore(&app.root, &app.repo, rule);
    }
    app.carry_out(out);
}

/// Open the template of a recovery copy in the template editor (as Enter in
/// the browser does) with the copy applied as one undoable edit; the copy is
/// kept when the template is not in the repository, another template with
/// unsaved edits is open, or another editor holds the template's lock.
pub fn restore_template_recovery(app: &mut App, path: PathBuf, template: EmailTemplate) {
    let Some(index) = app.repo.email_templates.iter().position(|t| t.path == path) else {
        app.error(format!(
            "cannot restore template {}: {} is not a template of this repository (the copy is kept)",
            escape_name(&template.name),
            escape_name(&path.display().to_string())
        ));
        return;
    };
    // Says why when another template with unsaved edits stays open instead.
    app.carry_out_quietly(vec![Request::OpenTemplate(index)]);
    let root = app.root.clone();
    if let Some(te) = app.template_editor.as_mut().filter(|t| t.path == path) {
        let out = te.restore(&root, template);
        app.carry_out_quietly(out);
    }
}

/// Saving before quitting (the app's unsaved-changes question): true when
/// nothing of the rule editor is left unsaved.
pub fn save_rule_if_dirty(app: &mut App) -> bool {
    let Some(r) = app.rule_editor.as_mut().filter(|r| r.is_dirty()) else {
        return true;
    };
    let out = r.save(&app.root, &app.repo);
    let saved = !r.is_dirty();
    app.carry_out(out);
    saved
}
