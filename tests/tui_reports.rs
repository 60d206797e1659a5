//! The reports screen (`5`): the figures of `bpe report` over the shipped sample
//! journal with a fixed "now", the period selector, the workflow filter, Enter to
//! the cases behind a figure and Enter to the tasks screen. Expected counts are
//! made here from the journal lines themselves, not by `report::compute`.

mod tui_common;

use std::collections::BTreeSet;

use bpe::tui::app::{App, Screen};
use bpe::tui::reports::Period;
use chrono::{DateTime, Duration, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::Value as J;
use tui_common::*;

/// The fixed "now" of these tests: after the sample history (November 2026).
fn now() -> DateTime<Utc> {
    "2026-11-30T12:00:00Z".parse().unwrap()
}

fn sample_app() -> (tempfile::TempDir, App) {
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    app.reports.clock = Some(now());
    (dir, app)
}

fn draw(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.size = (w, h);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| bpe::tui::view::view(app, f)).unwrap();
    term
}

#[test]
fn reports_120x40() {
    let (_dir, mut app) = sample_app();
    press(&mut app, "5");
    insta::assert_snapshot!(draw(&mut app, 120, 40).backend());
}

#[test]
fn reports_80x24() {
    let (_dir, mut app) = sample_app();
    press(&mut app, "5");
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn reports_200x60() {
    let (_dir, mut app) = sample_app();
    press(&mut app, "5");
    insta::assert_snapshot!(draw(&mut app, 200, 60).backend());
}

/// The shipped journal's lines.
fn journal_lines() -> Vec<J> {
    let text = std::fs::read_to_string(sample_repository().join("journal/2026-11.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn at(l: &J) -> DateTime<Utc> {
    l["at"].as_str().unwrap().parse().unwrap()
}

fn in_days(l: &J, days: Option<i64>) -> bool {
    days.is_none_or(|d| at(l) >= now() - Duration::days(d))
}

/// Cases started in the last `days` (all with None), of `workflow` or all.
fn started(days: Option<i64>, workflow: Option<&str>) -> usize {
    journal_lines()
        .iter()
        .filter(|l| l["event"] == "caseStarted" && in_days(l, days))
        .filter(|l| workflow.is_none_or(|w| l["workflow"]["name"] == w))
        .count()
}

fn case_ids(app: &App) -> BTreeSet<String> {
    let list = app.reports.cases.as_ref().expect("a list of cases");
    list.rows.iter().map(|c| c.instance.clone()).collect()
}

/// Move the focused list's selection to the row for which `is` holds.
fn select_row(app: &mut App, len: usize, is: impl Fn(&App) -> bool) {
    press(app, "g");
    for _ in 0..len {
        if is(app) {
            return;
        }
        press(app, "j");
    }
    assert!(is(app), "no such row");
}

#[test]
fn the_period_selector_counts_the_starts_of_its_days() {
    let (_dir, mut app) = sample_app();
    press(&mut app, "5");
    assert_eq!(app.screen, Screen::Reports);
    for (period, days) in [
        (Period::Days30, Some(30)),
        (Period::Days90, Some(90)),
        (Period::All, None),
        (Period::Days7, Some(7)),
    ] {
        assert_eq!(app.reports.period, period);
        let f = app.reports.figures().expect("figures");
        assert_eq!(f.started, started(days, None), "{period:?}");
        assert_eq!(f.started_per_day.values().sum::<usize>(), f.started);
        for w in &app.reports.report.as_ref().unwrap().workflows {
            assert_eq!(w.started, started(days, Some(&w.workflow)), "{period:?}");
        }
        press(&mut app, "p");
    }
    // 7 days is a real cut of the four weeks of history.
    assert!(started(Some(7), None) < started(Some(30), None));
    assert_eq!(app.reports.period, Period::Days30);
}

#[test]
fn the_workflow_filter_cycles_through_the_workflows() {
    let (_dir, mut app) = sample_app();
    press(&mut app, "5 f");
    assert_eq!(app.reports.workflow.as_deref(), Some("Access Request"));
    let r = app.reports.report.as_ref().unwrap();
    assert_eq!(r.workflows.len(), 1);
    assert_eq!(r.workflows[0].workflow, "Access Request");
    let f = app.reports.figures().unwrap();
    assert_eq!(f.started, started(Some(30), Some("Access Request")));
    let approvers: BTreeSet<String> = journal_lines()
        .iter()
        .filter(|l| l["event"] == "workItemCompleted" && in_days(l, Some(30)))
        .filter(|l| l["workflow"]["name"] == "Access Request")
        .map(|l| l["owner"].as_str().unwrap().to_string())
        .collect();
    let shown: BTreeSet<String> = f.approvers.iter().map(|a| a.name.clone()).collect();
    assert_eq!(shown, approvers);
    press(&mut app, "f");
    assert_eq!(app.reports.workflow.as_deref(), Some("Change Password"));
    // Through every workflow and back to all of them.
    for _ in 0..20 {
        if app.reports.workflow.is_none() {
            break;
        }
        press(&mut app, "f");
    }
    assert_eq!(app.reports.workflow, None);
    assert_eq!(
        app.reports.figures().unwrap().started,
        started(Some(30), None)
    );
}

#[test]
fn enter_on_a_workflow_lists_its_cases_and_a_gone_case_says_so() {
    let (_dir, mut app) = sample_app();
    press(&mut app, "5");
    let n = app.reports.report.as_ref().unwrap().workflows.len();
    select_row(&mut app, n, |a| {
        a.reports.report.as_ref().unwrap().workflows[a.reports.selected[0]].workflow
            == "Onboard Employee"
    });
    press(&mut app, "enter");
    let expected: BTreeSet<String> = journal_lines()
        .iter()
        .filter(|l| l["workflow"]["name"] == "Onboard Employee" && in_days(l, Some(30)))
        .map(|l| l["instance"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(case_ids(&app), expected);
    let list = app.reports.cases.as_ref().unwrap();
    // Latest start first; the sample ships no TaskInstance files.
    assert!(list.rows.windows(2).all(|w| w[0].started >= w[1].started));
    assert!(list.rows.iter().all(|c| !c.on_file));
    let first = list.rows[0].clone();
    let ended = journal_lines()
        .into_iter()
        .find(|l| l["instance"] == first.instance.as_str() && l["event"] == "caseEnded");
    match ended {
        Some(e) => {
            assert_eq!(first.status, e["status"].as_str().unwrap());
            assert_eq!(first.duration_ms, e["durationMs"].as_i64());
        }
        None => assert_eq!(first.status, "running"),
    }
    press(&mut app, "enter");
    assert_eq!(app.screen, Screen::Reports);
    let notice = app.notice.as_ref().expect("a notice").text.clone();
    assert!(
        notice.contains(&first.instance) && notice.contains("file is gone"),
        "{notice}"
    );
    press(&mut app, "esc");
    assert!(app.reports.cases.is_none());
    assert_eq!(app.screen, Screen::Reports);
}

#[test]
fn enter_on_an_approver_lists_the_cases_they_answered() {
    let (_dir, mut app) = sample_app();
    press(&mut app, "5 tab");
    let n = app.reports.figures().unwrap().approvers.len();
    select_row(&mut app, n, |a| {
        a.reports.figures().unwrap().approvers[a.reports.selected[1]].name == "jsmith"
    });
    press(&mut app, "enter");
    let expected: BTreeSet<String> = journal_lines()
        .iter()
        .filter(|l| l["event"] == "workItemCompleted" && l["owner"] == "jsmith")
        .filter(|l| in_days(l, Some(30)))
        .map(|l| l["instance"].as_str().unwrap().to_string())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(case_ids(&app), expected);
}

#[test]
fn five_switches_to_the_reports_from_every_screen() {
    let (_dir, mut app) = sample_app();
    for from in ["1", "2", "3", "4"] {
        press(&mut app, from);
        assert_ne!(app.screen, Screen::Reports);
        press(&mut app, "5");
        assert_eq!(app.screen, Screen::Reports, "from {from}");
    }
    press(&mut app, "1");
    open(&mut app, "Onboard Employee");
    assert_eq!(app.screen, Screen::Editor);
    press(&mut app, "5");
    assert_eq!(app.screen, Screen::Reports);
}

/// Another process starts a Role Change case an hour before now; the app hears
/// of it as the event loop does after a change under the repository.
fn append_start(app: &mut App, root: &std::path::Path, instance: &str) {
    use std::io::Write;
    let at = (now() - Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let line = serde_json::json!({"v": 1, "at": at, "instance": instance,
        "workflow": {"id": "td-x", "name": "Role Change"}, "event": "caseStarted", "owner": "hwhite"});
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(root.join("journal/2026-11.jsonl"))
        .unwrap();
    writeln!(f, "{line}").unwrap();
    bpe::tui::sync::repository_changed(app);
    bpe::tui::app::refresh_screens(app);
}

#[test]
fn the_journal_changing_on_disk_refreshes_live_or_on_the_next_visit() {
    let (dir, mut app) = sample_app();
    press(&mut app, "5");
    let before = app.reports.figures().unwrap().started;
    // In front: live.
    append_start(&mut app, dir.path(), "ti-new1");
    assert_eq!(app.reports.figures().unwrap().started, before + 1);
    // Elsewhere: computed again on the next visit only.
    press(&mut app, "1");
    append_start(&mut app, dir.path(), "ti-new2");
    assert_eq!(app.reports.figures().unwrap().started, before + 1);
    assert!(app.reports.stale);
    press(&mut app, "5");
    assert_eq!(app.reports.figures().unwrap().started, before + 2);
}

/// A copy of the sample repository with a workflow that fails ("Fragile": no
/// transition leaves Check unless kind is "a"), and a way to start cases.
struct Live {
    dir: tempfile::TempDir,
    services: bpe::services::RepoServices,
    opts: bpe::engine::store::RunOptions,
}

impl Live {
    fn new() -> Live {
        let dir = copy_repo(&sample_repository());
        let fragile = serde_json::json!({"formatVersion": 1, "id": "td-fragile", "name": "Fragile", "resultLimit": -1,
            "variables": [{"name": "kind", "input": true}],
            "process": {"activities": [
                {"id": "0", "name": "start", "transitions": [{"to": "Check"}]},
                {"id": "1", "name": "Check", "transitions": [{"to": "end", "condition": "(eq $kind \"a\")"}]},
                {"id": "2", "name": "end"}]}});
        std::fs::write(
            dir.path().join("TaskDefinition/fragile.json"),
            serde_json::to_vec_pretty(&fragile).unwrap(),
        )
        .unwrap();
        let config = bpe::repo::Repository::open(dir.path())
            .unwrap()
            .config
            .unwrap();
        let services = bpe::services::RepoServices::new(
            dir.path(),
            &config,
            bpe::services::ServiceOptions::default(),
        );
        let opts = bpe::engine::store::RunOptions {
            owner: "hwhite".into(),
            purpose: "reports screen test".into(),
            dry_run: false,
        };
        Live {
            dir,
            services,
            opts,
        }
    }

    fn start(&mut self, name: &str, inputs: &[(&str, &str)]) -> bpe::engine::store::RunReport {
        let inputs = inputs
            .iter()
            .map(|(k, v)| (k.to_string(), bpe::expr::Value::Str(v.to_string())))
            .collect();
        bpe::engine::store::start(
            self.dir.path(),
            name,
            &inputs,
            &mut self.services,
            &self.opts,
        )
        .unwrap()
    }

    /// Start an Onboard Employee case (it waits on jsmith's approval); its id.
    fn onboard(&mut self) -> String {
        let inputs = [
            ("firstName", "Ada"),
            ("lastName", "Lovelace"),
            ("department", "Engineering"),
            ("title", "Engineer"),
            ("manager", "jsmith"),
        ];
        self.start("Onboard Employee", &inputs).instance.id
    }

    /// An app on the repository whose "now" is `ahead` after the real time
    /// (the cases just started are in the last 7 days whatever today is).
    fn app(&self, ahead: Duration) -> App {
        let mut app = app(self.dir.path());
        app.reports.clock = Some(Utc::now() + ahead);
        app
    }
}

#[test]
fn enter_on_a_case_opens_it_in_the_tasks_screen() {
    let mut live = Live::new();
    let id = live.onboard();
    let mut app = live.app(Duration::hours(1));
    press(&mut app, "5 p p");
    assert_eq!(app.reports.period, Period::All);
    let n = app.reports.report.as_ref().unwrap().workflows.len();
    select_row(&mut app, n, |a| {
        a.reports.report.as_ref().unwrap().workflows[a.reports.selected[0]].workflow
            == "Onboard Employee"
    });
    press(&mut app, "enter");
    let rows = app.reports.cases.as_ref().unwrap().rows.clone();
    let pos = rows
        .iter()
        .position(|c| c.instance == id)
        .expect("the new case");
    assert!(rows[pos].on_file);
    assert_eq!(rows[pos].status, "suspended");
    // The shipped history (files gone) is listed too.
    assert!(rows.iter().any(|c| !c.on_file));
    for _ in 0..pos {
        press(&mut app, "j");
    }
    press(&mut app, "enter");
    assert_eq!(app.screen, Screen::Tasks);
    assert_eq!(
        app.tasks.opened.as_ref().map(|o| o.id.as_str()),
        Some(id.as_str())
    );
    assert_eq!(app.tasks.rows[app.tasks.selected], id);
    let screen = draw(&mut app, 120, 40);
    let text = format!("{:?}", screen.backend());
    assert!(text.contains(&id), "{text}");
}

#[test]
fn failures_and_overdue_owners_list_their_cases() {
    let mut live = Live::new();
    let failed = live.start("Fragile", &[("kind", "b")]).instance.id;
    live.start("Fragile", &[("kind", "a")]);
    let waiting = live.onboard();
    // Four days on, the pending approval is older than the 72 h default.
    let mut app = live.app(Duration::days(4));
    press(&mut app, "5 p");
    let f = app.reports.figures().unwrap();
    assert_eq!(f.failures.len(), 1, "{:?}", f.failures);
    assert_eq!(f.failures[0].count, 1);
    press(&mut app, "tab tab enter");
    assert_eq!(case_ids(&app), BTreeSet::from([failed.clone()]));
    assert_eq!(app.reports.cases.as_ref().unwrap().rows[0].status, "failed");
    press(&mut app, "esc tab");
    let overdue = &app.reports.report.as_ref().unwrap().overdue;
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0].owner, "jsmith");
    press(&mut app, "enter");
    assert_eq!(case_ids(&app), BTreeSet::from([waiting]));
}

#[test]
fn names_from_the_journal_reach_the_terminal_escaped() {
    use std::io::Write;
    let (dir, mut app) = sample_app();
    let at = (now() - Duration::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let answered =
        (now() - Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let evil = "AAA Evil\u{1b}[2J";
    let lines = [
        serde_json::json!({"v": 1, "at": at, "instance": "ti-evil", "workflow": {"id": "td-e", "name": evil},
            "event": "caseStarted", "owner": "hwhite"}),
        serde_json::json!({"v": 1, "at": answered, "instance": "ti-evil", "workflow": {"id": "td-e", "name": evil},
            "event": "workItemCompleted", "item": "wi-e", "owner": "mal\u{7}lory", "activity": "A",
            "action": "B", "decision": "approve", "created": at}),
    ];
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("journal/2026-11.jsonl"))
        .unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    press(&mut app, "5");
    // Every workflow, then the evil one alone (it sorts first).
    for keys in ["", "f"] {
        press(&mut app, keys);
        let term = draw(&mut app, 200, 60);
        let buf = term.backend().buffer();
        let text: String = buf.content().iter().map(|c| c.symbol()).collect();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.contains("mal\\u{7}lory"), "{keys:?}: {text}");
        if keys == "f" {
            assert!(text.contains("AAA Evil\\u{1b}[2J"), "{text}");
        }
    }
    assert_eq!(app.reports.workflow.as_deref(), Some(evil));
}
