//! Every sample workflow, run by the real engine and services on a copy of
//! sample-repository, down each of its main paths: the case ends where it should,
//! with the identity store, outbox and result it should have.

mod sample_common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use bpe::engine::store::{self, Completion, RunOptions, RunReport};
use bpe::expr::Value;
use bpe::model::{InstanceStatus, User, WorkItem};
use bpe::repo::Repository;
use bpe::services::{RepoServices, ServiceOptions};
use sample_common::sample_root;

mod common;
use common::copy_dir;

struct Demo {
    _dir: tempfile::TempDir,
    root: PathBuf,
    services: RepoServices,
    opts: RunOptions,
}

fn s(text: &str) -> Value {
    Value::Str(text.to_string())
}

impl Demo {
    fn new() -> Demo {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&sample_root(), dir.path());
        let root = dir.path().to_path_buf();
        let config = Repository::open(&root).unwrap().config.unwrap();
        let services = RepoServices::new(&root, &config, ServiceOptions::default());
        let opts = RunOptions {
            owner: "hwhite".to_string(),
            purpose: "sample_workflows".to_string(),
            dry_run: false,
        };
        Demo {
            _dir: dir,
            root,
            services,
            opts,
        }
    }

    fn start(&mut self, name: &str, inputs: &[(&str, Value)]) -> RunReport {
        let inputs: BTreeMap<String, Value> = inputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        store::start(&self.root, name, &inputs, &mut self.services, &self.opts)
            .unwrap_or_else(|e| panic!("start {name}: {e}"))
    }

    fn complete(&mut self, item: &WorkItem, decision: &str, vars: &[(&str, Value)]) -> RunReport {
        let completion = Completion {
            decision: Some(decision.to_string()),
            comment: format!("{decision} by {}", item.owner),
            variables: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        };
        store::complete(
            &self.root,
            &item.id,
            &completion,
            &mut self.services,
            &self.opts,
        )
        .unwrap_or_else(|e| panic!("complete {}: {e}", item.id))
    }

    /// Let `hours` pass: work items due by then time out and their cases resume.
    fn after_hours(&mut self, hours: i64) -> Vec<RunReport> {
        let now = chrono::Utc::now() + chrono::Duration::hours(hours);
        store::apply_due_timeouts_with(&self.root, &mut self.services, now).unwrap()
    }

    fn user(&self, id: &str) -> Option<User> {
        let path = self.root.join("User").join(format!("{id}.json"));
        let text = std::fs::read_to_string(path).ok()?;
        Some(serde_json::from_str(&text).unwrap())
    }

    /// Every message in Outbox/, as text.
    fn outbox(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.root.join("Outbox")) else {
            return Vec::new();
        };
        entries
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect()
    }

    fn mail(&self, subject_part: &str) -> String {
        let all = self.outbox();
        all.iter()
            .find(|m| {
                m.lines()
                    .any(|l| l.starts_with("Subject:") && l.contains(subject_part))
            })
            .cloned()
            .unwrap_or_else(|| panic!("no mail about {subject_part:?} in {} messages", all.len()))
    }

    fn audit(&self) -> String {
        std::fs::read_to_string(self.root.join("audit.jsonl")).unwrap_or_default()
    }
}

fn var<'a>(r: &'a RunReport, name: &str) -> &'a Value {
    r.instance.variables.get(name).unwrap_or(&Value::Null)
}

fn assert_finished(r: &RunReport, outcome: &str) {
    assert_eq!(
        r.instance.status,
        InstanceStatus::Completed,
        "{}: {:?} {:?}",
        r.instance.name,
        r.instance.reason,
        r.instance.result
    );
    assert_eq!(var(r, "outcome"), &s(outcome), "{:?}", r.instance.result);
    assert!(r.work_items.is_empty());
}

