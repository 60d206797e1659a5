//! docs/expressions.md documents every known function and host function.

use bpe::expr::{functions, host_functions, parse};

const DOC: &str = include_str!("../docs/expressions.md");

#[test]
fn every_function_has_a_row_in_the_docs() {
    let missing: Vec<_> = functions()
        .iter()
        .map(|f| f.name)
        .filter(|name| !DOC.contains(&format!("| `{name}` |")))
        .collect();
    assert!(missing.is_empty(), "undocumented functions: {missing:?}");
}

#[test]
fn every_host_function_has_a_row_in_the_docs() {
    let missing: Vec<_> = host_functions()
        .iter()
        .map(|h| h.name)
        .filter(|name| !DOC.contains(&format!("| `{name}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "undocumented host functions: {missing:?}"
    );
}

#[test]
fn documented_rows_are_known_functions() {
    // Every row of the function tables names a real function (no stale docs).
    let section =
        &DOC[DOC.find("## Functions").unwrap()..DOC.find("## The invoke registry").unwrap()];
    for line in section.lines() {
        if let Some(rest) = line.strip_prefix("| `")
            && let Some(name) = rest.split('`').next()
        {
            assert!(
                functions().iter().any(|f| f.name == name),
                "docs describe unknown function {name}"
            );
        }
    }
}

#[test]
fn examples_in_function_tables_parse() {
    // The last column's first `(…)` example of each row must be valid syntax.
    let section =
        &DOC[DOC.find("## Functions").unwrap()..DOC.find("## The invoke registry").unwrap()];
    let mut checked = 0;
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let Some(example_cell) = line.trim_end_matches('|').rsplit('|').next() else {
            continue;
        };
        if let Some(start) = example_cell.find("`(") {
            let rest = &example_cell[start + 1..];
            let end = rest.find('`').unwrap();
            let example = &rest[..end];
            parse(example).unwrap_or_else(|e| panic!("{example}: {e}"));
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} examples found");
}

#[test]
fn every_function_is_in_the_coverage_table() {
    // The coverage table names each function of bpe's table in its bpe column.
    let section = &DOC[DOC.find("## Coverage of the XPRESS reference").unwrap()..];
    let bpe_column: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            // "same" means the reference names in the first cell.
            if cells.get(1) == Some(&"same") {
                cells[0]
            } else {
                cells.get(1).copied().unwrap_or("")
            }
        })
        .collect();
    let missing: Vec<_> = functions()
        .iter()
        .map(|f| f.name)
        .filter(|name| {
            !bpe_column
                .iter()
                .any(|cell| cell.contains(&format!("`{name}`")))
        })
        .collect();
    assert!(missing.is_empty(), "not in the coverage table: {missing:?}");
}
