//! The editor screen: one workflow as a step diagram, its properties, an
//! optional outline and a read-only JSON source view. Every change goes through
//! the command stack; saving is atomic and honours the edit and run locks.

use std::path::{Path, PathBuf};

use ratatui::crossterm::event::KeyEvent;
use tui_textarea::TextArea;

use crate::model::{Activity, TaskDefinition, Transition, Variable, new_id};
use crate::repo::lock::{self, LockError, LockGuard, LockMode, LockTarget};
use crate::repo::{Repository, SaveError, parse_file};

use super::action::Action;
use super::app::{AfterConfirm, App, Effect, Overlay, PickerPurpose, PromptPurpose, Screen};
use super::command::{CommandStack, Edit, ElementRef, ItemList, VarScope};
use super::diagram::Diagram;
use super::keymap::Context;
use super::properties::{self, FieldKind, Row};
use super::{recovery, templates};

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

/// A syntax error in an expression being typed: 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A property being edited in place.
pub struct FieldEdit {
    pub target: ElementRef,
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub input: TextArea<'static>,
    pub error: Option<InputError>,
}

impl FieldEdit {
    pub fn text(&self) -> String {
        self.input.lines().join("\n")
    }

    /// Re-check an expression after each keystroke.
    pub fn check(&mut self) {
        self.error = match self.kind {
            FieldKind::Expr { optional } => {
                let text = self.text();
                if optional && text.trim().is_empty() {
                    None
                } else {
                    crate::expr::parse(&text).err().map(|e| InputError {
                        line: e.line,
                        column: e.column,
                        message: e.message,
                    })
                }
            }
            FieldKind::Int => {
                let text = self.text();
                match text.trim().parse::<i64>() {
                    Ok(_) => None,
                    Err(_) => Some(InputError {
                        line: 1,
                        column: 1,
                        message: "a whole number".into(),
                    }),
                }
            }
            _ => None,
        };
    }
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

pub fn contexts(app: &App) -> Vec<Context> {
    let Some(ed) = &app.editor else {
        return vec![Context::Global];
    };
    if ed.editing.is_some() {
        return vec![Context::TextEdit];
    }
    match ed.focus {
        Focus::Properties => vec![
            Context::Properties,
            Context::Editor,
            Context::Navigate,
            Context::Global,
        ],
        Focus::Diagram | Focus::Outline => {
            vec![Context::Editor, Context::Navigate, Context::Global]
        }
    }
}

/// Open `repo.definitions[index]`, taking the edit lock (read-only when someone holds it).
pub fn open(app: &mut App, index: usize) {
    let Some(loaded) = app.repo.definitions.get(index) else {
        return;
    };
    let def = loaded.value.clone();
    let path = loaded.path.clone();
    open_definition(app, path, def.clone(), Some(def));
}

fn open_definition(
    app: &mut App,
    path: PathBuf,
    def: TaskDefinition,
    disk: Option<TaskDefinition>,
) {
    let lock = match lock::acquire(
        &app.root,
        LockTarget::DefinitionEdit(def.id.clone()),
        LockMode::Exclusive,
        "editor",
    ) {
        Ok(guard) => LockState::Held(Box::new(guard)),
        Err(LockError::Held { holders, .. }) => LockState::ReadOnly(
            holders
                .iter()
                .find(|h| h.stale.is_none())
                .or(holders.first())
                .and_then(|h| h.holder.as_ref())
                .map(|h| format!("{}@{} (pid {}) since {}", h.user, h.host, h.pid, h.since))
                .unwrap_or_else(|| "another process".to_string()),
        ),
        Err(e) => LockState::ReadOnly(format!("the edit lock could not be taken: {e}")),
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
    };
    if ed.def.process.activities.is_empty() {
        ed.selection = ElementRef::Definition;
    }
    let notice = ed
        .read_only()
        .map(|h| format!("read-only: {} is being edited by {h}", ed.def.name));
    app.editor = Some(ed);
    app.screen = Screen::Editor;
    after_change(app);
    match notice {
        Some(n) => app.warn(n),
        None => app.notice = None,
    }
}

/// Recompute what depends on the working copy; publish it for crash recovery.
pub fn after_change(app: &mut App) {
    let size = app.size;
    let show_outline_width = outline_width(size.0);
    let percent = app.settings.properties_percent;
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
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
        let ctx = super::lint::LintContext::new(&app.repo);
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
        &app.root,
        &ed.path,
        if ed.is_dirty() { Some(&ed.def) } else { None },
    );
}

/// Width of the outline pane for a terminal width.
pub fn outline_width(cols: u16) -> u16 {
    (cols / 4).clamp(20, 32)
}

/// Width of the properties pane for a terminal width: `percent` of it (the
/// user's setting, `<`/`>`), at least 32 columns (or half a narrow terminal),
/// always leaving the diagram 20.
pub fn properties_width(cols: u16, percent: u16) -> u16 {
    let share = (u32::from(cols) * u32::from(percent) / 100) as u16;
    share.max(32.min(cols / 2)).min(cols.saturating_sub(20))
}

/// Inner size of the diagram pane for a terminal size (what `view` will use).
pub fn diagram_viewport(
    size: (u16, u16),
    show_outline: bool,
    outline_w: u16,
    properties_percent: u16,
) -> (u16, u16) {
    let mut w = size
        .0
        .saturating_sub(properties_width(size.0, properties_percent));
    if show_outline {
        w = w.saturating_sub(outline_w);
    }
    // Borders (2) and the status line and footer (2).
    (w.saturating_sub(2), size.1.saturating_sub(4))
}

