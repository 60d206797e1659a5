//! The evaluator: XPRESS semantics over the AST.
//!
//! Variables come from an [`Env`] (the engine's case scopes, or [`MapEnv`] in
//! tests and the rule tester); `defvar` locals, `defun` functions and rule
//! arguments live in the evaluator's own frames and shadow the Env.
//!
//! Guarantees: no panic on any expression; every call evaluated costs one unit
//! of the budget (runaway loops end with an error); evaluation depth is bounded
//! (runaway recursion ends with an error, never a stack overflow).
//!
//! Layout: this file is the core (values in, frames, budget, dispatch,
//! tracing); `paths` reads and writes variable paths; `builtins` holds the one
//! table of functions — name, arity, attributes, documentation and
//! implementation per entry — with the implementations grouped by family
//! (`builtins/strings.rs`, …). The dispatcher checks arity and required
//! attributes from that table before running any builtin, and validation
//! reads the same table, so neither is written twice.

mod builtins;
mod paths;

pub use builtins::{Category, FunctionInfo, Misuse, function, functions};
pub use paths::MAX_VALUE_DEPTH;

use super::ast::{Call, Expr};
use super::trace::{Observer, Outcome};
use super::value::Value;
use paths::weight;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

/// Longest string `concat` builds.
const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;

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
    /// Waveset `localScope='true'`: the body sees only its arguments (and
    /// their defaults); the caller's variables read as null, and assignments
    /// to names that are not arguments stay local to the rule.
    pub local_scope: bool,
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
    evaluate(env, budget, None, |ev| ev.eval(expr))
}

/// Evaluate a rule as if called with `(rule name=… (argument …)…)`: the given
/// arguments become locals of the body. For the rule tester.
pub fn eval_rule(
    rule: &RuleDef,
    args: &[(String, Value)],
    env: &mut dyn Env,
    budget: u64,
) -> Result<Value, EvalError> {
    evaluate(env, budget, None, |ev| ev.run_rule(rule, args.to_vec()))
}

/// [`eval_with_budget`], reporting every node evaluated to `observer` (the
/// evaluation trace, see [`crate::expr::Trace`]).
pub fn eval_observed(
    expr: &Expr,
    env: &mut dyn Env,
    budget: u64,
    observer: &mut dyn Observer,
) -> Result<Value, EvalError> {
    evaluate(env, budget, Some(observer), |ev| ev.eval(expr))
}

/// [`eval_rule`], reporting every node evaluated to `observer`.
pub fn eval_rule_observed(
    rule: &RuleDef,
    args: &[(String, Value)],
    env: &mut dyn Env,
    budget: u64,
    observer: &mut dyn Observer,
) -> Result<Value, EvalError> {
    evaluate(env, budget, Some(observer), |ev| {
        ev.run_rule(rule, args.to_vec())
    })
}

/// One evaluation: a fresh evaluator over `env`, `run`, then its outcome.
fn evaluate<'e>(
    env: &'e mut dyn Env,
    budget: u64,
    observer: Option<&'e mut dyn Observer>,
    run: impl FnOnce(&mut Evaluator<'e>) -> R,
) -> Result<Value, EvalError> {
    let mut ev = Evaluator::new(env, budget);
    ev.observer = observer;
    let result = run(&mut ev);
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
    /// A `localScope='true'` rule body: sees only its arguments, not the Env.
    SealedRule,
}

struct Frame {
    locals_start: usize,
    funcs_start: usize,
    saved_var_floor: usize,
    saved_func_floor: usize,
    saved_sealed: bool,
}

/// A `defun`: parameters with optional defaults, and body.
struct FunDef {
    params: Vec<(String, Option<Expr>)>,
    body: Vec<Expr>,
}

struct Evaluator<'env> {
    env: &'env mut dyn Env,
    /// Sees each node evaluated; `None` (the engine's case) costs one branch per node.
    observer: Option<&'env mut dyn Observer>,
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
    /// Inside a `localScope` rule: the Env's variables are hidden.
    sealed: bool,
    /// > 0 inside `<block trace="true">`.
    tracing: u32,
    /// Per traced call being evaluated: its children's values, rendered.
    trace_args: Vec<Vec<String>>,
}

