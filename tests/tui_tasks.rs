//! The tasks and work items screens at `update` level (issue 11): their store
//! operations (terminate, resume, forward, approve/reject) hand the re-reading of
//! the repository to the app as a `Request::Reload` instead of reloading inline,
//! and an opened case marks every activity it entered, also after a run longer
//! than the bounded history.

mod tui_common;

use std::collections::BTreeMap;
use std::path::Path;

use bpe::model::{InstanceStatus, TaskDefinition, TaskInstance};
use bpe::repo::Repository;
use bpe::tui::action::Action;
use bpe::tui::app::{App, update};
use bpe::tui::screen::Request;
use bpe::tui::tasks;
use serde_json::json;
use tui_common::debugger::*;
use tui_common::*;

fn on_disk(root: &Path, id: &str) -> TaskInstance {
    Repository::open(root)
        .unwrap()
        .instance(id)
        .unwrap()
        .value
        .clone()
}

fn in_app(app: &App, id: &str) -> InstanceStatus {
    app.repo.instance(id).unwrap().value.status
}

#[test]
fn terminating_a_case_asks_the_app_to_reload() {
    let (_dir, mut app) = sample_app();
    let (instance, _) = start_onboard(&app.root.clone());
    bpe::tui::sync::reload_repository(&mut app);
    update(&mut app, Action::ShowTasks);
    let row = app.tasks.rows.iter().position(|r| *r == instance).unwrap();
    app.tasks.selected = row;
    assert!(app.update_screen(Action::Terminate).is_empty());
    assert!(app.tasks.question.is_some());
    let requests = app.update_screen(Action::Yes);
    assert!(matches!(requests[..], [Request::Reload]), "{requests:?}");
    // Written, but not re-read inline: the app does that from its queue.
    assert_eq!(
        on_disk(&app.root, &instance).status,
        InstanceStatus::Terminated
    );
    assert_eq!(in_app(&app, &instance), InstanceStatus::Suspended);
    app.carry_out(requests);
    assert_eq!(in_app(&app, &instance), InstanceStatus::Terminated);
    assert_eq!(app.tasks.rows.get(app.tasks.selected), Some(&instance));
    // Nothing to resume now: a warning, no request.
    assert!(app.update_screen(Action::Resume).is_empty());
}

fn select_item(app: &mut App, item: &str) {
    update(app, Action::ShowWorkItems);
    update(app, Action::ToggleAll);
    app.work_items.selected = app.work_items.rows.iter().position(|r| r == item).unwrap();
}

#[test]
fn forwarding_and_deciding_a_work_item_ask_the_app_to_reload() {
    let (_dir, mut app) = sample_app();
    let (instance, item) = start_onboard(&app.root.clone());
    bpe::tui::sync::reload_repository(&mut app);
    select_item(&mut app, &item);
    assert!(app.update_screen(Action::Forward).is_empty());
    type_text(&mut app, "alice");
    let requests = app.update_screen(Action::Accept);
    assert!(matches!(requests[..], [Request::Reload]), "{requests:?}");
    assert_eq!(app.repo.work_item(&item).unwrap().value.owner, "jsmith");
    app.carry_out(requests);
    assert_eq!(app.repo.work_item(&item).unwrap().value.owner, "alice");
    // Approving without the question (the workspace turns it off).
    let mut ws = bpe::tui::workspace::Workspace::load(&app.root).unwrap();
    ws.confirm_decisions = Some(false);
    ws.save(&app.root).unwrap();
    let requests = app.update_screen(Action::Approve);
    assert!(matches!(requests[..], [Request::Reload]), "{requests:?}");
    assert_eq!(in_app(&app, &instance), InstanceStatus::Suspended);
    let notice = app.notice.as_ref().map(|n| n.text.clone()).unwrap();
    assert!(notice.contains(&format!("{item} approved")), "{notice}");
    app.carry_out(requests);
    assert_eq!(in_app(&app, &instance), InstanceStatus::Completed);
    assert!(!app.work_items.rows.contains(&item));
    ws.confirm_decisions = None;
    ws.save(&app.root).unwrap();
}

/// Counts to `n` in activity A, then ends; finished instances are kept.
fn count_definition(n: i64) -> serde_json::Value {
    json!({"formatVersion": 1, "id": "td-count", "name": "Count", "resultLimit": -1,
        "process": {"maxSteps": 1_000_000, "activities": [
            {"id": "0", "name": "start", "transitions": [{"to": "A"}]},
            {"id": "1", "name": "A", "actions": [{"kind": "expression", "expression": "(set name=\"i\" (add $i 1))"}],
             "transitions": [{"to": "end", "condition": format!("(gte $i {n})")}, {"to": "A"}]},
            {"id": "2", "name": "end"}]}})
}

