//! Drawing the rule tester: the rules list, the selected rule's arguments, the
//! last run's value / error (with the line of the body it points at) and
//! effects, and the evaluation trace with its folds.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};

use super::ask;
use super::rule_tester::{Focus, RuleTesterState, RunResult};
use super::screen::Ctx;
use super::theme::Theme;
use crate::engine::Evaluation;
use crate::expr::TraceOutcome;
use crate::model::escape_name;

pub fn view(st: &RuleTesterState, cx: &Ctx, frame: &mut Frame, area: Rect) {
    let rt = st;
    let t = cx.theme;
    let [title, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let filter = if rt.filter.is_empty() {
        String::new()
    } else {
        format!(" — filter \"{}\"", escape_name(&rt.filter))
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" Rule tester ", t.title()),
            Span::styled("[DRY RUN]", t.ok()),
            Span::raw(format!(" — {} rules{filter}", rt.sandbox.rules().len())),
        ])),
        title,
    );
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(28), Constraint::Min(30)]).areas(body);
    view_rules(rt, t, frame, left);
    let args_height = rt
        .current()
        .map_or(3, |r| r.arguments.len() as u16 + 4)
        .min(12);
    let [args, result, trace] = Layout::vertical([
        Constraint::Length(args_height),
        Constraint::Length(8),
        Constraint::Min(3),
    ])
    .areas(right);
    view_arguments(rt, t, frame, args);
    view_result(rt, t, frame, result);
    view_trace(rt, t, frame, trace);
    if let Some(p) = &rt.prompt {
        ask::view_prompt(p, t, frame, area);
    }
}

fn pane(t: &Theme, title: String, focused: bool) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            t.focused_border()
        } else {
            Style::default()
        })
        .title(Span::styled(title, t.title()))
}

fn view_rules(rt: &RuleTesterState, t: &Theme, frame: &mut Frame, area: Rect) {
    let items: Vec<ListItem> = rt
        .visible()
        .iter()
        .map(|r| ListItem::new(escape_name(&r.name).into_owned()))
        .collect();
    let list = List::new(items)
        .block(pane(
            t,
            " Rules (/ filter) ".into(),
            rt.focus == Focus::Rules,
        ))
        .highlight_style(t.selected())
        .highlight_symbol("▶");
    let mut state = ListState::default().with_selected(Some(rt.selected));
    frame.render_stateful_widget(list, area, &mut state);
}

fn view_arguments(rt: &RuleTesterState, t: &Theme, frame: &mut Frame, area: Rect) {
    let Some(rule) = rt.current() else {
        frame.render_widget(
            Paragraph::new("no rule").block(pane(t, " Arguments ".into(), false)),
            area,
        );
        return;
    };
    let mut lines = Vec::new();
    if !rule.description.is_empty() {
        lines.push(Line::styled(
            escape_name(&rule.description).into_owned(),
            t.dim(),
        ));
    }
    if rule.arguments.is_empty() {
        lines.push(Line::raw("(no arguments)"));
    }
    for (i, a) in rule.arguments.iter().enumerate() {
        let value = rt.value(&rule.name, &a.name);
        let shown = if a.locked {
            Span::styled(
                format!("locked: {}", a.value.as_deref().unwrap_or("null")),
                t.dim(),
            )
        } else if value.is_empty() {
            Span::styled(
                match &a.value {
                    Some(d) => format!("(default {d})"),
                    None => "(not passed)".to_string(),
                },
                t.dim(),
            )
        } else {
            Span::raw(value.to_string())
        };
        let mark = if rt.focus == Focus::Arguments && i == rt.arg_selected {
            "▶ "
        } else {
            "  "
        };
        let style = if rt.focus == Focus::Arguments && i == rt.arg_selected {
            t.selected()
        } else {
            Style::default()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark}{} = ", escape_name(&a.name)), style),
            Span::raw(escape_name(&shown.content).into_owned()).style(shown.style),
        ]));
    }
    let title = format!(" {} — e edits · r runs ", escape_name(&rule.name));
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(pane(
            t,
            title,
            rt.focus == Focus::Arguments,
        )),
        area,
    );
}

