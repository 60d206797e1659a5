//! Loading a repository directory: [`Repository::open`] and what it returns.
//! Parsing one file is in [`parse`] (positioned, bounded errors); the checks
//! between files (duplicate ids and names, unsafe names, library rule clashes)
//! are in [`checks`].

use std::fmt;
use std::path::{Path, PathBuf};

use super::save::RepoObject;

use crate::model::{
    EmailTemplate, ObjectKind, Policy, RepositoryConfig, Role, Rule, RuleLibrary, TaskDefinition,
    TaskInstance, User, WorkItem,
};

mod checks;
mod parse;

pub use checks::UNSAFE_NAME;
use checks::report_library_rule_clashes;
pub(super) use checks::{Identified, report_duplicates, report_unsafe_names};
pub use parse::{bound_message, parse_bytes, parse_file, parse_text};

/// One object loaded from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    /// Path relative to the repository root, e.g. `TaskDefinition/onboard-employee.json`.
    pub path: PathBuf,
    pub value: T,
}

/// A file that failed to load (or a problem between files, such as a duplicate name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// Relative to the repository root.
    pub path: PathBuf,
    /// 1-based; 0 when the problem has no position (e.g. unreadable file).
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// Everything in a repository directory.
#[derive(Debug, Clone, Default)]
pub struct Repository {
    pub root: PathBuf,
    /// `repository.json`; a default when absent or broken (the error is in `errors`).
    pub config: Option<RepositoryConfig>,
    pub definitions: Vec<Loaded<TaskDefinition>>,
    pub rules: Vec<Loaded<Rule>>,
    pub email_templates: Vec<Loaded<EmailTemplate>>,
    /// Rule libraries (`Configuration/*.json`).
    pub libraries: Vec<Loaded<RuleLibrary>>,
    pub users: Vec<Loaded<User>>,
    pub roles: Vec<Loaded<Role>>,
    pub policies: Vec<Loaded<Policy>>,
    pub instances: Vec<Loaded<TaskInstance>>,
    pub work_items: Vec<Loaded<WorkItem>>,
    /// Files that failed to load, and duplicates; sorted by path.
    pub errors: Vec<LoadError>,
}

