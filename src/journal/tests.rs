//! Unit tests of the case journal's reading and writing.

use super::*;

fn rec(at: &str, instance: &str, event: Event) -> Record {
    Record::new(
        parse_time(at).unwrap(),
        instance,
        Workflow {
            id: "td-1".into(),
            name: "Onboard".into(),
        },
        event,
    )
}

fn started(at: &str, instance: &str) -> Record {
    rec(
        at,
        instance,
        Event::CaseStarted {
            owner: "hwhite".into(),
        },
    )
}

#[test]
fn records_go_to_their_month_and_come_back_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = started("2026-10-31T23:59:59Z", "ti-a");
    let b = started("2026-11-01T00:00:00Z", "ti-b");
    let c = started("2026-11-15T12:00:00Z", "ti-c");
    for r in [&c, &a, &b] {
        append(dir.path(), r).unwrap();
    }
    assert!(dir.path().join("journal/2026-10.jsonl").is_file());
    assert!(dir.path().join("journal/2026-11.jsonl").is_file());
    let all = read(dir.path(), None, None).unwrap();
    assert!(all.bad.is_empty(), "{:?}", all.bad);
    // Months ascending, lines in the order written.
    let ids: Vec<&str> = all.records.iter().map(|r| r.instance.as_str()).collect();
    assert_eq!(ids, ["ti-a", "ti-c", "ti-b"]);
    // [since, until): b is in, a and c are out.
    let some = read(
        dir.path(),
        parse_time("2026-11-01T00:00:00Z"),
        parse_time("2026-11-15T12:00:00Z"),
    )
    .unwrap();
    assert_eq!(some.records, vec![b]);
    assert_eq!(first_time(dir.path()).unwrap(), a.time());
}

#[test]
fn bad_lines_are_skipped_with_their_position_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let good = started("2026-11-02T08:00:00Z", "ti-1");
    let mut text = Vec::new();
    text.extend(b"{not json\n");
    text.extend(good.line());
    text.extend(b"\n");
    text.extend(br#"{"v":1,"at":"yesterday","instance":"x","workflow":{"id":"","name":""},"event":"caseStarted","owner":""}"#);
    text.extend(b"\n");
    text.extend(br#"{"v":99,"at":"2026-11-02T08:00:00Z","instance":"x","workflow":{"id":"","name":""},"event":"caseStarted","owner":""}"#);
    text.extend(b"\n");
    text.extend(vec![b'x'; MAX_LINE + 10]);
    text.extend(b"\n");
    text.extend(good.line());
    text.extend(b"{\"v\":1,\"at\""); // torn by a killed writer
    std::fs::create_dir_all(dir.path().join("journal")).unwrap();
    std::fs::write(dir.path().join("journal/2026-11.jsonl"), text).unwrap();
    let j = read(dir.path(), None, None).unwrap();
    assert_eq!(j.records, vec![good.clone(), good]);
    let lines: Vec<(usize, &str)> = j.bad.iter().map(|b| (b.line, b.message.as_str())).collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines[0].0, 1);
    assert!(lines[0].1.starts_with("column 2"), "{lines:?}");
    assert_eq!(lines[1], (4, "'at' is not a time: yesterday"));
    assert!(lines[2].1.contains("newer"), "{lines:?}");
    assert_eq!(lines[3], (6, "line longer than 262144 bytes"));
    assert_eq!(lines[4], (8, "incomplete last line"));
    assert_eq!(
        j.bad[0].to_string(),
        format!("journal/2026-11.jsonl:1: {}", lines[0].1)
    );
}

#[test]
fn other_files_in_the_journal_directory_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("journal")).unwrap();
    for name in [
        "README",
        "2026-13.jsonl",
        "26-11.jsonl",
        "2026-11.jsonl.bak",
    ] {
        std::fs::write(dir.path().join("journal").join(name), "{").unwrap();
    }
    let j = read(dir.path(), None, None).unwrap();
    assert!(j.records.is_empty() && j.bad.is_empty(), "{j:?}");
    assert_eq!(first_time(dir.path()).unwrap(), None);
}

#[test]
fn huge_outputs_are_replaced_by_a_note_so_the_line_stays_readable() {
    let mut outputs = BTreeMap::new();
    outputs.insert(
        "report".to_string(),
        serde_json::Value::String("x".repeat(MAX_LINE)),
    );
    let r = rec(
        "2026-11-02T08:00:00Z",
        "ti-1",
        Event::CaseEnded {
            status: "completed".into(),
            steps: 3,
            started: "2026-11-02T07:00:00Z".into(),
            duration_ms: 3_600_000,
            activities: vec![],
            reason: None,
            outputs,
        },
    );
    let line = r.line();
    assert!(line.len() < MAX_LINE);
    let back: Record = serde_json::from_slice(&line).unwrap();
    let Event::CaseEnded { outputs, .. } = back.event else {
        panic!("{back:?}")
    };
    assert_eq!(
        outputs["_omitted"],
        "outputs report too large for the journal"
    );
}

#[cfg(unix)]
#[test]
fn a_journal_linked_outside_the_repository_is_neither_read_nor_written() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("journal")).unwrap();
    let r = started("2026-11-02T08:00:00Z", "ti-1");
    let err = append(dir.path(), &r).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied, "{err}");
    assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
    std::fs::write(outside.path().join("2026-11.jsonl"), r.line()).unwrap();
    assert!(read(dir.path(), None, None).is_err());
}

#[test]
fn times_in_bpes_form_and_other_rfc_3339_forms_read_the_same() {
    let cases = [
        ("2026-11-30T14:52:52.541Z", "2026-11-30T14:52:52.541+00:00"),
        ("2026-11-30T14:52:52Z", "2026-11-30T15:52:52+01:00"),
    ];
    for (fast, other) in cases {
        assert_eq!(parse_time(fast), parse_time(other), "{fast}");
        assert!(parse_time(fast).is_some());
    }
    assert_eq!(
        parse_time("2026-11-30T14:52:52.541Z")
            .unwrap()
            .timestamp_millis()
            % 1000,
        541
    );
    for bad in [
        "2026-13-30T14:52:52Z",
        "2026-11-30T25:00:00Z",
        "yesterday",
        "2026-11-30T14:52:5xZ",
        "",
    ] {
        assert_eq!(parse_time(bad), None, "{bad}");
    }
}
