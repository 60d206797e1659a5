//! Inputs that used to take quadratic time (issue 9), at realistic, 10× and
//! larger sizes: each must grow linearly.
//!
//! Budgets (release build, one core):
//! - `import_many_attributes`: a TaskDefinition start tag with 200,000
//!   attributes imports in under 1 s (was killed at 30 s; 40,000 took 4.6 s).
//! - `import_duplicate_activity_ids`: 20,000 activities sharing one id (a
//!   warning each) import in under 1 s (was 10 s).
//! - `parse_many_attributes`: an expression call with 50,000 attributes parses
//!   in under 100 ms (`validate` took 12 s).
//! - `suggest_among_huge_names`: "did you mean" over 100 candidates of which one
//!   is an 8 MB name takes under 1 ms (`validate` took 17 s).
//!
//! Run briefly: `cargo bench --bench limits -- --sample-count 3`.

use bpe::{expr, repo, waveset};
use divan::black_box;

fn main() {
    divan::main();
}

fn definition(start_attrs: &str, activities: &str) -> String {
    format!(
        "<?xml version='1.0' encoding='UTF-8'?>\n<TaskDefinition id='x' name='Big'{start_attrs}>\n\
         <Extension><WFProcess name='Big'>\n\
         <Activity id='0' name='start'><Transition to='end'/></Activity>\n{activities}\
         <Activity id='1' name='end'/>\n</WFProcess></Extension>\n</TaskDefinition>\n"
    )
}

#[divan::bench(args = [2_000, 20_000, 200_000], sample_count = 3)]
fn import_many_attributes(bencher: divan::Bencher, n: usize) {
    let attrs: String = (0..n).map(|i| format!(" a{i}='v'")).collect();
    let xml = definition(&attrs, "");
    bencher.bench(|| {
        let imported = waveset::import(black_box(&xml)).expect("imports");
        assert!(imported.warnings.len() >= n);
    });
}

#[divan::bench(args = [200, 2_000, 20_000], sample_count = 3)]
fn import_duplicate_activity_ids(bencher: divan::Bencher, n: usize) {
    let acts: String = (0..n)
        .map(|i| format!("<Activity id='7' name='a{i}'><Transition to='end'/></Activity>\n"))
        .collect();
    let xml = definition("", &acts);
    bencher.bench(|| {
        let imported = waveset::import(black_box(&xml)).expect("imports");
        assert!(imported.warnings.len() >= n - 1);
    });
}

#[divan::bench(args = [500, 5_000, 50_000], sample_count = 3)]
fn parse_many_attributes(bencher: divan::Bencher, n: usize) {
    let attrs: Vec<String> = (0..n).map(|i| format!("a{i}=\"x\"")).collect();
    let text = format!("(concat {} \"y\")", attrs.join(" "));
    bencher.bench(|| expr::parse(black_box(&text)).expect("parses"));
}

#[divan::bench(args = [1_000, 1_000_000, 8_000_000], sample_count = 3)]
fn suggest_among_huge_names(bencher: divan::Bencher, len: usize) {
    let mut names: Vec<String> = (0..99).map(|i| format!("Rule {i}")).collect();
    names.push("R".repeat(len));
    let wanted = "R".repeat(len.min(4096));
    bencher.bench(|| {
        (
            repo::suggest(black_box("Rule 7x"), &names),
            repo::closest(black_box(&wanted), names.iter().map(String::as_str)),
        )
    });
}
