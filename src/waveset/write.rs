//! Writing imported objects into a repository: the one code path behind
//! `bpe import` and the TUI's import dialog.
//!
//! The caller decides what happens to objects whose name already exists (the CLI
//! refuses unless `--replace`; the TUI asks replace / skip / cancel) and passes
//! only the objects to write. A replaced object keeps its file and id, exactly
//! like an edit saved from the editor; a new object whose imported id is already
//! used in the repository gets a fresh id.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::Imported;
use crate::model::{EmailTemplate, ObjectKind, Rule, RuleLibrary, TaskDefinition, new_id, slug};
use crate::repo::{Repository, SaveError, save_json_in};

/// One imported object.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportObject {
    Definition(TaskDefinition),
    Rule(Rule),
    Template(EmailTemplate),
    Library(RuleLibrary),
}

impl ImportObject {
    /// Every object of an imported document: definitions, rules, then templates.
    pub fn all(imported: Imported) -> Vec<ImportObject> {
        let mut out: Vec<ImportObject> = Vec::new();
        out.extend(
            imported
                .definitions
                .into_iter()
                .map(ImportObject::Definition),
        );
        out.extend(imported.rules.into_iter().map(ImportObject::Rule));
        out.extend(
            imported
                .email_templates
                .into_iter()
                .map(ImportObject::Template),
        );
        out.extend(imported.libraries.into_iter().map(ImportObject::Library));
        out
    }

    pub fn kind(&self) -> ObjectKind {
        match self {
            ImportObject::Definition(_) => ObjectKind::TaskDefinition,
            ImportObject::Rule(_) => ObjectKind::Rule,
            ImportObject::Template(_) => ObjectKind::EmailTemplate,
            ImportObject::Library(_) => ObjectKind::Configuration,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            ImportObject::Definition(d) => &d.name,
            ImportObject::Rule(r) => &r.name,
            ImportObject::Template(t) => &t.name,
            ImportObject::Library(l) => &l.name,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            ImportObject::Definition(d) => &d.id,
            ImportObject::Rule(r) => &r.id,
            ImportObject::Template(t) => &t.id,
            ImportObject::Library(l) => &l.id,
        }
    }

    fn set_id(&mut self, id: String) {
        match self {
            ImportObject::Definition(d) => d.id = id,
            ImportObject::Rule(r) => r.id = id,
            ImportObject::Template(t) => t.id = id,
            ImportObject::Library(l) => l.id = id,
        }
    }

    /// The id and absolute file of the repository object of the same kind and name.
    pub fn existing(&self, repo: &Repository) -> Option<(String, PathBuf)> {
        let name = self.name();
        match self {
            ImportObject::Definition(_) => repo
                .definitions
                .iter()
                .find(|d| d.value.name == name)
                .map(|d| (d.value.id.clone(), repo.root.join(&d.path))),
            ImportObject::Rule(_) => repo
                .rules
                .iter()
                .find(|r| r.value.name == name)
                .map(|r| (r.value.id.clone(), repo.root.join(&r.path))),
            ImportObject::Template(_) => repo
                .email_templates
                .iter()
                .find(|t| t.value.name == name)
                .map(|t| (t.value.id.clone(), repo.root.join(&t.path))),
            ImportObject::Library(_) => repo
                .libraries
                .iter()
                .find(|l| l.value.name == name)
                .map(|l| (l.value.id.clone(), repo.root.join(&l.path))),
        }
    }
}

/// What happened to one written object.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub kind: ObjectKind,
    pub name: String,
    /// The file, relative to the repository root.
    pub path: PathBuf,
    /// An existing object of that name was replaced (its id kept).
    pub replaced: bool,
    /// `(imported id, new id)` when the imported id was already used.
    pub renewed_id: Option<(String, String)>,
}

/// A write that failed, naming the object; objects before it were written.
#[derive(Debug)]
pub struct WriteError {
    pub kind: ObjectKind,
    pub name: String,
    pub source: SaveError,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot save {} \"{}\": {}",
            self.kind.dir_name(),
            self.name,
            self.source
        )
    }
}

impl std::error::Error for WriteError {}

/// Names imported twice within `objects` (same kind and name), in order.
pub fn duplicate_names(objects: &[ImportObject]) -> Vec<(ObjectKind, String)> {
    let mut seen: HashSet<(ObjectKind, String)> = HashSet::new();
    objects
        .iter()
        .filter_map(|o| {
            let key = (o.kind(), o.name().to_string());
            (!seen.insert(key.clone())).then_some(key)
        })
        .collect()
}

