//! The expression language: XPRESS semantics in a compact text syntax.
//!
//! Text syntax <-> AST (`parse`, `print`), values, and evaluation.
//! The syntax is defined in `docs/expressions.md`.

mod ast;
mod value;

pub use ast::*;
pub use value::*;
