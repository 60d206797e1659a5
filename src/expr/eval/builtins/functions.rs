//! Functions: local functions (defun/call), repository rules, host calls, scripts.

use super::super::{
    Evaluator, Flow, FrameKind, FunDef, MAX_EVAL_DEPTH, R, RuleDef, fail, function_result,
    required, weight,
};
use super::{Category::*, FunctionInfo, NAME, NONE, f, misplaced, nested};
use crate::expr::MAX_VALUE_DEPTH;
use crate::expr::ast::{Call, Expr};
use crate::expr::eval::EvalError;
use crate::expr::invoke;
use crate::expr::value::Value;
use std::rc::Rc;

#[rustfmt::skip]
pub(super) const FUNCTIONS: &[FunctionInfo] = &[
    f("defun", Functions, "(defun name=\"f\" (defarg name=\"a\" [default])… body…)", 0, None, NAME, NAME, "Defines a function local to the enclosing expression; returns null.", |ev, c| ev.defun(c)),
    nested(&["defun"], f("defarg", Functions, "(defarg name=\"a\" [default])", 0, Some(1), NAME, NAME, "A parameter of defun, with an optional default value.", misplaced)),
    f("call", Functions, "(call name=\"f\" x… (argument name=\"a\" …)…)", 0, None, NAME, NAME, "Calls a function defined with defun; plain children bind to its defargs in order, (argument …) children by name.", |ev, c| ev.call(c)),
    nested(&["call", "rule"], f("argument", Functions, "(argument name=\"a\" value=\"text\") | (argument name=\"a\" expr)", 0, Some(1), NAME, &["name", "value"], "A named argument of call or rule: a literal value= or one child expression.", misplaced)),
    f("rule", Functions, "(rule name=\"R\" (argument …)…) | (rule name-expr (argument …)…)", 0, None, NONE, NAME, "Runs the repository rule named by name= (or by the first non-argument child), with the arguments as locals.", |ev, c| ev.rule(c)),
    f("invoke", Functions, "(invoke name=\"host.fn\" x…)", 0, None, NAME, NAME, "Calls a host function from the fixed registry (see the invoke table).", |ev, c| ev.invoke(c)),
    f("script", Functions, "(script …)", 0, None, NONE, &["lang", "language"], "Not supported: embedded JavaScript/BeanShell is refused with an error.", |_, _| {
        Err(fail("script", "embedded scripts (JavaScript/BeanShell) are not supported; write the logic as an expression"))
    }),
    // A Waveset `<Date>` object (XML Object Language), kept with its text so that it
    // exports back as it came. bpe has no date value kind: dates are strings
    // ("2002-09-11", RFC 3339 timestamps) handled by the date host functions.
    f("Date", Functions, "(Date \"20020911 09:15:00\")", 0, Some(1), NONE, NONE, "Not supported: a Waveset <Date> object, kept verbatim for export; evaluating it is an error.", |_, c| {
        let text = match c.args.first() {
            Some(Expr::Str(t)) => format!(" <Date>{t}</Date>"),
            _ => String::new(),
        };
        Err(fail("Date", format!("the Waveset Date object{text} is kept for export but bpe has no date value; write the date as a string (\"2002-09-11\" or \"2002-09-11T09:15:00Z\") for the date functions")))
    }),
];