/// Scroll so the selected activity's box is inside a `w`x`h` viewport.
///
/// Scrolling is rare and by large steps: nothing moves while the box is inside
/// the viewport (with a small margin); when it leaves it, the view jumps so the
/// box sits a quarter of the viewport from the edge it came in by, leaving
/// three quarters of fresh room in the direction of travel. Every scroll
/// repaints the whole pane (4-5 KB at 120x40), so fewer of them is what keeps a
/// walk down a workflow under 1 KB per move (`tests/tui_bytes.rs`).
pub fn ensure_visible(ed: &mut EditorState, w: u16, h: u16) {
    let Some(a) = ed.selection.activity() else {
        return;
    };
    let Some(r) = ed.diagram.box_rect(a) else {
        return;
    };
    let (sx, sy) = ed.scroll;
    let (dw, dh) = ed.diagram.size();
    let sx = scroll_axis(sx, r.x, r.width, w, 2, dw);
    let sy = scroll_axis(sy, r.y, r.height, h, 1, dh);
    ed.scroll = (sx, sy);
}

/// One axis of [`ensure_visible`]: the new offset for a box at `pos` of length
/// `len` in a view of `view` cells over content of `content` cells.
fn scroll_axis(offset: u16, pos: u16, len: u16, view: u16, margin: u16, content: u16) -> u16 {
    let lead = (view / 4).max(margin);
    let next = if pos < offset.saturating_add(margin) {
        // Came in over the top/left edge: put it a quarter from that edge…
        (pos + len + lead)
            .saturating_sub(view)
            .min(pos.saturating_sub(margin))
    } else if pos + len + margin > offset.saturating_add(view) {
        // …or from the bottom/right edge, whichever it left by, so the room
        // opens up in the direction of travel.
        pos.saturating_sub(lead)
            .max((pos + len + margin).saturating_sub(view))
    } else {
        offset
    };
    next.min(content.saturating_sub(view.min(content)))
}

/// `<` / `>`: give the properties pane a smaller or larger share of the width,
/// keep the selection in sight, and remember the share for the next session.
fn resize_properties(app: &mut App, steps: i16) {
    if !app.settings.resize_properties(steps) {
        app.info(format!(
            "properties pane already at {}% of the width",
            app.settings.properties_percent
        ));
        return;
    }
    after_change(app);
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

/// Run one edit through the command stack (refused when read-only).
pub fn execute(app: &mut App, edit: Edit) -> bool {
    let Some(ed) = app.editor.as_mut() else {
        return false;
    };
    if let Some(holder) = ed.read_only() {
        let msg = format!("read-only: being edited by {holder}");
        app.error(msg);
        return false;
    }
    let description = super::report::done(&edit, &ed.def);
    match ed.stack.execute(&mut ed.def, edit, ed.selection) {
        Ok(sel) => {
            if sel != ed.selection {
                ed.prop_cursor = 0;
            }
            ed.selection = sel;
            after_change(app);
            app.info(description);
            true
        }
        Err(e) => {
            app.error(e.to_string());
            false
        }
    }
}

pub fn text_input(app: &mut App, key: KeyEvent) {
    if let Some(edit) = app.editor.as_mut().and_then(|e| e.editing.as_mut())
        && edit.input.input(key)
    {
        edit.check();
    }
}

pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(ed) = app.editor.as_mut() else {
        app.screen = Screen::Browser;
        return Vec::new();
    };
    if ed.editing.is_some() {
        update_field_edit(app, action);
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
        app.error(msg);
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
        | Action::Bottom => navigate(app, action),
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
            after_change(app);
        }
        Action::WiderProperties | Action::NarrowerProperties => {
            let steps = if action == Action::WiderProperties {
                1
            } else {
                -1
            };
            resize_properties(app, steps);
        }
        Action::ToggleSource => ed.show_source = !ed.show_source,
        Action::ToggleSourceXml => {
            // From the diagram the key opens the source straight in XML.
            ed.source_xml = !ed.show_source || !ed.source_xml;
            ed.show_source = true;
        }
        Action::FollowTransition => follow(app),
        Action::FollowBack => {
            if let Some(a) = ed.trail.pop() {
                select(app, ElementRef::Activity(a));
            }
        }
        Action::Edit => edit_current(app),
        Action::Rename => rename(app),
        Action::Back => back(app),
        Action::Close => request_close(app),
        Action::Undo => {
            let r = ed.stack.undo(&mut ed.def);
            match r {
                Some((text, sel)) => {
                    ed.selection = sel;
                    after_change(app);
                    app.info(format!("undid: {text}"));
                }
                None => app.warn("nothing to undo"),
            }
        }
        Action::Redo => {
            let r = ed.stack.redo(&mut ed.def);
            match r {
                Some((text, sel)) => {
                    ed.selection = sel;
                    after_change(app);
                    app.info(format!("redid: {text}"));
                }
                None => app.warn("nothing to redo"),
            }
        }
        Action::Save => {
            save(app);
        }
        Action::Delete => {
            let sel = ed.selection;
            if sel == ElementRef::Definition {
                app.warn("select an element to delete");
            } else {
                execute(app, Edit::Delete(sel));
            }
        }
        Action::AddItem => offer_items(app),
        Action::RemoveItem => remove_item_under_cursor(app),
        Action::MoveEarlier | Action::MoveLater => {
            let delta = if action == Action::MoveEarlier { -1 } else { 1 };
            let target = ed.selection;
            execute(app, Edit::Move { target, delta });
        }
        Action::AddActivity => {
            let after = ed.selection.activity();
            app.overlay = Some(prompt(
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
            app.overlay = Some(prompt(
                PromptPurpose::AddVariable { scope },
                "Name of the new variable",
            ));
        }
        Action::AddAction => match ed.selection.activity() {
            Some(activity) => {
                let items = templates::templates(&app.repo)
                    .into_iter()
                    .map(|t| t.label)
                    .collect();
                app.overlay = Some(Overlay::Picker {
                    purpose: PickerPurpose::Template { activity },
                    items,
                    selected: 0,
                });
            }
            None => app.warn("select an activity to add an action to"),
        },
        Action::Connect => match ed.selection.activity() {
            Some(from) => {
                let items = ed
                    .def
                    .process
                    .activities
                    .iter()
                    .filter(|a| !a.is_start())
                    .map(|a| a.name.clone())
                    .collect();
                app.overlay = Some(Overlay::Picker {
                    purpose: PickerPurpose::Connect { from },
                    items,
                    selected: 0,
                });
            }
            None => app.warn("select the activity to connect from"),
        },
        Action::Copy => {
            if let Some(json) = ed.selection.to_json(&ed.def) {
                let what = properties::kind_name(ed.selection).to_lowercase();
                app.info(format!(
                    "copied the {what}'s JSON ({} bytes) to the clipboard (OSC 52)",
                    json.len()
                ));
                return vec![Effect::WriteRaw(super::terminal::osc52(&json))];
            }
        }
        _ => {}
    }
    Vec::new()
}

/// One entry of the "add to the action" picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddChoice {
    /// An argument of the service op's catalogue entry the action does not pass yet.
    CatalogueArgument { name: String, required: bool },
    /// A new entry of this list (asks for a name where the list needs one).
    New(ItemList),
}

