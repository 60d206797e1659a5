//! Arithmetic (integers; null arguments are ignored) and comparison.

use super::super::{Evaluator, R, fail, loose_eq, with_text};
use super::{Category::*, FunctionInfo, NONE, f};
use crate::expr::ast::Call;
use crate::expr::value::Value;

#[rustfmt::skip]
pub(super) const ARITHMETIC: &[FunctionInfo] = &[
    f("add", Arithmetic, "(add n…)", 0, None, NONE, NONE, "Sum of the arguments as integers; null arguments are ignored.", |ev, c| ev.arith(c, Arith::Add)),
    f("sub", Arithmetic, "(sub n…)", 0, None, NONE, NONE, "First argument minus the others, left to right.", |ev, c| ev.arith(c, Arith::Sub)),
    f("mult", Arithmetic, "(mult n…)", 0, None, NONE, NONE, "Product of the arguments, left to right.", |ev, c| ev.arith(c, Arith::Mult)),
    f("div", Arithmetic, "(div n…)", 0, None, NONE, NONE, "Integer division left to right, truncating toward zero; dividing by zero is an error.", |ev, c| ev.arith(c, Arith::Div)),
    f("mod", Arithmetic, "(mod n…)", 0, None, NONE, NONE, "Remainder left to right (sign of the dividend); modulo zero is an error.", |ev, c| ev.arith(c, Arith::Mod)),
];

#[rustfmt::skip]
pub(super) const COMPARISON: &[FunctionInfo] = &[
    f("eq", Comparison, "(eq a b)", 2, Some(2), NONE, NONE, "1 when b, coerced to the type of a, equals a; else 0.", |ev, c| ev.equality(c, false)),
    f("neq", Comparison, "(neq a b)", 2, Some(2), NONE, NONE, "Negation of eq.", |ev, c| ev.equality(c, true)),
    f("cmp", Comparison, "(cmp a b)", 2, Some(2), NONE, NONE, "Compares the arguments as strings: -1, 0 or 1.", |ev, c| ev.cmp(c)),
    f("gt", Comparison, "(gt a b)", 2, Some(2), NONE, NONE, "1 when a > b as integers; else 0.", |ev, c| ev.numeric_cmp(c, |a, b| a > b)),
    f("lt", Comparison, "(lt a b)", 2, Some(2), NONE, NONE, "1 when a < b as integers; else 0.", |ev, c| ev.numeric_cmp(c, |a, b| a < b)),
    f("gte", Comparison, "(gte a b)", 2, Some(2), NONE, NONE, "1 when a >= b as integers; else 0.", |ev, c| ev.numeric_cmp(c, |a, b| a >= b)),
    f("lte", Comparison, "(lte a b)", 2, Some(2), NONE, NONE, "1 when a <= b as integers; else 0.", |ev, c| ev.numeric_cmp(c, |a, b| a <= b)),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Arith {
    Add,
    Sub,
    Mult,
    Div,
    Mod,
}

impl Evaluator<'_> {
    fn arith(&mut self, c: &Call, op: Arith) -> R {
        let mut acc: Option<i64> = None;
        for (i, e) in c.args.iter().enumerate() {
            let v = self.eval(e)?;
            let Some(n) = self.int_of(&c.name, i + 1, &v)? else {
                continue;
            };
            acc = Some(match acc {
                None => n,
                Some(a) => {
                    let r = match op {
                        Arith::Add => a.checked_add(n),
                        Arith::Sub => a.checked_sub(n),
                        Arith::Mult => a.checked_mul(n),
                        Arith::Div | Arith::Mod if n == 0 => {
                            return Err(fail(
                                &c.name,
                                if op == Arith::Div {
                                    "division by zero"
                                } else {
                                    "modulo by zero"
                                },
                            ));
                        }
                        Arith::Div => a.checked_div(n),
                        Arith::Mod => a.checked_rem(n),
                    };
                    r.ok_or_else(|| fail(&c.name, "integer overflow"))?
                }
            });
        }
        Ok(Value::Int(acc.unwrap_or(0)))
    }

    fn equality(&mut self, c: &Call, negate: bool) -> R {
        let a = self.eval(&c.args[0])?;
        let b = self.eval(&c.args[1])?;
        Ok(Value::from_bool(loose_eq(&a, &b) != negate))
    }

    fn cmp(&mut self, c: &Call) -> R {
        let a = self.eval(&c.args[0])?;
        let b = self.eval(&c.args[1])?;
        let ord = with_text(&a, |x| with_text(&b, |y| x.cmp(y)));
        Ok(Value::Int(ord as i64))
    }

    fn numeric_cmp(&mut self, c: &Call, f: fn(i64, i64) -> bool) -> R {
        let a = self.eval(&c.args[0])?;
        let a = self.int_of(&c.name, 1, &a)?.unwrap_or(0);
        let b = self.eval(&c.args[1])?;
        let b = self.int_of(&c.name, 2, &b)?.unwrap_or(0);
        Ok(Value::from_bool(f(a, b)))
    }
}
