//! The operations screens driven at `update` level through Actions (and typed
//! text for prompts): the debugger on "Onboard Employee" and on "Contractor
//! Renewal" (which calls the "Approval" subprocess: Onboard Employee does not),
//! the debug view's cache clearing and timestamped copy with re-pointing, and the
//! work items / tasks screens; plus snapshots of each screen at 80x24 and 120x40.

mod tui_common;

use std::collections::BTreeMap;
use std::path::Path;

use bpe::engine::NextStep;
use bpe::engine::store::{self, RunOptions};
use bpe::expr::Value;
use bpe::model::InstanceStatus;
use bpe::tui::action::Action;
use bpe::tui::app::{App, Screen, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tui_common::debugger::*;
use tui_common::*;

#[test]
fn debugger_onboard_employee_breakpoint_variable_step_back_and_end() {
    let (dir, mut app) = sample_app();
    debug(&mut app, "Onboard Employee");
    fill_onboard(&mut app);
    // A breakpoint on the approval activity, typed.
    update(&mut app, Action::AddBreakpoint);
    answer(&mut app, "Manager Approval");
    update(&mut app, Action::AddWatch);
    answer(&mut app, "(concat $firstName \"/\" $title)");
    // Continue: starts the run and stops before entering Manager Approval.
    update(&mut app, Action::Continue);
    assert_eq!(status(&app), InstanceStatus::Running);
    assert!(
        matches!(next(&app), Some(NextStep::Enter { ref activity, .. }) if activity == "Manager Approval"),
        "{:?}",
        next(&app)
    );
    let d = app.debugger.as_ref().unwrap();
    assert!(d.stopped.contains("breakpoint"), "{}", d.stopped);
    assert!(
        d.session
            .as_ref()
            .unwrap()
            .path
            .contains(&"Check Separation of Duties".to_string())
    );
    // Change a variable mid-run (JSON), and another from an expression.
    update(&mut app, Action::SetVariable);
    answer(&mut app, "title = \"Principal Engineer\"");
    assert_eq!(var(&app, "title"), Value::Str("Principal Engineer".into()));
    update(&mut app, Action::SetVariable);
    answer(&mut app, "department = (upcase $department)");
    assert_eq!(var(&app, "department"), Value::Str("ENGINEERING".into()));
    let d = app.debugger.as_ref().unwrap();
    assert_eq!(
        d.session.as_ref().unwrap().watch_values,
        vec!["\"Ada/Principal Engineer\"".to_string()]
    );
    // Step: enter the activity, then its actions, until the manual action suspends.
    let mut guard = 0;
    while status(&app) == InstanceStatus::Running {
        update(&mut app, Action::Step);
        guard += 1;
        assert!(guard < 20, "never suspended");
    }
    assert_eq!(status(&app), InstanceStatus::Suspended);
    let items = app
        .debugger
        .as_ref()
        .unwrap()
        .session
        .as_ref()
        .unwrap()
        .items
        .clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].owner, "jsmith");
    // Two steps back: running again, before the manual action.
    act(&mut app, &[Action::StepBack, Action::StepBack]);
    assert_eq!(status(&app), InstanceStatus::Running);
    assert!(
        app.debugger
            .as_ref()
            .unwrap()
            .session
            .as_ref()
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        matches!(next(&app), Some(NextStep::Action { ref activity, .. }) if activity == "Manager Approval"),
        "{:?}",
        next(&app)
    );
    // On: continue reaches the manual action again; approve inline; continue to the end.
    update(&mut app, Action::Continue);
    assert_eq!(status(&app), InstanceStatus::Suspended);
    // Set inline while the manual action waits: the approval keeps it.
    update(&mut app, Action::SetVariable);
    answer(&mut app, "startDate = \"2027-01-04\"");
    update(&mut app, Action::Approve);
    update(&mut app, Action::Yes); // the question before deciding
    update(&mut app, Action::Continue);
    assert_eq!(status(&app), InstanceStatus::Completed);
    assert_eq!(var(&app, "outcome"), Value::Str("onboarded".into()));
    assert_eq!(var(&app, "title"), Value::Str("Principal Engineer".into()));
    assert_eq!(var(&app, "startDate"), Value::Str("2027-01-04".into()));
    let path = app
        .debugger
        .as_ref()
        .unwrap()
        .session
        .as_ref()
        .unwrap()
        .path
        .clone();
    assert_eq!(path.last().map(String::as_str), Some("end"));
    assert!(path.contains(&"Create Identity".to_string()), "{path:?}");
    // A dry run wrote nothing into the repository.
    assert!(
        !dir.path().join("TaskInstance").exists()
            || std::fs::read_dir(dir.path().join("TaskInstance"))
                .unwrap()
                .next()
                .is_none()
    );
    assert!(
        !dir.path().join("Outbox").exists()
            || std::fs::read_dir(dir.path().join("Outbox"))
                .unwrap()
                .next()
                .is_none()
    );
    // The breakpoint, the watch and the inputs are in the workspace file.
    let ws = bpe::tui::workspace::Workspace::load(dir.path()).unwrap();
    assert!(ws.breakpoints.iter().any(|b| b.at == "Manager Approval"));
    assert_eq!(ws.watches.len(), 1);
    assert_eq!(
        ws.inputs["Onboard Employee"]["firstName"],
        serde_json::json!("Ada")
    );
    let file = bpe::tui::workspace::file_for(dir.path()).unwrap();
    assert!(file.starts_with(data_dir()), "{}", file.display());
}