impl AddChoice {
    fn label(&self) -> String {
        match self {
            AddChoice::CatalogueArgument { name, required } => format!(
                "argument {name} ({})",
                if *required { "required" } else { "optional" }
            ),
            AddChoice::New(ItemList::Argument) => "argument (another name)…".into(),
            AddChoice::New(ItemList::Exposed) => "exposed variable…".into(),
            AddChoice::New(ItemList::Editable) => "editable variable…".into(),
            AddChoice::New(ItemList::Return) => "return (from -> to)…".into(),
            AddChoice::New(list) => list.noun().into(),
        }
    }
}

/// What can be added to `action`: the op's missing catalogue arguments first
/// (required, then optional), then a new entry of each of its lists.
pub fn add_choices(action: &crate::model::Action) -> Vec<AddChoice> {
    let mut out = Vec::new();
    if let crate::model::ActionKind::Service { op, arguments } = &action.kind
        && let Some(spec) = crate::services::ops::find(op)
    {
        let missing = |n: &&&str| !arguments.iter().any(|a| a.name == **n);
        for name in spec.required.iter().filter(missing) {
            out.push(AddChoice::CatalogueArgument {
                name: name.to_string(),
                required: true,
            });
        }
        for name in spec.optional.iter().filter(missing) {
            out.push(AddChoice::CatalogueArgument {
                name: name.to_string(),
                required: false,
            });
        }
    }
    out.extend(ItemList::of_action(action).into_iter().map(AddChoice::New));
    out
}

/// `+`: open the picker of what can be added to the selected action; the list
/// under the cursor is preselected.
fn offer_items(app: &mut App) {
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    let ElementRef::Action(a, i) = ed.selection else {
        app.warn("select an action: + adds its arguments, owners, variables, argv, returns");
        return;
    };
    let Some(action) = ed
        .def
        .process
        .activities
        .get(a)
        .and_then(|x| x.actions.get(i))
    else {
        return;
    };
    let choices = add_choices(action);
    let under_cursor = match ed.rows().get(ed.prop_cursor) {
        Some(Row::Field(f)) => {
            ItemList::of_key(action, &f.key)
                .map(|(list, _)| list)
                .or(match f.key.as_str() {
                    "exposedVariables" => Some(ItemList::Exposed),
                    "editableVariables" => Some(ItemList::Editable),
                    _ => None,
                })
        }
        _ => None,
    };
    let selected = under_cursor
        .and_then(|list| choices.iter().position(|c| *c == AddChoice::New(list)))
        .unwrap_or(0);
    let items = choices.iter().map(AddChoice::label).collect();
    app.overlay = Some(Overlay::Picker {
        purpose: PickerPurpose::AddItem {
            action: (a, i),
            choices,
        },
        items,
        selected,
    });
}

/// `-`: remove the entry of an action's list under the properties cursor.
fn remove_item_under_cursor(app: &mut App) {
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    let ElementRef::Action(a, i) = ed.selection else {
        app.warn("select an action's argument, owner, variable name, argv or return to remove");
        return;
    };
    let rows = ed.rows();
    let found = match (
        rows.get(ed.prop_cursor),
        ed.def
            .process
            .activities
            .get(a)
            .and_then(|x| x.actions.get(i)),
    ) {
        (Some(Row::Field(f)), Some(action)) => ItemList::of_key(action, &f.key),
        _ => None,
    };
    let Some((list, at)) = found else {
        app.warn(
            "the cursor is not on a list entry (argument, owner, variable name, argv, return)",
        );
        return;
    };
    execute(
        app,
        Edit::RemoveItem {
            action: (a, i),
            list,
            at,
        },
    );
    // Stay on the same place in the list (or the row before it when it was last).
    if let Some(ed) = app.editor.as_mut() {
        let len = ed.rows().len();
        ed.prop_cursor = ed.prop_cursor.min(len.saturating_sub(1));
        let rows = ed.rows();
        while ed.prop_cursor > 0 && !properties::selectable(&rows[ed.prop_cursor]) {
            ed.prop_cursor -= 1;
        }
    }
}

