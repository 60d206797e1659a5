//! Logic: and, or, not, null tests, boolean-like readings, select.

use super::super::{Evaluator, Flow, R, boolish};
use super::{Category::*, FunctionInfo, NONE, f};
use crate::expr::ast::Call;
use crate::expr::value::Value;

#[rustfmt::skip]
pub(super) const LOGIC: &[FunctionInfo] = &[
    f("and", Logic, "(and x…)", 0, None, NONE, NONE, "0 at the first false argument (the rest are not evaluated), else the last value; (and) is 1.", |ev, c| ev.and(c)),
    f("or", Logic, "(or x…)", 0, None, NONE, NONE, "The first true argument (the rest are not evaluated), else 0.", |ev, c| ev.or(c)),
    f("not", Logic, "(not x)", 1, Some(1), NONE, NONE, "1 when x is false (null or 0), else 0.", |ev, c| ev.unary(c, |v| Value::from_bool(!v.is_true()))),
    f("isnull", Logic, "(isnull x)", 1, Some(1), NONE, NONE, "1 when x is null, else 0.", |ev, c| ev.unary(c, |v| Value::from_bool(v.is_null()))),
    f("notnull", Logic, "(notnull x)", 1, Some(1), NONE, NONE, "1 when x is not null, else 0.", |ev, c| ev.unary(c, |v| Value::from_bool(!v.is_null()))),
    f("isTrue", Logic, "(isTrue x)", 1, Some(1), NONE, NONE, "1 when x is a boolean-like true: non-zero integer or numeric string, or the string \"true\" in any case.", |ev, c| ev.unary(c, |v| Value::from_bool(boolish(&v)))),
    f("isFalse", Logic, "(isFalse x)", 1, Some(1), NONE, NONE, "Negation of isTrue: 1 for null, 0, \"0\", \"false\" and any other non-true value.", |ev, c| ev.unary(c, |v| Value::from_bool(!boolish(&v)))),
    f("select", Logic, "(select x…)", 0, None, NONE, NONE, "The first non-null, non-zero argument (the rest are not evaluated), else null.", |ev, c| ev.select(c)),
];

impl Evaluator<'_> {
    fn and(&mut self, c: &Call) -> R {
        let mut last = Value::Int(1);
        for e in &c.args {
            match self.eval(e) {
                Ok(v) if !v.is_true() => return Ok(Value::Int(0)),
                Ok(v) => last = v,
                Err(Flow::Break { label: None, value }) => return Ok(value),
                Err(other) => return Err(other),
            }
        }
        Ok(last)
    }

    fn or(&mut self, c: &Call) -> R {
        for e in &c.args {
            match self.eval(e) {
                Ok(v) if v.is_true() => return Ok(v),
                Ok(_) => {}
                Err(Flow::Break { label: None, value }) => return Ok(value),
                Err(other) => return Err(other),
            }
        }
        Ok(Value::Int(0))
    }

    fn unary(&mut self, c: &Call, f: fn(Value) -> Value) -> R {
        let v = self.eval(&c.args[0])?;
        Ok(f(v))
    }

    fn select(&mut self, c: &Call) -> R {
        for e in &c.args {
            let v = self.eval(e)?;
            // Waveset: "the first non-null (and non-zero) value".
            if v.is_true() {
                return Ok(v);
            }
        }
        Ok(Value::Null)
    }
}
