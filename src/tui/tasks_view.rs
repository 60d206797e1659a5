//! The tasks screen's drawing: the list of cases as a table, an opened case
//! on the diagram of its own definition version with the activities it entered
//! marked, and the helpers other screens share for that (`render_path`,
//! `mark_boxes`, `visited_indexes`). Never mutates the state it draws.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::table::{self, TableCell, TableView};

use crate::engine::store;
use crate::model::{InstanceStatus, ObjectKind, TaskDefinition, TaskInstance};
use crate::repo::Repository;

use super::ask;
use super::diagram::{Diagram, Highlight};
use super::screen::Ctx;
use super::tasks::{OpenedTask, TasksState, instance, is_older};
use super::theme::Theme;

/// Draw `diagram` into `area` with the activities of `path` marked `●` and
/// `current` selected, scrolled so that `current` is in sight. Returns the
/// scroll used (for further marks with [`mark_boxes`]).
pub fn render_path(
    buf: &mut Buffer,
    area: Rect,
    diagram: &Diagram,
    path: &[usize],
    current: Option<usize>,
    theme: &Theme,
) -> (u16, u16) {
    let (w, h) = diagram.size();
    let mut scroll = (0u16, 0u16);
    if let Some(r) = current.and_then(|c| diagram.box_rect(c)) {
        let cx = (r.x + r.width / 2).saturating_sub(area.width / 2);
        let cy = (r.y + r.height / 2).saturating_sub(area.height / 2);
        scroll = (
            cx.min(w.saturating_sub(area.width)),
            cy.min(h.saturating_sub(area.height)),
        );
    }
    diagram.render(
        buf,
        area,
        scroll,
        Highlight {
            activity: current,
            transition: None,
        },
        theme,
    );
    mark_boxes(buf, area, diagram, scroll, path, 1, '●', theme.ok());
    scroll
}

/// Put `glyph` on the top border of each activity's box, `offset` cells in
/// from its left corner (boxes out of sight are skipped).
#[allow(clippy::too_many_arguments)]
pub fn mark_boxes(
    buf: &mut Buffer,
    area: Rect,
    diagram: &Diagram,
    scroll: (u16, u16),
    activities: &[usize],
    offset: u16,
    glyph: char,
    style: ratatui::style::Style,
) {
    for &a in activities {
        let Some(r) = diagram.box_rect(a) else {
            continue;
        };
        if r.width <= offset + 1 {
            continue;
        }
        let (x, y) = (r.x + offset, r.y);
        if x < scroll.0 || y < scroll.1 {
            continue;
        }
        let (col, row) = (x - scroll.0, y - scroll.1);
        if col < area.width
            && row < area.height
            && let Some(c) = buf.cell_mut((area.x + col, area.y + row))
        {
            c.set_char(glyph).set_style(style);
        }
    }
}

/// At most `max` characters of `text`, with `…` when cut.
pub fn one_line(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One row per file of `kind` that did not load, after the selectable rows (never
/// selected): `unloadable  <path>:<line>:<column>: <why>`, control characters shown as `?`.
pub(super) fn unloadable_rows<'a>(
    repo: &'a Repository,
    kind: ObjectKind,
    t: &Theme,
) -> impl Iterator<Item = Line<'static>> + 'a {
    let style = t.error();
    repo.load_errors_of(kind).map(move |e| {
        let text: String = e
            .to_string()
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        Line::from(vec![Span::styled(" unloadable ", style), Span::raw(text)])
    })
}

/// Indexes of the top-level activities of `def` the case entered at least once,
/// and the one it entered last. From `visits` (every activity ever entered, however
/// long the run), so a run longer than the bounded `history` (`HISTORY_KEEP`) still
/// marks them all; instances written before `visits` existed fall back to the path
/// read from their history. The last one comes from the compact path.
pub fn visited_indexes(def: &TaskDefinition, inst: &TaskInstance) -> (Vec<usize>, Option<usize>) {
    let names: Vec<String> = if inst.visits.is_empty() {
        crate::engine::path_of(&inst.history)
    } else {
        inst.visits
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, _)| k.clone())
            .collect()
    };
    let last = crate::engine::instance_path(inst)
        .tail(1)
        .pop()
        .and_then(|n| def.process.activities.iter().position(|a| a.name == n));
    (path_indexes(def, &names), last)
}

/// Indexes of the activities of `def` entered (top-level path names only).
pub fn path_indexes(def: &TaskDefinition, path: &[String]) -> Vec<usize> {
    let mut out = Vec::new();
    for p in path {
        if let Some(i) = def.process.activities.iter().position(|a| a.name == *p)
            && !out.contains(&i)
        {
            out.push(i);
        }
    }
    out
}

