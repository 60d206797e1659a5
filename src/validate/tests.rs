//! One test per rule: a case that triggers it and one that does not.

use serde_json::{Value as Json, json};

use super::*;
use crate::model::TaskDefinition;

/// A clean definition: start -> Approve -> (approved? Provision) -> end.
fn base() -> Json {
    json!({
        "formatVersion": 1,
        "id": "td-1",
        "name": "Onboard",
        "process": {
            "variables": [
                {"name": "accountId", "input": true},
                {"name": "decision"}
            ],
            "activities": [
                {"id": "1", "name": "start", "transitions": [{"to": "Approve"}]},
                {"id": "2", "name": "Approve",
                 "actions": [{"kind": "manual", "owners": ["\"manager\""]}],
                 "transitions": [
                    {"to": "Provision", "condition": "(eq $decision \"approve\")"},
                    {"to": "end"}
                 ]},
                {"id": "3", "name": "Provision",
                 "variables": [{"name": "tmp"}],
                 "actions": [
                    {"kind": "service", "op": "provision",
                     "arguments": [{"name": "accountId", "value": "$accountId"}]},
                    {"kind": "expression", "expression": "(block (defvar name=\"n\" 1) (set name=\"tmp\" (add $n 1)))"}
                 ],
                 "transitions": [{"to": "end"}]},
                {"id": "4", "name": "end"}
            ]
        }
    })
}

fn ctx() -> RepoContext {
    let mut ctx = RepoContext::default();
    ctx.definitions.insert("Onboard".into(), BTreeSet::new());
    ctx.definitions
        .insert("Create Account".into(), BTreeSet::new());
    ctx.rules
        .insert("Derive Email".into(), vec!["first".into(), "last".into()]);
    ctx.email_templates.insert("Welcome".into());
    ctx
}

fn run_with(j: &Json, ctx: &RepoContext) -> (String, Vec<Finding>) {
    let text = serde_json::to_string_pretty(j).unwrap();
    let def: TaskDefinition = serde_json::from_str(&text).unwrap();
    let findings = validate_definition(&def, Some(&text), ctx);
    (text, findings)
}

fn ids(j: &Json) -> Vec<&'static str> {
    run_with(j, &ctx()).1.iter().map(|f| f.id()).collect()
}

fn act(j: &mut Json, i: usize) -> &mut Json {
    &mut j["process"]["activities"][i]
}

#[test]
fn base_is_clean() {
    assert_eq!(ids(&base()), Vec::<&str>::new());
}

#[test]
fn e001_no_start() {
    let mut j = base();
    act(&mut j, 0)["name"] = json!("begin");
    let found = ids(&j);
    assert!(found.contains(&"E001"), "{found:?}");
    assert!(!ids(&base()).contains(&"E001"));
}

#[test]
fn e002_multiple_starts() {
    let mut j = base();
    j["process"]["activities"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "9", "name": "start", "transitions": [{"to": "end"}]}));
    assert!(ids(&j).contains(&"E002"));
    assert!(!ids(&base()).contains(&"E002"));
}

#[test]
fn e003_no_end() {
    let mut j = base();
    act(&mut j, 3)["name"] = json!("finish");
    assert!(ids(&j).contains(&"E003"));
    assert!(!ids(&base()).contains(&"E003"));
}

#[test]
fn e004_unknown_target_with_position_and_hint() {
    let mut j = base();
    act(&mut j, 0)["transitions"][0]["to"] = json!("Aprove");
    let (text, findings) = run_with(&j, &ctx());
    let f = findings.iter().find(|f| f.id() == "E004").unwrap();
    assert!(f.message.contains("\"Aprove\""), "{}", f.message);
    assert!(
        f.message.contains("did you mean \"Approve\""),
        "{}",
        f.message
    );
    // The position is that of the "to" value in the text.
    let line = text.lines().nth(f.line - 1).unwrap();
    let rest: String = line.chars().skip(f.column - 1).collect();
    assert!(rest.starts_with("\"Aprove\""), "{line:?} col {}", f.column);
    assert_eq!(
        f.target,
        Target::Transition {
            activity: 0,
            transition: 0
        }
    );
    assert!(!ids(&base()).contains(&"E004"));
}

