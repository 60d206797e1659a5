//! Round trips of the expression syntax over generated ASTs:
//! parse(print(e)) == e and parse(print_pretty(e, w)) == e.

use bpe::expr::{Call, Expr, parse, print, print_pretty};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_.:-]{0,8}"
}

fn text() -> impl Strategy<Value = String> {
    // Quotes, backslashes, control characters, typographic quotes and non-ASCII.
    prop::collection::vec(
        prop_oneof![
            any::<char>(),
            Just('"'),
            Just('\\'),
            Just('\n'),
            Just('\u{201C}'),
            Just('$'),
            Just('('),
            Just(')'),
            Just(' '),
            Just('é'),
        ],
        0..12,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

fn ref_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z_][A-Za-z0-9_]{0,6}(\\.[a-z]{1,4}|\\[[0-9]{1,2}\\])*",
        "[A-Za-zé][A-Za-z0-9 .:'\"(]{0,10}",
        // Any text without '}' (printed as ${…}).
        "[^}]{1,12}",
    ]
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        Just(Expr::Null),
        any::<bool>().prop_map(Expr::Bool),
        any::<i64>().prop_map(Expr::Int),
        (-1000i64..1000).prop_map(Expr::Int),
        text().prop_map(Expr::Str),
        ref_name().prop_map(Expr::Ref),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(6, 64, 6, |inner| {
        (
            name(),
            prop::collection::vec((name(), text()), 0..3),
            prop::collection::vec(inner, 0..5),
        )
            .prop_map(|(name, attrs, args)| {
                // Attribute names are unique within an element (as in XML).
                let mut seen = std::collections::HashSet::new();
                let attrs = attrs
                    .into_iter()
                    .filter(|(k, _)| seen.insert(k.clone()))
                    .collect();
                Expr::Call(Call { name, attrs, args })
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn print_parse_round_trip(e in expr()) {
        let text = print(&e);
        let back = parse(&text).map_err(|err| TestCaseError::fail(format!("{err} in {text}")))?;
        prop_assert_eq!(&back, &e);
        // Printing is a fixed point.
        prop_assert_eq!(print(&back), text);
    }

    #[test]
    fn pretty_round_trip(e in expr(), width in 0usize..100) {
        let text = print_pretty(&e, width);
        let back = parse(&text).map_err(|err| TestCaseError::fail(format!("{err} in {text}")))?;
        prop_assert_eq!(back, e);
    }

    #[test]
    fn parser_never_panics(s in "\\PC{0,40}") {
        // Either a value or an error with a position inside the text.
        if let Err(err) = parse(&s) {
            prop_assert!(err.offset <= s.len());
            prop_assert!(err.span.start == err.offset && err.span.end <= s.len());
            prop_assert!(err.line >= 1 && err.column >= 1);
            prop_assert!(!err.message.is_empty());
        }
    }

    #[test]
    fn parser_never_panics_on_syntax_soup(parts in prop::collection::vec(
        prop_oneof![Just("("), Just(")"), Just("\""), Just("$"), Just("${"), Just("}"),
                    Just("name="), Just("add"), Just("-"), Just("12"), Just(" "), Just("\\"),
                    Just("\\u{"), Just("“"), Just("null"), Just("é")], 0..30)) {
        let s: String = parts.concat();
        if let Err(err) = parse(&s) {
            prop_assert!(err.offset <= s.len() && err.span.end <= s.len());
        }
    }
}

#[test]
fn canonical_text_is_single_line() {
    let e = parse("(concat\n  \"a\nb\"\n  $x)").unwrap();
    assert_eq!(print(&e), r#"(concat "a\nb" $x)"#);
}

#[test]
fn sample_expressions_are_canonical() {
    for src in [
        r#"(cond (eq $decision "approve") "approved" "rejected")"#,
        r#"(concat (downcase (substr $firstName 0 1)) (downcase $lastName))"#,
        r#"(and (notnull $manager) (neq $manager $accountId))"#,
        r#"(rule name="Derive Email" (argument name="first" value="Ada") (argument name="last" $lastName))"#,
        r#"(ref (concat "a" $b))"#,
        r#"(set name="x" (add $x -1 ${display name} $accounts[0].id))"#,
    ] {
        assert_eq!(print(&parse(src).unwrap()), src);
    }
}
