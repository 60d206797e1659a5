//! Where the two sides of a diff come from: a definition name (the current
//! file; timestamped copies are definitions too), a cached version by hash or
//! hash prefix (as `bpe cache` lists them), a file path inside the repository,
//! or `NAME@REV`, the definition's file at a git revision.
//!
//! Invariants:
//! - Every file read goes through `repo::confine` (`parse_file`): a path
//!   outside the repository is refused.
//! - Git runs only when the repository is inside a git work tree, through the
//!   `git` program as argv (no shell, minimal environment, [`GIT_TIMEOUT`],
//!   output capped at [`GIT_OUTPUT_CAP`]). A revision must match
//!   [`is_revision`] (no leading `-`, no `:`, no spaces); it is passed after
//!   `--end-of-options`, and the file is named by the verified commit id and a
//!   validated repository-relative path, so neither can become an option.
//!   `core.fsmonitor` is switched off so that a hostile `.git/config` runs no
//!   hook program.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::model::{TaskDefinition, content_hash};
use crate::repo::cache::CACHE_DIR as CACHE_DIR_NAME;
use crate::repo::{Repository, did_you_mean, parse_bytes, parse_file};

/// How long one git command may run.
pub const GIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes of git output kept (a definition file is at most the JSON save limit).
pub const GIT_OUTPUT_CAP: usize = 64 * 1024 * 1024;
/// The shortest hash prefix accepted.
pub const MIN_HASH_PREFIX: usize = 6;

/// Where a version came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Origin {
    /// The current file of a definition.
    File,
    /// `.bpe/cache/<hex>.json`.
    Cache,
    /// A file named by its path.
    Path,
    /// A file at a git revision (`commit` is the full commit id).
    Git,
}

/// One side of a diff.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    /// What the user asked for.
    pub spec: String,
    pub origin: Origin,
    /// The file it was read from (repository-relative; for git, the path at the revision).
    pub path: PathBuf,
    /// For git: the commit id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub name: String,
    pub id: String,
    pub hash: String,
    #[serde(skip)]
    pub definition: TaskDefinition,
}

impl Version {
    fn new(spec: &str, origin: Origin, path: PathBuf, def: TaskDefinition) -> Version {
        Version {
            spec: spec.to_string(),
            origin,
            path,
            commit: None,
            name: def.name.clone(),
            id: def.id.clone(),
            hash: content_hash(&def),
            definition: def,
        }
    }
}

/// The version `spec` names (see the module documentation for the forms, tried in that order).
pub fn resolve(repo: &Repository, spec: &str) -> Result<Version, String> {
    if let Some(d) = repo.definition(spec) {
        return Ok(Version::new(
            spec,
            Origin::File,
            d.path.clone(),
            d.value.clone(),
        ));
    }
    if let Some(v) = by_hash(repo, spec)? {
        return Ok(v);
    }
    if let Some((name, rev)) = spec.rsplit_once('@')
        && (repo.definition(name).is_some() || name.ends_with(".json"))
    {
        return at_revision(repo, spec, name, rev);
    }
    if spec.ends_with(".json") || spec.contains('/') {
        let def = parse_file::<TaskDefinition>(&repo.root, Path::new(spec))
            .map_err(|e| format!("{e}"))?;
        let rel = Path::new(spec)
            .strip_prefix(&repo.root)
            .unwrap_or(Path::new(spec));
        return Ok(Version::new(spec, Origin::Path, rel.to_path_buf(), def));
    }
    let names: Vec<&str> = repo
        .definitions
        .iter()
        .map(|d| d.value.name.as_str())
        .collect();
    Err(format!(
        "{:?} is no TaskDefinition name, cached version, file or NAME@REV{}",
        spec,
        did_you_mean(spec, &names)
    ))
}

