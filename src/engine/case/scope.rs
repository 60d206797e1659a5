//! Scopes and variables: the evaluator's view of a case ([`CaseEnv`]: action scope,
//! activity scope, the frame's process variables, externals in the caller), variable
//! initialisation, and the debugger's variable accessors.
//!
//! Invariant: every value that enters a scope passes [`check_storable`] (an assignment
//! that does not is refused and recorded in `Case::refused` for the action to fail).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Case, Scope};
use crate::engine::Vars;
use crate::engine::catalog::Catalog;
use crate::engine::compile::{CVar, Compiled};
use crate::engine::limits::check_storable;
use crate::engine::state::{CallSite, Frame, Phase, Token};
use crate::expr::{self, Env, Expr, RuleDef, Value};

impl Case {
    // ---------------------------------------------------------------- variables

    /// Variables of frame `frame` in a scope.
    pub fn variables(&self, frame: usize, scope: Scope) -> Option<&Vars> {
        let f = self.state.frames.get(frame)?;
        match scope {
            Scope::Case => Some(&f.vars),
            Scope::Activity(tok) => f.tokens.iter().find(|t| t.id == tok).map(|t| &t.vars),
            Scope::Action(tok) => f
                .tokens
                .iter()
                .find(|t| t.id == tok)
                .map(|t| &t.action_vars),
        }
    }

    /// Set (or create) a variable in exactly that scope. False when the frame or token does not exist.
    pub fn set_variable(&mut self, frame: usize, scope: Scope, name: &str, value: Value) -> bool {
        let Some(f) = self.state.frames.get_mut(frame) else {
            return false;
        };
        let map = match scope {
            Scope::Case => Some(&mut f.vars),
            Scope::Activity(tok) => f
                .tokens
                .iter_mut()
                .find(|t| t.id == tok)
                .map(|t| &mut t.vars),
            Scope::Action(tok) => f
                .tokens
                .iter_mut()
                .find(|t| t.id == tok)
                .map(|t| &mut t.action_vars),
        };
        match map {
            Some(m) => {
                m.set(name, value);
                true
            }
            None => false,
        }
    }

    /// Every variable visible to a token (or at case level when `token` is None),
    /// inner scopes shadowing outer ones.
    pub fn visible_variables(&self, frame: usize, token: Option<u64>) -> BTreeMap<String, Value> {
        let tok = token.and_then(|id| {
            self.state
                .frames
                .get(frame)?
                .tokens
                .iter()
                .position(|t| t.id == id)
        });
        visible(&self.state.frames, frame, tok)
    }

    /// Evaluate an expression in a token's scope (watch expressions, breakpoint
    /// conditions). Assignments it makes are applied.
    pub fn evaluate(
        &mut self,
        frame: usize,
        token: Option<u64>,
        expr: &Expr,
        catalog: &dyn Catalog,
    ) -> Result<Value, String> {
        if frame >= self.state.frames.len() {
            return Err(format!("no frame {frame}"));
        }
        let tok = token.and_then(|id| {
            self.state.frames[frame]
                .tokens
                .iter()
                .position(|t| t.id == id)
        });
        let mut env = CaseEnv {
            frames: &mut self.state.frames,
            frame,
            token: tok,
            catalog,
            trace: &mut self.trace,
            refused: &mut self.refused,
        };
        let v = expr::eval(expr, &mut env).map_err(|e| e.to_string());
        // A watch's trace lines are not part of the case's run.
        self.trace.clear();
        let v = v?;
        self.admit(&v)?;
        Ok(v)
    }

    // ---------------------------------------------------------------- frames

