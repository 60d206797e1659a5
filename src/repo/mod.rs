//! The repository: a directory of JSON files (layout in DESIGN.md).
//!
//! Loading never fails because of one bad file: every file that cannot be read
//! or parsed becomes a [`LoadError`] with path, line and column, and everything
//! else still loads. Loading never writes.

mod load;

pub use load::*;
