use crate::model::escape_name;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{listing_exit, open_repository, unloadable, unloadable_row};
use crate::model::ObjectKind;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// Only items of this owner.
    #[arg(long)]
    pub owner: Option<String>,
    /// Include completed items.
    #[arg(long)]
    pub all: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = open_repository(&args.repo)?;
    let mut list: Vec<_> = repo
        .work_items
        .iter()
        .map(|l| &l.value)
        .filter(|w| args.all || !w.complete)
        .filter(|w| args.owner.as_deref().is_none_or(|o| w.owner == o))
        .collect();
    list.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
    let broken = unloadable(&repo, ObjectKind::WorkItem);
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut rows = Vec::with_capacity(list.len() + broken.len());
        for w in &list {
            rows.push(serde_json::to_value(w)?);
        }
        rows.extend(broken.iter().map(|e| unloadable_row("id", e)));
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        for w in list {
            let state = if w.complete {
                format!("done ({})", w.decision.as_deref().unwrap_or("no decision"))
            } else {
                "pending".to_string()
            };
            write!(
                out,
                "{}  {:<10} {}  {} / {}  instance {}",
                escape_name(&w.id),
                escape_name(&w.owner),
                state,
                escape_name(&w.definition.name),
                escape_name(&w.activity),
                escape_name(&w.instance)
            )?;
            if let Some(t) = &w.timeout_at {
                write!(out, "  due {t}")?;
            }
            writeln!(out)?;
            if !w.request.is_empty() {
                writeln!(out, "    {}", escape_name(&w.request))?;
            }
        }
    }
    Ok(listing_exit(&broken))
}
