//! The browser's view: the sections with their counts and badges, the details
//! of the selected entry (findings, rule arguments and callers, lock holder,
//! live cases), and the summaries shown while the full repository loads.
//! State and key handling are in `browser.rs`.
//!
//! Invariant: names reach the terminal only through `model::escape_name`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};

use crate::repo::{DefinitionSummary, Loaded};

use super::browser::*;
use super::screen::Ctx;

pub fn view(st: &BrowserState, cx: &Ctx, frame: &mut Frame, area: Rect) {
    if let Some(summaries) = &cx.loading {
        return view_loading(cx, summaries, frame, area);
    }
    let t = cx.theme;
    let b = st;
    let [list_area, detail_area] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let filter = b.filter_text();
    let mut title = format!(" Workflows ({}) ", cx.repo.definitions.len());
    if b.filtering || !filter.is_empty() {
        title = format!(
            " Workflows /{}{} ",
            filter,
            if b.filtering { "▏" } else { "" }
        );
    }
    let block = super::theme::pane_block(t, title, true);
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
                let d = &cx.repo.definitions[i];
                let badge = b.badges.get(i).cloned().unwrap_or_default();
                spans.push(name(&d.value.name));
                badge_spans(cx, &badge, &mut spans);
            }
            Entry::Rule(i) => {
                let r = &cx.repo.rules[i];
                spans.push(name(&r.value.name));
                if let Some(badge) = b.file_badges.get(&r.path) {
                    badge_spans(cx, badge, &mut spans);
                }
            }
            Entry::Library(i) => {
                let l = &cx.repo.libraries[i];
                spans.push(name(&l.value.name));
                spans.push(Span::styled(
                    format!(" {} rules", l.value.rules.len()),
                    t.dim(),
                ));
                if let Some(badge) = b.file_badges.get(&l.path) {
                    badge_spans(cx, badge, &mut spans);
                }
            }
            Entry::Template(i) => spans.push(name(&cx.repo.email_templates[i].value.name)),
            Entry::Broken(i) => {
                let e = &cx.repo.errors[i];
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
    view_details(st, cx, frame, detail_area);
}

fn esc(s: &str) -> String {
    crate::model::escape_name(s).into_owned()
}

/// A rule's arguments, body, callers ("used by") and findings.
fn rule_details(
    st: &BrowserState,
    cx: &Ctx,
    rule: &crate::model::Rule,
    path: &std::path::Path,
    lines: &mut Vec<Line<'static>>,
) {
    let t = cx.theme;
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
    let users = crate::edit::rule::used_by(cx.repo, &rule.name, path);
    lines.push(Line::raw(""));
    lines.push(Line::raw(format!("used by {}:", users.len())));
    for u in users {
        let kind = if u.workflow { "workflow" } else { "rule" };
        lines.push(Line::raw(format!("  {kind} {}", esc(&u.name))));
    }
    findings_lines(cx, st.file_badges.get(path), lines);
}

fn findings_lines(cx: &Ctx, badge: Option<&Badges>, lines: &mut Vec<Line<'static>>) {
    let t = cx.theme;
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
fn badge_spans(cx: &Ctx, badge: &Badges, spans: &mut Vec<Span<'static>>) {
    let t = cx.theme;
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

fn view_details(st: &BrowserState, cx: &Ctx, frame: &mut Frame, area: Rect) {
    let t = cx.theme;
    let mut lines: Vec<Line> = Vec::new();
    match st.selected_entry() {
        Some(Entry::Definition(i)) => {
            let d = &cx.repo.definitions[i];
            let def = &d.value;
            let badge = st.badges.get(i).cloned().unwrap_or_default();
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
            let r = &cx.repo.rules[i];
            rule_details(st, cx, &r.value, &r.path, &mut lines);
        }
        Some(Entry::Library(i)) => {
            let l = &cx.repo.libraries[i];
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
            findings_lines(cx, st.file_badges.get(&l.path), &mut lines);
        }
        Some(Entry::Template(i)) => {
            let x = &cx.repo.email_templates[i];
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
            let users = crate::edit::template::used_by(cx.repo, tpl);
            lines.push(Line::raw(""));
            lines.push(Line::raw(format!("sent by {} workflow(s):", users.len())));
            for u in users {
                lines.push(Line::raw(format!("  {}", esc(&u))));
            }
        }
        Some(Entry::Broken(i)) => {
            let e = &cx.repo.errors[i];
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
    super::theme::text_pane(frame, area, t, " Details ", lines);
}

/// The first frame of a large repository ([`App::new_summaries`]): the
/// definitions' names and counts from the index, badges and the rest once the
/// full load arrives.
fn view_loading(cx: &Ctx, summaries: &[Loaded<DefinitionSummary>], frame: &mut Frame, area: Rect) {
    let t = cx.theme;
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
    let block = super::theme::pane_block(t, title, true);
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
    super::theme::text_pane(frame, detail_area, t, " Details ", lines);
}
