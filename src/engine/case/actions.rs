//! Actions: one processor per kind (expression, service, command, subprocess,
//! manual), and completing an action (built-ins, errors, history, `returns`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::history::Lazy;
use super::{Case, Event, Fill, Phase, Runtime, b, visible};
use crate::engine::Vars;
use crate::engine::compile::{CAction, CKind, compile};
use crate::engine::limits::MAX_SUBPROCESS_DEPTH;
use crate::engine::state::CallSite;
use crate::engine::vars::Slots;
use crate::expr::{self, Env, Value};
use crate::model::{HistoryKind, TaskResult};
use crate::services::CallContext;

impl Case {
    pub(super) fn run_action(
        &mut self,
        fi: usize,
        ti: usize,
        index: usize,
        rt: &mut Runtime<'_>,
        ev: &mut Vec<Event>,
    ) {
        let c = self.frame_def(fi);
        let ai = self.state.frames[fi].tokens[ti].activity;
        let Some(action) = c.activities[ai].actions.get(index) else {
            self.state.frames[fi].tokens[ti].phase = Phase::Transitions;
            return;
        };
        // Action-local variables.
        self.state.frames[fi].tokens[ti].action_vars.clear();
        if let Err(e) = self.init_vars(
            fi,
            Some(ti),
            &action.vars,
            Fill::Action,
            &BTreeMap::new(),
            &*rt.catalog,
        ) {
            self.complete_action(fi, ti, index, Outcome::error(e), rt, ev);
            return;
        }
        if let Some(cond) = &action.cond {
            let r = expr::eval(cond, &mut self.env(fi, ti, &*rt.catalog));
            match r {
                Ok(v) if v.is_true() => {}
                Ok(_) => {
                    let o = Outcome {
                        suppressed: true,
                        ..Outcome::ok(Value::Null)
                    };
                    self.complete_action(fi, ti, index, o, rt, ev);
                    return;
                }
                Err(e) => {
                    let o = Outcome::error(format!("condition: {e}"));
                    self.complete_action(fi, ti, index, o, rt, ev);
                    return;
                }
            }
        }
        let outcome = match &action.kind {
            CKind::Expression(e) => match expr::eval(e, &mut self.env(fi, ti, &*rt.catalog)) {
                Ok(v) => Outcome::ok(v),
                Err(e) => Outcome::error(e.to_string()),
            },
            CKind::Service { op, args } => match self.eval_args(fi, ti, args, &*rt.catalog) {
                Err(e) => Outcome::error(e),
                Ok(args) => self.call_service(fi, ti, op, &args, rt),
            },
            CKind::Unsupported(reason) => Outcome::error(format!(
                "bpe cannot run this action: {reason} (it was kept verbatim from a Waveset import; rewrite it as an expression, service, subprocess or manual action)"
            )),
            CKind::Command(cmd) => {
                let mut argv = Vec::with_capacity(cmd.argv.len());
                let mut failed = None;
                for a in &cmd.argv {
                    match expr::eval(a, &mut self.env(fi, ti, &*rt.catalog)) {
                        Ok(v) => argv.push(v.to_text()),
                        Err(e) => {
                            failed = Some(format!("argv: {e}"));
                            break;
                        }
                    }
                }
                match failed {
                    Some(e) => Outcome::error(e),
                    None => self.run_command(fi, ti, cmd, &argv, rt),
                }
            }
            CKind::Subprocess { process, args } => {
                let args = match self.eval_args(fi, ti, args, &*rt.catalog) {
                    Ok(a) => a,
                    Err(e) => {
                        self.complete_action(fi, ti, index, Outcome::error(e), rt, ev);
                        return;
                    }
                };
                self.call_subprocess(fi, ti, index, process, args, rt, ev);
                return;
            }
            CKind::Manual(_) if self.refused.is_some() => {
                Outcome::error(self.refused.take().unwrap_or_default())
            }
            CKind::Manual(m) => match self.create_work_items(fi, ti, index, m, rt) {
                Ok(()) => {
                    let (tid, items) = {
                        let t = &self.state.frames[fi].tokens[ti];
                        let items = match &t.phase {
                            Phase::Waiting { items, .. } => {
                                items.iter().map(|i| i.id.clone()).collect()
                            }
                            _ => Vec::new(),
                        };
                        (t.id, items)
                    };
                    self.emit(
                        ev,
                        Event::WorkItemsCreated {
                            frame: fi,
                            token: tid,
                            activity: c.activities[ai].name.clone(),
                            action: index,
                            items,
                        },
                    );
                    return;
                }
                Err(e) => Outcome::error(e),
            },
        };
        self.complete_action(fi, ti, index, outcome, rt, ev);
    }

