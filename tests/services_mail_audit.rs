//! `notify` (RFC 5322 messages in Outbox/) and `audit` (audit.jsonl lines).

mod services_support;

use std::collections::BTreeMap;

use bpe::expr::Value;
use bpe::services::Services;
use services_support::{Case, Fixture, list, s};

fn outbox(fx: &Fixture) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(fx.root().join("Outbox"))
        .map(|d| {
            d.map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read_to_string(e.path()).unwrap(),
                )
            })
            .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    let head = message.split("\r\n\r\n").next()?;
    head.split("\r\n")
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

fn john_case() -> Case {
    let mut case = Case::new("ti-7");
    for (k, v) in [
        ("firstName", "John"),
        ("lastName", "Smith"),
        ("accountId", "jsmith"),
        ("email", "john.smith@example.com"),
        ("manager", "mboss"),
    ] {
        case.variables.insert(k.to_string(), s(v));
    }
    case
}

#[test]
fn notify_writes_an_rfc5322_message() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut case = john_case();
    let id = case
        .call(&mut svc, "notify", &[("template", s("Welcome"))])
        .unwrap();
    let id = id.to_text();
    assert!(
        id.starts_with("<msg-") && id.ends_with("@example.com>"),
        "{id}"
    );
    let files = outbox(&fx);
    assert_eq!(files.len(), 1);
    let (name, text) = &files[0];
    assert!(
        name.starts_with("20261127T140931-msg-") && name.ends_with(".eml"),
        "{name}"
    );
    // CRLF everywhere, no bare LF.
    assert!(!text.replace("\r\n", "").contains('\n'));
    assert_eq!(header(text, "From"), Some("IAM Team <iam@example.com>"));
    assert_eq!(header(text, "To"), Some("john.smith@example.com"));
    assert_eq!(header(text, "Subject"), Some("Welcome, John!"));
    assert_eq!(
        header(text, "Date"),
        Some("Fri, 27 Nov 2026 14:09:31 +0000")
    );
    assert_eq!(header(text, "Message-ID"), Some(id.as_str()));
    assert_eq!(header(text, "MIME-Version"), Some("1.0"));
    assert_eq!(
        header(text, "Content-Type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(header(text, "Content-Transfer-Encoding"), Some("8bit"));
    assert!(header(text, "Cc").is_none());
    let body = text.split_once("\r\n\r\n").unwrap().1;
    assert_eq!(
        body,
        "Hello John Smith,\r\nyour account jsmith is ready.\r\nManager: mboss\r\n"
    );
    assert_eq!(svc.effects().len(), 1);
    assert!(svc.effects()[0].applied);
    assert!(svc.effects()[0].summary.contains("john.smith@example.com"));
}

#[test]
fn notify_placeholder_precedence_and_recipients() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut case = john_case();
    let vars: BTreeMap<String, Value> = [("firstName".to_string(), s("Jürgen"))].into();
    case.call(
        &mut svc,
        "notify",
        &[
            ("template", s("et-welcome")),
            ("variables", Value::Map(vars)),
            ("firstName", s("Ignored")),
            ("lastName", s("Named")),
            ("to", list(&["mboss", "\"Doe, Jane\" <jane@example.org>"])),
            ("cc", s("aheir; ops@example.net")),
        ],
    )
    .unwrap();
    let (_, text) = &outbox(&fx)[0];
    // `variables` beat named arguments, which beat the case's variables.
    let subject = header(text, "Subject").unwrap();
    assert!(subject.starts_with("=?UTF-8?B?"), "{subject}");
    assert_eq!(subject, "=?UTF-8?B?V2VsY29tZSwgSsO8cmdlbiE=?=");
    assert!(text.contains("Hello Jürgen Named,"));
    // A bare account id is that user's email, or <id>@mailDomain.
    assert_eq!(
        header(text, "To"),
        Some("mary.boss@example.com, \"Doe, Jane\" <jane@example.org>")
    );
    assert_eq!(
        header(text, "Cc"),
        Some("aheir@example.com, ops@example.net")
    );
}