#[test]
fn debugger_steps_into_and_out_of_the_approval_subprocess() {
    let (_dir, mut app) = sample_app();
    debug(&mut app, "Contractor Renewal");
    fill(&mut app, "accountId", "rkim");
    fill(&mut app, "newEndDate", "2027-12-31");
    update(&mut app, Action::Step); // starts
    let mut guard = 0;
    while stack_len(&app) == 1 {
        update(&mut app, Action::StepInto);
        guard += 1;
        assert!(guard < 30, "never entered the subprocess");
    }
    // Into Approval: the diagram shows the subprocess.
    let d = app.debugger.as_ref().unwrap();
    assert_eq!(d.shown().unwrap().0.name, "Approval");
    assert!(d.trace.iter().any(|l| l.contains("into Approval")));
    // Step out: the manual action inside suspends the case first.
    update(&mut app, Action::StepOut);
    assert_eq!(status(&app), InstanceStatus::Suspended);
    assert_eq!(stack_len(&app), 2);
    update(&mut app, Action::Approve);
    update(&mut app, Action::Yes); // the question before deciding
    update(&mut app, Action::StepOut);
    assert_eq!(stack_len(&app), 1, "back in Contractor Renewal");
    assert_eq!(
        app.debugger.as_ref().unwrap().shown().unwrap().0.name,
        "Contractor Renewal"
    );
    assert_eq!(var(&app, "decision"), Value::Str("approve".into()));
    // Step over from here on to the end.
    let mut guard = 0;
    while status(&app) == InstanceStatus::Running {
        update(&mut app, Action::StepOver);
        guard += 1;
        assert!(guard < 40, "never finished");
    }
    assert_eq!(status(&app), InstanceStatus::Completed);
    assert_eq!(var(&app, "outcome"), Value::Str("renewed".into()));
    // A dry run (the default) writes nothing: not even the cache entry of the
    // subprocess version it stepped through (docs/security.md, "Dry runs").
    let cache = app.root.join(".bpe/cache");
    let entries = std::fs::read_dir(&cache).map(|d| d.count()).unwrap_or(0);
    assert_eq!(entries, 0, "cache entries written by a dry debug run");
}

