//! `bpe launch`: one case per feed row, bad rows reported and skipped over, keys
//! launched once across re-runs and across a launch killed midway.

mod cli_common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use cli_common::{bpe, s, sample_copy, text};
use serde_json::Value as J;

const ONBOARD_ID: &str = "td-0987b5ab19ec6af8";
const HEADER: &str =
    "employeeId,firstName,lastName,department,title,manager,startDate,additionalRoles\n";

/// A joiner row of the sample Onboard Employee workflow, unique per `i`.
fn joiner(i: usize) -> String {
    let managers = [
        ("Engineering", "jsmith"),
        ("Finance", "lchen"),
        ("Sales", "bdavis"),
    ];
    let (dept, manager) = managers[i % managers.len()];
    format!(
        "E{:05},Test,Joiner{i},{dept},Analyst,{manager},2026-12-01,\n",
        10000 + i
    )
}

/// The instances on disk (temporary files, which loading ignores and the next
/// open removes, are not instances).
fn instances(root: &Path) -> Vec<J> {
    let Ok(dir) = std::fs::read_dir(root.join("TaskInstance")) else {
        return Vec::new();
    };
    dir.map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect()
}

/// `bpe launch ROOT "Onboard Employee" --from FEED` and `extra`.
fn onboard_args<'a>(root: &'a Path, feed: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["launch", s(root), "Onboard Employee", "--from", s(feed)];
    args.extend_from_slice(extra);
    args
}

