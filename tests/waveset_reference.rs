//! A corpus of Waveset documents built from the Sun Identity Manager 8.1 / Oracle Waveset
//! 8.1.1 Deployment Reference (tests/fixtures/waveset-reference/*.xml; each names the pages
//! it comes from in a comment). Every document is imported and run through the real CLI,
//! and the results are the ones the reference states.

use std::path::Path;

use serde_json::{Value as J, json};

mod cli_common;
use cli_common::{bpe, s, text};

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/waveset-reference/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A fresh repository with `files` imported (the import must succeed).
fn imported(files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("repository.json"),
        "{\"formatVersion\": 1, \"name\": \"reference\"}\n",
    )
    .unwrap();
    let mut args = vec!["import".to_string(), s(dir.path()).to_string()];
    args.extend(files.iter().map(|f| fixture(f)));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = bpe(&args);
    assert!(
        out.status.success(),
        "import failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    dir
}

/// `bpe run REPO NAME --json`, which must succeed.
fn run(repo: &Path, name: &str) -> J {
    let out = bpe(&["run", s(repo), name, "--json"]);
    assert!(
        out.status.success(),
        "run failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("run --json prints JSON")
}

/// NamingRules Library (820-5821/bvbnl, Table 4-6): for Marcus Aurelius the outputs are
/// "Marcus.Aurelius", "MAurelius", "Aurelius, Marcus" and "marcus.aurelius@example.com";
/// library rules are called as `Library:Rule` (820-5821/bvbma), also from another rule.
#[test]
fn naming_rules_library_gives_the_reference_outputs() {
    let repo = imported(&["naming-rules-library.xml"]);
    assert!(
        repo.path().join("Configuration/namingrules.json").is_file(),
        "the library is stored under Configuration/"
    );
    let r = run(repo.path(), "Naming Rules Demo");
    assert_eq!(r["status"], "completed", "{r:#}");
    let v = &r["variables"];
    assert_eq!(v["dotted"], "Marcus.Aurelius");
    assert_eq!(v["initial"], "MAurelius");
    assert_eq!(v["fullname"], "Aurelius, Marcus");
    assert_eq!(v["email"], "marcus.aurelius@example.com");
    assert_eq!(v["WF_ACTION_ERROR"], false);

    let out = bpe(&["list", s(repo.path()), "--rules", "--json"]);
    assert!(out.status.success());
    let rows: J = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "NamingRules:AccountName - First dot Last",
            "NamingRules:AccountName - First initial Last",
            "NamingRules:Email",
            "NamingRules:Fullname - Last comma First",
        ]
    );
    assert_eq!(rows[2]["library"], "NamingRules");
    assert_eq!(
        rows[2]["arguments"],
        json!(["firstname", "lastname", "domain"])
    );

    // Validation knows library rules by their qualified names: no unknown-rule warning.
    let out = bpe(&["validate", s(repo.path())]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(!stdout.contains("W006"), "{stdout}");
}

