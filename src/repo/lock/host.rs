//! Who and where a holder is: OS user, host name, whether a pid is alive.

use std::fs;
use std::path::Path;

/// The name of the OS user running bpe: `USER`, `LOGNAME` or `USERNAME` from the
/// environment, else the `/etc/passwd` entry of the process's uid (cron jobs and
/// CI runners often have no `USER`), else "unknown". The one answer for lock
/// holders, `WF_CASE_OWNER`, work-item actors and terminate reasons.
pub fn current_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .or_else(|| {
            // The uid of a process does not change: look it up once.
            static PASSWD: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
            PASSWD.get_or_init(passwd_user).clone()
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// The user name of this process's uid from `/etc/passwd`. The uid is the owner
/// of `/proc/self`, which the kernel sets to the process's effective uid.
fn passwd_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = fs::metadata("/proc/self").ok()?.uid();
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    user_name_for_uid(&passwd, uid)
}

/// The name of the first `/etc/passwd` line (`name:password:uid:gid:…`) with this uid.
pub(super) fn user_name_for_uid(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _password = fields.next()?;
        let line_uid: u32 = fields.next()?.trim().parse().ok()?;
        (line_uid == uid && !name.is_empty() && !line.starts_with('#')).then(|| name.to_string())
    })
}

/// This machine's host name.
pub fn host_name() -> String {
    // Read once per process: every lock records it, and `bpe launch` takes one per case.
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(read_host_name).clone()
}

fn read_host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".to_string())
}

/// Whether a process with this pid exists on this host. Without `/proc` we
/// cannot tell, and say yes (the record's file lock still tells the truth).
pub fn pid_alive(pid: u32) -> bool {
    let proc_root = Path::new("/proc");
    if !proc_root.join("self").exists() {
        return true;
    }
    let dir = proc_root.join(pid.to_string());
    if !dir.exists() {
        return false;
    }
    // A zombie (killed, not yet reaped) holds no locks: it counts as dead.
    match fs::read_to_string(dir.join("stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
            .unwrap_or(true),
        Err(_) => true,
    }
}
