//! The sample repository is complete, consistent and written exactly as bpe saves it.

mod sample_common;

use std::collections::{BTreeMap, BTreeSet};

use bpe::expr::{Expr, parse};
use bpe::model::{ActionKind, ManualAction, TaskDefinition, slug};
use bpe::repo::{Repository, to_json_bytes};
use bpe::services::ops;
use sample_common::{definition_expressions, open_sample, sample_root};

mod common;
use common::copy_dir;

fn is_hex_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|hex| hex.len() == 16 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

fn manual_actions(def: &TaskDefinition) -> Vec<(&str, &ManualAction)> {
    let mut out = Vec::new();
    for a in &def.process.activities {
        for action in &a.actions {
            if let ActionKind::Manual(m) = &action.kind {
                out.push((a.name.as_str(), m));
            }
        }
    }
    out
}

#[test]
fn contents_are_complete() {
    let repo = open_sample();
    let config = repo.config.as_ref().expect("repository.json");
    assert_eq!(config.format_version, 1);
    assert!(!config.settings.commands.enabled, "commands stay disabled");
    assert_eq!(config.settings.mail_domain, "example.com");
    let names: BTreeSet<_> = repo
        .definitions
        .iter()
        .map(|d| d.value.name.as_str())
        .collect();
    for wanted in [
        "Onboard Employee",
        "Offboard Employee",
        "Change Password",
        "Access Request",
        "Approval",
        "Contractor Renewal",
        "Role Change",
    ] {
        assert!(names.contains(wanted), "missing TaskDefinition {wanted}");
    }
    let rules: BTreeSet<_> = repo.rules.iter().map(|r| r.value.name.as_str()).collect();
    for wanted in [
        "Birthright Roles",
        "Password Policy",
        "Derive Account Id",
        "Manager Of",
    ] {
        assert!(rules.contains(wanted), "missing Rule {wanted}");
    }
    let templates: BTreeSet<_> = repo
        .email_templates
        .iter()
        .map(|t| t.value.name.as_str())
        .collect();
    for wanted in [
        "Welcome",
        "Password Changed",
        "Approval Needed",
        "Request Rejected",
    ] {
        assert!(templates.contains(wanted), "missing EmailTemplate {wanted}");
    }
    assert!(repo.users.len() >= 20, "{} users", repo.users.len());
    let jsmith = repo
        .users
        .iter()
        .find(|u| u.value.account_id == "jsmith")
        .expect("jsmith");
    assert_eq!(
        (
            jsmith.value.first_name.as_str(),
            jsmith.value.last_name.as_str()
        ),
        ("John", "Smith")
    );
    assert_eq!(jsmith.value.department, "Engineering");
    assert!(repo.policies.len() >= 3);
    assert!(repo.instances.is_empty() && repo.work_items.is_empty());
}

/// Each file is byte-for-byte what bpe writes when it saves the object, so opening
/// and saving the sample in the editor produces no diff.
#[test]
fn files_are_in_canonical_form() {
    let repo = open_sample();
    let root = sample_root();
    let mut checked = 0;
    let mut check = |rel: &std::path::Path, bytes: Vec<u8>| {
        let on_disk = std::fs::read(root.join(rel)).unwrap();
        assert!(
            on_disk == bytes,
            "{} differs from its canonical form:\n{}",
            rel.display(),
            String::from_utf8_lossy(&bytes)
        );
        checked += 1;
    };
    check(
        std::path::Path::new("repository.json"),
        to_json_bytes(repo.config.as_ref().unwrap()).unwrap(),
    );
    for o in &repo.definitions {
        check(&o.path, to_json_bytes(&o.value).unwrap());
    }
    for o in &repo.rules {
        check(&o.path, to_json_bytes(&o.value).unwrap());
    }
    for o in &repo.email_templates {
        check(&o.path, to_json_bytes(&o.value).unwrap());
    }
    for o in &repo.users {
        check(&o.path, to_json_bytes(&o.value).unwrap());
    }
    for o in &repo.roles {
        check(&o.path, to_json_bytes(&o.value).unwrap());
    }
    for o in &repo.policies {
        check(&o.path, to_json_bytes(&o.value).unwrap());
    }
    assert!(checked > 60, "{checked} files");
}

#[test]
fn file_names_and_ids_follow_the_conventions() {
    let repo = open_sample();
    let stem = |p: &std::path::Path| p.file_stem().unwrap().to_string_lossy().into_owned();
    let mut ids = BTreeSet::new();
    for d in &repo.definitions {
        assert_eq!(stem(&d.path), slug(&d.value.name));
        assert!(is_hex_id(&d.value.id, "td"), "{}", d.value.id);
        assert!(
            ids.insert(d.value.id.clone()),
            "duplicate id {}",
            d.value.id
        );
    }
    for r in &repo.rules {
        assert_eq!(stem(&r.path), slug(&r.value.name));
        assert!(is_hex_id(&r.value.id, "rule"), "{}", r.value.id);
        assert!(ids.insert(r.value.id.clone()));
    }
    for t in &repo.email_templates {
        assert_eq!(stem(&t.path), slug(&t.value.name));
        assert!(is_hex_id(&t.value.id, "et"), "{}", t.value.id);
        assert!(ids.insert(t.value.id.clone()));
        assert_eq!(t.value.from, "identity-noreply@example.com");
    }
    for u in &repo.users {
        assert_eq!(stem(&u.path), u.value.account_id);
        assert_eq!(u.value.email, format!("{}@example.com", u.value.account_id));
    }
    for r in &repo.roles {
        assert_eq!(stem(&r.path), slug(&r.value.name));
    }
    for p in &repo.policies {
        assert_eq!(stem(&p.path), slug(&p.value.name));
    }
}

