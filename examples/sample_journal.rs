//! Generate the case journal shipped in `sample-repository/journal/`: four weeks of
//! plausible history made by running the sample workflows with the real engine and
//! services on a scratch copy of the repository, down their approve, reject,
//! timeout, SoD, emergency and failure paths.
//!
//! The runs happen now, in a few seconds; their journal lines are then moved onto
//! a simulated calendar: each case starts on a weekday between 2026-11-02 and
//! 2026-11-27 in office hours, each approver answers after a delay drawn around
//! their own habit, a timed-out item times out when its `timeoutAt` says, and every
//! later line of the case moves with it (`created`, `started` and `durationMs` are
//! rewritten to match). Nothing else is changed: events, workflows, owners,
//! decisions, activities and failure reasons are what the engine wrote.
//!
//! Run: `cargo run --example sample_journal -- sample-repository` (replaces
//! `sample-repository/journal/`). The pseudo-random choices are seeded, so the
//! calendar is the same each time; instance and work item ids are not.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use bpe::engine::store::{self, Completion, RunOptions};
use bpe::expr::Value;
use bpe::journal::{self, Event, Record};
use bpe::model::{InstanceStatus, WorkItem};
use bpe::repo::Repository;
use bpe::services::{RepoServices, ServiceOptions};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};

/// A small deterministic generator (64-bit LCG, high bits).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct Sim {
    root: PathBuf,
    services: RepoServices,
    opts: RunOptions,
    rng: Rng,
    /// Hours an approver usually takes.
    habit: HashMap<&'static str, i64>,
}

fn s(v: &str) -> Value {
    Value::Str(v.to_string())
}

impl Sim {
    fn start(&mut self, name: &str, inputs: &[(&str, Value)]) -> store::RunReport {
        let inputs: BTreeMap<String, Value> = inputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        store::start(&self.root, name, &inputs, &mut self.services, &self.opts)
            .unwrap_or_else(|e| panic!("start {name}: {e}"))
    }

    fn answer(&mut self, item: &WorkItem, decision: &str) -> store::RunReport {
        let c = Completion {
            decision: Some(decision.to_string()),
            comment: format!("{decision}d"),
            variables: BTreeMap::new(),
        };
        store::complete(&self.root, &item.id, &c, &mut self.services, &self.opts)
            .unwrap_or_else(|e| panic!("complete {}: {e}", item.id))
    }

    /// Answer every pending item of a case (approve mostly), letting some time out.
    fn settle(&mut self, mut r: store::RunReport) {
        let mut rounds = 0;
        while r.instance.status == InstanceStatus::Suspended && rounds < 6 {
            rounds += 1;
            if self.rng.chance(12) {
                let later = Utc::now() + Duration::hours(24 * 8);
                let reports =
                    store::apply_due_timeouts_with(&self.root, &mut self.services, later).unwrap();
                match reports.into_iter().find(|x| x.instance.id == r.instance.id) {
                    Some(next) => {
                        r = next;
                        continue;
                    }
                    None => {
                        eprintln!("no timeout due for {}", r.instance.id);
                        break;
                    }
                }
            }
            let items = r.work_items.clone();
            for item in items {
                let decision = if self.rng.chance(14) {
                    "reject"
                } else {
                    "approve"
                };
                r = self.answer(&item, decision);
                if r.instance.status != InstanceStatus::Suspended {
                    break;
                }
            }
        }
    }
}

fn weekday_starts(rng: &mut Rng) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut day = Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap();
    let last = Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap();
    while day <= last {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            for _ in 0..(2 + rng.below(4)) {
                let minutes = 8 * 60 + rng.below(9 * 60) as i64;
                out.push(day + Duration::minutes(minutes));
            }
        }
        day += Duration::days(1);
    }
    out.sort();
    out
}

