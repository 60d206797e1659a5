//! The debug view's cases on older versions: every unfinished TaskInstance
//! pinned to a version of its definition other than the current file, the
//! semantic diff from the pinned version to the current one (`crate::diff`),
//! and the migrate action — a dry-run plan first (shown), then a question, then
//! the move through `engine::migrate::migrate`, the API `bpe migrate` uses,
//! under the instance lock it takes. A refusal is shown with each reason.
//!
//! Invariants:
//! - A case is listed when its pinned hash differs from the content hash of
//!   the current definition with its id (else its name); a case whose
//!   definition is gone is listed with that problem and cannot be migrated.
//! - Nothing is written before the user confirms a plan without refusals; the
//!   confirmed move is refused when the current file changed since the plan
//!   (its hash is checked again), so what moves is what was shown.

use std::collections::HashMap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::ask::Question;
use super::debug_view::DebugViewState;
use super::debug_view::{Ask, Pane};
use super::screen::Ctx;
use super::table::{self, TableCell, TableView};
use super::theme::Theme;
use crate::diff::DefinitionDiff;
use crate::engine::migrate::{self, MigrateError, MigrateOptions, Plan};
use crate::model::{DefinitionRef, content_hash, escape_name};
use crate::repo::cache;

/// One case on an older version.
#[derive(Debug, Clone)]
pub struct OlderCase {
    pub instance: String,
    pub name: String,
    pub status: String,
    pub pinned: DefinitionRef,
    /// The current definition's name and hash (None: it is gone).
    pub current: Option<(String, String)>,
    /// Pinned → current, or why it cannot be computed.
    pub diff: Result<DefinitionDiff, String>,
}

/// What the cases pane shows beside the list: the diff, or the last plan.
#[derive(Debug, Clone, Default)]
pub struct CasesState {
    pub cases: Vec<OlderCase>,
    pub selected: usize,
    /// The lines of the last plan (a refusal, or the result of a move), for
    /// the case it was made for.
    pub plan: Option<(String, Vec<String>)>,
}

/// Re-read the cases on older versions from `cx.repo`.
pub fn refresh(st: &mut DebugViewState, cx: &mut Ctx) {
    let repo = cx.repo;
    let mut diffs: HashMap<(String, String), Result<DefinitionDiff, String>> = HashMap::new();
    let mut cases = Vec::new();
    for i in &repo.instances {
        let inst = &i.value;
        if inst.status.is_finished() {
            continue;
        }
        let current = repo
            .definition_by_id(&inst.definition.id)
            .or_else(|| repo.definition(&inst.definition.name));
        let current_ref = current.map(|d| (d.value.name.clone(), content_hash(&d.value)));
        if current_ref
            .as_ref()
            .is_some_and(|(_, h)| *h == inst.definition.hash)
        {
            continue;
        }
        let diff = match current {
            None => Err(match repo.failed_definition(&inst.definition.name) {
                Some(e) => format!("the current file does not load: {e}"),
                None => format!(
                    "no current definition with id {} or name \"{}\"",
                    escape_name(&inst.definition.id),
                    escape_name(&inst.definition.name)
                ),
            }),
            Some(cur) => {
                let key = (inst.definition.hash.clone(), content_hash(&cur.value));
                diffs
                    .entry(key)
                    .or_insert_with(|| {
                        cache::load_in(repo, &inst.definition)
                            .map(|old| crate::diff::diff(&old, &cur.value))
                            .map_err(|e| format!("the pinned version cannot be read: {e}"))
                    })
                    .clone()
            }
        };
        cases.push(OlderCase {
            instance: inst.id.clone(),
            name: inst.name.clone(),
            status: inst.status.as_str().to_string(),
            pinned: inst.definition.clone(),
            current: current_ref,
            diff,
        });
    }
    cases.sort_by(|a, b| a.instance.cmp(&b.instance));
    let s = &mut st.older;
    s.cases = cases;
    s.selected = s.selected.min(s.cases.len().saturating_sub(1));
}

