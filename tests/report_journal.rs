//! The case journal and `bpe report`, on a journal built by running the sample
//! workflows down their approve, reject, forward, timeout, SoD, terminate and
//! failure paths. Every figure of `bpe report --json` is checked against a count
//! the test makes itself from what it did.

mod cli_common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use bpe::engine::store::{self, Completion, RunOptions, RunReport};
use bpe::expr::Value;
use bpe::journal;
use bpe::model::{InstanceStatus, WorkItem};
use bpe::repo::Repository;
use bpe::services::{RepoServices, ServiceOptions};
use cli_common::{bpe, ok_json, s, sample_copy};
use serde_json::{Value as J, json};

struct Demo {
    _dir: tempfile::TempDir,
    root: PathBuf,
    services: RepoServices,
    opts: RunOptions,
}

impl Demo {
    fn new() -> Demo {
        let (dir, root) = sample_copy();
        // Without the shipped history: the counts below are this test's own.
        std::fs::remove_dir_all(root.join("journal")).unwrap();
        // A workflow that fails: no transition leaves Check unless kind is "a".
        let fragile = json!({"formatVersion": 1, "id": "td-fragile", "name": "Fragile", "resultLimit": -1,
            "variables": [{"name": "kind", "input": true}],
            "process": {"activities": [
                {"id": "0", "name": "start", "transitions": [{"to": "Check"}]},
                {"id": "1", "name": "Check", "transitions": [{"to": "end", "condition": "(eq $kind \"a\")"}]},
                {"id": "2", "name": "end"}]}});
        std::fs::write(
            root.join("TaskDefinition/fragile.json"),
            serde_json::to_vec_pretty(&fragile).unwrap(),
        )
        .unwrap();
        let config = Repository::open(&root).unwrap().config.unwrap();
        let services = RepoServices::new(&root, &config, ServiceOptions::default());
        Demo {
            _dir: dir,
            root,
            services,
            opts: RunOptions {
                owner: "hwhite".into(),
                purpose: "report test".into(),
                dry_run: false,
            },
        }
    }

    fn start(&mut self, name: &str, inputs: &[(&str, &str)]) -> RunReport {
        self.start_with(name, inputs, BTreeMap::new())
    }

    fn start_with(
        &mut self,
        name: &str,
        inputs: &[(&str, &str)],
        mut more: BTreeMap<String, Value>,
    ) -> RunReport {
        let mut inputs: BTreeMap<String, Value> = inputs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::Str(v.to_string())))
            .collect();
        inputs.append(&mut more);
        store::start(&self.root, name, &inputs, &mut self.services, &self.opts).unwrap()
    }

    fn onboard(&mut self, first: &str) -> WorkItem {
        let r = self.start(
            "Onboard Employee",
            &[
                ("firstName", first),
                ("lastName", "Smith"),
                ("department", "Engineering"),
                ("title", "Engineer"),
                ("manager", "jsmith"),
            ],
        );
        assert_eq!(r.instance.status, InstanceStatus::Suspended);
        assert_eq!(r.work_items.len(), 1);
        r.work_items[0].clone()
    }

    fn complete(&mut self, item: &WorkItem, decision: &str) -> RunReport {
        let c = Completion {
            decision: Some(decision.into()),
            comment: String::new(),
            variables: BTreeMap::new(),
        };
        store::complete(&self.root, &item.id, &c, &mut self.services, &self.opts).unwrap()
    }

    fn report(&self, extra: &[&str]) -> J {
        let mut args = vec!["report", s(&self.root), "--json"];
        args.extend_from_slice(extra);
        ok_json(&args)
    }
}

fn workflow<'a>(r: &'a J, name: &str) -> &'a J {
    r["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["workflow"] == name)
        .unwrap_or_else(|| panic!("no {name} in {r:#}"))
}

fn named<'a>(list: &'a J, name: &str) -> &'a J {
    list.as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list:#}"))
}

