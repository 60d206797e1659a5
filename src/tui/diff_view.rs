//! The editor's diff mode (`=`): the open workflow — with its unsaved edits —
//! against its last save, the file on disk now, a timestamped copy or a cached
//! version, as the semantic diff of `crate::diff` (never a line diff). The
//! properties pane lists the changes; the diagram marks the boxes they touch
//! (added `+`, changed `~`, removed `-`) and shows removed activities as boxes
//! of their own; moving through the changes selects the box of each.
//!
//! Invariants:
//! - The diff is always `crate::diff::diff(base, working copy)`: the TUI has no
//!   diff logic of its own, and shows the same changes as `bpe diff`.
//! - Every file read goes through the repository (`parse_file`, `diff::source`,
//!   `repo::cache`): nothing outside the repository is read.
//! - The mode does not edit: the working copy, its undo stack and the file on
//!   disk are unchanged by opening, moving through and closing a diff. The
//!   editor's selection follows the selected change when its activity exists
//!   in the working copy.

use crate::diff::{self, ChangeKind, DefinitionDiff, Object};
use crate::model::{TaskDefinition, escape_name};
use crate::repo::{cache, parse_file};

use super::app::{Overlay, PickerPurpose};
use super::command::ElementRef;
use super::diagram::Diagram;
use super::editor::EditorState;
use super::screen::Ctx;

/// What the working copy is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// The version the editor last read or wrote.
    LastSave,
    /// The definition's file as it is on disk now.
    Disk,
    /// A timestamped copy (a definition of that name).
    Copy(String),
    /// A cached version, by `sha256:` hash.
    Cached(String),
}

/// How a box is marked in diff mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    Added,
    Changed,
    Removed,
}

/// The open diff.
pub struct DiffView {
    pub base: Base,
    /// What the base is, for the title (`last save`, `copy "X 20261130-143000"`, …).
    pub label: String,
    pub diff: DefinitionDiff,
    /// The working copy plus the removed activities (appended, in the base's
    /// order): indices below `removed_from` are the working copy's.
    pub diagram: Diagram,
    pub removed_from: usize,
    /// Activity index (in `diagram`) of each change, when it has one.
    pub boxes: Vec<Option<usize>>,
    /// The marked boxes, at most one mark per box.
    pub marks: Vec<(usize, Mark)>,
    pub selected: usize,
    /// Top-left cell of the diagram shown.
    pub scroll: (u16, u16),
}

impl DiffView {
    /// The box of the selected change.
    pub fn selected_box(&self) -> Option<usize> {
        self.boxes.get(self.selected).copied().flatten()
    }
}

/// The choices `=` offers for `def` (the open workflow at `path`): last save,
/// disk, its timestamped copies, its cached versions (newest first).
pub fn choices(st: &EditorState, cx: &Ctx) -> Vec<(Base, String)> {
    let ed = st;
    let mut out = vec![
        (
            Base::LastSave,
            "last save (the version last read or written)".to_string(),
        ),
        (
            Base::Disk,
            format!(
                "file on disk now ({})",
                escape_name(&ed.path.display().to_string())
            ),
        ),
    ];
    let name = ed.disk.as_ref().map_or(&ed.def.name, |d| &d.name);
    for d in &cx.repo.definitions {
        if diff::source::base_of_copy(&d.value.name) == Some(name.as_str()) {
            out.push((
                Base::Copy(d.value.name.clone()),
                format!("copy \"{}\"", escape_name(&d.value.name)),
            ));
        }
    }
    if let Ok(mut entries) = cache::entries(cx.root, cx.repo) {
        entries.retain(|e| e.problem.is_none() && (e.id == ed.def.id || &e.name == name));
        entries.sort_by_key(|e| e.age_seconds);
        for e in entries {
            let pins = if e.pinned_by.is_empty() {
                String::new()
            } else {
                format!(", pinned by {} case(s)", e.pinned_by.len())
            };
            out.push((
                Base::Cached(e.hash.clone()),
                format!(
                    "cached {} ({} old{pins})",
                    short_hash(&e.hash),
                    super::ask::coarse(e.age_seconds as i64)
                ),
            ));
        }
    }
    out
}

/// `=` in the editor: ask what to compare with.
pub fn ask(st: &mut EditorState, cx: &mut Ctx) {
    let (bases, items): (Vec<Base>, Vec<String>) = choices(st, cx).into_iter().unzip();
    cx.overlay(Overlay::Picker {
        purpose: PickerPurpose::DiffAgainst(bases),
        items,
        selected: 0,
    });
}

/// Read the base version (through the repository boundary).
pub fn base_version(
    st: &EditorState,
    cx: &Ctx,
    base: &Base,
) -> Result<(TaskDefinition, String), String> {
    let ed = st;
    match base {
        Base::LastSave => ed
            .disk
            .clone()
            .map(|d| (d, "last save".to_string()))
            .ok_or_else(|| "never saved: the file is gone (s saves it)".to_string()),
        Base::Disk => parse_file::<TaskDefinition>(cx.root, &ed.path)
            .map(|d| {
                let path = ed.path.display().to_string();
                (d, format!("disk ({})", escape_name(&path)))
            })
            .map_err(|e| format!("the file on disk does not load: {e}")),
        Base::Copy(name) => cx
            .repo
            .definition(name)
            .map(|d| (d.value.clone(), format!("copy \"{}\"", escape_name(name))))
            .ok_or_else(|| format!("the copy \"{}\" is gone", escape_name(name))),
        Base::Cached(hash) => diff::source::resolve(cx.repo, hash)
            .map(|v| (v.definition, format!("cached {}", short_hash(hash)))),
    }
}

