//! Every expression in sample-repository parses and is already in canonical form
//! (single line, one space between tokens): `print(parse(x)) == x`.

mod sample_common;

use bpe::expr::{Expr, parse, print};
use sample_common::{all_expressions, open_sample};

#[test]
fn every_sample_expression_is_canonical() {
    let repo = open_sample();
    let exprs = all_expressions(&repo);
    // The sample is not a toy: hundreds of expressions across seven workflows and seven rules.
    assert!(exprs.len() > 250, "only {} expressions found", exprs.len());
    let mut failures = Vec::new();
    for e in &exprs {
        match parse(&e.text) {
            Ok(ast) => {
                let printed = print(&ast);
                if printed != e.text {
                    failures.push(format!(
                        "{}: not canonical\n  file:      {}\n  canonical: {}",
                        e.at, e.text, printed
                    ));
                }
            }
            Err(err) => failures.push(format!("{}: {err}\n  {}", e.at, e.text)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Function names used anywhere in the sample are known to the evaluator's table,
/// so the sample exercises real functions and not typos.
#[test]
fn sample_expressions_call_only_known_functions() {
    fn walk(e: &Expr, unknown: &mut Vec<String>) {
        if let Expr::Call(c) = e {
            if bpe::expr::function(&c.name).is_none() {
                unknown.push(c.name.clone());
            }
            for a in &c.args {
                walk(a, unknown);
            }
        }
    }
    let repo = open_sample();
    let mut unknown = Vec::new();
    for e in all_expressions(&repo) {
        if let Ok(ast) = parse(&e.text) {
            let before = unknown.len();
            walk(&ast, &mut unknown);
            if unknown.len() > before {
                unknown.push(format!("  (in {})", e.at));
            }
        }
    }
    assert!(unknown.is_empty(), "unknown functions: {unknown:?}");
}
