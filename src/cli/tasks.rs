use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;

use super::{listing_exit, open_repository, unloadable, unloadable_row};
use crate::model::ObjectKind;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// Only instances with this status.
    #[arg(long)]
    pub status: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

const STATUSES: [&str; 5] = ["running", "suspended", "completed", "terminated", "failed"];

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(s) = &args.status
        && !STATUSES.contains(&s.as_str())
    {
        bail!("unknown status '{s}' (one of {})", STATUSES.join(", "));
    }
    let repo = open_repository(&args.repo)?;
    let mut list: Vec<_> = repo
        .instances
        .iter()
        .map(|l| &l.value)
        .filter(|i| {
            args.status
                .as_deref()
                .is_none_or(|s| i.status.as_str() == s)
        })
        .collect();
    list.sort_by(|a, b| a.started.cmp(&b.started).then(a.id.cmp(&b.id)));
    let broken = unloadable(&repo, ObjectKind::TaskInstance);
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut rows: Vec<serde_json::Value> = list
            .iter()
            .map(|i| {
                serde_json::json!({
                    "instance": i.id,
                    "name": i.name,
                    "definition": i.definition,
                    "status": i.status.as_str(),
                    "reason": i.reason,
                    "owner": i.owner,
                    "started": i.started,
                    "updated": i.updated,
                    "finished": i.finished,
                    "steps": i.steps,
                    "currentActivities": i.current_activities,
                    "workItems": i.pending_work_items,
                })
            })
            .collect();
        rows.extend(broken.iter().map(|e| unloadable_row("instance", e)));
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        for i in list {
            write!(
                out,
                "{}  {:<10} {}  started {}",
                i.id,
                i.status.as_str(),
                i.name,
                i.started
            )?;
            if !i.current_activities.is_empty() {
                write!(out, "  at {}", i.current_activities.join(", "))?;
            }
            if !i.pending_work_items.is_empty() {
                write!(out, "  ({} work items)", i.pending_work_items.len())?;
            }
            if let Some(r) = &i.reason {
                write!(out, "  {r}")?;
            }
            writeln!(out)?;
        }
    }
    Ok(listing_exit(&broken))
}
