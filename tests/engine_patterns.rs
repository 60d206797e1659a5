//! Engine semantics over in-memory definitions: workflow control-flow patterns,
//! limits, actions, scopes, subprocesses, work items and the step API.

use std::collections::BTreeMap;
use std::time::Duration;

use bpe::engine::{
    Case, Event, Granularity, MemoryCatalog, NextStep, Runtime, Scope, path_of, pin,
};
use bpe::expr::Value;
use bpe::model::{InstanceStatus, TaskDefinition};
use bpe::services::{CallContext, CommandOutput, Effect, ServiceError, Services};
use serde_json::{Value as J, json};

/// Records calls; `echo` returns its `value` argument, `fail` fails, anything else is unknown.
#[derive(Default)]
struct FakeServices {
    calls: Vec<(String, BTreeMap<String, Value>)>,
    effects: Vec<Effect>,
}

impl Services for FakeServices {
    fn call(
        &mut self,
        op: &str,
        args: &BTreeMap<String, Value>,
        cx: &mut CallContext<'_>,
    ) -> Result<Value, ServiceError> {
        self.calls.push((op.to_string(), args.clone()));
        match op {
            "echo" => Ok(args.get("value").cloned().unwrap_or_default()),
            "addMessage" => {
                cx.result
                    .messages
                    .push(args.get("text").map(Value::to_text).unwrap_or_default());
                Ok(Value::Null)
            }
            "fail" => Err(ServiceError::new("the service said no")),
            other => Err(ServiceError::new(format!(
                "Unknown WorkflowServices op: {other}"
            ))),
        }
    }
    fn run_command(
        &mut self,
        argv: &[String],
        _timeout: Duration,
        _cap: usize,
    ) -> Result<CommandOutput, ServiceError> {
        Ok(CommandOutput {
            exit_code: if argv.first().map(String::as_str) == Some("false") {
                1
            } else {
                0
            },
            stdout: argv[1..].join(" "),
            stderr: String::new(),
            timed_out: false,
            truncated: false,
        })
    }
    fn effects(&self) -> &[Effect] {
        &self.effects
    }
}

fn def(name: &str, process: J) -> TaskDefinition {
    let mut j = json!({"formatVersion": 1, "id": format!("td-{}", name.len()), "name": name, "process": process});
    if let Some(extra) = j["process"].get("_def").cloned() {
        for (k, v) in extra.as_object().unwrap() {
            j[k] = v.clone();
        }
        j["process"].as_object_mut().unwrap().remove("_def");
    }
    serde_json::from_value(j).expect("test definition")
}

fn act(name: &str, to: &[&str]) -> J {
    json!({"id": name, "name": name, "transitions": to.iter().map(|t| json!({"to": t})).collect::<Vec<_>>()})
}

fn expr_action(e: &str) -> J {
    json!({"kind": "expression", "expression": e})
}

struct Harness {
    services: FakeServices,
    catalog: MemoryCatalog,
}

impl Harness {
    fn new(defs: Vec<TaskDefinition>) -> Harness {
        Harness {
            services: FakeServices::default(),
            catalog: MemoryCatalog::new(defs, &[]),
        }
    }
    fn rt(&mut self) -> Runtime<'_> {
        Runtime {
            services: &mut self.services,
            catalog: &mut self.catalog,
        }
    }
    fn start(&mut self, name: &str, inputs: &[(&str, Value)]) -> Case {
        let inputs: BTreeMap<String, Value> = inputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let d = bpe::engine::Catalog::resolve(&mut self.catalog, name)
            .unwrap()
            .1;
        Case::start(&d, pin(&d), &inputs, "tester", &self.catalog)
    }
    fn run(&mut self, name: &str, inputs: &[(&str, Value)]) -> Case {
        let mut c = self.start(name, inputs);
        c.run(&mut self.rt());
        c
    }
}

fn path(c: &mut Case) -> Vec<String> {
    path_of(&c.instance().history)
}

fn var(c: &mut Case, name: &str) -> Value {
    c.instance()
        .variables
        .get(name)
        .cloned()
        .unwrap_or_default()
}

