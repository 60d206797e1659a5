use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::list::{format_age, write_table};
use crate::repo::did_you_mean;
use crate::repo::lock::{self, LockError};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// Break this stale lock (lock name as listed).
    #[arg(long = "break", value_name = "LOCK")]
    pub break_lock: Option<String>,
    /// With --break: break the lock even though a holder is alive (its process
    /// stops at its next heartbeat without writing).
    #[arg(long, requires = "break_lock")]
    pub force: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.repo.is_dir(),
        "{} is not a repository directory",
        args.repo.display()
    );
    super::housekeeping(&args.repo);
    let mut out = std::io::stdout().lock();
    if let Some(name) = &args.break_lock {
        let broken = if args.force {
            lock::force_break_lock(&args.repo, name)
        } else {
            lock::break_lock(&args.repo, name)
        };
        let removed = match broken {
            Ok(removed) => removed,
            Err(LockError::NotFound(_)) => {
                let names: Vec<String> = lock::list(&args.repo)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|l| l.name)
                    .collect();
                anyhow::bail!("no lock named {name:?}{}", did_you_mean(name, &names));
            }
            Err(e @ LockError::Live { .. }) => {
                anyhow::bail!("cannot break lock {name}: {e} (add --force to break it anyway)")
            }
            Err(e) => return Err(e).context(format!("cannot break lock {name}")),
        };
        if args.json {
            serde_json::to_writer_pretty(&mut out, &removed)?;
            writeln!(out)?;
        } else {
            writeln!(out, "broke lock {name}")?;
            for h in &removed {
                let h = h.to_string();
                writeln!(out, "  removed {}", crate::model::escape_name(&h))?;
            }
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let locks = lock::list(&args.repo).context("cannot read the locks")?;
    let stale_after = lock::stale_after(&args.repo).as_secs();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &locks)?;
        writeln!(out)?;
    } else {
        let mut rows: Vec<[String; 6]> = Vec::new();
        for l in &locks {
            for h in &l.holders {
                let (holder, mode, purpose) = match &h.holder {
                    Some(x) => (
                        format!("{}@{} pid {}", x.user, x.host, x.pid),
                        format!("{:?}", x.mode).to_lowercase(),
                        x.purpose.clone(),
                    ),
                    None => ("?".to_string(), "?".to_string(), "?".to_string()),
                };
                rows.push([
                    l.name.clone(),
                    mode,
                    holder,
                    purpose,
                    format!(
                        "{} (heartbeat {} ago)",
                        format_age(h.age_seconds),
                        format_age(h.heartbeat_age_seconds)
                    ),
                    match &h.stale {
                        Some(reason) => format!("STALE: {reason}"),
                        // Alive but silent: hung, or too busy to beat. Only --force breaks it.
                        None if h.heartbeat_age_seconds > stale_after => {
                            format!("live (no heartbeat for {} s)", h.heartbeat_age_seconds)
                        }
                        None => "live".to_string(),
                    },
                ]);
            }
        }
        if rows.is_empty() {
            writeln!(out, "no locks")?;
        } else {
            write_table(
                &mut out,
                ["LOCK", "MODE", "HOLDER", "PURPOSE", "AGE", "STATE"],
                &rows,
            )?;
            if locks.iter().any(|l| l.stale) {
                writeln!(out, "break a stale lock with: bpe locks REPO --break LOCK")?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
