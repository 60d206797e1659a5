//! `bpe complete REPO ITEM` and `bpe resume REPO INSTANCE`: the two commands that
//! carry a stored case on. Both open the repository, build its services, call the
//! store (`store::complete` / `store::resume`, the code the TUI calls too) and
//! print the case's outcome the way `bpe run` does; they share their common
//! arguments ([`CaseArgs`]) and that code ([`carry_on`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use super::open_repository;
use super::run::{parse_sets, print_report, services_for};
use crate::engine::store::{self, RunOptions, RunReport, StoreError};
use crate::services::{RepoServices, Services};

/// The arguments `bpe complete` and `bpe resume` both take.
#[derive(clap::Args, Debug)]
pub struct CaseArgs {
    /// Repository directory.
    pub repo: PathBuf,
    /// Allow command actions (the repository must enable them too).
    #[arg(long)]
    pub allow_commands: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct CompleteArgs {
    #[command(flatten)]
    pub case: CaseArgs,
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
}

#[derive(clap::Args, Debug)]
pub struct ResumeArgs {
    #[command(flatten)]
    pub case: CaseArgs,
    /// TaskInstance id (as `bpe tasks` lists it).
    pub instance: String,
}

/// `bpe complete`: complete a work item and resume its case.
pub fn complete(args: CompleteArgs) -> anyhow::Result<ExitCode> {
    let completion = store::Completion {
        decision: args.decision.clone(),
        comment: args.comment.clone().unwrap_or_default(),
        variables: parse_sets(&args.set)?,
    };
    let what = format!("cannot complete work item {}", args.work_item);
    carry_on(&args.case, "bpe complete", what, |root, services, opts| {
        store::complete(root, &args.work_item, &completion, services, opts)
    })
}

/// `bpe resume`: continue an interrupted case (status `running`, runner gone)
/// from where it was last written.
pub fn resume(args: ResumeArgs) -> anyhow::Result<ExitCode> {
    let what = format!("cannot resume {}", args.instance);
    carry_on(&args.case, "bpe resume", what, |root, services, opts| {
        store::resume(root, &args.instance, services, opts)
    })
}

/// Open the repository, run `step` with its services under `purpose`, print the
/// outcome (`what` prefixes the error when the step fails).
fn carry_on(
    args: &CaseArgs,
    purpose: &str,
    what: String,
    step: impl FnOnce(&Path, &mut RepoServices, &RunOptions) -> Result<RunReport, StoreError>,
) -> anyhow::Result<ExitCode> {
    let repo = open_repository(&args.repo)?;
    let mut services = services_for(&repo, false, args.allow_commands);
    let opts = RunOptions {
        purpose: purpose.to_string(),
        ..Default::default()
    };
    let report = step(&args.repo, &mut services, &opts).context(what)?;
    print_report(&report, services.effects(), false, args.json)?;
    Ok(ExitCode::SUCCESS)
}
