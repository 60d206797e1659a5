//! The tasks screen: every TaskInstance with status, definition (and whether it
//! runs an older version than the file on disk), owner, started, steps, current
//! activity and pending work items; `f` filters by status. Opening one shows
//! its path on the diagram of its own definition version (from the cache), its
//! variables, history and result. `r` resumes (due timeouts, or a running case
//! whose runner is gone), `X` terminates. The repository watcher reloads the
//! screen, so a case advancing in another process shows here as it persists.

use std::collections::HashMap;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::table::{self, TableCell, TableView};

use crate::engine::store::{self, RunOptions};
use crate::model::{InstanceStatus, ObjectKind, TaskDefinition, TaskInstance, content_hash};
use crate::repo::{Repository, cache};

use super::action::Action;
use super::ask::{self, Question};
use super::diagram::{Diagram, Highlight};
use super::keymap::Context;
use super::screen::Ctx;
use super::screen::Request;
use super::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    Terminate,
}

/// An instance opened for details, with its own definition version laid out.
pub struct OpenedTask {
    pub id: String,
    /// The definition version it was opened on (`definition.hash` of the instance).
    pub hash: String,
    pub definition: Option<TaskDefinition>,
    pub diagram: Option<Diagram>,
    /// Why the pinned version could not be loaded.
    pub problem: Option<String>,
}

#[derive(Default)]
pub struct TasksState {
    /// `None` = every status.
    pub status: Option<InstanceStatus>,
    pub rows: Vec<String>,
    pub selected: usize,
    pub opened: Option<OpenedTask>,
    pub question: Option<Question<Ask>>,
    /// Content hash of each definition file now, by definition id and by name.
    pub current_hash: HashMap<String, String>,
    /// Running instances whose runner is gone (`store::is_interrupted`), as of the last refresh.
    pub interrupted: std::collections::HashSet<String>,
}

const STATUSES: [InstanceStatus; 5] = [
    InstanceStatus::Running,
    InstanceStatus::Suspended,
    InstanceStatus::Completed,
    InstanceStatus::Terminated,
    InstanceStatus::Failed,
];

fn instance<'a>(repo: &'a Repository, id: &str) -> Option<&'a TaskInstance> {
    repo.instance(id).map(|l| &l.value)
}

pub fn refresh(st: &mut TasksState, cx: &mut Ctx) {
    let s = &mut *st;
    s.current_hash.clear();
    for d in &cx.repo.definitions {
        let h = content_hash(&d.value);
        s.current_hash.insert(d.value.id.clone(), h.clone());
        s.current_hash.insert(d.value.name.clone(), h);
    }
    let mut rows: Vec<&TaskInstance> = cx
        .repo
        .instances
        .iter()
        .map(|l| &l.value)
        .filter(|i| s.status.is_none_or(|st| i.status == st))
        .collect();
    rows.sort_by(|a, b| b.started.cmp(&a.started).then(a.id.cmp(&b.id)));
    s.interrupted = rows
        .iter()
        .filter(|i| store::is_interrupted(cx.root, i))
        .map(|i| i.id.clone())
        .collect();
    let keep = s.rows.get(s.selected).cloned();
    s.rows = rows.iter().map(|i| i.id.clone()).collect();
    s.selected = keep
        .and_then(|k| s.rows.iter().position(|r| *r == k))
        .unwrap_or(s.selected)
        .min(s.rows.len().saturating_sub(1));
    // An opened case moved to another version (migrated): lay that version out.
    let reopen = s.opened.as_ref().and_then(|o| {
        let inst = cx.repo.instance(&o.id)?;
        (inst.value.definition.hash != o.hash).then(|| o.id.clone())
    });
    if let Some(id) = reopen {
        open(st, cx, id);
    }
}

/// Select and open instance `id` (the reports screen's Enter on a case),
/// showing every status so it is listed; false when no such instance is loaded.
pub fn show_instance(st: &mut TasksState, cx: &mut Ctx, id: &str) -> bool {
    if instance(cx.repo, id).is_none() {
        return false;
    }
    st.status = None;
    refresh(st, cx);
    st.selected = st.rows.iter().position(|r| r == id).unwrap_or(0);
    open(st, cx, id.to_string());
    true
}

/// Whether the instance runs a version other than the file on disk now.
pub fn is_older(s: &TasksState, i: &TaskInstance) -> bool {
    let now = s
        .current_hash
        .get(&i.definition.id)
        .or_else(|| s.current_hash.get(&i.definition.name));
    now.is_some_and(|h| *h != i.definition.hash)
}

pub fn contexts(st: &TasksState, _cx: &Ctx) -> Vec<Context> {
    if st.question.is_some() {
        return vec![Context::Question];
    }
    vec![
        Context::Tasks,
        Context::Screens,
        Context::Navigate,
        Context::Global,
    ]
}

