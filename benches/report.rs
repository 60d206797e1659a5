//! `bpe report` over a journal of 1,000,000 events (250,000 cases of 20 workflows
//! over twelve months, 50 approvers): budget 1 s for `report::compute`, which is
//! all the command does besides opening the repository.
//! Run: `cargo bench --bench report -- --sample-count 3`.
//! `BPE_BENCH_KEEP=DIR` also writes the repository to DIR, to time the command
//! itself: `/usr/bin/time -v target/release/bpe report DIR > /dev/null`.

use std::io::Write;
use std::path::Path;

use bpe::journal::{Event, Record, Workflow};
use bpe::repo::Repository;
use bpe::report::{self, Options};
use chrono::{Duration, TimeZone, Utc};

const CASES: usize = 250_000;

/// Four events a case: started, item created, item completed, ended.
fn write_journal(root: &Path, cases: usize) {
    std::fs::create_dir_all(root.join("journal")).unwrap();
    std::fs::write(
        root.join("repository.json"),
        r#"{"formatVersion": 1, "name": "bench"}"#,
    )
    .unwrap();
    let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let mut files: std::collections::BTreeMap<
        std::path::PathBuf,
        std::io::BufWriter<std::fs::File>,
    > = Default::default();
    for i in 0..cases {
        let start = t0 + Duration::seconds((i as i64) * 126); // twelve months
        let wf = Workflow {
            id: format!("td-{}", i % 20),
            name: format!("Workflow {}", i % 20),
        };
        let id = format!("ti-{i:016x}");
        let item = format!("wi-{i:016x}");
        let owner = format!("approver{}", i % 50);
        let created = start + Duration::seconds(1);
        let answered = created + Duration::minutes((i % 600) as i64);
        let end = answered + Duration::seconds(2);
        let events = [
            (start, Event::CaseStarted { owner: "hr".into() }),
            (
                created,
                Event::WorkItemCreated {
                    item: item.clone(),
                    owner: owner.clone(),
                    activity: "Manager Approval".into(),
                    action: "Manager decides".into(),
                    timeout_at: None,
                },
            ),
            (
                answered,
                Event::WorkItemCompleted {
                    item,
                    owner,
                    activity: "Manager Approval".into(),
                    action: "Manager decides".into(),
                    decision: if i % 7 == 0 { "reject" } else { "approve" }.into(),
                    created: created.to_rfc3339(),
                    by: "bench".into(),
                },
            ),
            (
                end,
                Event::CaseEnded {
                    status: if i % 97 == 0 { "failed" } else { "completed" }.into(),
                    steps: 12,
                    started: start.to_rfc3339(),
                    duration_ms: (end - start).num_milliseconds(),
                    activities: vec!["Provision".into()],
                    reason: (i % 97 == 0).then(|| "provision failed".to_string()),
                    outputs: Default::default(),
                },
            ),
        ];
        for (at, event) in events {
            let r = Record::new(at, &id, wf.clone(), event);
            let f = files.entry(r.file()).or_insert_with_key(|p| {
                std::io::BufWriter::new(std::fs::File::create(root.join(p)).unwrap())
            });
            f.write_all(&r.line()).unwrap();
        }
    }
    for (_, mut f) in files {
        f.flush().unwrap();
    }
}

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 3)]
fn report_one_million_events(bencher: divan::Bencher) {
    let dir = tempfile::tempdir().unwrap();
    write_journal(dir.path(), CASES);
    if let Ok(keep) = std::env::var("BPE_BENCH_KEEP") {
        write_journal(Path::new(&keep), CASES);
    }
    let repo = Repository::open(dir.path()).unwrap();
    bencher.bench_local(|| {
        let r = report::compute(&repo, &Options::new(Utc::now())).unwrap();
        assert_eq!(r.workflows.len(), 20);
        assert_eq!(r.workflows.iter().map(|w| w.started).sum::<usize>(), CASES);
        r
    });
}
