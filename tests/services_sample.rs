//! The services against the shipped sample repository (in a dry run, on a
//! copy): every template renders and sends, every policy conflict is found,
//! every user's roles can be provisioned.

mod services_support;

use bpe::expr::Value;
use bpe::repo::Repository;
use bpe::services::{RepoServices, ServiceOptions};
use services_support::{Case, copy_sample, list, s};

fn sample() -> (tempfile::TempDir, Repository) {
    let dir = tempfile::tempdir().unwrap();
    copy_sample(dir.path());
    let repo = Repository::open(dir.path()).unwrap();
    (dir, repo)
}

fn services(repo: &Repository, dry_run: bool) -> RepoServices {
    RepoServices::new(
        &repo.root,
        repo.config.as_ref().unwrap(),
        ServiceOptions {
            dry_run,
            allow_commands: false,
        },
    )
}

#[test]
fn every_sample_template_becomes_a_message() {
    let (_dir, repo) = sample();
    let mut svc = services(&repo, false);
    let mut case = Case::new("ti-sample");
    for (k, v) in [
        ("accountId", "jsmith"),
        ("role", "Developer"),
        ("requester", "akumar"),
    ] {
        case.variables.insert(k.into(), s(v));
    }
    for template in &repo.email_templates {
        let id = case
            .call(
                &mut svc,
                "notify",
                &[
                    ("template", s(&template.value.name)),
                    ("to", s("akumar")),
                    ("cc", s("jsmith")),
                ],
            )
            .unwrap_or_else(|e| panic!("{}: {e}", template.value.name));
        assert!(id.to_text().ends_with("@example.com>"));
    }
    let outbox: Vec<_> = std::fs::read_dir(repo.root.join("Outbox"))
        .unwrap()
        .collect();
    assert_eq!(outbox.len(), repo.email_templates.len());
    for entry in outbox {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(text.contains("\r\nTo: akumar@example.com\r\n"), "{text}");
        assert!(text.starts_with("From: identity-noreply@example.com\r\n"));
        assert!(text.split("\r\n").all(|l| l.len() <= 998));
    }
}

#[test]
fn every_sample_policy_conflict_is_detected() {
    let (_dir, repo) = sample();
    let mut svc = services(&repo, true);
    let mut case = Case::new("ti-sample");
    let mut conflicts = 0;
    for policy in &repo.policies {
        for conflict in &policy.value.conflicts {
            let roles: Vec<&str> = conflict.roles.iter().map(String::as_str).collect();
            let v = case
                .call(&mut svc, "checkSoD", &[("roles", list(&roles))])
                .unwrap();
            let Value::List(items) = v else {
                panic!("{roles:?} not detected")
            };
            assert!(items.iter().any(|i| {
                i.to_text()
                    .contains(&format!("Policy '{}'", policy.value.name))
            }));
            conflicts += 1;
        }
    }
    assert!(conflicts > 0);
    // No sample user violates a policy as they stand.
    for user in &repo.users {
        let v = case
            .call(
                &mut svc,
                "checkSoD",
                &[("accountId", s(&user.value.account_id))],
            )
            .unwrap();
        assert_eq!(v, Value::Null, "{} violates {v}", user.value.account_id);
    }
}

#[test]
fn every_sample_user_can_be_provisioned_from_their_roles() {
    let (_dir, repo) = sample();
    let mut svc = services(&repo, true);
    let mut case = Case::new("ti-sample");
    for user in &repo.users {
        let id = s(&user.value.account_id);
        assert_ne!(
            case.call(&mut svc, "getUser", &[("accountId", id.clone())])
                .unwrap(),
            Value::Null
        );
        case.call(&mut svc, "provision", &[("accountId", id)])
            .unwrap_or_else(|e| panic!("{}: {e}", user.value.account_id));
    }
}
