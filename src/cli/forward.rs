use std::path::PathBuf;
use std::process::ExitCode;

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

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("'forward' is not implemented yet")
}
