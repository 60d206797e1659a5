//! The persistence layer over a temporary repository: pinning, locks, work items,
//! timeouts, result limits.

use std::collections::BTreeMap;
use std::path::Path;

use bpe::engine::store::{self, Completion, RunOptions, StoreError};
use bpe::expr::Value;
use bpe::model::{InstanceStatus, TaskInstance, WorkItem};
use bpe::repo::Repository;
use bpe::repo::lock::{self, LockMode, LockTarget};
use serde_json::json;

mod engine_common;
use engine_common::*;

/// Approval with a manual action; the outcome activity records `version`.
fn approval(version: &str, result_limit: i64) -> serde_json::Value {
    json!({
        "formatVersion": 1, "id": "td-approval", "name": "Approval", "resultLimit": result_limit,
        "process": {"activities": [
            {"id": "0", "name": "start", "transitions": [{"to": "Ask"}]},
            {"id": "1", "name": "Ask", "actions": [
                {"kind": "manual", "owners": ["$approver"], "timeout": 60,
                 "exposedVariables": ["title", "approver"], "editableVariables": ["title"]}],
             "transitions": [
                {"to": "Late", "condition": "$WF_ACTION_TIMEOUT"},
                {"to": "Done"}]},
            {"id": "2", "name": "Done", "actions": [
                {"kind": "expression", "expression": format!("(set name=\"version\" \"{version}\")")}],
             "transitions": [{"to": "end"}]},
            {"id": "3", "name": "Late", "transitions": [{"to": "end"}]},
            {"id": "4", "name": "end"}
        ]}
    })
}

fn inputs() -> BTreeMap<String, Value> {
    [
        ("approver".to_string(), Value::Str("jsmith".into())),
        ("title".to_string(), Value::Str("Engineer".into())),
    ]
    .into_iter()
    .collect()
}

fn opts() -> RunOptions {
    RunOptions {
        owner: "tester".into(),
        purpose: "test".into(),
        dry_run: false,
    }
}

/// Start the "Approval" fixture (already written under `root`) with the usual inputs.
fn start_approval(root: &Path) -> store::RunReport {
    store::start(
        root,
        "Approval",
        &inputs(),
        &mut NoServices::default(),
        &opts(),
    )
    .unwrap()
}

fn instance_on_disk(root: &Path, id: &str) -> Option<TaskInstance> {
    let repo = Repository::open(root).unwrap();
    repo.instance(id).map(|l| l.value.clone())
}

fn item_on_disk(root: &Path, id: &str) -> WorkItem {
    Repository::open(root)
        .unwrap()
        .work_item(id)
        .unwrap()
        .value
        .clone()
}

#[test]
fn suspend_complete_and_finish_on_the_pinned_version() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_def(root, "approval.json", approval("v1", -1));
    let report = start_approval(root);
    assert_eq!(report.instance.status, InstanceStatus::Suspended);
    assert_eq!(report.work_items.len(), 1);
    let item = &report.work_items[0];
    assert_eq!(item.owner, "jsmith");
    assert!(item.timeout_at.is_some());
    assert_eq!(
        item.variables.keys().collect::<Vec<_>>(),
        ["approver", "title"]
    );
    let on_disk = instance_on_disk(root, &report.instance.id).unwrap();
    assert_eq!(on_disk.status, InstanceStatus::Suspended);
    assert_eq!(on_disk.pending_work_items, vec![item.id.clone()]);
    assert!(!on_disk.state.is_null());

    // Edit the definition while the case waits: it must finish on v1.
    write_def(root, "approval.json", approval("v2", -1));
    let done = store::complete(
        root,
        &item.id,
        &Completion {
            decision: Some("approve".into()),
            comment: "ok".into(),
            variables: [("title".to_string(), Value::Str("Senior Engineer".into()))].into(),
        },
        &mut NoServices::default(),
        &opts(),
    )
    .unwrap();
    assert_eq!(done.instance.status, InstanceStatus::Completed);
    let vars = &done.instance.variables;
    assert_eq!(vars["version"], Value::Str("v1".into()));
    assert_eq!(vars["title"], Value::Str("Senior Engineer".into()));
    assert_eq!(vars["decision"], Value::Str("approve".into()));
    assert_eq!(vars["comment"], Value::Str("ok".into()));
    let item = item_on_disk(root, &item.id);
    assert!(item.complete);
    assert_eq!(item.decision.as_deref(), Some("approve"));
    // Kept (resultLimit -1), finished, no engine state left.
    let on_disk = instance_on_disk(root, &done.instance.id).unwrap();
    assert_eq!(on_disk.status, InstanceStatus::Completed);
    assert!(on_disk.state.is_null());
}

