//! JSON -> Waveset XML -> JSON is the identity, for every sample object and for
//! hand-built definitions that use every field of the model.

use std::path::Path;

use bpe::model::{
    Action, ActionKind, Activity, Argument, CommandAction, EmailTemplate, ExecMode, ManualAction,
    Position, Process, Return, Rule, RuleArgument, RuleLibrary, TaskDefinition, Transition,
    Variable, WorkItemType,
};
use bpe::waveset;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/waveset/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn round_trip_definition(def: &TaskDefinition) -> String {
    let xml = waveset::export_definition(def);
    let back = waveset::import(&xml).unwrap_or_else(|e| panic!("{}: {e}\n{xml}", def.name));
    assert_eq!(back.definitions.len(), 1, "{xml}");
    assert!(back.rules.is_empty() && back.email_templates.is_empty());
    assert_eq!(&back.definitions[0], def, "{xml}");
    // And the JSON text is identical too (field order, skipped defaults).
    assert_eq!(
        serde_json::to_string_pretty(&back.definitions[0]).unwrap(),
        serde_json::to_string_pretty(def).unwrap()
    );
    xml
}

fn round_trip_rule(rule: &Rule) {
    let xml = waveset::export_rule(rule);
    let back = waveset::import(&xml).unwrap_or_else(|e| panic!("{}: {e}\n{xml}", rule.name));
    assert_eq!(back.rules, vec![rule.clone()], "{xml}");
    assert!(back.definitions.is_empty());
}

fn round_trip_template(t: &EmailTemplate) {
    let xml = waveset::export_email_template(t);
    let back = waveset::import(&xml).unwrap_or_else(|e| panic!("{}: {e}\n{xml}", t.name));
    assert_eq!(back.email_templates, vec![t.clone()], "{xml}");
}

fn round_trip_library(l: &RuleLibrary) {
    let xml = waveset::export_library(l);
    let back = waveset::import(&xml).unwrap_or_else(|e| panic!("{}: {e}\n{xml}", l.name));
    assert_eq!(back.libraries, vec![l.clone()], "{xml}");
    assert!(back.rules.is_empty() && back.definitions.is_empty());
}

/// The object read back from XML saves to exactly the bytes of the sample file.
fn same_file_bytes<T: serde::Serialize>(path: &Path, text: &str, back: &T) {
    let bytes = bpe::repo::to_json_bytes(back).unwrap();
    assert!(
        bytes == text.as_bytes(),
        "{}: JSON -> XML -> JSON is not byte-identical",
        path.display()
    );
}

fn json_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn every_sample_repository_object_round_trips() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-repository");
    let mut count = 0;
    for path in json_files(&root.join("TaskDefinition")) {
        let text = std::fs::read_to_string(&path).unwrap();
        let def: TaskDefinition =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let xml = round_trip_definition(&def);
        // Canonical sample objects export to XML that imports without a single warning.
        let imported = waveset::import(&xml).unwrap();
        assert!(
            imported.warnings.is_empty(),
            "{}: {:?}",
            def.name,
            imported.warnings
        );
        same_file_bytes(&path, &text, &imported.definitions[0]);
        count += 1;
    }
    for path in json_files(&root.join("Rule")) {
        let text = std::fs::read_to_string(&path).unwrap();
        let rule: Rule = serde_json::from_str(&text).unwrap();
        round_trip_rule(&rule);
        let back = waveset::import(&waveset::export_rule(&rule)).unwrap();
        same_file_bytes(&path, &text, &back.rules[0]);
        count += 1;
    }
    for path in json_files(&root.join("EmailTemplate")) {
        let text = std::fs::read_to_string(&path).unwrap();
        let t: EmailTemplate = serde_json::from_str(&text).unwrap();
        round_trip_template(&t);
        let back = waveset::import(&waveset::export_email_template(&t)).unwrap();
        same_file_bytes(&path, &text, &back.email_templates[0]);
        count += 1;
    }
    for path in json_files(&root.join("Configuration")) {
        let text = std::fs::read_to_string(&path).unwrap();
        let l: RuleLibrary = serde_json::from_str(&text).unwrap();
        round_trip_library(&l);
        let back = waveset::import(&waveset::export_library(&l)).unwrap();
        same_file_bytes(&path, &text, &back.libraries[0]);
        count += 1;
    }
    // The sample repository may not exist yet in every checkout; when it does, it
    // must hold objects (an empty directory would make this test vacuous).
    if root.exists() {
        assert!(count > 0, "sample-repository holds no objects");
    }
}

