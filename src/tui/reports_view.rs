//! Drawing the reports screen (`reports.rs` holds its state): a header with the
//! period and the workflow, the workflows table, cases started per day (a bar
//! chart, a sparkline when the days do not fit), the cycle-time distribution,
//! approval latency per approver (a horizontal bar chart), failures by activity
//! and overdue work items by owner; or the cases behind a figure.
//!
//! Invariants: only the last computed report is drawn (no counting here); every
//! name reaches the terminal escaped (`model::escape_name`, `table` escapes its
//! cells); below 100x30 the day and cycle-time charts shrink to one sparkline
//! line, so 80x24 keeps every list Enter works on.

use chrono::{Duration, NaiveDate};
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Paragraph, Sparkline, Wrap};

use crate::model::escape_name;
use crate::report::stats::{CYCLE_BUCKETS, human};
use crate::report::{Report, WorkflowFigures};

use super::reports::{Pane, ReportsState};
use super::screen::Ctx;
use super::table::{self, TableCell, TableView};
use super::theme::Theme;

pub fn view(st: &ReportsState, cx: &Ctx, frame: &mut Frame, area: Rect) {
    let s = st;
    let t = cx.theme;
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(header(s)).style(t.title()), head);
    if let Some(list) = &s.cases {
        view_cases(list, t, frame, body);
        return;
    }
    let (Some(r), Some(f)) = (&s.report, s.figures()) else {
        let text = s.error.as_deref().unwrap_or("computing…");
        frame.render_widget(
            Paragraph::new(text.to_string())
                .style(t.error())
                .wrap(Wrap { trim: false }),
            body,
        );
        return;
    };
    let big = area.width >= 100 && area.height >= 30;
    let rows = r.workflows.len() as u16 + 3;
    let table_h = if big {
        rows.clamp(5, (body.height / 4).max(5))
    } else {
        rows.clamp(4, 7)
    };
    let charts_h = if big { body.height * 3 / 10 } else { 2 };
    let [wf, charts, lists] = Layout::vertical([
        Constraint::Length(table_h),
        Constraint::Length(charts_h),
        Constraint::Min(0),
    ])
    .areas(body);
    view_workflows(s, r, t, frame, wf);
    if big {
        let [days, cycle] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(charts);
        view_days(s, f, t, frame, days);
        view_cycle(f, t, frame, cycle);
    } else {
        view_days_line(s, f, t, frame, charts);
    }
    let [approvers, right] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(lists);
    view_approvers(s, f, t, frame, approvers);
    let [failures, overdue] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);
    view_failures(s, f, t, frame, failures);
    view_overdue(s, r, t, frame, overdue);
}

fn header(s: &ReportsState) -> Line<'static> {
    let now = s.now();
    let period = match s.period.days() {
        Some(d) => format!(
            "{} ({} → {})",
            s.period.label(),
            (now - Duration::days(d)).format("%Y-%m-%d %H:%M"),
            now.format("%Y-%m-%d %H:%M")
        ),
        None => format!(
            "{} (until {})",
            s.period.label(),
            now.format("%Y-%m-%d %H:%M")
        ),
    };
    let workflow = s
        .workflow
        .as_deref()
        .map_or("every workflow".into(), |w| escape_name(w).into_owned());
    let skipped = s.report.as_ref().map_or(0, |r| r.skipped_lines.len());
    let mut text = format!(" Reports — {period} · {workflow}");
    if skipped > 0 {
        text.push_str(&format!(
            " · {skipped} journal lines unreadable (bpe report names them)"
        ));
    }
    Line::raw(text)
}

fn block<'a>(title: String, focused: bool, t: &Theme) -> Block<'a> {
    super::theme::pane_block(t, title, focused)
}

fn dur(
    s: Option<crate::report::stats::Summary>,
    pick: fn(&crate::report::stats::Summary) -> i64,
) -> String {
    s.as_ref().map_or("—".into(), |s| human(pick(s)))
}

/// The workflows table's columns: all of them from 110 columns, else the
/// essential ones (the rest stay in `bpe report`).
const WIDE: &[&str] = &[
    "workflow",
    "start",
    "done",
    "term",
    "fail",
    "susp",
    "run",
    "cycle p50",
    "p90",
    "max",
    "items",
    "rej",
    "t/o",
    "esc",
    "SoD",
];
const NARROW: &[&str] = &[
    "workflow",
    "start",
    "done",
    "fail",
    "susp",
    "cycle p50",
    "p90",
    "rej",
];

