//! Limits on what a case may hold and persist: value depth and size, the size of an
//! instance file, and the depth of subprocess calls. Every test checks that the
//! action (or completion) fails with a clear error and that what was written loads.

use std::collections::BTreeMap;
use std::path::Path;

use bpe::engine::store::{self, Completion, RunOptions};
use bpe::expr::Value;
use bpe::model::InstanceStatus;
use bpe::repo::Repository;
use serde_json::json;

mod engine_common;
use engine_common::*;

/// A definition named `name` whose one activity `Work` runs `expressions` in order,
/// then (when `manual`) waits for a work item.
fn def_with(name: &str, expressions: &[String], manual: bool) -> serde_json::Value {
    let mut actions: Vec<serde_json::Value> = expressions
        .iter()
        .map(|e| json!({"kind": "expression", "expression": e}))
        .collect();
    if manual {
        actions.push(json!({"kind": "manual", "owners": ["\"tester\""],
            "exposedVariables": ["answer"], "editableVariables": ["answer"]}));
    }
    def(name, json!(actions), json!([{"to": "end"}]))
}

/// start -> Work (`actions`, then `transitions`) -> end; finished instances are kept.
fn def(
    name: &str,
    actions: serde_json::Value,
    transitions: serde_json::Value,
) -> serde_json::Value {
    json!({
        "formatVersion": 1, "id": format!("td-{name}"), "name": name, "resultLimit": -1,
        "process": {"activities": [
            {"id": "0", "name": "start", "transitions": [{"to": "Work"}]},
            {"id": "1", "name": "Work", "actions": actions, "transitions": transitions},
            {"id": "2", "name": "end"}
        ]}
    })
}

fn opts() -> RunOptions {
    RunOptions {
        owner: "tester".into(),
        purpose: "test".into(),
        dry_run: false,
    }
}

fn run(root: &Path, name: &str) -> store::RunReport {
    store::start(
        root,
        name,
        &BTreeMap::new(),
        &mut NoServices::default(),
        &opts(),
    )
    .unwrap()
}

/// Every file in the repository loads again, and the instance is there.
fn reloads(root: &Path, instance: &str) -> Repository {
    let repo = Repository::open(root).unwrap();
    assert!(
        repo.errors.is_empty(),
        "files that do not load: {:?}",
        repo.errors
    );
    assert!(
        repo.instance(instance).is_some(),
        "instance {instance} missing"
    );
    repo
}

/// `(list (list … x))`, `n` levels around `x`.
fn wrap(n: usize, x: &str) -> String {
    format!("{}{x}{}", "(list ".repeat(n), ")".repeat(n))
}

#[test]
fn a_value_nested_deeper_than_the_limit_is_refused_by_the_action_built_in_a_loop() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Each pass wraps the variable in 50 more lists; reads of `$x` stay legal
    // (it is under 100 levels when read) until the write that crosses the limit.
    let e = format!(
        "(block (set name=\"x\" 0) (while (lt $i 3) (set name=\"i\" (add $i 1)) (set name=\"x\" {})))",
        wrap(50, "$x")
    );
    write_def(root, "deep.json", def_with("Deep", &[e], false));
    let report = run(root, "Deep");
    let errors = &report.instance.result.errors;
    assert!(
        errors
            .iter()
            .any(|e| e.contains("nested deeper than 100 levels") && e.contains("'x'")),
        "{errors:?}"
    );
    let repo = reloads(root, &report.instance.id);
    let inst = &repo.instance(&report.instance.id).unwrap().value;
    assert_eq!(inst.status, InstanceStatus::Completed);
}

#[test]
fn a_deep_value_entering_through_a_work_item_is_refused_by_complete() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_def(root, "ask.json", def_with("Ask", &[], true));
    let report = run(root, "Ask");
    let item = report.work_items[0].id.clone();
    // 110 levels: the work item file itself would still load, the instance not.
    let mut deep = Value::Int(1);
    for _ in 0..110 {
        deep = Value::List(vec![deep]);
    }
    let completion = Completion {
        decision: Some("approve".into()),
        comment: String::new(),
        variables: [("answer".to_string(), deep)].into_iter().collect(),
    };
    let err = store::complete(
        root,
        &item,
        &completion,
        &mut NoServices::default(),
        &opts(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("answer") && err.contains("nested deeper than 100"),
        "{err}"
    );
    let repo = reloads(root, &report.instance.id);
    assert!(!repo.work_item(&item).unwrap().value.complete);
}

#[test]
fn a_loop_growing_a_list_each_pass_fails_at_the_value_bound_and_stays_loadable() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Each pass through `Work` appends a string of 1,000,000 characters; the
    // fifth pass would cross the 4 MiB bound on one variable. (Element counts
    // are measured the same way: engine::limits' unit tests.)
    let grow = "(set name=\"l\" (append $l (pad \"x\" 1000000)))";
    let actions = json!([
        {"kind": "expression", "expression": grow},
        {"kind": "expression", "expression": "(set name=\"n\" (add $n 1))"}
    ]);
    let again = json!([{"to": "Work", "condition": "(lt $n 6)"}, {"to": "end"}]);
    write_def(root, "grow.json", def("Grow", actions, again));
    let report = run(root, "Grow");
    let errors = &report.instance.result.errors;
    assert_eq!(errors.len(), 2, "passes 5 and 6 fail: {errors:?}");
    assert!(
        errors[0].contains("variable 'l': value larger than 4 MiB"),
        "{errors:?}"
    );
    let repo = reloads(root, &report.instance.id);
    let inst = &repo.instance(&report.instance.id).unwrap().value;
    assert_eq!(inst.status, InstanceStatus::Completed);
    let state = inst.state.to_string();
    assert!(
        state.len() < 8 << 20,
        "instance state is {} bytes",
        state.len()
    );
}

#[test]
fn a_self_calling_subprocess_stops_at_the_depth_limit_naming_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let call = json!([{"kind": "subprocess", "process": "Again"}]);
    write_def(
        root,
        "again.json",
        def("Again", call, json!([{"to": "end"}])),
    );
    let report = run(root, "Again");
    let errors = &report.instance.result.errors;
    assert_eq!(errors.len(), 1, "{errors:?}");
    let chain = vec!["Again"; bpe::engine::MAX_SUBPROCESS_DEPTH + 1].join(" -> ");
    assert!(
        errors[0].contains("calls nested deeper than 32 processes") && errors[0].ends_with(&chain),
        "{errors:?}"
    );
    let repo = reloads(root, &report.instance.id);
    assert_eq!(
        repo.instance(&report.instance.id).unwrap().value.status,
        InstanceStatus::Completed
    );
}
