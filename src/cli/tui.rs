//! The interactive front-end's command-line options.
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory (default: the current directory).
    pub repository: Option<PathBuf>,
    /// Poll the repository for changes instead of relying on file events (network filesystems).
    #[arg(long)]
    pub poll: bool,
    /// Enable mouse support (off by default: it breaks native selection over SSH).
    #[arg(long)]
    pub mouse: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("the TUI is not implemented yet")
}
