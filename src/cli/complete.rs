use std::path::PathBuf;
use std::process::ExitCode;

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

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("'complete' is not implemented yet")
}