#[test]
fn every_figure_matches_what_the_cases_did() {
    let mut d = Demo::new();
    let mut ended = 0;
    // Approved and rejected by the manager.
    let a = d.onboard("Ann");
    assert_eq!(
        d.complete(&a, "approve").instance.status,
        InstanceStatus::Completed
    );
    let b = d.onboard("Bob");
    assert_eq!(
        d.complete(&b, "reject").instance.status,
        InstanceStatus::Completed
    );
    ended += 2;
    // Forwarded to the manager's manager, who approves.
    let c = d.onboard("Cid");
    let c = store::forward(&d.root, &c.id, "mgarcia", "on leave", "test").unwrap();
    assert_eq!(
        d.complete(&c, "approve").instance.status,
        InstanceStatus::Completed
    );
    ended += 1;
    // A separation-of-duties violation stops the case at once.
    let roles = Value::List(vec![
        Value::Str("Accounts Payable".into()),
        Value::Str("Vendor Master Maintainer".into()),
    ]);
    let e = d.start_with(
        "Onboard Employee",
        &[
            ("firstName", "Paula"),
            ("lastName", "Reyes"),
            ("department", "Finance"),
            ("title", "Finance Officer"),
            ("manager", "spatel"),
        ],
        BTreeMap::from([("additionalRoles".to_string(), roles)]),
    );
    assert_eq!(e.instance.status, InstanceStatus::Completed);
    ended += 1;
    // Nobody answers for 73 hours: the item times out and escalates.
    let timed = d.onboard("Dee");
    let reports = store::apply_due_timeouts_with(
        &d.root,
        &mut d.services,
        chrono::Utc::now() + chrono::Duration::hours(73),
    )
    .unwrap();
    assert_eq!(reports.len(), 1);
    let escalated = reports[0].work_items[0].clone();
    assert_eq!(escalated.owner, "mgarcia");
    assert_ne!(escalated.id, timed.id);
    assert_eq!(
        d.complete(&escalated, "approve").instance.status,
        InstanceStatus::Completed
    );
    ended += 1;
    // One left waiting, one terminated, one failed.
    d.onboard("Eve");
    let g = d.onboard("Gus");
    store::terminate(&d.root, &g.instance, "test").unwrap();
    let f = d.start("Fragile", &[("kind", "b")]);
    assert_eq!(f.instance.status, InstanceStatus::Failed);
    let reason = f.instance.reason.clone().unwrap();

    let r = d.report(&[]);
    assert_eq!(r["skippedLines"], json!([]));
    let on = workflow(&r, "Onboard Employee");
    assert_eq!(on["started"], 7, "{on:#}");
    assert_eq!(on["completed"], ended, "{on:#}");
    assert_eq!(on["terminated"], 1);
    assert_eq!(on["failed"], 0);
    assert_eq!(on["suspendedNow"], 1);
    assert_eq!(on["runningNow"], 0);
    assert_eq!(on["cycleTime"]["count"], ended + 1);
    // Answered: Ann, Bob (jsmith), Cid and Dee's escalation (mgarcia).
    assert_eq!(on["workItemsCompleted"], 4);
    assert_eq!(on["rejected"], 1);
    assert_eq!(on["rejectionRate"], 0.25);
    assert_eq!(on["timeouts"], 1);
    assert_eq!(on["escalations"], 1);
    let sod_cases = usize::from(
        e.instance.variables.get("outcome") == Some(&Value::Str("sod-violation".into())),
    );
    assert_eq!(
        sod_cases,
        1,
        "the sample's SoD path: {:?}",
        e.instance.variables.get("outcome")
    );
    assert_eq!(on["sodViolations"], 1);
    let jsmith = named(&on["approvers"], "jsmith");
    assert_eq!(jsmith["latency"]["count"], 2);
    assert_eq!(jsmith["rejected"], 1);
    assert_eq!(named(&on["approvers"], "mgarcia")["latency"]["count"], 2);
    // Per manual action: the three answers and the timeout at the first approval,
    // the escalated answer at its own action.
    let actions = on["manualActions"].as_array().unwrap();
    let total: i64 = actions
        .iter()
        .map(|a| a["latency"]["count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 5, "{actions:#?}");
    let timeouts: i64 = actions
        .iter()
        .map(|a| a["timeouts"].as_i64().unwrap())
        .sum();
    assert_eq!(timeouts, 1);
    assert_eq!(on["failures"], json!([]));

    let fr = workflow(&r, "Fragile");
    assert_eq!(fr["started"], 1);
    assert_eq!(fr["failed"], 1);
    assert_eq!(fr["failures"][0]["count"], 1);
    assert_eq!(fr["failures"][0]["mostCommonError"], reason.as_str());
    assert!(reason.contains("no transition matches"), "{reason}");

    // Work items overdue now: Eve's, once 72 hours count as overdue... and not before.
    assert_eq!(r["overdue"], json!([]));
    let r = d.report(&["--overdue-after", "0m"]);
    assert_eq!(r["overdue"][0]["owner"], "jsmith");
    assert_eq!(r["overdue"][0]["count"], 1);

    // --workflow keeps one; the period excludes everything before --since.
    let only = d.report(&["--workflow", "Fragile"]);
    assert_eq!(only["workflows"].as_array().unwrap().len(), 1);
    let later = d.report(&["--since", "2999-01-01"]);
    for w in later["workflows"].as_array().unwrap() {
        assert_eq!(w["started"], 0, "{w:#}");
        assert_eq!(w["cycleTime"], J::Null);
    }
    // Every line is valid against the documented shape: one event name each.
    let j = journal::read(&d.root, None, None).unwrap();
    assert!(j.bad.is_empty());
    let started = j
        .records
        .iter()
        .filter(|r| r.event.name() == "caseStarted")
        .count();
    assert_eq!(started, 8);
}

#[test]
fn a_dry_run_journals_nothing_and_text_and_csv_say_the_same() {
    let mut d = Demo::new();
    let out = bpe(&["run", s(&d.root), "Fragile", "--set", "kind=b", "--dry-run"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!d.root.join("journal").exists());
    let f = d.start("Fragile", &[("kind", "a")]);
    assert_eq!(f.instance.status, InstanceStatus::Completed);
    let text = String::from_utf8(bpe(&["report", s(&d.root)]).stdout).unwrap();
    assert!(text.contains("Fragile"), "{text}");
    assert!(text.contains("started 1  completed 1"), "{text}");
    let csv = String::from_utf8(bpe(&["report", s(&d.root), "--csv"]).stdout).unwrap();
    assert!(csv.starts_with("workflow,figure,subject,value\n"), "{csv}");
    assert!(csv.contains("\nFragile,started,,1\n"), "{csv}");
    assert!(csv.contains("\nFragile,completed,,1\n"), "{csv}");
}

#[test]
fn cases_from_before_the_journal_are_read_from_their_files() {
    let mut d = Demo::new();
    let f = d.start("Fragile", &[("kind", "a")]);
    let g = d.start("Fragile", &[("kind", "b")]);
    // As if they had run before the journal existed: the journal begins later.
    std::fs::remove_dir_all(d.root.join("journal")).unwrap();
    d.start("Fragile", &[("kind", "a")]);
    let r = d.report(&[]);
    let fr = workflow(&r, "Fragile");
    assert_eq!(fr["started"], 3, "{fr:#}");
    assert_eq!(fr["completed"], 2);
    assert_eq!(fr["failed"], 1);
    assert_eq!(fr["cycleTime"]["count"], 3);
    let _ = (f, g);
}

#[test]
fn bad_arguments_and_bad_lines_get_clear_messages() {
    let d = Demo::new();
    let out = bpe(&["report", s(&d.root), "--since", "last tuesday"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--since") && err.contains("YYYY-MM-DD"),
        "{err}"
    );
    let out = bpe(&["report", s(&d.root), "--workflow", "Nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no workflow named 'Nope'"));
    std::fs::create_dir_all(d.root.join("journal")).unwrap();
    std::fs::write(d.root.join("journal/2026-11.jsonl"), "{oops\n").unwrap();
    let out = bpe(&["report", s(&d.root), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("journal/2026-11.jsonl:1:"), "{err}");
    let r: J = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["skippedLines"][0]["line"], 1);
}

/// The history shipped in sample-repository/journal (made by
/// `cargo run --example sample_journal -- sample-repository`) reads cleanly, is
/// consistent with itself, and gives the reports screen something real.
#[test]
fn the_shipped_sample_journal_is_whole_and_consistent() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-repository");
    let j = journal::read(&root, None, None).unwrap();
    assert!(j.bad.is_empty(), "{:?}", j.bad);
    assert!(j.records.len() > 100, "{}", j.records.len());
    let repo = Repository::open(&root).unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    let mut created = std::collections::HashMap::new();
    let mut started = std::collections::HashMap::new();
    let mut last = None;
    for r in &j.records {
        kinds.insert(r.event.name());
        let at = r.time().unwrap();
        assert!(last.is_none_or(|l| l <= at), "lines in time order: {r:?}");
        last = Some(at);
        if !r.workflow.name.is_empty() {
            assert!(repo.definition(&r.workflow.name).is_some(), "{r:?}");
        }
        match &r.event {
            journal::Event::CaseStarted { .. } => {
                started.insert(r.instance.clone(), at);
            }
            journal::Event::WorkItemCreated { item, .. } => {
                assert!(started.contains_key(&r.instance), "{r:?}");
                created.insert(item.clone(), r.at.clone());
            }
            journal::Event::WorkItemCompleted {
                item, created: c, ..
            }
            | journal::Event::WorkItemTimedOut {
                item, created: c, ..
            } => {
                assert_eq!(created.get(item), Some(c), "{r:?}");
                assert!(journal::parse_time(c).unwrap() <= at);
            }
            journal::Event::CaseEnded {
                started: s,
                duration_ms,
                ..
            } => {
                let s = journal::parse_time(s).unwrap();
                assert_eq!(Some(&s), started.get(&r.instance), "{r:?}");
                assert_eq!((at - s).num_milliseconds(), *duration_ms, "{r:?}");
            }
            _ => {}
        }
    }
    for k in [
        "caseStarted",
        "caseEnded",
        "workItemCreated",
        "workItemCompleted",
        "workItemTimedOut",
        "sodViolation",
    ] {
        assert!(kinds.contains(k), "no {k} in the sample journal");
    }
    let r = ok_json(&["report", s(&root), "--json"]);
    let with_cases = r["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["started"].as_i64().unwrap() > 0)
        .count();
    assert!(with_cases >= 5, "{r:#}");
}

/// `startedPerDay` and `cycleTimeHistogram` (the reports screen's charts) of the
/// shipped journal, against counts made here from its lines.
#[test]
fn per_day_starts_and_the_cycle_time_histogram_match_the_journal() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-repository");
    let text = std::fs::read_to_string(root.join("journal/2026-11.jsonl")).unwrap();
    let mut per_day: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    let mut buckets: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let hour = 3_600_000;
    let bounds = [hour, 4 * hour, 8 * hour, 24 * hour, 72 * hour, 168 * hour];
    for l in text.lines() {
        let l: J = serde_json::from_str(l).unwrap();
        let w = l["workflow"]["name"].as_str().unwrap().to_string();
        match l["event"].as_str().unwrap() {
            "caseStarted" => {
                let day = l["at"].as_str().unwrap()[..10].to_string();
                *per_day.entry(w).or_default().entry(day).or_default() += 1;
            }
            "caseEnded" => {
                let ms = l["durationMs"].as_i64().unwrap();
                let b = bounds.iter().position(|u| ms < *u).unwrap_or(6);
                buckets.entry(w).or_insert_with(|| vec![0; 7])[b] += 1;
            }
            _ => {}
        }
    }
    let r = ok_json(&["report", s(&root), "--json"]);
    for (w, days) in &per_day {
        let f = workflow(&r, w);
        assert_eq!(f["startedPerDay"], json!(days), "{w}");
        let want = buckets.get(w).cloned().unwrap_or_else(|| vec![0; 7]);
        assert_eq!(f["cycleTimeHistogram"], json!(want), "{w}");
    }
    assert!(r.get("total").is_none(), "bpe report leaves the total out");
}
