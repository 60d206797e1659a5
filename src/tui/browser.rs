//! The workflows browser: every TaskDefinition with its badges (validation
//! findings, edit lock holder, live instances), the files that failed to load,
//! and an incremental `/` filter.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};
use tui_textarea::TextArea;

use super::lint::{self, Finding, Level, LintContext};
use crate::model::TaskDefinition;
use crate::repo::lock::{self, LockTarget};
use crate::repo::{DefinitionSummary, Loaded, Repository};

use super::action::Action;
use super::app::App;
use super::keymap::Context;
use super::screen::Request;

/// What the browser shows about one definition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Badges {
    pub errors: usize,
    pub warnings: usize,
    /// `user@host (pid …) since …` of the editor holding the edit lock.
    pub locked_by: Option<String>,
    /// Running or suspended instances of this definition (any version).
    pub live: usize,
    /// Of those, the ones running now (their runner alive: not interrupted).
    pub running: usize,
    /// The first findings, for the details pane.
    pub findings: Vec<String>,
}

/// One row of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Index into `repo.definitions`.
    Definition(usize),
    /// Index into `repo.errors`.
    Broken(usize),
}

pub struct BrowserState {
    /// Parallel to `repo.definitions`.
    pub badges: Vec<Badges>,
    /// The filter as typed.
    pub filter: TextArea<'static>,
    /// Typing into the filter (`/` until Enter or Esc).
    pub filtering: bool,
    /// Rows that pass the filter: definitions by name, then broken files.
    pub entries: Vec<Entry>,
    pub selected: usize,
}

impl BrowserState {
    pub fn new(repo: &Repository) -> BrowserState {
        let mut state = BrowserState {
            badges: Vec::new(),
            filter: TextArea::default(),
            filtering: false,
            entries: Vec::new(),
            selected: 0,
        };
        state.refresh(repo);
        state
    }

    pub fn filter_text(&self) -> String {
        self.filter.lines().join("")
    }

    /// Recompute badges and rows after the repository changed (the caller
    /// re-selects by name with [`BrowserState::select_name`]).
    pub fn refresh(&mut self, repo: &Repository) {
        self.badges = badges(repo);
        self.refilter(repo);
    }

    /// Name of the selected definition (to keep it selected across reloads).
    pub fn selected_name(&self, repo: &Repository) -> Option<String> {
        match self.selected_entry()? {
            Entry::Definition(i) => repo.definitions.get(i).map(|d| d.value.name.clone()),
            Entry::Broken(_) => None,
        }
    }

    pub fn selected_entry(&self) -> Option<Entry> {
        self.entries.get(self.selected).copied()
    }

    /// Apply the filter (case-insensitive substring of the name, or of a broken file's name).
    pub fn refilter(&mut self, repo: &Repository) {
        let previous_name = self.selected_entry().and_then(|e| match e {
            Entry::Definition(i) => repo.definitions.get(i).map(|d| d.value.name.clone()),
            Entry::Broken(_) => None,
        });
        let needle = self.filter_text().to_lowercase();
        let mut defs: Vec<usize> = (0..repo.definitions.len())
            .filter(|&i| {
                let d = &repo.definitions[i];
                needle.is_empty() || d.value.name.to_lowercase().contains(&needle)
            })
            .collect();
        defs.sort_by(|&a, &b| {
            repo.definitions[a]
                .value
                .name
                .to_lowercase()
                .cmp(&repo.definitions[b].value.name.to_lowercase())
        });
        let broken = (0..repo.errors.len()).filter(|&i| {
            let file = repo.errors[i]
                .path
                .file_name()
                .map(|f| f.to_string_lossy().to_lowercase());
            needle.is_empty() || file.is_some_and(|f| f.contains(&needle))
        });
        self.entries = defs
            .into_iter()
            .map(Entry::Definition)
            .chain(broken.map(Entry::Broken))
            .collect();
        self.selected = previous_name
            .and_then(|name| {
                self.entries.iter().position(|e| {
                    matches!(e, Entry::Definition(i) if repo.definitions[*i].value.name == name)
                })
            })
            .unwrap_or(self.selected)
            .min(self.entries.len().saturating_sub(1));
    }

