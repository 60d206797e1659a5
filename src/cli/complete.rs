use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::open_repository;
use super::run::{parse_sets, print_report, services_for};
use crate::engine::store;
use crate::services::Services;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// Work item id.
    pub work_item: String,
    /// approve or reject.
    #[arg(long)]
    pub decision: Option<String>,
    /// Set an editable variable; VALUE is JSON when it parses, else a string.
    #[arg(long = "set", value_name = "VAR=VALUE")]
    pub set: Vec<String>,
    #[arg(long)]
    pub comment: Option<String>,
    /// Allow command actions (the repository must enable them too).
    #[arg(long)]
    pub allow_commands: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = open_repository(&args.repo)?;
    let completion = store::Completion {
        decision: args.decision.clone(),
        comment: args.comment.clone().unwrap_or_default(),
        variables: parse_sets(&args.set)?,
    };
    let mut services = services_for(&repo, false, args.allow_commands);
    let opts = store::RunOptions {
        purpose: "bpe complete".to_string(),
        ..Default::default()
    };
    let report = store::complete(
        &args.repo,
        &args.work_item,
        &completion,
        &mut services,
        &opts,
    )
    .with_context(|| format!("cannot complete work item {}", args.work_item))?;
    print_report(&report, services.effects(), false, args.json)?;
    Ok(ExitCode::SUCCESS)
}
