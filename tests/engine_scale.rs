//! A case's record does not grow with its step count: the history holds the most
//! recent events (all of them only with `resultTrace`), the path is run-length
//! encoded, visit counts are per activity (docs/engine.md, "What a case holds").
//! Sizes are asserted here; time is in benches/engine.rs.

mod engine_common;

use std::collections::BTreeMap;

use bpe::engine::{Case, HISTORY_KEEP, MemoryCatalog, Runtime, instance_path, path_of, pin};
use bpe::expr::Value;
use bpe::model::{InstanceStatus, PathEntry, TaskDefinition, TaskInstance};
use engine_common::NoServices;

/// `n = n + 1` in A, `m = n * 2` in B, back to A while `n < limit` (the loop of
/// issue 12, also run by benches/run_command.rs).
fn looping(result_trace: bool) -> TaskDefinition {
    let mut def: TaskDefinition =
        serde_json::from_str(include_str!("fixtures/engine-loop.json")).expect("loop definition");
    def.result_trace = result_trace;
    def
}

fn run(def: &TaskDefinition, rounds: i64) -> (Case, TaskInstance) {
    let mut catalog = MemoryCatalog::new(vec![def.clone()], &[]);
    let inputs = BTreeMap::from([("limit".to_string(), Value::Int(rounds))]);
    let mut case = Case::start(def, pin(def), &inputs, "tester", &catalog);
    let mut services = NoServices::default();
    case.run(&mut Runtime {
        services: &mut services,
        catalog: &mut catalog,
    });
    assert_eq!(case.status(), InstanceStatus::Completed);
    let inst = case.to_instance();
    (case, inst)
}

fn json_len(inst: &TaskInstance) -> usize {
    serde_json::to_string(inst).unwrap().len()
}

#[test]
fn a_200000_round_loop_keeps_a_bounded_record() {
    let def = looping(false);
    let (_, small) = run(&def, 2_000);
    let (_, big) = run(&def, 200_000);
    assert_eq!(big.steps, 400_001);
    assert_eq!(big.variables["m"], Value::Int(400_000));
    // The history holds the most recent events and counts the others.
    assert_eq!(big.history.len(), HISTORY_KEEP);
    let recorded = big.history_dropped + big.history.len() as u64;
    // started, start entered and left; per round 2 entries, 2 actions, 2 transitions;
    // end entered; finished.
    assert_eq!(recorded, 3 + 6 * 200_000 + 2);
    // The path: start, one loop entry, end.
    assert_eq!(
        big.path,
        vec![
            PathEntry::Step("start".into()),
            PathEntry::Loop {
                activities: vec!["A".into(), "B".into()],
                times: 200_000
            },
            PathEntry::Step("end".into()),
        ]
    );
    assert_eq!(big.visits["A"], 200_000);
    assert_eq!(big.visits["end"], 1);
    // A hundred times the rounds, the same size give or take the digits of the counts.
    let (s, b) = (json_len(&small), json_len(&big));
    assert!(
        b < s + 200,
        "2,000 rounds: {s} bytes; 200,000 rounds: {b} bytes"
    );
    assert!(b < 64 * 1024, "{b} bytes");
}

#[test]
fn result_trace_keeps_the_full_history() {
    let def = looping(true);
    let (_, inst) = run(&def, 300);
    assert_eq!(inst.history_dropped, 0);
    assert_eq!(inst.history.len(), 3 + 6 * 300 + 2);
    let names = path_of(&inst.history);
    assert_eq!(names.len(), 2 + 2 * 300);
    // The compact path expands to the same activities.
    assert_eq!(instance_path(&inst).tail(usize::MAX), names);
}

#[test]
fn an_instance_written_before_the_compact_path_reads_its_path_from_history() {
    let def = looping(true);
    let (_, mut inst) = run(&def, 3);
    inst.path.clear();
    inst.visits.clear();
    let old: TaskInstance = serde_json::from_str(&serde_json::to_string(&inst).unwrap()).unwrap();
    assert!(old.path.is_empty());
    assert_eq!(instance_path(&old).render(), "start -> (A -> B) x3 -> end");
}

#[test]
fn step_back_after_a_long_run_restores_the_record_it_had() {
    let def = looping(false);
    let mut catalog = MemoryCatalog::new(vec![def.clone()], &[]);
    let inputs = BTreeMap::from([("limit".to_string(), Value::Int(100_000))]);
    let mut case = Case::start(&def, pin(&def), &inputs, "tester", &catalog);
    let mut services = NoServices::default();
    let mut rt = Runtime {
        services: &mut services,
        catalog: &mut catalog,
    };
    let mut ev = Vec::new();
    case.run_some(&mut rt, 3_000, &mut ev);
    // What a progress write holds does not grow with the run either.
    let early = serde_json::to_string(&case.to_instance()).unwrap().len();
    case.run_some(&mut rt, 297_000, &mut ev);
    let before = case.to_instance();
    let late = serde_json::to_string(&before).unwrap().len();
    assert!(
        late < early + 200,
        "after 3,000 units {early} bytes, after 300,000 {late}"
    );
    let snap = case.snapshot();
    case.run_some(&mut rt, 1_000, &mut ev);
    assert_ne!(case.to_instance().variables, before.variables);
    case.restore(&snap);
    let after = case.to_instance();
    assert_eq!(after.variables, before.variables);
    assert_eq!(after.path, before.path);
    assert_eq!(after.visits, before.visits);
    assert_eq!(after.history, before.history);
}
