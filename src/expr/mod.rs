//! The expression language: XPRESS semantics in a compact text syntax.
//!
//! Text syntax <-> AST (`parse`, `print`, `print_pretty`), the table of known
//! functions, values, and evaluation (`eval`). The syntax and every function
//! are documented in `docs/expressions.md`.

mod ast;
mod eval;
mod invoke;
mod parse;
pub mod path;
mod print;
mod trace;
mod value;

pub use ast::*;
pub use eval::{
    Category, DEFAULT_BUDGET, Env, EvalError, FunctionInfo, MAX_EVAL_DEPTH, MAX_VALUE_DEPTH,
    MapEnv, Misuse, RuleDef, eval, eval_observed, eval_rule, eval_rule_observed, eval_with_budget,
    function, functions, loose_eq,
};
pub use invoke::{HostFunction, host_function, host_functions};
pub use parse::{
    MAX_NESTING, ParseError, is_name, is_path_char, line_column, parse, parse_spanned,
};
pub use path::{MAX_PATH_SEGMENTS, PathError, parse_path};
pub use print::{print, print_pretty, quote_string, reference_text};
pub use trace::*;
pub use value::*;
