//! Variable paths as the Waveset reference documents them, for reading
//! (`$…`, `ref`) and writing (`set`, `putmap name=`, `append name=` …), and
//! the bound on their length (issue 9).
//!
//! Reference: Sun Identity Manager 8.1 Deployment Reference, "Path Expressions"
//! — "Traversing Objects" <https://docs.oracle.com/cd/E19225-01/820-5821/bvaof/index.html>
//! and "Traversing Lists" <http://docs.oracle.com/cd/E19225-01/820-5821/6nh6l8up5/index.html>.

use bpe::expr::{MAX_PATH_SEGMENTS, MapEnv, Value};

mod expr_common;
use expr_common::{map as obj, run_in, s};

/// The reference's example object: `children`, a list of objects with
/// `name`, `age`, `parent` and `occupation`; `accountInfo.accounts` with `type`.
fn family() -> MapEnv {
    let child = |name: &str, age: i64, parent: &str, job: &str| {
        obj(&[
            ("name", s(name)),
            ("age", Value::Int(age)),
            ("parent", s(parent)),
            ("occupation", s(job)),
        ])
    };
    let account = |name: &str, ty: &str| obj(&[("name", s(name)), ("type", s(ty))]);
    MapEnv::new()
        .with_var(
            "children",
            Value::List(vec![
                child("ann", 30, "hannah", "pilot"),
                child("hannah", 55, "zoe", "judge"),
                child("bob", 28, "hannah", "baker"),
            ]),
        )
        .with_var(
            "accountInfo",
            obj(&[(
                "accounts",
                Value::List(vec![
                    account("vms1", "vms"),
                    account("ldap1", "LDAP"),
                    account("vms2", "vms"),
                ]),
            )]),
        )
        .with_var("address", obj(&[("street", s("Main St"))]))
}

#[test]
fn dotted_path_traverses_objects() {
    // "To create a path expression to the street attribute of the address
    // object, use address.street."
    assert_eq!(run_in("$address.street", &mut family()), Ok(s("Main St")));
}

#[test]
fn hash_index_selects_by_position() {
    // "Write the path to the name of the first child as: children[#0].name"
    assert_eq!(run_in("${children[#0].name}", &mut family()), Ok(s("ann")));
    // The plain-number form keeps working.
    assert_eq!(run_in("$children[2].name", &mut family()), Ok(s("bob")));
    assert_eq!(
        run_in("${children[#7].name}", &mut family()),
        Ok(Value::Null)
    );
}

#[test]
fn bracketed_name_finds_the_element_with_that_name() {
    // "children[hannah].age ... This list is searched until an object with a
    // name attribute equal to hannah is found."
    assert_eq!(
        run_in("$children[hannah].age", &mut family()),
        Ok(Value::Int(55))
    );
    // "children[hannah].age is equivalent to children[name==hannah].age."
    assert_eq!(
        run_in("${children[name==hannah].age}", &mut family()),
        Ok(Value::Int(55))
    );
    assert_eq!(
        run_in("$children[nobody].age", &mut family()),
        Ok(Value::Null)
    );
}

#[test]
fn single_equals_returns_a_list_double_equals_a_single_value() {
    // "accountInfo.accounts[type=vms].name returns a list of names for VMS
    // resources."
    assert_eq!(
        run_in("${accountInfo.accounts[type=vms].name}", &mut family()),
        Ok(Value::List(vec![s("vms1"), s("vms2")]))
    );
    // "It returns a list of only one element if only one exists."
    assert_eq!(
        run_in("${accountInfo.accounts[type=LDAP].name}", &mut family()),
        Ok(Value::List(vec![s("ldap1")]))
    );
    // "children[parent=hannah].occupation returns a list of occupations for
    // all of hannah's children, but children[parent==hannah].occupation
    // returns a single occupation (not in a list) for whichever child was
    // found first."
    assert_eq!(
        run_in("${children[parent=hannah].occupation}", &mut family()),
        Ok(Value::List(vec![s("pilot"), s("baker")]))
    );
    assert_eq!(
        run_in("${children[parent==hannah].occupation}", &mut family()),
        Ok(s("pilot"))
    );
    // The computed form reads the same paths.
    assert_eq!(
        run_in(
            r#"(ref (concat "children[parent==" "hannah].occupation"))"#,
            &mut family()
        ),
        Ok(s("pilot"))
    );
}

