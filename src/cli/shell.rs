//! Shell habits: `bpe completions bash|zsh|fish` and `bpe man [SUBCOMMAND]`, both
//! generated at run time from the same clap definitions the parser uses (so they
//! cannot drift from the real options). Output goes to stdout; nothing is written
//! to disk.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

/// The shells `bpe completions` knows.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// bash, zsh or fish.
    pub shell: Shell,
}

#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Print the page of this subcommand (`bpe-SUBCOMMAND(1)`) instead of `bpe(1)`.
    pub subcommand: Option<String>,
}

/// The completion script for `shell`. (Generated into memory: clap_complete
/// panics on a write error, and `bpe completions bash | head` must not.)
pub fn completions(shell: Shell, mut cmd: clap::Command) -> Vec<u8> {
    let name = cmd.get_name().to_string();
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut out);
    out
}

/// Write the man page (roff) of `bpe` or of one of its visible subcommands to `out`.
pub fn man(args: &ManArgs, cmd: clap::Command, out: &mut dyn Write) -> anyhow::Result<()> {
    let cmd = match &args.subcommand {
        None => cmd,
        Some(name) => {
            let bin = cmd.get_name().to_string();
            let names: Vec<String> = visible_subcommands(&cmd);
            let sub = cmd
                .get_subcommands()
                .find(|s| s.get_name() == name && !s.is_hide_set())
                .cloned()
                .with_context(|| {
                    format!(
                        "no subcommand {:?}; one of: {}",
                        crate::model::escape_name(name),
                        names.join(", ")
                    )
                })?;
            // `bpe-run(1)`, with the usage line reading `bpe run ...`.
            let display = format!("{bin}-{}", sub.get_name());
            let usage = format!("{bin} {}", sub.get_name());
            let version = cmd.get_version().map(str::to_string).unwrap_or_default();
            sub.name(display).bin_name(usage).version(version)
        }
    };
    clap_mangen::Man::new(cmd)
        .render(out)
        .context("cannot write the man page")
}

fn visible_subcommands(cmd: &clap::Command) -> Vec<String> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_string())
        .collect()
}

/// `bpe completions`: the script on stdout.
pub fn run_completions(args: CompletionsArgs, cmd: clap::Command) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    out.write_all(&completions(args.shell, cmd))?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `bpe man`: the page on stdout.
pub fn run_man(args: ManArgs, cmd: clap::Command) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    man(&args, cmd, &mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
