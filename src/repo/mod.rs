//! The repository: a directory of JSON files (layout in DESIGN.md, details in
//! `docs/repository.md`).
//!
//! Loading never fails because of one bad file: every file that cannot be read
//! or parsed becomes a [`LoadError`] with path, line and column, and everything
//! else still loads. Loading never writes a data file; the one file an open may
//! write is the definition index, a cache ([`index`], [`Repository::open_overview`]).
//! Every write is atomic ([`save_atomic`]).
//! Every read and write of repository data stays inside the repository
//! ([`confine`]): nothing resolves outside the root through a symbolic link.

pub mod cache;
pub mod confine;
pub mod group_commit;
pub mod index;
mod leftovers;
mod load;
pub mod lock;
mod save;
mod suggest;
mod unnamed;
pub mod watch;

pub use index::{DefinitionSummary, IndexStats, Overview};
pub use leftovers::*;
pub use load::*;
pub use save::*;
pub use suggest::*;