#[test]
fn identity_store_is_consistent() {
    let repo = open_sample();
    let users: BTreeMap<_, _> = repo
        .users
        .iter()
        .map(|u| (u.value.account_id.as_str(), &u.value))
        .collect();
    let roles: BTreeMap<_, _> = repo
        .roles
        .iter()
        .map(|r| (r.value.name.as_str(), &r.value))
        .collect();
    let departments: BTreeSet<_> = users.values().map(|u| u.department.as_str()).collect();
    for u in users.values() {
        if !u.manager.is_empty() {
            assert!(
                users.contains_key(u.manager.as_str()),
                "{}: manager {}",
                u.account_id,
                u.manager
            );
        }
        for r in &u.roles {
            let role = roles
                .get(r.as_str())
                .unwrap_or_else(|| panic!("{}: role {r}", u.account_id));
            for res in &role.resources {
                assert!(
                    u.accounts.iter().any(|a| &a.resource == res),
                    "{} holds {r} but has no {res} account",
                    u.account_id
                );
            }
        }
        assert!(["employee", "contractor"].contains(&u.employee_type.as_str()));
        assert_eq!(
            u.employee_type == "contractor",
            !u.end_date.is_empty(),
            "{}",
            u.account_id
        );
    }
    // Exactly one person has no manager (the CEO), and every chain reaches them.
    let roots: Vec<_> = users.values().filter(|u| u.manager.is_empty()).collect();
    assert_eq!(roots.len(), 1);
    for u in users.values() {
        let mut at = *u;
        for _ in 0..users.len() {
            if at.manager.is_empty() {
                break;
            }
            at = users[at.manager.as_str()];
        }
        assert!(
            at.manager.is_empty(),
            "management cycle through {}",
            u.account_id
        );
    }
    assert_eq!(users["jsmith"].manager, "mgarcia");
    assert_eq!(users["mgarcia"].manager, roots[0].account_id);
    for r in roles.values() {
        assert!(
            users.contains_key(r.owner.as_str()),
            "{}: owner {}",
            r.name,
            r.owner
        );
        assert!(!r.resources.is_empty(), "{}", r.name);
        if !r.birthright_for.is_empty() {
            assert!(
                departments.contains(r.birthright_for.as_str()),
                "{}",
                r.name
            );
        }
    }
    // Policies name real roles, and nobody in the store already violates one.
    for p in &repo.policies {
        for c in &p.value.conflicts {
            assert!(c.roles.len() >= 2, "{}", p.value.name);
            for r in &c.roles {
                assert!(roles.contains_key(r.as_str()), "{}: role {r}", p.value.name);
            }
            for u in users.values() {
                assert!(
                    !c.roles.iter().all(|r| u.roles.contains(r)),
                    "{} violates {}",
                    u.account_id,
                    p.value.name
                );
            }
        }
    }
}

fn string_literal(text: &str) -> Option<String> {
    match parse(text).ok()? {
        Expr::Str(s) => Some(s),
        _ => None,
    }
}