/// Using Locked Arguments (821-0378/6nlef5inc, Example 4-26): "the argument value will always
/// be example.com — even if the caller tries passing a value for the argument". The caller
/// here passes domain='elsewhere.org', lastname='$(last)' (substituted, 820-5821/bvblz) and a
/// static firstname.
#[test]
fn a_locked_argument_ignores_the_value_the_caller_passes() {
    let repo = imported(&["locked-arguments.xml"]);
    let r = run(repo.path(), "Locked Argument Demo");
    assert_eq!(r["variables"]["email"], "jane.Doe@example.com", "{r:#}");
    let rule: J = serde_json::from_str(
        &std::fs::read_to_string(repo.path().join("Rule/generateemail.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(rule["arguments"][2]["locked"], true);
    assert_eq!(rule["arguments"][2]["value"], "\"example.com\"");
    assert!(rule["arguments"][0].get("locked").is_none());
}

/// Basic Rule Call Syntax (820-5821/bvblz): a static value, a <ref> child and the alternate
/// value='$(user.waveset.accountId)' syntax; "Both of the previous examples pass the value of
/// the user.waveset.account view attribute". Example 4-2 (820-5821/bvbll): a rule whose body
/// is an XML Object list of job titles.
#[test]
fn rule_arguments_substitute_dollar_references_like_the_child_form() {
    let repo = imported(&["rule-call-syntax.xml"]);
    let r = run(repo.path(), "Rule Call Demo");
    let v = &r["variables"];
    assert_eq!(v["static"], "jsmith", "{r:#}");
    assert_eq!(v["computed"], "mjones");
    assert_eq!(v["alternate"], "mjones");
    assert_eq!(
        v["titles"],
        json!([
            "Sales",
            "Accounting Manager",
            "Customer Service Representative"
        ])
    );
    // Examples 4-12 / 4-13 (820-5821/bvblv): the default Austin, overridden by the caller.
    assert_eq!(v["defaulted"], "jsmith@Austin");
    assert_eq!(v["overridden"], "jsmith@global.location");
    let def =
        std::fs::read_to_string(repo.path().join("TaskDefinition/rule-call-demo.json")).unwrap();
    assert!(
        def.contains(r#"(argument name=\"accountId\" $user.waveset.accountId)"#),
        "{def}"
    );
    assert!(def.contains(r#"(argument name=\"accountId\" value=\"jsmith\")"#));
}

/// XML Object Language (820-5821/bvbyj, Table 6-1 and "Using XML Objects in XPRESS";
/// 820-5821/bvbyu): <String>, <Integer>, <Boolean> (a Boolean that counts as 1 / 0), <null/>, <Map>/<MapEntry> and
/// <List> as variable values and inside expressions.
#[test]
fn xml_objects_are_values_wherever_an_expression_is_allowed() {
    let repo = imported(&["xml-objects.xml"]);
    let r = run(repo.path(), "XML Objects Demo");
    let v = &r["variables"];
    assert_eq!(v["animal"], "cat", "{r:#}");
    assert_eq!(v["count"], 10);
    assert_eq!(v["yes"], true);
    assert_eq!(v["no"], false);
    assert_eq!(v["nothing"], J::Null);
    assert_eq!(v["neko"], json!({"name": "neko", "ID": "123"}));
    assert_eq!(v["pets"], json!(["cat", "dog", 673]));
    assert_eq!(v["jeff"], json!({"name": "Jeff", "phone": "338-1818"}));
    assert_eq!(v["sum"], 43);
}

/// Workflow Task (820-5821/bvacg): "Rename Task — Renames the task instance in the
/// repository", called as <Action process='Rename Task'> with the name argument; "Add Result —
/// Adds a named data item to the task result".
#[test]
fn built_in_task_subprocesses_run_as_documented() {
    let repo = imported(&["rename-task.xml"]);
    let r = run(repo.path(), "Rename Task Demo");
    assert_eq!(r["status"], "completed", "{r:#}");
    assert_eq!(r["variables"]["WF_ACTION_ERROR"], false, "{r:#}");
    assert_eq!(r["name"], "New Task Name");
    assert_eq!(r["result"]["items"]["account"], "jsmith");
    // Not an unknown subprocess for validation either.
    let out = bpe(&["validate", s(repo.path())]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(!text(&out.stdout).contains("E010"), "{}", text(&out.stdout));
}

/// Default Workflow Processes (820-5821/bvabi): the Create User approval with
/// `<Owner name='$(APPROVER)'/>`, an action variable APPROVAL='false' returned to APPROVED,
/// and transitions that escalate on timeout, else approve or reject on APPROVED.
#[test]
fn the_escalating_approval_suspends_for_the_substituted_owner_and_decides_on_approved() {
    let repo = imported(&["approval-escalation.xml"]);
    let start = |repo: &Path| {
        let out = bpe(&[
            "run",
            s(repo),
            "Create User Escalation",
            "--set",
            "APPROVER=mjones",
            "--json",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let r: J = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["status"], "suspended", "{r:#}");
        assert_eq!(r["pendingWorkItems"][0]["owner"], "mjones");
        assert_eq!(r["pendingWorkItems"][0]["request"], "Awaiting approval");
        r["workItems"][0].as_str().unwrap().to_string()
    };
    let complete = |repo: &Path, item: &str, set: &[&str]| {
        let mut args = vec!["complete", s(repo), item, "--decision", "approve"];
        for kv in set {
            args.extend(["--set", kv]);
        }
        args.push("--json");
        let out = bpe(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice::<J>(&out.stdout).unwrap()
    };
    let item = start(repo.path());
    let done = complete(repo.path(), &item, &[r#"APPROVAL="true""#]);
    assert_eq!(
        done["path"],
        json!(["start", "Wait", "Approved", "end"]),
        "{done:#}"
    );
    assert_eq!(done["variables"]["APPROVED"], "true");
    // Left at its initial 'false', APPROVAL rejects.
    let item = start(repo.path());
    let done = complete(repo.path(), &item, &[]);
    assert_eq!(
        done["path"],
        json!(["start", "Wait", "Rejected", "end"]),
        "{done:#}"
    );
}

/// What bpe cannot run (a JavaScript rule, an inline <script>, a custom Java application,
/// 820-5821/6nh6l8vch and bvacg) is imported, flagged by validate with W012 and its
/// position, and fails only the action that runs it, naming what it is.
#[test]
fn scripts_and_java_actions_are_kept_flagged_and_fail_when_run() {
    let repo = imported(&["unsupported-script.xml"]);
    let out = bpe(&["validate", s(repo.path())]);
    let stdout = text(&out.stdout);
    let w012: Vec<&str> = stdout.lines().filter(|l| l.contains("W012")).collect();
    assert_eq!(w012.len(), 3, "{stdout}");
    assert!(
        w012.iter()
            .any(|l| l.starts_with("Rule/script-approver.json:") && l.contains("script")),
        "{stdout}"
    );
    assert!(
        w012.iter()
            .any(|l| l.starts_with("TaskDefinition/script-demo.json:")
                && l.contains("com.example.idm.CustomProvisioner")),
        "{stdout}"
    );
    // line:col are real positions.
    for l in &w012 {
        let mut parts = l.split(':');
        parts.next();
        let line: usize = parts.next().unwrap().parse().unwrap();
        let col: usize = parts.next().unwrap().parse().unwrap();
        assert!(line > 1 && col > 1, "{l}");
    }

    let r = run(repo.path(), "Script Demo");
    assert_eq!(r["status"], "completed", "{r:#}");
    let v = &r["variables"];
    let java = v["javaError"].as_str().unwrap();
    assert!(
        java.contains("cannot run") && java.contains("com.example.idm.CustomProvisioner"),
        "{java}"
    );
    let rule = v["ruleError"].as_str().unwrap();
    assert!(
        rule.contains("script") && rule.contains("Script Approver"),
        "{rule}"
    );
    let script = v["scriptError"].as_str().unwrap();
    assert!(script.starts_with("script:"), "{script}");
    assert_eq!(v["approver"], J::Null);

    // Export gives the Java action and the scripts back unchanged.
    let out = bpe(&["export", s(repo.path()), "Script Demo"]);
    let xml = text(&out.stdout);
    assert!(
        xml.contains(
            "<Action id='0' name='Call Java' application='com.example.idm.CustomProvisioner'>\n            <Argument name='accountId' value='$(accountId)'/>\n            <Return from='status' to='step'/>\n          </Action>"
        ),
        "{xml}"
    );
    assert!(
        xml.contains(
            "<script lang='javascript'> if (a &lt; b &amp;&amp; b &gt; c) { x = 1; } </script>"
        ),
        "{xml}"
    );
    let out = bpe(&["export", s(repo.path()), "Script Approver", "--rule"]);
    let xml = text(&out.stdout);
    assert!(
        xml.contains("<script>\n      var dept = env.get('department');\n      if (dept == 'sales') 'john'; else 'mary';\n    </script>"),
        "{xml}"
    );
}

/// Every corpus document survives import -> export -> import unchanged.
#[test]
fn every_corpus_document_round_trips() {
    let dir = std::path::PathBuf::from(fixture(""));
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("xml") {
            continue;
        }
        n += 1;
        let src = std::fs::read_to_string(&path).unwrap();
        let first = bpe::waveset::import(&src).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        for d in &first.definitions {
            let again = bpe::waveset::import(&bpe::waveset::export_definition(d)).unwrap();
            assert_eq!(&again.definitions[0], d, "{path:?}");
        }
        for r in &first.rules {
            let again = bpe::waveset::import(&bpe::waveset::export_rule(r)).unwrap();
            assert_eq!(&again.rules[0], r, "{path:?}");
        }
        for l in &first.libraries {
            let again = bpe::waveset::import(&bpe::waveset::export_library(l)).unwrap();
            assert_eq!(&again.libraries[0], l, "{path:?}");
        }
    }
    assert!(n >= 7, "the corpus holds {n} documents");
}

/// Using the LocalScope Option in Workflows (820-5821/6nh6l8vd9), Examples 4-20 and 4-21: with
/// localScope='true' "the reference to the lastname variable would return null" although the
/// workflow has a lastname variable; without it the workflow supplies the value. The attribute
/// is kept in the stored Rule and written back on export.
#[test]
fn local_scope_rule_sees_only_its_arguments() {
    let repo = imported(&["local-scope.xml"]);
    let r = run(repo.path(), "Local Scope Demo");
    assert_eq!(r["variables"]["email"], "jane.@example.com", "{r:#}");
    assert_eq!(r["variables"]["openEmail"], "jane.doe@example.com", "{r:#}");
    let rule: J = serde_json::from_str(
        &std::fs::read_to_string(repo.path().join("Rule/generateemail.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(rule["localScope"], true);
    let open: J = serde_json::from_str(
        &std::fs::read_to_string(repo.path().join("Rule/generateemailopen.json")).unwrap(),
    )
    .unwrap();
    assert!(open.get("localScope").is_none());
}

/// A `<Date>` object (XML Object Language, 820-5821/bvbyj) has no bpe value. It is kept
/// as `(Date "20020911 09:15:00")`, flagged by validation with W012 at its line:col,
/// exported back exactly, and evaluating it fails only the action, with a message that
/// names the object and says how to write a date.
#[test]
fn date_objects_are_kept_flagged_exported_and_fail_clearly_when_run() {
    let repo = imported(&["date-object.xml"]);
    let def = std::fs::read_to_string(repo.path().join("TaskDefinition/date-demo.json")).unwrap();
    assert!(def.contains(r#"(Date \"20020911 09:15:00\")"#), "{def}");
    let out = bpe(&["validate", s(repo.path())]);
    let stdout = text(&out.stdout);
    let w012: Vec<&str> = stdout.lines().filter(|l| l.contains("W012")).collect();
    assert_eq!(w012.len(), 1, "{stdout}");
    assert!(
        w012[0].starts_with("TaskDefinition/date-demo.json:") && w012[0].contains("<Date>"),
        "{stdout}"
    );
    let mut parts = w012[0].split(':');
    parts.next();
    let line: usize = parts.next().unwrap().parse().unwrap();
    let col: usize = parts.next().unwrap().parse().unwrap();
    assert!(line > 1 && col > 1, "{}", w012[0]);

    let r = run(repo.path(), "Date Demo");
    assert_eq!(r["status"], "completed", "{r:#}");
    let err = r["variables"]["dateError"].as_str().unwrap();
    assert!(
        err.starts_with("Date:") && err.contains("<Date>20020911 09:15:00</Date>"),
        "{err}"
    );
    assert_eq!(r["variables"]["when"], J::Null);

    let out = bpe(&["export", s(repo.path()), "Date Demo"]);
    assert!(out.status.success());
    assert!(
        text(&out.stdout)
            .contains("<set name='when'>\n              <Date>20020911 09:15:00</Date>"),
        "{}",
        text(&out.stdout)
    );
}
