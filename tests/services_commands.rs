//! `run_command`: the three-part policy, and a real runner with timeout and cap.

mod services_support;

use std::time::{Duration, Instant};

use bpe::services::{RepoServices, ServiceOptions, Services};
use services_support::Fixture;

fn fixture(enabled: bool, allow: &[&str]) -> Fixture {
    Fixture::with_settings(serde_json::json!({"commands": {"enabled": enabled, "allow": allow}}))
}

fn services(fx: &Fixture, allow_commands: bool, dry_run: bool) -> RepoServices {
    RepoServices::new(
        fx.root(),
        &fx.config,
        ServiceOptions {
            dry_run,
            allow_commands,
        },
    )
}

fn argv(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn refused_unless_repository_runner_and_allow_list_agree() {
    // A program that would leave a trace if it ran.
    let cases = [
        (
            fixture(false, &["touch"]),
            true,
            "settings.commands.enabled is false",
        ),
        (fixture(true, &["touch"]), false, "--allow-commands"),
        (
            fixture(true, &["echo"]),
            true,
            "'touch' is not in settings.commands.allow",
        ),
    ];
    for (fx, runner_allows, why) in cases {
        let mut svc = services(&fx, runner_allows, false);
        let e = svc
            .run_command(&argv(&["touch", "ran"]), SECOND, 1024)
            .unwrap_err();
        assert!(e.message.contains(why), "{e}");
        assert!(!fx.root().join("ran").exists());
        assert!(svc.effects().is_empty());
    }
}

#[test]
fn runs_argv_in_the_repository_without_a_shell() {
    let fx = fixture(true, &["echo", "pwd", "touch"]);
    let mut svc = services(&fx, true, false);
    let out = svc
        .run_command(&argv(&["/bin/echo", "hi", "$HOME;", "*"]), SECOND * 5, 1024)
        .unwrap();
    assert_eq!(out.exit_code, 0);
    // No shell: no expansion.
    assert_eq!(out.stdout, "hi $HOME; *\n");
    assert!(!out.timed_out && !out.truncated);
    let out = svc.run_command(&argv(&["pwd"]), SECOND * 5, 1024).unwrap();
    assert_eq!(
        std::path::Path::new(out.stdout.trim())
            .canonicalize()
            .unwrap(),
        fx.root().canonicalize().unwrap()
    );
    svc.run_command(&argv(&["touch", "made-here"]), SECOND * 5, 1024)
        .unwrap();
    assert!(fx.root().join("made-here").exists());
    assert_eq!(svc.effects().len(), 3);
    assert!(svc.effects()[0].summary.contains("exit 0"));
    assert!(svc.effects().iter().all(|e| e.applied && e.op == "command"));
}

#[test]
fn reports_exit_codes_and_stderr() {
    let fx = fixture(true, &["ls"]);
    let mut svc = services(&fx, true, false);
    let out = svc
        .run_command(&argv(&["ls", "/definitely/not/here"]), SECOND * 5, 1024)
        .unwrap();
    assert_ne!(out.exit_code, 0);
    assert!(!out.stderr.is_empty());
    let fx = fixture(true, &["no-such-program-bpe"]);
    let e = services(&fx, true, false)
        .run_command(&argv(&["no-such-program-bpe"]), SECOND, 1024)
        .unwrap_err();
    assert!(e.message.contains("cannot run no-such-program-bpe"), "{e}");
}

#[test]
fn a_slow_program_is_killed_at_the_timeout() {
    let fx = fixture(true, &["sleep"]);
    let mut svc = services(&fx, true, false);
    let started = Instant::now();
    let out = svc
        .run_command(&argv(&["sleep", "5"]), Duration::from_millis(300), 1024)
        .unwrap();
    assert!(out.timed_out);
    assert!(out.exit_code < 0, "killed by a signal: {}", out.exit_code);
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(svc.effects()[0].summary.contains("killed"));
}

#[test]
fn endless_output_is_capped_and_killed() {
    let fx = fixture(true, &["yes"]);
    let mut svc = services(&fx, true, false);
    let out = svc
        .run_command(&argv(&["yes"]), Duration::from_millis(300), 100)
        .unwrap();
    assert!(out.truncated);
    assert!(out.timed_out);
    assert_eq!(out.stdout.len(), 100);
    assert!(out.stdout.starts_with("y\ny\n"));
}

#[test]
fn dry_run_records_but_does_not_run() {
    let fx = fixture(true, &["touch"]);
    let mut svc = services(&fx, true, true);
    let out = svc
        .run_command(&argv(&["touch", "ran"]), SECOND, 1024)
        .unwrap();
    assert_eq!(out.exit_code, 0);
    assert!(!fx.root().join("ran").exists());
    assert_eq!(svc.effects().len(), 1);
    assert!(!svc.effects()[0].applied);
    // The policy still applies in a dry run.
    let mut svc = services(&fx, false, true);
    assert!(
        svc.run_command(&argv(&["touch", "ran"]), SECOND, 1024)
            .is_err()
    );
}
