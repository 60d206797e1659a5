use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::model::{
    EmailTemplate, FORMAT_VERSION, ObjectKind, Policy, RepositoryConfig, Role, Rule,
    TaskDefinition, TaskInstance, User, WorkItem,
};

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
    /// Load every object below `root`.
    pub fn open(root: impl AsRef<Path>) -> Result<Repository, OpenError> {
        let root = root.as_ref().to_path_buf();
        if !root.is_dir() {
            return Err(OpenError::NotADirectory(root));
        }
        let mut repo = Repository {
            root: root.clone(),
            ..Default::default()
        };
        let config_path = root.join("repository.json");
        if config_path.exists() {
            match parse_file::<RepositoryConfig>(&root, Path::new("repository.json")) {
                Ok(c) => repo.config = Some(c),
                Err(e) => repo.errors.push(e),
            }
        }
        for kind in ObjectKind::ALL {
            let files = list_json(&root, kind.dir_name())
                .map_err(|e| OpenError::Io(root.join(kind.dir_name()), e))?;
            for rel in files {
                match kind {
                    ObjectKind::TaskDefinition => repo.load_into(kind, rel, |r| &mut r.definitions),
                    ObjectKind::Rule => repo.load_into(kind, rel, |r| &mut r.rules),
                    ObjectKind::EmailTemplate => {
                        repo.load_into(kind, rel, |r| &mut r.email_templates)
                    }
                    ObjectKind::User => repo.load_into(kind, rel, |r| &mut r.users),
                    ObjectKind::Role => repo.load_into(kind, rel, |r| &mut r.roles),
                    ObjectKind::Policy => repo.load_into(kind, rel, |r| &mut r.policies),
                    ObjectKind::TaskInstance => repo.load_into(kind, rel, |r| &mut r.instances),
                    ObjectKind::WorkItem => repo.load_into(kind, rel, |r| &mut r.work_items),
                }
            }
        }
        repo.errors
            .sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
        Ok(repo)
    }

    fn load_into<T: DeserializeOwned>(
        &mut self,
        _kind: ObjectKind,
        rel: PathBuf,
        list: impl FnOnce(&mut Repository) -> &mut Vec<Loaded<T>>,
    ) {
        match parse_file::<T>(&self.root, &rel) {
            Ok(value) => list(self).push(Loaded { path: rel, value }),
            Err(e) => self.errors.push(e),
        }
    }

    /// The TaskDefinition with exactly this name.
    pub fn definition(&self, name: &str) -> Option<&Loaded<TaskDefinition>> {
        self.definitions.iter().find(|d| d.value.name == name)
    }
}

/// `*.json` files of one sub-directory, relative to root, sorted. A missing directory is empty.
fn list_json(root: &Path, dir: &str) -> std::io::Result<Vec<PathBuf>> {
    let full = root.join(dir);
    let entries = match std::fs::read_dir(&full) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".json") && !name.starts_with('.') && entry.file_type()?.is_file() {
            out.push(Path::new(dir).join(name.as_ref()));
        }
    }
    out.sort();
    Ok(out)
}

/// Read and parse one file, mapping every failure to a positioned [`LoadError`].
pub fn parse_file<T: DeserializeOwned>(root: &Path, rel: &Path) -> Result<T, LoadError> {
    let err = |line, column, message: String| LoadError {
        path: rel.to_path_buf(),
        line,
        column,
        message,
    };
    let bytes =
        std::fs::read(root.join(rel)).map_err(|e| err(0, 0, format!("cannot read: {e}")))?;
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let (line, column) = line_col(&bytes, e.valid_up_to());
            return Err(err(line, column, "not valid UTF-8".to_string()));
        }
    };
    parse_text(text).map_err(|(line, column, message)| err(line, column, message))
}

/// Parse JSON text holding a versioned object: (line, column, message) on failure.
pub fn parse_text<T: DeserializeOwned>(text: &str) -> Result<T, (usize, usize, String)> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        (
            e.line(),
            e.column().max(1),
            format!("invalid JSON: {}", strip_position(&e)),
        )
    })?;
    match json.get("formatVersion") {
        Some(v) if v.as_u64() == Some(FORMAT_VERSION as u64) => {}
        Some(v) => {
            let (line, column) = find_key(text, "formatVersion");
            return Err((
                line,
                column,
                format!("unknown formatVersion {v} (this bpe reads {FORMAT_VERSION})"),
            ));
        }
        None => return Err((1, 1, "missing formatVersion".to_string())),
    }
    // Parse from the text (not the Value) so type errors carry positions.
    serde_json::from_str(text).map_err(|e| (e.line(), e.column().max(1), strip_position(&e)))
}

fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}

fn find_key(text: &str, key: &str) -> (usize, usize) {
    match text.find(&format!("\"{key}\"")) {
        Some(i) => line_col(text.as_bytes(), i),
        None => (1, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_of_bad_json() {
        let e = parse_text::<RepositoryConfig>("{\n  \"formatVersion\": 1,\n  \"name\": \n")
            .unwrap_err();
        assert_eq!((e.0, e.1 > 0), (4, true));
        let e =
            parse_text::<RepositoryConfig>("{\"formatVersion\": 9, \"name\": \"x\"}").unwrap_err();
        assert!(e.2.contains("unknown formatVersion 9"), "{}", e.2);
        let e =
            parse_text::<RepositoryConfig>("{\"formatVersion\": 1,\n \"name\": 5}").unwrap_err();
        assert_eq!(e.0, 2);
        assert!(e.2.contains("invalid type"), "{}", e.2);
    }
}
