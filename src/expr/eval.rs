//! The evaluator: XPRESS semantics over the AST.
//!
//! Variables come from an [`Env`] (the engine's case scopes, or [`MapEnv`] in
//! tests and the rule tester); `defvar` locals, `defun` functions and rule
//! arguments live in the evaluator's own frames and shadow the Env.
//!
//! Guarantees: no panic on any expression; every call evaluated costs one unit
//! of the budget (runaway loops end with an error); evaluation depth is bounded
//! (runaway recursion ends with an error, never a stack overflow).

use super::ast::{Call, Expr};
use super::invoke;
use super::value::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

/// Calls evaluated before [`eval`] gives up.
pub const DEFAULT_BUDGET: u64 = 1_000_000;

/// Deepest nesting of calls being evaluated at once, counting through `call`
/// and `rule` invocations; equal to the parser's nesting limit, so any parsed
/// expression can be evaluated. Bounds native stack use: measured at most
/// ~6 KiB per level in debug builds (a rule calling a rule) and ~1.8 KiB in
/// release, so evaluation fits a 2 MiB thread stack.
pub const MAX_EVAL_DEPTH: usize = super::parse::MAX_NESTING;

/// Longest rendering of one value in a trace line.
const TRACE_VALUE_CHARS: usize = 120;

/// What an expression can see of the world.
pub trait Env {
    /// Value of a variable (root name of a path), searching the case's scopes innermost first.
    fn get_var(&self, name: &str) -> Option<Value>;
    /// Assign a variable by the case's scope rules.
    fn set_var(&mut self, name: &str, value: Value);
    /// A repository rule by name, already parsed.
    fn rule(&self, name: &str) -> Option<Arc<RuleDef>>;
    /// Receives `<block trace='true'>` lines.
    fn trace(&mut self, line: String);
}

/// A repository rule ready to run: declared arguments (with optional default
/// expressions) and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDef {
    pub name: String,
    pub args: Vec<(String, Option<Expr>)>,
    pub body: Expr,
}

/// An evaluation error; the message starts with the name of the function that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
}

impl EvalError {
    pub fn new(message: impl Into<String>) -> Self {
        EvalError {
            message: message.into(),
        }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

/// Evaluate with the [`DEFAULT_BUDGET`].
pub fn eval(expr: &Expr, env: &mut dyn Env) -> Result<Value, EvalError> {
    eval_with_budget(expr, env, DEFAULT_BUDGET)
}

/// Evaluate, allowing at most `budget` calls to be evaluated.
pub fn eval_with_budget(expr: &Expr, env: &mut dyn Env, budget: u64) -> Result<Value, EvalError> {
    let mut ev = Evaluator::new(env, budget);
    let result = ev.eval(expr);
    ev.finish(result)
}

/// Evaluate a rule as if called with `(rule name=… (argument …)…)`: the given
/// arguments become locals of the body. For the rule tester.
pub fn eval_rule(
    rule: &RuleDef,
    args: &[(String, Value)],
    env: &mut dyn Env,
    budget: u64,
) -> Result<Value, EvalError> {
    let mut ev = Evaluator::new(env, budget);
    let result = ev.run_rule(rule, args.to_vec());
    ev.finish(result)
}

/// A simple [`Env`]: variables in a map, rules registered by name, trace lines collected.
#[derive(Debug, Clone, Default)]
pub struct MapEnv {
    pub vars: BTreeMap<String, Value>,
    pub rules: BTreeMap<String, Arc<RuleDef>>,
    pub traces: Vec<String>,
}

impl MapEnv {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builder: with a variable set.
    pub fn with_var(mut self, name: &str, value: Value) -> Self {
        self.vars.insert(name.to_string(), value);
        self
    }

    /// Builder: with a rule registered under its name.
    pub fn with_rule(mut self, rule: RuleDef) -> Self {
        self.add_rule(rule);
        self
    }

    pub fn add_rule(&mut self, rule: RuleDef) {
        self.rules.insert(rule.name.clone(), Arc::new(rule));
    }
}

impl Env for MapEnv {
    fn get_var(&self, name: &str) -> Option<Value> {
        self.vars.get(name).cloned()
    }

    fn set_var(&mut self, name: &str, value: Value) {
        match self.vars.get_mut(name) {
            Some(slot) => *slot = value,
            None => {
                self.vars.insert(name.to_string(), value);
            }
        }
    }

    fn rule(&self, name: &str) -> Option<Arc<RuleDef>> {
        self.rules.get(name).cloned()
    }

    fn trace(&mut self, line: String) {
        self.traces.push(line);
    }
}

/// Non-value outcomes travelling up the evaluation.
enum Flow {
    Error(EvalError),
    Break { label: Option<String>, value: Value },
}

type R = Result<Value, Flow>;

fn fail(function: &str, message: impl fmt::Display) -> Flow {
    Flow::Error(EvalError::new(format!("{function}: {message}")))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    /// block, dolist/while pass, top level: defvar scope.
    Scope,
    /// A `call` body: sees its arguments and the expression's functions.
    Function,
    /// A rule body: sees only its arguments (and the Env).
    Rule,
}

struct Frame {
    locals_start: usize,
    funcs_start: usize,
    saved_var_floor: usize,
    saved_func_floor: usize,
}

/// A `defun`: parameters with optional defaults, and body.
struct FunDef {
    params: Vec<(String, Option<Expr>)>,
    body: Vec<Expr>,
}

struct Evaluator<'env> {
    env: &'env mut dyn Env,
    budget: u64,
    remaining: u64,
    depth: usize,
    locals: Vec<(String, Value)>,
    funcs: Vec<(String, Rc<FunDef>)>,
    frames: Vec<Frame>,
    /// Locals below this index belong to callers and are invisible.
    var_floor: usize,
    /// Functions below this index belong to a rule's caller and are invisible.
    func_floor: usize,
    /// > 0 inside `<block trace="true">`.
    tracing: u32,
    /// Per traced call being evaluated: its children's values, rendered.
    trace_args: Vec<Vec<String>>,
}

impl<'env> Evaluator<'env> {
    fn new(env: &'env mut dyn Env, budget: u64) -> Self {
        Evaluator {
            env,
            budget,
            remaining: budget,
            depth: 0,
            locals: Vec::new(),
            funcs: Vec::new(),
            frames: Vec::new(),
            var_floor: 0,
            func_floor: 0,
            tracing: 0,
            trace_args: Vec::new(),
        }
    }

