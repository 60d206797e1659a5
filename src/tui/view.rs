//! Drawing: `view(&App, &mut Frame)`. Never mutates the app.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::app::{AfterConfirm, App, NoticeKind, Overlay, PickerPurpose};

/// Below this the layout would be unreadable: we say so instead.
pub const MIN_COLS: u16 = 60;
pub const MIN_ROWS: u16 = 16;

pub fn view(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_COLS || area.height < MIN_ROWS {
        let text = vec![
            Line::styled("Terminal too small", app.theme.error()),
            Line::raw(format!(
                "{}x{} — bpe needs at least {MIN_COLS}x{MIN_ROWS}.",
                area.width, area.height
            )),
            Line::raw("Enlarge the window, or q to quit."),
        ];
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let [main, status, footer] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    app.with_screen_ref(app.screen, |s, cx| s.view(cx, frame, main));
    view_status(app, frame, status);
    view_footer(app, frame, footer);
    if let Some(overlay) = &app.overlay {
        view_overlay(app, overlay, frame, main);
    }
}

fn view_status(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let repo_name = app
        .repo
        .config
        .as_ref()
        .map(|c| c.name.clone())
        .unwrap_or_else(|| app.root.display().to_string());
    let mut spans = vec![Span::styled(format!(" {repo_name} "), t.title())];
    if let Some(n) = &app.notice {
        let (glyph, style) = match n.kind {
            NoticeKind::Info => ("• ", t.notice()),
            NoticeKind::Warning => ("! ", t.warning()),
            NoticeKind::Error => ("✗ ", t.error()),
        };
        spans.push(Span::styled(format!("{glyph}{}", n.text), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The footer width from which every screen key (1-5) is shown.
pub const SCREEN_KEYS_FROM: u16 = 120;

fn view_footer(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    // Screen keys first, as many as fit; the global ones (help, quit) always show.
    let contexts = app.contexts();
    let (global, local): (Vec<_>, Vec<_>) = contexts
        .iter()
        .copied()
        .partition(|c| *c == super::keymap::Context::Global);
    let global_hints = app.keymap.hints(&global);
    let width_of = |h: &[(String, &str)]| {
        h.iter()
            .map(|(k, w)| k.chars().count() + w.chars().count() + 3)
            .sum::<usize>()
    };
    let budget = (area.width as usize).saturating_sub(width_of(&global_hints));
    // From SCREEN_KEYS_FROM columns on, the screen keys (1-5) always show: the
    // screen's own keys get what they leave, the last ones dropped first.
    let (own, screens): (Vec<_>, Vec<_>) = local
        .iter()
        .copied()
        .partition(|c| *c != super::keymap::Context::Screens);
    let screen_hints = if area.width >= SCREEN_KEYS_FROM {
        app.keymap.hints(&screens)
    } else {
        Vec::new()
    };
    let hints = if screen_hints.is_empty() {
        app.keymap.hints_focus_first(&local)
    } else {
        app.keymap.hints_focus_first(&own)
    };
    let budget = budget.saturating_sub(width_of(&screen_hints));
    let mut spans = Vec::new();
    let mut width = 0usize;
    for (key, what) in hints {
        let piece = key.chars().count() + what.chars().count() + 3;
        if width + piece > budget {
            break;
        }
        width += piece;
        spans.push(Span::styled(format!(" {key}"), t.key()));
        spans.push(Span::raw(format!(" {what} ")));
    }
    for (key, what) in screen_hints.into_iter().chain(global_hints) {
        spans.push(Span::styled(format!(" {key}"), t.key()));
        spans.push(Span::raw(format!(" {what} ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A centred rectangle of at most `w`x`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn key_hint(app: &App, ctx: super::keymap::Context, action: super::action::Action) -> String {
    app.keymap
        .key_for(ctx, action)
        .map(|k| k.to_string())
        .unwrap_or_else(|| "?".into())
}

fn view_overlay(app: &App, overlay: &Overlay, frame: &mut Frame, area: Rect) {
    use super::action::Action as A;
    use super::keymap::Context as C;
    let t = &app.theme;
    match overlay {
        Overlay::Help { scroll } => super::help::view(app, frame, area, *scroll),
        Overlay::ConfirmUnsaved { then } => {
            let name = app
                .editor
                .as_ref()
                .filter(|e| e.is_dirty())
                .map(|e| crate::model::escape_name(&e.def.name).into_owned())
                .or_else(|| {
                    let r = app.rule_editor.as_ref().filter(|r| r.is_dirty())?;
                    Some(format!("rule {}", crate::model::escape_name(r.name())))
                })
                .unwrap_or_default();
            let what = match then {
                AfterConfirm::Quit => "before quitting",
                AfterConfirm::Close => "before closing",
            };
            let lines = vec![
                Line::raw(format!("{name} has unsaved changes.")),
                Line::raw(format!("Save them {what}?")),
                Line::raw(""),
                Line::from(vec![
                    Span::styled(key_hint(app, C::Confirm, A::Save), t.key()),
                    Span::raw(" save   "),
                    Span::styled(key_hint(app, C::Confirm, A::Discard), t.key()),
                    Span::raw(" discard changes   "),
                    Span::styled(key_hint(app, C::Confirm, A::Cancel), t.key()),
                    Span::raw(" cancel"),
                ]),
            ];
            popup(frame, area, " Unsaved changes ", lines, 56, &app.theme);
        }
        Overlay::Conflict => {
            let name = app
                .editor
                .as_ref()
                .map(|e| crate::model::escape_name(&e.def.name).into_owned())
                .unwrap_or_default();
            let lines = vec![
                Line::raw(format!(
                    "{name} changed on disk while you have unsaved edits."
                )),
                Line::raw("Nothing is overwritten until you choose:"),
                Line::raw(""),
                Line::from(vec![
                    Span::styled(key_hint(app, C::Conflict, A::KeepMine), t.key()),
                    Span::raw(" keep mine (save to overwrite theirs)   "),
                ]),
                Line::from(vec![
                    Span::styled(key_hint(app, C::Conflict, A::TakeTheirs), t.key()),
                    Span::raw(" take theirs (undo brings mine back)"),
                ]),
            ];
            let mut lines = lines;
            if let Some(ed) = &app.editor {
                let inner = usize::from(88.min(area.width).saturating_sub(2));
                lines.extend(conflict_diff_lines(ed, t, inner));
            }
            popup(frame, area, " Changed on disk ", lines, 88, &app.theme);
        }
        Overlay::Recovery { copies, selected } => {
            let mut lines = vec![
                Line::raw("bpe stopped with unsaved edits. Recovery copies:"),
                Line::raw(""),
            ];
            for (i, (_, c)) in copies.iter().enumerate() {
                // Workflows as before; other kinds say what they are.
                let kind = match c.object.kind() {
                    "workflow" => String::new(),
                    k => format!("{k} "),
                };
                let text = format!(
                    "{kind}{} ({}, kept {})",
                    crate::model::escape_name(c.object.name()),
                    c.path.display(),
                    c.saved_at
                );
                if i == *selected {
                    lines.push(Line::styled(format!("▶ {text}"), t.selected()));
                } else {
                    lines.push(Line::raw(format!("  {text}")));
                }
            }
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled(key_hint(app, C::Recovery, A::Restore), t.key()),
                Span::raw(" restore   "),
                Span::styled(key_hint(app, C::Recovery, A::Discard), t.key()),
                Span::raw(" discard   "),
                Span::styled(key_hint(app, C::Recovery, A::Back), t.key()),
                Span::raw(" later"),
            ]));
            popup(frame, area, " Recovery ", lines, 76, &app.theme);
        }
        Overlay::Prompt(prompt) => super::ask::view_prompt(prompt, t, frame, area),
        Overlay::Question(q) => super::ask::view_question(q, t, frame, area),
        Overlay::Picker {
            purpose,
            items,
            selected,
        } => {
            if let PickerPurpose::Template { .. } = purpose {
                let target = match (purpose, &app.editor) {
                    (PickerPurpose::Template { activity }, Some(ed)) => {
                        Some((&ed.def, *activity, ed.selection))
                    }
                    _ => None,
                };
                return super::templates::view_palette(
                    items, *selected, &app.repo, target, t, frame, area,
                );
            }
            let title = match purpose {
                PickerPurpose::Connect { .. } => " Connect to… ",
                PickerPurpose::Template { .. } => " New action or activity from a template ",
                PickerPurpose::Choice { .. } => " Choose a value ",
                PickerPurpose::AddItem { .. } => " Add to the action… ",
                PickerPurpose::DiffAgainst(_) => " Diff the working copy against… ",
            };
            let r = centered(
                area,
                80,
                (items.len() as u16 + 2).min(area.height.saturating_sub(2)),
            );
            frame.render_widget(Clear, r);
            picker_list(frame, r, title, items, *selected, t);
        }
        Overlay::Import(plan) => {
            let mut lines = vec![Line::raw(format!("{} holds:", plan.file)), Line::raw("")];
            // Keep the popup on screen for large documents.
            let room = usize::from(area.height.saturating_sub(10)).max(1);
            for (o, exists) in plan.objects.iter().zip(&plan.existing).take(room) {
                let mut spans = vec![Span::raw(format!(
                    "  {:<15} {}",
                    o.kind().dir_name(),
                    o.name()
                ))];
                if *exists {
                    spans.push(Span::styled("  (exists)", t.warning()));
                }
                lines.push(Line::from(spans));
            }
            if plan.objects.len() > room {
                lines.push(Line::raw(format!(
                    "  … and {} more",
                    plan.objects.len() - room
                )));
            }
            if !plan.warnings.is_empty() {
                lines.push(Line::styled(
                    format!(
                        "{} warning(s); `bpe import` lists them",
                        plan.warnings.len()
                    ),
                    t.dim(),
                ));
            }
            lines.push(Line::raw(""));
            let any_existing = plan.existing.iter().any(|e| *e);
            let mut keys = vec![
                Span::styled(key_hint(app, C::Import, A::Yes), t.key()),
                Span::raw(if any_existing {
                    " import all, replacing the existing   "
                } else {
                    " import   "
                }),
            ];
            if any_existing {
                keys.push(Span::styled(key_hint(app, C::Import, A::Skip), t.key()));
                keys.push(Span::raw(" skip the existing   "));
            }
            keys.push(Span::styled(key_hint(app, C::Import, A::Cancel), t.key()));
            keys.push(Span::raw(" cancel"));
            lines.push(Line::from(keys));
            popup(frame, area, " Import ", lines, 76, &app.theme);
        }
    }
}

/// The visible window of the conflict diff: `- mine` / `+ theirs` lines
/// (escaped, one row each), a header with the position when it scrolls.
fn conflict_diff_lines(
    ed: &super::editor::EditorState,
    t: &super::theme::Theme,
    width: usize,
) -> Vec<Line<'static>> {
    use super::editor::CONFLICT_DIFF_ROWS;
    use super::linediff::DiffLine;
    let total = ed.conflict_diff.len();
    let mut out = vec![Line::raw("")];
    let scroll_hint = if total > CONFLICT_DIFF_ROWS {
        format!(
            "  lines {}-{} of {total}, ↑↓ scroll",
            ed.conflict_scroll + 1,
            (ed.conflict_scroll + CONFLICT_DIFF_ROWS).min(total)
        )
    } else {
        String::new()
    };
    let semantic = matches!(ed.conflict_diff.first(), Some(DiffLine::Semantic(_)));
    let legend = if semantic {
        "theirs against mine: + only theirs  - only mine  ~ changed"
    } else {
        "- mine  + theirs"
    };
    out.push(Line::styled(format!("{legend}{scroll_hint}"), t.dim()));
    for d in ed
        .conflict_diff
        .iter()
        .skip(ed.conflict_scroll)
        .take(CONFLICT_DIFF_ROWS)
    {
        let (text, style) = match d {
            DiffLine::Same(l) => (format!("  {l}"), t.dim()),
            DiffLine::Mine(l) => (format!("- {l}"), t.error()),
            DiffLine::Theirs(l) => (format!("+ {l}"), t.ok()),
            DiffLine::Skipped(n) if semantic => (format!("  … {n} more lines"), t.dim()),
            DiffLine::Skipped(n) => (format!("  … {n} unchanged lines"), t.dim()),
            DiffLine::Semantic(l) => (l.clone(), super::diff_view_render::line_style(l, t)),
        };
        // One row per diff line: cut (not wrapped) to the popup's width.
        let text = crate::tui::table::clip(&crate::model::escape_name(&text), width);
        out.push(Line::styled(text, style));
    }
    out
}

/// A picker's list of `items` with `selected` highlighted, in a titled box.
pub fn picker_list(
    frame: &mut Frame,
    r: Rect,
    title: &str,
    items: &[String],
    selected: usize,
    t: &super::theme::Theme,
) {
    let block = super::theme::pane_block(t, title.to_string(), true).title_bottom(Line::styled(
        " ↑↓ choose · Enter accept · Esc cancel ",
        t.dim(),
    ));
    let list = List::new(
        items
            .iter()
            .map(|i| ListItem::new(i.clone()))
            .collect::<Vec<_>>(),
    )
    .block(block)
    .highlight_style(t.selected())
    .highlight_symbol("▶");
    let mut state = ListState::default().with_selected(Some(selected));
    frame.render_stateful_widget(list, r, &mut state);
}

pub(super) fn popup(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line>,
    width: u16,
    theme: &super::theme::Theme,
) {
    // Tall enough for the wrapped lines.
    let inner_w = usize::from(width.min(area.width).saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let r = centered(
        area,
        width,
        u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2),
    );
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focused_border())
        .title(Span::styled(title.to_string(), theme.title()));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        r,
    );
}