/// Why a repository could not be opened at all (as opposed to per-file errors).
#[derive(Debug)]
pub enum OpenError {
    NotADirectory(PathBuf),
    Io(PathBuf, std::io::Error),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::NotADirectory(p) => {
                write!(f, "{} is not a repository directory", p.display())
            }
            OpenError::Io(p, e) => write!(f, "cannot read {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for OpenError {}

impl Repository {
    /// `repository.json`'s configuration, or the defaults when the file is
    /// missing or failed to load (its error is in [`Repository::errors`]).
    pub fn config_or_default(&self) -> RepositoryConfig {
        self.config.clone().unwrap_or_else(|| RepositoryConfig {
            format_version: crate::model::FORMAT_VERSION,
            name: String::new(),
            description: String::new(),
            settings: Default::default(),
        })
    }

    /// Load every object below `root`. Per-file problems (unreadable, invalid
    /// UTF-8 or JSON, unknown `formatVersion`, wrong-typed fields, duplicate ids
    /// or names) land in `errors`; only an unreadable root is an [`OpenError`].
    /// Never writes.
    pub fn open(root: impl AsRef<Path>) -> Result<Repository, OpenError> {
        Self::open_with(root.as_ref(), true)
    }

    /// [`Repository::open`] without the TaskDefinitions: `definitions` is empty
    /// and nothing in `TaskDefinition/` is read (its errors are not reported).
    /// For work that never looks at definitions (housekeeping) and for
    /// [`Repository::open_overview`], which summarises them from the index.
    pub fn open_except_definitions(root: impl AsRef<Path>) -> Result<Repository, OpenError> {
        Self::open_with(root.as_ref(), false)
    }

    fn open_with(root: &Path, with_definitions: bool) -> Result<Repository, OpenError> {
        let root = root.to_path_buf();
        if !root.is_dir() {
            return Err(OpenError::NotADirectory(root));
        }
        let mut repo = Repository {
            root: root.clone(),
            ..Default::default()
        };
        let config_path = root.join("repository.json");
        if config_path.symlink_metadata().is_ok() {
            match parse_file::<RepositoryConfig>(&root, Path::new("repository.json")) {
                Ok(c) => repo.config = Some(c),
                Err(e) => repo.errors.push(e),
            }
        }
        let mut errors = std::mem::take(&mut repo.errors);
        // An unreadable kind directory is a problem of that directory, not of the repository.
        let mut listed = |kind: ObjectKind| match list_json(&root, kind.dir_name()) {
            Ok(files) => files,
            Err(e) => {
                errors.push(LoadError {
                    path: PathBuf::from(kind.dir_name()),
                    line: 0,
                    column: 0,
                    message: format!("cannot read directory: {e}"),
                });
                Vec::new()
            }
        };
        let definitions = if with_definitions {
            listed(ObjectKind::TaskDefinition)
        } else {
            Vec::new()
        };
        let rules = listed(ObjectKind::Rule);
        let email_templates = listed(ObjectKind::EmailTemplate);
        let users = listed(ObjectKind::User);
        let roles = listed(ObjectKind::Role);
        let policies = listed(ObjectKind::Policy);
        let instances = listed(ObjectKind::TaskInstance);
        let work_items = listed(ObjectKind::WorkItem);
        let libraries = listed(ObjectKind::Configuration);
        repo.definitions = load_kind(&root, definitions, &mut errors);
        repo.rules = load_kind(&root, rules, &mut errors);
        repo.email_templates = load_kind(&root, email_templates, &mut errors);
        repo.users = load_kind(&root, users, &mut errors);
        repo.roles = load_kind(&root, roles, &mut errors);
        repo.policies = load_kind(&root, policies, &mut errors);
        repo.instances = load_kind(&root, instances, &mut errors);
        repo.work_items = load_kind(&root, work_items, &mut errors);
        repo.libraries = load_kind(&root, libraries, &mut errors);
        report_library_rule_clashes(&root, &repo.rules, &repo.libraries, &mut errors);
        sort_errors(&mut errors);
        repo.errors = errors;
        Ok(repo)
    }

    /// The TaskDefinition with exactly this name.
    pub fn definition(&self, name: &str) -> Option<&Loaded<TaskDefinition>> {
        self.definitions.iter().find(|d| d.value.name == name)
    }

    /// The load error of a TaskDefinition file that holds (or, by its file
    /// name, would hold) a definition named `name` but failed to load: a file
    /// whose `name` field still reads, or `TaskDefinition/<slug(name)>[-N].json`.
    pub fn failed_definition(&self, name: &str) -> Option<&LoadError> {
        let dir = Path::new(ObjectKind::TaskDefinition.dir_name());
        let stem = crate::model::slug(name);
        let failed = || self.errors.iter().filter(|e| e.path.parent() == Some(dir));
        let named = |e: &&LoadError| {
            #[derive(serde::Deserialize)]
            struct NameProbe {
                name: Option<String>,
            }
            super::confine::read(&self.root, &e.path)
                .ok()
                .and_then(|b| {
                    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&b).to_vec();
                    serde_json::from_slice::<NameProbe>(&b).ok()
                })
                .and_then(|p| p.name)
                .is_some_and(|n| n == name)
        };
        let by_file = |e: &&LoadError| {
            e.path
                .file_stem()
                .and_then(|s| s.to_str())
                .is_some_and(|s| {
                    s == stem
                        || s.strip_prefix(stem.as_str())
                            .and_then(|rest| rest.strip_prefix('-'))
                            .is_some_and(|n| n.parse::<u32>().is_ok())
                })
        };
        failed().find(named).or_else(|| failed().find(by_file))
    }

    /// The TaskDefinition with this id.
    pub fn definition_by_id(&self, id: &str) -> Option<&Loaded<TaskDefinition>> {
        self.definitions.iter().find(|d| d.value.id == id)
    }

    /// Every rule callers can name: the `Rule/` objects, then each library's rules
    /// under their qualified `Library:Rule` names.
    pub fn all_rules(&self) -> Vec<Rule> {
        let mut out: Vec<Rule> = self.rules.iter().map(|r| r.value.clone()).collect();
        for l in &self.libraries {
            out.extend(l.value.qualified_rules());
        }
        out
    }

    /// The TaskInstance with this id.
    pub fn instance(&self, id: &str) -> Option<&Loaded<TaskInstance>> {
        self.instances.iter().find(|i| i.value.id == id)
    }

    /// The WorkItem with this id.
    pub fn work_item(&self, id: &str) -> Option<&Loaded<WorkItem>> {
        self.work_items.iter().find(|w| w.value.id == id)
    }

    /// Errors of the files in `<Kind>/` that did not load (they are missing from
    /// the lists above; listings report them rather than leave them out).
    pub fn load_errors_of(&self, kind: ObjectKind) -> impl Iterator<Item = &LoadError> {
        let dir = Path::new(kind.dir_name());
        self.errors
            .iter()
            .filter(move |e| e.path.starts_with(dir) && e.path != dir)
    }

    /// The load error of the file an object of `kind` with this `id` is saved as
    /// (`<Kind>/<sanitised id>.json`), when that file exists but did not load.
    pub fn load_error_for(&self, kind: ObjectKind, id: &str) -> Option<&LoadError> {
        let rel = Path::new(kind.dir_name()).join(format!("{}.json", super::sanitize_id(id)));
        self.errors.iter().find(|e| e.path == rel)
    }

    /// The `settings.lockStaleAfter` of `repository.json`, or 60 s.
    pub fn lock_stale_after(&self) -> std::time::Duration {
        let secs = self
            .config
            .as_ref()
            .and_then(|c| c.settings.lock_stale_after)
            .filter(|s| *s > 0)
            .unwrap_or(60);
        std::time::Duration::from_secs(secs as u64)
    }
}

/// Errors in path order, then by position (how [`Repository::errors`] is kept).
pub(super) fn sort_errors(errors: &mut [LoadError]) {
    errors.sort_by(|a, b| {
        a.path
            .cmp(&b.path)
            .then(a.line.cmp(&b.line))
            .then(a.column.cmp(&b.column))
    });
}

/// Files of one directory parsed per rayon task; smaller directories stay on one thread.
pub(super) const PER_TASK_MIN: usize = 16;

/// `parse` run on rayon's pool, results in the order of `rels`. A panic while
/// parsing one file (a bug in a deserializer) becomes that file's error
/// instead of aborting the load.
pub(super) fn parse_parallel<R: Send>(
    rels: &[PathBuf],
    parse: impl Fn(&PathBuf) -> Result<R, LoadError> + Sync,
) -> Vec<Result<R, LoadError>> {
    parallel_map(rels, |rel| rel, parse)
}

/// [`parse_parallel`] over any items that name a file (`rel_of`), results
/// in the order of `items`.
pub(super) fn parallel_map<I: Sync, R: Send>(
    items: &[I],
    rel_of: impl Fn(&I) -> &PathBuf + Sync,
    parse: impl Fn(&I) -> Result<R, LoadError> + Sync,
) -> Vec<Result<R, LoadError>> {
    use rayon::prelude::*;
    items
        .par_iter()
        .with_min_len(PER_TASK_MIN)
        .map(|item| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse(item))).unwrap_or_else(
                |_| {
                    Err(LoadError {
                        path: rel_of(item).clone(),
                        line: 0,
                        column: 0,
                        message: "internal error while parsing".to_string(),
                    })
                },
            )
        })
        .collect()
}