fn view_workflows(s: &ReportsState, r: &Report, t: &Theme, frame: &mut Frame, area: Rect) {
    let focused = s.pane == Pane::Workflows;
    let headers = if area.width >= 110 { WIDE } else { NARROW };
    let rows: Vec<Vec<TableCell>> = r
        .workflows
        .iter()
        .map(|w| {
            headers
                .iter()
                .map(|h| {
                    // Counts right-aligned under their header.
                    let n = |v: usize| TableCell::raw(format!("{v:>width$}", width = h.len()));
                    match *h {
                        "workflow" => TableCell::raw(w.workflow.clone()),
                        "start" => n(w.started),
                        "done" => n(w.completed),
                        "term" => n(w.terminated),
                        "fail" => TableCell::new(
                            format!("{:>4}", w.failed),
                            if w.failed > 0 { t.error() } else { t.normal() },
                        ),
                        "susp" => n(w.suspended_now),
                        "run" => n(w.running_now),
                        "cycle p50" => TableCell::raw(dur(w.cycle_time, |c| c.p50_ms)),
                        "p90" => TableCell::raw(dur(w.cycle_time, |c| c.p90_ms)),
                        "max" => TableCell::raw(dur(w.cycle_time, |c| c.max_ms)),
                        "items" => n(w.work_items_completed),
                        "rej" => TableCell::raw(format!("{:>3.0}%", w.rejection_rate * 100.0)),
                        "t/o" => n(w.timeouts),
                        "esc" => n(w.escalations),
                        _ => n(w.sod_violations),
                    }
                })
                .collect()
        })
        .collect();
    let title = format!(" Workflows ({}) ", r.workflows.len());
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new("No cases in this period (p changes the period).")
                .style(t.dim())
                .block(block(title, focused, t)),
            area,
        );
        return;
    }
    let view = TableView {
        headers,
        selected: focused.then_some(s.selected[0]),
        rows,
        trailer: Vec::new(),
    };
    table::render(frame, area, block(title, focused, t), view, t);
}

/// Days of the period (oldest first) with the cases started on each.
fn per_day(s: &ReportsState, f: &WorkflowFigures) -> Vec<(NaiveDate, u64)> {
    let today = s.now().date_naive();
    let first = match s.period.days() {
        Some(d) => today - Duration::days(d),
        None => f
            .started_per_day
            .keys()
            .next()
            .and_then(|k| NaiveDate::parse_from_str(k, "%Y-%m-%d").ok())
            .unwrap_or(today)
            .max(today - Duration::days(3650)),
    };
    first
        .iter_days()
        .take_while(|d| *d <= today)
        .map(|d| {
            let key = d.format("%Y-%m-%d").to_string();
            (d, f.started_per_day.get(&key).copied().unwrap_or(0) as u64)
        })
        .collect()
}

fn view_days(s: &ReportsState, f: &WorkflowFigures, t: &Theme, frame: &mut Frame, area: Rect) {
    let days = per_day(s, f);
    let title = format!(" Cases started per day ({}) ", f.started);
    let b = block(title, false, t);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let w = usize::from(inner.width);
    if days.len() * 2 <= w + 1 && !days.is_empty() {
        let bar_width = ((w + 1) / days.len()).saturating_sub(1).clamp(1, 6) as u16;
        let bars: Vec<Bar> = days
            .iter()
            .map(|(d, n)| {
                let label = if bar_width >= 2 {
                    d.format("%d").to_string()
                } else {
                    String::new()
                };
                Bar::default().value(*n).label(Line::raw(label))
            })
            .collect();
        vertical_bars(frame, inner, &bars, bar_width, t.ok(), t);
    } else {
        let tail = &days[days.len().saturating_sub(w)..];
        let data: Vec<u64> = tail.iter().map(|(_, n)| *n).collect();
        let [spark, legend] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
        frame.render_widget(Sparkline::default().data(&data).style(t.ok()), spark);
        if let (Some(a), Some(b)) = (tail.first(), tail.last()) {
            frame.render_widget(
                Paragraph::new(format!("{} … {}", a.0, b.0)).style(t.dim()),
                legend,
            );
        }
    }
}

