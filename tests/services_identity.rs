//! The identity-store ops of `RepoServices`, each in both modes: applied (the
//! files change, effects say applied) and dry run (nothing on disk changes,
//! effects say not applied).

mod services_support;

use bpe::expr::Value;
use bpe::services::{Services, verify_password};
use services_support::{Case, Fixture, list, s};

/// Run `op` once applied and once as a dry run on fresh fixtures; check the
/// applied files with `check`, that the dry run left every file alone, and
/// that both recorded the same effects with the right `applied` flag.
fn both_modes(op: &str, args: &[(&str, Value)], check: impl Fn(&Fixture, &Value)) {
    let fx = Fixture::new();
    let before = fx.snapshot();
    let mut svc = fx.services(false);
    let result = Case::new("ti-1").call(&mut svc, op, args).unwrap();
    assert_ne!(fx.snapshot(), before, "{op} applied changed nothing");
    check(&fx, &result);
    let applied = svc.effects().to_vec();
    assert!(!applied.is_empty(), "{op} recorded no effect");
    assert!(
        applied.iter().all(|e| e.applied && e.op == op),
        "{applied:?}"
    );

    let fx = Fixture::new();
    let before = fx.snapshot();
    let mut svc = fx.services(true);
    let dry_result = Case::new("ti-1").call(&mut svc, op, args).unwrap();
    assert_eq!(fx.snapshot(), before, "{op} dry run changed a file");
    assert_eq!(dry_result, result, "{op} dry run answered differently");
    let dry = svc.effects().to_vec();
    assert_eq!(dry.len(), applied.len());
    for (d, a) in dry.iter().zip(&applied) {
        assert!(!d.applied);
        assert_eq!((&d.op, &d.summary), (&a.op, &a.summary));
    }
}

/// Read-only ops change nothing and record nothing in either mode.
fn read_only(op: &str, args: &[(&str, Value)]) -> Value {
    let mut answers = Vec::new();
    for dry_run in [false, true] {
        let fx = Fixture::new();
        let before = fx.snapshot();
        let mut svc = fx.services(dry_run);
        answers.push(Case::new("ti-1").call(&mut svc, op, args).unwrap());
        if dry_run {
            assert_eq!(fx.snapshot(), before);
        } else {
            let mut before = before;
            before.retain(|rel, _| !rel.starts_with(".bpe"));
            assert_eq!(fx.data_snapshot(), before);
        }
        assert!(svc.effects().is_empty());
    }
    assert_eq!(answers[0], answers[1]);
    answers.remove(0)
}

fn user(fx: &Fixture, id: &str) -> serde_json::Value {
    fx.json(&format!("User/{id}.json"))
}

#[test]
fn create_user_both_modes() {
    both_modes(
        "createUser",
        &[
            ("accountId", s("jdoe")),
            ("firstName", s("Jane")),
            ("lastName", s("Doe")),
            ("department", s("Sales")),
        ],
        |fx, result| {
            assert_eq!(result, &s("jdoe"));
            let u = user(fx, "jdoe");
            assert_eq!(u["firstName"], "Jane");
            assert_eq!(u["department"], "Sales");
            assert_eq!(u["formatVersion"], 1);
        },
    );
}

#[test]
fn create_user_refuses_duplicates_and_unsafe_ids() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut case = Case::new("ti-1");
    let args = |id: &str| {
        vec![
            ("accountId", s(id)),
            ("firstName", s("A")),
            ("lastName", s("B")),
        ]
    };
    let e = case
        .call(&mut svc, "createUser", &args("jsmith"))
        .unwrap_err();
    assert!(e.message.contains("already exists"), "{e}");
    // Same file name after slugging.
    let e = case
        .call(&mut svc, "createUser", &args("JSmith"))
        .unwrap_err();
    assert!(e.message.contains("User/jsmith.json"), "{e}");
    for bad in ["../etc/passwd", "", " x", "a b", "ü", &"x".repeat(65)] {
        let e = case.call(&mut svc, "createUser", &args(bad)).unwrap_err();
        assert!(e.message.starts_with("createUser: "), "{e}");
    }
    assert!(!fx.root().join("etc").exists());
    assert!(svc.effects().is_empty());
}