fn only_item(r: &RunReport, owner: &str) -> WorkItem {
    assert_eq!(
        r.instance.status,
        InstanceStatus::Suspended,
        "{:?}",
        r.instance.result
    );
    assert_eq!(r.work_items.len(), 1, "{:?}", r.work_items);
    let item = r.work_items[0].clone();
    assert_eq!(item.owner, owner);
    item
}

fn onboard_jane(d: &mut Demo, extra: &[(&str, Value)]) -> RunReport {
    let mut inputs = vec![
        ("firstName", s("Jane")),
        ("lastName", s("Smith")),
        ("department", s("Engineering")),
        ("title", s("Software Engineer")),
        ("manager", s("jsmith")),
        ("startDate", s("2027-01-04")),
    ];
    inputs.extend(extra.iter().cloned());
    d.start("Onboard Employee", &inputs)
}

// ------------------------------------------------------------------ Onboard Employee

#[test]
fn onboard_approved_by_the_manager() {
    let mut d = Demo::new();
    let r = onboard_jane(&mut d, &[]);
    // jsmith is taken, so the loop settles on jsmith1.
    assert_eq!(var(&r, "accountId"), &s("jsmith1"));
    let item = only_item(&r, "jsmith");
    assert!(item.request.contains("Jane Smith"), "{}", item.request);
    assert!(item.timeout_at.is_some());
    d.mail("Approval needed: New hire Jane Smith");
    // The manager corrects the title while approving.
    let r = d.complete(
        &item,
        "approve",
        &[("title", s("Senior Software Engineer"))],
    );
    assert_finished(&r, "onboarded");
    let user = d.user("jsmith1").expect("jsmith1 created");
    assert_eq!(user.email, "jsmith1@example.com");
    assert_eq!(user.manager, "jsmith");
    assert_eq!(user.title, "Senior Software Engineer");
    assert_eq!(user.roles, ["Engineering Staff", "Developer"]);
    for resource in ["Active Directory", "GitHub", "Jira"] {
        assert!(
            user.accounts.iter().any(|a| a.resource == resource),
            "{resource}: {:?}",
            user.accounts
        );
    }
    assert_eq!(
        user.attributes.get("startDate"),
        Some(&serde_json::json!("2027-01-04"))
    );
    let welcome = d.mail("Welcome to Example Corp, Jane!");
    assert!(welcome.contains("jsmith1@example.com"));
    assert!(welcome.contains("Senior Software Engineer"));
    assert!(d.audit().contains("\"onboard\""));
    // The existing jsmith is untouched.
    assert_eq!(d.user("jsmith").unwrap().first_name, "John");
}

#[test]
fn onboard_rejected_by_the_manager() {
    let mut d = Demo::new();
    let r = onboard_jane(&mut d, &[]);
    let item = only_item(&r, "jsmith");
    let r = d.complete(&item, "reject", &[]);
    assert_finished(&r, "rejected");
    assert!(
        d.user("jsmith1").is_none(),
        "nothing is created on rejection"
    );
    let mail = d.mail("Rejected: New hire Jane Smith");
    assert!(mail.contains("hr@example.com"));
    assert!(mail.contains("reject by jsmith"), "{mail}");
}

#[test]
fn onboard_escalates_to_the_managers_manager_after_72_hours() {
    let mut d = Demo::new();
    let r = onboard_jane(&mut d, &[]);
    only_item(&r, "jsmith");
    assert!(d.after_hours(71).is_empty(), "not due before 72 hours");
    let reports = d.after_hours(73);
    assert_eq!(reports.len(), 1);
    let escalated = only_item(&reports[0], "mgarcia");
    assert!(
        escalated.request.starts_with("[Escalated]"),
        "{}",
        escalated.request
    );
    let r = d.complete(&escalated, "approve", &[]);
    assert_finished(&r, "onboarded");
    assert!(d.user("jsmith1").is_some());
}

