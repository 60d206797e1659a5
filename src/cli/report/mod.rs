//! `bpe report`: the figures of `crate::report` as text tables, JSON or CSV.

mod render;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::report::{self, Options};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// From this day (YYYY-MM-DD, from its start in UTC) or moment (RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Up to this day (YYYY-MM-DD, to its end in UTC) or moment (RFC 3339, excluded).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Only this workflow (its name, exactly).
    #[arg(long, value_name = "NAME")]
    pub workflow: Option<String>,
    /// A pending work item waiting longer than this is overdue: `72h`, `3d`, `90m`.
    #[arg(long, value_name = "AGE", default_value = "72h")]
    pub overdue_after: String,
    /// Print JSON instead of text.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (`workflow,figure,subject,value`) instead of text.
    #[arg(long)]
    pub csv: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let since = args
        .since
        .as_deref()
        .map(|s| parse_date(s, false))
        .transpose()
        .context("--since")?;
    let until = args
        .until
        .as_deref()
        .map(|s| parse_date(s, true))
        .transpose()
        .context("--until")?;
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        bail!("--since must be before --until");
    }
    let repo = super::open_repository(&args.repo)?;
    super::list::print_load_errors(&args.repo, &repo.errors);
    if let Some(w) = &args.workflow
        && repo.definition(w).is_none()
        && !repo.instances.iter().any(|i| &i.value.definition.name == w)
    {
        bail!(
            "no workflow named '{}' in the repository or its cases",
            crate::model::escape_name(w)
        );
    }
    let mut opts = Options::new(Utc::now());
    opts.since = since;
    opts.until = until;
    opts.workflow = args.workflow.clone();
    opts.overdue_after = parse_age(&args.overdue_after).context("--overdue-after")?;
    let report = report::compute(&repo, &opts).context("cannot read the case journal")?;
    for bad in &report.skipped_lines {
        eprintln!(
            "bpe: skipped journal line {}",
            crate::model::escape_name(&bad.to_string())
        );
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else if args.csv {
        render::csv(&mut out, &report)?;
    } else {
        render::text(&mut out, &report)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `YYYY-MM-DD` (the day's start, or with `end` the next day's start) or RFC 3339.
pub fn parse_date(s: &str, end: bool) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let d = if end {
            d.succ_opt().context("date out of range")?
        } else {
            d
        };
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .context("date out of range")?
            .and_utc());
    }
    crate::journal::parse_time(s).with_context(|| {
        format!(
            "'{}' is neither a date (YYYY-MM-DD) nor a time (RFC 3339)",
            crate::model::escape_name(s)
        )
    })
}

/// `90m`, `72h`, `3d`.
pub fn parse_age(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = n
        .parse()
        .ok()
        .filter(|n| (0..=100_000).contains(n))
        .with_context(|| {
            format!(
                "'{}' is not an age like 90m, 72h or 3d",
                crate::model::escape_name(s)
            )
        })?;
    match unit {
        "m" => Ok(Duration::minutes(n)),
        "h" => Ok(Duration::hours(n)),
        "d" => Ok(Duration::days(n)),
        _ => bail!(
            "'{}' is not an age like 90m, 72h or 3d",
            crate::model::escape_name(s)
        ),
    }
}