#[test]
fn dry_run_reads_see_dry_run_writes() {
    let fx = Fixture::new();
    let before = fx.snapshot();
    let mut svc = fx.services(true);
    let mut case = Case::new("ti-1");
    let create = [
        ("accountId", s("jdoe")),
        ("firstName", s("Jane")),
        ("lastName", s("Doe")),
    ];
    case.call(&mut svc, "createUser", &create).unwrap();
    let got = case
        .call(&mut svc, "getUser", &[("accountId", s("jdoe"))])
        .unwrap();
    let Value::Map(m) = got else {
        panic!("{got:?}")
    };
    assert_eq!(m["firstName"], s("Jane"));
    // A second create sees the first.
    assert!(case.call(&mut svc, "createUser", &create).is_err());
    case.call(&mut svc, "deleteUser", &[("accountId", s("jsmith"))])
        .unwrap();
    assert_eq!(
        case.call(&mut svc, "getUser", &[("accountId", s("jsmith"))])
            .unwrap(),
        Value::Null
    );
    let q = case
        .call(
            &mut svc,
            "queryUsers",
            &[("attribute", s("department")), ("value", s("Finance"))],
        )
        .unwrap();
    assert_eq!(q, list(&["aheir", "mboss"]));
    assert_eq!(fx.snapshot(), before);
    assert_eq!(svc.effects().len(), 2);
}

#[test]
fn update_user_both_modes() {
    both_modes(
        "updateUser",
        &[
            ("accountId", s("jsmith")),
            ("title", s("Controller")),
            ("badge", Value::Int(42)),
            ("costCenter", Value::Null),
        ],
        |fx, _| {
            let u = user(fx, "jsmith");
            assert_eq!(u["title"], "Controller");
            assert_eq!(u["attributes"]["badge"], 42);
            assert!(u["attributes"].get("costCenter").is_none());
        },
    );
}

#[test]
fn update_user_refuses_fields_with_their_own_op() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut case = Case::new("ti-1");
    for field in ["roles", "password", "passwordHash", "disabled", "accounts"] {
        let e = case
            .call(
                &mut svc,
                "updateUser",
                &[("accountId", s("jsmith")), (field, s("x"))],
            )
            .unwrap_err();
        assert!(
            e.message.contains(field) && e.message.contains("use"),
            "{e}"
        );
    }
    let e = case
        .call(
            &mut svc,
            "updateUser",
            &[("accountId", s("nobody")), ("title", s("x"))],
        )
        .unwrap_err();
    assert_eq!(e.message, "updateUser: no user 'nobody'");
}

#[test]
fn get_user_hides_password_data() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut case = Case::new("ti-1");
    case.call(
        &mut svc,
        "changePassword",
        &[("accountId", s("jsmith")), ("password", s("Tr0ub4dor&3"))],
    )
    .unwrap();
    let got = case
        .call(&mut svc, "getUser", &[("accountId", s("jsmith"))])
        .unwrap();
    let Value::Map(m) = &got else { panic!() };
    assert!(!m.contains_key("passwordHash"));
    assert_eq!(m["passwordChanged"], s("2026-11-27T14:09:31+00:00"));
    assert!(!got.to_text().contains("pbkdf2"));
    assert_eq!(m["roles"], list(&["Employee"]));
    // A JSON boolean stays a Java-style Boolean (`Value::Bool`), as in Waveset.
    assert_eq!(m["disabled"], Value::Bool(false));
    assert_eq!(
        read_only("getUser", &[("accountId", s("nobody"))]),
        Value::Null
    );
    let Value::Map(m) = read_only("getUser", &[("accountId", s("mboss"))]) else {
        panic!()
    };
    assert_eq!(m["roles"], Value::List(vec![]));
    assert_eq!(m["title"], s(""));
}

/// docs/services.md, getUser: "every known field (empty text when unset), `disabled`, `roles`
/// and `accounts` lists, `attributes` map, `passwordChanged`" — present even when unset, as
/// every other field, so a workflow can test it without checking for null first.
#[test]
fn get_user_has_every_field_even_when_unset() {
    let Value::Map(m) = read_only("getUser", &[("accountId", s("mboss"))]) else {
        panic!()
    };
    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "accountId",
            "accounts",
            "attributes",
            "department",
            "disabled",
            "email",
            "employeeType",
            "endDate",
            "firstName",
            "lastName",
            "manager",
            "passwordChanged",
            "roles",
            "title"
        ]
    );
    assert_eq!(m["passwordChanged"], s(""));
    assert_eq!(m["attributes"], Value::Map(Default::default()));
}