#[test]
fn a_deleted_definition_still_resumes_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_def(root, "approval.json", approval("v1", -1));
    let report = start_approval(root);
    std::fs::remove_file(root.join("TaskDefinition/approval.json")).unwrap();
    let done = store::complete(
        root,
        &report.work_items[0].id,
        &Completion::default(),
        &mut NoServices::default(),
        &opts(),
    )
    .unwrap();
    assert_eq!(done.instance.status, InstanceStatus::Completed);
    assert_eq!(done.instance.variables["version"], Value::Str("v1".into()));
}

#[test]
fn non_editable_variables_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_def(root, "approval.json", approval("v1", -1));
    let report = start_approval(root);
    let err = store::complete(
        root,
        &report.work_items[0].id,
        &Completion {
            variables: [("approver".to_string(), Value::Str("me".into()))].into(),
            ..Default::default()
        },
        &mut NoServices::default(),
        &opts(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not editable"), "{err}");
}

#[test]
fn a_second_runner_is_refused_with_the_holder_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_def(root, "approval.json", approval("v1", -1));
    let report = start_approval(root);
    let held = lock::acquire(
        root,
        LockTarget::Instance(report.instance.id.clone()),
        LockMode::Exclusive,
        "another runner",
    )
    .unwrap();
    let err = store::complete(
        root,
        &report.work_items[0].id,
        &Completion::default(),
        &mut NoServices::default(),
        &opts(),
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Locked(_)), "{err:?}");
    assert!(err.to_string().contains("another runner"), "{err}");
    drop(held);
    // The work item is still pending and the case still waits.
    assert!(!item_on_disk(root, &report.work_items[0].id).complete);
}

#[test]
fn due_timeouts_resume_the_case_through_the_timeout_transition() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_def(root, "approval.json", approval("v1", -1));
    let report = start_approval(root);
    let now = chrono::Utc::now();
    let none = store::apply_due_timeouts_with(root, &mut NoServices::default(), now).unwrap();
    assert!(none.is_empty());
    let later = now + chrono::Duration::minutes(61);
    let resumed = store::apply_due_timeouts_with(root, &mut NoServices::default(), later).unwrap();
    assert_eq!(resumed.len(), 1);
    let inst = instance_on_disk(root, &report.instance.id).unwrap();
    assert_eq!(inst.status, InstanceStatus::Completed);
    assert_eq!(
        bpe::engine::path_of(&inst.history),
        ["start", "Ask", "Late", "end"]
    );
    let item = item_on_disk(root, &report.work_items[0].id);
    assert!(item.complete);
}

#[test]
fn forward_and_terminate() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_def(root, "approval.json", approval("v1", -1));
    let report = start_approval(root);
    let id = &report.work_items[0].id;
    let item = store::forward(root, id, "mjones", "on leave", "test").unwrap();
    assert_eq!(item.owner, "mjones");
    assert_eq!(item.forwarded[0].from, "jsmith");
    let inst = instance_on_disk(root, &report.instance.id).unwrap();
    assert!(inst.history.iter().any(|h| matches!(&h.event,
        bpe::model::HistoryKind::WorkItemForwarded { to, .. } if to == "mjones")));
    let inst = store::terminate(root, &report.instance.id, "test").unwrap();
    assert_eq!(inst.status, InstanceStatus::Terminated);
    assert!(item_on_disk(root, id).complete, "pending items are closed");
    assert!(store::terminate(root, &report.instance.id, "test").is_err());
}

#[test]
fn result_limit_zero_removes_and_positive_expires() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let quick = json!({"formatVersion": 1, "id": "td-q", "name": "Quick", "resultLimit": 0,
        "process": {"activities": [{"id": "0", "name": "start", "transitions": [{"to": "end"}]}, {"id": "1", "name": "end"}]}});
    write_def(root, "quick.json", quick);
    let r = store::start(
        root,
        "Quick",
        &BTreeMap::new(),
        &mut NoServices::default(),
        &opts(),
    )
    .unwrap();
    assert_eq!(r.instance.status, InstanceStatus::Completed);
    assert!(!r.kept);
    assert!(instance_on_disk(root, &r.instance.id).is_none());

    let kept = json!({"formatVersion": 1, "id": "td-k", "name": "Kept", "resultLimit": 60,
        "process": {"activities": [{"id": "0", "name": "start", "transitions": [{"to": "end"}]}, {"id": "1", "name": "end"}]}});
    write_def(root, "kept.json", kept);
    let r = store::start(
        root,
        "Kept",
        &BTreeMap::new(),
        &mut NoServices::default(),
        &opts(),
    )
    .unwrap();
    assert!(r.kept);
    assert!(
        store::expire_results(root, chrono::Utc::now())
            .unwrap()
            .is_empty()
    );
    let later = chrono::Utc::now() + chrono::Duration::seconds(61);
    assert_eq!(
        store::expire_results(root, later).unwrap(),
        vec![r.instance.id.clone()]
    );
    assert!(instance_on_disk(root, &r.instance.id).is_none());
}