#[test]
fn clearing_the_cache_names_the_suspended_case_and_a_timestamped_copy_keeps_it_going() {
    let (dir, mut app) = sample_app();
    let root = dir.path().to_path_buf();
    let (instance, item) = start_onboard(&root);
    bpe::tui::sync::reload_repository(&mut app);
    update(&mut app, Action::ShowDebugView);
    assert_eq!(app.screen, Screen::DebugView);
    assert_eq!(app.debug_view.entries.len(), 1);
    // Clear: the confirmation names the instance and its work item.
    update(&mut app, Action::ClearCache);
    let q = app.debug_view.question.as_ref().expect("asks first");
    let text = q.lines.join("\n");
    assert!(text.contains(&instance), "{text}");
    assert!(text.contains(&item), "{text}");
    update(&mut app, Action::No);
    assert_eq!(app.debug_view.entries.len(), 1, "pinned entry kept");
    // Save a timestamped copy of the pinned version and re-point the instance to it.
    update(&mut app, Action::SaveCopyRepoint);
    let inst = app.repo.instance(&instance).unwrap().value.clone();
    assert!(
        inst.definition.name.starts_with("Onboard Employee 20"),
        "{}",
        inst.definition.name
    );
    // The original is no longer pinned: clearing evicts it; the copy is pinned (answer yes now
    // would orphan it, so no).
    update(&mut app, Action::ClearCache);
    assert!(app.debug_view.question.is_some());
    update(&mut app, Action::No);
    assert!(
        app.debug_view
            .entries
            .iter()
            .all(|e| e.name != "Onboard Employee")
    );
    // Change the original on disk: its old version exists nowhere now.
    let path = root.join("TaskDefinition/onboard-employee.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("Manager decides", "Manager chooses")).unwrap();
    // Approve in the work items screen: the case resumes on the copy and completes.
    bpe::tui::sync::reload_repository(&mut app);
    update(&mut app, Action::ShowWorkItems);
    update(&mut app, Action::ToggleAll);
    assert!(app.work_items.rows.contains(&item));
    let at = app.work_items.rows.iter().position(|r| *r == item).unwrap();
    app.work_items.selected = at;
    update(&mut app, Action::Approve);
    update(&mut app, Action::Yes);
    let done = app.repo.instance(&instance).unwrap().value.clone();
    assert_eq!(done.status, InstanceStatus::Completed, "{:?}", app.notice);
    assert!(done.definition.name.starts_with("Onboard Employee 20"));
    let notice = app.notice.as_ref().unwrap().text.clone();
    assert!(notice.contains("completed"), "{notice}");
}

#[test]
fn work_items_are_mine_by_default_and_forwarding_moves_them() {
    let (dir, mut app) = sample_app();
    let (_instance, item) = start_onboard(dir.path());
    bpe::tui::sync::reload_repository(&mut app);
    app.work_items.user = "nobody".into();
    update(&mut app, Action::ShowWorkItems);
    assert!(app.work_items.rows.is_empty(), "jsmith's item is not mine");
    update(&mut app, Action::ToggleAll);
    assert_eq!(app.work_items.rows, vec![item.clone()]);
    update(&mut app, Action::Open);
    update(&mut app, Action::Comment);
    answer(&mut app, "on holiday");
    update(&mut app, Action::Forward);
    answer(&mut app, "nobody");
    let w = app.repo.work_item(&item).unwrap().value.clone();
    assert_eq!(w.owner, "nobody");
    assert_eq!(w.forwarded[0].comment, "on holiday");
    update(&mut app, Action::ToggleAll);
    assert_eq!(app.work_items.rows, vec![item], "now it is mine");
}

#[test]
fn tasks_screen_filters_by_status_and_terminates_after_asking() {
    let (dir, mut app) = sample_app();
    let (instance, _item) = start_onboard(dir.path());
    bpe::tui::sync::reload_repository(&mut app);
    update(&mut app, Action::ShowTasks);
    assert_eq!(app.tasks.rows, vec![instance.clone()]);
    update(&mut app, Action::CycleStatus); // running
    assert!(app.tasks.rows.is_empty());
    update(&mut app, Action::CycleStatus); // suspended
    assert_eq!(app.tasks.rows, vec![instance.clone()]);
    update(&mut app, Action::Open);
    assert!(app.tasks.opened.as_ref().unwrap().definition.is_some());
    update(&mut app, Action::Terminate);
    assert!(app.tasks.question.as_ref().unwrap().lines[0].contains(&instance));
    update(&mut app, Action::Yes);
    let i = app.repo.instance(&instance).unwrap().value.clone();
    assert_eq!(i.status, InstanceStatus::Terminated);
}

// ---------------------------------------------------------------- snapshots

fn draw(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.size = (w, h);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| bpe::tui::view::view(app, f)).unwrap();
    term
}

/// Replace generated ids and times in the repository's instance and work item
/// files with fixed ones, so snapshots are stable: every id `ti-…`/`wi-…`
/// becomes `ti-fixture`/`wi-fixture`, every time 2026-11-27T10:00:00Z except the
/// work item's created (now) and timeoutAt (now + 1 day).
fn fix_ids(root: &Path, instance: &str, item: &str) {
    fn walk(v: &mut serde_json::Value, f: &dyn Fn(&str) -> Option<String>) {
        match v {
            serde_json::Value::String(s) => {
                if let Some(n) = f(s) {
                    *s = n;
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, f)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|x| walk(x, f)),
            _ => {}
        }
    }
    let now = chrono::Utc::now();
    let fixed = |s: &str| -> Option<String> {
        if s == instance {
            return Some("ti-fixture".into());
        }
        if s == item {
            return Some("wi-fixture".into());
        }
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|_| "2026-11-27T10:00:00.000Z".to_string())
    };
    for (dir, from, to) in [
        ("TaskInstance", instance, "ti-fixture"),
        ("WorkItem", item, "wi-fixture"),
    ] {
        let p = root.join(dir).join(format!("{from}.json"));
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        walk(&mut v, &fixed);
        if dir == "WorkItem" {
            v["created"] = serde_json::json!(now.to_rfc3339());
            v["timeoutAt"] = serde_json::json!((now + chrono::Duration::days(1)).to_rfc3339());
        }
        std::fs::remove_file(&p).unwrap();
        std::fs::write(
            root.join(dir).join(format!("{to}.json")),
            serde_json::to_string_pretty(&v).unwrap(),
        )
        .unwrap();
    }
}

