//! The work items screen: pending items with owner, request, task, age and
//! time left, the current OS user's by default (`a` shows everyone's). Opening
//! one shows its exposed variables; editable ones can be changed; approve,
//! reject or forward it with a comment. Completing goes through
//! `engine::store::complete` — the same code as `bpe complete` — and says where
//! the case went.

use std::collections::BTreeMap;

use chrono::Utc;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::table::{self, TableCell, TableView};

use crate::engine::store::{self, Completion, RunOptions};
use crate::expr::Value;
use crate::model::{ObjectKind, WorkItem};

use super::action::Action;
use super::app::{AppAsk, Overlay};
use super::ask::{self, Prompt};
use super::keymap::Context;
use super::screen::Ctx;
use super::screen::Request;
use crate::repo::Repository;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    Comment,
    ForwardTo,
    /// A new value for the selected variable.
    Value,
}

/// An item opened for completion: the edits are kept until it is completed.
pub struct Opened {
    pub id: String,
    pub selected_var: usize,
    pub changed: BTreeMap<String, Value>,
    pub comment: String,
}

pub struct WorkItemsState {
    /// Show every owner's items, not only the current user's.
    pub all: bool,
    pub user: String,
    /// Ids of the rows shown, oldest first.
    pub rows: Vec<String>,
    pub selected: usize,
    pub opened: Option<Opened>,
    pub prompt: Option<Prompt<Ask>>,
}

impl Default for WorkItemsState {
    fn default() -> Self {
        WorkItemsState {
            all: false,
            user: ask::os_user(),
            rows: Vec::new(),
            selected: 0,
            opened: None,
            prompt: None,
        }
    }
}

fn item<'a>(repo: &'a Repository, id: &str) -> Option<&'a WorkItem> {
    repo.work_item(id).map(|l| &l.value)
}

/// Recompute the rows from the repository.
pub fn refresh(st: &mut WorkItemsState, cx: &mut Ctx) {
    let s = &mut *st;
    let mut rows: Vec<&WorkItem> = cx
        .repo
        .work_items
        .iter()
        .map(|l| &l.value)
        .filter(|w| !w.complete && (s.all || w.owner == s.user))
        .collect();
    rows.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
    let keep = s.rows.get(s.selected).cloned();
    s.rows = rows.iter().map(|w| w.id.clone()).collect();
    s.selected = keep
        .and_then(|k| s.rows.iter().position(|r| *r == k))
        .unwrap_or(s.selected)
        .min(s.rows.len().saturating_sub(1));
    if let Some(o) = &s.opened
        && !s.rows.contains(&o.id)
    {
        s.opened = None;
    }
}

pub fn contexts(st: &WorkItemsState, _cx: &Ctx) -> Vec<Context> {
    if st.prompt.is_some() {
        return vec![Context::TextEdit];
    }
    vec![
        Context::WorkItems,
        Context::Screens,
        Context::Navigate,
        Context::Global,
    ]
}

pub fn text_input(st: &mut WorkItemsState, _cx: &mut Ctx, key: KeyEvent) {
    if let Some(p) = &mut st.prompt
        && p.input.input(key)
    {
        p.error = None;
    }
}

/// Names of the variables shown for an item: exposed ones, editable first marked.
fn var_names(w: &WorkItem) -> Vec<String> {
    w.variables.keys().cloned().collect()
}

fn editable(w: &WorkItem, name: &str) -> bool {
    w.editable_variables.is_empty() || w.editable_variables.iter().any(|e| e == name)
}