#[test]
fn e005_actions_in_start_or_end() {
    let mut j = base();
    act(&mut j, 3)["actions"] = json!([{"kind": "expression", "expression": "1"}]);
    assert!(ids(&j).contains(&"E005"));
    let mut j = base();
    act(&mut j, 0)["actions"] = json!([{"kind": "expression", "expression": "1"}]);
    assert!(ids(&j).contains(&"E005"));
    assert!(!ids(&base()).contains(&"E005"));
}

#[test]
fn e006_duplicate_id() {
    let mut j = base();
    act(&mut j, 2)["id"] = json!("2");
    assert!(ids(&j).contains(&"E006"));
    assert!(!ids(&base()).contains(&"E006"));
}

#[test]
fn e007_duplicate_name() {
    let mut j = base();
    act(&mut j, 2)["name"] = json!("Approve");
    assert!(ids(&j).contains(&"E007"));
    assert!(!ids(&base()).contains(&"E007"));
}

#[test]
fn e008_syntax_error_points_inside_the_expression() {
    let mut j = base();
    // Escaped quotes before the error shift raw and decoded offsets apart.
    act(&mut j, 1)["transitions"][0]["condition"] = json!("(eq $decision \"ap\\\"prove\" ))");
    let (text, findings) = run_with(&j, &ctx());
    let f = findings.iter().find(|f| f.id() == "E008").unwrap();
    let line = text.lines().nth(f.line - 1).unwrap();
    let at: String = line.chars().skip(f.column - 1).collect();
    // The stray closing parenthesis is the last one in the string.
    assert!(at.starts_with(")\""), "{line:?} col {} -> {at:?}", f.column);
    assert!(!ids(&base()).contains(&"E008"));
}

#[test]
fn e008_over_deep_expressions_are_reported_not_overflowed() {
    let mut j = base();
    let n = crate::expr::MAX_NESTING + 1;
    let deep = format!("{}1{}", "(list ".repeat(n), ")".repeat(n));
    act(&mut j, 2)["actions"][1]["expression"] = json!(deep);
    let (_, findings) = run_with(&j, &ctx());
    let f = findings.iter().find(|f| f.id() == "E008").unwrap();
    assert!(f.message.contains("nested too deeply"), "{}", f.message);
    // Far deeper (a recursive checker would overflow the stack): still one finding.
    let n = 100_000;
    let deeper = format!("{}1{}", "(list ".repeat(n), ")".repeat(n));
    act(&mut j, 2)["actions"][1]["expression"] = json!(deeper);
    let (_, findings) = run_with(&j, &ctx());
    assert_eq!(findings.iter().filter(|f| f.id() == "E008").count(), 1);
}

#[test]
fn e009_unknown_service_op() {
    let mut j = base();
    act(&mut j, 2)["actions"][0]["op"] = json!("provison");
    let (_, findings) = run_with(&j, &ctx());
    let f = findings.iter().find(|f| f.id() == "E009").unwrap();
    assert!(
        f.message.contains("did you mean \"provision\""),
        "{}",
        f.message
    );
    assert!(!ids(&base()).contains(&"E009"));
}

#[test]
fn e010_unknown_subprocess() {
    let mut j = base();
    act(&mut j, 2)["actions"][1] = json!({"kind": "subprocess", "process": "Create Acount"});
    assert!(ids(&j).contains(&"E010"));
    act(&mut j, 2)["actions"][1]["process"] = json!("Create Account");
    assert!(!ids(&j).contains(&"E010"));
}

#[test]
fn e011_manual_without_owner() {
    let mut j = base();
    act(&mut j, 1)["actions"][0]["owners"] = json!([]);
    assert!(ids(&j).contains(&"E011"));
    assert!(!ids(&base()).contains(&"E011"));
}

