//! Trying expressions and rules without a case: the core of `bpe eval`,
//! `bpe test-rule` and the TUI's rule tester.
//!
//! A [`Sandbox`] holds the repository's rules compiled exactly as the engine
//! compiles them ([`compile_rules`]), so a rule called here behaves as it does
//! in a running case: declared arguments bind by name, missing ones take their
//! default expression, locked arguments always take their default.
//!
//! Invariants:
//! - Dry run: nothing is written anywhere. An expression cannot call a service
//!   (services are actions' `application`s, not functions), so its only effects
//!   are the variable assignments it makes; they are recorded, in order, as
//!   [`Evaluation::effects`] and applied to the sandbox's own variables only.
//! - Every evaluation is traced ([`crate::expr::Trace`], bounded by
//!   [`DEFAULT_TRACE_NODES`]) and every node of the expression, of each rule body
//!   and of each argument default carries its position in its own text.
//! - A locked argument given a value is refused ([`CallError::Locked`]) rather
//!   than silently ignored, so the tester never shows a result for an input the
//!   rule never sees.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use super::catalog::compile_rules;
use crate::expr::{
    self, DEFAULT_BUDGET, DEFAULT_TRACE_NODES, Env, EvalError, Expr, Location, ParseError, RuleDef,
    SourceMap, Trace, TraceTree, Value,
};
use crate::model::Rule;

/// The outcome of one dry-run evaluation.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub value: Result<Value, EvalError>,
    /// Where the error started (the innermost failing node), when it failed.
    pub error_at: Option<Location>,
    /// Variable assignments, in the order they were made.
    pub effects: Vec<(String, Value)>,
    /// Lines of `(block trace="true" …)`.
    pub trace_lines: Vec<String>,
    pub trace: TraceTree,
}

impl Evaluation {
    /// The error with its position: `rule 'X' 3:5: message`.
    pub fn error_text(&self) -> Option<String> {
        let e = self.value.as_ref().err()?;
        Some(match &self.error_at {
            Some(at) => format!("{at}: {}", e.message),
            None => e.message.clone(),
        })
    }
}

/// Why a rule could not be called at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// No rule by that name.
    UnknownRule { name: String, known: Vec<String> },
    /// The rule's body or an argument default does not parse.
    Syntax { source: String, error: ParseError },
    /// A value was given for a locked argument.
    Locked { rule: String, argument: String },
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::UnknownRule { name, known } => {
                write!(f, "no rule named '{name}'")?;
                if !known.is_empty() {
                    write!(f, " (rules: {})", known.join(", "))?;
                }
                Ok(())
            }
            CallError::Syntax { source, error } => write!(f, "{source} {error}"),
            CallError::Locked { rule, argument } => write!(
                f,
                "argument '{argument}' of rule '{rule}' is locked (Waveset locked='true'): \
                 its default always applies, a value cannot be passed"
            ),
        }
    }
}

impl std::error::Error for CallError {}

/// The repository's rules, ready to evaluate against.
#[derive(Debug, Default)]
pub struct Sandbox {
    rules: Vec<Rule>,
    compiled: HashMap<String, Arc<RuleDef>>,
    /// Positions of every node of every compiled rule (bodies and defaults).
    sources: SourceMap,
    /// Nodes recorded per evaluation.
    pub trace_limit: usize,
}

impl Sandbox {
    pub fn new(rules: Vec<Rule>) -> Sandbox {
        let compiled = compile_rules(&rules);
        let mut sources = SourceMap::new();
        for r in &rules {
            if let Some(def) = compiled.get(&r.name) {
                register_rule(&mut sources, r, def);
            }
        }
        Sandbox {
            rules,
            compiled,
            sources,
            trace_limit: DEFAULT_TRACE_NODES,
        }
    }

    /// The rules, as loaded.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// Evaluate `text` with `vars` as the variables it sees. A syntax error is
    /// `Err` (its position is in the [`ParseError`]).
    pub fn eval_text(
        &self,
        text: &str,
        vars: BTreeMap<String, Value>,
    ) -> Result<Evaluation, ParseError> {
        let (expr, spans) = expr::parse_spanned(text)?;
        let mut map = self.sources.clone();
        map.add("expression", text, &expr, &spans);
        let mut trace = Trace::new(map, self.trace_limit);
        let mut env = self.env(vars);
        let value = expr::eval_observed(&expr, &mut env, DEFAULT_BUDGET, &mut trace);
        Ok(env.finish(value, trace))
    }

