//! End-to-end runs of the real binary in tmux: edit and save, the edit lock
//! between two processes, live reload, and SIGTERM keeping a recovery copy.
//! Skipped (with a note) when `tmux` is not installed.

mod cli_common;
mod tui_common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use bpe::model::TaskDefinition;
use tui_common::*;

const DEADLINE: Duration = Duration::from_secs(20);

fn have_tmux() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: tmux not found; skipping the tmux end-to-end test");
    }
    ok
}

/// A detached tmux session running bpe; killed on drop (also when a test fails).
struct Session {
    name: String,
}

impl Session {
    fn start(tag: &str, repo: &Path) -> Session {
        Session::start_with(tag, repo, "")
    }

    fn start_with(tag: &str, repo: &Path, flags: &str) -> Session {
        let cmd = format!(
            "exec {} {flags} {}",
            env!("CARGO_BIN_EXE_bpe"),
            repo.display()
        );
        Session::start_command(tag, &cmd)
    }

    /// bpe under a shell that writes its exit status to `status_file`. tmux's own
    /// "Pane is dead (status N)" line is not reliable: now and then tmux leaves the
    /// exited process a zombie for longer than any deadline, so the shell reaps it.
    fn start_recording_exit(tag: &str, repo: &Path, status_file: &Path) -> Session {
        let cmd = format!(
            "{} {}; echo $? > {}",
            env!("CARGO_BIN_EXE_bpe"),
            repo.display(),
            status_file.display()
        );
        Session::start_command(tag, &cmd)
    }