#[test]
fn e012_negative_limits() {
    for (ptr, value) in [
        ("/process/maxSteps", -1),
        ("/executionLimit", -5),
        ("/progressInterval", -1),
        ("/process/activities/1/actions/0/timeout", -3),
    ] {
        let mut j = base();
        let (parent, key) = ptr.rsplit_once('/').unwrap();
        j.pointer_mut(parent).unwrap()[key] = json!(value);
        let (_, findings) = run_with(&j, &ctx());
        let f = findings.iter().find(|f| f.id() == "E012");
        assert_eq!(f.map(|f| f.pointer.as_str()), Some(ptr), "{ptr}");
    }
    let mut j = base();
    j["process"]["maxSteps"] = json!(0);
    j["resultLimit"] = json!(-1); // keep forever: allowed
    assert!(!ids(&j).contains(&"E012"));
}

#[test]
fn e013_dead_end() {
    let mut j = base();
    act(&mut j, 2)["transitions"] = json!([]);
    assert!(ids(&j).contains(&"E013"));
    assert!(!ids(&base()).contains(&"E013"));
}

#[test]
fn e014_control_characters_in_names() {
    let mut j = base();
    j["name"] = json!("Onboard\u{1b}[2J\u{7}");
    act(&mut j, 1)["name"] = json!("Approve\nnow");
    // Keep the transitions valid: only the names are at fault.
    act(&mut j, 0)["transitions"][0]["to"] = json!("Approve\nnow");
    let (_, findings) = run_with(&j, &ctx());
    let e014: Vec<_> = findings.iter().filter(|f| f.id() == "E014").collect();
    assert_eq!(e014.len(), 2, "{findings:?}");
    assert_eq!(e014[0].pointer, "/name");
    assert!(
        e014[0].message.contains("ESC (U+001B) at character 8"),
        "{}",
        e014[0].message
    );
    assert!(
        e014[0].message.contains("Onboard\\u{1b}[2J\\u{7}"),
        "{}",
        e014[0].message
    );
    assert!(!e014[0].message.contains('\u{1b}'));
    assert_eq!(e014[1].pointer, "/process/activities/1/name");
    assert!(e014[1].line > 0);
    assert!(!ids(&base()).contains(&"E014"));
}

#[test]
fn e014_names_are_checked_on_load_for_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("Role")).unwrap();
    std::fs::write(
        root.join("Role/t.json"),
        "{\n  \"formatVersion\": 1,\n  \"description\": \"d\",\n  \"name\": \"Hi\\u0007\"\n}\n",
    )
    .unwrap();
    let repo = Repository::open(root).unwrap();
    assert_eq!(repo.roles.len(), 1, "stays loaded");
    let findings = crate::validate::validate_repository(&repo);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!((f.id(), f.line, f.column), ("E014", 4, 3));
    assert!(
        f.message.contains("\"Hi\\u{7}\" contains BEL (U+0007)"),
        "{}",
        f.message
    );
}

#[test]
fn w001_unreachable() {
    let mut j = base();
    j["process"]["activities"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "9", "name": "Orphan", "transitions": [{"to": "end"}]}));
    let (_, findings) = run_with(&j, &ctx());
    let f = findings.iter().find(|f| f.id() == "W001").unwrap();
    assert!(f.message.contains("Orphan"));
    assert_eq!(f.severity, Severity::Warning);
    assert!(!ids(&base()).contains(&"W001"));
}

#[test]
fn w002_unknown_function_points_at_its_name() {
    let mut j = base();
    act(&mut j, 1)["transitions"][0]["condition"] = json!("(and 1 (equals $decision \"x\"))");
    let (text, findings) = run_with(&j, &ctx());
    let f = findings.iter().find(|f| f.id() == "W002").unwrap();
    let line = text.lines().nth(f.line - 1).unwrap();
    let at: String = line.chars().skip(f.column - 1).collect();
    assert!(at.starts_with("equals"), "{at:?}");
    assert!(!ids(&base()).contains(&"W002"));
}

#[test]
fn w003_missing_service_argument() {
    let mut j = base();
    act(&mut j, 2)["actions"][0]["arguments"] = json!([]);
    let (_, findings) = run_with(&j, &ctx());
    let f = findings.iter().find(|f| f.id() == "W003").unwrap();
    assert!(f.message.contains("accountId"));
    assert!(!ids(&base()).contains(&"W003"));
}

