//! Drawing the debugger: the diagram of the process the run stands in (path
//! taken marked `●`, the current activity selected), and the panes: variables,
//! watches, breakpoints, call stack and trace. The title always says whether
//! side effects are dry-run or applied.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::ask;
use super::debugger::{DebuggerState, phase_text};
use super::screen::Ctx;
use super::tasks::{path_indexes, render_path};

pub fn view(st: &DebuggerState, cx: &Ctx, frame: &mut Frame, area: Rect) {
    let d = st;
    let t = cx.theme;
    let mode = if d.dry_run { "[DRY RUN]" } else { "[APPLY]" };
    let mode_style = if d.dry_run { t.ok() } else { t.warning() };
    let [title_area, body] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!(" Debug {} ", d.definition.name), t.title()),
            Span::styled(mode, mode_style),
            Span::raw(format!(" — {}", d.stopped)),
        ])),
        title_area,
    );
    let wide = body.width >= 100;
    let [left, right] = Layout::horizontal([
        Constraint::Percentage(if wide { 55 } else { 50 }),
        Constraint::Min(20),
    ])
    .areas(body);
    let [diagram_area, trace_area] =
        Layout::vertical([Constraint::Percentage(65), Constraint::Min(3)]).areas(left);
    view_diagram(cx, d, frame, diagram_area);
    view_trace(cx, d, frame, trace_area);
    if d.session.is_none() {
        view_form(cx, d, frame, right);
    } else {
        let [vars, watches, bps, stack] = Layout::vertical([
            Constraint::Percentage(45),
            Constraint::Percentage(20),
            Constraint::Percentage(15),
            Constraint::Min(3),
        ])
        .areas(right);
        view_variables(cx, d, frame, vars);
        view_watches(cx, d, frame, watches);
        view_breakpoints(cx, d, frame, bps);
        view_stack(cx, d, frame, stack);
    }
    if let Some(p) = &d.prompt {
        ask::view_prompt(p, t, frame, area);
    }
    super::debugger_console::view(&d.console, t, frame, area);
}

fn block<'a>(cx: &Ctx, title: String, focused: bool) -> Block<'a> {
    super::theme::pane_block(cx.theme, title, focused)
}

