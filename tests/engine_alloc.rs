//! What makes `bpe run` cost the same per step however long the run (issue 12,
//! docs/engine.md, "Throughput"): once a loop runs in steady state, a step run
//! without events ([`Case::run_some_quietly`], what `bpe run` uses) allocates
//! nothing — history events are recorded in compact form and built only when the
//! record is read, variables are assigned in place, a transition moves its token,
//! a loop round is counted in the compact path. Asserted on allocation counts of
//! this thread, not on time (time is in benches/run_command.rs).

mod engine_common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;

use bpe::engine::{Case, Event, HISTORY_KEEP, MemoryCatalog, Runtime, pin};
use bpe::expr::Value;
use bpe::model::{HistoryKind, TaskDefinition};
use engine_common::NoServices;

/// Counts the allocations made by each thread (tests run on several threads).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; the count is a
// const-initialised thread local without destructor (using it never allocates).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// The loop of issue 12: `n = n + 1` in A, `m = n * 2` in B, back while `n < limit`.
fn looping() -> TaskDefinition {
    serde_json::from_str(include_str!("fixtures/engine-loop.json")).expect("loop definition")
}

fn started(def: &TaskDefinition, rounds: i64) -> (Case, MemoryCatalog) {
    let catalog = MemoryCatalog::new(vec![def.clone()], &[]);
    let inputs = BTreeMap::from([("limit".to_string(), Value::Int(rounds))]);
    let case = Case::start(def, pin(def), &inputs, "tester", &catalog);
    (case, catalog)
}

#[test]
fn a_quiet_loop_step_allocates_nothing() {
    let def = looping();
    let (mut case, mut catalog) = started(&def, 1_000_000);
    let mut services = NoServices::default();
    let mut rt = Runtime {
        services: &mut services,
        catalog: &mut catalog,
    };
    // Warm up: the loop entry of the path exists, the history buffer reached its size.
    case.run_some_quietly(&mut rt, 6 * 1_000);
    let before = allocations();
    // 10,000 rounds: 60,000 units of work, 20,000 transitions.
    case.run_some_quietly(&mut rt, 6 * 10_000);
    let spent = allocations() - before;
    assert!(case.is_running());
    assert_eq!(case.instance().variables["n"], Value::Int(11_000));
    assert_eq!(spent, 0, "allocations in 10,000 rounds");
}

#[test]
fn a_step_with_events_reports_them_and_the_quiet_one_records_the_same_history() {
    let def = looping();
    let (mut loud, mut catalog) = started(&def, 50);
    let (mut quiet, _) = started(&def, 50);
    let mut services = NoServices::default();
    let mut rt = Runtime {
        services: &mut services,
        catalog: &mut catalog,
    };
    let mut ev = Vec::new();
    loud.run_some(&mut rt, 600, &mut ev);
    quiet.run_some_quietly(&mut rt, 600);
    // One event per unit of work with events: entered, action run, transition taken.
    let entered = ev
        .iter()
        .filter(|e| matches!(e, Event::ActivityEntered { .. }))
        .count();
    assert_eq!(entered, 2 + 2 * 50);
    let (a, b) = (loud.to_instance(), quiet.to_instance());
    assert_eq!(a.status, b.status);
    assert_eq!(a.variables, b.variables);
    assert_eq!(a.path, b.path);
    assert_eq!(a.history_dropped, b.history_dropped);
    let kinds = |h: &[bpe::model::HistoryEvent]| -> Vec<HistoryKind> {
        h.iter().map(|e| e.event.clone()).collect()
    };
    assert_eq!(kinds(&a.history), kinds(&b.history));
    // 3 + 6 * 50 + 2 events, of which the last HISTORY_KEEP are held.
    assert_eq!(a.history.len(), HISTORY_KEEP);
    assert_eq!(a.history_dropped as usize, 3 + 6 * 50 + 2 - HISTORY_KEEP);
    // The events are built with the names and an RFC 3339 time.
    let last_entered = a
        .history
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            HistoryKind::ActivityEntered {
                activity,
                activity_id,
            } => Some((activity.clone(), activity_id.clone(), e.at.clone())),
            _ => None,
        })
        .expect("an activity entered");
    assert_eq!(
        (last_entered.0.as_str(), last_entered.1.as_str()),
        ("end", "3")
    );
    assert!(
        chrono::DateTime::parse_from_rfc3339(&last_entered.2).is_ok(),
        "{}",
        last_entered.2
    );
}