impl<'env> Evaluator<'env> {
    fn new(env: &'env mut dyn Env, budget: u64) -> Self {
        Evaluator {
            env,
            observer: None,
            budget,
            remaining: budget,
            depth: 0,
            locals: Vec::new(),
            funcs: Vec::new(),
            frames: Vec::new(),
            var_floor: 0,
            func_floor: 0,
            sealed: false,
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
            saved_sealed: self.sealed,
        });
        match kind {
            FrameKind::Scope => {}
            FrameKind::Function => self.var_floor = self.locals.len(),
            FrameKind::Rule | FrameKind::SealedRule => {
                self.var_floor = self.locals.len();
                self.func_floor = self.funcs.len();
                self.sealed = kind == FrameKind::SealedRule;
            }
        }
    }

    fn pop_frame(&mut self) {
        if let Some(f) = self.frames.pop() {
            self.locals.truncate(f.locals_start);
            self.funcs.truncate(f.funcs_start);
            self.var_floor = f.saved_var_floor;
            self.func_floor = f.saved_func_floor;
            self.sealed = f.saved_sealed;
        }
    }

    /// A variable of the Env, unless a `localScope` rule hides the Env.
    fn env_var(&self, name: &str) -> Option<Value> {
        if self.sealed {
            None
        } else {
            self.env.get_var(name)
        }
    }

    /// Assign a variable of the Env; inside a `localScope` rule the name
    /// becomes a local of the innermost scope instead (the caller never sees it).
    fn env_set(&mut self, name: &str, value: Value) {
        if self.sealed {
            self.declare(name, value);
        } else {
            self.env.set_var(name, value);
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
            None => self.env_var(root).unwrap_or(Value::Null),
        }
    }

    fn root_exists(&self, root: &str) -> bool {
        self.local_index(root).is_some() || self.env_var(root).is_some()
    }

    // ---- evaluation ------------------------------------------------------------

    pub(super) fn eval(&mut self, e: &Expr) -> R {
        if self.observer.is_some() {
            return self.eval_observed(e);
        }
        self.eval_node(e)
    }

    #[inline(never)]
    fn eval_observed(&mut self, e: &Expr) -> R {
        if let Some(o) = self.observer.as_deref_mut() {
            o.enter(e);
        }
        let r = self.eval_node(e);
        if let Some(o) = self.observer.as_deref_mut() {
            o.leave(
                e,
                match &r {
                    Ok(v) => Outcome::Value(v),
                    Err(Flow::Error(err)) => Outcome::Error(err),
                    Err(Flow::Break { value, .. }) => Outcome::Break(value),
                },
            );
        }
        r
    }

    #[inline]
    fn eval_node(&mut self, e: &Expr) -> R {
        let v = match e {
            Expr::Null => Value::Null,
            Expr::Int(i) => Value::Int(*i),
            Expr::Bool(b) => Value::Bool(*b),
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
        // The lookup returns the table entry so that this frame, which is on
        // every level of the recursion, stays small. Arity and required
        // attributes are checked here, from the table, for every builtin.
        match builtins::lookup(&c.name) {
            Some(info) => {
                info.check(c).map_err(|m| fail(&c.name, m))?;
                (info.run)(self, c)
            }
            None => Err(Flow::Error(EvalError::new(format!(
                "unknown function '{}'",
                c.name
            )))),
        }
    }

    // ---- helpers ---------------------------------------------------------------

    /// Check a child element that is not dispatched (`argument`, `defarg`,
    /// `case`) against its table entry.
    fn check_nested(&self, c: &Call) -> Result<(), Flow> {
        match builtins::lookup(&c.name) {
            Some(info) => info.check(c).map_err(|m| fail(&c.name, m)),
            None => Ok(()),
        }
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
}

/// An attribute the table lists as required for `c`, which [`FunctionInfo::check`]
/// has therefore already found.
fn required<'c>(c: &'c Call, key: &str) -> &'c str {
    c.attr(key).unwrap_or_default()
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
        Value::Bool(b) => Some(Some(*b as i64)),
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
        // A Java Boolean against text compares its printed form ("true" /
        // "false"), against a number its 1 / 0 (see `Value::Bool`).
        (Value::Bool(x), Value::Str(s)) | (Value::Str(s), Value::Bool(x)) => {
            *s == x.to_string()
                || matches!(coerce_int(&Value::Str(s.clone())), Some(Some(y)) if y == *x as i64)
        }
        (Value::Bool(x), b) => matches!(coerce_int(b), Some(Some(y)) if *x as i64 == y),
        (Value::Int(x), b) => matches!(coerce_int(b), Some(Some(y)) if *x == y),
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Str(x), Value::Int(y)) => *x == y.to_string(),
        (Value::Str(x), other) => *x == other.to_text(),
        (a, b) => a == b,
    }
}

/// Render a value for traces and messages: JSON, cut to a readable length.
pub(in crate::expr) fn trace_value(v: &Value) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn booleans_equal_their_text_and_their_number() {
        let (t, f) = (Value::Bool(true), Value::Bool(false));
        for (a, b, want) in [
            (&t, Value::Str("true".into()), true),
            (&t, Value::Str("false".into()), false),
            (&f, Value::Str("false".into()), true),
            (&f, Value::Str("true".into()), false),
            (&f, Value::Str("xyz".into()), false),
            (&t, Value::Str("1".into()), true),
            (&t, Value::Int(1), true),
            (&f, Value::Int(0), true),
            (&t, Value::Int(0), false),
            (&t, Value::Bool(true), true),
            (&t, Value::Bool(false), false),
            (&f, Value::Null, false),
        ] {
            assert_eq!(loose_eq(a, &b), want, "{a:?} eq {b:?}");
            assert_eq!(loose_eq(&b, a), want, "{b:?} eq {a:?}");
        }
    }
}
