//! The debug view (the BPE's Debug page): the definition cache — each version
//! with its name, id, hash, age, whether the file on disk differs now, and the
//! instances and work items pinned to it — and the locks with their holders.
//! Clearing evicts unpinned entries at once and asks (naming the orphans)
//! before evicting pinned ones; a timestamped copy can re-point its instances;
//! a stale lock can be broken. The cases pinned to an older version than the
//! current file are listed with the diff and a migrate action
//! (`tui::debug_migrate`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::table::{self, TableCell, TableView};

use crate::repo::cache::{self, CacheEntry, FileState};
use crate::repo::lock::{self, LockInfo};

use super::action::Action;
use super::ask::{self, Question};
use super::keymap::Context;
use super::screen::Ctx;
use super::screen::Request;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Cache,
    /// The cases on older versions (`tui::debug_migrate`).
    Cases,
    Locks,
}

/// What a question of the debug view is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// Evict the pinned entries too.
    ClearPinned,
    /// Move this case to the current version of `to` (whose hash was `hash` when planned).
    Migrate {
        instance: String,
        to: String,
        hash: String,
    },
}

#[derive(Default)]
pub struct DebugViewState {
    pub entries: Vec<CacheEntry>,
    pub locks: Vec<LockInfo>,
    pub pane: Pane,
    pub selected_entry: usize,
    pub selected_lock: usize,
    pub question: Option<Question<Ask>>,
    /// Why the cache or the locks could not be read.
    pub problem: Option<String>,
    /// Cases on older versions (`tui::debug_migrate`).
    pub older: super::debug_migrate::CasesState,
}

/// Re-read the cache and the locks (on entering the screen and after changes).
pub fn refresh(st: &mut DebugViewState, cx: &mut Ctx) {
    let s = &mut *st;
    s.problem = None;
    match cache::entries(cx.root, cx.repo) {
        Ok(e) => s.entries = e,
        Err(e) => s.problem = Some(format!("cache: {e}")),
    }
    match lock::list(cx.root) {
        Ok(l) => s.locks = l,
        Err(e) => s.problem = Some(format!("locks: {e}")),
    }
    s.selected_entry = s.selected_entry.min(s.entries.len().saturating_sub(1));
    s.selected_lock = s.selected_lock.min(s.locks.len().saturating_sub(1));
    super::debug_migrate::refresh(st, cx);
}

pub fn contexts(st: &DebugViewState, _cx: &Ctx) -> Vec<Context> {
    if st.question.is_some() {
        return vec![Context::Question];
    }
    vec![
        Context::DebugView,
        Context::Screens,
        Context::Navigate,
        Context::Global,
    ]
}

pub fn update(st: &mut DebugViewState, cx: &mut Ctx, action: Action) -> Vec<Request> {
    if let Some(q) = st.question.take() {
        match (action, &q.purpose) {
            (Action::Yes, Ask::ClearPinned) => clear(st, cx, true),
            (Action::Yes, Ask::Migrate { instance, to, hash }) => {
                super::debug_migrate::confirmed(st, cx, instance, to, hash)
            }
            (Action::No, Ask::Migrate { instance, .. }) => {
                cx.info(format!("{instance}: nothing moved"))
            }
            (Action::No, _) => cx.info("nothing evicted"),
            _ => st.question = Some(q),
        }
        return Vec::new();
    }
    let s = &mut *st;
    let (sel, len) = match s.pane {
        Pane::Cache => (&mut s.selected_entry, s.entries.len()),
        Pane::Cases => (&mut s.older.selected, s.older.cases.len()),
        Pane::Locks => (&mut s.selected_lock, s.locks.len()),
    };
    let last = len.saturating_sub(1);
    match action {
        Action::Up => *sel = sel.saturating_sub(1),
        Action::Down => *sel = (*sel + 1).min(last),
        Action::Top => *sel = 0,
        Action::Bottom => *sel = last,
        Action::PageUp => *sel = sel.saturating_sub(10),
        Action::PageDown => *sel = (*sel + 10).min(last),
        Action::FocusNext => {
            s.pane = match s.pane {
                Pane::Cache => Pane::Cases,
                Pane::Cases => Pane::Locks,
                Pane::Locks => Pane::Cache,
            }
        }
        Action::ClearCache => ask_clear(st, cx),
        Action::SaveCopy => save_copy(st, cx, false),
        Action::SaveCopyRepoint => save_copy(st, cx, true),
        Action::BreakLock => break_lock(st, cx),
        Action::Migrate => super::debug_migrate::plan(st, cx),
        Action::Back => return vec![Request::Show(super::app::Screen::Browser)],
        _ => {}
    }
    Vec::new()
}