    fn finish(&mut self, result: R) -> Result<Value, EvalError> {
        match result {
            Ok(v) => Ok(v),
            Err(Flow::Error(e)) => Err(e),
            Err(Flow::Break { label: None, value }) => Ok(value),
            Err(Flow::Break { label: Some(l), .. }) => Err(EvalError::new(format!(
                "break: no enclosing block, while or dolist named '{l}'"
            ))),
        }
    }

    // ---- frames and variables -------------------------------------------------

    fn push_frame(&mut self, kind: FrameKind) {
        self.frames.push(Frame {
            locals_start: self.locals.len(),
            funcs_start: self.funcs.len(),
            saved_var_floor: self.var_floor,
            saved_func_floor: self.func_floor,
        });
        match kind {
            FrameKind::Scope => {}
            FrameKind::Function => self.var_floor = self.locals.len(),
            FrameKind::Rule => {
                self.var_floor = self.locals.len();
                self.func_floor = self.funcs.len();
            }
        }
    }

    fn pop_frame(&mut self) {
        if let Some(f) = self.frames.pop() {
            self.locals.truncate(f.locals_start);
            self.funcs.truncate(f.funcs_start);
            self.var_floor = f.saved_var_floor;
            self.func_floor = f.saved_func_floor;
        }
    }

    fn local_index(&self, name: &str) -> Option<usize> {
        self.locals[self.var_floor..]
            .iter()
            .rposition(|(n, _)| n == name)
            .map(|i| i + self.var_floor)
    }

    /// Declare (or redeclare) a local in the innermost frame.
    fn declare(&mut self, name: &str, value: Value) {
        let start = self.frames.last().map_or(0, |f| f.locals_start);
        if let Some(slot) = self.locals[start..]
            .iter_mut()
            .rev()
            .find(|(n, _)| n == name)
        {
            slot.1 = value;
        } else {
            self.locals.push((name.to_string(), value));
        }
    }

    fn root_value(&self, root: &str) -> Value {
        match self.local_index(root) {
            Some(i) => self.locals[i].1.clone(),
            None => self.env.get_var(root).unwrap_or(Value::Null),
        }
    }

    fn root_exists(&self, root: &str) -> bool {
        self.local_index(root).is_some() || self.env.get_var(root).is_some()
    }

    /// Read a variable path: `name`, `a.b.c`, `list[0].x`.
    /// Read a variable path and charge the budget for the size of the copy,
    /// so values cannot grow exponentially (`(set name="l" (list $l $l))` in a
    /// loop) or nest without bound within one evaluation.
    fn read(&mut self, path: &str) -> R {
        let v = self.read_path(path);
        match &v {
            Value::Null | Value::Int(_) => {}
            other => {
                let units = weight(other, self.remaining.saturating_add(1)).map_err(|()| {
                    fail(
                        "ref",
                        format!(
                            "${path} holds lists or maps nested deeper than {MAX_VALUE_DEPTH} levels"
                        ),
                    )
                })?;
                self.charge("ref", units)?;
            }
        }
        Ok(v)
    }

    fn read_path(&self, path: &str) -> Value {
        if !path.contains(['.', '[']) {
            return self.root_value(path);
        }
        match split_path(path) {
            Some((root, segs)) if self.root_exists(root) => {
                let root_val = match self.local_index(root) {
                    Some(i) => return walk(&self.locals[i].1, &segs).cloned().unwrap_or_default(),
                    None => self.env.get_var(root).unwrap_or_default(),
                };
                walk(&root_val, &segs).cloned().unwrap_or_default()
            }
            // A variable whose name itself contains dots or brackets.
            _ => self.root_value(path),
        }
    }

    /// Assign a variable path: locals first, else the Env.
    fn write_path(&mut self, function: &str, path: &str, value: Value) -> Result<(), Flow> {
        if path.is_empty() {
            return Err(fail(function, "empty variable name"));
        }
        let whole_exists = path.contains(['.', '[']) && self.root_exists(path);
        let (root, segs) = match split_path(path) {
            Some(parts) if !whole_exists => parts,
            _ => (path, Vec::new()),
        };
        if segs.is_empty() {
            match self.local_index(root) {
                Some(i) => self.locals[i].1 = value,
                None => self.env.set_var(root, value),
            }
            return Ok(());
        }
        match self.local_index(root) {
            Some(i) => set_in(function, &mut self.locals[i].1, &segs, value),
            None => {
                let mut v = self.env.get_var(root).unwrap_or_default();
                set_in(function, &mut v, &segs, value)?;
                self.env.set_var(root, v);
                Ok(())
            }
        }
    }

    // ---- evaluation ------------------------------------------------------------

    fn eval(&mut self, e: &Expr) -> R {
        let v = match e {
            Expr::Null => Value::Null,
            Expr::Int(i) => Value::Int(*i),
            Expr::Str(s) => Value::Str(s.clone()),
            Expr::Ref(path) => self.read(path)?,
            Expr::Call(c) => self.eval_call(c)?,
        };
        if self.tracing > 0
            && let Some(args) = self.trace_args.last_mut()
        {
            args.push(trace_value(&v));
        }
        Ok(v)
    }

