//! The repository browser, by kind: workflows (badges: validation findings,
//! edit lock holder, live instances), rules and rule libraries (validation
//! findings), email templates, then every file that failed to load with its
//! position; each section under a heading with its count, one incremental `/`
//! filter over all of them.

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
    /// Index into `repo.rules`.
    Rule(usize),
    /// Index into `repo.libraries`.
    Library(usize),
    /// Index into `repo.email_templates`.
    Template(usize),
    /// Index into `repo.errors`.
    Broken(usize),
}

impl Entry {
    /// The section an entry is listed under (entries are grouped by it, in this order).
    pub fn section(self) -> Section {
        match self {
            Entry::Definition(_) => Section::Workflows,
            Entry::Rule(_) => Section::Rules,
            Entry::Library(_) => Section::Libraries,
            Entry::Template(_) => Section::Templates,
            Entry::Broken(_) => Section::Broken,
        }
    }
}

/// A section of the browser's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Workflows,
    Rules,
    Libraries,
    Templates,
    Broken,
}

impl Section {
    /// The heading row above the section (workflows are titled by the pane).
    pub fn heading(self, count: usize) -> Option<String> {
        let word = match self {
            Section::Workflows => return None,
            Section::Rules => "rules",
            Section::Libraries => "rule libraries",
            Section::Templates => "email templates",
            Section::Broken => "failed to load",
        };
        Some(format!("── {word} ({count}) ──"))
    }
}

