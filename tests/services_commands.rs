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
        .run_command(&argv(&["echo", "hi", "$HOME;", "*"]), SECOND * 5, 1024)
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

/// A script in the repository that leaves a trace when it runs.
fn trap(fx: &Fixture, rel: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = fx.root().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "#!/bin/sh\ntouch \"$(dirname \"$0\")/ran-from-repository\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn trap_sprung(fx: &Fixture) -> bool {
    fx.root().join("ran-from-repository").exists()
        || fx.root().join("tools/ran-from-repository").exists()
}

/// issue 9: with `echo` allowed, `tools/echo` or `./tools/echo` inside the repository ran,
/// because only argv[0]'s file name was compared. A relative path never runs, even listed.
#[test]
fn relative_paths_never_run() {
    let fx = fixture(true, &["echo", "tools/echo", "./tools/echo"]);
    trap(&fx, "tools/echo");
    let mut svc = services(&fx, true, false);
    for program in ["tools/echo", "./tools/echo", "../repo/tools/echo", "./echo"] {
        let e = svc
            .run_command(&argv(&[program, "x"]), SECOND * 5, 1024)
            .unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "command refused: program '{program}' is a relative path; name a program as a \
                 bare name (looked up on /usr/local/bin:/usr/bin:/bin) or an absolute path"
            )
        );
    }
    assert!(!trap_sprung(&fx));
    assert!(svc.effects().is_empty());
}

/// An absolute argv[0] runs only when the allow list holds that exact path; a bare entry
/// allows the bare name only.
#[test]
fn absolute_paths_must_be_listed_exactly() {
    let fx = fixture(true, &["echo", "/bin/true"]);
    trap(&fx, "tools/echo");
    let mut svc = services(&fx, true, false);
    let in_repo = fx.root().join("tools/echo").to_string_lossy().into_owned();
    for program in [
        "/bin/echo",
        in_repo.as_str(),
        "/bin/../bin/true",
        "/bin/true/",
    ] {
        let e = svc
            .run_command(&argv(&[program, "x"]), SECOND * 5, 1024)
            .unwrap_err();
        assert_eq!(
            e.message,
            format!("command refused: program '{program}' is not in settings.commands.allow")
        );
    }
    assert!(!trap_sprung(&fx));
    let out = svc
        .run_command(&argv(&["/bin/true"]), SECOND * 5, 1024)
        .unwrap();
    assert_eq!(out.exit_code, 0);
}

/// A bare name runs from the fixed PATH, never from the repository (the working directory).
#[test]
fn bare_names_run_from_the_fixed_path_only() {
    let fx = fixture(true, &["echo", "frob"]);
    trap(&fx, "echo");
    trap(&fx, "frob");
    let mut svc = services(&fx, true, false);
    let out = svc
        .run_command(&argv(&["echo", "from", "PATH"]), SECOND * 5, 1024)
        .unwrap();
    assert_eq!(out.stdout, "from PATH\n");
    let e = svc
        .run_command(&argv(&["frob"]), SECOND * 5, 1024)
        .unwrap_err();
    assert_eq!(
        e.message,
        "cannot run frob: not found on /usr/local/bin:/usr/bin:/bin"
    );
    assert!(!trap_sprung(&fx));
}
