//! External commands: the policy check and a runner with timeout and output cap.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{CommandOutput, ServiceError};
use crate::model::CommandPolicy;

/// The only PATH a bare program name is looked up on, and the PATH the
/// program runs with.
pub const COMMAND_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Why a command may not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandPolicyError {
    EmptyArgv,
    /// `settings.commands.enabled` is false in `repository.json`.
    DisabledByRepository,
    /// The runner (CLI `--allow-commands`, TUI option) did not allow commands.
    DisabledByRunner,
    /// argv[0] is a relative path (`tools/echo`, `./echo`): never run.
    RelativePath(String),
    /// argv[0] is not in `settings.commands.allow`.
    NotAllowed(String),
}

impl std::fmt::Display for CommandPolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandPolicyError::EmptyArgv => f.write_str("command refused: empty argv"),
            CommandPolicyError::DisabledByRepository => f.write_str(
                "command refused: commands are disabled for this repository \
                 (settings.commands.enabled is false in repository.json)",
            ),
            CommandPolicyError::DisabledByRunner => f.write_str(
                "command refused: this runner does not allow commands \
                 (run with --allow-commands)",
            ),
            CommandPolicyError::RelativePath(p) => write!(
                f,
                "command refused: program '{}' is a relative path; name a program \
                 as a bare name (looked up on {COMMAND_PATH}) or an absolute path",
                p.escape_debug()
            ),
            CommandPolicyError::NotAllowed(p) => write!(
                f,
                "command refused: program '{}' is not in settings.commands.allow",
                p.escape_debug()
            ),
        }
    }
}

/// Whether `argv` may run. A bare argv[0] (no `/`) must equal a bare allow
/// entry, and runs as found on [`COMMAND_PATH`] ([`resolve_program`]); an
/// argv[0] with a `/` must be absolute and equal an allow entry exactly. A
/// relative path never runs, whatever the allow list says.
pub fn command_allowed(
    policy: &CommandPolicy,
    runner_allows: bool,
    argv: &[String],
) -> Result<(), CommandPolicyError> {
    let program = argv.first().ok_or(CommandPolicyError::EmptyArgv)?;
    if program.is_empty() {
        return Err(CommandPolicyError::EmptyArgv);
    }
    if !policy.enabled {
        return Err(CommandPolicyError::DisabledByRepository);
    }
    if !runner_allows {
        return Err(CommandPolicyError::DisabledByRunner);
    }
    if program.contains('/') && !program.starts_with('/') {
        return Err(CommandPolicyError::RelativePath(program.clone()));
    }
    if policy.allow.iter().any(|entry| entry == program) {
        Ok(())
    } else {
        Err(CommandPolicyError::NotAllowed(program.clone()))
    }
}

/// The file a program runs from: an absolute argv[0] as it is; a bare name
/// the first executable regular file of that name in a [`COMMAND_PATH`]
/// directory (never the working directory). `None` when there is none.
pub fn resolve_program(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    if program.starts_with('/') {
        return Some(PathBuf::from(program));
    }
    if program.is_empty() || program.contains('/') || program == "." || program == ".." {
        return None;
    }
    COMMAND_PATH
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|path| {
            std::fs::metadata(path)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Read a pipe to its end, keeping the first `cap` bytes. Returns (bytes, truncated).
fn drain_capped(mut pipe: impl Read, cap: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut truncated = false;
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                if n > room {
                    truncated = true;
                }
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    (kept, truncated)
}

/// How long readers may take to finish after the process ended (a grandchild
/// may still hold the pipe; we do not wait for it forever).
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// Run `argv` in `cwd` with stdin null and a minimal environment; kill its
/// process group after `timeout`.
pub(crate) fn run(
    argv: &[String],
    cwd: &Path,
    timeout: Duration,
    output_cap: usize,
) -> Result<CommandOutput, ServiceError> {
    use std::os::unix::process::{CommandExt, ExitStatusExt};

    let program = argv
        .first()
        .ok_or_else(|| ServiceError::new("command refused: empty argv"))?;
    let resolved = resolve_program(program).ok_or_else(|| {
        ServiceError::new(format!(
            "cannot run {}: not found on {COMMAND_PATH}",
            program.escape_debug()
        ))
    })?;
    // A command acts outside the repository: what the case wrote before it, and
    // put off in a group commit (`bpe launch`), lands first.
    crate::repo::group_commit::flush_deferred()
        .map_err(|e| ServiceError::new(format!("cannot run {}: {e}", program.escape_debug())))?;
    let mut command = Command::new(&resolved);
    command
        .arg0(program)
        .args(&argv[1..])
        .current_dir(cwd)
        .env_clear()
        .env("PATH", COMMAND_PATH)
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout kills what it started too.
        .process_group(0);
    let mut child = command
        .spawn()
        .map_err(|e| ServiceError::new(format!("cannot run {program}: {e}")))?;
    let pgid = child.id() as i32;

    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let _ = tx.send((true, drain_capped(out, output_cap)));
        });
    }
    if let Some(err) = child.stderr.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let _ = tx.send((false, drain_capped(err, output_cap)));
        });
    }
    drop(tx);

    let started = Instant::now();
    let mut timed_out = false;
    loop {
        match exited_unreaped(pgid) {
            Ok(true) => break,
            Ok(false) => {}
            Err(e) => return Err(ServiceError::new(format!("cannot wait for {program}: {e}"))),
        }
        if started.elapsed() >= timeout {
            timed_out = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // Kill the group while the child is not yet reaped (its pid, and so the
    // group id, cannot have been reused): on timeout that stops the program,
    // after a normal exit it stops whatever it left running in the background.
    kill_group(pgid);
    let status = child
        .wait()
        .map_err(|e| ServiceError::new(format!("cannot wait for {program}: {e}")))?;

    let mut stdout = (Vec::new(), false);
    let mut stderr = (Vec::new(), false);
    let deadline = Instant::now() + DRAIN_GRACE;
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((true, r)) => stdout = r,
            Ok((false, r)) => stderr = r,
            Err(_) => break,
        }
    }
    let exit_code = match status.code() {
        Some(c) => i64::from(c),
        None => -i64::from(status.signal().unwrap_or(0)),
    };
    Ok(CommandOutput {
        exit_code,
        stdout: String::from_utf8_lossy(&stdout.0).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.0).into_owned(),
        timed_out,
        truncated: stdout.1 || stderr.1,
    })
}

