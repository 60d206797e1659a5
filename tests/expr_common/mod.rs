//! Shared by the `expr_*` integration tests: value builders and running an
//! expression against an environment.

#![allow(dead_code)]

use bpe::expr::{MapEnv, Value, eval, parse};

pub fn int(i: i64) -> Value {
    Value::Int(i)
}

pub fn s(x: &str) -> Value {
    Value::Str(x.to_string())
}

pub fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

pub fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// Parse (panicking on a syntax error) and evaluate; the error message on failure.
pub fn run_in(src: &str, env: &mut MapEnv) -> Result<Value, String> {
    let e = parse(src).unwrap_or_else(|err| panic!("parse {src}: {err}"));
    eval(&e, env).map_err(|e| e.message)
}
