//! SIGKILL the real binary at pseudo-random moments while it runs cases,
//! imports Waveset XML and takes snapshots, then check that every file of the
//! repository still loads and that the next open leaves no temporary file
//! behind (docs/security.md, "Interrupted writes"). Bounded: a fixed number of
//! iterations with delays under 60 ms, a fixed seed.
#![cfg(unix)]

mod boundary_common;

use std::process::{Command, Stdio};
use std::time::Duration;

use boundary_common::{bpe, copy_sample, dead_pid, files_below};
use bpe::repo::{Repository, is_temp_file};

/// A small linear congruential generator: reproducible delays without a crate.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

#[test]
fn killed_writes_leave_loadable_files_and_no_temporary_files_after_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    copy_sample(&root);
    let r = root.to_str().unwrap().to_string();
    let xml = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/waveset/bundle.xml"
    );
    let jobs: Vec<Vec<String>> = vec![
        [
            "run",
            &r,
            "Onboard Employee",
            "--set",
            "firstName=Ada",
            "--set",
            "lastName=Lovelace",
            "--set",
            "department=Engineering",
            "--set",
            "title=Engineer",
            "--set",
            "manager=jsmith",
        ]
        .map(String::from)
        .to_vec(),
        [
            "run",
            &r,
            "Change Password",
            "--set",
            "accountId=jsmith",
            "--set",
            "password=Xy-12345678!",
        ]
        .map(String::from)
        .to_vec(),
        ["import", &r, xml, "--replace"].map(String::from).to_vec(),
        ["snapshot", &r, "Approval"].map(String::from).to_vec(),
    ];
    let mut rng = Lcg(0x5eed);
    let mut killed = 0;
    for i in 0..24 {
        let job = &jobs[i % jobs.len()];
        let mut child = Command::new(env!("CARGO_BIN_EXE_bpe"))
            .args(job)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.next(60)));
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
    }
    assert!(killed > 0, "no process was killed mid-way");

    // A leftover is certain to exist once: as a killed writer would leave it.
    let dead_pid = dead_pid();
    std::fs::create_dir_all(root.join("TaskInstance")).unwrap();
    let planted = root.join(format!("TaskInstance/.ti-x.json.{dead_pid}-0.tmp"));
    std::fs::write(&planted, b"{ torn").unwrap();

    // The next open (any command) removes the leftovers...
    let out = bpe(&["list", &r]);
    assert!(out.status.success());
    let files = files_below(&root);
    let temps: Vec<_> = files.iter().filter(|p| is_temp_file(p)).collect();
    assert!(
        temps.is_empty(),
        "temporary files survived the open: {temps:?}"
    );
    // ...and every file loads.
    let repo = Repository::open(&root).unwrap();
    assert!(repo.errors.is_empty(), "{:?}", repo.errors);
    for file in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let bytes = std::fs::read(file).unwrap();
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .unwrap_or_else(|e| panic!("{} is torn: {e}", file.display()));
    }
}