    /// Select the definition with this name (if listed).
    pub fn select_name(&mut self, repo: &Repository, name: &str) {
        if let Some(p) = self.entries.iter().position(
            |e| matches!(e, Entry::Definition(i) if repo.definitions[*i].value.name == name),
        ) {
            self.selected = p;
        }
    }
}

/// Badges of every definition: validation, edit locks, live instances.
pub fn badges(repo: &Repository) -> Vec<Badges> {
    let ctx = LintContext::new(repo);
    let locks = lock::list(&repo.root).unwrap_or_default();
    repo.definitions
        .iter()
        .map(|d| {
            let text = crate::repo::confine::read(&repo.root, &d.path)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let findings = lint::check(&d.value, text.as_deref(), &ctx);
            definition_badges(repo, &d.value, &findings, &locks)
        })
        .collect()
}

/// Unfinished instances of `def` (any version), and how many of them are running
/// now: status `running` with their runner alive (`store::is_interrupted` says not).
/// The repository watcher re-reads the instances as a run persists its progress,
/// so a running case shows in the browser while it runs.
fn live_counts(repo: &Repository, def: &TaskDefinition) -> (usize, usize) {
    let mut counts = (0, 0);
    for i in &repo.instances {
        let i = &i.value;
        if i.status.is_finished() || (i.definition.id != def.id && i.definition.name != def.name) {
            continue;
        }
        counts.0 += 1;
        if i.status == crate::model::InstanceStatus::Running
            && !crate::engine::store::is_interrupted(&repo.root, i)
        {
            counts.1 += 1;
        }
    }
    counts
}

fn definition_badges(
    repo: &Repository,
    def: &TaskDefinition,
    findings: &[Finding],
    locks: &[lock::LockInfo],
) -> Badges {
    let edit_lock = LockTarget::DefinitionEdit(def.id.clone()).lock_name();
    let locked_by = locks
        .iter()
        .find(|l| l.name == edit_lock && !l.stale)
        .and_then(|l| l.holders.iter().find(|h| h.stale.is_none()))
        .and_then(|h| h.holder.as_ref())
        .map(|h| format!("{}@{} (pid {}) since {}", h.user, h.host, h.pid, h.since));
    let (live, running) = live_counts(repo, def);
    Badges {
        errors: findings.iter().filter(|f| f.level == Level::Error).count(),
        warnings: findings
            .iter()
            .filter(|f| f.level == Level::Warning)
            .count(),
        locked_by,
        live,
        running,
        findings: findings
            .iter()
            .filter(|f| f.level >= Level::Warning)
            .map(|f| f.text.clone())
            .collect(),
    }
}

pub fn contexts(app: &App) -> Vec<Context> {
    if app.browser.filtering {
        vec![Context::Filter]
    } else {
        vec![
            Context::Browser,
            Context::Screens,
            Context::Navigate,
            Context::Global,
        ]
    }
}

pub fn text_input(app: &mut App, key: KeyEvent) {
    if app.browser.filtering && app.browser.filter.input(key) {
        let repo = &app.repo;
        app.browser.refilter(repo);
    }
}

pub fn update(app: &mut App, action: Action) -> Vec<Request> {
    let b = &mut app.browser;
    let last = b.entries.len().saturating_sub(1);
    let page = usize::from(app.size.1.saturating_sub(4)).max(1);
    match action {
        Action::Up => b.selected = b.selected.saturating_sub(1),
        Action::Down => b.selected = (b.selected + 1).min(last),
        Action::PageUp => b.selected = b.selected.saturating_sub(page),
        Action::PageDown => b.selected = (b.selected + page).min(last),
        Action::Top => b.selected = 0,
        Action::Bottom => b.selected = last,
        Action::Filter => b.filtering = true,
        Action::Import => super::import::start(app),
        Action::RuleTester => return vec![Request::Show(super::app::Screen::RuleTester)],
        Action::Accept => b.filtering = false,
        Action::Cancel | Action::Back if b.filtering || !b.filter_text().is_empty() => {
            b.filtering = false;
            b.filter = TextArea::default();
            let repo = &app.repo;
            app.browser.refilter(repo);
        }
        Action::Open => match b.selected_entry() {
            Some(Entry::Definition(i)) => super::editor::open(app, i),
            Some(Entry::Broken(i)) => {
                let e = &app.repo.errors[i];
                let msg = format!("{e} (fix the file; bpe leaves it untouched)");
                app.error(msg);
            }
            None => {}
        },
        _ => {}
    }
    Vec::new()
}