#[test]
fn wcp2_wcp3_parallel_split_and_synchronization() {
    let d = def(
        "P",
        json!({"activities": [
            {"id": "s", "name": "start", "andSplit": true, "transitions": [{"to": "A"}, {"to": "B"}]},
            act("A", &["J"]), act("B", &["J"]),
            {"id": "J", "name": "J", "andJoin": true, "actions": [expr_action("(set name=\"n\" (add $n 1))")], "transitions": [{"to": "end"}]},
            {"id": "e", "name": "end"}
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    let mut c = h.run("P", &[]);
    assert_eq!(c.status(), InstanceStatus::Completed);
    assert_eq!(path(&mut c), ["start", "A", "B", "J", "end"]);
    assert_eq!(var(&mut c, "n"), Value::Int(1), "the join ran once");
}

#[test]
fn wcp4_exclusive_choice_and_wcp5_simple_merge() {
    let d = def(
        "X",
        json!({"activities": [
            {"id": "s", "name": "start", "transitions": [
                {"to": "Big", "condition": "(gt $amount 100)"},
                {"to": "Small"}]},
            act("Big", &["Merge"]), act("Small", &["Merge"]),
            act("Merge", &["end"]),
            {"id": "e", "name": "end"}
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    let mut c = h.run("X", &[("amount", Value::Int(500))]);
    assert_eq!(path(&mut c), ["start", "Big", "Merge", "end"]);
    let mut c = h.run("X", &[("amount", Value::Int(5))]);
    assert_eq!(path(&mut c), ["start", "Small", "Merge", "end"]);
}

#[test]
fn wcp6_multi_choice_and_wcp7_structured_synchronizing_merge() {
    let d = def(
        "M",
        json!({"activities": [
            {"id": "s", "name": "start", "andSplit": true, "transitions": [
                {"to": "A", "condition": "$a"}, {"to": "B", "condition": "$b"}, {"to": "C", "condition": "$c"}]},
            {"id": "A", "name": "A", "actions": [expr_action("(set name=\"seen\" (concat $seen \"A\"))")], "transitions": [{"to": "J"}]},
            {"id": "B", "name": "B", "actions": [expr_action("(set name=\"seen\" (concat $seen \"B\"))")], "transitions": [{"to": "J"}]},
            {"id": "C", "name": "C", "actions": [expr_action("(set name=\"seen\" (concat $seen \"C\"))")], "transitions": [{"to": "J"}]},
            {"id": "J", "name": "J", "andJoin": true, "actions": [expr_action("(set name=\"joined\" (add $joined 1))")], "transitions": [{"to": "end"}]},
            {"id": "e", "name": "end"}
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    let mut c = h.run(
        "M",
        &[
            ("a", Value::Int(1)),
            ("b", Value::Int(0)),
            ("c", Value::Int(1)),
            ("seen", Value::Str(String::new())),
        ],
    );
    assert_eq!(c.status(), InstanceStatus::Completed);
    assert_eq!(path(&mut c), ["start", "A", "C", "J", "end"]);
    assert_eq!(var(&mut c, "seen"), Value::Str("AC".into()));
    assert_eq!(var(&mut c, "joined"), Value::Int(1));
}

#[test]
fn wcp8_multi_merge_runs_the_merge_once_per_token() {
    let d = def(
        "MM",
        json!({"activities": [
            {"id": "s", "name": "start", "andSplit": true, "transitions": [{"to": "A"}, {"to": "B"}]},
            act("A", &["M"]), act("B", &["M"]),
            {"id": "M", "name": "M", "actions": [expr_action("(set name=\"m\" (add $m 1))")]}
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    let mut c = h.run("MM", &[]);
    assert_eq!(c.status(), InstanceStatus::Completed);
    assert_eq!(path(&mut c), ["start", "A", "B", "M", "M"]);
    assert_eq!(var(&mut c, "m"), Value::Int(2));
}

#[test]
fn wcp11_implicit_termination_without_end() {
    let d = def(
        "I",
        json!({"activities": [
            {"id": "s", "name": "start", "andSplit": true, "transitions": [{"to": "A"}, {"to": "B"}]},
            act("A", &[]), act("B", &[])
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    let mut c = h.run("I", &[]);
    assert_eq!(c.status(), InstanceStatus::Completed);
    assert_eq!(path(&mut c), ["start", "A", "B"]);
}

#[test]
fn no_matching_transition_fails_naming_the_activity() {
    let d = def(
        "F",
        json!({"activities": [
            {"id": "s", "name": "start", "transitions": [{"to": "Check"}]},
            {"id": "c", "name": "Check", "transitions": [{"to": "end", "condition": "0"}]},
            {"id": "e", "name": "end"}
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    let mut c = h.run("F", &[]);
    assert_eq!(c.status(), InstanceStatus::Failed);
    let reason = c.instance().reason.clone().unwrap();
    assert!(reason.contains("'Check'"), "{reason}");
}

fn manual(owner: &str, timeout: i64) -> J {
    json!({"kind": "manual", "owners": [owner], "timeout": timeout, "editableVariables": ["note"]})
}

#[test]
fn wcp16_deferred_choice_by_timeout_or_decision() {
    let d = def(
        "D",
        json!({"activities": [
            {"id": "s", "name": "start", "transitions": [{"to": "Ask"}]},
            {"id": "a", "name": "Ask", "actions": [manual("\"boss\"", 60)], "transitions": [
                {"to": "Escalate", "condition": "$WF_ACTION_TIMEOUT"},
                {"to": "Approved", "condition": "(eq $decision \"approve\")"},
                {"to": "Rejected"}]},
            act("Escalate", &["end"]), act("Approved", &["end"]), act("Rejected", &["end"]),
            {"id": "e", "name": "end"}
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    // Timeout wins.
    let mut c = h.run("D", &[]);
    assert_eq!(c.status(), InstanceStatus::Suspended);
    let out = c.take_outbox();
    assert_eq!(out.created.len(), 1);
    assert_eq!(out.created[0].owner, "boss");
    assert!(out.created[0].timeout_at.is_some());
    let (expired, _) = c.expire_due(chrono::Utc::now(), &mut h.rt());
    assert!(expired.is_empty(), "not due yet");
    let later = chrono::Utc::now() + chrono::Duration::minutes(61);
    let (expired, _) = c.expire_due(later, &mut h.rt());
    assert_eq!(expired, vec![out.created[0].id.clone()]);
    c.run(&mut h.rt());
    assert_eq!(c.status(), InstanceStatus::Completed);
    assert_eq!(path(&mut c), ["start", "Ask", "Escalate", "end"]);

    // The decision wins; editable variables come back, decision/comment are set.
    let mut c = h.run("D", &[]);
    let mut item = c.take_outbox().created.remove(0);
    item.complete = true;
    item.decision = Some("approve".into());
    item.comment = "fine".into();
    item.variables
        .insert("note".into(), Value::Str("edited".into()));
    item.variables.insert("sneaky".into(), Value::Int(1));
    c.complete_work_item(&item, &mut h.rt()).unwrap();
    c.run(&mut h.rt());
    assert_eq!(path(&mut c), ["start", "Ask", "Approved", "end"]);
    assert_eq!(var(&mut c, "decision"), Value::Str("approve".into()));
    assert_eq!(var(&mut c, "comment"), Value::Str("fine".into()));
    assert_eq!(var(&mut c, "note"), Value::Str("edited".into()));
    assert_eq!(var(&mut c, "sneaky"), Value::Null, "not editable");
}

#[test]
fn wcp43_reaching_end_withdraws_other_tokens() {
    let d = def(
        "T",
        json!({"activities": [
            {"id": "s", "name": "start", "andSplit": true, "transitions": [{"to": "Wait"}, {"to": "Fast"}]},
            {"id": "w", "name": "Wait", "actions": [manual("\"someone\"", 0)], "transitions": [{"to": "After"}]},
            act("After", &["end"]),
            act("Fast", &["end"]),
            {"id": "e", "name": "end"}
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    let mut c = h.run("T", &[]);
    assert_eq!(c.status(), InstanceStatus::Completed);
    assert_eq!(path(&mut c), ["start", "Wait", "Fast", "end"]);
    let out = c.take_outbox();
    assert_eq!(out.created.len(), 1);
    assert_eq!(out.cancelled.len(), 1);
    assert_eq!(out.cancelled[0].0, out.created[0].id);
}

#[test]
fn and_join_inside_a_loop_synchronizes_every_round() {
    let d = def(
        "L",
        json!({"activities": [
            {"id": "s", "name": "start", "transitions": [{"to": "Split"}]},
            {"id": "sp", "name": "Split", "andSplit": true, "transitions": [{"to": "A"}, {"to": "B"}]},
            {"id": "A", "name": "A", "transitions": [{"to": "A2"}]},
            act("A2", &["J"]),
            act("B", &["J"]),
            {"id": "J", "name": "J", "andJoin": true, "actions": [expr_action("(set name=\"round\" (add $round 1))")],
             "transitions": [{"to": "Split", "condition": "(lt $round 3)"}, {"to": "end"}]},
            {"id": "e", "name": "end"}
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    let mut c = h.run("L", &[]);
    assert_eq!(c.status(), InstanceStatus::Completed);
    let round = ["Split", "A", "B", "A2", "J"];
    let mut expected = vec!["start"];
    for _ in 0..3 {
        expected.extend(round);
    }
    expected.push("end");
    assert_eq!(path(&mut c), expected);
    assert_eq!(var(&mut c, "round"), Value::Int(3));
}

fn forever(max_steps: i64, execution_limit: i64) -> TaskDefinition {
    def(
        "Forever",
        json!({"maxSteps": max_steps, "_def": {"executionLimit": execution_limit}, "activities": [
            {"id": "s", "name": "start", "transitions": [{"to": "A"}]},
            {"id": "A", "name": "A", "actions": [expr_action("(set name=\"i\" (add $i 1))")], "transitions": [{"to": "B"}]},
            act("B", &["A"])
        ]}),
    )
}

#[test]
fn max_steps_terminates_with_a_reason() {
    let mut h = Harness::new(vec![forever(10, 0)]);
    let mut c = h.run("Forever", &[]);
    assert_eq!(c.status(), InstanceStatus::Terminated);
    let inst = c.instance().clone();
    assert!(
        inst.reason.as_deref().unwrap().contains("maxSteps of 10"),
        "{:?}",
        inst.reason
    );
    assert_eq!(inst.steps, 11);
    assert!(inst.finished.is_some());
}

#[test]
fn max_steps_zero_means_5000() {
    let mut h = Harness::new(vec![forever(0, 0)]);
    let mut c = h.run("Forever", &[]);
    assert_eq!(c.status(), InstanceStatus::Terminated);
    assert_eq!(c.instance().steps, 5001);
}

#[test]
fn execution_limit_terminates() {
    let mut h = Harness::new(vec![forever(i64::MAX, 1)]);
    let mut c = h.run("Forever", &[]);
    assert_eq!(c.status(), InstanceStatus::Terminated);
    let reason = c.instance().reason.clone().unwrap();
    assert!(reason.contains("executionLimit"), "{reason}");
}

#[test]
fn action_conditions_builtins_and_service_errors() {
    let d = def(
        "S",
        json!({"activities": [
            {"id": "s", "name": "start", "transitions": [{"to": "Work"}]},
            {"id": "w", "name": "Work", "actions": [
                {"kind": "service", "op": "echo", "arguments": [{"name": "value", "value": "(add 40 2)"}]},
                {"kind": "expression", "expression": "(set name=\"r1\" $WF_ACTION_RESULT)"},
                {"kind": "service", "op": "fail", "condition": "0"},
                {"kind": "expression", "expression": "(set name=\"sup\" $WF_ACTION_SUPPRESSED)"},
                {"kind": "service", "op": "nosuch"},
                {"kind": "expression", "expression": "(block (set name=\"err\" $WF_ACTION_ERROR) (set name=\"msg\" $WF_ACTION_RESULT))"},
                {"kind": "expression", "expression": "(set name=\"owner\" $WF_CASE_OWNER)"}
            ], "transitions": [{"to": "end"}]},
            {"id": "e", "name": "end"}
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    let mut c = h.run("S", &[]);
    assert_eq!(
        c.status(),
        InstanceStatus::Completed,
        "an action error does not stop the case"
    );
    assert_eq!(var(&mut c, "r1"), Value::Int(42));
    assert_eq!(var(&mut c, "sup"), Value::Bool(true));
    assert_eq!(var(&mut c, "err"), Value::Bool(true));
    assert!(
        var(&mut c, "msg")
            .to_text()
            .contains("Unknown WorkflowServices op")
    );
    assert_eq!(var(&mut c, "owner"), Value::Str("tester".into()));
    assert_eq!(
        h.services.calls.len(),
        2,
        "the suppressed call was not made"
    );
    let errors = &c.instance().result.errors;
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("Work"), "{errors:?}");
}

#[test]
fn scopes_shadowing_and_external() {
    let d = def(
        "V",
        json!({"variables": [{"name": "x", "value": "1"}, {"name": "y", "value": "1"}], "activities": [
            {"id": "s", "name": "start", "transitions": [{"to": "A"}]},
            {"id": "A", "name": "A",
             "variables": [{"name": "x", "value": "100"}, {"name": "y", "external": true}],
             "actions": [
                {"kind": "expression", "expression": "(block (set name=\"x\" (add $x 1)) (set name=\"y\" (add $y 1)) (set name=\"seenX\" $x))"},
                {"kind": "expression", "variables": [{"name": "tmp", "value": "7"}],
                 "expression": "(set name=\"tmp\" (add $tmp 1))", "returns": [{"from": "tmp", "to": "out"}]}
             ],
             "transitions": [{"to": "end"}]},
            {"id": "e", "name": "end"}
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    let mut c = h.run("V", &[]);
    assert_eq!(
        var(&mut c, "x"),
        Value::Int(1),
        "the activity's x shadows the case's"
    );
    assert_eq!(var(&mut c, "seenX"), Value::Int(101));
    assert_eq!(
        var(&mut c, "y"),
        Value::Int(2),
        "external assigns to the case variable"
    );
    assert_eq!(
        var(&mut c, "out"),
        Value::Int(8),
        "returns copy the action-local value out"
    );
    assert_eq!(var(&mut c, "tmp"), Value::Null, "action-local is gone");
}

fn parent_and_child() -> Vec<TaskDefinition> {
    let child = def(
        "Child",
        json!({"variables": [{"name": "n", "input": true}, {"name": "doubled", "output": true}], "activities": [
            {"id": "s", "name": "start", "transitions": [{"to": "Double"}]},
            {"id": "d", "name": "Double", "actions": [expr_action("(set name=\"doubled\" (add $n $n))")], "transitions": [{"to": "end"}]},
            {"id": "e", "name": "end"}
        ]}),
    );
    let parent = def(
        "Parent",
        json!({"activities": [
            {"id": "s", "name": "start", "transitions": [{"to": "Call"}]},
            {"id": "c", "name": "Call", "actions": [
                {"kind": "subprocess", "process": "Child", "arguments": [{"name": "n", "value": "21"}],
                 "returns": [{"from": "doubled", "to": "answer"}]},
                expr_action("(set name=\"after\" 1)")
            ], "transitions": [{"to": "end"}]},
            {"id": "e", "name": "end"}
        ]}),
    );
    vec![child, parent]
}

#[test]
fn subprocess_arguments_returns_and_path() {
    let mut h = Harness::new(parent_and_child());
    let mut c = h.run("Parent", &[]);
    assert_eq!(c.status(), InstanceStatus::Completed);
    assert_eq!(var(&mut c, "answer"), Value::Int(42));
    assert_eq!(
        var(&mut c, "doubled"),
        Value::Int(42),
        "output variables come back by name"
    );
    assert_eq!(
        path(&mut c),
        [
            "start",
            "Call",
            "Child/start",
            "Child/Double",
            "Child/end",
            "end"
        ]
    );
    assert_eq!(
        c.instance().steps,
        4,
        "subprocess steps count into the case"
    );
}

#[test]
fn unknown_subprocess_is_an_action_error() {
    let d = def(
        "Lonely",
        json!({"activities": [
            {"id": "s", "name": "start", "transitions": [{"to": "Call"}]},
            {"id": "c", "name": "Call", "actions": [{"kind": "subprocess", "process": "Nobody"}],
             "transitions": [{"to": "end"}]},
            {"id": "e", "name": "end"}
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    let mut c = h.run("Lonely", &[]);
    assert_eq!(c.status(), InstanceStatus::Completed);
    assert_eq!(var(&mut c, "WF_ACTION_ERROR"), Value::Bool(true));
}

#[test]
fn parse_error_fails_the_case_with_the_place() {
    let d = def(
        "Broken",
        json!({"activities": [
            {"id": "s", "name": "start", "transitions": [{"to": "A"}]},
            {"id": "a", "name": "A", "actions": [expr_action("(add 1")], "transitions": [{"to": "end"}]},
            {"id": "e", "name": "end"}
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    let mut c = h.run("Broken", &[]);
    assert_eq!(c.status(), InstanceStatus::Failed);
    let reason = c.instance().reason.clone().unwrap();
    assert!(
        reason.contains("activity 'A'") && reason.contains("action 1"),
        "{reason}"
    );
}

#[test]
fn step_into_over_and_out_of_a_subprocess() {
    let mut h = Harness::new(parent_and_child());
    // Step into: the child frame appears on the call stack.
    let mut c = h.start("Parent", &[]);
    let mut guard = 0;
    while !matches!(c.next_step(), Some(NextStep::Action { ref activity, .. }) if activity == "Call")
    {
        c.step(&mut h.rt(), Granularity::Action);
        guard += 1;
        assert!(guard < 20);
    }
    let ev = c.step(&mut h.rt(), Granularity::Action);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::SubprocessEntered { .. }))
    );
    let stack = c.call_stack();
    assert_eq!(stack.len(), 2);
    assert_eq!(stack[1].process, "Child");
    assert_eq!(stack[0].tokens[0].action, Some(0));
    // Step out: back in the parent, the call completed.
    c.step_out(&mut h.rt());
    assert_eq!(c.call_stack().len(), 1);
    assert_eq!(
        c.variables(0, Scope::Case).unwrap().get("answer"),
        Some(&Value::Int(42))
    );

    // Step over: the call is one step.
    let mut c = h.start("Parent", &[]);
    while !matches!(c.next_step(), Some(NextStep::Action { ref activity, action: 0, .. }) if activity == "Call")
    {
        c.step(&mut h.rt(), Granularity::Action);
    }
    let ev = c.step_over(&mut h.rt(), Granularity::Action);
    assert_eq!(c.call_stack().len(), 1);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::SubprocessReturned { .. }))
    );
    assert!(matches!(
        c.next_step(),
        Some(NextStep::Action { action: 1, .. })
    ));
}

#[test]
fn step_granularities_snapshot_and_restore() {
    let mut h = Harness::new(vec![forever(100, 0)]);
    let mut c = h.start("Forever", &[]);
    let ev = c.step(&mut h.rt(), Granularity::Transition);
    assert!(matches!(ev.last(), Some(Event::TransitionTaken { to, .. }) if to == "A"));
    let ev = c.step(&mut h.rt(), Granularity::Activity);
    assert!(matches!(ev.last(), Some(Event::ActivityEntered { activity, .. }) if activity == "A"));
    let snap = c.snapshot();
    let ev = c.step(&mut h.rt(), Granularity::Action);
    assert!(matches!(ev.last(), Some(Event::ActionRun { .. })));
    assert_eq!(c.variables(0, Scope::Case).unwrap()["i"], Value::Int(1));
    // Change a variable, then step back.
    assert!(c.set_variable(0, Scope::Case, "i", Value::Int(40)));
    c.restore(&snap);
    assert_eq!(
        c.variables(0, Scope::Case).unwrap().get("i"),
        None,
        "i did not exist yet"
    );
    c.step(&mut h.rt(), Granularity::Action);
    assert_eq!(c.variables(0, Scope::Case).unwrap()["i"], Value::Int(1));
    // Run until a predicate holds.
    c.run_until(&mut h.rt(), |c, _| {
        c.variables(0, Scope::Case).and_then(|v| v.get("i")) == Some(&Value::Int(5))
    });
    assert_eq!(c.variables(0, Scope::Case).unwrap()["i"], Value::Int(5));
    assert!(c.is_running());
}

#[test]
fn persisted_state_resumes_in_a_fresh_case() {
    let d = def(
        "R",
        json!({"activities": [
            {"id": "s", "name": "start", "transitions": [{"to": "Ask"}]},
            {"id": "a", "name": "Ask", "variables": [{"name": "local", "value": "\"kept\""}],
             "actions": [manual("$approver", 0), expr_action("(set name=\"copied\" $local)")],
             "transitions": [{"to": "end"}]},
            {"id": "e", "name": "end"}
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    let mut c = h.run("R", &[("approver", Value::Str("jsmith".into()))]);
    assert_eq!(c.status(), InstanceStatus::Suspended);
    let mut item = c.take_outbox().created.remove(0);
    assert_eq!(
        item.variables.get("local"),
        Some(&Value::Str("kept".into()))
    );
    let text = serde_json::to_string(&c.to_instance()).unwrap();
    drop(c);
    let inst: bpe::model::TaskInstance = serde_json::from_str(&text).unwrap();
    assert_eq!(inst.pending_work_items, vec![item.id.clone()]);
    let mut c = Case::resume(inst, &mut h.catalog).unwrap();
    item.decision = Some("reject".into());
    c.complete_work_item(&item, &mut h.rt()).unwrap();
    c.run(&mut h.rt());
    assert_eq!(c.status(), InstanceStatus::Completed);
    assert_eq!(var(&mut c, "copied"), Value::Str("kept".into()));
    assert_eq!(var(&mut c, "decision"), Value::Str("reject".into()));
}

#[test]
fn several_owners_each_get_an_item_and_all_must_complete() {
    let d = def(
        "Two",
        json!({"activities": [
            {"id": "s", "name": "start", "transitions": [{"to": "Ask"}]},
            {"id": "a", "name": "Ask", "actions": [{"kind": "manual", "owners": ["(list \"a\" \"b\")"]}],
             "transitions": [{"to": "end"}]},
            {"id": "e", "name": "end"}
        ]}),
    );
    let mut h = Harness::new(vec![d]);
    let mut c = h.run("Two", &[]);
    let items = c.take_outbox().created;
    assert_eq!(
        items.iter().map(|i| i.owner.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    c.complete_work_item(&items[0], &mut h.rt()).unwrap();
    c.run(&mut h.rt());
    assert_eq!(c.status(), InstanceStatus::Suspended, "still waiting for b");
    c.complete_work_item(&items[1], &mut h.rt()).unwrap();
    c.run(&mut h.rt());
    assert_eq!(c.status(), InstanceStatus::Completed);
}

#[test]
fn breakpoints_on_activity_action_and_transition_with_condition() {
    use bpe::engine::{BreakAt, Breakpoint, StopReason};
    let mut h = Harness::new(vec![forever(1000, 0)]);
    let mut c = h.start("Forever", &[]);
    let bps = vec![
        Breakpoint {
            process: None,
            at: BreakAt::Action {
                activity: "A".into(),
                action: 0,
            },
            condition: Some(bpe::expr::parse("(eq $i 3)").unwrap()),
        },
        Breakpoint {
            process: Some("Forever".into()),
            at: BreakAt::Transition {
                from: "A".into(),
                to: "B".into(),
            },
            condition: Some(bpe::expr::parse("(eq $i 5)").unwrap()),
        },
        Breakpoint {
            process: Some("Other".into()),
            at: BreakAt::Activity {
                activity: "B".into(),
            },
            condition: None,
        },
    ];
    let (_, why) = c.run_to_breakpoint(&mut h.rt(), &bps);
    assert_eq!(why, StopReason::Breakpoint(0));
    assert_eq!(c.variables(0, Scope::Case).unwrap()["i"], Value::Int(3));
    assert!(matches!(
        c.next_step(),
        Some(NextStep::Action { action: 0, .. })
    ));
    let (_, why) = c.run_to_breakpoint(&mut h.rt(), &bps);
    assert_eq!(why, StopReason::Breakpoint(1));
    assert_eq!(c.variables(0, Scope::Case).unwrap()["i"], Value::Int(5));
    let (_, why) = c.run_to_breakpoint(&mut h.rt(), &bps[2..]);
    assert_eq!(
        why,
        StopReason::NotRunning,
        "a breakpoint of another process never hits"
    );
    assert_eq!(c.status(), InstanceStatus::Terminated);
}

#[test]
fn result_trace_keeps_block_trace_lines_only_when_asked() {
    let traced = |keep: bool| {
        def(
            "Tr",
            json!({"_def": {"resultTrace": keep}, "activities": [
                {"id": "s", "name": "start", "transitions": [{"to": "A"}]},
                {"id": "a", "name": "A", "actions": [expr_action("(block trace=\"true\" (add 1 2))")],
                 "transitions": [{"to": "end"}]},
                {"id": "e", "name": "end"}
            ]}),
        )
    };
    let mut h = Harness::new(vec![traced(true)]);
    let mut c = h.run("Tr", &[]);
    assert!(!c.instance().result.trace.is_empty());
    let mut h = Harness::new(vec![traced(false)]);
    let mut c = h.start("Tr", &[]);
    let mut saw_trace = false;
    while c.is_running() {
        let ev = c.step(&mut h.rt(), Granularity::Action);
        saw_trace |= ev.iter().any(|e| matches!(e, Event::Trace { .. }));
    }
    assert!(saw_trace, "the debugger still sees trace events");
    assert!(c.instance().result.trace.is_empty());
}
