//! Shared fixture for the services integration tests: a small identity store
//! in a temporary repository, and a way to call ops as a case would.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bpe::expr::Value;
use bpe::model::{RepositoryConfig, TaskResult};
use bpe::services::{CallContext, RepoServices, ServiceError, ServiceOptions, Services};

#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)]
pub use common::{copy_dir, copy_sample};

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub config: RepositoryConfig,
}

fn write(root: &Path, rel: &str, json: serde_json::Value) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::with_settings(serde_json::json!({"mailDomain": "example.com"}))
    }

    pub fn with_settings(settings: serde_json::Value) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let config = serde_json::json!({"formatVersion": 1, "name": "test", "settings": settings});
        write(root, "repository.json", config.clone());
        write(
            root,
            "User/jsmith.json",
            serde_json::json!({"formatVersion": 1, "accountId": "jsmith", "firstName": "John",
                "lastName": "Smith", "email": "john.smith@example.com", "department": "Finance",
                "manager": "mboss", "roles": ["Employee"],
                "accounts": [{"resource": "AD", "accountId": "jsmith"}],
                "attributes": {"costCenter": "4711"}}),
        );
        write(
            root,
            "User/mboss.json",
            serde_json::json!({"formatVersion": 1, "accountId": "mboss", "firstName": "Mary",
                "lastName": "Boss", "email": "mary.boss@example.com", "department": "Finance"}),
        );
        write(
            root,
            "User/aheir.json",
            serde_json::json!({"formatVersion": 1, "accountId": "aheir", "firstName": "Anna",
                "lastName": "Heir", "department": "Finance"}),
        );
        write(
            root,
            "Role/employee.json",
            serde_json::json!({"formatVersion": 1, "name": "Employee", "owner": "mboss",
                "resources": ["AD", "Email"]}),
        );
        write(
            root,
            "Role/ap-clerk.json",
            serde_json::json!({"formatVersion": 1, "name": "AP Clerk", "resources": ["SAP"]}),
        );
        write(
            root,
            "Role/ap-approver.json",
            serde_json::json!({"formatVersion": 1, "name": "AP Approver", "owner": "mboss",
                "resources": ["SAP"]}),
        );
        write(
            root,
            "Policy/finance-sod.json",
            serde_json::json!({"formatVersion": 1, "name": "Finance SoD", "conflicts": [
                {"roles": ["AP Clerk", "AP Approver"], "reason": "no self-approved payments"}]}),
        );
        write(
            root,
            "EmailTemplate/welcome.json",
            serde_json::json!({"formatVersion": 1, "id": "et-welcome", "name": "Welcome",
                "from": "IAM Team <iam@example.com>", "to": "$(email)",
                "subject": "Welcome, $(firstName)!",
                "body": "Hello $(firstName) $(lastName),\nyour account $(accountId) is ready.\nManager: $(manager)\n"}),
        );
        let config: RepositoryConfig = serde_json::from_value(config).unwrap();
        Fixture { dir, config }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn services(&self, dry_run: bool) -> RepoServices {
        RepoServices::new(
            self.root(),
            &self.config,
            ServiceOptions {
                dry_run,
                allow_commands: false,
            },
        )
    }

    /// Every file below the root with its bytes.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.root().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let entry = entry.unwrap();
                let path = entry.path();
                if entry.file_type().unwrap().is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(self.root()).unwrap().to_path_buf();
                    out.insert(rel, std::fs::read(&path).unwrap());
                }
            }
        }
        out
    }

    /// [`Fixture::snapshot`] without the write-lock files (`.bpe/objectlocks/*.lock`): what
    /// an applied op that finds nothing to change leaves as it was. A write lock is taken
    /// before the object is read, so its (tiny, never-data) file exists after any op that
    /// might have written.
    pub fn data_snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = self.snapshot();
        out.retain(|rel, _| {
            !(rel.starts_with(".bpe/objectlocks") && rel.extension().is_some_and(|e| e == "lock"))
        });
        out
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root().join(rel)).unwrap()
    }

    pub fn json(&self, rel: &str) -> serde_json::Value {
        serde_json::from_str(&self.read(rel)).unwrap()
    }
}

/// The parts of a case a service call sees.
pub struct Case {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub variables: BTreeMap<String, Value>,
    pub result: TaskResult,
    pub now: chrono::DateTime<chrono::Utc>,
}

impl Case {
    pub fn new(id: &str) -> Case {
        Case {
            id: id.to_string(),
            name: "Onboard John".to_string(),
            owner: "admin".to_string(),
            variables: BTreeMap::new(),
            result: TaskResult::default(),
            now: chrono::DateTime::parse_from_rfc3339("2026-11-27T14:09:31Z")
                .unwrap()
                .with_timezone(&chrono::Utc),
        }
    }

    pub fn call(
        &mut self,
        services: &mut dyn Services,
        op: &str,
        args: &[(&str, Value)],
    ) -> Result<Value, ServiceError> {
        let args: BTreeMap<String, Value> = args
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let mut cx = CallContext {
            instance_id: &self.id,
            instance_name: &mut self.name,
            case_owner: &self.owner,
            variables: &self.variables,
            result: &mut self.result,
            now: self.now,
        };
        services.call(op, &args, &mut cx)
    }
}

pub fn s(text: &str) -> Value {
    Value::Str(text.to_string())
}

pub fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|t| s(t)).collect())
}

/// The JSON report of a `bpe run --json` that exited 0 with a completed case.
pub fn completed_run(out: std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "bpe run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "completed", "{report:#}");
    report
}