#[test]
fn onboard_lapses_when_nobody_answers() {
    let mut d = Demo::new();
    onboard_jane(&mut d, &[]);
    let first = d.after_hours(73);
    only_item(&first[0], "mgarcia");
    let second = d.after_hours(73 + 73);
    assert_eq!(second.len(), 1);
    assert_finished(&second[0], "rejected");
    assert!(d.mail("Rejected:").contains("No approver answered"));
    assert!(d.user("jsmith1").is_none());
}

#[test]
fn onboard_stops_on_a_separation_of_duties_violation() {
    let mut d = Demo::new();
    let r = d.start(
        "Onboard Employee",
        &[
            ("firstName", s("Paula")),
            ("lastName", s("Reyes")),
            ("department", s("Finance")),
            ("title", s("Finance Officer")),
            ("manager", s("spatel")),
            (
                "additionalRoles",
                Value::List(vec![s("Accounts Payable"), s("Vendor Master Maintainer")]),
            ),
        ],
    );
    assert_finished(&r, "sod-violation");
    assert!(!r.instance.result.errors.is_empty());
    assert!(d.user("preyes").is_none());
    let mail = d.mail("SoD violation blocked");
    assert!(
        mail.contains("security@example.com") && mail.contains("Finance Duties"),
        "{mail}"
    );
}

#[test]
fn onboard_refuses_an_invalid_request() {
    let mut d = Demo::new();
    let r = d.start(
        "Onboard Employee",
        &[
            ("firstName", s("Ann")),
            ("lastName", s("Lee")),
            ("department", s("Marketing")),
            ("title", s("Marketer")),
            ("manager", s("nobody")),
        ],
    );
    assert_finished(&r, "invalid");
    let errors = r.instance.result.errors.join("\n");
    assert!(errors.contains("unknown department: Marketing"), "{errors}");
    assert!(
        errors.contains("manager nobody is not in the identity store"),
        "{errors}"
    );
}

// ------------------------------------------------------------------ Offboard Employee

#[test]
fn offboard_emergency_disables_at_once_without_approval() {
    let mut d = Demo::new();
    let r = d.start(
        "Offboard Employee",
        &[
            ("accountId", s("ewilson")),
            ("reason", s("Gross misconduct")),
            ("emergency", Value::Int(1)),
        ],
    );
    assert_finished(&r, "terminated");
    let user = d.user("ewilson").unwrap();
    assert!(user.disabled);
    assert!(user.roles.is_empty());
    assert!(user.accounts.is_empty());
    assert!(
        d.mail("EMERGENCY termination: ewilson")
            .contains("security@example.com")
    );
    d.mail("Offboarding completed: ewilson");
    assert!(d.audit().contains("emergency-termination"));
}

#[test]
fn offboard_confirmed_by_the_manager_transfers_ownership() {
    let mut d = Demo::new();
    // jsmith owns Developer and On-Call Responder and manages four people.
    let r = d.start(
        "Offboard Employee",
        &[("accountId", s("jsmith")), ("reason", s("Resigned"))],
    );
    let item = only_item(&r, "mgarcia");
    assert_eq!(item.editable_variables, ["transferTo"]);
    let r = d.complete(&item, "approve", &[("transferTo", s("akumar"))]);
    assert_finished(&r, "offboarded");
    let user = d.user("jsmith").unwrap();
    assert!(user.disabled && user.roles.is_empty() && user.accounts.is_empty());
    assert_eq!(
        user.attributes.get("terminationReason"),
        Some(&serde_json::json!("Resigned"))
    );
    assert_eq!(
        d.user("ewilson").unwrap().manager,
        "akumar",
        "reports moved"
    );
    assert!(d.mail("Offboarding completed: jsmith").contains("akumar"));
}

#[test]
fn offboard_proceeds_when_the_manager_is_silent() {
    let mut d = Demo::new();
    let r = d.start(
        "Offboard Employee",
        &[
            ("accountId", s("nlopez")),
            ("reason", s("End of employment")),
        ],
    );
    only_item(&r, "bdavis");
    let reports = d.after_hours(25);
    assert_finished(&reports[0], "offboarded");
    assert!(d.user("nlopez").unwrap().disabled);
}