fn selected<'a>(st: &'a DebugViewState, _cx: &Ctx) -> Option<&'a OlderCase> {
    let s = &st.older;
    s.cases.get(s.selected)
}

/// `engine::migrate::migrate` of `instance` to the current `to`, as `bpe
/// migrate` runs it (the audit line goes to the repository's services).
fn run(cx: &Ctx, instance: &str, to: &str, dry_run: bool) -> Result<Plan, MigrateError> {
    let opts = MigrateOptions {
        to: to.to_string(),
        map: Vec::new(),
        dry_run,
        purpose: if dry_run {
            "bpe tui migrate (plan)"
        } else {
            "bpe tui migrate"
        }
        .into(),
    };
    let mut services = super::ask::services(cx.repo, false);
    migrate::migrate(cx.root, instance, &opts, &mut services)
}

/// `M`: plan the move of the selected case (a dry run); ask when it is
/// allowed, show each reason when it is refused.
pub fn plan(st: &mut DebugViewState, cx: &mut Ctx) {
    if st.pane != Pane::Cases {
        cx.warn("select a case on an older version first (Tab switches panes)");
        return;
    }
    let Some(case) = selected(st, cx).cloned() else {
        cx.warn("no case runs on an older version");
        return;
    };
    let Some((to, hash)) = case.current.clone() else {
        let why = case.diff.as_ref().err().cloned().unwrap_or_default();
        cx.error(format!("{} cannot be migrated: {why}", case.instance));
        return;
    };
    match run(cx, &case.instance, &to, true) {
        Ok(p) => {
            let mut lines = migrate::plan_lines(&p, true);
            lines.pop(); // "dry run: nothing changed" — the question says it.
            lines.push(String::new());
            lines.push(format!(
                "Move {} to the current \"{}\" now? (nothing is written before yes)",
                escape_name(&case.instance),
                escape_name(&to)
            ));
            st.older.plan = None;
            st.question = Some(Question {
                purpose: Ask::Migrate {
                    instance: case.instance.clone(),
                    to,
                    hash,
                },
                title: "Migrate to the current version".into(),
                lines,
            });
        }
        Err(MigrateError::Refused(p)) => refused(st, cx, &case.instance, &p),
        Err(MigrateError::Store(e)) => cx.error(format!(
            "cannot plan the migration of {}: {e}",
            case.instance
        )),
    }
}

fn refused(st: &mut DebugViewState, cx: &mut Ctx, instance: &str, p: &Plan) {
    cx.error(format!(
        "migration of {} refused: {}",
        escape_name(instance),
        escape_name(&p.refusals.join("; "))
    ));
    st.older.plan = Some((instance.to_string(), migrate::plan_lines(p, true)));
}

/// The answer yes to a plan: move the case (unless the current file changed
/// since the plan), then re-read the repository.
pub fn confirmed(st: &mut DebugViewState, cx: &mut Ctx, instance: &str, to: &str, hash: &str) {
    let now = cx
        .repo
        .definition(to)
        .map(|d| content_hash(&d.value))
        .unwrap_or_default();
    if now != hash {
        cx.error(format!(
            "\"{}\" changed since the plan: nothing moved; M plans again",
            escape_name(to)
        ));
        return;
    }
    match run(cx, instance, to, false) {
        Ok(p) => {
            let mut msg = format!(
                "migrated {} to \"{}\" {}",
                escape_name(instance),
                escape_name(&p.to.name),
                super::diff_view::short_hash(&p.to.hash)
            );
            if let Some(e) = &p.audit_error {
                msg.push_str(&format!(" (the audit line was not written: {e})"));
            }
            st.older.plan = Some((instance.to_string(), migrate::plan_lines(&p, false)));
            cx.info(msg);
            cx.request(super::screen::Request::Reload);
        }
        Err(MigrateError::Refused(p)) => refused(st, cx, instance, &p),
        Err(MigrateError::Store(e)) => {
            cx.error(format!("cannot migrate {}: {e}", escape_name(instance)))
        }
    }
}