pub fn update(st: &mut WorkItemsState, cx: &mut Ctx, action: Action) -> Vec<Request> {
    if let Some(mut p) = st.prompt.take() {
        match action {
            Action::Cancel => {}
            Action::Accept => match prompt_accepted(st, cx, p.purpose, p.text()) {
                Ok(requests) => return requests,
                Err(e) => {
                    p.error = Some(e);
                    st.prompt = Some(p);
                }
            },
            _ => st.prompt = Some(p),
        }
        return Vec::new();
    }
    let selected_id = st.rows.get(st.selected).cloned();
    let opened = st.opened.is_some();
    match action {
        Action::Up | Action::Down | Action::Top | Action::Bottom if opened => {
            let n = st
                .opened
                .as_ref()
                .and_then(|o| item(cx.repo, &o.id))
                .map(|w| w.variables.len())
                .unwrap_or(0);
            if let Some(o) = &mut st.opened {
                o.selected_var = match action {
                    Action::Up => o.selected_var.saturating_sub(1),
                    Action::Down => (o.selected_var + 1).min(n.saturating_sub(1)),
                    Action::Top => 0,
                    _ => n.saturating_sub(1),
                };
            }
        }
        Action::Up => st.selected = st.selected.saturating_sub(1),
        Action::Down => {
            let last = st.rows.len().saturating_sub(1);
            st.selected = (st.selected + 1).min(last);
        }
        Action::Top => st.selected = 0,
        Action::Bottom => st.selected = st.rows.len().saturating_sub(1),
        Action::ToggleAll => {
            st.all = !st.all;
            refresh(st, cx);
        }
        Action::Open => {
            if let Some(id) = selected_id {
                st.opened = Some(Opened {
                    id,
                    selected_var: 0,
                    changed: BTreeMap::new(),
                    comment: String::new(),
                });
            }
        }
        Action::Back if opened => st.opened = None,
        Action::Back => return vec![Request::Show(super::app::Screen::Browser)],
        Action::Edit => {
            let Some(o) = &st.opened else {
                cx.warn("open the work item first (Enter)");
                return Vec::new();
            };
            let Some(w) = item(cx.repo, &o.id) else {
                return Vec::new();
            };
            let Some(name) = var_names(w).get(o.selected_var).cloned() else {
                return Vec::new();
            };
            if !editable(w, &name) {
                cx.warn(format!("'{name}' is not editable in this work item"));
                return Vec::new();
            }
            let current = o
                .changed
                .get(&name)
                .or_else(|| w.variables.get(&name))
                .map(|v| v.to_json().to_string())
                .unwrap_or_default();
            st.prompt = Some(Prompt::new(
                Ask::Value,
                format!("{name} (JSON, or plain text)"),
                &current,
            ));
        }
        Action::Comment => {
            let current = st
                .opened
                .as_ref()
                .map(|o| o.comment.clone())
                .unwrap_or_default();
            if selected_id.is_some() {
                st.prompt = Some(Prompt::new(Ask::Comment, "Comment", &current));
            }
        }
        Action::Forward if selected_id.is_some() => {
            st.prompt = Some(Prompt::new(Ask::ForwardTo, "Forward to (owner)", ""));
        }
        Action::Approve => return decide(st, cx, "approve"),
        Action::Reject => return decide(st, cx, "reject"),
        _ => {}
    }
    Vec::new()
}

pub(super) fn current_id(st: &WorkItemsState) -> Option<String> {
    st.opened
        .as_ref()
        .map(|o| o.id.clone())
        .or_else(|| st.rows.get(st.selected).cloned())
}

