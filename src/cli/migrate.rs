//! `bpe migrate REPO INSTANCE --to NAME [--map OLD=NEW]... [--dry-run] [--json]`:
//! move a suspended case to the current version of a definition
//! (`engine::migrate`). Exit 0 moved (or a dry run that would move), 1 refused
//! (each reason printed, nothing changed), 2 error.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::open_repository;
use super::run::services_for;
use crate::engine::migrate::{self, MigrateError, MigrateOptions, Plan};
use crate::model::escape_name;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// TaskInstance id.
    pub instance: String,
    /// The TaskDefinition whose current version the case moves to.
    #[arg(long, value_name = "NAME")]
    pub to: String,
    /// Put tokens of activity OLD (id or name, pinned version) on NEW (id or name, new version).
    #[arg(long = "map", value_name = "OLD=NEW")]
    pub map: Vec<String>,
    /// Print the plan; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = open_repository(&args.repo)?;
    let map = args
        .map
        .iter()
        .map(|m| match m.split_once('=') {
            Some((o, n)) if !o.is_empty() && !n.is_empty() => Ok((o.to_string(), n.to_string())),
            _ => Err(anyhow::anyhow!(
                "--map {}: expected OLD=NEW",
                escape_name(m)
            )),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let opts = MigrateOptions {
        to: args.to.clone(),
        map,
        dry_run: args.dry_run,
        purpose: "bpe migrate".to_string(),
    };
    let mut services = services_for(&repo, args.dry_run, false);
    let (plan, code) = match migrate::migrate(&args.repo, &args.instance, &opts, &mut services) {
        Ok(plan) => (plan, ExitCode::SUCCESS),
        Err(MigrateError::Refused(plan)) => (*plan, ExitCode::from(1)),
        Err(MigrateError::Store(e)) => {
            return Err(e).with_context(|| format!("cannot migrate instance {}", args.instance));
        }
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &plan)?;
        writeln!(out)?;
    } else {
        print_plan(&mut out, &plan, args.dry_run)?;
    }
    if let Some(e) = &plan.audit_error {
        eprintln!(
            "bpe: warning: migrated, but the audit line was not written: {}",
            escape_name(e)
        );
    }
    Ok(code)
}

fn print_plan(out: &mut impl Write, p: &Plan, dry_run: bool) -> std::io::Result<()> {
    for line in migrate::plan_lines(p, dry_run) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
