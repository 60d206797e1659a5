use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::open_repository;
use crate::engine::store;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// TaskInstance id.
    pub instance: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    open_repository(&args.repo)?;
    let inst = store::terminate(&args.repo, &args.instance, "bpe terminate")
        .with_context(|| format!("cannot terminate {}", args.instance))?;
    println!(
        "{} {} {}: {}",
        inst.name,
        inst.id,
        inst.status.as_str(),
        inst.reason.unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}
