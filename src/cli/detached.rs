//! `execMode: async`: `bpe run` starts the case in a detached `bpe` process and
//! returns its instance id as soon as the TaskInstance is written.
//!
//! Protocol between the two processes (both are this binary):
//! - the parent spawns `bpe run-detached REPO NAME [--allow-commands]` in a new
//!   session (`setsid`: no terminal, no signal from the parent's process group),
//!   stdin and stdout piped, stderr appended to [`LOG`] under the repository;
//! - the parent writes the input variables as one JSON object on stdin (never on
//!   the command line, where other users could read a password) and closes it;
//! - the child starts the case ([`store::begin`]: run lock, instance lock, TaskInstance
//!   written with status `running`), prints `started <instance id>` or
//!   `error <message>` as its only stdout line, then drives the case to its end,
//!   holding both locks (refreshed by the lock heartbeat) all along. What it ends
//!   with, and any failure, is appended to the log.
//!
//! Invariant: when the parent prints an instance id, that instance is on disk and
//! a live process holds its lock, so `bpe tasks` lists it `running`, not `interrupted`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, bail};

use super::run::services_for;
use crate::engine::store;
use crate::expr::Value;
use crate::repo::Repository;

/// Where detached runs append their stderr, relative to the repository root.
pub const LOG: &str = ".bpe/async.log";

/// The most input JSON a detached run reads from its parent.
const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// TaskDefinition name (exact).
    pub name: String,
    /// Allow command actions (the repository must enable them too).
    #[arg(long)]
    pub allow_commands: bool,
}

/// What the parent learnt: the instance id and the pid running it.
#[derive(Debug, Clone)]
pub struct Started {
    pub instance: String,
    pub pid: u32,
}

/// The log keeps at most this many bytes before it is rotated to `async.log.1`.
const LOG_MAX_BYTES: u64 = 1 << 20;

/// Open `.bpe/async.log` for appending, inside the repository boundary (a
/// `.bpe/` or log linked outside is refused: `repo::confine`), never through a
/// final link. A log over [`LOG_MAX_BYTES`] is first renamed to `async.log.1`
/// (replacing the previous one), so the two files together stay bounded.
fn open_log(root: &Path) -> anyhow::Result<std::fs::File> {
    use crate::repo::confine;
    let path = confine::resolve_for_write(root, Path::new(LOG))
        .with_context(|| format!("cannot open {}", root.join(LOG).display()))?;
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file() && m.len() > LOG_MAX_BYTES) {
        // Two spawners racing here both rename; the loser's rename fails harmlessly.
        let _ = std::fs::rename(&path, path.with_extension("log.1"));
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    confine::no_follow(&mut options)
        .open(&path)
        .with_context(|| format!("cannot open {}", root.join(LOG).display()))
}

/// Start `name` in a detached process; returns once its TaskInstance is written.
pub fn spawn(
    root: &Path,
    name: &str,
    inputs: &BTreeMap<String, Value>,
    allow_commands: bool,
) -> anyhow::Result<Started> {
    let log = open_log(root)?;
    let exe = std::env::current_exe().context("cannot find the bpe executable")?;
    let mut cmd = Command::new(exe);
    cmd.arg("run-detached").arg(root).arg(name);
    if allow_commands {
        cmd.arg("--allow-commands");
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log));
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().context("cannot start the background run")?;
    let json: serde_json::Map<String, serde_json::Value> = inputs
        .iter()
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect();
    {
        let mut stdin = child
            .stdin
            .take()
            .context("no pipe to the background run")?;
        serde_json::to_writer(&mut stdin, &json).context("cannot pass the inputs")?;
        // Dropping stdin closes it: the child reads to its end.
    }
    let mut line = String::new();
    let stdout = child
        .stdout
        .take()
        .context("no pipe from the background run")?;
    BufReader::new(stdout)
        .read_line(&mut line)
        .context("cannot read from the background run")?;
    let line = line.trim_end();
    if let Some(id) = line.strip_prefix("started ") {
        return Ok(Started {
            instance: id.to_string(),
            pid: child.id(),
        });
    }
    // It failed before the case was written: reap it and say why.
    let _ = child.wait();
    match line.strip_prefix("error ") {
        Some(msg) => bail!("{msg}"),
        None => bail!(
            "the background run ended before starting (see {})",
            root.join(LOG).display()
        ),
    }
}

/// The hidden `bpe run-detached` subcommand: the child side of [`spawn`].
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let begun = read_inputs().and_then(|inputs| {
        let repo = Repository::open(&args.repo)
            .with_context(|| format!("cannot open repository {}", args.repo.display()))?;
        let services = services_for(&repo, false, args.allow_commands);
        let opts = store::RunOptions {
            purpose: "bpe run (async)".to_string(),
            ..Default::default()
        };
        let begun = store::begin(&args.repo, &args.name, &inputs, &opts)
            .with_context(|| format!("cannot run '{}'", args.name))?;
        Ok((begun, services))
    });
    let ((case, mut catalog, guard), mut services) = match begun {
        Ok(x) => x,
        Err(e) => {
            let _ = writeln!(out, "error {}", one_line(&format!("{e:#}")));
            return Ok(ExitCode::from(2));
        }
    };
    let id = case.id().to_string();
    writeln!(out, "started {id}")?;
    out.flush()?;
    drop(out);
    let result = store::drive(
        &args.repo,
        case,
        &mut catalog,
        &mut services,
        guard.as_ref(),
    );
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    match result {
        Ok(r) => {
            eprintln!(
                "{now} {id} {} ({} steps)",
                r.instance.status.as_str(),
                r.instance.steps
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{now} {id} stopped: {}", one_line(&e.to_string()));
            Ok(ExitCode::from(2))
        }
    }
}

fn read_inputs() -> anyhow::Result<BTreeMap<String, Value>> {
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT_BYTES)
        .read_to_string(&mut text)
        .context("cannot read the inputs")?;
    let json: serde_json::Value =
        serde_json::from_str(&text).context("the inputs are not valid JSON")?;
    let Some(obj) = json.as_object() else {
        bail!("the inputs must be a JSON object");
    };
    Ok(obj
        .iter()
        .map(|(k, v)| (k.clone(), Value::from_json(v)))
        .collect())
}

/// Messages travel as one line.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}