#[test]
fn w011_unknown_service_argument() {
    let mut j = base();
    // provision takes accountId and resource; "resourse" is a typo the service rejects.
    act(&mut j, 2)["actions"][0]["arguments"] = json!([
        {"name": "accountId", "value": "$accountId"},
        {"name": "resourse", "value": "\"AD\""}
    ]);
    let (text, findings) = run_with(&j, &ctx());
    let f = findings.iter().find(|f| f.id() == "W011").unwrap();
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("\"resourse\""), "{}", f.message);
    assert!(
        f.message.contains("did you mean \"resource\""),
        "{}",
        f.message
    );
    let line = text.lines().nth(f.line - 1).unwrap();
    assert!(line.contains("resourse"), "{line:?}");
    assert!(!ids(&base()).contains(&"W011"));
    // The optional argument spelled right is no finding.
    act(&mut j, 2)["actions"][0]["arguments"][1]["name"] = json!("resource");
    let (_, findings) = run_with(&j, &ctx());
    assert!(findings.iter().all(|f| f.id() != "W011"), "{findings:?}");
}

#[test]
fn w011_open_ops_accept_any_argument() {
    let mut j = base();
    // updateUser is open: every argument other than accountId is an attribute to set.
    act(&mut j, 2)["actions"][0] = json!({
        "kind": "service", "op": "updateUser",
        "arguments": [
            {"name": "accountId", "value": "$accountId"},
            {"name": "department", "value": "\"Sales\""}
        ]
    });
    let (_, findings) = run_with(&j, &ctx());
    assert!(findings.iter().all(|f| f.id() != "W011"), "{findings:?}");
}

#[test]
fn w004_undeclared_variable() {
    let mut j = base();
    act(&mut j, 1)["transitions"][0]["condition"] = json!("(eq $decison.value \"approve\")");
    let (text, findings) = run_with(&j, &ctx());
    let f = findings.iter().find(|f| f.id() == "W004").unwrap();
    assert!(f.message.contains("\"decison\""), "{}", f.message);
    assert!(
        f.message.contains("did you mean \"decision\""),
        "{}",
        f.message
    );
    let line = text.lines().nth(f.line - 1).unwrap();
    let at: String = line.chars().skip(f.column - 1).collect();
    assert!(at.starts_with("$decison"), "{at:?}");
    assert!(!ids(&base()).contains(&"W004"));
}