/// What `a` is compared with when no second version is given: the definition a
/// timestamped copy (`<name> YYYYMMDD-HHMMSS`) was made from, else the current
/// file of the definition with `a`'s id, else of `a`'s name.
pub fn counterpart(repo: &Repository, a: &Version) -> Result<Version, String> {
    let copied_from = base_of_copy(&a.name).filter(|_| a.origin == Origin::File);
    if let Some(base) = copied_from
        && repo.definition(base).is_none()
    {
        return Err(match repo.failed_definition(base) {
            Some(e) => format!("{base:?}, which {:?} copies, does not load: {e}", a.name),
            None => format!(
                "no TaskDefinition {base:?}, which {:?} copies: name the second version",
                a.name
            ),
        });
    }
    let current = copied_from
        .and_then(|base| repo.definition(base))
        .or_else(|| repo.definition_by_id(&a.id))
        .or_else(|| repo.definition(&a.name))
        .ok_or_else(|| {
            format!(
                "no current TaskDefinition with id {:?} or name {:?}: name the second version",
                a.id, a.name
            )
        })?;
    Ok(Version::new(
        &current.value.name,
        Origin::File,
        current.path.clone(),
        current.value.clone(),
    ))
}

/// `Onboard Employee` for `Onboard Employee 20261130-143000` (or `… (2)`).
pub fn base_of_copy(name: &str) -> Option<&str> {
    let name = match name.strip_suffix(')') {
        Some(rest) => {
            let (head, n) = rest.rsplit_once(" (")?;
            n.bytes().all(|b| b.is_ascii_digit()).then_some(head)?
        }
        None => name,
    };
    let (base, stamp) = name.rsplit_once(' ')?;
    let b = stamp.as_bytes();
    let ok = b.len() == 15
        && b[8] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 8 || c.is_ascii_digit());
    (ok && !base.is_empty()).then_some(base)
}

/// A cached version (or the current file) whose hash starts with `spec`
/// (`sha256:` optional, at least [`MIN_HASH_PREFIX`] hex digits).
fn by_hash(repo: &Repository, spec: &str) -> Result<Option<Version>, String> {
    let hex = spec.strip_prefix("sha256:").unwrap_or(spec);
    let is_hex = hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !is_hex || hex.len() < MIN_HASH_PREFIX || hex.len() > 64 {
        return Ok(None);
    }
    let mut found: Vec<(String, Origin, PathBuf)> = Vec::new();
    let dir = Path::new(CACHE_DIR_NAME);
    if let Ok(abs) = crate::repo::confine::resolve(&repo.root, dir)
        && let Ok(entries) = std::fs::read_dir(abs)
    {
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            if let Some(h) = file.strip_suffix(".json")
                && h.len() == 64
                && h.starts_with(hex)
            {
                found.push((format!("sha256:{h}"), Origin::Cache, dir.join(&file)));
            }
        }
    }
    for d in &repo.definitions {
        let h = content_hash(&d.value);
        if h["sha256:".len()..].starts_with(hex) && !found.iter().any(|(f, _, _)| *f == h) {
            found.push((h, Origin::File, d.path.clone()));
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => {
            let (hash, origin, path) = found.remove(0);
            let def = parse_file::<TaskDefinition>(&repo.root, &path).map_err(|e| e.to_string())?;
            if content_hash(&def) != hash {
                return Err(format!(
                    "{}: content hash is {}, not the one in its name",
                    path.display(),
                    content_hash(&def)
                ));
            }
            Ok(Some(Version::new(spec, origin, path, def)))
        }
        n => Err(format!(
            "{spec:?} matches {n} versions: give more of the hash"
        )),
    }
}

/// Whether `rev` is accepted as a git revision: 1–200 characters of
/// `A-Z a-z 0-9 . _ / ~ ^ -`, not starting with `-`.
pub fn is_revision(rev: &str) -> bool {
    !rev.is_empty()
        && rev.len() <= 200
        && !rev.starts_with('-')
        && rev
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._/~^-".contains(&b))
}