#[test]
fn subprocess_definitions_are_pinned_in_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_def(root, "approval.json", approval("v1", -1));
    write_def(
        root,
        "parent.json",
        json!({"formatVersion": 1, "id": "td-parent", "name": "Parent", "resultLimit": -1,
        "process": {"activities": [
            {"id": "0", "name": "start", "transitions": [{"to": "Call"}]},
            {"id": "1", "name": "Call", "actions": [{"kind": "subprocess", "process": "Approval",
                "arguments": [{"name": "approver", "value": "\"jsmith\""}], "returns": [{"from": "version", "to": "childVersion"}]}],
             "transitions": [{"to": "end"}]},
            {"id": "2", "name": "end"}]}}),
    );
    let r = store::start(
        root,
        "Parent",
        &BTreeMap::new(),
        &mut NoServices::default(),
        &opts(),
    )
    .unwrap();
    assert_eq!(r.instance.status, InstanceStatus::Suspended);
    assert_eq!(r.work_items[0].definition.name, "Approval");
    std::fs::remove_file(root.join("TaskDefinition/approval.json")).unwrap();
    let done = store::complete(
        root,
        &r.work_items[0].id,
        &Completion::default(),
        &mut NoServices::default(),
        &opts(),
    )
    .unwrap();
    assert_eq!(done.instance.status, InstanceStatus::Completed);
    assert_eq!(
        done.instance.variables["childVersion"],
        Value::Str("v1".into())
    );
    assert_eq!(
        bpe::engine::path_of(&done.instance.history),
        [
            "start",
            "Call",
            "Approval/start",
            "Approval/Ask",
            "Approval/Done",
            "Approval/end",
            "end"
        ]
    );
}

#[test]
fn a_definition_that_does_not_compile_gives_a_failed_instance() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_def(
        root,
        "broken.json",
        json!({"formatVersion": 1, "id": "td-b", "name": "Broken", "resultLimit": -1,
        "process": {"activities": [
            {"id": "0", "name": "start", "transitions": [{"to": "end", "condition": "(eq 1"}]},
            {"id": "1", "name": "end"}]}}),
    );
    let r = store::start(
        root,
        "Broken",
        &BTreeMap::new(),
        &mut NoServices::default(),
        &opts(),
    )
    .unwrap();
    assert_eq!(r.instance.status, InstanceStatus::Failed);
    let reason = r.instance.reason.clone().unwrap();
    assert!(
        reason.contains("transition to 'end'") && reason.contains("cannot parse"),
        "{reason}"
    );
    assert_eq!(
        instance_on_disk(root, &r.instance.id).unwrap().status,
        InstanceStatus::Failed
    );
}

#[test]
fn a_debugger_session_holds_the_locks_steps_and_persists() {
    use bpe::engine::{Granularity, Runtime};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_def(root, "approval.json", approval("v1", -1));
    let mut s = store::Session::start(root, "Approval", &inputs(), &opts()).unwrap();
    let id = s.case().id().to_string();
    let mut services = NoServices::default();
    {
        let (case, catalog) = s.parts();
        let mut rt = Runtime {
            services: &mut services,
            catalog,
        };
        case.step(&mut rt, Granularity::Activity); // enters start
        case.step(&mut rt, Granularity::Activity); // enters Ask
    }
    s.persist().unwrap();
    let on_disk = instance_on_disk(root, &id).unwrap();
    assert_eq!(on_disk.status, InstanceStatus::Running);
    assert_eq!(on_disk.current_activities, ["Ask"]);
    // Nobody else can advance it meanwhile.
    assert!(matches!(
        store::Session::resume(root, &id, "other"),
        Err(StoreError::Locked(_))
    ));
    {
        let (case, catalog) = s.parts();
        case.run(&mut Runtime {
            services: &mut services,
            catalog,
        });
    }
    s.persist().unwrap();
    assert_eq!(s.created_work_items().len(), 1);
    drop(s);
    let on_disk = instance_on_disk(root, &id).unwrap();
    assert_eq!(on_disk.status, InstanceStatus::Suspended);
    let s = store::Session::resume(root, &id, "debugger").unwrap();
    assert_eq!(s.case().pending_items().len(), 1);
}