#[test]
fn imported_fixtures_round_trip() {
    for name in ["create-user.xml", "bundle.xml"] {
        let imported = waveset::import(&fixture(name)).unwrap();
        for def in &imported.definitions {
            round_trip_definition(def);
        }
        for rule in &imported.rules {
            round_trip_rule(rule);
        }
        for t in &imported.email_templates {
            round_trip_template(t);
        }
    }
}

fn action(kind: ActionKind) -> Action {
    Action {
        name: String::new(),
        condition: None,
        variables: Vec::new(),
        returns: Vec::new(),
        comment: String::new(),
        kind,
    }
}

/// A definition that uses every field, with awkward values.
fn everything() -> TaskDefinition {
    let var = |name: &str, value: Option<&str>| Variable {
        name: name.to_string(),
        value: value.map(str::to_string),
        ..Variable::default()
    };
    let mut service = action(ActionKind::Service {
        op: "createUser".to_string(),
        arguments: vec![
            Argument {
                name: "accountId".to_string(),
                value: "$accountId".to_string(),
            },
            // A literal that looks like a Waveset placeholder must stay a literal.
            Argument {
                name: "note".to_string(),
                value: "\"costs $(amount) & <more> 'quoted' \\\"double\\\"\\n\\ttab\"".to_string(),
            },
            // An argument literally named op, after the real op.
            Argument {
                name: "op".to_string(),
                value: "\"second\"".to_string(),
            },
            Argument {
                name: "computed".to_string(),
                value: "(add $x 1)".to_string(),
            },
            Argument {
                name: "odd ref".to_string(),
                value: "${display name}".to_string(),
            },
            Argument {
                name: "empty".to_string(),
                value: "\"\"".to_string(),
            },
        ],
    });
    service.name = "create".to_string();
    service.condition = Some("(notnull $accountId)".to_string());
    service.variables = vec![var("local", Some("\"x\"")), var("none", None)];
    service.returns = vec![Return {
        from: "WF_ACTION_RESULT".to_string(),
        to: "created".to_string(),
    }];
    service.comment = "  leading and trailing whitespace kept  ".to_string();

    let mut manual = action(ActionKind::Manual(ManualAction {
        owners: vec!["$manager".to_string(), "(list \"a\" \"b\")".to_string()],
        request: Some("(concat \"Approve \" $accountId)".to_string()),
        description: "Line one\nline two".to_string(),
        timeout: 180,
        item_type: WorkItemType::Custom("role".to_string()),
        exposed_variables: vec!["accountId".to_string(), "decision".to_string()],
        editable_variables: vec!["decision".to_string()],
    }));
    manual.returns = vec![Return {
        from: "decision".to_string(),
        to: "approved".to_string(),
    }];
    let manual2 = action(ActionKind::Manual(ManualAction {
        owners: vec!["\"admin\"".to_string()],
        item_type: WorkItemType::Interaction,
        ..ManualAction::default()
    }));

    let command = action(ActionKind::Command(CommandAction {
        argv: vec!["\"/bin/echo\"".to_string(), "$accountId".to_string()],
        timeout: 5,
        output_cap: 100,
        exit_code_to: Some("rc".to_string()),
        output_to: None,
    }));
    let subprocess = action(ActionKind::Subprocess {
        process: "Escalate & Notify".to_string(),
        arguments: vec![Argument {
            name: "level".to_string(),
            value: "2".to_string(),
        }],
    });
    // Non-canonical but valid text, and text that does not parse at all: both must
    // survive byte for byte.
    let non_canonical = action(ActionKind::Expression {
        expression: "(block\n  (set name=\"x\"   1)\n  $x)".to_string(),
    });
    let broken = action(ActionKind::Expression {
        expression: "(add $x".to_string(),
    });
    let null_expr = action(ActionKind::Expression {
        expression: "null".to_string(),
    });

    TaskDefinition {
        format_version: 1,
        id: "td-0123456789abcdef".to_string(),
        name: "Every Field <&> 'quotes'".to_string(),
        description: "A description\nwith two lines.".to_string(),
        task_type: "Workflow".to_string(),
        executor: "bpe.workflow".to_string(),
        exec_mode: ExecMode::Async,
        suspendable: false,
        sync_control_allowed: false,
        execution_limit: 600,
        result_limit: -1,
        progress_interval: 1234,
        result_trace: true,
        process: Process {
            max_steps: 77,
            comment: "process comment".to_string(),
            variables: vec![
                Variable {
                    name: "accountId".to_string(),
                    value: None,
                    input: true,
                    output: true,
                    external: false,
                    transient: false,
                    comment: "who".to_string(),
                },
                Variable {
                    name: "shared".to_string(),
                    value: Some("(list 1 2 null)".to_string()),
                    input: false,
                    output: false,
                    external: true,
                    transient: true,
                    comment: String::new(),
                },
                var("empty text", Some("")),
                var("spaces", Some("\"  \"")),
                var("int", Some("-7")),
                var("null", Some("null")),
            ],
            activities: vec![
                Activity {
                    id: "start-id".to_string(),
                    name: "start".to_string(),
                    position: Some(Position { x: 0, y: -3 }),
                    transitions: vec![Transition {
                        to: "Work".to_string(),
                        condition: None,
                        comment: "go".to_string(),
                    }],
                    ..Activity::default()
                },
                Activity {
                    id: "7".to_string(),
                    name: "Work".to_string(),
                    and_split: true,
                    and_join: true,
                    position: Some(Position { x: 3, y: 4 }),
                    comment: "activity comment".to_string(),
                    variables: vec![var("scoped", Some("\"v\""))],
                    actions: vec![
                        service,
                        manual,
                        manual2,
                        command,
                        subprocess,
                        non_canonical,
                        broken,
                        null_expr,
                    ],
                    transitions: vec![
                        Transition {
                            to: "end".to_string(),
                            condition: Some("(eq $approved \"true\")".to_string()),
                            comment: String::new(),
                        },
                        Transition {
                            to: "end".to_string(),
                            condition: Some("(gt $x".to_string()),
                            comment: "broken condition".to_string(),
                        },
                        Transition {
                            to: "end".to_string(),
                            condition: None,
                            comment: String::new(),
                        },
                    ],
                },
                Activity {
                    id: "end".to_string(),
                    name: "end".to_string(),
                    ..Activity::default()
                },
            ],
        },
    }
}

