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
    f("eq", Comparison, "(eq a b…)", 2, None, NONE, NONE, "1 when every later argument, coerced to the type of a, equals a; else 0.", |ev, c| ev.equality(c, false)),
    f("neq", Comparison, "(neq a b…)", 2, None, NONE, NONE, "Negation of eq.", |ev, c| ev.equality(c, true)),
    f("cmp", Comparison, "(cmp a b)", 2, Some(2), NONE, NONE, "Two integers: -1, 0 or 1; otherwise as strings, like Java's compareTo: the difference of the first differing characters, else of the lengths.", |ev, c| ev.cmp(c, false)),
    f("ncmp", Comparison, "(ncmp a b)", 2, Some(2), NONE, NONE, "As cmp, ignoring case (Java's compareToIgnoreCase).", |ev, c| ev.cmp(c, true)),
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

/// Java's `String.compareTo` (or `compareToIgnoreCase`): over UTF-16 code
/// units, the difference of the first pair that differs, else the difference
/// of the lengths.
fn java_compare(a: &str, b: &str, ignore_case: bool) -> i64 {
    let fold = |u: u16| -> i64 {
        if !ignore_case {
            return u as i64;
        }
        // As Java: upper case, then lower case, one unit at a time.
        char::from_u32(u as u32)
            .map(|c| single(c.to_uppercase()).unwrap_or(c))
            .map(|c| single(c.to_lowercase()).unwrap_or(c))
            .map_or(u as i64, |c| c as i64)
    };
    let (mut x, mut y) = (a.encode_utf16(), b.encode_utf16());
    loop {
        match (x.next(), y.next()) {
            (Some(p), Some(q)) if p != q => {
                let (p, q) = (fold(p), fold(q));
                if p != q {
                    return p - q;
                }
            }
            (Some(_), Some(_)) => {}
            (Some(_), None) => return 1 + x.count() as i64,
            (None, Some(_)) => return -1 - y.count() as i64,
            (None, None) => return 0,
        }
    }
}

/// The only character of a case mapping, if it maps to exactly one.
fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
    let c = it.next()?;
    it.next().is_none().then_some(c)
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
        // The first argument's type decides the test (Waveset's eq); every
        // later argument is compared with it. All are evaluated.
        let a = self.eval(&c.args[0])?;
        let mut all = true;
        for e in &c.args[1..] {
            let b = self.eval(e)?;
            all &= loose_eq(&a, &b);
        }
        Ok(Value::from_bool(all != negate))
    }

    fn cmp(&mut self, c: &Call, ignore_case: bool) -> R {
        let a = self.eval(&c.args[0])?;
        let b = self.eval(&c.args[1])?;
        if let (Value::Int(x), Value::Int(y)) = (&a, &b) {
            return Ok(Value::Int(x.cmp(y) as i64));
        }
        let d = with_text(&a, |x| with_text(&b, |y| java_compare(x, y, ignore_case)));
        Ok(Value::Int(d))
    }

    fn numeric_cmp(&mut self, c: &Call, f: fn(i64, i64) -> bool) -> R {
        let a = self.eval(&c.args[0])?;
        let a = self.int_of(&c.name, 1, &a)?.unwrap_or(0);
        let b = self.eval(&c.args[1])?;
        let b = self.int_of(&c.name, 2, &b)?.unwrap_or(0);
        Ok(Value::from_bool(f(a, b)))
    }
}
