//! Transient variables: process variables declared `transient: true` live in memory only.
//!
//! Invariant: nothing the engine hands out for writing — a TaskInstance from
//! `Case::to_instance`, a WorkItem's variables — holds the value of a transient
//! variable. The variable itself is written as `null`; every value it has had while
//! the case was in this process (strings of [`MIN_SECRET_LEN`] characters or more,
//! also inside lists and maps) is replaced by [`REDACTED`] wherever it was copied:
//! other variables, token and action variables, history results, task result items,
//! errors, messages and trace lines. A case resumed in another process sees `null`.

use std::collections::BTreeSet;

use crate::expr::Value;
use crate::model::{HistoryKind, TaskDefinition, TaskInstance};

use super::state::EngineState;

/// What a copied secret is replaced with.
pub const REDACTED: &str = "********";
/// Shorter values are not searched for (they would match ordinary text).
pub const MIN_SECRET_LEN: usize = 4;

/// The names of the transient process variables of a definition.
pub fn names(def: &TaskDefinition) -> Vec<String> {
    def.process
        .variables
        .iter()
        .filter(|v| v.transient)
        .map(|v| v.name.clone())
        .collect()
}

/// The values transient variables have held in this process.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: BTreeSet<String>,
}

impl Secrets {
    /// Remember the current values of `names` in `vars`.
    pub fn learn(&mut self, names: &[String], vars: &crate::engine::Vars) {
        for n in names {
            if let Some(v) = vars.get(n) {
                collect(v, &mut self.values);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Set the transient variables of `vars` to null and scrub the others.
    /// Write the named variables as null and scrub the others' values (`vars`: a
    /// map or a scope, mutably).
    pub fn clear_vars<'a>(
        &self,
        names: &[String],
        vars: impl IntoIterator<Item = (&'a String, &'a mut Value)>,
    ) {
        for (k, v) in vars {
            if names.contains(k) {
                *v = Value::Null;
            } else {
                self.scrub_value(v);
            }
        }
    }

    fn scrub_value(&self, v: &mut Value) {
        if self.values.is_empty() {
            return;
        }
        match v {
            Value::Str(s) => self.scrub_text(s),
            Value::List(items) => items.iter_mut().for_each(|i| self.scrub_value(i)),
            Value::Map(m) => m.values_mut().for_each(|i| self.scrub_value(i)),
            Value::Null | Value::Int(_) | Value::Bool(_) => {}
        }
    }

    fn scrub_text(&self, s: &mut String) {
        for secret in &self.values {
            if s.contains(secret.as_str()) {
                *s = s.replace(secret.as_str(), REDACTED);
            }
        }
    }

    /// Scrub an instance about to be written: `frame_names[i]` are the transient
    /// names of frame `i` (frame 0's are also the instance's own variables).
    pub fn scrub_instance(
        &self,
        frame_names: &[Vec<String>],
        inst: &mut TaskInstance,
        state: &mut EngineState,
    ) {
        let none = Vec::new();
        self.clear_vars(frame_names.first().unwrap_or(&none), &mut inst.variables);
        for (i, frame) in state.frames.iter_mut().enumerate() {
            self.clear_vars(frame_names.get(i).unwrap_or(&none), &mut frame.vars);
            for t in &mut frame.tokens {
                self.clear_vars(&none, &mut t.vars);
                self.clear_vars(&none, &mut t.action_vars);
            }
        }
        if self.values.is_empty() {
            return;
        }
        for h in &mut inst.history {
            if let HistoryKind::ActionRun { result, error, .. } = &mut h.event {
                if let Some(r) = result {
                    self.scrub_value(r);
                }
                if let Some(e) = error {
                    self.scrub_text(e);
                }
            }
        }
        let r = &mut inst.result;
        r.items.values_mut().for_each(|v| self.scrub_value(v));
        for line in r
            .errors
            .iter_mut()
            .chain(&mut r.messages)
            .chain(&mut r.trace)
        {
            self.scrub_text(line);
        }
        if let Some(reason) = &mut inst.reason {
            self.scrub_text(reason);
        }
    }
}

fn collect(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Str(s) if s.chars().count() >= MIN_SECRET_LEN => {
            out.insert(s.clone());
        }
        Value::List(items) => items.iter().for_each(|i| collect(i, out)),
        Value::Map(m) => m.values().for_each(|i| collect(i, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Vars;
    use std::collections::BTreeMap;

    #[test]
    fn copies_are_redacted_and_the_variable_is_null() {
        let names = vec!["password".to_string()];
        let mut vars = Vars::from(BTreeMap::from([
            ("password".to_string(), Value::Str("Tr1cky-Pass".into())),
            ("copy".to_string(), Value::Str("was Tr1cky-Pass!".into())),
            ("short".to_string(), Value::Str("abc".into())),
        ]));
        let mut s = Secrets::default();
        s.learn(&names, &vars);
        // Cleared from the case later: the remembered value is still scrubbed.
        vars.insert("password".into(), Value::Null);
        vars.insert(
            "nested".into(),
            Value::List(vec![Value::Str("Tr1cky-Pass".into())]),
        );
        s.clear_vars(&names, &mut vars);
        assert_eq!(vars["password"], Value::Null);
        assert_eq!(vars["copy"], Value::Str("was ********!".into()));
        assert_eq!(
            vars["nested"],
            Value::List(vec![Value::Str(REDACTED.into())])
        );
        assert_eq!(vars["short"], Value::Str("abc".into()));
        // Short values are not learnt at all.
        let mut t = Secrets::default();
        t.learn(
            &names,
            &Vars::from(BTreeMap::from([(
                "password".into(),
                Value::Str("ab".into()),
            )])),
        );
        assert!(t.is_empty());
    }
}