/// One message per object whose name, or one of whose activity names, holds a
/// character names may not contain (validation rule E014): the import refuses
/// them. Names in the messages are escaped.
pub fn unsafe_names(objects: &[ImportObject]) -> Vec<String> {
    use crate::model::{describe_char, escape_name, name_problem};
    let mut out = Vec::new();
    for o in objects {
        let kind = o.kind().dir_name();
        if let Some((_, c)) = name_problem(o.name()) {
            out.push(format!(
                "{kind} name \"{}\" contains {}; names may not contain control characters",
                escape_name(o.name()),
                describe_char(c)
            ));
        }
        if let ImportObject::Definition(d) = o {
            for a in &d.process.activities {
                if let Some((_, c)) = name_problem(&a.name) {
                    out.push(format!(
                        "{kind} \"{}\": activity name \"{}\" contains {}; names may not contain control characters",
                        escape_name(o.name()),
                        escape_name(&a.name),
                        describe_char(c)
                    ));
                }
            }
        }
    }
    out
}

/// Write `objects` into `repo` (atomic saves). Objects whose name exists are
/// replaced in place keeping their id; the caller filtered out what it did not
/// want replaced.
pub fn write_objects(
    repo: &Repository,
    mut objects: Vec<ImportObject>,
) -> Result<Vec<Written>, WriteError> {
    let mut used_ids: HashSet<(ObjectKind, String)> = HashSet::new();
    for d in &repo.definitions {
        used_ids.insert((ObjectKind::TaskDefinition, d.value.id.clone()));
    }
    for r in &repo.rules {
        used_ids.insert((ObjectKind::Rule, r.value.id.clone()));
    }
    for t in &repo.email_templates {
        used_ids.insert((ObjectKind::EmailTemplate, t.value.id.clone()));
    }
    for l in &repo.libraries {
        used_ids.insert((ObjectKind::Configuration, l.value.id.clone()));
    }
    let mut renewed: Vec<Option<(String, String)>> = Vec::new();
    for object in &mut objects {
        if let Some((id, _)) = object.existing(repo) {
            object.set_id(id);
            renewed.push(None);
            continue;
        }
        let key = (object.kind(), object.id().to_string());
        let mut note = None;
        if used_ids.contains(&key) {
            let prefix = match object.kind() {
                ObjectKind::TaskDefinition => "td",
                ObjectKind::Rule => "rule",
                ObjectKind::Configuration => "lib",
                _ => "et",
            };
            let fresh = new_id(prefix);
            note = Some((object.id().to_string(), fresh.clone()));
            object.set_id(fresh);
        }
        used_ids.insert((object.kind(), object.id().to_string()));
        renewed.push(note);
    }

    let mut written_paths: HashSet<PathBuf> = HashSet::new();
    let mut out = Vec::new();
    for (object, renewed_id) in objects.iter().zip(renewed) {
        let existing = object.existing(repo);
        let fail = |source| WriteError {
            kind: object.kind(),
            name: object.name().to_string(),
            source,
        };
        // Rules, templates and libraries: over the existing file, or at a free path.
        let path = existing
            .clone()
            .map(|(_, p)| p)
            .unwrap_or_else(|| free_path(&repo.root, object.kind(), object.name(), &written_paths));
        let saved = match object {
            ImportObject::Definition(d) => repo.save_definition(d),
            ImportObject::Rule(r) => save_json_in(&repo.root, &path, r).map(|()| path),
            ImportObject::Template(t) => save_json_in(&repo.root, &path, t).map(|()| path),
            ImportObject::Library(l) => save_json_in(&repo.root, &path, l).map(|()| path),
        };
        let path = saved.map_err(fail)?;
        out.push(Written {
            kind: object.kind(),
            name: object.name().to_string(),
            path: path.strip_prefix(&repo.root).unwrap_or(&path).to_path_buf(),
            replaced: existing.is_some(),
            renewed_id,
        });
        written_paths.insert(path);
    }
    Ok(out)
}

