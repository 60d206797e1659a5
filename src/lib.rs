//! bpe: a terminal Business Process Editor for identity workflows.
//!
//! The core (`model expr engine services repo validate layout waveset diff journal report`) knows
//! nothing of the UI; `tui` and `cli` are thin front-ends over it.

pub mod cli;
pub mod diff;
pub mod edit;
pub mod engine;
pub mod expr;
pub mod journal;
pub mod layout;
pub mod model;
pub mod repo;
pub mod report;
pub mod services;
pub mod tui;
pub mod validate;
pub mod waveset;