#[test]
fn w004_knows_builtins_locals_and_scopes() {
    let mut j = base();
    act(&mut j, 2)["actions"][1]["expression"] = json!(
        "(block (dolist name=\"el\" (list 1 2) $el) (defun name=\"f\" (defarg name=\"a\") $a) \
         (defvar name=\"v\") $v $WF_ACTION_RESULT $tmp $accountId.email ${accountId} $created)"
    );
    act(&mut j, 2)["actions"][0]["returns"] = json!([{"from": "x", "to": "created"}]);
    assert!(!ids(&j).contains(&"W004"), "{:?}", run_with(&j, &ctx()).1);
    // A dolist variable is not visible outside; an activity variable not in another activity.
    act(&mut j, 2)["actions"][1]["expression"] =
        json!("(block (dolist name=\"el\" (list 1) 1) $el)");
    act(&mut j, 1)["transitions"][0]["condition"] = json!("$tmp");
    let found: Vec<String> = run_with(&j, &ctx())
        .1
        .iter()
        .filter(|f| f.id() == "W004")
        .map(|f| f.message.clone())
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn w005_subprocess_cycle() {
    let mut c = ctx();
    c.definitions.insert(
        "Create Account".into(),
        BTreeSet::from(["Onboard".to_string()]),
    );
    let mut j = base();
    act(&mut j, 2)["actions"][1] = json!({"kind": "subprocess", "process": "Create Account"});
    let (_, findings) = run_with(&j, &c);
    let f = findings.iter().find(|f| f.id() == "W005").unwrap();
    assert!(
        f.message.contains("Onboard -> Create Account -> Onboard"),
        "{}",
        f.message
    );
    let (_, findings) = run_with(&j, &ctx());
    assert!(!findings.iter().any(|f| f.id() == "W005"));
}

#[test]
fn w006_unknown_rule() {
    let mut j = base();
    act(&mut j, 2)["actions"][1]["expression"] = json!("(rule name=\"Derive Mail\")");
    assert!(ids(&j).contains(&"W006"));
    act(&mut j, 2)["actions"][1]["expression"] =
        json!("(rule name=\"Derive Email\" (argument name=\"first\" value=\"Ada\"))");
    assert!(!ids(&j).contains(&"W006"));
    // A computed name is not checked.
    act(&mut j, 2)["actions"][1]["expression"] = json!("(rule (concat \"Der\" \"x\"))");
    assert!(!ids(&j).contains(&"W006"));
}

#[test]
fn w007_unknown_email_template() {
    let mut j = base();
    act(&mut j, 2)["actions"][1] = json!({"kind": "service", "op": "notify",
        "arguments": [{"name": "template", "value": "\"Welcom\""}]});
    assert!(ids(&j).contains(&"W007"));
    act(&mut j, 2)["actions"][1]["arguments"][0]["value"] = json!("\"Welcome\"");
    assert!(!ids(&j).contains(&"W007"));
}

#[test]
fn w008_no_unconditional_last_transition() {
    let mut j = base();
    act(&mut j, 1)["transitions"][1]["condition"] = json!("(neq $decision \"approve\")");
    assert!(ids(&j).contains(&"W008"));
    // An andSplit may take every conditional branch; not this rule's concern.
    act(&mut j, 1)["andSplit"] = json!(true);
    assert!(!ids(&j).contains(&"W008"));
    assert!(!ids(&base()).contains(&"W008"));
}

#[test]
fn w009_transition_after_unconditional() {
    let mut j = base();
    act(&mut j, 1)["transitions"][0]["condition"] = Json::Null;
    act(&mut j, 1)["transitions"][0]
        .as_object_mut()
        .unwrap()
        .remove("condition");
    assert!(ids(&j).contains(&"W009"));
    assert!(!ids(&base()).contains(&"W009"));
}

#[test]
fn w010_bad_call() {
    for (expr, needle) in [
        ("(cond $decision)", "expects 2 to 3 argument(s), got 1"),
        ("(set 1)", "missing attribute name="),
        ("(block (case 1 2))", "belongs inside (switch …)"),
        ("(cmp 1)", "expects 2 argument(s)"),
    ] {
        let mut j = base();
        act(&mut j, 2)["actions"][1]["expression"] = json!(expr);
        let (_, findings) = run_with(&j, &ctx());
        let f = findings.iter().find(|f| f.id() == "W010");
        assert!(
            f.is_some_and(|f| f.message.contains(needle)),
            "{expr}: {findings:?}"
        );
    }
    let mut j = base();
    act(&mut j, 2)["actions"][1]["expression"] = json!(
        "(switch $decision (case \"a\" 1) (case default=\"true\" 2) (cond 1 2) (rule name=\"Derive Email\" (argument name=\"first\" value=\"x\")))"
    );
    assert!(!ids(&j).contains(&"W010"), "{:?}", run_with(&j, &ctx()).1);
    assert!(!ids(&base()).contains(&"W010"));
}

#[test]
fn i001_shadowed_variable() {
    let mut j = base();
    act(&mut j, 2)["variables"] = json!([{"name": "decision"}]);
    let (_, findings) = run_with(&j, &ctx());
    let f = findings.iter().find(|f| f.id() == "I001").unwrap();
    assert_eq!(f.severity, Severity::Info);
    assert!(!ids(&base()).contains(&"I001"));
}

#[test]
fn without_source_text_positions_are_zero() {
    let mut j = base();
    act(&mut j, 0)["transitions"][0]["to"] = json!("Nowhere");
    let def: TaskDefinition = serde_json::from_value(j).unwrap();
    let f = validate_definition(&def, None, &ctx());
    let f = f.iter().find(|f| f.id() == "E004").unwrap();
    assert_eq!((f.line, f.column), (0, 0));
    assert_eq!(f.pointer, "/process/activities/0/transitions/0/to");
}

#[test]
fn display_shape() {
    let f = Finding {
        lint: Lint::UnknownTarget,
        severity: Severity::Error,
        path: "TaskDefinition/onboard-employee.json".into(),
        line: 12,
        column: 5,
        message: "transition to unknown activity \"Aprove\"".into(),
        pointer: String::new(),
        target: Target::File,
    };
    assert_eq!(
        f.to_string(),
        "TaskDefinition/onboard-employee.json:12:5: error E004 transition to unknown activity \"Aprove\""
    );
}

#[test]
fn e000_load_errors_and_rules_through_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("TaskDefinition")).unwrap();
    std::fs::create_dir_all(root.join("Rule")).unwrap();
    std::fs::write(
        root.join("TaskDefinition/onboard.json"),
        serde_json::to_string_pretty(&base()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        root.join("TaskDefinition/broken.json"),
        "{\"formatVersion\": 1,",
    )
    .unwrap();
    std::fs::write(
        root.join("Rule/derive.json"),
        "{\"formatVersion\": 1, \"id\": \"r1\", \"name\": \"Derive Email\",\n \"arguments\": [{\"name\": \"first\"}],\n \"body\": \"(concat $first $last)\"}",
    )
    .unwrap();
    let repo = Repository::open(root).unwrap();
    let findings = validate_repository(&repo);
    let lines: Vec<String> = findings.iter().map(|f| f.to_string()).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("TaskDefinition/broken.json:1:") && l.contains("error E000")),
        "{lines:?}"
    );
    // The rule's body reads $last, which is not one of its arguments.
    assert!(
        lines.iter().any(|l| l.starts_with("Rule/derive.json:3:")
            && l.contains("W004")
            && l.contains("\"last\"")),
        "{lines:?}"
    );
    assert_eq!(lines.len(), 2, "{lines:?}");
}