pub struct BrowserState {
    /// Parallel to `repo.definitions`.
    pub badges: Vec<Badges>,
    /// Validation badges of rule and rule library files, by path (only those with findings).
    pub file_badges: std::collections::BTreeMap<std::path::PathBuf, Badges>,
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
            file_badges: Default::default(),
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
        let ctx = LintContext::new(repo);
        self.badges = badges_in(repo, &ctx);
        self.file_badges = file_badges_in(repo, &ctx);
        self.refilter(repo);
    }

    /// Name of the selected definition (to keep it selected across reloads).
    pub fn selected_name(&self, repo: &Repository) -> Option<String> {
        match self.selected_entry()? {
            Entry::Definition(i) => repo.definitions.get(i).map(|d| d.value.name.clone()),
            _ => None,
        }
    }

    pub fn selected_entry(&self) -> Option<Entry> {
        self.entries.get(self.selected).copied()
    }

    /// Apply the filter (case-insensitive substring of the name, or of a broken
    /// file's name) to every section; each section sorted by name.
    pub fn refilter(&mut self, repo: &Repository) {
        // Indices change across reloads: keep the selection by kind and name.
        let previous = self
            .selected_entry()
            .and_then(|e| Some((e.section(), entry_name(repo, e)?.to_string())));
        let needle = self.filter_text().to_lowercase();
        let keep = |name: &str| needle.is_empty() || name.to_lowercase().contains(&needle);
        fn sorted<T>(
            items: &[crate::repo::Loaded<T>],
            name: impl Fn(&T) -> &str,
            keep: &dyn Fn(&str) -> bool,
            entry: fn(usize) -> Entry,
        ) -> Vec<Entry> {
            let mut idx: Vec<usize> = (0..items.len())
                .filter(|&i| keep(name(&items[i].value)))
                .collect();
            idx.sort_by_cached_key(|&i| name(&items[i].value).to_lowercase());
            idx.into_iter().map(entry).collect()
        }
        let mut entries = sorted(&repo.definitions, |d| &d.name, &keep, Entry::Definition);
        entries.extend(sorted(&repo.rules, |r| &r.name, &keep, Entry::Rule));
        entries.extend(sorted(&repo.libraries, |l| &l.name, &keep, Entry::Library));
        entries.extend(sorted(
            &repo.email_templates,
            |t| &t.name,
            &keep,
            Entry::Template,
        ));
        entries.extend((0..repo.errors.len()).filter_map(|i| {
            let file = repo.errors[i]
                .path
                .file_name()
                .map(|f| f.to_string_lossy().to_lowercase());
            (needle.is_empty() || file.is_some_and(|f| f.contains(&needle)))
                .then_some(Entry::Broken(i))
        }));
        self.entries = entries;
        self.selected = previous
            .and_then(|(section, name)| {
                self.entries.iter().position(|e| {
                    e.section() == section && entry_name(repo, *e) == Some(name.as_str())
                })
            })
            .unwrap_or(self.selected)
            .min(self.entries.len().saturating_sub(1));
    }

    /// How many listed entries a section has.
    pub fn count(&self, section: Section) -> usize {
        self.entries
            .iter()
            .filter(|e| e.section() == section)
            .count()
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

/// The name an entry is listed under (a broken file has none).
fn entry_name(repo: &Repository, e: Entry) -> Option<&str> {
    Some(match e {
        Entry::Definition(i) => &repo.definitions.get(i)?.value.name,
        Entry::Rule(i) => &repo.rules.get(i)?.value.name,
        Entry::Library(i) => &repo.libraries.get(i)?.value.name,
        Entry::Template(i) => &repo.email_templates.get(i)?.value.name,
        Entry::Broken(_) => return None,
    })
}

/// Validation badges of the rule and rule library files that have findings.
pub fn file_badges(repo: &Repository) -> std::collections::BTreeMap<std::path::PathBuf, Badges> {
    file_badges_in(repo, &LintContext::new(repo))
}

fn file_badges_in(
    repo: &Repository,
    ctx: &LintContext,
) -> std::collections::BTreeMap<std::path::PathBuf, Badges> {
    let mut out: std::collections::BTreeMap<std::path::PathBuf, Badges> = Default::default();
    for f in crate::validate::validate_rule_files(repo, ctx.repo_context()) {
        let b = out.entry(f.path.clone()).or_default();
        match f.severity {
            crate::validate::Severity::Error => b.errors += 1,
            crate::validate::Severity::Warning => b.warnings += 1,
            _ => continue,
        }
        b.findings
            .push(format!("{}:{} {} {}", f.line, f.column, f.id(), f.message));
    }
    out
}

/// Badges of every definition: validation, edit locks, live instances.
pub fn badges(repo: &Repository) -> Vec<Badges> {
    badges_in(repo, &LintContext::new(repo))
}

fn badges_in(repo: &Repository, ctx: &LintContext) -> Vec<Badges> {
    let locks = lock::list(&repo.root).unwrap_or_default();
    repo.definitions
        .iter()
        .map(|d| {
            let text = crate::repo::confine::read(&repo.root, &d.path)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let findings = lint::check(&d.value, text.as_deref(), ctx);
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
            Some(Entry::Rule(i)) => {
                let path = app.repo.rules[i].path.clone();
                return super::rule_editor::open_path(app, &path);
            }
            Some(Entry::Library(i)) => {
                let path = app.repo.libraries[i].path.clone();
                return super::rule_editor::open_path(app, &path);
            }
            Some(Entry::Template(i)) => {
                let (slot, env) = super::template_editor::split_app(app);
                return super::template_editor::open(slot, env, i);
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
    let mut section = Section::Workflows;
    let mut visual_row = Vec::with_capacity(b.entries.len());
    for entry in &b.entries {
        if entry.section() != section {
            section = entry.section();
            if let Some(h) = section.heading(b.count(section)) {
                items.push(ListItem::new(Line::styled(h, t.dim())));
            }
        }
        visual_row.push(items.len());
        let name = |n: &str| Span::raw(crate::model::escape_name(n).into_owned());
        let mut spans = Vec::new();
        match *entry {
            Entry::Definition(i) => {
                let d = &app.repo.definitions[i];
                let badge = b.badges.get(i).cloned().unwrap_or_default();
                spans.push(name(&d.value.name));
                badge_spans(app, &badge, &mut spans);
            }
            Entry::Rule(i) => {
                let r = &app.repo.rules[i];
                spans.push(name(&r.value.name));
                if let Some(badge) = b.file_badges.get(&r.path) {
                    badge_spans(app, badge, &mut spans);
                }
            }
            Entry::Library(i) => {
                let l = &app.repo.libraries[i];
                spans.push(name(&l.value.name));
                spans.push(Span::styled(
                    format!(" {} rules", l.value.rules.len()),
                    t.dim(),
                ));
                if let Some(badge) = b.file_badges.get(&l.path) {
                    badge_spans(app, badge, &mut spans);
                }
            }
            Entry::Template(i) => spans.push(name(&app.repo.email_templates[i].value.name)),
            Entry::Broken(i) => {
                let e = &app.repo.errors[i];
                spans.push(Span::styled("✗ ", t.error()));
                spans.push(Span::raw(e.to_string()));
            }
        }
        items.push(ListItem::new(Line::from(spans)));
    }
    if items.is_empty() {
        let text = if filter.is_empty() {
            "No workflows in this repository (TaskDefinition/*.json)."
        } else {
            "Nothing matches the filter (Esc clears it)."
        };
        frame.render_widget(Paragraph::new(text).style(t.dim()).block(block), list_area);
    } else {
        // Heading rows shift the visual index of the entries under them.
        let visual = visual_row.get(b.selected).copied().unwrap_or(0);
        let mut state = ListState::default().with_selected(Some(visual));
        let list = List::new(items)
            .block(block)
            .highlight_style(t.selected())
            .highlight_symbol("▶");
        frame.render_stateful_widget(list, list_area, &mut state);
    }
    view_details(app, frame, detail_area);
}

fn esc(s: &str) -> String {
    crate::model::escape_name(s).into_owned()
}

/// A rule's arguments, body, callers ("used by") and findings.
fn rule_details(
    app: &App,
    rule: &crate::model::Rule,
    path: &std::path::Path,
    lines: &mut Vec<Line<'static>>,
) {
    let t = &app.theme;
    lines.push(Line::styled(esc(&rule.name), t.title()));
    lines.push(Line::styled(path.display().to_string(), t.dim()));
    if !rule.description.is_empty() {
        lines.push(Line::raw(rule.description.clone()));
    }
    lines.push(Line::raw(""));
    for a in &rule.arguments {
        let default = a
            .value
            .as_deref()
            .map(|v| format!(" = {}", super::properties::short(v, 30)))
            .unwrap_or_default();
        let locked = if a.locked { " (locked)" } else { "" };
        lines.push(Line::raw(format!("  {}{default}{locked}", esc(&a.name))));
    }
    lines.push(Line::raw(format!(
        "body: {}",
        super::properties::short(&rule.body, 200)
    )));
    let users = crate::edit::rule::used_by(&app.repo, &rule.name, path);
    lines.push(Line::raw(""));
    lines.push(Line::raw(format!("used by {}:", users.len())));
    for u in users {
        let kind = if u.workflow { "workflow" } else { "rule" };
        lines.push(Line::raw(format!("  {kind} {}", esc(&u.name))));
    }
    findings_lines(app, app.browser.file_badges.get(path), lines);
}

fn findings_lines(app: &App, badge: Option<&Badges>, lines: &mut Vec<Line<'static>>) {
    let t = &app.theme;
    lines.push(Line::raw(""));
    match badge {
        None => lines.push(Line::styled("✓ no validation findings", t.ok())),
        Some(b) => {
            lines.push(Line::from(vec![
                Span::styled(format!("✗ {} errors", b.errors), t.error()),
                Span::raw("  "),
                Span::styled(format!("! {} warnings", b.warnings), t.warning()),
            ]));
            for f in &b.findings {
                lines.push(Line::raw(format!("  {}", esc(f))));
            }
        }
    }
}

/// Findings, lock holder and live instances as short marks after a name.
fn badge_spans(app: &App, badge: &Badges, spans: &mut Vec<Span<'static>>) {
    let t = &app.theme;
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
        Some(Entry::Rule(i)) => {
            let r = &app.repo.rules[i];
            rule_details(app, &r.value, &r.path, &mut lines);
        }
        Some(Entry::Library(i)) => {
            let l = &app.repo.libraries[i];
            lines.push(Line::styled(esc(&l.value.name), t.title()));
            lines.push(Line::styled(l.path.display().to_string(), t.dim()));
            if !l.value.description.is_empty() {
                lines.push(Line::raw(l.value.description.clone()));
            }
            lines.push(Line::raw(""));
            lines.push(Line::raw(format!("{} rules:", l.value.rules.len())));
            for r in l.value.qualified_rules() {
                lines.push(Line::raw(format!("  {}", esc(&r.name))));
            }
            findings_lines(app, app.browser.file_badges.get(&l.path), &mut lines);
        }
        Some(Entry::Template(i)) => {
            let x = &app.repo.email_templates[i];
            let tpl = &x.value;
            lines.push(Line::styled(esc(&tpl.name), t.title()));
            lines.push(Line::styled(x.path.display().to_string(), t.dim()));
            if !tpl.description.is_empty() {
                lines.push(Line::raw(tpl.description.clone()));
            }
            lines.push(Line::raw(""));
            lines.push(Line::raw(format!("subject: {}", esc(&tpl.subject))));
            let vars = crate::edit::template::variables(tpl);
            lines.push(Line::raw(format!(
                "placeholders: {}",
                esc(&vars.join(", "))
            )));
            let users = crate::edit::template::used_by(&app.repo, tpl);
            lines.push(Line::raw(""));
            lines.push(Line::raw(format!("sent by {} workflow(s):", users.len())));
            for u in users {
                lines.push(Line::raw(format!("  {}", esc(&u))));
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