#[test]
fn offboard_disputed_by_the_manager_changes_nothing() {
    let mut d = Demo::new();
    let r = d.start(
        "Offboard Employee",
        &[("accountId", s("cmoore")), ("reason", s("Resigned"))],
    );
    let item = only_item(&r, "bdavis");
    let r = d.complete(&item, "reject", &[]);
    assert_finished(&r, "disputed");
    let user = d.user("cmoore").unwrap();
    assert!(!user.disabled && !user.roles.is_empty());
    assert!(
        d.mail("Rejected: Offboarding of cmoore")
            .contains("hr@example.com")
    );
}

#[test]
fn offboard_unknown_user() {
    let mut d = Demo::new();
    let r = d.start(
        "Offboard Employee",
        &[("accountId", s("ghost")), ("reason", s("?"))],
    );
    assert_finished(&r, "invalid");
}

// ------------------------------------------------------------------ Change Password

#[test]
fn change_password_accepts_a_strong_password() {
    let mut d = Demo::new();
    let r = d.start(
        "Change Password",
        &[
            ("accountId", s("jsmith")),
            ("password", s("Tr1cky-Passphrase")),
        ],
    );
    assert_finished(&r, "changed");
    assert_eq!(
        var(&r, "password"),
        &Value::Null,
        "the clear text leaves the case"
    );
    let user = d.user("jsmith").unwrap();
    assert!(bpe::services::verify_password(
        &user.password_hash,
        "Tr1cky-Passphrase"
    ));
    assert!(!user.password_hash.contains("Tr1cky"));
    assert!(
        d.mail("Your password was changed")
            .contains("jsmith@example.com")
    );
    // resultLimit 0: the finished instance is not kept.
    assert!(!r.kept);
}

#[test]
fn change_password_refuses_a_weak_password() {
    let mut d = Demo::new();
    let r = d.start(
        "Change Password",
        &[("accountId", s("jsmith")), ("password", s("jsmith2026"))],
    );
    assert_finished(&r, "refused");
    assert_eq!(var(&r, "password"), &Value::Null);
    let errors = r.instance.result.errors.join("\n");
    assert!(errors.contains("is shorter than 12 characters"), "{errors}");
    assert!(errors.contains("has no upper-case letter"), "{errors}");
    assert!(errors.contains("contains the account id"), "{errors}");
    assert!(d.user("jsmith").unwrap().password_hash.is_empty());
    assert!(d.outbox().is_empty());
}

#[test]
fn change_password_for_an_unknown_or_disabled_user() {
    let mut d = Demo::new();
    let r = d.start(
        "Change Password",
        &[
            ("accountId", s("ghost")),
            ("password", s("Tr1cky-Passphrase")),
        ],
    );
    assert_finished(&r, "refused");
    let r = d.start(
        "Change Password",
        &[
            ("accountId", s("wturner")),
            ("password", s("Tr1cky-Passphrase")),
        ],
    );
    assert_finished(&r, "refused");
    assert!(
        r.instance
            .result
            .errors
            .join(" ")
            .contains("wturner is disabled")
    );
}

// ------------------------------------------------------------------ Access Request