#[test]
fn query_users_is_read_only() {
    assert_eq!(
        read_only(
            "queryUsers",
            &[("attribute", s("manager")), ("value", s("mboss"))]
        ),
        list(&["jsmith"])
    );
    assert_eq!(
        read_only(
            "queryUsers",
            &[("attribute", s("costCenter")), ("value", Value::Int(4711))]
        ),
        list(&["jsmith"])
    );
    assert_eq!(
        read_only(
            "queryUsers",
            &[("attribute", s("role")), ("value", s("Employee"))]
        ),
        list(&["jsmith"])
    );
    assert_eq!(
        read_only(
            "queryUsers",
            &[("attribute", s("department")), ("value", s("Nope"))]
        ),
        Value::List(vec![])
    );
}

#[test]
fn disable_and_enable_both_modes() {
    both_modes("disableUser", &[("accountId", s("jsmith"))], |fx, _| {
        let u = user(fx, "jsmith");
        assert_eq!(u["disabled"], true);
        assert_eq!(u["accounts"][0]["disabled"], true);
    });
    // enableUser needs a disabled user to change anything.
    for dry_run in [false, true] {
        let fx = Fixture::new();
        let mut case = Case::new("ti-1");
        case.call(
            &mut fx.services(false),
            "disableUser",
            &[("accountId", s("jsmith"))],
        )
        .unwrap();
        let before = fx.snapshot();
        let mut svc = fx.services(dry_run);
        case.call(&mut svc, "enableUser", &[("accountId", s("jsmith"))])
            .unwrap();
        let u = user(&fx, "jsmith");
        assert_eq!(u.get("disabled").is_none(), !dry_run);
        assert_eq!(fx.snapshot() == before, dry_run);
        assert_eq!(svc.effects()[0].applied, !dry_run);
    }
}

#[test]
fn delete_user_both_modes() {
    both_modes("deleteUser", &[("accountId", s("jsmith"))], |fx, _| {
        assert!(!fx.root().join("User/jsmith.json").exists());
    });
}

#[test]
fn set_and_remove_property_both_modes() {
    both_modes(
        "setProperty",
        &[
            ("accountId", s("jsmith")),
            ("name", s("badge")),
            ("value", list(&["a", "b"])),
        ],
        |fx, _| {
            assert_eq!(
                user(fx, "jsmith")["attributes"]["badge"],
                serde_json::json!(["a", "b"])
            )
        },
    );
    both_modes(
        "removeProperty",
        &[("accountId", s("jsmith")), ("name", s("costCenter"))],
        |fx, result| {
            assert_eq!(result, &Value::Int(1));
            assert!(user(fx, "jsmith").get("attributes").is_none());
        },
    );
    // Removing what is not there changes nothing.
    assert_eq!(
        read_only(
            "removeProperty",
            &[("accountId", s("jsmith")), ("name", s("nothing"))]
        ),
        Value::Int(0)
    );
}

#[test]
fn transfer_ownership_both_modes() {
    both_modes(
        "transferOwnership",
        &[("from", s("mboss")), ("to", s("aheir"))],
        |fx, result| {
            assert_eq!(
                result,
                &list(&["Role:AP Approver", "Role:Employee", "User:jsmith"])
            );
            assert_eq!(fx.json("Role/employee.json")["owner"], "aheir");
            assert_eq!(fx.json("Role/ap-approver.json")["owner"], "aheir");
            assert_eq!(user(fx, "jsmith")["manager"], "aheir");
        },
    );
    let fx = Fixture::new();
    let e = Case::new("ti-1")
        .call(
            &mut fx.services(false),
            "transferOwnership",
            &[("from", s("mboss")), ("to", s("ghost"))],
        )
        .unwrap_err();
    assert_eq!(e.message, "transferOwnership: no user 'ghost'");
}

#[test]
fn assign_and_revoke_role_both_modes() {
    both_modes(
        "assignRole",
        &[("accountId", s("jsmith")), ("role", s("AP Clerk"))],
        |fx, _| {
            assert_eq!(
                user(fx, "jsmith")["roles"],
                serde_json::json!(["Employee", "AP Clerk"])
            )
        },
    );
    both_modes(
        "revokeRole",
        &[("accountId", s("jsmith")), ("role", s("Employee"))],
        |fx, result| {
            assert_eq!(result, &list(&["Employee"]));
            assert!(user(fx, "jsmith").get("roles").is_none());
        },
    );
    both_modes("revokeRole", &[("accountId", s("jsmith"))], |_, result| {
        assert_eq!(result, &list(&["Employee"]));
    });
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut case = Case::new("ti-1");
    for op in ["assignRole", "revokeRole"] {
        let e = case
            .call(
                &mut svc,
                op,
                &[("accountId", s("jsmith")), ("role", s("Wizard"))],
            )
            .unwrap_err();
        assert_eq!(e.message, format!("{op}: unknown role 'Wizard'"));
    }
}

