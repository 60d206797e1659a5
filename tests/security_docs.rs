//! docs/security.md names a test for every rule: each `path::test` it cites
//! must exist (a `fn test(` in that file), and every rule section cites one.

#[test]
fn every_rule_names_tests_that_exist() {
    let root = env!("CARGO_MANIFEST_DIR");
    let doc = std::fs::read_to_string(format!("{root}/docs/security.md")).unwrap();
    let mut cited = 0;
    for section in doc.split("\n## ").skip(1) {
        let title = section.lines().next().unwrap_or("");
        if title == "Threat model" {
            continue;
        }
        let mut in_section = 0;
        for piece in section.split('`').skip(1).step_by(2) {
            let Some((file, rest)) = piece.split_once("::") else {
                continue;
            };
            if !(file.ends_with(".rs") && (file.starts_with("tests/") || file.starts_with("src/")))
            {
                continue;
            }
            let name = rest.rsplit("::").next().unwrap();
            let text = std::fs::read_to_string(format!("{root}/{file}"))
                .unwrap_or_else(|e| panic!("{title}: {file}: {e}"));
            assert!(
                text.contains(&format!("fn {name}(")),
                "{title}: {file} has no test {name}"
            );
            in_section += 1;
        }
        assert!(in_section > 0, "rule \"{title}\" names no test");
        cited += in_section;
    }
    assert!(cited >= 20, "only {cited} tests cited");
}
