//! The report as text tables (for people) and as CSV (for spreadsheets: one
//! tidy row per figure, `workflow,figure,subject,value`, RFC 4180 quoting).
//! Every name is sanitised before it reaches a terminal (`model::escape_name`).

use std::io::Write;

use crate::model::escape_name;
use crate::report::stats::{Summary, human};
use crate::report::{Latency, Report, WorkflowFigures};

/// Plain-text tables.
pub fn text(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    let period = match (&r.since, &r.until) {
        (None, None) => "all time".to_string(),
        (s, u) => format!(
            "{} .. {}",
            s.as_deref().unwrap_or("start"),
            u.as_deref().unwrap_or("now")
        ),
    };
    writeln!(out, "Report for {period} (generated {})", r.generated)?;
    if r.workflows.is_empty() {
        writeln!(out, "\nNo cases in this period.")?;
    }
    for w in &r.workflows {
        workflow(out, w)?;
    }
    writeln!(out, "\nWork items overdue now")?;
    if r.overdue.is_empty() {
        writeln!(out, "  none")?;
    } else {
        let rows: Vec<[String; 4]> = r
            .overdue
            .iter()
            .map(|o| {
                [
                    format!("  {}", o.owner),
                    o.count.to_string(),
                    o.oldest.clone(),
                    human(o.oldest_age_ms),
                ]
            })
            .collect();
        super::super::list::write_table(out, ["  owner", "items", "oldest", "waiting"], &rows)?;
    }
    if !r.skipped_lines.is_empty() {
        writeln!(
            out,
            "\n{} journal line(s) skipped; first: {}",
            r.skipped_lines.len(),
            escape_name(&r.skipped_lines[0].to_string())
        )?;
    }
    Ok(())
}

fn dist(s: &Option<Summary>) -> String {
    match s {
        Some(s) => format!(
            "p50 {}  p90 {}  max {}  ({} cases)",
            human(s.p50_ms),
            human(s.p90_ms),
            human(s.max_ms),
            s.count
        ),
        None => "no case ended".to_string(),
    }
}

fn workflow(out: &mut impl Write, w: &WorkflowFigures) -> std::io::Result<()> {
    writeln!(out, "\n{}", escape_name(&w.workflow))?;
    writeln!(
        out,
        "  cases       started {}  completed {}  terminated {}  failed {}  suspended now {}  running now {}",
        w.started, w.completed, w.terminated, w.failed, w.suspended_now, w.running_now
    )?;
    writeln!(out, "  cycle time  {}", dist(&w.cycle_time))?;
    writeln!(
        out,
        "  work items  answered {}  rejected {} ({:.0}%)  timeouts {}  escalations {}  SoD violations {}",
        w.work_items_completed,
        w.rejected,
        w.rejection_rate * 100.0,
        w.timeouts,
        w.escalations,
        w.sod_violations
    )?;
    latency_table(out, "approver", &w.approvers)?;
    latency_table(out, "manual action", &w.manual_actions)?;
    if !w.failures.is_empty() {
        let rows: Vec<[String; 3]> = w
            .failures
            .iter()
            .map(|f| {
                [
                    format!("  {}", f.activity),
                    f.count.to_string(),
                    format!("{} ({}x)", f.most_common_error, f.most_common_error_count),
                ]
            })
            .collect();
        super::super::list::write_table(out, ["  failed at", "cases", "most common error"], &rows)?;
    }
    Ok(())
}

fn latency_table(out: &mut impl Write, what: &str, rows: &[Latency]) -> std::io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let rows: Vec<[String; 6]> = rows
        .iter()
        .map(|l| {
            [
                format!("  {}", l.name),
                l.latency.count.to_string(),
                human(l.latency.p50_ms),
                human(l.latency.p90_ms),
                l.rejected.to_string(),
                l.timeouts.to_string(),
            ]
        })
        .collect();
    let head = format!("  {what}");
    super::super::list::write_table(
        out,
        [&head, "items", "p50", "p90", "rejected", "timeouts"],
        &rows,
    )
}

/// One CSV field, quoted when it needs to be (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Tidy CSV: `workflow,figure,subject,value`.
pub fn csv(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    let mut row = |w: &str, figure: &str, subject: &str, value: String| {
        writeln!(
            out,
            "{},{},{},{}",
            field(w),
            field(figure),
            field(subject),
            field(&value)
        )
    };
    row("workflow", "figure", "subject", "value".into())?;
    for w in &r.workflows {
        let n = w.workflow.as_str();
        for (figure, v) in [
            ("started", w.started),
            ("completed", w.completed),
            ("terminated", w.terminated),
            ("failed", w.failed),
            ("suspended_now", w.suspended_now),
            ("running_now", w.running_now),
            ("work_items_completed", w.work_items_completed),
            ("rejected", w.rejected),
            ("timeouts", w.timeouts),
            ("escalations", w.escalations),
            ("sod_violations", w.sod_violations),
        ] {
            row(n, figure, "", v.to_string())?;
        }
        row(n, "rejection_rate", "", format!("{:.4}", w.rejection_rate))?;
        if let Some(c) = &w.cycle_time {
            summary_rows(&mut row, n, "cycle_time", "", c)?;
        }
        for l in &w.approvers {
            summary_rows(&mut row, n, "approval_latency", &l.name, &l.latency)?;
            row(n, "approver_rejected", &l.name, l.rejected.to_string())?;
        }
        for l in &w.manual_actions {
            summary_rows(&mut row, n, "action_latency", &l.name, &l.latency)?;
            row(n, "action_timeouts", &l.name, l.timeouts.to_string())?;
        }
        for f in &w.failures {
            row(n, "failures", &f.activity, f.count.to_string())?;
            row(
                n,
                "most_common_error",
                &f.activity,
                f.most_common_error.clone(),
            )?;
        }
    }
    for o in &r.overdue {
        row("", "overdue_now", &o.owner, o.count.to_string())?;
    }
    Ok(())
}

fn summary_rows(
    row: &mut impl FnMut(&str, &str, &str, String) -> std::io::Result<()>,
    w: &str,
    figure: &str,
    subject: &str,
    s: &Summary,
) -> std::io::Result<()> {
    row(w, &format!("{figure}_count"), subject, s.count.to_string())?;
    row(
        w,
        &format!("{figure}_p50_ms"),
        subject,
        s.p50_ms.to_string(),
    )?;
    row(
        w,
        &format!("{figure}_p90_ms"),
        subject,
        s.p90_ms.to_string(),
    )?;
    row(
        w,
        &format!("{figure}_max_ms"),
        subject,
        s.max_ms.to_string(),
    )
}