/// The small layout's one line: cases per day as a sparkline.
fn view_days_line(s: &ReportsState, f: &WorkflowFigures, t: &Theme, frame: &mut Frame, area: Rect) {
    let label = format!(" per day ({}) ", f.started);
    let [l, spark] = Layout::horizontal([
        Constraint::Length(label.chars().count() as u16),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(label).style(t.label()), l);
    let days = per_day(s, f);
    let w = usize::from(spark.width);
    let data: Vec<u64> = days[days.len().saturating_sub(w)..]
        .iter()
        .map(|(_, n)| *n)
        .collect();
    frame.render_widget(Sparkline::default().data(&data).style(t.ok()), spark);
}

fn view_cycle(f: &WorkflowFigures, t: &Theme, frame: &mut Frame, area: Rect) {
    let title = format!(
        " Cycle time: p50 {} · p90 {} · max {} ",
        dur(f.cycle_time, |c| c.p50_ms),
        dur(f.cycle_time, |c| c.p90_ms),
        dur(f.cycle_time, |c| c.max_ms)
    );
    let b = block(title, false, t);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let n = CYCLE_BUCKETS.len() as u16;
    let bar_width = (inner.width.saturating_sub(n - 1) / n).clamp(1, 9);
    let bars: Vec<Bar> = CYCLE_BUCKETS
        .iter()
        .zip(f.cycle_time_histogram.iter().chain(std::iter::repeat(&0)))
        .map(|((label, _), n)| Bar::default().value(*n as u64).label(Line::raw(*label)))
        .collect();
    vertical_bars(frame, inner, &bars, bar_width, t.label(), t);
}

/// A vertical bar chart of `bars`, `width` columns each, one column apart.
fn vertical_bars(
    frame: &mut Frame,
    area: Rect,
    bars: &[Bar<'_>],
    width: u16,
    style: ratatui::style::Style,
    t: &Theme,
) {
    frame.render_widget(
        BarChart::default()
            .data(BarGroup::default().bars(bars))
            .bar_width(width)
            .bar_gap(1)
            .bar_style(style)
            .value_style(t.selected()),
        area,
    );
}

/// The rows `[first, first + height)` of a list of `len` that keep `selected` in sight.
fn window(len: usize, selected: usize, height: usize) -> std::ops::Range<usize> {
    let height = height.max(1);
    let first = selected
        .saturating_sub(height - 1)
        .min(len.saturating_sub(height));
    first..(first + height).min(len)
}

fn view_approvers(s: &ReportsState, f: &WorkflowFigures, t: &Theme, frame: &mut Frame, area: Rect) {
    let focused = s.pane == Pane::Approvers;
    let b = block(
        format!(
            " Approval latency p50 per approver ({}) ",
            f.approvers.len()
        ),
        focused,
        t,
    );
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if f.approvers.is_empty() {
        frame.render_widget(
            Paragraph::new("No work items answered in this period.").style(t.dim()),
            inner,
        );
        return;
    }
    let selected = s.selected[1];
    let range = window(f.approvers.len(), selected, usize::from(inner.height));
    let names: Vec<String> = f
        .approvers
        .iter()
        .map(|a| escape_name(&a.name).into_owned())
        .collect();
    let name_w = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let bars: Vec<Bar> = f.approvers[range.clone()]
        .iter()
        .zip(&names[range.clone()])
        .enumerate()
        .map(|(i, (a, name))| {
            let l = &a.latency;
            let label = format!(
                "{:<name_w$} {:>7} p90 {:>7} {:>3}×",
                table::clip(name, name_w),
                human(l.p50_ms),
                human(l.p90_ms),
                l.count
            );
            let bar = Bar::default()
                .value(u64::try_from(l.p50_ms / 60_000).unwrap_or(0).max(1))
                .label(Line::raw(label))
                .text_value(String::new());
            if focused && range.start + i == selected {
                bar.style(t.highlight()).value_style(t.selected())
            } else {
                bar
            }
        })
        .collect();
    frame.render_widget(
        BarChart::default()
            .direction(Direction::Horizontal)
            .data(BarGroup::default().bars(&bars))
            .bar_width(1)
            .bar_gap(0)
            .bar_style(t.ok())
            .value_style(t.normal())
            .max(
                f.approvers
                    .iter()
                    .map(|a| u64::try_from(a.latency.p50_ms / 60_000).unwrap_or(0))
                    .max()
                    .unwrap_or(1)
                    .max(1),
            ),
        inner,
    );
}

fn view_failures(s: &ReportsState, f: &WorkflowFigures, t: &Theme, frame: &mut Frame, area: Rect) {
    let focused = s.pane == Pane::Failures;
    let title = format!(" Failures by activity ({}) ", f.failed);
    let rows: Vec<Vec<TableCell>> = f
        .failures
        .iter()
        .map(|x| {
            vec![
                TableCell::raw(x.activity.clone()),
                TableCell::new(format!("{:>4}", x.count), t.error()),
                TableCell::raw(format!(
                    "{}× {}",
                    x.most_common_error_count, x.most_common_error
                )),
            ]
        })
        .collect();
    list(
        frame,
        area,
        block(title, focused, t),
        t,
        &["at", "failed", "most common error"],
        rows,
        focused.then_some(s.selected[2]),
        "No failed cases in this period.",
    );
}

fn view_overdue(s: &ReportsState, r: &Report, t: &Theme, frame: &mut Frame, area: Rect) {
    let focused = s.pane == Pane::Overdue;
    let total: usize = r.overdue.iter().map(|o| o.count).sum();
    let title = format!(" Work items overdue now ({total}) ");
    let rows: Vec<Vec<TableCell>> = r
        .overdue
        .iter()
        .map(|o| {
            vec![
                TableCell::raw(o.owner.clone()),
                TableCell::new(format!("{:>4}", o.count), t.warning()),
                TableCell::raw(o.oldest.clone()),
                TableCell::raw(human(o.oldest_age_ms)),
            ]
        })
        .collect();
    list(
        frame,
        area,
        block(title, focused, t),
        t,
        &["owner", "items", "oldest", "age"],
        rows,
        focused.then_some(s.selected[3]),
        "Nothing overdue.",
    );
}

#[allow(clippy::too_many_arguments)]
fn list(
    frame: &mut Frame,
    area: Rect,
    block: Block<'_>,
    t: &Theme,
    headers: &[&str],
    rows: Vec<Vec<TableCell>>,
    selected: Option<usize>,
    empty: &str,
) {
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(empty.to_string())
                .style(t.dim())
                .block(block),
            area,
        );
        return;
    }
    let view = TableView {
        headers,
        rows,
        selected,
        trailer: Vec::new(),
    };
    table::render(frame, area, block, view, t);
}

