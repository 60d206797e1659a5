//! Hostile and broken input: a clear error with line and column, bounded work, no crash.

use bpe::waveset::{self, ImportError};

fn error(xml: &str) -> ImportError {
    match waveset::import(xml) {
        Ok(imported) => panic!("expected an error, got {imported:?}"),
        Err(e) => e,
    }
}

const HEAD: &str = "<?xml version='1.0' encoding='UTF-8'?>\n";

#[test]
fn unclosed_element_names_it_and_where_it_opened() {
    let xml = format!(
        "{HEAD}<TaskDefinition name='x'>\n  <Extension>\n    <WFProcess name='x'>\n      <Activity name='start'>\n"
    );
    let e = error(&xml);
    assert!(e.message.contains("not closed"), "{e}");
    assert!(e.message.contains("<Activity>"), "{e}");
    assert!(e.message.contains("5:7"), "opened at line 5 col 7: {e}");
}

#[test]
fn unterminated_tag() {
    let e = error(&format!("{HEAD}<Rule name='r'>\n<i>1</i>\n<Rule name='x'"));
    assert!(e.message.contains("tag not closed"), "{e}");
    assert_eq!(e.line, 4, "{e}");
}

#[test]
fn mismatched_end_tag() {
    let e = error(&format!(
        "{HEAD}<Rule name='r'>\n  <add><i>1</i></sub>\n</Rule>"
    ));
    assert!(
        e.message.contains("</sub>") && e.message.contains("<add>"),
        "{e}"
    );
    assert_eq!(e.line, 3, "{e}");
}

#[test]
fn unquoted_attribute_value() {
    let e = error(&format!("{HEAD}<Rule name=r>\n<i>1</i></Rule>"));
    assert!(e.message.contains("not quoted"), "{e}");
    assert_eq!((e.line, e.column), (2, 12), "{e}");
}

#[test]
fn typographic_quotes_get_a_hint() {
    // As printed in the original's documentation.
    let xml =
        format!("{HEAD}<WFProcess name='p'>\n<Activity name=’Wait’>\n</Activity></WFProcess>");
    let e = error(&xml);
    assert!(
        e.message
            .contains("typographic quote — replace with ' or \""),
        "{e}"
    );
    assert_eq!(e.line, 3, "{e}");
    let xml = "<?xml version=“1.0”?>\n<Rule name='r'><i>1</i></Rule>";
    let e = error(xml);
    assert!(e.message.contains("typographic quote"), "{e}");
    // Inside text and inside properly quoted values they are just characters.
    let ok = waveset::import("<Rule name='“r”'><s>‘quoted’</s></Rule>").unwrap();
    assert_eq!(ok.rules[0].name, "“r”");
    assert_eq!(ok.rules[0].body, "\"‘quoted’\"");
}

#[test]
fn external_entity_is_never_resolved() {
    let xml = format!(
        "{HEAD}<!DOCTYPE Rule [\n  <!ENTITY x SYSTEM \"file:///etc/passwd\">\n]>\n<Rule name='r'>\n  <s>&x;</s>\n</Rule>\n"
    );
    let e = error(&xml);
    assert!(e.message.contains("&x;"), "{e}");
    assert!(!e.message.contains("root:"), "{e}");
    assert_eq!(e.line, 6, "{e}");
    // In an attribute value too.
    let xml = format!(
        "{HEAD}<!DOCTYPE Rule [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<Rule name='&x;'><i>1</i></Rule>"
    );
    let e = error(&xml);
    assert!(e.message.contains("&x;"), "{e}");
    assert_eq!(e.line, 3, "{e}");
}

#[test]
fn billion_laughs_is_an_error_not_an_explosion() {
    let mut xml = String::from(HEAD);
    xml.push_str("<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    for i in 1..=9 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        xml.push_str(&format!(
            " <!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    xml.push_str("]>\n<Rule name='r'><s>&lol9;</s></Rule>\n");
    let e = error(&xml);
    assert!(e.message.contains("&lol9;"), "{e}");
}