/// Default text of a new entry that is edited right after it is added.
fn placeholder(list: ItemList, name: &str) -> String {
    match list {
        ItemList::Argument => format!("${name}"),
        ItemList::Argv => "\"\"".into(),
        _ => "null".into(),
    }
}

/// Add an entry at the end of `list` and, for expressions, start editing it.
fn add_item_and_edit(app: &mut App, action: (usize, usize), list: ItemList, name: &str) -> bool {
    let Some(ed) = app.editor.as_ref() else {
        return false;
    };
    let Some(x) = ed
        .def
        .process
        .activities
        .get(action.0)
        .and_then(|x| x.actions.get(action.1))
    else {
        return false;
    };
    let at = match (&x.kind, list) {
        (
            crate::model::ActionKind::Service { arguments, .. }
            | crate::model::ActionKind::Subprocess { arguments, .. },
            ItemList::Argument,
        ) => arguments.len(),
        (crate::model::ActionKind::Manual(m), ItemList::Owner) => m.owners.len(),
        (crate::model::ActionKind::Manual(m), ItemList::Exposed) => m.exposed_variables.len(),
        (crate::model::ActionKind::Manual(m), ItemList::Editable) => m.editable_variables.len(),
        (crate::model::ActionKind::Command(c), ItemList::Argv) => c.argv.len(),
        _ => x.returns.len(),
    };
    let (name, value) = match list {
        ItemList::Return => {
            let (from, to) = name
                .split_once("->")
                .or_else(|| name.trim().split_once(char::is_whitespace))
                .unwrap_or((name, ""));
            (from.trim().to_string(), to.trim().to_string())
        }
        ItemList::Exposed | ItemList::Editable => (name.to_string(), String::new()),
        _ => (name.to_string(), placeholder(list, name)),
    };
    if !execute(
        app,
        Edit::AddItem {
            action,
            list,
            at,
            name,
            value,
        },
    ) {
        return false;
    }
    let Some(ed) = app.editor.as_mut() else {
        return true;
    };
    let Some(key) = ed
        .def
        .process
        .activities
        .get(action.0)
        .and_then(|x| x.actions.get(action.1))
        .and_then(|x| list.key(x, at))
    else {
        return true;
    };
    let rows = ed.rows();
    if let Some((row, field)) = rows.iter().enumerate().find_map(|(n, r)| match r {
        Row::Field(f) if f.key == key => Some((n, f.clone())),
        _ => None,
    }) {
        ed.focus = Focus::Properties;
        ed.prop_cursor = row;
        if matches!(list, ItemList::Argument | ItemList::Owner | ItemList::Argv) {
            start_field_edit(app, field);
        }
    }
    true
}

fn prompt(purpose: PromptPurpose, placeholder: &str) -> Overlay {
    let mut input = TextArea::default();
    input.set_placeholder_text(placeholder);
    input.set_cursor_line_style(ratatui::style::Style::new());
    Overlay::Prompt {
        purpose,
        input,
        error: None,
    }
}

/// Select an element (resetting the properties cursor) and keep it in sight.
pub fn select(app: &mut App, target: ElementRef) {
    if let Some(ed) = app.editor.as_mut() {
        if ed.selection != target {
            ed.prop_cursor = 0;
        }
        ed.selection = target;
    }
    after_change(app);
}

fn navigate(app: &mut App, action: Action) {
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    match ed.focus {
        Focus::Diagram => {
            let from = ed.selection.activity();
            let target = match (action, from) {
                (Action::Top, _) => Some(0),
                (Action::Bottom, _) => ed.def.process.activities.len().checked_sub(1),
                (_, None) => (!ed.def.process.activities.is_empty()).then_some(0),
                (Action::Up | Action::PageUp, Some(a)) => {
                    ed.diagram.neighbour(a, super::diagram::Dir::Up)
                }
                (Action::Down | Action::PageDown, Some(a)) => {
                    ed.diagram.neighbour(a, super::diagram::Dir::Down)
                }
                (Action::Left, Some(a)) => ed.diagram.neighbour(a, super::diagram::Dir::Left),
                (Action::Right, Some(a)) => ed.diagram.neighbour(a, super::diagram::Dir::Right),
                _ => None,
            };
            if let Some(t) = target {
                ed.trail.clear();
                select(app, ElementRef::Activity(t));
            }
        }
        Focus::Properties => {
            let rows = ed.rows();
            let selectable: Vec<usize> = (0..rows.len())
                .filter(|&i| properties::selectable(&rows[i]))
                .collect();
            if selectable.is_empty() {
                return;
            }
            let pos = selectable
                .iter()
                .position(|&i| i >= ed.prop_cursor)
                .unwrap_or(0);
            let page = usize::from(app.size.1 / 2).max(1);
            let new = match action {
                Action::Up | Action::Left => pos.saturating_sub(1),
                Action::Down | Action::Right => (pos + 1).min(selectable.len() - 1),
                Action::PageUp => pos.saturating_sub(page),
                Action::PageDown => (pos + page).min(selectable.len() - 1),
                Action::Top => 0,
                _ => selectable.len() - 1,
            };
            ed.prop_cursor = selectable[new];
        }
        Focus::Outline => {
            let rows = outline(&ed.def);
            if rows.is_empty() {
                return;
            }
            let pos = rows
                .iter()
                .position(|r| r.target == ed.selection)
                .unwrap_or(0);
            let page = usize::from(app.size.1 / 2).max(1);
            let new = match action {
                Action::Up | Action::Left => pos.saturating_sub(1),
                Action::Down | Action::Right => (pos + 1).min(rows.len() - 1),
                Action::PageUp => pos.saturating_sub(page),
                Action::PageDown => (pos + page).min(rows.len() - 1),
                Action::Top => 0,
                _ => rows.len() - 1,
            };
            let target = rows[new].target;
            select(app, target);
        }
    }
}

