use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// TaskDefinition name (exact).
    pub name: String,
    /// Plain ASCII instead of box-drawing characters.
    #[arg(long)]
    pub ascii: bool,
}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("'diagram' is not implemented yet")
}