impl Evaluator<'_> {
    fn defun(&mut self, c: &Call) -> R {
        let name = required(c, "name");
        let mut params = Vec::new();
        let mut body = Vec::new();
        for e in &c.args {
            match e {
                Expr::Call(a) if a.name == "defarg" => {
                    if !body.is_empty() {
                        return Err(fail("defun", "defarg must come before the body"));
                    }
                    self.check_nested(a)?;
                    let pname = required(a, "name");
                    params.push((pname.to_string(), a.args.first().cloned()));
                }
                other => body.push(other.clone()),
            }
        }
        self.funcs
            .push((name.to_string(), Rc::new(FunDef { params, body })));
        Ok(Value::Null)
    }

    /// Evaluate `(argument name= value=|expr)` children in the caller's scope.
    fn arguments<'c>(
        &mut self,
        function: &str,
        children: impl Iterator<Item = &'c Expr>,
    ) -> Result<Vec<(String, Value)>, Flow> {
        let mut out = Vec::new();
        for e in children {
            let Expr::Call(a) = e else {
                return Err(fail(function, "children must be (argument name=\"…\" …)"));
            };
            if a.name != "argument" {
                return Err(fail(
                    function,
                    format!("children must be (argument …), found ({} …)", a.name),
                ));
            }
            self.check_nested(a)?;
            let name = required(a, "name");
            let v = match (a.attr("value"), a.args.as_slice()) {
                (Some(lit), []) => Value::Str(lit.to_string()),
                (None, []) => Value::Null,
                (None, [e]) => self.eval(e)?,
                (Some(_), _) => {
                    return Err(fail(
                        "argument",
                        format!("'{name}' has both value= and a child expression"),
                    ));
                }
                (None, _) => {
                    // Not reached: the table allows at most one child.
                    return Err(fail(
                        "argument",
                        format!("'{name}' expects one child expression"),
                    ));
                }
            };
            out.push((name.to_string(), v));
        }
        Ok(out)
    }

    fn call(&mut self, c: &Call) -> R {
        let name = required(c, "name");
        let Some(fun) = self.funcs[self.func_floor..]
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, f)| Rc::clone(f))
        else {
            return Err(fail(
                "call",
                format!("unknown function '{name}' (define it with defun first)"),
            ));
        };
        let mut args = self.bind_arguments(
            "call",
            &format!("function '{name}'"),
            &fun.params,
            c.args.iter(),
        )?;
        for (a, _) in &args {
            if !fun.params.iter().any(|(p, _)| p == a) {
                return Err(fail(
                    "call",
                    format!("function '{name}' has no argument '{a}'"),
                ));
            }
        }
        self.push_frame(FrameKind::Function);
        let r = self.bind_and_run(&fun.params, &mut args, &fun.body, false);
        self.pop_frame();
        function_result(r, "call")
    }

    /// The arguments of a `call` or `rule`: children that are not `(argument …)`
    /// bind to `params` in order (evaluated first, left to right), then the named
    /// `(argument …)` children; more positional children than parameters, or a
    /// name given twice, is an error. `target` names the callee in messages.
    fn bind_arguments<'c>(
        &mut self,
        function: &str,
        target: &str,
        params: &[(String, Option<Expr>)],
        children: impl Iterator<Item = &'c Expr>,
    ) -> Result<Vec<(String, Value)>, Flow> {
        let (named, positional): (Vec<&Expr>, Vec<&Expr>) =
            children.partition(|e| matches!(e, Expr::Call(a) if a.name == "argument"));
        if positional.len() > params.len() {
            return Err(fail(
                function,
                format!(
                    "{target} takes {} argument(s), got {} positional",
                    params.len(),
                    positional.len()
                ),
            ));
        }
        let mut args = Vec::with_capacity(params.len());
        for (e, (p, _)) in positional.into_iter().zip(params) {
            let v = self.eval(e)?;
            args.push((p.clone(), v));
        }
        for (a, v) in self.arguments(function, named.into_iter())? {
            if args.iter().any(|(p, _)| *p == a) {
                return Err(fail(function, format!("argument '{a}' given twice")));
            }
            args.push((a, v));
        }
        Ok(args)
    }

    /// Bind parameters (given value, else default evaluated in the new frame,
    /// else null or — for rules — unbound) and run the body.
    fn bind_and_run(
        &mut self,
        params: &[(String, Option<Expr>)],
        args: &mut Vec<(String, Value)>,
        body: &[Expr],
        unbound_falls_back: bool,
    ) -> R {
        for (p, default) in params {
            if let Some(i) = args.iter().position(|(a, _)| a == p) {
                let (n, v) = args.swap_remove(i);
                self.locals.push((n, v));
            } else if let Some(d) = default {
                let v = self.eval(d)?;
                self.locals.push((p.clone(), v));
            } else if !unbound_falls_back {
                self.locals.push((p.clone(), Value::Null));
            }
        }
        // Arguments a rule does not declare are still visible to its body.
        for (n, v) in args.drain(..) {
            self.declare(&n, v);
        }
        self.eval_body(body)
    }

    fn rule(&mut self, c: &Call) -> R {
        let (name, arg_children): (String, Vec<&Expr>) = match c.attr("name") {
            Some(n) => (n.to_string(), c.args.iter().collect()),
            None => {
                // The first child that is not an (argument …) names the rule; the
                // others are its positional arguments.
                let mut name_expr = None;
                let mut rest = Vec::new();
                for e in &c.args {
                    match e {
                        Expr::Call(a) if a.name == "argument" => rest.push(e),
                        other if name_expr.is_none() => name_expr = Some(other),
                        _ => rest.push(e),
                    }
                }
                let Some(ne) = name_expr else {
                    return Err(fail(
                        "rule",
                        "missing rule name: give name=\"…\" or a child expression",
                    ));
                };
                let v = self.eval(ne)?;
                if v.is_null() {
                    return Err(fail("rule", "the rule name evaluated to null"));
                }
                (v.to_text(), rest)
            }
        };
        let Some(rule) = self.env.rule(&name) else {
            return Err(fail("rule", format!("unknown rule '{name}'")));
        };
        // Positional children bind to the declared arguments in order; locked
        // arguments are not among them (engine::catalog makes them defvars).
        let args = self.bind_arguments(
            "rule",
            &format!("rule '{name}'"),
            &rule.args,
            arg_children.into_iter(),
        )?;
        self.run_rule(&rule, args)
    }

    pub(in crate::expr::eval) fn run_rule(
        &mut self,
        rule: &RuleDef,
        mut args: Vec<(String, Value)>,
    ) -> R {
        if self.depth >= MAX_EVAL_DEPTH {
            return Err(fail(
                "rule",
                format!(
                    "evaluation nested deeper than {MAX_EVAL_DEPTH} calls (runaway recursion?)"
                ),
            ));
        }
        self.push_frame(if rule.local_scope {
            FrameKind::SealedRule
        } else {
            FrameKind::Rule
        });
        let r = self.bind_and_run(
            &rule.args,
            &mut args,
            std::slice::from_ref(&rule.body),
            true,
        );
        self.pop_frame();
        function_result(r, "rule").map_err(|flow| match flow {
            Flow::Error(e) if !e.message.contains(&format!("rule '{}'", rule.name)) => Flow::Error(
                EvalError::new(format!("{} (in rule '{}')", e.message, rule.name)),
            ),
            other => other,
        })
    }

    fn invoke(&mut self, c: &Call) -> R {
        let name = required(c, "name");
        let Some(host) = invoke::host_function(name) else {
            return Err(fail(
                "invoke",
                format!(
                    "no host function '{name}' (available: {})",
                    invoke::host_functions()
                        .iter()
                        .map(|h| h.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let n = c.args.len();
        if n < host.min_args || host.max_args.is_some_and(|m| n > m) {
            return Err(fail(
                "invoke",
                format!("{name} expects {}, got {n} argument(s)", host.signature),
            ));
        }
        let mut args = Vec::with_capacity(n);
        for e in &c.args {
            args.push(self.eval(e)?);
        }
        let v = (host.call)(&args).map_err(|m| fail("invoke", format!("{name}: {m}")))?;
        let units = weight(&v, self.remaining.saturating_add(1)).map_err(|()| {
            fail(
                "invoke",
                format!("{name}: result nested deeper than {MAX_VALUE_DEPTH} levels"),
            )
        })?;
        self.charge("invoke", units)?;
        Ok(v)
    }
}
