//! The editor screen: one workflow as a step diagram, its properties, an
//! optional outline and a read-only JSON source view. Every change goes through
//! the command stack; saving is atomic and honours the edit and run locks.

use std::path::PathBuf;

use ratatui::crossterm::event::KeyEvent;

use crate::model::TaskDefinition;
use crate::repo::lock::{self, LockGuard, LockMode, LockTarget};

use super::action::Action;
use super::app::{Overlay, PickerPurpose, PromptPurpose};
use super::diagram::Diagram;
use super::editor_fields::{edit_current, rename, update_field_edit};
use super::editor_items::{offer_items, prompt, remove_item_under_cursor};
pub use super::editor_nav::{
    OutlineRow, diagram_viewport, ensure_visible, outline, outline_width, properties_width,
    scroll_to_box, select,
};
use super::editor_nav::{back, follow, navigate};
use super::keymap::Context;
use super::properties::{self, Row};
use super::screen::Ctx;
use super::screen::Request;
use super::{recovery, templates};
use crate::edit::{CommandStack, Edit, ElementRef, VarScope};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Diagram,
    Properties,
    Outline,
}

/// Whether we may write this definition.
pub enum LockState {
    /// We hold the edit lock (released when the editor closes).
    Held(Box<LockGuard>),
    /// Someone else edits it: `user@host (pid …, editor) since …`.
    ReadOnly(String),
}

pub struct EditorState {
    /// The definition's file, relative to the repository root.
    pub path: PathBuf,
    /// The working copy.
    pub def: TaskDefinition,
    /// The version on disk as last read or written; `None` when the file is gone.
    pub disk: Option<TaskDefinition>,
    /// The disk version that arrived while we had unsaved edits (conflict).
    pub theirs: Option<TaskDefinition>,
    /// Mine against theirs as JSON lines, for the conflict dialog (bounded,
    /// `linediff`), and how far it is scrolled.
    pub conflict_diff: Vec<super::linediff::DiffLine>,
    pub conflict_scroll: usize,
    pub stack: CommandStack,
    pub selection: ElementRef,
    pub focus: Focus,
    pub show_outline: bool,
    pub show_source: bool,
    /// The source view shows the workflow as Waveset XML instead of its JSON file.
    pub source_xml: bool,
    /// Index into the properties rows of the selection.
    pub prop_cursor: usize,
    pub editing: Option<FieldEdit>,
    pub lock: LockState,
    /// Activities we came from by following transitions (for follow back).
    pub trail: Vec<usize>,
    /// Top-left cell of the diagram shown in the pane.
    pub scroll: (u16, u16),
    pub diagram: Diagram,
    /// Validation findings of the working copy.
    pub findings: Vec<super::lint::Finding>,
    /// The definition `diagram` and `findings` were computed from.
    pub laid_out: Option<TaskDefinition>,
    /// The diff mode (`=`), when open (`tui::diff_view`).
    pub diff: Option<super::diff_view::DiffView>,
}

impl EditorState {
    /// Modified with respect to the file on disk.
    pub fn is_dirty(&self) -> bool {
        self.disk.as_ref() != Some(&self.def)
    }

    pub fn read_only(&self) -> Option<&str> {
        match &self.lock {
            LockState::ReadOnly(h) => Some(h),
            LockState::Held(_) => None,
        }
    }

    pub fn selected_activity(&self) -> Option<usize> {
        self.selection.activity()
    }

    /// The properties pane's rows: the element's validation findings first, then its properties.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows =
            properties::finding_rows(&super::lint::findings_for(&self.findings, self.selection));
        rows.extend(properties::rows(&self.def, self.selection));
        rows
    }
}

pub fn contexts(st: &EditorState, _cx: &Ctx) -> Vec<Context> {
    let ed = st;
    if ed.editing.is_some() {
        return vec![Context::TextEdit];
    }
    if ed.diff.is_some() {
        return vec![
            Context::DiffView,
            Context::Screens,
            Context::Navigate,
            Context::Global,
        ];
    }
    match ed.focus {
        Focus::Properties => vec![
            Context::Properties,
            Context::Editor,
            Context::Screens,
            Context::Navigate,
            Context::Global,
        ],
        Focus::Diagram | Focus::Outline => {
            vec![
                Context::Editor,
                Context::Screens,
                Context::Navigate,
                Context::Global,
            ]
        }
    }
}

/// The editor on `def` (the file `path`, `disk` as on disk), taking the edit
/// lock (read-only when someone holds it); the app puts it in front
/// (`app_editor::open_definition`).
pub fn new_state(
    root: &std::path::Path,
    path: PathBuf,
    def: TaskDefinition,
    disk: Option<TaskDefinition>,
) -> EditorState {
    let lock = match lock::acquire(
        root,
        LockTarget::DefinitionEdit(def.id.clone()),
        LockMode::Exclusive,
        "editor",
    ) {
        Ok(guard) => LockState::Held(Box::new(guard)),
        Err(e) => LockState::ReadOnly(super::ask::lock_holder(&e)),
    };
    let diagram = Diagram::build(&def);
    let mut ed = EditorState {
        path,
        def,
        disk,
        theirs: None,
        conflict_diff: Vec::new(),
        conflict_scroll: 0,
        stack: CommandStack::new(),
        selection: ElementRef::Activity(0),
        focus: Focus::Diagram,
        show_outline: false,
        show_source: false,
        source_xml: false,
        prop_cursor: 0,
        editing: None,
        lock,
        trail: Vec::new(),
        scroll: (0, 0),
        diagram,
        findings: Vec::new(),
        laid_out: None,
        diff: None,
    };
    if ed.def.process.activities.is_empty() {
        ed.selection = ElementRef::Definition;
    }
    ed
}

