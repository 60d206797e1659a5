//! What makes a step of `bpe run` cheap (issue 12, docs/engine.md "Performance"),
//! counted rather than timed (time is in benches/run_command.rs): in the loop of
//! issue 12 every variable lookup — the expressions' reads and writes —
//! compares text with one name only, the one it finds (a scope is scanned by length
//! first, see `engine::vars`), and the `WF_ACTION_*` built-ins set after each action
//! are not looked up at all (their slots are kept while the names do not change); the
//! history's events share their compiled definition without touching its count.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::{Case, Runtime, pin};
use crate::engine::MemoryCatalog;
use crate::engine::vars::probe;
use crate::expr::Value;
use crate::model::TaskDefinition;
use crate::services::{CallContext, CommandOutput, Effect, ServiceError, Services};

struct NoServices;

impl Services for NoServices {
    fn call(
        &mut self,
        op: &str,
        _: &BTreeMap<String, Value>,
        _: &mut CallContext<'_>,
    ) -> Result<Value, ServiceError> {
        Err(ServiceError::new(format!("no op {op} here")))
    }
    fn run_command(
        &mut self,
        _: &[String],
        _: Duration,
        _: usize,
    ) -> Result<CommandOutput, ServiceError> {
        Err(ServiceError::new("no commands here"))
    }
    fn effects(&self) -> &[Effect] {
        &[]
    }
}

/// A case of the loop (`n = n + 1` in A, `m = n * 2` in B, back while `n < limit`)
/// after `warm` rounds.
fn looping(rounds: i64, warm: usize) -> (Case, MemoryCatalog) {
    let def: TaskDefinition =
        serde_json::from_str(include_str!("../../../tests/fixtures/engine-loop.json"))
            .expect("loop definition");
    let mut catalog = MemoryCatalog::new(vec![def.clone()], &[]);
    let inputs = BTreeMap::from([("limit".to_string(), Value::Int(rounds))]);
    let mut case = Case::start(&def, pin(&def), &inputs, "tester", &catalog);
    let mut rt = Runtime {
        services: &mut NoServices,
        catalog: &mut catalog,
    };
    case.run_some_quietly(&mut rt, 6 * warm);
    (case, catalog)
}

#[test]
fn a_loop_round_compares_each_name_it_looks_up_with_the_one_it_finds_only() {
    let (mut case, mut catalog) = looping(1_000_000, 10);
    let mut rt = Runtime {
        services: &mut NoServices,
        catalog: &mut catalog,
    };
    let before = probe::comparisons();
    case.run_some_quietly(&mut rt, 6 * 1_000);
    let compared = probe::comparisons() - before;
    assert_eq!(
        case.variables(0, super::Scope::Case).unwrap()["n"],
        Value::Int(1_010)
    );
    // Per round: A reads n and writes n, B reads n and writes m, B's transition
    // reads n and limit: 6 lookups, each comparing text once (a map compares ~5
    // names per lookup); the four built-ins each action sets are not looked up.
    assert_eq!(compared, 6 * 1_000);
}

#[test]
fn history_events_do_not_hold_the_definition_and_their_times_never_go_back() {
    let (mut case, mut catalog) = looping(1_000_000, 10);
    let def = case.stack[0].clone();
    let held = Arc::strong_count(&def);
    let mut rt = Runtime {
        services: &mut NoServices,
        catalog: &mut catalog,
    };
    case.run_some_quietly(&mut rt, 6 * 100);
    // 600 events recorded since (the last HISTORY_KEEP of them held), none a
    // reference to the definition.
    assert_eq!(Arc::strong_count(&def), held);
    let inst = case.instance().clone();
    assert!(inst.history.len() > 100);
    let times: Vec<_> = inst
        .history
        .iter()
        .map(|h| chrono::DateTime::parse_from_rfc3339(&h.at).expect("an RFC 3339 time"))
        .collect();
    let started = chrono::DateTime::parse_from_rfc3339(&inst.started).unwrap();
    assert!(
        times[0] >= started,
        "{} before the start {}",
        times[0],
        started
    );
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}