fn launch_json(root: &Path, feed: &Path, extra: &[&str]) -> (i32, J, String) {
    let mut args = onboard_args(root, feed, extra);
    args.push("--json");
    let out = bpe(&args);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {} {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    (out.status.code().unwrap(), json, text(&out.stderr))
}

fn result_of(json: &J, row: u64) -> &J {
    json["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["row"] == row)
        .unwrap_or_else(|| panic!("no row {row} in {json:#}"))
}

#[test]
fn good_rows_launch_and_bad_rows_are_named_without_stopping_the_others() {
    let (_dir, root) = sample_copy();
    let feed = root.join("../joiners.csv");
    let mut csv = String::from(HEADER);
    csv += &joiner(1); // row 2
    csv += "E10002,Short,Row\n"; // row 3: too few fields
    csv += &joiner(3); // row 4
    csv += &joiner(1).replace("Joiner1", "Again"); // row 5: key of row 2 again
    csv += ",No,Key,Sales,Analyst,bdavis,2026-12-01,\n"; // row 6: empty key
    csv += "E\u{1b}[2J,Esc,Key,Sales,Analyst,bdavis,2026-12-01,\n"; // row 7: good, odd key
    std::fs::write(&feed, csv).unwrap();
    let (code, json, stderr) = launch_json(&root, &feed, &["--key", "employeeId"]);
    assert_eq!(code, 1, "a failed row makes exit 1: {json:#}");
    // stderr is not a terminal here: no progress bar, nothing at all.
    assert_eq!(stderr, "");
    assert_eq!(json["rows"], 6);
    assert_eq!(json["launched"], 3);
    assert_eq!(json["counts"]["suspended"], 3);
    assert_eq!(json["counts"]["failed"], 3);
    assert_eq!(
        result_of(&json, 3)["reason"],
        "row 3: 3 fields, but the header has 8"
    );
    assert_eq!(
        result_of(&json, 5)["reason"],
        "row 5: key 'E10001' repeats row 2"
    );
    assert_eq!(
        result_of(&json, 6)["reason"],
        "row 6: the key column is empty"
    );
    // Suspended rows name their case and the work item it waits on, which exist.
    let r2 = result_of(&json, 2);
    assert_eq!(r2["outcome"], "suspended");
    let wi = &r2["workItems"][0];
    assert_eq!(wi["owner"], "lchen");
    assert_eq!(wi["activity"], "Manager Approval");
    let id = wi["id"].as_str().unwrap();
    assert!(root.join(format!("WorkItem/{id}.json")).exists());
    let all = instances(&root);
    assert_eq!(all.len(), 3, "one case per good row");
    let inst = all
        .iter()
        .find(|i| i["id"] == r2["instance"])
        .expect("row 2's instance");
    assert_eq!(inst["variables"]["lastName"], "Joiner1");
    assert_eq!(inst["variables"]["additionalRoles"], J::Null);
    assert_eq!(inst["status"], "suspended");
    // The table escapes what came from the feed.
    let _ = std::fs::remove_dir_all(root.join("TaskInstance"));
    let _ = std::fs::remove_dir_all(root.join(".bpe/launch"));
    let out = bpe(&onboard_args(&root, &feed, &["--key", "employeeId"]));
    let table = text(&out.stdout);
    assert!(!table.contains('\u{1b}'), "{table}");
    assert!(table.contains("E\\u{1b}[2J"), "{table}");
    assert!(table.contains("failed (3):"), "{table}");
    assert!(
        table.contains("row 3: 3 fields, but the header has 8"),
        "{table}"
    );
}

#[test]
fn re_running_a_feed_launches_nothing_new() {
    let (_dir, root) = sample_copy();
    let feed = root.join("../joiners.csv");
    let mut csv = String::from(HEADER);
    for i in 0..5 {
        csv += &joiner(i);
    }
    csv += "E99999,Bad\n";
    std::fs::write(&feed, csv).unwrap();
    let (code, first, _) = launch_json(&root, &feed, &["--key", "employeeId"]);
    assert_eq!((code, &first["launched"]), (1, &J::from(5)));
    let before = instances(&root).len();
    let (code, again, _) = launch_json(&root, &feed, &["--key", "employeeId"]);
    assert_eq!(code, 1, "the bad row is still bad");
    assert_eq!(again["launched"], 0);
    assert_eq!(again["counts"]["skipped"], 5);
    assert_eq!(again["counts"]["failed"], 1);
    assert_eq!(instances(&root).len(), before);
    // A skipped row names the case its key started.
    let r2 = result_of(&again, 2);
    assert_eq!(r2["outcome"], "skipped");
    assert_eq!(r2["instance"], result_of(&first, 2)["instance"]);
    assert_eq!(r2["reason"], "launched before (row 2, suspended)");
    // The record: one line per key, in row order.
    let record =
        std::fs::read_to_string(root.join(format!(".bpe/launch/{ONBOARD_ID}.jsonl"))).unwrap();
    let keys: Vec<String> = record
        .lines()
        .map(|l| {
            serde_json::from_str::<J>(l).unwrap()["key"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(keys, ["E10000", "E10001", "E10002", "E10003", "E10004"]);
}

/// Launch `rows` joiners with `--key employeeId --jobs JOBS` and SIGKILL it (no
/// clean-up of any kind) once its record holds `lines` lines. The feed and the record.
fn launch_and_kill(root: &Path, rows: usize, jobs: &str, lines: usize) -> (PathBuf, PathBuf) {
    let feed = root.join("../joiners.csv");
    let mut csv = String::from(HEADER);
    for i in 0..rows {
        csv += &joiner(i);
    }
    std::fs::write(&feed, csv).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bpe"))
        .args(onboard_args(
            root,
            &feed,
            &["--key", "employeeId", "--jobs", jobs],
        ))
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let record = root.join(format!(".bpe/launch/{ONBOARD_ID}.jsonl"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(&record).map_or(0, |t| t.lines().count()) < lines {
        assert!(Instant::now() < deadline, "the launch recorded nothing");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    (feed, record)
}

#[test]
fn a_launch_killed_midway_and_resumed_launches_every_row_once() {
    let (_dir, root) = sample_copy();
    let rows = 120;
    let (feed, record) = launch_and_kill(&root, rows, "2", 10);
    let launched_before = instances(&root).len();
    assert!(
        launched_before < rows,
        "killed too late to test anything ({launched_before} of {rows})"
    );
    let (code, json, _) = launch_json(&root, &feed, &["--key", "employeeId"]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["rows"], rows);
    let skipped = json["counts"]["skipped"].as_u64().unwrap() as usize;
    assert!(
        skipped > 0 && skipped <= launched_before,
        "{skipped} skipped"
    );
    // Every row has exactly one case.
    let mut names: Vec<String> = instances(&root)
        .iter()
        .map(|i| i["variables"]["lastName"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    let mut expected: Vec<String> = (0..rows).map(|i| format!("Joiner{i}")).collect();
    expected.sort();
    assert_eq!(names, expected);
    let text = std::fs::read_to_string(&record).unwrap();
    assert_eq!(text.lines().count(), rows);
}

/// A launch killed while its workers' group commits are open (32 rows a commit,
/// killed well before any worker reached one): every case on disk is whole and
/// its key recorded, so the resumed launch skips exactly those and starts the rest.
#[test]
fn a_launch_killed_inside_its_group_commits_leaves_each_row_recorded_with_its_case_or_not_at_all() {
    let (_dir, root) = sample_copy();
    let rows = 200;
    let (feed, record) = launch_and_kill(&root, rows, "4", 20);
    // Every whole line of the record, by instance id.
    let text = std::fs::read_to_string(&record).unwrap();
    let recorded: std::collections::HashMap<String, String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<J>(l).ok())
        .map(|e| {
            (
                e["instance"].as_str().unwrap().to_string(),
                e["key"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut on_disk = 0;
    for entry in std::fs::read_dir(root.join("TaskInstance")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue; // a temporary file of the killed write; the next open removes it
        }
        let inst: J = serde_json::from_slice(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{name} does not load: {e}"));
        let id = inst["id"].as_str().unwrap();
        assert!(
            recorded.contains_key(id),
            "{id} on disk, its key not recorded"
        );
        on_disk += 1;
    }
    assert!(on_disk < rows, "killed too late ({on_disk} of {rows})");
    // A case's later files wait for one sync round at its end: after the kill
    // each is whole or absent, and never ahead of its instance — every work
    // item loads and belongs to an instance on disk, and every suspended
    // instance has its work item.
    let mut items_of: std::collections::HashMap<String, usize> = Default::default();
    for entry in std::fs::read_dir(root.join("WorkItem")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let item: J = serde_json::from_slice(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{name} does not load: {e}"));
        let inst = item["instance"].as_str().unwrap();
        assert!(
            root.join(format!("TaskInstance/{inst}.json")).exists(),
            "{name} waits for {inst}, which is not on disk"
        );
        *items_of.entry(inst.to_string()).or_default() += 1;
    }
    for inst in instances(&root) {
        let id = inst["id"].as_str().unwrap();
        if inst["status"] == "suspended" {
            assert_eq!(
                items_of.get(id),
                Some(&1),
                "{id} suspended without its item"
            );
        }
    }
    for entry in std::fs::read_dir(root.join("Outbox")).unwrap() {
        let path = entry.unwrap().path();
        if !path.file_name().unwrap().to_string_lossy().starts_with('.') {
            let mail = std::fs::read_to_string(&path).unwrap();
            assert!(mail.contains("X-Bpe-Instance"), "{}", path.display());
        }
    }
    let (code, json, _) = launch_json(&root, &feed, &["--key", "employeeId"]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(
        json["counts"]["skipped"].as_u64().unwrap() as usize,
        on_disk
    );
    assert_eq!(json["launched"].as_u64().unwrap() as usize, rows - on_disk);
    assert_eq!(instances(&root).len(), rows);
}

#[test]
fn json_lines_with_a_map_and_a_dry_run_that_writes_nothing() {
    let (_dir, root) = sample_copy();
    let feed = root.join("../joiners.jsonl");
    std::fs::write(
        &feed,
        concat!(
            "{\"id\":\"E1\",\"given\":\"Ada\",\"lastName\":\"Lovelace\",\"department\":\"Engineering\",\"title\":\"Engineer\",\"manager\":\"jsmith\",\"additionalRoles\":[\"On-Call Responder\"]}\n",
            "{\"id\":\"E2\",\"given\":\"Alan\",\"lastNmae\":\"Turing\"}\n",
        ),
    )
    .unwrap();
    let args = ["--key", "id", "--map", "given=firstName", "--dry-run"];
    let (code, json, _) = launch_json(&root, &feed, &args);
    assert_eq!(code, 1);
    assert_eq!(json["dryRun"], true);
    assert_eq!(result_of(&json, 1)["outcome"], "suspended");
    let reason = result_of(&json, 2)["reason"].as_str().unwrap();
    assert!(
        reason
            .starts_with("row 2: column 'lastNmae' is not an input variable of 'Onboard Employee'")
            && reason.ends_with("; did you mean \"lastName\"?"),
        "{reason}"
    );
    assert!(!root.join("TaskInstance").exists());
    assert!(!root.join("WorkItem").exists());
    assert!(!root.join(".bpe/launch").exists());
}

#[test]
fn a_feed_whose_columns_do_not_fit_stops_before_any_case() {
    let (_dir, root) = sample_copy();
    let feed = root.join("../joiners.csv");
    std::fs::write(&feed, "fristName,lastName\nAda,Lovelace\n").unwrap();
    let out = bpe(&["launch", s(&root), "Onboard Employee", "--from", s(&feed)]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("row 1: column 'fristName' is not an input variable of 'Onboard Employee' (map it with --map fristName=VARIABLE, or ignore it with --map fristName=); did you mean \"firstName\""),
        "{err}"
    );
    let out = bpe(&[
        "launch",
        s(&root),
        "Onboard Employee",
        "--from",
        s(&feed),
        "--map",
        "fristName=first",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("'first' is not an input variable"));
    let out = bpe(&["launch", s(&root), "Onboard Employee", "--from", s(&root)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is not a regular file"));
    assert!(!root.join("TaskInstance").exists());
}

#[test]
fn the_sample_feeds_launch_their_workflows() {
    let (_dir, root) = sample_copy();
    let (code, joiners, _) = launch_json(
        &root,
        &root.join("feeds/joiners.csv"),
        &["--key", "employeeId"],
    );
    assert_eq!(code, 0, "{joiners:#}");
    assert_eq!(joiners["counts"]["suspended"], joiners["rows"]);
    let out = bpe(&[
        "launch",
        s(&root),
        "Offboard Employee",
        "--from",
        s(&root.join("feeds/leavers.csv")),
        "--key",
        "accountId",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let leavers: J = serde_json::from_slice(&out.stdout).unwrap();
    // Two wait for their manager; the emergency (rkim) is disabled at once.
    assert_eq!(leavers["counts"]["suspended"], 2);
    assert_eq!(leavers["counts"]["completed"], 1);
    assert_eq!(result_of(&leavers, 4)["key"], "rkim");
    assert_eq!(result_of(&leavers, 4)["outcome"], "completed");
    // Every launched case is in the case journal, after the shipped history, with
    // its work items; the emergency leaver's end too (docs/report.md).
    let shipped = bpe::journal::read(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-repository"),
        None,
        None,
    )
    .unwrap();
    let now = bpe::journal::read(&root, None, None).unwrap();
    assert!(now.bad.is_empty(), "{:?}", now.bad);
    let added = |event: &str| {
        let n = |j: &bpe::journal::Journal| {
            j.records.iter().filter(|r| r.event.name() == event).count() as i64
        };
        n(&now) - n(&shipped)
    };
    let launched = joiners["rows"].as_i64().unwrap() + leavers["rows"].as_i64().unwrap();
    assert_eq!(added("caseStarted"), launched);
    assert_eq!(added("caseEnded"), 1);
    assert_eq!(
        added("workItemCreated"),
        joiners["counts"]["suspended"].as_i64().unwrap() + 2
    );
}

/// With stderr on a terminal (util-linux `script` gives it one) a progress bar is
/// drawn there, and stdout keeps only the summary. Skipped where `script` is absent.
#[test]
fn a_progress_bar_is_drawn_on_a_terminal_only() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("script(1) not found: skipped");
        return;
    }
    let (dir, root) = sample_copy();
    let feed = dir.path().join("joiners.csv");
    let mut csv = String::from(HEADER);
    for i in 0..30 {
        csv += &joiner(i);
    }
    std::fs::write(&feed, csv).unwrap();
    let out = dir.path().join("summary.txt");
    let typescript = dir.path().join("typescript");
    let cmd = format!(
        "'{}' launch '{}' 'Onboard Employee' --from '{}' --key employeeId > '{}'",
        env!("CARGO_BIN_EXE_bpe"),
        s(&root),
        s(&feed),
        s(&out)
    );
    let status = Command::new("script")
        .args(["-qec", &cmd, s(&typescript)])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    let screen = String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned();
    assert!(status.success(), "{screen}");
    assert!(screen.contains("/30 rows"), "{screen}");
    let summary = std::fs::read_to_string(&out).unwrap();
    assert!(summary.starts_with("Onboard Employee from "), "{summary}");
    assert!(!summary.contains("rows  "), "{summary}");
}

/// A workflow whose case creates a user after finding its manager: a chain of
/// rows where each row's manager is the user the row before created.
const HIRE_CHAIN: &str = r#"{
  "formatVersion": 1, "id": "td-hire-chain", "name": "Hire Chain",
  "process": {
    "variables": [
      {"name": "accountId", "input": true}, {"name": "manager", "input": true},
      {"name": "managerUser"}
    ],
    "activities": [
      {"id": "0", "name": "start", "transitions": [{"to": "Find Manager"}]},
      {"id": "1", "name": "Find Manager", "actions": [
        {"kind": "service", "op": "getUser", "arguments": [{"name": "accountId", "value": "$manager"}]},
        {"kind": "expression", "expression": "(set name=\"managerUser\" $WF_ACTION_RESULT)"}
      ], "transitions": [
        {"to": "Create", "condition": "(notnull $managerUser)"},
        {"to": "No Manager"}
      ]},
      {"id": "2", "name": "Create", "actions": [
        {"kind": "service", "op": "createUser", "arguments": [
          {"name": "accountId", "value": "$accountId"}, {"name": "manager", "value": "$manager"},
          {"name": "firstName", "value": "\"Chain\""}, {"name": "lastName", "value": "$accountId"}
        ]}
      ], "transitions": [{"to": "end"}]},
      {"id": "3", "name": "No Manager", "actions": [
        {"kind": "service", "op": "addResultError", "arguments": [
          {"name": "message", "value": "(concat \"no manager \" $manager)"}
        ]}
      ], "transitions": [{"to": "end"}]},
      {"id": "4", "name": "end"}
    ]
  }
}
"#;

/// The services' read cache of `User/` (a launch's cases share it) sees the
/// users the launch itself creates: each row of a chain finds, as its manager,
/// the user the row before created — also when `User/` was quiet long enough
/// before the launch for its snapshot to be kept.
#[test]
fn a_user_created_by_one_row_is_found_by_the_next_through_the_read_cache() {
    let (_dir, root) = sample_copy();
    std::fs::write(root.join("TaskDefinition/hire-chain.json"), HIRE_CHAIN).unwrap();
    // Quiet for a minute: the cache keeps a snapshot of User/ at the first read.
    let old = std::time::SystemTime::now() - Duration::from_secs(60);
    std::fs::File::open(root.join("User"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let feed = root.join("../chain.csv");
    let mut csv = String::from("accountId,manager\n");
    let mut manager = "jsmith".to_string();
    for i in 0..6 {
        let id = format!("chain{i}");
        csv += &format!("{id},{manager}\n");
        manager = id;
    }
    std::fs::write(&feed, csv).unwrap();
    let out = bpe(&[
        "launch",
        s(&root),
        "Hire Chain",
        "--from",
        s(&feed),
        "--jobs",
        "1",
        "--json",
    ]);
    let json: J = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{json:#} {}", text(&out.stderr));
    assert_eq!(json["counts"]["completed"], 6, "{json:#}");
    for i in 0..6 {
        let user: J = serde_json::from_slice(
            &std::fs::read(root.join(format!("User/chain{i}.json"))).unwrap(),
        )
        .unwrap();
        let manager = if i == 0 {
            "jsmith".to_string()
        } else {
            format!("chain{}", i - 1)
        };
        assert_eq!(user["manager"], manager.as_str());
    }
    for r in json["results"].as_array().unwrap() {
        assert!(r["reason"].is_null(), "{r:#}");
    }
}
