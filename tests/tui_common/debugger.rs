//! Helpers of the debugger tests (`tui_debugger.rs`, `tui_debug_runs.rs`).

use std::path::Path;
use std::sync::OnceLock;

use bpe::engine::{NextStep, Scope};
use bpe::expr::Value;
use bpe::model::InstanceStatus;
use bpe::tui::action::Action;
use bpe::tui::app::{App, Screen, update};

use super::*;

/// One data directory for the whole test binary (the workspace file goes there,
/// never to the real home).
pub fn data_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        // SAFETY: set once, before any test of this binary reads it.
        unsafe {
            std::env::set_var("BPE_DATA_DIR", d.path());
            // The debugger's case owner and "my" work items come from USER.
            std::env::set_var("USER", "tester");
        }
        d
    })
    .path()
}

pub fn sample_app() -> (tempfile::TempDir, App) {
    data_dir();
    let dir = copy_repo(&sample_repository());
    let app = app(dir.path());
    (dir, app)
}

pub fn act(app: &mut App, actions: &[Action]) {
    for a in actions {
        update(app, *a);
    }
}

/// Answer a prompt that is open: type `text`, then Enter.
pub fn answer(app: &mut App, text: &str) {
    type_text(app, text);
    update(app, Action::Accept);
}

/// Fill input `name` of the debugger's form through its prompt.
pub fn fill(app: &mut App, name: &str, value: &str) {
    let idx = app
        .debugger
        .as_ref()
        .unwrap()
        .form
        .iter()
        .position(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no input {name}"));
    for _ in 0..40 {
        update(app, Action::Up);
    }
    for _ in 0..idx {
        update(app, Action::Down);
    }
    update(app, Action::SetVariable);
    // Clear what the form remembered.
    for _ in 0..80 {
        press(app, "backspace");
    }
    answer(app, value);
    assert_eq!(app.debugger.as_ref().unwrap().form[idx].1, value);
}

pub fn debug(app: &mut App, workflow: &str) {
    open(app, workflow);
    update(app, Action::Debug);
    assert_eq!(app.screen, Screen::Debugger);
}

pub fn next(app: &App) -> Option<NextStep> {
    app.debugger.as_ref()?.session.as_ref()?.case.next_step()
}

pub fn status(app: &App) -> InstanceStatus {
    app.debugger
        .as_ref()
        .unwrap()
        .session
        .as_ref()
        .unwrap()
        .case
        .status()
}

pub fn var(app: &App, name: &str) -> Value {
    let d = app.debugger.as_ref().unwrap();
    let s = d.session.as_ref().unwrap();
    s.case
        .variables(0, Scope::Case)
        .and_then(|m| m.get(name).cloned())
        .unwrap_or(Value::Null)
}

pub fn stack_len(app: &App) -> usize {
    app.debugger
        .as_ref()
        .unwrap()
        .session
        .as_ref()
        .unwrap()
        .case
        .call_stack()
        .len()
}

pub fn fill_onboard(app: &mut App) {
    fill(app, "firstName", "Ada");
    fill(app, "lastName", "Lovelace");
    fill(app, "department", "Engineering");
    fill(app, "title", "Engineer");
    fill(app, "manager", "jsmith");
}

/// A debug run of "Onboard Employee" with the inputs filled, no breakpoints or
/// watches, after `first` (a step, a continue).
pub fn onboard_debug_run(first: Action) -> (tempfile::TempDir, App) {
    let (dir, mut app) = sample_app();
    debug(&mut app, "Onboard Employee");
    fill_onboard(&mut app);
    let d = app.debugger.as_mut().unwrap();
    d.workspace.breakpoints.clear();
    d.workspace.watches.clear();
    update(&mut app, first);
    (dir, app)
}

/// A suspended Onboard Employee case started with `bpe run`'s code: (instance, its work item for jsmith).
pub fn start_onboard(root: &Path) -> (String, String) {
    let repo = bpe::repo::Repository::open(root).unwrap();
    let mut services = bpe::tui::ask::services(&repo, false);
    let mut inputs = std::collections::BTreeMap::new();
    for (k, v) in [
        ("firstName", "Ada"),
        ("lastName", "Lovelace"),
        ("department", "Engineering"),
        ("title", "Engineer"),
        ("manager", "jsmith"),
    ] {
        inputs.insert(k.to_string(), Value::Str(v.to_string()));
    }
    let opts = bpe::engine::store::RunOptions {
        owner: "tester".into(),
        purpose: "test".into(),
        dry_run: false,
    };
    let r =
        bpe::engine::store::start(root, "Onboard Employee", &inputs, &mut services, &opts).unwrap();
    assert_eq!(r.instance.status, InstanceStatus::Suspended);
    (r.instance.id.clone(), r.work_items[0].id.clone())
}
