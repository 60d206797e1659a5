use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// Waveset XML files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Replace objects whose name already exists.
    #[arg(long)]
    pub replace: bool,
}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("'import' is not implemented yet")
}
