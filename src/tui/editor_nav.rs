//! The editor's navigation: moving the selection over the diagram, the
//! properties and the outline, following a link and coming back, and the
//! geometry that keeps the selection in sight (pane widths, the diagram's
//! viewport, scrolling by larger steps so ratatui's diff has little to redraw).
//! Key handling is in `editor.rs`.
//!
//! Invariant: after every move the selected element is inside the viewport
//! (`ensure_visible`); the properties cursor never points past its rows.

use crate::model::TaskDefinition;

use super::action::Action;
use super::diagram::Diagram;
use super::editor::*;
use super::properties::{self, Row};
use super::screen::Ctx;
use crate::edit::{ElementRef, VarScope};

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
    if let Some(a) = ed.selection.activity() {
        ed.scroll = scroll_to_box(&ed.diagram, a, ed.scroll, w, h);
    }
}

/// The scroll offset of [`ensure_visible`] for `activity`'s box of `diagram`,
/// from `scroll` in a `w`x`h` viewport (unchanged when the box has none).
pub fn scroll_to_box(
    diagram: &Diagram,
    activity: usize,
    scroll: (u16, u16),
    w: u16,
    h: u16,
) -> (u16, u16) {
    let Some(r) = diagram.box_rect(activity) else {
        return scroll;
    };
    let (dw, dh) = diagram.size();
    let sx = scroll_axis(scroll.0, r.x, r.width, w, 2, dw);
    let sy = scroll_axis(scroll.1, r.y, r.height, h, 1, dh);
    (sx, sy)
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

/// Select an element (resetting the properties cursor) and keep it in sight.
pub fn select(st: &mut EditorState, cx: &mut Ctx, target: ElementRef) {
    {
        let ed = &mut *st;
        if ed.selection != target {
            ed.prop_cursor = 0;
        }
        ed.selection = target;
    }
    after_change(st, cx);
}

pub(crate) fn navigate(st: &mut EditorState, cx: &mut Ctx, action: Action) {
    let ed = &mut *st;
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
                select(st, cx, ElementRef::Activity(t));
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
            let page = usize::from(cx.size.1 / 2).max(1);
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
            let page = usize::from(cx.size.1 / 2).max(1);
            let new = match action {
                Action::Up | Action::Left => pos.saturating_sub(1),
                Action::Down | Action::Right => (pos + 1).min(rows.len() - 1),
                Action::PageUp => pos.saturating_sub(page),
                Action::PageDown => (pos + page).min(rows.len() - 1),
                Action::Top => 0,
                _ => rows.len() - 1,
            };
            let target = rows[new].target;
            select(st, cx, target);
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

pub(crate) fn follow(st: &mut EditorState, cx: &mut Ctx) {
    let ed = &mut *st;
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
        cx.warn("no outgoing transition to follow");
        return;
    };
    ed.trail.push(a);
    ed.focus = Focus::Diagram;
    select(st, cx, ElementRef::Activity(target));
}

pub(crate) fn back(st: &mut EditorState, cx: &mut Ctx) {
    let ed = &mut *st;
    match ed.focus {
        Focus::Properties | Focus::Outline => {
            if matches!(
                ed.selection,
                ElementRef::Definition | ElementRef::Activity(_)
            ) {
                ed.focus = Focus::Diagram;
            } else {
                // Back to the parent, on the row that links to where we were.
                let child = ed.selection;
                select(st, cx, child.parent());
                if let Some(row) = st
                    .rows()
                    .iter()
                    .position(|r| matches!(r, Row::Link { target, .. } if *target == child))
                {
                    st.prop_cursor = row;
                }
            }
        }
        Focus::Diagram => match ed.selection {
            ElementRef::Activity(_) | ElementRef::Definition => {
                cx.request(super::screen::Request::CloseEditor)
            }
            other => select(st, cx, other.parent()),
        },
    }
}