    pub(super) fn push_frame(
        &mut self,
        compiled: Arc<Compiled>,
        inputs: &BTreeMap<String, Value>,
        call: Option<CallSite>,
        catalog: &dyn Catalog,
    ) -> Result<(), String> {
        let is_sub = call.is_some();
        let token = Token {
            id: self.state.next_token,
            activity: compiled.start,
            activity_name: compiled.activities[compiled.start].name.clone(),
            phase: Phase::Arrived,
            vars: Vars::new(),
            action_vars: Vars::new(),
        };
        self.state.next_token += 1;
        let mut vars = Vars::new();
        vars.set("WF_CASE_OWNER", Value::Str(self.instance.owner.clone()));
        vars.set("WF_CASE_RESULT", Value::Null);
        for w in [
            "WF_ACTION_ERROR",
            "WF_ACTION_RESULT",
            "WF_ACTION_SUPPRESSED",
            "WF_ACTION_TIMEOUT",
        ] {
            vars.set(w, Value::Null);
        }
        let externals: Vec<String> = if is_sub {
            compiled
                .vars
                .iter()
                .filter(|v| v.external)
                .map(|v| v.name.clone())
                .collect()
        } else {
            Vec::new()
        };
        self.state.frames.push(Frame {
            definition: compiled.dref.clone(),
            vars,
            externals,
            tokens: vec![token],
            cursor: 0,
            steps: 0,
            call,
        });
        self.compiled
            .insert(compiled.dref.hash.clone(), compiled.clone());
        self.stack.push(compiled.clone());
        let fi = self.state.frames.len() - 1;
        // Declared variables, in order (an input stands for the initial value), then inputs over them.
        self.init_vars(fi, None, &compiled.vars, Fill::Process, inputs, catalog)
            .map_err(|err| format!("'{}': {err}", compiled.definition.name))?;
        for (k, v) in inputs {
            if is_sub && self.state.frames[fi].externals.contains(k) {
                continue;
            }
            check_storable(v)
                .map_err(|err| format!("'{}': input '{k}': {err}", compiled.definition.name))?;
            self.state.frames[fi].vars.insert(k.clone(), v.clone());
        }
        Ok(())
    }

    pub(super) fn env<'s>(
        &'s mut self,
        fi: usize,
        ti: usize,
        catalog: &'s dyn Catalog,
    ) -> CaseEnv<'s> {
        CaseEnv {
            frames: &mut self.state.frames,
            frame: fi,
            token: Some(ti),
            catalog,
            trace: &mut self.trace,
            refused: &mut self.refused,
        }
    }

    /// Whether a value the evaluator produced may enter the case: no assignment
    /// made during the evaluation was refused, and `v` itself is storable.
    pub(super) fn admit(&mut self, v: &Value) -> Result<(), String> {
        if let Some(why) = self.refused.take() {
            return Err(why);
        }
        check_storable(v)
    }

    /// Initialise declared variables into one scope, in order: the one place
    /// variables get their initial values. Each initial expression is evaluated in
    /// the scope being filled (`token` None: the frame's process level), so later
    /// declarations see earlier ones; a value in `preset` (inputs) stands for the
    /// initial expression. A variable declared `external` is not created (at process
    /// level only in a subprocess: the case's own process owns its externals).
    pub(super) fn init_vars(
        &mut self,
        fi: usize,
        token: Option<usize>,
        vars: &[CVar],
        into: Fill,
        preset: &BTreeMap<String, Value>,
        catalog: &dyn Catalog,
    ) -> Result<(), String> {
        let skip_external = into != Fill::Process || self.state.frames[fi].call.is_some();
        for v in vars {
            if v.external && skip_external {
                continue;
            }
            let value = match (preset.get(&v.name), &v.init) {
                (Some(p), _) => p.clone(),
                (None, Some(e)) => {
                    let mut env = CaseEnv {
                        frames: &mut self.state.frames,
                        frame: fi,
                        token,
                        catalog,
                        trace: &mut self.trace,
                        refused: &mut self.refused,
                    };
                    expr::eval(e, &mut env)
                        .map_err(|err| err.to_string())
                        .and_then(|value| self.admit(&value).map(|()| value))
                        .map_err(|err| format!("initial value of variable '{}': {err}", v.name))?
                }
                (None, None) => Value::Null,
            };
            let f = &mut self.state.frames[fi];
            let map = match (into, token) {
                (Fill::Activity, Some(ti)) => &mut f.tokens[ti].vars,
                (Fill::Action, Some(ti)) => &mut f.tokens[ti].action_vars,
                _ => &mut f.vars,
            };
            map.set(&v.name, value);
        }
        Ok(())
    }

    pub(super) fn eval_args(
        &mut self,
        fi: usize,
        ti: usize,
        args: &[(String, Expr)],
        catalog: &dyn Catalog,
    ) -> Result<BTreeMap<String, Value>, String> {
        let mut out = BTreeMap::new();
        for (name, e) in args {
            let v = expr::eval(e, &mut self.env(fi, ti, catalog))
                .map_err(|err| err.to_string())
                .and_then(|v| self.admit(&v).map(|()| v))
                .map_err(|err| format!("argument '{name}': {err}"))?;
            out.insert(name.clone(), v);
        }
        Ok(out)
    }
}

/// Which scope [`Case::init_vars`] fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fill {
    /// The frame's process-level variables.
    Process,
    /// A token's activity scope.
    Activity,
    /// A token's action scope.
    Action,
}