fn view_result(rt: &RuleTesterState, t: &Theme, frame: &mut Frame, area: Rect) {
    let mut lines = Vec::new();
    let title = match &rt.result {
        None => {
            lines.push(Line::styled("r runs the rule in dry run", t.dim()));
            " Result ".to_string()
        }
        Some(RunResult { rule, outcome }) => {
            match outcome {
                Err(e) => lines.push(Line::styled(format!("✗ {}", escape_name(e)), t.error())),
                Ok(ev) => result_lines(rt, ev, t, &mut lines),
            }
            format!(" Result of {} ", escape_name(rule))
        }
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(pane(t, title, false)),
        area,
    );
}

fn result_lines(rt: &RuleTesterState, ev: &Evaluation, t: &Theme, lines: &mut Vec<Line<'static>>) {
    match &ev.value {
        Ok(v) => lines.push(Line::from(vec![
            Span::styled("value: ", t.dim()),
            Span::raw(escape_name(&v.to_string()).into_owned()),
        ])),
        Err(_) => {
            let text = ev.error_text().unwrap_or_default();
            lines.push(Line::styled(format!("✗ {}", escape_name(&text)), t.error()));
            // The line of the rule body the error points at, with a caret.
            if let Some(at) = &ev.error_at
                && let Some(rule) = rt
                    .sandbox
                    .rules()
                    .iter()
                    .find(|r| *at.source == *format!("rule '{}'", r.name))
                && let Some(src) = rule.body.lines().nth(at.line - 1)
            {
                let start = at.column.saturating_sub(1).saturating_sub(30);
                let snippet: String = src.chars().skip(start).take(70).collect();
                lines.push(Line::raw(format!("  {}", escape_name(&snippet))));
                lines.push(Line::styled(
                    format!("  {}^", " ".repeat(at.column - 1 - start)),
                    t.error(),
                ));
            }
        }
    }
    if ev.effects.is_empty() {
        lines.push(Line::styled("effects: none (dry run)", t.dim()));
    } else {
        lines.push(Line::styled("effects (dry run, not applied):", t.dim()));
        for (name, v) in &ev.effects {
            lines.push(Line::raw(format!(
                "  set {} = {}",
                escape_name(name),
                escape_name(&v.to_string())
            )));
        }
    }
}

fn view_trace(rt: &RuleTesterState, t: &Theme, frame: &mut Frame, area: Rect) {
    let Some(RunResult {
        outcome: Ok(ev),
        rule,
    }) = &rt.result
    else {
        frame.render_widget(
            Paragraph::new("").block(pane(t, " Trace ".into(), false)),
            area,
        );
        return;
    };
    let own = format!("rule '{rule}'");
    let visible = rt.visible_trace();
    let items: Vec<ListItem> = visible
        .iter()
        .map(|&i| {
            let n = &ev.trace.nodes[i];
            let fold = if !ev.trace.has_children(i) {
                "  "
            } else if rt.folded.contains(&i) {
                "▸ "
            } else {
                "▾ "
            };
            let (outcome, style) = match &n.outcome {
                TraceOutcome::Value(v) => (format!(" → {v}"), Style::default()),
                TraceOutcome::Break(v) => (format!(" → break {v}"), Style::default()),
                TraceOutcome::Error(e) => (format!(" ✗ {e}"), t.error()),
                TraceOutcome::Pending => (String::new(), Style::default()),
            };
            // Positions in the tested rule's body are bare; others name their text.
            let at = match &n.at {
                Some(a) if *a.source == *own => format!("  {}:{}", a.line, a.column),
                Some(a) => format!("  {}", escape_name(&a.to_string())),
                None => String::new(),
            };
            ListItem::new(Line::from(vec![
                Span::raw(format!(
                    "{}{fold}{}",
                    "  ".repeat(n.depth),
                    escape_name(&n.label)
                )),
                Span::styled(escape_name(&outcome).into_owned(), style),
                Span::styled(at, t.dim()),
            ]))
        })
        .collect();
    let omitted = if ev.trace.omitted > 0 {
        format!(" ({} more nodes not recorded)", ev.trace.omitted)
    } else {
        String::new()
    };
    let title = format!(" Trace — space folds{omitted} ");
    let list = List::new(items)
        .block(pane(t, title, rt.focus == Focus::Trace))
        .highlight_style(t.selected())
        .highlight_symbol("▶");
    let mut state = ListState::default().with_selected(if rt.focus == Focus::Trace {
        Some(rt.trace_selected)
    } else {
        None
    });
    frame.render_stateful_widget(list, area, &mut state);
}
