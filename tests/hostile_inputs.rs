//! Property-based tests over the three readers of outside input (issue 9): the
//! JSON loader, the expression parser and evaluator, and the Waveset XML
//! importer. Generators vary size and depth, up to past every documented limit;
//! the properties: never a panic or stack overflow, errors carry a position,
//! evaluation stays within its budget, no XML entity is ever expanded, and
//! everything bpe writes loads again. Case counts are kept moderate so the
//! suite stays quick in debug builds.

use std::collections::BTreeMap;

use bpe::expr::{self, MAX_NESTING, MAX_VALUE_DEPTH, MapEnv, Value};
use bpe::model::{Rule, TaskDefinition, TaskInstance, User, WorkItem};
use bpe::repo::{self, parse_text};
use proptest::prelude::*;

// ---------------------------------------------------------------- JSON loader

const DEFINITION: &str = include_str!("../sample-repository/TaskDefinition/approval.json");
const RULE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-repository/Rule");

fn a_rule_file() -> String {
    let mut files: Vec<_> = std::fs::read_dir(RULE_DIR)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    std::fs::read_to_string(&files[0]).unwrap()
}

/// A parse result is a value, or an error whose position lies inside the text.
fn positioned<T>(text: &str, r: Result<T, (usize, usize, String)>) -> Result<(), TestCaseError> {
    if let Err((line, column, message)) = r {
        let lines = text.split('\n').count();
        prop_assert!(
            line >= 1 && line <= lines,
            "line {line} of {lines}: {message}"
        );
        prop_assert!(column >= 1, "{message}");
        prop_assert!(!message.is_empty());
    }
    Ok(())
}

fn floor(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `text` with `[start, start+len)` replaced by `insert` repeated `times`.
fn damage(text: &str, start: usize, len: usize, insert: &str, times: usize) -> String {
    let start = floor(text, start);
    let end = floor(text, start + len);
    format!("{}{}{}", &text[..start], insert.repeat(times), &text[end..])
}

/// Nested JSON arrays/objects `depth` deep around a number.
fn deep_json(depth: usize, objects: bool) -> String {
    let (open, close) = if objects {
        ("{\"k\":", "}")
    } else {
        ("[", "]")
    };
    format!("{}1{}", open.repeat(depth), close.repeat(depth))
}

/// A value up to `depth` levels of lists and maps, of modest width.
fn value(depth: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::Int),
        "\\PC{0,12}".prop_map(Value::Str),
    ];
    leaf.prop_recursive(depth, 64, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..4).prop_map(Value::Map),
        ]
    })
}

fn nested_list(levels: usize) -> Value {
    let mut v = Value::Int(1);
    for _ in 0..levels {
        v = Value::List(vec![v]);
    }
    v
}

fn work_item(variables: BTreeMap<String, Value>) -> WorkItem {
    let mut item: WorkItem = serde_json::from_value(serde_json::json!({
        "formatVersion": 1, "id": "wi-1", "instance": "ti-1",
        "definition": {"id": "td-1", "name": "D", "hash": "sha256:00"},
        "activity": "Ask", "activityId": "1", "action": 0, "owner": "tester",
        "created": "2026-01-01T00:00:00.000Z"
    }))
    .unwrap();
    item.variables = variables;
    item
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Cut, repeated or replaced parts of real repository files never panic the
    /// loader; errors are positioned inside the file.
    #[test]
    fn damaged_repository_files_load_or_fail_with_a_position(
        start in 0usize..4000,
        len in 0usize..300,
        insert in prop::sample::select(vec![
            "", "{", "}", "[", "]", "\"", ",", ":", "\\", "\\u", "null", "1e999",
            "\"formatVersion\": 2,", "\u{feff}", "\u{0}", "é", "[[[[[[[[", "{\"a\":",
        ]),
        times in 1usize..200,
    ) {
        let def = damage(DEFINITION, start, len, insert, times);
        positioned(&def, parse_text::<TaskDefinition>(&def))?;
        positioned(&def, parse_text::<TaskInstance>(&def))?;
        let rule = a_rule_file();
        let rule = damage(&rule, start % rule.len(), len, insert, times);
        positioned(&rule, parse_text::<Rule>(&rule))?;
        positioned(&rule, parse_text::<User>(&rule))?;
    }

    /// Nesting far past the reader's limit is an error with a position, never a
    /// stack overflow, wherever it sits in a file.
    #[test]
    fn deep_json_is_refused_with_a_position(
        depth in prop_oneof![0usize..140, 140usize..5000],
        objects in any::<bool>(),
        field in prop::sample::select(vec!["variables", "state", "description", "zzz"]),
    ) {
        let text = format!(
            "{{\"formatVersion\": 1, \"{field}\": {}, \"id\": \"x\"}}",
            deep_json(depth, objects)
        );
        positioned(&text, parse_text::<TaskInstance>(&text))?;
        positioned(&text, parse_text::<WorkItem>(&text))?;
        if depth > 130 {
            prop_assert!(parse_text::<WorkItem>(&text).is_err());
        }
    }

    /// Whatever the engine may store (`check_storable`), a file holding it is
    /// written and loads back equal; whatever it may not is never written.
    #[test]
    fn every_storable_value_is_written_and_loads_back(
        v in value(6),
        levels in 0usize..130,
    ) {
        let dir = tempfile::tempdir().unwrap();
        for v in [v, nested_list(levels)] {
            let storable = bpe::engine::check_storable(&v).is_ok();
            let item = work_item([("v".to_string(), v)].into_iter().collect());
            let written = repo::write_work_item(dir.path(), &item);
            if storable {
                let path = written.map_err(|e| TestCaseError::fail(e.to_string()))?;
                let rel = path.strip_prefix(dir.path()).unwrap();
                let back = repo::parse_file::<WorkItem>(dir.path(), rel)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(back, item);
            } else {
                prop_assert!(levels > MAX_VALUE_DEPTH);
            }
        }
    }
}