/// Recompute what depends on the working copy; publish it for crash recovery.
pub fn after_change(st: &mut EditorState, cx: &mut Ctx) {
    let size = cx.size;
    let show_outline_width = outline_width(size.0);
    let percent = cx.settings.properties_percent;
    let ed = &mut *st;
    if !ed.selection.exists(&ed.def) {
        ed.selection = if ed.def.process.activities.is_empty() {
            ElementRef::Definition
        } else {
            ElementRef::Activity(
                ed.selection
                    .activity()
                    .unwrap_or(0)
                    .min(ed.def.process.activities.len() - 1),
            )
        };
    }
    // Layout and validation only when the definition changed (not on every move).
    if ed.laid_out.as_ref() != Some(&ed.def) {
        ed.diagram = Diagram::build(&ed.def);
        let ctx = super::lint::LintContext::new(cx.repo);
        ed.findings = super::lint::check(&ed.def, None, &ctx);
        ed.laid_out = Some(ed.def.clone());
    }
    let rows = ed.rows();
    ed.prop_cursor = ed.prop_cursor.min(rows.len().saturating_sub(1));
    // Never rest on a heading or a finding (they come first when there are findings).
    if let Some(next) = (ed.prop_cursor..rows.len()).find(|&i| properties::selectable(&rows[i])) {
        ed.prop_cursor = next;
    }
    let (w, h) = diagram_viewport(size, ed.show_outline, show_outline_width, percent);
    ensure_visible(ed, w, h);
    recovery::publish(
        cx.root,
        &ed.path,
        if ed.is_dirty() { Some(&ed.def) } else { None },
    );
}

/// Lines of the conflict diff shown at once (the dialog scrolls with the arrows).
pub const CONFLICT_DIFF_ROWS: usize = 12;

/// Scroll the conflict dialog's diff (arrows by a line, pages by a screen).
pub fn scroll_conflict_diff(st: &mut EditorState, action: Action) {
    let ed = &mut *st;
    let max = ed.conflict_diff.len().saturating_sub(CONFLICT_DIFF_ROWS);
    let s = ed.conflict_scroll;
    ed.conflict_scroll = match action {
        Action::Up => s.saturating_sub(1),
        Action::Down => s + 1,
        Action::PageUp => s.saturating_sub(CONFLICT_DIFF_ROWS),
        Action::PageDown => s + CONFLICT_DIFF_ROWS,
        _ => s,
    }
    .min(max);
}

/// Run one edit through the command stack (refused when read-only).
pub fn execute(st: &mut EditorState, cx: &mut Ctx, edit: Edit) -> bool {
    let ed = &mut *st;
    if let Some(holder) = ed.read_only() {
        let msg = format!("read-only: being edited by {holder}");
        cx.error(msg);
        return false;
    }
    let description = crate::edit::report::done(&edit, &ed.def);
    match ed.stack.execute(&mut ed.def, edit, ed.selection) {
        Ok(sel) => {
            if sel != ed.selection {
                ed.prop_cursor = 0;
            }
            ed.selection = sel;
            after_change(st, cx);
            cx.info(description);
            true
        }
        Err(e) => {
            cx.error(e.to_string());
            false
        }
    }
}

pub fn text_input(st: &mut EditorState, _cx: &mut Ctx, key: KeyEvent) {
    if let Some(edit) = st.editing.as_mut()
        && edit.input.input(key)
    {
        edit.check();
    }
}