/// A repository-relative path that stays inside (no `..`, not absolute, no leading `-`).
fn plain_relative(path: &Path) -> bool {
    !path.as_os_str().is_empty()
        && !path.to_string_lossy().starts_with('-')
        && path.components().all(|c| matches!(c, Component::Normal(_)))
}

fn at_revision(repo: &Repository, spec: &str, name: &str, rev: &str) -> Result<Version, String> {
    if !is_revision(rev) {
        return Err(format!(
            "{rev:?} is not accepted as a git revision (letters, digits and . _ / ~ ^ -, not starting with -)"
        ));
    }
    let path = match repo.definition(name) {
        Some(d) => d.path.clone(),
        None => PathBuf::from(name),
    };
    if !plain_relative(&path) {
        return Err(format!(
            "{}: not a path inside the repository",
            path.display()
        ));
    }
    let inside = git(repo, &["rev-parse", "--is-inside-work-tree"])
        .map_err(|e| format!("{} is not in a git work tree ({e})", repo.root.display()))?;
    if inside.trim() != "true" {
        return Err(format!("{} is not in a git work tree", repo.root.display()));
    }
    let commit = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| format!("no git revision {rev:?}"))?;
    let commit = commit.trim().to_string();
    if commit.len() < 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("git gave no commit id for {rev:?}"));
    }
    let object = format!("{commit}:./{}", path.to_string_lossy());
    let text = git(repo, &["cat-file", "blob", &object])
        .map_err(|e| format!("{} at {rev}: {e}", path.display()))?;
    let def = parse_bytes::<TaskDefinition>(text.as_bytes())
        .map_err(|(l, c, m)| format!("{} at {rev}:{l}:{c}: {m}", path.display()))?;
    let mut v = Version::new(spec, Origin::Git, path, def);
    v.commit = Some(commit);
    Ok(v)
}

/// Run `git -c core.fsmonitor=false ARGS` in the repository: its stdout, or why it failed.
fn git(repo: &Repository, args: &[&str]) -> Result<String, String> {
    let mut argv: Vec<String> = vec!["git".into(), "-c".into(), "core.fsmonitor=false".into()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let out = crate::services::run_program(&argv, &repo.root, GIT_TIMEOUT, GIT_OUTPUT_CAP)
        .map_err(|e| e.to_string())?;
    if out.timed_out {
        return Err(format!("git took longer than {}s", GIT_TIMEOUT.as_secs()));
    }
    if out.truncated {
        return Err(format!("git wrote more than {GIT_OUTPUT_CAP} bytes"));
    }
    if out.exit_code != 0 {
        let why = out.stderr.lines().next().unwrap_or("").trim().to_string();
        return Err(format!("git exited with {}: {why}", out.exit_code));
    }
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_of_a_timestamped_copy() {
        assert_eq!(base_of_copy("Onboard 20261130-143000"), Some("Onboard"));
        assert_eq!(base_of_copy("A b 20261130-143000 (2)"), Some("A b"));
        assert_eq!(base_of_copy("Onboard"), None);
        assert_eq!(base_of_copy("Onboard 2026113-1430001"), None);
    }

    #[test]
    fn revisions_that_could_be_options_or_paths_are_refused() {
        for ok in [
            "HEAD",
            "HEAD~1",
            "main",
            "v1.0",
            "a1b2c3d",
            "feature/x",
            "HEAD^",
        ] {
            assert!(is_revision(ok), "{ok}");
        }
        for bad in [
            "",
            "-p",
            "--output=/tmp/x",
            "HEAD:secret",
            "a b",
            "x\n",
            "@{-1}",
        ] {
            assert!(!is_revision(bad), "{bad:?}");
        }
        assert!(!plain_relative(Path::new("../x.json")));
        assert!(!plain_relative(Path::new("/etc/x.json")));
        assert!(!plain_relative(Path::new("-x.json")));
        assert!(plain_relative(Path::new("TaskDefinition/x.json")));
    }
}