#[test]
fn every_model_field_survives() {
    let def = everything();
    let xml = round_trip_definition(&def);
    // It reads like Waveset: the original's element names and attribute forms.
    assert!(xml.starts_with("<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE TaskDefinition PUBLIC 'waveset.dtd' 'waveset.dtd'>\n"));
    assert!(xml.contains("executor='com.waveset.workflow.WorkflowExecutor'"));
    assert!(xml.contains("<Argument name='op' value='createUser'/>"));
    assert!(xml.contains("<Argument name='accountId' value='$(accountId)'/>"));
    assert!(xml.contains("<Owner name='$(manager)'/>"));
    assert!(xml.contains("<WorkflowEditor x='3' y='4'/>"));
    assert!(xml.contains("application='com.waveset.session.WorkflowServices'"));
}

#[test]
fn defaults_round_trip() {
    let def = TaskDefinition {
        format_version: 1,
        id: "td-1".to_string(),
        name: "Minimal".to_string(),
        description: String::new(),
        task_type: "Workflow".to_string(),
        executor: "some.other.Executor".to_string(),
        exec_mode: ExecMode::Sync,
        suspendable: true,
        sync_control_allowed: true,
        execution_limit: 0,
        result_limit: 0,
        progress_interval: 5000,
        result_trace: false,
        process: Process {
            max_steps: 0,
            comment: String::new(),
            variables: vec![],
            activities: vec![
                Activity {
                    id: "0".to_string(),
                    name: "start".to_string(),
                    ..Activity::default()
                },
                Activity {
                    id: "1".to_string(),
                    name: "end".to_string(),
                    ..Activity::default()
                },
            ],
        },
    };
    round_trip_definition(&def);
}

#[test]
fn rules_and_templates_round_trip() {
    round_trip_rule(&Rule {
        format_version: 1,
        id: "rule-1".to_string(),
        name: "Derive Email".to_string(),
        description: "  padded  ".to_string(),
        arguments: vec![
            RuleArgument {
                name: "first".to_string(),
                value: Some("\"Ada\"".to_string()),
                comment: "given name".to_string(),
                locked: false,
            },
            RuleArgument {
                name: "last".to_string(),
                value: None,
                comment: String::new(),
                locked: false,
            },
            RuleArgument {
                name: "n".to_string(),
                value: Some("(add 1 2)".to_string()),
                comment: String::new(),
                locked: true,
            },
        ],
        local_scope: true,
        body: "(rule name=\"Derive Email\" (argument name=\"first\" value=\"Ada\") (argument name=\"last\" $lastName))".to_string(),
    });
    // A body that does not parse is kept verbatim.
    round_trip_rule(&Rule {
        format_version: 1,
        id: "rule-2".to_string(),
        name: "Broken".to_string(),
        description: String::new(),
        arguments: vec![],
        local_scope: false,
        body: "(concat \"a\"".to_string(),
    });
    round_trip_template(&EmailTemplate {
        format_version: 1,
        id: "et-1".to_string(),
        name: "Welcome".to_string(),
        description: "sent on day one".to_string(),
        from: "idm@example.com".to_string(),
        to: "$(email)".to_string(),
        cc: String::new(),
        subject: "Welcome, $(firstName) & co".to_string(),
        body: "  Dear $(firstName),\r\n\n<b>welcome</b>\n  ".to_string(),
    });
}

