//! Expression evaluation speed.
//!
//! Budget: 1,000,000 evaluations of
//! `(and (gt (add $x 1) 10) (lt (mult $x 2) 100))` (5 calls and 2 variable
//! reads each, against a `MapEnv`) in under 1 s, i.e. under 1 µs per evaluation.
//! Also: parsing plus canonical printing of a typical rule body in under 20 µs.
//!
//! Measured 2026-11-27 while 8 builds shared the 2 cores (load average ~14):
//! million_evaluations median 0.88 s wall (fastest 0.87 s); its CPU time
//! (`/usr/bin/time` on the bench binary) is about 0.26 s per million, i.e. about
//! 260 ns per evaluation on an idle core. parse_and_print_rule_body: median 3.5 µs.
//!
//! After the builtins table (2026-11-30): median 1.38 s wall at load average
//! ~13.8; median 372 ms at load average ~2.5 (the table lookup, the arity
//! check from the table and the "0"-is-false test cost ~100 ns per evaluation).
//!
//! Run briefly: `cargo bench --bench expr -- --sample-count 3`.

use bpe::expr::{MapEnv, Value, eval, parse, print};
use divan::black_box;

fn main() {
    divan::main();
}

const CONDITION: &str = "(and (gt (add $x 1) 10) (lt (mult $x 2) 100))";

/// One sample is the full million evaluations the budget speaks of.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn million_evaluations() -> i64 {
    let expr = parse(CONDITION).expect("valid expression");
    let mut env = MapEnv::new().with_var("x", Value::Int(20));
    let mut truthy = 0;
    for _ in 0..1_000_000 {
        if eval(black_box(&expr), &mut env)
            .expect("evaluates")
            .is_true()
        {
            truthy += 1;
        }
    }
    truthy
}

const RULE_BODY: &str = r#"(block (defvar name="base" (concat (downcase (substr $firstName 0 1)) (downcase $lastName))) (cond (contains $taken $base) (concat $base (add (length $taken) 1)) $base))"#;

#[divan::bench]
fn parse_and_print_rule_body() -> String {
    print(&parse(black_box(RULE_BODY)).expect("valid expression"))
}