fn open(st: &mut TasksState, cx: &mut Ctx, id: String) {
    let Some(inst) = instance(cx.repo, &id) else {
        return;
    };
    let (definition, problem) = match cache::load_in(cx.repo, &inst.definition) {
        Ok(d) => (Some(d), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let diagram = definition.as_ref().map(Diagram::build);
    let hash = inst.definition.hash.clone();
    st.opened = Some(OpenedTask {
        id,
        hash,
        definition,
        diagram,
        problem,
    });
}

pub fn update(st: &mut TasksState, cx: &mut Ctx, action: Action) -> Vec<Request> {
    if let Some(q) = st.question.take() {
        match (action, q.purpose) {
            (Action::Yes, Ask::Terminate) => return terminate(st, cx),
            (Action::No, _) => {}
            _ => st.question = Some(q),
        }
        return Vec::new();
    }
    let s = &mut *st;
    let last = s.rows.len().saturating_sub(1);
    let selected_id = s.rows.get(s.selected).cloned();
    match action {
        Action::Up => s.selected = s.selected.saturating_sub(1),
        Action::Down => s.selected = (s.selected + 1).min(last),
        Action::Top => s.selected = 0,
        Action::Bottom => s.selected = last,
        Action::PageUp => s.selected = s.selected.saturating_sub(10),
        Action::PageDown => s.selected = (s.selected + 10).min(last),
        Action::CycleStatus => {
            s.status = match s.status {
                None => Some(STATUSES[0]),
                Some(st) => STATUSES
                    .iter()
                    .position(|x| *x == st)
                    .and_then(|p| STATUSES.get(p + 1))
                    .copied(),
            };
            s.opened = None;
            refresh(st, cx);
        }
        Action::Open => {
            if let Some(id) = selected_id {
                open(st, cx, id);
            }
        }
        Action::Back if s.opened.is_some() => s.opened = None,
        Action::Back => return vec![Request::Show(super::app::Screen::Browser)],
        Action::Resume => return resume(st, cx),
        Action::Terminate => {
            let Some(id) = current_id(st) else {
                return Vec::new();
            };
            let Some(inst) = instance(cx.repo, &id) else {
                return Vec::new();
            };
            if inst.status.is_finished() {
                cx.warn(format!("{id} is already {}", inst.status.as_str()));
                return Vec::new();
            }
            let lines = vec![
                format!(
                    "Terminate {} ({}, {})?",
                    id,
                    crate::model::escape_name(&inst.name),
                    inst.status.as_str()
                ),
                format!(
                    "Its pending work items are closed: {}",
                    if inst.pending_work_items.is_empty() {
                        "none".to_string()
                    } else {
                        inst.pending_work_items.join(", ")
                    }
                ),
            ];
            st.question = Some(Question {
                purpose: Ask::Terminate,
                title: "Terminate".into(),
                lines,
            });
        }
        _ => {}
    }
    Vec::new()
}

fn current_id(st: &TasksState) -> Option<String> {
    st.opened
        .as_ref()
        .map(|o| o.id.clone())
        .or_else(|| st.rows.get(st.selected).cloned())
}

/// Terminate the current case through the store; the repository is re-read
/// by the app ([`Request::Reload`]), which refreshes this screen.
fn terminate(st: &mut TasksState, cx: &mut Ctx) -> Vec<Request> {
    let Some(id) = current_id(st) else {
        return Vec::new();
    };
    match store::terminate(cx.root, &id, "bpe tui") {
        Ok(i) => {
            cx.info(format!("{} {}", i.id, i.status.as_str()));
            vec![Request::Reload]
        }
        Err(e) => {
            cx.error(format!("cannot terminate {id}: {e}"));
            Vec::new()
        }
    }
}

/// Resume the current case (a running one whose runner is gone, or a
/// suspended one's due timeouts); the reload is a [`Request::Reload`].
fn resume(st: &mut TasksState, cx: &mut Ctx) -> Vec<Request> {
    let Some(id) = current_id(st) else {
        return Vec::new();
    };
    let Some(status) = instance(cx.repo, &id).map(|i| i.status) else {
        return Vec::new();
    };
    let mut services = ask::services(cx.repo, false);
    let result = match status {
        InstanceStatus::Running => {
            let opts = RunOptions {
                owner: ask::os_user(),
                purpose: "bpe tui".into(),
                dry_run: false,
            };
            store::resume(cx.root, &id, &mut services, &opts).map(|r| {
                format!(
                    "{} continued: {} at {}",
                    id,
                    r.instance.status.as_str(),
                    r.instance.current_activities.join(", ")
                )
            })
        }
        InstanceStatus::Suspended => {
            store::apply_due_timeouts_with(cx.root, &mut services, chrono::Utc::now()).map(
                |reports| match reports.iter().find(|r| r.instance.id == id) {
                    Some(r) => {
                        format!("{id} timed out and went on: {}", r.instance.status.as_str())
                    }
                    None => format!("{id} has no work item due yet; it keeps waiting"),
                },
            )
        }
        s => {
            cx.warn(format!("{id} is {}: nothing to resume", s.as_str()));
            return Vec::new();
        }
    };
    match result {
        Ok(msg) => {
            cx.info(msg);
            vec![Request::Reload]
        }
        Err(e) => {
            cx.error(format!("cannot resume {id}: {e}"));
            Vec::new()
        }
    }
}

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
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.focused_border())
        .title(Span::styled(title, t.title()));
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
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(
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
            t.title(),
        ));
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
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(" Instance ", t.title()));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        info_area,
    );
}