/// One row of the outline: activities, then their actions, transitions and variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineRow {
    pub depth: u16,
    pub target: ElementRef,
    pub text: String,
}

pub fn outline(def: &TaskDefinition) -> Vec<OutlineRow> {
    let mut rows = vec![OutlineRow {
        depth: 0,
        target: ElementRef::Definition,
        text: def.name.clone(),
    }];
    for (i, v) in def.process.variables.iter().enumerate() {
        rows.push(OutlineRow {
            depth: 1,
            target: ElementRef::Variable(VarScope::Process, i),
            text: format!("${}", v.name),
        });
    }
    for (a, act) in def.process.activities.iter().enumerate() {
        rows.push(OutlineRow {
            depth: 1,
            target: ElementRef::Activity(a),
            text: act.name.clone(),
        });
        for (i, v) in act.variables.iter().enumerate() {
            rows.push(OutlineRow {
                depth: 2,
                target: ElementRef::Variable(VarScope::Activity(a), i),
                text: format!("${}", v.name),
            });
        }
        for (i, x) in act.actions.iter().enumerate() {
            rows.push(OutlineRow {
                depth: 2,
                target: ElementRef::Action(a, i),
                text: format!("{} {}", x.kind.label(), properties::action_summary(x)),
            });
        }
        for (i, t) in act.transitions.iter().enumerate() {
            let cond = t
                .condition
                .as_deref()
                .map(|c| format!(" ({})", properties::short(c, 20)))
                .unwrap_or_default();
            rows.push(OutlineRow {
                depth: 2,
                target: ElementRef::Transition(a, i),
                text: format!("→ {}{cond}", t.to),
            });
        }
    }
    rows
}

fn follow(app: &mut App) {
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    let Some(a) = ed.selection.activity() else {
        return;
    };
    let Some(act) = ed.def.process.activities.get(a) else {
        return;
    };
    // From a selected transition, follow that one; else the first.
    let t = match ed.selection {
        ElementRef::Transition(_, i) => act.transitions.get(i),
        _ => act.transitions.first(),
    };
    let Some(target) = t.and_then(|t| {
        ed.def
            .process
            .activities
            .iter()
            .position(|x| x.name == t.to)
    }) else {
        app.warn("no outgoing transition to follow");
        return;
    };
    ed.trail.push(a);
    ed.focus = Focus::Diagram;
    select(app, ElementRef::Activity(target));
}

fn back(app: &mut App) {
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    match ed.focus {
        Focus::Properties | Focus::Outline => {
            if matches!(
                ed.selection,
                ElementRef::Definition | ElementRef::Activity(_)
            ) {
                ed.focus = Focus::Diagram;
            } else {
                let parent = ed.selection.parent();
                select(app, parent);
            }
        }
        Focus::Diagram => match ed.selection {
            ElementRef::Activity(_) | ElementRef::Definition => request_close(app),
            other => select(app, other.parent()),
        },
    }
}

fn request_close(app: &mut App) {
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
        recovery::publish(&app.root, &ed.path, None);
        let name = ed.def.name.clone();
        drop(ed);
        app.browser.refresh(&app.repo);
        app.browser.select_name(&app.repo, &name);
    }
    app.screen = Screen::Browser;
}

/// Forget unsaved edits (the working copy becomes the disk version).
pub fn drop_changes(app: &mut App) {
    if let Some(ed) = app.editor.as_mut() {
        if let Some(disk) = ed.disk.clone() {
            ed.def = disk;
        }
        recovery::publish(&app.root, &ed.path, None);
    }
}

/// Enter on a row: edit the field, or open the linked element.
fn edit_current(app: &mut App) {
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    if ed.focus != Focus::Properties {
        ed.focus = Focus::Properties;
        ed.prop_cursor = first_selectable(&ed.rows());
        return;
    }
    let rows = ed.rows();
    match rows.get(ed.prop_cursor) {
        Some(Row::Field(field)) => start_field_edit(app, field.clone()),
        Some(Row::Link { target, .. }) => {
            let target = *target;
            select(app, target);
            if let Some(ed) = app.editor.as_mut() {
                ed.prop_cursor = first_selectable(&ed.rows());
            }
        }
        _ => {}
    }
}

fn first_selectable(rows: &[Row]) -> usize {
    rows.iter().position(properties::selectable).unwrap_or(0)
}

