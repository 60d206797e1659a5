//! Object locks, checked-out views, and the task-result helpers.

mod services_support;

use bpe::expr::Value;
use bpe::services::Services;
use services_support::{Case, Fixture, s};

/// The view locks (`*.json`; the `*.lock` files beside them are write locks).
fn lock_files(fx: &Fixture) -> Vec<serde_json::Value> {
    std::fs::read_dir(fx.root().join(".bpe/objectlocks"))
        .map(|d| {
            d.map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

fn later(case: &Case, minutes: i64) -> Case {
    let mut c = Case::new(&case.id);
    c.now = case.now + chrono::Duration::minutes(minutes);
    c
}

#[test]
fn lock_object_both_modes() {
    for dry_run in [false, true] {
        let fx = Fixture::new();
        let before = fx.snapshot();
        let mut svc = fx.services(dry_run);
        let mut a = Case::new("ti-a");
        let until = a
            .call(
                &mut svc,
                "lockObject",
                &[("object", s("User:jsmith")), ("minutes", Value::Int(10))],
            )
            .unwrap();
        assert_eq!(until, s("2026-11-27T14:19:31+00:00"));
        // The same run sees its own lock, also in a dry run.
        let mut b = Case::new("ti-b");
        let e = b
            .call(&mut svc, "lockObject", &[("object", s("User:jsmith"))])
            .unwrap_err();
        assert_eq!(
            e.message,
            "lockObject: User:jsmith is locked by instance ti-a (case owner admin) until 2026-11-27T14:19:31+00:00"
        );
        if dry_run {
            assert_eq!(fx.snapshot(), before);
        } else {
            let locks = lock_files(&fx);
            assert_eq!(locks.len(), 1);
            assert_eq!(locks[0]["object"], "User:jsmith");
            assert_eq!(locks[0]["instance"], "ti-a");
        }
        assert_eq!(svc.effects().len(), 1);
        assert_eq!(svc.effects()[0].applied, !dry_run);
        assert_eq!(
            a.call(&mut svc, "unlockObject", &[("object", s("User:jsmith"))])
                .unwrap(),
            Value::Int(1)
        );
        assert_eq!(svc.effects().len(), 2);
        assert_eq!(svc.effects()[1].op, "unlockObject");
        assert!(lock_files(&fx).is_empty());
        // Now free for the other case.
        b.call(&mut svc, "lockObject", &[("object", s("User:jsmith"))])
            .unwrap();
    }
}

#[test]
fn locks_are_shared_across_runners_and_expire() {
    let fx = Fixture::new();
    let a = Case::new("ti-a");
    let mut first = fx.services(false);
    let mut second = fx.services(false);
    Case::new("ti-a")
        .call(&mut first, "lockObject", &[("object", s("User:jsmith"))])
        .unwrap();
    // Another runner (another process in real life) sees it.
    let e = Case::new("ti-b")
        .call(&mut second, "lockObject", &[("object", s("User:jsmith"))])
        .unwrap_err();
    assert!(e.message.contains("ti-a"), "{e}");
    let e = Case::new("ti-b")
        .call(&mut second, "unlockObject", &[("object", s("User:jsmith"))])
        .unwrap_err();
    assert!(e.message.contains("ti-a"), "{e}");
    // Different objects do not collide, even when their slugs would.
    Case::new("ti-b")
        .call(&mut second, "lockObject", &[("object", s("user-jsmith"))])
        .unwrap();
    // Five minutes later the lock is free.
    let mut b_later = later(&Case::new("ti-b"), 6);
    b_later
        .call(&mut second, "lockObject", &[("object", s("User:jsmith"))])
        .unwrap();
    let mut a_later = later(&a, 6);
    assert!(
        a_later
            .call(&mut first, "lockObject", &[("object", s("User:jsmith"))])
            .is_err()
    );
}

#[test]
fn a_finished_holder_releases_its_locks() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    Case::new("ti-done")
        .call(
            &mut svc,
            "lockObject",
            &[("object", s("Role:Employee")), ("minutes", Value::Int(60))],
        )
        .unwrap();
    std::fs::create_dir_all(fx.root().join("TaskInstance")).unwrap();
    std::fs::write(
        fx.root().join("TaskInstance/ti-done.json"),
        r#"{"formatVersion":1,"id":"ti-done","status":"completed"}"#,
    )
    .unwrap();
    Case::new("ti-new")
        .call(&mut svc, "lockObject", &[("object", s("Role:Employee"))])
        .unwrap();
}

#[test]
fn lock_object_argument_errors() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut case = Case::new("ti-a");
    let e = case
        .call(
            &mut svc,
            "lockObject",
            &[("object", s("x")), ("minutes", Value::Int(0))],
        )
        .unwrap_err();
    assert!(e.message.contains("'minutes'"), "{e}");
    let e = case
        .call(
            &mut svc,
            "lockObject",
            &[("object", s("x")), ("minutes", s("soon"))],
        )
        .unwrap_err();
    assert_eq!(
        e.message,
        "lockObject: argument 'minutes' must be an integer"
    );
    assert_eq!(
        case.call(&mut svc, "unlockObject", &[("object", s("never-locked"))])
            .unwrap(),
        Value::Int(0)
    );
}

fn checkout(svc: &mut dyn Services, case: &mut Case) -> std::collections::BTreeMap<String, Value> {
    match case
        .call(svc, "checkoutView", &[("accountId", s("jsmith"))])
        .unwrap()
    {
        Value::Map(m) => m,
        other => panic!("{other:?}"),
    }
}

#[test]
fn checkout_edit_checkin_both_modes() {
    for dry_run in [false, true] {
        let fx = Fixture::new();
        let before = fx.snapshot();
        let mut svc = fx.services(dry_run);
        let mut case = Case::new("ti-a");
        let mut view = checkout(&mut svc, &mut case);
        assert_eq!(view["firstName"], s("John"));
        let Value::Map(lock) = &view["viewLock"] else {
            panic!()
        };
        assert_eq!(lock["expires"], s("2026-11-27T14:14:31+00:00"));
        assert!(!view.contains_key("passwordHash"));
        // Another case cannot check it out meanwhile.
        let e = Case::new("ti-b")
            .call(&mut svc, "checkoutView", &[("accountId", s("jsmith"))])
            .unwrap_err();
        assert!(e.message.contains("locked by instance ti-a"), "{e}");

        view.insert("title".into(), s("Controller"));
        view.insert("roles".into(), Value::List(vec![s("Admin")])); // ignored
        let Value::Map(attrs) = view.get_mut("attributes").unwrap() else {
            panic!()
        };
        attrs.insert("badge".into(), Value::Int(7));
        case.call(&mut svc, "checkinView", &[("view", Value::Map(view))])
            .unwrap();

        let user = case
            .call(&mut svc, "getUser", &[("accountId", s("jsmith"))])
            .unwrap();
        let Value::Map(user) = user else { panic!() };
        assert_eq!(user["title"], s("Controller"));
        assert_eq!(user["roles"], Value::List(vec![s("Employee")]));
        let Value::Map(attrs) = &user["attributes"] else {
            panic!()
        };
        assert_eq!(attrs["badge"], Value::Int(7));
        // The lock is released.
        Case::new("ti-b")
            .call(&mut svc, "lockObject", &[("object", s("User:jsmith"))])
            .unwrap();
        let ops: Vec<&str> = svc.effects().iter().map(|e| e.op.as_str()).collect();
        assert_eq!(ops, ["checkoutView", "checkinView", "lockObject"]);
        assert!(svc.effects().iter().all(|e| e.applied != dry_run));
        assert_eq!(fx.snapshot() == before, dry_run);
    }
}

#[test]
fn checkin_refuses_when_the_lock_passed_to_someone_else() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut a = Case::new("ti-a");
    let mut view = checkout(&mut svc, &mut a);
    view.insert("title".into(), s("Stale edit"));
    // Ten minutes later the view lock expired and ti-b took the user.
    let mut b = later(&Case::new("ti-b"), 10);
    checkout(&mut svc, &mut b);
    let mut a_late = later(&a, 10);
    let e = a_late
        .call(
            &mut svc,
            "checkinView",
            &[("view", Value::Map(view.clone()))],
        )
        .unwrap_err();
    assert!(
        e.message.contains("no longer checked out") && e.message.contains("ti-b"),
        "{e}"
    );
    assert!(!fx.read("User/jsmith.json").contains("Stale edit"));
    // Expired with nobody else on it, but released meanwhile: refused too.
    let mut b_done = later(&Case::new("ti-b"), 11);
    b_done
        .call(&mut svc, "unlockObject", &[("object", s("User:jsmith"))])
        .unwrap();
    let e = a_late
        .call(
            &mut svc,
            "checkinView",
            &[("view", Value::Map(view.clone()))],
        )
        .unwrap_err();
    assert!(e.message.contains("expired"), "{e}");
    // An expired lock of our own that nobody took is still ours.
    let mut c = Case::new("ti-c");
    let mut view = checkout(&mut svc, &mut c);
    view.insert("title".into(), s("Late but safe"));
    later(&c, 30)
        .call(&mut svc, "checkinView", &[("view", Value::Map(view))])
        .unwrap();
    assert!(fx.read("User/jsmith.json").contains("Late but safe"));
    let e = c
        .call(&mut svc, "checkinView", &[("view", s("not a view"))])
        .unwrap_err();
    assert!(e.message.starts_with("checkinView: "), "{e}");
}