#[test]
fn provision_and_deprovision_both_modes() {
    both_modes("provision", &[("accountId", s("jsmith"))], |fx, result| {
        // AD exists already; Email comes from the Employee role.
        assert_eq!(result, &list(&["Email"]));
        let resources: Vec<_> = user(fx, "jsmith")["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["resource"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(resources, ["AD", "Email"]);
    });
    both_modes(
        "provision",
        &[("accountId", s("mboss")), ("resource", s("VPN"))],
        |fx, result| {
            assert_eq!(result, &list(&["VPN"]));
            assert_eq!(user(fx, "mboss")["accounts"][0]["accountId"], "mboss");
        },
    );
    both_modes(
        "deprovision",
        &[("accountId", s("jsmith")), ("resource", s("AD"))],
        |fx, result| {
            assert_eq!(result, &list(&["AD"]));
            assert!(user(fx, "jsmith").get("accounts").is_none());
        },
    );
    both_modes("deprovision", &[("accountId", s("jsmith"))], |_, result| {
        assert_eq!(result, &list(&["AD"]));
    });
}

#[test]
fn check_sod_returns_null_or_violations() {
    assert_eq!(
        read_only("checkSoD", &[("accountId", s("jsmith"))]),
        Value::Null
    );
    assert_eq!(
        read_only("checkSoD", &[("roles", list(&["AP Clerk"]))]),
        Value::Null
    );
    // A check that finds conflicts changes no data: in a dry run nothing at all, in an
    // applied run only the case journal, which records the violation (docs/report.md).
    let args = [
        ("accountId", s("jsmith")),
        ("roles", list(&["AP Clerk", "AP Approver"])),
    ];
    let mut answers = Vec::new();
    for dry_run in [false, true] {
        let fx = Fixture::new();
        let before = fx.snapshot();
        let mut svc = fx.services(dry_run);
        answers.push(Case::new("ti-1").call(&mut svc, "checkSoD", &args).unwrap());
        let mut after = fx.data_snapshot();
        let journal: Vec<_> = after
            .keys()
            .filter(|k| k.starts_with("journal"))
            .cloned()
            .collect();
        if dry_run {
            assert!(journal.is_empty(), "{journal:?}");
        } else {
            assert_eq!(journal.len(), 1, "{journal:?}");
            let line = String::from_utf8(after.remove(&journal[0]).unwrap()).unwrap();
            assert_eq!(line.lines().count(), 1, "{line}");
            assert!(line.contains("\"event\":\"sodViolation\""), "{line}");
            assert!(line.contains("\"instance\":\"ti-1\""), "{line}");
        }
        let mut before = before;
        before.retain(|rel, _| !rel.starts_with(".bpe"));
        after.retain(|rel, _| !rel.starts_with(".bpe"));
        assert_eq!(after, before);
        assert!(svc.effects().is_empty());
    }
    assert_eq!(answers[0], answers[1]);
    let v = answers.remove(0);
    let Value::List(items) = &v else {
        panic!("{v:?}")
    };
    assert_eq!(items.len(), 1);
    let text = items[0].to_text();
    assert!(
        text.contains("Finance SoD") && text.contains("AP Clerk") && text.contains("AP Approver"),
        "{text}"
    );
    assert!(v.is_true());
    // The user's current roles count too.
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut case = Case::new("ti-1");
    case.call(
        &mut svc,
        "assignRole",
        &[("accountId", s("jsmith")), ("role", s("AP Clerk"))],
    )
    .unwrap();
    let v = case
        .call(
            &mut svc,
            "checkSoD",
            &[("accountId", s("jsmith")), ("roles", s("AP Approver"))],
        )
        .unwrap();
    assert!(v.is_true());
}

#[test]
fn change_password_both_modes_never_keeps_clear_text() {
    let secret = "Corr3ct-Horse-Battery";
    both_modes(
        "changePassword",
        &[("accountId", s("jsmith")), ("password", s(secret))],
        |fx, _| {
            let u = user(fx, "jsmith");
            let hash = u["passwordHash"].as_str().unwrap();
            assert!(hash.starts_with("pbkdf2-sha256$600000$"), "{hash}");
            assert!(verify_password(hash, secret));
            assert!(!verify_password(hash, "wrong"));
            assert_eq!(u["passwordChanged"], "2026-11-27T14:09:31+00:00");
            for (path, bytes) in fx.snapshot() {
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains(secret), "clear text in {}", path.display());
            }
        },
    );
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut case = Case::new("ti-1");
    case.call(
        &mut svc,
        "changePassword",
        &[("accountId", s("jsmith")), ("password", s(secret))],
    )
    .unwrap();
    case.call(
        &mut svc,
        "audit",
        &[("event", s("pw")), ("password", s(secret))],
    )
    .unwrap();
    let e = case
        .call(
            &mut svc,
            "changePassword",
            &[("accountId", s("ghost")), ("password", s(secret))],
        )
        .unwrap_err();
    assert!(!e.message.contains(secret));
    let e = case
        .call(
            &mut svc,
            "changePassword",
            &[("accountId", s("jsmith")), ("password", list(&[secret]))],
        )
        .unwrap_err();
    assert!(!e.message.contains(secret));
    assert!(!fx.read("audit.jsonl").contains(secret));
    assert!(svc.effects().iter().all(|e| !e.summary.contains(secret)));
}