    /// Spend one unit of the budget on behalf of `function`.
    fn spend(&mut self, function: &str) -> Result<(), Flow> {
        if self.remaining == 0 {
            return Err(Flow::Error(EvalError::new(format!(
                "{function}: evaluation budget of {} calls exhausted (a runaway loop?)",
                self.budget
            ))));
        }
        self.remaining -= 1;
        Ok(())
    }

    /// Spend `units` of the budget at once (for work proportional to data size).
    fn charge(&mut self, function: &str, units: u64) -> Result<(), Flow> {
        if units > self.remaining {
            self.remaining = 0;
            return self.spend(function);
        }
        self.remaining -= units;
        Ok(())
    }

    fn eval_call(&mut self, c: &Call) -> R {
        self.spend(&c.name)?;
        if self.depth >= MAX_EVAL_DEPTH {
            return Err(fail(
                &c.name,
                format!(
                    "evaluation nested deeper than {MAX_EVAL_DEPTH} calls (runaway recursion?)"
                ),
            ));
        }
        self.depth += 1;
        let r = if self.tracing > 0 {
            self.traced(c)
        } else {
            self.dispatch(c)
        };
        self.depth -= 1;
        r
    }

    fn traced(&mut self, c: &Call) -> R {
        self.trace_args.push(Vec::new());
        let r = self.dispatch(c);
        let args = self.trace_args.pop().unwrap_or_default();
        let indent = "  ".repeat(self.trace_args.len());
        let mut line = format!("{indent}({}", c.name);
        for (k, v) in &c.attrs {
            line.push(' ');
            line.push_str(k);
            line.push('=');
            line.push_str(&super::print::quote_string(v));
        }
        for a in &args {
            line.push(' ');
            line.push_str(a);
        }
        line.push_str(") -> ");
        match &r {
            Ok(v) => line.push_str(&trace_value(v)),
            Err(Flow::Error(e)) => {
                line.push_str("error: ");
                line.push_str(&e.message);
            }
            Err(Flow::Break { label, value }) => {
                line.push_str("break");
                if let Some(l) = label {
                    line.push_str(&format!(" {l}"));
                }
                line.push(' ');
                line.push_str(&trace_value(value));
            }
        }
        self.env.trace(line);
        r
    }

    fn dispatch(&mut self, c: &Call) -> R {
        // The lookup returns a function pointer so that this frame, which is on
        // every level of the recursion, stays small.
        match builtin(&c.name) {
            Some(f) => f(self, c),
            None => Err(Flow::Error(EvalError::new(format!(
                "unknown function '{}'",
                c.name
            )))),
        }
    }

    // ---- helpers ---------------------------------------------------------------

    fn arity(&self, c: &Call, min: usize, max: Option<usize>) -> Result<(), Flow> {
        let n = c.args.len();
        if n < min || max.is_some_and(|m| n > m) {
            let expected = match max {
                Some(m) if m == min => format!("{min}"),
                Some(m) => format!("{min} to {m}"),
                None => format!("at least {min}"),
            };
            return Err(fail(
                &c.name,
                format!("expects {expected} argument(s), got {n}"),
            ));
        }
        Ok(())
    }