#[test]
fn access_request_needs_both_parallel_approvals() {
    let mut d = Demo::new();
    let r = d.start(
        "Access Request",
        &[
            ("requester", s("cmoore")),
            ("role", s("Purchase Requisitioner")),
            ("justification", s("Demo hardware purchases")),
        ],
    );
    assert_eq!(r.instance.status, InstanceStatus::Suspended);
    let mut owners: Vec<_> = r.work_items.iter().map(|w| w.owner.clone()).collect();
    owners.sort();
    assert_eq!(
        owners,
        ["bdavis", "omartin"],
        "owner and manager asked at the same time"
    );
    let owner_item = r
        .work_items
        .iter()
        .find(|w| w.owner == "omartin")
        .unwrap()
        .clone();
    let manager_item = r
        .work_items
        .iter()
        .find(|w| w.owner == "bdavis")
        .unwrap()
        .clone();
    let r = d.complete(&owner_item, "approve", &[]);
    assert_eq!(
        r.instance.status,
        InstanceStatus::Suspended,
        "the and-join waits for the manager"
    );
    assert!(
        !d.user("cmoore")
            .unwrap()
            .roles
            .contains(&"Purchase Requisitioner".to_string())
    );
    let r = d.complete(&manager_item, "approve", &[]);
    assert_finished(&r, "granted");
    let user = d.user("cmoore").unwrap();
    assert!(user.roles.contains(&"Purchase Requisitioner".to_string()));
    assert!(user.accounts.iter().any(|a| a.resource == "Coupa"));
    d.mail("Access granted: Purchase Requisitioner");
}

#[test]
fn access_request_rejected_by_one_approver() {
    let mut d = Demo::new();
    let r = d.start(
        "Access Request",
        &[
            ("requester", s("cmoore")),
            ("role", s("Purchase Requisitioner")),
            ("justification", s("x")),
        ],
    );
    let items = r.work_items.clone();
    let owner_item = items.iter().find(|w| w.owner == "omartin").unwrap();
    let manager_item = items.iter().find(|w| w.owner == "bdavis").unwrap();
    d.complete(manager_item, "reject", &[]);
    let r = d.complete(owner_item, "approve", &[]);
    assert_finished(&r, "rejected");
    assert!(
        var(&r, "rejectionReason")
            .to_text()
            .contains("rejected by the manager bdavis: reject by bdavis")
    );
    assert!(
        !d.user("cmoore")
            .unwrap()
            .roles
            .contains(&"Purchase Requisitioner".to_string())
    );
    d.mail("Rejected: Access request: Purchase Requisitioner for cmoore");
}

#[test]
fn access_request_lapses_when_the_approvers_are_silent() {
    let mut d = Demo::new();
    let r = d.start(
        "Access Request",
        &[
            ("requester", s("cmoore")),
            ("role", s("Purchase Requisitioner")),
            ("justification", s("x")),
        ],
    );
    assert_eq!(r.work_items.len(), 2);
    let reports = d.after_hours(73);
    let last = reports.last().unwrap();
    assert_finished(last, "rejected");
    let why = var(last, "rejectionReason").to_text();
    assert!(
        why.contains("no answer within 72 hours"),
        "{why} {:?}",
        last.instance.variables
    );
}

#[test]
fn access_request_one_answer_then_a_timeout() {
    let mut d = Demo::new();
    let r = d.start(
        "Access Request",
        &[
            ("requester", s("cmoore")),
            ("role", s("Purchase Requisitioner")),
            ("justification", s("x")),
        ],
    );
    let owner_item = r
        .work_items
        .iter()
        .find(|w| w.owner == "omartin")
        .unwrap()
        .clone();
    let r = d.complete(&owner_item, "approve", &[]);
    assert_eq!(var(&r, "ownerDecision"), &s("approve"));
    assert_eq!(
        var(&r, "decision"),
        &Value::Null,
        "the branch clears the shared decision"
    );
    let reports = d.after_hours(73);
    let last = reports.last().unwrap();
    assert_finished(last, "rejected");
    let why = var(last, "rejectionReason").to_text();
    assert_eq!(
        why,
        "rejected by the manager bdavis: no answer within 72 hours"
    );
}