/// Whether the child `pid` has exited, leaving it unreaped (`WNOWAIT`).
fn exited_unreaped(pid: i32) -> std::io::Result<bool> {
    // SAFETY: an all-zero siginfo_t is a valid value; waitid only writes into
    // it, and `si_pid` reads the field waitid filled for a child event.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let rc = libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        );
        if rc == -1 {
            let e = std::io::Error::last_os_error();
            return if e.kind() == std::io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(e)
            };
        }
        Ok(info.si_pid() != 0)
    }
}

fn kill_group(pgid: i32) {
    if pgid > 0 {
        // SAFETY: kill(2) with a negative pid signals the process group we
        // created for this child; it has no memory-safety preconditions.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(enabled: bool, allow: &[&str]) -> CommandPolicy {
        CommandPolicy {
            enabled,
            allow: allow.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn policy_cases() {
        let p = policy(true, &["echo", "/usr/bin/id", "tools/echo"]);
        assert_eq!(command_allowed(&p, true, &argv(&["echo", "x"])), Ok(()));
        assert_eq!(command_allowed(&p, true, &argv(&["/usr/bin/id"])), Ok(()));
        // A bare entry allows the bare name only, not a path ending in it.
        assert_eq!(
            command_allowed(&p, true, &argv(&["/bin/echo", "x"])),
            Err(CommandPolicyError::NotAllowed("/bin/echo".into()))
        );
        assert_eq!(
            command_allowed(&p, true, &argv(&["/tmp/id"])),
            Err(CommandPolicyError::NotAllowed("/tmp/id".into()))
        );
        // Relative paths never run, even when listed.
        for relative in ["tools/echo", "./echo", "../bin/echo", "./tools/echo"] {
            assert_eq!(
                command_allowed(&p, true, &argv(&[relative])),
                Err(CommandPolicyError::RelativePath(relative.into()))
            );
        }
        assert_eq!(
            command_allowed(&p, true, &argv(&[])),
            Err(CommandPolicyError::EmptyArgv)
        );
        assert_eq!(
            command_allowed(&p, false, &argv(&["echo"])),
            Err(CommandPolicyError::DisabledByRunner)
        );
        assert_eq!(
            command_allowed(&policy(false, &["echo"]), true, &argv(&["echo"])),
            Err(CommandPolicyError::DisabledByRepository)
        );
        assert_eq!(
            command_allowed(&policy(true, &["echo"]), true, &argv(&["/"])),
            Err(CommandPolicyError::NotAllowed("/".into()))
        );
    }

    #[test]
    fn bare_names_resolve_on_the_fixed_path_only() {
        let echo = resolve_program("echo").expect("echo on the fixed PATH");
        assert!(
            COMMAND_PATH
                .split(':')
                .any(|dir| echo.parent() == Some(Path::new(dir))),
            "{}",
            echo.display()
        );
        assert_eq!(resolve_program("/opt/x"), Some(PathBuf::from("/opt/x")));
        for never in ["", ".", "..", "tools/echo", "./echo", "bpe-no-such-program"] {
            assert_eq!(resolve_program(never), None, "{never}");
        }
    }

    #[test]
    fn drain_caps_but_reads_everything() {
        let data = vec![b'y'; 100_000];
        let (kept, truncated) = drain_capped(&data[..], 10);
        assert_eq!(kept, b"yyyyyyyyyy");
        assert!(truncated);
        let (kept, truncated) = drain_capped(&b"abc"[..], 3);
        assert_eq!(kept, b"abc");
        assert!(!truncated);
    }
}