/// Clear at once when nothing is pinned; otherwise evict the unpinned entries
/// and ask, naming the instances and work items, before evicting the rest.
fn ask_clear(st: &mut DebugViewState, cx: &mut Ctx) {
    refresh(st, cx);
    let pinned: Vec<&CacheEntry> = st.entries.iter().filter(|e| e.is_pinned()).collect();
    if pinned.is_empty() {
        clear(st, cx, false);
        return;
    }
    let mut lines = vec![format!(
        "{} cached version(s) are pinned by unfinished instances.",
        pinned.len()
    )];
    lines.push("Evicting them orphans these instances and work items:".into());
    for e in &pinned {
        for p in &e.pinned_by {
            let items = if p.pending_work_items.is_empty() {
                String::new()
            } else {
                format!(" — work items {}", p.pending_work_items.join(", "))
            };
            lines.push(format!("  {} {} ({}){items}", p.id, p.name, p.status));
        }
    }
    lines.push("Unpinned entries are evicted either way. Evict the pinned ones too?".into());
    // Unpinned ones go at once, as promised.
    let repo = cx.repo;
    let evicted = cache::clear(cx.root, repo, false)
        .map(|r| r.evicted.len())
        .unwrap_or(0);
    refresh(st, cx);
    cx.info(format!("evicted {evicted} unpinned cache entries"));
    st.question = Some(Question {
        purpose: Ask::ClearPinned,
        title: "Clear pinned cache entries".into(),
        lines,
    });
}

fn clear(st: &mut DebugViewState, cx: &mut Ctx, force: bool) {
    match cache::clear(cx.root, cx.repo, force) {
        Ok(r) => {
            let mut msg = format!("evicted {} cache entries", r.evicted.len());
            if !r.orphaned_instances.is_empty() {
                msg.push_str(&format!(
                    "; orphaned instances {}",
                    r.orphaned_instances.join(", ")
                ));
            }
            if !r.kept.is_empty() {
                msg.push_str(&format!("; {} pinned kept", r.kept.len()));
            }
            cx.info(msg);
        }
        Err(e) => cx.error(format!("cannot clear the cache: {e}")),
    }
    refresh(st, cx);
}

fn save_copy(st: &mut DebugViewState, cx: &mut Ctx, repoint: bool) {
    if st.pane != Pane::Cache {
        cx.warn("select a cache entry first (Tab switches panes)");
        return;
    }
    let Some(entry) = st.entries.get(st.selected_entry).cloned() else {
        cx.warn("the cache is empty");
        return;
    };
    let version = match entry.file {
        FileState::Same { .. } => None,
        _ => Some(entry.hash.as_str()),
    };
    match cache::snapshot(cx.root, cx.repo, &entry.name, version, repoint) {
        Ok(r) => {
            let mut msg = format!("saved {}", r.definition.name);
            if repoint {
                msg.push_str(&format!(
                    "; re-pointed {} instance(s), {} work item(s)",
                    r.repointed_instances.len(),
                    r.repointed_work_items.len()
                ));
            }
            cx.info(msg);
            cx.request(Request::Reload);
        }
        Err(e) => cx.error(format!("cannot save a copy of {}: {e}", entry.name)),
    }
}

fn break_lock(st: &mut DebugViewState, cx: &mut Ctx) {
    if st.pane != Pane::Locks {
        cx.warn("select a lock first (Tab switches panes)");
        return;
    }
    let Some(l) = st.locks.get(st.selected_lock).cloned() else {
        cx.warn("no locks");
        return;
    };
    if !l.stale {
        let who: Vec<String> = l.holders.iter().map(|h| h.to_string()).collect();
        cx.error(format!(
            "{} has a live holder ({}); only a stale lock can be broken here (bpe locks REPO --break LOCK --force breaks a live one)",
            l.name,
            who.join("; ")
        ));
        return;
    }
    match lock::break_lock(cx.root, &l.name) {
        Ok(removed) => {
            cx.info(format!(
                "broke {} ({} holder record(s))",
                l.name,
                removed.len()
            ));
        }
        Err(e) => cx.error(format!("cannot break {}: {e}", l.name)),
    }
    refresh(st, cx);
}

fn file_state(f: &FileState) -> &'static str {
    match f {
        FileState::Same { .. } => "same",
        FileState::Changed { .. } => "CHANGED",
        FileState::Gone => "GONE",
    }
}

fn short_hash(h: &str) -> String {
    h.strip_prefix("sha256:")
        .unwrap_or(h)
        .chars()
        .take(12)
        .collect()
}

