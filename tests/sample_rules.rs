//! The sample's rules compute what the workflows rely on, and the lookup rules
//! agree with the Role files they mirror.

mod sample_common;

use std::collections::{BTreeMap, BTreeSet};

use bpe::expr::{MapEnv, RuleDef, Value, eval_rule, parse};
use bpe::repo::Repository;
use sample_common::open_sample;

fn rules(repo: &Repository) -> MapEnv {
    let mut env = MapEnv::new();
    for r in &repo.rules {
        let rule = &r.value;
        env.add_rule(RuleDef {
            name: rule.name.clone(),
            args: rule
                .arguments
                .iter()
                .map(|a| (a.name.clone(), a.value.as_ref().map(|v| parse(v).unwrap())))
                .collect(),
            body: parse(&rule.body).unwrap(),
            local_scope: rule.local_scope,
        });
    }
    env
}

fn call(env: &mut MapEnv, name: &str, args: &[(&str, Value)]) -> Value {
    let rule = env
        .rules
        .get(name)
        .unwrap_or_else(|| panic!("no rule {name}"))
        .clone();
    let args: Vec<(String, Value)> = args
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    eval_rule(&rule, &args, env, 1_000_000).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn s(text: &str) -> Value {
    Value::Str(text.to_string())
}

fn names(v: &Value) -> BTreeSet<String> {
    match v {
        Value::List(items) => items.iter().map(Value::to_text).collect(),
        other => panic!("not a list: {other}"),
    }
}

#[test]
fn birthright_roles_rule_matches_the_role_files() {
    let repo = open_sample();
    let mut env = rules(&repo);
    let mut by_department: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for r in &repo.roles {
        if !r.value.birthright_for.is_empty() {
            by_department
                .entry(r.value.birthright_for.as_str())
                .or_default()
                .insert(r.value.name.clone());
        }
    }
    assert!(by_department.len() >= 6);
    for (department, roles) in &by_department {
        let got = call(
            &mut env,
            "Birthright Roles",
            &[("department", s(department))],
        );
        assert_eq!(&names(&got), roles, "{department}");
    }
    // Every department a user belongs to has birthright roles.
    for u in &repo.users {
        assert!(
            by_department.contains_key(u.value.department.as_str()),
            "{}",
            u.value.account_id
        );
    }
    assert_eq!(
        call(
            &mut env,
            "Birthright Roles",
            &[("department", s("Marketing"))]
        ),
        Value::Null
    );
}

#[test]
fn role_owner_rule_matches_the_role_files() {
    let repo = open_sample();
    let mut env = rules(&repo);
    for r in &repo.roles {
        let got = call(&mut env, "Role Owner", &[("role", s(&r.value.name))]);
        assert_eq!(got, s(&r.value.owner), "{}", r.value.name);
    }
    assert_eq!(
        call(&mut env, "Role Owner", &[("role", s("Wizard"))]),
        Value::Null
    );
}

#[test]
fn manager_of_falls_back_to_the_hr_director() {
    let repo = open_sample();
    let mut env = rules(&repo);
    let user_map = |id: &str| {
        let u = repo
            .users
            .iter()
            .find(|u| u.value.account_id == id)
            .unwrap();
        Value::from_json(&serde_json::to_value(&u.value).unwrap())
    };
    assert_eq!(
        call(&mut env, "Manager Of", &[("user", user_map("jsmith"))]),
        s("mgarcia")
    );
    assert_eq!(
        call(&mut env, "Manager Of", &[("user", user_map("mgarcia"))]),
        s("rthompson")
    );
    // The CEO has no manager (getUser gives "", a file leaves it out): the fallback approves.
    assert_eq!(
        call(&mut env, "Manager Of", &[("user", user_map("rthompson"))]),
        s("hwhite")
    );
    let mut ceo = BTreeMap::new();
    ceo.insert("manager".to_string(), s(""));
    assert_eq!(
        call(&mut env, "Manager Of", &[("user", Value::Map(ceo))]),
        s("hwhite")
    );
    assert_eq!(
        call(&mut env, "Manager Of", &[("user", Value::Null)]),
        s("hwhite")
    );
    assert_eq!(
        call(
            &mut env,
            "Manager Of",
            &[("user", Value::Null), ("fallback", s("gclark"))]
        ),
        s("gclark")
    );
}

#[test]
fn derive_account_id() {
    let repo = open_sample();
    let mut env = rules(&repo);
    let mut id = |first: &str, last: &str, suffix: i64| {
        call(
            &mut env,
            "Derive Account Id",
            &[
                ("firstName", s(first)),
                ("lastName", s(last)),
                ("suffix", Value::Int(suffix)),
            ],
        )
    };
    assert_eq!(id("John", "Smith", 0), s("jsmith"));
    assert_eq!(id("Jane", "Smith", 1), s("jsmith1"));
    assert_eq!(id("Jane", "Smith", 12), s("jsmith12"));
    assert_eq!(id(" Siobhan ", "O'Brien", 0), s("sobrien"));
    assert_eq!(id("Mary Ann", "van der Berg-Lee", 0), s("mvanderberglee"));
    assert_eq!(id("Émile", "Zola", 0), s("zola"));
    assert_eq!(id("", "", 0), s("user"));
}

#[test]
fn password_policy() {
    let repo = open_sample();
    let mut env = rules(&repo);
    let mut check = |password: &str| {
        call(
            &mut env,
            "Password Policy",
            &[("password", s(password)), ("accountId", s("jsmith"))],
        )
    };
    assert_eq!(check("Tr1cky-Passphrase"), Value::Null);
    assert_eq!(check("Correct-Horse-7-Battery"), Value::Null);
    let problems = |v: Value| names(&v);
    assert!(problems(check("Sh0rt-pw")).contains("is shorter than 12 characters"));
    assert!(problems(check("all-lower-case-42")).contains("has no upper-case letter"));
    assert!(problems(check("ALL-UPPER-CASE-42")).contains("has no lower-case letter"));
    assert!(problems(check("No-Digits-Anywhere")).contains("has no digit"));
    assert!(problems(check("MyPassword-2026!")).contains("contains the common word password"));
    assert!(problems(check("Hello-JSmith-2026")).contains("contains the account id"));
    // Several problems at once, each reported.
    assert_eq!(problems(check("abc")).len(), 3);
    assert_eq!(
        call(
            &mut env,
            "Password Policy",
            &[("password", s("Tr1cky-Pass")), ("minLength", Value::Int(8))]
        ),
        Value::Null
    );
}

#[test]
fn email_address_and_valid_date() {
    let repo = open_sample();
    let mut env = rules(&repo);
    assert_eq!(
        call(&mut env, "Email Address", &[("accountId", s(" JSmith1 "))]),
        s("jsmith1@example.com")
    );
    for good in ["2027-03-31", "2026-12-01"] {
        assert_eq!(
            call(&mut env, "Valid Date", &[("date", s(good))]),
            Value::Int(1),
            "{good}"
        );
    }
    for bad in [
        "2027-13-01",
        "2027-3-31",
        "2027/03/31",
        "2027-03-3a",
        "2027-00-10",
        "2027-01-32",
        "",
        "31.03.2027",
    ] {
        assert!(
            !call(&mut env, "Valid Date", &[("date", s(bad))]).is_true(),
            "{bad}"
        );
    }
    assert!(!call(&mut env, "Valid Date", &[("date", Value::Null)]).is_true());
}