#[test]
fn unknown_ops_and_bad_arguments() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut case = Case::new("ti-1");
    let e = case.call(&mut svc, "frobnicate", &[]).unwrap_err();
    assert_eq!(e.message, "Unknown WorkflowServices op: frobnicate");
    let e = case
        .call(&mut svc, "assignRole", &[("accountId", s("jsmith"))])
        .unwrap_err();
    assert_eq!(e.message, "assignRole: missing required argument 'role'");
    let e = case
        .call(&mut svc, "getUser", &[("accountId", Value::Null)])
        .unwrap_err();
    assert_eq!(e.message, "getUser: missing required argument 'accountId'");
    let e = case
        .call(
            &mut svc,
            "getUser",
            &[("accountId", s("jsmith")), ("acountId", s("x"))],
        )
        .unwrap_err();
    assert!(
        e.message
            .starts_with("getUser: unknown argument 'acountId'"),
        "{e}"
    );
}

#[test]
fn every_catalogue_op_is_implemented() {
    // An op that reaches its implementation fails on its arguments or its
    // subject, never as unknown.
    let fx = Fixture::new();
    let mut svc = fx.services(true);
    let mut case = Case::new("ti-1");
    for spec in bpe::services::ops::OPS {
        match case.call(&mut svc, spec.name, &[]) {
            Ok(_) => {}
            Err(e) => assert!(!e.message.contains("Unknown WorkflowServices op"), "{e}"),
        }
    }
}

#[test]
fn docs_describe_every_op() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/services.md")).unwrap();
    for spec in bpe::services::ops::OPS {
        let heading = docs.lines().any(|l| {
            l.starts_with("#### ")
                && l[5..]
                    .split(" / ")
                    .any(|n| n.split(' ').next() == Some(spec.name))
        });
        let row = docs.contains(&format!("| {} |", spec.name));
        assert!(
            heading || row,
            "docs/services.md does not describe {}",
            spec.name
        );
    }
}

#[test]
fn users_in_hand_named_files_are_found() {
    let fx = Fixture::new();
    std::fs::write(
        fx.root().join("User/contractor-42.json"),
        r#"{"formatVersion": 1, "accountId": "c.doe", "firstName": "Cy", "lastName": "Doe"}"#,
    )
    .unwrap();
    let mut svc = fx.services(false);
    let mut case = Case::new("ti-1");
    let got = case
        .call(&mut svc, "getUser", &[("accountId", s("c.doe"))])
        .unwrap();
    let Value::Map(m) = got else {
        panic!("{got:?}")
    };
    assert_eq!(m["firstName"], s("Cy"));
    case.call(
        &mut svc,
        "assignRole",
        &[("accountId", s("c.doe")), ("role", s("Employee"))],
    )
    .unwrap();
    assert_eq!(
        fx.json("User/contractor-42.json")["roles"],
        serde_json::json!(["Employee"])
    );
    assert!(!fx.root().join("User/c-doe.json").exists());
    let e = case
        .call(
            &mut svc,
            "createUser",
            &[
                ("accountId", s("c.doe")),
                ("firstName", s("A")),
                ("lastName", s("B")),
            ],
        )
        .unwrap_err();
    assert!(e.message.contains("User/contractor-42.json"), "{e}");
}

#[test]
fn secret_looking_properties_are_not_shown_in_effects() {
    let fx = Fixture::new();
    let mut svc = fx.services(true);
    Case::new("ti-1")
        .call(
            &mut svc,
            "setProperty",
            &[
                ("accountId", s("jsmith")),
                ("name", s("apiToken")),
                ("value", s("tok-123")),
            ],
        )
        .unwrap();
    assert!(svc.effects()[0].summary.contains("[redacted]"));
    assert!(!svc.effects()[0].summary.contains("tok-123"));
}
