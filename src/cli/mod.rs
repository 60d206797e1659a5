//! Headless subcommands: one small module each; each calls the core and prints.
//! Every `run` returns the process exit code; `Err` (exit 2) means the command
//! itself could not run.

pub mod cache;
pub mod complete;
pub mod detached;
pub mod diagram;
pub mod export;
pub mod forward;
pub mod import;
pub mod list;
pub mod locks;
pub mod resume;
pub mod run;
pub mod snapshot;
pub mod tasks;
pub mod terminate;
pub mod tui;
pub mod validate;
pub mod workitems;

use std::path::Path;

use anyhow::Context;

use crate::repo::Repository;

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
    if root.is_dir()
        && let Err(e) = crate::engine::housekeeping(root)
    {
        eprintln!("bpe: warning: {e}");
    }
}