fn rename(app: &mut App) {
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    let rows = ed.rows();
    let Some((i, field)) = rows.iter().enumerate().find_map(|(i, r)| match r {
        Row::Field(f) if f.key == "name" => Some((i, f.clone())),
        _ => None,
    }) else {
        app.warn("this element has no name");
        return;
    };
    ed.focus = Focus::Properties;
    ed.prop_cursor = i;
    start_field_edit(app, field);
}

fn start_field_edit(app: &mut App, field: properties::Field) {
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    if let Some(holder) = ed.read_only() {
        let msg = format!("read-only: being edited by {holder}");
        app.error(msg);
        return;
    }
    let target = ed.selection;
    match &field.kind {
        FieldKind::ReadOnly => app.warn(format!("{} cannot be changed", field.label)),
        FieldKind::Bool => {
            let value = if field.value == "true" {
                "false"
            } else {
                "true"
            };
            execute(
                app,
                Edit::SetField {
                    target,
                    field: field.key.clone(),
                    value: value.into(),
                },
            );
        }
        FieldKind::Choice(options) => {
            let selected = options.iter().position(|o| *o == field.value).unwrap_or(0);
            app.overlay = Some(Overlay::Picker {
                purpose: PickerPurpose::Choice {
                    target,
                    key: field.key.clone(),
                },
                items: options.clone(),
                selected,
            });
        }
        kind => {
            let text = match kind {
                FieldKind::Expr { .. } => pretty_expr(&field.value),
                _ => field.value.clone(),
            };
            let mut input = TextArea::new(
                text.lines()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .chain((text.is_empty()).then(String::new))
                    .collect(),
            );
            input.set_cursor_line_style(ratatui::style::Style::new());
            input.set_wrap_mode(tui_textarea::WrapMode::Glyph);
            input.move_cursor(tui_textarea::CursorMove::Bottom);
            input.move_cursor(tui_textarea::CursorMove::End);
            let mut edit = FieldEdit {
                target,
                key: field.key.clone(),
                label: field.label.clone(),
                kind: kind.clone(),
                input,
                error: None,
            };
            edit.check();
            if let Some(ed) = app.editor.as_mut() {
                ed.editing = Some(edit);
            }
        }
    }
}

/// Expressions are edited pretty-printed (multi-line when long).
fn pretty_expr(text: &str) -> String {
    match crate::expr::parse(text) {
        Ok(e) => crate::expr::print_pretty(&e, 60),
        Err(_) => text.to_string(),
    }
}

fn update_field_edit(app: &mut App, action: Action) {
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    let Some(edit) = ed.editing.as_mut() else {
        return;
    };
    match action {
        Action::Cancel => {
            ed.editing = None;
            app.info("edit dropped");
        }
        Action::Newline => {
            if matches!(edit.kind, FieldKind::Expr { .. } | FieldKind::Text) {
                edit.input.insert_newline();
                edit.check();
            }
        }
        Action::Accept => {
            if let Some(err) = &edit.error {
                let msg = format!(
                    "not applied: {} at {}:{}: {}",
                    edit.label, err.line, err.column, err.message
                );
                app.error(msg);
                return;
            }
            let value = edit.text();
            let (target, key) = (edit.target, edit.key.clone());
            if execute(
                app,
                Edit::SetField {
                    target,
                    field: key,
                    value,
                },
            ) && let Some(ed) = app.editor.as_mut()
            {
                ed.editing = None;
            }
        }
        _ => {}
    }
}

/// The answer to a prompt; `Err` keeps the prompt open with the message.
pub fn prompt_accepted(app: &mut App, purpose: PromptPurpose, text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("type a name (Esc cancels)".into());
    }
    let Some(ed) = app.editor.as_ref() else {
        return Ok(());
    };
    match purpose {
        PromptPurpose::AddActivity { after } => {
            let at = after
                .map(|a| a + 1)
                .unwrap_or(ed.def.process.activities.len());
            let at = at.min(ed.def.process.activities.len());
            let activity = Activity {
                id: new_id("act"),
                name: text.to_string(),
                ..Default::default()
            };
            let mut edits = vec![Edit::AddActivity { at, activity }];
            // Connect from the selected activity, so the new one is reachable.
            // (The workflow may have been reloaded while the prompt was open.)
            if let Some((a, act)) = after
                .and_then(|a| ed.def.process.activities.get(a).map(|x| (a, x)))
                .filter(|(_, x)| !x.is_end())
            {
                let transition = Transition {
                    to: text.to_string(),
                    ..Default::default()
                };
                let n = act.transitions.len();
                edits.push(Edit::AddTransition {
                    activity: a,
                    at: n,
                    transition,
                });
            }
            run_or_err(app, Edit::Batch(edits))
        }
        PromptPurpose::AddItem { action, list } => {
            if add_item_and_edit(app, action, list, text) {
                Ok(())
            } else {
                Err(app
                    .notice
                    .as_ref()
                    .map(|n| n.text.clone())
                    .unwrap_or_default())
            }
        }
        PromptPurpose::AddVariable { scope } => {
            let at = super::command::vars(&ed.def, scope)
                .map(|v| v.len())
                .unwrap_or(0);
            let variable = Variable {
                name: text.to_string(),
                ..Default::default()
            };
            run_or_err(
                app,
                Edit::AddVariable {
                    scope,
                    at,
                    variable,
                },
            )
        }
        // Answered by the browser's import dialog (`super::import`), never routed here.
        PromptPurpose::ImportFile => Ok(()),
    }
}