pub fn view(st: &TasksState, cx: &Ctx, frame: &mut Frame, area: Rect) {
    let t = cx.theme;
    let s = st;
    let filter = s.status.map(|st| st.as_str()).unwrap_or("all");
    let title = format!(" Tasks — {filter} ({}) ", s.rows.len());
    let block = super::theme::pane_block(t, title, true);
    let (list_area, detail_area) = if s.opened.is_some() {
        let [a, b] = Layout::vertical([Constraint::Length(8), Constraint::Min(4)]).areas(area);
        (a, Some(b))
    } else {
        (area, None)
    };
    let rows: Vec<Vec<TableCell>> = s
        .rows
        .iter()
        .filter_map(|id| instance(cx.repo, id))
        .map(|i| {
            let older = if is_older(s, i) { " (older)" } else { "" };
            let interrupted = s.interrupted.contains(&i.id);
            let status_style = match i.status {
                _ if interrupted => t.warning(),
                InstanceStatus::Failed | InstanceStatus::Terminated => t.error(),
                InstanceStatus::Suspended => t.warning(),
                InstanceStatus::Running => t.ok(),
                InstanceStatus::Completed => t.dim(),
            };
            let status = if interrupted {
                store::INTERRUPTED
            } else {
                i.status.as_str()
            };
            let started = i.started.get(..16).unwrap_or(&i.started).replace('T', " ");
            vec![
                TableCell::new(status, status_style),
                TableCell::raw(format!("{}{older}", i.name)),
                TableCell::raw(i.owner.clone()),
                TableCell::new(started, t.dim()),
                TableCell::raw(format!("{:>5}", i.steps)),
                TableCell::raw(i.current_activities.join(", ")),
                TableCell::raw(if i.pending_work_items.is_empty() {
                    String::new()
                } else {
                    format!("✉{}", i.pending_work_items.len())
                }),
            ]
        })
        .collect();
    let trailer: Vec<Line> = unloadable_rows(cx.repo, ObjectKind::TaskInstance, t).collect();
    if rows.is_empty() && trailer.is_empty() {
        frame.render_widget(
            Paragraph::new("No task instances (bpe run starts one; f changes the filter).")
                .style(t.dim())
                .block(block),
            list_area,
        );
    } else {
        let view = TableView {
            headers: &[
                "status", "workflow", "owner", "started", "steps", "at", "items",
            ],
            selected: (!rows.is_empty()).then_some(s.selected),
            rows,
            trailer,
        };
        table::render(frame, list_area, block, view, t);
    }
    if let (Some(o), Some(area)) = (&s.opened, detail_area) {
        view_opened(st, cx, o, frame, area);
    }
    if let Some(q) = &s.question {
        ask::view_question(q, t, frame, area);
    }
}

fn view_opened(st: &TasksState, cx: &Ctx, o: &OpenedTask, frame: &mut Frame, area: Rect) {
    let t = cx.theme;
    let Some(inst) = instance(cx.repo, &o.id) else {
        return;
    };
    let [diagram_area, info_area] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let older = if is_older(st, inst) {
        ", older than the file"
    } else {
        ""
    };
    let block = super::theme::pane_block(
        t,
        format!(
            " {} @{}{older} ",
            crate::model::escape_name(&inst.name),
            inst.definition
                .hash
                .strip_prefix("sha256:")
                .unwrap_or("")
                .get(..8)
                .unwrap_or("")
        ),
        false,
    );
    let inner = block.inner(diagram_area);
    frame.render_widget(block, diagram_area);
    match (&o.diagram, &o.definition) {
        (Some(d), Some(def)) => {
            let (idx, last) = visited_indexes(def, inst);
            let current = inst
                .current_activities
                .first()
                .and_then(|c| def.process.activities.iter().position(|a| a.name == *c))
                .or(last);
            render_path(frame.buffer_mut(), inner, d, &idx, current, t);
        }
        _ => frame.render_widget(
            Paragraph::new(format!(
                "✗ its definition version is not available: {}",
                o.problem.as_deref().unwrap_or("unknown")
            ))
            .style(t.error())
            .wrap(Wrap { trim: false }),
            inner,
        ),
    }
    let mut lines: Vec<Line> = vec![
        Line::from(vec![
            Span::styled(
                if st.interrupted.contains(&inst.id) {
                    "interrupted (its runner is gone: r resumes, X terminates)".to_string()
                } else {
                    inst.status.as_str().to_string()
                },
                t.title(),
            ),
            Span::raw(format!("  {}  steps {}", inst.id, inst.steps)),
        ]),
        Line::raw(format!("at {}", inst.current_activities.join(", "))),
    ];
    if let Some(r) = &inst.reason {
        lines.push(Line::styled(format!("reason: {r}"), t.warning()));
    }
    if !inst.pending_work_items.is_empty() {
        lines.push(Line::raw(format!(
            "waiting on {}",
            inst.pending_work_items.join(", ")
        )));
    }
    lines.push(Line::styled("Variables", t.label()));
    for (k, v) in &inst.variables {
        if k.starts_with("WF_") || v.is_null() {
            continue;
        }
        lines.push(Line::raw(format!(
            " {k} = {}",
            one_line(&v.to_json().to_string(), 120)
        )));
    }
    let r = &inst.result;
    if !r.errors.is_empty() || !r.messages.is_empty() || !r.items.is_empty() {
        lines.push(Line::styled("Result", t.label()));
        for e in &r.errors {
            lines.push(Line::styled(format!(" ✗ {e}"), t.error()));
        }
        for m in &r.messages {
            lines.push(Line::raw(format!(" {m}")));
        }
        for (k, v) in &r.items {
            lines.push(Line::raw(format!(" {k} = {}", v.to_json())));
        }
    }
    lines.push(Line::styled("History (latest first)", t.label()));
    for h in inst.history.iter().rev() {
        let ev = serde_json::to_value(&h.event).unwrap_or_default();
        let kind = ev
            .get("event")
            .and_then(|k| k.as_str())
            .unwrap_or("")
            .to_string();
        let mut rest = ev;
        if let Some(m) = rest.as_object_mut() {
            m.remove("event");
        }
        let time = h.at.get(11..19).unwrap_or(&h.at);
        lines.push(Line::raw(format!(" {time} {kind} {rest}")));
    }
    super::theme::text_pane(frame, info_area, t, " Instance ", lines);
}
