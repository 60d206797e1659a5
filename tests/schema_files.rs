//! The JSON Schemas in `assets/schema/` describe the serde model exactly:
//! every sample file validates against its schema; fully populated model values
//! validate and use every property a schema declares; the defaults a schema states
//! are the ones serde fills in. The validator below implements the subset of
//! draft 2020-12 the schemas use (no network, no extra crates).

#![recursion_limit = "256"]

mod sample_common;

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use bpe::model::{
    EmailTemplate, Policy, RepositoryConfig, Role, Rule, TaskDefinition, TaskInstance, User,
    WorkItem,
};
use sample_common::sample_root;

fn load_schema(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/schema")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Outcome of validating one instance against one schema node.
#[derive(Default)]
struct Outcome {
    errors: Vec<String>,
    /// Property names of the instance object evaluated by this node (for unevaluatedProperties).
    evaluated: BTreeSet<String>,
    /// (schema location, property) pairs that the instance used.
    used: BTreeSet<(String, String)>,
}

struct Validator<'a> {
    root: &'a Value,
}

impl Validator<'_> {
    fn resolve(&self, reference: &str) -> (&Value, String) {
        let name = reference
            .strip_prefix("#/$defs/")
            .unwrap_or_else(|| panic!("unsupported $ref {reference}"));
        let target = self.root["$defs"]
            .get(name)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
        (target, reference.to_string())
    }

    fn validate(&self, schema: &Value, at: &str, value: &Value, path: &str) -> Outcome {
        let mut out = Outcome::default();
        let Some(schema) = schema.as_object() else {
            return out;
        };
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let (target, loc) = self.resolve(r);
            let inner = self.validate(target, &loc, value, path);
            out.merge(inner);
        }
        if let Some(t) = schema.get("type") {
            let types: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !types.iter().any(|t| type_matches(t, value)) {
                out.errors
                    .push(format!("{path}: expected {types:?}, got {value}"));
                return out;
            }
        }
        if let Some(c) = schema.get("const")
            && c != value
        {
            out.errors
                .push(format!("{path}: expected {c}, got {value}"));
        }
        if let Some(e) = schema.get("enum").and_then(Value::as_array)
            && !e.contains(value)
        {
            out.errors
                .push(format!("{path}: {value} is not one of {e:?}"));
        }
        if let (Some(min), Some(n)) = (
            schema.get("minimum").and_then(Value::as_i64),
            value.as_i64(),
        ) && n < min
        {
            out.errors.push(format!("{path}: {n} < {min}"));
        }
        if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
            for (i, v) in list.iter().enumerate() {
                let inner = self.validate(items, &format!("{at}/items"), v, &format!("{path}/{i}"));
                out.errors.extend(inner.errors);
                out.used.extend(inner.used);
            }
        }
        if let Some(obj) = value.as_object() {
            let props = schema.get("properties").and_then(Value::as_object);
            if let Some(req) = schema.get("required").and_then(Value::as_array) {
                for r in req.iter().filter_map(Value::as_str) {
                    if !obj.contains_key(r) {
                        out.errors.push(format!("{path}: missing required {r}"));
                    }
                }
            }
            for (k, v) in obj {
                if let Some(p) = props.and_then(|p| p.get(k)) {
                    out.evaluated.insert(k.clone());
                    out.used.insert((at.to_string(), k.clone()));
                    let inner = self.validate(
                        p,
                        &format!("{at}/properties/{k}"),
                        v,
                        &format!("{path}/{k}"),
                    );
                    out.errors.extend(inner.errors);
                    out.used.extend(inner.used);
                } else if let Some(extra) = schema.get("additionalProperties") {
                    if extra == &Value::Bool(false) {
                        out.errors
                            .push(format!("{path}: property {k} is not described"));
                    } else {
                        out.evaluated.insert(k.clone());
                        let inner = self.validate(
                            extra,
                            &format!("{at}/additionalProperties"),
                            v,
                            &format!("{path}/{k}"),
                        );
                        out.errors.extend(inner.errors);
                    }
                }
            }
        }
        for (keyword, exactly_one) in [("oneOf", true), ("anyOf", false), ("allOf", false)] {
            let Some(branches) = schema.get(keyword).and_then(Value::as_array) else {
                continue;
            };
            let results: Vec<Outcome> = branches
                .iter()
                .enumerate()
                .map(|(i, b)| self.validate(b, &format!("{at}/{keyword}/{i}"), value, path))
                .collect();
            let passed = results.iter().filter(|r| r.errors.is_empty()).count();
            let ok = match keyword {
                "oneOf" => passed == 1,
                "anyOf" => passed >= 1,
                _ => passed == branches.len(),
            };
            if !ok {
                let why: Vec<String> = results.iter().flat_map(|r| r.errors.clone()).collect();
                out.errors.push(format!(
                    "{path}: {passed} of {} {keyword} branches match{}: {why:?}",
                    branches.len(),
                    if exactly_one {
                        " (need exactly one)"
                    } else {
                        ""
                    }
                ));
            }
            for r in results.into_iter().filter(|r| r.errors.is_empty()) {
                out.evaluated.extend(r.evaluated);
                out.used.extend(r.used);
            }
        }
        if schema.get("unevaluatedProperties") == Some(&Value::Bool(false))
            && let Some(obj) = value.as_object()
        {
            for k in obj.keys() {
                if !out.evaluated.contains(k) {
                    out.errors
                        .push(format!("{path}: property {k} is not described"));
                }
            }
        }
        out
    }
}