/// The constructs added for Waveset fidelity: rule libraries, locked arguments,
/// actions kept verbatim (well-formed or not), scripts, XML objects read back as
/// values, and a rule argument whose literal value contains `$(`.
#[test]
fn new_constructs_round_trip_byte_identical() {
    let lib = RuleLibrary {
        format_version: 1,
        id: "lib-1".to_string(),
        name: "Account ID Rules".to_string(),
        description: "naming".to_string(),
        rules: vec![
            Rule {
                format_version: 1,
                id: "rule-a".to_string(),
                name: "First Dot Last".to_string(),
                description: String::new(),
                arguments: vec![RuleArgument {
                    name: "domain".to_string(),
                    value: Some("\"example.com\"".to_string()),
                    comment: String::new(),
                    locked: true,
                }],
                local_scope: true,
                body: "(concat $firstname \".\" $lastname)".to_string(),
            },
            Rule {
                format_version: 1,
                id: "rule-b".to_string(),
                name: "Calls Its Neighbour".to_string(),
                description: String::new(),
                arguments: vec![],
                local_scope: false,
                body: "(rule name=\"Account ID Rules:First Dot Last\" (argument name=\"x\" value=\"$(not a ref)\"))".to_string(),
            },
        ],
    };
    round_trip_library(&lib);
    let back = waveset::import(&waveset::export_library(&lib)).unwrap();
    assert_eq!(
        bpe::repo::to_json_bytes(&back.libraries[0]).unwrap(),
        bpe::repo::to_json_bytes(&lib).unwrap()
    );

    let mut def = everything();
    let actions = &mut def.process.activities[1].actions;
    actions.push(Action {
        name: "Java".to_string(),
        ..action(ActionKind::Unsupported {
            reason: "application 'com.acme.Hook' is a Java class bpe does not run (bpe runs WorkflowServices ops)".to_string(),
            xml: "<Action id='3' name='Java' application='com.acme.Hook'>\n  <Argument name='a' value='$(b)'/>\n</Action>".to_string(),
        })
    });
    actions.push(Action {
        name: "Broken".to_string(),
        ..action(ActionKind::Unsupported {
            reason: "hand-edited".to_string(),
            xml: "<Action><Script>unclosed & <".to_string(),
        })
    });
    actions.push(action(ActionKind::Expression {
        expression:
            "(block (script lang=\"javascript\" \" if (a < b && c) { x = ']]>'; }\n\") (script) (script \"\") (Date \"20020911 09:15:00\") (Date \" \") (eq true (not false)))"
                .to_string(),
    }));
    let xml = round_trip_definition(&def);
    assert!(
        xml.contains("<Action id='3' name='Java' application='com.acme.Hook'>\n  <Argument name='a' value='$(b)'/>\n</Action>"),
        "the well-formed XML is written back verbatim:\n{xml}"
    );
    assert!(
        xml.contains("<bpeUnsupported reason='hand-edited'>"),
        "{xml}"
    );
    let back = waveset::import(&xml).unwrap();
    assert_eq!(
        bpe::repo::to_json_bytes(&back.definitions[0]).unwrap(),
        bpe::repo::to_json_bytes(&def).unwrap()
    );
}