#[test]
fn access_request_when_the_manager_owns_the_role() {
    let mut d = Demo::new();
    let r = d.start(
        "Access Request",
        &[
            ("requester", s("ewilson")),
            ("role", s("On-Call Responder")),
            ("justification", s("Joining the rota")),
        ],
    );
    let item = only_item(&r, "jsmith");
    let r = d.complete(&item, "approve", &[]);
    assert_finished(&r, "granted");
    assert!(
        d.user("ewilson")
            .unwrap()
            .roles
            .contains(&"On-Call Responder".to_string())
    );
}

#[test]
fn access_request_blocked_by_segregation_of_duties() {
    let mut d = Demo::new();
    let r = d.start(
        "Access Request",
        &[
            ("requester", s("akumar")),
            ("role", s("Production Deployer")),
            ("justification", s("Hotfix")),
        ],
    );
    assert_finished(&r, "sod-violation");
    assert!(
        d.mail("SoD violation blocked")
            .contains("Engineering Production")
    );
}

#[test]
fn access_request_invalid() {
    let mut d = Demo::new();
    let r = d.start(
        "Access Request",
        &[
            ("requester", s("akumar")),
            ("role", s("Wizard")),
            ("justification", s("x")),
        ],
    );
    assert_finished(&r, "invalid");
    let r = d.start(
        "Access Request",
        &[
            ("requester", s("akumar")),
            ("role", s("Developer")),
            ("justification", s("x")),
        ],
    );
    assert_finished(&r, "invalid");
    assert!(
        r.instance
            .result
            .errors
            .join(" ")
            .contains("already holds Developer")
    );
}

// ------------------------------------------------------------------ Approval

#[test]
fn approval_subprocess_on_its_own() {
    let mut d = Demo::new();
    let inputs = [
        ("approver", s("gclark")),
        ("subject", s("Firewall change")),
        ("details", s("Open 443")),
    ];
    let r = d.start("Approval", &inputs);
    let item = only_item(&r, "gclark");
    assert_eq!(item.request, "Firewall change");
    let r = d.complete(&item, "approve", &[]);
    assert_eq!(r.instance.status, InstanceStatus::Completed);
    assert_eq!(var(&r, "decision"), &s("approve"));
    assert_eq!(var(&r, "comment"), &s("approve by gclark"));

    // Anything but approve is a reject; a timeout too, with an explanation.
    let r = d.start(
        "Approval",
        &[
            ("approver", s("ghost")),
            ("subject", s("x")),
            ("details", s("y")),
        ],
    );
    assert_eq!(
        r.instance.status,
        InstanceStatus::Completed,
        "nobody to ask: no work item"
    );
    assert_eq!(var(&r, "decision"), &s("reject"));
    assert!(var(&r, "comment").to_text().contains("ghost"));
    let r = d.start("Approval", &inputs);
    let r = d.complete(&r.work_items[0], "defer", &[]);
    assert_eq!(var(&r, "decision"), &s("reject"));
    d.start("Approval", &inputs);
    let reports = d.after_hours(73);
    assert_eq!(var(&reports[0], "decision"), &s("reject"));
    assert!(var(&reports[0], "comment").to_text().contains("72 hours"));
}

// ------------------------------------------------------------------ Contractor Renewal

#[test]
fn contractor_renewal_approved() {
    let mut d = Demo::new();
    let r = d.start(
        "Contractor Renewal",
        &[("accountId", s("tbrown")), ("newEndDate", s("2027-06-30"))],
    );
    let item = only_item(&r, "jsmith");
    let r = d.complete(&item, "approve", &[]);
    assert_finished(&r, "renewed");
    assert_eq!(d.user("tbrown").unwrap().end_date, "2027-06-30");
    d.mail("Contract extended until 2027-06-30");
}

#[test]
fn contractor_renewal_refused_disables_the_account() {
    let mut d = Demo::new();
    let r = d.start(
        "Contractor Renewal",
        &[("accountId", s("rkim")), ("newEndDate", s("2027-09-30"))],
    );
    let item = only_item(&r, "bdavis");
    let r = d.complete(&item, "reject", &[]);
    assert_finished(&r, "ended");
    let user = d.user("rkim").unwrap();
    assert!(user.disabled && user.roles.is_empty());
    assert_eq!(user.end_date, "2027-03-31");
    d.mail("Contract not renewed: Rachel Kim");
}

