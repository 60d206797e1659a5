//! Control: conditionals, switch, blocks, loops and break.

use super::super::{
    Evaluator, Flow, FrameKind, R, attr_true, catch_break, fail, loose_eq, required,
};
use super::{Category::*, FunctionInfo, NAME, NONE, f, misplaced, nested};
use crate::expr::ast::{Call, Expr};
use crate::expr::value::Value;

/// Longest line `print` writes (characters); longer output is cut with `…`.
const PRINT_LINE_CHARS: usize = 1000;

#[rustfmt::skip]
pub(super) const CONTROL: &[FunctionInfo] = &[
    f("cond", Control, "(cond test then [else])", 2, Some(3), NONE, NONE, "then when test is true, else the else branch (null when absent).", |ev, c| ev.cond(c)),
    f("switch", Control, "(switch value (case match body…)… (case default=\"true\" body…))", 1, None, NONE, NONE, "Evaluates the body of the first case whose match equals value (as eq), else the default case, else null.", |ev, c| ev.switch(c)),
    nested(&["switch"], f("case", Control, "(case match body…) | (case default=\"true\" body…)", 0, None, NONE, &["default"], "One branch of a switch; its value is its last body expression.", misplaced)),
    f("block", Control, "(block [name=\"b\"] [trace=\"true\"] x…)", 0, None, NONE, &["name", "trace"], "Evaluates the children in order and returns the last value; trace=\"true\" traces every call inside.", |ev, c| ev.block(c)),
    f("dolist", Control, "(dolist name=\"el\" list body…)", 1, None, NAME, NAME, "Runs the body once per element (bound to name); returns the list of each pass's last value.", |ev, c| ev.dolist(c)),
    f("while", Control, "(while test body…)", 1, None, NONE, &["name"], "Repeats the body while test is true (tested first); returns the last body value, or null.", |ev, c| ev.while_loop(c)),
    f("print", Control, "(print x…)", 0, None, NONE, NONE, "Writes the text of its arguments, joined, as one line to the trace output (Waveset prints to standard output); returns null.", |ev, c| ev.print(c)),
    f("break", Control, "(break [name=\"b\"] [value])", 0, Some(1), NONE, NAME, "Leaves the innermost (or the named) block, dolist, while, and or or, which then returns value.", |ev, c| ev.break_(c)),
];

impl Evaluator<'_> {
    fn cond(&mut self, c: &Call) -> R {
        if self.eval(&c.args[0])?.is_true() {
            self.eval(&c.args[1])
        } else {
            self.eval_arg(c, 2)
        }
    }

    fn switch(&mut self, c: &Call) -> R {
        let value = self.eval(&c.args[0])?;
        let mut default: Option<&Call> = None;
        for (i, child) in c.args[1..].iter().enumerate() {
            let case = match child {
                Expr::Call(case) if case.name == "case" => case,
                _ => {
                    return Err(fail("switch", format!("child {} must be (case …)", i + 2)));
                }
            };
            if case.attr("default").is_some_and(attr_true) {
                default = Some(case);
                continue;
            }
            let Some(match_expr) = case.args.first() else {
                return Err(fail(
                    "case",
                    "a case needs a value to match (or default=\"true\")",
                ));
            };
            let m = self.eval(match_expr)?;
            let hit = match (&m, &value) {
                (Value::List(options), v) if !matches!(v, Value::List(_)) => {
                    options.iter().any(|o| loose_eq(v, o))
                }
                _ => loose_eq(&value, &m),
            };
            if hit {
                return self.scoped_body(&case.args[1..]);
            }
        }
        match default {
            Some(case) => self.scoped_body(&case.args),
            None => Ok(Value::Null),
        }
    }

    /// `(print x…)`: Waveset's `<print>` writes to the server's standard output;
    /// bpe's equivalent is the trace output (the debugger's trace pane, the
    /// task result when `resultTrace` is on). The line is cut at
    /// [`PRINT_LINE_CHARS`] characters so a loop cannot pile up huge lines.
    fn print(&mut self, c: &Call) -> R {
        let mut line = String::new();
        for e in &c.args {
            // Every argument is evaluated (for its effects); text past the limit is dropped.
            let v = self.eval(e)?;
            if line.chars().count() <= PRINT_LINE_CHARS {
                line.push_str(&v.to_text());
            }
        }
        if line.chars().count() > PRINT_LINE_CHARS {
            line = line.chars().take(PRINT_LINE_CHARS).collect();
            line.push('…');
        }
        self.env.trace(line);
        Ok(Value::Null)
    }

    fn block(&mut self, c: &Call) -> R {
        let trace = c.attr("trace").is_some_and(attr_true);
        if trace {
            self.tracing += 1;
        }
        let r = self.scoped_body(&c.args);
        if trace {
            self.tracing -= 1;
        }
        catch_break(r, c.attr("name"))
    }

    fn dolist(&mut self, c: &Call) -> R {
        let var = required(c, "name");
        let items = match self.eval(&c.args[0])? {
            Value::Null => Vec::new(),
            Value::List(l) => l,
            Value::Map(m) => m.into_keys().map(Value::Str).collect(),
            scalar => vec![scalar],
        };
        let body = &c.args[1..];
        let mut results = Vec::with_capacity(items.len());
        for item in items {
            // Each pass costs one unit, so call-free bodies are bounded too.
            self.spend("dolist")?;
            self.push_frame(FrameKind::Scope);
            self.locals.push((var.to_string(), item));
            let r = self.eval_body(body);
            self.pop_frame();
            match r {
                Ok(v) => results.push(v),
                Err(flow) => return catch_break(Err(flow), Some(var)),
            }
        }
        Ok(Value::List(results))
    }

    fn while_loop(&mut self, c: &Call) -> R {
        let mut last = Value::Null;
        loop {
            // Each pass costs one unit, so `(while 1 1)` ends too.
            self.spend("while")?;
            let test = match self.eval(&c.args[0]) {
                Ok(t) => t,
                Err(flow) => return catch_break(Err(flow), c.attr("name")),
            };
            if !test.is_true() {
                return Ok(last);
            }
            match self.scoped_body(&c.args[1..]) {
                Ok(v) => last = v,
                Err(flow) => return catch_break(Err(flow), c.attr("name")),
            }
        }
    }

    fn break_(&mut self, c: &Call) -> R {
        let value = self.eval_arg(c, 0)?;
        Err(Flow::Break {
            label: c.attr("name").map(str::to_string),
            value,
        })
    }
}
