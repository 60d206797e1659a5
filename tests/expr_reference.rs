//! Functions checked against the worked examples of the Waveset reference:
//! Sun Identity Manager 8.1 Deployment Reference, chapter "XPRESS Language".
//! Each test names the page its expected values are copied from.

use bpe::expr::{MapEnv, Value, eval, parse};

fn run(src: &str) -> Value {
    let e = parse(src).unwrap_or_else(|err| panic!("parse {src}: {err}"));
    eval(&e, &mut MapEnv::new()).unwrap_or_else(|e| panic!("{src}: {e}"))
}

mod expr_common;
use expr_common::s;

/// "substr Function", https://docs.oracle.com/cd/E19225-01/820-5821/6nh6l8vku/index.html
#[test]
fn substr_child_and_attribute_forms() {
    // "these two invocations are equivalent ... Both functions return the string lo W."
    assert_eq!(run(r#"(substr "Hello World" 3 4)"#), s("lo W"));
    assert_eq!(run(r#"(substr s="3" l="4" "Hello World")"#), s("lo W"));
    // "The following expression returns <s>Now</s>."
    assert_eq!(run(r#"(substr "Now is the time" 0 3)"#), s("Now"));
    // "the start attribute is missing, but is assumed to be 0" --> Hell
    assert_eq!(run(r#"(substr l="4" "Hello World")"#), s("Hell"));
    // "A missing length argument causes the function to extract the rest of the string."
    assert_eq!(run(r#"(substr "Hello World" 3)"#), s("lo World"));
    assert_eq!(run(r#"(substr s="3" "Hello World")"#), s("lo World"));
    // Only the string: "the start is assumed to be the beginning of the string".
    assert_eq!(run(r#"(substr "Hello World")"#), s("Hello World"));
}

/// "String Manipulation Expressions", https://docs.oracle.com/cd/E19225-01/820-5821/bvbtb/index.html
#[test]
fn string_manipulation_examples() {
    // concat: "The following expression returns <s>Now is the time</s>."
    assert_eq!(
        run(r#"(concat "Now " "is " "the " "time")"#),
        s("Now is the time")
    );
    // downcase: "The following expression returns <s>abc</s>."
    assert_eq!(run(r#"(downcase "ABC")"#), s("abc"));
    // length, Example 1: "The following expression returns 2."
    assert_eq!(run(r#"(length (list "apples" "oranges"))"#), Value::Int(2));
    // ltrim: "The following expression returns <s>hello</s>."
    assert_eq!(run(r#"(ltrim " hello")"#), s("hello"));
    // pad: " email" padded with spaces to the desired length 10.
    assert_eq!(run(r#"(pad " email" 10)"#), s(" email    "));
    // indexOf: "The following function returns 3." (abcabc, abc, from position 1;
    // the page writes the start as <s>l</s>, which we read as the digit 1).
    assert_eq!(run(r#"(indexOf "abcabc" "abc" 1)"#), Value::Int(3));
}

/// "Logical Expressions" / "cmp Function",
/// https://docs.oracle.com/cd/E19225-01/820-5821/bvbrp/index.html and
/// http://docs.oracle.com/cd/E19225-01/820-5821/bvbrt/index.html
#[test]
fn cmp_and_ncmp_return_what_the_reference_says() {
    // Example 1: "The following expression returns -1." (<i>20</i> <i>100</i>)
    assert_eq!(run("(cmp 20 100)"), Value::Int(-1));
    // Example 2: "The following expression returns -16." (bob, ray);
    // "if r were compared to b, the value returned would be 16."
    assert_eq!(run(r#"(cmp "bob" "ray")"#), Value::Int(-16));
    assert_eq!(run(r#"(cmp "ray" "bob")"#), Value::Int(16));
    // Example 3: "The following expression returns 0 (zero)."
    assert_eq!(run(r#"(cmp "daryl" "daryl")"#), Value::Int(0));
    // ncmp: the case-insensitive variant.
    assert_eq!(run(r#"(ncmp "DARYL" "daryl")"#), Value::Int(0));
    assert_eq!(run(r#"(ncmp "Bob" "RAY")"#), Value::Int(-16));
    assert_eq!(run(r#"(cmp "Bob" "bob")"#), Value::Int(-32));
    // A prefix compares by length.
    assert_eq!(run(r#"(cmp "dar" "daryl")"#), Value::Int(-2));
}

/// "Logical Expressions" / "and Function",
/// https://docs.oracle.com/cd/E19225-01/820-5821/bvbrp/index.html
#[test]
fn and_with_nulls_and_string_zero() {
    // Example 1: "The following expression returns zero." (42, cat, null)
    assert_eq!(run(r#"(and 42 "cat" null)"#), Value::Int(0));
    // Example 2: "The following expression returns cat."
    assert_eq!(run(r#"(and 42 "cat")"#), s("cat"));
    // "Zero (<i>0</i> or <s>0</s>) and <null> are considered logically false."
    assert_eq!(run(r#"(and 42 "0" "cat")"#), Value::Int(0));
    assert_eq!(run(r#"(not "0")"#), Value::Int(1));
    assert_eq!(run(r#"(cond "0" "yes" "no")"#), s("no"));
    assert_eq!(run(r#"(or "0" 0 null "x")"#), s("x"));
}

/// "Value Constructor Expressions", http://docs.oracle.com/cd/E19225-01/820-5821/bvbqo/index.html;
/// "List Manipulation Expressions", https://docs.oracle.com/cd/E19225-01/820-5821/6nh6l8vla/index.html;
/// "appendAll Function", http://docs.oracle.com/cd/E19225-01/820-5821/bvbuj/index.html;
/// "filterdup Function" (bvbut) and "filternull Function" (bvbuw).
#[test]
fn list_examples() {
    let l = |items: &[&str]| Value::List(items.iter().map(|x| s(x)).collect());
    // array: "Null values are not filtered." list: "Null values will be filtered."
    assert_eq!(
        run(r#"(array "apples" null "oranges")"#),
        Value::List(vec![s("apples"), Value::Null, s("oranges")])
    );
    assert_eq!(
        run(r#"(list "apples" null "oranges")"#),
        l(&["apples", "oranges"])
    );
    // append, Example 1: a copy of srclist with one element appended; the
    // original "is not modified".
    let mut env = MapEnv::new().with_var("srclist", l(&["apples"]));
    let e =
        parse(r#"(block (defvar name="copy" (append $srclist "oranges")) (list $copy $srclist))"#)
            .unwrap();
    assert_eq!(
        eval(&e, &mut env).unwrap(),
        Value::List(vec![l(&["apples", "oranges"]), l(&["apples"])])
    );
    // append, Example 2: with name= "The list is modified without being copied."
    let e = parse(
        r#"(block (set name="somelist" (list "We" "say")) (append name="somelist" "Hello" "World") $somelist)"#,
    )
    .unwrap();
    assert_eq!(
        eval(&e, &mut MapEnv::new()).unwrap(),
        l(&["We", "say", "Hello", "World"])
    );
    // appendAll, Example 2: "adds three elements to the list stored in the variable srclist".
    let mut env = MapEnv::new().with_var("srclist", l(&["figs"]));
    let e = parse(r#"(appendAll name="srclist" (list "apples" "oranges" "peaches"))"#).unwrap();
    eval(&e, &mut env).unwrap();
    assert_eq!(
        env.vars["srclist"],
        l(&["figs", "apples", "oranges", "peaches"])
    );
    // filterdup, Example 1: "This expression returns the following list." apples, oranges
    assert_eq!(
        run(r#"(filterdup (list "apples" "oranges" "apples"))"#),
        l(&["apples", "oranges"])
    );
    // filternull: "returns a single list removing all null elements"
    assert_eq!(
        run(r#"(filternull (array "apples" null "oranges" null))"#),
        l(&["apples", "oranges"])
    );
    // Example 2 of both: "manipulate an existing list rather than creating a new list."
    let mut env = MapEnv::new().with_var(
        "namedlist",
        Value::List(vec![s("a"), Value::Null, s("b"), s("a")]),
    );
    let e = parse(r#"(block (filterdup name="namedlist") (filternull name="namedlist"))"#).unwrap();
    assert_eq!(eval(&e, &mut env).unwrap(), Value::Null);
    assert_eq!(env.vars["namedlist"], l(&["a", "b"]));
    // length, Example 2 states 11 for "Hello world!", which has 12 characters.
    assert_eq!(run(r#"(length "Hello world!")"#), Value::Int(12));
}

/// "Arithmetic Expressions", Oracle Waveset 8.1.1 Deployment Reference,
/// https://docs.oracle.com/cd/E19225-01/821-0378/bvbre/index.html;
/// "Data Types", http://docs.oracle.com/cd/E19225-01/820-5821/bvbyc/index.html
#[test]
fn arithmetic_examples_with_strings_and_nulls() {
    // add: "Arguments that are not integers are coerced to integers."
    // "The following expression results in an integer (42)." <i>40</i> <i>1</i> <s>1</s>
    assert_eq!(run(r#"(add 40 1 "1")"#), Value::Int(42));
    // div: <i>84</i> <i>2</i> -> 42
    assert_eq!(run("(div 84 2)"), Value::Int(42));
    // mod: <i>142</i> <i>100</i> -> 42; "Arguments of type null are ignored."
    assert_eq!(run("(mod 142 100)"), Value::Int(42));
    assert_eq!(run("(mod 142 null 100)"), Value::Int(42));
    // mult: <i>7</i> <i>3</i> <i>2</i> -> 42
    assert_eq!(run("(mult 7 3 2)"), Value::Int(42));
    // sub: <i>50</i> <i>6</i> <i>2</i> -> 42
    assert_eq!(run("(sub 50 6 2)"), Value::Int(42));
    // Data Types: "a null value ... is ignored in arithmetic expressions."
    assert_eq!(run(r#"(add null "40" null 2)"#), Value::Int(42));
    assert_eq!(run(r#"(sub 50 null "8")"#), Value::Int(42));
    assert_eq!(run("(mult null 21 2)"), Value::Int(42));
    assert_eq!(run("(div 84 null 2)"), Value::Int(42));
}

/// "Logical Expressions" / "eq Function" / "neq Function",
/// https://docs.oracle.com/cd/E19225-01/820-5821/bvbrx/index.html and
/// https://docs.oracle.com/cd/E19225-01/821-0378/bvbsr/index.html
#[test]
fn eq_and_neq_with_more_than_two_arguments() {
    // eq: "The function can take multiple arguments, although typically it has
    // only two. The data type of the first argument defines how the equality
    // test is performed." Returns "1– statement is logically true".
    assert_eq!(run(r#"(eq "engineering" "engineering")"#), Value::Int(1));
    assert_eq!(run(r#"(eq 42 "42" 42)"#), Value::Int(1));
    assert_eq!(run(r#"(eq 42 "42" 43)"#), Value::Int(0));
    assert_eq!(run(r#"(eq "a" "a" "a" "b")"#), Value::Int(0));
    // neq: "Its behavior is simply the negation of the equality test
    // performed by the eq function."
    assert_eq!(run(r#"(neq "role" "management")"#), Value::Int(1));
    assert_eq!(run(r#"(neq 42 "42" 42)"#), Value::Int(0));
    assert_eq!(run(r#"(neq 42 "42" 43)"#), Value::Int(1));
}

/// "select Function", Oracle Waveset 8.1.1 Deployment Reference,
/// https://docs.oracle.com/cd/E19225-01/821-0378/bvbwk/index.html
#[test]
fn select_returns_first_non_null_non_zero() {
    // "Returns the first non-null (and non-zero) value in a list."
    assert_eq!(run(r#"(select null 0 "context")"#), s("context"));
    assert_eq!(run(r#"(select null "first" "second")"#), s("first"));
    // "... until one returns true or all items are exhausted."
    assert_eq!(run("(select null 0)"), Value::Null);
    // The rest is not evaluated once a value is found.
    assert_eq!(run(r#"(select "x" (div 1 0))"#), s("x"));
}

/// "isnull Function" (http://docs.oracle.com/cd/E19225-01/820-5821/bvbsh/index.html) and
/// "notnull Function" (https://docs.oracle.com/cd/E19225-01/820-5821/6nh6l8vjq/index.html)
#[test]
fn isnull_and_notnull_examples() {
    // isnull, Example 2: "The following expression returns 0." <isnull> <i>0</i> </isnull>
    assert_eq!(run("(isnull 0)"), Value::Int(0));
    assert_eq!(run("(isnull null)"), Value::Int(1));
    // notnull, Example 1: "1 if the firstname has been set or 0 (zero) if firstname is null."
    let mut env = MapEnv::new().with_var("firstname", s("Ada"));
    assert_eq!(
        eval(&parse("(notnull $firstname)").unwrap(), &mut env).unwrap(),
        Value::Int(1)
    );
    let mut env = MapEnv::new().with_var("firstname", Value::Null);
    assert_eq!(
        eval(&parse("(notnull $firstname)").unwrap(), &mut env).unwrap(),
        Value::Int(0)
    );
    // notnull, Example 2: "The value of the following expression is 0 because the value is null."
    assert_eq!(run("(notnull null)"), Value::Int(0));
}

/// "Object Manipulation Expressions", https://docs.oracle.com/cd/E19225-01/820-5821/bvbxd/index.html
/// — setvar: "Set the value on the variable. This function accepts a static variable name."
/// Example: `<setvar><ref>var</ref><s>text</s></setvar>`; name= as in Example 4-20
/// ("Using the LocalScope Option in Workflows", 820-5821/6nh6l8vd9).
#[test]
fn setvar_takes_a_static_variable_name() {
    assert_eq!(
        run(r#"(block (defvar name="var") (setvar $var "text") $var)"#),
        s("text")
    );
    assert_eq!(
        run(r#"(block (defvar name="email") (setvar name="email" "a@b") $email)"#),
        s("a@b")
    );
    // Static: the first child names the variable, it is not evaluated to find the name.
    assert_eq!(
        run(r#"(block (defvar name="var" "other") (setvar $var "text") $var)"#),
        s("text")
    );
    let e = parse(r#"(setvar (concat "v") "text")"#).unwrap();
    let err = eval(&e, &mut MapEnv::new()).unwrap_err();
    assert!(err.message.contains("must be static"), "{err}");
}

/// "XML Object Language and Corresponding XPRESS", Table 6-1,
/// https://docs.oracle.com/cd/E19225-01/820-5821/bvbyj/index.html: `<Boolean>true</Boolean>`
/// stands next to `<i>1</i>` and `<Boolean>false</Boolean>` next to `<i>0</i>`. bpe's
/// literals `true` / `false` are that Java Boolean: as true as they say, equal to 1 / 0 and to
/// the strings "true" / "false", counted as 1 / 0 in arithmetic, printed as true / false.
#[test]
fn boolean_literals_are_the_java_boolean_of_table_6_1() {
    assert_eq!(run("true"), Value::Bool(true));
    assert_eq!(run("false"), Value::Bool(false));
    assert_eq!(run("(eq true 1)"), Value::Int(1));
    assert_eq!(run("(eq false 0)"), Value::Int(1));
    assert_eq!(run(r#"(eq true "true")"#), Value::Int(1));
    assert_eq!(run(r#"(eq false "true")"#), Value::Int(0));
    assert_eq!(run("(add true true 1)"), Value::Int(3));
    assert_eq!(run(r#"(cond false "yes" "no")"#), s("no"));
    assert_eq!(run(r#"(concat "is " true)"#), s("is true"));
    assert_eq!(run("(not false)"), Value::Int(1));
}

/// `<Date>` (XML Object Language, 820-5821/bvbyj) has no bpe value: evaluating the kept
/// object is an error that names it and says how to write a date instead.
#[test]
fn a_date_object_is_an_error_when_evaluated() {
    let e = parse(r#"(Date "20020911 09:15:00")"#).unwrap();
    let err = eval(&e, &mut MapEnv::new()).unwrap_err().message;
    assert!(
        err.starts_with("Date: the Waveset Date object <Date>20020911 09:15:00</Date>"),
        "{err}"
    );
    assert!(err.contains("\"2002-09-11\""), "{err}");
}

/// "Defining Map Objects with XML Object Syntax and XPRESS",
/// https://docs.oracle.com/cd/E19225-01/820-5821/bvbyu/index.html: "The even-numbered
/// expressions define map keys, and odd-numbered expressions define map values. If any key
/// expression evaluates to null, the entry is ignored." The page's map: name Jeff, phone
/// 338-1818.
#[test]
fn map_pairs_keys_and_values_and_ignores_a_null_key() {
    let jeff = Value::Map(
        [("name", "Jeff"), ("phone", "338-1818")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), s(v)))
            .collect(),
    );
    assert_eq!(run(r#"(map "name" "Jeff" "phone" "338-1818")"#), jeff);
    assert_eq!(
        run(r#"(map "name" "Jeff" null "ignored" "phone" "338-1818" $nokey 1)"#),
        jeff
    );
}

/// "Object Manipulation Expressions", https://docs.oracle.com/cd/E19225-01/820-5821/bvbxd/index.html:
/// get — "If the first argument is a list, then the second argument is an integer list index.
/// The element at that index is returned"; a Map's second argument is a String key.
/// putmap — "Assigns map elements to an object", example `<putmap><ref>userView</ref>
/// <s>waveset.role</s><s>engineering</s></putmap>`: the map the variable holds gets the entry.
/// setlist — "Assigns list elements to an object" (list, index, value); the page's example
/// index `<i>s</i>` is not an integer, so index 0 stands in for it here.
#[test]
fn get_putmap_and_setlist_as_the_object_manipulation_page_says() {
    assert_eq!(run(r#"(get (list "a" "b" "c") 1)"#), s("b"));
    assert_eq!(run(r#"(get (list "a" "b" "c") "2")"#), s("c"));
    assert_eq!(
        run(r#"(get (map "waveset.role" "engineering") "waveset.role")"#),
        s("engineering")
    );
    let mut env = MapEnv::new().with_var("userView", Value::Map(Default::default()));
    let put = parse(r#"(putmap $userView "waveset.role" "engineering")"#).unwrap();
    eval(&put, &mut env).unwrap();
    let read = parse(r#"(get $userView "waveset.role")"#).unwrap();
    assert_eq!(eval(&read, &mut env).unwrap(), s("engineering"));
    let mut env = MapEnv::new().with_var("myList", Value::List(vec![s("x"), s("y")]));
    let set = parse(r#"(setlist $myList 0 "accounts")"#).unwrap();
    assert_eq!(
        eval(&set, &mut env).unwrap(),
        Value::List(vec![s("accounts"), s("y")])
    );
    let read = parse("$myList").unwrap();
    assert_eq!(
        eval(&read, &mut env).unwrap(),
        Value::List(vec![s("accounts"), s("y")])
    );
}

/// "switch Function", https://docs.oracle.com/cd/E19225-01/820-5821/6nh6l8vnn/index.html:
/// "The following expression returns apples." — the default case comes first, then A, then B;
/// "If no match is found, the <switch> evaluates to the <case> element where default='true'."
#[test]
fn switch_example_returns_apples() {
    let cases = r#"(case default="true" "unknown") (case "A" "apples") (case "B" "oranges")"#;
    assert_eq!(run(&format!(r#"(switch "A" {cases})"#)), s("apples"));
    assert_eq!(run(&format!(r#"(switch "B" {cases})"#)), s("oranges"));
    assert_eq!(run(&format!(r#"(switch "Z" {cases})"#)), s("unknown"));
}

/// "block Function", http://docs.oracle.com/cd/E19225-01/820-5821/6nh6l8vna/index.html:
/// "The block returns a value of 42, the value of its last argument." and "The <set> function
/// does not return a value. If the last line in a block statement involves a set operation,
/// the block statement will not return a value."
#[test]
fn block_returns_its_last_value_and_nothing_after_a_set() {
    assert_eq!(
        run(r#"(block "Hello there!" (add 100 2) 42)"#),
        Value::Int(42)
    );
    assert_eq!(
        run(r#"(block (defvar name="x") (set name="x" 5))"#),
        Value::Null
    );
    assert_eq!(
        run(r#"(block (defvar name="x") (set name="x" 5) $x)"#),
        Value::Int(5)
    );
}

/// "XML Syntax and Example", http://docs.oracle.com/cd/E19225-01/820-5821/6nh6l8vg7/index.html:
/// "the classic Hello World program, which is written in XPRESS as follows:
/// <print><s>Hello World!</s></print>". "Tracing XPRESS Evaluation",
/// http://docs.oracle.com/cd/E19225-01/820-5821/bvbqk/index.html: Waveset sends the output to
/// "the standard output device"; bpe's is the trace output. A `<block trace='true'>` traces,
/// and "The trace messages include the names of the functions, the values of each argument,
/// and the return values."
#[test]
fn print_writes_hello_world_and_block_trace_shows_names_arguments_and_results() {
    let mut env = MapEnv::new();
    let e = parse(r#"(print "Hello World!")"#).unwrap();
    assert_eq!(eval(&e, &mut env).unwrap(), Value::Null);
    assert_eq!(env.traces, ["Hello World!"]);

    let mut env = MapEnv::new();
    let e = parse(r#"(block trace="true" (add 100 2))"#).unwrap();
    assert_eq!(eval(&e, &mut env).unwrap(), Value::Int(102));
    assert!(
        env.traces.iter().any(|l| l.contains("(add 100 2) -> 102")),
        "{:?}",
        env.traces
    );

    // A long line is cut, and every argument is still evaluated.
    let mut env = MapEnv::new().with_var("n", Value::Int(0));
    let e = parse(r#"(block (print (pad "x" 5000) (set name="n" 1)) $n)"#).unwrap();
    assert_eq!(eval(&e, &mut env).unwrap(), Value::Int(1));
    assert_eq!(env.traces[0].chars().count(), 1001);
}

fn l(items: &[&str]) -> Value {
    Value::List(items.iter().map(|x| s(x)).collect())
}

fn run_with(src: &str, env: &mut MapEnv) -> Value {
    let e = parse(src).unwrap_or_else(|err| panic!("parse {src}: {err}"));
    eval(&e, env).unwrap_or_else(|e| panic!("{src}: {e}"))
}

/// "cond Function", Oracle Waveset 8.1.1 Deployment Reference,
/// https://docs.oracle.com/cd/E19225-01/821-0378/bvbwe/index.html
#[test]
fn cond_selects_the_second_or_third_argument_and_null_without_a_third() {
    // "If the value of the condition is logically true, the value of the cond will be the
    // value of the second argument. If the value of the condition is false, the value of
    // the cond will be the value of the third argument."
    let page = r#"(cond (gt $age 40) "old" "young")"#;
    let mut env = MapEnv::new().with_var("age", Value::Int(41));
    assert_eq!(run_with(page, &mut env), s("old"));
    let mut env = MapEnv::new().with_var("age", Value::Int(40));
    assert_eq!(run_with(page, &mut env), s("young"));
    // "If the value of the condition is false, and the third argument not present, the
    // value of the cond is null."
    let mut env = MapEnv::new().with_var("age", Value::Int(7));
    assert_eq!(
        run_with(r#"(cond (gt $age 40) "old")"#, &mut env),
        Value::Null
    );
}

/// "while Function", Oracle Waveset 8.1.1 Deployment Reference,
/// http://docs.oracle.com/cd/E19225-01/821-0378/6nlef5j1u/index.html
#[test]
fn while_repeats_until_the_condition_is_false_and_the_page_example_returns_null() {
    // "The following expression returns null." The loop counts counter down to 0; its
    // last expression is a <set>, which "does not return a value" (block Function).
    let page = r#"(while (gt $counter 0) (set name="counter" (sub $counter 1)))"#;
    let mut env = MapEnv::new().with_var("counter", Value::Int(3));
    assert_eq!(run_with(page, &mut env), Value::Null);
    // "The loop terminates when the conditional is logically false."
    assert_eq!(run_with("$counter", &mut env), Value::Int(0));
    // "The value of the while expression is the value of the last expression in the loop
    // during the last iteration."
    let mut env = MapEnv::new().with_var("counter", Value::Int(2));
    let last = r#"(while (gt $counter 0) (set name="counter" (sub $counter 1)) (concat "left " $counter))"#;
    assert_eq!(run_with(last, &mut env), s("left 0"));
}

/// "break Function", Oracle Waveset 8.1.1 Deployment Reference,
/// http://docs.oracle.com/cd/E19225-01/821-0378/bvbwb/index.html
#[test]
fn break_ends_the_loop_and_gives_its_value_to_the_containing_expression() {
    // Example 1: "the dolist function iterates over the elements of a list looking for
    // value 000" and "The value of the break expression becomes the value of the
    // containing expression."
    let example1 = r#"(dolist name="el" $list (cond (eq $el "000") (break $el)) null)"#;
    let mut env = MapEnv::new().with_var("list", l(&["123", "000", "456"]));
    assert_eq!(run_with(example1, &mut env), s("000"));
    // Without a match no break runs: "The value of the dolist function is a list formed by
    // concatenating the values that are returned by the last subexpression in each
    // iteration" (here null each time).
    let mut env = MapEnv::new().with_var("list", l(&["123", "456"]));
    let none = run_with(example1, &mut env);
    assert!(
        matches!(&none, Value::List(items) if items.iter().all(|v| *v == Value::Null)),
        "{none:?}"
    );
    // Example 2: "When the value 000 is found, both loops are terminated by referencing the
    // block name outer block in the break expression." (The page compares el, the outer
    // element, as printed; the inner loop variable el2 is what holds 000.)
    let example2 = r#"(block name="outer block"
        (dolist name="el" $listOfLists
          (dolist name="el2" $el
            (cond (eq $el2 "000") (break name="outer block" $el2)))
          null))"#;
    let mut env = MapEnv::new().with_var(
        "listOfLists",
        Value::List(vec![l(&["1", "2"]), l(&["3", "000", "4"]), l(&["5"])]),
    );
    assert_eq!(run_with(example2, &mut env), s("000"));
}

/// "dolist": the break Function page states its value, Oracle Waveset 8.1.1 Deployment
/// Reference, http://docs.oracle.com/cd/E19225-01/821-0378/bvbwb/index.html
#[test]
fn dolist_returns_the_list_of_each_iterations_last_value() {
    // "The value of the dolist function is a list formed by concatenating the values that
    // are returned by the last subexpression in each iteration."
    let mut env = MapEnv::new().with_var("srclist", l(&["a", "b"]));
    assert_eq!(
        run_with(r#"(dolist name="x" $srclist (upcase $x))"#, &mut env),
        l(&["A", "B"])
    );
}

/// "or Function", Oracle Waveset 8.1.1 Deployment Reference,
/// http://docs.oracle.com/cd/E19225-01/821-0378/bvbsv/index.html
#[test]
fn or_returns_zero_or_the_first_true_argument() {
    // Example 1: "The following expression returns 0, which is logically false."
    assert_eq!(run("(or 0 0)"), Value::Int(0));
    // Example 2: "The following expression returns the string cat, which is also logically
    // true."
    assert_eq!(run(r#"(or 0 "cat")"#), s("cat"));
}

/// "isTrue Function", Oracle Waveset 8.1.1 Deployment Reference,
/// https://docs.oracle.com/cd/E19225-01/821-0378/bvbsi/index.html
#[test]
fn is_true_reads_the_strings_true_and_false() {
    // "Used when referencing Boolean values that are represented with the strings true and
    // false rather than the number 0 and 1." Example: "The following expression returns 0."
    assert_eq!(run(r#"(isTrue "false")"#), Value::Int(0));
    assert_eq!(run(r#"(isTrue "true")"#), Value::Int(1));
}

/// "defun Function", Oracle Waveset 8.1.1 Deployment Reference,
/// https://docs.oracle.com/cd/E19225-01/821-0378/bvbwx/index.html
#[test]
fn defun_add100_called_with_call() {
    // The page's add100: "<defarg name='input'/> <add> <ref>input</ref> <i>100</i> </add>";
    // "Use the <call> function to execute the function." Named and positional calls.
    let defun = r#"(defun name="add100" (defarg name="input") (add $input 100))"#;
    assert_eq!(
        run(&format!(
            r#"(block {defun} (call name="add100" (argument name="input" 5)))"#
        )),
        Value::Int(105)
    );
    assert_eq!(
        run(&format!(r#"(block {defun} (call name="add100" 7))"#)),
        Value::Int(107)
    );
}