pub fn view(st: &DebugViewState, cx: &Ctx, frame: &mut Frame, area: Rect) {
    let t = cx.theme;
    let s = st;
    let [cache_area, detail_area, cases_area, locks_area] = Layout::vertical([
        Constraint::Percentage(30),
        Constraint::Percentage(20),
        Constraint::Percentage(30),
        Constraint::Percentage(20),
    ])
    .areas(area);
    super::debug_migrate::view(st, cx, frame, cases_area, s.pane == Pane::Cases);
    let border = |focused: bool| {
        if focused {
            t.focused_border()
        } else {
            t.border()
        }
    };
    // Cache entries.
    let rows: Vec<Vec<TableCell>> = s
        .entries
        .iter()
        .map(|e| {
            let pins = e.pinned_by.len();
            let items: usize = e.pinned_by.iter().map(|p| p.pending_work_items.len()).sum();
            let state = file_state(&e.file);
            let state_style = if state == "same" {
                t.dim()
            } else {
                t.warning()
            };
            vec![
                TableCell::raw(e.name.clone()),
                TableCell::new(short_hash(&e.hash), t.dim()),
                TableCell::raw(format!("{:>4}", ask::coarse(e.age_seconds as i64))),
                TableCell::new(state, state_style),
                if pins > 0 {
                    TableCell::new(format!("⚲ {pins} inst, {items} items"), t.marker())
                } else {
                    TableCell::new("unpinned", t.dim())
                },
            ]
        })
        .collect();
    let title = format!(" Definition cache ({}) ", s.entries.len());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border(s.pane == Pane::Cache))
        .title(Span::styled(title, t.title()));
    if rows.is_empty() {
        let msg = s
            .problem
            .clone()
            .unwrap_or_else(|| "The cache is empty (runs store the versions they use).".into());
        frame.render_widget(Paragraph::new(msg).style(t.dim()).block(block), cache_area);
    } else {
        let view = TableView {
            headers: &["definition", "version", "age", "file", "pinned by"],
            rows,
            selected: Some(s.selected_entry),
            trailer: Vec::new(),
        };
        table::render(frame, cache_area, block, view, t);
    }
    // Details of the selected entry.
    let mut lines: Vec<Line> = Vec::new();
    if let Some(e) = s.entries.get(s.selected_entry) {
        lines.push(Line::from(vec![
            Span::styled(e.name.clone(), t.title()),
            Span::styled(format!("  {}", e.id), t.dim()),
        ]));
        lines.push(Line::raw(e.hash.clone()));
        let file = match &e.file {
            FileState::Same { path } => format!("file {} is this version", path.display()),
            FileState::Changed { path } => {
                format!("file {} has changed since", path.display())
            }
            FileState::Gone => "the definition file is gone".to_string(),
        };
        lines.push(Line::raw(file));
        if let Some(p) = &e.problem {
            lines.push(Line::styled(format!("✗ {p}"), t.error()));
        }
        if e.pinned_by.is_empty() {
            lines.push(Line::styled("no unfinished instance uses it", t.dim()));
        }
        for p in &e.pinned_by {
            let items = if p.pending_work_items.is_empty() {
                String::new()
            } else {
                format!("  items {}", p.pending_work_items.join(", "))
            };
            lines.push(Line::raw(format!("⚲ {} {}{items}", p.id, p.status)));
        }
    }
    super::theme::text_pane(frame, detail_area, t, " Version ", lines);
    // Locks.
    let rows: Vec<Vec<TableCell>> = s
        .locks
        .iter()
        .map(|l| {
            let holder = l.holders.first();
            let who = holder
                .and_then(|h| h.holder.as_ref())
                .map(|h| format!("{}@{} pid {}", h.user, h.host, h.pid))
                .unwrap_or_else(|| "unknown holder".into());
            let purpose = holder
                .and_then(|h| h.holder.as_ref())
                .map(|h| h.purpose.to_string())
                .unwrap_or_default();
            let age = holder
                .map(|h| ask::coarse(h.age_seconds as i64))
                .unwrap_or_default();
            let state = if l.stale {
                let why = holder
                    .and_then(|h| h.stale.as_ref())
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                TableCell::new(format!("STALE {why}"), t.warning())
            } else {
                TableCell::new("live", t.ok())
            };
            vec![
                TableCell::raw(l.name.clone()),
                TableCell::raw(who),
                TableCell::raw(purpose),
                TableCell::raw(format!("{age:>4}")),
                state,
            ]
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border(s.pane == Pane::Locks))
        .title(Span::styled(
            format!(" Locks ({}) ", s.locks.len()),
            t.title(),
        ));
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new("No locks are held.")
                .style(t.dim())
                .block(block),
            locks_area,
        );
    } else {
        let view = TableView {
            headers: &["lock", "holder", "purpose", "age", "state"],
            rows,
            selected: Some(s.selected_lock),
            trailer: Vec::new(),
        };
        table::render(frame, locks_area, block, view, t);
    }
    if let Some(q) = &s.question {
        ask::view_question(q, t, frame, area);
    }
}