fn ops_app() -> (tempfile::TempDir, App) {
    let (dir, mut app) = sample_app();
    let (instance, item) = start_onboard(dir.path());
    fix_ids(dir.path(), &instance, &item);
    bpe::tui::sync::reload_repository(&mut app);
    app.work_items.user = "jsmith".into();
    (dir, app)
}

#[test]
fn snapshot_work_items() {
    let (_dir, mut app) = ops_app();
    update(&mut app, Action::ShowWorkItems);
    insta::assert_snapshot!("work_items_80x24", draw(&mut app, 80, 24).backend());
    update(&mut app, Action::Open);
    insta::assert_snapshot!("work_item_open_120x40", draw(&mut app, 120, 40).backend());
}

#[test]
fn snapshot_tasks() {
    let (_dir, mut app) = ops_app();
    update(&mut app, Action::ShowTasks);
    insta::assert_snapshot!("tasks_80x24", draw(&mut app, 80, 24).backend());
    update(&mut app, Action::Open);
    insta::assert_snapshot!("task_open_120x40", draw(&mut app, 120, 40).backend());
}

#[test]
fn snapshot_debug_view() {
    let (_dir, mut app) = ops_app();
    update(&mut app, Action::ShowDebugView);
    insta::assert_snapshot!("debug_view_120x40", draw(&mut app, 120, 40).backend());
    update(&mut app, Action::ClearCache);
    insta::assert_snapshot!(
        "debug_view_clear_question_80x24",
        draw(&mut app, 80, 24).backend()
    );
}

/// Continue to a breakpoint on "Manager Approval". Breakpoints are per-user
/// state shared by the tests of this binary: set exactly the ones the
/// snapshots show.
fn stop_at_manager_approval(app: &mut App) {
    let d = app.debugger.as_mut().unwrap();
    d.workspace.breakpoints.clear();
    d.workspace.watches.clear();
    update(app, Action::AddBreakpoint);
    answer(app, "Manager Approval");
    update(app, Action::Continue);
}

#[test]
fn snapshot_debugger() {
    let (_dir, mut app) = sample_app();
    debug(&mut app, "Onboard Employee");
    fill_onboard(&mut app);
    insta::assert_snapshot!("debugger_form_80x24", draw(&mut app, 80, 24).backend());
    stop_at_manager_approval(&mut app);
    insta::assert_snapshot!(
        "debugger_at_breakpoint_120x40",
        draw(&mut app, 120, 40).backend()
    );
    insta::assert_snapshot!(
        "debugger_at_breakpoint_80x24",
        draw(&mut app, 80, 24).backend()
    );
}

#[test]
fn a_manual_action_left_pending_in_apply_mode_is_a_real_suspended_case() {
    let (dir, mut app) = sample_app();
    debug(&mut app, "Onboard Employee");
    fill_onboard(&mut app);
    let d = app.debugger.as_mut().unwrap();
    d.workspace.breakpoints.clear();
    // Dry run refuses to write a pending case.
    update(&mut app, Action::Continue);
    assert_eq!(status(&app), InstanceStatus::Suspended);
    update(&mut app, Action::LeavePending);
    assert!(
        app.debugger.as_ref().unwrap().session.is_some(),
        "dry run keeps the session"
    );
    assert!(app.notice.as_ref().unwrap().text.contains("dry run"));
    // Apply: the item and the instance are written; `complete` resumes it.
    update(&mut app, Action::ToggleApply);
    assert!(!app.debugger.as_ref().unwrap().dry_run);
    update(&mut app, Action::LeavePending);
    assert!(app.debugger.as_ref().unwrap().session.is_none());
    let items: Vec<_> = app
        .repo
        .work_items
        .iter()
        .map(|w| w.value.clone())
        .collect();
    assert_eq!(items.len(), 1);
    let inst = app.repo.instance(&items[0].instance).unwrap().value.clone();
    assert_eq!(inst.status, InstanceStatus::Suspended);
    let mut services = bpe::tui::ask::services(&app.repo, true);
    let done = store::complete(
        dir.path(),
        &items[0].id,
        &store::Completion {
            decision: Some("approve".into()),
            ..Default::default()
        },
        &mut services,
        &RunOptions::default(),
    )
    .unwrap();
    assert_eq!(done.instance.status, InstanceStatus::Completed);
}

