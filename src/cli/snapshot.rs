use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::list::print_load_errors;
use crate::repo::cache;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// TaskDefinition name (exact).
    pub name: String,
    /// Re-point instances pinned to the copied version to the copy.
    #[arg(long)]
    pub repoint: bool,
    /// Copy this cached version (`sha256:…`, as `bpe cache` lists) instead of the current one.
    #[arg(long, value_name = "HASH")]
    pub version: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = super::open_repository(&args.repo)?;
    print_load_errors(&args.repo, &repo.errors);
    super::find_definition(&repo, &args.name)?;
    let report = cache::snapshot(
        &repo.root,
        &repo,
        &args.name,
        args.version.as_deref(),
        args.repoint,
    )
    .with_context(|| format!("cannot save a timestamped copy of {:?}", args.name))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        let rel = report.path.strip_prefix(&repo.root).unwrap_or(&report.path);
        writeln!(
            out,
            "saved {:?} ({}) as {}",
            report.definition.name,
            report.definition.id,
            args.repo.join(rel).display()
        )?;
        if args.repoint {
            writeln!(
                out,
                "re-pointed {} instances{} and {} work items{}",
                report.repointed_instances.len(),
                list(&report.repointed_instances),
                report.repointed_work_items.len(),
                list(&report.repointed_work_items)
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        format!(" ({})", ids.join(", "))
    }
}