/// Open the diff of the working copy against `base` (an error on the status line
/// when the base cannot be read).
pub fn open(st: &mut EditorState, cx: &mut Ctx, base: Base) {
    let (old, label) = match base_version(st, cx, &base) {
        Ok(b) => b,
        Err(e) => {
            cx.error(format!("cannot diff: {e}"));
            return;
        }
    };
    let ed = &mut *st;
    let view = build(base, label, &old, &ed.def);
    let n = view.diff.changes.len();
    let msg = match n {
        0 => format!("no differences from {}", view.label),
        n => format!("{n} change(s) from {} · ↑↓ move · Esc closes", view.label),
    };
    ed.diff = Some(view);
    select_change(st, cx, 0);
    cx.info(msg);
}

/// The diff view of `old` → `new` (the working copy).
pub fn build(base: Base, label: String, old: &TaskDefinition, new: &TaskDefinition) -> DiffView {
    let d = diff::diff(old, new);
    let mut union = new.clone();
    let removed_from = union.process.activities.len();
    let index_new = |id: &str| new.process.activities.iter().position(|a| a.id == id);
    let mut boxes = Vec::with_capacity(d.changes.len());
    let mut marks: Vec<(usize, Mark)> = Vec::new();
    for c in &d.changes {
        let Some(id) = c.at.activity_id.as_deref() else {
            boxes.push(None);
            continue;
        };
        let removed_activity = c.object == Object::Activity && c.change == ChangeKind::Removed;
        let at = if removed_activity {
            old.process.activities.iter().find(|a| a.id == id).map(|a| {
                union.process.activities.push(a.clone());
                union.process.activities.len() - 1
            })
        } else {
            index_new(id)
        };
        let mark = match (c.object, c.change) {
            (Object::Activity, ChangeKind::Added) => Mark::Added,
            (Object::Activity, ChangeKind::Removed) => Mark::Removed,
            _ => Mark::Changed,
        };
        if let Some(i) = at {
            match marks.iter_mut().find(|(b, _)| *b == i) {
                // Added or removed says more than changed.
                Some((_, m)) if *m == Mark::Changed => *m = mark,
                Some(_) => {}
                None => marks.push((i, mark)),
            }
        }
        boxes.push(at);
    }
    DiffView {
        base,
        label,
        diagram: Diagram::build(&union),
        removed_from,
        boxes,
        marks,
        diff: d,
        selected: 0,
        scroll: (0, 0),
    }
}

/// Select change `i` (clamped): its box is highlighted and scrolled into view;
/// the editor's selection follows when the activity is in the working copy.
pub fn select_change(st: &mut EditorState, cx: &mut Ctx, i: usize) {
    let size = cx.size;
    let percent = cx.settings.properties_percent;
    let outline_w = super::editor::outline_width(size.0);
    let ed = &mut *st;
    let show_outline = ed.show_outline;
    let Some(view) = ed.diff.as_mut() else {
        return;
    };
    view.selected = i.min(view.diff.changes.len().saturating_sub(1));
    let target = view.selected_box();
    if let Some(b) = target {
        let (w, h) = super::editor::diagram_viewport(size, show_outline, outline_w, percent);
        // One row of the pane is the legend.
        view.scroll =
            super::editor::scroll_to_box(&view.diagram, b, view.scroll, w, h.saturating_sub(1));
    }
    if let Some(b) = target.filter(|&b| b < view.removed_from) {
        ed.selection = ElementRef::Activity(b);
        ed.prop_cursor = 0;
    }
}

/// Keys in diff mode: move through the changes, Esc (or `=`) closes.
pub fn update(st: &mut EditorState, cx: &mut Ctx, action: super::action::Action) {
    use super::action::Action;
    let Some(view) = st.diff.as_ref() else {
        return;
    };
    let (sel, last) = (view.selected, view.diff.changes.len().saturating_sub(1));
    let page = usize::from(cx.size.1 / 3).max(1);
    let next = match action {
        Action::Up | Action::Left => sel.saturating_sub(1),
        Action::Down | Action::Right => (sel + 1).min(last),
        Action::PageUp => sel.saturating_sub(page),
        Action::PageDown => (sel + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        Action::Back | Action::Diff => {
            close(st, cx);
            return;
        }
        _ => {
            cx.warn("the diff view does not edit: Esc closes it");
            return;
        }
    };
    select_change(st, cx, next);
}

/// Leave diff mode (the editor keeps the selection of the last change).
pub fn close(st: &mut EditorState, cx: &mut Ctx) {
    {
        let ed = &mut *st;
        ed.diff = None;
    }
    super::editor::after_change(st, cx);
}

pub fn short_hash(h: &str) -> String {
    let hex: String = h
        .strip_prefix("sha256:")
        .unwrap_or(h)
        .chars()
        .take(12)
        .collect();
    format!("sha256:{hex}")
}