#[test]
fn paths_are_written_the_way_they_are_read() {
    let mut env = family();
    run_in(r#"(set name="children[hannah].age" 56)"#, &mut env).unwrap();
    assert_eq!(
        run_in("$children[hannah].age", &mut env),
        Ok(Value::Int(56))
    );
    run_in(r#"(set name="children[#0].age" 31)"#, &mut env).unwrap();
    assert_eq!(run_in("${children[#0].age}", &mut env), Ok(Value::Int(31)));
    // `=` writes into every match.
    run_in(
        r#"(set name="accountInfo.accounts[type=vms].disabled" 1)"#,
        &mut env,
    )
    .unwrap();
    assert_eq!(
        run_in("${accountInfo.accounts[type=vms].disabled}", &mut env),
        Ok(Value::List(vec![Value::Int(1), Value::Int(1)]))
    );
    assert_eq!(
        run_in("${accountInfo.accounts[name==ldap1].disabled}", &mut env),
        Ok(Value::Null)
    );
    // A search that finds nothing adds the element it names.
    run_in(r#"(set name="children[carl].age" 3)"#, &mut env).unwrap();
    assert_eq!(
        run_in("(get $children 3)", &mut env),
        Ok(obj(&[("name", s("carl")), ("age", Value::Int(3))]))
    );
    // putmap name= and append name= follow the same paths.
    run_in(
        r#"(putmap name="children[bob].pets" "cat" "Tom")"#,
        &mut env,
    )
    .unwrap();
    assert_eq!(run_in("$children[bob].pets.cat", &mut env), Ok(s("Tom")));
    run_in(
        r#"(append name="accountInfo.accounts[name==vms2].groups" "ops")"#,
        &mut env,
    )
    .unwrap();
    assert_eq!(
        run_in("${accountInfo.accounts[name==vms2].groups}", &mut env),
        Ok(Value::List(vec![s("ops")]))
    );
}

#[test]
fn writing_through_a_scalar_is_a_clear_error() {
    let mut env = family();
    let e = run_in(r#"(set name="address.street.number" 1)"#, &mut env).unwrap_err();
    assert_eq!(e, "set: cannot set key 'number' inside \"Main St\"");
}

#[test]
fn very_long_paths_are_refused_not_a_crash() {
    // Issue 9: `set`/`putmap` with ~11,000 steps overflowed the stack (SIGABRT).
    let deep = format!("x{}", ".a".repeat(11_000));
    for src in [
        format!(r#"(set name="{deep}" 1)"#),
        format!(r#"(putmap name="{deep}" "k" 1)"#),
        format!(r#"(ref "{deep}")"#),
    ] {
        let mut env = MapEnv::new().with_var("x", Value::Null);
        let e = run_in(&src, &mut env).unwrap_err();
        assert!(
            e.contains(&format!("path has more than {MAX_PATH_SEGMENTS} steps")),
            "{e}"
        );
        assert!(
            e.len() < 200,
            "the message quotes the whole path: {}",
            e.len()
        );
    }
    // The longest allowed path works.
    let ok = format!("x{}", ".a".repeat(MAX_PATH_SEGMENTS - 1));
    let mut env = MapEnv::new();
    run_in(&format!(r#"(set name="{ok}" 7)"#), &mut env).unwrap();
    assert_eq!(
        run_in(&format!(r#"(ref "{ok}")"#), &mut env),
        Ok(Value::Int(7))
    );
}