#[test]
fn tasks_resume_continues_a_running_case_whose_runner_is_gone() {
    let (dir, mut app) = sample_app();
    let root = dir.path();
    let mut inputs = BTreeMap::new();
    for (k, v) in [
        ("firstName", "Ada"),
        ("lastName", "Lovelace"),
        ("department", "Engineering"),
        ("title", "Engineer"),
        ("manager", "jsmith"),
    ] {
        inputs.insert(k.to_string(), Value::Str(v.to_string()));
    }
    let opts = RunOptions {
        owner: "tester".into(),
        purpose: "test".into(),
        dry_run: false,
    };
    // A runner that persisted its case after two activities, then vanished.
    let id = {
        let mut session = store::Session::start(root, "Onboard Employee", &inputs, &opts).unwrap();
        let repo = bpe::repo::Repository::open(root).unwrap();
        let mut services = bpe::tui::ask::services(&repo, false);
        {
            let (case, catalog) = session.parts();
            let mut rt = bpe::engine::Runtime {
                services: &mut services,
                catalog,
            };
            case.step(&mut rt, bpe::engine::Granularity::Activity);
            case.step(&mut rt, bpe::engine::Granularity::Activity);
        }
        session.persist().unwrap();
        session.case().id().to_string()
    };
    bpe::tui::sync::reload_repository(&mut app);
    update(&mut app, Action::ShowTasks);
    assert_eq!(
        app.repo.instance(&id).unwrap().value.status,
        InstanceStatus::Running
    );
    // Its runner is gone: the screen says interrupted, in the list and when opened.
    assert!(app.tasks.interrupted.contains(&id));
    let screen = format!("{:?}", draw(&mut app, 120, 40).backend());
    assert!(screen.contains("interrupted"), "{screen}");
    let at = app.tasks.rows.iter().position(|r| *r == id).unwrap();
    app.tasks.selected = at;
    update(&mut app, Action::Resume);
    let inst = app.repo.instance(&id).unwrap().value.clone();
    assert_eq!(inst.status, InstanceStatus::Suspended, "{:?}", app.notice);
    assert_eq!(
        inst.current_activities,
        vec!["Manager Approval".to_string()]
    );
    assert!(app.notice.as_ref().unwrap().text.contains("continued"));
}

#[test]
fn work_item_edits_only_editable_variables_and_they_reach_the_case() {
    let (dir, mut app) = sample_app();
    let (instance, item) = start_onboard(dir.path());
    bpe::tui::sync::reload_repository(&mut app);
    app.work_items.user = "jsmith".into();
    update(&mut app, Action::ShowWorkItems);
    update(&mut app, Action::Open);
    let names: Vec<String> = app
        .repo
        .work_item(&item)
        .unwrap()
        .value
        .variables
        .keys()
        .cloned()
        .collect();
    // "department" is exposed but not editable: refused.
    let dep = names.iter().position(|n| n == "department").unwrap();
    for _ in 0..dep {
        update(&mut app, Action::Down);
    }
    update(&mut app, Action::Edit);
    assert!(app.work_items.prompt.is_none());
    assert!(app.notice.as_ref().unwrap().text.contains("not editable"));
    // "title" is editable.
    let title = names.iter().position(|n| n == "title").unwrap();
    for _ in 0..40 {
        update(&mut app, Action::Up);
    }
    for _ in 0..title {
        update(&mut app, Action::Down);
    }
    update(&mut app, Action::Edit);
    for _ in 0..40 {
        press(&mut app, "backspace");
    }
    answer(&mut app, "\"Staff Engineer\"");
    update(&mut app, Action::Comment);
    answer(&mut app, "welcome aboard");
    update(&mut app, Action::Approve);
    update(&mut app, Action::Yes);
    // Onboard Employee keeps finished instances a week (resultLimit 604800).
    let inst = app.repo.instance(&instance).unwrap().value.clone();
    assert_eq!(inst.status, InstanceStatus::Completed);
    assert_eq!(
        inst.variables.get("title"),
        Some(&Value::Str("Staff Engineer".into()))
    );
    assert_eq!(
        inst.variables.get("comment"),
        Some(&Value::Str("welcome aboard".into()))
    );
    let w = app.repo.work_item(&item).unwrap().value.clone();
    assert!(w.complete);
    assert_eq!(w.decision.as_deref(), Some("approve"));
    assert_eq!(w.comment, "welcome aboard");
}