/// A prompt's text was accepted; `Err` keeps the prompt open with the message.
fn prompt_accepted(
    st: &mut WorkItemsState,
    cx: &mut Ctx,
    purpose: Ask,
    text: String,
) -> Result<Vec<Request>, String> {
    match purpose {
        Ask::Comment => {
            let id = current_id(st).ok_or("no work item selected")?;
            let o = st.opened.get_or_insert_with(|| Opened {
                id,
                selected_var: 0,
                changed: BTreeMap::new(),
                comment: String::new(),
            });
            o.comment = text;
        }
        Ask::Value => {
            let Some(o) = &st.opened else {
                return Ok(Vec::new());
            };
            let name = item(cx.repo, &o.id)
                .and_then(|w| var_names(w).get(o.selected_var).cloned())
                .ok_or("no variable selected")?;
            if let Some(o) = &mut st.opened {
                o.changed.insert(name, ask::parse_value(&text));
            }
        }
        Ask::ForwardTo => {
            if text.is_empty() {
                return Err("type the new owner (Esc cancels)".into());
            }
            let id = current_id(st).ok_or("no work item selected")?;
            let comment = st
                .opened
                .as_ref()
                .map(|o| o.comment.clone())
                .unwrap_or_default();
            match store::forward(cx.root, &id, &text, &comment, "bpe tui") {
                Ok(w) => {
                    cx.info(format!("{} forwarded to {}", w.id, w.owner));
                    return Ok(vec![Request::Reload]);
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }
    Ok(Vec::new())
}

/// `y` / `r`: ask first (naming the item, and its owner when it is someone
/// else's) unless the user's workspace says `"confirmDecisions": false`.
fn decide(st: &mut WorkItemsState, cx: &mut Ctx, decision: &'static str) -> Vec<Request> {
    let Some(id) = current_id(st) else {
        cx.warn("no work item selected");
        return Vec::new();
    };
    let w = item(cx.repo, &id).cloned();
    let purpose = AppAsk::Decide {
        item: id.clone(),
        decision,
    };
    let consequence = "The case resumes at once; this cannot be undone.";
    if ask_decision(
        &st.user,
        cx,
        &id,
        w.as_ref(),
        decision,
        purpose,
        consequence,
    ) {
        return Vec::new();
    }
    complete(st, cx, decision)
}

/// The question before approving or rejecting a work item, for every screen
/// that decides one (the work items screen, the debugger's inline decision):
/// it names the item, its workflow and activity, the request, and the owner when
/// the item belongs to someone other than the user; `consequence` says what
/// follows. Returns `false`, asking nothing, when the user's workspace says
/// `"confirmDecisions": false`: the caller decides at once.
pub(super) fn ask_decision(
    user: &str,
    cx: &mut Ctx,
    id: &str,
    w: Option<&WorkItem>,
    decision: &str,
    purpose: AppAsk,
    consequence: &str,
) -> bool {
    let ask = super::workspace::Workspace::load(cx.root)
        .map(|w| w.confirm_decisions.unwrap_or(true))
        .unwrap_or(true);
    if !ask {
        return false;
    }
    let verb = if decision == "approve" {
        "Approve"
    } else {
        "Reject"
    };
    let id = crate::model::escape_name(id);
    let mut lines = Vec::new();
    match w {
        Some(w) => {
            lines.push(format!(
                "{verb} {id} ({} / {})?",
                crate::model::escape_name(&w.definition.name),
                crate::model::escape_name(&w.activity)
            ));
            if !w.request.is_empty() {
                let request = crate::model::escape_name(&w.request).replace('\n', " ");
                lines.push(super::tasks::one_line(&request, 70));
            }
            if w.owner != user {
                lines.push(format!(
                    "It belongs to {}, not to you ({}).",
                    crate::model::escape_name(&w.owner),
                    crate::model::escape_name(user)
                ));
            }
        }
        None => lines.push(format!("{verb} {id}?")),
    }
    lines.push(consequence.into());
    cx.overlay(Overlay::Question(ask::Question {
        purpose,
        title: verb.into(),
        lines,
    }));
    true
}

/// Complete the selected (or opened) item with a decision and resume its case
/// (`store::complete`); the repository is re-read by the app ([`Request::Reload`]).
pub(super) fn complete(st: &mut WorkItemsState, cx: &mut Ctx, decision: &str) -> Vec<Request> {
    let Some(id) = current_id(st) else {
        cx.warn("no work item selected");
        return Vec::new();
    };
    let (variables, comment) = match &st.opened {
        Some(o) if o.id == id => (o.changed.clone(), o.comment.clone()),
        _ => (BTreeMap::new(), String::new()),
    };
    let completion = Completion {
        decision: Some(decision.to_string()),
        comment,
        variables,
    };
    let mut services = ask::services(cx.repo, false);
    let opts = RunOptions {
        owner: st.user.clone(),
        purpose: "bpe tui".into(),
        dry_run: false,
    };
    match store::complete(cx.root, &id, &completion, &mut services, &opts) {
        Ok(report) => {
            let inst = &report.instance;
            let where_ = match inst.status {
                crate::model::InstanceStatus::Suspended => format!(
                    "suspended at {} (waiting on {})",
                    inst.current_activities.join(", "),
                    report
                        .work_items
                        .iter()
                        .map(|w| format!("{} for {}", w.id, w.owner))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                s => s.as_str().to_string(),
            };
            st.opened = None;
            cx.info(format!(
                "{id} {}; case {} {where_}",
                decided(decision),
                inst.id
            ));
            vec![Request::Reload]
        }
        Err(e) => {
            cx.error(format!("cannot complete {id}: {e}"));
            Vec::new()
        }
    }
}

/// The decision in the past tense for messages: `approved`, `rejected`.
pub(super) fn decided(decision: &str) -> String {
    match decision {
        "reject" => "rejected".into(),
        d => format!("{d}d"),
    }
}

fn left_text(w: &WorkItem, now: chrono::DateTime<Utc>) -> String {
    match w
        .timeout_at
        .as_deref()
        .and_then(|t| ask::seconds_since(t, now))
    {
        Some(s) if s >= 0 => "DUE".into(),
        Some(s) => ask::coarse(-s),
        None => "—".into(),
    }
}

pub fn view(st: &WorkItemsState, cx: &Ctx, frame: &mut Frame, area: Rect) {
    let t = cx.theme;
    let s = st;
    let now = Utc::now();
    let [list_area, detail_area] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let who = if s.all {
        "everyone".to_string()
    } else {
        s.user.clone()
    };
    let title = format!(" Work items — {who} ({}) ", s.rows.len());
    let block = super::theme::pane_block(t, title, true);
    let rows: Vec<Vec<TableCell>> = s
        .rows
        .iter()
        .filter_map(|id| item(cx.repo, id))
        .map(|w| {
            let age = ask::seconds_since(&w.created, now)
                .map(ask::coarse)
                .unwrap_or_default();
            vec![
                TableCell::raw(w.owner.clone()),
                TableCell::raw(w.definition.name.clone()),
                TableCell::raw(w.request.clone()),
                TableCell::new(format!("{age:>4}"), t.dim()),
                TableCell::raw(left_text(w, now)),
            ]
        })
        .collect();
    let trailer: Vec<Line> =
        super::tasks::unloadable_rows(cx.repo, ObjectKind::WorkItem, t).collect();
    if rows.is_empty() && trailer.is_empty() {
        let msg = if s.all {
            "No pending work items.".to_string()
        } else {
            format!("No pending work items for {} (a shows everyone's).", s.user)
        };
        frame.render_widget(Paragraph::new(msg).style(t.dim()).block(block), list_area);
    } else {
        let view = TableView {
            headers: &["owner", "workflow", "request", "age", "left"],
            selected: (!rows.is_empty()).then_some(s.selected),
            rows,
            trailer,
        };
        table::render(frame, list_area, block, view, t);
    }
    let sel = s
        .opened
        .as_ref()
        .map(|o| o.id.clone())
        .or_else(|| s.rows.get(s.selected).cloned());
    let mut lines: Vec<Line> = Vec::new();
    if let Some(w) = sel.as_deref().and_then(|id| item(cx.repo, id)) {
        lines.push(Line::from(vec![
            Span::styled(w.request.clone(), t.title()),
            Span::styled(format!("  {}", w.id), t.dim()),
        ]));
        lines.push(Line::raw(format!(
            "{} / {} (case {}), owner {}",
            crate::model::escape_name(&w.definition.name),
            crate::model::escape_name(&w.activity),
            w.instance,
            crate::model::escape_name(&w.owner)
        )));
        if !w.description.is_empty() {
            lines.push(Line::raw(w.description.clone()));
        }
        for f in &w.forwarded {
            lines.push(Line::styled(
                format!("forwarded {} → {} {}", f.from, f.to, f.comment),
                t.dim(),
            ));
        }
        match &s.opened {
            Some(o) if o.id == w.id => {
                for (i, name) in var_names(w).iter().enumerate() {
                    let value = o
                        .changed
                        .get(name)
                        .or_else(|| w.variables.get(name))
                        .map(|v| v.to_json().to_string())
                        .unwrap_or_default();
                    let mark = if o.changed.contains_key(name) {
                        "*"
                    } else if editable(w, name) {
                        "✎"
                    } else {
                        " "
                    };
                    let text = format!("{mark} {name} = {value}");
                    if i == o.selected_var {
                        lines.push(Line::styled(format!("▶{text}"), t.selected()));
                    } else {
                        lines.push(Line::raw(format!(" {text}")));
                    }
                }
                lines.push(Line::raw(format!("comment: {}", o.comment)));
                lines.push(Line::styled(
                    "e edit ✎ variable · c comment · y approve · r reject · f forward · Esc close",
                    t.dim(),
                ));
            }
            _ => {
                lines.push(Line::raw(format!(
                    "{} variable(s); Enter opens",
                    w.variables.len()
                )));
            }
        }
    }
    super::theme::text_pane(frame, detail_area, t, " Work item ", lines);
    if let Some(p) = &s.prompt {
        ask::view_prompt(p, t, frame, area);
    }
}