pub fn view(app: &App, frame: &mut Frame, area: Rect) {
    if let Some(summaries) = &app.loading {
        return view_loading(app, summaries, frame, area);
    }
    let t = &app.theme;
    let b = &app.browser;
    let [list_area, detail_area] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let filter = b.filter_text();
    let mut title = format!(" Workflows ({}) ", app.repo.definitions.len());
    if b.filtering || !filter.is_empty() {
        title = format!(
            " Workflows /{}{} ",
            filter,
            if b.filtering { "▏" } else { "" }
        );
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.focused_border())
        .title(Span::styled(title, t.title()));
    let mut items = Vec::new();
    let mut shown_failed_heading = false;
    for entry in &b.entries {
        match *entry {
            Entry::Definition(i) => {
                let d = &app.repo.definitions[i];
                let badge = b.badges.get(i).cloned().unwrap_or_default();
                let mut spans = vec![Span::raw(
                    crate::model::escape_name(&d.value.name).into_owned(),
                )];
                if badge.errors > 0 {
                    spans.push(Span::styled(format!(" ✗{}", badge.errors), t.error()));
                }
                if badge.warnings > 0 {
                    spans.push(Span::styled(format!(" !{}", badge.warnings), t.warning()));
                }
                if let Some(holder) = &badge.locked_by {
                    let user = holder.split('@').next().unwrap_or(holder);
                    spans.push(Span::styled(format!(" ⚿ {user}"), t.marker()));
                }
                if badge.live > 0 {
                    spans.push(Span::styled(format!(" ▷{} live", badge.live), t.ok()));
                }
                if badge.running > 0 {
                    spans.push(Span::styled(format!(" ▶{} running", badge.running), t.ok()));
                }
                items.push(ListItem::new(Line::from(spans)));
            }
            Entry::Broken(i) => {
                if !shown_failed_heading {
                    shown_failed_heading = true;
                    items.push(ListItem::new(Line::styled("── failed to load ──", t.dim())));
                }
                let e = &app.repo.errors[i];
                items.push(ListItem::new(Line::from(vec![
                    Span::styled("✗ ", t.error()),
                    Span::raw(e.to_string()),
                ])));
            }
        }
    }
    if items.is_empty() {
        let text = if filter.is_empty() {
            "No workflows in this repository (TaskDefinition/*.json)."
        } else {
            "Nothing matches the filter (Esc clears it)."
        };
        frame.render_widget(Paragraph::new(text).style(t.dim()).block(block), list_area);
    } else {
        // The heading row shifts the visual index of broken entries.
        let first_broken = b.entries.iter().position(|e| matches!(e, Entry::Broken(_)));
        let visual = match first_broken {
            Some(fb) if b.selected >= fb => b.selected + 1,
            _ => b.selected,
        };
        let mut state = ListState::default().with_selected(Some(visual));
        let list = List::new(items)
            .block(block)
            .highlight_style(t.selected())
            .highlight_symbol("▶");
        frame.render_stateful_widget(list, list_area, &mut state);
    }
    view_details(app, frame, detail_area);
}