/// Parse the files of one kind (in parallel, [`parse_parallel`]), then report
/// duplicate ids and names. Results keep the order of `rels`.
fn load_kind<T: RepoObject + Send>(
    root: &Path,
    rels: Vec<PathBuf>,
    errors: &mut Vec<LoadError>,
) -> Vec<Loaded<T>> {
    let results = parse_parallel(&rels, |rel| {
        parse_file::<T>(root, rel).map(|value| Loaded {
            path: rel.clone(),
            value,
        })
    });
    let mut loaded = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(l) => loaded.push(l),
            Err(e) => errors.push(e),
        }
    }
    report_duplicates(root, &loaded, errors);
    report_unsafe_names(root, &loaded, errors);
    loaded
}

/// Entries named `*.json` of one sub-directory, relative to root, sorted. A
/// missing directory is empty; a directory that resolves outside the repository
/// is an error. Hidden files (including atomic-save temp files) are skipped.
/// Everything else is listed whatever its type — symbolic links, FIFOs,
/// directories — so that [`parse_file`] reports what cannot be loaded.
pub(super) fn list_json(root: &Path, dir: &str) -> std::io::Result<Vec<PathBuf>> {
    let full = super::confine::resolve(root, Path::new(dir))?;
    let entries = match std::fs::read_dir(&full) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".json") && !name.starts_with('.') {
            names.push(name.into_owned());
        }
    }
    // Names in byte order are the paths in path order (one directory), and
    // cheaper to compare than paths component by component.
    names.sort_unstable();
    let dir = Path::new(dir);
    Ok(names.into_iter().map(|n| dir.join(n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition_json(id: &str, name: &str) -> String {
        format!(
            "{{\n  \"formatVersion\": 1,\n  \"id\": \"{id}\",\n  \"name\": \"{name}\",\n  \"process\": {{ \"activities\": [] }}\n}}\n"
        )
    }

    #[test]
    fn duplicates_name_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let defs = dir.path().join("TaskDefinition");
        std::fs::create_dir(&defs).unwrap();
        std::fs::write(defs.join("a.json"), definition_json("td-1", "Same")).unwrap();
        std::fs::write(defs.join("b.json"), definition_json("td-1", "Same")).unwrap();
        std::fs::write(defs.join("c.json"), definition_json("td-3", "Other")).unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        assert_eq!(repo.definitions.len(), 3);
        assert_eq!(repo.errors.len(), 2, "{:?}", repo.errors);
        for e in &repo.errors {
            assert_eq!(e.path, Path::new("TaskDefinition/b.json"));
            assert!(e.message.contains("TaskDefinition/a.json"), "{e}");
        }
        let id_err = repo
            .errors
            .iter()
            .find(|e| e.message.contains("id"))
            .unwrap();
        assert_eq!((id_err.line, id_err.column), (3, 3));
        assert!(
            repo.errors
                .iter()
                .any(|e| e.message.contains("name \"Same\""))
        );
    }

    #[test]
    fn library_rules_that_clash_are_load_errors_on_the_library() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("Rule")).unwrap();
        std::fs::create_dir(dir.path().join("Configuration")).unwrap();
        std::fs::write(
            dir.path().join("Rule/x.json"),
            r#"{"formatVersion": 1, "id": "rule-x", "name": "Lib:X", "body": "1"}"#,
        )
        .unwrap();
        let rule = |id: &str, name: &str| {
            format!(r#"{{"formatVersion": 1, "id": "{id}", "name": "{name}", "body": "2"}}"#)
        };
        std::fs::write(
            dir.path().join("Configuration/lib.json"),
            format!(
                "{{\"formatVersion\": 1, \"id\": \"lib-1\", \"name\": \"Lib\",\n \"rules\": [{}, {}, {}, {}]}}",
                rule("r1", "X"),
                rule("r2", "Y"),
                rule("r3", "Y"),
                rule("r4", "Z")
            ),
        )
        .unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        assert_eq!(repo.libraries.len(), 1);
        let messages: Vec<&str> = repo.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "library rule \"Lib:X\" has the name of the Rule in Rule/x.json",
                "duplicate rule name \"Y\" in rule library \"Lib\"",
            ]
        );
        for e in &repo.errors {
            assert_eq!(e.path, Path::new("Configuration/lib.json"));
            assert_eq!((e.line, e.column), (2, 2), "{e}");
        }
        assert_eq!(repo.all_rules().len(), 5);
    }

    #[test]
    fn many_files_load_in_order_with_errors_kept() {
        let dir = tempfile::tempdir().unwrap();
        let defs = dir.path().join("TaskDefinition");
        std::fs::create_dir(&defs).unwrap();
        for i in 0..200 {
            let text = if i % 50 == 7 {
                "{ \"formatVersion\": 1, ".to_string()
            } else {
                definition_json(&format!("td-{i:03}"), &format!("Def {i:03}"))
            };
            std::fs::write(defs.join(format!("d{i:03}.json")), text).unwrap();
        }
        let repo = Repository::open(dir.path()).unwrap();
        assert_eq!(repo.definitions.len(), 196);
        assert_eq!(repo.errors.len(), 4);
        let names: Vec<_> = repo
            .definitions
            .iter()
            .map(|d| d.value.name.clone())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(repo.errors[0].message.starts_with("invalid JSON"));
    }

    #[test]
    fn a_kind_directory_that_is_a_file_is_a_load_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Rule"), b"oops").unwrap();
        let defs = dir.path().join("TaskDefinition");
        std::fs::create_dir(&defs).unwrap();
        std::fs::write(defs.join("a.json"), definition_json("td-1", "A")).unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        assert_eq!(repo.definitions.len(), 1);
        assert_eq!(repo.errors.len(), 1);
        assert_eq!(repo.errors[0].path, Path::new("Rule"));
    }

    #[test]
    fn duplicate_messages_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let defs = dir.path().join("TaskDefinition");
        std::fs::create_dir(&defs).unwrap();
        let name = "n".repeat(100_000);
        std::fs::write(defs.join("a.json"), definition_json("td-1", &name)).unwrap();
        std::fs::write(defs.join("b.json"), definition_json("td-2", &name)).unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        assert_eq!(repo.errors.len(), 1);
        let m = &repo.errors[0].message;
        assert!(m.len() < 400 && m.contains("(100000 bytes)"), "{m}");
    }
}