    fn start_command(tag: &str, cmd: &str) -> Session {
        let name = format!("bpe-test-{tag}-{}", std::process::id());
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                "120",
                "-y",
                "40",
                cmd,
            ])
            .env("NO_COLOR", "1")
            .env_remove("TMUX")
            .status()
            .expect("tmux new-session");
        assert!(status.success(), "tmux new-session failed");
        let _ = Command::new("tmux")
            .args(["set-option", "-t", &name, "remain-on-exit", "on"])
            .status();
        Session { name }
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let status = Command::new("tmux")
                .args(["send-keys", "-t", &self.name, k])
                .status()
                .unwrap();
            assert!(status.success());
        }
    }

    fn text(&self, text: &str) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.name, "-l", text])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The visible screen plus some scrollback (what was printed after leaving
    /// the alternate screen may have scrolled there).
    fn capture(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-S", "-100", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Poll the screen until `want` appears; panic with the screen after the deadline.
    fn wait_for(&self, want: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if screen.contains(want) {
                return screen;
            }
            if start.elapsed() > DEADLINE {
                panic!("{want:?} did not appear; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn pid(&self) -> u32 {
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.name, "#{pane_pid}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("pane pid")
    }
    /// The pid of the bpe process that the pane's shell runs (see `start_recording_exit`).
    fn bpe_pid(&self) -> u32 {
        let shell = self.pid();
        let mut found = None;
        wait_until("bpe under the pane's shell", || {
            found = std::fs::read_dir("/proc").unwrap().flatten().find_map(|e| {
                let pid: u32 = e.file_name().to_str()?.parse().ok()?;
                let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
                // pid (comm) state ppid ...: the comm may hold spaces, so split after ')'.
                let after = &stat[stat.rfind(')')? + 2..];
                let ppid: u32 = after.split(' ').nth(1)?.parse().ok()?;
                (ppid == shell && stat.contains("(bpe)")).then_some(pid)
            });
            found.is_some()
        });
        found.unwrap()
    }
}

/// The exit status the pane's shell recorded, once it is there.
fn recorded_exit(status_file: &Path) -> i32 {
    let mut code = None;
    wait_until("the recorded exit status", || {
        code = std::fs::read_to_string(status_file)
            .ok()
            .and_then(|t| t.trim().parse().ok());
        code.is_some()
    });
    code.unwrap()
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn onboard(repo: &Path) -> TaskDefinition {
    let text = std::fs::read_to_string(repo.join("TaskDefinition/onboard-employee.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Browser -> filter -> open Onboard Employee.
fn open_onboard(s: &Session) {
    s.wait_for("Workflows");
    s.keys(&["/"]);
    s.text("Onboard Employee");
    s.keys(&["Enter", "Enter"]);
    s.wait_for("Properties: Activity");
}

#[test]
fn edit_a_transition_condition_and_save() {
    if !have_tmux() {
        return;
    }
    let dir = copy_repo(&sample_repository());
    let s = Session::start("edit", dir.path());
    open_onboard(&s);
    // start is selected: focus its properties, open its transition (last row),
    // go to the condition (from, to, condition) and type one.
    s.keys(&["Enter", "G", "Enter"]);
    s.wait_for("Properties: Transition");
    s.keys(&["j", "j", "Enter"]);
    s.wait_for("Enter applies");
    s.text("(eq $requestType \"hire\")");
    s.keys(&["Enter"]);
    s.wait_for("modified");
    s.keys(&["s"]);
    s.wait_for("saved Onboard Employee");
    let def = onboard(dir.path());
    assert_eq!(
        def.process.activities[0].transitions[0]
            .condition
            .as_deref(),
        Some("(eq $requestType \"hire\")")
    );
    s.keys(&["q"]);
}

#[test]
fn second_process_opens_read_only_and_names_the_holder() {
    if !have_tmux() {
        return;
    }
    let dir = copy_repo(&sample_repository());
    let first = Session::start("lock1", dir.path());
    open_onboard(&first);
    let first_pid = first.pid();
    let second = Session::start("lock2", dir.path());
    second.wait_for("Workflows");
    second.keys(&["/"]);
    second.text("Onboard Employee");
    second.keys(&["Enter", "Enter"]);
    let screen = second.wait_for("read-only");
    let user = bpe::repo::lock::current_user();
    let host = bpe::repo::lock::host_name();
    let holder = format!("{user}@{host} (pid {first_pid})");
    assert!(
        screen.contains(&holder),
        "holder {holder:?} not shown:\n{screen}"
    );
    assert!(screen.contains("since"), "{screen}");
    // Edits are refused in the read-only copy.
    second.keys(&["a"]);
    second.wait_for("read-only: being edited by");
}

#[test]
fn external_edit_reloads_the_open_workflow() {
    if !have_tmux() {
        return;
    }
    let dir = copy_repo(&sample_repository());
    let s = Session::start("reload", dir.path());
    open_onboard(&s);
    let mut def = onboard(dir.path());
    def.process.activities[0].name = "start".into();
    def.description = "Edited by someone else".into();
    let first = def.process.activities[0].transitions[0].to.clone();
    let i = def
        .process
        .activities
        .iter()
        .position(|a| a.name == first)
        .unwrap();
    def.process.activities[i].name = "Check The Request".into();
    def.process.activities[0].transitions[0].to = "Check The Request".into();
    bpe::repo::save_json(
        &dir.path().join("TaskDefinition/onboard-employee.json"),
        &def,
    )
    .unwrap();
    s.wait_for("reloaded Onboard Employee");
    s.wait_for("Check The Request");
    // New files appear in the browser.
    s.keys(&["c", "Escape"]);
    s.wait_for("Workflows (7)");
    let mut copy = def.clone();
    copy.id = "td-brand-new".into();
    copy.name = "Brand New Flow".into();
    bpe::repo::save_json(
        &dir.path().join("TaskDefinition/brand-new-flow.json"),
        &copy,
    )
    .unwrap();
    s.wait_for("Brand New Flow");
    s.wait_for("Workflows (8)");
}

#[test]
fn sigterm_restores_the_terminal_and_keeps_a_recovery_copy() {
    if !have_tmux() {
        return;
    }
    let dir = copy_repo(&sample_repository());
    let status_dir = tempfile::tempdir().unwrap();
    let status_file = status_dir.path().join("status");
    let s = Session::start_recording_exit("term", dir.path(), &status_file);
    open_onboard(&s);
    // Toggle andSplit of start: Enter (properties), j j (andSplit), Enter.
    s.keys(&["Enter", "j", "j", "Enter"]);
    s.wait_for("modified");
    let pid = s.bpe_pid();
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let recovery = dir.path().join(".bpe/recovery/onboard-employee.json");
    wait_until("the recovery copy", || recovery.exists());
    let screen = s.wait_for("unsaved edits kept in");
    assert!(
        !screen.contains("Properties:"),
        "alternate screen left:\n{screen}"
    );
    assert_eq!(recorded_exit(&status_file), 143);
    // The next start offers it.
    let again = Session::start("term2", dir.path());
    again.wait_for("Recovery copies");
    again.keys(&["r"]);
    again.wait_for("restored unsaved edits of Onboard Employee");
    again.wait_for("modified");
}

#[test]
fn sighup_keeps_a_recovery_copy_too() {
    if !have_tmux() {
        return;
    }
    let dir = copy_repo(&sample_repository());
    let status_dir = tempfile::tempdir().unwrap();
    let status_file = status_dir.path().join("status");
    let s = Session::start_recording_exit("hup", dir.path(), &status_file);
    open_onboard(&s);
    s.keys(&["Enter", "j", "j", "Enter"]);
    s.wait_for("modified");
    let status = Command::new("kill")
        .args(["-HUP", &s.bpe_pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let recovery = dir.path().join(".bpe/recovery/onboard-employee.json");
    wait_until("the recovery copy", || recovery.exists());
    assert_eq!(recorded_exit(&status_file), 129);
    // The edit lock went with the process.
    let locks = bpe::repo::lock::list(dir.path()).unwrap();
    assert!(
        locks.iter().all(|l| l.holders.is_empty() || l.stale),
        "{locks:?}"
    );
}

#[test]
fn poll_mode_reloads_external_edits() {
    if !have_tmux() {
        return;
    }
    let dir = copy_repo(&sample_repository());
    let s = Session::start_with("poll", dir.path(), "--poll");
    open_onboard(&s);
    let mut def = onboard(dir.path());
    def.description = "Polled".into();
    def.process.activities[0].transitions[0].comment = "polled edit".into();
    bpe::repo::save_json(
        &dir.path().join("TaskDefinition/onboard-employee.json"),
        &def,
    )
    .unwrap();
    s.wait_for("reloaded Onboard Employee");
}

/// `bpe run` leaves a suspended case; the TUI approves its work item in the work
/// items screen, and the tasks screen shows the case completed.
#[test]
fn approve_a_work_item_then_see_the_task_completed() {
    if !have_tmux() {
        return;
    }
    let dir = copy_repo(&sample_repository());
    let run = run_onboard(dir.path());
    assert_eq!(run["status"], "suspended", "{run:#}");
    let instance = run["instance"].as_str().unwrap().to_string();
    let s = Session::start("workitems", dir.path());
    s.wait_for("Workflows");
    s.keys(&["3"]);
    s.wait_for("Work items");
    // The item is jsmith's: show everyone's, then approve it.
    s.keys(&["a"]);
    s.wait_for("New hire Ada Lovelace");
    // The approve question names the item's owner: it is not this user's.
    s.keys(&["y"]);
    let screen = s.wait_for("belongs to jsmith, not to you");
    assert!(screen.contains("cannot be undone"), "{screen}");
    s.keys(&["y"]);
    s.wait_for("completed");
    s.keys(&["2"]);
    let screen = s.wait_for("Tasks");
    assert!(
        has_line(&screen, "completed", "Onboard Employee"),
        "{screen}"
    );
    let text = std::fs::read_to_string(dir.path().join(format!("TaskInstance/{instance}.json")))
        .unwrap_or_default();
    assert!(text.is_empty() || text.contains("\"completed\""), "{text}");
}

/// `bpe run` of Onboard Employee for Ada Lovelace (suspends on jsmith's approval): its JSON report.
fn run_onboard(repo: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_bpe"))
        .arg("run")
        .arg(repo)
        .arg("Onboard Employee")
        .args(cli_common::ONBOARD_ADA)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Whether one line of `screen` holds both texts.
fn has_line(screen: &str, a: &str, b: &str) -> bool {
    screen.lines().any(|l| l.contains(a) && l.contains(b))
}

/// `bpe` with its per-user data (the debugger's workspace) in `data`, never the real home.
fn start_with_data(tag: &str, repo: &Path, data: &Path) -> Session {
    let cmd = format!(
        "exec env BPE_DATA_DIR={} {} {}",
        data.display(),
        env!("CARGO_BIN_EXE_bpe"),
        repo.display()
    );
    Session::start_command(tag, &cmd)
}

fn bpe_locks(repo: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_bpe"))
        .arg("locks")
        .arg(repo)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_debug_run_in_apply_mode_is_listed_by_bpe_locks_blocks_saving_and_survives_esc() {
    if !have_tmux() {
        return;
    }
    let dir = copy_repo(&sample_repository());
    let data = tempfile::tempdir().unwrap();
    let s = start_with_data("debugrun", dir.path(), data.path());
    open_onboard(&s);
    s.keys(&["D"]);
    s.wait_for("Inputs (e edits");
    // Apply mode, then start the run with one step.
    s.keys(&["m"]);
    s.wait_for("[APPLY]");
    s.keys(&["s"]);
    s.wait_for("started Onboard Employee [APPLY]");
    let locks = bpe_locks(dir.path());
    assert!(
        locks.contains("bpe debug run") && locks.contains("shared"),
        "bpe locks should list the debug run with holder and mode:\n{locks}"
    );
    // Esc: the editor; saving is refused naming the run.
    s.keys(&["Escape"]);
    s.wait_for("Properties: Activity");
    s.keys(&["s"]);
    s.wait_for("not saved: a run holds this workflow");
    s.wait_for("bpe debug run");
    // D: the same run (still in apply mode, no new input form).
    s.keys(&["D"]);
    let screen = s.wait_for("back to the debug run");
    assert!(screen.contains("[APPLY]"), "{screen}");
    assert!(!screen.contains("Inputs (e edits"), "{screen}");
    // Stopping releases the lock.
    s.keys(&["x"]);
    s.wait_for("debug run stopped");
    wait_until("the run lock released", || {
        !bpe_locks(dir.path()).contains("bpe debug run")
    });
}

#[test]
fn three_from_the_editor_and_back_to_the_unchanged_editor() {
    if !have_tmux() {
        return;
    }
    let dir = copy_repo(&sample_repository());
    let s = Session::start("digits", dir.path());
    open_onboard(&s);
    // An unsaved edit: a new activity after the selected one.
    s.keys(&["a"]);
    s.text("Extra Step");
    s.keys(&["Enter"]);
    s.wait_for("● modified");
    s.keys(&["3"]);
    s.wait_for("Work items");
    s.keys(&["1"]);
    s.wait_for("Workflows");
    s.keys(&["Enter"]);
    let screen = s.wait_for("Properties: Activity");
    assert!(screen.contains("● modified"), "{screen}");
    assert!(screen.contains("Extra Step"), "{screen}");
}

/// Loops for ever (A -> B -> A), writing its progress every 100 ms.
const SPIN: &str = r#"{"formatVersion": 1, "id": "td-spin", "name": "Spin", "progressInterval": 100,
  "resultLimit": -1,
  "process": {"maxSteps": 1000000000, "activities": [
    {"id": "0", "name": "start", "transitions": [{"to": "A"}]},
    {"id": "1", "name": "A", "actions": [{"kind": "expression", "expression": "(set name=\"i\" (add $i 1))"}],
     "transitions": [{"to": "B"}]},
    {"id": "2", "name": "B", "transitions": [{"to": "A"}]}]}}"#;

/// Kills the `bpe run` it holds on drop (also when a test fails).
struct Run(std::process::Child);

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `bpe run` of Spin in `repo`, as another process (killed when dropped).
fn spin(repo: &Path) -> Run {
    Run(Command::new(env!("CARGO_BIN_EXE_bpe"))
        .arg("run")
        .arg(repo)
        .arg("Spin")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap())
}

#[test]
fn a_case_run_by_another_process_shows_live_in_tasks_and_the_browser() {
    if !have_tmux() {
        return;
    }
    let dir = copy_repo(&sample_repository());
    std::fs::write(dir.path().join("TaskDefinition/spin.json"), SPIN).unwrap();
    let s = Session::start("live", dir.path());
    s.wait_for("Workflows");
    s.keys(&["2"]);
    s.wait_for("Tasks — all (0)");
    // Another process starts a case; no key is pressed from here on.
    let run = spin(dir.path());
    s.wait_for("Tasks — all (1)");
    // Running, at its current activity, with a step count that goes up as it persists.
    let row = |screen: &str| -> Option<(String, u64)> {
        let line = screen
            .lines()
            .find(|l| l.contains("Spin") && l.contains("running"))?
            .trim_end_matches(['│', ' ']);
        let at = line.split_whitespace().last()?.to_string();
        let steps = line
            .split_whitespace()
            .filter_map(|w| w.parse::<u64>().ok())
            .next()?;
        Some((at, steps))
    };
    let mut first = None;
    wait_until("the running case in Tasks", || {
        first = row(&s.capture());
        first.as_ref().is_some_and(|(at, _)| at == "A" || at == "B")
    });
    let (_, steps) = first.unwrap();
    wait_until("its steps to go up while it runs", || {
        row(&s.capture()).is_some_and(|(_, n)| n > steps)
    });
    // The browser shows it as a badge on its workflow.
    s.keys(&["1"]);
    let screen = s.wait_for("▶1 running");
    assert!(has_line(&screen, "Spin", "▶1 running"), "{screen}");
    // Its runner killed outright: Tasks says so on its own (the locks watcher sees
    // its lock files closed; the TUI's 15 s lock timer is the fallback).
    s.keys(&["2"]);
    s.wait_for("Tasks — all (1)");
    drop(run);
    let start = Instant::now();
    while !s.capture().contains("interrupted") {
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "not shown interrupted:\n{}",
            s.capture()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A second run, killed while the browser is in front: its badge goes
    // without a key pressed (the reload after its last progress write, or the
    // recount on its lock files closing or the 15 s timer when no write
    // follows the kill: tests/tui_tasks.rs checks the recount itself).
    let run = spin(dir.path());
    s.wait_for("Tasks — all (2)");
    s.keys(&["1"]);
    let screen = s.wait_for("▶1 running");
    assert!(has_line(&screen, "Spin", "▶1 running"), "{screen}");
    drop(run);
    wait_until("the killed run's badge to go", || {
        !s.capture().contains("running")
    });
}

#[test]
fn a_work_item_created_by_another_process_appears_in_the_work_items_screen() {
    if !have_tmux() {
        return;
    }
    let dir = copy_repo(&sample_repository());
    let s = Session::start("liveitems", dir.path());
    s.wait_for("Workflows");
    s.keys(&["3", "a"]);
    s.wait_for("No pending work items.");
    run_onboard(dir.path());
    let screen = s.wait_for("New hire Ada Lovelace");
    assert!(screen.contains("Work items — everyone (1)"), "{screen}");
}

#[test]
fn five_shows_the_reports_of_the_shipped_journal() {
    if !have_tmux() {
        return;
    }
    let dir = copy_repo(&sample_repository());
    // Counted here from the journal: every case it starts, and Onboard Employee's.
    let journal = std::fs::read_to_string(dir.path().join("journal/2026-11.jsonl")).unwrap();
    let starts = |workflow: &str| {
        journal
            .lines()
            .filter(|l| l.contains("\"event\":\"caseStarted\"") && l.contains(workflow))
            .count()
    };
    let s = Session::start("reports", dir.path());
    s.wait_for("Workflows");
    s.keys(&["5"]);
    s.wait_for("Reports — last 30 days");
    // Whatever today is, "all time" covers the whole shipped history.
    s.keys(&["p", "p"]);
    let screen = s.wait_for("Reports — all time");
    let all = format!("Cases started per day ({})", starts("\"name\":"));
    let screen = if screen.contains(&all) {
        screen
    } else {
        s.wait_for(&all)
    };
    // The workflow's row: its name, then the cases started.
    let row = screen
        .lines()
        .find(|l| l.contains("Onboard Employee"))
        .unwrap_or_else(|| panic!("no Onboard Employee row in\n{screen}"));
    let first_count = row.split_whitespace().nth(3).unwrap_or("");
    let want = starts("\"name\":\"Onboard Employee\"").to_string();
    assert_eq!(first_count, want, "{row}");
    assert!(
        screen.contains("Approval latency p50 per approver"),
        "{screen}"
    );
    assert!(screen.contains("jsmith"), "{screen}");
}

/// The diff view on the real binary: rename an activity with keys, `=` and
/// Enter (last save): the change list names the rename, the box is marked `~`,
/// the legend is shown; Esc leaves the working copy as it was (still unsaved).
#[test]
fn diff_view_shows_an_unsaved_rename() {
    if !have_tmux() {
        return;
    }
    let dir = copy_repo(&sample_repository());
    let s = Session::start("diff", dir.path());
    open_onboard(&s);
    s.keys(&["/"]);
    s.text("Manager Approval");
    s.keys(&["Enter"]);
    s.wait_for("Properties: Activity");
    s.keys(&["r"]);
    s.wait_for("Enter applies");
    s.keys(&["End"]);
    s.text(" Board");
    s.keys(&["Enter"]);
    s.wait_for("modified");
    s.keys(&["="]);
    s.wait_for("Diff the working copy against");
    s.keys(&["Enter"]);
    // Each waited for: a capture may fall between two writes of a frame.
    s.wait_for("Changes (1) from last save");
    s.wait_for("~ activity \"Manager Approval Board\"");
    s.wait_for("renamed: Manager Approval ->");
    s.wait_for("+ added  ~ changed  - removed");
    s.wait_for("┌~"); // the renamed box's mark
    s.keys(&["Escape"]);
    s.wait_for("Properties: Activity");
    assert_eq!(
        onboard(dir.path()).process.activities[4].name,
        "Manager Approval",
        "the diff view saves nothing"
    );
    s.keys(&["q"]);
}

/// The rule editor on the real binary (issue 13): open a sample rule from the
/// browser, edit its body in the text area, save, and `bpe test-rule` gives
/// the new result.
#[test]
fn edit_a_rule_body_save_and_test_rule_gives_the_new_result() {
    if !have_tmux() {
        return;
    }
    let dir = copy_repo(&sample_repository());
    let root = dir.path().to_str().unwrap();
    let before = cli_common::bpe(&[
        "test-rule",
        root,
        "Email Address",
        "--arg",
        "accountId=JDoe",
    ]);
    assert!(cli_common::text(&before.stdout).contains("\"jdoe@example.com\""));
    let s = Session::start("ruleed", dir.path());
    s.wait_for("Workflows");
    s.keys(&["/"]);
    s.text("Email Address");
    s.keys(&["Enter", "Enter"]);
    s.wait_for("Rule Email Address");
    s.wait_for("Used by (5)");
    // Tab to the body, edit it: drop the last parenthesis, add a suffix.
    s.keys(&["Tab", "Tab", "Enter"]);
    s.wait_for("Body — editing");
    s.keys(&["BSpace"]);
    s.wait_for("expected ')'");
    s.text(" \".uk\")");
    s.wait_for("✓ parses");
    s.keys(&["Enter"]);
    s.wait_for("set body of rule Email Address");
    s.wait_for("● modified");
    s.keys(&["s"]);
    s.wait_for("saved Rule/email-address.json");
    let after = cli_common::bpe(&[
        "test-rule",
        root,
        "Email Address",
        "--arg",
        "accountId=JDoe",
    ]);
    assert!(after.status.success());
    assert!(
        cli_common::text(&after.stdout).contains("\"jdoe@example.com.uk\""),
        "{}",
        cli_common::text(&after.stdout)
    );
    s.keys(&["q"]);
}