fn run_or_err(app: &mut App, edit: Edit) -> Result<(), String> {
    if execute(app, edit) {
        Ok(())
    } else {
        Err(app
            .notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default())
    }
}

pub fn picker_accepted(app: &mut App, purpose: PickerPurpose, selected: usize) {
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    match purpose {
        PickerPurpose::Connect { from } => {
            let names: Vec<String> = ed
                .def
                .process
                .activities
                .iter()
                .filter(|a| !a.is_start())
                .map(|a| a.name.clone())
                .collect();
            let Some(to) = names.get(selected).cloned() else {
                return;
            };
            let at = ed
                .def
                .process
                .activities
                .get(from)
                .map(|a| a.transitions.len())
                .unwrap_or(0);
            execute(
                app,
                Edit::AddTransition {
                    activity: from,
                    at,
                    transition: Transition {
                        to,
                        ..Default::default()
                    },
                },
            );
        }
        PickerPurpose::Template { activity } => {
            let Some(t) = templates::templates(&app.repo).into_iter().nth(selected) else {
                return;
            };
            let at = match ed.selection {
                ElementRef::Action(a, i) if a == activity => i + 1,
                _ => ed
                    .def
                    .process
                    .activities
                    .get(activity)
                    .map(|a| a.actions.len())
                    .unwrap_or(0),
            };
            execute(
                app,
                Edit::AddAction {
                    activity,
                    at,
                    action: t.action,
                },
            );
        }
        PickerPurpose::AddItem { action, choices } => match choices.get(selected) {
            Some(AddChoice::CatalogueArgument { name, .. }) => {
                add_item_and_edit(app, action, ItemList::Argument, name);
            }
            Some(AddChoice::New(list @ (ItemList::Owner | ItemList::Argv))) => {
                add_item_and_edit(app, action, *list, "");
            }
            Some(AddChoice::New(list)) => {
                let hint = match list {
                    ItemList::Argument => "Name of the new argument",
                    ItemList::Return => "from -> to (e.g. decision -> decision)",
                    _ => "Name of the variable",
                };
                app.overlay = Some(prompt(
                    PromptPurpose::AddItem {
                        action,
                        list: *list,
                    },
                    hint,
                ));
            }
            None => {}
        },
        PickerPurpose::Choice { target, key } => {
            let rows = properties::rows(&ed.def, target);
            let value = rows.iter().find_map(|r| match r {
                Row::Field(f) if f.key == key => match &f.kind {
                    FieldKind::Choice(options) => options.get(selected).cloned(),
                    _ => None,
                },
                _ => None,
            });
            if let Some(value) = value {
                execute(
                    app,
                    Edit::SetField {
                        target,
                        field: key,
                        value,
                    },
                );
            }
        }
    }
}

/// Every expression of the definition that does not parse: (where, error).
pub fn invalid_expressions(def: &TaskDefinition) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut check = |place: String, text: &str| {
        if let Err(e) = crate::expr::parse(text) {
            out.push((place, format!("{}:{}: {}", e.line, e.column, e.message)));
        }
    };
    for v in &def.process.variables {
        if let Some(x) = &v.value {
            check(format!("variable {}", v.name), x);
        }
    }
    for act in &def.process.activities {
        for v in &act.variables {
            if let Some(x) = &v.value {
                check(format!("{} variable {}", act.name, v.name), x);
            }
        }
        for (i, t) in act.transitions.iter().enumerate() {
            if let Some(c) = &t.condition {
                check(format!("{} transition {} → {}", act.name, i + 1, t.to), c);
            }
        }
        for (i, x) in act.actions.iter().enumerate() {
            let place = |what: &str| format!("{} action {} {what}", act.name, i + 1);
            if let Some(c) = &x.condition {
                check(place("condition"), c);
            }
            for v in &x.variables {
                if let Some(e) = &v.value {
                    check(place(&format!("variable {}", v.name)), e);
                }
            }
            match &x.kind {
                crate::model::ActionKind::Expression { expression } => {
                    check(place("expression"), expression)
                }
                crate::model::ActionKind::Service { arguments, .. }
                | crate::model::ActionKind::Subprocess { arguments, .. } => {
                    for a in arguments {
                        check(place(&format!("argument {}", a.name)), &a.value);
                    }
                }
                crate::model::ActionKind::Manual(m) => {
                    for o in &m.owners {
                        check(place("owner"), o);
                    }
                    if let Some(r) = &m.request {
                        check(place("request"), r);
                    }
                }
                crate::model::ActionKind::Command(c) => {
                    for a in &c.argv {
                        check(place("argv"), a);
                    }
                }
                crate::model::ActionKind::Unsupported { .. } => {}
            }
        }
    }
    out
}