#[test]
fn every_rule_is_documented() {
    let docs = include_str!("../../docs/validation.md");
    for lint in Lint::ALL {
        let heading = format!("### {} ", lint.id());
        assert!(docs.contains(&heading), "{} is not documented", lint.id());
        assert_eq!(Lint::from_id(lint.id()), Some(lint));
    }
    // And the docs mention no rule the code does not have.
    for line in docs.lines().filter(|l| l.starts_with("### ")) {
        let id = line[4..].split_whitespace().next().unwrap_or("");
        assert!(
            Lint::from_id(id).is_some(),
            "docs document unknown rule {id}"
        );
    }
}

#[test]
fn w010_and_e008_bad_variable_paths() {
    // Issue 9: a `set`/`putmap` path of ~11,000 steps used to overflow the
    // stack at run time while validation reported nothing.
    let deep = format!("x{}", ".a".repeat(11_000));
    for (expr, id, needle) in [
        (
            format!("(set name=\"{deep}\" 1)"),
            "W010",
            "path has more than 100 steps",
        ),
        (
            format!("(putmap name=\"{deep}\" \"k\" 1)"),
            "W010",
            "path has more than 100 steps",
        ),
        (
            "(set name=\"x..a\" 1)".to_string(),
            "W010",
            "not a well-formed path",
        ),
        (
            format!("(concat ${{{deep}}})"),
            "E008",
            "path has more than 100 steps",
        ),
    ] {
        let mut j = base();
        act(&mut j, 2)["actions"][1]["expression"] = json!(expr);
        let (text, findings) = run_with(&j, &ctx());
        let f = findings
            .iter()
            .find(|f| f.id() == id && f.message.contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {findings:?}"));
        assert!(f.line > 0 && f.column > 0, "unpositioned: {f:?}");
        let line = text.lines().nth(f.line - 1).unwrap();
        let at: String = line.chars().skip(f.column - 1).collect();
        if id == "W010" {
            assert!(
                at.starts_with("set") || at.starts_with("putmap"),
                "{at:.20}"
            );
        } else {
            // At the step past the limit.
            assert!(at.starts_with(".a.a"), "{at:.20}");
        }
    }
    let mut j = base();
    act(&mut j, 2)["actions"][1]["expression"] =
        json!("(set name=\"x.accounts[type==vms].name\" 1)");
    assert!(!ids(&j).contains(&"W010"), "{:?}", run_with(&j, &ctx()).1);
}
