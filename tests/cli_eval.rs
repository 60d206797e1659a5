//! `bpe eval` and `bpe test-rule` against the sample repository's rules (read
//! only: both are dry runs and write nothing), running the real binary.

mod cli_common;

use cli_common::bpe;
use serde_json::Value as J;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-repository");

fn json(out: &std::process::Output) -> J {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// A temporary repository holding one rule file.
fn repo_with_rule(json: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("Rule")).unwrap();
    std::fs::write(dir.path().join("Rule/rule.json"), json).unwrap();
    dir
}

/// Assert the command exited with `code` and said `needle` on stderr.
fn assert_fails(out: &std::process::Output, code: i32, needle: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains(needle), "{stderr}");
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn eval_calls_a_sample_rule_and_prints_its_value() {
    let out = bpe(&[
        "eval",
        SAMPLE,
        "(rule name=\"Email Address\" (argument name=\"accountId\" $id))",
        "--set",
        "id= JSmith ",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "value: \"jsmith@example.com\"\neffects: none (dry run)\n"
    );
}

#[test]
fn eval_lists_assignments_as_effects_and_json_has_the_trace() {
    let out = bpe(&[
        "eval",
        SAMPLE,
        "(block (set name=\"total\" (add $n 1)) $total)",
        "--set",
        "n=41",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j = json(&out);
    assert_eq!(j["value"], 42);
    assert_eq!(j["dryRun"], true);
    assert_eq!(
        j["effects"],
        serde_json::json!([{"kind": "set", "variable": "total", "value": 42}])
    );
    let root = &j["trace"]["nodes"][0];
    assert_eq!(root["expr"], "(block …)");
    assert_eq!(root["value"], "42");
    let set = &root["children"][0];
    assert_eq!(set["expr"], "(set name=\"total\" …)");
    assert_eq!(set["children"][0]["value"], "42");
    assert_eq!(set["children"][0]["at"]["column"], 26);
}

#[test]
fn eval_failure_exits_1_with_the_error_at_its_line_and_column() {
    let out = bpe(&["eval", SAMPLE, "(concat \"a\"\n  (nosuch 1))"]);
    assert_fails(&out, 1, "error: expression 2:3: unknown function 'nosuch'");
    let out = bpe(&["eval", SAMPLE, "(concat \"a\"\n  (nosuch 1))", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let j = json(&out);
    assert_eq!(j["ok"], false);
    assert_eq!(
        j["error"]["at"],
        serde_json::json!({"source": "expression", "line": 2, "column": 3})
    );
}

#[test]
fn eval_syntax_error_exits_1_with_its_position() {
    let out = bpe(&["eval", SAMPLE, "(add 1\n  (sub 2 3)"]);
    assert_fails(
        &out,
        1,
        "expression 2:12: expected ')' to close '(add' opened at 1:1",
    );
}

#[test]
fn eval_usage_errors_exit_2() {
    let out = bpe(&["eval", SAMPLE, "1", "--set", "novalue"]);
    assert_fails(&out, 2, "--set expects VAR=VALUE");
    let out = bpe(&["eval", "/nonexistent/repository", "1"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn test_rule_binds_arguments_and_applies_defaults() {
    // Derive Account Id: suffix defaults to 0 (no suffix).
    let out = bpe(&[
        "test-rule",
        SAMPLE,
        "Derive Account Id",
        "--arg",
        "firstName=Ada",
        "--arg",
        "lastName=O'Brien",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("value: \"aobrien\"\n"));
    let out = bpe(&[
        "test-rule",
        SAMPLE,
        "Password Policy",
        "--arg",
        "password=short",
        "--arg",
        "minLength=8",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        json(&out)["value"],
        serde_json::json!([
            "is shorter than 8 characters",
            "has no upper-case letter",
            "has no digit"
        ])
    );
}

#[test]
fn test_rule_failure_is_located_in_the_rule_body() {
    // (gt $suffix 0) fails on a list; the position is that call's in the body text.
    let body: J = serde_json::from_str(
        &std::fs::read_to_string(format!("{SAMPLE}/Rule/derive-account-id.json")).unwrap(),
    )
    .unwrap();
    let body = body["body"].as_str().unwrap();
    let column = body.find("(gt $suffix 0)").unwrap() + 1;
    let args = [
        "test-rule",
        SAMPLE,
        "Derive Account Id",
        "--arg",
        "firstName=Ada",
        "--arg",
        "lastName=Lovelace",
        "--arg",
        "suffix=[1]",
    ];
    let out = bpe(&args);
    assert_eq!(out.status.code(), Some(1));
    let want =
        format!("error: rule 'Derive Account Id' 1:{column}: gt: argument 1 is not an integer");
    assert!(text(&out.stderr).contains(&want), "{}", text(&out.stderr));
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let j = json(&bpe(&with_json));
    assert_eq!(j["error"]["at"]["line"], 1);
    assert_eq!(j["error"]["at"]["column"], column);
    assert_eq!(j["error"]["at"]["source"], "rule 'Derive Account Id'");
}

#[test]
fn test_rule_usage_errors_exit_2() {
    let out = bpe(&["test-rule", SAMPLE, "No Such Rule"]);
    assert_fails(
        &out,
        2,
        "no rule named 'No Such Rule' (rules: Birthright Roles",
    );
    let out = bpe(&["test-rule", SAMPLE, "Email Address", "--arg", "=x"]);
    assert_fails(&out, 2, "--arg expects NAME=VALUE");
}

#[test]
fn test_rule_refuses_a_locked_argument_and_applies_its_default() {
    let dir = repo_with_rule(
        r#"{"formatVersion": 1, "id": "rule-greet", "name": "Greet",
            "arguments": [{"name": "who"}, {"name": "mark", "value": "\"!\"", "locked": true}],
            "body": "(concat \"Hello \" $who $mark)"}"#,
    );
    let repo = dir.path().to_str().unwrap();
    let out = bpe(&["test-rule", repo, "Greet", "--arg", "who=Ann"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("value: \"Hello Ann!\""));
    let out = bpe(&[
        "test-rule",
        repo,
        "Greet",
        "--arg",
        "who=Ann",
        "--arg",
        "mark=?",
    ]);
    assert_fails(&out, 2, "argument 'mark' of rule 'Greet' is locked");
}

#[test]
fn test_rule_whose_body_does_not_parse_exits_1_with_the_position() {
    let dir = repo_with_rule(
        r#"{"formatVersion": 1, "id": "rule-broken", "name": "Broken", "body": "(add 1\n (sub 2"}"#,
    );
    let out = bpe(&["test-rule", dir.path().to_str().unwrap(), "Broken"]);
    assert_fails(&out, 1, "error: rule 'Broken' 2:");
}

/// Every file below `root` with its length and modification time.
fn listing(root: &std::path::Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                dirs.push(e.path());
            }
            out.push((
                e.path().display().to_string(),
                m.len(),
                m.modified().unwrap(),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn eval_and_test_rule_write_nothing_and_do_no_housekeeping() {
    let dir = tempfile::tempdir().unwrap();
    cli_common::copy_dir(std::path::Path::new(SAMPLE), dir.path());
    let _ = std::fs::remove_dir_all(dir.path().join(".bpe"));
    let repo = dir.path().to_str().unwrap();
    let before = listing(dir.path());
    let out = bpe(&["eval", repo, "(block (set name=\"x\" 1) $x)", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let out = bpe(&["test-rule", repo, "Password Policy", "--arg", "password=x"]);
    assert_eq!(out.status.code(), Some(0));
    let out = bpe(&["eval", repo, "(nosuch)"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        listing(dir.path()),
        before,
        "no file written, not even .bpe/"
    );
}
