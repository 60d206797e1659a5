//! The tasks screen: every TaskInstance with status, definition (and whether it
//! runs an older version than the file on disk), owner, started, steps, current
//! activity and pending work items; `f` filters by status. Opening one shows
//! its path on the diagram of its own definition version (from the cache), its
//! variables, history and result. `r` resumes (due timeouts, or a running case
//! whose runner is gone), `X` terminates. The repository watcher reloads the
//! screen, so a case advancing in another process shows here as it persists.

use std::collections::HashMap;

use crate::engine::store::{self, RunOptions};
use crate::model::{InstanceStatus, TaskDefinition, TaskInstance, content_hash};
use crate::repo::{Repository, cache};

use super::action::Action;
use super::ask::{self, Question};
use super::diagram::Diagram;
use super::keymap::Context;
use super::screen::Ctx;
use super::screen::Request;

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

pub(super) fn instance<'a>(repo: &'a Repository, id: &str) -> Option<&'a TaskInstance> {
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

pub(super) use super::tasks_view::unloadable_rows;
pub use super::tasks_view::{
    mark_boxes, one_line, path_indexes, render_path, view, visited_indexes,
};