/// Merge of every scope visible from a token, outermost first so inner ones win.
pub(super) fn visible(frames: &[Frame], fi: usize, ti: Option<usize>) -> BTreeMap<String, Value> {
    let mut chain: Vec<&Vars> = Vec::new();
    let mut level = fi;
    let mut tok = ti;
    loop {
        let f = &frames[level];
        if let Some(t) = tok.and_then(|t| f.tokens.get(t)) {
            chain.push(&t.action_vars);
            chain.push(&t.vars);
        }
        chain.push(&f.vars);
        if level == 0 || f.externals.is_empty() {
            break;
        }
        let Some(call) = &f.call else { break };
        tok = frames[level - 1]
            .tokens
            .iter()
            .position(|t| t.id == call.token);
        level -= 1;
    }
    let mut out = BTreeMap::new();
    for m in chain.into_iter().rev() {
        for (k, v) in m {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// The evaluator's view of a case: scopes of one token, innermost first.
pub(super) struct CaseEnv<'a> {
    frames: &'a mut [Frame],
    frame: usize,
    token: Option<usize>,
    catalog: &'a dyn Catalog,
    trace: &'a mut Vec<String>,
    /// Set (first refusal only) when `set_var` refuses a value ([`check_storable`]).
    refused: &'a mut Option<String>,
}

/// Where a variable lives: frame, token, which scope (0 action, 1 activity, 2
/// frame) and its slot in that scope ([`Vars::slot`]).
type Place = (usize, Option<usize>, u8, usize);

impl CaseEnv<'_> {
    /// Where `name` lives and its value: one lookup per scope, innermost first.
    pub(super) fn find(&self, name: &str) -> Option<(Place, &Value)> {
        let mut level = self.frame;
        let mut tok = self.token;
        loop {
            let f = &self.frames[level];
            if let Some(ti) = tok
                && let Some(t) = f.tokens.get(ti)
            {
                if let Some(i) = t.action_vars.slot(name) {
                    return Some(((level, tok, 0, i), t.action_vars.entry_at(i).1));
                }
                if let Some(i) = t.vars.slot(name) {
                    return Some(((level, tok, 1, i), t.vars.entry_at(i).1));
                }
            }
            if let Some(i) = f.vars.slot(name) {
                return Some(((level, tok, 2, i), f.vars.entry_at(i).1));
            }
            // A subprocess's external variables live in the caller's scopes.
            if level > 0 && f.externals.iter().any(|e| e == name) {
                let call = f.call.as_ref()?;
                tok = self.frames[level - 1]
                    .tokens
                    .iter()
                    .position(|t| t.id == call.token);
                level -= 1;
                continue;
            }
            return None;
        }
    }

    /// The variable at `place` (found by [`CaseEnv::find`], nothing inserted since).
    fn value_mut(&mut self, (level, tok, which, slot): Place) -> &mut Value {
        let f = &mut self.frames[level];
        let vars = match (which, tok) {
            (0, Some(ti)) => &mut f.tokens[ti].action_vars,
            (1, Some(ti)) => &mut f.tokens[ti].vars,
            _ => &mut f.vars,
        };
        vars.value_at_mut(slot)
    }
}

impl Env for CaseEnv<'_> {
    fn get_var(&self, name: &str) -> Option<Value> {
        self.find(name).map(|(_, v)| v.clone())
    }

    fn set_var(&mut self, name: &str, value: Value) {
        if let Err(why) = check_storable(&value) {
            self.refused
                .get_or_insert_with(|| format!("variable '{name}': {why}"));
            return;
        }
        if let Some((place, _)) = self.find(name) {
            // The variable exists: assign at the slot found (no second lookup, no
            // key allocated).
            *self.value_mut(place) = value;
            return;
        }
        // Undeclared: a new case-level variable of this process, unless the
        // name is external (then it belongs to the caller).
        let f = &self.frames[self.frame];
        if self.frame > 0
            && f.externals.iter().any(|e| e == name)
            && let Some(call) = f.call.clone()
        {
            let level = self.frame - 1;
            let tok = self.frames[level]
                .tokens
                .iter()
                .position(|t| t.id == call.token);
            let mut outer = CaseEnv {
                frames: &mut *self.frames,
                frame: level,
                token: tok,
                catalog: self.catalog,
                trace: &mut *self.trace,
                refused: &mut *self.refused,
            };
            outer.set_var(name, value);
            return;
        }
        self.frames[self.frame].vars.set(name, value);
    }

    fn rule(&self, name: &str) -> Option<Arc<RuleDef>> {
        self.catalog.rule(name)
    }

    fn trace(&mut self, line: String) {
        self.trace.push(line);
    }
}
