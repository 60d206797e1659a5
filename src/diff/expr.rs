//! Expressions compared as trees: the smallest sub-expressions that differ.
//!
//! Both texts are parsed with `crate::expr::parse`. Two calls of the same
//! function with the same attributes and the same number of arguments are
//! compared argument by argument, and each differing argument is descended
//! into; anything else that differs (another function, other attributes,
//! another arity, another literal) is one delta at that node. Formatting alone
//! (spaces, line breaks) is no change: equal trees give no delta. A text that
//! does not parse is compared as text: one delta for the whole expression.

use serde::Serialize;

use crate::expr::{Expr, parse, print};

/// One smallest changed sub-expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExprDelta {
    /// Where it is: each step is `function[argument]` (arguments numbered from 1),
    /// e.g. `["cond[1]", "eq[2]"]`; empty = the whole expression.
    pub at: Vec<String>,
    /// The old sub-expression in canonical text (`expr::print`).
    pub old: String,
    pub new: String,
}

/// The deltas between two expression texts; empty when their trees are equal.
pub fn diff_texts(old: &str, new: &str) -> Vec<ExprDelta> {
    match (parse(old), parse(new)) {
        (Ok(a), Ok(b)) => {
            let mut out = Vec::new();
            diff_trees(&a, &b, &mut Vec::new(), &mut out);
            out
        }
        _ if old == new => Vec::new(),
        _ => vec![ExprDelta {
            at: Vec::new(),
            old: old.to_string(),
            new: new.to_string(),
        }],
    }
}

/// Whether two expression texts mean the same tree (or, unparsable, are the same text).
pub fn same(old: &str, new: &str) -> bool {
    diff_texts(old, new).is_empty()
}

fn diff_trees(a: &Expr, b: &Expr, at: &mut Vec<String>, out: &mut Vec<ExprDelta>) {
    if a == b {
        return;
    }
    if let (Expr::Call(ca), Expr::Call(cb)) = (a, b)
        && ca.name == cb.name
        && ca.attrs == cb.attrs
        && ca.args.len() == cb.args.len()
    {
        for (i, (x, y)) in ca.args.iter().zip(&cb.args).enumerate() {
            at.push(format!("{}[{}]", ca.name, i + 1));
            diff_trees(x, y, at, out);
            at.pop();
        }
        return;
    }
    out.push(ExprDelta {
        at: at.clone(),
        old: print(a),
        new: print(b),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_literal_deep_in_a_condition_is_the_only_delta() {
        let d = diff_texts(
            r#"(and (eq $decision "approve") (notnull $x))"#,
            r#"(and (eq $decision "approved") (notnull $x))"#,
        );
        assert_eq!(
            d,
            vec![ExprDelta {
                at: vec!["and[1]".into(), "eq[2]".into()],
                old: "\"approve\"".into(),
                new: "\"approved\"".into(),
            }]
        );
    }

    #[test]
    fn formatting_is_no_change_and_two_arguments_give_two_deltas() {
        assert!(diff_texts("(add  $a\n 1)", "(add $a 1)").is_empty());
        let d = diff_texts("(add $a 1)", "(add $b 2)");
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].at, vec!["add[1]"]);
        assert_eq!(d[1].new, "2");
    }

    #[test]
    fn another_function_or_arity_is_a_delta_at_that_node() {
        let d = diff_texts("(gt $n 0)", "(gte $n 0)");
        assert_eq!(d[0].at, Vec::<String>::new());
        assert_eq!(
            (d[0].old.as_str(), d[0].new.as_str()),
            ("(gt $n 0)", "(gte $n 0)")
        );
        let d = diff_texts("(not (add 1 2))", "(not (add 1 2 3))");
        assert_eq!(d[0].at, vec!["not[1]"]);
        assert_eq!(d[0].new, "(add 1 2 3)");
    }

    #[test]
    fn unparsable_text_is_compared_as_text() {
        assert!(diff_texts("(add", "(add").is_empty());
        let d = diff_texts("(add", "(add 1)");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].old, "(add");
    }
}