/// Service ops exist with their required arguments; subprocesses, templates and rules
/// that workflows name exist; transitions name real activities.
#[test]
fn workflows_reference_what_exists() {
    let repo = open_sample();
    let defs: BTreeMap<_, _> = repo
        .definitions
        .iter()
        .map(|d| (d.value.name.as_str(), &d.value))
        .collect();
    let templates: BTreeSet<_> = repo
        .email_templates
        .iter()
        .map(|t| t.value.name.as_str())
        .collect();
    let rules: BTreeSet<_> = repo.rules.iter().map(|r| r.value.name.as_str()).collect();
    for def in defs.values() {
        let acts: BTreeSet<_> = def
            .process
            .activities
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(
            def.process
                .activities
                .iter()
                .filter(|a| a.is_start())
                .count(),
            1
        );
        assert_eq!(
            def.process.activities.iter().filter(|a| a.is_end()).count(),
            1
        );
        for a in &def.process.activities {
            if a.is_end() {
                assert!(
                    a.actions.is_empty() && a.transitions.is_empty(),
                    "{}",
                    def.name
                );
                continue;
            }
            assert!(
                !a.transitions.is_empty(),
                "{} / {} has no transition",
                def.name,
                a.name
            );
            // The last transition is unconditional, so every activity always has a way out.
            assert!(
                a.transitions.last().unwrap().condition.is_none(),
                "{} / {}: last transition is conditional",
                def.name,
                a.name
            );
            for t in &a.transitions {
                assert!(
                    acts.contains(t.to.as_str()),
                    "{} / {} -> {}",
                    def.name,
                    a.name,
                    t.to
                );
            }
            for action in &a.actions {
                match &action.kind {
                    ActionKind::Service { op, arguments } => {
                        let spec = ops::find(op)
                            .unwrap_or_else(|| panic!("{}: unknown op {op}", def.name));
                        let given: BTreeSet<_> =
                            arguments.iter().map(|x| x.name.as_str()).collect();
                        for r in spec.required {
                            assert!(
                                given.contains(r),
                                "{} / {}: {op} lacks {r}",
                                def.name,
                                a.name
                            );
                        }
                        if !spec.open {
                            for g in &given {
                                assert!(
                                    spec.required.contains(g) || spec.optional.contains(g),
                                    "{} / {}: {op} takes no {g}",
                                    def.name,
                                    a.name
                                );
                            }
                        }
                        if op == "notify" {
                            let t = arguments.iter().find(|x| x.name == "template").unwrap();
                            let name = string_literal(&t.value).expect("template is a literal");
                            assert!(templates.contains(name.as_str()), "template {name}");
                        }
                    }
                    ActionKind::Subprocess { process, .. } => {
                        assert!(defs.contains_key(process.as_str()), "subprocess {process}");
                        assert_ne!(process, &def.name);
                    }
                    ActionKind::Command(_) => panic!("the sample uses no commands"),
                    _ => {}
                }
            }
        }
        for e in definition_expressions(def) {
            for name in rule_calls(&parse(&e.text).unwrap()) {
                assert!(rules.contains(name.as_str()), "{}: rule {name}", e.at);
            }
        }
    }
}

fn rule_calls(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    if let Expr::Call(c) = e {
        if c.name == "rule"
            && let Some((_, v)) = c.attrs.iter().find(|(k, _)| k == "name")
        {
            out.push(v.clone());
        }
        for a in &c.args {
            out.extend(rule_calls(a));
        }
    }
    out
}

/// Every manual action has an owner; the approval-style ones have the 72-hour timeout;
/// the definitions with manual actions declare `decision` and `comment`, where the
/// engine puts the work item's decision.
#[test]
fn manual_actions_follow_the_house_rules() {
    let repo = open_sample();
    let mut seen = 0;
    for d in &repo.definitions {
        let def = &d.value;
        let manual = manual_actions(def);
        if manual.is_empty() {
            continue;
        }
        let declared: BTreeSet<_> = def
            .process
            .variables
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        assert!(
            declared.contains("decision") && declared.contains("comment"),
            "{}",
            def.name
        );
        for (activity, m) in manual {
            seen += 1;
            assert!(!m.owners.is_empty(), "{} / {activity}", def.name);
            assert!(m.timeout > 0, "{} / {activity}: no timeout", def.name);
            for v in m.exposed_variables.iter().chain(&m.editable_variables) {
                assert!(
                    declared.contains(v.as_str()),
                    "{} / {activity}: {v}",
                    def.name
                );
            }
            for v in &m.editable_variables {
                assert!(
                    m.exposed_variables.contains(v),
                    "{} / {activity}: {v} not exposed",
                    def.name
                );
            }
        }
    }
    assert!(seen >= 4, "{seen} manual actions");
    let onboard = repo.definition("Onboard Employee").unwrap();
    let (_, first) = manual_actions(&onboard.value)[0];
    assert_eq!(first.owners, ["$manager"]);
    assert_eq!(first.timeout, 4320, "72 hours in minutes");
}

/// The sample shows every feature a workflow author needs.
#[test]
fn sample_uses_every_feature() {
    let repo = open_sample();
    let mut kinds = BTreeSet::new();
    let (mut and_split, mut and_join, mut conditions, mut locals, mut returns, mut comments) =
        (false, false, false, false, false, false);
    let mut self_loops = 0;
    for d in &repo.definitions {
        for a in &d.value.process.activities {
            and_split |= a.and_split;
            and_join |= a.and_join;
            comments |= !a.comment.is_empty();
            self_loops += a.transitions.iter().filter(|t| t.to == a.name).count();
            for action in &a.actions {
                kinds.insert(action.kind.label());
                conditions |= action.condition.is_some();
                locals |= !action.variables.is_empty();
                returns |= !action.returns.is_empty();
            }
        }
    }
    assert_eq!(
        kinds,
        BTreeSet::from(["expression", "service", "subprocess", "manual"])
    );
    assert!(and_split && and_join && conditions && locals && returns && comments);
    assert!(self_loops >= 3, "activity loops: {self_loops}");
    let escalation = repo.definition("Onboard Employee").unwrap();
    assert!(
        escalation.value.process.activities.iter().any(|a| a
            .transitions
            .iter()
            .any(|t| t.condition.as_deref() == Some("$WF_ACTION_TIMEOUT"))),
        "timeout escalation"
    );
}

#[test]
fn sample_opens_from_a_copy() {
    // Nothing in the sample depends on where it lives.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&sample_root(), dir.path());
    let repo = Repository::open(dir.path()).unwrap();
    assert!(repo.errors.is_empty());
    assert_eq!(repo.definitions.len(), open_sample().definitions.len());
}