    pub(super) fn run_command(
        &mut self,
        fi: usize,
        ti: usize,
        cmd: &crate::engine::compile::CCommand,
        argv: &[String],
        rt: &mut Runtime<'_>,
    ) -> Outcome {
        let timeout = Duration::from_secs(cmd.timeout_secs.max(0) as u64);
        let cap = cmd.output_cap.max(0) as usize;
        match rt.services.run_command(argv, timeout, cap) {
            Err(e) => Outcome::error(e.message),
            Ok(out) => {
                let mut env = self.env(fi, ti, &*rt.catalog);
                if let Some(to) = &cmd.exit_code_to {
                    env.set_var(to, Value::Int(out.exit_code));
                }
                if let Some(to) = &cmd.output_to {
                    env.set_var(to, Value::Str(out.stdout.clone()));
                }
                if out.timed_out {
                    Outcome::error(format!(
                        "command '{}' timed out after {} seconds",
                        argv.first().map(String::as_str).unwrap_or(""),
                        cmd.timeout_secs
                    ))
                } else if out.exit_code != 0 {
                    let mut msg = format!(
                        "command '{}' exited with code {}",
                        argv.first().map(String::as_str).unwrap_or(""),
                        out.exit_code
                    );
                    let err = out.stderr.trim();
                    if !err.is_empty() {
                        msg.push_str(": ");
                        msg.push_str(err);
                    }
                    Outcome {
                        result: Value::Int(out.exit_code),
                        ..Outcome::error(msg)
                    }
                } else {
                    Outcome::ok(Value::Int(out.exit_code))
                }
            }
        }
    }

