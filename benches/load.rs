//! Loading a large repository.
//!
//! Budget: `Repository::open` of 5,000 TaskDefinitions of 30 activities each
//! (137 MB of pretty JSON, 27 KB a file) in under 1 s on the 2-core build machine.
//!
//! Measured 2026-11-27 while 8 builds shared the 2 cores (load average 13.6):
//! median 1.6 s wall (fastest 1.35 s). The CPU time of the same load
//! (`/usr/bin/time bpe list` in release) is 0.39 s user + 0.35 s sys over two
//! threads, i.e. about 0.4 s wall on an idle 2-core machine. Before parsing
//! actions without `serde(flatten)` the same bench took 2.4–3.0 s.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bpe::repo::{Repository, save_json};
use serde_json::json;

const DEFINITIONS: usize = 5_000;
const ACTIVITIES: usize = 30;

fn main() {
    divan::main();
    // Statics are never dropped: remove the fixture ourselves.
    if let Some(dir) = FIXTURE.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

static FIXTURE: OnceLock<PathBuf> = OnceLock::new();

/// A realistic definition: start, 28 working activities with an expression,
/// a service call and two conditional transitions each, end.
fn definition(n: usize) -> serde_json::Value {
    let mut activities = vec![json!({
        "id": "0", "name": "start", "transitions": [{"to": "Step 1"}]
    })];
    for a in 1..ACTIVITIES - 1 {
        let next = if a + 1 == ACTIVITIES - 1 {
            "end".to_string()
        } else {
            format!("Step {}", a + 1)
        };
        activities.push(json!({
            "id": a.to_string(),
            "name": format!("Step {a}"),
            "position": {"x": a % 5, "y": a / 5},
            "comment": "Checks the request against policy and records the outcome.",
            "actions": [
                {"kind": "expression", "name": "prepare",
                 "expression": "(set approved (and (notnull user.manager) (eq user.department 'Sales')))"},
                {"kind": "service", "op": "audit",
                 "arguments": [{"name": "event", "value": "'step'"}, {"name": "step", "value": a.to_string()}]}
            ],
            "transitions": [
                {"to": next, "condition": "(eq approved 1)"},
                {"to": "end"}
            ]
        }));
    }
    activities.push(json!({"id": (ACTIVITIES - 1).to_string(), "name": "end"}));
    json!({
        "formatVersion": 1,
        "id": format!("td-{n:016x}"),
        "name": format!("Workflow {n:05}"),
        "description": "Generated for the load benchmark.",
        "process": {
            "variables": [{"name": "user", "input": true}, {"name": "approved", "value": "0"}],
            "activities": activities
        }
    })
}

fn fixture() -> &'static Path {
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir").keep();
        for n in 0..DEFINITIONS {
            let path = dir.join(format!("TaskDefinition/workflow-{n:05}.json"));
            save_json(&path, &definition(n)).expect("write fixture");
        }
        dir
    })
}

// Budget: < 1 s per open (5,000 definitions × 30 activities, 2 idle cores).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn open_5000_definitions(bencher: divan::Bencher) {
    let root = fixture();
    bencher.bench(|| {
        let repo = Repository::open(root).expect("open");
        assert_eq!(repo.definitions.len(), DEFINITIONS);
        assert!(repo.errors.is_empty());
        repo
    });
}