mod generated {
    use bpe::expr::{self, Call, Expr};
    use bpe::model::{Action, ActionKind, Argument, Transition, Variable};
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        // Quotes, markup, placeholders, entities, whitespace, non-ASCII.
        "[a-zA-Z0-9 '\"<>&;$(){}\\[\\]\\\\\n\t\r‘’“”é→-]{0,12}"
    }

    fn name() -> impl Strategy<Value = String> {
        "[a-z_][a-zA-Z0-9_.:-]{0,6}"
    }

    fn path() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z_][a-zA-Z0-9_.]{0,8}",
            "[a-zA-Z][a-z 0-9-]{0,8}[a-z]",
        ]
    }

    fn expr_tree() -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![
            Just(Expr::Null),
            any::<bool>().prop_map(Expr::Bool),
            any::<i64>().prop_map(Expr::Int),
            text().prop_map(Expr::Str),
            path().prop_map(Expr::Ref),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            (
                name(),
                prop::collection::vec((name(), text()), 0..3),
                prop::collection::vec(inner, 0..4),
            )
                .prop_map(|(name, mut attrs, args)| {
                    attrs.sort();
                    attrs.dedup_by(|a, b| a.0 == b.0);
                    Expr::Call(Call { name, attrs, args })
                })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Any expression, in every slot that holds one, survives export and import.
        #[test]
        fn any_expression_survives_every_slot(e in expr_tree(), lit in text()) {
            let text = expr::print(&e);
            prop_assume!(expr::parse(&text).as_ref() == Ok(&e));
            let mut def = super::everything();
            let work = &mut def.process.activities[1];
            work.transitions[0].condition = Some(text.clone());
            work.variables.push(Variable {
                name: "generated".to_string(),
                value: Some(text.clone()),
                ..Variable::default()
            });
            work.actions.push(Action {
                name: String::new(),
                condition: Some(text.clone()),
                variables: Vec::new(),
                returns: Vec::new(),
                comment: lit.clone(),
                kind: ActionKind::Service {
                    op: "audit".to_string(),
                    arguments: vec![
                        Argument { name: "a".to_string(), value: text.clone() },
                        Argument { name: "b".to_string(), value: expr::print(&Expr::Str(lit.clone())) },
                    ],
                },
            });
            work.actions.push(Action {
                name: lit.clone(),
                condition: None,
                variables: Vec::new(),
                returns: Vec::new(),
                comment: String::new(),
                kind: ActionKind::Expression { expression: text.clone() },
            });
            work.transitions.push(Transition {
                to: "end".to_string(),
                condition: None,
                comment: lit,
            });
            let xml = bpe::waveset::export_definition(&def);
            let back = bpe::waveset::import(&xml).map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
            prop_assert_eq!(&back.definitions[0], &def);
        }
    }
}

#[test]
fn expressions_xpress_cannot_spell_travel_verbatim() {
    let mut def = everything();
    def.process.activities[1]
        .actions
        .push(action(ActionKind::Expression {
            expression: "(block (i) (s 1) (null) (ref) ${ padded })".to_string(),
        }));
    let xml = round_trip_definition(&def);
    assert!(
        xml.contains("bpeSource='(block (i) (s 1) (null) (ref) ${ padded })'"),
        "{xml}"
    );
}

/// `<Boolean>` (XML Object Language, 820-5821/bvbyj Table 6-1) imports as the Boolean
/// literal `true` / `false` and is written back as `<Boolean>…</Boolean>`; Java's
/// Boolean.valueOf reading makes any other text `false`. `<Date>` (no bpe value) keeps its
/// text as `(Date "…")` and goes back exactly as it came.
#[test]
fn boolean_and_date_objects_import_and_export_back() {
    let xml = "<TaskDefinition name='B'><Extension><WFProcess name='B'>
      <Variable name='yes'><Boolean>true</Boolean></Variable>
      <Variable name='no'><Boolean>FALSE</Boolean></Variable>
      <Variable name='odd'><Boolean>yes</Boolean></Variable>
      <Variable name='when'><Date>20020911 09:15:00</Date></Variable>
      <Activity id='0' name='start'><Transition to='end'/></Activity>
      <Activity id='1' name='end'/>
    </WFProcess></Extension></TaskDefinition>";
    let def = waveset::import(xml).unwrap().definitions.remove(0);
    let value = |n: &str| {
        def.process
            .variables
            .iter()
            .find(|v| v.name == n)
            .and_then(|v| v.value.clone())
            .unwrap()
    };
    assert_eq!(value("yes"), "true");
    assert_eq!(value("no"), "false");
    assert_eq!(value("odd"), "false");
    assert_eq!(value("when"), "(Date \"20020911 09:15:00\")");
    let out = waveset::export_definition(&def);
    assert!(out.contains("<Boolean>true</Boolean>"), "{out}");
    assert!(out.contains("<Boolean>false</Boolean>"), "{out}");
    assert!(out.contains("<Date>20020911 09:15:00</Date>"), "{out}");
    let back = waveset::import(&out).unwrap().definitions.remove(0);
    assert_eq!(back, def);
}
