//! The repository browser, by kind: workflows (badges: validation findings,
//! edit lock holder, live instances), rules and rule libraries (validation
//! findings), email templates, then every file that failed to load with its
//! position; each section under a heading with its count, one incremental `/`
//! filter over all of them.

use ratatui::crossterm::event::KeyEvent;
use tui_textarea::TextArea;

use super::lint::{self, Finding, Level, LintContext};
use crate::model::TaskDefinition;
use crate::repo::Repository;
use crate::repo::lock::{self, LockTarget};

use super::action::Action;
pub use super::browser_view::view;
use super::keymap::Context;
use super::screen::Ctx;
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

    /// Count again the cases shown running: a runner killed outright changes no
    /// file the repository watcher sees, so its case would stay `▶ running`
    /// until the next change. Only the badges that show a running case are
    /// recounted (no lint). Returns whether any count changed.
    pub fn recount_running(&mut self, repo: &Repository) -> bool {
        let mut changed = false;
        for (badges, d) in self.badges.iter_mut().zip(&repo.definitions) {
            if badges.running == 0 {
                continue;
            }
            let (live, running) = live_counts(repo, &d.value);
            changed |= (live, running) != (badges.live, badges.running);
            (badges.live, badges.running) = (live, running);
        }
        changed
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

pub fn contexts(st: &BrowserState, _cx: &Ctx) -> Vec<Context> {
    if st.filtering {
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

pub fn text_input(st: &mut BrowserState, cx: &mut Ctx, key: KeyEvent) {
    if st.filtering && st.filter.input(key) {
        let repo = cx.repo;
        st.refilter(repo);
    }
}

pub fn update(st: &mut BrowserState, cx: &mut Ctx, action: Action) -> Vec<Request> {
    let b = &mut *st;
    let last = b.entries.len().saturating_sub(1);
    let page = usize::from(cx.size.1.saturating_sub(4)).max(1);
    match action {
        Action::Up => b.selected = b.selected.saturating_sub(1),
        Action::Down => b.selected = (b.selected + 1).min(last),
        Action::PageUp => b.selected = b.selected.saturating_sub(page),
        Action::PageDown => b.selected = (b.selected + page).min(last),
        Action::Top => b.selected = 0,
        Action::Bottom => b.selected = last,
        Action::Filter => b.filtering = true,
        Action::Import => cx.overlay(super::import::prompt()),
        Action::RuleTester => return vec![Request::Show(super::app::Screen::RuleTester)],
        Action::Accept => b.filtering = false,
        Action::Cancel | Action::Back if b.filtering || !b.filter_text().is_empty() => {
            b.filtering = false;
            b.filter = TextArea::default();
            let repo = cx.repo;
            st.refilter(repo);
        }
        Action::Open => match b.selected_entry() {
            Some(Entry::Definition(i)) => return vec![Request::OpenDefinition(i)],
            Some(Entry::Broken(i)) => {
                let e = &cx.repo.errors[i];
                let msg = format!("{e} (fix the file; bpe leaves it untouched)");
                cx.error(msg);
            }
            Some(Entry::Rule(i)) => {
                return vec![Request::OpenRule(cx.repo.rules[i].path.clone())];
            }
            Some(Entry::Library(i)) => {
                return vec![Request::OpenRule(cx.repo.libraries[i].path.clone())];
            }
            Some(Entry::Template(i)) => return vec![Request::OpenTemplate(i)],
            None => {}
        },
        _ => {}
    }
    Vec::new()
}
