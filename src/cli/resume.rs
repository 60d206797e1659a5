//! `bpe resume REPO INSTANCE`: continue an interrupted case (status `running`,
//! runner gone) from where it was last written.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::open_repository;
use super::run::{print_report, services_for};
use crate::engine::store;
use crate::services::Services;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// TaskInstance id (as `bpe tasks` lists it).
    pub instance: String,
    /// Allow command actions (the repository must enable them too).
    #[arg(long)]
    pub allow_commands: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = open_repository(&args.repo)?;
    let mut services = services_for(&repo, false, args.allow_commands);
    let opts = store::RunOptions {
        purpose: "bpe resume".to_string(),
        ..Default::default()
    };
    let report = store::resume(&args.repo, &args.instance, &mut services, &opts)
        .with_context(|| format!("cannot resume {}", args.instance))?;
    print_report(&report, services.effects(), false, args.json)?;
    Ok(ExitCode::SUCCESS)
}
