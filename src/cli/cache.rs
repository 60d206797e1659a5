use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::list::{format_age, print_load_errors, write_table};
use crate::repo::cache::{self, CacheEntry, FileState};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// Evict unpinned entries.
    #[arg(long)]
    pub clear: bool,
    /// With --clear: also evict pinned entries (orphaning their instances).
    #[arg(long, requires = "clear")]
    pub force: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = super::open_repository(&args.repo)?;
    print_load_errors(&args.repo, &repo.errors);
    let mut out = std::io::stdout().lock();
    if args.clear {
        let report = cache::clear(&repo.root, &repo, args.force)
            .context("cannot clear the definition cache")?;
        if args.json {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        } else {
            writeln!(out, "evicted {} entries", report.evicted.len())?;
            for kept in &report.kept {
                writeln!(
                    out,
                    "kept {} {:?}: pinned by {}",
                    short(&kept.hash),
                    kept.name,
                    pins(kept)
                )?;
            }
            if !report.kept.is_empty() {
                writeln!(out, "use --clear --force to evict pinned entries too")?;
            }
            if !report.orphaned_instances.is_empty() {
                writeln!(
                    out,
                    "orphaned instances: {}",
                    report.orphaned_instances.join(", ")
                )?;
                writeln!(
                    out,
                    "orphaned work items: {}",
                    if report.orphaned_work_items.is_empty() {
                        "none".to_string()
                    } else {
                        report.orphaned_work_items.join(", ")
                    }
                )?;
            }
        }
    } else {
        let entries =
            cache::entries(&repo.root, &repo).context("cannot read the definition cache")?;
        if args.json {
            serde_json::to_writer_pretty(&mut out, &entries)?;
            writeln!(out)?;
        } else {
            let rows: Vec<[String; 6]> = entries
                .iter()
                .map(|e| {
                    [
                        e.name.clone(),
                        short(&e.hash).to_string(),
                        e.id.clone(),
                        format_age(e.age_seconds),
                        match (&e.problem, &e.file) {
                            (Some(p), _) => format!("unreadable: {p}"),
                            (None, FileState::Same { .. }) => "current".to_string(),
                            (None, FileState::Changed { .. }) => "changed since".to_string(),
                            (None, FileState::Gone) => "file gone".to_string(),
                        },
                        if e.is_pinned() {
                            pins(e)
                        } else {
                            "-".to_string()
                        },
                    ]
                })
                .collect();
            if rows.is_empty() {
                writeln!(out, "the definition cache is empty")?;
            } else {
                write_table(
                    &mut out,
                    ["NAME", "HASH", "ID", "AGE", "FILE", "PINNED BY"],
                    &rows,
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `sha256:0123456789ab` (enough to tell versions apart).
fn short(hash: &str) -> &str {
    hash.get(..19).unwrap_or(hash)
}

/// `ti-1 (suspended; pending wi-1, wi-2), ti-2 (running)`.
fn pins(e: &CacheEntry) -> String {
    e.pinned_by
        .iter()
        .map(|p| {
            if p.pending_work_items.is_empty() {
                format!("{} ({})", p.id, p.status)
            } else {
                format!(
                    "{} ({}; pending {})",
                    p.id,
                    p.status,
                    p.pending_work_items.join(", ")
                )
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
