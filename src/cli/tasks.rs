use crate::model::escape_name;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;

use super::{listing_exit, open_repository, unloadable, unloadable_row};
use crate::engine::store;
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

/// `interrupted` is a running instance whose runner is gone (`store::is_interrupted`);
/// `running` lists only the ones a live process is running.
const STATUSES: [&str; 6] = [
    "running",
    "interrupted",
    "suspended",
    "completed",
    "terminated",
    "failed",
];

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
        .map(|l| (&l.value, store::shown_status(&args.repo, &l.value)))
        .filter(|(_, shown)| args.status.as_deref().is_none_or(|s| *shown == s))
        .collect();
    list.sort_by(|(a, _), (b, _)| a.started.cmp(&b.started).then(a.id.cmp(&b.id)));
    let broken = unloadable(&repo, ObjectKind::TaskInstance);
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut rows: Vec<serde_json::Value> = list
            .iter()
            .map(|(i, shown)| {
                serde_json::json!({
                    "instance": i.id,
                    "name": i.name,
                    "definition": i.definition,
                    "status": shown,
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
        for (i, shown) in list {
            write!(
                out,
                "{}  {:<11} {}  started {}",
                escape_name(&i.id),
                shown,
                escape_name(&i.name),
                i.started
            )?;
            if !i.current_activities.is_empty() {
                let at = i.current_activities.join(", ");
                write!(out, "  at {}", escape_name(&at))?;
            }
            if !i.pending_work_items.is_empty() {
                write!(out, "  ({} work items)", i.pending_work_items.len())?;
            }
            if let Some(r) = &i.reason {
                write!(out, "  {}", escape_name(r))?;
            }
            if shown == store::INTERRUPTED {
                write!(
                    out,
                    "  (runner gone: bpe resume REPO {0} or bpe terminate REPO {0})",
                    i.id
                )?;
            }
            writeln!(out)?;
        }
    }
    Ok(listing_exit(&broken))
}
