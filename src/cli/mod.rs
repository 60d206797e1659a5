//! Headless subcommands: one small module each; each calls the core and prints.
//! Every `run` returns the process exit code; `Err` (exit 2) means the command
//! itself could not run.

pub mod cache;
pub mod complete;
pub mod diagram;
pub mod export;
pub mod forward;
pub mod import;
pub mod list;
pub mod locks;
pub mod run;
pub mod snapshot;
pub mod tasks;
pub mod terminate;
pub mod tui;
pub mod validate;
pub mod workitems;
