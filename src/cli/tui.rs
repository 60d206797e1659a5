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
    let repository = args.repository.unwrap_or_else(|| PathBuf::from("."));
    // Due work-item timeouts apply whenever a repository is opened, the TUI included.
    super::housekeeping(&repository);
    let code = crate::tui::run(crate::tui::Options {
        repository,
        poll: args.poll,
        mouse: args.mouse,
    })?;
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}
