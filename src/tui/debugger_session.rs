//! The debugger's session commands: open the input form, start the case
//! (taking the run lock), stop it, decide the pending work item inline, and
//! leave it pending (writing it like a real run when applying). The step
//! commands are in `debugger_step.rs`, the key handling in `debugger.rs`.
//!
//! Invariant: a session holds the shared `DefinitionRun` lock from start to
//! stop; nothing pending is written on stop.

use std::collections::{BTreeMap, HashMap};

use crate::engine::{Case, store::RepoCatalog};
use crate::expr::Value;
use crate::model::TaskDefinition;
use crate::repo::Repository;
use crate::repo::lock::{self, LockMode, LockTarget};

use super::ask;
use super::debugger::*;
use super::debugger_step::{after_step, describe_next, remember};
use super::diagram::Diagram;
use super::screen::Ctx;
use super::screen::Request;
use super::workspace::Workspace;

/// End the debug run (the case is terminated in memory; nothing pending is
/// written) and release its run lock. False when there was none.
pub fn stop(d: &mut DebuggerState) -> bool {
    let Some(mut s) = d.session.take() else {
        return false;
    };
    s.case.terminate("stopped in the debugger");
    d.stopped = "stopped".into();
    true
}

/// The debugger on `def` with its input form (the app puts it in front).
pub fn open(cx: &mut Ctx, def: TaskDefinition) -> DebuggerState {
    let (workspace, problem) = match Workspace::load(cx.root) {
        Ok(w) => (w, None),
        Err(e) => (Workspace::default(), Some(e)),
    };
    let last = workspace.inputs.get(&def.name).cloned().unwrap_or_default();
    let form = def
        .process
        .variables
        .iter()
        .filter(|v| v.input)
        .map(|v| {
            let text = last.get(&v.name).map(|j| j.to_string()).unwrap_or_default();
            (v.name.clone(), text)
        })
        .collect();
    let mut diagrams = HashMap::new();
    diagrams.insert(
        crate::model::content_hash(&def),
        (def.clone(), Diagram::build(&def)),
    );
    let state = DebuggerState {
        definition: def,
        form,
        form_selected: 0,
        session: None,
        dry_run: true,
        workspace,
        selected: 0,
        trace: Vec::new(),
        prompt: None,
        diagrams,
        stopped: "not started".into(),
        var_filter: String::new(),
        var_scroll: 0,
        var_before: BTreeMap::new(),
        changed: Vec::new(),
        console: Default::default(),
    };
    match problem {
        Some(p) => cx.warn(format!(
            "workspace not loaded ({p}); it will not be overwritten"
        )),
        None => cx.info("fill in the inputs (e edits), then s steps or c continues"),
    }
    state
}

pub(crate) fn save_workspace(st: &mut DebuggerState, cx: &mut Ctx) {
    let d = st;
    if let Err(e) = d.workspace.save(cx.root) {
        cx.warn(format!("workspace not saved: {e}"));
    }
}

/// The inputs of the form as values (empty fields are left out).
pub(crate) fn form_inputs(d: &DebuggerState) -> BTreeMap<String, Value> {
    d.form
        .iter()
        .filter(|(_, t)| !t.trim().is_empty())
        .map(|(n, t)| (n.clone(), ask::parse_value(t.trim())))
        .collect()
}

/// Start the case from the form's inputs; remembers them in the workspace.
pub(crate) fn start(st: &mut DebuggerState, cx: &mut Ctx) -> Result<(), String> {
    let root = cx.root;
    let repo = Repository::open(root).map_err(|e| e.to_string())?;
    let d = &mut *st;
    let inputs = form_inputs(d);
    d.workspace.inputs.insert(
        d.definition.name.clone(),
        inputs
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect(),
    );
    // A debug run is a run: the same shared run lock as `bpe run`, taken before
    // the case starts and held until the session ends.
    let run_lock = lock::acquire(
        root,
        LockTarget::DefinitionRun(d.definition.id.clone()),
        LockMode::Shared,
        RUN_PURPOSE,
    )
    .map_err(|e| format!("the run lock of {} is not free: {e}", d.definition.name))?;
    let services = ask::services(&repo, d.dry_run);
    let mut catalog = RepoCatalog::new(repo, RUN_PURPOSE);
    // A dry run writes nothing, cache entries of subprocess versions included.
    catalog.set_cache_writes(!d.dry_run);
    let dref = crate::engine::pin(&d.definition);
    let mut case = Case::start(&d.definition, dref, &inputs, &ask::os_user(), &catalog);
    case.options.ignore_execution_limit = true;
    d.trace.clear();
    d.var_before.clear();
    d.trace.push(format!(
        "started {} {}",
        d.definition.name,
        if d.dry_run { "[DRY RUN]" } else { "[APPLY]" }
    ));
    d.session = Some(Session {
        case,
        catalog,
        services,
        history: Default::default(),
        back_dropped: 0,
        items: Vec::new(),
        path: Vec::new(),
        watch_values: Vec::new(),
        run_lock,
    });
    d.stopped = "started".into();
    after_step(d, Vec::new());
    save_workspace(st, cx);
    Ok(())
}