/// `<Kind>/<slug(name)>.json`, with `-2`, `-3`, … when that file exists already.
fn free_path(root: &Path, kind: ObjectKind, name: &str, written: &HashSet<PathBuf>) -> PathBuf {
    let stem = slug(name);
    let dir = root.join(kind.dir_name());
    let mut n = 1;
    loop {
        let file = if n == 1 {
            format!("{stem}.json")
        } else {
            format!("{stem}-{n}.json")
        };
        let path = dir.join(file);
        if !path.exists() && !written.contains(&path) {
            return path;
        }
        n += 1;
    }
}

/// Read a Waveset document as UTF-8, refusing files over [`super::MAX_INPUT_BYTES`]
/// before reading them. Errors carry a line and column when they have one.
pub fn read_document(path: &Path) -> Result<String, super::ImportError> {
    use std::io::Read;
    let plain = |message: String| super::ImportError {
        line: 0,
        column: 0,
        message,
    };
    let limit = super::MAX_INPUT_BYTES;
    let file = std::fs::File::open(path).map_err(|e| plain(format!("cannot open: {e}")))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > limit as u64 {
        return Err(plain(format!(
            "file is {len} bytes; the import limit is {limit} bytes"
        )));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // Read at most one byte past the limit, in case the file grew meanwhile.
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| plain(format!("cannot read: {e}")))?;
    if bytes.len() > limit {
        return Err(plain(format!(
            "file is over the import limit of {limit} bytes"
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let before = String::from_utf8_lossy(&bytes[..valid]);
        super::ImportError {
            line: before.matches('\n').count() + 1,
            column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
            message: "not UTF-8 (convert the file to UTF-8)".to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../tests/fixtures/waveset/create-user.xml");

    fn definition(objects: &[ImportObject]) -> TaskDefinition {
        match objects
            .iter()
            .find(|o| o.kind() == ObjectKind::TaskDefinition)
        {
            Some(ImportObject::Definition(d)) => d.clone(),
            _ => panic!("the fixture holds a TaskDefinition"),
        }
    }

    #[test]
    fn new_objects_are_written_and_existing_names_replaced_keeping_the_id() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let objects = ImportObject::all(super::super::import(FIXTURE).unwrap());
        let first = write_objects(&Repository::open(root).unwrap(), objects.clone()).unwrap();
        assert!(first.iter().all(|w| !w.replaced), "{first:?}");
        let repo = Repository::open(root).unwrap();
        let def = definition(&objects);
        let saved = repo.definition(&def.name).expect("written");
        assert!(saved.path.starts_with("TaskDefinition"), "{:?}", saved.path);

        // Pretend the repository's copy has another id: a re-import replaces the
        // file in place and keeps the repository's id.
        let mut edited = saved.value.clone();
        edited.id = "td-kept".to_string();
        repo.save_definition(&edited)
            .unwrap_or_else(|e| panic!("{e}"));
        let repo = Repository::open(root).unwrap();
        let again = write_objects(&repo, objects.clone()).unwrap();
        let w = again
            .iter()
            .find(|w| w.kind == ObjectKind::TaskDefinition)
            .unwrap();
        assert!(w.replaced);
        let repo = Repository::open(root).unwrap();
        assert_eq!(repo.definition(&def.name).unwrap().value.id, "td-kept");
        assert_eq!(
            repo.definitions.len(),
            1,
            "replaced, not added: {:?}",
            repo.definitions.iter().map(|d| &d.path).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_used_id_under_another_name_is_renewed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let objects = ImportObject::all(super::super::import(FIXTURE).unwrap());
        let mut other = definition(&objects);
        other.name = "Something Else".to_string();
        Repository::open(root)
            .unwrap()
            .save_definition(&other)
            .unwrap_or_else(|e| panic!("{e}"));
        let only_def: Vec<ImportObject> = objects
            .into_iter()
            .filter(|o| o.kind() == ObjectKind::TaskDefinition)
            .collect();
        let written = write_objects(&Repository::open(root).unwrap(), only_def).unwrap();
        let (old, new) = written[0].renewed_id.clone().expect("renewed");
        assert_eq!(old, other.id);
        assert_ne!(new, other.id);
        assert_eq!(Repository::open(root).unwrap().definitions.len(), 2);
    }

    #[test]
    fn duplicate_names_are_reported_once_per_extra_copy() {
        let objects = ImportObject::all(super::super::import(FIXTURE).unwrap());
        assert!(duplicate_names(&objects).is_empty());
        let mut twice = objects.clone();
        twice.push(objects[0].clone());
        assert_eq!(
            duplicate_names(&twice),
            vec![(objects[0].kind(), objects[0].name().to_string())]
        );
    }
}
