//! Variables: computed references, assignment, local declarations.

use super::super::{Evaluator, R, fail, required};
use super::{Category::*, FunctionInfo, NAME, NONE, f};
use crate::expr::ast::{Call, Expr};
use crate::expr::value::Value;

#[rustfmt::skip]
pub(super) const VARIABLES: &[FunctionInfo] = &[
    f("ref", Variables, "(ref name-expr)", 1, Some(1), NONE, NONE, "Reads the variable whose (dotted/indexed) path is the computed string.", |ev, c| ev.computed_ref(c)),
    f("set", Variables, "(set name=\"path\" value)", 0, Some(1), NAME, NAME, "Assigns the value to the variable or path; returns null.", |ev, c| ev.set(c)),
    f("setvar", Variables, "(setvar name=\"v\" value) | (setvar $v value)", 1, Some(2), NONE, NAME, "Assigns the value to the variable named statically by name= or by a first child $v or \"v\"; returns null.", |ev, c| ev.setvar(c)),
    f("defvar", Variables, "(defvar name=\"v\" [value])", 0, Some(1), NAME, NAME, "Declares a variable local to the enclosing expression (block, dolist, while, rule or function body); returns null.", |ev, c| ev.defvar(c)),
];

impl Evaluator<'_> {
    fn computed_ref(&mut self, c: &Call) -> R {
        let name = self.eval(&c.args[0])?;
        if name.is_null() {
            return Err(fail("ref", "the variable name evaluated to null"));
        }
        match name {
            Value::Str(n) => self.read(&n),
            other => self.read(&other.to_text()),
        }
    }

    fn set(&mut self, c: &Call) -> R {
        let name = required(c, "name");
        let v = self.eval_arg(c, 0)?;
        self.write_path("set", name, v)?;
        Ok(Value::Null)
    }

    /// Waveset `setvar` ("accepts a static variable name"): the name is
    /// `name=` or the first child written as `<ref>v</ref>` / a literal string,
    /// never computed.
    fn setvar(&mut self, c: &Call) -> R {
        let (name, value) = match (c.attr("name"), c.args.as_slice()) {
            (Some(n), [v]) => (n.to_string(), v),
            (None, [Expr::Ref(n) | Expr::Str(n), v]) => (n.clone(), v),
            (Some(_), _) => {
                return Err(fail("setvar", "with name= it takes one value expression"));
            }
            (None, [_, _]) => {
                return Err(fail(
                    "setvar",
                    "the variable name must be static: name=\"v\", $v or \"v\"",
                ));
            }
            (None, _) => {
                return Err(fail(
                    "setvar",
                    "expects name=\"v\" and a value, or a static name and a value",
                ));
            }
        };
        let v = self.eval(value)?;
        self.write_path("setvar", &name, v)?;
        Ok(Value::Null)
    }

    fn defvar(&mut self, c: &Call) -> R {
        let name = required(c, "name");
        let v = self.eval_arg(c, 0)?;
        self.declare(name, v);
        Ok(Value::Null)
    }
}