    fn required_attr<'c>(&self, c: &'c Call, key: &str) -> Result<&'c str, Flow> {
        c.attr(key)
            .ok_or_else(|| fail(&c.name, format!("missing attribute {key}=\"…\"")))
    }

    #[inline]
    fn int_of(&self, function: &str, position: usize, v: &Value) -> Result<Option<i64>, Flow> {
        if let Value::Int(i) = v {
            return Ok(Some(*i));
        }
        coerce_int(v).ok_or_else(|| {
            fail(
                function,
                format!("argument {position} is not an integer: {}", trace_value(v)),
            )
        })
    }

    fn eval_arg(&mut self, c: &Call, i: usize) -> R {
        match c.args.get(i) {
            Some(e) => self.eval(e),
            None => Ok(Value::Null),
        }
    }

    /// Evaluate children in a fresh scope, returning the last value (null when none).
    fn eval_body(&mut self, body: &[Expr]) -> R {
        let mut last = Value::Null;
        for e in body {
            last = self.eval(e)?;
        }
        Ok(last)
    }

    fn scoped_body(&mut self, body: &[Expr]) -> R {
        self.push_frame(FrameKind::Scope);
        let r = self.eval_body(body);
        self.pop_frame();
        r
    }

    // ---- arithmetic and comparison ---------------------------------------------

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
        self.arity(c, 2, Some(2))?;
        let a = self.eval(&c.args[0])?;
        let b = self.eval(&c.args[1])?;
        Ok(Value::from_bool(loose_eq(&a, &b) != negate))
    }

    fn cmp(&mut self, c: &Call) -> R {
        self.arity(c, 2, Some(2))?;
        let a = self.eval(&c.args[0])?;
        let b = self.eval(&c.args[1])?;
        let ord = with_text(&a, |x| with_text(&b, |y| x.cmp(y)));
        Ok(Value::Int(ord as i64))
    }

    fn numeric_cmp(&mut self, c: &Call, f: fn(i64, i64) -> bool) -> R {
        self.arity(c, 2, Some(2))?;
        let a = self.eval(&c.args[0])?;
        let a = self.int_of(&c.name, 1, &a)?.unwrap_or(0);
        let b = self.eval(&c.args[1])?;
        let b = self.int_of(&c.name, 2, &b)?.unwrap_or(0);
        Ok(Value::from_bool(f(a, b)))
    }

    // ---- logic -----------------------------------------------------------------

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
        self.arity(c, 1, Some(1))?;
        let v = self.eval(&c.args[0])?;
        Ok(f(v))
    }

    fn select(&mut self, c: &Call) -> R {
        for e in &c.args {
            let v = self.eval(e)?;
            if !v.is_null() {
                return Ok(v);
            }
        }
        Ok(Value::Null)
    }

    // ---- control ---------------------------------------------------------------

    fn cond(&mut self, c: &Call) -> R {
        self.arity(c, 2, Some(3))?;
        if self.eval(&c.args[0])?.is_true() {
            self.eval(&c.args[1])
        } else {
            self.eval_arg(c, 2)
        }
    }

    fn switch(&mut self, c: &Call) -> R {
        self.arity(c, 1, None)?;
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
        self.arity(c, 1, None)?;
        let var = self.required_attr(c, "name")?;
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
        self.arity(c, 1, None)?;
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
        self.arity(c, 0, Some(1))?;
        let value = self.eval_arg(c, 0)?;
        Err(Flow::Break {
            label: c.attr("name").map(str::to_string),
            value,
        })
    }

    // ---- variables -------------------------------------------------------------

    fn computed_ref(&mut self, c: &Call) -> R {
        self.arity(c, 1, Some(1))?;
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
        self.arity(c, 0, Some(1))?;
        let name = self.required_attr(c, "name")?;
        let v = self.eval_arg(c, 0)?;
        self.write_path("set", name, v)?;
        Ok(Value::Null)
    }

    fn defvar(&mut self, c: &Call) -> R {
        self.arity(c, 0, Some(1))?;
        let name = self.required_attr(c, "name")?;
        let v = self.eval_arg(c, 0)?;
        self.declare(name, v);
        Ok(Value::Null)
    }

    // ---- strings ---------------------------------------------------------------

    fn concat(&mut self, c: &Call) -> R {
        let mut out = String::new();
        for e in &c.args {
            match self.eval(e)? {
                Value::Null => {}
                Value::Str(s) => out.push_str(&s),
                other => out.push_str(&other.to_text()),
            }
            if out.len() > MAX_TEXT_BYTES {
                return Err(fail(
                    "concat",
                    format!("result longer than {} MiB", MAX_TEXT_BYTES >> 20),
                ));
            }
        }
        Ok(Value::Str(out))
    }

    fn string_map(&mut self, c: &Call, f: fn(&str) -> String) -> R {
        self.arity(c, 1, Some(1))?;
        Ok(match self.eval(&c.args[0])? {
            Value::Null => Value::Null,
            v => Value::Str(with_text(&v, f)),
        })
    }

    fn substr(&mut self, c: &Call) -> R {
        self.arity(c, 2, Some(3))?;
        let s = self.eval(&c.args[0])?;
        if s.is_null() {
            return Ok(Value::Null);
        }
        let start = self.eval(&c.args[1])?;
        let start = self.int_of("substr", 2, &start)?.unwrap_or(0).max(0) as usize;
        let len = match c.args.get(2) {
            Some(e) => {
                let v = self.eval(e)?;
                self.int_of("substr", 3, &v)?.map(|n| n.max(0) as usize)
            }
            None => None,
        };
        let out: String = with_text(&s, |s| {
            let it = s.chars().skip(start);
            match len {
                Some(n) => it.take(n).collect(),
                None => it.collect(),
            }
        });
        Ok(Value::Str(out))
    }

    fn index_of(&mut self, c: &Call) -> R {
        self.arity(c, 2, Some(3))?;
        let hay = self.eval(&c.args[0])?;
        let needle = self.eval(&c.args[1])?;
        let from = match c.args.get(2) {
            Some(e) => {
                let v = self.eval(e)?;
                self.int_of("indexOf", 3, &v)?.unwrap_or(0).max(0) as usize
            }
            None => 0,
        };
        let idx = match &hay {
            Value::Null => -1,
            Value::List(items) => items
                .iter()
                .enumerate()
                .skip(from)
                .find(|(_, x)| loose_eq(x, &needle))
                .map_or(-1, |(i, _)| i as i64),
            other => with_text(other, |h| {
                with_text(&needle, |n| {
                    let byte_from = h.char_indices().nth(from).map(|(b, _)| b);
                    match byte_from {
                        Some(b) => h[b..]
                            .find(n)
                            .map_or(-1, |pos| (from + h[b..b + pos].chars().count()) as i64),
                        None if n.is_empty() && from == h.chars().count() => from as i64,
                        None => -1,
                    }
                })
            }),
        };
        Ok(Value::Int(idx))
    }

    fn length(&mut self, c: &Call) -> R {
        self.arity(c, 1, Some(1))?;
        let n = match self.eval(&c.args[0])? {
            Value::Null => 0,
            Value::Str(s) => s.chars().count(),
            Value::List(l) => l.len(),
            Value::Map(m) => m.len(),
            Value::Int(i) => i.to_string().len(),
        };
        Ok(Value::Int(n as i64))
    }

    fn split(&mut self, c: &Call) -> R {
        self.arity(c, 2, Some(2))?;
        let s = self.eval(&c.args[0])?;
        let sep = self.eval(&c.args[1])?;
        if s.is_null() {
            return Ok(Value::List(Vec::new()));
        }
        let pieces = with_text(&s, |s| {
            with_text(&sep, |sep| {
                if sep.is_empty() {
                    s.chars().count()
                } else {
                    s.matches(sep).count() + 1
                }
            })
        });
        self.charge("split", pieces as u64 / 16)?;
        let parts = with_text(&s, |s| {
            with_text(&sep, |sep| {
                if s.is_empty() {
                    Vec::new()
                } else if sep.is_empty() {
                    s.chars().map(|ch| Value::Str(ch.to_string())).collect()
                } else {
                    s.split(sep).map(|p| Value::Str(p.to_string())).collect()
                }
            })
        });
        Ok(Value::List(parts))
    }

    fn pad(&mut self, c: &Call) -> R {
        self.arity(c, 2, Some(3))?;
        let s = self.eval(&c.args[0])?;
        let len = self.eval(&c.args[1])?;
        let len = self.int_of("pad", 2, &len)?.unwrap_or(0).max(0) as usize;
        let fill = match c.args.get(2) {
            Some(e) => {
                let v = self.eval(e)?;
                let Some(ch) = with_text(&v, |t| t.chars().next()) else {
                    return Err(fail("pad", "the padding character is empty"));
                };
                ch
            }
            None => ' ',
        };
        let mut out = s.to_text();
        let have = out.chars().count();
        if len > 1_000_000 {
            return Err(fail("pad", format!("length {len} is too large")));
        }
        self.charge("pad", len.saturating_sub(have) as u64 / 64)?;
        for _ in have..len {
            out.push(fill);
        }
        Ok(Value::Str(out))
    }

    fn contains(&mut self, c: &Call) -> R {
        self.arity(c, 2, Some(2))?;
        let hay = self.eval(&c.args[0])?;
        let needle = self.eval(&c.args[1])?;
        let found = match &hay {
            Value::Null => false,
            Value::List(items) => items.iter().any(|x| loose_eq(x, &needle)),
            Value::Map(m) => with_text(&needle, |k| m.contains_key(k)),
            other => with_text(other, |h| with_text(&needle, |n| h.contains(n))),
        };
        Ok(Value::from_bool(found))
    }

    // ---- lists and maps ----------------------------------------------------------

    fn list(&mut self, c: &Call, keep_nulls: bool) -> R {
        let mut out = Vec::with_capacity(c.args.len());
        for e in &c.args {
            let v = self.eval(e)?;
            if keep_nulls || !v.is_null() {
                out.push(v);
            }
        }
        Ok(Value::List(out))
    }

    fn map(&mut self, c: &Call) -> R {
        if !c.args.len().is_multiple_of(2) {
            return Err(fail(
                "map",
                format!("expects key/value pairs, got {} arguments", c.args.len()),
            ));
        }
        let mut out = BTreeMap::new();
        for pair in c.args.chunks(2) {
            let k = self.eval(&pair[0])?;
            if k.is_null() {
                return Err(fail("map", "a key is null"));
            }
            let v = self.eval(&pair[1])?;
            out.insert(k.to_text(), v);
        }
        Ok(Value::Map(out))
    }

    /// The current value of variable `path` for an in-place update
    /// (`append name=` …): a local is moved out (no copy — the caller writes
    /// it back), anything else is read (and charged) as usual.
    fn take_for_update(&mut self, path: &str) -> R {
        if !path.contains(['.', '['])
            && let Some(i) = self.local_index(path)
        {
            return Ok(std::mem::take(&mut self.locals[i].1));
        }
        self.read(path)
    }

    /// Evaluate all of `exprs` in order.
    fn eval_all(&mut self, exprs: &[Expr]) -> Result<Vec<Value>, Flow> {
        let mut out = Vec::with_capacity(exprs.len());
        for e in exprs {
            out.push(self.eval(e)?);
        }
        Ok(out)
    }

    /// The base value and the other arguments of a list/map update form:
    /// with `name=` the arguments are evaluated first, then the variable is
    /// taken for an in-place update; without, the first argument is the base.
    fn update_operands(
        &mut self,
        c: &Call,
        extra: Option<usize>,
    ) -> Result<(Value, Vec<Value>), Flow> {
        match c.attr("name") {
            Some(name) => {
                if let Some(n) = extra {
                    self.arity(c, n, Some(n))?;
                }
                let rest = self.eval_all(&c.args)?;
                Ok((self.take_for_update(name)?, rest))
            }
            None => {
                match extra {
                    Some(n) => self.arity(c, n + 1, Some(n + 1))?,
                    None => self.arity(c, 1, None)?,
                }
                let base = self.eval(&c.args[0])?;
                Ok((base, self.eval_all(&c.args[1..])?))
            }
        }
    }

    /// Return the updated value, or store it into the `name=` variable and return null.
    fn update_result(&mut self, c: &Call, v: Value) -> R {
        match c.attr("name") {
            Some(name) => {
                self.write_path(&c.name, name, v)?;
                Ok(Value::Null)
            }
            None => Ok(v),
        }
    }

    /// `(append list x…)` / `(appendAll list other…)`, or with `name=` in place.
    fn append(&mut self, c: &Call, all: bool) -> R {
        let (base, rest) = self.update_operands(c, None)?;
        let mut items = match base {
            Value::Null => Vec::new(),
            Value::List(l) => l,
            scalar => vec![scalar],
        };
        for v in rest {
            match v {
                Value::Null => {}
                Value::List(l) if all => items.extend(l),
                v => items.push(v),
            }
        }
        self.update_result(c, Value::List(items))
    }

    fn filter_list(&mut self, c: &Call, dups: bool) -> R {
        self.arity(c, 1, Some(1))?;
        match self.eval(&c.args[0])? {
            Value::Null => Ok(Value::Null),
            Value::List(l) => {
                let mut out: Vec<Value> = Vec::with_capacity(l.len());
                for v in l {
                    if dups {
                        // Quadratic: charge one unit per 64 comparisons.
                        self.charge(&c.name, out.len() as u64 / 64)?;
                    }
                    let keep = if dups {
                        !out.contains(&v)
                    } else {
                        !v.is_null()
                    };
                    if keep {
                        out.push(v);
                    }
                }
                Ok(Value::List(out))
            }
            other => Err(fail(
                &c.name,
                format!("expects a list, got {}", trace_value(&other)),
            )),
        }
    }

    fn get(&mut self, c: &Call) -> R {
        self.arity(c, 2, Some(2))?;
        let container = self.eval(&c.args[0])?;
        let key = self.eval(&c.args[1])?;
        Ok(match container {
            Value::List(mut l) => match coerce_int(&key).flatten() {
                Some(i) if i >= 0 && (i as usize) < l.len() => l.swap_remove(i as usize),
                _ => Value::Null,
            },
            Value::Map(mut m) => with_text(&key, |k| m.remove(k)).unwrap_or_default(),
            _ => Value::Null,
        })
    }

    fn setlist(&mut self, c: &Call) -> R {
        let (base, rest) = self.update_operands(c, Some(2))?;
        let mut items = match base {
            Value::Null => Vec::new(),
            Value::List(l) => l,
            other => {
                return Err(fail(
                    "setlist",
                    format!("expects a list, got {}", trace_value(&other)),
                ));
            }
        };
        let [idx, v]: [Value; 2] = rest
            .try_into()
            .map_err(|_| fail("setlist", "expects an index and a value"))?;
        let idx = match self.int_of("setlist", 2, &idx)? {
            Some(i) if (0..=MAX_SET_INDEX as i64).contains(&i) => i as usize,
            _ => return Err(fail("setlist", format!("bad index {}", trace_value(&idx)))),
        };
        self.charge("setlist", (idx.saturating_sub(items.len()) / 16) as u64)?;
        if items.len() <= idx {
            items.resize(idx + 1, Value::Null);
        }
        items[idx] = v;
        self.update_result(c, Value::List(items))
    }

    fn putmap(&mut self, c: &Call) -> R {
        let (base, rest) = self.update_operands(c, Some(2))?;
        let mut map = match base {
            Value::Null => BTreeMap::new(),
            Value::Map(m) => m,
            other => {
                return Err(fail(
                    "putmap",
                    format!("expects a map, got {}", trace_value(&other)),
                ));
            }
        };
        let [k, v]: [Value; 2] = rest
            .try_into()
            .map_err(|_| fail("putmap", "expects a key and a value"))?;
        if k.is_null() {
            return Err(fail("putmap", "the key is null"));
        }
        map.insert(k.to_text(), v);
        self.update_result(c, Value::Map(map))
    }

    // ---- functions, rules, host calls --------------------------------------------

    fn defun(&mut self, c: &Call) -> R {
        let name = self.required_attr(c, "name")?;
        let mut params = Vec::new();
        let mut body = Vec::new();
        for e in &c.args {
            match e {
                Expr::Call(a) if a.name == "defarg" => {
                    if !body.is_empty() {
                        return Err(fail("defun", "defarg must come before the body"));
                    }
                    let pname = self.required_attr(a, "name")?;
                    if a.args.len() > 1 {
                        return Err(fail("defarg", "expects at most one default value"));
                    }
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
            let name = self.required_attr(a, "name")?;
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
        let name = self.required_attr(c, "name")?;
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
        let mut args = self.arguments("call", c.args.iter())?;
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
                let mut name_expr = None;
                let mut rest = Vec::new();
                for e in &c.args {
                    match e {
                        Expr::Call(a) if a.name == "argument" => rest.push(e),
                        other if name_expr.is_none() => name_expr = Some(other),
                        _ => {
                            return Err(fail(
                                "rule",
                                "only one name expression is allowed; other children must be (argument …)",
                            ));
                        }
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
        let args = self.arguments("rule", arg_children.into_iter())?;
        self.run_rule(&rule, args)
    }

    fn run_rule(&mut self, rule: &RuleDef, mut args: Vec<(String, Value)>) -> R {
        if self.depth >= MAX_EVAL_DEPTH {
            return Err(fail(
                "rule",
                format!(
                    "evaluation nested deeper than {MAX_EVAL_DEPTH} calls (runaway recursion?)"
                ),
            ));
        }
        self.push_frame(FrameKind::Rule);
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
        let name = self.required_attr(c, "name")?;
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

/// A built-in function's implementation.
type Builtin = for<'a, 'b> fn(&'a mut Evaluator<'b>, &Call) -> R;

/// The implementation of the function `name`, if it is known.
fn builtin(name: &str) -> Option<Builtin> {
    // Matching on the length first keeps the lookup to a few comparisons.
    let f: Builtin = match name.len() {
        2 => match name {
            "eq" => |ev, c| ev.equality(c, false),
            "gt" => |ev, c| ev.numeric_cmp(c, |a, b| a > b),
            "lt" => |ev, c| ev.numeric_cmp(c, |a, b| a < b),
            "or" => |ev, c| ev.or(c),
            _ => return None,
        },
        3 => match name {
            "add" => |ev, c| ev.arith(c, Arith::Add),
            "sub" => |ev, c| ev.arith(c, Arith::Sub),
            "div" => |ev, c| ev.arith(c, Arith::Div),
            "mod" => |ev, c| ev.arith(c, Arith::Mod),
            "neq" => |ev, c| ev.equality(c, true),
            "cmp" => |ev, c| ev.cmp(c),
            "gte" => |ev, c| ev.numeric_cmp(c, |a, b| a >= b),
            "lte" => |ev, c| ev.numeric_cmp(c, |a, b| a <= b),
            "and" => |ev, c| ev.and(c),
            "not" => |ev, c| ev.unary(c, |v| Value::from_bool(!v.is_true())),
            "ref" => |ev, c| ev.computed_ref(c),
            "set" => |ev, c| ev.set(c),
            "pad" => |ev, c| ev.pad(c),
            "map" => |ev, c| ev.map(c),
            "get" => |ev, c| ev.get(c),
            _ => return None,
        },
        4 => match name {
            "mult" => |ev, c| ev.arith(c, Arith::Mult),
            "cond" => |ev, c| ev.cond(c),
            "trim" => |ev, c| ev.string_map(c, |s| s.trim().to_string()),
            "list" => |ev, c| ev.list(c, false),
            "call" => |ev, c| ev.call(c),
            "rule" => |ev, c| ev.rule(c),
            "case" => |_, _| Err(fail("case", "only valid as a child of (switch …)")),
            _ => return None,
        },
        5 => match name {
            "block" => |ev, c| ev.block(c),
            "while" => |ev, c| ev.while_loop(c),
            "break" => |ev, c| ev.break_(c),
            "ltrim" => |ev, c| ev.string_map(c, |s| s.trim_start().to_string()),
            "rtrim" => |ev, c| ev.string_map(c, |s| s.trim_end().to_string()),
            "split" => |ev, c| ev.split(c),
            "array" => |ev, c| ev.list(c, true),
            "defun" => |ev, c| ev.defun(c),
            _ => return None,
        },
        6 => match name {
            "isnull" => |ev, c| ev.unary(c, |v| Value::from_bool(v.is_null())),
            "isTrue" => |ev, c| ev.unary(c, |v| Value::from_bool(boolish(&v))),
            "select" => |ev, c| ev.select(c),
            "switch" => |ev, c| ev.switch(c),
            "dolist" => |ev, c| ev.dolist(c),
            "defvar" => |ev, c| ev.defvar(c),
            "concat" => |ev, c| ev.concat(c),
            "upcase" => |ev, c| ev.string_map(c, |s| s.to_uppercase()),
            "substr" => |ev, c| ev.substr(c),
            "length" => |ev, c| ev.length(c),
            "append" => |ev, c| ev.append(c, false),
            "putmap" => |ev, c| ev.putmap(c),
            "invoke" => |ev, c| ev.invoke(c),
            "script" => |_, _| {
                Err(fail(
                    "script",
                    "embedded scripts (JavaScript/BeanShell) are not supported; write the logic as an expression",
                ))
            },
            "defarg" => |_, _| Err(fail("defarg", "only valid as a child of (defun …)")),
            _ => return None,
        },
        7 => match name {
            "notnull" => |ev, c| ev.unary(c, |v| Value::from_bool(!v.is_null())),
            "isFalse" => |ev, c| ev.unary(c, |v| Value::from_bool(!boolish(&v))),
            "indexOf" => |ev, c| ev.index_of(c),
            "setlist" => |ev, c| ev.setlist(c),
            _ => return None,
        },
        8 => match name {
            "downcase" => |ev, c| ev.string_map(c, |s| s.to_lowercase()),
            "contains" => |ev, c| ev.contains(c),
            "argument" => |_, _| {
                Err(fail(
                    "argument",
                    "only valid as a child of (call …) or (rule …)",
                ))
            },
            _ => return None,
        },
        9 => match name {
            "appendAll" => |ev, c| ev.append(c, true),
            "filterdup" => |ev, c| ev.filter_list(c, true),
            _ => return None,
        },
        10 => match name {
            "filternull" => |ev, c| ev.filter_list(c, false),
            _ => return None,
        },
        _ => return None,
    };
    Some(f)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Arith {
    Add,
    Sub,
    Mult,
    Div,
    Mod,
}

/// A break leaving a function or rule body ends it with the break's value;
/// a named break cannot cross that boundary.
fn function_result(r: R, function: &str) -> R {
    match r {
        Err(Flow::Break { label: None, value }) => Ok(value),
        Err(Flow::Break { label: Some(l), .. }) => Err(fail(
            function,
            format!("break name=\"{l}\" has no enclosing block, while or dolist with that name"),
        )),
        other => other,
    }
}

/// Catch an unnamed break, or a named one whose label is `name`.
fn catch_break(r: R, name: Option<&str>) -> R {
    match r {
        Err(Flow::Break { label: None, value }) => Ok(value),
        Err(Flow::Break {
            label: Some(l),
            value,
        }) if name == Some(l.as_str()) => Ok(value),
        other => other,
    }
}

fn attr_true(v: &str) -> bool {
    v.eq_ignore_ascii_case("true") || v == "1"
}

/// Run `f` on the text of a value without allocating for strings.
fn with_text<T>(v: &Value, f: impl FnOnce(&str) -> T) -> T {
    match v {
        Value::Str(s) => f(s),
        other => f(&other.to_text()),
    }
}

/// Integer coercion: `Some(None)` for null and blank strings (ignored by
/// arithmetic, 0 in comparisons), `None` when not a number.
fn coerce_int(v: &Value) -> Option<Option<i64>> {
    match v {
        Value::Null => Some(None),
        Value::Int(i) => Some(Some(*i)),
        Value::Str(s) => {
            let t = s.trim();
            if t.is_empty() {
                Some(None)
            } else {
                t.parse::<i64>().ok().map(Some)
            }
        }
        Value::List(_) | Value::Map(_) => None,
    }
}

/// Boolean-like reading for isTrue / isFalse.
fn boolish(v: &Value) -> bool {
    match v {
        Value::Int(n) => *n != 0,
        Value::Str(s) => {
            let t = s.trim();
            t.eq_ignore_ascii_case("true") || t.parse::<i64>().is_ok_and(|n| n != 0)
        }
        _ => false,
    }
}

/// XPRESS `eq`: `b` coerced to the type of `a`. Null equals only null.
pub fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, b) => b.is_null(),
        (_, Value::Null) => false,
        (Value::Int(x), b) => matches!(coerce_int(b), Some(Some(y)) if *x == y),
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Str(x), Value::Int(y)) => *x == y.to_string(),
        (Value::Str(x), other) => *x == other.to_text(),
        (a, b) => a == b,
    }
}

/// Render a value for traces and messages: JSON, cut to a readable length.
fn trace_value(v: &Value) -> String {
    // Cut long strings before rendering so a huge value costs little.
    let s = match v {
        Value::Str(text) if text.len() > TRACE_VALUE_CHARS * 4 => {
            let head: String = text.chars().take(TRACE_VALUE_CHARS).collect();
            Value::Str(head).to_string()
        }
        other => other.to_string(),
    };
    if s.chars().count() > TRACE_VALUE_CHARS {
        let cut: String = s.chars().take(TRACE_VALUE_CHARS).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// One step of a variable path.
#[derive(Debug, PartialEq, Eq)]
enum Seg<'p> {
    Key(&'p str),
    Index(usize),
}

/// `root.key[0].other` -> (root, [Key, Index, Key]); None when malformed.
fn split_path(path: &str) -> Option<(&str, Vec<Seg<'_>>)> {
    let root_end = path.find(['.', '[']).unwrap_or(path.len());
    let root = &path[..root_end];
    if root.is_empty() {
        return None;
    }
    let mut segs = Vec::new();
    let mut rest = &path[root_end..];
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if end == 0 {
                return None;
            }
            segs.push(Seg::Key(&after[..end]));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inner = &after[..end];
            if inner.is_empty() {
                return None;
            }
            segs.push(match inner.parse::<usize>() {
                Ok(i) => Seg::Index(i),
                Err(_) => Seg::Key(inner),
            });
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some((root, segs))
}

fn walk<'v>(mut v: &'v Value, segs: &[Seg<'_>]) -> Option<&'v Value> {
    for seg in segs {
        v = match (v, seg) {
            (Value::Map(m), Seg::Key(k)) => m.get(*k)?,
            (Value::Map(m), Seg::Index(i)) => m.get(&i.to_string())?,
            (Value::List(l), Seg::Index(i)) => l.get(*i)?,
            (Value::List(l), Seg::Key(k)) => l.get(k.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Deepest nesting of lists and maps a variable may hold when read: below
/// serde_json's recursion limit (128), so every value the engine persists can
/// be loaded again, and far from any stack limit when values are dropped or
/// compared.
pub const MAX_VALUE_DEPTH: usize = 100;

/// Budget units a copy of `v` costs: one per 16 list elements or map entries
/// and one per KiB of text. Walks iteratively and stops once `cap` is reached.
/// `Err(())` when the value nests deeper than [`MAX_VALUE_DEPTH`].
fn weight(v: &Value, cap: u64) -> Result<u64, ()> {
    let (mut elements, mut bytes) = (0u64, 0u64);
    let mut stack = vec![(v, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        match v {
            Value::Null | Value::Int(_) => {}
            Value::Str(s) => bytes += s.len() as u64,
            Value::List(l) => {
                if depth >= MAX_VALUE_DEPTH {
                    return Err(());
                }
                elements += l.len() as u64;
                stack.extend(l.iter().map(|x| (x, depth + 1)));
            }
            Value::Map(m) => {
                if depth >= MAX_VALUE_DEPTH {
                    return Err(());
                }
                elements += m.len() as u64;
                for (k, x) in m {
                    bytes += k.len() as u64;
                    stack.push((x, depth + 1));
                }
            }
        }
        if elements / 16 + bytes / 1024 >= cap {
            break;
        }
    }
    Ok(elements / 16 + bytes / 1024)
}

/// Longest string `concat` builds.
const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;

/// Largest list index `set` will create (extending with nulls).
const MAX_SET_INDEX: usize = 1_000_000;

fn set_in(function: &str, target: &mut Value, segs: &[Seg<'_>], value: Value) -> Result<(), Flow> {
    let Some((seg, rest)) = segs.split_first() else {
        *target = value;
        return Ok(());
    };
    if target.is_null() {
        *target = match seg {
            Seg::Key(_) => Value::Map(BTreeMap::new()),
            Seg::Index(_) => Value::List(Vec::new()),
        };
    }
    let slot = match (target, seg) {
        (Value::Map(m), Seg::Key(k)) => m.entry((*k).to_string()).or_default(),
        (Value::Map(m), Seg::Index(i)) => m.entry(i.to_string()).or_default(),
        (Value::List(l), Seg::Index(i)) => {
            if *i > MAX_SET_INDEX {
                return Err(fail(function, format!("list index {i} is too large")));
            }
            if l.len() <= *i {
                l.resize(i + 1, Value::Null);
            }
            &mut l[*i]
        }
        (other, seg) => {
            let what = match seg {
                Seg::Key(k) => format!("key '{k}'"),
                Seg::Index(i) => format!("index {i}"),
            };
            return Err(fail(
                function,
                format!("cannot set {what} inside {}", trace_value(other)),
            ));
        }
    };
    set_in(function, slot, rest, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split() {
        assert_eq!(
            split_path("a.b[2].c"),
            Some(("a", vec![Seg::Key("b"), Seg::Index(2), Seg::Key("c")]))
        );
        assert_eq!(split_path("a[x]"), Some(("a", vec![Seg::Key("x")])));
        assert_eq!(split_path("a"), Some(("a", vec![])));
        assert_eq!(split_path(".a"), None);
        assert_eq!(split_path("a..b"), None);
        assert_eq!(split_path("a[1"), None);
        assert_eq!(split_path("a[]"), None);
        assert_eq!(split_path("a[1]x"), None);
    }

    #[test]
    fn loose_equality() {
        assert!(loose_eq(&Value::Int(42), &Value::Str("42".into())));
        assert!(loose_eq(&Value::Int(42), &Value::Str(" 42 ".into())));
        assert!(!loose_eq(&Value::Int(42), &Value::Str("x".into())));
        assert!(loose_eq(&Value::Str("42".into()), &Value::Int(42)));
        assert!(!loose_eq(&Value::Str("042x".into()), &Value::Int(42)));
        assert!(loose_eq(&Value::Null, &Value::Null));
        assert!(!loose_eq(&Value::Null, &Value::Int(0)));
        assert!(!loose_eq(&Value::Int(0), &Value::Null));
        assert!(!loose_eq(&Value::Str(String::new()), &Value::Null));
    }
}