// ------------------------------------------------------- expressions

const FUNCTIONS: &[&str] = &[
    "list",
    "concat",
    "add",
    "sub",
    "mult",
    "div",
    "mod",
    "eq",
    "lt",
    "not",
    "and",
    "or",
    "cond",
    "block",
    "while",
    "dolist",
    "set",
    "defvar",
    "append",
    "appendAll",
    "split",
    "pad",
    "get",
    "length",
    "substr",
    "upcase",
    "isnull",
    "notnull",
    "filterdup",
    "map",
    "putmap",
    "ref",
    "break",
    "defun",
    "call",
    "rule",
    "nosuch",
];

/// Random expression text from the language's own vocabulary, `depth` deep at most.
fn expr_text(depth: u32) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (-5i64..200).prop_map(|i| i.to_string()),
        "[a-c]{1,2}".prop_map(|v| format!("${v}")),
        "[a-c ,]{0,4}".prop_map(|s| format!("\"{s}\"")),
        Just("null".to_string()),
        Just("$l[0]".to_string()),
    ];
    leaf.prop_recursive(depth, 48, 4, |inner| {
        (
            prop::sample::select(FUNCTIONS),
            prop::option::of(prop::sample::select(vec!["a", "b", "c", "l", "f"])),
            prop::collection::vec(inner, 0..4),
        )
            .prop_map(|(f, name, args)| {
                let attr = name.map(|n| format!(" name=\"{n}\"")).unwrap_or_default();
                format!("({f}{attr} {})", args.join(" "))
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any expression built from the vocabulary parses or fails with a position,
    /// and one that parses evaluates to a value or an error within a small
    /// budget — loops, growth and recursion included.
    #[test]
    fn generated_expressions_evaluate_within_the_budget(
        text in expr_text(6),
        wrap_loop in any::<bool>(),
    ) {
        let text = if wrap_loop {
            format!("(while 1 (set name=\"l\" (appendAll $l $l (list 1))) {text})")
        } else {
            text
        };
        match expr::parse(&text) {
            Err(e) => prop_assert!(e.offset <= text.len() && e.line >= 1),
            Ok(e) => {
                let mut env = MapEnv::new().with_var("l", Value::List(vec![Value::Int(1)]));
                match expr::eval_with_budget(&e, &mut env, 20_000) {
                    Ok(_) => {}
                    Err(err) => prop_assert!(!err.message.is_empty()),
                }
            }
        }
    }

    /// Nesting up to the parser's limit parses and evaluates without overflowing
    /// the stack; one level more is a positioned error.
    #[test]
    fn deep_expressions_parse_to_the_limit_and_no_further(
        depth in prop_oneof![0usize..8, (MAX_NESTING - 4)..(MAX_NESTING + 40)],
        f in prop::sample::select(vec!["list", "not", "block", "concat", "length"]),
    ) {
        let text = format!("{}1{}", format!("({f} ").repeat(depth), ")".repeat(depth));
        match expr::parse(&text) {
            Ok(e) => {
                prop_assert!(depth <= MAX_NESTING);
                let _ = expr::eval_with_budget(&e, &mut MapEnv::new(), 10_000);
            }
            Err(err) => {
                prop_assert!(depth > MAX_NESTING, "{err}");
                prop_assert!(err.message.contains("nested too deeply"), "{err}");
                prop_assert!(err.line == 1 && err.column >= 1);
            }
        }
    }
}

// --------------------------------------------------------------- Waveset XML

const XML_ELEMENTS: &[&str] = &[
    "Waveset",
    "TaskDefinition",
    "Rule",
    "EmailTemplate",
    "Activity",
    "Action",
    "Transition",
    "Variable",
    "Argument",
    "Return",
    "ExpressionAction",
    "WorkItem",
    "Comments",
    "Extension",
    "ref",
    "s",
    "i",
    "concat",
    "add",
    "list",
    "set",
    "cond",
    "eq",
    "block",
    "xyz",
];
const XML_ATTRS: &[&str] = &[
    "name",
    "id",
    "to",
    "process",
    "application",
    "op",
    "andSplit",
    "x",
];

/// Random Waveset-like XML, `depth` deep at most, with attributes and text
/// that include character and entity references.
fn xml(depth: u32) -> impl Strategy<Value = String> {
    let text = prop::sample::select(vec![
        "",
        "x",
        "&amp;",
        "&lt;b&gt;",
        "&#65;",
        "&#x1F600;",
        "&#0;",
        "&bomb;",
        "<![CDATA[<c>]]>",
        " ",
        "\n",
        "&",
        "]]>",
    ])
    .prop_map(str::to_string);
    text.prop_recursive(depth, 64, 4, |inner| {
        (
            prop::sample::select(XML_ELEMENTS),
            prop::collection::vec((prop::sample::select(XML_ATTRS), "[a-z &;#0-9]{0,6}"), 0..3),
            prop::collection::vec(inner, 0..4),
        )
            .prop_map(|(name, attrs, children)| {
                let attrs: String = attrs.iter().map(|(k, v)| format!(" {k}=\"{v}\"")).collect();
                format!("<{name}{attrs}>{}</{name}>", children.concat())
            })
    })
}

fn import_is_clean(doc: &str) -> Result<(), TestCaseError> {
    if let Err(e) = bpe::waveset::import(doc) {
        prop_assert!(e.line >= 1 && e.column >= 1, "{e}");
        prop_assert!(!e.message.is_empty());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Generated documents import or fail with a position, never panic.
    #[test]
    fn generated_documents_never_panic(body in xml(5), wrap in any::<bool>()) {
        let doc = if wrap {
            format!("<?xml version='1.0'?><Waveset>{body}</Waveset>")
        } else {
            body
        };
        import_is_clean(&doc)?;
    }

    /// Elements nested to any depth are imported or refused cleanly; past the
    /// documented element depth always refused.
    #[test]
    fn deep_documents_are_refused_cleanly(
        depth in prop_oneof![0usize..10, 240usize..300, 300usize..5000],
        name in prop::sample::select(vec!["list", "Activity", "block", "a"]),
    ) {
        let doc = format!(
            "<Waveset><Rule name='r'>{}<i>1</i>{}</Rule></Waveset>",
            format!("<{name}>").repeat(depth),
            format!("</{name}>").repeat(depth)
        );
        import_is_clean(&doc)?;
        if depth > bpe::waveset::MAX_DEPTH {
            prop_assert!(bpe::waveset::import(&doc).is_err());
        }
    }

    /// Entities declared in a DOCTYPE are never expanded, however they nest
    /// (billion laughs, external entities): every use of one is an error naming it.
    #[test]
    fn declared_entities_are_never_expanded(
        levels in 1usize..12,
        fanout in 1usize..10,
        external in any::<bool>(),
        in_attribute in any::<bool>(),
    ) {
        let mut decls = String::from("<!ENTITY e0 \"LAUGH\">");
        for l in 1..levels {
            decls.push_str(&format!("<!ENTITY e{l} \"{}\">", format!("&e{};", l - 1).repeat(fanout)));
        }
        if external {
            decls.push_str("<!ENTITY ext SYSTEM \"file:///etc/passwd\">");
        }
        let top = if external { "ext".to_string() } else { format!("e{}", levels - 1) };
        let body = if in_attribute {
            format!("<Rule name=\"&{top};\"><s>x</s></Rule>")
        } else {
            format!("<Rule name=\"r\"><s>&{top};</s></Rule>")
        };
        let doc = format!("<?xml version='1.0'?><!DOCTYPE Waveset [{decls}]><Waveset>{body}</Waveset>");
        match bpe::waveset::import(&doc) {
            Ok(imported) => {
                let text = format!("{:?}", imported.rules);
                prop_assert!(!text.contains("LAUGH") && !text.contains("root:"), "{text}");
            }
            Err(e) => {
                prop_assert!(e.message.contains(&top), "{e}");
                prop_assert!(e.line >= 1 && e.column >= 1);
            }
        }
    }
}