/// `y` / `r`: approve or reject the first pending work item of the debug run
/// inline, after the question the work items screen asks
/// ([`super::workitems::ask_decision`]; `confirmDecisions: false` turns it off).
pub(crate) fn decide(st: &mut DebuggerState, cx: &mut Ctx, decision: &'static str) {
    let d = &*st;
    let Some(item) = d.session.as_ref().and_then(|s| s.items.first().cloned()) else {
        cx.warn("no work item is pending in this run");
        return;
    };
    let consequence = if d.dry_run {
        "The debug run goes on at once (dry run: nothing is written)."
    } else {
        "The debug run goes on at once; services it calls apply their effects."
    };
    let purpose = super::app::AppAsk::DecideInRun {
        item: item.id.clone(),
        decision,
    };
    if !super::workitems::ask_decision(
        &ask::os_user(),
        cx,
        &item.id,
        Some(&item),
        decision,
        purpose,
        consequence,
    ) {
        decide_now(st, cx, &item.id, decision);
    }
}

/// Approve or reject the debug run's pending work item `id` (still the first
/// pending one) and go on.
pub fn decide_now(st: &mut DebuggerState, cx: &mut Ctx, id: &str, decision: &str) {
    let d = &mut *st;
    let current = d.current();
    let Some(s) = d.session.as_mut() else { return };
    let Some(mut item) = s.items.first().filter(|w| w.id == id).cloned() else {
        cx.warn(format!(
            "{id} is no longer pending in this run; nothing was decided"
        ));
        return;
    };
    remember(s, &mut d.trace);
    // Variables set with `e` while the case waits are what the approver "edited":
    // the item carries the case's current values, so completing does not put the
    // values from when the item was created back.
    if let Some((frame, token, _)) = current {
        let now = s.case.visible_variables(frame, Some(token));
        for (k, v) in item.variables.iter_mut() {
            if let Some(n) = now.get(k) {
                *v = n.clone();
            }
        }
    }
    item.complete = true;
    item.decision = Some(decision.to_string());
    item.comment = "decided in the debugger".into();
    let mut rt = crate::engine::Runtime {
        services: &mut s.services,
        catalog: &mut s.catalog,
    };
    match s.case.complete_work_item(&item, &mut rt) {
        Ok(ev) => {
            d.trace.push(format!(
                "  {} {} inline",
                item.id,
                super::workitems::decided(decision)
            ));
            d.stopped = describe_next(&s.case);
            after_step(d, ev);
        }
        Err(e) => {
            s.history.pop_back();
            cx.error(e.message);
        }
    }
}

/// Leave the pending work items pending: with side effects applied, write them
/// and the suspended instance like a real run; the session ends.
pub(crate) fn leave_pending(st: &mut DebuggerState, cx: &mut Ctx) -> Vec<Request> {
    let root = cx.root;
    let d = &mut *st;
    let Some(s) = d.session.as_mut() else {
        return Vec::new();
    };
    if s.items.is_empty() {
        cx.warn("no work item is pending in this run");
        return Vec::new();
    }
    if d.dry_run {
        cx.warn("dry run: nothing is written; m switches to apply to leave a real pending case");
        return Vec::new();
    }
    let mut failed = None;
    // Resumption loads the pinned version from the cache (the debugged content may
    // be unsaved edits that exist in no file).
    if let Err(e) = crate::repo::cache::store(root, &d.definition) {
        failed = Some(format!("cannot cache the definition: {e}"));
    }
    for w in s.items.iter().filter(|_| failed.is_none()) {
        if let Err(e) = crate::repo::write_work_item(root, w) {
            failed = Some(format!("cannot write {}: {e}", w.id));
            break;
        }
    }
    let inst = s.case.to_instance();
    if failed.is_none()
        && let Err(e) = crate::repo::write_instance(root, &inst)
    {
        failed = Some(format!("cannot write {}: {e}", inst.id));
    }
    if let Some(f) = failed {
        cx.error(f);
        return Vec::new();
    }
    let msg = format!(
        "{} left suspended with work item(s) {}",
        inst.id,
        s.items
            .iter()
            .map(|w| format!("{} for {}", w.id, w.owner))
            .collect::<Vec<_>>()
            .join(", ")
    );
    d.session = None;
    d.stopped = "left pending".into();
    cx.info(msg);
    vec![Request::Reload]
}