#[test]
fn predefined_entities_and_character_references_work() {
    let xml = "<Rule name='a &amp; b &#x41;'><s>&lt;&gt;&amp;&apos;&quot;&#65;&#x42;</s></Rule>";
    let ok = waveset::import(xml).unwrap();
    assert_eq!(ok.rules[0].name, "a & b A");
    assert_eq!(ok.rules[0].body, "\"<>&'\\\"AB\"");
    let e = error("<Rule name='r'><s>&#xD800;</s></Rule>");
    assert!(e.message.contains("character reference"), "{e}");
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let depth = 100_000;
    let xml = format!(
        "<Rule name='r'>{}{}</Rule>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let e = error(&xml);
    assert!(e.message.contains("nested deeper"), "{e}");
}

#[test]
fn oversized_input_is_refused_up_front() {
    let xml = format!(
        "<Rule name='r'><s>{}</s></Rule>",
        "x".repeat(waveset::MAX_INPUT_BYTES)
    );
    let e = error(&xml);
    assert!(e.message.contains("limit"), "{e}");
}

#[test]
fn fifty_megabytes_import_or_fail_cleanly() {
    // A 50 MB document of many small objects imports...
    let filler = "abcdefghij".repeat(100);
    let rule = format!("<Rule name='r{{}}'><concat><s>{filler}</s><ref>x</ref></concat></Rule>\n");
    let one = rule.len();
    let n = 50 * 1024 * 1024 / one;
    let mut xml = String::with_capacity(50 * 1024 * 1024 + 64);
    xml.push_str("<Waveset>\n");
    for i in 0..n {
        xml.push_str(&rule.replace("{}", &i.to_string()));
    }
    xml.push_str("</Waveset>\n");
    assert!(xml.len() > 50 * 1024 * 1024);
    let ok = waveset::import(&xml).unwrap();
    assert_eq!(ok.rules.len(), n);
    // ... and truncated before its end it fails with the position of the problem.
    xml.truncate(xml.len() - "</Waveset>\n".len());
    let e = error(&xml);
    assert!(e.message.contains("<Waveset>"), "{e}");
    assert_eq!(e.line, n + 2, "{e}");
}

#[test]
fn structural_errors_have_positions() {
    let cases: &[(&str, &str, usize)] = &[
        ("", "no element", 1),
        (
            "<Rule name='r'><i>1</i></Rule><Rule name='s'/>",
            "second root",
            1,
        ),
        ("text<Rule/>", "outside the root", 1),
        ("<Form name='f'/>", "not an object bpe imports", 1),
        ("<Rule>\n<i>1</i></Rule>", "non-empty name", 1),
        ("<Rule name='r'>\n  <i>one</i></Rule>", "not an integer", 2),
        (
            "<Rule name='r'>\n  <s><i>1</i></s></Rule>",
            "cannot hold elements",
            2,
        ),
        (
            "<Rule name='r'>\n  <add>1 2</add></Rule>",
            "unexpected text inside <add>",
            2,
        ),
        (
            "<Rule name='r'>\n  <i>1</i><i>2</i></Rule>",
            "several expressions",
            1,
        ),
        (
            "<WFProcess name='p'>\n<Activity name='a'>\n<Action application='com.waveset.session.WorkflowServices'/></Activity></WFProcess>",
            "needs <Argument name='op'",
            3,
        ),
        (
            "<WFProcess name='p'>\n<Activity name='a'/>\n<Activity name='a'/></WFProcess>",
            "a second activity named 'a'",
            3,
        ),
        (
            "<TaskDefinition name='t'>\n</TaskDefinition>",
            "has no <Extension><WFProcess>",
            1,
        ),
        ("<WFProcess name='p' maxSteps='lots'/>", "not an integer", 1),
        (
            "<WFProcess name='p'>\n<Variable name='v' value='1'><i>2</i></Variable></WFProcess>",
            "both a value attribute and an expression",
            2,
        ),
        (
            "<?xml version='1.0' encoding='ISO-8859-1'?>\n<Rule name='r'/>",
            "convert the file to UTF-8",
            1,
        ),
    ];
    for (xml, needle, line) in cases {
        let e = error(xml);
        assert!(e.message.contains(needle), "{xml:?}: {e}");
        assert_eq!(e.line, *line, "{xml:?}: {e}");
        assert!(e.column >= 1, "{xml:?}: {e}");
    }
}

mod fuzz {
    use proptest::prelude::*;

    const FIXTURE: &str = include_str!("fixtures/waveset/create-user.xml");

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Cutting, duplicating or replacing any part of a real document never
        /// panics: the result is an import or an error with a position.
        #[test]
        fn damaged_documents_never_panic(
            start in 0usize..FIXTURE.len(),
            len in 0usize..200,
            insert in prop::sample::select(vec![
                "", "<", ">", "&", "&x;", "'", "\"", "’", "</Activity>", "<Action>",
                "<s>", "<i>x</i>", "<!--", "]]>", "\u{0}", "<![CDATA[",
            ]),
        ) {
            let mut start = start;
            while !FIXTURE.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + len).min(FIXTURE.len());
            while !FIXTURE.is_char_boundary(end) {
                end -= 1;
            }
            let damaged = format!("{}{}{}", &FIXTURE[..start], insert, &FIXTURE[end..]);
            match bpe::waveset::import(&damaged) {
                Ok(_) => {}
                Err(e) => {
                    prop_assert!(e.line >= 1 && e.column >= 1, "{e}");
                    prop_assert!(!e.message.is_empty());
                }
            }
        }

        /// Arbitrary text never panics either.
        #[test]
        fn arbitrary_text_never_panics(text in "[<>/a-zA-Z='\" &;#!?\\[\\]\n-]{0,300}") {
            let _ = bpe::waveset::import(&text);
        }
    }
}

/// What bpe cannot run is not an error: a custom Java application and an element bpe
/// does not execute inside an action are kept verbatim, with a positioned warning
/// (the whole document still imports).
#[test]
fn actions_bpe_cannot_run_are_warnings_not_errors() {
    for (xml, message, line) in [
        (
            "<WFProcess name='p'>\n<Activity name='a'>\n<Action application='com.example.Custom'/></Activity></WFProcess>",
            "application 'com.example.Custom' is a Java class bpe does not run",
            3,
        ),
        (
            "<WFProcess name='p'>\n<Activity name='a'>\n<Action>\n<Script>x</Script></Action></Activity></WFProcess>",
            "<Script> (an embedded script) inside <Action> is not executed by bpe",
            3,
        ),
    ] {
        let imported = waveset::import(xml).unwrap_or_else(|e| panic!("{xml}: {e}"));
        let w = &imported.warnings;
        assert!(
            w.iter()
                .any(|w| w.message.contains(message) && w.line == line),
            "{xml}: {w:?}"
        );
        let action = &imported.definitions[0].process.activities[0].actions[0];
        let bpe::model::ActionKind::Unsupported { xml: kept, .. } = &action.kind else {
            panic!("{xml}: {action:?}");
        };
        assert!(
            xml.contains(kept.as_str()) && kept.starts_with("<Action"),
            "{kept}"
        );
    }
}
