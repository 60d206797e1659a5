//! Evaluator semantics: every function, truthiness and coercion corner cases,
//! budgets, break, scoping, rules, invoke, tracing, hostile input.

use bpe::expr::{Env, MapEnv, RuleDef, Value, eval, eval_rule, eval_with_budget, functions, parse};
use std::collections::BTreeMap;

mod expr_common;
use expr_common::{int, list, map, run_in, s};

fn run(src: &str) -> Value {
    run_in(src, &mut MapEnv::new()).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn fails(src: &str) -> String {
    match run_in(src, &mut MapEnv::new()) {
        Ok(v) => panic!("{src} should fail, gave {v}"),
        Err(e) => e,
    }
}

fn rule(name: &str, args: &[(&str, Option<&str>)], body: &str) -> RuleDef {
    RuleDef {
        name: name.to_string(),
        args: args
            .iter()
            .map(|(a, d)| (a.to_string(), d.map(|d| parse(d).unwrap())))
            .collect(),
        body: parse(body).unwrap(),
        local_scope: false,
    }
}

#[test]
fn literals_and_truthiness() {
    assert_eq!(run("42"), int(42));
    assert_eq!(run("null"), Value::Null);
    assert_eq!(run("\"x\""), s("x"));
    // Only null, 0 and "0" are false (reference, "Logical Expressions");
    // the string "false" and "" are true.
    assert_eq!(run(r#"(cond "false" 1 2)"#), int(1));
    assert_eq!(run(r#"(cond "" 1 2)"#), int(1));
    assert_eq!(run(r#"(cond "0" 1 2)"#), int(2));
    assert_eq!(run("(cond 0 1 2)"), int(2));
    assert_eq!(run("(cond null 1 2)"), int(2));
    assert_eq!(run("(cond -1 1 2)"), int(1));
    assert_eq!(run("(cond (list) 1 2)"), int(1));
}

#[test]
fn arithmetic() {
    assert_eq!(run(r#"(add 40 1 "1")"#), int(42));
    assert_eq!(run(r#"(add 1 null " 2 " "")"#), int(3));
    assert_eq!(run("(add)"), int(0));
    assert_eq!(run("(sub 10 3 2)"), int(5));
    assert_eq!(run("(sub 5)"), int(5));
    assert_eq!(run("(sub null 5 1)"), int(4));
    assert_eq!(run("(mult 2 3 4)"), int(24));
    assert_eq!(run("(div 100 3 2)"), int(16));
    assert_eq!(run("(div -7 2)"), int(-3));
    assert_eq!(run("(mod 17 5)"), int(2));
    assert_eq!(run("(mod -7 3)"), int(-1));
    assert_eq!(run("(mod 100 7 3)"), int(2));
    assert!(fails("(div 1 0)").starts_with("div: division by zero"));
    assert!(fails("(mod 1 0)").starts_with("mod: modulo by zero"));
    assert!(fails("(add 9223372036854775807 1)").contains("add: integer overflow"));
    assert!(fails("(mult 9223372036854775807 2)").contains("overflow"));
    assert!(fails("(div -9223372036854775808 -1)").contains("overflow"));
    assert!(fails("(sub -9223372036854775808 1)").contains("overflow"));
    let e = fails(r#"(add 1 "abc")"#);
    assert!(e.starts_with("add: argument 2 is not an integer"), "{e}");
    assert!(fails("(add (list 1))").contains("not an integer"));
}

#[test]
fn comparisons() {
    assert_eq!(run(r#"(eq 42 "42")"#), int(1));
    assert_eq!(run(r#"(eq "42" 42)"#), int(1));
    // Coerced to the first argument's type: as strings "042" != "42".
    assert_eq!(run(r#"(eq "042" 42)"#), int(0));
    assert_eq!(run(r#"(eq 42 "042")"#), int(1));
    assert_eq!(run(r#"(eq 1 "x")"#), int(0));
    assert_eq!(run("(eq null null)"), int(1));
    assert_eq!(run("(eq 0 null)"), int(0));
    assert_eq!(run(r#"(eq "" null)"#), int(0));
    assert_eq!(run(r#"(eq "a" "A")"#), int(0));
    assert_eq!(run("(eq (list 1 2) (list 1 2))"), int(1));
    assert_eq!(run(r#"(neq 1 "1")"#), int(0));
    assert_eq!(run("(neq 1 2)"), int(1));
    assert_eq!(run(r#"(cmp "a" "b")"#), int(-1));
    assert_eq!(run(r#"(cmp "b" "a")"#), int(1));
    assert_eq!(run(r#"(cmp "a" "a")"#), int(0));
    // Two integers compare as numbers; strings as Java's compareTo ("10" < "9").
    assert_eq!(run("(cmp 10 9)"), int(1));
    assert_eq!(run(r#"(cmp "10" "9")"#), int(-8));
    assert_eq!(run(r#"(cmp null "")"#), int(0));
    assert_eq!(run("(gt 10 9)"), int(1));
    assert_eq!(run(r#"(gt "10" "9")"#), int(1));
    assert_eq!(run("(lt 1 1)"), int(0));
    assert_eq!(run("(lte 1 1)"), int(1));
    assert_eq!(run("(gte 0 1)"), int(0));
    assert_eq!(run("(gt 1 null)"), int(1));
    assert!(fails(r#"(gt "x" 1)"#).starts_with("gt: argument 1 is not an integer"));
    assert!(fails("(cmp 1)").starts_with("cmp: expects 2 argument(s), got 1"));
}

#[test]
fn logic() {
    assert_eq!(run("(and 1 2 3)"), int(3));
    assert_eq!(run(r#"(and 1 "x")"#), s("x"));
    assert_eq!(run("(and 1 null 3)"), int(0));
    assert_eq!(run("(and)"), int(1));
    // Short circuit: the division by zero is never evaluated.
    assert_eq!(run("(and 0 (div 1 0))"), int(0));
    assert_eq!(run(r#"(or 0 null "x" (div 1 0))"#), s("x"));
    assert_eq!(run("(or 0 null)"), int(0));
    assert_eq!(run("(or)"), int(0));
    assert_eq!(run("(not 0)"), int(1));
    assert_eq!(run(r#"(not "false")"#), int(0));
    assert_eq!(run("(not null)"), int(1));
    assert_eq!(run("(isnull null)"), int(1));
    assert_eq!(run("(isnull 0)"), int(0));
    assert_eq!(run("(notnull 0)"), int(1));
    assert_eq!(run(r#"(isTrue "true")"#), int(1));
    assert_eq!(run(r#"(isTrue "TRUE")"#), int(1));
    assert_eq!(run(r#"(isTrue "false")"#), int(0));
    assert_eq!(run(r#"(isTrue "1")"#), int(1));
    assert_eq!(run(r#"(isTrue "yes")"#), int(0));
    assert_eq!(run("(isTrue 5)"), int(1));
    assert_eq!(run(r#"(isFalse "false")"#), int(1));
    assert_eq!(run("(isFalse null)"), int(1));
    assert_eq!(run("(isFalse 0)"), int(1));
    assert_eq!(run("(isFalse 1)"), int(0));
    assert_eq!(run(r#"(select null null "b" (div 1 0))"#), s("b"));
    assert_eq!(run("(select null)"), Value::Null);
    // "the first non-null (and non-zero) value" (Waveset 8.1.1, select Function, bvbwk)
    assert_eq!(run("(select 0 1)"), int(1));
}

#[test]
fn cond_and_switch() {
    assert_eq!(run(r#"(cond 1 "a" "b")"#), s("a"));
    assert_eq!(run(r#"(cond 0 "a")"#), Value::Null);
    assert!(fails("(cond 1)").starts_with("cond: expects 2 to 3"));
    let sw = |v: &str| {
        run(&format!(
            r#"(switch {v} (case default="true" "other") (case "a" "first") (case 2 "two" "second") (case (list "x" "y") "x or y"))"#
        ))
    };
    assert_eq!(sw(r#""a""#), s("first"));
    assert_eq!(sw("2"), s("second"));
    assert_eq!(sw(r#""2""#), s("second"));
    assert_eq!(sw(r#""y""#), s("x or y"));
    assert_eq!(sw(r#""zz""#), s("other"));
    assert_eq!(run(r#"(switch 9 (case 1 "one"))"#), Value::Null);
    assert!(fails(r#"(switch 1 "x")"#).contains("must be (case"));
    assert!(fails("(case 1)").contains("only valid"));
}

#[test]
fn blocks_set_defvar() {
    let mut env = MapEnv::new().with_var("x", int(1));
    assert_eq!(
        run_in(r#"(block (set name="x" (add $x 1)) $x)"#, &mut env).unwrap(),
        int(2)
    );
    assert_eq!(env.vars["x"], int(2));
    // A block ending in set is null.
    assert_eq!(
        run_in(r#"(block (set name="y" 5))"#, &mut env).unwrap(),
        Value::Null
    );
    assert_eq!(env.vars["y"], int(5));
    assert_eq!(run("(block)"), Value::Null);
    // defvar shadows the Env and never reaches it.
    assert_eq!(
        run_in(
            r#"(block (defvar name="x" 100) (set name="x" (add $x 1)) $x)"#,
            &mut env
        )
        .unwrap(),
        int(101)
    );
    assert_eq!(env.vars["x"], int(2));
    // defvar is scoped to its block.
    assert_eq!(
        run_in(r#"(block (block (defvar name="t" 7)) $t)"#, &mut env).unwrap(),
        Value::Null
    );
    assert!(!env.vars.contains_key("t"));
    // Inner blocks see and assign the outer local.
    assert_eq!(
        run_in(
            r#"(block (defvar name="n" 1) (block (set name="n" 5)) $n)"#,
            &mut env
        )
        .unwrap(),
        int(5)
    );
    // Top-level defvar lives for the whole expression.
    assert_eq!(
        run_in(r#"(list (defvar name="q" 3) $q)"#, &mut env).unwrap(),
        list(vec![int(3)])
    );
    assert!(fails("(set 1)").contains("missing attribute name="));
}

#[test]
fn paths() {
    let mut env = MapEnv::new()
        .with_var(
            "user",
            map(&[(
                "waveset",
                map(&[
                    ("email", s("ada@example.com")),
                    ("roles", list(vec![s("a"), s("b")])),
                ]),
            )]),
        )
        .with_var("accounts", list(vec![map(&[("id", s("ad1"))]), s("x")]))
        .with_var("dotted.name", int(9))
        .with_var("display name", s("Ada"));
    let mut get = |p: &str| run_in(p, &mut env).unwrap();
    assert_eq!(get("$user.waveset.email"), s("ada@example.com"));
    assert_eq!(get("$user.waveset.roles[1]"), s("b"));
    assert_eq!(get("$user.waveset.roles.0"), s("a"));
    assert_eq!(get("$accounts[0].id"), s("ad1"));
    assert_eq!(get("$accounts[5]"), Value::Null);
    assert_eq!(get("$user.nothing.here"), Value::Null);
    assert_eq!(get("$missing.x"), Value::Null);
    assert_eq!(get("$dotted.name"), int(9));
    assert_eq!(get("${display name}"), s("Ada"));
    assert_eq!(get(r#"(ref (concat "acc" "ounts[0].id"))"#), s("ad1"));
    assert_eq!(get(r#"(ref "display name")"#), s("Ada"));

    run_in(r#"(set name="user.waveset.email" "new@x")"#, &mut env).unwrap();
    run_in(r#"(set name="accounts[3]" 1)"#, &mut env).unwrap();
    run_in(r#"(set name="fresh.a[1].b" 2)"#, &mut env).unwrap();
    assert_eq!(run_in("$user.waveset.email", &mut env).unwrap(), s("new@x"));
    assert_eq!(
        run_in("$accounts", &mut env).unwrap(),
        list(vec![map(&[("id", s("ad1"))]), s("x"), Value::Null, int(1)])
    );
    assert_eq!(
        env.vars["fresh"],
        map(&[("a", list(vec![Value::Null, map(&[("b", int(2))])]))])
    );
    let e = run_in(r#"(set name="accounts[1].k" 1)"#, &mut env).unwrap_err();
    assert!(e.starts_with("set: cannot set key 'k' inside \"x\""), "{e}");
    assert!(fails("(ref null)").contains("ref: the variable name evaluated to null"));
}

#[test]
fn loops_and_break() {
    assert_eq!(
        run(r#"(dolist name="el" (list 1 2 3) (mult $el 10))"#),
        list(vec![int(10), int(20), int(30)])
    );
    assert_eq!(run(r#"(dolist name="el" null $el)"#), list(vec![]));
    assert_eq!(run(r#"(dolist name="el" 5 $el)"#), list(vec![int(5)]));
    assert_eq!(
        run(r#"(dolist name="k" (map "b" 1 "a" 2) $k)"#),
        list(vec![s("a"), s("b")])
    );
    assert_eq!(
        run(r#"(dolist name="el" (list 1 2) (set name="z" $el))"#),
        list(vec![Value::Null, Value::Null])
    );
    // while tests first, returns its last body value.
    let mut env = MapEnv::new().with_var("i", int(0));
    assert_eq!(
        run_in(
            r#"(while (lt $i 5) (set name="i" (add $i 1)) $i)"#,
            &mut env
        )
        .unwrap(),
        int(5)
    );
    assert_eq!(run("(while 0 (div 1 0))"), Value::Null);
    // break leaves the innermost block / loop with its value.
    assert_eq!(run(r#"(block 1 (break "out") 2)"#), s("out"));
    assert_eq!(run("(block 1 (break) 2)"), Value::Null);
    assert_eq!(
        run(r#"(dolist name="el" (list 1 2 3) (cond (eq $el 2) (break "stopped") $el))"#),
        s("stopped")
    );
    assert_eq!(
        run(
            r#"(block (defvar name="i" 0) (while 1 (set name="i" (add $i 1)) (cond (gt $i 3) (break $i))))"#
        ),
        int(4)
    );
    // Named break skips inner blocks.
    assert_eq!(
        run(r#"(block name="outer" (block (break name="outer" "o") "inner") "after")"#),
        s("o")
    );
    assert_eq!(
        run(r#"(block name="outer" (block name="inner" (break name="inner" "i") 1) "after")"#),
        s("after")
    );
    assert_eq!(
        run(r#"(block name="w" (while 1 (dolist name="x" (list 1 2) (break name="w" 7))))"#),
        int(7)
    );
    // and / or are left by break.
    assert_eq!(run(r#"(and 1 (break "b") 3)"#), s("b"));
    assert_eq!(run(r#"(or 0 (break "b") 3)"#), s("b"));
    // A named break with no target is an error; an unnamed one ends the expression.
    assert!(fails(r#"(block (break name="nope" 1))"#).contains("no enclosing block"));
    assert_eq!(run(r#"(add 1 (break 5))"#), int(5));
}

#[test]
fn strings() {
    assert_eq!(run(r#"(concat "a" 1 null "b")"#), s("a1b"));
    assert_eq!(run(r#"(concat "l=" (list 1 "x"))"#), s(r#"l=[1,"x"]"#));
    assert_eq!(run("(concat)"), s(""));
    assert_eq!(run(r#"(upcase "straße")"#), s("STRASSE"));
    assert_eq!(run(r#"(downcase "ÉCOLE")"#), s("école"));
    assert_eq!(run("(upcase null)"), Value::Null);
    assert_eq!(run("(upcase 12)"), s("12"));
    assert_eq!(run(r#"(trim "  a b \n")"#), s("a b"));
    assert_eq!(run(r#"(ltrim "  a ")"#), s("a "));
    assert_eq!(run(r#"(rtrim "  a ")"#), s("  a"));
    assert_eq!(run(r#"(substr "héllo" 1 3)"#), s("éll"));
    assert_eq!(run(r#"(substr "hello" 2)"#), s("llo"));
    assert_eq!(run(r#"(substr "hello" 10 2)"#), s(""));
    assert_eq!(run(r#"(substr "hello" -3 2)"#), s("he"));
    assert_eq!(run(r#"(substr "hello" 3 100)"#), s("lo"));
    assert_eq!(run("(substr null 0 1)"), Value::Null);
    assert_eq!(run(r#"(indexOf "héllo" "l")"#), int(2));
    assert_eq!(run(r#"(indexOf "héllo" "l" 3)"#), int(3));
    assert_eq!(run(r#"(indexOf "hello" "z")"#), int(-1));
    assert_eq!(run(r#"(indexOf "hello" "l" 99)"#), int(-1));
    assert_eq!(run(r#"(indexOf (list "a" 2 "c") "2")"#), int(1));
    assert_eq!(run(r#"(indexOf (list "a" "2") 2)"#), int(1));
    assert_eq!(run(r#"(indexOf (list "a" "02") 2)"#), int(-1));
    assert_eq!(run(r#"(indexOf (list "a" 2 "c") 2)"#), int(1));
    assert_eq!(run(r#"(indexOf null "a")"#), int(-1));
    assert_eq!(run(r#"(length "héllo")"#), int(5));
    assert_eq!(run("(length (array 1 null))"), int(2));
    assert_eq!(run("(length (list 1 null))"), int(1));
    assert_eq!(run(r#"(length (map "a" 1))"#), int(1));
    assert_eq!(run("(length null)"), int(0));
    assert_eq!(run("(length 1234)"), int(4));
    assert_eq!(
        run(r#"(split "a,b,,c" ",")"#),
        list(vec![s("a"), s("b"), s(""), s("c")])
    );
    assert_eq!(run(r#"(split "ab" "")"#), list(vec![s("a"), s("b")]));
    assert_eq!(run(r#"(split "" ",")"#), list(vec![]));
    assert_eq!(run(r#"(split null ",")"#), list(vec![]));
    assert_eq!(run(r#"(pad "ab" 5)"#), s("ab   "));
    assert_eq!(run(r#"(pad "ab" 4 "0")"#), s("ab00"));
    assert_eq!(run(r#"(pad "abcdef" 3)"#), s("abcdef"));
    assert!(fails(r#"(pad "a" 3 "")"#).contains("pad: the padding character is empty"));
    assert!(fails(r#"(pad "a" 999999999999)"#).contains("too large"));
    assert_eq!(run(r#"(contains "hello" "ell")"#), int(1));
    assert_eq!(run(r#"(contains "hello" "x")"#), int(0));
    assert_eq!(run(r#"(contains (list 1 2) "2")"#), int(1));
    assert_eq!(run(r#"(contains (map "k" 1) "k")"#), int(1));
    assert_eq!(run(r#"(contains null "k")"#), int(0));
}

#[test]
fn lists_and_maps() {
    assert_eq!(run("(list 1 null 2)"), list(vec![int(1), int(2)]));
    assert_eq!(
        run("(array 1 null 2)"),
        list(vec![int(1), Value::Null, int(2)])
    );
    assert_eq!(run("(list (list 1))"), list(vec![list(vec![int(1)])]));
    assert_eq!(
        run(r#"(map "a" 1 "b" (list 2))"#),
        map(&[("a", int(1)), ("b", list(vec![int(2)]))])
    );
    assert!(fails(r#"(map "a")"#).starts_with("map: expects key/value pairs"));
    // A null key drops its entry (reference bvbyu; see tests/expr_reference.rs).
    assert_eq!(run("(map null 1)"), map(&[]));
    assert_eq!(
        run("(append (list 1) 2 null 3)"),
        list(vec![int(1), int(2), int(3)])
    );
    assert_eq!(run("(append null 1)"), list(vec![int(1)]));
    assert_eq!(run("(append 0 1)"), list(vec![int(0), int(1)]));
    assert_eq!(
        run("(appendAll (list 1) (array 2 null) 3 null)"),
        list(vec![int(1), int(2), Value::Null, int(3)])
    );
    assert_eq!(
        run("(filterdup (list 1 2 1 3 2))"),
        list(vec![int(1), int(2), int(3)])
    );
    assert_eq!(
        run("(filternull (array 1 null 2))"),
        list(vec![int(1), int(2)])
    );
    assert_eq!(run("(filternull null)"), Value::Null);
    assert!(fails("(filterdup 1)").starts_with("filterdup: expects a list"));
    assert_eq!(run("(get (list 1 2 3) 1)"), int(2));
    assert_eq!(run(r#"(get (list 1 2 3) "2")"#), int(3));
    assert_eq!(run("(get (list 1) 5)"), Value::Null);
    assert_eq!(run("(get (list 1) -1)"), Value::Null);
    assert_eq!(run(r#"(get (map "a" 1) "a")"#), int(1));
    assert_eq!(run(r#"(get null "a")"#), Value::Null);
    assert_eq!(
        run(r#"(setlist (list "a" "b") 1 "B")"#),
        list(vec![s("a"), s("B")])
    );
    assert_eq!(
        run("(setlist null 2 1)"),
        list(vec![Value::Null, Value::Null, int(1)])
    );
    assert!(fails("(setlist (list) -1 1)").contains("setlist: bad index"));
    assert_eq!(
        run(r#"(putmap (map "a" 1) "b" 2)"#),
        map(&[("a", int(1)), ("b", int(2))])
    );
    assert_eq!(run(r#"(putmap null "k" 1)"#), map(&[("k", int(1))]));
    assert!(fails(r#"(putmap (list) "k" 1)"#).starts_with("putmap: expects a map"));
}

#[test]
fn in_place_list_forms_mutate_the_variable() {
    let mut env = MapEnv::new().with_var("l", list(vec![int(1)]));
    assert_eq!(
        run_in(r#"(append name="l" 2 null)"#, &mut env).unwrap(),
        Value::Null
    );
    assert_eq!(env.vars["l"], list(vec![int(1), int(2)]));
    run_in(r#"(appendAll name="l" (list 3 4))"#, &mut env).unwrap();
    run_in(r#"(setlist name="l" 0 "z")"#, &mut env).unwrap();
    assert_eq!(env.vars["l"], list(vec![s("z"), int(2), int(3), int(4)]));
    run_in(r#"(putmap name="m" "k" 1)"#, &mut env).unwrap();
    assert_eq!(env.vars["m"], map(&[("k", int(1))]));
    // Locals are mutated in place too, and never leak to the Env.
    assert_eq!(
        run_in(
            r#"(block (defvar name="acc") (dolist name="x" (list 1 2) (append name="acc" $x)) $acc)"#,
            &mut env
        )
        .unwrap(),
        list(vec![int(1), int(2)])
    );
    assert!(!env.vars.contains_key("acc"));
}

#[test]
fn defun_and_call() {
    assert_eq!(
        run(
            r#"(block (defun name="twice" (defarg name="n") (mult $n 2)) (call name="twice" (argument name="n" 21)))"#
        ),
        int(42)
    );
    // Defaults, literal value= arguments.
    assert_eq!(
        run(
            r#"(block (defun name="greet" (defarg name="who" "world") (defarg name="p" (concat $who "!")) (concat "hi " $p)) (list (call name="greet") (call name="greet" (argument name="who" value="Ada"))))"#
        ),
        list(vec![s("hi world!"), s("hi Ada!")])
    );
    // Recursion.
    assert_eq!(
        run(
            r#"(block (defun name="fact" (defarg name="n") (cond (lte $n 1) 1 (mult $n (call name="fact" (argument name="n" (sub $n 1)))))) (call name="fact" (argument name="n" 10)))"#
        ),
        int(3_628_800)
    );
    // Function bodies do not see the caller's locals, but do see the Env.
    let mut env = MapEnv::new().with_var("g", int(5));
    assert_eq!(
        run_in(
            r#"(block (defvar name="hidden" 1) (defun name="f" (list $hidden $g)) (call name="f"))"#,
            &mut env
        )
        .unwrap(),
        list(vec![int(5)])
    );
    // break ends a function with its value.
    assert_eq!(
        run(r#"(block (defun name="f" (break 3) 4) (call name="f"))"#),
        int(3)
    );
    assert!(fails(r#"(call name="nope")"#).contains("call: unknown function 'nope'"));
    assert!(
        fails(r#"(block (defun name="f" 1) (call name="f" (argument name="x" 1)))"#)
            .contains("has no argument 'x'")
    );
    assert!(
        fails(r#"(block (defun name="f" 1) (call name="f" 5))"#)
            .contains("takes 0 argument(s), got 1 positional")
    );
    // Unbounded recursion is an error, not a stack overflow.
    let e = fails(r#"(block (defun name="f" (call name="f")) (call name="f"))"#);
    assert!(e.contains("nested deeper"), "{e}");
}

#[test]
fn rules() {
    let mut env = MapEnv::new()
        .with_var("lastName", s("Lovelace"))
        .with_var("last", s("Env"))
        .with_var("domain", s("example.com"))
        .with_rule(rule(
            "Derive Email",
            &[("first", None), ("last", None), ("sep", Some(r#"".""#))],
            r#"(concat (downcase $first) $sep (downcase $last) "@" $domain)"#,
        ))
        .with_rule(rule(
            "Loop",
            &[],
            r#"(rule name="Loop")"#,
        ))
        .with_rule(rule("Calls Other", &[], r#"(rule name="Derive Email" (argument name="first" value="X") (argument name="last" value="Y"))"#));
    assert_eq!(
        run_in(
            r#"(rule name="Derive Email" (argument name="first" value="Ada") (argument name="last" $lastName))"#,
            &mut env
        )
        .unwrap(),
        s("ada.lovelace@example.com")
    );
    // Computed name: the first non-argument child.
    assert_eq!(
        run_in(
            r#"(rule (concat "Derive " "Email") (argument name="first" value="A") (argument name="last" value="B") (argument name="sep" value="_"))"#,
            &mut env
        )
        .unwrap(),
        s("a_b@example.com")
    );
    assert_eq!(
        run_in(r#"(rule name="Calls Other")"#, &mut env).unwrap(),
        s("x.y@example.com")
    );
    // Declared but not passed, no default: resolved through the Env.
    assert_eq!(
        run_in(
            r#"(rule name="Derive Email" (argument name="first" value="A"))"#,
            &mut env
        )
        .unwrap(),
        s("a.env@example.com")
    );
    // The caller's locals are invisible to the rule body.
    assert_eq!(
        run_in(
            r#"(block (defvar name="domain" "local.test") (defvar name="last" "Local") (rule name="Derive Email" (argument name="first" value="A")))"#,
            &mut env
        )
        .unwrap(),
        s("a.env@example.com")
    );
    let e = run_in(r#"(rule name="Nope")"#, &mut env).unwrap_err();
    assert_eq!(e, "rule: unknown rule 'Nope'");
    let e = run_in(r#"(rule name="Loop")"#, &mut env).unwrap_err();
    assert!(e.contains("nested deeper"), "{e}");
    assert!(
        run_in("(rule)", &mut env)
            .unwrap_err()
            .contains("missing rule name")
    );
    // Errors inside a rule name the rule.
    env.add_rule(rule("Bad", &[], "(div 1 0)"));
    assert_eq!(
        run_in(r#"(rule name="Bad")"#, &mut env).unwrap_err(),
        "div: division by zero (in rule 'Bad')"
    );
    // The rule tester entry point.
    let r = env.rules["Derive Email"].clone();
    assert_eq!(
        eval_rule(
            &r,
            &[("first".into(), s("Q")), ("last".into(), s("R"))],
            &mut env,
            1000
        )
        .unwrap(),
        s("q.r@example.com")
    );
}

#[test]
fn invoke_registry() {
    assert_eq!(
        run(r#"(invoke name="sha256" "abc")"#),
        s("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    assert_eq!(
        run(r#"(invoke name="formatDate" "2026-11-27" "%Y%m%d")"#),
        s("20261127")
    );
    assert_eq!(run(r#"(invoke name="isoWeek" "2026-11-27")"#), int(48));
    assert_eq!(
        run(r#"(get (invoke name="jsonDecode" "{\"a\": [5]}") "a")"#),
        list(vec![int(5)])
    );
    assert_eq!(
        run(r#"(invoke name="jsonEncode" (map "k" (array 1 null)))"#),
        s(r#"{"k":[1,null]}"#)
    );
    let e = fails(r#"(invoke name="system" "rm -rf /")"#);
    assert!(e.starts_with("invoke: no host function 'system'"), "{e}");
    assert!(fails(r#"(invoke name="sha256")"#).contains("sha256 expects"));
    assert!(fails(r#"(invoke name="formatDate" "x" "%Y")"#).contains("is not a date"));
    assert!(fails("(invoke)").contains("missing attribute name="));
}

#[test]
fn refused_and_unknown() {
    let e = fails(r#"(script "return 1;")"#);
    assert!(e.starts_with("script: embedded scripts"), "{e}");
    assert_eq!(fails("(frobnicate 1)"), "unknown function 'frobnicate'");
    assert!(fails("(argument name=\"a\")").contains("only valid"));
    assert!(fails("(defarg name=\"a\")").contains("only valid"));
}

#[test]
fn budget_stops_runaway_loops() {
    let e = parse("(while 1 (add 1 1))").unwrap();
    let err = eval_with_budget(&e, &mut MapEnv::new(), 10_000).unwrap_err();
    assert!(
        err.message.contains("budget of 10000 calls exhausted"),
        "{}",
        err.message
    );
    // The default budget also ends it.
    assert!(
        eval(&e, &mut MapEnv::new())
            .unwrap_err()
            .message
            .contains("budget")
    );
    // Exactly enough budget: add + two literals is one call.
    let small = parse("(add (add 1 2) 3)").unwrap();
    assert_eq!(
        eval_with_budget(&small, &mut MapEnv::new(), 2).unwrap(),
        int(6)
    );
    assert!(eval_with_budget(&small, &mut MapEnv::new(), 1).is_err());
    // Budgets are shared with rule bodies.
    let mut env = MapEnv::new().with_rule(rule("Spin", &[], "(while 1 1)"));
    assert!(
        run_in(r#"(rule name="Spin")"#, &mut env)
            .unwrap_err()
            .contains("budget")
    );
}

#[test]
fn growth_is_bounded_by_the_budget() {
    // Exponential growth through copies ends with a budget error, not an
    // out-of-memory abort.
    for src in [
        r#"(block (defvar name="l" (list 1)) (while 1 (set name="l" (list $l $l))))"#,
        r#"(block (defvar name="l" (list 1)) (while 1 (set name="l" (appendAll $l $l))))"#,
        r#"(block (defvar name="s" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") (while 1 (set name="s" (concat $s $s))))"#,
        r#"(while 1 (setlist null 1000000 1))"#,
        r#"(while 1 (split (pad "" 100000 "a") ""))"#,
    ] {
        // A smaller budget keeps the test quick; the bound is the same shape.
        let e = eval_with_budget(&parse(src).unwrap(), &mut MapEnv::new(), 100_000)
            .unwrap_err()
            .message;
        assert!(
            e.contains("budget") || e.contains("longer than"),
            "{src}: {e}"
        );
    }
    // Values cannot nest without bound (they must stay persistable).
    let e = fails(r#"(block (defvar name="l") (while 1 (set name="l" (list $l 1))))"#);
    assert!(e.contains("nested deeper than 100 levels"), "{e}");
    assert_eq!(
        run(r#"(block (defvar name="l") (dolist name="i" (split (pad "" 99 "a") "") (set name="l" (list $l))) $l)"#)
            .to_json()
            .to_string()
            .matches('[')
            .count(),
        99
    );
    // In-place accumulation into a local is linear: 5,000 appends cost about
    // 3 units each.
    let e = parse(r#"(block (defvar name="acc") (dolist name="i" (split (pad "" 5000 "a") "") (append name="acc" $i)) (length $acc))"#).unwrap();
    assert_eq!(
        eval_with_budget(&e, &mut MapEnv::new(), 20_000).unwrap(),
        int(5000)
    );
}

#[test]
fn tracing_goes_to_the_env() {
    let mut env = MapEnv::new().with_var("x", int(41));
    let v = run_in(
        r#"(block (add 1 1) (block trace="true" (cond (gt (add $x 1) 10) "big" "small")))"#,
        &mut env,
    )
    .unwrap();
    assert_eq!(v, s("big"));
    assert_eq!(
        env.traces,
        vec![
            "    (add 41 1) -> 42".to_string(),
            "  (gt 42 10) -> 1".to_string(),
            "(cond 1 \"big\") -> \"big\"".to_string(),
        ]
    );
    // Long values are cut.
    let mut env = MapEnv::new();
    run_in(r#"(block trace="true" (pad "x" 5000))"#, &mut env).unwrap();
    assert!(env.traces[0].ends_with('…'), "{}", env.traces[0]);
    assert!(env.traces[0].chars().count() < 300);
    // Errors are traced too, and nothing is traced outside the block.
    let mut env = MapEnv::new();
    assert!(run_in(r#"(block trace="true" (div 1 0))"#, &mut env).is_err());
    assert_eq!(
        env.traces,
        vec!["(div 1 0) -> error: div: division by zero".to_string()]
    );
}

#[test]
fn deep_nesting_is_safe() {
    // At the parser's nesting limit, evaluation works on a small stack.
    let depth = bpe::expr::MAX_NESTING;
    let src = format!("{}1{}", "(add ".repeat(depth), ")".repeat(depth));
    let e = parse(&src).unwrap();
    let v = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || eval(&e, &mut MapEnv::new()).map_err(|e| e.message))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(v, Ok(int(1)));
    // Mutual recursion through rules is stopped by depth, on a small stack.
    let r = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let mut env = MapEnv::new()
                .with_rule(rule("A", &[], r#"(block (list (rule name="B")))"#))
                .with_rule(rule("B", &[], r#"(cond 1 (rule name="A"))"#));
            run_in(r#"(rule name="A")"#, &mut env)
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(r.unwrap_err().contains("nested deeper"));
    // The same with tracing on (bigger frames), and a rule recursing through
    // its argument list.
    let r = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let mut env = MapEnv::new().with_rule(rule(
                "A",
                &[],
                r#"(switch 1 (case 1 (rule name="A" (argument name="x" (rule name="A")))))"#,
            ));
            let r = run_in(r#"(block trace="true" (rule name="A"))"#, &mut env);
            (r, env.traces.len())
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(r.0.unwrap_err().contains("nested deeper"));
    assert!(r.1 > 200);
    // Deep ASTs built in code (not through the parser) with calls of defuns.
    let r = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            run_in(
                r#"(block (defun name="f" (defarg name="n") (cond (gt $n 0) (add 1 (call name="f" (argument name="n" (sub $n 1)))) 0)) (call name="f" (argument name="n" 100000)))"#,
                &mut MapEnv::new(),
            )
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(r.unwrap_err().contains("nested deeper"));
}

#[test]
fn env_trait_objects_work_with_custom_envs() {
    // An Env with layered scopes, like the engine's: set goes to the scope
    // that holds the name.
    struct Layered {
        scopes: Vec<BTreeMap<String, Value>>,
        lines: Vec<String>,
    }
    impl Env for Layered {
        fn get_var(&self, name: &str) -> Option<Value> {
            self.scopes.iter().rev().find_map(|s| s.get(name).cloned())
        }
        fn set_var(&mut self, name: &str, value: Value) {
            let idx = self
                .scopes
                .iter()
                .rposition(|s| s.contains_key(name))
                .unwrap_or(self.scopes.len() - 1);
            self.scopes[idx].insert(name.to_string(), value);
        }
        fn rule(&self, _: &str) -> Option<std::sync::Arc<RuleDef>> {
            None
        }
        fn trace(&mut self, line: String) {
            self.lines.push(line);
        }
    }
    let mut env = Layered {
        scopes: vec![
            BTreeMap::from([("case".to_string(), int(1))]),
            BTreeMap::new(),
        ],
        lines: vec![],
    };
    let e = parse(r#"(block (set name="case" 2) (set name="act" 3) (add $case $act))"#).unwrap();
    assert_eq!(eval(&e, &mut env).unwrap(), int(5));
    assert_eq!(env.scopes[0]["case"], int(2));
    assert_eq!(env.scopes[1]["act"], int(3));
}

#[test]
fn every_known_function_is_evaluable() {
    // No function in the table falls through to "unknown function".
    for f in functions() {
        let src = format!("({})", f.name);
        if let Err(e) = run_in(&src, &mut MapEnv::new()) {
            assert!(!e.starts_with("unknown function"), "{}: {e}", f.name);
        }
    }
}

/// `<Rule localScope='true'>`: the body sees its arguments and defaults only; a caller's
/// variable reads as null, an assignment stays inside the rule, and a rule it calls without
/// localScope sees the Env again.
#[test]
fn local_scope_rule_is_sealed_from_the_env() {
    let mut sealed = rule(
        "Sealed",
        &[("a", None), ("d", Some("\"dflt\""))],
        "(block (set name=\"outer\" \"changed\") (list $a $d $outer $missing (rule name=\"Open\")))",
    );
    sealed.local_scope = true;
    let mut env = MapEnv::new()
        .with_var("outer", s("caller"))
        .with_var("missing", s("caller"))
        .with_rule(sealed)
        .with_rule(rule("Open", &[], "$missing"));
    assert_eq!(
        run_in(r#"(rule name="Sealed" (argument name="a" 1))"#, &mut env).unwrap(),
        list(vec![int(1), s("dflt"), s("changed"), s("caller")])
    );
    assert_eq!(run_in("$outer", &mut env).unwrap(), s("caller"));
}

/// `call` with positional arguments: plain children bind to the defargs in order, next to
/// named (argument …) children; too many, or one given twice, is an error.
#[test]
fn call_binds_positional_arguments_to_defargs_in_order() {
    let def = r#"(defun name="f" (defarg name="a") (defarg name="b" "B") (concat $a "-" $b))"#;
    let run = |call: &str| run_in(&format!("(block {def} {call})"), &mut MapEnv::new());
    assert_eq!(run(r#"(call name="f" "x" "y")"#).unwrap(), s("x-y"));
    assert_eq!(run(r#"(call name="f" "x")"#).unwrap(), s("x-B"));
    assert_eq!(
        run(r#"(call name="f" "x" (argument name="b" "z"))"#).unwrap(),
        s("x-z")
    );
    assert!(
        run(r#"(call name="f" "x" "y" "z")"#)
            .unwrap_err()
            .contains("takes 2")
    );
    assert!(
        run(r#"(call name="f" "x" (argument name="a" "z"))"#)
            .unwrap_err()
            .contains("twice")
    );
}
