use crate::model::escape_name;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::open_repository;
use crate::engine::store;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// Work item id.
    pub work_item: String,
    /// New owner.
    #[arg(long)]
    pub to: String,
    #[arg(long)]
    pub comment: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    open_repository(&args.repo)?;
    let item = store::forward(
        &args.repo,
        &args.work_item,
        &args.to,
        args.comment.as_deref().unwrap_or(""),
        "bpe forward",
    )
    .with_context(|| format!("cannot forward work item {}", args.work_item))?;
    let from = item.forwarded.last().map(|f| f.from.as_str()).unwrap_or("");
    writeln!(
        std::io::stdout(),
        "work item {} forwarded from {} to {}",
        escape_name(&item.id),
        escape_name(from),
        escape_name(&item.owner)
    )?;
    Ok(ExitCode::SUCCESS)
}