    /// Call rule `name` as `(rule name=… (argument …)…)` would, with `args`.
    pub fn test_rule(&self, name: &str, args: &[(String, Value)]) -> Result<Evaluation, CallError> {
        let Some(rule) = self.rule(name) else {
            let mut known: Vec<String> = self.rules.iter().map(|r| r.name.clone()).collect();
            known.sort();
            return Err(CallError::UnknownRule {
                name: name.to_string(),
                known,
            });
        };
        for (a, _) in args {
            if rule.arguments.iter().any(|d| d.locked && &d.name == a) {
                return Err(CallError::Locked {
                    rule: name.to_string(),
                    argument: a.clone(),
                });
            }
        }
        let Some(def) = self.compiled.get(name) else {
            return Err(syntax_error(rule));
        };
        let mut trace = Trace::new(self.sources.clone(), self.trace_limit);
        let mut env = self.env(BTreeMap::new());
        let value = expr::eval_rule_observed(def, args, &mut env, DEFAULT_BUDGET, &mut trace);
        Ok(env.finish(value, trace))
    }

    fn env(&self, vars: BTreeMap<String, Value>) -> SandboxEnv<'_> {
        SandboxEnv {
            vars,
            rules: &self.compiled,
            effects: Vec::new(),
            trace_lines: Vec::new(),
        }
    }
}

/// The parse error that kept `rule` out of the compiled rules.
fn syntax_error(rule: &Rule) -> CallError {
    if let Err(error) = expr::parse(&rule.body) {
        return CallError::Syntax {
            source: format!("rule '{}'", rule.name),
            error,
        };
    }
    for a in &rule.arguments {
        if let Some(Err(error)) = a.value.as_deref().map(expr::parse) {
            return CallError::Syntax {
                source: format!("rule '{}' argument '{}'", rule.name, a.name),
                error,
            };
        }
    }
    CallError::UnknownRule {
        name: rule.name.clone(),
        known: Vec::new(),
    }
}

/// Register the nodes of `def` (compiled from `rule`) with their positions:
/// the body, and each argument default. The compiled body is the rule's own
/// body, or — with locked arguments — a block of one `defvar` per locked
/// argument (its default) followed by the rule's own body.
fn register_rule(map: &mut SourceMap, rule: &Rule, def: &RuleDef) {
    let source = format!("rule '{}'", rule.name);
    let locked: Vec<_> = rule.arguments.iter().filter(|a| a.locked).collect();
    let (body, locked_defaults): (&Expr, Vec<&Expr>) = match (&def.body, locked.is_empty()) {
        (body, true) => (body, Vec::new()),
        (Expr::Call(block), false) if block.args.len() == locked.len() + 1 => {
            let defaults = block.args[..locked.len()]
                .iter()
                .filter_map(|d| match d {
                    Expr::Call(c) => c.args.first(),
                    _ => None,
                })
                .collect();
            (&block.args[locked.len()], defaults)
        }
        _ => return,
    };
    add_parsed(map, &source, &rule.body, body);
    for (a, e) in locked.iter().zip(locked_defaults) {
        if let Some(text) = &a.value {
            add_parsed(map, &format!("{source} argument '{}'", a.name), text, e);
        }
    }
    for (name, default) in &def.args {
        let text = rule
            .arguments
            .iter()
            .find(|a| &a.name == name)
            .and_then(|a| a.value.as_deref());
        if let (Some(e), Some(text)) = (default, text) {
            add_parsed(map, &format!("{source} argument '{name}'"), text, e);
        }
    }
}

/// Register `node` as parsed from `text`, when it is exactly what `text` parses to.
fn add_parsed(map: &mut SourceMap, source: &str, text: &str, node: &Expr) {
    if let Ok((parsed, spans)) = expr::parse_spanned(text)
        && parsed == *node
    {
        map.add(source, text, node, &spans);
    }
}

/// Variables in a map, the sandbox's rules, assignments recorded.
struct SandboxEnv<'s> {
    vars: BTreeMap<String, Value>,
    rules: &'s HashMap<String, Arc<RuleDef>>,
    effects: Vec<(String, Value)>,
    trace_lines: Vec<String>,
}