fn main() {
    let target = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or("sample-repository".into()),
    );
    let scratch = tempfile::tempdir().unwrap();
    copy_dir(&target, scratch.path());
    let _ = std::fs::remove_dir_all(scratch.path().join("journal"));
    let root = scratch.path().to_path_buf();
    let config = Repository::open(&root).unwrap().config.unwrap();
    let services = RepoServices::new(&root, &config, ServiceOptions::default());
    let mut sim = Sim {
        root: root.clone(),
        services,
        opts: RunOptions {
            owner: "hwhite".into(),
            purpose: "sample journal".into(),
            dry_run: false,
        },
        rng: Rng(20261130),
        habit: HashMap::from([
            ("jsmith", 3),
            ("mgarcia", 20),
            ("bdavis", 7),
            ("omartin", 1),
            ("spatel", 10),
            ("lchen", 5),
            ("gclark", 14),
            ("rthompson", 30),
        ]),
    };
    let starts = weekday_starts(&mut sim.rng);
    let first_names = [
        "Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Radia", "Linus",
    ];
    let mut plan: Vec<(DateTime<Utc>, String)> = Vec::new();
    for (n, at) in starts.iter().enumerate() {
        let pick = sim.rng.below(100);
        let r = match pick {
            0..35 => {
                let first = first_names[n % first_names.len()];
                let mut inputs = vec![
                    ("firstName", s(first)),
                    ("lastName", s("Example")),
                    ("department", s("Engineering")),
                    ("title", s("Engineer")),
                    ("manager", s("jsmith")),
                ];
                if sim.rng.chance(8) {
                    inputs[2] = ("department", s("Finance"));
                    inputs[4] = ("manager", s("spatel"));
                    inputs.push((
                        "additionalRoles",
                        Value::List(vec![s("Accounts Payable"), s("Vendor Master Maintainer")]),
                    ));
                }
                sim.start("Onboard Employee", &inputs)
            }
            35..50 => {
                // Different people asking for different roles, so most need approvals.
                let people = [
                    "cmoore", "dnguyen", "fahmed", "kjohnson", "nlopez", "pjackson", "sreyes",
                    "wturner",
                ];
                let roles = [
                    "Purchase Requisitioner",
                    "Security Auditor",
                    "Sales Operations Admin",
                    "Production Deployer",
                    "On-Call Responder",
                ];
                let who = people[sim.rng.below(people.len() as u64) as usize];
                let role = roles[sim.rng.below(roles.len() as u64) as usize];
                sim.start(
                    "Access Request",
                    &[
                        ("requester", s(who)),
                        ("role", s(role)),
                        ("justification", s("Project work")),
                    ],
                )
            }
            50..62 => {
                let pw = if sim.rng.chance(20) {
                    "short"
                } else {
                    "Tr1cky-Passphrase"
                };
                sim.start(
                    "Change Password",
                    &[("accountId", s("jsmith")), ("password", s(pw))],
                )
            }
            62..74 => {
                let (who, date) = [("tbrown", "2027-06-30"), ("rkim", "2027-09-30")][n % 2];
                sim.start(
                    "Contractor Renewal",
                    &[("accountId", s(who)), ("newEndDate", s(date))],
                )
            }
            74..86 => sim.start(
                "Role Change",
                &[
                    ("accountId", s("akumar")),
                    (
                        "newDepartment",
                        s(if n % 2 == 0 { "Sales" } else { "Engineering" }),
                    ),
                    ("newTitle", s("Solutions Architect")),
                ],
            ),
            _ => {
                let emergency = sim.rng.chance(30);
                let mut inputs = vec![("accountId", s("ewilson")), ("reason", s("Resigned"))];
                if emergency {
                    inputs.push(("emergency", Value::Int(1)));
                }
                sim.start("Offboard Employee", &inputs)
            }
        };
        let id = r.instance.id.clone();
        // The last days' cases are still waiting when the history ends.
        if n + 6 < starts.len() {
            sim.settle(r);
        }
        plan.push((*at, id));
    }
    // Move every case's lines onto the calendar.
    let all = journal::read(&root, None, None).unwrap();
    assert!(all.bad.is_empty(), "{:?}", all.bad);
    let mut by_case: HashMap<String, Vec<Record>> = HashMap::new();
    for r in all.records {
        by_case.entry(r.instance.clone()).or_default().push(r);
    }
    let mut out: Vec<Record> = Vec::new();
    for (start, id) in plan {
        let Some(records) = by_case.remove(&id) else {
            continue;
        };
        out.extend(rebase(&mut sim, start, records));
    }
    out.sort_by(|a, b| a.at.cmp(&b.at));
    let dir = target.join("journal");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut files: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
    for r in &out {
        files.entry(r.file()).or_default().extend(r.line());
    }
    for (rel, bytes) in files {
        std::fs::File::create(target.join(rel))
            .unwrap()
            .write_all(&bytes)
            .unwrap();
    }
    let cases = out
        .iter()
        .filter(|r| r.event.name() == "caseStarted")
        .count();
    eprintln!(
        "{cases} cases, {} journal lines written under {}",
        out.len(),
        dir.display()
    );
}

fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Move one case's records (in the order written) so it starts at `start`.
fn rebase(sim: &mut Sim, start: DateTime<Utc>, records: Vec<Record>) -> Vec<Record> {
    let real_start = records[0].time().unwrap();
    let mut offset = start - real_start;
    let mut last = start;
    let mut created: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut deadline: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut out = Vec::new();
    for mut r in records {
        let real = r.time().unwrap();
        let mut at = real + offset;
        match &mut r.event {
            Event::WorkItemCreated {
                item, timeout_at, ..
            } => {
                if let Some(t) = timeout_at.as_deref().and_then(journal::parse_time) {
                    *timeout_at = Some(text(t + offset));
                    deadline.insert(item.clone(), t + offset);
                }
                created.insert(item.clone(), at);
            }
            Event::WorkItemCompleted {
                item,
                owner,
                created: c,
                ..
            } => {
                let made = created.get(item.as_str()).copied().unwrap_or(last);
                let habit = sim.habit.get(owner.as_str()).copied().unwrap_or(6);
                let minutes = 10 + sim.rng.below((habit * 2 * 60) as u64) as i64;
                at = (made + Duration::minutes(minutes)).max(last + Duration::seconds(1));
                *c = text(made);
            }
            Event::WorkItemTimedOut {
                item, created: c, ..
            } => {
                let made = created.get(item.as_str()).copied().unwrap_or(last);
                // It timed out when its deadline passed.
                let due = deadline.get(item.as_str()).copied().unwrap_or(made);
                at = due.max(last + Duration::seconds(1));
                *c = text(made);
            }
            Event::CaseEnded {
                started,
                duration_ms,
                ..
            } => {
                at = at.max(last);
                *started = text(start);
                *duration_ms = (at - start).num_milliseconds();
            }
            _ => at = at.max(last),
        }
        offset = at - real;
        last = at;
        r.at = text(at);
        out.push(r);
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