pub fn update(st: &mut EditorState, cx: &mut Ctx, action: Action) -> Vec<Request> {
    let ed = &mut *st;
    if ed.editing.is_some() {
        update_field_edit(st, cx, action);
        return Vec::new();
    }
    if ed.diff.is_some() {
        super::diff_view::update(st, cx, action);
        return Vec::new();
    }
    let edits = matches!(
        action,
        Action::AddActivity
            | Action::AddAction
            | Action::AddVariable
            | Action::Connect
            | Action::Delete
            | Action::AddItem
            | Action::RemoveItem
            | Action::Rename
            | Action::MoveEarlier
            | Action::MoveLater
            | Action::Undo
            | Action::Redo
            | Action::Save
    );
    if edits && let Some(holder) = ed.read_only() {
        let msg = format!("read-only: being edited by {holder}");
        cx.error(msg);
        return Vec::new();
    }
    match action {
        Action::Up
        | Action::Down
        | Action::Left
        | Action::Right
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => navigate(st, cx, action),
        Action::FocusNext => {
            ed.focus = match ed.focus {
                Focus::Diagram => Focus::Properties,
                Focus::Properties if ed.show_outline => Focus::Outline,
                Focus::Properties | Focus::Outline => Focus::Diagram,
            };
        }
        Action::ToggleOutline => {
            ed.show_outline = !ed.show_outline;
            ed.focus = if ed.show_outline {
                Focus::Outline
            } else {
                Focus::Diagram
            };
            after_change(st, cx);
        }
        Action::WiderProperties | Action::NarrowerProperties => {
            let steps = if action == Action::WiderProperties {
                1
            } else {
                -1
            };
            return vec![Request::ResizeProperties(steps)];
        }
        Action::ToggleSource => ed.show_source = !ed.show_source,
        Action::ToggleSourceXml => {
            // From the diagram the key opens the source straight in XML.
            ed.source_xml = !ed.show_source || !ed.source_xml;
            ed.show_source = true;
        }
        Action::FollowTransition => follow(st, cx),
        Action::FollowBack => {
            if let Some(a) = ed.trail.pop() {
                select(st, cx, ElementRef::Activity(a));
            }
        }
        Action::Edit => edit_current(st, cx),
        Action::Rename => rename(st, cx),
        Action::Back => back(st, cx),
        Action::Close => return vec![Request::CloseEditor],
        Action::Undo => {
            let r = ed.stack.undo(&mut ed.def);
            match r {
                Some((text, sel)) => {
                    ed.selection = sel;
                    after_change(st, cx);
                    cx.info(format!("undid: {text}"));
                }
                None => cx.warn("nothing to undo"),
            }
        }
        Action::Redo => {
            let r = ed.stack.redo(&mut ed.def);
            match r {
                Some((text, sel)) => {
                    ed.selection = sel;
                    after_change(st, cx);
                    cx.info(format!("redid: {text}"));
                }
                None => cx.warn("nothing to redo"),
            }
        }
        Action::Save => super::editor_save::request_save(st, cx),
        Action::Delete => {
            let sel = ed.selection;
            if sel == ElementRef::Definition {
                cx.warn("select an element to delete");
            } else {
                execute(st, cx, Edit::Delete(sel));
            }
        }
        Action::AddItem => offer_items(st, cx),
        Action::RemoveItem => remove_item_under_cursor(st, cx),
        Action::MoveEarlier | Action::MoveLater => {
            let delta = if action == Action::MoveEarlier { -1 } else { 1 };
            let target = ed.selection;
            execute(st, cx, Edit::Move { target, delta });
        }
        Action::AddActivity => {
            let after = ed.selection.activity();
            cx.overlay(prompt(
                PromptPurpose::AddActivity { after },
                "Name of the new activity",
            ));
        }
        Action::AddVariable => {
            let scope = match ed.selection {
                ElementRef::Definition => VarScope::Process,
                ElementRef::Activity(a) | ElementRef::Transition(a, _) => VarScope::Activity(a),
                ElementRef::Action(a, i) => VarScope::Action(a, i),
                ElementRef::Variable(scope, _) => scope,
            };
            cx.overlay(prompt(
                PromptPurpose::AddVariable { scope },
                "Name of the new variable",
            ));
        }
        Action::Diff => super::diff_view::ask(st, cx),
        Action::JumpTo => {
            cx.overlay(prompt(PromptPurpose::JumpTo, "name (or part of it)"));
        }
        Action::AddAction => match ed.selection.activity() {
            Some(activity) => {
                let items = templates::palette_labels(cx.repo);
                cx.overlay(Overlay::Picker {
                    purpose: PickerPurpose::Template { activity },
                    items,
                    selected: 0,
                });
            }
            None => cx.warn("select an activity to add an action to"),
        },
        Action::Connect => match ed.selection.activity() {
            Some(from) => {
                let items = connect_targets(&ed.def);
                cx.overlay(Overlay::Picker {
                    purpose: PickerPurpose::Connect { from },
                    items,
                    selected: 0,
                });
            }
            None => cx.warn("select the activity to connect from"),
        },
        Action::Copy => {
            if let Some(json) = ed.selection.to_json(&ed.def) {
                let what = properties::kind_name(ed.selection).to_lowercase();
                cx.info(format!(
                    "copied the {what}'s JSON ({} bytes) to the clipboard (OSC 52)",
                    json.len()
                ));
                return vec![Request::WriteRaw(super::terminal::osc52(&json))];
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Forget unsaved edits (the working copy becomes the disk version).
pub fn drop_changes(ed: &mut EditorState, root: &std::path::Path) {
    if let Some(disk) = ed.disk.clone() {
        ed.def = disk;
    }
    recovery::publish(root, &ed.path, None);
}

pub use super::editor_fields::{FieldEdit, InputError};
pub use super::editor_items::{AddChoice, add_choices, picker_accepted, prompt_accepted};
pub use super::editor_save::{invalid_expressions, save};

/// The activities a transition may lead to (every one but the start), in
/// order: the connect picker's items.
pub fn connect_targets(def: &TaskDefinition) -> Vec<String> {
    def.process
        .activities
        .iter()
        .filter(|a| !a.is_start())
        .map(|a| a.name.clone())
        .collect()
}