impl SandboxEnv<'_> {
    fn finish(self, value: Result<Value, EvalError>, trace: Trace) -> Evaluation {
        let trace = trace.finish();
        Evaluation {
            error_at: if value.is_err() {
                trace.error_at.clone()
            } else {
                None
            },
            value,
            effects: self.effects,
            trace_lines: self.trace_lines,
            trace,
        }
    }
}

impl Env for SandboxEnv<'_> {
    fn get_var(&self, name: &str) -> Option<Value> {
        self.vars.get(name).cloned()
    }

    fn set_var(&mut self, name: &str, value: Value) {
        self.effects.push((name.to_string(), value.clone()));
        self.vars.insert(name.to_string(), value);
    }

    fn rule(&self, name: &str) -> Option<Arc<RuleDef>> {
        self.rules.get(name).cloned()
    }

    fn trace(&mut self, line: String) {
        self.trace_lines.push(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RuleArgument;

    fn rule(name: &str, args: &[(&str, Option<&str>, bool)], body: &str) -> Rule {
        Rule {
            format_version: 1,
            id: format!("rule-{name}"),
            name: name.to_string(),
            description: String::new(),
            arguments: args
                .iter()
                .map(|(n, v, locked)| RuleArgument {
                    name: n.to_string(),
                    value: v.map(str::to_string),
                    comment: String::new(),
                    locked: *locked,
                })
                .collect(),
            local_scope: false,
            body: body.into(),
        }
    }

    #[test]
    fn a_rule_binds_defaults_and_locked_arguments_like_the_engine() {
        let sb = Sandbox::new(vec![rule(
            "Greet",
            &[
                ("who", None, false),
                ("greeting", Some("\"Hello\""), false),
                ("mark", Some("\"!\""), true),
            ],
            "(concat $greeting \" \" $who $mark)",
        )]);
        let ev = sb
            .test_rule("Greet", &[("who".into(), Value::Str("Ann".into()))])
            .unwrap();
        assert_eq!(ev.value.unwrap(), Value::Str("Hello Ann!".into()));
        let err = sb
            .test_rule("Greet", &[("mark".into(), Value::Str("?".into()))])
            .unwrap_err();
        assert!(matches!(err, CallError::Locked { .. }), "{err}");
        assert!(err.to_string().contains("locked"));
    }

    #[test]
    fn an_error_in_a_called_rule_is_located_in_its_body() {
        let sb = Sandbox::new(vec![rule(
            "Bad",
            &[("n", None, false)],
            "(add $n\n  (nosuch 1))",
        )]);
        let ev = sb
            .eval_text(
                "(rule name=\"Bad\" (argument name=\"n\" 1))",
                BTreeMap::new(),
            )
            .unwrap();
        assert!(ev.value.is_err());
        let at = ev.error_at.clone().unwrap();
        assert_eq!((&*at.source, at.line, at.column), ("rule 'Bad'", 2, 3));
        assert!(
            ev.error_text()
                .unwrap()
                .starts_with("rule 'Bad' 2:3: unknown function 'nosuch'")
        );
    }

    #[test]
    fn assignments_are_the_effects_and_stay_in_the_sandbox() {
        let sb = Sandbox::new(Vec::new());
        let vars = BTreeMap::from([("x".to_string(), Value::Int(1))]);
        let ev = sb
            .eval_text(
                "(block (set name=\"x\" (add $x 1)) (set name=\"y\" \"a\") $x)",
                vars,
            )
            .unwrap();
        assert_eq!(ev.value.unwrap(), Value::Int(2));
        assert_eq!(
            ev.effects,
            vec![
                ("x".to_string(), Value::Int(2)),
                ("y".to_string(), Value::Str("a".into()))
            ]
        );
    }

    #[test]
    fn a_rule_that_does_not_parse_reports_its_syntax_error() {
        let sb = Sandbox::new(vec![rule("Broken", &[], "(add 1")]);
        let err = sb.test_rule("Broken", &[]).unwrap_err();
        assert!(
            matches!(&err, CallError::Syntax { source, .. } if source == "rule 'Broken'"),
            "{err}"
        );
    }
}