/// The cases pane: the list, and beside it the diff of the selected case (or
/// the last plan made for it).
pub fn view(st: &DebugViewState, cx: &Ctx, frame: &mut Frame, area: Rect, focused: bool) {
    let t = cx.theme;
    let s = &st.older;
    let [list_area, diff_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            t.focused_border()
        } else {
            t.border()
        })
        .title(Span::styled(
            format!(" Cases on older versions ({}) ", s.cases.len()),
            t.title(),
        ));
    if s.cases.is_empty() {
        frame.render_widget(
            Paragraph::new("No case runs on an older version.")
                .style(t.dim())
                .block(block),
            list_area,
        );
    } else {
        let rows: Vec<Vec<TableCell>> = s
            .cases
            .iter()
            .map(|c| {
                vec![
                    TableCell::raw(c.instance.clone()),
                    TableCell::raw(c.pinned.name.clone()),
                    TableCell::new(
                        c.pinned
                            .hash
                            .trim_start_matches("sha256:")
                            .chars()
                            .take(8)
                            .collect::<String>(),
                        t.dim(),
                    ),
                    TableCell::raw(c.status.clone()),
                ]
            })
            .collect();
        let view = TableView {
            headers: &["instance", "definition", "pinned", "status"],
            rows,
            selected: Some(s.selected),
            trailer: Vec::new(),
        };
        table::render(frame, list_area, block, view, t);
    }
    view_diff(st, t, frame, diff_area);
}

fn view_diff(st: &DebugViewState, t: &Theme, frame: &mut Frame, area: Rect) {
    let s = &st.older;
    let case = s.cases.get(s.selected);
    let plan = s
        .plan
        .as_ref()
        .filter(|(id, _)| case.is_none_or(|c| &c.instance == id));
    let title = match (plan, case) {
        (Some((id, _)), _) => format!(" Migration plan of {} ", escape_name(id)),
        (None, Some(c)) => format!(
            " Pinned → current ({}) ",
            c.diff.as_ref().map_or(0, |d| d.changes.len())
        ),
        (None, None) => " Pinned → current ".to_string(),
    };
    let block = super::theme::pane_block(t, title, false);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    // Long lines wrap (continuations indented), so a reason or a change is read whole.
    let wrap = |l: &str, style| -> Vec<Line<'static>> {
        let indent = l.len() - l.trim_start().len();
        super::editor_view::wrap_chars(l.trim_start(), width.saturating_sub(indent + 2))
            .into_iter()
            .enumerate()
            .map(|(n, part)| {
                let pad = if n == 0 { indent } else { indent + 2 };
                Line::styled(format!("{}{part}", " ".repeat(pad)), style)
            })
            .collect()
    };
    let lines: Vec<Line> = match (plan, case) {
        (Some((_, lines)), _) => lines
            .iter()
            .flat_map(|l| {
                let style = if l.starts_with("  - ") || l.starts_with("refused") {
                    t.error()
                } else {
                    t.normal()
                };
                wrap(l, style)
            })
            .collect(),
        (None, Some(c)) => match &c.diff {
            Err(e) => wrap(&format!("✗ {e}"), t.error()),
            Ok(d) if d.is_empty() => vec![Line::styled("no differences", t.dim())],
            Ok(d) => {
                let mut out = wrap("M plans the move to the current version", t.dim());
                out.extend(
                    crate::diff::render_text(d)
                        .lines()
                        .flat_map(|l| wrap(l, super::diff_view_render::line_style(l, t))),
                );
                out
            }
        },
        (None, None) => Vec::new(),
    };
    frame.render_widget(Paragraph::new(lines), inner);
}