#[test]
fn notify_encodes_long_lines_and_refuses_bad_addresses() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut case = john_case();
    case.variables
        .insert("lastName".into(), s(&"é".repeat(600)));
    case.call(&mut svc, "notify", &[("template", s("Welcome"))])
        .unwrap();
    let (_, text) = &outbox(&fx)[0];
    assert_eq!(
        header(text, "Content-Transfer-Encoding"),
        Some("quoted-printable")
    );
    assert!(text.split("\r\n").all(|l| l.len() <= 998));
    assert!(text.contains("=C3=A9"));

    for (to, why) in [
        ("nobody@", "domain"),
        ("a b@example.com", "local part"),
        ("x@example.com\r\nBcc: evil@example.com", "line break"),
    ] {
        let e = case
            .call(
                &mut svc,
                "notify",
                &[("template", s("Welcome")), ("to", s(to))],
            )
            .unwrap_err();
        assert!(e.message.starts_with("notify: "), "{e}");
        assert!(e.message.contains(why), "{e}");
    }
    let e = case
        .call(&mut svc, "notify", &[("template", s("Nope"))])
        .unwrap_err();
    assert_eq!(e.message, "notify: no EmailTemplate named 'Nope'");
    // The template's To renders empty without an email variable.
    case.variables.remove("email");
    let e = case
        .call(&mut svc, "notify", &[("template", s("Welcome"))])
        .unwrap_err();
    assert!(e.message.contains("no recipients"), "{e}");
    assert_eq!(outbox(&fx).len(), 1);
}

#[test]
fn notify_dry_run_writes_nothing() {
    let fx = Fixture::new();
    let before = fx.snapshot();
    let mut svc = fx.services(true);
    let id = john_case()
        .call(&mut svc, "notify", &[("template", s("Welcome"))])
        .unwrap();
    assert!(id.to_text().starts_with("<msg-"));
    assert_eq!(fx.snapshot(), before);
    assert_eq!(svc.effects().len(), 1);
    assert!(!svc.effects()[0].applied);
    assert_eq!(svc.effects()[0].op, "notify");
}

#[test]
fn audit_appends_one_json_line_per_event() {
    let fx = Fixture::new();
    let mut svc = fx.services(false);
    let mut case = john_case();
    case.call(
        &mut svc,
        "audit",
        &[
            ("event", s("UserCreated")),
            ("subject", s("jsmith")),
            ("detail", s("onboarding")),
            ("approver", s("mboss")),
            ("apiToken", s("abc123")),
        ],
    )
    .unwrap();
    case.call(&mut svc, "audit", &[("event", s("Second"))])
        .unwrap();
    let text = fx.read("audit.jsonl");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let first = &lines[0];
    assert_eq!(first["timestamp"], "2026-11-27T14:09:31+00:00");
    assert_eq!(first["instance"], "ti-7");
    assert_eq!(first["caseOwner"], "admin");
    assert_eq!(first["event"], "UserCreated");
    assert_eq!(first["subject"], "jsmith");
    assert_eq!(first["detail"], "onboarding");
    assert_eq!(first["approver"], "mboss");
    assert_eq!(first["apiToken"], "[redacted]");
    assert_eq!(lines[1]["subject"], serde_json::Value::Null);
    let e = case
        .call(
            &mut svc,
            "audit",
            &[("event", s("x")), ("instance", s("forged"))],
        )
        .unwrap_err();
    assert_eq!(e.message, "audit: argument 'instance' is reserved");
    assert_eq!(svc.effects().len(), 2);

    let before = fx.snapshot();
    let mut dry = fx.services(true);
    case.call(&mut dry, "audit", &[("event", s("Dry"))])
        .unwrap();
    assert_eq!(fx.snapshot(), before);
    assert!(!dry.effects()[0].applied);
}

#[test]
fn concurrent_audit_writers_never_interleave() {
    let fx = Fixture::new();
    let root = fx.root().to_path_buf();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let root = root.clone();
            let config = fx.config.clone();
            std::thread::spawn(move || {
                let mut svc = bpe::services::RepoServices::new(
                    &root,
                    &config,
                    bpe::services::ServiceOptions::default(),
                );
                let mut case = Case::new(&format!("ti-{t}"));
                let detail = "x".repeat(3000);
                for i in 0..50 {
                    case.call(
                        &mut svc,
                        "audit",
                        &[("event", s(&format!("e{i}"))), ("detail", s(&detail))],
                    )
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let text = fx.read("audit.jsonl");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 200);
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["detail"].as_str().unwrap().len(), 3000);
    }
}
