//! Service ops against a store of 2 000 users.
//! Run briefly: `cargo bench --bench services -- --sample-count 3`.

use std::collections::BTreeMap;

use bpe::expr::Value;
use bpe::model::{RepositoryConfig, TaskResult};
use bpe::services::{CallContext, RepoServices, ServiceOptions, Services};

const USERS: usize = 2_000;

fn store() -> (tempfile::TempDir, RepositoryConfig) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("User")).unwrap();
    for i in 0..USERS {
        let user = serde_json::json!({"formatVersion": 1, "accountId": format!("user{i}"),
            "firstName": "F", "lastName": "L", "department": format!("d{}", i % 20),
            "roles": ["Employee"]});
        std::fs::write(
            dir.path().join(format!("User/user{i}.json")),
            serde_json::to_vec_pretty(&user).unwrap(),
        )
        .unwrap();
    }
    let config =
        serde_json::from_value(serde_json::json!({"formatVersion": 1, "name": "b"})).unwrap();
    (dir, config)
}

fn call(svc: &mut RepoServices, op: &str, args: &[(&str, &str)]) -> Value {
    let args: BTreeMap<String, Value> = args
        .iter()
        .map(|(k, v)| (k.to_string(), Value::Str(v.to_string())))
        .collect();
    let mut name = String::from("bench");
    let mut result = TaskResult::default();
    let variables = BTreeMap::new();
    let mut cx = CallContext {
        instance_id: "ti-bench",
        instance_name: &mut name,
        case_owner: "bench",
        variables: &variables,
        result: &mut result,
        now: chrono::Utc::now(),
    };
    svc.call(op, &args, &mut cx).unwrap()
}

fn main() {
    divan::main();
}

/// Budget: 1 ms (one file read and parse, by the slug path).
#[divan::bench]
fn get_user(bencher: divan::Bencher) {
    let (dir, config) = store();
    let mut svc = RepoServices::new(dir.path(), &config, ServiceOptions::default());
    bencher.bench_local(|| call(&mut svc, "getUser", &[("accountId", "user1234")]));
}

/// Budget: 100 ms for 2 000 users (every file read and parsed).
#[divan::bench]
fn query_users(bencher: divan::Bencher) {
    let (dir, config) = store();
    let mut svc = RepoServices::new(dir.path(), &config, ServiceOptions::default());
    bencher.bench_local(|| {
        call(
            &mut svc,
            "queryUsers",
            &[("attribute", "department"), ("value", "d7")],
        )
    });
}

/// Budget: 100 ms for 2 000 users (the duplicate check scans for hand-named files).
#[divan::bench]
fn create_user_dry_run(bencher: divan::Bencher) {
    let (dir, config) = store();
    bencher.bench_local(|| {
        let mut svc = RepoServices::new(
            dir.path(),
            &config,
            ServiceOptions {
                dry_run: true,
                allow_commands: false,
            },
        );
        call(
            &mut svc,
            "createUser",
            &[
                ("accountId", "newbie"),
                ("firstName", "N"),
                ("lastName", "B"),
            ],
        )
    });
}

/// Budget: 500 ms (600 000 PBKDF2-HMAC-SHA256 rounds: slow on purpose, but not
/// so slow that a password-change workflow stalls).
#[divan::bench(sample_count = 3)]
fn hash_password() -> String {
    bpe::services::hash_password("correct horse battery staple").unwrap()
}