/// Step back is bounded (`bpe::tui::debugger::BACK_KEEP` commands, docs/debugger.md):
/// after more steps than that it still goes back exactly that far, and then says
/// that it reached the oldest step kept.
#[test]
fn step_back_after_a_long_run_goes_back_to_its_bound_and_says_so() {
    use bpe::tui::debugger::BACK_KEEP;
    data_dir();
    let dir = copy_repo(&sample_repository());
    std::fs::write(
        dir.path().join("TaskDefinition/loop-scale.json"),
        serde_json::to_string_pretty(&serde_json::json!({
            "formatVersion": 1, "id": "td-loop-scale", "name": "Loop Scale",
            "process": {"maxSteps": 1_000_000,
             "variables": [{"name": "n", "value": "0"}],
             "activities": [
                {"id": "0", "name": "start", "transitions": [{"to": "A"}]},
                {"id": "1", "name": "A", "actions": [
                    {"kind": "expression", "expression": "(set name=\"n\" (add $n 1))"}],
                 "transitions": [{"to": "A", "condition": "(lt $n 100000)"}, {"to": "end"}]},
                {"id": "3", "name": "end"}
            ]}
        }))
        .unwrap(),
    )
    .unwrap();
    let mut app = app(dir.path());
    debug(&mut app, "Loop Scale");
    let steps = BACK_KEEP + 100;
    for _ in 0..steps {
        update(&mut app, Action::Step);
    }
    assert_eq!(status(&app), InstanceStatus::Running);
    let n_after = var(&app, "n");
    let trace = &app.debugger.as_ref().unwrap().trace;
    assert!(
        trace
            .iter()
            .any(|l| l.contains(&format!("step back reaches the last {BACK_KEEP} steps"))),
        "the trace does not say steps were dropped"
    );
    for i in 0..BACK_KEEP {
        update(&mut app, Action::StepBack);
        let warned = app
            .notice
            .as_ref()
            .is_some_and(|n| n.text.contains("oldest step kept"));
        assert!(!warned, "refused at step back {i}");
    }
    // Each step is one unit of work: 3 per round (enter, action, transitions), after
    // the start's 2 (enter, transitions); stepping back BACK_KEEP units leaves n
    // where it was 100 units in.
    let Value::Int(after) = n_after else {
        panic!("n is {n_after:?}")
    };
    let Value::Int(back) = var(&app, "n") else {
        panic!()
    };
    assert!(
        back < after && back <= 100 / 3 + 1,
        "n {back} after stepping back"
    );
    update(&mut app, Action::StepBack);
    let notice = app
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(
        notice.contains(&format!(
            "oldest step kept: step back reaches {BACK_KEEP} steps"
        )),
        "{notice}"
    );
}

/// Issue 11: the editor, debugger, tasks and work items screens at 80x24,
/// 120x40 and 200x60 (the panes share the width by proportion; the lists are
/// tables whose columns widen with the room). Each is drawn after the size is
/// known to `update` (as a resize does), so scroll positions follow the size.
#[test]
fn screens_at_80x24_120x40_and_200x60() {
    const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];
    fn sized(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
        app.size = (w, h);
        bpe::tui::app_editor::after_change(app);
        draw(app, w, h)
    }
    let (_dir, mut app) = ops_app();
    update(&mut app, Action::ShowTasks);
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("tasks_{w}x{h}"), sized(&mut app, w, h).backend());
    }
    update(&mut app, Action::ShowWorkItems);
    for (w, h) in SIZES {
        insta::assert_snapshot!(
            format!("work_items_{w}x{h}"),
            sized(&mut app, w, h).backend()
        );
    }

    let (_dir, mut app) = sample_app();
    open(&mut app, "Onboard Employee");
    select_activity(&mut app, "Manager Approval");
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("editor_{w}x{h}"), sized(&mut app, w, h).backend());
    }

    let (_dir, mut app) = sample_app();
    debug(&mut app, "Onboard Employee");
    fill_onboard(&mut app);
    stop_at_manager_approval(&mut app);
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("debugger_{w}x{h}"), sized(&mut app, w, h).backend());
    }
}
