//! Executes processes: tokens over activities, actions, transitions, splits and
//! joins, subprocess frames, manual actions and work items, limits and history,
//! with a step-wise API for the debugger. Semantics and formats: `docs/engine.md`.
//!
//! - [`Case`] is one case in memory; it does no I/O (services through
//!   [`crate::services::Services`], definitions and rules through [`Catalog`]).
//! - [`store`] is the persistence layer over a repository directory: start, resume,
//!   complete/forward work items, terminate, timeouts, result expiry, locks and pinning.

mod case;
mod catalog;
mod compile;
mod debug;
mod housekeeping;
mod journal;
pub mod limits;
pub mod migrate;
mod repo_catalog;
mod sandbox;
mod session;
mod state;
pub mod store;
mod store_items;
pub mod transient;
mod vars;

pub use case::*;
pub use catalog::*;
pub use compile::{CompileError, Compiled, compile};
pub use debug::*;
pub use limits::{HISTORY_KEEP, MAX_SUBPROCESS_DEPTH, MAX_VALUE_BYTES, check_storable};
pub use sandbox::{CallError, Evaluation, Sandbox};
pub use state::*;
pub use store::{apply_due_timeouts, housekeeping};
pub use vars::Vars;