#[test]
fn contractor_renewal_invalid_requests() {
    let mut d = Demo::new();
    for (id, date, why) in [
        ("akumar", "2027-06-30", "is not a contractor"),
        ("tbrown", "30/06/2027", "YYYY-MM-DD"),
        ("tbrown", "2026-06-30", "after the current end date"),
        ("ghost", "2027-06-30", "no such user"),
    ] {
        let r = d.start(
            "Contractor Renewal",
            &[("accountId", s(id)), ("newEndDate", s(date))],
        );
        assert_finished(&r, "invalid");
        assert!(
            r.instance.result.errors.join(" ").contains(why),
            "{id} {date}: {:?}",
            r.instance.result.errors
        );
    }
}

// ------------------------------------------------------------------ Role Change

#[test]
fn role_change_moves_birthright_roles_and_keeps_requested_ones() {
    let mut d = Demo::new();
    let r = d.start(
        "Role Change",
        &[
            ("accountId", s("akumar")),
            ("newDepartment", s("Sales")),
            ("newTitle", s("Solutions Architect")),
        ],
    );
    assert_eq!(
        var(&r, "rolesToRevoke"),
        &Value::List(vec![s("Engineering Staff"), s("Developer")])
    );
    assert_eq!(
        var(&r, "rolesToAssign"),
        &Value::List(vec![s("Sales Staff")])
    );
    let item = only_item(&r, "jsmith");
    let r = d.complete(&item, "approve", &[]);
    assert_finished(&r, "moved");
    let user = d.user("akumar").unwrap();
    assert_eq!(user.department, "Sales");
    assert_eq!(user.title, "Solutions Architect");
    let mut roles = user.roles.clone();
    roles.sort();
    assert_eq!(roles, ["On-Call Responder", "Sales Staff"]);
    assert!(user.accounts.iter().any(|a| a.resource == "Salesforce"));
    d.mail("Your new role: Solutions Architect, Sales");
}

#[test]
fn role_change_rejected_changes_nothing() {
    let mut d = Demo::new();
    let r = d.start(
        "Role Change",
        &[
            ("accountId", s("ewilson")),
            ("newDepartment", s("Finance")),
            ("newTitle", s("Analyst")),
        ],
    );
    let item = only_item(&r, "jsmith");
    let r = d.complete(&item, "reject", &[]);
    assert_finished(&r, "rejected");
    let user = d.user("ewilson").unwrap();
    assert_eq!(user.department, "Engineering");
    assert_eq!(user.roles, ["Engineering Staff", "Developer"]);
}

#[test]
fn role_change_blocked_by_segregation_of_duties() {
    let mut d = Demo::new();
    // A Sales engineer who deploys to production may not become a developer.
    let path = d.root.join("User/cmoore.json");
    let mut user: User = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    user.roles.push("Production Deployer".to_string());
    std::fs::write(&path, serde_json::to_string_pretty(&user).unwrap()).unwrap();
    let r = d.start(
        "Role Change",
        &[
            ("accountId", s("cmoore")),
            ("newDepartment", s("Engineering")),
            ("newTitle", s("Developer")),
        ],
    );
    assert_finished(&r, "sod-violation");
    assert!(d.mail("SoD violation blocked").contains("Developer"));
    assert_eq!(d.user("cmoore").unwrap().department, "Sales");
}

#[test]
fn role_change_to_an_unknown_department() {
    let mut d = Demo::new();
    let r = d.start(
        "Role Change",
        &[
            ("accountId", s("ewilson")),
            ("newDepartment", s("Marketing")),
            ("newTitle", s("x")),
        ],
    );
    assert_finished(&r, "invalid");
}