impl Outcome {
    fn merge(&mut self, other: Outcome) {
        self.errors.extend(other.errors);
        self.evaluated.extend(other.evaluated);
        self.used.extend(other.used);
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    }
}

fn validate(schema: &Value, value: &Value) -> Outcome {
    Validator { root: schema }.validate(schema, "#", value, "")
}

/// Every (schema location, property) pair a schema declares, except `$schema`.
fn declared(schema: &Value) -> BTreeSet<(String, String)> {
    fn walk(node: &Value, at: &str, out: &mut BTreeSet<(String, String)>) {
        let Some(obj) = node.as_object() else { return };
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                if k != "$schema" {
                    out.insert((at.to_string(), k.clone()));
                }
                walk(v, &format!("{at}/properties/{k}"), out);
            }
        }
        for (key, v) in obj {
            match (key.as_str(), v) {
                ("$defs", Value::Object(defs)) => {
                    for (name, d) in defs {
                        walk(d, &format!("#/$defs/{name}"), out);
                    }
                }
                ("oneOf" | "anyOf" | "allOf", Value::Array(branches)) => {
                    for (i, b) in branches.iter().enumerate() {
                        walk(b, &format!("{at}/{key}/{i}"), out);
                    }
                }
                ("items" | "additionalProperties", _) => walk(v, &format!("{at}/{key}"), out),
                _ => {}
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(schema, "#", &mut out);
    out
}

const KINDS: [(&str, &str); 6] = [
    ("TaskDefinition", "taskdefinition"),
    ("Rule", "rule"),
    ("EmailTemplate", "emailtemplate"),
    ("User", "user"),
    ("Role", "role"),
    ("Policy", "policy"),
];

#[test]
fn schemas_are_well_formed() {
    for name in [
        "taskdefinition",
        "taskinstance",
        "workitem",
        "rule",
        "configuration",
        "emailtemplate",
        "user",
        "role",
        "policy",
        "repository",
    ] {
        let s = load_schema(name);
        assert_eq!(
            s["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert!(
            s["title"].is_string() && s["description"].is_string(),
            "{name}"
        );
        assert_eq!(s["properties"]["formatVersion"]["const"], 1, "{name}");
        // Every property says what it is.
        fn described(node: &Value, at: &str, missing: &mut Vec<String>) {
            if let Some(props) = node.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    let is_const =
                        v.get("const").is_some() && v.as_object().is_some_and(|o| o.len() == 1);
                    if v.get("description").is_none() && v.get("$ref").is_none() && !is_const {
                        missing.push(format!("{at}/{k}"));
                    }
                    described(v, &format!("{at}/{k}"), missing);
                }
            }
            if let Some(obj) = node.as_object() {
                for (key, v) in obj {
                    match v {
                        Value::Object(_) if key != "properties" => {
                            described(v, &format!("{at}/{key}"), missing)
                        }
                        Value::Array(a) => {
                            for (i, b) in a.iter().enumerate() {
                                described(b, &format!("{at}/{key}/{i}"), missing);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        let mut missing = Vec::new();
        described(&s, name, &mut missing);
        assert!(missing.is_empty(), "undescribed properties: {missing:?}");
    }
}

#[test]
fn every_sample_file_matches_its_schema() {
    let root = sample_root();
    let mut checked = 0;
    let mut check = |schema: &Value, file: &Path| {
        let value: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let out = validate(schema, &value);
        assert!(
            out.errors.is_empty(),
            "{}: {:#?}",
            file.display(),
            out.errors
        );
        checked += 1;
    };
    check(&load_schema("repository"), &root.join("repository.json"));
    for (dir, schema) in KINDS {
        let schema = load_schema(schema);
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{dir}");
        for f in files {
            check(&schema, &f);
        }
    }
    assert!(checked > 60, "{checked}");
}

/// The validator has teeth: it rejects what the schemas forbid.
#[test]
fn schema_rejects_bad_files() {
    let td = load_schema("taskdefinition");
    let onboard: Value = serde_json::from_str(
        &std::fs::read_to_string(sample_root().join("TaskDefinition/onboard-employee.json"))
            .unwrap(),
    )
    .unwrap();
    assert!(validate(&td, &onboard).errors.is_empty());

    let mut typo = onboard.clone();
    typo["process"]["activities"][1]["transitons"] = json!([]);
    assert!(
        validate(&td, &typo)
            .errors
            .iter()
            .any(|e| e.contains("transitons"))
    );

    let mut missing = onboard.clone();
    missing.as_object_mut().unwrap().remove("process");
    assert!(
        validate(&td, &missing)
            .errors
            .iter()
            .any(|e| e.contains("missing required process"))
    );

    let mut wrong_kind = onboard.clone();
    wrong_kind["process"]["activities"][1]["actions"][0]["kind"] = json!("script");
    assert!(!validate(&td, &wrong_kind).errors.is_empty());

    // A field of another action kind is not allowed (unevaluatedProperties).
    let mut mixed = onboard.clone();
    mixed["process"]["activities"][1]["actions"][0]["op"] = json!("getUser");
    assert!(
        validate(&td, &mixed)
            .errors
            .iter()
            .any(|e| e.contains("property op"))
    );

    let mut wrong_type = onboard.clone();
    wrong_type["process"]["maxSteps"] = json!("500");
    assert!(!validate(&td, &wrong_type).errors.is_empty());

    let mut version = onboard;
    version["formatVersion"] = json!(2);
    assert!(!validate(&td, &version).errors.is_empty());

    let user = load_schema("user");
    assert!(
        !validate(
            &user,
            &json!({"formatVersion": 1, "accountId": "x", "firstName": "X"})
        )
        .errors
        .is_empty()
    );
    assert!(
        validate(
            &user,
            &json!({"formatVersion": 1, "accountId": "x", "firstName": "X", "lastName": "Y"})
        )
        .errors
        .is_empty()
    );
}

/// `full` uses every field of the model (proved by a lossless serde round trip, since
/// serde drops unknown keys); it must validate and use every property the schema declares.
fn assert_schema_matches<T: Serialize + DeserializeOwned>(schema_name: &str, full: Value) {
    let typed: T =
        serde_json::from_value(full.clone()).unwrap_or_else(|e| panic!("{schema_name}: {e}"));
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(
        back, full,
        "{schema_name}: the fixture is not a lossless model value"
    );
    let schema = load_schema(schema_name);
    let out = validate(&schema, &full);
    assert!(out.errors.is_empty(), "{schema_name}: {:#?}", out.errors);
    let unused: Vec<_> = declared(&schema).difference(&out.used).cloned().collect();
    assert!(
        unused.is_empty(),
        "{schema_name}: schema properties the model does not have: {unused:?}"
    );
}

/// Fields serde fills in when a file leaves them out are exactly the schema's defaults.
fn assert_defaults<T: Serialize + DeserializeOwned>(schema_name: &str, minimal: Value) {
    fn compare(schema_root: &Value, node: &Value, minimal: &Value, full: &Value, path: &str) {
        let node = match node.get("$ref").and_then(Value::as_str) {
            Some(r) => &schema_root["$defs"][r.trim_start_matches("#/$defs/")],
            None => node,
        };
        let (Some(min), Some(full)) = (minimal.as_object(), full.as_object()) else {
            return;
        };
        for (k, v) in full {
            let prop = &node["properties"][k];
            assert!(!prop.is_null(), "{path}/{k} is not in the schema");
            match min.get(k) {
                None => assert_eq!(
                    prop.get("default"),
                    Some(v),
                    "{path}/{k}: serde default vs schema default"
                ),
                Some(m) => compare(schema_root, prop, m, v, &format!("{path}/{k}")),
            }
        }
    }
    let typed: T =
        serde_json::from_value(minimal.clone()).unwrap_or_else(|e| panic!("{schema_name}: {e}"));
    let full = serde_json::to_value(&typed).unwrap();
    let schema = load_schema(schema_name);
    compare(&schema, &schema, &minimal, &full, schema_name);
    assert!(
        validate(&schema, &minimal).errors.is_empty(),
        "{schema_name}: minimal file rejected"
    );
}

fn full_definition() -> Value {
    let var = json!({"name": "v", "value": "1", "input": true, "output": true, "external": true, "transient": true, "comment": "c"});
    let common = |kind: Value| {
        let mut a = json!({"name": "n", "condition": "1", "variables": [var.clone()], "returns": [{"from": "v", "to": "w"}], "comment": "c"});
        a.as_object_mut()
            .unwrap()
            .extend(kind.as_object().unwrap().clone());
        a
    };
    json!({
        "formatVersion": 1, "id": "td-0000000000000001", "name": "Full", "description": "d",
        "taskType": "Workflow", "executor": "bpe.workflow", "execMode": "async",
        "suspendable": false, "syncControlAllowed": false, "executionLimit": 60, "resultLimit": -1,
        "progressInterval": 1000, "resultTrace": true,
        "process": {"maxSteps": 10, "comment": "c", "variables": [var.clone()], "activities": [
            {"id": "0", "name": "start", "andSplit": true, "andJoin": true, "position": {"x": 1, "y": 2},
             "comment": "c", "variables": [var.clone()],
             "actions": [
                common(json!({"kind": "expression", "expression": "(add 1 2)"})),
                common(json!({"kind": "service", "op": "audit", "arguments": [{"name": "event", "value": "\"x\""}]})),
                common(json!({"kind": "subprocess", "process": "Approval", "arguments": [{"name": "approver", "value": "$v"}]})),
                common(json!({"kind": "manual", "owners": ["$v"], "request": "\"r\"", "description": "d", "timeout": 5,
                              "itemType": {"custom": "attestation"}, "exposedVariables": ["v"], "editableVariables": ["v"]})),
                common(json!({"kind": "manual", "owners": [], "itemType": "interaction"})),
                common(json!({"kind": "command", "argv": ["\"ls\""], "timeout": 3, "outputCap": 10, "exitCodeTo": "v", "outputTo": "w"})),
                common(json!({"kind": "unsupported", "reason": "r", "xml": "<Action application='x'/>"})),
             ],
             "transitions": [{"to": "end", "condition": "1", "comment": "c"}]},
            {"id": "1", "name": "end"}
        ]}
    })
}

fn full_definition_ref() -> Value {
    json!({"id": "td-0000000000000001", "name": "Full", "hash": "sha256:00"})
}

#[test]
fn schemas_match_the_model_exactly() {
    assert_schema_matches::<TaskDefinition>("taskdefinition", full_definition());
    assert_schema_matches::<TaskInstance>(
        "taskinstance",
        json!({
            "formatVersion": 1, "id": "ti-1", "name": "Full", "definition": full_definition_ref(),
            "status": "terminated", "owner": "jsmith", "started": "2026-01-01T00:00:00Z",
            "updated": "2026-01-01T00:00:01Z", "finished": "2026-01-01T00:00:02Z", "steps": 3,
            "currentActivities": ["a"], "variables": {"x": [1, "a", {"k": null}]}, "pendingWorkItems": ["wi-1"],
            "reason": "maxSteps", "result": {"items": {"a": 1}, "errors": ["e"], "messages": ["m"], "trace": ["t"], "resultLimit": 5},
            "history": [
                {"at": "t", "event": "started", "definition": "Full"},
                {"at": "t", "event": "activityEntered", "activity": "a", "activityId": "1"},
                {"at": "t", "event": "actionRun", "activity": "a", "action": 0, "kind": "service", "result": 1, "error": "e", "suppressed": true},
                {"at": "t", "event": "transitionTaken", "from": "a", "to": "b"},
                {"at": "t", "event": "workItemCreated", "workItem": "wi-1", "owner": "o"},
                {"at": "t", "event": "workItemCompleted", "workItem": "wi-1", "owner": "o", "decision": "approve", "comment": "c", "timedOut": true},
                {"at": "t", "event": "workItemForwarded", "workItem": "wi-1", "from": "o", "to": "p", "comment": "c"},
                {"at": "t", "event": "subprocessEntered", "process": "Approval"},
                {"at": "t", "event": "subprocessReturned", "process": "Approval"},
                {"at": "t", "event": "suspended"},
                {"at": "t", "event": "resumed"},
                {"at": "t", "event": "migrated", "from": "sha256:a", "to": "sha256:b",
                 "definition": "D", "removedVariables": ["x"], "addedVariables": ["y"]},
                {"at": "t", "event": "finished", "status": "terminated", "reason": "r"}
            ],
            "historyDropped": 7, "path": ["start", {"loop": ["a", "b"], "times": 3}], "pathDropped": 2,
            "visits": {"a": 3, "b": 3},
            "state": {"tokens": []}
        }),
    );
    assert_schema_matches::<WorkItem>(
        "workitem",
        json!({
            "formatVersion": 1, "id": "wi-1", "instance": "ti-1", "definition": full_definition_ref(),
            "activity": "a", "activityId": "1", "action": 2, "owner": "jsmith", "itemType": {"custom": "attestation"},
            "request": "r", "description": "d", "created": "t", "timeoutAt": "t", "variables": {"x": 1},
            "editableVariables": ["x"], "complete": true, "decision": "approve", "comment": "c", "completed": "t",
            "forwarded": [{"at": "t", "from": "a", "to": "b", "comment": "c"}]
        }),
    );
    assert_schema_matches::<Rule>(
        "rule",
        json!({"formatVersion": 1, "id": "rule-1", "name": "R", "description": "d",
               "arguments": [{"name": "a", "value": "1", "comment": "c", "locked": true}], "body": "$a"}),
    );
    assert_schema_matches::<bpe::model::RuleLibrary>(
        "configuration",
        json!({"formatVersion": 1, "id": "lib-1", "name": "L", "description": "d",
               "rules": [{"formatVersion": 1, "id": "rule-1", "name": "R", "description": "d",
                          "arguments": [{"name": "a", "value": "1", "comment": "c", "locked": true}], "body": "$a"}]}),
    );
    assert_schema_matches::<EmailTemplate>(
        "emailtemplate",
        json!({"formatVersion": 1, "id": "et-1", "name": "T", "description": "d", "from": "f@x",
               "to": "t@x", "cc": "c@x", "subject": "s", "body": "b"}),
    );
    assert_schema_matches::<User>(
        "user",
        json!({"formatVersion": 1, "accountId": "a", "firstName": "A", "lastName": "B", "email": "a@x",
               "department": "D", "title": "T", "manager": "m", "employeeType": "contractor", "endDate": "2027-01-01",
               "disabled": true, "roles": ["r"], "accounts": [{"resource": "AD", "accountId": "a", "disabled": true}],
               "passwordHash": "sha256:s:h", "passwordChanged": "t", "attributes": {"k": "v"}}),
    );
    assert_schema_matches::<Role>(
        "role",
        json!({"formatVersion": 1, "name": "R", "description": "d", "birthrightFor": "D", "owner": "o", "resources": ["AD"]}),
    );
    assert_schema_matches::<Policy>(
        "policy",
        json!({"formatVersion": 1, "name": "P", "description": "d", "conflicts": [{"roles": ["a", "b"], "reason": "r"}]}),
    );
    assert_schema_matches::<RepositoryConfig>(
        "repository",
        json!({"formatVersion": 1, "name": "N", "description": "d", "settings": {
            "commands": {"enabled": true, "allow": ["ls"]}, "mailFrom": "f@x", "mailDomain": "x", "lockStaleAfter": 30}}),
    );
}

#[test]
fn schema_defaults_are_serde_defaults() {
    assert_defaults::<TaskDefinition>(
        "taskdefinition",
        json!({"formatVersion": 1, "id": "td-1", "name": "N", "process": {"activities": [
            {"id": "0", "name": "start", "actions": [
                {"kind": "command", "argv": []},
                {"kind": "manual"}
            ]}
        ]}}),
    );
    assert_defaults::<TaskInstance>(
        "taskinstance",
        json!({"formatVersion": 1, "id": "ti-1", "name": "N", "definition": full_definition_ref(),
               "status": "running", "owner": "o", "started": "t", "updated": "t"}),
    );
    assert_defaults::<WorkItem>(
        "workitem",
        json!({"formatVersion": 1, "id": "wi-1", "instance": "ti-1", "definition": full_definition_ref(),
               "activity": "a", "activityId": "1", "action": 0, "owner": "o", "created": "t"}),
    );
    assert_defaults::<RepositoryConfig>("repository", json!({"formatVersion": 1, "name": "N"}));
    assert_defaults::<User>(
        "user",
        json!({"formatVersion": 1, "accountId": "a", "firstName": "A", "lastName": "B"}),
    );
    assert_defaults::<Role>("role", json!({"formatVersion": 1, "name": "R"}));
    assert_defaults::<Policy>(
        "policy",
        json!({"formatVersion": 1, "name": "P", "conflicts": []}),
    );
    assert_defaults::<Rule>(
        "rule",
        json!({"formatVersion": 1, "id": "r", "name": "R", "body": "1"}),
    );
    assert_defaults::<EmailTemplate>(
        "emailtemplate",
        json!({"formatVersion": 1, "id": "e", "name": "E", "from": "f", "subject": "s", "body": "b"}),
    );
}

/// docs/format.md documents every property of every schema (by its backquoted name).
#[test]
fn format_doc_covers_every_schema_property() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/format.md"))
        .unwrap();
    let mut missing = BTreeSet::new();
    for name in [
        "taskdefinition",
        "taskinstance",
        "workitem",
        "rule",
        "configuration",
        "emailtemplate",
        "user",
        "role",
        "policy",
        "repository",
    ] {
        for (_, prop) in declared(&load_schema(name)) {
            let plain = format!("`{prop}`");
            let dotted = format!(".{prop}`");
            let listed = [
                format!("({prop},"),
                format!(", {prop})"),
                format!(", {prop},"),
                format!("({prop})"),
                format!("\"{prop}\""),
            ];
            if !doc.contains(&plain)
                && !doc.contains(&dotted)
                && !listed.iter().any(|l| doc.contains(l.as_str()))
            {
                missing.insert(format!("{name}: {prop}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "not documented in docs/format.md: {missing:?}"
    );
}

/// Every kind of case journal line, with every field, matches `journal.json`, the
/// schema declares nothing the lines lack, and docs/format.md names every field.
#[test]
fn journal_lines_match_their_schema_and_the_doc() {
    use bpe::journal::{Event, Record, Workflow};
    let wf = Workflow {
        id: "td-1".into(),
        name: "Onboard Employee".into(),
    };
    let at = chrono::Utc::now();
    let events = vec![
        Event::CaseStarted {
            owner: "hwhite".into(),
        },
        Event::WorkItemCreated {
            item: "wi-1".into(),
            owner: "jsmith".into(),
            activity: "Manager Approval".into(),
            action: "Manager decides".into(),
            timeout_at: Some("2026-12-03T10:00:00.000Z".into()),
        },
        Event::WorkItemCompleted {
            item: "wi-1".into(),
            owner: "jsmith".into(),
            activity: "Manager Approval".into(),
            action: "Manager decides".into(),
            decision: "approve".into(),
            created: "2026-11-30T10:00:00.000Z".into(),
            by: "jsmith".into(),
        },
        Event::WorkItemForwarded {
            item: "wi-1".into(),
            from: "jsmith".into(),
            to: "mgarcia".into(),
            activity: "Manager Approval".into(),
            action: "#1".into(),
        },
        Event::WorkItemTimedOut {
            item: "wi-1".into(),
            owner: "jsmith".into(),
            activity: "Manager Approval".into(),
            action: "Manager decides".into(),
            created: "2026-11-30T10:00:00.000Z".into(),
        },
        Event::SodViolation {
            account: "preyes".into(),
            violations: vec!["Policy 'Finance Duties': ...".into()],
        },
        Event::CaseEnded {
            status: "failed".into(),
            steps: 4,
            started: "2026-11-30T10:00:00Z".into(),
            duration_ms: 1500,
            activities: vec!["Provision".into()],
            reason: Some("no transition matches".into()),
            outputs: [("accountId".to_string(), json!("jsmith1"))].into(),
        },
    ];
    let schema = load_schema("journal");
    let mut used = BTreeSet::new();
    for e in events {
        let line = Record::new(at, "ti-1", wf.clone(), e).line();
        let value: Value = serde_json::from_slice(&line).unwrap();
        let out = validate(&schema, &value);
        assert!(out.errors.is_empty(), "{value:#}: {:#?}", out.errors);
        used.extend(out.used);
    }
    let unused: Vec<_> = declared(&schema).difference(&used).cloned().collect();
    assert!(unused.is_empty(), "declared but never written: {unused:?}");
    // A line with an unknown field or a missing one is refused.
    let mut bad: Value = serde_json::from_slice(
        &Record::new(at, "ti-1", wf, Event::CaseStarted { owner: "x".into() }).line(),
    )
    .unwrap();
    bad["extra"] = json!(1);
    assert!(!validate(&schema, &bad).errors.is_empty());
    bad.as_object_mut().unwrap().remove("extra");
    bad.as_object_mut().unwrap().remove("owner");
    assert!(!validate(&schema, &bad).errors.is_empty());
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/format.md"))
        .unwrap();
    let section = &doc[doc.find("## Case journal").expect("a Case journal section")..];
    for (_, prop) in declared(&schema) {
        assert!(
            section.contains(&format!("`{prop}`")) || section.contains(&format!("\"{prop}\"")),
            "docs/format.md: {prop}"
        );
    }
}