#[test]
fn task_result_helpers_change_the_case_in_both_modes() {
    for dry_run in [false, true] {
        let fx = Fixture::new();
        let before = fx.snapshot();
        let mut svc = fx.services(dry_run);
        let mut case = Case::new("ti-a");
        case.call(
            &mut svc,
            "addResult",
            &[("name", s("created")), ("value", s("jsmith"))],
        )
        .unwrap();
        case.call(
            &mut svc,
            "addResult",
            &[("name", s("created")), ("value", s("jdoe"))],
        )
        .unwrap();
        case.call(
            &mut svc,
            "setResult",
            &[("name", s("status")), ("value", s("ok"))],
        )
        .unwrap();
        case.call(
            &mut svc,
            "setResult",
            &[("name", s("status")), ("value", s("done"))],
        )
        .unwrap();
        case.call(&mut svc, "addResultError", &[("message", s("AD timeout"))])
            .unwrap();
        case.call(&mut svc, "addResultMessage", &[("message", s("2 users"))])
            .unwrap();
        case.call(&mut svc, "setResultLimit", &[("seconds", s("3600"))])
            .unwrap();
        case.call(&mut svc, "renameTask", &[("name", s("Onboard John Smith"))])
            .unwrap();
        assert_eq!(
            case.result.items["created"],
            Value::List(vec![s("jsmith"), s("jdoe")])
        );
        assert_eq!(case.result.items["status"], s("done"));
        assert_eq!(case.result.errors, ["AD timeout"]);
        assert_eq!(case.result.messages, ["2 users"]);
        assert_eq!(case.result.result_limit, Some(3600));
        assert_eq!(case.name, "Onboard John Smith");
        assert_eq!(fx.snapshot(), before);
        assert!(svc.effects().is_empty());
        assert!(
            case.call(&mut svc, "renameTask", &[("name", s("  "))])
                .is_err()
        );
        assert!(
            case.call(&mut svc, "setResultLimit", &[("seconds", s("soon"))])
                .is_err()
        );
        assert_eq!(case.name, "Onboard John Smith");
    }
}