/// Write the Count workflow (counting to `n`) into `root` and run it to its end, applied.
fn run_count(root: &Path, n: i64) -> bpe::engine::store::RunReport {
    std::fs::write(
        root.join("TaskDefinition/count.json"),
        serde_json::to_vec_pretty(&count_definition(n)).unwrap(),
    )
    .unwrap();
    let repo = Repository::open(root).unwrap();
    let mut services = bpe::tui::ask::services(&repo, false);
    let opts = bpe::engine::store::RunOptions {
        owner: "tester".into(),
        purpose: "test".into(),
        dry_run: false,
    };
    bpe::engine::store::start(root, "Count", &BTreeMap::new(), &mut services, &opts).unwrap()
}

#[test]
fn a_run_longer_than_the_history_marks_every_activity_it_entered() {
    let (_dir, app) = sample_app();
    let root = app.root.clone();
    let r = run_count(&root, 2 * bpe::engine::HISTORY_KEEP as i64);
    assert_eq!(r.instance.status, InstanceStatus::Completed);
    let inst = on_disk(&root, &r.instance.id);
    // The history no longer holds the entry into `start`...
    assert!(inst.history_dropped > 0);
    assert!(!bpe::engine::path_of(&inst.history).contains(&"start".to_string()));
    // ...yet all three activities are marked, and the last entered is `end`.
    let def: TaskDefinition = serde_json::from_value(count_definition(400)).unwrap();
    let (visited, last) = tasks::visited_indexes(&def, &inst);
    let mut names: Vec<&str> = visited
        .iter()
        .map(|&i| def.process.activities[i].name.as_str())
        .collect();
    names.sort();
    assert_eq!(names, ["A", "end", "start"]);
    assert_eq!(last, Some(2));
}

#[test]
fn saving_a_cached_version_asks_the_app_to_reload() {
    // The debug view wrote the copy through the core and used to re-read the
    // repository inline; now it asks the app (`Request::Reload`) like the
    // tasks and work items screens.
    let (_dir, mut app) = sample_app();
    start_onboard(&app.root.clone());
    bpe::tui::sync::reload_repository(&mut app);
    update(&mut app, Action::ShowDebugView);
    assert_eq!(app.screen, bpe::tui::app::Screen::DebugView);
    assert!(
        !app.debug_view.entries.is_empty(),
        "the run pinned a version"
    );
    let before = app.repo.definitions.len();
    let requests = app.update_screen(Action::SaveCopy);
    assert!(matches!(requests[..], [Request::Reload]), "{requests:?}");
    let notice = app.notice.as_ref().map(|n| n.text.clone()).unwrap();
    assert!(notice.starts_with("saved "), "{notice}");
    // Written, not re-read: the app does that from its queue.
    assert_eq!(app.repo.definitions.len(), before);
    app.carry_out(requests);
    assert_eq!(app.repo.definitions.len(), before + 1);
}

#[test]
fn a_case_whose_runner_died_stops_showing_running_in_the_browser_when_recounted() {
    let (_dir, first) = sample_app();
    let root = first.root.clone();
    let r = run_count(&root, 3);
    // The case as a live runner leaves it on disk: `running`, its lock held.
    let mut inst = on_disk(&root, &r.instance.id);
    inst.status = InstanceStatus::Running;
    bpe::repo::write_instance(&root, &inst).unwrap();
    let runner = bpe::repo::lock::acquire(
        &root,
        bpe::repo::lock::LockTarget::Instance(inst.id.clone()),
        bpe::repo::lock::LockMode::Exclusive,
        "bpe run",
    )
    .unwrap();
    let mut app = tui_common::app(&root);
    let count = |app: &App| {
        let i = app
            .repo
            .definitions
            .iter()
            .position(|d| d.value.name == "Count")
            .unwrap();
        let b = &app.browser.badges[i];
        (b.live, b.running)
    };
    assert_eq!(count(&app), (1, 1));
    // Nothing changed: recounting keeps the badge.
    assert!(!app.browser.recount_running(&app.repo));
    // The runner dies without writing a file: the recount (on the lock timer or
    // a lock-file event) no longer shows it running; it is still unfinished.
    drop(runner);
    assert!(app.browser.recount_running(&app.repo));
    assert_eq!(count(&app), (1, 0));
}