/// Save the working copy. Refused when read-only, while any expression is
/// invalid, or while a run holds the definition (naming it). True when saved.
pub fn save(app: &mut App) -> bool {
    let Some(ed) = app.editor.as_mut() else {
        return false;
    };
    if let Some(holder) = ed.read_only() {
        let msg = format!("not saved: read-only, being edited by {holder}");
        app.error(msg);
        return false;
    }
    let invalid = invalid_expressions(&ed.def);
    if let Some((place, err)) = invalid.first() {
        let msg = format!(
            "not saved: {} invalid expression(s); {place}: {err}",
            invalid.len()
        );
        app.error(msg);
        return false;
    }
    // Atomic, under the exclusive run lock: refused while a run reads it.
    let result = crate::repo::save_definition_file(&app.root, &ed.path, &ed.def).map(drop);
    match result {
        Ok(()) => {
            ed.disk = Some(ed.def.clone());
            ed.stack.mark_saved();
            recovery::remove(&app.root, &ed.path);
            let name = ed.def.name.clone();
            let path = ed.path.clone();
            reload_repository(app);
            after_change(app);
            app.info(format!("saved {name} to {}", path.display()));
            true
        }
        Err(SaveError::Locked(LockError::Held { holders, .. })) => {
            let who: Vec<String> = holders.iter().map(|h| h.to_string()).collect();
            app.error(format!(
                "not saved: a run holds this workflow: {}",
                who.join("; ")
            ));
            false
        }
        Err(e) => {
            app.error(format!("not saved: {e}"));
            false
        }
    }
}

/// Re-read the repository (after a save or a change on disk); keep the browser's selection.
pub fn reload_repository(app: &mut App) {
    match Repository::open(&app.root) {
        Ok(repo) => {
            let name = app.browser.selected_name(&app.repo);
            app.repo = repo;
            app.browser.refresh(&app.repo);
            // Findings depend on the repository too (subprocesses, rules, templates).
            if let Some(ed) = app.editor.as_mut() {
                ed.laid_out = None;
            }
            if let Some(name) = name {
                app.browser.select_name(&app.repo, &name);
            }
        }
        Err(e) => app.error(format!("cannot re-read the repository: {e}")),
    }
}

/// Something changed under the repository: reload, and deal with the open workflow.
pub fn repository_changed(app: &mut App) {
    reload_repository(app);
    let root = app.root.clone();
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    let on_disk = if root.join(&ed.path).exists() {
        Some(parse_file::<TaskDefinition>(&root, &ed.path))
    } else {
        None
    };
    match on_disk {
        None => {
            if ed.disk.is_some() {
                ed.disk = None;
                let msg = format!(
                    "{} was deleted on disk; s saves it again",
                    ed.path.display()
                );
                after_change(app);
                app.warn(msg);
            }
        }
        Some(Err(e)) => {
            let msg = format!("the file on disk no longer loads ({e}); your copy is kept");
            app.warn(msg);
        }
        Some(Ok(theirs)) => {
            if ed.disk.as_ref() == Some(&theirs) || ed.theirs.as_ref() == Some(&theirs) {
                return;
            }
            if !ed.is_dirty() {
                ed.def = theirs.clone();
                ed.disk = Some(theirs);
                ed.stack.reset();
                let name = ed.def.name.clone();
                after_change(app);
                app.info(format!("reloaded {name}: it changed on disk"));
            } else if ed.def == theirs {
                ed.disk = Some(theirs);
                after_change(app);
            } else {
                let json = |d: &TaskDefinition| {
                    crate::repo::to_json_bytes(d)
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default()
                };
                ed.conflict_diff = super::linediff::diff(&json(&ed.def), &json(&theirs), 2);
                ed.conflict_scroll = 0;
                ed.theirs = Some(theirs);
                app.overlay = Some(Overlay::Conflict);
            }
        }
    }
}

/// Lines of the conflict diff shown at once (the dialog scrolls with the arrows).
pub const CONFLICT_DIFF_ROWS: usize = 12;

/// Scroll the conflict dialog's diff (arrows by a line, pages by a screen).
pub fn scroll_conflict_diff(app: &mut App, action: Action) {
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
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

/// Conflict: keep the working copy (still unsaved; saving overwrites theirs).
pub fn keep_mine(app: &mut App) {
    if let Some(ed) = app.editor.as_mut() {
        if let Some(theirs) = ed.theirs.take() {
            ed.disk = Some(theirs);
        }
        after_change(app);
        app.info("kept your version (unsaved): s saves it over the one on disk");
    }
}

/// Conflict: take the disk version; your edits stay reachable with undo.
pub fn take_theirs(app: &mut App) {
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    let Some(theirs) = ed.theirs.take() else {
        return;
    };
    let selection = ed.selection;
    let _ = ed.stack.execute(
        &mut ed.def,
        Edit::Replace(Box::new(theirs.clone())),
        selection,
    );
    ed.disk = Some(theirs);
    ed.stack.mark_saved();
    after_change(app);
    app.info("took the version on disk (u brings yours back)");
}

/// Open the workflow of a recovery copy with the copy applied as an (undoable) edit.
pub fn restore_recovery(app: &mut App, file: &Path, copy: recovery::RecoveryCopy) {
    let root = app.root.clone();
    let disk = if root.join(&copy.path).exists() {
        parse_file::<TaskDefinition>(&root, &copy.path).ok()
    } else {
        None
    };
    let base = disk.clone().unwrap_or_else(|| copy.definition.clone());
    open_definition(app, copy.path.clone(), base, disk);
    let Some(ed) = app.editor.as_ref() else {
        return;
    };
    if let Some(holder) = ed.read_only() {
        let msg = format!(
            "cannot restore {} now: it is being edited by {holder} (the copy is kept)",
            copy.definition.name
        );
        app.error(msg);
        return;
    }
    let name = copy.definition.name.clone();
    if ed.def != copy.definition {
        execute(app, Edit::Replace(Box::new(copy.definition)));
    } else {
        after_change(app);
    }
    let _ = file;
    app.info(format!(
        "restored unsaved edits of {name} (s saves, u undoes the restore)"
    ));
}