#[test]
fn object_locks_are_listed_with_liveness() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut case = Case::new("ti-a");
    case.call(&mut svc, "lockObject", &[("object", s("User:jsmith"))])
        .unwrap();
    case.call(&mut svc, "checkoutView", &[("accountId", s("mboss"))])
        .unwrap();
    let locks = bpe::services::object_locks(fx.root(), case.now).unwrap();
    let objects: Vec<&str> = locks.iter().map(|l| l.lock.object.as_str()).collect();
    assert_eq!(objects, ["User:jsmith", "User:mboss"]);
    assert!(locks.iter().all(|l| l.live && l.lock.instance == "ti-a"));
    assert!(locks[0].path.starts_with(".bpe/objectlocks"));
    let later = case.now + chrono::Duration::minutes(6);
    assert!(
        bpe::services::object_locks(fx.root(), later)
            .unwrap()
            .iter()
            .all(|l| !l.live)
    );
}

#[test]
fn a_finished_case_can_release_all_its_locks() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut a = Case::new("ti-a");
    a.call(&mut svc, "lockObject", &[("object", s("User:jsmith"))])
        .unwrap();
    a.call(&mut svc, "lockObject", &[("object", s("Role:Employee"))])
        .unwrap();
    Case::new("ti-b")
        .call(&mut svc, "lockObject", &[("object", s("User:mboss"))])
        .unwrap();
    let released = bpe::services::release_instance_locks(fx.root(), "ti-a").unwrap();
    assert_eq!(released, ["Role:Employee", "User:jsmith"]);
    let left = bpe::services::object_locks(fx.root(), a.now).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].lock.instance, "ti-b");
}

#[test]
fn a_locked_user_is_not_changed_by_another_case() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut a = Case::new("ti-a");
    checkout(&mut svc, &mut a);
    let mut b = Case::new("ti-b");
    for (op, extra) in [
        ("updateUser", vec![("title", s("x"))]),
        ("assignRole", vec![("role", s("AP Clerk"))]),
        ("changePassword", vec![("password", s("pw-123456"))]),
        ("deleteUser", vec![]),
    ] {
        let mut args = vec![("accountId", s("jsmith"))];
        args.extend(extra);
        let e = b.call(&mut svc, op, &args).unwrap_err();
        assert!(
            e.message
                .starts_with(&format!("{op}: User:jsmith is locked by instance ti-a")),
            "{e}"
        );
    }
    // Reading is fine, and so is the holder's own update.
    b.call(&mut svc, "getUser", &[("accountId", s("jsmith"))])
        .unwrap();
    a.call(
        &mut svc,
        "updateUser",
        &[("accountId", s("jsmith")), ("title", s("CFO"))],
    )
    .unwrap();
    assert_eq!(fx.json("User/jsmith.json")["title"], "CFO");
    // Once the lock expires, others may write again.
    later(&b, 6)
        .call(
            &mut svc,
            "updateUser",
            &[("accountId", s("jsmith")), ("title", s("CEO"))],
        )
        .unwrap();
}