fn view_details(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(" Details ", t.title()));
    let mut lines: Vec<Line> = Vec::new();
    match app.browser.selected_entry() {
        Some(Entry::Definition(i)) => {
            let d = &app.repo.definitions[i];
            let def = &d.value;
            let badge = app.browser.badges.get(i).cloned().unwrap_or_default();
            lines.push(Line::styled(
                crate::model::escape_name(&def.name).into_owned(),
                t.title(),
            ));
            lines.push(Line::styled(d.path.display().to_string(), t.dim()));
            if !def.description.is_empty() {
                lines.push(Line::raw(def.description.clone()));
            }
            lines.push(Line::raw(""));
            let acts = &def.process.activities;
            let actions: usize = acts.iter().map(|a| a.actions.len()).sum();
            let transitions: usize = acts.iter().map(|a| a.transitions.len()).sum();
            lines.push(Line::raw(format!(
                "{} activities, {} actions, {} transitions, {} variables",
                acts.len(),
                actions,
                transitions,
                def.process.variables.len()
            )));
            let mode = match def.exec_mode {
                crate::model::ExecMode::Sync => "sync",
                crate::model::ExecMode::Async => "async",
            };
            lines.push(Line::raw(format!(
                "execMode {mode}, maxSteps {}",
                def.process.effective_max_steps()
            )));
            lines.push(Line::raw(format!("live instances: {}", badge.live)));
            match &badge.locked_by {
                Some(h) => lines.push(Line::from(vec![
                    Span::styled("⚿ being edited by ", t.marker()),
                    Span::raw(h.clone()),
                ])),
                None => lines.push(Line::styled("not locked", t.dim())),
            }
            lines.push(Line::raw(""));
            if badge.errors == 0 && badge.warnings == 0 {
                lines.push(Line::styled("✓ no validation findings", t.ok()));
            } else {
                lines.push(Line::from(vec![
                    Span::styled(format!("✗ {} errors", badge.errors), t.error()),
                    Span::raw("  "),
                    Span::styled(format!("! {} warnings", badge.warnings), t.warning()),
                ]));
                for f in &badge.findings {
                    lines.push(Line::raw(format!("  {f}")));
                }
            }
        }
        Some(Entry::Broken(i)) => {
            let e = &app.repo.errors[i];
            lines.push(Line::styled("✗ failed to load", t.error()));
            lines.push(Line::raw(""));
            lines.push(Line::raw(e.to_string()));
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "bpe never rewrites a file it could not read.",
                t.dim(),
            ));
        }
        None => {}
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// The first frame of a large repository ([`App::new_summaries`]): the
/// definitions' names and counts from the index, badges and the rest once the
/// full load arrives.
fn view_loading(app: &App, summaries: &[Loaded<DefinitionSummary>], frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let [list_area, detail_area] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let mut sorted: Vec<&Loaded<DefinitionSummary>> = summaries.iter().collect();
    sorted.sort_by_cached_key(|d| d.value.name.to_lowercase());
    // Only the rows that fit are built.
    let rows = usize::from(list_area.height.saturating_sub(2));
    let items: Vec<ListItem> = sorted
        .iter()
        .take(rows)
        .map(|d| ListItem::new(crate::model::escape_name(&d.value.name).into_owned()))
        .collect();
    let title = format!(" Workflows ({}) · loading details… ", summaries.len());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.focused_border())
        .title(Span::styled(title, t.title()));
    let mut state = ListState::default().with_selected((!items.is_empty()).then_some(0));
    let list = List::new(items)
        .block(block)
        .highlight_style(t.selected())
        .highlight_symbol("▶");
    frame.render_stateful_widget(list, list_area, &mut state);
    let mut lines: Vec<Line> = Vec::new();
    if let Some(d) = sorted.first() {
        let s = &d.value;
        lines.push(Line::styled(
            crate::model::escape_name(&s.name).into_owned(),
            t.title(),
        ));
        lines.push(Line::styled(d.path.display().to_string(), t.dim()));
        if !s.description.is_empty() {
            lines.push(Line::raw(s.description.clone()));
        }
        lines.push(Line::raw(""));
        lines.push(Line::raw(format!(
            "{} activities, {} actions, {} transitions, {} variables",
            s.activities, s.actions, s.transitions, s.variables
        )));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "loading definitions, validation and locks…",
        t.dim(),
    ));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(" Details ", t.title()));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        detail_area,
    );
}
