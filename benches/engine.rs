//! Engine throughput. Budget: a workflow looping 10,000 times through two
//! activities (one expression action, one conditional transition each round)
//! runs to completion in under 100 ms.

use std::collections::BTreeMap;
use std::time::Duration;

use bpe::engine::{Case, MemoryCatalog, Runtime, pin};
use bpe::expr::Value;
use bpe::model::{InstanceStatus, TaskDefinition};
use bpe::services::{CallContext, CommandOutput, Effect, ServiceError, Services};

fn main() {
    divan::main();
}

struct NoServices;

impl Services for NoServices {
    fn call(
        &mut self,
        op: &str,
        _: &BTreeMap<String, Value>,
        _: &mut CallContext<'_>,
    ) -> Result<Value, ServiceError> {
        Err(ServiceError::new(format!(
            "Unknown WorkflowServices op: {op}"
        )))
    }
    fn run_command(
        &mut self,
        _: &[String],
        _: Duration,
        _: usize,
    ) -> Result<CommandOutput, ServiceError> {
        Err(ServiceError::new("commands are disabled"))
    }
    fn effects(&self) -> &[Effect] {
        &[]
    }
}

fn looping() -> TaskDefinition {
    serde_json::from_value(serde_json::json!({
        "formatVersion": 1, "id": "td-loop", "name": "Loop",
        "process": {"maxSteps": 100000, "variables": [{"name": "i", "value": "0"}], "activities": [
            {"id": "0", "name": "start", "transitions": [{"to": "A"}]},
            {"id": "1", "name": "A", "actions": [
                {"kind": "expression", "expression": "(set name=\"i\" (add $i 1))"}],
             "transitions": [{"to": "B"}]},
            {"id": "2", "name": "B", "transitions": [
                {"to": "A", "condition": "(lt $i 10000)"}, {"to": "end"}]},
            {"id": "3", "name": "end"}
        ]}
    }))
    .expect("bench definition")
}

/// Budget: < 100 ms per run (10,000 rounds, 20,001 transitions).
#[divan::bench(sample_count = 5)]
fn loop_10000_rounds(bencher: divan::Bencher) {
    let def = looping();
    let mut catalog = MemoryCatalog::new(vec![def.clone()], &[]);
    bencher.bench_local(|| {
        let mut case = Case::start(&def, pin(&def), &BTreeMap::new(), "bench", &catalog);
        let mut services = NoServices;
        case.run(&mut Runtime {
            services: &mut services,
            catalog: &mut catalog,
        });
        assert_eq!(case.status(), InstanceStatus::Completed);
        case
    });
}