    /// Run a WorkflowServices op with evaluated arguments; `WF_CASE_RESULT` follows
    /// the task result.
    pub(super) fn call_service(
        &mut self,
        fi: usize,
        ti: usize,
        op: &str,
        args: &BTreeMap<String, Value>,
        rt: &mut Runtime<'_>,
    ) -> Outcome {
        let variables = visible(&self.state.frames, fi, Some(ti));
        let mut cx = CallContext {
            instance_id: &self.instance.id,
            instance_name: &mut self.instance.name,
            case_owner: &self.instance.owner,
            variables: &variables,
            result: &mut self.instance.result,
            now: Utc::now(),
        };
        let r = rt.services.call(op, args, &mut cx);
        let case_result = result_value(&self.instance.result);
        self.state.frames[0].vars.set("WF_CASE_RESULT", case_result);
        match r {
            Ok(v) => Outcome::ok(v),
            Err(e) => Outcome::error(e.message),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn call_subprocess(
        &mut self,
        fi: usize,
        ti: usize,
        index: usize,
        process: &str,
        args: BTreeMap<String, Value>,
        rt: &mut Runtime<'_>,
        ev: &mut Vec<Event>,
    ) {
        if self.state.frames.len() >= MAX_SUBPROCESS_DEPTH {
            let chain: Vec<&str> = self
                .state
                .frames
                .iter()
                .map(|f| f.definition.name.as_str())
                .chain([process])
                .collect();
            let o = Outcome::error(format!(
                "subprocess '{process}': calls nested deeper than {MAX_SUBPROCESS_DEPTH} processes: {}",
                chain.join(" -> ")
            ));
            self.complete_action(fi, ti, index, o, rt, ev);
            return;
        }
        let (dref, def) = match rt.catalog.resolve(process) {
            Ok(x) => x,
            Err(e) => {
                // Waveset's built-in task subprocesses (`<Action process='Rename Task'>`)
                // run as the matching service op unless the repository defines one.
                let o = match crate::services::ops::builtin_task_op(process) {
                    Some(op) => self.call_service(fi, ti, op, &args, rt),
                    None => Outcome::error(e),
                };
                self.complete_action(fi, ti, index, o, rt, ev);
                return;
            }
        };
        let compiled = match self.compiled.get(&dref.hash) {
            Some(c) => c.clone(),
            None => match compile(&def, dref.clone()) {
                Ok(c) => Arc::new(c),
                Err(e) => {
                    let o = Outcome::error(format!("subprocess '{process}': {}", e.message));
                    self.complete_action(fi, ti, index, o, rt, ev);
                    return;
                }
            },
        };
        let tid = self.state.frames[fi].tokens[ti].id;
        self.state.frames[fi].tokens[ti].phase = Phase::Subprocess { index };
        self.record(HistoryKind::SubprocessEntered {
            process: process.to_string(),
        });
        self.emit(
            ev,
            Event::SubprocessEntered {
                frame: fi + 1,
                process: process.to_string(),
            },
        );
        let call = CallSite {
            token: tid,
            action: index,
        };
        let pushed = self.push_frame(compiled, &args, Some(call), &*rt.catalog);
        if let Err(e) = pushed {
            self.state.frames.pop();
            self.stack.pop();
            self.record(HistoryKind::SubprocessReturned {
                process: process.to_string(),
            });
            self.emit(
                ev,
                Event::SubprocessReturned {
                    frame: fi + 1,
                    process: process.to_string(),
                },
            );
            self.complete_action(fi, ti, index, Outcome::error(e), rt, ev);
        }
    }

    pub(super) fn complete_action(
        &mut self,
        fi: usize,
        ti: usize,
        index: usize,
        o: Outcome,
        rt: &mut Runtime<'_>,
        ev: &mut Vec<Event>,
    ) {
        // An assignment refused while the action ran, or a result too big or deep
        // to keep, fails the action.
        let o = match self.admit(&o.result) {
            Ok(()) => o,
            Err(why) => Outcome::error(why),
        };
        let c = self.frame_def(fi);
        let (tid, ai) = self.token_at(fi, ti);
        let act = &c.activities[ai];
        let action: &CAction = &act.actions[index];
        let result = match &o.error {
            Some(msg) if o.result.is_null() => Value::Str(msg.clone()),
            _ => o.result.clone(),
        };
        set_action_builtins(
            &mut self.state.frames[fi].vars,
            [
                b(o.error.is_some()),
                result.clone(),
                b(o.suppressed),
                b(o.timed_out),
            ],
            &mut self.builtin_slots,
        );
        if let Some(msg) = &o.error {
            let label = if action.name.is_empty() {
                format!("action {}", index + 1)
            } else {
                format!("action '{}'", action.name)
            };
            self.instance
                .result
                .errors
                .push(format!("{} / {label}: {msg}", act.name));
        }
        let def = self.def_id(&c);
        self.record_lazy(Lazy::Action {
            def,
            activity: ai,
            action: index,
            result: (!o.suppressed && !result.is_null()).then(|| result.clone()),
            error: o.error.clone(),
            suppressed: o.suppressed,
        });
        self.emit_with(ev, || Event::ActionRun {
            frame: fi,
            token: tid,
            activity: act.name.clone(),
            action: index,
            kind: action.label(),
            result,
            error: o.error,
            suppressed: o.suppressed,
            timed_out: o.timed_out,
        });
        // `returns`: read in the action's scope (or from the subprocess), write outside it.
        let mut copies = Vec::new();
        if !o.suppressed {
            for (from, to) in &action.returns {
                let v = match &o.sub_vars {
                    Some(sv) => sv.get(from).cloned().unwrap_or(Value::Null),
                    None => self
                        .env(fi, ti, &*rt.catalog)
                        .get_var(from)
                        .unwrap_or(Value::Null),
                };
                copies.push((to.clone(), v));
            }
            if let Some(outputs) = &o.outputs {
                for (k, v) in outputs {
                    copies.push((k.clone(), v.clone()));
                }
            }
        }
        self.state.frames[fi].tokens[ti].action_vars.clear();
        for (to, v) in copies {
            self.env(fi, ti, &*rt.catalog).set_var(&to, v);
        }
        if let Some(why) = self.refused.take() {
            self.instance
                .result
                .errors
                .push(format!("{}: {why}", act.name));
        }
        self.state.frames[fi].tokens[ti].phase = if index + 1 < act.actions.len() {
            Phase::Action { index: index + 1 }
        } else {
            Phase::Transitions
        };
    }
}

pub(super) struct Outcome {
    pub(super) result: Value,
    pub(super) error: Option<String>,
    pub(super) suppressed: bool,
    pub(super) timed_out: bool,
    /// A subprocess's output variables, copied to the caller by name.
    pub(super) outputs: Option<BTreeMap<String, Value>>,
    /// A subprocess's final variables, where `returns` read from.
    pub(super) sub_vars: Option<Vars>,
}

impl Outcome {
    pub(super) fn ok(result: Value) -> Outcome {
        Outcome {
            result,
            error: None,
            suppressed: false,
            timed_out: false,
            outputs: None,
            sub_vars: None,
        }
    }
    pub(super) fn error(msg: impl Into<String>) -> Outcome {
        Outcome {
            error: Some(msg.into()),
            ..Outcome::ok(Value::Null)
        }
    }
}

/// The built-ins an action sets, in name order.
const ACTION_BUILTINS: [&str; 4] = [
    "WF_ACTION_ERROR",
    "WF_ACTION_RESULT",
    "WF_ACTION_SUPPRESSED",
    "WF_ACTION_TIMEOUT",
];

/// Set `WF_ACTION_ERROR`, `_RESULT`, `_SUPPRESSED` and `_TIMEOUT` to `values`
/// (created when missing); `slots` remembers where they are in `vars`, so that a
/// loop's steps set them without looking up their names ([`Vars::set_all`]).
fn set_action_builtins(vars: &mut Vars, values: [Value; 4], slots: &mut Slots<4>) {
    vars.set_all(&ACTION_BUILTINS, values, slots);
}

/// The task result as a value (`WF_CASE_RESULT`).
pub(super) fn result_value(r: &TaskResult) -> Value {
    Value::from_json(&serde_json::to_value(r).unwrap_or(serde_json::Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_builtins_are_set_and_a_variable_sorting_among_them_is_left_alone() {
        let mut vars = Vars::from(BTreeMap::from([
            ("WF_ACTION_ERROR".to_string(), Value::Null),
            ("WF_ACTION_OTHER".to_string(), Value::Int(7)),
            ("WF_ACTION_RESULT".to_string(), Value::Null),
            ("n".to_string(), Value::Int(1)),
        ]));
        let values = [b(true), Value::Int(3), b(false), b(false)];
        set_action_builtins(&mut vars, values, &mut Slots::default());
        assert_eq!(vars["WF_ACTION_ERROR"], Value::Bool(true));
        assert_eq!(vars["WF_ACTION_RESULT"], Value::Int(3));
        // Missing ones are created.
        assert_eq!(vars["WF_ACTION_SUPPRESSED"], Value::Bool(false));
        assert_eq!(vars["WF_ACTION_TIMEOUT"], Value::Bool(false));
        assert_eq!(vars["WF_ACTION_OTHER"], Value::Int(7));
        assert_eq!(vars["n"], Value::Int(1));
        assert_eq!(vars.len(), 6);
    }
}
