//! `bpe test-rule REPO RULE [--arg NAME=VALUE]...`: call a repository rule in
//! dry run, binding arguments as the engine does (declared defaults apply to
//! arguments not given; a value for a locked argument is refused), and print
//! as `bpe eval` does. Exit 1 when the rule fails or does not parse, 2 on usage
//! errors (unknown rule, locked argument, malformed `--arg`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;

use super::eval::{open_sandbox, print_evaluation, print_syntax_error};
use crate::engine::CallError;
use crate::model::escape_name;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// Rule name (exact; library rules as `Library:Rule`).
    pub rule: String,
    /// Pass an argument; VALUE is JSON when it parses, else a string.
    #[arg(long = "arg", value_name = "NAME=VALUE")]
    pub arg: Vec<String>,
    /// Print JSON (value, effects, trace) instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let given: Vec<_> = super::run::parse_pairs("--arg", "NAME", &args.arg)?
        .into_iter()
        .collect();
    let sandbox = open_sandbox(&args.repo)?;
    let mut out = std::io::stdout().lock();
    match sandbox.test_rule(&args.rule, &given) {
        Ok(ev) => print_evaluation(&mut out, &ev, args.json),
        Err(CallError::Syntax { source, error }) => {
            print_syntax_error(&mut out, &source, &error, args.json)
        }
        Err(e) => bail!("{}", escape_name(&e.to_string())),
    }
}