fn view_cases(list_: &super::reports::CaseList, t: &Theme, frame: &mut Frame, area: Rect) {
    let title = format!(
        " {} — {} (Enter opens one in the tasks screen, Esc back) ",
        list_.title,
        list_.rows.len()
    );
    // Only the rows in sight are laid out (a workflow can have many cases).
    let range = window(
        list_.rows.len(),
        list_.selected,
        usize::from(area.height.saturating_sub(3)),
    );
    let rows: Vec<Vec<TableCell>> = list_.rows[range.clone()]
        .iter()
        .map(|c| {
            let status_style = match c.status.as_str() {
                "failed" | "terminated" => t.error(),
                "suspended" => t.warning(),
                "running" => t.ok(),
                _ => t.dim(),
            };
            vec![
                TableCell::raw(c.instance.clone()),
                TableCell::raw(c.workflow.clone()),
                TableCell::new(c.status.clone(), status_style),
                TableCell::new(
                    c.started.get(..16).unwrap_or(&c.started).replace('T', " "),
                    t.dim(),
                ),
                TableCell::raw(c.duration_ms.map_or("—".into(), human)),
                if c.on_file {
                    TableCell::raw("")
                } else {
                    TableCell::new("file gone", t.warning())
                },
            ]
        })
        .collect();
    let selected = list_.selected.checked_sub(range.start);
    self::list(
        frame,
        area,
        block(title, true, t),
        t,
        &["instance", "workflow", "status", "started", "duration", ""],
        rows,
        selected,
        "No cases behind this figure.",
    );
}
