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
    /// TaskInstance id.
    pub instance: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    open_repository(&args.repo)?;
    let inst = store::terminate(&args.repo, &args.instance, "bpe terminate")
        .with_context(|| format!("cannot terminate {}", args.instance))?;
    writeln!(
        std::io::stdout(),
        "{} {} {}: {}",
        escape_name(&inst.name),
        escape_name(&inst.id),
        inst.status.as_str(),
        escape_name(&inst.reason.unwrap_or_default())
    )?;
    Ok(ExitCode::SUCCESS)
}
