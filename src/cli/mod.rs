//! Headless subcommands: one small module each; each calls the core and prints.
//! Every `run` returns the process exit code; `Err` (exit 2) means the command
//! itself could not run.

pub mod cache;
pub mod detached;
pub mod diagram;
pub mod diff;
pub mod eval;
pub mod export;
pub mod forward;
pub mod import;
pub mod launch;
pub mod list;
pub mod locks;
pub mod migrate;
pub mod proceed;
pub mod report;
pub mod run;
pub mod shell;
pub mod snapshot;
pub mod tasks;
pub mod terminate;
pub mod test_rule;
pub mod tui;
pub mod validate;
pub mod workitems;

use std::path::Path;

use anyhow::Context;

use crate::model::ObjectKind;
use crate::repo::{LoadError, Repository};

/// Open a repository the way every command (and the TUI) does: first apply what
/// is due — time out work items whose `timeoutAt` has passed (resuming their
/// cases) and remove expired finished instances — then load it.
/// Housekeeping problems are warnings on stderr: the command itself still runs.
pub fn open_repository(root: &Path) -> anyhow::Result<Repository> {
    housekeeping(root);
    Repository::open(root).with_context(|| format!("cannot open repository {}", root.display()))
}

/// The TaskDefinition named exactly `name`, or an error that suggests the closest names.
pub fn find_definition<'r>(
    repo: &'r Repository,
    name: &str,
) -> anyhow::Result<&'r crate::repo::Loaded<crate::model::TaskDefinition>> {
    repo.definition(name).ok_or_else(|| {
        if let Some(e) = repo.failed_definition(name) {
            return anyhow::anyhow!(
                "TaskDefinition \"{}\" failed to load: {}",
                crate::model::escape_name(name),
                crate::model::escape_name(&e.to_string())
            );
        }
        let names: Vec<&str> = repo
            .definitions
            .iter()
            .map(|d| d.value.name.as_str())
            .collect();
        anyhow::anyhow!(
            "no TaskDefinition named \"{}\"{}",
            crate::model::escape_name(name),
            crate::repo::did_you_mean(name, &names)
        )
    })
}

/// True when `err` (or any error it wraps) is a write to a closed pipe: the
/// reader of standard output went away. `main` exits quietly then.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let pipe = Some(std::io::ErrorKind::BrokenPipe);
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().map(|io| io.kind()) == pipe
            || e.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                == pipe
    })
}

/// The housekeeping half of [`open_repository`], for front-ends that load the
/// repository themselves (the TUI, `bpe locks`): stale temporary files of
/// killed writes are removed, then what is due is applied. Nothing happens when `root` is
/// not a directory: opening it reports that.
pub fn housekeeping(root: &Path) {
    if root.is_dir() {
        // Leftovers of killed writes (see `repo::remove_stale_temp_files`).
        crate::repo::remove_stale_temp_files(root);
    }
    // Moves a killed `bpe migrate` left half done (see `engine::migrate::recover`).
    if root.is_dir()
        && let Err(e) = crate::engine::migrate::recover(root)
    {
        eprintln!("bpe: warning: {e}");
    }
    if root.is_dir()
        && let Err(e) = crate::engine::housekeeping(root)
    {
        eprintln!("bpe: warning: {e}");
    }
}

/// The files of `kind` that did not load, for a listing that must not leave them
/// out silently: each is reported on stderr (`bpe: cannot load <path>:<line>:<column>: <why>`).
/// A listing with any ends with exit code 1 (see [`listing_exit`]).
pub fn unloadable(repo: &Repository, kind: ObjectKind) -> Vec<&LoadError> {
    let broken: Vec<&LoadError> = repo.load_errors_of(kind).collect();
    for e in &broken {
        eprintln!("bpe: cannot load {e}");
    }
    broken
}

/// The `--json` row of a file that did not load: `key` (`instance`, `id`) is
/// its file stem, `status` is `unloadable`, with `path` and `error` (`line:column: why`).
pub fn unloadable_row(key: &str, e: &LoadError) -> serde_json::Value {
    let stem = e
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    serde_json::json!({
        key: stem,
        "status": "unloadable",
        "path": e.path.to_string_lossy(),
        "error": format!("{}:{}: {}", e.line, e.column, e.message),
    })
}

/// Exit code of a listing: 0, or 1 when some files of the kind did not load.
pub fn listing_exit(broken: &[&LoadError]) -> std::process::ExitCode {
    if broken.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    }
}