fn view_diagram(cx: &Ctx, d: &DebuggerState, frame: &mut Frame, area: Rect) {
    let Some((def, diagram)) = d.shown() else {
        return;
    };
    let b = block(cx, format!(" {} ", def.name), true);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    // The path within this process: top-level names, or `Sub/…` ones of a subprocess.
    let prefix = d
        .session
        .as_ref()
        .map(|s| {
            s.case
                .call_stack()
                .iter()
                .skip(1)
                .map(|f| f.process.clone())
                .collect::<Vec<_>>()
                .join("/")
        })
        .unwrap_or_default();
    let names: Vec<String> = d
        .session
        .as_ref()
        .map(|s| {
            s.path
                .iter()
                .filter_map(|p| {
                    if prefix.is_empty() {
                        (!p.contains('/')).then(|| p.clone())
                    } else {
                        p.strip_prefix(&format!("{prefix}/"))
                            .filter(|r| !r.contains('/'))
                            .map(str::to_string)
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let idx = path_indexes(def, &names);
    let scroll = render_path(
        frame.buffer_mut(),
        inner,
        diagram,
        &idx,
        Some(d.selected),
        cx.theme,
    );
    // Breakpoints of this process: `◆` beside the path mark (glyph, not colour alone).
    let marked = d.breakpoint_activities(def);
    super::tasks::mark_boxes(
        frame.buffer_mut(),
        inner,
        diagram,
        scroll,
        &marked,
        2,
        '◆',
        cx.theme.error(),
    );
}

fn view_trace(cx: &Ctx, d: &DebuggerState, frame: &mut Frame, area: Rect) {
    let b = block(cx, format!(" Trace ({}) ", d.trace.len()), false);
    let rows = b.inner(area).height as usize;
    let start = d.trace.len().saturating_sub(rows);
    let lines: Vec<Line> = d.trace[start..]
        .iter()
        .map(|l| Line::raw(l.clone()))
        .collect();
    frame.render_widget(Paragraph::new(lines).block(b), area);
}

fn view_form(cx: &Ctx, d: &DebuggerState, frame: &mut Frame, area: Rect) {
    let t = cx.theme;
    let mut lines = vec![Line::styled(
        "Inputs (e edits; s starts, c runs to a breakpoint)",
        t.dim(),
    )];
    if d.form.is_empty() {
        lines.push(Line::raw("this workflow declares no input variables"));
    }
    for (i, (name, value)) in d.form.iter().enumerate() {
        let text = format!("{name} = {value}");
        if i == d.form_selected {
            lines.push(Line::styled(format!("▶{text}"), t.selected()));
        } else {
            lines.push(Line::raw(format!(" {text}")));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "{} breakpoint(s), {} watch(es) in the workspace",
            d.workspace.breakpoints.len(),
            d.workspace.watches.len()
        ),
        t.dim(),
    ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(cx, " Debug run ".into(), true))
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn view_variables(cx: &Ctx, d: &DebuggerState, frame: &mut Frame, area: Rect) {
    let t = cx.theme;
    let mut lines = Vec::new();
    if let Some(s) = &d.session {
        let place = match d.current() {
            Some((_, _, activity)) => format!("in {activity}"),
            None => format!("final ({})", s.case.status().as_str()),
        };
        lines.push(Line::styled(place, t.dim()));
        for w in &s.items {
            lines.push(Line::styled(
                format!(
                    "✉ {} for {} (y approve, r reject, p pending)",
                    w.id, w.owner
                ),
                t.warning(),
            ));
        }
        // Changed by the last command: `*` and the warning colour (not colour alone).
        for (k, v) in d.shown_variables().into_iter().skip(d.var_scroll) {
            let value = super::tasks::one_line(&v.to_json().to_string(), 200);
            if d.changed.contains(&k) {
                lines.push(Line::styled(format!("*{k} = {value}"), t.warning()));
            } else {
                lines.push(Line::raw(format!(" {k} = {value}")));
            }
        }
    }
    let filter = if d.var_filter.is_empty() {
        String::new()
    } else {
        format!(" /{}", crate::model::escape_name(&d.var_filter))
    };
    let more = if d.var_scroll > 0 {
        format!(" ↑{}", d.var_scroll)
    } else {
        String::new()
    };
    frame.render_widget(
        Paragraph::new(lines).block(block(
            cx,
            format!(" Variables (e sets, / filters{filter}, PgDn){more} "),
            false,
        )),
        area,
    );
}

fn view_watches(cx: &Ctx, d: &DebuggerState, frame: &mut Frame, area: Rect) {
    let values = d
        .session
        .as_ref()
        .map(|s| s.watch_values.clone())
        .unwrap_or_default();
    let lines: Vec<Line> = d
        .workspace
        .watches
        .iter()
        .enumerate()
        .map(|(i, w)| {
            Line::raw(format!(
                "{w} = {}",
                values.get(i).map(String::as_str).unwrap_or("…")
            ))
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(block(cx, " Watches (W adds) ".into(), false)),
        area,
    );
}

fn view_breakpoints(cx: &Ctx, d: &DebuggerState, frame: &mut Frame, area: Rect) {
    let lines: Vec<Line> = d
        .workspace
        .breakpoints
        .iter()
        .map(|b| Line::raw(format!("● {b}")))
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(block(cx, " Breakpoints (B, a) ".into(), false)),
        area,
    );
}

fn view_stack(cx: &Ctx, d: &DebuggerState, frame: &mut Frame, area: Rect) {
    let mut lines = Vec::new();
    if let Some(s) = &d.session {
        for f in s.case.call_stack().iter().rev() {
            let at = f
                .tokens
                .iter()
                .map(|t| format!("{} {}", t.activity, phase_text(&t.phase)))
                .collect::<Vec<_>>()
                .join("; ");
            lines.push(Line::raw(format!("{} {}: {at}", f.index, f.process)));
        }
        lines.push(Line::styled(
            format!("status {}", s.case.status().as_str()),
            cx.theme.dim(),
        ));
    }
    frame.render_widget(
        Paragraph::new(lines).block(block(cx, " Call stack ".into(), false)),
        area,
    );
}
